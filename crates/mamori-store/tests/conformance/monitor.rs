//! Cases of the monitor: the crossing matrix and the settings (edited with grants, each write
//! one record, refused at the store's boundary when invalid), the site the monitor reads, and
//! the alerts and tallies it writes (merged while open, evidence capped, tallies added up).

use chrono::{DateTime, NaiveDate, Utc};
use mamori_core::asset::{AssetId, AssetKind, Disposal, Lifecycle};
use mamori_core::authz::{
    AssetPlace, HandleAlerts, ManageAssets, ManageMonitor, ManageRegister, ViewMonitor,
};
use mamori_core::classification::{Classification, segment_codes};
use mamori_core::crossing::{
    Crossing, CrossingMatrix, CrossingRule, Model, PresetServers, Proto, Zone,
};
use mamori_core::incident::CandidateSource;
use mamori_core::monitor::{
    Alert, AlertRule, AssetRef, CANDIDATES_PER_BATCH, MonitorSettings, Tally,
};
use mamori_core::segment::{Segment, parse_ranges};
use mamori_core::{Granted, OrgId, UnitId};
use mamori_store::{
    AlertFilter, AlertId, AlertState, AssetInput, Conflict, NewAsset, SegmentEntry, StoreError,
};

use crate::{Fx, assert_conflict, grant, name, new_org, new_unit, origin};

fn view() -> Granted<ViewMonitor> {
    grant::<ViewMonitor>(&())
}

fn manage() -> Granted<ManageMonitor> {
    grant::<ManageMonitor>(&())
}

fn csirt() -> Granted<HandleAlerts> {
    mamori_core::authz::authorize::<HandleAlerts>(
        &mamori_core::Actor {
            roles: vec![(mamori_core::Role::Csirt, mamori_core::Scope::Global)],
            ..crate::ciso()
        },
        &(),
    )
    .expect("the CSIRT handles alerts")
}

fn seg(code: &str) -> Zone {
    Zone::Segment(code.into())
}

async fn segment(fx: &Fx, code: &str, title: &str, ranges: &str) -> SegmentEntry {
    fx.store()
        .create_segment(
            &grant::<ManageRegister>(&()),
            Segment {
                code: code.into(),
                name: name(title),
                ranges: parse_ranges("ranges", ranges).unwrap(),
                note: String::new(),
            },
            &origin(),
        )
        .await
        .unwrap()
}

/// The three segments of the MIC model.
async fn site(fx: &Fx) -> Vec<SegmentEntry> {
    vec![
        segment(fx, segment_codes::LGWAN, "LGWAN接続系", "10.20.0.0/16").await,
        segment(
            fx,
            segment_codes::INTERNET,
            "インターネット接続系",
            "172.16.0.0/16",
        )
        .await,
        segment(
            fx,
            segment_codes::MYNUMBER,
            "マイナンバー利用事務系",
            "10.30.0.0/16",
        )
        .await,
    ]
}

fn beta() -> CrossingMatrix {
    CrossingMatrix::preset(
        Model::Beta,
        &[
            segment_codes::LGWAN,
            segment_codes::INTERNET,
            segment_codes::MYNUMBER,
        ],
        &PresetServers {
            gateway: vec!["10.20.0.25/32".parse().unwrap()],
            screen_transfer: vec![],
        },
    )
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn alert(
    rule: AlertRule,
    key: &str,
    count: u64,
    first: &str,
    last: &str,
    evidence: &[&str],
) -> Alert {
    Alert {
        rule,
        key: key.into(),
        src: "10.20.0.5".parse().unwrap(),
        dst: Some("8.8.8.8".parse().unwrap()),
        dst_port: Some(53),
        proto: Some(Proto::Udp),
        src_segment: Some(segment_codes::LGWAN.into()),
        dst_segment: None,
        src_asset: Some(AssetRef {
            id: AssetId(1),
            name: "窓口端末".into(),
        }),
        dst_asset: None,
        detail: "LGWAN → インターネット".into(),
        count,
        first_seen: at(first),
        last_seen: at(last),
        evidence: evidence.iter().map(|s| (*s).into()).collect(),
    }
}

fn tally(day: &str, from: Zone, to: Zone, port: Option<u16>, flows: u64, forbidden: u64) -> Tally {
    Tally {
        day: NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap(),
        from,
        to,
        proto: Proto::Tcp,
        dst_port: port,
        flows,
        forbidden,
    }
}

pub async fn the_crossing_matrix_round_trips_and_outlives_a_deleted_segment(fx: Fx) {
    let s = fx.store();
    site(&fx).await;
    // Never written: the β model over the segments there are, which the monitor reads too.
    let assumed = s.crossing_matrix(&view()).await.unwrap();
    assert!(assumed.assumed);
    assert_eq!(assumed.matrix.rules.len(), 12);
    assert_eq!(s.monitor_site().await.unwrap().matrix, assumed.matrix);

    let before = fx.audit_len().await;
    let stored = s
        .set_crossing_matrix(&manage(), &beta(), &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "monitor.matrix.replace").await;
    assert!(!stored.assumed);
    assert_eq!(stored.matrix.rules.len(), 12);
    assert!(stored.missing.is_empty());
    let read = s.crossing_matrix(&view()).await.unwrap();
    let mut expected = beta().rules;
    expected.sort_by(|a, b| (a.from.code(), a.to.code()).cmp(&(b.from.code(), b.to.code())));
    assert_eq!(read.matrix.rules, expected, "a round trip keeps every cell");

    // One cell: udp/53 from LGWAN to a named resolver on the Internet.
    let cell = CrossingRule {
        from: seg(segment_codes::LGWAN),
        to: Zone::Internet,
        crossing: Crossing::parse("only", "udp/53@192.0.2.53").unwrap(),
        note: "指定 DNS のみ <b>".into(),
    };
    let before = fx.audit_len().await;
    let stored = s
        .set_crossing_rule(&manage(), &cell, &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "monitor.matrix.cell").await;
    assert_eq!(stored.matrix.rules.len(), 12);
    assert_eq!(
        stored
            .matrix
            .rule(&seg(segment_codes::LGWAN), &Zone::Internet),
        Some(&cell)
    );

    // Refusals change nothing and write nothing.
    let before = fx.audit_len().await;
    let unknown = CrossingRule {
        from: seg("NOWHERE"),
        ..cell.clone()
    };
    assert_conflict(
        s.set_crossing_rule(&manage(), &unknown, &origin()).await,
        Conflict::MonitorZoneMissing,
        "a cell naming no segment",
    );
    let itself = CrossingRule {
        to: seg(segment_codes::LGWAN),
        ..cell.clone()
    };
    assert_conflict(
        s.set_crossing_rule(&manage(), &itself, &origin()).await,
        Conflict::MonitorMatrixInvalid,
        "a zone with itself",
    );
    let mut twins = beta();
    twins.rules.push(twins.rules[0].clone());
    assert_conflict(
        s.set_crossing_matrix(&manage(), &twins, &origin()).await,
        Conflict::MonitorMatrixInvalid,
        "a pair twice",
    );
    fx.assert_no_record(before, "refused matrix writes").await;
    assert_eq!(s.crossing_matrix(&view()).await.unwrap(), stored);

    // A segment deleted: its cells are still read, named as missing, and removable.
    let lab = segment(&fx, "LAB", "検証環境", "192.168.50.0/24").await;
    for (from, to) in [
        (seg("LAB"), Zone::Internet),
        (seg(segment_codes::LGWAN), seg("LAB")),
    ] {
        let rule = CrossingRule {
            from,
            to,
            crossing: Crossing::Never,
            note: String::new(),
        };
        s.set_crossing_rule(&manage(), &rule, &origin())
            .await
            .unwrap();
    }
    s.delete_segment(&grant::<ManageRegister>(&()), lab.id, &origin())
        .await
        .unwrap();
    let read = s.crossing_matrix(&view()).await.unwrap();
    assert_eq!(read.matrix.rules.len(), 14);
    assert_eq!(read.missing, vec![seg("LAB")]);
    let site_read = s.monitor_site().await.unwrap();
    assert_eq!(
        site_read.matrix.rules.len(),
        14,
        "the monitor still reads it"
    );
    let before = fx.audit_len().await;
    let mut left = read;
    for rule in left.matrix.rules.clone() {
        if rule.from == seg("LAB") || rule.to == seg("LAB") {
            left = s
                .remove_crossing_rule(&manage(), &rule.from, &rule.to, &origin())
                .await
                .unwrap();
        }
    }
    assert_eq!(fx.audit_len().await, before + 2);
    assert_eq!(left.matrix.rules.len(), 12);
    assert!(left.missing.is_empty());
    assert!(matches!(
        s.remove_crossing_rule(&manage(), &seg("GONE"), &Zone::Internet, &origin())
            .await,
        Err(StoreError::NotFound)
    ));

    // A segment renamed: its cells follow, in the same write.
    let lgwan = s
        .list_segments(&grant::<mamori_core::authz::ViewAssets>(&()))
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.segment.code == segment_codes::LGWAN)
        .unwrap();
    s.update_segment(
        &grant::<ManageRegister>(&()),
        lgwan.id,
        Segment {
            code: "LGWAN2".into(),
            ..lgwan.segment.clone()
        },
        &origin(),
    )
    .await
    .unwrap();
    let renamed = s.crossing_matrix(&view()).await.unwrap();
    assert!(renamed.missing.is_empty(), "{:?}", renamed.missing);
    assert_eq!(renamed.matrix.rules.len(), 12);
    assert_eq!(
        renamed
            .matrix
            .rule(&seg("LGWAN2"), &Zone::Internet)
            .map(|r| &r.crossing),
        Some(&cell.crossing)
    );
    assert!(
        renamed
            .matrix
            .rule(&seg(segment_codes::LGWAN), &Zone::Internet)
            .is_none()
    );
    assert_eq!(fx.verify().await.result, Ok(()));
}

pub async fn a_new_site_follows_the_beta_model_until_a_cell_is_written_into_it(fx: Fx) {
    let s = fx.store();
    let empty = s.crossing_matrix(&view()).await.unwrap();
    assert!(
        empty.assumed && empty.matrix.rules.is_empty(),
        "no segments, no pairs"
    );
    site(&fx).await;
    let assumed = s.crossing_matrix(&view()).await.unwrap();
    let codes = [
        segment_codes::INTERNET,
        segment_codes::LGWAN,
        segment_codes::MYNUMBER,
    ];
    let preset = CrossingMatrix::preset(Model::Beta, &codes, &PresetServers::default());
    assert!(assumed.assumed);
    assert_eq!(assumed.matrix.rules.len(), preset.rules.len());
    for rule in &preset.rules {
        assert_eq!(assumed.matrix.rule(&rule.from, &rule.to), Some(rule));
    }
    // The LGWAN-connected segment never reaches the Internet under β: the monitor of a new
    // site says so without anyone writing a matrix.
    let site_read = s.monitor_site().await.unwrap();
    assert_eq!(
        site_read
            .matrix
            .rule(&seg(segment_codes::LGWAN), &Zone::Internet)
            .map(|r| &r.crossing),
        Some(&Crossing::Never)
    );
    // A cell written is written into the β model, which is stored whole with it.
    let cell = CrossingRule {
        from: seg(segment_codes::LGWAN),
        to: Zone::Internet,
        crossing: Crossing::parse("only", "udp/53@192.0.2.53").unwrap(),
        note: String::new(),
    };
    let before = fx.audit_len().await;
    let stored = s
        .set_crossing_rule(&manage(), &cell, &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "monitor.matrix.cell").await;
    assert!(!stored.assumed);
    assert_eq!(stored.matrix.rules.len(), preset.rules.len());
    for rule in &preset.rules {
        let kept = stored.matrix.rule(&rule.from, &rule.to).unwrap();
        if rule.from == cell.from && rule.to == cell.to {
            assert_eq!(kept, &cell);
        } else {
            assert_eq!(kept, rule);
        }
    }
    // Saved now: a segment added later is not given β cells of its own.
    segment(&fx, "LAB", "検証環境", "192.168.50.0/24").await;
    let read = s.crossing_matrix(&view()).await.unwrap();
    assert!(!read.assumed);
    assert_eq!(read.matrix.rules.len(), preset.rules.len());
    assert_eq!(s.monitor_site().await.unwrap().matrix, read.matrix);
}

pub async fn monitor_settings_are_validated_at_the_store_boundary_and_the_site_is_read_whole(
    fx: Fx,
) {
    let s = fx.store();
    site(&fx).await;
    assert_eq!(
        s.monitor_settings(&view()).await.unwrap(),
        MonitorSettings::default()
    );
    let before = fx.audit_len().await;
    for bad in [
        MonitorSettings {
            evidence_samples: 0,
            ..MonitorSettings::default()
        },
        MonitorSettings {
            unregistered_window_secs: 1,
            ..MonitorSettings::default()
        },
    ] {
        assert_conflict(
            s.set_monitor_settings(&manage(), &bad, &origin()).await,
            Conflict::MonitorSettingsInvalid,
            "settings out of range",
        );
    }
    fx.assert_no_record(before, "refused settings").await;
    let settings = MonitorSettings {
        resolvers: vec!["10.20.0.53".parse().unwrap()],
        evidence_samples: 2,
        internal: vec!["192.168.10.0/24".parse().unwrap()],
        ..MonitorSettings::default()
    };
    s.set_monitor_settings(&manage(), &settings, &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "monitor.settings").await;
    assert_eq!(s.monitor_settings(&view()).await.unwrap(), settings);

    // The site: segments with ranges, assets in use with their addresses, matrix, settings.
    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let unit = new_unit(&fx, org, None, "情報政策課").await.id;
    let kept = asset(&fx, org, unit, "窓口端末", &["10.20.0.5", "10.20.0.6"]).await;
    let gone = asset(&fx, org, unit, "廃棄端末", &["10.20.0.7"]).await;
    asset(&fx, org, unit, "例規集", &[]).await;
    s.dispose_asset(
        &grant::<ManageAssets>(&place(org, unit)),
        gone,
        Disposal {
            method: "物理破壊".into(),
            by: "総務課".into(),
            at_ms: fx.now(),
        },
        &origin(),
    )
    .await
    .unwrap();
    s.set_crossing_matrix(&manage(), &beta(), &origin())
        .await
        .unwrap();
    let read = s.monitor_site().await.unwrap();
    let codes: Vec<&str> = read.segments.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(codes, ["INTERNET", "LGWAN", "MYNUMBER"]);
    assert_eq!(
        read.segments[1].ranges,
        parse_ranges("r", "10.20.0.0/16").unwrap()
    );
    assert_eq!(
        read.assets.len(),
        1,
        "disposed and addressless assets are left out"
    );
    assert_eq!(read.assets[0].id, kept);
    assert_eq!(read.assets[0].addresses.len(), 2);
    assert_eq!(read.matrix.rules.len(), 12);
    assert_eq!(read.settings, settings);
}

fn place(org: OrgId, unit: UnitId) -> AssetPlace {
    AssetPlace {
        asset: None,
        owner_unit: Some(unit),
        owner_org: Some(org),
        restricted: false,
        existence_visible: true,
    }
}

async fn asset(fx: &Fx, org: OrgId, unit: UnitId, title: &str, addresses: &[&str]) -> AssetId {
    fx.store()
        .create_asset(
            &grant::<ManageAssets>(&place(org, unit)),
            NewAsset {
                input: AssetInput {
                    kind: AssetKind::Equipment,
                    name: name(title),
                    owner_unit: unit,
                    administrator: None,
                    location: String::new(),
                    segment: None,
                    hosts: vec![],
                    addresses: addresses.iter().map(|a| a.parse().unwrap()).collect(),
                    lifecycle: Lifecycle::InUse,
                    note: String::new(),
                },
                classification: Classification {
                    confidentiality: "2".into(),
                    integrity: "2".into(),
                    availability: "2".into(),
                },
                disposal: None,
            },
            &origin(),
        )
        .await
        .unwrap()
        .id
}

pub async fn alerts_merge_while_open_and_a_handled_alert_is_not_merged_into(fx: Fx) {
    let s = fx.store();
    s.set_monitor_settings(
        &manage(),
        &MonitorSettings {
            evidence_samples: 3,
            ..MonitorSettings::default()
        },
        &origin(),
    )
    .await
    .unwrap();
    let before = fx.audit_len().await;
    let first = s
        .record_monitor(
            &[
                alert(
                    AlertRule::Crossing,
                    "k1",
                    2,
                    "2026-12-01T10:00:00Z",
                    "2026-12-01T10:05:00Z",
                    &["a", "b"],
                ),
                // The same alert twice in one batch is folded before it is written.
                alert(
                    AlertRule::Crossing,
                    "k1",
                    1,
                    "2026-12-01T09:00:00Z",
                    "2026-12-01T09:00:00Z",
                    &["c", "d"],
                ),
                // The same key under another rule is another alert.
                alert(
                    AlertRule::Dns,
                    "k1",
                    1,
                    "2026-12-01T10:00:00Z",
                    "2026-12-01T10:00:00Z",
                    &[],
                ),
            ],
            &[],
        )
        .await
        .unwrap();
    fx.assert_one_record(before, "monitor.record").await;
    assert_eq!((first.opened, first.merged), (2, 0));
    // The new crossing alert is raised as an インシデント候補 in the same write; the DNS one is
    // not of the default candidate rules.
    assert_eq!(first.candidates.len(), 1);
    let crossing = |page: &mamori_store::AlertPage| {
        page.alerts
            .iter()
            .find(|a| a.alert.rule == AlertRule::Crossing && a.state == AlertState::Open)
            .cloned()
            .unwrap()
    };
    let page = s.alerts(&view(), &AlertFilter::default()).await.unwrap();
    let one = crossing(&page);
    assert_eq!(one.alert.count, 3);
    assert_eq!(one.alert.first_seen, at("2026-12-01T09:00:00Z"));
    assert_eq!(one.alert.last_seen, at("2026-12-01T10:05:00Z"));
    assert_eq!(
        one.alert.evidence,
        ["a", "b", "c"],
        "capped at evidence_samples"
    );
    assert_eq!(one.alert.src_asset.as_ref().unwrap().name, "窓口端末");

    let second = s
        .record_monitor(
            &[alert(
                AlertRule::Crossing,
                "k1",
                5,
                "2026-12-01T11:00:00Z",
                "2026-12-01T12:00:00Z",
                &["e"],
            )],
            &[],
        )
        .await
        .unwrap();
    assert_eq!((second.opened, second.merged), (0, 1));
    let merged = s.alert(&view(), one.id).await.unwrap().unwrap();
    assert_eq!(merged.alert.count, 8);
    assert_eq!(merged.alert.last_seen, at("2026-12-01T12:00:00Z"));
    assert_eq!(merged.alert.evidence.len(), 3, "the cap holds across calls");

    // Acknowledged, then a later sighting opens a new alert; closing is final.
    let before = fx.audit_len().await;
    let acked = s
        .acknowledge_alert(&csirt(), one.id, "調査中", &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "monitor.alert.acknowledge")
        .await;
    assert_eq!(acked.state, AlertState::Acknowledged);
    assert_eq!(acked.acknowledged.as_ref().unwrap().note, "調査中");
    let before = fx.audit_len().await;
    assert_conflict(
        s.acknowledge_alert(&csirt(), one.id, "", &origin()).await,
        Conflict::AlertNotOpen,
        "acknowledged twice",
    );
    fx.assert_no_record(before, "a refused acknowledgement")
        .await;
    let third = s
        .record_monitor(
            &[alert(
                AlertRule::Crossing,
                "k1",
                1,
                "2026-12-02T10:00:00Z",
                "2026-12-02T10:00:00Z",
                &["f"],
            )],
            &[],
        )
        .await
        .unwrap();
    assert_eq!((third.opened, third.merged), (1, 0));
    assert_eq!(
        s.alert(&view(), one.id).await.unwrap().unwrap().alert.count,
        8,
        "an acknowledged alert is not merged into"
    );
    let closed = s
        .close_alert(
            &csirt(),
            one.id,
            "誤検知ではない。設定を修正した。",
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(closed.state, AlertState::Closed);
    assert_conflict(
        s.close_alert(&csirt(), one.id, "", &origin()).await,
        Conflict::AlertClosed,
        "closed twice",
    );
    assert_conflict(
        s.acknowledge_alert(&csirt(), one.id, "", &origin()).await,
        Conflict::AlertNotOpen,
        "a closed alert acknowledged",
    );
    let page = s.alerts(&view(), &AlertFilter::default()).await.unwrap();
    let newer = crossing(&page);
    assert_ne!(newer.id, one.id);
    // The later crossing alert was raised on its own, once; the CSIRT raises the DNS one by
    // hand, and raising it again changes nothing.
    assert_eq!(third.candidates.len(), 1);
    assert_eq!(newer.incident_candidate, Some(third.candidates[0]));
    let dns = page
        .alerts
        .iter()
        .find(|a| a.alert.rule == AlertRule::Dns)
        .cloned()
        .unwrap();
    assert_eq!(dns.incident_candidate, None);
    let before = fx.audit_len().await;
    let raised = s
        .raise_alert_candidate(&csirt(), dns.id, &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "incident.candidate.raise")
        .await;
    let candidate_id = raised.incident_candidate.expect("linked");
    let candidate = s.incident_candidate(candidate_id).await.unwrap().unwrap();
    assert_eq!(candidate.source, CandidateSource::Monitor);
    assert_eq!(candidate.reference, dns.id.0.to_string());
    assert!(
        candidate
            .summary
            .starts_with("[dns] 10.20.0.5 (LGWAN) → 8.8.8.8 udp/53"),
        "{}",
        candidate.summary
    );
    let before = fx.audit_len().await;
    let again = s
        .raise_alert_candidate(&csirt(), dns.id, &origin())
        .await
        .unwrap();
    assert_eq!(again.incident_candidate, Some(candidate_id));
    fx.assert_no_record(before, "raised twice").await;
    assert!(matches!(
        s.raise_alert_candidate(&csirt(), AlertId(999_999), &origin())
            .await,
        Err(StoreError::NotFound)
    ));
    // An open alert closes at once too, and the candidate link is kept.
    let closed = s
        .close_alert(&csirt(), newer.id, "", &origin())
        .await
        .unwrap();
    assert_eq!(closed.state, AlertState::Closed);
    assert_eq!(closed.incident_candidate, newer.incident_candidate);
    assert!(s.alert(&view(), AlertId(999_999)).await.unwrap().is_none());
    assert!(matches!(
        s.close_alert(&csirt(), AlertId(999_999), "", &origin())
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(fx.verify().await.result, Ok(()));
}

pub async fn tallies_add_up_per_day_pair_and_port(fx: Fx) {
    let s = fx.store();
    let lgwan = seg(segment_codes::LGWAN);
    let inet = seg(segment_codes::INTERNET);
    s.record_monitor(
        &[],
        &[
            tally("2026-12-01", inet.clone(), lgwan.clone(), Some(25), 10, 0),
            tally("2026-12-01", inet.clone(), lgwan.clone(), Some(25), 5, 0),
            tally("2026-12-01", lgwan.clone(), Zone::Internet, Some(53), 4, 4),
            tally("2026-12-02", inet.clone(), lgwan.clone(), Some(25), 1, 0),
            tally("2026-12-09", inet.clone(), lgwan.clone(), Some(25), 100, 0),
            tally("2026-12-01", inet.clone(), Zone::Internet, None, 7, 0),
        ],
    )
    .await
    .unwrap();
    let again = s
        .record_monitor(
            &[],
            &[tally(
                "2026-12-01",
                lgwan.clone(),
                Zone::Internet,
                Some(53),
                2,
                2,
            )],
        )
        .await
        .unwrap();
    assert_eq!(again.tallies, 1);
    let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    let rows = s
        .zone_tallies(&view(), &lgwan, day("2026-12-01"), day("2026-12-07"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        (rows[0].from.clone(), rows[0].to.clone()),
        (inet.clone(), lgwan.clone())
    );
    assert_eq!(
        (rows[0].dst_port, rows[0].flows, rows[0].forbidden),
        (Some(25), 16, 0)
    );
    assert_eq!(
        (rows[1].to.clone(), rows[1].flows, rows[1].forbidden),
        (Zone::Internet, 6, 6)
    );
    let internet_side = s
        .zone_tallies(
            &view(),
            &Zone::Internet,
            day("2026-12-01"),
            day("2026-12-01"),
        )
        .await
        .unwrap();
    assert_eq!(internet_side.len(), 2);
    let portless = internet_side.iter().find(|r| r.from == inet).unwrap();
    assert_eq!((portless.dst_port, portless.flows), (None, 7));
}

pub async fn alert_filters_and_pages(fx: Fx) {
    let s = fx.store();
    let mut batch = Vec::new();
    for i in 0..30u32 {
        let mut a = alert(
            if i % 3 == 0 {
                AlertRule::Scan
            } else {
                AlertRule::Crossing
            },
            &format!("key-{i}"),
            1,
            "2026-12-01T00:00:00Z",
            &format!("2026-12-01T{:02}:{:02}:00Z", i / 60, i % 60),
            &[],
        );
        if i % 2 == 0 {
            a.src = format!("172.16.0.{i}").parse().unwrap();
            a.src_segment = Some(segment_codes::INTERNET.into());
            a.src_asset = None;
            a.dst = Some("10.20.0.25".parse().unwrap());
            a.dst_segment = Some(segment_codes::LGWAN.into());
            a.dst_asset = Some(AssetRef {
                id: AssetId(9),
                name: "無害化GW".into(),
            });
        }
        batch.push(a);
    }
    s.record_monitor(&batch, &[]).await.unwrap();
    let list = |f: AlertFilter| async move { s.alerts(&view(), &f).await.unwrap() };
    let all = list(AlertFilter::default()).await;
    assert_eq!(all.total, 30);
    assert_eq!(all.alerts.len(), 30);
    assert_eq!(all.alerts[0].alert.key, "key-29", "newest last_seen first");
    assert_eq!(
        all.per_rule,
        vec![(AlertRule::Crossing, 20), (AlertRule::Scan, 10)]
    );
    let page = list(AlertFilter {
        limit: 7,
        offset: 7,
        ..AlertFilter::default()
    })
    .await;
    assert_eq!((page.total, page.alerts.len()), (30, 7));
    assert_eq!(page.alerts[0].alert.key, "key-22");
    let scans = list(AlertFilter {
        rule: Some(AlertRule::Scan),
        ..AlertFilter::default()
    })
    .await;
    assert_eq!(scans.total, 10);
    assert_eq!(
        scans.per_rule.len(),
        2,
        "counts per rule ignore the rule filter"
    );
    let lgwan = list(AlertFilter {
        segment: Some(segment_codes::LGWAN.into()),
        ..AlertFilter::default()
    })
    .await;
    assert_eq!(lgwan.total, 30, "either end");
    let internet = list(AlertFilter {
        segment: Some(segment_codes::INTERNET.into()),
        ..AlertFilter::default()
    })
    .await;
    assert_eq!(internet.total, 15);
    let gateway = list(AlertFilter {
        asset: Some(AssetId(9)),
        ..AlertFilter::default()
    })
    .await;
    assert_eq!(gateway.total, 15);
    let terminal = list(AlertFilter {
        asset: Some(AssetId(1)),
        ..AlertFilter::default()
    })
    .await;
    assert_eq!(terminal.total, 15);
    let one_host = list(AlertFilter {
        address: Some("172.16.0.4".parse().unwrap()),
        ..AlertFilter::default()
    })
    .await;
    assert_eq!(one_host.total, 1);
    let by_dst = list(AlertFilter {
        address: Some("8.8.8.8".parse().unwrap()),
        ..AlertFilter::default()
    })
    .await;
    assert_eq!(by_dst.total, 15);
    let window = list(AlertFilter {
        since: Some(at("2026-12-01T00:10:00Z").timestamp_millis()),
        until: Some(at("2026-12-01T00:20:00Z").timestamp_millis()),
        ..AlertFilter::default()
    })
    .await;
    assert_eq!(window.total, 10);
    let open_scans = list(AlertFilter {
        rule: Some(AlertRule::Scan),
        state: Some(AlertState::Closed),
        ..AlertFilter::default()
    })
    .await;
    assert_eq!(open_scans.total, 0);
}

pub async fn hostile_strings_are_stored_verbatim(fx: Fx) {
    let s = fx.store();
    let hostile =
        "<script>alert('x')</script> \"; DROP TABLE monitor_alerts; -- %_\\ 日本語 \u{202e}";
    let mut a = alert(
        AlertRule::Ids,
        hostile,
        1,
        "2026-12-01T00:00:00Z",
        "2026-12-01T00:00:00Z",
        &[hostile, "NUL\0byte"],
    );
    a.detail = hostile.into();
    a.src_asset = Some(AssetRef {
        id: AssetId(3),
        name: hostile.into(),
    });
    s.record_monitor(&[a], &[]).await.unwrap();
    let stored = s.alerts(&view(), &AlertFilter::default()).await.unwrap();
    let got = &stored.alerts[0].alert;
    assert_eq!(got.key, hostile);
    assert_eq!(got.detail, hostile);
    assert_eq!(got.evidence[0], hostile);
    assert_eq!(
        got.evidence[1], "NUL\u{2400}byte",
        "a NUL, which PostgreSQL's text cannot hold, is shown as ␀ on both databases"
    );
    assert_eq!(got.src_asset.as_ref().unwrap().name, hostile);
    assert_eq!(fx.raw_count("SELECT COUNT(*) FROM monitor_alerts").await, 1);
}

pub async fn a_batch_of_ten_thousand_alerts_is_one_transaction(fx: Fx) {
    let s = fx.store();
    let batch: Vec<Alert> = (0..10_000u32)
        .map(|i| {
            let mut a = alert(
                AlertRule::Crossing,
                &format!("1:{i:08x}"),
                1,
                "2026-12-01T00:00:00Z",
                "2026-12-01T00:00:00Z",
                &["{\"event_type\":\"flow\",\"src_ip\":\"10.20.0.5\",\"dest_ip\":\"8.8.8.8\",\"dest_port\":53,\"proto\":\"UDP\"}"],
            );
            a.src = std::net::IpAddr::from([10, 20, (i >> 8) as u8, i as u8]);
            a
        })
        .collect();
    let before = fx.audit_len().await;
    let started = std::time::Instant::now();
    let fresh = s.record_monitor(&batch, &[]).await.unwrap();
    let new_ms = started.elapsed().as_millis();
    let started = std::time::Instant::now();
    let merged = s.record_monitor(&batch, &[]).await.unwrap();
    let merge_ms = started.elapsed().as_millis();
    eprintln!(
        "alert store, {:?}: 10,000 new alerts in {new_ms} ms; 10,000 merged in {merge_ms} ms",
        s.backend()
    );
    assert_eq!((fresh.opened, fresh.merged), (10_000, 0));
    // A flood raises a bounded number of candidates; the rest stay alerts.
    assert_eq!(fresh.candidates.len(), CANDIDATES_PER_BATCH);
    assert!(merged.candidates.is_empty());
    assert_eq!(
        s.incident_candidates().await.unwrap().len(),
        CANDIDATES_PER_BATCH
    );
    assert_eq!((merged.opened, merged.merged), (0, 10_000));
    assert_eq!(fx.audit_len().await, before + 2, "one record per call");
    let page = s.alerts(&view(), &AlertFilter::default()).await.unwrap();
    assert_eq!(page.total, 10_000);
    assert!(page.alerts.iter().all(|a| a.alert.count == 2));
}
