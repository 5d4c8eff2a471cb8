//! 情報セキュリティ監査 (seed §7): an audit's plan (scope: units and chapters; criteria;
//! period), its team — independent of the scope, refused with the reason otherwise —, the
//! fieldwork notes and findings, the printable report and the findings' workbook.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/audits", get(pages::list).post(pages::create))
        .route("/audits/{id}", get(pages::audit))
        .route(
            "/audits/{id}/report",
            get(pages::report_page).post(pages::report),
        )
        .route("/audits/{id}/findings.xlsx", get(pages::export))
        .route("/audits/{id}/team", post(pages::add_member))
        .route(
            "/audits/{id}/team/{person}/remove",
            post(pages::remove_member),
        )
        .route("/audits/{id}/notes", post(pages::add_note))
        .route("/audits/{id}/findings", post(pages::raise_finding))
}
