//! 見直し as pages: the reviews with the form that records one (its inputs picked from the
//! audits, self-inspections and risks), and one review with the form linking a policy version.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::authz::{ManageReviews, authorize};
use mamori_core::text::list_items;
use mamori_store::PolicyReview;
use serde::Deserialize;

use super::ops::{self, ReviewDraft};
use crate::http::{AppError, AppState, Form, Frame, PathParams, User, parse_opt_id, render};

#[derive(Template)]
#[template(path = "reviews.html")]
struct ListPage {
    frame: Frame,
    reviews: Vec<PolicyReview>,
    can_record: bool,
    audits: Vec<(i64, String)>,
    inspections: Vec<(i64, String)>,
    risks: Vec<(i64, String)>,
    incidents: Vec<(i64, String)>,
}

pub async fn list(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let reviews = ops::list(&state, &user).await?;
    let can_record = authorize::<ManageReviews>(&user.actor, &()).is_ok();
    let (audits, inspections, risks, incidents) = if can_record {
        (
            state
                .store
                .security_audits()
                .await?
                .into_iter()
                .map(|a| (a.id.0, a.title))
                .collect(),
            state
                .store
                .inspections()
                .await?
                .into_iter()
                .map(|i| (i.id.0, i.title))
                .collect(),
            state
                .store
                .risks()
                .await?
                .into_iter()
                .map(|r| (r.id.0, r.title))
                .collect(),
            closed_incidents(&state).await?,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new(), Vec::new())
    };
    Ok(Html(render(&ListPage {
        frame: Frame::new(&user, "review.title"),
        reviews,
        can_record,
        audits,
        inspections,
        risks,
        incidents,
    }))
    .into_response())
}

/// The closed incidents, which a review may cite.
async fn closed_incidents(state: &AppState) -> Result<Vec<(i64, String)>, AppError> {
    Ok(state
        .store
        .incidents()
        .await?
        .into_iter()
        .filter(|i| i.closed_at.is_some())
        .map(|i| (i.id.0, i.title))
        .collect())
}

/// A review as typed: its inputs are ids typed in `audits`, `inspections`, `risks` and
/// `incidents`, or the
/// boxes ticked (`audit-{id}`, `inspection-{id}`, `risk-{id}`, `incident-{id}`).
#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    environment: String,
    #[serde(default)]
    decisions: String,
    #[serde(default)]
    audits: String,
    #[serde(default)]
    inspections: String,
    #[serde(default)]
    risks: String,
    #[serde(default)]
    incidents: String,
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

fn ids(field: &'static str, typed: &str, ticked: &[&str]) -> Result<Vec<i64>, AppError> {
    list_items(typed)
        .chain(ticked.iter().copied())
        .map(|id| Ok(parse_opt_id(field, id)?.unwrap_or_default()))
        .collect()
}

pub async fn create(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<ReviewForm>,
) -> Result<Response, AppError> {
    let ticked = |prefix: &str| -> Vec<&str> {
        form.rest
            .keys()
            .filter_map(|k| k.strip_prefix(prefix))
            .collect()
    };
    let draft = ReviewDraft {
        audits: ids("audits", &form.audits, &ticked("audit-"))?,
        inspections: ids("inspections", &form.inspections, &ticked("inspection-"))?,
        risks: ids("risks", &form.risks, &ticked("risk-"))?,
        incidents: ids("incidents", &form.incidents, &ticked("incident-"))?,
        title: form.title,
        held_on: form.held_on,
        environment: form.environment,
        decisions: form.decisions,
    };
    let review = ops::create(&state, &user, draft).await?;
    Ok(Redirect::to(&format!("/reviews/{}", review.id.0)).into_response())
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    frame: Frame,
    review: PolicyReview,
    can_record: bool,
    policies: Vec<(i64, String)>,
    /// Closed incidents it does not cite yet, for the form that cites them.
    incidents: Vec<(i64, String)>,
}

impl ReviewPage {
    fn input_link(&self, kind: &mamori_store::ReviewInputKind, id: &i64) -> String {
        match kind {
            mamori_store::ReviewInputKind::Audit => format!("/audits/{id}"),
            mamori_store::ReviewInputKind::Inspection => format!("/inspections/{id}"),
            mamori_store::ReviewInputKind::Risk => format!("/risks/{id}"),
            mamori_store::ReviewInputKind::Incident => format!("/incidents/{id}"),
        }
    }

    fn severity_key(&self, severity: &Option<mamori_core::risk::Level>) -> &'static str {
        severity.map_or("incident.untriaged", mamori_core::risk::Level::key)
    }

    fn input_key(&self, kind: &mamori_store::ReviewInputKind) -> &'static str {
        match kind {
            mamori_store::ReviewInputKind::Audit => "review.input.audit",
            mamori_store::ReviewInputKind::Inspection => "review.input.inspection",
            mamori_store::ReviewInputKind::Risk => "review.input.risk",
            mamori_store::ReviewInputKind::Incident => "review.input.incident",
        }
    }
}

pub async fn review(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let review = ops::review(&state, &user, id).await?;
    let can_record = authorize::<ManageReviews>(&user.actor, &()).is_ok();
    let policies = if can_record {
        state
            .store
            .policies()
            .await?
            .into_iter()
            .map(|p| (p.id.0, p.title))
            .collect()
    } else {
        Vec::new()
    };
    let incidents = if can_record {
        closed_incidents(&state)
            .await?
            .into_iter()
            .filter(|(id, _)| !review.incidents.iter().any(|c| c.id == *id))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Html(render(&ReviewPage {
        frame: Frame::new(&user, "review.one"),
        review,
        can_record,
        policies,
        incidents,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct VersionForm {
    #[serde(default)]
    policy: String,
    #[serde(default)]
    version: String,
}

pub async fn link_version(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<VersionForm>,
) -> Result<Response, AppError> {
    let policy = parse_opt_id("policy", &form.policy)?;
    let version = parse_opt_id("version", &form.version)?;
    ops::link_version(&state, &user, id, policy, version).await?;
    Ok(Redirect::to(&format!("/reviews/{id}")).into_response())
}

/// Incidents to cite, as typed in `incidents` or ticked (`incident-{id}`).
#[derive(Deserialize)]
pub struct CiteForm {
    #[serde(default)]
    incidents: String,
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

pub async fn cite_incidents(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<CiteForm>,
) -> Result<Response, AppError> {
    let ticked: Vec<&str> = form
        .rest
        .keys()
        .filter_map(|k| k.strip_prefix("incident-"))
        .collect();
    let incidents = ids("incidents", &form.incidents, &ticked)?;
    ops::cite_incidents(&state, &user, id, incidents).await?;
    Ok(Redirect::to(&format!("/reviews/{id}#review-incidents")).into_response())
}
