//! 外部サービス and SNSアカウント in a real headless Chromium, on the demonstration organisation:
//! the CISO registers a cloud service taking 機密性1 only, places a 機密性3 asset in it and sees
//! the placement flagged there and on the asset's page; then registers a social-media account
//! without two-factor authentication, sees it flagged, and records a review.

use std::path::Path;

use fantoccini::{Client, Locator};

use crate::browser::{click, element, text_of, type_into, wait_for_text, walk_in_browser};
use crate::policy_walk::{log_in, log_out};

const DEMO_PASSWORD: &str = "mamori-demo-2026";

async fn walk(client: Client, base: String, _data: &Path) {
    let client = &client;
    log_in(client, &base, "sato", DEMO_PASSWORD).await;

    // A cloud service that takes 機密性1 only.
    click(client, "#nav-cloud").await;
    let form = "#cloud-create";
    type_into(
        client,
        &format!("{form} input[name='provider']"),
        "検証クラウド株式会社",
    )
    .await;
    type_into(
        client,
        &format!("{form} input[name='name']"),
        "試験用ストレージ",
    )
    .await;
    click(client, &format!("{form} input[name='class-1']")).await;
    type_into(
        client,
        &format!("{form} textarea[name='rules']"),
        "公開情報に限る。",
    )
    .await;
    element(client, &format!("{form} select[name='unit']"))
        .await
        .select_by_label("情報政策課")
        .await
        .expect("unit chosen");
    click(client, &format!("{form} button[type='submit']")).await;
    wait_for_text(client, "#cloud-title", "試験用ストレージ").await;
    element(client, "#placed-none").await;
    let service_page = client.current_url().await.expect("service URL");

    // A 機密性3 asset of the register, placed against the service's levels.
    client
        .goto(&format!("{base}/assets?confidentiality=3&lifecycle=in_use"))
        .await
        .expect("assets page");
    let href = element(client, "table a[href^='/assets/']")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("an asset link");
    let asset_id = href.trim_start_matches("/assets/").to_owned();
    client
        .goto(service_page.as_str())
        .await
        .expect("service page");
    type_into(client, "#cloud-place input[name='asset']", &asset_id).await;
    click(client, "#cloud-place button[type='submit']").await;
    let flag = wait_for_text(
        client,
        "#cloud-placed .placement-flag",
        "この外部サービスでは許可されない分類",
    )
    .await;
    assert!(flag.contains("機密性3"), "{flag}");
    // The register shows it too, and so does the asset's own page.
    click(client, "#nav-cloud").await;
    element(client, "#cloud-services").await;
    let mut flagged = Vec::new();
    for row in client
        .find_all(Locator::Css("#cloud-services tr.overdue"))
        .await
        .expect("flagged rows")
    {
        flagged.push(row.text().await.expect("row text"));
    }
    assert!(
        flagged.iter().any(|r| r.contains("試験用ストレージ")),
        "{flagged:?}"
    );
    client
        .goto(&format!("{base}{href}"))
        .await
        .expect("asset page");
    let placed = wait_for_text(client, "#asset-cloud", "試験用ストレージ").await;
    assert!(
        placed.contains("この外部サービスでは許可されない分類"),
        "{placed}"
    );

    // A social-media account without two-factor authentication.
    click(client, "#nav-social").await;
    let form = "#social-create";
    type_into(
        client,
        &format!("{form} input[name='platform']"),
        "Instagram",
    )
    .await;
    type_into(
        client,
        &format!("{form} input[name='account_name']"),
        "@kumiai_test",
    )
    .await;
    type_into(
        client,
        &format!("{form} input[name='url']"),
        "https://www.instagram.com/kumiai_test",
    )
    .await;
    element(client, &format!("{form} select[name='owner']"))
        .await
        .select_by_label("高橋 健")
        .await
        .expect("owner chosen");
    type_into(
        client,
        &format!("{form} textarea[name='rules']"),
        "イベントの写真に限る。",
    )
    .await;
    click(client, &format!("{form} button[type='submit']")).await;
    wait_for_text(client, "#social-title", "@kumiai_test").await;
    element(client, "#social-flags [data-flag='no_two_factor']").await;
    element(client, "#reviews-none").await;

    // Its review, recorded today.
    type_into(
        client,
        "#social-review textarea[name='note']",
        "投稿内容と管理者を確認した。",
    )
    .await;
    click(client, "#social-review button[type='submit']").await;
    wait_for_text(client, "#social-reviews", "投稿内容と管理者を確認した。").await;
    let today = element(client, "#social-review input[name='reviewed_on']")
        .await
        .attr("value")
        .await
        .expect("value")
        .expect("today");
    let last = text_of(client, "#social-last-review").await;
    assert_eq!(last, today);
    assert!(
        client
            .find(Locator::Css("#social-flags [data-flag='review_overdue']"))
            .await
            .is_err()
    );
    log_out(client).await;
}

#[tokio::test]
async fn browser_cloud_service_flags_a_forbidden_asset_and_an_account_is_reviewed() {
    walk_in_browser(
        "browser_cloud_service_flags_a_forbidden_asset_and_an_account_is_reviewed",
        &["--demo"],
        |client, at| async move { walk(client, at.base, &at.data).await },
    )
    .await;
}
