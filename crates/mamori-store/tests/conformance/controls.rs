//! Cases of the control catalogues: a catalogue stored and rebuilt, replaced with its answers
//! kept, and answers recorded with their history.

use mamori_core::authz::{RecordMeasureStatus, authorize};
use mamori_core::controls::{MeasureState, builtin, import_yaml};
use mamori_store::{AnswerState, Conflict, EvidenceFile, Importer, NewAnswer, Origin};

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

pub async fn answer_states_are_the_current_answers_with_their_evidence(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let first_unit = new_unit(&fx, org, None, "総務課").await.id;
    let second_unit = new_unit(&fx, org, None, "企画課").await.id;
    let catalogue = builtin();
    let (summary, _) = s
        .import_catalogue(Importer::Operator, &catalogue, &Origin::system("t"))
        .await
        .unwrap();
    let (other, _) = s
        .import_catalogue(
            Importer::Operator,
            &import_yaml(
                mamori_core::controls::export_yaml(&catalogue)
                    .replace("urn:mamori:risk:library:", "urn:mamori:risk:library:other-")
                    .as_bytes(),
            )
            .unwrap(),
            &Origin::system("t"),
        )
        .await
        .unwrap();
    assert_ne!(other.id, summary.id);
    let measures: Vec<String> = catalogue.measures().map(|n| n.urn.clone()).collect();
    let officer = account(
        &fx,
        "sekininsha",
        first_unit,
        Some((
            mamori_core::Role::SecurityOfficer,
            mamori_core::Scope::Organisation(org),
        )),
    )
    .await;
    let officer = actor(&fx, officer).await;
    let record = |catalogue, measure: &str, unit, state, note: &str, link: &str, file| {
        let grant = authorize::<RecordMeasureStatus>(&officer, &(org, unit)).unwrap();
        let answer = NewAnswer {
            catalogue,
            measure_urn: measure.to_owned(),
            unit,
            state,
            reason: if state == MeasureState::NotApplicable {
                "対象の機器がない".into()
            } else {
                String::new()
            },
            note: note.into(),
            link: link.into(),
            file,
        };
        async move {
            s.record_answer(&grant, answer, &Origin::system("t"))
                .await
                .unwrap()
        }
    };
    assert!(s.answer_states(summary.id).await.unwrap().is_empty());
    let file = EvidenceFile {
        name: "点検表.xlsx".into(),
        sha256: "cd".repeat(32),
        size: 99,
    };
    // Replaced: only the current answer counts, and its evidence is its own.
    let old = record(
        summary.id,
        &measures[0],
        first_unit,
        MeasureState::Not,
        "旧",
        "",
        None,
    )
    .await;
    fx.clock.advance(1_000);
    let bare = record(
        summary.id,
        &measures[0],
        first_unit,
        MeasureState::Partly,
        "",
        "",
        None,
    )
    .await;
    assert!(bare.at_ms > old.at_ms);
    let noted = record(
        summary.id,
        &measures[1],
        first_unit,
        MeasureState::Implemented,
        "記録あり",
        "",
        None,
    )
    .await;
    let linked = record(
        summary.id,
        &measures[1],
        second_unit,
        MeasureState::NotApplicable,
        "",
        "https://portal.example.lg.jp/kiroku",
        None,
    )
    .await;
    let filed = record(
        summary.id,
        &measures[2],
        second_unit,
        MeasureState::Implemented,
        "",
        "",
        Some(file),
    )
    .await;
    record(
        other.id,
        &measures[0],
        first_unit,
        MeasureState::Implemented,
        "別の目録",
        "",
        None,
    )
    .await;

    let mut states = s.answer_states(summary.id).await.unwrap();
    states.sort_by(|a, b| (&a.measure_urn, a.unit).cmp(&(&b.measure_urn, b.unit)));
    let mut expected: Vec<AnswerState> = s
        .answers(summary.id, None)
        .await
        .unwrap()
        .into_iter()
        .map(|a| AnswerState {
            evidence_at: (!a.note.is_empty() || !a.link.is_empty() || a.file.is_some())
                .then_some(a.at_ms),
            measure_urn: a.measure_urn,
            unit: a.unit,
            state: a.state,
        })
        .collect();
    expected.sort_by(|a, b| (&a.measure_urn, a.unit).cmp(&(&b.measure_urn, b.unit)));
    assert_eq!(states, expected);
    let evidence = |urn: &str, unit| {
        states
            .iter()
            .find(|a| a.measure_urn == urn && a.unit == unit)
            .map(|a| (a.state, a.evidence_at))
    };
    assert_eq!(
        evidence(&measures[0], first_unit),
        Some((MeasureState::Partly, None))
    );
    assert_eq!(
        evidence(&measures[1], first_unit),
        Some((MeasureState::Implemented, Some(noted.at_ms)))
    );
    assert_eq!(
        evidence(&measures[1], second_unit),
        Some((MeasureState::NotApplicable, Some(linked.at_ms)))
    );
    assert_eq!(
        evidence(&measures[2], second_unit),
        Some((MeasureState::Implemented, Some(filed.at_ms)))
    );
    assert_eq!(states.len(), 4);
    assert_eq!(s.answer_states(other.id).await.unwrap().len(), 1);
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
