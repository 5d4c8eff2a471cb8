//! 外部サービス: the cloud services, the 機密性 levels each takes, and the assets placed in them.

use chrono::NaiveDate;
use mamori_core::asset::AssetId;
use mamori_core::authz::{AssetPlace, CloudPlace, EditCloudService, Granted, ManageCloudServices};
use mamori_core::cloud::Ismap;
use mamori_core::{OrgId, UnitId};

use crate::{Origin, Result};

/// Id of a stored cloud service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CloudServiceId(pub i64);

impl std::fmt::Display for CloudServiceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A service as written: its text checked by core (`parse_service`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudServiceInput {
    pub provider: String,
    pub name: String,
    pub rules: String,
    /// Codes of the 機密性 levels it takes.
    pub classes: Vec<String>,
    pub ismap: Option<Ismap>,
    pub unit: UnitId,
}

/// An asset placed in a service, with what core's rule says of the placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedAsset {
    pub id: AssetId,
    pub name: String,
    /// 機密性-完全性-可用性 (`3-2-2`).
    pub class: String,
    pub owner_unit: UnitId,
    pub owner_org: OrgId,
    /// The level's handling rules: restricted (機密性3), and whether others may know it exists.
    pub restricted: bool,
    pub existence_visible: bool,
    pub placed_at: i64,
    /// Names of the levels of its class that the service does not take: flagged when any.
    pub forbidden: Vec<String>,
}

impl PlacedAsset {
    pub fn place(&self) -> AssetPlace {
        AssetPlace {
            asset: Some(self.id),
            owner_unit: Some(self.owner_unit),
            owner_org: Some(self.owner_org),
            restricted: self.restricted,
            existence_visible: self.existence_visible,
        }
    }
}

/// A cloud service as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudService {
    pub id: CloudServiceId,
    pub provider: String,
    pub name: String,
    pub rules: String,
    pub classes: Vec<String>,
    pub ismap: Option<Ismap>,
    pub unit: UnitId,
    pub unit_name: String,
    pub org: OrgId,
    pub created_at: i64,
    pub updated_at: i64,
    /// Oldest placement first.
    pub placed: Vec<PlacedAsset>,
}

impl CloudService {
    pub fn place(&self) -> CloudPlace {
        CloudPlace {
            org: self.org,
            unit: self.unit,
        }
    }

    /// Placed assets whose class the service does not take.
    pub fn forbidden_placements(&self) -> usize {
        self.placed
            .iter()
            .filter(|p| !p.forbidden.is_empty())
            .count()
    }

    pub fn ismap_expires_on(&self) -> Option<NaiveDate> {
        self.ismap.as_ref().map(|i| i.expires_on)
    }
}

/// Where an asset is placed: a service, and the levels of the asset's class that it does not
/// take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetPlacement {
    pub service: CloudServiceId,
    pub provider: String,
    pub name: String,
    pub forbidden: Vec<String>,
}

/// 外部サービス. Every change is one audit record (`cloud.*`) in the same transaction.
#[async_trait::async_trait]
pub trait CloudStore: Send + Sync {
    /// Every service, by provider and name, with its placements; the caller filters the assets
    /// its viewer may see.
    async fn cloud_services(&self) -> Result<Vec<CloudService>>;
    async fn cloud_service(&self, id: CloudServiceId) -> Result<Option<CloudService>>;
    /// A unit or level that does not exist, or a provider's name taken, is a conflict.
    async fn create_cloud_service(
        &self,
        grant: &Granted<ManageCloudServices>,
        input: CloudServiceInput,
        origin: &Origin,
    ) -> Result<CloudService>;
    /// Replaces the service's facts; its placements stay and are judged against the new levels.
    async fn update_cloud_service(
        &self,
        grant: &Granted<EditCloudService>,
        id: CloudServiceId,
        input: CloudServiceInput,
        origin: &Origin,
    ) -> Result<CloudService>;
    /// Places an asset in the service (whatever its class: a placement the service does not
    /// take is kept and flagged, as an asset in a segment its class forbids is).
    async fn place_asset(
        &self,
        grant: &Granted<EditCloudService>,
        id: CloudServiceId,
        asset: AssetId,
        origin: &Origin,
    ) -> Result<CloudService>;
    async fn unplace_asset(
        &self,
        grant: &Granted<EditCloudService>,
        id: CloudServiceId,
        asset: AssetId,
        origin: &Origin,
    ) -> Result<CloudService>;
    /// The services an asset is placed in, for the asset's own page.
    async fn asset_placements(&self, asset: AssetId) -> Result<Vec<AssetPlacement>>;
}
