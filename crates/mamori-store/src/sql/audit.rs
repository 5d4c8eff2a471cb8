//! The audit trail on SQL: listing and verifying the chain (appending is the write's, in
//! [`super`]).

use mamori_core::audit::{AuditEvent, AuditKey, AuditRecord, ChainBreak, Verifier};
use mamori_core::authz::{Granted, ViewAudit};
use mamori_core::credentials::secrets_equal;
use mamori_core::{UnitId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{AUDIT_COLUMNS, Arg, Backend, SqlStore, bind_all, head_seal, opt_id};
use crate::{AnchorBreak, AnchorEntry, AuditFilter, AuditStore, AuditVerification, Result};

fn audit_from(row: &AnyRow) -> Result<AuditRecord> {
    let detail: String = row.try_get("detail")?;
    Ok(AuditRecord {
        seq: row.try_get("seq")?,
        at_ms: row.try_get("at_ms")?,
        event: AuditEvent {
            actor_id: opt_id(row, "actor_id")?.map(UserId),
            actor_name: row.try_get("actor_name")?,
            action: row.try_get("action")?,
            target_kind: row.try_get("target_kind")?,
            target_id: row.try_get("target_id")?,
            unit_id: opt_id(row, "unit_id")?.map(UnitId),
            address: row.try_get("address")?,
            // An unparsable detail is kept as a string, so that verification reports the
            // record as altered rather than failing to read it.
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
        },
        prev_mac: row.try_get("prev_mac")?,
        mac: row.try_get("mac")?,
    })
}

#[async_trait::async_trait]
impl AuditStore for SqlStore {
    async fn record(&self, event: AuditEvent) -> Result<AuditRecord> {
        self.record_queued(event).await
    }

    async fn list_audit(
        &self,
        grant: &Granted<ViewAudit>,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditRecord>> {
        let mut clauses = Vec::new();
        let mut args = Vec::new();
        if let Some(prefix) = filter.action_prefix.as_deref().filter(|p| !p.is_empty()) {
            // Not LIKE: SQLite's LIKE ignores case and both treat `%` and `_` as wildcards.
            args.push(Arg::Text(prefix.to_owned()));
            let n = args.len();
            clauses.push(format!("SUBSTR(action, 1, LENGTH(${n})) = ${n}"));
        }
        if let Some(actor) = filter.actor_name.as_deref().filter(|p| !p.is_empty()) {
            args.push(Arg::Text(actor.to_owned()));
            clauses.push(format!("actor_name = ${}", args.len()));
        }
        if let Some(from) = filter.from_ms {
            args.push(Arg::Int(from));
            clauses.push(format!("at_ms >= ${}", args.len()));
        }
        if let Some(to) = filter.to_ms {
            args.push(Arg::Int(to));
            clauses.push(format!("at_ms < ${}", args.len()));
        }
        if let Some(before) = filter.before_seq {
            args.push(Arg::Int(before));
            clauses.push(format!("seq < ${}", args.len()));
        }
        if let Some(unit) = grant.excluded_unit() {
            args.push(Arg::Int(unit.0));
            clauses.push(format!("(unit_id IS NULL OR unit_id <> ${})", args.len()));
        }
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let limit = filter.limit.clamp(1, 1000);
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log {where_sql} ORDER BY seq DESC LIMIT {limit}"
        );
        bind_all(sqlx::query(&sql), args)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(audit_from)
            .collect()
    }

    async fn verify_audit(&self, key: &AuditKey) -> Result<AuditVerification> {
        // One snapshot for the records and the head: a writer committing during the walk must not
        // make an intact trail look truncated or mismatched.
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await?;
        }
        let mut verifier = Verifier::new(key);
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 2000"
            ))
            .bind(after)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let record = audit_from(row)?;
                if let Err(broken) = verifier.check(&record) {
                    return Ok(AuditVerification {
                        checked: verifier.checked(),
                        result: Err(broken),
                    });
                }
                after = record.seq;
            }
        }
        let head = sqlx::query("SELECT seq, mac, seal FROM audit_head WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        tx.rollback().await?;
        let head_seq: i64 = head.try_get("seq")?;
        let head_mac: String = head.try_get("mac")?;
        let head_sealed: String = head.try_get("seal")?;
        let result = verifier.finish(head_seq, &head_mac).and_then(|checked| {
            // A head rewound to an older record (after the newest were removed) lacks a valid seal.
            if head_seq == 0 || secrets_equal(&head_sealed, &head_seal(key, head_seq, &head_mac)) {
                Ok(checked)
            } else {
                Err(ChainBreak::HeadMismatch { seq: head_seq })
            }
        });
        Ok(AuditVerification {
            checked: verifier.checked(),
            result: result.map(|_| ()),
        })
    }
}

impl SqlStore {
    /// Compares the chain with the commits its anchor saw: every one must still be in the
    /// database, with the MAC the anchor wrote down. Names the first gap (every record missing
    /// from there on that the anchor saw) or the first record that differs.
    pub async fn verify_anchor(
        &self,
        entries: &[AnchorEntry],
    ) -> Result<std::result::Result<(), AnchorBreak>> {
        let mut anchored: Vec<&AnchorEntry> = entries.iter().collect();
        anchored.sort_by_key(|e| e.seq);
        anchored.dedup_by(|a, b| a.seq == b.seq && a.mac == b.mac);
        let (Some(first), Some(last)) = (anchored.first(), anchored.last()) else {
            return Ok(Ok(()));
        };
        let stored: std::collections::HashMap<i64, String> =
            sqlx::query("SELECT seq, mac FROM audit_log WHERE seq >= $1 AND seq <= $2")
                .bind(first.seq)
                .bind(last.seq)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| Ok((row.try_get("seq")?, row.try_get("mac")?)))
                .collect::<Result<_>>()?;
        let missing: Vec<i64> = anchored
            .iter()
            .filter(|e| !stored.contains_key(&e.seq))
            .map(|e| e.seq)
            .collect();
        if let (Some(&first), Some(&last)) = (missing.first(), missing.last()) {
            return Ok(Err(AnchorBreak::Missing {
                first,
                last,
                count: missing.len() as u64,
            }));
        }
        for entry in anchored {
            if !stored
                .get(&entry.seq)
                .is_some_and(|mac| secrets_equal(mac, &entry.mac))
            {
                return Ok(Err(AnchorBreak::Replaced { seq: entry.seq }));
            }
        }
        Ok(Ok(()))
    }
}
