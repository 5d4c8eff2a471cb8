//! 指摘事項 and 是正処置 as pages: the findings with their filters and the auditors' form, a
//! finding with its actions and the forms for each step, and the actions with overdue flags.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::authz::{
    CompleteCorrectiveAction, ManageFindings, PlanCorrectiveAction, VerifyCorrectiveAction,
    authorize,
};
use mamori_core::finding::FindingKind;
use mamori_core::time::format_jst;
use mamori_store::{CorrectiveAction, Finding};
use serde::Deserialize;

use super::api::filter_of;
use super::ops::{self, ActionDraft, FindingDraft};
use crate::http::{AppError, AppState, Form, Frame, PathParams, User, parse_opt_id, render};

pub struct FindingRow {
    pub id: i64,
    pub kind: &'static str,
    pub kind_code: &'static str,
    pub source: &'static str,
    pub unit: String,
    pub measure: String,
    pub clause: String,
    pub description: String,
    pub actions: usize,
    pub closed: bool,
    pub overdue: bool,
}

fn finding_row(f: &Finding, today: chrono::NaiveDate) -> FindingRow {
    FindingRow {
        id: f.id.0,
        kind: f.kind.key(),
        kind_code: f.kind.as_str(),
        source: f.source.key(),
        unit: f.unit_name.clone(),
        measure: if f.measure_code.is_empty() {
            String::new()
        } else {
            format!("{} {}", f.measure_code, f.measure_name)
        },
        clause: f.clause.clone(),
        description: f.description.clone(),
        actions: f.actions.len(),
        closed: f.closed_at.is_some(),
        overdue: f.actions.iter().any(|a| ops::overdue(a, today)),
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    inspection: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    open: String,
    #[serde(default)]
    overdue: String,
}

#[derive(Template)]
#[template(path = "findings.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<FindingRow>,
    kinds: Vec<(&'static str, &'static str)>,
    query: ListQuery,
    can_raise: bool,
    units: Vec<(i64, String)>,
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    FindingKind::ALL
        .iter()
        .map(|k| (k.as_str(), k.key()))
        .collect()
}

pub async fn list(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let filter = filter_of(
        parse_opt_id("inspection", &query.inspection)?,
        parse_opt_id("unit", &query.unit)?,
        &query.kind,
        !query.open.is_empty(),
        !query.overdue.is_empty(),
    )?;
    let findings = ops::list(&state, &user, &filter).await?;
    let today = state.today();
    let units: Vec<(i64, String)> = state
        .store
        .unit_assets()
        .await?
        .into_iter()
        .filter(|u| {
            authorize::<ManageFindings>(
                &user.actor,
                &mamori_core::authz::FindingPlace {
                    org: u.org,
                    unit: u.unit,
                },
            )
            .is_ok()
        })
        .map(|u| (u.unit.0, u.name))
        .collect();
    Ok(Html(render(&ListPage {
        frame: Frame::new(&user, "finding.title"),
        rows: findings.iter().map(|f| finding_row(f, today)).collect(),
        kinds: kinds(),
        query,
        can_raise: !units.is_empty(),
        units,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct FindingForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    clause: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    description: String,
}

pub async fn raise(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<FindingForm>,
) -> Result<Response, AppError> {
    let finding = ops::raise(
        &state,
        &user,
        FindingDraft {
            unit: parse_opt_id("unit", &form.unit)?,
            measure: form.measure,
            clause: form.clause,
            kind: form.kind,
            description: form.description,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/findings/{}", finding.id.0)).into_response())
}

pub struct ActionRow {
    pub id: i64,
    pub finding: i64,
    pub description: String,
    pub owner: String,
    pub due_on: String,
    pub state: &'static str,
    pub state_code: &'static str,
    pub overdue: bool,
    pub done: String,
    pub verified: String,
    pub verify_note: String,
    pub can_complete: bool,
    pub can_verify: bool,
}

fn action_row(user: &User, a: &CorrectiveAction, today: chrono::NaiveDate) -> ActionRow {
    use mamori_core::finding::ActionState;
    ActionRow {
        id: a.id.0,
        finding: a.finding.0,
        description: a.description.clone(),
        owner: a.owner_name.clone(),
        due_on: a.due_on.to_string(),
        state: a.state.key(),
        state_code: a.state.as_str(),
        overdue: ops::overdue(a, today),
        done: a
            .done_at
            .map(|at| {
                format!(
                    "{} {} {}",
                    a.done_by_name.clone().unwrap_or_default(),
                    format_jst(at),
                    a.done_note
                )
            })
            .unwrap_or_default(),
        verified: a
            .verified_at
            .map(|at| {
                format!(
                    "{} {}",
                    a.verified_by_name.clone().unwrap_or_default(),
                    format_jst(at)
                )
            })
            .unwrap_or_default(),
        verify_note: a.verify_note.clone(),
        can_complete: a.state == ActionState::Open
            && authorize::<CompleteCorrectiveAction>(&user.actor, &a.place()).is_ok(),
        can_verify: a.state == ActionState::Done
            && authorize::<VerifyCorrectiveAction>(&user.actor, &a.place()).is_ok(),
    }
}

#[derive(Template)]
#[template(path = "finding.html")]
struct FindingPage {
    frame: Frame,
    finding: Finding,
    row: FindingRow,
    actions: Vec<ActionRow>,
    kinds: Vec<(&'static str, &'static str)>,
    can_grade: bool,
    can_plan: bool,
    people: Vec<(i64, String)>,
    created: String,
}

pub async fn finding(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let finding = ops::finding(&state, &user, id).await?;
    let today = state.today();
    let open = finding.closed_at.is_none();
    let can_plan = open && authorize::<PlanCorrectiveAction>(&user.actor, &finding.place()).is_ok();
    // The people of the unit are the usual owners of its actions.
    let people = if can_plan {
        ops::unit_people(&state, &user, finding.unit).await?
    } else {
        Vec::new()
    };
    Ok(Html(render(&FindingPage {
        frame: Frame::new(&user, "finding.one"),
        row: finding_row(&finding, today),
        actions: finding
            .actions
            .iter()
            .map(|a| action_row(&user, a, today))
            .collect(),
        kinds: kinds(),
        can_grade: open && authorize::<ManageFindings>(&user.actor, &finding.place()).is_ok(),
        can_plan,
        people,
        created: format_jst(finding.created_at),
        finding,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct GradeForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    description: String,
}

pub async fn grade(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<GradeForm>,
) -> Result<Response, AppError> {
    ops::grade(&state, &user, id, &form.kind, &form.description).await?;
    Ok(Redirect::to(&format!("/findings/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due_on: String,
}

pub async fn plan(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<ActionForm>,
) -> Result<Response, AppError> {
    ops::plan(
        &state,
        &user,
        id,
        ActionDraft {
            description: form.description,
            owner: parse_opt_id("owner", &form.owner)?,
            due_on: form.due_on,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/findings/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "corrective_actions.html")]
struct ActionsPage {
    frame: Frame,
    rows: Vec<ActionRow>,
    mine: bool,
}

#[derive(Deserialize, Default)]
pub struct ActionsQuery {
    #[serde(default)]
    mine: String,
}

pub async fn actions(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<ActionsQuery>,
) -> Result<Response, AppError> {
    let mine = !query.mine.is_empty();
    let today = state.today();
    let rows = ops::actions(&state, &user, mine)
        .await?
        .iter()
        .map(|a| action_row(&user, a, today))
        .collect();
    Ok(Html(render(&ActionsPage {
        frame: Frame::new(&user, "corrective.title"),
        rows,
        mine,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    note: String,
    /// `accept` or `return`, for a verification.
    #[serde(default)]
    decision: String,
}

pub async fn complete(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<StepForm>,
) -> Result<Response, AppError> {
    let action = ops::complete(&state, &user, id, &form.note).await?;
    Ok(Redirect::to(&format!("/findings/{}", action.finding.0)).into_response())
}

pub async fn verify(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<StepForm>,
) -> Result<Response, AppError> {
    let accepted = match form.decision.as_str() {
        "accept" => true,
        "return" => false,
        _ => {
            return Err(AppError::invalid(mamori_core::FieldError::new(
                "decision",
                mamori_core::FieldErrorKind::UnknownValue,
            )));
        }
    };
    let action = ops::verify(&state, &user, id, accepted, &form.note).await?;
    Ok(Redirect::to(&format!("/findings/{}", action.finding.0)).into_response())
}
