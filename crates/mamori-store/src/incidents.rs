//! 情報セキュリティインシデント: reports, the CSIRT's triage, the assets concerned and the typed
//! timeline.

use mamori_core::authz::{
    CompleteIncidentTask, DecideIncidentCandidate, Granted, ReportIncident, TriageIncident,
};
use mamori_core::incident::{CandidateSource, CandidateState, Step};
use mamori_core::risk::{Level, ThreatCategory};
use mamori_core::{OrgId, PersonId, Role, UnitId};

use crate::{Origin, Result};

/// Id of a stored incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IncidentId(pub i64);

impl std::fmt::Display for IncidentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A report as made: its text checked by core; the reporter and their unit are the account's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncident {
    pub title: String,
    pub description: String,
    /// When it happened, if the reporter knows.
    pub occurred_at: Option<i64>,
    /// When it was noticed, if before the report (the deadlines count from it); now otherwise.
    pub detected_at: Option<i64>,
    pub assets: Vec<i64>,
}

/// The CSIRT's triage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triage {
    pub severity: Level,
    /// A threat code of seed §3; its category decides some notifications.
    pub threat: Option<String>,
    pub personal_data: bool,
    pub people: i64,
    pub unauthorised_purpose: bool,
    pub owner: Option<PersonId>,
    pub assets: Vec<i64>,
}

/// One step of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentEvent {
    pub id: i64,
    pub step: Step,
    pub rule: Option<String>,
    pub note: String,
    pub at_ms: i64,
    pub by_name: Option<String>,
}

/// An asset concerned, with its class as shown (`3-2-2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentAsset {
    pub id: i64,
    pub name: String,
    pub class: String,
}

/// 対応タスク: a task of an incident with its owner and optional due date; done once, by whom
/// and when kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentTask {
    pub id: i64,
    pub incident: IncidentId,
    pub incident_title: String,
    pub title: String,
    pub owner: PersonId,
    pub owner_name: String,
    pub due_on: Option<chrono::NaiveDate>,
    pub created_at: i64,
    pub done_at: Option<i64>,
    pub done_by_name: Option<String>,
}

impl IncidentTask {
    /// Not done and its due date has passed.
    pub fn overdue(&self, today: chrono::NaiveDate) -> bool {
        self.done_at.is_none() && self.due_on.is_some_and(|d| d < today)
    }
}

/// A task as given: its title checked by core, an owner from the people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncidentTask {
    pub title: String,
    pub owner: PersonId,
    pub due_on: Option<chrono::NaiveDate>,
}

/// インシデント候補: something the gateway or the monitor raised for the CSIRT to decide on,
/// kept once per (source, reference), with the incident it opened or why it was dismissed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentCandidate {
    pub id: i64,
    pub source: CandidateSource,
    /// The quarantine entry's id (gateway), or the alert's id (monitor).
    pub reference: String,
    pub summary: String,
    pub raised_at: i64,
    pub state: CandidateState,
    /// The incident it opened.
    pub incident: Option<IncidentId>,
    pub incident_title: Option<String>,
    /// Why it was dismissed.
    pub reason: Option<String>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<i64>,
}

/// The candidate an incident was opened from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaisedFrom {
    pub candidate: i64,
    pub source: CandidateSource,
    pub reference: String,
}

/// An incident as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: IncidentId,
    pub title: String,
    pub description: String,
    pub occurred_at: Option<i64>,
    pub detected_at: i64,
    pub reporter: PersonId,
    pub reporter_name: String,
    pub unit: Option<UnitId>,
    pub unit_name: Option<String>,
    pub org: Option<OrgId>,
    pub severity: Option<Level>,
    pub threat: Option<String>,
    pub category: Option<ThreatCategory>,
    pub personal_data: bool,
    pub people: i64,
    pub unauthorised_purpose: bool,
    pub owner: Option<PersonId>,
    pub owner_name: Option<String>,
    pub closed_at: Option<i64>,
    pub assets: Vec<IncidentAsset>,
    pub events: Vec<IncidentEvent>,
    /// 対応タスク, in the order they were added.
    pub tasks: Vec<IncidentTask>,
    /// 教訓: recorded once it is closed, editable; when and by whom last.
    pub lessons: Option<String>,
    pub lessons_at: Option<i64>,
    pub lessons_by_name: Option<String>,
    /// The candidate it was opened from, if it was.
    pub raised_from: Option<RaisedFrom>,
}

impl Incident {
    pub fn place(&self) -> mamori_core::authz::IncidentPlace {
        let mut task_owners: Vec<PersonId> = self.tasks.iter().map(|t| t.owner).collect();
        task_owners.sort_unstable();
        task_owners.dedup();
        mamori_core::authz::IncidentPlace {
            org: self.org,
            unit: self.unit,
            reporter: self.reporter,
            task_owners,
        }
    }

    /// Where one of its tasks sits, for [`CompleteIncidentTask`].
    pub fn task_place(&self, task: &IncidentTask) -> mamori_core::authz::IncidentTaskPlace {
        mamori_core::authz::IncidentTaskPlace {
            incident: self.place(),
            owner: task.owner,
        }
    }

    /// The facts the notification rules read.
    pub fn facts(&self) -> mamori_core::incident::Facts {
        mamori_core::incident::Facts {
            severity: self.severity,
            category: self.category,
            personal_data: self.personal_data,
            unauthorised_purpose: self.unauthorised_purpose,
        }
    }

    /// When the notification `rule` was recorded as made.
    pub fn notified(&self, rule: &str) -> Option<i64> {
        self.events
            .iter()
            .find(|e| e.step == Step::Notified && e.rule.as_deref() == Some(rule))
            .map(|e| e.at_ms)
    }
}

/// One holder of a role in the reporting chain of seed §6(7) (職員 → 管理者 → 責任者 / CSIRT →
/// CISO), with the contact details a 緊急連絡網 prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub role: Role,
    /// The organisation of an organisation-scoped role (the 責任者), or of the unit of a
    /// unit-scoped one; none for a global role.
    pub org: Option<OrgId>,
    pub org_name: Option<String>,
    /// The unit of a unit-scoped role (the 管理者).
    pub unit: Option<UnitId>,
    pub unit_name: Option<String>,
    pub person: PersonId,
    pub name: String,
    pub title: String,
    pub phone: String,
    pub email: Option<String>,
}

/// Incidents. Every change is one audit record (`incident.*`) in the same transaction.
#[async_trait::async_trait]
pub trait IncidentStore: Send + Sync {
    /// Every incident, newest first; the caller filters what its viewer may see.
    async fn incidents(&self) -> Result<Vec<Incident>>;
    async fn incident(&self, id: IncidentId) -> Result<Option<Incident>>;
    /// The holders of the roles of the reporting chain (CISO, 統括情報セキュリティ責任者,
    /// 情報セキュリティ責任者, 情報セキュリティ管理者, CSIRT), people whose account is disabled
    /// left out, by role, organisation, unit and name.
    async fn contact_chain(&self) -> Result<Vec<Contact>>;
    /// Records a report by the person of the grant's account, from their unit; detected now.
    /// An asset that does not exist is [`Conflict::IncidentScopeMissing`](crate::Conflict).
    async fn report_incident(
        &self,
        grant: &Granted<ReportIncident>,
        incident: NewIncident,
        origin: &Origin,
    ) -> Result<Incident>;
    /// Records the triage; a threat, owner or asset that does not exist is refused.
    async fn triage_incident(
        &self,
        grant: &Granted<TriageIncident>,
        id: IncidentId,
        triage: Triage,
        origin: &Origin,
    ) -> Result<Incident>;
    /// Adds a step to the timeline (`Closed` closes the incident; a closed one takes notes only:
    /// [`Conflict::IncidentClosed`](crate::Conflict)).
    async fn add_incident_event(
        &self,
        grant: &Granted<TriageIncident>,
        id: IncidentId,
        step: Step,
        rule: Option<String>,
        note: &str,
        origin: &Origin,
    ) -> Result<Incident>;
    /// Adds a task (対応タスク) to an open or closed incident; an owner who does not exist is
    /// [`Conflict::IncidentScopeMissing`](crate::Conflict).
    async fn add_incident_task(
        &self,
        grant: &Granted<TriageIncident>,
        id: IncidentId,
        task: NewIncidentTask,
        origin: &Origin,
    ) -> Result<Incident>;
    /// Marks a task done, keeping who and when. Checked again inside the write whatever the
    /// grant: the account's person owns the task or the account triages incidents
    /// ([`Conflict::IncidentTaskNotTheirs`](crate::Conflict)); a task is done once
    /// ([`Conflict::IncidentTaskDone`](crate::Conflict)). A task of another incident is not found.
    async fn complete_incident_task(
        &self,
        grant: &Granted<CompleteIncidentTask>,
        id: IncidentId,
        task: i64,
        origin: &Origin,
    ) -> Result<Incident>;
    /// Records (or rewrites) the lessons learned of a closed incident; an open one is
    /// [`Conflict::IncidentOpen`](crate::Conflict).
    async fn record_incident_lessons(
        &self,
        grant: &Granted<TriageIncident>,
        id: IncidentId,
        lessons: &str,
        origin: &Origin,
    ) -> Result<Incident>;
    /// Raises a candidate from a source (the gateway, the monitor), audited as the system's.
    /// Raising the same (source, reference) again changes nothing and answers `None`, so a
    /// source may raise what it finds as often as it looks.
    async fn raise_incident_candidate(
        &self,
        source: CandidateSource,
        reference: &str,
        summary: &str,
        origin: &Origin,
    ) -> Result<Option<IncidentCandidate>>;
    /// Every candidate: the open ones first, then the newest.
    async fn incident_candidates(&self) -> Result<Vec<IncidentCandidate>>;
    async fn incident_candidate(&self, id: i64) -> Result<Option<IncidentCandidate>>;
    /// Opens an incident from an open candidate in one write: reported by the person of the
    /// grant's account, detected when the candidate was raised, the candidate marked opened
    /// with the incident's id. A decided one is [`Conflict::IncidentCandidateDecided`](crate::Conflict).
    async fn open_incident_from_candidate(
        &self,
        grant: &Granted<DecideIncidentCandidate>,
        id: i64,
        incident: NewIncident,
        origin: &Origin,
    ) -> Result<Incident>;
    /// Dismisses an open candidate with its reason, required
    /// ([`Conflict::IncidentCandidateReasonMissing`](crate::Conflict)).
    async fn dismiss_incident_candidate(
        &self,
        grant: &Granted<DecideIncidentCandidate>,
        id: i64,
        reason: &str,
        origin: &Origin,
    ) -> Result<IncidentCandidate>;
    /// The tasks not done of the incidents not closed, by due date (none last), for the home
    /// page and the daily sweep.
    async fn open_incident_tasks(&self) -> Result<Vec<IncidentTask>>;
}
