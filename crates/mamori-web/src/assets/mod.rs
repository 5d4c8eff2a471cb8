//! 情報資産台帳 (the asset register, seed §4(2) and §6(2)): assets, segments, classification
//! scales, the summary, and the register as a spreadsheet.

mod api;
mod ops;
mod pages;
mod sheet;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/assets", get(pages::assets).post(pages::create_asset))
        .route("/assets/summary", get(pages::summary))
        .route("/assets/export", get(sheet::export_page))
        .route("/assets/import", post(sheet::import_page))
        .route("/assets/{id}", get(pages::asset).post(pages::update_asset))
        .route("/assets/{id}/reclassify", post(pages::reclassify_asset))
        .route("/assets/{id}/dispose", post(pages::dispose_asset))
        .route(
            "/segments",
            get(pages::segments).post(pages::create_segment),
        )
        .route("/segments/{id}", post(pages::update_segment))
        .route("/segments/{id}/delete", post(pages::delete_segment))
        .route("/classification", get(pages::classification))
        .route("/classification/split", post(pages::set_split))
        .route(
            "/classification/{dimension}/{code}",
            get(pages::level_page).post(pages::update_level),
        )
}
