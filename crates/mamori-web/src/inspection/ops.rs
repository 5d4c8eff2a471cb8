//! 自己点検's operations: campaigns opened over a catalogue, the dashboard of a campaign as the
//! viewer may see it, a unit's items answered and its result signed off. Each one authorises,
//! validates and stores here and nowhere else. An item is answered on the unit's checklist
//! (`controls`, whose answer form the unit's page shows): the campaign counts the answers given
//! while it is open.

use std::collections::{BTreeMap, HashMap};

use mamori_core::authz::{
    ManageInspections, SignOffInspection, ViewControls, ViewMeasureStatus, authorize,
};
use mamori_core::controls::{Catalogue, MeasureState, Node};
use mamori_core::inspection::{Progress, overdue, parse_campaign, parse_sign_off};
use mamori_core::{FieldError, FieldErrorKind, UnitId};
use mamori_store::{
    Answer, CatalogueId, FindingId, Inspection, InspectionId, InspectionItem, InspectionUnit,
    NewInspection, Store, UnitAssets, UnitItems,
};

use crate::http::{AppError, AppState, User};

fn sees(user: &User, unit: &InspectionUnit) -> bool {
    authorize::<ViewMeasureStatus>(&user.actor, &(unit.org, Some(unit.unit))).is_ok()
}

/// The campaigns in which the viewer may see at least one unit (the administrators see all).
pub async fn list(state: &AppState, user: &User) -> Result<Vec<Inspection>, AppError> {
    authorize::<ViewControls>(&user.actor, &())?;
    let all = state.store.inspections().await?;
    if authorize::<ManageInspections>(&user.actor, &()).is_ok() {
        return Ok(all);
    }
    let mut visible = Vec::new();
    for inspection in all {
        let units = state.store.inspection_units(inspection.id).await?;
        if units.iter().any(|u| sees(user, u)) {
            visible.push(inspection);
        }
    }
    Ok(visible)
}

/// A campaign as typed or sent; no units means every unit.
#[derive(Default)]
pub struct CampaignDraft {
    pub year: Option<i64>,
    pub title: String,
    pub catalogue: Option<i64>,
    pub due_on: String,
    pub units: Vec<i64>,
}

/// The items of a unit: the measures of the catalogue that concern it, in order.
fn items_of(
    catalogue: &Catalogue,
    scales: &mamori_core::classification::Scales,
    unit: &UnitAssets,
) -> Vec<(String, String)> {
    catalogue
        .measures()
        .filter(|n| unit.concerns(n, scales))
        .map(|n| (n.urn.clone(), chapter_code(n)))
        .collect()
}

/// Each unit's items for a campaign over `catalogue`: the measures that concern it now. For
/// the pages, the API and the demonstration alike.
pub async fn campaign_items(
    store: &dyn Store,
    catalogue: &Catalogue,
    units: &[&UnitAssets],
) -> Result<Vec<UnitItems>, mamori_store::StoreError> {
    let scales = store.scales().await?;
    Ok(units
        .iter()
        .map(|u| UnitItems {
            unit: u.unit,
            items: items_of(catalogue, &scales, u),
        })
        .collect())
}

fn chapter_code(node: &Node) -> String {
    node.chapter
        .map(|c| c.code().to_owned())
        .unwrap_or_default()
}

/// Opens a campaign (administrators): each unit's items are the measures that concern it now.
pub async fn create(
    state: &AppState,
    user: &User,
    draft: CampaignDraft,
) -> Result<Inspection, AppError> {
    let grant = authorize::<ManageInspections>(&user.actor, &())?;
    let mut errors = Vec::new();
    let text = parse_campaign(draft.year, &draft.title, &draft.due_on)
        .map_err(|e| errors.extend(e))
        .ok();
    let catalogue = match draft.catalogue {
        Some(id) if id > 0 => state.store.catalogue(CatalogueId(id)).await?,
        _ => None,
    };
    if catalogue.is_none() {
        errors.push(FieldError::new(
            "catalogue",
            if draft.catalogue.is_none() {
                FieldErrorKind::Required
            } else {
                FieldErrorKind::UnknownValue
            },
        ));
    }
    let all_units = state.store.unit_assets().await?;
    let chosen: Vec<&UnitAssets> = if draft.units.is_empty() {
        all_units.iter().collect()
    } else {
        let chosen: Vec<&UnitAssets> = all_units
            .iter()
            .filter(|u| draft.units.contains(&u.unit.0))
            .collect();
        if chosen.len() != {
            let mut asked = draft.units.clone();
            asked.sort_unstable();
            asked.dedup();
            asked.len()
        } {
            errors.push(FieldError::new("units", FieldErrorKind::UnknownValue));
        }
        chosen
    };
    if chosen.is_empty() {
        errors.push(FieldError::new("units", FieldErrorKind::Required));
    }
    let (Some(text), Some((summary, catalogue))) = (text, catalogue) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let units = campaign_items(&*state.store, &catalogue, &chosen).await?;
    Ok(state
        .store
        .create_inspection(
            &grant,
            NewInspection {
                year: text.year,
                title: text.title.as_str().to_owned(),
                catalogue: summary.id,
                due_on: text.due_on,
                units,
            },
            &user.ctx.origin(),
        )
        .await?)
}

/// One unit's row of the dashboard.
pub struct UnitProgress {
    pub unit: InspectionUnit,
    pub progress: Progress,
    pub overdue: bool,
}

/// A campaign as the viewer may see it: the units they oversee, with their progress, and the
/// progress of each chapter over those units.
pub struct Dashboard {
    pub inspection: Inspection,
    pub units: Vec<UnitProgress>,
    /// Chapter code (empty for none) → progress, in the catalogue's chapter order.
    pub chapters: Vec<(String, Progress)>,
    pub total: Progress,
}

async fn inspection(state: &AppState, id: i64) -> Result<Inspection, AppError> {
    state
        .store
        .inspection(InspectionId(id))
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn dashboard(state: &AppState, user: &User, id: i64) -> Result<Dashboard, AppError> {
    authorize::<ViewControls>(&user.actor, &())?;
    let inspection = inspection(state, id).await?;
    let units: Vec<InspectionUnit> = state
        .store
        .inspection_units(inspection.id)
        .await?
        .into_iter()
        .filter(|u| sees(user, u))
        .collect();
    if units.is_empty() && authorize::<ManageInspections>(&user.actor, &()).is_err() {
        return Err(AppError::NotFound);
    }
    let mut by_unit: HashMap<UnitId, Progress> = HashMap::new();
    let mut by_chapter: BTreeMap<(u8, String), Progress> = BTreeMap::new();
    let visible: HashMap<UnitId, ()> = units.iter().map(|u| (u.unit, ())).collect();
    for tally in state.store.inspection_tally(inspection.id).await? {
        if !visible.contains_key(&tally.unit) {
            continue;
        }
        let n = usize::try_from(tally.count).unwrap_or(0);
        by_unit.entry(tally.unit).or_default().add(tally.state, n);
        let order =
            mamori_core::controls::Chapter::parse(&tally.chapter).map_or(u8::MAX, |c| c.number());
        by_chapter
            .entry((order, tally.chapter.clone()))
            .or_default()
            .add(tally.state, n);
    }
    let today = state.today();
    let mut total = Progress::default();
    let units = units
        .into_iter()
        .map(|unit| {
            let progress = by_unit.remove(&unit.unit).unwrap_or_default();
            total.merge(&progress);
            UnitProgress {
                overdue: overdue(inspection.due_on, unit.signed.is_some(), today),
                unit,
                progress,
            }
        })
        .collect();
    Ok(Dashboard {
        inspection,
        units,
        chapters: by_chapter
            .into_iter()
            .map(|((_, code), p)| (code, p))
            .collect(),
        total,
    })
}

/// One item of a unit's page: the measure, this year's answer, last year's.
pub struct Item {
    pub node: Node,
    pub answer: Option<Answer>,
    pub last_year: Option<MeasureState>,
}

/// A unit's items in a campaign, and what the viewer may do with them.
pub struct UnitSheet {
    pub inspection: Inspection,
    pub catalogue: Catalogue,
    pub unit: InspectionUnit,
    pub items: Vec<Item>,
    pub progress: Progress,
    pub can_answer: bool,
    pub can_sign: bool,
    pub can_upload: bool,
}

/// The campaign and the unit it covers, for a viewer who may see the unit (404 otherwise).
async fn covered(
    state: &AppState,
    user: &User,
    id: i64,
    unit: i64,
) -> Result<(Inspection, InspectionUnit), AppError> {
    authorize::<ViewControls>(&user.actor, &())?;
    let inspection = inspection(state, id).await?;
    let unit = state
        .store
        .inspection_units(inspection.id)
        .await?
        .into_iter()
        .find(|u| u.unit == UnitId(unit))
        .ok_or(AppError::NotFound)?;
    if !sees(user, &unit) {
        return Err(AppError::NotFound);
    }
    Ok((inspection, unit))
}

pub async fn unit_sheet(
    state: &AppState,
    user: &User,
    id: i64,
    unit: i64,
) -> Result<UnitSheet, AppError> {
    let (inspection, unit) = covered(state, user, id, unit).await?;
    let (_, catalogue) = state
        .store
        .catalogue(inspection.catalogue)
        .await?
        .ok_or(AppError::NotFound)?;
    let nodes: HashMap<&str, &Node> = catalogue.measures().map(|n| (n.urn.as_str(), n)).collect();
    let mut progress = Progress::default();
    let items = state
        .store
        .inspection_items(inspection.id, unit.unit)
        .await?
        .into_iter()
        .filter_map(
            |InspectionItem {
                 measure_urn,
                 answer,
                 last_year,
                 ..
             }| {
                progress.add(answer.as_ref().map(|a| a.state), 1);
                // A measure the catalogue dropped since the campaign opened keeps its count only.
                nodes.get(measure_urn.as_str()).map(|node| Item {
                    node: (*node).clone(),
                    answer,
                    last_year,
                })
            },
        )
        .collect();
    let open = unit.signed.is_none();
    let can_answer = open
        && authorize::<mamori_core::authz::RecordMeasureStatus>(
            &user.actor,
            &(unit.org, unit.unit),
        )
        .is_ok();
    let can_sign =
        open && authorize::<SignOffInspection>(&user.actor, &(unit.org, unit.unit)).is_ok();
    Ok(UnitSheet {
        can_upload: state.config.evidence_dir.is_some(),
        inspection,
        catalogue,
        unit,
        items,
        progress,
        can_answer,
        can_sign,
    })
}

/// Signs a unit's result off (its organisation's 責任者, the administrators); the items answered
/// 未実施 or 一部実施 become findings.
pub async fn sign_off(
    state: &AppState,
    user: &User,
    id: i64,
    unit: i64,
    note: &str,
) -> Result<(InspectionUnit, Vec<FindingId>), AppError> {
    let (inspection, covered) = covered(state, user, id, unit).await?;
    let grant = authorize::<SignOffInspection>(&user.actor, &(covered.org, covered.unit))?;
    let note = parse_sign_off(note).map_err(AppError::Invalid)?;
    Ok(state
        .store
        .sign_off_inspection(
            &grant,
            inspection.id,
            covered.unit,
            &note,
            &user.ctx.origin(),
        )
        .await?)
}
