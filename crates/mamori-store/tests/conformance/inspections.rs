//! Cases of self-inspections, findings and corrective actions: a campaign's items filled by the
//! answers given while it is open, a sign-off refused until every item is answered and then
//! raising a finding for each 未実施 and 一部実施, last year's answers beside this year's, and the
//! verification of an action refused to its owner by the store whoever holds the grant.

use chrono::NaiveDate;
use mamori_core::authz::{
    ActionPlace, CompleteCorrectiveAction, FindingPlace, ManageFindings, ManageInspections,
    PlanCorrectiveAction, RecordMeasureStatus, SignOffInspection, VerifyCorrectiveAction,
    authorize,
};
use mamori_core::controls::{MeasureState, builtin};
use mamori_core::finding::{ActionState, FindingKind, FindingSource};
use mamori_core::{Role, Scope, UnitId};
use mamori_store::{
    CatalogueId, Conflict, Importer, InspectionId, NewAction, NewAnswer, NewFinding, NewInspection,
    Origin, UnitItems,
};

use crate::{Fx, account, actor, assert_conflict, new_org, new_unit, origin};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn campaign(catalogue: CatalogueId, year: i32, units: Vec<UnitItems>) -> NewInspection {
    NewInspection {
        year,
        title: format!("{year}年度 自己点検"),
        catalogue,
        due_on: date(year + 1, 1, 31),
        units,
    }
}

pub async fn an_inspection_counts_the_answers_given_while_open_and_its_sign_off_raises_findings(
    fx: Fx,
) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let soumu = new_unit(&fx, org, None, "総務課").await.id;
    let zeimu = new_unit(&fx, org, None, "税務課").await.id;
    let catalogue = builtin();
    let (summary, _) = s
        .import_catalogue(Importer::Operator, &catalogue, &Origin::system("t"))
        .await
        .unwrap();
    let measures: Vec<(String, String)> = catalogue
        .measures()
        .take(4)
        .map(|n| {
            (
                n.urn.clone(),
                n.chapter.map(|c| c.code().to_owned()).unwrap_or_default(),
            )
        })
        .collect();
    let urns: Vec<String> = measures.iter().map(|(u, _)| u.clone()).collect();
    let manager = account(
        &fx,
        "kanrisha",
        soumu,
        Some((Role::SecurityManager, Scope::Unit(soumu))),
    )
    .await;
    let officer = account(
        &fx,
        "sekininsha",
        zeimu,
        Some((Role::SecurityOfficer, Scope::Organisation(org))),
    )
    .await;
    let record =
        authorize::<RecordMeasureStatus>(&actor(&fx, manager).await, &(org, soumu)).unwrap();
    let answer = |urn: &str, state| NewAnswer {
        catalogue: summary.id,
        measure_urn: urn.to_owned(),
        unit: soumu,
        state,
        reason: if state == MeasureState::NotApplicable {
            "該当する機器がない".into()
        } else {
            String::new()
        },
        note: "点検表による".into(),
        link: String::new(),
        file: None,
    };
    // An answer given before the campaign opens does not count for it.
    s.record_answer(
        &record,
        answer(&urns[0], MeasureState::Implemented),
        &origin(),
    )
    .await
    .unwrap();

    let ciso = account(&fx, "ciso", soumu, Some((Role::Ciso, Scope::Global))).await;
    let manage = authorize::<ManageInspections>(&actor(&fx, ciso).await, &()).unwrap();
    let units = vec![
        UnitItems {
            unit: soumu,
            items: measures.clone(),
        },
        UnitItems {
            unit: zeimu,
            items: measures[..2].to_vec(),
        },
    ];
    // Refused before anything is written: a unit that does not exist, a measure the catalogue
    // lacks, a unit named twice.
    let before = fx.audit_len().await;
    for bad in [
        vec![UnitItems {
            unit: UnitId(999_999),
            items: measures.clone(),
        }],
        vec![UnitItems {
            unit: soumu,
            items: vec![("urn:nothing".into(), String::new())],
        }],
        vec![units[0].clone(), units[0].clone()],
    ] {
        assert_conflict(
            s.create_inspection(&manage, campaign(summary.id, 2025, bad), &origin())
                .await,
            Conflict::InspectionScopeMissing,
            "a campaign naming what does not exist",
        );
    }
    fx.assert_no_record(before, "a refused campaign").await;

    let last = s
        .create_inspection(
            &manage,
            campaign(summary.id, 2025, units.clone()),
            &origin(),
        )
        .await
        .unwrap();
    fx.assert_one_record(before, "inspection.create").await;
    assert_eq!((last.year, last.units, last.signed), (2025, 2, 0));
    assert_conflict(
        s.create_inspection(
            &manage,
            campaign(summary.id, 2025, units.clone()),
            &origin(),
        )
        .await,
        Conflict::InspectionYearTaken,
        "the same year twice",
    );

    // Last year: everything implemented but one measure, signed off.
    let items = s.inspection_items(last.id, soumu).await.unwrap();
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|i| i.answer.is_none()), "{items:?}");
    for urn in &urns {
        fx.clock.advance(1_000);
        s.record_answer(&record, answer(urn, MeasureState::Implemented), &origin())
            .await
            .unwrap();
    }
    let officer_actor = actor(&fx, officer).await;
    let sign_grant = authorize::<SignOffInspection>(&officer_actor, &(org, soumu)).unwrap();
    let (signed, findings) = s
        .sign_off_inspection(&sign_grant, last.id, soumu, "確認した", &origin())
        .await
        .unwrap();
    assert!(findings.is_empty());
    assert_eq!(signed.signed.unwrap().note, "確認した");

    // This year.
    let this = s
        .create_inspection(
            &manage,
            campaign(summary.id, 2026, units.clone()),
            &origin(),
        )
        .await
        .unwrap();
    let states = [
        MeasureState::Implemented,
        MeasureState::Not,
        MeasureState::Partly,
    ];
    for (urn, state) in urns.iter().zip(states) {
        fx.clock.advance(1_000);
        s.record_answer(&record, answer(urn, state), &origin())
            .await
            .unwrap();
    }
    // The campaign signed off last year keeps the answers it was signed off with.
    let kept = s.inspection_items(last.id, soumu).await.unwrap();
    assert!(
        kept.iter()
            .all(|i| i.answer.as_ref().unwrap().state == MeasureState::Implemented)
    );
    let items = s.inspection_items(this.id, soumu).await.unwrap();
    assert_eq!(
        items
            .iter()
            .map(|i| (i.answer.as_ref().map(|a| a.state), i.last_year))
            .collect::<Vec<_>>(),
        vec![
            (
                Some(MeasureState::Implemented),
                Some(MeasureState::Implemented)
            ),
            (Some(MeasureState::Not), Some(MeasureState::Implemented)),
            (Some(MeasureState::Partly), Some(MeasureState::Implemented)),
            (None, Some(MeasureState::Implemented)),
        ]
    );
    let tally = s.inspection_tally(this.id).await.unwrap();
    let count = |unit: UnitId, state: Option<MeasureState>| -> i64 {
        tally
            .iter()
            .filter(|t| t.unit == unit && t.state == state)
            .map(|t| t.count)
            .sum()
    };
    assert_eq!(count(soumu, Some(MeasureState::Not)), 1);
    assert_eq!(count(soumu, None), 1);
    assert_eq!(count(zeimu, None), 2);
    let pending = s.pending_inspection_units().await.unwrap();
    let mine = pending
        .iter()
        .find(|p| p.inspection == this.id && p.unit == soumu)
        .unwrap();
    assert_eq!((mine.items, mine.answered), (4, 3));

    let before = fx.audit_len().await;
    assert_conflict(
        s.sign_off_inspection(&sign_grant, this.id, soumu, "", &origin())
            .await,
        Conflict::InspectionIncomplete,
        "an item unanswered",
    );
    fx.assert_no_record(before, "a refused sign-off").await;
    s.record_answer(
        &record,
        answer(&urns[3], MeasureState::NotApplicable),
        &origin(),
    )
    .await
    .unwrap();
    let before = fx.audit_len().await;
    let (_, raised) = s
        .sign_off_inspection(&sign_grant, this.id, soumu, "", &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "inspection.sign_off").await;
    assert_eq!(raised.len(), 2, "one finding for 未実施, one for 一部実施");
    assert_conflict(
        s.sign_off_inspection(&sign_grant, this.id, soumu, "", &origin())
            .await,
        Conflict::InspectionSignedOff,
        "signed twice",
    );
    let other = s
        .inspection(InspectionId(this.id.0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.signed, 1);
    // An answer after the sign-off changes the checklist, not the signed result.
    s.record_answer(
        &record,
        answer(&urns[1], MeasureState::Implemented),
        &origin(),
    )
    .await
    .unwrap();
    let items = s.inspection_items(this.id, soumu).await.unwrap();
    assert_eq!(items[1].answer.as_ref().unwrap().state, MeasureState::Not);

    let findings = s.findings().await.unwrap();
    assert_eq!(findings.len(), 2);
    let not = findings.iter().find(|f| f.measure_urn == urns[1]).unwrap();
    assert_eq!(not.kind, FindingKind::Minor);
    assert_eq!(not.source, FindingSource::Inspection);
    assert_eq!(not.inspection, Some(this.id));
    assert_eq!(not.unit, soumu);
    assert!(!not.measure_code.is_empty());
    assert!(!not.clause.is_empty(), "the clause the measure implements");
    let partly = findings.iter().find(|f| f.measure_urn == urns[2]).unwrap();
    assert_eq!(partly.kind, FindingKind::Observation);
}

pub async fn an_action_is_verified_by_someone_other_than_its_owner_and_closes_its_finding(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let unit = new_unit(&fx, org, None, "総務課").await.id;
    let other = new_unit(&fx, org, None, "監査室").await.id;
    let owner = account(&fx, "tantou", unit, None).await;
    let owner_actor = actor(&fx, owner).await;
    let auditor = account(&fx, "kansanin", other, Some((Role::Auditor, Scope::Global))).await;
    let place = FindingPlace { org, unit };
    let ciso = actor(
        &fx,
        account(&fx, "ciso", other, Some((Role::Ciso, Scope::Global))).await,
    )
    .await;
    let before = fx.audit_len().await;
    let finding = s
        .raise_finding(
            &authorize::<ManageFindings>(&ciso, &place).unwrap(),
            NewFinding {
                unit,
                catalogue: None,
                measure_urn: String::new(),
                clause: "6(3)".into(),
                kind: FindingKind::Major,
                description: "持ち出し記録がない".into(),
            },
            &origin(),
        )
        .await
        .unwrap();
    fx.assert_one_record(before, "finding.raise").await;
    assert_eq!(finding.source, FindingSource::Audit);
    let graded = s
        .grade_finding(
            &authorize::<ManageFindings>(&ciso, &place).unwrap(),
            finding.id,
            FindingKind::Minor,
            "持ち出し記録が一部ない",
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(graded.kind, FindingKind::Minor);

    assert_conflict(
        s.plan_action(
            &authorize::<PlanCorrectiveAction>(&ciso, &place).unwrap(),
            NewAction {
                finding: finding.id,
                description: "記録簿を整える".into(),
                owner: mamori_core::PersonId(999_999),
                due_on: date(2026, 12, 1),
            },
            &origin(),
        )
        .await,
        Conflict::ActionOwnerMissing,
        "an owner who does not exist",
    );
    let before = fx.audit_len().await;
    let action = s
        .plan_action(
            &authorize::<PlanCorrectiveAction>(&ciso, &place).unwrap(),
            NewAction {
                finding: finding.id,
                description: "記録簿を整える".into(),
                owner: owner_actor.person_id,
                due_on: date(2026, 12, 1),
            },
            &origin(),
        )
        .await
        .unwrap();
    fx.assert_one_record(before, "action.plan").await;
    assert_eq!(action.state, ActionState::Open);
    let action_place = ActionPlace {
        finding: place,
        owner: owner_actor.person_id,
    };
    // Nothing to verify before it is reported done.
    let verify =
        authorize::<VerifyCorrectiveAction>(&actor(&fx, auditor).await, &action_place).unwrap();
    assert_conflict(
        s.verify_action(&verify, action.id, true, "", &origin())
            .await,
        Conflict::ActionWrongState,
        "verifying an open action",
    );
    let complete = authorize::<CompleteCorrectiveAction>(&owner_actor, &action_place).unwrap();
    let done = s
        .complete_action(&complete, action.id, "記録簿を作成した", &origin())
        .await
        .unwrap();
    assert_eq!(done.state, ActionState::Done);
    assert_eq!(done.done_note, "記録簿を作成した");
    assert_conflict(
        s.complete_action(&complete, action.id, "again", &origin())
            .await,
        Conflict::ActionWrongState,
        "done twice",
    );

    // The owner holding a grant (made for someone else) is still refused by the store.
    let forged = authorize::<VerifyCorrectiveAction>(
        &mamori_core::Actor {
            user_id: owner,
            person_id: mamori_core::PersonId(999_998),
            ..crate::ciso()
        },
        &action_place,
    )
    .unwrap();
    let before = fx.audit_len().await;
    assert_conflict(
        s.verify_action(&forged, action.id, true, "", &origin())
            .await,
        Conflict::ActionVerifierIsOwner,
        "the owner verifying their own action",
    );
    fx.assert_no_record(before, "a refused verification").await;

    // Sent back, done again, verified: the finding closes.
    let back = s
        .verify_action(&verify, action.id, false, "証跡が足りない", &origin())
        .await
        .unwrap();
    assert_eq!(back.state, ActionState::Open);
    assert_eq!(back.verify_note, "証跡が足りない");
    s.complete_action(&complete, action.id, "証跡を添付した", &origin())
        .await
        .unwrap();
    let before = fx.audit_len().await;
    let verified = s
        .verify_action(&verify, action.id, true, "確認した", &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "action.verify").await;
    assert_eq!(verified.state, ActionState::Verified);
    assert_eq!(verified.verified_by_name.as_deref(), Some("kansanin"));
    let closed = s.finding(finding.id).await.unwrap().unwrap();
    assert!(closed.closed_at.is_some());
    assert_eq!(closed.actions.len(), 1);
    assert_conflict(
        s.plan_action(
            &authorize::<PlanCorrectiveAction>(&ciso, &place).unwrap(),
            NewAction {
                finding: finding.id,
                description: "追加".into(),
                owner: owner_actor.person_id,
                due_on: date(2026, 12, 1),
            },
            &origin(),
        )
        .await,
        Conflict::FindingClosed,
        "an action for a closed finding",
    );
}

pub async fn an_audit_team_is_independent_of_its_scope_whatever_the_grant(fx: Fx) {
    use mamori_core::audit_plan::AuditState;
    use mamori_core::authz::{AuditPlace, ManageAudits, WorkOnAudit};
    use mamori_store::NewAudit;
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let audited = new_unit(&fx, org, None, "総務課").await.id;
    let other = new_unit(&fx, org, None, "監査室").await.id;
    let ciso = actor(
        &fx,
        account(&fx, "ciso", other, Some((Role::Ciso, Scope::Global))).await,
    )
    .await;
    let manage = authorize::<ManageAudits>(&ciso, &()).unwrap();
    let plan = |units: Vec<UnitId>| NewAudit {
        year: 2026,
        title: "令和8年度 情報セキュリティ監査".into(),
        criteria: "対策基準".into(),
        from: date(2026, 10, 1),
        to: date(2026, 11, 30),
        units,
        chapters: vec!["technical".into()],
    };
    assert_conflict(
        s.create_security_audit(&manage, plan(vec![UnitId(999_999)]), &origin())
            .await,
        Conflict::AuditScopeMissing,
        "a unit that does not exist",
    );
    let before = fx.audit_len().await;
    let audit = s
        .create_security_audit(&manage, plan(vec![audited]), &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "audit_plan.create").await;
    assert_eq!(audit.state, AuditState::Planned);
    assert_eq!(audit.chapters, ["technical"]);

    // A member of the audited unit, its manager (seated elsewhere) and the officer of its
    // organisation are refused with their reason, and nothing is written.
    let staff = actor(&fx, account(&fx, "soumu", audited, None).await).await;
    let manager = actor(
        &fx,
        account(
            &fx,
            "kanrisha",
            other,
            Some((Role::SecurityManager, Scope::Unit(audited))),
        )
        .await,
    )
    .await;
    let officer = actor(
        &fx,
        account(
            &fx,
            "sekinin",
            other,
            Some((Role::SecurityOfficer, Scope::Organisation(org))),
        )
        .await,
    )
    .await;
    for (who, why) in [
        (&staff, Conflict::AuditMemberBelongsToUnit),
        (&manager, Conflict::AuditMemberManagesUnit),
        (&officer, Conflict::AuditMemberOverseesOrganisation),
    ] {
        let before = fx.audit_len().await;
        assert_conflict(
            s.add_audit_member(&manage, audit.id, who.person_id, false, &origin())
                .await,
            why,
            "a member who is not independent",
        );
        fx.assert_no_record(before, "a refused member").await;
    }
    let auditor = actor(
        &fx,
        account(&fx, "kansa", other, Some((Role::Auditor, Scope::Global))).await,
    )
    .await;
    let before = fx.audit_len().await;
    let with_team = s
        .add_audit_member(&manage, audit.id, auditor.person_id, true, &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "audit_plan.member_add").await;
    assert!(with_team.team[0].lead);

    let work = authorize::<WorkOnAudit>(&auditor, &with_team.place()).unwrap();
    assert_conflict(
        s.add_audit_note(&work, audit.id, Some(other), "範囲外", &origin())
            .await,
        Conflict::AuditUnitOutOfScope,
        "a note on a unit outside the scope",
    );
    let noted = s
        .add_audit_note(
            &work,
            audit.id,
            Some(audited),
            "アクセス記録を確認",
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(noted.state, AuditState::Fieldwork);
    assert_eq!(noted.notes[0].by_name.as_deref(), Some("kansa"));
    let finding = s
        .raise_audit_finding(
            &work,
            audit.id,
            NewFinding {
                unit: audited,
                catalogue: None,
                measure_urn: String::new(),
                clause: "6(6)".into(),
                kind: FindingKind::Minor,
                description: "ログの確認記録がない".into(),
            },
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(finding.audit, Some(audit.id));
    assert_eq!(finding.source, FindingSource::Audit);
    let reported = s
        .issue_audit_report(&work, audit.id, "総合所見", &origin())
        .await
        .unwrap();
    assert_eq!(reported.state, AuditState::Reported);
    // Closed to changes, whatever the grant says.
    let stale = authorize::<WorkOnAudit>(
        &auditor,
        &AuditPlace {
            reported: false,
            ..reported.place()
        },
    )
    .unwrap();
    assert_conflict(
        s.add_audit_note(&stale, audit.id, None, "追記", &origin())
            .await,
        Conflict::AuditReported,
        "a note after the report",
    );
    assert_conflict(
        s.add_audit_member(&manage, audit.id, auditor.person_id, false, &origin())
            .await,
        Conflict::AuditReported,
        "a member after the report",
    );
}

pub async fn an_exception_is_decided_once_and_never_by_whoever_asked_for_it(fx: Fx) {
    use mamori_core::authz::{DecideException, ExceptionPlace, RequestException};
    use mamori_core::exception::ExceptionState;
    use mamori_store::NewException;
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let unit = new_unit(&fx, org, None, "総務課").await.id;
    let (summary, _) = s
        .import_catalogue(Importer::Operator, &builtin(), &Origin::system("t"))
        .await
        .unwrap();
    let measure = builtin().measures().next().unwrap().urn.clone();
    let ciso = actor(
        &fx,
        account(&fx, "ciso", unit, Some((Role::Ciso, Scope::Global))).await,
    )
    .await;
    let other_ciso = actor(
        &fx,
        account(&fx, "ciso2", unit, Some((Role::Ciso, Scope::Global))).await,
    )
    .await;
    let request = authorize::<RequestException>(&ciso, &(org, unit)).unwrap();
    let new = |taken_on: Option<NaiveDate>| NewException {
        catalogue: summary.id,
        measure_urn: measure.clone(),
        unit,
        reason: "旧OSの更新待ち".into(),
        compensating: "ネットワークから分離".into(),
        until: date(2027, 3, 31),
        taken_on,
    };
    assert_conflict(
        s.request_exception(
            &request,
            NewException {
                measure_urn: "urn:nothing".into(),
                ..new(None)
            },
            &origin(),
        )
        .await,
        Conflict::ExceptionScopeMissing,
        "a measure that does not exist",
    );
    let before = fx.audit_len().await;
    let asked = s
        .request_exception(&request, new(None), &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "exception.request").await;
    assert_eq!(asked.state, ExceptionState::Requested);
    assert!(!asked.measure_code.is_empty());
    let emergency = s
        .request_exception(&request, new(Some(date(2026, 12, 1))), &origin())
        .await
        .unwrap();
    assert_eq!(emergency.state, ExceptionState::Emergency);
    assert!(emergency.emergency);

    // The CISO who asked holds a grant made for someone else: the store still refuses.
    let forged = authorize::<DecideException>(
        &ciso,
        &ExceptionPlace {
            requested_by: None,
            ..asked.place()
        },
    )
    .unwrap();
    let before = fx.audit_len().await;
    assert_conflict(
        s.decide_exception(&forged, asked.id, true, "", &origin())
            .await,
        Conflict::ExceptionSelfDecision,
        "deciding one's own request",
    );
    fx.assert_no_record(before, "a refused decision").await;
    let decide = authorize::<DecideException>(&other_ciso, &asked.place()).unwrap();
    let approved = s
        .decide_exception(&decide, asked.id, true, "期限までに更新すること", &origin())
        .await
        .unwrap();
    assert_eq!(approved.state, ExceptionState::Approved);
    assert_eq!(approved.decided_by_name.as_deref(), Some("ciso2"));
    assert_conflict(
        s.decide_exception(&decide, asked.id, false, "", &origin())
            .await,
        Conflict::ExceptionDecided,
        "deciding twice",
    );
    let rejected = s
        .decide_exception(&decide, emergency.id, false, "分離できない", &origin())
        .await
        .unwrap();
    assert_eq!(rejected.state, ExceptionState::Rejected);
    assert_eq!(s.measure_exceptions().await.unwrap().len(), 2);
}

pub async fn a_review_keeps_its_inputs_and_refuses_what_does_not_exist(fx: Fx) {
    use mamori_core::authz::ManageReviews;
    use mamori_store::{NewReview, ReviewInputKind};
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let unit = new_unit(&fx, org, None, "総務課").await.id;
    let (summary, _) = s
        .import_catalogue(Importer::Operator, &builtin(), &Origin::system("t"))
        .await
        .unwrap();
    let ciso = actor(
        &fx,
        account(&fx, "ciso", unit, Some((Role::Ciso, Scope::Global))).await,
    )
    .await;
    let inspection = s
        .create_inspection(
            &authorize::<ManageInspections>(&ciso, &()).unwrap(),
            campaign(summary.id, 2026, Vec::new()),
            &origin(),
        )
        .await
        .unwrap();
    let manage = authorize::<ManageReviews>(&ciso, &()).unwrap();
    let review = |inputs: Vec<(ReviewInputKind, i64)>| NewReview {
        title: "令和8年度 情報セキュリティポリシーの見直し".into(),
        held_on: date(2027, 2, 15),
        environment: "生成AIの業務利用".into(),
        decisions: "対策基準に生成AIの利用規定を加える".into(),
        inputs,
    };
    let before = fx.audit_len().await;
    for missing in [
        (ReviewInputKind::Audit, 999_999),
        (ReviewInputKind::Risk, 999_999),
        (ReviewInputKind::Inspection, inspection.id.0 + 1),
    ] {
        assert_conflict(
            s.create_review(&manage, review(vec![missing]), &origin())
                .await,
            Conflict::ReviewInputMissing,
            "an input that does not exist",
        );
    }
    fx.assert_no_record(before, "a refused review").await;
    let made = s
        .create_review(
            &manage,
            review(vec![(ReviewInputKind::Inspection, inspection.id.0); 2]),
            &origin(),
        )
        .await
        .unwrap();
    fx.assert_one_record(before, "review.create").await;
    assert_eq!(made.inputs.len(), 1);
    assert_eq!(made.inputs[0].title, "2026年度 自己点検");
    assert_conflict(
        s.link_review_version(&manage, made.id, 999_999, 1, &origin())
            .await,
        Conflict::ReviewVersionMissing,
        "a version that does not exist",
    );
    assert_eq!(s.reviews().await.unwrap(), vec![made]);
}

pub async fn an_incident_keeps_its_triage_and_timeline_and_closes_to_notes(fx: Fx) {
    use mamori_core::authz::{ReportIncident, TriageIncident};
    use mamori_core::incident::Step;
    use mamori_core::risk::{Level, ThreatCategory};
    use mamori_store::{NewIncident, Triage};
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let unit = new_unit(&fx, org, None, "総務課").await.id;
    let staff = actor(&fx, account(&fx, "shokuin", unit, None).await).await;
    let csirt = actor(
        &fx,
        account(&fx, "csirt", unit, Some((Role::Csirt, Scope::Global))).await,
    )
    .await;
    let before = fx.audit_len().await;
    let reported = s
        .report_incident(
            &authorize::<ReportIncident>(&staff, &()).unwrap(),
            NewIncident {
                title: "USBメモリの紛失".into(),
                description: String::new(),
                occurred_at: Some(1_000),
                detected_at: None,
                assets: Vec::new(),
            },
            &origin(),
        )
        .await
        .unwrap();
    fx.assert_one_record(before, "incident.report").await;
    assert_eq!(reported.unit, Some(unit));
    assert_eq!(reported.reporter, staff.person_id);
    assert_eq!(reported.events[0].step, Step::Reported);
    let triage = authorize::<TriageIncident>(&csirt, &reported.place()).unwrap();
    assert_conflict(
        s.report_incident(
            &authorize::<ReportIncident>(&staff, &()).unwrap(),
            NewIncident {
                title: "x".into(),
                description: String::new(),
                occurred_at: None,
                detected_at: None,
                assets: vec![999_999],
            },
            &origin(),
        )
        .await,
        Conflict::IncidentScopeMissing,
        "an asset that does not exist",
    );
    let triaged = s
        .triage_incident(
            &triage,
            reported.id,
            Triage {
                severity: Level::High,
                threat: Some("T-INSIDER".into()),
                personal_data: true,
                people: 120,
                unauthorised_purpose: false,
                owner: Some(csirt.person_id),
                assets: Vec::new(),
            },
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(triaged.severity, Some(Level::High));
    assert_eq!(triaged.category, Some(ThreatCategory::Intentional));
    assert_eq!(triaged.people, 120);
    s.add_incident_event(
        &triage,
        reported.id,
        Step::Notified,
        Some("PPC-PROMPT".into()),
        "",
        &origin(),
    )
    .await
    .unwrap();
    let closed = s
        .add_incident_event(&triage, reported.id, Step::Closed, None, "", &origin())
        .await
        .unwrap();
    assert!(closed.closed_at.is_some());
    assert!(closed.notified("PPC-PROMPT").is_some());
    assert_conflict(
        s.add_incident_event(&triage, reported.id, Step::Contained, None, "", &origin())
            .await,
        Conflict::IncidentClosed,
        "a step after closing",
    );
    let noted = s
        .add_incident_event(&triage, reported.id, Step::Note, None, "教訓", &origin())
        .await
        .unwrap();
    assert_eq!(noted.events.len(), 4);
    assert_eq!(s.incidents().await.unwrap().len(), 1);
}
