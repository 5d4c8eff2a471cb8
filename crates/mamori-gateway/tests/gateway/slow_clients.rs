//! Time limits on what a slow client can hold: the whole session, the DATA phase, the minimum
//! transfer rate during DATA, and a client that does not read its replies. Each runs in-memory
//! with tokio's paused clock, which jumps straight to the next timer, so the limits are exact
//! and nothing depends on how fast the machine is.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use mamori_gateway::server::{Server, Timeouts};
use mamori_gateway::{SessionConfig, Spool};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::{DOMAIN, codes};

fn server(data: &Path, timeouts: Timeouts) -> Arc<Server> {
    Arc::new(Server {
        session: Arc::new(SessionConfig {
            hostname: "gw.test".into(),
            accept_domains: vec![DOMAIN.into()],
            max_message_bytes: 1 << 20,
            ..SessionConfig::default()
        }),
        spool: Arc::new(Spool::open(data, 0).unwrap()),
        tls: None,
        timeouts,
        wake: Arc::new(Notify::new()),
        metrics: Arc::default(),
        verifier: None,
    })
}

fn limits() -> Timeouts {
    Timeouts {
        idle: Duration::from_secs(300),
        session: Duration::from_secs(3600),
        data: Duration::from_secs(3600),
        min_data_rate: 0,
        data_rate_grace: Duration::from_secs(30),
    }
}

/// Runs a session whose client writes each `(wait, bytes)` after waiting that long, then
/// stays connected without a word; returns the transcript once the server closed, and how long
/// after the start each reply arrived.
async fn trickle(server: Arc<Server>, script: Vec<(Duration, Vec<u8>)>) -> (String, Vec<Duration>) {
    let (client, server_side) = tokio::io::duplex(1 << 20);
    let task = tokio::spawn(async move { server.serve(server_side, "192.0.2.9:4000").await });
    let (mut rd, mut wr) = tokio::io::split(client);
    let writer = tokio::spawn(async move {
        for (wait, bytes) in script {
            tokio::time::sleep(wait).await;
            if wr.write_all(&bytes).await.is_err() {
                return;
            }
        }
        // Connected and silent: only the server's limits end this.
        std::future::pending::<()>().await;
        drop::<tokio::io::WriteHalf<DuplexStream>>(wr);
    });
    let start = Instant::now();
    let mut transcript = Vec::new();
    let mut at = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = rd.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        transcript.extend_from_slice(&buf[..n]);
        at.push(start.elapsed());
    }
    writer.abort();
    let _ = task.await.unwrap();
    (String::from_utf8(transcript).unwrap(), at)
}

fn at(secs: u64, bytes: &str) -> (Duration, Vec<u8>) {
    (Duration::from_secs(secs), bytes.as_bytes().to_vec())
}

fn envelope() -> (Duration, Vec<u8>) {
    at(
        0,
        &format!("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<u@{DOMAIN}>\r\nDATA\r\n"),
    )
}

fn spooled(data: &Path) -> (usize, usize) {
    let c = mamori_gateway::status(data).unwrap();
    (c.queued, c.incoming)
}

/// A NOOP every 299 s kept the 300 s idle limit from ever running out: the slot was held for
/// as long as the client liked.
#[tokio::test(start_paused = true)]
async fn a_client_trickling_commands_is_let_go_at_the_session_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = limits();
    t.session = Duration::from_secs(1000);
    let script = (0..10).map(|_| at(299, "NOOP\r\n")).collect();
    let (transcript, at) = trickle(server(dir.path(), t), script).await;
    assert_eq!(
        codes(&transcript),
        vec![220, 250, 250, 250, 421],
        "{transcript}"
    );
    assert!(
        transcript.ends_with("421 4.4.2 Session time limit reached, closing connection\r\n"),
        "{transcript}"
    );
    assert_eq!(at.last(), Some(&Duration::from_secs(1000)));
}

/// A byte every few seconds during DATA kept the idle limit from running out too, and the
/// message was as slow as the client wanted.
#[tokio::test(start_paused = true)]
async fn message_content_below_the_minimum_rate_is_cut_off_after_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = limits();
    t.min_data_rate = 100;
    t.data_rate_grace = Duration::from_secs(20);
    let mut script = vec![envelope(), at(1, "Subject: slow\r\n\r\n")];
    script.extend((0..200).map(|_| at(7, "x")));
    script.push(at(1, "\r\n.\r\nQUIT\r\n"));
    let (transcript, at) = trickle(server(dir.path(), t), script).await;
    assert_eq!(
        codes(&transcript),
        vec![220, 250, 250, 250, 354, 421],
        "{transcript}"
    );
    assert!(
        transcript.ends_with("421 4.4.2 Message transfer too slow, closing connection\r\n"),
        "{transcript}"
    );
    // 354 at once, the grace period from there.
    assert_eq!(at.last(), Some(&Duration::from_secs(20)));
    assert_eq!(spooled(dir.path()), (0, 0), "nothing kept of the message");
}

/// Above the minimum rate the message is taken, however long the grace period is exceeded.
#[tokio::test(start_paused = true)]
async fn message_content_at_the_minimum_rate_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = limits();
    t.min_data_rate = 100;
    t.data_rate_grace = Duration::from_secs(20);
    let line = format!("{}\r\n", "y".repeat(998));
    let mut script = vec![envelope(), at(0, "Subject: steady\r\n\r\n")];
    // 1000 bytes every 5 s, twice the minimum, for two minutes.
    script.extend((0..24).map(|i| at(if i == 0 { 0 } else { 5 }, &line)));
    script.push(at(1, ".\r\nQUIT\r\n"));
    let (transcript, _) = trickle(server(dir.path(), t), script).await;
    assert_eq!(
        codes(&transcript),
        vec![220, 250, 250, 250, 354, 250, 221],
        "{transcript}"
    );
    assert_eq!(spooled(dir.path()), (1, 0));
}

/// A client keeping up the rate may still not take longer than the DATA limit.
#[tokio::test(start_paused = true)]
async fn message_content_that_outlasts_the_data_limit_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = limits();
    t.min_data_rate = 10;
    t.data = Duration::from_secs(60);
    let line = format!("{}\r\n", "z".repeat(98));
    let mut script = vec![envelope()];
    script.extend((0..30).map(|_| at(5, &line)));
    script.push(at(1, ".\r\nQUIT\r\n"));
    let (transcript, at) = trickle(server(dir.path(), t), script).await;
    assert_eq!(
        codes(&transcript),
        vec![220, 250, 250, 250, 354, 421],
        "{transcript}"
    );
    assert!(
        transcript.ends_with("421 4.4.2 Message not received in time, closing connection\r\n"),
        "{transcript}"
    );
    assert_eq!(at.last(), Some(&Duration::from_secs(60)));
    assert_eq!(spooled(dir.path()), (0, 0));
}

/// A client that pipelines commands and never reads the replies filled the connection's
/// buffers, and the server waited on its write for ever.
#[tokio::test(start_paused = true)]
async fn a_client_that_does_not_read_its_replies_is_let_go() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), limits());
    let (client, server_side) = tokio::io::duplex(256);
    let task = tokio::spawn(async move { server.serve(server_side, "192.0.2.9:4000").await });
    let (_rd, mut wr) = tokio::io::split(client);
    let start = Instant::now();
    let writer = tokio::spawn(async move {
        for _ in 0..1000 {
            if wr.write_all(b"HELP\r\n").await.is_err() {
                return;
            }
        }
        std::future::pending::<()>().await;
    });
    let ended = tokio::time::timeout(Duration::from_secs(3600), task).await;
    writer.abort();
    let result = ended.expect("the server still waits on a client that does not read");
    assert_eq!(
        result.unwrap().unwrap_err().kind(),
        std::io::ErrorKind::TimedOut
    );
    assert_eq!(start.elapsed(), Duration::from_secs(300));
}
