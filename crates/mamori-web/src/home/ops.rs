//! What waits for a person, read from the store as each feature's rules say (the permissions of
//! `mamori_core::authz`): this module decides nothing of its own.

use mamori_core::authz::{
    AcknowledgePolicy, ApprovePolicy, DecideException, DecideIncidentCandidate,
    RecordMeasureStatus, SignOffInspection, TriageIncident, VerifyAgreement,
    VerifyCorrectiveAction, authorize,
};
use mamori_core::finding::ActionState;
use mamori_core::incident::CandidateState;
use mamori_core::policy::VersionState;
use mamori_core::{Role, Scope};

use mamori_store::{
    CorrectiveAction, Incident, IncidentCandidate, IncidentTask, MeasureException, PendingUnit,
    Risk, TrainingAssignment,
};

use crate::http::agreements::{Flagged, flag};
use crate::http::{AppError, AppState, User};

/// A version of a document that waits for the person.
pub struct DueVersion {
    pub policy_id: i64,
    pub title: String,
    pub org_name: String,
    pub number: i64,
}

/// A unit's checklist the person answers for.
pub struct DueChecklist {
    pub catalogue_id: i64,
    pub catalogue: String,
    pub unit_id: i64,
    pub unit: String,
}

/// A unit of a self-inspection whose items wait for the person's answers, or whose result
/// waits for their sign-off.
pub struct DueInspection {
    pub unit: PendingUnit,
    /// Every item is answered: it waits for the sign-off rather than answers.
    pub to_sign: bool,
}

#[derive(Default)]
pub struct Waiting {
    /// Versions in force the person has not confirmed yet (遵守の確認).
    pub acknowledgements: Vec<DueVersion>,
    /// Versions in review the person may approve.
    pub approvals: Vec<DueVersion>,
    /// The checklists of the units the person is the 情報セキュリティ管理者 of.
    pub checklists: Vec<DueChecklist>,
    /// Self-inspections whose items wait for the person's answers or whose result waits for
    /// their sign-off.
    pub inspections: Vec<DueInspection>,
    /// Corrective actions the person owns and has not reported done.
    pub actions_due: Vec<CorrectiveAction>,
    /// Actions reported done that the person may verify.
    pub actions_to_verify: Vec<CorrectiveAction>,
    /// Risks the person owns whose review date has passed or falls within 30 days.
    pub risks_to_review: Vec<Risk>,
    /// 例外措置 waiting for the person's decision.
    pub exceptions: Vec<MeasureException>,
    /// Open incidents the person triages that are not triaged yet.
    pub incidents: Vec<Incident>,
    /// 対応タスク the person owns that are not done, of incidents not closed, with whether each
    /// is overdue.
    pub incident_tasks: Vec<(IncidentTask, bool)>,
    /// Open インシデント候補, for those who decide on them.
    pub incident_candidates: Vec<IncidentCandidate>,
    /// Contracts and 指定管理 agreements the person checks that are flagged (ending soon, a
    /// requirement unchecked too long, a mandatory one missing).
    pub agreements: Vec<Flagged>,
    /// The person's training not completed that is overdue or due within 14 days (the
    /// reminder), with its standing.
    pub training: Vec<(TrainingAssignment, mamori_core::training::Standing)>,
    /// Open monitor alerts, for the CSIRT who handles them.
    pub open_alerts: i64,
}

/// How far ahead a risk's review is announced.
const REVIEW_NOTICE_DAYS: i64 = 30;

pub async fn waiting(state: &AppState, user: &User) -> Result<Waiting, AppError> {
    let mut waiting = Waiting::default();
    for policy in state.store.policies().await? {
        for version in state.store.versions(policy.id).await? {
            let place = policy.place(Some(&version));
            let due = || DueVersion {
                policy_id: policy.id.0,
                title: policy.title.clone(),
                org_name: policy.org_name.clone(),
                number: version.number,
            };
            match version.state {
                VersionState::Effective
                    if authorize::<AcknowledgePolicy>(&user.actor, &place).is_ok()
                        && state
                            .store
                            .acknowledged_at(user.actor.person_id, policy.id, version.number)
                            .await?
                            .is_none() =>
                {
                    waiting.acknowledgements.push(due());
                }
                VersionState::InReview
                    if authorize::<ApprovePolicy>(&user.actor, &place).is_ok() =>
                {
                    waiting.approvals.push(due());
                }
                _ => {}
            }
        }
    }
    let managed: Vec<_> = user
        .actor
        .roles
        .iter()
        .filter_map(|(role, scope)| match (role, scope) {
            (Role::SecurityManager, Scope::Unit(unit)) => Some(*unit),
            _ => None,
        })
        .collect();
    if !managed.is_empty() {
        let catalogues = state.store.catalogues().await?;
        for unit in state.store.unit_assets().await? {
            if !managed.contains(&unit.unit)
                || authorize::<RecordMeasureStatus>(&user.actor, &(unit.org, unit.unit)).is_err()
            {
                continue;
            }
            for catalogue in &catalogues {
                waiting.checklists.push(DueChecklist {
                    catalogue_id: catalogue.id.0,
                    catalogue: catalogue.name.clone(),
                    unit_id: unit.unit.0,
                    unit: unit.name.clone(),
                });
            }
        }
    }
    for unit in state.store.pending_inspection_units().await? {
        let to_sign = unit.answered >= unit.items;
        let wanted = if to_sign {
            authorize::<SignOffInspection>(&user.actor, &(unit.org, unit.unit)).is_ok()
        } else {
            // The unit's 管理者 answers; the others who may are not asked to.
            managed.contains(&unit.unit)
        };
        if wanted {
            waiting.inspections.push(DueInspection { unit, to_sign });
        }
    }
    for action in state.store.actions().await? {
        if action.owner == user.actor.person_id && action.state == ActionState::Open {
            waiting.actions_due.push(action);
        } else if action.state == ActionState::Done
            && authorize::<VerifyCorrectiveAction>(&user.actor, &action.place()).is_ok()
        {
            waiting.actions_to_verify.push(action);
        }
    }
    let horizon = mamori_core::time::jst_date(state.clock.now_ms())
        .unwrap_or_default()
        .checked_add_signed(chrono::Duration::days(REVIEW_NOTICE_DAYS))
        .unwrap_or_default();
    waiting.risks_to_review = state
        .store
        .risks()
        .await?
        .into_iter()
        .filter(|r| r.owner == user.actor.person_id && r.review_on <= horizon)
        .collect();
    waiting.exceptions = state
        .store
        .measure_exceptions()
        .await?
        .into_iter()
        .filter(|e| {
            e.state.undecided() && authorize::<DecideException>(&user.actor, &e.place()).is_ok()
        })
        .collect();
    waiting.incidents = state
        .store
        .incidents()
        .await?
        .into_iter()
        .filter(|i| {
            i.closed_at.is_none()
                && i.severity.is_none()
                && authorize::<TriageIncident>(&user.actor, &i.place()).is_ok()
        })
        .collect();
    if authorize::<mamori_core::authz::HandleAlerts>(&user.actor, &()).is_ok() {
        let view = authorize::<mamori_core::authz::ViewMonitor>(&user.actor, &())?;
        let filter = mamori_store::AlertFilter {
            state: Some(mamori_store::AlertState::Open),
            limit: 1,
            ..Default::default()
        };
        waiting.open_alerts = state.store.alerts(&view, &filter).await?.total;
    }
    if authorize::<DecideIncidentCandidate>(&user.actor, &()).is_ok() {
        waiting.incident_candidates = state
            .store
            .incident_candidates()
            .await?
            .into_iter()
            .filter(|c| c.state == CandidateState::Open)
            .collect();
    }
    let today = state.today();
    waiting.incident_tasks = state
        .store
        .open_incident_tasks()
        .await?
        .into_iter()
        .filter(|t| t.owner == user.actor.person_id)
        .map(|t| {
            let overdue = t.overdue(today);
            (t, overdue)
        })
        .collect();
    waiting.training = state
        .store
        .person_assignments(user.actor.person_id)
        .await?
        .into_iter()
        .map(|a| {
            let standing = a.standing(today);
            (a, standing)
        })
        .filter(|(_, standing)| standing.reminds())
        .collect();
    for kind in mamori_core::third_party::AgreementKind::ALL {
        for agreement in state.store.agreements(kind).await? {
            if authorize::<VerifyAgreement>(&user.actor, &agreement.place()).is_ok() {
                let flagged = flag(state, agreement);
                if flagged.flags.any() {
                    waiting.agreements.push(flagged);
                }
            }
        }
    }
    Ok(waiting)
}
