//! Mail notices through a real relay: `serve --demo --notice-config` with Postfix's `smtp-sink` as
//! the relay. While the relay is down the notices wait in the outbox and are tried again; once
//! it is up, the incident reported by a member of staff reaches the CSIRT and the unit's 管理者
//! at once, in Japanese, and the day's digest reaches the CISO — unless they turned it off.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{ChildGuard, Server, bearer_token, free_port, get, post_json};

const SMTP_SINK: &str = "/usr/sbin/smtp-sink";

/// Postfix's `smtp-sink`, or why this test cannot run here: a failure when
/// `MAMORI_REQUIRE_REAL_TESTS=1` (as in CI), a skip that says so otherwise.
fn smtp_sink_available(test: &str) -> bool {
    if Path::new(SMTP_SINK).is_file() {
        return true;
    }
    let why = format!("{SMTP_SINK} not installed (Debian package `postfix`)");
    if std::env::var("MAMORI_REQUIRE_REAL_TESTS").as_deref() == Ok("1") {
        panic!("{test}: {why}, and MAMORI_REQUIRE_REAL_TESTS=1 requires the real relay test");
    }
    eprintln!("skipped: {test}: {why}");
    false
}

/// `smtp-sink` on `port`, writing each mail it takes into `dump` (one file a mail).
fn start_sink(port: u16, dump: &Path) -> ChildGuard {
    let mut command = Command::new(SMTP_SINK);
    // As root it must drop to an unprivileged user, who must be able to write the dump folder.
    command
        .args(["-u", "nobody", "-d"])
        .arg(format!("{}/%H%M%S.", dump.display()))
        .arg(format!("127.0.0.1:{port}"))
        .arg("50");
    ChildGuard::spawn("smtp-sink", command)
}

/// The mails the sink took, decoded: (envelope recipient, subject, body).
fn received(dump: &Path) -> Vec<(String, String, String)> {
    let mut mails = Vec::new();
    for entry in std::fs::read_dir(dump).expect("dump folder") {
        let raw = std::fs::read(entry.expect("entry").path()).expect("dumped mail");
        let Some(message) = mail_parser::MessageParser::default().parse(&raw) else {
            continue;
        };
        let rcpt = message
            .header_raw("X-Rcpt-Args")
            .unwrap_or_default()
            .trim()
            .trim_matches(['<', '>'])
            .to_owned();
        mails.push((
            rcpt,
            message.subject().unwrap_or_default().to_owned(),
            message
                .body_text(0)
                .map(|b| b.into_owned())
                .unwrap_or_default(),
        ));
    }
    mails
}

fn wait_until<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(start.elapsed() < limit, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A person's mail address, looked up by name through the API (reading one is audited).
fn address_of(server: &Server, bearer: &str, name: &str) -> String {
    let q: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
    let found = get(
        server.addr,
        &format!("/api/v1/people?q={q}"),
        &[("Authorization", bearer)],
    );
    assert_eq!(found.status, 200, "{}", found.body);
    let found: serde_json::Value = serde_json::from_str(&found.body).expect("JSON");
    let id = found["people"]
        .as_array()
        .and_then(|people| people.iter().find(|p| p["name"] == name))
        .and_then(|p| p["id"].as_i64())
        .unwrap_or_else(|| panic!("{name} in {found}"));
    let person = get(
        server.addr,
        &format!("/api/v1/people/{id}"),
        &[("Authorization", bearer)],
    );
    assert_eq!(person.status, 200, "{}", person.body);
    let person: serde_json::Value = serde_json::from_str(&person.body).expect("JSON");
    person["email"]
        .as_str()
        .unwrap_or_else(|| panic!("{name} has an address: {person}"))
        .to_owned()
}

#[test]
fn notices_wait_for_a_relay_that_is_down_then_reach_their_people_in_japanese() {
    let test = "notices_wait_for_a_relay_that_is_down_then_reach_their_people_in_japanese";
    if !smtp_sink_available(test) {
        return;
    }
    let root = tempfile::tempdir().expect("temp dir");
    let data = root.path().join("data");
    let dump = root.path().join("sink");
    std::fs::create_dir(&dump).expect("dump folder");
    // smtp-sink writes as `nobody`.
    let chmod = Command::new("chmod")
        .arg("0777")
        .arg(&dump)
        .status()
        .expect("chmod");
    assert!(chmod.success());
    let relay_port = free_port();
    let config = root.path().join("notices.toml");
    std::fs::write(
        &config,
        format!(
            "relay = \"127.0.0.1:{relay_port}\"\ntls = \"none\"\n\
             from = \"mamori@example.lg.jp\"\nbase_url = \"https://isms.example.lg.jp\"\n\
             digest_at = \"00:00\"\nretry_first_secs = 1\ntimeout_secs = 5\n"
        ),
    )
    .expect("config");
    let mut server = Server::start(
        &data,
        &["--demo", "--notice-config", config.to_str().expect("UTF-8")],
    );
    server.change_admin_password();
    let admin = bearer_token(&data, "admin");
    let admin = admin.as_str();

    // The relay is down: the demo's notices (its incidents, the 対策基準 in review, the day's
    // digest) wait in the outbox, tried and deferred, none lost.
    let outbox = || -> serde_json::Value {
        let response = get(server.addr, "/api/v1/outbox", &[("Authorization", admin)]);
        assert_eq!(response.status, 200, "{}", response.body);
        serde_json::from_str(&response.body).expect("JSON")
    };
    let deferred = wait_until("a deferred mail", Duration::from_secs(60), || {
        let o = outbox();
        (o["retrying"].as_i64() > Some(0)).then_some(o)
    });
    assert_eq!(deferred["sent"], 0, "{deferred}");
    assert_eq!(deferred["failed"], 0, "{deferred}");
    let waiting = deferred["mails"].as_array().expect("mails");
    assert!(
        waiting
            .iter()
            .any(|m| m["last_error"].as_str().is_some_and(|e| !e.is_empty())),
        "{deferred}"
    );
    let metrics = get(server.addr, "/metrics", &[]);
    assert!(
        metrics
            .body
            .contains("mamori_notice_mails{state=\"retrying\"}"),
        "{}",
        metrics.body
    );

    // A member of staff reports an incident while the relay is still down.
    let staff = bearer_token(&data, "yamamoto");
    let reported = post_json(
        server.addr,
        "/api/v1/incidents",
        &[("Authorization", staff.as_str())],
        r#"{"title": "庁内PCでの不審なポップアップ", "description": "警告が出続ける"}"#,
    );
    assert_eq!(reported.status, 201, "{}", reported.body);

    // The relay comes up: every waiting mail goes, the incident's among them.
    let _sink = start_sink(relay_port, &dump);
    let manager = address_of(&server, admin, "渡辺 直子");
    let csirt = address_of(&server, admin, "田中 美咲");
    let ciso = address_of(&server, admin, "佐藤 一郎");
    let mails = wait_until("the incident mails", Duration::from_secs(90), || {
        let mails = received(&dump);
        let told = |who: &str| {
            mails.iter().any(|(to, subject, _)| {
                to == who && subject.contains("庁内PCでの不審なポップアップ")
            })
        };
        (told(&manager) && told(&csirt)).then_some(mails)
    });
    let (_, subject, body) = mails
        .iter()
        .find(|(to, subject, _)| to == &csirt && subject.contains("庁内PC"))
        .expect("the CSIRT's mail");
    assert_eq!(
        subject,
        "【mamori】インシデントが報告されました: 庁内PCでの不審なポップアップ"
    );
    assert!(body.starts_with("田中 美咲 様"), "{body}");
    assert!(
        body.contains("https://isms.example.lg.jp/incidents/"),
        "{body}"
    );
    // The day's digest went to the CISO: the 対策基準 waiting for approval is in it.
    let digest = mails
        .iter()
        .find(|(to, subject, _)| to == &ciso && subject.contains("のお知らせ"))
        .unwrap_or_else(|| panic!("the CISO's digest in {mails:?}"));
    assert!(
        digest.2.contains("承認を待っている版があります"),
        "{}",
        digest.2
    );
    assert!(
        digest.2.contains("https://isms.example.lg.jp/notices"),
        "{}",
        digest.2
    );
    // Nothing of it was sent twice.
    let mut seen: Vec<_> = mails.iter().map(|(to, s, _)| (to, s)).collect();
    seen.sort();
    let before = seen.len();
    seen.dedup();
    assert_eq!(before, seen.len(), "a mail went twice: {mails:?}");

    let settled = wait_until("an empty outbox", Duration::from_secs(30), || {
        let o = outbox();
        (o["queued"] == 0).then_some(o)
    });
    assert!(settled["sent"].as_i64() >= Some(3), "{settled}");

    // The staff member's own page lists nothing mailed to them, and their digest can be turned off.
    let off = exchange_put(
        server.addr,
        "/api/v1/notices/digest",
        staff.as_str(),
        r#"{"opt_out": true}"#,
    );
    assert_eq!(off, 204);
    let mine = get(
        server.addr,
        "/api/v1/notices",
        &[("Authorization", staff.as_str())],
    );
    assert_eq!(mine.status, 200, "{}", mine.body);
    let mine: serde_json::Value = serde_json::from_str(&mine.body).expect("JSON");
    assert_eq!(mine["digest_opt_out"], true, "{mine}");
    // The day's sweep reminded them of the demo's overdue incident task they own.
    assert!(
        mine["notices"]
            .as_array()
            .expect("notices")
            .iter()
            .any(|n| {
                n["kind"] == "incident_task_overdue"
                    && n["link"]
                        .as_str()
                        .is_some_and(|l| l.starts_with("/incidents/"))
            }),
        "{mine}"
    );
    let bad = exchange_put(
        server.addr,
        "/api/v1/notices/digest",
        staff.as_str(),
        r#"{"opt_out": "yes"}"#,
    );
    assert_eq!(bad, 422);
    // The outbox is the administrators'.
    let refused = get(
        server.addr,
        "/api/v1/outbox",
        &[("Authorization", staff.as_str())],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
}

/// `PUT` of a JSON body; the status.
fn exchange_put(addr: std::net::SocketAddr, path: &str, bearer: &str, json: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "PUT {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {bearer}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
        json.len()
    )
    .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status")
}
