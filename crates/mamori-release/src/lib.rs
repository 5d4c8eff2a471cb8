//! 原本の提供 (the release of quarantined originals) as a background job: the gateway's
//! quarantine read as [`QuarantineView`] for the web pages and `mamori quarantine release`, and
//! the release worker that delivers approved releases with retry and records every attempt in
//! the store.
//!
//! The quarantine itself stays in the gateway's folder (files, as the standalone gateway keeps
//! it); the requests and their decisions are in the database, with the audit trail. This crate
//! is the one place where the store and the SMTP side meet, so the web crate needs neither the
//! gateway nor its mail stack.

pub mod candidates;

pub use candidates::{CANDIDATE_EVERY, MALWARE_LIKE_REASONS, candidate_job};

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mamori_core::Clock;
use mamori_core::release::{
    Direction, QuarantineFilter, QuarantinePage, QuarantinedMail, ReleaseRequest, same_address,
};
use mamori_gateway::NextHop;
use mamori_gateway::quarantine::{
    self as gq, Entry, IndexRow, Purged, QuarantineError, QuarantineId, QuarantineIndex, Retention,
};
use mamori_gateway::release::{ReleaseMailer, ReleaseOrder};
use mamori_store::{AuditStore, Origin, QuarantineView, ReleaseAttempt, ReleaseStore, StoreError};
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
    /// The quarantine's index, opened when first needed (the gateway makes the folder).
    index: Mutex<Option<Arc<QuarantineIndex>>>,
}

fn joined(error: tokio::task::JoinError, data: &std::path::Path) -> QuarantineError {
    QuarantineError::Damaged {
        path: data.to_path_buf(),
        detail: error.to_string(),
    }
}

impl QuarantineService {
    pub fn new(config: QuarantineConfig) -> Self {
        Self {
            mailer: ReleaseMailer::new(config.data_dir.clone(), config.next_hop.clone(), None),
            config,
            wake: Notify::new(),
            index: Mutex::new(None),
        }
    }

    pub fn config(&self) -> &QuarantineConfig {
        &self.config
    }

    /// The quarantine's index; `None` while the gateway has not made its quarantine folder.
    pub async fn index(&self) -> Result<Option<Arc<QuarantineIndex>>, QuarantineError> {
        if let Some(index) = self.lock().as_ref() {
            return Ok(Some(index.clone()));
        }
        let data = self.config.data_dir.clone();
        let opened =
            tokio::task::spawn_blocking(move || match gq::QuarantineReader::existing(&data) {
                Ok(reader) => reader.index().map(Some),
                Err(QuarantineError::NoStore(_)) => Ok(None),
                Err(e) => Err(e),
            })
            .await
            .map_err(|e| joined(e, &self.config.data_dir))??;
        let Some(index) = opened else {
            return Ok(None);
        };
        let index = Arc::new(index);
        *self.lock() = Some(index.clone());
        Ok(Some(index))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Arc<QuarantineIndex>>> {
        self.index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One page of the entries `filter` names, newest first, read from the index.
    pub async fn page(&self, filter: &QuarantineFilter) -> Result<QuarantinePage, QuarantineError> {
        let Some(index) = self.index().await? else {
            return Ok(QuarantinePage::default());
        };
        let filter = filter.clone();
        let page = tokio::task::spawn_blocking(move || index.page(&filter))
            .await
            .map_err(|e| joined(e, &self.config.data_dir))??;
        Ok(QuarantinePage {
            entries: page.rows.iter().map(listed).collect(),
            next: page.next,
        })
    }

    /// The entry an id names, a part id of a notice block included, read from its folder (with
    /// its row's release state). `None` when there is none.
    pub async fn entry(&self, id: &QuarantineId) -> Result<Option<Entry>, QuarantineError> {
        let data = self.config.data_dir.clone();
        let id = id.clone();
        let found = tokio::task::spawn_blocking(move || {
            gq::QuarantineReader::existing(&data).and_then(|r| r.resolve(&id))
        })
        .await
        .map_err(|e| joined(e, &self.config.data_dir))?;
        match found {
            Ok(entry) => Ok(Some(entry)),
            Err(QuarantineError::NotFound(_) | QuarantineError::NoStore(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// An entry with its subject and release state, as the pages show one.
    pub async fn entry_mail(
        &self,
        id: &QuarantineId,
    ) -> Result<Option<QuarantinedMail>, QuarantineError> {
        let Some(entry) = self.entry(id).await? else {
            return Ok(None);
        };
        let index = self.index().await?;
        let data = self.config.data_dir.clone();
        let mail = tokio::task::spawn_blocking(move || {
            let mut mail = mail(&entry);
            if let Ok(reader) = gq::QuarantineReader::existing(&data) {
                mail.subject = reader.subject(&entry);
            }
            if let Some(row) = index.and_then(|i| i.row(&entry.id).ok().flatten()) {
                mail.release_state = row.release_state;
            }
            mail
        })
        .await
        .map_err(|e| joined(e, &self.config.data_dir))?;
        Ok(Some(mail))
    }

    /// Keeps the entry from purges while its release is asked for.
    pub async fn hold_for_release(&self, id: &str, now_ms: i64) -> Result<bool, QuarantineError> {
        let Some(index) = self.index().await? else {
            return Ok(false);
        };
        let id = id.to_owned();
        tokio::task::spawn_blocking(move || index.hold_for_release(&id, now_ms))
            .await
            .map_err(|e| joined(e, &self.config.data_dir))?
    }

    /// Writes a request's new state into the index (what the list shows, and what purges keep).
    async fn note_release_state(&self, request: &ReleaseRequest, now_ms: i64) {
        let Ok(Some(index)) = self.index().await else {
            return;
        };
        let id = request.quarantine_id.clone();
        let state = request.state;
        let noted = tokio::task::spawn_blocking(move || {
            index.set_release_state(&id, state.as_str(), state.is_open(), now_ms)
        })
        .await;
        if !matches!(noted, Ok(Ok(()))) {
            // The daily sync brings it in line again.
            tracing::warn!(quarantine_id = %request.quarantine_id, "release state not indexed");
        }
    }

    /// Asks the release worker to look for due releases now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// An index row as the list shows it (no report: a list never reads the entries' files).
pub fn listed(row: &IndexRow) -> QuarantinedMail {
    QuarantinedMail {
        id: row.id.clone(),
        received_ms: row.received_ms,
        from: row.sender.clone(),
        recipients: row.recipients.clone(),
        verdict: row.verdict.clone(),
        direction: row.direction,
        reasons: row.reasons.clone(),
        retain_until_ms: row.retain_until_ms,
        original_size: row.size,
        hold_reason: row.hold_reason.clone(),
        report: serde_json::Value::Null,
        subject: row.subject.clone(),
        release_state: row.release_state.clone(),
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
        subject: String::new(),
        release_state: None,
    }
}

fn unavailable(error: QuarantineError) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

#[async_trait::async_trait]
impl QuarantineView for QuarantineService {
    async fn page(&self, filter: &QuarantineFilter) -> Result<QuarantinePage, StoreError> {
        QuarantineService::page(self, filter)
            .await
            .map_err(unavailable)
    }

    async fn entry(&self, id: &str) -> Result<Option<QuarantinedMail>, StoreError> {
        let Ok(id) = QuarantineId::parse(id) else {
            return Ok(None);
        };
        self.entry_mail(&id).await.map_err(unavailable)
    }

    async fn hold_for_release(&self, id: &str) -> Result<bool, StoreError> {
        let now = chrono::Utc::now().timestamp_millis();
        QuarantineService::hold_for_release(self, id, now)
            .await
            .map_err(unavailable)
    }

    fn release_approved(&self) {
        self.wake();
    }

    async fn release_changed(&self, request: &ReleaseRequest) {
        self.note_release_state(request, chrono::Utc::now().timestamp_millis())
            .await;
    }
}

/// A hold younger than this is kept by the sync whatever the store says: its request may still
/// be on its way to the database.
const HOLD_GRACE_MS: i64 = 10 * 60 * 1000;

/// The retention purge of `mamori serve`: first brings the index's release states in line with
/// the store's requests (an entry with an open request is never purged), then removes what
/// `retention` no longer keeps, files and rows together, and writes what it removed to the
/// audit trail (`quarantine.purge`, the ids of one run in one record).
pub async fn purge_with_store<S>(
    store: &S,
    service: &QuarantineService,
    retention: &Retention,
    now_ms: i64,
    origin: &Origin,
) -> Result<Purged, StoreError>
where
    S: ReleaseStore + AuditStore + ?Sized,
{
    let Some(index) = service.index().await.map_err(unavailable)? else {
        return Ok(Purged::default());
    };
    sync_releases(store, index.clone(), now_ms).await?;
    let retention = *retention;
    let purged =
        tokio::task::spawn_blocking(move || gq::purge_retained(&index, &retention, now_ms))
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
            .map_err(unavailable)?;
    audit_purge(store, &purged, origin).await?;
    Ok(purged)
}

/// Brings the index's release states in line with the store's requests, so that a purge keeps
/// every entry with an open request (and the list shows each entry's latest state).
pub async fn sync_releases<S: ReleaseStore + ?Sized>(
    store: &S,
    index: Arc<QuarantineIndex>,
    now_ms: i64,
) -> Result<(), StoreError> {
    let states: Vec<(String, String, bool)> = store
        .release_states()
        .await?
        .into_iter()
        .map(|(id, state, open)| (id, state.as_str().to_owned(), open))
        .collect();
    tokio::task::spawn_blocking(move || index.sync_releases(&states, now_ms, HOLD_GRACE_MS))
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?
        .map_err(unavailable)
}

/// One audit record for a purge that removed anything.
pub async fn audit_purge<S: AuditStore + ?Sized>(
    store: &S,
    purged: &Purged,
    origin: &Origin,
) -> Result<(), StoreError> {
    if purged.removed.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = purged.removed.iter().map(|r| r.id.as_str()).collect();
    let event = origin
        .event("quarantine.purge", "quarantine", ids.len())
        .with_detail(serde_json::json!({
            "removed": ids,
            "kept_pending": purged.kept_pending,
            "unreadable": purged.unreadable.len(),
        }));
    store.record(event).await?;
    Ok(())
}

/// Runs the retention purge once a day (and shortly after start) until `shutdown`.
pub async fn retention_job<S>(
    store: Arc<S>,
    service: Arc<QuarantineService>,
    retention: Retention,
    clock: Arc<dyn Clock>,
    mut shutdown: watch::Receiver<bool>,
) where
    S: ReleaseStore + AuditStore + ?Sized,
{
    loop {
        let origin = Origin::system("quarantine retention");
        if let Err(error) = purge_with_store(
            store.as_ref(),
            &service,
            &retention,
            clock.now_ms(),
            &origin,
        )
        .await
        {
            tracing::error!(%error, "quarantine retention purge");
        }
        tokio::select! {
            _ = tokio::time::sleep(mamori_gateway::PURGE_EVERY) => {}
            _ = shutdown.changed() => return,
        }
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
                service.note_release_state(&done, clock.now_ms()).await;
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
