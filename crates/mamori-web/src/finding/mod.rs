//! 指摘事項 and 是正処置 (seed §7, §8): what self-inspections and audits found, graded by the
//! auditors, and the actions that correct it, reported done by their owners and verified by
//! someone who does not own them; overdue actions are flagged.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/findings", get(pages::list).post(pages::raise))
        .route("/findings/{id}", get(pages::finding))
        .route("/findings/{id}/grade", post(pages::grade))
        .route("/findings/{id}/actions", post(pages::plan))
        .route("/corrective-actions", get(pages::actions))
        .route("/corrective-actions/{id}/complete", post(pages::complete))
        .route("/corrective-actions/{id}/verify", post(pages::verify))
}
