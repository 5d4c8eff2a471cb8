//! お知らせ: a person's notices (what waits for them, and what was mailed), their choice about
//! the daily digest, and for administrators the outbox of notice mails.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/notices", get(pages::notices))
        .route("/notices/digest", post(pages::digest))
}
