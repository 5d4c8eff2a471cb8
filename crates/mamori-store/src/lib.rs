//! Persistence for mamori: one [`Store`] trait, backed by SQLite (the embedded default) or
//! PostgreSQL. SQL lives here and nowhere else.
//!
//! Architecture invariant: every change to data is written in the same transaction as its audit
//! record, so there is no change without a record and no record without its change.

mod accounts;
mod anchor;
mod assets;
mod audit;
mod cloud;
mod conflict;
mod controls;
mod directory;
mod incidents;
mod inspections;
mod monitor;
mod notices;
mod policies;
mod releases;
mod risks;
mod social;
mod sql;
mod third_parties;
mod training;

use mamori_core::audit::AuditEvent;
use mamori_core::{Actor, Clock, UserId};

pub use accounts::*;
pub use anchor::{Anchor, AnchorBreak, AnchorEntry, read_anchor};
pub use assets::*;
pub use audit::*;
pub use cloud::*;
pub use conflict::Conflict;
pub use controls::*;
pub use directory::*;
pub use incidents::*;
pub use inspections::*;
pub use monitor::*;
pub use notices::*;
pub use policies::*;
pub use releases::*;
pub use risks::*;
pub use social::*;
pub use sql::{Backend, SqlStore};
pub use third_parties::*;
pub use training::*;

/// Errors of the store. `Conflict` and `NotFound` are the caller's business; `Database` is ours.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The change contradicts stored data (e.g. a second organisation with the same code).
    #[error("conflict: {0}")]
    Conflict(Conflict),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Unsupported(&'static str),
    /// A store outside the database (the quarantine folder) could not be read.
    #[error("{0}")]
    Unavailable(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default()
    }
}

/// Who did something, from where: stamped on the audit record of every change.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    pub address: String,
}

impl Origin {
    pub fn of(actor: &Actor, address: &str) -> Self {
        Self {
            actor_id: Some(actor.user_id),
            actor_name: actor.username.clone(),
            address: address.to_owned(),
        }
    }

    /// The operator at the command line.
    pub fn system(what: &str) -> Self {
        Self {
            actor_id: None,
            actor_name: format!("system:{what}"),
            address: String::new(),
        }
    }

    pub fn event(&self, action: &str, target_kind: &str, target_id: impl ToString) -> AuditEvent {
        AuditEvent::new(action, target_kind, target_id)
            .by(self.actor_id, &self.actor_name)
            .from_address(&self.address)
    }
}

/// Everything mamori keeps.
#[async_trait::async_trait]
pub trait Store:
    DirectoryStore
    + AccountStore
    + AuditStore
    + AssetStore
    + ReleaseStore
    + ThirdPartyStore
    + PolicyStore
    + ControlStore
    + RiskStore
    + InspectionStore
    + SecurityAuditStore
    + ExceptionStore
    + ReviewStore
    + IncidentStore
    + NoticeStore
    + TrainingStore
    + CloudStore
    + SocialStore
    + MonitorStore
{
    fn backend(&self) -> Backend;
    /// A consistent copy of the whole database while it is in use.
    async fn backup(&self, to: &std::path::Path) -> Result<()>;
    async fn ping(&self) -> Result<()>;
}
