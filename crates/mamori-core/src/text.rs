//! Validated text values. A value of these types has been checked when it was built, so it can
//! travel through the program without being checked again.

use serde::{Deserialize, Serialize};

/// Why a field value was refused. The web crate turns the kind into a localised message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {kind:?}")]
pub struct FieldError {
    pub field: &'static str,
    pub kind: FieldErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldErrorKind {
    Required,
    TooLong { max: usize },
    TooShort { min: usize },
    ControlCharacter,
    InvalidFormat,
    UnknownValue,
    NotAllowed,
}

impl FieldError {
    pub fn new(field: &'static str, kind: FieldErrorKind) -> Self {
        Self { field, kind }
    }
}

/// A display name (組織名, 課室名, 氏名 …): trimmed, non-empty, at most 200 characters, no control
/// characters (which could forge lines in logs and reports) and no bidi overrides.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

impl Name {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(FieldError::new(field, FieldErrorKind::Required));
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(
                field,
                FieldErrorKind::TooLong {
                    max: Self::MAX_CHARS,
                },
            ));
        }
        if value.chars().any(is_forbidden_char) {
            return Err(FieldError::new(field, FieldErrorKind::ControlCharacter));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Name {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("name", &value)
    }
}

impl From<Name> for String {
    fn from(value: Name) -> Self {
        value.0
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Optional free text (notes, descriptions): may be empty, may hold line breaks, at most
/// 10,000 characters, no other control characters.
pub fn parse_note(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let value = raw.trim();
    if value.chars().count() > 10_000 {
        return Err(FieldError::new(
            field,
            FieldErrorKind::TooLong { max: 10_000 },
        ));
    }
    if value
        .chars()
        .any(|c| c != '\n' && c != '\r' && c != '\t' && is_forbidden_char(c))
    {
        return Err(FieldError::new(field, FieldErrorKind::ControlCharacter));
    }
    Ok(value.replace("\r\n", "\n"))
}

/// The items of a list typed into one field or cell (host names, addresses, ranges): separated by
/// commas, semicolons, spaces, tabs, line breaks or the ideographic comma 、.
pub fn list_items(raw: &str) -> impl Iterator<Item = &str> {
    raw.split([',', ';', ' ', '\n', '\r', '\t', '、'])
        .filter(|t| !t.is_empty())
}

/// A one-line optional text such as an asset's 設置場所: may be empty, at most
/// [`Name::MAX_CHARS`] characters, no line breaks or other control characters.
pub fn parse_line(field: &'static str, raw: &str) -> Result<String, FieldError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    Name::parse(field, raw).map(String::from)
}

/// A login name: 3–64 characters of ASCII letters, digits, `.`, `_`, `-`, `@`, compared in
/// lower case so that `Tanaka` and `tanaka` cannot both exist.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim().to_ascii_lowercase();
        let len = value.chars().count();
        if len == 0 {
            return Err(FieldError::new("username", FieldErrorKind::Required));
        }
        if len < 3 {
            return Err(FieldError::new(
                "username",
                FieldErrorKind::TooShort { min: 3 },
            ));
        }
        if len > 64 {
            return Err(FieldError::new(
                "username",
                FieldErrorKind::TooLong { max: 64 },
            ));
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(FieldError::new("username", FieldErrorKind::InvalidFormat));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Username> for String {
    fn from(value: Username) -> Self {
        value.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address as far as a directory needs it: one `@`, a dotted domain, no spaces,
/// at most 254 characters. Empty input means "none".
pub fn parse_email(field: &'static str, raw: &str) -> Result<Option<String>, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.len() > 254 {
        return Err(FieldError::new(field, FieldErrorKind::TooLong { max: 254 }));
    }
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && value
                    .chars()
                    .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | ',' | ';'))
        }
        None => false,
    };
    if valid {
        Ok(Some(value.to_owned()))
    } else {
        Err(FieldError::new(field, FieldErrorKind::InvalidFormat))
    }
}

/// Control characters and the invisible format characters that can disguise text
/// (bidi overrides such as U+202E, zero-width joiners).
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("総務課", true)]
    #[case("  情報政策課  ", true)]
    #[case("", false)]
    #[case("   ", false)]
    #[case("a\u{202E}gpj.exe", false)]
    #[case("line\nbreak", false)]
    #[case("nul\0", false)]
    fn names(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(Name::parse("name", raw).is_ok(), ok, "{raw:?}");
    }

    #[test]
    fn name_length_counts_characters_not_bytes() {
        assert!(Name::parse("name", &"あ".repeat(200)).is_ok());
        assert_eq!(
            Name::parse("name", &"あ".repeat(201)).unwrap_err().kind,
            FieldErrorKind::TooLong { max: 200 }
        );
    }

    #[rstest]
    #[case("Tanaka", Some("tanaka"))]
    #[case("s.suzuki@example", Some("s.suzuki@example"))]
    #[case("ab", None)]
    #[case("田中", None)]
    #[case("a b c", None)]
    #[case("x'; drop table users;--", None)]
    fn usernames(#[case] raw: &str, #[case] expected: Option<&str>) {
        assert_eq!(
            Username::parse(raw).ok().as_ref().map(Username::as_str),
            expected
        );
    }

    #[rstest]
    #[case("", true)]
    #[case("taro@city.example.lg.jp", true)]
    #[case("taro@@x.jp", false)]
    #[case("taro", false)]
    #[case("taro@jp", false)]
    #[case("<script>@x.jp", false)]
    fn emails(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(parse_email("email", raw).is_ok(), ok, "{raw:?}");
    }
}
