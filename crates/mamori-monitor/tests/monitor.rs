//! The monitor's rules, aggregation, memory bounds and inputs, on a site shaped like the demo's.

use std::io::Write;
use std::net::IpAddr;
use std::time::Duration;

use mamori_core::asset::AssetId;
use mamori_core::classification::segment_codes::{INTERNET, LGWAN, MYNUMBER};
use mamori_core::crossing::{CrossingMatrix, Model, PresetServers, Proto, Verdict, Zone};
use mamori_core::monitor::{
    Alert, AlertRule, MonitorSettings, ScanThresholds, Site, SiteAsset, SiteSegment,
};
use mamori_monitor::{Format, Limits, Monitor, RunConfig, scan_paths, scan_paths_with};
use proptest::prelude::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn site() -> Site {
    let segment = |code: &str, name: &str, ranges: &[&str]| SiteSegment {
        code: code.into(),
        name: name.into(),
        ranges: ranges.iter().map(|r| r.parse().unwrap()).collect(),
    };
    let segments = vec![
        segment(MYNUMBER, "マイナンバー利用事務系", &["10.10.0.0/16"]),
        segment(LGWAN, "LGWAN接続系", &["10.20.0.0/16"]),
        segment(
            INTERNET,
            "インターネット接続系",
            &["172.16.0.0/16", "192.168.100.0/24"],
        ),
    ];
    let codes: Vec<&str> = segments.iter().map(|s| s.code.as_str()).collect();
    let matrix = CrossingMatrix::preset(
        Model::Beta,
        &codes,
        &PresetServers {
            gateway: vec!["10.20.0.25/32".parse().unwrap()],
            screen_transfer: vec![],
        },
    );
    let asset = |id: i64, name: &str, addrs: &[&str]| SiteAsset {
        id: AssetId(id),
        name: name.into(),
        addresses: addrs.iter().map(|a| ip(a)).collect(),
    };
    Site {
        assets: vec![
            asset(1, "無害化ゲートウェイ", &["10.20.0.25"]),
            asset(2, "インターネット閲覧端末", &["172.16.1.10"]),
            asset(3, "庁内DNS", &["172.16.0.53", "10.20.0.53"]),
            asset(4, "住民記録システム", &["10.10.0.5"]),
        ],
        segments,
        matrix,
        settings: MonitorSettings {
            resolvers: vec![ip("172.16.0.53"), ip("10.20.0.53")],
            scan: ScanThresholds {
                window_secs: 60,
                hosts: 20,
                ports: 20,
            },
            ..MonitorSettings::default()
        },
    }
}

fn flow(ts: &str, src: &str, sport: u32, dst: &str, dport: u32, proto: &str) -> String {
    format!(
        r#"{{"timestamp":"{ts}","flow_id":1,"event_type":"flow","src_ip":"{src}","src_port":{sport},"dest_ip":"{dst}","dest_port":{dport},"proto":"{proto}","app_proto":"failed","flow":{{"pkts_toserver":1,"pkts_toclient":0,"bytes_toserver":60,"bytes_toclient":0,"start":"{ts}","end":"{ts}","age":0,"state":"new","reason":"timeout","alerted":false}}}}"#
    )
}

fn monitor() -> Monitor {
    let mut m = Monitor::new(&site());
    m.set_reference_time("2026-12-01T00:00:00Z".parse().unwrap());
    m
}

fn only(alerts: &[Alert], rule: AlertRule) -> Vec<&Alert> {
    alerts.iter().filter(|a| a.rule == rule).collect()
}

#[test]
fn a_forbidden_crossing_is_one_aggregated_alert_with_names() {
    let mut m = monitor();
    // Internet-connected → LGWAN-connected: only tcp/25 to the gateway is allowed.
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:00:00+0900",
            "172.16.1.10",
            50000,
            "10.20.0.25",
            25,
            "TCP",
        )
        .as_bytes(),
    );
    for i in 0..7 {
        let ts = format!("2026-12-01T10:0{i}:00+0900");
        m.feed(
            Format::SuricataEve,
            flow(&ts, "172.16.1.10", 50001 + i, "10.20.0.25", 445, "TCP").as_bytes(),
        );
    }
    let (alerts, tallies) = m.take();
    let crossing = only(&alerts, AlertRule::Crossing);
    assert_eq!(crossing.len(), 1, "{alerts:#?}");
    let a = crossing[0];
    assert_eq!(a.count, 7, "the source port is not part of the key");
    assert_eq!(a.key, "172.16.1.10|10.20.0.25|tcp|445");
    assert_eq!(
        (a.src_segment.as_deref(), a.dst_segment.as_deref()),
        (Some(INTERNET), Some(LGWAN))
    );
    assert_eq!(a.src_asset.as_ref().unwrap().name, "インターネット閲覧端末");
    assert_eq!(a.dst_asset.as_ref().unwrap().id, AssetId(1));
    assert_eq!(
        a.evidence.len(),
        MonitorSettings::default().evidence_samples
    );
    assert_eq!(
        a.first_seen,
        "2026-12-01T01:00:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    );
    assert_eq!(
        a.last_seen,
        "2026-12-01T01:06:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    );
    assert!(
        a.detail.contains("INTERNET -> LGWAN tcp/445"),
        "{}",
        a.detail
    );
    // Tallies: one allowed flow to 25 and seven forbidden to 445, on 2026-12-01 (JST).
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let row = |port| tallies.iter().find(|t| t.dst_port == Some(port)).unwrap();
    assert_eq!((row(25).flows, row(25).forbidden, row(25).day), (1, 0, day));
    assert_eq!((row(445).flows, row(445).forbidden), (7, 7));
    assert_eq!(row(445).from, Zone::Segment(INTERNET.into()));
    // The record `monitor scan` writes: names, not codes.
    let record = mamori_monitor::alert_record(a, &site());
    let keys: Vec<&str> = record
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = [
        "rule",
        "src",
        "dst",
        "dst_port",
        "proto",
        "src_segment",
        "dst_segment",
        "src_asset",
        "dst_asset",
        "count",
        "first_seen",
        "last_seen",
        "evidence",
    ];
    want.sort_unstable();
    assert_eq!(keys, want);
    assert_eq!(record["rule"], "crossing");
    assert_eq!(record["src_segment"], "インターネット接続系");
    assert_eq!(record["dst_asset"], "無害化ゲートウェイ");
    assert_eq!(record["proto"], "tcp");
    assert_eq!(record["count"], 7);
    assert_eq!(record["first_seen"], "2026-12-01T01:00:00Z");
    let unregistered = mamori_monitor::alert_record(
        &Alert {
            dst: None,
            dst_segment: None,
            dst_asset: None,
            src_asset: None,
            ..a.clone()
        },
        &site(),
    );
    assert!(unregistered["dst"].is_null() && unregistered["dst_segment"].is_null());
    // Nothing is handed out twice.
    assert_eq!(m.take(), (vec![], vec![]));
    assert_eq!(m.summary().alerts, 1);
}

#[test]
fn the_community_id_is_the_key_when_the_log_has_one() {
    let mut m = monitor();
    let line = flow(
        "2026-12-01T10:00:00+0900",
        "10.20.1.1",
        50000,
        "8.8.4.4",
        443,
        "TCP",
    )
    .replace(r#""app_proto""#, r#""community_id":"1:abc=","app_proto""#);
    m.feed(Format::Auto, line.as_bytes());
    let (alerts, _) = m.take();
    let c = only(&alerts, AlertRule::Crossing);
    assert_eq!(c[0].key, "1:abc=");
    assert_eq!(c[0].dst_segment, None, "the Internet has no segment");
}

#[test]
fn mynumber_never_talks_outside_itself_and_inside_a_zone_is_not_a_crossing() {
    let mut m = monitor();
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:00:00+0900",
            "10.10.0.5",
            1,
            "10.20.0.53",
            53,
            "UDP",
        )
        .as_bytes(),
    );
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:00:00+0900",
            "10.10.0.5",
            1,
            "10.10.0.6",
            80,
            "TCP",
        )
        .as_bytes(),
    );
    let (alerts, _) = m.take();
    let c = only(&alerts, AlertRule::Crossing);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].src_segment.as_deref(), Some(MYNUMBER));
}

#[test]
fn unregistered_addresses_once_per_window() {
    let mut m = monitor();
    for minute in 0..5 {
        let ts = format!("2026-12-01T10:{minute:02}:00+0900");
        m.feed(
            Format::SuricataEve,
            flow(&ts, "172.16.9.9", 1, "172.16.1.10", 80, "TCP").as_bytes(),
        );
    }
    let (alerts, _) = m.take();
    let u = only(&alerts, AlertRule::Unregistered);
    assert_eq!(u.len(), 1);
    assert_eq!(
        (u[0].src, u[0].count, u[0].dst),
        (ip("172.16.9.9"), 1, None)
    );
    assert_eq!(u[0].src_segment.as_deref(), Some(INTERNET));
    // Within the hour: silent; after it: again.
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:30:00+0900",
            "172.16.9.9",
            1,
            "172.16.1.10",
            80,
            "TCP",
        )
        .as_bytes(),
    );
    assert!(only(&m.take().0, AlertRule::Unregistered).is_empty());
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T11:01:00+0900",
            "172.16.9.9",
            1,
            "172.16.1.10",
            80,
            "TCP",
        )
        .as_bytes(),
    );
    assert_eq!(only(&m.take().0, AlertRule::Unregistered).len(), 1);
    // An Internet address is never "unregistered".
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T12:00:00+0900",
            "203.0.113.5",
            1,
            "172.16.1.10",
            25,
            "TCP",
        )
        .as_bytes(),
    );
    assert!(only(&m.take().0, AlertRule::Unregistered).is_empty());
}

#[test]
fn internal_ranges_outside_segments_must_be_registered_too() {
    let mut s = site();
    s.settings.internal = vec!["192.168.0.0/16".parse().unwrap()];
    let mut m = Monitor::new(&s);
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:00:00+0900",
            "192.168.5.5",
            1,
            "172.16.1.10",
            80,
            "TCP",
        )
        .as_bytes(),
    );
    let (alerts, _) = m.take();
    assert_eq!(
        only(&alerts, AlertRule::Unregistered)[0].src,
        ip("192.168.5.5")
    );
}

#[test]
fn ids_alerts_only_in_the_internet_connected_segment() {
    let alert = |src: &str, dst: &str| {
        format!(
            r#"{{"timestamp":"2026-12-01T10:00:00+0900","event_type":"alert","src_ip":"{src}","src_port":4444,"dest_ip":"{dst}","dest_port":80,"proto":"TCP","alert":{{"action":"allowed","signature_id":2024897,"signature":"ET EXPLOIT Apache Struts RCE","severity":1}}}}"#
        )
    };
    let mut m = monitor();
    m.feed(
        Format::SuricataEve,
        alert("203.0.113.9", "172.16.1.10").as_bytes(),
    );
    m.feed(
        Format::SuricataEve,
        alert("203.0.113.9", "172.16.1.10").as_bytes(),
    );
    m.feed(
        Format::SuricataEve,
        alert("10.20.0.25", "10.20.0.26").as_bytes(),
    );
    let (alerts, _) = m.take();
    let ids = only(&alerts, AlertRule::Ids);
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].count, 2);
    assert_eq!(ids[0].key, "2024897|203.0.113.9|172.16.1.10");
    assert_eq!(ids[0].detail, "[2024897] ET EXPLOIT Apache Struts RCE");
    assert_eq!(
        ids[0].dst_asset.as_ref().unwrap().name,
        "インターネット閲覧端末"
    );
    // A THREAT line of Palo Alto is an IDS alert as well.
    let threat = "1,2026/12/01 10:00:00,0128,THREAT,vulnerability,1,2026/12/01 10:00:00,203.0.113.9,172.16.1.10,0.0.0.0,0.0.0.0,r,,,web,vsys1,u,t,e1,e2,f,2026/12/01 10:00:00,1,1,4444,80,0,0,0x0,tcp,alert,/x,Bash RCE(36729),any,critical,client-to-server";
    m.feed(Format::Auto, threat.as_bytes());
    assert_eq!(
        only(&m.take().0, AlertRule::Ids)[0].key,
        "36729|203.0.113.9|172.16.1.10"
    );
}

#[test]
fn cleartext_to_the_internet() {
    let mut m = monitor();
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:00:00+0900",
            "172.16.1.10",
            1,
            "198.51.100.1",
            23,
            "TCP",
        )
        .as_bytes(),
    );
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:00:00+0900",
            "172.16.1.10",
            1,
            "198.51.100.1",
            21,
            "TCP",
        )
        .as_bytes(),
    );
    // Inside the segment, or from the Internet: not this rule.
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:00:00+0900",
            "172.16.1.10",
            1,
            "172.16.1.11",
            23,
            "TCP",
        )
        .as_bytes(),
    );
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:00:00+0900",
            "198.51.100.1",
            1,
            "172.16.1.10",
            23,
            "TCP",
        )
        .as_bytes(),
    );
    let http = r#"{"timestamp":"2026-12-01T10:00:00+0900","event_type":"http","src_ip":"172.16.1.10","src_port":5,"dest_ip":"198.51.100.7","dest_port":8080,"proto":"TCP","http":{"hostname":"example.com","url":"/","http_user_agent":"x","request_headers":[{"name":"Authorization","value":"Basic dTpw"}]}}"#;
    m.feed(Format::SuricataEve, http.as_bytes());
    // A firewall that dropped the telnet attempt: nothing went in the clear.
    m.feed(Format::Auto, b"<4>Dec  1 10:00:00 fw kernel: DROP IN=eth0 OUT=eth1 SRC=172.16.1.10 DST=198.51.100.2 PROTO=TCP SPT=1 DPT=23");
    let (alerts, _) = m.take();
    let mut c: Vec<_> = only(&alerts, AlertRule::Cleartext)
        .iter()
        .map(|a| (a.dst.unwrap(), a.dst_port))
        .collect();
    c.sort();
    assert_eq!(
        c,
        [
            (ip("198.51.100.1"), Some(21)),
            (ip("198.51.100.1"), Some(23)),
            (ip("198.51.100.7"), Some(8080))
        ]
    );
}

#[test]
fn scans_by_destinations_and_by_ports_one_alert_per_window() {
    let mut m = monitor();
    for i in 0..50 {
        let dst = format!("172.16.2.{i}");
        m.feed(
            Format::SuricataEve,
            flow(
                "2026-12-01T10:00:10+0900",
                "172.16.1.10",
                1,
                &dst,
                445,
                "TCP",
            )
            .as_bytes(),
        );
    }
    for port in 1..=30 {
        m.feed(
            Format::SuricataEve,
            flow(
                "2026-12-01T10:00:20+0900",
                "172.16.1.11",
                1,
                "172.16.1.10",
                port,
                "TCP",
            )
            .as_bytes(),
        );
    }
    let (alerts, _) = m.take();
    let scans = only(&alerts, AlertRule::Scan);
    assert_eq!(scans.len(), 2, "{scans:#?}");
    let hosts = scans.iter().find(|a| a.src == ip("172.16.1.10")).unwrap();
    assert!(
        hosts.detail.starts_with("20 distinct destinations"),
        "{}",
        hosts.detail
    );
    assert_eq!(hosts.dst, None);
    let ports = scans.iter().find(|a| a.src == ip("172.16.1.11")).unwrap();
    assert!(
        ports.detail.starts_with("20 distinct ports of 172.16.1.10"),
        "{}",
        ports.detail
    );
    // The sanctioned resolver recursing to many servers is not a scan.
    for i in 0..50 {
        let dst = format!("198.51.100.{i}");
        m.feed(
            Format::SuricataEve,
            flow(
                "2026-12-01T10:00:30+0900",
                "172.16.0.53",
                1,
                &dst,
                53,
                "UDP",
            )
            .as_bytes(),
        );
    }
    assert!(only(&m.take().0, AlertRule::Scan).is_empty());
    // The next window raises again.
    for i in 0..25 {
        let dst = format!("172.16.3.{i}");
        m.feed(
            Format::SuricataEve,
            flow(
                "2026-12-01T10:02:00+0900",
                "172.16.1.10",
                1,
                &dst,
                445,
                "TCP",
            )
            .as_bytes(),
        );
    }
    assert_eq!(only(&m.take().0, AlertRule::Scan).len(), 1);
}

#[test]
fn dns_to_resolvers_other_than_the_sanctioned_ones() {
    let mut m = monitor();
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:00:00+0900",
            "172.16.1.10",
            5,
            "8.8.8.8",
            53,
            "UDP",
        )
        .as_bytes(),
    );
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:00:00+0900",
            "172.16.1.10",
            5,
            "172.16.0.53",
            53,
            "UDP",
        )
        .as_bytes(),
    );
    // The sanctioned resolver itself recursing to the Internet is not a finding.
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:00:00+0900",
            "172.16.0.53",
            5,
            "198.41.0.4",
            53,
            "UDP",
        )
        .as_bytes(),
    );
    let answer = r#"{"timestamp":"2026-12-01T10:00:01+0900","event_type":"dns","src_ip":"1.1.1.1","src_port":53,"dest_ip":"172.16.1.10","dest_port":5353,"proto":"UDP","dns":{"type":"answer","id":1,"rrname":"example.jp"}}"#;
    m.feed(Format::SuricataEve, answer.as_bytes());
    let zeek = "{\"ts\":1796086800.0,\"id.orig_h\":\"172.16.1.10\",\"id.orig_p\":5,\"id.resp_h\":\"9.9.9.9\",\"id.resp_p\":53,\"proto\":\"tcp\"}";
    m.feed(Format::Auto, zeek.as_bytes());
    let (alerts, _) = m.take();
    let mut dns: Vec<_> = only(&alerts, AlertRule::Dns)
        .iter()
        .map(|a| (a.src, a.dst.unwrap()))
        .collect();
    dns.sort();
    assert_eq!(
        dns,
        [
            (ip("172.16.1.10"), ip("1.1.1.1")),
            (ip("172.16.1.10"), ip("8.8.8.8")),
            (ip("172.16.1.10"), ip("9.9.9.9")),
        ]
    );
    // With no sanctioned resolvers the rule is off.
    let mut s = site();
    s.settings.resolvers.clear();
    let mut m = Monitor::new(&s);
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:00:00+0900",
            "172.16.1.10",
            5,
            "8.8.8.8",
            53,
            "UDP",
        )
        .as_bytes(),
    );
    assert!(only(&m.take().0, AlertRule::Dns).is_empty());
}

#[test]
fn every_format_reaches_the_rules() {
    let lines: [(&[u8], Format); 6] = [
        (br#"{"timestamp":"2026-12-01T10:00:00+0900","event_type":"flow","src_ip":"172.16.1.10","src_port":1,"dest_ip":"10.20.0.25","dest_port":139,"proto":"TCP"}"#, Format::SuricataEve),
        (b"{\"ts\":1796086800.5,\"id.orig_h\":\"172.16.1.10\",\"id.orig_p\":1,\"id.resp_h\":\"10.20.0.25\",\"id.resp_p\":140,\"proto\":\"tcp\"}", Format::ZeekConn),
        (b"<4>Dec  1 10:00:00 fw kernel: IN=eth0 OUT=eth1 SRC=172.16.1.10 DST=10.20.0.25 PROTO=TCP SPT=1 DPT=141", Format::Netfilter),
        (br#"date=2026-12-01 time=10:00:00 devname="fg" type="traffic" srcip=172.16.1.10 srcport=1 dstip=10.20.0.25 dstport=142 proto=6 action="deny""#, Format::FortiGate),
        (b"<14>Dec  1 10:00:00 pa 1,2026/12/01 10:00:00,01,TRAFFIC,end,1,2026/12/01 10:00:00,172.16.1.10,10.20.0.25,0.0.0.0,0.0.0.0,r,,,smb,vsys1,a,b,e1,e2,f,2026/12/01 10:00:00,1,1,1,143,0,0,0x0,tcp,deny,1,1,0", Format::PaloAlto),
        (b"1796086800.000 5 172.16.1.10 TCP_MISS/200 10 GET http://10.20.0.25:144/ - HIER_DIRECT/10.20.0.25 -", Format::Squid),
    ];
    for auto in [false, true] {
        let mut m = monitor();
        for (line, format) in lines {
            m.feed(if auto { Format::Auto } else { format }, line);
        }
        let (alerts, _) = m.take();
        let mut ports: Vec<_> = only(&alerts, AlertRule::Crossing)
            .iter()
            .map(|a| a.dst_port.unwrap())
            .collect();
        ports.sort_unstable();
        assert_eq!(ports, [139, 140, 141, 142, 143, 144], "auto: {auto}");
        assert!(
            alerts
                .iter()
                .all(|a| a.first_seen.timestamp() == 1_796_086_800),
            "{alerts:#?}"
        );
        assert_eq!(
            m.summary().unparseable,
            0,
            "{:?}",
            m.summary().unparseable_samples
        );
    }
}

#[test]
fn tallies_fold_the_ports_of_a_pair_past_the_cap() {
    let limits = Limits {
        ports_per_pair: 3,
        ..Limits::default()
    };
    let mut m = Monitor::with_limits(&site(), limits);
    for port in 1..=10 {
        m.feed(
            Format::SuricataEve,
            flow(
                "2026-12-01T10:00:00+0900",
                "172.16.1.10",
                1,
                "203.0.113.1",
                port,
                "TCP",
            )
            .as_bytes(),
        );
    }
    // The next day starts a new count.
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-02T10:00:00+0900",
            "172.16.1.10",
            1,
            "203.0.113.1",
            9,
            "TCP",
        )
        .as_bytes(),
    );
    let (_, tallies) = m.take();
    let day1: Vec<_> = tallies
        .iter()
        .filter(|t| t.day.to_string() == "2026-12-01")
        .map(|t| (t.dst_port, t.flows))
        .collect();
    assert_eq!(day1, [(None, 7), (Some(1), 1), (Some(2), 1), (Some(3), 1)]);
    let day2: Vec<_> = tallies
        .iter()
        .filter(|t| t.day.to_string() == "2026-12-02")
        .map(|t| (t.dst_port, t.flows))
        .collect();
    assert_eq!(day2, [(Some(9), 1)]);
    assert!(
        tallies
            .iter()
            .all(|t| t.from == Zone::Segment(INTERNET.into())
                && t.to == Zone::Internet
                && t.forbidden == 0)
    );
}

#[test]
fn unparseable_lines_are_counted_and_sampled_never_fatal() {
    let mut m = monitor();
    m.feed(Format::SuricataEve, b"");
    m.feed(
        Format::SuricataEve,
        br#"{"timestamp":"2026-12-01T10:00:00Z","event_type":"stats"}"#,
    );
    for i in 0..30 {
        let junk = format!("junk {i} {}", "x".repeat(1000));
        m.feed(Format::Auto, junk.as_bytes());
    }
    let s = m.summary();
    assert_eq!(
        (s.lines, s.skipped, s.unparseable, s.events),
        (32, 2, 30, 0)
    );
    assert_eq!(s.unparseable_samples.len(), 10);
    assert!(
        s.unparseable_samples
            .iter()
            .all(|x| x.chars().count() <= 500 + 60)
    );
    let json = serde_json::to_value(s).unwrap();
    assert_eq!(json["unparseable"], 30);
}

#[test]
fn a_flood_of_distinct_sources_stays_under_the_caps() {
    let limits = Limits {
        pending_alerts: 10_000,
        scan_sources: 5_000,
        scan_pairs: 5_000,
        scan_elements: 20_000,
        unregistered: 5_000,
        tallies: 1_000,
        ports_per_pair: 16,
        streams: 16,
    };
    // The 11.0.0.0/8 flood counts as internal: every source is tracked for scans and reported
    // as unregistered.
    let mut s = site();
    s.settings.internal = vec!["11.0.0.0/8".parse().unwrap()];
    let mut m = Monitor::with_limits(&s, limits);
    let mut taken = 0usize;
    for i in 0..1_000_000u32 {
        // Distinct sources across the Internet-connected segment's /16, all unregistered.
        let src = std::net::Ipv4Addr::from(0xAC10_0000 | (i & 0xffff));
        let src = if i >= 0x10000 {
            std::net::Ipv4Addr::from(0x0B00_0000 + i)
        } else {
            src
        };
        let line = flow(
            "2026-12-01T10:00:00+0900",
            &src.to_string(),
            1,
            "10.20.0.25",
            (i % 60_000) + 1,
            "TCP",
        );
        m.feed(Format::SuricataEve, line.as_bytes());
        if i % 100_000 == 0 {
            let c = m.counters();
            for (map, n) in &c.tracked {
                let cap = match *map {
                    "scan_sources" => limits.scan_sources,
                    "scan_pairs" => limits.scan_pairs,
                    "scan_elements" => limits.scan_elements,
                    "unregistered" => limits.unregistered,
                    "pending_alerts" => limits.pending_alerts,
                    "tallies" => limits.tallies,
                    _ => limits.streams + 1,
                };
                assert!(*n as usize <= cap, "{map}: {n} > {cap}");
            }
        }
        if m.wants_take() {
            taken += m.take().0.len();
        }
    }
    let c = m.counters();
    assert_eq!(c.events, 1_000_000);
    assert!(
        c.evicted > 1_800_000,
        "both the scan and the unregistered maps: {c:?}"
    );
    taken += m.take().0.len();
    assert!(taken > 0);
    assert!(
        c.prometheus()
            .contains("mamori_monitor_tracked_keys{map=\"scan_sources\"}")
    );
}

#[test]
fn a_site_with_absurdly_many_segments_is_read_up_to_a_cap() {
    let mut s = site();
    for i in 0..2000u32 {
        s.segments.push(SiteSegment {
            code: format!("S{i}"),
            name: format!("S{i}"),
            ranges: vec![format!("100.{}.{}.0/24", i / 256, i % 256).parse().unwrap()],
        });
    }
    let mut m = Monitor::new(&s);
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:00:00+0900",
            "100.7.200.1",
            1,
            "10.20.0.25",
            445,
            "TCP",
        )
        .as_bytes(),
    );
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:00:00+0900",
            "100.0.1.1",
            1,
            "10.20.0.25",
            445,
            "TCP",
        )
        .as_bytes(),
    );
    let (alerts, _) = m.take();
    let mut from: Vec<_> = only(&alerts, AlertRule::Crossing)
        .iter()
        .map(|a| a.src_segment.clone())
        .collect();
    from.sort();
    assert_eq!(
        from,
        [None, Some("S1".to_owned())],
        "segments past the cap are not read"
    );
}

#[test]
fn the_site_can_change_while_windows_survive() {
    let mut m = monitor();
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:00:00+0900",
            "172.16.9.9",
            1,
            "172.16.1.10",
            80,
            "TCP",
        )
        .as_bytes(),
    );
    assert_eq!(only(&m.take().0, AlertRule::Unregistered).len(), 1);
    let mut s = site();
    s.assets.push(SiteAsset {
        id: AssetId(9),
        name: "new".into(),
        addresses: vec![ip("10.20.0.99")],
    });
    s.matrix.set(mamori_core::crossing::CrossingRule {
        from: Zone::Segment(INTERNET.into()),
        to: Zone::Segment(LGWAN.into()),
        crossing: mamori_core::crossing::Crossing::Any,
        note: String::new(),
    });
    m.set_site(&s);
    m.feed(
        Format::SuricataEve,
        flow(
            "2026-12-01T10:01:00+0900",
            "172.16.9.9",
            1,
            "10.20.0.99",
            445,
            "TCP",
        )
        .as_bytes(),
    );
    let (alerts, _) = m.take();
    assert!(
        only(&alerts, AlertRule::Crossing).is_empty(),
        "the new matrix allows it"
    );
    assert!(
        only(&alerts, AlertRule::Unregistered).is_empty(),
        "still within its window"
    );
}

#[test]
fn files_plain_gzip_and_many_alerts_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("eve.json");
    let gz = dir.path().join("rotated.1");
    let mut lines = String::new();
    for i in 0..300 {
        lines.push_str(&flow(
            "2026-12-01T10:00:00+0900",
            "172.16.1.10",
            1,
            &format!("10.20.{}.{}", i / 200, i % 200 + 1),
            445,
            "TCP",
        ));
        lines.push('\n');
    }
    std::fs::write(&plain, &lines).unwrap();
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(lines.as_bytes()).unwrap();
    enc.write_all(b"no newline at the end").unwrap();
    enc.finish().unwrap();
    let mut m = monitor();
    scan_paths(&mut m, Format::Auto, &[plain.clone(), gz.clone()]).unwrap();
    assert_eq!(
        (
            m.summary().lines,
            m.summary().events,
            m.summary().unparseable
        ),
        (601, 600, 1)
    );
    assert!(scan_paths(&mut m, Format::Auto, &[dir.path().join("missing")]).is_err());
    // With a small cap on pending alerts, scan_paths_with hands them over as it goes.
    let mut m = Monitor::with_limits(
        &site(),
        Limits {
            pending_alerts: 50,
            ..Limits::default()
        },
    );
    let mut handed = Vec::new();
    scan_paths_with(&mut m, Format::SuricataEve, &[plain], &mut |alerts, _| {
        handed.extend(alerts)
    })
    .unwrap();
    handed.extend(m.take().0);
    let count = |rule| handed.iter().filter(|a| a.rule == rule).count();
    let handed = (
        count(AlertRule::Crossing),
        count(AlertRule::Unregistered),
        count(AlertRule::Scan),
    );
    assert_eq!(
        handed,
        (300, 298, 1),
        "10.20.0.25 and 10.20.0.53 are assets; one scan"
    );
    assert_eq!(m.counters().alerts_dropped, 0);
}

#[test]
fn a_zeek_header_holds_for_its_own_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let with = dir.path().join("conn.log");
    let without = dir.path().join("conn.log.tail");
    let body = "1796086800.1\tC1\t172.16.1.10\t5\t10.20.0.25\t445\ttcp\n";
    std::fs::write(
        &with,
        format!("#separator \\x09\n#unset_field\t-\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\n{body}#close\t2026-12-01-11-00-00\n"),
    )
    .unwrap();
    std::fs::write(&without, body).unwrap();
    let mut m = monitor();
    scan_paths(&mut m, Format::Auto, &[with, without]).unwrap();
    let s = m.summary();
    assert_eq!(
        (s.events, s.skipped, s.unparseable),
        (1, 5, 1),
        "{:?}",
        s.unparseable_samples
    );
    assert_eq!(
        only(&m.take().0, AlertRule::Crossing)[0].dst_port,
        Some(445)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_site_applies_while_running() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("eve.json");
    std::fs::write(&path, "").unwrap();
    let config = RunConfig::from_toml(&format!(
        "flush_secs = 1\npoll_millis = 20\n[[file]]\npath = {:?}\nformat = \"suricata\"\n",
        path.to_str().unwrap()
    ))
    .unwrap();
    let (sink, mut batches) = tokio::sync::mpsc::channel(16);
    let (sites_tx, sites_rx) = tokio::sync::watch::channel(site());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(mamori_monitor::input::run_with_sites(
        config,
        monitor(),
        sink,
        Some(sites_rx),
        async {
            let _ = stop_rx.await;
        },
    ));
    // The matrix now lets everything from the Internet-connected segment into LGWAN.
    let mut open = site();
    open.matrix.set(mamori_core::crossing::CrossingRule {
        from: Zone::Segment(INTERNET.into()),
        to: Zone::Segment(LGWAN.into()),
        crossing: mamori_core::crossing::Crossing::Any,
        note: String::new(),
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    sites_tx.send(open).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let line = flow(
        "2026-12-01T10:00:00+0900",
        "172.16.1.10",
        1,
        "10.20.0.25",
        445,
        "TCP",
    );
    std::fs::write(&path, line + "\n").unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop_tx.send(()).unwrap();
    task.await.unwrap().unwrap();
    let mut events = 0;
    while let Some(batch) = batches.recv().await {
        assert!(
            batch.alerts.iter().all(|a| a.rule != AlertRule::Crossing),
            "{:?}",
            batch.alerts
        );
        events = batch.summary.events;
    }
    assert_eq!(events, 1);
}

#[test]
fn a_huge_line_is_counted_not_held() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&vec![b'{'; 3 * 1024 * 1024]).unwrap();
    f.write_all(b"\n").unwrap();
    f.write_all(
        flow(
            "2026-12-01T10:00:00+0900",
            "172.16.1.10",
            1,
            "10.20.0.25",
            445,
            "TCP",
        )
        .as_bytes(),
    )
    .unwrap();
    drop(f);
    let mut m = monitor();
    scan_paths(&mut m, Format::SuricataEve, &[path]).unwrap();
    assert_eq!(
        (
            m.summary().lines,
            m.summary().events,
            m.summary().unparseable
        ),
        (2, 1, 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_follows_rotation_and_reads_syslog() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("eve.json");
    std::fs::write(
        &path,
        flow(
            "2026-12-01T09:00:00+0900",
            "172.16.1.10",
            1,
            "10.20.0.25",
            1,
            "TCP",
        ) + "\n",
    )
    .unwrap();
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp_addr = udp.local_addr().unwrap();
    drop(udp);
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp_addr = tcp.local_addr().unwrap();
    drop(tcp);
    let config = RunConfig::from_toml(&format!(
        "flush_secs = 1\npoll_millis = 20\n[[file]]\npath = {:?}\nformat = \"suricata\"\n[syslog]\nudp = \"{udp_addr}\"\ntcp = \"{tcp_addr}\"\nformat = \"auto\"\n",
        path.to_str().unwrap()
    ))
    .unwrap();
    let (sink, mut batches) = tokio::sync::mpsc::channel(16);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(mamori_monitor::run(config, monitor(), sink, async {
        let _ = stop_rx.await;
    }));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let append = |port: u32| {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        writeln!(
            f,
            "{}",
            flow(
                "2026-12-01T10:00:00+0900",
                "172.16.1.10",
                1,
                "10.20.0.25",
                port,
                "TCP"
            )
        )
        .unwrap();
    };
    append(1001);
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Rotation by rename, then a new file.
    std::fs::rename(&path, dir.path().join("eve.json.1")).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    std::fs::write(&path, "").unwrap();
    append(1002);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // copytruncate: the file shrinks and is written again from the start.
    std::fs::write(&path, "").unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    append(1003);
    // Syslog: UDP and TCP (octet-counted and newline framing).
    let sender = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sender
        .send_to(b"<4>Dec  1 10:00:00 fw kernel: IN=eth0 OUT= SRC=172.16.1.10 DST=10.20.0.25 PROTO=TCP SPT=1 DPT=1004", udp_addr)
        .await
        .unwrap();
    let mut conn = tokio::net::TcpStream::connect(tcp_addr).await.unwrap();
    let eve = flow(
        "2026-12-01T10:00:00+0900",
        "172.16.1.10",
        1,
        "10.20.0.25",
        1005,
        "TCP",
    );
    let framed = format!("{} {eve}", eve.len());
    let newline = "<4>Dec  1 10:00:00 fw kernel: IN=eth0 OUT= SRC=172.16.1.10 DST=10.20.0.25 PROTO=TCP SPT=1 DPT=1006\n";
    tokio::io::AsyncWriteExt::write_all(&mut conn, format!("{framed}{newline}").as_bytes())
        .await
        .unwrap();
    let mut ports = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while ports.len() < 6 && tokio::time::Instant::now() < deadline {
        if let Ok(Some(batch)) = tokio::time::timeout(Duration::from_secs(2), batches.recv()).await
        {
            for a in batch
                .alerts
                .iter()
                .filter(|a| a.rule == AlertRule::Crossing)
            {
                ports.insert(a.dst_port.unwrap());
            }
        }
    }
    assert_eq!(
        ports.into_iter().collect::<Vec<_>>(),
        [1001, 1002, 1003, 1004, 1005, 1006],
        "the line before start is not read"
    );
    stop_tx.send(()).unwrap();
    task.await.unwrap().unwrap();
    // The last batch comes after stop; then the sink is closed.
    while let Some(batch) = batches.recv().await {
        assert!(batch.counters.lines >= 6);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sink_stops_the_reading_and_udp_datagrams_are_dropped_and_counted() {
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp_addr = udp.local_addr().unwrap();
    drop(udp);
    let config = RunConfig::from_toml(&format!(
        "flush_secs = 1\nqueue = 1\n[syslog]\nudp = \"{udp_addr}\"\n"
    ))
    .unwrap();
    // A sink of one that nobody reads: after the first batch, the monitor waits.
    let (sink, mut batches) = tokio::sync::mpsc::channel(1);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(mamori_monitor::run(config, monitor(), sink, async {
        let _ = stop_rx.await;
    }));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let sender = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let msg = flow(
        "2026-12-01T10:00:00+0900",
        "172.16.1.10",
        1,
        "10.20.0.25",
        445,
        "TCP",
    );
    for _ in 0..2000 {
        let _ = sender.send_to(msg.as_bytes(), udp_addr).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop_tx.send(()).unwrap();
    let mut last = None;
    while let Some(batch) = batches.recv().await {
        last = Some(batch);
    }
    task.await.unwrap().unwrap();
    let last = last.unwrap();
    assert!(last.counters.syslog_dropped > 0, "{:?}", last.counters);
    assert!(last.counters.lines < 2000, "what was dropped was not read");
    assert!(
        last.counters
            .prometheus()
            .contains("mamori_monitor_syslog_dropped_total ")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sink_makes_a_tcp_sender_wait() {
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp_addr = tcp.local_addr().unwrap();
    drop(tcp);
    let config = RunConfig::from_toml(&format!(
        "flush_secs = 1\nqueue = 1\n[syslog]\ntcp = \"{tcp_addr}\"\n"
    ))
    .unwrap();
    // A sink of one that is not read until the end: after the first batch the monitor waits.
    let (sink, mut batches) = tokio::sync::mpsc::channel(1);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(mamori_monitor::run(config, monitor(), sink, async {
        let _ = stop_rx.await;
    }));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let line = format!(
        "{}\n",
        flow(
            "2026-12-01T10:00:00+0900",
            "172.16.1.10",
            1,
            "10.20.0.25",
            445,
            "TCP"
        )
    );
    let total = 200_000;
    let writer = tokio::spawn(async move {
        let mut conn = tokio::net::TcpStream::connect(tcp_addr).await.unwrap();
        let block = line.repeat(1000);
        for _ in 0..total / 1000 {
            if tokio::io::AsyncWriteExt::write_all(&mut conn, block.as_bytes())
                .await
                .is_err()
            {
                return false;
            }
        }
        true
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        !writer.is_finished(),
        "the sender of 120 MB is held back, not buffered"
    );
    stop_tx.send(()).unwrap();
    let mut last = None;
    while let Some(batch) = batches.recv().await {
        last = Some(batch);
    }
    task.await.unwrap().unwrap();
    let read = last.unwrap().counters.lines;
    assert!(read < total as u64, "{read} lines read of {total}");
    writer.abort();
}

fn arb_format() -> impl Strategy<Value = Format> {
    prop::sample::select(Format::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(format in arb_format(), lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 1..8)) {
        let mut m = monitor();
        for line in &lines {
            m.feed(format, line);
        }
        let _ = m.take();
        prop_assert_eq!(m.summary().lines, lines.len() as u64);
    }

    #[test]
    fn mutated_real_lines_never_panic(format in arb_format(), seed in 0usize..6, cut in 0usize..400, byte in any::<u8>(), at in 0usize..400) {
        let samples = [
            flow("2026-12-01T10:00:00+0900", "2001:db8::1", 1, "10.20.0.25", 445, "TCP"),
            "#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto".to_owned(),
            "<4>Dec  1 10:00:00 fw kernel: IN=eth0 OUT= SRC=172.16.1.10 DST=10.20.0.25 PROTO=TCP SPT=1 DPT=1".to_owned(),
            r#"date=2026-12-01 time=10:00:00 devname="fg" type="traffic" srcip=172.16.1.10 srcport=1 dstip=10.20.0.25 dstport=142 proto=6"#.to_owned(),
            "1,2026/12/01 10:00:00,01,TRAFFIC,end,1,2026/12/01 10:00:00,172.16.1.10,10.20.0.25,0.0.0.0,0.0.0.0,r,,,smb,vsys1,a,b,e1,e2,f,2026/12/01 10:00:00,1,1,1,143,0,0,0x0,tcp,deny".to_owned(),
            "1796086800.000 5 172.16.1.10 TCP_MISS/200 10 CONNECT a:443 - HIER_DIRECT/10.20.0.25 -".to_owned(),
        ];
        let mut line = samples[seed].clone().into_bytes();
        line.truncate(cut.max(1));
        if !line.is_empty() {
            let i = at % line.len();
            line[i] = byte;
        }
        let mut m = monitor();
        m.feed(format, samples[1].as_bytes());
        m.feed(format, &line);
        let _ = m.take();
    }

    /// The monitor's compiled matrix says what `CrossingMatrix::check` says.
    #[test]
    fn crossing_alerts_follow_the_matrix(src in 0usize..6, dst in 0usize..6, port in prop::sample::select(vec![21u32, 25, 53, 443, 445, 3389]), udp in any::<bool>()) {
        let addrs = ["10.10.0.5", "10.20.0.25", "10.20.0.26", "172.16.1.10", "192.168.100.3", "203.0.113.1"];
        let s = site();
        let mut m = Monitor::new(&s);
        let proto = if udp { "UDP" } else { "TCP" };
        m.feed(Format::SuricataEve, flow("2026-12-01T10:00:00+0900", addrs[src], 1, addrs[dst], port, proto).as_bytes());
        let raised = m.take().0.iter().any(|a| a.rule == AlertRule::Crossing);
        let zone = |a: &str| {
            let a = ip(a);
            s.segments.iter().find(|seg| seg.ranges.iter().any(|r| r.contains(&a))).map_or(Zone::Internet, |seg| Zone::Segment(seg.code.clone()))
        };
        let verdict = s.matrix.check(&zone(addrs[src]), &zone(addrs[dst]), ip(addrs[dst]), if udp { Proto::Udp } else { Proto::Tcp }, Some(port as u16));
        prop_assert_eq!(raised, verdict == Verdict::Forbidden);
    }
}
