//! 情報セキュリティ監査's operations: the audits the viewer may read, one planned with its scope,
//! its team (independent of the scope, checked in core and again in the store), fieldwork notes
//! and findings by the team, and the report. Each one authorises, validates and stores here and
//! nowhere else.

use mamori_core::audit_plan::parse_audit_plan;
use mamori_core::authz::{ManageAudits, ViewControls, ViewSecurityAudit, WorkOnAudit, authorize};
use mamori_core::controls::Chapter;
use mamori_core::finding::required_note;
use mamori_core::{FieldError, FieldErrorKind, PersonId, UnitId};
use mamori_store::{AuditId, Finding, NewAudit, SecurityAudit};

use crate::http::{AppError, AppState, User};

/// The audits the viewer may read.
pub async fn list(state: &AppState, user: &User) -> Result<Vec<SecurityAudit>, AppError> {
    authorize::<ViewControls>(&user.actor, &())?;
    Ok(state
        .store
        .security_audits()
        .await?
        .into_iter()
        .filter(|a| authorize::<ViewSecurityAudit>(&user.actor, &a.place()).is_ok())
        .collect())
}

/// One audit; 404 for one the viewer may not read.
pub async fn audit(state: &AppState, user: &User, id: i64) -> Result<SecurityAudit, AppError> {
    let audit = state
        .store
        .security_audit(AuditId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    authorize::<ViewSecurityAudit>(&user.actor, &audit.place()).map_err(|_| AppError::NotFound)?;
    Ok(audit)
}

/// The findings an audit raised.
pub async fn findings(state: &AppState, audit: &SecurityAudit) -> Result<Vec<Finding>, AppError> {
    Ok(state
        .store
        .findings()
        .await?
        .into_iter()
        .filter(|f| f.audit == Some(audit.id))
        .collect())
}

/// An audit's plan as typed or sent.
#[derive(Default)]
pub struct PlanDraft {
    pub year: Option<i64>,
    pub title: String,
    pub criteria: String,
    pub from: String,
    pub to: String,
    pub units: Vec<i64>,
    /// Chapter codes; none means every chapter.
    pub chapters: Vec<String>,
}

/// Plans an audit (administrators).
pub async fn create(
    state: &AppState,
    user: &User,
    draft: PlanDraft,
) -> Result<SecurityAudit, AppError> {
    let grant = authorize::<ManageAudits>(&user.actor, &())?;
    let mut errors = Vec::new();
    let plan = parse_audit_plan(
        draft.year,
        &draft.title,
        &draft.criteria,
        &draft.from,
        &draft.to,
    )
    .map_err(|e| errors.extend(e))
    .ok();
    if draft.units.is_empty() {
        errors.push(FieldError::new("units", FieldErrorKind::Required));
    }
    if draft.units.iter().any(|u| *u <= 0) {
        errors.push(FieldError::new("units", FieldErrorKind::InvalidFormat));
    }
    if draft.chapters.iter().any(|c| Chapter::parse(c).is_none()) {
        errors.push(FieldError::new("chapters", FieldErrorKind::UnknownValue));
    }
    let Some(plan) = plan.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    Ok(state
        .store
        .create_security_audit(
            &grant,
            NewAudit {
                year: plan.year,
                title: plan.title.as_str().to_owned(),
                criteria: plan.criteria,
                from: plan.from,
                to: plan.to,
                units: draft.units.into_iter().map(UnitId).collect(),
                chapters: draft.chapters,
            },
            &user.ctx.origin(),
        )
        .await?)
}

/// Adds a member to the team (administrators). Someone who belongs to, manages or oversees a
/// unit of the scope is refused with the reason: by core's rule, then by the store.
pub async fn add_member(
    state: &AppState,
    user: &User,
    id: i64,
    person: Option<i64>,
    lead: bool,
) -> Result<SecurityAudit, AppError> {
    let audit = audit(state, user, id).await?;
    let grant = authorize::<ManageAudits>(&user.actor, &())?;
    let person = person
        .filter(|p| *p > 0)
        .ok_or_else(|| AppError::invalid(FieldError::new("person", FieldErrorKind::Required)))?;
    Ok(state
        .store
        .add_audit_member(&grant, audit.id, PersonId(person), lead, &user.ctx.origin())
        .await?)
}

pub async fn remove_member(
    state: &AppState,
    user: &User,
    id: i64,
    person: i64,
) -> Result<SecurityAudit, AppError> {
    let audit = audit(state, user, id).await?;
    let grant = authorize::<ManageAudits>(&user.actor, &())?;
    Ok(state
        .store
        .remove_audit_member(&grant, audit.id, PersonId(person), &user.ctx.origin())
        .await?)
}

/// Records a fieldwork note (the team).
pub async fn add_note(
    state: &AppState,
    user: &User,
    id: i64,
    unit: Option<i64>,
    text: &str,
) -> Result<SecurityAudit, AppError> {
    let audit = audit(state, user, id).await?;
    let grant = authorize::<WorkOnAudit>(&user.actor, &audit.place())?;
    let text = required_note("text", text).map_err(AppError::invalid)?;
    Ok(state
        .store
        .add_audit_note(
            &grant,
            audit.id,
            unit.map(UnitId),
            &text,
            &user.ctx.origin(),
        )
        .await?)
}

/// A finding as the team types it.
#[derive(Default)]
pub struct FindingDraft {
    pub unit: Option<i64>,
    /// A measure's urn or code, or nothing.
    pub measure: String,
    pub clause: String,
    pub kind: String,
    pub description: String,
}

/// Records a finding of the audit on a unit of its scope (the team).
pub async fn raise_finding(
    state: &AppState,
    user: &User,
    id: i64,
    draft: FindingDraft,
) -> Result<Finding, AppError> {
    let audit = audit(state, user, id).await?;
    let grant = authorize::<WorkOnAudit>(&user.actor, &audit.place())?;
    let unit = draft
        .unit
        .filter(|u| *u > 0)
        .map(UnitId)
        .ok_or_else(|| AppError::invalid(FieldError::new("unit", FieldErrorKind::Required)))?;
    let finding = crate::http::findings::new_finding(
        state,
        unit,
        &draft.kind,
        &draft.description,
        &draft.clause,
        &draft.measure,
    )
    .await?;
    Ok(state
        .store
        .raise_audit_finding(&grant, audit.id, finding, &user.ctx.origin())
        .await?)
}

/// Issues the report (the team): the audit is closed to changes.
pub async fn report(
    state: &AppState,
    user: &User,
    id: i64,
    text: &str,
) -> Result<SecurityAudit, AppError> {
    let audit = audit(state, user, id).await?;
    let grant = authorize::<WorkOnAudit>(&user.actor, &audit.place())?;
    let text = required_note("report", text).map_err(AppError::invalid)?;
    Ok(state
        .store
        .issue_audit_report(&grant, audit.id, &text, &user.ctx.origin())
        .await?)
}
