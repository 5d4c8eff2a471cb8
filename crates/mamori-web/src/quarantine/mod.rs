//! 隔離メール (quarantined mail) and 原本の提供申請 (release requests), when `mamori serve` runs
//! a gateway: the pages and API read the quarantine through the store's `QuarantineView`.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/quarantine", get(pages::list))
        .route("/quarantine/releases", get(pages::releases))
        .route("/quarantine/releases/{id}/decide", post(pages::decide))
        .route("/quarantine/{id}", get(pages::item))
        .route("/quarantine/{id}/request", post(pages::request))
}
