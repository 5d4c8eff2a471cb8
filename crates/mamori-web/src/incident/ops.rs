//! インシデント's operations: a report anyone signed in may make, the incidents the viewer may
//! see, the CSIRT's triage and timeline, and the external notifications each incident owes with
//! their deadlines. Each one authorises, validates and stores here and nowhere else.

use mamori_core::authz::{
    CompleteIncidentTask, DecideIncidentCandidate, ReportIncident, TriageIncident,
    ViewContactChain, ViewIncident, ViewIncidentCandidates, ViewReviews, authorize,
};
use mamori_core::incident::{
    Due, Step, builtin_rules, notifications, parse_dismissal, parse_lessons, parse_people,
    parse_report,
};
use mamori_core::risk::Level;
use mamori_core::text::Name;
use mamori_core::text::parse_note;
use mamori_core::{FieldError, FieldErrorKind, PersonId, Role};
use mamori_store::{
    Contact, Incident, IncidentCandidate, IncidentId, NewIncident, NewIncidentTask, Triage,
};

use crate::http::{AppError, AppState, User};

/// A notification an incident owes: the rule, its deadline, when it was made, whether late.
pub struct Owed {
    pub due: Due,
    pub notified_at: Option<i64>,
    /// Not made and past its deadline.
    pub overdue: bool,
}

/// The notifications an incident owes, by the rules as data, from its detection.
pub fn owed(state: &AppState, incident: &Incident) -> Vec<Owed> {
    let now = state.clock.now_ms();
    notifications(&builtin_rules(), &incident.facts(), incident.detected_at)
        .into_iter()
        .map(|due| {
            let notified_at = incident.notified(&due.rule.code);
            Owed {
                overdue: notified_at.is_none() && due.due_ms < now,
                notified_at,
                due,
            }
        })
        .collect()
}

/// The incidents the viewer may see, newest first.
pub async fn list(state: &AppState, user: &User) -> Result<Vec<Incident>, AppError> {
    Ok(state
        .store
        .incidents()
        .await?
        .into_iter()
        .filter(|i| authorize::<ViewIncident>(&user.actor, &i.place()).is_ok())
        .collect())
}

/// One incident; 404 for one the viewer may not see.
pub async fn incident(state: &AppState, user: &User, id: i64) -> Result<Incident, AppError> {
    let incident = state
        .store
        .incident(IncidentId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    authorize::<ViewIncident>(&user.actor, &incident.place()).map_err(|_| AppError::NotFound)?;
    Ok(incident)
}

/// A report as typed or sent.
#[derive(Default)]
pub struct ReportDraft {
    pub title: String,
    pub description: String,
    /// RFC 3339, or `YYYY-MM-DDTHH:MM` as a page's field gives it (Japan time).
    pub occurred_at: String,
    /// When it was noticed, if before now.
    pub detected_at: String,
    pub assets: Vec<i64>,
}

/// A time as typed: RFC 3339, or a page's `YYYY-MM-DDTHH:MM` taken as Japan time.
fn parse_time(field: &'static str, raw: &str) -> Result<Option<i64>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(t.timestamp_millis()));
    }
    let local = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .map_err(|_| FieldError::new(field, FieldErrorKind::InvalidFormat))?;
    let jst = chrono::FixedOffset::east_opt(9 * 3600).expect("JST is a valid offset");
    local
        .and_local_timezone(jst)
        .single()
        .map(|t| Some(t.timestamp_millis()))
        .ok_or(FieldError::new(field, FieldErrorKind::InvalidFormat))
}

/// Reports an incident (everyone signed in); it reaches the CSIRT and the unit's 管理者.
pub async fn report(
    state: &AppState,
    user: &User,
    draft: ReportDraft,
) -> Result<Incident, AppError> {
    let grant = authorize::<ReportIncident>(&user.actor, &())?;
    let mut errors = Vec::new();
    let text = parse_report(&draft.title, &draft.description)
        .map_err(|e| errors.extend(e))
        .ok();
    let occurred_at = parse_time("occurred_at", &draft.occurred_at)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let now = state.clock.now_ms();
    if occurred_at.is_some_and(|t| t > now) {
        errors.push(FieldError::new(
            "occurred_at",
            FieldErrorKind::InvalidFormat,
        ));
    }
    let detected_at = parse_time("detected_at", &draft.detected_at)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if detected_at.is_some_and(|t| t > now) {
        errors.push(FieldError::new(
            "detected_at",
            FieldErrorKind::InvalidFormat,
        ));
    }
    if draft.assets.iter().any(|a| *a <= 0) {
        errors.push(FieldError::new("assets", FieldErrorKind::InvalidFormat));
    }
    let Some((title, description)) = text.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    Ok(state
        .store
        .report_incident(
            &grant,
            NewIncident {
                title: title.as_str().to_owned(),
                description,
                occurred_at,
                detected_at,
                assets: draft.assets,
            },
            &user.ctx.origin(),
        )
        .await?)
}

/// The CSIRT's triage as typed or sent.
#[derive(Default)]
pub struct TriageDraft {
    pub severity: String,
    pub threat: String,
    pub personal_data: bool,
    pub people: Option<i64>,
    pub unauthorised_purpose: bool,
    pub owner: Option<i64>,
    pub assets: Vec<i64>,
}

/// Records the triage (the CSIRT, administrators).
pub async fn triage(
    state: &AppState,
    user: &User,
    id: i64,
    draft: TriageDraft,
) -> Result<Incident, AppError> {
    let incident = incident(state, user, id).await?;
    let grant = authorize::<TriageIncident>(&user.actor, &incident.place())?;
    let mut errors = Vec::new();
    let severity = Level::parse(draft.severity.trim())
        .ok_or_else(|| errors.push(FieldError::new("severity", FieldErrorKind::UnknownValue)))
        .ok();
    let people = parse_people(draft.people).map_err(|e| errors.push(e)).ok();
    if draft.owner.is_some_and(|o| o <= 0) {
        errors.push(FieldError::new("owner", FieldErrorKind::InvalidFormat));
    }
    if draft.assets.iter().any(|a| *a <= 0) {
        errors.push(FieldError::new("assets", FieldErrorKind::InvalidFormat));
    }
    let (Some(severity), Some(people)) = (severity, people) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let threat = draft.threat.trim().to_ascii_uppercase();
    Ok(state
        .store
        .triage_incident(
            &grant,
            incident.id,
            Triage {
                severity,
                threat: (!threat.is_empty()).then_some(threat),
                personal_data: draft.personal_data,
                people,
                unauthorised_purpose: draft.unauthorised_purpose,
                owner: draft.owner.map(PersonId),
                assets: draft.assets,
            },
            &user.ctx.origin(),
        )
        .await?)
}

/// Adds a step to the timeline (the CSIRT, administrators); a notification names its rule.
pub async fn add_event(
    state: &AppState,
    user: &User,
    id: i64,
    step: &str,
    rule: &str,
    note: &str,
) -> Result<Incident, AppError> {
    let incident = incident(state, user, id).await?;
    let grant = authorize::<TriageIncident>(&user.actor, &incident.place())?;
    let mut errors = Vec::new();
    let step = Step::parse(step)
        .ok_or_else(|| errors.push(FieldError::new("step", FieldErrorKind::UnknownValue)))
        .ok();
    let rule = rule.trim();
    let rule = match (step, rule.is_empty()) {
        (Some(Step::Notified), true) => {
            errors.push(FieldError::new("rule", FieldErrorKind::Required));
            None
        }
        (Some(Step::Notified), false) if builtin_rules().iter().any(|r| r.code == rule) => {
            Some(rule.to_owned())
        }
        (Some(Step::Notified), false) => {
            errors.push(FieldError::new("rule", FieldErrorKind::UnknownValue));
            None
        }
        (_, true) => None,
        (_, false) => {
            errors.push(FieldError::new("rule", FieldErrorKind::NotAllowed));
            None
        }
    };
    let note = parse_note("note", note).map_err(|e| errors.push(e)).ok();
    let (Some(step), Some(note)) = (step, note) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(state
        .store
        .add_incident_event(&grant, incident.id, step, rule, &note, &user.ctx.origin())
        .await?)
}

/// A task as typed or sent.
#[derive(Default)]
pub struct TaskDraft {
    pub title: String,
    pub owner: Option<i64>,
    /// `YYYY-MM-DD`, or empty for none.
    pub due_on: String,
}

/// Adds a task with its owner (those who triage).
pub async fn add_task(
    state: &AppState,
    user: &User,
    id: i64,
    draft: TaskDraft,
) -> Result<Incident, AppError> {
    let incident = incident(state, user, id).await?;
    let grant = authorize::<TriageIncident>(&user.actor, &incident.place())?;
    let mut errors = Vec::new();
    let title = Name::parse("title", &draft.title)
        .map_err(|e| errors.push(e))
        .ok();
    let owner = match draft.owner {
        Some(o) if o > 0 => Some(PersonId(o)),
        Some(_) => {
            errors.push(FieldError::new("owner", FieldErrorKind::InvalidFormat));
            None
        }
        None => {
            errors.push(FieldError::new("owner", FieldErrorKind::Required));
            None
        }
    };
    let due_on = match draft.due_on.trim() {
        "" => None,
        raw => mamori_core::inspection::parse_date("due_on", raw)
            .map_err(|e| errors.push(e))
            .ok(),
    };
    let (Some(title), Some(owner)) = (title, owner) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(state
        .store
        .add_incident_task(
            &grant,
            incident.id,
            NewIncidentTask {
                title: title.as_str().to_owned(),
                owner,
                due_on,
            },
            &user.ctx.origin(),
        )
        .await?)
}

/// Marks a task done: its owner, or those who triage. A task of another incident is 404.
pub async fn complete_task(
    state: &AppState,
    user: &User,
    id: i64,
    task: i64,
) -> Result<Incident, AppError> {
    let incident = incident(state, user, id).await?;
    let found = incident
        .tasks
        .iter()
        .find(|t| t.id == task)
        .ok_or(AppError::NotFound)?;
    let grant = authorize::<CompleteIncidentTask>(&user.actor, &incident.task_place(found))?;
    Ok(state
        .store
        .complete_incident_task(&grant, incident.id, task, &user.ctx.origin())
        .await?)
}

/// Records or rewrites the lessons learned (教訓) of a closed incident (those who triage).
pub async fn record_lessons(
    state: &AppState,
    user: &User,
    id: i64,
    lessons: &str,
) -> Result<Incident, AppError> {
    let incident = incident(state, user, id).await?;
    let grant = authorize::<TriageIncident>(&user.actor, &incident.place())?;
    let lessons = parse_lessons(lessons).map_err(AppError::invalid)?;
    Ok(state
        .store
        .record_incident_lessons(&grant, incident.id, &lessons, &user.ctx.origin())
        .await?)
}

/// The reviews (見直し) that cite an incident, for a viewer who may read reviews; none otherwise.
pub async fn citing_reviews(
    state: &AppState,
    user: &User,
    incident: &Incident,
) -> Result<Vec<(i64, String)>, AppError> {
    if authorize::<ViewReviews>(&user.actor, &()).is_err() {
        return Ok(Vec::new());
    }
    Ok(state
        .store
        .reviews_citing_incident(incident.id.0)
        .await?
        .into_iter()
        .map(|(id, title)| (id.0, title))
        .collect())
}

/// The incident candidates (インシデント候補), open ones first (those who triage).
pub async fn candidates(state: &AppState, user: &User) -> Result<Vec<IncidentCandidate>, AppError> {
    authorize::<ViewIncidentCandidates>(&user.actor, &())?;
    Ok(state.store.incident_candidates().await?)
}

/// One candidate; 404 for one that does not exist.
pub async fn candidate(
    state: &AppState,
    user: &User,
    id: i64,
) -> Result<IncidentCandidate, AppError> {
    authorize::<ViewIncidentCandidates>(&user.actor, &())?;
    state
        .store
        .incident_candidate(id)
        .await?
        .ok_or(AppError::NotFound)
}

/// What an incident opened from a candidate is first called and said to be, until the CSIRT
/// types otherwise: the candidate's summary, and its source and reference below it.
pub fn prefill(candidate: &IncidentCandidate) -> (String, String) {
    let title: String = candidate.summary.chars().take(Name::MAX_CHARS).collect();
    let description = format!(
        "{}\n{}: {}",
        candidate.summary,
        candidate.source.as_str(),
        candidate.reference
    );
    (title, description)
}

/// Opens an incident from an open candidate (the CSIRT, the CISO); an empty title or
/// description takes the candidate's.
pub async fn open_candidate(
    state: &AppState,
    user: &User,
    id: i64,
    title: &str,
    description: &str,
) -> Result<Incident, AppError> {
    let found = candidate(state, user, id).await?;
    let grant = authorize::<DecideIncidentCandidate>(&user.actor, &())?;
    let (default_title, default_description) = prefill(&found);
    let title = if title.trim().is_empty() {
        default_title.as_str()
    } else {
        title
    };
    let description = if description.trim().is_empty() {
        default_description.as_str()
    } else {
        description
    };
    let (title, description) = parse_report(title, description).map_err(AppError::Invalid)?;
    Ok(state
        .store
        .open_incident_from_candidate(
            &grant,
            found.id,
            NewIncident {
                title: title.as_str().to_owned(),
                description,
                occurred_at: None,
                detected_at: None,
                assets: Vec::new(),
            },
            &user.ctx.origin(),
        )
        .await?)
}

/// Dismisses an open candidate with its reason, required (the CSIRT, the CISO).
pub async fn dismiss_candidate(
    state: &AppState,
    user: &User,
    id: i64,
    reason: &str,
) -> Result<IncidentCandidate, AppError> {
    let found = candidate(state, user, id).await?;
    let grant = authorize::<DecideIncidentCandidate>(&user.actor, &())?;
    let reason = parse_dismissal(reason).map_err(AppError::invalid)?;
    Ok(state
        .store
        .dismiss_incident_candidate(&grant, found.id, &reason, &user.ctx.origin())
        .await?)
}

/// The holders of the reporting chain, for the 緊急連絡網.
pub async fn contacts(state: &AppState, user: &User) -> Result<Vec<Contact>, AppError> {
    authorize::<ViewContactChain>(&user.actor, &())?;
    Ok(state.store.contact_chain().await?)
}

/// The reporting chain of one incident for its page; empty for a viewer who may not read the
/// 緊急連絡網 (a contractor who reported it).
pub async fn chain(
    state: &AppState,
    user: &User,
    incident: &Incident,
) -> Result<Vec<Contact>, AppError> {
    if authorize::<ViewContactChain>(&user.actor, &()).is_err() {
        return Ok(Vec::new());
    }
    let all = state.store.contact_chain().await?;
    Ok(chain_of(&all, incident).into_iter().cloned().collect())
}

/// The reporting chain of one incident, in order (seed §6(7): 職員 → 管理者 → 責任者 / CSIRT →
/// CISO): the 管理者 of its unit, the 責任者 of its organisation, the CSIRT, the 統括 and the CISO.
fn chain_of<'a>(contacts: &'a [Contact], incident: &Incident) -> Vec<&'a Contact> {
    let mut chain: Vec<&Contact> = contacts
        .iter()
        .filter(|c| match c.role {
            Role::SecurityManager => incident.unit.is_some() && c.unit == incident.unit,
            Role::SecurityOfficer => incident.org.is_some() && c.org == incident.org,
            _ => true,
        })
        .collect();
    let rank = |r: Role| {
        [
            Role::SecurityManager,
            Role::SecurityOfficer,
            Role::Csirt,
            Role::SecurityDirector,
            Role::Ciso,
        ]
        .iter()
        .position(|x| *x == r)
    };
    chain.sort_by_key(|c| rank(c.role));
    chain
}

#[cfg(test)]
mod tests {
    use mamori_core::{OrgId, UnitId};
    use mamori_store::{Contact, Incident, IncidentId};

    use super::*;

    fn contact(role: Role, org: Option<i64>, unit: Option<i64>, name: &str) -> Contact {
        Contact {
            role,
            org: org.map(OrgId),
            org_name: None,
            unit: unit.map(UnitId),
            unit_name: None,
            person: PersonId(0),
            name: name.into(),
            title: String::new(),
            phone: String::new(),
            email: None,
        }
    }

    fn incident(org: Option<i64>, unit: Option<i64>) -> Incident {
        Incident {
            id: IncidentId(1),
            title: "紛失".into(),
            description: String::new(),
            occurred_at: None,
            detected_at: 0,
            reporter: PersonId(9),
            reporter_name: "職員".into(),
            unit: unit.map(UnitId),
            unit_name: None,
            org: org.map(OrgId),
            severity: None,
            threat: None,
            category: None,
            personal_data: false,
            people: 0,
            unauthorised_purpose: false,
            owner: None,
            owner_name: None,
            closed_at: None,
            assets: Vec::new(),
            events: Vec::new(),
            tasks: Vec::new(),
            lessons: None,
            lessons_at: None,
            lessons_by_name: None,
            raised_from: None,
        }
    }

    #[test]
    fn an_incidents_chain_runs_from_its_units_manager_to_the_ciso() {
        let all = [
            contact(Role::Ciso, None, None, "最高"),
            contact(Role::SecurityDirector, None, None, "統括"),
            contact(Role::Csirt, None, None, "CSIRT"),
            contact(Role::SecurityOfficer, Some(1), None, "責任者1"),
            contact(Role::SecurityOfficer, Some(2), None, "責任者2"),
            contact(Role::SecurityManager, Some(1), Some(11), "管理者11"),
            contact(Role::SecurityManager, Some(1), Some(12), "管理者12"),
        ];
        let names = |i: &Incident| -> Vec<String> {
            chain_of(&all, i).iter().map(|c| c.name.clone()).collect()
        };
        assert_eq!(
            names(&incident(Some(1), Some(11))),
            ["管理者11", "責任者1", "CSIRT", "統括", "最高"]
        );
        // Reported by someone without a unit: the chain starts at the CSIRT.
        assert_eq!(names(&incident(None, None)), ["CSIRT", "統括", "最高"]);
    }
}
