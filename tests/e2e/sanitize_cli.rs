//! `mamori sanitize`: the binary run on real files, standard streams and config files.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn sanitize_cmd(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .arg("sanitize")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mamori starts");
    // A command refused before it reads its input may be gone already: a closed pipe is fine.
    if let Err(e) = child.stdin.take().expect("stdin").write_all(stdin) {
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe,
            "stdin written: {e}"
        );
    }
    child.wait_with_output().expect("mamori finishes")
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

fn message_with_pdf() -> Vec<u8> {
    let b64 = "JVBERi0xLjQKMSAwIG9iajw8Pj5lbmRvYmoKdHJhaWxlcjw8Pj4KJSVFT0YK";
    format!(
        "From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: =?UTF-8?B?6LOH5paZ?=\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n資料を送ります。 https://example.com/x\r\n\
         --b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--b--\r\n"
    )
    .into_bytes()
}

const DUPLICATE_BOUNDARY: &[u8] = b"From: a@example.jp\r\nSubject: x\r\n\
    Content-Type: multipart/mixed; boundary=\"x\"; boundary=\"y\"\r\n\r\n\
    --x\r\nContent-Type: text/plain\r\n\r\nvisible\r\n--x--\r\n";

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).expect("report written")).expect("report is JSON")
}

#[test]
fn sanitize_file_writes_output_report_and_quarantined_original() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.eml");
    let out = dir.path().join("out.eml");
    let report = dir.path().join("report.json");
    let quarantine = dir.path().join("q");
    fs::write(&input, message_with_pdf()).expect("input");
    let o = sanitize_cmd(
        &[
            input.to_str().expect("utf-8"),
            "-o",
            out.to_str().expect("utf-8"),
            "--report",
            report.to_str().expect("utf-8"),
            "--quarantine",
            quarantine.to_str().expect("utf-8"),
        ],
        b"",
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stdout.is_empty(), "output went to the file, not stdout");

    let written = String::from_utf8(fs::read(&out).expect("output written")).expect("7-bit");
    assert!(written.contains("Content-Type: text/plain; charset=UTF-8\r\n"));
    assert!(
        written.contains(
            "X-Mamori-Sanitized: text-converted; attachments-removed; links-defanged\r\n"
        )
    );
    assert!(
        !written.contains("application/pdf\r\n\r\n"),
        "no part survives"
    );

    let r = json(&report);
    assert_eq!(r["verdict"], "sanitized");
    let qid = r["quarantine_id"].as_str().expect("id");
    assert_eq!(r["removed"][0]["file_name"], "a.pdf");
    assert_eq!(r["removed"][0]["detected_type"], "application/pdf");
    assert_eq!(r["removed"][0]["size"], PDF.len());
    assert!(
        r["removed"][0]["quarantine_id"]
            .as_str()
            .expect("part id")
            .starts_with(qid)
    );
    let kept = fs::read(quarantine.join(format!("{qid}.eml"))).expect("original kept");
    assert_eq!(kept, message_with_pdf());
}

#[test]
fn sanitize_reads_stdin_and_writes_stdout() {
    let o = sanitize_cmd(&[], &message_with_pdf());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8(o.stdout).expect("7-bit");
    assert!(out.starts_with(
        "From: <a@example.jp>\r\nTo: <b@example.lg.jp>\r\nSubject: =?UTF-8?B?6LOH5paZ?=\r\n"
    ));
    assert!(out.contains("\r\n\r\n"));
}

#[test]
fn ambiguous_message_is_quarantined_with_exit_3_and_no_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.eml");
    let report = dir.path().join("r.json");
    let quarantine = dir.path().join("q");
    let o = sanitize_cmd(
        &[
            "-o",
            out.to_str().expect("utf-8"),
            "--report",
            report.to_str().expect("utf-8"),
            "--quarantine",
            quarantine.to_str().expect("utf-8"),
        ],
        DUPLICATE_BOUNDARY,
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(!out.exists(), "no output for a quarantined message");
    assert!(o.stdout.is_empty());
    let r = json(&report);
    assert_eq!(r["verdict"], "quarantined");
    assert_eq!(r["ambiguities"][0]["kind"], "duplicate-boundary");
    let qid = r["quarantine_id"].as_str().expect("id");
    assert_eq!(
        fs::read(quarantine.join(format!("{qid}.eml"))).expect("original kept"),
        DUPLICATE_BOUNDARY
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains(qid));
}

#[test]
fn config_file_changes_policy_in_its_sanitize_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("mamori.toml");
    fs::write(
        &config,
        "[server]\nlisten = \"127.0.0.1:0\"\n\n[sanitize]\non_ambiguity = \"extract-text\"\nquarantine_id_prefix = \"gw1-\"\n",
    )
    .expect("config");
    let report = dir.path().join("r.json");
    let o = sanitize_cmd(
        &[
            "--config",
            config.to_str().expect("utf-8"),
            "--report",
            report.to_str().expect("utf-8"),
        ],
        DUPLICATE_BOUNDARY,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r = json(&report);
    assert!(r["quarantine_id"].as_str().expect("id").starts_with("gw1-"));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ambiguous-text-only"));
}

#[test]
fn config_limits_apply_to_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("policy.toml");
    fs::write(&config, "[limits]\nmax_message_bytes = 100\n").expect("config");
    let quarantine = dir.path().join("q");
    let report = dir.path().join("r.json");
    let o = sanitize_cmd(
        &[
            "--config",
            config.to_str().expect("utf-8"),
            "--quarantine",
            quarantine.to_str().expect("utf-8"),
            "--report",
            report.to_str().expect("utf-8"),
        ],
        &message_with_pdf(),
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(o.stdout.is_empty());
    let r = json(&report);
    assert_eq!(r["ambiguities"][0]["kind"], "limit-exceeded");
    let qid = r["quarantine_id"].as_str().expect("id");
    assert_eq!(
        fs::read(quarantine.join(format!("{qid}.eml"))).expect("original kept"),
        message_with_pdf(),
        "an over-size original is kept entire"
    );
}

#[test]
fn usage_config_and_io_errors_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.eml");
    let o = sanitize_cmd(&[missing.to_str().expect("utf-8")], b"");
    assert_eq!(o.status.code(), Some(2));

    let o = sanitize_cmd(&["--no-such-flag"], b"");
    assert_eq!(o.status.code(), Some(2));

    let bad = dir.path().join("bad.toml");
    fs::write(&bad, "[limits]\nmax_depth = \"deep\"\n").expect("config");
    let o = sanitize_cmd(
        &["--config", bad.to_str().expect("utf-8")],
        &message_with_pdf(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());

    let unsafe_prefix = dir.path().join("prefix.toml");
    fs::write(&unsafe_prefix, "quarantine_id_prefix = \"../x\"\n").expect("config");
    let o = sanitize_cmd(
        &["--config", unsafe_prefix.to_str().expect("utf-8")],
        &message_with_pdf(),
    );
    assert_eq!(o.status.code(), Some(2));
}

fn corpus_input(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/mamori-sanitize/tests/data")
        .join(name);
    fs::read(path).expect("corpus input")
}

#[test]
fn disarm_policy_attaches_a_rebuilt_docx_after_the_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("mamori.toml");
    fs::write(&config, "[sanitize.disarm]\nooxml = \"disarm\"\n").expect("config");
    let report = dir.path().join("r.json");
    let o = sanitize_cmd(
        &[
            "--config",
            config.to_str().expect("utf-8"),
            "--report",
            report.to_str().expect("utf-8"),
        ],
        &corpus_input("disarm_docm_macros.eml"),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8(o.stdout).expect("7-bit");
    assert!(out.contains("Content-Type: multipart/mixed; boundary=\"=_mamori_"));
    assert!(out.contains("X-Mamori-Sanitized: text-converted; files-disarmed\r\n"));
    let text_at = out.find("Content-Type: text/plain").expect("text part");
    let file_at = out
        .find("Content-Disposition: attachment; filename=\"attachment-1.docx\"")
        .expect("file part");
    assert!(text_at < file_at, "the text comes first");
    let r = json(&report);
    assert_eq!(r["disarmed"][0]["file_name"], "report.docm");
    assert_eq!(r["disarmed"][0]["output_name"], "attachment-1.docx");
    assert_eq!(
        r["disarmed"][0]["removed_content"][0],
        "vbaProject.bin (macros)"
    );
}

#[test]
fn bad_disarm_config_is_named_in_the_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (text, named) in [
        (
            "[sanitize.disarm]\npdf = \"strip\"\n",
            "unknown variant `strip`",
        ),
        (
            "[sanitize.disarm]\nexe = \"disarm\"\n",
            "unknown field `exe`",
        ),
        (
            "[sanitize.disarm]\nmax_image_pixels = 0\n",
            "disarm.max_image_pixels",
        ),
        (
            "[sanitize.limits]\ntime_limit_seconds = 0\n",
            "limits.time_limit_seconds",
        ),
    ] {
        let config = dir.path().join("bad.toml");
        fs::write(&config, text).expect("config");
        let o = sanitize_cmd(
            &["--config", config.to_str().expect("utf-8")],
            &message_with_pdf(),
        );
        assert_eq!(o.status.code(), Some(2), "{text}");
        assert!(o.stdout.is_empty());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(named), "{text}: {err}");
    }
}

#[test]
fn time_limit_must_be_at_least_one_second() {
    let o = sanitize_cmd(&["--time-limit", "0"], &message_with_pdf());
    assert_eq!(o.status.code(), Some(2));
    let o = sanitize_cmd(&["--time-limit", "5"], &message_with_pdf());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A multipart whose closing delimiter is missing at the end of the message: a formatting oddity
/// that mail-parser reads the same way.
const UNTERMINATED: &[u8] = b"From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: x\r\n\
    MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"u\"\r\n\r\n\
    --u\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\xe6\x9c\xac\xe6\x96\x87\r\n\
    --u\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsecond part\r\n";

#[test]
fn oddities_are_tolerated_by_default_and_quarantined_with_strict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("r.json");
    let r = report.to_str().expect("utf-8");

    let o = sanitize_cmd(&["--report", r], UNTERMINATED);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8(o.stdout).expect("7-bit output");
    assert!(out.contains("oddities-tolerated"), "{out}");
    let j = json(&report);
    assert_eq!(j["verdict"], "sanitized");
    assert_eq!(j["ambiguities"][0]["kind"], "unterminated-multipart");
    assert_eq!(j["ambiguities"][0]["tolerated"], true);

    let o = sanitize_cmd(&["--strict", "--report", r], UNTERMINATED);
    assert_eq!(o.status.code(), Some(3));
    assert!(o.stdout.is_empty());
    let j = json(&report);
    assert_eq!(j["verdict"], "quarantined");
    assert_eq!(j["ambiguities"][0]["kind"], "unterminated-multipart");
    assert!(j["ambiguities"][0].get("tolerated").is_none());

    // The same from the configuration file's [sanitize] table, as the gateway reads it.
    let config = dir.path().join("mamori.toml");
    fs::write(&config, "[sanitize]\non_oddity = \"strict\"\n").expect("config");
    let o = sanitize_cmd(
        &["--config", config.to_str().expect("utf-8"), "--report", r],
        UNTERMINATED,
    );
    assert_eq!(o.status.code(), Some(3));
    fs::write(&config, "[sanitize]\non_oddity = \"sometimes\"\n").expect("config");
    let o = sanitize_cmd(&["--config", config.to_str().expect("utf-8")], UNTERMINATED);
    assert_eq!(o.status.code(), Some(2), "an unknown value is refused");
}
