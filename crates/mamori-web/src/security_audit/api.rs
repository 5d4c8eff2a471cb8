//! 情報セキュリティ監査 in the JSON API: the audits the caller may read, one planned, its team
//! (refused members answer 409 with the independence rule they break), fieldwork notes,
//! findings and the report. Every handler calls the operation the pages call.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use mamori_core::time::rfc3339_jst;
use mamori_store::SecurityAudit;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, FindingDraft, PlanDraft};
use crate::http::api::{PREFIX, created};
use crate::http::{ApiJson, AppError, AppState, PathParams, User};

mod json {
    use super::*;

    #[derive(Serialize, ToSchema)]
    pub struct Member {
        pub person_id: i64,
        pub name: String,
        pub unit_name: Option<String>,
        /// 監査責任者.
        pub lead: bool,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Note {
        pub id: i64,
        pub unit_id: Option<i64>,
        pub text: String,
        pub by: Option<String>,
        pub at: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct ScopeUnit {
        pub unit_id: i64,
        pub unit_name: String,
    }

    /// 情報セキュリティ監査.
    #[derive(Serialize, ToSchema)]
    pub struct Audit {
        pub id: i64,
        pub year: i32,
        pub title: String,
        pub criteria: String,
        pub period_from: String,
        pub period_to: String,
        /// `planned`, `fieldwork` or `reported`.
        pub state: String,
        pub units: Vec<ScopeUnit>,
        /// Chapter codes; empty: every chapter.
        pub chapters: Vec<String>,
        pub team: Vec<Member>,
        pub notes: Vec<Note>,
        pub report: String,
        pub reported_by: Option<String>,
        pub reported_at: Option<String>,
    }

    /// An audit to plan (administrators).
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct AuditBody {
        pub year: Option<i64>,
        pub title: String,
        #[serde(default)]
        pub criteria: String,
        /// `YYYY-MM-DD`.
        pub period_from: String,
        pub period_to: String,
        pub unit_ids: Vec<i64>,
        #[serde(default)]
        pub chapters: Vec<String>,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct MemberBody {
        pub person_id: Option<i64>,
        #[serde(default)]
        pub lead: bool,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct NoteBody {
        #[serde(default)]
        pub unit_id: Option<i64>,
        pub text: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct FindingBody {
        pub unit_id: Option<i64>,
        #[serde(default)]
        pub measure: String,
        #[serde(default)]
        pub clause: String,
        pub kind: String,
        pub description: String,
    }

    /// A finding recorded for the audit.
    #[derive(Serialize, ToSchema)]
    pub struct Raised {
        pub id: i64,
        pub audit_id: i64,
        pub unit_id: i64,
        pub kind: String,
        pub measure_urn: String,
        pub clause: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ReportBody {
        pub report: String,
    }
}

fn audit_json(a: &SecurityAudit) -> json::Audit {
    json::Audit {
        id: a.id.0,
        year: a.year,
        title: a.title.clone(),
        criteria: a.criteria.clone(),
        period_from: a.from.to_string(),
        period_to: a.to.to_string(),
        state: a.state.as_str().to_owned(),
        units: a
            .scope
            .iter()
            .map(|(_, u, n)| json::ScopeUnit {
                unit_id: u.0,
                unit_name: n.clone(),
            })
            .collect(),
        chapters: a.chapters.clone(),
        team: a
            .team
            .iter()
            .map(|m| json::Member {
                person_id: m.person.0,
                name: m.name.clone(),
                unit_name: m.unit_name.clone(),
                lead: m.lead,
            })
            .collect(),
        notes: a
            .notes
            .iter()
            .map(|n| json::Note {
                id: n.id,
                unit_id: n.unit.map(|u| u.0),
                text: n.text.clone(),
                by: n.by_name.clone(),
                at: rfc3339_jst(n.at_ms),
            })
            .collect(),
        report: a.report.clone(),
        reported_by: a.reported_by_name.clone(),
        reported_at: a.reported_at.map(rfc3339_jst),
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_audits,
        create_audit,
        get_audit,
        add_member,
        remove_member,
        add_note,
        raise_finding,
        issue_report
    ),
    tags(
        (name = "audits", description = "情報セキュリティ監査: plan, independent team, fieldwork, report"),
    )
)]
pub struct AuditApiDoc;

/// The audits the caller may read.
#[utoipa::path(
    get,
    path = "/api/v1/audits",
    tag = "audits",
    responses((status = 200, body = Vec<json::Audit>))
)]
async fn list_audits(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Audit>>, AppError> {
    Ok(Json(
        ops::list(&state, &user)
            .await?
            .iter()
            .map(audit_json)
            .collect(),
    ))
}

/// Plans an audit (administrators).
#[utoipa::path(
    post,
    path = "/api/v1/audits",
    tag = "audits",
    request_body = json::AuditBody,
    responses(
        (status = 201, body = json::Audit),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn create_audit(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::AuditBody>,
) -> Result<Response, AppError> {
    let audit = ops::create(
        &state,
        &user,
        PlanDraft {
            year: body.year,
            title: body.title,
            criteria: body.criteria,
            from: body.period_from,
            to: body.period_to,
            units: body.unit_ids,
            chapters: body.chapters,
        },
    )
    .await?;
    Ok(created(
        format!("{PREFIX}/audits/{}", audit.id.0),
        audit_json(&audit),
    ))
}

/// One audit; 404 for one the caller may not read.
#[utoipa::path(
    get,
    path = "/api/v1/audits/{id}",
    tag = "audits",
    params(("id" = i64, Path, description = "Audit id")),
    responses(
        (status = 200, body = json::Audit),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_audit(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<json::Audit>, AppError> {
    Ok(Json(audit_json(&ops::audit(&state, &user, id).await?)))
}

/// Adds a member to the team (administrators). A person who belongs to, manages or oversees a
/// unit of the scope is refused: 409 `audit_plan.member_belongs_to_unit`,
/// `audit_plan.member_manages_unit` or `audit_plan.member_oversees_organisation`.
#[utoipa::path(
    post,
    path = "/api/v1/audits/{id}/team",
    tag = "audits",
    params(("id" = i64, Path, description = "Audit id")),
    request_body = json::MemberBody,
    responses(
        (status = 200, body = json::Audit),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn add_member(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::MemberBody>,
) -> Result<Json<json::Audit>, AppError> {
    let audit = ops::add_member(&state, &user, id, body.person_id, body.lead).await?;
    Ok(Json(audit_json(&audit)))
}

/// Takes a member off the team (administrators).
#[utoipa::path(
    delete,
    path = "/api/v1/audits/{id}/team/{person}",
    tag = "audits",
    params(
        ("id" = i64, Path, description = "Audit id"),
        ("person" = i64, Path, description = "Person id"),
    ),
    responses(
        (status = 200, body = json::Audit),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
    )
)]
async fn remove_member(
    State(state): State<AppState>,
    user: User,
    PathParams((id, person)): PathParams<(i64, i64)>,
) -> Result<Json<json::Audit>, AppError> {
    Ok(Json(audit_json(
        &ops::remove_member(&state, &user, id, person).await?,
    )))
}

/// Records a fieldwork note (the team, until the report).
#[utoipa::path(
    post,
    path = "/api/v1/audits/{id}/notes",
    tag = "audits",
    params(("id" = i64, Path, description = "Audit id")),
    request_body = json::NoteBody,
    responses(
        (status = 200, body = json::Audit),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn add_note(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::NoteBody>,
) -> Result<Json<json::Audit>, AppError> {
    let audit = ops::add_note(&state, &user, id, body.unit_id, &body.text).await?;
    Ok(Json(audit_json(&audit)))
}

/// Records a finding of the audit on a unit of its scope (the team, until the report).
#[utoipa::path(
    post,
    path = "/api/v1/audits/{id}/findings",
    tag = "audits",
    params(("id" = i64, Path, description = "Audit id")),
    request_body = json::FindingBody,
    responses(
        (status = 201, body = json::Raised),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn raise_finding(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::FindingBody>,
) -> Result<Response, AppError> {
    let finding = ops::raise_finding(
        &state,
        &user,
        id,
        FindingDraft {
            unit: body.unit_id,
            measure: body.measure,
            clause: body.clause,
            kind: body.kind,
            description: body.description,
        },
    )
    .await?;
    Ok(created(
        format!("{PREFIX}/findings/{}", finding.id.0),
        json::Raised {
            id: finding.id.0,
            audit_id: id,
            unit_id: finding.unit.0,
            kind: finding.kind.as_str().to_owned(),
            measure_urn: finding.measure_urn.clone(),
            clause: finding.clause.clone(),
        },
    ))
}

/// Issues the report (the team): the audit is closed to changes.
#[utoipa::path(
    post,
    path = "/api/v1/audits/{id}/report",
    tag = "audits",
    params(("id" = i64, Path, description = "Audit id")),
    request_body = json::ReportBody,
    responses(
        (status = 200, body = json::Audit),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn issue_report(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::ReportBody>,
) -> Result<Json<json::Audit>, AppError> {
    Ok(Json(audit_json(
        &ops::report(&state, &user, id, &body.report).await?,
    )))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(AuditApiDoc::openapi())
        .routes(routes!(list_audits, create_audit))
        .routes(routes!(get_audit))
        .routes(routes!(add_member))
        .routes(routes!(remove_member))
        .routes(routes!(add_note))
        .routes(routes!(raise_finding))
        .routes(routes!(issue_report))
}
