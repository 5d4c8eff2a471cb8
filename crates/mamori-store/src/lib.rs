//! Persistence for mamori: one [`Store`] trait, backed by SQLite (the embedded default) or
//! PostgreSQL. SQL lives here and nowhere else.
//!
//! Architecture invariant: every change to data is written in the same transaction as its audit
//! record, so there is no change without a record and no record without its change.

mod sql;

use mamori_core::audit::{AuditEvent, AuditKey, AuditRecord, ChainBreak};
use std::net::IpAddr;

use mamori_core::asset::{AssetId, AssetKind, Disposal, Flag, Lifecycle};
use mamori_core::authz::{ApproveRelease, RequestRelease, ViewQuarantine, ViewQuarantineItem};
use mamori_core::authz::{
    AssetPlace, AssetVisibility, AssignRoles, Granted, ManageAccounts, ManageAssets,
    ManageOrganisations, ManagePeople, ManageRegister, ManageUnits, PersonPlace, ViewAssetDetail,
    ViewAssets, ViewAudit, ViewDirectory, ViewPersonDetail,
};
use mamori_core::classification::{Classification, Dimension, LevelEdit, Scale, Scales};
use mamori_core::org::{AssignmentId, Organisation, Person, Unit};
use mamori_core::release::{Direction, QuarantinedMail, ReleaseId, ReleaseRequest, ReleaseState};
use mamori_core::role::{Role, RoleAssignment, Scope};
use mamori_core::segment::{Segment, SegmentId};
use mamori_core::text::Name;
use mamori_core::{Actor, Clock, OrgId, PersonId, UnitId, UserId};

pub use sql::{Backend, SqlStore};

/// Errors of the store. `Conflict` and `NotFound` are the caller's business; `Database` is ours.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken (e.g. a second organisation with the same code).
    #[error("conflict: {0}")]
    Conflict(&'static str),
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

#[derive(Debug, Clone)]
pub struct OrganisationInput {
    pub code: String,
    pub name: Name,
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct UnitInput {
    pub org_id: OrgId,
    pub parent_id: Option<UnitId>,
    pub name: Name,
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct PersonInput {
    pub name: Name,
    pub unit_id: Option<UnitId>,
    pub title: String,
    pub email: Option<String>,
    pub phone: String,
    pub external: bool,
}

/// What anyone who may browse the directory sees of a person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PersonSummary {
    pub id: PersonId,
    pub name: String,
    pub title: String,
    pub org_id: Option<OrgId>,
    pub unit_id: Option<UnitId>,
    pub unit_name: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    pub org_id: Option<OrgId>,
    pub unit_id: Option<UnitId>,
    /// Part of the name or title.
    pub text: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// An account as the login needs it.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user_id: UserId,
    pub username: String,
    pub password_hash: String,
    pub totp_secret: Option<String>,
    pub language: String,
    pub disabled: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Account {
    pub user_id: UserId,
    pub username: String,
    pub person_id: PersonId,
    pub person_name: String,
    pub language: String,
    pub totp_enabled: bool,
    pub disabled: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: mamori_core::text::Username,
    pub person_id: PersonId,
    pub password_hash: String,
    pub language: String,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_digest: String,
    pub user_id: UserId,
    pub csrf_token: String,
    pub mfa_pending: bool,
    pub expires_at: i64,
    pub address: String,
    pub user_agent: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Session {
    pub id: i64,
    pub user_id: UserId,
    #[serde(skip)]
    pub csrf_token: String,
    pub mfa_pending: bool,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub address: String,
    pub user_agent: String,
}

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

/// Organisation, units, people and role assignments.
#[async_trait::async_trait]
pub trait DirectoryStore: Send + Sync {
    async fn list_organisations(&self, grant: &Granted<ViewDirectory>)
    -> Result<Vec<Organisation>>;
    async fn organisation(
        &self,
        grant: &Granted<ViewDirectory>,
        id: OrgId,
    ) -> Result<Option<Organisation>>;
    async fn create_organisation(
        &self,
        grant: &Granted<ManageOrganisations>,
        input: OrganisationInput,
        origin: &Origin,
    ) -> Result<Organisation>;
    async fn update_organisation(
        &self,
        grant: &Granted<ManageOrganisations>,
        id: OrgId,
        input: OrganisationInput,
        origin: &Origin,
    ) -> Result<Organisation>;

    async fn list_units(
        &self,
        grant: &Granted<ViewDirectory>,
        org: Option<OrgId>,
    ) -> Result<Vec<Unit>>;
    async fn unit(&self, grant: &Granted<ViewDirectory>, id: UnitId) -> Result<Option<Unit>>;
    /// The organisation a unit belongs to, for authorisation decisions.
    async fn unit_org(&self, id: UnitId) -> Result<Option<OrgId>>;
    async fn create_unit(
        &self,
        grant: &Granted<ManageUnits>,
        input: UnitInput,
        origin: &Origin,
    ) -> Result<Unit>;
    async fn update_unit(
        &self,
        grant: &Granted<ManageUnits>,
        id: UnitId,
        input: UnitInput,
        origin: &Origin,
    ) -> Result<Unit>;

    async fn list_people(
        &self,
        grant: &Granted<ViewDirectory>,
        filter: &PeopleFilter,
    ) -> Result<(Vec<PersonSummary>, i64)>;
    /// Where a person sits, for authorisation decisions.
    async fn person_place(&self, id: PersonId) -> Result<Option<PersonPlace>>;
    /// A person's restricted details. The read is written to the audit trail.
    async fn person(
        &self,
        grant: &Granted<ViewPersonDetail>,
        id: PersonId,
        origin: &Origin,
    ) -> Result<Option<Person>>;
    async fn create_person(
        &self,
        grant: &Granted<ManagePeople>,
        input: PersonInput,
        origin: &Origin,
    ) -> Result<Person>;
    async fn update_person(
        &self,
        grant: &Granted<ManagePeople>,
        id: PersonId,
        input: PersonInput,
        origin: &Origin,
    ) -> Result<Person>;

    async fn roles_of(
        &self,
        grant: &Granted<ViewPersonDetail>,
        person: PersonId,
    ) -> Result<Vec<RoleAssignment>>;
    async fn assignment(&self, id: AssignmentId) -> Result<Option<RoleAssignment>>;
    async fn assign_role(
        &self,
        grant: &Granted<AssignRoles>,
        person: PersonId,
        role: Role,
        scope: Scope,
        origin: &Origin,
    ) -> Result<RoleAssignment>;
    async fn revoke_role(
        &self,
        grant: &Granted<AssignRoles>,
        id: AssignmentId,
        origin: &Origin,
    ) -> Result<()>;
}

/// Accounts, sessions, second factors and API tokens.
#[async_trait::async_trait]
pub trait AccountStore: Send + Sync {
    async fn count_accounts(&self) -> Result<i64>;
    /// Creates a person, their account and their role in one step, for the operator's command
    /// line and the first start. The web never calls this; it has [`AccountStore::create_account`].
    async fn provision_account(
        &self,
        person: PersonInput,
        account: NewAccount,
        role: Option<(Role, Scope)>,
        origin: &Origin,
    ) -> Result<UserId>;
    async fn create_account(
        &self,
        grant: &Granted<ManageAccounts>,
        account: NewAccount,
        origin: &Origin,
    ) -> Result<UserId>;
    async fn list_accounts(&self, grant: &Granted<ManageAccounts>) -> Result<Vec<Account>>;
    async fn set_account_disabled(
        &self,
        grant: &Granted<ManageAccounts>,
        user: UserId,
        disabled: bool,
        origin: &Origin,
    ) -> Result<()>;
    async fn account(&self, user: UserId) -> Result<Option<Account>>;
    async fn credentials_by_name(&self, username: &str) -> Result<Option<Credentials>>;
    async fn credentials(&self, user: UserId) -> Result<Option<Credentials>>;
    /// The acting identity of an account: its person and roles. `None` when disabled or gone.
    async fn actor(&self, user: UserId) -> Result<Option<Actor>>;
    async fn set_password(&self, user: UserId, password_hash: &str, origin: &Origin) -> Result<()>;
    async fn set_language(&self, user: UserId, language: &str, origin: &Origin) -> Result<()>;
    /// Turns the second factor on (with the digests of fresh recovery codes) or off.
    async fn set_totp(
        &self,
        user: UserId,
        secret: Option<&str>,
        recovery_digests: &[String],
        origin: &Origin,
    ) -> Result<()>;
    /// Records that a TOTP time step was used; false when it (or a later one) already was, so a
    /// code cannot be replayed.
    async fn claim_totp_step(&self, user: UserId, step: i64) -> Result<bool>;
    /// Uses up a recovery code; false when unknown or already used.
    async fn use_recovery_code(&self, user: UserId, digest: &str) -> Result<bool>;
    async fn remaining_recovery_codes(&self, user: UserId) -> Result<i64>;

    async fn create_session(&self, session: NewSession) -> Result<i64>;
    /// A live session by token digest; refreshes its last-seen time.
    async fn session(&self, token_digest: &str) -> Result<Option<Session>>;
    async fn list_sessions(&self, user: UserId) -> Result<Vec<Session>>;
    /// Ends a session of this user; false when it was not theirs or not live.
    async fn revoke_session(&self, user: UserId, session_id: i64) -> Result<bool>;
    /// Ends every session of the user except `keep`.
    async fn revoke_other_sessions(&self, user: UserId, keep: Option<i64>) -> Result<u64>;

    async fn create_api_token(
        &self,
        user: UserId,
        name: &str,
        token_digest: &str,
        origin: &Origin,
    ) -> Result<i64>;
    /// The account a live API token belongs to.
    async fn api_token_user(&self, token_digest: &str) -> Result<Option<UserId>>;
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

/// A segment as stored: its id and the segment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SegmentEntry {
    pub id: SegmentId,
    #[serde(flatten)]
    pub segment: Segment,
}

/// What a form or an import says about an asset, apart from its class and disposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetInput {
    pub kind: AssetKind,
    pub name: Name,
    pub owner_unit: UnitId,
    pub administrator: Option<PersonId>,
    pub location: String,
    pub segment: Option<SegmentId>,
    pub hosts: Vec<String>,
    pub addresses: Vec<IpAddr>,
    /// Anything but `Disposed`: disposal goes through [`AssetStore::dispose_asset`] with its record.
    pub lifecycle: Lifecycle,
    pub note: String,
}

/// A new asset: its details, its class and, for imported disposed assets, the disposal record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAsset {
    pub input: AssetInput,
    pub classification: Classification,
    /// With `Some`, the asset is registered as disposed.
    pub disposal: Option<Disposal>,
}

/// One row of an import that may also change registered assets: with `id`, the asset with that
/// id is given everything the row says (details, class and disposal); without, a new asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub id: Option<AssetId>,
    pub asset: NewAsset,
}

/// What an import did. A row that names an asset and says nothing new about it leaves the asset
/// untouched (its `updated_at` too) and is counted as unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub created: Vec<AssetId>,
    pub updated: Vec<AssetId>,
    pub unchanged: Vec<AssetId>,
}

/// An asset of the register with the names of what it refers to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Asset {
    pub id: AssetId,
    pub kind: AssetKind,
    pub name: String,
    pub owner_unit_id: UnitId,
    pub owner_unit_name: String,
    pub owner_org_id: OrgId,
    pub administrator_id: Option<PersonId>,
    pub administrator_name: Option<String>,
    pub location: String,
    pub segment_id: Option<SegmentId>,
    pub segment_code: Option<String>,
    pub segment_name: Option<String>,
    pub hosts: Vec<String>,
    pub addresses: Vec<IpAddr>,
    pub lifecycle: Lifecycle,
    pub disposal: Option<Disposal>,
    pub note: String,
    pub classification: Classification,
    pub flags: Vec<Flag>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One row of the register's list. A restricted asset that the actor may not see in detail but
/// whose existence is visible is listed with `detail_hidden` and without its where-abouts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AssetRow {
    pub id: AssetId,
    pub kind: AssetKind,
    pub name: String,
    pub owner_unit_id: UnitId,
    pub owner_unit_name: String,
    pub segment_code: Option<String>,
    pub segment_name: Option<String>,
    pub lifecycle: Lifecycle,
    pub classification: Classification,
    pub flagged: bool,
    pub detail_hidden: bool,
    pub updated_at: i64,
}

/// How the register's list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssetSort {
    #[default]
    Name,
    Kind,
    /// Most confidential first.
    Class,
    /// Most recently changed first.
    Updated,
}

impl AssetSort {
    pub const ALL: [AssetSort; 4] = [
        AssetSort::Name,
        AssetSort::Kind,
        AssetSort::Class,
        AssetSort::Updated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssetSort::Name => "name",
            AssetSort::Kind => "kind",
            AssetSort::Class => "class",
            AssetSort::Updated => "updated",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }
}

#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    pub kind: Option<AssetKind>,
    pub owner_unit: Option<UnitId>,
    pub segment: Option<SegmentId>,
    pub confidentiality: Option<String>,
    pub integrity: Option<String>,
    pub availability: Option<String>,
    pub lifecycle: Option<Lifecycle>,
    /// Part of the name, location, host names, addresses or notes.
    pub text: Option<String>,
    pub flagged_only: bool,
    pub sort: AssetSort,
    pub offset: i64,
    pub limit: i64,
}

/// One bar of the summary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SummaryCount {
    /// Level code, segment code or unit id; empty for "none".
    pub key: String,
    pub label: String,
    pub count: i64,
}

/// What switching the 3A/3B/3C split did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitOutcome {
    pub scales: Scales,
    /// Whether the scale changed (false: it already was as asked).
    pub changed: bool,
    /// Assets moved to another level.
    pub moved: i64,
}

/// The register in numbers, computed by the database.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AssetSummary {
    pub total: i64,
    pub flagged: i64,
    pub by_confidentiality: Vec<SummaryCount>,
    pub by_segment: Vec<SummaryCount>,
    pub by_owner_unit: Vec<SummaryCount>,
}

/// 情報資産台帳: assets, segments and classification scales.
#[async_trait::async_trait]
pub trait AssetStore: Send + Sync {
    /// A page of the register and the number of assets that match. Restricted assets outside
    /// `visibility` are left out, or listed as hidden where their level lets others know of them.
    async fn list_assets(
        &self,
        grant: &Granted<ViewAssets>,
        visibility: &AssetVisibility,
        filter: &AssetFilter,
    ) -> Result<(Vec<AssetRow>, i64)>;
    /// Where an asset sits and how its class restricts it, for authorisation decisions.
    async fn asset_place(&self, id: AssetId) -> Result<Option<AssetPlace>>;
    /// One asset. A read of a restricted asset is written to the audit trail.
    async fn asset(
        &self,
        grant: &Granted<ViewAssetDetail>,
        id: AssetId,
        origin: &Origin,
    ) -> Result<Option<Asset>>;
    async fn create_asset(
        &self,
        grant: &Granted<ManageAssets>,
        asset: NewAsset,
        origin: &Origin,
    ) -> Result<Asset>;
    async fn update_asset(
        &self,
        grant: &Granted<ManageAssets>,
        id: AssetId,
        input: AssetInput,
        origin: &Origin,
    ) -> Result<Asset>;
    async fn reclassify_asset(
        &self,
        grant: &Granted<ManageAssets>,
        id: AssetId,
        classification: Classification,
        reason: &str,
        origin: &Origin,
    ) -> Result<Asset>;
    async fn dispose_asset(
        &self,
        grant: &Granted<ManageAssets>,
        id: AssetId,
        disposal: Disposal,
        origin: &Origin,
    ) -> Result<Asset>;
    /// Registers every asset or none, in one transaction with one audit record.
    async fn import_assets(
        &self,
        grant: &Granted<ManageRegister>,
        assets: Vec<NewAsset>,
        origin: &Origin,
    ) -> Result<Vec<AssetId>>;
    /// Registers the rows without an id and rewrites the assets named by the others, every row
    /// or none, in one transaction with one audit record (`asset.import`). An id that is not
    /// registered is `NotFound`; an id named twice is a `Conflict`.
    async fn import_assets_upsert(
        &self,
        grant: &Granted<ManageRegister>,
        rows: Vec<ImportRow>,
        origin: &Origin,
    ) -> Result<ImportOutcome>;
    /// Every asset of the register, by id, for an import to compare against. Not audited: the
    /// caller shows none of it.
    async fn all_assets(&self, grant: &Granted<ManageRegister>) -> Result<Vec<Asset>>;
    /// Every asset of the register, by id, for a download; the export is written to the audit
    /// trail (`asset.export`) with the number of assets.
    async fn export_assets(
        &self,
        grant: &Granted<ManageRegister>,
        origin: &Origin,
    ) -> Result<Vec<Asset>>;
    async fn asset_summary(&self, grant: &Granted<ViewAssets>) -> Result<AssetSummary>;

    async fn list_segments(&self, grant: &Granted<ViewAssets>) -> Result<Vec<SegmentEntry>>;
    async fn segment(
        &self,
        grant: &Granted<ViewAssets>,
        id: SegmentId,
    ) -> Result<Option<SegmentEntry>>;
    async fn create_segment(
        &self,
        grant: &Granted<ManageRegister>,
        segment: Segment,
        origin: &Origin,
    ) -> Result<SegmentEntry>;
    /// Changes a segment and re-flags the assets in it.
    async fn update_segment(
        &self,
        grant: &Granted<ManageRegister>,
        id: SegmentId,
        segment: Segment,
        origin: &Origin,
    ) -> Result<SegmentEntry>;
    /// Removes a segment that no asset lives in.
    async fn delete_segment(
        &self,
        grant: &Granted<ManageRegister>,
        id: SegmentId,
        origin: &Origin,
    ) -> Result<()>;

    /// The scales in force.
    async fn scales(&self) -> Result<Scales>;
    /// Replaces one scale (validated) and re-flags every asset.
    async fn update_scale(
        &self,
        grant: &Granted<ManageRegister>,
        scale: Scale,
        origin: &Origin,
    ) -> Result<Scales>;
    /// Changes one level's name, definition and handling rules (its code and rank stay) and
    /// re-flags the assets of that level, in one transaction with its audit record
    /// (`classification.level_update`, with the level before and after). `NotFound` for a level
    /// the scale does not have; `Conflict("level.invalid")` for an edit that
    /// [`LevelEdit::validate`] refuses against the registered segments.
    async fn update_level(
        &self,
        grant: &Granted<ManageRegister>,
        dimension: Dimension,
        code: &str,
        edit: LevelEdit,
        origin: &Origin,
    ) -> Result<Scales>;
    /// Switches the 3A/3B/3C split of 機密性3 on (`split`) or off in one transaction with its
    /// audit record (`classification.split`). On: 3 becomes the split levels and every 機密性3
    /// asset moves to `existing_to` (3A, 3B or 3C) flagged for review (分割後の再確認が必要)
    /// until it is reclassified. Off: 3A/3B/3C become 3 again and their assets move back. The
    /// other levels stay as the site has them. Asking for the state already in force changes
    /// nothing and writes no record.
    async fn switch_split(
        &self,
        grant: &Granted<ManageRegister>,
        split: bool,
        existing_to: &str,
        origin: &Origin,
    ) -> Result<SplitOutcome>;
    /// How many assets wait for review after the split.
    async fn split_review_count(&self, grant: &Granted<ViewAssets>) -> Result<i64>;
}

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
    /// Files a request as the grant's actor. A second open request of the same address for the
    /// same message is `Conflict("release.already_open")`.
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
    /// the requester as approver again (`Conflict("release.self_approval")`), and a request
    /// that is no longer pending (`Conflict("release.not_pending")`).
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
    /// Every readable entry, newest first; damaged entries are left out (and logged).
    async fn entries(&self) -> Result<Vec<QuarantinedMail>>;
    /// The entry an id from outside names (a part id of a notice block included); `None` for
    /// an id that is malformed or names nothing.
    async fn entry(&self, id: &str) -> Result<Option<QuarantinedMail>>;
    /// A release was approved: the delivery need not wait for its next poll.
    fn release_approved(&self) {}
}

/// Everything mamori keeps.
#[async_trait::async_trait]
pub trait Store: DirectoryStore + AccountStore + AuditStore + AssetStore + ReleaseStore {
    fn backend(&self) -> Backend;
    /// A consistent copy of the whole database while it is in use.
    async fn backup(&self, to: &std::path::Path) -> Result<()>;
    async fn ping(&self) -> Result<()>;
}
