//! 隔離メール and 原本の提供 with a gateway quarantine configured: who sees which message, who may
//! ask and who may approve (role × route), the whole workflow from request to the original
//! arriving at a real SMTP sink, retry while the next hop is down, and the audit trail of it.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use mamori_core::authz::{ManagePeople, authorize};
use mamori_core::release::ReleaseState;
use mamori_core::{Clock, PersonId};
use mamori_gateway::NextHop;
use mamori_gateway::quarantine::{Direction, Quarantine, QuarantineRecord};
use mamori_release::{QuarantineConfig, QuarantineService, deliver_due};
use mamori_store::{DirectoryStore, PersonInput, ReleaseFilter, ReleaseStore};
use mamori_web::WebConfig;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::{App, EVERYONE, GO, L, Who, admin_actor, outcome, show};

const DOMAIN: &str = "city.example.lg.jp";
/// The message to `staff`: its executable was removed.
const FOR_STAFF: &str = "q-0000000000000000000000a1";
/// A message to `norole` only.
const FOR_NOROLE: &str = "q-0000000000000000000000b2";
/// A message to `manager`.
const FOR_MANAGER: &str = "q-0000000000000000000000c3";
/// Outbound mail of `staff`, held for a 個人番号.
const HELD: &str = "q-0000000000000000000000d4";
const ORIGINAL: &[u8] = b"From: sender@internet.example\r\nTo: staff@city.example.lg.jp\r\n\
    Subject: invoice\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
    --b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
    --b\r\nContent-Type: application/x-msdownload; name=run.exe\r\n\r\nMZ-ORIGINAL-PAYLOAD\r\n--b--\r\n";

fn address(who: Who) -> String {
    format!("{}@{DOMAIN}", who.name())
}

/// Envelope recipients and the message, as the sink got them.
type Kept = Arc<Mutex<Vec<(Vec<String>, Vec<u8>)>>>;

/// A matrix row: method, path, form, expected outcome per user.
type QuarantineRow = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    [u16; 11],
);

/// A next hop that keeps what it is given.
struct Sink {
    addr: std::net::SocketAddr,
    got: Kept,
    task: tokio::task::JoinHandle<()>,
}

impl Sink {
    async fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let got = Arc::new(Mutex::new(Vec::new()));
        let kept = got.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let mut s = BufReader::new(stream);
                    let _ = s.get_mut().write_all(b"220 sink\r\n").await;
                    let mut rcpts = Vec::new();
                    loop {
                        let mut line = String::new();
                        if s.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let upper = line.to_ascii_uppercase();
                        let answer = if upper.starts_with("EHLO") {
                            "250-sink\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("RCPT TO:<NOUSER@") {
                            "550 5.1.1 no such user\r\n"
                        } else if upper.starts_with("RCPT TO:<") {
                            rcpts.push(line[9..].split('>').next().unwrap_or("").to_owned());
                            "250 ok\r\n"
                        } else if upper.starts_with("DATA") {
                            let _ = s.get_mut().write_all(b"354 go\r\n").await;
                            let mut data = Vec::new();
                            loop {
                                let mut l = Vec::new();
                                if s.read_until(b'\n', &mut l).await.unwrap_or(0) == 0
                                    || l == b".\r\n"
                                {
                                    break;
                                }
                                data.extend_from_slice(l.strip_prefix(b".").unwrap_or(&l));
                            }
                            kept.lock()
                                .unwrap()
                                .push((std::mem::take(&mut rcpts), data));
                            "250 2.0.0 kept\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = s.get_mut().write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            "250 ok\r\n"
                        };
                        if s.get_mut().write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Sink { addr, got, task }
    }
}

fn record(qid: &str, from: &str, to: &[String], direction: Direction) -> QuarantineRecord {
    QuarantineRecord {
        quarantine_id: qid.into(),
        queue_id: format!("queue-{qid}"),
        from: from.into(),
        recipients: to.to_vec(),
        received_ms: super::START_MS,
        stored_ms: super::START_MS,
        retain_until_ms: super::START_MS + 30 * 86_400_000,
        verdict: "sanitized",
        report: serde_json::json!({
            "verdict": "sanitized",
            "removed": [{
                "part": "2", "file_name": "run<U+202E>fdp.exe", "declared_type": "application/x-msdownload",
                "detected_type": "application/x-msdownload", "size": 19, "sha256": "ab".repeat(32),
                "reason": "executable", "quarantine_id": format!("{qid}-p2"),
            }],
            "ambiguities": [],
        }),
        direction,
        hold_reason: (direction == Direction::Outbound).then(|| "my-number".to_owned()),
    }
}

/// The fixture's app with a gateway quarantine holding four messages, and e-mail addresses on
/// the fixture's people.
async fn app_with_quarantine(
    data: &Path,
    next_hop: std::net::SocketAddr,
) -> (App, QuarantineConfig) {
    let q = Quarantine::open(data).unwrap();
    let to = |who: Who| vec![address(who)];
    q.store(
        &record(
            FOR_STAFF,
            "sender@internet.example",
            &[address(Who::Staff), address(Who::NoRole)],
            Direction::Inbound,
        ),
        ORIGINAL,
        None,
    )
    .unwrap();
    q.store(
        &record(
            FOR_NOROLE,
            "sender@internet.example",
            &to(Who::NoRole),
            Direction::Inbound,
        ),
        b"Subject: b\r\n\r\nb\r\n",
        None,
    )
    .unwrap();
    q.store(
        &record(
            FOR_MANAGER,
            "sender@internet.example",
            &to(Who::Manager),
            Direction::Inbound,
        ),
        b"Subject: c\r\n\r\nc\r\n",
        None,
    )
    .unwrap();
    q.store(
        &record(
            HELD,
            &address(Who::Staff),
            &[
                "partner@example.com".to_owned(),
                "nouser@example.com".to_owned(),
            ],
            Direction::Outbound,
        ),
        b"Subject: d\r\n\r\nmy number\r\n",
        None,
    )
    .unwrap();
    let mut config = QuarantineConfig::new(
        data.to_path_buf(),
        NextHop::smtp(next_hop.to_string(), "mamori.test", Duration::from_secs(5)),
    );
    config.first_retry = Duration::from_secs(60);
    let app = App::build(
        WebConfig::default(),
        Some(Arc::new(QuarantineService::new(config.clone()))),
    )
    .await;
    // Addresses as people are registered, the domain in another case than the mail has it.
    for (who, _, person) in app.fx.users.clone() {
        set_email(&app, person, &format!("{}@City.Example.LG.JP", who.name())).await;
    }
    (app, config)
}

async fn set_email(app: &App, person: PersonId, email: &str) {
    let admin = admin_actor();
    let place = app.store.person_place(person).await.unwrap().unwrap();
    let current = app
        .store
        .person(
            &authorize::<mamori_core::authz::ViewPersonDetail>(&admin, &place).unwrap(),
            person,
            &mamori_store::Origin::system("fixture"),
        )
        .await
        .unwrap()
        .unwrap();
    app.store
        .update_person(
            &authorize::<ManagePeople>(&admin, &place).unwrap(),
            person,
            PersonInput {
                name: current.name,
                unit_id: current.unit_id,
                title: current.title,
                email: Some(email.to_owned()),
                phone: current.phone,
                external: current.external,
            },
            &mamori_store::Origin::system("fixture"),
        )
        .await
        .unwrap();
}

#[rustfmt::skip]
const QUARANTINE_MATRIX: &[QuarantineRow] = &[
    //                                                                        ciso dir  off  mgr  sys  crt  aud  stf  con  none anon
    ("GET",  "/quarantine", &[],                                             [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, L  ]),
    ("GET",  "/quarantine/releases", &[],                                    [200, 200, 200, 200, 403, 200, 403, 403, 403, 403, L  ]),
    // Addressed to staff and norole: they and the security roles see it.
    ("GET",  "/quarantine/q-0000000000000000000000a1", &[],                  [200, 200, 200, 200, 404, 200, 404, 200, 404, 200, L  ]),
    // The part id of the notice block leads to the same message.
    ("GET",  "/quarantine/q-0000000000000000000000a1-p2", &[],               [200, 200, 200, 200, 404, 200, 404, 200, 404, 200, L  ]),
    ("GET",  "/quarantine/q-0000000000000000000000zz", &[],                  [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    ("GET",  "/quarantine/..%2F..%2Fetc", &[],                               [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    // Held outbound mail: its sender asks.
    ("GET",  "/quarantine/q-0000000000000000000000d4", &[],                  [200, 200, 200, 200, 404, 200, 404, 200, 404, 404, L  ]),
    // Addressed to norole of unit A2: the manager of unit A1 does not see it; the officer of
    // their organisation and the roles that see every unit do.
    ("GET",  "/quarantine/q-0000000000000000000000b2", &[],                  [200, 200, 200, 404, 404, 200, 404, 404, 404, 200, L  ]),
    // Only an addressee asks, for themselves; seeing it is not enough.
    ("POST", "/quarantine/q-0000000000000000000000b2/request", &[("reason", "要る {who}")], [403, 403, 403, 404, 404, 403, 404, 404, 404, GO,  L  ]),
    ("POST", "/quarantine/releases/99999999/decide", &[("decision", "approve")], [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
];

#[tokio::test]
async fn quarantine_role_route_matrix() {
    let sink = Sink::start().await;
    let data = tempfile::tempdir().unwrap();
    let (app, _) = app_with_quarantine(data.path(), sink.addr).await;
    let browsers = super::everyone(&app).await;
    let mut mismatches = String::new();
    for (method, path, body, expect) in QUARANTINE_MATRIX {
        for who in EVERYONE {
            let values: Vec<String> = body.iter().map(|(_, v)| app.fill(v, who)).collect();
            let pairs: Vec<(&str, &str)> = body
                .iter()
                .zip(&values)
                .map(|((k, _), v)| (*k, v.as_str()))
                .collect();
            let response = super::request(&app, method, path, &browsers[who.index()], &pairs).await;
            let expected = expect[who.index()];
            let got = outcome(&response);
            if got != expected {
                mismatches.push_str(&format!(
                    "{method} {path} as {}: expected {} got {}\n",
                    who.name(),
                    show(expected),
                    show(got)
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "quarantine matrix:\n{mismatches}");

    // Hostile values in every form field and id, by everyone: refused, never a 5xx.
    let huge = "長".repeat(20_000);
    let garbage = [
        "",
        "-1",
        "abc\u{0}\u{7}def",
        "名前\u{202E}fdp.exe",
        huge.as_str(),
    ];
    let mut failures = String::new();
    for who in EVERYONE {
        for value in garbage {
            for (path, field) in [
                (format!("/quarantine/{FOR_STAFF}/request"), "reason"),
                (format!("/quarantine/{HELD}/request"), "reason"),
                ("/quarantine/releases/1/decide".to_owned(), "decision"),
                ("/quarantine/releases/1/decide".to_owned(), "note"),
            ] {
                let r = super::request(
                    &app,
                    "POST",
                    &path,
                    &browsers[who.index()],
                    &[(field, value)],
                )
                .await;
                if r.status.is_server_error() {
                    failures.push_str(&format!("{path} {field} as {}: {}\n", who.name(), r.status));
                }
            }
            let id: String = form_urlencoded::byte_serialize(
                value.chars().take(300).collect::<String>().as_bytes(),
            )
            .collect();
            let r = super::request(
                &app,
                "GET",
                &format!("/quarantine/{id}"),
                &browsers[who.index()],
                &[],
            )
            .await;
            if r.status.is_server_error() {
                failures.push_str(&format!(
                    "GET /quarantine/{id:.20} as {}: {}\n",
                    who.name(),
                    r.status
                ));
            }
        }
    }
    assert!(failures.is_empty(), "5xx answers:\n{failures}");
    sink.task.abort();
}

#[tokio::test]
async fn a_recipient_asks_a_manager_approves_and_the_original_arrives_unsanitized() {
    let sink = Sink::start().await;
    let data = tempfile::tempdir().unwrap();
    let (app, config) = app_with_quarantine(data.path(), sink.addr).await;
    let staff = app.login(Who::Staff).await;
    let manager = app.login(Who::Manager).await;

    // The staff member's list has their message (and their held outbound one), not others'.
    let list = app.get("/quarantine", Some(&staff)).await.text();
    assert!(
        list.contains("id=\"nav-quarantine\""),
        "the menu leads there"
    );
    assert!(list.contains(FOR_STAFF) && list.contains(HELD), "{list}");
    assert!(!list.contains(FOR_NOROLE) && !list.contains(FOR_MANAGER));
    // The page shows the sanitize report, with the invisible character made visible.
    let page = app
        .get(&format!("/quarantine/{FOR_STAFF}"), Some(&staff))
        .await
        .text();
    assert!(page.contains("run&#60;U+202E&#62;fdp.exe"), "{page}");
    assert!(page.contains("実行可能ファイル"));
    assert!(page.contains("id=\"release-request\""));

    // A request needs a reason.
    let empty = app
        .post(
            &format!("/quarantine/{FOR_STAFF}/request"),
            &staff,
            &[("reason", " ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let asked = app
        .post(
            &format!("/quarantine/{FOR_STAFF}/request"),
            &staff,
            &[("reason", "請求書の原本が必要です")],
        )
        .await;
    assert_eq!(
        (asked.status.as_u16(), asked.location()),
        (GO, Some(format!("/quarantine/{FOR_STAFF}").as_str()))
    );
    let again = app
        .post(
            &format!("/quarantine/{FOR_STAFF}/request"),
            &staff,
            &[("reason", "もう一度")],
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "one open request per person and message"
    );

    let requests = app
        .store
        .own_releases(app.fx.user(Who::Staff), 10)
        .await
        .unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.address, address(Who::Staff));

    // The queue shows it to the manager of the staff member's unit, with the buttons.
    let queue = app.get("/quarantine/releases", Some(&manager)).await.text();
    assert!(
        queue.contains(&format!("id=\"decide-{}\"", request.id)),
        "{queue}"
    );
    // The officer of another organisation's… no: the CSIRT sees it but may not decide.
    let csirt = app.login(Who::Csirt).await;
    let seen = app.get("/quarantine/releases", Some(&csirt)).await.text();
    assert!(seen.contains(&format!("id=\"release-{}\"", request.id)));
    assert!(!seen.contains(&format!("id=\"decide-{}\"", request.id)));
    let refused = app
        .post(
            &format!("/quarantine/releases/{}/decide", request.id),
            &csirt,
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // A rejection says why.
    let bare = app
        .post(
            &format!("/quarantine/releases/{}/decide", request.id),
            &manager,
            &[("decision", "reject")],
        )
        .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    let odd = app
        .post(
            &format!("/quarantine/releases/{}/decide", request.id),
            &manager,
            &[("decision", "maybe")],
        )
        .await;
    assert_eq!(odd.status, StatusCode::UNPROCESSABLE_ENTITY);

    let approved = app
        .post(
            &format!("/quarantine/releases/{}/decide", request.id),
            &manager,
            &[("decision", "approve"), ("note", "業務上必要")],
        )
        .await;
    assert_eq!(approved.status.as_u16(), GO, "{}", approved.text());
    let twice = app
        .post(
            &format!("/quarantine/releases/{}/decide", request.id),
            &manager,
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    // The release worker delivers it to the requester alone, as received, marked released.
    let service = QuarantineService::new(config);
    let clock: Arc<dyn Clock> = app.clock.clone();
    let store: Arc<dyn mamori_store::Store> = app.store.clone();
    assert_eq!(
        deliver_due(store.as_ref(), &service, clock.as_ref())
            .await
            .unwrap(),
        1
    );
    let got = sink.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, vec![address(Who::Staff)]);
    let text = String::from_utf8_lossy(&got[0].1).into_owned();
    assert!(
        text.starts_with(&format!(
            "X-Mamori-Released: {FOR_STAFF}; request={}; requested-by=staff; approved-by=manager\r\n",
            request.id
        )),
        "{text}"
    );
    assert!(text.contains("MZ-ORIGINAL-PAYLOAD"));
    let done = app
        .store
        .release_request(request.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.state, ReleaseState::Delivered);
    assert_eq!(
        deliver_due(store.as_ref(), &service, clock.as_ref())
            .await
            .unwrap(),
        0
    );

    // Every step is in the audit trail, by whom it was done.
    let trail = app.audit("quarantine.").await;
    let steps: Vec<(&str, &str)> = trail
        .iter()
        .rev()
        .map(|r| (r.event.action.as_str(), r.event.actor_name.as_str()))
        .filter(|(a, _)| *a != "quarantine.read")
        .collect();
    assert_eq!(
        steps,
        vec![
            ("quarantine.release.request", "staff"),
            ("quarantine.release.approve", "manager"),
            ("quarantine.release.attempt", "system:release"),
            ("quarantine.release.deliver", "system:release"),
        ]
    );
    assert!(
        trail
            .iter()
            .any(|r| r.event.action == "quarantine.read" && r.event.actor_name == "staff")
    );
    let page = app
        .get(&format!("/quarantine/{FOR_STAFF}"), Some(&staff))
        .await
        .text();
    assert!(page.contains("配送済み"), "{page}");
    sink.task.abort();
}

#[tokio::test]
async fn nobody_approves_their_own_request_and_a_down_next_hop_is_retried() {
    let sink = Sink::start().await;
    let data = tempfile::tempdir().unwrap();
    let (app, config) = app_with_quarantine(data.path(), sink.addr).await;
    // The manager asks for their own message and may not approve it; the officer may.
    let manager = app.login(Who::Manager).await;
    let asked = app
        .post(
            &format!("/quarantine/{FOR_MANAGER}/request"),
            &manager,
            &[("reason", "原本が必要")],
        )
        .await;
    assert_eq!(asked.status.as_u16(), GO);
    let request = app
        .store
        .own_releases(app.fx.user(Who::Manager), 1)
        .await
        .unwrap()
        .remove(0);
    let page = app
        .get(&format!("/quarantine/{FOR_MANAGER}"), Some(&manager))
        .await
        .text();
    assert!(!page.contains(&format!("id=\"decide-{}\"", request.id)));
    let own = app
        .post(
            &format!("/quarantine/releases/{}/decide", request.id),
            &manager,
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    let officer = app.login(Who::Officer).await;
    let approved = app
        .post(
            &format!("/quarantine/releases/{}/decide", request.id),
            &officer,
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(approved.status.as_u16(), GO);

    // The next hop is down: the attempt is deferred, then made again once due.
    let dead = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let mut down = config.clone();
    down.next_hop = NextHop::smtp(dead.to_string(), "mamori.test", Duration::from_secs(5));
    let store: Arc<dyn mamori_store::Store> = app.store.clone();
    let clock: Arc<dyn Clock> = app.clock.clone();
    assert_eq!(
        deliver_due(
            store.as_ref(),
            &QuarantineService::new(down),
            clock.as_ref()
        )
        .await
        .unwrap(),
        1
    );
    let deferred = app
        .store
        .release_request(request.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (deferred.state, deferred.attempts),
        (ReleaseState::Approved, 1)
    );
    assert_eq!(deferred.next_attempt_at, Some(app.clock.now_ms() + 60_000));
    let service = QuarantineService::new(config);
    assert_eq!(
        deliver_due(store.as_ref(), &service, clock.as_ref())
            .await
            .unwrap(),
        0,
        "not due yet"
    );
    app.clock.advance_secs(61);
    assert_eq!(
        deliver_due(store.as_ref(), &service, clock.as_ref())
            .await
            .unwrap(),
        1
    );
    let delivered = app
        .store
        .release_request(request.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (delivered.state, delivered.attempts),
        (ReleaseState::Delivered, 2)
    );
    assert_eq!(delivered.approver_name.as_deref(), Some("officer"));
    assert_eq!(sink.got.lock().unwrap()[0].0, vec![address(Who::Manager)]);
    let defers = app.audit("quarantine.release.defer").await;
    assert_eq!(defers.len(), 1);

    // The held outbound message: its sender asks; once approved it goes to its recipients.
    let staff = app.login(Who::Staff).await;
    let asked = app
        .post(
            &format!("/quarantine/{HELD}/request"),
            &staff,
            &[("reason", "送付先の確認済み")],
        )
        .await;
    assert_eq!(asked.status.as_u16(), GO);
    let held = app
        .store
        .list_releases(
            &authorize::<mamori_core::authz::ViewQuarantine>(&admin_actor(), &()).unwrap(),
            &ReleaseFilter {
                state: Some(ReleaseState::Requested),
                limit: 10,
                ..ReleaseFilter::default()
            },
        )
        .await
        .unwrap()
        .remove(0);
    assert_eq!(held.quarantine_id, HELD);
    let approved = app
        .post(
            &format!("/quarantine/releases/{}/decide", held.id),
            &officer,
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(approved.status.as_u16(), GO);
    assert_eq!(
        deliver_due(store.as_ref(), &service, clock.as_ref())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        sink.got.lock().unwrap()[1].0,
        vec!["partner@example.com".to_owned()]
    );
    // A recipient the next hop refuses for good does not undo the others; the record says so.
    let done = app.store.release_request(held.id).await.unwrap().unwrap();
    assert_eq!(done.state, ReleaseState::Delivered);
    assert!(
        done.last_result
            .contains("refused: nouser@example.com (550 5.1.1 no such user)"),
        "{}",
        done.last_result
    );
    sink.task.abort();
}

#[tokio::test]
async fn without_a_gateway_there_is_no_quarantine_in_the_menu_or_behind_it() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    let home = app.get("/", Some(&staff)).await.text();
    assert!(
        home.contains("/logout") && !home.contains("nav-quarantine"),
        "{home}"
    );
    assert_eq!(
        app.get("/quarantine", Some(&staff)).await.status,
        StatusCode::NOT_FOUND
    );
}

// ---------------------------------------------------------------------------------------------
// The JSON API of the same workflow, with bearer tokens

/// An API token for each user of the fixture (none for the anonymous caller).
async fn api_tokens(app: &App) -> Vec<Option<String>> {
    use mamori_store::AccountStore as _;
    let mut tokens = vec![None; EVERYONE.len()];
    for (who, user, _) in app.fx.users.clone() {
        let token = format!(
            "mamori_{}",
            mamori_core::credentials::random_token(&mut rand::rngs::OsRng)
        );
        app.store
            .create_api_token(
                mamori_store::NewApiToken {
                    user_id: user,
                    name: mamori_core::text::Name::parse("name", "test").unwrap(),
                    token_digest: mamori_core::credentials::token_digest(&token),
                    expires_at: i64::MAX,
                    read_only: false,
                },
                &mamori_store::Origin::system("fixture"),
            )
            .await
            .unwrap();
        tokens[who.index()] = Some(token);
    }
    tokens
}

/// One API call: status and body (JSON where there is one).
async fn api(
    app: &App,
    who: Who,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<(&str, Vec<u8>)>,
) -> (StatusCode, serde_json::Value, String) {
    let mut request = axum::http::Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = match body {
        Some((content_type, bytes)) => request
            .header("content-type", content_type)
            .body(axum::body::Body::from(bytes)),
        None => request.body(axum::body::Body::empty()),
    }
    .unwrap();
    let response = app.send(request, who.address()).await;
    let content_type = response
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let json = serde_json::from_slice(&response.bytes).unwrap_or(serde_json::Value::Null);
    (response.status, json, content_type)
}

fn json_body(value: serde_json::Value) -> Option<(&'static str, Vec<u8>)> {
    Some(("application/json", value.to_string().into_bytes()))
}

/// 401 for the caller without a token.
const U: u16 = 401;

#[rustfmt::skip]
const API_MATRIX: &[(&str, &str, Option<&str>, [u16; 11])] = &[
    //                                                                          ciso dir  off  mgr  sys  crt  aud  stf  con  none anon
    ("GET",  "/api/v1/quarantine", None,                                       [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, U  ]),
    ("GET",  "/api/v1/quarantine/releases", None,                              [200, 200, 200, 200, 403, 200, 403, 403, 403, 403, U  ]),
    ("GET",  "/api/v1/quarantine/q-0000000000000000000000a1", None,            [200, 200, 200, 200, 404, 200, 404, 200, 404, 200, U  ]),
    ("GET",  "/api/v1/quarantine/q-0000000000000000000000a1-p2", None,         [200, 200, 200, 200, 404, 200, 404, 200, 404, 200, U  ]),
    ("GET",  "/api/v1/quarantine/q-0000000000000000000000zz", None,            [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, U  ]),
    ("GET",  "/api/v1/quarantine/..%2F..%2Fetc", None,                         [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, U  ]),
    ("GET",  "/api/v1/quarantine/q-0000000000000000000000d4", None,            [200, 200, 200, 200, 404, 200, 404, 200, 404, 404, U  ]),
    ("GET",  "/api/v1/quarantine/q-0000000000000000000000b2", None,            [200, 200, 200, 404, 404, 200, 404, 404, 404, 200, U  ]),
    ("POST", "/api/v1/quarantine/q-0000000000000000000000b2/request", Some(r#"{"reason":"要る"}"#),
                                                                               [403, 403, 403, 404, 404, 403, 404, 404, 404, 201, U  ]),
    ("POST", "/api/v1/quarantine/releases/99999999/decide", Some(r#"{"decision":"approve"}"#),
                                                                               [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, U  ]),
];

#[tokio::test]
async fn the_api_serves_the_quarantine_under_the_pages_rules() {
    let sink = Sink::start().await;
    let data = tempfile::tempdir().unwrap();
    let (app, _) = app_with_quarantine(data.path(), sink.addr).await;
    let tokens = api_tokens(&app).await;
    let token = |who: Who| tokens[who.index()].as_deref();
    let mut mismatches = String::new();
    for (method, path, body, expect) in API_MATRIX {
        for who in EVERYONE {
            let body = body.map(|b| ("application/json", b.as_bytes().to_vec()));
            let (status, json, content_type) = api(&app, who, token(who), method, path, body).await;
            let expected = expect[who.index()];
            if status.as_u16() != expected {
                mismatches.push_str(&format!(
                    "{method} {path} as {}: expected {expected} got {status} {json}\n",
                    who.name()
                ));
            }
            if !status.is_success()
                && (!content_type.starts_with("application/json") || json["error"].is_null())
            {
                mismatches.push_str(&format!(
                    "{method} {path} as {}: {status} without a JSON error ({content_type})\n",
                    who.name()
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "quarantine API matrix:\n{mismatches}"
    );

    // The staff member's list has their own mail only; the report comes with one entry.
    let (_, list, _) = api(
        &app,
        Who::Staff,
        token(Who::Staff),
        "GET",
        "/api/v1/quarantine",
        None,
    )
    .await;
    let ids: Vec<&str> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&FOR_STAFF) && ids.contains(&HELD), "{list}");
    assert!(
        !ids.contains(&FOR_NOROLE) && !ids.contains(&FOR_MANAGER),
        "{list}"
    );
    assert_eq!(list["can_view_all"], false);
    let path = format!("/api/v1/quarantine/{FOR_STAFF}-p2");
    let (_, entry, _) = api(&app, Who::Staff, token(Who::Staff), "GET", &path, None).await;
    assert_eq!(entry["id"], FOR_STAFF, "{entry}");
    assert_eq!(entry["mine"], true);
    assert_eq!(entry["can_request"], true);
    assert_eq!(
        entry["report"]["removed"][0]["file_name"],
        "run<U+202E>fdp.exe"
    );
    assert_eq!(
        entry["report"]["removed"][0]["quarantine_id"],
        format!("{FOR_STAFF}-p2")
    );

    // Staff asks; they cannot decide it themselves; the manager rejects without a note: 422;
    // then approves.
    let path = format!("/api/v1/quarantine/{FOR_STAFF}/request");
    let (status, made, _) = api(
        &app,
        Who::Staff,
        token(Who::Staff),
        "POST",
        &path,
        json_body(serde_json::json!({"reason": "請求書の確認"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["state"], "requested");
    assert_eq!(made["address"], address(Who::Staff));
    let id = made["id"].as_i64().unwrap();
    let (status, again, _) = api(
        &app,
        Who::Staff,
        token(Who::Staff),
        "POST",
        &path,
        json_body(serde_json::json!({"reason": "もう一度"})),
    )
    .await;
    assert!(
        status.is_client_error(),
        "a second open request: {status} {again}"
    );
    let decide = format!("/api/v1/quarantine/releases/{id}/decide");
    let (status, refused, _) = api(
        &app,
        Who::Staff,
        token(Who::Staff),
        "POST",
        &decide,
        json_body(serde_json::json!({"decision": "approve"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (_, queue, _) = api(
        &app,
        Who::Manager,
        token(Who::Manager),
        "GET",
        "/api/v1/quarantine/releases",
        None,
    )
    .await;
    assert!(
        queue["pending"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id),
        "{queue}"
    );
    let (status, refused, _) = api(
        &app,
        Who::Manager,
        token(Who::Manager),
        "POST",
        &decide,
        json_body(serde_json::json!({"decision": "reject"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["fields"][0]["field"], "note", "{refused}");
    let (status, decided, _) = api(
        &app,
        Who::Manager,
        token(Who::Manager),
        "POST",
        &decide,
        json_body(serde_json::json!({"decision": "approve", "note": "業務上必要"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["state"], "approved");
    assert!(decided["approver_name"].is_string(), "{decided}");
    let stored = app
        .store
        .release_request(mamori_core::release::ReleaseId(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.state, ReleaseState::Approved);

    // Hostile input: clear 4xx JSON errors, never a 5xx.
    let huge = "長".repeat(20_000);
    let bodies: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "application/json",
            serde_json::json!({"reason": huge}).to_string().into_bytes(),
            422,
        ),
        ("application/json", "x".repeat(70_000).into_bytes(), 413),
        ("application/json", br#"{"reason": 5}"#.to_vec(), 422),
        ("application/json", br#"{"reason": ["a"]}"#.to_vec(), 422),
        (
            "application/json",
            br#"{"reason": "a", "extra": 1}"#.to_vec(),
            422,
        ),
        ("application/json", br#"["a"]"#.to_vec(), 422),
        ("application/json", br#"{"reason": "#.to_vec(), 400),
        ("application/json", b"\xff\xfe".to_vec(), 400),
        ("text/plain", br#"{"reason": "a"}"#.to_vec(), 415),
        (
            "application/json",
            br#"{"reason": "\u0000\u0007"}"#.to_vec(),
            422,
        ),
    ];
    let targets = [
        format!("/api/v1/quarantine/{FOR_NOROLE}/request"),
        "/api/v1/quarantine/releases/1/decide".to_owned(),
    ];
    let mut failures = String::new();
    for target in &targets {
        for (content_type, bytes, expected) in &bodies {
            let (status, json, got_type) = api(
                &app,
                Who::NoRole,
                token(Who::NoRole),
                "POST",
                target,
                Some((content_type, bytes.clone())),
            )
            .await;
            // The decision route reads `decision`/`note`; its verdict on a body may differ in
            // kind but is always a 4xx with a JSON error.
            let ok = if target.ends_with("/request") {
                status.as_u16() == *expected
            } else {
                status.is_client_error()
            };
            if !ok || !got_type.starts_with("application/json") || json["error"].is_null() {
                failures.push_str(&format!(
                    "POST {target} {content_type} {:.30}: {status} {json}\n",
                    String::from_utf8_lossy(bytes)
                ));
            }
        }
    }
    // On the staff member's request, which the manager may decide: the body is judged.
    for (decision, expected) in [
        (serde_json::json!(true), 422),
        (serde_json::json!("maybe"), 422),
        (serde_json::json!(null), 422),
    ] {
        let (status, json, _) = api(
            &app,
            Who::Manager,
            token(Who::Manager),
            "POST",
            &decide,
            json_body(serde_json::json!({"decision": decision, "note": "n"})),
        )
        .await;
        if status.as_u16() != expected {
            failures.push_str(&format!("decision {decision}: {status} {json}\n"));
        }
    }
    for bad in ["0", "-1", "abc", "99999999999999999999", "1.5"] {
        let (status, json, _) = api(
            &app,
            Who::Manager,
            token(Who::Manager),
            "POST",
            &format!("/api/v1/quarantine/releases/{bad}/decide"),
            json_body(serde_json::json!({"decision": "approve"})),
        )
        .await;
        if status != StatusCode::NOT_FOUND || json["error"].is_null() {
            failures.push_str(&format!("decide id {bad}: {status} {json}\n"));
        }
    }
    for bad in ["%00", "a%2Fb", "..", "%E2%80%AE", &"q".repeat(300), "%FF"] {
        let (status, json, _) = api(
            &app,
            Who::Ciso,
            token(Who::Ciso),
            "GET",
            &format!("/api/v1/quarantine/{bad}"),
            None,
        )
        .await;
        if status != StatusCode::NOT_FOUND || json["error"].is_null() {
            failures.push_str(&format!("GET id {bad:.20}: {status} {json}\n"));
        }
    }
    assert!(failures.is_empty(), "hostile input:\n{failures}");
    sink.task.abort();
}

/// A recipient sees their own address among a message's recipients and their own requests, not
/// the other (perhaps Bcc) recipients or why a colleague asked for the same message; the security
/// roles see all of it.
#[tokio::test]
async fn a_recipient_sees_only_themselves_and_their_own_requests() {
    let data = tempfile::tempdir().unwrap();
    let sink = Sink::start().await;
    let (app, _) = app_with_quarantine(data.path(), sink.addr).await;
    let tokens = api_tokens(&app).await;
    let token = |who: Who| tokens[who.index()].as_deref();
    let path = format!("/api/v1/quarantine/{FOR_STAFF}");
    let (status, _, _) = api(
        &app,
        Who::NoRole,
        token(Who::NoRole),
        "POST",
        &format!("{path}/request"),
        json_body(serde_json::json!({"reason": "取引先からの請求書を確認するため"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, staff_view, _) =
        api(&app, Who::Staff, token(Who::Staff), "GET", &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        staff_view["recipients"],
        serde_json::json!([address(Who::Staff)])
    );
    assert_eq!(
        staff_view["requests"],
        serde_json::json!([]),
        "{staff_view}"
    );
    let (_, list, _) = api(
        &app,
        Who::Staff,
        token(Who::Staff),
        "GET",
        "/api/v1/quarantine",
        None,
    )
    .await;
    let listed = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == FOR_STAFF)
        .expect("the staff member's message is listed");
    assert_eq!(
        listed["recipients"],
        serde_json::json!([address(Who::Staff)])
    );

    let (_, ciso_view, _) = api(&app, Who::Ciso, token(Who::Ciso), "GET", &path, None).await;
    assert_eq!(
        ciso_view["recipients"],
        serde_json::json!([address(Who::Staff), address(Who::NoRole)])
    );
    assert_eq!(ciso_view["requests"].as_array().map(Vec::len), Some(1));

    // The pages say the same as the API.
    let reason = "取引先からの請求書を確認するため";
    let staff = app.login(Who::Staff).await;
    for page in ["/quarantine".to_owned(), format!("/quarantine/{FOR_STAFF}")] {
        let response = app.get(&page, Some(&staff)).await;
        assert_eq!(response.status, StatusCode::OK, "{page}");
        let html = response.text();
        assert!(html.contains(&address(Who::Staff)), "{page}: {html}");
        assert!(
            !html.contains(&address(Who::NoRole)),
            "{page} shows the other recipient: {html}"
        );
        assert!(!html.contains(reason), "{page} shows a colleague's reason");
    }
    let ciso = app.login(Who::Ciso).await;
    let html = app
        .get(&format!("/quarantine/{FOR_STAFF}"), Some(&ciso))
        .await
        .text();
    assert!(
        html.contains(&address(Who::Staff))
            && html.contains(&address(Who::NoRole))
            && html.contains(reason),
        "{html}"
    );
    sink.task.abort();
}

/// A unit's 情報セキュリティ管理者 sees the quarantine and the release requests of their own unit's
/// people, not another unit's; the officer of the organisation sees both units'.
#[tokio::test]
async fn a_units_manager_sees_only_their_own_units_quarantine_and_requests() {
    let data = tempfile::tempdir().unwrap();
    let sink = Sink::start().await;
    let (app, _) = app_with_quarantine(data.path(), sink.addr).await;
    let tokens = api_tokens(&app).await;
    let token = |who: Who| tokens[who.index()].as_deref();
    let (status, _, _) = api(
        &app,
        Who::NoRole,
        token(Who::NoRole),
        "POST",
        &format!("/api/v1/quarantine/{FOR_NOROLE}/request"),
        json_body(serde_json::json!({"reason": "取引先からの見積書を確認するため"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let listed = |who: Who| {
        let app = &app;
        let token = token(who);
        async move {
            let (_, list, _) = api(app, who, token, "GET", "/api/v1/quarantine", None).await;
            let ids: Vec<String> = list["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned())
                .collect();
            let (_, queue, _) =
                api(app, who, token, "GET", "/api/v1/quarantine/releases", None).await;
            let pending = queue["pending"].as_array().unwrap().len();
            (ids, pending)
        }
    };
    let (manager_sees, manager_pending) = listed(Who::Manager).await;
    assert!(
        !manager_sees.iter().any(|id| id == FOR_NOROLE),
        "{manager_sees:?}"
    );
    assert!(
        manager_sees.iter().any(|id| id == FOR_STAFF),
        "{manager_sees:?}"
    );
    assert_eq!(
        manager_pending, 0,
        "another unit's request in the manager's queue"
    );
    let (officer_sees, officer_pending) = listed(Who::Officer).await;
    assert!(
        officer_sees.iter().any(|id| id == FOR_NOROLE),
        "{officer_sees:?}"
    );
    assert_eq!(officer_pending, 1);
    let (ciso_sees, ciso_pending) = listed(Who::Ciso).await;
    assert_eq!(ciso_sees.len(), 4, "{ciso_sees:?}");
    assert_eq!(ciso_pending, 1);
    sink.task.abort();
}

// ---------------------------------------------------------------------------------------------
// The list through the quarantine's index: pages, filters, refusals; retention and holds

#[tokio::test]
async fn the_list_pages_and_filters_through_the_index_and_refuses_bad_filters() {
    let sink = Sink::start().await;
    let data = tempfile::tempdir().unwrap();
    let (app, _) = app_with_quarantine(data.path(), sink.addr).await;
    let tokens = api_tokens(&app).await;
    let token = |who: Who| tokens[who.index()].as_deref();
    let ids = |list: &serde_json::Value| -> Vec<String> {
        list["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };

    // One entry a page, newest first (one receipt time: the id orders them), to the last.
    let mut seen = Vec::new();
    let mut path = "/api/v1/quarantine?limit=1".to_owned();
    loop {
        let (status, page, _) = api(&app, Who::Ciso, token(Who::Ciso), "GET", &path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        assert_eq!(ids(&page).len(), 1, "{page}");
        seen.extend(ids(&page));
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/quarantine?limit=1&before={next}"),
            None => break,
        }
    }
    assert_eq!(seen, [HELD, FOR_MANAGER, FOR_NOROLE, FOR_STAFF]);
    let first = &api(
        &app,
        Who::Ciso,
        token(Who::Ciso),
        "GET",
        "/api/v1/quarantine",
        None,
    )
    .await
    .1["entries"][0];
    assert_eq!(
        (first["subject"].as_str(), first["size"].as_u64()),
        (Some("d"), Some(25))
    );

    for (query, want) in [
        ("recipient=NOROLE%40city", vec![FOR_NOROLE, FOR_STAFF]),
        (
            "sender=internet.EXAMPLE",
            vec![FOR_MANAGER, FOR_NOROLE, FOR_STAFF],
        ),
        ("reason=my-number", vec![HELD]),
        // The fixture's records are all `sanitized`, the outbound one too.
        (
            "verdict=sanitized",
            vec![HELD, FOR_MANAGER, FOR_NOROLE, FOR_STAFF],
        ),
        ("verdict=held", vec![]),
        ("verdict=quarantined", vec![]),
        ("from=2000-01-01&to=2000-01-02", vec![]),
    ] {
        let (status, list, _) = api(
            &app,
            Who::Ciso,
            token(Who::Ciso),
            "GET",
            &format!("/api/v1/quarantine?{query}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{query}: {list}");
        assert_eq!(ids(&list), want, "{query}");
    }
    // A recipient without a security role: their own inbound mail and the outbound mail they
    // sent, whatever the filter asks.
    let (_, mine, _) = api(
        &app,
        Who::Staff,
        token(Who::Staff),
        "GET",
        "/api/v1/quarantine",
        None,
    )
    .await;
    assert_eq!(ids(&mine), [HELD, FOR_STAFF]);
    let (_, theirs, _) = api(
        &app,
        Who::Staff,
        token(Who::Staff),
        "GET",
        "/api/v1/quarantine?recipient=norole",
        None,
    )
    .await;
    assert_eq!(ids(&theirs), [FOR_STAFF]);
    assert_eq!(
        theirs["entries"][0]["recipients"],
        serde_json::json!([address(Who::Staff)])
    );

    // Hostile and malformed filters are refused naming the field, on the API and the page.
    let long = "a".repeat(201);
    for (query, field) in [
        ("verdict=bogus", "verdict"),
        ("from=2026-13-40", "from"),
        ("to=yesterday", "to"),
        ("before=..%2F..%2Fetc", "before"),
        ("before=1.q%2F..%2Fx", "before"),
        ("before=x.q-1", "before"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=-1", "limit"),
        ("reason=a%20b", "reason"),
        ("reason=%27%20OR%201%3D1", "reason"),
        ("sender=a%01b", "sender"),
        ("recipient=%E2%80%AEx", "recipient"),
        (&format!("sender={long}"), "sender"),
    ] {
        let (status, body, _) = api(
            &app,
            Who::Ciso,
            token(Who::Ciso),
            "GET",
            &format!("/api/v1/quarantine?{query}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert!(body.to_string().contains(field), "{query}: {body}");
        let ciso = app.login(Who::Ciso).await;
        let page = app.get(&format!("/quarantine?{query}"), Some(&ciso)).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "page {query}"
        );
    }
    // The page carries the filter into its next link.
    let ciso = app.login(Who::Ciso).await;
    let page = app
        .get("/quarantine?sender=internet&limit=2", Some(&ciso))
        .await
        .text()
        .replace("&#38;", "&");
    assert!(
        page.contains("id=\"quarantine-next\"") && page.contains("sender=internet&limit=2&before="),
        "{page}"
    );
}

#[tokio::test]
async fn the_retention_purge_keeps_what_a_release_is_pending_for_and_is_audited() {
    use mamori_gateway::quarantine::Retention;
    let sink = Sink::start().await;
    let data = tempfile::tempdir().unwrap();
    let (app, config) = app_with_quarantine(data.path(), sink.addr).await;
    let staff = app.login(Who::Staff).await;
    let asked = app
        .post(
            &format!("/quarantine/{FOR_STAFF}/request"),
            &staff,
            &[("reason", "取引先からの見積書")],
        )
        .await;
    assert_eq!(asked.status.as_u16(), GO, "{}", asked.text());
    let service = QuarantineService::new(config);
    let everything = Retention::uniform(Duration::ZERO);
    let origin = mamori_store::Origin::system("test");
    let now = super::START_MS + 1;
    let purged =
        mamori_release::purge_with_store(app.store.as_ref(), &service, &everything, now, &origin)
            .await
            .unwrap();
    assert_eq!(purged.removed.len(), 3);
    assert_eq!(purged.kept_pending, 1);
    assert!(
        data.path()
            .join("quarantine")
            .join(FOR_STAFF)
            .join("original.eml")
            .exists()
    );
    for gone in [FOR_NOROLE, FOR_MANAGER, HELD] {
        assert!(
            !data.path().join("quarantine").join(gone).exists(),
            "{gone}"
        );
    }
    let trail = app.audit("quarantine.purge").await;
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].event.actor_name, "system:test");
    let index = service.index().await.unwrap().unwrap();
    let row = index.row(FOR_STAFF).unwrap().unwrap();
    assert_eq!(
        (row.release_state.as_deref(), row.release_pending),
        (Some("requested"), true)
    );
    // The list shows the request's state from the index.
    let list = app.get("/quarantine", Some(&staff)).await.text();
    assert!(
        list.contains(FOR_STAFF) && !list.contains(FOR_MANAGER),
        "{list}"
    );
}
