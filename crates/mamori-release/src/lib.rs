//! 原本の提供 (the release of quarantined originals) as a background job: the gateway's
//! quarantine read as [`QuarantineView`] for the web pages and `mamori quarantine release`, and
//! the release worker that delivers approved releases with retry and records every attempt in
//! the store.
//!
//! The quarantine itself stays in the gateway's folder (files, as the standalone gateway keeps
//! it); the requests and their decisions are in the database, with the audit trail. This crate
//! is the one place where the store and the SMTP side meet, so the web crate needs neither the
//! gateway nor its mail stack.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mamori_core::Clock;
use mamori_core::release::{Direction, QuarantinedMail, ReleaseRequest, same_address};
use mamori_gateway::NextHop;
use mamori_gateway::quarantine::{self as gq, Entry, QuarantineError, QuarantineId};
use mamori_gateway::release::{ReleaseMailer, ReleaseOrder};
use mamori_store::{Origin, QuarantineView, ReleaseAttempt, ReleaseStore, StoreError};
use tokio::sync::{Notify, watch};

/// Where the gateway keeps its quarantine and where released originals go.
#[derive(Debug, Clone)]
pub struct QuarantineConfig {
    /// The gateway's data folder (`DATA/quarantine`).
    pub data_dir: PathBuf,
    /// The gateway's next hop; released originals go there.
    pub next_hop: NextHop,
    /// Delay after the first failed delivery of a release; doubled after each further one.
    pub first_retry: Duration,
    pub max_retry: Duration,
    /// After this long since approval, a temporary failure becomes final.
    pub lifetime: Duration,
}

impl QuarantineConfig {
    pub fn new(data_dir: PathBuf, next_hop: NextHop) -> Self {
        Self {
            data_dir,
            next_hop,
            first_retry: Duration::from_secs(60),
            max_retry: Duration::from_secs(3600),
            lifetime: Duration::from_secs(5 * 24 * 3600),
        }
    }

    /// Delay before the next attempt after `attempts` failed ones.
    pub fn delay(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        self.first_retry
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(self.max_retry)
    }
}

/// The quarantine of a gateway running with `mamori serve`, and its release delivery.
#[derive(Debug)]
pub struct QuarantineService {
    config: QuarantineConfig,
    mailer: ReleaseMailer,
    /// Woken when a release was approved, so that delivery does not wait for the next poll.
    wake: Notify,
}

impl QuarantineService {
    pub fn new(config: QuarantineConfig) -> Self {
        Self {
            mailer: ReleaseMailer::new(config.data_dir.clone(), config.next_hop.clone(), None),
            config,
            wake: Notify::new(),
        }
    }

    pub fn config(&self) -> &QuarantineConfig {
        &self.config
    }

    /// Every readable entry, newest first. An empty list while the gateway has not made its
    /// quarantine folder yet; damaged entries are logged and left out.
    pub async fn entries(&self) -> Result<Vec<Entry>, QuarantineError> {
        let data = self.config.data_dir.clone();
        let all =
            tokio::task::spawn_blocking(move || match gq::QuarantineReader::existing(&data) {
                Ok(reader) => reader.entries(),
                Err(QuarantineError::NoStore(_)) => Ok(Vec::new()),
                Err(e) => Err(e),
            })
            .await
            .map_err(|e| QuarantineError::Damaged {
                path: self.config.data_dir.clone(),
                detail: e.to_string(),
            })??;
        let mut good = Vec::new();
        for entry in all {
            match entry {
                Ok(e) => good.push(e),
                Err(error) => tracing::warn!(%error, "quarantine entry left out"),
            }
        }
        good.reverse();
        Ok(good)
    }

    /// The entry an id names, a part id of a notice block included. `None` when there is none.
    pub async fn entry(&self, id: &QuarantineId) -> Result<Option<Entry>, QuarantineError> {
        let data = self.config.data_dir.clone();
        let id = id.clone();
        let found = tokio::task::spawn_blocking(move || {
            gq::QuarantineReader::existing(&data).and_then(|r| r.resolve(&id))
        })
        .await
        .map_err(|e| QuarantineError::Damaged {
            path: self.config.data_dir.clone(),
            detail: e.to_string(),
        })?;
        match found {
            Ok(entry) => Ok(Some(entry)),
            Err(QuarantineError::NotFound(_) | QuarantineError::NoStore(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Asks the release worker to look for due releases now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// An entry of the gateway's folder as the workflow sees it.
pub fn mail(entry: &Entry) -> QuarantinedMail {
    QuarantinedMail {
        id: entry.id.clone(),
        received_ms: entry.first().received_ms,
        from: entry.first().from.clone(),
        recipients: entry.recipients(),
        verdict: entry.verdict().to_owned(),
        direction: entry.direction(),
        reasons: entry.reasons(),
        retain_until_ms: entry.retain_until_ms(),
        original_size: entry.original_size,
        hold_reason: entry.records.iter().find_map(|r| r.hold_reason.clone()),
        // Every delivery of one original has the same report; the first stands for them.
        report: entry.first().report.clone(),
    }
}

fn unavailable(error: QuarantineError) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

#[async_trait::async_trait]
impl QuarantineView for QuarantineService {
    async fn entries(&self) -> Result<Vec<QuarantinedMail>, StoreError> {
        let entries = QuarantineService::entries(self)
            .await
            .map_err(unavailable)?;
        Ok(entries.iter().map(mail).collect())
    }

    async fn entry(&self, id: &str) -> Result<Option<QuarantinedMail>, StoreError> {
        let Ok(id) = QuarantineId::parse(id) else {
            return Ok(None);
        };
        let entry = QuarantineService::entry(self, &id)
            .await
            .map_err(unavailable)?;
        Ok(entry.as_ref().map(mail))
    }

    fn release_approved(&self) {
        self.wake();
    }
}

/// What one approved release sends and to whom: the requester alone for inbound mail (and only
/// when they are still a recipient of it), the held message's recipients for outbound mail.
pub fn order_for(request: &ReleaseRequest, entry: &Entry) -> Result<ReleaseOrder, String> {
    let quarantine_id = QuarantineId::parse(&entry.id).map_err(|e| e.to_string())?;
    let recipients = match request.direction {
        Direction::Inbound => {
            let recipients = entry.recipients();
            match recipients
                .iter()
                .find(|r| same_address(r, &request.address))
            {
                Some(r) => vec![r.clone()],
                None => return Err("the requester is not a recipient of this message".into()),
            }
        }
        Direction::Outbound => {
            if !same_address(&entry.first().from, &request.address) {
                return Err("the requester is not the sender of this message".into());
            }
            entry.recipients()
        }
    };
    Ok(ReleaseOrder {
        quarantine_id,
        request: request.id.0,
        recipients,
        requested_by: request.requester_name.clone(),
        approved_by: request.approver_name.clone().unwrap_or_default(),
        outbound: request.direction == Direction::Outbound,
    })
}

/// How long one attempt may hold a request before another worker may take it again.
const LEASE_MS: i64 = 10 * 60 * 1000;

fn origin() -> Origin {
    Origin::system("release")
}

/// Delivers every release that is due now, one at a time; returns how many were attempted.
pub async fn deliver_due(
    store: &dyn ReleaseStore,
    service: &QuarantineService,
    clock: &dyn Clock,
) -> Result<usize, StoreError> {
    let mut attempted = 0;
    while let Some(request) = store.claim_release(LEASE_MS, &origin()).await? {
        attempted += 1;
        let attempt = attempt(service, clock, &request).await;
        match store
            .record_release_attempt(request.id, attempt, &origin())
            .await
        {
            Ok(done) => {
                tracing::info!(request = done.id.0, quarantine_id = %done.quarantine_id,
                    state = done.state.as_str(), attempts = done.attempts,
                    result = %done.last_result, "release attempt recorded");
            }
            Err(error) => {
                // The lease expires and the attempt is made again: at least once.
                tracing::error!(request = request.id.0, %error, "cannot record a release attempt");
            }
        }
    }
    Ok(attempted)
}

async fn attempt(
    service: &QuarantineService,
    clock: &dyn Clock,
    request: &ReleaseRequest,
) -> ReleaseAttempt {
    let id = match QuarantineId::parse(&request.quarantine_id) {
        Ok(id) => id,
        Err(e) => {
            return ReleaseAttempt::Failed {
                error: e.to_string(),
            };
        }
    };
    let entry = match service.entry(&id).await {
        Ok(Some(entry)) => entry,
        Ok(None) => {
            return ReleaseAttempt::Failed {
                error: "the original is no longer in quarantine".into(),
            };
        }
        Err(error) => {
            return ReleaseAttempt::Failed {
                error: error.to_string(),
            };
        }
    };
    let order = match order_for(request, &entry) {
        Ok(order) => order,
        Err(error) => return ReleaseAttempt::Failed { error },
    };
    match service.mailer.deliver(&order).await {
        // Held outbound mail has several recipients: one refused for good does not undo the
        // delivery to the others, but the record says so.
        Ok(delivered) if delivered.rejected.is_empty() => ReleaseAttempt::Delivered {
            reply: delivered.reply,
        },
        Ok(delivered) => ReleaseAttempt::Delivered {
            reply: format!(
                "{}; refused: {}",
                delivered.reply,
                delivered
                    .rejected
                    .iter()
                    .map(|(rcpt, why)| format!("{rcpt} ({why})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        Err(error) if error.is_temporary() => {
            let now = clock.now_ms();
            let lifetime = i64::try_from(service.config.lifetime.as_millis()).unwrap_or(i64::MAX);
            let since = request.decided_at.unwrap_or(request.requested_at);
            if now.saturating_sub(since) >= lifetime {
                ReleaseAttempt::Failed {
                    error: format!("gave up after {} attempts: {error}", request.attempts),
                }
            } else {
                let delay = service.config.delay(request.attempts);
                ReleaseAttempt::Deferred {
                    error: error.to_string(),
                    next_attempt_at: now
                        .saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2)),
                }
            }
        }
        Err(error) => ReleaseAttempt::Failed {
            error: error.to_string(),
        },
    }
}

/// Runs until `shutdown` turns true: delivers due releases when woken and every few seconds.
pub async fn release_worker(
    store: Arc<dyn ReleaseStore>,
    service: Arc<QuarantineService>,
    clock: Arc<dyn Clock>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        if let Err(error) = deliver_due(store.as_ref(), &service, clock.as_ref()).await {
            tracing::error!(%error, "release worker");
        }
        tokio::select! {
            _ = service.wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = shutdown.changed() => return,
        }
    }
}
