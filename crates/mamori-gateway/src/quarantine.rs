//! 隔離 (quarantine) store: the original of every message that went through the engine, kept with
//! retention metadata so that it can be requested and released later.
//!
//! ```text
//! DIR/quarantine/QID/original.eml   the received bytes, written once
//! DIR/quarantine/QID/QUEUEID.json   one record per delivery that carried this original
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::spool::{SpoolError, write_atomic};

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
}

#[derive(Debug, Clone)]
pub struct Quarantine {
    root: PathBuf,
}

impl Quarantine {
    pub fn open(data: &Path) -> Result<Self, SpoolError> {
        let root = data.join("quarantine");
        fs::create_dir_all(&root).map_err(|source| SpoolError::Io {
            path: root.clone(),
            source,
        })?;
        Ok(Self { root })
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

    /// Stores the original (once per id) and this delivery's record, both fsync'd.
    pub fn store(&self, record: &QuarantineRecord, original: &[u8]) -> Result<(), SpoolError> {
        let dir = self.dir(&record.quarantine_id);
        fs::create_dir_all(&dir).map_err(|source| SpoolError::Io {
            path: dir.clone(),
            source,
        })?;
        let eml = dir.join("original.eml");
        if !eml.exists() {
            write_atomic(&eml, original)?;
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
        write_atomic(&dir.join(name), &json)?;
        crate::spool::sync_dir(&self.root)
    }
}
