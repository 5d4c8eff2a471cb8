//! Risks on SQL: the threats, the matrix in force (one row of JSON), and the register with its
//! links to assets, threats and measures. Each risk keeps its levels, computed by core's matrix
//! whenever the risk or the matrix changes, so that the register filters and sorts in SQL.

use std::collections::HashMap;

use chrono::NaiveDate;
use mamori_core::authz::{AcceptRisk, Granted, ManageRisks, ManageThreats};
use mamori_core::risk::{
    Level, Rating, RiskMatrix, Threat, ThreatCategory, Treatment, builtin_threats, decisive,
};
use mamori_core::{OrgId, PersonId, UnitId, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::{SqlStore, Write, conflict, opt_id};
use crate::{
    Acceptance, Conflict, Origin, Result, Risk, RiskId, RiskInput, RiskStore, StoreError,
    StoredThreat,
};

const RISK_SELECT: &str = "SELECT r.id, r.title, r.description, r.unit_id, un.name AS unit_name, \
     un.org_id, r.owner_id, p.name AS owner_name, r.likelihood, r.impact, r.inherent_level, \
     r.residual_likelihood, r.residual_impact, r.residual_level, r.level, r.treatment, \
     r.review_on, r.accepted_by, u.username AS accepted_name, r.accepted_at, r.acceptance_note, \
     r.created_at, r.updated_at \
     FROM risks r JOIN units un ON un.id = r.unit_id JOIN people p ON p.id = r.owner_id \
     LEFT JOIN users u ON u.id = r.accepted_by";

fn decode(what: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("invalid {what} in the risk register").into(),
    ))
}

fn level_of(raw: &str) -> Result<Level> {
    Level::parse(raw).ok_or_else(|| decode("level"))
}

fn rank(level: Level) -> i64 {
    Level::ALL.iter().position(|l| *l == level).unwrap_or(0) as i64
}

fn step(row: &AnyRow, column: &str) -> Result<u8> {
    u8::try_from(row.try_get::<i64, _>(column)?).map_err(|_| decode(column))
}

fn threat_from(row: &AnyRow) -> Result<StoredThreat> {
    let category: String = row.try_get("category")?;
    Ok(StoredThreat {
        id: row.try_get("id")?,
        threat: Threat {
            code: row.try_get("code")?,
            name_ja: row.try_get("name_ja")?,
            name_en: row.try_get("name_en")?,
            category: ThreatCategory::parse(&category).ok_or_else(|| decode("category"))?,
        },
        updated_at: row.try_get("updated_at")?,
    })
}

fn risk_from(row: &AnyRow) -> Result<Risk> {
    let residual = match (
        opt_id(row, "residual_likelihood")?,
        opt_id(row, "residual_impact")?,
    ) {
        (Some(l), Some(i)) => Some(Rating {
            likelihood: u8::try_from(l).map_err(|_| decode("residual"))?,
            impact: u8::try_from(i).map_err(|_| decode("residual"))?,
        }),
        _ => None,
    };
    let treatment: String = row.try_get("treatment")?;
    let review_on: String = row.try_get("review_on")?;
    let accepted = match (opt_id(row, "accepted_by")?, opt_id(row, "accepted_at")?) {
        (Some(by), Some(at_ms)) => Some(Acceptance {
            by: UserId(by),
            by_name: row
                .try_get::<Option<String>, _>("accepted_name")?
                .unwrap_or_default(),
            at_ms,
            note: row.try_get("acceptance_note")?,
        }),
        _ => None,
    };
    Ok(Risk {
        id: RiskId(row.try_get("id")?),
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        unit: UnitId(row.try_get("unit_id")?),
        unit_name: row.try_get("unit_name")?,
        org: OrgId(row.try_get("org_id")?),
        owner: PersonId(row.try_get("owner_id")?),
        owner_name: row.try_get("owner_name")?,
        assets: Vec::new(),
        threats: Vec::new(),
        measures: Vec::new(),
        inherent: Rating {
            likelihood: step(row, "likelihood")?,
            impact: step(row, "impact")?,
        },
        inherent_level: level_of(&row.try_get::<String, _>("inherent_level")?)?,
        residual,
        residual_level: row
            .try_get::<Option<String>, _>("residual_level")?
            .map(|l| level_of(&l))
            .transpose()?,
        level: level_of(&row.try_get::<String, _>("level")?)?,
        treatment: Treatment::parse(&treatment).ok_or_else(|| decode("treatment"))?,
        review_on: NaiveDate::parse_from_str(&review_on, "%Y-%m-%d")
            .map_err(|_| decode("review date"))?,
        accepted,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The levels of a risk's ratings on a matrix: inherent, residual, decisive.
fn levels(
    matrix: &RiskMatrix,
    inherent: Rating,
    residual: Option<Rating>,
) -> Option<(Level, Option<Level>, Level)> {
    let inherent = matrix.level(inherent)?;
    let residual = match residual {
        Some(r) => Some(matrix.level(r)?),
        None => None,
    };
    Some((inherent, residual, decisive(inherent, residual)))
}

async fn matrix_in(tx: &mut Transaction<'static, Any>) -> Result<RiskMatrix> {
    let row = sqlx::query("SELECT matrix FROM risk_settings WHERE id = 1")
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        Some(row) => {
            serde_json::from_str(&row.try_get::<String, _>("matrix")?).map_err(|_| decode("matrix"))
        }
        None => Ok(RiskMatrix::default()),
    }
}

/// Fills each risk's links, in three statements for any number of risks.
async fn with_links(store: &SqlStore, mut risks: Vec<Risk>) -> Result<Vec<Risk>> {
    if risks.is_empty() {
        return Ok(risks);
    }
    let index: HashMap<i64, usize> = risks.iter().enumerate().map(|(i, r)| (r.id.0, i)).collect();
    for (sql, kind) in [
        (
            "SELECT risk_id, asset_id FROM risk_assets ORDER BY risk_id, asset_id",
            0,
        ),
        (
            "SELECT rt.risk_id, t.code FROM risk_threats rt JOIN threats t ON t.id = rt.threat_id \
             ORDER BY rt.risk_id, t.code",
            1,
        ),
        (
            "SELECT risk_id, measure_urn FROM risk_measures ORDER BY risk_id, measure_urn",
            2,
        ),
    ] {
        for row in sqlx::query(sql).fetch_all(&store.pool).await? {
            let Some(&i) = index.get(&row.try_get::<i64, _>("risk_id")?) else {
                continue;
            };
            match kind {
                0 => risks[i].assets.push(row.try_get("asset_id")?),
                1 => risks[i].threats.push(row.try_get("code")?),
                _ => risks[i].measures.push(row.try_get("measure_urn")?),
            }
        }
    }
    Ok(risks)
}

impl SqlStore {
    /// Fills the threats of seed §3 at first start (nothing to audit: nobody did it).
    pub(super) async fn initialise_threats(&self) -> Result<()> {
        let present = sqlx::query("SELECT COUNT(*) AS n FROM threats")
            .fetch_one(&self.pool)
            .await?
            .try_get::<i64, _>("n")?;
        if present > 0 {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for threat in builtin_threats() {
            sqlx::query(
                "INSERT INTO threats (code, name_ja, name_en, category, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 0, 0) ON CONFLICT (code) DO NOTHING",
            )
            .bind(&threat.code)
            .bind(&threat.name_ja)
            .bind(&threat.name_en)
            .bind(threat.category.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn risk_in(&self, write: &mut Write, id: RiskId) -> Result<Risk> {
        let row = sqlx::query(&format!("{RISK_SELECT} WHERE r.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        risk_from(&row)
    }

    /// Checks a risk's links against what exists and writes its row and links; answers the
    /// levels written.
    async fn write_risk(
        &self,
        write: &mut Write,
        id: Option<RiskId>,
        input: &RiskInput,
    ) -> Result<(RiskId, Level)> {
        let unit = sqlx::query("SELECT id FROM units WHERE id = $1")
            .bind(input.unit.0)
            .fetch_optional(&mut *write.tx)
            .await?;
        if unit.is_none() {
            return Err(StoreError::Conflict(Conflict::RiskUnitMissing));
        }
        let owner = sqlx::query("SELECT id FROM people WHERE id = $1")
            .bind(input.owner.0)
            .fetch_optional(&mut *write.tx)
            .await?;
        if owner.is_none() {
            return Err(StoreError::Conflict(Conflict::RiskOwnerMissing));
        }
        let mut assets = input.assets.clone();
        assets.sort_unstable();
        assets.dedup();
        for asset in &assets {
            let found = sqlx::query("SELECT id FROM assets WHERE id = $1")
                .bind(asset)
                .fetch_optional(&mut *write.tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::Conflict(Conflict::RiskAssetMissing));
            }
        }
        let mut threats = Vec::new();
        for code in &input.threats {
            let row = sqlx::query("SELECT id FROM threats WHERE code = $1")
                .bind(code)
                .fetch_optional(&mut *write.tx)
                .await?
                .ok_or(StoreError::Conflict(Conflict::RiskThreatMissing))?;
            threats.push(row.try_get::<i64, _>("id")?);
        }
        threats.sort_unstable();
        threats.dedup();
        let mut measures = input.measures.clone();
        measures.sort();
        measures.dedup();
        for urn in &measures {
            let found = sqlx::query(
                "SELECT 1 AS found FROM catalogue_nodes WHERE urn = $1 AND assessable = 1",
            )
            .bind(urn)
            .fetch_optional(&mut *write.tx)
            .await?;
            if found.is_none() {
                return Err(StoreError::Conflict(Conflict::RiskMeasureMissing));
            }
        }
        let matrix = matrix_in(&mut write.tx).await?;
        // The caller checked the ratings against the matrix it read; one set since is refused.
        let (inherent, residual, level) = levels(&matrix, input.inherent, input.residual)
            .ok_or(StoreError::Conflict(Conflict::RiskMatrixInvalid))?;
        let residual_rating = input.residual;
        let id = match id {
            Some(id) => {
                sqlx::query(
                    "UPDATE risks SET title = $1, description = $2, unit_id = $3, owner_id = $4, \
                     likelihood = $5, impact = $6, inherent_level = $7, residual_likelihood = $8, \
                     residual_impact = $9, residual_level = $10, level = $11, level_rank = $12, \
                     treatment = $13, review_on = $14, accepted_by = NULL, accepted_at = NULL, \
                     acceptance_note = '', updated_at = $15 WHERE id = $16",
                )
                .bind(&input.title)
                .bind(&input.description)
                .bind(input.unit.0)
                .bind(input.owner.0)
                .bind(i64::from(input.inherent.likelihood))
                .bind(i64::from(input.inherent.impact))
                .bind(inherent.as_str())
                .bind(residual_rating.map(|r| i64::from(r.likelihood)))
                .bind(residual_rating.map(|r| i64::from(r.impact)))
                .bind(residual.map(Level::as_str))
                .bind(level.as_str())
                .bind(rank(level))
                .bind(input.treatment.as_str())
                .bind(input.review_on.format("%Y-%m-%d").to_string())
                .bind(write.at_ms)
                .bind(id.0)
                .execute(&mut *write.tx)
                .await?;
                for table in ["risk_assets", "risk_threats", "risk_measures"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE risk_id = $1"))
                        .bind(id.0)
                        .execute(&mut *write.tx)
                        .await?;
                }
                id
            }
            None => {
                let row = sqlx::query(
                    "INSERT INTO risks (title, description, unit_id, owner_id, likelihood, impact, \
                     inherent_level, residual_likelihood, residual_impact, residual_level, level, \
                     level_rank, treatment, review_on, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) \
                     RETURNING id",
                )
                .bind(&input.title)
                .bind(&input.description)
                .bind(input.unit.0)
                .bind(input.owner.0)
                .bind(i64::from(input.inherent.likelihood))
                .bind(i64::from(input.inherent.impact))
                .bind(inherent.as_str())
                .bind(residual_rating.map(|r| i64::from(r.likelihood)))
                .bind(residual_rating.map(|r| i64::from(r.impact)))
                .bind(residual.map(Level::as_str))
                .bind(level.as_str())
                .bind(rank(level))
                .bind(input.treatment.as_str())
                .bind(input.review_on.format("%Y-%m-%d").to_string())
                .bind(write.at_ms)
                .fetch_one(&mut *write.tx)
                .await?;
                RiskId(row.try_get("id")?)
            }
        };
        for asset in &assets {
            sqlx::query("INSERT INTO risk_assets (risk_id, asset_id) VALUES ($1, $2)")
                .bind(id.0)
                .bind(asset)
                .execute(&mut *write.tx)
                .await?;
        }
        for threat in &threats {
            sqlx::query("INSERT INTO risk_threats (risk_id, threat_id) VALUES ($1, $2)")
                .bind(id.0)
                .bind(threat)
                .execute(&mut *write.tx)
                .await?;
        }
        for urn in &measures {
            sqlx::query("INSERT INTO risk_measures (risk_id, measure_urn) VALUES ($1, $2)")
                .bind(id.0)
                .bind(urn)
                .execute(&mut *write.tx)
                .await?;
        }
        Ok((id, level))
    }

    async fn stored_risk(&self, id: RiskId) -> Result<Risk> {
        self.risk(id).await?.ok_or(StoreError::NotFound)
    }
}

fn risk_detail(input: &RiskInput, level: Level) -> serde_json::Value {
    serde_json::json!({
        "title": input.title,
        "owner": input.owner.0,
        "likelihood": input.inherent.likelihood,
        "impact": input.inherent.impact,
        "residual": input.residual.map(|r| [r.likelihood, r.impact]),
        "level": level.as_str(),
        "treatment": input.treatment.as_str(),
        "review_on": input.review_on.to_string(),
        "assets": input.assets,
        "threats": input.threats,
        "measures": input.measures,
    })
}

#[async_trait::async_trait]
impl RiskStore for SqlStore {
    async fn threats(&self) -> Result<Vec<StoredThreat>> {
        sqlx::query(
            "SELECT id, code, name_ja, name_en, category, updated_at FROM threats ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(threat_from)
        .collect()
    }

    async fn create_threat(
        &self,
        _: &Granted<ManageThreats>,
        threat: Threat,
        origin: &Origin,
    ) -> Result<StoredThreat> {
        let mut write = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO threats (code, name_ja, name_en, category, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(&threat.code)
        .bind(&threat.name_ja)
        .bind(&threat.name_en)
        .bind(threat.category.as_str())
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::ThreatCodeTaken))?;
        let id: i64 = row.try_get("id")?;
        let at_ms = write.at_ms;
        let event = origin
            .event("threat.create", "threat", id)
            .with_detail(serde_json::json!({
                "code": threat.code,
                "name_ja": threat.name_ja,
                "name_en": threat.name_en,
                "category": threat.category.as_str(),
            }));
        self.commit(write, event).await?;
        Ok(StoredThreat {
            id,
            threat,
            updated_at: at_ms,
        })
    }

    async fn update_threat(
        &self,
        _: &Granted<ManageThreats>,
        id: i64,
        threat: Threat,
        origin: &Origin,
    ) -> Result<StoredThreat> {
        let mut write = self.begin_write().await?;
        let before = sqlx::query(
            "SELECT id, code, name_ja, name_en, category, updated_at FROM threats WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *write.tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let before = threat_from(&before)?;
        sqlx::query(
            "UPDATE threats SET code = $1, name_ja = $2, name_en = $3, category = $4, \
             updated_at = $5 WHERE id = $6",
        )
        .bind(&threat.code)
        .bind(&threat.name_ja)
        .bind(&threat.name_en)
        .bind(threat.category.as_str())
        .bind(write.at_ms)
        .bind(id)
        .execute(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::ThreatCodeTaken))?;
        let at_ms = write.at_ms;
        let event = origin
            .event("threat.update", "threat", id)
            .with_detail(serde_json::json!({
                "before": {"code": before.threat.code, "name_ja": before.threat.name_ja,
                           "name_en": before.threat.name_en,
                           "category": before.threat.category.as_str()},
                "after": {"code": threat.code, "name_ja": threat.name_ja,
                          "name_en": threat.name_en, "category": threat.category.as_str()},
            }));
        self.commit(write, event).await?;
        Ok(StoredThreat {
            id,
            threat,
            updated_at: at_ms,
        })
    }

    async fn risk_matrix(&self) -> Result<RiskMatrix> {
        let row = sqlx::query("SELECT matrix FROM risk_settings WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => serde_json::from_str(&row.try_get::<String, _>("matrix")?)
                .map_err(|_| decode("matrix")),
            None => Ok(RiskMatrix::default()),
        }
    }

    async fn set_risk_matrix(
        &self,
        _: &Granted<ManageThreats>,
        matrix: &RiskMatrix,
        origin: &Origin,
    ) -> Result<RiskMatrix> {
        matrix
            .validate()
            .map_err(|_| StoreError::Conflict(Conflict::RiskMatrixInvalid))?;
        let json = serde_json::to_string(matrix).map_err(|_| decode("matrix"))?;
        let mut write = self.begin_write().await?;
        let before = matrix_in(&mut write.tx).await?;
        sqlx::query(
            "INSERT INTO risk_settings (id, matrix, updated_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET matrix = excluded.matrix, updated_at = excluded.updated_at",
        )
        .bind(&json)
        .bind(write.at_ms)
        .execute(&mut *write.tx)
        .await?;
        let rows = sqlx::query(
            "SELECT id, likelihood, impact, residual_likelihood, residual_impact FROM risks",
        )
        .fetch_all(&mut *write.tx)
        .await?;
        let mut changed = 0;
        for row in rows {
            let inherent = Rating {
                likelihood: step(&row, "likelihood")?,
                impact: step(&row, "impact")?,
            };
            let residual = match (
                opt_id(&row, "residual_likelihood")?,
                opt_id(&row, "residual_impact")?,
            ) {
                (Some(l), Some(i)) => Some(Rating {
                    likelihood: u8::try_from(l).map_err(|_| decode("residual"))?,
                    impact: u8::try_from(i).map_err(|_| decode("residual"))?,
                }),
                _ => None,
            };
            let (inherent, residual, level) = levels(matrix, inherent, residual)
                .ok_or(StoreError::Conflict(Conflict::RiskMatrixInvalid))?;
            changed += sqlx::query(
                "UPDATE risks SET inherent_level = $1, residual_level = $2, level = $3, \
                 level_rank = $4 WHERE id = $5",
            )
            .bind(inherent.as_str())
            .bind(residual.map(Level::as_str))
            .bind(level.as_str())
            .bind(rank(level))
            .bind(row.try_get::<i64, _>("id")?)
            .execute(&mut *write.tx)
            .await?
            .rows_affected();
        }
        let event = origin
            .event("risk.matrix", "risk_matrix", 1)
            .with_detail(serde_json::json!({
                "before": before,
                "after": matrix,
                "risks": changed,
            }));
        self.commit(write, event).await?;
        Ok(matrix.clone())
    }

    async fn risks(&self) -> Result<Vec<Risk>> {
        let risks = sqlx::query(&format!("{RISK_SELECT} ORDER BY r.level_rank DESC, r.id"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(risk_from)
            .collect::<Result<Vec<_>>>()?;
        with_links(self, risks).await
    }

    async fn risk(&self, id: RiskId) -> Result<Option<Risk>> {
        let Some(row) = sqlx::query(&format!("{RISK_SELECT} WHERE r.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let mut risk = risk_from(&row)?;
        for row in sqlx::query("SELECT asset_id FROM risk_assets WHERE risk_id = $1 ORDER BY 1")
            .bind(id.0)
            .fetch_all(&self.pool)
            .await?
        {
            risk.assets.push(row.try_get("asset_id")?);
        }
        for row in sqlx::query(
            "SELECT t.code FROM risk_threats rt JOIN threats t ON t.id = rt.threat_id \
             WHERE rt.risk_id = $1 ORDER BY t.code",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?
        {
            risk.threats.push(row.try_get("code")?);
        }
        for row in
            sqlx::query("SELECT measure_urn FROM risk_measures WHERE risk_id = $1 ORDER BY 1")
                .bind(id.0)
                .fetch_all(&self.pool)
                .await?
        {
            risk.measures.push(row.try_get("measure_urn")?);
        }
        Ok(Some(risk))
    }

    async fn create_risk(
        &self,
        _: &Granted<ManageRisks>,
        input: RiskInput,
        origin: &Origin,
    ) -> Result<Risk> {
        if input.treatment == Treatment::Accept {
            return Err(StoreError::Conflict(Conflict::RiskAcceptanceReserved));
        }
        let mut write = self.begin_write().await?;
        let (id, level) = self.write_risk(&mut write, None, &input).await?;
        let event = origin
            .event("risk.create", "risk", id)
            .in_unit(Some(input.unit))
            .with_detail(risk_detail(&input, level));
        self.commit(write, event).await?;
        self.stored_risk(id).await
    }

    async fn update_risk(
        &self,
        _: &Granted<ManageRisks>,
        id: RiskId,
        input: RiskInput,
        origin: &Origin,
    ) -> Result<Risk> {
        if input.treatment == Treatment::Accept {
            return Err(StoreError::Conflict(Conflict::RiskAcceptanceReserved));
        }
        let mut write = self.begin_write().await?;
        let before = self.risk_in(&mut write, id).await?;
        let (_, level) = self.write_risk(&mut write, Some(id), &input).await?;
        let event = origin
            .event("risk.update", "risk", id)
            .in_unit(Some(input.unit))
            .with_detail(serde_json::json!({
                "before": {
                    "title": before.title,
                    "unit": before.unit.0,
                    "owner": before.owner.0,
                    "level": before.level.as_str(),
                    "treatment": before.treatment.as_str(),
                    "review_on": before.review_on.to_string(),
                    "accepted_by": before.accepted.as_ref().map(|a| a.by.0),
                },
                "after": risk_detail(&input, level),
            }));
        self.commit(write, event).await?;
        self.stored_risk(id).await
    }

    async fn accept_risk(
        &self,
        grant: &Granted<AcceptRisk>,
        id: RiskId,
        note: &str,
        origin: &Origin,
    ) -> Result<Risk> {
        let mut write = self.begin_write().await?;
        let risk = self.risk_in(&mut write, id).await?;
        let matrix = matrix_in(&mut write.tx).await?;
        let reserved = matrix.reserved(risk.level);
        // Segregation of duties, again where the data is: the grant was made for the risk as the
        // caller read it, and above the threshold only the CISO, not the owner, decides.
        if reserved {
            let ciso = sqlx::query(
                "SELECT u.person_id FROM users u JOIN role_assignments a \
                 ON a.person_id = u.person_id \
                 WHERE u.id = $1 AND a.role = 'ciso' AND a.scope_kind = 'global'",
            )
            .bind(grant.actor().0)
            .fetch_optional(&mut *write.tx)
            .await?;
            let allowed = match ciso {
                Some(row) => row.try_get::<i64, _>("person_id")? != risk.owner.0,
                None => false,
            };
            if !allowed {
                return Err(StoreError::Conflict(Conflict::RiskAcceptanceReserved));
            }
        }
        sqlx::query(
            "UPDATE risks SET treatment = 'accept', accepted_by = $1, accepted_at = $2, \
             acceptance_note = $3, updated_at = $2 WHERE id = $4",
        )
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .bind(note)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await?;
        let event = origin
            .event("risk.accept", "risk", id)
            .in_unit(Some(risk.unit))
            .with_detail(serde_json::json!({
                "level": risk.level.as_str(),
                "threshold": matrix.accept_threshold.as_str(),
                "reserved": reserved,
                "owner": risk.owner.0,
                "treatment_before": risk.treatment.as_str(),
                "note": note,
            }));
        self.commit(write, event).await?;
        self.stored_risk(id).await
    }
}
