//! The organisation that the basic policy governs (seed §4(1)): 機関 → 部局/課室 → 職員.

use serde::{Deserialize, Serialize};

use crate::text::Name;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// 機関 (an organisation under the policy, e.g. 教育委員会).
    OrgId
);
id_type!(
    /// 部局 / 課室.
    UnitId
);
id_type!(
    /// 職員 or any other person known to the organisation.
    PersonId
);
id_type!(
    /// A login account; always belongs to one person.
    UserId
);
id_type!(
    /// A role assignment.
    AssignmentId
);

/// 機関.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: OrgId,
    pub name: Name,
    /// Short code used in reports and imports (e.g. `KANRI`, `KYOIKU`).
    pub code: String,
    pub note: String,
}

/// 部局 or 課室. A unit belongs to one organisation and may sit under a parent unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub org_id: OrgId,
    pub parent_id: Option<UnitId>,
    pub name: Name,
    pub note: String,
}

/// A person. Contact details are restricted: see [`crate::authz::ViewPersonDetail`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub name: Name,
    pub org_id: Option<OrgId>,
    pub unit_id: Option<UnitId>,
    /// 職名 (job title).
    pub title: String,
    pub email: Option<String>,
    pub phone: String,
    /// Whether the person is a 委託事業者 (contractor) rather than a member of staff.
    pub external: bool,
}

/// Organisation code: 1–32 ASCII letters, digits, `-` or `_`, stored upper-case.
pub fn parse_code(raw: &str) -> Result<String, crate::FieldError> {
    use crate::FieldErrorKind::*;
    let value = raw.trim().to_ascii_uppercase();
    if value.is_empty() {
        return Err(crate::FieldError::new("code", Required));
    }
    if value.len() > 32 {
        return Err(crate::FieldError::new("code", TooLong { max: 32 }));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(crate::FieldError::new("code", InvalidFormat));
    }
    Ok(value)
}

/// Phone numbers as Japanese offices write them: digits, `-`, `+`, `(`, `)`, spaces, 内線 notation.
pub fn parse_phone(raw: &str) -> Result<String, crate::FieldError> {
    use crate::FieldErrorKind::*;
    let value = raw.trim();
    if value.chars().count() > 40 {
        return Err(crate::FieldError::new("phone", TooLong { max: 40 }));
    }
    if !value.chars().all(|c| {
        c.is_ascii_digit() || matches!(c, '-' | '+' | '(' | ')' | ' ' | '内' | '線' | '#' | 'x')
    }) {
        return Err(crate::FieldError::new("phone", InvalidFormat));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_upper_case_ascii() {
        assert_eq!(parse_code(" kyoiku ").unwrap(), "KYOIKU");
        assert!(parse_code("教育").is_err());
        assert!(parse_code("").is_err());
        assert!(parse_code(&"A".repeat(33)).is_err());
    }

    #[test]
    fn phones() {
        assert_eq!(parse_phone("03-1234-5678").unwrap(), "03-1234-5678");
        assert_eq!(parse_phone("内線 1234").unwrap(), "内線 1234");
        assert!(parse_phone("<b>").is_err());
    }
}
