//! 対策項目 (seed §6, §9, §10): catalogues of measures, each unit's answers with evidence, and
//! the coverage of the basic policy in force by those answers.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;
pub use ops::import_library;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/controls", get(pages::list))
        .route("/controls/import", post(pages::import))
        .route("/controls/{id}", get(pages::catalogue))
        .route("/controls/{id}/units/{unit}", get(pages::checklist))
        .route("/controls/{id}/units/{unit}/answer", post(pages::answer))
        .route(
            "/controls/{id}/units/{unit}/answers/{answer}/file",
            get(pages::evidence),
        )
        .route("/coverage", get(pages::coverage))
        .route("/coverage/export", get(pages::coverage_export))
}
