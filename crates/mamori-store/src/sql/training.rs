//! Training on SQL: courses with their audience rows, and assignments per person and 年度.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use mamori_core::authz::{Granted, ManageTraining, RecordTrainingCompletion};
use mamori_core::time::{fiscal_year, same_day_in_fiscal_year};
use mamori_core::training::Audience;
use mamori_core::{OrgId, PersonId, Role, UnitId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{SqlStore, Write, conflict, date_column, day, day_of, opt_id};
use crate::{
    Assigned, CompletionImport, CompletionImporter, CompletionSource, Conflict, Course, CourseId,
    ImportedCompletions, NewCourse, Origin, Result, StoreError, TrainingAssignment,
    TrainingAssignmentId, TrainingPerson, TrainingStore,
};

const COURSE_SELECT: &str = "SELECT id, code, title, description, due_on, yearly, created_at \
     FROM training_courses";

const ASSIGNMENT_SELECT: &str = "SELECT a.id, a.course_id, c.code, c.title, a.person_id, \
     p.name AS person_name, p.unit_id, un.name AS unit_name, un.org_id, a.year, a.due_on, \
     a.completed_on, a.source \
     FROM training_assignments a JOIN training_courses c ON c.id = a.course_id \
     JOIN people p ON p.id = a.person_id LEFT JOIN units un ON un.id = p.unit_id";

fn decode(what: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("invalid {what} in the training records").into(),
    ))
}

fn course_from(row: &AnyRow) -> Result<Course> {
    Ok(Course {
        id: CourseId(row.try_get("id")?),
        code: row.try_get("code")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        due_on: date_column(row, "due_on")?,
        yearly: row.try_get::<i64, _>("yearly")? != 0,
        audience: Audience::default(),
        created_at: row.try_get("created_at")?,
    })
}

fn assignment_from(row: &AnyRow) -> Result<TrainingAssignment> {
    let source: Option<String> = row.try_get("source")?;
    Ok(TrainingAssignment {
        id: TrainingAssignmentId(row.try_get("id")?),
        course: CourseId(row.try_get("course_id")?),
        course_code: row.try_get("code")?,
        course_title: row.try_get("title")?,
        person: PersonId(row.try_get("person_id")?),
        person_name: row.try_get("person_name")?,
        unit: opt_id(row, "unit_id")?.map(UnitId),
        unit_name: row.try_get("unit_name")?,
        org: opt_id(row, "org_id")?.map(OrgId),
        year: i32::try_from(row.try_get::<i64, _>("year")?).map_err(|_| decode("year"))?,
        due_on: date_column(row, "due_on")?,
        completed_on: row
            .try_get::<Option<String>, _>("completed_on")?
            .map(|d| day_of(&d, "completed_on"))
            .transpose()?,
        source: source
            .map(|s| CompletionSource::parse(&s).ok_or_else(|| decode("source")))
            .transpose()?,
    })
}

impl SqlStore {
    /// Fills each course's audience.
    async fn course_audiences(
        &self,
        db: &mut sqlx::AnyConnection,
        mut courses: Vec<Course>,
    ) -> Result<Vec<Course>> {
        let index: HashMap<i64, usize> = courses
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.0, i))
            .collect();
        for row in
            sqlx::query("SELECT course_id, kind, value FROM training_audience ORDER BY value")
                .fetch_all(&mut *db)
                .await?
        {
            let Some(&i) = index.get(&row.try_get::<i64, _>("course_id")?) else {
                continue;
            };
            let kind: String = row.try_get("kind")?;
            let value: String = row.try_get("value")?;
            let audience = &mut courses[i].audience;
            match kind.as_str() {
                "role" => audience
                    .roles
                    .push(Role::parse(&value).map_err(|_| decode("role"))?),
                "unit" => audience
                    .units
                    .push(UnitId(value.parse().map_err(|_| decode("audience unit"))?)),
                _ => return Err(decode("audience kind")),
            }
        }
        for course in &mut courses {
            course.audience.units.sort_unstable();
        }
        Ok(courses)
    }

    async fn course_in(&self, write: &mut Write, id: CourseId) -> Result<Course> {
        let row = sqlx::query(&format!("{COURSE_SELECT} WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.course_audiences(&mut write.tx, vec![course_from(&row)?])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn assignment_in(
        &self,
        write: &mut Write,
        id: TrainingAssignmentId,
    ) -> Result<TrainingAssignment> {
        let row = sqlx::query(&format!("{ASSIGNMENT_SELECT} WHERE a.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        assignment_from(&row)
    }

    /// Assigns the course's round of `year`, due `due_on`, to everyone of its audience who has
    /// no assignment of that round yet; answers how many were assigned.
    async fn assign_audience(
        &self,
        write: &mut Write,
        course: &Course,
        year: i32,
        due_on: NaiveDate,
    ) -> Result<usize> {
        let mut roles: HashMap<i64, Vec<Role>> = HashMap::new();
        for row in sqlx::query("SELECT person_id, role FROM role_assignments")
            .fetch_all(&mut *write.tx)
            .await?
        {
            // A role this version does not know gives nobody a place in an audience.
            if let Ok(role) = Role::parse(&row.try_get::<String, _>("role")?) {
                roles
                    .entry(row.try_get("person_id")?)
                    .or_default()
                    .push(role);
            }
        }
        let assigned: HashSet<i64> = sqlx::query(
            "SELECT person_id FROM training_assignments WHERE course_id = $1 AND year = $2",
        )
        .bind(course.id.0)
        .bind(i64::from(year))
        .fetch_all(&mut *write.tx)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>("person_id"))
        .collect::<std::result::Result<_, _>>()?;
        let people = sqlx::query(
            "SELECT p.id, p.unit_id, p.external FROM people p WHERE NOT EXISTS \
             (SELECT 1 FROM users u WHERE u.person_id = p.id AND u.disabled <> 0) ORDER BY p.id",
        )
        .fetch_all(&mut *write.tx)
        .await?;
        let mut count = 0;
        for row in people {
            let person: i64 = row.try_get("id")?;
            let unit = opt_id(&row, "unit_id")?.map(UnitId);
            let external = row.try_get::<i64, _>("external")? != 0;
            let held = roles.get(&person).map(Vec::as_slice).unwrap_or_default();
            if assigned.contains(&person) || !course.audience.includes(unit, held, external) {
                continue;
            }
            sqlx::query(
                "INSERT INTO training_assignments (course_id, person_id, year, due_on, \
                 assigned_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(course.id.0)
            .bind(person)
            .bind(i64::from(year))
            .bind(day(due_on))
            .bind(write.at_ms)
            .execute(&mut *write.tx)
            .await?;
            count += 1;
        }
        Ok(count)
    }
}

#[async_trait::async_trait]
impl TrainingStore for SqlStore {
    async fn courses(&self) -> Result<Vec<Course>> {
        let courses = sqlx::query(&format!("{COURSE_SELECT} ORDER BY code"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(course_from)
            .collect::<Result<Vec<_>>>()?;
        self.course_audiences(&mut *self.pool.acquire().await?, courses)
            .await
    }

    async fn course(&self, id: CourseId) -> Result<Option<Course>> {
        let Some(row) = sqlx::query(&format!("{COURSE_SELECT} WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        Ok(self
            .course_audiences(&mut *self.pool.acquire().await?, vec![course_from(&row)?])
            .await?
            .pop())
    }

    async fn create_course(
        &self,
        grant: &Granted<ManageTraining>,
        course: NewCourse,
        origin: &Origin,
    ) -> Result<Assigned> {
        let mut write = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO training_courses (code, title, description, due_on, yearly, \
             created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             RETURNING id",
        )
        .bind(&course.code)
        .bind(&course.title)
        .bind(&course.description)
        .bind(day(course.due_on))
        .bind(i64::from(course.yearly))
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::TrainingCodeTaken))?;
        let id = CourseId(row.try_get("id")?);
        let mut units = course.audience.units.clone();
        units.sort_unstable();
        units.dedup();
        for unit in &units {
            let found = sqlx::query("SELECT id FROM units WHERE id = $1")
                .bind(unit.0)
                .fetch_optional(&mut *write.tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::Conflict(Conflict::TrainingScopeMissing));
            }
        }
        let audience = course
            .audience
            .roles
            .iter()
            .map(|r| ("role", r.as_str().to_owned()))
            .chain(units.iter().map(|u| ("unit", u.0.to_string())));
        for (kind, value) in audience.collect::<HashSet<_>>() {
            sqlx::query(
                "INSERT INTO training_audience (course_id, kind, value) VALUES ($1, $2, $3)",
            )
            .bind(id.0)
            .bind(kind)
            .bind(value)
            .execute(&mut *write.tx)
            .await?;
        }
        let stored = self.course_in(&mut write, id).await?;
        let assigned = self
            .assign_audience(&mut write, &stored, stored.year(), stored.due_on)
            .await?;
        let event = origin
            .event("training.course.create", "training_course", id)
            .with_detail(serde_json::json!({
                "code": course.code,
                "title": course.title,
                "due_on": day(course.due_on),
                "yearly": course.yearly,
                "roles": course.audience.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                "units": units.iter().map(|u| u.0).collect::<Vec<_>>(),
                "assigned": assigned,
            }));
        self.commit(write, event).await?;
        Ok(Assigned {
            course: stored,
            assigned,
        })
    }

    async fn assign_course(
        &self,
        _: &Granted<ManageTraining>,
        id: CourseId,
        today: NaiveDate,
        origin: &Origin,
    ) -> Result<Assigned> {
        let mut write = self.begin_write().await?;
        let mut course = self.course_in(&mut write, id).await?;
        let before = course.due_on;
        if course.yearly && fiscal_year(today) > course.year() {
            let due_on = same_day_in_fiscal_year(course.due_on, fiscal_year(today))
                .ok_or_else(|| decode("due date"))?;
            sqlx::query("UPDATE training_courses SET due_on = $1, updated_at = $2 WHERE id = $3")
                .bind(day(due_on))
                .bind(write.at_ms)
                .bind(id.0)
                .execute(&mut *write.tx)
                .await?;
            course.due_on = due_on;
        }
        let assigned = self
            .assign_audience(&mut write, &course, course.year(), course.due_on)
            .await?;
        let event = origin
            .event("training.assign", "training_course", id)
            .with_detail(serde_json::json!({
                "year": course.year(),
                "due_on": day(course.due_on),
                "renewed_from": (before != course.due_on).then(|| day(before)),
                "assigned": assigned,
            }));
        self.commit(write, event).await?;
        Ok(Assigned { course, assigned })
    }

    async fn course_assignments(&self, id: CourseId, year: i32) -> Result<Vec<TrainingAssignment>> {
        sqlx::query(&format!(
            "{ASSIGNMENT_SELECT} WHERE a.course_id = $1 AND a.year = $2 \
             ORDER BY un.name, p.name, a.id"
        ))
        .bind(id.0)
        .bind(i64::from(year))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(assignment_from)
        .collect()
    }

    async fn person_assignments(&self, person: PersonId) -> Result<Vec<TrainingAssignment>> {
        sqlx::query(&format!(
            "{ASSIGNMENT_SELECT} WHERE a.person_id = $1 ORDER BY a.year DESC, a.due_on, c.code"
        ))
        .bind(person.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(assignment_from)
        .collect()
    }

    async fn training_assignment(
        &self,
        id: TrainingAssignmentId,
    ) -> Result<Option<TrainingAssignment>> {
        sqlx::query(&format!("{ASSIGNMENT_SELECT} WHERE a.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(assignment_from)
            .transpose()
    }

    async fn complete_assignment(
        &self,
        grant: &Granted<RecordTrainingCompletion>,
        id: TrainingAssignmentId,
        completed_on: NaiveDate,
        source: CompletionSource,
        origin: &Origin,
    ) -> Result<TrainingAssignment> {
        let mut write = self.begin_write().await?;
        let before = self.assignment_in(&mut write, id).await?;
        if before.completed_on.is_some() {
            return Err(StoreError::Conflict(Conflict::TrainingAlreadyCompleted));
        }
        sqlx::query(
            "UPDATE training_assignments SET completed_on = $1, completed_at = $2, \
             completed_by = $3, source = $4 WHERE id = $5 AND completed_on IS NULL",
        )
        .bind(day(completed_on))
        .bind(write.at_ms)
        .bind(grant.actor().0)
        .bind(source.as_str())
        .bind(id.0)
        .execute(&mut *write.tx)
        .await?;
        let stored = self.assignment_in(&mut write, id).await?;
        let event = origin
            .event("training.complete", "training_assignment", id)
            .in_unit(stored.unit)
            .with_detail(serde_json::json!({
                "course": stored.course_code,
                "person": stored.person.0,
                "year": stored.year,
                "completed_on": day(completed_on),
                "source": source.as_str(),
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn import_completions(
        &self,
        importer: CompletionImporter<'_>,
        rows: Vec<CompletionImport>,
        origin: &Origin,
    ) -> Result<ImportedCompletions> {
        let mut write = self.begin_write().await?;
        let mut outcome = ImportedCompletions::default();
        let mut completed = Vec::new();
        for row in &rows {
            let done = sqlx::query(
                "UPDATE training_assignments SET completed_on = $1, completed_at = $2, \
                 completed_by = $3, source = 'import' WHERE id = $4 AND completed_on IS NULL",
            )
            .bind(day(row.completed_on))
            .bind(write.at_ms)
            .bind(importer.account().map(|u| u.0))
            .bind(row.assignment.0)
            .execute(&mut *write.tx)
            .await?
            .rows_affected();
            if done > 0 {
                outcome.completed += 1;
                completed.push(row.assignment.0);
                continue;
            }
            let exists = sqlx::query("SELECT id FROM training_assignments WHERE id = $1")
                .bind(row.assignment.0)
                .fetch_optional(&mut *write.tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::Conflict(Conflict::TrainingScopeMissing));
            }
            outcome.unchanged += 1;
        }
        let event = origin
            .event("training.import", "training_assignment", "import")
            .with_detail(serde_json::json!({
                "rows": rows.len(),
                "completed": outcome.completed,
                "unchanged": outcome.unchanged,
                "assignments": completed,
            }));
        self.commit(write, event).await?;
        Ok(outcome)
    }

    async fn assignments_due(&self, until: NaiveDate) -> Result<Vec<TrainingAssignment>> {
        sqlx::query(&format!(
            "{ASSIGNMENT_SELECT} WHERE a.completed_on IS NULL AND a.due_on <= $1 \
             ORDER BY a.due_on, a.person_id, a.id"
        ))
        .bind(day(until))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(assignment_from)
        .collect()
    }

    async fn training_people(&self) -> Result<Vec<TrainingPerson>> {
        sqlx::query(
            "SELECT p.id, p.email, u.username FROM people p \
             LEFT JOIN users u ON u.person_id = p.id ORDER BY p.id",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(TrainingPerson {
                id: PersonId(row.try_get("id")?),
                email: row.try_get("email")?,
                login: row.try_get("username")?,
            })
        })
        .collect()
    }
}
