//! 情報セキュリティポリシー (seed §1, §5, §12): the three tiers of documents, their versions from
//! draft to superseded, the published basic policy, and the staff's confirmations.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::imported_json;
pub use api::router as api;
pub use ops::{ImportDraft, import_text};

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/policy", get(pages::public))
        .route("/policies", get(pages::list))
        .route("/policies/import", post(pages::import))
        .route("/policies/{id}", get(pages::document))
        .route("/policies/{id}/draft", post(pages::save_draft))
        .route("/policies/{id}/diff", get(pages::compare))
        .route("/policies/{id}/versions/{n}", get(pages::version))
        .route("/policies/{id}/versions/{n}/step", post(pages::step))
        .route(
            "/policies/{id}/versions/{n}/acknowledge",
            post(pages::acknowledge),
        )
        .route(
            "/policies/{id}/versions/{n}/acknowledgements",
            get(pages::acknowledgements),
        )
}
