//! 実施状況: what a unit says of a measure, and the tally of many such answers that the coverage
//! of the basic policy is read from.

use serde::{Deserialize, Serialize};

use crate::text::{FieldError, FieldErrorKind, parse_note};

/// How far a unit has put a measure in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureState {
    /// 実施済み.
    Implemented,
    /// 一部実施.
    Partly,
    /// 未実施.
    Not,
    /// 対象外: says why.
    NotApplicable,
}

impl MeasureState {
    pub const ALL: [MeasureState; 4] = [
        MeasureState::Implemented,
        MeasureState::Partly,
        MeasureState::Not,
        MeasureState::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MeasureState::Implemented => "implemented",
            MeasureState::Partly => "partly",
            MeasureState::Not => "not",
            MeasureState::NotApplicable => "not_applicable",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }

    /// The message key of its name.
    pub fn key(self) -> &'static str {
        match self {
            MeasureState::Implemented => "controls.state.implemented",
            MeasureState::Partly => "controls.state.partly",
            MeasureState::Not => "controls.state.not",
            MeasureState::NotApplicable => "controls.state.not_applicable",
        }
    }
}

/// The most characters of an evidence link.
pub const MAX_LINK_CHARS: usize = 2_000;

/// An answer as typed: the state, why (required for 対象外), a note and a link as evidence.
pub fn parse_answer(
    state: &str,
    reason: &str,
    note: &str,
    link: &str,
) -> Result<(MeasureState, String, String, String), Vec<FieldError>> {
    let mut problems = Vec::new();
    let state = match MeasureState::parse(state) {
        Some(s) => Some(s),
        None => {
            problems.push(FieldError::new(
                "status",
                if state.trim().is_empty() {
                    FieldErrorKind::Required
                } else {
                    FieldErrorKind::UnknownValue
                },
            ));
            None
        }
    };
    let reason = parse_note("reason", reason)
        .map_err(|e| problems.push(e))
        .ok();
    if state == Some(MeasureState::NotApplicable) && reason.as_deref().is_some_and(str::is_empty) {
        problems.push(FieldError::new("reason", FieldErrorKind::Required));
    }
    let note = parse_note("note", note).map_err(|e| problems.push(e)).ok();
    let link = parse_link(link).map_err(|e| problems.push(e)).ok();
    match (state, reason, note, link) {
        (Some(state), Some(reason), Some(note), Some(link)) if problems.is_empty() => {
            Ok((state, reason, note, link))
        }
        _ => Err(problems),
    }
}

/// An evidence link: empty, or an `http(s)://` address or a path on a file server
/// (`\\server\share\…`), without spaces or control characters.
pub fn parse_link(raw: &str) -> Result<String, FieldError> {
    let link = raw.trim();
    if link.is_empty() {
        return Ok(String::new());
    }
    let bad = || FieldError::new("link", FieldErrorKind::InvalidFormat);
    if link.chars().count() > MAX_LINK_CHARS {
        return Err(FieldError::new(
            "link",
            FieldErrorKind::TooLong {
                max: MAX_LINK_CHARS,
            },
        ));
    }
    if link.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad());
    }
    let lower = link.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") || link.starts_with("\\\\") {
        Ok(link.to_owned())
    } else {
        Err(bad())
    }
}

/// 信号: how a clause or a measure stands across the units it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Every unit has it in place (or it does not apply to them).
    Green,
    /// On the way: some partly, or a few answers missing.
    Amber,
    /// A unit has not put it in place, or most have not answered.
    Red,
    /// Nothing to judge: no measure, or no unit it concerns.
    None,
}

impl Signal {
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Green => "green",
            Signal::Amber => "amber",
            Signal::Red => "red",
            Signal::None => "none",
        }
    }
}

/// Answers counted: one per measure and unit it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tally {
    pub implemented: u64,
    pub partly: u64,
    pub not: u64,
    pub not_applicable: u64,
    pub unanswered: u64,
}

impl Tally {
    pub fn add(&mut self, state: Option<MeasureState>) {
        match state {
            Some(MeasureState::Implemented) => self.implemented += 1,
            Some(MeasureState::Partly) => self.partly += 1,
            Some(MeasureState::Not) => self.not += 1,
            Some(MeasureState::NotApplicable) => self.not_applicable += 1,
            None => self.unanswered += 1,
        }
    }

    pub fn merge(&mut self, other: &Tally) {
        self.implemented += other.implemented;
        self.partly += other.partly;
        self.not += other.not;
        self.not_applicable += other.not_applicable;
        self.unanswered += other.unanswered;
    }

    pub fn total(&self) -> u64 {
        self.implemented + self.partly + self.not + self.not_applicable + self.unanswered
    }

    /// Green when every answer is in and in place (or not applicable); red when a unit has not
    /// put it in place or more than half have not answered; amber in between.
    pub fn signal(&self) -> Signal {
        let total = self.total();
        if total == 0 {
            Signal::None
        } else if self.not > 0 || self.unanswered * 2 > total {
            Signal::Red
        } else if self.partly > 0 || self.unanswered > 0 {
            Signal::Amber
        } else {
            Signal::Green
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_applicable_says_why_and_links_are_addresses() {
        assert!(parse_answer("implemented", "", "", "").is_ok());
        let refused = parse_answer("not_applicable", "  ", "", "").unwrap_err();
        assert_eq!(refused[0].field, "reason");
        assert!(parse_answer("not_applicable", "LGWAN接続系を持たない", "", "").is_ok());
        let refused = parse_answer("done", "", "", "javascript:alert(1)").unwrap_err();
        let fields: Vec<&str> = refused.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["status", "link"]);
        assert!(parse_answer("partly", "", "", "https://portal.example.lg.jp/a b").is_err());
        assert!(parse_answer("partly", "", "", "\\\\fs01\\soumu\\点検.xlsx").is_ok());
        assert!(parse_answer("partly", "", "\u{0}", "").is_err());
        for state in MeasureState::ALL {
            assert_eq!(MeasureState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn the_signal_follows_the_answers() {
        let tally = |states: &[Option<MeasureState>]| {
            let mut t = Tally::default();
            for s in states {
                t.add(*s);
            }
            t
        };
        use MeasureState::*;
        assert_eq!(tally(&[]).signal(), Signal::None);
        assert_eq!(
            tally(&[Some(Implemented), Some(NotApplicable)]).signal(),
            Signal::Green
        );
        assert_eq!(
            tally(&[Some(Implemented), Some(Partly)]).signal(),
            Signal::Amber
        );
        assert_eq!(
            tally(&[Some(Implemented), Some(Implemented), None]).signal(),
            Signal::Amber
        );
        assert_eq!(
            tally(&[Some(Implemented), None, None]).signal(),
            Signal::Red
        );
        assert_eq!(tally(&[Some(Implemented), Some(Not)]).signal(), Signal::Red);
        let mut sum = tally(&[Some(Implemented)]);
        sum.merge(&tally(&[None, Some(Partly)]));
        assert_eq!((sum.total(), sum.unanswered, sum.partly), (3, 1, 1));
    }
}
