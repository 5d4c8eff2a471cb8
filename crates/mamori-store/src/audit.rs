//! The hash-chained audit trail as its readers see it.

use mamori_core::audit::{AuditEvent, AuditKey, AuditRecord, ChainBreak};
use mamori_core::authz::{Granted, ViewAudit};

use crate::Result;

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Actions starting with this text (`login` matches `login.failed`).
    pub action_prefix: Option<String>,
    pub actor_name: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Records with a sequence number below this (for paging backwards).
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// Outcome of a full verification of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    pub checked: u64,
    pub result: std::result::Result<(), ChainBreak>,
}

/// The hash-chained audit trail.
#[async_trait::async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an event that changes nothing else (logins, reads).
    async fn record(&self, event: AuditEvent) -> Result<AuditRecord>;
    async fn list_audit(
        &self,
        grant: &Granted<ViewAudit>,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditRecord>>;
    /// Walks the whole chain with the given key.
    async fn verify_audit(&self, key: &AuditKey) -> Result<AuditVerification>;
}
