//! The register's operations: each one authorises, validates and stores, here and nowhere
//! else. The pages and the API read their input into a draft (text as typed, ids as numbers,
//! lists as lists) and show the result; neither decides anything.

use mamori_core::asset::{AssetId, AssetKind, Disposal, Lifecycle, parse_hosts, parse_location};
use mamori_core::authz::{
    AssetPlace, Granted, ManageAssets, ManageRegister, ViewAssetDetail, ViewAssets, authorize,
};
use mamori_core::classification::{
    Classification, Dimension, HandlingRules, LevelEdit, Scales, TakeOut,
};
use mamori_core::segment::{
    Segment, SegmentId, parse_address_list, parse_range_list, parse_segment_code,
};
use mamori_core::text::parse_note;
use mamori_core::{Actor, FieldError, FieldErrorKind, PersonId, UnitId};
use mamori_store::{
    Asset, AssetFilter, AssetInput, AssetSort, AssetStore, DirectoryStore, NewAsset, SegmentEntry,
};
use serde::Deserialize;

use crate::http::parse_opt_id;

use crate::http::{AppError, AppState, Check, User};

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
    let mut p = Check::new();
    fn opt(raw: &str) -> Option<&str> {
        Some(raw.trim()).filter(|r| !r.is_empty())
    }
    let kind = p.keep(match opt(&query.kind) {
        None => Ok(None),
        Some(raw) => AssetKind::parse(raw)
            .map(Some)
            .ok_or(FieldError::new("kind", FieldErrorKind::UnknownValue)),
    });
    let unit = p.keep(parse_opt_id("unit", &query.unit));
    let segment = p.keep(segment_by_code(segments, &query.segment));
    let mut level = |dimension: Dimension, raw: &str| -> Option<String> {
        let raw = opt(raw)?;
        let field = match dimension {
            Dimension::Confidentiality => "confidentiality",
            Dimension::Integrity => "integrity",
            Dimension::Availability => "availability",
        };
        p.keep(scales.get(dimension).parse_level(field, raw))
            .map(|l| l.code.clone())
    };
    let confidentiality = level(Dimension::Confidentiality, &query.confidentiality);
    let integrity = level(Dimension::Integrity, &query.integrity);
    let availability = level(Dimension::Availability, &query.availability);
    let lifecycle = p.keep(match opt(&query.lifecycle) {
        None => Ok(None),
        Some(raw) => Lifecycle::parse(raw)
            .map(Some)
            .ok_or(FieldError::new("lifecycle", FieldErrorKind::UnknownValue)),
    });
    let sort = p.keep(match opt(&query.sort) {
        None => Ok(AssetSort::Name),
        Some(raw) => {
            AssetSort::parse(raw).ok_or(FieldError::new("sort", FieldErrorKind::UnknownValue))
        }
    });
    let page = p.keep(match opt(&query.page) {
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

/// A class as typed: one level code per dimension.
#[derive(Debug, Clone, Default)]
pub struct ClassDraft {
    pub confidentiality: String,
    pub integrity: String,
    pub availability: String,
}

/// An asset as typed or sent; `None` keeps what is stored (an API `PATCH`). `problems` are what
/// the adapter could not read (an id that is not a number), so every refused field is reported
/// at once.
#[derive(Debug, Clone, Default)]
pub struct AssetDraft {
    pub kind: Option<String>,
    pub name: Option<String>,
    /// `Some(None)`: the field was sent empty.
    pub owner_unit: Option<Option<UnitId>>,
    pub administrator: Option<Option<PersonId>>,
    pub location: Option<String>,
    /// A segment's code; empty for none.
    pub segment: Option<String>,
    pub hosts: Option<Vec<String>>,
    pub addresses: Option<Vec<String>>,
    pub lifecycle: Option<String>,
    pub note: Option<String>,
    pub class: Option<ClassDraft>,
    pub problems: Vec<FieldError>,
}

impl AssetDraft {
    /// This draft with every value it does not set taken from the asset as it is.
    fn or_current(self, asset: &Asset) -> Self {
        Self {
            kind: self.kind.or_else(|| Some(asset.kind.as_str().to_owned())),
            name: self.name.or_else(|| Some(asset.name.clone())),
            owner_unit: self.owner_unit.or(Some(Some(asset.owner_unit_id))),
            administrator: self.administrator.or(Some(asset.administrator_id)),
            location: self.location.or_else(|| Some(asset.location.clone())),
            segment: self
                .segment
                .or_else(|| Some(asset.segment_code.clone().unwrap_or_default())),
            hosts: self.hosts.or_else(|| Some(asset.hosts.clone())),
            addresses: self
                .addresses
                .or_else(|| Some(asset.addresses.iter().map(ToString::to_string).collect())),
            lifecycle: self
                .lifecycle
                .or_else(|| Some(asset.lifecycle.as_str().to_owned())),
            note: self.note.or_else(|| Some(asset.note.clone())),
            class: self.class,
            problems: self.problems,
        }
    }
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

fn parse_class(scales: &Scales, check: &mut Check, class: &ClassDraft) -> Option<Classification> {
    let mut level = |dimension: Dimension, raw: &str| {
        check.take(
            scales
                .get(dimension)
                .parse_level(dimension.as_str(), raw)
                .map(|l| Some(l.code.clone())),
        )
    };
    let c = level(Dimension::Confidentiality, &class.confidentiality);
    let i = level(Dimension::Integrity, &class.integrity);
    let a = level(Dimension::Availability, &class.availability);
    Some(Classification {
        confidentiality: c?,
        integrity: i?,
        availability: a?,
    })
}

/// Reads an asset's details (and its class, when the draft has one).
fn asset_input(
    draft: AssetDraft,
    scales: &Scales,
    segments: &[SegmentEntry],
) -> Result<(AssetInput, Option<Classification>), AppError> {
    let mut check = Check(draft.problems);
    let kind = check.take(
        AssetKind::parse(draft.kind.as_deref().unwrap_or_default())
            .map(Some)
            .ok_or(FieldError::new("kind", FieldErrorKind::UnknownValue)),
    );
    let name = check.name("name", draft.name.as_deref().unwrap_or_default());
    let owner_unit = draft.owner_unit.flatten();
    if owner_unit.is_none() && check.0.iter().all(|e| e.field != "unit") {
        check
            .0
            .push(FieldError::new("unit", FieldErrorKind::Required));
    }
    let location = check.take(parse_location(
        draft.location.as_deref().unwrap_or_default(),
    ));
    let segment = check.take(segment_by_code(
        segments,
        draft.segment.as_deref().unwrap_or_default(),
    ));
    let hosts = check.take(parse_hosts(draft.hosts.unwrap_or_default()));
    let addresses = check.take(parse_address_list(
        "addresses",
        draft.addresses.unwrap_or_default(),
    ));
    let lifecycle = check.take(
        match draft.lifecycle.as_deref().unwrap_or_default().trim() {
            "" => Ok(Some(Lifecycle::InUse)),
            raw => match Lifecycle::parse(raw) {
                // Disposal is its own operation, with its record.
                Some(Lifecycle::Disposed) => {
                    Err(FieldError::new("lifecycle", FieldErrorKind::NotAllowed))
                }
                Some(l) => Ok(Some(l)),
                None => Err(FieldError::new("lifecycle", FieldErrorKind::UnknownValue)),
            },
        },
    );
    let note = check.take(parse_note(
        "note",
        draft.note.as_deref().unwrap_or_default(),
    ));
    let class = draft
        .class
        .as_ref()
        .and_then(|class| parse_class(scales, &mut check, class));
    check.done()?;
    let missing = || AppError::Internal("validated asset field missing".into());
    Ok((
        AssetInput {
            kind: kind.ok_or_else(missing)?,
            name: name.ok_or_else(missing)?,
            owner_unit: owner_unit.ok_or_else(missing)?,
            administrator: draft.administrator.flatten(),
            location,
            segment,
            hosts,
            addresses,
            lifecycle: lifecycle.ok_or_else(missing)?,
            note,
        },
        class,
    ))
}

/// Where an asset of `unit` would sit, for [`ManageAssets`].
async fn unit_place(store: &dyn DirectoryStore, unit: UnitId) -> Result<AssetPlace, AppError> {
    let org = store
        .unit_org(unit)
        .await?
        .ok_or_else(|| AppError::invalid(FieldError::new("unit", FieldErrorKind::UnknownValue)))?;
    Ok(AssetPlace {
        asset: None,
        owner_unit: Some(unit),
        owner_org: Some(org),
        restricted: false,
        existence_visible: true,
    })
}

/// The place of an existing asset that the actor may see in detail. Someone who may not is told
/// it does not exist, unless its level lets others know that it does (then: forbidden).
pub async fn visible_place(
    store: &dyn AssetStore,
    actor: &Actor,
    id: AssetId,
) -> Result<(AssetPlace, Granted<ViewAssetDetail>), AppError> {
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
async fn manage_grant(
    store: &dyn AssetStore,
    actor: &Actor,
    id: AssetId,
) -> Result<(Granted<ManageAssets>, Granted<ViewAssetDetail>), AppError> {
    let (place, detail) = visible_place(store, actor, id).await?;
    Ok((authorize::<ManageAssets>(actor, &place)?, detail))
}

/// One asset in detail; the read of a restricted one is written to the audit trail.
pub async fn asset(
    state: &AppState,
    user: &User,
    id: AssetId,
) -> Result<(Asset, AssetPlace), AppError> {
    let (place, grant) = visible_place(state.store.as_ref(), &user.actor, id).await?;
    let asset = state
        .store
        .asset(&grant, id, &user.ctx.origin())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((asset, place))
}

pub async fn create_asset(
    state: &AppState,
    user: &User,
    draft: AssetDraft,
) -> Result<Asset, AppError> {
    let view = authorize::<ViewAssets>(&user.actor, &())?;
    let scales = state.store.scales().await?;
    let segments = state.store.list_segments(&view).await?;
    let draft = AssetDraft {
        class: Some(draft.class.clone().unwrap_or_default()),
        ..draft
    };
    let (input, classification) = asset_input(draft, &scales, &segments)?;
    let place = unit_place(state.store.as_ref(), input.owner_unit).await?;
    let grant = authorize::<ManageAssets>(&user.actor, &place)?;
    Ok(state
        .store
        .create_asset(
            &grant,
            NewAsset {
                input,
                classification: classification
                    .ok_or_else(|| AppError::Internal("validated class missing".into()))?,
                disposal: None,
            },
            &user.ctx.origin(),
        )
        .await?)
}

/// Changes an asset's details (its class changes only by reclassification). Giving the asset
/// to another unit needs the right over that unit too.
pub async fn update_asset(
    state: &AppState,
    user: &User,
    id: AssetId,
    draft: AssetDraft,
) -> Result<Asset, AppError> {
    let (grant, detail) = manage_grant(state.store.as_ref(), &user.actor, id).await?;
    let view = authorize::<ViewAssets>(&user.actor, &())?;
    let current = state
        .store
        .asset(&detail, id, &user.ctx.origin())
        .await?
        .ok_or(AppError::NotFound)?;
    let draft = AssetDraft {
        class: None,
        ..draft.or_current(&current)
    };
    let scales = state.store.scales().await?;
    let segments = state.store.list_segments(&view).await?;
    let (input, _) = asset_input(draft, &scales, &segments)?;
    let place = unit_place(state.store.as_ref(), input.owner_unit).await?;
    authorize::<ManageAssets>(&user.actor, &place)?;
    Ok(state
        .store
        .update_asset(&grant, id, input, &user.ctx.origin())
        .await?)
}

/// 再分類: a new class, with the reason written to the audit trail.
pub async fn reclassify_asset(
    state: &AppState,
    user: &User,
    id: AssetId,
    class: ClassDraft,
    reason: &str,
) -> Result<Asset, AppError> {
    let (grant, _) = manage_grant(state.store.as_ref(), &user.actor, id).await?;
    let scales = state.store.scales().await?;
    let mut check = Check::new();
    let class = parse_class(&scales, &mut check, &class);
    let reason = check.take(parse_note("reason", reason).map(Some));
    check.done()?;
    let (Some(class), Some(reason)) = (class, reason) else {
        return Err(AppError::Internal("validated class missing".into()));
    };
    Ok(state
        .store
        .reclassify_asset(&grant, id, class, &reason, &user.ctx.origin())
        .await?)
}

/// 廃棄: final, with its record (method and who did it).
pub async fn dispose_asset(
    state: &AppState,
    user: &User,
    id: AssetId,
    method: &str,
    by: &str,
) -> Result<Asset, AppError> {
    let (grant, _) = manage_grant(state.store.as_ref(), &user.actor, id).await?;
    let mut check = Check::new();
    let method = check.name("method", method);
    let by = check.name("by", by);
    check.done()?;
    let (Some(method), Some(by)) = (method, by) else {
        return Err(AppError::Internal("validated disposal missing".into()));
    };
    let disposal = Disposal {
        method: method.into(),
        by: by.into(),
        at_ms: state.clock.now_ms(),
    };
    Ok(state
        .store
        .dispose_asset(&grant, id, disposal, &user.ctx.origin())
        .await?)
}

/// A segment as typed: its address ranges one by one.
#[derive(Debug, Default)]
pub struct SegmentDraft {
    pub code: String,
    pub name: String,
    pub ranges: Vec<String>,
    pub note: String,
}

fn segment_input(draft: SegmentDraft) -> Result<Segment, AppError> {
    let mut check = Check::new();
    let code = check.take(parse_segment_code(&draft.code).map(Some));
    let name = check.name("name", &draft.name);
    let ranges = check.take(parse_range_list("ranges", &draft.ranges).map(Some));
    let note = check.take(parse_note("note", &draft.note).map(Some));
    check.done()?;
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

pub async fn create_segment(
    state: &AppState,
    user: &User,
    draft: SegmentDraft,
) -> Result<SegmentEntry, AppError> {
    let grant = authorize::<ManageRegister>(&user.actor, &())?;
    let segment = segment_input(draft)?;
    Ok(state
        .store
        .create_segment(&grant, segment, &user.ctx.origin())
        .await?)
}

pub async fn update_segment(
    state: &AppState,
    user: &User,
    id: SegmentId,
    draft: SegmentDraft,
) -> Result<SegmentEntry, AppError> {
    let grant = authorize::<ManageRegister>(&user.actor, &())?;
    let segment = segment_input(draft)?;
    Ok(state
        .store
        .update_segment(&grant, id, segment, &user.ctx.origin())
        .await?)
}

pub async fn delete_segment(state: &AppState, user: &User, id: SegmentId) -> Result<(), AppError> {
    let grant = authorize::<ManageRegister>(&user.actor, &())?;
    Ok(state
        .store
        .delete_segment(&grant, id, &user.ctx.origin())
        .await?)
}

/// The levels that 機密性3 assets may be moved to when the split is switched on.
pub const SPLIT_TARGETS: [&str; 3] = ["3A", "3B", "3C"];

/// Switches the 3A/3B/3C split of 機密性3 on or off, moving the assets with it in the same
/// audited write (see [`mamori_store::AssetStore::switch_split`]); `existing_to` is the split
/// level today's 機密性3 assets become (3A, the strictest, when empty).
pub async fn set_split(
    state: &AppState,
    user: &User,
    split: Result<bool, FieldError>,
    existing_to: &str,
) -> Result<Scales, AppError> {
    let grant = authorize::<ManageRegister>(&user.actor, &())?;
    let mut check = Check::new();
    let on = check.take(split.map(Some));
    let to = check.take(match existing_to.trim() {
        "" => Ok(Some("3A".to_owned())),
        raw => SPLIT_TARGETS
            .iter()
            .find(|t| t.eq_ignore_ascii_case(raw))
            .map(|t| Some((*t).to_owned()))
            .ok_or(FieldError::new("existing_to", FieldErrorKind::UnknownValue)),
    });
    check.done()?;
    let (Some(on), Some(to)) = (on, to) else {
        return Err(AppError::Internal("validated split missing".into()));
    };
    Ok(state
        .store
        .switch_split(&grant, on, &to, &user.ctx.origin())
        .await?
        .scales)
}

/// The dimension named in a path (`confidentiality` …); anything else is not found.
pub fn dimension_of(raw: &str) -> Result<Dimension, AppError> {
    Dimension::ALL
        .into_iter()
        .find(|d| d.as_str() == raw)
        .ok_or(AppError::NotFound)
}

/// A level's name, definition and handling rules (取扱制限) as typed or sent.
#[derive(Debug, Clone, Default)]
pub struct LevelDraft {
    pub name: String,
    pub definition: String,
    pub restricted: bool,
    pub existence_visible: bool,
    pub encrypt_at_rest: bool,
    pub encrypt_in_transit: bool,
    pub storage: String,
    /// Segment codes; none means any segment.
    pub allowed_segments: Vec<String>,
    /// `forbidden`, `with_approval` or `allowed`.
    pub take_out: String,
    pub disposal: String,
}

/// Changes one level's name, definition and handling rules, re-flagging its assets in the same
/// audited write.
pub async fn update_level(
    state: &AppState,
    user: &User,
    dimension: &str,
    code: &str,
    draft: LevelDraft,
) -> Result<Scales, AppError> {
    let grant = authorize::<ManageRegister>(&user.actor, &())?;
    let view = authorize::<ViewAssets>(&user.actor, &())?;
    let dimension = dimension_of(dimension)?;
    let segments = state.store.list_segments(&view).await?;
    let known: Vec<&str> = segments.iter().map(|s| s.segment.code.as_str()).collect();
    let mut check = Check::new();
    let take_out = check.take(match draft.take_out.trim() {
        "forbidden" => Ok(Some(TakeOut::Forbidden)),
        "with_approval" => Ok(Some(TakeOut::WithApproval)),
        "allowed" => Ok(Some(TakeOut::Allowed)),
        "" => Err(FieldError::new("take_out", FieldErrorKind::Required)),
        _ => Err(FieldError::new("take_out", FieldErrorKind::UnknownValue)),
    });
    let edit = LevelEdit {
        name: draft.name,
        definition: draft.definition,
        rules: HandlingRules {
            restricted: draft.restricted,
            existence_visible: draft.existence_visible,
            encrypt_at_rest: draft.encrypt_at_rest,
            encrypt_in_transit: draft.encrypt_in_transit,
            storage: draft.storage,
            allowed_segments: draft.allowed_segments,
            take_out: take_out.unwrap_or(TakeOut::Forbidden),
            disposal: draft.disposal,
        },
    };
    let edit = match edit.validate(&known) {
        Ok(edit) => edit,
        Err(errors) => {
            check.0.extend(errors);
            return Err(AppError::Invalid(check.0));
        }
    };
    check.done()?;
    Ok(state
        .store
        .update_level(&grant, dimension, code, edit, &user.ctx.origin())
        .await?)
}
