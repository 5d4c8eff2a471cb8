//! `/healthz` and `/metrics`.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::http::context::Ctx;
use crate::http::error::AppError;
use crate::http::error::status;
use crate::http::state::AppState;

pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (status::OK, "ok\n").into_response(),
        Err(error) => {
            tracing::error!(%error, "health check failed");
            (status::UNHEALTHY, "database unavailable\n").into_response()
        }
    }
}

/// The counters, for a scraper on the same host or one holding a valid API token.
pub async fn metrics(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let loopback = ctx
        .address
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback());
    let by_token = ctx.via_token && ctx.actor.is_some();
    if !(loopback || by_token) {
        return Err(AppError::Forbidden);
    }
    let mut text = state.metrics.render();
    let outbox = state.store.outbox_counts().await?;
    text.push_str(&format!(
        "# HELP mamori_notice_mails Notice mails of the outbox, by state.\n\
         # TYPE mamori_notice_mails gauge\n\
         mamori_notice_mails{{state=\"queued\"}} {}\n\
         mamori_notice_mails{{state=\"retrying\"}} {}\n\
         mamori_notice_mails{{state=\"failed\"}} {}\n\
         mamori_notice_mails{{state=\"sent\"}} {}\n",
        outbox.queued, outbox.retrying, outbox.failed, outbox.sent
    ));
    let candidates = state.store.incident_candidates().await?;
    let open = candidates
        .iter()
        .filter(|c| c.state == mamori_core::incident::CandidateState::Open)
        .count();
    text.push_str(&format!(
        "# HELP mamori_incident_candidates_open Incident candidates waiting for a decision.\n\
         # TYPE mamori_incident_candidates_open gauge\n\
         mamori_incident_candidates_open {open}\n"
    ));
    if let Some(extra) = state.config.extra_metrics.clone() {
        // A gateway counts its spool depth from its folders: off the async threads.
        text.push_str(
            &tokio::task::spawn_blocking(move || (extra.0)())
                .await
                .unwrap_or_default(),
        );
    }
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}
