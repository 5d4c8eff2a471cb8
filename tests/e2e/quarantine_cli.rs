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

/// An entry received `days_ago` days before now, of `verdict`.
fn write_aged(data: &Path, qid: &str, days_ago: i64, verdict: &str, reason: &str) {
    let received = chrono::Utc::now().timestamp_millis() - days_ago * 86_400_000;
    let dir = data.join("quarantine").join(qid);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("original.eml"), ORIGINAL).unwrap();
    let record = serde_json::json!({
        "quarantine_id": qid, "queue_id": "Q", "from": format!("{qid}@partner.example"),
        "recipients": ["kacho@example.lg.jp"], "received_ms": received, "stored_ms": received,
        "retain_until_ms": received + 30 * 86_400_000_i64, "verdict": verdict,
        "report": {"removed": [{"reason": reason}], "ambiguities": []},
    });
    std::fs::write(dir.join("Q.json"), serde_json::to_vec(&record).unwrap()).unwrap();
}

fn listed(dir: &tempfile::TempDir, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "quarantine",
        "list",
        "--data",
        dir.path().to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = run(&args, "");
    assert!(out.status.success(), "{extra:?}: {}", text(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn quarantine_list_filters_and_pages_and_purge_older_than_goes_by_verdict() {
    let dir = tempfile::tempdir().unwrap();
    write_aged(dir.path(), "q-old-s", 100, "sanitized", "executable");
    write_aged(dir.path(), "q-old-q", 90, "quarantined", "macro");
    write_aged(dir.path(), "q-new-s", 2, "sanitized", "macro");
    write_aged(dir.path(), "q-new-q", 1, "quarantined", "executable");
    assert_eq!(
        listed(&dir, &[]),
        ["q-new-q", "q-new-s", "q-old-q", "q-old-s"]
    );
    assert_eq!(
        listed(&dir, &["--verdict", "quarantined"]),
        ["q-new-q", "q-old-q"]
    );
    assert_eq!(listed(&dir, &["--reason", "macro"]), ["q-new-s", "q-old-q"]);
    assert_eq!(listed(&dir, &["--sender", "OLD-S@"]), ["q-old-s"]);
    // Pages: the first, then the one its last line names.
    let out = run(
        &["quarantine", "list", "--data", &data(&dir), "--limit", "3"],
        "",
    );
    let said = text(&out.stderr);
    let before = said
        .split("--before ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    assert_eq!(
        listed(&dir, &["--limit", "3", "--before", &before]),
        ["q-old-s"]
    );
    assert_eq!(listed(&dir, &["--limit", "1", "--all"]).len(), 4);
    for bad in [
        &["--before", "../x"][..],
        &["--from", "2026-02-30"],
        &["--limit", "0"],
        &["--verdict", "bogus"],
    ] {
        let mut args = vec!["quarantine", "list", "--data", dir.path().to_str().unwrap()];
        args.extend_from_slice(bad);
        assert_eq!(run(&args, "").status.code(), Some(2), "{bad:?}");
    }

    // Older than 30 days, quarantined only; then the rest of the old ones.
    let out = run(
        &[
            "quarantine",
            "purge",
            "--data",
            &data(&dir),
            "--older-than",
            "30",
            "--verdict",
            "quarantined",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("removed q-old-q"));
    assert_eq!(listed(&dir, &[]), ["q-new-q", "q-new-s", "q-old-s"]);
    let out = run(
        &[
            "quarantine",
            "purge",
            "--data",
            &data(&dir),
            "--older-than",
            "30",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(listed(&dir, &[]), ["q-new-q", "q-new-s"]);
    assert!(!dir.path().join("quarantine/q-old-s").exists());
    // --older-than and an id do not go together.
    let out = run(
        &[
            "quarantine",
            "purge",
            "--data",
            &data(&dir),
            "--older-than",
            "1",
            "q-new-q",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn quarantine_reindex_finds_what_the_index_lost() {
    let dir = store();
    assert_eq!(listed(&dir, &[]).len(), 2);
    // An entry that reached the folder and never the index (a crash between them).
    write_aged(dir.path(), "q-late", 0, "sanitized", "executable");
    assert_eq!(listed(&dir, &[]).len(), 2);
    let out = run(&["quarantine", "reindex", "--data", &data(&dir)], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("3"), "{}", text(&out.stdout));
    assert_eq!(listed(&dir, &[])[0], "q-late");
    // The index file removed: made again from the folder.
    std::fs::remove_file(dir.path().join("quarantine/index.sqlite3")).unwrap();
    assert_eq!(listed(&dir, &[]).len(), 3);
}
