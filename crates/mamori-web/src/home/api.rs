//! What waits for the caller, in the JSON API.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, DueVersion};
use crate::http::{AppError, AppState, User};

mod json {
    use super::*;

    /// What waits for the caller.
    #[derive(Serialize, ToSchema)]
    pub struct Waiting {
        /// Versions in force to confirm (遵守の確認).
        pub acknowledgements: Vec<Version>,
        /// Versions in review the caller may approve.
        pub approvals: Vec<Version>,
        /// Checklists of the units the caller is the 情報セキュリティ管理者 of.
        pub checklists: Vec<Checklist>,
        /// Self-inspections waiting for the caller's answers or sign-off.
        pub inspections: Vec<Inspection>,
        /// Corrective actions the caller owns and has not reported done.
        pub actions_due: Vec<Action>,
        /// Actions reported done that the caller may verify.
        pub actions_to_verify: Vec<Action>,
        /// Risks the caller owns whose review is due within 30 days or past.
        pub risks_to_review: Vec<RiskReview>,
        /// 例外措置 waiting for the caller's decision.
        pub exceptions: Vec<ExceptionDue>,
        /// Open incidents not yet triaged, for those who triage.
        pub incidents: Vec<IncidentDue>,
        /// Open monitor alerts, for the CSIRT (0 for everyone else).
        pub open_alerts: i64,
        /// 対応タスク the caller owns that are not done, of incidents not closed.
        pub incident_tasks: Vec<IncidentTaskDue>,
        /// Open インシデント候補, for the CSIRT and the CISO.
        pub incident_candidates: Vec<CandidateDue>,
        /// The caller's training overdue or due within 14 days.
        pub training: Vec<TrainingDue>,
        /// Flagged contracts and 指定管理 agreements the caller checks.
        pub agreements: Vec<AgreementDue>,
    }

    #[derive(Serialize, ToSchema)]
    pub struct AgreementDue {
        pub id: i64,
        /// `contract` or `designated`.
        pub kind: String,
        pub title: String,
        pub ends_on: String,
        pub ending_soon: bool,
        pub unverified: bool,
        /// Mandatory requirement codes it does not carry.
        pub missing_requirements: Vec<String>,
    }

    #[derive(Serialize, ToSchema)]
    pub struct TrainingDue {
        pub assignment_id: i64,
        pub course_code: String,
        pub course_title: String,
        pub due_on: String,
        /// `overdue` or `due_soon`.
        pub standing: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct CandidateDue {
        pub id: i64,
        /// `gateway` or `monitor`.
        pub source: String,
        pub summary: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct IncidentTaskDue {
        pub incident_id: i64,
        pub incident_title: String,
        pub task_id: i64,
        pub title: String,
        /// `YYYY-MM-DD`.
        pub due_on: Option<String>,
        pub overdue: bool,
    }

    #[derive(Serialize, ToSchema)]
    pub struct IncidentDue {
        pub id: i64,
        pub title: String,
        pub reporter: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct ExceptionDue {
        pub id: i64,
        pub unit: String,
        pub measure_code: String,
        /// `requested` or `emergency`.
        pub state: String,
        pub until: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Inspection {
        pub inspection_id: i64,
        pub title: String,
        pub unit_id: i64,
        pub unit: String,
        pub due_on: String,
        pub items: i64,
        pub answered: i64,
        /// Every item is answered: it waits for the caller's sign-off.
        pub to_sign: bool,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Action {
        pub id: i64,
        pub finding_id: i64,
        pub description: String,
        pub owner_name: String,
        pub due_on: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct RiskReview {
        pub id: i64,
        pub title: String,
        pub review_on: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Version {
        pub policy_id: i64,
        pub title: String,
        pub org_name: String,
        pub version: i64,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Checklist {
        pub catalogue_id: i64,
        pub catalogue: String,
        pub unit_id: i64,
        pub unit: String,
    }
}

fn versions(list: &[DueVersion]) -> Vec<json::Version> {
    list.iter()
        .map(|v| json::Version {
            policy_id: v.policy_id,
            title: v.title.clone(),
            org_name: v.org_name.clone(),
            version: v.number,
        })
        .collect()
}

#[derive(OpenApi)]
#[openapi(paths(waiting))]
pub struct HomeApiDoc;

/// What waits for the caller: versions to confirm and to approve, checklists and
/// self-inspections to answer or sign off, corrective actions to do or verify, risks to review.
#[utoipa::path(
    get,
    path = "/api/v1/waiting",
    tag = "meta",
    responses(
        (status = 200, body = json::Waiting),
        (status = 401, body = crate::http::api::ErrorBody),
    )
)]
async fn waiting(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<json::Waiting>, AppError> {
    let waiting = ops::waiting(&state, &user).await?;
    Ok(Json(json::Waiting {
        acknowledgements: versions(&waiting.acknowledgements),
        approvals: versions(&waiting.approvals),
        checklists: waiting
            .checklists
            .iter()
            .map(|c| json::Checklist {
                catalogue_id: c.catalogue_id,
                catalogue: c.catalogue.clone(),
                unit_id: c.unit_id,
                unit: c.unit.clone(),
            })
            .collect(),
        inspections: waiting
            .inspections
            .iter()
            .map(|i| json::Inspection {
                inspection_id: i.unit.inspection.0,
                title: i.unit.title.clone(),
                unit_id: i.unit.unit.0,
                unit: i.unit.unit_name.clone(),
                due_on: i.unit.due_on.to_string(),
                items: i.unit.items,
                answered: i.unit.answered,
                to_sign: i.to_sign,
            })
            .collect(),
        actions_due: actions(&waiting.actions_due),
        actions_to_verify: actions(&waiting.actions_to_verify),
        risks_to_review: waiting
            .risks_to_review
            .iter()
            .map(|r| json::RiskReview {
                id: r.id.0,
                title: r.title.clone(),
                review_on: r.review_on.to_string(),
            })
            .collect(),
        exceptions: waiting
            .exceptions
            .iter()
            .map(|e| json::ExceptionDue {
                id: e.id.0,
                unit: e.unit_name.clone(),
                measure_code: e.measure_code.clone(),
                state: e.state.as_str().to_owned(),
                until: e.until.to_string(),
            })
            .collect(),
        open_alerts: waiting.open_alerts,
        incidents: waiting
            .incidents
            .iter()
            .map(|i| json::IncidentDue {
                id: i.id.0,
                title: i.title.clone(),
                reporter: i.reporter_name.clone(),
            })
            .collect(),
        incident_candidates: waiting
            .incident_candidates
            .iter()
            .map(|c| json::CandidateDue {
                id: c.id,
                source: c.source.as_str().to_owned(),
                summary: c.summary.clone(),
            })
            .collect(),
        incident_tasks: waiting
            .incident_tasks
            .iter()
            .map(|(t, overdue)| json::IncidentTaskDue {
                incident_id: t.incident.0,
                incident_title: t.incident_title.clone(),
                task_id: t.id,
                title: t.title.clone(),
                due_on: t.due_on.map(|d| d.to_string()),
                overdue: *overdue,
            })
            .collect(),
        training: waiting
            .training
            .iter()
            .map(|(a, standing)| json::TrainingDue {
                assignment_id: a.id.0,
                course_code: a.course_code.clone(),
                course_title: a.course_title.clone(),
                due_on: a.due_on.to_string(),
                standing: standing.as_str().to_owned(),
            })
            .collect(),
        agreements: waiting
            .agreements
            .iter()
            .map(|f| json::AgreementDue {
                id: f.agreement.id.0,
                kind: f.agreement.kind.as_str().to_owned(),
                title: f.agreement.title.clone(),
                ends_on: f.agreement.period.ends_on.to_string(),
                ending_soon: f.flags.ending_soon,
                unverified: f.flags.unverified,
                missing_requirements: f.flags.missing.clone(),
            })
            .collect(),
    }))
}

fn actions(list: &[mamori_store::CorrectiveAction]) -> Vec<json::Action> {
    list.iter()
        .map(|a| json::Action {
            id: a.id.0,
            finding_id: a.finding.0,
            description: a.description.clone(),
            owner_name: a.owner_name.clone(),
            due_on: a.due_on.to_string(),
        })
        .collect()
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(HomeApiDoc::openapi()).routes(routes!(waiting))
}
