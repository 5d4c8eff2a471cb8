//! 研修・教育 (seed §6(5)): courses with their audience (roles, units, or everyone on the
//! staff), due date and whether they repeat each 年度; assignments made when a course opens and
//! again on request (for those who joined its audience, or a yearly course's next 年度);
//! completions recorded by the person, by an administrator or imported from another system's
//! CSV; progress per unit and the list of who has not completed for the unit's 管理者.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;
pub use ops::import_completions;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/training", get(pages::list).post(pages::create))
        .route("/training/courses/{id}", get(pages::course))
        .route("/training/courses/{id}/assign", post(pages::assign))
        .route("/training/courses/{id}/units/{unit}", get(pages::unit))
        .route("/training/assignments/{id}/complete", post(pages::complete))
        .route("/training/import", post(pages::import))
}
