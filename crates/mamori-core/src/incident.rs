//! 情報セキュリティインシデント (seed §6(7), 緊急対応体制): a report anyone may make, the CSIRT's
//! triage (severity, category, personal data, owner), a typed timeline, and the external
//! notifications that apply with their deadlines counted from detection — the rules as data.

use serde::{Deserialize, Serialize};

use crate::risk::{Level, ThreatCategory};
use crate::text::{FieldError, FieldErrorKind, Name, parse_note};

/// A step of an incident's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 検知.
    Detected,
    /// 報告.
    Reported,
    /// 封じ込め.
    Contained,
    /// 根絶.
    Eradicated,
    /// 復旧.
    Recovered,
    /// 外部への通知: names the rule it meets.
    Notified,
    /// 終結.
    Closed,
    /// 記録 (a free note).
    Note,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::Detected,
        Step::Reported,
        Step::Contained,
        Step::Eradicated,
        Step::Recovered,
        Step::Notified,
        Step::Closed,
        Step::Note,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Detected => "detected",
            Step::Reported => "reported",
            Step::Contained => "contained",
            Step::Eradicated => "eradicated",
            Step::Recovered => "recovered",
            Step::Notified => "notified",
            Step::Closed => "closed",
            Step::Note => "note",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Step::Detected => "incident.step.detected",
            Step::Reported => "incident.step.reported",
            Step::Contained => "incident.step.contained",
            Step::Eradicated => "incident.step.eradicated",
            Step::Recovered => "incident.step.recovered",
            Step::Notified => "incident.step.notified",
            Step::Closed => "incident.step.closed",
            Step::Note => "incident.step.note",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }
}

/// When an external notification applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "when", content = "value")]
pub enum Applies {
    /// Personal data is involved.
    PersonalData,
    /// The severity is at least this level.
    Severity(Level),
    /// The incident's category (its threat's) is this one.
    Category(ThreatCategory),
}

/// An external notification an incident may owe: to whom, when it applies, and by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRule {
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub applies: Applies,
    /// Hours from detection.
    pub due_hours: u32,
    /// Hours from detection where an unauthorised purpose is suspected (不正の目的), if longer.
    pub due_hours_unauthorised: Option<u32>,
}

/// The notifications of a Japanese local government, in our words: the 個人情報保護委員会's
/// 速報 (promptly: three days here) and 確報 (30 days, 60 where an unauthorised purpose is
/// suspected), the prefecture and 総務省 for a serious incident, the police for an intentional
/// one.
pub fn builtin_rules() -> Vec<NotificationRule> {
    let rule = |code: &str, ja: &str, en: &str, applies, hours, unauthorised| NotificationRule {
        code: code.into(),
        name_ja: ja.into(),
        name_en: en.into(),
        applies,
        due_hours: hours,
        due_hours_unauthorised: unauthorised,
    };
    vec![
        rule(
            "PPC-PROMPT",
            "個人情報保護委員会への速報",
            "Prompt report to the Personal Information Protection Commission",
            Applies::PersonalData,
            72,
            None,
        ),
        rule(
            "PPC-FINAL",
            "個人情報保護委員会への確報",
            "Final report to the Personal Information Protection Commission",
            Applies::PersonalData,
            30 * 24,
            Some(60 * 24),
        ),
        rule(
            "PREFECTURE",
            "都道府県への報告",
            "Report to the prefecture",
            Applies::Severity(Level::High),
            24,
            None,
        ),
        rule(
            "MIC",
            "総務省への報告",
            "Report to the Ministry of Internal Affairs and Communications",
            Applies::Severity(Level::Critical),
            24,
            None,
        ),
        rule(
            "POLICE",
            "警察への相談",
            "Consultation with the police",
            Applies::Category(ThreatCategory::Intentional),
            72,
            None,
        ),
    ]
}

/// What the rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub severity: Option<Level>,
    pub category: Option<ThreatCategory>,
    pub personal_data: bool,
    pub unauthorised_purpose: bool,
}

/// A notification an incident owes, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub rule: NotificationRule,
    /// Milliseconds since the epoch.
    pub due_ms: i64,
}

/// The notifications that apply to an incident, with their deadlines from its detection.
pub fn notifications(rules: &[NotificationRule], facts: &Facts, detected_ms: i64) -> Vec<Due> {
    rules
        .iter()
        .filter(|r| match r.applies {
            Applies::PersonalData => facts.personal_data,
            Applies::Severity(min) => facts.severity.is_some_and(|s| s >= min),
            Applies::Category(category) => facts.category == Some(category),
        })
        .map(|r| {
            let hours = match (facts.unauthorised_purpose, r.due_hours_unauthorised) {
                (true, Some(longer)) => longer,
                _ => r.due_hours,
            };
            Due {
                rule: r.clone(),
                due_ms: detected_ms.saturating_add(i64::from(hours) * 3_600_000),
            }
        })
        .collect()
}

/// A report as typed by anyone: a title and what happened.
pub fn parse_report(title: &str, description: &str) -> Result<(Name, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    let title = Name::parse("title", title).map_err(|e| errors.push(e)).ok();
    let description = parse_note("description", description)
        .map_err(|e| errors.push(e))
        .ok();
    match (title, description) {
        (Some(title), Some(description)) if errors.is_empty() => Ok((title, description)),
        _ => Err(errors),
    }
}

/// How many people's data: none is zero, never negative, at most a hundred million.
pub fn parse_people(raw: Option<i64>) -> Result<i64, FieldError> {
    match raw {
        None => Ok(0),
        Some(n) if (0..=100_000_000).contains(&n) => Ok(n),
        Some(_) => Err(FieldError::new("people", FieldErrorKind::InvalidFormat)),
    }
}

/// Where an インシデント候補 (incident candidate) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateSource {
    /// The 無害化 gateway: a message held for malware-like content; the reference is the
    /// quarantine entry's id.
    Gateway,
    /// The segment monitor: an alert; the reference is the alert's id.
    Monitor,
}

impl CandidateSource {
    pub const ALL: [CandidateSource; 2] = [CandidateSource::Gateway, CandidateSource::Monitor];

    pub fn as_str(self) -> &'static str {
        match self {
            CandidateSource::Gateway => "gateway",
            CandidateSource::Monitor => "monitor",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            CandidateSource::Gateway => "incident.candidate.source.gateway",
            CandidateSource::Monitor => "incident.candidate.source.monitor",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }
}

/// Where a candidate stands: open until the CSIRT opens an incident from it or dismisses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateState {
    Open,
    /// An incident was opened from it.
    Opened,
    /// Dismissed, with a reason.
    Dismissed,
}

impl CandidateState {
    pub const ALL: [CandidateState; 3] = [
        CandidateState::Open,
        CandidateState::Opened,
        CandidateState::Dismissed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CandidateState::Open => "open",
            CandidateState::Opened => "opened",
            CandidateState::Dismissed => "dismissed",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            CandidateState::Open => "incident.candidate.state.open",
            CandidateState::Opened => "incident.candidate.state.opened",
            CandidateState::Dismissed => "incident.candidate.state.dismissed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }
}

/// A source's reference as kept: trimmed, 1 to 200 characters, no control characters.
pub fn parse_reference(raw: &str) -> Result<String, FieldError> {
    Name::parse("reference", raw).map(|n| n.as_str().to_owned())
}

/// Why a candidate is dismissed: required, a note's rules otherwise.
pub fn parse_dismissal(raw: &str) -> Result<String, FieldError> {
    let reason = parse_note("reason", raw)?;
    if reason.is_empty() {
        return Err(FieldError::new("reason", FieldErrorKind::Required));
    }
    Ok(reason)
}

/// 教訓 (lessons learned) as typed: required, a note's rules otherwise.
pub fn parse_lessons(raw: &str) -> Result<String, FieldError> {
    let lessons = parse_note("lessons", raw)?;
    if lessons.is_empty() {
        return Err(FieldError::new("lessons", FieldErrorKind::Required));
    }
    Ok(lessons)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn personal_data_owes_the_commission_a_prompt_and_a_final_report() {
        let facts = Facts {
            severity: Some(Level::Medium),
            category: Some(ThreatCategory::Accidental),
            personal_data: true,
            unauthorised_purpose: false,
        };
        let due = notifications(&builtin_rules(), &facts, 0);
        let codes: Vec<(&str, i64)> = due
            .iter()
            .map(|d| (d.rule.code.as_str(), d.due_ms / DAY))
            .collect();
        assert_eq!(codes, [("PPC-PROMPT", 3), ("PPC-FINAL", 30)]);
        let suspected = Facts {
            unauthorised_purpose: true,
            ..facts
        };
        let final_report = notifications(&builtin_rules(), &suspected, 0)
            .into_iter()
            .find(|d| d.rule.code == "PPC-FINAL")
            .unwrap();
        assert_eq!(final_report.due_ms, 60 * DAY);
    }

    #[test]
    fn severity_and_category_bring_their_own_notifications() {
        let facts = Facts {
            severity: Some(Level::Critical),
            category: Some(ThreatCategory::Intentional),
            personal_data: false,
            unauthorised_purpose: false,
        };
        let codes: Vec<String> = notifications(&builtin_rules(), &facts, 1_000)
            .into_iter()
            .map(|d| d.rule.code)
            .collect();
        assert_eq!(codes, ["PREFECTURE", "MIC", "POLICE"]);
        let untriaged = Facts {
            severity: None,
            category: None,
            personal_data: false,
            unauthorised_purpose: false,
        };
        assert!(notifications(&builtin_rules(), &untriaged, 0).is_empty());
    }

    #[test]
    fn reports_and_counts_are_checked() {
        assert!(parse_report("USBメモリの紛失", "").is_ok());
        let errors = parse_report(" ", "a\u{0}").unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.field).collect::<Vec<_>>(),
            ["title", "description"]
        );
        assert_eq!(parse_people(None), Ok(0));
        assert!(parse_people(Some(-1)).is_err());
        assert!(parse_people(Some(i64::MAX)).is_err());
        for step in Step::ALL {
            assert_eq!(Step::parse(step.as_str()), Some(step));
        }
    }

    #[test]
    fn candidates_name_their_source_and_state_and_a_dismissal_says_why() {
        for source in CandidateSource::ALL {
            assert_eq!(CandidateSource::parse(source.as_str()), Some(source));
        }
        for state in CandidateState::ALL {
            assert_eq!(CandidateState::parse(state.as_str()), Some(state));
        }
        assert_eq!(CandidateSource::parse("mail"), None);
        assert_eq!(parse_reference(" q-1 ").unwrap(), "q-1");
        assert!(parse_reference("").is_err());
        assert!(parse_reference("a\nb").is_err());
        assert!(parse_reference(&"x".repeat(201)).is_err());
        assert_eq!(
            parse_dismissal("  ").unwrap_err().kind,
            FieldErrorKind::Required
        );
        assert_eq!(
            parse_dismissal("a\u{0}").unwrap_err().kind,
            FieldErrorKind::ControlCharacter
        );
        assert_eq!(parse_dismissal(" 誤検知 ").unwrap(), "誤検知");
        assert_eq!(parse_lessons("").unwrap_err().field, "lessons");
        assert_eq!(parse_lessons("手順を見直す").unwrap(), "手順を見直す");
    }
}
