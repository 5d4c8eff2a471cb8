//! Third parties (seed §6(8), §11): 委託事業者 with their contracts (業務委託契約), and
//! 指定管理者 with their agreements (協定). Both are an *agreement*: a period, the unit
//! responsible for it, the systems and classes of information it touches, and the security
//! requirements it carries — a checklist whose items are data ([`REQUIREMENTS`]) — each checked
//! from time to time by a verification. One model serves both kinds; only the other party
//! differs (a registered contractor, or the managing body named in the agreement).
//!
//! The flags: an agreement ending within so many days, one whose requirements have not all been
//! checked within so many days of its start or of their last check, and one lacking a
//! requirement the site makes mandatory.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::inspection::parse_date;
use crate::text::{FieldError, FieldErrorKind, parse_note};

/// Days before its end within which an agreement is flagged as ending, unless the site sets its
/// own.
pub const ENDING_SOON_DAYS: u32 = 60;

/// Days within which every requirement an agreement carries must be checked again (counted from
/// the agreement's start, then from the requirement's last check), unless the site sets its own:
/// about twice a year.
pub const VERIFY_WITHIN_DAYS: u32 = 180;

/// The requirements every agreement must carry unless the site says otherwise.
pub const DEFAULT_MANDATORY: &[&str] = &[
    "subcontracting",
    "confidentiality",
    "incident_reporting",
    "return_disposal",
];

/// A security requirement an agreement may carry (its text is `requirement.{code}` in the
/// message catalogue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    pub code: &'static str,
}

impl Requirement {
    /// Its name in the message catalogue.
    pub fn key(self) -> String {
        format!("requirement.{}", self.code)
    }
}

/// The checklist of security requirements of seed §6(8) and §11, in the order shown.
pub const REQUIREMENTS: &[Requirement] = &[
    // 再委託の制限: no subcontracting without the body's written consent.
    Requirement {
        code: "subcontracting",
    },
    // 秘密保持: confidentiality, during and after the agreement.
    Requirement {
        code: "confidentiality",
    },
    // 事故時の報告: incidents reported at once, by the agreed route.
    Requirement {
        code: "incident_reporting",
    },
    // 監査・検査の権利: the body may audit and inspect the work.
    Requirement {
        code: "audit_rights",
    },
    // 返却・廃棄: information returned or destroyed, with a certificate, at the end.
    Requirement {
        code: "return_disposal",
    },
    // 従事者の管理: a list of the people who do the work, and their obligations.
    Requirement { code: "personnel" },
    // 教育の実施: the people who do the work are trained in the policy.
    Requirement { code: "training" },
    // 作業場所・持出しの制限: where the work is done, and nothing taken out without leave.
    Requirement {
        code: "work_location",
    },
    // 目的外利用の禁止: information used for the agreed work only.
    Requirement {
        code: "purpose_limitation",
    },
    // 安全管理措置の報告: the measures taken, reported on request or periodically.
    Requirement {
        code: "security_reporting",
    },
];

/// The requirement of this code.
pub fn requirement(code: &str) -> Option<Requirement> {
    REQUIREMENTS.iter().copied().find(|r| r.code == code.trim())
}

/// Which kind of agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementKind {
    /// 業務委託契約 with a registered 委託事業者.
    Contract,
    /// 指定管理者との協定 (seed §11).
    Designated,
}

impl AgreementKind {
    pub const ALL: [AgreementKind; 2] = [AgreementKind::Contract, AgreementKind::Designated];

    pub fn as_str(self) -> &'static str {
        match self {
            AgreementKind::Contract => "contract",
            AgreementKind::Designated => "designated",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// What a verification found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 適合.
    Met,
    /// 一部不適合.
    Partly,
    /// 不適合.
    NotMet,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Met, Outcome::Partly, Outcome::NotMet];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Met => "met",
            Outcome::Partly => "partly",
            Outcome::NotMet => "not_met",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Outcome::Met => "verification.outcome.met",
            Outcome::Partly => "verification.outcome.partly",
            Outcome::NotMet => "verification.outcome.not_met",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == raw.trim())
    }
}

/// An agreement's period, both days included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl Period {
    /// In force on `day`: started and not yet ended.
    pub fn in_force(self, day: NaiveDate) -> bool {
        self.starts_on <= day && day <= self.ends_on
    }
}

/// A period as typed: two days, the end not before the start.
pub fn parse_period(starts_on: &str, ends_on: &str) -> Result<Period, Vec<FieldError>> {
    let start = parse_date("starts_on", starts_on);
    let end = parse_date("ends_on", ends_on);
    match (start, end) {
        (Ok(starts_on), Ok(ends_on)) if ends_on >= starts_on => Ok(Period { starts_on, ends_on }),
        (Ok(_), Ok(_)) => Err(vec![FieldError::new(
            "ends_on",
            FieldErrorKind::InvalidFormat,
        )]),
        (start, end) => Err([start.err(), end.err()].into_iter().flatten().collect()),
    }
}

/// The requirements ticked, as codes in the checklist's order; an unknown code is refused.
pub fn parse_requirements<S: AsRef<str>>(codes: &[S]) -> Result<Vec<String>, FieldError> {
    for code in codes {
        if requirement(code.as_ref()).is_none() {
            return Err(FieldError::new(
                "requirements",
                FieldErrorKind::UnknownValue,
            ));
        }
    }
    Ok(REQUIREMENTS
        .iter()
        .filter(|r| codes.iter().any(|c| c.as_ref().trim() == r.code))
        .map(|r| r.code.to_owned())
        .collect())
}

/// A verification as recorded: which requirement, what was found, on which day, and the
/// evidence (a note, a link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationText {
    pub requirement: String,
    pub outcome: Outcome,
    pub checked_on: NaiveDate,
    pub note: String,
    pub link: String,
}

/// Checks a verification: a requirement of the checklist, an outcome, a day not in the future,
/// and a note or a link as evidence ([`crate::controls::parse_link`]'s rules).
pub fn parse_verification(
    requirement_code: &str,
    outcome: &str,
    checked_on: &str,
    note: &str,
    link: &str,
    today: NaiveDate,
) -> Result<VerificationText, Vec<FieldError>> {
    let mut errors = Vec::new();
    let code = match requirement(requirement_code) {
        Some(r) => Some(r.code.to_owned()),
        None => {
            errors.push(FieldError::new(
                "requirement",
                if requirement_code.trim().is_empty() {
                    FieldErrorKind::Required
                } else {
                    FieldErrorKind::UnknownValue
                },
            ));
            None
        }
    };
    let outcome = match Outcome::parse(outcome) {
        Some(o) => Some(o),
        None => {
            errors.push(FieldError::new(
                "outcome",
                if outcome.trim().is_empty() {
                    FieldErrorKind::Required
                } else {
                    FieldErrorKind::UnknownValue
                },
            ));
            None
        }
    };
    let checked_on = parse_date("checked_on", checked_on)
        .and_then(|d| {
            (d <= today)
                .then_some(d)
                .ok_or(FieldError::new("checked_on", FieldErrorKind::InvalidFormat))
        })
        .map_err(|e| errors.push(e))
        .ok();
    let note = parse_note("note", note).map_err(|e| errors.push(e)).ok();
    let link = crate::controls::parse_link(link)
        .map_err(|e| errors.push(e))
        .ok();
    if note.as_deref() == Some("") && link.as_deref() == Some("") {
        errors.push(FieldError::new("note", FieldErrorKind::Required));
    }
    match (code, outcome, checked_on, note, link) {
        (Some(requirement), Some(outcome), Some(checked_on), Some(note), Some(link))
            if errors.is_empty() =>
        {
            Ok(VerificationText {
                requirement,
                outcome,
                checked_on,
                note,
                link,
            })
        }
        _ => Err(errors),
    }
}

/// What the site decides about the flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagRules {
    /// An agreement ending within this many days is flagged.
    pub ending_days: u32,
    /// A requirement not checked within this many days (of the start, or of its last check)
    /// flags its agreement.
    pub verify_days: u32,
    /// Requirement codes every agreement must carry.
    pub mandatory: Vec<String>,
}

impl Default for FlagRules {
    fn default() -> Self {
        Self {
            ending_days: ENDING_SOON_DAYS,
            verify_days: VERIFY_WITHIN_DAYS,
            mandatory: DEFAULT_MANDATORY.iter().map(|c| (*c).to_owned()).collect(),
        }
    }
}

/// What an agreement is flagged for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    /// Ends within [`FlagRules::ending_days`] (and has not ended).
    pub ending_soon: bool,
    /// Its last day is past.
    pub ended: bool,
    /// In force, and some requirement it carries has gone unchecked longer than
    /// [`FlagRules::verify_days`].
    pub unverified: bool,
    /// The mandatory requirements it does not carry.
    pub missing: Vec<String>,
}

impl Flags {
    /// Flagged for something that needs attention (an ended agreement is history, not a flag).
    pub fn any(&self) -> bool {
        self.ending_soon || self.unverified || !self.missing.is_empty()
    }
}

/// The day since which the agreement's requirements have all stood checked: for each requirement
/// carried, its latest check (or, never checked, the agreement's start); the earliest of these.
/// `checks` are (requirement code, day checked).
pub fn verified_since(
    period: Period,
    carried: &[String],
    checks: &[(String, NaiveDate)],
) -> NaiveDate {
    carried
        .iter()
        .map(|code| {
            checks
                .iter()
                .filter(|(c, _)| c == code)
                .map(|(_, day)| *day)
                .max()
                .map_or(period.starts_on, |day| day.max(period.starts_on))
        })
        .min()
        .unwrap_or(period.starts_on)
}

/// Flags an agreement on `today`.
pub fn flags(
    period: Period,
    carried: &[String],
    checks: &[(String, NaiveDate)],
    rules: &FlagRules,
    today: NaiveDate,
) -> Flags {
    let ended = today > period.ends_on;
    let ending_soon = !ended && (period.ends_on - today).num_days() <= i64::from(rules.ending_days);
    let since = verified_since(period, carried, checks);
    let unverified = period.in_force(today)
        && !carried.is_empty()
        && (today - since).num_days() > i64::from(rules.verify_days);
    let missing = rules
        .mandatory
        .iter()
        .filter(|m| !carried.contains(m))
        .cloned()
        .collect();
    Flags {
        ending_soon,
        ended,
        unverified,
        missing,
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn period(from: &str, to: &str) -> Period {
        Period {
            starts_on: day(from),
            ends_on: day(to),
        }
    }

    fn codes(list: &[&str]) -> Vec<String> {
        list.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn every_requirement_and_outcome_has_its_text() {
        for r in REQUIREMENTS {
            assert!(crate::i18n::Lang::has(&r.key()), "{}", r.code);
            assert_eq!(requirement(r.code), Some(*r));
        }
        for o in Outcome::ALL {
            assert!(crate::i18n::Lang::has(o.key()), "{}", o.as_str());
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        for code in DEFAULT_MANDATORY {
            assert!(requirement(code).is_some(), "{code}");
        }
        for k in AgreementKind::ALL {
            assert_eq!(AgreementKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn periods_end_on_or_after_their_start() {
        assert_eq!(
            parse_period("2026-04-01", "2027-03-31").unwrap(),
            period("2026-04-01", "2027-03-31")
        );
        assert!(parse_period("2026-04-01", "2026-04-01").is_ok());
        let backwards = parse_period("2027-04-01", "2026-03-31").unwrap_err();
        assert_eq!(backwards[0].field, "ends_on");
        let both = parse_period("", "31/03/2027").unwrap_err();
        assert_eq!(both.len(), 2);
        assert!(parse_period("2026-02-30", "2027-03-31").is_err());
        assert!(parse_period("2026-04-01\u{0}", "2027-03-31").is_err());
    }

    #[test]
    fn requirements_keep_the_checklists_order_and_refuse_unknown_codes() {
        assert_eq!(
            parse_requirements(&["training", "subcontracting", "training"]).unwrap(),
            codes(&["subcontracting", "training"])
        );
        assert!(parse_requirements::<&str>(&[]).unwrap().is_empty());
        assert_eq!(
            parse_requirements(&["confidentiality", "<script>"])
                .unwrap_err()
                .field,
            "requirements"
        );
    }

    #[test]
    fn a_verification_needs_evidence_and_a_day_not_in_the_future() {
        let today = day("2026-12-05");
        let ok = parse_verification(
            "confidentiality",
            "met",
            "2026-12-01",
            "誓約書を確認",
            "",
            today,
        )
        .unwrap();
        assert_eq!(ok.outcome, Outcome::Met);
        assert!(
            parse_verification(
                "confidentiality",
                "met",
                "2026-12-01",
                "",
                "https://portal.example.lg.jp/evidence/1",
                today
            )
            .is_ok()
        );
        let fields = |r: Result<VerificationText, Vec<FieldError>>| {
            r.unwrap_err().iter().map(|e| e.field).collect::<Vec<_>>()
        };
        assert_eq!(
            fields(parse_verification("", "", "", "", "", today)),
            ["requirement", "outcome", "checked_on", "note"]
        );
        assert_eq!(
            fields(parse_verification(
                "confidentiality",
                "maybe",
                "2026-12-06",
                "x",
                "javascript:alert(1)",
                today
            )),
            ["outcome", "checked_on", "link"]
        );
        assert_eq!(
            fields(parse_verification(
                "confidentiality",
                "partly",
                "2026-12-01",
                "\u{7}",
                "",
                today
            )),
            ["note"]
        );
    }

    #[rstest]
    // Ends in 60 days: flagged; in 61: not; ended yesterday: ended, not ending.
    #[case("2026-04-01", "2027-02-03", "2026-12-05", true, false)]
    #[case("2026-04-01", "2027-02-04", "2026-12-05", false, false)]
    #[case("2026-04-01", "2026-12-04", "2026-12-05", false, true)]
    #[case("2026-04-01", "2026-12-05", "2026-12-05", true, false)]
    fn ending_soon_and_ended(
        #[case] from: &str,
        #[case] to: &str,
        #[case] today: &str,
        #[case] ending: bool,
        #[case] ended: bool,
    ) {
        let f = flags(
            period(from, to),
            &[],
            &[],
            &FlagRules::default(),
            day(today),
        );
        assert_eq!((f.ending_soon, f.ended), (ending, ended));
    }

    #[test]
    fn every_requirement_carried_must_be_checked_within_the_days() {
        let rules = FlagRules {
            verify_days: 180,
            ..FlagRules::default()
        };
        let p = period("2026-01-01", "2030-03-31");
        let carried = codes(&["confidentiality", "training"]);
        // 180 days after the start: still fine; 181: flagged.
        assert!(!flags(p, &carried, &[], &rules, day("2026-06-30")).unverified);
        assert!(flags(p, &carried, &[], &rules, day("2026-07-01")).unverified);
        // One requirement checked is not enough: the other still counts from the start.
        let one = vec![("confidentiality".to_owned(), day("2026-06-01"))];
        assert!(flags(p, &carried, &one, &rules, day("2026-07-01")).unverified);
        let both = vec![
            ("confidentiality".to_owned(), day("2026-06-01")),
            ("training".to_owned(), day("2026-05-01")),
        ];
        assert_eq!(verified_since(p, &carried, &both), day("2026-05-01"));
        assert!(!flags(p, &carried, &both, &rules, day("2026-10-28")).unverified);
        assert!(flags(p, &carried, &both, &rules, day("2026-10-29")).unverified);
        // Nothing carried, or not in force: not flagged for verification.
        assert!(!flags(p, &[], &[], &rules, day("2027-07-01")).unverified);
        assert!(!flags(p, &carried, &[], &rules, day("2031-01-01")).unverified);
        // A check made before the start counts from the start.
        let early = vec![
            ("confidentiality".to_owned(), day("2025-12-01")),
            ("training".to_owned(), day("2025-12-01")),
        ];
        assert_eq!(verified_since(p, &carried, &early), day("2026-01-01"));
    }

    #[test]
    fn a_missing_mandatory_requirement_is_named() {
        let rules = FlagRules {
            mandatory: codes(&["confidentiality", "incident_reporting"]),
            ..FlagRules::default()
        };
        let f = flags(
            period("2026-01-01", "2030-03-31"),
            &codes(&["confidentiality"]),
            &[],
            &rules,
            day("2026-02-01"),
        );
        assert_eq!(f.missing, codes(&["incident_reporting"]));
        assert!(f.any());
        let fine = flags(
            period("2026-01-01", "2030-03-31"),
            &codes(&["confidentiality", "incident_reporting"]),
            &[],
            &rules,
            day("2026-02-01"),
        );
        assert!(!fine.any());
    }
}
