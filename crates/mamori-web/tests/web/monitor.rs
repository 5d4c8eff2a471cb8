//! 不正通信の監視 on the pages: hostile log lines shown as text, every filter and form refusing
//! malformed input, the matrix editor's preset only after a confirmation and a cell's services
//! read strictly.

use axum::http::StatusCode;
use mamori_core::monitor::{Alert, AlertRule, AssetRef};
use mamori_store::MonitorStore as _;

use crate::harness::{App, Who, element_text};

const HOSTILE: &str = "<script>alert(1)</script>\"'&";

fn hostile_alert() -> Alert {
    Alert {
        rule: AlertRule::Ids,
        key: format!("hostile {HOSTILE}"),
        src: "172.16.0.9".parse().unwrap(),
        dst: Some("203.0.113.7".parse().unwrap()),
        dst_port: Some(23),
        proto: Some(mamori_core::crossing::Proto::Tcp),
        src_segment: Some("LGWAN".into()),
        dst_segment: None,
        src_asset: Some(AssetRef {
            id: mamori_core::asset::AssetId(1),
            name: HOSTILE.into(),
        }),
        dst_asset: None,
        detail: HOSTILE.into(),
        count: 3,
        first_seen: "2026-12-01T00:00:00Z".parse().unwrap(),
        last_seen: "2026-12-02T00:00:00Z".parse().unwrap(),
        evidence: vec![
            format!("{{\"alert\":{{\"signature\":\"{HOSTILE}\"}}}}"),
            "second line".into(),
        ],
    }
}

#[tokio::test]
async fn hostile_log_lines_are_shown_as_text_and_bad_filters_are_refused() {
    let app = App::new().await;
    app.store
        .record_monitor(&[hostile_alert()], &[])
        .await
        .unwrap();
    let csirt = app.login(Who::Csirt).await;
    let list = app.get("/monitor/alerts?rule=ids", Some(&csirt)).await;
    assert_eq!(list.status, StatusCode::OK);
    let html = list.text();
    assert!(!html.contains("<script>alert"), "markup is escaped");
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    let id = html
        .split("href=\"/monitor/alerts/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let page = app
        .get(&format!("/monitor/alerts/{id}"), Some(&csirt))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(!html.contains("<script>alert"));
    let evidence = element_text(&html, "alert-evidence").unwrap();
    assert!(evidence.contains("second line"), "{evidence}");
    assert!(
        html.contains("href=\"/assets/1\""),
        "the asset is linked to the register"
    );
    assert!(html.contains("id=\"alert-acknowledge\""));

    for bad in [
        "/monitor/alerts?rule=bogus",
        "/monitor/alerts?state=Open",
        "/monitor/alerts?address=10.0.0",
        "/monitor/alerts?since=2026-13-01",
        "/monitor/alerts?asset=-1",
        "/monitor/alerts?offset=-5",
        "/monitor/alerts?segment=%3Cscript%3E",
        "/monitor/segments/LGWAN?from=yesterday",
        "/monitor/segments/LGWAN?from=2026-12-09&until=2026-12-01",
    ] {
        let refused = app.get(bad, Some(&csirt)).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(!refused.text().contains("<script>"), "{bad}");
    }
    let malformed = app
        .get("/monitor/segments/%3Cscript%3E", Some(&csirt))
        .await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The note is checked; then the CSIRT acknowledges and the page says so.
    let refused = app
        .post(
            &format!("/monitor/alerts/{id}/acknowledge"),
            &csirt,
            &[("note", "bell\u{7}")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = app
        .post(
            &format!("/monitor/alerts/{id}/acknowledge"),
            &csirt,
            &[("note", "調査を開始")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let html = app
        .get(&format!("/monitor/alerts/{id}"), Some(&csirt))
        .await
        .text();
    assert!(html.contains("data-state=\"acknowledged\""));
    assert!(!html.contains("id=\"alert-acknowledge\""));
    let again = app
        .post(
            &format!("/monitor/alerts/{id}/acknowledge"),
            &csirt,
            &[("note", "")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_matrix_editor_applies_a_model_only_when_confirmed_and_reads_cells_strictly() {
    let app = App::new().await;
    let ciso = app.login(Who::Ciso).await;
    // Never saved: the β model the monitor applies meanwhile, said to be so.
    let assumed = app.get("/segments/crossing", Some(&ciso)).await.text();
    assert!(assumed.contains("id=\"matrix-assumed\""));
    assert!(assumed.contains("data-from=\"LGWAN\" data-to=\"*INTERNET\" data-allow=\"never\""));
    let unconfirmed = app
        .post(
            "/segments/crossing/preset",
            &ciso,
            &[("model", "beta"), ("gateway", "10.10.0.25")],
        )
        .await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    for (model, gateway) in [
        ("gamma", "10.10.0.25"),
        ("beta", "10.10.0.x"),
        ("beta", "<b>"),
    ] {
        let refused = app
            .post(
                "/segments/crossing/preset",
                &ciso,
                &[("model", model), ("gateway", gateway), ("confirm", "1")],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{model} {gateway}"
        );
    }
    let applied = app
        .post(
            "/segments/crossing/preset",
            &ciso,
            &[
                ("model", "beta"),
                ("gateway", "10.10.0.25"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.text());
    let html = app.get("/segments/crossing", Some(&ciso)).await.text();
    assert!(!html.contains("matrix-assumed"));
    assert!(html.contains("data-from=\"LGWAN\" data-to=\"*INTERNET\" data-allow=\"never\""));

    for (allow, services, note, to) in [
        ("only", "tcp/99999", "", "*INTERNET"),
        ("only", "", "", "*INTERNET"),
        ("sometimes", "", "", "*INTERNET"),
        ("only", "udp/53@x", "", "*INTERNET"),
        ("never", "", "", "LGWAN"),
        ("never", "", "", "<script>"),
        ("never", "", &"長".repeat(501), "*INTERNET"),
    ] {
        let refused = app
            .post(
                "/segments/crossing",
                &ciso,
                &[
                    ("from", "LGWAN"),
                    ("to", to),
                    ("allow", allow),
                    ("services", services),
                    ("note", note),
                ],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{allow} {services} {to}"
        );
    }
    let unknown = app
        .post(
            "/segments/crossing",
            &ciso,
            &[("from", "LGWAN"), ("to", "NOWHERE"), ("allow", "never")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::CONFLICT);
    let set = app
        .post(
            "/segments/crossing",
            &ciso,
            &[
                ("from", "LGWAN"),
                ("to", "*INTERNET"),
                ("allow", "only"),
                ("services", "udp/53@192.0.2.53\ntcp/443@192.0.2.1,192.0.2.2"),
                ("note", HOSTILE),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.text());
    let html = app.get("/segments/crossing", Some(&ciso)).await.text();
    assert!(html.contains("data-from=\"LGWAN\" data-to=\"*INTERNET\" data-allow=\"only\""));
    assert!(html.contains("<code>udp/53@192.0.2.53</code>"));
    assert!(html.contains("<code>tcp/443@192.0.2.1,192.0.2.2</code>"));
    assert!(!html.contains("<script>alert"));
}

#[tokio::test]
async fn a_segments_flows_name_their_peers_and_link_to_their_views() {
    use mamori_core::crossing::{Proto, Zone};
    use mamori_core::monitor::Tally;
    let app = App::new().await;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    let lgwan = Zone::Segment("LGWAN".into());
    let tally = |from: &Zone, to: &Zone, flows| Tally {
        day,
        from: from.clone(),
        to: to.clone(),
        proto: Proto::Tcp,
        dst_port: Some(443),
        flows,
        forbidden: flows,
    };
    let gone = Zone::Segment("OLD".into());
    app.store
        .record_monitor(
            &[],
            &[tally(&lgwan, &Zone::Internet, 3), tally(&gone, &lgwan, 2)],
        )
        .await
        .unwrap();
    let csirt = app.login(Who::Csirt).await;
    let page = app
        .get(
            "/monitor/segments/LGWAN?from=2026-12-01&until=2026-12-07",
            Some(&csirt),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains(r#"data-zone="LGWAN">LGWAN接続系 <small>LGWAN</small></h2>"#),
        "{html}"
    );
    let out = &html[html.find("id=\"flows-out\"").unwrap()..html.find("id=\"flows-in\"").unwrap()];
    assert!(
        out.contains(r#"data-zone="*INTERNET">インターネット</a>"#) && out.contains("tcp/443"),
        "{out}"
    );
    // A segment deleted since is named by its code.
    let incoming = &html[html.find("id=\"flows-in\"").unwrap()..];
    assert!(
        incoming.contains(r#"data-zone="OLD">OLD</a>"#),
        "{incoming}"
    );
}

#[tokio::test]
async fn the_settings_form_refuses_what_core_refuses() {
    let app = App::new().await;
    let ciso = app.login(Who::Ciso).await;
    let good = [
        ("resolvers", "10.10.0.53\n10.10.0.54"),
        ("window_secs", "60"),
        ("hosts", "100"),
        ("ports", "100"),
        ("unregistered_window_secs", "3600"),
        ("evidence_samples", "5"),
        ("internal", "192.168.10.0/24"),
        ("candidate-ids", "1"),
        ("candidate-scan", "1"),
    ];
    for (field, value) in [
        ("resolvers", "10.10.0.x"),
        ("window_secs", "0"),
        ("window_secs", "ten"),
        ("hosts", "1"),
        ("ports", "70000"),
        ("unregistered_window_secs", "-1"),
        ("evidence_samples", "0"),
        ("evidence_samples", ""),
        ("internal", "192.168.10.0/33"),
    ] {
        let form: Vec<(&str, &str)> = good
            .iter()
            .map(|(k, v)| if *k == field { (*k, value) } else { (*k, *v) })
            .collect();
        let refused = app.post("/monitor/settings", &ciso, &form).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}"
        );
    }
    // A box for a rule that does not exist is refused, not ignored.
    let mut forged = good.to_vec();
    forged.push(("candidate-exfiltration", "1"));
    let refused = app.post("/monitor/settings", &ciso, &forged).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let saved = app.post("/monitor/settings", &ciso, &good).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let html = app.get("/monitor/settings", Some(&ciso)).await.text();
    assert!(html.contains(r#"name="candidate-ids" value="1" checked"#));
    assert!(html.contains(r#"name="candidate-scan" value="1" checked"#));
    assert!(html.contains(r#"name="candidate-crossing" value="1">"#));
    assert!(html.contains("10.10.0.53\n10.10.0.54"));
    assert!(html.contains("192.168.10.0/24"));
    let auditor = app.login(Who::Auditor).await;
    let read_only = app.get("/monitor/settings", Some(&auditor)).await.text();
    assert!(read_only.contains("disabled"));
}
