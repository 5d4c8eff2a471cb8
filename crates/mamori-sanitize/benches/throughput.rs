//! Throughput of the 無害化 engine on a generated corpus of Japanese business mail, against
//! mail-parser's parse-only throughput on the same corpus in the same run.
//!
//! Run: `cargo bench -p mamori-sanitize --bench throughput` (figures go to BENCHMARKS.md).

use std::hint::black_box;
use std::time::{Duration, Instant};

use mamori_sanitize::{Policy, sanitize};

/// Small deterministic generator so every run measures the same corpus.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn b64(b: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(b.len() * 4 / 3 + b.len() / 57 * 2 + 4);
    for (i, c) in b.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            s.push_str("\r\n");
        }
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        s.push(T[(n >> 18) as usize & 63] as char);
        s.push(T[(n >> 12) as usize & 63] as char);
        s.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        s.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    s
}

const SENTENCES: &[&str] = &[
    "いつもお世話になっております。",
    "標記の件について、下記のとおりご連絡いたします。",
    "令和8年度の予算要求資料を添付いたしますので、ご確認のほどよろしくお願いいたします。",
    "会議は12月3日(木)14時から本庁舎3階第2会議室で開催します。",
    "ご不明な点がございましたら、情報政策課までお問い合わせください。",
    "詳細は https://www.city.example.lg.jp/joho/index.html をご覧ください。",
    "①申請書、②添付資料、③委任状を㈱山田商事の髙橋様あてにお送りください。",
];

fn text(rng: &mut Lcg, lines: usize) -> String {
    (0..lines)
        .map(|_| SENTENCES[rng.next() as usize % SENTENCES.len()])
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn headers(subject: &str, ct: &str) -> String {
    format!(
        "From: =?ISO-2022-JP?B?GyRCPnBKczh2MyskMhsoQg==?= <sato@example.co.jp>\r\n\
         To: staff@city.example.lg.jp\r\nDate: Wed, 25 Nov 2026 10:00:00 +0900\r\n\
         Subject: =?UTF-8?B?{}?=\r\nMessage-ID: <bench@example.co.jp>\r\nMIME-Version: 1.0\r\n\
         Content-Type: {ct}\r\n",
        b64(subject.as_bytes())
    )
}

fn plain_iso2022jp(rng: &mut Lcg) -> Vec<u8> {
    let body = encoding_rs::ISO_2022_JP
        .encode(&text(rng, 30))
        .0
        .into_owned();
    let mut m = headers("ご連絡", "text/plain; charset=ISO-2022-JP").into_bytes();
    m.extend_from_slice(b"Content-Transfer-Encoding: 7bit\r\n\r\n");
    m.extend_from_slice(&body);
    m
}

fn html_alternative(rng: &mut Lcg, charset: &'static encoding_rs::Encoding) -> Vec<u8> {
    let t = text(rng, 40);
    let html = format!(
        "<html><body><p>{}</p><table><tr><td>項目</td><td>金額</td></tr><tr><td>委託料</td><td>1,200,000円</td></tr></table>\
         <p><a href=\"https://www.city.example.lg.jp/\">市ホームページ</a></p></body></html>",
        t.replace("\r\n", "</p><p>")
    );
    let label = charset.name();
    let mut m = headers("HTML メール", "multipart/alternative; boundary=\"alt\"").into_bytes();
    m.extend_from_slice(
        format!(
            "\r\n--alt\r\nContent-Type: text/plain; charset={label}\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n\
             --alt\r\nContent-Type: text/html; charset={label}\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--alt--\r\n",
            b64(&charset.encode(&t).0),
            b64(&charset.encode(&html).0)
        )
        .as_bytes(),
    );
    m
}

fn with_attachment(rng: &mut Lcg, name: &str, ct: &str, magic: &[u8], size: usize) -> Vec<u8> {
    let mut payload = magic.to_vec();
    payload.extend(rng.bytes(size));
    let t = text(rng, 10);
    let mut m = headers("資料送付", "multipart/mixed; boundary=\"mix\"").into_bytes();
    m.extend_from_slice(
        format!(
            "\r\n--mix\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n\
             --mix\r\nContent-Type: {ct}\r\nContent-Disposition: attachment; filename*=UTF-8''{name}\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--mix--\r\n",
            b64(t.as_bytes()),
            b64(&payload)
        )
        .as_bytes(),
    );
    m
}

fn corpus() -> Vec<(&'static str, Vec<u8>)> {
    let mut rng = Lcg(0x6d616d6f7269);
    let mut c = Vec::new();
    for i in 0..100 {
        let m = match i % 20 {
            0..=7 => ("plain ISO-2022-JP", plain_iso2022jp(&mut rng)),
            8..=12 => (
                "HTML+text UTF-8",
                html_alternative(&mut rng, encoding_rs::UTF_8),
            ),
            13..=16 => (
                "HTML+text Shift_JIS",
                html_alternative(&mut rng, encoding_rs::SHIFT_JIS),
            ),
            17 | 18 => (
                "PDF attachment 1 MB",
                with_attachment(
                    &mut rng,
                    "%E8%B3%87%E6%96%99.pdf",
                    "application/pdf",
                    b"%PDF-1.7\n",
                    1 << 20,
                ),
            ),
            _ => (
                "xlsx attachment 3 MB",
                with_attachment(
                    &mut rng,
                    "%E4%BA%88%E7%AE%97.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    b"PK\x03\x04",
                    3 << 20,
                ),
            ),
        };
        c.push(m);
    }
    c
}

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn measure(corpus: &[&[u8]], mut f: impl FnMut(&[u8])) -> Duration {
    let start = Instant::now();
    let mut rounds = 0;
    while rounds < 3 || start.elapsed() < Duration::from_secs(3) {
        for m in corpus {
            f(m);
        }
        rounds += 1;
    }
    start.elapsed() / rounds
}

fn main() {
    let corpus = corpus();
    let policy = Policy::default();
    let total_bytes: usize = corpus.iter().map(|(_, m)| m.len()).sum();
    println!(
        "corpus: {} messages, {:.1} MB",
        corpus.len(),
        total_bytes as f64 / 1e6
    );
    let mut kinds: Vec<&str> = corpus.iter().map(|(k, _)| *k).collect();
    kinds.dedup();
    kinds.sort_unstable();
    kinds.dedup();
    println!(
        "| messages | count | MB | sanitize msg/s | sanitize MB/s | parse-only MB/s | sanitize / parse time |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut rows: Vec<(&str, Vec<&[u8]>)> = kinds
        .iter()
        .map(|k| {
            (
                *k,
                corpus
                    .iter()
                    .filter(|(c, _)| c == k)
                    .map(|(_, m)| m.as_slice())
                    .collect(),
            )
        })
        .collect();
    rows.push(("all", corpus.iter().map(|(_, m)| m.as_slice()).collect()));
    // MAMORI_BENCH_ONLY=<prefix> measures only the rows whose name starts with it (for profiling).
    if let Ok(only) = std::env::var("MAMORI_BENCH_ONLY") {
        rows.retain(|(k, _)| k.starts_with(only.as_str()));
    }
    for (kind, msgs) in rows {
        let bytes: usize = msgs.iter().map(|m| m.len()).sum();
        let s = measure(&msgs, |m| {
            black_box(sanitize(black_box(m), &policy));
        });
        let p = measure(&msgs, |m| {
            black_box(mail_parser::MessageParser::new().parse(black_box(m)));
        });
        println!(
            "| {kind} | {} | {:.2} | {:.0} | {:.1} | {:.1} | {:.2} |",
            msgs.len(),
            bytes as f64 / 1e6,
            msgs.len() as f64 / s.as_secs_f64(),
            bytes as f64 / 1e6 / s.as_secs_f64(),
            bytes as f64 / 1e6 / p.as_secs_f64(),
            s.as_secs_f64() / p.as_secs_f64()
        );
    }
    let largest = corpus.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
    if let Some(hwm) = vm_hwm_kib() {
        println!(
            "peak RSS of the whole run: {:.1} MB (corpus held in memory: {:.1} MB; largest message {:.1} MB)",
            hwm as f64 / 1024.0,
            total_bytes as f64 / 1e6,
            largest as f64 / 1e6
        );
    }
}
