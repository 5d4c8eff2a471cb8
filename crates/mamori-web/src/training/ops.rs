//! 研修's operations: the courses, a course's progress per unit, who of a unit has not
//! completed it, the person's own list, opening and assigning a course, recording a completion
//! and importing completions from another system. Each one authorises, validates and stores
//! here and nowhere else.

use std::collections::HashMap;

use chrono::NaiveDate;
use mamori_core::authz::{
    ManageTraining, RecordTrainingCompletion, ViewTrainingCourses, ViewTrainingProgress, authorize,
};
use mamori_core::i18n::Lang;
use mamori_core::training::{
    Audience, CompletionLookup, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, Progress, parse_audience_roles,
    parse_completions, parse_course,
};
use mamori_core::{FieldError, FieldErrorKind, OrgId, PersonId, UnitId};
use mamori_sheet::{ImportError, Limits, RowError, SheetError};
use mamori_store::{
    Assigned, CompletionImport, CompletionImporter, CompletionSource, Course, CourseId,
    ImportedCompletions, NewCourse, Origin, Store, TrainingAssignment, TrainingAssignmentId,
};

use crate::http::{AppError, AppState, User};

/// The courses (everyone on the staff).
pub async fn courses(state: &AppState, user: &User) -> Result<Vec<Course>, AppError> {
    authorize::<ViewTrainingCourses>(&user.actor, &())?;
    Ok(state.store.courses().await?)
}

/// One course; 404 for one that does not exist.
pub async fn course(state: &AppState, user: &User, id: i64) -> Result<Course, AppError> {
    authorize::<ViewTrainingCourses>(&user.actor, &())?;
    state
        .store
        .course(CourseId(id))
        .await?
        .ok_or(AppError::NotFound)
}

/// A unit's progress with a course.
pub struct UnitProgress {
    pub unit: Option<UnitId>,
    pub name: String,
    pub progress: Progress,
}

/// A course with the progress of its present round in each unit the viewer oversees, and the
/// total over those units.
pub struct CourseProgress {
    pub course: Course,
    pub units: Vec<UnitProgress>,
    pub total: Progress,
}

fn may_see_unit(user: &User, org: Option<OrgId>, unit: Option<UnitId>) -> bool {
    match (org, unit) {
        (Some(org), Some(unit)) => {
            authorize::<ViewTrainingProgress>(&user.actor, &(org, unit)).is_ok()
        }
        // People without a unit are counted for the administrators.
        _ => authorize::<ManageTraining>(&user.actor, &()).is_ok(),
    }
}

pub async fn progress(state: &AppState, user: &User, id: i64) -> Result<CourseProgress, AppError> {
    let course = course(state, user, id).await?;
    let today = state.today();
    let mut units: Vec<UnitProgress> = Vec::new();
    let mut total = Progress::default();
    for assignment in state
        .store
        .course_assignments(course.id, course.year())
        .await?
    {
        if !may_see_unit(user, assignment.org, assignment.unit) {
            continue;
        }
        let standing = assignment.standing(today);
        total.add(standing);
        match units.iter_mut().find(|u| u.unit == assignment.unit) {
            Some(unit) => unit.progress.add(standing),
            None => {
                let mut progress = Progress::default();
                progress.add(standing);
                units.push(UnitProgress {
                    unit: assignment.unit,
                    name: assignment.unit_name.clone().unwrap_or_default(),
                    progress,
                });
            }
        }
    }
    Ok(CourseProgress {
        course,
        units,
        total,
    })
}

/// Who of a unit is assigned a course's present round, those not completed first (the unit's
/// 管理者, its 責任者, the auditors and the administrators).
pub async fn unit_members(
    state: &AppState,
    user: &User,
    id: i64,
    unit: i64,
) -> Result<(Course, String, Vec<TrainingAssignment>), AppError> {
    let course = course(state, user, id).await?;
    let unit = UnitId(unit);
    let org = state
        .store
        .unit_org(unit)
        .await?
        .ok_or(AppError::NotFound)?;
    authorize::<ViewTrainingProgress>(&user.actor, &(org, unit))?;
    let mut members: Vec<TrainingAssignment> = state
        .store
        .course_assignments(course.id, course.year())
        .await?
        .into_iter()
        .filter(|a| a.unit == Some(unit))
        .collect();
    members.sort_by_key(|a| a.completed_on.is_some());
    let name = match members.first() {
        Some(a) => a.unit_name.clone().unwrap_or_default(),
        None => {
            let grant = authorize::<mamori_core::authz::ViewDirectory>(&user.actor, &())?;
            state
                .store
                .unit(&grant, unit)
                .await?
                .map(|u| u.name.as_str().to_owned())
                .unwrap_or_default()
        }
    };
    Ok((course, name, members))
}

/// The person's own assignments, the latest 年度 first (everyone signed in).
pub async fn mine(state: &AppState, user: &User) -> Result<Vec<TrainingAssignment>, AppError> {
    Ok(state.store.person_assignments(user.actor.person_id).await?)
}

/// A course as typed or sent.
#[derive(Default)]
pub struct CourseDraft {
    pub code: String,
    pub title: String,
    pub description: String,
    pub due_on: String,
    pub yearly: bool,
    pub roles: Vec<String>,
    pub units: Vec<i64>,
}

/// Opens a course and assigns it to its audience (the administrators).
pub async fn create(
    state: &AppState,
    user: &User,
    draft: CourseDraft,
) -> Result<Assigned, AppError> {
    let grant = authorize::<ManageTraining>(&user.actor, &())?;
    let mut errors = Vec::new();
    let text = parse_course(
        &draft.code,
        &draft.title,
        &draft.description,
        &draft.due_on,
        draft.yearly,
    )
    .map_err(|e| errors.extend(e))
    .ok();
    let roles = parse_audience_roles(draft.roles.iter().map(String::as_str))
        .map_err(|e| errors.push(e))
        .ok();
    if draft.units.iter().any(|u| *u <= 0) {
        errors.push(FieldError::new(
            "audience_units",
            FieldErrorKind::InvalidFormat,
        ));
    }
    let (Some(text), Some(roles)) = (text, roles) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(state
        .store
        .create_course(
            &grant,
            NewCourse {
                code: text.code,
                title: text.title.as_str().to_owned(),
                description: text.description,
                due_on: text.due_on,
                yearly: text.yearly,
                audience: Audience {
                    roles,
                    units: draft.units.into_iter().map(UnitId).collect(),
                },
            },
            &user.ctx.origin(),
        )
        .await?)
}

/// Assigns a course again: to those who joined its audience, and for a yearly course in a new
/// 年度 to everyone with that year's due date (the administrators).
pub async fn assign(state: &AppState, user: &User, id: i64) -> Result<Assigned, AppError> {
    let grant = authorize::<ManageTraining>(&user.actor, &())?;
    let course = course(state, user, id).await?;
    Ok(state
        .store
        .assign_course(&grant, course.id, state.today(), &user.ctx.origin())
        .await?)
}

/// Records an assignment as completed: by the person (the 完了 button of their own list) or by
/// an administrator. The day is today unless one is given; a day after today is refused. 404
/// for an assignment the user may neither complete nor see.
pub async fn complete(
    state: &AppState,
    user: &User,
    id: i64,
    completed_on: &str,
) -> Result<TrainingAssignment, AppError> {
    let assignment = state
        .store
        .training_assignment(TrainingAssignmentId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let grant =
        authorize::<RecordTrainingCompletion>(&user.actor, &assignment.person).map_err(|_| {
            if may_see_unit(user, assignment.org, assignment.unit) {
                AppError::Forbidden
            } else {
                AppError::NotFound
            }
        })?;
    let today = state.today();
    let completed_on = match completed_on.trim() {
        "" => today,
        raw => mamori_core::inspection::parse_date("completed_on", raw)?,
    };
    if completed_on > today {
        return Err(AppError::invalid(FieldError::new(
            "completed_on",
            FieldErrorKind::InvalidFormat,
        )));
    }
    let source = if assignment.person == user.actor.person_id {
        CompletionSource::Person
    } else {
        CompletionSource::Administrator
    };
    Ok(state
        .store
        .complete_assignment(
            &grant,
            assignment.id,
            completed_on,
            source,
            &user.ctx.origin(),
        )
        .await?)
}

/// What an import asks of the people and courses, answered from memory.
struct Register {
    emails: HashMap<String, PersonId>,
    logins: HashMap<String, PersonId>,
    courses: HashMap<String, i64>,
    assignments: HashMap<(PersonId, i64), (i64, bool)>,
}

impl CompletionLookup for Register {
    fn person_by_email(&self, email: &str) -> Option<PersonId> {
        self.emails.get(&email.trim().to_lowercase()).copied()
    }
    fn person_by_login(&self, login: &str) -> Option<PersonId> {
        self.logins.get(&login.trim().to_lowercase()).copied()
    }
    fn course(&self, code: &str) -> Option<i64> {
        self.courses.get(code).copied()
    }
    fn assignment(&self, person: PersonId, course: i64) -> Option<(i64, bool)> {
        self.assignments.get(&(person, course)).copied()
    }
}

async fn register(store: &dyn Store) -> Result<Register, AppError> {
    let mut emails = HashMap::new();
    let mut logins = HashMap::new();
    for person in store.training_people().await? {
        if let Some(email) = person.email {
            emails.insert(email.to_lowercase(), person.id);
        }
        if let Some(login) = person.login {
            logins.insert(login.to_lowercase(), person.id);
        }
    }
    let mut courses = HashMap::new();
    let mut assignments = HashMap::new();
    for course in store.courses().await? {
        courses.insert(course.code.clone(), course.id.0);
        for a in store.course_assignments(course.id, course.year()).await? {
            assignments.insert((a.person, course.id.0), (a.id.0, a.completed_on.is_some()));
        }
    }
    Ok(Register {
        emails,
        logins,
        courses,
        assignments,
    })
}

fn too_large() -> AppError {
    AppError::Sheet(ImportError::File(SheetError::TooLarge {
        max_bytes: MAX_IMPORT_BYTES as u64,
    }))
}

/// Imports the completions of another system's export (CSV in UTF-8 with or without BOM or
/// Shift_JIS, or a workbook; the format read from the content), all or nothing: every problem
/// of the file is named by its line. Shared by the page, the API and `mamori training import`.
pub async fn import_completions(
    store: &dyn Store,
    importer: CompletionImporter<'_>,
    bytes: &[u8],
    today: NaiveDate,
    origin: &Origin,
) -> Result<ImportedCompletions, AppError> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(too_large());
    }
    let limits = Limits {
        max_rows: MAX_IMPORT_ROWS + 1,
        max_columns: 100,
        max_cell_chars: 1_000,
        max_decoded_bytes: 4 * MAX_IMPORT_BYTES as u64,
        ..Limits::default()
    };
    let table =
        mamori_sheet::read(bytes, &limits).map_err(|e| AppError::Sheet(ImportError::File(e)))?;
    let register = register(store).await?;
    let rows = parse_completions(&table.rows, &register, today).map_err(|problems| {
        let header = table.rows.first();
        AppError::Sheet(ImportError::Rows(
            problems
                .iter()
                .map(|p| RowError {
                    row: p.line,
                    column: p.column.map(|c| c + 1),
                    header: p
                        .column
                        .and_then(|c| header.and_then(|h| h.get(c)))
                        .map(|h| h.chars().take(40).collect()),
                    message_ja: p.message(Lang::Ja),
                    message_en: p.message(Lang::En),
                })
                .collect(),
        ))
    })?;
    Ok(store
        .import_completions(
            importer,
            rows.into_iter()
                .map(|r| CompletionImport {
                    assignment: TrainingAssignmentId(r.assignment),
                    completed_on: r.completed_on,
                })
                .collect(),
            origin,
        )
        .await?)
}

/// Imports completions as the signed-in administrator.
pub async fn import(
    state: &AppState,
    user: &User,
    bytes: &[u8],
) -> Result<ImportedCompletions, AppError> {
    let grant = authorize::<ManageTraining>(&user.actor, &())?;
    import_completions(
        state.store.as_ref(),
        CompletionImporter::Account(&grant),
        bytes,
        state.today(),
        &user.ctx.origin(),
    )
    .await
}
