//! 見直し in the JSON API: the reviews, one recorded with its inputs, a policy version linked.
//! Every handler calls the operation the pages call.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use mamori_core::time::rfc3339_jst;
use mamori_store::PolicyReview;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, ReviewDraft};
use crate::http::api::{PREFIX, created};
use crate::http::{ApiJson, AppError, AppState, PathParams, User};

mod json {
    use super::*;

    #[derive(Serialize, ToSchema)]
    pub struct Input {
        /// `audit`, `inspection`, `risk` or `incident`.
        pub kind: String,
        pub id: i64,
        pub title: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Version {
        pub policy_id: i64,
        pub title: String,
        pub version: i64,
    }

    /// A closed incident the review cites, with its lessons (教訓).
    #[derive(Serialize, ToSchema)]
    pub struct CitedIncident {
        pub id: i64,
        pub title: String,
        /// `low`, `medium`, `high` or `critical`.
        pub severity: Option<String>,
        pub lessons: Option<String>,
    }

    /// 見直し.
    #[derive(Serialize, ToSchema)]
    pub struct Review {
        pub id: i64,
        pub title: String,
        pub held_on: String,
        pub environment: String,
        pub decisions: String,
        pub inputs: Vec<Input>,
        /// The incidents among its inputs, with their severity and lessons.
        pub incidents: Vec<CitedIncident>,
        /// The policy versions it led to.
        pub versions: Vec<Version>,
        pub created_by: Option<String>,
        pub created_at: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ReviewBody {
        pub title: String,
        /// `YYYY-MM-DD`.
        pub held_on: String,
        #[serde(default)]
        pub environment: String,
        #[serde(default)]
        pub decisions: String,
        #[serde(default)]
        pub audit_ids: Vec<i64>,
        #[serde(default)]
        pub inspection_ids: Vec<i64>,
        #[serde(default)]
        pub risk_ids: Vec<i64>,
        #[serde(default)]
        pub incident_ids: Vec<i64>,
    }

    /// Closed incidents to cite.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct CiteBody {
        pub incident_ids: Vec<i64>,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct VersionBody {
        pub policy_id: Option<i64>,
        pub version: Option<i64>,
    }
}

fn review_json(r: &PolicyReview) -> json::Review {
    json::Review {
        id: r.id.0,
        title: r.title.clone(),
        held_on: r.held_on.to_string(),
        environment: r.environment.clone(),
        decisions: r.decisions.clone(),
        inputs: r
            .inputs
            .iter()
            .map(|i| json::Input {
                kind: i.kind.as_str().to_owned(),
                id: i.id,
                title: i.title.clone(),
            })
            .collect(),
        incidents: r
            .incidents
            .iter()
            .map(|i| json::CitedIncident {
                id: i.id,
                title: i.title.clone(),
                severity: i.severity.map(|s| s.as_str().to_owned()),
                lessons: i.lessons.clone(),
            })
            .collect(),
        versions: r
            .versions
            .iter()
            .map(|v| json::Version {
                policy_id: v.policy,
                title: v.title.clone(),
                version: v.version,
            })
            .collect(),
        created_by: r.created_by_name.clone(),
        created_at: rfc3339_jst(r.created_at),
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(list_reviews, create_review, get_review, link_version, cite_incidents),
    tags((name = "reviews", description = "見直し: reviews of the policy")),
)]
pub struct ReviewApiDoc;

/// The reviews (the security roles).
#[utoipa::path(
    get,
    path = "/api/v1/reviews",
    tag = "reviews",
    responses(
        (status = 200, body = Vec<json::Review>),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn list_reviews(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Review>>, AppError> {
    Ok(Json(
        ops::list(&state, &user)
            .await?
            .iter()
            .map(review_json)
            .collect(),
    ))
}

/// Records a review (administrators).
#[utoipa::path(
    post,
    path = "/api/v1/reviews",
    tag = "reviews",
    request_body = json::ReviewBody,
    responses(
        (status = 201, body = json::Review),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn create_review(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::ReviewBody>,
) -> Result<Response, AppError> {
    let review = ops::create(
        &state,
        &user,
        ReviewDraft {
            title: body.title,
            held_on: body.held_on,
            environment: body.environment,
            decisions: body.decisions,
            audits: body.audit_ids,
            inspections: body.inspection_ids,
            risks: body.risk_ids,
            incidents: body.incident_ids,
        },
    )
    .await?;
    Ok(created(
        format!("{PREFIX}/reviews/{}", review.id.0),
        review_json(&review),
    ))
}

/// One review.
#[utoipa::path(
    get,
    path = "/api/v1/reviews/{id}",
    tag = "reviews",
    params(("id" = i64, Path, description = "Review id")),
    responses(
        (status = 200, body = json::Review),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_review(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<json::Review>, AppError> {
    Ok(Json(review_json(&ops::review(&state, &user, id).await?)))
}

/// Links the review to a policy version it led to (administrators).
#[utoipa::path(
    post,
    path = "/api/v1/reviews/{id}/versions",
    tag = "reviews",
    params(("id" = i64, Path, description = "Review id")),
    request_body = json::VersionBody,
    responses(
        (status = 200, body = json::Review),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn link_version(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::VersionBody>,
) -> Result<Json<json::Review>, AppError> {
    Ok(Json(review_json(
        &ops::link_version(&state, &user, id, body.policy_id, body.version).await?,
    )))
}

/// Cites closed incidents as inputs of the review (administrators); 409 `review.incident_open`
/// for one not closed.
#[utoipa::path(
    post,
    path = "/api/v1/reviews/{id}/incidents",
    tag = "reviews",
    params(("id" = i64, Path, description = "Review id")),
    request_body = json::CiteBody,
    responses(
        (status = 200, body = json::Review),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn cite_incidents(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::CiteBody>,
) -> Result<Json<json::Review>, AppError> {
    Ok(Json(review_json(
        &ops::cite_incidents(&state, &user, id, body.incident_ids).await?,
    )))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ReviewApiDoc::openapi())
        .routes(routes!(list_reviews, create_review))
        .routes(routes!(get_review))
        .routes(routes!(link_version))
        .routes(routes!(cite_incidents))
}
