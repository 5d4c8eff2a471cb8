//! The asset register through the real application on a temporary SQLite store: access by class,
//! the audit of restricted reads, flags on the pages, filters, the summary chart and refused input.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use mamori_core::audit::AuditKey;
use mamori_core::authz::{ViewAudit, authorize};
use mamori_core::credentials::{random_token, token_digest};
use mamori_core::text::{Name, Username};
use mamori_core::{PersonId, Role, Scope, UnitId, UserId};
use mamori_store::{
    AccountStore, AuditFilter, AuditStore, NewAccount, NewSession, Origin, PersonInput, SqlStore,
    Store, SystemClock,
};
use mamori_web::{AppState, WebConfig};
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt;

struct Reply {
    status: StatusCode,
    text: String,
}

impl Reply {
    #[track_caller]
    fn json(&self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text);
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    #[track_caller]
    fn page(&self, status: StatusCode) -> &str {
        assert_eq!(self.status, status, "body: {}", self.text);
        &self.text
    }
}

/// A member of the organisation with an API token and a browser session.
#[derive(Default)]
struct Member {
    token: String,
    cookie: String,
    csrf: String,
}

struct World {
    _dir: TempDir,
    store: Arc<SqlStore>,
    app: Router,
    ciso: Member,
    unit_a: i64,
    unit_b: i64,
    staff_a: Member,
    staff_b: Member,
    manager_a: Member,
}

async fn member(
    store: &SqlStore,
    username: &str,
    unit: Option<i64>,
    role: Option<(Role, Scope)>,
) -> Member {
    let origin = Origin::system("test");
    let user = store
        .provision_account(
            PersonInput {
                name: Name::parse("name", &format!("職員 {username}")).unwrap(),
                unit_id: unit.map(UnitId),
                title: String::new(),
                email: None,
                phone: String::new(),
                external: false,
            },
            NewAccount {
                username: Username::parse(username).unwrap(),
                person_id: PersonId(0),
                password_hash: "unused".into(),
                language: "ja".into(),
            },
            role,
            &origin,
        )
        .await
        .unwrap();
    let token = format!("mamori_{}", random_token(&mut rand::rngs::OsRng));
    store
        .create_api_token(user, "test", &token_digest(&token), &origin)
        .await
        .unwrap();
    let session = random_token(&mut rand::rngs::OsRng);
    let csrf = random_token(&mut rand::rngs::OsRng);
    store
        .create_session(NewSession {
            token_digest: token_digest(&session),
            user_id: user,
            csrf_token: csrf.clone(),
            mfa_pending: false,
            expires_at: i64::MAX / 2,
            address: "test".into(),
            user_agent: "test".into(),
        })
        .await
        .unwrap();
    Member {
        token,
        cookie: format!("mamori_session={session}"),
        csrf,
    }
}

async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Reply {
        status,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

impl World {
    async fn api(&self, who: &Member, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", who.token));
        let body = match body {
            Some(value) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(value.to_string())
            }
            None => Body::empty(),
        };
        send(&self.app, builder.body(body).unwrap()).await
    }

    async fn page(&self, who: &Member, path: &str) -> Reply {
        let request = Request::builder()
            .uri(path)
            .header(header::COOKIE, &who.cookie)
            .body(Body::empty())
            .unwrap();
        send(&self.app, request).await
    }

    async fn form(&self, who: &Member, path: &str, pairs: &[(&str, &str)], lang: &str) -> Reply {
        let mut body = form_urlencoded::Serializer::new(String::new());
        body.append_pair("_csrf", &who.csrf);
        for (k, v) in pairs {
            body.append_pair(k, v);
        }
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, &who.cookie)
            .header(header::ACCEPT_LANGUAGE, lang)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.finish()))
            .unwrap();
        send(&self.app, request).await
    }

    async fn create(
        &self,
        name: &str,
        unit: i64,
        segment: &str,
        c: &str,
        addresses: &[&str],
    ) -> i64 {
        self.api(
            &self.ciso,
            Method::POST,
            "/api/v1/assets",
            Some(json!({
                "kind": "system", "name": name, "owner_unit_id": unit, "segment": segment,
                "addresses": addresses, "confidentiality": c, "integrity": "2", "availability": "2",
            })),
        )
        .await
        .json(StatusCode::CREATED)["id"]
            .as_i64()
            .unwrap()
    }
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqlStore::open_sqlite(
            &dir.path().join("mamori.db"),
            AuditKey::generate(&mut rand::rngs::OsRng),
            Arc::new(SystemClock),
        )
        .await
        .unwrap(),
    );
    let app = mamori_web::router(AppState::new(
        store.clone() as Arc<dyn Store>,
        Arc::new(SystemClock),
        WebConfig::default(),
    ));
    let ciso = member(&store, "ciso", None, Some((Role::Ciso, Scope::Global))).await;
    let mut w = World {
        _dir: dir,
        store: store.clone(),
        app,
        ciso,
        unit_a: 0,
        unit_b: 0,
        staff_a: Member::default(),
        staff_b: Member::default(),
        manager_a: Member::default(),
    };
    let org = w
        .api(
            &w.ciso,
            Method::POST,
            "/api/v1/organisations",
            Some(json!({"code": "kanri", "name": "管理者"})),
        )
        .await
        .json(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();
    let mut units = Vec::new();
    for name in ["住民課", "情報政策課"] {
        units.push(
            w.api(
                &w.ciso,
                Method::POST,
                "/api/v1/units",
                Some(json!({"org_id": org, "name": name})),
            )
            .await
            .json(StatusCode::CREATED)["id"]
                .as_i64()
                .unwrap(),
        );
    }
    (w.unit_a, w.unit_b) = (units[0], units[1]);
    w.staff_a = member(
        &store,
        "staff.a",
        Some(w.unit_a),
        Some((Role::Staff, Scope::Unit(UnitId(w.unit_a)))),
    )
    .await;
    w.staff_b = member(
        &store,
        "staff.b",
        Some(w.unit_b),
        Some((Role::Staff, Scope::Unit(UnitId(w.unit_b)))),
    )
    .await;
    w.manager_a = member(
        &store,
        "manager.a",
        Some(w.unit_a),
        Some((Role::SecurityManager, Scope::Unit(UnitId(w.unit_a)))),
    )
    .await;
    for (code, name, ranges) in [
        ("LGWAN", "LGWAN接続系", json!(["10.20.0.0/16"])),
        ("INTERNET", "インターネット接続系", json!(["172.16.0.0/16"])),
    ] {
        w.api(
            &w.ciso,
            Method::POST,
            "/api/v1/segments",
            Some(json!({"code": code, "name": name, "ranges": ranges})),
        )
        .await
        .json(StatusCode::CREATED);
    }
    w
}

async fn reads_of(store: &SqlStore, asset: i64) -> Vec<String> {
    let admin = store.actor(UserId(1)).await.unwrap().unwrap();
    let grant = authorize::<ViewAudit>(&admin, &()).unwrap();
    store
        .list_audit(
            &grant,
            &AuditFilter {
                action_prefix: Some("asset.read".into()),
                limit: 100,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event.target_id == asset.to_string())
        .map(|r| r.event.actor_name)
        .collect()
}

#[tokio::test]
async fn another_units_staff_gets_404_for_a_confidential_asset_and_reads_are_audited() {
    let w = world().await;
    let secret = w
        .create("住民記録システム", w.unit_a, "LGWAN", "3", &[])
        .await;
    let open = w.create("庁内ポータル", w.unit_a, "LGWAN", "2", &[]).await;
    let path = format!("/api/v1/assets/{secret}");

    // Another unit's staff: as if it did not exist, in the API, on the page and in the list.
    w.api(&w.staff_b, Method::GET, &path, None)
        .await
        .json(StatusCode::NOT_FOUND);
    w.page(&w.staff_b, &format!("/assets/{secret}"))
        .await
        .page(StatusCode::NOT_FOUND);
    let list = w
        .api(&w.staff_b, Method::GET, "/api/v1/assets", None)
        .await
        .json(StatusCode::OK);
    assert_eq!(list["total"], 1);
    assert_eq!(list["assets"][0]["id"], open);
    let page = w.page(&w.staff_b, "/assets").await;
    assert!(!page.page(StatusCode::OK).contains("住民記録システム"));
    // Nor may they change it.
    w.api(
        &w.staff_b,
        Method::POST,
        &format!("{path}/reclassify"),
        Some(json!({"confidentiality": "1", "integrity": "1", "availability": "1"})),
    )
    .await
    .json(StatusCode::NOT_FOUND);
    assert!(reads_of(&w.store, secret).await.is_empty());

    // The owner unit's staff may read it, and each read is recorded under their name.
    let asset = w
        .api(&w.staff_a, Method::GET, &path, None)
        .await
        .json(StatusCode::OK);
    assert_eq!(asset["name"], "住民記録システム");
    let page = w.page(&w.staff_a, &format!("/assets/{secret}")).await;
    let html = page.page(StatusCode::OK);
    assert!(html.contains("asset-restricted"));
    assert!(
        html.contains("物理的破壊"),
        "the handling rules of 機密性3 are shown"
    );
    assert_eq!(reads_of(&w.store, secret).await, ["staff.a", "staff.a"]);
    // Reading an open asset is not a restricted read.
    w.api(
        &w.staff_b,
        Method::GET,
        &format!("/api/v1/assets/{open}"),
        None,
    )
    .await
    .json(StatusCode::OK);
    assert!(reads_of(&w.store, open).await.is_empty());
    // Staff see but do not manage.
    w.api(
        &w.staff_a,
        Method::PATCH,
        &path,
        Some(json!({"note": "変更"})),
    )
    .await
    .json(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn flags_show_on_the_page_and_in_the_flagged_list() {
    let w = world().await;
    let misplaced = w
        .create("課税システム", w.unit_a, "INTERNET", "3", &[])
        .await;
    let stray = w
        .create(
            "窓口端末",
            w.unit_a,
            "LGWAN",
            "2",
            &["10.20.1.5", "192.0.2.9"],
        )
        .await;
    let fine = w
        .create("公開Web", w.unit_a, "INTERNET", "1", &["172.16.0.10"])
        .await;

    let html = w.page(&w.manager_a, &format!("/assets/{misplaced}")).await;
    let html = html.page(StatusCode::OK);
    assert!(html.contains("asset-flags"));
    assert!(html.contains("分類上、このセグメントに置くことはできません"));
    let html = w.page(&w.manager_a, &format!("/assets/{stray}")).await;
    assert!(html.page(StatusCode::OK).contains("192.0.2.9 / LGWAN"));
    let html = w.page(&w.manager_a, &format!("/assets/{fine}")).await;
    assert!(!html.page(StatusCode::OK).contains("asset-flags"));

    let html = w.page(&w.manager_a, "/assets?flagged=1").await;
    let html = html.page(StatusCode::OK);
    assert!(html.contains("課税システム") && html.contains("窓口端末"));
    assert!(!html.contains("公開Web"));

    // Reclassified to 機密性1 on the page, the first one is no longer flagged.
    let reply = w
        .form(
            &w.manager_a,
            &format!("/assets/{misplaced}/reclassify"),
            &[
                ("confidentiality", "1"),
                ("integrity", "2"),
                ("availability", "2"),
                ("reason", "公開情報"),
            ],
            "ja",
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    let asset = w
        .api(
            &w.manager_a,
            Method::GET,
            &format!("/api/v1/assets/{misplaced}"),
            None,
        )
        .await
        .json(StatusCode::OK);
    assert_eq!(asset["flags"], json!([]));
    let summary = w
        .api(&w.staff_a, Method::GET, "/api/v1/assets/summary", None)
        .await
        .json(StatusCode::OK);
    assert_eq!(
        (summary["total"].as_i64(), summary["flagged"].as_i64()),
        (Some(3), Some(1))
    );
}

#[tokio::test]
async fn filters_sort_and_page_the_register() {
    let w = world().await;
    for (i, (name, unit, segment, c)) in [
        ("住民情報 1", w.unit_a, "LGWAN", "3"),
        ("住民情報 2", w.unit_a, "LGWAN", "2"),
        ("広報素材", w.unit_b, "INTERNET", "1"),
        ("例規集", w.unit_b, "LGWAN", "1"),
    ]
    .into_iter()
    .enumerate()
    {
        let id = w.create(name, unit, segment, c, &[]).await;
        assert!(id > i as i64);
    }
    let names = |v: &Value| -> Vec<String> {
        v["assets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let get = async |query: &str| {
        w.api(
            &w.ciso,
            Method::GET,
            &format!("/api/v1/assets?{query}"),
            None,
        )
        .await
        .json(StatusCode::OK)
    };
    assert_eq!(names(&get("segment=INTERNET").await), ["広報素材"]);
    assert_eq!(
        names(&get("confidentiality=%E6%A9%9F%E5%AF%86%E6%80%A7%EF%BC%91").await),
        ["例規集", "広報素材"]
    );
    assert_eq!(names(&get(&format!("unit={}", w.unit_a)).await).len(), 2);
    assert_eq!(names(&get("q=%E4%BD%8F%E6%B0%91").await).len(), 2, "住民");
    assert_eq!(names(&get("sort=class").await)[0], "住民情報 1");
    let page = get("limit=3&page=2").await;
    assert_eq!((page["total"].as_i64(), names(&page).len()), (Some(4), 1));
    let html = w
        .page(&w.ciso, "/assets?segment=INTERNET&sort=updated")
        .await;
    let html = html.page(StatusCode::OK);
    assert!(html.contains("広報素材") && !html.contains("例規集"));
}

#[tokio::test]
async fn refused_input_is_a_localised_4xx_never_a_500() {
    let w = world().await;
    let base = json!({
        "kind": "equipment", "name": "サーバ", "owner_unit_id": w.unit_a, "segment": "LGWAN",
        "confidentiality": "2", "integrity": "2", "availability": "2",
    });
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    for (body, field) in [
        (with("addresses", json!(["10.0.0.999"])), "addresses"),
        (with("addresses", json!(["10.20.0.0/24"])), "addresses"),
        (with("confidentiality", json!("極秘")), "confidentiality"),
        (with("integrity", json!("3")), "integrity"),
        (with("segment", json!("DMZ")), "segment"),
        (with("kind", json!("robot")), "kind"),
        (with("lifecycle", json!("disposed")), "lifecycle"),
        (with("hosts", json!(["bad host<>"])), "hosts"),
    ] {
        let reply = w
            .api(&w.ciso, Method::POST, "/api/v1/assets", Some(body))
            .await
            .json(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply["fields"][0]["field"], field, "{reply}");
        assert!(
            reply["fields"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains('。')),
            "Japanese message: {reply}"
        );
    }
    // A unit that does not exist.
    let reply = w
        .api(
            &w.ciso,
            Method::POST,
            "/api/v1/assets",
            Some(with("owner_unit_id", json!(9999))),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );

    // The form says the same on a page, in the user's language.
    let form = [
        ("kind", "system"),
        ("name", "文書管理"),
        ("owner_unit_id", ""),
        ("addresses", "10.1.1.1, example.jp"),
        ("confidentiality", "9"),
        ("integrity", "2"),
        ("availability", "2"),
    ];
    let reply = w.form(&w.manager_a, "/assets", &form, "ja").await;
    let html = reply.page(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("IPアドレスの形式が正しくありません。"),
        "{html}"
    );
    assert!(html.contains("機密性の値が選択肢にありません。"));
    assert!(html.contains("所属を入力してください。"));
    let reply = w.form(&w.manager_a, "/assets", &form, "en").await;
    assert!(
        reply
            .page(StatusCode::UNPROCESSABLE_ENTITY)
            .contains("IP addresses is not in a valid format.")
    );
    // Bad filters and bad segments.
    w.api(
        &w.ciso,
        Method::GET,
        "/api/v1/assets?confidentiality=5",
        None,
    )
    .await
    .json(StatusCode::UNPROCESSABLE_ENTITY);
    w.page(&w.ciso, "/assets?sort=price&page=-1")
        .await
        .page(StatusCode::UNPROCESSABLE_ENTITY);
    let reply = w
        .api(
            &w.ciso,
            Method::POST,
            "/api/v1/segments",
            Some(json!({"code": "DMZ", "name": "DMZ", "ranges": ["10.0.0.0/33"]})),
        )
        .await
        .json(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply["fields"][0]["field"], "ranges");
    w.api(
        &w.ciso,
        Method::POST,
        "/api/v1/segments",
        Some(json!({"code": "LGWAN", "name": "重複"})),
    )
    .await
    .json(StatusCode::CONFLICT);
}

#[tokio::test]
async fn summary_chart_and_the_split_switch() {
    let w = world().await;
    let old = w.create("人事給与", w.unit_a, "LGWAN", "3", &[]).await;
    w.create("広報", w.unit_b, "INTERNET", "1", &[]).await;
    let html = w.page(&w.staff_a, "/assets/summary").await;
    let html = html.page(StatusCode::OK);
    assert!(html.contains("<svg id=\"chart-confidentiality\""));
    assert!(html.contains("<svg id=\"chart-segment\""));
    assert_eq!(
        html.matches("<rect ").count(),
        6,
        "two bars in each of three charts"
    );
    assert!(!html.contains("<script>"), "no inline script");

    // Only administrators switch the split on; assets on the old 機密性3 are then flagged.
    let reply = w
        .form(
            &w.manager_a,
            "/classification/split",
            &[("split", "on")],
            "ja",
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = w
        .form(&w.ciso, "/classification/split", &[("split", "on")], "ja")
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    let html = w.page(&w.staff_a, "/classification").await;
    assert!(html.page(StatusCode::OK).contains("機密性3A"));
    let asset = w
        .api(
            &w.staff_a,
            Method::GET,
            &format!("/api/v1/assets/{old}"),
            None,
        )
        .await
        .json(StatusCode::OK);
    assert_eq!(asset["flags"][0]["kind"], "unknown_level");
    let classification = w
        .api(&w.staff_b, Method::GET, "/api/v1/classification", None)
        .await
        .json(StatusCode::OK);
    assert_eq!(classification["split"], true);
}
