//! The operations on login accounts that security staff manage, and on one's own API tokens:
//! each one authorises, validates and stores, here and nowhere else.

use mamori_core::authz::{ManageAccounts, authorize};
use mamori_core::credentials::NewPassword;
use mamori_core::text::Username;
use mamori_core::{FieldError, FieldErrorKind, PersonId, UserId};
use mamori_store::NewAccount;

use crate::http::{AppError, AppState, Check, User};

/// A new account for an existing person.
#[derive(Debug, Default)]
pub struct AccountDraft {
    pub username: String,
    pub person_id: Option<PersonId>,
    pub password: String,
    /// What the adapter could not read (an id that is not a number).
    pub problems: Vec<FieldError>,
}

/// Creates an account; the password is hashed off the async threads.
pub async fn create_account(
    state: &AppState,
    user: &User,
    draft: AccountDraft,
) -> Result<UserId, AppError> {
    let grant = authorize::<ManageAccounts>(&user.actor, &())?;
    let mut check = Check::new();
    let username = match Username::parse(&draft.username) {
        Ok(u) => Some(u),
        Err(e) => {
            check.0.push(e);
            None
        }
    };
    check.0.extend(draft.problems);
    if draft.person_id.is_none() && check.0.iter().all(|e| e.field != "person") {
        check
            .0
            .push(FieldError::new("person", FieldErrorKind::Required));
    }
    let password = match NewPassword::parse(&draft.password, &draft.username) {
        Ok(p) => Some(p),
        Err(e) => {
            check.0.push(e);
            None
        }
    };
    check.done()?;
    let password = password.expect("checked");
    let hash = tokio::task::spawn_blocking(move || password.hash(&mut rand::rngs::OsRng))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let account = NewAccount {
        username: username.expect("checked"),
        person_id: draft.person_id.expect("checked"),
        password_hash: hash,
        language: "ja".to_owned(),
        must_change_password: false,
    };
    Ok(state
        .store
        .create_account(&grant, account, &user.ctx.origin())
        .await?)
}

/// Disables or enables an account; nobody disables their own.
pub async fn set_disabled(
    state: &AppState,
    user: &User,
    id: UserId,
    disabled: Result<bool, FieldError>,
) -> Result<(), AppError> {
    let grant = authorize::<ManageAccounts>(&user.actor, &())?;
    if id == user.actor.user_id {
        return Err(AppError::Forbidden);
    }
    let disabled = disabled?;
    Ok(state
        .store
        .set_account_disabled(&grant, id, disabled, &user.ctx.origin())
        .await?)
}

/// Revokes one of the user's own API tokens; anyone else's is not found.
pub async fn revoke_own_token(state: &AppState, user: &User, id: i64) -> Result<(), AppError> {
    state
        .store
        .revoke_api_token(id, Some(user.actor.user_id), &user.ctx.origin())
        .await?;
    Ok(())
}
