//! `/healthz` and `/metrics` (Prometheus text format). A handful of counters does not need a
//! metrics framework; they are atomics rendered by hand.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::{HeaderValue, header};

use crate::http::error::status;
use axum::response::{IntoResponse, Response};

use crate::http::{AppError, AppState, Ctx};

#[derive(Default)]
pub struct Metrics {
    /// Responses by status class: 1xx..5xx.
    responses: [AtomicU64; 5],
    login_success: AtomicU64,
    login_failed: AtomicU64,
    login_throttled: AtomicU64,
}

impl Metrics {
    pub fn observe_status(&self, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.responses[class].fetch_add(1, Ordering::Relaxed);
    }

    pub fn login(&self, outcome: &str) {
        let counter = match outcome {
            "success" => &self.login_success,
            "throttled" => &self.login_throttled,
            _ => &self.login_failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP mamori_http_responses_total HTTP responses by status class.\n");
        out.push_str("# TYPE mamori_http_responses_total counter\n");
        for (i, counter) in self.responses.iter().enumerate() {
            let _ = writeln!(
                out,
                "mamori_http_responses_total{{class=\"{}xx\"}} {}",
                i + 1,
                counter.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP mamori_logins_total Login attempts by outcome.\n");
        out.push_str("# TYPE mamori_logins_total counter\n");
        for (outcome, counter) in [
            ("success", &self.login_success),
            ("failed", &self.login_failed),
            ("throttled", &self.login_throttled),
        ] {
            let _ = writeln!(
                out,
                "mamori_logins_total{{outcome=\"{outcome}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        out
    }
}

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
