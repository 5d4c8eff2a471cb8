//! The demonstration's answers to mamori's own catalogue: the units of 管理者 (`KANRI`) part of the
//! way through their checklists, so that the coverage of the basic policy shows red, amber and
//! green. Deterministic: the same answers every time.

use anyhow::Context;
use mamori_core::authz::{RecordMeasureStatus, authorize};
use mamori_core::controls::{MeasureState, builtin};
use mamori_core::{OrgId, UnitId};
use mamori_store::{NewAnswer, Origin, Store};

use crate::messages::msg;

/// How many of a unit's measures are answered, per unit in order: most of the first unit's,
/// half of the second's, a few of the third's.
const ANSWERED: [usize; 3] = [150, 90, 25];

/// Answers for the first units of `org`, given by the CISO `sato`.
pub async fn fill_answers(store: &dyn Store, org: OrgId) -> anyhow::Result<usize> {
    let catalogue = builtin();
    let summary = store
        .catalogue_by_urn(&catalogue.info().urn)
        .await?
        .with_context(|| msg!("cli.demo.catalogue_missing"))?;
    let user = store
        .credentials_by_name("sato")
        .await?
        .with_context(|| msg!("cli.demo.account_missing", user = "sato"))?
        .user_id;
    let ciso = store
        .actor(user)
        .await?
        .with_context(|| msg!("cli.demo.account_missing", user = "sato"))?;
    let origin = Origin::of(&ciso, "demo");
    let units: Vec<UnitId> = store
        .unit_assets()
        .await?
        .into_iter()
        .filter(|u| u.org == org)
        .map(|u| u.unit)
        .collect();
    let mut given = 0;
    for (unit, count) in units.into_iter().zip(ANSWERED) {
        let grant = authorize::<RecordMeasureStatus>(&ciso, &(org, unit))?;
        for (i, measure) in catalogue.measures().take(count).enumerate() {
            // Mostly in place; every seventh partly, every thirteenth not yet, every
            // nineteenth not applicable (with why).
            let state = match i {
                i if i % 19 == 18 => MeasureState::NotApplicable,
                i if i % 13 == 12 => MeasureState::Not,
                i if i % 7 == 6 => MeasureState::Partly,
                _ => MeasureState::Implemented,
            };
            let (reason, note) = match state {
                MeasureState::NotApplicable => (msg!("cli.demo.not_applicable"), String::new()),
                MeasureState::Implemented => (String::new(), msg!("cli.demo.evidence")),
                _ => (String::new(), String::new()),
            };
            store
                .record_answer(
                    &grant,
                    NewAnswer {
                        catalogue: summary.id,
                        measure_urn: measure.urn.clone(),
                        unit,
                        state,
                        reason,
                        note,
                        link: String::new(),
                        file: None,
                    },
                    &origin,
                )
                .await?;
            given += 1;
        }
    }
    Ok(given)
}
