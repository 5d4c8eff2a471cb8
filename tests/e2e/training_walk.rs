//! Training in a real headless Chromium: the first administrator sets up 管理者 with one 課室
//! and opens a course for it, due in a week; a member of staff of the 課室 finds it on the home
//! page among what is due, and marks it 完了 on their own list; the 課室's 管理者 sees the
//! progress (one of three) and who has not completed it yet.

use std::net::SocketAddr;
use std::path::Path;

use fantoccini::Client;

use crate::browser::{
    change_initial_password, click, element, organisation_and_unit, text_of, type_into,
    wait_for_text, walk_in_browser,
};
use crate::policy_walk::{log_in, log_out, user_create};
use crate::support::PASSWORD;

async fn walk(client: Client, addr: SocketAddr, admin_password: String, data: &Path) {
    let base = format!("http://{addr}");
    let client = &client;
    log_in(client, &base, "admin", &admin_password).await;
    change_initial_password(client, &base, &admin_password).await;
    let (_, unit) = organisation_and_unit(client, &base, "総務課").await;
    let on_unit = format!("unit:{unit}");
    for (username, name, role) in [
        ("yamamoto", "山本 大輔", "staff"),
        ("nakamura", "中村 さくら", "staff"),
        ("takahashi", "高橋 健", "security_manager"),
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

    // The administrator opens a course for the 課室, due in a week.
    client
        .goto(&format!("{base}/training"))
        .await
        .expect("training page");
    element(client, "#training-courses-none").await;
    let create = "#training-create";
    type_into(client, &format!("{create} input[name='code']"), "sec-2026").await;
    type_into(
        client,
        &format!("{create} input[name='title']"),
        "情報セキュリティ研修",
    )
    .await;
    let due = (chrono::Utc::now()
        .with_timezone(&mamori_core::time::JST)
        .date_naive()
        + chrono::Days::new(7))
    .to_string();
    client
        .execute(
            &format!(
                "document.querySelector('#training-create input[name=due_on]').value = '{due}';"
            ),
            vec![],
        )
        .await
        .expect("due date set");
    click(client, &format!("{create} input[name='unit-{unit}']")).await;
    click(client, &format!("{create} button[type='submit']")).await;
    wait_for_text(client, "#course-title", "情報セキュリティ研修").await;
    let notice = text_of(client, "#training-assigned").await;
    assert!(
        notice.contains('3'),
        "assigned to the three of the 課室: {notice}"
    );
    let total = text_of(client, "#course-total").await;
    assert!(total.contains('3') && total.contains('0'), "{total}");
    log_out(client).await;

    // A member of staff finds it due on the home page and completes it.
    log_in(client, &base, "yamamoto", PASSWORD).await;
    wait_for_text(client, "#waiting-training", "情報セキュリティ研修").await;
    let due_soon = element(client, "#waiting-training li")
        .await
        .attr("data-standing")
        .await
        .expect("standing")
        .unwrap_or_default();
    assert_eq!(due_soon, "due_soon");
    click(client, "#nav-training").await;
    let row = "#training-mine tr[data-code='SEC-2026']";
    wait_for_text(client, row, "期限間近").await;
    click(client, &format!("{row} button.complete")).await;
    wait_for_text(client, &format!("{row} span.flag"), "完了").await;
    let standing = element(client, row)
        .await
        .attr("data-standing")
        .await
        .expect("standing")
        .unwrap_or_default();
    assert_eq!(standing, "completed");
    assert!(
        client
            .find(fantoccini::Locator::Css(&format!("{row} button.complete")))
            .await
            .is_err(),
        "no 完了 button once completed"
    );
    log_out(client).await;

    // The 課室's 管理者 sees the progress and who has not completed it.
    log_in(client, &base, "takahashi", PASSWORD).await;
    client
        .goto(&format!("{base}/training"))
        .await
        .expect("training page");
    click(client, "#training-courses tr[data-code='SEC-2026'] a").await;
    let progress = format!("#course-progress tr[data-unit='{unit}']");
    wait_for_text(client, &progress, "総務課").await;
    assert_eq!(
        text_of(client, &format!("{progress} td.completed")).await,
        "1"
    );
    assert_eq!(
        text_of(client, &format!("{progress} td.assigned")).await,
        "3"
    );
    click(client, &format!("{progress} a")).await;
    wait_for_text(client, "#pending-count", "2").await;
    let members = text_of(client, "#unit-members").await;
    assert!(
        members.contains("中村 さくら") && members.contains("高橋 健"),
        "{members}"
    );
    log_out(client).await;
}

#[tokio::test]
async fn browser_training_opened_for_a_unit_completed_by_staff_and_followed_by_its_manager() {
    walk_in_browser(
        "browser_training_opened_for_a_unit_completed_by_staff_and_followed_by_its_manager",
        &[],
        |client, at| async move { walk(client, at.addr, at.admin_password, &at.data).await },
    )
    .await;
}
