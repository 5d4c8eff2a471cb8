//! Gateway integration tests: SMTP sessions over in-memory streams, STARTTLS, and whole-gateway
//! runs over TCP with Python's smtplib as the client and a sink SMTP server as the next hop.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use mamori_gateway::quarantine::{QuarantineId, QuarantineReader};
use mamori_gateway::server::Server;
use mamori_gateway::spool::State;
use mamori_gateway::{Gateway, GatewayConfig, RetryPolicy, SessionConfig, Spool};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

#[path = "gateway/full_disk.rs"]
mod full_disk;
#[path = "gateway/next_hop.rs"]
mod next_hop;
#[path = "gateway/postfix.rs"]
mod postfix;
#[path = "gateway/streaming.rs"]
mod streaming;

#[path = "gateway/ops.rs"]
mod ops;
#[path = "gateway/release.rs"]
mod release;
#[path = "gateway/routing.rs"]
mod routing;
#[path = "gateway/slow_clients.rs"]
mod slow_clients;
#[path = "gateway/verify.rs"]
mod verify;

const DOMAIN: &str = "city.example.lg.jp";

struct Harness {
    dir: tempfile::TempDir,
    server: Arc<Server>,
}

fn harness_with(min_free: u64, tls: Option<tokio_rustls::TlsAcceptor>, idle: Duration) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let spool = Arc::new(Spool::open(dir.path(), min_free).unwrap());
    let server = Arc::new(Server {
        session: Arc::new(SessionConfig {
            hostname: "gw.test".into(),
            accept_domains: vec![DOMAIN.into()],
            max_message_bytes: 2000,
            max_recipients: 3,
            max_errors: 5,
            tls_available: tls.is_some(),
            xforward_hosts: Vec::new(),
            relay_networks: Vec::new(),
            verify_recipients: false,
        }),
        spool,
        tls,
        timeouts: mamori_gateway::server::Timeouts {
            idle,
            ..Default::default()
        },
        wake: Arc::new(Notify::new()),
        metrics: Arc::default(),
        verifier: None,
    });
    Harness { dir, server }
}

fn harness() -> Harness {
    harness_with(0, None, Duration::from_secs(30))
}

impl Harness {
    /// Sends `input` in one write (a pipelined client), closes the write side and returns every
    /// byte the server answered until it closed.
    async fn converse(&self, input: &[u8]) -> String {
        let (client, server_side) = tokio::io::duplex(1 << 20);
        let server = self.server.clone();
        let task = tokio::spawn(async move { server.serve(server_side, "test-peer").await });
        let (mut rd, mut wr) = tokio::io::split(client);
        // A server that closes early may make this write fail; what it answered is what counts.
        let _ = wr.write_all(input).await;
        let _ = wr.shutdown().await;
        let mut out = Vec::new();
        rd.read_to_end(&mut out).await.unwrap();
        task.await.unwrap().unwrap();
        String::from_utf8(out).unwrap()
    }

    fn spool(&self) -> Spool {
        Spool::open(self.dir.path(), 0).unwrap()
    }

    fn queued(&self) -> Vec<(mamori_gateway::spool::Envelope, Vec<u8>)> {
        let spool = self.spool();
        spool
            .list(State::Queued)
            .unwrap()
            .iter()
            .map(|id| spool.load(State::Queued, id).unwrap())
            .collect()
    }
}

/// The basic reply codes of a transcript, one per reply (multi-line replies count once).
fn codes(transcript: &str) -> Vec<u16> {
    transcript
        .split("\r\n")
        .filter(|l| l.len() >= 4 && l.as_bytes()[3] == b' ')
        .map(|l| l[..3].parse().unwrap())
        .collect()
}

fn envelope_commands(rcpt: &str) -> String {
    format!(
        "EHLO client.example\r\nMAIL FROM:<sender@internet.example>\r\nRCPT TO:<{rcpt}>\r\nDATA\r\n"
    )
}

#[tokio::test]
async fn a_pipelined_session_spools_the_dot_unstuffed_message() {
    let h = harness();
    let input = format!(
        "{}Subject: hi\r\n\r\n..starts with a dot\r\nbody\r\n.\r\nQUIT\r\n",
        envelope_commands(&format!("user@{DOMAIN}"))
    );
    let t = h.converse(input.as_bytes()).await;
    assert_eq!(codes(&t), vec![220, 250, 250, 250, 354, 250, 221], "{t}");
    assert!(t.contains("250 2.0.0 OK: queued as "));
    let queued = h.queued();
    assert_eq!(queued.len(), 1);
    let (env, body) = &queued[0];
    assert_eq!(env.from, "sender@internet.example");
    assert_eq!(env.recipients, vec![format!("user@{DOMAIN}")]);
    assert_eq!(body, b"Subject: hi\r\n\r\n.starts with a dot\r\nbody\r\n");
    assert!(t.contains(&env.queue_id));
}

#[tokio::test]
async fn several_pipelined_transactions_keep_their_own_envelopes_and_8bit_bodies() {
    let h = harness();
    let input = format!(
        "EHLO c\r\n\
         MAIL FROM:<one@internet.example> BODY=8BITMIME\r\nRCPT TO:<a@{DOMAIN}>\r\nDATA\r\n\
         Subject: 一通目\r\n\r\n本文１\r\n.\r\n\
         MAIL FROM:<two@internet.example>\r\nRCPT TO:<b@{DOMAIN}>\r\nRSET\r\n\
         MAIL FROM:<三@internet.example> SMTPUTF8\r\nRCPT TO:<c@{DOMAIN}>\r\nDATA\r\n\
         Subject: 二通目\r\n\r\n本文２\r\n.\r\nQUIT\r\n"
    );
    let t = h.converse(input.as_bytes()).await;
    assert_eq!(
        codes(&t),
        vec![
            220, 250, 250, 250, 354, 250, 250, 250, 250, 250, 250, 354, 250, 221
        ],
        "{t}"
    );
    let mut queued = h.queued();
    queued.sort_by(|a, b| a.1.cmp(&b.1));
    let summary: Vec<(String, Vec<String>, bool)> = queued
        .iter()
        .map(|(e, _)| (e.from.clone(), e.recipients.clone(), e.smtputf8))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "one@internet.example".into(),
                vec![format!("a@{DOMAIN}")],
                false
            ),
            (
                "三@internet.example".into(),
                vec![format!("c@{DOMAIN}")],
                true
            ),
        ]
    );
    assert_eq!(queued[0].1, "Subject: 一通目\r\n\r\n本文１\r\n".as_bytes());
    assert_eq!(queued[1].1, "Subject: 二通目\r\n\r\n本文２\r\n".as_bytes());
}

#[tokio::test]
async fn ehlo_advertises_the_extensions_and_no_starttls_without_a_certificate() {
    let t = harness().converse(b"EHLO c\r\nQUIT\r\n").await;
    for ext in [
        "250-PIPELINING",
        "250-SIZE 2000",
        "250-8BITMIME",
        "250-SMTPUTF8",
        "250 ENHANCEDSTATUSCODES",
    ] {
        assert!(t.contains(ext), "{ext} missing in {t}");
    }
    assert!(!t.contains("STARTTLS"));
}

#[tokio::test]
async fn every_simple_command_gets_its_reply() {
    let t = harness()
        .converse(
            b"MAIL FROM:<a@b.example>\r\nHELO c\r\nNOOP\r\nVRFY someone\r\nHELP\r\nRSET\r\n\
              EXPN list\r\nSTARTTLS\r\nFROB\r\nQUIT\r\n",
        )
        .await;
    assert_eq!(
        codes(&t),
        vec![220, 503, 250, 250, 252, 214, 250, 502, 454, 500, 221],
        "{t}"
    );
    assert!(t.contains("503 5.5.1 Send EHLO or HELO first"));
    assert!(t.contains("252 2.5.0"));
}

#[tokio::test]
async fn mail_for_other_domains_is_refused_as_relaying() {
    let h = harness();
    let t = h
        .converse(
            b"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<victim@elsewhere.example>\r\n\
              DATA\r\nQUIT\r\n",
        )
        .await;
    assert_eq!(codes(&t), vec![220, 250, 250, 550, 503, 221], "{t}");
    assert!(t.contains("550 5.7.1 Relaying denied"));
    assert!(h.queued().is_empty());
}

/// SMTP smuggling: every non-CRLF end of data, and bare CR or LF anywhere, is refused and the
/// connection closed; nothing is spooled, and the smuggled second message is never seen.
#[tokio::test]
async fn smtp_smuggling_attempts_are_refused() {
    let smuggled = "MAIL FROM:<evil@internet.example>\r\nRCPT TO:<ceo@city.example.lg.jp>\r\n\
                    DATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\n";
    let cases: [(&str, String); 7] = [
        ("LF.LF", format!("Subject: a\r\n\r\nbody\n.\n{smuggled}")),
        ("CR.CR", format!("Subject: a\r\n\r\nbody\r.\r{smuggled}")),
        (
            "LF.CRLF",
            format!("Subject: a\r\n\r\nbody\n.\r\n{smuggled}"),
        ),
        (
            "CRLF.LF",
            format!("Subject: a\r\n\r\nbody\r\n.\n{smuggled}"),
        ),
        (
            "bare LF in data",
            "Subject: a\nX: y\r\n\r\nbody\r\n.\r\n".to_string(),
        ),
        (
            "bare CR in data",
            "Subject: a\r\n\r\nbo\rdy\r\n.\r\n".to_string(),
        ),
        ("dot CR LF LF", format!("body\r\n.\r\r\n{smuggled}")),
    ];
    for (name, data) in cases {
        let h = harness();
        let input = format!("{}{data}", envelope_commands(&format!("user@{DOMAIN}")));
        let t = h.converse(input.as_bytes()).await;
        assert_eq!(codes(&t), vec![220, 250, 250, 250, 354, 550], "{name}: {t}");
        assert!(t.contains("550 5.5.2 Bare CR or LF"), "{name}: {t}");
        assert!(h.queued().is_empty(), "{name}: something was spooled");
    }
}

#[tokio::test]
async fn bare_line_endings_in_commands_close_the_connection() {
    for input in [
        &b"EHLO c\nMAIL FROM:<a@b.example>\r\n"[..],
        b"EHLO c\r\nNOOP\rQUIT\r\n",
    ] {
        let t = harness().converse(input).await;
        assert!(
            t.ends_with("550 5.5.2 Bare CR or LF not allowed; lines must end with CRLF\r\n"),
            "{t}"
        );
        assert!(!t.contains("221"));
    }
}

#[tokio::test]
async fn size_limits_give_552() {
    let h = harness();
    let t = h
        .converse(b"EHLO c\r\nMAIL FROM:<a@b.example> SIZE=2001\r\nQUIT\r\n")
        .await;
    assert_eq!(codes(&t), vec![220, 250, 552, 221], "{t}");
    assert!(t.contains("552 5.3.4"));

    let big = "0123456789012345678901234567890123456789\r\n".repeat(60);
    let input = format!(
        "{}{big}.\r\nRSET\r\nQUIT\r\n",
        envelope_commands(&format!("user@{DOMAIN}"))
    );
    let t = h.converse(input.as_bytes()).await;
    assert_eq!(
        codes(&t),
        vec![220, 250, 250, 250, 354, 552, 250, 221],
        "{t}"
    );
    assert!(h.queued().is_empty());
}

#[tokio::test]
async fn recipient_limit_gives_452_and_keeps_the_accepted_ones() {
    let h = harness();
    let mut input = String::from("EHLO c\r\nMAIL FROM:<a@b.example>\r\n");
    for i in 0..4 {
        input.push_str(&format!("RCPT TO:<u{i}@{DOMAIN}>\r\n"));
    }
    input.push_str("DATA\r\nSubject: x\r\n\r\nx\r\n.\r\nQUIT\r\n");
    let t = h.converse(input.as_bytes()).await;
    assert_eq!(
        codes(&t),
        vec![220, 250, 250, 250, 250, 250, 452, 354, 250, 221],
        "{t}"
    );
    assert!(t.contains("452 4.5.3 Too many recipients"));
    assert_eq!(h.queued()[0].0.recipients.len(), 3);
}

#[tokio::test]
async fn over_long_lines_are_refused_without_ending_the_session() {
    let h = harness();
    let long = "X".repeat(1200);
    let input = format!("EHLO c\r\nNOOP {long}\r\nNOOP\r\nQUIT\r\n");
    let t = h.converse(input.as_bytes()).await;
    assert_eq!(codes(&t), vec![220, 250, 500, 250, 221], "{t}");
    assert!(t.contains("500 5.5.2 Line too long"));

    let input = format!(
        "{}Subject: x\r\n\r\n{long}\r\n.\r\nQUIT\r\n",
        envelope_commands(&format!("user@{DOMAIN}"))
    );
    let t = h.converse(input.as_bytes()).await;
    assert_eq!(codes(&t), vec![220, 250, 250, 250, 354, 500, 221], "{t}");
    assert!(h.queued().is_empty());
}

#[tokio::test]
async fn repeated_errors_close_the_connection() {
    let t = harness()
        .converse(b"A\r\nB\r\nC\r\nD\r\nE\r\nNOOP\r\n")
        .await;
    assert_eq!(codes(&t), vec![220, 500, 500, 500, 500, 421], "{t}");
    assert!(t.contains("421 4.7.0 Too many errors"));
}

#[tokio::test]
async fn an_idle_client_is_disconnected_with_421() {
    let h = harness_with(0, None, Duration::from_millis(200));
    let (client, server_side) = tokio::io::duplex(4096);
    let server = h.server.clone();
    let task = tokio::spawn(async move { server.serve(server_side, "idle").await });
    let (mut rd, _wr) = tokio::io::split(client);
    let mut out = String::new();
    rd.read_to_string(&mut out).await.unwrap();
    task.await.unwrap().unwrap();
    assert_eq!(codes(&out), vec![220, 421], "{out}");
    assert!(out.contains("421 4.4.2"));
}

#[tokio::test]
async fn a_full_spool_disk_refuses_new_mail_with_452() {
    let h = harness_with(u64::MAX, None, Duration::from_secs(30));
    let t = h
        .converse(b"EHLO c\r\nMAIL FROM:<a@b.example>\r\nQUIT\r\n")
        .await;
    assert_eq!(codes(&t), vec![220, 250, 452, 221], "{t}");
    assert!(t.contains("452 4.3.1 Insufficient system storage"));
}

// ---------------------------------------------------------------------------------------------
// STARTTLS

struct TestCert {
    _dir: tempfile::TempDir,
    acceptor: tokio_rustls::TlsAcceptor,
    connector: tokio_rustls::TlsConnector,
}

fn test_cert() -> TestCert {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, ck.cert.pem()).unwrap();
    std::fs::write(&key_path, ck.key_pair.serialize_pem()).unwrap();
    let acceptor = mamori_gateway::load_tls(&cert_path, &key_path).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ck.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TestCert {
        _dir: dir,
        acceptor,
        connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
    }
}

/// Reads one (possibly multi-line) reply and returns it whole.
async fn reply<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> String {
    let mut all = String::new();
    loop {
        let mut line = String::new();
        assert!(
            r.read_line(&mut line).await.unwrap() > 0,
            "closed after {all:?}"
        );
        all.push_str(&line);
        if line.as_bytes().get(3) == Some(&b' ') {
            return all;
        }
    }
}

async fn say<S: AsyncRead + AsyncWrite + Unpin>(s: &mut BufReader<S>, line: &str) -> String {
    s.get_mut().write_all(line.as_bytes()).await.unwrap();
    reply(s).await
}

/// Opens an in-memory session, says EHLO, sends `starttls` (which may carry pipelined commands
/// after STARTTLS) and completes the handshake.
async fn start_tls(
    h: &Harness,
    cert: &TestCert,
    starttls: &str,
) -> (
    BufReader<tokio_rustls::client::TlsStream<tokio::io::DuplexStream>>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let (client, server_side) = tokio::io::duplex(1 << 16);
    let server = h.server.clone();
    let task = tokio::spawn(async move { server.serve(server_side, "tls-peer").await });
    let mut c = BufReader::new(client);
    assert!(reply(&mut c).await.starts_with("220 "));
    assert!(say(&mut c, "EHLO c\r\n").await.contains("250 STARTTLS\r\n"));
    assert_eq!(
        say(&mut c, starttls).await,
        "220 2.0.0 Ready to start TLS\r\n"
    );
    assert!(c.buffer().is_empty());
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = cert.connector.connect(name, c.into_inner()).await.unwrap();
    (BufReader::new(tls), task)
}

#[tokio::test]
async fn starttls_resets_the_session_and_mail_flows_inside_tls() {
    let cert = test_cert();
    let h = harness_with(0, Some(cert.acceptor.clone()), Duration::from_secs(30));
    let (mut c, task) = start_tls(&h, &cert, "STARTTLS\r\n").await;
    assert!(
        say(&mut c, "MAIL FROM:<a@b.example>\r\n")
            .await
            .starts_with("503 5.5.1")
    );
    let ehlo = say(&mut c, "EHLO c\r\n").await;
    assert!(!ehlo.contains("STARTTLS"), "{ehlo}");
    assert!(
        say(&mut c, "STARTTLS\r\n")
            .await
            .starts_with("503 5.5.1 TLS already active")
    );
    assert!(
        say(&mut c, "MAIL FROM:<a@b.example>\r\n")
            .await
            .starts_with("250")
    );
    assert!(
        say(&mut c, &format!("RCPT TO:<u@{DOMAIN}>\r\n"))
            .await
            .starts_with("250")
    );
    assert!(say(&mut c, "DATA\r\n").await.starts_with("354"));
    assert!(
        say(&mut c, "Subject: t\r\n\r\nsecret\r\n.\r\n")
            .await
            .starts_with("250 2.0.0")
    );
    assert!(say(&mut c, "QUIT\r\n").await.starts_with("221"));
    task.await.unwrap().unwrap();
    let queued = h.queued();
    assert_eq!(queued.len(), 1);
    assert!(queued[0].0.tls);
    assert_eq!(queued[0].0.helo, "c");
}

/// The STARTTLS command-injection defence: commands pipelined behind STARTTLS in clear text are
/// discarded, not executed inside the TLS session.
#[tokio::test]
async fn commands_injected_after_starttls_are_discarded() {
    let cert = test_cert();
    let h = harness_with(0, Some(cert.acceptor.clone()), Duration::from_secs(30));
    let injected = format!(
        "STARTTLS\r\nEHLO evil\r\nMAIL FROM:<evil@internet.example>\r\nRCPT TO:<u@{DOMAIN}>\r\n"
    );
    let (mut c, task) = start_tls(&h, &cert, &injected).await;
    assert!(say(&mut c, "EHLO c\r\n").await.starts_with("250-"));
    // Had the injected MAIL been obeyed, this RCPT would be accepted.
    let r = say(&mut c, &format!("RCPT TO:<u@{DOMAIN}>\r\n")).await;
    assert_eq!(r, "503 5.5.1 Need MAIL command first\r\n");
    assert!(say(&mut c, "QUIT\r\n").await.starts_with("221"));
    task.await.unwrap().unwrap();
    assert!(h.queued().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Whole gateway over TCP

#[derive(Debug, Clone)]
struct Received {
    from: String,
    recipients: Vec<String>,
    data: Vec<u8>,
}

/// A next-hop SMTP server that records what it receives. Recipients whose local part is
/// `tempfail` get 451, `nouser` get 550.
struct Sink {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Sink {
    async fn start(addr: &str) -> Sink {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        let (rec, arr) = (received.clone(), arrived.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (rec, arr) = (rec.clone(), arr.clone());
                tokio::spawn(async move {
                    let _ = sink_session(stream, rec, arr).await;
                });
            }
        });
        Sink {
            addr,
            received,
            arrived,
            task,
        }
    }

    /// Waits until `n` messages arrived. The bound only keeps a broken build from hanging.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let notified = self.arrived.notified();
            {
                let got = self.received.lock().unwrap();
                if got.len() >= n {
                    return got.clone();
                }
            }
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(deadline) => panic!("sink got fewer than {n} messages"),
            }
        }
    }
}

async fn sink_session(
    stream: tokio::net::TcpStream,
    received: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
) -> std::io::Result<()> {
    let mut s = BufReader::new(stream);
    s.get_mut().write_all(b"220 sink ESMTP\r\n").await?;
    let mut from = String::new();
    let mut rcpts = Vec::new();
    loop {
        let mut line = String::new();
        if s.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let upper = line.to_ascii_uppercase();
        let answer: String = if upper.starts_with("EHLO") {
            "250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            from = line[10..]
                .split('>')
                .next()
                .unwrap_or("")
                .trim_start_matches('<')
                .into();
            rcpts.clear();
            "250 ok\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            let r: String = line[8..]
                .split('>')
                .next()
                .unwrap_or("")
                .trim_start_matches('<')
                .into();
            if r.starts_with("tempfail@") {
                "451 4.3.0 try later\r\n".into()
            } else if r.starts_with("nouser@") {
                "550 5.1.1 no such user\r\n".into()
            } else {
                rcpts.push(r);
                "250 ok\r\n".into()
            }
        } else if upper.starts_with("DATA") {
            s.get_mut().write_all(b"354 go\r\n").await?;
            let mut data = Vec::new();
            loop {
                let mut l = Vec::new();
                s.read_until(b'\n', &mut l).await?;
                if l == b".\r\n" || l.is_empty() {
                    break;
                }
                let l = l.strip_prefix(b".").unwrap_or(&l);
                data.extend_from_slice(l);
            }
            received.lock().unwrap().push(Received {
                from: from.clone(),
                recipients: rcpts.clone(),
                data,
            });
            arrived.notify_waiters();
            "250 2.0.0 sunk\r\n".into()
        } else if upper.starts_with("QUIT") {
            s.get_mut().write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            "250 ok\r\n".into()
        };
        s.get_mut().write_all(answer.as_bytes()).await?;
    }
}

fn config(data: &Path, next_hop: SocketAddr) -> GatewayConfig {
    let mut c = GatewayConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        next_hop.to_string(),
        vec![DOMAIN.into()],
        data.to_path_buf(),
    );
    c.hostname = "gw.test".into();
    c.min_free_bytes = 0;
    c.retry = RetryPolicy {
        first_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(400),
        lifetime: Duration::from_secs(3600),
    };
    c.next_hop_timeout = Duration::from_secs(10);
    c
}

/// An address nothing listens on (bound once, then released).
async fn dead_address() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

const PY_SEND: &str = r#"
import smtplib, sys
from email.message import EmailMessage
port, rcpt = int(sys.argv[1]), sys.argv[2]
msg = EmailMessage()
msg["From"] = "sender@internet.example"
msg["To"] = rcpt
msg["Subject"] = "請求書のご送付"
msg["Message-ID"] = "<python-1@internet.example>"
msg.set_content("いつもお世話になっております。\n.先頭にドットがある行\n")
msg.add_alternative('<html><body><p>請求書です <a href="https://evil.example/pay">支払い</a></p><script>alert(1)</script></body></html>', subtype="html")
msg.add_attachment(b"MZ\x90\x00\x03 executable payload", maintype="application", subtype="octet-stream", filename="invoice.exe")
with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
    s.ehlo("python.example")
    assert s.has_extn("pipelining") and s.has_extn("size") and s.has_extn("smtputf8")
    refused = s.send_message(msg, from_addr="sender@internet.example", to_addrs=[rcpt])
    assert not refused, refused
print("sent")
"#;

fn python_send(port: u16, rcpt: &str) {
    let out = std::process::Command::new("python3")
        .args(["-c", PY_SEND, &port.to_string(), rcpt])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "smtplib failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The decoded text of a single-part base64 message.
fn body_text(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message);
    let (_, body) = text.split_once("\r\n\r\n").expect("header/body separator");
    let b64: String = body.split_whitespace().collect();
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap()
}

/// A delivered message without the gateway's trace field, which must come first.
fn untraced(message: &[u8]) -> &[u8] {
    assert!(
        message.starts_with(b"Received: from "),
        "{}",
        String::from_utf8_lossy(message)
    );
    let end = message
        .windows(3)
        .position(|w| w[..2] == *b"\r\n" && w[2] != b' ' && w[2] != b'\t')
        .expect("the trace field ends");
    &message[end + 2..]
}

fn header_block(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message);
    text.split_once("\r\n\r\n").unwrap().0.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtplib_mail_reaches_the_next_hop_sanitized() {
    let sink = Sink::start("127.0.0.1:0").await;
    let data = tempfile::tempdir().unwrap();
    let gw = Gateway::start(config(data.path(), sink.addr))
        .await
        .unwrap();
    let port = gw.local_addr().port();
    let rcpt = format!("user@{DOMAIN}");
    tokio::task::spawn_blocking(move || python_send(port, &rcpt))
        .await
        .unwrap();

    let got = sink.wait_for(1).await;
    let m = &got[0];
    assert_eq!(m.from, "sender@internet.example");
    assert_eq!(m.recipients, vec![format!("user@{DOMAIN}")]);
    let head = header_block(&m.data);
    // The gateway's trace comes first, naming the client, the gateway, the queue id and the
    // one recipient.
    assert!(head.starts_with("Received: from "), "{head}");
    assert!(head.contains("([127.0.0.1])\r\n\tby "), "{head}");
    assert!(head.contains(" (mamori) with ESMTP id "), "{head}");
    assert!(head.contains(&format!("\tfor <user@{DOMAIN}>;")), "{head}");
    assert!(head.contains("+0900"), "{head}");
    assert_eq!(head.matches("Received:").count(), 1, "{head}");
    assert!(!header_block(untraced(&m.data)).contains("Received:"));
    assert!(
        head.contains("Content-Type: text/plain; charset=UTF-8"),
        "{head}"
    );
    assert!(head.contains("X-Mamori-Sanitized:"), "{head}");
    assert!(
        head.contains("Message-ID: <python-1@internet.example>"),
        "{head}"
    );
    let raw = String::from_utf8_lossy(&m.data);
    assert!(!raw.contains("multipart"), "{raw}");
    let body = body_text(&m.data);
    assert!(body.contains("いつもお世話になっております。"), "{body}");
    assert!(body.contains(".先頭にドットがある行"), "{body}");
    assert!(body.contains("invoice.exe"), "{body}");
    assert!(!body.contains("executable payload"), "{body}");
    assert!(!body.contains("alert(1)"), "{body}");

    // The original is in quarantine, byte for byte what smtplib sent.
    let originals = kept_originals(data.path());
    assert_eq!(originals.len(), 1);
    assert!(String::from_utf8_lossy(&originals[0]).contains("invoice.exe"));

    gw.stop().await;
    // Kept once on disk: the spool file linked into the entry, whose name alone is left once
    // the message has left the spool.
    let entry = std::fs::read_dir(data.path().join("quarantine"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    let linked = std::fs::metadata(entry.join("original.msg")).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::nlink(&linked), 1);
    assert!(!entry.join("original.eml").exists());
    let counts = mamori_gateway::status(data.path()).unwrap();
    assert_eq!(
        (counts.queued, counts.deferred, counts.delivered),
        (0, 0, 1)
    );
    let records = Spool::existing(data.path())
        .unwrap()
        .delivered_records()
        .unwrap();
    let record = &records[0];
    assert_eq!(record["verdict"], "sanitized");
    assert_eq!(record["status"], "delivered");
    let actions = record["actions"].as_str().unwrap();
    assert!(actions.contains("attachments-removed"), "{actions}");
    sink.task.abort();
}

/// The originals kept in the quarantine under `data`, as the release workflow reads them.
fn kept_originals(data: &Path) -> Vec<Vec<u8>> {
    let reader = QuarantineReader::existing(data).unwrap();
    reader
        .entries()
        .unwrap()
        .into_iter()
        .map(|entry| reader.original(&entry.unwrap()).unwrap())
        .collect()
}

/// Sends one message with the gateway's own client (any SMTP client will do).
async fn send(gw: SocketAddr, rcpts: &[&str], message: &str) {
    let hop =
        mamori_gateway::NextHop::smtp(gw.to_string(), "client.example", Duration::from_secs(30));
    let rcpts: Vec<String> = rcpts.iter().map(|r| r.to_string()).collect();
    mamori_gateway::client::deliver(
        &hop,
        "sender@internet.example",
        &rcpts,
        &[message.as_bytes()],
        false,
    )
    .await
    .unwrap();
}

async fn wait_until(data: &Path, what: &str, done: impl Fn(&mamori_gateway::Counts) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let counts = mamori_gateway::status(data).unwrap();
        if done(&counts) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never {what}: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const PLAIN: &str = "From: sender@internet.example\r\nTo: user@city.example.lg.jp\r\n\
                     Subject: plain\r\nMessage-ID: <plain@internet.example>\r\n\r\nhello\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_is_delivered_after_the_next_hop_comes_back() {
    let hop = dead_address().await;
    let data = tempfile::tempdir().unwrap();
    let gw = Gateway::start(config(data.path(), hop)).await.unwrap();
    send(gw.local_addr(), &["user@city.example.lg.jp"], PLAIN).await;
    wait_until(data.path(), "deferred", |c| c.deferred == 1).await;

    let sink = Sink::start(&hop.to_string()).await;
    let got = sink.wait_for(1).await;
    assert!(body_text(&got[0].data).contains("hello"));
    wait_until(data.path(), "delivered", |c| {
        c.delivered == 1 && c.deferred == 0
    })
    .await;
    gw.stop().await;
    sink.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spooled_mail_is_delivered_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let gw = Gateway::start(config(data.path(), dead_address().await))
        .await
        .unwrap();
    send(gw.local_addr(), &["a@city.example.lg.jp"], PLAIN).await;
    send(gw.local_addr(), &["b@city.example.lg.jp"], PLAIN).await;
    wait_until(data.path(), "deferred", |c| c.deferred == 2).await;
    gw.stop().await;

    let sink = Sink::start("127.0.0.1:0").await;
    let gw = Gateway::start(config(data.path(), sink.addr))
        .await
        .unwrap();
    let got = sink.wait_for(2).await;
    let mut rcpts: Vec<String> = got.iter().flat_map(|r| r.recipients.clone()).collect();
    rcpts.sort();
    assert_eq!(rcpts, vec!["a@city.example.lg.jp", "b@city.example.lg.jp"]);
    wait_until(data.path(), "delivered", |c| c.delivered == 2).await;
    gw.stop().await;
    sink.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_the_engine_quarantines_is_replaced_by_a_notice() {
    let sink = Sink::start("127.0.0.1:0").await;
    let data = tempfile::tempdir().unwrap();
    let gw = Gateway::start(config(data.path(), sink.addr))
        .await
        .unwrap();
    send(gw.local_addr(), &["user@city.example.lg.jp"], AMBIGUOUS).await;
    let got = sink.wait_for(1).await;
    let raw = String::from_utf8_lossy(&got[0].data).into_owned();
    assert!(!raw.contains("SMUGGLED-PAYLOAD"));
    assert!(header_block(&got[0].data).contains("X-Mamori-Sanitized: quarantined"));
    let body = body_text(&got[0].data);
    assert!(body.contains("隔離ID (quarantine id): "), "{body}");
    assert!(!body.contains("SMUGGLED-PAYLOAD"));
    let qid = body
        .lines()
        .find_map(|l| l.strip_prefix("隔離ID (quarantine id): "))
        .unwrap();
    let reader = QuarantineReader::existing(data.path()).unwrap();
    let entry = reader.get(&QuarantineId::parse(qid).unwrap()).unwrap();
    let original = reader.original(&entry).unwrap();
    assert!(String::from_utf8_lossy(&original).contains("SMUGGLED-PAYLOAD"));
    gw.stop().await;
    sink.task.abort();
}

/// Two conflicting Content-Type headers: ambiguous MIME, quarantined whole by default.
const AMBIGUOUS: &str = "From: sender@internet.example\r\nTo: user@city.example.lg.jp\r\n\
                         Subject: ambiguous\r\nMIME-Version: 1.0\r\n\
                         Content-Type: text/plain\r\nContent-Type: application/x-msdownload\r\n\r\n\
                         SMUGGLED-PAYLOAD\r\n";

/// The notice once named every envelope recipient in one `To:` sent to all of them, so each
/// learnt who else got the message, Bcc recipients included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quarantine_notice_names_only_its_own_recipient() {
    let sink = Sink::start("127.0.0.1:0").await;
    let data = tempfile::tempdir().unwrap();
    let gw = Gateway::start(config(data.path(), sink.addr))
        .await
        .unwrap();
    let rcpts = [
        "user@city.example.lg.jp",
        "kacho@city.example.lg.jp",
        "bcc-auditor@city.example.lg.jp",
    ];
    send(gw.local_addr(), &rcpts, AMBIGUOUS).await;
    let got = sink.wait_for(3).await;
    assert_eq!(got.len(), 3, "one notice per recipient: {got:?}");
    let mut seen = Vec::new();
    for notice in &got {
        let [own] = notice.recipients.as_slice() else {
            panic!("a notice for several recipients: {:?}", notice.recipients);
        };
        let head = header_block(&notice.data);
        assert!(head.contains(&format!("\r\nTo: <{own}>\r\n")), "{head}");
        assert!(head.contains("X-Mamori-Sanitized: quarantined"), "{head}");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&notice.data),
            body_text(&notice.data)
        );
        for other in rcpts.iter().filter(|r| *r != own) {
            assert!(
                !text.contains(*other),
                "{own}'s notice names {other}:\n{text}"
            );
        }
        seen.push(own.clone());
    }
    seen.sort();
    let mut expected: Vec<String> = rcpts.iter().map(|r| r.to_string()).collect();
    expected.sort();
    assert_eq!(seen, expected);
    wait_until(data.path(), "delivered", |c| {
        c.delivered == 1 && c.queued == 0
    })
    .await;
    gw.stop().await;
    sink.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sender_gets_a_dsn_for_refused_and_expired_recipients() {
    let sink = Sink::start("127.0.0.1:0").await;
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(data.path(), sink.addr);
    cfg.retry.lifetime = Duration::ZERO;
    let gw = Gateway::start(cfg).await.unwrap();

    // A permanent refusal of one recipient: the others get the message, the sender a DSN.
    send(
        gw.local_addr(),
        &["nouser@city.example.lg.jp", "user@city.example.lg.jp"],
        PLAIN,
    )
    .await;
    let got = sink.wait_for(2).await;
    let dsn = got
        .iter()
        .find(|r| r.from.is_empty())
        .expect("a DSN with the null sender");
    assert_eq!(dsn.recipients, vec!["sender@internet.example"]);
    let text = String::from_utf8_lossy(&dsn.data);
    assert!(
        text.contains("multipart/report; report-type=delivery-status"),
        "{text}"
    );
    assert!(
        text.contains("Final-Recipient: rfc822; nouser@city.example.lg.jp"),
        "{text}"
    );
    assert!(text.contains("Action: failed"));
    assert!(
        got.iter()
            .any(|r| r.recipients == vec!["user@city.example.lg.jp"])
    );

    // A temporary failure past the lifetime: given up, DSN with 4.4.7.
    send(gw.local_addr(), &["tempfail@city.example.lg.jp"], PLAIN).await;
    let got = sink.wait_for(3).await;
    let text = String::from_utf8_lossy(&got[2].data).into_owned();
    assert!(got[2].from.is_empty());
    assert!(
        text.contains("Final-Recipient: rfc822; tempfail@city.example.lg.jp"),
        "{text}"
    );
    assert!(text.contains("Status: 4.4.7"), "{text}");
    wait_until(data.path(), "failed", |c| c.failed == 1).await;
    gw.stop().await;
    sink.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_per_address_limit_get_421() {
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(data.path(), dead_address().await);
    cfg.max_connections_per_address = 1;
    let gw = Gateway::start(cfg).await.unwrap();
    let mut first = BufReader::new(
        tokio::net::TcpStream::connect(gw.local_addr())
            .await
            .unwrap(),
    );
    assert!(reply(&mut first).await.starts_with("220 gw.test"));
    let mut second = BufReader::new(
        tokio::net::TcpStream::connect(gw.local_addr())
            .await
            .unwrap(),
    );
    assert_eq!(
        reply(&mut second).await,
        "421 4.7.0 Too many connections from your address, try again later\r\n"
    );
    // Once the first one is gone, the address may connect again.
    assert!(say(&mut first, "QUIT\r\n").await.starts_with("221"));
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let mut third = BufReader::new(
            tokio::net::TcpStream::connect(gw.local_addr())
                .await
                .unwrap(),
        );
        if reply(&mut third).await.starts_with("220 ") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "slot never released"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    gw.stop().await;
}
