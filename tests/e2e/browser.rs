//! The web UI in a real headless Chromium, driven over WebDriver as a person would use it: log
//! in, create an organisation, a unit and a person, assign a role, log out.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::{ChildGuard, Server, free_port, wait_for_port};

/// Debian's `chromium` and `chromium-driver`; elsewhere, name them in these variables.
pub(crate) fn chromium() -> String {
    std::env::var("MAMORI_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

pub(crate) fn chromedriver() -> String {
    std::env::var("MAMORI_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}
/// How long a page may take to show what the test waits for.
pub(crate) const PAGE: Duration = Duration::from_secs(30);

/// Whether the browser tests can run here. Missing components fail the test when
/// `MAMORI_REQUIRE_REAL_TESTS=1` (as in CI) and skip it, saying so, otherwise.
pub(crate) fn browser_available(test: &str) -> bool {
    let missing: Vec<_> = [chromium(), chromedriver()]
        .into_iter()
        .filter(|path| !Path::new(path).is_file())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let why = format!(
        "{} not installed (Debian packages `chromium` and `chromium-driver`)",
        missing.join(" and ")
    );
    if std::env::var("MAMORI_REQUIRE_REAL_TESTS").as_deref() == Ok("1") {
        panic!("{test}: {why}, and MAMORI_REQUIRE_REAL_TESTS=1 requires the real browser test");
    }
    eprintln!("skipped: {test}: {why}");
    false
}

/// The id at the end of the page's address.
pub(crate) async fn id_in_url(client: &Client, what: &str) -> String {
    let here = url(client).await;
    here.split(['?', '#'])
        .next()
        .unwrap_or_default()
        .rsplit('/')
        .next()
        .filter(|id| id.parse::<i64>().is_ok())
        .unwrap_or_else(|| panic!("{what} did not lead to its page: {here}"))
        .to_owned()
}

/// Through the pages, as an administrator: the organisation 管理者 (`KANRI`) and one unit of it;
/// their ids.
pub(crate) async fn organisation_and_unit(
    client: &Client,
    base: &str,
    unit: &str,
) -> (String, String) {
    client
        .goto(&format!("{base}/organisations"))
        .await
        .expect("organisations page");
    let form = "form[action='/organisations']";
    type_into(client, &format!("{form} input[name='code']"), "KANRI").await;
    type_into(client, &format!("{form} input[name='name']"), "管理者").await;
    click(client, &format!("{form} button[type='submit']")).await;
    wait_for_text(client, "#org-name", "管理者").await;
    let org = id_in_url(client, "creating an organisation").await;
    type_into(client, "#unit-name", unit).await;
    click(client, "#unit-create").await;
    wait_for_text(client, "#unit-title", unit).await;
    (org, id_in_url(client, "creating a unit").await)
}

/// Where a walk runs: the server started for it and its folders.
pub(crate) struct Walking {
    pub addr: std::net::SocketAddr,
    /// `http://ADDR`.
    pub base: String,
    /// The first administrator's password as printed.
    pub admin_password: String,
    pub data: PathBuf,
}

/// Runs a walk in a real Chromium against `mamori serve` on a fresh data folder with `args`:
/// skipped, saying so, where there is no browser (failed when the real tests are required); the
/// walk's panic is passed on once the browser is closed.
pub(crate) async fn walk_in_browser<F, Fut>(test: &str, args: &[&str], walk: F)
where
    F: FnOnce(Client, Walking) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    if !browser_available(test) {
        return;
    }
    let root = tempfile::tempdir().expect("temp dir");
    let data = root.path().join("data");
    let server = Server::start(&data, args);
    let (_driver, client) = browser(&root.path().join("chromium-profile")).await;
    let walking = Walking {
        addr: server.addr,
        base: server.url(""),
        admin_password: server.admin_password.clone(),
        data,
    };
    let walked = tokio::spawn(walk(client.clone(), walking)).await;
    let _ = client.close().await;
    if let Err(error) = walked {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("browser walk did not finish: {error}"),
        }
    }
}

/// A chromedriver on a free port, and a WebDriver session with a fresh headless Chromium.
pub(crate) async fn browser(profile: &Path) -> (ChildGuard, Client) {
    let port = free_port();
    let mut command = Command::new(chromedriver());
    command
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let mut driver = ChildGuard::spawn("chromedriver", command);
    wait_for_port(port, &mut driver);
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium(),
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
            // A language mamori does not speak, so the page shows its own default.
            "prefs": {"intl.accept_languages": "fr-FR,fr"},
        }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap_or_else(|e| panic!("WebDriver session on chromedriver {}: {e}", driver.id()));
    (driver, client)
}

pub(crate) async fn element(client: &Client, css: &str) -> fantoccini::elements::Element {
    match client
        .wait()
        .at_most(PAGE)
        .for_element(Locator::Css(css))
        .await
    {
        Ok(found) => found,
        Err(e) => panic!("no {css} on {}: {e}", url(client).await),
    }
}

pub(crate) async fn url(client: &Client) -> String {
    client
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default()
}

pub(crate) async fn text_of(client: &Client, css: &str) -> String {
    element(client, css)
        .await
        .text()
        .await
        .unwrap_or_else(|e| panic!("text of {css}: {e}"))
}

pub(crate) async fn type_into(client: &Client, css: &str, text: &str) {
    element(client, css)
        .await
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
}

pub(crate) async fn click(client: &Client, css: &str) {
    element(client, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

/// The first administrator's first login, just made: every page leads to the change of the
/// printed password, and once it is changed the pages open. Returns the new password.
pub(crate) async fn change_initial_password(client: &Client, base: &str, printed: &str) -> String {
    element(client, "#password-required").await;
    let at = client.current_url().await.expect("current URL");
    assert_eq!(at.path(), "/account/password", "{at}");
    client
        .goto(&format!("{base}/organisations"))
        .await
        .expect("organisations page");
    element(client, "#password-required").await;
    let at = client.current_url().await.expect("current URL");
    assert_eq!(at.path(), "/account/password", "{at}");
    let chosen = "Shinkansen-Kodama-2026";
    type_into(client, "#current-password", printed).await;
    type_into(client, "#new-password", chosen).await;
    click(client, "#change-password").await;
    wait_for_text(client, "#notice", "パスワードを変更しました").await;
    chosen.to_owned()
}

/// Waits until the element's text contains `wanted`, and returns that text.
pub(crate) async fn wait_for_text(client: &Client, css: &str, wanted: &str) -> String {
    let deadline = tokio::time::Instant::now() + PAGE;
    loop {
        let found = match client.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if found.contains(wanted) {
            return found;
        }
        if tokio::time::Instant::now() > deadline {
            panic!(
                "{css} on {} does not show {wanted:?}; it shows {found:?}",
                url(client).await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The login page, in Japanese unless the browser asked for English.
async fn assert_login_page(client: &Client) {
    assert_eq!(text_of(client, "main h1").await, "ログイン");
    assert_eq!(text_of(client, "button#login").await, "ログイン");
    let lang = element(client, "html")
        .await
        .attr("lang")
        .await
        .expect("lang attribute");
    assert_eq!(lang.as_deref(), Some("ja"));
}

/// The stylesheet came from the binary and applies: the top bar has its colour.
async fn assert_styled(client: &Client) {
    let colour = client
        .execute(
            "return getComputedStyle(document.querySelector('header.top')).backgroundColor",
            vec![],
        )
        .await
        .expect("computed style");
    assert_eq!(colour, json!("rgb(20, 50, 79)"), "app.css is not applied");
}

/// The walk through the UI. Errors panic with what the page showed instead.
async fn walk(client: Client, base: String, admin_password: String, screenshot: PathBuf) {
    let client = &client;
    client.goto(&format!("{base}/")).await.expect("home page");
    // Not logged in: sent to the login page, which speaks Japanese by default.
    element(client, "input#username").await;
    let login = client.current_url().await.expect("current URL");
    assert_eq!(login.path(), "/login", "{login}");
    assert_login_page(client).await;
    assert_styled(client).await;

    // A wrong password is refused with a message, and nobody is logged in.
    type_into(client, "#username", "admin").await;
    type_into(client, "#password", "not-the-password").await;
    click(client, "#login").await;
    let refused = text_of(client, "#login-error").await;
    assert!(!refused.trim().is_empty(), "empty login error");
    assert!(client.find(Locator::Id("logout")).await.is_err());

    let username = element(client, "#username").await;
    username.clear().await.expect("clear username");
    type_into(client, "#username", "admin").await;
    type_into(client, "#password", &admin_password).await;
    click(client, "#login").await;
    element(client, "#logout").await;
    // The printed password is replaced before anything else.
    change_initial_password(client, &base, &admin_password).await;

    // The administrator is the CISO and may create an organisation (機関).
    client
        .goto(&format!("{base}/organisations"))
        .await
        .expect("organisations page");
    let form = "form[action='/organisations']";
    type_into(client, &format!("{form} input[name='code']"), "SENKYO").await;
    type_into(
        client,
        &format!("{form} input[name='name']"),
        "選挙管理委員会",
    )
    .await;
    click(client, &format!("{form} button[type='submit']")).await;
    wait_for_text(client, "#org-name", "選挙管理委員会").await;

    // A unit (課室) in it.
    type_into(client, "#unit-name", "選挙課").await;
    click(client, "#unit-create").await;
    wait_for_text(client, "#unit-title", "選挙課").await;
    let unit_url = url(client).await;
    let unit_id = unit_url
        .rsplit('/')
        .next()
        .and_then(|id| id.parse::<i64>().ok())
        .unwrap_or_else(|| panic!("creating a unit did not lead to its page: {unit_url}"));

    // A person in the unit.
    type_into(client, "#person-name", "投票 花子").await;
    click(client, "#person-create").await;
    wait_for_text(client, "#person-title", "投票 花子").await;

    // 情報セキュリティ管理者 for that unit, and the page lists it.
    element(client, "#role")
        .await
        .select_by_value("security_manager")
        .await
        .expect("role chosen");
    element(client, "#scope")
        .await
        .select_by_value(&format!("unit:{unit_id}"))
        .await
        .expect("scope chosen");
    click(client, "#role-assign").await;
    let roles = wait_for_text(client, "#roles", "情報セキュリティ管理者").await;
    assert!(
        roles.contains("選挙課"),
        "the scope is not shown: {roles:?}"
    );
    let person_url = url(client).await;
    assert_styled(client).await;

    let png = client.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    std::fs::write(screenshot, &png).expect("screenshot written");

    // The unit page lists its new member.
    client.goto(&unit_url).await.expect("unit page");
    wait_for_text(client, "main", "投票 花子").await;

    // English by choice, per user.
    client
        .goto(&format!("{base}/account"))
        .await
        .expect("account page");
    // And back, since the choice is remembered by the browser after logging out too.
    for (code, logout) in [("en", "Log out"), ("ja", "ログアウト")] {
        element(client, "#language")
            .await
            .select_by_value(code)
            .await
            .expect("language chosen");
        click(
            client,
            "form[action='/account/language'] button[type='submit']",
        )
        .await;
        wait_for_text(client, "#logout", logout).await;
    }

    // The account's API tokens: the link from the account page; none were issued.
    click(client, "#tokens-link").await;
    wait_for_text(client, "#tokens-none", "APIトークンはありません").await;

    // Log out: back at the login page, and the person's page now needs a login again.
    click(client, "#logout").await;
    element(client, "input#username").await;
    assert_login_page(client).await;
    client.goto(&person_url).await.expect("person page");
    element(client, "input#username").await;
    assert!(
        client.find(Locator::Id("person-title")).await.is_err(),
        "the person's page is shown after logging out"
    );
}

#[tokio::test]
async fn browser_login_create_unit_person_role_and_logout() {
    if !browser_available("browser_login_create_unit_person_role_and_logout") {
        return;
    }
    let root = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&root.path().join("data"), &[]);
    assert!(
        !server.admin_password.is_empty(),
        "no administrator password printed"
    );
    let (_driver, client) = browser(&root.path().join("chromium-profile")).await;
    let screenshot = root.path().join("person.png");
    // Run as a task so that a failed step still lets the session close before the guards end
    // chromedriver and the server.
    let walked = tokio::spawn(walk(
        client.clone(),
        server.url(""),
        server.admin_password.clone(),
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
    // Everything the browser did went into an audit trail that still verifies.
    let verified = crate::support::run(
        &[
            "audit",
            "verify",
            "--data",
            root.path().join("data").to_str().expect("UTF-8 path"),
        ],
        "",
    );
    let report = crate::support::text(&verified.stdout);
    assert_eq!(verified.status.code(), Some(0), "{report}");
    // For a person to look at: where to keep the screenshot after the temp dir is gone.
    if let Ok(keep) = std::env::var("MAMORI_E2E_SCREENSHOT") {
        std::fs::copy(&screenshot, keep).expect("screenshot kept");
    }
}
