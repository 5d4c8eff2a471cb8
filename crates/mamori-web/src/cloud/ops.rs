//! 外部サービス's operations: the register with its flags, a service registered by the
//! administrators and kept by its unit, and the assets placed in it. Each one authorises,
//! validates and stores here and nowhere else.

use mamori_core::asset::AssetId;
use mamori_core::authz::{
    CloudPlace, EditCloudService, ManageCloudServices, ViewAssetDetail, ViewThirdPartyRegisters,
    authorize,
};
use mamori_core::classification::Dimension;
use mamori_core::cloud::{IsmapStatus, ServiceDraft, ServiceText, ismap_status, parse_service};
use mamori_core::{Actor, FieldError, FieldErrorKind, UnitId};
use mamori_store::{CloudService, CloudServiceId, CloudServiceInput};

use crate::http::{AppError, AppState, User};

/// A service as its viewer sees it, with what the register flags about it.
pub struct Flagged {
    /// Its placements narrowed to the assets the viewer may know of.
    pub service: CloudService,
    pub ismap: IsmapStatus,
    /// Placed assets whose class the service does not take, seen or not.
    pub forbidden: usize,
    /// Placed assets the viewer may not know of.
    pub hidden: usize,
}

impl Flagged {
    pub fn flagged(&self) -> bool {
        self.ismap.flagged() || self.forbidden > 0
    }
}

/// May the viewer know that the asset is there: its detail, or at least its existence.
fn knows_of(actor: &Actor, place: &mamori_core::authz::AssetPlace) -> bool {
    place.existence_visible || authorize::<ViewAssetDetail>(actor, place).is_ok()
}

fn flagged(state: &AppState, user: &User, mut service: CloudService) -> Flagged {
    let forbidden = service.forbidden_placements();
    let all = service.placed.len();
    service.placed.retain(|p| knows_of(&user.actor, &p.place()));
    Flagged {
        ismap: ismap_status(service.ismap.as_ref(), state.today()),
        forbidden,
        hidden: all - service.placed.len(),
        service,
    }
}

/// The register: every member of staff reads it.
pub async fn list(state: &AppState, user: &User) -> Result<Vec<Flagged>, AppError> {
    authorize::<ViewThirdPartyRegisters>(&user.actor, &())?;
    Ok(state
        .store
        .cloud_services()
        .await?
        .into_iter()
        .map(|s| flagged(state, user, s))
        .collect())
}

/// One service; 404 for one that does not exist.
pub async fn service(state: &AppState, user: &User, id: i64) -> Result<Flagged, AppError> {
    authorize::<ViewThirdPartyRegisters>(&user.actor, &())?;
    let service = state
        .store
        .cloud_service(CloudServiceId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(flagged(state, user, service))
}

/// May the viewer edit the service (and place assets in it).
pub fn may_edit(user: &User, service: &CloudService) -> bool {
    authorize::<EditCloudService>(&user.actor, &service.place()).is_ok()
}

/// A service as typed or sent: its facts and the responsible unit.
#[derive(Default)]
pub struct CloudDraft {
    pub service: ServiceDraft,
    pub unit: Option<i64>,
}

/// Checks a draft: the service's facts against the 機密性 scale, and the unit, which must
/// exist; every refusal at once.
async fn check(
    state: &AppState,
    draft: &CloudDraft,
) -> Result<(ServiceText, CloudPlace), AppError> {
    let scales = state.store.scales().await?;
    let mut errors = Vec::new();
    let text = parse_service(&draft.service, scales.get(Dimension::Confidentiality))
        .map_err(|e| errors.extend(e))
        .ok();
    let place = match draft.unit {
        None => {
            errors.push(FieldError::new("unit", FieldErrorKind::Required));
            None
        }
        Some(unit) if unit <= 0 => {
            errors.push(FieldError::new("unit", FieldErrorKind::InvalidFormat));
            None
        }
        Some(unit) => match state.store.unit_org(UnitId(unit)).await? {
            Some(org) => Some(CloudPlace {
                org,
                unit: UnitId(unit),
            }),
            None => {
                errors.push(FieldError::new("unit", FieldErrorKind::UnknownValue));
                None
            }
        },
    };
    match (text, place) {
        (Some(text), Some(place)) if errors.is_empty() => Ok((text, place)),
        _ => Err(AppError::Invalid(errors)),
    }
}

fn input(text: ServiceText, place: CloudPlace) -> CloudServiceInput {
    CloudServiceInput {
        provider: text.provider.as_str().to_owned(),
        name: text.name.as_str().to_owned(),
        rules: text.rules,
        classes: text.classes,
        ismap: text.ismap,
        unit: place.unit,
    }
}

/// Registers a service (the administrators).
pub async fn create(state: &AppState, user: &User, draft: CloudDraft) -> Result<Flagged, AppError> {
    let grant = authorize::<ManageCloudServices>(&user.actor, &())?;
    let (text, place) = check(state, &draft).await?;
    let stored = state
        .store
        .create_cloud_service(&grant, input(text, place), &user.ctx.origin())
        .await?;
    Ok(flagged(state, user, stored))
}

/// Edits a service (the administrators, and the responsible unit's 管理者 and 責任者, who may
/// hand it only to a unit they keep as well).
pub async fn update(
    state: &AppState,
    user: &User,
    id: i64,
    draft: CloudDraft,
) -> Result<Flagged, AppError> {
    let current = service(state, user, id).await?;
    let grant = authorize::<EditCloudService>(&user.actor, &current.service.place())?;
    let (text, place) = check(state, &draft).await?;
    authorize::<EditCloudService>(&user.actor, &place)?;
    let stored = state
        .store
        .update_cloud_service(
            &grant,
            current.service.id,
            input(text, place),
            &user.ctx.origin(),
        )
        .await?;
    Ok(flagged(state, user, stored))
}

/// Places an asset in a service (whoever edits the service, for an asset they may see in
/// detail). A placement the service's levels do not take is kept and flagged.
pub async fn place(
    state: &AppState,
    user: &User,
    id: i64,
    asset: Option<i64>,
) -> Result<Flagged, AppError> {
    let current = service(state, user, id).await?;
    let grant = authorize::<EditCloudService>(&user.actor, &current.service.place())?;
    let asset = match asset {
        None => return Err(FieldError::new("asset", FieldErrorKind::Required).into()),
        Some(a) if a <= 0 => {
            return Err(FieldError::new("asset", FieldErrorKind::InvalidFormat).into());
        }
        Some(a) => AssetId(a),
    };
    // An asset the editor may not see is one that does not exist, as far as they know.
    let known = state.store.asset_place(asset).await?;
    if known.is_none_or(|p| authorize::<ViewAssetDetail>(&user.actor, &p).is_err()) {
        return Err(FieldError::new("asset", FieldErrorKind::UnknownValue).into());
    }
    let stored = state
        .store
        .place_asset(&grant, current.service.id, asset, &user.ctx.origin())
        .await?;
    Ok(flagged(state, user, stored))
}

/// Takes an asset out of a service (whoever edits the service).
pub async fn unplace(
    state: &AppState,
    user: &User,
    id: i64,
    asset: i64,
) -> Result<Flagged, AppError> {
    let current = service(state, user, id).await?;
    let grant = authorize::<EditCloudService>(&user.actor, &current.service.place())?;
    if asset <= 0 {
        return Err(AppError::NotFound);
    }
    let stored = state
        .store
        .unplace_asset(
            &grant,
            current.service.id,
            AssetId(asset),
            &user.ctx.origin(),
        )
        .await?;
    Ok(flagged(state, user, stored))
}
