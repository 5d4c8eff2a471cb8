//! 情報資産台帳: the register's pages (list, one asset, summary with its chart), segments and the
//! classification scales. Every guarded operation asks `authorize` first and hands its grant to
//! the store; the validation here is shared with the API.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::asset::{AssetId, AssetKind, Disposal, Flag, Lifecycle};
use mamori_core::authz::{
    AssetPlace, ManageAssets, ManageRegister, ViewAssetDetail, ViewAssets, authorize,
};
use mamori_core::classification::{
    Classification, Dimension, HandlingRules, Level, LevelEdit, Scale, Scales, TakeOut,
};
use mamori_core::segment::{Segment, SegmentId, parse_addresses, parse_ranges, parse_segment_code};
use mamori_core::text::{Name, parse_note};
use mamori_core::{Actor, FieldError, FieldErrorKind, PersonId, UnitId};
use mamori_store::{
    Asset, AssetFilter, AssetInput, AssetRow, AssetSort, AssetSummary, NewAsset, SegmentEntry,
    Store, SummaryCount,
};
use serde::Deserialize;

use crate::http::AppError;
use crate::http::AppState;
use crate::http::User;
use crate::http::{Form, Frame, Id, PathParams, format_time, parse_opt_id, render};

const PAGE_SIZE: i64 = 50;

// ---------------------------------------------------------------------------------------------
// Validation shared with the API

/// Collects every refused field, so the user sees them all at once.
#[derive(Default)]
struct Problems(Vec<FieldError>);

impl Problems {
    fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    fn done(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.0))
        }
    }
}

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

/// Host names: letters, digits, `-`, `.` (and `_`, which Windows networks use), at most 253 each.
fn parse_hosts(raw: &str) -> Result<Vec<String>, FieldError> {
    let mut hosts: Vec<String> = Vec::new();
    for token in raw
        .split([',', ';', ' ', '\n', '\r', '\t', '、'])
        .filter(|t| !t.is_empty())
    {
        if hosts.len() >= 256 {
            return Err(FieldError::new(
                "hosts",
                FieldErrorKind::TooLong { max: 256 },
            ));
        }
        if token.len() > 253
            || !token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            return Err(FieldError::new("hosts", FieldErrorKind::InvalidFormat));
        }
        let host = token.to_ascii_lowercase();
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    Ok(hosts)
}

fn segment_by_code(segments: &[SegmentEntry], raw: &str) -> Result<Option<SegmentId>, FieldError> {
    let code = raw.trim();
    if code.is_empty() {
        return Ok(None);
    }
    segments
        .iter()
        .find(|s| s.segment.code.eq_ignore_ascii_case(code))
        .map(|s| Some(s.id))
        .ok_or_else(|| FieldError::new("segment", FieldErrorKind::UnknownValue))
}

fn parse_class(
    scales: &Scales,
    problems: &mut Problems,
    form: &AssetForm,
) -> Option<Classification> {
    let c = problems.take(
        scales
            .confidentiality
            .parse_level("confidentiality", &form.confidentiality),
    );
    let i = problems.take(scales.integrity.parse_level("integrity", &form.integrity));
    let a = problems.take(
        scales
            .availability
            .parse_level("availability", &form.availability),
    );
    Some(Classification {
        confidentiality: c?.code.clone(),
        integrity: i?.code.clone(),
        availability: a?.code.clone(),
    })
}

/// Reads an asset's details and class from a form or body.
pub fn asset_input(
    form: &AssetForm,
    scales: &Scales,
    segments: &[SegmentEntry],
) -> Result<(AssetInput, Classification), AppError> {
    let mut p = Problems::default();
    let kind = p.take(
        AssetKind::parse(&form.kind).ok_or(FieldError::new("kind", FieldErrorKind::UnknownValue)),
    );
    let name = p.take(Name::parse("name", &form.name));
    let owner_unit = p.take(
        parse_opt_id("unit", &form.owner_unit_id)
            .and_then(|u| u.ok_or(FieldError::new("unit", FieldErrorKind::Required))),
    );
    let administrator = p.take(parse_opt_id("administrator", &form.administrator_id));
    let location = p.take(parse_note("location", &form.location).and_then(|l| {
        if l.chars().count() > 200 {
            Err(FieldError::new(
                "location",
                FieldErrorKind::TooLong { max: 200 },
            ))
        } else {
            Ok(l)
        }
    }));
    let segment = p.take(segment_by_code(segments, &form.segment));
    let hosts = p.take(parse_hosts(&form.hosts));
    let addresses = p.take(parse_addresses("addresses", &form.addresses));
    let lifecycle = p.take(match form.lifecycle.trim() {
        "" => Ok(Lifecycle::InUse),
        raw => match Lifecycle::parse(raw) {
            // Disposal is its own operation, with its record.
            Some(Lifecycle::Disposed) => {
                Err(FieldError::new("lifecycle", FieldErrorKind::NotAllowed))
            }
            Some(l) => Ok(l),
            None => Err(FieldError::new("lifecycle", FieldErrorKind::UnknownValue)),
        },
    });
    let note = p.take(parse_note("note", &form.note));
    let class = parse_class(scales, &mut p, form);
    p.done()?;
    let missing = || AppError::Internal("validated asset field missing".into());
    Ok((
        AssetInput {
            kind: kind.ok_or_else(missing)?,
            name: name.ok_or_else(missing)?,
            owner_unit: UnitId(owner_unit.ok_or_else(missing)?),
            administrator: administrator.ok_or_else(missing)?.map(PersonId),
            location: location.ok_or_else(missing)?,
            segment: segment.ok_or_else(missing)?,
            hosts: hosts.ok_or_else(missing)?,
            addresses: addresses.ok_or_else(missing)?,
            lifecycle: lifecycle.ok_or_else(missing)?,
            note: note.ok_or_else(missing)?,
        },
        class.ok_or_else(missing)?,
    ))
}

/// Reads a class alone (for reclassification).
pub fn classification_input(form: &AssetForm, scales: &Scales) -> Result<Classification, AppError> {
    let mut p = Problems::default();
    let class = parse_class(scales, &mut p, form);
    p.done()?;
    class.ok_or_else(|| AppError::Internal("validated class missing".into()))
}

/// Reads a disposal record.
pub fn disposal_input(method: &str, by: &str, now_ms: i64) -> Result<Disposal, AppError> {
    let mut p = Problems::default();
    let required = |field: &'static str, raw: &str| Name::parse(field, raw).map(String::from);
    let method = p.take(required("method", method));
    let by = p.take(required("by", by));
    p.done()?;
    match (method, by) {
        (Some(method), Some(by)) => Ok(Disposal {
            method,
            by,
            at_ms: now_ms,
        }),
        _ => Err(AppError::Internal("validated disposal missing".into())),
    }
}

/// Reads a segment.
pub fn segment_input(
    code: &str,
    name: &str,
    ranges: &str,
    note: &str,
) -> Result<Segment, AppError> {
    let mut p = Problems::default();
    let code = p.take(parse_segment_code(code));
    let name = p.take(Name::parse("name", name));
    let ranges = p.take(parse_ranges("ranges", ranges));
    let note = p.take(parse_note("note", note));
    p.done()?;
    match (code, name, ranges, note) {
        (Some(code), Some(name), Some(ranges), Some(note)) => Ok(Segment {
            code,
            name,
            ranges,
            note,
        }),
        _ => Err(AppError::Internal("validated segment missing".into())),
    }
}

/// Where an asset of `unit` would sit, for [`ManageAssets`].
pub async fn unit_place(store: &dyn Store, unit: UnitId) -> Result<AssetPlace, AppError> {
    let org = store
        .unit_org(unit)
        .await?
        .ok_or_else(|| AppError::invalid(FieldError::new("unit", FieldErrorKind::UnknownValue)))?;
    Ok(AssetPlace {
        owner_unit: Some(unit),
        owner_org: Some(org),
        restricted: false,
        existence_visible: true,
    })
}

/// The place of an existing asset that the actor may see in detail. Someone who may not is told
/// it does not exist, unless its level lets others know that it does (then: forbidden).
pub async fn visible_place(
    store: &dyn Store,
    actor: &Actor,
    id: AssetId,
) -> Result<(AssetPlace, mamori_core::Granted<ViewAssetDetail>), AppError> {
    let place = store.asset_place(id).await?.ok_or(AppError::NotFound)?;
    match authorize::<ViewAssetDetail>(actor, &place) {
        Ok(grant) => Ok((place, grant)),
        Err(_) if place.existence_visible && authorize::<ViewAssets>(actor, &()).is_ok() => {
            Err(AppError::Forbidden)
        }
        Err(_) => Err(AppError::NotFound),
    }
}

/// The grant to change an asset, after checking the actor may see it at all.
pub async fn manage_grant(
    store: &dyn Store,
    actor: &Actor,
    id: AssetId,
) -> Result<mamori_core::Granted<ManageAssets>, AppError> {
    let (place, _) = visible_place(store, actor, id).await?;
    Ok(authorize::<ManageAssets>(actor, &place)?)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AssetQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub segment: String,
    #[serde(default)]
    pub confidentiality: String,
    #[serde(default)]
    pub integrity: String,
    #[serde(default)]
    pub availability: String,
    #[serde(default)]
    pub lifecycle: String,
    #[serde(default)]
    pub flagged: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: String,
}

/// Reads the list's filter; `limit` is the page size.
pub fn asset_filter(
    query: &AssetQuery,
    scales: &Scales,
    segments: &[SegmentEntry],
    limit: i64,
) -> Result<(AssetFilter, i64), AppError> {
    let mut p = Problems::default();
    fn opt(raw: &str) -> Option<&str> {
        Some(raw.trim()).filter(|r| !r.is_empty())
    }
    let kind = p.take(match opt(&query.kind) {
        None => Ok(None),
        Some(raw) => AssetKind::parse(raw)
            .map(Some)
            .ok_or(FieldError::new("kind", FieldErrorKind::UnknownValue)),
    });
    let unit = p.take(parse_opt_id("unit", &query.unit));
    let segment = p.take(segment_by_code(segments, &query.segment));
    let mut level = |dimension: Dimension, raw: &str| -> Option<String> {
        let raw = opt(raw)?;
        let field = match dimension {
            Dimension::Confidentiality => "confidentiality",
            Dimension::Integrity => "integrity",
            Dimension::Availability => "availability",
        };
        p.take(scales.get(dimension).parse_level(field, raw))
            .map(|l| l.code.clone())
    };
    let confidentiality = level(Dimension::Confidentiality, &query.confidentiality);
    let integrity = level(Dimension::Integrity, &query.integrity);
    let availability = level(Dimension::Availability, &query.availability);
    let lifecycle = p.take(match opt(&query.lifecycle) {
        None => Ok(None),
        Some(raw) => Lifecycle::parse(raw)
            .map(Some)
            .ok_or(FieldError::new("lifecycle", FieldErrorKind::UnknownValue)),
    });
    let sort = p.take(match opt(&query.sort) {
        None => Ok(AssetSort::Name),
        Some(raw) => {
            AssetSort::parse(raw).ok_or(FieldError::new("sort", FieldErrorKind::UnknownValue))
        }
    });
    let page = p.take(match opt(&query.page) {
        None => Ok(1),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or(FieldError::new("page", FieldErrorKind::InvalidFormat)),
    });
    let flagged_only = matches!(query.flagged.trim(), "1" | "true" | "on");
    p.done()?;
    let page = page.unwrap_or(1);
    Ok((
        AssetFilter {
            kind: kind.flatten(),
            owner_unit: unit.flatten().map(UnitId),
            segment: segment.flatten(),
            confidentiality,
            integrity,
            availability,
            lifecycle: lifecycle.flatten(),
            text: opt(&query.q).map(str::to_owned),
            flagged_only,
            sort: sort.unwrap_or_default(),
            offset: (page - 1) * limit,
            limit,
        },
        page,
    ))
}

// ---------------------------------------------------------------------------------------------
// Texts of the domain, as the templates show them

fn kind_key(kind: &AssetKind) -> String {
    format!("kind.{}", kind.as_str())
}

fn lifecycle_key(lifecycle: &Lifecycle) -> String {
    format!("lifecycle.{}", lifecycle.as_str())
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
    total: i64,
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
        self.frame.t(&kind_key(kind))
    }
    fn lifecycle_name(&self, lifecycle: &Lifecycle) -> &'static str {
        self.frame.t(&lifecycle_key(lifecycle))
    }
    fn confidentiality_name(&self, code: &str) -> String {
        level_name(&self.scales, Dimension::Confidentiality, code)
    }
    fn sort_name(&self, sort: &AssetSort) -> &'static str {
        self.frame.t(&format!("sort.{}", sort.as_str()))
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
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
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
    let view = authorize::<ViewAssets>(&user.actor, &())?;
    let scales = state.store.scales().await?;
    let segments = state.store.list_segments(&view).await?;
    let (input, classification) = asset_input(&form, &scales, &segments)?;
    let place = unit_place(state.store.as_ref(), input.owner_unit).await?;
    let grant = authorize::<ManageAssets>(&user.actor, &place)?;
    let asset = state
        .store
        .create_asset(
            &grant,
            NewAsset {
                input,
                classification,
                disposal: None,
            },
            &user.ctx.origin(),
        )
        .await?;
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
}

impl AssetPage {
    fn kind_name(&self, kind: &AssetKind) -> &'static str {
        self.frame.t(&kind_key(kind))
    }
    fn lifecycle_name(&self, lifecycle: &Lifecycle) -> &'static str {
        self.frame.t(&lifecycle_key(lifecycle))
    }
    fn dimension_name(&self, dimension: &Dimension) -> &'static str {
        self.frame.t(&format!("dimension.{}", dimension.as_str()))
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
        format_time(*ms)
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
    let (place, grant) = visible_place(state.store.as_ref(), &user.actor, AssetId(id)).await?;
    let asset = state
        .store
        .asset(&grant, AssetId(id), &user.ctx.origin())
        .await?
        .ok_or(AppError::NotFound)?;
    let scales = state.store.scales().await?;
    let view = authorize::<ViewAssets>(&user.actor, &())?;
    let segments = state.store.list_segments(&view).await?;
    let units = match authorize::<mamori_core::authz::ViewDirectory>(&user.actor, &()) {
        Ok(dir) => state.store.list_units(&dir, None).await?,
        Err(_) => Vec::new(),
    };
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
    }))
    .into_response())
}

pub async fn update_asset(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    Form(form): Form<AssetForm>,
) -> Result<Response, AppError> {
    let grant = manage_grant(state.store.as_ref(), &user.actor, AssetId(id)).await?;
    let view = authorize::<ViewAssets>(&user.actor, &())?;
    let scales = state.store.scales().await?;
    let segments = state.store.list_segments(&view).await?;
    let (input, _) = asset_input(&form, &scales, &segments)?;
    // Giving the asset to another unit needs the right over that unit too.
    let place = unit_place(state.store.as_ref(), input.owner_unit).await?;
    authorize::<ManageAssets>(&user.actor, &place)?;
    state
        .store
        .update_asset(&grant, AssetId(id), input, &user.ctx.origin())
        .await?;
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

pub fn reason_input(raw: &str) -> Result<String, AppError> {
    Ok(parse_note("reason", raw)?)
}

pub async fn reclassify_asset(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    Form(form): Form<ReclassifyForm>,
) -> Result<Response, AppError> {
    let grant = manage_grant(state.store.as_ref(), &user.actor, AssetId(id)).await?;
    let scales = state.store.scales().await?;
    let class = classification_input(
        &AssetForm {
            confidentiality: form.confidentiality,
            integrity: form.integrity,
            availability: form.availability,
            ..AssetForm::default()
        },
        &scales,
    )?;
    let reason = reason_input(&form.reason)?;
    state
        .store
        .reclassify_asset(&grant, AssetId(id), class, &reason, &user.ctx.origin())
        .await?;
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
    let grant = manage_grant(state.store.as_ref(), &user.actor, AssetId(id)).await?;
    let disposal = disposal_input(&form.method, &form.by, state.clock.now_ms())?;
    state
        .store
        .dispose_asset(&grant, AssetId(id), disposal, &user.ctx.origin())
        .await?;
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
    let grant = authorize::<ManageRegister>(&user.actor, &())?;
    let segment = segment_input(&form.code, &form.name, &form.ranges, &form.note)?;
    state
        .store
        .create_segment(&grant, segment, &user.ctx.origin())
        .await?;
    Ok(Redirect::to("/segments").into_response())
}

pub async fn update_segment(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    Form(form): Form<SegmentForm>,
) -> Result<Response, AppError> {
    let grant = authorize::<ManageRegister>(&user.actor, &())?;
    let segment = segment_input(&form.code, &form.name, &form.ranges, &form.note)?;
    state
        .store
        .update_segment(&grant, SegmentId(id), segment, &user.ctx.origin())
        .await?;
    Ok(Redirect::to("/segments").into_response())
}

pub async fn delete_segment(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Response, AppError> {
    let grant = authorize::<ManageRegister>(&user.actor, &())?;
    state
        .store
        .delete_segment(&grant, SegmentId(id), &user.ctx.origin())
        .await?;
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
        self.frame.t(&format!("dimension.{}", dimension.as_str()))
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

/// The levels that 機密性3 assets may be moved to when the split is switched on.
pub const SPLIT_TARGETS: [&str; 3] = ["3A", "3B", "3C"];

/// Reads a switch of the split: on or off, and where existing 機密性3 assets go (3A by default).
pub fn split_input(split: &str, existing_to: &str) -> Result<(bool, String), AppError> {
    let mut p = Problems::default();
    let on = p.take(match split.trim() {
        "on" | "true" | "1" => Ok(true),
        "off" | "false" | "0" => Ok(false),
        _ => Err(FieldError::new("split", FieldErrorKind::UnknownValue)),
    });
    let to = p.take(match existing_to.trim() {
        "" => Ok("3A".to_owned()),
        raw => SPLIT_TARGETS
            .iter()
            .find(|t| t.eq_ignore_ascii_case(raw))
            .map(|t| (*t).to_owned())
            .ok_or(FieldError::new("existing_to", FieldErrorKind::UnknownValue)),
    });
    p.done()?;
    match (on, to) {
        (Some(on), Some(to)) => Ok((on, to)),
        _ => Err(AppError::Internal("validated split missing".into())),
    }
}

/// Switches the 3A/3B/3C split of 機密性3 on or off, moving the assets with it in the same
/// audited write (see [`mamori_store::AssetStore::switch_split`]).
pub async fn set_split(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<SplitForm>,
) -> Result<Response, AppError> {
    let grant = authorize::<ManageRegister>(&user.actor, &())?;
    let (split, existing_to) = split_input(&form.split, &form.existing_to)?;
    state
        .store
        .switch_split(&grant, split, &existing_to, &user.ctx.origin())
        .await?;
    Ok(Redirect::to("/classification").into_response())
}

// ---------------------------------------------------------------------------------------------
// One level's handling rules (取扱制限)

/// A level's name, definition and handling rules as a form or a JSON body writes them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LevelForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub definition: String,
    #[serde(default)]
    pub restricted: bool,
    #[serde(default)]
    pub existence_visible: bool,
    #[serde(default)]
    pub encrypt_at_rest: bool,
    #[serde(default)]
    pub encrypt_in_transit: bool,
    #[serde(default)]
    pub storage: String,
    /// Segment codes; none means any segment.
    #[serde(default)]
    pub allowed_segments: Vec<String>,
    /// `forbidden`, `with_approval` or `allowed`.
    #[serde(default)]
    pub take_out: String,
    #[serde(default)]
    pub disposal: String,
}

impl LevelForm {
    /// Reads a urlencoded form: a checkbox is on when present, and `allowed_segments` repeats
    /// once per ticked segment.
    pub fn from_urlencoded(body: &[u8]) -> Self {
        let mut form = Self::default();
        for (key, value) in form_urlencoded::parse(body) {
            let on = matches!(value.as_ref(), "on" | "1" | "true");
            match key.as_ref() {
                "name" => form.name = value.into_owned(),
                "definition" => form.definition = value.into_owned(),
                "restricted" => form.restricted |= on,
                "existence_visible" => form.existence_visible |= on,
                "encrypt_at_rest" => form.encrypt_at_rest |= on,
                "encrypt_in_transit" => form.encrypt_in_transit |= on,
                "storage" => form.storage = value.into_owned(),
                "allowed_segments" => form.allowed_segments.push(value.into_owned()),
                "take_out" => form.take_out = value.into_owned(),
                "disposal" => form.disposal = value.into_owned(),
                _ => {}
            }
        }
        form
    }
}

/// The dimension named in a path (`confidentiality` …); anything else is not found.
pub fn dimension_of(raw: &str) -> Result<Dimension, AppError> {
    Dimension::ALL
        .into_iter()
        .find(|d| d.as_str() == raw)
        .ok_or(AppError::NotFound)
}

/// Checks a level edit: every refused field at once, segment codes against the registered ones.
pub fn level_edit_input(
    form: &LevelForm,
    segments: &[SegmentEntry],
) -> Result<LevelEdit, AppError> {
    let mut p = Problems::default();
    let take_out = p.take(match form.take_out.trim() {
        "forbidden" => Ok(TakeOut::Forbidden),
        "with_approval" => Ok(TakeOut::WithApproval),
        "allowed" => Ok(TakeOut::Allowed),
        "" => Err(FieldError::new("take_out", FieldErrorKind::Required)),
        _ => Err(FieldError::new("take_out", FieldErrorKind::UnknownValue)),
    });
    let known: Vec<&str> = segments.iter().map(|s| s.segment.code.as_str()).collect();
    let edit = LevelEdit {
        name: form.name.clone(),
        definition: form.definition.clone(),
        rules: HandlingRules {
            restricted: form.restricted,
            existence_visible: form.existence_visible,
            encrypt_at_rest: form.encrypt_at_rest,
            encrypt_in_transit: form.encrypt_in_transit,
            storage: form.storage.clone(),
            allowed_segments: form.allowed_segments.clone(),
            take_out: take_out.unwrap_or(TakeOut::Forbidden),
            disposal: form.disposal.clone(),
        },
    };
    match edit.validate(&known) {
        Ok(edit) => {
            p.done()?;
            Ok(edit)
        }
        Err(errors) => {
            p.0.extend(errors);
            Err(AppError::Invalid(p.0))
        }
    }
}

/// Saves one level's edit; the store re-flags the assets of that level (a changed list of
/// allowed segments flags or clears them) in the same transaction as its audit record.
pub async fn save_level(
    store: &dyn Store,
    grant: &mamori_core::Granted<ManageRegister>,
    dimension: Dimension,
    code: &str,
    edit: LevelEdit,
    origin: &mamori_store::Origin,
) -> Result<Scales, AppError> {
    Ok(store
        .update_level(grant, dimension, code, edit, origin)
        .await?)
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
        self.frame
            .t(&format!("dimension.{}", self.dimension.as_str()))
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
    let dimension = dimension_of(&dimension)?;
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
    axum::extract::RawForm(body): axum::extract::RawForm,
) -> Result<Response, AppError> {
    let grant = authorize::<ManageRegister>(&user.actor, &())?;
    let view = authorize::<ViewAssets>(&user.actor, &())?;
    let dimension = dimension_of(&dimension)?;
    let segments = state.store.list_segments(&view).await?;
    let edit = level_edit_input(&LevelForm::from_urlencoded(&body), &segments)?;
    save_level(
        state.store.as_ref(),
        &grant,
        dimension,
        &code,
        edit,
        &user.ctx.origin(),
    )
    .await?;
    Ok(Redirect::to(&format!("/classification#scale-{}", dimension.as_str())).into_response())
}
