//! 自己点検, 指摘事項 and 是正処置 through the API: a campaign for unit B answered by its
//! 管理者, refused sign-off while an item is unanswered, the 未実施 and 一部実施 answers becoming
//! findings at the 責任者's sign-off, last year's answers beside this year's, an action reported
//! done by its owner and verified by an auditor (never by the owner, never by an auditor of the
//! unit), overdue flags, what waits on the home page, and hostile input.

use super::*;

struct Assurance {
    w: World,
    manager: Member,
    officer: Member,
    catalogue: Value,
}

async fn assurance() -> Assurance {
    let w = world().await;
    let manager = provision(
        &w.store,
        "manager.b",
        "管理 三子",
        Some(w.unit_b),
        Some((Role::SecurityManager, Scope::Unit(UnitId(w.unit_b)))),
    )
    .await;
    let officer = provision(
        &w.store,
        "officer",
        "責任 太郎",
        Some(w.unit_a),
        Some((
            Role::SecurityOfficer,
            Scope::Organisation(mamori_core::OrgId(w.org)),
        )),
    )
    .await;
    let catalogue = post("/api/v1/catalogues")
        .token(&w.ciso.token)
        .raw("application/yaml", mamori_core::controls::BUILTIN_YAML)
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    Assurance {
        w,
        manager,
        officer,
        catalogue,
    }
}

impl Assurance {
    async fn campaign(&self, year: i64, due_on: &str) -> Value {
        post("/api/v1/inspections")
            .token(&self.w.ciso.token)
            .json(
                json!({"year": year, "title": format!("{year}年度 自己点検"),
                "catalogue_id": self.catalogue, "due_on": due_on, "unit_ids": [self.w.unit_b]}),
            )
            .send(&self.w.app)
            .await
            .expect(StatusCode::CREATED)
    }

    fn sheet(&self, campaign: &Value) -> String {
        format!(
            "/api/v1/inspections/{}/units/{}",
            campaign["id"], self.w.unit_b
        )
    }

    async fn items(&self, campaign: &Value) -> Vec<Value> {
        get(&self.sheet(campaign))
            .token(&self.manager.token)
            .send(&self.w.app)
            .await
            .expect(StatusCode::OK)["items"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// Answers an item on the unit's checklist, which fills the open campaign's item.
    async fn answer(&self, measure: &Value, status: &str) {
        post(&format!(
            "/api/v1/catalogues/{}/units/{}/answers",
            self.catalogue, self.w.unit_b
        ))
        .token(&self.manager.token)
        .json(json!({"measure": measure, "status": status,
                "reason": if status == "not_applicable" { "該当なし" } else { "" },
                "note": format!("{status} の根拠")}))
        .send(&self.w.app)
        .await
        .expect(StatusCode::CREATED);
    }

    /// Answers every item: the first `not`, the second `partly`, the rest `implemented`.
    async fn answer_all(&self, campaign: &Value, odd: bool) -> Vec<Value> {
        let items = self.items(campaign).await;
        for (i, item) in items.iter().enumerate() {
            let status = match i {
                0 if odd => "not",
                1 if odd => "partly",
                _ => "implemented",
            };
            self.answer(&item["measure_code"], status).await;
        }
        items
    }

    async fn sign_off(&self, campaign: &Value) -> Value {
        post(&format!("{}/sign-off", self.sheet(campaign)))
            .token(&self.officer.token)
            .json(json!({"note": "内容を確認した"}))
            .send(&self.w.app)
            .await
            .expect(StatusCode::OK)
    }
}

#[tokio::test]
async fn inspection_runs_from_assignment_to_sign_off_and_its_not_answers_become_findings() {
    let a = assurance().await;
    let last = a.campaign(2025, "2026-01-31").await;
    a.answer_all(&last, false).await;
    a.sign_off(&last).await;

    let this = a.campaign(2026, "2027-01-31").await;
    assert_eq!(
        (this["units"].as_i64(), this["signed"].as_i64()),
        (Some(1), Some(0))
    );
    let items = a.items(&this).await;
    assert!(items.len() > 2, "{items:?}");
    assert!(items.iter().all(|i| i["answer"].is_null()));
    assert!(items.iter().all(|i| i["last_year"] == "implemented"));

    // The campaign waits on the manager's home page until every item is answered.
    let waiting = get("/api/v1/waiting")
        .token(&a.manager.token)
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(waiting["inspections"][0]["to_sign"], false);
    assert_eq!(waiting["inspections"][0]["answered"], 0);

    a.answer(&items[0]["measure_code"], "not").await;
    post(&format!("{}/sign-off", a.sheet(&this)))
        .token(&a.officer.token)
        .json(json!({}))
        .send(&a.w.app)
        .await
        .error(StatusCode::CONFLICT, "inspection.incomplete");
    let board = get(&format!("/api/v1/inspections/{}", this["id"]))
        .token(&a.officer.token)
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(board["units"][0]["progress"]["answered"], 1);
    assert_eq!(board["units"][0]["progress"]["not"], 1);
    assert_eq!(board["units"][0]["overdue"], false);
    let chapters = board["chapters"].as_array().unwrap();
    let counted: i64 = chapters
        .iter()
        .map(|c| c["progress"]["items"].as_i64().unwrap())
        .sum();
    assert_eq!(counted as usize, items.len());

    a.answer_all(&this, true).await;
    // Complete: it now waits for the officer's sign-off, not for the manager.
    let waiting = get("/api/v1/waiting")
        .token(&a.officer.token)
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(waiting["inspections"][0]["to_sign"], true);
    // The unit's own 管理者 does not sign off.
    post(&format!("{}/sign-off", a.sheet(&this)))
        .token(&a.manager.token)
        .json(json!({}))
        .send(&a.w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    let signed = a.sign_off(&this).await;
    assert_eq!(signed["signed"]["by"], "officer");
    let raised = signed["finding_ids"].as_array().unwrap();
    assert_eq!(raised.len(), 2, "{signed}");

    let findings = get(&format!("/api/v1/findings?inspection={}", this["id"]))
        .token(&a.officer.token)
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    let findings = findings.as_array().unwrap();
    assert_eq!(findings.len(), 2);
    let kinds: BTreeSet<&str> = findings
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, BTreeSet::from(["minor", "observation"]));
    let minor = findings.iter().find(|f| f["kind"] == "minor").unwrap();
    assert_eq!(minor["source"], "inspection");
    assert_eq!(minor["measure_code"], items[0]["measure_code"]);
    assert_eq!(minor["description"], "not の根拠");
    assert!(!minor["clause"].as_str().unwrap().is_empty());

    // An answer after the sign-off changes the checklist, not the signed result.
    a.answer(&items[0]["measure_code"], "implemented").await;
    let kept = a.items(&this).await;
    assert_eq!(kept[0]["answer"]["status"], "not");
    // The 監査人 of unit A sees the campaign; the member of staff does not.
    get(&format!("/api/v1/inspections/{}", this["id"]))
        .token(&a.w.staff_a.token)
        .send(&a.w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    let listed = get("/api/v1/inspections")
        .token(&a.w.staff_a.token)
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn actions_are_verified_by_an_auditor_outside_the_unit_never_by_their_owner() {
    let a = assurance().await;
    let auditor_b = provision(
        &a.w.store,
        "auditor.b",
        "監査 五郎",
        Some(a.w.unit_b),
        Some((Role::Auditor, Scope::Global)),
    )
    .await;
    let owner = provision(&a.w.store, "owner.b", "担当 六子", Some(a.w.unit_b), None).await;
    let finding = post("/api/v1/findings")
        .token(&a.w.auditor_a.token)
        .json(
            json!({"unit_id": a.w.unit_b, "kind": "major", "measure": "M-1.1.1",
            "clause": "6(1)", "description": "体制図が古い"}),
        )
        .send(&a.w.app)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(finding["source"], "audit");
    assert!(finding["measure_urn"].as_str().unwrap().starts_with("urn:"));
    // An auditor of the unit neither sees nor grades its findings.
    get(&format!("/api/v1/findings/{}", finding["id"]))
        .token(&auditor_b.token)
        .send(&a.w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");

    let action = post(&format!("/api/v1/findings/{}/actions", finding["id"]))
        .token(&a.manager.token)
        .json(
            json!({"description": "体制図を改める", "owner_id": owner.person,
            "due_on": "2020-04-30"}),
        )
        .send(&a.w.app)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(action["state"], "open");
    assert_eq!(action["overdue"], true);
    let overdue = get("/api/v1/findings?overdue=true")
        .token(&a.w.ciso.token)
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(overdue.as_array().unwrap().len(), 1);
    // The owner, without any role, sees the finding through the action and has it waiting.
    get(&format!("/api/v1/findings/{}", finding["id"]))
        .token(&owner.token)
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    let waiting = get("/api/v1/waiting")
        .token(&owner.token)
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(waiting["actions_due"][0]["id"], action["id"]);

    let path = format!("/api/v1/corrective-actions/{}", action["id"]);
    post(&format!("{path}/complete"))
        .token(&owner.token)
        .json(json!({"note": ""}))
        .send(&a.w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let done = post(&format!("{path}/complete"))
        .token(&owner.token)
        .json(json!({"note": "改めた体制図を掲示した"}))
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(done["state"], "done");
    assert_eq!(done["overdue"], false);
    for refused in [&owner, &a.manager] {
        post(&format!("{path}/verify"))
            .token(&refused.token)
            .json(json!({"accepted": true}))
            .send(&a.w.app)
            .await
            .error(StatusCode::FORBIDDEN, "forbidden");
    }
    post(&format!("{path}/verify"))
        .token(&auditor_b.token)
        .json(json!({"accepted": true}))
        .send(&a.w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    let waiting = get("/api/v1/waiting")
        .token(&a.w.auditor_a.token)
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(waiting["actions_to_verify"][0]["id"], action["id"]);
    // Sending back says why.
    post(&format!("{path}/verify"))
        .token(&a.w.auditor_a.token)
        .json(json!({"accepted": false}))
        .send(&a.w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let verified = post(&format!("{path}/verify"))
        .token(&a.w.auditor_a.token)
        .json(json!({"accepted": true, "note": "掲示を確認"}))
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(verified["state"], "verified");
    let closed = get(&format!("/api/v1/findings/{}", finding["id"]))
        .token(&a.w.ciso.token)
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    assert!(closed["closed_at"].is_string());
    post(&format!("/api/v1/findings/{}/grade", finding["id"]))
        .token(&a.w.ciso.token)
        .json(json!({"kind": "minor", "description": "x"}))
        .send(&a.w.app)
        .await
        .error(StatusCode::CONFLICT, "finding.closed");
}

#[tokio::test]
async fn assurance_hostile_input_is_refused_with_its_field() {
    let a = assurance().await;
    let campaign = |body: Value| {
        post("/api/v1/inspections")
            .token(&a.w.ciso.token)
            .json(body)
    };
    for (body, field) in [
        (
            json!({"year": 1999, "title": "t", "catalogue_id": a.catalogue, "due_on": "2027-01-31"}),
            "year",
        ),
        (
            json!({"year": 2026, "title": "", "catalogue_id": a.catalogue, "due_on": "2027-01-31"}),
            "title",
        ),
        (
            json!({"year": 2026, "title": "t", "catalogue_id": 99999, "due_on": "2027-01-31"}),
            "catalogue",
        ),
        (
            json!({"year": 2026, "title": "t", "catalogue_id": a.catalogue, "due_on": "2027-02-30"}),
            "due_on",
        ),
        (
            json!({"year": 2026, "title": "t", "catalogue_id": a.catalogue, "due_on": "2027-01-31", "unit_ids": [99999]}),
            "units",
        ),
        (
            json!({"year": 2026, "title": "t\u{202e}", "catalogue_id": a.catalogue, "due_on": "2027-01-31"}),
            "title",
        ),
    ] {
        let reply = campaign(body.clone())
            .send(&a.w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert!(
            reply["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["field"] == field),
            "{body}: {reply}"
        );
    }
    campaign(
        json!({"year": 2026, "title": "t", "catalogue_id": a.catalogue,
        "due_on": "2027-01-31", "extra": 1}),
    )
    .send(&a.w.app)
    .await
    .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    a.campaign(2026, "2027-01-31").await;
    campaign(
        json!({"year": 2026, "title": "again", "catalogue_id": a.catalogue,
        "due_on": "2027-01-31"}),
    )
    .send(&a.w.app)
    .await
    .error(StatusCode::CONFLICT, "inspection.year_taken");

    let finding = |body: Value| post("/api/v1/findings").token(&a.w.ciso.token).json(body);
    for (body, field) in [
        (
            json!({"unit_id": a.w.unit_b, "kind": "grave", "description": "x"}),
            "kind",
        ),
        (
            json!({"unit_id": a.w.unit_b, "kind": "minor", "description": " "}),
            "description",
        ),
        (
            json!({"unit_id": a.w.unit_b, "kind": "minor", "description": "x", "measure": "M-99"}),
            "measure",
        ),
        (
            json!({"unit_id": 99999, "kind": "minor", "description": "x"}),
            "unit",
        ),
        (
            json!({"unit_id": a.w.unit_b, "kind": "minor", "description": "a\u{7}b"}),
            "description",
        ),
    ] {
        let reply = finding(body.clone())
            .send(&a.w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert!(
            reply["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["field"] == field),
            "{body}: {reply}"
        );
    }
    let made = finding(json!({"unit_id": a.w.unit_b, "kind": "minor", "description": "x"}))
        .send(&a.w.app)
        .await
        .expect(StatusCode::CREATED);
    let actions = format!("/api/v1/findings/{}/actions", made["id"]);
    post(&actions)
        .token(&a.w.ciso.token)
        .json(json!({"description": "x", "owner_id": 99999, "due_on": "2027-01-31"}))
        .send(&a.w.app)
        .await
        .error(StatusCode::CONFLICT, "action.owner_missing");
    for (body, field) in [
        (
            json!({"description": "x", "owner_id": a.w.person_b, "due_on": "tomorrow"}),
            "due_on",
        ),
        (
            json!({"description": "", "owner_id": a.w.person_b, "due_on": "2027-01-31"}),
            "description",
        ),
        (
            json!({"description": "x", "owner_id": -1, "due_on": "2027-01-31"}),
            "owner",
        ),
    ] {
        let reply = post(&actions)
            .token(&a.w.ciso.token)
            .json(body.clone())
            .send(&a.w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert!(
            reply["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["field"] == field),
            "{body}: {reply}"
        );
    }
    get("/api/v1/findings?kind=grave")
        .token(&a.w.ciso.token)
        .send(&a.w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
}

#[tokio::test]
async fn exceptions_are_decided_by_the_ciso_and_flagged_when_expired_or_reported_late() {
    let a = assurance().await;
    let body = |extra: Value| {
        let mut body = json!({"unit_id": a.w.unit_b, "measure": "M-1.1.1",
            "reason": "旧OSの更新待ち", "compensating": "ネットワークから分離",
            "until": "2099-03-31"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let asked = post("/api/v1/exceptions")
        .token(&a.manager.token)
        .json(body(json!({})))
        .send(&a.w.app)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(asked["state"], "requested");
    assert_eq!(asked["expired"], false);
    // The CISO sees it waiting, decides it; the manager may not.
    let waiting = get("/api/v1/waiting")
        .token(&a.w.ciso.token)
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(waiting["exceptions"][0]["id"], asked["id"]);
    let decide = format!("/api/v1/exceptions/{}/decide", asked["id"]);
    post(&decide)
        .token(&a.manager.token)
        .json(json!({"approve": true}))
        .send(&a.w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    let approved = post(&decide)
        .token(&a.w.ciso.token)
        .json(json!({"approve": true, "note": "期限内に更新すること"}))
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(approved["state"], "approved");
    post(&decide)
        .token(&a.w.ciso.token)
        .json(json!({"approve": false}))
        .send(&a.w.app)
        .await
        .error(StatusCode::CONFLICT, "exception.decided");

    // An emergency taken long ago is reported late; one approved and past its end is expired
    // (made through the store: the API refuses an end in the past).
    let long_ago = post("/api/v1/exceptions")
        .token(&a.manager.token)
        .json(body(json!({"emergency": true, "taken_on": "2020-01-01"})))
        .send(&a.w.app)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(long_ago["state"], "emergency");
    assert_eq!(long_ago["reported_late"], true);
    let manager = a.w.store.actor(a.manager.user).await.unwrap().unwrap();
    let (catalogue, urn) = mamori_store::ControlStore::find_measure(&*a.w.store, "M-1.1.1")
        .await
        .unwrap()
        .unwrap();
    let old = mamori_store::ExceptionStore::request_exception(
        &*a.w.store,
        &mamori_core::authz::authorize::<mamori_core::authz::RequestException>(
            &manager,
            &(mamori_core::OrgId(a.w.org), UnitId(a.w.unit_b)),
        )
        .unwrap(),
        mamori_store::NewException {
            catalogue,
            measure_urn: urn,
            unit: UnitId(a.w.unit_b),
            reason: "旧".into(),
            compensating: "分離".into(),
            until: chrono::NaiveDate::from_ymd_opt(2020, 3, 31).unwrap(),
            taken_on: None,
        },
        &mamori_store::Origin::system("test"),
    )
    .await
    .unwrap();
    let expired = post(&format!("/api/v1/exceptions/{}/decide", old.id.0))
        .token(&a.w.ciso.token)
        .json(json!({"approve": true}))
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(expired["expired"], true);

    for (extra, field) in [
        (json!({"until": "2020-01-01"}), "until"),
        (json!({"reason": ""}), "reason"),
        (json!({"compensating": "a\u{0}"}), "compensating"),
        (json!({"measure": "M-99.99"}), "measure"),
        (json!({"emergency": true}), "taken_on"),
        (
            json!({"emergency": true, "taken_on": "2999-01-01"}),
            "taken_on",
        ),
        (json!({"taken_on": "2020-01-01"}), "taken_on"),
    ] {
        let reply = post("/api/v1/exceptions")
            .token(&a.manager.token)
            .json(body(extra.clone()))
            .send(&a.w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert!(
            reply["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["field"] == field),
            "{extra}: {reply}"
        );
    }
    // The member of staff of unit A sees none of unit B's exceptions.
    let seen = get("/api/v1/exceptions")
        .token(&a.w.staff_a.token)
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(seen, json!([]));
}

#[tokio::test]
async fn a_review_names_its_inputs_and_the_versions_it_led_to_both_ways() {
    let a = assurance().await;
    let campaign = a.campaign(2026, "2027-01-31").await;
    const TEXT: &str = "基本方針\n1 目的\n情報資産を守る。\n";
    let policy = post("/api/v1/policies")
        .token(&a.officer.token)
        .json(json!({"org_id": a.w.org, "tier": "basic", "title": "基本方針", "text": TEXT}))
        .send(&a.w.app)
        .await
        .expect(StatusCode::CREATED)["policy_id"]
        .clone();
    let incident = post("/api/v1/incidents")
        .token(&a.w.staff_a.token)
        .json(json!({"title": "USBメモリの紛失"}))
        .send(&a.w.app)
        .await
        .expect(StatusCode::CREATED);
    // A review cites an incident once it is closed.
    post(&format!("/api/v1/incidents/{}/events", incident["id"]))
        .token(&a.w.ciso.token)
        .json(json!({"step": "closed"}))
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    let review = post("/api/v1/reviews")
        .token(&a.w.ciso.token)
        .json(json!({"title": "令和8年度 見直し", "held_on": "2027-02-15",
            "environment": "生成AIの業務利用", "decisions": "利用規定を加える",
            "inspection_ids": [campaign["id"]], "incident_ids": [incident["id"]]}))
        .send(&a.w.app)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(review["inputs"][0]["kind"], "inspection");
    assert_eq!(review["inputs"][0]["title"], "2026年度 自己点検");
    assert_eq!(review["inputs"][1]["kind"], "incident");
    assert_eq!(review["inputs"][1]["title"], "USBメモリの紛失");
    let linked = post(&format!("/api/v1/reviews/{}/versions", review["id"]))
        .token(&a.w.ciso.token)
        .json(json!({"policy_id": policy, "version": 1}))
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(linked["versions"][0]["version"], 1);
    let version = get(&format!("/api/v1/policies/{policy}/versions/1"))
        .token(&a.officer.token)
        .send(&a.w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(version["reviews"][0]["id"], review["id"]);
    for (body, code) in [
        (
            json!({"policy_id": policy, "version": 9}),
            "review.version_missing",
        ),
        (
            json!({"policy_id": 999_999, "version": 1}),
            "review.version_missing",
        ),
    ] {
        post(&format!("/api/v1/reviews/{}/versions", review["id"]))
            .token(&a.w.ciso.token)
            .json(body)
            .send(&a.w.app)
            .await
            .error(StatusCode::CONFLICT, code);
    }
    post("/api/v1/reviews")
        .token(&a.w.ciso.token)
        .json(json!({"title": "x", "held_on": "2027-02-15", "risk_ids": [999_999]}))
        .send(&a.w.app)
        .await
        .error(StatusCode::CONFLICT, "review.input_missing");
    let reply = post("/api/v1/reviews")
        .token(&a.w.ciso.token)
        .json(json!({"title": "", "held_on": "2027-02-30", "audit_ids": [-1]}))
        .send(&a.w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let fields: BTreeSet<&str> = reply["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, BTreeSet::from(["title", "held_on", "audits"]));
}
