//! 不正通信の監視 in the JSON API: alerts (filters, paging, acknowledge, close), the crossing
//! matrix (the whole of it, and a model applied), the settings and a segment's flows. Every
//! handler calls the operation the pages call.

use axum::Json;
use axum::extract::State;
use mamori_core::crossing::Crossing;
use mamori_core::monitor::MonitorSettings;
use mamori_core::time::rfc3339_jst;
use mamori_core::{FieldError, FieldErrorKind};
use mamori_store::{AlertStep, StoredAlert, StoredMatrix};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, AlertQuery, CellDraft, PresetDraft, SettingsDraft};
use crate::http::api::{ErrorBody, parse_count};
use crate::http::{ApiJson, ApiQuery, AppError, AppState, PathParams, User};

mod json {
    use super::*;

    /// An asset at one end of an alert.
    #[derive(Serialize, ToSchema)]
    pub struct AssetRef {
        pub id: i64,
        pub name: String,
    }

    /// A step of an alert's handling.
    #[derive(Serialize, ToSchema)]
    pub struct Step {
        /// The account that took it.
        pub by: String,
        pub at: String,
        pub note: String,
    }

    /// 監視アラート: many sightings of one thing aggregated.
    #[derive(Serialize, ToSchema)]
    pub struct Alert {
        pub id: i64,
        /// `crossing`, `unregistered`, `ids`, `cleartext`, `scan`, `dns`.
        pub rule: String,
        /// `open`, `acknowledged`, `closed`.
        pub state: String,
        /// What makes two sightings the same alert (Community ID, or the rule's key).
        pub key: String,
        pub src: String,
        pub dst: Option<String>,
        pub dst_port: Option<u16>,
        /// `tcp`, `udp`, `icmp`, `other`.
        pub proto: Option<String>,
        /// Segment codes; null outside every segment.
        pub src_segment: Option<String>,
        pub dst_segment: Option<String>,
        pub src_asset: Option<AssetRef>,
        pub dst_asset: Option<AssetRef>,
        pub detail: String,
        pub count: u64,
        pub first_seen: String,
        pub last_seen: String,
        /// Sample lines of the logs, as read.
        pub evidence: Vec<String>,
        pub acknowledged: Option<Step>,
        pub closed: Option<Step>,
        /// The インシデント候補 raised from the alert (see `/api/v1/incident-candidates`).
        pub incident_candidate: Option<i64>,
    }

    /// How many alerts of a rule the filter matches (the rule filter left out).
    #[derive(Serialize, ToSchema)]
    pub struct RuleCount {
        pub rule: String,
        pub count: i64,
    }

    /// A page of alerts, newest `last_seen` first.
    #[derive(Serialize, ToSchema)]
    pub struct AlertPage {
        pub alerts: Vec<Alert>,
        pub total: i64,
        pub offset: i64,
        pub limit: i64,
        pub per_rule: Vec<RuleCount>,
    }

    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct AlertParams {
        /// `crossing`, `unregistered`, `ids`, `cleartext`, `scan`, `dns`.
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub rule: String,
        /// `open`, `acknowledged`, `closed`.
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub state: String,
        /// A segment's code, at either end.
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub segment: String,
        /// An asset's id, at either end.
        #[serde(default)]
        #[param(value_type = Option<i64>)]
        pub asset: String,
        /// An address, at either end.
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub address: String,
        /// First day of `last_seen`, `YYYY-MM-DD` (JST).
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub since: String,
        /// Last day of `last_seen`, inclusive, `YYYY-MM-DD` (JST).
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub until: String,
        #[serde(default)]
        #[param(value_type = Option<i64>)]
        pub offset: String,
        /// How many (default 50, at most 500).
        #[serde(default)]
        #[param(value_type = Option<i64>)]
        pub limit: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct NoteBody {
        #[serde(default)]
        pub note: String,
    }

    /// One cell of the crossing matrix.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct Cell {
        /// A segment's code, or `*INTERNET`.
        pub from: String,
        pub to: String,
        /// `never`, `only`, `any`.
        pub allow: String,
        /// For `only`: `tcp/25@10.20.0.25`, `udp/53`, `tcp/*`, one item each.
        #[serde(default)]
        pub services: Vec<String>,
        #[serde(default)]
        pub note: String,
    }

    /// A segment, a zone of the matrix.
    #[derive(Serialize, ToSchema)]
    pub struct Zone {
        pub code: String,
        pub name: String,
    }

    /// 通信経路の許可表.
    #[derive(Serialize, ToSchema)]
    pub struct Matrix {
        pub cells: Vec<Cell>,
        /// The segments there are (the Internet, `*INTERNET`, is always a zone too).
        pub zones: Vec<Zone>,
        /// Zones named by cells whose segment was deleted: remove those cells.
        pub missing: Vec<String>,
        /// Not saved yet: the β model of the 総務省 guidelines over the segments there are,
        /// which the monitor applies until the matrix is first written (a cell written is
        /// written into it).
        pub assumed: bool,
    }

    /// The whole matrix, replacing the one in force.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct MatrixBody {
        pub cells: Vec<Cell>,
    }

    /// A model of the 総務省 guidelines applied over the segments there are.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct PresetBody {
        /// `beta`, `beta_prime`, `alpha`, `alpha_prime`.
        pub model: String,
        /// The 無害化 gateway's addresses or ranges.
        #[serde(default)]
        pub gateway: Vec<String>,
        /// The screen-transfer server's addresses or ranges.
        #[serde(default)]
        pub screen_transfer: Vec<String>,
    }

    /// The monitor's settings.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct Settings {
        /// 指定 DNS サーバ.
        #[serde(default)]
        pub resolvers: Vec<String>,
        /// The scan rule's window, 1–86400 seconds.
        pub window_secs: Option<i64>,
        /// Distinct destinations of one source within the window, 2–1000000.
        pub scan_hosts: Option<i64>,
        /// Distinct ports of one destination within the window, 2–65536.
        pub scan_ports: Option<i64>,
        /// An unregistered address is reported once per this window, 60–604800 seconds.
        pub unregistered_window_secs: Option<i64>,
        /// Evidence lines kept per alert, 1–50.
        pub evidence_samples: Option<i64>,
        /// Internal ranges outside every segment.
        #[serde(default)]
        pub internal: Vec<String>,
        /// Rules whose new alerts the monitor raises as インシデント候補 on its own (`crossing`,
        /// `unregistered`, `ids`, `cleartext`, `scan`, `dns`); absent, `crossing` and `ids`.
        pub candidate_rules: Option<Vec<String>>,
    }

    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct SpanParams {
        /// First day, `YYYY-MM-DD`; a week before `until` when absent.
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub from: String,
        /// Last day, inclusive, `YYYY-MM-DD`; today when absent.
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub until: String,
    }

    /// Flows between two zones over the days asked for.
    #[derive(Serialize, ToSchema)]
    pub struct Flow {
        pub from: String,
        pub to: String,
        pub proto: String,
        /// Null for protocols without ports and for ports folded together.
        pub dst_port: Option<u16>,
        pub flows: i64,
        /// Of those, the flows the matrix refused.
        pub forbidden: i64,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Tallies {
        pub zone: String,
        pub from: String,
        pub until: String,
        pub flows: Vec<Flow>,
    }
}

fn step(s: &Option<AlertStep>) -> Option<json::Step> {
    s.as_ref().map(|s| json::Step {
        by: s.by.clone(),
        at: rfc3339_jst(s.at_ms),
        note: s.note.clone(),
    })
}

fn alert_json(stored: &StoredAlert) -> json::Alert {
    let a = &stored.alert;
    let asset = |r: &Option<mamori_core::monitor::AssetRef>| {
        r.as_ref().map(|r| json::AssetRef {
            id: r.id.0,
            name: r.name.clone(),
        })
    };
    json::Alert {
        id: stored.id.0,
        rule: a.rule.as_str().into(),
        state: stored.state.as_str().into(),
        key: a.key.clone(),
        src: a.src.to_string(),
        dst: a.dst.map(|d| d.to_string()),
        dst_port: a.dst_port,
        proto: a.proto.map(|p| p.as_str().into()),
        src_segment: a.src_segment.clone(),
        dst_segment: a.dst_segment.clone(),
        src_asset: asset(&a.src_asset),
        dst_asset: asset(&a.dst_asset),
        detail: a.detail.clone(),
        count: a.count,
        first_seen: rfc3339_jst(a.first_seen.timestamp_millis()),
        last_seen: rfc3339_jst(a.last_seen.timestamp_millis()),
        evidence: a.evidence.clone(),
        acknowledged: step(&stored.acknowledged),
        closed: step(&stored.closed),
        incident_candidate: stored.incident_candidate,
    }
}

fn matrix_json(stored: &StoredMatrix) -> json::Matrix {
    json::Matrix {
        cells: stored
            .matrix
            .rules
            .iter()
            .map(|r| json::Cell {
                from: r.from.code().into(),
                to: r.to.code().into(),
                allow: match &r.crossing {
                    Crossing::Never => "never",
                    Crossing::Only(_) => "only",
                    Crossing::Any => "any",
                }
                .into(),
                services: match &r.crossing {
                    Crossing::Only(list) => list.iter().map(ToString::to_string).collect(),
                    _ => Vec::new(),
                },
                note: r.note.clone(),
            })
            .collect(),
        zones: stored
            .segments
            .iter()
            .map(|(code, name)| json::Zone {
                code: code.clone(),
                name: name.clone(),
            })
            .collect(),
        missing: stored.missing.iter().map(|z| z.code().to_owned()).collect(),
        assumed: stored.assumed,
    }
}

fn settings_json(s: &MonitorSettings) -> json::Settings {
    json::Settings {
        resolvers: s.resolvers.iter().map(ToString::to_string).collect(),
        window_secs: Some(i64::from(s.scan.window_secs)),
        scan_hosts: Some(i64::from(s.scan.hosts)),
        scan_ports: Some(i64::from(s.scan.ports)),
        unregistered_window_secs: Some(i64::from(s.unregistered_window_secs)),
        evidence_samples: i64::try_from(s.evidence_samples).ok(),
        internal: s.internal.iter().map(ToString::to_string).collect(),
        candidate_rules: Some(
            s.candidate_rules
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
        ),
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_alerts,
        get_alert,
        acknowledge_alert,
        close_alert,
        raise_candidate,
        get_matrix,
        put_matrix,
        apply_preset,
        get_settings,
        put_settings,
        segment_tallies
    ),
    tags((name = "monitor", description = "不正通信の監視: alerts, the crossing matrix, settings, flows")),
)]
pub struct MonitorApiDoc;

/// Alerts, newest first (the CSIRT, the administrators and the auditors).
#[utoipa::path(
    get,
    path = "/api/v1/monitor/alerts",
    tag = "monitor",
    params(json::AlertParams),
    responses(
        (status = 200, body = json::AlertPage),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn list_alerts(
    State(state): State<AppState>,
    user: User,
    ApiQuery(params): ApiQuery<json::AlertParams>,
) -> Result<Json<json::AlertPage>, AppError> {
    let limit = parse_count("limit", &params.limit, 50, 1, 500)?;
    let query = AlertQuery {
        rule: params.rule,
        state: params.state,
        segment: params.segment,
        asset: params.asset,
        address: params.address,
        since: params.since,
        until: params.until,
        offset: params.offset,
    };
    let (page, filter) = ops::alerts(&state, &user, &query, limit).await?;
    Ok(Json(json::AlertPage {
        alerts: page.alerts.iter().map(alert_json).collect(),
        total: page.total,
        offset: filter.offset,
        limit: filter.limit,
        per_rule: page
            .per_rule
            .iter()
            .map(|(rule, count)| json::RuleCount {
                rule: rule.as_str().into(),
                count: *count,
            })
            .collect(),
    }))
}

/// One alert with its evidence.
#[utoipa::path(
    get,
    path = "/api/v1/monitor/alerts/{id}",
    tag = "monitor",
    params(("id" = i64, Path, description = "Alert id")),
    responses(
        (status = 200, body = json::Alert),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn get_alert(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<json::Alert>, AppError> {
    Ok(Json(alert_json(&ops::alert(&state, &user, id).await?)))
}

/// Acknowledges an open alert (the CSIRT).
#[utoipa::path(
    post,
    path = "/api/v1/monitor/alerts/{id}/acknowledge",
    tag = "monitor",
    params(("id" = i64, Path, description = "Alert id")),
    request_body = json::NoteBody,
    responses(
        (status = 200, body = json::Alert),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn acknowledge_alert(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::NoteBody>,
) -> Result<Json<json::Alert>, AppError> {
    Ok(Json(alert_json(
        &ops::acknowledge(&state, &user, id, &body.note).await?,
    )))
}

/// Raises the alert as an インシデント候補 for the CSIRT's decision (the CSIRT); an alert raised
/// before answers as it is, with its candidate.
#[utoipa::path(
    post,
    path = "/api/v1/monitor/alerts/{id}/candidate",
    tag = "monitor",
    params(("id" = i64, Path, description = "Alert id")),
    responses(
        (status = 200, body = json::Alert),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn raise_candidate(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<json::Alert>, AppError> {
    Ok(Json(alert_json(
        &ops::raise_candidate(&state, &user, id).await?,
    )))
}

/// Closes an open or acknowledged alert (the CSIRT).
#[utoipa::path(
    post,
    path = "/api/v1/monitor/alerts/{id}/close",
    tag = "monitor",
    params(("id" = i64, Path, description = "Alert id")),
    request_body = json::NoteBody,
    responses(
        (status = 200, body = json::Alert),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn close_alert(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::NoteBody>,
) -> Result<Json<json::Alert>, AppError> {
    Ok(Json(alert_json(
        &ops::close(&state, &user, id, &body.note).await?,
    )))
}

/// The crossing matrix, every cell.
#[utoipa::path(
    get,
    path = "/api/v1/monitor/crossing-matrix",
    tag = "monitor",
    responses(
        (status = 200, body = json::Matrix),
        (status = 403, body = ErrorBody),
    )
)]
async fn get_matrix(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<json::Matrix>, AppError> {
    Ok(Json(matrix_json(&ops::matrix(&state, &user).await?)))
}

/// Replaces the whole crossing matrix (the administrators). Each cell is checked; a zone that
/// is not a segment is 409 `monitor.zone_missing`.
#[utoipa::path(
    put,
    path = "/api/v1/monitor/crossing-matrix",
    tag = "monitor",
    request_body = json::MatrixBody,
    responses(
        (status = 200, body = json::Matrix),
        (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn put_matrix(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::MatrixBody, { 4 * 1024 * 1024 }>,
) -> Result<Json<json::Matrix>, AppError> {
    if body.cells.len() > 10_000 {
        return Err(FieldError::new("cells", FieldErrorKind::TooLong { max: 10_000 }).into());
    }
    let mut rules = Vec::with_capacity(body.cells.len());
    for cell in body.cells {
        rules.push(ops::cell(&CellDraft {
            from: cell.from,
            to: cell.to,
            allow: cell.allow,
            services: cell.services,
            note: cell.note,
        })?);
    }
    let matrix = mamori_core::crossing::CrossingMatrix { rules };
    Ok(Json(matrix_json(
        &ops::replace_matrix(&state, &user, &matrix).await?,
    )))
}

/// Replaces the matrix with a model of the 総務省 guidelines over the segments there are (the
/// administrators).
#[utoipa::path(
    post,
    path = "/api/v1/monitor/crossing-matrix/preset",
    tag = "monitor",
    request_body = json::PresetBody,
    responses(
        (status = 200, body = json::Matrix),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn apply_preset(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::PresetBody>,
) -> Result<Json<json::Matrix>, AppError> {
    Ok(Json(matrix_json(
        &ops::apply_preset(
            &state,
            &user,
            &PresetDraft {
                model: body.model,
                gateway: body.gateway,
                screen_transfer: body.screen_transfer,
                // The request itself is the confirmation.
                confirm: true,
            },
        )
        .await?,
    )))
}

/// The monitor's settings.
#[utoipa::path(
    get,
    path = "/api/v1/monitor/settings",
    tag = "monitor",
    responses(
        (status = 200, body = json::Settings),
        (status = 403, body = ErrorBody),
    )
)]
async fn get_settings(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<json::Settings>, AppError> {
    Ok(Json(settings_json(&ops::settings(&state, &user).await?)))
}

/// Replaces the monitor's settings (the administrators); every number is required.
#[utoipa::path(
    put,
    path = "/api/v1/monitor/settings",
    tag = "monitor",
    request_body = json::Settings,
    responses(
        (status = 200, body = json::Settings),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn put_settings(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::Settings>,
) -> Result<Json<json::Settings>, AppError> {
    let settings = ops::settings_of(&SettingsDraft {
        resolvers: body.resolvers,
        window_secs: body.window_secs,
        hosts: body.scan_hosts,
        ports: body.scan_ports,
        unregistered_window_secs: body.unregistered_window_secs,
        evidence_samples: body.evidence_samples,
        internal: body.internal,
        candidate_rules: body.candidate_rules,
    })?;
    Ok(Json(settings_json(
        &ops::set_settings(&state, &user, &settings).await?,
    )))
}

/// Who a segment (or `*INTERNET`) talks to: flows per peer, protocol and port over the days
/// asked for (the last week by default).
#[utoipa::path(
    get,
    path = "/api/v1/monitor/segments/{code}/tallies",
    tag = "monitor",
    params(("code" = String, Path, description = "Segment code or *INTERNET"), json::SpanParams),
    responses(
        (status = 200, body = json::Tallies),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn segment_tallies(
    State(state): State<AppState>,
    user: User,
    PathParams(code): PathParams<String>,
    ApiQuery(span): ApiQuery<json::SpanParams>,
) -> Result<Json<json::Tallies>, AppError> {
    let flows = ops::zone_flows(&state, &user, &code, &span.from, &span.until).await?;
    Ok(Json(json::Tallies {
        zone: flows.zone.code().into(),
        from: flows.from.to_string(),
        until: flows.until.to_string(),
        flows: flows
            .rows
            .iter()
            .map(|r| json::Flow {
                from: r.from.code().into(),
                to: r.to.code().into(),
                proto: r.proto.as_str().into(),
                dst_port: r.dst_port,
                flows: r.flows,
                forbidden: r.forbidden,
            })
            .collect(),
    }))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(MonitorApiDoc::openapi())
        .routes(routes!(list_alerts))
        .routes(routes!(get_alert))
        .routes(routes!(acknowledge_alert))
        .routes(routes!(close_alert))
        .routes(routes!(raise_candidate))
        .routes(routes!(get_matrix, put_matrix))
        .routes(routes!(apply_preset))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(segment_tallies))
}
