//! The acting account and the login accounts as JSON.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use mamori_core::authz::{
    ManageAccounts, ManageOrganisations, Permission, ViewAudit, ViewDirectory, authorize,
};
use mamori_core::time::rfc3339_jst;
use mamori_core::{FieldError, FieldErrorKind, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, AccountDraft};
use crate::http::api::{ErrorBody, PREFIX, created, positive_id, scope_text};
use crate::http::{ApiJson, AppError, AppState, Id, User};

mod json {
    use super::*;

    /// A role held within a scope.
    #[derive(Serialize, ToSchema)]
    pub struct HeldRole {
        /// `ciso`, `security_director`, `security_officer`, `security_manager`,
        /// `system_administrator`, `csirt`, `auditor`, `staff` or `contractor`.
        pub role: String,
        /// `global`, `organisation:ID`, `unit:ID` or `system:NAME`.
        pub scope: String,
    }

    /// The acting account.
    #[derive(Serialize, ToSchema)]
    pub struct Me {
        pub user_id: i64,
        pub username: String,
        pub person: MePerson,
        pub language: String,
        pub totp_enabled: bool,
        pub roles: Vec<HeldRole>,
        /// Permissions held without regard to a particular target, e.g. `directory.view`,
        /// `organisation.manage`, `account.manage`, `audit.view`.
        pub permissions: Vec<String>,
    }

    #[derive(Serialize, ToSchema)]
    pub struct MePerson {
        pub id: i64,
        pub name: String,
        pub org_id: Option<i64>,
        pub unit_id: Option<i64>,
    }

    /// A login account.
    #[derive(Serialize, ToSchema)]
    pub struct Account {
        pub user_id: i64,
        pub username: String,
        pub person_id: i64,
        pub person_name: String,
        pub language: String,
        pub totp_enabled: bool,
        pub disabled: bool,
        /// RFC 3339, JST.
        pub created_at: String,
        /// The account's password is the directory's (LDAP or Active Directory): its DN there.
        /// Absent for a local account.
        pub directory_dn: Option<String>,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct AccountCreate {
        #[serde(default)]
        pub username: String,
        pub person_id: Option<i64>,
        #[serde(default)]
        pub password: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct AccountUpdate {
        /// Disable or re-enable the account. Nobody disables their own.
        pub disabled: Option<bool>,
    }
}

impl From<mamori_store::Account> for json::Account {
    fn from(a: mamori_store::Account) -> Self {
        Self {
            user_id: a.user_id.0,
            username: a.username,
            person_id: a.person_id.0,
            person_name: a.person_name,
            language: a.language,
            totp_enabled: a.totp_enabled,
            disabled: a.disabled,
            created_at: rfc3339_jst(a.created_at),
            directory_dn: a.directory_dn,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The acting account

/// The acting account: user, person, roles and the permissions they give.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "meta",
    responses(
        (status = 200, body = json::Me),
        (status = 401, body = ErrorBody),
    )
)]
async fn me(State(state): State<AppState>, user: User) -> Result<Json<json::Me>, AppError> {
    let account = state
        .store
        .account(user.actor.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let actor = &user.actor;
    let mut permissions = Vec::new();
    let mut check = |allowed: bool, name: &'static str| {
        if allowed {
            permissions.push(name.to_owned());
        }
    };
    check(
        authorize::<ViewDirectory>(actor, &()).is_ok(),
        ViewDirectory::NAME,
    );
    check(
        authorize::<ManageOrganisations>(actor, &()).is_ok(),
        ManageOrganisations::NAME,
    );
    check(
        authorize::<ManageAccounts>(actor, &()).is_ok(),
        ManageAccounts::NAME,
    );
    check(authorize::<ViewAudit>(actor, &()).is_ok(), ViewAudit::NAME);
    Ok(Json(json::Me {
        user_id: actor.user_id.0,
        username: actor.username.clone(),
        person: json::MePerson {
            id: actor.person_id.0,
            name: account.person_name,
            org_id: actor.org_id.map(|o| o.0),
            unit_id: actor.unit_id.map(|u| u.0),
        },
        language: account.language,
        totp_enabled: account.totp_enabled,
        roles: actor
            .roles
            .iter()
            .map(|(role, scope)| json::HeldRole {
                role: role.as_str().to_owned(),
                scope: scope_text(scope),
            })
            .collect(),
        permissions,
    }))
}

// Accounts

/// Every login account. Administrators only.
#[utoipa::path(
    get,
    path = "/api/v1/accounts",
    tag = "accounts",
    responses(
        (status = 200, body = Vec<json::Account>),
        (status = 403, body = ErrorBody),
    )
)]
async fn list_accounts(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Account>>, AppError> {
    let grant = authorize::<ManageAccounts>(&user.actor, &())?;
    let accounts = state.store.list_accounts(&grant).await?;
    Ok(Json(accounts.into_iter().map(Into::into).collect()))
}

/// Creates a login account for a person. Administrators only.
#[utoipa::path(
    post,
    path = "/api/v1/accounts",
    tag = "accounts",
    request_body = json::AccountCreate,
    responses(
        (status = 201, body = json::Account),
        (status = 403, body = ErrorBody),
        (status = 409, description = "The username is taken", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn create_account(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::AccountCreate>,
) -> Result<Response, AppError> {
    let mut problems = Vec::new();
    let draft = AccountDraft {
        username: body.username,
        person_id: positive_id("person", body.person_id, &mut problems).map(mamori_core::PersonId),
        password: body.password,
        problems,
    };
    let id = ops::create_account(&state, &user, draft).await?;
    let account = state.store.account(id).await?.ok_or(AppError::NotFound)?;
    Ok(created(
        format!("{PREFIX}/accounts/{id}"),
        json::Account::from(account),
    ))
}

/// Disables or re-enables an account. Administrators only; nobody disables their own.
#[utoipa::path(
    patch,
    path = "/api/v1/accounts/{id}",
    tag = "accounts",
    params(("id" = i64, Path, description = "User id")),
    request_body = json::AccountUpdate,
    responses(
        (status = 200, body = json::Account),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn update_account(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    ApiJson(body): ApiJson<json::AccountUpdate>,
) -> Result<Json<json::Account>, AppError> {
    let disabled = body
        .disabled
        .ok_or_else(|| FieldError::new("disabled", FieldErrorKind::Required));
    ops::set_disabled(&state, &user, UserId(id), disabled).await?;
    let account = state
        .store
        .account(UserId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(account.into()))
}

// ---------------------------------------------------------------------------------------------

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(update_account))
}
