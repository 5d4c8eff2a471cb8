//! 不正通信の監視 through the API: the alerts' filters and paging, the CSIRT's steps, the whole
//! matrix replaced and a model applied, the settings, a segment's flows, and hostile or
//! malformed bodies and queries.

use super::*;

use mamori_core::monitor::{Alert, AlertRule, Tally};
use mamori_store::MonitorStore as _;

async fn with_segments(w: &World) {
    for (code, name, ranges) in [
        ("LGWAN", "LGWAN接続系", ["10.20.0.0/16"]),
        ("INTERNET", "インターネット接続系", ["172.16.0.0/16"]),
    ] {
        post("/api/v1/segments")
            .token(&w.ciso.token)
            .json(json!({"code": code, "name": name, "ranges": ranges}))
            .send(&w.app)
            .await
            .expect(StatusCode::CREATED);
    }
}

fn sighting(rule: AlertRule, key: &str, last: &str) -> Alert {
    Alert {
        rule,
        key: key.into(),
        src: "10.20.0.5".parse().unwrap(),
        dst: Some("8.8.8.8".parse().unwrap()),
        dst_port: Some(53),
        proto: Some(mamori_core::crossing::Proto::Udp),
        src_segment: Some("LGWAN".into()),
        dst_segment: None,
        src_asset: None,
        dst_asset: None,
        detail: "LGWAN → インターネット".into(),
        count: 1,
        first_seen: "2026-12-01T00:00:00Z".parse().unwrap(),
        last_seen: last.parse().unwrap(),
        evidence: vec!["line".into()],
    }
}

#[tokio::test]
async fn alerts_are_filtered_paged_and_handled_by_the_csirt() {
    let w = world().await;
    let csirt = provision(
        &w.store,
        "csirt",
        "対応 一郎",
        None,
        Some((Role::Csirt, Scope::Global)),
    )
    .await;
    let mut batch = Vec::new();
    for i in 0..12 {
        let rule = if i < 4 {
            AlertRule::Scan
        } else {
            AlertRule::Crossing
        };
        batch.push(sighting(
            rule,
            &format!("k{i}"),
            &format!("2026-12-{:02}T00:00:00Z", i + 1),
        ));
    }
    w.store.record_monitor(&batch, &[]).await.unwrap();
    let page = get("/api/v1/monitor/alerts?limit=5&offset=5")
        .token(&csirt.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(page["total"], 12);
    assert_eq!(page["alerts"].as_array().unwrap().len(), 5);
    assert_eq!(page["alerts"][0]["key"], "k6", "newest first");
    assert_eq!(
        page["per_rule"],
        json!([{"rule": "crossing", "count": 8}, {"rule": "scan", "count": 4}])
    );
    let scans = get("/api/v1/monitor/alerts?rule=scan&until=2026-12-02")
        .token(&csirt.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(scans["total"], 2);
    for bad in [
        "rule=SCAN",
        "state=gone",
        "limit=abc",
        "limit=0",
        "address=999.1.1.1",
        "asset=0",
        "since=2026-02-30",
        "segment=a%20b",
    ] {
        get(&format!("/api/v1/monitor/alerts?{bad}"))
            .token(&csirt.token)
            .send(&w.app)
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let id = page["alerts"][0]["id"].clone();
    post(&format!("/api/v1/monitor/alerts/{id}/acknowledge"))
        .token(&csirt.token)
        .json(json!({"note": "調査中", "extra": 1}))
        .send(&w.app)
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    let acked = post(&format!("/api/v1/monitor/alerts/{id}/acknowledge"))
        .token(&csirt.token)
        .json(json!({"note": "調査中"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(acked["state"], "acknowledged");
    assert_eq!(acked["acknowledged"]["by"], "csirt");
    post(&format!("/api/v1/monitor/alerts/{id}/acknowledge"))
        .token(&csirt.token)
        .json(json!({}))
        .send(&w.app)
        .await
        .expect(StatusCode::CONFLICT);
    let closed = post(&format!("/api/v1/monitor/alerts/{id}/close"))
        .token(&csirt.token)
        .json(json!({"note": "設定を修正"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(closed["state"], "closed");
    post(&format!("/api/v1/monitor/alerts/{id}/close"))
        .token(&csirt.token)
        .json(json!({}))
        .send(&w.app)
        .await
        .expect(StatusCode::CONFLICT);
    get("/api/v1/monitor/alerts/0")
        .token(&csirt.token)
        .send(&w.app)
        .await
        .expect(StatusCode::NOT_FOUND);
    let waiting = get("/api/v1/waiting")
        .token(&csirt.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(waiting["open_alerts"], 11);
}

#[tokio::test]
async fn the_matrix_is_replaced_whole_or_from_a_model_and_checked() {
    let w = world().await;
    with_segments(&w).await;
    let preset = post("/api/v1/monitor/crossing-matrix/preset")
        .token(&w.ciso.token)
        .json(json!({"model": "beta", "gateway": ["10.20.0.25"]}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(preset["cells"].as_array().unwrap().len(), 6);
    let inbound = preset["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["from"] == "INTERNET" && c["to"] == "LGWAN")
        .unwrap();
    assert_eq!(inbound["allow"], "only");
    assert_eq!(inbound["services"][0], "tcp/25@10.20.0.25");
    for bad in [
        json!({"model": "delta"}),
        json!({"model": "beta", "gateway": ["10.20.0.x"]}),
        json!({"model": "beta", "gateway": "10.20.0.25"}),
        json!({"model": "beta", "confirm": true}),
    ] {
        let status = post("/api/v1/monitor/crossing-matrix/preset")
            .token(&w.ciso.token)
            .json(bad.clone())
            .send(&w.app)
            .await
            .status;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{bad}: {status}"
        );
    }
    let cell = |from: &str, to: &str, allow: &str, services: Value| json!({"from": from, "to": to, "allow": allow, "services": services, "note": "<b>備考</b>"});
    let put = |body: Value| {
        Call::new(Method::PUT, "/api/v1/monitor/crossing-matrix")
            .token(&w.ciso.token)
            .json(body)
    };
    let replaced = put(json!({"cells": [
        cell("LGWAN", "*INTERNET", "only", json!(["udp/53@192.0.2.53"])),
        cell("INTERNET", "LGWAN", "never", json!([])),
    ]}))
    .send(&w.app)
    .await
    .expect(StatusCode::OK);
    assert_eq!(replaced["cells"].as_array().unwrap().len(), 2);
    assert_eq!(
        replaced["cells"][0]["note"], "<b>備考</b>",
        "stored verbatim"
    );
    for (body, status) in [
        (
            json!({"cells": [cell("LGWAN", "NOWHERE", "never", json!([]))]}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"cells": [cell("LGWAN", "LGWAN", "never", json!([]))]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"cells": [cell("LGWAN", "*INTERNET", "maybe", json!([]))]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"cells": [cell("LGWAN", "*INTERNET", "only", json!(["tcp/0x19"]))]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"cells": [cell("LGWAN", "*INTERNET", "only", json!([]))]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"cells": [cell("<script>", "*INTERNET", "never", json!([]))]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"cells": [
                cell("LGWAN", "*INTERNET", "never", json!([])),
                cell("LGWAN", "*INTERNET", "any", json!([])),
            ]}),
            StatusCode::CONFLICT,
        ),
    ] {
        put(body.clone()).send(&w.app).await.expect(status);
    }
    let status = put(json!({"cells": "all"})).send(&w.app).await.status;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST);
    let kept = get("/api/v1/monitor/crossing-matrix")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(kept["cells"], replaced["cells"], "refusals changed nothing");
}

#[tokio::test]
async fn alerts_become_incident_candidates_on_their_own_or_by_the_csirt_and_stay_linked() {
    let w = world().await;
    let csirt = provision(
        &w.store,
        "csirt",
        "対応 一郎",
        None,
        Some((Role::Csirt, Scope::Global)),
    )
    .await;
    // With the default rules a new crossing alert is raised on its own; a DNS one is not.
    let outcome = w
        .store
        .record_monitor(
            &[
                sighting(AlertRule::Crossing, "c1", "2026-12-01T00:00:00Z"),
                sighting(AlertRule::Dns, "d1", "2026-12-01T00:00:00Z"),
            ],
            &[],
        )
        .await
        .unwrap();
    assert_eq!(outcome.candidates.len(), 1);
    let page = get("/api/v1/monitor/alerts")
        .token(&csirt.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let alert = |key: &str| {
        page["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == key)
            .unwrap()
            .clone()
    };
    let crossing = alert("c1");
    assert_eq!(crossing["incident_candidate"], outcome.candidates[0]);
    let dns = alert("d1");
    assert_eq!(dns["incident_candidate"], Value::Null);
    let dns_id = dns["id"].clone();

    // Only the CSIRT raises by hand; raising again answers the same candidate.
    for who in [&w.ciso, &w.staff_a] {
        post(&format!("/api/v1/monitor/alerts/{dns_id}/candidate"))
            .token(&who.token)
            .send(&w.app)
            .await
            .error(StatusCode::FORBIDDEN, "forbidden");
    }
    post("/api/v1/monitor/alerts/99999999/candidate")
        .token(&csirt.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    let raised = post(&format!("/api/v1/monitor/alerts/{dns_id}/candidate"))
        .token(&csirt.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let candidate = raised["incident_candidate"].clone();
    assert!(candidate.is_i64(), "{raised}");
    let again = post(&format!("/api/v1/monitor/alerts/{dns_id}/candidate"))
        .token(&csirt.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(again["incident_candidate"], candidate);

    let listed = get("/api/v1/incident-candidates")
        .token(&csirt.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    let of_dns = listed.iter().find(|c| c["id"] == candidate).unwrap();
    assert_eq!(of_dns["source"], "monitor");
    assert_eq!(of_dns["reference"], dns_id.to_string());
    assert_eq!(
        of_dns["summary"],
        "[dns] 10.20.0.5 (LGWAN) → 8.8.8.8 udp/53: LGWAN → インターネット"
    );

    // An incident opened from it keeps the link back to the alert.
    let opened = post(&format!("/api/v1/incident-candidates/{candidate}/open"))
        .token(&csirt.token)
        .json(json!({}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(
        opened["raised_from"],
        json!({"candidate_id": candidate, "source": "monitor", "reference": dns_id.to_string()})
    );

    // With no rules chosen the monitor raises nothing on its own.
    let mut settings = get("/api/v1/monitor/settings")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    settings["candidate_rules"] = json!([]);
    Call::new(Method::PUT, "/api/v1/monitor/settings")
        .token(&w.ciso.token)
        .json(settings)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let quiet = w
        .store
        .record_monitor(
            &[sighting(AlertRule::Crossing, "c2", "2026-12-02T00:00:00Z")],
            &[],
        )
        .await
        .unwrap();
    assert_eq!((quiet.opened, quiet.candidates.len()), (1, 0));
}

#[tokio::test]
async fn settings_and_flows_are_read_and_checked() {
    let w = world().await;
    let settings = get("/api/v1/monitor/settings")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(settings["evidence_samples"], 5);
    let good = json!({"resolvers": ["10.20.0.53"], "window_secs": 120, "scan_hosts": 50,
        "scan_ports": 50, "unregistered_window_secs": 7200, "evidence_samples": 3,
        "internal": ["192.168.0.0/16"], "candidate_rules": ["ids", "scan"]});
    assert_eq!(settings["candidate_rules"], json!(["crossing", "ids"]));
    for (field, value) in [
        ("resolvers", json!(["dns.example"])),
        ("window_secs", json!(0)),
        ("window_secs", json!(-1)),
        ("window_secs", json!(null)),
        ("scan_hosts", json!(1)),
        ("scan_ports", json!(4_294_967_296_i64)),
        ("evidence_samples", json!(51)),
        ("internal", json!(["10.0.0.0/40"])),
        ("candidate_rules", json!(["IDS"])),
        ("candidate_rules", json!("ids")),
        ("unknown", json!(1)),
    ] {
        let mut body = good.clone();
        body[field] = value;
        let status = Call::new(Method::PUT, "/api/v1/monitor/settings")
            .token(&w.ciso.token)
            .json(body)
            .send(&w.app)
            .await
            .status;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
    }
    let saved = Call::new(Method::PUT, "/api/v1/monitor/settings")
        .token(&w.ciso.token)
        .json(good.clone())
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(saved, good);

    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
    let lgwan = mamori_core::crossing::Zone::Segment("LGWAN".into());
    let tally = |d, flows, forbidden| Tally {
        day: day(d),
        from: lgwan.clone(),
        to: mamori_core::crossing::Zone::Internet,
        proto: mamori_core::crossing::Proto::Udp,
        dst_port: Some(53),
        flows,
        forbidden,
    };
    w.store
        .record_monitor(&[], &[tally(1, 10, 10), tally(3, 5, 5), tally(20, 1, 1)])
        .await
        .unwrap();
    let flows = get("/api/v1/monitor/segments/LGWAN/tallies?from=2026-12-01&until=2026-12-07")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        flows["flows"],
        json!([{"from": "LGWAN", "to": "*INTERNET", "proto": "udp", "dst_port": 53, "flows": 15, "forbidden": 15}])
    );
    for bad in [
        "from=2026-12-08&until=2026-12-01",
        "from=20261201",
        "until=2020-01-01&from=2018-01-01",
    ] {
        get(&format!("/api/v1/monitor/segments/LGWAN/tallies?{bad}"))
            .token(&w.ciso.token)
            .send(&w.app)
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
    }
    get("/api/v1/monitor/segments/a%20b/tallies")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
}
