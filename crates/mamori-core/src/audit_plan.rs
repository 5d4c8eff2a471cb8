//! 情報セキュリティ監査 (seed §7): an audit's plan (年度, title, criteria, period, the units and
//! chapters in scope), its team, and the rule that makes it an audit — independence: nobody
//! audits a unit they belong to or manage.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::inspection::{YEARS, parse_date};
use crate::org::{OrgId, UnitId};
use crate::role::{Role, Scope};
use crate::text::{FieldError, FieldErrorKind, Name, parse_note};

/// Where an audit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditState {
    /// 計画: the plan and the team are being set.
    Planned,
    /// 実施中: fieldwork has begun (the first note or finding).
    Fieldwork,
    /// 報告済み: the report is issued; the audit is closed to changes.
    Reported,
}

impl AuditState {
    pub const ALL: [AuditState; 3] = [
        AuditState::Planned,
        AuditState::Fieldwork,
        AuditState::Reported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditState::Planned => "planned",
            AuditState::Fieldwork => "fieldwork",
            AuditState::Reported => "reported",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            AuditState::Planned => "audit.state.planned",
            AuditState::Fieldwork => "audit.state.fieldwork",
            AuditState::Reported => "audit.state.reported",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// An audit's plan as given, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPlanText {
    pub year: i32,
    pub title: Name,
    /// 監査基準: what the audit measures against (the 対策基準, a law, a guideline).
    pub criteria: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Checks an audit's plan: a year, a title, the criteria and a period whose end is not before
/// its start.
pub fn parse_audit_plan(
    year: Option<i64>,
    title: &str,
    criteria: &str,
    from: &str,
    to: &str,
) -> Result<AuditPlanText, Vec<FieldError>> {
    let mut errors = Vec::new();
    let year = match year.map(i32::try_from) {
        Some(Ok(y)) if YEARS.contains(&y) => Some(y),
        Some(_) => {
            errors.push(FieldError::new("year", FieldErrorKind::InvalidFormat));
            None
        }
        None => {
            errors.push(FieldError::new("year", FieldErrorKind::Required));
            None
        }
    };
    let title = Name::parse("title", title).map_err(|e| errors.push(e)).ok();
    let criteria = parse_note("criteria", criteria)
        .map_err(|e| errors.push(e))
        .ok();
    let from = parse_date("period_from", from)
        .map_err(|e| errors.push(e))
        .ok();
    let to = parse_date("period_to", to).map_err(|e| errors.push(e)).ok();
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        errors.push(FieldError::new("period_to", FieldErrorKind::InvalidFormat));
    }
    match (year, title, criteria, from, to) {
        (Some(year), Some(title), Some(criteria), Some(from), Some(to)) if errors.is_empty() => {
            Ok(AuditPlanText {
                year,
                title,
                criteria,
                from,
                to,
            })
        }
        _ => Err(errors),
    }
}

/// What the independence rule knows of a prospective member of an audit team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberFacts {
    /// The unit the person belongs to.
    pub unit: Option<UnitId>,
    pub roles: Vec<(Role, Scope)>,
}

/// Why a person may not audit a unit of the scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dependence {
    /// They belong to the unit.
    BelongsToUnit,
    /// They are its 情報セキュリティ管理者.
    ManagesUnit,
    /// They are the 情報セキュリティ責任者 of its organisation.
    OverseesOrganisation,
}

impl Dependence {
    pub fn as_str(self) -> &'static str {
        match self {
            Dependence::BelongsToUnit => "belongs_to_unit",
            Dependence::ManagesUnit => "manages_unit",
            Dependence::OverseesOrganisation => "oversees_organisation",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Dependence::BelongsToUnit => "audit.dependence.belongs_to_unit",
            Dependence::ManagesUnit => "audit.dependence.manages_unit",
            Dependence::OverseesOrganisation => "audit.dependence.oversees_organisation",
        }
    }
}

/// 独立性: the first unit of the scope (organisation and unit) that the person may not audit,
/// and why; `None` when they are independent of all of it.
pub fn dependence(member: &MemberFacts, scope: &[(OrgId, UnitId)]) -> Option<(UnitId, Dependence)> {
    scope.iter().find_map(|(org, unit)| {
        if member.unit == Some(*unit) {
            return Some((*unit, Dependence::BelongsToUnit));
        }
        member
            .roles
            .iter()
            .find_map(|(role, held)| match (role, held) {
                (Role::SecurityManager, Scope::Unit(u)) if u == unit => {
                    Some((*unit, Dependence::ManagesUnit))
                }
                (Role::SecurityOfficer, Scope::Organisation(o)) if o == org => {
                    Some((*unit, Dependence::OverseesOrganisation))
                }
                _ => None,
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCOPE: [(OrgId, UnitId); 2] = [(OrgId(1), UnitId(11)), (OrgId(2), UnitId(21))];

    #[test]
    fn a_member_of_an_audited_unit_its_manager_or_its_officer_is_not_independent() {
        let member = |unit: Option<i64>, roles: Vec<(Role, Scope)>| MemberFacts {
            unit: unit.map(UnitId),
            roles,
        };
        assert_eq!(
            dependence(&member(Some(21), vec![]), &SCOPE),
            Some((UnitId(21), Dependence::BelongsToUnit))
        );
        assert_eq!(
            dependence(
                &member(
                    Some(12),
                    vec![(Role::SecurityManager, Scope::Unit(UnitId(11)))]
                ),
                &SCOPE
            ),
            Some((UnitId(11), Dependence::ManagesUnit))
        );
        assert_eq!(
            dependence(
                &member(
                    None,
                    vec![(Role::SecurityOfficer, Scope::Organisation(OrgId(2)))]
                ),
                &SCOPE
            ),
            Some((UnitId(21), Dependence::OverseesOrganisation))
        );
        // An auditor of another unit, a manager of another unit, a CISO: independent.
        for roles in [
            vec![(Role::Auditor, Scope::Global)],
            vec![(Role::SecurityManager, Scope::Unit(UnitId(12)))],
            vec![(Role::Ciso, Scope::Global)],
            vec![(Role::SecurityOfficer, Scope::Organisation(OrgId(3)))],
        ] {
            assert_eq!(dependence(&member(Some(12), roles), &SCOPE), None);
        }
        assert_eq!(dependence(&member(Some(11), vec![]), &[]), None);
    }

    #[test]
    fn a_plan_needs_its_year_title_and_a_period_in_order() {
        let plan = parse_audit_plan(
            Some(2026),
            "令和8年度 情報セキュリティ監査",
            "対策基準",
            "2026-10-01",
            "2026-11-30",
        )
        .unwrap();
        assert_eq!(plan.year, 2026);
        let errors = parse_audit_plan(None, "", "a\u{1}", "2026-11-30", "2026-10-01").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["year", "title", "criteria", "period_to"]);
        let errors = parse_audit_plan(Some(3000), "t", "", "x", "").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["year", "period_from", "period_to"]);
    }
}
