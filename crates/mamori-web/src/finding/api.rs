//! 指摘事項 and 是正処置 in the JSON API: the findings and actions the caller may see, a finding
//! raised and graded, an action planned, reported done and verified. Every handler calls the
//! operation the pages call.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use mamori_core::finding::FindingKind;
use mamori_core::time::rfc3339_jst;
use mamori_core::{FieldError, FieldErrorKind, UnitId};
use mamori_store::{CorrectiveAction, Finding, InspectionId};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, ActionDraft, FindingDraft, FindingFilter};
use crate::http::api::{PREFIX, created};
use crate::http::{ApiJson, ApiQuery, AppError, AppState, PathParams, User};

mod json {
    use super::*;

    /// 是正処置.
    #[derive(Serialize, ToSchema)]
    pub struct Action {
        pub id: i64,
        pub finding_id: i64,
        pub unit_id: i64,
        pub description: String,
        pub owner_id: i64,
        pub owner_name: String,
        pub due_on: String,
        /// `open`, `done` or `verified`.
        pub state: String,
        /// Open past its due date.
        pub overdue: bool,
        pub done_by: Option<String>,
        pub done_at: Option<String>,
        pub done_note: String,
        pub verified_by: Option<String>,
        pub verified_at: Option<String>,
        pub verify_note: String,
    }

    /// 指摘事項.
    #[derive(Serialize, ToSchema)]
    pub struct Finding {
        pub id: i64,
        /// `inspection` or `audit`.
        pub source: String,
        pub inspection_id: Option<i64>,
        pub unit_id: i64,
        pub unit_name: String,
        pub measure_urn: String,
        pub measure_code: String,
        pub clause: String,
        /// `major`, `minor` or `observation`.
        pub kind: String,
        pub description: String,
        pub raised_by: Option<String>,
        pub closed_at: Option<String>,
        pub created_at: String,
        pub actions: Vec<Action>,
    }

    /// A finding to record (auditors outside the unit, administrators).
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct FindingBody {
        pub unit_id: Option<i64>,
        /// A measure's urn or code (`M-6.2.3`), or nothing.
        #[serde(default)]
        pub measure: String,
        /// The clause concerned (`6(3)`).
        #[serde(default)]
        pub clause: String,
        pub kind: String,
        pub description: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct GradeBody {
        pub kind: String,
        pub description: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ActionBody {
        pub description: String,
        pub owner_id: Option<i64>,
        /// `YYYY-MM-DD`.
        pub due_on: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct CompleteBody {
        /// What was done.
        pub note: String,
    }

    /// A verification: `accepted` true verifies, false sends the action back (`note` says why).
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct VerifyBody {
        pub accepted: bool,
        #[serde(default)]
        pub note: String,
    }
}

fn action_json(a: &CorrectiveAction, today: chrono::NaiveDate) -> json::Action {
    json::Action {
        id: a.id.0,
        finding_id: a.finding.0,
        unit_id: a.unit.0,
        description: a.description.clone(),
        owner_id: a.owner.0,
        owner_name: a.owner_name.clone(),
        due_on: a.due_on.to_string(),
        state: a.state.as_str().to_owned(),
        overdue: ops::overdue(a, today),
        done_by: a.done_by_name.clone(),
        done_at: a.done_at.map(rfc3339_jst),
        done_note: a.done_note.clone(),
        verified_by: a.verified_by_name.clone(),
        verified_at: a.verified_at.map(rfc3339_jst),
        verify_note: a.verify_note.clone(),
    }
}

fn finding_json(f: &Finding, today: chrono::NaiveDate) -> json::Finding {
    json::Finding {
        id: f.id.0,
        source: f.source.as_str().to_owned(),
        inspection_id: f.inspection.map(|i| i.0),
        unit_id: f.unit.0,
        unit_name: f.unit_name.clone(),
        measure_urn: f.measure_urn.clone(),
        measure_code: f.measure_code.clone(),
        clause: f.clause.clone(),
        kind: f.kind.as_str().to_owned(),
        description: f.description.clone(),
        raised_by: f.raised_by_name.clone(),
        closed_at: f.closed_at.map(rfc3339_jst),
        created_at: rfc3339_jst(f.created_at),
        actions: f.actions.iter().map(|a| action_json(a, today)).collect(),
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_findings,
        raise_finding,
        get_finding,
        grade_finding,
        plan_action,
        list_actions,
        complete_action,
        verify_action
    ),
    tags(
        (name = "findings", description = "指摘事項 and 是正処置: findings and corrective actions"),
    )
)]
pub struct FindingApiDoc;

/// Which findings to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingsQuery {
    /// The self-inspection campaign that raised them.
    #[serde(default)]
    inspection: Option<i64>,
    #[serde(default)]
    unit: Option<i64>,
    /// `major`, `minor` or `observation`.
    #[serde(default)]
    kind: String,
    /// Only those not closed.
    #[serde(default)]
    open: bool,
    /// Only those with an overdue action.
    #[serde(default)]
    overdue: bool,
}

/// The filter a query asks for; a value that names nothing is refused.
pub fn filter_of(
    inspection: Option<i64>,
    unit: Option<i64>,
    kind: &str,
    open: bool,
    overdue: bool,
) -> Result<FindingFilter, AppError> {
    let mut errors = Vec::new();
    let kind = match kind.trim() {
        "" => None,
        raw => FindingKind::parse(raw).or_else(|| {
            errors.push(FieldError::new("kind", FieldErrorKind::UnknownValue));
            None
        }),
    };
    for (field, value) in [("inspection", inspection), ("unit", unit)] {
        if value.is_some_and(|v| v <= 0) {
            errors.push(FieldError::new(field, FieldErrorKind::InvalidFormat));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(FindingFilter {
        inspection: inspection.map(InspectionId),
        unit: unit.map(UnitId),
        kind,
        open,
        overdue,
    })
}

/// The findings the caller may see: over their units, or with an action they own.
#[utoipa::path(
    get,
    path = "/api/v1/findings",
    tag = "findings",
    params(FindingsQuery),
    responses(
        (status = 200, body = Vec<json::Finding>),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn list_findings(
    State(state): State<AppState>,
    user: User,
    ApiQuery(query): ApiQuery<FindingsQuery>,
) -> Result<Json<Vec<json::Finding>>, AppError> {
    let filter = filter_of(
        query.inspection,
        query.unit,
        &query.kind,
        query.open,
        query.overdue,
    )?;
    let today = state.today();
    Ok(Json(
        ops::list(&state, &user, &filter)
            .await?
            .iter()
            .map(|f| finding_json(f, today))
            .collect(),
    ))
}

/// Records a finding (auditors outside the unit, administrators).
#[utoipa::path(
    post,
    path = "/api/v1/findings",
    tag = "findings",
    request_body = json::FindingBody,
    responses(
        (status = 201, body = json::Finding),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn raise_finding(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::FindingBody>,
) -> Result<Response, AppError> {
    let finding = ops::raise(
        &state,
        &user,
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
        finding_json(&finding, state.today()),
    ))
}

/// One finding with its actions; 404 for one the caller may not see.
#[utoipa::path(
    get,
    path = "/api/v1/findings/{id}",
    tag = "findings",
    params(("id" = i64, Path, description = "Finding id")),
    responses(
        (status = 200, body = json::Finding),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_finding(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<json::Finding>, AppError> {
    let finding = ops::finding(&state, &user, id).await?;
    Ok(Json(finding_json(&finding, state.today())))
}

/// Grades a finding again (auditors outside the unit, administrators).
#[utoipa::path(
    post,
    path = "/api/v1/findings/{id}/grade",
    tag = "findings",
    params(("id" = i64, Path, description = "Finding id")),
    request_body = json::GradeBody,
    responses(
        (status = 200, body = json::Finding),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn grade_finding(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::GradeBody>,
) -> Result<Json<json::Finding>, AppError> {
    let finding = ops::grade(&state, &user, id, &body.kind, &body.description).await?;
    Ok(Json(finding_json(&finding, state.today())))
}

/// Plans a corrective action (the unit's 管理者, its organisation's 責任者, administrators).
#[utoipa::path(
    post,
    path = "/api/v1/findings/{id}/actions",
    tag = "findings",
    params(("id" = i64, Path, description = "Finding id")),
    request_body = json::ActionBody,
    responses(
        (status = 201, body = json::Action),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn plan_action(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::ActionBody>,
) -> Result<Response, AppError> {
    let action = ops::plan(
        &state,
        &user,
        id,
        ActionDraft {
            description: body.description,
            owner: body.owner_id,
            due_on: body.due_on,
        },
    )
    .await?;
    Ok(created(
        format!("{PREFIX}/findings/{id}"),
        action_json(&action, state.today()),
    ))
}

/// Which actions to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionsQuery {
    /// Only the caller's own.
    #[serde(default)]
    mine: bool,
}

/// The corrective actions the caller may see, earliest due first.
#[utoipa::path(
    get,
    path = "/api/v1/corrective-actions",
    tag = "findings",
    params(ActionsQuery),
    responses(
        (status = 200, body = Vec<json::Action>),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn list_actions(
    State(state): State<AppState>,
    user: User,
    ApiQuery(query): ApiQuery<ActionsQuery>,
) -> Result<Json<Vec<json::Action>>, AppError> {
    let today = state.today();
    Ok(Json(
        ops::actions(&state, &user, query.mine)
            .await?
            .iter()
            .map(|a| action_json(a, today))
            .collect(),
    ))
}

/// Reports an action done (its owner, or whoever may plan it).
#[utoipa::path(
    post,
    path = "/api/v1/corrective-actions/{id}/complete",
    tag = "findings",
    params(("id" = i64, Path, description = "Action id")),
    request_body = json::CompleteBody,
    responses(
        (status = 200, body = json::Action),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn complete_action(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::CompleteBody>,
) -> Result<Json<json::Action>, AppError> {
    let action = ops::complete(&state, &user, id, &body.note).await?;
    Ok(Json(action_json(&action, state.today())))
}

/// Verifies a done action or sends it back (auditors outside the unit and administrators,
/// never the action's owner: 403, or `action.verifier_is_owner` when the store finds it so).
#[utoipa::path(
    post,
    path = "/api/v1/corrective-actions/{id}/verify",
    tag = "findings",
    params(("id" = i64, Path, description = "Action id")),
    request_body = json::VerifyBody,
    responses(
        (status = 200, body = json::Action),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn verify_action(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::VerifyBody>,
) -> Result<Json<json::Action>, AppError> {
    let action = ops::verify(&state, &user, id, body.accepted, &body.note).await?;
    Ok(Json(action_json(&action, state.today())))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(FindingApiDoc::openapi())
        .routes(routes!(list_findings, raise_finding))
        .routes(routes!(get_finding))
        .routes(routes!(grade_finding))
        .routes(routes!(plan_action))
        .routes(routes!(list_actions))
        .routes(routes!(complete_action))
        .routes(routes!(verify_action))
}
