//! 原本の提供申請 on SQL: release requests, their decisions and the delivery attempts.
//!
//! The requester's unit and organisation are read through their account at the time of each
//! read, so the line of approvers follows the person when they move.

use mamori_core::authz::{
    ApproveRelease, Granted, RequestRelease, ViewQuarantine, ViewQuarantineItem,
};
use mamori_core::release::{self, Direction, ReleaseId, ReleaseRequest, ReleaseState};
use mamori_core::{OrgId, PersonId, UnitId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Arg, SqlStore, Write, bind_all, conflict, opt_id};
use crate::{
    Conflict, NewRelease, Origin, ReleaseAttempt, ReleaseFilter, ReleaseStore, Result, StoreError,
};

const RELEASE_SELECT: &str = "SELECT r.id, r.quarantine_id, r.direction, r.address, r.requester_id, \
     ru.username AS requester_name, ru.person_id AS requester_person, rp.unit_id AS requester_unit, \
     rp.org_id AS requester_org, r.reason, r.state, r.approver_id, au.username AS approver_name, \
     r.decision_note, r.requested_at, r.decided_at, r.finished_at, r.attempts, r.next_attempt_at, \
     r.last_result \
     FROM release_requests r JOIN users ru ON ru.id = r.requester_id \
     JOIN people rp ON rp.id = ru.person_id \
     LEFT JOIN users au ON au.id = r.approver_id";

fn decode(what: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("invalid {what} in release_requests").into(),
    ))
}

fn release_from(row: &AnyRow) -> Result<ReleaseRequest> {
    let direction: String = row.try_get("direction")?;
    let state: String = row.try_get("state")?;
    Ok(ReleaseRequest {
        id: ReleaseId(row.try_get("id")?),
        quarantine_id: row.try_get("quarantine_id")?,
        direction: Direction::parse(&direction).ok_or_else(|| decode("direction"))?,
        address: row.try_get("address")?,
        requester: UserId(row.try_get("requester_id")?),
        requester_name: row.try_get("requester_name")?,
        requester_person: PersonId(row.try_get("requester_person")?),
        requester_unit: opt_id(row, "requester_unit")?.map(UnitId),
        requester_org: opt_id(row, "requester_org")?.map(OrgId),
        reason: row.try_get("reason")?,
        state: ReleaseState::parse(&state).ok_or_else(|| decode("state"))?,
        approver: opt_id(row, "approver_id")?.map(UserId),
        approver_name: row.try_get("approver_name")?,
        decision_note: row.try_get("decision_note")?,
        requested_at: row.try_get("requested_at")?,
        decided_at: row.try_get("decided_at")?,
        finished_at: row.try_get("finished_at")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_result: row.try_get("last_result")?,
    })
}

/// What every audit record of a request carries.
fn detail(r: &ReleaseRequest) -> serde_json::Value {
    serde_json::json!({
        "quarantine_id": r.quarantine_id,
        "direction": r.direction.as_str(),
        "address": r.address,
        "requester": r.requester_name,
        "state": r.state.as_str(),
        "approver": r.approver_name,
        "attempts": r.attempts,
    })
}

/// Longest reply or error kept with a request.
const MAX_RESULT_CHARS: usize = 1_000;

fn clip(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_RESULT_CHARS)
        .collect()
}

impl SqlStore {
    async fn fetch_release(&self, id: ReleaseId) -> Result<Option<ReleaseRequest>> {
        sqlx::query(&format!("{RELEASE_SELECT} WHERE r.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(release_from)
            .transpose()
    }

    async fn fetch_releases(&self, filter: &ReleaseFilter) -> Result<Vec<ReleaseRequest>> {
        let mut clauses = vec!["1 = 1".to_owned()];
        let mut args = Vec::new();
        if let Some(state) = filter.state {
            args.push(Arg::Text(state.as_str().to_owned()));
            clauses.push(format!("r.state = ${}", args.len()));
        }
        if let Some(qid) = &filter.quarantine_id {
            args.push(Arg::Text(qid.clone()));
            clauses.push(format!("r.quarantine_id = ${}", args.len()));
        }
        if let Some(user) = filter.requester {
            args.push(Arg::Int(user.0));
            clauses.push(format!("r.requester_id = ${}", args.len()));
        }
        args.push(Arg::Int(filter.limit.clamp(1, 1_000)));
        let sql = format!(
            "{RELEASE_SELECT} WHERE {} ORDER BY r.id DESC LIMIT ${}",
            clauses.join(" AND "),
            args.len()
        );
        bind_all(sqlx::query(&sql), args)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(release_from)
            .collect()
    }

    /// Seals the event of a request's change, read back inside the transaction.
    async fn commit_release(
        &self,
        mut write: Write,
        id: ReleaseId,
        action: &str,
        origin: &Origin,
        extra: serde_json::Value,
    ) -> Result<ReleaseRequest> {
        let row = sqlx::query(&format!("{RELEASE_SELECT} WHERE r.id = $1"))
            .bind(id.0)
            .fetch_one(&mut *write.tx)
            .await?;
        let request = release_from(&row)?;
        let mut detail = detail(&request);
        if let (Some(map), serde_json::Value::Object(more)) = (detail.as_object_mut(), extra) {
            map.extend(more);
        }
        let event = origin
            .event(action, "quarantine", &request.quarantine_id)
            .in_unit(request.requester_unit)
            .with_detail(detail);
        self.commit(write, event).await?;
        Ok(request)
    }
}

#[async_trait::async_trait]
impl ReleaseStore for SqlStore {
    async fn account_email(&self, user: UserId) -> Result<Option<String>> {
        Ok(sqlx::query(
            "SELECT p.email FROM users u JOIN people p ON p.id = u.person_id WHERE u.id = $1",
        )
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| row.try_get::<Option<String>, _>("email"))
        .transpose()?
        .flatten())
    }

    async fn places_by_email(&self) -> Result<Vec<(String, Option<OrgId>, Option<UnitId>)>> {
        let rows = sqlx::query(
            "SELECT email, org_id, unit_id FROM people WHERE email IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get::<String, _>("email")?,
                    opt_id(row, "org_id")?.map(OrgId),
                    opt_id(row, "unit_id")?.map(UnitId),
                ))
            })
            .collect()
    }

    async fn accounts_with_email(&self, address: &str) -> Result<Vec<UserId>> {
        let rows = sqlx::query(
            "SELECT u.id, p.email FROM users u JOIN people p ON p.id = u.person_id \
             WHERE u.disabled = 0 AND LOWER(p.email) = LOWER($1) ORDER BY u.id",
        )
        .bind(address.trim())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for row in rows {
            let email: Option<String> = row.try_get("email")?;
            if email.is_some_and(|e| release::same_address(&e, address)) {
                out.push(UserId(row.try_get("id")?));
            }
        }
        Ok(out)
    }

    async fn request_release(
        &self,
        grant: &Granted<RequestRelease>,
        input: NewRelease,
        origin: &Origin,
    ) -> Result<ReleaseRequest> {
        let key = release::address_key(&input.address)
            .ok_or(StoreError::Conflict(Conflict::ReleaseAddressInvalid))?;
        let mut write = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO release_requests (quarantine_id, direction, address, address_key, \
             requester_id, reason, state, requested_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&input.quarantine_id)
        .bind(input.direction.as_str())
        .bind(input.address.trim())
        .bind(&key)
        .bind(grant.actor().0)
        .bind(&input.reason)
        .bind(ReleaseState::Requested.as_str())
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::ReleaseAlreadyOpen))?;
        let id = ReleaseId(row.try_get("id")?);
        self.commit_release(
            write,
            id,
            "quarantine.release.request",
            origin,
            serde_json::json!({"release_id": id, "reason": input.reason}),
        )
        .await
    }

    async fn release_request(&self, id: ReleaseId) -> Result<Option<ReleaseRequest>> {
        self.fetch_release(id).await
    }

    async fn list_releases(
        &self,
        _: &Granted<ViewQuarantine>,
        filter: &ReleaseFilter,
    ) -> Result<Vec<ReleaseRequest>> {
        self.fetch_releases(filter).await
    }

    async fn releases_of_item(
        &self,
        _: &Granted<ViewQuarantineItem>,
        quarantine_id: &str,
    ) -> Result<Vec<ReleaseRequest>> {
        self.fetch_releases(&ReleaseFilter {
            quarantine_id: Some(quarantine_id.to_owned()),
            limit: 1_000,
            ..ReleaseFilter::default()
        })
        .await
    }

    async fn own_releases(&self, user: UserId, limit: i64) -> Result<Vec<ReleaseRequest>> {
        self.fetch_releases(&ReleaseFilter {
            requester: Some(user),
            limit,
            ..ReleaseFilter::default()
        })
        .await
    }

    async fn decide_release(
        &self,
        grant: &Granted<ApproveRelease>,
        id: ReleaseId,
        approve: bool,
        note: &str,
        origin: &Origin,
    ) -> Result<ReleaseRequest> {
        let request = self.fetch_release(id).await?.ok_or(StoreError::NotFound)?;
        let approver_person: Option<i64> = sqlx::query("SELECT person_id FROM users WHERE id = $1")
            .bind(grant.actor().0)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| row.try_get("person_id"))
            .transpose()?;
        // Segregation of duties, again where the data is: the grant was made for some request,
        // and this one must not be the approver's own.
        if request.requester == grant.actor() || approver_person == Some(request.requester_person.0)
        {
            return Err(StoreError::Conflict(Conflict::ReleaseSelfApproval));
        }
        let (state, action) = if approve {
            (ReleaseState::Approved, "quarantine.release.approve")
        } else {
            (ReleaseState::Rejected, "quarantine.release.reject")
        };
        let mut write = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE release_requests SET state = $1, approver_id = $2, decision_note = $3, \
             decided_at = $4, next_attempt_at = $5 \
             WHERE id = $6 AND state = $7 AND requester_id <> $2",
        )
        .bind(state.as_str())
        .bind(grant.actor().0)
        .bind(note)
        .bind(write.at_ms)
        .bind(approve.then_some(write.at_ms))
        .bind(id.0)
        .bind(ReleaseState::Requested.as_str())
        .execute(&mut *write.tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(Conflict::ReleaseNotPending));
        }
        self.commit_release(
            write,
            id,
            action,
            origin,
            serde_json::json!({"release_id": id, "note": note}),
        )
        .await
    }

    async fn claim_release(
        &self,
        lease_ms: i64,
        origin: &Origin,
    ) -> Result<Option<ReleaseRequest>> {
        let due = "SELECT id FROM release_requests WHERE state = $1 AND next_attempt_at <= $2 \
                   ORDER BY next_attempt_at, id LIMIT 1";
        // A plain read first, so that an idle worker does not take the write lock.
        let now = self.clock.now_ms();
        if sqlx::query(due)
            .bind(ReleaseState::Approved.as_str())
            .bind(now)
            .fetch_optional(&self.pool)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let mut write = self.begin_write().await?;
        let Some(row) = sqlx::query(due)
            .bind(ReleaseState::Approved.as_str())
            .bind(write.at_ms)
            .fetch_optional(&mut *write.tx)
            .await?
        else {
            // Another worker took it; dropping the transaction gives back the chain's place.
            return Ok(None);
        };
        let id = ReleaseId(row.try_get("id")?);
        sqlx::query(
            "UPDATE release_requests SET attempts = attempts + 1, next_attempt_at = $1 WHERE id = $2",
        )
        .bind(write.at_ms.saturating_add(lease_ms.max(0)))
        .bind(id.0)
        .execute(&mut *write.tx)
        .await?;
        self.commit_release(
            write,
            id,
            "quarantine.release.attempt",
            origin,
            serde_json::json!({"release_id": id}),
        )
        .await
        .map(Some)
    }

    async fn release_states(&self) -> Result<Vec<(String, ReleaseState, bool)>> {
        let rows = sqlx::query(
            "SELECT quarantine_id, state FROM release_requests ORDER BY quarantine_id, id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<(String, ReleaseState, bool)> = Vec::new();
        for row in &rows {
            let id: String = row.try_get("quarantine_id")?;
            let state: String = row.try_get("state")?;
            let state = ReleaseState::parse(&state).ok_or_else(|| decode("release state"))?;
            match out.last_mut() {
                Some(last) if last.0 == id => {
                    last.1 = state;
                    last.2 |= state.is_open();
                }
                _ => out.push((id, state, state.is_open())),
            }
        }
        Ok(out)
    }

    async fn record_release_attempt(
        &self,
        id: ReleaseId,
        attempt: ReleaseAttempt,
        origin: &Origin,
    ) -> Result<ReleaseRequest> {
        let mut write = self.begin_write().await?;
        let (state, next, finished, result, action) = match &attempt {
            ReleaseAttempt::Delivered { reply } => (
                ReleaseState::Delivered,
                None,
                Some(write.at_ms),
                clip(reply),
                "quarantine.release.deliver",
            ),
            ReleaseAttempt::Deferred {
                error,
                next_attempt_at,
            } => (
                ReleaseState::Approved,
                Some(*next_attempt_at),
                None,
                clip(error),
                "quarantine.release.defer",
            ),
            ReleaseAttempt::Failed { error } => (
                ReleaseState::Failed,
                None,
                Some(write.at_ms),
                clip(error),
                "quarantine.release.fail",
            ),
        };
        let done = sqlx::query(
            "UPDATE release_requests SET state = $1, next_attempt_at = $2, finished_at = $3, \
             last_result = $4 WHERE id = $5 AND state = $6",
        )
        .bind(state.as_str())
        .bind(next)
        .bind(finished)
        .bind(&result)
        .bind(id.0)
        .bind(ReleaseState::Approved.as_str())
        .execute(&mut *write.tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(if self.fetch_release(id).await?.is_none() {
                StoreError::NotFound
            } else {
                StoreError::Conflict(Conflict::ReleaseNotApproved)
            });
        }
        self.commit_release(
            write,
            id,
            action,
            origin,
            serde_json::json!({"release_id": id, "result": result}),
        )
        .await
    }
}
