//! `mamori serve --gateway-config FILE`: the gateway runs in the web application's process; a
//! message it accepts is delivered sanitized to a real SMTP sink, and the web shows its original
//! in quarantine, reached by the id in the notice block.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{
    ChildGuard, Server, Start, bearer_token, free_port, get, mamori, modes_under, post_json, run,
    text, wait_for_port,
};

const MESSAGE: &str = "From: sender@internet.example\r\nTo: kacho@city.example.lg.jp\r\n\
    Subject: invoice\r\nMessage-ID: <inv@internet.example>\r\nMIME-Version: 1.0\r\n\
    Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
    --b1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nsee attached\r\n\
    --b1\r\nContent-Type: application/x-msdownload; name=\"run.exe\"\r\n\
    Content-Disposition: attachment; filename=\"run.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
    TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAA==\r\n\
    --b1--\r\n";

/// A next hop on a thread of its own that keeps each message's data; a recipient whose local part
/// is `later` is refused for now (451).
fn sink() -> (u16, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let kept = got.clone();
    // Each connection on its own thread, as a real relay serves them: the gateway keeps a
    // delivered-to connection open for the next message while it opens others.
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let kept = kept.clone();
            std::thread::spawn(move || {
                let mut out = stream.try_clone().unwrap();
                let mut lines = BufReader::new(stream);
                let _ = out.write_all(b"220 sink\r\n");
                loop {
                    let mut line = String::new();
                    if lines.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    let upper = line.to_ascii_uppercase();
                    let answer = if upper.starts_with("EHLO") {
                        "250-sink\r\n250 8BITMIME\r\n"
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
                        kept.lock().unwrap().push(data);
                        "250 2.0.0 kept\r\n"
                    } else if upper.starts_with("RCPT") && upper.contains("<LATER@") {
                        "451 4.3.0 later\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = out.write_all(b"221 bye\r\n");
                        break;
                    } else {
                        "250 ok\r\n"
                    };
                    let _ = out.write_all(answer.as_bytes());
                }
            });
        }
    });
    (port, got)
}

/// One SMTP transaction, each reply checked.
fn smtp_send(port: u16, rcpt: &str, message: &str) {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut out = stream.try_clone().unwrap();
    let mut replies = BufReader::new(stream);
    let mut expect = |code: &str| loop {
        let mut line = String::new();
        replies.read_line(&mut line).unwrap();
        assert!(line.starts_with(code), "expected {code}, got {line:?}");
        if line.as_bytes().get(3) == Some(&b' ') {
            break;
        }
    };
    expect("220");
    for (command, code) in [
        ("EHLO client.example\r\n".to_owned(), "250"),
        ("MAIL FROM:<sender@internet.example>\r\n".to_owned(), "250"),
        (format!("RCPT TO:<{rcpt}>\r\n"), "250"),
        ("DATA\r\n".to_owned(), "354"),
        (format!("{message}.\r\n"), "250"),
        ("QUIT\r\n".to_owned(), "221"),
    ] {
        out.write_all(command.as_bytes()).unwrap();
        expect(code);
    }
    let mut rest = Vec::new();
    let _ = replies.read_to_end(&mut rest);
}

/// Standard base64, ignoring line breaks (the sanitized body is base64 in 76-column lines).
/// The quarantine id the notice of a delivered message names (its body is base64).
fn quarantine_id_in_notice(delivered: &str) -> String {
    let body = delivered.split("\r\n\r\n").nth(1).unwrap_or_default();
    let notice = text(&base64_decode(body));
    notice
        .lines()
        .find_map(|l| l.trim().strip_prefix("隔離ID (quarantine id): "))
        .unwrap_or_else(|| panic!("no quarantine id in {notice}"))
        .to_owned()
}

fn base64_decode(encoded: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut bits, mut count) = (0u32, 0);
    for c in encoded
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let value = ALPHABET
            .iter()
            .position(|&a| a == c)
            .unwrap_or_else(|| panic!("not base64: {c}")) as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

#[test]
fn serve_with_a_gateway_accepts_mail_and_shows_the_original_in_quarantine() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let (sink_port, got) = sink();
    let smtp_port = free_port();
    let config = root.path().join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{smtp_port}\"\nnext_hop = \"127.0.0.1:{sink_port}\"\n\
             accept_domains = [\"city.example.lg.jp\"]\nhostname = \"gw.test\"\n"
        ),
    )
    .unwrap();
    let mut server = Server::start(&data, &["--gateway-config", config.to_str().unwrap()]);
    smtp_send(smtp_port, "kacho@city.example.lg.jp", MESSAGE);

    let deadline = Instant::now() + Duration::from_secs(120);
    let delivered = loop {
        if let Some(first) = got.lock().unwrap().first() {
            break text(first);
        }
        server.assert_running();
        assert!(Instant::now() < deadline, "the sink got nothing");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!delivered.contains("TVqQ"), "{delivered}");
    assert!(delivered.contains("X-Mamori-Sanitized:"), "{delivered}");
    // The notice names the removed part by its quarantine id (base64 body: decode the text).
    let part = quarantine_id_in_notice(&delivered);

    // The printed password is changed first, as the server asks before anything else.
    server.change_admin_password();
    let bearer = bearer_token(&data, "admin");
    let auth = [("Authorization", bearer.as_str())];
    // A token opens the API only; the pages are for a browser's session.
    assert_eq!(get(server.addr, "/quarantine", &auth).status, 303);
    let list = get(server.addr, "/api/v1/quarantine", &auth);
    assert_eq!(list.status, 200, "{}", list.body);
    let message_id = part
        .rsplit_once("-p")
        .map(|(m, _)| m)
        .unwrap_or(&part)
        .to_owned();
    assert!(list.body.contains(&message_id), "{}", list.body);
    assert!(list.body.contains("kacho@city.example.lg.jp"));
    // The id from the notice block leads to the message, with what was removed and why.
    let item = get(server.addr, &format!("/api/v1/quarantine/{part}"), &auth);
    assert_eq!(item.status, 200, "{}", item.body);
    assert!(
        item.body.contains("run.exe") && item.body.contains("\"reason\":\"executable\""),
        "{}",
        item.body
    );
    assert_eq!(
        get(server.addr, "/api/v1/quarantine/releases", &auth).status,
        200
    );
    assert_eq!(
        get(server.addr, "/quarantine", &[]).status,
        303,
        "signed out: to the login"
    );
    // serve's /metrics carries the gateway's counters beside the web's.
    let metrics = get(server.addr, "/metrics", &[]);
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.body.contains("mamori_http_responses_total"),
        "{}",
        metrics.body
    );
    assert!(
        metrics
            .body
            .lines()
            .any(|l| l.starts_with("mamori_gateway_messages_accepted_total") && l.ends_with(" 1")),
        "{}",
        metrics.body
    );
}

/// A plain message, which the gateway passes with nothing held.
const PLAIN: &str = "From: sender@internet.example\r\nTo: kacho@city.example.lg.jp\r\n\
    Subject: hello\r\nMessage-ID: <hello@internet.example>\r\nMIME-Version: 1.0\r\n\
    Content-Type: text/plain; charset=UTF-8\r\n\r\nsee you tomorrow\r\n";

/// インシデント候補: the real gateway holds an executable; `serve` reads its quarantine's index
/// and raises one candidate for that message (none for a plain one), which the API lists and
/// the CSIRT's side opens as an incident that keeps the link. The gateway runs in `serve`.
#[test]
fn a_message_held_for_an_executable_becomes_an_incident_candidate() {
    candidate_from_the_gateway(false);
}

/// The same with the gateway as its own `mamori gateway` process on `serve`'s data folder.
#[test]
fn a_separate_gateway_on_the_data_folder_raises_its_candidate_too() {
    candidate_from_the_gateway(true);
}

fn candidate_from_the_gateway(separate: bool) {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let (sink_port, got) = sink();
    let smtp_port = free_port();
    let config = root.path().join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{smtp_port}\"\nnext_hop = \"127.0.0.1:{sink_port}\"\n\
             accept_domains = [\"city.example.lg.jp\"]\nhostname = \"gw.test\"\n"
        ),
    )
    .unwrap();
    let (mut server, _gateway) = if separate {
        let server = Server::start(&data, &[]);
        let mut command = mamori();
        command
            .arg("gateway")
            .args(["--listen", &format!("127.0.0.1:{smtp_port}")])
            .args(["--next-hop", &format!("127.0.0.1:{sink_port}")])
            .args(["--accept-domain", "city.example.lg.jp"])
            .arg("--data")
            .arg(&data)
            .args(["--min-free-mb", "1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let mut gateway = ChildGuard::spawn("mamori gateway", command);
        wait_for_port(smtp_port, &mut gateway);
        (server, Some(gateway))
    } else {
        let args = ["--gateway-config", config.to_str().unwrap()];
        (Server::start(&data, &args), None)
    };
    smtp_send(smtp_port, "kacho@city.example.lg.jp", PLAIN);
    smtp_send(smtp_port, "kacho@city.example.lg.jp", MESSAGE);
    let deadline = Instant::now() + Duration::from_secs(120);
    let delivered = loop {
        let got = got.lock().unwrap();
        if let Some(held) = got.iter().map(|m| text(m)).find(|m| m.contains("invoice"))
            && got.len() == 2
        {
            break held;
        }
        drop(got);
        server.assert_running();
        assert!(
            Instant::now() < deadline,
            "the sink did not get both messages"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let part = quarantine_id_in_notice(&delivered);
    let entry = part
        .rsplit_once("-p")
        .map(|(m, _)| m)
        .unwrap_or(&part)
        .to_owned();

    server.change_admin_password();
    let bearer = bearer_token(&data, "admin");
    let auth = [("Authorization", bearer.as_str())];
    // `serve` reads the index every few seconds.
    let deadline = Instant::now() + Duration::from_secs(60);
    let candidates: serde_json::Value = loop {
        let list = get(server.addr, "/api/v1/incident-candidates", &auth);
        assert_eq!(list.status, 200, "{}", list.body);
        let list: serde_json::Value = serde_json::from_str(&list.body).expect("JSON");
        if !list.as_array().expect("a list").is_empty() {
            break list;
        }
        server.assert_running();
        assert!(Instant::now() < deadline, "no candidate was raised");
        std::thread::sleep(Duration::from_millis(500));
    };
    // One for the executable, none for the plain message, however often the index is read.
    std::thread::sleep(Duration::from_secs(12));
    let again = get(server.addr, "/api/v1/incident-candidates", &auth);
    let again: serde_json::Value = serde_json::from_str(&again.body).expect("JSON");
    assert_eq!(again, candidates);
    let list = candidates.as_array().unwrap();
    assert_eq!(list.len(), 1, "{candidates}");
    let candidate = &list[0];
    assert_eq!(candidate["source"], "gateway");
    assert_eq!(candidate["state"], "open");
    assert_eq!(candidate["reference"], entry.as_str(), "{candidate}");
    let summary = candidate["summary"].as_str().unwrap();
    assert!(
        summary.contains("executable")
            && summary.contains("sender@internet.example")
            && summary.contains("invoice"),
        "{summary}"
    );
    let metrics = get(server.addr, "/metrics", &[]);
    assert!(
        metrics.body.contains("mamori_incident_candidates_open 1"),
        "{}",
        metrics.body
    );
    let opened = post_json(
        server.addr,
        &format!("/api/v1/incident-candidates/{}/open", candidate["id"]),
        &auth,
        "{}",
    );
    assert_eq!(opened.status, 201, "{}", opened.body);
    let opened: serde_json::Value = serde_json::from_str(&opened.body).expect("JSON");
    assert_eq!(opened["raised_from"]["reference"], entry.as_str());
}

/// Under umask 022, what the gateway writes is still its owner's alone: the spool's and the
/// quarantine's folders 0700, a deferred message with its schedule, a delivered message's record,
/// the quarantined original and its record 0600, as are the database and its journals.
#[test]
fn the_spool_and_the_quarantine_are_private_whatever_the_umask() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let (sink_port, got) = sink();
    let smtp_port = free_port();
    let config = root.path().join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{smtp_port}\"\nnext_hop = \"127.0.0.1:{sink_port}\"\n\
             accept_domains = [\"city.example.lg.jp\"]\nhostname = \"gw.test\"\n\
             retry_first_secs = 3600\n"
        ),
    )
    .unwrap();
    let mut server = Server::start_with(
        &data,
        &["--gateway-config", config.to_str().unwrap()],
        &Start {
            umask_022: true,
            ..Start::default()
        },
    );
    smtp_send(smtp_port, "kacho@city.example.lg.jp", MESSAGE);
    smtp_send(smtp_port, "later@city.example.lg.jp", MESSAGE);
    let has = |folder: &str, ending: &str| {
        std::fs::read_dir(data.join(folder))
            .map(|entries| {
                entries
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().ends_with(ending))
            })
            .unwrap_or(false)
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while got.lock().unwrap().is_empty()
        || !has("spool/delivered", ".jsonl")
        || !has("spool/deferred", ".retry")
    {
        server.assert_running();
        assert!(
            Instant::now() < deadline,
            "one message delivered and one deferred: {:?}",
            modes_under(&data)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let entries = modes_under(&data);
    let wrong: Vec<_> = entries
        .iter()
        .filter(|(_, folder, mode)| *mode != if *folder { 0o700 } else { 0o600 })
        .collect();
    assert!(wrong.is_empty(), "not private: {wrong:?}");
    let seen = |part: &str| {
        entries
            .iter()
            .any(|(path, _, _)| path.to_string_lossy().contains(part))
    };
    for part in [
        "spool/queue",
        "spool/incoming",
        "spool/deferred/",
        "spool/delivered/",
        "quarantine/",
        "original.msg",
        "mamori.db",
        "audit.key",
    ] {
        assert!(seen(part), "{part} is not among {entries:?}");
    }
    drop(server);
}

#[test]
fn a_bad_sanitize_policy_stops_the_gateway_before_it_listens() {
    let root = tempfile::tempdir().unwrap();
    let policy = root.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[sanitize]\nquarantine_url = \"javascript:alert(1)\"\n",
    )
    .unwrap();
    let port = free_port().to_string();
    let listen = format!("127.0.0.1:{port}");
    let out = run(
        &[
            "gateway",
            "--listen",
            &listen,
            "--next-hop",
            "127.0.0.1:9",
            "--accept-domain",
            "city.example.lg.jp",
            "--data",
            root.path().join("data").to_str().unwrap(),
            "--config",
            policy.to_str().unwrap(),
        ],
        "",
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("無害化ポリシーが不正です") && stderr.contains("policy.toml"),
        "{stderr}"
    );
    assert!(
        std::net::TcpStream::connect(&listen).is_err(),
        "nothing listens"
    );
}
