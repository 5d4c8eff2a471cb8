//! mamori's domain: the organisation that the basic policy governs, who may do what in it, and the
//! rules that every other crate obeys. Nothing here does IO, reads the clock or knows about SQL or
//! HTTP; time and randomness are passed in.

pub mod asset;
pub mod audit;
pub mod audit_plan;
pub mod authz;
pub mod classification;
pub mod cloud;
pub mod controls;
pub mod credentials;
pub mod crossing;
pub mod exception;
pub mod exposition;
pub mod finding;
pub mod i18n;
pub mod incident;
pub mod inspection;
pub mod monitor;
pub mod notice;
pub mod org;
pub mod policy;
pub mod release;
pub mod risk;
pub mod role;
pub mod segment;
pub mod social;
pub mod text;
pub mod third_party;
pub mod time;
pub mod training;

pub use authz::{Actor, Denied, Granted};
pub use org::{OrgId, PersonId, UnitId, UserId};
pub use role::{Role, RoleAssignment, Scope};
pub use text::{FieldError, FieldErrorKind};

/// The time source. Core never reads the clock; callers pass one in so that tests can fix time.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch (UTC).
    fn now_ms(&self) -> i64;
}
