//! `mamori quarantine release`: the request and its approval recorded in the database with the
//! approver as the actor, the original delivered unsanitized to a real SMTP sink, to the
//! requesting recipient only; refused approvers, and approvers who do not prove who they are
//! (their API token or password on standard input), record nothing.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use mamori_core::audit::AuditKey;
use mamori_core::authz::{ManageOrganisations, ManageUnits, ViewAudit, authorize};
use mamori_core::credentials::{NewPassword, token_digest};
use mamori_core::text::{Name, Username};
use mamori_core::{Actor, PersonId, Role, Scope, UserId};
use mamori_store::{
    AccountStore, AuditFilter, AuditStore, DirectoryStore, NewAccount, NewApiToken,
    OrganisationInput, Origin, PersonInput, SqlStore, SystemClock, UnitInput,
};

use crate::support::{PASSWORD, run, text};

/// An API token of `kanrisha`'s, as `mamori token create` would have printed it.
const KANRISHA_TOKEN: &str = "mamori_kanrisha-token-for-the-release-tests";
/// The approver's token that may only read: it approves nothing.
const KANRISHA_READ_TOKEN: &str = "mamori_kanrisha-read-only-token-for-the-release-tests";
/// An API token of `shokuin`'s.
const SHOKUIN_TOKEN: &str = "mamori_shokuin-token-for-the-release-tests";

const QID: &str = "q-0123456789abcdef01234567";
const ORIGINAL: &[u8] = b"From: sender@internet.example\r\nTo: kakari@city.example.lg.jp\r\n\
    Subject: invoice\r\n\r\n.leading dot line\r\nRAW-ORIGINAL-PAYLOAD\r\n";

fn ciso() -> Actor {
    Actor {
        user_id: UserId(0),
        person_id: PersonId(0),
        username: "seed".into(),
        org_id: None,
        unit_id: None,
        roles: vec![(Role::Ciso, Scope::Global)],
        contract: Default::default(),
    }
}

/// A data folder as `mamori serve` with a gateway leaves it: database, audit key, quarantine.
fn seed(data: &Path) {
    let key = AuditKey::generate(&mut rand::rngs::OsRng);
    std::fs::write(data.join("audit.key"), key.to_hex()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = SqlStore::open_sqlite(&data.join("mamori.db"), key, Arc::new(SystemClock))
            .await
            .unwrap();
        let origin = Origin::system("seed");
        let org = store
            .create_organisation(
                &authorize::<ManageOrganisations>(&ciso(), &()).unwrap(),
                OrganisationInput {
                    code: "KANRI".into(),
                    name: Name::parse("name", "管理者部局").unwrap(),
                    note: String::new(),
                },
                &origin,
            )
            .await
            .unwrap();
        let unit = store
            .create_unit(
                &authorize::<ManageUnits>(&ciso(), &org.id).unwrap(),
                UnitInput {
                    org_id: org.id,
                    parent_id: None,
                    name: Name::parse("name", "総務課").unwrap(),
                    note: String::new(),
                },
                &origin,
            )
            .await
            .unwrap();
        for (username, email, role) in [
            ("kakari", "kakari@city.example.lg.jp", None),
            ("shokuin", "shokuin@city.example.lg.jp", None),
            (
                "kanrisha",
                "kanrisha@city.example.lg.jp",
                Some((Role::SecurityManager, Scope::Unit(unit.id))),
            ),
        ] {
            let user = store
                .provision_account(
                    PersonInput {
                        name: Name::parse("name", username).unwrap(),
                        unit_id: Some(unit.id),
                        title: String::new(),
                        email: Some(email.into()),
                        phone: String::new(),
                        external: false,
                    },
                    NewAccount {
                        username: Username::parse(username).unwrap(),
                        person_id: PersonId(0),
                        password_hash: NewPassword::parse(PASSWORD, username)
                            .unwrap()
                            .hash(&mut rand::rngs::OsRng),
                        language: "ja".into(),
                        must_change_password: false,
                    },
                    role,
                    &origin,
                )
                .await
                .unwrap();
            let tokens: &[(&str, bool)] = match username {
                "kanrisha" => &[(KANRISHA_TOKEN, false), (KANRISHA_READ_TOKEN, true)],
                "shokuin" => &[(SHOKUIN_TOKEN, false)],
                _ => continue,
            };
            for (token, read_only) in tokens {
                store
                    .create_api_token(
                        NewApiToken {
                            user_id: user,
                            name: Name::parse("name", "cli").unwrap(),
                            token_digest: token_digest(token),
                            expires_at: i64::MAX,
                            read_only: *read_only,
                        },
                        &origin,
                    )
                    .await
                    .unwrap();
            }
        }
        store.close().await;
    });
    let dir = data.join("quarantine").join(QID);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("original.eml"), ORIGINAL).unwrap();
    let record = serde_json::json!({
        "quarantine_id": QID, "queue_id": "Q1", "from": "sender@internet.example",
        "recipients": ["kakari@city.example.lg.jp", "shokuin@city.example.lg.jp"],
        "received_ms": 1_795_618_800_000_i64, "stored_ms": 1_795_618_800_500_i64,
        "retain_until_ms": i64::MAX / 2, "verdict": "sanitized",
        "report": {"removed": [{"reason": "executable", "quarantine_id": format!("{QID}-p2")}], "ambiguities": []},
    });
    std::fs::write(dir.join("Q1.json"), serde_json::to_vec(&record).unwrap()).unwrap();
}

/// Envelope recipients and data of every message the sink got.
type Kept = Arc<Mutex<Vec<(Vec<String>, Vec<u8>)>>>;

/// A next hop on a thread of its own: keeps the recipients and data of every message.
fn sink() -> (u16, Kept) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let kept = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let mut out = stream.try_clone().unwrap();
            let mut lines = BufReader::new(stream);
            let _ = out.write_all(b"220 sink\r\n");
            let mut rcpts = Vec::new();
            loop {
                let mut line = String::new();
                if lines.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let upper = line.to_ascii_uppercase();
                let answer = if upper.starts_with("EHLO") {
                    "250-sink\r\n250 8BITMIME\r\n"
                } else if upper.starts_with("RCPT TO:<") {
                    rcpts.push(line[9..].split('>').next().unwrap_or("").to_owned());
                    "250 ok\r\n"
                } else if upper.starts_with("DATA") {
                    let _ = out.write_all(b"354 go\r\n");
                    let mut data = Vec::new();
                    loop {
                        let mut l = Vec::new();
                        if lines.read_until(b'\n', &mut l).unwrap_or(0) == 0 || l == b".\r\n" {
                            break;
                        }
                        data.extend_from_slice(l.strip_prefix(b".").unwrap_or(&l));
                    }
                    kept.lock()
                        .unwrap()
                        .push((std::mem::take(&mut rcpts), data));
                    "250 2.0.0 kept\r\n"
                } else if upper.starts_with("QUIT") {
                    let _ = out.write_all(b"221 bye\r\n");
                    break;
                } else {
                    "250 ok\r\n"
                };
                let _ = out.write_all(answer.as_bytes());
            }
        }
    });
    (port, got)
}

/// `quarantine release` with the approver's password on standard input.
fn release(data: &Path, port: u16, extra: &[&str]) -> std::process::Output {
    let mut args = extra.to_vec();
    args.push("--approver-password-stdin");
    release_with(data, port, &args, &format!("{PASSWORD}\n"))
}

fn release_with(data: &Path, port: u16, extra: &[&str], stdin: &str) -> std::process::Output {
    let mut args = vec![
        "quarantine",
        "release",
        "--data",
        data.to_str().unwrap(),
        "--next-hop",
    ];
    let hop = format!("127.0.0.1:{port}");
    args.push(&hop);
    args.extend_from_slice(extra);
    run(&args, stdin)
}

fn audit(data: &Path) -> Vec<(String, String)> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let key =
            AuditKey::from_hex(&std::fs::read_to_string(data.join("audit.key")).unwrap()).unwrap();
        let store = SqlStore::open_sqlite(&data.join("mamori.db"), key, Arc::new(SystemClock))
            .await
            .unwrap();
        let records = store
            .list_audit(
                &authorize::<ViewAudit>(&ciso(), &()).unwrap(),
                &AuditFilter {
                    action_prefix: Some("quarantine.".into()),
                    limit: 100,
                    ..AuditFilter::default()
                },
            )
            .await
            .unwrap();
        store.close().await;
        records
            .into_iter()
            .rev()
            .map(|r| (r.event.action, r.event.actor_name))
            .collect()
    })
}

#[test]
fn quarantine_release_records_the_approver_and_delivers_the_original_to_the_recipient_only() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let (port, got) = sink();
    let part = format!("{QID}-p2");
    let refused = [
        // The requester never approves their own request.
        (
            vec![
                "--recipient",
                "kakari@city.example.lg.jp",
                "--approver",
                "kakari",
            ],
            "segregation of duties",
        ),
        // Staff without a security role does not approve.
        (
            vec![
                "--recipient",
                "kakari@city.example.lg.jp",
                "--approver",
                "shokuin",
            ],
            "may not approve",
        ),
        // An address the message was not sent to.
        (
            vec![
                "--recipient",
                "kanrisha@city.example.lg.jp",
                "--approver",
                "kakari",
            ],
            "may ask for it",
        ),
        (
            vec![
                "--recipient",
                "nobody@city.example.lg.jp",
                "--approver",
                "kanrisha",
            ],
            "no account has the address",
        ),
    ];
    for (args, why) in refused {
        let mut all = vec![part.as_str(), "--reason", "原本が必要"];
        all.extend(args);
        let out = release(dir.path(), port, &all);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {}", text(&out.stdout));
        assert!(
            text(&out.stderr).contains(why),
            "{all:?}: {}",
            text(&out.stderr)
        );
    }
    // The approver proves who they are: no proof, a wrong password, another's token.
    let kakari = [
        part.as_str(),
        "--reason",
        "原本が必要",
        "--recipient",
        "kakari@city.example.lg.jp",
        "--approver",
        "kanrisha",
    ];
    let unproved: [(&[&str], &str, &str); 5] = [
        (&[], "", "must prove who they are"),
        (
            &["--approver-password-stdin"],
            "wrong-password\n",
            "not accepted",
        ),
        (&["--approver-token-stdin"], SHOKUIN_TOKEN, "not accepted"),
        (&["--approver-token-stdin"], "mamori_forged", "not accepted"),
        (
            &["--approver-token-stdin"],
            KANRISHA_READ_TOKEN,
            "a read-only API token cannot approve",
        ),
    ];
    for (extra, stdin, why) in unproved {
        let mut all = kakari.to_vec();
        all.extend_from_slice(extra);
        let out = release_with(dir.path(), port, &all, stdin);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {}", text(&out.stdout));
        assert!(
            text(&out.stderr).contains(why),
            "{all:?}: {}",
            text(&out.stderr)
        );
    }
    assert!(
        audit(dir.path()).is_empty(),
        "a refused release records nothing"
    );
    assert!(got.lock().unwrap().is_empty());

    let out = release_with(
        dir.path(),
        port,
        &[
            &part,
            "--recipient",
            "kakari@CITY.example.lg.jp",
            "--approver",
            "kanrisha",
            "--approver-token-stdin",
            "--reason",
            "請求書の原本が必要",
            "--note",
            "確認済み",
        ],
        &format!("{KANRISHA_TOKEN}\n"),
    );
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("delivered to kakari@city.example.lg.jp"),
        "{}",
        text(&out.stdout)
    );
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, vec!["kakari@city.example.lg.jp".to_owned()]);
    let mut expected = format!(
        "X-Mamori-Released: {QID}; request=1; requested-by=kakari; approved-by=kanrisha\r\n"
    )
    .into_bytes();
    expected.extend_from_slice(ORIGINAL);
    assert_eq!(
        got[0].1, expected,
        "the original as received, after the release header"
    );
    assert_eq!(
        audit(dir.path()),
        vec![
            (
                "quarantine.release.request".to_owned(),
                "system:quarantine release".to_owned()
            ),
            (
                "quarantine.release.approve".to_owned(),
                "kanrisha".to_owned()
            ),
            (
                "quarantine.release.attempt".to_owned(),
                "system:release".to_owned()
            ),
            (
                "quarantine.release.deliver".to_owned(),
                "system:release".to_owned()
            ),
        ]
    );
    let out = run(
        &["audit", "verify", "--data", dir.path().to_str().unwrap()],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stdout));
}

#[test]
fn a_release_to_a_next_hop_that_is_down_is_kept_for_a_later_delivery() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = release(
        dir.path(),
        dead,
        &[
            QID,
            "--recipient",
            "shokuin@city.example.lg.jp",
            "--approver",
            "kanrisha",
            "--reason",
            "必要",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("not delivered yet"),
        "{}",
        text(&out.stdout)
    );
    let steps = audit(dir.path());
    assert_eq!(steps.last().unwrap().0, "quarantine.release.defer");
    // Not due yet: `deliver` leaves it for later rather than hammering the next hop.
    let (port, got) = sink();
    let hop = format!("127.0.0.1:{port}");
    let out = run(
        &[
            "quarantine",
            "deliver",
            "--data",
            dir.path().to_str().unwrap(),
            "--next-hop",
            &hop,
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("0 release(s) attempted"));
    assert!(got.lock().unwrap().is_empty());
}
