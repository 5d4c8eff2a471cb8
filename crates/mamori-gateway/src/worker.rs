//! The delivery worker: spooled message → 無害化 engine → quarantine of the original → next hop,
//! with retry, backoff and a DSN when the lifetime runs out.
//!
//! Architecture invariant: the bytes sent to the next hop are an [`Outbound`], which is only ever
//! the engine's output or a message this module wrote from scratch (quarantine notice, DSN),
//! after this relay's `Received:` trace field (RFC 5321 §4.4; none on its own DSNs). No path,
//! error or panic included, hands the received bytes to the client — with one exception by
//! design: in the outbound direction (LGWAN → Internet) a message that the outbound check passed
//! goes out unchanged but for the trace field; a failing or panicking check holds it.
//!
//! Every message ends in one log event at info level or above (`message delivered`, `message
//! held`, `delivery deferred`, `next hop refused the message`, `lifetime expired`) carrying
//! `queue_id`, `from`, `recipients`, `verdict`, `actions` and `status`; with `MAMORI_LOG_FORMAT=json`
//! these are JSON lines.

use std::collections::{HashMap, HashSet, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mamori_sanitize::mime::{base64_lines, encode_words};
use mamori_sanitize::{EnginePool, Verdict};
use tokio::sync::{Notify, watch};

use crate::client::{self, DeliveryError, NextHop};
use crate::metrics::{self, Metrics};
use crate::outbound::{self, Finding, OutboundPolicy};
use crate::quarantine::{Direction, Quarantine, QuarantineRecord};
use crate::server::{new_queue_id, now_ms};
use crate::spool::{Envelope, Origin, Retry, Spool, SpoolError, State};
use crate::stalled::{Dsn, Owed, Pending, Stalled};

/// When to try again and when to give up.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Delay after the first failed attempt; doubled after each further one.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// After this long since arrival, a temporary failure becomes final and the sender gets a DSN.
    pub lifetime: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(60 * 60),
            lifetime: Duration::from_secs(5 * 24 * 60 * 60),
        }
    }
}

impl RetryPolicy {
    /// Delay before attempt `attempts + 1`, given `attempts` failed ones (at least one).
    pub fn delay(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(30));
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Bytes allowed to cross to the next hop. See the module's invariant.
struct Outbound(Vec<u8>);

/// What goes to the next hop for one spooled message.
enum Outgoing {
    /// One message for every recipient: the engine's output, a message the outbound check
    /// passed, a DSN.
    Shared(Outbound),
    /// A message of its own for each recipient, in envelope order: a notice the worker wrote
    /// names only the recipient it goes to, never the others (Bcc recipients among them).
    Each(Vec<(String, Outbound)>),
}

impl Outgoing {
    fn size(&self) -> usize {
        match self {
            Outgoing::Shared(m) => m.0.len(),
            Outgoing::Each(each) => each.iter().map(|(_, m)| m.0.len()).sum(),
        }
    }
}

/// What the engine made of one message.
struct Verdicted {
    outgoing: Outgoing,
    verdict: &'static str,
    quarantine_id: String,
    /// The engine's actions, comma-separated, for the log.
    actions: String,
}

pub struct Worker {
    /// The 無害化 engine's threads, with the policy every inbound message is sanitized under.
    pub engine: Arc<EnginePool>,
    /// Messages processed at the same time.
    pub concurrency: usize,
    pub spool: Arc<Spool>,
    pub quarantine: Quarantine,
    pub next_hop: NextHop,
    pub retry: RetryPolicy,
    pub hostname: String,
    pub retention: crate::quarantine::Retention,
    pub wake: Arc<Notify>,
    /// Inbound: sanitize everything. Outbound: check, and hold or pass unchanged.
    pub direction: Direction,
    pub outbound: Arc<OutboundPolicy>,
    pub metrics: Arc<Metrics>,
    /// Messages whose next state could not be written, and what they still have to write.
    pub(crate) stalled: Stalled,
}

impl Worker {
    /// Processes the spool until `shutdown` turns true. Messages left by a previous run (queued or
    /// deferred) are found on the first pass.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let this = Arc::new(self);
        loop {
            if *shutdown.borrow() {
                return;
            }
            let next_due = this.clone().pass(&shutdown).await;
            let wait = next_due
                .unwrap_or(Duration::from_secs(5))
                .min(Duration::from_secs(5));
            tokio::select! {
                _ = this.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// One pass over the queue and the due deferred messages, `concurrency` at a time; returns
    /// the time until the next deferred message is due. Mail spooled while the pass runs joins
    /// it (the server's wake-up re-reads the queue), so a busy queue does not wait for the
    /// slowest message of a batch.
    async fn pass(self: Arc<Self>, shutdown: &watch::Receiver<bool>) -> Option<Duration> {
        let mut pending: VecDeque<(State, String, Retry)> = self.due().into();
        let mut seen: HashSet<String> = pending.iter().map(|(_, id, _)| id.clone()).collect();
        let mut running = tokio::task::JoinSet::new();
        while !*shutdown.borrow() {
            while running.len() < self.concurrency.max(1)
                && let Some((state, id, retry)) = pending.pop_front()
            {
                let worker = self.clone();
                running.spawn(async move { worker.process(state, &id, retry).await });
            }
            if running.is_empty() {
                break;
            }
            tokio::select! {
                _ = running.join_next() => {}
                _ = self.wake.notified() => {
                    for item in self.due() {
                        if seen.insert(item.1.clone()) {
                            pending.push_back(item);
                        }
                    }
                }
            }
        }
        while running.join_next().await.is_some() {}
        self.next_due()
    }

    /// Queued messages, then deferred ones whose next attempt is due; a stalled message when its
    /// own next attempt is.
    fn due(&self) -> Vec<(State, String, Retry)> {
        let now = now_ms();
        let (queued, deferred, stalled) = self.listed();
        let mut due: Vec<(State, String, Retry)> = queued
            .into_iter()
            .filter(|id| stalled.get(id).is_none_or(|&at| at <= now))
            .map(|id| (State::Queued, id, Retry::default()))
            .collect();
        for id in deferred {
            let (retry, at) = self.deferred_until(&id, &stalled);
            if at <= now {
                due.push((State::Deferred, id, retry));
            }
        }
        due
    }

    /// A deferred message's retry schedule and its next attempt. What a stalled message owes is
    /// written when the stall says; one whose own schedule is later (one that could not be read,
    /// or whose new schedule reached the disk before the write that failed) waits for that too.
    fn deferred_until(&self, id: &str, stalled: &HashMap<String, i64>) -> (Retry, i64) {
        let retry = self.spool.retry(id);
        let at = stalled
            .get(id)
            .map_or(retry.next_attempt_ms, |&at| at.max(retry.next_attempt_ms));
        (retry, at)
    }

    /// Time until the earliest deferred or stalled message is due (including those deferred just
    /// now), by the same reckoning as [`Worker::due`].
    fn next_due(&self) -> Option<Duration> {
        let now = now_ms();
        let (queued, deferred, stalled) = self.listed();
        let queued = queued.iter().filter_map(|id| stalled.get(id).copied());
        let deferred = deferred
            .iter()
            .map(|id| self.deferred_until(id, &stalled).1);
        queued
            .chain(deferred)
            .map(|at| at.saturating_sub(now).max(0))
            .min()
            .map(|ms| Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
    }

    /// The queued and the deferred messages, and the next attempt of those stalled. Stalls of
    /// messages gone from the spool are forgotten, but only after both folders were read.
    fn listed(&self) -> (Vec<String>, Vec<String>, HashMap<String, i64>) {
        let (queued, deferred) = (
            self.spool.list(State::Queued),
            self.spool.list(State::Deferred),
        );
        let stalled = match (&queued, &deferred) {
            (Ok(queued), Ok(deferred)) => self
                .stalled
                .next_attempts(Some(queued.iter().chain(deferred))),
            _ => self
                .stalled
                .next_attempts(None::<std::iter::Empty<&String>>),
        };
        (
            queued.unwrap_or_default(),
            deferred.unwrap_or_default(),
            stalled,
        )
    }

    async fn process(&self, state: State, id: &str, retry: Retry) {
        if let Some(owed) = self.stalled.owed(id) {
            // What happened to it stands; only what it left unwritten is still to be written.
            self.settle(state, id, owed.dsns, owed.next).await;
            return;
        }
        let (mut envelope, raw) = match self.spool.load(state, id) {
            Ok(m) => m,
            Err(error) => {
                tracing::error!(queue_id = id, %error, "cannot read spooled message");
                if matches!(error, SpoolError::Damaged(_)) {
                    self.settle(state, id, Vec::new(), Pending::Fail).await;
                } else {
                    self.hold(id, None);
                }
                return;
            }
        };
        let spooled = self.spool.path_of(state, id);
        // After a partial delivery, only the recipients still owed the message.
        if let Some(pending) = &retry.recipients {
            envelope.recipients = pending.clone();
        }
        let verdicted = match envelope.origin {
            Origin::Dsn => Ok(Verdicted {
                outgoing: Outgoing::Shared(Outbound(raw)),
                verdict: "generated",
                actions: String::new(),
                quarantine_id: String::new(),
            }),
            Origin::Inbound if self.direction == Direction::Outbound => {
                match self.check_outbound(&envelope, raw, Some(spooled)).await {
                    Ok(Some(v)) => Ok(v),
                    Ok(None) => {
                        let record = serde_json::json!({
                            "envelope": envelope,
                            "verdict": "held",
                            "status": "held",
                            "held_ms": now_ms(),
                        });
                        self.settle(state, id, Vec::new(), Pending::Record(record))
                            .await;
                        return;
                    }
                    Err(error) => Err(("cannot store the held message", error)),
                }
            }
            Origin::Inbound => self
                .sanitize(&envelope, raw, Some(spooled))
                .await
                .map_err(|error| ("cannot store the original in quarantine", error)),
        };
        let verdicted = match verdicted {
            Ok(v) => v,
            Err((what, error)) => {
                // Nothing goes out whose original is not kept: tried again later.
                tracing::error!(queue_id = id, %error, "{what}");
                let reason = error.to_string();
                self.temporary(state, &envelope, retry, "unknown", &reason, Vec::new())
                    .await;
                return;
            }
        };
        let result = self.deliver(&envelope, &verdicted.outgoing).await;
        match result {
            Ok(delivered) if !delivered.deferred.is_empty() => {
                // Some recipients took it: only the temporarily refused ones are tried again.
                let dsns = self.bounce(&envelope, &delivered.rejected, "5.0.0");
                tracing::info!(queue_id = id, accepted = ?delivered.accepted,
                    rejected = ?delivered.rejected, deferred = ?delivered.deferred,
                    "delivered to some recipients");
                let reason: Vec<String> = delivered
                    .deferred
                    .iter()
                    .map(|(r, why)| format!("{r}: {why}"))
                    .collect();
                envelope.recipients = delivered.deferred.into_iter().map(|(r, _)| r).collect();
                let reason = reason.join("; ");
                self.temporary(state, &envelope, retry, verdicted.verdict, &reason, dsns)
                    .await;
            }
            Ok(delivered) => {
                let latency_ms = now_ms().saturating_sub(envelope.received_ms).max(0);
                self.metrics.delivered(
                    verdicted.outgoing.size(),
                    Duration::from_millis(u64::try_from(latency_ms).unwrap_or(0)),
                );
                tracing::info!(
                    queue_id = id,
                    from = %envelope.from,
                    recipients = ?envelope.recipients,
                    verdict = verdicted.verdict,
                    quarantine_id = %verdicted.quarantine_id,
                    actions = %verdicted.actions,
                    status = "delivered",
                    attempts = retry.attempts + 1,
                    size = envelope.size,
                    latency_ms,
                    reply = %delivered.reply,
                    "message delivered"
                );
                let record = serde_json::json!({
                    "envelope": envelope,
                    "verdict": verdicted.verdict,
                    "quarantine_id": verdicted.quarantine_id,
                    "actions": verdicted.actions,
                    "status": "delivered",
                    "delivered_ms": now_ms(),
                    "attempts": retry.attempts + 1,
                    "accepted": delivered.accepted,
                    "rejected": delivered.rejected,
                    "reply": delivered.reply,
                });
                let dsns = self.bounce(&envelope, &delivered.rejected, "5.0.0");
                self.settle(state, id, dsns, Pending::Record(record)).await;
            }
            Err(DeliveryError::Temporary(reason)) => {
                let verdict = verdicted.verdict;
                self.temporary(state, &envelope, retry, verdict, &reason, Vec::new())
                    .await;
            }
            Err(DeliveryError::Permanent { reply, rejected }) => {
                self.metrics.failed();
                tracing::warn!(
                    queue_id = id,
                    from = %envelope.from,
                    recipients = ?envelope.recipients,
                    verdict = verdicted.verdict,
                    actions = %verdicted.actions,
                    status = "failed",
                    reply = %reply,
                    "next hop refused the message"
                );
                let rejected = if rejected.is_empty() {
                    envelope
                        .recipients
                        .iter()
                        .map(|r| (r.clone(), reply.clone()))
                        .collect()
                } else {
                    rejected
                };
                let dsns = self.bounce(&envelope, &rejected, "5.0.0");
                self.settle(state, id, dsns, Pending::Fail).await;
            }
        }
    }

    /// Sends what the verdict allows to the next hop: one message to every recipient, or one
    /// message each over a single connection.
    async fn deliver(
        &self,
        envelope: &Envelope,
        outgoing: &Outgoing,
    ) -> Result<client::Delivered, DeliveryError> {
        let (hop, from, smtputf8) = (&self.next_hop, &envelope.from, envelope.smtputf8);
        let trace = match envelope.origin {
            Origin::Dsn => Vec::new(),
            Origin::Inbound => trace_field(envelope, &self.hostname),
        };
        // The trace field and the message go out one after the other, neither copied.
        let trace = trace.as_slice();
        match outgoing {
            Outgoing::Shared(m) => {
                client::deliver(hop, from, &envelope.recipients, &[trace, &m.0], smtputf8).await
            }
            Outgoing::Each(each) => {
                let traced: Vec<[&[u8]; 2]> = each.iter().map(|(_, m)| [trace, &m.0]).collect();
                let messages: Vec<client::Addressed<'_>> = each
                    .iter()
                    .zip(&traced)
                    .map(|((rcpt, _), message)| client::Addressed {
                        recipients: std::slice::from_ref(rcpt),
                        message,
                    })
                    .collect();
                let results = client::deliver_each(hop, from, &messages, smtputf8).await;
                let recipients = each.iter().map(|(rcpt, _)| vec![rcpt.clone()]);
                client::Delivered::combine(recipients.zip(results))
            }
        }
    }

    /// Records a finished message in the delivery log, on a blocking thread: the record's
    /// fdatasync waits for a group commit shared with the other workers.
    async fn record(&self, record: serde_json::Value) -> Result<(), SpoolError> {
        let spool = self.spool.clone();
        tokio::task::spawn_blocking(move || spool.record(&record))
            .await
            .map_err(|e| SpoolError::Io {
                path: "delivery log".into(),
                source: std::io::Error::other(e),
            })?
    }

    /// Writes what a message leaves behind: the DSNs it caused, then its next state. When the
    /// disk refuses, the message stays where it is and is held back with what is still unwritten
    /// ([`crate::stalled`]).
    async fn settle(&self, state: State, id: &str, mut dsns: Vec<Dsn>, mut next: Pending) {
        while let Some(dsn) = dsns.first() {
            match self.spool.store(&dsn.envelope, &dsn.bytes) {
                Ok(()) => {}
                // In the queue, so taken by this worker; stored again, it would go out twice.
                Err(SpoolError::Unsynced(error)) => {
                    tracing::warn!(queue_id = %dsn.envelope.queue_id, %error,
                        "DSN queued, but its name not made durable");
                }
                Err(error) => {
                    let dsn_id = dsn.envelope.queue_id.clone();
                    let at = self.hold(id, Some(Owed { dsns, next }));
                    tracing::error!(queue_id = id, dsn_queue_id = %dsn_id, %error,
                        next_attempt_ms = at, "cannot queue DSN; held back");
                    return;
                }
            }
            let dsn = dsns.remove(0);
            self.metrics.bounced();
            tracing::info!(queue_id = %dsn.envelope.queue_id, for_queue_id = id,
                to = ?dsn.envelope.recipients, "DSN queued");
            self.wake.notify_one();
        }
        let written = match &next {
            Pending::Record(record) => match self.record(record.clone()).await {
                Ok(()) => {
                    next = Pending::Remove;
                    self.spool.remove(state, id)
                }
                Err(error) => Err(error),
            },
            Pending::Remove => self.spool.remove(state, id),
            Pending::Defer(retry) => self.spool.defer(state, id, retry),
            Pending::Fail => self.spool.fail(state, id),
        };
        match written {
            Ok(()) => self.stalled.release(id),
            Err(error) => {
                let what = match next {
                    Pending::Record(_) => "cannot record the message's outcome",
                    Pending::Remove => "cannot remove the recorded message from the spool",
                    Pending::Defer(_) => "cannot defer message",
                    Pending::Fail => "cannot move message to failed",
                };
                let at = self.hold(id, Some(Owed { dsns, next }));
                tracing::error!(queue_id = id, %error, next_attempt_ms = at, "{what}; held back");
            }
        }
    }

    /// Holds a message back after the spool refused it ([`crate::stalled`]); returns when it is
    /// tried again.
    fn hold(&self, id: &str, owed: Option<Owed>) -> i64 {
        self.metrics.spool_failed();
        self.stalled.hold(id, owed, &self.retry, now_ms())
    }

    /// A temporary failure: defer with backoff, or give up once the lifetime is over.
    /// `dsns` are those the attempt already caused (recipients it refused for good).
    async fn temporary(
        &self,
        state: State,
        envelope: &Envelope,
        retry: Retry,
        verdict: &str,
        reason: &str,
        mut dsns: Vec<Dsn>,
    ) {
        let id = envelope.queue_id.as_str();
        let age = now_ms().saturating_sub(envelope.received_ms);
        let lifetime = i64::try_from(self.retry.lifetime.as_millis()).unwrap_or(i64::MAX);
        if age >= lifetime {
            self.metrics.failed();
            tracing::warn!(queue_id = id, from = %envelope.from, recipients = ?envelope.recipients,
                verdict, actions = "", status = "failed", reason,
                "lifetime expired; returning to sender");
            let rejected: Vec<(String, String)> = envelope
                .recipients
                .iter()
                .map(|r| (r.clone(), reason.to_string()))
                .collect();
            dsns.extend(self.bounce(envelope, &rejected, "4.4.7"));
            self.settle(state, id, dsns, Pending::Fail).await;
            return;
        }
        let attempts = retry.attempts + 1;
        let delay = self.retry.delay(attempts);
        let next = Retry {
            attempts,
            next_attempt_ms: now_ms() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2),
            last_error: reason.to_string(),
            recipients: Some(envelope.recipients.clone()),
        };
        self.metrics.deferred();
        tracing::info!(queue_id = id, from = %envelope.from, recipients = ?envelope.recipients,
            verdict, actions = "", status = "deferred", attempts,
            delay_ms = delay.as_millis() as u64, reason,
            "delivery deferred");
        self.settle(state, id, dsns, Pending::Defer(next)).await;
    }

    /// The policy's prefix of quarantine ids.
    fn prefix(&self) -> &str {
        &self.engine.policy().quarantine_id_prefix
    }

    /// Runs the engine where a panic cannot reach the gateway, and keeps the original.
    async fn sanitize(
        &self,
        envelope: &Envelope,
        raw: Vec<u8>,
        spooled: Option<PathBuf>,
    ) -> Result<Verdicted, SpoolError> {
        let raw = Arc::new(raw);
        let input = raw.clone();
        let engine = self.engine.clone();
        // The pool contains the engine's panics and its time (policy limits.time_limit_seconds,
        // counted from when a thread takes the message); this second fence holds even if it did
        // not.
        let outcome = tokio::task::spawn_blocking(move || {
            catch_unwind(AssertUnwindSafe(|| engine.sanitize(input)))
        })
        .await;
        let fallback_id = format!("{}{}", self.prefix(), envelope.queue_id);
        let (report, message, quarantine_id, actions) = match outcome {
            Ok(Ok(o)) => {
                let report = serde_json::to_value(&o.report).unwrap_or_default();
                let message = match o.report.verdict {
                    Verdict::Sanitized => o.message,
                    Verdict::Quarantined => None,
                };
                let actions: Vec<&str> = o.report.actions.iter().map(|a| a.as_str()).collect();
                (report, message, o.report.quarantine_id, actions.join(","))
            }
            _ => {
                tracing::error!(queue_id = %envelope.queue_id, "engine failed; message quarantined whole");
                let report = serde_json::json!({
                    "verdict": "quarantined",
                    "error": "the engine failed on this message",
                });
                (report, None, fallback_id, "quarantined".to_string())
            }
        };
        let verdict = if message.is_some() {
            self.metrics.verdict(metrics::Verdict::Sanitized);
            "sanitized"
        } else {
            self.metrics.verdict(metrics::Verdict::Quarantined);
            "quarantined"
        };
        let now = now_ms();
        let record = QuarantineRecord {
            quarantine_id: quarantine_id.clone(),
            queue_id: envelope.queue_id.clone(),
            from: envelope.from.clone(),
            recipients: envelope.recipients.clone(),
            received_ms: envelope.received_ms,
            stored_ms: now,
            retain_until_ms: now.saturating_add(self.retention.of_ms(verdict)),
            verdict,
            report,
            direction: crate::quarantine::Direction::Inbound,
            hold_reason: None,
        };
        let quarantine = self.quarantine.clone();
        tokio::task::spawn_blocking(move || quarantine.store(&record, &raw, spooled.as_deref()))
            .await
            .map_err(|e| SpoolError::Io {
                path: self.quarantine.dir(&quarantine_id),
                source: std::io::Error::other(e),
            })??;
        let outgoing = match message {
            Some(sanitized) => Outgoing::Shared(Outbound(sanitized)),
            None => Outgoing::Each(
                envelope
                    .recipients
                    .iter()
                    .map(|rcpt| {
                        let notice = self.quarantine_notice(envelope, rcpt, &quarantine_id);
                        (rcpt.clone(), Outbound(notice))
                    })
                    .collect(),
            ),
        };
        Ok(Verdicted {
            actions,
            outgoing,
            verdict,
            quarantine_id,
        })
    }

    /// The outbound check: `Some` to deliver the message unchanged, `None` once it is held in
    /// quarantine for approval. A check that panics holds the message.
    async fn check_outbound(
        &self,
        envelope: &Envelope,
        raw: Vec<u8>,
        spooled: Option<PathBuf>,
    ) -> Result<Option<Verdicted>, SpoolError> {
        let raw = Arc::new(raw);
        let input = raw.clone();
        let policy = self.outbound.clone();
        let findings = tokio::task::spawn_blocking(move || {
            catch_unwind(AssertUnwindSafe(|| outbound::check(&input, &policy)))
        })
        .await;
        let findings = match findings {
            Ok(Ok(findings)) => findings,
            _ => vec![Finding::Unreadable {
                detail: "the outbound check failed on this message".into(),
            }],
        };
        if findings.is_empty() {
            self.metrics.verdict(metrics::Verdict::Passed);
            let raw = Arc::try_unwrap(raw).unwrap_or_else(|shared| shared.as_ref().clone());
            return Ok(Some(Verdicted {
                outgoing: Outgoing::Shared(Outbound(raw)),
                verdict: "passed",
                quarantine_id: String::new(),
                actions: "checked".into(),
            }));
        }
        let mut reasons: Vec<&str> = Vec::new();
        for kind in findings.iter().map(Finding::kind) {
            if !reasons.contains(&kind) {
                reasons.push(kind);
            }
        }
        let reasons = reasons.join(",");
        let quarantine_id = format!("{}{}", self.prefix(), envelope.queue_id);
        let now = now_ms();
        let record = QuarantineRecord {
            quarantine_id: quarantine_id.clone(),
            queue_id: envelope.queue_id.clone(),
            from: envelope.from.clone(),
            recipients: envelope.recipients.clone(),
            received_ms: envelope.received_ms,
            stored_ms: now,
            retain_until_ms: now.saturating_add(self.retention.of_ms("held")),
            verdict: "held",
            report: serde_json::json!({
                "verdict": "held",
                "direction": "outbound",
                "findings": findings,
            }),
            direction: Direction::Outbound,
            hold_reason: Some(reasons.clone()),
        };
        let quarantine = self.quarantine.clone();
        tokio::task::spawn_blocking(move || quarantine.store(&record, &raw, spooled.as_deref()))
            .await
            .map_err(|e| SpoolError::Io {
                path: self.quarantine.dir(&quarantine_id),
                source: std::io::Error::other(e),
            })??;
        self.metrics.verdict(metrics::Verdict::Held);
        tracing::warn!(
            queue_id = %envelope.queue_id,
            from = %envelope.from,
            recipients = ?envelope.recipients,
            verdict = "held",
            quarantine_id = %quarantine_id,
            actions = %reasons,
            status = "held",
            direction = "outbound",
            "message held for approval"
        );
        Ok(None)
    }

    /// The message a recipient gets instead of one quarantined whole: written from scratch, it
    /// carries nothing of the original but the envelope sender and the quarantine id, and names
    /// only `recipient` (each recipient gets a notice of their own).
    fn quarantine_notice(
        &self,
        envelope: &Envelope,
        recipient: &str,
        quarantine_id: &str,
    ) -> Vec<u8> {
        let body = format!(
            "外部から届いたメールは、安全に無害化できないため隔離されました。\n\
             [A message from outside was quarantined because it could not be sanitized safely.]\n\
             \n\
             差出人 (envelope sender): <{}>\n\
             受付番号 (queue id): {}\n\
             隔離ID (quarantine id): {}\n\
             \n\
             原本が必要な場合は、この隔離IDを添えて情報セキュリティ管理者に申請してください。\n\
             [To obtain the original, ask your information security manager, quoting the quarantine id.]\n",
            envelope.from, envelope.queue_id, quarantine_id
        );
        let mut head = self.headers(
            &format!("<{recipient}>"),
            "隔離されたメール [message quarantined]",
            &envelope.queue_id,
        );
        head.push_str(&format!(
            "X-Mamori-Sanitized: quarantined; id={quarantine_id}\r\n"
        ));
        head.push_str("MIME-Version: 1.0\r\n");
        head.push_str("Content-Type: text/plain; charset=UTF-8\r\n");
        head.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(base64_lines(body.as_bytes()).as_bytes());
        out
    }

    fn headers(&self, to: &str, subject: &str, id: &str) -> String {
        format!(
            "From: Mail Delivery System <MAILER-DAEMON@{host}>\r\n\
             To: {to}\r\n\
             Subject: {subject}\r\n\
             Date: {date}\r\n\
             Message-ID: <{id}.{rand:08x}@{host}>\r\n\
             Auto-Submitted: auto-replied\r\n",
            host = self.hostname,
            subject = encode_words(subject),
            date = chrono::Utc::now().to_rfc2822(),
            rand = rand::random::<u32>(),
        )
    }

    /// The DSN (RFC 3464) to the envelope sender for the `failed` recipients, spooled by
    /// [`Worker::settle`] ahead of the message's own state. None for the null sender, for a DSN,
    /// or when no recipient failed.
    fn bounce(&self, envelope: &Envelope, failed: &[(String, String)], status: &str) -> Vec<Dsn> {
        if failed.is_empty() || envelope.from.is_empty() || envelope.origin == Origin::Dsn {
            return Vec::new();
        }
        let queue_id = new_queue_id();
        let bytes = self.dsn(envelope, failed, status, &queue_id);
        let dsn = Envelope {
            queue_id,
            from: String::new(),
            recipients: vec![envelope.from.clone()],
            helo: self.hostname.clone(),
            peer: "local".into(),
            tls: false,
            smtputf8: !envelope.from.is_ascii(),
            received_ms: now_ms(),
            size: bytes.len() as u64,
            origin: Origin::Dsn,
            client: None,
        };
        vec![Dsn {
            envelope: dsn,
            bytes,
        }]
    }

    /// The DSN itself: multipart/report with a human-readable part and message/delivery-status.
    /// The original's content is deliberately not included (it is untrusted).
    fn dsn(
        &self,
        envelope: &Envelope,
        failed: &[(String, String)],
        status: &str,
        queue_id: &str,
    ) -> Vec<u8> {
        let boundary = format!("=_mamori_dsn_{queue_id}");
        let mut text = String::from(
            "お送りいただいたメールを次の宛先に配送できませんでした。\n\
             [Your message could not be delivered to the following recipients.]\n\n",
        );
        for (rcpt, reason) in failed {
            text.push_str(&format!("<{rcpt}>: {reason}\n"));
        }
        text.push_str(&format!("\nqueue id: {}\n", envelope.queue_id));
        let arrival = chrono::DateTime::from_timestamp_millis(envelope.received_ms)
            .unwrap_or_default()
            .to_rfc2822();
        let mut status_part = format!(
            "Reporting-MTA: dns; {}\r\nX-Mamori-Queue-ID: {}\r\nArrival-Date: {arrival}\r\n",
            self.hostname, envelope.queue_id
        );
        for (rcpt, reason) in failed {
            let diagnostic: String = reason.chars().filter(|c| !c.is_control()).collect();
            status_part.push_str(&format!(
                "\r\nFinal-Recipient: rfc822; {rcpt}\r\nAction: failed\r\nStatus: {status}\r\n\
                 Diagnostic-Code: smtp; {diagnostic}\r\n"
            ));
        }
        let mut out = self.headers(
            &format!("<{}>", envelope.from),
            "配送不能通知 [Undelivered Mail Returned to Sender]",
            queue_id,
        );
        out.push_str("MIME-Version: 1.0\r\n");
        out.push_str(&format!(
            "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\n\r\n"
        ));
        out.push_str(&format!(
            "--{boundary}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        ));
        out.push_str(&base64_lines(text.as_bytes()));
        out.push_str(&format!(
            "--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n{status_part}\r\n--{boundary}--\r\n"
        ));
        out.into_bytes()
    }
}

/// The trace field this relay puts before what it delivers (RFC 5321 §4.4): the client's HELO
/// name and address, this gateway's name, the protocol, the queue id, the recipient when there is
/// only one (a list would show Bcc recipients to the others), and the time of arrival in Japan.
/// What the client said is kept to printable ASCII, so nothing it sent can end the field.
fn trace_field(envelope: &Envelope, hostname: &str) -> Vec<u8> {
    let printable =
        |s: &str| -> String { s.chars().filter(char::is_ascii_graphic).take(255).collect() };
    let helo = printable(&envelope.helo);
    let address = match envelope.peer.parse::<std::net::SocketAddr>() {
        Ok(std::net::SocketAddr::V4(a)) => a.ip().to_string(),
        Ok(std::net::SocketAddr::V6(a)) => format!("IPv6:{}", a.ip()),
        Err(_) => printable(&envelope.peer),
    };
    let with = match (envelope.smtputf8, envelope.tls) {
        (true, true) => "UTF8SMTPS",
        (true, false) => "UTF8SMTP",
        (false, true) => "ESMTPS",
        (false, false) => "ESMTP",
    };
    let mut field = format!(
        "Received: from {} ([{address}])\r\n\tby {} (mamori) with {with} id {}",
        if helo.is_empty() { "unknown" } else { &helo },
        printable(hostname),
        printable(&envelope.queue_id),
    );
    if let [rcpt] = envelope.recipients.as_slice()
        && printable(rcpt) == *rcpt
        && !rcpt.is_empty()
    {
        field.push_str(&format!("\r\n\tfor <{rcpt}>"));
    }
    let at = mamori_core::time::in_jst(envelope.received_ms).unwrap_or_else(|| {
        chrono::DateTime::<chrono::Utc>::default().with_timezone(&mamori_core::time::JST)
    });
    field.push_str(&format!(";\r\n\t{}\r\n", at.to_rfc2822()));
    field.into_bytes()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use mamori_sanitize::{Engine, Policy};

    use super::*;

    const RAW: &[u8] = b"Subject: x\r\n\r\nSECRET-ORIGINAL-BYTES\r\n";

    fn worker(dir: &std::path::Path, engine: Engine) -> Worker {
        worker_with(dir, engine, Policy::default())
    }

    fn worker_with(dir: &std::path::Path, engine: Engine, policy: Policy) -> Worker {
        Worker {
            engine: Arc::new(EnginePool::with_engine(Arc::new(policy), 1, engine).unwrap()),
            concurrency: 1,
            spool: Arc::new(Spool::open(dir, 0).unwrap()),
            quarantine: Quarantine::open(dir).unwrap(),
            next_hop: NextHop::smtp("127.0.0.1:1", "gw.test", Duration::from_secs(1)),
            retry: RetryPolicy::default(),
            hostname: "gw.test".into(),
            retention: crate::quarantine::Retention::uniform(Duration::from_secs(60)),
            wake: Arc::new(Notify::new()),
            direction: Direction::Inbound,
            outbound: Arc::new(OutboundPolicy::default()),
            metrics: Arc::new(Metrics::default()),
            stalled: Default::default(),
        }
    }

    fn envelope() -> Envelope {
        Envelope {
            queue_id: "q1".into(),
            from: "a@b.example".into(),
            recipients: vec!["u@city.example.lg.jp".into()],
            helo: "c".into(),
            peer: "test".into(),
            tls: false,
            smtputf8: false,
            received_ms: 0,
            size: RAW.len() as u64,
            origin: Origin::Inbound,
            client: None,
        }
    }

    /// A stalled message whose own schedule is later than its stall (its new retry record
    /// reached the disk before the write that failed) waits for the schedule, and the worker
    /// sleeps until then rather than waking at once, again and again.
    #[test]
    fn a_stalled_message_is_due_by_the_later_of_its_stall_and_its_schedule() {
        let dir = tempfile::tempdir().unwrap();
        let w = worker(dir.path(), mamori_sanitize::sanitize_with_budget);
        w.spool.store(&envelope(), RAW).unwrap();
        let now = now_ms();
        let later = Retry {
            attempts: 1,
            next_attempt_ms: now + 3_600_000,
            last_error: "down".into(),
            recipients: None,
        };
        w.spool.defer(State::Queued, "q1", &later).unwrap();
        // Held back a second, its stall long over.
        w.stalled
            .hold("q1", None, &RetryPolicy::default(), now - 120_000);
        assert!(w.due().is_empty());
        let wait = w.next_due().expect("a deferred message");
        assert!(wait > Duration::from_secs(3_000), "{wait:?}");

        // A stall later than the schedule is waited for in turn.
        let soon = Retry {
            next_attempt_ms: now - 1,
            ..later
        };
        w.spool.defer(State::Deferred, "q1", &soon).unwrap();
        w.stalled.hold("q1", None, &RetryPolicy::default(), now);
        assert!(w.due().is_empty());
        assert!(w.next_due().unwrap() > Duration::from_secs(60));
        w.stalled.release("q1");
        assert_eq!(w.due().len(), 1);
        assert_eq!(w.next_due(), Some(Duration::ZERO));
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    /// The one message that goes out.
    fn only(outgoing: &Outgoing) -> &[u8] {
        match outgoing {
            Outgoing::Shared(m) => &m.0,
            Outgoing::Each(each) if each.len() == 1 => &each[0].1.0,
            Outgoing::Each(each) => panic!("{} messages", each.len()),
        }
    }

    #[tokio::test]
    async fn each_recipient_gets_a_quarantine_notice_naming_only_them() {
        let dir = tempfile::tempdir().unwrap();
        let w = worker(dir.path(), |_, _, _| panic!("unreadable"));
        let mut env = envelope();
        env.recipients = vec![
            "a@city.example.lg.jp".into(),
            "b@city.example.lg.jp".into(),
            "bcc@city.example.lg.jp".into(),
        ];
        let v = w.sanitize(&env, RAW.to_vec(), None).await.unwrap();
        let Outgoing::Each(each) = &v.outgoing else {
            panic!("one notice for everyone");
        };
        let to: Vec<&str> = each.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(to, env.recipients);
        for (rcpt, notice) in each {
            assert!(contains(
                &notice.0,
                format!("\r\nTo: <{rcpt}>\r\n").as_bytes()
            ));
            for other in env.recipients.iter().filter(|r| *r != rcpt) {
                assert!(!contains(&notice.0, other.as_bytes()), "{rcpt}: {other}");
            }
        }
    }

    /// Whatever the engine does, what goes out is a notice the worker wrote, and the original
    /// is in quarantine.
    async fn assert_quarantined_whole(engine: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let w = worker(dir.path(), engine);
        let v = w.sanitize(&envelope(), RAW.to_vec(), None).await.unwrap();
        assert_eq!(v.verdict, "quarantined");
        let out = only(&v.outgoing);
        assert!(!contains(out, b"SECRET-ORIGINAL-BYTES"));
        assert!(out.starts_with(b"From: Mail Delivery System <MAILER-DAEMON@gw.test>\r\n"));
        assert!(contains(out, b"X-Mamori-Sanitized: quarantined"));
        let kept = std::fs::read(w.quarantine.dir(&v.quarantine_id).join("original.eml"));
        assert_eq!(kept.unwrap(), RAW);
    }

    #[tokio::test]
    async fn an_engine_panic_quarantines_the_whole_message() {
        assert_quarantined_whole(|_, _, _| panic!("parser exploded")).await;
    }

    #[tokio::test]
    async fn a_quarantine_verdict_never_lets_output_through() {
        assert_quarantined_whole(|input, policy, budget| {
            let mut outcome = mamori_sanitize::sanitize_with_budget(input, policy, budget);
            outcome.report.verdict = Verdict::Quarantined;
            outcome.message = Some(input.to_vec());
            outcome
        })
        .await;
    }

    #[tokio::test]
    async fn a_sanitized_verdict_sends_the_engine_output() {
        let dir = tempfile::tempdir().unwrap();
        let w = worker(dir.path(), mamori_sanitize::sanitize_with_budget);
        let v = w.sanitize(&envelope(), RAW.to_vec(), None).await.unwrap();
        assert_eq!(v.verdict, "sanitized");
        let expected = mamori_sanitize::sanitize(RAW, &Policy::default()).message;
        assert_eq!(Some(only(&v.outgoing)), expected.as_deref());
    }

    fn one_second() -> Policy {
        let mut policy = Policy::default();
        policy.limits.time_limit_seconds = 1;
        policy
    }

    #[tokio::test]
    async fn the_engine_gets_a_deadline_from_the_policy_time_limit() {
        let dir = tempfile::tempdir().unwrap();
        // An engine that works until the deadline passes, as a very slow message would.
        let w = worker_with(
            dir.path(),
            |input, policy, budget| {
                while !budget.exhausted() {
                    std::thread::sleep(Duration::from_millis(10));
                }
                mamori_sanitize::sanitize_with_budget(input, policy, budget)
            },
            one_second(),
        );
        let v = w.sanitize(&envelope(), RAW.to_vec(), None).await.unwrap();
        assert_eq!(v.verdict, "quarantined");
        assert!(!contains(only(&v.outgoing), b"SECRET-ORIGINAL-BYTES"));
    }

    static HUNG: AtomicBool = AtomicBool::new(true);

    #[tokio::test]
    async fn an_engine_that_never_answers_quarantines_and_the_next_message_is_sanitized() {
        let dir = tempfile::tempdir().unwrap();
        // Ignores its budget on the secret message, as a third-party call that does not return.
        let w = worker_with(
            dir.path(),
            |input, policy, budget| {
                while input == RAW && HUNG.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                mamori_sanitize::sanitize_with_budget(input, policy, budget)
            },
            one_second(),
        );
        let v = w.sanitize(&envelope(), RAW.to_vec(), None).await.unwrap();
        assert_eq!(v.verdict, "quarantined");
        assert!(!contains(only(&v.outgoing), b"SECRET-ORIGINAL-BYTES"));
        let kept = std::fs::read(w.quarantine.dir(&v.quarantine_id).join("original.eml"));
        assert_eq!(kept.unwrap(), RAW);
        let stats = w.engine.stats();
        assert_eq!((stats.threads, stats.abandoned), (1, 1));
        // The pool's only thread is still stuck: its replacement sanitizes the next message.
        let next = b"Subject: y\r\n\r\nnext\r\n".to_vec();
        let v = w.sanitize(&envelope(), next.clone(), None).await.unwrap();
        assert_eq!(v.verdict, "sanitized");
        let expected = mamori_sanitize::sanitize(&next, &one_second()).message;
        assert_eq!(Some(only(&v.outgoing)), expected.as_deref());
        HUNG.store(false, Ordering::SeqCst);
    }

    #[test]
    fn the_trace_field_names_the_client_and_keeps_what_it_sent_on_one_field() {
        let mut e = envelope();
        e.helo = "mail.example\r\nX-Injected: yes".into();
        e.peer = "203.0.113.7:40000".into();
        e.received_ms = 1_764_900_000_000;
        let field = String::from_utf8(trace_field(&e, "gw.city.example.lg.jp")).unwrap();
        assert_eq!(
            field,
            "Received: from mail.exampleX-Injected:yes ([203.0.113.7])\r\n\
             \tby gw.city.example.lg.jp (mamori) with ESMTP id q1\r\n\
             \tfor <u@city.example.lg.jp>;\r\n\
             \tFri, 5 Dec 2025 11:00:00 +0900\r\n"
        );
        // Several recipients are not listed; IPv6 is an address literal; TLS and SMTPUTF8 name
        // the protocol; an empty HELO is "unknown".
        e.recipients.push("v@city.example.lg.jp".into());
        e.peer = "[2001:db8::1]:25".into();
        (e.tls, e.smtputf8, e.helo) = (true, true, String::new());
        let field = String::from_utf8(trace_field(&e, "gw")).unwrap();
        assert!(
            field.starts_with("Received: from unknown ([IPv6:2001:db8::1])\r\n\tby gw (mamori) with UTF8SMTPS id q1;\r\n\t"),
            "{field}"
        );
        assert_eq!(field.matches("\r\n").count(), 3, "{field}");
        assert!(!field.contains("for <"), "{field}");
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
            lifetime: Duration::from_secs(100),
        };
        let delays: Vec<u64> = (1..=6).map(|a| p.delay(a).as_secs()).collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 10, 10]);
        assert_eq!(p.delay(u32::MAX), Duration::from_secs(10));
    }

    #[test]
    fn base64_lines_are_at_most_76_characters() {
        let text = base64_lines(&[0xe3; 200]);
        assert!(text.lines().all(|l| l.len() <= 76));
        assert!(text.ends_with("\r\n"));
    }
}
