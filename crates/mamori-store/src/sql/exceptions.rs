//! 例外措置 on SQL: each exception with its measure, unit, dates and decision.

use mamori_core::authz::{DecideException, Granted, RequestException};
use mamori_core::exception::ExceptionState;
use mamori_core::notice::NoticeKind;
use mamori_core::{OrgId, Role, UnitId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{SqlStore, Write, date_column, day, day_of, opt_id};
use crate::{
    Audience, CatalogueId, Conflict, ExceptionId, ExceptionStore, MeasureException, NewException,
    Origin, Result, StoreError,
};

const EXCEPTION_SELECT: &str = "SELECT e.id, e.catalogue_id, e.measure_urn, \
     n.ref_id AS measure_code, n.name AS measure_name, e.unit_id, un.name AS unit_name, \
     un.org_id, e.reason, e.compensating, e.until, e.emergency, e.taken_on, e.state, \
     e.requested_by, r.username AS requested_name, e.requested_at, d.username AS decided_name, \
     e.decided_at, e.decision_note \
     FROM measure_exceptions e JOIN units un ON un.id = e.unit_id \
     LEFT JOIN catalogue_nodes n ON n.catalogue_id = e.catalogue_id AND n.urn = e.measure_urn \
     LEFT JOIN users r ON r.id = e.requested_by LEFT JOIN users d ON d.id = e.decided_by";

fn decode(what: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("invalid {what} in the exceptions").into(),
    ))
}

fn exception_from(row: &AnyRow) -> Result<MeasureException> {
    let state: String = row.try_get("state")?;
    Ok(MeasureException {
        id: ExceptionId(row.try_get("id")?),
        catalogue: CatalogueId(row.try_get("catalogue_id")?),
        measure_urn: row.try_get("measure_urn")?,
        measure_code: row
            .try_get::<Option<String>, _>("measure_code")?
            .unwrap_or_default(),
        measure_name: row
            .try_get::<Option<String>, _>("measure_name")?
            .unwrap_or_default(),
        unit: UnitId(row.try_get("unit_id")?),
        unit_name: row.try_get("unit_name")?,
        org: OrgId(row.try_get("org_id")?),
        reason: row.try_get("reason")?,
        compensating: row.try_get("compensating")?,
        until: date_column(row, "until")?,
        emergency: row.try_get::<i64, _>("emergency")? != 0,
        taken_on: row
            .try_get::<Option<String>, _>("taken_on")?
            .map(|d| day_of(&d, "taken_on"))
            .transpose()?,
        state: ExceptionState::parse(&state).ok_or_else(|| decode("state"))?,
        requested_by: opt_id(row, "requested_by")?.map(UserId),
        requested_by_name: row.try_get("requested_name")?,
        requested_at: row.try_get("requested_at")?,
        decided_by_name: row.try_get("decided_name")?,
        decided_at: opt_id(row, "decided_at")?,
        decision_note: row.try_get("decision_note")?,
    })
}

impl SqlStore {
    async fn exception_in(&self, write: &mut Write, id: ExceptionId) -> Result<MeasureException> {
        let row = sqlx::query(&format!("{EXCEPTION_SELECT} WHERE e.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        exception_from(&row)
    }
}

#[async_trait::async_trait]
impl ExceptionStore for SqlStore {
    async fn measure_exceptions(&self) -> Result<Vec<MeasureException>> {
        sqlx::query(&format!("{EXCEPTION_SELECT} ORDER BY e.id DESC"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(exception_from)
            .collect()
    }

    async fn measure_exception(&self, id: ExceptionId) -> Result<Option<MeasureException>> {
        sqlx::query(&format!("{EXCEPTION_SELECT} WHERE e.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(exception_from)
            .transpose()
    }

    async fn request_exception(
        &self,
        grant: &Granted<RequestException>,
        exception: NewException,
        origin: &Origin,
    ) -> Result<MeasureException> {
        let mut write = self.begin_write().await?;
        let measure = sqlx::query(
            "SELECT 1 AS found FROM catalogue_nodes \
             WHERE catalogue_id = $1 AND urn = $2 AND assessable = 1",
        )
        .bind(exception.catalogue.0)
        .bind(&exception.measure_urn)
        .fetch_optional(&mut *write.tx)
        .await?;
        let unit = sqlx::query("SELECT id FROM units WHERE id = $1")
            .bind(exception.unit.0)
            .fetch_optional(&mut *write.tx)
            .await?;
        if measure.is_none() || unit.is_none() {
            return Err(StoreError::Conflict(Conflict::ExceptionScopeMissing));
        }
        let state = if exception.taken_on.is_some() {
            ExceptionState::Emergency
        } else {
            ExceptionState::Requested
        };
        let row = sqlx::query(
            "INSERT INTO measure_exceptions (catalogue_id, measure_urn, unit_id, reason, \
             compensating, until, emergency, taken_on, state, requested_by, requested_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(exception.catalogue.0)
        .bind(&exception.measure_urn)
        .bind(exception.unit.0)
        .bind(&exception.reason)
        .bind(&exception.compensating)
        .bind(day(exception.until))
        .bind(i64::from(exception.taken_on.is_some()))
        .bind(exception.taken_on.map(day))
        .bind(state.as_str())
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await?;
        let id = ExceptionId(row.try_get("id")?);
        let stored = self.exception_in(&mut write, id).await?;
        let audience = Audience {
            roles: vec![Role::Ciso],
            managers_of: None,
        };
        let title = format!(
            "{} {} ({})",
            stored.measure_code, stored.measure_name, stored.unit_name
        );
        self.notify_in(
            &mut write,
            audience,
            NoticeKind::ExceptionRequested,
            &title,
            &format!("/exceptions/{}", id.0),
        )
        .await?;
        let event = origin
            .event("exception.request", "exception", id)
            .in_unit(Some(exception.unit))
            .with_detail(serde_json::json!({
                "measure": exception.measure_urn,
                "until": day(exception.until),
                "emergency": exception.taken_on.map(day),
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn decide_exception(
        &self,
        grant: &Granted<DecideException>,
        id: ExceptionId,
        approve: bool,
        note: &str,
        origin: &Origin,
    ) -> Result<MeasureException> {
        let mut write = self.begin_write().await?;
        let before = self.exception_in(&mut write, id).await?;
        if !before.state.undecided() {
            return Err(StoreError::Conflict(Conflict::ExceptionDecided));
        }
        if before.requested_by == Some(grant.actor()) {
            return Err(StoreError::Conflict(Conflict::ExceptionSelfDecision));
        }
        let state = if approve {
            ExceptionState::Approved
        } else {
            ExceptionState::Rejected
        };
        sqlx::query(
            "UPDATE measure_exceptions SET state = $1, decided_by = $2, decided_at = $3, \
             decision_note = $4 WHERE id = $5",
        )
        .bind(state.as_str())
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .bind(note)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await?;
        let stored = self.exception_in(&mut write, id).await?;
        let event = origin
            .event("exception.decide", "exception", id)
            .in_unit(Some(before.unit))
            .with_detail(serde_json::json!({
                "from": before.state.as_str(),
                "to": state.as_str(),
                "note": note,
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }
}
