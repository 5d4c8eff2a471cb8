//! The demonstration's monitor: the CISO (`sato`) writes the MIC β model over the three segments
//! (mail only to the 無害化 gateway `10.20.0.25`) and names the sanctioned resolvers; then the
//! monitor's store receives, as the monitor would write them, an alert of every rule with log
//! lines written in the sensors' formats — an LGWAN host asking 8.8.8.8 for names, a マイナンバー
//! host reaching the Internet-connected segment, an unregistered 172.16 address, a telnet to the
//! Internet, a Suricata alert naming an Internet-connected asset, a scan — and a week of flows
//! between the zones. The CSIRT (`tanaka`) has acknowledged the unregistered device. Deterministic
//! but for the clock and the register's addresses.

use std::net::IpAddr;

use chrono::{DateTime, Days, Utc};
use mamori_core::authz::{HandleAlerts, ManageMonitor, ViewMonitor, authorize};
use mamori_core::classification::segment_codes::{INTERNET, LGWAN, MYNUMBER};
use mamori_core::crossing::{CrossingMatrix, Model, PresetServers, Proto, Zone};
use mamori_core::monitor::{Alert, AlertRule, AssetRef, MonitorSettings, Site, Tally};
use mamori_store::{AlertFilter, Origin, Store};

use super::incidents::actor;

/// The 無害化 gateway's receiving side in the LGWAN-connected segment.
pub const GATEWAY: &str = "10.20.0.25";

/// The first asset of the register with an address in a segment's range.
fn asset_in(site: &Site, code: &str, skip: usize) -> Option<(AssetRef, IpAddr)> {
    let segment = site.segments.iter().find(|s| s.code == code)?;
    site.assets
        .iter()
        .flat_map(|a| a.addresses.iter().map(move |ip| (a, *ip)))
        .filter(|(_, ip)| segment.ranges.iter().any(|net| net.contains(ip)))
        .nth(skip)
        .map(|(a, ip)| {
            (
                AssetRef {
                    id: a.id,
                    name: a.name.clone(),
                },
                ip,
            )
        })
}

struct Sighting {
    rule: AlertRule,
    key: String,
    src: (IpAddr, Option<&'static str>, Option<AssetRef>),
    dst: (Option<IpAddr>, Option<&'static str>, Option<AssetRef>),
    port: Option<u16>,
    proto: Option<Proto>,
    detail: &'static str,
    count: u64,
    hours_ago: (i64, i64),
    evidence: Vec<String>,
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("demo addresses are valid")
}

/// An EVE JSON line as Suricata writes one.
fn eve(
    at: DateTime<Utc>,
    kind: &str,
    (src, sport): (IpAddr, u16),
    (dst, dport): (IpAddr, u16),
    proto: &str,
    extra: &str,
) -> String {
    format!(
        "{{\"timestamp\":\"{}\",\"flow_id\":1{:015},\"in_iface\":\"eth1\",\"event_type\":\"{kind}\",\"src_ip\":\"{src}\",\"src_port\":{sport},\"dest_ip\":\"{dst}\",\"dest_port\":{dport},\"proto\":\"{proto}\"{extra}}}",
        at.format("%Y-%m-%dT%H:%M:%S%.6f+0000"),
        u64::from(sport) * 7919 + u64::from(dport)
    )
}

pub async fn fill_monitor(store: &dyn Store) -> anyhow::Result<usize> {
    let now = Utc::now();
    let ciso = actor(store, "sato").await?;
    let ciso_origin = Origin::of(&ciso, "demo");
    let site = store.monitor_site().await?;
    let codes: Vec<&str> = site.segments.iter().map(|s| s.code.as_str()).collect();
    let manage = authorize::<ManageMonitor>(&ciso, &())?;
    let matrix = CrossingMatrix::preset(
        Model::Beta,
        &codes,
        &PresetServers {
            gateway: vec![ip(GATEWAY).into()],
            screen_transfer: Vec::new(),
        },
    );
    store
        .set_crossing_matrix(&manage, &matrix, &ciso_origin)
        .await?;
    let settings = MonitorSettings {
        resolvers: vec![ip("10.20.0.53"), ip("172.16.0.53")],
        ..MonitorSettings::default()
    };
    store
        .set_monitor_settings(&manage, &settings, &ciso_origin)
        .await?;

    let lgwan = asset_in(&site, LGWAN, 0);
    let mynumber = asset_in(&site, MYNUMBER, 0);
    let inet = asset_in(&site, INTERNET, 0);
    let inet_peer = asset_in(&site, INTERNET, 1);
    let at = |hours: i64| now - chrono::Duration::hours(hours);
    let addr = |a: &Option<(AssetRef, IpAddr)>, fallback: &str| {
        a.as_ref().map_or(ip(fallback), |(_, ip)| *ip)
    };
    let asset = |a: &Option<(AssetRef, IpAddr)>| a.as_ref().map(|(r, _)| r.clone());
    let (lg, my, it, peer) = (
        addr(&lgwan, "10.20.1.5"),
        addr(&mynumber, "10.10.1.5"),
        addr(&inet, "172.16.1.5"),
        addr(&inet_peer, "172.16.1.6"),
    );
    let stranger = ip("172.16.200.7");
    let sightings = vec![
        Sighting {
            rule: AlertRule::Crossing,
            key: "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=".into(),
            src: (lg, Some(LGWAN), asset(&lgwan)),
            dst: (Some(ip("8.8.8.8")), None, None),
            port: Some(53),
            proto: Some(Proto::Udp),
            detail: "LGWAN接続系 → インターネット: 許可表では不可",
            count: 42,
            hours_ago: (30, 2),
            evidence: (0..3)
                .map(|i| eve(at(30 - i * 10), "flow", (lg, 53_211 + i as u16), (ip("8.8.8.8"), 53), "UDP",
                    ",\"app_proto\":\"dns\",\"flow\":{\"pkts_toserver\":1,\"pkts_toclient\":1,\"bytes_toserver\":74,\"bytes_toclient\":90,\"state\":\"established\"},\"community_id\":\"1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=\""))
                .collect(),
        },
        Sighting {
            rule: AlertRule::Crossing,
            key: "1:V9k1vzXH0b8xQO3WvKq8cYbq0Hc=".into(),
            src: (my, Some(MYNUMBER), asset(&mynumber)),
            dst: (Some(peer), Some(INTERNET), asset(&inet_peer)),
            port: Some(443),
            proto: Some(Proto::Tcp),
            detail: "マイナンバー利用事務系 → インターネット接続系: 許可表では不可",
            count: 3,
            hours_ago: (20, 19),
            evidence: vec![format!(
                "{}\tCx3b2P1o2lY0dGQ9a\t{my}\t50522\t{peer}\t443\ttcp\tssl\t0.512\t517\t4410\tSF\t-\t-\t0\tShADadfF\t9\t1001\t10\t4930\t-",
                at(20).timestamp()
            )],
        },
        Sighting {
            rule: AlertRule::Unregistered,
            key: format!("unregistered {stranger}"),
            src: (stranger, Some(INTERNET), None),
            dst: (Some(ip("172.16.0.53")), Some(INTERNET), None),
            port: Some(53),
            proto: Some(Proto::Udp),
            detail: "台帳にないアドレス",
            count: 17,
            hours_ago: (12, 1),
            evidence: vec![format!(
                "{}\tCk9Qm31yH8fWd2xB\t{stranger}\t61234\t172.16.0.53\t53\tudp\tdns\t0.002\t38\t54\tSF\t-\t-\t0\tDd\t1\t66\t1\t82\t-",
                at(12).timestamp()
            )],
        },
        Sighting {
            rule: AlertRule::Cleartext,
            key: format!("cleartext {it} 203.0.113.10 tcp/23"),
            src: (it, Some(INTERNET), asset(&inet)),
            dst: (Some(ip("203.0.113.10")), None, None),
            port: Some(23),
            proto: Some(Proto::Tcp),
            detail: "telnet（平文）でインターネットへ",
            count: 2,
            hours_ago: (8, 7),
            evidence: vec![format!(
                "{} fw01 kernel: [123456.789012] MAMORI-OUT IN=eth1 OUT=eth0 MAC=00:16:3e:12:34:56:00:16:3e:65:43:21:08:00 SRC={it} DST=203.0.113.10 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=54321 DF PROTO=TCP SPT=49152 DPT=23 WINDOW=64240 RES=0x00 SYN URGP=0",
                at(8).format("%b %e %H:%M:%S")
            )],
        },
        Sighting {
            rule: AlertRule::Ids,
            key: "1:Qm3nZ2fV8sLr0pXc6yT1aW9dE4k=".into(),
            src: (it, Some(INTERNET), asset(&inet)),
            dst: (Some(ip("198.51.100.23")), None, None),
            port: Some(80),
            proto: Some(Proto::Tcp),
            detail: "ET POLICY Outbound HTTP Basic Authentication (cleartext credentials)",
            count: 5,
            hours_ago: (6, 3),
            evidence: vec![eve(at(6), "alert", (it, 51_000), (ip("198.51.100.23"), 80), "TCP",
                ",\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":9000001,\"rev\":1,\"signature\":\"ET POLICY Outbound HTTP Basic Authentication (cleartext credentials)\",\"category\":\"Potential Corporate Privacy Violation\",\"severity\":2},\"app_proto\":\"http\",\"community_id\":\"1:Qm3nZ2fV8sLr0pXc6yT1aW9dE4k=\"")],
        },
        Sighting {
            rule: AlertRule::Scan,
            key: format!("scan {peer}"),
            src: (peer, Some(INTERNET), asset(&inet_peer)),
            dst: (None, None, None),
            port: None,
            proto: Some(Proto::Tcp),
            detail: "60秒間に 128 の宛先へ接続",
            count: 128,
            hours_ago: (4, 4),
            evidence: (1..=3u8)
                .map(|n| format!(
                    "date={} time={} devname=\"FGT60F\" devid=\"FGT60FTK00000000\" logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" level=\"notice\" srcip={peer} srcport={} srcintf=\"internal\" dstip=172.16.3.{n} dstport=445 dstintf=\"internal2\" proto=6 action=\"deny\" policyid=0 service=\"SMB\" sentbyte=0 rcvdbyte=0",
                    at(4).format("%Y-%m-%d"),
                    at(4).format("%H:%M:%S"),
                    40_000 + u16::from(n)
                ))
                .collect(),
        },
        Sighting {
            rule: AlertRule::Dns,
            key: format!("dns {it} 1.1.1.1"),
            src: (it, Some(INTERNET), asset(&inet)),
            dst: (Some(ip("1.1.1.1")), None, None),
            port: Some(53),
            proto: Some(Proto::Udp),
            detail: "指定外のDNSサーバ 1.1.1.1 への問合せ",
            count: 9,
            hours_ago: (3, 1),
            evidence: vec![eve(at(3), "dns", (it, 40_123), (ip("1.1.1.1"), 53), "UDP",
                ",\"dns\":{\"type\":\"query\",\"id\":4321,\"rrname\":\"example.com\",\"rrtype\":\"A\",\"tx_id\":0}")],
        },
    ];
    let alerts: Vec<Alert> = sightings
        .into_iter()
        .map(|s| Alert {
            rule: s.rule,
            key: s.key,
            src: s.src.0,
            dst: s.dst.0,
            dst_port: s.port,
            proto: s.proto,
            src_segment: s.src.1.map(Into::into),
            dst_segment: s.dst.1.map(Into::into),
            src_asset: s.src.2,
            dst_asset: s.dst.2,
            detail: s.detail.into(),
            count: s.count,
            first_seen: at(s.hours_ago.0),
            last_seen: at(s.hours_ago.1),
            evidence: s.evidence,
        })
        .collect();

    let seg = |code: &str| Zone::Segment(code.into());
    let today = now.date_naive();
    let mut tallies = Vec::new();
    for back in 0..7u64 {
        let day = today - Days::new(back);
        let n = 7 - back;
        for (from, to, proto, port, flows, forbidden) in [
            (
                seg(INTERNET),
                Zone::Internet,
                Proto::Tcp,
                Some(443),
                12_000 + n * 250,
                0,
            ),
            (
                seg(INTERNET),
                Zone::Internet,
                Proto::Udp,
                Some(53),
                3_000 + n * 40,
                0,
            ),
            (
                Zone::Internet,
                seg(INTERNET),
                Proto::Tcp,
                Some(25),
                800 + n * 10,
                0,
            ),
            (
                seg(INTERNET),
                seg(LGWAN),
                Proto::Tcp,
                Some(25),
                300 + n * 5,
                0,
            ),
            (seg(LGWAN), Zone::Internet, Proto::Udp, Some(53), 6, 6),
            (
                seg(INTERNET),
                Zone::Internet,
                Proto::Tcp,
                Some(23),
                u64::from(back == 0),
                0,
            ),
        ] {
            if flows > 0 {
                tallies.push(Tally {
                    day,
                    from,
                    to,
                    proto,
                    dst_port: port,
                    flows,
                    forbidden,
                });
            }
        }
        if back == 0 {
            tallies.push(Tally {
                day,
                from: seg(MYNUMBER),
                to: seg(INTERNET),
                proto: Proto::Tcp,
                dst_port: Some(443),
                flows: 3,
                forbidden: 3,
            });
        }
    }
    let outcome = store.record_monitor(&alerts, &tallies).await?;

    let csirt = actor(store, "tanaka").await?;
    let view = authorize::<ViewMonitor>(&csirt, &())?;
    let handle = authorize::<HandleAlerts>(&csirt, &())?;
    let page = store
        .alerts(
            &view,
            &AlertFilter {
                rule: Some(AlertRule::Unregistered),
                ..AlertFilter::default()
            },
        )
        .await?;
    if let Some(unregistered) = page.alerts.first() {
        store
            .acknowledge_alert(
                &handle,
                unregistered.id,
                "機器の持ち主を確認中。台帳への登録を依頼した。",
                &Origin::of(&csirt, "demo"),
            )
            .await?;
    }
    Ok(outcome.opened)
}
