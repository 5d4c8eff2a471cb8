//! 対策項目 through the API and the pages: a catalogue imported, exported and imported again to
//! the same tree, refused whole when it cannot be read; a unit's answers with their history and
//! evidence; and the coverage of the basic policy by those answers.

use mamori_core::controls::{AppliesTo, BUILTIN_YAML, builtin};

use super::*;

/// The world with an officer, the seed basic policy in force and mamori's catalogue.
async fn covered() -> (World, Member, i64, i64) {
    let (w, officer) = super::policy::with_officer().await;
    let text = super::policy::seed();
    let policy = post("/api/v1/policies")
        .token(&officer.token)
        .json(json!({"org_id": w.org, "tier": "basic", "title": "基本方針", "text": text}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["policy_id"]
        .as_i64()
        .unwrap();
    post(&format!("/api/v1/policies/{policy}/versions/1/submit"))
        .token(&officer.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    post(&format!("/api/v1/policies/{policy}/versions/1/approve"))
        .token(&w.ciso.token)
        .json(json!({}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let catalogue = post("/api/v1/catalogues")
        .token(&w.ciso.token)
        .raw("application/yaml", BUILTIN_YAML)
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();
    (w, officer, policy, catalogue)
}

fn row<'a>(coverage: &'a Value, anchor: &str) -> &'a Value {
    coverage
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["anchor"] == anchor)
        .unwrap_or_else(|| panic!("{anchor} in the coverage"))
}

#[tokio::test]
async fn answers_make_the_coverage_of_each_clause() {
    let (w, officer, policy, catalogue) = covered().await;
    let coverage = || {
        get(&format!("/api/v1/coverage?policy={policy}"))
            .token(&officer.token)
            .send(&w.app)
    };
    let before = coverage().await.expect(StatusCode::OK);
    // Every clause of the policy in force has a row; every item of §6 has measures.
    assert_eq!(row(&before, "1")["measures"], 0);
    for item in 1..=9 {
        let anchor = format!("6({item})");
        assert!(
            row(&before, &anchor)["measures"].as_u64().unwrap() > 0,
            "{anchor}"
        );
    }
    // Nothing is answered: 6(1)'s measures for every unit they concern (both units here, as
    // the units hold no assets) are unanswered.
    let catalogue_tree = builtin();
    let of_6_1: Vec<_> = catalogue_tree
        .measures()
        .filter(|m| m.implements.iter().any(|a| a.starts_with("6(1)")))
        .collect();
    let concerning = of_6_1
        .iter()
        .filter(|m| matches!(m.applies_to, AppliesTo::All | AppliesTo::NetworkModel(_)))
        .count() as u64;
    let first = row(&before, "6(1)");
    assert_eq!(first["measures"].as_u64().unwrap(), of_6_1.len() as u64);
    assert_eq!(first["unanswered"].as_u64().unwrap(), concerning * 2);
    assert_eq!(first["signal"], "red");

    // Unit B answers one measure of 6(1) twice; the second is its answer, the first history.
    let measure = of_6_1
        .iter()
        .find(|m| m.applies_to == AppliesTo::All)
        .and_then(|m| m.ref_id.clone())
        .unwrap();
    let answers = format!("/api/v1/catalogues/{catalogue}/units/{}/answers", w.unit_b);
    post(&answers)
        .token(&officer.token)
        .json(json!({"measure": measure, "status": "partly"}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    let answered = post(&answers)
        .token(&officer.token)
        .json(json!({"measure": measure, "status": "implemented", "note": "任命通知を掲示", "link": "https://portal.example.lg.jp/ciso"}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(answered["status"], "implemented");
    assert_eq!(answered["by"], "officer");
    let after = coverage().await.expect(StatusCode::OK);
    let first = row(&after, "6(1)");
    assert_eq!(first["implemented"], 1);
    assert_eq!(first["unanswered"].as_u64().unwrap(), concerning * 2 - 1);
    assert!(
        first["oldest_evidence"]
            .as_str()
            .unwrap()
            .ends_with("+09:00")
    );
    // Section 6 counts its items' measures.
    assert_eq!(row(&after, "6")["implemented"], 1);
    let history = get(&format!("{answers}?measure={measure}"))
        .token(&officer.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let states: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["implemented", "partly"]);
    let current = get(&answers)
        .token(&officer.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(current.as_array().unwrap().len(), 1);

    // 対象外 says why; a link is an address; a measure must exist.
    let refused = post(&answers)
        .token(&officer.token)
        .json(
            json!({"measure": measure, "status": "not_applicable", "link": "javascript:alert(1)"}),
        )
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let fields: Vec<&str> = refused["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["reason", "link"]);
    post(&answers)
        .token(&officer.token)
        .json(json!({"measure": "M-99.99.99", "status": "implemented"}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    // A policy must be named; one that does not exist names nothing.
    get("/api/v1/coverage?policy=abc")
        .token(&officer.token)
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    get("/api/v1/coverage?policy=99999")
        .token(&officer.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_catalogue_exports_to_a_library_that_imports_to_the_same_tree() {
    let (w, _, _, catalogue) = covered().await;
    let tree = |id: i64| {
        get(&format!("/api/v1/catalogues/{id}"))
            .token(&w.ciso.token)
            .send(&w.app)
    };
    let before = tree(catalogue).await.expect(StatusCode::OK);
    assert!(before["measures"].as_i64().unwrap() >= 150);
    let request = Request::get(format!("/api/v1/catalogues/{catalogue}/export.yaml"))
        .header("authorization", format!("Bearer {}", w.ciso.token))
        .body(Body::empty())
        .unwrap();
    let response = w.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let yaml = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    // The export under another urn is a second catalogue with the same tree.
    let renamed = String::from_utf8(yaml.to_vec())
        .unwrap()
        .replace("mamori-security-measures", "site-measures");
    let second = post("/api/v1/catalogues")
        .token(&w.ciso.token)
        .raw("application/yaml", renamed)
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(second["created"], true);
    let after = tree(second["id"].as_i64().unwrap())
        .await
        .expect(StatusCode::OK);
    let shape = |t: &Value| -> Vec<(String, Value, Value, Value)> {
        t["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["urn"]
                        .as_str()
                        .unwrap()
                        .replace("site-measures", "mamori-security-measures"),
                    n["ref_id"].clone(),
                    n["depth"].clone(),
                    n["implements"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(shape(&before), shape(&after));

    // The same library again replaces it; a broken one is refused whole, naming its line.
    let again = post("/api/v1/catalogues")
        .token(&w.ciso.token)
        .raw("application/yaml", BUILTIN_YAML)
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(
        (again["id"].as_i64(), again["created"].as_bool()),
        (Some(catalogue), Some(false))
    );
    let broken = BUILTIN_YAML.replacen("depth: 3", "depth: 7", 1);
    let refused = post("/api/v1/catalogues")
        .token(&w.ciso.token)
        .raw("application/yaml", broken)
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "catalogue_invalid");
    assert!(refused["line"].as_u64().unwrap() > 1);
    assert!(refused["detail"].as_str().unwrap().contains("行目"));
    post("/api/v1/catalogues")
        .token(&w.ciso.token)
        .raw("application/yaml", "objects: [\n  - &a x\n  - *a\n")
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "catalogue_invalid");
    post("/api/v1/catalogues")
        .token(&w.ciso.token)
        .json(json!({"urn": "x"}))
        .send(&w.app)
        .await
        .error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let listed = get("/api/v1/catalogues")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 2, "nothing half imported");
}

#[tokio::test]
async fn evidence_files_are_kept_under_their_digest_and_the_coverage_exports_to_excel() {
    use crate::harness::{App, Who};
    let evidence = tempfile::tempdir().unwrap();
    let app = App::with_config(WebConfig {
        evidence_dir: Some(evidence.path().to_owned()),
        ..WebConfig::default()
    })
    .await;
    let manager = app.login(Who::Manager).await;
    let (catalogue, unit) = (app.fx.catalogue, app.fx.unit_a1);
    let page = app
        .get(
            &format!("/controls/{catalogue}/units/{unit}"),
            Some(&manager),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("id=\"m-M-1.1.1\""));
    let boundary = "----mamoriEvidence";
    let file = "研修受講記録\r\n2026-11-30 全員受講\r\n".as_bytes();
    let mut body = Vec::new();
    for (name, value) in [
        ("_csrf", manager.csrf.as_str()),
        ("measure", "M-1.1.1"),
        ("status", "implemented"),
        ("note", "受講記録"),
    ] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../受講記録.txt\"\r\nContent-Type: text/plain\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::post(format!("/controls/{catalogue}/units/{unit}/answer"))
        .header(header::COOKIE, &manager.cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let saved = app.send(request, manager.address).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let digest: String = {
        use sha2::Digest;
        sha2::Sha256::digest(file)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let kept = std::fs::read(evidence.path().join(&digest)).expect("kept under its digest");
    assert_eq!(kept, file);
    let page = app
        .get(
            &format!("/controls/{catalogue}/units/{unit}"),
            Some(&manager),
        )
        .await
        .text();
    assert!(page.contains(&digest), "the digest is shown");
    assert!(
        page.contains("受講記録.txt"),
        "the name without its folders"
    );
    let link = page
        .split("href=\"")
        .find_map(|s| s.split('"').next().filter(|l| l.ends_with("/file")))
        .unwrap()
        .to_owned();
    let download = app.get(&link, Some(&manager)).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.bytes, file);
    assert!(
        download.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    // Someone who may not read unit A1's answers does not get its evidence.
    let staff = app.login(Who::Staff).await;
    assert_eq!(
        app.get(&link, Some(&staff)).await.status,
        StatusCode::NOT_FOUND
    );

    // The coverage page and its workbook.
    let coverage = app
        .get(
            &format!("/coverage?policy={}", app.fx.policy_basic),
            Some(&manager),
        )
        .await;
    assert_eq!(coverage.status, StatusCode::OK);
    let workbook = app
        .get(
            &format!("/coverage/export?policy={}", app.fx.policy_basic),
            Some(&manager),
        )
        .await;
    assert_eq!(workbook.status, StatusCode::OK);
    let table = mamori_sheet::read(&workbook.bytes, &mamori_sheet::Limits::default()).unwrap();
    assert!(table.rows.len() > 3, "a row per clause");
}
