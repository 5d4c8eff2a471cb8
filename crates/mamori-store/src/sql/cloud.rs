//! Cloud services on SQL: each service with the 機密性 levels it takes (link rows) and the assets
//! placed in it, each placement judged by core's rule against the scales as they are.

use std::collections::HashMap;

use mamori_core::asset::AssetId;
use mamori_core::authz::{EditCloudService, Granted, ManageCloudServices};
use mamori_core::classification::{Classification, Dimension, Scales};
use mamori_core::cloud::{Ismap, placement_forbidden};
use mamori_core::{OrgId, UnitId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::assets::load_scales;
use super::{SqlStore, Write, conflict, day, day_of};
use crate::{
    AssetPlacement, CloudService, CloudServiceId, CloudServiceInput, CloudStore, Conflict, Origin,
    PlacedAsset, Result, StoreError,
};

const SERVICE_SELECT: &str = "SELECT s.id, s.provider, s.name, s.rules, s.ismap_number, \
     s.ismap_expires_on, s.unit_id, u.name AS unit_name, u.org_id, s.created_at, s.updated_at \
     FROM cloud_services s JOIN units u ON u.id = s.unit_id";

fn service_from(row: &AnyRow) -> Result<CloudService> {
    let number: Option<String> = row.try_get("ismap_number")?;
    let expires: Option<String> = row.try_get("ismap_expires_on")?;
    let ismap = match (number, expires) {
        (Some(number), Some(expires)) => Some(Ismap {
            number,
            expires_on: day_of(&expires, "ismap_expires_on")?,
        }),
        _ => None,
    };
    Ok(CloudService {
        id: CloudServiceId(row.try_get("id")?),
        provider: row.try_get("provider")?,
        name: row.try_get("name")?,
        rules: row.try_get("rules")?,
        classes: Vec::new(),
        ismap,
        unit: UnitId(row.try_get("unit_id")?),
        unit_name: row.try_get("unit_name")?,
        org: OrgId(row.try_get("org_id")?),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        placed: Vec::new(),
    })
}

fn class_of(row: &AnyRow) -> Result<Classification> {
    Ok(Classification {
        confidentiality: row.try_get("confidentiality")?,
        integrity: row.try_get("integrity")?,
        availability: row.try_get("availability")?,
    })
}

/// The level codes each service takes, by service id.
async fn classes_by_service(
    db: &mut AnyConnection,
    only: Option<CloudServiceId>,
) -> Result<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for row in sqlx::query(
        "SELECT c.service_id, c.level_code FROM cloud_service_classes c \
         LEFT JOIN classification_levels l ON l.dimension = 'confidentiality' \
         AND l.code = c.level_code \
         WHERE $1 = 0 OR c.service_id = $1 ORDER BY c.service_id, l.rank DESC, c.level_code",
    )
    .bind(only.map_or(0, |s| s.0))
    .fetch_all(&mut *db)
    .await?
    {
        out.entry(row.try_get("service_id")?)
            .or_default()
            .push(row.try_get("level_code")?);
    }
    Ok(out)
}

/// Fills each service's levels and placements, each placement judged against `scales`.
async fn fill(
    db: &mut AnyConnection,
    scales: &Scales,
    mut services: Vec<CloudService>,
    only: Option<CloudServiceId>,
) -> Result<Vec<CloudService>> {
    let index: HashMap<i64, usize> = services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.0, i))
        .collect();
    let mut classes = classes_by_service(db, only).await?;
    for service in &mut services {
        service.classes = classes.remove(&service.id.0).unwrap_or_default();
    }
    for row in sqlx::query(
        "SELECT p.service_id, p.placed_at, a.id, a.name, a.confidentiality, a.integrity, \
         a.availability, a.owner_unit_id, u.org_id, COALESCE(cl.restricted, 1) AS restricted, \
         COALESCE(cl.existence_visible, 0) AS existence_visible \
         FROM cloud_placements p JOIN assets a ON a.id = p.asset_id \
         JOIN units u ON u.id = a.owner_unit_id \
         LEFT JOIN classification_levels cl ON cl.dimension = 'confidentiality' \
         AND cl.code = a.confidentiality \
         WHERE $1 = 0 OR p.service_id = $1 ORDER BY p.service_id, p.placed_at, a.id",
    )
    .bind(only.map_or(0, |s| s.0))
    .fetch_all(&mut *db)
    .await?
    {
        let Some(&i) = index.get(&row.try_get::<i64, _>("service_id")?) else {
            continue;
        };
        let class = class_of(&row)?;
        let forbidden = placement_forbidden(&class, scales, &services[i].classes);
        services[i].placed.push(PlacedAsset {
            id: AssetId(row.try_get("id")?),
            name: row.try_get("name")?,
            class: format!(
                "{}-{}-{}",
                class.confidentiality, class.integrity, class.availability
            ),
            owner_unit: UnitId(row.try_get("owner_unit_id")?),
            owner_org: OrgId(row.try_get("org_id")?),
            restricted: row.try_get::<i64, _>("restricted")? != 0,
            existence_visible: row.try_get::<i64, _>("existence_visible")? != 0,
            placed_at: row.try_get("placed_at")?,
            forbidden,
        });
    }
    Ok(services)
}

fn detail(input: &CloudServiceInput) -> serde_json::Value {
    serde_json::json!({
        "provider": input.provider,
        "name": input.name,
        "rules": input.rules,
        "classes": input.classes,
        "ismap_number": input.ismap.as_ref().map(|i| i.number.clone()),
        "ismap_expires_on": input.ismap.as_ref().map(|i| day(i.expires_on)),
        "unit": input.unit.0,
    })
}

fn service_detail(service: &CloudService) -> serde_json::Value {
    detail(&CloudServiceInput {
        provider: service.provider.clone(),
        name: service.name.clone(),
        rules: service.rules.clone(),
        classes: service.classes.clone(),
        ismap: service.ismap.clone(),
        unit: service.unit,
    })
}

impl SqlStore {
    async fn service_in(&self, write: &mut Write, id: CloudServiceId) -> Result<CloudService> {
        let row = sqlx::query(&format!("{SERVICE_SELECT} WHERE s.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let service = service_from(&row)?;
        let scales = load_scales(&mut write.tx).await?;
        fill(&mut write.tx, &scales, vec![service], Some(id))
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    /// Checks the unit and the levels, and writes the service's facts and levels.
    async fn write_service(
        &self,
        write: &mut Write,
        id: Option<CloudServiceId>,
        input: &CloudServiceInput,
    ) -> Result<CloudServiceId> {
        let unit = sqlx::query("SELECT id FROM units WHERE id = $1")
            .bind(input.unit.0)
            .fetch_optional(&mut *write.tx)
            .await?;
        if unit.is_none() {
            return Err(StoreError::Conflict(Conflict::CloudUnitMissing));
        }
        let scales = load_scales(&mut write.tx).await?;
        let confidentiality = scales.get(Dimension::Confidentiality);
        if input
            .classes
            .iter()
            .any(|c| confidentiality.level(c).is_none())
        {
            return Err(StoreError::Conflict(Conflict::CloudLevelUnknown));
        }
        let number = input.ismap.as_ref().map(|i| i.number.clone());
        let expires = input.ismap.as_ref().map(|i| day(i.expires_on));
        let id = match id {
            None => {
                let row = sqlx::query(
                    "INSERT INTO cloud_services (provider, name, rules, ismap_number, \
                     ismap_expires_on, unit_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
                )
                .bind(&input.provider)
                .bind(&input.name)
                .bind(&input.rules)
                .bind(number)
                .bind(expires)
                .bind(input.unit.0)
                .bind(write.at_ms)
                .fetch_one(&mut *write.tx)
                .await
                .map_err(|e| conflict(e, Conflict::CloudServiceTaken))?;
                CloudServiceId(row.try_get("id")?)
            }
            Some(id) => {
                sqlx::query(
                    "UPDATE cloud_services SET provider = $1, name = $2, rules = $3, \
                     ismap_number = $4, ismap_expires_on = $5, unit_id = $6, updated_at = $7 \
                     WHERE id = $8",
                )
                .bind(&input.provider)
                .bind(&input.name)
                .bind(&input.rules)
                .bind(number)
                .bind(expires)
                .bind(input.unit.0)
                .bind(write.at_ms)
                .bind(id.0)
                .execute(&mut *write.tx)
                .await
                .map_err(|e| conflict(e, Conflict::CloudServiceTaken))?;
                sqlx::query("DELETE FROM cloud_service_classes WHERE service_id = $1")
                    .bind(id.0)
                    .execute(&mut *write.tx)
                    .await?;
                id
            }
        };
        let mut codes: Vec<&str> = Vec::new();
        for code in &input.classes {
            // The scale's own spelling of the code, once.
            let code = confidentiality
                .level(code)
                .map(|l| l.code.as_str())
                .unwrap_or(code);
            if codes.contains(&code) {
                continue;
            }
            codes.push(code);
            sqlx::query(
                "INSERT INTO cloud_service_classes (service_id, level_code) VALUES ($1, $2)",
            )
            .bind(id.0)
            .bind(code)
            .execute(&mut *write.tx)
            .await?;
        }
        Ok(id)
    }
}

#[async_trait::async_trait]
impl CloudStore for SqlStore {
    async fn cloud_services(&self) -> Result<Vec<CloudService>> {
        let mut db = self.pool.acquire().await?;
        let services = sqlx::query(&format!(
            "{SERVICE_SELECT} ORDER BY s.provider, s.name, s.id"
        ))
        .fetch_all(&mut *db)
        .await?
        .iter()
        .map(service_from)
        .collect::<Result<Vec<_>>>()?;
        let scales = load_scales(&mut db).await?;
        fill(&mut db, &scales, services, None).await
    }

    async fn cloud_service(&self, id: CloudServiceId) -> Result<Option<CloudService>> {
        let mut db = self.pool.acquire().await?;
        let Some(row) = sqlx::query(&format!("{SERVICE_SELECT} WHERE s.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *db)
            .await?
        else {
            return Ok(None);
        };
        let service = service_from(&row)?;
        let scales = load_scales(&mut db).await?;
        Ok(fill(&mut db, &scales, vec![service], Some(id)).await?.pop())
    }

    async fn create_cloud_service(
        &self,
        _: &Granted<ManageCloudServices>,
        input: CloudServiceInput,
        origin: &Origin,
    ) -> Result<CloudService> {
        let mut write = self.begin_write().await?;
        let id = self.write_service(&mut write, None, &input).await?;
        let stored = self.service_in(&mut write, id).await?;
        let event = origin
            .event("cloud.create", "cloud_service", id)
            .in_unit(Some(input.unit))
            .with_detail(detail(&input));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn update_cloud_service(
        &self,
        _: &Granted<EditCloudService>,
        id: CloudServiceId,
        input: CloudServiceInput,
        origin: &Origin,
    ) -> Result<CloudService> {
        let mut write = self.begin_write().await?;
        let before = self.service_in(&mut write, id).await?;
        self.write_service(&mut write, Some(id), &input).await?;
        let stored = self.service_in(&mut write, id).await?;
        let event = origin
            .event("cloud.update", "cloud_service", id)
            .in_unit(Some(input.unit))
            .with_detail(serde_json::json!({
                "before": service_detail(&before),
                "after": detail(&input),
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn place_asset(
        &self,
        _: &Granted<EditCloudService>,
        id: CloudServiceId,
        asset: AssetId,
        origin: &Origin,
    ) -> Result<CloudService> {
        let mut write = self.begin_write().await?;
        let before = self.service_in(&mut write, id).await?;
        let found = sqlx::query("SELECT lifecycle FROM assets WHERE id = $1")
            .bind(asset.0)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::Conflict(Conflict::CloudAssetMissing))?;
        if found.try_get::<String, _>("lifecycle")? == "disposed" {
            return Err(StoreError::Conflict(Conflict::AssetDisposed));
        }
        if before.placed.iter().any(|p| p.id == asset) {
            return Err(StoreError::Conflict(Conflict::CloudAssetPlaced));
        }
        sqlx::query(
            "INSERT INTO cloud_placements (service_id, asset_id, placed_at) VALUES ($1, $2, $3)",
        )
        .bind(id.0)
        .bind(asset.0)
        .bind(write.at_ms)
        .execute(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::CloudAssetPlaced))?;
        let stored = self.service_in(&mut write, id).await?;
        let forbidden = stored
            .placed
            .iter()
            .find(|p| p.id == asset)
            .map(|p| p.forbidden.clone())
            .unwrap_or_default();
        let event = origin
            .event("cloud.place", "cloud_service", id)
            .in_unit(Some(before.unit))
            .with_detail(serde_json::json!({"asset": asset.0, "forbidden": forbidden}));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn unplace_asset(
        &self,
        _: &Granted<EditCloudService>,
        id: CloudServiceId,
        asset: AssetId,
        origin: &Origin,
    ) -> Result<CloudService> {
        let mut write = self.begin_write().await?;
        let before = self.service_in(&mut write, id).await?;
        let removed =
            sqlx::query("DELETE FROM cloud_placements WHERE service_id = $1 AND asset_id = $2")
                .bind(id.0)
                .bind(asset.0)
                .execute(&mut *write.tx)
                .await?
                .rows_affected();
        if removed == 0 {
            return Err(StoreError::Conflict(Conflict::CloudAssetNotPlaced));
        }
        let stored = self.service_in(&mut write, id).await?;
        let event = origin
            .event("cloud.unplace", "cloud_service", id)
            .in_unit(Some(before.unit))
            .with_detail(serde_json::json!({"asset": asset.0}));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn asset_placements(&self, asset: AssetId) -> Result<Vec<AssetPlacement>> {
        let mut db = self.pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT s.id, s.provider, s.name, a.confidentiality, a.integrity, a.availability \
             FROM cloud_placements p JOIN cloud_services s ON s.id = p.service_id \
             JOIN assets a ON a.id = p.asset_id WHERE p.asset_id = $1 \
             ORDER BY s.provider, s.name, s.id",
        )
        .bind(asset.0)
        .fetch_all(&mut *db)
        .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let scales = load_scales(&mut db).await?;
        let mut classes = classes_by_service(&mut db, None).await?;
        rows.iter()
            .map(|row| {
                let service: i64 = row.try_get("id")?;
                let taken = classes.remove(&service).unwrap_or_default();
                Ok(AssetPlacement {
                    service: CloudServiceId(service),
                    provider: row.try_get("provider")?,
                    name: row.try_get("name")?,
                    forbidden: placement_forbidden(&class_of(row)?, &scales, &taken),
                })
            })
            .collect()
    }
}
