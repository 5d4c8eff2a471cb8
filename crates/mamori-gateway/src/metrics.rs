//! Prometheus counters of the gateway, written in the text exposition format by
//! [`mamori_core::exposition`] (as the web crate's are): a few atomics and one histogram need no
//! metrics framework.
//!
//! [`GatewayMetrics::render`] gives the text for `--metrics-listen` and for `mamori serve` to
//! append to its own `/metrics`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use mamori_core::exposition;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::reply::Reply;
use crate::spool::{Spool, State};

/// Upper bounds (seconds) of the accept → delivery latency buckets.
const LATENCY_BOUNDS: [f64; 16] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0,
    3600.0,
];

/// The counters; one per gateway, shared by the listener and the worker.
#[derive(Default)]
pub struct Metrics {
    connections: AtomicU64,
    connections_refused: AtomicU64,
    /// SMTP replies by class: 2xx, 3xx, 4xx, 5xx.
    replies: [AtomicU64; 4],
    /// Messages whose DATA ended, whatever the answer.
    received: AtomicU64,
    received_bytes: AtomicU64,
    /// 250 after DATA: the message is in the spool.
    accepted: AtomicU64,
    /// DATA ended with a 4xx / 5xx.
    refused: [AtomicU64; 2],
    sanitized: AtomicU64,
    quarantined: AtomicU64,
    /// Outbound: held for approval / passed the check.
    held: AtomicU64,
    passed: AtomicU64,
    delivered: AtomicU64,
    delivered_bytes: AtomicU64,
    deferred: AtomicU64,
    /// Given up (next hop refused, or lifetime over); the sender got a DSN.
    failed: AtomicU64,
    /// DSNs written.
    bounced: AtomicU64,
    /// A message the spool could not read, or whose state or DSN it refused to write: the
    /// message was held back.
    spool_failures: AtomicU64,
    latency: Histogram,
}

/// What the worker decided about one message, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Sanitized,
    Quarantined,
    Held,
    Passed,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Metrics {
    pub fn connection(&self) {
        bump(&self.connections);
    }

    pub fn connection_refused(&self) {
        bump(&self.connections_refused);
    }

    /// Every reply the server sends after the greeting.
    pub fn reply(&self, reply: &Reply) {
        let class = usize::from(reply.code() / 100).clamp(2, 5) - 2;
        bump(&self.replies[class]);
    }

    /// The answer to a finished DATA: `reply` for a message of `size` bytes.
    pub fn message(&self, reply: &Reply, size: usize) {
        bump(&self.received);
        self.received_bytes
            .fetch_add(size as u64, Ordering::Relaxed);
        match reply.code() {
            200..=299 => bump(&self.accepted),
            400..=499 => bump(&self.refused[0]),
            _ => bump(&self.refused[1]),
        }
    }

    pub fn verdict(&self, verdict: Verdict) {
        bump(match verdict {
            Verdict::Sanitized => &self.sanitized,
            Verdict::Quarantined => &self.quarantined,
            Verdict::Held => &self.held,
            Verdict::Passed => &self.passed,
        });
    }

    /// A delivery the next hop accepted, `latency` after the message was accepted.
    pub fn delivered(&self, bytes: usize, latency: Duration) {
        bump(&self.delivered);
        self.delivered_bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
        self.latency.observe(latency);
    }

    pub fn deferred(&self) {
        bump(&self.deferred);
    }

    pub fn failed(&self) {
        bump(&self.failed);
    }

    pub fn bounced(&self) {
        bump(&self.bounced);
    }

    pub fn spool_failed(&self) {
        bump(&self.spool_failures);
    }

    /// The text exposition format; `depth` is the number of messages per spool state.
    pub fn render(&self, depth: &[(&str, usize)]) -> String {
        use exposition::{NO_LABELS, counter};
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        counter(
            &mut out,
            "mamori_gateway_connections_total",
            "SMTP connections accepted.",
            [(NO_LABELS, load(&self.connections))],
        );
        counter(
            &mut out,
            "mamori_gateway_connections_refused_total",
            "SMTP connections refused by a connection limit (421).",
            [(NO_LABELS, load(&self.connections_refused))],
        );
        counter(
            &mut out,
            "mamori_gateway_smtp_replies_total",
            "SMTP replies sent, by class.",
            ["2xx", "3xx", "4xx", "5xx"]
                .into_iter()
                .zip(&self.replies)
                .map(|(class, c)| ([("class", class)], load(c))),
        );
        counter(
            &mut out,
            "mamori_gateway_messages_received_total",
            "Messages whose DATA ended, accepted or not.",
            [(NO_LABELS, load(&self.received))],
        );
        counter(
            &mut out,
            "mamori_gateway_messages_accepted_total",
            "Messages answered 250 after DATA (durably spooled).",
            [(NO_LABELS, load(&self.accepted))],
        );
        counter(
            &mut out,
            "mamori_gateway_messages_refused_total",
            "Messages refused after DATA, by reply class.",
            ["4xx", "5xx"]
                .into_iter()
                .zip(&self.refused)
                .map(|(class, c)| ([("class", class)], load(c))),
        );
        counter(
            &mut out,
            "mamori_gateway_received_bytes_total",
            "Bytes of message content received.",
            [(NO_LABELS, load(&self.received_bytes))],
        );
        counter(
            &mut out,
            "mamori_gateway_messages_checked_total",
            "Messages through the worker, by verdict.",
            [
                ("sanitized", &self.sanitized),
                ("quarantined", &self.quarantined),
                ("held", &self.held),
                ("passed", &self.passed),
            ]
            .map(|(verdict, c)| ([("verdict", verdict)], load(c))),
        );
        counter(
            &mut out,
            "mamori_gateway_deliveries_total",
            "Delivery attempts to the next hop, by outcome.",
            [
                ("delivered", &self.delivered),
                ("deferred", &self.deferred),
                ("failed", &self.failed),
            ]
            .map(|(status, c)| ([("status", status)], load(c))),
        );
        counter(
            &mut out,
            "mamori_gateway_delivered_bytes_total",
            "Bytes handed to the next hop.",
            [(NO_LABELS, load(&self.delivered_bytes))],
        );
        counter(
            &mut out,
            "mamori_gateway_dsn_total",
            "Delivery status notifications queued to senders.",
            [(NO_LABELS, load(&self.bounced))],
        );
        counter(
            &mut out,
            "mamori_gateway_spool_failures_total",
            "Messages the spool could not read, or whose next state or DSN it refused to write \
             (a full or failing disk); each stays in the spool and is tried again later.",
            [(NO_LABELS, load(&self.spool_failures))],
        );
        exposition::gauge(
            &mut out,
            "mamori_gateway_spool_messages",
            "Messages in the spool, by state.",
            depth
                .iter()
                .map(|(state, n)| ([("state", *state)], *n as u64)),
        );
        self.latency.render(
            &mut out,
            "mamori_gateway_delivery_latency_seconds",
            "Time from 250 after DATA to the next hop's acceptance.",
        );
        out
    }
}

/// A fixed-bucket histogram.
struct Histogram {
    buckets: [AtomicU64; LATENCY_BOUNDS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: Default::default(),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    fn observe(&self, value: Duration) {
        let secs = value.as_secs_f64();
        if let Some(i) = LATENCY_BOUNDS.iter().position(|b| secs <= *b) {
            bump(&self.buckets[i]);
        }
        bump(&self.count);
        let micros = u64::try_from(value.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let buckets = self.buckets.each_ref().map(|b| b.load(Ordering::Relaxed));
        exposition::histogram(
            out,
            name,
            help,
            &exposition::Histogram {
                bounds: &LATENCY_BOUNDS,
                buckets: &buckets,
                count: self.count.load(Ordering::Relaxed),
                sum: self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
            },
        );
    }
}

/// The counters of one gateway together with its spool, for rendering.
#[derive(Clone)]
pub struct GatewayMetrics {
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) spool: Arc<Spool>,
}

impl GatewayMetrics {
    /// The whole text exposition, spool depth counted now.
    pub fn render(&self) -> String {
        let depth: Vec<(&str, usize)> = [State::Queued, State::Deferred]
            .into_iter()
            .map(|s| (s.as_str(), self.spool.list(s).map_or(0, |l| l.len())))
            .collect();
        self.metrics.render(&depth)
    }
}

/// Serves `GET /metrics` (and `/healthz`) until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    metrics: GatewayMetrics,
    mut shutdown: watch::Receiver<bool>,
) {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let app = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(move || {
                let metrics = metrics.clone();
                async move {
                    let text = tokio::task::spawn_blocking(move || metrics.render())
                        .await
                        .unwrap_or_default();
                    let mut response = text.into_response();
                    response.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                    );
                    response
                }
            }),
        )
        .route("/healthz", axum::routing::get(|| async { "ok\n" }));
    let stop = async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
    };
    if let Err(error) = axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
    {
        tracing::error!(%error, "metrics listener failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_counts_replies_messages_and_latency() {
        let m = Metrics::default();
        m.reply(&Reply::Ok);
        m.reply(&Reply::StartMailInput);
        m.reply(&Reply::RelayDenied);
        m.message(&Reply::Queued("q".into()), 100);
        m.message(&Reply::InsufficientStorage, 50);
        m.message(&Reply::MessageTooBig, 0);
        m.verdict(Verdict::Held);
        m.delivered(10, Duration::from_millis(30));
        m.delivered(10, Duration::from_secs(7200));
        m.spool_failed();
        let text = m.render(&[("queued", 3), ("deferred", 1)]);
        for line in [
            "mamori_gateway_smtp_replies_total{class=\"2xx\"} 1",
            "mamori_gateway_smtp_replies_total{class=\"3xx\"} 1",
            "mamori_gateway_smtp_replies_total{class=\"5xx\"} 1",
            "mamori_gateway_messages_received_total 3",
            "mamori_gateway_messages_accepted_total 1",
            "mamori_gateway_messages_refused_total{class=\"4xx\"} 1",
            "mamori_gateway_messages_refused_total{class=\"5xx\"} 1",
            "mamori_gateway_received_bytes_total 150",
            "mamori_gateway_messages_checked_total{verdict=\"held\"} 1",
            "mamori_gateway_deliveries_total{status=\"delivered\"} 2",
            "mamori_gateway_spool_messages{state=\"queued\"} 3",
            "mamori_gateway_spool_failures_total 1",
            "mamori_gateway_delivery_latency_seconds_bucket{le=\"0.025\"} 0",
            "mamori_gateway_delivery_latency_seconds_bucket{le=\"0.05\"} 1",
            "mamori_gateway_delivery_latency_seconds_bucket{le=\"3600\"} 1",
            "mamori_gateway_delivery_latency_seconds_bucket{le=\"+Inf\"} 2",
            "mamori_gateway_delivery_latency_seconds_count 2",
            "mamori_gateway_delivery_latency_seconds_sum 7200.03",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }

    #[test]
    fn every_sample_line_belongs_to_a_declared_metric() {
        let text = Metrics::default().render(&[("queued", 0)]);
        let declared: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap();
            let base = name
                .strip_suffix("_bucket")
                .or_else(|| name.strip_suffix("_sum"))
                .or_else(|| name.strip_suffix("_count"))
                .unwrap_or(name);
            assert!(
                declared.contains(&name) || declared.contains(&base),
                "{line}"
            );
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
