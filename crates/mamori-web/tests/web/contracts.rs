//! 委託事業者, contracts and 指定管理者 through the pages: the contractor's account reads the
//! asset and the 対策基準 its contract names and nothing else, and nothing at all once the
//! contract has ended; a contract is flagged for what it lacks and for checks overdue, and the
//! unit's 管理者 records checks until the flag clears; an administrator registers a contractor
//! and a contract from the forms.

use axum::http::StatusCode;

use crate::harness::*;

const DAY: i64 = 86_400;

/// The HTML of the element with this id, up to the first `end` after it.
fn section(html: &str, id: &str, end: &str) -> String {
    let start = html.find(&format!("id=\"{id}\"")).unwrap_or(html.len());
    let rest = &html[start..];
    rest[..rest.find(end).unwrap_or(rest.len())].to_owned()
}

#[tokio::test]
async fn a_contractor_reads_what_the_contract_names_and_nothing_once_it_ends() {
    let app = App::new().await;
    let fx = &app.fx;
    let vendor = app.login(Who::Contractor).await;
    let status = async |path: String, browser: &Browser| app.get(&path, Some(browser)).await.status;

    assert_eq!(
        status(format!("/assets/{}", fx.asset_open_a1), &vendor).await,
        StatusCode::OK
    );
    for other in [fx.asset_secret_a1, fx.asset_open_b1] {
        assert_eq!(
            status(format!("/assets/{other}"), &vendor).await,
            StatusCode::NOT_FOUND,
            "asset {other}"
        );
    }
    assert_eq!(
        status("/assets".into(), &vendor).await,
        StatusCode::FORBIDDEN
    );
    let named = fx.policy_review[0];
    assert_eq!(
        status(format!("/policies/{named}/versions/1"), &vendor).await,
        StatusCode::OK
    );
    for other in [fx.policy_review[1], fx.policy_draft[0], fx.policy_basic] {
        assert_eq!(
            status(format!("/policies/{other}/versions/1"), &vendor).await,
            StatusCode::NOT_FOUND,
            "policy {other}"
        );
    }
    let list = app.get("/policies", Some(&vendor)).await.text();
    assert!(list.contains(&format!("/policies/{named}\"")), "{list}");
    assert!(!list.contains(&format!("/policies/{}\"", fx.policy_review[1])));

    let contracts = app.get("/contracts", Some(&vendor)).await;
    assert_eq!(contracts.status, StatusCode::OK);
    assert!(
        contracts
            .text()
            .contains(&format!("/contracts/{}\"", fx.contract))
    );
    let page = app
        .get(&format!("/contracts/{}", fx.contract), Some(&vendor))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let assets = section(&page.text(), "agreement-assets", "</ul>");
    assert!(assets.contains("庁内ポータル"), "{assets}");
    assert!(
        !page.text().contains("id=\"agreement-verify\""),
        "not theirs to check"
    );
    assert!(
        !page.text().contains("id=\"agreement-form\""),
        "not theirs to change"
    );
    assert_eq!(
        status(format!("/designated-managers/{}", fx.designated), &vendor).await,
        StatusCode::NOT_FOUND
    );

    // After 2027-03-31 the contract is over: the same account reads none of it.
    app.clock.advance_secs(130 * DAY);
    let vendor = app.login(Who::Contractor).await;
    for path in [
        format!("/assets/{}", fx.asset_open_a1),
        format!("/policies/{named}/versions/1"),
        format!("/policies/{named}"),
    ] {
        assert_eq!(
            status(path.clone(), &vendor).await,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let page = app
        .get(&format!("/contracts/{}", fx.contract), Some(&vendor))
        .await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "their own contract stays readable"
    );
    assert!(page.text().contains("id=\"agreement-ended\""));
}

#[tokio::test]
async fn a_contract_is_flagged_until_its_unit_checks_every_requirement() {
    let app = App::new().await;
    let fx = &app.fx;
    let manager = app.login(Who::Manager).await;
    let path = format!("/contracts/{}", fx.contract);
    // Started 2026-04-01 and never checked: overdue on 2026-11-25; two mandatory requirements
    // (再委託の制限, 返却・廃棄) missing; not ending yet.
    let page = app.get(&path, Some(&manager)).await.text();
    assert!(page.contains("id=\"agreement-unverified\""), "{page}");
    assert!(page.contains("id=\"agreement-missing\""));
    assert!(!page.contains("id=\"agreement-ending-soon\""));
    let list = app.get("/contracts", Some(&manager)).await.text();
    assert!(list.contains("unverified"), "{list}");
    // It waits on the 管理者's home page, and not on the contractor's.
    let home = section(
        &app.get("/", Some(&manager)).await.text(),
        "waiting-agreements",
        "</ul>",
    );
    assert!(
        home.contains(&format!("/contracts/{}\"", fx.contract)),
        "{home}"
    );
    let vendor = app.login(Who::Contractor).await;
    let theirs = app.get("/", Some(&vendor)).await.text();
    assert!(!theirs.contains("waiting-agreements"), "{theirs}");

    let check = async |requirement: &str| {
        app.post(
            &format!("{path}/verifications"),
            &manager,
            &[
                ("requirement", requirement),
                ("outcome", "met"),
                ("checked_on", "2026-11-24"),
                ("note", "誓約書と連絡体制表を確認"),
            ],
        )
        .await
    };
    let refused = check("return_disposal").await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "not carried");
    assert_eq!(check("confidentiality").await.status.as_u16(), GO);
    let page = app.get(&path, Some(&manager)).await.text();
    assert!(page.contains("id=\"agreement-unverified\""), "one left");
    assert_eq!(check("incident_reporting").await.status.as_u16(), GO);
    let page = app.get(&path, Some(&manager)).await.text();
    assert!(!page.contains("id=\"agreement-unverified\""), "{page}");
    let checks = section(&page, "agreement-verifications", "</table>");
    assert!(checks.contains("manager"), "{checks}");
    assert_eq!(app.audit("agreement.verify").await.len(), 2);

    // Within 60 days of 2027-03-31 it is ending soon.
    app.clock.advance_secs(70 * DAY);
    let manager = app.login(Who::Manager).await;
    let page = app.get(&path, Some(&manager)).await.text();
    assert!(page.contains("id=\"agreement-ending-soon\""), "{page}");
}

#[tokio::test]
async fn an_administrator_registers_a_contractor_and_a_contract_from_the_forms() {
    let app = App::new().await;
    let ciso = app.login(Who::Ciso).await;
    let made = app
        .post(
            "/contractors",
            &ciso,
            &[
                ("name", "株式会社ひかり情報"),
                ("contact_person", "光 一郎"),
                ("phone", "03-9999-0000"),
                ("email", "info@hikari.example.jp"),
            ],
        )
        .await;
    assert_eq!(made.status.as_u16(), GO);
    let company = made
        .location()
        .and_then(|l| l.strip_prefix("/contractors/"))
        .unwrap()
        .to_owned();
    let unit = app.fx.unit_a1.to_string();
    let asset = format!("asset-{}", app.fx.asset_secret_a1);
    let person = format!("person-{}", app.fx.contractor_person);
    let made = app
        .post(
            "/contracts",
            &ciso,
            &[
                ("contractor", &company),
                ("title", "人事給与システム運用"),
                ("description", "運用・保守"),
                ("unit", &unit),
                ("starts_on", "2026-10-01"),
                ("ends_on", "2027-09-30"),
                ("requirement-subcontracting", "1"),
                ("requirement-confidentiality", "1"),
                ("requirement-incident_reporting", "1"),
                ("requirement-return_disposal", "1"),
                ("class-3", "1"),
                (&asset, "1"),
                (&person, "1"),
            ],
        )
        .await;
    assert_eq!(made.status.as_u16(), GO, "{}", made.text());
    let path = made.location().unwrap().to_owned();
    let page = app.get(&path, Some(&ciso)).await.text();
    assert!(page.contains("人事給与システム"), "{page}");
    assert!(!page.contains("id=\"agreement-missing\""));
    assert!(
        !page.contains("id=\"agreement-unverified\""),
        "started less than 180 days ago"
    );
    // The contractor's account now reads the 機密性3 asset the new contract names.
    let vendor = app.login(Who::Contractor).await;
    let asset_page = app
        .get(
            &format!("/assets/{}", app.fx.asset_secret_a1),
            Some(&vendor),
        )
        .await;
    assert_eq!(asset_page.status, StatusCode::OK);
    // A form with a person who is not a contractor is refused by the store.
    let staff_person = app
        .fx
        .users
        .iter()
        .find(|(w, _, _)| *w == Who::Staff)
        .unwrap()
        .2
        .to_string();
    let refused = app
        .post(
            &path,
            &ciso,
            &[
                ("contractor", &company),
                ("title", "人事給与システム運用"),
                ("unit", &unit),
                ("starts_on", "2026-10-01"),
                ("ends_on", "2027-09-30"),
                (&format!("person-{staff_person}"), "1"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    // Malformed ids in the ticked boxes are refused as their field.
    let refused = app
        .post(
            "/contracts",
            &ciso,
            &[
                ("contractor", &company),
                ("title", "x"),
                ("unit", &unit),
                ("starts_on", "2026-10-01"),
                ("ends_on", "2027-09-30"),
                ("asset-abc", "1"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.audit("contractor.create").await.len(),
        2,
        "fixture's and this one"
    );
}
