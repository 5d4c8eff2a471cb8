//! Cases of an incident's follow-up: tasks with owners, done once by their owner or those who
//! triage (refused to anyone else by the store whatever the grant).

use chrono::NaiveDate;
use mamori_core::authz::{CompleteIncidentTask, ReportIncident, TriageIncident, authorize};
use mamori_core::{Actor, Role, Scope};
use mamori_store::{Conflict, Incident, NewIncident, NewIncidentTask};

use crate::{Fx, account, actor, assert_conflict, new_org, new_unit, origin};

/// An organisation with a unit, a member of staff who reports, a colleague, and a CSIRT member.
struct People {
    staff: Actor,
    colleague: Actor,
    csirt: Actor,
}

async fn people(fx: &Fx) -> People {
    let org = new_org(fx, "KANRI", "管理者").await.id;
    let unit = new_unit(fx, org, None, "総務課").await.id;
    People {
        staff: actor(fx, account(fx, "shokuin", unit, None).await).await,
        colleague: actor(fx, account(fx, "doryo", unit, None).await).await,
        csirt: actor(
            fx,
            account(fx, "csirt", unit, Some((Role::Csirt, Scope::Global))).await,
        )
        .await,
    }
}

async fn report(fx: &Fx, by: &Actor, title: &str) -> Incident {
    fx.store()
        .report_incident(
            &authorize::<ReportIncident>(by, &()).unwrap(),
            NewIncident {
                title: title.into(),
                description: String::new(),
                occurred_at: None,
                detected_at: None,
                assets: Vec::new(),
            },
            &origin(),
        )
        .await
        .unwrap()
}

pub async fn an_incidents_tasks_have_owners_and_are_done_once_by_their_owner_or_the_csirt(fx: Fx) {
    let s = fx.store();
    let p = people(&fx).await;
    let incident = report(&fx, &p.staff, "不審なメールの開封").await;
    let triage = authorize::<TriageIncident>(&p.csirt, &incident.place()).unwrap();
    let before = fx.audit_len().await;
    let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    let with_task = s
        .add_incident_task(
            &triage,
            incident.id,
            NewIncidentTask {
                title: "端末をネットワークから外す".into(),
                owner: p.staff.person_id,
                due_on: Some(day("2025-11-20")),
            },
            &origin(),
        )
        .await
        .unwrap();
    fx.assert_one_record(before, "incident.task.add").await;
    let with_two = s
        .add_incident_task(
            &triage,
            incident.id,
            NewIncidentTask {
                title: "ログを保全する".into(),
                owner: p.csirt.person_id,
                due_on: None,
            },
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(with_two.tasks.len(), 2);
    let first = with_task.tasks[0].clone();
    assert_eq!(first.owner, p.staff.person_id);
    assert_eq!(first.incident_title, "不審なメールの開封");
    // The test clock is 2025-11-25: the first task is overdue, the second has no due date.
    assert!(first.overdue(day("2025-11-25")));
    assert!(!with_two.tasks[1].overdue(day("2025-11-25")));
    // A task's owner sees the incident.
    assert!(with_two.place().task_owners.contains(&p.staff.person_id));
    let open = s.open_incident_tasks().await.unwrap();
    assert_eq!(
        open.iter().map(|t| t.title.as_str()).collect::<Vec<_>>(),
        ["端末をネットワークから外す", "ログを保全する"],
        "by due date, none last"
    );
    assert_conflict(
        s.add_incident_task(
            &triage,
            incident.id,
            NewIncidentTask {
                title: "x".into(),
                owner: mamori_core::PersonId(999_999),
                due_on: None,
            },
            &origin(),
        )
        .await,
        Conflict::IncidentScopeMissing,
        "an owner who does not exist",
    );

    // A colleague holding a grant made for a task of their own cannot use it on another's.
    let colleagues = s
        .add_incident_task(
            &triage,
            incident.id,
            NewIncidentTask {
                title: "同僚の作業".into(),
                owner: p.colleague.person_id,
                due_on: None,
            },
            &origin(),
        )
        .await
        .unwrap();
    let own = colleagues.tasks.last().unwrap();
    let grant =
        authorize::<CompleteIncidentTask>(&p.colleague, &colleagues.task_place(own)).unwrap();
    assert!(
        authorize::<CompleteIncidentTask>(&p.colleague, &colleagues.task_place(&first)).is_err()
    );
    let before = fx.audit_len().await;
    assert_conflict(
        s.complete_incident_task(&grant, incident.id, first.id, &origin())
            .await,
        Conflict::IncidentTaskNotTheirs,
        "a task done by someone who neither owns it nor triages",
    );
    fx.assert_no_record(before, "a refused completion").await;
    // A task of another incident is not found through this one.
    let other = report(&fx, &p.staff, "別件").await;
    assert!(matches!(
        s.complete_incident_task(&grant, other.id, own.id, &origin())
            .await,
        Err(mamori_store::StoreError::NotFound)
    ));

    // Its owner marks it done, once; the CSIRT marks another's done.
    let owner =
        authorize::<CompleteIncidentTask>(&p.staff, &colleagues.task_place(&first)).unwrap();
    let before = fx.audit_len().await;
    let done = s
        .complete_incident_task(&owner, incident.id, first.id, &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "incident.task.done").await;
    let task = done.tasks.iter().find(|t| t.id == first.id).unwrap();
    assert_eq!(task.done_at, Some(fx.now()));
    assert_eq!(task.done_by_name.as_deref(), Some("shokuin"));
    assert!(!task.overdue(day("2025-11-25")));
    assert_conflict(
        s.complete_incident_task(&owner, incident.id, first.id, &origin())
            .await,
        Conflict::IncidentTaskDone,
        "a task done twice",
    );
    let by_csirt =
        authorize::<CompleteIncidentTask>(&p.csirt, &colleagues.task_place(own)).unwrap();
    s.complete_incident_task(&by_csirt, incident.id, own.id, &origin())
        .await
        .unwrap();
    let open = s.open_incident_tasks().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].title, "ログを保全する");
}

pub async fn lessons_follow_closing_and_a_review_cites_closed_incidents_both_ways(fx: Fx) {
    use mamori_core::authz::ManageReviews;
    use mamori_core::incident::Step;
    use mamori_store::{NewReview, ReviewInputKind};
    let s = fx.store();
    let p = people(&fx).await;
    let incident = report(&fx, &p.staff, "USBメモリの紛失").await;
    let triage = authorize::<TriageIncident>(&p.csirt, &incident.place()).unwrap();
    let before = fx.audit_len().await;
    assert_conflict(
        s.record_incident_lessons(&triage, incident.id, "持出し手順を見直す", &origin())
            .await,
        Conflict::IncidentOpen,
        "lessons while the incident is open",
    );
    fx.assert_no_record(before, "refused lessons").await;
    let unit = p.staff.unit_id.unwrap();
    let ciso = actor(
        &fx,
        account(&fx, "ciso", unit, Some((Role::Ciso, Scope::Global))).await,
    )
    .await;
    let manage = authorize::<ManageReviews>(&ciso, &()).unwrap();
    let review = s
        .create_review(
            &manage,
            NewReview {
                title: "令和7年度 見直し".into(),
                held_on: NaiveDate::from_ymd_opt(2026, 2, 15).unwrap(),
                environment: String::new(),
                decisions: String::new(),
                inputs: Vec::new(),
            },
            &origin(),
        )
        .await
        .unwrap();
    let before = fx.audit_len().await;
    assert_conflict(
        s.cite_review_incidents(&manage, review.id, &[incident.id.0], &origin())
            .await,
        Conflict::ReviewIncidentOpen,
        "citing an open incident",
    );
    assert_conflict(
        s.create_review(
            &manage,
            NewReview {
                title: "x".into(),
                held_on: NaiveDate::from_ymd_opt(2026, 2, 15).unwrap(),
                environment: String::new(),
                decisions: String::new(),
                inputs: vec![(ReviewInputKind::Incident, incident.id.0)],
            },
            &origin(),
        )
        .await,
        Conflict::ReviewIncidentOpen,
        "a review made citing an open incident",
    );
    assert_conflict(
        s.cite_review_incidents(&manage, review.id, &[999_999], &origin())
            .await,
        Conflict::ReviewInputMissing,
        "citing an incident that does not exist",
    );
    fx.assert_no_record(before, "refused citations").await;

    s.add_incident_event(&triage, incident.id, Step::Closed, None, "", &origin())
        .await
        .unwrap();
    let before = fx.audit_len().await;
    let learned = s
        .record_incident_lessons(&triage, incident.id, "持出し手順を見直す", &origin())
        .await
        .unwrap();
    let record = fx.assert_one_record(before, "incident.lessons").await;
    assert_eq!(record.event.detail["before"], serde_json::Value::Null);
    assert_eq!(learned.lessons.as_deref(), Some("持出し手順を見直す"));
    assert_eq!(learned.lessons_by_name.as_deref(), Some("csirt"));
    assert_eq!(learned.lessons_at, Some(fx.now()));
    let rewritten = s
        .record_incident_lessons(&triage, incident.id, "暗号化USBに限る", &origin())
        .await
        .unwrap();
    let record = fx.assert_one_record(before + 1, "incident.lessons").await;
    assert_eq!(record.event.detail["before"], "持出し手順を見直す");
    assert_eq!(rewritten.lessons.as_deref(), Some("暗号化USBに限る"));

    let cited = s
        .cite_review_incidents(
            &manage,
            review.id,
            &[incident.id.0, incident.id.0],
            &origin(),
        )
        .await
        .unwrap();
    fx.assert_one_record(before + 2, "review.incidents").await;
    assert_eq!(cited.incidents.len(), 1);
    assert_eq!(cited.incidents[0].title, "USBメモリの紛失");
    assert_eq!(
        cited.incidents[0].lessons.as_deref(),
        Some("暗号化USBに限る")
    );
    assert_eq!(cited.inputs[0].kind, ReviewInputKind::Incident);
    // Citing again changes nothing; the incident names the review.
    let again = s
        .cite_review_incidents(&manage, review.id, &[incident.id.0], &origin())
        .await
        .unwrap();
    assert_eq!(again.incidents, cited.incidents);
    assert_eq!(
        s.reviews_citing_incident(incident.id.0).await.unwrap(),
        vec![(review.id, "令和7年度 見直し".to_owned())]
    );
}

pub async fn a_candidate_is_raised_once_and_opened_or_dismissed_with_its_link_kept(fx: Fx) {
    use mamori_core::authz::DecideIncidentCandidate;
    use mamori_core::incident::{CandidateSource, CandidateState};
    use mamori_store::{Origin, StoreError};
    let s = fx.store();
    let p = people(&fx).await;
    let system = Origin::system("gateway candidates");
    let before = fx.audit_len().await;
    let raised = s
        .raise_incident_candidate(
            CandidateSource::Gateway,
            "q-20251125-0001",
            "[executable] attacker@example.com: 請求書",
            &system,
        )
        .await
        .unwrap()
        .expect("raised");
    fx.assert_one_record(before, "incident.candidate.raise")
        .await;
    assert_eq!(raised.state, CandidateState::Open);
    assert_eq!(raised.raised_at, fx.now());
    // Raising it again is harmless: one row, no record.
    let again = s
        .raise_incident_candidate(
            CandidateSource::Gateway,
            "q-20251125-0001",
            "again",
            &system,
        )
        .await
        .unwrap();
    assert_eq!(again, None);
    fx.assert_no_record(before + 1, "a candidate raised twice")
        .await;
    assert_eq!(
        fx.raw_count("SELECT COUNT(*) FROM incident_candidates")
            .await,
        1
    );
    // The same reference from another source is another candidate.
    let alert = s
        .raise_incident_candidate(
            CandidateSource::Monitor,
            "q-20251125-0001",
            "alert",
            &system,
        )
        .await
        .unwrap()
        .expect("raised");
    fx.clock.advance(1_000);
    let third = s
        .raise_incident_candidate(CandidateSource::Monitor, "alert-7", "scan", &system)
        .await
        .unwrap()
        .expect("raised");

    let decide = authorize::<DecideIncidentCandidate>(&p.csirt, &()).unwrap();
    let before = fx.audit_len().await;
    assert_conflict(
        s.dismiss_incident_candidate(&decide, alert.id, "  ", &origin())
            .await,
        Conflict::IncidentCandidateReasonMissing,
        "a dismissal without a reason",
    );
    fx.assert_no_record(before, "a refused dismissal").await;
    let dismissed = s
        .dismiss_incident_candidate(&decide, alert.id, "監視対象外の検査通信", &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "incident.candidate.dismiss")
        .await;
    assert_eq!(dismissed.state, CandidateState::Dismissed);
    assert_eq!(dismissed.reason.as_deref(), Some("監視対象外の検査通信"));
    assert_eq!(dismissed.decided_by_name.as_deref(), Some("csirt"));

    let opened = s
        .open_incident_from_candidate(
            &decide,
            raised.id,
            NewIncident {
                title: "マルウェアの疑いがあるメール".into(),
                description: "実行ファイルの添付".into(),
                occurred_at: None,
                detected_at: None,
                assets: Vec::new(),
            },
            &origin(),
        )
        .await
        .unwrap();
    fx.assert_one_record(before + 1, "incident.candidate.open")
        .await;
    // Link both ways: the incident names its candidate, the candidate its incident.
    let from = opened.raised_from.clone().expect("raised from a candidate");
    assert_eq!(from.candidate, raised.id);
    assert_eq!(from.source, CandidateSource::Gateway);
    assert_eq!(from.reference, "q-20251125-0001");
    assert_eq!(opened.reporter, p.csirt.person_id);
    assert_eq!(opened.detected_at, raised.raised_at, "detected when raised");
    let candidate = s.incident_candidate(raised.id).await.unwrap().unwrap();
    assert_eq!(candidate.state, CandidateState::Opened);
    assert_eq!(candidate.incident, Some(opened.id));
    assert_eq!(
        candidate.incident_title.as_deref(),
        Some("マルウェアの疑いがあるメール")
    );
    assert_eq!(
        s.incident(opened.id).await.unwrap().unwrap().raised_from,
        Some(from)
    );
    // A decided candidate stays decided.
    assert_conflict(
        s.dismiss_incident_candidate(&decide, raised.id, "誤り", &origin())
            .await,
        Conflict::IncidentCandidateDecided,
        "dismissing an opened candidate",
    );
    assert_conflict(
        s.open_incident_from_candidate(
            &decide,
            alert.id,
            NewIncident {
                title: "x".into(),
                description: String::new(),
                occurred_at: None,
                detected_at: None,
                assets: Vec::new(),
            },
            &origin(),
        )
        .await,
        Conflict::IncidentCandidateDecided,
        "opening a dismissed candidate",
    );
    assert!(matches!(
        s.dismiss_incident_candidate(&decide, 999_999, "x", &origin())
            .await,
        Err(StoreError::NotFound)
    ));
    // Open first, then the newest.
    let ids: Vec<i64> = s
        .incident_candidates()
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids[0], third.id);
    assert_eq!(ids.len(), 3);
}
