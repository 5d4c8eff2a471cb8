//! Self-inspections, findings and corrective actions on SQL. A campaign's items are fixed when it
//! opens (the measures that concerned each unit then); an answer recorded for a unit fills the
//! open items of its measure (see `controls::record_answer`), so that one answer serves the
//! checklist, the coverage and the campaign alike.

use std::collections::{HashMap, HashSet};

use mamori_core::authz::{
    CompleteCorrectiveAction, Granted, ManageFindings, ManageInspections, PlanCorrectiveAction,
    SignOffInspection, VerifyCorrectiveAction,
};
use mamori_core::controls::MeasureState;
use mamori_core::finding::{ActionState, FindingKind, FindingSource, finding_of_answer};
use mamori_core::{OrgId, PersonId, UnitId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::controls::answer_from;
use super::{SqlStore, Write, conflict, date_column, day, opt_id};
use crate::{
    ActionId, AuditId, CatalogueId, Conflict, CorrectiveAction, Finding, FindingId, Inspection,
    InspectionId, InspectionItem, InspectionStore, InspectionUnit, ItemTally, NewAction,
    NewFinding, NewInspection, Origin, PendingUnit, Result, SignOff, StoreError,
};

const INSPECTION_SELECT: &str = "SELECT i.id, i.year, i.title, i.catalogue_id, \
     c.name AS catalogue_name, i.due_on, i.created_at, \
     (SELECT COUNT(*) FROM inspection_units s WHERE s.inspection_id = i.id) AS units, \
     (SELECT COUNT(*) FROM inspection_units s WHERE s.inspection_id = i.id \
      AND s.signed_at IS NOT NULL) AS signed \
     FROM inspections i JOIN catalogues c ON c.id = i.catalogue_id";

const UNIT_SELECT: &str = "SELECT s.unit_id, un.name AS unit_name, un.org_id, s.signed_by, \
     u.username AS signed_name, s.signed_at, s.sign_note \
     FROM inspection_units s JOIN units un ON un.id = s.unit_id \
     LEFT JOIN users u ON u.id = s.signed_by";

const FINDING_SELECT: &str = "SELECT f.id, f.source, f.inspection_id, \
     ins.title AS inspection_title, f.audit_id, sa.title AS audit_title, f.unit_id, un.name AS unit_name, un.org_id, f.catalogue_id, \
     f.measure_urn, n.ref_id AS measure_code, n.name AS measure_name, f.clause, f.kind, \
     f.description, u.username AS raised_name, f.closed_at, f.created_at \
     FROM findings f JOIN units un ON un.id = f.unit_id \
     LEFT JOIN inspections ins ON ins.id = f.inspection_id \
     LEFT JOIN security_audits sa ON sa.id = f.audit_id \
     LEFT JOIN catalogue_nodes n ON n.catalogue_id = f.catalogue_id AND n.urn = f.measure_urn \
     LEFT JOIN users u ON u.id = f.raised_by";

const ACTION_SELECT: &str = "SELECT a.id, a.finding_id, f.unit_id, un.org_id, a.description, \
     a.owner_id, p.name AS owner_name, a.due_on, a.state, du.username AS done_name, a.done_at, \
     a.done_note, vu.username AS verified_name, a.verified_at, a.verify_note, a.created_at \
     FROM corrective_actions a JOIN findings f ON f.id = a.finding_id \
     JOIN units un ON un.id = f.unit_id JOIN people p ON p.id = a.owner_id \
     LEFT JOIN users du ON du.id = a.done_by LEFT JOIN users vu ON vu.id = a.verified_by";

/// Items inserted per statement when a campaign opens (six parameters each).
const ITEMS_PER_INSERT: usize = 200;

fn decode(what: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("invalid {what} in the self-inspections").into(),
    ))
}

fn inspection_from(row: &AnyRow) -> Result<Inspection> {
    Ok(Inspection {
        id: InspectionId(row.try_get("id")?),
        year: i32::try_from(row.try_get::<i64, _>("year")?).map_err(|_| decode("year"))?,
        title: row.try_get("title")?,
        catalogue: CatalogueId(row.try_get("catalogue_id")?),
        catalogue_name: row.try_get("catalogue_name")?,
        due_on: date_column(row, "due_on")?,
        units: row.try_get("units")?,
        signed: row.try_get("signed")?,
        created_at: row.try_get("created_at")?,
    })
}

fn unit_from(row: &AnyRow) -> Result<InspectionUnit> {
    let signed = match (opt_id(row, "signed_by")?, opt_id(row, "signed_at")?) {
        (Some(by), Some(at_ms)) => Some(SignOff {
            by: UserId(by),
            by_name: row
                .try_get::<Option<String>, _>("signed_name")?
                .unwrap_or_default(),
            at_ms,
            note: row.try_get("sign_note")?,
        }),
        _ => None,
    };
    Ok(InspectionUnit {
        unit: UnitId(row.try_get("unit_id")?),
        unit_name: row.try_get("unit_name")?,
        org: OrgId(row.try_get("org_id")?),
        signed,
    })
}

fn state_of(raw: Option<String>) -> Result<Option<MeasureState>> {
    raw.map(|s| MeasureState::parse(&s).ok_or_else(|| decode("state")))
        .transpose()
}

fn finding_from(row: &AnyRow) -> Result<Finding> {
    let source: String = row.try_get("source")?;
    let kind: String = row.try_get("kind")?;
    Ok(Finding {
        id: FindingId(row.try_get("id")?),
        source: FindingSource::parse(&source).ok_or_else(|| decode("source"))?,
        inspection: opt_id(row, "inspection_id")?.map(InspectionId),
        inspection_title: row.try_get("inspection_title")?,
        audit: opt_id(row, "audit_id")?.map(AuditId),
        audit_title: row.try_get("audit_title")?,
        unit: UnitId(row.try_get("unit_id")?),
        unit_name: row.try_get("unit_name")?,
        org: OrgId(row.try_get("org_id")?),
        catalogue: opt_id(row, "catalogue_id")?.map(CatalogueId),
        measure_urn: row.try_get("measure_urn")?,
        measure_code: row
            .try_get::<Option<String>, _>("measure_code")?
            .unwrap_or_default(),
        measure_name: row
            .try_get::<Option<String>, _>("measure_name")?
            .unwrap_or_default(),
        clause: row.try_get("clause")?,
        kind: FindingKind::parse(&kind).ok_or_else(|| decode("kind"))?,
        description: row.try_get("description")?,
        raised_by_name: row.try_get("raised_name")?,
        closed_at: opt_id(row, "closed_at")?,
        created_at: row.try_get("created_at")?,
        actions: Vec::new(),
    })
}

fn action_from(row: &AnyRow) -> Result<CorrectiveAction> {
    let state: String = row.try_get("state")?;
    Ok(CorrectiveAction {
        id: ActionId(row.try_get("id")?),
        finding: FindingId(row.try_get("finding_id")?),
        unit: UnitId(row.try_get("unit_id")?),
        org: OrgId(row.try_get("org_id")?),
        description: row.try_get("description")?,
        owner: PersonId(row.try_get("owner_id")?),
        owner_name: row.try_get("owner_name")?,
        due_on: date_column(row, "due_on")?,
        state: ActionState::parse(&state).ok_or_else(|| decode("action state"))?,
        done_by_name: row.try_get("done_name")?,
        done_at: opt_id(row, "done_at")?,
        done_note: row.try_get("done_note")?,
        verified_by_name: row.try_get("verified_name")?,
        verified_at: opt_id(row, "verified_at")?,
        verify_note: row.try_get("verify_note")?,
        created_at: row.try_get("created_at")?,
    })
}

impl SqlStore {
    /// Writes a finding raised by hand (an auditor's, of an audit or not): its unit and measure
    /// must exist.
    pub(super) async fn insert_finding(
        &self,
        write: &mut Write,
        by: UserId,
        audit: Option<AuditId>,
        finding: &NewFinding,
    ) -> Result<Finding> {
        let unit = sqlx::query("SELECT id FROM units WHERE id = $1")
            .bind(finding.unit.0)
            .fetch_optional(&mut *write.tx)
            .await?;
        if unit.is_none() {
            return Err(StoreError::Conflict(Conflict::FindingScopeMissing));
        }
        if let Some(catalogue) = finding.catalogue {
            let found = sqlx::query(
                "SELECT 1 AS found FROM catalogue_nodes \
                 WHERE catalogue_id = $1 AND urn = $2 AND assessable = 1",
            )
            .bind(catalogue.0)
            .bind(&finding.measure_urn)
            .fetch_optional(&mut *write.tx)
            .await?;
            if found.is_none() {
                return Err(StoreError::Conflict(Conflict::FindingScopeMissing));
            }
        }
        let row = sqlx::query(
            "INSERT INTO findings (source, audit_id, unit_id, catalogue_id, measure_urn, clause, \
             kind, description, raised_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        )
        .bind(FindingSource::Audit.as_str())
        .bind(audit.map(|a| a.0))
        .bind(finding.unit.0)
        .bind(finding.catalogue.map(|c| c.0))
        .bind(&finding.measure_urn)
        .bind(&finding.clause)
        .bind(finding.kind.as_str())
        .bind(&finding.description)
        .bind(by.0)
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await?;
        self.finding_in(write, FindingId(row.try_get("id")?)).await
    }

    async fn inspection_in(&self, write: &mut Write, id: InspectionId) -> Result<Inspection> {
        let row = sqlx::query(&format!("{INSPECTION_SELECT} WHERE i.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        inspection_from(&row)
    }

    pub(super) async fn finding_in(&self, write: &mut Write, id: FindingId) -> Result<Finding> {
        let row = sqlx::query(&format!("{FINDING_SELECT} WHERE f.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut finding = finding_from(&row)?;
        finding.actions = sqlx::query(&format!(
            "{ACTION_SELECT} WHERE a.finding_id = $1 ORDER BY a.id"
        ))
        .bind(id.0)
        .fetch_all(&mut *write.tx)
        .await?
        .iter()
        .map(action_from)
        .collect::<Result<_>>()?;
        Ok(finding)
    }

    async fn action_in(&self, write: &mut Write, id: ActionId) -> Result<CorrectiveAction> {
        let row = sqlx::query(&format!("{ACTION_SELECT} WHERE a.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        action_from(&row)
    }

    /// Fills the open items of a unit's measure with the answer just recorded: the campaigns
    /// over the catalogue whose result for the unit is not signed off.
    pub(super) async fn fill_open_items(
        write: &mut Write,
        catalogue: CatalogueId,
        measure_urn: &str,
        unit: UnitId,
        answer_id: i64,
        state: MeasureState,
    ) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE inspection_items SET answer_id = $1, state = $5 \
             WHERE unit_id = $2 AND measure_urn = $3 \
             AND inspection_id IN (SELECT id FROM inspections WHERE catalogue_id = $4) \
             AND EXISTS (SELECT 1 FROM inspection_units s \
                         WHERE s.inspection_id = inspection_items.inspection_id \
                         AND s.unit_id = inspection_items.unit_id AND s.signed_at IS NULL)",
        )
        .bind(answer_id)
        .bind(unit.0)
        .bind(measure_urn)
        .bind(catalogue.0)
        .bind(state.as_str())
        .execute(&mut *write.tx)
        .await?;
        Ok(done.rows_affected())
    }
}

#[async_trait::async_trait]
impl InspectionStore for SqlStore {
    async fn inspections(&self) -> Result<Vec<Inspection>> {
        sqlx::query(&format!(
            "{INSPECTION_SELECT} ORDER BY i.year DESC, i.id DESC"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(inspection_from)
        .collect()
    }

    async fn inspection(&self, id: InspectionId) -> Result<Option<Inspection>> {
        sqlx::query(&format!("{INSPECTION_SELECT} WHERE i.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(inspection_from)
            .transpose()
    }

    async fn create_inspection(
        &self,
        grant: &Granted<ManageInspections>,
        inspection: NewInspection,
        origin: &Origin,
    ) -> Result<Inspection> {
        let mut write = self.begin_write().await?;
        let measures: HashSet<String> = sqlx::query(
            "SELECT urn FROM catalogue_nodes WHERE catalogue_id = $1 AND assessable = 1",
        )
        .bind(inspection.catalogue.0)
        .fetch_all(&mut *write.tx)
        .await?
        .iter()
        .map(|r| r.try_get("urn"))
        .collect::<std::result::Result<_, _>>()?;
        if measures.is_empty() {
            return Err(StoreError::Conflict(Conflict::InspectionScopeMissing));
        }
        let units: HashSet<i64> = sqlx::query("SELECT id FROM units")
            .fetch_all(&mut *write.tx)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<std::result::Result<_, _>>()?;
        let mut seen = HashSet::new();
        for unit in &inspection.units {
            if !units.contains(&unit.unit.0)
                || !seen.insert(unit.unit)
                || unit.items.iter().any(|(urn, _)| !measures.contains(urn))
            {
                return Err(StoreError::Conflict(Conflict::InspectionScopeMissing));
            }
        }
        let row = sqlx::query(
            "INSERT INTO inspections (year, title, catalogue_id, due_on, created_by, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(i64::from(inspection.year))
        .bind(&inspection.title)
        .bind(inspection.catalogue.0)
        .bind(day(inspection.due_on))
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::InspectionYearTaken))?;
        let id: i64 = row.try_get("id")?;
        let mut total = 0;
        for unit in &inspection.units {
            sqlx::query("INSERT INTO inspection_units (inspection_id, unit_id) VALUES ($1, $2)")
                .bind(id)
                .bind(unit.unit.0)
                .execute(&mut *write.tx)
                .await?;
            let mut urns = HashSet::new();
            let items: Vec<(usize, &(String, String))> = unit
                .items
                .iter()
                .enumerate()
                .filter(|(_, (urn, _))| urns.insert(urn.as_str()))
                .collect();
            total += items.len();
            for chunk in items.chunks(ITEMS_PER_INSERT) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| {
                        let p = i * 5;
                        format!(
                            "($1, ${}, ${}, ${}, ${}, ${})",
                            p + 2,
                            p + 3,
                            p + 4,
                            p + 5,
                            p + 6
                        )
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO inspection_items (inspection_id, unit_id, measure_urn, ord, \
                     chapter, answer_id) VALUES {}",
                    values.join(", ")
                );
                let mut query = sqlx::query(&sql).bind(id);
                for (ord, (urn, chapter)) in chunk {
                    query = query
                        .bind(unit.unit.0)
                        .bind(urn.as_str())
                        .bind(*ord as i64)
                        .bind(chapter.as_str())
                        .bind(None::<i64>);
                }
                query
                    .execute(&mut *write.tx)
                    .await
                    .map_err(|e| conflict(e, Conflict::InspectionScopeMissing))?;
            }
        }
        let stored = self.inspection_in(&mut write, InspectionId(id)).await?;
        let event = origin
            .event("inspection.create", "inspection", id)
            .with_detail(serde_json::json!({
                "year": inspection.year,
                "title": inspection.title,
                "catalogue": inspection.catalogue.0,
                "due_on": day(inspection.due_on),
                "units": inspection.units.len(),
                "items": total,
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn inspection_units(&self, id: InspectionId) -> Result<Vec<InspectionUnit>> {
        sqlx::query(&format!(
            "{UNIT_SELECT} WHERE s.inspection_id = $1 ORDER BY un.org_id, un.name, s.unit_id"
        ))
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(unit_from)
        .collect()
    }

    async fn inspection_tally(&self, id: InspectionId) -> Result<Vec<ItemTally>> {
        sqlx::query(
            "SELECT unit_id, chapter, state, COUNT(*) AS n FROM inspection_items \
             WHERE inspection_id = $1 GROUP BY unit_id, chapter, state",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(ItemTally {
                unit: UnitId(row.try_get("unit_id")?),
                chapter: row.try_get("chapter")?,
                state: state_of(row.try_get("state")?)?,
                count: row.try_get("n")?,
            })
        })
        .collect()
    }

    async fn inspection_items(
        &self,
        id: InspectionId,
        unit: UnitId,
    ) -> Result<Vec<InspectionItem>> {
        // The campaign of the year before over the same catalogue, if there was one.
        let previous = sqlx::query(
            "SELECT p.id FROM inspections p JOIN inspections c ON c.id = $1 \
             WHERE p.catalogue_id = c.catalogue_id AND p.year = c.year - 1",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.try_get::<i64, _>("id"))
        .transpose()?;
        let mut last_year: HashMap<String, MeasureState> = HashMap::new();
        if let Some(previous) = previous {
            for row in sqlx::query(
                "SELECT i.measure_urn, m.state FROM inspection_items i \
                 JOIN measure_statuses m ON m.id = i.answer_id \
                 WHERE i.inspection_id = $1 AND i.unit_id = $2",
            )
            .bind(previous)
            .bind(unit.0)
            .fetch_all(&self.pool)
            .await?
            {
                if let Some(state) = state_of(row.try_get("state")?)? {
                    last_year.insert(row.try_get("measure_urn")?, state);
                }
            }
        }
        sqlx::query(
            "SELECT i.measure_urn AS item_urn, i.chapter, m.id, m.catalogue_id, m.measure_urn, \
             m.unit_id, m.state, m.reason, m.note, m.link, m.file_name, m.file_sha256, \
             m.file_size, m.user_id, u.username AS by_name, m.at_ms \
             FROM inspection_items i LEFT JOIN measure_statuses m ON m.id = i.answer_id \
             LEFT JOIN users u ON u.id = m.user_id \
             WHERE i.inspection_id = $1 AND i.unit_id = $2 ORDER BY i.ord",
        )
        .bind(id.0)
        .bind(unit.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let urn: String = row.try_get("item_urn")?;
            let answer = match opt_id(row, "id")? {
                Some(_) => Some(answer_from(row)?),
                None => None,
            };
            Ok(InspectionItem {
                last_year: last_year.get(&urn).copied(),
                measure_urn: urn,
                chapter: row.try_get("chapter")?,
                answer,
            })
        })
        .collect()
    }

    async fn sign_off_inspection(
        &self,
        grant: &Granted<SignOffInspection>,
        id: InspectionId,
        unit: UnitId,
        note: &str,
        origin: &Origin,
    ) -> Result<(InspectionUnit, Vec<FindingId>)> {
        let mut write = self.begin_write().await?;
        let inspection = self.inspection_in(&mut write, id).await?;
        let covered = sqlx::query(&format!(
            "{UNIT_SELECT} WHERE s.inspection_id = $1 AND s.unit_id = $2"
        ))
        .bind(id.0)
        .bind(unit.0)
        .fetch_optional(&mut *write.tx)
        .await?
        .ok_or(StoreError::Conflict(Conflict::InspectionUnitNotCovered))?;
        if unit_from(&covered)?.signed.is_some() {
            return Err(StoreError::Conflict(Conflict::InspectionSignedOff));
        }
        let missing: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM inspection_items \
             WHERE inspection_id = $1 AND unit_id = $2 AND answer_id IS NULL",
        )
        .bind(id.0)
        .bind(unit.0)
        .fetch_one(&mut *write.tx)
        .await?
        .try_get("n")?;
        if missing > 0 {
            return Err(StoreError::Conflict(Conflict::InspectionIncomplete));
        }
        sqlx::query(
            "UPDATE inspection_units SET signed_by = $1, signed_at = $2, sign_note = $3 \
             WHERE inspection_id = $4 AND unit_id = $5",
        )
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .bind(note)
        .bind(id.0)
        .bind(unit.0)
        .execute(&mut *write.tx)
        .await?;
        let found = sqlx::query(
            "SELECT i.measure_urn, m.id AS answer_id, m.state, m.note, \
             (SELECT MIN(a.anchor) FROM catalogue_anchors a \
              WHERE a.catalogue_id = $3 AND a.urn = i.measure_urn) AS clause \
             FROM inspection_items i JOIN measure_statuses m ON m.id = i.answer_id \
             WHERE i.inspection_id = $1 AND i.unit_id = $2 AND m.state IN ('not', 'partly') \
             ORDER BY i.ord",
        )
        .bind(id.0)
        .bind(unit.0)
        .bind(inspection.catalogue.0)
        .fetch_all(&mut *write.tx)
        .await?;
        let mut findings = Vec::new();
        for row in &found {
            let Some(state) = state_of(row.try_get("state")?)? else {
                continue;
            };
            let Some(kind) = finding_of_answer(state) else {
                continue;
            };
            let inserted = sqlx::query(
                "INSERT INTO findings (source, inspection_id, unit_id, catalogue_id, measure_urn, \
                 clause, kind, description, answer_id, raised_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
            )
            .bind(FindingSource::Inspection.as_str())
            .bind(id.0)
            .bind(unit.0)
            .bind(inspection.catalogue.0)
            .bind(row.try_get::<String, _>("measure_urn")?)
            .bind(
                row.try_get::<Option<String>, _>("clause")?
                    .unwrap_or_default(),
            )
            .bind(kind.as_str())
            .bind(row.try_get::<String, _>("note")?)
            .bind(row.try_get::<i64, _>("answer_id")?)
            .bind(grant.actor().0)
            .bind(write.at_ms)
            .fetch_one(&mut *write.tx)
            .await?;
            findings.push(FindingId(inserted.try_get("id")?));
        }
        let signed = sqlx::query(&format!(
            "{UNIT_SELECT} WHERE s.inspection_id = $1 AND s.unit_id = $2"
        ))
        .bind(id.0)
        .bind(unit.0)
        .fetch_one(&mut *write.tx)
        .await?;
        let signed = unit_from(&signed)?;
        let event = origin
            .event("inspection.sign_off", "inspection", id.0)
            .in_unit(Some(unit))
            .with_detail(serde_json::json!({
                "unit": unit.0,
                "note": note,
                "findings": findings.iter().map(|f| f.0).collect::<Vec<_>>(),
            }));
        self.commit(write, event).await?;
        Ok((signed, findings))
    }

    async fn pending_inspection_units(&self) -> Result<Vec<PendingUnit>> {
        sqlx::query(
            "SELECT s.inspection_id, ins.title, ins.due_on, s.unit_id, un.name AS unit_name, \
             un.org_id, \
             (SELECT COUNT(*) FROM inspection_items i WHERE i.inspection_id = s.inspection_id \
              AND i.unit_id = s.unit_id) AS items, \
             (SELECT COUNT(*) FROM inspection_items i WHERE i.inspection_id = s.inspection_id \
              AND i.unit_id = s.unit_id AND i.answer_id IS NOT NULL) AS answered \
             FROM inspection_units s JOIN inspections ins ON ins.id = s.inspection_id \
             JOIN units un ON un.id = s.unit_id WHERE s.signed_at IS NULL \
             ORDER BY ins.due_on, s.inspection_id, un.name",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(PendingUnit {
                inspection: InspectionId(row.try_get("inspection_id")?),
                title: row.try_get("title")?,
                due_on: date_column(row, "due_on")?,
                unit: UnitId(row.try_get("unit_id")?),
                unit_name: row.try_get("unit_name")?,
                org: OrgId(row.try_get("org_id")?),
                items: row.try_get("items")?,
                answered: row.try_get("answered")?,
            })
        })
        .collect()
    }

    async fn findings(&self) -> Result<Vec<Finding>> {
        let mut findings: Vec<Finding> =
            sqlx::query(&format!("{FINDING_SELECT} ORDER BY f.id DESC"))
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(finding_from)
                .collect::<Result<_>>()?;
        let index: HashMap<FindingId, usize> = findings
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id, i))
            .collect();
        for action in self.actions().await? {
            if let Some(&i) = index.get(&action.finding) {
                findings[i].actions.push(action);
            }
        }
        Ok(findings)
    }

    async fn finding(&self, id: FindingId) -> Result<Option<Finding>> {
        let Some(row) = sqlx::query(&format!("{FINDING_SELECT} WHERE f.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let mut finding = finding_from(&row)?;
        finding.actions = sqlx::query(&format!(
            "{ACTION_SELECT} WHERE a.finding_id = $1 ORDER BY a.id"
        ))
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(action_from)
        .collect::<Result<_>>()?;
        Ok(Some(finding))
    }

    async fn raise_finding(
        &self,
        grant: &Granted<ManageFindings>,
        finding: NewFinding,
        origin: &Origin,
    ) -> Result<Finding> {
        let mut write = self.begin_write().await?;
        let stored = self
            .insert_finding(&mut write, grant.actor(), None, &finding)
            .await?;
        let event = origin
            .event("finding.raise", "finding", stored.id)
            .in_unit(Some(finding.unit))
            .with_detail(serde_json::json!({
                "kind": finding.kind.as_str(),
                "measure": finding.measure_urn,
                "clause": finding.clause,
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn grade_finding(
        &self,
        _: &Granted<ManageFindings>,
        id: FindingId,
        kind: FindingKind,
        description: &str,
        origin: &Origin,
    ) -> Result<Finding> {
        let mut write = self.begin_write().await?;
        let before = self.finding_in(&mut write, id).await?;
        if before.closed_at.is_some() {
            return Err(StoreError::Conflict(Conflict::FindingClosed));
        }
        sqlx::query(
            "UPDATE findings SET kind = $1, description = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(kind.as_str())
        .bind(description)
        .bind(write.at_ms)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await?;
        let stored = self.finding_in(&mut write, id).await?;
        let event = origin
            .event("finding.grade", "finding", id)
            .in_unit(Some(before.unit))
            .with_detail(serde_json::json!({
                "from": before.kind.as_str(),
                "to": kind.as_str(),
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn plan_action(
        &self,
        _: &Granted<PlanCorrectiveAction>,
        action: NewAction,
        origin: &Origin,
    ) -> Result<CorrectiveAction> {
        let mut write = self.begin_write().await?;
        let finding = self.finding_in(&mut write, action.finding).await?;
        if finding.closed_at.is_some() {
            return Err(StoreError::Conflict(Conflict::FindingClosed));
        }
        let owner = sqlx::query("SELECT id FROM people WHERE id = $1")
            .bind(action.owner.0)
            .fetch_optional(&mut *write.tx)
            .await?;
        if owner.is_none() {
            return Err(StoreError::Conflict(Conflict::ActionOwnerMissing));
        }
        let row = sqlx::query(
            "INSERT INTO corrective_actions (finding_id, description, owner_id, due_on, state, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(action.finding.0)
        .bind(&action.description)
        .bind(action.owner.0)
        .bind(day(action.due_on))
        .bind(ActionState::Open.as_str())
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await?;
        let id = ActionId(row.try_get("id")?);
        let stored = self.action_in(&mut write, id).await?;
        let event = origin
            .event("action.plan", "corrective_action", id)
            .in_unit(Some(finding.unit))
            .with_detail(serde_json::json!({
                "finding": action.finding.0,
                "owner": action.owner.0,
                "due_on": day(action.due_on),
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn action(&self, id: ActionId) -> Result<Option<CorrectiveAction>> {
        sqlx::query(&format!("{ACTION_SELECT} WHERE a.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(action_from)
            .transpose()
    }

    async fn actions(&self) -> Result<Vec<CorrectiveAction>> {
        sqlx::query(&format!("{ACTION_SELECT} ORDER BY a.due_on, a.id"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(action_from)
            .collect()
    }

    async fn complete_action(
        &self,
        grant: &Granted<CompleteCorrectiveAction>,
        id: ActionId,
        note: &str,
        origin: &Origin,
    ) -> Result<CorrectiveAction> {
        let mut write = self.begin_write().await?;
        let before = self.action_in(&mut write, id).await?;
        if before.state != ActionState::Open {
            return Err(StoreError::Conflict(Conflict::ActionWrongState));
        }
        sqlx::query(
            "UPDATE corrective_actions SET state = $1, done_by = $2, done_at = $3, \
             done_note = $4, updated_at = $3 WHERE id = $5",
        )
        .bind(ActionState::Done.as_str())
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .bind(note)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await?;
        let stored = self.action_in(&mut write, id).await?;
        let event = origin
            .event("action.complete", "corrective_action", id)
            .in_unit(Some(before.unit))
            .with_detail(serde_json::json!({ "finding": before.finding.0 }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn verify_action(
        &self,
        grant: &Granted<VerifyCorrectiveAction>,
        id: ActionId,
        accepted: bool,
        note: &str,
        origin: &Origin,
    ) -> Result<CorrectiveAction> {
        let mut write = self.begin_write().await?;
        let before = self.action_in(&mut write, id).await?;
        if before.state != ActionState::Done {
            return Err(StoreError::Conflict(Conflict::ActionWrongState));
        }
        let verifier: i64 = sqlx::query("SELECT person_id FROM users WHERE id = $1")
            .bind(grant.actor().0)
            .fetch_one(&mut *write.tx)
            .await?
            .try_get("person_id")?;
        if verifier == before.owner.0 {
            return Err(StoreError::Conflict(Conflict::ActionVerifierIsOwner));
        }
        let (state, verified_by, verified_at) = if accepted {
            (
                ActionState::Verified,
                Some(grant.actor().0),
                Some(write.at_ms),
            )
        } else {
            (ActionState::Open, None, None)
        };
        sqlx::query(
            "UPDATE corrective_actions SET state = $1, verified_by = $2, verified_at = $3, \
             verify_note = $4, updated_at = $5 WHERE id = $6",
        )
        .bind(state.as_str())
        .bind(verified_by)
        .bind(verified_at)
        .bind(note)
        .bind(write.at_ms)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await?;
        // A finding closes when every one of its actions is verified.
        let unverified: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM corrective_actions WHERE finding_id = $1 AND state <> $2",
        )
        .bind(before.finding.0)
        .bind(ActionState::Verified.as_str())
        .fetch_one(&mut *write.tx)
        .await?
        .try_get("n")?;
        let closes = accepted && unverified == 0;
        if closes {
            sqlx::query("UPDATE findings SET closed_at = $1, updated_at = $1 WHERE id = $2")
                .bind(write.at_ms)
                .bind(before.finding.0)
                .execute(&mut *write.tx)
                .await?;
        }
        let stored = self.action_in(&mut write, id).await?;
        let event = origin
            .event("action.verify", "corrective_action", id)
            .in_unit(Some(before.unit))
            .with_detail(serde_json::json!({
                "finding": before.finding.0,
                "accepted": accepted,
                "note": note,
                "finding_closed": closes,
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }
}
