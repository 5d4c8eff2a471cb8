//! The monitor on SQL: the crossing matrix as one row per ordered pair of zones (zones as text,
//! so that a deleted segment leaves its cells readable), the settings as one JSON row, alerts
//! merged into the open alert of their rule and key, and tallies added to their day's rows.
//!
//! `record_monitor` is made for batches of thousands: the batch is folded in memory first, open
//! alerts are looked up by key in chunks, new alerts and tallies are written with multi-row
//! statements, and merged alerts with one prepared update each, all in one transaction.

use std::collections::HashMap;
use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};
use mamori_core::asset::AssetId;
use mamori_core::authz::{Granted, HandleAlerts, ManageMonitor, ViewMonitor};
use mamori_core::crossing::{
    Crossing, CrossingMatrix, CrossingRule, Model, PresetServers, Proto, Zone,
};
use mamori_core::incident::CandidateSource;
use mamori_core::monitor::{
    Alert, AlertRule, AssetRef, CANDIDATES_PER_BATCH, MonitorSettings, Site, SiteAsset,
    SiteSegment, Tally,
};
use mamori_core::segment::parse_ranges;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use super::{Arg, SqlStore, Write, bind_all, day};
use crate::{
    AlertFilter, AlertId, AlertPage, AlertState, AlertStep, Conflict, MonitorStore, Origin,
    RecordOutcome, Result, StoreError, StoredAlert, StoredMatrix, TallyRow,
};

/// Keys looked up per statement, and rows written per multi-row statement.
const KEYS_PER_LOOKUP: usize = 400;
const ALERTS_PER_INSERT: usize = 100;
const TALLIES_PER_INSERT: usize = 200;

fn decode(what: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("invalid {what} in the monitor's tables").into(),
    ))
}

fn allow_code(crossing: &Crossing) -> &'static str {
    match crossing {
        Crossing::Never => "never",
        Crossing::Only(_) => "only",
        Crossing::Any => "any",
    }
}

fn services_text(crossing: &Crossing) -> String {
    match crossing {
        Crossing::Only(services) => services
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn rule_from(row: &AnyRow) -> Result<CrossingRule> {
    let zone = |column: &str| -> Result<Zone> {
        Zone::parse("zone", &row.try_get::<String, _>(column)?).map_err(|_| decode(column))
    };
    let allow: String = row.try_get("allow")?;
    let services: String = row.try_get("services")?;
    Ok(CrossingRule {
        from: zone("from_zone")?,
        to: zone("to_zone")?,
        crossing: Crossing::parse(&allow, &services).map_err(|_| decode("crossing"))?,
        note: row.try_get("note")?,
    })
}

async fn segments_of(db: &mut AnyConnection) -> Result<Vec<(String, String)>> {
    sqlx::query("SELECT code, name FROM segments ORDER BY code")
        .fetch_all(&mut *db)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("code")?, r.try_get("name")?)))
        .collect()
}

async fn segment_codes(db: &mut AnyConnection) -> Result<Vec<String>> {
    Ok(segments_of(db)
        .await?
        .into_iter()
        .map(|(code, _)| code)
        .collect())
}

async fn matrix_in(db: &mut AnyConnection) -> Result<StoredMatrix> {
    let saved = sqlx::query("SELECT saved_at FROM crossing_matrix_saved WHERE id = 1")
        .fetch_optional(&mut *db)
        .await?
        .is_some();
    if !saved {
        let segments = segments_of(db).await?;
        let codes: Vec<&str> = segments.iter().map(|(code, _)| code.as_str()).collect();
        let mut rules =
            CrossingMatrix::preset(Model::Beta, &codes, &PresetServers::default()).rules;
        rules.sort_by(|a, b| (a.from.code(), a.to.code()).cmp(&(b.from.code(), b.to.code())));
        return Ok(StoredMatrix {
            matrix: CrossingMatrix { rules },
            missing: Vec::new(),
            segments,
            assumed: true,
        });
    }
    let rules = sqlx::query(
        "SELECT from_zone, to_zone, allow, services, note FROM crossing_rules \
         ORDER BY from_zone, to_zone",
    )
    .fetch_all(&mut *db)
    .await?
    .iter()
    .map(rule_from)
    .collect::<Result<Vec<_>>>()?;
    let segments = segments_of(db).await?;
    let mut missing: Vec<Zone> = Vec::new();
    for rule in &rules {
        for zone in [&rule.from, &rule.to] {
            if let Zone::Segment(code) = zone
                && !segments.iter().any(|(c, _)| c == code)
                && !missing.contains(zone)
            {
                missing.push(zone.clone());
            }
        }
    }
    Ok(StoredMatrix {
        matrix: CrossingMatrix { rules },
        missing,
        segments,
        assumed: false,
    })
}

/// Makes the matrix saved within a write: an assumed one is stored as it was read, so that the
/// write changes it rather than replacing it. Answers whether it was assumed.
async fn keep_matrix(
    tx: &mut Transaction<'static, Any>,
    read: &StoredMatrix,
    at: i64,
) -> Result<bool> {
    if !read.assumed {
        return Ok(false);
    }
    for rule in &read.matrix.rules {
        insert_rule(tx, rule, at).await?;
    }
    mark_saved(tx, at).await?;
    Ok(true)
}

/// Records that the matrix has been written (the first time only).
async fn mark_saved(tx: &mut Transaction<'static, Any>, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO crossing_matrix_saved (id, saved_at) VALUES (1, $1) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Checks cells against the segments there are now: an unknown zone, then the matrix's own rules.
fn check_rules(rules: &[CrossingRule], codes: &[String]) -> Result<()> {
    let known = |zone: &Zone| match zone {
        Zone::Internet => true,
        Zone::Segment(code) => codes.contains(code),
    };
    if rules.iter().any(|r| !known(&r.from) || !known(&r.to)) {
        return Err(StoreError::Conflict(Conflict::MonitorZoneMissing));
    }
    let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
    CrossingMatrix {
        rules: rules.to_vec(),
    }
    .validate(&codes)
    .map_err(|_| StoreError::Conflict(Conflict::MonitorMatrixInvalid))
}

async fn insert_rule(
    tx: &mut Transaction<'static, Any>,
    rule: &CrossingRule,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO crossing_rules (from_zone, to_zone, allow, services, note, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (from_zone, to_zone) DO UPDATE SET \
         allow = excluded.allow, services = excluded.services, note = excluded.note, \
         updated_at = excluded.updated_at",
    )
    .bind(rule.from.code())
    .bind(rule.to.code())
    .bind(allow_code(&rule.crossing))
    .bind(services_text(&rule.crossing))
    .bind(&rule.note)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn settings_in(db: &mut AnyConnection) -> Result<MonitorSettings> {
    let row = sqlx::query("SELECT settings FROM monitor_settings WHERE id = 1")
        .fetch_optional(&mut *db)
        .await?;
    match row {
        Some(row) => serde_json::from_str(&row.try_get::<String, _>("settings")?)
            .map_err(|_| decode("settings")),
        None => Ok(MonitorSettings::default()),
    }
}

const ALERT_COLUMNS: &str = "id, rule, alert_key, state, src, dst, dst_port, proto, src_segment, \
     dst_segment, src_asset_id, src_asset_name, dst_asset_id, dst_asset_name, detail, count, \
     first_seen, last_seen, evidence, acknowledged_by, acknowledged_at, acknowledge_note, \
     closed_by, closed_at, close_note, incident_candidate, created_at, updated_at";

fn time_of(ms: i64, column: &str) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| decode(column))
}

fn asset_of(row: &AnyRow, id: &str, name: &str) -> Result<Option<AssetRef>> {
    let id: Option<i64> = row.try_get(id)?;
    let name: Option<String> = row.try_get(name)?;
    Ok(id.map(|id| AssetRef {
        id: AssetId(id),
        name: name.unwrap_or_default(),
    }))
}

fn step_of(row: &AnyRow, by: &str, at: &str, note: &str) -> Result<Option<AlertStep>> {
    let who: Option<String> = row.try_get(by)?;
    let when: Option<i64> = row.try_get(at)?;
    Ok(match (who, when) {
        (Some(by), Some(at_ms)) => Some(AlertStep {
            by,
            at_ms,
            note: row.try_get(note)?,
        }),
        _ => None,
    })
}

fn alert_from(row: &AnyRow) -> Result<StoredAlert> {
    let rule: String = row.try_get("rule")?;
    let state: String = row.try_get("state")?;
    let src: String = row.try_get("src")?;
    let dst: Option<String> = row.try_get("dst")?;
    let port: Option<i64> = row.try_get("dst_port")?;
    let proto: Option<String> = row.try_get("proto")?;
    let evidence: String = row.try_get("evidence")?;
    let count: i64 = row.try_get("count")?;
    Ok(StoredAlert {
        id: AlertId(row.try_get("id")?),
        state: AlertState::parse(&state).ok_or_else(|| decode("state"))?,
        alert: Alert {
            rule: AlertRule::parse(&rule).ok_or_else(|| decode("rule"))?,
            key: row.try_get("alert_key")?,
            src: src.parse().map_err(|_| decode("src"))?,
            dst: dst
                .map(|d| d.parse::<IpAddr>().map_err(|_| decode("dst")))
                .transpose()?,
            dst_port: port
                .map(|p| u16::try_from(p).map_err(|_| decode("dst_port")))
                .transpose()?,
            proto: proto.map(|p| Proto::from_log(&p)),
            src_segment: row.try_get("src_segment")?,
            dst_segment: row.try_get("dst_segment")?,
            src_asset: asset_of(row, "src_asset_id", "src_asset_name")?,
            dst_asset: asset_of(row, "dst_asset_id", "dst_asset_name")?,
            detail: row.try_get("detail")?,
            count: u64::try_from(count).map_err(|_| decode("count"))?,
            first_seen: time_of(row.try_get("first_seen")?, "first_seen")?,
            last_seen: time_of(row.try_get("last_seen")?, "last_seen")?,
            evidence: serde_json::from_str(&evidence).map_err(|_| decode("evidence"))?,
        },
        acknowledged: step_of(
            row,
            "acknowledged_by",
            "acknowledged_at",
            "acknowledge_note",
        )?,
        closed: step_of(row, "closed_by", "closed_at", "close_note")?,
        incident_candidate: row.try_get("incident_candidate")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The `WHERE` clause of a filter and its arguments, numbered from `$1`.
fn filter_clause(filter: &AlertFilter, with_rule: bool) -> (String, Vec<Arg>) {
    let mut clauses: Vec<String> = Vec::new();
    let mut args: Vec<Arg> = Vec::new();
    let next = |args: &mut Vec<Arg>, arg: Arg| {
        args.push(arg);
        format!("${}", args.len())
    };
    if let (true, Some(rule)) = (with_rule, filter.rule) {
        let p = next(&mut args, Arg::Text(rule.as_str().into()));
        clauses.push(format!("rule = {p}"));
    }
    if let Some(state) = filter.state {
        let p = next(&mut args, Arg::Text(state.as_str().into()));
        clauses.push(format!("state = {p}"));
    }
    if let Some(segment) = &filter.segment {
        let p = next(&mut args, Arg::Text(segment.clone()));
        let q = next(&mut args, Arg::Text(segment.clone()));
        clauses.push(format!("(src_segment = {p} OR dst_segment = {q})"));
    }
    if let Some(asset) = filter.asset {
        let p = next(&mut args, Arg::Int(asset.0));
        let q = next(&mut args, Arg::Int(asset.0));
        clauses.push(format!("(src_asset_id = {p} OR dst_asset_id = {q})"));
    }
    if let Some(address) = filter.address {
        let p = next(&mut args, Arg::Text(address.to_string()));
        let q = next(&mut args, Arg::Text(address.to_string()));
        clauses.push(format!("(src = {p} OR dst = {q})"));
    }
    if let Some(since) = filter.since {
        let p = next(&mut args, Arg::Int(since));
        clauses.push(format!("last_seen >= {p}"));
    }
    if let Some(until) = filter.until {
        let p = next(&mut args, Arg::Int(until));
        clauses.push(format!("last_seen < {p}"));
    }
    let clause = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    (clause, args)
}

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn count_of(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// An open alert as the merge needs it.
struct Open {
    id: i64,
    count: i64,
    first_seen: i64,
    last_seen: i64,
    evidence: Vec<String>,
}

/// Text as stored: a NUL, which PostgreSQL's text cannot hold, becomes `␀` on both databases;
/// everything else is kept verbatim (pages escape it).
fn storable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\0') {
        std::borrow::Cow::Owned(text.replace('\0', "\u{2400}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// An alert with its text [`storable`].
fn storable_alert(alert: &Alert) -> Alert {
    let text = |s: &String| storable(s).into_owned();
    let asset = |a: &Option<AssetRef>| {
        a.as_ref().map(|a| AssetRef {
            id: a.id,
            name: text(&a.name),
        })
    };
    Alert {
        key: text(&alert.key),
        src_segment: alert.src_segment.as_ref().map(text),
        dst_segment: alert.dst_segment.as_ref().map(text),
        src_asset: asset(&alert.src_asset),
        dst_asset: asset(&alert.dst_asset),
        detail: text(&alert.detail),
        evidence: alert.evidence.iter().map(text).collect(),
        ..alert.clone()
    }
}

/// The batch with each (rule, key) once, later sightings absorbed into the first.
fn fold_alerts(alerts: &[Alert], samples: usize) -> Vec<Alert> {
    let mut folded: Vec<Alert> = Vec::new();
    let mut index: HashMap<(AlertRule, String), usize> = HashMap::new();
    for alert in alerts {
        let alert = storable_alert(alert);
        match index.get(&(alert.rule, alert.key.clone())) {
            Some(&i) => folded[i].absorb(alert, samples),
            None => {
                index.insert((alert.rule, alert.key.clone()), folded.len());
                let mut first = alert;
                first.evidence.truncate(samples);
                folded.push(first);
            }
        }
    }
    folded
}

/// The tallies with each (day, from, to, proto, port) once, summed.
fn fold_tallies(tallies: &[Tally]) -> Vec<Tally> {
    let mut folded: Vec<Tally> = Vec::new();
    let mut index: HashMap<(NaiveDate, &Zone, &Zone, Proto, Option<u16>), usize> = HashMap::new();
    for t in tallies {
        let key = (t.day, &t.from, &t.to, t.proto, t.dst_port);
        match index.get(&key) {
            Some(&i) => {
                folded[i].flows = folded[i].flows.saturating_add(t.flows);
                folded[i].forbidden = folded[i].forbidden.saturating_add(t.forbidden);
            }
            None => {
                index.insert(key, folded.len());
                folded.push(t.clone());
            }
        }
    }
    folded
}

fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=columns)
                .map(|c| format!("${}", r * columns + c))
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value of a multi-row statement, nulls typed.
enum Val {
    Int(Option<i64>),
    Text(Option<String>),
}

fn bind_vals<'q>(
    mut query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    vals: Vec<Val>,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    for val in vals {
        query = match val {
            Val::Int(v) => query.bind(v),
            Val::Text(v) => query.bind(v),
        };
    }
    query
}

impl SqlStore {
    async fn alert_in(&self, write: &mut Write, id: AlertId) -> Result<StoredAlert> {
        let row = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS} FROM monitor_alerts WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&mut *write.tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        alert_from(&row)
    }

    /// The open alerts of the batch's keys, by (rule, key).
    async fn open_alerts(
        &self,
        write: &mut Write,
        alerts: &[Alert],
    ) -> Result<HashMap<(AlertRule, String), Open>> {
        let mut open = HashMap::new();
        let mut keys: Vec<&str> = alerts.iter().map(|a| a.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        for chunk in keys.chunks(KEYS_PER_LOOKUP) {
            let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, rule, alert_key, count, first_seen, last_seen, evidence \
                 FROM monitor_alerts WHERE state = 'open' AND alert_key IN ({})",
                list.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for key in chunk {
                query = query.bind(*key);
            }
            for row in query.fetch_all(&mut *write.tx).await? {
                let rule: String = row.try_get("rule")?;
                let evidence: String = row.try_get("evidence")?;
                open.insert(
                    (
                        AlertRule::parse(&rule).ok_or_else(|| decode("rule"))?,
                        row.try_get::<String, _>("alert_key")?,
                    ),
                    Open {
                        id: row.try_get("id")?,
                        count: row.try_get("count")?,
                        first_seen: row.try_get("first_seen")?,
                        last_seen: row.try_get("last_seen")?,
                        evidence: serde_json::from_str(&evidence)
                            .map_err(|_| decode("evidence"))?,
                    },
                );
            }
        }
        Ok(open)
    }

    async fn insert_alerts(&self, write: &mut Write, alerts: &[&Alert]) -> Result<()> {
        const COLUMNS: usize = 20;
        for chunk in alerts.chunks(ALERTS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO monitor_alerts (rule, alert_key, state, src, dst, dst_port, proto, \
                 src_segment, dst_segment, src_asset_id, src_asset_name, dst_asset_id, \
                 dst_asset_name, detail, count, first_seen, last_seen, evidence, created_at, \
                 updated_at) VALUES {}",
                placeholders(chunk.len(), COLUMNS)
            );
            let mut vals = Vec::with_capacity(chunk.len() * COLUMNS);
            for a in chunk {
                let evidence =
                    serde_json::to_string(&a.evidence).map_err(|_| decode("evidence"))?;
                vals.extend([
                    Val::Text(Some(a.rule.as_str().into())),
                    Val::Text(Some(a.key.clone())),
                    Val::Text(Some(AlertState::Open.as_str().into())),
                    Val::Text(Some(a.src.to_string())),
                    Val::Text(a.dst.map(|d| d.to_string())),
                    Val::Int(a.dst_port.map(i64::from)),
                    Val::Text(a.proto.map(|p| p.as_str().into())),
                    Val::Text(a.src_segment.clone()),
                    Val::Text(a.dst_segment.clone()),
                    Val::Int(a.src_asset.as_ref().map(|r| r.id.0)),
                    Val::Text(a.src_asset.as_ref().map(|r| r.name.clone())),
                    Val::Int(a.dst_asset.as_ref().map(|r| r.id.0)),
                    Val::Text(a.dst_asset.as_ref().map(|r| r.name.clone())),
                    Val::Text(Some(a.detail.clone())),
                    Val::Int(Some(count_of(a.count))),
                    Val::Int(Some(ms(a.first_seen))),
                    Val::Int(Some(ms(a.last_seen))),
                    Val::Text(Some(evidence)),
                    Val::Int(Some(write.at_ms)),
                    Val::Int(Some(write.at_ms)),
                ]);
            }
            bind_vals(sqlx::query(&sql), vals)
                .execute(&mut *write.tx)
                .await?;
        }
        Ok(())
    }

    async fn add_tallies(&self, write: &mut Write, tallies: &[Tally]) -> Result<()> {
        const COLUMNS: usize = 7;
        for chunk in tallies.chunks(TALLIES_PER_INSERT) {
            let sql = format!(
                "INSERT INTO monitor_tallies (day, from_zone, to_zone, proto, dst_port, flows, \
                 forbidden) VALUES {} ON CONFLICT (day, from_zone, to_zone, proto, dst_port) \
                 DO UPDATE SET flows = monitor_tallies.flows + excluded.flows, \
                 forbidden = monitor_tallies.forbidden + excluded.forbidden",
                placeholders(chunk.len(), COLUMNS)
            );
            let mut vals = Vec::with_capacity(chunk.len() * COLUMNS);
            for t in chunk {
                vals.extend([
                    Val::Text(Some(day(t.day))),
                    Val::Text(Some(t.from.code().into())),
                    Val::Text(Some(t.to.code().into())),
                    Val::Text(Some(t.proto.as_str().into())),
                    Val::Int(Some(t.dst_port.map_or(-1, i64::from))),
                    Val::Int(Some(count_of(t.flows))),
                    Val::Int(Some(count_of(t.forbidden))),
                ]);
            }
            bind_vals(sqlx::query(&sql), vals)
                .execute(&mut *write.tx)
                .await?;
        }
        Ok(())
    }

    /// Raises an alert as an インシデント候補 inside a write: the candidate made (or the one of
    /// its reference found) and the alert linked to it. Answers the candidate's id and whether
    /// it was made now.
    async fn candidate_for(&self, write: &mut Write, alert: &StoredAlert) -> Result<(i64, bool)> {
        let reference = alert.id.0.to_string();
        let made = sqlx::query(
            "INSERT INTO incident_candidates (source, reference, summary, raised_at, state) \
             VALUES ($1, $2, $3, $4, 'open') ON CONFLICT (source, reference) DO NOTHING \
             RETURNING id",
        )
        .bind(CandidateSource::Monitor.as_str())
        .bind(&reference)
        .bind(alert.alert.candidate_summary())
        .bind(write.at_ms)
        .fetch_optional(&mut *write.tx)
        .await?;
        let (candidate, made) = match made {
            Some(row) => (row.try_get::<i64, _>("id")?, true),
            None => (
                sqlx::query(
                    "SELECT id FROM incident_candidates WHERE source = $1 AND reference = $2",
                )
                .bind(CandidateSource::Monitor.as_str())
                .bind(&reference)
                .fetch_one(&mut *write.tx)
                .await?
                .try_get::<i64, _>("id")?,
                false,
            ),
        };
        sqlx::query(
            "UPDATE monitor_alerts SET incident_candidate = $1, updated_at = $2 WHERE id = $3",
        )
        .bind(candidate)
        .bind(write.at_ms)
        .bind(alert.id.0)
        .execute(&mut *write.tx)
        .await?;
        Ok((candidate, made))
    }

    /// Raises the alerts this write opened of the given rules, in the batch's order, at most
    /// [`CANDIDATES_PER_BATCH`]; answers the candidates' ids.
    async fn raise_new_candidates(
        &self,
        write: &mut Write,
        fresh: &[&Alert],
        rules: &[AlertRule],
    ) -> Result<Vec<i64>> {
        let mut raised = Vec::new();
        for alert in fresh
            .iter()
            .filter(|a| rules.contains(&a.rule))
            .take(CANDIDATES_PER_BATCH)
        {
            // The open alert of a rule and key is one (a partial unique index keeps it so).
            let row = sqlx::query(&format!(
                "SELECT {ALERT_COLUMNS} FROM monitor_alerts \
                 WHERE rule = $1 AND alert_key = $2 AND state = 'open'"
            ))
            .bind(alert.rule.as_str())
            .bind(&alert.key)
            .fetch_one(&mut *write.tx)
            .await?;
            let stored = alert_from(&row)?;
            raised.push(self.candidate_for(write, &stored).await?.0);
        }
        Ok(raised)
    }

    /// Moves an alert on in its handling, checked against its state inside the write.
    async fn alert_step(
        &self,
        id: AlertId,
        to: AlertState,
        note: &str,
        origin: &Origin,
    ) -> Result<StoredAlert> {
        let mut write = self.begin_write().await?;
        let before = self.alert_in(&mut write, id).await?;
        let (sql, action) = match (to, before.state) {
            (AlertState::Acknowledged, AlertState::Open) => (
                "UPDATE monitor_alerts SET state = 'acknowledged', acknowledged_by = $1, \
                 acknowledged_at = $2, acknowledge_note = $3, updated_at = $2 WHERE id = $4",
                "monitor.alert.acknowledge",
            ),
            (AlertState::Acknowledged, _) => {
                return Err(StoreError::Conflict(Conflict::AlertNotOpen));
            }
            (AlertState::Closed, AlertState::Closed) => {
                return Err(StoreError::Conflict(Conflict::AlertClosed));
            }
            (AlertState::Closed, _) => (
                "UPDATE monitor_alerts SET state = 'closed', closed_by = $1, closed_at = $2, \
                 close_note = $3, updated_at = $2 WHERE id = $4",
                "monitor.alert.close",
            ),
            (AlertState::Open, _) => return Err(StoreError::Conflict(Conflict::AlertNotOpen)),
        };
        sqlx::query(sql)
            .bind(&origin.actor_name)
            .bind(write.at_ms)
            .bind(note)
            .bind(id.0)
            .execute(&mut *write.tx)
            .await?;
        let stored = self.alert_in(&mut write, id).await?;
        let event = origin
            .event(action, "monitor_alert", id.0)
            .with_detail(serde_json::json!({
                "rule": before.alert.rule.as_str(),
                "from": before.state.as_str(),
                "note": note,
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }
}

fn matrix_detail(matrix: &CrossingMatrix) -> serde_json::Value {
    serde_json::to_value(matrix).unwrap_or(serde_json::Value::Null)
}

#[async_trait::async_trait]
impl MonitorStore for SqlStore {
    async fn crossing_matrix(&self, _: &Granted<ViewMonitor>) -> Result<StoredMatrix> {
        let mut db = self.pool.acquire().await?;
        matrix_in(&mut db).await
    }

    async fn set_crossing_matrix(
        &self,
        _: &Granted<ManageMonitor>,
        matrix: &CrossingMatrix,
        origin: &Origin,
    ) -> Result<StoredMatrix> {
        let mut write = self.begin_write().await?;
        let codes = segment_codes(&mut write.tx).await?;
        check_rules(&matrix.rules, &codes)?;
        let before = matrix_in(&mut write.tx).await?;
        mark_saved(&mut write.tx, write.at_ms).await?;
        sqlx::query("DELETE FROM crossing_rules")
            .execute(&mut *write.tx)
            .await?;
        for rule in &matrix.rules {
            insert_rule(&mut write.tx, rule, write.at_ms).await?;
        }
        let stored = matrix_in(&mut write.tx).await?;
        let event = origin
            .event("monitor.matrix.replace", "crossing_matrix", "site")
            .with_detail(serde_json::json!({
                "before": matrix_detail(&before.matrix),
                "before_assumed": before.assumed,
                "after": matrix_detail(&stored.matrix),
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn set_crossing_rule(
        &self,
        _: &Granted<ManageMonitor>,
        rule: &CrossingRule,
        origin: &Origin,
    ) -> Result<StoredMatrix> {
        let mut write = self.begin_write().await?;
        let codes = segment_codes(&mut write.tx).await?;
        check_rules(std::slice::from_ref(rule), &codes)?;
        let before = matrix_in(&mut write.tx).await?;
        let replaced = before.matrix.rule(&rule.from, &rule.to).cloned();
        let assumed = keep_matrix(&mut write.tx, &before, write.at_ms).await?;
        insert_rule(&mut write.tx, rule, write.at_ms).await?;
        let stored = matrix_in(&mut write.tx).await?;
        let event = origin
            .event(
                "monitor.matrix.cell",
                "crossing_matrix",
                format!("{}>{}", rule.from, rule.to),
            )
            .with_detail(serde_json::json!({
                "before": replaced,
                "after": rule,
                "stored_the_assumed_matrix": assumed,
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn remove_crossing_rule(
        &self,
        _: &Granted<ManageMonitor>,
        from: &Zone,
        to: &Zone,
        origin: &Origin,
    ) -> Result<StoredMatrix> {
        let mut write = self.begin_write().await?;
        let before = matrix_in(&mut write.tx).await?;
        let removed = before
            .matrix
            .rule(from, to)
            .cloned()
            .ok_or(StoreError::NotFound)?;
        keep_matrix(&mut write.tx, &before, write.at_ms).await?;
        sqlx::query("DELETE FROM crossing_rules WHERE from_zone = $1 AND to_zone = $2")
            .bind(from.code())
            .bind(to.code())
            .execute(&mut *write.tx)
            .await?;
        let stored = matrix_in(&mut write.tx).await?;
        let event = origin
            .event(
                "monitor.matrix.remove",
                "crossing_matrix",
                format!("{from}>{to}"),
            )
            .with_detail(serde_json::json!({"before": removed}));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn monitor_settings(&self, _: &Granted<ViewMonitor>) -> Result<MonitorSettings> {
        let mut db = self.pool.acquire().await?;
        settings_in(&mut db).await
    }

    async fn set_monitor_settings(
        &self,
        _: &Granted<ManageMonitor>,
        settings: &MonitorSettings,
        origin: &Origin,
    ) -> Result<MonitorSettings> {
        settings
            .validate()
            .map_err(|_| StoreError::Conflict(Conflict::MonitorSettingsInvalid))?;
        let json = serde_json::to_string(settings).map_err(|_| decode("settings"))?;
        let mut write = self.begin_write().await?;
        let before = settings_in(&mut write.tx).await?;
        sqlx::query(
            "INSERT INTO monitor_settings (id, settings, updated_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, \
             updated_at = excluded.updated_at",
        )
        .bind(&json)
        .bind(write.at_ms)
        .execute(&mut *write.tx)
        .await?;
        let event = origin
            .event("monitor.settings", "monitor_settings", "site")
            .with_detail(serde_json::json!({"before": before, "after": settings}));
        self.commit(write, event).await?;
        Ok(settings.clone())
    }

    async fn monitor_site(&self) -> Result<Site> {
        let mut db = self.pool.acquire().await?;
        let segments = sqlx::query("SELECT code, name, ranges FROM segments ORDER BY code")
            .fetch_all(&mut *db)
            .await?
            .iter()
            .map(|row| {
                let ranges: String = row.try_get("ranges")?;
                Ok(SiteSegment {
                    code: row.try_get("code")?,
                    name: row.try_get("name")?,
                    ranges: parse_ranges("ranges", &ranges).map_err(|_| decode("ranges"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let assets = sqlx::query(
            "SELECT id, name, addresses FROM assets WHERE lifecycle <> 'disposed' \
             AND addresses <> '' ORDER BY id",
        )
        .fetch_all(&mut *db)
        .await?
        .iter()
        .map(|row| {
            let addresses: String = row.try_get("addresses")?;
            Ok(SiteAsset {
                id: AssetId(row.try_get("id")?),
                name: row.try_get("name")?,
                addresses: addresses
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| l.parse().map_err(|_| decode("addresses")))
                    .collect::<Result<Vec<_>>>()?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let matrix = matrix_in(&mut db).await?.matrix;
        let settings = settings_in(&mut db).await?;
        Ok(Site {
            segments,
            assets,
            matrix,
            settings,
        })
    }

    async fn record_monitor(&self, alerts: &[Alert], tallies: &[Tally]) -> Result<RecordOutcome> {
        if alerts.is_empty() && tallies.is_empty() {
            return Ok(RecordOutcome::default());
        }
        let origin = Origin::system("monitor");
        let mut write = self.begin_write().await?;
        let settings = settings_in(&mut write.tx).await?;
        let samples = settings.evidence_samples;
        let folded = fold_alerts(alerts, samples);
        let open = self.open_alerts(&mut write, &folded).await?;
        let mut fresh: Vec<&Alert> = Vec::new();
        let mut merged = 0;
        let mut by_rule: HashMap<&'static str, u64> = HashMap::new();
        for alert in &folded {
            *by_rule.entry(alert.rule.as_str()).or_default() += 1;
            let Some(was) = open.get(&(alert.rule, alert.key.clone())) else {
                fresh.push(alert);
                continue;
            };
            let mut evidence = was.evidence.clone();
            for line in &alert.evidence {
                if evidence.len() >= samples {
                    break;
                }
                evidence.push(line.clone());
            }
            sqlx::query(
                "UPDATE monitor_alerts SET count = $1, first_seen = $2, last_seen = $3, \
                 evidence = $4, updated_at = $5 WHERE id = $6",
            )
            .bind(was.count.saturating_add(count_of(alert.count)))
            .bind(was.first_seen.min(ms(alert.first_seen)))
            .bind(was.last_seen.max(ms(alert.last_seen)))
            .bind(serde_json::to_string(&evidence).map_err(|_| decode("evidence"))?)
            .bind(write.at_ms)
            .bind(was.id)
            .execute(&mut *write.tx)
            .await?;
            merged += 1;
        }
        self.insert_alerts(&mut write, &fresh).await?;
        let candidates = self
            .raise_new_candidates(&mut write, &fresh, &settings.candidate_rules)
            .await?;
        // New alerts of those rules beyond the batch's cap stay alerts, to be raised by hand.
        let not_raised = fresh
            .iter()
            .filter(|a| settings.candidate_rules.contains(&a.rule))
            .count()
            .saturating_sub(candidates.len());
        if not_raised > 0 {
            tracing::warn!(
                not_raised,
                "monitor: more new alerts than candidates raised in one batch"
            );
        }
        let tallies = fold_tallies(tallies);
        self.add_tallies(&mut write, &tallies).await?;
        let outcome = RecordOutcome {
            opened: fresh.len(),
            merged,
            tallies: tallies.len(),
            candidates,
        };
        let event = origin
            .event("monitor.record", "monitor", "alerts")
            .with_detail(serde_json::json!({
                "opened": outcome.opened,
                "merged": outcome.merged,
                "tallies": outcome.tallies,
                "rules": by_rule,
                "candidates": outcome.candidates,
                "candidates_not_raised": not_raised,
            }));
        self.commit(write, event).await?;
        Ok(outcome)
    }

    async fn alerts(&self, _: &Granted<ViewMonitor>, filter: &AlertFilter) -> Result<AlertPage> {
        let mut db = self.pool.acquire().await?;
        let (clause, args) = filter_clause(filter, true);
        let limit = filter.limit.clamp(1, 1000);
        let offset = filter.offset.max(0);
        let n = args.len();
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM monitor_alerts{clause} \
             ORDER BY last_seen DESC, id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut list_args: Vec<Arg> = args.iter().map(super::clone_arg).collect();
        list_args.extend([Arg::Int(limit), Arg::Int(offset)]);
        let alerts = bind_all(sqlx::query(&sql), list_args)
            .fetch_all(&mut *db)
            .await?
            .iter()
            .map(alert_from)
            .collect::<Result<Vec<_>>>()?;
        let total: i64 = bind_all(
            sqlx::query(&format!("SELECT COUNT(*) AS n FROM monitor_alerts{clause}")),
            args,
        )
        .fetch_one(&mut *db)
        .await?
        .try_get("n")?;
        let (clause, args) = filter_clause(filter, false);
        let mut per_rule = Vec::new();
        for row in bind_all(
            sqlx::query(&format!(
                "SELECT rule, COUNT(*) AS n FROM monitor_alerts{clause} GROUP BY rule"
            )),
            args,
        )
        .fetch_all(&mut *db)
        .await?
        {
            let rule: String = row.try_get("rule")?;
            per_rule.push((
                AlertRule::parse(&rule).ok_or_else(|| decode("rule"))?,
                row.try_get::<i64, _>("n")?,
            ));
        }
        per_rule.sort_by_key(|(rule, _)| *rule);
        Ok(AlertPage {
            alerts,
            total,
            per_rule,
        })
    }

    async fn alert(&self, _: &Granted<ViewMonitor>, id: AlertId) -> Result<Option<StoredAlert>> {
        let row = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS} FROM monitor_alerts WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(alert_from).transpose()
    }

    async fn acknowledge_alert(
        &self,
        _: &Granted<HandleAlerts>,
        id: AlertId,
        note: &str,
        origin: &Origin,
    ) -> Result<StoredAlert> {
        self.alert_step(id, AlertState::Acknowledged, note, origin)
            .await
    }

    async fn close_alert(
        &self,
        _: &Granted<HandleAlerts>,
        id: AlertId,
        note: &str,
        origin: &Origin,
    ) -> Result<StoredAlert> {
        self.alert_step(id, AlertState::Closed, note, origin).await
    }

    async fn raise_alert_candidate(
        &self,
        _: &Granted<HandleAlerts>,
        id: AlertId,
        origin: &Origin,
    ) -> Result<StoredAlert> {
        let mut write = self.begin_write().await?;
        let before = self.alert_in(&mut write, id).await?;
        if before.incident_candidate.is_some() {
            return Ok(before);
        }
        let (candidate, made) = self.candidate_for(&mut write, &before).await?;
        let stored = self.alert_in(&mut write, id).await?;
        let event = origin
            .event("incident.candidate.raise", "incident_candidate", candidate)
            .with_detail(serde_json::json!({
                "source": CandidateSource::Monitor.as_str(),
                "reference": id.0.to_string(),
                "summary": before.alert.candidate_summary(),
                "made": made,
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn zone_tallies(
        &self,
        _: &Granted<ViewMonitor>,
        zone: &Zone,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<Vec<TallyRow>> {
        let rows = sqlx::query(
            "SELECT from_zone, to_zone, proto, dst_port, CAST(SUM(flows) AS BIGINT) AS flows, \
             CAST(SUM(forbidden) AS BIGINT) AS forbidden FROM monitor_tallies \
             WHERE day >= $1 AND day <= $2 AND (from_zone = $3 OR to_zone = $4) \
             GROUP BY from_zone, to_zone, proto, dst_port \
             ORDER BY 5 DESC, from_zone, to_zone, proto, dst_port",
        )
        .bind(day(from))
        .bind(day(until))
        .bind(zone.code())
        .bind(zone.code())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let zone = |column: &str| -> Result<Zone> {
                    Zone::parse("zone", &row.try_get::<String, _>(column)?)
                        .map_err(|_| decode(column))
                };
                let port: i64 = row.try_get("dst_port")?;
                let proto: String = row.try_get("proto")?;
                Ok(TallyRow {
                    from: zone("from_zone")?,
                    to: zone("to_zone")?,
                    proto: Proto::from_log(&proto),
                    dst_port: if port < 0 {
                        None
                    } else {
                        Some(u16::try_from(port).map_err(|_| decode("dst_port"))?)
                    },
                    flows: row.try_get("flows")?,
                    forbidden: row.try_get("forbidden")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mamori_core::crossing::INTERNET_ZONE;

    #[test]
    fn the_internet_zone_is_stored_by_its_code() {
        assert_eq!(Zone::Internet.code(), INTERNET_ZONE);
        assert_eq!(placeholders(2, 2), "($1, $2), ($3, $4)");
    }
}
