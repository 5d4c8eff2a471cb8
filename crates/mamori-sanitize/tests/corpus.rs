//! Data-driven corpus: every `tests/data/NAME.eml` has a `NAME.toml` with the expected report and
//! output text. Also the properties every sanitized output must have.

mod disarm;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use mail_parser::{MessageParser, MimeHeaders, PartType};
use std::sync::Arc;

use mamori_sanitize::{
    Action, EnginePool, Outcome, Policy, Verdict, sanitize, sanitize_with_budget,
};
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    description: String,
    verdict: String,
    #[serde(default)]
    policy: Option<toml::Value>,
    /// Exact set of actions (kebab-case).
    #[serde(default)]
    actions: Option<Vec<String>>,
    /// Exact multiset of ambiguity kinds.
    #[serde(default)]
    ambiguities: Vec<String>,
    #[serde(default)]
    removed: Vec<BTreeMap<String, toml::Value>>,
    /// One table per disarmed file, in order; only the keys given are compared.
    #[serde(default)]
    disarmed: Vec<BTreeMap<String, toml::Value>>,
    /// The budget answers "exhausted" after this many questions.
    #[serde(default)]
    budget_exhausted_after: Option<usize>,
    /// Exact body of the output.
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    body_contains: Vec<String>,
    #[serde(default)]
    body_not_contains: Vec<String>,
    /// Decoded header values of the output (`subject`, `from`, `to`, `cc`, `message-id`, ...).
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// Header names that must not be in the output.
    #[serde(default)]
    headers_absent: Vec<String>,
}

fn policy_for(case: &Case) -> Policy {
    match &case.policy {
        Some(v) => v.clone().try_into().expect("policy in case"),
        None => Policy::default(),
    }
}

fn kebab<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .expect("serialises")
        .as_str()
        .expect("unit variant")
        .to_string()
}

const ALLOWED_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "date",
    "subject",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "x-mamori-sanitized",
];

/// Properties of every sanitized output: one text/plain part in UTF-8, only the allowed header
/// fields, and sanitizing it again changes nothing but the header. Returns the body text.
fn check_output(message: &[u8], policy: &Policy) -> Result<String, String> {
    let parsed = MessageParser::new()
        .parse(message)
        .ok_or("output does not parse")?;
    if parsed.parts.len() != 1 {
        return Err(format!("output has {} parts", parsed.parts.len()));
    }
    let part = &parsed.parts[0];
    let ct = part.content_type().ok_or("no content type")?;
    if ct.ctype() != "text" || ct.subtype() != Some("plain") {
        return Err("output is not text/plain".into());
    }
    if !ct
        .attribute("charset")
        .is_some_and(|c| c.eq_ignore_ascii_case("utf-8"))
    {
        return Err("output is not UTF-8".into());
    }
    for (name, _) in parsed.headers_raw() {
        if !ALLOWED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(format!("unexpected header {name}"));
        }
    }
    if !message.is_ascii() {
        return Err("output is not 7-bit".into());
    }
    let PartType::Text(body) = &part.body else {
        return Err("output body is not text".into());
    };
    let body = body.replace("\r\n", "\n");
    let again = sanitize(message, policy);
    if again.report.verdict != Verdict::Sanitized {
        return Err("sanitizing the output again quarantined it".into());
    }
    let again_msg = again.message.ok_or("no second output")?;
    let strip = |m: &[u8]| -> Vec<u8> {
        let s = String::from_utf8_lossy(m).into_owned();
        s.lines()
            .filter(|l| !l.starts_with("X-Mamori-Sanitized:"))
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes()
    };
    if strip(message) != strip(&again_msg) {
        return Err(format!(
            "second pass changed more than the header:\n{}\n---\n{}",
            String::from_utf8_lossy(message),
            String::from_utf8_lossy(&again_msg)
        ));
    }
    Ok(body)
}

fn header_value(message: &[u8], name: &str) -> Option<String> {
    let m = MessageParser::new().parse(message)?;
    let addr = |a: Option<&mail_parser::Address<'_>>| {
        a.map(|a| {
            a.iter()
                .map(|x| match (&x.name, &x.address) {
                    (Some(n), Some(e)) => format!("{n} <{e}>"),
                    (None, Some(e)) => format!("<{e}>"),
                    _ => String::new(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    match name {
        "subject" => m.subject().map(str::to_string),
        "from" => addr(m.from()),
        "to" => addr(m.to()),
        "cc" => addr(m.cc()),
        "date" => m.date().map(|d| d.to_rfc3339()),
        "message-id" => m.message_id().map(str::to_string),
        "x-mamori-sanitized" => m
            .header_raw("X-Mamori-Sanitized")
            .map(|s| s.trim().to_string()),
        other => m
            .header_raw(other)
            .map(|s| s.replace("\r\n", "").trim().to_string()),
    }
}

/// Compares reported parts with the expected tables, key by key.
fn compare_parts<T: serde::Serialize>(
    what: &str,
    got: &[T],
    want: &[BTreeMap<String, toml::Value>],
    errors: &mut Vec<String>,
) {
    if got.len() != want.len() {
        errors.push(format!(
            "{} {what} parts, expected {}",
            got.len(),
            want.len()
        ));
        return;
    }
    for (i, (got, want)) in got.iter().zip(want).enumerate() {
        let got = serde_json::to_value(got).expect("serialises");
        for (k, v) in want {
            let g = &got[k.as_str()];
            let matches = match v {
                toml::Value::String(s) => g.as_str() == Some(s.as_str()),
                toml::Value::Integer(n) => g.as_i64() == Some(*n),
                other => serde_json::to_value(other).ok().as_ref() == Some(g),
            };
            if !matches {
                errors.push(format!("{what}[{i}].{k} = {g}, expected {v}"));
            }
        }
    }
}

fn run_case(dir: &Path, name: &str) -> Result<(), String> {
    let input = fs::read(dir.join(format!("{name}.eml"))).map_err(|e| e.to_string())?;
    let spec = fs::read_to_string(dir.join(format!("{name}.toml"))).map_err(|e| e.to_string())?;
    let case: Case = toml::from_str(&spec).map_err(|e| format!("bad case file: {e}"))?;
    let _ = &case.description;
    let policy = policy_for(&case);
    let Outcome { report, message } = match case.budget_exhausted_after {
        None => sanitize(&input, &policy),
        Some(n) => {
            let asked = AtomicUsize::new(0);
            sanitize_with_budget(&input, &policy, &|| {
                asked.fetch_add(1, Ordering::Relaxed) >= n
            })
        }
    };
    let mut errors = Vec::new();
    let json = serde_json::to_string_pretty(&report).expect("report serialises");

    if kebab(&report.verdict) != case.verdict {
        errors.push(format!(
            "verdict {:?}, expected {}",
            report.verdict, case.verdict
        ));
    }
    if let Some(actions) = &case.actions {
        let mut got: Vec<String> = report.actions.iter().map(kebab).collect();
        let mut want = actions.clone();
        got.sort();
        want.sort();
        if got != want {
            errors.push(format!("actions {got:?}, expected {want:?}"));
        }
    }
    let mut got: Vec<String> = report.ambiguities.iter().map(|a| kebab(&a.kind)).collect();
    let mut want = case.ambiguities.clone();
    got.sort();
    want.sort();
    if got != want {
        errors.push(format!("ambiguities {got:?}, expected {want:?}"));
    }
    // A tolerated oddity is named among the actions, and a message read in full (not text only)
    // has no structural ambiguity left that was not tolerated.
    let tolerated = report.ambiguities.iter().any(|a| a.tolerated);
    if tolerated != report.actions.contains(&Action::OdditiesTolerated) {
        errors.push("tolerated oddities and the oddities-tolerated action disagree".into());
    }
    if report.verdict == Verdict::Sanitized
        && !report.actions.contains(&Action::AmbiguousTextOnly)
        && report.ambiguities.iter().any(|a| a.is_structural())
    {
        errors.push("sanitized in full with a structural ambiguity not tolerated".into());
    }
    if report
        .ambiguities
        .iter()
        .any(|a| a.tolerated && !a.kind.is_structural())
    {
        errors.push("a non-structural ambiguity marked tolerated".into());
    }
    compare_parts("removed", &report.removed, &case.removed, &mut errors);
    compare_parts("disarmed", &report.disarmed, &case.disarmed, &mut errors);
    match (&message, report.verdict) {
        (Some(_), Verdict::Quarantined) => errors.push("quarantined but output written".into()),
        (None, Verdict::Sanitized) => errors.push("sanitized but no output".into()),
        _ => {}
    }
    if let Some(message) = &message {
        let checked = if report.disarmed.is_empty() {
            check_output(message, &policy)
        } else {
            disarm::check_multipart_output(message, &report, &policy).map(|p| p.text)
        };
        match checked {
            Err(e) => errors.push(e),
            Ok(body) => {
                if let Some(want) = &case.body
                    && body != *want
                {
                    errors.push(format!(
                        "body differs:\n--- got ---\n{body}\n--- expected ---\n{want}"
                    ));
                }
                for s in &case.body_contains {
                    if !body.contains(s.as_str()) {
                        errors.push(format!("body lacks {s:?}:\n{body}"));
                    }
                }
                for s in &case.body_not_contains {
                    if body.contains(s.as_str()) {
                        errors.push(format!("body contains {s:?}:\n{body}"));
                    }
                }
            }
        }
        for (k, want) in &case.headers {
            let got = header_value(message, k);
            if got.as_deref() != Some(want.as_str()) {
                errors.push(format!("header {k} = {got:?}, expected {want:?}"));
            }
        }
        for k in &case.headers_absent {
            if header_value(message, k).is_some() {
                errors.push(format!("header {k} present"));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\nreport: {json}", errors.join("\n")))
    }
}

#[test]
fn corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .expect("tests/data")
        .filter_map(|e| {
            let p = e.ok()?.path();
            if p.extension()? != "toml" {
                return None;
            }
            Some(p.file_stem()?.to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    assert!(names.len() >= 60, "only {} corpus cases", names.len());
    let only = std::env::var("CORPUS_CASE").ok();
    let mut failures = Vec::new();
    for name in &names {
        if only.as_ref().is_some_and(|o| o != name) {
            continue;
        }
        if let Err(e) = run_case(&dir, name) {
            failures.push(format!("=== {name} ===\n{e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n\n")
    );
}

/// The gateway's path, a long-lived engine thread, gives every case the outcome of the fenced call.
#[test]
fn every_case_comes_out_of_the_pool_as_from_the_fenced_call() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut pools: Vec<(String, EnginePool)> = Vec::new();
    let mut compared = 0;
    for entry in fs::read_dir(&dir).expect("tests/data") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let case: Case = toml::from_str(&fs::read_to_string(&path).expect("case")).expect("case");
        if case.budget_exhausted_after.is_some() {
            continue;
        }
        let input = fs::read(path.with_extension("eml")).expect("eml");
        let policy = policy_for(&case);
        let key = serde_json::to_string(&case.policy).expect("policy");
        let pool = match pools.iter().position(|(k, _)| *k == key) {
            Some(i) => &pools[i].1,
            None => {
                let pool = EnginePool::new(Arc::new(policy.clone()), 1).expect("pool");
                pools.push((key, pool));
                &pools[pools.len() - 1].1
            }
        };
        let fenced = sanitize(&input, &policy);
        let pooled = pool.sanitize(Arc::new(input));
        assert_eq!(
            serde_json::to_value(&pooled.report).expect("report"),
            serde_json::to_value(&fenced.report).expect("report"),
            "{}",
            path.display()
        );
        assert_eq!(pooled.message, fenced.message, "{}", path.display());
        compared += 1;
    }
    assert!(compared >= 60, "only {compared} cases compared");
}

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 .,:/<>=?-]{0,40}",
        "[あ-んア-ン一-龥①-⑳ｱ-ﾝ \n]{0,40}",
        "(https?://[a-z]{1,8}\\.[a-z]{2,3}/[a-z]{0,5} ){0,3}",
        any::<String>(),
    ]
}

fn arb_message() -> impl Strategy<Value = Vec<u8>> {
    (
        arb_text(),
        arb_text(),
        arb_text(),
        prop_oneof![Just("utf-8"), Just("iso-2022-jp"), Just("shift_jis"), Just("euc-jp"), Just("us-ascii")],
        prop_oneof![Just("plain"), Just("html"), Just("alternative"), Just("mixed"), Just("forwarded")],
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(subject, text, html, cs, shape, attachment)| {
            let enc = encoding_rs::Encoding::for_label(cs.as_bytes()).unwrap_or(encoding_rs::UTF_8);
            let body = enc.encode(&text).0.into_owned();
            let mut m = format!(
                "From: =?UTF-8?B?{}?= <a@example.jp>\r\nTo: b@example.jp\r\nSubject: {}\r\nMIME-Version: 1.0\r\n",
                b64(subject.as_bytes()),
                subject.replace(['\r', '\n'], " ")
            )
            .into_bytes();
            let plain = |m: &mut Vec<u8>| {
                m.extend_from_slice(
                    format!("Content-Type: text/plain; charset={cs}\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n", b64(&body))
                        .as_bytes(),
                );
            };
            let html_part = |m: &mut Vec<u8>| {
                m.extend_from_slice(
                    format!("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n", b64(format!("<p>{html}</p><a href=\"https://x.example/{text}\">{text}</a>").as_bytes()))
                        .as_bytes(),
                );
            };
            match shape {
                "plain" => plain(&mut m),
                "html" => html_part(&mut m),
                "forwarded" => {
                    m.extend_from_slice(b"Content-Type: multipart/mixed; boundary=\"=_f\"\r\n\r\n--=_f\r\n");
                    plain(&mut m);
                    m.extend_from_slice(b"--=_f\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@example.jp\r\nSubject: inner\r\nMIME-Version: 1.0\r\n");
                    html_part(&mut m);
                    m.extend_from_slice(b"--=_f--\r\n");
                }
                _ => {
                    let sub = if shape == "alternative" { "alternative" } else { "mixed" };
                    m.extend_from_slice(format!("Content-Type: multipart/{sub}; boundary=\"=_b\"\r\n\r\n--=_b\r\n").as_bytes());
                    plain(&mut m);
                    m.extend_from_slice(b"--=_b\r\n");
                    if shape == "alternative" {
                        html_part(&mut m);
                    } else {
                        m.extend_from_slice(
                            format!("Content-Type: application/octet-stream; name=\"a.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n", b64(&attachment)).as_bytes(),
                        );
                    }
                    m.extend_from_slice(b"--=_b--\r\n");
                }
            }
            m
        })
}

fn b64(b: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in b.chunks(3) {
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn output_is_one_text_part_and_stable(msg in arb_message()) {
        let policy = Policy::default();
        let out = sanitize(&msg, &policy);
        if let Some(message) = out.message {
            prop_assert_eq!(out.report.verdict, Verdict::Sanitized);
            if let Err(e) = check_output(&message, &policy) {
                return Err(TestCaseError::fail(e));
            }
        } else {
            prop_assert_eq!(out.report.verdict, Verdict::Quarantined);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_or_leak(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let policy = Policy::default();
        let out = sanitize(&bytes, &policy);
        prop_assert!(!out.report.ambiguities.iter().any(|a| a.kind == mamori_sanitize::AmbiguityKind::InternalError));
        if let Some(message) = out.message
            && let Err(e) = check_output(&message, &policy)
        {
            return Err(TestCaseError::fail(e));
        }
    }
}
