//! 原本の提供 (the release of quarantined originals) and 隔離メール as the pages read it.

use mamori_core::UserId;
use mamori_core::authz::{
    ApproveRelease, Granted, RequestRelease, ViewQuarantine, ViewQuarantineItem,
};
use mamori_core::release::{
    Direction, QuarantineFilter, QuarantinePage, QuarantinedMail, ReleaseId, ReleaseRequest,
    ReleaseState,
};
use mamori_core::{OrgId, UnitId};

use crate::{Origin, Result};

/// A new 原本の提供申請; the requester is the grant's actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRelease {
    pub quarantine_id: String,
    pub direction: Direction,
    /// The requester's address on the message (checked by [`mamori_core::authz::RequestRelease`]).
    pub address: String,
    /// 申請理由, validated by [`mamori_core::release::parse_reason`].
    pub reason: String,
}

/// Which release requests to list (newest first).
#[derive(Debug, Clone, Default)]
pub struct ReleaseFilter {
    pub state: Option<ReleaseState>,
    pub quarantine_id: Option<String>,
    pub requester: Option<UserId>,
    pub limit: i64,
}

/// What one delivery attempt of an approved release came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseAttempt {
    /// The next hop accepted the original; its reply.
    Delivered { reply: String },
    /// A temporary failure: try again at `next_attempt_at`.
    Deferred { error: String, next_attempt_at: i64 },
    /// A permanent failure, or retries ran out.
    Failed { error: String },
}

/// 原本の提供申請: requests, decisions and the delivery of released originals. Every state change
/// is one audit record (`quarantine.release.*`) in the same transaction.
#[async_trait::async_trait]
pub trait ReleaseStore: Send + Sync {
    /// The e-mail address of an account's person, for [`mamori_core::release::QuarantineParties`].
    async fn account_email(&self, user: UserId) -> Result<Option<String>>;
    /// Live accounts whose person has this address (domain compared without case).
    async fn accounts_with_email(&self, address: &str) -> Result<Vec<UserId>>;
    /// Every person's mail address with their organisation and unit, for the roles that see
    /// the quarantine of their own units: whom a message concerns.
    async fn places_by_email(&self) -> Result<Vec<(String, Option<OrgId>, Option<UnitId>)>>;
    /// Files a request as the grant's actor. A second open request of the same address for the
    /// same message is [`Conflict::ReleaseAlreadyOpen`](crate::Conflict::ReleaseAlreadyOpen).
    async fn request_release(
        &self,
        grant: &Granted<RequestRelease>,
        input: NewRelease,
        origin: &Origin,
    ) -> Result<ReleaseRequest>;
    /// One request, for authorisation decisions and the pages of those allowed to see it.
    async fn release_request(&self, id: ReleaseId) -> Result<Option<ReleaseRequest>>;
    /// Requests for the approvers' queue.
    async fn list_releases(
        &self,
        grant: &Granted<ViewQuarantine>,
        filter: &ReleaseFilter,
    ) -> Result<Vec<ReleaseRequest>>;
    /// The requests for one message, for whoever may see that message.
    async fn releases_of_item(
        &self,
        grant: &Granted<ViewQuarantineItem>,
        quarantine_id: &str,
    ) -> Result<Vec<ReleaseRequest>>;
    /// The requests an account filed itself.
    async fn own_releases(&self, user: UserId, limit: i64) -> Result<Vec<ReleaseRequest>>;
    /// Approves (due for delivery at once) or rejects a pending request. The store refuses
    /// the requester as approver again ([`Conflict::ReleaseSelfApproval`](crate::Conflict::ReleaseSelfApproval)), and a
    /// request that is no longer pending
    /// ([`Conflict::ReleaseNotPending`](crate::Conflict::ReleaseNotPending)).
    async fn decide_release(
        &self,
        grant: &Granted<ApproveRelease>,
        id: ReleaseId,
        approve: bool,
        note: &str,
        origin: &Origin,
    ) -> Result<ReleaseRequest>;
    /// Takes the oldest approved request whose attempt is due at `now` for one delivery attempt:
    /// counts the attempt and holds it for `lease_ms`, so that another worker does not take it
    /// meanwhile (`quarantine.release.attempt`).
    async fn claim_release(&self, lease_ms: i64, origin: &Origin)
    -> Result<Option<ReleaseRequest>>;
    /// The latest request's state of every message anyone asked for, and whether a request of
    /// it is open (requested or approved): what the quarantine's purge must keep.
    async fn release_states(&self) -> Result<Vec<(String, ReleaseState, bool)>>;
    /// Records what an attempt came to (`quarantine.release.deliver`, `.defer` or `.fail`).
    async fn record_release_attempt(
        &self,
        id: ReleaseId,
        attempt: ReleaseAttempt,
        origin: &Origin,
    ) -> Result<ReleaseRequest>;
}

/// 隔離メール as the pages read it: the kept originals, wherever they are kept. The gateway's
/// quarantine folder implements it (`mamori-release`); the web reads it only through this trait
/// and never depends on the gateway.
#[async_trait::async_trait]
pub trait QuarantineView: Send + Sync {
    /// One page of the entries `filter` names, newest first, from the quarantine's index (the
    /// entries' `report` is `Null` there).
    async fn page(&self, filter: &QuarantineFilter) -> Result<QuarantinePage>;
    /// A release of the entry is being asked for: it is kept from purges from now on. `false`
    /// when there is no such entry.
    async fn hold_for_release(&self, id: &str) -> Result<bool>;
    /// The entry an id from outside names (a part id of a notice block included); `None` for
    /// an id that is malformed or names nothing.
    async fn entry(&self, id: &str) -> Result<Option<QuarantinedMail>>;
    /// A release was approved: the delivery need not wait for its next poll.
    fn release_approved(&self) {}
    /// A request was filed or decided: the quarantine notes its state (best effort; the
    /// retention purge brings it in line with the store again).
    async fn release_changed(&self, _request: &ReleaseRequest) {}
}
