//! Failed-login throttling, and the cap on concurrent password verifications.
//!
//! Failures are counted over a sliding window of 15 minutes against several keys at once:
//!
//! | stage          | key                        | limit |
//! |----------------|----------------------------|-------|
//! | password       | account name × address     | 5     |
//! | password       | account name               | 50    |
//! | password       | address                    | 20    |
//! | second factor  | account name               | 5     |
//! | second factor  | address                    | 20    |
//!
//! A stranger who knows an account's name can lock it out only from their own address (5), or
//! everywhere only after 50 guesses from many addresses; the second factor is counted per
//! account because reaching it needs the password.
//!
//! An attempt is *reserved* before the password is verified (it counts as a failure from that
//! moment) and released when it succeeds, so parallel guesses cannot all pass the check before
//! any of them is counted. Keys are SHA-256 digests of fixed size, never the name as sent, and
//! the map is bounded.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};
use tokio::sync::{Semaphore, SemaphorePermit};

/// The longest account name looked at; a longer one is refused before anything else.
pub const MAX_USERNAME_BYTES: usize = 256;

/// Which check an attempt passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The password (at login, or the current password on the account page).
    Password,
    /// A TOTP or recovery code.
    SecondFactor,
}

/// The attempt was refused: too many failures in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// Whether this refusal should be written to the audit trail: the first for its address in
    /// the window.
    pub audit: bool,
}

type Key = [u8; 32];

#[derive(Default)]
struct Bucket {
    /// Times of the failures (and reservations) still inside the window, oldest first.
    hits: Vec<i64>,
    /// When a throttled refusal from this address was last written to the audit trail.
    audited_at: Option<i64>,
}

impl Bucket {
    fn prune(&mut self, now_ms: i64) {
        self.hits.retain(|t| now_ms - t < Throttle::WINDOW_MS);
    }

    fn is_idle(&self, now_ms: i64) -> bool {
        self.hits.iter().all(|t| now_ms - t >= Throttle::WINDOW_MS)
            && self
                .audited_at
                .is_none_or(|t| now_ms - t >= Throttle::WINDOW_MS)
    }
}

/// Failed-login throttling over a sliding window. Kept in memory: each web node throttles what
/// it sees.
pub struct Throttle {
    buckets: Mutex<HashMap<Key, Bucket>>,
    verifications: Semaphore,
}

impl Default for Throttle {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self {
            buckets: Mutex::new(HashMap::new()),
            verifications: Semaphore::new(cores * Self::VERIFICATIONS_PER_CORE),
        }
    }
}

/// A reserved attempt. Dropped without [`Attempt::succeeded`], it stays counted as a failure.
#[must_use = "an attempt counts as a failure unless it succeeded"]
pub struct Attempt<'a> {
    throttle: &'a Throttle,
    keys: Vec<Key>,
    /// The keys cleared on success (the account's own counts of this stage).
    clear: Vec<Key>,
    at: i64,
}

impl Attempt<'_> {
    /// The attempt failed: it stays counted.
    pub fn failed(self) {}

    /// The attempt succeeded: its reservation is released, and the failures it would otherwise
    /// leave against the account from this address are forgotten.
    pub fn succeeded(self) {
        let mut map = self.throttle.lock();
        for key in &self.keys {
            if let Some(bucket) = map.get_mut(key)
                && let Some(i) = bucket.hits.iter().rposition(|t| *t == self.at)
            {
                bucket.hits.remove(i);
            }
        }
        for key in &self.clear {
            if let Some(bucket) = map.get_mut(key) {
                bucket.hits.clear();
            }
        }
    }

    /// The check passed, but the login is not complete yet (a second factor follows): the
    /// reservation is released and nothing is forgotten.
    pub fn passed(self) {
        let mut map = self.throttle.lock();
        for key in &self.keys {
            if let Some(bucket) = map.get_mut(key)
                && let Some(i) = bucket.hits.iter().rposition(|t| *t == self.at)
            {
                bucket.hits.remove(i);
            }
        }
    }
}

impl Throttle {
    pub const WINDOW_MS: i64 = 15 * 60 * 1000;
    pub const PER_ACCOUNT_AND_ADDRESS: usize = 5;
    pub const PER_ACCOUNT: usize = 50;
    pub const PER_ADDRESS: usize = 20;
    pub const SECOND_FACTOR_PER_ACCOUNT: usize = 5;
    /// The most keys kept; past it, expired ones are dropped, then the stalest.
    pub const MAX_KEYS: usize = 100_000;
    const VERIFICATIONS_PER_CORE: usize = 4;

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Bucket>> {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn key(kind: &str, username: Option<&str>, address: &str) -> Key {
        let mut hash = Sha256::new();
        hash.update(kind.as_bytes());
        hash.update([0]);
        if let Some(name) = username {
            hash.update(name.to_lowercase().as_bytes());
        }
        hash.update([0]);
        hash.update(address.as_bytes());
        hash.finalize().into()
    }

    /// The keys an attempt counts against, each with its limit.
    fn keys(stage: Stage, username: Option<&str>, address: &str) -> Vec<(Key, usize)> {
        let by_address = (Self::key("a", None, address), Self::PER_ADDRESS);
        let Some(name) = username else {
            return vec![by_address];
        };
        match stage {
            Stage::Password => vec![
                (
                    Self::key("pa", Some(name), address),
                    Self::PER_ACCOUNT_AND_ADDRESS,
                ),
                (Self::key("p", Some(name), ""), Self::PER_ACCOUNT),
                by_address,
            ],
            Stage::SecondFactor => vec![
                (
                    Self::key("f", Some(name), ""),
                    Self::SECOND_FACTOR_PER_ACCOUNT,
                ),
                by_address,
            ],
        }
    }

    /// Reserves an attempt, or refuses it when one of its keys is at its limit. `username` is
    /// `None` for a name that is refused unread (too long): only the address counts then.
    pub fn reserve(
        &self,
        stage: Stage,
        username: Option<&str>,
        address: &str,
        now_ms: i64,
    ) -> Result<Attempt<'_>, Throttled> {
        let keys = Self::keys(stage, username, address);
        let mut map = self.lock();
        let over = keys.iter().any(|(key, limit)| {
            map.get_mut(key).is_some_and(|bucket| {
                bucket.prune(now_ms);
                bucket.hits.len() >= *limit
            })
        });
        if over {
            // One record per address and window, however many refusals follow.
            let address_key = Self::key("a", None, address);
            let audit = match map.get_mut(&address_key) {
                Some(bucket) => {
                    let due = bucket
                        .audited_at
                        .is_none_or(|t| now_ms - t >= Self::WINDOW_MS);
                    if due {
                        bucket.audited_at = Some(now_ms);
                    }
                    due
                }
                None => {
                    Self::make_room(&mut map, now_ms);
                    map.insert(
                        address_key,
                        Bucket {
                            hits: Vec::new(),
                            audited_at: Some(now_ms),
                        },
                    );
                    true
                }
            };
            return Err(Throttled { audit });
        }
        for (key, _) in &keys {
            if !map.contains_key(key) {
                Self::make_room(&mut map, now_ms);
            }
            map.entry(*key).or_default().hits.push(now_ms);
        }
        let clear = match (stage, username) {
            (Stage::Password, Some(name)) => vec![Self::key("pa", Some(name), address)],
            (Stage::SecondFactor, Some(name)) => vec![Self::key("f", Some(name), "")],
            (_, None) => Vec::new(),
        };
        Ok(Attempt {
            throttle: self,
            keys: keys.into_iter().map(|(k, _)| k).collect(),
            clear,
            at: now_ms,
        })
    }

    /// Keeps the map below its bound before a key is added.
    fn make_room(map: &mut HashMap<Key, Bucket>, now_ms: i64) {
        if map.len() < Self::MAX_KEYS {
            return;
        }
        map.retain(|_, bucket| !bucket.is_idle(now_ms));
        while map.len() >= Self::MAX_KEYS {
            let stalest = map
                .iter()
                .min_by_key(|(_, b)| b.hits.last().copied().or(b.audited_at).unwrap_or(0))
                .map(|(k, _)| *k);
            match stalest {
                Some(key) => map.remove(&key),
                None => break,
            };
        }
    }

    /// How many keys are kept (for tests and `/metrics`).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits for a turn to run a password hash: a few per core at once, so that a burst of
    /// logins queues rather than exhausting memory and the blocking threads.
    pub async fn verification(&self) -> SemaphorePermit<'_> {
        self.verifications
            .acquire()
            .await
            .expect("the semaphore is never closed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_stays_bounded_and_keys_are_fixed_size() {
        let throttle = Throttle::default();
        for i in 0..Throttle::MAX_KEYS + 50 {
            let address = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
            if let Ok(a) = throttle.reserve(Stage::Password, Some("someone"), &address, 0) {
                a.failed();
            }
        }
        assert!(throttle.len() <= Throttle::MAX_KEYS);
    }

    #[test]
    fn a_throttled_address_is_audited_once_per_window() {
        let throttle = Throttle::default();
        for i in 0..Throttle::PER_ADDRESS {
            throttle
                .reserve(Stage::Password, Some(&format!("n{i}")), "192.0.2.1", 0)
                .unwrap()
                .failed();
        }
        let audits: Vec<bool> = (0..10)
            .map(|i| {
                throttle
                    .reserve(Stage::Password, Some(&format!("m{i}")), "192.0.2.1", 1)
                    .err()
                    .unwrap()
                    .audit
            })
            .collect();
        assert_eq!(audits.iter().filter(|a| **a).count(), 1);
        let later = throttle
            .reserve(
                Stage::Password,
                Some("z"),
                "192.0.2.1",
                Throttle::WINDOW_MS + 2,
            )
            .map(Attempt::failed);
        assert!(later.is_ok());
    }

    /// A few password checks per core run at once; the next waits until one of them ends.
    #[tokio::test]
    async fn concurrent_verifications_are_capped() {
        let throttle = Throttle::default();
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let cap = cores * Throttle::VERIFICATIONS_PER_CORE;
        assert_eq!(throttle.verifications.available_permits(), cap);
        let mut turns = Vec::new();
        for _ in 0..cap {
            turns.push(throttle.verification().await);
        }
        let wait = std::time::Duration::from_millis(50);
        assert!(
            tokio::time::timeout(wait, throttle.verification())
                .await
                .is_err(),
            "a verification beyond the cap started"
        );
        turns.pop();
        assert!(
            tokio::time::timeout(wait, throttle.verification())
                .await
                .is_ok(),
            "a freed turn was not taken"
        );
    }

    /// A successful attempt gives its reservation back: it is not one of the failures that
    /// throttle the address afterwards. One that failed, or was dropped, stays counted.
    #[test]
    fn a_success_releases_its_reservation() {
        let throttle = Throttle::default();
        let address = "192.0.2.7";
        for i in 0..Throttle::PER_ADDRESS - 2 {
            throttle
                .reserve(Stage::Password, Some(&format!("n{i}")), address, 0)
                .unwrap()
                .failed();
        }
        for _ in 0..3 {
            throttle
                .reserve(Stage::Password, Some("staff"), address, 1)
                .unwrap()
                .succeeded();
            throttle
                .reserve(Stage::Password, Some("kacho"), address, 1)
                .unwrap()
                .passed();
        }
        // Dropped without an outcome: counted, the address's 19th.
        drop(throttle.reserve(Stage::Password, Some("x"), address, 2));
        throttle
            .reserve(Stage::Password, Some("y"), address, 3)
            .unwrap()
            .failed();
        assert!(
            throttle
                .reserve(Stage::Password, Some("z"), address, 4)
                .is_err(),
            "twenty failures and the address is not throttled"
        );
    }
}
