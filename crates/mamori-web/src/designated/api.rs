//! 指定管理者 in the JSON API: the agreements with their measures, flags and checks. Every
//! handler calls the operation the pages call.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops;
use crate::http::agreements::json::{Agreement, AgreementBody, VerificationBody, agreement};
use crate::http::api::{PREFIX, created};
use crate::http::{ApiJson, AppError, AppState, PathParams, User};

#[derive(OpenApi)]
#[openapi(
    paths(list_agreements, create_agreement, get_agreement, update_agreement, verify_agreement),
    tags(
        (name = "designated-managers", description = "指定管理者: agreements, the measures they require and their checks"),
    )
)]
pub struct DesignatedApiDoc;

/// The 指定管理 agreements the caller may see, ending soonest first, with their flags.
#[utoipa::path(
    get,
    path = "/api/v1/designated-managers",
    tag = "designated-managers",
    responses(
        (status = 200, body = Vec<Agreement>),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn list_agreements(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<Agreement>>, AppError> {
    Ok(Json(
        ops::list(&state, &user)
            .await?
            .iter()
            .map(agreement)
            .collect(),
    ))
}

/// Registers a 指定管理 agreement (the administrators): `title` is the facility, `managing_body`
/// the 指定管理者; no contractor, people or documents.
#[utoipa::path(
    post,
    path = "/api/v1/designated-managers",
    tag = "designated-managers",
    request_body = AgreementBody,
    responses(
        (status = 201, body = Agreement),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn create_agreement(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<AgreementBody>,
) -> Result<Response, AppError> {
    let made = ops::save(&state, &user, None, body.into()).await?;
    Ok(created(
        format!("{PREFIX}/designated-managers/{}", made.agreement.id.0),
        agreement(&made),
    ))
}

/// One agreement; 404 for one the caller may not see.
#[utoipa::path(
    get,
    path = "/api/v1/designated-managers/{id}",
    tag = "designated-managers",
    params(("id" = i64, Path, description = "Agreement id")),
    responses(
        (status = 200, body = Agreement),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_agreement(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<Agreement>, AppError> {
    Ok(Json(agreement(&ops::agreement(&state, &user, id).await?)))
}

/// Replaces what an agreement says (the administrators); its checks are kept.
#[utoipa::path(
    put,
    path = "/api/v1/designated-managers/{id}",
    tag = "designated-managers",
    params(("id" = i64, Path, description = "Agreement id")),
    request_body = AgreementBody,
    responses(
        (status = 200, body = Agreement),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn update_agreement(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<AgreementBody>,
) -> Result<Json<Agreement>, AppError> {
    Ok(Json(agreement(
        &ops::save(&state, &user, Some(id), body.into()).await?,
    )))
}

/// Records a check of a measure the agreement requires (the responsible unit's 管理者, its
/// organisation's 責任者, the administrators).
#[utoipa::path(
    post,
    path = "/api/v1/designated-managers/{id}/verifications",
    tag = "designated-managers",
    params(("id" = i64, Path, description = "Agreement id")),
    request_body = VerificationBody,
    responses(
        (status = 200, body = Agreement),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn verify_agreement(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<VerificationBody>,
) -> Result<Json<Agreement>, AppError> {
    Ok(Json(agreement(
        &ops::verify(&state, &user, id, body.into()).await?,
    )))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(DesignatedApiDoc::openapi())
        .routes(routes!(list_agreements, create_agreement))
        .routes(routes!(get_agreement, update_agreement))
        .routes(routes!(verify_agreement))
}
