//! Cases of the control catalogues: a catalogue stored and rebuilt, replaced with its answers
//! kept, and answers recorded with their history.

use mamori_core::authz::{RecordMeasureStatus, authorize};
use mamori_core::controls::{MeasureState, builtin, import_yaml};
use mamori_store::{Conflict, EvidenceFile, Importer, NewAnswer, Origin};

use crate::{Fx, account, actor, assert_conflict, new_org, new_unit};

pub async fn a_catalogue_is_stored_rebuilt_and_replaced_keeping_its_answers(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let unit = new_unit(&fx, org, None, "総務課").await.id;
    let catalogue = builtin();
    let before = fx.audit_len().await;
    let (summary, created) = s
        .import_catalogue(Importer::Operator, &catalogue, &Origin::system("t"))
        .await
        .unwrap();
    fx.assert_one_record(before, "controls.catalogue.import")
        .await;
    assert!(created);
    assert_eq!(summary.measures as usize, catalogue.measures().count());
    assert!(summary.measures >= 150);
    let (_, rebuilt) = s.catalogue(summary.id).await.unwrap().unwrap();
    assert_eq!(rebuilt, catalogue);
    assert_eq!(
        s.catalogue_by_urn(&catalogue.info().urn).await.unwrap(),
        Some(summary.clone())
    );

    let measure = catalogue.measures().next().unwrap().urn.clone();
    let manager = account(
        &fx,
        "kanrisha",
        unit,
        Some((
            mamori_core::Role::SecurityManager,
            mamori_core::Scope::Unit(unit),
        )),
    )
    .await;
    let grant = authorize::<RecordMeasureStatus>(&actor(&fx, manager).await, &(org, unit)).unwrap();
    let answer = |state, reason: &str, file: Option<EvidenceFile>| NewAnswer {
        catalogue: summary.id,
        measure_urn: measure.clone(),
        unit,
        state,
        reason: reason.into(),
        note: "点検表に記録".into(),
        link: "https://portal.example.lg.jp/kiroku".into(),
        file,
    };
    let before = fx.audit_len().await;
    let first = s
        .record_answer(
            &grant,
            answer(MeasureState::Partly, "", None),
            &Origin::system("t"),
        )
        .await
        .unwrap();
    let record = fx.assert_one_record(before, "controls.answer").await;
    assert_eq!(record.event.unit_id, Some(unit));
    assert_eq!(first.state, MeasureState::Partly);
    let file = EvidenceFile {
        name: "研修記録.pdf".into(),
        sha256: "ab".repeat(32),
        size: 1234,
    };
    fx.clock.advance(1_000);
    let second = s
        .record_answer(
            &grant,
            answer(MeasureState::Implemented, "", Some(file.clone())),
            &Origin::system("t"),
        )
        .await
        .unwrap();
    assert_eq!(second.file, Some(file));
    assert_eq!(second.by_name.as_deref(), Some("kanrisha"));
    let current = s.answers(summary.id, None).await.unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].state, MeasureState::Implemented);
    assert_eq!(s.answers(summary.id, Some(unit)).await.unwrap().len(), 1);
    let history = s.answer_history(summary.id, &measure, unit).await.unwrap();
    let states: Vec<MeasureState> = history.iter().map(|a| a.state).collect();
    assert_eq!(states, [MeasureState::Implemented, MeasureState::Partly]);
    assert_eq!(s.answer(first.id).await.unwrap(), Some(first.clone()));
    assert_eq!(s.answer(first.id + 100).await.unwrap(), None);

    // A node that is not a measure, and a unit that does not exist, are refused.
    let chapter = catalogue.roots().next().unwrap().urn.clone();
    let before = fx.audit_len().await;
    assert_conflict(
        s.record_answer(
            &grant,
            NewAnswer {
                measure_urn: chapter,
                ..answer(MeasureState::Not, "", None)
            },
            &Origin::system("t"),
        )
        .await,
        Conflict::MeasureMissing,
        "a chapter is not answered",
    );
    assert_conflict(
        s.record_answer(
            &grant,
            NewAnswer {
                unit: mamori_core::UnitId(99_999),
                ..answer(MeasureState::Not, "", None)
            },
            &Origin::system("t"),
        )
        .await,
        Conflict::MeasureUnitMissing,
        "an unknown unit",
    );
    fx.assert_no_record(before, "refused answers").await;

    // The same library again (a new version with one measure fewer) replaces the catalogue;
    // answers stay with their measure's urn.
    let smaller =
        mamori_core::controls::export_yaml(&catalogue).replace("version: 1", "version: 2");
    let smaller = import_yaml(smaller.as_bytes()).unwrap();
    let (again, created) = s
        .import_catalogue(Importer::Operator, &smaller, &Origin::system("t"))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!((again.id, again.version), (summary.id, 2));
    assert_eq!(s.catalogues().await.unwrap().len(), 1);
    assert_eq!(s.answers(summary.id, None).await.unwrap().len(), 1);
    assert_eq!(fx.verify().await.result, Ok(()));
}

pub async fn units_are_described_by_the_assets_they_hold(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let unit = new_unit(&fx, org, None, "総務課").await.id;
    let facts = s.unit_assets().await.unwrap();
    assert_eq!(facts.len(), 1);
    assert_eq!((facts[0].unit, facts[0].org), (unit, org));
    assert!(facts[0].classes.is_empty() && facts[0].segments.is_empty());
}
