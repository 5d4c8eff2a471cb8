//! The audit trail (監査証跡) as a page.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use mamori_core::time::format_jst;

use super::ops::{self, AuditQuery};
use crate::http::{AppError, AppState, Frame, User, render};

// Audit trail

pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub address: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    frame: Frame,
    rows: Vec<AuditRow>,
    action: String,
    actor: String,
    from: String,
    to: String,
    older: Option<String>,
}

pub async fn audit(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let (records, filter) = ops::list(&state, &user, &query, 100).await?;
    let older = (records.len() as i64 == filter.limit).then(|| {
        let last = records.last().map(|r| r.seq).unwrap_or_default();
        let mut params = form_urlencoded::Serializer::new(String::new());
        params
            .append_pair("action", &query.action)
            .append_pair("actor", &query.actor)
            .append_pair("from", &query.from)
            .append_pair("to", &query.to)
            .append_pair("before", &last.to_string());
        format!("/audit?{}", params.finish())
    });
    let rows = records
        .into_iter()
        .map(|r| AuditRow {
            seq: r.seq,
            at: format_jst(r.at_ms),
            actor: r.event.actor_name,
            action: r.event.action,
            target: format!("{} {}", r.event.target_kind, r.event.target_id),
            address: r.event.address,
            detail: r.event.detail.to_string(),
        })
        .collect();
    Ok(Html(render(&AuditPage {
        frame: Frame::new(&user, "audit.title"),
        rows,
        action: query.action,
        actor: query.actor,
        from: query.from,
        to: query.to,
        older,
    }))
    .into_response())
}
