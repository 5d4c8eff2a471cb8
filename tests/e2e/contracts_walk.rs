//! A contract in a real headless Chromium: the first administrator registers a contractor and a
//! contract that carries its security requirements, covers one asset and lists the contractor's
//! account; the responsible unit's 情報セキュリティ管理者 records a check of one requirement; the
//! contractor's account then logs in and reads the contract and the asset it names, and is told
//! the other asset of the unit does not exist.

use std::net::SocketAddr;
use std::path::Path;

use fantoccini::{Client, Locator};

use crate::browser::{
    change_initial_password, click, element, id_in_url, organisation_and_unit, text_of, type_into,
    wait_for_text, walk_in_browser,
};
use crate::inspection_walk::token_for;
use crate::policy_walk::{log_in, log_out, user_create};
use crate::support::{PASSWORD, post_json};

/// Registers an asset of the unit through the API with the administrator's token; its id.
fn asset(addr: SocketAddr, token: &str, unit: &str, name: &str) -> String {
    let bearer = format!("Bearer {token}");
    let body = serde_json::json!({
        "kind": "system", "name": name, "owner_unit_id": unit.parse::<i64>().expect("unit id"),
        "confidentiality": "2", "integrity": "2", "availability": "2",
    });
    let reply = post_json(
        addr,
        "/api/v1/assets",
        &[("Authorization", bearer.as_str())],
        &body.to_string(),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    let made: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
    made["id"].to_string()
}

async fn walk(client: Client, addr: SocketAddr, admin_password: String, data: &Path) {
    let base = format!("http://{addr}");
    let client = &client;
    log_in(client, &base, "admin", &admin_password).await;
    change_initial_password(client, &base, &admin_password).await;
    let (_, unit) = organisation_and_unit(client, &base, "情報政策課").await;
    let on_unit = format!("unit:{unit}");
    for (username, name, role) in [
        ("takahashi", "高橋 健", "security_manager"),
        ("hasegawa", "長谷川 学", "contractor"),
    ] {
        user_create(
            data,
            &[
                "--username",
                username,
                "--name",
                name,
                "--role",
                role,
                "--scope",
                &on_unit,
                "--unit",
                &unit,
            ],
        )
        .await;
    }
    let token = token_for(data, "admin").await;
    let named = asset(addr, &token, &unit, "グループウェア");
    let other = asset(addr, &token, &unit, "人事給与システム");

    // The administrator registers the contractor, then the contract.
    client
        .goto(&format!("{base}/contractors"))
        .await
        .expect("contractors page");
    element(client, "#contractors-none").await;
    let form = "#contractor-form";
    type_into(
        client,
        &format!("{form} input[name='name']"),
        "株式会社あおぞらソフト",
    )
    .await;
    type_into(
        client,
        &format!("{form} input[name='contact_person']"),
        "青山 直樹",
    )
    .await;
    type_into(
        client,
        &format!("{form} input[name='phone']"),
        "03-5470-0003",
    )
    .await;
    click(client, &format!("{form} button[type='submit']")).await;
    wait_for_text(client, "#contractor-name", "株式会社あおぞらソフト").await;

    client
        .goto(&format!("{base}/contracts"))
        .await
        .expect("contracts page");
    element(client, "#agreements-none").await;
    let form = "#agreement-form";
    element(client, &format!("{form} select[name='contractor']"))
        .await
        .select_by_index(1)
        .await
        .expect("contractor chosen");
    type_into(
        client,
        &format!("{form} input[name='title']"),
        "グループウェア保守",
    )
    .await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(9)).date_naive();
    let (from, to) = (
        today - chrono::Duration::days(10),
        today + chrono::Duration::days(355),
    );
    client
        .execute(
            &format!(
                "document.querySelector('#agreement-form input[name=starts_on]').value = '{from}'; \
                 document.querySelector('#agreement-form input[name=ends_on]').value = '{to}';"
            ),
            vec![],
        )
        .await
        .expect("period set");
    // The mandatory requirements come ticked; 教育の実施 is added.
    for code in [
        "subcontracting",
        "confidentiality",
        "incident_reporting",
        "return_disposal",
    ] {
        let ticked = element(client, &format!("{form} input[name='requirement-{code}']"))
            .await
            .prop("checked")
            .await
            .expect("checked property");
        assert_eq!(ticked.as_deref(), Some("true"), "{code}");
    }
    click(
        client,
        &format!("{form} input[name='requirement-training']"),
    )
    .await;
    click(client, &format!("{form} input[name='class-2']")).await;
    click(client, &format!("{form} input[name='asset-{named}']")).await;
    click(client, "#agreement-people-choice input[type='checkbox']").await;
    click(client, &format!("{form} button[type='submit']")).await;
    wait_for_text(client, "#agreement-title", "グループウェア保守").await;
    let contract = id_in_url(client, "registering a contract").await;
    assert!(client.find(Locator::Id("agreement-missing")).await.is_err());
    assert!(
        client
            .find(Locator::Id("agreement-unverified"))
            .await
            .is_err()
    );
    let people = text_of(client, "#agreement-people").await;
    assert!(people.contains("長谷川 学"), "{people}");
    element(client, "#verifications-none").await;
    log_out(client).await;

    // The unit's 管理者 records a check of 秘密保持.
    log_in(client, &base, "takahashi", PASSWORD).await;
    client
        .goto(&format!("{base}/contracts"))
        .await
        .expect("contracts page");
    click(
        client,
        &format!("#agreements a[href='/contracts/{contract}']"),
    )
    .await;
    wait_for_text(client, "#agreement-title", "グループウェア保守").await;
    let verify = "#agreement-verify";
    element(client, &format!("{verify} select[name='requirement']"))
        .await
        .select_by_value("confidentiality")
        .await
        .expect("requirement chosen");
    element(client, &format!("{verify} select[name='outcome']"))
        .await
        .select_by_value("met")
        .await
        .expect("outcome chosen");
    type_into(
        client,
        &format!("{verify} textarea[name='note']"),
        "従事者の誓約書を確認",
    )
    .await;
    click(client, &format!("{verify} button[type='submit']")).await;
    let checks = wait_for_text(client, "#agreement-verifications", "秘密保持").await;
    assert!(
        checks.contains("従事者の誓約書を確認") && checks.contains("takahashi"),
        "{checks}"
    );
    let row = text_of(
        client,
        "#agreement-checklist tr[data-requirement='confidentiality']",
    )
    .await;
    assert!(row.contains(&today.to_string()), "{row}");
    log_out(client).await;

    // The contractor reads their contract and the asset it names, and nothing else.
    log_in(client, &base, "hasegawa", PASSWORD).await;
    assert!(client.find(Locator::Id("nav-contractors")).await.is_err());
    click(client, "#nav-contracts").await;
    click(
        client,
        &format!("#agreements a[href='/contracts/{contract}']"),
    )
    .await;
    wait_for_text(client, "#agreement-title", "グループウェア保守").await;
    assert!(client.find(Locator::Id("agreement-verify")).await.is_err());
    assert!(client.find(Locator::Id("agreement-form")).await.is_err());
    click(
        client,
        &format!("#agreement-assets a[href='/assets/{named}']"),
    )
    .await;
    wait_for_text(client, "#asset-name", "グループウェア").await;
    client
        .goto(&format!("{base}/assets/{other}"))
        .await
        .expect("the other asset");
    element(client, "#error-headline").await;
    assert!(client.find(Locator::Id("asset-name")).await.is_err());
    client.goto(&base).await.expect("home page");
    log_out(client).await;
}

#[tokio::test]
async fn browser_contract_registered_checked_and_read_by_its_contractor() {
    walk_in_browser(
        "browser_contract_registered_checked_and_read_by_its_contractor",
        &[],
        |client, at| async move { walk(client, at.addr, at.admin_password, &at.data).await },
    )
    .await;
}
