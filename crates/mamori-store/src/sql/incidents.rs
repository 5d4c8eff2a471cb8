//! Incidents on SQL: each report with its triage, the assets concerned and the timeline.

use std::collections::HashMap;

use mamori_core::authz::{
    CompleteIncidentTask, DecideIncidentCandidate, Granted, ReportIncident, TriageIncident,
};
use mamori_core::incident::{CandidateSource, CandidateState, Step};
use mamori_core::notice::NoticeKind;
use mamori_core::risk::{Level, ThreatCategory};
use mamori_core::{OrgId, PersonId, Role, UnitId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{SqlStore, Write, day, day_of, opt_id};
use crate::{
    Audience, Conflict, Contact, Incident, IncidentAsset, IncidentCandidate, IncidentEvent,
    IncidentId, IncidentStore, IncidentTask, NewIncident, NewIncidentTask, Origin, RaisedFrom,
    Result, StoreError, Triage,
};

const CANDIDATE_SELECT: &str = "SELECT c.id, c.source, c.reference, c.summary, c.raised_at, \
     c.state, c.incident_id, i.title AS incident_title, c.reason, u.username AS decided_by_name, \
     c.decided_at FROM incident_candidates c LEFT JOIN incidents i ON i.id = c.incident_id \
     LEFT JOIN users u ON u.id = c.decided_by";

fn candidate_from(row: &AnyRow) -> Result<IncidentCandidate> {
    let source: String = row.try_get("source")?;
    let state: String = row.try_get("state")?;
    Ok(IncidentCandidate {
        id: row.try_get("id")?,
        source: CandidateSource::parse(&source).ok_or_else(|| decode("candidate source"))?,
        reference: row.try_get("reference")?,
        summary: row.try_get("summary")?,
        raised_at: row.try_get("raised_at")?,
        state: CandidateState::parse(&state).ok_or_else(|| decode("candidate state"))?,
        incident: opt_id(row, "incident_id")?.map(IncidentId),
        incident_title: row.try_get("incident_title")?,
        reason: row.try_get("reason")?,
        decided_by_name: row.try_get("decided_by_name")?,
        decided_at: opt_id(row, "decided_at")?,
    })
}

const TASK_SELECT: &str = "SELECT t.id, t.incident_id, i.title AS incident_title, t.title, \
     t.owner_id, p.name AS owner_name, t.due_on, t.created_at, t.done_at, \
     u.username AS done_by_name FROM incident_tasks t JOIN incidents i ON i.id = t.incident_id \
     JOIN people p ON p.id = t.owner_id LEFT JOIN users u ON u.id = t.done_by";

fn task_from(row: &AnyRow) -> Result<IncidentTask> {
    let due_on: Option<String> = row.try_get("due_on")?;
    Ok(IncidentTask {
        id: row.try_get("id")?,
        incident: IncidentId(row.try_get("incident_id")?),
        incident_title: row.try_get("incident_title")?,
        title: row.try_get("title")?,
        owner: PersonId(row.try_get("owner_id")?),
        owner_name: row.try_get("owner_name")?,
        due_on: due_on.map(|d| day_of(&d, "due_on")).transpose()?,
        created_at: row.try_get("created_at")?,
        done_at: opt_id(row, "done_at")?,
        done_by_name: row.try_get("done_by_name")?,
    })
}

const INCIDENT_SELECT: &str = "SELECT i.id, i.title, i.description, i.occurred_at, \
     i.detected_at, i.reporter_id, rp.name AS reporter_name, i.unit_id, un.name AS unit_name, \
     un.org_id, i.severity, i.category, i.threat_code, i.personal_data, i.people_count, \
     i.unauthorised_purpose, i.owner_id, op.name AS owner_name, i.closed_at, i.lessons, \
     i.lessons_at, lu.username AS lessons_by_name, ic.id AS candidate_id, \
     ic.source AS candidate_source, ic.reference AS candidate_reference \
     FROM incidents i JOIN people rp ON rp.id = i.reporter_id \
     LEFT JOIN units un ON un.id = i.unit_id LEFT JOIN people op ON op.id = i.owner_id \
     LEFT JOIN users lu ON lu.id = i.lessons_by \
     LEFT JOIN incident_candidates ic ON ic.incident_id = i.id";

fn decode(what: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("invalid {what} in the incidents").into(),
    ))
}

fn incident_from(row: &AnyRow) -> Result<Incident> {
    let severity: Option<String> = row.try_get("severity")?;
    let category: Option<String> = row.try_get("category")?;
    Ok(Incident {
        id: IncidentId(row.try_get("id")?),
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        occurred_at: opt_id(row, "occurred_at")?,
        detected_at: row.try_get("detected_at")?,
        reporter: PersonId(row.try_get("reporter_id")?),
        reporter_name: row.try_get("reporter_name")?,
        unit: opt_id(row, "unit_id")?.map(UnitId),
        unit_name: row.try_get("unit_name")?,
        org: opt_id(row, "org_id")?.map(OrgId),
        severity: severity
            .map(|s| Level::parse(&s).ok_or_else(|| decode("severity")))
            .transpose()?,
        threat: row.try_get("threat_code")?,
        category: category
            .map(|c| ThreatCategory::parse(&c).ok_or_else(|| decode("category")))
            .transpose()?,
        personal_data: row.try_get::<i64, _>("personal_data")? != 0,
        people: row.try_get("people_count")?,
        unauthorised_purpose: row.try_get::<i64, _>("unauthorised_purpose")? != 0,
        owner: opt_id(row, "owner_id")?.map(PersonId),
        owner_name: row.try_get("owner_name")?,
        closed_at: opt_id(row, "closed_at")?,
        assets: Vec::new(),
        events: Vec::new(),
        tasks: Vec::new(),
        lessons: row.try_get("lessons")?,
        lessons_at: opt_id(row, "lessons_at")?,
        lessons_by_name: row.try_get("lessons_by_name")?,
        raised_from: match opt_id(row, "candidate_id")? {
            Some(candidate) => {
                let source: String = row.try_get("candidate_source")?;
                Some(RaisedFrom {
                    candidate,
                    source: CandidateSource::parse(&source)
                        .ok_or_else(|| decode("candidate source"))?,
                    reference: row.try_get("candidate_reference")?,
                })
            }
            None => None,
        },
    })
}

impl SqlStore {
    /// Fills each incident's assets and timeline.
    async fn incident_links(
        &self,
        db: &mut sqlx::AnyConnection,
        mut incidents: Vec<Incident>,
    ) -> Result<Vec<Incident>> {
        let index: HashMap<i64, usize> = incidents
            .iter()
            .enumerate()
            .map(|(i, x)| (x.id.0, i))
            .collect();
        for row in sqlx::query(
            "SELECT ia.incident_id, a.id, a.name, a.confidentiality, a.integrity, \
             a.availability FROM incident_assets ia JOIN assets a ON a.id = ia.asset_id \
             ORDER BY ia.incident_id, a.id",
        )
        .fetch_all(&mut *db)
        .await?
        {
            if let Some(&i) = index.get(&row.try_get::<i64, _>("incident_id")?) {
                let class = format!(
                    "{}-{}-{}",
                    row.try_get::<String, _>("confidentiality")?,
                    row.try_get::<String, _>("integrity")?,
                    row.try_get::<String, _>("availability")?
                );
                incidents[i].assets.push(IncidentAsset {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    class,
                });
            }
        }
        for row in sqlx::query(
            "SELECT e.id, e.incident_id, e.step, e.rule_code, e.note, e.at_ms, \
             u.username AS by_name FROM incident_events e LEFT JOIN users u ON u.id = e.user_id \
             ORDER BY e.incident_id, e.at_ms, e.id",
        )
        .fetch_all(&mut *db)
        .await?
        {
            if let Some(&i) = index.get(&row.try_get::<i64, _>("incident_id")?) {
                let step: String = row.try_get("step")?;
                incidents[i].events.push(IncidentEvent {
                    id: row.try_get("id")?,
                    step: Step::parse(&step).ok_or_else(|| decode("step"))?,
                    rule: row.try_get("rule_code")?,
                    note: row.try_get("note")?,
                    at_ms: row.try_get("at_ms")?,
                    by_name: row.try_get("by_name")?,
                });
            }
        }
        for row in sqlx::query(&format!("{TASK_SELECT} ORDER BY t.incident_id, t.id"))
            .fetch_all(&mut *db)
            .await?
        {
            let task = task_from(&row)?;
            if let Some(&i) = index.get(&task.incident.0) {
                incidents[i].tasks.push(task);
            }
        }
        Ok(incidents)
    }

    async fn incident_in(&self, write: &mut Write, id: IncidentId) -> Result<Incident> {
        let row = sqlx::query(&format!("{INCIDENT_SELECT} WHERE i.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let incident = incident_from(&row)?;
        self.incident_links(&mut write.tx, vec![incident])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn set_incident_assets(
        &self,
        write: &mut Write,
        id: IncidentId,
        assets: &[i64],
    ) -> Result<()> {
        let mut assets = assets.to_vec();
        assets.sort_unstable();
        assets.dedup();
        sqlx::query("DELETE FROM incident_assets WHERE incident_id = $1")
            .bind(id.0)
            .execute(&mut *write.tx)
            .await?;
        for asset in assets {
            let found = sqlx::query("SELECT id FROM assets WHERE id = $1")
                .bind(asset)
                .fetch_optional(&mut *write.tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::Conflict(Conflict::IncidentScopeMissing));
            }
            sqlx::query("INSERT INTO incident_assets (incident_id, asset_id) VALUES ($1, $2)")
                .bind(id.0)
                .bind(asset)
                .execute(&mut *write.tx)
                .await?;
        }
        Ok(())
    }

    /// A new incident reported by the person of account `user`, from their unit, with its
    /// assets and the first step of its timeline.
    async fn insert_incident(
        &self,
        write: &mut Write,
        user: i64,
        incident: &NewIncident,
    ) -> Result<IncidentId> {
        let reporter = sqlx::query(
            "SELECT p.id, p.unit_id FROM users u JOIN people p ON p.id = u.person_id \
             WHERE u.id = $1",
        )
        .bind(user)
        .fetch_one(&mut *write.tx)
        .await?;
        let row = sqlx::query(
            "INSERT INTO incidents (title, description, occurred_at, detected_at, reporter_id, \
             unit_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             RETURNING id",
        )
        .bind(&incident.title)
        .bind(&incident.description)
        .bind(incident.occurred_at)
        .bind(incident.detected_at.unwrap_or(write.at_ms).min(write.at_ms))
        .bind(reporter.try_get::<i64, _>("id")?)
        .bind(opt_id(&reporter, "unit_id")?)
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await?;
        let id = IncidentId(row.try_get("id")?);
        self.set_incident_assets(write, id, &incident.assets)
            .await?;
        self.insert_event(write, id, Step::Reported, None, "", user)
            .await?;
        Ok(id)
    }

    async fn candidate_in(&self, write: &mut Write, id: i64) -> Result<IncidentCandidate> {
        let row = sqlx::query(&format!("{CANDIDATE_SELECT} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        candidate_from(&row)
    }

    async fn insert_event(
        &self,
        write: &mut Write,
        id: IncidentId,
        step: Step,
        rule: Option<&str>,
        note: &str,
        by: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO incident_events (incident_id, step, rule_code, note, at_ms, user_id) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.0)
        .bind(step.as_str())
        .bind(rule)
        .bind(note)
        .bind(write.at_ms)
        .bind(by)
        .execute(&mut *write.tx)
        .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl IncidentStore for SqlStore {
    async fn contact_chain(&self) -> Result<Vec<Contact>> {
        // The chain's roles, in the order of the chain; a disabled account is nobody to call.
        const CHAIN: [Role; 5] = [
            Role::Ciso,
            Role::SecurityDirector,
            Role::Csirt,
            Role::SecurityOfficer,
            Role::SecurityManager,
        ];
        let rows = sqlx::query(
            "SELECT r.role, r.scope_kind, r.scope_id, p.id AS person_id, p.name, p.title, \
             p.phone, p.email, u.id AS unit_id, u.name AS unit_name, \
             o.id AS org_id, o.name AS org_name \
             FROM role_assignments r JOIN people p ON p.id = r.person_id \
             LEFT JOIN users a ON a.person_id = p.id \
             LEFT JOIN units u ON r.scope_kind = 'unit' AND CAST(u.id AS TEXT) = r.scope_id \
             LEFT JOIN organisations o ON (r.scope_kind = 'organisation' \
                  AND CAST(o.id AS TEXT) = r.scope_id) OR o.id = u.org_id \
             WHERE COALESCE(a.disabled, 0) = 0 \
             ORDER BY o.id, u.name, p.name, p.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut contacts = Vec::new();
        for row in rows {
            let role: String = row.try_get("role")?;
            let Some(role) = CHAIN.into_iter().find(|r| r.as_str() == role) else {
                continue;
            };
            contacts.push(Contact {
                role,
                org: opt_id(&row, "org_id")?.map(OrgId),
                org_name: row.try_get("org_name")?,
                unit: opt_id(&row, "unit_id")?.map(UnitId),
                unit_name: row.try_get("unit_name")?,
                person: PersonId(row.try_get("person_id")?),
                name: row.try_get("name")?,
                title: row.try_get("title")?,
                phone: row.try_get("phone")?,
                email: row.try_get("email")?,
            });
        }
        contacts.sort_by_key(|c| CHAIN.iter().position(|r| *r == c.role));
        Ok(contacts)
    }

    async fn incidents(&self) -> Result<Vec<Incident>> {
        let incidents = sqlx::query(&format!("{INCIDENT_SELECT} ORDER BY i.id DESC"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(incident_from)
            .collect::<Result<Vec<_>>>()?;
        self.incident_links(&mut *self.pool.acquire().await?, incidents)
            .await
    }

    async fn incident(&self, id: IncidentId) -> Result<Option<Incident>> {
        let Some(row) = sqlx::query(&format!("{INCIDENT_SELECT} WHERE i.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let incident = incident_from(&row)?;
        Ok(self
            .incident_links(&mut *self.pool.acquire().await?, vec![incident])
            .await?
            .pop())
    }

    async fn report_incident(
        &self,
        grant: &Granted<ReportIncident>,
        incident: NewIncident,
        origin: &Origin,
    ) -> Result<Incident> {
        let mut write = self.begin_write().await?;
        let id = self
            .insert_incident(&mut write, grant.actor().0, &incident)
            .await?;
        let stored = self.incident_in(&mut write, id).await?;
        let audience = Audience {
            roles: vec![Role::Csirt],
            managers_of: stored.unit,
        };
        self.notify_in(
            &mut write,
            audience,
            NoticeKind::IncidentReported,
            &incident.title,
            &format!("/incidents/{id}"),
        )
        .await?;
        let event = origin
            .event("incident.report", "incident", id)
            .in_unit(stored.unit)
            .with_detail(serde_json::json!({"title": incident.title, "assets": incident.assets}));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn triage_incident(
        &self,
        _: &Granted<TriageIncident>,
        id: IncidentId,
        triage: Triage,
        origin: &Origin,
    ) -> Result<Incident> {
        let mut write = self.begin_write().await?;
        let before = self.incident_in(&mut write, id).await?;
        let category = match &triage.threat {
            Some(code) => {
                let row = sqlx::query("SELECT category FROM threats WHERE code = $1")
                    .bind(code)
                    .fetch_optional(&mut *write.tx)
                    .await?
                    .ok_or(StoreError::Conflict(Conflict::IncidentScopeMissing))?;
                Some(row.try_get::<String, _>("category")?)
            }
            None => None,
        };
        if let Some(owner) = triage.owner {
            let found = sqlx::query("SELECT id FROM people WHERE id = $1")
                .bind(owner.0)
                .fetch_optional(&mut *write.tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::Conflict(Conflict::IncidentScopeMissing));
            }
        }
        sqlx::query(
            "UPDATE incidents SET severity = $1, threat_code = $2, category = $3, \
             personal_data = $4, people_count = $5, unauthorised_purpose = $6, owner_id = $7, \
             updated_at = $8 WHERE id = $9",
        )
        .bind(triage.severity.as_str())
        .bind(triage.threat.as_deref())
        .bind(category.as_deref())
        .bind(i64::from(triage.personal_data))
        .bind(triage.people)
        .bind(i64::from(triage.unauthorised_purpose))
        .bind(triage.owner.map(|o| o.0))
        .bind(write.at_ms)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await?;
        self.set_incident_assets(&mut write, id, &triage.assets)
            .await?;
        let stored = self.incident_in(&mut write, id).await?;
        let event = origin
            .event("incident.triage", "incident", id)
            .in_unit(before.unit)
            .with_detail(serde_json::json!({
                "severity": triage.severity.as_str(),
                "threat": triage.threat,
                "personal_data": triage.personal_data,
                "people": triage.people,
                "unauthorised_purpose": triage.unauthorised_purpose,
                "owner": triage.owner.map(|o| o.0),
                "assets": triage.assets,
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn add_incident_event(
        &self,
        grant: &Granted<TriageIncident>,
        id: IncidentId,
        step: Step,
        rule: Option<String>,
        note: &str,
        origin: &Origin,
    ) -> Result<Incident> {
        let mut write = self.begin_write().await?;
        let before = self.incident_in(&mut write, id).await?;
        if before.closed_at.is_some() && step != Step::Note {
            return Err(StoreError::Conflict(Conflict::IncidentClosed));
        }
        self.insert_event(&mut write, id, step, rule.as_deref(), note, grant.actor().0)
            .await?;
        if step == Step::Closed {
            sqlx::query("UPDATE incidents SET closed_at = $1, updated_at = $1 WHERE id = $2")
                .bind(write.at_ms)
                .bind(id.0)
                .execute(&mut *write.tx)
                .await?;
        }
        let stored = self.incident_in(&mut write, id).await?;
        let event = origin
            .event("incident.event", "incident", id)
            .in_unit(before.unit)
            .with_detail(serde_json::json!({"step": step.as_str(), "rule": rule, "note": note}));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn add_incident_task(
        &self,
        grant: &Granted<TriageIncident>,
        id: IncidentId,
        task: NewIncidentTask,
        origin: &Origin,
    ) -> Result<Incident> {
        let mut write = self.begin_write().await?;
        let before = self.incident_in(&mut write, id).await?;
        let owner = sqlx::query("SELECT id FROM people WHERE id = $1")
            .bind(task.owner.0)
            .fetch_optional(&mut *write.tx)
            .await?;
        if owner.is_none() {
            return Err(StoreError::Conflict(Conflict::IncidentScopeMissing));
        }
        let row = sqlx::query(
            "INSERT INTO incident_tasks (incident_id, title, owner_id, due_on, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(id.0)
        .bind(&task.title)
        .bind(task.owner.0)
        .bind(task.due_on.map(day))
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await?;
        let task_id: i64 = row.try_get("id")?;
        let stored = self.incident_in(&mut write, id).await?;
        let event = origin
            .event("incident.task.add", "incident", id)
            .in_unit(before.unit)
            .with_detail(serde_json::json!({
                "task": task_id,
                "title": task.title,
                "owner": task.owner.0,
                "due_on": task.due_on.map(day),
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn complete_incident_task(
        &self,
        grant: &Granted<CompleteIncidentTask>,
        id: IncidentId,
        task: i64,
        origin: &Origin,
    ) -> Result<Incident> {
        // Those who triage incidents, as core's `TriageIncident` names them.
        const TRIAGERS: [Role; 3] = [Role::Csirt, Role::Ciso, Role::SecurityDirector];
        let mut write = self.begin_write().await?;
        let before = self.incident_in(&mut write, id).await?;
        let current = before
            .tasks
            .iter()
            .find(|t| t.id == task)
            .ok_or(StoreError::NotFound)?;
        if current.done_at.is_some() {
            return Err(StoreError::Conflict(Conflict::IncidentTaskDone));
        }
        let person: Option<i64> =
            sqlx::query("SELECT person_id FROM users WHERE id = $1 AND disabled = 0")
                .bind(grant.actor().0)
                .fetch_optional(&mut *write.tx)
                .await?
                .map(|r| r.try_get("person_id"))
                .transpose()?;
        let owns = person == Some(current.owner.0);
        let triages = match person {
            Some(person) => {
                let mut found = false;
                for role in TRIAGERS {
                    found |= sqlx::query(
                        "SELECT id FROM role_assignments WHERE person_id = $1 AND role = $2 \
                         AND scope_kind = 'global'",
                    )
                    .bind(person)
                    .bind(role.as_str())
                    .fetch_optional(&mut *write.tx)
                    .await?
                    .is_some();
                }
                found
            }
            None => false,
        };
        if !owns && !triages {
            return Err(StoreError::Conflict(Conflict::IncidentTaskNotTheirs));
        }
        sqlx::query("UPDATE incident_tasks SET done_at = $1, done_by = $2 WHERE id = $3")
            .bind(write.at_ms)
            .bind(grant.actor().0)
            .bind(task)
            .execute(&mut *write.tx)
            .await?;
        let stored = self.incident_in(&mut write, id).await?;
        let event = origin
            .event("incident.task.done", "incident", id)
            .in_unit(before.unit)
            .with_detail(serde_json::json!({"task": task, "title": current.title}));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn record_incident_lessons(
        &self,
        grant: &Granted<TriageIncident>,
        id: IncidentId,
        lessons: &str,
        origin: &Origin,
    ) -> Result<Incident> {
        let mut write = self.begin_write().await?;
        let before = self.incident_in(&mut write, id).await?;
        if before.closed_at.is_none() {
            return Err(StoreError::Conflict(Conflict::IncidentOpen));
        }
        sqlx::query(
            "UPDATE incidents SET lessons = $1, lessons_at = $2, lessons_by = $3, updated_at = $2 \
             WHERE id = $4",
        )
        .bind(lessons)
        .bind(write.at_ms)
        .bind(grant.actor().0)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await?;
        let stored = self.incident_in(&mut write, id).await?;
        let event = origin
            .event("incident.lessons", "incident", id)
            .in_unit(before.unit)
            .with_detail(serde_json::json!({"before": before.lessons, "after": lessons}));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn raise_incident_candidate(
        &self,
        source: CandidateSource,
        reference: &str,
        summary: &str,
        origin: &Origin,
    ) -> Result<Option<IncidentCandidate>> {
        // Most raises are of what was raised before: a read, not a write, tells.
        let known =
            sqlx::query("SELECT id FROM incident_candidates WHERE source = $1 AND reference = $2")
                .bind(source.as_str())
                .bind(reference)
                .fetch_optional(&self.pool)
                .await?;
        if known.is_some() {
            return Ok(None);
        }
        let mut write = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO incident_candidates (source, reference, summary, raised_at, state) \
             VALUES ($1, $2, $3, $4, 'open') ON CONFLICT (source, reference) DO NOTHING \
             RETURNING id",
        )
        .bind(source.as_str())
        .bind(reference)
        .bind(summary)
        .bind(write.at_ms)
        .fetch_optional(&mut *write.tx)
        .await?;
        // Raised by another writer in the meantime: nothing to record (the write rolls back).
        let Some(row) = row else {
            return Ok(None);
        };
        let id: i64 = row.try_get("id")?;
        let stored = self.candidate_in(&mut write, id).await?;
        let event = origin
            .event("incident.candidate.raise", "incident_candidate", id)
            .with_detail(serde_json::json!({
                "source": source.as_str(),
                "reference": reference,
                "summary": summary,
            }));
        self.commit(write, event).await?;
        Ok(Some(stored))
    }

    async fn incident_candidates(&self) -> Result<Vec<IncidentCandidate>> {
        sqlx::query(&format!(
            "{CANDIDATE_SELECT} ORDER BY CASE WHEN c.state = 'open' THEN 0 ELSE 1 END, \
             c.raised_at DESC, c.id DESC"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(candidate_from)
        .collect()
    }

    async fn incident_candidate(&self, id: i64) -> Result<Option<IncidentCandidate>> {
        sqlx::query(&format!("{CANDIDATE_SELECT} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(candidate_from)
            .transpose()
    }

    async fn open_incident_from_candidate(
        &self,
        grant: &Granted<DecideIncidentCandidate>,
        id: i64,
        incident: NewIncident,
        origin: &Origin,
    ) -> Result<Incident> {
        let mut write = self.begin_write().await?;
        let candidate = self.candidate_in(&mut write, id).await?;
        if candidate.state != CandidateState::Open {
            return Err(StoreError::Conflict(Conflict::IncidentCandidateDecided));
        }
        let incident = NewIncident {
            detected_at: Some(incident.detected_at.unwrap_or(candidate.raised_at)),
            ..incident
        };
        let opened = self
            .insert_incident(&mut write, grant.actor().0, &incident)
            .await?;
        sqlx::query(
            "UPDATE incident_candidates SET state = 'opened', incident_id = $1, decided_by = $2, \
             decided_at = $3 WHERE id = $4 AND state = 'open'",
        )
        .bind(opened.0)
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .bind(id)
        .execute(&mut *write.tx)
        .await?;
        let stored = self.incident_in(&mut write, opened).await?;
        let event = origin
            .event("incident.candidate.open", "incident_candidate", id)
            .in_unit(stored.unit)
            .with_detail(serde_json::json!({
                "incident": opened.0,
                "title": incident.title,
                "source": candidate.source.as_str(),
                "reference": candidate.reference,
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn dismiss_incident_candidate(
        &self,
        grant: &Granted<DecideIncidentCandidate>,
        id: i64,
        reason: &str,
        origin: &Origin,
    ) -> Result<IncidentCandidate> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Conflict(
                Conflict::IncidentCandidateReasonMissing,
            ));
        }
        let mut write = self.begin_write().await?;
        let candidate = self.candidate_in(&mut write, id).await?;
        if candidate.state != CandidateState::Open {
            return Err(StoreError::Conflict(Conflict::IncidentCandidateDecided));
        }
        sqlx::query(
            "UPDATE incident_candidates SET state = 'dismissed', reason = $1, decided_by = $2, \
             decided_at = $3 WHERE id = $4",
        )
        .bind(reason)
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .bind(id)
        .execute(&mut *write.tx)
        .await?;
        let stored = self.candidate_in(&mut write, id).await?;
        let event = origin
            .event("incident.candidate.dismiss", "incident_candidate", id)
            .with_detail(serde_json::json!({
                "reason": reason,
                "source": candidate.source.as_str(),
                "reference": candidate.reference,
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn open_incident_tasks(&self) -> Result<Vec<IncidentTask>> {
        let mut tasks = sqlx::query(&format!(
            "{TASK_SELECT} WHERE t.done_at IS NULL AND i.closed_at IS NULL ORDER BY t.id"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(task_from)
        .collect::<Result<Vec<_>>>()?;
        tasks.sort_by_key(|t| (t.due_on.is_none(), t.due_on, t.id));
        Ok(tasks)
    }
}
