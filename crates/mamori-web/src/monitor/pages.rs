//! 不正通信の監視 as pages: the alerts with their filters and counts per rule, an alert with its
//! evidence and the CSIRT's forms, the crossing matrix editor (`/segments/crossing`), the
//! monitor's settings and a segment's flows.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::crossing::{Crossing, Model, Zone};
use mamori_core::monitor::{Alert, AlertRule};
use mamori_core::time::format_jst;
use mamori_store::{AlertFilter, AlertState, StoredAlert, StoredMatrix};
use serde::Deserialize;

use super::ops::{self, AlertQuery, CellDraft, PAGE_SIZE, PresetDraft, SettingsDraft};
use crate::http::{AppError, AppState, Form, Frame, PathParams, User, render};
use mamori_core::text::list_items;
use mamori_core::{FieldError, FieldErrorKind};

/// The items of a list typed into one field.
fn items(raw: &str) -> Vec<String> {
    list_items(raw).map(str::to_owned).collect()
}

/// One end of an alert as shown: the address, its segment (linked to the segment's view) and
/// its asset (linked to the register).
pub struct End {
    pub address: String,
    pub segment: Option<String>,
    pub asset: Option<(i64, String)>,
}

pub struct Row {
    pub id: i64,
    pub rule: &'static str,
    pub rule_code: &'static str,
    pub state: &'static str,
    pub state_code: &'static str,
    pub src: End,
    pub dst: End,
    pub service: String,
    pub count: u64,
    pub first_seen: String,
    pub last_seen: String,
    pub detail: String,
}

fn service(a: &Alert) -> String {
    match (a.proto, a.dst_port) {
        (Some(proto), Some(port)) => format!("{proto}/{port}"),
        (Some(proto), None) => proto.to_string(),
        (None, Some(port)) => port.to_string(),
        (None, None) => String::new(),
    }
}

fn row(stored: &StoredAlert) -> Row {
    let a = &stored.alert;
    Row {
        id: stored.id.0,
        rule: a.rule.key(),
        rule_code: a.rule.as_str(),
        state: stored.state.key(),
        state_code: stored.state.as_str(),
        src: End {
            address: a.src.to_string(),
            segment: a.src_segment.clone(),
            asset: a.src_asset.as_ref().map(|r| (r.id.0, r.name.clone())),
        },
        dst: End {
            address: a.dst.map(|d| d.to_string()).unwrap_or_default(),
            segment: a.dst_segment.clone(),
            asset: a.dst_asset.as_ref().map(|r| (r.id.0, r.name.clone())),
        },
        service: service(a),
        count: a.count,
        first_seen: format_jst(a.first_seen.timestamp_millis()),
        last_seen: format_jst(a.last_seen.timestamp_millis()),
        detail: a.detail.clone(),
    }
}

/// The list's address with the filter and another offset.
fn page_link(query: &AlertQuery, offset: i64) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("rule", &query.rule),
        ("state", &query.state),
        ("segment", &query.segment),
        ("asset", &query.asset),
        ("address", &query.address),
        ("since", &query.since),
        ("until", &query.until),
    ] {
        if !v.trim().is_empty() {
            s.append_pair(k, v.trim());
        }
    }
    if offset > 0 {
        s.append_pair("offset", &offset.to_string());
    }
    format!("/monitor/alerts?{}", s.finish())
}

#[derive(Template)]
#[template(path = "monitor_alerts.html")]
struct ListPage {
    frame: Frame,
    query: AlertQuery,
    rows: Vec<Row>,
    total: i64,
    /// (rule key, code, count, link filtering by it).
    per_rule: Vec<(&'static str, &'static str, i64, String)>,
    rules: Vec<(&'static str, &'static str)>,
    states: Vec<(&'static str, &'static str)>,
    prev: Option<String>,
    next: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<AlertQuery>,
) -> Result<Response, AppError> {
    let (page, filter): (_, AlertFilter) = ops::alerts(&state, &user, &query, PAGE_SIZE).await?;
    let per_rule = page
        .per_rule
        .iter()
        .map(|(rule, n)| {
            let by = AlertQuery {
                rule: rule.as_str().into(),
                offset: String::new(),
                ..query.clone()
            };
            (rule.key(), rule.as_str(), *n, page_link(&by, 0))
        })
        .collect();
    let prev = (filter.offset > 0).then(|| page_link(&query, (filter.offset - PAGE_SIZE).max(0)));
    let next = (filter.offset + PAGE_SIZE < page.total)
        .then(|| page_link(&query, filter.offset + PAGE_SIZE));
    Ok(Html(render(&ListPage {
        frame: Frame::new(&user, "monitor.alerts"),
        rows: page.alerts.iter().map(row).collect(),
        total: page.total,
        per_rule,
        rules: AlertRule::ALL
            .iter()
            .map(|r| (r.as_str(), r.key()))
            .collect(),
        states: AlertState::ALL
            .iter()
            .map(|s| (s.as_str(), s.key()))
            .collect(),
        prev,
        next,
        query,
    }))
    .into_response())
}

#[derive(Template)]
#[template(path = "monitor_alert.html")]
struct AlertPage {
    frame: Frame,
    row: Row,
    key: String,
    evidence: Vec<String>,
    /// (label key, by, at, note).
    steps: Vec<(&'static str, String, String, String)>,
    /// The インシデント候補 raised from the alert.
    candidate: Option<i64>,
    can_raise: bool,
    can_acknowledge: bool,
    can_close: bool,
}

pub async fn alert(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let stored = ops::alert(&state, &user, id).await?;
    let handle = ops::may_handle(&user);
    let mut steps = Vec::new();
    for (key, step) in [
        ("monitor.acknowledged", &stored.acknowledged),
        ("monitor.closed", &stored.closed),
    ] {
        if let Some(step) = step {
            steps.push((
                key,
                step.by.clone(),
                format_jst(step.at_ms),
                step.note.clone(),
            ));
        }
    }
    Ok(Html(render(&AlertPage {
        frame: Frame::new(&user, "monitor.alert"),
        row: row(&stored),
        key: stored.alert.key.clone(),
        evidence: stored.alert.evidence.clone(),
        steps,
        candidate: stored.incident_candidate,
        can_raise: handle && stored.incident_candidate.is_none(),
        can_acknowledge: handle && stored.state == AlertState::Open,
        can_close: handle && stored.state != AlertState::Closed,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    note: String,
}

pub async fn acknowledge(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<NoteForm>,
) -> Result<Response, AppError> {
    ops::acknowledge(&state, &user, id, &form.note).await?;
    Ok(Redirect::to(&format!("/monitor/alerts/{id}")).into_response())
}

pub async fn close(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<NoteForm>,
) -> Result<Response, AppError> {
    ops::close(&state, &user, id, &form.note).await?;
    Ok(Redirect::to(&format!("/monitor/alerts/{id}")).into_response())
}

pub async fn raise_candidate(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    ops::raise_candidate(&state, &user, id).await?;
    Ok(Redirect::to(&format!("/monitor/alerts/{id}#alert-candidate")).into_response())
}

/// A zone as the grid shows it.
pub struct ZoneCol {
    pub code: String,
    /// The segment's name, or the catalogue's インターネット.
    pub name: String,
}

/// One cell of the grid.
pub struct Cell {
    pub from: String,
    pub to: String,
    /// `inside`, `unset`, `never`, `only`, `any`.
    pub allow: &'static str,
    pub label: &'static str,
    pub services: Vec<String>,
    pub note: String,
}

#[derive(Template)]
#[template(path = "monitor_matrix.html")]
struct MatrixPage {
    frame: Frame,
    zones: Vec<ZoneCol>,
    grid: Vec<(ZoneCol, Vec<Cell>)>,
    /// Cells naming deleted segments.
    orphans: Vec<Cell>,
    empty: bool,
    /// Not saved yet: the β model the monitor applies until the first edit.
    assumed: bool,
    can_manage: bool,
    models: Vec<(&'static str, &'static str)>,
}

fn cell_of(matrix: &StoredMatrix, from: &Zone, to: &Zone) -> Cell {
    let (allow, label, services, note) = if from == to {
        ("inside", "crossing.inside", Vec::new(), String::new())
    } else {
        match matrix.matrix.rule(from, to) {
            None => ("unset", "crossing.unset", Vec::new(), String::new()),
            Some(rule) => {
                let (allow, services) = match &rule.crossing {
                    Crossing::Never => ("never", Vec::new()),
                    Crossing::Any => ("any", Vec::new()),
                    Crossing::Only(list) => ("only", list.iter().map(|s| s.to_string()).collect()),
                };
                (allow, rule.crossing.key(), services, rule.note.clone())
            }
        }
    };
    Cell {
        from: from.code().into(),
        to: to.code().into(),
        allow,
        label,
        services,
        note,
    }
}

pub async fn matrix(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let stored = ops::matrix(&state, &user).await?;
    let frame = Frame::new(&user, "crossing.title");
    let mut zones: Vec<(Zone, ZoneCol)> = stored
        .segments
        .iter()
        .map(|(code, name)| {
            (
                Zone::Segment(code.clone()),
                ZoneCol {
                    code: code.clone(),
                    name: name.clone(),
                },
            )
        })
        .collect();
    zones.push((
        Zone::Internet,
        ZoneCol {
            code: Zone::Internet.code().into(),
            name: frame.t("monitor.internet").into(),
        },
    ));
    let grid = zones
        .iter()
        .map(|(from, col)| {
            (
                ZoneCol {
                    code: col.code.clone(),
                    name: col.name.clone(),
                },
                zones
                    .iter()
                    .map(|(to, _)| cell_of(&stored, from, to))
                    .collect(),
            )
        })
        .collect();
    let orphans = stored
        .matrix
        .rules
        .iter()
        .filter(|r| stored.missing.contains(&r.from) || stored.missing.contains(&r.to))
        .map(|r| cell_of(&stored, &r.from, &r.to))
        .collect();
    Ok(Html(render(&MatrixPage {
        empty: stored.matrix.rules.is_empty(),
        assumed: stored.assumed,
        zones: zones.into_iter().map(|(_, col)| col).collect(),
        grid,
        orphans,
        can_manage: ops::may_manage(&user),
        models: Model::ALL.iter().map(|m| (m.as_str(), m.key())).collect(),
        frame,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct CellForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    allow: String,
    #[serde(default)]
    services: String,
    #[serde(default)]
    note: String,
}

pub async fn set_cell(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<CellForm>,
) -> Result<Response, AppError> {
    ops::set_cell(
        &state,
        &user,
        &CellDraft {
            from: form.from,
            to: form.to,
            allow: form.allow,
            // A service's addresses are separated by commas: services by spaces or lines.
            services: form
                .services
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            note: form.note,
        },
    )
    .await?;
    Ok(Redirect::to("/segments/crossing").into_response())
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

pub async fn remove_cell(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<RemoveForm>,
) -> Result<Response, AppError> {
    ops::remove_cell(&state, &user, &form.from, &form.to).await?;
    Ok(Redirect::to("/segments/crossing").into_response())
}

#[derive(Deserialize)]
pub struct PresetForm {
    #[serde(default)]
    model: String,
    #[serde(default)]
    gateway: String,
    #[serde(default)]
    screen_transfer: String,
    #[serde(default)]
    confirm: String,
}

pub async fn preset(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<PresetForm>,
) -> Result<Response, AppError> {
    ops::apply_preset(
        &state,
        &user,
        &PresetDraft {
            model: form.model,
            gateway: items(&form.gateway),
            screen_transfer: items(&form.screen_transfer),
            confirm: !form.confirm.is_empty(),
        },
    )
    .await?;
    Ok(Redirect::to("/segments/crossing").into_response())
}

#[derive(Template)]
#[template(path = "monitor_settings.html")]
struct SettingsPage {
    frame: Frame,
    resolvers: String,
    window_secs: u32,
    hosts: u32,
    ports: u32,
    unregistered_window_secs: u32,
    evidence_samples: usize,
    internal: String,
    /// (rule code, catalogue key of its name, raised on its own).
    candidate_rules: Vec<(&'static str, &'static str, bool)>,
    can_manage: bool,
}

pub async fn settings(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let s = ops::settings(&state, &user).await?;
    let lines = |items: Vec<String>| items.join("\n");
    Ok(Html(render(&SettingsPage {
        frame: Frame::new(&user, "monitor.settings"),
        resolvers: lines(s.resolvers.iter().map(ToString::to_string).collect()),
        window_secs: s.scan.window_secs,
        hosts: s.scan.hosts,
        ports: s.scan.ports,
        unregistered_window_secs: s.unregistered_window_secs,
        evidence_samples: s.evidence_samples,
        internal: lines(s.internal.iter().map(ToString::to_string).collect()),
        candidate_rules: AlertRule::ALL
            .into_iter()
            .map(|r| (r.as_str(), r.key(), s.candidate_rules.contains(&r)))
            .collect(),
        can_manage: ops::may_manage(&user),
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    resolvers: String,
    #[serde(default)]
    window_secs: String,
    #[serde(default)]
    hosts: String,
    #[serde(default)]
    ports: String,
    #[serde(default)]
    unregistered_window_secs: String,
    #[serde(default)]
    evidence_samples: String,
    #[serde(default)]
    internal: String,
    /// The candidate rules' boxes, `candidate-{rule}`.
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

pub async fn save_settings(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    let mut problems = Vec::new();
    let mut number = |field: &'static str, raw: &str| -> Option<i64> {
        match raw.trim() {
            "" => None,
            raw => raw
                .parse::<i64>()
                .map_err(|_| problems.push(FieldError::new(field, FieldErrorKind::InvalidFormat)))
                .ok(),
        }
    };
    let draft = SettingsDraft {
        window_secs: number("window_secs", &form.window_secs),
        hosts: number("scan_hosts", &form.hosts),
        ports: number("scan_ports", &form.ports),
        unregistered_window_secs: number(
            "unregistered_window_secs",
            &form.unregistered_window_secs,
        ),
        evidence_samples: number("evidence_samples", &form.evidence_samples),
        resolvers: items(&form.resolvers),
        internal: items(&form.internal),
        candidate_rules: Some(
            form.rest
                .keys()
                .filter_map(|k| k.strip_prefix("candidate-"))
                .map(str::to_owned)
                .collect(),
        ),
    };
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let settings = ops::settings_of(&draft)?;
    ops::set_settings(&state, &user, &settings).await?;
    Ok(Redirect::to("/monitor/settings").into_response())
}

#[derive(Deserialize, Default)]
pub struct SpanQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
}

/// A row of a segment's flows.
pub struct FlowRow {
    /// The peer's name: the segment's (its code when it was deleted since), or インターネット.
    pub peer: String,
    pub peer_code: String,
    pub service: String,
    pub flows: i64,
    pub forbidden: i64,
}

#[derive(Template)]
#[template(path = "monitor_segment.html")]
struct SegmentPage {
    frame: Frame,
    code: String,
    name: String,
    from: String,
    until: String,
    outgoing: Vec<FlowRow>,
    incoming: Vec<FlowRow>,
    /// The alerts of the segment (either end); none for the Internet.
    alerts_link: Option<String>,
}

pub async fn segment(
    State(state): State<AppState>,
    user: User,
    PathParams(code): PathParams<String>,
    Query(span): Query<SpanQuery>,
) -> Result<Response, AppError> {
    let flows = ops::zone_flows(&state, &user, &code, &span.from, &span.until).await?;
    let frame = Frame::new(&user, "monitor.segment_view");
    let name = |zone: &Zone| match zone {
        Zone::Internet => frame.t("monitor.internet").to_owned(),
        Zone::Segment(code) => flows
            .segments
            .iter()
            .find(|(c, _)| c == code)
            .map_or_else(|| code.clone(), |(_, name)| name.clone()),
    };
    let service = |r: &mamori_store::TallyRow| match r.dst_port {
        Some(port) => format!("{}/{port}", r.proto),
        None => format!("{}/*", r.proto),
    };
    let mut outgoing = Vec::new();
    let mut incoming = Vec::new();
    for r in &flows.rows {
        if r.from == flows.zone {
            outgoing.push(FlowRow {
                peer: name(&r.to),
                peer_code: r.to.code().into(),
                service: service(r),
                flows: r.flows,
                forbidden: r.forbidden,
            });
        } else {
            incoming.push(FlowRow {
                peer: name(&r.from),
                peer_code: r.from.code().into(),
                service: service(r),
                flows: r.flows,
                forbidden: r.forbidden,
            });
        }
    }
    let alerts_link = flows.zone.segment().map(|code| {
        page_link(
            &AlertQuery {
                segment: code.into(),
                ..AlertQuery::default()
            },
            0,
        )
    });
    Ok(Html(render(&SegmentPage {
        code: flows.zone.code().into(),
        name: name(&flows.zone),
        from: flows.from.to_string(),
        until: flows.until.to_string(),
        outgoing,
        incoming,
        alerts_link,
        frame,
    }))
    .into_response())
}
