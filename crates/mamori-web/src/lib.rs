//! The web application of mamori: HTML pages, the JSON API under `/api/v1`, sessions, CSRF and
//! the one place where requests meet authorisation.
//!
//! `http` holds what every feature uses; each feature is a folder with its pages and its API.
//! This file merges their routers and nothing more.
//!
//! Architecture invariant: handlers reach the store's guarded operations only with a
//! `Granted<P>` from `mamori_core::authz::authorize`; this crate writes no SQL.

mod accounts;
mod assets;
mod audit;
mod cloud;
mod contractor;
mod controls;
mod designated;
mod directory;
mod exception;
mod finding;
mod home;
mod http;
mod incident;
mod inspection;
mod monitor;
mod notice;
mod policy;
mod quarantine;
mod review;
mod risk;
mod security_audit;
mod social;
mod training;

use std::sync::LazyLock;

use axum::http::Method;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use mamori_core::i18n;

pub use accounts::{CheckError, DirectoryCheck, check_directory_accounts};
pub use controls::import_library;
pub use http::api::PREFIX as API_PREFIX;
pub use http::throttle::Throttle;
pub use http::{AppError, AppState, Ctx, MetricsSource, WebConfig};
pub use inspection::campaign_items;
pub use policy::{ImportDraft, import_text, imported_json};
pub use training::import_completions;

/// Every route of the API with its document: a route cannot exist without its entry.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(http::api::ApiDoc::openapi())
        .routes(routes!(openapi))
        .merge(accounts::api())
        .merge(directory::api())
        .merge(audit::api())
        .merge(assets::api())
        .merge(quarantine::api())
        .merge(policy::api())
        .merge(controls::api())
        .merge(home::api())
        .merge(risk::api())
        .merge(inspection::api())
        .merge(finding::api())
        .merge(contractor::api())
        .merge(designated::api())
        .merge(security_audit::api())
        .merge(exception::api())
        .merge(review::api())
        .merge(incident::api())
        .merge(notice::api())
        .merge(training::api())
        .merge(cloud::api())
        .merge(social::api())
        .merge(monitor::api())
}

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| api().into_openapi());

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json"))
)]
async fn openapi() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(LazyLock::force(&DOCUMENT))
}

/// The API's routes as (method, full path), read from its document.
pub fn api_routes() -> Vec<(Method, String)> {
    let mut out = Vec::new();
    for (path, item) in &DOCUMENT.paths.paths {
        for (method, operation) in [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::PATCH, &item.patch),
            (Method::DELETE, &item.delete),
        ] {
            if operation.is_some() {
                out.push((method, path.clone()));
            }
        }
    }
    out
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let (api, _) = api().split_for_parts();
    Router::new()
        .merge(home::pages())
        .merge(accounts::pages())
        .merge(directory::pages())
        .merge(audit::pages())
        .merge(assets::pages())
        .merge(quarantine::pages())
        .merge(policy::pages())
        .merge(contractor::pages())
        .merge(designated::pages())
        .merge(controls::pages())
        .merge(risk::pages())
        .merge(inspection::pages())
        .merge(finding::pages())
        .merge(security_audit::pages())
        .merge(exception::pages())
        .merge(review::pages())
        .merge(incident::pages())
        .merge(notice::pages())
        .merge(training::pages())
        .merge(cloud::pages())
        .merge(social::pages())
        .merge(monitor::pages())
        .route("/static/{file}", get(http::static_files::file))
        .route("/healthz", get(http::health::healthz))
        .route("/metrics", get(http::health::metrics))
        .merge(api)
        .fallback(http::error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::context::layer,
        ))
        .with_state(state)
}
