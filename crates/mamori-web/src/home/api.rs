//! What waits for the caller, in the JSON API.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, DueVersion};
use crate::http::{AppError, AppState, User};

mod json {
    use super::*;

    /// What waits for the caller.
    #[derive(Serialize, ToSchema)]
    pub struct Waiting {
        /// Versions in force to confirm (遵守の確認).
        pub acknowledgements: Vec<Version>,
        /// Versions in review the caller may approve.
        pub approvals: Vec<Version>,
        /// Checklists of the units the caller is the 情報セキュリティ管理者 of.
        pub checklists: Vec<Checklist>,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Version {
        pub policy_id: i64,
        pub title: String,
        pub org_name: String,
        pub version: i64,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Checklist {
        pub catalogue_id: i64,
        pub catalogue: String,
        pub unit_id: i64,
        pub unit: String,
    }
}

fn versions(list: &[DueVersion]) -> Vec<json::Version> {
    list.iter()
        .map(|v| json::Version {
            policy_id: v.policy_id,
            title: v.title.clone(),
            org_name: v.org_name.clone(),
            version: v.number,
        })
        .collect()
}

#[derive(OpenApi)]
#[openapi(paths(waiting))]
pub struct HomeApiDoc;

/// What waits for the caller: versions to confirm and to approve, checklists to answer.
#[utoipa::path(
    get,
    path = "/api/v1/waiting",
    tag = "meta",
    responses(
        (status = 200, body = json::Waiting),
        (status = 401, body = crate::http::api::ErrorBody),
    )
)]
async fn waiting(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<json::Waiting>, AppError> {
    let waiting = ops::waiting(&state, &user).await?;
    Ok(Json(json::Waiting {
        acknowledgements: versions(&waiting.acknowledgements),
        approvals: versions(&waiting.approvals),
        checklists: waiting
            .checklists
            .iter()
            .map(|c| json::Checklist {
                catalogue_id: c.catalogue_id,
                catalogue: c.catalogue.clone(),
                unit_id: c.unit_id,
                unit: c.unit.clone(),
            })
            .collect(),
    }))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(HomeApiDoc::openapi()).routes(routes!(waiting))
}
