//! `--verify-recipients` against a small next hop that refuses one address: the refused
//! recipient is refused at RCPT (no DSN later, no backscatter), an unknown answer is 450, both
//! results are cached, and without the flag nothing is asked.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use mamori_gateway::Gateway;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::{DOMAIN, config, dead_address, reply, say, wait_until};

/// A next hop whose directory knows everyone but `nobody@` (550 5.1.1) and `busy@` (450). It
/// counts the probes (RCPT after `MAIL FROM:<>`) for each address and keeps what is delivered.
struct Directory {
    addr: SocketAddr,
    probes: Arc<Mutex<HashMap<String, usize>>>,
    delivered: Arc<Mutex<Vec<Vec<String>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Directory {
    async fn start() -> Directory {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let probes = Arc::new(Mutex::new(HashMap::new()));
        let delivered = Arc::new(Mutex::new(Vec::new()));
        let (p, d) = (probes.clone(), delivered.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (p, d) = (p.clone(), d.clone());
                tokio::spawn(async move {
                    let _ = directory_session(stream, p, d).await;
                });
            }
        });
        Directory {
            addr,
            probes,
            delivered,
            task,
        }
    }

    fn probes(&self, rcpt: &str) -> usize {
        self.probes.lock().unwrap().get(rcpt).copied().unwrap_or(0)
    }
}

async fn directory_session(
    stream: tokio::net::TcpStream,
    probes: Arc<Mutex<HashMap<String, usize>>>,
    delivered: Arc<Mutex<Vec<Vec<String>>>>,
) -> std::io::Result<()> {
    let mut s = BufReader::new(stream);
    s.get_mut().write_all(b"220 directory ESMTP\r\n").await?;
    let mut null_sender = false;
    let mut rcpts = Vec::new();
    loop {
        let mut line = String::new();
        if s.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let upper = line.to_ascii_uppercase();
        let path = |prefix: usize| {
            line[prefix..]
                .split('>')
                .next()
                .unwrap_or("")
                .trim_start_matches('<')
                .to_string()
        };
        let answer: &[u8] = if upper.starts_with("EHLO") {
            b"250-directory\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            null_sender = path(10).is_empty();
            rcpts.clear();
            b"250 2.1.0 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = path(8);
            if null_sender {
                *probes.lock().unwrap().entry(rcpt.clone()).or_default() += 1;
            }
            if rcpt.starts_with("nobody@") {
                b"550 5.1.1 <nobody@city.example.lg.jp>: user unknown in mx-internal.lgwan\r\n"
            } else if rcpt.starts_with("busy@") {
                b"450 4.2.1 directory busy\r\n"
            } else {
                rcpts.push(rcpt);
                b"250 2.1.5 ok\r\n"
            }
        } else if upper.starts_with("DATA") {
            s.get_mut().write_all(b"354 go\r\n").await?;
            loop {
                let mut l = Vec::new();
                if s.read_until(b'\n', &mut l).await? == 0 {
                    return Ok(());
                }
                if l == b".\r\n" {
                    break;
                }
            }
            delivered.lock().unwrap().push(std::mem::take(&mut rcpts));
            b"250 2.0.0 delivered\r\n"
        } else if upper.starts_with("RSET") {
            rcpts.clear();
            b"250 2.0.0 ok\r\n"
        } else if upper.starts_with("QUIT") {
            s.get_mut().write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"500 5.5.2 what\r\n"
        };
        s.get_mut().write_all(answer).await?;
    }
}

async fn connect(gw: &Gateway) -> BufReader<tokio::net::TcpStream> {
    let stream = tokio::net::TcpStream::connect(gw.local_addr())
        .await
        .unwrap();
    let mut c = BufReader::new(stream);
    assert!(reply(&mut c).await.starts_with("220 "));
    assert!(
        say(&mut c, "EHLO client.example\r\n")
            .await
            .starts_with("250")
    );
    assert!(
        say(&mut c, "MAIL FROM:<sender@internet.example>\r\n")
            .await
            .starts_with("250")
    );
    c
}

async fn rcpt(c: &mut BufReader<tokio::net::TcpStream>, to: &str) -> String {
    say(c, &format!("RCPT TO:<{to}>\r\n")).await
}

/// Mail for a recipient the next hop refuses was taken with 250 and then bounced to a sender
/// address that spam forges: backscatter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_the_next_hop_refuses_is_refused_at_rcpt() {
    let hop = Directory::start().await;
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(data.path(), hop.addr);
    cfg.verify_recipients = true;
    let gw = Gateway::start(cfg).await.unwrap();
    let (user, nobody, busy) = (
        format!("user@{DOMAIN}"),
        format!("nobody@{DOMAIN}"),
        format!("busy@{DOMAIN}"),
    );

    let mut c = connect(&gw).await;
    assert_eq!(
        rcpt(&mut c, &nobody).await,
        "550 5.1.1 Recipient address rejected: undeliverable address\r\n",
        "the next hop's reply, with its internal host name, stays in the log"
    );
    assert_eq!(
        rcpt(&mut c, &busy).await,
        "450 4.1.1 Recipient address not verified yet, try again later\r\n"
    );
    assert!(rcpt(&mut c, &user).await.starts_with("250 2.1.5"));
    // Not the next hop's to judge: another domain is still refused as relaying, unasked.
    assert!(
        rcpt(&mut c, "x@elsewhere.example")
            .await
            .starts_with("550 5.7.1")
    );
    assert!(say(&mut c, "DATA\r\n").await.starts_with("354"));
    let r = say(&mut c, "Subject: hi\r\n\r\nhello\r\n.\r\n").await;
    assert!(r.starts_with("250 2.0.0"), "{r}");

    // Known now: asked again in a new transaction, the answer comes from the cache, except for
    // the unknown one, which is asked again.
    assert!(
        say(&mut c, "MAIL FROM:<sender@internet.example>\r\n")
            .await
            .starts_with("250")
    );
    assert!(rcpt(&mut c, &nobody).await.starts_with("550 5.1.1"));
    assert!(rcpt(&mut c, &user).await.starts_with("250"));
    assert!(rcpt(&mut c, &busy).await.starts_with("450 4.1.1"));
    assert!(say(&mut c, "QUIT\r\n").await.starts_with("221"));
    assert_eq!(
        (hop.probes(&nobody), hop.probes(&user), hop.probes(&busy)),
        (1, 1, 2)
    );
    assert!(hop.probes("x@elsewhere.example") == 0);

    wait_until(data.path(), "delivered", |c| c.delivered == 1).await;
    gw.stop().await;
    // Only the recipient the next hop takes got the message, and no DSN was sent.
    assert_eq!(*hop.delivered.lock().unwrap(), vec![vec![user.clone()]]);
    hop.task.abort();
}

/// While the next hop cannot be reached nothing is known: 450, as Postfix answers for an
/// unknown verification result, so the mail waits at the client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_next_hop_defers_recipients_it_cannot_verify() {
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(data.path(), dead_address().await);
    cfg.verify_recipients = true;
    let gw = Gateway::start(cfg).await.unwrap();
    let mut c = connect(&gw).await;
    assert!(
        rcpt(&mut c, &format!("user@{DOMAIN}"))
            .await
            .starts_with("450 4.1.1")
    );
    // The bare postmaster is always taken.
    assert!(rcpt(&mut c, "postmaster").await.starts_with("250"));
    assert!(say(&mut c, "QUIT\r\n").await.starts_with("221"));
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_flag_recipients_are_not_verified() {
    let hop = Directory::start().await;
    let data = tempfile::tempdir().unwrap();
    let gw = Gateway::start(config(data.path(), hop.addr)).await.unwrap();
    let mut c = connect(&gw).await;
    assert!(
        rcpt(&mut c, &format!("nobody@{DOMAIN}"))
            .await
            .starts_with("250")
    );
    assert!(say(&mut c, "QUIT\r\n").await.starts_with("221"));
    gw.stop().await;
    assert!(hop.probes.lock().unwrap().is_empty());
    hop.task.abort();
}
