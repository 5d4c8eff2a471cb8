//! リスク through the API and the pages: a risk recorded by a unit's manager, the acceptance of a
//! risk above the threshold refused for its owner and given by the CISO, the register hidden
//! from staff who do not own a risk, the heat map's counts, and hostile input.

use super::*;

/// The world with unit B's manager and a risk of unit B owned by the member of staff of unit A.
async fn with_risk() -> (World, Member, Value) {
    let w = world().await;
    let manager = provision(
        &w.store,
        "manager.b",
        "管理 三子",
        Some(w.unit_b),
        Some((Role::SecurityManager, Scope::Unit(UnitId(w.unit_b)))),
    )
    .await;
    mamori_store::ControlStore::import_catalogue(
        &*w.store,
        mamori_store::Importer::Operator,
        &mamori_core::controls::builtin(),
        &mamori_store::Origin::system("test"),
    )
    .await
    .unwrap();
    let risk = post("/api/v1/risks")
        .token(&manager.token)
        .json(json!({
            "title": "学務情報の漏えい", "unit_id": w.unit_b, "owner_id": w.staff_a.person,
            "threats": ["t-insider", "T-ACCESS"], "measures": ["M-1.1.1"],
            "likelihood": 5, "impact": 5, "residual_likelihood": 4, "residual_impact": 5,
            "treatment": "reduce", "review_on": "2020-04-01",
        }))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    (w, manager, risk)
}

#[tokio::test]
async fn risk_is_recorded_with_its_levels_and_flagged_past_its_review_date() {
    let (w, _, risk) = with_risk().await;
    assert_eq!(risk["inherent"]["level"], "critical");
    assert_eq!(risk["residual"]["level"], "critical");
    assert_eq!(risk["level"], "critical");
    assert_eq!(risk["threats"], json!(["T-ACCESS", "T-INSIDER"]));
    assert!(risk["measures"][0].as_str().unwrap().starts_with("urn:"));
    assert_eq!(risk["overdue"], true);
    let overdue = get("/api/v1/risks?overdue=true")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(overdue.as_array().unwrap().len(), 1);
    let low = get("/api/v1/risks?level=low")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert!(low.as_array().unwrap().is_empty());
    let matrix = get("/api/v1/risk-matrix")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(matrix["cells"].as_array().unwrap().len(), 5);
    assert_eq!(matrix["accept_threshold"], "high");
}

#[tokio::test]
async fn risk_acceptance_above_the_threshold_is_the_cisos_and_refused_for_the_owner() {
    let (w, manager, risk) = with_risk().await;
    let accept = format!("/api/v1/risks/{}/accept", risk["id"]);
    for who in [&w.staff_a, &manager] {
        post(&accept)
            .token(&who.token)
            .json(json!({"note": "受容します"}))
            .send(&w.app)
            .await
            .error(StatusCode::FORBIDDEN, "forbidden");
    }
    let accepted = post(&accept)
        .token(&w.ciso.token)
        .json(json!({"note": "対策完了まで受容"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(accepted["treatment"], "accept");
    assert_eq!(accepted["accepted"]["note"], "対策完了まで受容");
    // Accepting is a decision, not a treatment one types.
    let path = format!("/api/v1/risks/{}", risk["id"]);
    let refused = Call::new(Method::PUT, &path)
        .token(&manager.token)
        .json(json!({
            "title": "学務情報の漏えい", "unit_id": w.unit_b, "owner_id": w.staff_a.person,
            "likelihood": 1, "impact": 1, "treatment": "accept", "review_on": "2030-04-01",
        }))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(refused["fields"][0]["field"], "treatment");
    // Once low, the owner accepts it themselves.
    let edited = Call::new(Method::PUT, &path)
        .token(&manager.token)
        .json(json!({
            "title": "学務情報の漏えい", "unit_id": w.unit_b, "owner_id": w.staff_a.person,
            "likelihood": 1, "impact": 2, "treatment": "reduce", "review_on": "2030-04-01",
        }))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        (edited["level"].as_str(), edited["accepted"].is_null()),
        (Some("low"), true)
    );
    post(&accept)
        .token(&w.staff_a.token)
        .json(json!({}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
}

#[tokio::test]
async fn risk_register_is_hidden_from_staff_who_do_not_own_the_risk() {
    let (w, _, risk) = with_risk().await;
    let colleague = provision(
        &w.store,
        "colleague.b",
        "同僚 五郎",
        Some(w.unit_b),
        Some((Role::Staff, Scope::Unit(UnitId(w.unit_b)))),
    )
    .await;
    let path = format!("/api/v1/risks/{}", risk["id"]);
    get(&path)
        .token(&colleague.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    let list = get("/api/v1/risks")
        .token(&colleague.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert!(list.as_array().unwrap().is_empty());
    // The owner sees their own risk.
    get(&path)
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let mine = get("/api/v1/risks")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(mine.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn risk_hostile_input_is_refused_with_its_field() {
    let (w, manager, _) = with_risk().await;
    let huge = "長".repeat(20_000);
    let base = json!({
        "title": "t", "unit_id": w.unit_b, "owner_id": w.person_b,
        "likelihood": 3, "impact": 3, "treatment": "reduce", "review_on": "2030-04-01",
    });
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    for (body, field) in [
        (with("likelihood", json!(6)), "likelihood"),
        (with("likelihood", json!(0)), "likelihood"),
        (with("impact", json!(-3)), "impact"),
        (with("impact", json!(9_999_999_999_i64)), "impact"),
        (with("residual_likelihood", json!(2)), "residual_impact"),
        (with("title", json!(huge)), "title"),
        (
            with("description", json!("長".repeat(20_000))),
            "description",
        ),
        (with("title", json!("a\u{0}b")), "title"),
        (with("review_on", json!("2030-02-30")), "review_on"),
        (with("treatment", json!("ignore")), "treatment"),
        (with("measures", json!(["M-999.9.9"])), "measures"),
        (with("threats", json!(["T-\u{202E}X"])), "threats"),
        (with("asset_ids", json!([-1])), "assets"),
        (with("asset_ids", json!(vec![1; 201])), "assets"),
    ] {
        let refused = post("/api/v1/risks")
            .token(&manager.token)
            .json(body)
            .send(&w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        let fields: Vec<&str> = refused["fields"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["field"].as_str())
            .collect();
        assert!(fields.contains(&field), "{field}: {refused}");
    }
    for (body, code) in [
        (with("asset_ids", json!([99_999])), "risk.asset_missing"),
        (with("threats", json!(["T-NONE"])), "risk.threat_missing"),
        (with("owner_id", json!(99_999)), "risk.owner_missing"),
    ] {
        post("/api/v1/risks")
            .token(&manager.token)
            .json(body)
            .send(&w.app)
            .await
            .error(StatusCode::CONFLICT, code);
    }
    post("/api/v1/risks")
        .token(&manager.token)
        .json(with("unit_id", json!(99_999)))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    post("/api/v1/risks")
        .token(&manager.token)
        .json(with("likelihood", json!("3")))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    get("/api/v1/risks?level=extreme")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    post("/api/v1/threats")
        .token(&w.ciso.token)
        .json(json!({"code": "T-ACCESS", "name_ja": "重複", "name_en": "Twice", "category": "disaster"}))
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "threat.code_taken");
}

#[tokio::test]
async fn risk_heat_map_counts_each_cell_inherent_and_residual() {
    use crate::harness::{App, Who};
    let app = App::new().await;
    let ciso = app.login(Who::Ciso).await;
    let page = app.get("/risks", Some(&ciso)).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    for map in ["heatmap-inherent", "heatmap-residual"] {
        let svg = text
            .split(&format!("<svg id=\"{map}\""))
            .nth(1)
            .and_then(|rest| rest.split("</svg>").next())
            .unwrap_or_else(|| panic!("{map} drawn"));
        // The fixture's one risk (4 × 5, no residual rating) in one cell of 25, in its level's
        // colour.
        assert_eq!(svg.matches("class=\"cell\"").count(), 25, "{map}");
        assert_eq!(svg.matches("data-count=\"1\"").count(), 1, "{map}");
        assert_eq!(svg.matches("data-count=\"0\"").count(), 24, "{map}");
        assert!(svg.contains("fill=\"#c62828\""));
    }
    assert!(!text.contains("<script>"));
    assert!(text.contains("id=\"nav-risks\""));
    // A member of staff who owns no risk sees none and has no menu link.
    let staff = app.login(Who::Staff).await;
    let page = app.get("/risks", Some(&staff)).await.text();
    assert!(page.contains("id=\"risks-none\""));
    assert!(!page.contains("id=\"nav-risks\""));
    assert!(!page.contains("data-count=\"1\""));
}

#[tokio::test]
async fn risk_matrix_is_set_by_administrators_and_relevels_every_risk() {
    let (w, manager, risk) = with_risk().await;
    let mut matrix = get("/api/v1/risk-matrix")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    // The risk's residual 4 × 5 becomes medium; the threshold stays high.
    matrix["cells"][3][4] = json!("medium");
    Call::new(Method::PUT, "/api/v1/risk-matrix")
        .token(&manager.token)
        .json(matrix.clone())
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    let set = Call::new(Method::PUT, "/api/v1/risk-matrix")
        .token(&w.ciso.token)
        .json(matrix.clone())
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(set["cells"][3][4], "medium");
    let relevelled = get(&format!("/api/v1/risks/{}", risk["id"]))
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(relevelled["residual"]["level"], "medium");
    assert_eq!(relevelled["level"], "medium");

    // Too small for the stored 5 × 5 rating: refused by the store.
    let mut small = matrix.clone();
    small["likelihood"] = json!([["低", "Low"], ["中", "Mid"], ["高", "High"]]);
    small["impact"] = small["likelihood"].clone();
    small["cells"] = json!([
        ["low", "low", "medium"],
        ["low", "medium", "high"],
        ["medium", "high", "critical"]
    ]);
    Call::new(Method::PUT, "/api/v1/risk-matrix")
        .token(&w.ciso.token)
        .json(small)
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "risk.matrix_invalid");
    for (change, field) in [
        (json!({"cells": [["low"]]}), "cells"),
        (json!({"accept_threshold": "extreme"}), "accept_threshold"),
        (
            json!({"colours": [["low", "green"], ["medium", "#ffc107"], ["high", "#ff7043"], ["critical", "#c62828"]]}),
            "colours",
        ),
        (
            json!({"likelihood": [["", "Rare"], ["b", "B"], ["c", "C"], ["d", "D"], ["e", "E"]]}),
            "likelihood",
        ),
    ] {
        let mut bad = matrix.clone();
        for (k, v) in change.as_object().unwrap() {
            bad[k] = v.clone();
        }
        let reply = Call::new(Method::PUT, "/api/v1/risk-matrix")
            .token(&w.ciso.token)
            .json(bad)
            .send(&w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(reply["fields"][0]["field"], field, "{reply}");
    }
}
