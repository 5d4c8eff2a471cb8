//! The durable spool: one file per message, its state given by the directory it lives in.
//!
//! ```text
//! DIR/spool/incoming/   being written; anything here at start-up never got 250 and is removed
//! DIR/spool/queue/      accepted (fsync'd before 250), waiting for the worker
//! DIR/spool/deferred/   an attempt failed temporarily; ID.retry holds the schedule
//! DIR/spool/delivered/  DAY.jsonl: the records of finished messages, one line each (see
//!                       [`crate::delivered`]; the original is in quarantine)
//! DIR/spool/failed/     undeliverable within its lifetime; the sender got a DSN
//! ```
//! A message file is `MAMORI-SPOOL 1`, one line of JSON envelope, then the raw message. State
//! changes are renames followed by an fsync of the directory, so a crash at any point leaves each
//! message in exactly one state, and every message that got 250 is found again at start-up.
//!
//! fsyncs per message on the way in and out, and why each is needed:
//! - the message file, before the rename into `queue/` (its bytes must survive before 250);
//! - `queue/`, after the rename (the name must survive before 250); shared by every message
//!   renamed before it started ([`DirSync`], group commit), and each 250 waits for the one
//!   covering its rename;
//! - the delivery log, after its record is appended (group commit of one fdatasync), before the
//!   message file is removed, so a finished message always leaves its record.
//!
//! Not synced: `incoming/` after the rename out of it (a name left there by a crash never got 250
//! and is removed at start-up), and the directory after a message file is removed (if a crash
//! undoes the removal, the message is delivered a second time: at least once, never lost).
//!
//! A message is written into `incoming/` as it arrives ([`IncomingMessage`]), so a large message
//! never sits whole in memory. Room for the envelope line is reserved first (padded with spaces,
//! which JSON ignores) and filled in once the size is known.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::delivered::DeliveredLog;

const MAGIC: &[u8] = b"MAMORI-SPOOL 1\r\n";

/// How long the delivery log keeps a day unless told otherwise: the quarantine's default
/// retention, since a record ties a delivery to its quarantine entry.
const DELIVERED_KEPT: std::time::Duration = std::time::Duration::from_secs(30 * 86_400);

/// Spool failure; the session answers it with a 4xx so the client tries again.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("spool io on {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("spool file {0} is damaged")]
    Damaged(PathBuf),
    /// The message reached the queue, and the worker will take it, but the fsync that makes its
    /// name durable failed: a crash may still lose it, so the session answers 4xx all the same.
    #[error("queued, but its name was not made durable: {0}")]
    Unsynced(Box<SpoolError>),
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Where a message originated, which decides how the worker treats it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Received by SMTP from the Internet side: always sanitized before delivery.
    #[default]
    Inbound,
    /// A delivery status notification the gateway wrote itself from scratch.
    Dsn,
}

/// The envelope stored with every message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub queue_id: String,
    /// Reverse path; empty for the null sender.
    pub from: String,
    pub recipients: Vec<String>,
    pub helo: String,
    pub peer: String,
    pub tls: bool,
    pub smtputf8: bool,
    /// Arrival time, milliseconds since the Unix epoch.
    pub received_ms: i64,
    pub size: u64,
    #[serde(default)]
    pub origin: Origin,
    /// The client as a trusted front MTA reported it with XFORWARD (content-filter mode), where
    /// `peer` and `helo` are the front MTA's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<ForwardedClient>,
}

/// What XFORWARD said about the original client; each item only when the front MTA knew it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardedClient {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proto: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helo: Option<String>,
}

/// Retry schedule of a deferred message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Retry {
    pub attempts: u32,
    pub next_attempt_ms: i64,
    pub last_error: String,
    /// Recipients still owed the message after a partial delivery; all of the envelope's when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipients: Option<Vec<String>>,
}

/// The states a message passes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Incoming,
    Queued,
    Deferred,
    Delivered,
    Failed,
}

impl State {
    pub const ALL: [State; 5] = [
        State::Incoming,
        State::Queued,
        State::Deferred,
        State::Delivered,
        State::Failed,
    ];

    fn dir(self) -> &'static str {
        match self {
            State::Incoming => "incoming",
            State::Queued => "queue",
            State::Deferred => "deferred",
            State::Delivered => "delivered",
            State::Failed => "failed",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            State::Incoming => "incoming",
            State::Queued => "queued",
            State::Deferred => "deferred",
            State::Delivered => "delivered",
            State::Failed => "failed",
        }
    }
}

/// Number of messages per state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub incoming: usize,
    pub queued: usize,
    pub deferred: usize,
    pub delivered: usize,
    pub failed: usize,
}

/// The spool under one data directory.
#[derive(Debug, Clone)]
pub struct Spool {
    root: PathBuf,
    min_free_bytes: u64,
    /// Group commit of `queue/` for the messages committed into it.
    queue_sync: Arc<DirSync>,
    /// The records of finished messages.
    delivered: Arc<DeliveredLog>,
}

impl Spool {
    /// Opens (creating) the spool under `data/spool`. Half-written files of a previous run, which
    /// never got 250, are removed.
    pub fn open(data: &Path, min_free_bytes: u64) -> Result<Self, SpoolError> {
        let root = data.join("spool");
        for state in State::ALL {
            let dir = root.join(state.dir());
            fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        }
        let spool = Self::at(root, min_free_bytes);
        let incoming = spool.dir(State::Incoming);
        for entry in fs::read_dir(&incoming).map_err(io_err(&incoming))? {
            let path = entry.map_err(io_err(&incoming))?.path();
            fs::remove_file(&path).map_err(io_err(&path))?;
        }
        let folded = spool.delivered.fold_legacy()?;
        if folded > 0 {
            tracing::info!(records = folded, "delivery records moved into the day logs");
        }
        Ok(spool)
    }

    /// The same spool, its delivery log keeping each day for `keep` after it ends.
    pub fn keeping_delivered(mut self, keep: std::time::Duration) -> Self {
        self.delivered = Arc::new(DeliveredLog::new(self.dir(State::Delivered), keep));
        self
    }

    /// Every record of a finished message in the delivery log, oldest day first.
    pub fn delivered_records(&self) -> Result<Vec<serde_json::Value>, SpoolError> {
        self.delivered.records()
    }

    /// Opens an existing spool for reading only (for `gateway status`).
    pub fn existing(data: &Path) -> Result<Self, SpoolError> {
        let root = data.join("spool");
        if !root.is_dir() {
            return Err(SpoolError::Io {
                path: root,
                source: io::Error::new(io::ErrorKind::NotFound, "no spool here"),
            });
        }
        Ok(Self::at(root, 0))
    }

    fn at(root: PathBuf, min_free_bytes: u64) -> Self {
        Self {
            queue_sync: Arc::new(DirSync::new(root.join(State::Queued.dir()))),
            delivered: Arc::new(DeliveredLog::new(
                root.join(State::Delivered.dir()),
                DELIVERED_KEPT,
            )),
            root,
            min_free_bytes,
        }
    }

    fn dir(&self, state: State) -> PathBuf {
        self.root.join(state.dir())
    }

    fn message_path(&self, state: State, id: &str) -> PathBuf {
        self.dir(state).join(format!("{id}.msg"))
    }

    /// Whether the spool's file system has room for new mail.
    pub fn has_room(&self) -> bool {
        match fs4::available_space(&self.root) {
            Ok(free) => free >= self.min_free_bytes,
            Err(error) => {
                tracing::warn!(%error, "cannot read free space of the spool");
                false
            }
        }
    }

    /// Stores a new message durably in the queue: written, fsync'd, renamed, directory fsync'd.
    /// Only after this returns may the session answer 250.
    pub fn store(&self, envelope: &Envelope, message: &[u8]) -> Result<(), SpoolError> {
        let mut incoming = self.create(envelope)?;
        incoming.write(message)?;
        incoming.commit(envelope.received_ms).map(|_| ())
    }

    /// Starts a new message in `incoming/`, where the worker never looks. The envelope's size and
    /// arrival time are filled in by [`IncomingMessage::commit`].
    pub fn create(&self, envelope: &Envelope) -> Result<IncomingMessage, SpoolError> {
        let path = self.message_path(State::Incoming, &envelope.queue_id);
        let json_err = |e: serde_json::Error| SpoolError::Io {
            path: path.clone(),
            source: io::Error::other(e),
        };
        // The longest the envelope line can become once size and arrival time are known.
        let widest = Envelope {
            size: u64::MAX,
            received_ms: i64::MIN,
            ..envelope.clone()
        };
        let room = serde_json::to_vec(&widest).map_err(json_err)?.len();
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path).map_err(io_err(&path))?;
        let mut incoming = IncomingMessage {
            path,
            queue: self.message_path(State::Queued, &envelope.queue_id),
            queue_sync: self.queue_sync.clone(),
            file,
            envelope: envelope.clone(),
            room,
            size: 0,
            committed: false,
        };
        let mut head = Vec::with_capacity(MAGIC.len() + room + 2);
        head.extend_from_slice(MAGIC);
        head.resize(MAGIC.len() + room, b' ');
        head.extend_from_slice(b"\r\n");
        incoming
            .file
            .write_all(&head)
            .map_err(io_err(&incoming.path))?;
        Ok(incoming)
    }

    /// Reads a message and its envelope.
    pub fn load(&self, state: State, id: &str) -> Result<(Envelope, Vec<u8>), SpoolError> {
        let path = self.message_path(state, id);
        let bytes = fs::read(&path).map_err(io_err(&path))?;
        let damaged = || SpoolError::Damaged(path.clone());
        let start = body_offset(&bytes).ok_or_else(damaged)?;
        let envelope: Envelope =
            serde_json::from_slice(&bytes[MAGIC.len()..start - 2]).map_err(|_| damaged())?;
        let mut message = bytes;
        message.drain(..start);
        Ok((envelope, message))
    }

    /// Where `state`'s file of message `id` is.
    pub(crate) fn path_of(&self, state: State, id: &str) -> PathBuf {
        self.message_path(state, id)
    }

    /// Queue ids of the messages in a state, oldest name first.
    pub fn list(&self, state: State) -> Result<Vec<String>, SpoolError> {
        let dir = self.dir(state);
        let mut ids = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_err(&dir))? {
            let name = entry.map_err(io_err(&dir))?.file_name();
            if let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".msg")) {
                ids.push(id.to_string());
            }
        }
        ids.sort();
        Ok(ids)
    }

    pub fn counts(&self) -> Result<Counts, SpoolError> {
        Ok(Counts {
            incoming: self.list(State::Incoming)?.len(),
            queued: self.list(State::Queued)?.len(),
            deferred: self.list(State::Deferred)?.len(),
            delivered: self.delivered.count()?,
            failed: self.list(State::Failed)?.len(),
        })
    }

    /// The retry schedule of a deferred message (a fresh one when its file is missing).
    pub fn retry(&self, id: &str) -> Retry {
        let path = self.dir(State::Deferred).join(format!("{id}.retry"));
        fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Moves a message to `deferred` with its new retry schedule.
    pub fn defer(&self, from: State, id: &str, retry: &Retry) -> Result<(), SpoolError> {
        let path = self.dir(State::Deferred).join(format!("{id}.retry"));
        let json = serde_json::to_vec(retry).map_err(|e| SpoolError::Io {
            path: path.clone(),
            source: io::Error::other(e),
        })?;
        write_atomic(&path, &json)?;
        if from != State::Deferred {
            self.rename(from, State::Deferred, id)?;
        }
        Ok(())
    }

    /// Records a finished message in the delivery log; durable when this returns (the log's
    /// group commit). Call [`Spool::remove`] only after, so that a crash in between can only
    /// cause a second delivery, never a lost message.
    pub fn record(&self, record: &serde_json::Value) -> Result<(), SpoolError> {
        self.delivered.append(record, crate::server::now_ms())
    }

    /// Removes a finished message, once recorded, from the spool. The removal is not synced: a
    /// crash that undoes it means one more delivery, not a loss.
    pub fn remove(&self, from: State, id: &str) -> Result<(), SpoolError> {
        let msg = self.message_path(from, id);
        match fs::remove_file(&msg) {
            Ok(()) => {}
            // Gone already: an earlier removal whose error came after it.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&msg)(e)),
        }
        self.remove_retry(from, id);
        Ok(())
    }

    /// Moves an undeliverable message to `failed`.
    pub fn fail(&self, from: State, id: &str) -> Result<(), SpoolError> {
        self.rename(from, State::Failed, id)?;
        self.remove_retry(from, id);
        Ok(())
    }

    fn remove_retry(&self, from: State, id: &str) {
        if from == State::Deferred {
            let _ = fs::remove_file(self.dir(State::Deferred).join(format!("{id}.retry")));
        }
    }

    fn rename(&self, from: State, to: State, id: &str) -> Result<(), SpoolError> {
        let src = self.message_path(from, id);
        let dest = self.message_path(to, id);
        fs::rename(&src, &dest).map_err(io_err(&dest))?;
        sync_dir(&self.dir(to))?;
        sync_dir(&self.dir(from))
    }
}

/// A message being received. Dropped without [`IncomingMessage::commit`] (refused, connection
/// lost, write failed), its file is removed: it never got 250 and never reaches the queue.
#[derive(Debug)]
pub struct IncomingMessage {
    path: PathBuf,
    queue: PathBuf,
    queue_sync: Arc<DirSync>,
    file: File,
    envelope: Envelope,
    /// Bytes reserved for the envelope's JSON.
    room: usize,
    size: u64,
    committed: bool,
}

impl IncomingMessage {
    pub fn queue_id(&self) -> &str {
        &self.envelope.queue_id
    }

    /// Message bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends message bytes.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), SpoolError> {
        self.file.write_all(bytes).map_err(io_err(&self.path))?;
        self.size += bytes.len() as u64;
        Ok(())
    }

    /// Completes the envelope, fsyncs the file, moves it into the queue and fsyncs the queue
    /// directory (group commit). Only after this returns may the session answer 250.
    pub fn commit(mut self, received_ms: i64) -> Result<Envelope, SpoolError> {
        self.envelope.size = self.size;
        self.envelope.received_ms = received_ms;
        let mut json = serde_json::to_vec(&self.envelope).map_err(|e| SpoolError::Io {
            path: self.path.clone(),
            source: io::Error::other(e),
        })?;
        if json.len() > self.room {
            return Err(SpoolError::Damaged(self.path.clone()));
        }
        json.resize(self.room, b' ');
        let path = self.path.clone();
        self.file
            .seek(SeekFrom::Start(MAGIC.len() as u64))
            .and_then(|_| self.file.write_all(&json))
            .and_then(|()| self.file.sync_all())
            .map_err(io_err(&path))?;
        fs::rename(&self.path, &self.queue).map_err(io_err(&self.queue))?;
        self.committed = true;
        // `incoming/` is not synced: if a crash brings the old name back, start-up removes it,
        // and the name in `queue/` is durable once this returns.
        self.queue_sync
            .sync()
            .map_err(|e| SpoolError::Unsynced(Box::new(e)))?;
        Ok(self.envelope.clone())
    }
}

impl Drop for IncomingMessage {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Where the message begins in a spool file that begins with `head`: after the magic line and
/// the envelope's line; `None` when `head` is not the start of a spool file.
pub(crate) fn body_offset(head: &[u8]) -> Option<usize> {
    let rest = head.strip_prefix(MAGIC)?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    Some(MAGIC.len() + end + 2)
}

/// Writes a new file and fsyncs it.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), SpoolError> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io_err(path))?;
    file.write_all(bytes).map_err(io_err(path))?;
    file.sync_all().map_err(io_err(path))
}

/// Replaces a file atomically: temporary name, fsync, rename, fsync of the directory. The
/// temporary name is unique, so that two writers of one file (identical messages share a
/// quarantine id) never rename each other's half-written file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SpoolError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{:016x}.tmp", rand::random::<u64>()));
    let tmp = PathBuf::from(tmp);
    if let Err(error) =
        write_synced(&tmp, bytes).and_then(|()| fs::rename(&tmp, path).map_err(io_err(path)))
    {
        // Not left behind for every retry on a full disk.
        let _ = fs::remove_file(&tmp);
        return Err(error);
    }
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Group commit of one directory's fsync: a caller that changed a name in the directory calls
/// [`DirSync::sync`] and returns once an fsync that started after its change has succeeded. While
/// one fsync runs, the callers that arrive wait and the next single fsync covers all of them. A
/// caller whose change an fsync failed to cover gets an error, never a later success.
#[derive(Debug)]
pub(crate) struct DirSync {
    dir: PathBuf,
    state: Mutex<SyncState>,
    done: Condvar,
}

#[derive(Debug, Default)]
struct SyncState {
    /// Tickets handed out, one per caller, in order.
    requested: u64,
    /// Every ticket up to this one is covered by a successful fsync.
    synced: u64,
    /// Every ticket up to this one was covered by an fsync that failed: never reported durable,
    /// since a second fsync need not report the error again.
    failed: u64,
    running: bool,
}

impl DirSync {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            state: Mutex::new(SyncState::default()),
            done: Condvar::new(),
        }
    }

    /// Blocks until the directory is fsync'd after this call began (its caller's change is
    /// durable). Blocking: call it from a blocking thread.
    pub(crate) fn sync(&self) -> Result<(), SpoolError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.requested += 1;
        let ticket = state.requested;
        loop {
            if state.synced >= ticket {
                return Ok(());
            }
            if state.failed >= ticket {
                return Err(SpoolError::Io {
                    path: self.dir.clone(),
                    source: io::Error::other("the folder could not be synced"),
                });
            }
            if !state.running {
                // Every ticket handed out so far belongs to a change made before this fsync.
                state.running = true;
                let target = state.requested;
                drop(state);
                let result = sync_dir(&self.dir);
                state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                state.running = false;
                match result {
                    Ok(()) => state.synced = state.synced.max(target),
                    Err(_) => state.failed = state.failed.max(target),
                }
                self.done.notify_all();
                return result;
            }
            state = self
                .done
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), SpoolError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_commit_covers_every_caller_and_reports_failure_to_each() {
        let dir = tempfile::tempdir().unwrap();
        let sync = Arc::new(DirSync::new(dir.path().to_path_buf()));
        let callers: Vec<_> = (0..16)
            .map(|_| {
                let s = sync.clone();
                std::thread::spawn(move || (0..20).map(|_| s.sync()).collect::<Vec<_>>())
            })
            .collect();
        for c in callers {
            assert!(c.join().unwrap().iter().all(Result::is_ok));
        }
        let state = sync.state.lock().unwrap();
        assert_eq!((state.requested, state.synced), (320, 320));
        assert!(!state.running);
        drop(state);

        // A directory that cannot be synced fails every caller; none waits forever or succeeds.
        let missing = Arc::new(DirSync::new(dir.path().join("missing")));
        let callers: Vec<_> = (0..8)
            .map(|_| {
                let s = missing.clone();
                std::thread::spawn(move || s.sync())
            })
            .collect();
        for c in callers {
            assert!(c.join().unwrap().is_err());
        }
        assert_eq!(missing.state.lock().unwrap().synced, 0);
    }

    #[test]
    fn concurrent_atomic_writes_of_one_file_all_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("original.eml");
        for _ in 0..50 {
            let writers: Vec<_> = (0..8)
                .map(|_| {
                    let p = path.clone();
                    std::thread::spawn(move || write_atomic(&p, b"same bytes"))
                })
                .collect();
            for w in writers {
                w.join().unwrap().unwrap();
            }
        }
        assert_eq!(fs::read(&path).unwrap(), b"same bytes");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    fn envelope(id: &str) -> Envelope {
        Envelope {
            queue_id: id.into(),
            from: "a@b.example".into(),
            recipients: vec!["u@city.example.lg.jp".into()],
            helo: "client".into(),
            peer: "192.0.2.1:25".into(),
            tls: false,
            smtputf8: false,
            received_ms: 1,
            size: 5,
            origin: Origin::Inbound,
            client: None,
        }
    }

    #[test]
    fn a_stored_message_survives_reopening_and_moves_through_its_states() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 0).unwrap();
        spool.store(&envelope("m1"), b"hello\r\n").unwrap();
        let spool = Spool::open(dir.path(), 0).unwrap();
        assert_eq!(spool.list(State::Queued).unwrap(), vec!["m1".to_string()]);
        let (env, body) = spool.load(State::Queued, "m1").unwrap();
        // The size recorded is what was written.
        let expected = Envelope {
            size: 7,
            ..envelope("m1")
        };
        assert_eq!((env, body), (expected, b"hello\r\n".to_vec()));

        let retry = Retry {
            attempts: 1,
            next_attempt_ms: 42,
            last_error: "down".into(),
            recipients: Some(vec!["u@city.example.lg.jp".into()]),
        };
        spool.defer(State::Queued, "m1", &retry).unwrap();
        assert_eq!(spool.retry("m1"), retry);
        spool.record(&serde_json::json!({"ok": true})).unwrap();
        spool.remove(State::Deferred, "m1").unwrap();
        let counts = spool.counts().unwrap();
        assert_eq!(
            (counts.queued, counts.deferred, counts.delivered),
            (0, 0, 1)
        );
    }

    #[test]
    fn a_streamed_message_reaches_the_queue_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 0).unwrap();
        let mut incoming = spool.create(&envelope("s1")).unwrap();
        for piece in [&b"Subject: s\r\n\r\n"[..], b"line one\r\n", b"line two\r\n"] {
            incoming.write(piece).unwrap();
            assert_eq!(spool.counts().unwrap().incoming, 1);
            assert!(spool.list(State::Queued).unwrap().is_empty());
        }
        let env = incoming.commit(1_790_000_000_000).unwrap();
        assert_eq!((env.size, env.received_ms), (34, 1_790_000_000_000));
        let counts = spool.counts().unwrap();
        assert_eq!((counts.incoming, counts.queued), (0, 1));
        let (loaded, body) = spool.load(State::Queued, "s1").unwrap();
        assert_eq!(loaded, env);
        assert_eq!(body, b"Subject: s\r\n\r\nline one\r\nline two\r\n");
    }

    #[test]
    fn an_abandoned_message_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 0).unwrap();
        let mut incoming = spool.create(&envelope("gone")).unwrap();
        incoming.write(b"half a message").unwrap();
        drop(incoming);
        assert_eq!(spool.counts().unwrap(), Counts::default());
        // The same queue id is never reused over a live file.
        let _first = spool.create(&envelope("dup")).unwrap();
        assert!(spool.create(&envelope("dup")).is_err());
    }

    #[test]
    fn the_widest_envelope_fits_its_reserved_room() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 0).unwrap();
        for (size, received_ms) in [(0, 0), (u64::MAX, i64::MIN), (u64::MAX, i64::MAX)] {
            let id = format!("w{size}{received_ms}");
            let mut incoming = spool.create(&envelope(&id)).unwrap();
            incoming.size = size;
            let env = incoming.commit(received_ms).unwrap();
            assert_eq!(spool.load(State::Queued, &id).unwrap().0, env);
        }
    }

    #[test]
    fn half_written_files_are_removed_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 0).unwrap();
        fs::write(spool.message_path(State::Incoming, "x"), b"partial").unwrap();
        let spool = Spool::open(dir.path(), 0).unwrap();
        assert_eq!(spool.counts().unwrap().incoming, 0);
    }

    #[test]
    fn an_impossible_free_space_threshold_means_no_room() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!Spool::open(dir.path(), u64::MAX).unwrap().has_room());
        assert!(Spool::open(dir.path(), 0).unwrap().has_room());
    }

    #[test]
    fn a_damaged_spool_file_is_reported_not_guessed_at() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 0).unwrap();
        fs::write(spool.message_path(State::Queued, "bad"), b"junk").unwrap();
        assert!(matches!(
            spool.load(State::Queued, "bad"),
            Err(SpoolError::Damaged(_))
        ));
    }
}
