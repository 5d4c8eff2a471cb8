//! 隔離メール (quarantined mail) and 原本の提供申請 (release requests) in the JSON API. Every
//! handler calls the function the pages call (`quarantine_pages`), so a form and a JSON body are
//! judged, authorised and audited alike.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use mamori_core::release::QuarantinedMail;
use mamori_core::release::ReleaseRequest;
use mamori_core::time::rfc3339_jst;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{
    ItemData, ListQuery, decide_release, item_data, list_data, releases_data, request_release,
};
use crate::http::AppError;
use crate::http::AppState;
use crate::http::User;
use crate::http::api::{PREFIX, created};
use crate::http::{ApiJson, ApiQuery, Id, PathParams};

mod json {
    use super::*;

    /// 隔離メール: one quarantined original.
    #[derive(Serialize, ToSchema)]
    pub struct Entry {
        /// 隔離ID of the whole message.
        pub id: String,
        pub received_at: String,
        pub from: String,
        pub recipients: Vec<String>,
        /// `sanitized` (parts removed) or `quarantined` (the whole message held).
        pub verdict: String,
        /// `inbound` or `outbound`.
        pub direction: String,
        pub reasons: Vec<String>,
        /// The original may be purged after this.
        pub retain_until: String,
        /// The original's Subject, decoded.
        pub subject: String,
        /// Size of the kept original in bytes; absent when it is missing.
        pub size: Option<u64>,
        /// The latest release request's state as far as the quarantine knows it.
        pub release_state: Option<String>,
        /// Addressed to the caller.
        pub mine: bool,
    }

    #[derive(Serialize, ToSchema)]
    pub struct EntryList {
        pub entries: Vec<Entry>,
        /// The caller's own release requests, newest first.
        pub requests: Vec<Release>,
        /// The caller's role lets them see every entry, not only their own.
        pub can_view_all: bool,
        /// The caller's account has an address mail can be matched against.
        pub has_email: bool,
        /// `before` for the next page, with the same filter; absent on the last page.
        pub next: Option<String>,
    }

    /// The list's filter and page, as query parameters.
    #[derive(Deserialize, utoipa::IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct ListParams {
        /// `sanitized`, `quarantined` or `held`.
        pub verdict: Option<String>,
        /// First day received, `YYYY-MM-DD` (JST).
        pub from: Option<String>,
        /// Last day received, `YYYY-MM-DD` (JST), included.
        pub to: Option<String>,
        /// A part of the sender's address (ASCII letters in either case).
        pub sender: Option<String>,
        /// A part of a recipient's address.
        pub recipient: Option<String>,
        /// A reason code, exactly (`executable`, `my-number`, …).
        pub reason: Option<String>,
        /// The previous page's `next`.
        pub before: Option<String>,
        /// Entries per page, 1 to 200 (50 by default).
        pub limit: Option<String>,
    }

    /// One entry with its sanitize report (無害化レポート) and its release requests.
    #[derive(Serialize, ToSchema)]
    pub struct EntryDetail {
        #[serde(flatten)]
        pub entry: Entry,
        /// Why an outbound message was held.
        pub hold_reason: Option<String>,
        /// The report of the engine: `removed` parts (each with `quarantine_id`, `reason`,
        /// `sha256`, …), `ambiguities`, `actions`, and `error` when it failed.
        #[schema(value_type = Object)]
        pub report: serde_json::Value,
        pub requests: Vec<Release>,
        /// The caller may ask for the original now.
        pub can_request: bool,
    }

    /// 原本の提供申請.
    #[derive(Serialize, ToSchema)]
    pub struct Release {
        pub id: i64,
        pub quarantine_id: String,
        /// `inbound` or `outbound`.
        pub direction: String,
        /// The address the original goes to.
        pub address: String,
        pub requester_id: i64,
        pub requester_name: String,
        pub reason: String,
        /// `requested`, `approved`, `rejected`, `delivered` or `failed`.
        pub state: String,
        pub approver_id: Option<i64>,
        pub approver_name: Option<String>,
        pub decision_note: String,
        pub requested_at: String,
        pub decided_at: Option<String>,
        pub finished_at: Option<String>,
        pub attempts: i64,
        /// The next hop's last reply or the last error.
        pub last_result: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct ReleaseQueue {
        /// Awaiting a decision.
        pub pending: Vec<Release>,
        /// The latest decided requests.
        pub recent: Vec<Release>,
    }

    /// A request for the original.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RequestBody {
        /// 申請理由 (required).
        pub reason: String,
    }

    /// A decision on a request.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct DecideBody {
        /// `approve` or `reject`.
        pub decision: String,
        /// Why; required when rejecting.
        #[serde(default)]
        pub note: String,
    }
}

fn entry_json(entry: &QuarantinedMail, mine: bool) -> json::Entry {
    json::Entry {
        id: entry.id.clone(),
        received_at: rfc3339_jst(entry.received_ms),
        from: entry.from.clone(),
        recipients: entry.recipients.clone(),
        verdict: entry.verdict.clone(),
        direction: entry.direction.as_str().to_owned(),
        reasons: entry.reasons.clone(),
        retain_until: rfc3339_jst(entry.retain_until_ms),
        subject: entry.subject.clone(),
        size: entry.original_size,
        release_state: entry.release_state.clone(),
        mine,
    }
}

impl From<&ReleaseRequest> for json::Release {
    fn from(r: &ReleaseRequest) -> Self {
        Self {
            id: r.id.0,
            quarantine_id: r.quarantine_id.clone(),
            direction: r.direction.as_str().to_owned(),
            address: r.address.clone(),
            requester_id: r.requester.0,
            requester_name: r.requester_name.clone(),
            reason: r.reason.clone(),
            state: r.state.as_str().to_owned(),
            approver_id: r.approver.map(|u| u.0),
            approver_name: r.approver_name.clone(),
            decision_note: r.decision_note.clone(),
            requested_at: rfc3339_jst(r.requested_at),
            decided_at: r.decided_at.map(rfc3339_jst),
            finished_at: r.finished_at.map(rfc3339_jst),
            attempts: r.attempts,
            last_result: r.last_result.clone(),
        }
    }
}

fn releases(list: &[ReleaseRequest]) -> Vec<json::Release> {
    list.iter().map(Into::into).collect()
}

#[derive(OpenApi)]
#[openapi(
    paths(list_quarantine, list_releases, decide, get_entry, request),
    tags(
        (name = "quarantine", description = "隔離メール and 原本の提供申請: the gateway's quarantine and the release of originals"),
    )
)]
pub struct QuarantineApiDoc;

/// One page of the caller's quarantined mail (addressed to their account's address), or of every
/// entry for the security roles, newest first, filtered as the parameters say, with the
/// caller's own release requests. 404 when no gateway runs.
#[utoipa::path(
    get,
    path = "/api/v1/quarantine",
    tag = "quarantine",
    params(json::ListParams),
    responses(
        (status = 200, body = json::EntryList),
        (status = 401, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn list_quarantine(
    State(state): State<AppState>,
    user: User,
    ApiQuery(params): ApiQuery<json::ListParams>,
) -> Result<Json<json::EntryList>, AppError> {
    let query = ListQuery {
        verdict: params.verdict.unwrap_or_default(),
        from: params.from.unwrap_or_default(),
        to: params.to.unwrap_or_default(),
        sender: params.sender.unwrap_or_default(),
        recipient: params.recipient.unwrap_or_default(),
        reason: params.reason.unwrap_or_default(),
        before: params.before.unwrap_or_default(),
        limit: params.limit.unwrap_or_default(),
    };
    let data = list_data(&state, &user, &query).await?;
    Ok(Json(json::EntryList {
        entries: data
            .entries
            .iter()
            .map(|(e, mine)| entry_json(e, *mine))
            .collect(),
        requests: releases(&data.requests),
        can_view_all: data.can_view_all,
        has_email: data.has_email,
        next: data.next,
    }))
}

/// One entry with its sanitize report. A part's 隔離ID finds its message too. The read is
/// recorded in the audit trail; an id that is malformed, unknown or not the caller's is 404 alike.
#[utoipa::path(
    get,
    path = "/api/v1/quarantine/{id}",
    tag = "quarantine",
    params(("id" = String, Path, description = "隔離ID of the message or of one of its parts")),
    responses(
        (status = 200, body = json::EntryDetail),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_entry(
    State(state): State<AppState>,
    user: User,
    PathParams(raw): PathParams<String>,
) -> Result<Json<json::EntryDetail>, AppError> {
    let ItemData {
        entry,
        parties,
        requests,
        can_request,
    } = item_data(&state, &user, &raw).await?;
    let mine = parties.actor_asker().is_some();
    Ok(Json(json::EntryDetail {
        entry: entry_json(&entry, mine),
        hold_reason: entry.hold_reason.clone(),
        report: entry.report.clone(),
        requests: releases(&requests),
        can_request,
    }))
}

/// Asks for the original, to be delivered to the caller's address on the message once a
/// 情報セキュリティ管理者 other than the caller approves.
#[utoipa::path(
    post,
    path = "/api/v1/quarantine/{id}/request",
    tag = "quarantine",
    params(("id" = String, Path, description = "隔離ID of the message or of one of its parts")),
    request_body = json::RequestBody,
    responses(
        (status = 201, body = json::Release),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn request(
    State(state): State<AppState>,
    user: User,
    PathParams(raw): PathParams<String>,
    ApiJson(body): ApiJson<json::RequestBody>,
) -> Result<Response, AppError> {
    let made = request_release(&state, &user, &raw, &body.reason).await?;
    Ok(created(
        format!("{PREFIX}/quarantine/{}", made.quarantine_id),
        json::Release::from(&made),
    ))
}

/// The requests awaiting a decision and the latest decided ones (the security roles).
#[utoipa::path(
    get,
    path = "/api/v1/quarantine/releases",
    tag = "quarantine",
    responses(
        (status = 200, body = json::ReleaseQueue),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn list_releases(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<json::ReleaseQueue>, AppError> {
    let (pending, recent) = releases_data(&state, &user).await?;
    Ok(Json(json::ReleaseQueue {
        pending: releases(&pending),
        recent: releases(&recent),
    }))
}

/// Approves or rejects a request. The approver is never the requester; an approved original is
/// delivered by the release worker.
#[utoipa::path(
    post,
    path = "/api/v1/quarantine/releases/{id}/decide",
    tag = "quarantine",
    params(("id" = i64, Path, description = "Release request id")),
    request_body = json::DecideBody,
    responses(
        (status = 200, body = json::Release),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn decide(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    ApiJson(body): ApiJson<json::DecideBody>,
) -> Result<Json<json::Release>, AppError> {
    let decided = decide_release(&state, &user, id, &body.decision, &body.note).await?;
    Ok(Json(json::Release::from(&decided)))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(QuarantineApiDoc::openapi())
        .routes(routes!(list_quarantine))
        .routes(routes!(get_entry))
        .routes(routes!(request))
        .routes(routes!(list_releases))
        .routes(routes!(decide))
}
