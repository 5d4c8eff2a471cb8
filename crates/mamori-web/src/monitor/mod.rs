//! 不正通信の監視 (seed §6(3), §6(7)): the alerts the monitor raised, with their filters and
//! counts per rule; an alert with its evidence, both ends placed on segments and assets, and the
//! CSIRT's acknowledgement and closing, and the インシデント候補 raised from it (by the monitor
//! for the settings' candidate rules, or by the CSIRT by hand); the crossing matrix editor on the
//! segments page (`/segments/crossing`: a cell edited, a model of the 総務省 guidelines applied,
//! cells naming deleted segments removed); the monitor's settings; and each segment's flows.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/monitor/alerts", get(pages::list))
        .route("/monitor/alerts/{id}", get(pages::alert))
        .route("/monitor/alerts/{id}/acknowledge", post(pages::acknowledge))
        .route("/monitor/alerts/{id}/close", post(pages::close))
        .route(
            "/monitor/alerts/{id}/candidate",
            post(pages::raise_candidate),
        )
        .route(
            "/monitor/settings",
            get(pages::settings).post(pages::save_settings),
        )
        .route("/monitor/segments/{code}", get(pages::segment))
        .route(
            "/segments/crossing",
            get(pages::matrix).post(pages::set_cell),
        )
        .route("/segments/crossing/remove", post(pages::remove_cell))
        .route("/segments/crossing/preset", post(pages::preset))
}
