//! 自己点検 in the JSON API: the campaigns the caller may see, one opened, a campaign's progress
//! by unit and chapter, a unit's items and a unit signed off (an item is answered on the unit's
//! checklist, `/catalogues/{id}/units/{unit}/answers`). Every handler
//! calls the operation the pages call.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use mamori_core::inspection::Progress;
use mamori_core::time::rfc3339_jst;
use mamori_store::{Answer, Inspection};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, CampaignDraft};
use crate::http::api::{PREFIX, created};
use crate::http::{ApiJson, AppError, AppState, PathParams, User};

mod json {
    use super::*;

    /// 自己点検: one campaign.
    #[derive(Serialize, ToSchema)]
    pub struct Inspection {
        pub id: i64,
        /// 年度.
        pub year: i32,
        pub title: String,
        pub catalogue_id: i64,
        pub catalogue_name: String,
        pub due_on: String,
        /// Units covered, and those whose result is signed off.
        pub units: i64,
        pub signed: i64,
        pub created_at: String,
    }

    /// A campaign to open. No `unit_ids` covers every unit.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct InspectionBody {
        pub year: Option<i64>,
        pub title: String,
        pub catalogue_id: Option<i64>,
        /// `YYYY-MM-DD`.
        pub due_on: String,
        #[serde(default)]
        pub unit_ids: Vec<i64>,
    }

    /// How far a unit or a chapter has come.
    #[derive(Serialize, ToSchema)]
    pub struct Progress {
        pub items: usize,
        pub answered: usize,
        pub implemented: usize,
        pub partly: usize,
        pub not: usize,
        pub not_applicable: usize,
    }

    #[derive(Serialize, ToSchema)]
    pub struct SignOff {
        pub by: String,
        pub at: String,
        pub note: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct UnitProgress {
        pub unit_id: i64,
        pub unit_name: String,
        pub progress: Progress,
        pub signed: Option<SignOff>,
        /// Past the due date and not signed off.
        pub overdue: bool,
    }

    #[derive(Serialize, ToSchema)]
    pub struct ChapterProgress {
        /// `organisation` … `review`, empty for a measure outside the chapters.
        pub chapter: String,
        pub progress: Progress,
    }

    /// A campaign with the progress of the units the caller may see.
    #[derive(Serialize, ToSchema)]
    pub struct Dashboard {
        pub inspection: Inspection,
        pub units: Vec<UnitProgress>,
        pub chapters: Vec<ChapterProgress>,
        pub total: Progress,
    }

    #[derive(Serialize, ToSchema)]
    pub struct ItemAnswer {
        pub id: i64,
        /// `implemented`, `partly`, `not` or `not_applicable`.
        pub status: String,
        pub reason: String,
        pub note: String,
        pub link: String,
        pub by: Option<String>,
        pub at: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Item {
        pub measure_urn: String,
        pub measure_code: String,
        pub name: String,
        pub chapter: String,
        /// This campaign's answer.
        pub answer: Option<ItemAnswer>,
        /// The answer of the campaign of the year before.
        pub last_year: Option<String>,
    }

    #[derive(Serialize, ToSchema)]
    pub struct UnitSheet {
        pub unit_id: i64,
        pub unit_name: String,
        pub progress: Progress,
        pub signed: Option<SignOff>,
        pub items: Vec<Item>,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct SignOffBody {
        #[serde(default)]
        pub note: String,
    }

    /// The unit's result as signed off, and the findings its 未実施 and 一部実施 raised.
    #[derive(Serialize, ToSchema)]
    pub struct SignedOff {
        pub unit_id: i64,
        pub signed: Option<SignOff>,
        pub finding_ids: Vec<i64>,
    }
}

fn inspection_json(i: &Inspection) -> json::Inspection {
    json::Inspection {
        id: i.id.0,
        year: i.year,
        title: i.title.clone(),
        catalogue_id: i.catalogue.0,
        catalogue_name: i.catalogue_name.clone(),
        due_on: i.due_on.to_string(),
        units: i.units,
        signed: i.signed,
        created_at: rfc3339_jst(i.created_at),
    }
}

fn progress_json(p: &Progress) -> json::Progress {
    json::Progress {
        items: p.items,
        answered: p.answered(),
        implemented: p.implemented,
        partly: p.partly,
        not: p.not,
        not_applicable: p.not_applicable,
    }
}

fn sign_off_json(s: &mamori_store::SignOff) -> json::SignOff {
    json::SignOff {
        by: s.by_name.clone(),
        at: rfc3339_jst(s.at_ms),
        note: s.note.clone(),
    }
}

fn answer_json(a: &Answer) -> json::ItemAnswer {
    json::ItemAnswer {
        id: a.id,
        status: a.state.as_str().to_owned(),
        reason: a.reason.clone(),
        note: a.note.clone(),
        link: a.link.clone(),
        by: a.by_name.clone(),
        at: rfc3339_jst(a.at_ms),
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_inspections,
        create_inspection,
        get_inspection,
        get_unit,
        sign_off
    ),
    tags(
        (name = "inspections", description = "自己点検: yearly self-inspection campaigns"),
    )
)]
pub struct InspectionApiDoc;

/// The campaigns in which the caller may see a unit (the administrators: all).
#[utoipa::path(
    get,
    path = "/api/v1/inspections",
    tag = "inspections",
    responses(
        (status = 200, body = Vec<json::Inspection>),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn list_inspections(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Inspection>>, AppError> {
    Ok(Json(
        ops::list(&state, &user)
            .await?
            .iter()
            .map(inspection_json)
            .collect(),
    ))
}

/// Opens a campaign (administrators); each unit's items are the catalogue's measures that
/// concern it now.
#[utoipa::path(
    post,
    path = "/api/v1/inspections",
    tag = "inspections",
    request_body = json::InspectionBody,
    responses(
        (status = 201, body = json::Inspection),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn create_inspection(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::InspectionBody>,
) -> Result<Response, AppError> {
    let inspection = ops::create(
        &state,
        &user,
        CampaignDraft {
            year: body.year,
            title: body.title,
            catalogue: body.catalogue_id,
            due_on: body.due_on,
            units: body.unit_ids,
        },
    )
    .await?;
    Ok(created(
        format!("{PREFIX}/inspections/{}", inspection.id.0),
        inspection_json(&inspection),
    ))
}

/// A campaign's progress over the units the caller may see, by unit and by chapter.
#[utoipa::path(
    get,
    path = "/api/v1/inspections/{id}",
    tag = "inspections",
    params(("id" = i64, Path, description = "Campaign id")),
    responses(
        (status = 200, body = json::Dashboard),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_inspection(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<json::Dashboard>, AppError> {
    let board = ops::dashboard(&state, &user, id).await?;
    Ok(Json(json::Dashboard {
        inspection: inspection_json(&board.inspection),
        units: board
            .units
            .iter()
            .map(|u| json::UnitProgress {
                unit_id: u.unit.unit.0,
                unit_name: u.unit.unit_name.clone(),
                progress: progress_json(&u.progress),
                signed: u.unit.signed.as_ref().map(sign_off_json),
                overdue: u.overdue,
            })
            .collect(),
        chapters: board
            .chapters
            .iter()
            .map(|(chapter, p)| json::ChapterProgress {
                chapter: chapter.clone(),
                progress: progress_json(p),
            })
            .collect(),
        total: progress_json(&board.total),
    }))
}

/// A unit's items with this year's and last year's answers.
#[utoipa::path(
    get,
    path = "/api/v1/inspections/{id}/units/{unit}",
    tag = "inspections",
    params(
        ("id" = i64, Path, description = "Campaign id"),
        ("unit" = i64, Path, description = "Unit id"),
    ),
    responses(
        (status = 200, body = json::UnitSheet),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_unit(
    State(state): State<AppState>,
    user: User,
    PathParams((id, unit)): PathParams<(i64, i64)>,
) -> Result<Json<json::UnitSheet>, AppError> {
    let sheet = ops::unit_sheet(&state, &user, id, unit).await?;
    let lang = user.ctx.lang;
    Ok(Json(json::UnitSheet {
        unit_id: sheet.unit.unit.0,
        unit_name: sheet.unit.unit_name.clone(),
        progress: progress_json(&sheet.progress),
        signed: sheet.unit.signed.as_ref().map(sign_off_json),
        items: sheet
            .items
            .iter()
            .map(|item| json::Item {
                measure_urn: item.node.urn.clone(),
                measure_code: item.node.ref_id.clone().unwrap_or_default(),
                name: sheet
                    .catalogue
                    .localised(&item.node, lang)
                    .name
                    .unwrap_or_default()
                    .to_owned(),
                chapter: item
                    .node
                    .chapter
                    .map(|c| c.code().to_owned())
                    .unwrap_or_default(),
                answer: item.answer.as_ref().map(answer_json),
                last_year: item.last_year.map(|s| s.as_str().to_owned()),
            })
            .collect(),
    }))
}

/// Signs the unit's result off (its organisation's 責任者, the administrators) once every item
/// is answered; each 未実施 and 一部実施 becomes a finding.
#[utoipa::path(
    post,
    path = "/api/v1/inspections/{id}/units/{unit}/sign-off",
    tag = "inspections",
    params(
        ("id" = i64, Path, description = "Campaign id"),
        ("unit" = i64, Path, description = "Unit id"),
    ),
    request_body = json::SignOffBody,
    responses(
        (status = 200, body = json::SignedOff),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn sign_off(
    State(state): State<AppState>,
    user: User,
    PathParams((id, unit)): PathParams<(i64, i64)>,
    ApiJson(body): ApiJson<json::SignOffBody>,
) -> Result<Json<json::SignedOff>, AppError> {
    let (signed, findings) = ops::sign_off(&state, &user, id, unit, &body.note).await?;
    Ok(Json(json::SignedOff {
        unit_id: signed.unit.0,
        signed: signed.signed.as_ref().map(sign_off_json),
        finding_ids: findings.iter().map(|f| f.0).collect(),
    }))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(InspectionApiDoc::openapi())
        .routes(routes!(list_inspections, create_inspection))
        .routes(routes!(get_inspection))
        .routes(routes!(get_unit))
        .routes(routes!(sign_off))
}
