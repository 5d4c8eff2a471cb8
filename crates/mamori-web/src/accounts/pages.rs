//! HTML pages of the login accounts that security staff manage, and of one's own API tokens.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::authz::{ManageAccounts, authorize};
use mamori_core::time::format_jst;
use mamori_core::{FieldError, FieldErrorKind, PersonId, UserId};
use mamori_store::Account;
use serde::Deserialize;

use super::ops::{self, AccountDraft};
use crate::http::{AppError, AppState, Form, Frame, Id, User, parse_opt_id, render};

// Accounts

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    frame: Frame,
    accounts: Vec<Account>,
}

pub async fn accounts(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let grant = authorize::<ManageAccounts>(&user.actor, &())?;
    Ok(Html(render(&AccountsPage {
        frame: Frame::new(&user, "accounts.title"),
        accounts: state.store.list_accounts(&grant).await?,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub person_id: String,
    #[serde(default)]
    pub password: String,
}

pub async fn create_account(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<AccountForm>,
) -> Result<Response, AppError> {
    let (person_id, problems) = match parse_opt_id("person", &form.person_id) {
        Ok(id) => (id.map(PersonId), Vec::new()),
        Err(e) => (None, vec![e]),
    };
    let draft = AccountDraft {
        username: form.username,
        person_id,
        password: form.password,
        problems,
    };
    ops::create_account(&state, &user, draft).await?;
    Ok(Redirect::to("/accounts").into_response())
}

#[derive(Deserialize)]
pub struct DisabledForm {
    #[serde(default)]
    disabled: String,
}

pub async fn set_account_disabled(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    Form(form): Form<DisabledForm>,
) -> Result<Response, AppError> {
    let disabled = match form.disabled.as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(FieldError::new("disabled", FieldErrorKind::UnknownValue)),
    };
    ops::set_disabled(&state, &user, UserId(id), disabled).await?;
    Ok(Redirect::to("/accounts").into_response())
}

// One's own API tokens

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    frame: Frame,
    tokens: Vec<TokenRow>,
}

struct TokenRow {
    id: i64,
    name: String,
    created: String,
    expires: String,
    /// Not yet expired (revoked tokens are not listed).
    live: bool,
    last_used: Option<String>,
    read_only: bool,
}

/// The user's own API tokens: name, times and scope, each with its revocation.
pub async fn tokens(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let now = state.clock.now_ms();
    let tokens = state
        .store
        .list_api_tokens(Some(user.actor.user_id))
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            live: t.is_live(now),
            name: t.name,
            created: format_jst(t.created_at),
            expires: format_jst(t.expires_at),
            last_used: t.last_used_at.map(format_jst),
            read_only: t.read_only,
        })
        .collect();
    Ok(Html(render(&TokensPage {
        frame: Frame::new(&user, "tokens.title"),
        tokens,
    }))
    .into_response())
}

pub async fn revoke_token(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Response, AppError> {
    ops::revoke_own_token(&state, &user, id).await?;
    Ok(Redirect::to("/account/tokens").into_response())
}

// ---------------------------------------------------------------------------------------------
