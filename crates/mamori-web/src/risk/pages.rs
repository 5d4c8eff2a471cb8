//! リスク as pages: the register with its filters and the heat map (inline SVG drawn here, no
//! script), a risk with its edit and acceptance forms, and the threats.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::risk::{Level, RiskMatrix, ThreatCategory, Treatment, review_overdue};
use mamori_core::text::list_items;
use mamori_core::time::format_jst;
use mamori_core::{FieldError, FieldErrorKind};
use mamori_store::Risk;
use serde::Deserialize;

use super::api::filter_of;
use super::ops::{self, RiskDraft, ThreatDraft};
use crate::http::{AppError, AppState, Form, Frame, PathParams, User, parse_opt_id, render};

/// One cell of a heat map as drawn.
pub struct Cell {
    pub x: usize,
    pub y: usize,
    pub colour: String,
    pub count: usize,
}

/// A heat map: its cells, and the axes' labels with their positions.
pub struct HeatMap {
    pub id: &'static str,
    pub title_key: &'static str,
    pub width: usize,
    pub height: usize,
    pub cells: Vec<Cell>,
    pub likelihood: Vec<(usize, String)>,
    pub impact: Vec<(usize, String)>,
}

const CELL: usize = 56;
const MARGIN: usize = 24;

fn heat_map(
    id: &'static str,
    title_key: &'static str,
    matrix: &RiskMatrix,
    counts: &[Vec<usize>],
) -> HeatMap {
    let rows = matrix.likelihood.len();
    let mut cells = Vec::new();
    for (l, row) in counts.iter().enumerate() {
        for (i, count) in row.iter().enumerate() {
            let level = matrix.cells[l][i];
            cells.push(Cell {
                x: MARGIN + i * CELL,
                // Likelihood grows upwards.
                y: (rows - 1 - l) * CELL,
                colour: matrix.colour(level).to_owned(),
                count: *count,
            });
        }
    }
    HeatMap {
        id,
        title_key,
        width: MARGIN + matrix.impact.len() * CELL,
        height: rows * CELL + MARGIN,
        cells,
        likelihood: (0..rows)
            .map(|l| ((rows - 1 - l) * CELL + CELL / 2 + 5, (l + 1).to_string()))
            .collect(),
        impact: (0..matrix.impact.len())
            .map(|i| (MARGIN + i * CELL + CELL / 2, (i + 1).to_string()))
            .collect(),
    }
}

pub struct RiskRow {
    pub id: i64,
    pub title: String,
    pub unit: String,
    pub owner: String,
    pub inherent: &'static str,
    pub residual: &'static str,
    pub level: &'static str,
    pub colour: String,
    pub treatment: &'static str,
    pub review_on: String,
    pub overdue: bool,
}

fn row(r: &Risk, matrix: &RiskMatrix, today: chrono::NaiveDate) -> RiskRow {
    RiskRow {
        id: r.id.0,
        title: r.title.clone(),
        unit: r.unit_name.clone(),
        owner: r.owner_name.clone(),
        inherent: r.inherent_level.key(),
        residual: r.residual_level.map_or("", Level::key),
        level: r.level.key(),
        colour: matrix.colour(r.level).to_owned(),
        treatment: r.treatment.key(),
        review_on: r.review_on.to_string(),
        overdue: review_overdue(r.review_on, today),
    }
}

#[derive(Deserialize, Default)]
pub struct RegisterQuery {
    #[serde(default)]
    level: String,
    #[serde(default)]
    treatment: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    overdue: String,
}

#[derive(Template)]
#[template(path = "risks.html")]
struct RegisterPage {
    frame: Frame,
    rows: Vec<RiskRow>,
    maps: Vec<HeatMap>,
    levels: Vec<(&'static str, &'static str)>,
    treatments: Vec<(&'static str, &'static str)>,
    owners: Vec<(i64, String)>,
    query: RegisterQuery,
    can_create: bool,
    steps: usize,
    units: Vec<(i64, String)>,
    people: Vec<(i64, String)>,
    unit_id: i64,
    owner_id: i64,
}

fn choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    key: fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|v| (code(*v), key(*v))).collect()
}

pub async fn register(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<RegisterQuery>,
) -> Result<Response, AppError> {
    let owner = parse_opt_id("owner", &query.owner)?;
    let filter = filter_of(
        &query.level,
        &query.treatment,
        owner,
        !query.overdue.is_empty(),
    )?;
    let register = ops::register(&state, &user, &filter).await?;
    let (units, people) = if user.actor.records_risks() {
        ops::pick_lists(&state, &user).await?
    } else {
        (Vec::new(), Vec::new())
    };
    let matrix = &register.matrix;
    let mut owners: Vec<(i64, String)> = register
        .visible
        .iter()
        .map(|r| (r.owner.0, r.owner_name.clone()))
        .collect();
    owners.sort();
    owners.dedup();
    let maps = vec![
        heat_map(
            "heatmap-inherent",
            "risk.inherent",
            matrix,
            &ops::heat(matrix, &register.visible, false),
        ),
        heat_map(
            "heatmap-residual",
            "risk.residual",
            matrix,
            &ops::heat(matrix, &register.visible, true),
        ),
    ];
    Ok(Html(render(&RegisterPage {
        frame: Frame::new(&user, "risk.title"),
        rows: register
            .risks
            .iter()
            .map(|r| row(r, matrix, register.today))
            .collect(),
        maps,
        levels: choices(&Level::ALL, Level::as_str, Level::key),
        treatments: choices(&Treatment::ALL, Treatment::as_str, Treatment::key),
        owners,
        query,
        can_create: user.actor.records_risks(),
        steps: matrix.likelihood.len().max(matrix.impact.len()),
        unit_id: user.actor.unit_id.map_or(0, |u| u.0),
        owner_id: user.actor.person_id.0,
        units,
        people,
    }))
    .into_response())
}

/// A risk as typed in its form.
#[derive(Deserialize)]
pub struct RiskForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    assets: String,
    #[serde(default)]
    threats: String,
    #[serde(default)]
    measures: String,
    #[serde(default)]
    likelihood: String,
    #[serde(default)]
    impact: String,
    #[serde(default)]
    residual_likelihood: String,
    #[serde(default)]
    residual_impact: String,
    #[serde(default)]
    treatment: String,
    #[serde(default)]
    review_on: String,
}

fn number(field: &'static str, raw: &str) -> Result<Option<i64>, FieldError> {
    parse_opt_id(field, raw)
}

impl RiskForm {
    fn draft(self) -> Result<RiskDraft, AppError> {
        let mut errors = Vec::new();
        let mut take =
            |r: Result<Option<i64>, FieldError>| r.map_err(|e| errors.push(e)).ok().flatten();
        let unit = take(number("unit", &self.unit));
        let owner = take(number("owner", &self.owner));
        let likelihood = take(number("likelihood", &self.likelihood));
        let impact = take(number("impact", &self.impact));
        let residual_likelihood = take(number("residual_likelihood", &self.residual_likelihood));
        let residual_impact = take(number("residual_impact", &self.residual_impact));
        let assets: Result<Vec<i64>, _> =
            list_items(&self.assets).map(|a| a.parse::<i64>()).collect();
        let assets = assets.unwrap_or_else(|_| {
            errors.push(FieldError::new("assets", FieldErrorKind::InvalidFormat));
            Vec::new()
        });
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(RiskDraft {
            title: self.title,
            description: self.description,
            unit,
            owner,
            assets,
            threats: list_items(&self.threats).map(str::to_owned).collect(),
            measures: self
                .measures
                .lines()
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect(),
            likelihood,
            impact,
            residual_likelihood,
            residual_impact,
            treatment: self.treatment,
            review_on: self.review_on,
        })
    }
}

pub async fn create(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<RiskForm>,
) -> Result<Response, AppError> {
    if !user.actor.records_risks() {
        return Err(AppError::Forbidden);
    }
    let risk = ops::create(&state, &user, form.draft()?).await?;
    Ok(Redirect::to(&format!("/risks/{}", risk.id)).into_response())
}

#[derive(Template)]
#[template(path = "risk.html")]
struct RiskPage {
    frame: Frame,
    risk: Risk,
    row: RiskRow,
    assets: String,
    threats: String,
    measures: String,
    residual_likelihood: String,
    residual_impact: String,
    accepted: Option<(String, String, String)>,
    treatments: Vec<(&'static str, &'static str)>,
    can_edit: bool,
    can_accept: bool,
    threshold: &'static str,
    units: Vec<(i64, String)>,
    people: Vec<(i64, String)>,
}

pub async fn risk(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let risk = ops::risk(&state, &user, id).await?;
    let matrix = state.store.risk_matrix().await?;
    let (can_edit, can_accept) = ops::may(&user, &risk, &matrix);
    let (mut units, mut people) = if can_edit {
        ops::pick_lists(&state, &user).await?
    } else {
        (Vec::new(), Vec::new())
    };
    // The risk's own unit and owner are always offered, so that saving keeps them.
    if can_edit && !units.iter().any(|(id, _)| *id == risk.unit.0) {
        units.push((risk.unit.0, risk.unit_name.clone()));
    }
    if can_edit && !people.iter().any(|(id, _)| *id == risk.owner.0) {
        people.push((risk.owner.0, risk.owner_name.clone()));
    }
    let join = |v: &[String], sep: &str| v.join(sep);
    Ok(Html(render(&RiskPage {
        frame: Frame::new(&user, "risk.one"),
        row: row(&risk, &matrix, state.today()),
        assets: risk
            .assets
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        threats: join(&risk.threats, ", "),
        measures: join(&risk.measures, "\n"),
        residual_likelihood: risk
            .residual
            .map(|r| r.likelihood.to_string())
            .unwrap_or_default(),
        residual_impact: risk
            .residual
            .map(|r| r.impact.to_string())
            .unwrap_or_default(),
        accepted: risk
            .accepted
            .as_ref()
            .map(|a| (a.by_name.clone(), format_jst(a.at_ms), a.note.clone())),
        treatments: choices(
            &[Treatment::Reduce, Treatment::Avoid, Treatment::Transfer],
            Treatment::as_str,
            Treatment::key,
        ),
        can_edit,
        can_accept,
        threshold: matrix.accept_threshold.key(),
        units,
        people,
        risk,
    }))
    .into_response())
}

pub async fn update(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<RiskForm>,
) -> Result<Response, AppError> {
    ops::risk(&state, &user, id).await?;
    let risk = ops::update(&state, &user, id, form.draft()?).await?;
    Ok(Redirect::to(&format!("/risks/{}", risk.id)).into_response())
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    note: String,
}

pub async fn accept(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<AcceptForm>,
) -> Result<Response, AppError> {
    let risk = ops::accept(&state, &user, id, &form.note).await?;
    Ok(Redirect::to(&format!("/risks/{}", risk.id)).into_response())
}

pub struct ThreatRow {
    pub id: i64,
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub category: &'static str,
    pub category_key: &'static str,
}

#[derive(Template)]
#[template(path = "threats.html")]
struct ThreatsPage {
    frame: Frame,
    threats: Vec<ThreatRow>,
    categories: Vec<(&'static str, &'static str)>,
    can_edit: bool,
}

pub async fn threats(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let threats = ops::threats(&state, &user)
        .await?
        .into_iter()
        .map(|t| ThreatRow {
            id: t.id,
            code: t.threat.code,
            name_ja: t.threat.name_ja,
            name_en: t.threat.name_en,
            category: t.threat.category.as_str(),
            category_key: t.threat.category.key(),
        })
        .collect();
    Ok(Html(render(&ThreatsPage {
        frame: Frame::new(&user, "threat.title"),
        threats,
        categories: choices(
            &ThreatCategory::ALL,
            ThreatCategory::as_str,
            ThreatCategory::key,
        ),
        can_edit: user.actor.is_administrator(),
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct ThreatForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_ja: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    category: String,
}

impl From<ThreatForm> for ThreatDraft {
    fn from(f: ThreatForm) -> Self {
        ThreatDraft {
            code: f.code,
            name_ja: f.name_ja,
            name_en: f.name_en,
            category: f.category,
        }
    }
}

pub async fn create_threat(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<ThreatForm>,
) -> Result<Response, AppError> {
    ops::create_threat(&state, &user, form.into()).await?;
    Ok(Redirect::to("/threats").into_response())
}

pub async fn update_threat(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<ThreatForm>,
) -> Result<Response, AppError> {
    ops::update_threat(&state, &user, id, form.into()).await?;
    Ok(Redirect::to("/threats").into_response())
}

#[derive(Template)]
#[template(path = "risk_matrix.html")]
struct MatrixPage {
    frame: Frame,
    matrix: RiskMatrix,
    levels: Vec<(&'static str, &'static str)>,
    can_edit: bool,
}

impl MatrixPage {
    fn colour_of(&self, level: &str) -> String {
        Level::parse(level)
            .map(|l| self.matrix.colour(l).to_owned())
            .unwrap_or_default()
    }
}

pub async fn matrix(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let matrix = ops::matrix(&state, &user).await?;
    Ok(Html(render(&MatrixPage {
        frame: Frame::new(&user, "risk.matrix"),
        matrix,
        levels: choices(&Level::ALL, Level::as_str, Level::key),
        can_edit: user.actor.is_administrator(),
    }))
    .into_response())
}

/// The matrix as typed: step names `likelihood-{n}-ja`/`-en` and `impact-{n}-ja`/`-en`, cells
/// `cell-{likelihood}-{impact}`, colours `colour-{level}` and the threshold; the sizes stay
/// those of the matrix in force (the API changes them).
#[derive(Deserialize)]
pub struct MatrixForm {
    #[serde(default)]
    accept_threshold: String,
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

pub async fn set_matrix(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<MatrixForm>,
) -> Result<Response, AppError> {
    let current = ops::may_set_matrix(&state, &user).await?;
    let field = |key: String| form.rest.get(&key).cloned().unwrap_or_default();
    let level = |name: &'static str, raw: &str| {
        Level::parse(raw).ok_or(AppError::invalid(FieldError::new(
            name,
            FieldErrorKind::UnknownValue,
        )))
    };
    let steps = |axis: &str, n: usize| {
        (1..=n)
            .map(|i| mamori_core::risk::Step {
                ja: field(format!("{axis}-{i}-ja")),
                en: field(format!("{axis}-{i}-en")),
            })
            .collect()
    };
    let mut cells = Vec::new();
    for l in 1..=current.likelihood.len() {
        let mut row = Vec::new();
        for i in 1..=current.impact.len() {
            row.push(level("cells", &field(format!("cell-{l}-{i}")))?);
        }
        cells.push(row);
    }
    let colours = Level::ALL
        .iter()
        .map(|l| mamori_core::risk::LevelColour {
            level: *l,
            colour: field(format!("colour-{}", l.as_str())),
        })
        .collect();
    let matrix = RiskMatrix {
        likelihood: steps("likelihood", current.likelihood.len()),
        impact: steps("impact", current.impact.len()),
        cells,
        colours,
        accept_threshold: level("accept_threshold", &form.accept_threshold)?,
    };
    ops::set_matrix(&state, &user, matrix).await?;
    Ok(Redirect::to("/risk-matrix").into_response())
}
