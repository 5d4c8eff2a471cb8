//! 配送記録 (delivery log): the record of every finished message, one line of JSON each, appended
//! to one file per day in Japan (`spool/delivered/2026-12-06.jsonl`).
//!
//! A record is durable before its message leaves the spool: appended, then the file fdatasync'd
//! by a group commit (one fdatasync covers every line appended before it started), and a new
//! day's file name by an fsync of the folder when it is created. A crash in the middle of an
//! append leaves a torn last line: the next append of that day starts on a new line, and readers
//! skip what is not a whole record. Logs older than the retention are removed when a new day's
//! log is opened, so the folder holds a bounded number of files, however much mail passes.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use crate::spool::{SpoolError, io_err, sync_dir};

const SUFFIX: &str = ".jsonl";

/// The log folder, the day being appended to and its group commit.
#[derive(Debug)]
pub(crate) struct DeliveredLog {
    dir: PathBuf,
    keep: Duration,
    state: Mutex<State>,
    synced: Condvar,
}

/// Appends and their fdatasyncs, under one lock so that which lines an fdatasync covers is
/// known exactly.
#[derive(Debug, Default)]
struct State {
    current: Option<Day>,
    /// Lines appended so far, numbered from 1.
    appended: u64,
    /// Every line up to this one is durable.
    synced: u64,
    /// Every line up to this one was covered by an fdatasync that failed. Such a line is never
    /// reported durable: after a failed fdatasync the kernel may have dropped the pages and will
    /// not say so twice, so its caller gets the error (and its message stays in the spool).
    failed: u64,
    /// Files appended to since they were last given to an fdatasync.
    dirty: Vec<Arc<File>>,
    running: bool,
}

#[derive(Debug)]
struct Day {
    name: String,
    file: Arc<File>,
}

/// `2026-12-06`: the day in Japan of a moment.
fn day_name(ms: i64) -> String {
    mamori_core::time::jst_date(ms)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "0000-00-00".to_owned())
}

fn json_line(record: &serde_json::Value, dir: &Path) -> Result<Vec<u8>, SpoolError> {
    let mut line = serde_json::to_vec(record).map_err(|e| SpoolError::Io {
        path: dir.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    line.push(b'\n');
    Ok(line)
}

impl DeliveredLog {
    /// The log in `dir`, whose days are kept for `keep` after they end.
    pub(crate) fn new(dir: PathBuf, keep: Duration) -> Self {
        Self {
            dir,
            keep,
            state: Mutex::new(State::default()),
            synced: Condvar::new(),
        }
    }

    /// Appends `record` to the log of `now_ms`'s day and returns once it is durable. Blocking.
    pub(crate) fn append(&self, record: &serde_json::Value, now_ms: i64) -> Result<(), SpoolError> {
        let line = json_line(record, &self.dir)?;
        let day = day_name(now_ms);
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let file = match &state.current {
            Some(open) if open.name == day => open.file.clone(),
            _ => {
                let file = Arc::new(self.open_day(&day)?);
                state.current = Some(Day {
                    name: day.clone(),
                    file: file.clone(),
                });
                if let Err(error) = self.prune(now_ms) {
                    tracing::warn!(%error, "old delivery logs not removed");
                }
                file
            }
        };
        if let Err(source) = (&*file).write_all(&line) {
            // The line may be torn: reopening starts the next one on a new line.
            state.current = None;
            let path = self.dir.join(format!("{day}{SUFFIX}"));
            return Err(SpoolError::Io { path, source });
        }
        state.appended += 1;
        let mine = state.appended;
        if !state.dirty.iter().any(|f| Arc::ptr_eq(f, &file)) {
            state.dirty.push(file);
        }
        loop {
            if mine <= state.failed {
                return Err(SpoolError::Io {
                    path: self.dir.clone(),
                    source: std::io::Error::other("the delivery log could not be synced"),
                });
            }
            if mine <= state.synced {
                return Ok(());
            }
            if !state.running {
                // This fdatasync covers every line appended so far, and only those.
                state.running = true;
                let target = state.appended;
                let files = std::mem::take(&mut state.dirty);
                drop(state);
                let result = files.iter().try_for_each(|f| f.sync_data());
                state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                state.running = false;
                match result {
                    Ok(()) => state.synced = state.synced.max(target),
                    Err(ref error) => {
                        tracing::error!(%error, "delivery log not synced");
                        state.failed = state.failed.max(target);
                        // Later lines go through a file opened anew.
                        state.current = None;
                    }
                }
                self.synced.notify_all();
                continue;
            }
            state = self
                .synced
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Opens a day's log for appending: a new file's name is made durable at once, and an
    /// existing file whose last line was torn gets the line end it lacks.
    fn open_day(&self, day: &str) -> Result<File, SpoolError> {
        let path = self.dir.join(format!("{day}{SUFFIX}"));
        let mut options = OpenOptions::new();
        options.read(true).append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).map_err(io_err(&path))?;
        let len = file.metadata().map_err(io_err(&path))?.len();
        if len == 0 {
            sync_dir(&self.dir)?;
        } else {
            let mut last = [0u8];
            file.seek(SeekFrom::Start(len - 1))
                .and_then(|_| file.read_exact(&mut last))
                .map_err(io_err(&path))?;
            if last[0] != b'\n' {
                file.write_all(b"\n").map_err(io_err(&path))?;
            }
        }
        Ok(file)
    }

    /// Removes the logs of days that ended longer than the retention before `now_ms`.
    pub(crate) fn prune(&self, now_ms: i64) -> Result<Vec<PathBuf>, SpoolError> {
        let keep_ms = i64::try_from(self.keep.as_millis()).unwrap_or(i64::MAX);
        // A day's log goes once the day after it is older than the retention.
        let first_kept = day_name(now_ms.saturating_sub(keep_ms));
        let mut removed = Vec::new();
        for (day, path) in self.days()? {
            if day < first_kept {
                fs::remove_file(&path).map_err(io_err(&path))?;
                tracing::info!(log = %path.display(), "delivery log removed: retention ended");
                removed.push(path);
            }
        }
        Ok(removed)
    }

    /// Every file of the folder with its name, in name order.
    fn files(&self) -> Result<Vec<(String, PathBuf)>, SpoolError> {
        let mut files = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io_err(&self.dir))? {
            let entry = entry.map_err(io_err(&self.dir))?;
            if let Some(name) = entry.file_name().to_str() {
                files.push((name.to_owned(), entry.path()));
            }
        }
        files.sort();
        Ok(files)
    }

    /// The day logs, oldest first.
    fn days(&self) -> Result<Vec<(String, PathBuf)>, SpoolError> {
        Ok(self
            .files()?
            .into_iter()
            .filter_map(|(name, path)| Some((name.strip_suffix(SUFFIX)?.to_owned(), path)))
            .collect())
    }

    /// Whole records in the logs kept, read a block at a time.
    pub(crate) fn count(&self) -> Result<usize, SpoolError> {
        let mut n = 0;
        let mut block = vec![0u8; 1 << 16];
        for (_, path) in self.days()? {
            let mut file = File::open(&path).map_err(io_err(&path))?;
            loop {
                match file.read(&mut block) {
                    Ok(0) => break,
                    Ok(len) => n += block[..len].iter().filter(|&&b| b == b'\n').count(),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(io_err(&path)(e)),
                }
            }
        }
        Ok(n)
    }

    /// Every record in the logs kept, oldest day first; a line that is not a whole record (torn
    /// by a crash) is skipped.
    pub(crate) fn records(&self) -> Result<Vec<serde_json::Value>, SpoolError> {
        let mut records = Vec::new();
        for (_, path) in self.days()? {
            let bytes = fs::read(&path).map_err(io_err(&path))?;
            records.extend(
                bytes
                    .split(|&b| b == b'\n')
                    .filter_map(|line| serde_json::from_slice(line).ok()),
            );
        }
        Ok(records)
    }

    /// Moves the one-file-per-message records of earlier versions (`ID.json`) into the day logs
    /// (the day of their delivery or hold, else of the file), a thousand at a time: appended,
    /// the day logs fdatasync'd, then those files removed and the folder fsync'd. A crash
    /// repeats at most one batch. Temporary files those versions left (never renamed, so never
    /// records) are removed; a record that cannot be read stays where it is. Nothing is pruned
    /// here: that waits for the first delivery, under the configured retention.
    pub(crate) fn fold_legacy(&self) -> Result<usize, SpoolError> {
        const BATCH: usize = 1000;
        let mut legacy = Vec::new();
        for (name, path) in self.files()? {
            if name.ends_with(".json") {
                legacy.push(path);
            } else if name.contains(".json.") && name.ends_with(".tmp") {
                fs::remove_file(&path).map_err(io_err(&path))?;
            }
        }
        let mut folded = 0;
        for batch in legacy.chunks(BATCH) {
            let mut days: std::collections::BTreeMap<String, File> = Default::default();
            let mut done = Vec::new();
            for path in batch {
                let Some(record) = fs::read(path)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                else {
                    tracing::warn!(record = %path.display(), "unreadable delivery record left in place");
                    continue;
                };
                let ms = ["delivered_ms", "held_ms"]
                    .iter()
                    .find_map(|k| record[*k].as_i64())
                    .or_else(|| modified_ms(path))
                    .unwrap_or(0);
                let day = day_name(ms);
                let file = match days.entry(day) {
                    std::collections::btree_map::Entry::Occupied(open) => open.into_mut(),
                    std::collections::btree_map::Entry::Vacant(new) => {
                        let file = self.open_day(new.key())?;
                        new.insert(file)
                    }
                };
                file.write_all(&json_line(&record, &self.dir)?)
                    .map_err(io_err(&self.dir))?;
                done.push(path);
            }
            for file in days.values() {
                file.sync_data().map_err(io_err(&self.dir))?;
            }
            for path in &done {
                fs::remove_file(path).map_err(io_err(path))?;
            }
            sync_dir(&self.dir)?;
            folded += done.len();
        }
        Ok(folded)
    }
}

fn modified_ms(path: &Path) -> Option<i64> {
    let modified = fs::metadata(path).ok()?.modified().ok()?;
    let since = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(since.as_millis()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mamori_core::time::DAY_MS;

    /// 2026-12-06 12:00 JST.
    const NOON: i64 = 1_796_526_000_000;

    fn log(dir: &Path) -> DeliveredLog {
        DeliveredLog::new(dir.to_path_buf(), Duration::from_secs(30 * 86_400))
    }

    /// The `n` of every record, in the order read.
    fn numbers(log: &DeliveredLog) -> Vec<serde_json::Value> {
        log.records()
            .unwrap()
            .iter()
            .map(|r| r["n"].clone())
            .collect()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn records_of_one_day_share_one_file_and_days_change_at_midnight_in_japan() {
        let dir = tempfile::tempdir().unwrap();
        let log = log(dir.path());
        assert_eq!(day_name(NOON), "2026-12-06");
        // 2026-12-06 23:59:59.999 JST and a millisecond later.
        let midnight = NOON + 12 * 3_600_000;
        for (i, at) in [NOON, midnight - 1, midnight].into_iter().enumerate() {
            log.append(&serde_json::json!({ "n": i }), at).unwrap();
        }
        assert_eq!(names(dir.path()), ["2026-12-06.jsonl", "2026-12-07.jsonl"]);
        assert_eq!(log.count().unwrap(), 3);
        let n = numbers(&log);
        assert_eq!(n, [0, 1, 2]);
    }

    #[test]
    fn concurrent_appends_are_each_one_whole_line() {
        let dir = tempfile::tempdir().unwrap();
        let log = Arc::new(log(dir.path()));
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let log = log.clone();
                std::thread::spawn(move || {
                    for i in 0..50 {
                        let record = serde_json::json!({ "w": w, "i": i, "pad": "x".repeat(500) });
                        log.append(&record, NOON).unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let records = log.records().unwrap();
        assert_eq!((records.len(), log.count().unwrap()), (400, 400));
        for w in 0..8 {
            let mine: Vec<_> = records
                .iter()
                .filter(|r| r["w"] == w)
                .map(|r| r["i"].as_i64().unwrap())
                .collect();
            assert_eq!(mine, (0..50).collect::<Vec<_>>(), "writer {w}");
        }
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_the_next_record_starts_on_a_new_line() {
        let dir = tempfile::tempdir().unwrap();
        log(dir.path())
            .append(&serde_json::json!({ "n": 1 }), NOON)
            .unwrap();
        let path = dir.path().join("2026-12-06.jsonl");
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(br#"{"n": 2, "torn"#).unwrap();
        // A new process appends to the same day.
        let log = log(dir.path());
        log.append(&serde_json::json!({ "n": 3 }), NOON).unwrap();
        let n = numbers(&log);
        assert_eq!(n, [1, 3]);
        assert_eq!(log.count().unwrap(), 3, "the torn line counts as a line");
    }

    #[test]
    fn days_past_the_retention_go_when_a_new_day_begins() {
        let dir = tempfile::tempdir().unwrap();
        let log = log(dir.path());
        for days_ago in [40, 31, 30, 29, 1] {
            log.append(&serde_json::json!({}), NOON - days_ago * DAY_MS)
                .unwrap();
        }
        log.append(&serde_json::json!({}), NOON).unwrap();
        // Today is 2026-12-06: the 30 days kept begin on 2026-11-06.
        assert_eq!(
            names(dir.path()),
            [
                "2026-11-06.jsonl",
                "2026-11-07.jsonl",
                "2026-12-05.jsonl",
                "2026-12-06.jsonl"
            ]
        );
    }

    #[test]
    fn records_of_earlier_versions_are_folded_into_the_day_logs() {
        let dir = tempfile::tempdir().unwrap();
        let delivered = serde_json::json!({ "status": "delivered", "delivered_ms": NOON });
        let held = serde_json::json!({ "status": "held", "held_ms": NOON - DAY_MS });
        // Older than the default retention: folded, not pruned (the retention configured may
        // be longer, and pruning waits for the first delivery).
        let old = serde_json::json!({ "status": "delivered", "delivered_ms": NOON - 100 * DAY_MS });
        fs::write(dir.path().join("q1.json"), delivered.to_string()).unwrap();
        fs::write(dir.path().join("q2.json"), held.to_string()).unwrap();
        fs::write(dir.path().join("q0.json"), old.to_string()).unwrap();
        fs::write(dir.path().join("q3.json"), b"{ damaged").unwrap();
        fs::write(dir.path().join("q4.json.0123456789abcdef.tmp"), b"{ half").unwrap();
        let log = log(dir.path());
        assert_eq!(log.fold_legacy().unwrap(), 3);
        assert_eq!(
            names(dir.path()),
            [
                "2026-08-28.jsonl",
                "2026-12-05.jsonl",
                "2026-12-06.jsonl",
                "q3.json"
            ],
            "what cannot be read stays where it is; a temporary file goes"
        );
        assert_eq!(log.records().unwrap(), [old, held, delivered]);
        // Folding again finds nothing more to fold.
        assert_eq!(log.fold_legacy().unwrap(), 0);
        assert_eq!(log.count().unwrap(), 3);
    }
}
