//! An incident in a real headless Chromium: a member of staff reports it on the form; the CSIRT
//! finds it waiting on the home page, triages it — severity, category, personal data and the
//! number of people — and sees the 速報 to the 個人情報保護委員会 fall due three days after
//! detection, then records it as made.

use std::path::Path;

use fantoccini::{Client, Locator};

use crate::browser::{click, element, text_of, type_into, wait_for_text, walk_in_browser};
use crate::policy_walk::{log_in, log_out, user_create};
use crate::support::PASSWORD;

async fn walk(client: Client, base: String, data: &Path) {
    let client = &client;
    user_create(data, &["--username", "yamamoto", "--name", "山本 大輔"]).await;
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

    // The member of staff reports.
    log_in(client, &base, "yamamoto", PASSWORD).await;
    client
        .goto(&format!("{base}/incidents"))
        .await
        .expect("incidents page");
    let form = "#incident-report";
    type_into(
        client,
        &format!("{form} input[name='title']"),
        "住民情報を含むメールの誤送信",
    )
    .await;
    type_into(
        client,
        &format!("{form} textarea[name='description']"),
        "受給者一覧を外部に誤送信した",
    )
    .await;
    click(client, &format!("{form} button[type='submit']")).await;
    wait_for_text(client, "#incident-title", "住民情報を含むメールの誤送信").await;
    let reported = text_of(client, "#incident-severity").await;
    assert_eq!(reported, "未判定");
    // Nothing to triage for the reporter.
    assert!(client.find(Locator::Id("incident-triage")).await.is_err());
    log_out(client).await;

    // The CSIRT triages it from the home page.
    log_in(client, &base, "tanaka", PASSWORD).await;
    wait_for_text(client, "#waiting-incidents", "住民情報を含むメールの誤送信").await;
    click(client, "#waiting-incidents a").await;
    element(client, "#notifications-none").await;
    // The incident's reporting chain names the CSIRT, with the 緊急連絡網 a click away.
    let chain = text_of(client, "#incident-chain").await;
    assert!(
        chain.contains("山本 大輔") && chain.contains("田中 美咲"),
        "{chain}"
    );
    let triage = "#incident-triage";
    element(client, &format!("{triage} select[name='severity']"))
        .await
        .select_by_value("medium")
        .await
        .expect("severity chosen");
    element(client, &format!("{triage} select[name='threat']"))
        .await
        .select_by_value("T-ERROR")
        .await
        .expect("category chosen");
    click(client, &format!("{triage} input[name='personal_data']")).await;
    let people = element(client, &format!("{triage} input[name='people']")).await;
    people.clear().await.expect("people cleared");
    people.send_keys("35").await.expect("people typed");
    click(client, &format!("{triage} button[type='submit']")).await;
    wait_for_text(client, "#incident-personal", "35").await;
    let prompt = text_of(client, "#incident-notifications tr[data-rule='PPC-PROMPT']").await;
    assert!(prompt.contains("個人情報保護委員会への速報"), "{prompt}");
    let detected = text_of(client, "#incident-detail").await;
    // Due three days after detection: the same time of day, three days on.
    let detected_day: String = detected
        .split_whitespace()
        .find(|w| w.len() == 10 && w.chars().nth(4) == Some('-'))
        .expect("the detection's date")
        .to_owned();
    let due = chrono::NaiveDate::parse_from_str(&detected_day, "%Y-%m-%d")
        .expect("a date")
        .checked_add_days(chrono::Days::new(3))
        .expect("three days on")
        .to_string();
    assert!(prompt.contains(&due), "{prompt} is not due on {due}");
    element(client, "#incident-event select[name='step']")
        .await
        .select_by_value("notified")
        .await
        .expect("step chosen");
    element(client, "#incident-event select[name='rule']")
        .await
        .select_by_value("PPC-PROMPT")
        .await
        .expect("rule chosen");
    click(client, "#incident-event button[type='submit']").await;
    wait_for_text(client, "#incident-timeline", "PPC-PROMPT").await;
    let prompt = text_of(client, "#incident-notifications tr[data-rule='PPC-PROMPT']").await;
    assert!(
        prompt.matches(':').count() >= 2,
        "no time of notification: {prompt}"
    );
    client
        .goto(&format!("{base}/emergency-contacts"))
        .await
        .expect("emergency contacts");
    wait_for_text(client, "table.emergency-contacts", "田中 美咲").await;
    log_out(client).await;
}

#[tokio::test]
async fn browser_incident_reported_by_staff_and_triaged_by_the_csirt() {
    walk_in_browser(
        "browser_incident_reported_by_staff_and_triaged_by_the_csirt",
        &[],
        |client, at| async move { walk(client, at.base, &at.data).await },
    )
    .await;
}
