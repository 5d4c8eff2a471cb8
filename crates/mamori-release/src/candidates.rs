//! インシデント候補 from the gateway: quarantine entries held for malware-like content become
//! candidates for the CSIRT, through the store.
//!
//! The quarantine's index is the gateway's and lives in the data folder, so this reads it the
//! same way whether the gateway runs inside `serve` or as its own `mamori gateway` process on
//! that folder: every [`CANDIDATE_EVERY`] it asks the index for the entries of each reason in
//! [`MALWARE_LIKE_REASONS`] received since the last look (a cursor kept in memory, an hour
//! behind the newest entry seen, since an entry is indexed only after the engine ran), and once
//! a day from the beginning (entries indexed late, by the gateway's reconciliation at start).
//! The store keeps one candidate per (source, reference), so finding an entry again is harmless.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mamori_core::incident::CandidateSource;
use mamori_core::release::{MAX_QUARANTINE_PAGE, QuarantineFilter};
use mamori_gateway::quarantine::{self as gq, IndexRow, QuarantineError, QuarantineIndex};
use mamori_store::{IncidentStore, Origin, StoreError};
use tokio::sync::watch;

/// The reasons of a quarantine entry that make it an incident candidate: what points at
/// malware rather than at a rule of the policy. Reason codes are the engine's (a removed part's
/// `RemovalReason`, an ambiguity's kind, as the index keeps them):
/// - `executable`: a part whose content is a program (実行可能ファイル);
/// - `encrypted-archive`: a password-protected archive (PPAP), which cannot be inspected and is
///   how much malware reaches Japanese offices;
/// - `parser-differential`, `conflicting-content-type`, `conflicting-file-name`: a message built
///   so that two readers see different parts or names, the shape of a filter-evasion attempt.
///
/// Not here, being policy or formatting rather than malware: an attachment as such
/// (`attachment`), inline images, non-text alternatives, TNEF, size and depth limits, formatting
/// oddities, and outbound holds (個人番号, 機密性3). Macros are taken out by the disarm and the
/// message delivered, so the engine names no reason for them.
pub const MALWARE_LIKE_REASONS: &[&str] = &[
    "executable",
    "encrypted-archive",
    "parser-differential",
    "conflicting-content-type",
    "conflicting-file-name",
];

/// How often the index is read for new candidates.
pub const CANDIDATE_EVERY: Duration = Duration::from_secs(10);

/// How far behind the newest entry seen the next look starts.
const LOOKBACK_MS: i64 = 60 * 60 * 1000;

/// How often the whole index is read again.
const FULL_PASS_EVERY: Duration = Duration::from_secs(24 * 3600);

/// The longest summary kept.
const SUMMARY_CHARS: usize = 500;

/// Where the candidate job is: the newest receipt time seen.
#[derive(Debug, Default, Clone, Copy)]
pub struct Cursor {
    newest_ms: Option<i64>,
}

/// The malware-like reasons of an entry, in the order the list names them.
pub fn malware_like(row: &IndexRow) -> Vec<&'static str> {
    MALWARE_LIKE_REASONS
        .iter()
        .copied()
        .filter(|r| row.reasons.iter().any(|have| have == r))
        .collect()
}

/// The candidate's summary: its reasons, the sender and the subject, control characters made
/// spaces, at most [`SUMMARY_CHARS`] characters.
pub fn summary(row: &IndexRow) -> String {
    let text = format!(
        "[{}] {}: {}",
        malware_like(row).join(", "),
        row.sender,
        row.subject
    );
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(SUMMARY_CHARS)
        .collect()
}

/// The inbound entries received at or after `since` (all for `None`) with a malware-like
/// reason, each once.
pub fn malware_like_rows(
    index: &QuarantineIndex,
    since: Option<i64>,
) -> Result<Vec<IndexRow>, QuarantineError> {
    let mut rows: Vec<IndexRow> = Vec::new();
    for reason in MALWARE_LIKE_REASONS {
        let mut filter = QuarantineFilter {
            reason: Some((*reason).to_owned()),
            received_from_ms: since,
            limit: MAX_QUARANTINE_PAGE,
            ..QuarantineFilter::default()
        };
        loop {
            let page = index.page(&filter)?;
            for row in page.rows {
                if row.direction == mamori_core::release::Direction::Inbound
                    && !rows.iter().any(|r| r.id == row.id)
                {
                    rows.push(row);
                }
            }
            match page.next {
                Some(next) => filter.before = Some(next),
                None => break,
            }
        }
    }
    rows.sort_by(|a, b| (a.received_ms, &a.id).cmp(&(b.received_ms, &b.id)));
    Ok(rows)
}

/// One look: raises a candidate for each malware-like entry since the cursor and moves it.
/// Answers how many were raised.
pub async fn raise_from_index<S>(
    store: &S,
    index: Arc<QuarantineIndex>,
    cursor: &mut Cursor,
    full: bool,
) -> Result<usize, StoreError>
where
    S: IncidentStore + ?Sized,
{
    let since = if full {
        None
    } else {
        cursor.newest_ms.map(|ms| ms.saturating_sub(LOOKBACK_MS))
    };
    let rows = tokio::task::spawn_blocking(move || malware_like_rows(&index, since))
        .await
        .map_err(|e| StoreError::Unavailable(format!("quarantine index: {e}")))?
        .map_err(|e| StoreError::Unavailable(format!("quarantine index: {e}")))?;
    let origin = Origin::system("gateway candidates");
    let mut raised = 0;
    for row in &rows {
        let made = store
            .raise_incident_candidate(CandidateSource::Gateway, &row.id, &summary(row), &origin)
            .await?;
        if made.is_some() {
            raised += 1;
            tracing::info!(quarantine_id = %row.id, "incident candidate raised from the quarantine");
        }
        cursor.newest_ms = Some(cursor.newest_ms.unwrap_or(i64::MIN).max(row.received_ms));
    }
    Ok(raised)
}

/// The quarantine's index in `data`, `None` while no gateway has made its folder.
fn open_index(data: &Path) -> Result<Option<QuarantineIndex>, QuarantineError> {
    match gq::QuarantineReader::existing(data) {
        Ok(reader) => reader.index().map(Some),
        Err(QuarantineError::NoStore(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Raises candidates from the quarantine of the data folder `data` every [`CANDIDATE_EVERY`]
/// until `shutdown`.
pub async fn candidate_job<S>(store: Arc<S>, data: PathBuf, mut shutdown: watch::Receiver<bool>)
where
    S: IncidentStore + ?Sized,
{
    let mut index: Option<Arc<QuarantineIndex>> = None;
    let mut cursor = Cursor::default();
    let mut last_full: Option<tokio::time::Instant> = None;
    loop {
        if index.is_none() {
            let folder = data.clone();
            match tokio::task::spawn_blocking(move || open_index(&folder)).await {
                Ok(Ok(opened)) => index = opened.map(Arc::new),
                Ok(Err(error)) => tracing::error!(%error, "quarantine index for candidates"),
                Err(error) => tracing::error!(%error, "quarantine index for candidates"),
            }
        }
        if let Some(index) = &index {
            let full = last_full.is_none_or(|at| at.elapsed() >= FULL_PASS_EVERY);
            match raise_from_index(store.as_ref(), index.clone(), &mut cursor, full).await {
                Ok(_) if full => last_full = Some(tokio::time::Instant::now()),
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "incident candidates from the quarantine"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(CANDIDATE_EVERY) => {}
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use mamori_core::release::Direction;
    use mamori_sanitize::{AmbiguityKind, RemovalReason};

    use super::*;

    fn row(reasons: &[&str]) -> IndexRow {
        IndexRow {
            id: "q1".into(),
            received_ms: 0,
            verdict: "sanitized".into(),
            direction: Direction::Inbound,
            sender: "attacker@example.com".into(),
            recipients: vec!["taro@city.example.lg.jp".into()],
            reasons: reasons.iter().map(|r| (*r).to_owned()).collect(),
            subject: "請求書\r\nBcc: x".into(),
            size: Some(10),
            retain_until_ms: 0,
            hold_reason: None,
            release_state: None,
            release_pending: false,
        }
    }

    #[test]
    fn every_malware_like_reason_is_a_name_the_engine_gives() {
        let removal = |r: RemovalReason| serde_json::to_value(r).unwrap();
        let mut names: Vec<String> = [RemovalReason::Executable, RemovalReason::EncryptedArchive]
            .into_iter()
            .map(|r| removal(r).as_str().unwrap().to_owned())
            .collect();
        names.extend(
            [
                AmbiguityKind::ParserDifferential,
                AmbiguityKind::ConflictingContentType,
                AmbiguityKind::ConflictingFileName,
            ]
            .map(|k| k.as_str().to_owned()),
        );
        assert_eq!(MALWARE_LIKE_REASONS, names);
    }

    #[test]
    fn a_policy_refusal_is_no_candidate_and_a_summary_is_one_clean_line() {
        assert!(malware_like(&row(&["attachment", "limit-exceeded", "my-number"])).is_empty());
        let held = row(&["attachment", "encrypted-archive", "executable"]);
        assert_eq!(malware_like(&held), ["executable", "encrypted-archive"]);
        let text = summary(&held);
        assert_eq!(
            text,
            "[executable, encrypted-archive] attacker@example.com: 請求書  Bcc: x"
        );
        let long = IndexRow {
            subject: "長".repeat(2_000),
            ..held
        };
        assert_eq!(summary(&long).chars().count(), SUMMARY_CHARS);
    }
}
