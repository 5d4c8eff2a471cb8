//! Feeds an EVE file through the monitor and, in the same run, parses the same lines with
//! serde_json alone (the floor): `monitor_bench FILE [monitor|floor|both]`.
//!
//! The site is the demo's: three segments (マイナンバー利用事務系 10.10.0.0/16, LGWAN接続系
//! 10.20.0.0/16, インターネット接続系 172.16.0.0/16 and 192.168.100.0/24), the MIC β matrix with
//! the 無害化 gateway at 10.20.0.25, the staff terminals and servers as assets, and a sanctioned
//! resolver. Alerts are taken every 100,000 lines, as `run` would at each flush. Prints one line
//! per pass (events/s and MB/s, by the wall clock and per second on the CPU) and the resident
//! memory every 1,000,000 lines of the monitor pass.

use std::fs::File;
use std::io::{BufReader, Read};
use std::time::Instant;

use mamori_core::asset::AssetId;
use mamori_core::classification::segment_codes::{INTERNET, LGWAN, MYNUMBER};
use mamori_core::crossing::{CrossingMatrix, Model, PresetServers};
use mamori_core::monitor::{MonitorSettings, Site, SiteAsset, SiteSegment};
use mamori_monitor::input::{MAX_LINE, for_each_line};
use mamori_monitor::{Format, Monitor};

fn site() -> Site {
    let segment = |code: &str, name: &str, ranges: &[&str]| SiteSegment {
        code: code.into(),
        name: name.into(),
        ranges: ranges.iter().map(|r| r.parse().expect("range")).collect(),
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
            gateway: vec!["10.20.0.25/32".parse().expect("gateway")],
            screen_transfer: vec![],
        },
    );
    let mut assets = Vec::new();
    let mut add = |name: String, addr: String| {
        assets.push(SiteAsset {
            id: AssetId(assets.len() as i64 + 1),
            name,
            addresses: vec![addr.parse().expect("address")],
        });
    };
    for third in 1..=8 {
        for fourth in 1..=254 {
            add(
                format!("端末 {third}-{fourth}"),
                format!("172.16.{third}.{fourth}"),
            );
        }
    }
    for third in 1..=4 {
        for fourth in 1..=200 {
            add(
                format!("LGWAN端末 {third}-{fourth}"),
                format!("10.20.{third}.{fourth}"),
            );
        }
    }
    for (name, addr) in [
        ("無害化ゲートウェイ", "10.20.0.25"),
        ("メール中継", "172.16.0.25"),
        ("DNS", "172.16.0.53"),
        ("ファイルサーバ1", "10.20.0.10"),
        ("ファイルサーバ2", "10.20.0.11"),
        ("ファイルサーバ3", "10.20.0.12"),
        ("ファイルサーバ4", "10.20.0.13"),
        ("ファイルサーバ5", "10.20.0.14"),
    ] {
        add(name.into(), addr.into());
    }
    Site {
        segments,
        assets,
        matrix,
        settings: MonitorSettings {
            resolvers: vec!["172.16.0.53".parse().expect("resolver")],
            ..MonitorSettings::default()
        },
    }
}

fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn reader(path: &str) -> BufReader<Box<dyn Read>> {
    let file: Box<dyn Read> = Box::new(File::open(path).expect("open the events file"));
    BufReader::with_capacity(1 << 20, file)
}

/// Nanoseconds this thread has spent on a CPU (the scheduler's own count): the rate per CPU
/// second holds when other processes share the cores, where wall time does not.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

struct Clock {
    wall: Instant,
    cpu: u64,
}

fn start() -> Clock {
    Clock {
        wall: Instant::now(),
        cpu: cpu_ns(),
    }
}

fn report(name: &str, lines: u64, bytes: u64, clock: Clock) {
    let secs = clock.wall.elapsed().as_secs_f64();
    let cpu = (cpu_ns() - clock.cpu) as f64 / 1e9;
    println!(
        "{name}: {lines} lines in {secs:.3} s = {:.0} events/s, {:.1} MB/s; on the CPU {cpu:.3} s = {:.0} events/s, {:.1} MB/s",
        lines as f64 / secs,
        bytes as f64 / secs / 1e6,
        lines as f64 / cpu,
        bytes as f64 / cpu / 1e6
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: monitor_bench FILE [monitor|floor|both]");
    let mode = args.next().unwrap_or_else(|| "both".into());
    if mode == "monitor" || mode == "both" {
        let mut monitor = Monitor::new(&site());
        let (mut lines, mut bytes, mut alerts, mut tallies) = (0u64, 0u64, 0usize, 0usize);
        let clock = start();
        for_each_line(reader(&path), MAX_LINE, |line| {
            let line = line.unwrap_or_else(|head| head);
            lines += 1;
            bytes += line.len() as u64 + 1;
            monitor.feed(Format::SuricataEve, line);
            if lines % 100_000 == 0 || monitor.wants_take() {
                let (a, t) = monitor.take();
                alerts += a.len();
                tallies += t.len();
            }
            if lines % 1_000_000 == 0 {
                eprintln!("  {lines} lines: rss {} kB", rss_kb());
            }
        })
        .expect("read");
        let (a, t) = monitor.take();
        alerts += a.len();
        tallies += t.len();
        report("mamori-monitor", lines, bytes, clock);
        let s = monitor.summary();
        let c = monitor.counters();
        println!(
            "  events {} unparseable {} alerts {alerts} tally rows {tallies} evicted {} alerts by rule {:?}",
            s.events, s.unparseable, c.evicted, c.alerts
        );
    }
    if mode == "floor" || mode == "both" {
        for (name, value) in [("serde_json IgnoredAny", false), ("serde_json Value", true)] {
            let (mut lines, mut bytes, mut bad) = (0u64, 0u64, 0u64);
            let clock = start();
            for_each_line(reader(&path), MAX_LINE, |line| {
                let line = line.unwrap_or_else(|head| head);
                lines += 1;
                bytes += line.len() as u64 + 1;
                let ok = if value {
                    serde_json::from_slice::<serde_json::Value>(line).is_ok()
                } else {
                    serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok()
                };
                bad += u64::from(!ok);
            })
            .expect("read");
            report(name, lines, bytes, clock);
            assert_eq!(bad, 0, "every line is JSON");
        }
    }
}
