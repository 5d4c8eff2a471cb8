//! Accounts, their sessions, second factors and API tokens.

use mamori_core::authz::{Granted, ManageAccounts};
use mamori_core::role::{Role, Scope};
use mamori_core::text::Name;
use mamori_core::{Actor, PersonId, UnitId, UserId};

use crate::directory::PersonInput;
use crate::{Origin, Result};

/// An account as the login needs it.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user_id: UserId,
    pub username: String,
    pub password_hash: String,
    pub totp_secret: Option<String>,
    pub language: String,
    pub disabled: bool,
    /// The password was made known to someone else (printed at the first start): it must be
    /// changed before the account does anything else.
    pub must_change_password: bool,
    /// The account's password is the directory's (ディレクトリ認証): its DN there. `None` for a
    /// local account, whose password is checked here.
    pub directory_dn: Option<String>,
}

/// What `password_hash` holds for an account whose password is the directory's: not a hash, so
/// no password matches it.
pub const DIRECTORY_PASSWORD: &str = "!directory";

/// A person the directory vouched for at a login, as the directory describes them.
#[derive(Debug, Clone)]
pub struct DirectoryAccount {
    pub username: mamori_core::text::Username,
    pub dn: String,
    /// The person's name, for their record when the account is made.
    pub name: Name,
    /// Kept when the account is made and no other person has it.
    pub email: Option<String>,
    /// Where the person is placed when the account is made.
    pub unit_id: Option<UnitId>,
    /// Every role the directory's groups give; the account holds exactly these.
    pub roles: Vec<(Role, Scope)>,
}

/// What a directory login changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectorySync {
    /// The first login: the person, the account and its roles were made.
    Created,
    /// The roles were brought in line with the directory's groups.
    RolesChanged,
    Unchanged,
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
    /// The account's password is the directory's: its DN there.
    pub directory_dn: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: mamori_core::text::Username,
    pub person_id: PersonId,
    pub password_hash: String,
    pub language: String,
    /// Someone else knows the password (it was printed or generated for the account): the
    /// account changes it before it does anything else.
    pub must_change_password: bool,
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
    /// The account must change its password before anything else (read with the session).
    #[serde(skip)]
    pub must_change_password: bool,
}

/// A new API token. The token itself is shown once to whoever made it; only its digest is kept.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub user_id: UserId,
    pub name: Name,
    pub token_digest: String,
    /// Milliseconds since the epoch; every token has one (see `credentials::token_expiry`).
    pub expires_at: i64,
    /// The token may only read (`GET`) through the API.
    pub read_only: bool,
}

/// An API token as listed: never its digest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: UserId,
    pub username: String,
    pub name: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// Kept to the minute: a token's use writes at most once a minute.
    pub last_used_at: Option<i64>,
    pub read_only: bool,
}

impl ApiToken {
    /// Whether the token still opens the API at `now_ms` (listed tokens are never revoked).
    pub fn is_live(&self, now_ms: i64) -> bool {
        self.expires_at > now_ms
    }
}

/// A presented token that is live (neither revoked nor expired): whose it is and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveToken {
    pub id: i64,
    pub user_id: UserId,
    pub read_only: bool,
    /// Its account must change its password before anything else.
    pub must_change_password: bool,
    /// Who the token speaks for, read with it; `None` when its account is disabled.
    pub actor: Option<Actor>,
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
    /// Disabling ends the account's sessions and revokes its API tokens in the same write.
    async fn set_account_disabled(
        &self,
        grant: &Granted<ManageAccounts>,
        user: UserId,
        disabled: bool,
        origin: &Origin,
    ) -> Result<()>;
    async fn account(&self, user: UserId) -> Result<Option<Account>>;
    /// After the directory took a person's password: makes their person, account and roles at
    /// the first login, and afterwards gives the account exactly the roles the directory's
    /// groups give, in one audited write when anything changes. A local account of the same name
    /// is `Conflict::AccountNotFromDirectory`.
    async fn sync_directory_account(
        &self,
        account: DirectoryAccount,
        origin: &Origin,
    ) -> Result<(UserId, DirectorySync)>;
    /// Disables a directory account because the directory says so (`reason`), ending its
    /// sessions and revoking its API tokens in the same write; false when it was already.
    async fn disable_directory_account(
        &self,
        user: UserId,
        reason: &str,
        origin: &Origin,
    ) -> Result<bool>;
    async fn credentials_by_name(&self, username: &str) -> Result<Option<Credentials>>;
    /// The accounts whose password is the directory's and that are not disabled, by name: what
    /// the periodic directory check asks the directory about.
    async fn directory_accounts(&self) -> Result<Vec<Credentials>>;
    async fn credentials(&self, user: UserId) -> Result<Option<Credentials>>;
    /// The acting identity of an account: its person and roles. `None` when disabled or gone.
    async fn actor(&self, user: UserId) -> Result<Option<Actor>>;
    /// Sets a new password, clears the mark that it must be changed, and revokes every API token
    /// of the account, in one audited write.
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
    /// A live session by token digest, with the acting identity of its account as
    /// [`actor`](Self::actor) gives it (`None` while the second factor is pending, or when the
    /// account is disabled); refreshes its last-seen time. One read: every page asks for it.
    async fn session(&self, token_digest: &str) -> Result<Option<(Session, Option<Actor>)>>;
    async fn list_sessions(&self, user: UserId) -> Result<Vec<Session>>;
    /// Ends a session of this user; false when it was not theirs or not live.
    async fn revoke_session(&self, user: UserId, session_id: i64) -> Result<bool>;
    /// Ends every session of the user except `keep`.
    async fn revoke_other_sessions(&self, user: UserId, keep: Option<i64>) -> Result<u64>;

    async fn create_api_token(&self, token: NewApiToken, origin: &Origin) -> Result<i64>;
    /// The live token with this digest; notes its use, at most once a minute.
    async fn live_api_token(&self, token_digest: &str) -> Result<Option<LiveToken>>;
    /// The tokens not revoked, of one account or of all, expired ones included, newest first.
    async fn list_api_tokens(&self, user: Option<UserId>) -> Result<Vec<ApiToken>>;
    /// Revokes a token: of `owner` only when one is named (a person's own page), any token when
    /// not (the operator's command line). `NotFound` when there is no such token not yet revoked.
    async fn revoke_api_token(
        &self,
        id: i64,
        owner: Option<UserId>,
        origin: &Origin,
    ) -> Result<ApiToken>;
}
