//! ソーシャルメディアアカウント (seed §6(8)): each account the organisation publishes through has a
//! responsible person, rules for what may be published, two-factor authentication, and a review
//! at a set interval. An account without a responsible person in post, without two-factor
//! authentication or overdue for its review is flagged.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::finding::required_note;
use crate::inspection::parse_date;
use crate::text::{FieldError, FieldErrorKind, Name, parse_note};

/// Months between reviews unless the account says otherwise: once a year.
pub const DEFAULT_REVIEW_MONTHS: u32 = 12;
/// The longest interval an account may set between reviews.
pub const MAX_REVIEW_MONTHS: u32 = 36;

/// What the list flags about an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SocialFlag {
    /// 責任者不在: no responsible person, or one whose account is disabled.
    NoOwner,
    /// 二要素認証なし.
    NoTwoFactor,
    /// 点検期限超過.
    ReviewOverdue,
}

impl SocialFlag {
    pub const ALL: [SocialFlag; 3] = [
        SocialFlag::NoOwner,
        SocialFlag::NoTwoFactor,
        SocialFlag::ReviewOverdue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SocialFlag::NoOwner => "no_owner",
            SocialFlag::NoTwoFactor => "no_two_factor",
            SocialFlag::ReviewOverdue => "review_overdue",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            SocialFlag::NoOwner => "social.flag.no_owner",
            SocialFlag::NoTwoFactor => "social.flag.no_two_factor",
            SocialFlag::ReviewOverdue => "social.flag.review_overdue",
        }
    }
}

/// The facts of an account that the flags read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocialFacts {
    /// A responsible person is named and their account (if they have one) is not disabled.
    pub owner_in_post: bool,
    pub two_factor: bool,
    /// The last review, or the day the account was registered if never reviewed.
    pub reviewed_on: NaiveDate,
    pub review_months: u32,
}

/// The day the next review falls due: the last one plus the interval (the end of a shorter
/// month where the day does not exist).
pub fn review_due(reviewed_on: NaiveDate, months: u32) -> NaiveDate {
    reviewed_on
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// Every flag of an account on `today`, in a stable order.
pub fn flags(facts: &SocialFacts, today: NaiveDate) -> Vec<SocialFlag> {
    let mut flags = Vec::new();
    if !facts.owner_in_post {
        flags.push(SocialFlag::NoOwner);
    }
    if !facts.two_factor {
        flags.push(SocialFlag::NoTwoFactor);
    }
    if review_due(facts.reviewed_on, facts.review_months) < today {
        flags.push(SocialFlag::ReviewOverdue);
    }
    flags
}

/// An account's address: `https://` or `http://`, a host, at most 2,000 characters, nothing
/// that is not printable ASCII (an address with spaces or control characters is a forgery in
/// waiting).
pub fn parse_account_url(raw: &str) -> Result<String, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(FieldError::new("url", FieldErrorKind::Required));
    }
    if raw.len() > 2000 {
        return Err(FieldError::new(
            "url",
            FieldErrorKind::TooLong { max: 2000 },
        ));
    }
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .ok_or(FieldError::new("url", FieldErrorKind::InvalidFormat))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let printable = raw.bytes().all(|b| b.is_ascii_graphic());
    if host.is_empty() || host.contains('@') || !printable {
        return Err(FieldError::new("url", FieldErrorKind::InvalidFormat));
    }
    Ok(raw.to_owned())
}

/// Months between reviews: 1 to [`MAX_REVIEW_MONTHS`]; none given is [`DEFAULT_REVIEW_MONTHS`].
pub fn parse_review_months(months: Option<i64>) -> Result<u32, FieldError> {
    match months {
        None => Ok(DEFAULT_REVIEW_MONTHS),
        Some(m) if (1..=i64::from(MAX_REVIEW_MONTHS)).contains(&m) => Ok(m as u32),
        Some(_) => Err(FieldError::new(
            "review_months",
            FieldErrorKind::InvalidFormat,
        )),
    }
}

/// A review's day: given (not in the future) or today.
fn review_day(field: &'static str, raw: &str, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    if raw.trim().is_empty() {
        return Ok(today);
    }
    parse_date(field, raw).and_then(|d| {
        (d <= today)
            .then_some(d)
            .ok_or(FieldError::new(field, FieldErrorKind::InvalidFormat))
    })
}

/// An account as typed, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountDraft {
    pub platform: String,
    pub account_name: String,
    pub url: String,
    pub rules: String,
    pub two_factor: bool,
    pub review_months: Option<i64>,
    /// The last review before the account was registered here, if any.
    pub last_reviewed_on: String,
}

/// An account's own facts, checked (the responsible person is the store's to look up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountText {
    pub platform: Name,
    pub account_name: Name,
    pub url: String,
    /// What may be published (発信してよい内容): required, since the policy asks for rules for
    /// every account.
    pub rules: String,
    pub two_factor: bool,
    pub review_months: u32,
    pub last_reviewed_on: Option<NaiveDate>,
}

/// Checks an account: platform, name, address, the rules of what may be published, the review
/// interval, and a last review that is not in the future.
pub fn parse_account(
    draft: &AccountDraft,
    today: NaiveDate,
) -> Result<AccountText, Vec<FieldError>> {
    let mut errors = Vec::new();
    let platform = Name::parse("platform", &draft.platform)
        .map_err(|e| errors.push(e))
        .ok();
    let account_name = Name::parse("account_name", &draft.account_name)
        .map_err(|e| errors.push(e))
        .ok();
    let url = parse_account_url(&draft.url)
        .map_err(|e| errors.push(e))
        .ok();
    let rules = required_note("rules", &draft.rules)
        .map_err(|e| errors.push(e))
        .ok();
    let review_months = parse_review_months(draft.review_months)
        .map_err(|e| errors.push(e))
        .ok();
    let last_reviewed_on = if draft.last_reviewed_on.trim().is_empty() {
        None
    } else {
        review_day("last_reviewed_on", &draft.last_reviewed_on, today)
            .map_err(|e| errors.push(e))
            .ok()
    };
    match (platform, account_name, url, rules, review_months) {
        (Some(platform), Some(account_name), Some(url), Some(rules), Some(review_months))
            if errors.is_empty() =>
        {
            Ok(AccountText {
                platform,
                account_name,
                url,
                rules,
                two_factor: draft.two_factor,
                review_months,
                last_reviewed_on,
            })
        }
        _ => Err(errors),
    }
}

/// A review as recorded: its day (today unless given; never in the future) and a note.
pub fn parse_review(
    reviewed_on: &str,
    note: &str,
    today: NaiveDate,
) -> Result<(NaiveDate, String), Vec<FieldError>> {
    let day = review_day("reviewed_on", reviewed_on, today);
    let note = parse_note("note", note);
    match (day, note) {
        (Ok(day), Ok(note)) => Ok((day, note)),
        (day, note) => Err([day.err(), note.err()].into_iter().flatten().collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn draft() -> AccountDraft {
        AccountDraft {
            platform: "X".into(),
            account_name: "@mamori_city".into(),
            url: "https://x.com/mamori_city".into(),
            rules: "広報課が承認した記事のみ。".into(),
            two_factor: true,
            review_months: None,
            last_reviewed_on: "2026-04-01".into(),
        }
    }

    #[test]
    fn an_account_is_reviewed_yearly_unless_it_says_otherwise() {
        let today = day(2026, 12, 5);
        let text = parse_account(&draft(), today).unwrap();
        assert_eq!(text.review_months, 12);
        assert_eq!(text.last_reviewed_on, Some(day(2026, 4, 1)));
        let quarterly = AccountDraft {
            review_months: Some(3),
            last_reviewed_on: String::new(),
            ..draft()
        };
        let text = parse_account(&quarterly, today).unwrap();
        assert_eq!((text.review_months, text.last_reviewed_on), (3, None));
    }

    #[test]
    fn hostile_or_incomplete_accounts_are_refused_field_by_field() {
        let today = day(2026, 12, 5);
        let bad = AccountDraft {
            platform: String::new(),
            account_name: "a\u{0}".into(),
            url: "javascript:alert(1)".into(),
            rules: "  ".into(),
            two_factor: false,
            review_months: Some(0),
            last_reviewed_on: "2026-12-06".into(),
        };
        let fields: Vec<_> = parse_account(&bad, today)
            .unwrap_err()
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "platform",
                "account_name",
                "url",
                "rules",
                "review_months",
                "last_reviewed_on"
            ]
        );
        for url in [
            "",
            "x.com/a",
            "https://",
            "https:///path",
            "https://user@evil.example/",
            "https://x.com/a b",
            "https://x.com/\u{3042}",
            "https://x.com/\r\nSet-Cookie:",
            &format!("https://x.com/{}", "a".repeat(2000)),
        ] {
            assert!(parse_account_url(url).is_err(), "{url:?}");
        }
        assert!(parse_account_url("http://www.city.example.lg.jp/sns?id=1#top").is_ok());
        for months in [Some(-1), Some(37), Some(i64::MAX)] {
            assert!(parse_review_months(months).is_err());
        }
        assert_eq!(parse_review_months(Some(36)), Ok(36));
    }

    #[test]
    fn an_account_is_flagged_without_an_owner_without_two_factor_or_past_its_review() {
        let today = day(2026, 12, 5);
        let facts = SocialFacts {
            owner_in_post: true,
            two_factor: true,
            reviewed_on: day(2025, 12, 5),
            review_months: 12,
        };
        assert!(flags(&facts, today).is_empty(), "due today is not overdue");
        let late = SocialFacts {
            reviewed_on: day(2025, 12, 4),
            ..facts
        };
        assert_eq!(flags(&late, today), [SocialFlag::ReviewOverdue]);
        let orphan = SocialFacts {
            owner_in_post: false,
            two_factor: false,
            ..facts
        };
        assert_eq!(
            flags(&orphan, today),
            [SocialFlag::NoOwner, SocialFlag::NoTwoFactor]
        );
        // The 31st plus a month is the end of the shorter month.
        assert_eq!(review_due(day(2026, 1, 31), 1), day(2026, 2, 28));
        assert_eq!(review_due(NaiveDate::MAX, 12), NaiveDate::MAX);
        for flag in SocialFlag::ALL {
            for lang in [crate::i18n::Lang::Ja, crate::i18n::Lang::En] {
                assert!(lang.lookup(flag.key()).is_some(), "{}", flag.key());
            }
        }
    }

    #[test]
    fn a_review_is_today_or_a_past_day_with_an_optional_note() {
        let today = day(2026, 12, 5);
        assert_eq!(parse_review("", "", today), Ok((today, String::new())));
        assert_eq!(
            parse_review("2026-11-30", "異常なし", today),
            Ok((day(2026, 11, 30), "異常なし".into()))
        );
        let errors = parse_review("2026-12-06", "\u{7}", today).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["reviewed_on", "note"]);
        assert!(parse_review("十二月", "", today).is_err());
    }
}
