//! 情報セキュリティポリシーの本文 (policy documents): the text of a 例規-style policy read into
//! its clauses, so that each clause can be cited by the document's own numbering.
//!
//! The reader understands the numbering of 基本方針 and 条例 alike: sections `1 目的`,
//! `第1 目的` or `第1条` (its title `(目的)` on the line before); items `(1)` and `一`;
//! sub-items `ア` (aiueo or iroha order) and `(ア)`, in ASCII or full-width digits, with the list
//! markers and blank lines a web page's conversion leaves (`- (4) 物理的セキュリティ` and its text
//! on the next line). A clause's anchor is its citation: `6`, `6(3)`, `6(3)ア`, `6(3)ア(ア)`.
//!
//! Decisions, for text that does not follow the forms:
//! - Numbering is kept as written: it may skip or go backwards. A number used twice at the same
//!   place gets `-2`, `-3` … on its anchor, so that every anchor is unique in a document.
//! - A document's sections keep to the form of its first section; in a `第1条` document a bare
//!   `2 …` (項) stays in the text of its article, and so does a `第1` line.
//! - Items below a section nest in the order the section first uses their forms, so both
//!   `(1) > ア > (ア)` and `一 > イ > (1)` read as written; a form used again closes the deeper ones.
//! - An item's words are its title when they do not end with `。` and text follows on the next
//!   line (`(1) ネットワーク` / its definition); otherwise they are its text.
//! - A paragraph after a sub-item belongs to that sub-item, the clause it follows.
//! - From the first 附則 on, everything is supplementary text; numbered lines there (附則の項)
//!   open no clause. A 附則's effective date is the first 和暦 date followed by `から` or `施行`,
//!   else its first date; none when it has no date.
//! - Refused: empty text, no section, control characters (NUL …; tab is allowed), a line over
//!   [`MAX_LINE_CHARS`], more than [`MAX_LINES`] lines or [`MAX_BYTES`] bytes.

mod diff;
mod document;
mod numbering;
mod wareki;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};

pub use diff::{ClauseChange, ClauseDiff, Run, diff};
pub use document::{
    APPROVER_ROLES, Policy, PolicyId, PolicyPlace, Step, Tier, VersionInfo, VersionState,
    approved_state,
};
use numbering::{ItemForm, Line, SectionForm, classify, content};
pub use wareki::{CivilDate, parse_wareki};

/// The most bytes of text read.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;
/// The most lines read.
pub const MAX_LINES: usize = 200_000;
/// The most characters on one line.
pub const MAX_LINE_CHARS: usize = 10_000;

/// The text of a policy (基本方針, 対策基準 …), read into its clauses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyText {
    /// The first line (`特別区人事・厚生事務組合情報セキュリティ基本方針`); empty when the text
    /// starts with a section.
    pub title: String,
    /// The lines between the title and the first section (dates, 決定 numbers, 改正文).
    pub preamble: Vec<String>,
    pub sections: Vec<Clause>,
    /// 附則, in the order written.
    pub supplementary: Vec<Supplementary>,
}

/// One numbered clause (節, 条, 項目 …) with the clauses below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// The citation of the clause, unique in its document: `6`, `6(3)`, `6(3)ア`, `1の2`.
    pub anchor: String,
    /// The number as the document shows it: `6`, `第1`, `第1条`, `(3)`, `ア`, `(ア)`, `一`.
    pub number: String,
    pub title: Option<String>,
    /// Its own text, paragraphs separated by a line break; the children's text is theirs.
    pub text: String,
    pub children: Vec<Clause>,
    /// The line of its number (1-based).
    pub line: usize,
}

impl Clause {
    /// This clause and every clause below it, depth first.
    pub fn walk(&self) -> impl Iterator<Item = &Clause> {
        let mut pending = vec![self];
        std::iter::from_fn(move || {
            let next = pending.pop()?;
            pending.extend(next.children.iter().rev());
            Some(next)
        })
    }
}

impl PolicyText {
    /// Every clause, depth first, in document order.
    pub fn clauses(&self) -> impl Iterator<Item = &Clause> {
        self.sections.iter().flat_map(Clause::walk)
    }

    /// The clause with this anchor.
    pub fn clause(&self, anchor: &str) -> Option<&Clause> {
        self.clauses().find(|c| c.anchor == anchor)
    }
}

/// 附則: a supplementary provision, usually the date from which the text (or its amendment)
/// applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supplementary {
    /// 施行日, read from its 和暦 date.
    pub effective_from: Option<CivilDate>,
    pub text: String,
    /// The line of its `附則` (1-based).
    pub line: usize,
}

/// Why a text cannot be read as a policy; every error names a line (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("line {line}: the text is empty")]
    Empty { line: usize },
    #[error("line {line}: no numbered section was found")]
    NoSection { line: usize },
    #[error("line {line}, column {column}: control character")]
    ControlCharacter { line: usize, column: usize },
    #[error("line {line}: longer than {max} characters")]
    LineTooLong { line: usize, max: usize },
    #[error("line {line}: more than {max} lines")]
    TooManyLines { line: usize, max: usize },
    #[error("line {line}: more than {max} bytes")]
    TooLarge { line: usize, max: usize },
    #[error("line {line}: neither UTF-8 nor Shift_JIS")]
    Encoding { line: usize },
}

impl PolicyError {
    pub fn line(&self) -> usize {
        match self {
            PolicyError::Empty { line }
            | PolicyError::NoSection { line }
            | PolicyError::ControlCharacter { line, .. }
            | PolicyError::LineTooLong { line, .. }
            | PolicyError::TooManyLines { line, .. }
            | PolicyError::TooLarge { line, .. }
            | PolicyError::Encoding { line } => *line,
        }
    }

    /// Its sentence's key in the message catalogue.
    pub fn key(&self) -> &'static str {
        match self {
            PolicyError::Empty { .. } => "policy.error.empty",
            PolicyError::NoSection { .. } => "policy.error.no_section",
            PolicyError::ControlCharacter { .. } => "policy.error.control_character",
            PolicyError::LineTooLong { .. } => "policy.error.line_too_long",
            PolicyError::TooManyLines { .. } => "policy.error.too_many_lines",
            PolicyError::TooLarge { .. } => "policy.error.too_large",
            PolicyError::Encoding { .. } => "policy.error.encoding",
        }
    }
}

/// The text of a file as uploaded or named at the command line: UTF-8 (with or without its
/// byte-order mark) when it is valid UTF-8, else Shift_JIS (Windows-31J, as 例規 systems and
/// Windows save Japanese text). Bytes that are neither are refused, naming the line of the first
/// byte that is not Shift_JIS either; the text is never read with replacement characters.
pub fn decode_text(bytes: &[u8]) -> Result<String, PolicyError> {
    if bytes.len() > MAX_BYTES {
        return Err(PolicyError::TooLarge {
            line: 1 + bytes[..MAX_BYTES].iter().filter(|b| **b == b'\n').count(),
            max: MAX_BYTES,
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    let (text, _, malformed) = encoding_rs::SHIFT_JIS.decode(bytes);
    if !malformed {
        return Ok(text.into_owned());
    }
    let line = text
        .split('\n')
        .position(|l| l.contains('\u{FFFD}'))
        .map_or(1, |i| i + 1);
    Err(PolicyError::Encoding { line })
}

/// Reads the text of a 例規-style policy into its title, preamble, clauses and 附則.
pub fn parse_policy(text: &str) -> Result<PolicyText, PolicyError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if text.len() > MAX_BYTES {
        let line = 1 + text.as_bytes()[..MAX_BYTES]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        return Err(PolicyError::TooLarge {
            line,
            max: MAX_BYTES,
        });
    }
    let mut lines = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let line = index + 1;
        if line > MAX_LINES {
            return Err(PolicyError::TooManyLines {
                line,
                max: MAX_LINES,
            });
        }
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        check_line(raw, line)?;
        lines.push(raw);
    }
    let Some(first) = lines.iter().position(|l| classify(l) != Line::Blank) else {
        return Err(PolicyError::Empty { line: 1 });
    };
    let mut builder = Builder::default();
    let mut start = first;
    if let Line::Text(title) = classify(lines[first]) {
        builder.title = title.to_owned();
        start += 1;
    }
    let classified: Vec<Line> = lines.iter().map(|l| classify(l)).collect();
    for index in start..lines.len() {
        builder.read(&classified, &lines, index);
    }
    builder.close_to(0);
    for supplementary in &mut builder.supplementary {
        supplementary.effective_from = effective_date(&supplementary.text);
    }
    if builder.sections.is_empty() {
        let last = lines
            .iter()
            .rposition(|l| classify(l) != Line::Blank)
            .unwrap_or(first);
        return Err(PolicyError::NoSection { line: last + 1 });
    }
    Ok(PolicyText {
        title: builder.title,
        preamble: builder.preamble,
        sections: builder.sections,
        supplementary: builder.supplementary,
    })
}

fn check_line(raw: &str, line: usize) -> Result<(), PolicyError> {
    for (index, c) in raw.chars().enumerate() {
        if index >= MAX_LINE_CHARS {
            return Err(PolicyError::LineTooLong {
                line,
                max: MAX_LINE_CHARS,
            });
        }
        if c.is_control() && c != '\t' {
            return Err(PolicyError::ControlCharacter {
                line,
                column: index + 1,
            });
        }
    }
    Ok(())
}

/// A clause still taking text and children; `form` is `None` for a section.
struct Open {
    form: Option<ItemForm>,
    clause: Clause,
}

#[derive(Default)]
struct Builder {
    title: String,
    preamble: Vec<String>,
    sections: Vec<Clause>,
    supplementary: Vec<Supplementary>,
    section_form: Option<SectionForm>,
    open: Vec<Open>,
    /// A `(目的)` line waiting for its `第1条`.
    pending_title: Option<String>,
    anchors: HashSet<String>,
    next_suffix: HashMap<String, u32>,
}

impl Builder {
    fn read(&mut self, lines: &[Line], raw: &[&str], index: usize) {
        let number = index + 1;
        let next = || lines[index + 1..].iter().find(|l| **l != Line::Blank);
        if let Line::Supplementary(rest) = &lines[index] {
            self.close_to(0);
            self.pending_title = None;
            self.supplementary.push(Supplementary {
                effective_from: None,
                text: (*rest).to_owned(),
                line: number,
            });
            return;
        }
        if let Some(last) = self.supplementary.last_mut() {
            let text = content(raw[index]);
            if !text.is_empty() {
                append(&mut last.text, text);
            }
            return;
        }
        match &lines[index] {
            Line::Blank | Line::Supplementary(_) => {}
            Line::Section {
                form,
                number: n,
                rest,
            } if self.section_form.is_none_or(|f| f == *form) => {
                self.section_form = Some(*form);
                self.close_to(0);
                let (label, title, text) = match form {
                    SectionForm::Article => {
                        let label = match n.split_once('の') {
                            Some((main, branch)) => format!("第{main}条の{branch}"),
                            None => format!("第{n}条"),
                        };
                        (label, self.pending_title.take(), (*rest).to_owned())
                    }
                    SectionForm::Dai => {
                        let (title, text) = heading(rest, true);
                        (format!("第{n}"), title, text)
                    }
                    SectionForm::Bare => {
                        let (title, text) = heading(rest, true);
                        (n.clone(), title, text)
                    }
                };
                let anchor = self.unique(n.clone());
                self.open.push(Open {
                    form: None,
                    clause: Clause {
                        anchor,
                        number: label,
                        title,
                        text,
                        children: Vec::new(),
                        line: number,
                    },
                });
            }
            Line::Item { form, label, rest } if !self.open.is_empty() => {
                if let Some(at) = self.open.iter().position(|o| o.form == Some(*form)) {
                    self.close_to(at);
                }
                let parent = self.open.last().map(|o| o.clause.anchor.as_str());
                let anchor = self.unique(format!("{}{label}", parent.unwrap_or_default()));
                let followed_by_text = matches!(next(), Some(Line::Text(_)));
                let (title, text) = heading(rest, followed_by_text);
                self.open.push(Open {
                    form: Some(*form),
                    clause: Clause {
                        anchor,
                        number: label.clone(),
                        title,
                        text,
                        children: Vec::new(),
                        line: number,
                    },
                });
            }
            Line::ParenTitle(title)
                if self.section_form.is_none_or(|f| f == SectionForm::Article)
                    && matches!(
                        next(),
                        Some(Line::Section {
                            form: SectionForm::Article,
                            ..
                        })
                    ) =>
            {
                self.pending_title = Some((*title).to_owned());
            }
            _ => self.text(content(raw[index])),
        }
    }

    fn text(&mut self, line: &str) {
        match self.open.last_mut() {
            Some(open) => append(&mut open.clause.text, line),
            None => self.preamble.push(line.to_owned()),
        }
    }

    /// Closes the open clauses from `len` on, each into the one above it.
    fn close_to(&mut self, len: usize) {
        while self.open.len() > len {
            let Some(done) = self.open.pop() else { break };
            match self.open.last_mut() {
                Some(parent) => parent.clause.children.push(done.clause),
                None => self.sections.push(done.clause),
            }
        }
    }

    fn unique(&mut self, base: String) -> String {
        if self.anchors.insert(base.clone()) {
            return base;
        }
        let next = self.next_suffix.entry(base.clone()).or_insert(2);
        loop {
            let candidate = format!("{base}-{next}");
            *next += 1;
            if self.anchors.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

/// A heading's words: its title when they read as one, else its text.
fn heading(rest: &str, text_follows: bool) -> (Option<String>, String) {
    if rest.is_empty() {
        (None, String::new())
    } else if text_follows && !rest.ends_with('。') {
        (Some(rest.to_owned()), String::new())
    } else {
        (None, rest.to_owned())
    }
}

fn append(text: &mut String, line: &str) {
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(line);
}

/// 施行日: the first date followed by `から` or `施行`, else the first date.
fn effective_date(text: &str) -> Option<CivilDate> {
    let mut first = None;
    for found in wareki::wareki_dates(text) {
        let rest = found.rest.trim_start();
        if rest.starts_with("から") || rest.starts_with("より") || rest.starts_with("施行") {
            return found.date;
        }
        first.get_or_insert(found.date);
    }
    first.flatten()
}
