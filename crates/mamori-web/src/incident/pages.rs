//! インシデント as pages: the list with the report form, and one incident with its triage,
//! notifications and deadlines, timeline and the forms of the CSIRT.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::authz::{
    CompleteIncidentTask, DecideIncidentCandidate, TriageIncident, ViewIncidentCandidates,
    authorize,
};
use mamori_core::incident::{CandidateSource, CandidateState};
use mamori_core::incident::{Step, builtin_rules};
use mamori_core::risk::Level;
use mamori_core::text::list_items;
use mamori_core::time::format_jst;
use mamori_store::Incident;
use serde::Deserialize;

use super::ops::{self, ReportDraft, TaskDraft, TriageDraft};
use crate::http::{AppError, AppState, Form, Frame, PathParams, User, parse_opt_id, render};

pub struct Row {
    pub id: i64,
    pub title: String,
    pub unit: String,
    pub reporter: String,
    pub detected: String,
    pub severity: &'static str,
    pub closed: bool,
    pub overdue: bool,
}

fn row(state: &AppState, i: &Incident) -> Row {
    Row {
        id: i.id.0,
        title: i.title.clone(),
        unit: i.unit_name.clone().unwrap_or_default(),
        reporter: i.reporter_name.clone(),
        detected: format_jst(i.detected_at),
        severity: i.severity.map_or("incident.untriaged", Level::key),
        closed: i.closed_at.is_some(),
        overdue: ops::owed(state, i).iter().any(|o| o.overdue),
    }
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    /// The viewer may see the incident candidates.
    can_candidates: bool,
}

pub async fn list(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let rows = ops::list(&state, &user)
        .await?
        .iter()
        .map(|i| row(&state, i))
        .collect();
    Ok(Html(render(&ListPage {
        frame: Frame::new(&user, "incident.title"),
        rows,
        can_candidates: authorize::<ViewIncidentCandidates>(&user.actor, &()).is_ok(),
    }))
    .into_response())
}

fn ids(field: &'static str, raw: &str) -> Result<Vec<i64>, AppError> {
    list_items(raw)
        .map(|id| Ok(parse_opt_id(field, id)?.unwrap_or_default()))
        .collect()
}

#[derive(Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    detected_at: String,
    #[serde(default)]
    assets: String,
}

pub async fn report(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<ReportForm>,
) -> Result<Response, AppError> {
    let made = ops::report(
        &state,
        &user,
        ReportDraft {
            assets: ids("assets", &form.assets)?,
            title: form.title,
            description: form.description,
            occurred_at: form.occurred_at,
            detected_at: form.detected_at,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/incidents/{}", made.id.0)).into_response())
}

pub struct OwedRow {
    pub code: String,
    pub name: String,
    pub due: String,
    pub notified: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    frame: Frame,
    incident: Incident,
    row: Row,
    owed: Vec<OwedRow>,
    events: Vec<(&'static str, String, String, String, String)>,
    can_triage: bool,
    levels: Vec<(&'static str, &'static str)>,
    steps: Vec<(&'static str, &'static str)>,
    rules: Vec<(String, String)>,
    threats: Vec<(String, String)>,
    assets: String,
    occurred: String,
    people: Vec<(i64, String)>,
    chain: Vec<ContactRow>,
    tasks: Vec<TaskRow>,
    lessons_at: String,
    /// The candidate it was opened from: its id, source key, reference and the reference's link.
    raised_from: Option<(i64, &'static str, String, String)>,
    /// The reviews that cite it, for a viewer who may read reviews.
    reviews: Vec<(i64, String)>,
}

/// One 対応タスク as the incident's page shows it.
pub struct TaskRow {
    pub id: i64,
    pub title: String,
    pub owner: String,
    pub due: String,
    pub done: String,
    pub done_by: String,
    pub overdue: bool,
    /// The viewer may mark it done (its owner, those who triage), and it is not done yet.
    pub can_done: bool,
}

/// One holder of the reporting chain as the pages show them.
pub struct ContactRow {
    pub role: &'static str,
    pub place: String,
    pub name: String,
    pub title: String,
    pub phone: String,
    pub email: String,
}

fn contact_row(lang: mamori_core::i18n::Lang, c: &mamori_store::Contact) -> ContactRow {
    ContactRow {
        role: lang.role(c.role),
        place: c
            .unit_name
            .clone()
            .or_else(|| c.org_name.clone())
            .unwrap_or_default(),
        name: c.name.clone(),
        title: c.title.clone(),
        phone: c.phone.clone(),
        email: c.email.clone().unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "emergency_contacts.html")]
struct ContactsPage {
    frame: Frame,
    /// The whole organisation's (global roles) first, then each organisation's.
    sections: Vec<(String, Vec<ContactRow>)>,
}

/// 緊急連絡網: the chain's holders by organisation, printable.
pub async fn contacts(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let contacts = ops::contacts(&state, &user).await?;
    let frame = Frame::new(&user, "incident.contacts");
    let mut sections: Vec<(String, Vec<ContactRow>)> = Vec::new();
    let global = frame.t("incident.contacts_global").to_owned();
    for c in &contacts {
        let section = c.org_name.clone().unwrap_or_else(|| global.clone());
        let row = contact_row(frame.lang, c);
        match sections.iter_mut().find(|(name, _)| *name == section) {
            Some((_, rows)) => rows.push(row),
            None => sections.push((section, vec![row])),
        }
    }
    sections.sort_by_key(|(name, _)| *name != global);
    Ok(Html(render(&ContactsPage { frame, sections })).into_response())
}

pub async fn incident(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let incident = ops::incident(&state, &user, id).await?;
    let frame = Frame::new(&user, "incident.one");
    let can_triage = authorize::<TriageIncident>(&user.actor, &incident.place()).is_ok();
    let english = frame.lang == mamori_core::i18n::Lang::En;
    let owed = ops::owed(&state, &incident)
        .into_iter()
        .map(|o| OwedRow {
            code: o.due.rule.code.clone(),
            name: if english {
                o.due.rule.name_en.clone()
            } else {
                o.due.rule.name_ja.clone()
            },
            due: format_jst(o.due.due_ms),
            notified: o.notified_at.map(format_jst).unwrap_or_default(),
            overdue: o.overdue,
        })
        .collect();
    let people = if can_triage {
        let grant = authorize::<mamori_core::authz::ViewDirectory>(&user.actor, &())?;
        let mut people: Vec<(i64, String)> = state
            .store
            .list_people(
                &grant,
                &mamori_store::PeopleFilter {
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await?
            .0
            .into_iter()
            .map(|p| (p.id.0, p.name))
            .collect();
        if let (Some(owner), Some(name)) = (incident.owner, &incident.owner_name)
            && !people.iter().any(|(id, _)| *id == owner.0)
        {
            people.push((owner.0, name.clone()));
        }
        people
    } else {
        Vec::new()
    };
    let threats = if can_triage {
        state
            .store
            .threats()
            .await?
            .into_iter()
            .map(|t| (t.threat.code.clone(), t.threat.name(frame.lang).to_owned()))
            .collect()
    } else {
        Vec::new()
    };
    let chain = ops::chain(&state, &user, &incident)
        .await?
        .iter()
        .map(|c| contact_row(frame.lang, c))
        .collect();
    let today = state.today();
    let tasks = incident
        .tasks
        .iter()
        .map(|t| TaskRow {
            id: t.id,
            title: t.title.clone(),
            owner: t.owner_name.clone(),
            due: t.due_on.map(|d| d.to_string()).unwrap_or_default(),
            done: t.done_at.map(format_jst).unwrap_or_default(),
            done_by: t.done_by_name.clone().unwrap_or_default(),
            overdue: t.overdue(today),
            can_done: t.done_at.is_none()
                && authorize::<CompleteIncidentTask>(&user.actor, &incident.task_place(t)).is_ok(),
        })
        .collect();
    let reviews = ops::citing_reviews(&state, &user, &incident).await?;
    Ok(Html(render(&IncidentPage {
        lessons_at: incident.lessons_at.map(format_jst).unwrap_or_default(),
        raised_from: incident.raised_from.as_ref().map(|r| {
            (
                r.candidate,
                r.source.key(),
                r.reference.clone(),
                reference_link(r.source, &r.reference),
            )
        }),
        reviews,
        tasks,
        chain,
        row: row(&state, &incident),
        owed,
        events: incident
            .events
            .iter()
            .map(|e| {
                (
                    e.step.key(),
                    e.rule.clone().unwrap_or_default(),
                    e.note.clone(),
                    e.by_name.clone().unwrap_or_default(),
                    format_jst(e.at_ms),
                )
            })
            .collect(),
        can_triage,
        levels: Level::ALL.iter().map(|l| (l.as_str(), l.key())).collect(),
        steps: Step::ALL.iter().map(|s| (s.as_str(), s.key())).collect(),
        rules: builtin_rules()
            .into_iter()
            .map(|r| {
                let name = if english { r.name_en } else { r.name_ja };
                (r.code, name)
            })
            .collect(),
        threats,
        assets: incident
            .assets
            .iter()
            .map(|a| a.id.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        occurred: incident.occurred_at.map(format_jst).unwrap_or_default(),
        people,
        incident,
        frame,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct TriageForm {
    #[serde(default)]
    severity: String,
    #[serde(default)]
    threat: String,
    #[serde(default)]
    personal_data: String,
    #[serde(default)]
    people: String,
    #[serde(default)]
    unauthorised_purpose: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    assets: String,
}

pub async fn triage(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<TriageForm>,
) -> Result<Response, AppError> {
    let people = match form.people.trim() {
        "" => None,
        raw => Some(raw.parse::<i64>().map_err(|_| {
            AppError::invalid(mamori_core::FieldError::new(
                "people",
                mamori_core::FieldErrorKind::InvalidFormat,
            ))
        })?),
    };
    ops::triage(
        &state,
        &user,
        id,
        TriageDraft {
            severity: form.severity,
            threat: form.threat,
            personal_data: !form.personal_data.is_empty(),
            people,
            unauthorised_purpose: !form.unauthorised_purpose.is_empty(),
            owner: parse_opt_id("owner", &form.owner)?,
            assets: ids("assets", &form.assets)?,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/incidents/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct EventForm {
    #[serde(default)]
    step: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    note: String,
}

pub async fn add_event(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<EventForm>,
) -> Result<Response, AppError> {
    ops::add_event(&state, &user, id, &form.step, &form.rule, &form.note).await?;
    Ok(Redirect::to(&format!("/incidents/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct TaskForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due_on: String,
}

pub async fn add_task(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<TaskForm>,
) -> Result<Response, AppError> {
    ops::add_task(
        &state,
        &user,
        id,
        TaskDraft {
            owner: parse_opt_id("owner", &form.owner)?,
            title: form.title,
            due_on: form.due_on,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/incidents/{id}#incident-tasks")).into_response())
}

pub async fn complete_task(
    State(state): State<AppState>,
    user: User,
    PathParams((id, task)): PathParams<(i64, i64)>,
) -> Result<Response, AppError> {
    ops::complete_task(&state, &user, id, task).await?;
    Ok(Redirect::to(&format!("/incidents/{id}#incident-tasks")).into_response())
}

#[derive(Deserialize)]
pub struct LessonsForm {
    #[serde(default)]
    lessons: String,
}

pub async fn record_lessons(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<LessonsForm>,
) -> Result<Response, AppError> {
    ops::record_lessons(&state, &user, id, &form.lessons).await?;
    Ok(Redirect::to(&format!("/incidents/{id}#incident-lessons")).into_response())
}

/// Where a candidate's reference leads: a gateway's to its quarantine entry, a monitor's to
/// its alert.
fn reference_link(source: CandidateSource, reference: &str) -> String {
    match source {
        CandidateSource::Gateway => format!("/quarantine/{reference}"),
        CandidateSource::Monitor => format!("/monitor/alerts/{reference}"),
    }
}

/// One インシデント候補 as the list shows it.
pub struct CandidateRow {
    pub id: i64,
    pub source: &'static str,
    pub reference: String,
    pub link: String,
    pub summary: String,
    pub raised: String,
    pub state: &'static str,
    pub open: bool,
    pub incident: Option<(i64, String)>,
    pub reason: String,
    pub decided: String,
    pub decided_by: String,
    /// What the form to open an incident from it starts with.
    pub title: String,
    pub description: String,
}

#[derive(Template)]
#[template(path = "incident_candidates.html")]
struct CandidatesPage {
    frame: Frame,
    rows: Vec<CandidateRow>,
    can_decide: bool,
}

/// インシデント候補: open ones first, each with its source and the forms to open an incident
/// from it or dismiss it.
pub async fn candidates(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let rows = ops::candidates(&state, &user)
        .await?
        .into_iter()
        .map(|c| {
            let (title, description) = ops::prefill(&c);
            CandidateRow {
                id: c.id,
                source: c.source.key(),
                link: reference_link(c.source, &c.reference),
                reference: c.reference,
                summary: c.summary,
                raised: format_jst(c.raised_at),
                state: c.state.key(),
                open: c.state == CandidateState::Open,
                incident: c
                    .incident
                    .map(|i| (i.0, c.incident_title.unwrap_or_default())),
                reason: c.reason.unwrap_or_default(),
                decided: c.decided_at.map(format_jst).unwrap_or_default(),
                decided_by: c.decided_by_name.unwrap_or_default(),
                title,
                description,
            }
        })
        .collect();
    Ok(Html(render(&CandidatesPage {
        frame: Frame::new(&user, "incident.candidates"),
        rows,
        can_decide: authorize::<DecideIncidentCandidate>(&user.actor, &()).is_ok(),
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct OpenForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
}

pub async fn open_candidate(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<OpenForm>,
) -> Result<Response, AppError> {
    let opened = ops::open_candidate(&state, &user, id, &form.title, &form.description).await?;
    Ok(Redirect::to(&format!("/incidents/{}", opened.id.0)).into_response())
}

#[derive(Deserialize)]
pub struct DismissForm {
    #[serde(default)]
    reason: String,
}

pub async fn dismiss_candidate(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<DismissForm>,
) -> Result<Response, AppError> {
    ops::dismiss_candidate(&state, &user, id, &form.reason).await?;
    Ok(Redirect::to("/incident-candidates").into_response())
}
