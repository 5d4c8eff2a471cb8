//! リスク in the JSON API: the threats, the matrix, and the register with the caller's view,
//! a risk recorded, edited and accepted. Every handler calls the operation the pages call.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use mamori_core::risk::{Level, RiskMatrix, Treatment, review_overdue};
use mamori_core::time::rfc3339_jst;
use mamori_core::{FieldError, FieldErrorKind, PersonId};
use mamori_store::{Risk, StoredThreat};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, RiskDraft, RiskFilter, ThreatDraft};
use crate::http::api::{PREFIX, created};
use crate::http::{ApiJson, ApiQuery, AppError, AppState, PathParams, User};

mod json {
    use super::*;

    /// 脅威.
    #[derive(Serialize, ToSchema)]
    pub struct Threat {
        pub id: i64,
        pub code: String,
        pub name_ja: String,
        pub name_en: String,
        /// `intentional`, `accidental`, `disaster`, `pandemic` or `infrastructure`.
        pub category: String,
    }

    /// A threat to add or to replace.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ThreatBody {
        /// ASCII capitals, digits and `-` (`T-STORM`).
        pub code: String,
        pub name_ja: String,
        pub name_en: String,
        pub category: String,
    }

    /// A likelihood and an impact, each a step of the matrix (1-based).
    #[derive(Serialize, ToSchema)]
    pub struct Rating {
        pub likelihood: u8,
        pub impact: u8,
        /// `low`, `medium`, `high` or `critical`.
        pub level: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Acceptance {
        pub by: String,
        pub at: String,
        pub note: String,
    }

    /// A risk of the register.
    #[derive(Serialize, ToSchema)]
    pub struct Risk {
        pub id: i64,
        pub title: String,
        pub description: String,
        pub unit_id: i64,
        pub unit_name: String,
        pub owner_id: i64,
        pub owner_name: String,
        pub asset_ids: Vec<i64>,
        /// Threat codes.
        pub threats: Vec<String>,
        /// Measure urns.
        pub measures: Vec<String>,
        pub inherent: Rating,
        pub residual: Option<Rating>,
        /// The residual level, else the inherent one.
        pub level: String,
        /// `reduce`, `accept`, `avoid` or `transfer`.
        pub treatment: String,
        pub review_on: String,
        /// The review date has passed.
        pub overdue: bool,
        pub accepted: Option<Acceptance>,
        pub updated_at: String,
    }

    /// A risk to record or to replace. `treatment` is `reduce`, `avoid` or `transfer`:
    /// acceptance is its own decision (`POST /risks/{id}/accept`).
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RiskBody {
        pub title: String,
        #[serde(default)]
        pub description: String,
        pub unit_id: Option<i64>,
        pub owner_id: Option<i64>,
        #[serde(default)]
        pub asset_ids: Vec<i64>,
        #[serde(default)]
        pub threats: Vec<String>,
        /// Measure urns or codes (`M-6.2.3`).
        #[serde(default)]
        pub measures: Vec<String>,
        pub likelihood: Option<i64>,
        pub impact: Option<i64>,
        #[serde(default)]
        pub residual_likelihood: Option<i64>,
        #[serde(default)]
        pub residual_impact: Option<i64>,
        pub treatment: String,
        /// `YYYY-MM-DD`.
        pub review_on: String,
    }

    /// The decision to accept a risk as it stands.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct AcceptBody {
        #[serde(default)]
        pub note: String,
    }

    /// A matrix to put in force (administrators): the same shape as it is read. Every risk is
    /// levelled again; a matrix too small for a stored rating is refused
    /// (`risk.matrix_invalid`).
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct MatrixBody {
        pub likelihood: Vec<[String; 2]>,
        pub impact: Vec<[String; 2]>,
        pub cells: Vec<Vec<String>>,
        pub colours: Vec<[String; 2]>,
        pub accept_threshold: String,
    }

    /// The risk matrix in force: its steps, the level of each cell, the colours, and the level
    /// above which accepting is the CISO's.
    #[derive(Serialize, ToSchema)]
    pub struct Matrix {
        /// Japanese and English name of each likelihood step, 1 first.
        pub likelihood: Vec<[String; 2]>,
        pub impact: Vec<[String; 2]>,
        /// Row by likelihood, column by impact.
        pub cells: Vec<Vec<String>>,
        /// Level → `#rrggbb`.
        pub colours: Vec<[String; 2]>,
        pub accept_threshold: String,
    }
}

fn threat_json(t: &StoredThreat) -> json::Threat {
    json::Threat {
        id: t.id,
        code: t.threat.code.clone(),
        name_ja: t.threat.name_ja.clone(),
        name_en: t.threat.name_en.clone(),
        category: t.threat.category.as_str().to_owned(),
    }
}

fn risk_json(r: &Risk, today: chrono::NaiveDate) -> json::Risk {
    json::Risk {
        id: r.id.0,
        title: r.title.clone(),
        description: r.description.clone(),
        unit_id: r.unit.0,
        unit_name: r.unit_name.clone(),
        owner_id: r.owner.0,
        owner_name: r.owner_name.clone(),
        asset_ids: r.assets.clone(),
        threats: r.threats.clone(),
        measures: r.measures.clone(),
        inherent: json::Rating {
            likelihood: r.inherent.likelihood,
            impact: r.inherent.impact,
            level: r.inherent_level.as_str().to_owned(),
        },
        residual: r
            .residual
            .zip(r.residual_level)
            .map(|(rating, level)| json::Rating {
                likelihood: rating.likelihood,
                impact: rating.impact,
                level: level.as_str().to_owned(),
            }),
        level: r.level.as_str().to_owned(),
        treatment: r.treatment.as_str().to_owned(),
        review_on: r.review_on.to_string(),
        overdue: review_overdue(r.review_on, today),
        accepted: r.accepted.as_ref().map(|a| json::Acceptance {
            by: a.by_name.clone(),
            at: rfc3339_jst(a.at_ms),
            note: a.note.clone(),
        }),
        updated_at: rfc3339_jst(r.updated_at),
    }
}

fn matrix_json(m: &RiskMatrix) -> json::Matrix {
    let names = |steps: &[mamori_core::risk::Step]| {
        steps.iter().map(|s| [s.ja.clone(), s.en.clone()]).collect()
    };
    json::Matrix {
        likelihood: names(&m.likelihood),
        impact: names(&m.impact),
        cells: m
            .cells
            .iter()
            .map(|row| row.iter().map(|l| l.as_str().to_owned()).collect())
            .collect(),
        colours: m
            .colours
            .iter()
            .map(|c| [c.level.as_str().to_owned(), c.colour.clone()])
            .collect(),
        accept_threshold: m.accept_threshold.as_str().to_owned(),
    }
}

/// A matrix body read into core's matrix; a level that names nothing is refused with its field.
fn matrix_of(body: json::MatrixBody) -> Result<RiskMatrix, AppError> {
    let level = |field: &'static str, raw: &str| {
        Level::parse(raw).ok_or(AppError::invalid(FieldError::new(
            field,
            FieldErrorKind::UnknownValue,
        )))
    };
    let steps = |names: Vec<[String; 2]>| {
        names
            .into_iter()
            .map(|[ja, en]| mamori_core::risk::Step { ja, en })
            .collect()
    };
    let cells = body
        .cells
        .iter()
        .map(|row| row.iter().map(|l| level("cells", l)).collect())
        .collect::<Result<Vec<Vec<Level>>, AppError>>()?;
    let colours = body
        .colours
        .iter()
        .map(|[l, colour]| {
            Ok(mamori_core::risk::LevelColour {
                level: level("colours", l)?,
                colour: colour.clone(),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(RiskMatrix {
        likelihood: steps(body.likelihood),
        impact: steps(body.impact),
        cells,
        colours,
        accept_threshold: level("accept_threshold", &body.accept_threshold)?,
    })
}

impl From<json::RiskBody> for RiskDraft {
    fn from(b: json::RiskBody) -> Self {
        RiskDraft {
            title: b.title,
            description: b.description,
            unit: b.unit_id,
            owner: b.owner_id,
            assets: b.asset_ids,
            threats: b.threats,
            measures: b.measures,
            likelihood: b.likelihood,
            impact: b.impact,
            residual_likelihood: b.residual_likelihood,
            residual_impact: b.residual_impact,
            treatment: b.treatment,
            review_on: b.review_on,
        }
    }
}

impl From<json::ThreatBody> for ThreatDraft {
    fn from(b: json::ThreatBody) -> Self {
        ThreatDraft {
            code: b.code,
            name_ja: b.name_ja,
            name_en: b.name_en,
            category: b.category,
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_threats,
        create_threat,
        update_threat,
        get_matrix,
        set_matrix,
        list_risks,
        create_risk,
        get_risk,
        update_risk,
        accept_risk
    ),
    tags(
        (name = "risks", description = "リスク: the threats, the risk matrix and the risk register"),
    )
)]
pub struct RiskApiDoc;

/// The threats (seed §3 and those added since).
#[utoipa::path(
    get,
    path = "/api/v1/threats",
    tag = "risks",
    responses(
        (status = 200, body = Vec<json::Threat>),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn list_threats(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Threat>>, AppError> {
    Ok(Json(
        ops::threats(&state, &user)
            .await?
            .iter()
            .map(threat_json)
            .collect(),
    ))
}

/// Adds a threat (administrators).
#[utoipa::path(
    post,
    path = "/api/v1/threats",
    tag = "risks",
    request_body = json::ThreatBody,
    responses(
        (status = 201, body = json::Threat),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn create_threat(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::ThreatBody>,
) -> Result<Response, AppError> {
    let threat = ops::create_threat(&state, &user, body.into()).await?;
    Ok(created(
        format!("{PREFIX}/threats/{}", threat.id),
        threat_json(&threat),
    ))
}

/// Replaces a threat (administrators).
#[utoipa::path(
    put,
    path = "/api/v1/threats/{id}",
    tag = "risks",
    params(("id" = i64, Path, description = "Threat id")),
    request_body = json::ThreatBody,
    responses(
        (status = 200, body = json::Threat),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn update_threat(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::ThreatBody>,
) -> Result<Json<json::Threat>, AppError> {
    let threat = ops::update_threat(&state, &user, id, body.into()).await?;
    Ok(Json(threat_json(&threat)))
}

/// The risk matrix in force.
#[utoipa::path(
    get,
    path = "/api/v1/risk-matrix",
    tag = "risks",
    responses(
        (status = 200, body = json::Matrix),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn get_matrix(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<json::Matrix>, AppError> {
    Ok(Json(matrix_json(&ops::matrix(&state, &user).await?)))
}

/// Puts a matrix in force (administrators); every risk is levelled again in the same write.
#[utoipa::path(
    put,
    path = "/api/v1/risk-matrix",
    tag = "risks",
    request_body = json::MatrixBody,
    responses(
        (status = 200, body = json::Matrix),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn set_matrix(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::MatrixBody>,
) -> Result<Json<json::Matrix>, AppError> {
    ops::may_set_matrix(&state, &user).await?;
    let matrix = ops::set_matrix(&state, &user, matrix_of(body)?).await?;
    Ok(Json(matrix_json(&matrix)))
}

/// Which risks to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RisksQuery {
    /// `low`, `medium`, `high` or `critical` (the residual level, else the inherent one).
    #[serde(default)]
    level: String,
    /// `reduce`, `accept`, `avoid` or `transfer`.
    #[serde(default)]
    treatment: String,
    /// The owner's person id.
    #[serde(default)]
    owner: Option<i64>,
    /// Only risks past their review date.
    #[serde(default)]
    overdue: bool,
}

/// The filter a query asks for; a value that names nothing is refused.
pub fn filter_of(
    level: &str,
    treatment: &str,
    owner: Option<i64>,
    overdue: bool,
) -> Result<RiskFilter, AppError> {
    let mut errors = Vec::new();
    let level = match level.trim() {
        "" => None,
        raw => Level::parse(raw).or_else(|| {
            errors.push(FieldError::new("level", FieldErrorKind::UnknownValue));
            None
        }),
    };
    let treatment = match treatment.trim() {
        "" => None,
        raw => Treatment::parse(raw).or_else(|| {
            errors.push(FieldError::new("treatment", FieldErrorKind::UnknownValue));
            None
        }),
    };
    if owner.is_some_and(|o| o <= 0) {
        errors.push(FieldError::new("owner", FieldErrorKind::InvalidFormat));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(RiskFilter {
        level,
        treatment,
        owner: owner.map(PersonId),
        overdue,
    })
}

/// The register as the caller may see it: the security roles over a risk's unit and the risk's
/// owner, never every member of staff.
#[utoipa::path(
    get,
    path = "/api/v1/risks",
    tag = "risks",
    params(RisksQuery),
    responses(
        (status = 200, body = Vec<json::Risk>),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn list_risks(
    State(state): State<AppState>,
    user: User,
    ApiQuery(query): ApiQuery<RisksQuery>,
) -> Result<Json<Vec<json::Risk>>, AppError> {
    let filter = filter_of(&query.level, &query.treatment, query.owner, query.overdue)?;
    let register = ops::register(&state, &user, &filter).await?;
    Ok(Json(
        register
            .risks
            .iter()
            .map(|r| risk_json(r, register.today))
            .collect(),
    ))
}

/// Records a risk (the unit's 管理者, its organisation's 責任者, the administrators).
#[utoipa::path(
    post,
    path = "/api/v1/risks",
    tag = "risks",
    request_body = json::RiskBody,
    responses(
        (status = 201, body = json::Risk),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn create_risk(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::RiskBody>,
) -> Result<Response, AppError> {
    let risk = ops::create(&state, &user, body.into()).await?;
    Ok(created(
        format!("{PREFIX}/risks/{}", risk.id),
        risk_json(&risk, state.today()),
    ))
}

/// One risk; 404 for one the caller may not see.
#[utoipa::path(
    get,
    path = "/api/v1/risks/{id}",
    tag = "risks",
    params(("id" = i64, Path, description = "Risk id")),
    responses(
        (status = 200, body = json::Risk),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_risk(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<json::Risk>, AppError> {
    let risk = ops::risk(&state, &user, id).await?;
    Ok(Json(risk_json(&risk, state.today())))
}

/// Replaces a risk's facts; an acceptance is withdrawn, to be decided again.
#[utoipa::path(
    put,
    path = "/api/v1/risks/{id}",
    tag = "risks",
    params(("id" = i64, Path, description = "Risk id")),
    request_body = json::RiskBody,
    responses(
        (status = 200, body = json::Risk),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn update_risk(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::RiskBody>,
) -> Result<Json<json::Risk>, AppError> {
    let risk = ops::update(&state, &user, id, body.into()).await?;
    Ok(Json(risk_json(&risk, state.today())))
}

/// Accepts the risk as it stands. Above the matrix's threshold this is the CISO's decision and
/// never the owner's (403; `risk.acceptance_reserved` when the store finds it so).
#[utoipa::path(
    post,
    path = "/api/v1/risks/{id}/accept",
    tag = "risks",
    params(("id" = i64, Path, description = "Risk id")),
    request_body = json::AcceptBody,
    responses(
        (status = 200, body = json::Risk),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn accept_risk(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::AcceptBody>,
) -> Result<Json<json::Risk>, AppError> {
    let risk = ops::accept(&state, &user, id, &body.note).await?;
    Ok(Json(risk_json(&risk, state.today())))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(RiskApiDoc::openapi())
        .routes(routes!(list_threats, create_threat))
        .routes(routes!(update_threat))
        .routes(routes!(get_matrix, set_matrix))
        .routes(routes!(list_risks, create_risk))
        .routes(routes!(get_risk, update_risk))
        .routes(routes!(accept_risk))
}
