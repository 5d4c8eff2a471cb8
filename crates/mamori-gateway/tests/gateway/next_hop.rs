//! Delivery to the next hop: LMTP with one reply per recipient after DATA, and STARTTLS in its
//! three modes, against an in-process SMTP/LMTP server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mamori_gateway::client::{self, DeliveryError, NextHopTls};
use mamori_gateway::{Gateway, NextHop, Protocol, TlsMode};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use super::{DOMAIN, config, wait_until};

#[derive(Clone, Copy, PartialEq, Eq)]
enum TlsOffer {
    None,
    Good,
    /// Says 220 to STARTTLS, then hangs up instead of a handshake.
    Broken,
}

/// One finished transaction as the next hop saw it.
#[derive(Debug, Clone, Default)]
struct Transaction {
    tls: bool,
    from: String,
    recipients: Vec<String>,
    /// Recipients that got a 2xx after DATA.
    delivered_to: Vec<String>,
    data: Vec<u8>,
}

struct HopState {
    lmtp: bool,
    offer: TlsOffer,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    transactions: Mutex<Vec<Transaction>>,
    /// `later@` is refused with 452 after DATA this many more times.
    later_failures: Mutex<u32>,
    arrived: Notify,
    connections: std::sync::atomic::AtomicUsize,
}

/// An SMTP or LMTP next hop. After DATA (LMTP) `later@` gets 452 once and `gone@` gets 550;
/// `nouser@` gets 550 at RCPT.
struct Hop {
    addr: SocketAddr,
    state: Arc<HopState>,
    task: tokio::task::JoinHandle<()>,
}

impl Hop {
    async fn start(lmtp: bool, offer: TlsOffer, cert: Option<&Cert>) -> Hop {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(HopState {
            lmtp,
            offer,
            acceptor: cert.map(|c| c.acceptor.clone()),
            transactions: Mutex::new(Vec::new()),
            later_failures: Mutex::new(1),
            arrived: Notify::new(),
            connections: Default::default(),
        });
        let s = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = hop_connection(stream, s).await;
                });
            }
        });
        Hop { addr, state, task }
    }

    fn transactions(&self) -> Vec<Transaction> {
        self.state.transactions.lock().unwrap().clone()
    }

    async fn wait_for(&self, n: usize) -> Vec<Transaction> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let notified = self.state.arrived.notified();
            let got = self.transactions();
            if got.len() >= n {
                return got;
            }
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(deadline) => panic!("fewer than {n} transactions: {got:?}"),
            }
        }
    }
}

enum SessionEnd<S> {
    Closed,
    StartTls(S),
}

async fn hop_connection(
    stream: tokio::net::TcpStream,
    state: Arc<HopState>,
) -> std::io::Result<()> {
    state
        .connections
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let mut stream = BufReader::new(stream);
    stream.get_mut().write_all(b"220 hop ESMTP\r\n").await?;
    if let SessionEnd::StartTls(plain) = hop_session(stream, &state, false).await? {
        if state.offer == TlsOffer::Broken {
            return Ok(());
        }
        let acceptor = state.acceptor.clone().expect("a certificate");
        let tls = acceptor.accept(plain.into_inner()).await?;
        hop_session(BufReader::new(tls), &state, true).await?;
    }
    Ok(())
}

fn path_of(line: &str, prefix: usize) -> String {
    line[prefix..]
        .split('>')
        .next()
        .unwrap_or("")
        .trim_start_matches('<')
        .to_string()
}

async fn hop_session<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: BufReader<S>,
    state: &HopState,
    tls: bool,
) -> std::io::Result<SessionEnd<BufReader<S>>> {
    let mut t = Transaction {
        tls,
        ..Transaction::default()
    };
    loop {
        let mut line = String::new();
        if s.read_line(&mut line).await? == 0 {
            return Ok(SessionEnd::Closed);
        }
        let upper = line.to_ascii_uppercase();
        let hello = if state.lmtp { "LHLO" } else { "EHLO" };
        let answer: String = if upper.starts_with(hello) {
            let starttls = if state.offer != TlsOffer::None && !tls {
                "250-STARTTLS\r\n"
            } else {
                ""
            };
            format!("250-hop\r\n{starttls}250-8BITMIME\r\n250 SMTPUTF8\r\n")
        } else if upper.starts_with("STARTTLS") && state.offer != TlsOffer::None && !tls {
            s.get_mut().write_all(b"220 2.0.0 go ahead\r\n").await?;
            return Ok(SessionEnd::StartTls(s));
        } else if upper.starts_with("MAIL FROM:") {
            t = Transaction {
                tls,
                from: path_of(&line, 10),
                ..Transaction::default()
            };
            "250 ok\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            let r = path_of(&line, 8);
            if r.starts_with("nouser@") {
                "550 5.1.1 no such user\r\n".into()
            } else {
                t.recipients.push(r);
                "250 ok\r\n".into()
            }
        } else if upper.starts_with("DATA") {
            s.get_mut().write_all(b"354 go\r\n").await?;
            let mut data = Vec::new();
            loop {
                let mut l = Vec::new();
                if s.read_until(b'\n', &mut l).await? == 0 {
                    return Ok(SessionEnd::Closed);
                }
                if l == b".\r\n" {
                    break;
                }
                data.extend_from_slice(l.strip_prefix(b".").unwrap_or(&l));
            }
            t.data = data;
            let mut replies = String::new();
            if state.lmtp {
                for r in &t.recipients {
                    let reply = if r.starts_with("gone@") {
                        "550 5.1.1 mailbox gone\r\n"
                    } else if r.starts_with("later@") && {
                        let mut left = state.later_failures.lock().unwrap();
                        let fail = *left > 0;
                        *left = left.saturating_sub(1);
                        fail
                    } {
                        "452 4.2.2 mailbox full\r\n"
                    } else {
                        t.delivered_to.push(r.clone());
                        "250 2.0.0 delivered\r\n"
                    };
                    replies.push_str(reply);
                }
            } else {
                t.delivered_to = t.recipients.clone();
                replies.push_str("250 2.0.0 queued\r\n");
            }
            state.transactions.lock().unwrap().push(t.clone());
            state.arrived.notify_waiters();
            replies
        } else if upper.starts_with("RSET") {
            t.from.clear();
            t.recipients.clear();
            "250 2.0.0 ok\r\n".into()
        } else if upper.starts_with("QUIT") {
            s.get_mut().write_all(b"221 bye\r\n").await?;
            return Ok(SessionEnd::Closed);
        } else {
            "500 5.5.2 what\r\n".into()
        };
        s.get_mut().write_all(answer.as_bytes()).await?;
    }
}

/// A self-signed certificate for `localhost` and 127.0.0.1, with its PEM file as the CA file.
struct Cert {
    _dir: tempfile::TempDir,
    pem: PathBuf,
    acceptor: tokio_rustls::TlsAcceptor,
}

fn cert() -> Cert {
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&pem, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    let acceptor = mamori_gateway::load_tls(&pem, &key).unwrap();
    Cert {
        _dir: dir,
        pem,
        acceptor,
    }
}

fn hop_to(addr: SocketAddr, protocol: Protocol, tls: Option<NextHopTls>) -> NextHop {
    let mut hop = NextHop::smtp(addr.to_string(), "gw.test", Duration::from_secs(10));
    hop.protocol = protocol;
    hop.tls = tls;
    hop
}

async fn send(hop: &NextHop, rcpts: &[&str]) -> Result<client::Delivered, DeliveryError> {
    let rcpts: Vec<String> = rcpts.iter().map(|r| r.to_string()).collect();
    client::deliver(
        hop,
        "gw@city.example.lg.jp",
        &rcpts,
        &[b"Subject: t\r\n\r\nbody\r\n"],
        false,
    )
    .await
}

fn tls(mode: TlsMode, ca: Option<&Cert>, name: Option<&str>) -> Option<NextHopTls> {
    NextHopTls::new(mode, ca.map(|c| c.pem.as_path()), name.map(str::to_string)).unwrap()
}

#[tokio::test]
async fn required_tls_delivers_only_to_a_verified_next_hop() {
    let good = cert();
    let other = cert();
    let rcpt = format!("u@{DOMAIN}");

    // Verified by the CA file, by IP address (the default name) and by a configured name.
    let hop = Hop::start(false, TlsOffer::Good, Some(&good)).await;
    for name in [None, Some("localhost")] {
        let d = send(
            &hop_to(
                hop.addr,
                Protocol::Smtp,
                tls(TlsMode::Required, Some(&good), name),
            ),
            &[&rcpt],
        )
        .await
        .unwrap();
        assert!(d.tls, "{name:?}");
        assert_eq!(d.accepted, vec![rcpt.clone()]);
    }
    assert!(hop.transactions().iter().all(|t| t.tls));
    assert_eq!(hop.transactions().len(), 2);

    // An unknown CA or a wrong name: nothing is sent, the message waits.
    for (ca, name) in [(&other, None), (&good, Some("mail.elsewhere.example"))] {
        let r = send(
            &hop_to(
                hop.addr,
                Protocol::Smtp,
                tls(TlsMode::Required, Some(ca), name),
            ),
            &[&rcpt],
        )
        .await;
        assert!(
            matches!(&r, Err(DeliveryError::Temporary(why)) if why.contains("TLS handshake")),
            "{r:?}"
        );
    }
    assert_eq!(hop.transactions().len(), 2);

    // A next hop that does not offer STARTTLS never gets the message in clear.
    let plain = Hop::start(false, TlsOffer::None, None).await;
    let r = send(
        &hop_to(
            plain.addr,
            Protocol::Smtp,
            tls(TlsMode::Required, Some(&good), None),
        ),
        &[&rcpt],
    )
    .await;
    assert!(
        matches!(&r, Err(DeliveryError::Temporary(why)) if why.contains("STARTTLS")),
        "{r:?}"
    );
    // Nor one whose handshake fails.
    let broken = Hop::start(false, TlsOffer::Broken, None).await;
    let r = send(
        &hop_to(
            broken.addr,
            Protocol::Smtp,
            tls(TlsMode::Required, Some(&good), None),
        ),
        &[&rcpt],
    )
    .await;
    assert!(matches!(r, Err(DeliveryError::Temporary(_))), "{r:?}");
    assert!(plain.transactions().is_empty() && broken.transactions().is_empty());

    // `required` without a CA file is refused when the gateway starts.
    assert!(NextHopTls::new(TlsMode::Required, None, None).is_err());
    for task in [hop.task, plain.task, broken.task] {
        task.abort();
    }
}

#[tokio::test]
async fn opportunistic_tls_encrypts_when_it_can_and_falls_back_to_clear() {
    let untrusted = cert();
    let rcpt = format!("u@{DOMAIN}");
    let mode = || tls(TlsMode::Opportunistic, None, None);

    // A certificate nobody vouches for still gives an encrypted session.
    let hop = Hop::start(false, TlsOffer::Good, Some(&untrusted)).await;
    let d = send(&hop_to(hop.addr, Protocol::Smtp, mode()), &[&rcpt])
        .await
        .unwrap();
    assert!(d.tls);
    assert!(hop.transactions()[0].tls);

    // No STARTTLS offered, or a failed handshake: delivered in clear.
    let plain = Hop::start(false, TlsOffer::None, None).await;
    let d = send(&hop_to(plain.addr, Protocol::Smtp, mode()), &[&rcpt])
        .await
        .unwrap();
    assert!(!d.tls && !plain.transactions()[0].tls);
    let broken = Hop::start(false, TlsOffer::Broken, None).await;
    let d = send(&hop_to(broken.addr, Protocol::Smtp, mode()), &[&rcpt])
        .await
        .unwrap();
    assert!(!d.tls);
    assert_eq!(broken.transactions().len(), 1);

    // TLS mode `none` does not use STARTTLS even when offered.
    let d = send(&hop_to(hop.addr, Protocol::Smtp, None), &[&rcpt])
        .await
        .unwrap();
    assert!(!d.tls);
    assert!(!hop.transactions()[1].tls);
    for task in [hop.task, plain.task, broken.task] {
        task.abort();
    }
}

#[tokio::test]
async fn lmtp_gives_each_recipient_its_own_outcome() {
    let hop = Hop::start(true, TlsOffer::None, None).await;
    let rcpts = [
        format!("ok@{DOMAIN}"),
        format!("later@{DOMAIN}"),
        format!("gone@{DOMAIN}"),
        format!("nouser@{DOMAIN}"),
    ];
    let rcpts: Vec<&str> = rcpts.iter().map(String::as_str).collect();
    let d = send(&hop_to(hop.addr, Protocol::Lmtp, None), &rcpts)
        .await
        .unwrap();
    assert_eq!(d.accepted, vec![format!("ok@{DOMAIN}")]);
    let deferred: Vec<&str> = d.deferred.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(deferred, vec![format!("later@{DOMAIN}")]);
    assert!(d.deferred[0].1.starts_with("452 4.2.2"));
    let rejected: Vec<&str> = d.rejected.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        rejected,
        vec![format!("nouser@{DOMAIN}"), format!("gone@{DOMAIN}")],
        "refused at RCPT, then after DATA"
    );

    // Spoken as SMTP, an LMTP server refuses EHLO: nothing is delivered.
    let r = send(&hop_to(hop.addr, Protocol::Smtp, None), &rcpts).await;
    assert!(matches!(r, Err(DeliveryError::Permanent { .. })), "{r:?}");
    assert_eq!(hop.transactions().len(), 1);
    hop.task.abort();
}

/// Messages written for one recipient each go over one connection, a transaction each; a
/// refusal in one leaves the others to their own outcome.
#[tokio::test]
async fn several_messages_share_one_connection_with_a_transaction_each() {
    let hop = Hop::start(true, TlsOffer::None, None).await;
    let rcpts = [
        vec![format!("nouser@{DOMAIN}")],
        vec![format!("ok@{DOMAIN}")],
        vec![format!("later@{DOMAIN}")],
        vec![format!("other@{DOMAIN}")],
    ];
    let bodies: Vec<String> = rcpts
        .iter()
        .map(|r| format!("Subject: t\r\nTo: <{}>\r\n\r\nbody\r\n", r[0]))
        .collect();
    let pieces: Vec<[&[u8]; 1]> = bodies.iter().map(|b| [b.as_bytes()]).collect();
    let messages: Vec<client::Addressed<'_>> = rcpts
        .iter()
        .zip(&pieces)
        .map(|(r, message)| client::Addressed {
            recipients: r,
            message,
        })
        .collect();
    let hop_config = hop_to(hop.addr, Protocol::Lmtp, None);
    let results = client::deliver_each(&hop_config, "", &messages, false).await;
    assert!(
        matches!(&results[0], Err(DeliveryError::Permanent { rejected, .. }) if rejected.len() == 1),
        "{:?}",
        results[0]
    );
    assert_eq!(results[1].as_ref().unwrap().accepted, rcpts[1]);
    assert!(
        matches!(&results[2], Err(DeliveryError::Temporary(why)) if why.contains("452 4.2.2")),
        "{:?}",
        results[2]
    );
    assert_eq!(results[3].as_ref().unwrap().accepted, rcpts[3]);
    let delivered: Vec<Vec<String>> = hop
        .transactions()
        .into_iter()
        .map(|t| t.delivered_to)
        .collect();
    assert_eq!(delivered, vec![rcpts[1].clone(), vec![], rcpts[3].clone()]);
    assert!(hop.transactions()[2].data.windows(5).any(|w| w == b"other"));
    assert_eq!(
        hop.state
            .connections
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );

    let combined = client::Delivered::combine(rcpts.iter().cloned().zip(results)).unwrap();
    assert_eq!(
        combined.accepted,
        vec![rcpts[1][0].clone(), rcpts[3][0].clone()]
    );
    assert_eq!(combined.deferred.len(), 1);
    assert_eq!(combined.rejected.len(), 1);
    hop.task.abort();
}

/// The whole gateway over LMTP inside required TLS: the recipient refused temporarily after DATA
/// gets the message on a later attempt, and only that recipient; the one refused permanently is
/// reported to the sender in a DSN; the accepted one gets it exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_retries_only_deferred_lmtp_recipients() {
    let c = cert();
    let hop = Hop::start(true, TlsOffer::Good, Some(&c)).await;
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(data.path(), hop.addr);
    cfg.next_hop = format!("lmtp:{}", hop.addr);
    cfg.next_hop_tls = TlsMode::Required;
    cfg.next_hop_ca_file = Some(c.pem.clone());
    let gw = Gateway::start(cfg).await.unwrap();
    let (ok, later, gone) = (
        format!("ok@{DOMAIN}"),
        format!("later@{DOMAIN}"),
        format!("gone@{DOMAIN}"),
    );
    super::send(
        gw.local_addr(),
        &[&ok, &later, &gone],
        "From: sender@internet.example\r\nSubject: three\r\n\r\nhello\r\n",
    )
    .await;

    // First attempt, then the DSN and the retry (in either order).
    let got = hop.wait_for(3).await;
    assert!(got.iter().all(|t| t.tls), "{got:?}");
    assert_eq!(
        got[0].recipients,
        vec![ok.clone(), later.clone(), gone.clone()]
    );
    assert_eq!(got[0].delivered_to, vec![ok.clone()]);
    let retry: Vec<&Transaction> = got[1..].iter().filter(|t| !t.from.is_empty()).collect();
    assert_eq!(retry.len(), 1, "{got:?}");
    assert_eq!(retry[0].recipients, vec![later.clone()]);
    assert_eq!(retry[0].delivered_to, vec![later.clone()]);
    let dsn = got[1..]
        .iter()
        .find(|t| t.from.is_empty())
        .expect("a DSN with the null sender");
    assert_eq!(dsn.recipients, vec!["sender@internet.example".to_string()]);
    let text = String::from_utf8_lossy(&dsn.data);
    assert!(
        text.contains(&format!("Final-Recipient: rfc822; {gone}")),
        "{text}"
    );
    assert!(
        !text.contains(&format!("Final-Recipient: rfc822; {later}")),
        "{text}"
    );
    assert!(
        !text.contains(&format!("Final-Recipient: rfc822; {ok}")),
        "{text}"
    );

    wait_until(data.path(), "delivered", |c| {
        c.delivered == 2 && c.deferred == 0 && c.queued == 0
    })
    .await;
    let delivered_to: Vec<String> = hop
        .transactions()
        .iter()
        .flat_map(|t| t.delivered_to.clone())
        .collect();
    assert_eq!(delivered_to.iter().filter(|r| **r == ok).count(), 1);
    assert_eq!(delivered_to.iter().filter(|r| **r == later).count(), 1);
    gw.stop().await;
    hop.task.abort();
}

#[tokio::test]
async fn an_address_with_a_line_break_is_refused_before_it_reaches_the_next_hop() {
    let hop = Hop::start(false, TlsOffer::None, None).await;
    let config = hop_to(hop.addr, Protocol::Smtp, None);
    let good = format!("u@{DOMAIN}");
    let smuggled = format!("x@{DOMAIN}>\r\nRCPT TO:<victim@{DOMAIN}");
    let delivered = send(&config, &[&good, &smuggled]).await.unwrap();
    assert_eq!(delivered.accepted, vec![good.clone()]);
    assert_eq!(delivered.rejected.len(), 1);
    assert_eq!(delivered.rejected[0].0, smuggled);
    let seen = hop.transactions();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].recipients, vec![good]);

    let rcpts = vec![format!("u@{DOMAIN}")];
    let refused = client::deliver(&config, "a@b.example\r\nRSET", &rcpts, &[b"x\r\n"], false)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, DeliveryError::Permanent { .. }),
        "{refused}"
    );
    assert_eq!(hop.transactions().len(), 1);
    hop.task.abort();
}
