//! 自己点検 (seed §7): a yearly campaign in which each unit's 情報セキュリティ管理者 answers every
//! measure of a catalogue that concerns the unit, and the 情報セキュリティ責任者 of its
//! organisation signs the unit's result off. What an answer says is the catalogue's own
//! 実施状況 (`controls::MeasureState`); a campaign counts the answers given while it is open.

use chrono::NaiveDate;

use crate::controls::MeasureState;
use crate::text::{FieldError, FieldErrorKind, Name, parse_note};

/// The first and last 年度 a campaign may be held for.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A campaign as given: its 年度, title and due date, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignText {
    pub year: i32,
    pub title: Name,
    pub due_on: NaiveDate,
}

/// Checks a campaign's year, title and due date.
pub fn parse_campaign(
    year: Option<i64>,
    title: &str,
    due_on: &str,
) -> Result<CampaignText, Vec<FieldError>> {
    let mut errors = Vec::new();
    let year = match year {
        None => {
            errors.push(FieldError::new("year", FieldErrorKind::Required));
            None
        }
        Some(y) => i32::try_from(y)
            .ok()
            .filter(|y| YEARS.contains(y))
            .or_else(|| {
                errors.push(FieldError::new("year", FieldErrorKind::InvalidFormat));
                None
            }),
    };
    let title = Name::parse("title", title).map_err(|e| errors.push(e)).ok();
    let due_on = parse_date("due_on", due_on)
        .map_err(|e| errors.push(e))
        .ok();
    match (year, title, due_on) {
        (Some(year), Some(title), Some(due_on)) if errors.is_empty() => Ok(CampaignText {
            year,
            title,
            due_on,
        }),
        _ => Err(errors),
    }
}

/// A date as typed (`2026-12-31`): required.
pub fn parse_date(field: &'static str, raw: &str) -> Result<NaiveDate, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(FieldError::new(field, FieldErrorKind::Required));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, FieldErrorKind::InvalidFormat))
}

/// A sign-off's note (optional).
pub fn parse_sign_off(note: &str) -> Result<String, Vec<FieldError>> {
    parse_note("note", note).map_err(|e| vec![e])
}

/// How far a unit has come in a campaign.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Items the unit is to answer.
    pub items: usize,
    pub implemented: usize,
    pub partly: usize,
    pub not: usize,
    pub not_applicable: usize,
}

impl Progress {
    pub fn add(&mut self, state: Option<MeasureState>, n: usize) {
        self.items += n;
        match state {
            Some(MeasureState::Implemented) => self.implemented += n,
            Some(MeasureState::Partly) => self.partly += n,
            Some(MeasureState::Not) => self.not += n,
            Some(MeasureState::NotApplicable) => self.not_applicable += n,
            None => {}
        }
    }

    pub fn merge(&mut self, other: &Progress) {
        self.items += other.items;
        self.implemented += other.implemented;
        self.partly += other.partly;
        self.not += other.not;
        self.not_applicable += other.not_applicable;
    }

    pub fn answered(&self) -> usize {
        self.implemented + self.partly + self.not + self.not_applicable
    }

    /// Every item has its answer: the unit's result may be signed off.
    pub fn complete(&self) -> bool {
        self.answered() == self.items
    }

    /// The share answered, in whole percent (100 for a unit with nothing to answer).
    pub fn percent(&self) -> usize {
        (self.answered() * 100)
            .checked_div(self.items)
            .unwrap_or(100)
    }

    /// The share of the answers that apply which say 実施済み, in whole percent.
    pub fn compliance(&self) -> Option<usize> {
        let applicable = self.implemented + self.partly + self.not;
        (self.implemented * 100).checked_div(applicable)
    }
}

/// Whether a campaign's due date has passed without the unit's result signed off.
pub fn overdue(due_on: NaiveDate, signed: bool, today: NaiveDate) -> bool {
    !signed && due_on < today
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_campaign_needs_a_year_a_title_and_a_due_date() {
        let ok = parse_campaign(Some(2026), " 令和8年度 自己点検 ", "2027-01-31").unwrap();
        assert_eq!(ok.year, 2026);
        assert_eq!(ok.title.as_str(), "令和8年度 自己点検");
        assert_eq!(ok.due_on, NaiveDate::from_ymd_opt(2027, 1, 31).unwrap());

        let errors = parse_campaign(None, "", "").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field, e.kind)).collect();
        assert_eq!(
            fields,
            vec![
                ("year", FieldErrorKind::Required),
                ("title", FieldErrorKind::Required),
                ("due_on", FieldErrorKind::Required),
            ]
        );
    }

    #[test]
    fn hostile_years_and_dates_are_refused() {
        for year in [1999, 2101, i64::MAX, i64::MIN, -1] {
            let errors = parse_campaign(Some(year), "t", "2027-01-31").unwrap_err();
            assert_eq!(errors[0].field, "year", "{year}");
        }
        for date in [
            "2027-02-30",
            "2027/01/31",
            "令和9年1月31日",
            "2027-01-31\u{0}",
            "x",
        ] {
            let errors = parse_campaign(Some(2026), "t", date).unwrap_err();
            assert_eq!(errors[0].field, "due_on", "{date:?}");
        }
        let errors = parse_campaign(Some(2026), "a\u{202e}b", "2027-01-31").unwrap_err();
        assert_eq!(errors[0].field, "title");
    }

    #[test]
    fn progress_counts_answers_and_knows_when_it_is_complete() {
        let mut p = Progress::default();
        p.add(Some(MeasureState::Implemented), 6);
        p.add(Some(MeasureState::Partly), 1);
        p.add(Some(MeasureState::Not), 1);
        p.add(None, 2);
        assert_eq!(p.items, 10);
        assert_eq!(p.answered(), 8);
        assert_eq!(p.percent(), 80);
        assert_eq!(p.compliance(), Some(75));
        assert!(!p.complete());
        p.not_applicable += 2;
        assert!(p.complete());
        assert_eq!(Progress::default().percent(), 100);
        assert_eq!(Progress::default().compliance(), None);
    }

    #[test]
    fn only_an_unsigned_result_past_its_date_is_overdue() {
        let due = NaiveDate::from_ymd_opt(2027, 1, 31).unwrap();
        let after = NaiveDate::from_ymd_opt(2027, 2, 1).unwrap();
        assert!(overdue(due, false, after));
        assert!(!overdue(due, true, after));
        assert!(!overdue(due, false, due));
    }
}
