//! `mamori quarantine list|show|purge` against a quarantine folder laid out as the gateway writes it.

use std::path::Path;

use crate::support::{run, text};

const ORIGINAL: &[u8] =
    b"From: a@example.com\r\nSubject: x\r\n\r\nRAW-ORIGINAL-MARKER \x1b[31m\r\n";

fn write_entry(data: &Path, qid: &str, queue: &str, retain_until_ms: i64) {
    let dir = data.join("quarantine").join(qid);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("original.eml"), ORIGINAL).unwrap();
    let record = serde_json::json!({
        "quarantine_id": qid,
        "queue_id": queue,
        "from": "sender@example.com",
        "recipients": ["kacho@example.lg.jp"],
        // 2026-11-25 15:00:00 UTC, 2026-11-26 00:00 in JST.
        "received_ms": 1_795_618_800_000_i64,
        "stored_ms": 1_795_618_800_500_i64,
        "retain_until_ms": retain_until_ms,
        "verdict": "sanitized",
        "report": {"removed": [{"reason": "executable"}], "ambiguities": []},
    });
    std::fs::write(
        dir.join(format!("{queue}.json")),
        serde_json::to_vec(&record).unwrap(),
    )
    .unwrap();
}

fn store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_entry(dir.path(), "q-expired", "Q1", 1_000);
    write_entry(dir.path(), "q-kept", "Q2", i64::MAX / 2);
    dir
}

fn data(dir: &tempfile::TempDir) -> String {
    dir.path().to_str().unwrap().to_owned()
}

#[test]
fn quarantine_list_shows_each_entry_in_jst_and_as_json() {
    let dir = store();
    let out = run(&["quarantine", "list", "--data", &data(&dir)], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("q-expired") && table.contains("q-kept"),
        "{table}"
    );
    assert!(table.contains("2026-11-26 00:00:00 JST"), "{table}");
    assert!(
        table.contains("executable") && table.contains("kacho@example.lg.jp"),
        "{table}"
    );

    let out = run(&["quarantine", "list", "--data", &data(&dir), "--json"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["size"], ORIGINAL.len());
    assert_eq!(list[0]["from"], "sender@example.com");
}

#[test]
fn quarantine_show_prints_the_report_but_the_raw_original_only_to_a_file() {
    let dir = store();
    let out = run(&["quarantine", "show", "--data", &data(&dir), "q-kept"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("executable") && shown.contains("Q2"),
        "{shown}"
    );
    assert!(!shown.contains("RAW-ORIGINAL-MARKER"), "{shown}");

    // --raw without a file is refused.
    let out = run(
        &[
            "quarantine",
            "show",
            "--data",
            &data(&dir),
            "q-kept",
            "--raw",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stdout).contains("RAW-ORIGINAL-MARKER"));

    let file = dir.path().join("original-copy.eml");
    let file_arg = file.to_str().unwrap();
    let args = [
        "quarantine",
        "show",
        "--data",
        &data(&dir),
        "q-kept",
        "--raw",
        "-o",
        file_arg,
    ];
    let out = run(&args, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("RAW-ORIGINAL-MARKER"));
    assert_eq!(std::fs::read(&file).unwrap(), ORIGINAL);
    // An existing file is never overwritten.
    let out = run(&args, "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn quarantine_purge_removes_expired_entries_or_one_by_id() {
    let dir = store();
    let out = run(
        &["quarantine", "purge", "--data", &data(&dir), "--expired"],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("removed q-expired") && !said.contains("q-kept"),
        "{said}"
    );
    assert!(!dir.path().join("quarantine/q-expired").exists());
    assert!(dir.path().join("quarantine/q-kept/original.eml").exists());

    let out = run(
        &["quarantine", "purge", "--data", &data(&dir), "q-kept"],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("removed q-kept"));
    assert!(!dir.path().join("quarantine/q-kept").exists());

    let out = run(
        &["quarantine", "purge", "--data", &data(&dir), "q-kept"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not found"),
        "{}",
        text(&out.stderr)
    );

    // Neither --expired nor an id: nothing is guessed.
    let out = run(&["quarantine", "purge", "--data", &data(&dir)], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn quarantine_ids_with_paths_nul_or_overlong_are_refused_with_exit_2() {
    let dir = store();
    // A file outside the quarantine that a traversal would reach.
    std::fs::write(dir.path().join("victim.json"), b"{}").unwrap();
    let long = "a".repeat(300);
    for hostile in [
        "../victim",
        "../../etc",
        "/etc",
        "q-kept/../q-expired",
        "..",
        long.as_str(),
        "q kept",
    ] {
        for cmd in ["show", "purge"] {
            let out = run(&["quarantine", cmd, "--data", &data(&dir), hostile], "");
            assert_eq!(out.status.code(), Some(2), "{cmd} {hostile:?}");
            let err = text(&out.stderr);
            assert!(
                err.contains("invalid quarantine id"),
                "{cmd} {hostile:?}: {err}"
            );
        }
    }
    // A NUL cannot travel in argv, so the library check is what guards it; the rest is intact.
    assert!(dir.path().join("victim.json").exists());
    assert!(dir.path().join("quarantine/q-kept/original.eml").exists());
    assert!(
        dir.path()
            .join("quarantine/q-expired/original.eml")
            .exists()
    );
}

#[test]
fn quarantine_corrupted_metadata_is_a_clear_error_not_a_panic() {
    let dir = store();
    std::fs::write(
        dir.path().join("quarantine/q-kept/Q2.json"),
        b"{\"queue_id\": [",
    )
    .unwrap();
    let out = run(&["quarantine", "show", "--data", &data(&dir), "q-kept"], "");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("Q2.json") && err.contains("damaged"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let out = run(&["quarantine", "list", "--data", &data(&dir)], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("q-expired"));
    assert!(text(&out.stderr).contains("Q2.json"));

    // Purging by expiry leaves the unreadable entry alone and says so.
    let out = run(
        &["quarantine", "purge", "--data", &data(&dir), "--expired"],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("left in place"));
    assert!(dir.path().join("quarantine/q-kept/original.eml").exists());

    let out = run(
        &[
            "quarantine",
            "list",
            "--data",
            &dir.path().join("nowhere").to_string_lossy(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no quarantine folder"));
}
