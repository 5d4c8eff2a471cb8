//! Messages whose next state could not be written to the spool: a full disk, a failed fsync, a
//! folder that cannot be opened. Such a message stays where it is on disk, and the worker keeps
//! in memory what it still has to write and when to try again (the retry policy's backoff), so
//! that a failing disk neither spins the worker nor repeats what already happened: a message the
//! next hop took is not sent again while its record waits for the disk, a partial delivery is
//! not repeated to the recipients who took it, and a DSN that could not be spooled is spooled
//! later, once.
//!
//! The memory goes with the process. After a restart such a message is processed afresh from the
//! spool, so a delivered one is delivered once more: at least once, never lost.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::spool::{Envelope, Retry};
use crate::worker::RetryPolicy;

/// The longest a stalled message waits between attempts, however long the retry policy's
/// backoff grows: a write costs little, and a delivered message waiting for its record is sent
/// again if the gateway restarts meanwhile.
const LONGEST_WAIT: Duration = Duration::from_secs(300);

/// What a message still has to write to the spool.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Pending {
    /// Delivered or held: its record, then the message's removal from the spool.
    Record(serde_json::Value),
    /// Recorded: the message's removal from the spool.
    Remove,
    /// Deferred: its retry schedule, then the move to `deferred/`.
    Defer(Retry),
    /// Undeliverable, its DSN spooled: the move to `failed/`.
    Fail,
}

/// A DSN the spool refused: its envelope and bytes, spooled before the message's own state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Dsn {
    pub(crate) envelope: Envelope,
    pub(crate) bytes: Vec<u8>,
}

/// Everything a message still has to write, in order: its DSNs, then its own state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Owed {
    pub(crate) dsns: Vec<Dsn>,
    pub(crate) next: Pending,
}

#[derive(Debug)]
struct Stall {
    /// Failed writes so far.
    attempts: u32,
    /// Not before this moment (ms since the epoch).
    until_ms: i64,
    owed: Option<Owed>,
}

/// The stalled messages of one worker, by queue id.
#[derive(Debug, Default)]
pub(crate) struct Stalled(Mutex<HashMap<String, Stall>>);

impl Stalled {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Stall>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Holds `id` back after a failed write, `owed` being what is still to be written (`None`
    /// when the message itself could not be read); returns the moment of the next attempt.
    pub(crate) fn hold(
        &self,
        id: &str,
        owed: Option<Owed>,
        policy: &RetryPolicy,
        now_ms: i64,
    ) -> i64 {
        let mut map = self.map();
        let stall = map.entry(id.to_string()).or_insert(Stall {
            attempts: 0,
            until_ms: now_ms,
            owed: None,
        });
        stall.attempts = stall.attempts.saturating_add(1);
        let delay = policy.delay(stall.attempts).min(LONGEST_WAIT);
        let delay = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        stall.until_ms = now_ms.saturating_add(delay);
        stall.owed = owed;
        stall.until_ms
    }

    /// Forgets `id` once its state is written.
    pub(crate) fn release(&self, id: &str) {
        self.map().remove(id);
    }

    /// What `id` still has to write, if it is stalled with something owed.
    pub(crate) fn owed(&self, id: &str) -> Option<Owed> {
        self.map().get(id).and_then(|s| s.owed.clone())
    }

    /// The next attempt of each stalled message. Given `present` (every message still in the
    /// spool, as read just now), the stalls of the others are forgotten; without it (the spool
    /// could not be read), every stall is kept.
    pub(crate) fn next_attempts<'a>(
        &self,
        present: Option<impl IntoIterator<Item = &'a String>>,
    ) -> HashMap<String, i64> {
        let mut map = self.map();
        if let Some(present) = present {
            let mut kept = HashMap::new();
            for id in present {
                if let Some(stall) = map.remove(id) {
                    kept.insert(id.clone(), stall);
                }
            }
            *map = kept;
        }
        map.iter().map(|(id, s)| (id.clone(), s.until_ms)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(4),
            lifetime: Duration::from_secs(60),
        }
    }

    fn owed(next: Pending) -> Option<Owed> {
        Some(Owed {
            dsns: Vec::new(),
            next,
        })
    }

    #[test]
    fn each_failed_write_backs_off_further_up_to_the_cap() {
        let stalled = Stalled::default();
        let waits: Vec<i64> = (0..5)
            .map(|_| stalled.hold("a", owed(Pending::Fail), &policy(), 10_000) - 10_000)
            .collect();
        assert_eq!(waits, vec![1_000, 2_000, 4_000, 4_000, 4_000]);
        let long = RetryPolicy {
            max_delay: Duration::from_secs(3_600),
            ..policy()
        };
        let waits: Vec<i64> = (0..12).map(|_| stalled.hold("b", None, &long, 0)).collect();
        assert_eq!(waits.last(), Some(&300_000), "{waits:?}");
        assert_eq!(stalled.owed("a"), owed(Pending::Fail));
        stalled.release("a");
        assert_eq!(stalled.owed("a"), None);
        assert_eq!(
            stalled.hold("a", None, &policy(), 0),
            1_000,
            "released, counted afresh"
        );
    }

    #[test]
    fn the_latest_pending_write_is_kept_and_messages_gone_from_the_spool_are_forgotten() {
        let stalled = Stalled::default();
        let record = owed(Pending::Record(serde_json::json!({"status": "delivered"})));
        stalled.hold("a", owed(Pending::Fail), &policy(), 0);
        stalled.hold("a", record.clone(), &policy(), 0);
        stalled.hold("b", None, &policy(), 0);
        assert_eq!(stalled.owed("a"), record);
        assert_eq!(stalled.owed("b"), None);

        // A spool that could not be read forgets nothing.
        let none = None::<&[String]>;
        assert_eq!(stalled.next_attempts(none).len(), 2);
        let present = vec!["a".to_string(), "c".to_string()];
        let next = stalled.next_attempts(Some(&present));
        assert_eq!(next, HashMap::from([("a".to_string(), 2_000)]));
        assert_eq!(stalled.next_attempts(none).len(), 1);
        assert_eq!(
            stalled.next_attempts(Some(&["b".to_string()])),
            HashMap::new()
        );
    }
}
