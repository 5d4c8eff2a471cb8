//! 研修 as pages: the person's own list with its 完了 buttons and, for those who read them, the
//! courses (with the forms to open one and to import completions for the administrators); a
//! course with its progress per unit; a unit's members of a course, those not completed first.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{FromRequest, Query, Request, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::authz::{ManageTraining, ViewDirectory, ViewTrainingCourses, authorize};
use mamori_core::training::Standing;
use mamori_core::{FieldError, FieldErrorKind, Role};
use mamori_store::{Course, TrainingAssignment};
use serde::Deserialize;

use super::ops::{self, CourseDraft};
use crate::http::{AppError, AppState, Form, Frame, PathParams, Upload, User, render};

/// One assignment as a row of a list.
pub struct Row {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub person: String,
    pub year: i32,
    pub due_on: String,
    pub completed_on: String,
    pub standing: &'static str,
    pub standing_key: &'static str,
    pub source_key: &'static str,
    pub done: bool,
}

fn row(a: &TrainingAssignment, today: chrono::NaiveDate) -> Row {
    let standing = a.standing(today);
    Row {
        id: a.id.0,
        code: a.course_code.clone(),
        title: a.course_title.clone(),
        person: a.person_name.clone(),
        year: a.year,
        due_on: a.due_on.to_string(),
        completed_on: a.completed_on.map(|d| d.to_string()).unwrap_or_default(),
        standing: standing.as_str(),
        standing_key: standing.key(),
        source_key: a.source.map_or("", |s| s.key()),
        done: standing == Standing::Completed,
    }
}

/// A course as a row of the list, its audience in words.
pub struct CourseRow {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub due_on: String,
    pub year: i32,
    pub yearly: bool,
    pub roles: Vec<&'static str>,
    pub units: Vec<String>,
}

fn course_row(course: &Course, frame: &Frame, unit_names: &HashMap<i64, String>) -> CourseRow {
    CourseRow {
        id: course.id.0,
        code: course.code.clone(),
        title: course.title.clone(),
        due_on: course.due_on.to_string(),
        year: course.year(),
        yearly: course.yearly,
        roles: course
            .audience
            .roles
            .iter()
            .map(|r| frame.role_name(r))
            .collect(),
        units: course
            .audience
            .units
            .iter()
            .map(|u| {
                unit_names
                    .get(&u.0)
                    .cloned()
                    .unwrap_or_else(|| u.0.to_string())
            })
            .collect(),
    }
}

/// The units by id, for those who may read the directory.
async fn unit_names(state: &AppState, user: &User) -> Result<Vec<(i64, String)>, AppError> {
    let Ok(grant) = authorize::<ViewDirectory>(&user.actor, &()) else {
        return Ok(Vec::new());
    };
    Ok(state
        .store
        .list_units(&grant, None)
        .await?
        .into_iter()
        .map(|u| (u.id.0, u.name.as_str().to_owned()))
        .collect())
}

#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    #[serde(default)]
    assigned: Option<String>,
    #[serde(default)]
    imported: Option<String>,
    #[serde(default)]
    unchanged: Option<String>,
}

impl Notice {
    fn assigned(&self) -> Option<usize> {
        self.assigned.as_deref().and_then(|n| n.parse().ok())
    }

    fn imported(&self) -> Option<(usize, usize)> {
        let completed = self.imported.as_deref()?.parse().ok()?;
        let unchanged = self.unchanged.as_deref().unwrap_or("0").parse().ok()?;
        Some((completed, unchanged))
    }
}

#[derive(Template)]
#[template(path = "training.html")]
struct ListPage {
    frame: Frame,
    mine: Vec<Row>,
    courses: Vec<CourseRow>,
    can_read: bool,
    can_manage: bool,
    roles: Vec<(&'static str, &'static str)>,
    units: Vec<(i64, String)>,
    /// After an import: how many completions it recorded, and how many were recorded already.
    imported: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    user: User,
    Query(notice): Query<Notice>,
) -> Result<Response, AppError> {
    let frame = Frame::new(&user, "training.title");
    let today = state.today();
    let mine = ops::mine(&state, &user)
        .await?
        .iter()
        .map(|a| row(a, today))
        .collect();
    let can_read = authorize::<ViewTrainingCourses>(&user.actor, &()).is_ok();
    let can_manage = authorize::<ManageTraining>(&user.actor, &()).is_ok();
    let units = unit_names(&state, &user).await?;
    let names: HashMap<i64, String> = units.iter().cloned().collect();
    let courses = if can_read {
        ops::courses(&state, &user)
            .await?
            .iter()
            .map(|c| course_row(c, &frame, &names))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Html(render(&ListPage {
        mine,
        courses,
        can_read,
        can_manage,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), frame.role_name(r)))
            .collect(),
        units: if can_manage { units } else { Vec::new() },
        imported: notice.imported().map(|(completed, unchanged)| {
            frame.lang.fill(
                "training.imported",
                &[
                    ("completed", completed.to_string()),
                    ("unchanged", unchanged.to_string()),
                ],
            )
        }),
        frame,
    }))
    .into_response())
}

/// A course as typed: the roles ticked are `role-{name}` fields, the units `unit-{id}`; none
/// ticked means everyone on the staff.
#[derive(Deserialize)]
pub struct CourseForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    yearly: String,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

pub async fn create(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<CourseForm>,
) -> Result<Response, AppError> {
    let mut roles = Vec::new();
    let mut units = Vec::new();
    for key in form.rest.keys() {
        if let Some(role) = key.strip_prefix("role-") {
            roles.push(role.to_owned());
        } else if let Some(id) = key.strip_prefix("unit-") {
            units.push(id.parse::<i64>().map_err(|_| {
                AppError::invalid(FieldError::new(
                    "audience_units",
                    FieldErrorKind::InvalidFormat,
                ))
            })?);
        }
    }
    let made = ops::create(
        &state,
        &user,
        CourseDraft {
            code: form.code,
            title: form.title,
            description: form.description,
            due_on: form.due_on,
            yearly: !form.yearly.is_empty(),
            roles,
            units,
        },
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/training/courses/{}?assigned={}",
        made.course.id.0, made.assigned
    ))
    .into_response())
}

pub struct UnitRow {
    pub id: Option<i64>,
    pub name: String,
    pub assigned: usize,
    pub completed: usize,
    pub overdue: usize,
    pub percent: usize,
}

#[derive(Template)]
#[template(path = "training_course.html")]
struct CoursePage {
    frame: Frame,
    course: CourseRow,
    description: String,
    units: Vec<UnitRow>,
    total: UnitRow,
    can_manage: bool,
    assigned: Option<usize>,
}

fn unit_row(id: Option<i64>, name: String, p: &mamori_core::training::Progress) -> UnitRow {
    UnitRow {
        id,
        name,
        assigned: p.assigned,
        completed: p.completed,
        overdue: p.overdue,
        percent: p.percent(),
    }
}

pub async fn course(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Query(notice): Query<Notice>,
) -> Result<Response, AppError> {
    let progress = ops::progress(&state, &user, id).await?;
    let frame = Frame::new(&user, "training.course");
    let names: HashMap<i64, String> = unit_names(&state, &user).await?.into_iter().collect();
    Ok(Html(render(&CoursePage {
        course: course_row(&progress.course, &frame, &names),
        description: progress.course.description.clone(),
        units: progress
            .units
            .iter()
            .map(|u| unit_row(u.unit.map(|u| u.0), u.name.clone(), &u.progress))
            .collect(),
        total: unit_row(None, String::new(), &progress.total),
        can_manage: authorize::<ManageTraining>(&user.actor, &()).is_ok(),
        assigned: notice.assigned(),
        frame,
    }))
    .into_response())
}

pub async fn assign(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let assigned = ops::assign(&state, &user, id).await?;
    Ok(Redirect::to(&format!(
        "/training/courses/{}?assigned={}",
        assigned.course.id.0, assigned.assigned
    ))
    .into_response())
}

#[derive(Template)]
#[template(path = "training_unit.html")]
struct UnitPage {
    frame: Frame,
    course_id: i64,
    course_title: String,
    unit: String,
    rows: Vec<Row>,
    pending: usize,
    can_manage: bool,
    today: String,
}

pub async fn unit(
    State(state): State<AppState>,
    user: User,
    PathParams((id, unit)): PathParams<(i64, i64)>,
) -> Result<Response, AppError> {
    let (course, unit, members) = ops::unit_members(&state, &user, id, unit).await?;
    let today = state.today();
    let rows: Vec<Row> = members.iter().map(|a| row(a, today)).collect();
    Ok(Html(render(&UnitPage {
        frame: Frame::new(&user, "training.members"),
        course_id: course.id.0,
        course_title: course.title,
        unit,
        pending: rows.iter().filter(|r| !r.done).count(),
        rows,
        can_manage: authorize::<ManageTraining>(&user.actor, &()).is_ok(),
        today: today.to_string(),
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct CompleteForm {
    #[serde(default)]
    completed_on: String,
}

pub async fn complete(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<CompleteForm>,
) -> Result<Response, AppError> {
    let done = ops::complete(&state, &user, id, &form.completed_on).await?;
    let back = match (done.person == user.actor.person_id, done.unit) {
        (false, Some(unit)) => format!("/training/courses/{}/units/{}", done.course.0, unit.0),
        _ => "/training".to_owned(),
    };
    Ok(Redirect::to(&back).into_response())
}

pub async fn import(
    State(state): State<AppState>,
    user: User,
    request: Request,
) -> Result<Response, AppError> {
    // Who may import is settled before the upload is read.
    authorize::<ManageTraining>(&user.actor, &())?;
    let Upload(file) = Upload::from_request(request, &()).await?;
    let outcome = ops::import(&state, &user, &file).await?;
    Ok(Redirect::to(&format!(
        "/training?imported={}&unchanged={}",
        outcome.completed, outcome.unchanged
    ))
    .into_response())
}
