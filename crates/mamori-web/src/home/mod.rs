//! The home page: what waits for the person signed in (versions to confirm, versions to approve,
//! checklists to answer) and the directory at a glance.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::get;

use crate::http::AppState;

pub use api::router as api;

pub fn pages() -> Router<AppState> {
    Router::new().route("/", get(pages::home))
}
