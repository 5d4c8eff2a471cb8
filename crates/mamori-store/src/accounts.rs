//! Accounts, their sessions, second factors and API tokens.

use mamori_core::authz::{Granted, ManageAccounts};
use mamori_core::role::{Role, Scope};
use mamori_core::{Actor, PersonId, UserId};

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
