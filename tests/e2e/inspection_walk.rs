//! A self-inspection in a real headless Chromium, from assignment to sign-off: the first
//! administrator sets up 管理者 with one 課室 and starts the year's 自己点検 on the form; the 課室's
//! 情報セキュリティ管理者 finds it waiting on the home page and answers its items (the first
//! 未実施 on the page's form, the rest by a script of theirs through the API, one of them
//! 一部実施); the
//! organisation's 情報セキュリティ責任者 signs the result off and is shown the findings the 未実施
//! and 一部実施 answers became. Then the administrator plans an audit of the 課室 and is refused
//! its 管理者 on the audit team, with the reason, and takes an auditor from outside.

use std::net::SocketAddr;
use std::path::Path;

use fantoccini::{Client, Locator};

use crate::browser::{
    change_initial_password, click, element, id_in_url, organisation_and_unit, text_of, type_into,
    url, wait_for_text, walk_in_browser,
};
use crate::policy_walk::{log_in, log_out, user_create};
use crate::support::{PASSWORD, get, post_json};

/// `mamori token create` for an account: its token.
pub(crate) async fn token_for(data: &Path, username: &str) -> String {
    let args = [
        "token".to_owned(),
        "create".into(),
        "--data".into(),
        data.to_str().expect("UTF-8 path").into(),
        "--username".into(),
        username.into(),
    ];
    let output = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        crate::support::run(&args, "")
    })
    .await
    .expect("token create ran");
    assert_eq!(output.status.code(), Some(0), "token create");
    crate::support::text(&output.stdout).trim().to_owned()
}

/// Answers every item of the unit but the first through the API with the 管理者's token, as a
/// script of theirs would: the second `partly`, the rest `implemented`.
fn answer_the_rest(addr: SocketAddr, token: &str, inspection: &str, unit: &str) -> usize {
    let bearer = format!("Bearer {token}");
    let headers = [("Authorization", bearer.as_str())];
    let sheet = get(
        addr,
        &format!("/api/v1/inspections/{inspection}/units/{unit}"),
        &headers,
    );
    assert_eq!(sheet.status, 200, "{}", sheet.body);
    let sheet: serde_json::Value = serde_json::from_str(&sheet.body).expect("JSON");
    let catalogue = get(addr, "/api/v1/catalogues", &headers);
    let catalogue: serde_json::Value = serde_json::from_str(&catalogue.body).expect("JSON");
    let catalogue = &catalogue[0]["id"];
    let items = sheet["items"].as_array().expect("items");
    for (i, item) in items.iter().enumerate().skip(1) {
        let (status, note) = if i == 1 {
            ("partly", "一部の課員のみ受講")
        } else {
            ("implemented", "点検表のとおり")
        };
        let body = serde_json::json!({
            "measure": item["measure_urn"], "status": status, "note": note,
        });
        let reply = post_json(
            addr,
            &format!("/api/v1/catalogues/{catalogue}/units/{unit}/answers"),
            &headers,
            &body.to_string(),
        );
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    items.len() - 1
}

async fn walk(client: Client, addr: SocketAddr, admin_password: String, data: &Path) {
    let base = format!("http://{addr}");
    let client = &client;
    log_in(client, &base, "admin", &admin_password).await;
    let admin_password = change_initial_password(client, &base, &admin_password).await;
    let (org, unit) = organisation_and_unit(client, &base, "総務課").await;
    let (on_org, on_unit) = (format!("organisation:{org}"), format!("unit:{unit}"));
    user_create(
        data,
        &[
            "--username",
            "kimura",
            "--name",
            "木村 隆",
            "--role",
            "security_officer",
            "--scope",
            &on_org,
            "--unit",
            &unit,
        ],
    )
    .await;
    user_create(
        data,
        &[
            "--username",
            "kansa",
            "--name",
            "監査 五郎",
            "--role",
            "auditor",
            "--scope",
            "global",
        ],
    )
    .await;
    user_create(
        data,
        &[
            "--username",
            "takahashi",
            "--name",
            "高橋 健",
            "--role",
            "security_manager",
            "--scope",
            &on_unit,
            "--unit",
            &unit,
        ],
    )
    .await;

    // The administrator starts the year's self-inspection for the 課室.
    client
        .goto(&format!("{base}/inspections"))
        .await
        .expect("inspections page");
    element(client, "#inspections-none").await;
    let start = "#inspection-create";
    type_into(
        client,
        &format!("{start} input[name='title']"),
        "令和8年度 自己点検",
    )
    .await;
    type_into(client, &format!("{start} input[name='year']"), "").await;
    client
        .execute(
            "document.querySelector('#inspection-create input[name=year]').value = '2026'; \
             document.querySelector('#inspection-create input[name=due_on]').value = '2027-01-31';",
            vec![],
        )
        .await
        .expect("year and due date set");
    click(client, &format!("{start} input[name='unit-{unit}']")).await;
    click(client, &format!("{start} button[type='submit']")).await;
    wait_for_text(client, "#inspection-title", "令和8年度 自己点検").await;
    let inspection = id_in_url(client, "starting a self-inspection").await;
    let row = text_of(client, "#inspection-units tbody").await;
    assert!(row.contains("総務課") && row.contains("0 /"), "{row}");
    log_out(client).await;

    // The 課室's 管理者 finds it waiting and answers.
    log_in(client, &base, "takahashi", PASSWORD).await;
    wait_for_text(client, "#waiting-inspections", "総務課").await;
    click(client, "#waiting-inspections a").await;
    wait_for_text(client, "#inspection-unit", "総務課").await;
    let items = client
        .find_all(Locator::Css("form.answer-form"))
        .await
        .expect("answer forms")
        .len();
    assert!(items > 2, "only {items} items");
    // Nothing to sign off for the 管理者, and no answer from last year.
    assert!(
        client
            .find(Locator::Id("inspection-sign-off"))
            .await
            .is_err()
    );
    let first = "form.answer-form";
    element(client, &format!("{first} select[name='status']"))
        .await
        .select_by_value("not")
        .await
        .expect("未実施 chosen");
    type_into(
        client,
        &format!("{first} input[name='note']"),
        "手順書が未整備",
    )
    .await;
    click(client, &format!("{first} button[type='submit']")).await;
    wait_for_text(client, "#inspection-progress", &format!("1 / {items}")).await;
    assert!(
        url(client)
            .await
            .contains(&format!("/inspections/{inspection}/units/{unit}"))
    );
    let token = token_for(data, "takahashi").await;
    let (i, u) = (inspection.clone(), unit.clone());
    let sent = tokio::task::spawn_blocking(move || answer_the_rest(addr, &token, &i, &u))
        .await
        .expect("answers sent");
    assert_eq!(sent, items - 1);
    client.refresh().await.expect("reload");
    wait_for_text(
        client,
        "#inspection-progress",
        &format!("{items} / {items}"),
    )
    .await;
    log_out(client).await;

    // The organisation's 責任者 signs the result off and is shown the findings.
    log_in(client, &base, "kimura", PASSWORD).await;
    wait_for_text(client, "#waiting-inspections", "総務課").await;
    client
        .goto(&format!("{base}/inspections/{inspection}/units/{unit}"))
        .await
        .expect("the unit's page");
    type_into(
        client,
        "#inspection-sign-off textarea[name='note']",
        "内容を確認した",
    )
    .await;
    click(client, "#inspection-sign-off button[type='submit']").await;
    element(client, "#findings").await;
    let kinds: Vec<String> = {
        let rows = client
            .find_all(Locator::Css("#findings tbody tr"))
            .await
            .expect("finding rows");
        let mut kinds = Vec::new();
        for row in rows {
            kinds.push(
                row.attr("data-kind")
                    .await
                    .expect("data-kind")
                    .unwrap_or_default(),
            );
        }
        kinds.sort();
        kinds
    };
    assert_eq!(kinds, ["minor", "observation"]);
    // The 未実施 answer is the minor nonconformity, with the unit's own words.
    click(client, "#findings tbody tr[data-kind='minor'] a").await;
    wait_for_text(client, "#finding-detail", "手順書が未整備").await;
    client
        .goto(&format!("{base}/inspections/{inspection}/units/{unit}"))
        .await
        .expect("the unit's page");
    wait_for_text(client, "#inspection-signed", "kimura").await;
    assert!(client.find(Locator::Css("form.answer-form")).await.is_err());
    log_out(client).await;

    // The administrator plans the year's audit of the 課室: its own 管理者 is refused a place on
    // the team, with the reason; an auditor from outside is taken.
    log_in(client, &base, "admin", &admin_password).await;
    client
        .goto(&format!("{base}/audits"))
        .await
        .expect("audits page");
    element(client, "#audits-none").await;
    let plan = "#audit-create";
    type_into(
        client,
        &format!("{plan} input[name='title']"),
        "令和8年度 情報セキュリティ監査",
    )
    .await;
    client
        .execute(
            "document.querySelector('#audit-create input[name=period_from]').value = '2026-10-01'; \
             document.querySelector('#audit-create input[name=period_to]').value = '2026-11-30';",
            vec![],
        )
        .await
        .expect("period set");
    click(client, &format!("{plan} input[name='unit-{unit}']")).await;
    click(client, &format!("{plan} input[name='chapter-technical']")).await;
    click(client, &format!("{plan} button[type='submit']")).await;
    wait_for_text(client, "#audit-title", "令和8年度 情報セキュリティ監査").await;
    let audit_url = url(client).await;
    element(client, "#team-none").await;
    let member = element(client, "#audit-member-add select[name='person']").await;
    member
        .select_by_label("高橋 健 (総務課)")
        .await
        .expect("the 管理者 offered");
    click(client, "#audit-member-add button[type='submit']").await;
    wait_for_text(
        client,
        "#error-headline",
        "監査対象の課室に所属する職員は、この監査の監査人になれません(独立性)。",
    )
    .await;
    client.goto(&audit_url).await.expect("audit page");
    element(client, "#team-none").await;
    element(client, "#audit-member-add select[name='person']")
        .await
        .select_by_label("監査 五郎")
        .await
        .expect("the auditor offered");
    click(client, "#audit-member-add input[name='lead']").await;
    click(client, "#audit-member-add button[type='submit']").await;
    wait_for_text(client, "#audit-team", "監査 五郎").await;
    log_out(client).await;
}

#[tokio::test]
async fn browser_inspection_from_assignment_to_sign_off_raises_findings() {
    walk_in_browser(
        "browser_inspection_from_assignment_to_sign_off_raises_findings",
        &[],
        |client, at| async move { walk(client, at.addr, at.admin_password, &at.data).await },
    )
    .await;
}
