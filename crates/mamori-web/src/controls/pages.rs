//! 対策項目 as pages: the catalogues, a catalogue's tree, a unit's checklist with its answers and
//! evidence, and the coverage of the basic policy (the policy as a living checklist).

use askama::Template;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::controls::{AppliesTo, Catalogue, MeasureState, SegmentKind, Signal};
use mamori_core::i18n::Lang;
use mamori_core::time::format_jst;
use mamori_core::{FieldError, FieldErrorKind};
use serde::Deserialize;

use super::ops::{self, AnswerDraft};
use crate::http::{AppError, AppState, Frame, PathParams, Upload, UploadForm, User, render};

/// Who a measure applies to, in words.
pub fn applies_text(lang: Lang, applies: &AppliesTo) -> String {
    match applies {
        AppliesTo::All => lang.t("controls.applies.all").to_owned(),
        AppliesTo::AssetClass { dimension, level } => lang.fill(
            "controls.applies.class",
            &[
                ("dimension", lang.dimension(*dimension).to_owned()),
                ("level", level.clone()),
            ],
        ),
        AppliesTo::Segment(kind) => lang.fill(
            "controls.applies.segment",
            &[(
                "segment",
                lang.t(match kind {
                    SegmentKind::Internet => "controls.segment.internet",
                    SegmentKind::Lgwan => "controls.segment.lgwan",
                    SegmentKind::MyNumber => "controls.segment.my_number",
                })
                .to_owned(),
            )],
        ),
        AppliesTo::NetworkModel(models) => lang.fill(
            "controls.applies.model",
            &[(
                "models",
                models
                    .iter()
                    .map(|m| m.symbol())
                    .collect::<Vec<_>>()
                    .join(", "),
            )],
        ),
    }
}

/// Message keys of the codes the pages show.
pub trait Words {
    fn state_key(&self, state: &str) -> &'static str {
        MeasureState::parse(state).map_or("controls.state.unanswered", MeasureState::key)
    }

    fn signal_key(&self, signal: &Signal) -> &'static str {
        signal_key(*signal)
    }
}

// ---------------------------------------------------------------------------------------------
// The catalogues

pub struct CatalogueRow {
    pub id: i64,
    pub name: String,
    pub version: i64,
    pub measures: i64,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "controls.html")]
struct ListPage {
    frame: Frame,
    catalogues: Vec<CatalogueRow>,
    policies: Vec<(i64, String, String)>,
    can_import: bool,
}

pub async fn list(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let catalogues = ops::list(&state, &user)
        .await?
        .into_iter()
        .map(|c| CatalogueRow {
            id: c.id.0,
            name: c.name,
            version: c.version,
            measures: c.measures,
            updated: format_jst(c.updated_at),
        })
        .collect();
    let policies = ops::coverable_policies(&state, &user)
        .await?
        .into_iter()
        .map(|p| (p.id.0, p.org_name, p.title))
        .collect();
    Ok(Html(render(&ListPage {
        frame: Frame::new(&user, "controls.title"),
        catalogues,
        policies,
        can_import: user.actor.is_administrator(),
    }))
    .into_response())
}

pub async fn import(
    State(state): State<AppState>,
    user: User,
    request: Request,
) -> Result<Response, AppError> {
    // Who may import is settled before the upload is read.
    mamori_core::authz::authorize::<mamori_core::authz::ManageCatalogues>(&user.actor, &())?;
    let Upload(file) = Upload::from_request(request, &()).await?;
    let (summary, _) = ops::import(&state, &user, &file).await?;
    Ok(Redirect::to(&format!("/controls/{}", summary.id)).into_response())
}

// ---------------------------------------------------------------------------------------------
// One catalogue

pub struct NodeRow {
    pub ref_id: String,
    pub name: String,
    pub description: String,
    pub depth: u32,
    pub measure: bool,
    pub applies: String,
    pub implements: String,
}

fn node_rows(catalogue: &Catalogue, lang: Lang) -> Vec<NodeRow> {
    catalogue
        .nodes()
        .iter()
        .map(|node| {
            let text = catalogue.localised(node, lang);
            NodeRow {
                ref_id: node.ref_id.clone().unwrap_or_default(),
                name: text.name.unwrap_or_default().to_owned(),
                description: text.description.unwrap_or_default().to_owned(),
                depth: node.depth.clamp(1, 4),
                measure: node.assessable,
                applies: applies_text(lang, &node.applies_to),
                implements: node.implements.join(", "),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "controls_catalogue.html")]
struct CataloguePage {
    frame: Frame,
    id: i64,
    name: String,
    version: i64,
    measures: i64,
    nodes: Vec<NodeRow>,
    units: Vec<(i64, String)>,
}

pub async fn catalogue(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let (summary, catalogue) = ops::catalogue(&state, &user, id).await?;
    let units = ops::answerable_units(&state, &user)
        .await?
        .into_iter()
        .map(|u| (u.unit.0, u.name))
        .collect();
    let frame = Frame::new(&user, "controls.catalogue");
    Ok(Html(render(&CataloguePage {
        nodes: node_rows(&catalogue, frame.lang),
        frame,
        id: summary.id.0,
        name: summary.name,
        version: summary.version,
        measures: summary.measures,
        units,
    }))
    .into_response())
}

// ---------------------------------------------------------------------------------------------
// A unit's checklist and its answers

pub struct ChecklistRow {
    pub urn: String,
    pub ref_id: String,
    pub name: String,
    pub description: String,
    pub applies: String,
    pub implements: String,
    pub state: String,
    pub reason: String,
    pub note: String,
    pub link: String,
    pub file: Option<(i64, String, String)>,
    pub by: String,
    pub at: String,
    pub exception: Option<(i64, bool)>,
}

#[derive(Template)]
#[template(path = "controls_checklist.html")]
struct ChecklistPage {
    frame: Frame,
    id: i64,
    catalogue: String,
    unit_id: i64,
    unit: String,
    rows: Vec<ChecklistRow>,
    can_answer: bool,
    can_upload: bool,
    states: [MeasureState; 4],
}

impl Words for ChecklistPage {}

pub async fn checklist(
    State(state): State<AppState>,
    user: User,
    PathParams((id, unit)): PathParams<(i64, i64)>,
) -> Result<Response, AppError> {
    let list = ops::checklist(&state, &user, id, unit).await?;
    let (_, catalogue) = ops::catalogue(&state, &user, id).await?;
    let frame = Frame::new(&user, "controls.checklist");
    let rows = list
        .rows
        .into_iter()
        .map(|row| {
            let text = catalogue.localised(&row.node, frame.lang);
            let answer = row.answer.as_ref();
            ChecklistRow {
                urn: row.node.urn.clone(),
                ref_id: row.node.ref_id.clone().unwrap_or_default(),
                name: text.name.unwrap_or_default().to_owned(),
                description: text.description.unwrap_or_default().to_owned(),
                applies: applies_text(frame.lang, &row.node.applies_to),
                implements: row.node.implements.join(", "),
                state: answer.map_or("", |a| a.state.as_str()).to_owned(),
                reason: answer.map(|a| a.reason.clone()).unwrap_or_default(),
                note: answer.map(|a| a.note.clone()).unwrap_or_default(),
                link: answer.map(|a| a.link.clone()).unwrap_or_default(),
                file: answer.and_then(|a| {
                    a.file
                        .as_ref()
                        .map(|f| (a.id, f.name.clone(), f.sha256.clone()))
                }),
                by: answer.and_then(|a| a.by_name.clone()).unwrap_or_default(),
                at: answer.map(|a| format_jst(a.at_ms)).unwrap_or_default(),
                exception: row.exception,
            }
        })
        .collect();
    Ok(Html(render(&ChecklistPage {
        frame,
        id: list.summary.id.0,
        catalogue: list.summary.name,
        unit_id: list.unit.unit.0,
        unit: list.unit.name,
        rows,
        can_answer: list.can_answer,
        can_upload: list.can_upload,
        states: MeasureState::ALL,
    }))
    .into_response())
}

pub async fn answer(
    State(state): State<AppState>,
    user: User,
    PathParams((id, unit)): PathParams<(i64, i64)>,
    request: Request,
) -> Result<Response, AppError> {
    // Who may answer is settled before the upload is read.
    ops::may_answer(&state, &user, id, unit).await?;
    let form = UploadForm::from_request(request, &()).await?;
    let draft = AnswerDraft {
        measure: form.field("measure").to_owned(),
        status: form.field("status").to_owned(),
        reason: form.field("reason").to_owned(),
        note: form.field("note").to_owned(),
        link: form.field("link").to_owned(),
        file: (!form.file.is_empty()).then(|| (form.file_name.clone(), form.file.to_vec())),
    };
    // The page the form was on: the checklist, or a self-inspection's page of the unit
    // (`inspection-{id}`; built from the number, never a location taken from the form).
    let back = form
        .field("back")
        .strip_prefix("inspection-")
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n > 0);
    let answer = ops::answer(&state, &user, id, unit, draft).await?;
    let anchor = answer.measure_urn.rsplit(':').next().unwrap_or_default();
    let page = match back {
        Some(inspection) => format!("/inspections/{inspection}/units/{unit}"),
        None => format!("/controls/{id}/units/{unit}"),
    };
    Ok(Redirect::to(&format!("{page}#m-{anchor}")).into_response())
}

pub async fn evidence(
    State(state): State<AppState>,
    user: User,
    PathParams((id, unit, answer)): PathParams<(i64, i64, i64)>,
) -> Result<Response, AppError> {
    let (file, bytes) = ops::evidence(&state, &user, id, unit, answer).await?;
    // Always a download, never shown in the page's origin.
    let disposition = format!(
        "attachment; filename=\"evidence-{}\"; filename*=UTF-8''{}",
        &file.sha256[..16],
        percent(&file.name)
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// RFC 5987 percent-encoding of a file name.
fn percent(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Coverage

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// The basic policy whose version in force is covered.
    #[serde(default)]
    pub policy: String,
}

/// The policy a coverage query names (required, a positive number).
pub fn coverage_policy(query: &CoverageQuery) -> Result<i64, AppError> {
    let raw = query.policy.trim();
    if raw.is_empty() {
        return Err(AppError::invalid(FieldError::new(
            "policy",
            FieldErrorKind::Required,
        )));
    }
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::invalid(FieldError::new("policy", FieldErrorKind::InvalidFormat)))
}

pub struct CoverageRow {
    pub anchor: String,
    pub number: String,
    pub title: String,
    pub depth: usize,
    pub measures: usize,
    pub implemented: u64,
    pub partly: u64,
    pub not: u64,
    pub not_applicable: u64,
    pub unanswered: u64,
    pub signal: Signal,
    pub oldest_evidence: String,
}

fn coverage_rows(coverage: &ops::Coverage) -> Vec<CoverageRow> {
    coverage
        .clauses
        .iter()
        .map(|c| CoverageRow {
            anchor: c.anchor.clone(),
            number: c.number.clone(),
            title: c.title.clone(),
            depth: c.depth.min(4),
            measures: c.measures,
            implemented: c.tally.implemented,
            partly: c.tally.partly,
            not: c.tally.not,
            not_applicable: c.tally.not_applicable,
            unanswered: c.tally.unanswered,
            signal: c.signal,
            oldest_evidence: c
                .oldest_evidence
                .and_then(mamori_core::time::jst_date)
                .map(|d| d.to_string())
                .unwrap_or_default(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "coverage.html")]
struct CoveragePage {
    frame: Frame,
    policy_id: i64,
    title: String,
    org: String,
    units: usize,
    rows: Vec<CoverageRow>,
}

impl Words for CoveragePage {}

pub async fn coverage(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<CoverageQuery>,
) -> Result<Response, AppError> {
    let coverage = ops::coverage(&state, &user, coverage_policy(&query)?).await?;
    Ok(Html(render(&CoveragePage {
        frame: Frame::new(&user, "controls.coverage"),
        policy_id: coverage.policy.id.0,
        rows: coverage_rows(&coverage),
        title: coverage.policy.title.clone(),
        org: coverage.policy.org_name.clone(),
        units: coverage.units,
    }))
    .into_response())
}

/// The coverage as an Excel workbook: one row per clause, every cell text.
pub async fn coverage_export(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<CoverageQuery>,
) -> Result<Response, AppError> {
    let coverage = ops::coverage(&state, &user, coverage_policy(&query)?).await?;
    let lang = user.ctx.lang;
    let mut table = vec![
        [
            "controls.anchor",
            "controls.clause",
            "controls.measures",
            "controls.state.implemented",
            "controls.state.partly",
            "controls.state.not",
            "controls.state.not_applicable",
            "controls.state.unanswered",
            "controls.signal",
            "controls.oldest_evidence",
        ]
        .iter()
        .map(|k| lang.t(k).to_owned())
        .collect::<Vec<_>>(),
    ];
    for row in coverage_rows(&coverage) {
        let indent = "　".repeat(row.depth);
        table.push(vec![
            row.anchor,
            format!("{indent}{} {}", row.number, row.title)
                .trim_end()
                .to_owned(),
            row.measures.to_string(),
            row.implemented.to_string(),
            row.partly.to_string(),
            row.not.to_string(),
            row.not_applicable.to_string(),
            row.unanswered.to_string(),
            lang.t(signal_key(row.signal)).to_owned(),
            row.oldest_evidence,
        ]);
    }
    let bytes = mamori_sheet::write_xlsx(&table, "coverage")
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"coverage.xlsx\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

fn signal_key(signal: Signal) -> &'static str {
    match signal {
        Signal::Green => "controls.signal.green",
        Signal::Amber => "controls.signal.amber",
        Signal::Red => "controls.signal.red",
        Signal::None => "controls.signal.none",
    }
}
