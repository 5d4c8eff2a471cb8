//! 例外措置 (seed §6(9)): a unit's deviation from a measure, asked for with its reason,
//! compensating measures and end date, or taken first in an emergency and reported within the
//! set days; the CISO decides; expired ones are flagged, on this list and on the unit's
//! checklist against the measure.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/exceptions", get(pages::list).post(pages::request))
        .route("/exceptions/{id}", get(pages::exception))
        .route("/exceptions/{id}/decide", post(pages::decide))
}
