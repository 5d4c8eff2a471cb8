//! The SQL implementation of [`Store`], for SQLite and PostgreSQL.
//!
//! Both databases run the same statements through sqlx's `Any` driver: the SQL below keeps to
//! what both understand (`$n` parameters, `RETURNING`, integers for flags and times). What
//! differs lives in [`Backend`]: how to connect, the numbered migrations of each database under
//! `migrations/<backend>/`, and how to take a backup.
//!
//! This module keeps what every area shares: connecting and migrating, the write transaction
//! that takes its place in the audit chain and seals its record, and the row helpers. Each
//! area's statements live beside it (`directory`, `accounts`, `audit`, `assets`, `releases`,
//! `policies`, `controls`, `risks`, `inspections`, `audits`, `exceptions`, `reviews`,
//! `incidents`, `training`, `cloud`, `social`, `notices`, `monitor`);
//! an area may use this module and an area below it (accounts use the directory's inserts),
//! never one that uses it.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use mamori_core::Clock;
use mamori_core::audit::{AuditEvent, AuditKey, AuditRecord, seal};
use mamori_core::text::Name;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::{Anchor, Conflict, Result, Store, StoreError};

mod accounts;
mod assets;
mod audit;
mod audits;
mod cloud;
mod controls;
mod directory;
mod exceptions;
mod incidents;
mod inspections;
mod monitor;
mod notices;
mod policies;
mod probe;
mod reference;
mod releases;
mod reviews;
mod risks;
mod social;
mod third_parties;
mod training;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Each database owns its numbered migrations. Existing migrations are never edited.
    fn migrations(self) -> &'static [(i64, &'static str, &'static str)] {
        match self {
            Backend::Sqlite => &[
                (
                    1,
                    "foundation",
                    include_str!("../../migrations/sqlite/0001_foundation.sql"),
                ),
                (
                    2,
                    "sealed_audit_head",
                    include_str!("../../migrations/sqlite/0002_sealed_audit_head.sql"),
                ),
                (
                    3,
                    "asset_register",
                    include_str!("../../migrations/sqlite/0003_asset_register.sql"),
                ),
                (
                    4,
                    "asset_class_rank",
                    include_str!("../../migrations/sqlite/0004_asset_class_rank.sql"),
                ),
                (
                    5,
                    "asset_search_and_tallies",
                    include_str!("../../migrations/sqlite/0005_asset_search_and_tallies.sql"),
                ),
                (
                    6,
                    "release_requests",
                    include_str!("../../migrations/sqlite/0006_release_requests.sql"),
                ),
                (
                    7,
                    "asset_facets",
                    include_str!("../../migrations/sqlite/0007_asset_facets.sql"),
                ),
                (
                    8,
                    "token_lifecycle",
                    include_str!("../../migrations/sqlite/0008_token_lifecycle.sql"),
                ),
                (
                    9,
                    "person_email_unique",
                    include_str!("../../migrations/sqlite/0009_person_email_unique.sql"),
                ),
                (
                    10,
                    "policies",
                    include_str!("../../migrations/sqlite/0010_policies.sql"),
                ),
                (
                    11,
                    "controls",
                    include_str!("../../migrations/sqlite/0011_controls.sql"),
                ),
                (
                    12,
                    "risks",
                    include_str!("../../migrations/sqlite/0012_risks.sql"),
                ),
                (
                    13,
                    "inspections",
                    include_str!("../../migrations/sqlite/0013_inspections.sql"),
                ),
                (
                    14,
                    "directory_login",
                    include_str!("../../migrations/sqlite/0014_directory_login.sql"),
                ),
                (
                    15,
                    "incidents",
                    include_str!("../../migrations/sqlite/0015_incidents.sql"),
                ),
                (
                    17,
                    "training",
                    include_str!("../../migrations/sqlite/0017_training.sql"),
                ),
                (
                    18,
                    "cloud_social",
                    include_str!("../../migrations/sqlite/0018_cloud_social.sql"),
                ),
                (
                    20,
                    "notices",
                    include_str!("../../migrations/sqlite/0020_notices.sql"),
                ),
                (
                    21,
                    "incident_followup",
                    include_str!("../../migrations/sqlite/0021_incident_followup.sql"),
                ),
                (
                    16,
                    "contracts",
                    include_str!("../../migrations/sqlite/0016_contracts.sql"),
                ),
                (
                    22,
                    "monitor",
                    include_str!("../../migrations/sqlite/0022_monitor.sql"),
                ),
                (
                    24,
                    "reference_version",
                    include_str!("../../migrations/sqlite/0024_reference_version.sql"),
                ),
                (
                    25,
                    "asset_search_vocab",
                    include_str!("../../migrations/sqlite/0025_asset_search_vocab.sql"),
                ),
                (
                    26,
                    "asset_search_pairs",
                    include_str!("../../migrations/sqlite/0026_asset_search_pairs.sql"),
                ),
                (
                    27,
                    "asset_tallies_pairs",
                    include_str!("../../migrations/sqlite/0027_asset_tallies_pairs.sql"),
                ),
            ],
            Backend::Postgres => &[
                (
                    1,
                    "foundation",
                    include_str!("../../migrations/postgres/0001_foundation.sql"),
                ),
                (
                    2,
                    "sealed_audit_head",
                    include_str!("../../migrations/postgres/0002_sealed_audit_head.sql"),
                ),
                (
                    3,
                    "asset_register",
                    include_str!("../../migrations/postgres/0003_asset_register.sql"),
                ),
                (
                    4,
                    "asset_class_rank",
                    include_str!("../../migrations/postgres/0004_asset_class_rank.sql"),
                ),
                (
                    5,
                    "asset_search_and_tallies",
                    include_str!("../../migrations/postgres/0005_asset_search_and_tallies.sql"),
                ),
                (
                    6,
                    "release_requests",
                    include_str!("../../migrations/postgres/0006_release_requests.sql"),
                ),
                (
                    7,
                    "asset_facets",
                    include_str!("../../migrations/postgres/0007_asset_facets.sql"),
                ),
                (
                    8,
                    "token_lifecycle",
                    include_str!("../../migrations/postgres/0008_token_lifecycle.sql"),
                ),
                (
                    9,
                    "person_email_unique",
                    include_str!("../../migrations/postgres/0009_person_email_unique.sql"),
                ),
                (
                    10,
                    "policies",
                    include_str!("../../migrations/postgres/0010_policies.sql"),
                ),
                (
                    11,
                    "controls",
                    include_str!("../../migrations/postgres/0011_controls.sql"),
                ),
                (
                    12,
                    "risks",
                    include_str!("../../migrations/postgres/0012_risks.sql"),
                ),
                (
                    13,
                    "inspections",
                    include_str!("../../migrations/postgres/0013_inspections.sql"),
                ),
                (
                    14,
                    "directory_login",
                    include_str!("../../migrations/postgres/0014_directory_login.sql"),
                ),
                (
                    15,
                    "incidents",
                    include_str!("../../migrations/postgres/0015_incidents.sql"),
                ),
                (
                    17,
                    "training",
                    include_str!("../../migrations/postgres/0017_training.sql"),
                ),
                (
                    18,
                    "cloud_social",
                    include_str!("../../migrations/postgres/0018_cloud_social.sql"),
                ),
                (
                    20,
                    "notices",
                    include_str!("../../migrations/postgres/0020_notices.sql"),
                ),
                (
                    21,
                    "incident_followup",
                    include_str!("../../migrations/postgres/0021_incident_followup.sql"),
                ),
                (
                    16,
                    "contracts",
                    include_str!("../../migrations/postgres/0016_contracts.sql"),
                ),
                (
                    22,
                    "monitor",
                    include_str!("../../migrations/postgres/0022_monitor.sql"),
                ),
                (
                    23,
                    "asset_search_fold",
                    include_str!("../../migrations/postgres/0023_asset_search_fold.sql"),
                ),
                (
                    24,
                    "reference_version",
                    include_str!("../../migrations/postgres/0024_reference_version.sql"),
                ),
                (
                    27,
                    "asset_tallies_pairs",
                    include_str!("../../migrations/postgres/0027_asset_tallies_pairs.sql"),
                ),
                (
                    28,
                    "asset_search_chars",
                    include_str!("../../migrations/postgres/0028_asset_search_chars.sql"),
                ),
            ],
        }
    }
}

#[derive(Debug)]
struct Embedded(Backend);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> std::pin::Pin<
        Box<
            dyn Future<Output = std::result::Result<Vec<Migration>, sqlx::error::BoxDynError>>
                + Send
                + 's,
        >,
    > {
        Box::pin(async move {
            Ok(self
                .0
                .migrations()
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// The store on an SQL database.
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    key: AuditKey,
    clock: Arc<dyn Clock>,
    /// Where every commit of the chain is also written, when the store has one.
    anchor: Option<Anchor>,
    /// Records of their own (an audited read, a login) waiting to be committed together.
    audit_queue: AuditQueue,
    /// The scales, segments and units as last read, while the database's count vouches for them.
    reference: reference::Reference,
    /// How many assets hold each trigram of the search index, as last read (SQLite).
    trigram_counts: probe::TrigramCounts,
    character_shares: probe::CharacterShares,
}

/// 監査記録のグループコミット: records written on their own ([`AuditStore::record`]) are queued,
/// and whoever finds the chain's writer free takes every record waiting and appends them in one
/// transaction, each sealed and chained exactly as it would be alone; the others are answered
/// from that write. Under load that is one transaction and one sync for many audited reads rather
/// than one each, so a read waits for the trail's lock no longer than one append takes.
#[derive(Default)]
struct AuditQueue {
    waiting: std::sync::Mutex<Vec<Queued>>,
    writer: tokio::sync::Mutex<()>,
}

type Queued = (
    AuditEvent,
    tokio::sync::oneshot::Sender<Result<AuditRecord>>,
);

/// A write transaction that has taken the next place in the audit chain. Taking the chain's head
/// row first serialises writers on both databases (a row lock on PostgreSQL, the write lock on
/// SQLite) and so avoids SQLite's deferred-transaction upgrade deadlock.
struct Write {
    tx: Transaction<'static, Any>,
    seq: i64,
    prev_mac: String,
    at_ms: i64,
}

/// The anchor file could not be written: the change is committed, its anchoring is not.
fn anchor_error(e: std::io::Error) -> StoreError {
    tracing::error!(error = %e, "writing the audit anchor failed");
    StoreError::Unavailable(format!("audit anchor: {e}"))
}

/// Why the schema could not take the rule that a mail address names one person: the people
/// who share one, named so that an administrator can give each their own before starting again.
async fn shared_addresses(pool: &AnyPool) -> Option<StoreError> {
    let rows = sqlx::query(
        "SELECT lower(email) AS address, COUNT(*) AS n FROM people WHERE email IS NOT NULL \
         GROUP BY lower(email) HAVING COUNT(*) > 1 ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .ok()?;
    if rows.is_empty() {
        return None;
    }
    let shared: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            let address: String = r.try_get("address").ok()?;
            let n: i64 = r.try_get("n").ok()?;
            Some(format!("{address} ({n})"))
        })
        .collect();
    Some(StoreError::Unavailable(format!(
        "同じメールアドレスの職員がいます。それぞれに別のアドレスを設定してから起動してください \
         (people share a mail address; give each their own, then start again): {}",
        shared.join(", ")
    )))
}

/// A uniqueness rule broken by a statement is the refusal `what`; any other error is ours.
fn conflict(err: sqlx::Error, what: Conflict) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Database(err),
    }
}

fn name_of(row: &AnyRow, column: &str) -> Result<Name> {
    let raw: String = row.try_get(column)?;
    // Stored names were validated on the way in; a row that fails was edited outside mamori.
    Name::parse("name", &raw).map_err(|_| {
        StoreError::Database(sqlx::Error::Decode(
            format!("invalid name in column {column}").into(),
        ))
    })
}

/// A day kept as `YYYY-MM-DD` text.
fn day(date: chrono::NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A day read back from a `YYYY-MM-DD` column; anything else was written outside mamori.
fn day_of(raw: &str, column: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        StoreError::Database(sqlx::Error::Decode(
            format!("invalid date in column {column}").into(),
        ))
    })
}

/// A required day column.
fn date_column(row: &AnyRow, column: &str) -> Result<chrono::NaiveDate> {
    day_of(&row.try_get::<String, _>(column)?, column)
}

fn opt_id(row: &AnyRow, column: &str) -> Result<Option<i64>> {
    Ok(row.try_get::<Option<i64>, _>(column)?)
}

const AUDIT_COLUMNS: &str = "seq, at_ms, actor_id, actor_name, action, target_kind, target_id, unit_id, address, detail, prev_mac, mac";

/// The MAC of the chain's head: the newest record's number and MAC, under the audit key.
fn head_seal(key: &AuditKey, seq: i64, mac: &str) -> String {
    seal(
        key,
        seq,
        0,
        &AuditEvent::new("audit.head", "audit_head", seq),
        mac,
    )
}

/// A value bound to a statement that is assembled at run time.
enum Arg {
    Int(i64),
    Text(String),
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    for arg in args {
        query = match arg {
            Arg::Int(v) => query.bind(v),
            Arg::Text(v) => query.bind(v),
        };
    }
    query
}

/// `LIKE` pattern that matches `text` literally anywhere.
fn contains_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

fn clone_arg(arg: &Arg) -> Arg {
    match arg {
        Arg::Int(v) => Arg::Int(*v),
        Arg::Text(v) => Arg::Text(v.clone()),
    }
}

/// How long a pooled connection may sit idle and still be handed out without a test.
const IDLE_BEFORE_TEST: Duration = Duration::from_secs(1);

impl SqlStore {
    /// Connects to `url` (`sqlite://PATH` or `postgres://…`) and brings its schema up to date.
    pub async fn open(url: &str, key: AuditKey, clock: Arc<dyn Clock>) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).ok_or(StoreError::Unsupported(
            "database URL must start with sqlite: or postgres://",
        ))?;
        let options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            // A connection is tested before it is handed out only when it has sat idle (as
            // HikariCP's bypass window does). The pool already tests every connection as it
            // comes back; a second test on the way out is another round trip to SQLite's worker
            // thread or to the server, which under load would double the trips of every query.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > IDLE_BEFORE_TEST {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            });
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::Executor::execute(&mut *conn, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;").await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options.connect(url).await?;
        let migrator = Migrator::new(Embedded(backend)).await?;
        if let Err(error) = migrator.run(&pool).await {
            return Err(shared_addresses(&pool).await.unwrap_or(error.into()));
        }
        let store = Self {
            pool,
            backend,
            key,
            clock,
            anchor: None,
            audit_queue: AuditQueue::default(),
            reference: reference::Reference::default(),
            trigram_counts: probe::TrigramCounts::default(),
            character_shares: probe::CharacterShares::default(),
        };
        store.initialise_scales().await?;
        store.initialise_threats().await?;
        Ok(store)
    }

    /// Opens (creating if needed) the SQLite database at `path`.
    pub async fn open_sqlite(path: &Path, key: AuditKey, clock: Arc<dyn Clock>) -> Result<Self> {
        // The URL's path is percent-decoded, and `?` and `#` would end it.
        let path = path
            .display()
            .to_string()
            .replace('%', "%25")
            .replace('?', "%3F")
            .replace('#', "%23");
        let url = format!("sqlite://{path}?mode=rwc");
        Self::open(&url, key, clock).await
    }

    /// From now on, appends every commit of the chain to `anchor` as well. An empty anchor is
    /// started with the chain's present head, so that what is already there is covered too;
    /// answers whether that head had records (anchoring began after them).
    pub async fn anchor_to(&mut self, anchor: Anchor) -> Result<bool> {
        let mut seeded = false;
        if anchor.is_empty().map_err(anchor_error)? {
            let head = sqlx::query("SELECT seq, mac FROM audit_head WHERE id = 1")
                .fetch_one(&self.pool)
                .await?;
            let seq: i64 = head.try_get("seq")?;
            if seq > 0 {
                let mac: String = head.try_get("mac")?;
                anchor.append(seq, &mac).map_err(anchor_error)?;
                seeded = true;
            }
        }
        self.anchor = Some(anchor);
        Ok(seeded)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn begin_write(&self) -> Result<Write> {
        let mut tx = self.pool.begin().await?;
        let row =
            sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, mac")
                .fetch_one(&mut *tx)
                .await?;
        Ok(Write {
            tx,
            seq: row.try_get("seq")?,
            prev_mac: row.try_get("mac")?,
            at_ms: self.clock.now_ms(),
        })
    }

    /// Seals `event` as the write's record and appends it to the trail; returns its MAC.
    async fn append(&self, write: &mut Write, event: &AuditEvent) -> Result<String> {
        let mac = seal(&self.key, write.seq, write.at_ms, event, &write.prev_mac);
        sqlx::query(&format!(
            "INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(write.seq)
        .bind(write.at_ms)
        .bind(event.actor_id.map(|u| u.0))
        .bind(&event.actor_name)
        .bind(&event.action)
        .bind(&event.target_kind)
        .bind(&event.target_id)
        .bind(event.unit_id.map(|u| u.0))
        .bind(&event.address)
        .bind(event.detail.to_string())
        .bind(&write.prev_mac)
        .bind(&mac)
        .execute(&mut *write.tx)
        .await?;
        Ok(mac)
    }

    /// Appends `events` to the audit trail in one transaction, each sealed and chained exactly
    /// as [`AuditStore::record`] would seal it: for a writer of many records at once (the asset
    /// benchmark fills a trail of a million). Returns how many were appended.
    pub async fn record_all(&self, events: Vec<AuditEvent>) -> Result<usize> {
        Ok(self.append_all(events).await?.len())
    }

    /// Appends `events` in one transaction, in order, and answers their records.
    async fn append_all(&self, events: Vec<AuditEvent>) -> Result<Vec<AuditRecord>> {
        let mut events = events.into_iter();
        let Some(last) = events.next_back() else {
            return Ok(Vec::new());
        };
        let mut write = self.begin_write().await?;
        let mut records = Vec::with_capacity(events.len() + 1);
        for event in events {
            let mac = self.append(&mut write, &event).await?;
            records.push(AuditRecord {
                seq: write.seq,
                at_ms: write.at_ms,
                event,
                prev_mac: std::mem::replace(&mut write.prev_mac, mac.clone()),
                mac,
            });
            write.seq += 1;
        }
        if !records.is_empty() {
            sqlx::query("UPDATE audit_head SET seq = $1 WHERE id = 1")
                .bind(write.seq)
                .execute(&mut *write.tx)
                .await?;
        }
        records.push(self.commit(write, last).await?);
        Ok(records)
    }

    /// Appends a record of its own through the queue (see [`AuditQueue`]).
    async fn record_queued(&self, event: AuditEvent) -> Result<AuditRecord> {
        let (answer, mut answered) = tokio::sync::oneshot::channel();
        self.queue().push((event, answer));
        let _writer = self.audit_queue.writer.lock().await;
        match answered.try_recv() {
            Ok(record) => return record,
            // The writer that took it was cancelled before its write ended: nothing of its
            // batch was committed, and the read it records must not go on unrecorded.
            Err(tokio::sync::oneshot::error::TryRecvError::Closed) => {
                return Err(StoreError::Unavailable(
                    "the audit record was not written".into(),
                ));
            }
            Err(tokio::sync::oneshot::error::TryRecvError::Empty) => {}
        }
        let batch = std::mem::take(&mut *self.queue());
        let (events, answers): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        match self.append_all(events).await {
            Ok(records) => {
                for (answer, record) in answers.into_iter().zip(records) {
                    let _ = answer.send(Ok(record));
                }
            }
            Err(error) => {
                let text = error.to_string();
                for answer in answers {
                    let _ = answer.send(Err(StoreError::Unavailable(text.clone())));
                }
            }
        }
        answered.await.unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the audit record was not written".into(),
            ))
        })
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<Queued>> {
        // A panic while the lock was held cannot leave the list half-changed (a push or a take).
        self.audit_queue
            .waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One of the values every register page shows: as kept, or read by `read` (and kept, when
    /// a session read has just seen the database's count of their changes).
    async fn reference_read<T, F>(&self, read: F) -> Result<T>
    where
        T: reference::Slot,
        F: Future<Output = Result<T>>,
    {
        match self.reference.lookup::<T>(self.clock.now_ms()) {
            reference::Lookup::Kept(value) => Ok(value),
            reference::Lookup::Read(ticket) => {
                let value = read.await?;
                self.reference.keep(ticket, &value);
                Ok(value)
            }
            reference::Lookup::Uncounted => read.await,
        }
    }

    /// Seals the event into the chain and commits the transaction with it.
    async fn commit(&self, mut write: Write, event: AuditEvent) -> Result<AuditRecord> {
        let mac = self.append(&mut write, &event).await?;
        sqlx::query("UPDATE audit_head SET mac = $1, seal = $2 WHERE id = 1")
            .bind(&mac)
            .bind(head_seal(&self.key, write.seq, &mac))
            .execute(&mut *write.tx)
            .await?;
        let committed = write.tx.commit().await;
        // Even when the commit reports an error: it may have been made all the same.
        self.reference.forget();
        committed?;
        if let Some(anchor) = self.anchor.clone() {
            let (seq, line_mac) = (write.seq, mac.clone());
            tokio::task::spawn_blocking(move || anchor.append(seq, &line_mac))
                .await
                .map_err(|e| StoreError::Unavailable(format!("audit anchor: {e}")))?
                .map_err(anchor_error)?;
        }
        Ok(AuditRecord {
            seq: write.seq,
            at_ms: write.at_ms,
            event,
            prev_mac: write.prev_mac,
            mac,
        })
    }
}

#[async_trait::async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn backup(&self, to: &Path) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                // VACUUM INTO writes a consistent, compacted copy while other connections go on.
                sqlx::query("VACUUM INTO $1")
                    .bind(to.display().to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
            Backend::Postgres => Err(StoreError::Unsupported(
                "PostgreSQL databases are backed up with pg_dump; see README",
            )),
        }
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Backend;

    /// Every file of a database's migrations folder is one of its numbered migrations, under its
    /// own number and name, so that a file added there is never left out of the list.
    #[test]
    fn every_migration_file_is_listed() {
        for (backend, folder) in [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(folder);
            let mut files: Vec<String> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            files.sort();
            let mut listed: Vec<String> = backend
                .migrations()
                .iter()
                .map(|(n, name, _)| format!("{n:04}_{name}.sql"))
                .collect();
            listed.sort();
            assert_eq!(files, listed, "{folder}");
        }
    }
}
