//! The monitor in a real headless Chromium, on the demonstration organisation: the CISO applies
//! the β model from the segments page (after confirming it replaces the matrix) and allows DNS
//! from the LGWAN-connected segment to one named resolver; the CSIRT finds the open alerts
//! waiting on the home page, opens the LGWAN host's query to 8.8.8.8, reads its Suricata lines,
//! acknowledges it and follows it to the インシデント候補 the monitor raised from it, then raises
//! a scan alert as a candidate by hand.

use std::path::Path;

use fantoccini::{Client, Locator};

use crate::browser::{click, element, text_of, type_into, wait_for_text, walk_in_browser};
use crate::policy_walk::{log_in, log_out};

const DEMO_PASSWORD: &str = "mamori-demo-2026";

async fn walk(client: Client, base: String, _data: &Path) {
    let client = &client;

    // The CISO's office: the β model, then one cell.
    log_in(client, &base, "sato", DEMO_PASSWORD).await;
    client
        .goto(&format!("{base}/segments"))
        .await
        .expect("segments page");
    click(client, "#crossing-link").await;
    element(client, "#crossing-matrix").await;
    let preset = "#crossing-preset";
    element(client, &format!("{preset} select[name='model']"))
        .await
        .select_by_value("beta")
        .await
        .expect("model chosen");
    type_into(
        client,
        &format!("{preset} input[name='gateway']"),
        "10.20.0.25",
    )
    .await;
    click(client, &format!("{preset} input[name='confirm']")).await;
    click(client, &format!("{preset} button[type='submit']")).await;
    let inbound = wait_for_text(
        client,
        "td[data-from='INTERNET'][data-to='LGWAN']",
        "tcp/25@10.20.0.25",
    )
    .await;
    assert!(inbound.contains("指定した通信のみ"), "{inbound}");
    let outbound = text_of(client, "td[data-from='LGWAN'][data-to='*INTERNET']").await;
    assert!(outbound.starts_with("不可"), "{outbound}");

    let cell = "#crossing-cell";
    element(client, &format!("{cell} select[name='from']"))
        .await
        .select_by_value("LGWAN")
        .await
        .expect("from chosen");
    element(client, &format!("{cell} select[name='to']"))
        .await
        .select_by_value("*INTERNET")
        .await
        .expect("to chosen");
    element(client, &format!("{cell} select[name='allow']"))
        .await
        .select_by_value("only")
        .await
        .expect("allow chosen");
    type_into(
        client,
        &format!("{cell} textarea[name='services']"),
        "udp/53@192.0.2.53",
    )
    .await;
    type_into(
        client,
        &format!("{cell} input[name='note']"),
        "名前解決は指定DNSサーバのみ",
    )
    .await;
    click(client, &format!("{cell} button[type='submit']")).await;
    let dns = wait_for_text(
        client,
        "td[data-from='LGWAN'][data-to='*INTERNET']",
        "udp/53@192.0.2.53",
    )
    .await;
    assert!(dns.contains("名前解決は指定DNSサーバのみ"), "{dns}");
    log_out(client).await;

    // The CSIRT: from the home page to the alert, its evidence, and the acknowledgement.
    log_in(client, &base, "tanaka", DEMO_PASSWORD).await;
    wait_for_text(client, "#waiting-alerts", "件").await;
    click(client, "#waiting-alerts a").await;
    element(client, "#alerts").await;
    let rules = text_of(client, "#alert-rules").await;
    for rule in ["許可されていない領域間通信", "走査", "IDSの検知"] {
        assert!(rules.contains(rule), "{rule} missing from {rules}");
    }
    let mut target = None;
    for row in client
        .find_all(Locator::Css("#alerts tbody tr[data-rule='crossing']"))
        .await
        .expect("alert rows")
    {
        if row.text().await.expect("row text").contains("8.8.8.8") {
            target = Some(row);
        }
    }
    let row = target.expect("the LGWAN host's query to 8.8.8.8 is listed");
    row.find(Locator::Css("a"))
        .await
        .expect("link")
        .click()
        .await
        .expect("opened");
    let evidence = text_of(client, "#alert-evidence").await;
    assert!(
        evidence.contains("\"event_type\":\"flow\"") && evidence.contains("8.8.8.8"),
        "{evidence}"
    );
    let src = text_of(client, "#alert-src").await;
    assert!(src.contains("LGWAN"), "{src}");
    element(client, "#alert-src a.asset-link").await;
    type_into(
        client,
        "#alert-acknowledge textarea[name='note']",
        "端末の DNS 設定を確認する",
    )
    .await;
    click(client, "#alert-acknowledge button[type='submit']").await;
    wait_for_text(client, "#alert-state", "対応中").await;
    let steps = text_of(client, "#alert-steps").await;
    assert!(steps.contains("端末の DNS 設定を確認する"), "{steps}");
    assert!(client.find(Locator::Id("alert-acknowledge")).await.is_err());
    element(client, "#alert-close").await;

    // The forbidden crossing was raised as an インシデント候補 on its own; the candidate's row
    // leads back to the alert.
    let link = element(client, "#alert-candidate a").await;
    let href = link.attr("href").await.expect("href").expect("a link");
    let candidate = href
        .strip_prefix("/incident-candidates#candidate-")
        .expect("a candidate's anchor")
        .to_owned();
    assert!(client.find(Locator::Id("alert-raise")).await.is_err());
    click(client, "#alert-candidate a").await;
    let row = format!("#candidate-{candidate}");
    let listed = text_of(client, &row).await;
    assert!(
        listed.contains("監視") && listed.contains("[crossing]") && listed.contains("8.8.8.8"),
        "{listed}"
    );
    click(client, &format!("{row} a[href^='/monitor/alerts/']")).await;
    wait_for_text(client, "#alert-state", "対応中").await;

    // A scan is not raised on its own: the CSIRT raises it by hand.
    client
        .goto(&format!("{base}/monitor/alerts?rule=scan"))
        .await
        .expect("scan alerts");
    click(client, "#alerts tbody tr[data-rule='scan'] a").await;
    assert!(client.find(Locator::Id("alert-candidate")).await.is_err());
    click(client, "#alert-raise button[type='submit']").await;
    let raised = text_of(client, "#alert-candidate").await;
    assert!(raised.starts_with('#'), "{raised}");
    assert!(client.find(Locator::Id("alert-raise")).await.is_err());
    log_out(client).await;
}

#[tokio::test]
async fn browser_the_ciso_sets_the_matrix_and_the_csirt_acknowledges_an_alert() {
    walk_in_browser(
        "browser_the_ciso_sets_the_matrix_and_the_csirt_acknowledges_an_alert",
        &["--demo"],
        |client, at| async move { walk(client, at.base, &at.data).await },
    )
    .await;
}
