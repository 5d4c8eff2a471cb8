//! 対策項目 in the JSON API: catalogues (and their export as a CISO Assistant library), the
//! answers of a unit, and the coverage of the basic policy. Every handler calls the operation
//! the pages call.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use mamori_core::controls::{Catalogue, export_yaml};
use mamori_core::time::rfc3339_jst;
use mamori_store::{Answer, CatalogueSummary};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, AnswerDraft};
use super::pages::{CoverageQuery, coverage_policy};
use crate::http::api::{PREFIX, created};
use crate::http::{ApiJson, ApiQuery, AppError, AppState, PathParams, User, YamlBody};

mod json {
    use super::*;

    /// A catalogue of measures.
    #[derive(Serialize, ToSchema)]
    pub struct Catalogue {
        pub id: i64,
        pub urn: String,
        pub ref_id: String,
        pub name: String,
        pub version: i64,
        /// Its assessable nodes.
        pub measures: i64,
        pub updated_at: String,
    }

    /// A catalogue with its nodes in order.
    #[derive(Serialize, ToSchema)]
    pub struct CatalogueDetail {
        #[serde(flatten)]
        pub catalogue: Catalogue,
        pub nodes: Vec<Node>,
    }

    /// A requirement node: a chapter, a section or (`assessable`) a measure.
    #[derive(Serialize, ToSchema)]
    pub struct Node {
        pub urn: String,
        pub ref_id: Option<String>,
        pub name: Option<String>,
        pub description: Option<String>,
        pub depth: u32,
        pub parent_urn: Option<String>,
        pub assessable: bool,
        /// One of the nine chapters of a 対策基準 (`organisation` … `review`), if given.
        pub chapter: Option<String>,
        /// `all`, `class:confidentiality:3`, `segment:lgwan` or `model:beta,beta_prime`.
        pub applies_to: String,
        /// The basic-policy anchors it implements (`6(3)ア`).
        pub implements: Vec<String>,
    }

    /// A unit's answer for a measure (実施状況).
    #[derive(Serialize, ToSchema)]
    pub struct Answer {
        pub id: i64,
        pub measure_urn: String,
        pub unit_id: i64,
        /// `implemented`, `partly`, `not` or `not_applicable`.
        pub status: String,
        pub reason: String,
        pub note: String,
        pub link: String,
        /// A file kept as evidence: its name and SHA-256.
        pub file: Option<EvidenceFile>,
        pub by: Option<String>,
        pub at: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct EvidenceFile {
        pub name: String,
        pub sha256: String,
        pub size: i64,
    }

    /// An answer to record.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct AnswerBody {
        /// The measure's urn or code (`M-6.2.3`).
        pub measure: String,
        /// `implemented`, `partly`, `not` or `not_applicable` (which needs a `reason`).
        pub status: String,
        #[serde(default)]
        pub reason: String,
        #[serde(default)]
        pub note: String,
        /// `https://…` or a file-server path (`\\server\share\…`).
        #[serde(default)]
        pub link: String,
    }

    /// A clause of the basic policy in force, with its measures' answers across the units.
    #[derive(Serialize, ToSchema)]
    pub struct ClauseCoverage {
        pub anchor: String,
        pub measures: usize,
        pub implemented: u64,
        pub partly: u64,
        pub not: u64,
        pub not_applicable: u64,
        pub unanswered: u64,
        /// `green`, `amber`, `red` or `none`.
        pub signal: String,
        /// When the oldest answer with evidence was given.
        pub oldest_evidence: Option<String>,
    }

    /// What an import stored.
    #[derive(Serialize, ToSchema)]
    pub struct Imported {
        #[serde(flatten)]
        pub catalogue: Catalogue,
        /// A new catalogue, or one replaced (same urn).
        pub created: bool,
    }
}

fn catalogue_json(c: &CatalogueSummary) -> json::Catalogue {
    json::Catalogue {
        id: c.id.0,
        urn: c.urn.clone(),
        ref_id: c.ref_id.clone(),
        name: c.name.clone(),
        version: c.version,
        measures: c.measures,
        updated_at: rfc3339_jst(c.updated_at),
    }
}

fn nodes_json(catalogue: &Catalogue) -> Vec<json::Node> {
    catalogue
        .nodes()
        .iter()
        .map(|n| json::Node {
            urn: n.urn.clone(),
            ref_id: n.ref_id.clone(),
            name: n.name.clone(),
            description: n.description.clone(),
            depth: n.depth,
            parent_urn: n.parent_urn.clone(),
            assessable: n.assessable,
            chapter: n.chapter.map(|c| c.code().to_owned()),
            applies_to: n.applies_to.code(),
            implements: n.implements.clone(),
        })
        .collect()
}

fn answer_json(a: &Answer) -> json::Answer {
    json::Answer {
        id: a.id,
        measure_urn: a.measure_urn.clone(),
        unit_id: a.unit.0,
        status: a.state.as_str().to_owned(),
        reason: a.reason.clone(),
        note: a.note.clone(),
        link: a.link.clone(),
        file: a.file.as_ref().map(|f| json::EvidenceFile {
            name: f.name.clone(),
            sha256: f.sha256.clone(),
            size: f.size,
        }),
        by: a.by_name.clone(),
        at: rfc3339_jst(a.at_ms),
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_catalogues,
        import_catalogue,
        get_catalogue,
        export_catalogue,
        list_answers,
        record_answer,
        coverage
    ),
    tags(
        (name = "controls", description = "対策項目: catalogues of measures, each unit's answers, and the coverage of the basic policy"),
    )
)]
pub struct ControlsApiDoc;

/// The catalogues of measures.
#[utoipa::path(
    get,
    path = "/api/v1/catalogues",
    tag = "controls",
    responses(
        (status = 200, body = Vec<json::Catalogue>),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn list_catalogues(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Catalogue>>, AppError> {
    Ok(Json(
        ops::list(&state, &user)
            .await?
            .iter()
            .map(catalogue_json)
            .collect(),
    ))
}

/// Imports a catalogue from a CISO Assistant library (YAML, `Content-Type: application/yaml`),
/// or replaces the catalogue with the same urn, keeping its answers. A library that cannot be
/// read is refused as a whole (`catalogue_invalid`, with the `line`).
#[utoipa::path(
    post,
    path = "/api/v1/catalogues",
    tag = "controls",
    request_body(content = String, content_type = "application/yaml"),
    responses(
        (status = 201, body = json::Imported),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 415, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn import_catalogue(
    State(state): State<AppState>,
    user: User,
    YamlBody(bytes): YamlBody,
) -> Result<Response, AppError> {
    let (summary, created_now) = ops::import(&state, &user, &bytes).await?;
    Ok(created(
        format!("{PREFIX}/catalogues/{}", summary.id),
        json::Imported {
            catalogue: catalogue_json(&summary),
            created: created_now,
        },
    ))
}

/// One catalogue with its nodes in order (the tree by `parent_urn`).
#[utoipa::path(
    get,
    path = "/api/v1/catalogues/{id}",
    tag = "controls",
    params(("id" = i64, Path, description = "Catalogue id")),
    responses(
        (status = 200, body = json::CatalogueDetail),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_catalogue(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<json::CatalogueDetail>, AppError> {
    let (summary, catalogue) = ops::catalogue(&state, &user, id).await?;
    Ok(Json(json::CatalogueDetail {
        catalogue: catalogue_json(&summary),
        nodes: nodes_json(&catalogue),
    }))
}

/// The catalogue as a CISO Assistant library: imported again, it gives the same tree.
#[utoipa::path(
    get,
    path = "/api/v1/catalogues/{id}/export.yaml",
    tag = "controls",
    params(("id" = i64, Path, description = "Catalogue id")),
    responses(
        (status = 200, content_type = "application/yaml", body = String),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn export_catalogue(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let (summary, catalogue) = ops::catalogue(&state, &user, id).await?;
    let disposition = format!("attachment; filename=\"catalogue-{}.yaml\"", summary.id);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/yaml; charset=utf-8".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        export_yaml(&catalogue),
    )
        .into_response())
}

/// Which answers to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnswersQuery {
    /// A measure's urn or code: every answer the unit gave for it, newest first.
    #[serde(default)]
    measure: String,
}

/// A unit's current answers, one per measure answered; with `measure`, that measure's history.
#[utoipa::path(
    get,
    path = "/api/v1/catalogues/{id}/units/{unit}/answers",
    tag = "controls",
    params(
        ("id" = i64, Path, description = "Catalogue id"),
        ("unit" = i64, Path, description = "Unit id"),
        AnswersQuery,
    ),
    responses(
        (status = 200, body = Vec<json::Answer>),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn list_answers(
    State(state): State<AppState>,
    user: User,
    PathParams((id, unit)): PathParams<(i64, i64)>,
    ApiQuery(query): ApiQuery<AnswersQuery>,
) -> Result<Json<Vec<json::Answer>>, AppError> {
    if !query.measure.trim().is_empty() {
        let history = ops::history(&state, &user, id, unit, &query.measure).await?;
        return Ok(Json(history.iter().map(answer_json).collect()));
    }
    let list = ops::checklist(&state, &user, id, unit).await?;
    Ok(Json(
        list.rows
            .iter()
            .filter_map(|r| r.answer.as_ref())
            .map(answer_json)
            .collect(),
    ))
}

/// Records a unit's answer for a measure (the unit's 管理者, its organisation's 責任者, the
/// administrators); the answer it replaces stays in the history.
#[utoipa::path(
    post,
    path = "/api/v1/catalogues/{id}/units/{unit}/answers",
    tag = "controls",
    params(
        ("id" = i64, Path, description = "Catalogue id"),
        ("unit" = i64, Path, description = "Unit id"),
    ),
    request_body = json::AnswerBody,
    responses(
        (status = 201, body = json::Answer),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn record_answer(
    State(state): State<AppState>,
    user: User,
    PathParams((id, unit)): PathParams<(i64, i64)>,
    ApiJson(body): ApiJson<json::AnswerBody>,
) -> Result<Response, AppError> {
    let answer = ops::answer(
        &state,
        &user,
        id,
        unit,
        AnswerDraft {
            measure: body.measure,
            status: body.status,
            reason: body.reason,
            note: body.note,
            link: body.link,
            file: None,
        },
    )
    .await?;
    Ok(created(
        format!("{PREFIX}/catalogues/{id}/units/{unit}/answers"),
        answer_json(&answer),
    ))
}

/// For each clause of the basic policy in force, its measures (and those of the clauses below
/// it) and their answers across the units the caller oversees.
#[utoipa::path(
    get,
    path = "/api/v1/coverage",
    tag = "controls",
    params(CoverageQuery),
    responses(
        (status = 200, body = Vec<json::ClauseCoverage>),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn coverage(
    State(state): State<AppState>,
    user: User,
    ApiQuery(query): ApiQuery<CoverageQuery>,
) -> Result<Json<Vec<json::ClauseCoverage>>, AppError> {
    let coverage = ops::coverage(&state, &user, coverage_policy(&query)?).await?;
    Ok(Json(
        coverage
            .clauses
            .iter()
            .map(|c| json::ClauseCoverage {
                anchor: c.anchor.clone(),
                measures: c.measures,
                implemented: c.tally.implemented,
                partly: c.tally.partly,
                not: c.tally.not,
                not_applicable: c.tally.not_applicable,
                unanswered: c.tally.unanswered,
                signal: c.signal.as_str().to_owned(),
                oldest_evidence: c.oldest_evidence.map(rfc3339_jst),
            })
            .collect(),
    ))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ControlsApiDoc::openapi())
        .routes(routes!(list_catalogues, import_catalogue))
        .routes(routes!(get_catalogue))
        .routes(routes!(export_catalogue))
        .routes(routes!(list_answers, record_answer))
        .routes(routes!(coverage))
}
