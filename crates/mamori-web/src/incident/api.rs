//! インシデント in the JSON API: the incidents the caller may see with their deadlines, a report
//! anyone signed in may make, the CSIRT's triage and timeline. Every handler calls the operation
//! the pages call.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use mamori_core::time::rfc3339_jst;
use mamori_store::{Incident, IncidentCandidate};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, ReportDraft, TaskDraft, TriageDraft};
use crate::http::api::{PREFIX, created};
use crate::http::{ApiJson, AppError, AppState, PathParams, User};

mod json {
    use super::*;

    /// A notification the incident owes.
    #[derive(Serialize, ToSchema)]
    pub struct Notification {
        /// `PPC-PROMPT` (個人情報保護委員会への速報), `PPC-FINAL`, `PREFECTURE`, `MIC`, `POLICE`.
        pub code: String,
        pub name_ja: String,
        pub name_en: String,
        /// Counted from detection.
        pub due_at: String,
        pub notified_at: Option<String>,
        /// Not made and past its deadline.
        pub overdue: bool,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Event {
        /// `detected`, `reported`, `contained`, `eradicated`, `recovered`, `notified`,
        /// `closed` or `note`.
        pub step: String,
        pub rule: Option<String>,
        pub note: String,
        pub at: String,
        pub by: Option<String>,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Asset {
        pub id: i64,
        pub name: String,
        /// 機密性-完全性-可用性 (`3-2-2`).
        pub class: String,
    }

    /// 対応タスク.
    #[derive(Serialize, ToSchema)]
    pub struct Task {
        pub id: i64,
        pub title: String,
        pub owner_id: i64,
        pub owner_name: String,
        /// `YYYY-MM-DD`.
        pub due_on: Option<String>,
        pub done_at: Option<String>,
        pub done_by: Option<String>,
        /// Not done and past its due date.
        pub overdue: bool,
    }

    /// 情報セキュリティインシデント.
    #[derive(Serialize, ToSchema)]
    pub struct Incident {
        pub id: i64,
        pub title: String,
        pub description: String,
        pub occurred_at: Option<String>,
        pub detected_at: String,
        pub reporter: String,
        pub unit_id: Option<i64>,
        pub unit_name: Option<String>,
        /// `low`, `medium`, `high` or `critical`; absent until triaged.
        pub severity: Option<String>,
        /// A threat code of seed §3.
        pub threat: Option<String>,
        pub personal_data: bool,
        pub people: i64,
        pub unauthorised_purpose: bool,
        pub owner_id: Option<i64>,
        pub closed_at: Option<String>,
        pub assets: Vec<Asset>,
        pub notifications: Vec<Notification>,
        pub timeline: Vec<Event>,
        /// 対応タスク, done ones included.
        pub tasks: Vec<Task>,
        /// How many tasks are not done, and how many of those are past their due date.
        pub open_tasks: usize,
        pub overdue_tasks: usize,
        /// 教訓, recorded once it is closed.
        pub lessons: Option<String>,
        pub lessons_at: Option<String>,
        pub lessons_by: Option<String>,
        /// The reviews (見直し) that cite it, in the answer for one incident to a caller who may
        /// read reviews; absent from the list.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub cited_by: Option<Vec<CitingReview>>,
        /// The candidate it was opened from, if it was.
        pub raised_from: Option<RaisedFrom>,
    }

    #[derive(Serialize, ToSchema)]
    pub struct CitingReview {
        pub id: i64,
        pub title: String,
    }

    /// The candidate an incident was opened from.
    #[derive(Serialize, ToSchema)]
    pub struct RaisedFrom {
        pub candidate_id: i64,
        /// `gateway` or `monitor`.
        pub source: String,
        pub reference: String,
    }

    /// インシデント候補: raised by the gateway (a message held for malware-like content; the
    /// reference is its quarantine id) or the monitor (an alert's id).
    #[derive(Serialize, ToSchema)]
    pub struct Candidate {
        pub id: i64,
        /// `gateway` or `monitor`.
        pub source: String,
        pub reference: String,
        pub summary: String,
        pub raised_at: String,
        /// `open`, `opened` or `dismissed`.
        pub state: String,
        /// The incident opened from it.
        pub incident_id: Option<i64>,
        /// Why it was dismissed.
        pub reason: Option<String>,
        pub decided_by: Option<String>,
        pub decided_at: Option<String>,
    }

    /// An incident opened from a candidate: an absent or empty title or description takes the
    /// candidate's summary.
    #[derive(Deserialize, ToSchema, Default)]
    #[serde(deny_unknown_fields)]
    pub struct OpenBody {
        #[serde(default)]
        pub title: String,
        #[serde(default)]
        pub description: String,
    }

    /// Why a candidate is dismissed.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct DismissBody {
        pub reason: String,
    }

    /// 教訓.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct LessonsBody {
        pub lessons: String,
    }

    /// A report, open to every person signed in.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ReportBody {
        pub title: String,
        #[serde(default)]
        pub description: String,
        /// RFC 3339.
        #[serde(default)]
        pub occurred_at: Option<String>,
        /// RFC 3339: when it was noticed, if before the report (the deadlines count from it).
        #[serde(default)]
        pub detected_at: Option<String>,
        #[serde(default)]
        pub asset_ids: Vec<i64>,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct TriageBody {
        pub severity: String,
        #[serde(default)]
        pub threat: String,
        #[serde(default)]
        pub personal_data: bool,
        #[serde(default)]
        pub people: Option<i64>,
        #[serde(default)]
        pub unauthorised_purpose: bool,
        #[serde(default)]
        pub owner_id: Option<i64>,
        #[serde(default)]
        pub asset_ids: Vec<i64>,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct TaskBody {
        pub title: String,
        pub owner_id: Option<i64>,
        /// `YYYY-MM-DD`.
        #[serde(default)]
        pub due_on: Option<String>,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct EventBody {
        pub step: String,
        /// The notification's code, for `notified`.
        #[serde(default)]
        pub rule: String,
        #[serde(default)]
        pub note: String,
    }
}

fn incident_json(state: &AppState, i: &Incident) -> json::Incident {
    let today = state.today();
    let tasks: Vec<json::Task> = i
        .tasks
        .iter()
        .map(|t| json::Task {
            id: t.id,
            title: t.title.clone(),
            owner_id: t.owner.0,
            owner_name: t.owner_name.clone(),
            due_on: t.due_on.map(|d| d.to_string()),
            done_at: t.done_at.map(rfc3339_jst),
            done_by: t.done_by_name.clone(),
            overdue: t.overdue(today),
        })
        .collect();
    json::Incident {
        lessons: i.lessons.clone(),
        lessons_at: i.lessons_at.map(rfc3339_jst),
        lessons_by: i.lessons_by_name.clone(),
        cited_by: None,
        raised_from: i.raised_from.as_ref().map(|r| json::RaisedFrom {
            candidate_id: r.candidate,
            source: r.source.as_str().to_owned(),
            reference: r.reference.clone(),
        }),
        open_tasks: tasks.iter().filter(|t| t.done_at.is_none()).count(),
        overdue_tasks: tasks.iter().filter(|t| t.overdue).count(),
        tasks,
        id: i.id.0,
        title: i.title.clone(),
        description: i.description.clone(),
        occurred_at: i.occurred_at.map(rfc3339_jst),
        detected_at: rfc3339_jst(i.detected_at),
        reporter: i.reporter_name.clone(),
        unit_id: i.unit.map(|u| u.0),
        unit_name: i.unit_name.clone(),
        severity: i.severity.map(|s| s.as_str().to_owned()),
        threat: i.threat.clone(),
        personal_data: i.personal_data,
        people: i.people,
        unauthorised_purpose: i.unauthorised_purpose,
        owner_id: i.owner.map(|o| o.0),
        closed_at: i.closed_at.map(rfc3339_jst),
        assets: i
            .assets
            .iter()
            .map(|a| json::Asset {
                id: a.id,
                name: a.name.clone(),
                class: a.class.clone(),
            })
            .collect(),
        notifications: ops::owed(state, i)
            .into_iter()
            .map(|o| json::Notification {
                code: o.due.rule.code.clone(),
                name_ja: o.due.rule.name_ja.clone(),
                name_en: o.due.rule.name_en.clone(),
                due_at: rfc3339_jst(o.due.due_ms),
                notified_at: o.notified_at.map(rfc3339_jst),
                overdue: o.overdue,
            })
            .collect(),
        timeline: i
            .events
            .iter()
            .map(|e| json::Event {
                step: e.step.as_str().to_owned(),
                rule: e.rule.clone(),
                note: e.note.clone(),
                at: rfc3339_jst(e.at_ms),
                by: e.by_name.clone(),
            })
            .collect(),
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_incidents,
        report_incident,
        get_incident,
        triage_incident,
        add_event,
        add_task,
        complete_task,
        record_lessons,
        list_candidates,
        open_candidate,
        dismiss_candidate,
        contacts
    ),
    components(schemas(Contact)),
    tags((name = "incidents", description = "インシデント: reports, triage, timeline, notifications")),
)]
pub struct IncidentApiDoc;

/// The incidents the caller may see (the CSIRT and administrators all; the reporter and the
/// unit's 管理者 and 責任者 theirs), with the notifications each owes and their deadlines.
#[utoipa::path(
    get,
    path = "/api/v1/incidents",
    tag = "incidents",
    responses((status = 200, body = Vec<json::Incident>))
)]
async fn list_incidents(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Incident>>, AppError> {
    Ok(Json(
        ops::list(&state, &user)
            .await?
            .iter()
            .map(|i| incident_json(&state, i))
            .collect(),
    ))
}

/// Reports an incident: open to every person signed in.
#[utoipa::path(
    post,
    path = "/api/v1/incidents",
    tag = "incidents",
    request_body = json::ReportBody,
    responses(
        (status = 201, body = json::Incident),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn report_incident(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::ReportBody>,
) -> Result<Response, AppError> {
    let made = ops::report(
        &state,
        &user,
        ReportDraft {
            title: body.title,
            description: body.description,
            occurred_at: body.occurred_at.unwrap_or_default(),
            detected_at: body.detected_at.unwrap_or_default(),
            assets: body.asset_ids,
        },
    )
    .await?;
    Ok(created(
        format!("{PREFIX}/incidents/{}", made.id.0),
        incident_json(&state, &made),
    ))
}

/// One incident; 404 for one the caller may not see.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}",
    tag = "incidents",
    params(("id" = i64, Path, description = "Incident id")),
    responses(
        (status = 200, body = json::Incident),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_incident(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<json::Incident>, AppError> {
    let incident = ops::incident(&state, &user, id).await?;
    let mut json = incident_json(&state, &incident);
    json.cited_by = Some(
        ops::citing_reviews(&state, &user, &incident)
            .await?
            .into_iter()
            .map(|(id, title)| json::CitingReview { id, title })
            .collect(),
    );
    Ok(Json(json))
}

/// Records the triage (the CSIRT, administrators).
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/triage",
    tag = "incidents",
    params(("id" = i64, Path, description = "Incident id")),
    request_body = json::TriageBody,
    responses(
        (status = 200, body = json::Incident),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn triage_incident(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::TriageBody>,
) -> Result<Json<json::Incident>, AppError> {
    let incident = ops::triage(
        &state,
        &user,
        id,
        TriageDraft {
            severity: body.severity,
            threat: body.threat,
            personal_data: body.personal_data,
            people: body.people,
            unauthorised_purpose: body.unauthorised_purpose,
            owner: body.owner_id,
            assets: body.asset_ids,
        },
    )
    .await?;
    Ok(Json(incident_json(&state, &incident)))
}

/// Adds a step to the timeline (the CSIRT, administrators); `notified` names its rule.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/events",
    tag = "incidents",
    params(("id" = i64, Path, description = "Incident id")),
    request_body = json::EventBody,
    responses(
        (status = 200, body = json::Incident),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn add_event(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::EventBody>,
) -> Result<Json<json::Incident>, AppError> {
    let incident = ops::add_event(&state, &user, id, &body.step, &body.rule, &body.note).await?;
    Ok(Json(incident_json(&state, &incident)))
}

/// Adds a task (対応タスク) with its owner (the CSIRT, administrators).
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/tasks",
    tag = "incidents",
    params(("id" = i64, Path, description = "Incident id")),
    request_body = json::TaskBody,
    responses(
        (status = 200, body = json::Incident),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn add_task(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::TaskBody>,
) -> Result<Json<json::Incident>, AppError> {
    let incident = ops::add_task(
        &state,
        &user,
        id,
        TaskDraft {
            title: body.title,
            owner: body.owner_id,
            due_on: body.due_on.unwrap_or_default(),
        },
    )
    .await?;
    Ok(Json(incident_json(&state, &incident)))
}

/// Marks a task done, keeping who and when (its owner, the CSIRT, administrators).
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/tasks/{task}/done",
    tag = "incidents",
    params(
        ("id" = i64, Path, description = "Incident id"),
        ("task" = i64, Path, description = "Task id"),
    ),
    responses(
        (status = 200, body = json::Incident),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
    )
)]
async fn complete_task(
    State(state): State<AppState>,
    user: User,
    PathParams((id, task)): PathParams<(i64, i64)>,
) -> Result<Json<json::Incident>, AppError> {
    let incident = ops::complete_task(&state, &user, id, task).await?;
    Ok(Json(incident_json(&state, &incident)))
}

/// Records or rewrites the lessons learned (教訓) of a closed incident (the CSIRT,
/// administrators); 409 `incident.open` while it is open.
#[utoipa::path(
    put,
    path = "/api/v1/incidents/{id}/lessons",
    tag = "incidents",
    params(("id" = i64, Path, description = "Incident id")),
    request_body = json::LessonsBody,
    responses(
        (status = 200, body = json::Incident),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn record_lessons(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::LessonsBody>,
) -> Result<Json<json::Incident>, AppError> {
    let incident = ops::record_lessons(&state, &user, id, &body.lessons).await?;
    Ok(Json(incident_json(&state, &incident)))
}

fn candidate_json(c: &IncidentCandidate) -> json::Candidate {
    json::Candidate {
        id: c.id,
        source: c.source.as_str().to_owned(),
        reference: c.reference.clone(),
        summary: c.summary.clone(),
        raised_at: rfc3339_jst(c.raised_at),
        state: c.state.as_str().to_owned(),
        incident_id: c.incident.map(|i| i.0),
        reason: c.reason.clone(),
        decided_by: c.decided_by_name.clone(),
        decided_at: c.decided_at.map(rfc3339_jst),
    }
}

/// インシデント候補, the open ones first (the CSIRT and the administrators).
#[utoipa::path(
    get,
    path = "/api/v1/incident-candidates",
    tag = "incidents",
    responses(
        (status = 200, body = Vec<json::Candidate>),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn list_candidates(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Candidate>>, AppError> {
    Ok(Json(
        ops::candidates(&state, &user)
            .await?
            .iter()
            .map(candidate_json)
            .collect(),
    ))
}

/// Opens an incident from an open candidate (the CSIRT, the CISO); the incident keeps the link.
#[utoipa::path(
    post,
    path = "/api/v1/incident-candidates/{id}/open",
    tag = "incidents",
    params(("id" = i64, Path, description = "Candidate id")),
    request_body = json::OpenBody,
    responses(
        (status = 201, body = json::Incident),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn open_candidate(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::OpenBody>,
) -> Result<Response, AppError> {
    let opened = ops::open_candidate(&state, &user, id, &body.title, &body.description).await?;
    Ok(created(
        format!("{PREFIX}/incidents/{}", opened.id.0),
        incident_json(&state, &opened),
    ))
}

/// Dismisses an open candidate with its reason (the CSIRT, the CISO).
#[utoipa::path(
    post,
    path = "/api/v1/incident-candidates/{id}/dismiss",
    tag = "incidents",
    params(("id" = i64, Path, description = "Candidate id")),
    request_body = json::DismissBody,
    responses(
        (status = 200, body = json::Candidate),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn dismiss_candidate(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::DismissBody>,
) -> Result<Json<json::Candidate>, AppError> {
    let dismissed = ops::dismiss_candidate(&state, &user, id, &body.reason).await?;
    Ok(Json(candidate_json(&dismissed)))
}

/// One holder of the reporting chain (緊急連絡網).
#[derive(Serialize, ToSchema)]
pub struct Contact {
    /// `ciso`, `security_director`, `csirt`, `security_officer` or `security_manager`.
    pub role: String,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    pub person_id: i64,
    pub name: String,
    pub title: String,
    pub phone: String,
    pub email: Option<String>,
}

/// 緊急連絡網: the holders of the reporting chain (CISO, 統括, CSIRT, 責任者 of each
/// organisation, 管理者 of each unit) with their phone and mail; everyone on the staff.
#[utoipa::path(
    get,
    path = "/api/v1/emergency-contacts",
    tag = "incidents",
    responses(
        (status = 200, body = Vec<Contact>),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn contacts(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<Contact>>, AppError> {
    Ok(Json(
        ops::contacts(&state, &user)
            .await?
            .into_iter()
            .map(|c| Contact {
                role: c.role.as_str().to_owned(),
                org_id: c.org.map(|o| o.0),
                org_name: c.org_name,
                unit_id: c.unit.map(|u| u.0),
                unit_name: c.unit_name,
                person_id: c.person.0,
                name: c.name,
                title: c.title,
                phone: c.phone,
                email: c.email,
            })
            .collect(),
    ))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(IncidentApiDoc::openapi())
        .routes(routes!(contacts))
        .routes(routes!(list_incidents, report_incident))
        .routes(routes!(get_incident))
        .routes(routes!(triage_incident))
        .routes(routes!(add_event))
        .routes(routes!(add_task))
        .routes(routes!(complete_task))
        .routes(routes!(record_lessons))
        .routes(routes!(list_candidates))
        .routes(routes!(open_candidate))
        .routes(routes!(dismiss_candidate))
}
