//! Writes realistic Suricata EVE `flow` lines over the demo site's ranges, for the monitor's
//! benchmark: `eve_gen N [SEED] > eve.json`.
//!
//! The mix is that of a β-model 自治体 seen from the mirror port of the Internet-connected
//! segment: staff terminals (172.16.1.0–172.16.8.255) browsing the Internet over tcp/443 and 80,
//! DNS to the sanctioned resolver, mail from the Internet to the gateway's outer side and on to
//! the 無害化 gateway in the LGWAN-connected segment, LGWAN-internal file sharing, and a small
//! share of flows the matrix forbids. Times advance 1 ms per flow from 2026-12-01 08:30 JST.
//! The same N and SEED give the same file.

use std::io::{self, BufWriter, Write};

/// xorshift64*: deterministic, and independent of any crate's version.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn terminal(rng: &mut Rng) -> String {
    format!("172.16.{}.{}", 1 + rng.below(8), 1 + rng.below(254))
}

fn internet(rng: &mut Rng) -> String {
    const FIRST: [u64; 12] = [13, 20, 23, 34, 52, 54, 104, 133, 142, 151, 157, 210];
    format!(
        "{}.{}.{}.{}",
        FIRST[rng.below(FIRST.len() as u64) as usize],
        rng.below(256),
        rng.below(256),
        1 + rng.below(254)
    )
}

fn timestamp(ms: u64) -> String {
    // 2026-12-01T08:30:00+09:00 plus `ms`.
    let secs = 8 * 3600 + 30 * 60 + ms / 1000;
    let (day, secs) = (1 + secs / 86_400, secs % 86_400);
    format!(
        "2026-12-{day:02}T{:02}:{:02}:{:02}.{:03}000+0900",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        ms % 1000
    )
}

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2026);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = BufWriter::with_capacity(1 << 20, io::stdout().lock());
    for i in 0..n {
        let roll = rng.below(1000);
        let (src, dst, dport, proto, app) = match roll {
            0..=639 => {
                let port = if rng.below(10) < 8 { 443 } else { 80 };
                let app = if port == 443 { "tls" } else { "http" };
                (terminal(&mut rng), internet(&mut rng), port, "TCP", app)
            }
            640..=769 => (terminal(&mut rng), "172.16.0.53".into(), 53, "UDP", "dns"),
            770..=799 => ("172.16.0.53".into(), internet(&mut rng), 53, "UDP", "dns"),
            800..=859 => (internet(&mut rng), "172.16.0.25".into(), 25, "TCP", "smtp"),
            860..=899 => ("172.16.0.25".into(), "10.20.0.25".into(), 25, "TCP", "smtp"),
            900..=989 => (
                format!("10.20.{}.{}", 1 + rng.below(4), 1 + rng.below(254)),
                format!("10.20.0.{}", 10 + rng.below(5)),
                445,
                "TCP",
                "smb",
            ),
            // Forbidden: terminals reaching into the LGWAN-connected segment, LGWAN to the Internet.
            990..=994 => (terminal(&mut rng), "10.20.0.10".into(), 445, "TCP", "smb"),
            _ => (
                format!("10.20.{}.{}", 1 + rng.below(4), 1 + rng.below(254)),
                internet(&mut rng),
                443,
                "TCP",
                "tls",
            ),
        };
        let sport = 1024 + rng.below(64_000);
        let (to_server, to_client) = (1 + rng.below(40), rng.below(60));
        let bytes_ts = to_server * (60 + rng.below(1400));
        let bytes_tc = to_client * (60 + rng.below(1400));
        let start = timestamp(i);
        let end = timestamp(i + rng.below(2000));
        let mut cid = [0u8; 27];
        for c in &mut cid {
            *c = B64[rng.below(64) as usize];
        }
        let cid = std::str::from_utf8(&cid).expect("base64 alphabet");
        let flow_id = rng.next() >> 13;
        let tcp = if proto == "TCP" {
            r#","tcp":{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"1b","syn":true,"fin":true,"psh":true,"ack":true,"state":"closed"}"#
        } else {
            ""
        };
        writeln!(
            out,
            r#"{{"timestamp":"{end}","flow_id":{flow_id},"in_iface":"ens192","event_type":"flow","src_ip":"{src}","src_port":{sport},"dest_ip":"{dst}","dest_port":{dport},"proto":"{proto}","app_proto":"{app}","flow":{{"pkts_toserver":{to_server},"pkts_toclient":{to_client},"bytes_toserver":{bytes_ts},"bytes_toclient":{bytes_tc},"start":"{start}","end":"{end}","age":{},"state":"closed","reason":"timeout","alerted":false}},"community_id":"1:{cid}="{tcp}}}"#,
            rng.below(3)
        )?;
    }
    out.flush()
}
