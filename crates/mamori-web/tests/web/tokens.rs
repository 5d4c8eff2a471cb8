//! API tokens through the application: their page under `/account`, expiry, revocation, the
//! read-only scope; and the account whose password must be changed before anything else.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use mamori_core::authz::{ManageAccounts, authorize};
use mamori_core::text::Username;
use mamori_core::{Clock, PersonId, Role, Scope};
use mamori_store::{AccountStore, NewAccount, Origin};
use mamori_web::i18n::Lang;
use serde_json::Value;

use crate::harness::*;

/// An API request with a bearer token (and a JSON body for the methods that take one).
async fn api(
    app: &App,
    method: Method,
    path: &str,
    token: &str,
    lang: Lang,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method.clone())
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::ACCEPT_LANGUAGE, lang.code());
    let body = if method == Method::GET {
        Body::empty()
    } else {
        request = request.header(header::CONTENT_TYPE, "application/json");
        Body::from("{}")
    };
    let response = app
        .send(request.body(body).unwrap(), Who::Ciso.address())
        .await;
    let json = serde_json::from_slice(&response.bytes).unwrap_or(Value::Null);
    (response.status, json)
}

/// A signed-in browser whose CSRF token is read from the password page, the one page an
/// account that must change its password may open.
async fn browser_of(app: &App, username: &str, password: &str) -> Browser {
    let address = Who::NoRole.address();
    let login = app.try_login(username, password, address).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.text());
    let cookie = format!(
        "mamori_session={}",
        login.set_cookie("mamori_session").expect("session cookie")
    );
    let mut browser = Browser {
        cookie,
        csrf: String::new(),
        address,
    };
    let page = app.get("/account/password", Some(&browser)).await;
    assert_eq!(page.status, StatusCode::OK);
    browser.csrf = hidden_csrf(&page.text()).expect("CSRF token");
    browser
}

#[tokio::test]
async fn the_tokens_page_lists_ones_own_tokens_and_revokes_them() {
    let app = App::new().await;
    let (read_only, read_only_token) = app.api_token(Who::Staff, true).await;
    let (other, _) = app.api_token(Who::Manager, false).await;
    let staff = app.login(Who::Staff).await;
    let account = app.get("/account", Some(&staff)).await.text();
    assert!(account.contains("href=\"/account/tokens\""), "{account}");

    let page = app.get("/account/tokens", Some(&staff)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("token of staff"), "{html}");
    assert!(html.contains(Lang::Ja.t("tokens.read_only")));
    assert!(
        html.contains(Lang::Ja.t("tokens.read_write")),
        "the fixture's token"
    );
    assert!(html.contains(&format!("/account/tokens/{read_only}/revoke")));
    assert!(!html.contains(&format!("/account/tokens/{other}/revoke")));
    assert!(!html.contains("token of manager"));
    // Times are shown in JST; a token not yet used says so.
    assert!(html.contains("2026-11-25 09:00:00"), "{html}");
    assert!(
        html.contains("2027-02-23 09:00:00"),
        "expires in 90 days: {html}"
    );
    assert_eq!(html.matches(Lang::Ja.t("tokens.never_used")).count(), 2);
    let (status, _) = api(&app, Method::GET, "/api/v1/me", &read_only_token, Lang::Ja).await;
    assert_eq!(status, StatusCode::OK);
    let html = app.get("/account/tokens", Some(&staff)).await.text();
    assert_eq!(html.matches(Lang::Ja.t("tokens.never_used")).count(), 1);

    // Revoking needs the form's CSRF token, like every change.
    let path = format!("/account/tokens/{read_only}/revoke");
    let forged = app
        .post_raw(&path, &staff, form(&[("_csrf", "wrong")]))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let before = app.audit("api_token.revoke").await.len();
    let revoked = app.post(&path, &staff, &[]).await;
    assert_eq!(
        (revoked.status, revoked.location()),
        (StatusCode::SEE_OTHER, Some("/account/tokens"))
    );
    let records = app.audit("api_token.revoke").await;
    assert_eq!(records.len(), before + 1);
    let record = records.first().expect("newest first");
    assert_eq!(record.event.actor_name, "staff");
    assert_eq!(record.event.detail["token_id"], read_only);
    let (status, body) = api(&app, Method::GET, "/api/v1/me", &read_only_token, Lang::Ja).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        !app.get("/account/tokens", Some(&staff))
            .await
            .text()
            .contains(&path)
    );
    // Once revoked, and someone else's: not found.
    assert_eq!(
        app.post(&path, &staff, &[]).await.status,
        StatusCode::NOT_FOUND
    );
    let others = format!("/account/tokens/{other}/revoke");
    assert_eq!(
        app.post(&others, &staff, &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_refused_on_the_api() {
    let app = App::new().await;
    let (_, token) = app.api_token(Who::Ciso, false).await;
    let (status, _) = api(&app, Method::GET, "/api/v1/me", &token, Lang::Ja).await;
    assert_eq!(status, StatusCode::OK);
    app.clock.advance_secs(90 * 86_400 + 1);
    let (status, body) = api(&app, Method::GET, "/api/v1/me", &token, Lang::En).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthenticated");

    // A new password revokes every token of the account; so does disabling it.
    let (_, staff_token) = app.api_token(Who::Staff, false).await;
    let (_, spare) = app.api_token(Who::Staff, true).await;
    let staff = app.login(Who::Staff).await;
    let changed = app
        .post(
            "/account/password",
            &staff,
            &[("current", PASSWORD), ("new_password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    for token in [&staff_token, &spare] {
        let (status, _) = api(&app, Method::GET, "/api/v1/me", token, Lang::Ja).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (_, norole_token) = app.api_token(Who::NoRole, false).await;
    let grant = authorize::<ManageAccounts>(&admin_actor(), &()).unwrap();
    app.store
        .set_account_disabled(&grant, app.fx.user(Who::NoRole), true, &Origin::system("t"))
        .await
        .unwrap();
    app.store
        .set_account_disabled(
            &grant,
            app.fx.user(Who::NoRole),
            false,
            &Origin::system("t"),
        )
        .await
        .unwrap();
    let (status, _) = api(&app, Method::GET, "/api/v1/me", &norole_token, Lang::Ja).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a token outlived the disabling"
    );
}

/// Every route of the API but a `GET` refuses a read-only token, before it looks at the body,
/// whoever holds it; the same routes read.
#[tokio::test]
async fn a_read_only_token_reads_and_is_refused_every_change() {
    let app = App::new().await;
    let (_, token) = app.api_token(Who::Ciso, true).await;
    let mut wrong = Vec::new();
    for (method, path) in mamori_web::api_routes() {
        let path = path
            .replace("{id}", "1")
            .replace("{dimension}", "integrity")
            .replace("{code}", "1");
        let (status, body) = api(&app, method.clone(), &path, &token, Lang::Ja).await;
        if method == Method::GET {
            if status == StatusCode::FORBIDDEN {
                wrong.push(format!("GET {path}: {status} {body}"));
            }
        } else if status != StatusCode::FORBIDDEN || body["error"] != "read_only_token" {
            wrong.push(format!("{method} {path}: {status} {body}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let (_, ja) = api(
        &app,
        Method::POST,
        "/api/v1/organisations",
        &token,
        Lang::Ja,
    )
    .await;
    assert_eq!(ja["message"], Lang::Ja.t("error.read_only_token"));
    assert!(ja["message"].as_str().unwrap().contains("読み取り専用"));
    let (_, en) = api(&app, Method::DELETE, "/api/v1/segments/1", &token, Lang::En).await;
    assert_eq!(
        en["message"],
        "This API token may only read; make changes with a token that may write."
    );
    let (status, me) = api(&app, Method::GET, "/api/v1/me", &token, Lang::Ja).await;
    assert_eq!(
        (status, me["username"].as_str()),
        (StatusCode::OK, Some("ciso"))
    );
    // A route that does not exist is still not found, and a wrong method still not allowed.
    let (status, _) = api(
        &app,
        Method::POST,
        "/api/v1/no-such-route",
        &token,
        Lang::Ja,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api(&app, Method::PUT, "/api/v1/me", &token, Lang::Ja).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    // A token that may write changes things as before.
    let (_, writer) = app.api_token(Who::Ciso, false).await;
    let (status, body) = api(
        &app,
        Method::POST,
        "/api/v1/organisations",
        &writer,
        Lang::Ja,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn an_initial_password_must_be_changed_before_anything_else() {
    let app = App::new().await;
    let user = app
        .store
        .provision_account(
            person_input("初期管理者", None),
            NewAccount {
                username: Username::parse("admin").unwrap(),
                person_id: PersonId(0),
                password_hash: password_hash(),
                language: "ja".into(),
                must_change_password: true,
            },
            Some((Role::Ciso, Scope::Global)),
            &Origin::system("first start"),
        )
        .await
        .unwrap();
    let token = format!(
        "mamori_{}",
        mamori_core::credentials::random_token(&mut rand::rngs::OsRng)
    );
    app.store
        .create_api_token(
            mamori_store::NewApiToken {
                user_id: user,
                name: name("early"),
                token_digest: mamori_core::credentials::token_digest(&token),
                expires_at: app.clock.now_ms() + 86_400_000,
                read_only: false,
            },
            &Origin::system("token create"),
        )
        .await
        .unwrap();
    let admin = browser_of(&app, "admin", PASSWORD).await;

    // Every page leads to the change of the password.
    for path in [
        "/",
        "/people",
        "/account",
        "/account/tokens",
        "/assets",
        "/audit",
        "/login",
        "/no-such-page",
    ] {
        let response = app.get(path, Some(&admin)).await;
        assert_eq!(
            (response.status, response.location()),
            (StatusCode::SEE_OTHER, Some("/account/password")),
            "GET {path}"
        );
    }
    let post = app
        .post("/organisations", &admin, &[("code", "X"), ("name", "機関")])
        .await;
    assert_eq!(
        (post.status, post.location()),
        (StatusCode::SEE_OTHER, Some("/account/password"))
    );
    let form = app.get("/account/password", Some(&admin)).await.text();
    assert!(form.contains("id=\"password-required\""), "{form}");
    assert!(form.contains(Lang::Ja.t("password.must_change")));
    assert_eq!(
        app.get("/static/app.css", Some(&admin)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/healthz", Some(&admin)).await.status,
        StatusCode::OK
    );

    // The API refuses the account, by its session or its token, and says why.
    let session_api = Request::get("/api/v1/me")
        .header(header::COOKIE, &admin.cookie)
        .body(Body::empty())
        .unwrap();
    let refused = app.send(session_api, admin.address).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let body: Value = serde_json::from_slice(&refused.bytes).unwrap();
    assert_eq!(body["error"], "password_change_required");
    for lang in [Lang::Ja, Lang::En] {
        let (status, body) = api(&app, Method::GET, "/api/v1/people", &token, lang).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["error"], "password_change_required");
        assert_eq!(body["message"], lang.t("error.password_change_required"));
    }

    // A wrong current password changes nothing.
    let wrong = app
        .post(
            "/account/password",
            &admin,
            &[
                ("current", "not the password"),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        app.store
            .credentials(user)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    let changed = app
        .post(
            "/account/password",
            &admin,
            &[("current", PASSWORD), ("new_password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    assert!(
        !app.store
            .credentials(user)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    assert_eq!(app.get("/", Some(&admin)).await.status, StatusCode::OK);
    assert_eq!(
        app.get("/people", Some(&admin)).await.status,
        StatusCode::OK
    );
    let form = app.get("/account/password", Some(&admin)).await.text();
    assert!(!form.contains("id=\"password-required\""));
    // The token made before the change was revoked with it.
    let (status, _) = api(&app, Method::GET, "/api/v1/me", &token, Lang::Ja).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Logging out was open throughout; it still is.
    let out = app.post("/logout", &admin, &[]).await;
    assert_eq!(out.location(), Some("/login"));
}

#[tokio::test]
async fn logging_out_is_open_before_the_password_is_changed() {
    let app = App::new().await;
    app.store
        .provision_account(
            person_input("新任 職員", Some(app.fx.unit_a1)),
            NewAccount {
                username: Username::parse("shinnin").unwrap(),
                person_id: PersonId(0),
                password_hash: password_hash(),
                language: "ja".into(),
                must_change_password: true,
            },
            None,
            &Origin::system("user create"),
        )
        .await
        .unwrap();
    let browser = browser_of(&app, "shinnin", PASSWORD).await;
    let out = app.post("/logout", &browser, &[]).await;
    assert_eq!(
        (out.status, out.location()),
        (StatusCode::SEE_OTHER, Some("/login"))
    );
    assert!(
        app.get("/account/password", Some(&browser))
            .await
            .is_login_redirect()
    );
}
