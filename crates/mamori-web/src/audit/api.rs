//! The audit trail as JSON.

use axum::Json;
use axum::extract::State;
use mamori_core::time::rfc3339_jst;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, AuditQuery};
use crate::http::api::{ErrorBody, parse_count};
use crate::http::{ApiQuery, AppError, AppState, User};

mod json {
    use super::*;

    /// A record of the hash-chained audit trail.
    #[derive(Serialize, ToSchema)]
    pub struct AuditRecord {
        pub seq: i64,
        /// RFC 3339, JST.
        pub at: String,
        pub actor_id: Option<i64>,
        pub actor_name: String,
        pub action: String,
        pub target_kind: String,
        pub target_id: String,
        pub unit_id: Option<i64>,
        pub address: String,
        #[schema(value_type = Object)]
        pub detail: serde_json::Value,
    }

    #[derive(Serialize, ToSchema)]
    pub struct AuditPage {
        /// Newest first.
        pub records: Vec<AuditRecord>,
        /// Pass as `before` to get the next, older page; absent on the last page.
        pub next_before: Option<i64>,
    }

    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct AuditParams {
        /// Actions starting with this text (`login` matches `login.failed`).
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub action: String,
        /// Exactly this login name.
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub actor: String,
        /// First day, `YYYY-MM-DD` (JST).
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub from: String,
        /// Last day, inclusive, `YYYY-MM-DD` (JST).
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub to: String,
        /// Records older than this sequence number (from `next_before`).
        #[serde(default)]
        #[param(value_type = Option<i64>)]
        pub before: String,
        /// How many to return (default 100, at most 500).
        #[serde(default)]
        #[param(value_type = Option<i64>)]
        pub limit: String,
    }
}

// Audit trail

/// The audit trail, newest first. Auditors never see records of their own unit. Browsing it is
/// itself recorded.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    params(json::AuditParams),
    responses(
        (status = 200, body = json::AuditPage),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn list_audit(
    State(state): State<AppState>,
    user: User,
    ApiQuery(params): ApiQuery<json::AuditParams>,
) -> Result<Json<json::AuditPage>, AppError> {
    let limit = parse_count("limit", &params.limit, 100, 1, 500)?;
    let query = AuditQuery {
        action: params.action,
        actor: params.actor,
        from: params.from,
        to: params.to,
        before: params.before,
    };
    let (records, _) = ops::list(&state, &user, &query, limit).await?;
    let next_before = (records.len() as i64 == limit)
        .then(|| records.last().map(|r| r.seq))
        .flatten();
    Ok(Json(json::AuditPage {
        records: records
            .into_iter()
            .map(|r| json::AuditRecord {
                seq: r.seq,
                at: rfc3339_jst(r.at_ms),
                actor_id: r.event.actor_id.map(|u| u.0),
                actor_name: r.event.actor_name,
                action: r.event.action,
                target_kind: r.event.target_kind,
                target_id: r.event.target_id,
                unit_id: r.event.unit_id.map(|u| u.0),
                address: r.event.address,
                detail: r.event.detail,
            })
            .collect(),
        next_before,
    }))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}
