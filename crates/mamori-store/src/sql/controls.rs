//! Control catalogues on SQL: the library as exported, its nodes in order with their anchors,
//! and the answers of the units (every answer kept, the current one marked).

use std::collections::BTreeMap;

use mamori_core::authz::{Granted, RecordMeasureStatus};
use mamori_core::classification::Classification;
use mamori_core::controls::{Catalogue, MeasureState, export_yaml, import_yaml};
use mamori_core::{OrgId, UnitId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{SqlStore, opt_id};
use crate::{
    Answer, AnswerState, CatalogueId, CatalogueSummary, Conflict, ControlStore, EvidenceFile,
    Importer, NewAnswer, Origin, Result, StoreError,
};

const SUMMARY_SELECT: &str = "SELECT c.id, c.urn, c.ref_id, c.name, c.version, c.created_at, \
     c.updated_at, (SELECT COUNT(*) FROM catalogue_nodes n \
                    WHERE n.catalogue_id = c.id AND n.assessable = 1) AS measures \
     FROM catalogues c";

const ANSWER_SELECT: &str = "SELECT m.id, m.catalogue_id, m.measure_urn, m.unit_id, m.state, \
     m.reason, m.note, m.link, m.file_name, m.file_sha256, m.file_size, m.user_id, \
     u.username AS by_name, m.at_ms \
     FROM measure_statuses m LEFT JOIN users u ON u.id = m.user_id";

fn decode(what: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("invalid {what} in the control catalogues").into(),
    ))
}

fn summary_from(row: &AnyRow) -> Result<CatalogueSummary> {
    Ok(CatalogueSummary {
        id: CatalogueId(row.try_get("id")?),
        urn: row.try_get("urn")?,
        ref_id: row.try_get("ref_id")?,
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        measures: row.try_get("measures")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(super) fn answer_from(row: &AnyRow) -> Result<Answer> {
    let state: String = row.try_get("state")?;
    let file = match (
        row.try_get::<Option<String>, _>("file_name")?,
        row.try_get::<Option<String>, _>("file_sha256")?,
        opt_id(row, "file_size")?,
    ) {
        (Some(name), Some(sha256), Some(size)) => Some(EvidenceFile { name, sha256, size }),
        _ => None,
    };
    Ok(Answer {
        id: row.try_get("id")?,
        catalogue: CatalogueId(row.try_get("catalogue_id")?),
        measure_urn: row.try_get("measure_urn")?,
        unit: UnitId(row.try_get("unit_id")?),
        state: MeasureState::parse(&state).ok_or_else(|| decode("state"))?,
        reason: row.try_get("reason")?,
        note: row.try_get("note")?,
        link: row.try_get("link")?,
        file,
        by: opt_id(row, "user_id")?.map(UserId),
        by_name: row.try_get("by_name")?,
        at_ms: row.try_get("at_ms")?,
    })
}

#[async_trait::async_trait]
impl ControlStore for SqlStore {
    async fn catalogues(&self) -> Result<Vec<CatalogueSummary>> {
        sqlx::query(&format!("{SUMMARY_SELECT} ORDER BY c.name, c.id"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(summary_from)
            .collect()
    }

    async fn catalogue_summary(&self, id: CatalogueId) -> Result<Option<CatalogueSummary>> {
        sqlx::query(&format!("{SUMMARY_SELECT} WHERE c.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(summary_from)
            .transpose()
    }

    async fn catalogue(&self, id: CatalogueId) -> Result<Option<(CatalogueSummary, Catalogue)>> {
        let Some(summary) = self.catalogue_summary(id).await? else {
            return Ok(None);
        };
        let source: String = sqlx::query("SELECT source FROM catalogues WHERE id = $1")
            .bind(id.0)
            .fetch_one(&self.pool)
            .await?
            .try_get("source")?;
        // What was stored was written by the export of a valid catalogue.
        let catalogue = import_yaml(source.as_bytes()).map_err(|_| decode("source"))?;
        Ok(Some((summary, catalogue)))
    }

    async fn catalogue_by_urn(&self, urn: &str) -> Result<Option<CatalogueSummary>> {
        sqlx::query(&format!("{SUMMARY_SELECT} WHERE c.urn = $1"))
            .bind(urn)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(summary_from)
            .transpose()
    }

    async fn import_catalogue(
        &self,
        _: Importer<'_>,
        catalogue: &Catalogue,
        origin: &Origin,
    ) -> Result<(CatalogueSummary, bool)> {
        let info = catalogue.info();
        let source = export_yaml(catalogue);
        let mut write = self.begin_write().await?;
        let existing = sqlx::query("SELECT id FROM catalogues WHERE urn = $1")
            .bind(&info.urn)
            .fetch_optional(&mut *write.tx)
            .await?;
        let (id, created) = match existing {
            Some(row) => {
                let id: i64 = row.try_get("id")?;
                sqlx::query(
                    "UPDATE catalogues SET ref_id = $1, name = $2, version = $3, source = $4, \
                     updated_at = $5 WHERE id = $6",
                )
                .bind(&info.ref_id)
                .bind(&info.name)
                .bind(i64::from(info.version))
                .bind(&source)
                .bind(write.at_ms)
                .bind(id)
                .execute(&mut *write.tx)
                .await?;
                for table in ["catalogue_nodes", "catalogue_anchors"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE catalogue_id = $1"))
                        .bind(id)
                        .execute(&mut *write.tx)
                        .await?;
                }
                (id, false)
            }
            None => {
                let row = sqlx::query(
                    "INSERT INTO catalogues (urn, ref_id, name, version, source, created_at, \
                     updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                )
                .bind(&info.urn)
                .bind(&info.ref_id)
                .bind(&info.name)
                .bind(i64::from(info.version))
                .bind(&source)
                .bind(write.at_ms)
                .fetch_one(&mut *write.tx)
                .await?;
                (row.try_get("id")?, true)
            }
        };
        for (ord, node) in catalogue.nodes().iter().enumerate() {
            sqlx::query(
                "INSERT INTO catalogue_nodes (catalogue_id, ord, urn, ref_id, parent_urn, depth, \
                 assessable, chapter, applies_to, name) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(id)
            .bind(ord as i64)
            .bind(&node.urn)
            .bind(node.ref_id.as_deref().unwrap_or_default())
            .bind(node.parent_urn.as_deref())
            .bind(i64::from(node.depth))
            .bind(i64::from(node.assessable))
            .bind(node.chapter.map(|c| c.code()))
            .bind(node.applies_to.code())
            .bind(node.name.as_deref().unwrap_or_default())
            .execute(&mut *write.tx)
            .await?;
            for anchor in &node.implements {
                sqlx::query(
                    "INSERT INTO catalogue_anchors (catalogue_id, urn, anchor) VALUES ($1, $2, $3)",
                )
                .bind(id)
                .bind(&node.urn)
                .bind(anchor)
                .execute(&mut *write.tx)
                .await?;
            }
        }
        let measures = catalogue.measures().count();
        let event = origin
            .event("controls.catalogue.import", "catalogue", id)
            .with_detail(serde_json::json!({
                "urn": info.urn,
                "name": info.name,
                "version": info.version,
                "nodes": catalogue.nodes().len(),
                "measures": measures,
                "replaced": !created,
            }));
        self.commit(write, event).await?;
        let summary = self
            .catalogue_summary(CatalogueId(id))
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((summary, created))
    }

    async fn record_answer(
        &self,
        grant: &Granted<RecordMeasureStatus>,
        answer: NewAnswer,
        origin: &Origin,
    ) -> Result<Answer> {
        let mut write = self.begin_write().await?;
        let measure = sqlx::query(
            "SELECT ref_id FROM catalogue_nodes \
             WHERE catalogue_id = $1 AND urn = $2 AND assessable = 1",
        )
        .bind(answer.catalogue.0)
        .bind(&answer.measure_urn)
        .fetch_optional(&mut *write.tx)
        .await?
        .ok_or(StoreError::Conflict(Conflict::MeasureMissing))?;
        let ref_id: String = measure.try_get("ref_id")?;
        let unit = sqlx::query("SELECT id FROM units WHERE id = $1")
            .bind(answer.unit.0)
            .fetch_optional(&mut *write.tx)
            .await?;
        if unit.is_none() {
            return Err(StoreError::Conflict(Conflict::MeasureUnitMissing));
        }
        sqlx::query(
            "UPDATE measure_statuses SET current = 0 \
             WHERE catalogue_id = $1 AND measure_urn = $2 AND unit_id = $3 AND current = 1",
        )
        .bind(answer.catalogue.0)
        .bind(&answer.measure_urn)
        .bind(answer.unit.0)
        .execute(&mut *write.tx)
        .await?;
        let file = answer.file.as_ref();
        let row = sqlx::query(
            "INSERT INTO measure_statuses (catalogue_id, measure_urn, unit_id, state, reason, \
             note, link, file_name, file_sha256, file_size, user_id, at_ms, current) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1) RETURNING id",
        )
        .bind(answer.catalogue.0)
        .bind(&answer.measure_urn)
        .bind(answer.unit.0)
        .bind(answer.state.as_str())
        .bind(&answer.reason)
        .bind(&answer.note)
        .bind(&answer.link)
        .bind(file.map(|f| f.name.clone()))
        .bind(file.map(|f| f.sha256.clone()))
        .bind(file.map(|f| f.size))
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        let filled = Self::fill_open_items(
            &mut write,
            answer.catalogue,
            &answer.measure_urn,
            answer.unit,
            id,
            answer.state,
        )
        .await?;
        let stored = sqlx::query(&format!("{ANSWER_SELECT} WHERE m.id = $1"))
            .bind(id)
            .fetch_one(&mut *write.tx)
            .await?;
        let stored = answer_from(&stored)?;
        let event = origin
            .event("controls.answer", "measure", &answer.measure_urn)
            .in_unit(Some(answer.unit))
            .with_detail(serde_json::json!({
                "catalogue": answer.catalogue.0,
                "measure": ref_id,
                "state": answer.state.as_str(),
                "reason": answer.reason,
                "link": answer.link,
                "file_sha256": file.map(|f| f.sha256.clone()),
                "inspection_items": filled,
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn answers(&self, catalogue: CatalogueId, unit: Option<UnitId>) -> Result<Vec<Answer>> {
        let sql = format!(
            "{ANSWER_SELECT} WHERE m.catalogue_id = $1 AND m.current = 1 \
             AND ($2 = 0 OR m.unit_id = $2) ORDER BY m.unit_id, m.measure_urn"
        );
        sqlx::query(&sql)
            .bind(catalogue.0)
            .bind(unit.map_or(0, |u| u.0))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(answer_from)
            .collect()
    }

    async fn answer_states(&self, catalogue: CatalogueId) -> Result<Vec<AnswerState>> {
        // Four columns and no join or order: the rows are many (measures × units) and every
        // column costs its decoding.
        sqlx::query(
            "SELECT measure_urn, unit_id, state, \
             CASE WHEN note <> '' OR link <> '' OR (file_name IS NOT NULL \
             AND file_sha256 IS NOT NULL AND file_size IS NOT NULL) THEN at_ms END AS evidence_at \
             FROM measure_statuses WHERE catalogue_id = $1 AND current = 1",
        )
        .bind(catalogue.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let state: String = row.try_get("state")?;
            Ok(AnswerState {
                measure_urn: row.try_get("measure_urn")?,
                unit: UnitId(row.try_get("unit_id")?),
                state: MeasureState::parse(&state).ok_or_else(|| decode("state"))?,
                evidence_at: opt_id(row, "evidence_at")?,
            })
        })
        .collect()
    }

    async fn answer(&self, id: i64) -> Result<Option<Answer>> {
        sqlx::query(&format!("{ANSWER_SELECT} WHERE m.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(answer_from)
            .transpose()
    }

    async fn answer_history(
        &self,
        catalogue: CatalogueId,
        measure_urn: &str,
        unit: UnitId,
    ) -> Result<Vec<Answer>> {
        sqlx::query(&format!(
            "{ANSWER_SELECT} WHERE m.catalogue_id = $1 AND m.measure_urn = $2 AND m.unit_id = $3 \
             ORDER BY m.id DESC"
        ))
        .bind(catalogue.0)
        .bind(measure_urn)
        .bind(unit.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(answer_from)
        .collect()
    }

    async fn unit_assets(&self) -> Result<Vec<crate::UnitAssets>> {
        let mut units: BTreeMap<i64, crate::UnitAssets> = BTreeMap::new();
        for row in sqlx::query("SELECT id, org_id, name FROM units ORDER BY id")
            .fetch_all(&self.pool)
            .await?
        {
            let id: i64 = row.try_get("id")?;
            units.insert(
                id,
                crate::UnitAssets {
                    unit: UnitId(id),
                    org: OrgId(row.try_get("org_id")?),
                    name: row.try_get("name")?,
                    classes: Vec::new(),
                    segments: Vec::new(),
                },
            );
        }
        for row in sqlx::query(
            "SELECT DISTINCT owner_unit_id, confidentiality, integrity, availability \
             FROM assets WHERE lifecycle <> 'disposed'",
        )
        .fetch_all(&self.pool)
        .await?
        {
            if let Some(unit) = units.get_mut(&row.try_get::<i64, _>("owner_unit_id")?) {
                unit.classes.push(Classification {
                    confidentiality: row.try_get("confidentiality")?,
                    integrity: row.try_get("integrity")?,
                    availability: row.try_get("availability")?,
                });
            }
        }
        for row in sqlx::query(
            "SELECT DISTINCT a.owner_unit_id, s.code FROM assets a \
             JOIN segments s ON s.id = a.segment_id WHERE a.lifecycle <> 'disposed'",
        )
        .fetch_all(&self.pool)
        .await?
        {
            if let Some(unit) = units.get_mut(&row.try_get::<i64, _>("owner_unit_id")?) {
                unit.segments.push(row.try_get("code")?);
            }
        }
        Ok(units.into_values().collect())
    }

    async fn find_measure(&self, urn_or_code: &str) -> Result<Option<(CatalogueId, String)>> {
        let raw = urn_or_code.trim();
        sqlx::query(
            "SELECT catalogue_id, urn FROM catalogue_nodes WHERE assessable = 1 \
             AND (urn = $1 OR ref_id = $2) ORDER BY catalogue_id LIMIT 1",
        )
        .bind(raw.to_ascii_lowercase())
        .bind(raw)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| {
            Ok((
                CatalogueId(row.try_get("catalogue_id")?),
                row.try_get("urn")?,
            ))
        })
        .transpose()
    }
}
