//! Which trigram a free-text search of the register asks SQLite's index for.
//!
//! The FTS5 trigram index `assets_search` answers a phrase (every trigram of the text, one after
//! the other) by reading the list of every one of those trigrams, so a text with one rare trigram
//! among common ones ("host09" in a register where every asset has a host called `host…`) costs
//! as much as its commonest trigram. Each candidate is checked exactly anyway (see
//! `text_condition`), so the index may be asked for any one trigram of the text instead: the
//! rarest, when it is much rarer than the others together.
//!
//! How many assets hold a trigram is read from the index itself (`assets_search_vocab`) and kept
//! for [`KEPT_MS`]. It only chooses what to ask the index for; what matches is decided by the
//! check, so a count gone stale costs time, never a wrong answer.

use std::collections::HashMap;
use std::sync::Mutex;

use super::SqlStore;
use crate::Result;
use sqlx::Row;

/// How long a trigram's count of assets is used before it is read again (milliseconds).
const KEPT_MS: i64 = 60_000;

/// At most this many trigrams' counts are kept; past it, everything kept is forgotten.
const KEPT_MAX: usize = 4_096;

/// How many characters of the text the index is asked about (the check reads the whole text).
const PROBED_CHARS: usize = 64;

/// A single trigram is asked for when this many times its count is at most the counts of all
/// the text's trigrams together: a candidate read and checked costs about as much as that many
/// entries of the index's lists read for a phrase.
const SINGLE_FACTOR: i64 = 8;

/// How many assets hold each trigram, as last read, and when.
#[derive(Default)]
pub(super) struct TrigramCounts {
    kept: Mutex<HashMap<String, (i64, i64)>>,
}

impl TrigramCounts {
    fn kept(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, i64)>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, trigram: &str, now: i64) -> Option<i64> {
        match self.kept().get(trigram) {
            Some(&(n, at)) if now.saturating_sub(at) < KEPT_MS => Some(n),
            _ => None,
        }
    }

    fn put(&self, trigram: String, n: i64, now: i64) {
        let mut kept = self.kept();
        if kept.len() >= KEPT_MAX {
            kept.clear();
        }
        kept.insert(trigram, (n, now));
    }
}

/// The distinct trigrams of the first [`PROBED_CHARS`] characters of `text`, as the index keeps
/// them (letters folded to lower case; where Rust's folding and the index's differ the count read
/// is 0, which costs time only).
fn trigrams(text: &str) -> Vec<String> {
    let chars: Vec<char> = text
        .chars()
        .take(PROBED_CHARS)
        .map(|c| {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        })
        .collect();
    let mut seen = Vec::new();
    for window in chars.windows(3) {
        let trigram: String = window.iter().collect();
        if !seen.contains(&trigram) {
            seen.push(trigram);
        }
    }
    seen
}

/// `text` as one FTS5 string: every character literal, `"` doubled.
fn fts_string(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The FTS5 query for a text with these trigrams, each with how many assets hold it: the rarest
/// alone when it is rare beside the others, else the phrase of the text's first characters.
fn probe(text: &str, counted: &[(String, i64)]) -> String {
    let total: i64 = counted.iter().map(|(_, n)| *n).sum();
    match counted.iter().min_by_key(|(_, n)| *n) {
        Some((rarest, n)) if n.saturating_mul(SINGLE_FACTOR) <= total => fts_string(rarest),
        _ => fts_string(&text.chars().take(PROBED_CHARS).collect::<String>()),
    }
}

impl SqlStore {
    /// The FTS5 query that finds the candidates of a search for `text` (SQLite; `text` has a
    /// trigram and no NUL).
    pub(super) async fn search_probe(&self, text: &str) -> Result<String> {
        let now = self.clock.now_ms();
        let mut counted = Vec::new();
        for trigram in trigrams(text) {
            let n = match self.trigram_counts.get(&trigram, now) {
                Some(n) => n,
                None => {
                    let n: i64 = sqlx::query("SELECT doc FROM assets_search_vocab WHERE term = $1")
                        .bind(&trigram)
                        .fetch_optional(&self.pool)
                        .await?
                        .map(|row| row.try_get("doc"))
                        .transpose()?
                        .unwrap_or(0);
                    self.trigram_counts.put(trigram.clone(), n, now);
                    n
                }
            };
            counted.push((trigram, n));
        }
        Ok(probe(text, &counted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
        pairs.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect()
    }

    #[test]
    fn trigrams_are_folded_distinct_and_from_the_first_characters() {
        assert_eq!(trigrams("HoSt09"), ["hos", "ost", "st0", "t09"]);
        assert_eq!(trigrams("aaaa"), ["aaa"]);
        assert_eq!(trigrams("資産0"), ["資産0"]);
        assert!(trigrams("ab").is_empty());
        // U+0130 folds to two characters: kept as it is.
        assert_eq!(trigrams("İab"), ["İab"]);
        let long: String = "abcdefghij".repeat(10);
        assert_eq!(trigrams(&long).len(), 10);
        assert!(
            trigrams(&long)
                .iter()
                .all(|t| long[..PROBED_CHARS].contains(t.as_str()))
        );
    }

    #[test]
    fn a_rare_trigram_among_common_ones_is_asked_for_alone() {
        let host = counted(&[
            ("hos", 100_000),
            ("ost", 100_000),
            ("st0", 100_000),
            ("t09", 10_000),
        ]);
        assert_eq!(probe("host09", &host), "\"t09\"");
        // One no asset holds: nothing to read.
        let none = counted(&[("abc", 5), ("bcd", 0)]);
        assert_eq!(probe("abcd", &none), "\"bcd\"");
    }

    #[test]
    fn trigrams_alike_are_asked_for_as_the_phrase() {
        let alike = counted(&[("hos", 100_000), ("ost", 99_000)]);
        assert_eq!(probe("host", &alike), "\"host\"");
        let quoted = counted(&[("a\"b", 3), ("\"bc", 3)]);
        assert_eq!(probe("a\"bc", &quoted), "\"a\"\"bc\"");
        assert_eq!(
            probe(&"x".repeat(100), &counted(&[("xxx", 7)])),
            fts_string(&"x".repeat(PROBED_CHARS))
        );
    }

    #[test]
    fn counts_are_kept_for_a_while_and_within_a_bound() {
        let counts = TrigramCounts::default();
        counts.put("abc".to_owned(), 7, 1_000);
        assert_eq!(counts.get("abc", 1_000 + KEPT_MS - 1), Some(7));
        assert_eq!(counts.get("abc", 1_000 + KEPT_MS), None);
        for i in 0..KEPT_MAX {
            counts.put(format!("t{i}"), 1, 1_000);
        }
        assert!(counts.kept().len() <= KEPT_MAX);
        assert_eq!(counts.get("abc", 1_000), None);
    }
}
