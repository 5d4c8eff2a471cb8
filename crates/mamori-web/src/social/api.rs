//! ソーシャルメディアアカウント in the JSON API: the register with its flags, an account
//! registered and edited, a review recorded. Every handler calls the operation the pages call.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use mamori_core::social::AccountDraft;
use mamori_core::time::rfc3339_jst;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, Flagged, SocialDraft};
use crate::http::api::{PREFIX, created};
use crate::http::{ApiJson, AppError, AppState, PathParams, User};

mod json {
    use super::*;

    /// A review (点検) of the account.
    #[derive(Serialize, ToSchema)]
    pub struct Review {
        /// `YYYY-MM-DD`.
        pub reviewed_on: String,
        pub note: String,
        /// The account that recorded it.
        pub by: Option<String>,
        pub recorded_at: String,
    }

    /// ソーシャルメディアアカウント.
    #[derive(Serialize, ToSchema)]
    pub struct Account {
        pub id: i64,
        pub platform: String,
        pub account_name: String,
        pub url: String,
        /// The responsible person (責任者).
        pub owner_id: Option<i64>,
        pub owner_name: Option<String>,
        /// The responsible person's unit: the account's.
        pub unit_id: Option<i64>,
        pub unit_name: Option<String>,
        /// What may be published.
        pub rules: String,
        pub two_factor: bool,
        pub review_months: u32,
        /// `YYYY-MM-DD`.
        pub last_reviewed_on: Option<String>,
        /// `YYYY-MM-DD`: the next review.
        pub review_due_on: String,
        /// `no_owner`, `no_two_factor`, `review_overdue`.
        pub flags: Vec<String>,
        pub reviews: Vec<Review>,
    }

    /// An account as registered or edited: the whole of it.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct AccountBody {
        pub platform: String,
        pub account_name: String,
        /// `https://…`.
        pub url: String,
        /// The responsible person's id: required.
        pub owner_id: i64,
        /// What may be published: required.
        pub rules: String,
        #[serde(default)]
        pub two_factor: bool,
        /// 1–36; 12 (yearly) when absent.
        #[serde(default)]
        pub review_months: Option<i64>,
        /// `YYYY-MM-DD`, not in the future: a review made before the account was registered.
        #[serde(default)]
        pub last_reviewed_on: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ReviewBody {
        /// `YYYY-MM-DD`, not in the future; today when absent.
        #[serde(default)]
        pub reviewed_on: String,
        #[serde(default)]
        pub note: String,
    }
}

fn account_json(f: &Flagged) -> json::Account {
    let a = &f.account;
    json::Account {
        id: a.id.0,
        platform: a.platform.clone(),
        account_name: a.account_name.clone(),
        url: a.url.clone(),
        owner_id: a.owner.map(|o| o.0),
        owner_name: a.owner_name.clone(),
        unit_id: a.unit.map(|u| u.0),
        unit_name: a.unit_name.clone(),
        rules: a.rules.clone(),
        two_factor: a.two_factor,
        review_months: a.review_months,
        last_reviewed_on: a.last_reviewed_on.map(|d| d.to_string()),
        review_due_on: f.due.to_string(),
        flags: f.flags.iter().map(|f| f.as_str().to_owned()).collect(),
        reviews: a
            .reviews
            .iter()
            .map(|r| json::Review {
                reviewed_on: r.reviewed_on.to_string(),
                note: r.note.clone(),
                by: r.by_name.clone(),
                recorded_at: rfc3339_jst(r.at_ms),
            })
            .collect(),
    }
}

fn draft(body: json::AccountBody) -> SocialDraft {
    SocialDraft {
        owner: Some(body.owner_id),
        account: AccountDraft {
            platform: body.platform,
            account_name: body.account_name,
            url: body.url,
            rules: body.rules,
            two_factor: body.two_factor,
            review_months: body.review_months,
            last_reviewed_on: body.last_reviewed_on,
        },
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(list_accounts, create_account, get_account, update_account, record_review),
    tags((name = "social-media-accounts", description = "ソーシャルメディアアカウント: owners, rules, 2FA, reviews")),
)]
pub struct SocialApiDoc;

/// The register (every member of staff), with its flags.
#[utoipa::path(
    get,
    path = "/api/v1/social-media-accounts",
    tag = "social-media-accounts",
    responses(
        (status = 200, body = Vec<json::Account>),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn list_accounts(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Account>>, AppError> {
    Ok(Json(
        ops::list(&state, &user)
            .await?
            .iter()
            .map(account_json)
            .collect(),
    ))
}

/// Registers an account (administrators).
#[utoipa::path(
    post,
    path = "/api/v1/social-media-accounts",
    tag = "social-media-accounts",
    request_body = json::AccountBody,
    responses(
        (status = 201, body = json::Account),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn create_account(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::AccountBody>,
) -> Result<Response, AppError> {
    let made = ops::create(&state, &user, draft(body)).await?;
    Ok(created(
        format!("{PREFIX}/social-media-accounts/{}", made.account.id.0),
        account_json(&made),
    ))
}

/// One account.
#[utoipa::path(
    get,
    path = "/api/v1/social-media-accounts/{id}",
    tag = "social-media-accounts",
    params(("id" = i64, Path, description = "Account id")),
    responses(
        (status = 200, body = json::Account),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_account(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<json::Account>, AppError> {
    Ok(Json(account_json(&ops::account(&state, &user, id).await?)))
}

/// Replaces an account's facts (administrators).
#[utoipa::path(
    put,
    path = "/api/v1/social-media-accounts/{id}",
    tag = "social-media-accounts",
    params(("id" = i64, Path, description = "Account id")),
    request_body = json::AccountBody,
    responses(
        (status = 200, body = json::Account),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn update_account(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::AccountBody>,
) -> Result<Json<json::Account>, AppError> {
    Ok(Json(account_json(
        &ops::update(&state, &user, id, draft(body)).await?,
    )))
}

/// Records a review (administrators, and the owning unit's 管理者 and 責任者).
#[utoipa::path(
    post,
    path = "/api/v1/social-media-accounts/{id}/reviews",
    tag = "social-media-accounts",
    params(("id" = i64, Path, description = "Account id")),
    request_body = json::ReviewBody,
    responses(
        (status = 200, body = json::Account),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn record_review(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::ReviewBody>,
) -> Result<Json<json::Account>, AppError> {
    Ok(Json(account_json(
        &ops::review(&state, &user, id, &body.reviewed_on, &body.note).await?,
    )))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(SocialApiDoc::openapi())
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(get_account, update_account))
        .routes(routes!(record_review))
}
