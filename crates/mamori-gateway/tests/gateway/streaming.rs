//! DATA is streamed into the spool as it arrives: a large message never sits whole in memory,
//! nothing reaches the queue before the end of data, and whatever ends a message early (a lost
//! connection, a size or line-ending violation) leaves no file behind.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use mamori_gateway::server::Server;
use mamori_gateway::spool::State;
use mamori_gateway::{Counts, Gateway, SessionConfig, Spool};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::Notify;

use super::{DOMAIN, Sink, config, reply, say, wait_until};

fn server(data: &Path, max_message_bytes: usize) -> Arc<Server> {
    Arc::new(Server {
        session: Arc::new(SessionConfig {
            hostname: "gw.test".into(),
            accept_domains: vec![DOMAIN.into()],
            max_message_bytes,
            max_recipients: 10,
            max_errors: 5,
            tls_available: false,
            xforward_hosts: Vec::new(),
            relay_networks: Vec::new(),
            verify_recipients: false,
        }),
        spool: Arc::new(Spool::open(data, 0).unwrap()),
        tls: None,
        timeouts: mamori_gateway::server::Timeouts {
            idle: Duration::from_secs(60),
            ..Default::default()
        },
        wake: Arc::new(Notify::new()),
        metrics: Arc::default(),
        verifier: None,
    })
}

fn counts(data: &Path) -> Counts {
    mamori_gateway::status(data).unwrap()
}

/// Bytes of the files in `incoming/` (the messages being received).
fn incoming_bytes(data: &Path) -> Vec<u64> {
    std::fs::read_dir(data.join("spool/incoming"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .collect()
}

async fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "never {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Line `i` of the large test message; every seventh starts with a dot (stuffed on the wire).
fn line(i: usize) -> String {
    let dot = if i.is_multiple_of(7) { "." } else { "" };
    format!("{dot}line {i:08} {}", "x".repeat(60))
}

const ENVELOPE: &str =
    "EHLO c\r\nMAIL FROM:<a@internet.example>\r\nRCPT TO:<u@city.example.lg.jp>\r\nDATA\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_message_is_written_to_disk_as_it_arrives_and_queued_only_at_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(dir.path(), 64 * 1024 * 1024);
    let (client, server_side) = tokio::io::duplex(64 * 1024);
    let task = tokio::spawn(async move { srv.serve(server_side, "big").await });
    let mut c = BufReader::new(client);
    assert!(reply(&mut c).await.starts_with("220"));
    c.get_mut().write_all(ENVELOPE.as_bytes()).await.unwrap();
    for expected in ["250", "250", "250", "354"] {
        let r = reply(&mut c).await;
        assert!(r.starts_with(expected), "{r}");
    }

    // About 24 MiB: the first half, then a look at the spool while the rest is still to come.
    let lines = 320_000;
    let mut expected = Vec::with_capacity(lines * 80);
    let mut wire = Vec::with_capacity(1 << 20);
    for i in 0..lines {
        let l = line(i);
        expected.extend_from_slice(l.as_bytes());
        expected.extend_from_slice(b"\r\n");
        if l.starts_with('.') {
            wire.push(b'.');
        }
        wire.extend_from_slice(l.as_bytes());
        wire.extend_from_slice(b"\r\n");
        if wire.len() >= 1 << 20 || i + 1 == lines {
            c.get_mut().write_all(&wire).await.unwrap();
            wire.clear();
        }
        if i == lines / 2 {
            let data = dir.path().to_path_buf();
            wait_for("content on disk during DATA", || {
                incoming_bytes(&data).first().is_some_and(|&n| n > 8 << 20)
            })
            .await;
            assert_eq!(
                counts(dir.path()).queued,
                0,
                "queued before the end of data"
            );
        }
    }
    let r = say(&mut c, ".\r\n").await;
    assert!(r.starts_with("250 2.0.0 OK: queued as "), "{r}");
    assert!(say(&mut c, "QUIT\r\n").await.starts_with("221"));
    task.await.unwrap().unwrap();

    let spool = Spool::open(dir.path(), 0).unwrap();
    let ids = spool.list(State::Queued).unwrap();
    assert_eq!(ids.len(), 1);
    assert!(r.contains(&ids[0]));
    let (envelope, body) = spool.load(State::Queued, &ids[0]).unwrap();
    assert_eq!(envelope.size, expected.len() as u64);
    assert!(envelope.received_ms > 0);
    assert_eq!(body.len(), expected.len());
    assert!(
        body == expected,
        "the spooled message differs from what was sent"
    );
    assert!(incoming_bytes(dir.path()).is_empty());
}

/// Over the size limit, or a bare LF after megabytes of content: refused, and the partial file
/// that was already on disk is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_refused_mid_stream_leaves_no_file() {
    let big = format!("{}\r\n", "y".repeat(98)).repeat(30_000);
    let cases = [
        ("too big", format!("{big}.\r\nQUIT\r\n"), "552 5.3.4"),
        (
            "bare LF",
            format!("{big}smuggled\n.\nQUIT\r\n"),
            "550 5.5.2 Bare CR or LF",
        ),
    ];
    for (name, data, refusal) in cases {
        let dir = tempfile::tempdir().unwrap();
        let srv = server(dir.path(), 2 * 1024 * 1024);
        let (client, server_side) = tokio::io::duplex(64 * 1024);
        let task = tokio::spawn(async move { srv.serve(server_side, "refused").await });
        let (mut rd, mut wr) = tokio::io::split(client);
        let reader = tokio::spawn(async move {
            let mut out = Vec::new();
            let _ = rd.read_to_end(&mut out).await;
            String::from_utf8(out).unwrap()
        });
        wr.write_all(ENVELOPE.as_bytes()).await.unwrap();
        let _ = wr.write_all(data.as_bytes()).await;
        let _ = wr.shutdown().await;
        let transcript = reader.await.unwrap();
        task.await.unwrap().unwrap();
        assert!(transcript.contains(refusal), "{name}: {transcript}");
        assert!(!transcript.contains("queued as"), "{name}: {transcript}");
        assert_eq!(counts(dir.path()), Counts::default(), "{name}");
    }
}

/// A client that disconnects in the middle of DATA: the partial message is removed and never
/// delivered; the next, complete message is delivered alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_mid_data_delivers_nothing() {
    let sink = Sink::start("127.0.0.1:0").await;
    let data = tempfile::tempdir().unwrap();
    let gw = Gateway::start(config(data.path(), sink.addr))
        .await
        .unwrap();

    let mut c = BufReader::new(
        tokio::net::TcpStream::connect(gw.local_addr())
            .await
            .unwrap(),
    );
    assert!(reply(&mut c).await.starts_with("220"));
    for (line, code) in [
        ("EHLO c\r\n", "250"),
        ("MAIL FROM:<a@internet.example>\r\n", "250"),
        (&format!("RCPT TO:<u@{DOMAIN}>\r\n"), "250"),
        ("DATA\r\n", "354"),
    ] {
        assert!(say(&mut c, line).await.starts_with(code), "{line}");
    }
    let partial = format!(
        "Subject: PARTIAL-MESSAGE\r\n\r\n{}",
        format!("{}\r\n", "z".repeat(98)).repeat(4_000)
    );
    c.get_mut().write_all(partial.as_bytes()).await.unwrap();
    c.get_mut().flush().await.unwrap();
    let path = data.path().to_path_buf();
    wait_for("the partial message on disk", || {
        incoming_bytes(&path).first().is_some_and(|&n| n > 200_000)
    })
    .await;
    drop(c);
    wait_for("the partial file removed", || {
        incoming_bytes(&path).is_empty()
    })
    .await;

    super::send(
        gw.local_addr(),
        &[&format!("u@{DOMAIN}")],
        "From: a@internet.example\r\nSubject: COMPLETE-MESSAGE\r\n\r\nall of it\r\n",
    )
    .await;
    wait_until(data.path(), "delivered", |c| {
        c.delivered == 1 && c.queued == 0
    })
    .await;
    let got = sink.wait_for(1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let text = String::from_utf8_lossy(&got[0].data);
    assert!(text.contains("COMPLETE-MESSAGE"), "{text}");
    assert!(!text.contains("PARTIAL-MESSAGE"), "{text}");
    assert_eq!(
        counts(data.path()),
        Counts {
            delivered: 1,
            ..Counts::default()
        }
    );
    gw.stop().await;
    sink.task.abort();
}
