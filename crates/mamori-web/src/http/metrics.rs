//! The web application's own counters for `/metrics` (Prometheus text format): atomics, rendered
//! by hand.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

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
