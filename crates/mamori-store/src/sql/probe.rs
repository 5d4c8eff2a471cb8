//! What a free-text search of the register asks SQLite's indexes for.
//!
//! A text of three characters or more asks the FTS5 trigram index `assets_search`. It answers a
//! phrase (every trigram of the text, one after the other) by reading the list of every one of
//! those trigrams, so a text with one rare trigram among common ones ("host09" in a register
//! where every asset has a host called `host…`) costs as much as its commonest trigram. Each
//! candidate is checked exactly anyway (see `text_condition`), so the index may be asked for any
//! one trigram of the text instead: the rarest, when it is much rarer than the others together.
//!
//! How many assets hold a trigram is read from the index itself (`assets_search_vocab`) and kept
//! for [`KEPT_MS`]. It only chooses what to ask the index for; what matches is decided by the
//! check, so a count gone stale costs time, never a wrong answer.
//!
//! A text of one or two characters has no trigram: it asks the index of character pairs
//! `assets_pairs` (migration 0026) for its pair, or for the pairs its one character begins.
//!
//! On PostgreSQL such a text may ask the index of each asset's characters (migration 28) for the
//! assets that hold all of its characters. That test costs more per row than the `LIKE` it would
//! spare, so it is asked only when one of the characters is rare: what share of the assets holds
//! each character comes from the planner's statistics of the index's expression, kept for
//! [`KEPT_MS`]. A character they do not name is rare. The index splits the text into the
//! database encoding's characters, so it is asked only on a UTF-8 database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::SqlStore;
use crate::Result;
use sqlx::Row;

/// How long a trigram's count of assets is used before it is read again (milliseconds).
const KEPT_MS: i64 = 60_000;

/// At most this many trigrams' counts are kept; past it, everything kept is forgotten.
const KEPT_MAX: usize = 4_096;

/// How many characters of the text the index is asked about (the check reads the whole text).
const PROBED_CHARS: usize = 64;

/// At most this many of a text's trigrams are counted, spread through it: reading a count costs
/// about as much as reading that trigram's list.
const COUNTED_MAX: usize = 8;

/// A single trigram is asked for when this many times its count is at most the counts of all
/// the text's trigrams together: a candidate read and checked costs about as much as that many
/// entries of the index's lists read for a phrase.
const SINGLE_FACTOR: i64 = 8;

/// A character held by at least this share of the assets is common (PostgreSQL).
const COMMON_SHARE: f64 = 0.02;

/// The share of the assets holding each common character, by character.
type Shares = Arc<HashMap<String, f64>>;

/// The shares of the common characters, as last read from the planner's statistics, and when
/// (PostgreSQL); no shares where the index of characters cannot be asked.
#[derive(Default)]
pub(super) struct CharacterShares {
    kept: Mutex<Option<(i64, Option<Shares>)>>,
}

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

/// A trigram of the text: as written (what the index is asked, which folds it as it folds what
/// it keeps) and as the index keeps it, to look its count up by.
#[derive(Debug, PartialEq, Eq)]
struct Trigram {
    written: String,
    key: String,
}

/// Distinct trigrams of the first [`PROBED_CHARS`] characters of `text`, at most
/// [`COUNTED_MAX`] of them, spread through it. The key folds letters to lower case as Rust does;
/// where the index folds otherwise, the key's count reads 0 and the trigram may be asked for
/// though common: that costs time only, since it is asked as written.
fn trigrams(text: &str) -> Vec<Trigram> {
    let chars: Vec<char> = text.chars().take(PROBED_CHARS).collect();
    let mut all: Vec<Trigram> = Vec::new();
    for window in chars.windows(3) {
        let written: String = window.iter().collect();
        let key: String = window
            .iter()
            .map(|&c| {
                let mut lower = c.to_lowercase();
                match (lower.next(), lower.next()) {
                    (Some(l), None) => l,
                    _ => c,
                }
            })
            .collect();
        if !all.iter().any(|t| t.key == key) {
            all.push(Trigram { written, key });
        }
    }
    if all.len() <= COUNTED_MAX {
        return all;
    }
    // The first and the last, and six between.
    let last = all.len() - 1;
    let picked: Vec<usize> = (0..COUNTED_MAX)
        .map(|i| i * last / (COUNTED_MAX - 1))
        .collect();
    all.into_iter()
        .enumerate()
        .filter(|(j, _)| picked.contains(j))
        .map(|(_, t)| t)
        .collect()
}

/// Whether `text` has a trigram for the indexes to look up (and no NUL, which no stored text
/// holds).
pub(super) fn has_trigram(text: &str) -> bool {
    text.chars().nth(2).is_some() && !text.contains('\0')
}

/// The FTS5 table of trigrams.
const TRIGRAMS: &str = "assets_search";

/// The FTS5 table of character pairs.
const PAIRS: &str = "assets_pairs";

/// Which of SQLite's search indexes a search reads its candidates from, and what it asks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Probe {
    /// The FTS5 table, which the query reads joined to the register by rowid.
    pub(super) index: &'static str,
    /// The FTS5 query.
    pub(super) query: String,
}

/// The probe of a text of one or two characters: its pair, or the pairs its character begins
/// (the pair index keeps each column's last character alone, so these are every place the
/// character is). None for a longer text, or one the pair index cannot answer: one with a space,
/// which parts the index's pairs, or NUL.
fn pair_probe(text: &str) -> Option<Probe> {
    if text.contains([' ', '\0']) {
        return None;
    }
    let mut chars = text.chars();
    let query = match (chars.next(), chars.next(), chars.next()) {
        (Some(_), None, _) => format!("{}*", fts_string(text)),
        (Some(_), Some(_), None) => fts_string(text),
        _ => return None,
    };
    Some(Probe {
        index: PAIRS,
        query,
    })
}

/// `text` as one FTS5 string: every character literal, `"` doubled.
fn fts_string(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The FTS5 query for a text with these trigrams (as written), each with how many assets hold
/// it: the rarest alone when it is rare beside the others, else the phrase of the text's first
/// characters.
fn trigram_query(text: &str, counted: &[(String, i64)]) -> String {
    let total: i64 = counted.iter().map(|(_, n)| *n).sum();
    match counted.iter().min_by_key(|(_, n)| *n) {
        Some((rarest, n)) if n.saturating_mul(SINGLE_FACTOR) <= total => fts_string(rarest),
        _ => fts_string(&text.chars().take(PROBED_CHARS).collect::<String>()),
    }
}

/// Whether a text's characters, `shares` being those of the common ones, include a rare one.
fn has_rare_character(text: &str, shares: &HashMap<String, f64>) -> bool {
    text.to_ascii_lowercase().chars().any(|c| {
        shares
            .get(c.encode_utf8(&mut [0; 4]) as &str)
            .is_none_or(|&s| s < COMMON_SHARE)
    })
}

impl SqlStore {
    /// Whether a search for `text` asks PostgreSQL's index of characters: a text of one or two
    /// characters, one of them rare.
    pub(super) async fn narrows_by_characters(&self, text: &str) -> Result<bool> {
        if has_trigram(text) || text.contains('\0') {
            return Ok(false);
        }
        let now = self.clock.now_ms();
        let kept = self
            .character_shares
            .kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .filter(|(at, _)| now.saturating_sub(*at) < KEPT_MS)
            .map(|(_, shares)| shares.clone());
        let shares = match kept {
            Some(shares) => shares,
            None => {
                // The index splits the text into the database encoding's characters: only in
                // UTF-8 are they the characters a search asks for (SQL_ASCII splits bytes).
                let encoding: String =
                    sqlx::query("SELECT current_setting('server_encoding') AS encoding")
                        .fetch_one(&self.pool)
                        .await?
                        .try_get("encoding")?;
                let rows = sqlx::query(
                    "SELECT u.e AS e, u.f::float8 AS f FROM pg_stats s, \
                     unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS u(e, f) \
                     WHERE s.schemaname = current_schema() AND s.tablename = 'assets_search_chars' \
                     AND u.e IS NOT NULL",
                )
                .fetch_all(&self.pool)
                .await?;
                let mut shares = HashMap::new();
                for row in rows {
                    shares.insert(row.try_get::<String, _>("e")?, row.try_get::<f64, _>("f")?);
                }
                let shares = (encoding == "UTF8").then(|| Arc::new(shares));
                *self
                    .character_shares
                    .kept
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some((now, shares.clone()));
                shares
            }
        };
        Ok(shares.is_some_and(|shares| has_rare_character(text, &shares)))
    }

    /// What finds the candidates of a search for `text` (SQLite): none where no index can
    /// answer it, and every row read is checked.
    pub(super) async fn search_probe(&self, text: &str) -> Result<Option<Probe>> {
        if !has_trigram(text) {
            return Ok(pair_probe(text));
        }
        let now = self.clock.now_ms();
        let mut counted = Vec::new();
        for Trigram { written, key } in trigrams(text) {
            let n = match self.trigram_counts.get(&key, now) {
                Some(n) => n,
                None => {
                    let n: i64 = sqlx::query("SELECT doc FROM assets_search_vocab WHERE term = $1")
                        .bind(&key)
                        .fetch_optional(&self.pool)
                        .await?
                        .map(|row| row.try_get("doc"))
                        .transpose()?
                        .unwrap_or(0);
                    self.trigram_counts.put(key, n, now);
                    n
                }
            };
            counted.push((written, n));
        }
        Ok(Some(Probe {
            index: TRIGRAMS,
            query: trigram_query(text, &counted),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
        pairs.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect()
    }

    #[test]
    fn a_text_is_narrowed_by_its_characters_when_one_of_them_is_rare() {
        let shares: HashMap<String, f64> = [("0", 0.99), ("9", 0.6), ("庁", 0.99), ("x", 0.01)]
            .iter()
            .map(|(c, s)| ((*c).to_owned(), *s))
            .collect();
        for (text, rare) in [
            ("09", false),
            ("0", false),
            ("庁", false),
            ("課", true),
            ("課0", true),
            ("x", true),
            ("X9", true),
        ] {
            assert_eq!(has_rare_character(text, &shares), rare, "{text}");
        }
        assert!(
            has_rare_character("0", &HashMap::new()),
            "no statistics yet"
        );
    }

    fn keys(text: &str) -> Vec<String> {
        trigrams(text).into_iter().map(|t| t.key).collect()
    }

    #[test]
    fn trigrams_are_folded_distinct_and_from_the_first_characters() {
        assert_eq!(keys("HoSt09"), ["hos", "ost", "st0", "t09"]);
        assert_eq!(keys("aaaa"), ["aaa"]);
        assert_eq!(keys("AaAa"), ["aaa"]);
        assert_eq!(keys("資産0"), ["資産0"]);
        assert!(trigrams("ab").is_empty());
        // U+0130 folds to two characters: kept as it is.
        assert_eq!(keys("İab"), ["İab"]);
        // At most eight, spread through the text's first characters, the first and the last
        // among them.
        let long: String = "abcdefghijklmnopqrstuvwxyz".repeat(4);
        let spread = keys(&long);
        assert_eq!(spread.len(), COUNTED_MAX);
        assert_eq!(spread.first().map(String::as_str), Some("abc"));
        assert_eq!(spread.last().map(String::as_str), Some("zab"));
        assert!(
            spread
                .iter()
                .all(|t| long[..PROBED_CHARS].contains(t.as_str()))
        );
        assert_eq!(keys("abcdefgh-09").last().map(String::as_str), Some("-09"));
    }

    #[test]
    fn trigrams_are_asked_for_as_written() {
        // Where the index folds a letter otherwise than Rust, the key is Rust's, for the count;
        // what the index is asked is a piece of the text itself.
        for text in ["ͿAB", "HOST09", "Ᏸxy"] {
            let found = trigrams(text);
            assert!(
                found.iter().all(|t| text.contains(t.written.as_str())),
                "{text}"
            );
            let counted: Vec<(String, i64)> = found
                .into_iter()
                .enumerate()
                .map(|(i, t)| (t.written, if i == 0 { 0 } else { 1_000 }))
                .collect();
            let asked = trigram_query(text, &counted);
            assert!(text.contains(asked.trim_matches('"')), "{text}: {asked}");
        }
        assert_eq!(trigrams("HOST09")[3].written, "T09");
    }

    #[test]
    fn a_rare_trigram_among_common_ones_is_asked_for_alone() {
        let host = counted(&[
            ("hos", 100_000),
            ("ost", 100_000),
            ("st0", 100_000),
            ("t09", 10_000),
        ]);
        assert_eq!(trigram_query("host09", &host), "\"t09\"");
        // One no asset holds: nothing to read.
        let none = counted(&[("abc", 5), ("bcd", 0)]);
        assert_eq!(trigram_query("abcd", &none), "\"bcd\"");
    }

    #[test]
    fn trigrams_alike_are_asked_for_as_the_phrase() {
        let alike = counted(&[("hos", 100_000), ("ost", 99_000)]);
        assert_eq!(trigram_query("host", &alike), "\"host\"");
        let quoted = counted(&[("a\"b", 3), ("\"bc", 3)]);
        assert_eq!(trigram_query("a\"bc", &quoted), "\"a\"\"bc\"");
        assert_eq!(
            trigram_query(&"x".repeat(100), &counted(&[("xxx", 7)])),
            fts_string(&"x".repeat(PROBED_CHARS))
        );
    }

    #[test]
    fn short_texts_ask_the_pair_index() {
        let asked = |text: &str| pair_probe(text).map(|p| (p.index, p.query));
        assert_eq!(asked("課長"), Some((PAIRS, "\"課長\"".to_owned())));
        assert_eq!(asked("課"), Some((PAIRS, "\"課\"*".to_owned())));
        assert_eq!(asked("\""), Some((PAIRS, "\"\"\"\"*".to_owned())));
        assert_eq!(asked("*\""), Some((PAIRS, "\"*\"\"\"".to_owned())));
        assert_eq!(asked("𠮷x"), Some((PAIRS, "\"𠮷x\"".to_owned())));
        // What the index cannot answer: a space parts its pairs; no stored text holds NUL.
        assert_eq!(asked("a "), None);
        assert_eq!(asked(" "), None);
        assert_eq!(asked("a\0"), None);
        assert_eq!(asked(""), None);
        assert_eq!(asked("abc"), None);
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
