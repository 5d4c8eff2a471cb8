//! 外部サービス as pages: the register with its flags and the form to register a service, and a
//! service with its placements, the form to place an asset and the edit form.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::authz::{ManageCloudServices, ViewDirectory, authorize};
use mamori_core::classification::Dimension;
use mamori_core::cloud::ServiceDraft;
use mamori_core::time::format_jst;
use mamori_store::CloudService;
use serde::Deserialize;

use super::ops::{self, CloudDraft, Flagged};
use crate::http::{AppError, AppState, Form, Frame, PathParams, User, parse_opt_id, render};

/// A row of the register.
pub struct Row {
    pub id: i64,
    pub provider: String,
    pub name: String,
    pub classes: String,
    pub ismap_key: &'static str,
    pub ismap_flagged: bool,
    pub ismap_number: String,
    pub ismap_expires: String,
    pub unit: String,
    pub placed: usize,
    pub forbidden: usize,
}

fn row(f: &Flagged) -> Row {
    let s = &f.service;
    Row {
        id: s.id.0,
        provider: s.provider.clone(),
        name: s.name.clone(),
        classes: s.classes.join(", "),
        ismap_key: f.ismap.key(),
        ismap_flagged: f.ismap.flagged(),
        ismap_number: s
            .ismap
            .as_ref()
            .map(|i| i.number.clone())
            .unwrap_or_default(),
        ismap_expires: s
            .ismap_expires_on()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        unit: s.unit_name.clone(),
        placed: s.placed.len() + f.hidden,
        forbidden: f.forbidden,
    }
}

/// The 機密性 levels to tick (code, name) and the units to choose from.
struct Choices {
    levels: Vec<(String, String)>,
    units: Vec<(i64, String)>,
}

async fn choices(state: &AppState, user: &User) -> Result<Choices, AppError> {
    let scales = state.store.scales().await?;
    let levels = scales
        .get(Dimension::Confidentiality)
        .levels
        .iter()
        .map(|l| (l.code.clone(), l.name.clone()))
        .collect();
    let units = match authorize::<ViewDirectory>(&user.actor, &()) {
        Ok(dir) => state
            .store
            .list_units(&dir, None)
            .await?
            .into_iter()
            .map(|u| (u.id.0, u.name.as_str().to_owned()))
            .collect(),
        Err(_) => Vec::new(),
    };
    Ok(Choices { levels, units })
}

#[derive(Template)]
#[template(path = "cloud_services.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    can_manage: bool,
    levels: Vec<(String, String)>,
    units: Vec<(i64, String)>,
}

pub async fn list(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let rows = ops::list(&state, &user).await?.iter().map(row).collect();
    let can_manage = authorize::<ManageCloudServices>(&user.actor, &()).is_ok();
    let choices = choices(&state, &user).await?;
    Ok(Html(render(&ListPage {
        frame: Frame::new(&user, "cloud.title"),
        rows,
        can_manage,
        levels: choices.levels,
        units: choices.units,
    }))
    .into_response())
}

/// A service as typed: the levels ticked are `class-{code}` fields.
#[derive(Deserialize)]
pub struct ServiceForm {
    #[serde(default)]
    provider: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    rules: String,
    #[serde(default)]
    ismap: String,
    #[serde(default)]
    ismap_number: String,
    #[serde(default)]
    ismap_expires_on: String,
    #[serde(default)]
    unit: String,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl ServiceForm {
    fn draft(self) -> Result<CloudDraft, AppError> {
        let mut classes: Vec<String> = self
            .rest
            .keys()
            .filter_map(|k| k.strip_prefix("class-"))
            .map(str::to_owned)
            .collect();
        classes.sort();
        Ok(CloudDraft {
            unit: parse_opt_id("unit", &self.unit)?,
            service: ServiceDraft {
                provider: self.provider,
                name: self.name,
                rules: self.rules,
                classes,
                // Unticked, the registration's fields left filled in are not sent on.
                ismap: !self.ismap.is_empty(),
                ismap_number: if self.ismap.is_empty() {
                    String::new()
                } else {
                    self.ismap_number
                },
                ismap_expires_on: if self.ismap.is_empty() {
                    String::new()
                } else {
                    self.ismap_expires_on
                },
            },
        })
    }
}

pub async fn create(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<ServiceForm>,
) -> Result<Response, AppError> {
    let made = ops::create(&state, &user, form.draft()?).await?;
    Ok(Redirect::to(&format!("/cloud-services/{}", made.service.id.0)).into_response())
}

/// A placed asset as shown.
pub struct PlacedRow {
    pub id: i64,
    pub name: String,
    pub class: String,
    pub placed: String,
    /// The levels the service does not take, joined.
    pub forbidden: String,
}

#[derive(Template)]
#[template(path = "cloud_service.html")]
struct ServicePage {
    frame: Frame,
    row: Row,
    service: CloudService,
    placed: Vec<PlacedRow>,
    hidden: usize,
    can_edit: bool,
    levels: Vec<(String, String)>,
    units: Vec<(i64, String)>,
}

impl ServicePage {
    fn takes(&self, code: &str) -> bool {
        self.service.classes.iter().any(|c| c == code)
    }
}

pub async fn service(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let flagged = ops::service(&state, &user, id).await?;
    let can_edit = ops::may_edit(&user, &flagged.service);
    let choices = if can_edit {
        choices(&state, &user).await?
    } else {
        Choices {
            levels: Vec::new(),
            units: Vec::new(),
        }
    };
    let placed = flagged
        .service
        .placed
        .iter()
        .map(|p| PlacedRow {
            id: p.id.0,
            name: p.name.clone(),
            class: p.class.clone(),
            placed: format_jst(p.placed_at),
            forbidden: p.forbidden.join(", "),
        })
        .collect();
    Ok(Html(render(&ServicePage {
        frame: Frame::new(&user, "cloud.one"),
        row: row(&flagged),
        placed,
        hidden: flagged.hidden,
        can_edit,
        levels: choices.levels,
        units: choices.units,
        service: flagged.service,
    }))
    .into_response())
}

pub async fn update(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<ServiceForm>,
) -> Result<Response, AppError> {
    ops::update(&state, &user, id, form.draft()?).await?;
    Ok(Redirect::to(&format!("/cloud-services/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct PlaceForm {
    #[serde(default)]
    asset: String,
}

pub async fn place(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<PlaceForm>,
) -> Result<Response, AppError> {
    let asset = parse_opt_id("asset", &form.asset)?;
    ops::place(&state, &user, id, asset).await?;
    Ok(Redirect::to(&format!("/cloud-services/{id}")).into_response())
}

pub async fn unplace(
    State(state): State<AppState>,
    user: User,
    PathParams((id, asset)): PathParams<(i64, i64)>,
) -> Result<Response, AppError> {
    ops::unplace(&state, &user, id, asset).await?;
    Ok(Redirect::to(&format!("/cloud-services/{id}")).into_response())
}
