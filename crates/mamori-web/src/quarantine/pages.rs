//! 隔離メール (quarantined mail) and 原本の提供申請 (release requests): the pages of `mamori serve`
//! when it runs the gateway. Someone a message was addressed to sees it with its sanitize report
//! and asks for the original; a security role over them approves or rejects; the release worker
//! delivers. Every step asks `authorize` and is written to the audit trail by the store.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::authz::{ApproveRelease, authorize};
use mamori_core::release::{QuarantinedMail, ReleaseRequest, ReleaseState};
use mamori_core::time::format_jst;
use serde::Deserialize;

use super::ops::{self, ItemData, ListQuery};
use crate::http::AppError;
use crate::http::AppState;
use crate::http::{Form, Id, PathParams, User};
use crate::http::{Frame, render};

/// One entry in a list.
pub struct EntryRow {
    pub id: String,
    pub received: String,
    pub from: String,
    pub recipients: String,
    pub verdict: String,
    pub direction: &'static str,
    pub reasons: String,
    pub expires: String,
    pub subject: String,
    pub size: String,
    /// The latest release request's state, as far as the quarantine knows it.
    pub release_state: String,
    /// Addressed to the viewer.
    pub mine: bool,
}

fn entry_row(entry: &QuarantinedMail, mine: bool) -> EntryRow {
    EntryRow {
        id: entry.id.clone(),
        received: format_jst(entry.received_ms),
        from: entry.from.clone(),
        recipients: entry.recipients.join(", "),
        verdict: entry.verdict.clone(),
        direction: entry.direction.as_str(),
        reasons: entry.reasons.join(", "),
        expires: format_jst(entry.retain_until_ms),
        subject: entry.subject.clone(),
        size: entry
            .original_size
            .map(|s| s.to_string())
            .unwrap_or_default(),
        release_state: entry.release_state.clone().unwrap_or_default(),
        mine,
    }
}

/// One release request as the pages show it.
pub struct RequestRow {
    pub id: i64,
    pub quarantine_id: String,
    pub address: String,
    pub requester: String,
    pub reason: String,
    pub state: &'static str,
    pub approver: String,
    pub note: String,
    pub requested: String,
    pub decided: String,
    pub attempts: i64,
    pub result: String,
    pub can_decide: bool,
}

fn request_row(user: &User, r: &ReleaseRequest) -> RequestRow {
    RequestRow {
        id: r.id.0,
        quarantine_id: r.quarantine_id.clone(),
        address: r.address.clone(),
        requester: r.requester_name.clone(),
        reason: r.reason.clone(),
        state: r.state.as_str(),
        approver: r.approver_name.clone().unwrap_or_default(),
        note: r.decision_note.clone(),
        requested: format_jst(r.requested_at),
        decided: r.decided_at.map(format_jst).unwrap_or_default(),
        attempts: r.attempts,
        result: r.last_result.clone(),
        can_decide: r.state == ReleaseState::Requested
            && authorize::<ApproveRelease>(&user.actor, &r.decision()).is_ok(),
    }
}

/// Message keys of what the pages show as codes.
trait Keys {
    fn state_key(&self, state: &str) -> &'static str {
        match state {
            "requested" => "quarantine.state.requested",
            "approved" => "quarantine.state.approved",
            "rejected" => "quarantine.state.rejected",
            "delivered" => "quarantine.state.delivered",
            _ => "quarantine.state.failed",
        }
    }

    fn verdict_key(&self, verdict: &str) -> &'static str {
        match verdict {
            "sanitized" => "quarantine.verdict.sanitized",
            "held" => "quarantine.verdict.held",
            _ => "quarantine.verdict.quarantined",
        }
    }

    fn direction_key(&self, direction: &str) -> &'static str {
        match direction {
            "outbound" => "quarantine.direction.outbound",
            _ => "quarantine.direction.inbound",
        }
    }
}

impl Keys for ListPage {}
impl Keys for ItemPage {}
impl Keys for ReleasesPage {}

// ---------------------------------------------------------------------------------------------
// The list: my quarantined mail, and all of it for the security roles

#[derive(Template)]
#[template(path = "quarantine_list.html")]
pub struct ListPage {
    pub frame: Frame,
    pub entries: Vec<EntryRow>,
    pub requests: Vec<RequestRow>,
    pub can_view_all: bool,
    pub has_email: bool,
    pub query: ListQuery,
    /// The next page's address, with the same filter; empty on the last page.
    pub next_href: String,
    pub verdicts: [&'static str; 3],
}

impl ListPage {
    /// `/quarantine?…` with this filter and the page beginning at `before`.
    fn href(query: &ListQuery, before: &str) -> String {
        let mut url = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("verdict", &query.verdict),
            ("from", &query.from),
            ("to", &query.to),
            ("sender", &query.sender),
            ("recipient", &query.recipient),
            ("reason", &query.reason),
            ("limit", &query.limit),
        ] {
            if !value.trim().is_empty() {
                url.append_pair(key, value.trim());
            }
        }
        url.append_pair("before", before);
        format!("/quarantine?{}", url.finish())
    }
}

pub async fn list(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let data = ops::list_data(&state, &user, &query).await?;
    Ok(Html(render(&ListPage {
        next_href: data
            .next
            .as_deref()
            .map(|next| ListPage::href(&query, next))
            .unwrap_or_default(),
        query,
        verdicts: ["sanitized", "quarantined", "held"],
        frame: Frame::new(&user, "quarantine.title"),
        entries: data
            .entries
            .iter()
            .map(|(e, mine)| entry_row(e, *mine))
            .collect(),
        requests: data
            .requests
            .iter()
            .map(|r| request_row(&user, r))
            .collect(),
        can_view_all: data.can_view_all,
        has_email: data.has_email,
    }))
    .into_response())
}

// ---------------------------------------------------------------------------------------------
// One entry: its report, its requests, the request form and the approvers' buttons

/// A removed part of the sanitize report.
pub struct PartRow {
    pub part: String,
    pub file_name: String,
    pub declared: String,
    pub detected: String,
    pub size: String,
    pub sha256: String,
    pub reason: String,
    pub quarantine_id: String,
}

/// An ambiguity the engine found.
pub struct AmbiguityRow {
    pub kind: String,
    pub part: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "quarantine_item.html")]
pub struct ItemPage {
    pub frame: Frame,
    pub entry: EntryRow,
    pub size: String,
    pub hold_reason: String,
    pub error: String,
    pub parts: Vec<PartRow>,
    pub ambiguities: Vec<AmbiguityRow>,
    pub requests: Vec<RequestRow>,
    pub can_request: bool,
    /// The address the original would go to (the viewer's, as the message has it).
    pub request_address: String,
}

impl ItemPage {
    /// A removal reason in the viewer's language; the engine's code when we have no text.
    pub fn reason_text(&self, code: &str) -> String {
        let key = format!("quarantine.reason.{code}");
        self.frame
            .lang
            .lookup(&key)
            .map_or_else(|| code.to_owned(), str::to_owned)
    }
}

fn text_of(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn report_rows(entry: &QuarantinedMail) -> (Vec<PartRow>, Vec<AmbiguityRow>, String) {
    let report = &entry.report;
    let parts = report["removed"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| PartRow {
            part: text_of(&p["part"]),
            file_name: text_of(&p["file_name"]),
            declared: text_of(&p["declared_type"]),
            detected: text_of(&p["detected_type"]),
            size: text_of(&p["size"]),
            sha256: text_of(&p["sha256"]),
            reason: text_of(&p["reason"]),
            quarantine_id: text_of(&p["quarantine_id"]),
        })
        .collect();
    let ambiguities = report["ambiguities"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| AmbiguityRow {
            kind: text_of(&a["kind"]),
            part: text_of(&a["part"]),
            detail: text_of(&a["detail"]),
        })
        .collect();
    (parts, ambiguities, text_of(&report["error"]))
}

pub async fn item(
    State(state): State<AppState>,
    user: User,
    PathParams(raw): PathParams<String>,
) -> Result<Response, AppError> {
    let ItemData {
        entry,
        parties,
        requests,
        can_request,
    } = ops::item_data(&state, &user, &raw).await?;
    let (parts, ambiguities, error) = report_rows(&entry);
    let mine = parties.actor_asker().is_some();
    Ok(Html(render(&ItemPage {
        frame: Frame::new(&user, "quarantine.item"),
        entry: entry_row(&entry, mine),
        size: entry
            .original_size
            .map(|s| s.to_string())
            .unwrap_or_default(),
        hold_reason: entry.hold_reason.clone().unwrap_or_default(),
        error,
        parts,
        ambiguities,
        requests: requests.iter().map(|r| request_row(&user, r)).collect(),
        can_request,
        request_address: parties.actor_asker().unwrap_or_default().to_owned(),
    }))
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    pub reason: String,
}

pub async fn request(
    State(state): State<AppState>,
    user: User,
    PathParams(raw): PathParams<String>,
    Form(form): Form<RequestForm>,
) -> Result<Response, AppError> {
    let request = ops::request_release(&state, &user, &raw, &form.reason).await?;
    Ok(Redirect::to(&format!("/quarantine/{}", request.quarantine_id)).into_response())
}

// ---------------------------------------------------------------------------------------------
// The approvers' queue and the decision

#[derive(Template)]
#[template(path = "quarantine_releases.html")]
pub struct ReleasesPage {
    pub frame: Frame,
    pub pending: Vec<RequestRow>,
    pub recent: Vec<RequestRow>,
}

pub async fn releases(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let (pending, recent) = ops::releases_data(&state, &user).await?;
    Ok(Html(render(&ReleasesPage {
        frame: Frame::new(&user, "quarantine.releases"),
        pending: pending.iter().map(|r| request_row(&user, r)).collect(),
        recent: recent.iter().map(|r| request_row(&user, r)).collect(),
    }))
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub note: String,
}

pub async fn decide(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    Form(form): Form<DecideForm>,
) -> Result<Response, AppError> {
    let decided = ops::decide_release(&state, &user, id, &form.decision, &form.note).await?;
    Ok(Redirect::to(&format!("/quarantine/{}", decided.quarantine_id)).into_response())
}
