//! ソーシャルメディアアカウント (seed §6(8)): each account with its responsible person (required),
//! the rules of what may be published, two-factor authentication and its reviews; an account
//! without a responsible person in post, without two-factor authentication or overdue for its
//! review is flagged. Recording a review is a step of its own.

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
            "/social-media-accounts",
            get(pages::list).post(pages::create),
        )
        .route(
            "/social-media-accounts/{id}",
            get(pages::account).post(pages::update),
        )
        .route("/social-media-accounts/{id}/reviews", post(pages::review))
}
