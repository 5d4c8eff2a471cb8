//! Browsing the audit trail: who may, which records, and the record that they looked.

use mamori_core::audit::AuditRecord;
use mamori_core::authz::{Permission, ViewAudit, authorize};
use mamori_core::time::DAY_MS;
use mamori_store::AuditFilter;
use serde::Deserialize;

use crate::http::{AppError, AppState, User, parse_date, parse_opt_id};

/// The filter as typed: texts, JST calendar days and the sequence number to page from.
#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub before: String,
}

/// Reads the audit filter from a query string; dates are JST calendar days, `to` inclusive.
fn audit_filter(query: &AuditQuery, limit: i64) -> Result<AuditFilter, AppError> {
    let clip = |s: &str| -> Option<String> {
        let s: String = s.trim().chars().take(100).collect();
        (!s.is_empty()).then_some(s)
    };
    Ok(AuditFilter {
        action_prefix: clip(&query.action),
        actor_name: clip(&query.actor),
        from_ms: parse_date("from", &query.from)?,
        to_ms: parse_date("to", &query.to)?.map(|t| t + DAY_MS),
        before_seq: parse_opt_id("before", &query.before)?,
        limit,
    })
}

/// The records a filter selects, newest first (auditors never see their own unit's); the
/// browsing is itself recorded. Returns the filter as read, for the next page.
pub async fn list(
    state: &AppState,
    user: &User,
    query: &AuditQuery,
    limit: i64,
) -> Result<(Vec<AuditRecord>, AuditFilter), AppError> {
    let grant = authorize::<ViewAudit>(&user.actor, &())?;
    let filter = audit_filter(query, limit)?;
    let records = state.store.list_audit(&grant, &filter).await?;
    let event = user
        .ctx
        .origin()
        .event(ViewAudit::NAME, "audit", "")
        .with_detail(serde_json::json!({
            "action": filter.action_prefix,
            "actor": filter.actor_name,
            "from": query.from,
            "to": query.to,
        }));
    state.store.record(event).await?;
    Ok((records, filter))
}
