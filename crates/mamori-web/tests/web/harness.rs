//! The harness of the web application's tests: a real router on a temporary SQLite store with
//! an organisation of every role, browsers that log in, and the outcome of a request as the role
//! × route matrices count it. Shared by the web crate's tests and the release crate's tests of
//! 隔離メール (which need the gateway's quarantine and so live beside it).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use mamori_core::audit::AuditKey;
use mamori_core::authz::{
    AssignRoles, ManageOrganisations, ManagePeople, ManageUnits, PersonPlace, RoleChange,
    ViewAudit, ViewDirectory, authorize,
};
use mamori_core::credentials::{NewPassword, random_token, token_digest};
use mamori_core::text::{Name, Username};
use mamori_core::{Actor, Clock, OrgId, PersonId, Role, Scope, UnitId, UserId};
use mamori_store::{
    AccountStore, AuditFilter, AuditStore, DirectoryStore, NewAccount, NewApiToken, NewSession,
    OrganisationInput, Origin, PeopleFilter, PersonInput, SqlStore, Store, UnitInput,
};
use mamori_web::{AppState, WebConfig};
use rand::rngs::OsRng;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery staple";
pub const NEW_PASSWORD: &str = "another horse battery 2026";
/// 2026-11-25 09:00:00 JST.
pub const START_MS: i64 = 1_795_564_800_000;

// ---------------------------------------------------------------------------------------------
// Harness

pub struct TestClock(pub AtomicI64);

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl TestClock {
    pub fn advance_secs(&self, secs: i64) {
        self.0.fetch_add(secs * 1000, Ordering::SeqCst);
    }

    pub fn unix_secs(&self) -> u64 {
        (self.now_ms() / 1000) as u64
    }
}

/// Every fixture account has the same password; hashing it once keeps the suite fast.
pub fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        NewPassword::parse(PASSWORD, "")
            .expect("valid password")
            .hash(&mut OsRng)
    })
    .clone()
}

/// The accounts of the fixture, one per role, plus one without any role and the anonymous user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Ciso,
    Director,
    Officer,
    Manager,
    SysAdmin,
    Csirt,
    Auditor,
    Staff,
    Contractor,
    NoRole,
    Anon,
}

pub const EVERYONE: [Who; 11] = [
    Who::Ciso,
    Who::Director,
    Who::Officer,
    Who::Manager,
    Who::SysAdmin,
    Who::Csirt,
    Who::Auditor,
    Who::Staff,
    Who::Contractor,
    Who::NoRole,
    Who::Anon,
];

impl Who {
    pub fn name(self) -> &'static str {
        match self {
            Who::Ciso => "ciso",
            Who::Director => "director",
            Who::Officer => "officer",
            Who::Manager => "manager",
            Who::SysAdmin => "sysadmin",
            Who::Csirt => "csirt",
            Who::Auditor => "auditor",
            Who::Staff => "staff",
            Who::Contractor => "contractor",
            Who::NoRole => "norole",
            Who::Anon => "anon",
        }
    }

    pub fn index(self) -> usize {
        EVERYONE.iter().position(|w| *w == self).expect("listed")
    }

    /// Each user comes from its own address so that per-address throttling stays per user.
    pub fn address(self) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, self.index() as u8 + 1], 40000))
    }
}

pub struct Fixture {
    pub org_a: OrgId,
    pub org_b: OrgId,
    pub unit_a1: UnitId,
    pub unit_a2: UnitId,
    pub unit_b1: UnitId,
    /// A colleague of the staff member in unit A1, without an account.
    pub person_a1: PersonId,
    pub person_a2: PersonId,
    pub person_b1: PersonId,
    pub users: Vec<(Who, UserId, PersonId)>,
    /// Per user: a person without an account, a role assignment on `person_a2` that the user
    /// may try to revoke, and a second session of the user's own.
    pub spare_person: Vec<PersonId>,
    pub revocable: Vec<i64>,
    pub own_spare_session: Vec<i64>,
    /// A second session of the account without roles, which nobody else may revoke.
    pub victim_session: i64,
    /// Per user, an API token of their own; and one of the account without roles, which nobody
    /// else may revoke.
    pub own_token: Vec<i64>,
    pub victim_token: i64,
    /// The asset register: the LGWAN segment, a 機密性3 asset and an open one of unit A1, and
    /// an open asset of unit B1.
    pub segment: i64,
    pub asset_secret_a1: i64,
    pub asset_open_a1: i64,
    pub asset_open_b1: i64,
    /// 情報セキュリティポリシー of organisation A: the basic policy in force (version 1,
    /// imported at the command line, approved by the CISO); per user, a 対策基準 in review and a
    /// 実施手順 draft, both last edited by the officer.
    pub policy_basic: i64,
    pub policy_review: Vec<i64>,
    pub policy_draft: Vec<i64>,
    /// mamori's own catalogue of measures.
    pub catalogue: i64,
    /// A critical risk of unit A1 (likelihood 4, impact 5, not rated after its measures) owned
    /// by `person_a1`: only the CISO accepts it.
    pub risk: i64,
    /// 自己点検 of the year 2026 over the catalogue, covering units A1 and B1, nothing answered.
    pub inspection: i64,
    /// An audit finding on unit A1 and one on unit B1; per user, an open action on the first
    /// (owned by `person_a1`) and an action reported done on the second (owned by `person_b1`).
    pub finding_a1: i64,
    pub finding_b1: i64,
    pub action_open: Vec<i64>,
    pub action_done: Vec<i64>,
    /// A 情報セキュリティ監査 of unit B1 planned by the CISO, its team the auditor (of unit A1).
    pub security_audit: i64,
    /// Per user, a 例外措置 of unit A1 asked for by the officer, undecided.
    pub exception_open: Vec<i64>,
    /// A 見直し of the CISO's that considered the self-inspection.
    pub review: i64,
    /// An incident reported by the member of staff of unit A1.
    pub incident: i64,
    /// Per user, a task of that incident owned by the member of staff.
    pub incident_task: Vec<i64>,
    /// A closed incident reported by the member of staff of unit A1.
    pub incident_closed: i64,
    /// Per user, two open incident candidates of the gateway's: one to open, one to dismiss.
    pub candidate_open: Vec<i64>,
    pub candidate_dismiss: Vec<i64>,
    /// 委託事業者 with a contract of unit A1 in force (2026-04-01 to 2027-03-31) that lists the
    /// contractor account's person and names the open asset of unit A1 and the first 対策基準 in
    /// review; and a 指定管理 agreement of unit A1.
    pub contractor: i64,
    pub contract: i64,
    pub contractor_person: PersonId,
    pub designated: i64,
    /// Per user, a 外部サービス of unit A1 taking 機密性2 and 1, empty; and one with the open
    /// asset of unit A1 placed in it.
    pub cloud_empty: Vec<i64>,
    pub cloud_placed: Vec<i64>,
    /// An SNS account whose responsible person is `person_a1` (unit A1).
    pub social_account: i64,
    /// Two open monitor alerts: one to acknowledge, one to close (the CSIRT's, once each).
    pub alert_ack: i64,
    pub alert_close: i64,
    /// A training course for everyone on the staff, opened by the CISO; per user, their own
    /// assignment of it (the contractor, who has none, gets `person_b1`'s), and the assignment
    /// of their spare person (unit A2).
    pub course: i64,
    pub assignment_own: Vec<i64>,
    pub assignment_spare: Vec<i64>,
}

impl Fixture {
    pub fn user(&self, who: Who) -> UserId {
        self.users
            .iter()
            .find(|(w, _, _)| *w == who)
            .map(|(_, u, _)| *u)
            .expect("fixture user")
    }
}

pub struct App {
    pub router: Router,
    pub store: Arc<SqlStore>,
    pub clock: Arc<TestClock>,
    pub fx: Fixture,
    /// The application's failed-login counts, to see what a request left in them.
    pub throttle: Arc<mamori_web::Throttle>,
    pub _dir: tempfile::TempDir,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                v.split(';')
                    .next()
                    .and_then(|pair| pair.trim().split_once('='))
                    .filter(|(k, _)| *k == name)
                    .map(|(_, value)| value.to_owned())
            })
    }

    pub fn is_login_redirect(&self) -> bool {
        self.status == StatusCode::SEE_OTHER && self.location() == Some("/login")
    }
}

/// A signed-in browser: its session cookie, the CSRF token of its pages, its address.
#[derive(Clone)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
    pub address: SocketAddr,
}

pub fn admin_actor() -> Actor {
    Actor {
        user_id: UserId(0),
        person_id: PersonId(0),
        username: "fixture".into(),
        org_id: None,
        unit_id: None,
        roles: vec![(Role::Ciso, Scope::Global)],
        contract: Default::default(),
    }
}

pub fn name(text: &str) -> Name {
    Name::parse("name", text).expect("fixture names are valid")
}

pub fn person_input(text: &str, unit: Option<UnitId>) -> PersonInput {
    PersonInput {
        name: name(text),
        unit_id: unit,
        title: String::new(),
        email: None,
        phone: String::new(),
        external: false,
    }
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

pub fn hidden_csrf(html: &str) -> Option<String> {
    let start = html.find("name=\"_csrf\" value=\"")? + "name=\"_csrf\" value=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

pub fn element_text(html: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}\">");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('<')? + start;
    Some(html[start..end].to_owned())
}

impl App {
    pub async fn new() -> App {
        Self::with_config(WebConfig::default()).await
    }

    pub async fn with_config(config: WebConfig) -> App {
        Self::build(config, None).await
    }

    pub async fn build(
        config: WebConfig,
        quarantine: Option<Arc<dyn mamori_store::QuarantineView>>,
    ) -> App {
        Self::build_with(config, quarantine, |_| None).await
    }

    /// An application whose directory login (if any) is made from the seeded fixture, whose
    /// units its groups name.
    pub async fn build_with(
        config: WebConfig,
        quarantine: Option<Arc<dyn mamori_store::QuarantineView>>,
        directory: impl FnOnce(&Fixture) -> Option<Arc<mamori_ldap::Directory>>,
    ) -> App {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = Arc::new(TestClock(AtomicI64::new(START_MS)));
        let store = Arc::new(
            SqlStore::open_sqlite(
                &dir.path().join("mamori.db"),
                AuditKey::generate(&mut OsRng),
                clock.clone(),
            )
            .await
            .expect("open store"),
        );
        let fx = seed(&store, &clock).await;
        let dyn_store: Arc<dyn Store> = store.clone();
        let mut state = AppState::new(dyn_store, clock.clone(), config);
        if let Some(quarantine) = quarantine {
            state = state.with_quarantine(quarantine);
        }
        if let Some(directory) = directory(&fx) {
            state = state.with_directory(directory);
        }
        let throttle = state.throttle.clone();
        let router = mamori_web::router(state);
        App {
            router,
            store,
            clock,
            fx,
            throttle,
            _dir: dir,
        }
    }

    pub async fn send(&self, mut request: Request<Body>, address: SocketAddr) -> Resp {
        request.extensions_mut().insert(ConnectInfo(address));
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body")
            .to_vec();
        Resp {
            status,
            headers,
            bytes,
        }
    }

    pub async fn get(&self, path: &str, browser: Option<&Browser>) -> Resp {
        let mut request = Request::get(path);
        if let Some(b) = browser {
            request = request.header(header::COOKIE, &b.cookie);
        }
        let address = browser.map(|b| b.address).unwrap_or(Who::Anon.address());
        self.send(request.body(Body::empty()).unwrap(), address)
            .await
    }

    /// Posts a form with the browser's CSRF token added.
    pub async fn post(&self, path: &str, browser: &Browser, pairs: &[(&str, &str)]) -> Resp {
        let mut all = vec![("_csrf", browser.csrf.as_str())];
        all.extend_from_slice(pairs);
        self.post_raw(path, browser, form(&all)).await
    }

    pub async fn post_raw(&self, path: &str, browser: &Browser, body: impl Into<Body>) -> Resp {
        let mut request =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if !browser.cookie.is_empty() {
            request = request.header(header::COOKIE, &browser.cookie);
        }
        self.send(request.body(body.into()).unwrap(), browser.address)
            .await
    }

    /// A browser that has opened the login page: pre-session cookie and its CSRF token.
    pub async fn visitor(&self, address: SocketAddr) -> Browser {
        let page = self
            .send(Request::get("/login").body(Body::empty()).unwrap(), address)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let pre = page.set_cookie("mamori_pre").expect("pre-session cookie");
        let csrf = hidden_csrf(&page.text()).expect("login form carries a CSRF token");
        assert_eq!(pre, csrf, "double-submit token");
        Browser {
            cookie: format!("mamori_pre={pre}"),
            csrf,
            address,
        }
    }

    /// Posts the login form as a fresh visitor from `address`.
    pub async fn try_login(&self, username: &str, password: &str, address: SocketAddr) -> Resp {
        let visitor = self.visitor(address).await;
        self.post(
            "/login",
            &visitor,
            &[("username", username), ("password", password)],
        )
        .await
    }

    /// Turns a successful login response into a signed-in browser.
    pub async fn browser_from(&self, response: &Resp, address: SocketAddr) -> Browser {
        let token = response
            .set_cookie("mamori_session")
            .expect("session cookie");
        let cookie = format!("mamori_session={token}");
        let page = self
            .get(
                "/account",
                Some(&Browser {
                    cookie: cookie.clone(),
                    csrf: String::new(),
                    address,
                }),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "account page after login");
        Browser {
            cookie,
            csrf: hidden_csrf(&page.text()).expect("CSRF token on the account page"),
            address,
        }
    }

    pub async fn login(&self, who: Who) -> Browser {
        let response = self.try_login(who.name(), PASSWORD, who.address()).await;
        assert_eq!(
            (response.status, response.location()),
            (StatusCode::SEE_OTHER, Some("/")),
            "login of {}: {}",
            who.name(),
            response.text()
        );
        self.browser_from(&response, who.address()).await
    }

    pub async fn anonymous(&self) -> Browser {
        self.visitor(Who::Anon.address()).await
    }

    pub async fn audit(&self, action: &str) -> Vec<mamori_core::audit::AuditRecord> {
        let grant = authorize::<ViewAudit>(&admin_actor(), &()).unwrap();
        self.store
            .list_audit(
                &grant,
                &AuditFilter {
                    action_prefix: Some(action.to_owned()),
                    limit: 10_000,
                    ..Default::default()
                },
            )
            .await
            .expect("audit")
    }

    pub async fn last_audit_seq(&self) -> i64 {
        let grant = authorize::<ViewAudit>(&admin_actor(), &()).unwrap();
        self.store
            .list_audit(
                &grant,
                &AuditFilter {
                    limit: 1,
                    ..Default::default()
                },
            )
            .await
            .expect("audit")
            .first()
            .map(|r| r.seq)
            .unwrap_or_default()
    }

    pub async fn people_count(&self) -> i64 {
        let grant = authorize::<ViewDirectory>(&admin_actor(), &()).unwrap();
        self.store
            .list_people(
                &grant,
                &PeopleFilter {
                    limit: 1,
                    ..Default::default()
                },
            )
            .await
            .expect("people")
            .1
    }

    /// A new API token of `who`'s account, living 90 days: its id and the token.
    pub async fn api_token(&self, who: Who, read_only: bool) -> (i64, String) {
        let token = format!("mamori_{}", random_token(&mut OsRng));
        let id = self
            .store
            .create_api_token(
                NewApiToken {
                    user_id: self.fx.user(who),
                    name: name(&format!("token of {}", who.name())),
                    token_digest: token_digest(&token),
                    expires_at: self.clock.now_ms() + 90 * 86_400_000,
                    read_only,
                },
                &Origin::system("fixture"),
            )
            .await
            .expect("token");
        (id, token)
    }

    /// Replaces the fixture placeholders of a matrix path or form value.
    pub fn fill(&self, template: &str, who: Who) -> String {
        let fx = &self.fx;
        let i = who.index();
        let mut out = template.to_owned();
        for (key, value) in [
            ("{who}", who.name().to_owned()),
            ("{WHO}", who.name().to_ascii_uppercase()),
            ("{org_a}", fx.org_a.to_string()),
            ("{org_b}", fx.org_b.to_string()),
            ("{unit_a1}", fx.unit_a1.to_string()),
            ("{unit_a2}", fx.unit_a2.to_string()),
            ("{unit_b1}", fx.unit_b1.to_string()),
            ("{person_a1}", fx.person_a1.to_string()),
            ("{person_a2}", fx.person_a2.to_string()),
            ("{person_b1}", fx.person_b1.to_string()),
            ("{spare_person}", fx.spare_person[i].to_string()),
            ("{revocable}", fx.revocable[i].to_string()),
            ("{own_session}", fx.own_spare_session[i].to_string()),
            ("{victim_session}", fx.victim_session.to_string()),
            ("{own_token}", fx.own_token[i].to_string()),
            ("{victim_token}", fx.victim_token.to_string()),
            ("{segment}", fx.segment.to_string()),
            ("{asset_secret_a1}", fx.asset_secret_a1.to_string()),
            ("{asset_open_a1}", fx.asset_open_a1.to_string()),
            ("{asset_open_b1}", fx.asset_open_b1.to_string()),
            ("{policy_basic}", fx.policy_basic.to_string()),
            ("{policy_review}", fx.policy_review[i].to_string()),
            ("{policy_draft}", fx.policy_draft[i].to_string()),
            ("{policy_text}", POLICY_TEXT.to_owned()),
            ("{catalogue}", fx.catalogue.to_string()),
            ("{risk}", fx.risk.to_string()),
            ("{inspection}", fx.inspection.to_string()),
            ("{finding_a1}", fx.finding_a1.to_string()),
            ("{finding_b1}", fx.finding_b1.to_string()),
            ("{action_open}", fx.action_open[i].to_string()),
            ("{action_done}", fx.action_done[i].to_string()),
            ("{cloud_empty}", fx.cloud_empty[i].to_string()),
            ("{cloud_placed}", fx.cloud_placed[i].to_string()),
            ("{cloud}", fx.cloud_empty[0].to_string()),
            ("{social_account}", fx.social_account.to_string()),
            ("{alert_ack}", fx.alert_ack.to_string()),
            ("{alert_close}", fx.alert_close.to_string()),
            ("{nn}", format!("{:02}", 50 + i)),
            ("{security_audit}", fx.security_audit.to_string()),
            ("{contractor}", fx.contractor.to_string()),
            ("{contract}", fx.contract.to_string()),
            ("{contractor_person}", fx.contractor_person.to_string()),
            ("{designated}", fx.designated.to_string()),
            ("{exception_open}", fx.exception_open[i].to_string()),
            ("{exception}", fx.exception_open[0].to_string()),
            ("{review}", fx.review.to_string()),
            ("{incident}", fx.incident.to_string()),
            ("{incident_task}", fx.incident_task[i].to_string()),
            ("{incident_closed}", fx.incident_closed.to_string()),
            ("{candidate_open}", fx.candidate_open[i].to_string()),
            ("{candidate_dismiss}", fx.candidate_dismiss[i].to_string()),
            ("{course}", fx.course.to_string()),
            ("{assignment_own}", fx.assignment_own[i].to_string()),
            ("{assignment_spare}", fx.assignment_spare[i].to_string()),
            (
                "{self_person}",
                fx.users
                    .iter()
                    .find(|(w, _, _)| *w == who)
                    .map(|(_, _, p)| p.to_string())
                    .unwrap_or_else(|| "1".into()),
            ),
            ("{norole_user}", fx.user(Who::NoRole).to_string()),
            ("{password}", PASSWORD.to_owned()),
            ("{new_password}", NEW_PASSWORD.to_owned()),
        ] {
            out = out.replace(key, &value);
        }
        out
    }
}

pub type RoleInScope = (Role, Scope);

pub async fn seed(store: &SqlStore, clock: &TestClock) -> Fixture {
    let admin = admin_actor();
    let origin = Origin::system("fixture");
    let orgs = authorize::<ManageOrganisations>(&admin, &()).unwrap();
    let org = |code: &str, text: &str| OrganisationInput {
        code: code.to_owned(),
        name: name(text),
        note: String::new(),
    };
    let org_a = store
        .create_organisation(&orgs, org("ORGA", "管理者"), &origin)
        .await
        .unwrap()
        .id;
    let org_b = store
        .create_organisation(&orgs, org("ORGB", "教育委員会"), &origin)
        .await
        .unwrap()
        .id;
    let unit = |org_id: OrgId, text: &str| UnitInput {
        org_id,
        parent_id: None,
        name: name(text),
        note: String::new(),
    };
    let mut units = Vec::new();
    for (org_id, text) in [(org_a, "情報政策課"), (org_a, "総務課"), (org_b, "学務課")] {
        let grant = authorize::<ManageUnits>(&admin, &org_id).unwrap();
        units.push(
            store
                .create_unit(&grant, unit(org_id, text), &origin)
                .await
                .unwrap()
                .id,
        );
    }
    let (unit_a1, unit_a2, unit_b1) = (units[0], units[1], units[2]);

    let hash = password_hash();
    let accounts: [(Who, Option<UnitId>, Option<RoleInScope>); 10] = [
        (Who::Ciso, None, Some((Role::Ciso, Scope::Global))),
        (
            Who::Director,
            None,
            Some((Role::SecurityDirector, Scope::Global)),
        ),
        (
            Who::Officer,
            Some(unit_a2),
            Some((Role::SecurityOfficer, Scope::Organisation(org_a))),
        ),
        (
            Who::Manager,
            Some(unit_a1),
            Some((Role::SecurityManager, Scope::Unit(unit_a1))),
        ),
        (
            Who::SysAdmin,
            Some(unit_a2),
            Some((Role::SystemAdministrator, Scope::System("jinji".into()))),
        ),
        (
            Who::Csirt,
            Some(unit_a2),
            Some((Role::Csirt, Scope::Global)),
        ),
        (
            Who::Auditor,
            Some(unit_a1),
            Some((Role::Auditor, Scope::Global)),
        ),
        (
            Who::Staff,
            Some(unit_a1),
            Some((Role::Staff, Scope::Unit(unit_a1))),
        ),
        (
            Who::Contractor,
            Some(unit_a1),
            Some((Role::Contractor, Scope::Unit(unit_a1))),
        ),
        (Who::NoRole, Some(unit_a2), None),
    ];
    let mut users = Vec::new();
    for (who, unit_id, role) in accounts {
        let mut person = person_input(&format!("利用者 {}", who.name()), unit_id);
        person.external = who == Who::Contractor;
        let user = store
            .provision_account(
                person,
                NewAccount {
                    username: Username::parse(who.name()).unwrap(),
                    person_id: PersonId(0),
                    password_hash: hash.clone(),
                    language: "ja".into(),
                    must_change_password: false,
                },
                role,
                &origin,
            )
            .await
            .unwrap();
        let person_id = store.actor(user).await.unwrap().unwrap().person_id;
        users.push((who, user, person_id));
    }

    let create_person = async |text: &str, unit_id: UnitId| {
        let place = PersonPlace {
            person_id: None,
            org_id: store.unit_org(unit_id).await.unwrap(),
            unit_id: Some(unit_id),
        };
        let grant = authorize::<ManagePeople>(&admin, &place).unwrap();
        store
            .create_person(&grant, person_input(text, Some(unit_id)), &origin)
            .await
            .unwrap()
            .id
    };
    let person_a1 = create_person("同僚 一郎", unit_a1).await;
    let person_a2 = create_person("総務 花子", unit_a2).await;
    let person_b1 = create_person("学務 次郎", unit_b1).await;
    let mut spare_person = Vec::new();
    for who in EVERYONE {
        spare_person.push(create_person(&format!("予備 {}", who.name()), unit_a2).await);
    }

    let mut revocable = Vec::new();
    for who in EVERYONE {
        let change = RoleChange {
            person: store.person_place(person_a2).await.unwrap().unwrap(),
            role: Role::SystemAdministrator,
            scope: Scope::System(format!("rv-{}", who.name())),
            scope_org: None,
        };
        let grant = authorize::<AssignRoles>(&admin, &change).unwrap();
        let assignment = store
            .assign_role(
                &grant,
                person_a2,
                change.role,
                change.scope.clone(),
                &origin,
            )
            .await
            .unwrap();
        revocable.push(assignment.id.0);
    }

    let session = async |user: UserId| {
        store
            .create_session(NewSession {
                token_digest: token_digest(&random_token(&mut OsRng)),
                user_id: user,
                csrf_token: random_token(&mut OsRng),
                mfa_pending: false,
                expires_at: clock.now_ms() + 3_600_000,
                address: "fixture".into(),
                user_agent: "fixture".into(),
            })
            .await
            .unwrap()
    };
    let mut own_spare_session = Vec::new();
    for who in EVERYONE {
        let id = match users.iter().find(|(w, _, _)| *w == who) {
            Some((_, user, _)) => session(*user).await,
            None => 0,
        };
        own_spare_session.push(id);
    }
    let norole = users.iter().find(|(w, _, _)| *w == Who::NoRole).unwrap().1;
    let victim_session = session(norole).await;
    let token = async |user: UserId| {
        store
            .create_api_token(
                NewApiToken {
                    user_id: user,
                    name: name("fixture"),
                    token_digest: token_digest(&random_token(&mut OsRng)),
                    expires_at: clock.now_ms() + 3_600_000,
                    read_only: false,
                },
                &origin,
            )
            .await
            .unwrap()
    };
    let mut own_token = Vec::new();
    for who in EVERYONE {
        let id = match users.iter().find(|(w, _, _)| *w == who) {
            Some((_, user, _)) => token(*user).await,
            None => 0,
        };
        own_token.push(id);
    }
    let victim_token = token(norole).await;

    use mamori_store::AssetStore as _;
    let register = authorize::<mamori_core::authz::ManageRegister>(&admin, &()).unwrap();
    let segment = store
        .create_segment(
            &register,
            mamori_core::segment::Segment {
                code: "LGWAN".into(),
                name: name("LGWAN接続系"),
                ranges: mamori_core::segment::parse_ranges("ranges", "10.10.0.0/16").unwrap(),
                note: String::new(),
            },
            &origin,
        )
        .await
        .unwrap()
        .id
        .0;
    let new_asset = async |text: &str, unit_id: UnitId, confidentiality: &str| {
        let place = mamori_core::authz::AssetPlace {
            asset: None,
            owner_unit: Some(unit_id),
            owner_org: store.unit_org(unit_id).await.unwrap(),
            restricted: false,
            existence_visible: true,
        };
        let grant = authorize::<mamori_core::authz::ManageAssets>(&admin, &place).unwrap();
        let asset = mamori_store::NewAsset {
            input: mamori_store::AssetInput {
                kind: mamori_core::asset::AssetKind::System,
                name: name(text),
                owner_unit: unit_id,
                administrator: None,
                location: String::new(),
                segment: Some(mamori_core::segment::SegmentId(segment)),
                hosts: Vec::new(),
                addresses: Vec::new(),
                lifecycle: mamori_core::asset::Lifecycle::InUse,
                note: String::new(),
            },
            classification: mamori_core::classification::Classification {
                confidentiality: confidentiality.into(),
                integrity: "2".into(),
                availability: "2".into(),
            },
            disposal: None,
        };
        store
            .create_asset(&grant, asset, &origin)
            .await
            .unwrap()
            .id
            .0
    };
    let asset_secret_a1 = new_asset("人事給与システム", unit_a1, "3").await;
    let asset_open_a1 = new_asset("庁内ポータル", unit_a1, "2").await;
    let asset_open_b1 = new_asset("学務システム", unit_b1, "2").await;
    let (policy_basic, policy_review, policy_draft) = seed_policies(store, org_a, &users).await;
    let catalogue = mamori_store::ControlStore::import_catalogue(
        store,
        mamori_store::Importer::Operator,
        &mamori_core::controls::builtin(),
        &origin,
    )
    .await
    .unwrap()
    .0
    .id
    .0;

    let risk = {
        use mamori_core::authz::{ManageRisks, RiskPlace};
        let place = RiskPlace {
            org: org_a,
            unit: unit_a1,
            owner: person_a1,
        };
        mamori_store::RiskStore::create_risk(
            store,
            &authorize::<ManageRisks>(&admin, &place).unwrap(),
            mamori_store::RiskInput {
                title: "人事情報の漏えい".into(),
                description: String::new(),
                unit: unit_a1,
                owner: person_a1,
                assets: vec![asset_secret_a1],
                threats: vec!["T-INSIDER".into()],
                measures: Vec::new(),
                inherent: mamori_core::risk::Rating {
                    likelihood: 4,
                    impact: 5,
                },
                residual: None,
                treatment: mamori_core::risk::Treatment::Reduce,
                review_on: chrono::NaiveDate::from_ymd_opt(2030, 3, 31).unwrap(),
            },
            &origin,
        )
        .await
        .unwrap()
        .id
        .0
    };

    let assurance = seed_assurance(
        store,
        &users,
        fx_catalogue(catalogue),
        (org_a, unit_a1, person_a1),
        (org_b, unit_b1, person_b1),
    )
    .await;

    let security_audit = {
        use mamori_core::authz::ManageAudits;
        use mamori_store::{NewAudit, SecurityAuditStore as _};
        let ciso_user = users.iter().find(|(w, _, _)| *w == Who::Ciso).unwrap().1;
        let ciso = store.actor(ciso_user).await.unwrap().unwrap();
        let grant = authorize::<ManageAudits>(&ciso, &()).unwrap();
        let audit = store
            .create_security_audit(
                &grant,
                NewAudit {
                    year: 2026,
                    title: "令和8年度 情報セキュリティ監査".into(),
                    criteria: "対策基準".into(),
                    from: chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
                    to: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
                    units: vec![unit_b1],
                    chapters: Vec::new(),
                },
                &origin,
            )
            .await
            .unwrap();
        let auditor = users.iter().find(|(w, _, _)| *w == Who::Auditor).unwrap().2;
        store
            .add_audit_member(&grant, audit.id, auditor, true, &origin)
            .await
            .unwrap();
        audit.id.0
    };

    let exception_open = {
        use mamori_core::authz::RequestException;
        use mamori_store::{ExceptionStore as _, NewException};
        let officer_user = users.iter().find(|(w, _, _)| *w == Who::Officer).unwrap().1;
        let officer = store.actor(officer_user).await.unwrap().unwrap();
        let grant = authorize::<RequestException>(&officer, &(org_a, unit_a1)).unwrap();
        let measure = mamori_core::controls::builtin()
            .measures()
            .next()
            .unwrap()
            .urn
            .clone();
        let mut made = Vec::new();
        for who in EVERYONE {
            made.push(
                store
                    .request_exception(
                        &grant,
                        NewException {
                            catalogue: fx_catalogue(catalogue),
                            measure_urn: measure.clone(),
                            unit: unit_a1,
                            reason: format!("更新待ち ({})", who.name()),
                            compensating: "ネットワークから分離".into(),
                            until: chrono::NaiveDate::from_ymd_opt(2030, 3, 31).unwrap(),
                            taken_on: None,
                        },
                        &origin,
                    )
                    .await
                    .unwrap()
                    .id
                    .0,
            );
        }
        made
    };

    let review = {
        use mamori_core::authz::ManageReviews;
        use mamori_store::{NewReview, ReviewInputKind, ReviewStore as _};
        let ciso_user = users.iter().find(|(w, _, _)| *w == Who::Ciso).unwrap().1;
        let ciso = store.actor(ciso_user).await.unwrap().unwrap();
        store
            .create_review(
                &authorize::<ManageReviews>(&ciso, &()).unwrap(),
                NewReview {
                    title: "令和8年度 見直し".into(),
                    held_on: chrono::NaiveDate::from_ymd_opt(2027, 2, 15).unwrap(),
                    environment: String::new(),
                    decisions: String::new(),
                    inputs: vec![(ReviewInputKind::Inspection, assurance.0)],
                },
                &origin,
            )
            .await
            .unwrap()
            .id
            .0
    };

    let incident = {
        use mamori_core::authz::ReportIncident;
        use mamori_store::{IncidentStore as _, NewIncident};
        let staff_user = users.iter().find(|(w, _, _)| *w == Who::Staff).unwrap().1;
        let staff = store.actor(staff_user).await.unwrap().unwrap();
        store
            .report_incident(
                &authorize::<ReportIncident>(&staff, &()).unwrap(),
                NewIncident {
                    title: "USBメモリの紛失".into(),
                    description: String::new(),
                    occurred_at: None,
                    detected_at: None,
                    assets: Vec::new(),
                },
                &origin,
            )
            .await
            .unwrap()
            .id
            .0
    };
    let incident_closed = {
        use mamori_core::authz::{ReportIncident, TriageIncident};
        use mamori_store::{IncidentStore as _, NewIncident};
        let staff_user = users.iter().find(|(w, _, _)| *w == Who::Staff).unwrap().1;
        let staff = store.actor(staff_user).await.unwrap().unwrap();
        let ciso_user = users.iter().find(|(w, _, _)| *w == Who::Ciso).unwrap().1;
        let ciso = store.actor(ciso_user).await.unwrap().unwrap();
        let reported = store
            .report_incident(
                &authorize::<ReportIncident>(&staff, &()).unwrap(),
                NewIncident {
                    title: "誤送信".into(),
                    description: String::new(),
                    occurred_at: None,
                    detected_at: None,
                    assets: Vec::new(),
                },
                &origin,
            )
            .await
            .unwrap();
        store
            .add_incident_event(
                &authorize::<TriageIncident>(&ciso, &reported.place()).unwrap(),
                reported.id,
                mamori_core::incident::Step::Closed,
                None,
                "",
                &origin,
            )
            .await
            .unwrap()
            .id
            .0
    };
    // Per user, two open candidates raised by the gateway: one to open, one to dismiss.
    let (candidate_open, candidate_dismiss) = {
        use mamori_core::incident::CandidateSource;
        use mamori_store::IncidentStore as _;
        let system = Origin::system("gateway candidates");
        let mut open = Vec::new();
        let mut dismiss = Vec::new();
        for who in EVERYONE {
            for (list, kind) in [(&mut open, "open"), (&mut dismiss, "dismiss")] {
                let made = store
                    .raise_incident_candidate(
                        CandidateSource::Gateway,
                        &format!("q-{}-{kind}", who.name()),
                        "[executable] attacker@example.com: 請求書",
                        &system,
                    )
                    .await
                    .unwrap()
                    .unwrap();
                list.push(made.id);
            }
        }
        (open, dismiss)
    };
    let incident_task = {
        use mamori_core::authz::TriageIncident;
        use mamori_store::{IncidentId, IncidentStore as _, NewIncidentTask};
        let ciso_user = users.iter().find(|(w, _, _)| *w == Who::Ciso).unwrap().1;
        let ciso = store.actor(ciso_user).await.unwrap().unwrap();
        let staff_person = users.iter().find(|(w, _, _)| *w == Who::Staff).unwrap().2;
        let place = store
            .incident(IncidentId(incident))
            .await
            .unwrap()
            .unwrap()
            .place();
        let grant = authorize::<TriageIncident>(&ciso, &place).unwrap();
        let mut made = Vec::new();
        for who in EVERYONE {
            let stored = store
                .add_incident_task(
                    &grant,
                    IncidentId(incident),
                    NewIncidentTask {
                        title: format!("再発防止 ({})", who.name()),
                        owner: staff_person,
                        due_on: None,
                    },
                    &origin,
                )
                .await
                .unwrap();
            made.push(stored.tasks.last().unwrap().id);
        }
        made
    };

    let (course, assignment_own, assignment_spare) = {
        use mamori_core::authz::ManageTraining;
        use mamori_store::{NewCourse, TrainingStore as _};
        let ciso_user = users.iter().find(|(w, _, _)| *w == Who::Ciso).unwrap().1;
        let ciso = store.actor(ciso_user).await.unwrap().unwrap();
        let opened = store
            .create_course(
                &authorize::<ManageTraining>(&ciso, &()).unwrap(),
                NewCourse {
                    code: "SEC-FX".into(),
                    title: "情報セキュリティ研修".into(),
                    description: String::new(),
                    due_on: chrono::NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
                    yearly: true,
                    audience: mamori_core::training::Audience::default(),
                },
                &origin,
            )
            .await
            .unwrap();
        let of = async |person: PersonId| {
            store
                .person_assignments(person)
                .await
                .unwrap()
                .first()
                .map(|a| a.id.0)
        };
        let mut own = Vec::new();
        let mut spare = Vec::new();
        for (i, who) in EVERYONE.iter().enumerate() {
            let person = users.iter().find(|(w, _, _)| w == who).map(|(_, _, p)| *p);
            let mine = match person {
                Some(p) => of(p).await,
                None => None,
            };
            own.push(match mine {
                Some(id) => id,
                None => of(person_b1).await.unwrap(),
            });
            spare.push(of(spare_person[i]).await.unwrap());
        }
        (opened.course.id.0, own, spare)
    };

    // 外部サービス of unit A1 taking 機密性2 and 1, per user one empty and one with the open
    // asset of unit A1 placed in it; and an SNS account of unit A1's colleague.
    let (cloud_empty, cloud_placed) = {
        use mamori_core::authz::{EditCloudService, ManageCloudServices};
        use mamori_store::{CloudServiceInput, CloudStore as _};
        let manage = authorize::<ManageCloudServices>(&admin, &()).unwrap();
        let mut empty = Vec::new();
        let mut placed = Vec::new();
        for who in EVERYONE {
            for (list, kind) in [(&mut empty, "empty"), (&mut placed, "placed")] {
                let made = store
                    .create_cloud_service(
                        &manage,
                        CloudServiceInput {
                            provider: "クラウド株式会社".into(),
                            name: format!("{kind} {}", who.name()),
                            rules: String::new(),
                            classes: vec!["2".into(), "1".into()],
                            ismap: None,
                            unit: unit_a1,
                        },
                        &origin,
                    )
                    .await
                    .unwrap();
                if kind == "placed" {
                    let edit = authorize::<EditCloudService>(&admin, &made.place()).unwrap();
                    store
                        .place_asset(
                            &edit,
                            made.id,
                            mamori_core::asset::AssetId(asset_open_a1),
                            &origin,
                        )
                        .await
                        .unwrap();
                }
                list.push(made.id.0);
            }
        }
        (empty, placed)
    };
    let social_account = {
        use mamori_core::authz::ManageSocialAccounts;
        use mamori_store::{SocialAccountInput, SocialStore as _};
        store
            .create_social_account(
                &authorize::<ManageSocialAccounts>(&admin, &()).unwrap(),
                SocialAccountInput {
                    platform: "X".into(),
                    account_name: "@fixture".into(),
                    url: "https://x.com/fixture".into(),
                    owner: person_a1,
                    rules: "広報課が承認した記事のみ".into(),
                    two_factor: true,
                    review_months: 12,
                    last_reviewed_on: None,
                },
                &origin,
            )
            .await
            .unwrap()
            .id
            .0
    };

    let (alert_ack, alert_close) = {
        use mamori_core::authz::ViewMonitor;
        use mamori_core::monitor::{Alert, AlertRule};
        use mamori_store::{AlertFilter, MonitorStore as _};
        // A rule the monitor does not raise as an incident candidate on its own, so that the
        // CSIRT's raising by hand is a change.
        let sighting = |key: &str| Alert {
            rule: AlertRule::Scan,
            key: key.into(),
            src: "10.10.0.5".parse().unwrap(),
            dst: Some("8.8.8.8".parse().unwrap()),
            dst_port: Some(53),
            proto: Some(mamori_core::crossing::Proto::Udp),
            src_segment: Some("LGWAN".into()),
            dst_segment: None,
            src_asset: None,
            dst_asset: None,
            detail: String::new(),
            count: 1,
            first_seen: "2026-12-01T00:00:00Z".parse().unwrap(),
            last_seen: "2026-12-01T00:00:00Z".parse().unwrap(),
            evidence: vec!["{\"event_type\":\"flow\"}".into()],
        };
        store
            .record_monitor(&[sighting("fixture-ack"), sighting("fixture-close")], &[])
            .await
            .unwrap();
        let page = store
            .alerts(
                &authorize::<ViewMonitor>(&admin, &()).unwrap(),
                &AlertFilter::default(),
            )
            .await
            .unwrap();
        let id = |key: &str| {
            page.alerts
                .iter()
                .find(|a| a.alert.key == key)
                .map(|a| a.id.0)
                .unwrap()
        };
        (id("fixture-ack"), id("fixture-close"))
    };

    let (contractor, contract, contractor_person, designated) = {
        use mamori_core::authz::ManageThirdParties;
        use mamori_core::third_party::{AgreementKind, Period};
        use mamori_store::{AgreementInput, ContractorInput, ThirdPartyStore as _};
        let grant = authorize::<ManageThirdParties>(&admin, &()).unwrap();
        let company = store
            .create_contractor(
                &grant,
                ContractorInput {
                    name: "株式会社まもり保守".into(),
                    address: "東京都千代田区1-1".into(),
                    contact_person: "保守 太郎".into(),
                    phone: "03-1234-5678".into(),
                    email: Some("support@hoshu.example.jp".into()),
                    note: String::new(),
                },
                &origin,
            )
            .await
            .unwrap();
        let contractor_person = users
            .iter()
            .find(|(w, _, _)| *w == Who::Contractor)
            .unwrap()
            .2;
        let period = Period {
            starts_on: chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
            ends_on: chrono::NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
        };
        let contract = store
            .create_agreement(
                &grant,
                AgreementInput {
                    kind: AgreementKind::Contract,
                    contractor: Some(company.id),
                    managing_body: String::new(),
                    title: "庁内ポータル保守".into(),
                    description: "庁内ポータルの保守・運用".into(),
                    unit: unit_a1,
                    period,
                    assets: vec![asset_open_a1],
                    classes: vec!["2".into()],
                    requirements: vec!["confidentiality".into(), "incident_reporting".into()],
                    people: vec![contractor_person],
                    policies: vec![policy_review[0]],
                },
                &origin,
            )
            .await
            .unwrap();
        let designated = store
            .create_agreement(
                &grant,
                AgreementInput {
                    kind: AgreementKind::Designated,
                    contractor: None,
                    managing_body: "公益財団法人まもり文化振興会".into(),
                    title: "区民文化センター".into(),
                    description: String::new(),
                    unit: unit_a1,
                    period,
                    assets: Vec::new(),
                    classes: vec!["2".into()],
                    requirements: vec!["confidentiality".into()],
                    people: Vec::new(),
                    policies: Vec::new(),
                },
                &origin,
            )
            .await
            .unwrap();
        (
            company.id.0,
            contract.id.0,
            contractor_person,
            designated.id.0,
        )
    };

    Fixture {
        contractor,
        contract,
        contractor_person,
        designated,
        cloud_empty,
        cloud_placed,
        social_account,
        alert_ack,
        alert_close,
        course,
        assignment_own,
        assignment_spare,
        incident,
        incident_task,
        incident_closed,
        candidate_open,
        candidate_dismiss,
        review,
        exception_open,
        security_audit,
        inspection: assurance.0,
        finding_a1: assurance.1,
        finding_b1: assurance.2,
        action_open: assurance.3,
        action_done: assurance.4,
        org_a,
        org_b,
        unit_a1,
        unit_a2,
        unit_b1,
        person_a1,
        person_a2,
        person_b1,
        users,
        spare_person,
        revocable,
        own_spare_session,
        victim_session,
        own_token,
        victim_token,
        segment,
        asset_secret_a1,
        asset_open_a1,
        asset_open_b1,
        policy_basic,
        policy_review,
        policy_draft,
        catalogue,
        risk,
    }
}

fn fx_catalogue(id: i64) -> mamori_store::CatalogueId {
    mamori_store::CatalogueId(id)
}

/// The self-inspection, findings and actions of the fixture, made by the CISO's account.
async fn seed_assurance(
    store: &SqlStore,
    users: &[(Who, UserId, PersonId)],
    catalogue: mamori_store::CatalogueId,
    (org_a, unit_a1, person_a1): (OrgId, UnitId, PersonId),
    (org_b, unit_b1, person_b1): (OrgId, UnitId, PersonId),
) -> (i64, i64, i64, Vec<i64>, Vec<i64>) {
    use mamori_core::authz::{
        ActionPlace, CompleteCorrectiveAction, FindingPlace, ManageFindings, ManageInspections,
        PlanCorrectiveAction,
    };
    use mamori_store::{InspectionStore as _, NewAction, NewFinding, NewInspection, UnitItems};
    let origin = Origin::system("fixture");
    let ciso_user = users.iter().find(|(w, _, _)| *w == Who::Ciso).unwrap().1;
    let ciso = store.actor(ciso_user).await.unwrap().unwrap();
    let (_, measures) = mamori_store::ControlStore::catalogue(store, catalogue)
        .await
        .unwrap()
        .unwrap();
    let items: Vec<(String, String)> = measures
        .measures()
        .take(3)
        .map(|n| {
            (
                n.urn.clone(),
                n.chapter.map(|c| c.code().to_owned()).unwrap_or_default(),
            )
        })
        .collect();
    let inspection = store
        .create_inspection(
            &authorize::<ManageInspections>(&ciso, &()).unwrap(),
            NewInspection {
                year: 2026,
                title: "令和8年度 自己点検".into(),
                catalogue,
                due_on: chrono::NaiveDate::from_ymd_opt(2027, 1, 31).unwrap(),
                units: vec![
                    UnitItems {
                        unit: unit_a1,
                        items: items.clone(),
                    },
                    UnitItems {
                        unit: unit_b1,
                        items,
                    },
                ],
            },
            &origin,
        )
        .await
        .unwrap()
        .id
        .0;
    let mut findings = Vec::new();
    for (org, unit) in [(org_a, unit_a1), (org_b, unit_b1)] {
        let place = FindingPlace { org, unit };
        findings.push((
            place,
            store
                .raise_finding(
                    &authorize::<ManageFindings>(&ciso, &place).unwrap(),
                    NewFinding {
                        unit,
                        catalogue: None,
                        measure_urn: String::new(),
                        clause: "6(3)".into(),
                        kind: mamori_core::finding::FindingKind::Minor,
                        description: "持ち出し記録がない".into(),
                    },
                    &origin,
                )
                .await
                .unwrap()
                .id,
        ));
    }
    let (mut open, mut done) = (Vec::new(), Vec::new());
    for who in EVERYONE {
        for ((place, finding), owner, list) in [
            (findings[0], person_a1, &mut open),
            (findings[1], person_b1, &mut done),
        ] {
            let action = store
                .plan_action(
                    &authorize::<PlanCorrectiveAction>(&ciso, &place).unwrap(),
                    NewAction {
                        finding,
                        description: format!("記録簿を整える ({})", who.name()),
                        owner,
                        due_on: chrono::NaiveDate::from_ymd_opt(2030, 3, 31).unwrap(),
                    },
                    &origin,
                )
                .await
                .unwrap()
                .id;
            list.push(action.0);
            if owner == person_b1 {
                let complete = authorize::<CompleteCorrectiveAction>(
                    &ciso,
                    &ActionPlace {
                        finding: place,
                        owner,
                    },
                )
                .unwrap();
                store
                    .complete_action(&complete, action, "記録簿を作成した", &origin)
                    .await
                    .unwrap();
            }
        }
    }
    (inspection, findings[0].1.0, findings[1].1.0, open, done)
}

/// A short basic policy in 例規 form, as the fixture and the matrix's forms write it.
pub const POLICY_TEXT: &str = "情報セキュリティ基本方針\n1 目的\nこの方針は、情報資産を守るために定める。\n\
2 対策\n(1) 物理的セキュリティ\n機器を守る。\n(2) 人的セキュリティ\n教育を行う。\n\
附則\nこの方針は、令和2年4月1日から施行する。\n";

/// The policies of the fixture: see [`Fixture::policy_basic`].
async fn seed_policies(
    store: &SqlStore,
    org: OrgId,
    users: &[(Who, UserId, PersonId)],
) -> (i64, Vec<i64>, Vec<i64>) {
    use mamori_core::authz::{ApprovePolicy, ManagePolicies};
    use mamori_core::policy::{Step, Tier, parse_policy};
    use mamori_store::{Author, NewPolicy, PolicySource, PolicyStore as _};
    let user = |who: Who| users.iter().find(|(w, _, _)| *w == who).unwrap().1;
    let ciso = store.actor(user(Who::Ciso)).await.unwrap().unwrap();
    let officer = store.actor(user(Who::Officer)).await.unwrap().unwrap();
    let origin = Origin::system("fixture");
    let text = parse_policy(POLICY_TEXT).unwrap();
    let source = PolicySource {
        source: POLICY_TEXT,
        text: &text,
    };
    let manage = authorize::<ManagePolicies>(&officer, &org).unwrap();
    let create = async |author: Author<'_>, tier: Tier, title: String| {
        store
            .create_policy(
                author,
                NewPolicy {
                    org_id: org,
                    tier,
                    title,
                    approver_role: Role::Ciso,
                },
                source.clone(),
                &origin,
            )
            .await
            .unwrap()
            .0
    };
    let basic = create(
        Author::Operator,
        Tier::Basic,
        "情報セキュリティ基本方針".into(),
    )
    .await;
    store
        .step_version(&manage, basic.id, 1, Step::Submit, &origin)
        .await
        .unwrap();
    let version = store.version(basic.id, 1).await.unwrap().unwrap();
    let approve = authorize::<ApprovePolicy>(&ciso, &basic.place(Some(&version.info))).unwrap();
    store
        .approve_version(
            &approve,
            basic.id,
            1,
            chrono::NaiveDate::from_ymd_opt(2020, 4, 1).unwrap(),
            &origin,
        )
        .await
        .unwrap();
    let mut review = Vec::new();
    let mut draft = Vec::new();
    for who in EVERYONE {
        let policy = create(
            Author::Account(&manage),
            Tier::Standard,
            format!("対策基準 {}", who.name()),
        )
        .await;
        store
            .step_version(&manage, policy.id, 1, Step::Submit, &origin)
            .await
            .unwrap();
        review.push(policy.id.0);
        let policy = create(
            Author::Account(&manage),
            Tier::Procedure,
            format!("実施手順 {}", who.name()),
        )
        .await;
        draft.push(policy.id.0);
    }
    (basic.id.0, review, draft)
}

// ---------------------------------------------------------------------------------------------
// 1. The role × route matrix

/// Expected outcome of a cell: an exact status, or one of these two kinds of redirect.
pub const GO: u16 = 303;
/// `303 See Other` to `/login`: the request was refused for want of a session.
pub const LOGIN: u16 = 1;

pub struct Row {
    pub method: &'static str,
    /// The route as `mamori_web::router` declares it.
    pub route: &'static str,
    pub path: &'static str,
    pub body: &'static [(&'static str, &'static str)],
    /// ciso, director, officer (org A), manager (unit A1), sysadmin, csirt, auditor (unit A1),
    /// staff (unit A1), contractor, no role, anonymous.
    pub expect: [u16; 11],
}

pub const fn row(
    method: &'static str,
    route: &'static str,
    path: &'static str,
    body: &'static [(&'static str, &'static str)],
    expect: [u16; 11],
) -> Row {
    Row {
        method,
        route,
        path,
        body,
        expect,
    }
}

pub const L: u16 = LOGIN;

pub fn outcome(response: &Resp) -> u16 {
    if response.is_login_redirect() {
        LOGIN
    } else {
        response.status.as_u16()
    }
}

pub fn show(code: u16) -> String {
    if code == LOGIN {
        "login".into()
    } else {
        code.to_string()
    }
}

/// Everyone signed in (and one anonymous visitor), in the order of the matrix columns.
pub async fn everyone(app: &App) -> Vec<Browser> {
    let mut browsers = Vec::new();
    for who in EVERYONE {
        browsers.push(match who {
            Who::Anon => app.anonymous().await,
            _ => app.login(who).await,
        });
    }
    browsers
}

pub async fn request(
    app: &App,
    method: &str,
    path: &str,
    browser: &Browser,
    pairs: &[(&str, &str)],
) -> Resp {
    match method {
        "GET" => {
            let signed_in = browser.cookie.starts_with("mamori_session=");
            app.get(path, signed_in.then_some(browser)).await
        }
        _ => app.post(path, browser, pairs).await,
    }
}
