//! 例外措置 (seed §6(9)): a unit asks to deviate from a measure, for a reason, with
//! compensating measures and an end date; the CISO decides. In an emergency the deviation is
//! taken first and reported within a set number of days. An exception past its end date is
//! expired and shown as such against the measure.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::finding::required_note;
use crate::inspection::parse_date;
use crate::text::{FieldError, FieldErrorKind};

/// How many days an emergency exception may wait before it is reported, unless the site sets
/// its own.
pub const EMERGENCY_REPORT_DAYS: u32 = 3;

/// Where an exception stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionState {
    /// 申請中: waits for the decision; not in effect.
    Requested,
    /// 緊急措置中: taken first, in effect, waits for the decision.
    Emergency,
    /// 承認: in effect until its end date.
    Approved,
    /// 却下.
    Rejected,
}

impl ExceptionState {
    pub const ALL: [ExceptionState; 4] = [
        ExceptionState::Requested,
        ExceptionState::Emergency,
        ExceptionState::Approved,
        ExceptionState::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionState::Requested => "requested",
            ExceptionState::Emergency => "emergency",
            ExceptionState::Approved => "approved",
            ExceptionState::Rejected => "rejected",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            ExceptionState::Requested => "exception.state.requested",
            ExceptionState::Emergency => "exception.state.emergency",
            ExceptionState::Approved => "exception.state.approved",
            ExceptionState::Rejected => "exception.state.rejected",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }

    /// Waits for the CISO's decision.
    pub fn undecided(self) -> bool {
        matches!(self, ExceptionState::Requested | ExceptionState::Emergency)
    }

    /// The deviation is in effect (until its end date).
    pub fn in_effect(self) -> bool {
        matches!(self, ExceptionState::Approved | ExceptionState::Emergency)
    }
}

/// An exception as asked for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionText {
    pub reason: String,
    pub compensating: String,
    pub until: NaiveDate,
    /// For an emergency: the day the deviation was taken.
    pub taken_on: Option<NaiveDate>,
}

/// Checks an exception: a reason, the compensating measures, an end date after today (and
/// after the day an emergency deviation was taken, which is not in the future).
pub fn parse_exception(
    reason: &str,
    compensating: &str,
    until: &str,
    emergency: bool,
    taken_on: &str,
    today: NaiveDate,
) -> Result<ExceptionText, Vec<FieldError>> {
    let mut errors = Vec::new();
    let reason = required_note("reason", reason)
        .map_err(|e| errors.push(e))
        .ok();
    let compensating = required_note("compensating", compensating)
        .map_err(|e| errors.push(e))
        .ok();
    let until = parse_date("until", until)
        .and_then(|d| {
            (d >= today)
                .then_some(d)
                .ok_or(FieldError::new("until", FieldErrorKind::InvalidFormat))
        })
        .map_err(|e| errors.push(e))
        .ok();
    let taken_on = if emergency {
        parse_date("taken_on", taken_on)
            .and_then(|d| {
                (d <= today)
                    .then_some(d)
                    .ok_or(FieldError::new("taken_on", FieldErrorKind::InvalidFormat))
            })
            .map_err(|e| errors.push(e))
            .ok()
    } else if taken_on.trim().is_empty() {
        None
    } else {
        errors.push(FieldError::new("taken_on", FieldErrorKind::NotAllowed));
        None
    };
    match (reason, compensating, until) {
        (Some(reason), Some(compensating), Some(until)) if errors.is_empty() => Ok(ExceptionText {
            reason,
            compensating,
            until,
            taken_on,
        }),
        _ => Err(errors),
    }
}

/// An exception in effect past its end date: expired, and flagged.
pub fn expired(state: ExceptionState, until: NaiveDate, today: NaiveDate) -> bool {
    state.in_effect() && until < today
}

/// An emergency reported more than `days` after it was taken: reported late.
pub fn reported_late(taken_on: Option<NaiveDate>, reported_on: NaiveDate, days: u32) -> bool {
    taken_on.is_some_and(|taken| (reported_on - taken).num_days() > i64::from(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    #[test]
    fn an_exception_needs_its_reason_compensation_and_a_future_end() {
        let today = day(12, 5);
        let ok = parse_exception(
            "旧OSの更新待ち",
            "ネットワーク分離",
            "2027-03-31",
            false,
            "",
            today,
        )
        .unwrap();
        assert_eq!(ok.until, NaiveDate::from_ymd_opt(2027, 3, 31).unwrap());
        assert_eq!(ok.taken_on, None);
        let errors =
            parse_exception("", " ", "2026-12-04", false, "2026-12-01", today).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["reason", "compensating", "until", "taken_on"]);
        // An emergency names the day it was taken, not a future one.
        let emergency = parse_exception(
            "障害対応",
            "監視強化",
            "2026-12-31",
            true,
            "2026-12-03",
            today,
        )
        .unwrap();
        assert_eq!(emergency.taken_on, Some(day(12, 3)));
        for taken in ["", "2026-12-06", "昨日"] {
            let errors = parse_exception("r", "c", "2026-12-31", true, taken, today).unwrap_err();
            assert_eq!(errors[0].field, "taken_on", "{taken:?}");
        }
        assert!(parse_exception("a\u{7}", "c", "2026-12-31", false, "", today).is_err());
    }

    #[test]
    fn only_an_exception_in_effect_expires_and_emergencies_are_reported_in_time() {
        assert!(expired(ExceptionState::Approved, day(12, 4), day(12, 5)));
        assert!(expired(ExceptionState::Emergency, day(12, 4), day(12, 5)));
        assert!(!expired(ExceptionState::Approved, day(12, 5), day(12, 5)));
        assert!(!expired(ExceptionState::Rejected, day(1, 1), day(12, 5)));
        assert!(!expired(ExceptionState::Requested, day(1, 1), day(12, 5)));
        assert!(!reported_late(Some(day(12, 1)), day(12, 4), 3));
        assert!(reported_late(Some(day(12, 1)), day(12, 5), 3));
        assert!(!reported_late(None, day(12, 5), 3));
        for state in ExceptionState::ALL {
            assert_eq!(ExceptionState::parse(state.as_str()), Some(state));
        }
    }
}
