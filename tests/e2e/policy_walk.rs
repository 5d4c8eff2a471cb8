//! The basic policy in a real headless Chromium, from upload to the staff's confirmation: the
//! first administrator (a CISO) uploads the seed 基本方針 on the import form and submits it for
//! review, and may not approve what they edited, neither by the page (no approval form) nor by a
//! tampered form (refused); a second CISO approves it from the 施行日 of its newest 附則; it is
//! then published at `/policy` without login; and a member of staff confirms they have read it.

use std::path::{Path, PathBuf};

use fantoccini::{Client, Locator};

use crate::browser::{
    browser, browser_available, change_initial_password, click, element, organisation_and_unit,
    text_of, type_into, url, wait_for_text,
};
use crate::support::{PASSWORD, Server};

/// The seed basic policy as the demo embeds it: the published text of 特別区人事・厚生事務組合.
fn seed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/demo/kihon_houshin.txt")
}

const TITLE: &str = "特別区人事・厚生事務組合情報セキュリティ基本方針";
/// 6(3)ア of the seed, as the published page must show it.
const CLAUSE: &str = "両システム間で通信する場合には、無害化通信を実施する。";

pub(crate) async fn log_in(client: &Client, base: &str, username: &str, password: &str) {
    client
        .goto(&format!("{base}/login"))
        .await
        .expect("login page");
    type_into(client, "#username", username).await;
    type_into(client, "#password", password).await;
    click(client, "#login").await;
    element(client, "#logout").await;
}

pub(crate) async fn log_out(client: &Client) {
    click(client, "#logout").await;
    element(client, "input#username").await;
}

async fn version_state(client: &Client) -> String {
    element(client, "#version-state")
        .await
        .attr("data-state")
        .await
        .expect("data-state attribute")
        .unwrap_or_default()
}

/// Waits for the version page to say `state` (a step redirects back to it).
async fn wait_for_state(client: &Client, state: &str) {
    let deadline = tokio::time::Instant::now() + crate::browser::PAGE;
    loop {
        // The page may be replaced between finding the element and reading it.
        let shown = match client.find(Locator::Id("version-state")).await {
            Ok(found) => found.attr("data-state").await.ok().flatten(),
            Err(_) => None,
        };
        if shown.as_deref() == Some(state) {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("{} is not {state}", url(client).await);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// `mamori user create`, beside the running server, as a site's operator would.
pub(crate) async fn user_create(data: &Path, args: &[&str]) {
    let mut all = vec![
        "user".to_owned(),
        "create".into(),
        "--data".into(),
        data.to_str().expect("UTF-8 path").into(),
        "--password-stdin".into(),
    ];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    let output = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = all.iter().map(String::as_str).collect();
        crate::support::run(&args, &format!("{PASSWORD}\n"))
    })
    .await
    .expect("user create ran");
    assert_eq!(
        output.status.code(),
        Some(0),
        "user create {args:?}: {}",
        crate::support::text(&output.stderr)
    );
}

async fn walk(client: Client, base: String, admin_password: String, data: PathBuf, png: PathBuf) {
    let client = &client;
    // Nothing is published on a fresh installation.
    client
        .goto(&format!("{base}/policy"))
        .await
        .expect("public policy page");
    element(client, "#policy-none").await;

    // The administrator sets up 管理者 with one 課室; the operator adds a second CISO and a
    // member of staff of that 課室.
    log_in(client, &base, "admin", &admin_password).await;
    change_initial_password(client, &base, &admin_password).await;
    let (_, unit) = organisation_and_unit(client, &base, "総務課").await;
    user_create(
        &data,
        &[
            "--username",
            "sato",
            "--name",
            "佐藤 一郎",
            "--role",
            "ciso",
        ],
    )
    .await;
    let scope = format!("unit:{unit}");
    user_create(
        &data,
        &[
            "--username",
            "yamamoto",
            "--name",
            "山本 大輔",
            "--role",
            "staff",
            "--scope",
            &scope,
            "--unit",
            &unit,
        ],
    )
    .await;

    // The administrator uploads the seed as 管理者's basic policy and submits it for review.
    client
        .goto(&format!("{base}/policies"))
        .await
        .expect("policies page");
    let import = "#policy-import";
    element(client, &format!("{import} select[name='tier']"))
        .await
        .select_by_value("basic")
        .await
        .expect("tier chosen");
    type_into(client, &format!("{import} input[name='title']"), TITLE).await;
    let file = seed();
    type_into(
        client,
        &format!("{import} input[type='file']"),
        file.to_str().expect("UTF-8 path"),
    )
    .await;
    click(client, &format!("{import} button[type='submit']")).await;
    wait_for_state(client, "draft").await;
    let version_url = url(client).await;
    let facts = text_of(client, "#version-facts").await;
    assert!(facts.contains("admin"), "the editor is not shown: {facts}");
    assert!(facts.contains("12 /"), "not twelve sections: {facts}");
    click(client, "#submit-review button[type='submit']").await;
    wait_for_state(client, "in_review").await;

    // Its editor may not approve it, CISO though they are: the page offers no approval, and
    // the form to return it to draft, turned into an approval, is refused.
    assert!(
        client.find(Locator::Id("approve")).await.is_err(),
        "the editor is offered the approval"
    );
    client
        .execute(
            "document.querySelector('#return-draft input[name=step]').value = 'approve'; \
             document.querySelector('#return-draft').submit();",
            vec![],
        )
        .await
        .expect("tampered form sent");
    wait_for_text(
        client,
        "#error-headline",
        "この操作を行う権限がありません。",
    )
    .await;
    client.goto(&version_url).await.expect("version page");
    assert_eq!(version_state(client).await, "in_review");
    log_out(client).await;
    client
        .goto(&format!("{base}/policy"))
        .await
        .expect("public policy page");
    element(client, "#policy-none").await;

    // The other CISO approves it from the 施行日 the page suggests: its newest 附則's.
    log_in(client, &base, "sato", PASSWORD).await;
    client.goto(&version_url).await.expect("version page");
    let from = element(client, "#approve input[name='effective_from']")
        .await
        .prop("value")
        .await
        .expect("effective_from value");
    assert_eq!(from.as_deref(), Some("2026-04-01"));
    click(client, "#approve button[type='submit']").await;
    wait_for_state(client, "effective").await;
    assert_eq!(text_of(client, "#version-effective").await, "2026-04-01");
    log_out(client).await;

    // Published without login, with its clauses and every 附則's date.
    client
        .goto(&format!("{base}/policy"))
        .await
        .expect("public policy page");
    let heading = text_of(client, "article.published h2").await;
    assert!(heading.starts_with(TITLE), "{heading}");
    assert!(heading.contains("管理者"), "{heading}");
    wait_for_text(client, "article.published", CLAUSE).await;
    let sections = client
        .find_all(Locator::Css("article.published section.clause.depth-0"))
        .await
        .expect("sections");
    assert_eq!(sections.len(), 12);
    let supplementary = text_of(client, "#supplementary").await;
    for date in [
        "2012-04-01",
        "2015-08-16",
        "2020-04-01",
        "2021-03-01",
        "2022-04-01",
        "2026-04-01",
    ] {
        assert!(supplementary.contains(date), "{date}: {supplementary}");
    }
    let shot = client.screenshot().await.expect("screenshot");
    assert!(shot.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    std::fs::write(png, &shot).expect("screenshot written");

    // A member of staff reads it and confirms, once.
    log_in(client, &base, "yamamoto", PASSWORD).await;
    client.goto(&version_url).await.expect("version page");
    wait_for_text(client, "main", CLAUSE).await;
    assert!(
        client.find(Locator::Id("approve")).await.is_err(),
        "a member of staff is offered the approval"
    );
    click(client, "#acknowledge button[type='submit']").await;
    element(client, "#acknowledged").await;
    assert!(
        client.find(Locator::Id("acknowledge")).await.is_err(),
        "the confirmation is offered again"
    );
    log_out(client).await;
}

#[tokio::test]
async fn browser_policy_upload_review_approve_publish_and_confirm() {
    let test = "browser_policy_upload_review_approve_publish_and_confirm";
    if !browser_available(test) {
        return;
    }
    let root = tempfile::tempdir().expect("temp dir");
    let data = root.path().join("data");
    let server = Server::start(&data, &[]);
    assert!(
        !server.admin_password.is_empty(),
        "no administrator password printed"
    );
    let (_driver, client) = browser(&root.path().join("chromium-profile")).await;
    let screenshot = root.path().join("policy.png");
    let walked = tokio::spawn(walk(
        client.clone(),
        server.url(""),
        server.admin_password.clone(),
        data.clone(),
        screenshot.clone(),
    ))
    .await;
    let _ = client.close().await;
    if let Err(error) = walked {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("browser walk did not finish: {error}"),
        }
    }
    // The refused approval changed nothing; the steps that were taken are in an audit trail
    // that verifies.
    let verified = crate::support::run(
        &[
            "audit",
            "verify",
            "--data",
            data.to_str().expect("UTF-8 path"),
        ],
        "",
    );
    let report = crate::support::text(&verified.stdout);
    assert_eq!(verified.status.code(), Some(0), "{report}");
    if let Ok(keep) = std::env::var("MAMORI_E2E_POLICY_SCREENSHOT") {
        std::fs::copy(&screenshot, keep).expect("screenshot kept");
    }
}
