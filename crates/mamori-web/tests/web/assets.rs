//! The asset register through the real application on a temporary SQLite store: access by class,
//! the audit of restricted reads, flags on the pages, filters, the summary chart and refused input.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use mamori_core::audit::AuditKey;
use mamori_core::authz::{ManageRegister, ViewAudit, authorize};
use mamori_core::credentials::{random_token, token_digest};
use mamori_core::text::{Name, Username};
use mamori_core::{PersonId, Role, Scope, UnitId, UserId};
use mamori_store::{
    AccountStore, AssetStore, AuditFilter, AuditStore, NewAccount, NewApiToken, NewSession, Origin,
    PersonInput, SqlStore, Store, SystemClock,
};
use mamori_web::{AppState, WebConfig};
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt;

struct Reply {
    status: StatusCode,
    text: String,
    bytes: Vec<u8>,
    location: Option<String>,
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
                must_change_password: false,
            },
            role,
            &origin,
        )
        .await
        .unwrap();
    let token = format!("mamori_{}", random_token(&mut rand::rngs::OsRng));
    store
        .create_api_token(
            NewApiToken {
                user_id: user,
                name: Name::parse("name", "test").unwrap(),
                token_digest: token_digest(&token),
                expires_at: i64::MAX,
                read_only: false,
            },
            &origin,
        )
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
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Reply {
        status,
        text: String::from_utf8_lossy(&bytes).into_owned(),
        bytes: bytes.to_vec(),
        location,
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

    /// A file sent as the body of `POST /api/v1/assets/import`.
    async fn api_upload(&self, who: &Member, bytes: &[u8], content_type: &str) -> Reply {
        let request = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/assets/import")
            .header(header::AUTHORIZATION, format!("Bearer {}", who.token))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(bytes.to_vec()))
            .unwrap();
        send(&self.app, request).await
    }

    /// The import form as a browser sends it: `multipart/form-data` with the CSRF field (when
    /// given) and the file.
    async fn upload(
        &self,
        who: &Member,
        csrf: Option<&str>,
        file_name: &str,
        bytes: &[u8],
    ) -> Reply {
        let boundary = "----mamoriTestBoundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        if let Some(token) = csrf {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = Request::builder()
            .method(Method::POST)
            .uri("/assets/import")
            .header(header::COOKIE, &who.cookie)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap();
        send(&self.app, request).await
    }

    /// The whole register as the store holds it, ids and times included.
    async fn register(&self) -> Vec<mamori_store::Asset> {
        let admin = self.store.actor(UserId(1)).await.unwrap().unwrap();
        let grant = authorize::<ManageRegister>(&admin, &()).unwrap();
        self.store.all_assets(&grant).await.unwrap()
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
    assert_eq!(
        (&list["total"], &list["total_more"]),
        (&json!(1), &json!(false))
    );
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

/// A search that matches more than a thousand assets past the page says "or more" and keeps
/// the next page's link, rather than counting the register.
#[tokio::test]
async fn a_broad_search_counts_a_thousand_ahead_and_pages_on() {
    let w = world().await;
    let admin = w.store.actor(UserId(1)).await.unwrap().unwrap();
    let many = mamori_store::COUNT_AHEAD + 60;
    let rows = (0..many)
        .map(|i| mamori_store::NewAsset {
            input: mamori_store::AssetInput {
                kind: mamori_core::asset::AssetKind::Equipment,
                name: Name::parse("name", &format!("端末 {i:05}")).unwrap(),
                owner_unit: UnitId(w.unit_a),
                administrator: None,
                location: String::new(),
                segment: None,
                hosts: vec![],
                addresses: vec![],
                lifecycle: mamori_core::asset::Lifecycle::InUse,
                note: String::new(),
            },
            classification: mamori_core::classification::Classification {
                confidentiality: "2".into(),
                integrity: "2".into(),
                availability: "2".into(),
            },
            disposal: None,
        })
        .collect();
    w.store
        .import_assets(
            &authorize::<ManageRegister>(&admin, &()).unwrap(),
            rows,
            &Origin::default(),
        )
        .await
        .unwrap();
    let list = w
        .api(
            &w.ciso,
            Method::GET,
            "/api/v1/assets?q=%E7%AB%AF%E6%9C%AB",
            None,
        )
        .await
        .json(StatusCode::OK);
    assert_eq!(
        (&list["total"], &list["total_more"]),
        (&json!(1000), &json!(true))
    );
    let html = w.page(&w.ciso, "/assets?q=%E7%AB%AF%E6%9C%AB").await;
    let html = html.page(StatusCode::OK);
    assert!(html.contains("件数: 1000 以上"), "{html}");
    assert!(html.contains("1 / 20+"), "{html}");
    assert!(html.contains("page=2\">次へ"), "{html}");
    // Near the end the count is whole, and the last page has no next link.
    let html = w
        .page(&w.ciso, "/assets?q=%E7%AB%AF%E6%9C%AB&page=21")
        .await;
    let html = html.page(StatusCode::OK);
    assert!(html.contains("件数: 1060</p>"), "{html}");
    assert!(
        html.contains("21 / 22</span>") && html.contains("page=22\">次へ"),
        "{html}"
    );
    let html = w
        .page(&w.ciso, "/assets?q=%E7%AB%AF%E6%9C%AB&page=22")
        .await;
    assert!(!html.page(StatusCode::OK).contains("次へ"));
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

    // Only administrators switch the split on; 機密性3 assets then become 3A (the default) and
    // wait for review, instead of falling off the scale.
    let reply = w
        .form(
            &w.manager_a,
            "/classification/split",
            &[("split", "on")],
            "ja",
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let html = w.page(&w.ciso, "/classification").await;
    let html = html.page(StatusCode::OK);
    assert!(html.contains("<option value=\"3A\" selected>"), "{html}");
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
    // 3A lives only in マイナンバー利用事務系, so the strictest default also flags the segment.
    assert_eq!(asset["confidentiality"], "3A");
    assert_eq!(
        asset["flags"],
        json!([
            {"kind": "segment_forbidden", "segment": "LGWAN", "level": "機密性3A"},
            {"kind": "split_review", "from": "3", "to": "3A"},
        ])
    );
    let classification = w
        .api(&w.staff_b, Method::GET, "/api/v1/classification", None)
        .await
        .json(StatusCode::OK);
    assert_eq!(classification["split"], true);
}

#[tokio::test]
async fn switching_the_split_moves_confidentiality_3_assets_for_review_and_back() {
    let w = world().await;
    let payroll = w.create("人事給与", w.unit_a, "LGWAN", "3", &[]).await;
    let web = w.create("公開Web", w.unit_b, "INTERNET", "1", &[]).await;
    let stray = w.create("税務端末", w.unit_a, "INTERNET", "3", &[]).await;
    let get = |id: i64| {
        let w = &w;
        async move {
            w.api(&w.ciso, Method::GET, &format!("/api/v1/assets/{id}"), None)
                .await
                .json(StatusCode::OK)
        }
    };

    // A target that is not a split level is refused with a Japanese message; nothing changes.
    let reply = w
        .form(
            &w.ciso,
            "/classification/split",
            &[("split", "on"), ("existing_to", "3D")],
            "ja",
        )
        .await;
    let html = reply.page(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("今の機密性3の情報資産の移行先の値が選択肢にありません。"),
        "{html}"
    );
    assert_eq!(get(payroll).await["confidentiality"], "3");

    // On, to 3B as chosen: both 機密性3 assets move and wait for review, in one audited write.
    let reply = w
        .form(
            &w.ciso,
            "/classification/split",
            &[("split", "on"), ("existing_to", "3B")],
            "ja",
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    let moved = get(payroll).await;
    assert_eq!(moved["confidentiality"], "3B");
    assert_eq!(
        moved["flags"],
        json!([{"kind": "split_review", "from": "3", "to": "3B"}])
    );
    let kinds: Vec<Value> = get(stray).await["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        vec![json!("segment_forbidden"), json!("split_review")]
    );
    assert_eq!(get(web).await["flags"], json!([]));
    let audited = audit_actions(&w.store, "classification.split").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0]["moved"], 2);
    assert_eq!(audited[0]["existing_to"], "3B");

    // The flag on the asset page, the count on the summary and on the classification page.
    let html = w.page(&w.ciso, &format!("/assets/{payroll}")).await;
    let html = html.page(StatusCode::OK);
    assert!(
        html.contains("分割後の再確認が必要: 機密性3 → 機密性3B"),
        "{html}"
    );
    let html = w.page(&w.staff_a, "/assets/summary").await;
    let html = html.page(StatusCode::OK);
    assert!(html.contains("id=\"summary-split-review\""), "{html}");
    assert!(html.contains("分割後の再確認が必要"));
    let html = w.page(&w.ciso, "/classification").await;
    assert!(html.page(StatusCode::OK).contains("id=\"split-review\""));

    // Editing details keeps the review; reclassifying (even to the same level) ends it.
    let reply = w
        .api(
            &w.ciso,
            Method::PATCH,
            &format!("/api/v1/assets/{payroll}"),
            Some(json!({"note": "給与計算"})),
        )
        .await
        .json(StatusCode::OK);
    assert_eq!(reply["flags"][0]["kind"], "split_review");
    let reply = w
        .form(
            &w.manager_a,
            &format!("/assets/{payroll}/reclassify"),
            &[
                ("confidentiality", "3B"),
                ("integrity", "2"),
                ("availability", "2"),
                ("reason", "見直しの結果、3Bで妥当"),
            ],
            "ja",
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    assert_eq!(get(payroll).await["flags"], json!([]));
    let html = w.page(&w.staff_a, "/assets/summary").await;
    assert!(
        html.page(StatusCode::OK)
            .contains("id=\"summary-split-review\"")
    );

    // Asking again for the state in force changes nothing and writes no record.
    let reply = w
        .api(
            &w.ciso,
            Method::PUT,
            "/api/v1/classification/split",
            Some(json!({"split": true, "existing_to": "3C"})),
        )
        .await
        .json(StatusCode::OK);
    assert_eq!(reply["split"], true);
    assert_eq!(get(stray).await["confidentiality"], "3B");
    assert_eq!(
        audit_actions(&w.store, "classification.split").await.len(),
        1
    );

    // Off through the API: every split level goes back to 3 and the reviews end.
    let reply = w
        .api(
            &w.ciso,
            Method::PUT,
            "/api/v1/classification/split",
            Some(json!({"split": false})),
        )
        .await
        .json(StatusCode::OK);
    assert_eq!(reply["split"], false);
    for id in [payroll, stray] {
        assert_eq!(get(id).await["confidentiality"], "3");
    }
    assert_eq!(get(payroll).await["flags"], json!([]));
    assert_eq!(
        get(stray).await["flags"],
        json!([{"kind": "segment_forbidden", "segment": "INTERNET", "level": "機密性3"}])
    );
    let html = w.page(&w.staff_a, "/assets/summary").await;
    assert!(!html.page(StatusCode::OK).contains("summary-split-review"));
    let audited = audit_actions(&w.store, "classification.split").await;
    assert_eq!(audited.len(), 2);
    assert_eq!(audited[0]["split"], false, "newest first: {audited:?}");
    assert_eq!(audited[0]["moved"], 2);
    let summary = w
        .api(&w.staff_a, Method::GET, "/api/v1/assets/summary", None)
        .await
        .json(StatusCode::OK);
    assert_eq!(summary["flagged"], 1);
}

/// A register with something in every column: a restricted asset, hosts and addresses, notes
/// that would start a formula, an asset without a segment and a disposed one.
async fn varied_register(w: &World) {
    let server = w
        .create("住民記録システム", w.unit_a, "LGWAN", "3", &["10.20.1.5"])
        .await;
    w.api(
        &w.ciso,
        Method::PATCH,
        &format!("/api/v1/assets/{server}"),
        Some(json!({
            "hosts": ["jumin-db01", "jumin-db02"],
            "location": "本庁舎3階サーバ室",
            "note": "=SUM(A1:A2) 二重化構成\n保守契約あり",
        })),
    )
    .await
    .json(StatusCode::OK);
    let site = w
        .create("ホームページ", w.unit_b, "INTERNET", "1", &["172.16.0.8"])
        .await;
    let webmaster = w
        .api(
            &w.ciso,
            Method::POST,
            "/api/v1/people",
            Some(json!({"name": "広報 次郎", "unit_id": w.unit_b})),
        )
        .await
        .json(StatusCode::CREATED)["id"]
        .clone();
    w.api(
        &w.ciso,
        Method::PATCH,
        &format!("/api/v1/assets/{site}"),
        Some(json!({"administrator_id": webmaster})),
    )
    .await
    .json(StatusCode::OK);
    w.create("例規集（紙）", w.unit_b, "", "2", &[]).await;
    let old = w.create("旧端末", w.unit_a, "LGWAN", "2", &[]).await;
    w.api(
        &w.ciso,
        Method::POST,
        &format!("/api/v1/assets/{old}/dispose"),
        Some(json!({"method": "物理破壊", "by": "情報 花子"})),
    )
    .await
    .json(StatusCode::OK);
}

#[tokio::test]
async fn export_then_import_of_the_same_file_leaves_the_register_unchanged() {
    let w = world().await;
    varied_register(&w).await;
    let before = w.register().await;
    assert_eq!(before.len(), 4);
    assert!(before.iter().any(|a| a.disposal.is_some()));
    assert!(
        before
            .iter()
            .any(|a| a.administrator_name.as_deref() == Some("広報 次郎"))
    );

    // XLSX through the pages: download, upload the same bytes.
    let xlsx = w.page(&w.ciso, "/assets/export?format=xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.bytes.starts_with(b"PK"), "an xlsx is a zip package");
    let reply = w
        .upload(&w.ciso, Some(&w.ciso.csrf), "台帳.xlsx", &xlsx.bytes)
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    assert_eq!(
        reply.location.as_deref(),
        Some("/assets?created=0&updated=0")
    );
    assert_eq!(
        w.register().await,
        before,
        "the xlsx round trip changed the register"
    );
    let page = w.page(&w.ciso, "/assets?created=0&updated=0").await;
    assert!(page.page(StatusCode::OK).contains("id=\"asset-imported\""));

    // CSV in UTF-8 and in Shift_JIS through the API.
    for format in ["csv", "csv-sjis"] {
        let csv = w
            .api(
                &w.ciso,
                Method::GET,
                &format!("/api/v1/assets/export?format={format}"),
                None,
            )
            .await;
        assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
        let body = w
            .api_upload(&w.ciso, &csv.bytes, "text/csv")
            .await
            .json(StatusCode::OK);
        assert_eq!(body, json!({"created": 0, "updated": 0}), "{format}");
        assert_eq!(
            w.register().await,
            before,
            "the {format} round trip changed the register"
        );
    }

    // An edited export: one cell changed and one row without an id added, in one import.
    let csv = w
        .api(
            &w.ciso,
            Method::GET,
            "/api/v1/assets/export?format=csv",
            None,
        )
        .await;
    let text = String::from_utf8(csv.bytes.clone()).unwrap();
    let edited = text.replacen("ホームページ", "公式ホームページ", 1)
        + ",新しい複合機,機器,情報政策課,,,,,,1,1,1,運用中,,,,\r\n";
    let body = w
        .api_upload(&w.ciso, edited.as_bytes(), "text/csv")
        .await
        .json(StatusCode::OK);
    assert_eq!(body, json!({"created": 1, "updated": 1}));
    let after = w.register().await;
    assert_eq!(after.len(), 5);
    assert!(after.iter().any(|a| a.name == "公式ホームページ"));
    assert!(after.iter().any(|a| a.name == "新しい複合機"));
    let untouched: Vec<_> = after
        .iter()
        .filter(|a| a.name != "公式ホームページ" && a.name != "新しい複合機")
        .collect();
    assert_eq!(
        untouched,
        before
            .iter()
            .filter(|a| a.name != "ホームページ")
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_file_with_bad_rows_changes_nothing_and_lists_every_problem_in_japanese() {
    let w = world().await;
    varied_register(&w).await;
    let before = w.register().await;
    let csv = "管理番号,名称,種別,所有課室,管理者,設置場所,セグメント,ホスト名,IPアドレス,機密性,完全性,可用性,状態,廃棄方法,廃棄者,廃棄日,備考\r\n\
               ,正しい行,機器,住民課,,,,,,2,2,2,運用中,,,,\r\n\
               ,存在しない課の資産,機器,存在しない課,,,,,,2,2,2,運用中,,,,\r\n\
               ,分類が誤り,機器,住民課,,,,,,5,2,2,運用中,,,,\r\n\
               999999,ない管理番号,機器,住民課,,,,,,2,2,2,運用中,,,,\r\n";
    let body = w
        .api_upload(&w.ciso, csv.as_bytes(), "text/csv; charset=utf-8")
        .await
        .json(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "sheet_invalid");
    let rows = body["rows"].as_array().unwrap();
    let unit = rows
        .iter()
        .find(|r| r["row"] == 3)
        .expect("the unknown unit is listed");
    assert_eq!(unit["column"], "D");
    assert_eq!(unit["header"], "所有課室");
    assert!(
        unit["message"]
            .as_str()
            .unwrap()
            .contains("登録されていません"),
        "{unit}"
    );
    let class = rows
        .iter()
        .find(|r| r["row"] == 4)
        .expect("the unknown class is listed");
    assert_eq!(class["column"], "J");
    assert!(
        class["message"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)),
        "in Japanese: {class}"
    );
    assert!(
        rows.iter().any(|r| r["row"] == 5),
        "the unknown id is listed: {body}"
    );
    assert!(
        rows.iter().all(|r| r["row"] != 2),
        "the good row is not: {body}"
    );

    // The form shows the same list on a page, and nothing changed either way.
    let page = w
        .upload(&w.ciso, Some(&w.ciso.csrf), "台帳.csv", csv.as_bytes())
        .await;
    let text = page.page(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("3行目 D列（所有課室）"), "{text}");
    assert!(text.contains("4行目 J列（機密性）"), "{text}");
    assert_eq!(w.register().await, before);
    let imports = w
        .store
        .list_audit(
            &authorize::<ViewAudit>(&w.store.actor(UserId(1)).await.unwrap().unwrap(), &())
                .unwrap(),
            &AuditFilter {
                action_prefix: Some("asset.import".into()),
                limit: 10,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
    assert!(imports.is_empty(), "a refused import writes no record");
}

/// Whether a text has kana (a Japanese message, not an English or code one).
fn has_kana(text: &str) -> bool {
    text.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c))
}

#[tokio::test]
async fn malformed_files_through_the_endpoint_change_nothing_and_say_where_in_japanese() {
    let w = world().await;
    varied_register(&w).await;
    let before = w.register().await;
    let header = "管理番号,名称,種別,所有課室,管理者,設置場所,セグメント,ホスト名,IPアドレス,機密性,完全性,可用性,状態,廃棄方法,廃棄者,廃棄日,備考\r\n";
    let id = before[0].id.0;
    let upload = |bytes: Vec<u8>| {
        let w = &w;
        async move {
            w.api_upload(&w.ciso, &bytes, "text/csv")
                .await
                .json(StatusCode::UNPROCESSABLE_ENTITY)
        }
    };

    // Wrong headers: an unknown column and a missing required one, named by column.
    let body =
        upload("名称,種別,色,所有課室,機密性,完全性\r\nx,機器,赤,住民課,1,1\r\n".into()).await;
    assert_eq!(body["error"], "sheet_invalid");
    let rows = body["rows"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["row"] == 1 && r["column"] == "C" && r["header"] == "色"),
        "{body}"
    );
    assert!(rows.iter().any(|r| r["header"] == "可用性"), "{body}");
    assert!(
        rows.iter()
            .all(|r| has_kana(r["message"].as_str().unwrap())),
        "{body}"
    );

    // The same 管理番号 twice: the second row is named.
    let row = format!("{id},重複した行,機器,住民課,,,,,,2,2,2,運用中,,,,\r\n");
    let body = upload(format!("{header}{row}{row}").into_bytes()).await;
    let rows = body["rows"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["row"] == 3 && has_kana(r["message"].as_str().unwrap())),
        "{body}"
    );

    // Bytes that are neither UTF-8 nor Shift_JIS.
    let mut bytes = format!("{header},正しい行,機器,住民課,,,,,,2,2,2,運用中,,,,\r\n").into_bytes();
    bytes.extend_from_slice(b"\x81\x20\xFF,\xA0\r\n");
    let body = upload(bytes).await;
    assert_eq!(body["error"], "sheet_invalid");
    assert!(
        body["message"].as_str().unwrap().contains("文字コード"),
        "{body}"
    );

    // An enormous cell (over Excel's 32,767 characters) names its row and column.
    let huge = "あ".repeat(40_000);
    let body = upload(
        format!("{header},巨大な備考,機器,住民課,,,,,,2,2,2,運用中,,,,{huge}\r\n").into_bytes(),
    )
    .await;
    assert_eq!(body["error"], "sheet_invalid");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("2 行目 Q 列"), "{message}");

    // A disposed asset brought back into use: disposal is final, in an import as in an edit.
    let disposed = before
        .iter()
        .find(|a| a.disposal.is_some())
        .expect("the varied register has a disposed asset")
        .id
        .0;
    let body = upload(
        format!("{header}{disposed},旧端末,機器,住民課,,,,,,2,2,2,運用中,,,,\r\n").into_bytes(),
    )
    .await;
    let rows = body["rows"].as_array().unwrap();
    assert!(
        rows.iter().any(|r| r["row"] == 2
            && r["column"] == "M"
            && r["header"] == "状態"
            && r["message"].as_str().unwrap().contains("廃棄済み")),
        "{body}"
    );

    assert_eq!(w.register().await, before, "nothing changed");
    assert!(
        audit_actions(&w.store, "asset.import").await.is_empty(),
        "a refused import writes no record"
    );
}

/// A level whose rules let others know its assets exist (3C once the split is on): others see
/// the asset in the list without its detail, are refused its page, and nothing is read.
#[tokio::test]
async fn others_see_that_an_asset_exists_only_where_its_level_allows() {
    let w = world().await;
    w.api(
        &w.ciso,
        Method::PUT,
        "/api/v1/classification/split",
        Some(json!({"split": true, "existing_to": "3B"})),
    )
    .await
    .json(StatusCode::OK);
    let known = w.create("児童相談記録", w.unit_a, "LGWAN", "3C", &[]).await;
    let secret = w
        .create("住民記録システム", w.unit_a, "LGWAN", "3A", &[])
        .await;

    let list = w
        .api(&w.staff_b, Method::GET, "/api/v1/assets", None)
        .await
        .json(StatusCode::OK);
    assert_eq!(list["total"], 1, "{list}");
    let row = &list["assets"][0];
    assert_eq!(row["id"], known);
    assert_eq!(row["detail_hidden"], true);
    assert_eq!(row["segment"], Value::Null);
    assert_eq!(row["flagged"], false);
    let page = w.page(&w.staff_b, "/assets").await;
    let html = page.page(StatusCode::OK);
    assert!(html.contains("児童相談記録"));
    assert!(
        !html.contains(&format!("href=\"/assets/{known}\"")),
        "no link to the detail"
    );
    assert!(!html.contains("住民記録システム"));

    // Its detail: forbidden (it is known to exist); the 3A one: as if it did not exist.
    w.api(
        &w.staff_b,
        Method::GET,
        &format!("/api/v1/assets/{known}"),
        None,
    )
    .await
    .json(StatusCode::FORBIDDEN);
    w.page(&w.staff_b, &format!("/assets/{known}"))
        .await
        .page(StatusCode::FORBIDDEN);
    w.api(
        &w.staff_b,
        Method::GET,
        &format!("/api/v1/assets/{secret}"),
        None,
    )
    .await
    .json(StatusCode::NOT_FOUND);
    assert!(reads_of(&w.store, known).await.is_empty());

    // The owner unit sees both in detail, each read audited.
    let list = w
        .api(&w.staff_a, Method::GET, "/api/v1/assets", None)
        .await
        .json(StatusCode::OK);
    assert_eq!(list["total"], 2);
    assert!(
        list["assets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["detail_hidden"] == false)
    );
    w.api(
        &w.staff_a,
        Method::GET,
        &format!("/api/v1/assets/{known}"),
        None,
    )
    .await
    .json(StatusCode::OK);
    assert_eq!(reads_of(&w.store, known).await, ["staff.a"]);
}

/// A search or filter matches only what the caller may read: someone outside a 3C asset's unit
/// cannot read its addresses one character at a time through `q`, nor its segment or flags
/// through the filters; its own unit can.
#[tokio::test]
async fn search_and_filters_do_not_read_hidden_details() {
    let w = world().await;
    w.api(
        &w.ciso,
        Method::PUT,
        "/api/v1/classification/split",
        Some(json!({"split": true, "existing_to": "3B"})),
    )
    .await
    .json(StatusCode::OK);
    let known = w
        .create("児童相談記録", w.unit_a, "INTERNET", "3C", &["10.20.30.40"])
        .await;
    let found = |list: Value| -> Vec<i64> {
        list["assets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };
    let mut typed = String::new();
    for c in "10.20.30".chars() {
        typed.push(c);
        let uri = format!("/api/v1/assets?q={typed}");
        let list = w
            .api(&w.staff_b, Method::GET, &uri, None)
            .await
            .json(StatusCode::OK);
        assert_eq!(list["total"], 0, "{uri}: {list}");
        assert!(found(list).is_empty(), "{uri}");
        let list = w
            .api(&w.staff_a, Method::GET, &uri, None)
            .await
            .json(StatusCode::OK);
        assert_eq!(found(list), [known], "{uri} for its own unit");
    }
    for uri in [
        "/api/v1/assets?segment=INTERNET",
        "/api/v1/assets?flagged=true",
    ] {
        let list = w
            .api(&w.staff_b, Method::GET, uri, None)
            .await
            .json(StatusCode::OK);
        assert!(found(list).is_empty(), "{uri}");
        let list = w
            .api(&w.staff_a, Method::GET, uri, None)
            .await
            .json(StatusCode::OK);
        assert_eq!(found(list), [known], "{uri} for its own unit");
    }
    // Its name, which the list shows, is found by anyone.
    let list = w
        .api(
            &w.staff_b,
            Method::GET,
            "/api/v1/assets?q=%E5%85%90%E7%AB%A5",
            None,
        )
        .await
        .json(StatusCode::OK);
    assert_eq!(found(list), [known]);
}

#[tokio::test]
async fn a_picture_named_xlsx_is_refused_with_a_clear_message() {
    let w = world().await;
    varied_register(&w).await;
    let before = w.register().await;
    let png: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let page = w
        .upload(&w.ciso, Some(&w.ciso.csrf), "台帳.xlsx", png)
        .await;
    let text = page.page(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text.contains("表計算ファイル（.xlsx または CSV）ではありません。"),
        "{text}"
    );
    let body = w
        .api_upload(
            &w.ciso,
            png,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .await
        .json(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "sheet_invalid");
    assert_eq!(
        body["message"],
        "表計算ファイル（.xlsx または CSV）ではありません。"
    );
    assert_eq!(body["rows"], json!([]));
    assert_eq!(w.register().await, before);
}

#[tokio::test]
async fn the_import_form_needs_its_csrf_field_and_staff_may_neither_import_nor_export() {
    let w = world().await;
    varied_register(&w).await;
    let before = w.register().await;
    let csv = w
        .api(
            &w.ciso,
            Method::GET,
            "/api/v1/assets/export?format=csv",
            None,
        )
        .await
        .bytes;
    let edited = String::from_utf8(csv).unwrap() + ",追加,機器,住民課,,,,,,1,1,1,運用中,,,,\r\n";
    for csrf in [None, Some("wrong-token"), Some("")] {
        let reply = w.upload(&w.ciso, csrf, "台帳.csv", edited.as_bytes()).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "csrf {csrf:?}: {}",
            reply.text
        );
    }
    assert_eq!(w.register().await, before);

    for who in [&w.staff_a, &w.manager_a] {
        let reply = w
            .upload(who, Some(&who.csrf), "台帳.csv", edited.as_bytes())
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
        assert_eq!(
            w.page(who, "/assets/export?format=csv").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            w.api_upload(who, edited.as_bytes(), "text/csv")
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            w.api(who, Method::GET, "/api/v1/assets/export", None)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let list = w.page(who, "/assets").await;
        assert!(!list.page(StatusCode::OK).contains("asset-import"));
    }
    assert_eq!(w.register().await, before);
    assert!(
        w.page(&w.ciso, "/assets")
            .await
            .page(StatusCode::OK)
            .contains("id=\"asset-import\"")
    );
}

#[tokio::test]
async fn an_upload_without_a_session_is_refused_at_the_size_of_a_form() {
    let w = world().await;
    let big = vec![b'a'; 2 * 1024 * 1024];
    let anonymous = Member::default();
    let reply = w.upload(&anonymous, Some("x"), "台帳.csv", &big).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text
    );
    // Signed in, the same size is read, and refused for what it is: not a register.
    let reply = w
        .upload(&w.ciso, Some(&w.ciso.csrf), "台帳.csv", &big)
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
}

async fn audit_actions(store: &SqlStore, prefix: &str) -> Vec<Value> {
    let admin = store.actor(UserId(1)).await.unwrap().unwrap();
    let grant = authorize::<ViewAudit>(&admin, &()).unwrap();
    store
        .list_audit(
            &grant,
            &AuditFilter {
                action_prefix: Some(prefix.into()),
                limit: 100,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.event.detail)
        .collect()
}

#[tokio::test]
async fn editing_a_levels_allowed_segments_reflags_its_assets_at_once_and_is_audited() {
    let w = world().await;
    let portal = w
        .create("庁内ポータル", w.unit_a, "INTERNET", "2", &[])
        .await;
    let ledger = w.create("文書管理", w.unit_a, "LGWAN", "2", &[]).await;
    let public = w.create("公開Web", w.unit_b, "INTERNET", "1", &[]).await;
    let flags = |id: i64| {
        let w = &w;
        async move {
            w.api(&w.ciso, Method::GET, &format!("/api/v1/assets/{id}"), None)
                .await
                .json(StatusCode::OK)["flags"]
                .clone()
        }
    };
    assert_eq!(flags(portal).await, json!([]));

    // The editor shows the level as it is, with a box per segment.
    let html = w.page(&w.ciso, "/classification/confidentiality/2").await;
    let html = html.page(StatusCode::OK);
    assert!(html.contains("id=\"level-form\""));
    assert!(html.contains("value=\"INTERNET\""), "{html}");
    assert!(!html.contains("value=\"INTERNET\" checked"));
    let html = w.page(&w.ciso, "/classification").await;
    assert!(
        html.page(StatusCode::OK)
            .contains("href=\"/classification/confidentiality/2\"")
    );
    let html = w.page(&w.staff_a, "/classification").await;
    assert!(!html.page(StatusCode::OK).contains("class=\"level-edit\""));

    // 機密性2 only in LGWAN: the portal in the Internet segment is flagged in the same write.
    let reply = w
        .form(
            &w.ciso,
            "/classification/confidentiality/2",
            &[
                ("name", "機密性2"),
                ("definition", "公表を前提としない情報資産"),
                ("existence_visible", "on"),
                ("encrypt_in_transit", "on"),
                ("storage", "庁内のサーバ"),
                ("allowed_segments", "LGWAN"),
                ("take_out", "with_approval"),
                ("disposal", "復元できない方法による消去"),
            ],
            "ja",
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    assert_eq!(
        flags(portal).await,
        json!([{"kind": "segment_forbidden", "segment": "INTERNET", "level": "機密性2"}])
    );
    assert_eq!(flags(ledger).await, json!([]));
    assert_eq!(flags(public).await, json!([]));
    let html = w.page(&w.ciso, &format!("/assets/{portal}")).await;
    let html = html.page(StatusCode::OK);
    assert!(html.contains("分類上、このセグメントに置くことはできません"));
    assert!(
        html.contains("庁内のサーバ"),
        "the page shows the new rules"
    );
    let classification = w
        .api(&w.staff_a, Method::GET, "/api/v1/classification", None)
        .await
        .json(StatusCode::OK);
    let level = classification["scales"]["confidentiality"]["levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "2")
        .unwrap()
        .clone();
    assert_eq!(level["rank"], 2, "the rank is kept");
    assert_eq!(level["rules"]["allowed_segments"], json!(["LGWAN"]));
    assert_eq!(level["rules"]["take_out"], "with_approval");
    assert_eq!(level["rules"]["restricted"], false);
    let audited = audit_actions(&w.store, "classification.level_update").await;
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0]["before"]["rules"]["allowed_segments"], json!([]));
    assert_eq!(
        audited[0]["after"]["rules"]["allowed_segments"],
        json!(["LGWAN"])
    );
    assert_eq!(audited[0]["after"]["rules"]["storage"], "庁内のサーバ");

    // Through the API, back to any segment: the flag goes.
    let reply = w
        .api(
            &w.ciso,
            Method::PUT,
            "/api/v1/classification/confidentiality/levels/2",
            Some(json!({
                "name": "機密性2", "restricted": false, "existence_visible": true,
                "encrypt_at_rest": false, "encrypt_in_transit": true, "take_out": "allowed",
                "allowed_segments": [],
            })),
        )
        .await
        .json(StatusCode::OK);
    assert_eq!(reply["split"], false);
    assert_eq!(flags(portal).await, json!([]));
    assert_eq!(
        audit_actions(&w.store, "classification.level_update")
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn a_bad_level_edit_changes_nothing_and_says_why_in_japanese() {
    let w = world().await;
    let before = w
        .api(&w.ciso, Method::GET, "/api/v1/classification", None)
        .await
        .json(StatusCode::OK);
    let reply = w
        .form(
            &w.ciso,
            "/classification/confidentiality/3",
            &[
                ("name", " "),
                ("allowed_segments", "LGWAN"),
                ("allowed_segments", "DMZ"),
                ("take_out", "sometimes"),
                ("disposal", &"消".repeat(501)),
            ],
            "ja",
        )
        .await;
    let html = reply.page(StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "段階の名称を入力してください。",
        "配置できるセグメントの値が選択肢にありません。",
        "庁外持ち出しの値が選択肢にありません。",
        "廃棄方法は500文字以内で入力してください。",
        "存在の開示（閲覧制限のない段階は開示が必要）の値は使用できません。",
    ] {
        assert!(html.contains(message), "{message} missing: {html}");
    }
    // The API says the same in its error body.
    let reply = w
        .api(
            &w.ciso,
            Method::PUT,
            "/api/v1/classification/confidentiality/levels/3",
            Some(json!({
                "name": "機密性3", "restricted": true, "existence_visible": false,
                "encrypt_at_rest": true, "encrypt_in_transit": true, "take_out": "forbidden",
                "allowed_segments": ["NOWHERE"],
            })),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert!(reply.text.contains("allowed_segments"), "{}", reply.text);
    // Unknown fields, levels and dimensions are refused too.
    for (path, body, status) in [
        (
            "/api/v1/classification/confidentiality/levels/3",
            json!({"name": "x", "restricted": true, "existence_visible": true,
                   "encrypt_at_rest": true, "encrypt_in_transit": true,
                   "take_out": "forbidden", "rank": 9}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/classification/confidentiality/levels/9",
            json!({"name": "x", "restricted": true, "existence_visible": true,
                   "encrypt_at_rest": true, "encrypt_in_transit": true, "take_out": "forbidden"}),
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/classification/secrecy/levels/3",
            json!({"name": "x", "restricted": true, "existence_visible": true,
                   "encrypt_at_rest": true, "encrypt_in_transit": true, "take_out": "forbidden"}),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let reply = w.api(&w.ciso, Method::PUT, path, Some(body)).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text);
    }
    // Without its CSRF field the form is refused, and a manager of one unit may not edit.
    let request = Request::builder()
        .method(Method::POST)
        .uri("/classification/confidentiality/2")
        .header(header::COOKIE, &w.ciso.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("name=x&take_out=allowed&existence_visible=on"))
        .unwrap();
    assert_eq!(send(&w.app, request).await.status, StatusCode::FORBIDDEN);
    let reply = w
        .form(
            &w.manager_a,
            "/classification/confidentiality/2",
            &[
                ("name", "x"),
                ("take_out", "allowed"),
                ("existence_visible", "on"),
            ],
            "ja",
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let after = w
        .api(&w.ciso, Method::GET, "/api/v1/classification", None)
        .await
        .json(StatusCode::OK);
    assert_eq!(before, after, "nothing changed");
    assert!(
        audit_actions(&w.store, "classification.level_update")
            .await
            .is_empty()
    );
}

/// Ids that name nothing on the register's pages get the localised 404 page that every other
/// page gives, not the framework's plain-text rejection.
#[tokio::test]
async fn asset_and_segment_ids_that_are_not_numbers_get_the_localised_404_page() {
    let w = world().await;
    for path in [
        "/assets/abc",
        "/assets/-1",
        "/assets/0",
        "/assets/99999999999999999999",
        "/classification/%FF/3",
    ] {
        let page = w.page(&w.ciso, path).await;
        let text = page.page(StatusCode::NOT_FOUND);
        assert!(text.contains("<html"), "{path}: {text}");
        assert!(has_kana(text), "{path} is not in Japanese: {text}");
    }
    for path in [
        "/assets/abc",
        "/assets/abc/reclassify",
        "/assets/abc/dispose",
        "/segments/abc",
        "/segments/abc/delete",
    ] {
        let reply = w.form(&w.ciso, path, &[], "en").await;
        let text = reply.page(StatusCode::NOT_FOUND);
        assert!(text.contains("<html"), "{path}: {text}");
    }
}

/// Host names and locations follow one rule wherever they come from: what the import of an
/// export would refuse, the API and the page refuse too.
#[tokio::test]
async fn hosts_and_locations_that_an_import_refuses_are_refused_by_the_api_and_the_page() {
    let w = world().await;
    let base = json!({
        "kind": "system", "name": "庁内サーバ", "owner_unit_id": w.unit_a,
        "confidentiality": "2", "integrity": "2", "availability": "2",
    });
    for (field, value) in [
        ("hosts", json!(["a..b"])),
        ("hosts", json!(["-web"])),
        ("hosts", json!(["web server"])),
        ("location", json!("本庁舎\n3階")),
        ("addresses", json!(["10.0.0.1 10.0.0.2"])),
    ] {
        let mut body = base.clone();
        body[field] = value.clone();
        let reply = w
            .api(&w.ciso, Method::POST, "/api/v1/assets", Some(body))
            .await
            .json(StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = reply["fields"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["field"].as_str())
            .collect();
        assert_eq!(fields, [field], "{value}: {reply}");
    }
    let page = w
        .form(
            &w.ciso,
            "/assets",
            &[
                ("kind", "system"),
                ("name", "庁内サーバ"),
                ("owner_unit_id", &w.unit_a.to_string()),
                ("hosts", "web01 a..b"),
                ("confidentiality", "2"),
                ("integrity", "2"),
                ("availability", "2"),
            ],
            "ja",
        )
        .await;
    page.page(StatusCode::UNPROCESSABLE_ENTITY);
    // A list typed into the page is split as a sheet cell is, and kept in lower case.
    let id = w
        .api(
            &w.ciso,
            Method::POST,
            "/api/v1/assets",
            Some({
                let mut body = base.clone();
                body["hosts"] = json!(["Web01.City.Example.LG.JP", "web01.city.example.lg.jp"]);
                body
            }),
        )
        .await
        .json(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();
    let asset = w
        .api(&w.ciso, Method::GET, &format!("/api/v1/assets/{id}"), None)
        .await
        .json(StatusCode::OK);
    assert_eq!(asset["hosts"], json!(["web01.city.example.lg.jp"]));
}
