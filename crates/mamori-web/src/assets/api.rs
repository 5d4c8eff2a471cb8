//! The asset register in the JSON API: assets, the summary, segments and the classification
//! scales. Validation and authorisation are the pages' own (`assets_pages`), so a form and a JSON
//! body are judged alike.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use mamori_core::asset::AssetId;
use mamori_core::authz::{ViewAssets, authorize};
use mamori_core::classification::Scales;
use mamori_core::segment::SegmentId;
use mamori_core::{PersonId, UnitId};
use mamori_store::{Asset, AssetRow, SegmentEntry, SummaryCount};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{
    self, AssetDraft, AssetQuery, ClassDraft, LevelDraft, SegmentDraft, asset_filter,
};
use super::pages::is_split;
use crate::http::AppError;
use crate::http::AppState;
use crate::http::User;
use crate::http::api::{PREFIX, created, parse_count, positive_id};
use crate::http::error::status;
use crate::http::{ApiJson, ApiQuery, Id, PathParams};
use mamori_core::time::rfc3339_jst;

mod json {
    use super::*;

    /// 情報資産, as the register holds it.
    #[derive(Serialize, ToSchema)]
    pub struct Asset {
        pub id: i64,
        /// `network`, `system`, `equipment`, `media`, `information` or `document`.
        pub kind: String,
        pub name: String,
        pub owner_unit_id: i64,
        pub owner_unit_name: String,
        pub administrator_id: Option<i64>,
        pub administrator_name: Option<String>,
        pub location: String,
        /// Segment code, e.g. `LGWAN`.
        pub segment: Option<String>,
        pub segment_name: Option<String>,
        pub hosts: Vec<String>,
        pub addresses: Vec<String>,
        /// `planned`, `in_use`, `retired` or `disposed`.
        pub lifecycle: String,
        pub disposal: Option<Disposal>,
        pub note: String,
        pub confidentiality: String,
        pub integrity: String,
        pub availability: String,
        /// What the rules flag: each with a `kind` (`unknown_level`, `segment_forbidden`,
        /// `unknown_segment`, `address_outside_segment`, `disposal_unrecorded`) and its subject.
        #[schema(value_type = Vec<Object>)]
        pub flags: Vec<serde_json::Value>,
        pub created_at: String,
        pub updated_at: String,
    }

    /// 廃棄記録.
    #[derive(Serialize, ToSchema)]
    pub struct Disposal {
        pub method: String,
        pub by: String,
        pub at: String,
    }

    /// One row of the register's list.
    #[derive(Serialize, ToSchema)]
    pub struct AssetRow {
        pub id: i64,
        pub kind: String,
        pub name: String,
        pub owner_unit_id: i64,
        pub owner_unit_name: String,
        pub segment: Option<String>,
        pub lifecycle: String,
        pub confidentiality: String,
        pub integrity: String,
        pub availability: String,
        pub flagged: bool,
        /// A restricted asset the caller may know of but not see in detail.
        pub detail_hidden: bool,
        pub updated_at: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct AssetPage {
        pub assets: Vec<AssetRow>,
        /// How many assets match, counted up to 1,000 past the page's start.
        pub total: i64,
        /// More assets match than `total`: counting stopped there.
        pub total_more: bool,
        pub page: i64,
    }

    /// A new asset.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct AssetCreate {
        pub kind: String,
        pub name: String,
        pub owner_unit_id: i64,
        #[serde(default)]
        pub administrator_id: Option<i64>,
        #[serde(default)]
        pub location: String,
        /// Segment code.
        #[serde(default)]
        pub segment: Option<String>,
        #[serde(default)]
        pub hosts: Vec<String>,
        #[serde(default)]
        pub addresses: Vec<String>,
        /// `planned`, `in_use` (default) or `retired`.
        #[serde(default)]
        pub lifecycle: Option<String>,
        #[serde(default)]
        pub note: String,
        /// Level codes, e.g. `3`, `3A`, `2`.
        pub confidentiality: String,
        pub integrity: String,
        pub availability: String,
    }

    /// Changes to an asset's details; absent fields are kept. The class changes through
    /// `reclassify`, disposal through `dispose`.
    #[derive(Deserialize, ToSchema, Default)]
    #[serde(deny_unknown_fields)]
    pub struct AssetUpdate {
        pub kind: Option<String>,
        pub name: Option<String>,
        pub owner_unit_id: Option<i64>,
        pub administrator_id: Option<i64>,
        pub location: Option<String>,
        /// Segment code; an empty string takes the asset out of any segment.
        pub segment: Option<String>,
        pub hosts: Option<Vec<String>>,
        pub addresses: Option<Vec<String>>,
        pub lifecycle: Option<String>,
        pub note: Option<String>,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct Reclassify {
        pub confidentiality: String,
        pub integrity: String,
        pub availability: String,
        #[serde(default)]
        pub reason: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct Dispose {
        pub method: String,
        pub by: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Count {
        pub key: String,
        pub label: String,
        pub count: i64,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Summary {
        pub total: i64,
        pub flagged: i64,
        pub by_confidentiality: Vec<Count>,
        pub by_segment: Vec<Count>,
        pub by_owner_unit: Vec<Count>,
    }

    /// ネットワークセグメント.
    #[derive(Serialize, ToSchema)]
    pub struct Segment {
        pub id: i64,
        pub code: String,
        pub name: String,
        /// CIDR blocks.
        pub ranges: Vec<String>,
        pub note: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct SegmentBody {
        pub code: String,
        pub name: String,
        #[serde(default)]
        pub ranges: Vec<String>,
        #[serde(default)]
        pub note: String,
    }

    /// The three scales: levels with names, definitions and handling rules.
    #[derive(Serialize, ToSchema)]
    pub struct Classification {
        /// Whether 機密性3 is split into 3A/3B/3C.
        pub split: bool,
        #[schema(value_type = Object)]
        pub scales: serde_json::Value,
    }

    /// One level's name, definition and handling rules (取扱制限). Its code and rank stay.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct LevelBody {
        pub name: String,
        #[serde(default)]
        pub definition: String,
        /// Shown in detail only to the owner unit and the security roles; reads are audited.
        pub restricted: bool,
        /// Others may know that an asset of this level exists.
        pub existence_visible: bool,
        pub encrypt_at_rest: bool,
        pub encrypt_in_transit: bool,
        #[serde(default)]
        pub storage: String,
        /// Codes of the segments an asset of this level may live in; empty means any.
        #[serde(default)]
        pub allowed_segments: Vec<String>,
        /// `forbidden`, `with_approval` or `allowed`.
        pub take_out: String,
        #[serde(default)]
        pub disposal: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct Split {
        pub split: bool,
        /// Switching on: the level that today's 機密性3 assets become (`3A`, the default, `3B`
        /// or `3C`); they are flagged `split_review` until reclassified.
        #[serde(default)]
        pub existing_to: Option<String>,
    }

    /// Filter, order and page of the register.
    #[derive(Deserialize, IntoParams)]
    pub struct AssetParams {
        /// Part of the name, location, host names, addresses or notes.
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub q: String,
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub kind: String,
        /// Owner unit id.
        #[serde(default)]
        #[param(value_type = Option<i64>)]
        pub unit: String,
        /// Segment code.
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub segment: String,
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub confidentiality: String,
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub integrity: String,
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub availability: String,
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub lifecycle: String,
        /// `true` for flagged assets only.
        #[serde(default)]
        #[param(value_type = Option<bool>)]
        pub flagged: String,
        /// `name` (default), `kind`, `class` or `updated`.
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub sort: String,
        #[serde(default)]
        #[param(value_type = Option<i64>)]
        pub page: String,
        /// Page size (default 50, at most 500).
        #[serde(default)]
        #[param(value_type = Option<i64>)]
        pub limit: String,
    }
}

impl From<Asset> for json::Asset {
    fn from(a: Asset) -> Self {
        Self {
            id: a.id.0,
            kind: a.kind.as_str().to_owned(),
            name: a.name,
            owner_unit_id: a.owner_unit_id.0,
            owner_unit_name: a.owner_unit_name,
            administrator_id: a.administrator_id.map(|p| p.0),
            administrator_name: a.administrator_name,
            location: a.location,
            segment: a.segment_code,
            segment_name: a.segment_name,
            hosts: a.hosts,
            addresses: a.addresses.iter().map(ToString::to_string).collect(),
            lifecycle: a.lifecycle.as_str().to_owned(),
            disposal: a.disposal.map(|d| json::Disposal {
                method: d.method,
                by: d.by,
                at: rfc3339_jst(d.at_ms),
            }),
            note: a.note,
            confidentiality: a.classification.confidentiality,
            integrity: a.classification.integrity,
            availability: a.classification.availability,
            flags: a
                .flags
                .iter()
                .filter_map(|f| serde_json::to_value(f).ok())
                .collect(),
            created_at: rfc3339_jst(a.created_at),
            updated_at: rfc3339_jst(a.updated_at),
        }
    }
}

impl From<AssetRow> for json::AssetRow {
    fn from(r: AssetRow) -> Self {
        Self {
            id: r.id.0,
            kind: r.kind.as_str().to_owned(),
            name: r.name,
            owner_unit_id: r.owner_unit_id.0,
            owner_unit_name: r.owner_unit_name,
            segment: r.segment_code,
            lifecycle: r.lifecycle.as_str().to_owned(),
            confidentiality: r.classification.confidentiality,
            integrity: r.classification.integrity,
            availability: r.classification.availability,
            flagged: r.flagged,
            detail_hidden: r.detail_hidden,
            updated_at: rfc3339_jst(r.updated_at),
        }
    }
}

impl From<SegmentEntry> for json::Segment {
    fn from(s: SegmentEntry) -> Self {
        Self {
            id: s.id.0,
            code: s.segment.code,
            name: s.segment.name.into(),
            ranges: s.segment.ranges.iter().map(ToString::to_string).collect(),
            note: s.segment.note,
        }
    }
}

fn counts(list: Vec<SummaryCount>) -> Vec<json::Count> {
    list.into_iter()
        .map(|c| json::Count {
            key: c.key,
            label: c.label,
            count: c.count,
        })
        .collect()
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_assets,
        create_asset,
        summary,
        super::sheet::api::export_assets,
        super::sheet::api::import_assets,
        get_asset,
        update_asset,
        reclassify_asset,
        dispose_asset,
        list_segments,
        create_segment,
        update_segment,
        delete_segment,
        get_classification,
        set_split,
        update_level,
    ),
    tags(
        (name = "assets", description = "情報資産台帳: the asset register, its segments and classification scales"),
    )
)]
pub struct AssetsApiDoc;

// ---------------------------------------------------------------------------------------------
// Assets

/// The register, filtered, ordered and paged. Restricted assets (機密性3 and its split levels)
/// of other units are left out, or listed with `detail_hidden` where their level allows.
#[utoipa::path(
    get,
    path = "/api/v1/assets",
    tag = "assets",
    params(json::AssetParams),
    responses(
        (status = 200, body = json::AssetPage),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn list_assets(
    State(state): State<AppState>,
    user: User,
    ApiQuery(params): ApiQuery<json::AssetParams>,
) -> Result<Json<json::AssetPage>, AppError> {
    let grant = authorize::<ViewAssets>(&user.actor, &())?;
    let limit = parse_count("limit", &params.limit, 50, 1, 500)?;
    let scales = state.store.scales().await?;
    let segments = state.store.list_segments(&grant).await?;
    let query = AssetQuery {
        q: params.q,
        kind: params.kind,
        unit: params.unit,
        segment: params.segment,
        confidentiality: params.confidentiality,
        integrity: params.integrity,
        availability: params.availability,
        lifecycle: params.lifecycle,
        flagged: params.flagged,
        sort: params.sort,
        page: params.page,
    };
    let (filter, page) = asset_filter(&query, &scales, &segments, limit)?;
    let (rows, total) = state
        .store
        .list_assets(&grant, &user.actor.asset_visibility(), &filter)
        .await?;
    Ok(Json(json::AssetPage {
        assets: rows.into_iter().map(Into::into).collect(),
        total: total.n,
        total_more: total.more,
        page,
    }))
}

/// Registers an asset. The owner unit's 情報セキュリティ管理者, its organisation's
/// 情報セキュリティ責任者 and administrators may.
#[utoipa::path(
    post,
    path = "/api/v1/assets",
    tag = "assets",
    request_body = json::AssetCreate,
    responses(
        (status = 201, body = json::Asset),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn create_asset(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::AssetCreate>,
) -> Result<Response, AppError> {
    let mut problems = Vec::new();
    let draft = AssetDraft {
        kind: Some(body.kind),
        name: Some(body.name),
        owner_unit: Some(positive_id("unit", Some(body.owner_unit_id), &mut problems).map(UnitId)),
        administrator: Some(
            positive_id("administrator", body.administrator_id, &mut problems).map(PersonId),
        ),
        location: Some(body.location),
        segment: Some(body.segment.unwrap_or_default()),
        hosts: Some(body.hosts),
        addresses: Some(body.addresses),
        lifecycle: Some(body.lifecycle.unwrap_or_default()),
        note: Some(body.note),
        class: Some(ClassDraft {
            confidentiality: body.confidentiality,
            integrity: body.integrity,
            availability: body.availability,
        }),
        problems,
    };
    let asset = ops::create_asset(&state, &user, draft).await?;
    Ok(created(
        format!("{PREFIX}/assets/{}", asset.id),
        json::Asset::from(asset),
    ))
}

/// One asset. Reading a restricted asset is recorded in the audit trail; others than its unit
/// and the security roles get 404 (403 where its level lets others know it exists).
#[utoipa::path(
    get,
    path = "/api/v1/assets/{id}",
    tag = "assets",
    params(("id" = i64, Path, description = "Asset id")),
    responses(
        (status = 200, body = json::Asset),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_asset(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Json<json::Asset>, AppError> {
    let (asset, _) = ops::asset(&state, &user, AssetId(id)).await?;
    Ok(Json(asset.into()))
}

/// Changes an asset's details.
#[utoipa::path(
    patch,
    path = "/api/v1/assets/{id}",
    tag = "assets",
    params(("id" = i64, Path, description = "Asset id")),
    request_body = json::AssetUpdate,
    responses(
        (status = 200, body = json::Asset),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn update_asset(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    ApiJson(body): ApiJson<json::AssetUpdate>,
) -> Result<Json<json::Asset>, AppError> {
    let mut problems = Vec::new();
    let draft = AssetDraft {
        kind: body.kind,
        name: body.name,
        owner_unit: body
            .owner_unit_id
            .map(|u| positive_id("unit", Some(u), &mut problems).map(UnitId)),
        administrator: body
            .administrator_id
            .map(|p| positive_id("administrator", Some(p), &mut problems).map(PersonId)),
        location: body.location,
        segment: body.segment,
        hosts: body.hosts,
        addresses: body.addresses,
        lifecycle: body.lifecycle,
        note: body.note,
        class: None,
        problems,
    };
    let asset = ops::update_asset(&state, &user, AssetId(id), draft).await?;
    Ok(Json(asset.into()))
}

/// Changes an asset's class, with the reason.
#[utoipa::path(
    post,
    path = "/api/v1/assets/{id}/reclassify",
    tag = "assets",
    params(("id" = i64, Path, description = "Asset id")),
    request_body = json::Reclassify,
    responses(
        (status = 200, body = json::Asset),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn reclassify_asset(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    ApiJson(body): ApiJson<json::Reclassify>,
) -> Result<Json<json::Asset>, AppError> {
    let class = ClassDraft {
        confidentiality: body.confidentiality,
        integrity: body.integrity,
        availability: body.availability,
    };
    let asset = ops::reclassify_asset(&state, &user, AssetId(id), class, &body.reason).await?;
    Ok(Json(asset.into()))
}

/// Records that an asset was disposed of: how and by whom.
#[utoipa::path(
    post,
    path = "/api/v1/assets/{id}/dispose",
    tag = "assets",
    params(("id" = i64, Path, description = "Asset id")),
    request_body = json::Dispose,
    responses(
        (status = 200, body = json::Asset),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn dispose_asset(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    ApiJson(body): ApiJson<json::Dispose>,
) -> Result<Json<json::Asset>, AppError> {
    let asset = ops::dispose_asset(&state, &user, AssetId(id), &body.method, &body.by).await?;
    Ok(Json(asset.into()))
}

/// The register in numbers: by confidentiality level, by segment, by owner unit, and flagged.
#[utoipa::path(
    get,
    path = "/api/v1/assets/summary",
    tag = "assets",
    responses(
        (status = 200, body = json::Summary),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn summary(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<json::Summary>, AppError> {
    let grant = authorize::<ViewAssets>(&user.actor, &())?;
    let s = state.store.asset_summary(&grant).await?;
    Ok(Json(json::Summary {
        total: s.total,
        flagged: s.flagged,
        by_confidentiality: counts(s.by_confidentiality),
        by_segment: counts(s.by_segment),
        by_owner_unit: counts(s.by_owner_unit),
    }))
}

// ---------------------------------------------------------------------------------------------
// Segments

/// The network segments and their address ranges.
#[utoipa::path(
    get,
    path = "/api/v1/segments",
    tag = "assets",
    responses(
        (status = 200, body = Vec<json::Segment>),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn list_segments(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Segment>>, AppError> {
    let grant = authorize::<ViewAssets>(&user.actor, &())?;
    let segments = state.store.list_segments(&grant).await?;
    Ok(Json(segments.into_iter().map(Into::into).collect()))
}

impl From<json::SegmentBody> for SegmentDraft {
    fn from(body: json::SegmentBody) -> Self {
        SegmentDraft {
            code: body.code,
            name: body.name,
            ranges: body.ranges,
            note: body.note,
        }
    }
}

/// Adds a segment. Administrators only.
#[utoipa::path(
    post,
    path = "/api/v1/segments",
    tag = "assets",
    request_body = json::SegmentBody,
    responses(
        (status = 201, body = json::Segment),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn create_segment(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::SegmentBody>,
) -> Result<Response, AppError> {
    let entry = ops::create_segment(&state, &user, body.into()).await?;
    Ok(created(
        format!("{PREFIX}/segments/{}", entry.id),
        json::Segment::from(entry),
    ))
}

/// Replaces a segment's code, name, ranges and note; its assets are flagged anew.
#[utoipa::path(
    patch,
    path = "/api/v1/segments/{id}",
    tag = "assets",
    params(("id" = i64, Path, description = "Segment id")),
    request_body = json::SegmentBody,
    responses(
        (status = 200, body = json::Segment),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn update_segment(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    ApiJson(body): ApiJson<json::SegmentBody>,
) -> Result<Json<json::Segment>, AppError> {
    let entry = ops::update_segment(&state, &user, SegmentId(id), body.into()).await?;
    Ok(Json(entry.into()))
}

/// Removes a segment that no asset lives in.
#[utoipa::path(
    delete,
    path = "/api/v1/segments/{id}",
    tag = "assets",
    params(("id" = i64, Path, description = "Segment id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, description = "Assets live in it", body = crate::http::api::ErrorBody),
    )
)]
async fn delete_segment(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Response, AppError> {
    ops::delete_segment(&state, &user, SegmentId(id)).await?;
    Ok(status::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------------------------------------
// Classification

fn classification_body(scales: Scales) -> json::Classification {
    json::Classification {
        split: is_split(&scales),
        scales: serde_json::to_value(&scales).unwrap_or_default(),
    }
}

/// The classification scales in force, with each level's definition and handling rules.
#[utoipa::path(
    get,
    path = "/api/v1/classification",
    tag = "assets",
    responses(
        (status = 200, body = json::Classification),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn get_classification(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<json::Classification>, AppError> {
    authorize::<ViewAssets>(&user.actor, &())?;
    Ok(Json(classification_body(state.store.scales().await?)))
}

/// Switches the 3A/3B/3C split of 機密性3 on or off. Administrators only. On, every 機密性3 asset
/// moves to `existing_to` (3A unless chosen) and is flagged `split_review` until reclassified;
/// off, 3A/3B/3C assets move back to 3. In one transaction with its audit record; asking for the
/// state in force changes nothing.
#[utoipa::path(
    put,
    path = "/api/v1/classification/split",
    tag = "assets",
    request_body = json::Split,
    responses(
        (status = 200, body = json::Classification),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn set_split(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::Split>,
) -> Result<Json<json::Classification>, AppError> {
    let existing_to = body.existing_to.unwrap_or_default();
    let scales = ops::set_split(&state, &user, Ok(body.split), &existing_to).await?;
    Ok(Json(classification_body(scales)))
}

/// Changes one level's name, definition and handling rules. Administrators only. Assets are
/// re-flagged against the new rules (allowed segments) in the same transaction, which is audited.
#[utoipa::path(
    put,
    path = "/api/v1/classification/{dimension}/levels/{code}",
    tag = "assets",
    params(
        ("dimension" = String, Path, description = "`confidentiality`, `integrity` or `availability`"),
        ("code" = String, Path, description = "Level code, e.g. `3`, `3A`, `2`"),
    ),
    request_body = json::LevelBody,
    responses(
        (status = 200, body = json::Classification),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn update_level(
    State(state): State<AppState>,
    user: User,
    PathParams((dimension, code)): PathParams<(String, String)>,
    ApiJson(body): ApiJson<json::LevelBody>,
) -> Result<Json<json::Classification>, AppError> {
    let draft = LevelDraft {
        name: body.name,
        definition: body.definition,
        restricted: body.restricted,
        existence_visible: body.existence_visible,
        encrypt_at_rest: body.encrypt_at_rest,
        encrypt_in_transit: body.encrypt_in_transit,
        storage: body.storage,
        allowed_segments: body.allowed_segments,
        take_out: body.take_out,
        disposal: body.disposal,
    };
    let scales = ops::update_level(&state, &user, &dimension, &code, draft).await?;
    Ok(Json(classification_body(scales)))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(AssetsApiDoc::openapi())
        .routes(routes!(list_assets, create_asset))
        .routes(routes!(summary))
        .routes(routes!(super::sheet::api::export_assets))
        .routes(routes!(super::sheet::api::import_assets))
        .routes(routes!(get_asset, update_asset))
        .routes(routes!(reclassify_asset))
        .routes(routes!(dispose_asset))
        .routes(routes!(list_segments, create_segment))
        .routes(routes!(update_segment, delete_segment))
        .routes(routes!(get_classification))
        .routes(routes!(set_split))
        .routes(routes!(update_level))
}
