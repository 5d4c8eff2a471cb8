//! HTML pages of the login accounts that security staff manage.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::authz::{ManageAccounts, authorize};
use mamori_core::text::Username;
use mamori_core::{FieldError, FieldErrorKind, PersonId, UserId};
use mamori_store::{Account, NewAccount};
use serde::Deserialize;

use crate::http::{AppError, AppState, Check, Form, Frame, Id, User, parse_opt_id, render};

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

pub async fn new_account(form: AccountForm) -> Result<NewAccount, AppError> {
    let mut check = Check::new();
    let username = match Username::parse(&form.username) {
        Ok(u) => Some(u),
        Err(e) => {
            check.0.push(e);
            None
        }
    };
    let person = check.take(parse_opt_id("person", &form.person_id));
    if person.is_none() && check.0.iter().all(|e| e.field != "person") {
        check
            .0
            .push(FieldError::new("person", FieldErrorKind::Required));
    }
    let password = mamori_core::credentials::NewPassword::parse(&form.password, &form.username);
    let password = match password {
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
    Ok(NewAccount {
        username: username.expect("checked"),
        person_id: PersonId(person.expect("checked")),
        password_hash: hash,
        language: "ja".to_owned(),
    })
}

pub async fn create_account(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<AccountForm>,
) -> Result<Response, AppError> {
    let grant = authorize::<ManageAccounts>(&user.actor, &())?;
    let account = new_account(form).await?;
    state
        .store
        .create_account(&grant, account, &user.ctx.origin())
        .await?;
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
    let grant = authorize::<ManageAccounts>(&user.actor, &())?;
    if UserId(id) == user.actor.user_id {
        return Err(AppError::Forbidden);
    }
    let disabled = match form.disabled.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(AppError::invalid(FieldError::new(
                "disabled",
                FieldErrorKind::UnknownValue,
            )));
        }
    };
    state
        .store
        .set_account_disabled(&grant, UserId(id), disabled, &user.ctx.origin())
        .await?;
    Ok(Redirect::to("/accounts").into_response())
}

// ---------------------------------------------------------------------------------------------
