//! The accepted domains hold against addresses that route onwards from the local part: a quoted
//! local part holding `@`, the percent hack, bang paths and source routes are refused at RCPT in
//! both directions, for relay-network clients too, and nothing reaches the next hop.

use mamori_gateway::Gateway;
use mamori_gateway::quarantine::Direction;
use tokio::io::BufReader;

use super::{DOMAIN, Sink, config, reply, say};

const ROUTED: &[&str] = &[
    "\"x@evil.example\"@city.example.lg.jp",
    "\"x\\@evil.example\"@city.example.lg.jp",
    "\"x%evil.example\"@city.example.lg.jp",
    "\"evil.example!x\"@city.example.lg.jp",
    "x%evil.example@city.example.lg.jp",
    "evil.example!x@city.example.lg.jp",
    "@a.example,@b.example:x@city.example.lg.jp",
    "@evil.example:x@city.example.lg.jp",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_in_the_local_part_does_not_bypass_the_accepted_domains() {
    let sink = Sink::start("127.0.0.1:0").await;
    for direction in [Direction::Inbound, Direction::Outbound] {
        for relay_network in [false, true] {
            let case = format!("{} relay_network={relay_network}", direction.as_str());
            let data = tempfile::tempdir().unwrap();
            let mut cfg = config(data.path(), sink.addr);
            cfg.direction = direction;
            if relay_network {
                cfg.relay_networks = vec!["127.0.0.0/8".parse().unwrap()];
            }
            // Enough room for every refusal before the error limit closes the connection.
            cfg.max_errors = 100;
            let gw = Gateway::start(cfg).await.unwrap();
            let stream = tokio::net::TcpStream::connect(gw.local_addr())
                .await
                .unwrap();
            let mut c = BufReader::new(stream);
            assert!(reply(&mut c).await.starts_with("220 "), "{case}");
            assert!(
                say(&mut c, "EHLO client.example\r\n")
                    .await
                    .starts_with("250")
            );
            let mail = say(&mut c, &format!("MAIL FROM:<staff@{DOMAIN}>\r\n")).await;
            assert!(mail.starts_with("250"), "{case}: {mail}");
            for rcpt in ROUTED {
                let r = say(&mut c, &format!("RCPT TO:<{rcpt}>\r\n")).await;
                assert!(r.starts_with("550 5.1.3 "), "{case}: {rcpt}: {r}");
            }
            let r = say(&mut c, "DATA\r\n").await;
            assert!(r.starts_with("503 "), "{case}: nothing was accepted: {r}");
            assert!(say(&mut c, "QUIT\r\n").await.starts_with("221"), "{case}");
            gw.stop().await;
            let counts = mamori_gateway::status(data.path()).unwrap();
            assert_eq!(
                (
                    counts.queued,
                    counts.deferred,
                    counts.delivered,
                    counts.failed
                ),
                (0, 0, 0, 0),
                "{case}"
            );
        }
    }
    assert!(sink.received.lock().unwrap().is_empty());
    sink.task.abort();
}
