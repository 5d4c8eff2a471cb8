//! 研修・教育: courses with their audience, each person's assignment for a 年度 and its
//! completion (by the person, an administrator, or an import from another system).

use chrono::NaiveDate;
use mamori_core::authz::{Granted, ManageTraining, RecordTrainingCompletion};
use mamori_core::time::fiscal_year;
use mamori_core::training::{Audience, Standing};
use mamori_core::{OrgId, PersonId, UnitId};

use crate::{Origin, Result};

/// Id of a stored course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CourseId(pub i64);

/// Id of a stored assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrainingAssignmentId(pub i64);

impl std::fmt::Display for CourseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for TrainingAssignmentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A course as opened: its fields checked by core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCourse {
    pub code: String,
    pub title: String,
    pub description: String,
    pub due_on: NaiveDate,
    pub yearly: bool,
    pub audience: Audience,
}

/// A course as kept; `due_on` is that of its present round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Course {
    pub id: CourseId,
    pub code: String,
    pub title: String,
    pub description: String,
    pub due_on: NaiveDate,
    pub yearly: bool,
    pub audience: Audience,
    pub created_at: i64,
}

impl Course {
    /// The 年度 of the present round.
    pub fn year(&self) -> i32 {
        fiscal_year(self.due_on)
    }
}

/// Who recorded a completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionSource {
    /// The person themself (the 完了 button of their own list).
    Person,
    Administrator,
    /// An import from another system's export.
    Import,
}

impl CompletionSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CompletionSource::Person => "self",
            CompletionSource::Administrator => "admin",
            CompletionSource::Import => "import",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Person, Self::Administrator, Self::Import]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }

    /// The message key of its name.
    pub fn key(self) -> &'static str {
        match self {
            CompletionSource::Person => "training.source.self",
            CompletionSource::Administrator => "training.source.admin",
            CompletionSource::Import => "training.source.import",
        }
    }
}

/// A person's assignment of a course for one 年度, with the person's unit as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingAssignment {
    pub id: TrainingAssignmentId,
    pub course: CourseId,
    pub course_code: String,
    pub course_title: String,
    pub person: PersonId,
    pub person_name: String,
    pub unit: Option<UnitId>,
    pub unit_name: Option<String>,
    pub org: Option<OrgId>,
    pub year: i32,
    pub due_on: NaiveDate,
    pub completed_on: Option<NaiveDate>,
    pub source: Option<CompletionSource>,
}

impl TrainingAssignment {
    pub fn standing(&self, today: NaiveDate) -> Standing {
        Standing::of(self.due_on, self.completed_on.is_some(), today)
    }
}

/// What opening or assigning a course did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned {
    pub course: Course,
    /// Assignments made by this write.
    pub assigned: usize,
}

/// One completion of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompletionImport {
    pub assignment: TrainingAssignmentId,
    pub completed_on: NaiveDate,
}

/// Who imports completions: an administrator's account, or the operator at the command line
/// (`mamori training import`), who holds the data folder; an operator's completions name no
/// account.
#[derive(Clone, Copy)]
pub enum CompletionImporter<'a> {
    Account(&'a Granted<ManageTraining>),
    Operator,
}

impl CompletionImporter<'_> {
    pub fn account(&self) -> Option<mamori_core::UserId> {
        match self {
            CompletionImporter::Account(grant) => Some(grant.actor()),
            CompletionImporter::Operator => None,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportedCompletions {
    /// Assignments recorded as completed by it.
    pub completed: usize,
    /// Rows naming an assignment completed already: left as they were.
    pub unchanged: usize,
}

/// A person as an import may name them: by mail address or by login name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingPerson {
    pub id: PersonId,
    pub email: Option<String>,
    pub login: Option<String>,
}

/// Training. Every change is one audit record (`training.*`) in the same transaction.
#[async_trait::async_trait]
pub trait TrainingStore: Send + Sync {
    /// Every course, by code.
    async fn courses(&self) -> Result<Vec<Course>>;
    async fn course(&self, id: CourseId) -> Result<Option<Course>>;
    /// Opens a course and assigns it, for the 年度 of its due date, to everyone in its audience
    /// (core's [`Audience::includes`]; people whose account is disabled are left out). A code
    /// in use is [`Conflict::TrainingCodeTaken`](crate::Conflict), a unit that does not exist
    /// [`Conflict::TrainingScopeMissing`](crate::Conflict).
    async fn create_course(
        &self,
        grant: &Granted<ManageTraining>,
        course: NewCourse,
        origin: &Origin,
    ) -> Result<Assigned>;
    /// Assigns the present round to those of the audience without it (who joined since). A
    /// yearly course whose round is of a 年度 before `today`'s first moves to `today`'s 年度,
    /// its due date the same day of that year, and is assigned to everyone again.
    async fn assign_course(
        &self,
        grant: &Granted<ManageTraining>,
        id: CourseId,
        today: NaiveDate,
        origin: &Origin,
    ) -> Result<Assigned>;
    /// The assignments of a course for a 年度, by unit and name.
    async fn course_assignments(&self, id: CourseId, year: i32) -> Result<Vec<TrainingAssignment>>;
    /// A person's assignments, the latest 年度 first, then by due date.
    async fn person_assignments(&self, person: PersonId) -> Result<Vec<TrainingAssignment>>;
    async fn training_assignment(
        &self,
        id: TrainingAssignmentId,
    ) -> Result<Option<TrainingAssignment>>;
    /// Records a completion; one completed already is
    /// [`Conflict::TrainingAlreadyCompleted`](crate::Conflict).
    async fn complete_assignment(
        &self,
        grant: &Granted<RecordTrainingCompletion>,
        id: TrainingAssignmentId,
        completed_on: NaiveDate,
        source: CompletionSource,
        origin: &Origin,
    ) -> Result<TrainingAssignment>;
    /// Records the completions of an import in one write, all or none: an assignment that does
    /// not exist refuses the whole ([`Conflict::TrainingScopeMissing`](crate::Conflict)); one
    /// completed already is left as it was.
    async fn import_completions(
        &self,
        importer: CompletionImporter<'_>,
        rows: Vec<CompletionImport>,
        origin: &Origin,
    ) -> Result<ImportedCompletions>;
    /// Assignments not completed whose due date is `until` or earlier (overdue ones included),
    /// by due date: what a reminder names. The mail notices read it.
    async fn assignments_due(&self, until: NaiveDate) -> Result<Vec<TrainingAssignment>>;
    /// Every person with their mail address and login name, for an import to find them.
    async fn training_people(&self) -> Result<Vec<TrainingPerson>>;
}
