//! 見直し's operations: the reviews, one recorded with what it considered (audits,
//! self-inspections, risks, changes in the environment) and its decisions, and the policy
//! versions it led to; incidents too. Each one authorises, validates and stores here and nowhere else.

use mamori_core::authz::{ManageReviews, ViewReviews, authorize};
use mamori_core::inspection::parse_date;
use mamori_core::text::{Name, parse_note};
use mamori_core::{FieldError, FieldErrorKind};
use mamori_store::{NewReview, PolicyReview, ReviewId, ReviewInputKind};

use crate::http::{AppError, AppState, User};

pub async fn list(state: &AppState, user: &User) -> Result<Vec<PolicyReview>, AppError> {
    authorize::<ViewReviews>(&user.actor, &())?;
    Ok(state.store.reviews().await?)
}

pub async fn review(state: &AppState, user: &User, id: i64) -> Result<PolicyReview, AppError> {
    authorize::<ViewReviews>(&user.actor, &())?;
    state
        .store
        .review(ReviewId(id))
        .await?
        .ok_or(AppError::NotFound)
}

/// A review as typed or sent.
#[derive(Default)]
pub struct ReviewDraft {
    pub title: String,
    pub held_on: String,
    pub environment: String,
    pub decisions: String,
    pub audits: Vec<i64>,
    pub inspections: Vec<i64>,
    pub risks: Vec<i64>,
    pub incidents: Vec<i64>,
}

/// Records a review (administrators).
pub async fn create(
    state: &AppState,
    user: &User,
    draft: ReviewDraft,
) -> Result<PolicyReview, AppError> {
    let grant = authorize::<ManageReviews>(&user.actor, &())?;
    let mut errors = Vec::new();
    let title = Name::parse("title", &draft.title)
        .map_err(|e| errors.push(e))
        .ok();
    let held_on = parse_date("held_on", &draft.held_on)
        .map_err(|e| errors.push(e))
        .ok();
    let environment = parse_note("environment", &draft.environment)
        .map_err(|e| errors.push(e))
        .ok();
    let decisions = parse_note("decisions", &draft.decisions)
        .map_err(|e| errors.push(e))
        .ok();
    let mut inputs = Vec::new();
    for (kind, field, ids) in [
        (ReviewInputKind::Audit, "audits", &draft.audits),
        (
            ReviewInputKind::Inspection,
            "inspections",
            &draft.inspections,
        ),
        (ReviewInputKind::Risk, "risks", &draft.risks),
        (ReviewInputKind::Incident, "incidents", &draft.incidents),
    ] {
        if ids.iter().any(|id| *id <= 0) {
            errors.push(FieldError::new(field, FieldErrorKind::InvalidFormat));
        }
        inputs.extend(ids.iter().map(|id| (kind, *id)));
    }
    let (Some(title), Some(held_on), Some(environment), Some(decisions)) =
        (title, held_on, environment, decisions)
    else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(state
        .store
        .create_review(
            &grant,
            NewReview {
                title: title.as_str().to_owned(),
                held_on,
                environment,
                decisions,
                inputs,
            },
            &user.ctx.origin(),
        )
        .await?)
}

/// Links a review to a policy version it led to (administrators).
pub async fn link_version(
    state: &AppState,
    user: &User,
    id: i64,
    policy: Option<i64>,
    version: Option<i64>,
) -> Result<PolicyReview, AppError> {
    let current = review(state, user, id).await?;
    let grant = authorize::<ManageReviews>(&user.actor, &())?;
    let mut errors = Vec::new();
    for (field, value) in [("policy", policy), ("version", version)] {
        if value.is_none_or(|v| v <= 0) {
            errors.push(FieldError::new(field, FieldErrorKind::Required));
        }
    }
    let (Some(policy), Some(version)) = (policy, version) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(state
        .store
        .link_review_version(&grant, current.id, policy, version, &user.ctx.origin())
        .await?)
}

/// Cites closed incidents as inputs of a review (administrators).
pub async fn cite_incidents(
    state: &AppState,
    user: &User,
    id: i64,
    incidents: Vec<i64>,
) -> Result<PolicyReview, AppError> {
    let current = review(state, user, id).await?;
    let grant = authorize::<ManageReviews>(&user.actor, &())?;
    if incidents.is_empty() {
        return Err(AppError::invalid(FieldError::new(
            "incidents",
            FieldErrorKind::Required,
        )));
    }
    if incidents.iter().any(|i| *i <= 0) || incidents.len() > 1000 {
        return Err(AppError::invalid(FieldError::new(
            "incidents",
            FieldErrorKind::InvalidFormat,
        )));
    }
    Ok(state
        .store
        .cite_review_incidents(&grant, current.id, &incidents, &user.ctx.origin())
        .await?)
}
