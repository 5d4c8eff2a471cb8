//! 指摘事項 and 是正処置 (seed §7, §8): what a self-inspection or an audit found, and the action
//! that corrects it, verified by someone other than its owner.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::controls::MeasureState;
use crate::inspection::parse_date;
use crate::text::{FieldError, FieldErrorKind, parse_note};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// 重大な不適合.
    Major,
    /// 軽微な不適合.
    Minor,
    /// 観察事項.
    Observation,
}

impl FindingKind {
    pub const ALL: [FindingKind; 3] = [
        FindingKind::Major,
        FindingKind::Minor,
        FindingKind::Observation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Major => "major",
            FindingKind::Minor => "minor",
            FindingKind::Observation => "observation",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            FindingKind::Major => "finding.kind.major",
            FindingKind::Minor => "finding.kind.minor",
            FindingKind::Observation => "finding.kind.observation",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw.trim())
    }
}

/// Where a finding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingSource {
    /// 自己点検.
    Inspection,
    /// 情報セキュリティ監査.
    Audit,
}

impl FindingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingSource::Inspection => "inspection",
            FindingSource::Audit => "audit",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            FindingSource::Inspection => "finding.source.inspection",
            FindingSource::Audit => "finding.source.audit",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [FindingSource::Inspection, FindingSource::Audit]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// What a self-inspection answer makes of itself when its unit's result is signed off: 未実施
/// is a minor nonconformity, 一部実施 an observation; the rest find nothing. An auditor may
/// grade a finding again.
pub fn finding_of_answer(state: MeasureState) -> Option<FindingKind> {
    match state {
        MeasureState::Not => Some(FindingKind::Minor),
        MeasureState::Partly => Some(FindingKind::Observation),
        MeasureState::Implemented | MeasureState::NotApplicable => None,
    }
}

/// Where a corrective action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionState {
    /// 対応中.
    Open,
    /// 完了報告済み: its owner says it is done; it waits for verification.
    Done,
    /// 確認済み: verified by an auditor or an administrator who does not own it.
    Verified,
}

impl ActionState {
    pub const ALL: [ActionState; 3] = [ActionState::Open, ActionState::Done, ActionState::Verified];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionState::Open => "open",
            ActionState::Done => "done",
            ActionState::Verified => "verified",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            ActionState::Open => "corrective.state.open",
            ActionState::Done => "corrective.state.done",
            ActionState::Verified => "corrective.state.verified",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }
}

/// An action is overdue while it is not done and its due date has passed.
pub fn action_overdue(state: ActionState, due_on: NaiveDate, today: NaiveDate) -> bool {
    state == ActionState::Open && due_on < today
}

/// A finding as typed by an auditor: its kind and what was found.
pub fn parse_finding(
    kind: &str,
    description: &str,
) -> Result<(FindingKind, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    let kind = FindingKind::parse(kind)
        .ok_or_else(|| {
            errors.push(FieldError::new(
                "kind",
                if kind.trim().is_empty() {
                    FieldErrorKind::Required
                } else {
                    FieldErrorKind::UnknownValue
                },
            ))
        })
        .ok();
    let description = required_note("description", description)
        .map_err(|e| errors.push(e))
        .ok();
    match (kind, description) {
        (Some(kind), Some(description)) if errors.is_empty() => Ok((kind, description)),
        _ => Err(errors),
    }
}

/// A corrective action as typed: what is to be done and by when.
pub fn parse_action(
    description: &str,
    due_on: &str,
) -> Result<(String, NaiveDate), Vec<FieldError>> {
    let mut errors = Vec::new();
    let description = required_note("description", description)
        .map_err(|e| errors.push(e))
        .ok();
    let due_on = parse_date("due_on", due_on)
        .map_err(|e| errors.push(e))
        .ok();
    match (description, due_on) {
        (Some(description), Some(due_on)) if errors.is_empty() => Ok((description, due_on)),
        _ => Err(errors),
    }
}

/// A note that must say something (a completion report, a verification).
pub fn required_note(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let note = parse_note(field, raw)?;
    if note.is_empty() {
        return Err(FieldError::new(field, FieldErrorKind::Required));
    }
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_and_partly_answers_become_findings_and_the_rest_do_not() {
        assert_eq!(
            finding_of_answer(MeasureState::Not),
            Some(FindingKind::Minor)
        );
        assert_eq!(
            finding_of_answer(MeasureState::Partly),
            Some(FindingKind::Observation)
        );
        assert_eq!(finding_of_answer(MeasureState::Implemented), None);
        assert_eq!(finding_of_answer(MeasureState::NotApplicable), None);
    }

    #[test]
    fn codes_read_back_as_themselves() {
        for kind in FindingKind::ALL {
            assert_eq!(FindingKind::parse(kind.as_str()), Some(kind));
        }
        for state in ActionState::ALL {
            assert_eq!(ActionState::parse(state.as_str()), Some(state));
        }
        assert_eq!(FindingKind::parse("MAJOR"), None);
        assert_eq!(ActionState::parse(""), None);
    }

    #[test]
    fn an_open_action_past_its_date_is_overdue_and_a_done_one_is_not() {
        let due = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert!(action_overdue(ActionState::Open, due, today));
        assert!(!action_overdue(ActionState::Done, due, today));
        assert!(!action_overdue(ActionState::Verified, due, today));
        assert!(!action_overdue(ActionState::Open, today, today));
    }

    #[test]
    fn malformed_findings_and_actions_name_their_fields() {
        let errors = parse_finding("", "  ").unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.field).collect::<Vec<_>>(),
            ["kind", "description"]
        );
        assert_eq!(
            parse_finding("grave", "x").unwrap_err()[0].kind,
            FieldErrorKind::UnknownValue
        );
        assert!(parse_finding("minor", "a\u{7}b").is_err());
        let errors = parse_action("", "2026-13-01").unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.field).collect::<Vec<_>>(),
            ["description", "due_on"]
        );
        let (text, due) = parse_action(" 手順書を改訂する ", "2027-03-31").unwrap();
        assert_eq!(text, "手順書を改訂する");
        assert_eq!(due, NaiveDate::from_ymd_opt(2027, 3, 31).unwrap());
    }
}
