//! 外部サービス (seed §6(8)): the cloud services in use, the 機密性 levels each may hold, their
//! ISMAP registration (expired or soon expiring flagged), the rules for their use and the
//! responsible unit; assets placed in a service whose levels do not take their class are
//! flagged, by the rule segments use.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/cloud-services", get(pages::list).post(pages::create))
        .route(
            "/cloud-services/{id}",
            get(pages::service).post(pages::update),
        )
        .route("/cloud-services/{id}/assets", post(pages::place))
        .route(
            "/cloud-services/{id}/assets/{asset}/remove",
            post(pages::unplace),
        )
}
