//! 情報セキュリティポリシー through the API and the pages: the seed imported and read back clause
//! by clause, the steps and their segregation of duties, amendments compared and superseded, the
//! published page, confirmations, and texts that cannot be read.

use super::*;

/// The 基本方針 the project implements, kept beside the repository.
pub(super) fn seed() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/seed/000_d561eb961f93c129.txt"
    );
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("the seed policy at {path}: {e}"))
}

/// The world with an officer of its organisation, who drafts; the CISO approves.
pub(super) async fn with_officer() -> (World, Member) {
    let w = world().await;
    let officer = provision(
        &w.store,
        "officer",
        "責任 太郎",
        Some(w.unit_b),
        Some((
            Role::SecurityOfficer,
            Scope::Organisation(mamori_core::OrgId(w.org)),
        )),
    )
    .await;
    (w, officer)
}

async fn import(w: &World, who: &Member, tier: &str, title: &str, text: &str) -> Reply {
    post("/api/v1/policies")
        .token(&who.token)
        .json(json!({"org_id": w.org, "tier": tier, "title": title, "text": text}))
        .send(&w.app)
        .await
}

fn find<'a>(clauses: &'a Value, anchor: &str) -> Option<&'a Value> {
    clauses.as_array()?.iter().find_map(|c| {
        if c["anchor"] == anchor {
            Some(c)
        } else {
            find(&c["children"], anchor)
        }
    })
}

#[tokio::test]
async fn the_seed_is_imported_clause_by_clause_and_read_back() {
    let (w, officer) = with_officer().await;
    let made = import(&w, &officer, "basic", "情報セキュリティ基本方針", &seed())
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(made["version"], 1);
    assert_eq!(made["sections"], 12);
    assert_eq!(
        made["supplementary"],
        json!([
            "2012-04-01",
            "2015-08-16",
            "2020-04-01",
            "2021-03-01",
            "2022-04-01",
            "2026-04-01"
        ])
    );
    let id = made["policy_id"].as_i64().unwrap();
    let version = get(&format!("/api/v1/policies/{id}/versions/1"))
        .token(&officer.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(version["tier"], "basic");
    assert_eq!(version["state"], "draft");
    assert_eq!(version["effective_from"], Value::Null);
    let sections = version["clauses"].as_array().unwrap();
    assert_eq!(sections.len(), 12);
    assert_eq!(sections[0]["anchor"], "1");
    assert_eq!(sections[0]["title"], "目的");
    let six = find(&version["clauses"], "6").unwrap();
    let items: Vec<&str> = six["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["anchor"].as_str().unwrap())
        .collect();
    assert_eq!(
        items,
        [
            "6(1)", "6(2)", "6(3)", "6(4)", "6(5)", "6(6)", "6(7)", "6(8)", "6(9)"
        ]
    );
    let sub = find(&version["clauses"], "6(3)ア").expect("6(3)ア");
    assert_eq!(sub["number"], "ア");
    assert!(!sub["text"].as_str().unwrap().is_empty());
    let supplementary = version["supplementary"].as_array().unwrap();
    assert_eq!(supplementary.len(), 6);
    assert_eq!(supplementary[5]["effective_from"], "2026-04-01");

    // The same import again is the next draft of the same document: the open draft, rewritten.
    let again = import(&w, &officer, "basic", "情報セキュリティ基本方針", &seed())
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(
        (again["policy_id"].as_i64(), again["version"].as_i64()),
        (Some(id), Some(1))
    );
    // The staff read no draft; the list of a member of staff does not name it.
    get(&format!("/api/v1/policies/{id}/versions/1"))
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    let listed = get("/api/v1/policies")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn an_editor_never_approves_and_an_amendment_supersedes_on_its_day() {
    let (w, officer) = with_officer().await;
    // The CISO drafts this one, so the CISO may not approve it; the document names the 統括 as
    // its approver … who is not in this world, so nobody but another CISO could.
    let made = import(
        &w,
        &w.ciso,
        "standard",
        "対策基準",
        "1 組織\n体制を置く。\n",
    )
    .await
    .expect(StatusCode::CREATED);
    let id = made["policy_id"].as_i64().unwrap();
    post(&format!("/api/v1/policies/{id}/versions/1/submit"))
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    post(&format!("/api/v1/policies/{id}/versions/1/approve"))
        .token(&w.ciso.token)
        .json(json!({}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    // A version in review is not edited; returned to draft, the officer edits it, and then the
    // CISO approves.
    Call::new(Method::PUT, &format!("/api/v1/policies/{id}/draft"))
        .token(&officer.token)
        .json(json!({"text": "1 組織\n体制を置く。\n"}))
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "policy.in_review");
    post(&format!("/api/v1/policies/{id}/versions/1/return"))
        .token(&officer.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let edited = Call::new(Method::PUT, &format!("/api/v1/policies/{id}/draft"))
        .token(&officer.token)
        .json(json!({"text": "1 組織\n情報セキュリティ委員会を置く。\n2 分類\n資産を分類する。\n"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        (edited["number"].as_i64(), edited["editor"].as_str()),
        (Some(1), Some("officer"))
    );
    post(&format!("/api/v1/policies/{id}/versions/1/submit"))
        .token(&officer.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    post(&format!("/api/v1/policies/{id}/versions/1/approve"))
        .token(&officer.token)
        .json(json!({}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    post(&format!("/api/v1/policies/{id}/versions/1/approve"))
        .token(&w.ciso.token)
        .json(json!({"effective_from": "tomorrow"}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let approved = post(&format!("/api/v1/policies/{id}/versions/1/approve"))
        .token(&w.ciso.token)
        .json(json!({"effective_from": "2024-04-01"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(approved["state"], "effective");
    assert_eq!(approved["approver"], "ciso");

    // Version 2 changes a clause, removes one and adds one; approved for a day long past, it is
    // in force at once and version 1 is superseded.
    let v2 = Call::new(Method::PUT, &format!("/api/v1/policies/{id}/draft"))
        .token(&officer.token)
        .json(json!({"text": "1 組織\n最高情報セキュリティ責任者を置く。\n3 教育\n研修を行う。\n"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(v2["number"], 2);
    let diff = get(&format!("/api/v1/policies/{id}/diff?from=1&to=2"))
        .token(&w.staff_a.token)
        .send(&w.app)
        .await;
    // The staff read version 1 (in force) but not the draft.
    diff.error(StatusCode::NOT_FOUND, "not_found");
    let diff = get(&format!("/api/v1/policies/{id}/diff?from=1&to=2"))
        .token(&officer.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let changes: Vec<(&str, &str)> = diff
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["anchor"].as_str().unwrap(), d["change"].as_str().unwrap()))
        .collect();
    assert_eq!(
        changes,
        [("1", "changed"), ("2", "removed"), ("3", "added")]
    );
    // The runs of the changed clause spell both texts: the old without the added runs, the new
    // without the removed ones.
    let spell = |leave_out: &str| -> String {
        diff[0]["text"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] != leave_out)
            .map(|r| r["text"].as_str().unwrap())
            .collect()
    };
    assert_eq!(spell("added"), "情報セキュリティ委員会を置く。");
    assert_eq!(spell("removed"), "最高情報セキュリティ責任者を置く。");
    assert!(
        diff[0]["text"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "same")
    );
    post(&format!("/api/v1/policies/{id}/versions/2/submit"))
        .token(&officer.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    post(&format!("/api/v1/policies/{id}/versions/2/approve"))
        .token(&w.ciso.token)
        .json(json!({"effective_from": "2025-04-01"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let detail = get(&format!("/api/v1/policies/{id}"))
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(detail["effective"], 2);
    let states: Vec<(i64, &str)> = detail["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["number"].as_i64().unwrap(), v["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [(2, "effective"), (1, "superseded")]);

    // Each step is in the audit trail.
    let trail = get("/api/v1/audit?action=policy.")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let actions: Vec<&str> = trail["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for action in [
        "policy.create",
        "policy.version.submit",
        "policy.version.return",
        "policy.version.save",
        "policy.version.approve",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

#[tokio::test]
async fn texts_that_cannot_be_read_are_refused_naming_their_line() {
    let (w, officer) = with_officer().await;
    let bad = import(&w, &officer, "basic", "方針", "前文だけ\n\n番号のない行\n")
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "policy_invalid");
    assert_eq!(bad["line"], 3);
    assert!(bad["detail"].as_str().unwrap().starts_with("3行目"));
    let control = import(&w, &officer, "basic", "方針", "1 目的\n本文\u{7}\n")
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "policy_invalid");
    assert_eq!(control["line"], 2);
    // Fields are reported all at once, before the text is read.
    let fields = post("/api/v1/policies")
        .token(&officer.token)
        .json(json!({"org_id": 0, "tier": "secret", "title": "", "text": "1 目的\n"}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let named: Vec<&str> = fields["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["organisation"]);
    let fields = post("/api/v1/policies")
        .token(&officer.token)
        .json(json!({"org_id": w.org, "tier": "secret", "title": "", "approver_role": "staff", "text": "1 目的\n"}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let named: Vec<&str> = fields["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["tier", "title", "approver_role"]);
    // An unknown field, and a body past the text's limit.
    post("/api/v1/policies")
        .token(&officer.token)
        .json(json!({"org_id": w.org, "tier": "basic", "title": "x", "text": "1 a\n", "extra": 1}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let huge = "1 目的\n".to_owned() + &"あ".repeat(3 * 1024 * 1024);
    let reply = import(&w, &officer, "basic", "巨大", &huge).await;
    assert!(
        reply.status == StatusCode::PAYLOAD_TOO_LARGE
            || reply.status == StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.status
    );
    // Nothing of the refused imports was kept.
    let listed = get("/api/v1/policies")
        .token(&officer.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn confirmations_are_counted_per_unit_and_listed_for_the_manager() {
    let (w, officer) = with_officer().await;
    let manager = provision(
        &w.store,
        "manager.a",
        "管理 花子",
        Some(w.unit_a),
        Some((Role::SecurityManager, Scope::Unit(UnitId(w.unit_a)))),
    )
    .await;
    let id = import(&w, &officer, "basic", "基本方針", "1 目的\n守る。\n")
        .await
        .expect(StatusCode::CREATED)["policy_id"]
        .as_i64()
        .unwrap();
    post(&format!("/api/v1/policies/{id}/versions/1/submit"))
        .token(&officer.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    // In review, it waits for the CISO's approval, not the officer's (its editor).
    let approvals = |who: &Member| get("/api/v1/waiting").token(&who.token);
    let ciso_waits = approvals(&w.ciso).send(&w.app).await.expect(StatusCode::OK);
    assert_eq!(ciso_waits["approvals"][0]["policy_id"], id);
    let officer_waits = approvals(&officer)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(officer_waits["approvals"], json!([]));
    // Not in force yet: nothing to confirm.
    post(&format!("/api/v1/policies/{id}/versions/1/acknowledge"))
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    post(&format!("/api/v1/policies/{id}/versions/1/approve"))
        .token(&w.ciso.token)
        .json(json!({"effective_from": "2020-04-01"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    // The version in force waits for the member of staff's confirmation, and then no longer.
    let waiting = get("/api/v1/waiting")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(waiting["acknowledgements"][0]["policy_id"], id);
    let confirmed = post(&format!("/api/v1/policies/{id}/versions/1/acknowledge"))
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    assert!(
        confirmed["acknowledged_at"]
            .as_str()
            .unwrap()
            .ends_with("+09:00")
    );
    post(&format!("/api/v1/policies/{id}/versions/1/acknowledge"))
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "policy.already_acknowledged");
    let progress = |who: &Member| {
        get(&format!(
            "/api/v1/policies/{id}/versions/1/acknowledgements"
        ))
        .token(&who.token)
    };
    let all = progress(&officer).send(&w.app).await.expect(StatusCode::OK);
    let units: Vec<(Option<i64>, i64, i64)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["unit_id"].as_i64(),
                u["people"].as_i64().unwrap(),
                u["confirmed"].as_i64().unwrap(),
            )
        })
        .collect();
    // Unit A: the member of staff (confirmed), their colleague, the auditor and the manager;
    // unit B: the officer.
    assert!(units.contains(&(Some(w.unit_a), 4, 1)), "{units:?}");
    assert!(units.contains(&(Some(w.unit_b), 1, 0)), "{units:?}");
    let own = progress(&manager).send(&w.app).await.expect(StatusCode::OK);
    assert_eq!(
        own.as_array().unwrap().len(),
        1,
        "the manager sees unit A only"
    );
    let pending: Vec<&str> = own[0]["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(pending.len(), 3);
    assert!(pending.contains(&"管理 花子"));
    progress(&w.staff_a)
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn the_openapi_document_names_the_policy_routes() {
    let w = world().await;
    let doc = get("/api/v1/openapi.json")
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    for path in [
        "/api/v1/policies",
        "/api/v1/policies/{id}/versions/{n}",
        "/api/v1/policies/{id}/versions/{n}/acknowledgements",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    assert!(doc["components"]["schemas"]["VersionText"].is_object());
}

/// The import form as a browser sends it: `multipart/form-data` with the CSRF field, the
/// document's fields and the file.
async fn upload(
    app: &crate::harness::App,
    browser: &crate::harness::Browser,
    fields: &[(&str, &str)],
    file: &[u8],
) -> crate::harness::Resp {
    upload_to(app, "/policies/import", browser, fields, file).await
}

async fn upload_to(
    app: &crate::harness::App,
    path: &str,
    browser: &crate::harness::Browser,
    fields: &[(&str, &str)],
    file: &[u8],
) -> crate::harness::Resp {
    let boundary = "----mamoriPolicyBoundary";
    let mut body = Vec::new();
    for (name, value) in [("_csrf", browser.csrf.as_str())].iter().chain(fields) {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"kihon.txt\"\r\nContent-Type: text/plain\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::post(path)
        .header(header::COOKIE, &browser.cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    app.send(request, browser.address).await
}

#[tokio::test]
async fn a_shift_jis_upload_is_read_and_only_the_basic_policy_is_published() {
    use crate::harness::{App, Who};
    let app = App::new().await;
    // Logged out: the basic policy in force, and nothing of the standards or procedures.
    let public = app.get("/policy", None).await;
    assert_eq!(public.status, StatusCode::OK);
    let page = public.text();
    assert!(page.contains("情報資産を守るために定める"), "{page}");
    assert!(page.contains("2020-04-01"));
    assert!(!page.contains("対策基準 "), "a standard is never published");
    assert!(
        !page.contains("実施手順 "),
        "a procedure is never published"
    );
    let hidden = app
        .get(
            &format!("/policies/{}/versions/1", app.fx.policy_review[0]),
            None,
        )
        .await;
    assert!(hidden.is_login_redirect());

    let officer = app.login(Who::Officer).await;
    let org = app.fx.org_a.to_string();
    let seed = seed();
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&seed);
    let made = upload(
        &app,
        &officer,
        &[
            ("org_id", &org),
            ("tier", "standard"),
            ("title", "取込みの対策基準"),
        ],
        &sjis,
    )
    .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text());
    let location = made.location().unwrap().to_owned();
    assert!(location.ends_with("/versions/1"), "{location}");
    let version = app.get(&location, Some(&officer)).await;
    assert_eq!(version.status, StatusCode::OK);
    let text = version.text();
    assert!(
        text.contains("data-anchor=\"6(3)ア\""),
        "the clauses are shown"
    );
    assert!(
        text.contains("id=\"submit-review\""),
        "the officer may submit the draft"
    );
    assert!(!text.contains("id=\"approve\""), "a draft is not approved");
    // Still unpublished, and not among the staff's documents either.
    assert!(
        !app.get("/policy", None)
            .await
            .text()
            .contains("取込みの対策基準")
    );
    let staff = app.login(Who::Staff).await;
    assert!(
        !app.get("/policies", Some(&staff))
            .await
            .text()
            .contains("取込みの対策基準")
    );

    // A file that is not text is refused, naming its line, and nothing is made.
    let refused = upload(
        &app,
        &officer,
        &[
            ("org_id", &org),
            ("tier", "procedure"),
            ("title", "壊れた手順"),
        ],
        b"1 \x82\xa0\n\xff\xfe\n",
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("2行目"), "{}", refused.text());
    assert!(
        !app.get("/policies", Some(&officer))
            .await
            .text()
            .contains("壊れた手順")
    );
}

#[tokio::test]
async fn a_long_draft_is_saved_from_the_edit_form() {
    use crate::harness::{App, Who};
    let app = App::new().await;
    let officer = app.login(Who::Officer).await;
    // About 700 KB of Japanese: more than a plain form may carry once URL-encoded.
    let mut text = String::from("情報セキュリティ実施手順\n");
    for n in 1..=400 {
        text.push_str(&format!("{n} 手順その{n}\n"));
        text.push_str(&"端末の設定を確認し、記録簿に記入する。".repeat(30));
        text.push('\n');
    }
    assert!(text.len() > 600_000);
    let path = format!("/policies/{}/draft", app.fx.policy_draft[2]);
    let saved = upload_to(&app, &path, &officer, &[("text", &text)], b"").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let page = app
        .get(saved.location().unwrap(), Some(&officer))
        .await
        .text();
    assert!(
        page.contains("data-anchor=\"400\""),
        "the last section was saved"
    );
}
