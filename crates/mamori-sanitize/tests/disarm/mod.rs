//! File disarm (ファイル無害化): fixtures, the multipart output's properties, and what each
//! rebuild must take out.

pub mod fixtures;

use std::collections::BTreeSet;
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use mail_parser::{MessageParser, MimeHeaders, PartType};
use mamori_sanitize::{
    AmbiguityKind, FileAction, Outcome, Policy, RemovalReason, Report, Verdict, sanitize,
    sanitize_with_budget,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

use fixtures::PAYLOAD;

/// Every type disarmed rather than removed.
pub fn disarm_all() -> Policy {
    let mut p = Policy::default();
    p.disarm.pdf = FileAction::Disarm;
    p.disarm.ooxml = FileAction::Disarm;
    p.disarm.png = FileAction::Disarm;
    p.disarm.jpeg = FileAction::Disarm;
    p
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The text and the files of an output, decoded.
pub struct Parts {
    pub text: String,
    /// (file name, content type, bytes)
    pub files: Vec<(String, String, Vec<u8>)>,
}

/// Properties of a multipart output: it parses as multipart/mixed whose parts are exactly the
/// text/plain part and then the disarmed files as reported; a second pass with the same policy
/// attaches the same files again (byte for byte except JPEG, which is re-encoded lossily) with
/// nothing more to take out of them, and keeps the whole first text.
pub fn check_multipart_output(
    message: &[u8],
    report: &Report,
    policy: &Policy,
) -> Result<Parts, String> {
    let parts = parse_multipart(message)?;
    if parts.files.len() != report.disarmed.len() {
        return Err(format!(
            "{} files attached, {} reported",
            parts.files.len(),
            report.disarmed.len()
        ));
    }
    for ((name, ctype, bytes), d) in parts.files.iter().zip(&report.disarmed) {
        if *name != d.output_name || *ctype != d.output_type {
            return Err(format!("file {name} {ctype} differs from the report {d:?}"));
        }
        if hex::encode(Sha256::digest(bytes)) != d.output_sha256
            || bytes.len() as u64 != d.output_size
        {
            return Err(format!("file {name} is not the reported one"));
        }
    }
    let again = sanitize(message, policy);
    let Some(second) = again.message else {
        return Err(format!("second pass quarantined: {:?}", again.report));
    };
    let second_parts = parse_multipart(&second)?;
    if !second_parts.text.contains(parts.text.trim_end()) {
        return Err("second pass lost text of the first".into());
    }
    if again.report.disarmed.len() != report.disarmed.len() || !again.report.removed.is_empty() {
        return Err(format!("second pass changed the parts: {:?}", again.report));
    }
    for (a, b) in report.disarmed.iter().zip(&again.report.disarmed) {
        if a.output_name != b.output_name || a.output_type != b.output_type {
            return Err(format!(
                "second pass renamed {} to {}",
                a.output_name, b.output_name
            ));
        }
        if a.output_type != "image/jpeg" && a.output_sha256 != b.output_sha256 {
            return Err(format!(
                "{} is not a fixed point of the disarm",
                a.output_name
            ));
        }
        if !b.removed_content.is_empty() {
            return Err(format!(
                "second pass still removed {:?} from {}",
                b.removed_content, b.output_name
            ));
        }
    }
    Ok(parts)
}

pub fn parse_multipart(message: &[u8]) -> Result<Parts, String> {
    if !message.is_ascii() {
        return Err("output is not 7-bit".into());
    }
    let parsed = MessageParser::new()
        .parse(message)
        .ok_or("output does not parse")?;
    let root = parsed.root_part();
    let ct = root.content_type().ok_or("no content type")?;
    if ct.ctype() != "multipart" || ct.subtype() != Some("mixed") {
        return Err("output is not multipart/mixed".into());
    }
    let PartType::Multipart(children) = &root.body else {
        return Err("root is not a multipart".into());
    };
    let mut it = children.iter().map(|&i| &parsed.parts[i as usize]);
    let text = it.next().ok_or("no text part")?;
    let tct = text.content_type().ok_or("text part has no type")?;
    if tct.ctype() != "text" || tct.subtype() != Some("plain") {
        return Err("first part is not text/plain".into());
    }
    let PartType::Text(body) = &text.body else {
        return Err("first part is not text".into());
    };
    let mut files = Vec::new();
    for p in it {
        let PartType::Binary(bytes) = &p.body else {
            return Err("a part after the text is not a file".into());
        };
        let ct = p.content_type().ok_or("file has no type")?;
        let ctype = format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or(""));
        let name = p.attachment_name().ok_or("file has no name")?.to_string();
        files.push((name, ctype, bytes.to_vec()));
    }
    if parsed.parts.len() != 2 + files.len() {
        return Err(format!("output has {} MIME entities", parsed.parts.len()));
    }
    Ok(Parts {
        text: body.replace("\r\n", "\n"),
        files,
    })
}

fn run(input: &[u8], policy: &Policy) -> (Outcome, Parts) {
    let out = sanitize(input, policy);
    assert_eq!(out.report.verdict, Verdict::Sanitized, "{:?}", out.report);
    let message = out.message.clone().expect("output");
    let parts =
        check_multipart_output(&message, &out.report, policy).unwrap_or_else(|e| panic!("{e}"));
    (out, parts)
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).expect("entry");
            let mut data = Vec::new();
            f.read_to_end(&mut data).expect("data");
            (f.name().expect("name").to_string(), data)
        })
        .collect()
}

#[test]
fn fixtures_are_reproducible() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let write = std::env::var_os("MAMORI_WRITE_FIXTURES").is_some();
    for (name, bytes) in fixtures::corpus_inputs() {
        let path = dir.join(format!("{name}.eml"));
        if write {
            std::fs::write(&path, &bytes).expect("write fixture");
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == bytes,
            "{name}.eml differs from what fixtures.rs makes"
        );
    }
}

#[test]
fn png_is_reencoded_without_metadata_or_trailing_archive() {
    let (out, parts) = run(
        &fixtures::mail(
            "p",
            &[("a.png", "image/png", fixtures::png_with_metadata())],
        ),
        &disarm_all(),
    );
    let (_, _, png) = &parts.files[0];
    assert!(!contains(png, PAYLOAD) && !contains(png, b"tEXt") && !contains(png, b"eXIf"));
    assert!(png.ends_with(b"IEND\xae\x42\x60\x82"), "nothing after IEND");
    let d = &out.report.disarmed[0];
    assert_eq!(d.removed_content[..2], ["tEXt", "eXIf"]);
    assert!(d.removed_content[2].starts_with("data after IEND"));
    // Same pixels as the original.
    let decode = |b: &[u8]| {
        let mut r = png::Decoder::new(Cursor::new(b)).read_info().expect("png");
        let mut buf = vec![0; r.output_buffer_size().expect("size")];
        r.next_frame(&mut buf).expect("frame");
        buf
    };
    assert_eq!(decode(png), decode(&fixtures::png_with_metadata()));
}

#[test]
fn jpeg_is_reencoded_without_app_segments_or_trailing_archive() {
    let (out, parts) = run(
        &fixtures::mail(
            "j",
            &[("a.jpg", "image/jpeg", fixtures::jpeg_with_metadata())],
        ),
        &disarm_all(),
    );
    let (name, ctype, jpg) = &parts.files[0];
    assert_eq!(
        (name.as_str(), ctype.as_str()),
        ("attachment-1.jpg", "image/jpeg")
    );
    assert!(!contains(jpg, PAYLOAD) && !contains(jpg, b"Exif") && !contains(jpg, b"Photoshop"));
    assert!(jpg.ends_with(&[0xff, 0xd9]), "nothing after EOI");
    let removed = &out.report.disarmed[0].removed_content;
    assert_eq!(removed[..2], ["APP1 (EXIF)", "APP13"]);
    assert!(removed[2].starts_with("data after EOI"));
}

#[test]
fn docm_becomes_docx_without_macros_controls_objects_or_external_links() {
    let (out, parts) = run(
        &fixtures::mail(
            "d",
            &[(
                "r.docm",
                "application/vnd.ms-word.document.macroEnabled.12",
                fixtures::docm(),
            )],
        ),
        &disarm_all(),
    );
    let (name, ctype, docx) = &parts.files[0];
    assert_eq!(name, "attachment-1.docx");
    assert_eq!(
        ctype,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let entries = unzip(docx);
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "[Content_Types].xml",
            "_rels/.rels",
            "word/document.xml",
            "word/_rels/document.xml.rels",
            "word/styles.xml",
            "word/settings.xml",
            "word/_rels/settings.xml.rels",
        ]
    );
    let text = |n: &str| {
        String::from_utf8(entries.iter().find(|(e, _)| e == n).expect(n).1.clone()).expect("utf-8")
    };
    let types = text("[Content_Types].xml");
    assert!(
        !types.contains("macroEnabled")
            && !types.contains("vbaProject")
            && !types.contains("activeX")
    );
    assert!(types.contains("wordprocessingml.document.main+xml"));
    let rels = text("word/_rels/document.xml.rels");
    assert!(rels.contains("Target=\"styles.xml\"") && rels.contains("Target=\"settings.xml\""));
    assert!(
        !rels.contains("evil.example")
            && !rels.contains("vbaProject")
            && !rels.contains("oleObject")
    );
    assert!(!text("_rels/.rels").contains("customUI"));
    assert!(!text("word/_rels/settings.xml.rels").contains("attachedTemplate"));
    assert!(text("word/document.xml").contains("令和8年度 予算要求資料"));
    assert!(!contains(docx, PAYLOAD));
    assert_eq!(
        out.report.disarmed[0].removed_content,
        [
            "vbaProject.bin (macros)",
            "ActiveX controls",
            "embedded objects",
            "custom UI",
            "external relationships (2)",
            "macro-enabled document type",
        ]
    );
    // The notice names what was taken out.
    assert!(
        parts
            .text
            .contains("除去した内容 (removed content): vbaProject.bin (macros), ActiveX controls")
    );
}

/// The disarmed package of a one-file message: its entry names, and the text of each entry.
fn disarmed_package(
    name: &str,
    bytes: Vec<u8>,
) -> (Outcome, Parts, Vec<String>, impl Fn(&str) -> String) {
    let (out, parts) = run(
        &fixtures::mail("o", &[(name, "application/octet-stream", bytes)]),
        &disarm_all(),
    );
    let entries = unzip(&parts.files[0].2);
    let names = entries.iter().map(|(n, _)| n.clone()).collect();
    let text = move |n: &str| {
        String::from_utf8(entries.iter().find(|(e, _)| e == n).expect(n).1.clone()).expect("utf-8")
    };
    (out, parts, names, text)
}

#[test]
fn docx_alt_chunks_go_with_their_parts_relationships_and_content_types() {
    let (out, parts, names, text) = disarmed_package("plan.docx", fixtures::docx_alt_chunk());
    assert_eq!(
        names,
        [
            "[Content_Types].xml",
            "_rels/.rels",
            "word/document.xml",
            "word/_rels/document.xml.rels",
            "word/header1.xml",
            "word/_rels/header1.xml.rels",
        ]
    );
    let types = text("[Content_Types].xml");
    assert!(!types.contains("mht") && !types.contains("rfc822") && !types.contains("rtf"));
    for rels in [
        "word/_rels/document.xml.rels",
        "word/_rels/header1.xml.rels",
    ] {
        assert!(!text(rels).contains("aFChunk"), "{rels}");
    }
    assert!(text("word/_rels/document.xml.rels").contains("Target=\"header1.xml\""));
    let document = text("word/document.xml");
    assert!(!document.contains("altChunk") && !text("word/header1.xml").contains("altChunk"));
    assert!(document.contains("令和8年度 事業計画") && document.contains("以上"));
    assert!(text("word/header1.xml").contains("庁内限り"));
    assert!(!contains(&parts.files[0].2, PAYLOAD));
    assert_eq!(
        out.report.disarmed[0].removed_content,
        ["altChunk (imported documents)"]
    );
    assert!(
        parts
            .text
            .contains("除去した内容 (removed content): altChunk (imported documents)")
    );
}

#[test]
fn docx_dde_fields_become_their_result_text() {
    let (out, parts, names, text) = disarmed_package("notice.docx", fixtures::docx_dde_fields());
    assert_eq!(names.len(), 5, "no part goes: {names:?}");
    let document = text("word/document.xml");
    let header = text("word/header1.xml");
    for xml in [&document, &header] {
        for bad in ["DDE", "QUOTE", "cmd.exe", "EVIL-PAYLOAD"] {
            assert!(!xml.contains(bad), "{bad} survived:\n{xml}");
        }
    }
    for result in ["結果A", "結果B", "結果C"] {
        assert!(document.contains(result), "{result}");
    }
    assert!(header.contains("結果D"));
    // The ordinary fields stay whole.
    assert!(document.contains(" PAGE ") && document.contains("w:instr=\" MERGEFIELD 氏名 \""));
    assert_eq!(document.matches("w:fldCharType=").count(), 3);
    assert_eq!(
        out.report.disarmed[0].removed_content,
        ["DDE fields", "fields built from other fields"]
    );
    assert!(
        parts
            .text
            .contains("除去した内容 (removed content): DDE fields, fields built from other fields")
    );
}

#[test]
fn xlsx_dde_and_external_links_go_and_cached_values_stay() {
    let (out, parts, names, text) = disarmed_package("budget.xlsx", fixtures::xlsx_dde_links());
    assert_eq!(
        names,
        [
            "[Content_Types].xml",
            "_rels/.rels",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/worksheets/sheet1.xml",
        ]
    );
    let types = text("[Content_Types].xml");
    let rels = text("xl/_rels/workbook.xml.rels");
    for t in [&types, &rels] {
        assert!(
            !t.contains("externalLink") && !t.contains("calcChain"),
            "{t}"
        );
    }
    let workbook = text("xl/workbook.xml");
    assert!(!workbook.contains("externalReference") && !workbook.contains("cmd|"));
    assert!(workbook.contains(r#"<definedName name="total">Sheet1!$C$1</definedName>"#));
    let sheet = text("xl/worksheets/sheet1.xml");
    for bad in ["cmd|", "[1]", "[2]", "t=\"shared\""] {
        assert!(!sheet.contains(bad), "{bad} survived:\n{sheet}");
    }
    for kept in [
        r#"<c r="A1"><v>0</v></c>"#,
        r#"<c r="B1"><v>5</v></c>"#,
        r#"<c r="C1"><f>SUM(1,2)</f><v>3</v></c>"#,
        r#"<c r="D1" t="str"><f>"a|b"</f><v>a|b</v></c>"#,
        r#"<c r="A3"><v>0</v></c>"#,
    ] {
        assert!(sheet.contains(kept), "{kept} lost:\n{sheet}");
    }
    assert!(!contains(&parts.files[0].2, PAYLOAD));
    assert_eq!(
        out.report.disarmed[0].removed_content,
        ["DDE links", "links to other workbooks"]
    );
}

#[test]
fn xlsx_data_connections_go_with_their_relationship_and_content_type() {
    let (out, _, names, text) = disarmed_package("sales.xlsx", fixtures::xlsx_connections());
    assert!(
        !names.iter().any(|n| n.contains("connections")),
        "{names:?}"
    );
    assert!(!text("[Content_Types].xml").contains("connections"));
    assert!(!text("xl/_rels/workbook.xml.rels").contains("connections"));
    assert!(text("xl/worksheets/sheet1.xml").contains("売上"));
    assert_eq!(out.report.disarmed[0].removed_content, ["data connections"]);
}

#[test]
fn pdf_loses_every_kind_of_active_content_and_keeps_the_page() {
    let (out, parts) = run(
        &fixtures::mail("p", &[("f.pdf", "application/pdf", fixtures::pdf_active())]),
        &disarm_all(),
    );
    let (_, ctype, pdf) = &parts.files[0];
    assert_eq!(ctype, "application/pdf");
    for bad in [
        &b"/JavaScript"[..],
        b"/JS",
        b"/OpenAction",
        b"/AA",
        b"/Launch",
        b"/EmbeddedFile",
        b"/EF",
        b"/XFA",
        b"/FileAttachment",
        b"cmd.exe",
        PAYLOAD,
    ] {
        assert!(
            !contains(pdf, bad),
            "{} survived",
            String::from_utf8_lossy(bad)
        );
    }
    assert!(contains(pdf, b"Hello mamori"), "page content kept");
    assert!(
        !contains(pdf, b"/URI") && !contains(pdf, b"https://www.city.example.lg.jp/"),
        "a web link is an action too"
    );
    let doc = lopdf::Document::load_mem(pdf).expect("output is a PDF");
    assert_eq!(doc.get_pages().len(), 1);
    assert_eq!(
        out.report.disarmed[0].removed_content,
        [
            "AA (additional actions)",
            "EmbeddedFile",
            "JavaScript",
            "Launch",
            "OpenAction",
            "URI (web link)",
            "XFA"
        ]
    );
}

#[test]
fn zero_width_characters_in_a_disarmed_file_name_are_visible_in_report_and_notice() {
    let (out, parts) = run(
        &fixtures::mail(
            "zw",
            &[(
                "写真\u{200b}.png\u{feff}",
                "image/png",
                fixtures::png_with_metadata(),
            )],
        ),
        &disarm_all(),
    );
    assert_eq!(
        out.report.disarmed[0].file_name.as_deref(),
        Some("写真<U+200B>.png<U+FEFF>")
    );
    assert!(
        parts
            .text
            .contains("ファイル名 (file name): 写真<U+200B>.png<U+FEFF>"),
        "{}",
        parts.text
    );
}

#[test]
fn pdf_loses_uri_actions_wherever_they_are_and_keeps_internal_links() {
    let (out, parts) = run(
        &fixtures::mail(
            "l",
            &[("l.pdf", "application/pdf", fixtures::pdf_uri_links())],
        ),
        &disarm_all(),
    );
    let (_, _, pdf) = &parts.files[0];
    for bad in [&b"/URI"[..], b"evil.example", PAYLOAD] {
        assert!(
            !contains(pdf, bad),
            "{} survived",
            String::from_utf8_lossy(bad)
        );
    }
    assert!(contains(pdf, b"Hello mamori"), "page content kept");
    assert_eq!(out.report.disarmed[0].removed_content, ["URI (web link)"]);
    assert!(
        parts
            .text
            .contains("除去した内容 (removed content): URI (web link)")
    );
    let doc = lopdf::Document::load_mem(pdf).expect("output is a PDF");
    let page = doc.get_pages()[&1];
    let annots = doc
        .get_dictionary(page)
        .and_then(|p| p.get(b"Annots"))
        .and_then(lopdf::Object::as_array)
        .expect("annotations kept");
    assert_eq!(
        annots.len(),
        3,
        "the link rectangles stay, without their web actions"
    );
    let actions: Vec<&lopdf::Dictionary> = annots
        .iter()
        .filter_map(|a| doc.get_dictionary(a.as_reference().ok()?).ok())
        .filter_map(|a| a.get(b"A").ok()?.as_dict().ok())
        .collect();
    assert_eq!(actions.len(), 1, "only the internal link keeps an action");
    assert_eq!(
        actions[0].get(b"S").and_then(lopdf::Object::as_name).ok(),
        Some(&b"GoTo"[..])
    );
    assert!(!actions[0].has(b"Next"));
}

fn removed_reason(input: &[u8]) -> (RemovalReason, String) {
    let out = sanitize(input, &disarm_all());
    assert_eq!(out.report.verdict, Verdict::Sanitized);
    assert!(out.report.disarmed.is_empty());
    let r = &out.report.removed[0];
    (r.reason, r.detail.clone().unwrap_or_default())
}

#[test]
fn files_that_cannot_be_disarmed_are_removed_with_a_reason() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("encrypted.pdf", fixtures::pdf_encrypted(), "encrypted"),
        ("corrupt.pdf", fixtures::pdf_corrupt(), "cannot be parsed"),
        ("bomb.docx", fixtures::zip_bomb_docx(), "compression bomb"),
        ("huge.png", fixtures::png_huge(), "above the limit"),
    ];
    for (name, bytes, why) in cases {
        let (reason, detail) = removed_reason(&fixtures::mail(
            "x",
            &[(name, "application/octet-stream", bytes)],
        ));
        assert_eq!(reason, RemovalReason::NotDisarmable, "{name}");
        assert!(detail.contains(why), "{name}: {detail}");
    }
}

#[test]
fn disarmed_files_must_fit_the_message_size_limit() {
    let input = fixtures::mail(
        "d",
        &[("r.docm", "application/octet-stream", fixtures::docm())],
    );
    let mut p = disarm_all();
    // The rebuilt .docx is about 2 KB; the output keeps 1 MiB for the text and headers.
    p.limits.max_message_bytes = 1024 * 1024 + 10_000;
    let out = sanitize(&input, &p);
    assert_eq!(
        out.report.disarmed.len(),
        1,
        "fits: {:?}",
        out.report.removed
    );
    p.limits.max_message_bytes = 1024 * 1024 + 1_000;
    let out = sanitize(&input, &p);
    assert_eq!(out.report.removed[0].reason, RemovalReason::NotDisarmable);
    assert!(
        out.report.removed[0]
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("max_message_bytes")
    );
}

#[test]
fn package_limits_refuse_before_reading() {
    let input = fixtures::mail(
        "d",
        &[("r.docm", "application/octet-stream", fixtures::docm())],
    );
    let mut p = disarm_all();
    p.disarm.max_package_entries = 5;
    let out = sanitize(&input, &p);
    assert_eq!(out.report.removed[0].reason, RemovalReason::NotDisarmable);
    assert!(
        out.report.removed[0]
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("entries")
    );
    p.disarm.max_package_entries = 2000;
    p.disarm.max_package_bytes = 1000;
    let out = sanitize(&input, &p);
    assert!(
        out.report.removed[0]
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("more than 1000 bytes")
    );
}

#[test]
fn no_original_bytes_of_a_removed_or_disarmed_file_reach_the_output() {
    for (name, input) in fixtures::corpus_inputs() {
        for policy in [Policy::default(), disarm_all()] {
            let out = sanitize(&input, &policy);
            let Some(message) = out.message else { continue };
            assert!(!contains(&message, PAYLOAD), "{name}: raw");
            if out.report.disarmed.is_empty() {
                continue;
            }
            let parts = parse_multipart(&message).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!parts.text.contains("EVIL-PAYLOAD"), "{name}: text");
            for (file, _, bytes) in &parts.files {
                assert!(!contains(bytes, PAYLOAD), "{name}: {file}");
            }
        }
    }
}

#[test]
fn every_budget_check_that_fails_quarantines_the_whole_message() {
    let input = {
        let mut m = fixtures::mail(
            "t",
            &[
                ("a.png", "image/png", fixtures::png_with_metadata()),
                ("f.pdf", "application/pdf", fixtures::pdf_active()),
                ("r.docm", "application/octet-stream", fixtures::docm()),
            ],
        );
        // An HTML alternative too, so the HTML walk asks the budget.
        let html = format!("<p>{}</p>", "<b>x</b>".repeat(20_000));
        let at = m.len() - "--=_b--\r\n".len();
        m.splice(
            at..at,
            format!("--=_b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n")
                .into_bytes(),
        );
        m
    };
    let policy = disarm_all();
    let calls = AtomicUsize::new(0);
    let counting = || {
        calls.fetch_add(1, Ordering::Relaxed);
        false
    };
    let full = sanitize_with_budget(&input, &policy, &counting);
    assert_eq!(full.report.verdict, Verdict::Sanitized, "{:?}", full.report);
    assert_eq!(full.report.disarmed.len(), 3);
    let total = calls.load(Ordering::Relaxed);
    assert!(total > 10, "the budget is asked often: {total}");
    for allowed in 0..total {
        let used = AtomicUsize::new(0);
        let budget = || used.fetch_add(1, Ordering::Relaxed) >= allowed;
        let out = sanitize_with_budget(&input, &policy, &budget);
        assert_eq!(
            out.report.verdict,
            Verdict::Quarantined,
            "after {allowed} checks"
        );
        assert!(out.message.is_none());
        assert_eq!(
            out.report.ambiguities.last().map(|a| a.kind),
            Some(AmbiguityKind::TimeLimit),
            "after {allowed} checks"
        );
    }
}

#[test]
fn disarm_off_by_default_keeps_the_single_text_part() {
    let input = fixtures::mail(
        "o",
        &[("a.png", "image/png", fixtures::png_with_metadata())],
    );
    let out = sanitize(&input, &Policy::default());
    assert!(out.report.disarmed.is_empty());
    assert_eq!(out.report.removed[0].reason, RemovalReason::Attachment);
    let json = serde_json::to_string(&out.report).expect("json");
    assert!(
        !json.contains("disarmed") && !json.contains("detail"),
        "report as before: {json}"
    );
}

fn mutate(mut bytes: Vec<u8>, flips: &[(usize, u8)]) -> Vec<u8> {
    for &(at, v) in flips {
        if !bytes.is_empty() {
            let i = at % bytes.len();
            bytes[i] ^= v | 1;
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Messages with any mix of disarmable files, some damaged: the engine never fails, every
    /// file is either disarmed or removed, and a multipart output has the documented shape.
    #[test]
    fn multipart_output_parses_and_is_stable(
        picks in proptest::collection::vec(0usize..5, 1..4),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..3),
        damage in any::<bool>(),
    ) {
        let makers: [fn() -> Vec<u8>; 5] = [
            fixtures::png_with_metadata,
            fixtures::jpeg_with_metadata,
            fixtures::docm,
            fixtures::pdf_active,
            fixtures::pdf_corrupt,
        ];
        let files: Vec<(&str, &str, Vec<u8>)> = picks
            .iter()
            .enumerate()
            .map(|(i, &k)| {
                let bytes = makers[k]();
                let bytes = if damage && i == 0 { mutate(bytes, &flips) } else { bytes };
                ("file.bin", "application/octet-stream", bytes)
            })
            .collect();
        let input = fixtures::mail("prop", &files);
        let policy = disarm_all();
        let out = sanitize(&input, &policy);
        prop_assert_eq!(out.report.verdict, Verdict::Sanitized);
        prop_assert!(!out.report.ambiguities.iter().any(|a| a.kind == AmbiguityKind::InternalError));
        prop_assert_eq!(out.report.removed.len() + out.report.disarmed.len(), files.len());
        let message = out.message.clone().expect("output");
        // No run of 24 bytes of a removed file is in the output, raw or decoded, unless another
        // file of the message (which may have been disarmed) has it too.
        let mut seen: BTreeSet<&[u8]> = message.windows(24).collect();
        let decoded = parse_multipart(&message).ok();
        if let Some(parts) = &decoded {
            for (_, _, bytes) in &parts.files {
                seen.extend(bytes.windows(24));
            }
        }
        for r in &out.report.removed {
            let index: usize = r.part.parse().expect("part index");
            let original = &files[index - 2].2;
            let elsewhere: BTreeSet<&[u8]> = files
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != index - 2)
                .flat_map(|(_, f)| f.2.windows(24))
                .collect();
            prop_assert!(
                !original.windows(24).any(|w| seen.contains(w) && !elsewhere.contains(w)),
                "bytes of removed part {} in the output", r.part
            );
        }
        if out.report.disarmed.is_empty() {
            prop_assert!(message.starts_with(b"From:") && !contains(&message, b"multipart"));
        } else if let Err(e) = check_multipart_output(&message, &out.report, &policy) {
            return Err(TestCaseError::fail(e));
        }
        if !damage {
            prop_assert!(!contains(&message, PAYLOAD));
            let kinds: BTreeSet<_> = out.report.disarmed.iter().map(|d| d.output_type.clone()).collect();
            prop_assert!(!kinds.is_empty() || picks.iter().all(|&k| k == 4));
        }
    }
}
