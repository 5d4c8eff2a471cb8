//! 例外措置 in the JSON API: the exceptions the caller may see with their flags, one asked for,
//! and the CISO's decision. Every handler calls the operation the pages call.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use mamori_core::time::rfc3339_jst;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, ExceptionDraft, Flagged};
use crate::http::api::{PREFIX, created};
use crate::http::{ApiJson, AppError, AppState, PathParams, User};

mod json {
    use super::*;

    /// 例外措置.
    #[derive(Serialize, ToSchema)]
    pub struct Exception {
        pub id: i64,
        pub unit_id: i64,
        pub unit_name: String,
        pub measure_urn: String,
        pub measure_code: String,
        pub reason: String,
        pub compensating: String,
        /// `YYYY-MM-DD`: the last day the deviation is allowed.
        pub until: String,
        pub emergency: bool,
        pub taken_on: Option<String>,
        /// `requested`, `emergency`, `approved` or `rejected`.
        pub state: String,
        /// In effect past its end date.
        pub expired: bool,
        /// An emergency reported later than the set number of days.
        pub reported_late: bool,
        pub requested_by: Option<String>,
        pub requested_at: String,
        pub decided_by: Option<String>,
        pub decided_at: Option<String>,
        pub decision_note: String,
    }

    /// An exception to ask for; `emergency` with `taken_on` records one taken first.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ExceptionBody {
        pub unit_id: Option<i64>,
        /// The measure's urn or code (`M-6.2.3`).
        pub measure: String,
        pub reason: String,
        pub compensating: String,
        pub until: String,
        #[serde(default)]
        pub emergency: bool,
        #[serde(default)]
        pub taken_on: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct DecisionBody {
        pub approve: bool,
        #[serde(default)]
        pub note: String,
    }
}

fn exception_json(f: &Flagged) -> json::Exception {
    let e = &f.exception;
    json::Exception {
        id: e.id.0,
        unit_id: e.unit.0,
        unit_name: e.unit_name.clone(),
        measure_urn: e.measure_urn.clone(),
        measure_code: e.measure_code.clone(),
        reason: e.reason.clone(),
        compensating: e.compensating.clone(),
        until: e.until.to_string(),
        emergency: e.emergency,
        taken_on: e.taken_on.map(|d| d.to_string()),
        state: e.state.as_str().to_owned(),
        expired: f.expired,
        reported_late: f.late,
        requested_by: e.requested_by_name.clone(),
        requested_at: rfc3339_jst(e.requested_at),
        decided_by: e.decided_by_name.clone(),
        decided_at: e.decided_at.map(rfc3339_jst),
        decision_note: e.decision_note.clone(),
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(list_exceptions, request_exception, get_exception, decide_exception),
    tags(
        (name = "exceptions", description = "例外措置: deviations from a measure"),
    )
)]
pub struct ExceptionApiDoc;

/// The exceptions the caller may see (over their units), newest first.
#[utoipa::path(
    get,
    path = "/api/v1/exceptions",
    tag = "exceptions",
    responses(
        (status = 200, body = Vec<json::Exception>),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn list_exceptions(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Exception>>, AppError> {
    Ok(Json(
        ops::list(&state, &user)
            .await?
            .iter()
            .map(exception_json)
            .collect(),
    ))
}

/// Asks for an exception for a unit (its 管理者, its organisation's 責任者, administrators).
#[utoipa::path(
    post,
    path = "/api/v1/exceptions",
    tag = "exceptions",
    request_body = json::ExceptionBody,
    responses(
        (status = 201, body = json::Exception),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn request_exception(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::ExceptionBody>,
) -> Result<Response, AppError> {
    let made = ops::request(
        &state,
        &user,
        ExceptionDraft {
            unit: body.unit_id,
            measure: body.measure,
            reason: body.reason,
            compensating: body.compensating,
            until: body.until,
            emergency: body.emergency,
            taken_on: body.taken_on,
        },
    )
    .await?;
    Ok(created(
        format!("{PREFIX}/exceptions/{}", made.exception.id.0),
        exception_json(&made),
    ))
}

/// One exception; 404 for one the caller may not see.
#[utoipa::path(
    get,
    path = "/api/v1/exceptions/{id}",
    tag = "exceptions",
    params(("id" = i64, Path, description = "Exception id")),
    responses(
        (status = 200, body = json::Exception),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_exception(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<json::Exception>, AppError> {
    Ok(Json(exception_json(
        &ops::exception(&state, &user, id).await?,
    )))
}

/// Approves or rejects an undecided exception (the CISO, never on their own request).
#[utoipa::path(
    post,
    path = "/api/v1/exceptions/{id}/decide",
    tag = "exceptions",
    params(("id" = i64, Path, description = "Exception id")),
    request_body = json::DecisionBody,
    responses(
        (status = 200, body = json::Exception),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn decide_exception(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::DecisionBody>,
) -> Result<Json<json::Exception>, AppError> {
    Ok(Json(exception_json(
        &ops::decide(&state, &user, id, body.approve, &body.note).await?,
    )))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ExceptionApiDoc::openapi())
        .routes(routes!(list_exceptions, request_exception))
        .routes(routes!(get_exception))
        .routes(routes!(decide_exception))
}
