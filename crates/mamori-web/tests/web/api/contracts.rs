//! 委託事業者, contracts and 指定管理者 through the API: a contract registered with its
//! requirements is flagged for the mandatory ones it lacks and for checks overdue, a 管理者
//! records checks until the flag clears, the contractor's account reads the contract, the asset
//! and the 対策基準 it names and nothing else, and hostile input is refused with its field.

use super::*;

/// Today in Japan, as the server counts it.
fn today() -> String {
    use mamori_core::Clock as _;
    mamori_core::time::jst_date(SystemClock.now_ms())
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_contract_is_flagged_checked_and_read_by_its_contractor_alone() {
    let w = world().await;
    let unit_b = UnitId(w.unit_b);
    let manager = provision(
        &w.store,
        "manager.b",
        "管理 三子",
        Some(w.unit_b),
        Some((Role::SecurityManager, Scope::Unit(unit_b))),
    )
    .await;
    let vendor = provision(
        &w.store,
        "vendor.b",
        "委託 業者",
        Some(w.unit_b),
        Some((Role::Contractor, Scope::Unit(unit_b))),
    )
    .await;
    let other_vendor = provision(
        &w.store,
        "vendor.c",
        "別の 業者",
        Some(w.unit_b),
        Some((Role::Contractor, Scope::Unit(unit_b))),
    )
    .await;
    let asset = |name: &str| {
        post("/api/v1/assets").token(&w.ciso.token).json(json!({
            "kind": "system", "name": name, "owner_unit_id": w.unit_b,
            "confidentiality": "2", "integrity": "2", "availability": "2",
        }))
    };
    let named = asset("人事給与システム")
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    let other = asset("文書管理システム")
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    const TEXT: &str = "対策基準\n1 目的\n情報資産を守る。\n";
    let standard = |title: &str| {
        post("/api/v1/policies")
            .token(&w.ciso.token)
            .json(json!({"org_id": w.org, "tier": "standard", "title": title, "text": TEXT}))
    };
    let standard_named = standard("情報セキュリティ対策基準")
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["policy_id"]
        .clone();
    let standard_other = standard("クラウド利用基準")
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["policy_id"]
        .clone();
    for id in [&standard_named, &standard_other] {
        post(&format!("/api/v1/policies/{id}/versions/1/submit"))
            .token(&w.ciso.token)
            .send(&w.app)
            .await
            .expect(StatusCode::OK);
    }

    let company = post("/api/v1/contractors")
        .token(&w.ciso.token)
        .json(
            json!({"name": "株式会社まもり保守", "address": "東京都千代田区1-1",
            "contact_person": "保守 太郎", "phone": "03-1234-5678",
            "email": "support@hoshu.example.jp"}),
        )
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    let contract = post("/api/v1/contracts")
        .token(&w.ciso.token)
        .json(json!({
            "contractor_id": company["id"], "title": "人事給与システム保守",
            "description": "保守・障害対応", "unit_id": w.unit_b,
            "starts_on": "2020-04-01", "ends_on": "2099-03-31", "assets": [named],
            "classes": ["2"], "requirements": ["incident_reporting", "confidentiality"],
            "people": [vendor.person], "policies": [standard_named],
        }))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(
        contract["requirements"],
        json!(["confidentiality", "incident_reporting"])
    );
    assert_eq!(
        contract["flags"]["missing_requirements"],
        json!(["subcontracting", "return_disposal"])
    );
    assert_eq!(
        contract["flags"]["unverified"], true,
        "unchecked since 2020"
    );
    assert_eq!(contract["flags"]["ending_soon"], false);
    let path = format!("/api/v1/contracts/{}", contract["id"]);
    // It waits for the unit's 管理者, who checks it.
    let waiting = get("/api/v1/waiting")
        .token(&manager.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(waiting["agreements"][0]["id"], contract["id"]);
    assert_eq!(waiting["agreements"][0]["unverified"], true);

    // The contractor reads their contract, its asset and its 対策基準 in review; nothing else.
    let mine = get("/api/v1/contracts")
        .token(&vendor.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(mine.as_array().unwrap().len(), 1);
    get(&path)
        .token(&vendor.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    get(&format!("/api/v1/assets/{named}"))
        .token(&vendor.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    get(&format!("/api/v1/assets/{other}"))
        .token(&vendor.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    get(&format!("/api/v1/policies/{standard_named}/versions/1"))
        .token(&vendor.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    get(&format!("/api/v1/policies/{standard_other}/versions/1"))
        .token(&vendor.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    get("/api/v1/contractors")
        .token(&vendor.token)
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    // Another contractor sees none of it.
    assert_eq!(
        get("/api/v1/contracts")
            .token(&other_vendor.token)
            .send(&w.app)
            .await
            .expect(StatusCode::OK),
        json!([])
    );
    get(&path)
        .token(&other_vendor.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    get(&format!("/api/v1/assets/{named}"))
        .token(&other_vendor.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");

    // The contractor does not check themselves; the unit's 管理者 does, for each requirement.
    let check = |requirement: &str, note: &str| {
        post(&format!("{path}/verifications")).json(json!({
            "requirement": requirement, "outcome": "met", "checked_on": today(), "note": note,
        }))
    };
    check("confidentiality", "誓約書")
        .token(&vendor.token)
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    check("subcontracting", "再委託なし")
        .token(&manager.token)
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "agreement.requirement_not_carried");
    let once = check("confidentiality", "誓約書を確認")
        .token(&manager.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(once["flags"]["unverified"], true, "one requirement left");
    let twice = check("incident_reporting", "連絡体制表を確認")
        .token(&manager.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(twice["flags"]["unverified"], false);
    assert_eq!(twice["verifications"][1]["checked_by"], "manager.b");
    assert_eq!(twice["verifications"][1]["outcome"], "met");

    // The contract ends: its people lose what it named at once.
    let mut ended = json!({
        "contractor_id": company["id"], "title": "人事給与システム保守", "unit_id": w.unit_b,
        "starts_on": "2020-04-01", "ends_on": "2021-03-31", "assets": [named],
        "requirements": ["confidentiality", "incident_reporting"],
        "people": [vendor.person], "policies": [standard_named],
    });
    let after = Call::new(Method::PUT, &path)
        .token(&w.ciso.token)
        .json(ended.clone())
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(after["flags"]["ended"], true);
    assert_eq!(
        after["verifications"].as_array().unwrap().len(),
        2,
        "checks kept"
    );
    get(&format!("/api/v1/assets/{named}"))
        .token(&vendor.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    get(&format!("/api/v1/policies/{standard_named}/versions/1"))
        .token(&vendor.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");

    // Every write is in the audit trail.
    let trail = get("/api/v1/audit?limit=200")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK)
        .to_string();
    for action in [
        "contractor.create",
        "agreement.create",
        "agreement.verify",
        "agreement.update",
    ] {
        assert!(trail.contains(action), "{action} not in the trail");
    }

    // What the store refuses: a person without the contractor role, a basic policy.
    ended["people"] = json!([w.person_b]);
    Call::new(Method::PUT, &path)
        .token(&w.ciso.token)
        .json(ended.clone())
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "agreement.person_not_contractor");
    ended["people"] = json!([]);
    ended["policies"] = json!([999_999]);
    Call::new(Method::PUT, &path)
        .token(&w.ciso.token)
        .json(ended)
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "agreement.scope_missing");
}

#[tokio::test]
async fn a_designated_manager_agreement_is_checked_like_a_contract() {
    let w = world().await;
    let made = post("/api/v1/designated-managers")
        .token(&w.ciso.token)
        .json(json!({
            "title": "区民文化センター", "managing_body": "公益財団法人まもり文化振興会",
            "unit_id": w.unit_b, "starts_on": "2020-04-01", "ends_on": "2099-03-31",
            "classes": ["2", "1"],
            "requirements": ["subcontracting", "confidentiality", "incident_reporting",
                "return_disposal"],
        }))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(made["kind"], "designated");
    assert_eq!(made["classes"], json!(["2", "1"]), "the higher level first");
    assert_eq!(made["flags"]["missing_requirements"], json!([]));
    let path = format!("/api/v1/designated-managers/{}", made["id"]);
    // Not a contract: the contracts' routes do not know it, nor it theirs.
    get(&format!("/api/v1/contracts/{}", made["id"]))
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    let checked = post(&format!("{path}/verifications"))
        .token(&w.ciso.token)
        .json(
            json!({"requirement": "return_disposal", "outcome": "not_met",
            "checked_on": today(), "link": "\\\\fileserver\\checks\\2026.pdf"}),
        )
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(checked["verifications"][0]["outcome"], "not_met");
    // The auditor reads it but does not check it.
    get(&path)
        .token(&w.auditor_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    post(&format!("{path}/verifications"))
        .token(&w.auditor_a.token)
        .json(json!({"requirement": "confidentiality", "outcome": "met",
            "checked_on": today(), "note": "確認"}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn hostile_agreements_and_checks_are_refused_with_their_fields() {
    let w = world().await;
    let company = post("/api/v1/contractors")
        .token(&w.ciso.token)
        .json(json!({"name": "株式会社まもり保守"}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    let fields = |reply: Reply| -> Vec<String> {
        reply.error(StatusCode::UNPROCESSABLE_ENTITY, "invalid")["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap().to_owned())
            .collect()
    };
    let contract = |body: Value| post("/api/v1/contracts").token(&w.ciso.token).json(body);
    // Everything wrong at once: each field named.
    let refused = contract(json!({
        "title": "\u{0}", "unit_id": -1, "starts_on": "2027-04-01", "ends_on": "2026-03-31",
        "requirements": ["<script>"], "classes": ["9"], "assets": [0],
        "managing_body": "指定管理者",
    }))
    .send(&w.app)
    .await;
    let mut got = fields(refused);
    got.sort();
    assert_eq!(
        got,
        [
            "assets",
            "classes",
            "contractor",
            "ends_on",
            "managing_body",
            "requirements",
            "title",
            "unit"
        ]
    );
    // A 指定管理 agreement takes no contractor, people or documents.
    let mut got = fields(
        post("/api/v1/designated-managers")
            .token(&w.ciso.token)
            .json(json!({
                "contractor_id": company["id"], "title": "施設", "unit_id": w.unit_b,
                "starts_on": "2026-04-01", "ends_on": "2027-03-31", "people": [1],
                "policies": [1],
            }))
            .send(&w.app)
            .await,
    );
    got.sort();
    assert_eq!(got, ["contractor", "managing_body", "people", "policies"]);
    // Unknown fields, wrong types and a huge body are refused, never a 5xx.
    for body in [
        json!({"title": "x", "unit_id": w.unit_b, "starts_on": "", "ends_on": "", "extra": 1}),
        json!({"title": 7, "unit_id": "b", "starts_on": [], "ends_on": {}}),
        json!({"title": "長".repeat(20_000), "contractor_id": company["id"],
            "unit_id": w.unit_b, "starts_on": "2026-04-01", "ends_on": "2027-03-31"}),
    ] {
        let reply = contract(body).send(&w.app).await;
        assert!(reply.status.is_client_error(), "{}", reply.status);
    }
    // A contractor whose fields are all wrong.
    let mut got = fields(
        post("/api/v1/contractors")
            .token(&w.ciso.token)
            .json(json!({"name": "", "phone": "<b>", "email": "a@@b", "address": "a\nb"}))
            .send(&w.app)
            .await,
    );
    got.sort();
    assert_eq!(got, ["address", "email", "name", "phone"]);
    // A check in the future, of no requirement, without evidence.
    let made = contract(json!({
        "contractor_id": company["id"], "title": "保守", "unit_id": w.unit_b,
        "starts_on": "2026-04-01", "ends_on": "2099-03-31", "requirements": ["confidentiality"],
    }))
    .send(&w.app)
    .await
    .expect(StatusCode::CREATED);
    let mut got = fields(
        post(&format!("/api/v1/contracts/{}/verifications", made["id"]))
            .token(&w.ciso.token)
            .json(
                json!({"requirement": "", "outcome": "ok", "checked_on": "2999-01-01",
                "link": "javascript:alert(1)"}),
            )
            .send(&w.app)
            .await,
    );
    got.sort();
    assert_eq!(got, ["checked_on", "link", "outcome", "requirement"]);
}
