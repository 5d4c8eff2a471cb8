//! The audit trail (監査証跡) as a page.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use mamori_core::authz::{ViewAudit, authorize};
use mamori_store::AuditFilter;
use serde::Deserialize;

use crate::http::{AppError, AppState, Frame, User, format_time, parse_date, parse_opt_id, render};

// Audit trail

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub before: String,
}

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

/// Reads the audit filter from a query string; dates are JST calendar days, `to` inclusive.
pub fn audit_filter(query: &AuditQuery, limit: i64) -> Result<AuditFilter, AppError> {
    let clip = |s: &str| -> Option<String> {
        let s: String = s.trim().chars().take(100).collect();
        (!s.is_empty()).then_some(s)
    };
    Ok(AuditFilter {
        action_prefix: clip(&query.action),
        actor_name: clip(&query.actor),
        from_ms: parse_date("from", &query.from)?,
        to_ms: parse_date("to", &query.to)?.map(|t| t + 86_400_000),
        before_seq: parse_opt_id("before", &query.before)?,
        limit,
    })
}

pub async fn audit(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let grant = authorize::<ViewAudit>(&user.actor, &())?;
    let filter = audit_filter(&query, 100)?;
    let records = state.store.list_audit(&grant, &filter).await?;
    let event = user
        .ctx
        .origin()
        .event("audit.view", "audit", "")
        .with_detail(serde_json::json!({"action": filter.action_prefix, "actor": filter.actor_name, "from": query.from, "to": query.to}));
    state.store.record(event).await?;
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
            at: format_time(r.at_ms),
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
