//! 見直し (seed §8): a review of the policy with what it considered — audits, self-inspections,
//! risks, changes in the environment — its decisions, and the policy versions it led to, linked
//! both ways (a version's page names the reviews behind it).

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/reviews", get(pages::list).post(pages::create))
        .route("/reviews/{id}", get(pages::review))
        .route("/reviews/{id}/versions", post(pages::link_version))
        .route("/reviews/{id}/incidents", post(pages::cite_incidents))
}
