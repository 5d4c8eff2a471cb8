//! インシデント候補 in a real headless Chromium: two messages held by the gateway for
//! malware-like content are in the data folder's quarantine; `serve` raises a candidate for each
//! from the quarantine's index; the CSIRT dismisses one with a reason and opens an incident from
//! the other, which says where it came from, then gives it a task, closes it and records what
//! was learned.

use std::path::Path;
use std::time::Duration;

use fantoccini::{Client, Locator};
use mamori_core::release::Direction;
use mamori_gateway::quarantine::{Quarantine, QuarantineRecord};

use crate::browser::{click, element, text_of, type_into, wait_for_text, walk_in_browser};
use crate::policy_walk::{log_in, log_out, user_create};
use crate::support::PASSWORD;

/// Keeps a held message in the quarantine as the gateway's worker does: the original and its
/// record, then the index's row.
fn hold(data: &Path, id: &str, subject: &str, reason: &str) {
    let quarantine = Quarantine::open(data).expect("quarantine");
    let now = chrono::Utc::now().timestamp_millis();
    let record = QuarantineRecord {
        quarantine_id: id.to_owned(),
        queue_id: format!("{id}-queue"),
        from: "attacker@example.com".to_owned(),
        recipients: vec!["tanaka@city.example.lg.jp".to_owned()],
        received_ms: now,
        stored_ms: now,
        retain_until_ms: now + 30 * 86_400_000,
        verdict: "sanitized",
        report: serde_json::json!({"removed": [{"reason": reason}]}),
        direction: Direction::Inbound,
        hold_reason: None,
    };
    let original = format!("From: attacker@example.com\r\nSubject: {subject}\r\n\r\nbody\r\n");
    quarantine
        .store(&record, original.as_bytes(), None)
        .expect("entry stored");
}

async fn walk(client: Client, base: String, data: &Path) {
    let client = &client;
    user_create(
        data,
        &[
            "--username",
            "tanaka",
            "--name",
            "田中 美咲",
            "--role",
            "csirt",
        ],
    )
    .await;
    hold(data, "q-walk-exe", "invoice", "executable");
    hold(data, "q-walk-zip", "quotation", "encrypted-archive");

    // The candidates appear once `serve` has read the index (every few seconds).
    log_in(client, &base, "tanaka", PASSWORD).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        client
            .goto(&format!("{base}/incident-candidates"))
            .await
            .expect("candidates page");
        let found = client
            .find_all(Locator::Css("#candidates tr[data-candidate]"))
            .await
            .map(|rows| rows.len())
            .unwrap_or(0);
        if found == 2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the gateway's candidates never appeared"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let zip = "#candidates tr[data-reference='q-walk-zip']";
    assert!(text_of(client, zip).await.contains("encrypted-archive"));

    // One is dismissed with its reason.
    type_into(
        client,
        &format!("{zip} form.candidate-dismiss input[name='reason']"),
        "取引先の正規の見積書",
    )
    .await;
    click(client, &format!("{zip} form.candidate-dismiss button")).await;
    wait_for_text(client, zip, "取引先の正規の見積書").await;
    assert!(text_of(client, zip).await.contains("見送り"));
    assert!(
        client
            .find(Locator::Css(&format!("{zip} form.candidate-open")))
            .await
            .is_err(),
        "a dismissed candidate is decided"
    );

    // The other becomes an incident, its title taken from the candidate.
    let exe = "#candidates tr[data-reference='q-walk-exe']";
    let title = element(
        client,
        &format!("{exe} form.candidate-open input[name='title']"),
    )
    .await
    .prop("value")
    .await
    .expect("title")
    .unwrap_or_default();
    assert!(
        title.contains("[executable] attacker@example.com: invoice"),
        "{title}"
    );
    click(client, &format!("{exe} form.candidate-open button")).await;
    wait_for_text(client, "#incident-raised-from", "q-walk-exe").await;
    wait_for_text(client, "#incident-title", "invoice").await;

    // A task for the CSIRT member, then closing and the lessons.
    let task = "#incident-task-add";
    type_into(
        client,
        &format!("{task} input[name='title']"),
        "受信者の端末を調べる",
    )
    .await;
    element(client, &format!("{task} select[name='owner']"))
        .await
        .select_by_label("田中 美咲")
        .await
        .expect("owner chosen");
    click(client, &format!("{task} button[type='submit']")).await;
    wait_for_text(client, "#incident-tasks", "受信者の端末を調べる").await;
    assert!(
        text_of(client, "#incident-tasks")
            .await
            .contains("田中 美咲")
    );
    element(client, "#incident-lessons-open").await;
    element(client, "#incident-event select[name='step']")
        .await
        .select_by_value("closed")
        .await
        .expect("step chosen");
    click(client, "#incident-event button[type='submit']").await;
    element(client, "#incident-closed").await;
    type_into(
        client,
        "#incident-lessons-form textarea[name='lessons']",
        "実行ファイルの添付は受信前に止める",
    )
    .await;
    click(client, "#incident-lessons-form button[type='submit']").await;
    wait_for_text(
        client,
        "#incident-lessons-text",
        "実行ファイルの添付は受信前に止める",
    )
    .await;

    // The candidate now names its incident.
    client
        .goto(&format!("{base}/incident-candidates"))
        .await
        .expect("candidates page");
    wait_for_text(client, exe, "invoice").await;
    assert!(text_of(client, exe).await.contains("インシデント化"));
    log_out(client).await;
}

#[tokio::test]
async fn browser_the_csirt_dismisses_one_candidate_and_opens_an_incident_from_another() {
    walk_in_browser(
        "browser_the_csirt_dismisses_one_candidate_and_opens_an_incident_from_another",
        &[],
        |client, at| async move { walk(client, at.base, &at.data).await },
    )
    .await;
}
