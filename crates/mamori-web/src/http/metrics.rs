//! The web application's own counters for `/metrics` (Prometheus text format): atomics,
//! written by [`mamori_core::exposition`].

use std::sync::atomic::{AtomicU64, Ordering};

use mamori_core::exposition;

#[derive(Default)]
pub struct Metrics {
    /// Responses by status class: 1xx..5xx.
    responses: [AtomicU64; 5],
    login_success: AtomicU64,
    login_failed: AtomicU64,
    login_throttled: AtomicU64,
    /// Password hashes verified at login: one per attempt not throttled, whether the name is
    /// known or not (an unknown name is checked against a dummy hash).
    verifications: AtomicU64,
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

    pub fn verification(&self) {
        self.verifications.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        exposition::counter(
            &mut out,
            "mamori_http_responses_total",
            "HTTP responses by status class.",
            ["1xx", "2xx", "3xx", "4xx", "5xx"]
                .into_iter()
                .zip(&self.responses)
                .map(|(class, counter)| ([("class", class)], load(counter))),
        );
        exposition::counter(
            &mut out,
            "mamori_logins_total",
            "Login attempts by outcome.",
            [
                ("success", &self.login_success),
                ("failed", &self.login_failed),
                ("throttled", &self.login_throttled),
            ]
            .map(|(outcome, counter)| ([("outcome", outcome)], load(counter))),
        );
        exposition::counter(
            &mut out,
            "mamori_password_verifications_total",
            "Password hashes verified at login, for known and unknown names alike.",
            [([], load(&self.verifications))],
        );
        out
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_writes_every_class_and_outcome() {
        let m = Metrics::default();
        for status in [101, 200, 204, 302, 404, 500, 503, 700] {
            m.observe_status(status);
        }
        for outcome in ["success", "failed", "unknown", "throttled"] {
            m.login(outcome);
        }
        m.verification();
        assert_eq!(
            m.render(),
            "# HELP mamori_http_responses_total HTTP responses by status class.\n\
             # TYPE mamori_http_responses_total counter\n\
             mamori_http_responses_total{class=\"1xx\"} 1\n\
             mamori_http_responses_total{class=\"2xx\"} 2\n\
             mamori_http_responses_total{class=\"3xx\"} 1\n\
             mamori_http_responses_total{class=\"4xx\"} 1\n\
             mamori_http_responses_total{class=\"5xx\"} 3\n\
             # HELP mamori_logins_total Login attempts by outcome.\n\
             # TYPE mamori_logins_total counter\n\
             mamori_logins_total{outcome=\"success\"} 1\n\
             mamori_logins_total{outcome=\"failed\"} 2\n\
             mamori_logins_total{outcome=\"throttled\"} 1\n\
             # HELP mamori_password_verifications_total Password hashes verified at login, for known and unknown names alike.\n\
             # TYPE mamori_password_verifications_total counter\n\
             mamori_password_verifications_total 1\n"
        );
    }
}
