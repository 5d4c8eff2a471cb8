//! 外部サービス and SNSアカウント through the API: a service whose ISMAP registration runs out
//! soon is flagged, an asset placed against the levels it takes is flagged and one placed twice
//! refused; an account without two-factor authentication and past its yearly review is
//! flagged until a review is recorded; hostile bodies are refused with their field.

use super::*;

fn today() -> chrono::NaiveDate {
    mamori_core::time::jst_date(chrono::Utc::now().timestamp_millis()).unwrap()
}

#[tokio::test]
async fn a_cloud_service_flags_its_ismap_expiry_and_an_asset_its_levels_do_not_take() {
    let w = world().await;
    let expiry = (today() + chrono::Days::new(30)).to_string();
    let made = post("/api/v1/cloud-services")
        .token(&w.ciso.token)
        .json(
            json!({"provider": "クラウド株式会社", "name": "ファイル共有",
            "classes": ["機密性2", "1"], "rules": "機密性2以下に限る", "ismap": true,
            "ismap_number": "c21-0001-1", "ismap_expires_on": expiry, "unit_id": w.unit_b}),
        )
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(made["classes"], json!(["2", "1"]));
    assert_eq!(made["ismap"]["number"], "C21-0001-1");
    assert_eq!(made["ismap"]["status"], "expiring");
    assert_eq!(made["flagged"], true);
    let path = format!("/api/v1/cloud-services/{}", made["id"]);

    let asset = |name: &str, confidentiality: &str| {
        post("/api/v1/assets").token(&w.ciso.token).json(json!({
            "kind": "information", "name": name, "owner_unit_id": w.unit_b,
            "confidentiality": confidentiality, "integrity": "2", "availability": "2",
        }))
    };
    let open = asset("例規集", "1")
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    let secret = asset("住民情報", "3")
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    let placed = post(&format!("{path}/assets"))
        .token(&w.ciso.token)
        .json(json!({"asset_id": open}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(placed["placements"][0]["flagged"], false);
    assert_eq!(placed["forbidden_placements"], 0);
    let placed = post(&format!("{path}/assets"))
        .token(&w.ciso.token)
        .json(json!({"asset_id": secret}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(placed["placements"][1]["asset_id"], secret);
    assert_eq!(placed["placements"][1]["forbidden"], json!(["機密性3"]));
    assert_eq!(placed["placements"][1]["flagged"], true);
    assert_eq!(placed["forbidden_placements"], 1);
    post(&format!("{path}/assets"))
        .token(&w.ciso.token)
        .json(json!({"asset_id": secret}))
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "cloud.asset_placed");
    for asset_id in [0, -1, 999_999] {
        let reply = post(&format!("{path}/assets"))
            .token(&w.ciso.token)
            .json(json!({"asset_id": asset_id}))
            .send(&w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(reply["fields"][0]["field"], "asset", "{asset_id}: {reply}");
    }
    // Staff read the register with its flag, and do not keep it. The 機密性3 asset of unit B
    // is not theirs to know of: it is counted, not named.
    let seen = get(&path)
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(seen["forbidden_placements"], 1);
    assert_eq!(seen["placements"].as_array().unwrap().len(), 1);
    assert_eq!(seen["hidden_placements"], 1);
    Call::new(Method::PUT, &path)
        .token(&w.staff_a.token)
        .json(json!({"provider": "x", "name": "y", "classes": ["1"], "unit_id": w.unit_b}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");

    // Taking 機密性3 too and leaving ISMAP clears both flags; the placement stays.
    let updated = Call::new(Method::PUT, &path)
        .token(&w.ciso.token)
        .json(
            json!({"provider": "クラウド株式会社", "name": "ファイル共有",
            "classes": ["3", "2", "1"], "unit_id": w.unit_b}),
        )
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(updated["ismap"]["status"], "unregistered");
    assert_eq!(updated["flagged"], false);
    assert_eq!(updated["placements"].as_array().unwrap().len(), 2);
    let left = delete(&format!("{path}/assets/{secret}"))
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(left["placements"].as_array().unwrap().len(), 1);
    delete(&format!("{path}/assets/{secret}"))
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "cloud.asset_not_placed");
    let listed = get("/api/v1/cloud-services")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let base = json!({"provider": "p", "name": "n", "classes": ["1"], "unit_id": w.unit_b});
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    for (body, field) in [
        (with("provider", json!("")), "provider"),
        (with("name", json!("名前\u{202E}fdp.exe")), "name"),
        (with("classes", json!([])), "classes"),
        (with("classes", json!(["4"])), "classes"),
        (with("rules", json!("a\u{0}b")), "rules"),
        (with("ismap", json!(true)), "ismap_number"),
        (with("ismap_number", json!("C21-0001-1")), "ismap_number"),
        (
            with("ismap_expires_on", json!("2027-13-01")),
            "ismap_expires_on",
        ),
        (with("unit_id", json!(0)), "unit"),
        (with("unit_id", json!(999_999)), "unit"),
        (
            {
                let mut body = with("ismap", json!(true));
                body["ismap_number"] = json!("C21/0001");
                body["ismap_expires_on"] = json!("2027-03-31");
                body
            },
            "ismap_number",
        ),
    ] {
        let reply = post("/api/v1/cloud-services")
            .token(&w.ciso.token)
            .json(body.clone())
            .send(&w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(reply["fields"][0]["field"], field, "{body}: {reply}");
    }
    let huge = "長".repeat(20_000);
    let reply = post("/api/v1/cloud-services")
        .token(&w.ciso.token)
        .json(with("rules", json!(huge)))
        .send(&w.app)
        .await;
    assert!(reply.status.is_client_error(), "{}", reply.status);
    post("/api/v1/cloud-services")
        .token(&w.ciso.token)
        .json(
            json!({"provider": "クラウド株式会社", "name": "ファイル共有", "classes": ["1"],
            "unit_id": w.unit_b}),
        )
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "cloud.service_taken");
}

#[tokio::test]
async fn a_social_media_account_is_flagged_until_it_has_two_factor_and_a_review() {
    let w = world().await;
    let long_ago = (today() - chrono::Days::new(400)).to_string();
    let made = post("/api/v1/social-media-accounts")
        .token(&w.ciso.token)
        .json(
            json!({"platform": "X", "account_name": "@city_koho", "url": "https://x.com/city_koho",
            "owner_id": w.person_b, "rules": "広報課長が承認した記事のみ",
            "last_reviewed_on": long_ago}),
        )
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(made["review_months"], 12, "yearly unless it says otherwise");
    assert_eq!(made["unit_id"], w.unit_b, "the responsible person's unit");
    assert_eq!(made["flags"], json!(["no_two_factor", "review_overdue"]));
    let path = format!("/api/v1/social-media-accounts/{}", made["id"]);

    // Staff read it; they neither edit nor review it.
    let seen = get(&path)
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(seen["owner_name"], "政策 三郎");
    post(&format!("{path}/reviews"))
        .token(&w.staff_a.token)
        .json(json!({"note": "見た"}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");

    let reviewed = post(&format!("{path}/reviews"))
        .token(&w.ciso.token)
        .json(json!({"note": "投稿履歴とログイン履歴を確認"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(reviewed["flags"], json!(["no_two_factor"]));
    assert_eq!(reviewed["last_reviewed_on"], today().to_string());
    assert_eq!(reviewed["reviews"][0]["by"], "ciso");
    assert_eq!(
        reviewed["reviews"][0]["note"],
        "投稿履歴とログイン履歴を確認"
    );
    let body = json!({"platform": "X", "account_name": "@city_koho", "url": "https://x.com/city_koho",
        "owner_id": w.person_b, "rules": "広報課長が承認した記事のみ", "two_factor": true});
    let updated = Call::new(Method::PUT, &path)
        .token(&w.ciso.token)
        .json(body.clone())
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(updated["flags"], json!([]));
    assert_eq!(updated["last_reviewed_on"], today().to_string(), "kept");

    let tomorrow = (today() + chrono::Days::new(1)).to_string();
    for (review, field) in [
        (json!({"reviewed_on": tomorrow}), "reviewed_on"),
        (json!({"reviewed_on": "昨日"}), "reviewed_on"),
        (json!({"note": "a\u{7}"}), "note"),
    ] {
        let reply = post(&format!("{path}/reviews"))
            .token(&w.ciso.token)
            .json(review.clone())
            .send(&w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(reply["fields"][0]["field"], field, "{review}: {reply}");
    }
    let with = |key: &str, value: Value| {
        let mut b = body.clone();
        b["account_name"] = json!("@other");
        b[key] = value;
        b
    };
    for (body, field) in [
        (with("platform", json!(" ")), "platform"),
        (with("url", json!("javascript:alert(1)")), "url"),
        (with("url", json!("https://x.com/a b")), "url"),
        (with("rules", json!("")), "rules"),
        (with("review_months", json!(0)), "review_months"),
        (with("review_months", json!(37)), "review_months"),
        (
            with("last_reviewed_on", json!(tomorrow)),
            "last_reviewed_on",
        ),
        (with("owner_id", json!(0)), "owner"),
        (with("owner_id", json!(999_999)), "owner"),
    ] {
        let reply = post("/api/v1/social-media-accounts")
            .token(&w.ciso.token)
            .json(body.clone())
            .send(&w.app)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(reply["fields"][0]["field"], field, "{body}: {reply}");
    }
    let reply = post("/api/v1/social-media-accounts")
        .token(&w.ciso.token)
        .json(json!({"platform": "X"}))
        .send(&w.app)
        .await;
    assert!(reply.status.is_client_error(), "{}", reply.status);
    post("/api/v1/social-media-accounts")
        .token(&w.ciso.token)
        .json(body)
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "social.account_taken");
    get("/api/v1/social-media-accounts/999999")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
}
