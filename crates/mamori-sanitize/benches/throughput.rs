//! Throughput of the 無害化 engine on a generated corpus of Japanese business mail, against
//! mail-parser's parse-only throughput on the same corpus in the same run.
//!
//! Then the disarm path: messages with a real PDF, .xlsm, PNG and JPEG, disarmed against removed.
//!
//! The engine runs as the gateway runs it: on a long-lived [`EnginePool`] thread (one, so the
//! figures are single-threaded), the caller waiting for each message, on the allocator of the
//! `mamori` binary (mimalloc), which parse-only uses too. Sanitize and parse-only are measured
//! in turns, a pass over a row's messages each, and each figure is the median pass.
//!
//! Run: `cargo bench -p mamori-sanitize --bench throughput` (figures go to BENCHMARKS.md);
//! `MAMORI_BENCH_ONLY=disarm` measures only the disarm table, any other value only the rows of
//! the first table whose name starts with it.

use std::hint::black_box;
use std::time::{Duration, Instant};

use std::io::{Cursor, Write};

use std::sync::Arc;

use mamori_sanitize::{EnginePool, FileAction, Input, Policy, sanitize};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// A text PDF of `pages` pages, with an OpenAction script for the disarm to take out.
fn pdf_file(rng: &mut Lcg, pages: usize) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>".to_vec(),
        Vec::new(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ];
    let mut kids = Vec::new();
    for _ in 0..pages {
        let mut content = String::from("BT /F1 9 Tf 40 800 Td 11 TL\n");
        for _ in 0..60 {
            let line: String = (0..80)
                .map(|_| char::from(b'a' + (rng.next() % 26) as u8))
                .collect();
            content.push_str(&format!("({line}) '\n"));
        }
        content.push_str("ET");
        let content_id = objects.len() + 2;
        objects.push(
            format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len()
            )
            .into_bytes(),
        );
        kids.push(objects.len() + 1);
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>"
            )
            .into_bytes(),
        );
    }
    let kids: Vec<String> = kids.iter().map(|k| format!("{k} 0 R")).collect();
    objects[1] = format!(
        "<< /Type /Pages /Kids [{}] /Count {pages} >>",
        kids.join(" ")
    )
    .into_bytes();
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// An .xlsm workbook with one sheet of `rows` rows and a VBA project.
fn xlsm_file(rng: &mut Lcg, rows: usize) -> Vec<u8> {
    let mut sheet = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>",
    );
    for r in 1..=rows {
        sheet.push_str(&format!("<row r=\"{r}\">"));
        for c in ["A", "B", "C", "D", "E", "F"] {
            sheet.push_str(&format!(
                "<c r=\"{c}{r}\"><v>{}</v></c>",
                rng.next() % 1_000_000
            ));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let entries: Vec<(&str, Vec<u8>)> = vec![
        ("[Content_Types].xml", br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_vec()),
        ("_rels/.rels", br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec()),
        ("xl/workbook.xml", br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_vec()),
        ("xl/_rels/workbook.xml.rels", br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>"#.to_vec()),
        ("xl/worksheets/sheet1.xml", sheet.into_bytes()),
        ("xl/vbaProject.bin", rng.bytes(20_000)),
    ];
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in &entries {
        w.start_file(*name, options).expect("entry");
        w.write_all(data).expect("data");
    }
    w.finish().expect("zip").into_inner()
}

/// A photo-like RGB image: smooth gradients with noise.
fn pixels(rng: &mut Lcg, width: usize, height: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        for x in 0..width {
            let n = (rng.next() % 16) as usize;
            p.push(((x * 255 / width + n) % 256) as u8);
            p.push(((y * 255 / height + n) % 256) as u8);
            p.push((((x + y) * 127 / (width + height) + n) % 256) as u8);
        }
    }
    p
}

fn png_file(rng: &mut Lcg, width: u32, height: u32) -> Vec<u8> {
    let data = pixels(rng, width as usize, height as usize);
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, width, height);
    e.set_color(png::ColorType::Rgb);
    e.set_depth(png::BitDepth::Eight);
    let mut w = e.write_header().expect("png");
    w.write_chunk(png::chunk::ChunkType(*b"tEXt"), b"Comment\0bench")
        .expect("tEXt");
    w.write_image_data(&data).expect("png data");
    w.finish().expect("png");
    out
}

fn jpeg_file(rng: &mut Lcg, width: u16, height: u16) -> Vec<u8> {
    let data = pixels(rng, usize::from(width), usize::from(height));
    let mut out = Vec::new();
    let mut e = jpeg_encoder::Encoder::new(&mut out, 85);
    e.add_app_segment(1, b"Exif\0\0MM\0*\0\0\0\x08bench".to_vec())
        .expect("APP1");
    e.encode(&data, width, height, jpeg_encoder::ColorType::Rgb)
        .expect("jpeg");
    out
}

/// Messages whose attachments are real files of each disarmable type.
fn disarm_corpus() -> Vec<(&'static str, Vec<u8>)> {
    let mut rng = Lcg(0x64697361726d);
    let mut c = Vec::new();
    for _ in 0..4 {
        let f = pdf_file(&mut rng, 200);
        c.push((
            "PDF 200 pages",
            with_file(&mut rng, "a.pdf", "application/pdf", f),
        ));
        let f = xlsm_file(&mut rng, 20_000);
        c.push((
            "xlsm 20,000 rows",
            with_file(
                &mut rng,
                "a.xlsm",
                "application/vnd.ms-excel.sheet.macroEnabled.12",
                f,
            ),
        ));
        let f = png_file(&mut rng, 1024, 768);
        c.push(("PNG 1024×768", with_file(&mut rng, "a.png", "image/png", f)));
        let f = jpeg_file(&mut rng, 1600, 1200);
        c.push((
            "JPEG 1600×1200",
            with_file(&mut rng, "a.jpg", "image/jpeg", f),
        ));
    }
    c
}

fn with_file(rng: &mut Lcg, name: &str, ct: &str, file: Vec<u8>) -> Vec<u8> {
    let t = text(rng, 10);
    let mut m = headers("資料送付", "multipart/mixed; boundary=\"mix\"").into_bytes();
    m.extend_from_slice(
        format!(
            "\r\n--mix\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n\
             --mix\r\nContent-Type: {ct}\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--mix--\r\n",
            b64(t.as_bytes()),
            b64(&file)
        )
        .as_bytes(),
    );
    m
}

fn disarm_table() {
    let corpus = disarm_corpus();
    let mut remove = Policy::default();
    remove.limits.max_message_bytes = 64 * 1024 * 1024;
    let mut disarm = remove.clone();
    disarm.disarm.pdf = FileAction::Disarm;
    disarm.disarm.ooxml = FileAction::Disarm;
    disarm.disarm.png = FileAction::Disarm;
    disarm.disarm.jpeg = FileAction::Disarm;
    println!();
    println!(
        "| disarm: file in the message | count | MB | disarm msg/s | disarm MB/s | remove MB/s | disarm / remove time |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut kinds: Vec<&str> = corpus.iter().map(|(k, _)| *k).collect();
    kinds.dedup();
    kinds.truncate(4);
    for kind in kinds {
        let msgs: Vec<&[u8]> = corpus
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, m)| m.as_slice())
            .collect();
        for m in &msgs {
            let out = sanitize(m, &disarm);
            assert_eq!(
                out.report.disarmed.len(),
                1,
                "{kind}: {:?}",
                out.report.removed
            );
        }
        let bytes: usize = msgs.iter().map(|m| m.len()).sum();
        let d = measure(&msgs, |m| {
            black_box(sanitize(black_box(m), &disarm));
        });
        let r = measure(&msgs, |m| {
            black_box(sanitize(black_box(m), &remove));
        });
        println!(
            "| {kind} | {} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1} |",
            msgs.len(),
            bytes as f64 / 1e6,
            msgs.len() as f64 / d.as_secs_f64(),
            bytes as f64 / 1e6 / d.as_secs_f64(),
            bytes as f64 / 1e6 / r.as_secs_f64(),
            d.as_secs_f64() / r.as_secs_f64()
        );
    }
}

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn measure<T>(corpus: &[T], mut f: impl FnMut(&T)) -> Duration {
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

/// One pass of `a` over its corpus, then one of `b` over its own, again and again for about six
/// seconds: the median pass of each. Taken in turns, both see the same moments of a machine
/// whose speed drifts (another process, a neighbour on the host), so their ratio holds still
/// where two measurements one after the other did not.
fn measure_pair<T, U>(
    (corpus_a, mut a): (&[T], impl FnMut(&T)),
    (corpus_b, mut b): (&[U], impl FnMut(&U)),
) -> (Duration, Duration) {
    let start = Instant::now();
    let (mut times_a, mut times_b) = (Vec::new(), Vec::new());
    while times_a.len() < 5 || start.elapsed() < Duration::from_secs(6) {
        let t = Instant::now();
        corpus_a.iter().for_each(&mut a);
        times_a.push(t.elapsed());
        let t = Instant::now();
        corpus_b.iter().for_each(&mut b);
        times_b.push(t.elapsed());
    }
    let median = |mut times: Vec<Duration>| {
        times.sort_unstable();
        times[times.len() / 2]
    };
    (median(times_a), median(times_b))
}

fn main() {
    let corpus = corpus();
    let pool = EnginePool::new(Arc::new(Policy::default()), 1).expect("default policy");
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
    let disarm_only = std::env::var("MAMORI_BENCH_ONLY").is_ok_and(|o| o == "disarm");
    if disarm_only {
        rows.clear();
    }
    for (kind, msgs) in rows {
        let bytes: usize = msgs.iter().map(|m| m.len()).sum();
        let shared: Vec<Input> = msgs.iter().map(|m| Arc::new(m.to_vec()) as Input).collect();
        let (s, p) = measure_pair(
            (&shared, |m: &Input| {
                black_box(pool.sanitize(black_box(m.clone())));
            }),
            (&msgs, |m: &&[u8]| {
                black_box(mail_parser::MessageParser::new().parse(black_box(*m)));
            }),
        );
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
    if disarm_only || std::env::var("MAMORI_BENCH_ONLY").is_err() {
        disarm_table();
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
