//! 指摘事項 and 是正処置's operations: the findings and actions the viewer may see, a finding
//! raised and graded by an auditor, an action planned, reported done by its owner and verified
//! by someone else. Each one authorises, validates and stores here and nowhere else.

use chrono::NaiveDate;
use mamori_core::authz::{
    CompleteCorrectiveAction, FindingPlace, ManageFindings, PlanCorrectiveAction,
    VerifyCorrectiveAction, ViewControls, ViewFindings, authorize,
};
use mamori_core::finding::{
    FindingKind, action_overdue, parse_action, parse_finding, required_note,
};
use mamori_core::text::parse_note;
use mamori_core::{FieldError, FieldErrorKind, PersonId, UnitId};
use mamori_store::{ActionId, CorrectiveAction, Finding, FindingId, InspectionId, NewAction};

use crate::http::{AppError, AppState, User};

/// Whether the viewer may read a finding: over its unit, or as the owner of one of its actions.
fn sees(user: &User, finding: &Finding) -> bool {
    authorize::<ViewFindings>(&user.actor, &finding.place()).is_ok()
        || finding
            .actions
            .iter()
            .any(|a| a.owner == user.actor.person_id)
}

/// Which findings to show.
#[derive(Default, Clone)]
pub struct FindingFilter {
    pub inspection: Option<InspectionId>,
    pub unit: Option<UnitId>,
    pub kind: Option<FindingKind>,
    /// Only those not closed.
    pub open: bool,
    /// Only those with an overdue action.
    pub overdue: bool,
}

pub async fn list(
    state: &AppState,
    user: &User,
    filter: &FindingFilter,
) -> Result<Vec<Finding>, AppError> {
    authorize::<ViewControls>(&user.actor, &())?;
    let today = state.today();
    Ok(state
        .store
        .findings()
        .await?
        .into_iter()
        .filter(|f| sees(user, f))
        .filter(|f| filter.inspection.is_none_or(|i| f.inspection == Some(i)))
        .filter(|f| filter.unit.is_none_or(|u| f.unit == u))
        .filter(|f| filter.kind.is_none_or(|k| f.kind == k))
        .filter(|f| !filter.open || f.closed_at.is_none())
        .filter(|f| {
            !filter.overdue
                || f.actions
                    .iter()
                    .any(|a| action_overdue(a.state, a.due_on, today))
        })
        .collect())
}

/// One finding; 404 for one the viewer may not read.
pub async fn finding(state: &AppState, user: &User, id: i64) -> Result<Finding, AppError> {
    let finding = state
        .store
        .finding(FindingId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    if !sees(user, &finding) {
        return Err(AppError::NotFound);
    }
    Ok(finding)
}

/// A finding as typed by an auditor.
#[derive(Default)]
pub struct FindingDraft {
    pub unit: Option<i64>,
    /// A measure's urn or code, or nothing.
    pub measure: String,
    pub clause: String,
    pub kind: String,
    pub description: String,
}

/// Raises a finding (auditors outside the unit, administrators).
pub async fn raise(
    state: &AppState,
    user: &User,
    draft: FindingDraft,
) -> Result<Finding, AppError> {
    let unit = state
        .store
        .unit_assets()
        .await?
        .into_iter()
        .find(|u| Some(u.unit.0) == draft.unit)
        .ok_or_else(|| {
            AppError::invalid(FieldError::new(
                "unit",
                if draft.unit.is_none() {
                    FieldErrorKind::Required
                } else {
                    FieldErrorKind::UnknownValue
                },
            ))
        })?;
    let grant = authorize::<ManageFindings>(
        &user.actor,
        &FindingPlace {
            org: unit.org,
            unit: unit.unit,
        },
    )?;
    let finding = crate::http::findings::new_finding(
        state,
        unit.unit,
        &draft.kind,
        &draft.description,
        &draft.clause,
        &draft.measure,
    )
    .await?;
    Ok(state
        .store
        .raise_finding(&grant, finding, &user.ctx.origin())
        .await?)
}

/// Grades a finding again (auditors outside the unit, administrators).
pub async fn grade(
    state: &AppState,
    user: &User,
    id: i64,
    kind: &str,
    description: &str,
) -> Result<Finding, AppError> {
    let finding = finding(state, user, id).await?;
    let grant = authorize::<ManageFindings>(&user.actor, &finding.place())?;
    let (kind, description) = parse_finding(kind, description).map_err(AppError::Invalid)?;
    Ok(state
        .store
        .grade_finding(&grant, finding.id, kind, &description, &user.ctx.origin())
        .await?)
}

/// An action as typed.
#[derive(Default)]
pub struct ActionDraft {
    pub description: String,
    pub owner: Option<i64>,
    pub due_on: String,
}

/// Plans an action for a finding (the unit's 管理者, its organisation's 責任者, administrators).
pub async fn plan(
    state: &AppState,
    user: &User,
    finding_id: i64,
    draft: ActionDraft,
) -> Result<CorrectiveAction, AppError> {
    let finding = finding(state, user, finding_id).await?;
    let grant = authorize::<PlanCorrectiveAction>(&user.actor, &finding.place())?;
    let mut errors = Vec::new();
    let text = parse_action(&draft.description, &draft.due_on)
        .map_err(|e| errors.extend(e))
        .ok();
    let owner = match draft.owner {
        Some(o) if o > 0 => Some(PersonId(o)),
        Some(_) => {
            errors.push(FieldError::new("owner", FieldErrorKind::InvalidFormat));
            None
        }
        None => {
            errors.push(FieldError::new("owner", FieldErrorKind::Required));
            None
        }
    };
    let (Some((description, due_on)), Some(owner)) = (text, owner) else {
        return Err(AppError::Invalid(errors));
    };
    Ok(state
        .store
        .plan_action(
            &grant,
            NewAction {
                finding: finding.id,
                description,
                owner,
                due_on,
            },
            &user.ctx.origin(),
        )
        .await?)
}

/// Every action the viewer may see: over its finding's unit, or their own.
pub async fn actions(
    state: &AppState,
    user: &User,
    mine: bool,
) -> Result<Vec<CorrectiveAction>, AppError> {
    Ok(state
        .store
        .actions()
        .await?
        .into_iter()
        .filter(|a| {
            let own = a.owner == user.actor.person_id;
            own || (!mine && authorize::<ViewFindings>(&user.actor, &a.place().finding).is_ok())
        })
        .collect())
}

async fn action(state: &AppState, user: &User, id: i64) -> Result<CorrectiveAction, AppError> {
    let action = state
        .store
        .action(ActionId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let own = action.owner == user.actor.person_id;
    if !own && authorize::<ViewFindings>(&user.actor, &action.place().finding).is_err() {
        return Err(AppError::NotFound);
    }
    Ok(action)
}

/// Reports an action done (its owner, or whoever may plan it).
pub async fn complete(
    state: &AppState,
    user: &User,
    id: i64,
    note: &str,
) -> Result<CorrectiveAction, AppError> {
    let action = action(state, user, id).await?;
    let grant = authorize::<CompleteCorrectiveAction>(&user.actor, &action.place())?;
    let note = required_note("note", note).map_err(AppError::invalid)?;
    Ok(state
        .store
        .complete_action(&grant, action.id, &note, &user.ctx.origin())
        .await?)
}

/// Verifies a done action, or sends it back with the reason (auditors outside the unit and
/// administrators, never the owner).
pub async fn verify(
    state: &AppState,
    user: &User,
    id: i64,
    accepted: bool,
    note: &str,
) -> Result<CorrectiveAction, AppError> {
    let action = action(state, user, id).await?;
    let grant = authorize::<VerifyCorrectiveAction>(&user.actor, &action.place())?;
    let note = if accepted {
        parse_note("note", note).map_err(AppError::invalid)?
    } else {
        // Sending an action back says why.
        required_note("note", note).map_err(AppError::invalid)?
    };
    Ok(state
        .store
        .verify_action(&grant, action.id, accepted, &note, &user.ctx.origin())
        .await?)
}

/// Whether an action is open past its due date.
pub fn overdue(action: &CorrectiveAction, today: NaiveDate) -> bool {
    action_overdue(action.state, action.due_on, today)
}

/// The people of a unit (id and name), for the owner of an action; at most 500.
pub async fn unit_people(
    state: &AppState,
    user: &User,
    unit: UnitId,
) -> Result<Vec<(i64, String)>, AppError> {
    let grant = authorize::<mamori_core::authz::ViewDirectory>(&user.actor, &())?;
    let (people, _) = state
        .store
        .list_people(
            &grant,
            &mamori_store::PeopleFilter {
                unit_id: Some(unit),
                limit: 500,
                ..Default::default()
            },
        )
        .await?;
    Ok(people.into_iter().map(|p| (p.id.0, p.name)).collect())
}
