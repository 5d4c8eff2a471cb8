//! インシデント through the API: a member of staff reports, the reporter and the CSIRT (here the
//! CISO) see it and others do not, the triage marks personal data and the 速報 and 確報 fall due
//! from detection, a notification recorded meets its deadline, a closed incident takes notes
//! only, and hostile input is refused with its field.

use super::*;

#[tokio::test]
async fn an_incident_is_reported_triaged_and_owes_the_commission_its_reports() {
    let w = world().await;
    let reported = post("/api/v1/incidents")
        .token(&w.staff_a.token)
        .json(
            json!({"title": "住民票の写しの誤送付", "description": "別の住民に郵送した",
            "occurred_at": "2026-12-01T09:30:00+09:00"}),
        )
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(reported["severity"], Value::Null);
    assert_eq!(reported["timeline"][0]["step"], "reported");
    assert_eq!(reported["notifications"], json!([]));
    let path = format!("/api/v1/incidents/{}", reported["id"]);
    // Not the auditor's, nor a colleague's to see; the reporter may not triage.
    get(&path)
        .token(&w.auditor_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    post(&format!("{path}/triage"))
        .token(&w.staff_a.token)
        .json(json!({"severity": "high"}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");

    let triaged = post(&format!("{path}/triage"))
        .token(&w.ciso.token)
        .json(
            json!({"severity": "medium", "threat": "t-error", "personal_data": true,
            "people": 1, "owner_id": w.person_b}),
        )
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(triaged["threat"], "T-ERROR");
    let codes: Vec<&str> = triaged["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["PPC-PROMPT", "PPC-FINAL"]);
    let detected =
        chrono::DateTime::parse_from_rfc3339(triaged["detected_at"].as_str().unwrap()).unwrap();
    let prompt = chrono::DateTime::parse_from_rfc3339(
        triaged["notifications"][0]["due_at"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!((prompt - detected).num_hours(), 72);
    assert_eq!(triaged["notifications"][0]["overdue"], false);

    let notified = post(&format!("{path}/events"))
        .token(&w.ciso.token)
        .json(json!({"step": "notified", "rule": "PPC-PROMPT", "note": "速報を提出"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert!(notified["notifications"][0]["notified_at"].is_string());
    assert!(notified["notifications"][1]["notified_at"].is_null());
    // The reporter follows it.
    let seen = get(&path)
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(seen["severity"], "medium");

    for (body, field) in [
        (json!({"step": "notified"}), "rule"),
        (json!({"step": "notified", "rule": "NOBODY"}), "rule"),
        (json!({"step": "contained", "rule": "PPC-FINAL"}), "rule"),
        (json!({"step": "escalated"}), "step"),
        (json!({"step": "note", "note": "a\u{0}"}), "note"),
    ] {
        let reply = post(&format!("{path}/events"))
            .token(&w.ciso.token)
            .json(body.clone())
            .send(&w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(reply["fields"][0]["field"], field, "{body}: {reply}");
    }
    post(&format!("{path}/triage"))
        .token(&w.ciso.token)
        .json(json!({"severity": "high", "threat": "T-NOTHING"}))
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "incident.scope_missing");
    for (body, field) in [
        (json!({"severity": "severe"}), "severity"),
        (json!({"severity": "high", "people": -1}), "people"),
    ] {
        let reply = post(&format!("{path}/triage"))
            .token(&w.ciso.token)
            .json(body.clone())
            .send(&w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(reply["fields"][0]["field"], field, "{body}: {reply}");
    }

    post(&format!("{path}/events"))
        .token(&w.ciso.token)
        .json(json!({"step": "closed", "note": "再発防止策を周知"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    post(&format!("{path}/events"))
        .token(&w.ciso.token)
        .json(json!({"step": "recovered"}))
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "incident.closed");
    post(&format!("{path}/events"))
        .token(&w.ciso.token)
        .json(json!({"step": "note", "note": "教訓: 封入時の二重確認"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);

    for (body, field) in [
        (json!({"title": ""}), "title"),
        (
            json!({"title": "x", "occurred_at": "yesterday"}),
            "occurred_at",
        ),
        (
            json!({"title": "x", "occurred_at": "2999-01-01T00:00:00Z"}),
            "occurred_at",
        ),
        (json!({"title": "x", "asset_ids": [0]}), "assets"),
    ] {
        let reply = post("/api/v1/incidents")
            .token(&w.staff_a.token)
            .json(body.clone())
            .send(&w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(reply["fields"][0]["field"], field, "{body}: {reply}");
    }
    post("/api/v1/incidents")
        .token(&w.staff_a.token)
        .json(json!({"title": "x", "asset_ids": [999_999]}))
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "incident.scope_missing");
}

/// 緊急連絡網: the holders of the reporting chain with their mail, for everyone on the staff and
/// not for a contractor.
#[tokio::test]
async fn the_emergency_contacts_name_the_chain_for_the_staff_only() {
    let w = world().await;
    provision(
        &w.store,
        "kanri.a",
        "管理 花子",
        Some(w.unit_a),
        Some((Role::SecurityManager, Scope::Unit(UnitId(w.unit_a)))),
    )
    .await;
    provision(
        &w.store,
        "kanri.b",
        "管理 次郎",
        Some(w.unit_b),
        Some((Role::SecurityManager, Scope::Unit(UnitId(w.unit_b)))),
    )
    .await;
    provision(
        &w.store,
        "csirt",
        "対応 三郎",
        Some(w.unit_b),
        Some((Role::Csirt, Scope::Global)),
    )
    .await;
    let contractor = provision(
        &w.store,
        "itaku",
        "委託 四郎",
        Some(w.unit_a),
        Some((Role::Contractor, Scope::Unit(UnitId(w.unit_a)))),
    )
    .await;
    let contacts = get("/api/v1/emergency-contacts")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let roles: Vec<(&str, &str)> = contacts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["role"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect();
    // In the chain's order: the CISO first, the 管理者 last; nobody without a chain role.
    assert_eq!(roles[0].0, "ciso", "{contacts}");
    assert!(roles.contains(&("csirt", "対応 三郎")), "{contacts}");
    assert!(
        roles.contains(&("security_manager", "管理 花子")),
        "{contacts}"
    );
    assert!(roles.iter().all(|(_, name)| *name != "委託 四郎"));
    assert!(roles.iter().all(|(role, _)| *role != "auditor"));
    let manager = contacts
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "管理 花子")
        .unwrap();
    assert_eq!(manager["unit_id"], w.unit_a);
    assert_eq!(manager["org_id"], w.org);
    assert_eq!(manager["email"], "kanri.a@city.example.lg.jp");
    get("/api/v1/emergency-contacts")
        .token(&contractor.token)
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
}

/// 対応タスク: the CISO gives a task to a member of staff of another unit, who then sees the
/// incident and finds the task waiting, overdue; a stranger may not mark it done, its owner does
/// once; hostile input is refused with its field.
#[tokio::test]
async fn a_task_has_an_owner_who_finds_it_waiting_and_marks_it_done_once() {
    let w = world().await;
    let reported = post("/api/v1/incidents")
        .token(&w.staff_a.token)
        .json(json!({"title": "不審なメールの開封"}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    let path = format!("/api/v1/incidents/{}", reported["id"]);
    let owner = provision(&w.store, "tanto.b", "担当 五郎", Some(w.unit_b), None).await;
    // Not theirs to see before they own a task of it.
    get(&path)
        .token(&owner.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    post(&format!("{path}/tasks"))
        .token(&w.staff_a.token)
        .json(json!({"title": "作業", "owner_id": owner.person}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    let with_task = post(&format!("{path}/tasks"))
        .token(&w.ciso.token)
        .json(json!({"title": "端末を隔離する", "owner_id": owner.person, "due_on": "2000-01-31"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let task = &with_task["tasks"][0];
    assert_eq!(task["owner_name"], "担当 五郎");
    assert_eq!(task["due_on"], "2000-01-31");
    assert_eq!(task["overdue"], true);
    assert_eq!(with_task["open_tasks"], 1);
    assert_eq!(with_task["overdue_tasks"], 1);
    let seen = get(&path)
        .token(&owner.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(seen["tasks"][0]["title"], "端末を隔離する");
    let waiting = get("/api/v1/waiting")
        .token(&owner.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        waiting["incident_tasks"],
        json!([{"incident_id": reported["id"], "incident_title": "不審なメールの開封",
            "task_id": task["id"], "title": "端末を隔離する", "due_on": "2000-01-31",
            "overdue": true}])
    );
    let done_path = format!("{path}/tasks/{}/done", task["id"]);
    // The reporter sees the incident but owns no task of it.
    post(&done_path)
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    post(&done_path)
        .token(&w.auditor_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    post(&format!("{path}/tasks/999999/done"))
        .token(&owner.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    let done = post(&done_path)
        .token(&owner.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(done["tasks"][0]["done_by"], "tanto.b");
    assert!(done["tasks"][0]["done_at"].is_string());
    assert_eq!(done["tasks"][0]["overdue"], false);
    assert_eq!(done["open_tasks"], 0);
    post(&done_path)
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "incident.task_done");
    let waiting = get("/api/v1/waiting")
        .token(&owner.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(waiting["incident_tasks"], json!([]));

    for (body, field) in [
        (json!({"title": "", "owner_id": owner.person}), "title"),
        (json!({"title": "x"}), "owner"),
        (json!({"title": "x", "owner_id": -3}), "owner"),
        (
            json!({"title": "x", "owner_id": owner.person, "due_on": "2026-13-01"}),
            "due_on",
        ),
        (
            json!({"title": "a\u{202e}b", "owner_id": owner.person}),
            "title",
        ),
        (
            json!({"title": "x".repeat(201), "owner_id": owner.person}),
            "title",
        ),
    ] {
        let reply = post(&format!("{path}/tasks"))
            .token(&w.ciso.token)
            .json(body.clone())
            .send(&w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(reply["fields"][0]["field"], field, "{body}: {reply}");
    }
    post(&format!("{path}/tasks"))
        .token(&w.ciso.token)
        .json(json!({"title": "x", "owner_id": 999_999}))
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "incident.scope_missing");
    post(&format!("{path}/tasks"))
        .token(&w.ciso.token)
        .json(json!({"title": "x", "owner_id": owner.person, "extra": 1}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
}

/// 教訓: refused while the incident is open, recorded and rewritten once it is closed; the
/// review cites the closed incident, shows its severity and lessons, and the incident names the
/// review to those who read reviews.
#[tokio::test]
async fn lessons_follow_closing_and_a_review_cites_the_closed_incident() {
    let w = world().await;
    let reported = post("/api/v1/incidents")
        .token(&w.staff_a.token)
        .json(json!({"title": "住民票の誤交付"}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    let id = reported["id"].clone();
    let path = format!("/api/v1/incidents/{id}");
    let lessons = |body: Value| Call::new(Method::PUT, &format!("{path}/lessons")).json(body);
    lessons(json!({"lessons": "本人確認を二重にする"}))
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "incident.open");
    let review = post("/api/v1/reviews")
        .token(&w.ciso.token)
        .json(json!({"title": "見直し", "held_on": "2027-02-15"}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    let cite = format!("/api/v1/reviews/{}/incidents", review["id"]);
    post(&cite)
        .token(&w.ciso.token)
        .json(json!({"incident_ids": [id]}))
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "review.incident_open");
    post(&format!("{path}/triage"))
        .token(&w.ciso.token)
        .json(json!({"severity": "high"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    post(&format!("{path}/events"))
        .token(&w.ciso.token)
        .json(json!({"step": "closed"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    for (body, field) in [
        (json!({"lessons": "  "}), "lessons"),
        (json!({"lessons": "a\u{0}b"}), "lessons"),
        (json!({"lessons": "x".repeat(10_001)}), "lessons"),
    ] {
        let reply = lessons(body.clone())
            .token(&w.ciso.token)
            .send(&w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(reply["fields"][0]["field"], field, "{body}: {reply}");
    }
    lessons(json!({"lessons": "x"}))
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    lessons(json!({"lessons": "本人確認を二重にする"}))
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let learned = lessons(json!({"lessons": "交付前に二人で確認する"}))
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(learned["lessons"], "交付前に二人で確認する");
    assert!(learned["lessons_at"].is_string());

    for (body, field) in [
        (json!({"incident_ids": []}), "incidents"),
        (json!({"incident_ids": [0]}), "incidents"),
        (json!({"incident_ids": [-5]}), "incidents"),
    ] {
        let reply = post(&cite)
            .token(&w.ciso.token)
            .json(body.clone())
            .send(&w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(reply["fields"][0]["field"], field, "{body}: {reply}");
    }
    post(&cite)
        .token(&w.ciso.token)
        .json(json!({"incident_ids": [999_999]}))
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "review.input_missing");
    post(&cite)
        .token(&w.ciso.token)
        .json(json!({"incident_ids": "1"}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let cited = post(&cite)
        .token(&w.ciso.token)
        .json(json!({"incident_ids": [id]}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        cited["incidents"],
        json!([{"id": id, "title": "住民票の誤交付", "severity": "high",
            "lessons": "交付前に二人で確認する"}])
    );
    let seen = get(&path)
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        seen["cited_by"],
        json!([{"id": review["id"], "title": "見直し"}])
    );
    // The reporter follows the incident but does not read reviews.
    let seen = get(&path)
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(seen["cited_by"], json!([]));
}

/// インシデント候補: the gateway raises two; the CSIRT dismisses one with a reason and opens an
/// incident from the other, which keeps the link both ways; a member of staff sees none of it,
/// the 統括 reads but does not decide; hostile input is refused.
#[tokio::test]
async fn the_csirt_opens_an_incident_from_a_candidate_or_dismisses_it_with_a_reason() {
    use mamori_store::IncidentStore as _;
    let w = world().await;
    let csirt = provision(
        &w.store,
        "csirt",
        "対応 三郎",
        Some(w.unit_b),
        Some((Role::Csirt, Scope::Global)),
    )
    .await;
    let director = provision(
        &w.store,
        "tokatsu",
        "統括 四郎",
        Some(w.unit_a),
        Some((Role::SecurityDirector, Scope::Global)),
    )
    .await;
    let raise = async |reference: &str, summary: &str| {
        w.store
            .raise_incident_candidate(
                mamori_core::incident::CandidateSource::Gateway,
                reference,
                summary,
                &Origin::system("gateway candidates"),
            )
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let first = raise("q-0001", "[executable] attacker@example.com: 請求書").await;
    let second = raise("q-0002", "[encrypted-archive] sender@example.jp: 見積書").await;
    get("/api/v1/incident-candidates")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    let listed = get("/api/v1/incident-candidates")
        .token(&director.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["state"], "open");
    assert_eq!(listed[0]["source"], "gateway");
    let waiting = get("/api/v1/waiting")
        .token(&csirt.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(waiting["incident_candidates"].as_array().unwrap().len(), 2);
    post(&format!("/api/v1/incident-candidates/{first}/dismiss"))
        .token(&director.token)
        .json(json!({"reason": "誤検知"}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    for (body, field) in [
        (json!({"reason": ""}), "reason"),
        (json!({"reason": "  \n "}), "reason"),
        (json!({"reason": "a\u{0}"}), "reason"),
    ] {
        let reply = post(&format!("/api/v1/incident-candidates/{first}/dismiss"))
            .token(&csirt.token)
            .json(body.clone())
            .send(&w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(reply["fields"][0]["field"], field, "{body}: {reply}");
    }
    post(&format!("/api/v1/incident-candidates/{first}/dismiss"))
        .token(&csirt.token)
        .json(json!({}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let dismissed = post(&format!("/api/v1/incident-candidates/{first}/dismiss"))
        .token(&csirt.token)
        .json(json!({"reason": "取引先からの正規の実行ファイル"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(dismissed["state"], "dismissed");
    assert_eq!(dismissed["reason"], "取引先からの正規の実行ファイル");
    assert_eq!(dismissed["decided_by"], "csirt");
    post(&format!("/api/v1/incident-candidates/{first}/open"))
        .token(&csirt.token)
        .json(json!({}))
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "incident.candidate_decided");
    for (body, field) in [
        (json!({"title": "x".repeat(201)}), "title"),
        (json!({"title": "a\u{202e}b"}), "title"),
        (json!({"description": "a\u{0}"}), "description"),
    ] {
        let reply = post(&format!("/api/v1/incident-candidates/{second}/open"))
            .token(&csirt.token)
            .json(body.clone())
            .send(&w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(reply["fields"][0]["field"], field, "{body}: {reply}");
    }
    post("/api/v1/incident-candidates/999999/open")
        .token(&csirt.token)
        .json(json!({}))
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    // The title and description come from the candidate unless given.
    let opened = post(&format!("/api/v1/incident-candidates/{second}/open"))
        .token(&csirt.token)
        .json(json!({}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(
        opened["title"],
        "[encrypted-archive] sender@example.jp: 見積書"
    );
    assert!(
        opened["description"]
            .as_str()
            .unwrap()
            .ends_with("gateway: q-0002")
    );
    assert_eq!(
        opened["raised_from"],
        json!({"candidate_id": second, "source": "gateway", "reference": "q-0002"})
    );
    let listed = get("/api/v1/incident-candidates")
        .token(&csirt.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let candidate = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == second)
        .unwrap();
    assert_eq!(candidate["state"], "opened");
    assert_eq!(candidate["incident_id"], opened["id"]);
    let waiting = get("/api/v1/waiting")
        .token(&csirt.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(waiting["incident_candidates"], json!([]));
}
