//! 隔離 (quarantine) store: the original of every message that went through the engine, kept with
//! retention metadata so that it can be requested and released later.
//!
//! ```text
//! DIR/quarantine/QID/original.msg   the spool file of the first delivery, linked (not copied):
//!                                   its framing line, then the received bytes
//! DIR/quarantine/QID/original.eml   the received bytes alone, written when no link could be made
//!                                   (and by earlier versions)
//! DIR/quarantine/QID/QUEUEID.json   one record per delivery that carried this original
//! DIR/quarantine/index.sqlite3       one row per entry, derived from the above (see [`index`])
//! ```
//!
//! Reading side (`mamori quarantine list|show|purge`): ids from outside are checked by
//! [`QuarantineId::parse`] before they touch a path, and a damaged record is an error naming the
//! file, never a panic and never a reason to delete anything.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::spool::{SpoolError, write_synced};

pub mod index;

pub use index::{IndexPage, IndexRow, PurgeRule, Purged, QuarantineIndex, Reconciled};

/// Retention metadata stored beside an original.
#[derive(Debug, Clone, Serialize)]
pub struct QuarantineRecord {
    pub quarantine_id: String,
    pub queue_id: String,
    pub from: String,
    pub recipients: Vec<String>,
    pub received_ms: i64,
    pub stored_ms: i64,
    /// After this time the original may be purged.
    pub retain_until_ms: i64,
    /// `sanitized` or `quarantined`.
    pub verdict: &'static str,
    /// The engine's report, or the reason the engine gave none.
    pub report: serde_json::Value,
    /// `inbound` (Internet → LGWAN, kept by the 無害化 engine) or `outbound` (LGWAN → Internet,
    /// held by the outbound check for approval). Release goes through the same workflow for both.
    pub direction: Direction,
    /// Why an outbound message was held (e.g. `my-number`, `confidentiality-3`); `None` inbound.
    pub hold_reason: Option<String>,
}

/// 保存期間 (retention): how long an original is kept, by the verdict on its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub sanitized: std::time::Duration,
    pub quarantined: std::time::Duration,
    /// Outbound mail held for approval.
    pub held: std::time::Duration,
}

/// The verdicts an entry can carry, as the index and the purge name them.
pub const VERDICTS: [&str; 3] = ["sanitized", "quarantined", "held"];

impl Default for Retention {
    /// 30 days for every verdict.
    fn default() -> Self {
        Self::uniform(std::time::Duration::from_secs(30 * 86_400))
    }
}

impl Retention {
    pub fn uniform(keep: std::time::Duration) -> Self {
        Self {
            sanitized: keep,
            quarantined: keep,
            held: keep,
        }
    }

    /// How long an entry of `verdict` is kept; the longest for a verdict this code does not know.
    pub fn of(&self, verdict: &str) -> std::time::Duration {
        match verdict {
            "sanitized" => self.sanitized,
            "quarantined" => self.quarantined,
            "held" => self.held,
            _ => self.longest(),
        }
    }

    /// The longest any entry is kept.
    pub fn longest(&self) -> std::time::Duration {
        self.sanitized.max(self.quarantined).max(self.held)
    }

    fn ms(keep: std::time::Duration) -> i64 {
        i64::try_from(keep.as_millis()).unwrap_or(i64::MAX)
    }

    /// Milliseconds an entry of `verdict` is kept.
    pub fn of_ms(&self, verdict: &str) -> i64 {
        Self::ms(self.of(verdict))
    }

    /// The daily purge's rules at `now_ms`: per verdict, what was received longer ago than it is
    /// kept.
    pub fn rules(&self, now_ms: i64) -> Vec<PurgeRule> {
        VERDICTS
            .iter()
            .map(|verdict| PurgeRule {
                received_before_ms: Some(now_ms.saturating_sub(self.of_ms(verdict))),
                verdict: Some((*verdict).to_owned()),
                ..PurgeRule::default()
            })
            .collect()
    }
}

/// The retention purge (the daily job of `mamori gateway` and `mamori serve`): removes what
/// `retention` no longer keeps, each entry logged, never one with an open release request.
pub fn purge_retained(
    index: &QuarantineIndex,
    retention: &Retention,
    now_ms: i64,
) -> Result<Purged, QuarantineError> {
    let mut all = Purged::default();
    for rule in retention.rules(now_ms) {
        let done = index.purge(&rule)?;
        all.kept_pending += done.kept_pending;
        all.unreadable.extend(done.unreadable);
        all.removed.extend(done.removed);
    }
    for row in &all.removed {
        tracing::info!(quarantine_id = %row.id, verdict = %row.verdict,
            received_ms = row.received_ms, "quarantine entry purged: retention ended");
    }
    for error in &all.unreadable {
        tracing::warn!(%error, "quarantine entry left in place by the purge");
    }
    tracing::info!(
        removed = all.removed.len(),
        kept_pending = all.kept_pending,
        unreadable = all.unreadable.len(),
        "quarantine retention purge"
    );
    Ok(all)
}

/// Which way a quarantined message was travelling: the release workflow's own type.
pub use mamori_core::release::Direction;

#[derive(Debug, Clone)]
pub struct Quarantine {
    root: PathBuf,
    index: Arc<QuarantineIndex>,
}

fn spool_error(error: QuarantineError) -> SpoolError {
    match error {
        QuarantineError::Io { path, source } => SpoolError::Io { path, source },
        other => SpoolError::Io {
            path: PathBuf::new(),
            source: std::io::Error::other(other.to_string()),
        },
    }
}

impl Quarantine {
    /// Opens (or makes) `DATA/quarantine` and its index, which is made from the folder when it
    /// is missing.
    pub fn open(data: &Path) -> Result<Self, SpoolError> {
        let root = data.join("quarantine");
        fs::create_dir_all(&root).map_err(|source| SpoolError::Io {
            path: root.clone(),
            source,
        })?;
        let index = QuarantineIndex::open(&root).map_err(spool_error)?;
        Ok(Self {
            root,
            index: Arc::new(index),
        })
    }

    /// The index the entries are written to.
    pub fn index(&self) -> &Arc<QuarantineIndex> {
        &self.index
    }

    /// Directory of one quarantine id; anything but `[A-Za-z0-9._-]` in the id becomes `_`.
    pub fn dir(&self, quarantine_id: &str) -> PathBuf {
        let safe: String = quarantine_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.root.join(safe)
    }

    /// Stores the original (once per id) and this delivery's record, both durable when this
    /// returns: the worker delivers, and later removes the message from the spool, only after.
    ///
    /// The original is kept once on disk: `spooled`, the spool file `original` was read from
    /// (already fsync'd before its 250), is hard-linked into the entry, and the spool's removal
    /// of its own name later leaves the bytes to the quarantine. Only when no link can be made
    /// (another file system, a limit on links, no spool file) are the bytes written again.
    ///
    /// fsyncs: the linked file (its link count) or the written copy, and the record before its
    /// rename; the id's directory once, after both names are in place; the store's root only
    /// when this call created the id's directory (right after creating it, so an error there
    /// removes the directory again and the next attempt creates and syncs it anew).
    pub fn store(
        &self,
        record: &QuarantineRecord,
        original: &[u8],
        spooled: Option<&Path>,
    ) -> Result<(), SpoolError> {
        let dir = self.dir(&record.quarantine_id);
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SpoolError::Io { path, source }
        };
        match fs::create_dir(&dir) {
            Ok(()) => {
                if let Err(error) = crate::spool::sync_dir(&self.root) {
                    let _ = fs::remove_dir(&dir);
                    return Err(error);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(&dir)(e)),
        }
        let linked = dir.join(SPOOLED);
        let eml = dir.join(COPIED);
        if !linked.exists() && !eml.exists() {
            let link = match spooled {
                Some(from) => match fs::hard_link(from, &linked) {
                    Ok(()) => fs::File::open(&linked)
                        .and_then(|f| f.sync_all())
                        .map(|()| true),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(true),
                    Err(e) => {
                        tracing::warn!(error = %e, spooled = %from.display(),
                            "original not linked from the spool; writing a copy");
                        Ok(false)
                    }
                },
                None => Ok(false),
            };
            if !link.map_err(io(&linked))? {
                let tmp = temporary(&eml);
                write_synced(&tmp, original)?;
                fs::rename(&tmp, &eml).map_err(io(&eml))?;
            }
        }
        let json = serde_json::to_vec_pretty(record).map_err(|e| SpoolError::Io {
            path: dir.clone(),
            source: std::io::Error::other(e),
        })?;
        let name = format!(
            "{}.json",
            self.dir(&record.queue_id)
                .file_name()
                .map_or_else(|| "record".into(), |n| n.to_string_lossy().into_owned(),)
        );
        let path = dir.join(name);
        let tmp = temporary(&path);
        write_synced(&tmp, &json)?;
        fs::rename(&tmp, &path).map_err(io(&path))?;
        // One directory fsync makes both new names durable.
        crate::spool::sync_dir(&dir)?;
        // The row follows the durable files; an entry that vanished meanwhile (a purge) is an
        // error, so the message is stored again rather than delivered without its original.
        let id = QuarantineId::parse(
            &dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        )
        .map_err(|e| SpoolError::Io {
            path: dir.clone(),
            source: std::io::Error::other(e),
        })?;
        let stored: StoredRecord = serde_json::from_slice(&json).map_err(|e| SpoolError::Io {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        match self
            .index
            .index_stored(&id, &stored, &path)
            .map_err(spool_error)?
        {
            true => Ok(()),
            false => Err(SpoolError::Io {
                path: dir,
                source: std::io::Error::other("the quarantine entry vanished while being stored"),
            }),
        }
    }
}

/// An entry's original linked from the spool (spool framing, then the message).
const SPOOLED: &str = "original.msg";
/// An entry's original as a copy of the message's bytes alone.
const COPIED: &str = "original.eml";

/// An entry's original: its file and where the message's bytes begin in it.
struct OriginalFile {
    file: fs::File,
    path: PathBuf,
    size: u64,
}

impl OriginalFile {
    /// Opens the original in `dir`, in whichever of its two forms is there.
    fn open(dir: &Path) -> Result<Self, QuarantineError> {
        use std::io::{BufRead, BufReader, Seek, SeekFrom};
        let linked = dir.join(SPOOLED);
        let (path, framed) = if linked.exists() {
            (linked, true)
        } else {
            (dir.join(COPIED), false)
        };
        let mut file = fs::File::open(&path).map_err(qio(&path))?;
        let len = file.metadata().map_err(qio(&path))?.len();
        let start = if framed {
            // The framing is two lines: the spool's magic line, then the envelope's (a few
            // hundred bytes, so small reads).
            let mut head = Vec::new();
            let mut reader = BufReader::with_capacity(1024, &mut file);
            for _ in 0..2 {
                reader.read_until(b'\n', &mut head).map_err(qio(&path))?;
            }
            crate::spool::body_offset(&head).ok_or_else(|| QuarantineError::Damaged {
                path: path.clone(),
                detail: "not a spool file".into(),
            })? as u64
        } else {
            0
        };
        file.seek(SeekFrom::Start(start)).map_err(qio(&path))?;
        Ok(Self {
            file,
            path,
            size: len.saturating_sub(start),
        })
    }
}

/// A unique temporary name next to `path` (two workers may store one id at once).
fn temporary(path: &Path) -> PathBuf {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{:016x}.tmp", rand::random::<u64>()));
    PathBuf::from(tmp)
}

/// Longest quarantine id accepted from outside (the engine's ids are far shorter).
pub const MAX_ID_LEN: usize = 128;

/// A quarantine id that is safe to join to a path: 1 to [`MAX_ID_LEN`] characters of
/// `[A-Za-z0-9_-]`, so no separator, no `..`, no NUL and nothing absolute can get through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineId(String);

/// Why a quarantine id from outside was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidId {
    #[error("the quarantine id is empty")]
    Empty,
    #[error("the quarantine id is longer than {MAX_ID_LEN} characters")]
    TooLong,
    #[error("the quarantine id contains a NUL character")]
    Nul,
    #[error("the quarantine id must not contain a path ({0:?})")]
    Path(String),
    #[error("the quarantine id may hold only A-Z, a-z, 0-9, '-' and '_' ({0:?})")]
    Character(String),
}

impl QuarantineId {
    pub fn parse(raw: &str) -> Result<Self, InvalidId> {
        let shown = || raw.escape_debug().take(80).collect::<String>();
        if raw.is_empty() {
            return Err(InvalidId::Empty);
        }
        if raw.contains('\0') {
            return Err(InvalidId::Nul);
        }
        if raw.contains(['/', '\\']) || raw.contains("..") {
            return Err(InvalidId::Path(shown()));
        }
        if raw.len() > MAX_ID_LEN {
            return Err(InvalidId::TooLong);
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        {
            return Err(InvalidId::Character(shown()));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for QuarantineId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reading or purging the quarantine failed.
#[derive(Debug, thiserror::Error)]
pub enum QuarantineError {
    #[error("no quarantine folder under {0} (is this the gateway's data folder?)")]
    NoStore(PathBuf),
    #[error("quarantine id {0} not found")]
    NotFound(String),
    #[error("quarantine io on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("quarantine record {path} is damaged: {detail}")]
    Damaged { path: PathBuf, detail: String },
    #[error("quarantine entry {0} has no record yet (still being stored, or left by a crash)")]
    NoRecord(PathBuf),
    #[error("quarantine entry {0} has a release request open; it is kept until that is settled")]
    ReleasePending(String),
    #[error("quarantine index {path}: {detail}")]
    Index { path: PathBuf, detail: String },
}

fn qio(path: &Path) -> impl FnOnce(std::io::Error) -> QuarantineError + '_ {
    move |source| QuarantineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One delivery's record as read back from disk.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredRecord {
    pub quarantine_id: String,
    pub queue_id: String,
    pub from: String,
    pub recipients: Vec<String>,
    pub received_ms: i64,
    pub stored_ms: i64,
    pub retain_until_ms: i64,
    pub verdict: String,
    pub report: serde_json::Value,
    /// Records written before the direction was kept are inbound.
    #[serde(default)]
    pub direction: Direction,
    #[serde(default)]
    pub hold_reason: Option<String>,
}

impl StoredRecord {
    /// Why parts were removed or the message was held, as short words from the report.
    pub fn reasons(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut push = |v: Option<&serde_json::Value>| {
            let text = match v {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Null) | None => return,
                Some(other) => other.to_string(),
            };
            if !out.contains(&text) {
                out.push(text);
            }
        };
        for part in self.report["removed"].as_array().into_iter().flatten() {
            push(part.get("reason"));
        }
        for amb in self.report["ambiguities"].as_array().into_iter().flatten() {
            // A formatting oddity the engine tolerated (both readings agreed) did not hold the
            // message: it is named as such.
            match (amb.get("kind"), amb.get("tolerated")) {
                (Some(serde_json::Value::String(kind)), Some(serde_json::Value::Bool(true))) => {
                    push(Some(&serde_json::Value::String(format!(
                        "{kind} (tolerated)"
                    ))));
                }
                (kind, _) => push(kind),
            }
        }
        push(self.report.get("error"));
        if let Some(hold) = &self.hold_reason {
            push(Some(&serde_json::Value::String(hold.clone())));
        }
        out
    }
}

/// One quarantine id with every delivery record that carried it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub dir: PathBuf,
    /// Oldest first; never empty.
    pub records: Vec<StoredRecord>,
    /// Size of the kept original, `None` when it is missing.
    pub original_size: Option<u64>,
}

impl Entry {
    pub fn first(&self) -> &StoredRecord {
        &self.records[0]
    }

    /// The record received last (the latest queue id among those received at once).
    pub fn last(&self) -> &StoredRecord {
        &self.records[self.records.len() - 1]
    }

    /// The original may be purged after the latest retention of any delivery that carried it.
    pub fn retain_until_ms(&self) -> i64 {
        self.records
            .iter()
            .map(|r| r.retain_until_ms)
            .max()
            .unwrap_or(i64::MIN)
    }

    pub fn expired(&self, now_ms: i64) -> bool {
        self.retain_until_ms() <= now_ms
    }

    /// Every recipient of every delivery, in order of first appearance.
    pub fn recipients(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in self.records.iter().flat_map(|r| &r.recipients) {
            if !out.contains(r) {
                out.push(r.clone());
            }
        }
        out
    }

    pub fn reasons(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in self.records.iter().flat_map(StoredRecord::reasons) {
            if !out.contains(&r) {
                out.push(r);
            }
        }
        out
    }

    /// `outbound` when any delivery was held by the outbound check.
    pub fn direction(&self) -> Direction {
        if self
            .records
            .iter()
            .any(|r| r.direction == Direction::Outbound)
        {
            Direction::Outbound
        } else {
            Direction::Inbound
        }
    }

    /// `quarantined` when any delivery was held whole (or carries a verdict this code does not
    /// know), `held` when outbound mail was held for approval, `sanitized` otherwise.
    pub fn verdict(&self) -> &str {
        Self::verdict_of(self.records.iter().map(|r| r.verdict.as_str()))
    }

    /// The verdict of an entry whose deliveries had `verdicts` (see [`Self::verdict`]).
    pub fn verdict_of<'a>(verdicts: impl IntoIterator<Item = &'a str> + Clone) -> &'static str {
        let known = |v: &str| matches!(v, "sanitized" | "held");
        if verdicts.clone().into_iter().any(|v| !known(v)) {
            "quarantined"
        } else if verdicts.into_iter().any(|v| v == "held") {
            "held"
        } else {
            "sanitized"
        }
    }
}

/// Read-only and purge access to an existing quarantine store.
#[derive(Debug, Clone)]
pub struct QuarantineReader {
    root: PathBuf,
}

impl QuarantineReader {
    /// Opens `DATA/quarantine` without creating it: a mistyped `--data` is an error, not a new store.
    pub fn existing(data: &Path) -> Result<Self, QuarantineError> {
        let root = data.join("quarantine");
        if !root.is_dir() {
            return Err(QuarantineError::NoStore(data.to_path_buf()));
        }
        Ok(Self { root })
    }

    pub(crate) fn at(root: PathBuf) -> Self {
        Self { root }
    }

    /// The folder's index, made from the folder when it is missing.
    pub fn index(&self) -> Result<QuarantineIndex, QuarantineError> {
        QuarantineIndex::open(&self.root)
    }

    /// The folder's index made anew from the folder (`mamori quarantine reindex`).
    pub fn reindex(&self) -> Result<Reconciled, QuarantineError> {
        QuarantineIndex::open_as_is(&self.root)?.rebuild()
    }

    /// The ids of every entry folder (links and other names are not entries).
    pub fn ids(&self) -> Result<Vec<QuarantineId>, QuarantineError> {
        let mut out = Vec::new();
        for item in fs::read_dir(&self.root).map_err(qio(&self.root))? {
            let item = item.map_err(qio(&self.root))?;
            let name = item.file_name();
            let Some(id) = name.to_str().and_then(|n| QuarantineId::parse(n).ok()) else {
                continue;
            };
            // Never follow a link out of the store.
            if item.file_type().map_err(qio(&item.path()))?.is_dir() {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// The kept original's Subject, decoded, for the index: read from its header alone; empty
    /// when there is none or it cannot be read. Control characters become spaces.
    pub fn subject(&self, entry: &Entry) -> String {
        use std::io::Read;
        const HEAD: u64 = 64 * 1024;
        let mut head = Vec::new();
        let read = OriginalFile::open(&entry.dir)
            .ok()
            .and_then(|o| o.file.take(HEAD).read_to_end(&mut head).ok());
        if read.is_none() {
            return String::new();
        }
        let subject = mail_parser::MessageParser::new()
            .parse_headers(&head)
            .and_then(|m| m.subject().map(str::to_owned))
            .unwrap_or_default();
        subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(500)
            .collect::<String>()
            .trim()
            .to_owned()
    }

    pub(crate) fn remove_dir(&self, dir: &Path) -> Result<(), QuarantineError> {
        fs::remove_dir_all(dir).map_err(qio(dir))
    }

    pub(crate) fn sync_root(&self) -> Result<(), QuarantineError> {
        crate::spool::sync_dir(&self.root).map_err(|e| match e {
            SpoolError::Io { path, source } => QuarantineError::Io { path, source },
            SpoolError::Damaged(p) => QuarantineError::NoRecord(p),
            unsynced @ SpoolError::Unsynced(_) => QuarantineError::Io {
                path: self.root.clone(),
                source: std::io::Error::other(unsynced.to_string()),
            },
        })
    }

    /// Every entry, ordered by first receipt; damaged entries are returned as errors beside the
    /// good ones so that one bad file does not hide the rest.
    pub fn entries(&self) -> Result<Vec<Result<Entry, QuarantineError>>, QuarantineError> {
        let mut out = Vec::new();
        for item in fs::read_dir(&self.root).map_err(qio(&self.root))? {
            let item = item.map_err(qio(&self.root))?;
            let name = item.file_name();
            let Some(id) = name.to_str().and_then(|n| QuarantineId::parse(n).ok()) else {
                continue;
            };
            // Never follow a link out of the store.
            let meta = fs::symlink_metadata(item.path()).map_err(qio(&item.path()))?;
            if !meta.is_dir() {
                continue;
            }
            out.push(self.load(&id));
        }
        out.sort_by_key(|e| match e {
            Ok(e) => (0, e.first().received_ms, e.id.clone()),
            Err(_) => (1, 0, String::new()),
        });
        Ok(out)
    }

    /// One entry by id.
    pub fn get(&self, id: &QuarantineId) -> Result<Entry, QuarantineError> {
        let dir = self.root.join(id.as_str());
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => self.load(id),
            Ok(_) => Err(QuarantineError::NotFound(id.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(QuarantineError::NotFound(id.to_string()))
            }
            Err(e) => Err(qio(&dir)(e)),
        }
    }

    /// The entry an id from a notice block names: a message id as it is, or a part id
    /// (`MESSAGEID-pN`, see `mamori_sanitize::QuarantineIds`) by its message.
    pub fn resolve(&self, id: &QuarantineId) -> Result<Entry, QuarantineError> {
        match self.get(id) {
            Err(QuarantineError::NotFound(_)) => {
                let message = id.as_str().rsplit_once("-p").and_then(|(head, n)| {
                    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                        .then(|| QuarantineId::parse(head).ok())
                        .flatten()
                });
                match message {
                    Some(message) => self.get(&message),
                    None => Err(QuarantineError::NotFound(id.to_string())),
                }
            }
            other => other,
        }
    }

    fn load(&self, id: &QuarantineId) -> Result<Entry, QuarantineError> {
        let dir = self.root.join(id.as_str());
        let mut records = Vec::new();
        for item in fs::read_dir(&dir).map_err(qio(&dir))? {
            let path = item.map_err(qio(&dir))?.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let bytes = fs::read(&path).map_err(qio(&path))?;
            let record: StoredRecord =
                serde_json::from_slice(&bytes).map_err(|e| QuarantineError::Damaged {
                    path: path.clone(),
                    detail: e.to_string(),
                })?;
            records.push(record);
        }
        if records.is_empty() {
            return Err(QuarantineError::NoRecord(dir));
        }
        records.sort_by(|a, b| (a.received_ms, &a.queue_id).cmp(&(b.received_ms, &b.queue_id)));
        let original_size = OriginalFile::open(&dir).ok().map(|o| o.size);
        Ok(Entry {
            id: id.to_string(),
            dir,
            records,
            original_size,
        })
    }

    /// The kept original's bytes.
    pub fn original(&self, entry: &Entry) -> Result<Vec<u8>, QuarantineError> {
        use std::io::Read;
        let mut original = OriginalFile::open(&entry.dir)?;
        let mut bytes = Vec::with_capacity(usize::try_from(original.size).unwrap_or(0));
        original
            .file
            .read_to_end(&mut bytes)
            .map_err(qio(&original.path))?;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn record(qid: &str, queue: &str, retain_until_ms: i64) -> QuarantineRecord {
        QuarantineRecord {
            quarantine_id: qid.into(),
            queue_id: queue.into(),
            from: "sender@example.com".into(),
            recipients: vec!["kacho@example.lg.jp".into()],
            received_ms: 1_000,
            stored_ms: 2_000,
            retain_until_ms,
            verdict: "sanitized",
            report: serde_json::json!({
                "removed": [{"reason": "executable"}, {"reason": "executable"}],
                "ambiguities": [{"kind": "duplicate-header"}],
            }),
            direction: Direction::Inbound,
            hold_reason: None,
        }
    }

    fn store_with(entries: &[(&str, i64)]) -> (tempfile::TempDir, QuarantineReader) {
        let dir = tempfile::tempdir().unwrap();
        let q = Quarantine::open(dir.path()).unwrap();
        for (i, (qid, until)) in entries.iter().enumerate() {
            q.store(
                &record(qid, &format!("queue{i}"), *until),
                b"original bytes",
                None,
            )
            .unwrap();
        }
        let reader = QuarantineReader::existing(dir.path()).unwrap();
        (dir, reader)
    }

    #[rstest]
    #[case("q-0123abcd")]
    #[case("gw-queue_01")]
    #[case(&"a".repeat(MAX_ID_LEN))]
    fn good_ids_parse(#[case] raw: &str) {
        assert_eq!(QuarantineId::parse(raw).unwrap().as_str(), raw);
    }

    #[rstest]
    #[case("", InvalidId::Empty)]
    #[case("../etc", InvalidId::Path("../etc".into()))]
    #[case("..", InvalidId::Path("..".into()))]
    #[case("/etc/passwd", InvalidId::Path("/etc/passwd".into()))]
    #[case("q-1/../../x", InvalidId::Path("q-1/../../x".into()))]
    #[case("a\\b", InvalidId::Path("a\\\\b".into()))]
    #[case("q-1\0", InvalidId::Nul)]
    #[case(&"a".repeat(MAX_ID_LEN + 1), InvalidId::TooLong)]
    #[case("q 1", InvalidId::Character("q 1".into()))]
    #[case("q.1", InvalidId::Character("q.1".into()))]
    #[case("隔離", InvalidId::Character("隔離".into()))]
    fn hostile_ids_are_refused(#[case] raw: &str, #[case] why: InvalidId) {
        assert_eq!(QuarantineId::parse(raw), Err(why));
    }

    #[test]
    fn the_spool_file_is_linked_once_and_read_as_the_message_alone() {
        use crate::spool::{Envelope, Origin, Spool, State};
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 0).unwrap();
        let message = b"From: a@example.com\r\nSubject: =?UTF-8?B?5Lya6K2w?=\r\n\r\nbody\r\n";
        let envelope = Envelope {
            queue_id: "queue1".into(),
            from: "a@example.com".into(),
            recipients: vec!["u@city.example.lg.jp".into(); 40],
            helo: "client".into(),
            peer: "192.0.2.1:25".into(),
            tls: false,
            smtputf8: false,
            received_ms: 1,
            size: 0,
            origin: Origin::Inbound,
            client: None,
        };
        spool.store(&envelope, message).unwrap();
        let spooled = spool.path_of(State::Queued, "queue1");
        let q = Quarantine::open(dir.path()).unwrap();
        q.store(&record("q-link", "queue1", 10), message, Some(&spooled))
            .unwrap();
        // A second delivery of the same original links nothing more.
        q.store(&record("q-link", "queue2", 20), message, Some(&spooled))
            .unwrap();
        let kept = q.dir("q-link").join("original.msg");
        assert_eq!(
            fs::metadata(&kept).unwrap().ino(),
            fs::metadata(&spooled).unwrap().ino()
        );
        assert_eq!(fs::metadata(&kept).unwrap().nlink(), 2);
        assert!(!q.dir("q-link").join("original.eml").exists());

        // The spool lets go of its name; the quarantine's reads give the message alone.
        fs::remove_file(&spooled).unwrap();
        let reader = QuarantineReader::existing(dir.path()).unwrap();
        let entry = reader.get(&QuarantineId::parse("q-link").unwrap()).unwrap();
        assert_eq!(reader.original(&entry).unwrap(), message);
        assert_eq!(entry.original_size, Some(message.len() as u64));
        assert_eq!(reader.subject(&entry), "会議");

        // No spool file to link (or a link refused): the bytes are written as a copy.
        q.store(&record("q-copy", "queue3", 10), message, Some(&spooled))
            .unwrap();
        assert_eq!(
            fs::read(q.dir("q-copy").join("original.eml")).unwrap(),
            message
        );

        // A linked original that is not a spool file is an error naming it, not a guess.
        fs::write(&kept, b"not a spool file\r\n").unwrap();
        let entry = reader.get(&QuarantineId::parse("q-link").unwrap()).unwrap();
        assert_eq!(entry.original_size, None);
        assert!(matches!(
            reader.original(&entry),
            Err(QuarantineError::Damaged { .. })
        ));
        assert_eq!(reader.subject(&entry), "");
    }

    #[test]
    fn a_second_store_of_one_id_keeps_the_first_original_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let q = Quarantine::open(dir.path()).unwrap();
        q.store(&record("q-same", "queue1", 10), b"first", None)
            .unwrap();
        q.store(&record("q-same", "queue2", 20), b"second", None)
            .unwrap();
        let id_dir = q.dir("q-same");
        assert_eq!(fs::read(id_dir.join("original.eml")).unwrap(), b"first");
        let mut names: Vec<String> = fs::read_dir(&id_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["original.eml", "queue1.json", "queue2.json"]);

        // A store whose folder is gone is an error the worker defers on, not a success.
        fs::remove_dir_all(dir.path().join("quarantine")).unwrap();
        assert!(q.store(&record("q-new", "queue3", 30), b"x", None).is_err());
    }

    #[test]
    fn entries_merge_deliveries_and_summarise_reasons() {
        let (_dir, reader) = store_with(&[("q-aa", 10), ("q-aa", 50), ("q-bb", 20)]);
        let entries: Vec<Entry> = reader
            .entries()
            .unwrap()
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(entries.len(), 2);
        let aa = entries.iter().find(|e| e.id == "q-aa").unwrap();
        assert_eq!(aa.records.len(), 2);
        assert_eq!(aa.retain_until_ms(), 50);
        assert_eq!(aa.original_size, Some(14));
        assert_eq!(aa.reasons(), ["executable", "duplicate-header"]);
        let mut tolerated = aa.records[0].clone();
        tolerated.report = serde_json::json!({
            "removed": [],
            "ambiguities": [
                {"kind": "unterminated-multipart", "tolerated": true},
                {"kind": "eight-bit-header", "tolerated": false},
                {"kind": "charset-mislabelled"},
            ],
        });
        assert_eq!(
            tolerated.reasons(),
            [
                "unterminated-multipart (tolerated)",
                "eight-bit-header",
                "charset-mislabelled"
            ]
        );
        assert_eq!(aa.verdict(), "sanitized");
    }

    #[test]
    fn a_damaged_record_is_an_error_naming_the_file_and_others_still_list() {
        let (dir, reader) = store_with(&[("q-aa", 10), ("q-bb", 20)]);
        let bad = dir.path().join("quarantine/q-bb/queue1.json");
        fs::write(&bad, b"{\"quarantine_id\": 3, trailing").unwrap();
        let entries = reader.entries().unwrap();
        assert!(entries[0].as_ref().is_ok_and(|e| e.id == "q-aa"));
        let err = entries[1].as_ref().unwrap_err().to_string();
        assert!(
            err.contains("queue1.json") && err.contains("damaged"),
            "{err}"
        );
        let id = QuarantineId::parse("q-bb").unwrap();
        assert!(matches!(
            reader.get(&id),
            Err(QuarantineError::Damaged { .. })
        ));
        // Purging by expiry never deletes what it cannot read.
        let purged = reader
            .index()
            .unwrap()
            .purge(&PurgeRule {
                expired_at_ms: Some(i64::MAX),
                ..PurgeRule::default()
            })
            .unwrap();
        assert_eq!(purged.removed.len(), 1);
        assert_eq!(purged.unreadable.len(), 1);
        assert!(dir.path().join("quarantine/q-bb/original.eml").exists());
    }

    #[test]
    fn purge_expired_removes_only_entries_past_their_latest_retention() {
        let (dir, reader) = store_with(&[("q-aa", 10), ("q-aa", 50), ("q-bb", 20)]);
        let purged = reader
            .index()
            .unwrap()
            .purge(&PurgeRule {
                expired_at_ms: Some(30),
                ..PurgeRule::default()
            })
            .unwrap();
        assert!(purged.unreadable.is_empty());
        assert_eq!(
            purged
                .removed
                .iter()
                .map(|e| e.id.as_str())
                .collect::<Vec<_>>(),
            ["q-bb"]
        );
        assert!(!dir.path().join("quarantine/q-bb").exists());
        assert!(dir.path().join("quarantine/q-aa/original.eml").exists());
    }

    #[test]
    fn purge_by_id_removes_one_and_a_missing_id_is_not_found() {
        let (dir, reader) = store_with(&[("q-aa", 10), ("q-bb", 20)]);
        let id = QuarantineId::parse("q-aa").unwrap();
        let index = reader.index().unwrap();
        assert_eq!(index.purge_one(&id).unwrap().id, "q-aa");
        assert!(!dir.path().join("quarantine/q-aa").exists());
        assert!(dir.path().join("quarantine/q-bb").exists());
        assert!(index.row("q-aa").unwrap().is_none());
        assert!(index.row("q-bb").unwrap().is_some());
        assert!(matches!(
            index.purge_one(&id),
            Err(QuarantineError::NotFound(_))
        ));
    }

    #[test]
    fn a_part_id_resolves_to_its_message_and_nothing_else() {
        let (_dir, reader) = store_with(&[("q-aa", 10)]);
        let part = QuarantineId::parse("q-aa-p3").unwrap();
        assert_eq!(reader.resolve(&part).unwrap().id, "q-aa");
        for missing in ["q-aa-p", "q-aa-px", "q-bb-p1", "q-a"] {
            let id = QuarantineId::parse(missing).unwrap();
            assert!(
                matches!(reader.resolve(&id), Err(QuarantineError::NotFound(_))),
                "{missing}"
            );
        }
    }

    #[test]
    fn records_without_a_direction_are_inbound_and_a_hold_reason_is_a_reason() {
        let (dir, reader) = store_with(&[("q-aa", 10)]);
        let path = dir.path().join("quarantine/q-aa/queue0.json");
        let mut json: serde_json::Value =
            serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        json.as_object_mut().unwrap().remove("direction");
        json.as_object_mut().unwrap().remove("hold_reason");
        fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
        let id = QuarantineId::parse("q-aa").unwrap();
        assert_eq!(reader.get(&id).unwrap().direction(), Direction::Inbound);

        let q = Quarantine::open(dir.path()).unwrap();
        let mut held = record("q-out", "queue9", 10);
        held.direction = Direction::Outbound;
        held.hold_reason = Some("my-number".into());
        held.report = serde_json::json!({});
        q.store(&held, b"held", None).unwrap();
        let entry = reader.get(&QuarantineId::parse("q-out").unwrap()).unwrap();
        assert_eq!(entry.direction(), Direction::Outbound);
        assert_eq!(entry.reasons(), ["my-number"]);
    }

    #[test]
    fn a_missing_store_is_an_error_not_a_new_folder() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("typo");
        assert!(matches!(
            QuarantineReader::existing(&missing),
            Err(QuarantineError::NoStore(_))
        ));
        assert!(!missing.exists());
    }

    #[test]
    fn a_symlink_in_the_store_is_not_followed() {
        let (dir, reader) = store_with(&[("q-aa", 10)]);
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("quarantine/q-link")).unwrap();
        assert_eq!(reader.entries().unwrap().len(), 1);
        let id = QuarantineId::parse("q-link").unwrap();
        assert!(matches!(
            reader.index().unwrap().purge_one(&id),
            Err(QuarantineError::NotFound(_))
        ));
        assert!(reader.index().unwrap().row("q-link").unwrap().is_none());
        assert!(outside.path().exists());
    }
}
