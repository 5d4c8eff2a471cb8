//! The asset register in a real headless Chromium, on the `--demo` register: the CISO (the first
//! administrator, who manages the register) imports an Excel sheet through the import page,
//! finds one of its assets with the search and filters, reclassifies it to 機密性3 while it sits
//! in インターネット接続系 (which 機密性3 forbids), sees the flag on its page, downloads the register
//! as .xlsx and as Shift_JIS CSV, which hold the asset with its new class, and then switches the
//! 3A/3B/3C split on, after which the asset's page asks for a review.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

use fantoccini::{Client, Locator};
use mamori_sheet::{Format, Language, Limits, Table, asset_template, read, write_xlsx};

use crate::browser::{
    browser, browser_available, change_initial_password, click, element, text_of, type_into, url,
    wait_for_text,
};
use crate::support::Server;

/// Part of every name the test registers, so that the search finds them among the demo assets.
const TAG: &str = "E2E台帳7F3";
/// The asset that is reclassified: 機密性1 in インターネット接続系 until the test makes it 機密性3.
const PORTAL: &str = "E2E台帳7F3 公開ポータル検証機";
const LEDGER: &str = "E2E台帳7F3 住民記録照会端末";
/// The flag's text on the asset page (`flag.segment_forbidden` in Japanese).
const FORBIDDEN: &str = "分類上、このセグメントに置くことはできません";

/// The sheet a 課室 would keep: the template's Japanese headers and two rows without 管理番号.
fn sheet() -> Vec<u8> {
    let template = asset_template();
    let header = template.header_row(Language::Japanese);
    let row = |cells: &[(&str, &str)]| -> Vec<String> {
        let mut row = vec![String::new(); header.len()];
        for (key, value) in cells {
            let at = template
                .index_of(key)
                .unwrap_or_else(|| panic!("the template has no column {key}"));
            row[at] = (*value).to_owned();
        }
        row
    };
    let rows = vec![
        header.clone(),
        row(&[
            ("name", PORTAL),
            ("kind", "設備・機器"),
            ("owner_unit", "情報政策課"),
            ("location", "庁舎3階 サーバ室"),
            ("segment", "インターネット接続系"),
            ("hosts", "portal-test01"),
            ("addresses", "172.16.5.20"),
            ("confidentiality", "機密性1"),
            ("integrity", "1"),
            ("availability", "1"),
            ("lifecycle", "運用中"),
            ("notes", "公開前の検証用"),
        ]),
        row(&[
            ("name", LEDGER),
            ("kind", "情報システム"),
            ("owner_unit", "総務課"),
            ("location", "本庁舎 電算室"),
            ("segment", "LGWAN"),
            ("addresses", "10.20.3.4"),
            ("confidentiality", "2"),
            ("integrity", "2"),
            ("availability", "2"),
        ]),
    ];
    write_xlsx(&rows, "情報資産台帳").expect("the sheet is written")
}

/// Downloads what a link of the page points to with the browser's session cookie, as the
/// browser does when the link is followed (the page's CSP lets no script fetch it).
async fn download(client: &Client, base: &str, link: &str) -> (Vec<u8>, String) {
    let href = element(client, link)
        .await
        .attr("href")
        .await
        .expect("href attribute")
        .unwrap_or_else(|| panic!("{link} has no href"));
    let cookies = client
        .get_all_cookies()
        .await
        .expect("the browser's cookies")
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ");
    assert!(
        cookies.contains("mamori_session="),
        "not logged in: {cookies}"
    );
    let addr = base.strip_prefix("http://").expect("http base");
    let mut stream = TcpStream::connect(addr).expect("server accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout is set");
    // HTTP/1.0: the body runs to the end of the connection, never chunked.
    write!(
        stream,
        "GET {href} HTTP/1.0\r\nHost: {addr}\r\nCookie: {cookies}\r\n\r\n"
    )
    .expect("request sent");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("response read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("{href}: no end of head in {} bytes", raw.len()));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "downloading {href}: {head}"
    );
    let disposition = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-disposition")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    (raw[split + 4..].to_vec(), disposition)
}

/// The exported row of the asset named `name`, by the template's column keys.
fn exported_row(table: &Table, name: &str) -> Vec<(String, String)> {
    let template = asset_template();
    let header = &table.rows[0];
    assert_eq!(
        header,
        &template.header_row(Language::Japanese),
        "the export's header row"
    );
    let name_at = template.index_of("name").expect("name column");
    let row = table
        .rows
        .iter()
        .find(|r| r.get(name_at).map(String::as_str) == Some(name))
        .unwrap_or_else(|| panic!("{name} is not in the export"));
    template
        .columns
        .iter()
        .zip(row)
        .map(|(c, v)| (c.key.to_owned(), v.clone()))
        .collect()
}

fn cell<'a>(row: &'a [(String, String)], key: &str) -> &'a str {
    row.iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

async fn walk(client: Client, base: String, admin_password: String, file: PathBuf) {
    let client = &client;
    // The first administrator is the CISO, allowed to manage the register (ManageRegister).
    client
        .goto(&format!("{base}/login"))
        .await
        .expect("login page");
    type_into(client, "#username", "admin").await;
    type_into(client, "#password", &admin_password).await;
    click(client, "#login").await;
    element(client, "#logout").await;
    change_initial_password(client, &base, &admin_password).await;

    // Import the sheet through the page's file field.
    client
        .goto(&format!("{base}/assets"))
        .await
        .expect("register");
    element(client, "#asset-import input[type='file']")
        .await
        .send_keys(file.to_str().expect("UTF-8 path"))
        .await
        .expect("file chosen");
    click(client, "#asset-import button[type='submit']").await;
    let imported = wait_for_text(client, "#asset-imported", "新規登録: 2").await;
    assert!(imported.contains("更新: 0"), "{imported}");

    // Find the portal among the demo register: the search text and the segment filter.
    type_into(client, "#asset-filter input[name='q']", TAG).await;
    element(client, "#asset-filter select[name='segment']")
        .await
        .select_by_value("INTERNET")
        .await
        .expect("segment chosen");
    click(client, "#asset-filter button[type='submit']").await;
    wait_for_text(client, "#assets", PORTAL).await;
    let total = text_of(client, "#asset-total").await;
    assert!(total.ends_with(": 1"), "one asset matches, not {total:?}");
    let listed = text_of(client, "#assets").await;
    assert!(
        !listed.contains(LEDGER),
        "the LGWAN asset passed the segment filter: {listed}"
    );
    let search = url(client).await;
    assert!(search.contains("segment=INTERNET"), "{search}");
    client
        .find(Locator::LinkText(PORTAL))
        .await
        .unwrap_or_else(|e| panic!("no link to {PORTAL}: {e}"))
        .click()
        .await
        .expect("asset opened");
    wait_for_text(client, "#asset-name", PORTAL).await;
    assert!(
        client.find(Locator::Id("asset-flags")).await.is_err(),
        "機密性1 in インターネット接続系 is flagged before reclassification"
    );

    // Reclassify to 機密性3: the Internet segment is now forbidden and the page says so.
    element(client, "#asset-reclassify select[name='confidentiality']")
        .await
        .select_by_value("3")
        .await
        .expect("level chosen");
    type_into(
        client,
        "#asset-reclassify input[name='reason']",
        "住民情報を扱うことになったため",
    )
    .await;
    click(client, "#asset-reclassify button[type='submit']").await;
    let flags = wait_for_text(client, "#asset-flags", FORBIDDEN).await;
    assert!(flags.contains("機密性3 / INTERNET"), "{flags}");
    let shown = element(client, "#asset-flags li.flag")
        .await
        .is_displayed()
        .await
        .expect("visibility");
    assert!(shown, "the flag is in the page but not visible");
    let rules = text_of(client, "#asset-rules").await;
    assert!(rules.contains("機密性3"), "{rules}");
    let asset_url = url(client).await;
    let id = asset_url
        .rsplit('/')
        .next()
        .and_then(|id| id.parse::<i64>().ok())
        .unwrap_or_else(|| panic!("not an asset page: {asset_url}"));

    // The register's flagged-only list has it too.
    client
        .goto(&format!("{base}/assets?q={TAG}&flagged=1"))
        .await
        .expect("flagged list");
    wait_for_text(client, "#assets", PORTAL).await;

    // Export: the .xlsx and the Shift_JIS CSV both hold the asset as 機密性3.
    client
        .goto(&format!("{base}/assets"))
        .await
        .expect("register");
    for (link, format) in [
        ("#export-xlsx", Format::Xlsx),
        ("#export-sjis", Format::CsvShiftJis),
    ] {
        let (bytes, disposition) = download(client, &base, link).await;
        assert!(
            disposition.contains("attachment"),
            "{link} is not a download: {disposition:?}"
        );
        let table = read(&bytes, &Limits::default())
            .unwrap_or_else(|e| panic!("{link}: the export does not read back: {e}"));
        assert_eq!(table.format, format, "{link}");
        let row = exported_row(&table, PORTAL);
        assert_eq!(cell(&row, "id"), id.to_string(), "{link}: {row:?}");
        assert_eq!(cell(&row, "confidentiality"), "3", "{link}: {row:?}");
        assert_eq!(cell(&row, "segment"), "INTERNET", "{link}: {row:?}");
        assert_eq!(cell(&row, "owner_unit"), "情報政策課", "{link}: {row:?}");
        let other = exported_row(&table, LEDGER);
        assert_eq!(cell(&other, "confidentiality"), "2", "{link}: {other:?}");
    }

    // The 3A/3B/3C split, switched on with its default target: the asset becomes 機密性3A and
    // its page asks for a review.
    client
        .goto(&format!("{base}/classification"))
        .await
        .expect("classification page");
    let target = element(client, "#split-existing-to")
        .await
        .prop("value")
        .await
        .expect("selected target");
    assert_eq!(
        target.as_deref(),
        Some("3A"),
        "the strictest level by default"
    );
    click(client, "#split-submit").await;
    wait_for_text(client, "#split-review", "分割後の再確認が必要").await;
    client.goto(&asset_url).await.expect("asset page");
    let flags = wait_for_text(client, "#asset-flags", "分割後の再確認が必要").await;
    assert!(flags.contains("機密性3 → 機密性3A"), "{flags}");

    // The audit trail names the reclassification with its reason, and both downloads.
    client
        .goto(&format!("{base}/audit?action=asset.reclassify"))
        .await
        .expect("audit page");
    let trail = wait_for_text(client, "table.audit", "asset.reclassify").await;
    assert!(trail.contains("住民情報を扱うことになったため"), "{trail}");
    client
        .goto(&format!("{base}/audit?action=asset.export"))
        .await
        .expect("audit page");
    let trail = text_of(client, "table.audit tbody").await;
    assert_eq!(trail.matches("asset.export").count(), 2, "{trail}");
}

#[tokio::test]
async fn browser_asset_import_search_reclassify_flag_and_export() {
    let test = "browser_asset_import_search_reclassify_flag_and_export";
    if !browser_available(test) {
        return;
    }
    let root = tempfile::tempdir().expect("temp dir");
    let data = root.path().join("data");
    let server = Server::start(&data, &["--demo"]);
    assert!(
        !server.admin_password.is_empty(),
        "no administrator password printed"
    );
    let file = root.path().join("台帳.xlsx");
    std::fs::write(&file, sheet()).expect("sheet written");
    let (_driver, client) = browser(&root.path().join("chromium-profile")).await;
    let walked = tokio::spawn(walk(
        client.clone(),
        server.url(""),
        server.admin_password.clone(),
        file,
    ))
    .await;
    let _ = client.close().await;
    if let Err(error) = walked {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("browser walk did not finish: {error}"),
        }
    }
    // The import, the reclassification and both exports are in an audit trail that verifies.
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
}
