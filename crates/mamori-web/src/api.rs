//! The JSON API under `/api/v1`.

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi))
}

async fn openapi() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"openapi": "3.1.0"}))
}
