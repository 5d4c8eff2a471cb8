//! The JSON API under `/api/v1`, driven through the real application on a temporary SQLite
//! store: every endpoint, its authorisation, bad input and the OpenAPI document.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use mamori_core::audit::AuditKey;
use mamori_core::credentials::{random_token, token_digest};
use mamori_core::org::Person;
use mamori_core::text::{Name, Username};
use mamori_core::{PersonId, Role, Scope, UnitId, UserId};
use mamori_store::{
    AccountStore, NewAccount, NewApiToken, NewSession, Origin, PersonInput, SqlStore, Store,
    SystemClock,
};
use mamori_web::{AppState, WebConfig};
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt;

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    #[track_caller]
    fn expect(self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "body: {}", self.body);
        self.body
    }

    /// Asserts an error reply of the shape every error has, and returns it.
    #[track_caller]
    fn error(self, status: StatusCode, code: &str) -> Value {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.body["error"], code, "body: {}", self.body);
        assert!(
            self.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "message missing: {}",
            self.body
        );
        assert!(
            self.body["fields"].is_array(),
            "fields missing: {}",
            self.body
        );
        assert!(
            self.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        self.body
    }
}

/// A request under construction.
struct Call {
    builder: axum::http::request::Builder,
    body: Body,
}

impl Call {
    fn new(method: Method, path: &str) -> Self {
        Self {
            builder: Request::builder().method(method).uri(path),
            body: Body::empty(),
        }
    }

    fn token(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    fn json(self, body: Value) -> Self {
        self.raw("application/json", body.to_string())
    }

    fn raw(mut self, content_type: &str, body: impl Into<Body>) -> Self {
        self.builder = self.builder.header(header::CONTENT_TYPE, content_type);
        self.body = body.into();
        self
    }

    async fn send(self, app: &Router) -> Reply {
        let request = self.builder.body(self.body).unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        // A download (an exported register) is a file, not JSON.
        let body = if bytes.is_empty() || (status.is_success() && !is_json) {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "{status}: not JSON ({e}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        Reply {
            status,
            headers,
            body,
        }
    }
}

fn get(path: &str) -> Call {
    Call::new(Method::GET, path)
}

fn post(path: &str) -> Call {
    Call::new(Method::POST, path)
}

fn patch(path: &str) -> Call {
    Call::new(Method::PATCH, path)
}

fn delete(path: &str) -> Call {
    Call::new(Method::DELETE, path)
}

/// An account made at the command line, with its person, role and API token.
struct Member {
    user: UserId,
    person: i64,
    token: String,
}

/// One organisation with two units: a CISO, a member of staff and an auditor in unit A, and a
/// person in unit B.
struct World {
    _dir: TempDir,
    store: Arc<SqlStore>,
    app: Router,
    ciso: Member,
    org: i64,
    unit_a: i64,
    unit_b: i64,
    staff_a: Member,
    colleague_a: i64,
    auditor_a: Member,
    person_b: i64,
}

async fn provision(
    store: &SqlStore,
    username: &str,
    name: &str,
    unit: Option<i64>,
    role: Option<(Role, Scope)>,
) -> Member {
    let person = PersonInput {
        name: Name::parse("name", name).unwrap(),
        unit_id: unit.map(UnitId),
        title: String::new(),
        email: Some(format!("{username}@city.example.lg.jp")),
        phone: String::new(),
        external: false,
    };
    let account = NewAccount {
        username: Username::parse(username).unwrap(),
        person_id: PersonId(0),
        // Members act through their API tokens; no password is ever checked.
        password_hash: "unused".to_owned(),
        language: "ja".to_owned(),
        must_change_password: false,
    };
    let origin = Origin::system("test");
    let user = store
        .provision_account(person, account, role, &origin)
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
    let person = store.account(user).await.unwrap().unwrap().person_id.0;
    Member {
        user,
        person,
        token,
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
    let state = AppState::new(
        store.clone() as Arc<dyn Store>,
        Arc::new(SystemClock),
        WebConfig::default(),
    );
    let app = mamori_web::router(state);
    let ciso = provision(
        &store,
        "ciso",
        "情報 統括",
        None,
        Some((Role::Ciso, Scope::Global)),
    )
    .await;

    let org = post("/api/v1/organisations")
        .token(&ciso.token)
        .json(json!({"code": "kanri", "name": "管理者"}))
        .send(&app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();
    let mut units = Vec::new();
    for name in ["総務課", "情報政策課"] {
        let unit = post("/api/v1/units")
            .token(&ciso.token)
            .json(json!({"org_id": org, "name": name}))
            .send(&app)
            .await
            .expect(StatusCode::CREATED);
        units.push(unit["id"].as_i64().unwrap());
    }
    let (unit_a, unit_b) = (units[0], units[1]);

    let staff_a = provision(
        &store,
        "staff.a",
        "総務 一郎",
        Some(unit_a),
        Some((Role::Staff, Scope::Unit(UnitId(unit_a)))),
    )
    .await;
    let colleague_a = provision(&store, "colleague.a", "総務 二郎", Some(unit_a), None)
        .await
        .person;
    let auditor_a = provision(
        &store,
        "auditor.a",
        "監査 花子",
        Some(unit_a),
        Some((Role::Auditor, Scope::Global)),
    )
    .await;
    let person_b = post("/api/v1/people")
        .token(&ciso.token)
        .json(json!({"name": "政策 三郎", "unit_id": unit_b, "email": "saburo@city.example.lg.jp"}))
        .send(&app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();

    World {
        _dir: dir,
        store,
        app,
        ciso,
        org,
        unit_a,
        unit_b,
        staff_a,
        colleague_a,
        auditor_a,
        person_b,
    }
}

fn ids(list: &Value, key: &str) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item[key].as_i64().unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Every endpoint's happy path

#[tokio::test]
async fn me_describes_the_acting_account() {
    let w = world().await;
    let me = get("/api/v1/me")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(me["username"], "ciso");
    assert_eq!(me["user_id"], w.ciso.user.0);
    assert_eq!(me["person"]["id"], w.ciso.person);
    assert_eq!(me["person"]["name"], "情報 統括");
    assert_eq!(me["roles"], json!([{"role": "ciso", "scope": "global"}]));
    let permissions = me["permissions"].as_array().unwrap();
    assert!(permissions.contains(&json!("organisation.manage")));
    assert!(permissions.contains(&json!("audit.view")));

    let me = get("/api/v1/me")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(me["person"]["unit_id"], w.unit_a);
    assert_eq!(
        me["roles"],
        json!([{"role": "staff", "scope": format!("unit:{}", w.unit_a)}])
    );
    assert_eq!(me["permissions"], json!(["directory.view"]));
}

#[tokio::test]
async fn organisations_are_listed_created_read_and_patched() {
    let w = world().await;
    let reply = post("/api/v1/organisations")
        .token(&w.ciso.token)
        .json(json!({"code": "kyoiku", "name": "教育委員会", "note": "学校を含む"}))
        .send(&w.app)
        .await;
    let location = reply.headers[header::LOCATION].to_str().unwrap().to_owned();
    let created = reply.expect(StatusCode::CREATED);
    let id = created["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/organisations/{id}"));
    assert_eq!(created["code"], "KYOIKU");
    assert_eq!(created["note"], "学校を含む");

    let list = get("/api/v1/organisations")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(ids(&list, "id").len(), 2);
    assert!(ids(&list, "id").contains(&w.org));

    let one = get(&location)
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(one, created);

    let patched = patch(&location)
        .token(&w.ciso.token)
        .json(json!({"name": "教育委員会事務局"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(patched["name"], "教育委員会事務局");
    assert_eq!(patched["code"], "KYOIKU", "fields not given are kept");
    assert_eq!(patched["note"], "学校を含む");

    let refused = post("/api/v1/organisations")
        .token(&w.ciso.token)
        .json(json!({"code": "KYOIKU", "name": "二つ目"}))
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "organisation.code_taken");
    assert_eq!(
        refused["message"],
        mamori_web::i18n::Lang::Ja.t("conflict.organisation.code_taken"),
        "a refused change says why"
    );
    for missing in ["/api/v1/organisations/999999", "/api/v1/organisations/abc"] {
        get(missing)
            .token(&w.ciso.token)
            .send(&w.app)
            .await
            .error(StatusCode::NOT_FOUND, "not_found");
    }
    patch("/api/v1/organisations/999999")
        .token(&w.ciso.token)
        .json(json!({"name": "x"}))
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn units_are_listed_created_read_and_patched() {
    let w = world().await;
    let other_org = post("/api/v1/organisations")
        .token(&w.ciso.token)
        .json(json!({"code": "GIKAI", "name": "議会"}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();
    let reply = post("/api/v1/units")
        .token(&w.ciso.token)
        .json(json!({"org_id": w.org, "parent_id": w.unit_b, "name": "情報システム係"}))
        .send(&w.app)
        .await;
    let location = reply.headers[header::LOCATION].to_str().unwrap().to_owned();
    let unit = reply.expect(StatusCode::CREATED);
    assert_eq!(unit["org_id"], w.org);
    assert_eq!(unit["parent_id"], w.unit_b);
    let id = unit["id"].as_i64().unwrap();

    let all = get("/api/v1/units")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(ids(&all, "id").len(), 3);
    let of_org = get(&format!("/api/v1/units?org={}", w.org))
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert!(ids(&of_org, "id").contains(&id));
    let of_other = get(&format!("/api/v1/units?org={other_org}"))
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(of_other, json!([]));
    let bad = get("/api/v1/units?org=abc")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(bad["fields"][0]["field"], "organisation");

    assert_eq!(
        get(&location)
            .token(&w.staff_a.token)
            .send(&w.app)
            .await
            .expect(StatusCode::OK),
        unit
    );
    let renamed = patch(&location)
        .token(&w.ciso.token)
        .json(json!({"name": "情報化推進係"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(renamed["name"], "情報化推進係");
    assert_eq!(renamed["parent_id"], w.unit_b, "absent parent is kept");
    let top = patch(&location)
        .token(&w.ciso.token)
        .json(json!({"parent_id": null}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(top["parent_id"], Value::Null, "null clears the parent");
    assert_eq!(top["name"], "情報化推進係");

    get("/api/v1/units/999999")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    patch(&location)
        .token(&w.staff_a.token)
        .json(json!({"name": "x"}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    post("/api/v1/units")
        .token(&w.staff_a.token)
        .json(json!({"org_id": w.org, "name": "勝手な課"}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn people_are_listed_created_read_and_patched() {
    let w = world().await;
    let reply = post("/api/v1/people")
        .token(&w.ciso.token)
        .json(json!({
            "name": "総務 四郎",
            "unit_id": w.unit_a,
            "title": "主事",
            "email": "shiro@city.example.lg.jp",
            "phone": "03-1234-5678",
        }))
        .send(&w.app)
        .await;
    let location = reply.headers[header::LOCATION].to_str().unwrap().to_owned();
    let person = reply.expect(StatusCode::CREATED);
    let id = person["id"].as_i64().unwrap();
    assert_eq!(person["org_id"], w.org);
    assert_eq!(person["external"], false);

    let page = get(&format!("/api/v1/people?unit={}", w.unit_a))
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(page["total"], 4, "{page}");
    assert_eq!(page["people"].as_array().unwrap().len(), 4);
    assert!(
        page["people"][0].get("email").is_none(),
        "the list shows no contact details"
    );
    let first = get(&format!("/api/v1/people?unit={}&limit=2", w.unit_a))
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let second = get(&format!(
        "/api/v1/people?unit={}&limit=2&offset=2",
        w.unit_a
    ))
    .token(&w.staff_a.token)
    .send(&w.app)
    .await
    .expect(StatusCode::OK);
    assert_eq!(
        (first["total"].clone(), first["limit"].clone()),
        (json!(4), json!(2))
    );
    let mut seen = ids(&first["people"], "id");
    seen.extend(ids(&second["people"], "id"));
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4, "two pages cover everyone once");
    let found = get("/api/v1/people?q=%E5%9B%9B%E9%83%8E")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(found["total"], 1);
    assert_eq!(found["people"][0]["id"], id);
    let bad = get("/api/v1/people?limit=x&offset=-1&unit=0")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let fields: BTreeSet<_> = bad["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from(["limit".into(), "offset".into(), "unit".into()])
    );

    let detail = get(&location)
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(detail["email"], "shiro@city.example.lg.jp");
    assert_eq!(detail["phone"], "03-1234-5678");

    let patched = patch(&location)
        .token(&w.ciso.token)
        .json(json!({"title": "主任", "email": null, "external": true}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(patched["title"], "主任");
    assert_eq!(patched["email"], Value::Null);
    assert_eq!(patched["external"], true);
    assert_eq!(patched["phone"], "03-1234-5678", "absent fields are kept");
    let moved = patch(&location)
        .token(&w.ciso.token)
        .json(json!({"unit_id": w.unit_b}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(moved["unit_id"], w.unit_b);

    // The detail read by staff was written to the audit trail.
    let reads = get("/api/v1/audit?action=person.read&actor=staff.a")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert!(
        reads["records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["target_id"].as_str() == Some(id.to_string().as_str())),
        "{reads}"
    );
}

#[tokio::test]
async fn roles_are_listed_assigned_and_revoked() {
    let w = world().await;
    let path = format!("/api/v1/people/{}/roles", w.person_b);
    assert_eq!(
        get(&path)
            .token(&w.ciso.token)
            .send(&w.app)
            .await
            .expect(StatusCode::OK),
        json!([])
    );
    let reply = post(&path)
        .token(&w.ciso.token)
        .json(json!({"role": "security_manager", "scope": format!("unit:{}", w.unit_b)}))
        .send(&w.app)
        .await;
    assert_eq!(reply.headers[header::LOCATION], path.as_str());
    let assignment = reply.expect(StatusCode::CREATED);
    assert_eq!(assignment["role"], "security_manager");
    assert_eq!(assignment["scope"], format!("unit:{}", w.unit_b));
    assert_eq!(assignment["person_id"], w.person_b);
    let system = post(&path)
        .token(&w.ciso.token)
        .json(json!({"role": "system_administrator", "scope": "system:jinji-kyuyo"}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(system["scope"], "system:jinji-kyuyo");
    let listed = get(&path)
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 2);

    let wrong_scope = post(&path)
        .token(&w.ciso.token)
        .json(json!({"role": "security_manager", "scope": "global"}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(wrong_scope["fields"][0]["field"], "scope");
    let unknown_role = post(&path)
        .token(&w.ciso.token)
        .json(json!({"role": "root", "scope": "global"}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(unknown_role["fields"][0]["field"], "role");
    // Nobody changes their own roles.
    post(&format!("/api/v1/people/{}/roles", w.ciso.person))
        .token(&w.ciso.token)
        .json(json!({"role": "auditor", "scope": "global"}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");

    let revoke = format!("/api/v1/role-assignments/{}", assignment["id"]);
    let reply = delete(&revoke).token(&w.ciso.token).send(&w.app).await;
    assert_eq!(reply.body, Value::Null);
    reply.expect(StatusCode::NO_CONTENT);
    let listed = get(&path)
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(ids(&listed, "id"), vec![system["id"].as_i64().unwrap()]);
    delete(&revoke)
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn accounts_are_listed_created_and_disabled() {
    let w = world().await;
    let list = get("/api/v1/accounts")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 4);
    assert!(list[0].get("password_hash").is_none());

    let reply = post("/api/v1/accounts")
        .token(&w.ciso.token)
        .json(json!({"username": "Saburo", "person_id": w.person_b, "password": "kumo-no-ue-2026"}))
        .send(&w.app)
        .await;
    let location = reply.headers[header::LOCATION].to_str().unwrap().to_owned();
    let account = reply.expect(StatusCode::CREATED);
    assert_eq!(account["username"], "saburo");
    assert_eq!(account["person_id"], w.person_b);
    assert_eq!(account["disabled"], false);
    assert!(account["created_at"].as_str().unwrap().ends_with("+09:00"));
    let user = account["user_id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/accounts/{user}"));

    let newcomer = post("/api/v1/people")
        .token(&w.ciso.token)
        .json(json!({"name": "新人 五郎", "unit_id": w.unit_b}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    post("/api/v1/accounts")
        .token(&w.ciso.token)
        .json(json!({"username": "saburo", "person_id": newcomer, "password": "kumo-no-ue-2026"}))
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "account.username_taken");
    let weak = post("/api/v1/accounts")
        .token(&w.ciso.token)
        .json(json!({"username": "goro", "person_id": newcomer, "password": "short"}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(weak["fields"][0]["field"], "password");
    assert_eq!(
        weak["fields"][0]["message"],
        "パスワードは12文字以上で入力してください。"
    );

    let disabled = patch(&location)
        .token(&w.ciso.token)
        .json(json!({"disabled": true}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(disabled["disabled"], true);
    let enabled = patch(&location)
        .token(&w.ciso.token)
        .json(json!({"disabled": false}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(enabled["disabled"], false);
    let missing = patch(&location)
        .token(&w.ciso.token)
        .json(json!({}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(missing["fields"][0]["field"], "disabled");
    assert_eq!(missing["fields"][0]["kind"], "required");
    patch(&format!("/api/v1/accounts/{}", w.ciso.user.0))
        .token(&w.ciso.token)
        .json(json!({"disabled": true}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    patch("/api/v1/accounts/999999")
        .token(&w.ciso.token)
        .json(json!({"disabled": true}))
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");

    // A disabled account's token no longer opens the API.
    patch(&format!("/api/v1/accounts/{}", w.staff_a.user.0))
        .token(&w.ciso.token)
        .json(json!({"disabled": true}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    get("/api/v1/me")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn audit_trail_is_filtered_and_paged() {
    let w = world().await;
    let all = get("/api/v1/audit")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let records = all["records"].as_array().unwrap();
    assert!(records.len() > 5);
    let seqs: Vec<i64> = records.iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|p| p[0] > p[1]), "newest first");
    assert_eq!(all["next_before"], Value::Null);

    let created = get("/api/v1/audit?action=organisation.")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let created = created["records"].as_array().unwrap();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["action"], "organisation.create");
    assert_eq!(created[0]["actor_name"], "ciso");
    assert_eq!(created[0]["target_id"], w.org.to_string());

    let first = get("/api/v1/audit?limit=2")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(first["records"].as_array().unwrap().len(), 2);
    let before = first["next_before"].as_i64().unwrap();
    let next = get(&format!("/api/v1/audit?limit=2&before={before}"))
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert!(
        next["records"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["seq"].as_i64().unwrap() < before)
    );

    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap())
        .format("%Y-%m-%d")
        .to_string();
    let dated = get(&format!("/api/v1/audit?from={today}&to={today}&actor=ciso"))
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert!(!dated["records"].as_array().unwrap().is_empty());
    let old = get("/api/v1/audit?to=2000-01-01")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(old["records"], json!([]));

    let bad = get("/api/v1/audit?from=yesterday&limit=many")
        .token(&w.ciso.token)
        .header("accept-language", "en")
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(bad["fields"][0]["field"], "limit");
    assert_eq!(
        bad["fields"][0]["message"],
        "Limit is not in a valid format."
    );
    let bad = get("/api/v1/audit?from=yesterday")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(
        bad["fields"][0]["message"],
        "開始日の形式が正しくありません。"
    );

    // Browsing the trail is itself recorded.
    let views = get("/api/v1/audit?action=audit.view")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert!(views["records"].as_array().unwrap().len() >= 5);
}

// ---------------------------------------------------------------------------------------------
// Authorisation

#[tokio::test]
async fn staff_cannot_manage_the_organisation() {
    let w = world().await;
    let denied = post("/api/v1/organisations")
        .token(&w.staff_a.token)
        .json(json!({"code": "X", "name": "勝手な機関"}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(denied["message"], "この操作を行う権限がありません。");
    patch(&format!("/api/v1/organisations/{}", w.org))
        .token(&w.staff_a.token)
        .json(json!({"name": "改名"}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    post("/api/v1/people")
        .token(&w.staff_a.token)
        .json(json!({"name": "新人", "unit_id": w.unit_a}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    patch(&format!("/api/v1/people/{}", w.colleague_a))
        .token(&w.staff_a.token)
        .json(json!({"title": "課長"}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    post(&format!("/api/v1/people/{}/roles", w.colleague_a))
        .token(&w.staff_a.token)
        .json(json!({"role": "staff", "scope": format!("unit:{}", w.unit_a)}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    for path in ["/api/v1/accounts", "/api/v1/audit"] {
        get(path)
            .token(&w.staff_a.token)
            .send(&w.app)
            .await
            .error(StatusCode::FORBIDDEN, "forbidden");
    }
    post("/api/v1/accounts")
        .token(&w.staff_a.token)
        .json(json!({"username": "x", "person_id": w.colleague_a, "password": "p"}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn an_officer_manages_units_people_and_unit_roles_of_its_own_organisation_only() {
    let w = world().await;
    let officer = provision(
        &w.store,
        "officer",
        "責任 太郎",
        Some(w.unit_a),
        Some((
            Role::SecurityOfficer,
            Scope::Organisation(mamori_core::OrgId(w.org)),
        )),
    )
    .await;
    let other_org = post("/api/v1/organisations")
        .token(&w.ciso.token)
        .json(json!({"code": "JINJI", "name": "人事委員会"}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();
    let other_unit = post("/api/v1/units")
        .token(&w.ciso.token)
        .json(json!({"org_id": other_org, "name": "任用課"}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();
    let outsider = post("/api/v1/people")
        .token(&w.ciso.token)
        .json(json!({"name": "任用 六郎", "unit_id": other_unit}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();

    // Own organisation: allowed.
    post("/api/v1/units")
        .token(&officer.token)
        .json(json!({"org_id": w.org, "name": "会計課"}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    patch(&format!("/api/v1/units/{}", w.unit_b))
        .token(&officer.token)
        .json(json!({"note": "庁舎3階"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    post("/api/v1/people")
        .token(&officer.token)
        .json(json!({"name": "会計 七子", "unit_id": w.unit_b}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    post(&format!("/api/v1/people/{}/roles", w.person_b))
        .token(&officer.token)
        .json(json!({"role": "security_manager", "scope": format!("unit:{}", w.unit_b)}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);

    // Another organisation, or a role above the unit level: refused.
    post("/api/v1/units")
        .token(&officer.token)
        .json(json!({"org_id": other_org, "name": "勝手な課"}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    patch(&format!("/api/v1/units/{other_unit}"))
        .token(&officer.token)
        .json(json!({"name": "改名"}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    post("/api/v1/people")
        .token(&officer.token)
        .json(json!({"name": "他所 八郎", "unit_id": other_unit}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    patch(&format!("/api/v1/people/{}", w.person_b))
        .token(&officer.token)
        .json(json!({"unit_id": other_unit}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    post(&format!("/api/v1/people/{}/roles", w.person_b))
        .token(&officer.token)
        .json(json!({"role": "auditor", "scope": "global"}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    post(&format!("/api/v1/people/{}/roles", w.person_b))
        .token(&officer.token)
        .json(json!({"role": "staff", "scope": format!("unit:{other_unit}")}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    // A person of another organisation is not even visible to the officer.
    post(&format!("/api/v1/people/{outsider}/roles"))
        .token(&officer.token)
        .json(json!({"role": "staff", "scope": format!("unit:{other_unit}")}))
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    post("/api/v1/organisations")
        .token(&officer.token)
        .json(json!({"code": "NEW", "name": "新機関"}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn staff_of_one_unit_cannot_see_a_person_of_another() {
    let w = world().await;
    // A colleague of the same unit is visible, so the refusals below are about the unit.
    get(&format!("/api/v1/people/{}", w.colleague_a))
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    get(&format!("/api/v1/people/{}/roles", w.colleague_a))
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);

    let other = format!("/api/v1/people/{}", w.person_b);
    let hidden = get(&other)
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    let absent = get("/api/v1/people/999999")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(hidden, absent, "a hidden person looks like no person");
    get(&format!("{other}/roles"))
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    patch(&other)
        .token(&w.staff_a.token)
        .json(json!({"title": "x"}))
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    post(&format!("{other}/roles"))
        .token(&w.staff_a.token)
        .json(json!({"role": "staff", "scope": format!("unit:{}", w.unit_b)}))
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");

    // The person's name is still in the directory, without contact details.
    let page = get(&format!("/api/v1/people?unit={}", w.unit_b))
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(ids(&page["people"], "id"), vec![w.person_b]);

    // A role of the other unit's person cannot be revoked by guessing its id either.
    let assignment = post(&format!("{other}/roles"))
        .token(&w.ciso.token)
        .json(json!({"role": "staff", "scope": format!("unit:{}", w.unit_b)}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    delete(&format!("/api/v1/role-assignments/{}", assignment["id"]))
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn an_auditor_never_sees_the_audit_trail_of_its_own_unit() {
    let w = world().await;
    // Make records in both units: a read in unit A's and a change in unit B's.
    get(&format!("/api/v1/people/{}", w.colleague_a))
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    patch(&format!("/api/v1/people/{}", w.person_b))
        .token(&w.ciso.token)
        .json(json!({"title": "係長"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);

    let units_in = |page: &Value| -> BTreeSet<Option<i64>> {
        page["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["unit_id"].as_i64())
            .collect()
    };
    let everything = get("/api/v1/audit?limit=500")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let seen = units_in(&everything);
    assert!(seen.contains(&Some(w.unit_a)) && seen.contains(&Some(w.unit_b)));

    let audited = get("/api/v1/audit?limit=500")
        .token(&w.auditor_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let seen = units_in(&audited);
    assert!(!seen.contains(&Some(w.unit_a)), "{audited}");
    assert!(seen.contains(&Some(w.unit_b)));

    // Nor the people of its own unit.
    get(&format!("/api/v1/people/{}", w.colleague_a))
        .token(&w.auditor_a.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    get(&format!("/api/v1/people/{}", w.person_b))
        .token(&w.auditor_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// Bad input

#[tokio::test]
async fn invalid_bodies_are_refused_with_localised_json_errors() {
    let w = world().await;
    let orgs = "/api/v1/organisations";

    let missing = post(orgs)
        .token(&w.ciso.token)
        .json(json!({}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(missing["message"], "入力内容に誤りがあります。");
    assert_eq!(
        missing["fields"],
        json!([
            {"field": "code", "kind": "required", "message": "コードを入力してください。"},
            {"field": "name", "kind": "required", "message": "名称を入力してください。"},
        ])
    );
    let english = post(orgs)
        .token(&w.ciso.token)
        .header("accept-language", "en-GB,en;q=0.9")
        .json(json!({"code": "OK"}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(english["message"], "The request is not valid.");
    assert_eq!(english["fields"][0]["message"], "Name is required.");

    let wrong_type = post(orgs)
        .token(&w.ciso.token)
        .json(json!({"code": "OK", "name": 5}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(wrong_type["fields"][0]["field"], "name");
    assert_eq!(
        wrong_type["fields"][0]["message"],
        "名称の形式が正しくありません。"
    );
    let wrong_id = post("/api/v1/units")
        .token(&w.ciso.token)
        .json(json!({"org_id": "one", "name": "課"}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(wrong_id["fields"][0]["field"], "organisation");
    let unknown_field = post(orgs)
        .token(&w.ciso.token)
        .json(json!({"code": "OK", "name": "機関", "owner": "me"}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(unknown_field["fields"][0]["field"], "body");
    let not_an_object = patch(&format!("{orgs}/{}", w.org))
        .token(&w.ciso.token)
        .json(json!(["name"]))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(not_an_object["fields"][0]["field"], "body");
    let bad_values = post("/api/v1/people")
        .token(&w.ciso.token)
        .json(json!({"name": "a\u{202E}b", "unit_id": -3, "email": "nobody", "phone": "<b>"}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(
        bad_values["fields"].as_array().unwrap().len(),
        4,
        "{bad_values}"
    );
    post("/api/v1/people")
        .token(&w.ciso.token)
        .json(json!({"name": "誰か", "unit_id": 999999}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");

    for broken in [
        "{\"code\": \"A\", ",
        "{\"code\": \"A\"} trailing",
        "",
        "\u{0}",
    ] {
        let reply = post(orgs)
            .token(&w.ciso.token)
            .raw("application/json", broken.to_owned())
            .send(&w.app)
            .await
            .error(StatusCode::BAD_REQUEST, "malformed");
        assert_eq!(
            reply["message"],
            "リクエストの形式が正しくありません。JSON の構文やパラメーターを確認してください。"
        );
    }
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonx",
    ] {
        post(orgs)
            .token(&w.ciso.token)
            .raw(content_type, "{\"code\": \"A\", \"name\": \"機関\"}")
            .send(&w.app)
            .await
            .error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    }
    let mut no_type = post(orgs).token(&w.ciso.token);
    no_type.body = Body::from("{\"code\": \"A\", \"name\": \"機関\"}");
    let english = no_type
        .header("accept-language", "en")
        .send(&w.app)
        .await
        .error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert!(
        english["message"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );
    post(orgs)
        .token(&w.ciso.token)
        .raw(
            "application/json; charset=utf-8",
            "{\"code\": \"CS\", \"name\": \"機関\"}",
        )
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);

    let huge = json!({"code": "BIG", "name": "機関", "note": "あ".repeat(1 << 20)});
    post(orgs)
        .token(&w.ciso.token)
        .json(huge)
        .send(&w.app)
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    let long = post(orgs)
        .token(&w.ciso.token)
        .json(json!({"code": "LONG", "name": "名".repeat(201)}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(
        long["fields"][0]["message"],
        "名称は200文字以内で入力してください。"
    );

    // Nothing of the refused bodies was stored.
    let list = get(orgs)
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(ids(&list, "id").len(), 2);
}

#[tokio::test]
async fn requests_without_a_valid_bearer_token_are_unauthenticated() {
    let w = world().await;
    let reply = get("/api/v1/me").send(&w.app).await;
    assert_eq!(reply.headers[header::WWW_AUTHENTICATE], "Bearer");
    let absent = reply.error(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(absent["message"], "ログインしてください。");
    let english = get("/api/v1/organisations")
        .header("accept-language", "en")
        .send(&w.app)
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(english["message"], "Please log in.");
    for value in [
        "Bearer mamori_not-a-token",
        "Bearer ",
        "Basic Y2lzbzpwYXNzd29yZA==",
        "bearer",
    ] {
        get("/api/v1/me")
            .header("authorization", value)
            .send(&w.app)
            .await
            .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    // A change without any credentials is told to authenticate, not about CSRF.
    post("/api/v1/organisations")
        .json(json!({"code": "ANON", "name": "匿名"}))
        .send(&w.app)
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    // A refused token is refused before the body is looked at.
    post("/api/v1/organisations")
        .token("mamori_wrong")
        .raw("application/json", "{broken")
        .send(&w.app)
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthenticated");
    get("/api/v1/me")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
}

#[tokio::test]
async fn a_cookie_authenticated_api_change_needs_the_csrf_header() {
    let w = world().await;
    let session = random_token(&mut rand::rngs::OsRng);
    let csrf = random_token(&mut rand::rngs::OsRng);
    let now = chrono::Utc::now().timestamp_millis();
    w.store
        .create_session(NewSession {
            token_digest: token_digest(&session),
            user_id: w.ciso.user,
            csrf_token: csrf.clone(),
            mfa_pending: false,
            expires_at: now + 3_600_000,
            address: "local".to_owned(),
            user_agent: "test".to_owned(),
        })
        .await
        .unwrap();
    let cookie = format!("mamori_session={session}");
    let body = json!({"code": "SENKYO", "name": "選挙管理委員会"});

    get("/api/v1/me")
        .header("cookie", &cookie)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let refused = post("/api/v1/organisations")
        .header("cookie", &cookie)
        .json(body.clone())
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "csrf");
    assert!(refused["message"].as_str().unwrap().contains("再読み込み"));
    post("/api/v1/organisations")
        .header("cookie", &cookie)
        .header("x-csrf-token", "wrong")
        .json(body.clone())
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "csrf");
    delete("/api/v1/role-assignments/1")
        .header("cookie", &cookie)
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "csrf");
    post("/api/v1/organisations")
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(body)
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI document

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes_served() {
    let w = world().await;
    // The document is public: a client reads it before it has a token.
    let doc = get("/api/v1/openapi.json")
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(doc["security"], json!([{"bearer": []}]));

    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method = method.to_ascii_uppercase();
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path} documents no response"
            );
            documented.insert((method, path.clone()));
        }
    }
    let served: BTreeSet<(String, String)> = mamori_web::api_routes()
        .into_iter()
        .map(|(method, path)| (method.to_string(), path))
        .collect();
    assert_eq!(documented, served);
    assert!(served.len() >= 21, "{served:?}");

    // Each route is really there: an empty body never meets the router's 404 or 405 and never
    // a 500. Paths without an id cannot answer 404 at all.
    for (method, path) in &served {
        let concrete = path.replace("{id}", "999999");
        let reply = Call::new(method.parse().unwrap(), &concrete)
            .token(&w.ciso.token)
            .json(json!({}))
            .send(&w.app)
            .await;
        assert_ne!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert!(
            reply.status.as_u16() < 500,
            "{method} {path}: {}",
            reply.body
        );
        // The quarantine is 404 on a server that runs no gateway (as here); its routes are met
        // with a gateway in `web::quarantine`.
        if !path.contains("{id}") && !path.starts_with("/api/v1/quarantine") {
            assert_ne!(reply.status, StatusCode::NOT_FOUND, "{method} {path}");
        }
    }

    // Anything else under the API is a JSON 404 or 405.
    get("/api/v1/nothing-here")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    delete(&format!("/api/v1/organisations/{}", w.org))
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[tokio::test]
async fn contractors_do_not_browse_the_directory() {
    let w = world().await;
    let contractor = provision(
        &w.store,
        "vendor",
        "委託 業者",
        Some(w.unit_b),
        Some((Role::Contractor, Scope::Unit(UnitId(w.unit_b)))),
    )
    .await;
    for path in ["/api/v1/organisations", "/api/v1/units", "/api/v1/people"] {
        get(path)
            .token(&contractor.token)
            .send(&w.app)
            .await
            .error(StatusCode::FORBIDDEN, "forbidden");
    }
    // Their own record stays theirs to read.
    let me = get(&format!("/api/v1/people/{}", contractor.person))
        .token(&contractor.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let person: Person = serde_json::from_value(me).unwrap();
    assert_eq!(person.unit_id, Some(UnitId(w.unit_b)));
}

// ---------------------------------------------------------------------------------------------
// The whole matrix of role × route

/// Every role of the security organisation, each held by one account. Targets live in unit B;
/// the officer's organisation is the world's only one.
const MATRIX_ROLES: [&str; 8] = [
    "ciso",
    "director",
    "officer",
    "manager_b",
    "csirt",
    "auditor_a",
    "staff_a",
    "contractor_b",
];

/// Per route, the outcome for each role of [`MATRIX_ROLES`] in order: `A` allowed (2xx),
/// `F` forbidden (403), `N` hidden (404).
const MATRIX: [(&str, &str); 159] = [
    ("GET /me", "AAAAAAAA"),
    ("GET /waiting", "AAAAAAAA"),
    ("GET /organisations", "AAAAAAAF"),
    ("POST /organisations", "AAFFFFFF"),
    ("GET /organisations/{id}", "AAAAAAAF"),
    ("PATCH /organisations/{id}", "AAFFFFFF"),
    ("GET /units", "AAAAAAAF"),
    ("POST /units", "AAAFFFFF"),
    ("GET /units/{id}", "AAAAAAAF"),
    ("PATCH /units/{id}", "AAAFFFFF"),
    ("GET /people", "AAAAAAAF"),
    ("POST /people", "AAAAFFFF"),
    ("GET /people/{id}", "AAAAAANN"),
    ("PATCH /people/{id}", "AAAAFFNN"),
    ("GET /people/{id}/roles", "AAAAAANN"),
    ("POST /people/{id}/roles", "AAAFFFNN"),
    ("DELETE /role-assignments/{id}", "AAAFFFNN"),
    ("GET /accounts", "AAFFFFFF"),
    ("POST /accounts", "AAFFFFFF"),
    ("PATCH /accounts/{id}", "AAFFFFFF"),
    ("GET /audit", "AAFFAAFF"),
    ("GET /assets", "AAAAAAAF"),
    ("POST /assets", "AAAAFFFF"),
    ("GET /assets/summary", "AAAAAAAF"),
    ("GET /assets/export", "AAFFFFFF"),
    ("POST /assets/import", "AAFFFFFF"),
    // A 機密性3 asset of unit B: its unit's manager and the security roles, nobody else.
    ("GET /assets/{id}", "AAAAANNN"),
    ("PATCH /assets/{id}", "AAAAFFFN"),
    ("POST /assets/{id}/reclassify", "AAAAFFFN"),
    ("POST /assets/{id}/dispose", "AAAAFFFN"),
    ("GET /segments", "AAAAAAAF"),
    ("POST /segments", "AAFFFFFF"),
    ("PATCH /segments/{id}", "AAFFFFFF"),
    ("DELETE /segments/{id}", "AAFFFFFF"),
    ("GET /classification", "AAAAAAAF"),
    ("PUT /classification/split", "AAFFFFFF"),
    ("PUT /classification/{dimension}/levels/{code}", "AAFFFFFF"),
    // This server runs no gateway: there is no quarantine for anyone (the roles meet the
    // quarantine routes with a gateway in `web::quarantine`).
    ("GET /quarantine", "NNNNNNNN"),
    ("GET /quarantine/releases", "NNNNNNNN"),
    ("POST /quarantine/releases/{id}/decide", "NNNNNNNN"),
    ("GET /quarantine/{id}", "NNNNNNNN"),
    ("POST /quarantine/{id}/request", "NNNNNNNN"),
    // The basic policy in force is read by the staff; each role meets its own draft and review,
    // last edited by the officer; only the CISO (the approver) approves.
    ("GET /policies", "AAAAAAAA"),
    ("POST /policies", "AAAFFFFF"),
    ("GET /policies/{id}", "AAAAAAAN"),
    ("GET /policies/{id}/versions/{n}", "AAAAAAAN"),
    ("GET /policies/{id}/diff", "AAAAAAAN"),
    ("PUT /policies/{id}/draft", "AAANNFNN"),
    ("POST /policies/{id}/versions/{n}/submit", "AAANNFNN"),
    ("POST /policies/{id}/versions/{n}/return", "AAANNFNN"),
    ("POST /policies/{id}/versions/{n}/approve", "AFFNNFNN"),
    ("POST /policies/{id}/versions/{n}/acknowledge", "FFAAAAAN"),
    (
        "GET /policies/{id}/versions/{n}/acknowledgements",
        "AAAAFAFN",
    ),
    // 対策項目: read by the staff; unit B's answers by those who oversee it and the CSIRT,
    // given by its 管理者, the organisation's 責任者 and the administrators.
    ("GET /catalogues", "AAAAAAAF"),
    ("POST /catalogues", "AAFFFFFF"),
    ("GET /catalogues/{id}", "AAAAAAAF"),
    ("GET /catalogues/{id}/export.yaml", "AAAAAAAF"),
    ("GET /catalogues/{id}/units/{unit}/answers", "AAAAAANF"),
    ("POST /catalogues/{id}/units/{unit}/answers", "AAAAFFNF"),
    ("GET /coverage", "AAAAAAFN"),
    // リスク: unit B's critical risk, owned by its person, is seen by the security roles over
    // it (the auditor is of unit A), not by staff; accepted by the CISO alone.
    ("GET /threats", "AAAAAAAF"),
    ("POST /threats", "AAFFFFFF"),
    ("PUT /threats/{id}", "AAFFFFFF"),
    ("GET /risk-matrix", "AAAAAAAF"),
    ("GET /risks", "AAAAAAAF"),
    ("POST /risks", "AAAAFFFF"),
    ("GET /risks/{id}", "AAAAAANN"),
    ("PUT /risks/{id}", "AAAAFFNN"),
    ("POST /risks/{id}/accept", "AFFFFFNN"),
    ("GET /inspections", "AAAAAAAF"),
    ("POST /inspections", "AAFFFFFF"),
    ("GET /inspections/{id}", "AAAAAANF"),
    ("GET /inspections/{id}/units/{unit}", "AAAAAANF"),
    ("POST /inspections/{id}/units/{unit}/sign-off", "AAAFFFNF"),
    ("GET /findings", "AAAAAAAF"),
    ("POST /findings", "AAFFFAFF"),
    ("GET /findings/{id}", "AAAAAANN"),
    ("POST /findings/{id}/grade", "AAFFFANN"),
    ("POST /findings/{id}/actions", "AAAAFFNN"),
    ("GET /corrective-actions", "AAAAAAAA"),
    ("POST /corrective-actions/{id}/complete", "AAAAFFNN"),
    ("POST /corrective-actions/{id}/verify", "AAFFFANN"),
    ("GET /audits", "AAAAAAAF"),
    ("POST /audits", "AAFFFFFF"),
    ("GET /audits/{id}", "AANNNANN"),
    ("POST /audits/{id}/team", "AANNNFNN"),
    ("DELETE /audits/{id}/team/{person}", "AANNNFNN"),
    ("POST /audits/{id}/notes", "FFNNNANN"),
    ("POST /audits/{id}/findings", "FFNNNANN"),
    ("POST /audits/{id}/report", "FFNNNANN"),
    ("GET /exceptions", "AAAAAAAF"),
    ("POST /exceptions", "AAAAFFFF"),
    ("GET /exceptions/{id}", "AAAAAANN"),
    ("POST /exceptions/{id}/decide", "AFFFFFNN"),
    ("PUT /risk-matrix", "AAFFFFFF"),
    ("GET /reviews", "AAAAAAFF"),
    ("POST /reviews", "AAFFFFFF"),
    ("GET /reviews/{id}", "AAAAAAFF"),
    ("POST /reviews/{id}/versions", "AAFFFFFF"),
    ("POST /reviews/{id}/incidents", "AAFFFFFF"),
    ("GET /incidents", "AAAAAAAA"),
    ("POST /incidents", "AAAAAAAA"),
    ("GET /incidents/{id}", "AAANANAN"),
    ("POST /incidents/{id}/triage", "AAFNANFN"),
    ("POST /incidents/{id}/events", "AAFNANFN"),
    // 対応タスク of staff A's: added by those who triage, done by its owner or them.
    ("POST /incidents/{id}/tasks", "AAFNANFN"),
    ("POST /incidents/{id}/tasks/{task}/done", "AAFNANAN"),
    // インシデント候補: read by those who triage, decided by the CSIRT and the CISO.
    ("GET /incident-candidates", "AAFFAFFF"),
    ("POST /incident-candidates/{id}/open", "AFFFAFFF"),
    ("POST /incident-candidates/{id}/dismiss", "AFFFAFFF"),
    // 教訓 of a closed incident of staff A's.
    ("PUT /incidents/{id}/lessons", "AAFNANFN"),
    ("GET /emergency-contacts", "AAAAAAAF"),
    // 委託事業者 and 指定管理者: a contract of unit B that lists the contractor's account, and an
    // agreement of unit B; managed by the administrators, read by the roles over third parties
    // (and the contract by its contractor), verified by unit B's 管理者, the 責任者 and the
    // administrators.
    ("GET /contractors", "AAAAFAFF"),
    ("POST /contractors", "AAFFFFFF"),
    ("GET /contractors/{id}", "AAAAFAFF"),
    ("PUT /contractors/{id}", "AAFFFFFF"),
    ("GET /contracts", "AAAAFAFA"),
    ("POST /contracts", "AAFFFFFF"),
    ("GET /contracts/{id}", "AAAANANA"),
    ("PUT /contracts/{id}", "AAFFNFNF"),
    ("POST /contracts/{id}/verifications", "AAAANFNF"),
    ("GET /designated-managers", "AAAAFAFA"),
    ("POST /designated-managers", "AAFFFFFF"),
    ("GET /designated-managers/{id}", "AAAANANN"),
    ("PUT /designated-managers/{id}", "AAFFNFNN"),
    ("POST /designated-managers/{id}/verifications", "AAAANFNN"),
    ("GET /notices", "AAAAAAAA"),
    ("PUT /notices/digest", "AAAAAAAA"),
    ("GET /outbox", "AAFFFFFF"),
    // 研修: courses read by the staff, managed by the administrators; a unit's progress by
    // whoever oversees it; a completion of person B's (unit B) by the administrators, refused
    // to those who see the unit and hidden from the rest; everyone's own list.
    ("GET /training/courses", "AAAAAAAF"),
    ("POST /training/courses", "AAFFFFFF"),
    ("GET /training/courses/{id}", "AAAAAAAF"),
    ("POST /training/courses/{id}/assign", "AAFFFFFF"),
    ("GET /training/courses/{id}/units/{unit}", "AAAAFAFF"),
    ("GET /training/assignments", "AAAAAAAA"),
    ("POST /training/assignments/{id}/complete", "AAFFNFNN"),
    ("POST /training/import", "AAFFFFFF"),
    ("GET /cloud-services", "AAAAAAAF"),
    ("POST /cloud-services", "AAFFFFFF"),
    ("GET /cloud-services/{id}", "AAAAAAAF"),
    ("PUT /cloud-services/{id}", "AAAAFFFF"),
    ("POST /cloud-services/{id}/assets", "AAAAFFFF"),
    ("DELETE /cloud-services/{id}/assets/{asset_id}", "AAAAFFFF"),
    ("GET /social-media-accounts", "AAAAAAAF"),
    ("POST /social-media-accounts", "AAFFFFFF"),
    ("GET /social-media-accounts/{id}", "AAAAAAAF"),
    ("PUT /social-media-accounts/{id}", "AAFFFFFF"),
    ("POST /social-media-accounts/{id}/reviews", "AAAAFFFF"),
    ("GET /monitor/alerts", "AAFFAAFF"),
    ("GET /monitor/alerts/{id}", "AAFFAAFF"),
    ("POST /monitor/alerts/{id}/acknowledge", "FFFFAFFF"),
    ("POST /monitor/alerts/{id}/close", "FFFFAFFF"),
    ("POST /monitor/alerts/{id}/candidate", "FFFFAFFF"),
    ("GET /monitor/crossing-matrix", "AAFFAAFF"),
    ("PUT /monitor/crossing-matrix", "AAFFFFFF"),
    ("POST /monitor/crossing-matrix/preset", "AAFFFFFF"),
    ("GET /monitor/settings", "AAFFAAFF"),
    ("PUT /monitor/settings", "AAFFFFFF"),
    ("GET /monitor/segments/{code}/tallies", "AAFFAAFF"),
];

#[tokio::test]
async fn every_role_meets_every_route_as_the_rules_say() {
    let w = world().await;
    let org = mamori_core::OrgId(w.org);
    let unit_b = UnitId(w.unit_b);
    let director = provision(
        &w.store,
        "director",
        "統括 次郎",
        None,
        Some((Role::SecurityDirector, Scope::Global)),
    )
    .await;
    let officer = provision(
        &w.store,
        "officer",
        "責任 太郎",
        Some(w.unit_a),
        Some((Role::SecurityOfficer, Scope::Organisation(org))),
    )
    .await;
    let manager = provision(
        &w.store,
        "manager.b",
        "管理 三子",
        Some(w.unit_b),
        Some((Role::SecurityManager, Scope::Unit(unit_b))),
    )
    .await;
    let csirt = provision(
        &w.store,
        "csirt",
        "対応 四郎",
        Some(w.unit_a),
        Some((Role::Csirt, Scope::Global)),
    )
    .await;
    let contractor = provision(
        &w.store,
        "vendor.b",
        "委託 業者",
        Some(w.unit_b),
        Some((Role::Contractor, Scope::Unit(unit_b))),
    )
    .await;
    let throwaway = provision(&w.store, "throwaway", "仮 アカウント", Some(w.unit_b), None).await;
    let tokens = [
        &w.ciso.token,
        &director.token,
        &officer.token,
        &manager.token,
        &csirt.token,
        &w.auditor_a.token,
        &w.staff_a.token,
        &contractor.token,
    ];
    let roles_of_b = format!("/api/v1/people/{}/roles", w.person_b);
    let unit_b_scope = format!("unit:{}", w.unit_b);
    let segment = post("/api/v1/segments")
        .token(&w.ciso.token)
        .json(json!({"code": "LGWAN", "name": "LGWAN接続系", "ranges": ["10.10.0.0/16"]}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    let asset_of_b = |name: &str, confidentiality: &str| {
        post("/api/v1/assets").token(&w.ciso.token).json(json!({
            "kind": "system", "name": name, "owner_unit_id": w.unit_b, "segment": "LGWAN",
            "confidentiality": confidentiality, "integrity": "2", "availability": "2",
        }))
    };
    let secret_b = asset_of_b("人事給与システム", "3")
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    let open_b = asset_of_b("庁内グループウェア", "2")
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();

    // The basic policy in force: imported by the officer, approved by the CISO.
    const TEXT: &str = "基本方針\n1 目的\n情報資産を守る。\n2 対策\n(1) 教育\n研修を行う。\n";
    let officer_import = |tier: &str, title: String| {
        post("/api/v1/policies")
            .token(&officer.token)
            .json(json!({"org_id": w.org, "tier": tier, "title": title, "text": TEXT}))
    };
    let basic = officer_import("basic", "情報セキュリティ基本方針".into())
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["policy_id"]
        .clone();
    post(&format!("/api/v1/policies/{basic}/versions/1/submit"))
        .token(&officer.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    post(&format!("/api/v1/policies/{basic}/versions/1/approve"))
        .token(&w.ciso.token)
        .json(json!({"effective_from": "2020-04-01"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    // A fresh standard of the officer's for one attempt, left in draft or submitted for review.
    let fresh = async |title: String, review: bool| {
        let id = officer_import("standard", title)
            .send(&w.app)
            .await
            .expect(StatusCode::CREATED)["policy_id"]
            .clone();
        if review {
            post(&format!("/api/v1/policies/{id}/versions/1/submit"))
                .token(&officer.token)
                .send(&w.app)
                .await
                .expect(StatusCode::OK);
        }
        format!("/api/v1/policies/{id}")
    };

    // mamori's own catalogue, imported by the CISO.
    let library = mamori_core::controls::BUILTIN_YAML;
    let catalogue = post("/api/v1/catalogues")
        .token(&w.ciso.token)
        .raw("application/yaml", library)
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    let answers_of_b = format!("/api/v1/catalogues/{catalogue}/units/{}/answers", w.unit_b);
    let risk_body = |n: usize| {
        json!({
            "title": format!("リスク{n}"), "unit_id": w.unit_b, "owner_id": w.person_b,
            "likelihood": 4, "impact": 5, "treatment": "reduce", "review_on": "2030-03-31",
        })
    };
    let risk_of_b = post("/api/v1/risks")
        .token(&w.ciso.token)
        .json(risk_body(0))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();

    // 自己点検 of unit B, unanswered; a finding on unit B; per attempt, a fresh action on it,
    // open or reported done by the CISO.
    let inspection = post("/api/v1/inspections")
        .token(&w.ciso.token)
        .json(
            json!({"year": 2026, "title": "令和8年度 自己点検", "catalogue_id": catalogue,
            "due_on": "2027-01-31", "unit_ids": [w.unit_b]}),
        )
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    let unit_sheet = format!("/api/v1/inspections/{inspection}/units/{}", w.unit_b);
    let finding_of_b = post("/api/v1/findings")
        .token(&w.ciso.token)
        .json(json!({"unit_id": w.unit_b, "kind": "minor", "description": "持ち出し記録がない"}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    let fresh_action = async |done: bool| {
        let id = post(&format!("/api/v1/findings/{finding_of_b}/actions"))
            .token(&w.ciso.token)
            .json(
                json!({"description": "記録簿を整える", "owner_id": w.person_b,
                "due_on": "2030-03-31"}),
            )
            .send(&w.app)
            .await
            .expect(StatusCode::CREATED)["id"]
            .clone();
        if done {
            post(&format!("/api/v1/corrective-actions/{id}/complete"))
                .token(&w.ciso.token)
                .json(json!({"note": "作成した"}))
                .send(&w.app)
                .await
                .expect(StatusCode::OK);
        }
        format!("/api/v1/corrective-actions/{id}")
    };

    // 情報セキュリティ監査 of unit B led by the auditor of unit A; per attempt, a fresh person of
    // unit A for the team, and a fresh audit for the report (which closes it).
    let fresh_audit =
        async || {
            let id = post("/api/v1/audits")
            .token(&w.ciso.token)
            .json(json!({"year": 2026, "title": "情報セキュリティ監査", "period_from": "2026-10-01",
                "period_to": "2026-11-30", "unit_ids": [w.unit_b]}))
            .send(&w.app)
            .await
            .expect(StatusCode::CREATED)["id"]
            .clone();
            post(&format!("/api/v1/audits/{id}/team"))
                .token(&w.ciso.token)
                .json(json!({"person_id": w.auditor_a.person, "lead": true}))
                .send(&w.app)
                .await
                .expect(StatusCode::OK);
            format!("/api/v1/audits/{id}")
        };
    let audit_of_b = fresh_audit().await;
    let fresh_person = async |n: usize| {
        post("/api/v1/people")
            .token(&w.ciso.token)
            .json(json!({"name": format!("監査人{n}"), "unit_id": w.unit_a}))
            .send(&w.app)
            .await
            .expect(StatusCode::CREATED)["id"]
            .clone()
    };

    // 例外措置 of unit B asked for by its manager; per decision, a fresh one.
    let exception_body = |n: usize| {
        json!({"unit_id": w.unit_b, "measure": "M-1.1.1", "reason": format!("更新待ち{n}"),
            "compensating": "分離", "until": "2030-03-31"})
    };
    let fresh_exception = async |n: usize| {
        let id = post("/api/v1/exceptions")
            .token(&manager.token)
            .json(exception_body(n))
            .send(&w.app)
            .await
            .expect(StatusCode::CREATED)["id"]
            .clone();
        format!("/api/v1/exceptions/{id}")
    };
    let exception_of_b = fresh_exception(0).await;
    let incident_of_a = post("/api/v1/incidents")
        .token(&w.staff_a.token)
        .json(json!({"title": "USBメモリの紛失"}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    let fresh_candidate = async |n: usize, kind: &str| {
        use mamori_store::IncidentStore as _;
        w.store
            .raise_incident_candidate(
                mamori_core::incident::CandidateSource::Gateway,
                &format!("q-{n}-{kind}"),
                "[executable] attacker@example.com: 請求書",
                &Origin::system("test"),
            )
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let closed_of_a = post("/api/v1/incidents")
        .token(&w.staff_a.token)
        .json(json!({"title": "誤送信"}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    post(&format!("/api/v1/incidents/{closed_of_a}/events"))
        .token(&w.ciso.token)
        .json(json!({"step": "closed"}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    // 外部サービス of unit B and an SNS account whose responsible person is in unit B.
    let service_body = |n: usize| {
        json!({"provider": "クラウド株式会社", "name": format!("共有{n}"), "classes": ["2", "1"],
            "unit_id": w.unit_b})
    };
    let service_of_b = post("/api/v1/cloud-services")
        .token(&w.ciso.token)
        .json(service_body(0))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    let placements = format!("/api/v1/cloud-services/{service_of_b}/assets");
    let social_body = |n: usize| {
        json!({"platform": "X", "account_name": format!("@city{n}"), "url": "https://x.com/city",
            "owner_id": w.person_b, "rules": "承認済みの記事のみ"})
    };
    let social_of_b = post("/api/v1/social-media-accounts")
        .token(&w.ciso.token)
        .json(social_body(0))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    let contractor_of_b = post("/api/v1/contractors")
        .token(&w.ciso.token)
        .json(json!({"name": "株式会社まもり保守", "phone": "03-1234-5678"}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    let contract_body = json!({
        "contractor_id": contractor_of_b, "title": "人事給与システム保守", "unit_id": w.unit_b,
        "starts_on": "2020-04-01", "ends_on": "2099-03-31", "assets": [],
        "classes": ["2"], "requirements": ["confidentiality", "incident_reporting"],
        "people": [contractor.person],
    });
    let contract_of_b = post("/api/v1/contracts")
        .token(&w.ciso.token)
        .json(contract_body.clone())
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    let designated_body = json!({
        "title": "区民文化センター", "managing_body": "公益財団法人まもり文化振興会",
        "unit_id": w.unit_b, "starts_on": "2020-04-01", "ends_on": "2099-03-31",
        "requirements": ["confidentiality"],
    });
    let designated_of_b = post("/api/v1/designated-managers")
        .token(&w.ciso.token)
        .json(designated_body.clone())
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    let review = post("/api/v1/reviews")
        .token(&w.ciso.token)
        .json(json!({"title": "見直し", "held_on": "2027-02-15", "inspection_ids": [inspection]}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["id"]
        .clone();
    let course = post("/api/v1/training/courses")
        .token(&w.ciso.token)
        .json(json!({"code": "SEC", "title": "情報セキュリティ研修", "due_on": "2099-03-31"}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)["course"]["id"]
        .clone();
    let assignment_of_b = get(&format!(
        "/api/v1/training/courses/{course}/units/{}",
        w.unit_b
    ))
    .token(&w.ciso.token)
    .send(&w.app)
    .await
    .expect(StatusCode::OK)["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["person_id"] == w.person_b)
        .unwrap()["id"]
        .clone();
    // Two open monitor alerts: one to acknowledge, one to close.
    let (alert_ack, alert_close) = {
        use mamori_core::monitor::{Alert, AlertRule};
        use mamori_store::MonitorStore as _;
        let sighting = |key: &str| Alert {
            rule: AlertRule::Dns,
            key: key.into(),
            src: "10.10.0.5".parse().unwrap(),
            dst: Some("8.8.8.8".parse().unwrap()),
            dst_port: Some(53),
            proto: Some(mamori_core::crossing::Proto::Udp),
            src_segment: None,
            dst_segment: None,
            src_asset: None,
            dst_asset: None,
            detail: String::new(),
            count: 1,
            first_seen: "2026-12-01T00:00:00Z".parse().unwrap(),
            last_seen: "2026-12-01T00:00:00Z".parse().unwrap(),
            evidence: Vec::new(),
        };
        w.store
            .record_monitor(&[sighting("ack"), sighting("close")], &[])
            .await
            .unwrap();
        let page = get("/api/v1/monitor/alerts")
            .token(&w.ciso.token)
            .send(&w.app)
            .await
            .expect(StatusCode::OK);
        let id = |key: &str| {
            page["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["key"] == key)
                .unwrap()["id"]
                .clone()
        };
        (id("ack"), id("close"))
    };

    let mut wrong = Vec::new();
    for (route, outcomes) in MATRIX {
        for (i, (who, expected)) in MATRIX_ROLES.iter().zip(outcomes.chars()).enumerate() {
            let token = tokens[i];
            let n = i + 1;
            // A role assignment left behind by the attempt, to be taken away after it.
            let mut leftover = None;
            // A placement left behind, or one taken away, to be undone after it.
            let unplace_after = route == "POST /cloud-services/{id}/assets";
            let call = match route {
                "GET /me" => get("/api/v1/me"),
                "GET /waiting" => get("/api/v1/waiting"),
                "GET /organisations" => get("/api/v1/organisations"),
                "POST /organisations" => post("/api/v1/organisations")
                    .json(json!({"code": format!("M{n}"), "name": format!("機関{n}")})),
                "GET /organisations/{id}" => get(&format!("/api/v1/organisations/{}", w.org)),
                "PATCH /organisations/{id}" => patch(&format!("/api/v1/organisations/{}", w.org))
                    .json(json!({"note": format!("note {n}")})),
                "GET /units" => get("/api/v1/units"),
                "POST /units" => {
                    post("/api/v1/units").json(json!({"org_id": w.org, "name": format!("課{n}")}))
                }
                "GET /units/{id}" => get(&format!("/api/v1/units/{}", w.unit_b)),
                "PATCH /units/{id}" => patch(&format!("/api/v1/units/{}", w.unit_b))
                    .json(json!({"note": format!("note {n}")})),
                "GET /people" => get("/api/v1/people"),
                "POST /people" => post("/api/v1/people")
                    .json(json!({"name": format!("職員{n}"), "unit_id": w.unit_b})),
                "GET /people/{id}" => get(&format!("/api/v1/people/{}", w.person_b)),
                "PATCH /people/{id}" => patch(&format!("/api/v1/people/{}", w.person_b))
                    .json(json!({"title": format!("職名{n}")})),
                "GET /people/{id}/roles" => get(&roles_of_b),
                "POST /people/{id}/roles" => {
                    post(&roles_of_b).json(json!({"role": "staff", "scope": unit_b_scope}))
                }
                "DELETE /role-assignments/{id}" => {
                    let assignment = post(&roles_of_b)
                        .token(&w.ciso.token)
                        .json(json!({"role": "staff", "scope": unit_b_scope}))
                        .send(&w.app)
                        .await
                        .expect(StatusCode::CREATED);
                    let path = format!("/api/v1/role-assignments/{}", assignment["id"]);
                    leftover = Some(path.clone());
                    delete(&path)
                }
                "GET /accounts" => get("/api/v1/accounts"),
                "POST /accounts" => {
                    let person = post("/api/v1/people")
                        .token(&w.ciso.token)
                        .json(json!({"name": format!("新規{n}"), "unit_id": w.unit_b}))
                        .send(&w.app)
                        .await
                        .expect(StatusCode::CREATED);
                    post("/api/v1/accounts").json(json!({
                        "username": format!("new{n}"),
                        "person_id": person["id"],
                        "password": "kumo-no-ue-2026",
                    }))
                }
                "PATCH /accounts/{id}" => patch(&format!("/api/v1/accounts/{}", throwaway.user.0))
                    .json(json!({"disabled": n % 2 == 0})),
                "GET /audit" => get("/api/v1/audit"),
                "GET /assets" => get("/api/v1/assets?confidentiality=3"),
                "POST /assets" => post("/api/v1/assets").json(json!({
                    "kind": "equipment", "name": format!("端末{n}"), "owner_unit_id": w.unit_b,
                    "confidentiality": "2", "integrity": "1", "availability": "1",
                })),
                "GET /assets/summary" => get("/api/v1/assets/summary"),
                "GET /assets/export" => get("/api/v1/assets/export?format=csv"),
                "POST /assets/import" => post("/api/v1/assets/import").raw(
                    "text/csv",
                    format!(
                        "名称,種別,所有課室,機密性,完全性,可用性\r\n取込端末{n},機器,情報政策課,1,1,1\r\n"
                    ),
                ),
                "GET /assets/{id}" => get(&format!("/api/v1/assets/{secret_b}")),
                "PATCH /assets/{id}" => patch(&format!("/api/v1/assets/{open_b}"))
                    .json(json!({"note": format!("note {n}")})),
                "POST /assets/{id}/reclassify" => {
                    post(&format!("/api/v1/assets/{open_b}/reclassify")).json(json!({
                        "confidentiality": "2", "integrity": "2", "availability": "2",
                        "reason": format!("見直し{n}"),
                    }))
                }
                "POST /assets/{id}/dispose" => post(&format!("/api/v1/assets/{open_b}/dispose"))
                    .json(json!({"method": "物理破壊", "by": format!("担当{n}")})),
                "GET /segments" => get("/api/v1/segments"),
                "POST /segments" => post("/api/v1/segments")
                    .json(json!({"code": format!("SEG{n}"), "name": format!("区画{n}")})),
                "PATCH /segments/{id}" => patch(&format!("/api/v1/segments/{segment}")).json(
                    json!({"code": "LGWAN", "name": "LGWAN接続系", "ranges": ["10.10.0.0/16"]}),
                ),
                "DELETE /segments/{id}" => {
                    let made = post("/api/v1/segments")
                        .token(&w.ciso.token)
                        .json(json!({"code": format!("TMP{n}"), "name": "一時"}))
                        .send(&w.app)
                        .await
                        .expect(StatusCode::CREATED);
                    delete(&format!("/api/v1/segments/{}", made["id"]))
                }
                "GET /classification" => get("/api/v1/classification"),
                "PUT /classification/split" => {
                    Call::new(Method::PUT, "/api/v1/classification/split")
                        .json(json!({"split": false}))
                }
                "PUT /classification/{dimension}/levels/{code}" => Call::new(
                    Method::PUT,
                    "/api/v1/classification/integrity/levels/1",
                )
                .json(json!({
                    "name": format!("完全性1（{n}）"), "restricted": false,
                    "existence_visible": true, "encrypt_at_rest": false,
                    "encrypt_in_transit": false, "take_out": "allowed",
                })),
                "GET /quarantine" => get("/api/v1/quarantine"),
                "GET /quarantine/releases" => get("/api/v1/quarantine/releases"),
                "POST /quarantine/releases/{id}/decide" => {
                    post("/api/v1/quarantine/releases/1/decide")
                        .json(json!({"decision": "reject", "note": format!("不要{n}")}))
                }
                "GET /quarantine/{id}" => get("/api/v1/quarantine/q-0000000000000000000000a1"),
                "POST /quarantine/{id}/request" => {
                    post("/api/v1/quarantine/q-0000000000000000000000a1/request")
                        .json(json!({"reason": format!("確認{n}")}))
                }
                "GET /policies" => get("/api/v1/policies"),
                "POST /policies" => post("/api/v1/policies").json(json!({
                    "org_id": w.org, "tier": "procedure", "title": format!("手順{n}"), "text": TEXT,
                })),
                "GET /policies/{id}" => get(&format!("/api/v1/policies/{basic}")),
                "GET /policies/{id}/versions/{n}" => {
                    get(&format!("/api/v1/policies/{basic}/versions/1"))
                }
                "GET /policies/{id}/diff" => {
                    get(&format!("/api/v1/policies/{basic}/diff?from=1&to=1"))
                }
                "PUT /policies/{id}/draft" => Call::new(
                    Method::PUT,
                    &format!("{}/draft", fresh(format!("下書き{n}"), false).await),
                )
                .json(json!({"text": TEXT})),
                "POST /policies/{id}/versions/{n}/submit" => post(&format!(
                    "{}/versions/1/submit",
                    fresh(format!("提出{n}"), false).await
                )),
                "POST /policies/{id}/versions/{n}/return" => post(&format!(
                    "{}/versions/1/return",
                    fresh(format!("差戻{n}"), true).await
                )),
                "POST /policies/{id}/versions/{n}/approve" => post(&format!(
                    "{}/versions/1/approve",
                    fresh(format!("承認{n}"), true).await
                ))
                .json(json!({})),
                "POST /policies/{id}/versions/{n}/acknowledge" => {
                    post(&format!("/api/v1/policies/{basic}/versions/1/acknowledge"))
                }
                "GET /policies/{id}/versions/{n}/acknowledgements" => get(&format!(
                    "/api/v1/policies/{basic}/versions/1/acknowledgements"
                )),
                "GET /catalogues" => get("/api/v1/catalogues"),
                "POST /catalogues" => post("/api/v1/catalogues").raw("application/yaml", library),
                "GET /catalogues/{id}" => get(&format!("/api/v1/catalogues/{catalogue}")),
                "GET /catalogues/{id}/export.yaml" => {
                    get(&format!("/api/v1/catalogues/{catalogue}/export.yaml"))
                }
                "GET /catalogues/{id}/units/{unit}/answers" => get(&answers_of_b),
                "POST /catalogues/{id}/units/{unit}/answers" => post(&answers_of_b).json(json!({
                    "measure": "M-1.1.1", "status": "partly", "note": format!("回答{n}"),
                })),
                "GET /coverage" => get(&format!("/api/v1/coverage?policy={basic}")),
                "GET /threats" => get("/api/v1/threats"),
                "POST /threats" => post("/api/v1/threats").json(json!({
                    "code": format!("T-API{n}"), "name_ja": format!("脅威{n}"),
                    "name_en": format!("Threat {n}"), "category": "disaster",
                })),
                "PUT /threats/{id}" => Call::new(Method::PUT, "/api/v1/threats/1").json(json!({
                    "code": "T-ACCESS", "name_ja": "不正アクセス",
                    "name_en": "Unauthorised access", "category": "intentional",
                })),
                "GET /risk-matrix" => get("/api/v1/risk-matrix"),
                "GET /risks" => get("/api/v1/risks"),
                "POST /risks" => post("/api/v1/risks").json(risk_body(n)),
                "GET /risks/{id}" => get(&format!("/api/v1/risks/{risk_of_b}")),
                "PUT /risks/{id}" => Call::new(Method::PUT, &format!("/api/v1/risks/{risk_of_b}"))
                    .json(risk_body(0)),
                "POST /risks/{id}/accept" => post(&format!("/api/v1/risks/{risk_of_b}/accept"))
                    .json(json!({"note": format!("受容{n}")})),
                "GET /inspections" => get("/api/v1/inspections"),
                "POST /inspections" => post("/api/v1/inspections").json(json!({
                    "year": 2030 + n, "title": format!("点検{n}"), "catalogue_id": catalogue,
                    "due_on": "2031-01-31", "unit_ids": [w.unit_b],
                })),
                "GET /inspections/{id}" => get(&format!("/api/v1/inspections/{inspection}")),
                "GET /inspections/{id}/units/{unit}" => get(&unit_sheet),
                "POST /inspections/{id}/units/{unit}/sign-off" => {
                    post(&format!("{unit_sheet}/sign-off")).json(json!({"note": ""}))
                }
                "GET /findings" => get("/api/v1/findings"),
                "POST /findings" => post("/api/v1/findings").json(json!({
                    "unit_id": w.unit_b, "kind": "observation", "description": format!("指摘{n}"),
                })),
                "GET /findings/{id}" => get(&format!("/api/v1/findings/{finding_of_b}")),
                "POST /findings/{id}/grade" => post(&format!(
                    "/api/v1/findings/{finding_of_b}/grade"
                ))
                .json(json!({"kind": "minor", "description": format!("再格付け{n}")})),
                "POST /findings/{id}/actions" => post(&format!(
                    "/api/v1/findings/{finding_of_b}/actions"
                ))
                .json(json!({"description": format!("是正{n}"), "owner_id": w.person_b,
                    "due_on": "2031-03-31"})),
                "GET /corrective-actions" => get("/api/v1/corrective-actions"),
                "POST /corrective-actions/{id}/complete" => {
                    post(&format!("{}/complete", fresh_action(false).await))
                        .json(json!({"note": format!("完了{n}")}))
                }
                "POST /corrective-actions/{id}/verify" => {
                    post(&format!("{}/verify", fresh_action(true).await))
                        .json(json!({"accepted": true, "note": format!("確認{n}")}))
                }
                "GET /audits" => get("/api/v1/audits"),
                "POST /audits" => post("/api/v1/audits").json(json!({
                    "year": 2030 + n, "title": format!("監査{n}"), "period_from": "2030-10-01",
                    "period_to": "2030-11-30", "unit_ids": [w.unit_b],
                })),
                "GET /audits/{id}" => get(&audit_of_b),
                "POST /audits/{id}/team" => post(&format!("{audit_of_b}/team"))
                    .json(json!({"person_id": fresh_person(n).await})),
                "DELETE /audits/{id}/team/{person}" => {
                    let person = fresh_person(100 + n).await;
                    post(&format!("{audit_of_b}/team"))
                        .token(&w.ciso.token)
                        .json(json!({"person_id": person}))
                        .send(&w.app)
                        .await
                        .expect(StatusCode::OK);
                    delete(&format!("{audit_of_b}/team/{person}"))
                }
                "POST /audits/{id}/notes" => post(&format!("{audit_of_b}/notes"))
                    .json(json!({"unit_id": w.unit_b, "text": format!("調書{n}")})),
                "POST /audits/{id}/findings" => post(&format!("{audit_of_b}/findings")).json(
                    json!({"unit_id": w.unit_b, "kind": "minor", "description": format!("指摘{n}")}),
                ),
                "POST /audits/{id}/report" => post(&format!("{}/report", fresh_audit().await))
                    .json(json!({"report": format!("所見{n}")})),
                "GET /exceptions" => get("/api/v1/exceptions"),
                "POST /exceptions" => post("/api/v1/exceptions").json(exception_body(n)),
                "GET /exceptions/{id}" => get(&exception_of_b),
                "POST /exceptions/{id}/decide" => {
                    post(&format!("{}/decide", fresh_exception(n).await))
                        .json(json!({"approve": true, "note": format!("許可{n}")}))
                }
                "PUT /risk-matrix" => {
                    // The matrix in force, put again as it is read.
                    let mut matrix = get("/api/v1/risk-matrix")
                        .token(&w.ciso.token)
                        .send(&w.app)
                        .await
                        .expect(StatusCode::OK);
                    matrix["accept_threshold"] = json!("high");
                    Call::new(Method::PUT, "/api/v1/risk-matrix").json(matrix)
                }
                "GET /incidents" => get("/api/v1/incidents"),
                "GET /emergency-contacts" => get("/api/v1/emergency-contacts"),
                "POST /incidents" => {
                    post("/api/v1/incidents").json(json!({"title": format!("紛失{n}")}))
                }
                "GET /incidents/{id}" => get(&format!("/api/v1/incidents/{incident_of_a}")),
                "POST /incidents/{id}/triage" => post(&format!(
                    "/api/v1/incidents/{incident_of_a}/triage"
                ))
                .json(json!({"severity": "high"})),
                "POST /incidents/{id}/events" => post(&format!(
                    "/api/v1/incidents/{incident_of_a}/events"
                ))
                .json(json!({"step": "note", "note": format!("記録{n}")})),
                "GET /incident-candidates" => get("/api/v1/incident-candidates"),
                "POST /incident-candidates/{id}/open" => {
                    let raised = fresh_candidate(n, "open").await;
                    post(&format!("/api/v1/incident-candidates/{raised}/open")).json(json!({}))
                }
                "POST /incident-candidates/{id}/dismiss" => {
                    let raised = fresh_candidate(n, "dismiss").await;
                    post(&format!("/api/v1/incident-candidates/{raised}/dismiss"))
                        .json(json!({"reason": format!("誤検知{n}")}))
                }
                "PUT /incidents/{id}/lessons" => Call::new(
                    Method::PUT,
                    &format!("/api/v1/incidents/{closed_of_a}/lessons"),
                )
                .json(json!({"lessons": format!("教訓{n}")})),
                "POST /incidents/{id}/tasks" => post(&format!(
                    "/api/v1/incidents/{incident_of_a}/tasks"
                ))
                .json(json!({"title": format!("作業{n}"), "owner_id": w.staff_a.person})),
                "POST /incidents/{id}/tasks/{task}/done" => {
                    let incident = post(&format!("/api/v1/incidents/{incident_of_a}/tasks"))
                        .token(&w.ciso.token)
                        .json(json!({"title": format!("作業{n}"), "owner_id": w.staff_a.person}))
                        .send(&w.app)
                        .await
                        .expect(StatusCode::OK);
                    let task = incident["tasks"].as_array().unwrap().last().unwrap()["id"].clone();
                    post(&format!(
                        "/api/v1/incidents/{incident_of_a}/tasks/{task}/done"
                    ))
                }
                "GET /notices" => get("/api/v1/notices"),
                "PUT /notices/digest" => Call::new(Method::PUT, "/api/v1/notices/digest")
                    .json(json!({"opt_out": n % 2 == 0})),
                "GET /outbox" => get("/api/v1/outbox"),
                "GET /training/courses" => get("/api/v1/training/courses"),
                "POST /training/courses" => post("/api/v1/training/courses").json(json!({
                    "code": format!("C{n}"), "title": format!("研修{n}"), "due_on": "2099-03-31",
                })),
                "GET /training/courses/{id}" => get(&format!("/api/v1/training/courses/{course}")),
                "POST /training/courses/{id}/assign" => {
                    post(&format!("/api/v1/training/courses/{course}/assign"))
                }
                "GET /training/courses/{id}/units/{unit}" => get(&format!(
                    "/api/v1/training/courses/{course}/units/{}",
                    w.unit_b
                )),
                "GET /training/assignments" => get("/api/v1/training/assignments"),
                "POST /training/assignments/{id}/complete" => post(&format!(
                    "/api/v1/training/assignments/{assignment_of_b}/complete"
                ))
                .json(json!({})),
                "POST /training/import" => post("/api/v1/training/import").raw(
                    "text/csv",
                    "email,course,completed_on\nsaburo@city.example.lg.jp,SEC,2026-11-02\n",
                ),
                "GET /cloud-services" => get("/api/v1/cloud-services"),
                "POST /cloud-services" => post("/api/v1/cloud-services").json(service_body(n)),
                "GET /cloud-services/{id}" => {
                    get(&format!("/api/v1/cloud-services/{service_of_b}"))
                }
                "PUT /cloud-services/{id}" => Call::new(
                    Method::PUT,
                    &format!("/api/v1/cloud-services/{service_of_b}"),
                )
                .json(service_body(0)),
                "POST /cloud-services/{id}/assets" => {
                    post(&placements).json(json!({"asset_id": secret_b}))
                }
                "DELETE /cloud-services/{id}/assets/{asset_id}" => {
                    // Placed again before each role, so that every role meets the same service.
                    post(&placements)
                        .token(&w.ciso.token)
                        .json(json!({"asset_id": secret_b}))
                        .send(&w.app)
                        .await
                        .expect(StatusCode::OK);
                    delete(&format!("{placements}/{secret_b}"))
                }
                "GET /social-media-accounts" => get("/api/v1/social-media-accounts"),
                "POST /social-media-accounts" => {
                    post("/api/v1/social-media-accounts").json(social_body(n))
                }
                "GET /social-media-accounts/{id}" => {
                    get(&format!("/api/v1/social-media-accounts/{social_of_b}"))
                }
                "PUT /social-media-accounts/{id}" => Call::new(
                    Method::PUT,
                    &format!("/api/v1/social-media-accounts/{social_of_b}"),
                )
                .json(social_body(0)),
                "POST /social-media-accounts/{id}/reviews" => post(&format!(
                    "/api/v1/social-media-accounts/{social_of_b}/reviews"
                ))
                .json(json!({"note": format!("点検{n}")})),
                "GET /monitor/alerts" => get("/api/v1/monitor/alerts?state=open&limit=5"),
                "GET /monitor/alerts/{id}" => get(&format!("/api/v1/monitor/alerts/{alert_ack}")),
                "POST /monitor/alerts/{id}/acknowledge" => post(&format!(
                    "/api/v1/monitor/alerts/{alert_ack}/acknowledge"
                ))
                .json(json!({"note": format!("調査{n}")})),
                "POST /monitor/alerts/{id}/candidate" => post(&format!(
                    "/api/v1/monitor/alerts/{alert_ack}/candidate"
                )),
                "POST /monitor/alerts/{id}/close" => {
                    post(&format!("/api/v1/monitor/alerts/{alert_close}/close"))
                        .json(json!({"note": format!("完了{n}")}))
                }
                "GET /monitor/crossing-matrix" => get("/api/v1/monitor/crossing-matrix"),
                "PUT /monitor/crossing-matrix" => {
                    Call::new(Method::PUT, "/api/v1/monitor/crossing-matrix")
                        .json(json!({"cells": []}))
                }
                "POST /monitor/crossing-matrix/preset" => {
                    post("/api/v1/monitor/crossing-matrix/preset")
                        .json(json!({"model": "beta", "gateway": ["10.10.0.25"]}))
                }
                "GET /monitor/settings" => get("/api/v1/monitor/settings"),
                "PUT /monitor/settings" => Call::new(Method::PUT, "/api/v1/monitor/settings")
                    .json(json!({"resolvers": ["10.10.0.53"], "window_secs": 60,
                        "scan_hosts": 100, "scan_ports": 100, "unregistered_window_secs": 3600,
                        "evidence_samples": 5, "internal": []})),
                "GET /monitor/segments/{code}/tallies" => {
                    get("/api/v1/monitor/segments/LGWAN/tallies")
                }
                "GET /reviews" => get("/api/v1/reviews"),
                "POST /reviews" => post("/api/v1/reviews").json(json!({
                    "title": format!("見直し{n}"), "held_on": "2027-02-15", "audit_ids": [],
                })),
                "GET /reviews/{id}" => get(&format!("/api/v1/reviews/{review}")),
                "POST /reviews/{id}/versions" => post(&format!("/api/v1/reviews/{review}/versions"))
                    .json(json!({"policy_id": basic, "version": 1})),
                "POST /reviews/{id}/incidents" => {
                    post(&format!("/api/v1/reviews/{review}/incidents"))
                        .json(json!({"incident_ids": [closed_of_a]}))
                }
                "GET /contractors" => get("/api/v1/contractors"),
                "POST /contractors" => {
                    post("/api/v1/contractors").json(json!({"name": format!("委託先{n}")}))
                }
                "GET /contractors/{id}" => get(&format!("/api/v1/contractors/{contractor_of_b}")),
                "PUT /contractors/{id}" => Call::new(
                    Method::PUT,
                    &format!("/api/v1/contractors/{contractor_of_b}"),
                )
                .json(json!({"name": "株式会社まもり保守", "note": format!("更新{n}")})),
                "GET /contracts" => get("/api/v1/contracts"),
                "POST /contracts" => {
                    let mut body = contract_body.clone();
                    body["title"] = json!(format!("契約{n}"));
                    post("/api/v1/contracts").json(body)
                }
                "GET /contracts/{id}" => get(&format!("/api/v1/contracts/{contract_of_b}")),
                "PUT /contracts/{id}" => {
                    Call::new(Method::PUT, &format!("/api/v1/contracts/{contract_of_b}"))
                        .json(contract_body.clone())
                }
                "POST /contracts/{id}/verifications" => post(&format!(
                    "/api/v1/contracts/{contract_of_b}/verifications"
                ))
                .json(json!({"requirement": "confidentiality", "outcome": "met",
                    "checked_on": "2020-05-01", "note": format!("誓約書{n}")})),
                "GET /designated-managers" => get("/api/v1/designated-managers"),
                "POST /designated-managers" => {
                    let mut body = designated_body.clone();
                    body["title"] = json!(format!("施設{n}"));
                    post("/api/v1/designated-managers").json(body)
                }
                "GET /designated-managers/{id}" => {
                    get(&format!("/api/v1/designated-managers/{designated_of_b}"))
                }
                "PUT /designated-managers/{id}" => Call::new(
                    Method::PUT,
                    &format!("/api/v1/designated-managers/{designated_of_b}"),
                )
                .json(designated_body.clone()),
                "POST /designated-managers/{id}/verifications" => post(&format!(
                    "/api/v1/designated-managers/{designated_of_b}/verifications"
                ))
                .json(json!({"requirement": "confidentiality", "outcome": "partly",
                    "checked_on": "2020-05-01", "link": "https://portal.example.lg.jp/c"})),
                other => panic!("no request for {other}"),
            };
            let reply = call.token(token).send(&w.app).await;
            let got = match reply.status.as_u16() {
                200..=299 => 'A',
                // Authorised, but the asset was disposed of by an earlier role: a disposal is
                // recorded once.
                409 if route == "POST /assets/{id}/dispose"
                    && reply.body["error"] == "asset.disposed" =>
                {
                    'A'
                }
                // Authorised, but the unit's items are not all answered: nothing to sign off.
                409 if route == "POST /inspections/{id}/units/{unit}/sign-off"
                    && reply.body["error"] == "inspection.incomplete" =>
                {
                    'A'
                }
                // Authorised, but an earlier role recorded it: a completion is recorded once.
                409 if route == "POST /training/assignments/{id}/complete"
                    && reply.body["error"] == "training.already_completed" =>
                {
                    'A'
                }
                403 => 'F',
                404 => 'N',
                _ => '?',
            };
            if got != expected {
                wrong.push(format!(
                    "{route} as {who}: expected {expected}, got {} {}",
                    reply.status, reply.body
                ));
            }
            // Leave the target as it was, so that every role meets the same situation.
            if route == "POST /people/{id}/roles" && got == 'A' {
                leftover = Some(format!("/api/v1/role-assignments/{}", reply.body["id"]));
            }
            if route == "DELETE /role-assignments/{id}" && got == 'A' {
                leftover = None;
            }
            if unplace_after && got == 'A' {
                delete(&format!("{placements}/{secret_b}"))
                    .token(&w.ciso.token)
                    .send(&w.app)
                    .await
                    .expect(StatusCode::OK);
            }
            if route == "DELETE /cloud-services/{id}/assets/{asset_id}" && got != 'A' {
                delete(&format!("{placements}/{secret_b}"))
                    .token(&w.ciso.token)
                    .send(&w.app)
                    .await
                    .expect(StatusCode::OK);
            }
            if let Some(path) = leftover {
                delete(&path)
                    .token(&w.ciso.token)
                    .send(&w.app)
                    .await
                    .expect(StatusCode::NO_CONTENT);
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // The matrix names every route the API serves except the public document.
    let named: BTreeSet<String> = MATRIX.iter().map(|(r, _)| (*r).to_owned()).collect();
    let served: BTreeSet<String> = mamori_web::api_routes()
        .into_iter()
        .filter(|(_, path)| path != "/api/v1/openapi.json")
        .map(|(method, path)| format!("{method} {}", &path["/api/v1".len()..]))
        .collect();
    assert_eq!(named, served);
}

mod contracts;
mod controls;
mod incident;
mod inspection;
mod monitor;
mod policy;
mod registers;
mod risk;
mod training;
