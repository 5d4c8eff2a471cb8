//! 外部サービス in the JSON API: the register with its flags, a service registered and edited,
//! assets placed and taken out. Every handler calls the operation the pages call.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use mamori_core::cloud::ServiceDraft;
use mamori_core::time::rfc3339_jst;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, CloudDraft, Flagged};
use crate::http::api::{PREFIX, created};
use crate::http::{ApiJson, AppError, AppState, PathParams, User};

mod json {
    use super::*;

    /// ISMAP registration.
    #[derive(Serialize, ToSchema)]
    pub struct Ismap {
        pub registered: bool,
        pub number: Option<String>,
        /// `YYYY-MM-DD`.
        pub expires_on: Option<String>,
        /// `unregistered`, `registered`, `expiring` (within 90 days: flagged) or `expired`
        /// (flagged).
        pub status: String,
    }

    /// An asset placed in the service.
    #[derive(Serialize, ToSchema)]
    pub struct Placement {
        pub asset_id: i64,
        pub name: String,
        /// 機密性-完全性-可用性 (`3-2-2`).
        pub class: String,
        pub placed_at: String,
        /// The levels of its class that the service does not take (`機密性3`).
        pub forbidden: Vec<String>,
        /// Placed against its class.
        pub flagged: bool,
    }

    /// 外部サービス.
    #[derive(Serialize, ToSchema)]
    pub struct Service {
        pub id: i64,
        pub provider: String,
        pub name: String,
        /// Codes of the 機密性 levels it takes.
        pub classes: Vec<String>,
        /// The rules for its use.
        pub rules: String,
        pub ismap: Ismap,
        pub unit_id: i64,
        pub unit_name: String,
        /// An ISMAP registration expired or expiring, or an asset placed against its class.
        pub flagged: bool,
        /// Placed assets whose class it does not take, including those the caller may not see.
        pub forbidden_placements: usize,
        /// Placed assets the caller may not know of (not listed).
        pub hidden_placements: usize,
        pub placements: Vec<Placement>,
    }

    /// A service as registered or edited: the whole of it.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ServiceBody {
        pub provider: String,
        pub name: String,
        /// 機密性 levels (`2`, `機密性2`, `3A`): at least one.
        pub classes: Vec<String>,
        #[serde(default)]
        pub rules: String,
        #[serde(default)]
        pub ismap: bool,
        /// With `ismap`: the registration number.
        #[serde(default)]
        pub ismap_number: String,
        /// With `ismap`: `YYYY-MM-DD`.
        #[serde(default)]
        pub ismap_expires_on: String,
        pub unit_id: i64,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct PlaceBody {
        pub asset_id: i64,
    }
}

fn service_json(f: &Flagged) -> json::Service {
    let s = &f.service;
    json::Service {
        id: s.id.0,
        provider: s.provider.clone(),
        name: s.name.clone(),
        classes: s.classes.clone(),
        rules: s.rules.clone(),
        ismap: json::Ismap {
            registered: s.ismap.is_some(),
            number: s.ismap.as_ref().map(|i| i.number.clone()),
            expires_on: s.ismap_expires_on().map(|d| d.to_string()),
            status: f.ismap.as_str().to_owned(),
        },
        unit_id: s.unit.0,
        unit_name: s.unit_name.clone(),
        flagged: f.flagged(),
        forbidden_placements: f.forbidden,
        hidden_placements: f.hidden,
        placements: s
            .placed
            .iter()
            .map(|p| json::Placement {
                asset_id: p.id.0,
                name: p.name.clone(),
                class: p.class.clone(),
                placed_at: rfc3339_jst(p.placed_at),
                forbidden: p.forbidden.clone(),
                flagged: !p.forbidden.is_empty(),
            })
            .collect(),
    }
}

fn draft(body: json::ServiceBody) -> CloudDraft {
    CloudDraft {
        service: ServiceDraft {
            provider: body.provider,
            name: body.name,
            rules: body.rules,
            classes: body.classes,
            ismap: body.ismap,
            ismap_number: body.ismap_number,
            ismap_expires_on: body.ismap_expires_on,
        },
        unit: Some(body.unit_id),
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(list_services, create_service, get_service, update_service, place_asset, unplace_asset),
    tags((name = "cloud-services", description = "外部サービス: levels taken, ISMAP, rules, placements")),
)]
pub struct CloudApiDoc;

/// The register (every member of staff), with its flags.
#[utoipa::path(
    get,
    path = "/api/v1/cloud-services",
    tag = "cloud-services",
    responses(
        (status = 200, body = Vec<json::Service>),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn list_services(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Service>>, AppError> {
    Ok(Json(
        ops::list(&state, &user)
            .await?
            .iter()
            .map(service_json)
            .collect(),
    ))
}

/// Registers a service (administrators).
#[utoipa::path(
    post,
    path = "/api/v1/cloud-services",
    tag = "cloud-services",
    request_body = json::ServiceBody,
    responses(
        (status = 201, body = json::Service),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn create_service(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::ServiceBody>,
) -> Result<Response, AppError> {
    let made = ops::create(&state, &user, draft(body)).await?;
    Ok(created(
        format!("{PREFIX}/cloud-services/{}", made.service.id.0),
        service_json(&made),
    ))
}

/// One service.
#[utoipa::path(
    get,
    path = "/api/v1/cloud-services/{id}",
    tag = "cloud-services",
    params(("id" = i64, Path, description = "Service id")),
    responses(
        (status = 200, body = json::Service),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_service(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<json::Service>, AppError> {
    Ok(Json(service_json(&ops::service(&state, &user, id).await?)))
}

/// Replaces a service's facts (administrators, the responsible unit's 管理者 and 責任者).
#[utoipa::path(
    put,
    path = "/api/v1/cloud-services/{id}",
    tag = "cloud-services",
    params(("id" = i64, Path, description = "Service id")),
    request_body = json::ServiceBody,
    responses(
        (status = 200, body = json::Service),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn update_service(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::ServiceBody>,
) -> Result<Json<json::Service>, AppError> {
    Ok(Json(service_json(
        &ops::update(&state, &user, id, draft(body)).await?,
    )))
}

/// Places an asset in the service (whoever edits it); one its levels do not take is flagged.
#[utoipa::path(
    post,
    path = "/api/v1/cloud-services/{id}/assets",
    tag = "cloud-services",
    params(("id" = i64, Path, description = "Service id")),
    request_body = json::PlaceBody,
    responses(
        (status = 200, body = json::Service),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn place_asset(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::PlaceBody>,
) -> Result<Json<json::Service>, AppError> {
    Ok(Json(service_json(
        &ops::place(&state, &user, id, Some(body.asset_id)).await?,
    )))
}

/// Takes an asset out of the service (whoever edits it).
#[utoipa::path(
    delete,
    path = "/api/v1/cloud-services/{id}/assets/{asset_id}",
    tag = "cloud-services",
    params(
        ("id" = i64, Path, description = "Service id"),
        ("asset_id" = i64, Path, description = "Asset id"),
    ),
    responses(
        (status = 200, body = json::Service),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
    )
)]
async fn unplace_asset(
    State(state): State<AppState>,
    user: User,
    PathParams((id, asset)): PathParams<(i64, i64)>,
) -> Result<Json<json::Service>, AppError> {
    Ok(Json(service_json(
        &ops::unplace(&state, &user, id, asset).await?,
    )))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(CloudApiDoc::openapi())
        .routes(routes!(list_services, create_service))
        .routes(routes!(get_service, update_service))
        .routes(routes!(place_asset))
        .routes(routes!(unplace_asset))
}
