//! 情報セキュリティポリシー: documents, their versions and clauses, and the staff's confirmations.

use chrono::NaiveDate;
use mamori_core::authz::{
    AcknowledgePolicy, ApprovePolicy, Granted, ManagePolicies, ViewAcknowledgements,
};
use mamori_core::policy::{Policy, PolicyId, PolicyText, Step, Tier, VersionInfo};
use mamori_core::{OrgId, PersonId, Role, UnitId};

use crate::{Origin, Result};

/// A new document; its first version is a draft of the text it is created with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPolicy {
    pub org_id: OrgId,
    pub tier: Tier,
    /// Validated by the caller (a [`mamori_core::text::Name`]).
    pub title: String,
    pub approver_role: Role,
}

/// Who writes a version's text: an account allowed to, or the operator at the command line
/// (`mamori policy import`), who holds the data folder and so everything in it. An operator's
/// version has no editor, and any approver may approve it.
#[derive(Clone, Copy)]
pub enum Author<'a> {
    Account(&'a Granted<ManagePolicies>),
    Operator,
}

impl Author<'_> {
    pub fn account(&self) -> Option<mamori_core::UserId> {
        match self {
            Author::Account(grant) => Some(grant.actor()),
            Author::Operator => None,
        }
    }
}

/// The text of a version: as written, and as read into its clauses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySource<'a> {
    pub source: &'a str,
    pub text: &'a PolicyText,
}

/// One version with its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    pub info: VersionInfo,
    pub source: String,
    pub text: PolicyText,
}

/// How far a unit has come in confirming a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckProgress {
    /// `None` for the people of the organisation outside any unit.
    pub unit_id: Option<UnitId>,
    pub unit_name: String,
    /// People of the unit with an account in use, outside people (委託事業者, `external`) left out:
    /// the policy binds the staff.
    pub people: i64,
    pub confirmed: i64,
}

/// Policy documents. Every change is one audit record (`policy.*`) in the same transaction.
#[async_trait::async_trait]
pub trait PolicyStore: Send + Sync {
    /// Every document, by organisation, tier and title. Callers show each only to those whom
    /// [`mamori_core::authz::ViewPolicy`] allows.
    async fn policies(&self) -> Result<Vec<Policy>>;
    async fn policy(&self, id: PolicyId) -> Result<Option<Policy>>;
    /// Every organisation's id and code, for naming a document's organisation at the command
    /// line (`mamori policy import --org CODE`).
    async fn organisation_codes(&self) -> Result<Vec<(OrgId, String)>>;
    async fn find_policy(&self, org: OrgId, tier: Tier, title: &str) -> Result<Option<Policy>>;
    /// Its versions, newest first.
    async fn versions(&self, id: PolicyId) -> Result<Vec<VersionInfo>>;
    async fn version(&self, id: PolicyId, number: i64) -> Result<Option<PolicyVersion>>;
    /// Creates a document with its first version, a draft of `text`. A second document of the
    /// same title, tier and organisation is [`Conflict::PolicyTitleTaken`](crate::Conflict::PolicyTitleTaken).
    async fn create_policy(
        &self,
        author: Author<'_>,
        input: NewPolicy,
        text: PolicySource<'_>,
        origin: &Origin,
    ) -> Result<(Policy, VersionInfo)>;
    /// Writes `text` as the document's draft by its author: it replaces the open draft,
    /// or opens a new version after the newest.
    /// A version in review is [`Conflict::PolicyInReview`](crate::Conflict::PolicyInReview).
    async fn save_draft(
        &self,
        author: Author<'_>,
        id: PolicyId,
        text: PolicySource<'_>,
        origin: &Origin,
    ) -> Result<VersionInfo>;
    /// Submits a draft for review, or returns a version in review to draft
    /// ([`Step::Submit`], [`Step::Return`]); any other step, or a state that does not allow
    /// it, is [`Conflict::PolicyWrongState`](crate::Conflict::PolicyWrongState).
    async fn step_version(
        &self,
        grant: &Granted<ManagePolicies>,
        id: PolicyId,
        number: i64,
        step: Step,
        origin: &Origin,
    ) -> Result<VersionInfo>;
    /// Approves a version in review, in force from `effective_from`: at once when that day has
    /// come (the version in force until then is superseded), else on that day. The store refuses
    /// its last editor again ([`Conflict::PolicySelfApproval`](crate::Conflict::PolicySelfApproval)).
    async fn approve_version(
        &self,
        grant: &Granted<ApprovePolicy>,
        id: PolicyId,
        number: i64,
        effective_from: NaiveDate,
        origin: &Origin,
    ) -> Result<VersionInfo>;
    /// Brings into force every approved version whose day has come; answers which.
    async fn bring_into_force(&self, origin: &Origin) -> Result<Vec<(PolicyId, i64)>>;
    /// The grant's actor confirms they have read the version in force; once per person and
    /// version ([`Conflict::PolicyAlreadyAcknowledged`](crate::Conflict::PolicyAlreadyAcknowledged)).
    async fn acknowledge(
        &self,
        grant: &Granted<AcknowledgePolicy>,
        id: PolicyId,
        number: i64,
        origin: &Origin,
    ) -> Result<i64>;
    /// When a person confirmed a version.
    async fn acknowledged_at(
        &self,
        person: PersonId,
        id: PolicyId,
        number: i64,
    ) -> Result<Option<i64>>;
    /// Per unit of the document's organisation: its people and how many have confirmed.
    async fn acknowledgement_progress(
        &self,
        grant: &Granted<ViewAcknowledgements>,
        id: PolicyId,
        number: i64,
    ) -> Result<Vec<AckProgress>>;
    /// The people of a unit (`None`: outside any unit) who have not confirmed, by name.
    async fn unacknowledged(
        &self,
        grant: &Granted<ViewAcknowledgements>,
        id: PolicyId,
        number: i64,
        unit: Option<UnitId>,
    ) -> Result<Vec<(PersonId, String)>>;
}
