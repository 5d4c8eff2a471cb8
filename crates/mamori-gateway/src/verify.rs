//! 受信者確認 (recipient verification, `--verify-recipients`): at RCPT time, ask the next hop
//! whether it would take the recipient, so that mail it would refuse is refused while the
//! client is still there, instead of accepted and bounced later to a sender address that is
//! often forged (backscatter).
//!
//! Modelled on Postfix's `reject_unverified_recipient`: a probe (`MAIL FROM:<>`, `RCPT TO`,
//! `RSET`, `QUIT`, no message) runs in the background, and the RCPT waits for it a few seconds.
//! A 5xx to the probe's RCPT refuses the recipient (550 5.1.1); an answer that says nothing
//! about the recipient (no connection, a 4xx, a probe still running when the wait ends)
//! answers 450 4.1.1, so the client tries again later — Postfix's answer when the result is
//! unknown (`unverified_recipient_defer_code`). While the next hop is down, mail for
//! recipients not yet in the cache therefore waits at the client, not in our spool.
//!
//! Results are cached, positive and negative with their own lifetimes (Postfix refreshes a
//! positive result after 7 days and a negative one after 3 hours), in a cache of bounded size;
//! unknown results are not cached. At most `concurrency` probes run at once and at most
//! `max_pending` addresses wait for one, so a client naming many addresses cannot turn the
//! gateway into a flood against the next hop.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use crate::address::Mailbox;
use crate::client::{self, NextHop, Probe};

/// What is known of a recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Deliverable,
    /// The next hop refused it permanently; its reply, for the log only (it may name internal
    /// hosts).
    Undeliverable(String),
    /// Nothing is known yet; why, for the log.
    Unknown(String),
}

/// How verification probes and caches.
#[derive(Debug, Clone)]
pub struct VerifyPolicy {
    /// How long a deliverable result is kept.
    pub positive_ttl: Duration,
    /// How long an undeliverable result is kept: a mailbox created meanwhile is refused until
    /// then.
    pub negative_ttl: Duration,
    /// Most addresses in the cache.
    pub max_entries: usize,
    /// How long a RCPT waits for the probe before answering 450; the probe goes on, and its
    /// result is cached for the client's next try.
    pub wait: Duration,
    /// Longest probe, connection included.
    pub probe_timeout: Duration,
    /// Probes running at the same time.
    pub concurrency: usize,
    /// Addresses waiting for a probe; beyond this a RCPT is answered 450 at once.
    pub max_pending: usize,
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        Self {
            positive_ttl: Duration::from_secs(7 * 24 * 3600),
            negative_ttl: Duration::from_secs(3 * 3600),
            max_entries: 10_000,
            wait: Duration::from_secs(6),
            probe_timeout: Duration::from_secs(30),
            concurrency: 8,
            max_pending: 500,
        }
    }
}

/// A cache key: the local part as written (the next hop decides whether case matters), the
/// domain in lower case.
fn key(address: &str) -> String {
    match Mailbox::parse(address) {
        Ok(m) => format!("{}@{}", m.local(), m.domain_key()),
        Err(_) => address.to_string(),
    }
}

/// Known results with their expiry, at most `max` of them.
#[derive(Debug)]
pub struct VerifyCache {
    entries: HashMap<String, (Verdict, Instant)>,
    max: usize,
}

impl VerifyCache {
    pub fn new(max: usize) -> Self {
        Self {
            entries: HashMap::new(),
            max: max.max(1),
        }
    }

    /// The result for `key` if it is still fresh at `now`.
    pub fn get(&mut self, key: &str, now: Instant) -> Option<Verdict> {
        match self.entries.get(key) {
            Some((verdict, expires)) if *expires > now => Some(verdict.clone()),
            Some(_) => {
                self.entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Keeps `verdict` for `ttl`. When full, expired results go first, then the one that would
    /// expire soonest.
    pub fn insert(&mut self, key: String, verdict: Verdict, ttl: Duration, now: Instant) {
        if !self.entries.contains_key(&key) && self.entries.len() >= self.max {
            self.entries.retain(|_, (_, expires)| *expires > now);
            if self.entries.len() >= self.max
                && let Some(oldest) = self
                    .entries
                    .iter()
                    .min_by_key(|(_, (_, expires))| *expires)
                    .map(|(k, _)| k.clone())
            {
                self.entries.remove(&oldest);
            }
        }
        let expires = now.checked_add(ttl).unwrap_or(now);
        self.entries.insert(key, (verdict, expires));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

struct State {
    cache: VerifyCache,
    /// Probes running or waiting, by key; each RCPT for the address waits on the same one.
    pending: HashMap<String, watch::Receiver<Option<Verdict>>>,
}

/// Verifies recipients against one next hop; shared by every connection of a gateway.
pub struct RecipientVerifier {
    hop: NextHop,
    policy: VerifyPolicy,
    state: Mutex<State>,
    probes: Arc<Semaphore>,
}

impl RecipientVerifier {
    pub fn new(hop: NextHop, policy: VerifyPolicy) -> Self {
        Self {
            state: Mutex::new(State {
                cache: VerifyCache::new(policy.max_entries),
                pending: HashMap::new(),
            }),
            probes: Arc::new(Semaphore::new(policy.concurrency.max(1))),
            hop,
            policy,
        }
    }

    /// What is known of `address`, asking the next hop when the cache does not know.
    pub async fn verify(self: &Arc<Self>, address: &str) -> Verdict {
        let key = key(address);
        let mut waiting = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(known) = state.cache.get(&key, Instant::now()) {
                return known;
            }
            if let Some(rx) = state.pending.get(&key) {
                rx.clone()
            } else if state.pending.len() >= self.policy.max_pending {
                return Verdict::Unknown("too many verifications in progress".into());
            } else {
                let (tx, rx) = watch::channel(None);
                state.pending.insert(key.clone(), rx.clone());
                tokio::spawn(self.clone().probe(key, address.to_string(), tx));
                rx
            }
        };
        let answered = tokio::time::timeout(self.policy.wait, waiting.wait_for(Option::is_some));
        match answered.await {
            // `wait_for` returns only once the value is `Some`.
            Ok(Ok(result)) => result
                .clone()
                .unwrap_or_else(|| Verdict::Unknown("no result".into())),
            Ok(Err(_)) => Verdict::Unknown("the verification ended without a result".into()),
            Err(_) => Verdict::Unknown("verification in progress".into()),
        }
    }

    /// Runs one probe when a place is free, caches what it learnt and tells the waiting RCPTs.
    async fn probe(
        self: Arc<Self>,
        key: String,
        address: String,
        tx: watch::Sender<Option<Verdict>>,
    ) {
        let verdict = match self.probes.clone().acquire_owned().await {
            Ok(_permit) => {
                let probe = client::probe(&self.hop, &address);
                match tokio::time::timeout(self.policy.probe_timeout, probe).await {
                    Ok(Probe::Accepted) => Verdict::Deliverable,
                    Ok(Probe::Refused(reply)) => Verdict::Undeliverable(reply),
                    Ok(Probe::Unknown(why)) => Verdict::Unknown(why),
                    Err(_) => Verdict::Unknown("the next hop did not answer in time".into()),
                }
            }
            Err(_) => Verdict::Unknown("verification stopped".into()),
        };
        tracing::info!(recipient = %address, next_hop = %self.hop.address, ?verdict, "recipient verified");
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.pending.remove(&key);
        let ttl = match &verdict {
            Verdict::Deliverable => Some(self.policy.positive_ttl),
            Verdict::Undeliverable(_) => Some(self.policy.negative_ttl),
            Verdict::Unknown(_) => None,
        };
        if let Some(ttl) = ttl {
            state
                .cache
                .insert(key, verdict.clone(), ttl, Instant::now());
        }
        drop(state);
        let _ = tx.send(Some(verdict));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> Verdict {
        Verdict::Undeliverable("550 5.1.1 no such user".into())
    }

    #[test]
    fn results_expire_after_their_lifetime() {
        let now = Instant::now();
        let mut cache = VerifyCache::new(10);
        cache.insert(
            "a@x".into(),
            Verdict::Deliverable,
            Duration::from_secs(60),
            now,
        );
        cache.insert("b@x".into(), refused(), Duration::from_secs(10), now);
        let later = now + Duration::from_secs(10);
        assert_eq!(cache.get("a@x", later), Some(Verdict::Deliverable));
        assert_eq!(
            cache.get("b@x", later),
            None,
            "a negative result lives shorter"
        );
        assert_eq!(cache.get("a@x", now + Duration::from_secs(60)), None);
        assert!(cache.is_empty());
    }

    #[test]
    fn a_full_cache_drops_expired_then_the_soonest_to_expire() {
        let now = Instant::now();
        let mut cache = VerifyCache::new(3);
        cache.insert("short@x".into(), refused(), Duration::from_secs(5), now);
        cache.insert("mid@x".into(), refused(), Duration::from_secs(50), now);
        cache.insert(
            "long@x".into(),
            Verdict::Deliverable,
            Duration::from_secs(500),
            now,
        );
        cache.insert(
            "new@x".into(),
            Verdict::Deliverable,
            Duration::from_secs(500),
            now,
        );
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get("short@x", now), None);
        assert!(cache.get("mid@x", now).is_some());
        let later = now + Duration::from_secs(60);
        cache.insert(
            "newer@x".into(),
            Verdict::Deliverable,
            Duration::from_secs(500),
            later,
        );
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get("mid@x", later), None, "expired, dropped first");
        // Updating a known address never evicts another.
        cache.insert("new@x".into(), refused(), Duration::from_secs(5), later);
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get("new@x", later), Some(refused()));
    }

    #[test]
    fn the_domain_is_compared_without_case_and_the_local_part_as_written() {
        assert_eq!(key("User@City.Example.LG.JP."), "User@city.example.lg.jp");
        assert_ne!(
            key("user@city.example.lg.jp"),
            key("USER@city.example.lg.jp")
        );
    }
}
