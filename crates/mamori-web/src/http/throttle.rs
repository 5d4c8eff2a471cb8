//! Failed-login throttling.

use std::collections::HashMap;
use std::sync::Mutex;

/// Failed-login throttling, per account name and per client address, over a sliding window.
/// Kept in memory: each web node throttles what it sees.
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Vec<i64>>>,
}

impl Throttle {
    const WINDOW_MS: i64 = 15 * 60 * 1000;
    const PER_ACCOUNT: usize = 5;
    const PER_ADDRESS: usize = 20;

    fn keys(username: &str, address: &str) -> [(String, usize); 2] {
        [
            (
                format!("u:{}", username.to_ascii_lowercase()),
                Self::PER_ACCOUNT,
            ),
            (format!("a:{address}"), Self::PER_ADDRESS),
        ]
    }

    /// Whether another attempt may be made now.
    pub fn allows(&self, username: &str, address: &str, now_ms: i64) -> bool {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        Self::keys(username, address).iter().all(|(key, limit)| {
            let entry = map.entry(key.clone()).or_default();
            entry.retain(|t| now_ms - t < Self::WINDOW_MS);
            entry.len() < *limit
        })
    }

    pub fn failed(&self, username: &str, address: &str, now_ms: i64) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            // Bound memory under a spray of random names: drop entries that have expired.
            map.retain(|_, v| v.iter().any(|t| now_ms - t < Self::WINDOW_MS));
        }
        for (key, _) in Self::keys(username, address) {
            map.entry(key).or_default().push(now_ms);
        }
    }

    pub fn succeeded(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&format!("u:{}", username.to_ascii_lowercase()));
    }
}
