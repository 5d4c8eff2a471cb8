//! 隔離の索引 (the quarantine's index): one row per entry in a SQLite file inside the quarantine
//! folder (`DATA/quarantine/index.sqlite3`), so that a page of the list, a filter and the
//! retention purge read rows, not every entry's files.
//!
//! The folder stays the truth; the index is derived from it and can always be made again from
//! it. The order of writing keeps it so:
//! - storing: the entry's files are made durable first, then its row is written from what is on
//!   disk (inside the index's write lock, so two writers of one entry cannot leave the older
//!   state); a store whose row cannot be written fails, and the worker tries the message again;
//! - purging: rows are chosen, their folders removed and the rows deleted in one write
//!   transaction; a crash in the middle leaves rows whose folder is gone, which the next
//!   reconciliation drops;
//! - a crash between an entry's files and its row leaves a folder without a row:
//!   [`QuarantineIndex::reconcile`] (run when the gateway starts) adds it, and an index file that
//!   is missing, or of another layout, is rebuilt from the folder when it is opened.
//!
//! Its SQLite runs in WAL mode with `synchronous = NORMAL`: a power cut may lose the last rows,
//! never the files, and reconciliation finds those rows again.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use mamori_core::release::{
    Direction, MAX_QUARANTINE_PAGE, QuarantineCursor, QuarantineFilter, address_key,
};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params, params_from_iter};

use super::{Entry, QuarantineError, QuarantineId, QuarantineReader, StoredRecord};

/// The index's file name inside the quarantine folder (not a valid quarantine id: it has a dot).
pub const FILE: &str = "index.sqlite3";

/// The layout this code writes; an index of another layout is rebuilt.
const LAYOUT: &str = "1";

/// Rows written per transaction when the index is filled from the folder.
const BATCH: usize = 1_000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    received_ms INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    direction TEXT NOT NULL,
    sender TEXT NOT NULL,
    -- JSON arrays of text.
    recipients TEXT NOT NULL,
    reasons TEXT NOT NULL,
    subject TEXT NOT NULL,
    size INTEGER,
    retain_until_ms INTEGER NOT NULL,
    hold_reason TEXT,
    -- The latest release request's state as far as it is known, and whether one is open: an
    -- entry with an open request is never purged.
    release_state TEXT,
    release_pending INTEGER NOT NULL DEFAULT 0,
    release_marked_ms INTEGER
);
CREATE INDEX IF NOT EXISTS entries_received ON entries (received_ms, id);
CREATE INDEX IF NOT EXISTS entries_verdict ON entries (verdict, received_ms, id);
-- Exact keys of an entry: `asker` (an address that may ask for it, as address_key) and `reason`.
CREATE TABLE IF NOT EXISTS entry_keys (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (kind, value, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entry_keys_seq ON entry_keys (seq);
-- The first and the last record of an entry in the order its row is made from (receipt time,
-- queue id): a new delivery is merged into the row without reading the entry's records again.
-- An entry without one is read from the folder.
CREATE TABLE IF NOT EXISTS entry_span (
    id TEXT PRIMARY KEY,
    first_ms INTEGER NOT NULL,
    first_queue TEXT NOT NULL,
    last_ms INTEGER NOT NULL,
    last_queue TEXT NOT NULL
) WITHOUT ROWID;
";

/// One entry as the index keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    pub id: String,
    pub received_ms: i64,
    pub verdict: String,
    pub direction: Direction,
    pub sender: String,
    pub recipients: Vec<String>,
    pub reasons: Vec<String>,
    pub subject: String,
    pub size: Option<u64>,
    pub retain_until_ms: i64,
    pub hold_reason: Option<String>,
    pub release_state: Option<String>,
    pub release_pending: bool,
}

impl IndexRow {
    /// The row of an entry read from the folder (release fields unknown).
    pub fn of(entry: &Entry, subject: String) -> Self {
        Self {
            id: entry.id.clone(),
            received_ms: entry.first().received_ms,
            verdict: entry.verdict().to_owned(),
            direction: entry.direction(),
            sender: entry.first().from.clone(),
            recipients: entry.recipients(),
            reasons: entry.reasons(),
            subject,
            size: entry.original_size,
            retain_until_ms: entry.retain_until_ms(),
            hold_reason: entry.records.iter().find_map(|r| r.hold_reason.clone()),
            release_state: None,
            release_pending: false,
        }
    }

    /// The row with one more record: what [`Self::of`] makes of the entry with that record
    /// added, when it sorts `first` or after every other record; between them, its new
    /// recipients and reasons come last.
    fn with(mut self, record: &StoredRecord, first: bool) -> Self {
        let merge = |old: &mut Vec<String>, new: Vec<String>| {
            let (before, after) = if first {
                (new, std::mem::take(old))
            } else {
                (std::mem::take(old), new)
            };
            for item in before.into_iter().chain(after) {
                if !old.contains(&item) {
                    old.push(item);
                }
            }
        };
        merge(&mut self.recipients, record.recipients.clone());
        merge(&mut self.reasons, record.reasons());
        if first {
            self.received_ms = record.received_ms;
            self.sender.clone_from(&record.from);
            if record.hold_reason.is_some() {
                self.hold_reason.clone_from(&record.hold_reason);
            }
        } else if self.hold_reason.is_none() {
            self.hold_reason.clone_from(&record.hold_reason);
        }
        self.retain_until_ms = self.retain_until_ms.max(record.retain_until_ms);
        self.verdict = Entry::verdict_of([self.verdict.as_str(), record.verdict.as_str()]).into();
        if record.direction == Direction::Outbound {
            self.direction = Direction::Outbound;
        }
        self
    }

    /// The addresses that may ask for the entry: its recipients inbound, its sender outbound.
    fn askers(&self) -> Vec<String> {
        let addresses: Vec<&String> = match self.direction {
            Direction::Inbound => self.recipients.iter().collect(),
            Direction::Outbound => vec![&self.sender],
        };
        let mut keys: Vec<String> = addresses
            .into_iter()
            .filter_map(|a| address_key(a))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

/// One page of rows and where the next begins.
#[derive(Debug, Clone, Default)]
pub struct IndexPage {
    pub rows: Vec<IndexRow>,
    pub next: Option<QuarantineCursor>,
}

/// What bringing the index in line with the folder did.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// Entries on disk that had no row (or every entry, for a rebuild).
    pub added: usize,
    /// Rows whose entry is no longer on disk.
    pub dropped: usize,
    /// Entries on disk that cannot be read (left on disk, without a row, each named).
    pub unreadable: Vec<QuarantineError>,
}

/// Which entries a purge removes: every condition given must hold; never one with an open
/// release request.
#[derive(Debug, Clone, Default)]
pub struct PurgeRule {
    /// Received before this time.
    pub received_before_ms: Option<i64>,
    /// Retention ended at or before this time.
    pub expired_at_ms: Option<i64>,
    pub verdict: Option<String>,
}

/// What a purge removed.
#[derive(Debug, Default)]
pub struct Purged {
    pub removed: Vec<IndexRow>,
    /// Entries the rule matched that were kept: an open release request.
    pub kept_pending: usize,
    /// Entries the rule matched whose records could not be read: left on disk.
    pub unreadable: Vec<QuarantineError>,
}

fn db(path: &Path) -> impl Fn(rusqlite::Error) -> QuarantineError + '_ {
    move |e| QuarantineError::Index {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

/// The index of one quarantine folder.
#[derive(Debug)]
pub struct QuarantineIndex {
    root: PathBuf,
    path: PathBuf,
    conn: Mutex<Connection>,
    /// Connections for the pages' reads, which WAL lets run beside the writer and each other.
    readers: Vec<Mutex<Connection>>,
    next_reader: std::sync::atomic::AtomicUsize,
    /// What making the index from the folder found, when opening it had to.
    made: Option<Reconciled>,
}

/// Read connections per index: a page's read never waits for a write or for more than a few
/// other reads.
const READERS: usize = 4;

fn connect(path: &Path) -> Result<Connection, QuarantineError> {
    let conn = Connection::open(path).map_err(db(path))?;
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(db(path))?;
    Ok(conn)
}

const COLUMNS: &str = "id, received_ms, verdict, direction, sender, recipients, reasons, subject, \
     size, retain_until_ms, hold_reason, release_state, release_pending";

fn row_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<IndexRow> {
    let list = |text: String| serde_json::from_str::<Vec<String>>(&text).unwrap_or_default();
    let direction: String = row.get(3)?;
    Ok(IndexRow {
        id: row.get(0)?,
        received_ms: row.get(1)?,
        verdict: row.get(2)?,
        direction: if direction == "outbound" {
            Direction::Outbound
        } else {
            Direction::Inbound
        },
        sender: row.get(4)?,
        recipients: list(row.get(5)?),
        reasons: list(row.get(6)?),
        subject: row.get(7)?,
        size: row
            .get::<_, Option<i64>>(8)?
            .map(|s| s.max(0).cast_unsigned()),
        retain_until_ms: row.get(9)?,
        hold_reason: row.get(10)?,
        release_state: row.get(11)?,
        release_pending: row.get::<_, i64>(12)? != 0,
    })
}

/// `%text%` for LIKE, with the pattern characters of `text` escaped by `\`.
fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl QuarantineIndex {
    /// Opens the index of the quarantine folder `root`, making it from the folder when the file
    /// is missing, of another layout, or was never finished.
    pub fn open(root: &Path) -> Result<Self, QuarantineError> {
        Self::open_with(root, true)
    }

    /// Opens the index without making it from the folder (for a rebuild that follows at once).
    pub fn open_as_is(root: &Path) -> Result<Self, QuarantineError> {
        Self::open_with(root, false)
    }

    /// What making the index from the folder found when [`Self::open`] had to (unreadable
    /// entries among it); `None` when the index was there.
    pub fn made_from_folder(&self) -> Option<&Reconciled> {
        self.made.as_ref()
    }

    fn open_with(root: &Path, make: bool) -> Result<Self, QuarantineError> {
        let path = root.join(FILE);
        let conn = connect(&path)?;
        // auto_vacuum is fixed when the file is made: freed pages go back to the disk after a
        // purge (`incremental_vacuum`), so that purging keeps the disk flat.
        conn.execute_batch(
            "PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL; \
             PRAGMA synchronous = NORMAL;",
        )
        .map_err(db(&path))?;
        conn.execute_batch(SCHEMA).map_err(db(&path))?;
        let readers = (0..READERS)
            .map(|_| connect(&path).map(Mutex::new))
            .collect::<Result<_, _>>()?;
        let mut index = Self {
            root: root.to_path_buf(),
            path,
            conn: Mutex::new(conn),
            readers,
            next_reader: std::sync::atomic::AtomicUsize::new(0),
            made: None,
        };
        let layout: Option<String> = index
            .lock()
            .query_row("SELECT value FROM meta WHERE key = 'layout'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db(&index.path))?;
        if make && layout.as_deref() != Some(LAYOUT) {
            let done = index.rebuild()?;
            tracing::info!(entries = done.added, unreadable = done.unreadable.len(),
                path = %index.path.display(), "quarantine index made from the folder");
            index.made = Some(done);
        }
        Ok(index)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held leaves no half-written transaction (it rolls back).
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A read connection: a free one if there is, else the next in turn.
    fn read(&self) -> MutexGuard<'_, Connection> {
        for reader in &self.readers {
            if let Ok(guard) = reader.try_lock() {
                return guard;
            }
        }
        let n = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            % self.readers.len();
        self.readers[n]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn reader(&self) -> QuarantineReader {
        QuarantineReader::at(self.root.clone())
    }

    /// Writes the row of entry `id` after `record` was stored in it (at `record_path`), merging
    /// the record into the row, so that a message delivered many times over costs one record per
    /// delivery, not all of them. The row is made from the folder instead for the first record
    /// of an entry, for a record stored again (a retry), and where the merge could not tell
    /// which hold reason comes first. A record received between the first and the last may
    /// place its new recipients and reasons after those of later records, where the folder's
    /// order would put them before. `Ok(false)` when the entry or the record is gone (a purge).
    pub fn index_stored(
        &self,
        id: &QuarantineId,
        record: &StoredRecord,
        record_path: &Path,
    ) -> Result<bool, QuarantineError> {
        let merged = {
            let mut conn = self.lock();
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db(&self.path))?;
            let row = tx
                .query_row(
                    &format!("SELECT {COLUMNS} FROM entries WHERE id = ?1"),
                    [id.as_str()],
                    row_of,
                )
                .optional()
                .map_err(db(&self.path))?;
            let span = read_span(&tx, id.as_str()).map_err(db(&self.path))?;
            let key = (record.received_ms, record.queue_id.clone());
            match (row, span) {
                // Checked inside the write: a purge removes the folder before its row.
                (Some(row), Some(span)) if record_path.exists() => {
                    let first = key < span.first;
                    let last = key > span.last;
                    let ambiguous = key == span.first
                        || key == span.last
                        || (!first
                            && !last
                            && row.hold_reason.is_some()
                            && record.hold_reason.is_some());
                    if ambiguous {
                        false
                    } else {
                        write_row(&tx, &row.with(record, first)).map_err(db(&self.path))?;
                        let span = Span {
                            first: if first { key.clone() } else { span.first },
                            last: if last { key } else { span.last },
                        };
                        write_span(&tx, id.as_str(), &span).map_err(db(&self.path))?;
                        tx.commit().map_err(db(&self.path))?;
                        true
                    }
                }
                _ => false,
            }
        };
        if merged {
            Ok(true)
        } else {
            self.index_from_disk(id)
        }
    }

    /// Writes the row of entry `id` from what is on disk now. `Ok(false)` when the entry has no
    /// folder or no record (its row, if any, is dropped).
    pub fn index_from_disk(&self, id: &QuarantineId) -> Result<bool, QuarantineError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db(&self.path))?;
        let reader = self.reader();
        let written = match reader.get(id) {
            Ok(entry) => {
                let subject = reader.subject(&entry);
                write_row(&tx, &IndexRow::of(&entry, subject)).map_err(db(&self.path))?;
                write_span(&tx, &entry.id, &Span::of(&entry)).map_err(db(&self.path))?;
                true
            }
            Err(QuarantineError::NotFound(_) | QuarantineError::NoRecord(_)) => {
                delete_row(&tx, id.as_str()).map_err(db(&self.path))?;
                false
            }
            Err(e) => return Err(e),
        };
        tx.commit().map_err(db(&self.path))?;
        Ok(written)
    }

    /// One row by id.
    pub fn row(&self, id: &str) -> Result<Option<IndexRow>, QuarantineError> {
        self.read()
            .query_row(
                &format!("SELECT {COLUMNS} FROM entries WHERE id = ?1"),
                [id],
                row_of,
            )
            .optional()
            .map_err(db(&self.path))
    }

    /// How many entries the index holds.
    pub fn count(&self) -> Result<u64, QuarantineError> {
        self.lock()
            .query_row("SELECT count(*) FROM entries", [], |r| r.get::<_, i64>(0))
            .map(|n| n.max(0).cast_unsigned())
            .map_err(db(&self.path))
    }

    /// One page, newest first.
    pub fn page(&self, filter: &QuarantineFilter) -> Result<IndexPage, QuarantineError> {
        let limit = filter.limit.clamp(1, MAX_QUARANTINE_PAGE);
        let mut sql = format!("SELECT {COLUMNS} FROM entries WHERE 1 = 1");
        let mut args: Vec<Value> = Vec::new();
        let mut arg = |sql: &mut String, clause: &str, value: Value| {
            args.push(value);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(verdict) = &filter.verdict {
            arg(&mut sql, " AND verdict = ?", Value::Text(verdict.clone()));
        }
        if let Some(from) = filter.received_from_ms {
            arg(&mut sql, " AND received_ms >= ?", Value::Integer(from));
        }
        if let Some(to) = filter.received_to_ms {
            arg(&mut sql, " AND received_ms < ?", Value::Integer(to));
        }
        if let Some(sender) = &filter.sender {
            arg(
                &mut sql,
                " AND sender LIKE ? ESCAPE '\\'",
                Value::Text(contains_pattern(sender)),
            );
        }
        if let Some(recipient) = &filter.recipient {
            arg(
                &mut sql,
                " AND recipients LIKE ? ESCAPE '\\'",
                Value::Text(contains_pattern(recipient)),
            );
        }
        if let Some(reason) = &filter.reason {
            arg(
                &mut sql,
                // A reason is common: walk the entries in order and look each up (a page ends
                // early), rather than gather every entry of the reason first.
                " AND EXISTS (SELECT 1 FROM entry_keys k WHERE k.kind = 'reason' \
                 AND k.value = ? AND k.seq = entries.seq)",
                Value::Text(reason.clone()),
            );
        }
        if let Some(askers) = &filter.askers {
            let keys: Vec<String> = askers.iter().filter_map(|a| address_key(a)).collect();
            if keys.is_empty() {
                return Ok(IndexPage::default());
            }
            sql.push_str(
                " AND seq IN (SELECT seq FROM entry_keys WHERE kind = 'asker' AND value IN (",
            );
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                arg(&mut sql, "?", Value::Text(key));
            }
            sql.push_str("))");
        }
        if let Some(before) = &filter.before {
            args.push(Value::Integer(before.received_ms));
            args.push(Value::Text(before.id.clone()));
            let n = args.len();
            sql.push_str(&format!(" AND (received_ms, id) < (?{}, ?{n})", n - 1));
        }
        args.push(Value::Integer(
            i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1),
        ));
        sql.push_str(&format!(
            " ORDER BY received_ms DESC, id DESC LIMIT ?{}",
            args.len()
        ));
        let conn = self.read();
        let mut statement = conn.prepare_cached(&sql).map_err(db(&self.path))?;
        let mut rows = statement
            .query_map(params_from_iter(args), row_of)
            .map_err(db(&self.path))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db(&self.path))?;
        let next = (rows.len() > limit).then(|| {
            rows.truncate(limit);
            let last = &rows[limit - 1];
            QuarantineCursor {
                received_ms: last.received_ms,
                id: last.id.clone(),
            }
        });
        Ok(IndexPage { rows, next })
    }

    /// A release was asked for: the entry is kept until the request is settled. `Ok(false)`
    /// when there is no such entry (then nothing may be asked for).
    pub fn hold_for_release(&self, id: &str, now_ms: i64) -> Result<bool, QuarantineError> {
        let set = |conn: &Connection| {
            conn.execute(
                "UPDATE entries SET release_pending = 1, release_state = 'requested', \
                 release_marked_ms = ?2 WHERE id = ?1",
                params![id, now_ms],
            )
        };
        if set(&self.lock()).map_err(db(&self.path))? > 0 {
            return Ok(true);
        }
        // On disk but not yet indexed (a crash before its row): index it now.
        let Ok(qid) = QuarantineId::parse(id) else {
            return Ok(false);
        };
        if !self.index_from_disk(&qid)? {
            return Ok(false);
        }
        Ok(set(&self.lock()).map_err(db(&self.path))? > 0)
    }

    /// The latest release state of an entry, as the release workflow knows it; `pending` keeps
    /// the entry from purges.
    pub fn set_release_state(
        &self,
        id: &str,
        state: &str,
        pending: bool,
        now_ms: i64,
    ) -> Result<(), QuarantineError> {
        self.lock()
            .execute(
                "UPDATE entries SET release_state = ?2, release_pending = ?3, \
                 release_marked_ms = ?4 WHERE id = ?1",
                params![id, state, i64::from(pending), now_ms],
            )
            .map_err(db(&self.path))?;
        Ok(())
    }

    /// Brings the release fields in line with the workflow's requests: `states` holds the latest
    /// state of every entry anyone asked for, and whether a request of it is open. A hold made
    /// within `grace_ms` is kept whatever `states` says: its request may not be recorded yet.
    pub fn sync_releases(
        &self,
        states: &[(String, String, bool)],
        now_ms: i64,
        grace_ms: i64,
    ) -> Result<(), QuarantineError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db(&self.path))?;
        let fresh = now_ms.saturating_sub(grace_ms);
        tx.execute(
            "UPDATE entries SET release_pending = 0 WHERE release_pending = 1 \
             AND coalesce(release_marked_ms, 0) < ?1",
            [fresh],
        )
        .map_err(db(&self.path))?;
        {
            let mut update = tx
                .prepare(
                    "UPDATE entries SET release_state = ?2, \
                     release_pending = max(?3, CASE WHEN coalesce(release_marked_ms, 0) >= ?4 \
                     THEN release_pending ELSE 0 END) WHERE id = ?1",
                )
                .map_err(db(&self.path))?;
            for (id, state, open) in states {
                update
                    .execute(params![id, state, i64::from(*open), fresh])
                    .map_err(db(&self.path))?;
            }
        }
        tx.commit().map_err(db(&self.path))
    }

    /// Removes the entries `rule` names, files and rows together, a batch per transaction; an
    /// entry with an open release request, or whose records cannot be read, stays.
    pub fn purge(&self, rule: &PurgeRule) -> Result<Purged, QuarantineError> {
        let mut sql = String::from("SELECT id, release_pending FROM entries WHERE 1 = 1");
        let mut args: Vec<Value> = Vec::new();
        if let Some(before) = rule.received_before_ms {
            args.push(Value::Integer(before));
            sql.push_str(&format!(" AND received_ms < ?{}", args.len()));
        }
        if let Some(at) = rule.expired_at_ms {
            args.push(Value::Integer(at));
            sql.push_str(&format!(" AND retain_until_ms <= ?{}", args.len()));
        }
        if let Some(verdict) = &rule.verdict {
            args.push(Value::Text(verdict.clone()));
            sql.push_str(&format!(" AND verdict = ?{}", args.len()));
        }
        // Kept entries (pending, unreadable) are skipped by their place in the order.
        sql.push_str(" AND (received_ms, id) > (?, ?) ORDER BY received_ms, id LIMIT ?");
        let mut done = Purged::default();
        let mut after = (i64::MIN, String::new());
        let reader = self.reader();
        loop {
            let mut conn = self.lock();
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db(&self.path))?;
            let mut batch_args = args.clone();
            batch_args.push(Value::Integer(after.0));
            batch_args.push(Value::Text(after.1.clone()));
            batch_args.push(Value::Integer(i64::try_from(BATCH).unwrap_or(1000)));
            let n = args.len();
            let numbered = sql
                .replacen("(?, ?)", &format!("(?{}, ?{})", n + 1, n + 2), 1)
                .replacen("LIMIT ?", &format!("LIMIT ?{}", n + 3), 1);
            let candidates: Vec<(String, bool)> = {
                let mut statement = tx.prepare_cached(&numbered).map_err(db(&self.path))?;
                statement
                    .query_map(params_from_iter(batch_args), |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? != 0))
                    })
                    .map_err(db(&self.path))?
                    .collect::<Result<_, _>>()
                    .map_err(db(&self.path))?
            };
            if candidates.is_empty() {
                break;
            }
            let mut removed_ids = Vec::new();
            for (id, pending) in &candidates {
                let row = tx
                    .query_row(
                        &format!("SELECT {COLUMNS} FROM entries WHERE id = ?1"),
                        [id],
                        row_of,
                    )
                    .map_err(db(&self.path))?;
                after = (row.received_ms, id.clone());
                if *pending {
                    done.kept_pending += 1;
                    continue;
                }
                let Ok(qid) = QuarantineId::parse(id) else {
                    // Not a name the folder can hold: a row of nothing.
                    removed_ids.push(id.clone());
                    continue;
                };
                match reader.get(&qid) {
                    Ok(entry) => {
                        reader.remove_dir(&entry.dir)?;
                        removed_ids.push(id.clone());
                        done.removed.push(row);
                    }
                    Err(QuarantineError::NotFound(_)) => removed_ids.push(id.clone()),
                    // Purging never removes an entry whose record it cannot read.
                    Err(e) => done.unreadable.push(e),
                }
            }
            reader.sync_root()?;
            for id in &removed_ids {
                delete_row(&tx, id).map_err(db(&self.path))?;
            }
            tx.commit().map_err(db(&self.path))?;
        }
        self.shrink()?;
        Ok(done)
    }

    /// Removes one entry, files and row together. An entry with an open release request is
    /// [`QuarantineError::ReleasePending`]; one that cannot be read stays.
    pub fn purge_one(&self, id: &QuarantineId) -> Result<Entry, QuarantineError> {
        let reader = self.reader();
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db(&self.path))?;
        let pending: Option<i64> = tx
            .query_row(
                "SELECT release_pending FROM entries WHERE id = ?1",
                [id.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(db(&self.path))?;
        if pending.is_some_and(|p| p != 0) {
            return Err(QuarantineError::ReleasePending(id.to_string()));
        }
        let entry = reader.get(id)?;
        reader.remove_dir(&entry.dir)?;
        reader.sync_root()?;
        delete_row(&tx, id.as_str()).map_err(db(&self.path))?;
        tx.commit().map_err(db(&self.path))?;
        drop(conn);
        self.shrink()?;
        Ok(entry)
    }

    /// Gives the pages freed by deletions back to the file system.
    fn shrink(&self) -> Result<(), QuarantineError> {
        let conn = self.lock();
        // Each step of the pragma frees one page: step it to the end.
        let mut vacuum = conn
            .prepare("PRAGMA incremental_vacuum")
            .map_err(db(&self.path))?;
        let mut steps = vacuum.query([]).map_err(db(&self.path))?;
        while steps.next().map_err(db(&self.path))?.is_some() {}
        drop(steps);
        drop(vacuum);
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(db(&self.path))
    }

    /// Brings the index in line with the folder: rows for entries on disk without one, none for
    /// entries no longer there. Reads only the entries it lacks.
    pub fn reconcile(&self) -> Result<Reconciled, QuarantineError> {
        let on_disk = self.reader().ids()?;
        let indexed: HashSet<String> = {
            let conn = self.lock();
            let mut statement = conn
                .prepare("SELECT id FROM entries")
                .map_err(db(&self.path))?;
            statement
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(db(&self.path))?
                .collect::<Result<_, _>>()
                .map_err(db(&self.path))?
        };
        let disk_names: HashSet<&str> = on_disk.iter().map(QuarantineId::as_str).collect();
        let stale: Vec<String> = indexed
            .iter()
            .filter(|id| !disk_names.contains(id.as_str()))
            .cloned()
            .collect();
        let missing: Vec<QuarantineId> = on_disk
            .iter()
            .filter(|id| !indexed.contains(id.as_str()))
            .cloned()
            .collect();
        let mut done = self.add_from_disk(&missing)?;
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db(&self.path))?;
        for id in &stale {
            // Checked again inside the write: it may have been stored meanwhile.
            if !self.root.join(id).is_dir() {
                delete_row(&tx, id).map_err(db(&self.path))?;
                done.dropped += 1;
            }
        }
        tx.commit().map_err(db(&self.path))?;
        Ok(done)
    }

    /// Makes the index anew from the folder (`mamori quarantine reindex`).
    pub fn rebuild(&self) -> Result<Reconciled, QuarantineError> {
        {
            let conn = self.lock();
            conn.execute_batch(
                "BEGIN IMMEDIATE; DELETE FROM entry_keys; DELETE FROM entries; \
                 DELETE FROM entry_span; \
                 DELETE FROM meta WHERE key = 'layout'; COMMIT;",
            )
            .map_err(db(&self.path))?;
        }
        let ids = self.reader().ids()?;
        let done = self.add_from_disk(&ids)?;
        self.lock()
            .execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('layout', ?1)",
                [LAYOUT],
            )
            .map_err(db(&self.path))?;
        self.shrink()?;
        Ok(done)
    }

    fn add_from_disk(&self, ids: &[QuarantineId]) -> Result<Reconciled, QuarantineError> {
        let mut done = Reconciled::default();
        let reader = self.reader();
        for chunk in ids.chunks(BATCH) {
            let mut conn = self.lock();
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db(&self.path))?;
            for id in chunk {
                match reader.get(id) {
                    Ok(entry) => {
                        let subject = reader.subject(&entry);
                        write_row(&tx, &IndexRow::of(&entry, subject)).map_err(db(&self.path))?;
                        write_span(&tx, &entry.id, &Span::of(&entry)).map_err(db(&self.path))?;
                        done.added += 1;
                    }
                    // Gone meanwhile, or still being stored: its store writes the row.
                    Err(QuarantineError::NotFound(_) | QuarantineError::NoRecord(_)) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "quarantine entry not indexed");
                        done.unreadable.push(e);
                    }
                }
            }
            tx.commit().map_err(db(&self.path))?;
        }
        Ok(done)
    }

    /// Writes rows as they are (the benchmark's generator fills an index this way).
    pub fn insert_rows(&self, rows: &[IndexRow]) -> Result<(), QuarantineError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db(&self.path))?;
        for row in rows {
            write_row(&tx, row).map_err(db(&self.path))?;
        }
        tx.commit().map_err(db(&self.path))
    }
}

/// Inserts or replaces an entry's row and keys, keeping what is known of its release.
fn write_row(conn: &Connection, row: &IndexRow) -> rusqlite::Result<()> {
    let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    let seq: i64 = conn.query_row(
        "INSERT INTO entries (id, received_ms, verdict, direction, sender, recipients, reasons, \
         subject, size, retain_until_ms, hold_reason, release_state, release_pending) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
         ON CONFLICT (id) DO UPDATE SET received_ms = excluded.received_ms, \
         verdict = excluded.verdict, direction = excluded.direction, sender = excluded.sender, \
         recipients = excluded.recipients, reasons = excluded.reasons, \
         subject = excluded.subject, size = excluded.size, \
         retain_until_ms = excluded.retain_until_ms, hold_reason = excluded.hold_reason \
         RETURNING seq",
        params![
            row.id,
            row.received_ms,
            row.verdict,
            row.direction.as_str(),
            row.sender,
            json(&row.recipients),
            json(&row.reasons),
            row.subject,
            row.size.map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
            row.retain_until_ms,
            row.hold_reason,
            row.release_state,
            i64::from(row.release_pending),
        ],
        |r| r.get(0),
    )?;
    conn.execute("DELETE FROM entry_keys WHERE seq = ?1", [seq])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO entry_keys (kind, value, seq) VALUES (?1, ?2, ?3)",
    )?;
    for asker in row.askers() {
        insert.execute(params!["asker", asker, seq])?;
    }
    for reason in &row.reasons {
        insert.execute(params!["reason", reason, seq])?;
    }
    Ok(())
}

fn delete_row(conn: &Connection, id: &str) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM entry_keys WHERE seq IN (SELECT seq FROM entries WHERE id = ?1)",
        [id],
    )?;
    conn.execute("DELETE FROM entries WHERE id = ?1", [id])?;
    conn.execute("DELETE FROM entry_span WHERE id = ?1", [id])?;
    Ok(())
}

/// The first and the last record of an entry, as (receipt time, queue id).
struct Span {
    first: (i64, String),
    last: (i64, String),
}

impl Span {
    fn of(entry: &Entry) -> Self {
        let key = |r: &StoredRecord| (r.received_ms, r.queue_id.clone());
        Self {
            first: key(entry.first()),
            last: key(entry.last()),
        }
    }
}

fn read_span(conn: &Connection, id: &str) -> rusqlite::Result<Option<Span>> {
    conn.query_row(
        "SELECT first_ms, first_queue, last_ms, last_queue FROM entry_span WHERE id = ?1",
        [id],
        |r| {
            Ok(Span {
                first: (r.get(0)?, r.get(1)?),
                last: (r.get(2)?, r.get(3)?),
            })
        },
    )
    .optional()
}

fn write_span(conn: &Connection, id: &str, span: &Span) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO entry_span (id, first_ms, first_queue, last_ms, last_queue) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, span.first.0, span.first.1, span.last.0, span.last.1],
    )?;
    Ok(())
}

/// Bytes of every file under `dir`, for the tests and the benchmark that check a purge keeps
/// the disk flat.
pub fn folder_bytes(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for item in fs::read_dir(dir)? {
        let item = item?;
        let meta = fs::symlink_metadata(item.path())?;
        if meta.is_dir() {
            total += folder_bytes(&item.path())?;
        } else {
            total += meta.len();
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::super::{Quarantine, QuarantineRecord};
    use super::*;

    struct Mail<'a> {
        id: String,
        received_ms: i64,
        verdict: &'static str,
        from: &'a str,
        to: Vec<String>,
        reason: &'a str,
        direction: Direction,
    }

    fn store(q: &Quarantine, m: &Mail<'_>) {
        let record = QuarantineRecord {
            quarantine_id: m.id.clone(),
            queue_id: format!("queue-{}-{}", m.id, m.received_ms),
            from: m.from.into(),
            recipients: m.to.clone(),
            received_ms: m.received_ms,
            stored_ms: m.received_ms + 1,
            retain_until_ms: m.received_ms + 1_000,
            verdict: m.verdict,
            report: serde_json::json!({"removed": [{"reason": m.reason}]}),
            direction: m.direction,
            hold_reason: None,
        };
        let original = format!(
            "From: {}\r\nSubject: =?UTF-8?B?6ZqU6Zui?= {}\r\n\r\nbody\r\n",
            m.from, m.id
        );
        q.store(&record, original.as_bytes(), None).unwrap();
    }

    /// 120 entries of three verdicts, two senders, two reasons and a recipient each.
    fn filled() -> (tempfile::TempDir, Quarantine, Vec<IndexRow>) {
        let dir = tempfile::tempdir().unwrap();
        let q = Quarantine::open(dir.path()).unwrap();
        for i in 0..120_i64 {
            let mail = Mail {
                id: format!("q-{i:04}"),
                // Pairs share a receipt time, so the id orders them.
                received_ms: 10_000 + (i / 2) * 100,
                verdict: ["sanitized", "quarantined", "held"][usize::try_from(i % 3).unwrap()],
                from: if i % 4 == 0 {
                    "Spam%Er@Evil.example"
                } else {
                    "partner@example.com"
                },
                to: vec![format!("user{}@City.example.lg.jp", i % 5)],
                reason: if i % 2 == 0 { "executable" } else { "macro" },
                direction: if i % 3 == 2 {
                    Direction::Outbound
                } else {
                    Direction::Inbound
                },
            };
            store(&q, &mail);
        }
        let mut all = q.index().page(&everything(200)).unwrap().rows;
        all.sort_by(|a, b| (b.received_ms, &b.id).cmp(&(a.received_ms, &a.id)));
        (dir, q, all)
    }

    fn everything(limit: usize) -> QuarantineFilter {
        QuarantineFilter {
            limit,
            ..QuarantineFilter::default()
        }
    }

    fn pages(index: &QuarantineIndex, filter: &QuarantineFilter) -> Vec<String> {
        let mut filter = filter.clone();
        let mut out = Vec::new();
        loop {
            let page = index.page(&filter).unwrap();
            assert!(page.rows.len() <= filter.limit);
            out.extend(page.rows.into_iter().map(|r| r.id));
            match page.next {
                Some(next) => filter.before = Some(next),
                None => return out,
            }
        }
    }

    /// The index's rows compared with the folder read file by file.
    fn agrees_with_folder(q: &Quarantine) {
        let reader = QuarantineReader::at(q.root.clone());
        let mut on_disk: Vec<IndexRow> = reader
            .entries()
            .unwrap()
            .into_iter()
            .filter_map(Result::ok)
            .map(|e| {
                let subject = reader.subject(&e);
                IndexRow::of(&e, subject)
            })
            .collect();
        on_disk.sort_by(|a, b| a.id.cmp(&b.id));
        let mut indexed: Vec<IndexRow> = pages(q.index(), &everything(37))
            .into_iter()
            .map(|id| q.index().row(&id).unwrap().unwrap())
            .map(|mut r| {
                r.release_state = None;
                r.release_pending = false;
                r
            })
            .collect();
        indexed.sort_by(|a, b| a.id.cmp(&b.id));
        // A delivery merged between the first and the last may list its new recipients and
        // reasons after those of later ones.
        let sets = |rows: &mut Vec<IndexRow>| {
            for row in rows.iter_mut() {
                row.recipients.sort();
                row.reasons.sort();
            }
        };
        sets(&mut indexed);
        sets(&mut on_disk);
        assert_eq!(indexed, on_disk);
    }

    #[test]
    fn the_index_agrees_with_the_folder_after_writes_and_reads_the_subject() {
        let (_dir, q, all) = filled();
        assert_eq!(all.len(), 120);
        agrees_with_folder(&q);
        let row = q.index().row("q-0007").unwrap().unwrap();
        assert_eq!(row.subject, "隔離 q-0007");
        assert_eq!(row.size, Some(73));
        assert_eq!(row.reasons, ["macro"]);
        // A second delivery of one original updates its row, not a second one.
        store(
            &q,
            &Mail {
                id: "q-0007".into(),
                received_ms: 99_999_999,
                verdict: "quarantined",
                from: "partner@example.com",
                to: vec!["other@city.example.lg.jp".into()],
                reason: "executable",
                direction: Direction::Inbound,
            },
        );
        let row = q.index().row("q-0007").unwrap().unwrap();
        assert_eq!(row.verdict, "quarantined");
        assert_eq!(row.reasons, ["macro", "executable"]);
        assert_eq!(row.recipients.len(), 2);
        assert_eq!(q.index().count().unwrap(), 120);
        agrees_with_folder(&q);
    }

    /// Deliveries of one original merged into its row one by one (each later than the last)
    /// give the row the folder gives; earlier ones, ties and retries make it from the folder.
    #[test]
    fn a_row_merged_delivery_by_delivery_is_the_row_of_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let q = Quarantine::open(dir.path()).unwrap();
        let deliveries: [(i64, &str, &str, Direction); 11] = [
            (5_000, "sanitized", "macro", Direction::Inbound),
            (6_000, "sanitized", "macro", Direction::Inbound),
            (7_000, "held", "my-number", Direction::Outbound),
            // Received between the first and the last.
            (5_500, "sanitized", "executable", Direction::Inbound),
            // Held too, between them: which hold reason is first is read from the folder.
            (6_500, "held", "my-number", Direction::Outbound),
            // Received before the first.
            (4_000, "sanitized", "executable", Direction::Inbound),
            (8_000, "quarantined", "executable", Direction::Inbound),
            // At the same time as the last, with a queue id that sorts after it.
            (8_000, "sanitized", "macro", Direction::Inbound),
            (9_000, "sanitized", "encrypted-archive", Direction::Inbound),
            // A retry of a stored delivery: the same record again.
            (9_000, "sanitized", "encrypted-archive", Direction::Inbound),
            (10_000, "sanitized", "macro", Direction::Inbound),
        ];
        for (i, (received_ms, verdict, reason, direction)) in deliveries.into_iter().enumerate() {
            let record = QuarantineRecord {
                quarantine_id: "q-same".into(),
                queue_id: format!("queue-{received_ms}-{}", i.min(8)),
                from: format!("sender{}@example.com", i % 2),
                recipients: vec![format!("user{}@city.example.lg.jp", i % 4)],
                received_ms,
                stored_ms: received_ms + 1,
                retain_until_ms: 100_000 - received_ms,
                verdict,
                report: serde_json::json!({"removed": [{"reason": reason}]}),
                direction,
                hold_reason: (verdict == "held").then(|| format!("hold {i}")),
            };
            q.store(
                &record,
                b"From: a@example.com\r\nSubject: same\r\n\r\nbody\r\n",
                None,
            )
            .unwrap();
            agrees_with_folder(&q);
        }
        let row = q.index().row("q-same").unwrap().unwrap();
        assert_eq!(row.verdict, "quarantined");
        assert_eq!(row.direction, Direction::Outbound);
        assert_eq!(row.received_ms, 4_000);
        assert_eq!(row.recipients.len(), 4);
        assert!(row.reasons.iter().any(|r| r == "encrypted-archive"));
        // A rebuild gives the same row.
        q.index().rebuild().unwrap();
        agrees_with_folder(&q);
    }

    #[test]
    fn pages_follow_one_another_without_gap_or_repeat_newest_first() {
        let (_dir, q, all) = filled();
        let expected: Vec<String> = all.iter().map(|r| r.id.clone()).collect();
        for limit in [1, 7, 50, 119, 120, 500] {
            assert_eq!(
                pages(q.index(), &everything(limit)),
                expected,
                "limit {limit}"
            );
        }
        assert_eq!(expected[0], "q-0119");
        assert_eq!(expected[1], "q-0118");
    }

    #[test]
    fn each_filter_finds_exactly_what_it_names() {
        let (_dir, q, all) = filled();
        let check = |filter: QuarantineFilter, keep: &dyn Fn(&IndexRow) -> bool| {
            let want: Vec<String> = all
                .iter()
                .filter(|r| keep(r))
                .map(|r| r.id.clone())
                .collect();
            assert!(!want.is_empty(), "{filter:?} finds nothing to compare");
            assert_eq!(pages(q.index(), &filter), want, "{filter:?}");
        };
        let base = everything(11);
        check(
            QuarantineFilter {
                verdict: Some("held".into()),
                ..base.clone()
            },
            &|r| r.verdict == "held",
        );
        check(
            QuarantineFilter {
                received_from_ms: Some(11_000),
                received_to_ms: Some(12_000),
                ..base.clone()
            },
            &|r| (11_000..12_000).contains(&r.received_ms),
        );
        // A substring, letters in either case; LIKE's own characters are plain text.
        check(
            QuarantineFilter {
                sender: Some("m%eR@evil".into()),
                ..base.clone()
            },
            &|r| r.sender.starts_with("Spam%Er"),
        );
        check(
            QuarantineFilter {
                recipient: Some("USER3@".into()),
                ..base.clone()
            },
            &|r| r.recipients[0].starts_with("user3@"),
        );
        check(
            QuarantineFilter {
                reason: Some("macro".into()),
                verdict: Some("sanitized".into()),
                ..base.clone()
            },
            &|r| r.reasons == ["macro"] && r.verdict == "sanitized",
        );
        // Askers: recipients of inbound mail, the sender of outbound mail; domains without case.
        check(
            QuarantineFilter {
                askers: Some(vec!["user2@city.EXAMPLE.lg.jp".into()]),
                ..base.clone()
            },
            &|r| r.direction == Direction::Inbound && r.recipients[0].starts_with("user2@"),
        );
        check(
            QuarantineFilter {
                askers: Some(vec!["partner@example.com".into()]),
                ..base.clone()
            },
            &|r| r.direction == Direction::Outbound && r.sender == "partner@example.com",
        );
        for nothing in [
            QuarantineFilter {
                askers: Some(Vec::new()),
                ..base.clone()
            },
            QuarantineFilter {
                askers: Some(vec!["not an address".into()]),
                ..base.clone()
            },
            QuarantineFilter {
                sender: Some("%".into()),
                recipient: Some("_".into()),
                ..base.clone()
            },
            QuarantineFilter {
                reason: Some("' OR 1=1 --".into()),
                ..base.clone()
            },
        ] {
            assert!(pages(q.index(), &nothing).is_empty(), "{nothing:?}");
        }
    }

    #[test]
    fn a_crash_between_the_files_and_the_row_is_found_again() {
        let (dir, q, _) = filled();
        // Files written, row never: as a crash after the fsync and before the index.
        q.index()
            .lock()
            .execute_batch(
                "DELETE FROM entry_keys WHERE seq IN (SELECT seq FROM entries WHERE id IN \
                 ('q-0003', 'q-0050')); DELETE FROM entries WHERE id IN ('q-0003', 'q-0050');",
            )
            .unwrap();
        // And a row whose folder is gone: as a crash inside a purge.
        fs::remove_dir_all(dir.path().join("quarantine/q-0010")).unwrap();
        let done = q.index().reconcile().unwrap();
        assert_eq!((done.added, done.dropped), (2, 1));
        assert!(done.unreadable.is_empty());
        agrees_with_folder(&q);

        // An index file that is lost is made again when opened.
        drop(q);
        for name in [FILE, "index.sqlite3-wal", "index.sqlite3-shm"] {
            let _ = fs::remove_file(dir.path().join("quarantine").join(name));
        }
        let q = Quarantine::open(dir.path()).unwrap();
        assert_eq!(q.index().count().unwrap(), 119);
        agrees_with_folder(&q);
    }

    #[test]
    fn malformed_entries_on_disk_are_named_and_never_indexed_or_removed() {
        let (dir, q, _) = filled();
        let root = dir.path().join("quarantine");
        // Damaged record, folder without a record, a stray file, a name that is no id.
        fs::create_dir(root.join("q-bad")).unwrap();
        fs::write(root.join("q-bad/original.eml"), b"x").unwrap();
        fs::write(root.join("q-bad/queue1.json"), b"{\"quarantine_id\": [").unwrap();
        fs::create_dir(root.join("q-empty")).unwrap();
        fs::write(root.join("stray.txt"), b"x").unwrap();
        fs::create_dir(root.join("not.an.id")).unwrap();
        let done = q.index().rebuild().unwrap();
        assert_eq!(done.added, 120);
        assert_eq!(done.unreadable.len(), 1);
        assert!(done.unreadable[0].to_string().contains("q-bad"));
        assert!(q.index().row("q-bad").unwrap().is_none());
        assert!(q.index().row("q-empty").unwrap().is_none());
        agrees_with_folder(&q);
        let purged = q
            .index()
            .purge(&PurgeRule {
                received_before_ms: Some(i64::MAX),
                ..PurgeRule::default()
            })
            .unwrap();
        assert_eq!(purged.removed.len(), 120);
        assert!(root.join("q-bad/queue1.json").exists());
        assert!(root.join("stray.txt").exists());
        assert_eq!(q.index().count().unwrap(), 0);
    }

    #[test]
    fn purge_removes_files_and_rows_together_and_keeps_the_disk_flat() {
        let dir = tempfile::tempdir().unwrap();
        let q = Quarantine::open(dir.path()).unwrap();
        let root = dir.path().join("quarantine");
        let mail = |i: i64, received_ms: i64, verdict| Mail {
            id: format!("q-{i:05}"),
            received_ms,
            verdict,
            from: "partner@example.com",
            to: vec!["user@city.example.lg.jp".into()],
            reason: "executable",
            direction: Direction::Inbound,
        };
        for i in 0..20 {
            store(&q, &mail(i, 5_000_000, "sanitized"));
        }
        q.index().shrink().unwrap();
        let before = folder_bytes(&root).unwrap();
        for i in 100..400 {
            store(
                &q,
                &mail(
                    i,
                    1_000 + i,
                    if i % 2 == 0 {
                        "sanitized"
                    } else {
                        "quarantined"
                    },
                ),
            );
        }
        let full = folder_bytes(&root).unwrap();
        assert!(full > before);
        // One verdict first, then the rest.
        let quarantined = q
            .index()
            .purge(&PurgeRule {
                received_before_ms: Some(1_000_000),
                verdict: Some("quarantined".into()),
                ..PurgeRule::default()
            })
            .unwrap();
        assert_eq!(quarantined.removed.len(), 150);
        assert!(
            quarantined
                .removed
                .iter()
                .all(|r| r.verdict == "quarantined")
        );
        let rest = q
            .index()
            .purge(&PurgeRule {
                received_before_ms: Some(1_000_000),
                ..PurgeRule::default()
            })
            .unwrap();
        assert_eq!(rest.removed.len(), 150);
        let after = folder_bytes(&root).unwrap();
        // The entries' files exactly as before; the index within a few pages of it.
        assert!(
            after <= before + 4 * 4096,
            "before {before}, filled {full}, after {after}"
        );
        assert_eq!(q.index().count().unwrap(), 20);
        agrees_with_folder(&q);
    }

    #[test]
    fn purge_never_removes_an_entry_whose_release_is_pending() {
        let (dir, q, _) = filled();
        let index = q.index();
        assert!(index.hold_for_release("q-0001", 9_990_000).unwrap());
        assert!(!index.hold_for_release("q-none", 9_990_000).unwrap());
        assert!(!index.hold_for_release("../etc", 9_990_000).unwrap());
        let all = PurgeRule {
            received_before_ms: Some(i64::MAX),
            ..PurgeRule::default()
        };
        let purged = index.purge(&all).unwrap();
        assert_eq!((purged.removed.len(), purged.kept_pending), (119, 1));
        assert!(dir.path().join("quarantine/q-0001/original.eml").exists());
        assert!(matches!(
            index.purge_one(&QuarantineId::parse("q-0001").unwrap()),
            Err(QuarantineError::ReleasePending(_))
        ));
        // The workflow says the request is open: kept.
        let open = [("q-0001".to_owned(), "approved".to_owned(), true)];
        index.sync_releases(&open, 10_000_000, 60_000).unwrap();
        assert_eq!(index.purge(&all).unwrap().kept_pending, 1);
        let row = index.row("q-0001").unwrap().unwrap();
        assert_eq!(row.release_state.as_deref(), Some("approved"));
        // Settled, but the hold is recent: its request may not be recorded yet.
        let settled = [("q-0001".to_owned(), "delivered".to_owned(), false)];
        index.sync_releases(&settled, 10_000_000, 60_000).unwrap();
        assert_eq!(index.purge(&all).unwrap().kept_pending, 1);
        // Settled and the hold old: it goes with the next purge.
        index.sync_releases(&settled, 99_000_000, 60_000).unwrap();
        let row = index.row("q-0001").unwrap().unwrap();
        assert_eq!(
            (row.release_state.as_deref(), row.release_pending),
            (Some("delivered"), false)
        );
        assert_eq!(index.purge(&all).unwrap().removed.len(), 1);
        assert_eq!(index.count().unwrap(), 0);
    }
}
