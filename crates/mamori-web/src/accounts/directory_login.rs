//! Logging in through the directory (ディレクトリ認証, LDAP or Active Directory).
//!
//! The directory checks the password of an account it made and of a name unknown here. What it
//! says decides: a person it vouches for whose groups give roles is signed in, their account made
//! at the first login and their roles brought in line with the groups at every login; a person it
//! does not know or says is disabled is refused, and their account here disabled. A directory
//! that does not answer refuses the login (fail closed); local accounts never ask it, so they
//! still log in (break-glass). Every outcome is audited and every refusal the person could have
//! caused is counted by the login throttle.

use axum::response::Response;
use mamori_core::text::{Name, Username};
use mamori_ldap::Verdict;
use mamori_store::{Credentials, DirectoryAccount, DirectorySync, Origin};
use serde_json::json;

use super::signin::{login_event, login_failed, signed_in};
use crate::http::error::status;
use crate::http::throttle::Attempt;
use crate::http::{AppError, AppState, Ctx};

/// Refuses the login, recording why.
async fn refuse(
    state: &AppState,
    ctx: &Ctx,
    shown: &str,
    user: Option<mamori_core::UserId>,
    detail: serde_json::Value,
    key: &'static str,
    status: axum::http::StatusCode,
) -> Result<Response, AppError> {
    state
        .store
        .record(login_event(ctx, shown, "login.failed", user, detail))
        .await?;
    state.metrics.login("failed");
    Ok(login_failed(ctx, shown, key, status))
}

/// The directory could not be asked or its answer could not be kept: nobody is let in.
async fn unavailable(
    state: &AppState,
    ctx: &Ctx,
    attempt: Attempt<'_>,
    shown: &str,
    user: Option<mamori_core::UserId>,
    error: &str,
) -> Result<Response, AppError> {
    tracing::warn!(%error, "directory login refused: the directory gave no answer");
    // Not the person's doing: the attempt is not held against them.
    attempt.passed();
    refuse(
        state,
        ctx,
        shown,
        user,
        json!({"reason": "directory_unavailable", "error": error}),
        "login.directory_unavailable",
        status::DIRECTORY_UNAVAILABLE,
    )
    .await
}

pub(super) async fn login(
    state: &AppState,
    ctx: &Ctx,
    attempt: Attempt<'_>,
    name: &Username,
    password: String,
    found: Option<Credentials>,
    shown: &str,
) -> Result<Response, AppError> {
    let user = found.as_ref().map(|c| c.user_id);
    let Some(directory) = &state.directory else {
        // A directory account while no directory is configured: nothing can check it.
        return unavailable(
            state,
            ctx,
            attempt,
            shown,
            user,
            "no directory is configured",
        )
        .await;
    };
    let verdict = {
        let _turn = state.throttle.verification().await;
        state.metrics.verification();
        directory.authenticate(name.as_str(), &password).await
    };
    let verdict = match verdict {
        Ok(verdict) => verdict,
        Err(e) => return unavailable(state, ctx, attempt, shown, user, &e.to_string()).await,
    };
    let failed = |reason: &str, dn: Option<&str>| json!({"reason": reason, "directory_dn": dn});
    let person = match verdict {
        Verdict::Accepted(person) => person,
        Verdict::BadCredentials => {
            attempt.failed();
            return refuse(
                state,
                ctx,
                shown,
                user,
                failed("bad_password", None),
                "login.failed",
                AppError::Unauthenticated.status(),
            )
            .await;
        }
        Verdict::Unknown => {
            attempt.failed();
            disable(state, ctx, found.as_ref(), "directory_unknown").await?;
            return refuse(
                state,
                ctx,
                shown,
                user,
                failed("directory_unknown", None),
                "login.failed",
                AppError::Unauthenticated.status(),
            )
            .await;
        }
        Verdict::Disabled { dn, why } => {
            attempt.failed();
            disable(state, ctx, found.as_ref(), why.code()).await?;
            // Said like a wrong password, as for a local account that is disabled.
            return refuse(
                state,
                ctx,
                shown,
                user,
                failed(why.code(), Some(&dn)),
                "login.failed",
                AppError::Unauthenticated.status(),
            )
            .await;
        }
        Verdict::NoRole { dn } => {
            attempt.failed();
            // An account the directory made loses the roles its groups no longer give.
            if found.as_ref().is_some_and(|c| c.directory_dn.is_some()) {
                let account = DirectoryAccount {
                    username: name.clone(),
                    name: Name::parse("name", name.as_str())?,
                    dn: dn.clone(),
                    email: None,
                    unit_id: None,
                    roles: Vec::new(),
                };
                state
                    .store
                    .sync_directory_account(account, &directory_origin(ctx))
                    .await?;
            }
            return refuse(
                state,
                ctx,
                shown,
                user,
                failed("directory_no_role", Some(&dn)),
                "login.directory_no_role",
                AppError::Forbidden.status(),
            )
            .await;
        }
    };
    if found.as_ref().is_some_and(|c| c.disabled) {
        // Disabled here (by an administrator, or earlier by the directory): it stays so until
        // an administrator enables it again.
        attempt.failed();
        return refuse(
            state,
            ctx,
            shown,
            user,
            failed("disabled", Some(&person.dn)),
            "login.failed",
            AppError::Unauthenticated.status(),
        )
        .await;
    }
    let account = DirectoryAccount {
        username: name.clone(),
        name: Name::parse("name", &person.name).or_else(|_| Name::parse("name", name.as_str()))?,
        dn: person.dn.clone(),
        email: person.email.clone(),
        unit_id: person.unit,
        roles: person.roles.clone(),
    };
    let origin = Origin {
        actor_id: user,
        actor_name: name.as_str().to_owned(),
        address: ctx.address.clone(),
    };
    let (user, sync) = match state.store.sync_directory_account(account, &origin).await {
        Ok(done) => done,
        // A mapping that names a unit or organisation no longer registered, or a local account
        // made under this name since it was looked up: the configuration must be put right.
        Err(e @ mamori_store::StoreError::Conflict(_)) => {
            return unavailable(state, ctx, attempt, shown, user, &e.to_string()).await;
        }
        Err(e) => return Err(e.into()),
    };
    let creds = state
        .store
        .credentials(user)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    signed_in(
        state,
        ctx,
        attempt,
        creds,
        shown,
        json!({
            "reason": "",
            "directory_dn": person.dn,
            "account_created": sync == DirectorySync::Created,
        }),
    )
    .await
}

/// Disables the directory account the directory no longer lets in, if there is one.
async fn disable(
    state: &AppState,
    ctx: &Ctx,
    found: Option<&Credentials>,
    reason: &str,
) -> Result<(), AppError> {
    let Some(creds) = found.filter(|c| c.directory_dn.is_some() && !c.disabled) else {
        return Ok(());
    };
    state
        .store
        .disable_directory_account(creds.user_id, reason, &directory_origin(ctx))
        .await?;
    Ok(())
}

/// Who changes an account when the directory decided, at a login attempt from this address.
fn directory_origin(ctx: &Ctx) -> Origin {
    Origin {
        actor_id: None,
        actor_name: "directory".to_owned(),
        address: ctx.address.clone(),
    }
}

/// Whether `password` is the directory account's, for a confirmation on the account's own pages
/// (the second factor's enrolment); a directory that does not answer refuses.
pub(super) async fn confirm_password(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<bool, AppError> {
    let Some(directory) = &state.directory else {
        return Err(AppError::DirectoryUnavailable);
    };
    let _turn = state.throttle.verification().await;
    state.metrics.verification();
    match directory.authenticate(username, password).await {
        Ok(verdict) => Ok(matches!(verdict, Verdict::Accepted(_))),
        Err(e) => {
            tracing::warn!(error = %e, "directory confirmation refused: the directory gave no answer");
            Err(AppError::DirectoryUnavailable)
        }
    }
}
