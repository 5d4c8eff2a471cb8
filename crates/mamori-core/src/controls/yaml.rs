//! The YAML that catalogues are written in: read into a small tree of values that remember their
//! line, and written back in one plain style.
//!
//! The reader is built on `saphyr-parser`, a YAML 1.2 event parser in plain Rust whose only
//! dependencies are `arraydeque` and `thiserror`. serde_yaml is unmaintained; its forks
//! (serde_yaml_ng, serde_norway) drive libyaml translated to unsafe Rust and deserialise into
//! values that no longer know their line, while an import must name the line of every refusal,
//! including refusals found after parsing (a duplicate urn, a parent that does not exist).
//! Reading events ourselves also lets us bound what a hostile file can cost before it is held in
//! memory: the bytes and nesting are limited, and aliases are refused rather than expanded, so a
//! "billion laughs" document stays as small as its text. No value is built from a tag, so tags
//! (`!!python/object` …) have no effect.

use std::borrow::Cow;
use std::collections::HashSet;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// The most levels of mappings and sequences inside one another.
pub const MAX_NESTING: usize = 64;
/// The most values (scalars, mappings, sequences) in one document.
pub const MAX_VALUES: usize = 500_000;

/// A value with the place it starts (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    pub value: Value,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// A scalar's text; `plain` when written without quotes or block indicators, the only form in
    /// which `null`, `true` or `12` are anything but text.
    Scalar {
        text: String,
        plain: bool,
    },
    Sequence(Vec<Located>),
    /// Keys in the order written; every key is a scalar and appears once.
    Mapping(Vec<(Located, Located)>),
}

/// Why a text is not a YAML document we read, with its place (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub kind: SyntaxErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SyntaxErrorKind {
    /// The parser's own message.
    Invalid(String),
    Empty,
    SeveralDocuments,
    TooDeep,
    TooManyValues,
    Alias,
    ComplexKey,
    DuplicateKey(String),
}

impl Located {
    /// The text of a plain scalar that YAML's core schema reads as null (`~`, `null`, nothing).
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Scalar { .. } if self.is_null() => "null",
            Value::Scalar { .. } => "a scalar",
            Value::Sequence(_) => "a list",
            Value::Mapping(_) => "a mapping",
        }
    }
}

/// A mapping or sequence being read, with its place.
enum Open {
    Sequence(Vec<Located>, usize, usize),
    Mapping {
        entries: Vec<(Located, Located)>,
        keys: HashSet<String>,
        key: Option<Located>,
        line: usize,
        column: usize,
    },
}

fn place(span: &Span) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

/// Reads one YAML document.
pub(crate) fn read(text: &str) -> Result<Located, SyntaxError> {
    let mut open: Vec<Open> = Vec::new();
    let mut root: Option<Located> = None;
    let mut documents = 0;
    let mut values = 0usize;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| SyntaxError {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            kind: SyntaxErrorKind::Invalid(e.info().to_owned()),
        })?;
        let (line, column) = place(&span);
        let error = |kind| SyntaxError { line, column, kind };
        let done = match event {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => continue,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(error(SyntaxErrorKind::SeveralDocuments));
                }
                continue;
            }
            Event::Alias(_) => return Err(error(SyntaxErrorKind::Alias)),
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if open.len() >= MAX_NESTING {
                    return Err(error(SyntaxErrorKind::TooDeep));
                }
                values += 1;
                if values > MAX_VALUES {
                    return Err(error(SyntaxErrorKind::TooManyValues));
                }
                open.push(match event {
                    Event::SequenceStart(..) => Open::Sequence(Vec::new(), line, column),
                    _ => Open::Mapping {
                        entries: Vec::new(),
                        keys: HashSet::new(),
                        key: None,
                        line,
                        column,
                    },
                });
                continue;
            }
            Event::Scalar(text, style, _, _) => {
                values += 1;
                if values > MAX_VALUES {
                    return Err(error(SyntaxErrorKind::TooManyValues));
                }
                Located {
                    value: Value::Scalar {
                        text: Cow::into_owned(text),
                        plain: style == ScalarStyle::Plain,
                    },
                    line,
                    column,
                }
            }
            Event::SequenceEnd => match open.pop() {
                Some(Open::Sequence(items, line, column)) => Located {
                    value: Value::Sequence(items),
                    line,
                    column,
                },
                _ => {
                    return Err(error(SyntaxErrorKind::Invalid(
                        "unbalanced sequence".into(),
                    )));
                }
            },
            Event::MappingEnd => match open.pop() {
                Some(Open::Mapping {
                    entries,
                    key: None,
                    line,
                    column,
                    ..
                }) => Located {
                    value: Value::Mapping(entries),
                    line,
                    column,
                },
                _ => return Err(error(SyntaxErrorKind::Invalid("unbalanced mapping".into()))),
            },
        };
        match open.last_mut() {
            None => root = Some(done),
            Some(Open::Sequence(items, ..)) => items.push(done),
            Some(Open::Mapping {
                entries, keys, key, ..
            }) => match key.take() {
                None => {
                    let Value::Scalar { text, .. } = &done.value else {
                        return Err(SyntaxError {
                            line: done.line,
                            column: done.column,
                            kind: SyntaxErrorKind::ComplexKey,
                        });
                    };
                    if !keys.insert(text.clone()) {
                        return Err(SyntaxError {
                            line: done.line,
                            column: done.column,
                            kind: SyntaxErrorKind::DuplicateKey(text.clone()),
                        });
                    }
                    *key = Some(done);
                }
                Some(k) => entries.push((k, done)),
            },
        }
    }
    root.ok_or(SyntaxError {
        line: 1,
        column: 1,
        kind: SyntaxErrorKind::Empty,
    })
}

/// Writes text as a double-quoted scalar: the one form that never changes meaning (`no`, `1.0`,
/// `: ` and `#` stay text) and that libyaml and PyYAML read alike. Characters that a YAML reader
/// may refuse or fold raw (controls, U+2028/2029 that YAML 1.1 takes for line breaks, U+FEFF,
/// U+FFFE, U+FFFF) are escaped; everything else is written as is, so Japanese stays readable.
pub(crate) fn quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
                ) =>
            {
                out.push_str(&format!("\\u{:04X}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Whether a key can be written without quotes and be read back as the same text by a YAML 1.1
/// reader too (which takes `no`, `on` or `y` for booleans).
pub(crate) fn plain_key(key: &str) -> bool {
    const WORDS: [&str; 12] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "-", "_",
    ];
    !key.is_empty()
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && !WORDS.contains(&key.to_ascii_lowercase().as_str())
}
