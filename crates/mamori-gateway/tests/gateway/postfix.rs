//! Postfix content-filter mode against a real Postfix: a private instance (its own configuration,
//! queue and data folders under a temporary directory, loopback only, free high ports) passes
//! mail to the gateway as its `content_filter` and takes it back on its reinjection listener.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{DOMAIN, Sink, body_text, config, header_block, python_send};
use mamori_gateway::Gateway;

/// The Postfix programs, or why this test cannot run here. Missing Postfix fails the test when
/// `MAMORI_REQUIRE_REAL_TESTS=1` (as in CI) and skips it, saying so, otherwise.
fn postfix_available(test: &str) -> bool {
    let why = if !Path::new(POSTFIX).is_file() {
        Some(format!(
            "{POSTFIX} not installed (Debian package `postfix`)"
        ))
    } else if !running_as_root() {
        Some("the Postfix master daemon must be started as root".to_string())
    } else {
        None
    };
    let Some(why) = why else { return true };
    if std::env::var("MAMORI_REQUIRE_REAL_TESTS").as_deref() == Ok("1") {
        panic!("{test}: {why}, and MAMORI_REQUIRE_REAL_TESTS=1 requires the real Postfix test");
    }
    eprintln!("skipped: {test}: {why}");
    false
}

const POSTFIX: &str = "/usr/sbin/postfix";

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.trim_ascii() == b"0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
}

/// A private Postfix instance, stopped when dropped.
struct Postfix {
    dir: tempfile::TempDir,
    /// The Internet-facing SMTP port (port 25 in production).
    smtp: u16,
}

impl Postfix {
    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("conf")
    }

    fn maillog(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("maillog")).unwrap_or_default()
    }

    /// Starts Postfix as the front MTA: mail for [`DOMAIN`] is queued, handed to the gateway on
    /// `filter` and taken back on `reinject`; what comes back goes to `sink`.
    fn start(filter: SocketAddr, reinject: u16, sink: SocketAddr) -> Postfix {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // Postfix daemons run as the `postfix` user and must reach the queue below this folder.
        set_mode(root, 0o755);
        for sub in ["conf", "queue", "data"] {
            std::fs::create_dir(root.join(sub)).unwrap();
        }
        let chown = Command::new("chown")
            .arg("postfix")
            .arg(root.join("data"))
            .status()
            .unwrap();
        assert!(chown.success(), "chown postfix of the data folder failed");
        let smtp = free_port();
        let root_s = root.display();
        let main_cf = format!(
            "compatibility_level = 3.6\n\
             queue_directory = {root_s}/queue\n\
             data_directory = {root_s}/data\n\
             mail_owner = postfix\n\
             setgid_group = postdrop\n\
             maillog_file = {root_s}/maillog\n\
             maillog_file_prefixes = {root_s}\n\
             myhostname = mx.test\n\
             mydomain = test\n\
             myorigin = $myhostname\n\
             mydestination =\n\
             inet_interfaces = 127.0.0.1\n\
             inet_protocols = ipv4\n\
             smtp_dns_support_level = disabled\n\
             mynetworks = 127.0.0.0/8\n\
             relay_domains = {DOMAIN}\n\
             smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n\
             transport_maps = inline:{{ {DOMAIN}=smtp:[127.0.0.1]:{sink_port} }}\n\
             alias_maps =\n\
             alias_database =\n\
             relayhost = [127.0.0.1]:{sink_port}\n\
             # The lines a site adds for the gateway (see README).\n\
             content_filter = mamori:[{filter_ip}]:{filter_port}\n\
             receive_override_options = no_address_mappings\n",
            sink_port = sink.port(),
            filter_ip = filter.ip(),
            filter_port = filter.port(),
        );
        let master_cf = format!(
            "127.0.0.1:{smtp} inet n - n - - smtpd\n\
             mamori    unix  -       -       n       -       10      smtp\n  \
               -o smtp_send_xforward_command=yes\n  \
               -o disable_mime_output_conversion=yes\n\
             127.0.0.1:{reinject} inet n - n - 10 smtpd\n  \
               -o syslog_name=postfix/reinject\n  \
               -o content_filter=\n  \
               -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters\n  \
               -o smtpd_helo_restrictions=\n  \
               -o smtpd_client_restrictions=\n  \
               -o smtpd_sender_restrictions=\n  \
               -o smtpd_relay_restrictions=\n  \
               -o smtpd_recipient_restrictions=permit_mynetworks,reject\n  \
               -o mynetworks=127.0.0.0/8\n  \
               -o smtpd_authorized_xforward_hosts=127.0.0.0/8\n\
             {STANDARD_SERVICES}"
        );
        std::fs::write(root.join("conf/main.cf"), main_cf).unwrap();
        std::fs::write(root.join("conf/master.cf"), master_cf).unwrap();
        let postfix = Postfix { dir, smtp };
        let out = Command::new(POSTFIX)
            .arg("-c")
            .arg(postfix.config_dir())
            .arg("start")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "postfix start failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            postfix.maillog()
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", smtp)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "Postfix never listened on {smtp}:\n{}",
                postfix.maillog()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        postfix
    }

    /// Waits until Postfix's log holds a line with every one of `words`, and returns that line.
    async fn log_line(&self, words: &[&str]) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let log = self.maillog();
            if let Some(line) = log.lines().find(|l| words.iter().all(|w| l.contains(w))) {
                return line.to_string();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no Postfix log line with {words:?}:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = Command::new(POSTFIX)
            .arg("-c")
            .arg(self.config_dir())
            .arg("stop")
            .output();
        if std::thread::panicking() {
            eprintln!("Postfix log:\n{}", self.maillog());
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Postfix's own services, unchrooted (the private instance has no chroot jail).
const STANDARD_SERVICES: &str = "\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
";

/// Mail into Postfix's SMTP port passes Postfix's queue, the gateway (as content filter) and
/// Postfix's queue again, and reaches the final next hop sanitized; a recipient outside the
/// accepted domains is refused by the gateway even though Postfix let it in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_through_postfix_as_content_filter_arrives_sanitized() {
    if !postfix_available("mail_through_postfix_as_content_filter_arrives_sanitized") {
        return;
    }
    let sink = Sink::start("127.0.0.1:0").await;
    let reinject = free_port();
    let data = tempfile::tempdir().unwrap();
    let next_hop: SocketAddr = ([127, 0, 0, 1], reinject).into();
    let mut cfg = config(data.path(), next_hop);
    cfg.xforward_hosts = vec!["127.0.0.0/8".parse().unwrap()];
    let gw = Gateway::start(cfg).await.unwrap();
    let postfix = Postfix::start(gw.local_addr(), reinject, sink.addr);

    let port = postfix.smtp;
    let rcpt = format!("user@{DOMAIN}");
    tokio::task::spawn_blocking(move || python_send(port, &rcpt))
        .await
        .unwrap();
    let got = sink.wait_for(1).await;
    let m = &got[0];
    assert_eq!(m.from, "sender@internet.example");
    assert_eq!(m.recipients, vec![format!("user@{DOMAIN}")]);
    let head = header_block(&m.data);
    assert!(
        head.contains("Content-Type: text/plain; charset=UTF-8"),
        "{head}"
    );
    assert!(head.contains("X-Mamori-Sanitized:"), "{head}");
    // Taken back by Postfix's reinjection listener, from the gateway, and queued again.
    assert!(
        head.lines()
            .any(|l| l.starts_with("Received: from gw.test (") && l.contains("[127.0.0.1])")),
        "{head}"
    );
    assert!(
        head.contains("by mx.test (Postfix) with ESMTP id"),
        "{head}"
    );
    let raw = String::from_utf8_lossy(&m.data);
    assert!(!raw.contains("multipart"), "{raw}");
    let body = body_text(&m.data);
    assert!(body.contains("いつもお世話になっております。"), "{body}");
    assert!(body.contains("invoice.exe"), "{body}");
    assert!(!body.contains("executable payload"), "{body}");
    assert!(!body.contains("alert(1)"), "{body}");

    // The gateway got it from Postfix's queue: the original carries the front smtpd's trace.
    let originals = super::kept_originals(data.path());
    assert_eq!(originals.len(), 1);
    let original = String::from_utf8_lossy(&originals[0]).into_owned();
    assert!(original.contains("(Postfix) with ESMTP"), "{original}");
    // Postfix reported the original client with XFORWARD; the spool record keeps it.
    super::wait_until(data.path(), "delivered", |c| c.delivered >= 1).await;
    let record = mamori_gateway::Spool::existing(data.path())
        .unwrap()
        .delivered_records()
        .unwrap()
        .into_iter()
        .find(|r| r["envelope"]["recipients"][0] == format!("user@{DOMAIN}"))
        .expect("the delivery record");
    let client = &record["envelope"]["client"];
    assert_eq!(client["addr"], "127.0.0.1", "{record}");
    assert_eq!(client["helo"], "python.example", "{record}");
    assert_eq!(client["proto"], "ESMTP", "{record}");
    let filtered = postfix
        .log_line(&[
            &format!("to=<user@{DOMAIN}>"),
            "relay=127.0.0.1[127.0.0.1]",
            "status=sent",
            "queued as",
        ])
        .await;
    assert!(
        filtered.contains(&format!(":{}", gw.local_addr().port())),
        "{filtered}"
    );

    // Postfix relays for its own networks; the gateway still accepts only its domains.
    let outside = "victim@elsewhere.example";
    let hop = mamori_gateway::NextHop::smtp(
        format!("127.0.0.1:{}", postfix.smtp),
        "client.example",
        Duration::from_secs(30),
    );
    let delivered = mamori_gateway::client::deliver(
        &hop,
        "sender@internet.example",
        &[outside.to_string(), format!("second@{DOMAIN}")],
        &[b"Subject: two recipients\r\n\r\nhello\r\n"],
        false,
    )
    .await
    .unwrap();
    assert_eq!(delivered.accepted.len(), 2, "Postfix took both recipients");
    let refused = postfix
        .log_line(&[&format!("to=<{outside}>"), "status=bounced"])
        .await;
    assert!(refused.contains("5.7.1 Relaying denied"), "{refused}");
    // Postfix's own bounce to the sender may arrive at the sink too; wait for the second message.
    let mut n = 2;
    let got = loop {
        let got = sink.wait_for(n).await;
        if got
            .iter()
            .any(|r| r.recipients == vec![format!("second@{DOMAIN}")])
        {
            break got;
        }
        n = got.len() + 1;
    };
    assert!(
        got.iter()
            .all(|r| !r.recipients.iter().any(|x| x == outside)),
        "{got:?}"
    );
    gw.stop().await;
    drop(postfix);
    sink.task.abort();
}

/// Messages delivered one after another share one connection to Postfix, reset with RSET
/// between them; when Postfix's end of the cached connection goes away, the next message goes
/// over a new connection and nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_share_a_connection_and_a_dropped_one_is_replaced() {
    if !postfix_available("deliveries_share_a_connection_and_a_dropped_one_is_replaced") {
        return;
    }
    let sink = Sink::start("127.0.0.1:0").await;
    let reinject = free_port();
    let data = tempfile::tempdir().unwrap();
    let next_hop: SocketAddr = ([127, 0, 0, 1], reinject).into();
    let gw = Gateway::start(config(data.path(), next_hop)).await.unwrap();
    let postfix = Postfix::start(gw.local_addr(), reinject, sink.addr);
    let hop = mamori_gateway::NextHop::smtp(
        format!("127.0.0.1:{}", postfix.smtp),
        "client.example",
        Duration::from_secs(30),
    );
    let send = |n: usize| {
        let hop = hop.clone();
        async move {
            mamori_gateway::client::deliver(
                &hop,
                "sender@internet.example",
                &[format!("user{n}@{DOMAIN}")],
                &[format!("Subject: message {n}\r\n\r\nhello {n}\r\n").as_bytes()],
                false,
            )
            .await
        }
    };
    // The front smtpd's connections that got past the greeting, by the pid of the smtpd that
    // served each (the reinjection listener logs as postfix/reinject; the probe of
    // `Postfix::start` is lost after CONNECT).
    let connections = |log: &str| -> Vec<String> {
        let front: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(" postfix/smtpd["))
            .collect();
        let probes = front
            .iter()
            .filter(|l| l.contains("lost connection after CONNECT"))
            .count();
        let mut pids: Vec<String> = front
            .iter()
            .filter(|l| l.contains(" connect from "))
            .map(|l| {
                let pid = l.split("postfix/smtpd[").nth(1).unwrap_or("");
                pid.split(']').next().unwrap_or("").to_string()
            })
            .collect();
        pids.drain(..probes.min(pids.len()));
        pids
    };
    for n in 0..3 {
        let delivered = send(n).await.unwrap();
        assert_eq!(delivered.accepted.len(), 1, "{delivered:?}");
    }
    let first = connections(&postfix.maillog());
    assert_eq!(first.len(), 1, "{}", postfix.maillog());
    // Postfix's process at the other end of the cached connection ends.
    let pid = &first[0];
    let killed = Command::new("kill").arg(pid).status().unwrap();
    assert!(killed.success());
    let gone = std::time::Instant::now() + Duration::from_secs(60);
    while Path::new(&format!("/proc/{pid}")).exists() {
        assert!(std::time::Instant::now() < gone, "smtpd {pid} did not end");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let delivered = send(3).await.unwrap();
    assert_eq!(delivered.accepted.len(), 1, "{delivered:?}");
    assert_eq!(
        connections(&postfix.maillog()).len(),
        2,
        "{}",
        postfix.maillog()
    );

    // Every message reached the final next hop, through the gateway.
    let got = sink.wait_for(4).await;
    let mut recipients: Vec<String> = got.iter().flat_map(|m| m.recipients.clone()).collect();
    recipients.sort();
    let expected: Vec<String> = (0..4).map(|n| format!("user{n}@{DOMAIN}")).collect();
    assert_eq!(recipients, expected);
    gw.stop().await;
    drop(postfix);
    sink.task.abort();
}
