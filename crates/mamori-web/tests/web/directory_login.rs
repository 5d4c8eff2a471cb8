//! Directory login (ディレクトリ認証) against a real OpenLDAP: a private slapd (its own
//! configuration, database and certificates under a temporary directory, on a free loopback
//! port) holding people and groups, some of them shaped like Active Directory's.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use mamori_core::{Role, Scope};
use mamori_ldap::{Directory, GroupRole, LdapConfig, Lookup};
use mamori_store::AccountStore;
use mamori_web::WebConfig;
use mamori_web::i18n::Lang;

use super::harness::*;

const SLAPD: &str = "/usr/sbin/slapd";
const SLAPADD: &str = "/usr/sbin/slapadd";
const LDAPMODIFY: &str = "/usr/bin/ldapmodify";
const BASE: &str = "dc=example,dc=jp";
const ADMIN_DN: &str = "cn=admin,dc=example,dc=jp";
const ADMIN_PASSWORD: &str = "admin-secret";
const SERVICE_DN: &str = "cn=mamori,ou=services,dc=example,dc=jp";
const SERVICE_PASSWORD: &str = "service-secret";
const PEOPLE_DN: &str = "uid={user},ou=people,dc=example,dc=jp";

/// Whether slapd and its tools are here. Missing, the test fails when
/// `MAMORI_REQUIRE_REAL_TESTS=1` (as in CI) and is skipped, saying so, otherwise.
fn slapd_available(test: &str) -> bool {
    let missing: Vec<&str> = [SLAPD, SLAPADD, LDAPMODIFY]
        .into_iter()
        .filter(|p| !Path::new(p).is_file())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let why = format!(
        "{} not installed (Debian packages `slapd` and `ldap-utils`)",
        missing.join(", ")
    );
    if std::env::var("MAMORI_REQUIRE_REAL_TESTS").as_deref() == Ok("1") {
        panic!("{test}: {why}, and MAMORI_REQUIRE_REAL_TESTS=1 requires the real OpenLDAP test");
    }
    eprintln!("skipped: {test}: {why}");
    false
}

/// What the test directory adds to the standard schemas: Active Directory's attributes, with
/// the matching rules a search needs.
const AD_SCHEMA: &str = "\
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName' EQUALITY caseIgnoreMatch \
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.656 NAME 'userPrincipalName' EQUALITY caseIgnoreMatch \
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl' EQUALITY integerMatch \
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.2.102 NAME 'memberOf' EQUALITY distinguishedNameMatch \
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )
objectclass ( 1.3.6.1.4.1.4203.666.11.99.1 NAME 'mamoriTestAdUser' SUP top AUXILIARY \
  MAY ( sAMAccountName $ userPrincipalName $ userAccountControl $ memberOf ) )
";

fn person(uid: &str, name: &str, password: &str) -> String {
    format!(
        "dn: uid={uid},ou=people,{BASE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\n\
         sn: {uid}\ndisplayName: {name}\nmail: {uid}@city.example.jp\nuserPassword: {password}\n\n"
    )
}

fn ad_person(account: &str, control: u32, groups: &[&str]) -> String {
    let member_of: String = groups
        .iter()
        .map(|g| format!("memberOf: cn={g},ou=groups,{BASE}\n"))
        .collect();
    format!(
        "dn: cn={account},ou=ad,{BASE}\nobjectClass: inetOrgPerson\nobjectClass: mamoriTestAdUser\n\
         cn: {account}\nsn: {account}\nsAMAccountName: {account}\n\
         userPrincipalName: {account}@city.example.jp\nuserAccountControl: {control}\n\
         {member_of}userPassword: {account}-pass\n\n"
    )
}

fn group(name: &str, members: &[&str]) -> String {
    let members: String = members
        .iter()
        .map(|m| format!("member: uid={m},ou=people,{BASE}\n"))
        .collect();
    // groupOfNames needs a member: the administrator stays in every group.
    format!(
        "dn: cn={name},ou=groups,{BASE}\nobjectClass: groupOfNames\ncn: {name}\n\
         member: {ADMIN_DN}\n{members}\n"
    )
}

/// The people of the test directory:
/// - `yamada`: 総務課 staff and 情報政策課 manager (two mapped groups);
/// - `sato`: staff, but also in the `retired` group, which disables;
/// - `suzuki`: only in `library`, which gives no role;
/// - `ciso`: the same name as the local break-glass account, with another password;
/// - `takahashi` and `ito` (disabled by userAccountControl), found by sAMAccountName;
/// - `kimura`, `mori` and `ueda`, found the same way, whom the periodic check follows.
fn directory_ldif() -> String {
    let mut ldif = format!(
        "dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: example\ndc: example\n\n"
    );
    for ou in ["people", "groups", "services", "ad"] {
        ldif.push_str(&format!(
            "dn: ou={ou},{BASE}\nobjectClass: organizationalUnit\nou: {ou}\n\n"
        ));
    }
    ldif.push_str(&format!(
        "dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n\
         cn: mamori\nuserPassword: {SERVICE_PASSWORD}\n\n"
    ));
    ldif.push_str(&person("yamada", "山田 太郎", "yamada-pass"));
    ldif.push_str(&person("sato", "佐藤 花子", "sato-pass"));
    ldif.push_str(&person("suzuki", "鈴木 一郎", "suzuki-pass"));
    ldif.push_str(&person("ciso", "directory ciso", "directory-ciso-pass"));
    ldif.push_str(&group("somu-staff", &["yamada", "sato"]));
    ldif.push_str(&group("isms-managers", &["yamada"]));
    ldif.push_str(&group("retired", &["sato"]));
    ldif.push_str(&group("library", &["suzuki"]));
    ldif.push_str(&ad_person("takahashi", 512, &["somu-staff"]));
    ldif.push_str(&ad_person("ito", 514, &["somu-staff"]));
    ldif.push_str(&ad_person("kimura", 512, &["somu-staff", "isms-managers"]));
    ldif.push_str(&ad_person("mori", 512, &["somu-staff"]));
    ldif.push_str(&ad_person("ueda", 512, &["somu-staff"]));
    ldif
}

/// A certificate authority and a server certificate for 127.0.0.1 that it signed, as PEM files.
struct Certificates {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn certificates(dir: &Path, name: &str) -> Certificates {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("mamori test CA {name}"));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    let paths = Certificates {
        ca: dir.join(format!("{name}-ca.pem")),
        cert: dir.join(format!("{name}-cert.pem")),
        key: dir.join(format!("{name}-key.pem")),
    };
    std::fs::write(&paths.ca, ca.pem()).unwrap();
    std::fs::write(&paths.cert, cert.pem()).unwrap();
    std::fs::write(&paths.key, key.serialize_pem()).unwrap();
    paths
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
}

/// A private slapd, stopped when dropped.
struct Slapd {
    dir: tempfile::TempDir,
    port: u16,
    child: Child,
    certificates: Certificates,
}

impl Slapd {
    async fn start() -> Slapd {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("db")).unwrap();
        std::fs::write(root.join("ad.schema"), AD_SCHEMA).unwrap();
        let certificates = certificates(root, "server");
        let root_s = root.display();
        let conf = format!(
            "include /etc/ldap/schema/core.schema\n\
             include /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\n\
             include /etc/ldap/schema/nis.schema\n\
             include {root_s}/ad.schema\n\
             modulepath /usr/lib/ldap\n\
             moduleload back_mdb\n\
             pidfile {root_s}/slapd.pid\n\
             TLSCACertificateFile {ca}\n\
             TLSCertificateFile {cert}\n\
             TLSCertificateKeyFile {key}\n\
             database mdb\n\
             maxsize 10485760\n\
             suffix \"{BASE}\"\n\
             rootdn \"{ADMIN_DN}\"\n\
             rootpw {ADMIN_PASSWORD}\n\
             directory {root_s}/db\n\
             access to attrs=userPassword by anonymous auth by * none\n\
             access to * by users read by * none\n",
            ca = certificates.ca.display(),
            cert = certificates.cert.display(),
            key = certificates.key.display(),
        );
        let conf_path = root.join("slapd.conf");
        std::fs::write(&conf_path, conf).unwrap();
        std::fs::write(root.join("data.ldif"), directory_ldif()).unwrap();
        let loaded = Command::new(SLAPADD)
            .arg("-f")
            .arg(&conf_path)
            .arg("-l")
            .arg(root.join("data.ldif"))
            .output()
            .unwrap();
        assert!(
            loaded.status.success(),
            "slapadd: {}",
            String::from_utf8_lossy(&loaded.stderr)
        );
        let child = Self::spawn(root, free_port());
        let port = child.1;
        let mut slapd = Slapd {
            dir,
            port,
            child: child.0,
            certificates,
        };
        slapd.wait().await;
        slapd
    }

    fn spawn(root: &Path, port: u16) -> (Child, u16) {
        // `-d 0` keeps slapd in the foreground, so that it is this test's child to stop.
        let child = Command::new(SLAPD)
            .arg("-f")
            .arg(root.join("slapd.conf"))
            .arg("-h")
            .arg(format!("ldap://127.0.0.1:{port}/"))
            .arg("-d")
            .arg("0")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(root.join("slapd.log")).unwrap())
            .spawn()
            .unwrap();
        (child, port)
    }

    async fn wait(&mut self) {
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("slapd exited ({status}): {}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("slapd did not listen: {}", self.log());
    }

    /// Starts the stopped directory again, on the same port with the same data.
    async fn restart(&mut self) {
        self.child = Self::spawn(self.dir.path(), self.port).0;
        self.wait().await;
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("slapd.log")).unwrap_or_default()
    }

    fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// Changes the directory as its administrator would.
    fn modify(&self, ldif: &str) {
        use std::io::Write as _;
        let mut child = Command::new(LDAPMODIFY)
            .args([
                "-x",
                "-H",
                &self.url(),
                "-D",
                ADMIN_DN,
                "-w",
                ADMIN_PASSWORD,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(ldif.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "ldapmodify: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The mapping of the test directory's groups, onto the fixture's units.
fn groups(fx: &Fixture) -> Vec<GroupRole> {
    let dn = |name: &str| format!("cn={name},ou=groups,{BASE}");
    vec![
        GroupRole {
            dn: dn("somu-staff"),
            role: Role::Staff,
            scope: Scope::Unit(fx.unit_a2),
        },
        GroupRole {
            dn: dn("isms-managers"),
            role: Role::SecurityManager,
            scope: Scope::Unit(fx.unit_a1),
        },
    ]
}

/// Binding to `uid={user},ou=people,…`, groups found by searching `ou=groups`.
fn template_config(url: String, fx: &Fixture) -> LdapConfig {
    let mut c = LdapConfig::new(url, Lookup::Template(PEOPLE_DN.to_owned()));
    c.group_base = Some(format!("ou=groups,{BASE}"));
    c.disabled_groups = vec![format!("cn=retired,ou=groups,{BASE}")];
    c.groups = groups(fx);
    c
}

/// Active Directory's way: the service account searches by sAMAccountName, groups are the
/// entry's `memberOf`, and userAccountControl can disable.
fn search_config(url: String, fx: &Fixture) -> LdapConfig {
    let mut c = LdapConfig::new(
        url,
        Lookup::Search {
            bind_dn: SERVICE_DN.to_owned(),
            bind_password: SERVICE_PASSWORD.to_owned(),
            base: format!("ou=ad,{BASE}"),
            filter: "(&(objectClass=mamoriTestAdUser)(sAMAccountName={user}))".to_owned(),
        },
    );
    c.active_directory = true;
    c.groups = groups(fx);
    c
}

async fn app_with(config: impl FnOnce(&Fixture) -> LdapConfig) -> App {
    App::build_with(WebConfig::default(), None, |fx| {
        Some(Arc::new(Directory::new(config(fx)).expect("directory")))
    })
    .await
}

fn address() -> std::net::SocketAddr {
    Who::Anon.address()
}

/// Whether the login page's error says the catalogue's message of `key`.
fn says(response: &Resp, key: &str) -> bool {
    let shown = element_text(&response.text(), "login-error");
    [Lang::Ja, Lang::En]
        .iter()
        .any(|lang| shown.as_deref() == Some(lang.t(key)))
}

fn signed_in(response: &Resp) -> bool {
    response.status == StatusCode::SEE_OTHER
        && response.location() == Some("/")
        && response.set_cookie("mamori_session").is_some()
}

async fn account_of(app: &App, name: &str) -> Option<mamori_store::Credentials> {
    app.store.credentials_by_name(name).await.unwrap()
}

#[tokio::test]
async fn the_first_directory_login_makes_the_account_with_the_roles_its_groups_give() {
    if !slapd_available("the_first_directory_login_makes_the_account") {
        return;
    }
    let slapd = Slapd::start().await;
    let app = app_with(|fx| template_config(slapd.url(), fx)).await;
    assert!(account_of(&app, "yamada").await.is_none());

    let wrong = app.try_login("yamada", "not-the-password", address()).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(says(&wrong, "login.failed"));
    assert!(
        account_of(&app, "yamada").await.is_none(),
        "no account for a wrong password"
    );
    let empty = app.try_login("yamada", "", address()).await;
    assert_eq!(
        empty.status,
        StatusCode::UNAUTHORIZED,
        "an empty password is never an anonymous bind"
    );

    let first = app.try_login("yamada", "yamada-pass", address()).await;
    assert!(signed_in(&first), "{}: {}", first.status, first.text());
    let created = app.audit("account.directory_create").await;
    assert_eq!(created.len(), 1);
    assert_eq!(
        created[0].event.detail["dn"],
        "uid=yamada,ou=people,dc=example,dc=jp"
    );
    let creds = account_of(&app, "yamada")
        .await
        .expect("made at the first login");
    assert_eq!(
        creds.directory_dn.as_deref(),
        Some("uid=yamada,ou=people,dc=example,dc=jp")
    );
    let actor = app.store.actor(creds.user_id).await.unwrap().unwrap();
    assert_eq!(
        actor.roles,
        vec![
            (Role::Staff, Scope::Unit(app.fx.unit_a2)),
            (Role::SecurityManager, Scope::Unit(app.fx.unit_a1)),
        ]
    );
    assert_eq!(actor.unit_id, Some(app.fx.unit_a2));
    let account = app.store.account(creds.user_id).await.unwrap().unwrap();
    assert_eq!(account.person_name, "山田 太郎");
    let browser = app.browser_from(&first, address()).await;
    assert_eq!(app.get("/", Some(&browser)).await.status, StatusCode::OK);
    let ciso = app.login(Who::Ciso).await;
    let accounts = app.get("/accounts", Some(&ciso)).await.text();
    let row = |name: &str| {
        accounts
            .split("<tr>")
            .find(|r| r.contains(&format!("<td>{name}</td>")))
            .map(|r| r.matches('✓').count())
    };
    assert_eq!(
        (row("yamada"), row("ciso")),
        (Some(1), Some(0)),
        "the directory's accounts are marked"
    );

    let again = app.try_login("yamada", "yamada-pass", address()).await;
    assert!(signed_in(&again));
    assert_eq!(
        app.audit("account.directory_create").await.len(),
        1,
        "made once"
    );
    let logins: Vec<_> = app
        .audit("login.success")
        .await
        .into_iter()
        .filter(|r| r.event.actor_id == Some(creds.user_id))
        .collect();
    assert_eq!(logins.len(), 2);
    assert_eq!(
        logins[0].event.detail["directory_dn"],
        "uid=yamada,ou=people,dc=example,dc=jp"
    );
    let failed = app.audit("login.failed").await;
    assert_eq!(failed.len(), 2, "the wrong and the empty password");

    // The directory takes yamada out of the managers: the role goes at the next login.
    slapd.modify(&format!(
        "dn: cn=isms-managers,ou=groups,{BASE}\nchangetype: modify\ndelete: member\n\
         member: uid=yamada,ou=people,{BASE}\n"
    ));
    assert!(signed_in(
        &app.try_login("yamada", "yamada-pass", address()).await
    ));
    assert_eq!(
        app.store.actor(creds.user_id).await.unwrap().unwrap().roles,
        vec![(Role::Staff, Scope::Unit(app.fx.unit_a2))]
    );
    assert_eq!(app.audit("account.directory_roles").await.len(), 1);
}

#[tokio::test]
async fn the_directory_refuses_disabled_people_and_their_accounts_are_disabled() {
    if !slapd_available("the_directory_refuses_disabled_people") {
        return;
    }
    let slapd = Slapd::start().await;
    let app = app_with(|fx| template_config(slapd.url(), fx)).await;

    // In the disabled group from the start: refused like a wrong password, and no account.
    let sato = app.try_login("sato", "sato-pass", address()).await;
    assert_eq!(sato.status, StatusCode::UNAUTHORIZED);
    assert!(says(&sato, "login.failed"));
    assert!(account_of(&app, "sato").await.is_none());
    let refused = app.audit("login.failed").await;
    assert_eq!(
        refused[0].event.detail["reason"],
        "directory_disabled_group"
    );

    // An account the directory made, then disabled there: refused, and disabled here with its
    // session ended.
    let first = app.try_login("yamada", "yamada-pass", address()).await;
    assert!(signed_in(&first));
    let browser = app.browser_from(&first, address()).await;
    slapd.modify(&format!(
        "dn: cn=retired,ou=groups,{BASE}\nchangetype: modify\nadd: member\n\
         member: uid=yamada,ou=people,{BASE}\n"
    ));
    let after = app.try_login("yamada", "yamada-pass", address()).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    let creds = account_of(&app, "yamada").await.unwrap();
    assert!(creds.disabled, "marked disabled");
    let disabled = app.audit("account.disable").await;
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0].event.detail["by"], "directory");
    assert!(app.get("/", Some(&browser)).await.is_login_redirect());

    // Put back in the directory, it stays disabled until an administrator enables it.
    slapd.modify(&format!(
        "dn: cn=retired,ou=groups,{BASE}\nchangetype: modify\ndelete: member\n\
         member: uid=yamada,ou=people,{BASE}\n"
    ));
    let back = app.try_login("yamada", "yamada-pass", address()).await;
    assert_eq!(back.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn active_directory_people_are_found_by_a_service_account_and_disabled_by_account_control() {
    if !slapd_available("active_directory_people_are_found_by_a_service_account") {
        return;
    }
    let slapd = Slapd::start().await;
    let app = app_with(|fx| search_config(slapd.url(), fx)).await;

    let first = app
        .try_login("takahashi", "takahashi-pass", address())
        .await;
    assert!(signed_in(&first), "{}: {}", first.status, first.text());
    let creds = account_of(&app, "takahashi").await.unwrap();
    assert_eq!(
        creds.directory_dn.as_deref(),
        Some("cn=takahashi,ou=ad,dc=example,dc=jp")
    );
    assert_eq!(
        app.store.actor(creds.user_id).await.unwrap().unwrap().roles,
        vec![(Role::Staff, Scope::Unit(app.fx.unit_a2))]
    );
    let wrong = app.try_login("takahashi", "yamada-pass", address()).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);

    // userAccountControl 514: ACCOUNTDISABLE.
    let ito = app.try_login("ito", "ito-pass", address()).await;
    assert_eq!(ito.status, StatusCode::UNAUTHORIZED);
    assert!(account_of(&app, "ito").await.is_none());
    let unknown = app.try_login("nobody", "nobody-pass", address()).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let reasons: Vec<String> = app
        .audit("login.failed")
        .await
        .iter()
        .map(|r| {
            r.event.detail["reason"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "directory_unknown",
            "directory_account_disabled",
            "bad_password"
        ],
        "newest first"
    );

    // Gone from the directory: the account here is disabled at its next attempt.
    slapd.modify(&format!(
        "dn: cn=takahashi,ou=ad,{BASE}\nchangetype: delete\n"
    ));
    let gone = app
        .try_login("takahashi", "takahashi-pass", address())
        .await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
    assert!(account_of(&app, "takahashi").await.unwrap().disabled);
    assert_eq!(
        app.audit("account.disable").await[0].event.detail["reason"],
        "directory_unknown"
    );
}

#[tokio::test]
async fn the_periodic_check_disables_those_the_directory_disables_or_removes_and_follows_groups() {
    if !slapd_available("the_periodic_check_disables_those_the_directory_disables") {
        return;
    }
    let mut slapd = Slapd::start().await;
    let app = app_with(|fx| search_config(slapd.url(), fx)).await;
    let directory = Directory::new(search_config(slapd.url(), &app.fx)).unwrap();
    for name in ["takahashi", "kimura", "mori", "ueda"] {
        let login = app
            .try_login(name, &format!("{name}-pass"), address())
            .await;
        assert!(signed_in(&login), "{name}: {}", login.status);
    }
    let roles = |name: &'static str| {
        let app = &app;
        async move {
            let creds = account_of(app, name).await.unwrap();
            match app.store.actor(creds.user_id).await.unwrap() {
                Some(actor) => Some(actor.roles),
                None => None,
            }
        }
    };
    let (staff, manager) = (
        (Role::Staff, Scope::Unit(app.fx.unit_a2)),
        (Role::SecurityManager, Scope::Unit(app.fx.unit_a1)),
    );
    assert_eq!(
        roles("kimura").await,
        Some(vec![staff.clone(), manager.clone()])
    );

    // Nothing changed in the directory: nothing changes here.
    let same = mamori_web::check_directory_accounts(app.store.as_ref(), &directory)
        .await
        .unwrap();
    assert_eq!((same.checked, same.disabled, same.roles_changed), (4, 0, 0));

    // The directory disables takahashi, removes mori, takes kimura out of the managers and
    // leaves ueda only in a group that gives no role; none of them tries to log in.
    slapd.modify(&format!(
        "dn: cn=takahashi,ou=ad,{BASE}\nchangetype: modify\nreplace: userAccountControl\n\
         userAccountControl: 514\n\n\
         dn: cn=mori,ou=ad,{BASE}\nchangetype: delete\n\n\
         dn: cn=kimura,ou=ad,{BASE}\nchangetype: modify\ndelete: memberOf\n\
         memberOf: cn=isms-managers,ou=groups,{BASE}\n\n\
         dn: cn=ueda,ou=ad,{BASE}\nchangetype: modify\nreplace: memberOf\n\
         memberOf: cn=library,ou=groups,{BASE}\n"
    ));
    let done = mamori_web::check_directory_accounts(app.store.as_ref(), &directory)
        .await
        .unwrap();
    assert_eq!((done.checked, done.disabled, done.roles_changed), (4, 2, 2));
    assert!(account_of(&app, "takahashi").await.unwrap().disabled);
    assert!(account_of(&app, "mori").await.unwrap().disabled);
    assert_eq!(
        roles("takahashi").await,
        None,
        "no acting identity once disabled"
    );
    let mut reasons: Vec<String> = app
        .audit("account.disable")
        .await
        .iter()
        .map(|r| {
            r.event.detail["reason"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    reasons.sort();
    assert_eq!(reasons, ["directory_account_disabled", "directory_unknown"]);
    assert_eq!(roles("kimura").await, Some(vec![staff.clone()]));
    assert_eq!(roles("ueda").await, Some(vec![]));
    assert!(!account_of(&app, "ueda").await.unwrap().disabled);

    // Checked again, only the two still enabled are asked about, and nothing more changes.
    let again = mamori_web::check_directory_accounts(app.store.as_ref(), &directory)
        .await
        .unwrap();
    assert_eq!(
        (again.checked, again.disabled, again.roles_changed),
        (2, 0, 0)
    );

    // A directory that does not answer changes nothing.
    slapd.stop();
    assert!(
        mamori_web::check_directory_accounts(app.store.as_ref(), &directory)
            .await
            .is_err()
    );
    assert!(!account_of(&app, "kimura").await.unwrap().disabled);
    assert_eq!(roles("kimura").await, Some(vec![staff]));

    // Bound as each person, there is nobody to ask as.
    let template = Directory::new(template_config(slapd.url(), &app.fx)).unwrap();
    assert!(matches!(
        mamori_web::check_directory_accounts(app.store.as_ref(), &template).await,
        Err(mamori_web::CheckError::Directory(
            mamori_ldap::DirectoryError::NoServiceAccount
        ))
    ));
}

#[tokio::test]
async fn a_person_whose_groups_give_no_role_is_refused_saying_so() {
    if !slapd_available("a_person_whose_groups_give_no_role_is_refused") {
        return;
    }
    let slapd = Slapd::start().await;
    let app = app_with(|fx| template_config(slapd.url(), fx)).await;
    let suzuki = app.try_login("suzuki", "suzuki-pass", address()).await;
    assert_eq!(suzuki.status, StatusCode::FORBIDDEN);
    assert!(
        says(&suzuki, "login.directory_no_role"),
        "{}",
        suzuki.text()
    );
    assert!(suzuki.set_cookie("mamori_session").is_none());
    assert!(account_of(&app, "suzuki").await.is_none());
    let refused = app.audit("login.failed").await;
    assert_eq!(refused[0].event.detail["reason"], "directory_no_role");

    // An account whose groups no longer give a role loses the roles it had.
    assert!(signed_in(
        &app.try_login("yamada", "yamada-pass", address()).await
    ));
    for group in ["somu-staff", "isms-managers"] {
        slapd.modify(&format!(
            "dn: cn={group},ou=groups,{BASE}\nchangetype: modify\ndelete: member\n\
             member: uid=yamada,ou=people,{BASE}\n"
        ));
    }
    let refused = app.try_login("yamada", "yamada-pass", address()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let user = account_of(&app, "yamada").await.unwrap().user_id;
    assert!(
        app.store
            .actor(user)
            .await
            .unwrap()
            .unwrap()
            .roles
            .is_empty()
    );
    let removed = app.audit("account.directory_roles").await;
    assert_eq!(
        removed[0].event.detail["removed"].as_array().unwrap().len(),
        2
    );
}

#[tokio::test]
async fn local_accounts_log_in_here_and_directory_accounts_fail_closed_without_it() {
    if !slapd_available("local_accounts_log_in_here") {
        return;
    }
    let mut slapd = Slapd::start().await;
    let app = app_with(|fx| template_config(slapd.url(), fx)).await;
    // The local account is checked here, never there: the directory's `ciso` password is not
    // the local one.
    let wrong = app
        .try_login("ciso", "directory-ciso-pass", Who::Ciso.address())
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    app.login(Who::Ciso).await;
    assert!(
        account_of(&app, "ciso")
            .await
            .unwrap()
            .directory_dn
            .is_none()
    );
    assert!(signed_in(
        &app.try_login("yamada", "yamada-pass", address()).await
    ));

    slapd.stop();
    app.login(Who::Ciso).await;
    app.login(Who::Staff).await;
    for name in ["yamada", "someone-new"] {
        let down = app.try_login(name, "yamada-pass", address()).await;
        assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE, "{name}");
        assert!(
            says(&down, "login.directory_unavailable"),
            "{}",
            down.text()
        );
        assert!(down.set_cookie("mamori_session").is_none());
    }
    let refused = app.audit("login.failed").await;
    assert_eq!(refused[0].event.detail["reason"], "directory_unavailable");
    assert!(
        !account_of(&app, "yamada").await.unwrap().disabled,
        "an unreachable directory disables nobody"
    );
}

#[tokio::test]
async fn directory_attempts_are_counted_by_the_login_throttle() {
    if !slapd_available("directory_attempts_are_counted_by_the_login_throttle") {
        return;
    }
    let slapd = Slapd::start().await;
    let app = app_with(|fx| template_config(slapd.url(), fx)).await;
    for _ in 0..mamori_web::Throttle::PER_ACCOUNT_AND_ADDRESS {
        let wrong = app.try_login("yamada", "guess", address()).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    let throttled = app.try_login("yamada", "yamada-pass", address()).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(account_of(&app, "yamada").await.is_none());
}

#[tokio::test]
async fn starttls_is_verified_against_the_ca_file() {
    if !slapd_available("starttls_is_verified_against_the_ca_file") {
        return;
    }
    let slapd = Slapd::start().await;
    let ca = slapd.certificates.ca.clone();
    let app = app_with(|fx| {
        let mut c = template_config(slapd.url(), fx);
        c.starttls = true;
        c.ca_file = Some(ca);
        c
    })
    .await;
    let login = app.try_login("yamada", "yamada-pass", address()).await;
    assert!(signed_in(&login), "{}: {}", login.status, login.text());

    // Another CA did not sign the server's certificate: nothing is sent, nobody logs in.
    let other = certificates(slapd.dir.path(), "other");
    let app = app_with(|fx| {
        let mut c = template_config(slapd.url(), fx);
        c.starttls = true;
        c.ca_file = Some(other.ca);
        c
    })
    .await;
    let refused = app.try_login("yamada", "yamada-pass", address()).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(account_of(&app, "yamada").await.is_none());
}

#[tokio::test]
async fn a_directory_account_confirms_with_the_directory_password_and_changes_it_there() {
    if !slapd_available("a_directory_account_confirms_with_the_directory_password") {
        return;
    }
    let mut slapd = Slapd::start().await;
    let app = app_with(|fx| template_config(slapd.url(), fx)).await;
    let first = app.try_login("yamada", "yamada-pass", address()).await;
    let browser = app.browser_from(&first, address()).await;

    let page = app.get("/account/password", Some(&browser)).await;
    assert_eq!(
        element_text(&page.text(), "password-directory").as_deref(),
        Some(Lang::Ja.t("password.directory"))
    );
    assert!(!page.text().contains("id=\"change-password\""));
    let change = app
        .post(
            "/account/password",
            &browser,
            &[("current", "yamada-pass"), ("new_password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(change.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The second factor is enrolled with the directory's password, the only one the account has.
    let enrol = app.get("/account/totp", Some(&browser)).await;
    let secret_text = element_text(&enrol.text(), "totp-secret").expect("secret");
    let secret = mamori_core::credentials::TotpSecret::from_base32(&secret_text).unwrap();
    let code = secret.code_at(app.clock.unix_secs());
    let form = |password: &'static str| {
        [
            ("secret", secret_text.clone()),
            ("code", code.clone()),
            ("password", password.to_owned()),
        ]
    };
    let post = |pairs: [(&'static str, String); 3]| {
        let browser = &browser;
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post("/account/totp", browser, &pairs).await
        }
    };
    assert_eq!(
        post(form("not-the-password")).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    slapd.stop();
    let down = post(form("yamada-pass")).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE, "fails closed");
    slapd.restart().await;
    let done = post(form("yamada-pass")).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    // From now on the directory's password opens only the second-factor step.
    let login = app.try_login("yamada", "yamada-pass", address()).await;
    assert_eq!(login.location(), Some("/login/totp"));
}
