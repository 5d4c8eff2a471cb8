//! The audit trail's anchor: a file outside the database to which every commit of the chain
//! appends its record's number and MAC (`audit.anchor`, one line per commit, opened for appending
//! only and fsync'd). Someone who can edit the database but not this file cannot rewind the
//! trail unseen: deleting every record and resetting the head, or restoring an earlier head and
//! deleting what followed, leaves records the anchor saw missing, which verification names.
//! It does not protect against someone who holds the audit key and every copy of the anchor.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One commit as the anchor saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchorEntry {
    pub seq: i64,
    pub mac: String,
}

/// Where the database's chain departs from its anchor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorBreak {
    /// Records the anchor saw are no longer in the database (the trail was rewound).
    #[error(
        "records {first}..={last} recorded in the anchor are missing from the database ({count} missing)"
    )]
    Missing { first: i64, last: i64, count: u64 },
    /// The database holds another record under a number the anchor saw.
    #[error("record {seq} differs from the one recorded in the anchor")]
    Replaced { seq: i64 },
    /// The anchor file is absent while the chain has records.
    #[error("the anchor file {0} is missing")]
    NoAnchor(String),
    /// A line of the anchor file cannot be read.
    #[error("line {0} of the anchor file cannot be read")]
    Unreadable(usize),
}

/// The open anchor file, shared by every writer of one store.
#[derive(Debug, Clone)]
pub struct Anchor {
    path: PathBuf,
    file: Arc<Mutex<File>>,
}

impl Anchor {
    /// Opens `path` for appending, creating it (mode 0600) when absent.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let mut options = OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path)?;
        Ok(Self {
            path: path.to_owned(),
            file: Arc::new(Mutex::new(file)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one commit and waits until it is on disk.
    pub fn append(&self, seq: i64, mac: &str) -> std::io::Result<()> {
        let mut file = self
            .file
            .lock()
            .map_err(|_| std::io::Error::other("the anchor's lock is poisoned"))?;
        // One write per line: with O_APPEND, lines of several processes never interleave.
        file.write_all(format!("{seq} {mac}\n").as_bytes())?;
        file.sync_data()
    }

    /// Whether the file holds no commit yet.
    pub fn is_empty(&self) -> std::io::Result<bool> {
        Ok(std::fs::metadata(&self.path)?.len() == 0)
    }
}

/// Reads an anchor file: every commit it saw, in the order written.
pub fn read_anchor(path: &Path) -> std::io::Result<Result<Vec<AnchorEntry>, AnchorBreak>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Err(AnchorBreak::NoAnchor(path.display().to_string())));
        }
        Err(e) => return Err(e),
    };
    let mut entries = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        let parsed = line.split_once(' ').and_then(|(seq, mac)| {
            let seq = seq.parse::<i64>().ok()?;
            (!mac.is_empty() && mac.bytes().all(|b| b.is_ascii_hexdigit())).then(|| AnchorEntry {
                seq,
                mac: mac.to_owned(),
            })
        });
        match parsed {
            Some(entry) => entries.push(entry),
            // Named rather than skipped: what was there cannot be told.
            None => return Ok(Err(AnchorBreak::Unreadable(n + 1))),
        }
    }
    Ok(Ok(entries))
}
