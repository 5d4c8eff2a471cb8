//! The directory: organisations (機関), units (部局・課室), people and their roles (seed §4).

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route(
            "/organisations",
            get(pages::organisations).post(pages::create_organisation),
        )
        .route(
            "/organisations/{id}",
            get(pages::organisation).post(pages::update_organisation),
        )
        .route("/units", post(pages::create_unit))
        .route("/units/{id}", get(pages::unit).post(pages::update_unit))
        .route("/people", get(pages::people).post(pages::create_person))
        .route(
            "/people/{id}",
            get(pages::person).post(pages::update_person),
        )
        .route("/people/{id}/roles", post(pages::assign_role))
        .route("/roles/{id}/revoke", post(pages::revoke_role))
}
