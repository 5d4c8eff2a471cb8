//! Accounts on SQL: credentials, sessions, second factors and API tokens.

use mamori_core::authz::{Granted, ManageAccounts};
use mamori_core::role::{Role, Scope};
use mamori_core::{Actor, OrgId, PersonId, UnitId, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::directory::{assignment_from, role_and_scope, unit_org_for};
use super::{SqlStore, conflict, opt_id};
use crate::{
    Account, AccountStore, ApiToken, Conflict, Credentials, DIRECTORY_PASSWORD, DirectoryAccount,
    DirectoryStore, DirectorySync, LiveToken, NewAccount, NewApiToken, NewSession, Origin,
    PersonInput, Result, Session, StoreError,
};

/// The acting identity of `user` from the rows of [`ACTOR_COLUMNS`]: `None` when there are none
/// or the account is disabled.
fn actor_from(user: UserId, rows: &[AnyRow]) -> Result<Option<Actor>> {
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    if row.try_get::<i64, _>("disabled")? != 0 {
        return Ok(None);
    }
    let mut roles = Vec::new();
    for row in rows {
        // A person without roles is one row whose role columns are null.
        if row.try_get::<Option<String>, _>("role")?.is_some() {
            roles.push(role_and_scope(row)?);
        }
    }
    Ok(Some(Actor {
        user_id: user,
        person_id: PersonId(row.try_get("person_id")?),
        username: row.try_get("username")?,
        org_id: opt_id(row, "org_id")?.map(OrgId),
        unit_id: opt_id(row, "unit_id")?.map(UnitId),
        roles,
        contract: Default::default(),
    }))
}

fn session_from(row: &AnyRow) -> Result<Session> {
    Ok(Session {
        id: row.try_get("id")?,
        user_id: UserId(row.try_get("user_id")?),
        csrf_token: row.try_get("csrf_token")?,
        mfa_pending: row.try_get::<i64, _>("mfa_pending")? != 0,
        created_at: row.try_get("created_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        expires_at: row.try_get("expires_at")?,
        address: row.try_get("address")?,
        user_agent: row.try_get("user_agent")?,
        must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
    })
}

fn api_token_from(row: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        user_id: UserId(row.try_get("user_id")?),
        username: row.try_get("username")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        last_used_at: row.try_get("last_used_at")?,
        read_only: row.try_get::<i64, _>("read_only")? != 0,
    })
}

fn credentials_from(row: &AnyRow) -> Result<Credentials> {
    Ok(Credentials {
        user_id: UserId(row.try_get("id")?),
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        totp_secret: row.try_get("totp_secret")?,
        language: row.try_get("language")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
        directory_dn: row.try_get("directory_dn")?,
    })
}

fn account_from(row: &AnyRow) -> Result<Account> {
    Ok(Account {
        user_id: UserId(row.try_get("id")?),
        username: row.try_get("username")?,
        person_id: PersonId(row.try_get("person_id")?),
        person_name: row.try_get("person_name")?,
        language: row.try_get("language")?,
        totp_enabled: row.try_get::<Option<String>, _>("totp_secret")?.is_some(),
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: row.try_get("created_at")?,
        directory_dn: row.try_get("directory_dn")?,
    })
}

const CREDENTIAL_COLUMNS: &str = "id, username, password_hash, totp_secret, language, disabled, must_change_password, directory_dn";
/// What [`session_from`] reads, of a session (`s`) and its account (`u`, whose mark of a password
/// to change comes with it, so that one read tells the web both).
const SESSION_COLUMNS: &str = "s.id, s.user_id, s.csrf_token, s.mfa_pending, s.created_at, \
     s.last_seen_at, s.expires_at, s.address, s.user_agent, u.must_change_password";
/// What [`actor_from`] reads of an account (`u`), beside [`ACTOR_JOINS`].
const ACTOR_COLUMNS: &str = "u.username, u.person_id, u.disabled, p.org_id, p.unit_id, r.role, \
     r.scope_kind, r.scope_id";
/// The account's person and roles, one row per role (one row of nulls for none).
const ACTOR_JOINS: &str =
    "JOIN people p ON p.id = u.person_id LEFT JOIN role_assignments r ON r.person_id = u.person_id";
const API_TOKEN_FROM: &str = "SELECT t.id, t.user_id, u.username, t.name, t.created_at, \
     t.expires_at, t.last_used_at, t.read_only FROM api_tokens t JOIN users u ON u.id = t.user_id";
/// A token's use is noted at most this often (milliseconds), so that API calls do not all write.
const TOKEN_USE_GRANULARITY_MS: i64 = 60_000;

impl SqlStore {
    async fn insert_account(
        tx: &mut Transaction<'static, Any>,
        account: &NewAccount,
        now: i64,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO users (username, person_id, password_hash, language, created_at, password_changed_at, must_change_password) \
             VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id",
        )
        .bind(account.username.as_str())
        .bind(account.person_id.0)
        .bind(&account.password_hash)
        .bind(&account.language)
        .bind(now)
        .bind(i64::from(account.must_change_password))
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| conflict(e, Conflict::AccountUsernameTaken))?;
        Ok(row.try_get("id")?)
    }

    /// Revokes every live API token of the account inside `write`; answers how many.
    async fn revoke_all_tokens(
        tx: &mut Transaction<'static, Any>,
        user: UserId,
        now: i64,
    ) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(user.0)
        .execute(&mut **tx)
        .await?;
        Ok(done.rows_affected())
    }
}

#[async_trait::async_trait]
impl AccountStore for SqlStore {
    async fn count_accounts(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    async fn provision_account(
        &self,
        person: PersonInput,
        mut account: NewAccount,
        role: Option<(Role, Scope)>,
        origin: &Origin,
    ) -> Result<UserId> {
        let org = unit_org_for(&self.pool, person.unit_id).await?;
        if let Some((_, scope)) = &role {
            self.check_scope_exists(scope).await?;
        }
        let mut write = self.begin_write().await?;
        let person_id = Self::insert_person(&mut write.tx, &person, org, write.at_ms).await?;
        account.person_id = PersonId(person_id);
        let user_id = Self::insert_account(&mut write.tx, &account, write.at_ms).await?;
        if let Some((role, scope)) = &role {
            Self::insert_assignment(
                &mut write.tx,
                PersonId(person_id),
                *role,
                scope,
                write.at_ms,
            )
            .await?;
        }
        let event = origin
            .event("account.provision", "user", user_id)
            .in_unit(person.unit_id)
            .with_detail(serde_json::json!({
                "username": account.username,
                "person_id": person_id,
                "role": role.as_ref().map(|(r, s)| serde_json::json!({"role": r, "scope": s})),
                "must_change_password": account.must_change_password,
            }));
        self.commit(write, event).await?;
        Ok(UserId(user_id))
    }

    async fn create_account(
        &self,
        _: &Granted<ManageAccounts>,
        account: NewAccount,
        origin: &Origin,
    ) -> Result<UserId> {
        let place = self
            .person_place(account.person_id)
            .await?
            .ok_or(StoreError::Conflict(Conflict::AccountPersonMissing))?;
        let mut write = self.begin_write().await?;
        let taken = sqlx::query("SELECT id FROM users WHERE person_id = $1")
            .bind(account.person_id.0)
            .fetch_optional(&mut *write.tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(Conflict::AccountPersonHasAccount));
        }
        let user_id = Self::insert_account(&mut write.tx, &account, write.at_ms).await?;
        let event = origin
            .event("account.create", "user", user_id)
            .in_unit(place.unit_id)
            .with_detail(serde_json::json!({
                "username": account.username,
                "person_id": account.person_id,
                "must_change_password": account.must_change_password,
            }));
        self.commit(write, event).await?;
        Ok(UserId(user_id))
    }

    async fn list_accounts(&self, _: &Granted<ManageAccounts>) -> Result<Vec<Account>> {
        sqlx::query(
            "SELECT u.id, u.username, u.person_id, p.name AS person_name, u.language, u.totp_secret, u.disabled, u.created_at, u.directory_dn \
             FROM users u JOIN people p ON p.id = u.person_id ORDER BY u.username",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(account_from)
        .collect()
    }

    async fn set_account_disabled(
        &self,
        _: &Granted<ManageAccounts>,
        user: UserId,
        disabled: bool,
        origin: &Origin,
    ) -> Result<()> {
        let mut write = self.begin_write().await?;
        let done = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(user.0)
            .execute(&mut *write.tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let mut event = origin.event("account.enable", "user", user);
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.0)
                .execute(&mut *write.tx)
                .await?;
            let revoked = Self::revoke_all_tokens(&mut write.tx, user, write.at_ms).await?;
            event = origin
                .event("account.disable", "user", user)
                .with_detail(serde_json::json!({"tokens_revoked": revoked}));
        }
        self.commit(write, event).await?;
        Ok(())
    }

    async fn account(&self, user: UserId) -> Result<Option<Account>> {
        sqlx::query(
            "SELECT u.id, u.username, u.person_id, p.name AS person_name, u.language, u.totp_secret, u.disabled, u.created_at, u.directory_dn \
             FROM users u JOIN people p ON p.id = u.person_id WHERE u.id = $1",
        )
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(account_from)
        .transpose()
    }

    async fn sync_directory_account(
        &self,
        account: DirectoryAccount,
        origin: &Origin,
    ) -> Result<(UserId, DirectorySync)> {
        let org = unit_org_for(&self.pool, account.unit_id).await?;
        for (_, scope) in &account.roles {
            self.check_scope_exists(scope).await?;
        }
        let mut write = self.begin_write().await?;
        let existing =
            sqlx::query("SELECT id, person_id, directory_dn FROM users WHERE username = $1")
                .bind(account.username.as_str())
                .fetch_optional(&mut *write.tx)
                .await?;
        let roles_json = |roles: &[(Role, Scope)]| {
            roles
                .iter()
                .map(|(r, s)| serde_json::json!({"role": r, "scope": s}))
                .collect::<Vec<_>>()
        };
        let Some(existing) = existing else {
            // The address is kept only when it names nobody else: it is what releases of
            // quarantined mail are keyed on.
            let email = match &account.email {
                Some(email) => sqlx::query("SELECT id FROM people WHERE lower(email) = $1")
                    .bind(email.to_lowercase())
                    .fetch_optional(&mut *write.tx)
                    .await?
                    .is_none()
                    .then(|| email.clone()),
                None => None,
            };
            let person = PersonInput {
                name: account.name.clone(),
                unit_id: account.unit_id,
                title: String::new(),
                email,
                phone: String::new(),
                external: false,
            };
            let person_id =
                PersonId(Self::insert_person(&mut write.tx, &person, org, write.at_ms).await?);
            let new = NewAccount {
                username: account.username.clone(),
                person_id,
                password_hash: DIRECTORY_PASSWORD.to_owned(),
                language: "ja".to_owned(),
                must_change_password: false,
            };
            let user_id = Self::insert_account(&mut write.tx, &new, write.at_ms).await?;
            sqlx::query("UPDATE users SET directory_dn = $1 WHERE id = $2")
                .bind(&account.dn)
                .bind(user_id)
                .execute(&mut *write.tx)
                .await?;
            for (role, scope) in &account.roles {
                Self::insert_assignment(&mut write.tx, person_id, *role, scope, write.at_ms)
                    .await?;
            }
            let event = origin
                .event("account.directory_create", "user", user_id)
                .in_unit(account.unit_id)
                .with_detail(serde_json::json!({
                    "username": account.username,
                    "dn": account.dn,
                    "person_id": person_id,
                    "roles": roles_json(&account.roles),
                }));
            self.commit(write, event).await?;
            return Ok((UserId(user_id), DirectorySync::Created));
        };
        let user = UserId(existing.try_get("id")?);
        let person = PersonId(existing.try_get("person_id")?);
        let Some(dn) = existing.try_get::<Option<String>, _>("directory_dn")? else {
            return Err(StoreError::Conflict(Conflict::AccountNotFromDirectory));
        };
        let held = sqlx::query(
            "SELECT id, person_id, role, scope_kind, scope_id FROM role_assignments \
             WHERE person_id = $1 ORDER BY id",
        )
        .bind(person.0)
        .fetch_all(&mut *write.tx)
        .await?
        .iter()
        .map(assignment_from)
        .collect::<Result<Vec<_>>>()?;
        let removed: Vec<_> = held
            .iter()
            .filter(|a| {
                !account
                    .roles
                    .iter()
                    .any(|(r, s)| *r == a.role && *s == a.scope)
            })
            .collect();
        let added: Vec<_> = account
            .roles
            .iter()
            .filter(|(r, s)| !held.iter().any(|a| a.role == *r && a.scope == *s))
            .cloned()
            .collect();
        if removed.is_empty() && added.is_empty() && dn == account.dn {
            // Nothing to write: the transaction ends without taking its place in the chain.
            write.tx.rollback().await?;
            return Ok((user, DirectorySync::Unchanged));
        }
        for assignment in &removed {
            sqlx::query("DELETE FROM role_assignments WHERE id = $1")
                .bind(assignment.id.0)
                .execute(&mut *write.tx)
                .await?;
        }
        for (role, scope) in &added {
            Self::insert_assignment(&mut write.tx, person, *role, scope, write.at_ms).await?;
        }
        sqlx::query("UPDATE users SET directory_dn = $1 WHERE id = $2")
            .bind(&account.dn)
            .bind(user.0)
            .execute(&mut *write.tx)
            .await?;
        let removed: Vec<(Role, Scope)> = removed
            .into_iter()
            .map(|a| (a.role, a.scope.clone()))
            .collect();
        let event = origin
            .event("account.directory_roles", "user", user)
            .with_detail(serde_json::json!({
                "dn": account.dn,
                "added": roles_json(&added),
                "removed": roles_json(&removed),
            }));
        self.commit(write, event).await?;
        Ok((user, DirectorySync::RolesChanged))
    }

    async fn disable_directory_account(
        &self,
        user: UserId,
        reason: &str,
        origin: &Origin,
    ) -> Result<bool> {
        let mut write = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE users SET disabled = 1 WHERE id = $1 AND disabled = 0 AND directory_dn IS NOT NULL",
        )
        .bind(user.0)
        .execute(&mut *write.tx)
        .await?;
        if done.rows_affected() == 0 {
            write.tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *write.tx)
            .await?;
        let revoked = Self::revoke_all_tokens(&mut write.tx, user, write.at_ms).await?;
        let event = origin
            .event("account.disable", "user", user)
            .with_detail(serde_json::json!({
                "by": "directory",
                "reason": reason,
                "tokens_revoked": revoked,
            }));
        self.commit(write, event).await?;
        Ok(true)
    }

    async fn credentials_by_name(&self, username: &str) -> Result<Option<Credentials>> {
        sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM users WHERE username = $1"
        ))
        .bind(username.to_ascii_lowercase())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(credentials_from)
        .transpose()
    }

    async fn directory_accounts(&self) -> Result<Vec<Credentials>> {
        sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM users \
             WHERE directory_dn IS NOT NULL AND disabled = 0 ORDER BY username"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(credentials_from)
        .collect()
    }

    async fn credentials(&self, user: UserId) -> Result<Option<Credentials>> {
        sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM users WHERE id = $1"
        ))
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(credentials_from)
        .transpose()
    }

    async fn actor(&self, user: UserId) -> Result<Option<Actor>> {
        let rows = sqlx::query(&format!(
            "SELECT {ACTOR_COLUMNS} FROM users u {ACTOR_JOINS} WHERE u.id = $1 ORDER BY r.id"
        ))
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        actor_from(user, &rows)
    }

    async fn set_password(&self, user: UserId, password_hash: &str, origin: &Origin) -> Result<()> {
        let mut write = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, password_changed_at = $2, must_change_password = 0 \
             WHERE id = $3",
        )
        .bind(password_hash)
        .bind(write.at_ms)
        .bind(user.0)
        .execute(&mut *write.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // A token made under the old password must not outlive it.
        let revoked = Self::revoke_all_tokens(&mut write.tx, user, write.at_ms).await?;
        let event = origin
            .event("account.password_change", "user", user)
            .with_detail(serde_json::json!({"tokens_revoked": revoked}));
        self.commit(write, event).await?;
        Ok(())
    }

    async fn set_language(&self, user: UserId, language: &str, origin: &Origin) -> Result<()> {
        let mut write = self.begin_write().await?;
        let done = sqlx::query("UPDATE users SET language = $1 WHERE id = $2")
            .bind(language)
            .bind(user.0)
            .execute(&mut *write.tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let event = origin
            .event("account.language", "user", user)
            .with_detail(serde_json::json!({"language": language}));
        self.commit(write, event).await?;
        Ok(())
    }

    async fn set_totp(
        &self,
        user: UserId,
        secret: Option<&str>,
        recovery_digests: &[String],
        origin: &Origin,
    ) -> Result<()> {
        let mut write = self.begin_write().await?;
        let done =
            sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = 0 WHERE id = $2")
                .bind(secret.map(str::to_owned))
                .bind(user.0)
                .execute(&mut *write.tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *write.tx)
            .await?;
        for digest in recovery_digests {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_digest) VALUES ($1, $2)")
                .bind(user.0)
                .bind(digest)
                .execute(&mut *write.tx)
                .await?;
        }
        let action = if secret.is_some() {
            "account.totp_enable"
        } else {
            "account.totp_disable"
        };
        self.commit(write, origin.event(action, "user", user))
            .await?;
        Ok(())
    }

    async fn claim_totp_step(&self, user: UserId, step: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1",
        )
        .bind(step)
        .bind(user.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn use_recovery_code(&self, user: UserId, digest: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_digest = $3 AND used_at IS NULL")
            .bind(self.clock.now_ms())
            .bind(user.0)
            .bind(digest)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn remaining_recovery_codes(&self, user: UserId) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user.0)
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?)
    }

    async fn create_session(&self, session: NewSession) -> Result<i64> {
        let now = self.clock.now_ms();
        // Expired sessions are never live again; a login clears its account's old ones so the
        // table does not grow with every login ever made.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
            .bind(session.user_id.0)
            .bind(now)
            .execute(&self.pool)
            .await?;
        let row = sqlx::query(
            "INSERT INTO sessions (token_digest, user_id, csrf_token, mfa_pending, created_at, last_seen_at, expires_at, address, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&session.token_digest)
        .bind(session.user_id.0)
        .bind(&session.csrf_token)
        .bind(i64::from(session.mfa_pending))
        .bind(now)
        .bind(session.expires_at)
        .bind(&session.address)
        .bind(&session.user_agent)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("id")?)
    }

    async fn session(&self, token_digest: &str) -> Result<Option<(Session, Option<Actor>)>> {
        let now = self.clock.now_ms();
        // The session, its account and the account's roles in one read, with the count of
        // changes to what the register's pages show beside their rows (`reference`).
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS}, {ACTOR_COLUMNS}, \
             (SELECT n FROM reference_version WHERE id = 1) AS reference_version \
             FROM sessions s JOIN users u ON u.id = s.user_id {ACTOR_JOINS} \
             WHERE s.token_digest = $1 AND s.expires_at > $2 ORDER BY r.id"
        ))
        .bind(token_digest)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let session = session_from(first)?;
        self.reference
            .saw(first.try_get::<Option<i64>, _>("reference_version")?, now);
        let actor = match session.mfa_pending {
            true => None,
            false => actor_from(session.user_id, &rows)?,
        };
        // Refresh the last-seen time at most once a minute, so that page views do not all write.
        if now - session.last_seen_at > 60_000 {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
                .bind(now)
                .bind(session.id)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some((session, actor)))
    }

    async fn list_sessions(&self, user: UserId) -> Result<Vec<Session>> {
        sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.user_id = $1 AND s.expires_at > $2 ORDER BY s.last_seen_at DESC"
        ))
        .bind(user.0)
        .bind(self.clock.now_ms())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(session_from)
        .collect()
    }

    async fn revoke_session(&self, user: UserId, session_id: i64) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2 AND expires_at > $3")
                .bind(session_id)
                .bind(user.0)
                .bind(self.clock.now_ms())
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn revoke_other_sessions(&self, user: UserId, keep: Option<i64>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user.0)
            .bind(keep.unwrap_or(-1))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn create_api_token(&self, token: NewApiToken, origin: &Origin) -> Result<i64> {
        let mut write = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO api_tokens (user_id, name, token_digest, created_at, expires_at, read_only) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(token.user_id.0)
        .bind(token.name.as_str())
        .bind(&token.token_digest)
        .bind(write.at_ms)
        .bind(token.expires_at)
        .bind(i64::from(token.read_only))
        .fetch_one(&mut *write.tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
            _ => conflict(e, Conflict::ApiTokenDigestTaken),
        })?;
        let id: i64 = row.try_get("id")?;
        let event = origin
            .event("api_token.create", "user", token.user_id)
            .with_detail(serde_json::json!({
                "token_id": id,
                "name": token.name,
                "expires_at": token.expires_at,
                "read_only": token.read_only,
            }));
        self.commit(write, event).await?;
        Ok(id)
    }

    async fn live_api_token(&self, token_digest: &str) -> Result<Option<LiveToken>> {
        let now = self.clock.now_ms();
        // The token, its account and the account's roles in one read, with the count of changes
        // to what the register's pages show beside their rows (`reference`).
        let rows = sqlx::query(&format!(
            "SELECT t.id, t.user_id, t.read_only, t.last_used_at, u.must_change_password, \
             {ACTOR_COLUMNS}, (SELECT n FROM reference_version WHERE id = 1) AS reference_version \
             FROM api_tokens t JOIN users u ON u.id = t.user_id {ACTOR_JOINS} \
             WHERE t.token_digest = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 \
             ORDER BY r.id"
        ))
        .bind(token_digest)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        self.reference
            .saw(row.try_get::<Option<i64>, _>("reference_version")?, now);
        let user_id = UserId(row.try_get("user_id")?);
        let token = LiveToken {
            id: row.try_get("id")?,
            user_id,
            read_only: row.try_get::<i64, _>("read_only")? != 0,
            must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
            actor: actor_from(user_id, &rows)?,
        };
        let last_used: Option<i64> = row.try_get("last_used_at")?;
        if last_used.is_none_or(|at| now - at > TOKEN_USE_GRANULARITY_MS) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(token.id)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(token))
    }

    async fn list_api_tokens(&self, user: Option<UserId>) -> Result<Vec<ApiToken>> {
        // Everyone's tokens when no account is named: user ids start at 1.
        sqlx::query(&format!(
            "{API_TOKEN_FROM} WHERE t.revoked_at IS NULL AND ($1 = 0 OR t.user_id = $1) \
             ORDER BY t.id DESC"
        ))
        .bind(user.map_or(0, |u| u.0))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(api_token_from)
        .collect()
    }

    async fn revoke_api_token(
        &self,
        id: i64,
        owner: Option<UserId>,
        origin: &Origin,
    ) -> Result<ApiToken> {
        let mut write = self.begin_write().await?;
        let token = sqlx::query(&format!(
            "{API_TOKEN_FROM} WHERE t.id = $1 AND t.revoked_at IS NULL"
        ))
        .bind(id)
        .fetch_optional(&mut *write.tx)
        .await?
        .as_ref()
        .map(api_token_from)
        .transpose()?
        .filter(|t| owner.is_none_or(|owner| owner == t.user_id))
        .ok_or(StoreError::NotFound)?;
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
            .bind(write.at_ms)
            .bind(id)
            .execute(&mut *write.tx)
            .await?;
        let event = origin
            .event("api_token.revoke", "user", token.user_id)
            .with_detail(serde_json::json!({"token_id": id, "name": token.name}));
        self.commit(write, event).await?;
        Ok(token)
    }
}
