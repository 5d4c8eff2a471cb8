//! 自己点検 as pages: the campaigns with the form that opens one, a campaign's dashboard by unit
//! and by chapter, and a unit's items with this year's and last year's answers, the answer
//! form and the sign-off.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::controls::{Chapter, MeasureState};
use mamori_core::inspection::Progress;
use mamori_core::time::format_jst;
use serde::Deserialize;

use super::ops::{self, CampaignDraft};
use crate::http::{AppError, AppState, Form, Frame, PathParams, User, parse_opt_id, render};

pub struct CampaignRow {
    pub id: i64,
    pub year: i32,
    pub title: String,
    pub catalogue: String,
    pub due_on: String,
    pub units: i64,
    pub signed: i64,
}

#[derive(Template)]
#[template(path = "inspections.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<CampaignRow>,
    can_create: bool,
    catalogues: Vec<(i64, String)>,
    units: Vec<(i64, String)>,
    year: i32,
}

pub async fn list(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let campaigns = ops::list(&state, &user).await?;
    let can_create =
        mamori_core::authz::authorize::<mamori_core::authz::ManageInspections>(&user.actor, &())
            .is_ok();
    let (catalogues, units) = if can_create {
        (
            state
                .store
                .catalogues()
                .await?
                .into_iter()
                .map(|c| (c.id.0, c.name))
                .collect(),
            state
                .store
                .unit_assets()
                .await?
                .into_iter()
                .map(|u| (u.unit.0, u.name))
                .collect(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let today = state.today();
    Ok(Html(render(&ListPage {
        frame: Frame::new(&user, "inspection.title"),
        rows: campaigns
            .into_iter()
            .map(|c| CampaignRow {
                id: c.id.0,
                year: c.year,
                title: c.title,
                catalogue: c.catalogue_name,
                due_on: c.due_on.to_string(),
                units: c.units,
                signed: c.signed,
            })
            .collect(),
        can_create,
        catalogues,
        units,
        year: chrono::Datelike::year(&today),
    }))
    .into_response())
}

/// A campaign as typed: the units ticked are `unit-{id}` fields; none ticked means every unit.
#[derive(Deserialize)]
pub struct CampaignForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    catalogue: String,
    #[serde(default)]
    due_on: String,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

pub async fn create(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<CampaignForm>,
) -> Result<Response, AppError> {
    let mut errors = Vec::new();
    let year = form
        .year
        .trim()
        .parse::<i64>()
        .map_err(|_| {
            errors.push(mamori_core::FieldError::new(
                "year",
                mamori_core::FieldErrorKind::InvalidFormat,
            ))
        })
        .ok();
    let catalogue = parse_opt_id("catalogue", &form.catalogue)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let mut units = Vec::new();
    for key in form.rest.keys() {
        if let Some(id) = key.strip_prefix("unit-") {
            match parse_opt_id("units", id) {
                Ok(Some(id)) => units.push(id),
                _ => errors.push(mamori_core::FieldError::new(
                    "units",
                    mamori_core::FieldErrorKind::InvalidFormat,
                )),
            }
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let inspection = ops::create(
        &state,
        &user,
        CampaignDraft {
            year,
            title: form.title,
            catalogue,
            due_on: form.due_on,
            units,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/inspections/{}", inspection.id.0)).into_response())
}

pub struct ProgressRow {
    pub label: String,
    pub link: String,
    pub items: usize,
    pub answered: usize,
    pub percent: usize,
    pub implemented: usize,
    pub partly: usize,
    pub not: usize,
    pub not_applicable: usize,
    pub signed: String,
    pub overdue: bool,
}

fn progress_row(label: String, link: String, p: &Progress) -> ProgressRow {
    ProgressRow {
        label,
        link,
        items: p.items,
        answered: p.answered(),
        percent: p.percent(),
        implemented: p.implemented,
        partly: p.partly,
        not: p.not,
        not_applicable: p.not_applicable,
        signed: String::new(),
        overdue: false,
    }
}

#[derive(Template)]
#[template(path = "inspection.html")]
struct DashboardPage {
    frame: Frame,
    id: i64,
    title: String,
    year: i32,
    catalogue: String,
    due_on: String,
    units: Vec<ProgressRow>,
    chapters: Vec<ProgressRow>,
    total: ProgressRow,
}

pub async fn dashboard(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let board = ops::dashboard(&state, &user, id).await?;
    let frame = Frame::new(&user, "inspection.dashboard");
    let units = board
        .units
        .iter()
        .map(|u| ProgressRow {
            signed: u
                .unit
                .signed
                .as_ref()
                .map(|s| format!("{} {}", s.by_name, format_jst(s.at_ms)))
                .unwrap_or_default(),
            overdue: u.overdue,
            ..progress_row(
                u.unit.unit_name.clone(),
                format!("/inspections/{id}/units/{}", u.unit.unit.0),
                &u.progress,
            )
        })
        .collect();
    let chapters = board
        .chapters
        .iter()
        .map(|(code, p)| progress_row(frame.t(Chapter::key_of(code)).to_owned(), String::new(), p))
        .collect();
    let total = progress_row(
        frame.t("inspection.total").to_owned(),
        String::new(),
        &board.total,
    );
    Ok(Html(render(&DashboardPage {
        id,
        title: board.inspection.title,
        year: board.inspection.year,
        catalogue: board.inspection.catalogue_name,
        due_on: board.inspection.due_on.to_string(),
        units,
        chapters,
        total,
        frame,
    }))
    .into_response())
}

pub struct ItemRow {
    pub urn: String,
    pub ref_id: String,
    pub name: String,
    pub chapter: &'static str,
    pub state: String,
    pub last_year: String,
    pub reason: String,
    pub note: String,
    pub link: String,
    pub by: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "inspection_unit.html")]
struct UnitPage {
    frame: Frame,
    id: i64,
    title: String,
    unit_id: i64,
    unit: String,
    rows: Vec<ItemRow>,
    answered: usize,
    items: usize,
    complete: bool,
    signed: Option<(String, String, String)>,
    can_answer: bool,
    can_sign: bool,
    can_upload: bool,
    catalogue: i64,
    states: [MeasureState; 4],
}

impl UnitPage {
    /// The message key of an answer's state (`""`: not yet answered).
    fn state_key(&self, state: &str) -> &'static str {
        MeasureState::parse(state).map_or("controls.state.unanswered", MeasureState::key)
    }
}

pub async fn unit(
    State(state): State<AppState>,
    user: User,
    PathParams((id, unit)): PathParams<(i64, i64)>,
) -> Result<Response, AppError> {
    let sheet = ops::unit_sheet(&state, &user, id, unit).await?;
    let frame = Frame::new(&user, "inspection.unit");
    let rows = sheet
        .items
        .iter()
        .map(|item| {
            let text = sheet.catalogue.localised(&item.node, frame.lang);
            let answer = item.answer.as_ref();
            ItemRow {
                urn: item.node.urn.clone(),
                ref_id: item.node.ref_id.clone().unwrap_or_default(),
                name: text.name.unwrap_or_default().to_owned(),
                chapter: Chapter::key_of(item.node.chapter.map_or("", |c| c.code())),
                state: answer.map_or("", |a| a.state.as_str()).to_owned(),
                last_year: item.last_year.map_or("", |s| s.as_str()).to_owned(),
                reason: answer.map(|a| a.reason.clone()).unwrap_or_default(),
                note: answer.map(|a| a.note.clone()).unwrap_or_default(),
                link: answer.map(|a| a.link.clone()).unwrap_or_default(),
                by: answer.and_then(|a| a.by_name.clone()).unwrap_or_default(),
                at: answer.map(|a| format_jst(a.at_ms)).unwrap_or_default(),
            }
        })
        .collect();
    Ok(Html(render(&UnitPage {
        id,
        title: sheet.inspection.title.clone(),
        unit_id: sheet.unit.unit.0,
        unit: sheet.unit.unit_name.clone(),
        rows,
        answered: sheet.progress.answered(),
        items: sheet.progress.items,
        complete: sheet.progress.complete(),
        signed: sheet
            .unit
            .signed
            .as_ref()
            .map(|s| (s.by_name.clone(), format_jst(s.at_ms), s.note.clone())),
        can_answer: sheet.can_answer,
        can_sign: sheet.can_sign,
        can_upload: sheet.can_upload,
        catalogue: sheet.inspection.catalogue.0,
        states: MeasureState::ALL,
        frame,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct SignOffForm {
    #[serde(default)]
    note: String,
}

pub async fn sign_off(
    State(state): State<AppState>,
    user: User,
    PathParams((id, unit)): PathParams<(i64, i64)>,
    Form(form): Form<SignOffForm>,
) -> Result<Response, AppError> {
    let (_, findings) = ops::sign_off(&state, &user, id, unit, &form.note).await?;
    let to = if findings.is_empty() {
        format!("/inspections/{id}/units/{unit}")
    } else {
        format!("/findings?inspection={id}&unit={unit}")
    };
    Ok(Redirect::to(&to).into_response())
}
