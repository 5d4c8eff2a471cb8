//! 指定管理者 (seed §11): each agreement (協定) with the body that manages a public facility —
//! facility, managing body, period, responsible unit, the systems and information it handles,
//! the measures it requires (core's checklist, shared with contracts) and their checks, flagged
//! as contracts are.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/designated-managers", get(pages::list).post(pages::create))
        .route(
            "/designated-managers/{id}",
            get(pages::agreement).post(pages::update),
        )
        .route(
            "/designated-managers/{id}/verifications",
            post(pages::verify),
        )
}
