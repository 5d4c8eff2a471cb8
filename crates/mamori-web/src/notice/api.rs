//! お知らせ in the JSON API: one's notices and digest choice, and the outbox for administrators.
//! Every handler calls the operation the page calls.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use mamori_core::time::rfc3339_jst;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops;
use crate::http::error::status;
use crate::http::{ApiJson, AppError, AppState, User};

mod json {
    use super::*;

    /// お知らせ.
    #[derive(Serialize, ToSchema)]
    pub struct Notice {
        pub id: i64,
        /// `incident_reported`, `notification_overdue`, `exception_requested`,
        /// `exception_expired`, `action_overdue`, `version_in_review`, `training_due` or
        /// `incident_task_overdue`.
        pub kind: String,
        /// What it is about.
        pub title: String,
        /// Its line in the caller's language.
        pub text: String,
        /// The path of its page.
        pub link: String,
        pub created_at: String,
        /// `pending`, `mailed`, `opted_out` or `no_address`.
        pub state: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Notices {
        /// The caller left the daily digest (incident mail comes anyway).
        pub digest_opt_out: bool,
        pub notices: Vec<Notice>,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct DigestBody {
        pub opt_out: bool,
    }

    /// A mail of the outbox.
    #[derive(Serialize, ToSchema)]
    pub struct Mail {
        pub id: i64,
        pub recipient: String,
        pub subject: String,
        pub created_at: String,
        pub attempts: u32,
        pub next_attempt_at: Option<String>,
        pub last_error: String,
        pub sent_at: Option<String>,
        pub failed_at: Option<String>,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Outbox {
        /// Waiting for the relay.
        pub queued: i64,
        /// Waiting, and tried at least once.
        pub retrying: i64,
        /// Refused for good by the relay.
        pub failed: i64,
        pub sent: i64,
        /// The newest mails.
        pub mails: Vec<Mail>,
    }
}

#[derive(OpenApi)]
#[openapi(
    components(schemas(json::Notice, json::Notices, json::DigestBody, json::Mail, json::Outbox)),
    tags(
        (name = "notices", description = "お知らせ: notices and their mails"),
    )
)]
pub struct NoticeApiDoc;

/// The caller's notices, newest first, and their digest choice.
#[utoipa::path(
    get,
    path = "/api/v1/notices",
    tag = "notices",
    responses((status = 200, body = json::Notices))
)]
async fn list_notices(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<json::Notices>, AppError> {
    let mine = ops::mine(&state, &user).await?;
    let lang = user.ctx.lang;
    Ok(Json(json::Notices {
        digest_opt_out: mine.digest_opt_out,
        notices: mine
            .notices
            .iter()
            .map(|n| json::Notice {
                id: n.id.0,
                kind: n.kind.as_str().to_owned(),
                title: n.title.clone(),
                text: n.kind.line(lang, &n.title),
                link: n.link.clone(),
                created_at: rfc3339_jst(n.created_at),
                state: n.state.as_str().to_owned(),
            })
            .collect(),
    }))
}

/// Leaves the daily digest (`true`) or takes it again (`false`). Incident mail comes either way.
#[utoipa::path(
    put,
    path = "/api/v1/notices/digest",
    tag = "notices",
    request_body = json::DigestBody,
    responses(
        (status = 204),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn set_digest(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::DigestBody>,
) -> Result<Response, AppError> {
    ops::set_digest(&state, &user, body.opt_out).await?;
    Ok(status::NO_CONTENT.into_response())
}

/// The outbox of notice mails (administrators).
#[utoipa::path(
    get,
    path = "/api/v1/outbox",
    tag = "notices",
    responses(
        (status = 200, body = json::Outbox),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn outbox(State(state): State<AppState>, user: User) -> Result<Json<json::Outbox>, AppError> {
    let Some(o) = ops::outbox(&state, &user).await? else {
        return Err(AppError::Forbidden);
    };
    let open = |m: &mamori_store::OutboxMail| m.sent_at.is_none() && m.failed_at.is_none();
    Ok(Json(json::Outbox {
        queued: o.counts.queued,
        retrying: o.counts.retrying,
        failed: o.counts.failed,
        sent: o.counts.sent,
        mails: o
            .mails
            .iter()
            .map(|m| json::Mail {
                id: m.id.0,
                recipient: m.recipient.clone(),
                subject: m.subject.clone(),
                created_at: rfc3339_jst(m.created_at),
                attempts: m.attempts,
                next_attempt_at: open(m).then(|| rfc3339_jst(m.next_attempt_at)),
                last_error: m.last_error.clone(),
                sent_at: m.sent_at.map(rfc3339_jst),
                failed_at: m.failed_at.map(rfc3339_jst),
            })
            .collect(),
    }))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(NoticeApiDoc::openapi())
        .routes(routes!(list_notices))
        .routes(routes!(set_digest))
        .routes(routes!(outbox))
}
