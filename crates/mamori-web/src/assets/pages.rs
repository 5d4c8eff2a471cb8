//! 情報資産台帳: the register's pages (list, one asset, summary with its chart), segments and the
//! classification scales. Every guarded operation asks `authorize` first and hands its grant to
//! the store; the validation here is shared with the API.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::asset::{AssetId, AssetKind, Flag, Lifecycle};
use mamori_core::authz::{ManageAssets, ManageRegister, ViewAssets, authorize};
use mamori_core::classification::{Dimension, Level, Scale, Scales, TakeOut};
use mamori_core::segment::{Segment, SegmentId};
use mamori_core::text::list_items;
use mamori_core::time::format_jst;
use mamori_core::{Actor, FieldError, FieldErrorKind, PersonId, UnitId};
use mamori_store::{Asset, AssetRow, AssetSort, AssetSummary, SegmentEntry, SummaryCount};
use serde::Deserialize;

use super::ops::{
    self, AssetDraft, AssetQuery, ClassDraft, LevelDraft, SPLIT_TARGETS, SegmentDraft, asset_filter,
};
use crate::http::AppError;
use crate::http::AppState;
use crate::http::User;
use crate::http::{Form, Frame, Id, PathParams, parse_opt_id, render};

const PAGE_SIZE: i64 = 50;

// ---------------------------------------------------------------------------------------------
// Validation shared with the API

/// An asset as a form or a JSON body writes it: every value as text.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AssetForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub owner_unit_id: String,
    #[serde(default)]
    pub administrator_id: String,
    #[serde(default)]
    pub location: String,
    /// Segment code; empty for none.
    #[serde(default)]
    pub segment: String,
    #[serde(default)]
    pub hosts: String,
    #[serde(default)]
    pub addresses: String,
    #[serde(default)]
    pub lifecycle: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub confidentiality: String,
    #[serde(default)]
    pub integrity: String,
    #[serde(default)]
    pub availability: String,
}

impl AssetForm {
    /// The draft of this form: every field set, lists split as typed.
    fn draft(self) -> AssetDraft {
        let mut problems = Vec::new();
        let mut id = |field, raw: &str| {
            parse_opt_id(field, raw).unwrap_or_else(|e| {
                problems.push(e);
                None
            })
        };
        let owner_unit = id("unit", &self.owner_unit_id).map(UnitId);
        let administrator = id("administrator", &self.administrator_id).map(PersonId);
        let items = |raw: &str| list_items(raw).map(str::to_owned).collect();
        AssetDraft {
            kind: Some(self.kind),
            name: Some(self.name),
            owner_unit: Some(owner_unit),
            administrator: Some(administrator),
            location: Some(self.location),
            segment: Some(self.segment),
            hosts: Some(items(&self.hosts)),
            addresses: Some(items(&self.addresses)),
            lifecycle: Some(self.lifecycle),
            note: Some(self.note),
            class: Some(ClassDraft {
                confidentiality: self.confidentiality,
                integrity: self.integrity,
                availability: self.availability,
            }),
            problems,
        }
    }

    /// The form that shows an asset as it is.
    pub fn of(asset: &Asset) -> Self {
        Self {
            kind: asset.kind.as_str().to_owned(),
            name: asset.name.clone(),
            owner_unit_id: asset.owner_unit_id.to_string(),
            administrator_id: asset
                .administrator_id
                .map(|p| p.to_string())
                .unwrap_or_default(),
            location: asset.location.clone(),
            segment: asset.segment_code.clone().unwrap_or_default(),
            hosts: asset.hosts.join("\n"),
            addresses: asset
                .addresses
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            lifecycle: asset.lifecycle.as_str().to_owned(),
            note: asset.note.clone(),
            confidentiality: asset.classification.confidentiality.clone(),
            integrity: asset.classification.integrity.clone(),
            availability: asset.classification.availability.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Texts of the domain, as the templates show them

/// The catalogue's key of a sort order; the key test walks `AssetSort::ALL`.
pub(crate) fn sort_key(sort: AssetSort) -> &'static str {
    match sort {
        AssetSort::Name => "sort.name",
        AssetSort::Kind => "sort.kind",
        AssetSort::Class => "sort.class",
        AssetSort::Updated => "sort.updated",
    }
}

fn level_name(scales: &Scales, dimension: Dimension, code: &str) -> String {
    scales
        .get(dimension)
        .level(code)
        .map(|l| l.name.clone())
        .unwrap_or_else(|| format!("{}{code}", dimension.label()))
}

fn yes_no(value: bool) -> &'static str {
    if value { "common.yes" } else { "common.no" }
}

fn take_out_key(take_out: &TakeOut) -> &'static str {
    match take_out {
        TakeOut::Forbidden => "rules.take_out_forbidden",
        TakeOut::WithApproval => "rules.take_out_approval",
        TakeOut::Allowed => "rules.take_out_allowed",
    }
}

// ---------------------------------------------------------------------------------------------
// The register

#[derive(Template)]
#[template(path = "assets.html")]
struct AssetsPage {
    frame: Frame,
    rows: Vec<AssetRow>,
    total: mamori_store::MatchCount,
    page: i64,
    pages: i64,
    query: AssetQuery,
    /// The query string of the filter without its page, for the pager links.
    filter_qs: String,
    kinds: [AssetKind; 6],
    lifecycles: [Lifecycle; 4],
    sorts: [AssetSort; 4],
    units: Vec<mamori_core::org::Unit>,
    segments: Vec<SegmentEntry>,
    scales: Scales,
    can_create: bool,
    /// May export and import the register.
    can_import: bool,
    /// After an import: how many assets were registered and updated.
    imported: Option<(u64, u64)>,
}

/// What the redirect after an import tells the register page.
#[derive(Debug, Default, Deserialize)]
pub struct ImportNotice {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    updated: Option<String>,
}

impl AssetsPage {
    fn kind_name(&self, kind: &AssetKind) -> &'static str {
        self.frame.lang.kind(*kind)
    }
    fn lifecycle_name(&self, lifecycle: &Lifecycle) -> &'static str {
        self.frame.lang.lifecycle(*lifecycle)
    }
    fn confidentiality_name(&self, code: &str) -> String {
        level_name(&self.scales, Dimension::Confidentiality, code)
    }
    fn sort_name(&self, sort: &AssetSort) -> &'static str {
        self.frame.t(sort_key(*sort))
    }
}

fn query_string(query: &AssetQuery) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("q", &query.q)
        .append_pair("kind", &query.kind)
        .append_pair("unit", &query.unit)
        .append_pair("segment", &query.segment)
        .append_pair("confidentiality", &query.confidentiality)
        .append_pair("integrity", &query.integrity)
        .append_pair("availability", &query.availability)
        .append_pair("lifecycle", &query.lifecycle)
        .append_pair("flagged", &query.flagged)
        .append_pair("sort", &query.sort)
        .finish()
}

/// Whether the actor may register assets for some unit.
fn manages_any(actor: &Actor) -> bool {
    actor.is_administrator()
        || actor.roles.iter().any(|(r, _)| {
            matches!(
                r,
                mamori_core::Role::SecurityOfficer | mamori_core::Role::SecurityManager
            )
        })
}

pub async fn assets(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<AssetQuery>,
    Query(notice): Query<ImportNotice>,
) -> Result<Response, AppError> {
    let grant = authorize::<ViewAssets>(&user.actor, &())?;
    let imported = match (&notice.created, &notice.updated) {
        (Some(c), Some(u)) => c.parse().ok().zip(u.parse().ok()),
        _ => None,
    };
    let scales = state.store.scales().await?;
    let segments = state.store.list_segments(&grant).await?;
    let (filter, page) = asset_filter(&query, &scales, &segments, PAGE_SIZE)?;
    let (rows, total) = state
        .store
        .list_assets(&grant, &user.actor.asset_visibility(), &filter)
        .await?;
    let units = match authorize::<mamori_core::authz::ViewDirectory>(&user.actor, &()) {
        Ok(dir) => state.store.list_units(&dir, None).await?,
        Err(_) => Vec::new(),
    };
    Ok(Html(render(&AssetsPage {
        frame: Frame::new(&user, "assets.title"),
        rows,
        total,
        page,
        pages: ((total.n + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        filter_qs: query_string(&query),
        query,
        kinds: AssetKind::ALL,
        lifecycles: [
            Lifecycle::Planned,
            Lifecycle::InUse,
            Lifecycle::Retired,
            Lifecycle::Disposed,
        ],
        sorts: AssetSort::ALL,
        units,
        segments,
        scales,
        can_create: manages_any(&user.actor),
        can_import: authorize::<ManageRegister>(&user.actor, &()).is_ok(),
        imported,
    }))
    .into_response())
}

pub async fn create_asset(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<AssetForm>,
) -> Result<Response, AppError> {
    let asset = ops::create_asset(&state, &user, form.draft()).await?;
    Ok(Redirect::to(&format!("/assets/{}", asset.id)).into_response())
}

/// One flag as shown: its explanation and what it names.
struct FlagView {
    key: &'static str,
    subject: String,
}

fn flag_views(flags: &[Flag]) -> Vec<FlagView> {
    flags
        .iter()
        .map(|f| FlagView {
            key: f.key(),
            subject: f.subject(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "asset.html")]
struct AssetPage {
    frame: Frame,
    asset: Asset,
    form: AssetForm,
    flags: Vec<FlagView>,
    /// The level of each dimension the asset has, with its rules.
    levels: Vec<(Dimension, Option<Level>)>,
    restricted: bool,
    can_manage: bool,
    kinds: [AssetKind; 6],
    lifecycles: [Lifecycle; 3],
    dimensions: [Dimension; 3],
    units: Vec<mamori_core::org::Unit>,
    segments: Vec<SegmentEntry>,
    scales: Scales,
    /// 外部サービス the asset is placed in, each with the levels it does not take.
    placements: Vec<mamori_store::AssetPlacement>,
}

impl AssetPage {
    fn kind_name(&self, kind: &AssetKind) -> &'static str {
        self.frame.lang.kind(*kind)
    }
    fn lifecycle_name(&self, lifecycle: &Lifecycle) -> &'static str {
        self.frame.lang.lifecycle(*lifecycle)
    }
    fn dimension_name(&self, dimension: &Dimension) -> &'static str {
        self.frame.lang.dimension(*dimension)
    }
    fn code_of(&self, dimension: &Dimension) -> &str {
        self.asset.classification.code(*dimension)
    }
    fn yes_no(&self, value: &bool) -> &'static str {
        yes_no(*value)
    }
    fn take_out_key(&self, take_out: &TakeOut) -> &'static str {
        take_out_key(take_out)
    }
    fn time(&self, ms: &i64) -> String {
        format_jst(*ms)
    }
    fn levels_of(&self, dimension: &Dimension) -> &[Level] {
        &self.scales.get(*dimension).levels
    }
}

pub async fn asset(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Response, AppError> {
    let (asset, place) = ops::asset(&state, &user, AssetId(id)).await?;
    let scales = state.store.scales().await?;
    // A contractor reads the asset their contract names, not the register's segments.
    let segments = match authorize::<ViewAssets>(&user.actor, &()) {
        Ok(view) => state.store.list_segments(&view).await?,
        Err(_) => Vec::new(),
    };
    let units = match authorize::<mamori_core::authz::ViewDirectory>(&user.actor, &()) {
        Ok(dir) => state.store.list_units(&dir, None).await?,
        Err(_) => Vec::new(),
    };
    let placements = state.store.asset_placements(asset.id).await?;
    let levels = Dimension::ALL
        .into_iter()
        .map(|d| {
            (
                d,
                scales.get(d).level(asset.classification.code(d)).cloned(),
            )
        })
        .collect();
    Ok(Html(render(&AssetPage {
        frame: Frame::new(&user, "asset.title"),
        form: AssetForm::of(&asset),
        flags: flag_views(&asset.flags),
        levels,
        restricted: place.restricted,
        can_manage: authorize::<ManageAssets>(&user.actor, &place).is_ok(),
        asset,
        kinds: AssetKind::ALL,
        lifecycles: [Lifecycle::Planned, Lifecycle::InUse, Lifecycle::Retired],
        dimensions: Dimension::ALL,
        units,
        segments,
        scales,
        placements,
    }))
    .into_response())
}

pub async fn update_asset(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    Form(form): Form<AssetForm>,
) -> Result<Response, AppError> {
    ops::update_asset(&state, &user, AssetId(id), form.draft()).await?;
    Ok(Redirect::to(&format!("/assets/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct ReclassifyForm {
    #[serde(default)]
    pub confidentiality: String,
    #[serde(default)]
    pub integrity: String,
    #[serde(default)]
    pub availability: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn reclassify_asset(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    Form(form): Form<ReclassifyForm>,
) -> Result<Response, AppError> {
    let class = ClassDraft {
        confidentiality: form.confidentiality,
        integrity: form.integrity,
        availability: form.availability,
    };
    ops::reclassify_asset(&state, &user, AssetId(id), class, &form.reason).await?;
    Ok(Redirect::to(&format!("/assets/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct DisposeForm {
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub by: String,
}

pub async fn dispose_asset(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    Form(form): Form<DisposeForm>,
) -> Result<Response, AppError> {
    ops::dispose_asset(&state, &user, AssetId(id), &form.method, &form.by).await?;
    Ok(Redirect::to(&format!("/assets/{id}")).into_response())
}

// ---------------------------------------------------------------------------------------------
// Summary with its chart

/// One horizontal bar of a chart, in the SVG's coordinates.
pub struct Bar {
    pub label: String,
    pub count: i64,
    pub y: i64,
    pub width: i64,
    /// Where the count is written, right of the bar.
    pub text_x: i64,
}

/// A chart of horizontal bars, server-rendered as SVG.
pub struct Chart {
    pub id: &'static str,
    pub title_key: &'static str,
    pub bars: Vec<Bar>,
    pub height: i64,
}

const CHART_LABEL_WIDTH: i64 = 220;
const CHART_BAR_SPACE: i64 = 400;
const CHART_ROW: i64 = 26;

fn chart(id: &'static str, title_key: &'static str, counts: &[SummaryCount], none: &str) -> Chart {
    let max = counts.iter().map(|c| c.count).max().unwrap_or(0).max(1);
    let bars = counts
        .iter()
        .take(30)
        .enumerate()
        .map(|(i, c)| {
            let width = (c.count * CHART_BAR_SPACE / max).max(1);
            Bar {
                label: if c.label.is_empty() {
                    none.to_owned()
                } else {
                    c.label.clone()
                },
                count: c.count,
                y: i as i64 * CHART_ROW,
                width,
                text_x: CHART_LABEL_WIDTH + width + 6,
            }
        })
        .collect::<Vec<_>>();
    Chart {
        id,
        title_key,
        height: (bars.len() as i64 * CHART_ROW).max(CHART_ROW),
        bars,
    }
}

#[derive(Template)]
#[template(path = "asset_summary.html")]
struct SummaryPage {
    frame: Frame,
    summary: AssetSummary,
    /// Assets still to be reviewed after the split (分割後の再確認が必要).
    review: i64,
    charts: Vec<Chart>,
    label_width: i64,
    chart_width: i64,
}

pub async fn summary(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let grant = authorize::<ViewAssets>(&user.actor, &())?;
    let summary = state.store.asset_summary(&grant).await?;
    let none = user.ctx.t("summary.none");
    let charts = vec![
        chart(
            "chart-confidentiality",
            "summary.by_confidentiality",
            &summary.by_confidentiality,
            none,
        ),
        chart(
            "chart-segment",
            "summary.by_segment",
            &summary.by_segment,
            none,
        ),
        chart(
            "chart-unit",
            "summary.by_unit",
            &summary.by_owner_unit,
            none,
        ),
    ];
    let review = state.store.split_review_count(&grant).await?;
    Ok(Html(render(&SummaryPage {
        frame: Frame::new(&user, "summary.title"),
        summary,
        review,
        charts,
        label_width: CHART_LABEL_WIDTH,
        chart_width: CHART_LABEL_WIDTH + CHART_BAR_SPACE + 80,
    }))
    .into_response())
}

// ---------------------------------------------------------------------------------------------
// Segments

#[derive(Template)]
#[template(path = "segments.html")]
struct SegmentsPage {
    frame: Frame,
    segments: Vec<SegmentEntry>,
    can_manage: bool,
}

impl SegmentsPage {
    fn ranges(&self, segment: &Segment) -> String {
        segment
            .ranges
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

pub async fn segments(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let grant = authorize::<ViewAssets>(&user.actor, &())?;
    let segments = state.store.list_segments(&grant).await?;
    Ok(Html(render(&SegmentsPage {
        frame: Frame::new(&user, "segments.title"),
        segments,
        can_manage: authorize::<ManageRegister>(&user.actor, &()).is_ok(),
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct SegmentForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub ranges: String,
    #[serde(default)]
    pub note: String,
}

pub async fn create_segment(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<SegmentForm>,
) -> Result<Response, AppError> {
    ops::create_segment(&state, &user, form.into()).await?;
    Ok(Redirect::to("/segments").into_response())
}

impl From<SegmentForm> for SegmentDraft {
    fn from(form: SegmentForm) -> Self {
        SegmentDraft {
            ranges: list_items(&form.ranges).map(str::to_owned).collect(),
            code: form.code,
            name: form.name,
            note: form.note,
        }
    }
}

pub async fn update_segment(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    Form(form): Form<SegmentForm>,
) -> Result<Response, AppError> {
    ops::update_segment(&state, &user, SegmentId(id), form.into()).await?;
    Ok(Redirect::to("/segments").into_response())
}

pub async fn delete_segment(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Response, AppError> {
    ops::delete_segment(&state, &user, SegmentId(id)).await?;
    Ok(Redirect::to("/segments").into_response())
}

// ---------------------------------------------------------------------------------------------
// Classification scales

#[derive(Template)]
#[template(path = "classification.html")]
struct ClassificationPage {
    frame: Frame,
    scales: Vec<Scale>,
    split: bool,
    can_manage: bool,
    targets: [&'static str; 3],
    /// Assets still to be reviewed after the split.
    review: i64,
}

impl ClassificationPage {
    fn dimension_name(&self, dimension: &Dimension) -> &'static str {
        self.frame.lang.dimension(*dimension)
    }
    fn yes_no(&self, value: &bool) -> &'static str {
        yes_no(*value)
    }
    fn take_out_key(&self, take_out: &TakeOut) -> &'static str {
        take_out_key(take_out)
    }
}

/// Whether 機密性3 is split into 3A/3B/3C in these scales.
pub fn is_split(scales: &Scales) -> bool {
    scales.confidentiality.level("3").is_none() && scales.confidentiality.level("3A").is_some()
}

pub async fn classification(
    State(state): State<AppState>,
    user: User,
) -> Result<Response, AppError> {
    let view = authorize::<ViewAssets>(&user.actor, &())?;
    let scales = state.store.scales().await?;
    Ok(Html(render(&ClassificationPage {
        frame: Frame::new(&user, "classification.title"),
        split: is_split(&scales),
        scales: vec![
            scales.confidentiality,
            scales.integrity,
            scales.availability,
        ],
        can_manage: authorize::<ManageRegister>(&user.actor, &()).is_ok(),
        targets: SPLIT_TARGETS,
        review: state.store.split_review_count(&view).await?,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct SplitForm {
    #[serde(default)]
    pub split: String,
    /// The split level that today's 機密性3 assets become: 3A (the strictest) unless chosen.
    #[serde(default)]
    pub existing_to: String,
}

/// Switches the 3A/3B/3C split of 機密性3 on or off, moving the assets with it in the same
/// audited write (see [`mamori_store::AssetStore::switch_split`]).
pub async fn set_split(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<SplitForm>,
) -> Result<Response, AppError> {
    let split = match form.split.trim() {
        "on" | "true" | "1" => Ok(true),
        "off" | "false" | "0" => Ok(false),
        _ => Err(FieldError::new("split", FieldErrorKind::UnknownValue)),
    };
    ops::set_split(&state, &user, split, &form.existing_to).await?;
    Ok(Redirect::to("/classification").into_response())
}

// ---------------------------------------------------------------------------------------------
// One level's handling rules (取扱制限)

/// A level's form: a checkbox is on when present, and `allowed_segments` repeats once per
/// ticked segment.
fn level_draft(pairs: Vec<(String, String)>) -> LevelDraft {
    let mut draft = LevelDraft::default();
    for (key, value) in pairs {
        let on = matches!(value.as_str(), "on" | "1" | "true");
        match key.as_str() {
            "name" => draft.name = value,
            "definition" => draft.definition = value,
            "restricted" => draft.restricted |= on,
            "existence_visible" => draft.existence_visible |= on,
            "encrypt_at_rest" => draft.encrypt_at_rest |= on,
            "encrypt_in_transit" => draft.encrypt_in_transit |= on,
            "storage" => draft.storage = value,
            "allowed_segments" => draft.allowed_segments.push(value),
            "take_out" => draft.take_out = value,
            "disposal" => draft.disposal = value,
            _ => {}
        }
    }
    draft
}

#[derive(Template)]
#[template(path = "classification_level.html")]
struct LevelPage {
    frame: Frame,
    dimension: Dimension,
    level: Level,
    segments: Vec<SegmentEntry>,
    take_outs: [TakeOut; 3],
}

impl LevelPage {
    fn dimension_name(&self) -> &'static str {
        self.frame.lang.dimension(self.dimension)
    }
    fn take_out_key(&self, take_out: &TakeOut) -> &'static str {
        take_out_key(take_out)
    }
    fn take_out_code(&self, take_out: &TakeOut) -> &'static str {
        match take_out {
            TakeOut::Forbidden => "forbidden",
            TakeOut::WithApproval => "with_approval",
            TakeOut::Allowed => "allowed",
        }
    }
    fn allows(&self, code: &str) -> bool {
        self.level.rules.allowed_segments.iter().any(|s| s == code)
    }
}

/// The editor of one level's handling rules, for those who manage the register.
pub async fn level_page(
    State(state): State<AppState>,
    user: User,
    PathParams((dimension, code)): PathParams<(String, String)>,
) -> Result<Response, AppError> {
    authorize::<ManageRegister>(&user.actor, &())?;
    let view = authorize::<ViewAssets>(&user.actor, &())?;
    let dimension = ops::dimension_of(&dimension)?;
    let scales = state.store.scales().await?;
    let level = scales
        .get(dimension)
        .level(&code)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok(Html(render(&LevelPage {
        frame: Frame::new(&user, "classification.level_title"),
        dimension,
        level,
        segments: state.store.list_segments(&view).await?,
        take_outs: [TakeOut::Forbidden, TakeOut::WithApproval, TakeOut::Allowed],
    }))
    .into_response())
}

pub async fn update_level(
    State(state): State<AppState>,
    user: User,
    PathParams((dimension, code)): PathParams<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let draft = level_draft(pairs);
    let scales = ops::update_level(&state, &user, &dimension, &code, draft).await?;
    drop(scales);
    Ok(Redirect::to(&format!("/classification#scale-{dimension}")).into_response())
}

#[cfg(test)]
mod tests {
    use mamori_core::i18n::Lang;
    use mamori_store::AssetSort;

    #[test]
    fn every_sort_order_has_its_text() {
        for sort in AssetSort::ALL {
            assert!(Lang::has(super::sort_key(sort)), "{sort:?}");
        }
    }
}
