//! 情報セキュリティ監査 on SQL: the plan with its scope (units, chapters), the team, the fieldwork
//! notes and the report. Independence is checked again here on the person's unit and roles as
//! stored, inside the write that would add them.

use std::collections::HashMap;

use mamori_core::audit_plan::{AuditState, Dependence, MemberFacts, dependence};
use mamori_core::authz::{Granted, ManageAudits, WorkOnAudit};
use mamori_core::{OrgId, PersonId, UnitId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::directory::assignment_from;
use super::{SqlStore, Write, conflict, date_column, day, opt_id};
use crate::{
    AuditId, AuditMember, AuditNote, Conflict, Finding, NewAudit, NewFinding, Origin, Result,
    SecurityAudit, SecurityAuditStore, StoreError,
};

const AUDIT_SELECT: &str = "SELECT a.id, a.year, a.title, a.criteria, a.period_from, \
     a.period_to, a.state, a.report, u.username AS reported_name, a.reported_at, a.created_at \
     FROM security_audits a LEFT JOIN users u ON u.id = a.reported_by";

fn decode(what: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("invalid {what} in the audits").into(),
    ))
}

fn audit_from(row: &AnyRow) -> Result<SecurityAudit> {
    let state: String = row.try_get("state")?;
    Ok(SecurityAudit {
        id: AuditId(row.try_get("id")?),
        year: i32::try_from(row.try_get::<i64, _>("year")?).map_err(|_| decode("year"))?,
        title: row.try_get("title")?,
        criteria: row.try_get("criteria")?,
        from: date_column(row, "period_from")?,
        to: date_column(row, "period_to")?,
        state: AuditState::parse(&state).ok_or_else(|| decode("state"))?,
        report: row.try_get("report")?,
        reported_by_name: row.try_get("reported_name")?,
        reported_at: opt_id(row, "reported_at")?,
        scope: Vec::new(),
        chapters: Vec::new(),
        team: Vec::new(),
        notes: Vec::new(),
        created_at: row.try_get("created_at")?,
    })
}

impl SqlStore {
    /// Fills each audit's scope, chapters, team and notes, in four statements for any number.
    async fn audit_details(
        &self,
        db: &mut sqlx::AnyConnection,
        mut audits: Vec<SecurityAudit>,
    ) -> Result<Vec<SecurityAudit>> {
        if audits.is_empty() {
            return Ok(audits);
        }
        let index: HashMap<i64, usize> = audits
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.0, i))
            .collect();
        for row in sqlx::query(
            "SELECT s.audit_id, un.org_id, s.unit_id, un.name FROM audit_scope_units s \
             JOIN units un ON un.id = s.unit_id ORDER BY s.audit_id, un.org_id, un.name",
        )
        .fetch_all(&mut *db)
        .await?
        {
            if let Some(&i) = index.get(&row.try_get::<i64, _>("audit_id")?) {
                audits[i].scope.push((
                    OrgId(row.try_get("org_id")?),
                    UnitId(row.try_get("unit_id")?),
                    row.try_get("name")?,
                ));
            }
        }
        for row in sqlx::query(
            "SELECT audit_id, chapter FROM audit_scope_chapters ORDER BY audit_id, chapter",
        )
        .fetch_all(&mut *db)
        .await?
        {
            if let Some(&i) = index.get(&row.try_get::<i64, _>("audit_id")?) {
                audits[i].chapters.push(row.try_get("chapter")?);
            }
        }
        for row in sqlx::query(
            "SELECT t.audit_id, t.person_id, p.name, un.name AS unit_name, t.lead \
             FROM audit_team t JOIN people p ON p.id = t.person_id \
             LEFT JOIN units un ON un.id = p.unit_id ORDER BY t.audit_id, t.lead DESC, p.name",
        )
        .fetch_all(&mut *db)
        .await?
        {
            if let Some(&i) = index.get(&row.try_get::<i64, _>("audit_id")?) {
                audits[i].team.push(AuditMember {
                    person: PersonId(row.try_get("person_id")?),
                    name: row.try_get("name")?,
                    unit_name: row.try_get("unit_name")?,
                    lead: row.try_get::<i64, _>("lead")? != 0,
                });
            }
        }
        for row in sqlx::query(
            "SELECT n.id, n.audit_id, n.unit_id, un.name AS unit_name, n.text, \
             u.username AS by_name, n.at_ms FROM audit_notes n \
             LEFT JOIN units un ON un.id = n.unit_id LEFT JOIN users u ON u.id = n.user_id \
             ORDER BY n.audit_id, n.id",
        )
        .fetch_all(&mut *db)
        .await?
        {
            if let Some(&i) = index.get(&row.try_get::<i64, _>("audit_id")?) {
                audits[i].notes.push(AuditNote {
                    id: row.try_get("id")?,
                    unit: opt_id(&row, "unit_id")?.map(UnitId),
                    unit_name: row.try_get("unit_name")?,
                    text: row.try_get("text")?,
                    by_name: row.try_get("by_name")?,
                    at_ms: row.try_get("at_ms")?,
                });
            }
        }
        Ok(audits)
    }

    async fn audit_in(&self, write: &mut Write, id: AuditId) -> Result<SecurityAudit> {
        let row = sqlx::query(&format!("{AUDIT_SELECT} WHERE a.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let audit = audit_from(&row)?;
        let mut audits = self.audit_details(&mut write.tx, vec![audit]).await?;
        audits.pop().ok_or(StoreError::NotFound)
    }

    /// The audit as it stands, refused once its report is issued.
    async fn open_audit_in(&self, write: &mut Write, id: AuditId) -> Result<SecurityAudit> {
        let audit = self.audit_in(write, id).await?;
        if audit.state == AuditState::Reported {
            return Err(StoreError::Conflict(Conflict::AuditReported));
        }
        Ok(audit)
    }

    /// Fieldwork has begun with the first note or finding.
    async fn begin_fieldwork(&self, write: &mut Write, audit: &SecurityAudit) -> Result<()> {
        if audit.state == AuditState::Planned {
            sqlx::query("UPDATE security_audits SET state = $1, updated_at = $2 WHERE id = $3")
                .bind(AuditState::Fieldwork.as_str())
                .bind(write.at_ms)
                .bind(audit.id.0)
                .execute(&mut *write.tx)
                .await?;
        }
        Ok(())
    }
}

fn in_scope(audit: &SecurityAudit, unit: UnitId) -> Result<()> {
    if audit.scope.iter().any(|(_, u, _)| *u == unit) {
        Ok(())
    } else {
        Err(StoreError::Conflict(Conflict::AuditUnitOutOfScope))
    }
}

#[async_trait::async_trait]
impl SecurityAuditStore for SqlStore {
    async fn security_audits(&self) -> Result<Vec<SecurityAudit>> {
        let audits = sqlx::query(&format!("{AUDIT_SELECT} ORDER BY a.year DESC, a.id DESC"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(audit_from)
            .collect::<Result<Vec<_>>>()?;
        self.audit_details(&mut *self.pool.acquire().await?, audits)
            .await
    }

    async fn security_audit(&self, id: AuditId) -> Result<Option<SecurityAudit>> {
        let Some(row) = sqlx::query(&format!("{AUDIT_SELECT} WHERE a.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let audit = audit_from(&row)?;
        Ok(self
            .audit_details(&mut *self.pool.acquire().await?, vec![audit])
            .await?
            .pop())
    }

    async fn create_security_audit(
        &self,
        grant: &Granted<ManageAudits>,
        audit: NewAudit,
        origin: &Origin,
    ) -> Result<SecurityAudit> {
        let mut write = self.begin_write().await?;
        let mut units = audit.units.clone();
        units.sort_unstable();
        units.dedup();
        if units.is_empty() {
            return Err(StoreError::Conflict(Conflict::AuditScopeMissing));
        }
        for unit in &units {
            let found = sqlx::query("SELECT id FROM units WHERE id = $1")
                .bind(unit.0)
                .fetch_optional(&mut *write.tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::Conflict(Conflict::AuditScopeMissing));
            }
        }
        let row = sqlx::query(
            "INSERT INTO security_audits (year, title, criteria, period_from, period_to, state, \
             created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             RETURNING id",
        )
        .bind(i64::from(audit.year))
        .bind(&audit.title)
        .bind(&audit.criteria)
        .bind(day(audit.from))
        .bind(day(audit.to))
        .bind(AuditState::Planned.as_str())
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await?;
        let id = AuditId(row.try_get("id")?);
        for unit in &units {
            sqlx::query("INSERT INTO audit_scope_units (audit_id, unit_id) VALUES ($1, $2)")
                .bind(id.0)
                .bind(unit.0)
                .execute(&mut *write.tx)
                .await?;
        }
        let mut chapters = audit.chapters.clone();
        chapters.sort();
        chapters.dedup();
        for chapter in &chapters {
            sqlx::query("INSERT INTO audit_scope_chapters (audit_id, chapter) VALUES ($1, $2)")
                .bind(id.0)
                .bind(chapter)
                .execute(&mut *write.tx)
                .await?;
        }
        let stored = self.audit_in(&mut write, id).await?;
        let event = origin
            .event("audit_plan.create", "audit", id)
            .with_detail(serde_json::json!({
                "year": audit.year,
                "title": audit.title,
                "units": units.iter().map(|u| u.0).collect::<Vec<_>>(),
                "chapters": chapters,
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn add_audit_member(
        &self,
        _: &Granted<ManageAudits>,
        id: AuditId,
        person: PersonId,
        lead: bool,
        origin: &Origin,
    ) -> Result<SecurityAudit> {
        let mut write = self.begin_write().await?;
        let audit = self.open_audit_in(&mut write, id).await?;
        let row = sqlx::query("SELECT unit_id FROM people WHERE id = $1")
            .bind(person.0)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::Conflict(Conflict::AuditScopeMissing))?;
        let roles = sqlx::query(
            "SELECT id, person_id, role, scope_kind, scope_id FROM role_assignments \
             WHERE person_id = $1",
        )
        .bind(person.0)
        .fetch_all(&mut *write.tx)
        .await?
        .iter()
        .map(|r| assignment_from(r).map(|a| (a.role, a.scope)))
        .collect::<Result<Vec<_>>>()?;
        let facts = MemberFacts {
            unit: opt_id(&row, "unit_id")?.map(UnitId),
            roles,
        };
        let place = audit.place();
        if let Some((_, why)) = dependence(&facts, &place.scope) {
            return Err(StoreError::Conflict(match why {
                Dependence::BelongsToUnit => Conflict::AuditMemberBelongsToUnit,
                Dependence::ManagesUnit => Conflict::AuditMemberManagesUnit,
                Dependence::OverseesOrganisation => Conflict::AuditMemberOverseesOrganisation,
            }));
        }
        sqlx::query(
            "INSERT INTO audit_team (audit_id, person_id, lead, added_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.0)
        .bind(person.0)
        .bind(i64::from(lead))
        .bind(write.at_ms)
        .execute(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::AuditScopeMissing))?;
        let stored = self.audit_in(&mut write, id).await?;
        let event = origin
            .event("audit_plan.member_add", "audit", id)
            .with_detail(serde_json::json!({"person": person.0, "lead": lead}));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn remove_audit_member(
        &self,
        _: &Granted<ManageAudits>,
        id: AuditId,
        person: PersonId,
        origin: &Origin,
    ) -> Result<SecurityAudit> {
        let mut write = self.begin_write().await?;
        self.open_audit_in(&mut write, id).await?;
        let removed = sqlx::query("DELETE FROM audit_team WHERE audit_id = $1 AND person_id = $2")
            .bind(id.0)
            .bind(person.0)
            .execute(&mut *write.tx)
            .await?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let stored = self.audit_in(&mut write, id).await?;
        let event = origin
            .event("audit_plan.member_remove", "audit", id)
            .with_detail(serde_json::json!({"person": person.0}));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn add_audit_note(
        &self,
        grant: &Granted<WorkOnAudit>,
        id: AuditId,
        unit: Option<UnitId>,
        text: &str,
        origin: &Origin,
    ) -> Result<SecurityAudit> {
        let mut write = self.begin_write().await?;
        let audit = self.open_audit_in(&mut write, id).await?;
        if let Some(unit) = unit {
            in_scope(&audit, unit)?;
        }
        sqlx::query(
            "INSERT INTO audit_notes (audit_id, unit_id, text, user_id, at_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.0)
        .bind(unit.map(|u| u.0))
        .bind(text)
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .execute(&mut *write.tx)
        .await?;
        self.begin_fieldwork(&mut write, &audit).await?;
        let stored = self.audit_in(&mut write, id).await?;
        let event = origin
            .event("audit_plan.note", "audit", id)
            .in_unit(unit)
            .with_detail(serde_json::json!({"chars": text.chars().count()}));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn raise_audit_finding(
        &self,
        grant: &Granted<WorkOnAudit>,
        id: AuditId,
        finding: NewFinding,
        origin: &Origin,
    ) -> Result<Finding> {
        let mut write = self.begin_write().await?;
        let audit = self.open_audit_in(&mut write, id).await?;
        in_scope(&audit, finding.unit)?;
        let stored = self
            .insert_finding(&mut write, grant.actor(), Some(id), &finding)
            .await?;
        self.begin_fieldwork(&mut write, &audit).await?;
        let event = origin
            .event("finding.raise", "finding", stored.id)
            .in_unit(Some(finding.unit))
            .with_detail(serde_json::json!({
                "audit": id.0,
                "kind": finding.kind.as_str(),
                "measure": finding.measure_urn,
                "clause": finding.clause,
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn issue_audit_report(
        &self,
        grant: &Granted<WorkOnAudit>,
        id: AuditId,
        report: &str,
        origin: &Origin,
    ) -> Result<SecurityAudit> {
        let mut write = self.begin_write().await?;
        self.open_audit_in(&mut write, id).await?;
        sqlx::query(
            "UPDATE security_audits SET state = $1, report = $2, reported_by = $3, \
             reported_at = $4, updated_at = $4 WHERE id = $5",
        )
        .bind(AuditState::Reported.as_str())
        .bind(report)
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await?;
        let stored = self.audit_in(&mut write, id).await?;
        let event = origin
            .event("audit_plan.report", "audit", id)
            .with_detail(serde_json::json!({"chars": report.chars().count()}));
        self.commit(write, event).await?;
        Ok(stored)
    }
}
