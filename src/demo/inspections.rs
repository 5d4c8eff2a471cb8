//! The demonstration's 自己点検 year: last year's campaign answered and signed off for the first
//! units of 管理者 (`KANRI`), its 未実施 and 一部実施 become findings whose corrective actions stand
//! at each step (verified, reported done, open and one overdue); this year's campaign half
//! answered (one unit complete and waiting for sign-off, the 情報政策課 half way, one not
//! started); this year's 情報セキュリティ監査 in fieldwork, with findings and one action
//! overdue; and an exception about to expire beside an emergency one to decide. Deterministic: the same year every time.

use anyhow::Context;
use chrono::{Days, NaiveDate};
use mamori_core::authz::{
    ActionPlace, CompleteCorrectiveAction, DecideException, ManageAudits, ManageInspections,
    PlanCorrectiveAction, RecordMeasureStatus, RequestException, SignOffInspection,
    VerifyCorrectiveAction, WorkOnAudit, authorize,
};
use mamori_core::controls::{MeasureState, builtin};
use mamori_core::finding::FindingKind;
use mamori_core::{Actor, Clock as _, OrgId, PersonId};
use mamori_store::{
    InspectionId, NewAction, NewAnswer, NewAudit, NewException, NewFinding, NewInspection, Origin,
    Store,
};

use crate::messages::msg;

/// How many units of the organisation each campaign covers.
const UNITS: usize = 3;

/// Of this year's items, the share answered per unit in percent: complete, half, none.
const THIS_YEAR: [usize; UNITS] = [100, 50, 0];

async fn actor(store: &dyn Store, name: &str) -> anyhow::Result<Actor> {
    let user = store
        .credentials_by_name(name)
        .await?
        .with_context(|| msg!("cli.demo.account_missing", user = name))?
        .user_id;
    store
        .actor(user)
        .await?
        .with_context(|| msg!("cli.demo.account_missing", user = name))
}

/// An answer's state by its place in the list: mostly in place, now and then partly or not.
fn state_of(i: usize, year: usize) -> MeasureState {
    match (i + year * 5) % 23 {
        7 => MeasureState::Not,
        3 | 15 => MeasureState::Partly,
        19 => MeasureState::NotApplicable,
        _ => MeasureState::Implemented,
    }
}

fn shift(today: NaiveDate, days: i64) -> NaiveDate {
    if days < 0 {
        today.checked_sub_days(Days::new(days.unsigned_abs()))
    } else {
        today.checked_add_days(Days::new(days as u64))
    }
    .unwrap_or(today)
}

pub async fn fill_inspections(store: &dyn Store, org: OrgId) -> anyhow::Result<usize> {
    let ciso = actor(store, "sato").await?;
    let origin = Origin::of(&ciso, "demo");
    let catalogue = builtin();
    let summary = store
        .catalogue_by_urn(&catalogue.info().urn)
        .await?
        .with_context(|| msg!("cli.demo.catalogue_missing"))?;
    let units = store.unit_assets().await?;
    let chosen: Vec<_> = units.iter().filter(|u| u.org == org).take(UNITS).collect();
    let items = mamori_web::campaign_items(store, &catalogue, &chosen).await?;
    let today = mamori_core::time::jst_date(mamori_store::SystemClock.now_ms())
        .with_context(|| msg!("cli.demo.catalogue_missing"))?;
    let this_year = mamori_core::time::fiscal_year(today);
    let manage = authorize::<ManageInspections>(&ciso, &())?;
    let open = |year: i32, due_on: NaiveDate| {
        let units = items.clone();
        let manage = &manage;
        let origin = &origin;
        async move {
            store
                .create_inspection(
                    manage,
                    NewInspection {
                        year,
                        title: msg!("cli.demo.inspection_title", year = year),
                        catalogue: summary.id,
                        due_on,
                        units,
                    },
                    origin,
                )
                .await
        }
    };
    let answer = async |unit: &mamori_store::UnitItems, share: usize, year: usize| {
        let org_unit = (org, unit.unit);
        let grant = authorize::<RecordMeasureStatus>(&ciso, &org_unit)?;
        let count = unit.items.len() * share / 100;
        for (i, (urn, _)) in unit.items.iter().take(count).enumerate() {
            let state = state_of(i, year);
            let (reason, note) = match state {
                MeasureState::NotApplicable => (msg!("cli.demo.not_applicable"), String::new()),
                MeasureState::Implemented => (String::new(), msg!("cli.demo.evidence")),
                _ => (String::new(), msg!("cli.demo.inspection_gap")),
            };
            store
                .record_answer(
                    &grant,
                    NewAnswer {
                        catalogue: summary.id,
                        measure_urn: urn.clone(),
                        unit: unit.unit,
                        state,
                        reason,
                        note,
                        link: String::new(),
                        file: None,
                    },
                    &origin,
                )
                .await?;
        }
        anyhow::Ok(())
    };

    // Last year: every unit answered and signed off.
    let last = open(this_year - 1, shift(today, -200)).await?;
    let mut findings = Vec::new();
    for unit in &items {
        answer(unit, 100, 0).await?;
        let sign = authorize::<SignOffInspection>(&ciso, &(org, unit.unit))?;
        let (_, raised) = store
            .sign_off_inspection(
                &sign,
                InspectionId(last.id.0),
                unit.unit,
                &msg!("cli.demo.signed_off"),
                &origin,
            )
            .await?;
        findings.extend(raised);
    }

    // Its findings' actions, owned by the 情報政策課's 管理者 and checked by the CISO: the first
    // verified, the second reported done, the third open and overdue, the rest open.
    let owner: PersonId = actor(store, "takahashi").await?.person_id;
    for (i, finding) in findings.iter().enumerate() {
        let Some(found) = store.finding(*finding).await? else {
            continue;
        };
        let place = ActionPlace {
            finding: found.place(),
            owner,
        };
        let due_on = shift(today, if i == 2 { -10 } else { 30 + 15 * i as i64 });
        let action = store
            .plan_action(
                &authorize::<PlanCorrectiveAction>(&ciso, &place.finding)?,
                NewAction {
                    finding: *finding,
                    description: msg!("cli.demo.action"),
                    owner,
                    due_on,
                },
                &origin,
            )
            .await?;
        if i < 2 {
            store
                .complete_action(
                    &authorize::<CompleteCorrectiveAction>(&ciso, &place)?,
                    action.id,
                    &msg!("cli.demo.action_done"),
                    &origin,
                )
                .await?;
        }
        if i == 0 {
            store
                .verify_action(
                    &authorize::<VerifyCorrectiveAction>(&ciso, &place)?,
                    action.id,
                    true,
                    &msg!("cli.demo.action_verified"),
                    &origin,
                )
                .await?;
        }
    }

    // This year: half answered.
    open(this_year, shift(today, 40)).await?;
    for (unit, share) in items.iter().zip(THIS_YEAR) {
        answer(unit, share, 1).await?;
    }
    fill_audit(store, this_year, &chosen[1..], owner, today).await?;
    fill_exceptions(store, summary.id, today).await?;
    Ok(findings.len())
}

/// Two 例外措置 of the 情報政策課, asked for by its 管理者 `takahashi`: one approved by the CISO
/// and about to expire, one taken in an emergency and waiting for the decision.
async fn fill_exceptions(
    store: &dyn Store,
    catalogue: mamori_store::CatalogueId,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let ciso = actor(store, "sato").await?;
    let manager = actor(store, "takahashi").await?;
    let unit = manager
        .unit_id
        .with_context(|| msg!("cli.demo.account_missing", user = "takahashi"))?;
    let org = manager
        .org_id
        .with_context(|| msg!("cli.demo.account_missing", user = "takahashi"))?;
    let request = authorize::<RequestException>(&manager, &(org, unit))?;
    let origin = Origin::of(&manager, "demo");
    let measures: Vec<String> = builtin()
        .measures()
        .skip(40)
        .take(2)
        .map(|m| m.urn.clone())
        .collect();
    let soon = store
        .request_exception(
            &request,
            NewException {
                catalogue,
                measure_urn: measures[0].clone(),
                unit,
                reason: msg!("cli.demo.exception_reason"),
                compensating: msg!("cli.demo.exception_compensating"),
                until: shift(today, 7),
                taken_on: None,
            },
            &origin,
        )
        .await?;
    store
        .decide_exception(
            &authorize::<DecideException>(&ciso, &soon.place())?,
            soon.id,
            true,
            &msg!("cli.demo.exception_approved"),
            &Origin::of(&ciso, "demo"),
        )
        .await?;
    store
        .request_exception(
            &request,
            NewException {
                catalogue,
                measure_urn: measures[1].clone(),
                unit,
                reason: msg!("cli.demo.exception_emergency"),
                compensating: msg!("cli.demo.exception_compensating"),
                until: shift(today, 14),
                taken_on: Some(shift(today, -1)),
            },
            &origin,
        )
        .await?;
    Ok(())
}

/// This year's 情報セキュリティ監査 of two units, in fieldwork: led by the 教育委員会's 責任者
/// `kimura` (independent of 管理者's units: a mutual audit between the organisations of the
/// 組合), with notes and two findings, one action overdue.
async fn fill_audit(
    store: &dyn Store,
    year: i32,
    units: &[&mamori_store::UnitAssets],
    owner: PersonId,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let ciso = actor(store, "sato").await?;
    let origin = Origin::of(&ciso, "demo");
    let lead = actor(store, "kimura").await?;
    let manage = authorize::<ManageAudits>(&ciso, &())?;
    let audit = store
        .create_security_audit(
            &manage,
            NewAudit {
                year,
                title: msg!("cli.demo.audit_title", year = year),
                criteria: msg!("cli.demo.audit_criteria"),
                from: shift(today, -20),
                to: shift(today, 20),
                units: units.iter().map(|u| u.unit).collect(),
                chapters: vec!["technical".into(), "operations".into()],
            },
            &origin,
        )
        .await?;
    let audit = store
        .add_audit_member(&manage, audit.id, lead.person_id, true, &origin)
        .await?;
    let work = authorize::<WorkOnAudit>(&lead, &audit.place())?;
    let lead_origin = Origin::of(&lead, "demo");
    for unit in units {
        store
            .add_audit_note(
                &work,
                audit.id,
                Some(unit.unit),
                &msg!("cli.demo.audit_note"),
                &lead_origin,
            )
            .await?;
    }
    for (i, (unit, kind)) in units
        .iter()
        .zip([FindingKind::Major, FindingKind::Observation])
        .enumerate()
    {
        let finding = store
            .raise_audit_finding(
                &work,
                audit.id,
                NewFinding {
                    unit: unit.unit,
                    catalogue: None,
                    measure_urn: String::new(),
                    clause: "6(4)".into(),
                    kind,
                    description: msg!("cli.demo.audit_finding"),
                },
                &lead_origin,
            )
            .await?;
        let place = finding.place();
        store
            .plan_action(
                &authorize::<PlanCorrectiveAction>(&ciso, &place)?,
                NewAction {
                    finding: finding.id,
                    description: msg!("cli.demo.action"),
                    owner,
                    due_on: shift(today, if i == 0 { -5 } else { 60 }),
                },
                &origin,
            )
            .await?;
    }
    Ok(())
}
