//! リスク (seed §3, §8): the threats, the risk register with its filters and heat map, a risk's
//! page with its edit form, and the acceptance reserved to the CISO above the threshold.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/risks", get(pages::register).post(pages::create))
        .route("/risks/{id}", get(pages::risk).post(pages::update))
        .route("/risks/{id}/accept", post(pages::accept))
        .route("/risk-matrix", get(pages::matrix).post(pages::set_matrix))
        .route("/threats", get(pages::threats).post(pages::create_threat))
        .route("/threats/{id}", post(pages::update_threat))
}
