//! 不正通信の監視's operations: the alerts (read by the CSIRT, the administrators and the
//! auditors; acknowledged, closed and raised as インシデント候補 by the CSIRT), the crossing matrix and the monitor's
//! settings (edited by the administrators), and the flows of a segment. Each one authorises,
//! validates and stores here and nowhere else.

use std::net::IpAddr;

use chrono::{Days, NaiveDate};
use ipnet::IpNet;
use mamori_core::authz::{HandleAlerts, ManageMonitor, ViewMonitor, authorize};
use mamori_core::crossing::{
    Crossing, CrossingMatrix, CrossingRule, Model, PresetServers, Service, Zone,
};
use mamori_core::monitor::{AlertRule, MonitorSettings, ScanThresholds};
use mamori_core::segment::parse_range;
use mamori_core::text::parse_note;
use mamori_core::time::DAY_MS;
use mamori_core::{FieldError, FieldErrorKind};
use mamori_store::{
    AlertFilter, AlertId, AlertPage, AlertState, StoredAlert, StoredMatrix, TallyRow,
};
use serde::Deserialize;

use crate::http::{AppError, AppState, Check, User, parse_date, parse_opt_id};

/// Alerts shown per page.
pub const PAGE_SIZE: i64 = 50;

/// The alert filter as typed (query string of the page and of the API).
#[derive(Deserialize, Default, Clone)]
pub struct AlertQuery {
    #[serde(default)]
    pub rule: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub segment: String,
    #[serde(default)]
    pub asset: String,
    #[serde(default)]
    pub address: String,
    /// JST calendar days, `until` inclusive.
    #[serde(default)]
    pub since: String,
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub offset: String,
}

/// Reads the filter; every refusal at once.
fn alert_filter(query: &AlertQuery, limit: i64) -> Result<AlertFilter, AppError> {
    let mut check = Check::new();
    let rule = match query.rule.trim() {
        "" => None,
        raw => check.keep(
            AlertRule::parse(raw).ok_or(FieldError::new("rule", FieldErrorKind::UnknownValue)),
        ),
    };
    let state = match query.state.trim() {
        "" => None,
        raw => check.keep(
            AlertState::parse(raw).ok_or(FieldError::new("state", FieldErrorKind::UnknownValue)),
        ),
    };
    let segment = match query.segment.trim() {
        "" => None,
        raw => check.keep(Zone::parse("segment", raw).map(|z| z.code().to_owned())),
    };
    let asset = check
        .keep(parse_opt_id("asset", &query.asset))
        .flatten()
        .map(mamori_core::asset::AssetId);
    let address = match query.address.trim() {
        "" => None,
        raw => check.keep(
            raw.parse::<IpAddr>()
                .map_err(|_| FieldError::new("address", FieldErrorKind::InvalidFormat)),
        ),
    };
    let since = day_start(&mut check, "since", &query.since);
    let until = day_start(&mut check, "until", &query.until);
    let offset = match query.offset.trim() {
        "" => 0,
        raw => check
            .keep(
                raw.parse::<i64>()
                    .ok()
                    .filter(|n| (0..=1_000_000).contains(n))
                    .ok_or(FieldError::new("offset", FieldErrorKind::InvalidFormat)),
            )
            .unwrap_or(0),
    };
    check.done()?;
    Ok(AlertFilter {
        rule,
        state,
        segment,
        asset,
        address,
        since,
        until: until.map(|t| t + DAY_MS),
        offset,
        limit,
    })
}

/// A JST calendar day's start, its refusal kept.
fn day_start(check: &mut Check, field: &'static str, raw: &str) -> Option<i64> {
    match parse_date(field, raw) {
        Ok(day) => day,
        Err(AppError::Invalid(errors)) => {
            check.0.extend(errors);
            None
        }
        Err(_) => {
            check
                .0
                .push(FieldError::new(field, FieldErrorKind::InvalidFormat));
            None
        }
    }
}

/// A page of alerts and the filter as read.
pub async fn alerts(
    state: &AppState,
    user: &User,
    query: &AlertQuery,
    limit: i64,
) -> Result<(AlertPage, AlertFilter), AppError> {
    let grant = authorize::<ViewMonitor>(&user.actor, &())?;
    let filter = alert_filter(query, limit)?;
    let page = state.store.alerts(&grant, &filter).await?;
    Ok((page, filter))
}

/// One alert; 404 for one that does not exist.
pub async fn alert(state: &AppState, user: &User, id: i64) -> Result<StoredAlert, AppError> {
    let grant = authorize::<ViewMonitor>(&user.actor, &())?;
    state
        .store
        .alert(&grant, AlertId(id))
        .await?
        .ok_or(AppError::NotFound)
}

/// May the viewer acknowledge and close alerts.
pub fn may_handle(user: &User) -> bool {
    authorize::<HandleAlerts>(&user.actor, &()).is_ok()
}

/// May the viewer edit the matrix and the settings.
pub fn may_manage(user: &User) -> bool {
    authorize::<ManageMonitor>(&user.actor, &()).is_ok()
}

/// 対応を開始する: the CSIRT, with a note.
pub async fn acknowledge(
    state: &AppState,
    user: &User,
    id: i64,
    note: &str,
) -> Result<StoredAlert, AppError> {
    let current = alert(state, user, id).await?;
    let grant = authorize::<HandleAlerts>(&user.actor, &())?;
    let note = parse_note("note", note)?;
    Ok(state
        .store
        .acknowledge_alert(&grant, current.id, &note, &user.ctx.origin())
        .await?)
}

/// 完了にする: the CSIRT, with a note.
pub async fn close(
    state: &AppState,
    user: &User,
    id: i64,
    note: &str,
) -> Result<StoredAlert, AppError> {
    let current = alert(state, user, id).await?;
    let grant = authorize::<HandleAlerts>(&user.actor, &())?;
    let note = parse_note("note", note)?;
    Ok(state
        .store
        .close_alert(&grant, current.id, &note, &user.ctx.origin())
        .await?)
}

/// インシデント候補にする: the CSIRT raises an alert for a decision on an incident; the alert
/// and the candidate stay linked. An alert raised before (by the monitor on its own or by hand)
/// answers as it is.
pub async fn raise_candidate(
    state: &AppState,
    user: &User,
    id: i64,
) -> Result<StoredAlert, AppError> {
    let current = alert(state, user, id).await?;
    let grant = authorize::<HandleAlerts>(&user.actor, &())?;
    Ok(state
        .store
        .raise_alert_candidate(&grant, current.id, &user.ctx.origin())
        .await?)
}

/// The crossing matrix, its zones and the cells naming deleted segments.
pub async fn matrix(state: &AppState, user: &User) -> Result<StoredMatrix, AppError> {
    let grant = authorize::<ViewMonitor>(&user.actor, &())?;
    Ok(state.store.crossing_matrix(&grant).await?)
}

/// One cell as typed.
#[derive(Default)]
pub struct CellDraft {
    pub from: String,
    pub to: String,
    pub allow: String,
    /// `tcp/25@10.20.0.25`, one item each.
    pub services: Vec<String>,
    pub note: String,
}

/// Reads a cell's choice and its services, each item one service.
fn crossing_of(allow: &str, services: &[String]) -> Result<Crossing, FieldError> {
    match allow.trim() {
        "never" => Ok(Crossing::Never),
        "any" => Ok(Crossing::Any),
        "only" => {
            if services.len() > 100 {
                return Err(FieldError::new(
                    "services",
                    FieldErrorKind::TooLong { max: 100 },
                ));
            }
            let mut list: Vec<Service> = Vec::new();
            for item in services.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                let service = Service::parse("services", item)?;
                if !list.contains(&service) {
                    list.push(service);
                }
            }
            if list.is_empty() {
                return Err(FieldError::new("services", FieldErrorKind::Required));
            }
            Ok(Crossing::Only(list))
        }
        _ => Err(FieldError::new("allow", FieldErrorKind::UnknownValue)),
    }
}

/// Reads a cell; every refusal at once.
pub fn cell(draft: &CellDraft) -> Result<CrossingRule, AppError> {
    let mut check = Check::new();
    let from = check.keep(Zone::parse("from", &draft.from));
    let to = check.keep(Zone::parse("to", &draft.to));
    let crossing = check.keep(crossing_of(&draft.allow, &draft.services));
    let note = check.keep(parse_note("note", &draft.note).and_then(|n| {
        if n.chars().count() > 500 {
            Err(FieldError::new(
                "note",
                FieldErrorKind::TooLong { max: 500 },
            ))
        } else {
            Ok(n)
        }
    }));
    if let (Some(from), Some(to)) = (&from, &to)
        && from == to
    {
        check
            .0
            .push(FieldError::new("to", FieldErrorKind::NotAllowed));
    }
    check.done()?;
    match (from, to, crossing, note) {
        (Some(from), Some(to), Some(crossing), Some(note)) => Ok(CrossingRule {
            from,
            to,
            crossing,
            note,
        }),
        _ => Err(AppError::Invalid(Vec::new())),
    }
}

/// Sets one cell (the administrators).
pub async fn set_cell(
    state: &AppState,
    user: &User,
    draft: &CellDraft,
) -> Result<StoredMatrix, AppError> {
    let grant = authorize::<ManageMonitor>(&user.actor, &())?;
    let rule = cell(draft)?;
    Ok(state
        .store
        .set_crossing_rule(&grant, &rule, &user.ctx.origin())
        .await?)
}

/// Removes one cell (the administrators), one naming a deleted segment too.
pub async fn remove_cell(
    state: &AppState,
    user: &User,
    from: &str,
    to: &str,
) -> Result<StoredMatrix, AppError> {
    let grant = authorize::<ManageMonitor>(&user.actor, &())?;
    let mut check = Check::new();
    let from = check.keep(Zone::parse("from", from));
    let to = check.keep(Zone::parse("to", to));
    check.done()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(AppError::NotFound);
    };
    Ok(state
        .store
        .remove_crossing_rule(&grant, &from, &to, &user.ctx.origin())
        .await?)
}

/// Replaces the whole matrix (the administrators); each cell's services and note are checked
/// by core as the JSON is read, the zones and pairs by the store.
pub async fn replace_matrix(
    state: &AppState,
    user: &User,
    matrix: &CrossingMatrix,
) -> Result<StoredMatrix, AppError> {
    let grant = authorize::<ManageMonitor>(&user.actor, &())?;
    if matrix.rules.len() > 10_000 {
        return Err(FieldError::new("rules", FieldErrorKind::TooLong { max: 10_000 }).into());
    }
    Ok(state
        .store
        .set_crossing_matrix(&grant, matrix, &user.ctx.origin())
        .await?)
}

/// A preset as asked for.
#[derive(Default)]
pub struct PresetDraft {
    pub model: String,
    /// Addresses or ranges, one item each.
    pub gateway: Vec<String>,
    pub screen_transfer: Vec<String>,
    /// The replacement of the whole matrix was confirmed.
    pub confirm: bool,
}

fn ranges(field: &'static str, items: &[String], check: &mut Check) -> Vec<IpNet> {
    let mut out = Vec::new();
    for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if out.len() >= 1000 {
            check.0.push(FieldError::new(
                field,
                FieldErrorKind::TooLong { max: 1000 },
            ));
            break;
        }
        match parse_range(item) {
            Some(net) if !out.contains(&net) => out.push(net),
            Some(_) => {}
            None => {
                check
                    .0
                    .push(FieldError::new(field, FieldErrorKind::InvalidFormat));
                break;
            }
        }
    }
    out
}

/// Replaces the matrix with a model of the 総務省 guidelines over the segments there are (the
/// administrators, after confirming).
pub async fn apply_preset(
    state: &AppState,
    user: &User,
    draft: &PresetDraft,
) -> Result<StoredMatrix, AppError> {
    let grant = authorize::<ManageMonitor>(&user.actor, &())?;
    let mut check = Check::new();
    let model = check.keep(
        Model::parse(&draft.model).ok_or(FieldError::new("model", FieldErrorKind::UnknownValue)),
    );
    let servers = PresetServers {
        gateway: ranges("gateway", &draft.gateway, &mut check),
        screen_transfer: ranges("screen_transfer", &draft.screen_transfer, &mut check),
    };
    if !draft.confirm {
        check
            .0
            .push(FieldError::new("confirm", FieldErrorKind::Required));
    }
    check.done()?;
    let Some(model) = model else {
        return Err(AppError::Invalid(Vec::new()));
    };
    let view = authorize::<ViewMonitor>(&user.actor, &())?;
    let segments = state.store.crossing_matrix(&view).await?.segments;
    let codes: Vec<&str> = segments.iter().map(|(c, _)| c.as_str()).collect();
    let matrix = CrossingMatrix::preset(model, &codes, &servers);
    Ok(state
        .store
        .set_crossing_matrix(&grant, &matrix, &user.ctx.origin())
        .await?)
}

/// The settings in force.
pub async fn settings(state: &AppState, user: &User) -> Result<MonitorSettings, AppError> {
    let grant = authorize::<ViewMonitor>(&user.actor, &())?;
    Ok(state.store.monitor_settings(&grant).await?)
}

/// The settings as sent: lists one item each, numbers as numbers (absent: refused).
#[derive(Default)]
pub struct SettingsDraft {
    pub resolvers: Vec<String>,
    pub window_secs: Option<i64>,
    pub hosts: Option<i64>,
    pub ports: Option<i64>,
    pub unregistered_window_secs: Option<i64>,
    pub evidence_samples: Option<i64>,
    pub internal: Vec<String>,
    /// Rule names; absent, the default rules.
    pub candidate_rules: Option<Vec<String>>,
}

/// Reads the settings; every refusal at once (the ranges of each number are core's, checked
/// when stored).
pub fn settings_of(draft: &SettingsDraft) -> Result<MonitorSettings, AppError> {
    let mut check = Check::new();
    let mut number = |field: &'static str, value: Option<i64>| -> u32 {
        check
            .keep(match value {
                None => Err(FieldError::new(field, FieldErrorKind::Required)),
                Some(n) => u32::try_from(n)
                    .map_err(|_| FieldError::new(field, FieldErrorKind::InvalidFormat)),
            })
            .unwrap_or_default()
    };
    let window_secs = number("window_secs", draft.window_secs);
    let hosts = number("scan_hosts", draft.hosts);
    let ports = number("scan_ports", draft.ports);
    let unregistered_window_secs =
        number("unregistered_window_secs", draft.unregistered_window_secs);
    let evidence_samples = number("evidence_samples", draft.evidence_samples);
    if draft.resolvers.len() > 100 {
        check.0.push(FieldError::new(
            "resolvers",
            FieldErrorKind::TooLong { max: 100 },
        ));
    }
    let mut resolvers = Vec::new();
    for item in draft
        .resolvers
        .iter()
        .take(100)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        match item.parse::<IpAddr>() {
            Ok(ip) if !resolvers.contains(&ip) => resolvers.push(ip),
            Ok(_) => {}
            Err(_) => {
                check
                    .0
                    .push(FieldError::new("resolvers", FieldErrorKind::InvalidFormat));
                break;
            }
        }
    }
    let internal = ranges("internal", &draft.internal, &mut check);
    let mut candidate_rules = Vec::new();
    match &draft.candidate_rules {
        None => candidate_rules = MonitorSettings::default().candidate_rules,
        Some(names) => {
            for name in names {
                match AlertRule::parse(name.trim()) {
                    Some(rule) if !candidate_rules.contains(&rule) => candidate_rules.push(rule),
                    Some(_) => {}
                    None => {
                        check.0.push(FieldError::new(
                            "candidate_rules",
                            FieldErrorKind::InvalidFormat,
                        ));
                        break;
                    }
                }
            }
            candidate_rules.sort();
        }
    }
    check.done()?;
    Ok(MonitorSettings {
        resolvers,
        scan: ScanThresholds {
            window_secs,
            hosts,
            ports,
        },
        unregistered_window_secs,
        evidence_samples: evidence_samples as usize,
        internal,
        candidate_rules,
    })
}

/// Replaces the settings (the administrators), checked by core's rules.
pub async fn set_settings(
    state: &AppState,
    user: &User,
    settings: &MonitorSettings,
) -> Result<MonitorSettings, AppError> {
    let grant = authorize::<ManageMonitor>(&user.actor, &())?;
    settings.validate().map_err(|e| {
        // The scan's thresholds are named as the form names them.
        let field = match e.field {
            "hosts" => "scan_hosts",
            "ports" => "scan_ports",
            other => other,
        };
        AppError::invalid(FieldError::new(field, e.kind))
    })?;
    Ok(state
        .store
        .set_monitor_settings(&grant, settings, &user.ctx.origin())
        .await?)
}

/// Days shown by default in a segment's view: the last week.
pub const DEFAULT_DAYS: u64 = 7;

/// Who a zone talks to over a span of days (the last week by default; at most a year).
pub struct ZoneFlows {
    pub zone: Zone,
    pub from: NaiveDate,
    pub until: NaiveDate,
    pub rows: Vec<TallyRow>,
    /// The segments there are, as (code, name), to name the peers by.
    pub segments: Vec<(String, String)>,
}

pub async fn zone_flows(
    state: &AppState,
    user: &User,
    code: &str,
    from: &str,
    until: &str,
) -> Result<ZoneFlows, AppError> {
    let grant = authorize::<ViewMonitor>(&user.actor, &())?;
    let zone = Zone::parse("segment", code)?;
    let mut check = Check::new();
    let day = |field: &'static str, raw: &str| -> Result<Option<NaiveDate>, FieldError> {
        match raw.trim() {
            "" => Ok(None),
            raw => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| FieldError::new(field, FieldErrorKind::InvalidFormat)),
        }
    };
    let today = state.today();
    let until = check.keep(day("until", until)).flatten().unwrap_or(today);
    let from = check
        .keep(day("from", from))
        .flatten()
        .unwrap_or_else(|| until - Days::new(DEFAULT_DAYS - 1));
    if from > until || (until - from).num_days() > 366 {
        check
            .0
            .push(FieldError::new("from", FieldErrorKind::InvalidFormat));
    }
    check.done()?;
    let rows = state.store.zone_tallies(&grant, &zone, from, until).await?;
    let segments = state.store.crossing_matrix(&grant).await?.segments;
    Ok(ZoneFlows {
        zone,
        from,
        until,
        rows,
        segments,
    })
}
