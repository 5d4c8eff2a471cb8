//! The hash-chained audit trail (監査証跡), browsed by those allowed to.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::get;

use crate::http::AppState;

pub use api::router as api;

pub fn pages() -> Router<AppState> {
    Router::new().route("/audit", get(pages::audit))
}
