//! 例外措置 as pages: the exceptions with their flags (expired, emergency reported late) and the
//! request form, and one exception with the CISO's decision form.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::authz::{DecideException, RequestException, authorize};
use mamori_core::time::format_jst;
use serde::Deserialize;

use super::ops::{self, ExceptionDraft, Flagged};
use crate::http::{AppError, AppState, Form, Frame, PathParams, User, parse_opt_id, render};

pub struct Row {
    pub id: i64,
    pub unit: String,
    pub measure: String,
    pub state: &'static str,
    pub state_code: &'static str,
    pub until: String,
    pub emergency: bool,
    pub expired: bool,
    pub late: bool,
    pub reason: String,
    pub compensating: String,
    pub taken_on: String,
    pub requested: String,
    pub decided: String,
    pub note: String,
}

fn row(f: &Flagged) -> Row {
    let e = &f.exception;
    Row {
        id: e.id.0,
        unit: e.unit_name.clone(),
        measure: format!("{} {}", e.measure_code, e.measure_name)
            .trim()
            .to_owned(),
        state: e.state.key(),
        state_code: e.state.as_str(),
        until: e.until.to_string(),
        emergency: e.emergency,
        expired: f.expired,
        late: f.late,
        reason: e.reason.clone(),
        compensating: e.compensating.clone(),
        taken_on: e.taken_on.map(|d| d.to_string()).unwrap_or_default(),
        requested: format!(
            "{} {}",
            e.requested_by_name.clone().unwrap_or_default(),
            format_jst(e.requested_at)
        ),
        decided: e
            .decided_at
            .map(|at| {
                format!(
                    "{} {}",
                    e.decided_by_name.clone().unwrap_or_default(),
                    format_jst(at)
                )
            })
            .unwrap_or_default(),
        note: e.decision_note.clone(),
    }
}

#[derive(Template)]
#[template(path = "exceptions.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    units: Vec<(i64, String)>,
    days: u32,
}

pub async fn list(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let rows = ops::list(&state, &user).await?.iter().map(row).collect();
    let units = state
        .store
        .unit_assets()
        .await?
        .into_iter()
        .filter(|u| authorize::<RequestException>(&user.actor, &(u.org, u.unit)).is_ok())
        .map(|u| (u.unit.0, u.name))
        .collect();
    Ok(Html(render(&ListPage {
        frame: Frame::new(&user, "exception.title"),
        rows,
        units,
        days: state.config.exception_report_days,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    compensating: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    emergency: String,
    #[serde(default)]
    taken_on: String,
}

pub async fn request(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<RequestForm>,
) -> Result<Response, AppError> {
    let made = ops::request(
        &state,
        &user,
        ExceptionDraft {
            unit: parse_opt_id("unit", &form.unit)?,
            measure: form.measure,
            reason: form.reason,
            compensating: form.compensating,
            until: form.until,
            emergency: !form.emergency.is_empty(),
            taken_on: form.taken_on,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/exceptions/{}", made.exception.id.0)).into_response())
}

#[derive(Template)]
#[template(path = "exception.html")]
struct ExceptionPage {
    frame: Frame,
    row: Row,
    can_decide: bool,
}

pub async fn exception(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let flagged = ops::exception(&state, &user, id).await?;
    let can_decide = flagged.exception.state.undecided()
        && authorize::<DecideException>(&user.actor, &flagged.exception.place()).is_ok();
    Ok(Html(render(&ExceptionPage {
        frame: Frame::new(&user, "exception.one"),
        row: row(&flagged),
        can_decide,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct DecideForm {
    /// `approve` or `reject`.
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

pub async fn decide(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<DecideForm>,
) -> Result<Response, AppError> {
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(AppError::invalid(mamori_core::FieldError::new(
                "decision",
                mamori_core::FieldErrorKind::UnknownValue,
            )));
        }
    };
    ops::decide(&state, &user, id, approve, &form.note).await?;
    Ok(Redirect::to(&format!("/exceptions/{id}")).into_response())
}
