//! 自己点検 (seed §7): yearly campaigns over a catalogue, each unit's items answered by its
//! 管理者 and signed off by its organisation's 責任者, the dashboard by unit and chapter with
//! last year's answers beside this year's; 未実施 and 一部実施 become findings at sign-off.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;
pub use ops::campaign_items;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/inspections", get(pages::list).post(pages::create))
        .route("/inspections/{id}", get(pages::dashboard))
        .route("/inspections/{id}/units/{unit}", get(pages::unit))
        .route(
            "/inspections/{id}/units/{unit}/sign-off",
            post(pages::sign_off),
        )
}
