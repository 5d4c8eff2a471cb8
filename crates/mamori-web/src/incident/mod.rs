//! 情報セキュリティインシデント (seed §6(7)): a report anyone signed in may make, reaching the
//! CSIRT and the unit's 管理者; the CSIRT's triage (severity, category from the threats,
//! personal data, owner, assets), the typed timeline, and the external notifications with their
//! deadlines as data, overdue ones flagged; its 対応タスク with owners, its 教訓 once closed and
//! the reviews citing it; and the インシデント候補 the gateway and the monitor raise, opened as
//! incidents or dismissed with a reason.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/incidents", get(pages::list).post(pages::report))
        .route("/incidents/{id}", get(pages::incident))
        .route("/emergency-contacts", get(pages::contacts))
        .route("/incident-candidates", get(pages::candidates))
        .route(
            "/incident-candidates/{id}/open",
            post(pages::open_candidate),
        )
        .route(
            "/incident-candidates/{id}/dismiss",
            post(pages::dismiss_candidate),
        )
        .route("/incidents/{id}/triage", post(pages::triage))
        .route("/incidents/{id}/events", post(pages::add_event))
        .route("/incidents/{id}/tasks", post(pages::add_task))
        .route("/incidents/{id}/lessons", post(pages::record_lessons))
        .route(
            "/incidents/{id}/tasks/{task}/done",
            post(pages::complete_task),
        )
}
