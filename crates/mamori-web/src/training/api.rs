//! 研修 in the JSON API: the courses, a course with its progress per unit, a unit's members, the
//! caller's own assignments, opening and assigning a course, a completion and the import of
//! completions. Every handler calls the operation the pages call.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use mamori_core::authz::{ManageTraining, authorize};
use mamori_store::{Course, TrainingAssignment};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, CourseDraft};
use crate::http::api::{PREFIX, created};
use crate::http::context::UPLOAD_LIMIT;
use crate::http::{ApiJson, AppError, AppState, PathParams, User};

mod json {
    use super::*;

    /// 研修コース.
    #[derive(Serialize, ToSchema)]
    pub struct Course {
        pub id: i64,
        pub code: String,
        pub title: String,
        pub description: String,
        /// The present round's due date (`YYYY-MM-DD`).
        pub due_on: String,
        /// The present round's 年度 (it begins on 1 April).
        pub year: i32,
        /// Assigned again for each 年度.
        pub yearly: bool,
        /// Roles of the audience (`staff`, `security_manager`, …); none and no units: everyone
        /// on the staff.
        pub audience_roles: Vec<String>,
        pub audience_unit_ids: Vec<i64>,
    }

    /// Progress of a unit (or, without `unit_id`, of those without a unit).
    #[derive(Serialize, ToSchema)]
    pub struct UnitProgress {
        pub unit_id: Option<i64>,
        pub unit_name: String,
        pub assigned: usize,
        pub completed: usize,
        pub overdue: usize,
        /// Completed, in whole percent.
        pub percent: usize,
    }

    /// A course with the progress of its present round in each unit the caller oversees.
    #[derive(Serialize, ToSchema)]
    pub struct CourseProgress {
        pub course: Course,
        pub units: Vec<UnitProgress>,
        pub total: UnitProgress,
    }

    /// A person's assignment of a course for a 年度.
    #[derive(Serialize, ToSchema)]
    pub struct Assignment {
        pub id: i64,
        pub course_id: i64,
        pub course_code: String,
        pub course_title: String,
        pub person_id: i64,
        pub person_name: String,
        pub unit_id: Option<i64>,
        pub year: i32,
        pub due_on: String,
        pub completed_on: Option<String>,
        /// `self`, `admin` or `import`, once completed.
        pub source: Option<String>,
        /// `completed`, `overdue`, `due_soon` (within 14 days) or `open`.
        pub standing: String,
    }

    /// What opening or assigning a course did.
    #[derive(Serialize, ToSchema)]
    pub struct Assigned {
        pub course: Course,
        /// Assignments made by this request.
        pub assigned: usize,
    }

    /// A unit's members of a course, those not completed first.
    #[derive(Serialize, ToSchema)]
    pub struct UnitMembers {
        pub course_id: i64,
        pub unit_id: i64,
        pub unit_name: String,
        pub not_completed: usize,
        pub members: Vec<Assignment>,
    }

    /// What an import did.
    #[derive(Serialize, ToSchema)]
    pub struct Imported {
        /// Assignments recorded as completed.
        pub completed: usize,
        /// Rows whose assignment was completed already (left as it was).
        pub unchanged: usize,
    }

    /// A course to open (administrators).
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct CourseBody {
        pub code: String,
        pub title: String,
        #[serde(default)]
        pub description: String,
        /// `YYYY-MM-DD`.
        pub due_on: String,
        #[serde(default)]
        pub yearly: bool,
        #[serde(default)]
        pub audience_roles: Vec<String>,
        #[serde(default)]
        pub audience_unit_ids: Vec<i64>,
    }

    #[derive(Deserialize, ToSchema, Default)]
    #[serde(deny_unknown_fields)]
    pub struct CompleteBody {
        /// `YYYY-MM-DD`, today when left out; never after today.
        #[serde(default)]
        pub completed_on: Option<String>,
    }
}

fn course_json(c: &Course) -> json::Course {
    json::Course {
        id: c.id.0,
        code: c.code.clone(),
        title: c.title.clone(),
        description: c.description.clone(),
        due_on: c.due_on.to_string(),
        year: c.year(),
        yearly: c.yearly,
        audience_roles: c
            .audience
            .roles
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect(),
        audience_unit_ids: c.audience.units.iter().map(|u| u.0).collect(),
    }
}

fn assignment_json(a: &TrainingAssignment, today: chrono::NaiveDate) -> json::Assignment {
    json::Assignment {
        id: a.id.0,
        course_id: a.course.0,
        course_code: a.course_code.clone(),
        course_title: a.course_title.clone(),
        person_id: a.person.0,
        person_name: a.person_name.clone(),
        unit_id: a.unit.map(|u| u.0),
        year: a.year,
        due_on: a.due_on.to_string(),
        completed_on: a.completed_on.map(|d| d.to_string()),
        source: a.source.map(|s| s.as_str().to_owned()),
        standing: a.standing(today).as_str().to_owned(),
    }
}

fn progress_json(
    unit: Option<i64>,
    name: String,
    p: &mamori_core::training::Progress,
) -> json::UnitProgress {
    json::UnitProgress {
        unit_id: unit,
        unit_name: name,
        assigned: p.assigned,
        completed: p.completed,
        overdue: p.overdue,
        percent: p.percent(),
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_courses,
        create_course,
        get_course,
        assign_course,
        unit_members,
        my_assignments,
        complete_assignment,
        import_completions
    ),
    tags((name = "training", description = "研修・教育: courses, assignments, completions, progress")),
)]
pub struct TrainingApiDoc;

/// The courses (everyone on the staff).
#[utoipa::path(
    get,
    path = "/api/v1/training/courses",
    tag = "training",
    responses(
        (status = 200, body = Vec<json::Course>),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn list_courses(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Course>>, AppError> {
    Ok(Json(
        ops::courses(&state, &user)
            .await?
            .iter()
            .map(course_json)
            .collect(),
    ))
}

/// Opens a course and assigns it to its audience (administrators).
#[utoipa::path(
    post,
    path = "/api/v1/training/courses",
    tag = "training",
    request_body = json::CourseBody,
    responses(
        (status = 201, body = json::Assigned),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn create_course(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::CourseBody>,
) -> Result<Response, AppError> {
    let made = ops::create(
        &state,
        &user,
        CourseDraft {
            code: body.code,
            title: body.title,
            description: body.description,
            due_on: body.due_on,
            yearly: body.yearly,
            roles: body.audience_roles,
            units: body.audience_unit_ids,
        },
    )
    .await?;
    Ok(created(
        format!("{PREFIX}/training/courses/{}", made.course.id.0),
        json::Assigned {
            course: course_json(&made.course),
            assigned: made.assigned,
        },
    ))
}

/// A course with the progress of its present round in each unit the caller oversees (its
/// 管理者, its 責任者, the auditors, the administrators); others see the course alone.
#[utoipa::path(
    get,
    path = "/api/v1/training/courses/{id}",
    tag = "training",
    params(("id" = i64, Path, description = "Course id")),
    responses(
        (status = 200, body = json::CourseProgress),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_course(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<json::CourseProgress>, AppError> {
    let progress = ops::progress(&state, &user, id).await?;
    Ok(Json(json::CourseProgress {
        course: course_json(&progress.course),
        units: progress
            .units
            .iter()
            .map(|u| progress_json(u.unit.map(|u| u.0), u.name.clone(), &u.progress))
            .collect(),
        total: progress_json(None, String::new(), &progress.total),
    }))
}

/// Assigns a course again: to those who joined its audience since it opened, and for a yearly
/// course in a new 年度 to everyone with that year's due date (administrators).
#[utoipa::path(
    post,
    path = "/api/v1/training/courses/{id}/assign",
    tag = "training",
    params(("id" = i64, Path, description = "Course id")),
    responses(
        (status = 200, body = json::Assigned),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn assign_course(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<json::Assigned>, AppError> {
    let assigned = ops::assign(&state, &user, id).await?;
    Ok(Json(json::Assigned {
        course: course_json(&assigned.course),
        assigned: assigned.assigned,
    }))
}

/// A unit's members of a course's present round, those not completed first (the unit's
/// 管理者, its 責任者, the auditors, the administrators).
#[utoipa::path(
    get,
    path = "/api/v1/training/courses/{id}/units/{unit}",
    tag = "training",
    params(
        ("id" = i64, Path, description = "Course id"),
        ("unit" = i64, Path, description = "Unit id"),
    ),
    responses(
        (status = 200, body = json::UnitMembers),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn unit_members(
    State(state): State<AppState>,
    user: User,
    PathParams((id, unit)): PathParams<(i64, i64)>,
) -> Result<Json<json::UnitMembers>, AppError> {
    let (course, unit_name, members) = ops::unit_members(&state, &user, id, unit).await?;
    let today = state.today();
    Ok(Json(json::UnitMembers {
        course_id: course.id.0,
        unit_id: unit,
        unit_name,
        not_completed: members.iter().filter(|a| a.completed_on.is_none()).count(),
        members: members.iter().map(|a| assignment_json(a, today)).collect(),
    }))
}

/// The caller's own assignments, the latest 年度 first, each with its standing.
#[utoipa::path(
    get,
    path = "/api/v1/training/assignments",
    tag = "training",
    responses((status = 200, body = Vec<json::Assignment>))
)]
async fn my_assignments(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Assignment>>, AppError> {
    let today = state.today();
    Ok(Json(
        ops::mine(&state, &user)
            .await?
            .iter()
            .map(|a| assignment_json(a, today))
            .collect(),
    ))
}

/// Records an assignment as completed: the person's own, or anyone's by an administrator.
#[utoipa::path(
    post,
    path = "/api/v1/training/assignments/{id}/complete",
    tag = "training",
    params(("id" = i64, Path, description = "Assignment id")),
    request_body = json::CompleteBody,
    responses(
        (status = 200, body = json::Assignment),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn complete_assignment(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::CompleteBody>,
) -> Result<Json<json::Assignment>, AppError> {
    let done = ops::complete(
        &state,
        &user,
        id,
        body.completed_on.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(Json(assignment_json(&done, state.today())))
}

/// Imports completions from another system's export (administrators): the body is the file
/// itself, a CSV in UTF-8 (with or without BOM) or Shift_JIS whose header names the columns
/// `email` or `login`, `course` and `completed_on`. A file with any problem changes nothing;
/// the refusal names every problem by its row.
#[utoipa::path(
    post,
    path = "/api/v1/training/import",
    tag = "training",
    request_body(content = Vec<u8>, content_type = "text/csv", description = "The file"),
    responses(
        (status = 200, body = json::Imported),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 413, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn import_completions(
    State(state): State<AppState>,
    user: User,
    body: Body,
) -> Result<Json<json::Imported>, AppError> {
    authorize::<ManageTraining>(&user.actor, &())?;
    let body = axum::body::to_bytes(body, UPLOAD_LIMIT)
        .await
        .map_err(|_| AppError::TooLarge)?;
    let outcome = ops::import(&state, &user, &body).await?;
    Ok(Json(json::Imported {
        completed: outcome.completed,
        unchanged: outcome.unchanged,
    }))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(TrainingApiDoc::openapi())
        .routes(routes!(list_courses, create_course))
        .routes(routes!(get_course))
        .routes(routes!(assign_course))
        .routes(routes!(unit_members))
        .routes(routes!(my_assignments))
        .routes(routes!(complete_assignment))
        .routes(routes!(import_completions))
}
