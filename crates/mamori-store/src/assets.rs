//! 情報資産台帳 (the asset register): assets, segments and classification scales.

use std::net::IpAddr;

use mamori_core::asset::{AssetId, AssetKind, Disposal, Flag, Lifecycle};
use mamori_core::authz::{
    AssetPlace, AssetVisibility, Granted, ManageAssets, ManageRegister, ViewAssetDetail, ViewAssets,
};
use mamori_core::classification::{Classification, Dimension, LevelEdit, Scale, Scales};
use mamori_core::segment::{Segment, SegmentId};
use mamori_core::text::Name;
use mamori_core::{OrgId, PersonId, UnitId};

use crate::{Origin, Result};

/// A segment as stored: its id and the segment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SegmentEntry {
    pub id: SegmentId,
    #[serde(flatten)]
    pub segment: Segment,
}

/// What a form or an import says about an asset, apart from its class and disposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetInput {
    pub kind: AssetKind,
    pub name: Name,
    pub owner_unit: UnitId,
    pub administrator: Option<PersonId>,
    pub location: String,
    pub segment: Option<SegmentId>,
    pub hosts: Vec<String>,
    pub addresses: Vec<IpAddr>,
    /// Anything but `Disposed`: disposal goes through [`AssetStore::dispose_asset`] with its record.
    pub lifecycle: Lifecycle,
    pub note: String,
}

/// A new asset: its details, its class and, for imported disposed assets, the disposal record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAsset {
    pub input: AssetInput,
    pub classification: Classification,
    /// With `Some`, the asset is registered as disposed.
    pub disposal: Option<Disposal>,
}

/// One row of an import that may also change registered assets: with `id`, the asset with that
/// id is given everything the row says (details, class and disposal); without, a new asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub id: Option<AssetId>,
    pub asset: NewAsset,
}

/// What an import did. A row that names an asset and says nothing new about it leaves the asset
/// untouched (its `updated_at` too) and is counted as unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub created: Vec<AssetId>,
    pub updated: Vec<AssetId>,
    pub unchanged: Vec<AssetId>,
}

/// An asset of the register with the names of what it refers to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Asset {
    pub id: AssetId,
    pub kind: AssetKind,
    pub name: String,
    pub owner_unit_id: UnitId,
    pub owner_unit_name: String,
    pub owner_org_id: OrgId,
    pub administrator_id: Option<PersonId>,
    pub administrator_name: Option<String>,
    pub location: String,
    pub segment_id: Option<SegmentId>,
    pub segment_code: Option<String>,
    pub segment_name: Option<String>,
    pub hosts: Vec<String>,
    pub addresses: Vec<IpAddr>,
    pub lifecycle: Lifecycle,
    pub disposal: Option<Disposal>,
    pub note: String,
    pub classification: Classification,
    pub flags: Vec<Flag>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One row of the register's list. A restricted asset that the actor may not see in detail but
/// whose existence is visible is listed with `detail_hidden` and without its where-abouts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AssetRow {
    pub id: AssetId,
    pub kind: AssetKind,
    pub name: String,
    pub owner_unit_id: UnitId,
    pub owner_unit_name: String,
    pub segment_code: Option<String>,
    pub segment_name: Option<String>,
    pub lifecycle: Lifecycle,
    pub classification: Classification,
    pub flagged: bool,
    pub detail_hidden: bool,
    pub updated_at: i64,
}

/// How the register's list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssetSort {
    #[default]
    Name,
    Kind,
    /// Most confidential first.
    Class,
    /// Most recently changed first.
    Updated,
}

impl AssetSort {
    pub const ALL: [AssetSort; 4] = [
        AssetSort::Name,
        AssetSort::Kind,
        AssetSort::Class,
        AssetSort::Updated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssetSort::Name => "name",
            AssetSort::Kind => "kind",
            AssetSort::Class => "class",
            AssetSort::Updated => "updated",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }
}

#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    pub kind: Option<AssetKind>,
    pub owner_unit: Option<UnitId>,
    pub segment: Option<SegmentId>,
    pub confidentiality: Option<String>,
    pub integrity: Option<String>,
    pub availability: Option<String>,
    pub lifecycle: Option<Lifecycle>,
    /// Part of the name, location, host names, addresses or notes.
    pub text: Option<String>,
    pub flagged_only: bool,
    pub sort: AssetSort,
    pub offset: i64,
    pub limit: i64,
}

/// How many assets a listing matched. Counting stops [`COUNT_AHEAD`] matches past the page's
/// start, so that a broad search or filter costs about a page, not the whole register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchCount {
    /// Every match, or as many as were counted when `more` is set.
    pub n: i64,
    /// More assets match than `n`: the count stopped there.
    pub more: bool,
}

/// How far past the start of a page a listing's matches are counted (twenty pages of 50).
pub const COUNT_AHEAD: i64 = 1000;

/// One bar of the summary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SummaryCount {
    /// Level code, segment code or unit id; empty for "none".
    pub key: String,
    pub label: String,
    pub count: i64,
}

/// What switching the 3A/3B/3C split did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitOutcome {
    pub scales: Scales,
    /// Whether the scale changed (false: it already was as asked).
    pub changed: bool,
    /// Assets moved to another level.
    pub moved: i64,
}

/// The register in numbers, computed by the database.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AssetSummary {
    pub total: i64,
    pub flagged: i64,
    pub by_confidentiality: Vec<SummaryCount>,
    pub by_segment: Vec<SummaryCount>,
    pub by_owner_unit: Vec<SummaryCount>,
}

/// 情報資産台帳: assets, segments and classification scales.
#[async_trait::async_trait]
pub trait AssetStore: Send + Sync {
    /// A page of the register and how many assets match, counted up to [`COUNT_AHEAD`] past
    /// the page's start. Restricted assets outside `visibility` are left out, or listed as
    /// hidden where their level lets others know of them.
    async fn list_assets(
        &self,
        grant: &Granted<ViewAssets>,
        visibility: &AssetVisibility,
        filter: &AssetFilter,
    ) -> Result<(Vec<AssetRow>, MatchCount)>;
    /// Where an asset sits and how its class restricts it, for authorisation decisions.
    async fn asset_place(&self, id: AssetId) -> Result<Option<AssetPlace>>;
    /// One asset. A read of a restricted asset is written to the audit trail.
    async fn asset(
        &self,
        grant: &Granted<ViewAssetDetail>,
        id: AssetId,
        origin: &Origin,
    ) -> Result<Option<Asset>>;
    async fn create_asset(
        &self,
        grant: &Granted<ManageAssets>,
        asset: NewAsset,
        origin: &Origin,
    ) -> Result<Asset>;
    async fn update_asset(
        &self,
        grant: &Granted<ManageAssets>,
        id: AssetId,
        input: AssetInput,
        origin: &Origin,
    ) -> Result<Asset>;
    async fn reclassify_asset(
        &self,
        grant: &Granted<ManageAssets>,
        id: AssetId,
        classification: Classification,
        reason: &str,
        origin: &Origin,
    ) -> Result<Asset>;
    async fn dispose_asset(
        &self,
        grant: &Granted<ManageAssets>,
        id: AssetId,
        disposal: Disposal,
        origin: &Origin,
    ) -> Result<Asset>;
    /// Registers every asset or none, in one transaction with one audit record.
    async fn import_assets(
        &self,
        grant: &Granted<ManageRegister>,
        assets: Vec<NewAsset>,
        origin: &Origin,
    ) -> Result<Vec<AssetId>>;
    /// Registers the rows without an id and rewrites the assets named by the others, every row
    /// or none, in one transaction with one audit record (`asset.import`). An id that is not
    /// registered is `NotFound`; an id named twice is
    /// [`Conflict::AssetImportDuplicateId`](crate::Conflict::AssetImportDuplicateId).
    async fn import_assets_upsert(
        &self,
        grant: &Granted<ManageRegister>,
        rows: Vec<ImportRow>,
        origin: &Origin,
    ) -> Result<ImportOutcome>;
    /// Every asset of the register, by id, for an import to compare against. Not audited: the
    /// caller shows none of it.
    async fn all_assets(&self, grant: &Granted<ManageRegister>) -> Result<Vec<Asset>>;
    /// Every asset of the register, by id, for a download; the export is written to the audit
    /// trail (`asset.export`) with the number of assets.
    async fn export_assets(
        &self,
        grant: &Granted<ManageRegister>,
        origin: &Origin,
    ) -> Result<Vec<Asset>>;
    async fn asset_summary(&self, grant: &Granted<ViewAssets>) -> Result<AssetSummary>;

    async fn list_segments(&self, grant: &Granted<ViewAssets>) -> Result<Vec<SegmentEntry>>;
    async fn segment(
        &self,
        grant: &Granted<ViewAssets>,
        id: SegmentId,
    ) -> Result<Option<SegmentEntry>>;
    async fn create_segment(
        &self,
        grant: &Granted<ManageRegister>,
        segment: Segment,
        origin: &Origin,
    ) -> Result<SegmentEntry>;
    /// Changes a segment and re-flags the assets in it.
    async fn update_segment(
        &self,
        grant: &Granted<ManageRegister>,
        id: SegmentId,
        segment: Segment,
        origin: &Origin,
    ) -> Result<SegmentEntry>;
    /// Removes a segment that no asset lives in.
    async fn delete_segment(
        &self,
        grant: &Granted<ManageRegister>,
        id: SegmentId,
        origin: &Origin,
    ) -> Result<()>;

    /// The scales in force.
    async fn scales(&self) -> Result<Scales>;
    /// Replaces one scale (validated) and re-flags every asset.
    async fn update_scale(
        &self,
        grant: &Granted<ManageRegister>,
        scale: Scale,
        origin: &Origin,
    ) -> Result<Scales>;
    /// Changes one level's name, definition and handling rules (its code and rank stay) and
    /// re-flags the assets of that level, in one transaction with its audit record
    /// (`classification.level_update`, with the level before and after). `NotFound` for a level
    /// the scale does not have; [`Conflict::LevelInvalid`](crate::Conflict::LevelInvalid) for an
    /// edit that [`LevelEdit::validate`] refuses against the registered segments.
    async fn update_level(
        &self,
        grant: &Granted<ManageRegister>,
        dimension: Dimension,
        code: &str,
        edit: LevelEdit,
        origin: &Origin,
    ) -> Result<Scales>;
    /// Switches the 3A/3B/3C split of 機密性3 on (`split`) or off in one transaction with its
    /// audit record (`classification.split`). On: 3 becomes the split levels and every 機密性3
    /// asset moves to `existing_to` (3A, 3B or 3C) flagged for review (分割後の再確認が必要)
    /// until it is reclassified. Off: 3A/3B/3C become 3 again and their assets move back. The
    /// other levels stay as the site has them. Asking for the state already in force changes
    /// nothing and writes no record.
    async fn switch_split(
        &self,
        grant: &Granted<ManageRegister>,
        split: bool,
        existing_to: &str,
        origin: &Origin,
    ) -> Result<SplitOutcome>;
    /// How many assets wait for review after the split.
    async fn split_review_count(&self, grant: &Granted<ViewAssets>) -> Result<i64>;
}
