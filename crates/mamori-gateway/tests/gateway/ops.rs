//! The gateway's operations side, over TCP: the outbound check holding and passing mail, the
//! Prometheus endpoint scraped after mail went through, and the per-message JSON log.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use mamori_gateway::quarantine::{Direction, QuarantineId, QuarantineReader};
use mamori_gateway::{Gateway, GatewayConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{DOMAIN, PLAIN, Sink, body_text, config, send, untraced, wait_until};

fn outbound_config(data: &std::path::Path, hop: std::net::SocketAddr) -> GatewayConfig {
    let mut c = config(data, hop);
    c.direction = Direction::Outbound;
    c
}

/// A Japanese message whose body is ISO-2022-JP, carrying `text`.
fn iso_2022_jp(subject: &str, text: &str) -> String {
    let (body, _, _) = encoding_rs::ISO_2022_JP.encode(text);
    let body = String::from_utf8(body.into_owned()).expect("ISO-2022-JP is 7-bit");
    format!(
        "From: kacho@{DOMAIN}\r\nTo: partner@{DOMAIN}\r\nSubject: =?UTF-8?B?{}?=\r\n\
         Message-ID: <{subject}@city.example.lg.jp>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n\
         {body}\r\n",
        base64::engine::general_purpose::STANDARD.encode(subject)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_relay_network_client_sends_outbound_mail_to_any_domain() {
    let sink = Sink::start("127.0.0.1:0").await;
    let outside = vec!["partner@elsewhere.example".to_string()];
    let message = format!(
        "From: kacho@{DOMAIN}\r\nTo: partner@elsewhere.example\r\nSubject: plain\r\n\
         Message-ID: <relay@city.example.lg.jp>\r\n\r\nMeeting at ten.\r\n"
    );

    // Without a relay network the outside domain is refused: never an open relay.
    let closed = tempfile::tempdir().unwrap();
    let gw = Gateway::start(outbound_config(closed.path(), sink.addr))
        .await
        .unwrap();
    let hop = mamori_gateway::NextHop::smtp(
        gw.local_addr().to_string(),
        "client.example",
        std::time::Duration::from_secs(30),
    );
    let refused = mamori_gateway::client::deliver(
        &hop,
        "kacho@city.example.lg.jp",
        &outside,
        &[message.as_bytes()],
        false,
    )
    .await;
    assert!(
        !matches!(&refused, Ok(d) if !d.accepted.is_empty()),
        "{refused:?}"
    );

    // The LGWAN side's mail server (here: loopback) may send anywhere.
    let open = tempfile::tempdir().unwrap();
    let mut cfg = outbound_config(open.path(), sink.addr);
    cfg.relay_networks = vec!["127.0.0.0/8".parse().unwrap()];
    let gw = Gateway::start(cfg).await.unwrap();
    send(gw.local_addr(), &["partner@elsewhere.example"], &message).await;
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].recipients, outside);
    assert_eq!(
        untraced(&got[0].data),
        message.as_bytes(),
        "passed mail goes out unchanged but for the trace field"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_mail_with_a_my_number_or_marking_is_held_and_the_rest_passes_unchanged() {
    let sink = Sink::start("127.0.0.1:0").await;
    let data = tempfile::tempdir().unwrap();
    let gw = Gateway::start(outbound_config(data.path(), sink.addr))
        .await
        .unwrap();
    let rcpt = format!("partner@{DOMAIN}");
    let with_number = iso_2022_jp(
        "申請書",
        "申請者の個人番号は１２３４－５６７８－９０１８です。",
    );
    let marked = iso_2022_jp("【機密性３】予算案", "添付のとおりです。");
    // A phone number and a twelve-digit number with a wrong check digit are not 個人番号.
    let clean = iso_2022_jp("会議", "電話 03-1234-5678、受付番号 123456789017 まで。");
    send(gw.local_addr(), &[&rcpt], &with_number).await;
    send(gw.local_addr(), &[&rcpt], &marked).await;
    send(gw.local_addr(), &[&rcpt], &clean).await;

    let got = sink.wait_for(1).await;
    wait_until(data.path(), "all finished", |c| c.delivered == 3).await;
    let got_now = sink.received.lock().unwrap().clone();
    assert_eq!(got_now.len(), 1, "held mail must not reach the next hop");
    assert_eq!(
        untraced(&got[0].data),
        clean.as_bytes(),
        "passed mail goes out unchanged but for the trace field"
    );

    let reader = QuarantineReader::existing(data.path()).unwrap();
    let mut held: Vec<(String, Direction, Option<String>)> = reader
        .entries()
        .unwrap()
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let r = e.first();
            (r.verdict.clone(), r.direction, r.hold_reason.clone())
        })
        .collect();
    held.sort_by(|a, b| a.2.cmp(&b.2));
    assert_eq!(
        held,
        vec![
            (
                "held".to_string(),
                Direction::Outbound,
                Some("confidentiality-3".to_string())
            ),
            (
                "held".to_string(),
                Direction::Outbound,
                Some("my-number".to_string())
            ),
        ]
    );
    // The held original is kept byte for byte; the report names where, never the number.
    for entry in reader.entries().unwrap().into_iter().map(Result::unwrap) {
        let original = reader.original(&entry).unwrap();
        assert!(original == with_number.as_bytes() || original == marked.as_bytes());
        let report = entry.first().report.to_string();
        assert!(
            !report.contains("9018") && !report.contains("９０１８"),
            "{report}"
        );
        let id = QuarantineId::parse(&entry.id).unwrap();
        assert_eq!(reader.get(&id).unwrap().id, entry.id);
    }
    let text = gw.metrics().render();
    assert!(
        has_line(
            &text,
            "mamori_gateway_messages_checked_total{verdict=\"held\"} 2"
        ),
        "{text}"
    );
    assert!(
        has_line(
            &text,
            "mamori_gateway_messages_checked_total{verdict=\"passed\"} 1"
        ),
        "{text}"
    );
    assert!(
        has_line(
            &text,
            "mamori_gateway_messages_checked_total{verdict=\"sanitized\"} 0"
        ),
        "{text}"
    );
    gw.stop().await;
    sink.task.abort();
}

fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|l| l == line)
}

/// `GET path` over plain HTTP/1.1, returning the status line and the body.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: metrics\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_string(), body.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_endpoint_counts_mail_sent_through_the_gateway() {
    let sink = Sink::start("127.0.0.1:0").await;
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(data.path(), sink.addr);
    cfg.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    cfg.max_message_bytes = 10_000;
    let gw = Gateway::start(cfg).await.unwrap();
    let metrics = gw.metrics_addr().expect("metrics listener");

    let (status, before) = http_get(metrics, "/metrics").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        has_line(&before, "mamori_gateway_messages_accepted_total 0"),
        "{before}"
    );

    send(gw.local_addr(), &[&format!("a@{DOMAIN}")], PLAIN).await;
    send(gw.local_addr(), &[&format!("b@{DOMAIN}")], PLAIN).await;
    // Relaying refused at RCPT (5xx reply), then a message too big for the limit (552 after DATA).
    let mut c = tokio::io::BufReader::new(
        tokio::net::TcpStream::connect(gw.local_addr())
            .await
            .unwrap(),
    );
    let big = "x".repeat(900);
    let mut script = format!(
        "EHLO c\r\nMAIL FROM:<s@internet.example>\r\nRCPT TO:<x@elsewhere.example>\r\n\
         RCPT TO:<a@{DOMAIN}>\r\nDATA\r\n"
    );
    for _ in 0..20 {
        script.push_str(&big);
        script.push_str("\r\n");
    }
    script.push_str(".\r\nQUIT\r\n");
    c.get_mut().write_all(script.as_bytes()).await.unwrap();
    let mut transcript = String::new();
    c.read_to_string(&mut transcript).await.unwrap();
    assert!(transcript.contains("550 5.7.1"), "{transcript}");
    assert!(transcript.contains("552 5.3.4"), "{transcript}");

    sink.wait_for(2).await;
    // Counted delivered once the record is written; the queued file goes a moment later.
    wait_until(data.path(), "delivered", |c| {
        c.delivered == 2 && c.queued == 0
    })
    .await;
    let (_, text) = http_get(metrics, "/metrics").await;
    for line in [
        "mamori_gateway_connections_total 3",
        "mamori_gateway_messages_received_total 3",
        "mamori_gateway_messages_accepted_total 2",
        "mamori_gateway_messages_refused_total{class=\"4xx\"} 0",
        "mamori_gateway_messages_refused_total{class=\"5xx\"} 1",
        "mamori_gateway_messages_checked_total{verdict=\"sanitized\"} 2",
        "mamori_gateway_deliveries_total{status=\"delivered\"} 2",
        "mamori_gateway_deliveries_total{status=\"deferred\"} 0",
        "mamori_gateway_spool_messages{state=\"queued\"} 0",
        "mamori_gateway_spool_messages{state=\"deferred\"} 0",
        "mamori_gateway_delivery_latency_seconds_count 2",
        "mamori_gateway_delivery_latency_seconds_bucket{le=\"+Inf\"} 2",
    ] {
        assert!(has_line(&text, line), "missing {line:?} in\n{text}");
    }
    let received: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("mamori_gateway_received_bytes_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(received >= 2 * PLAIN.len() as u64, "{received}");
    let replies_5xx: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("mamori_gateway_smtp_replies_total{class=\"5xx\"} "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(replies_5xx, 2, "{text}");
    assert_eq!(
        http_get(metrics, "/nothing").await.0,
        "HTTP/1.1 404 Not Found"
    );
    assert_eq!(http_get(metrics, "/healthz").await.1, "ok\n");
    gw.stop().await;
    // Stopping the gateway closes the metrics listener too. Another test may already have been
    // given the freed port, so whoever answers there now must not be serving these metrics.
    if let Ok(mut s) = tokio::net::TcpStream::connect(metrics).await {
        let _ = s
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: metrics\r\nConnection: close\r\n\r\n")
            .await;
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut out)).await;
        let answer = String::from_utf8_lossy(&out);
        assert!(
            !answer.contains("mamori_gateway_"),
            "still served: {answer}"
        );
    }
    sink.task.abort();
}

/// Log lines written by the subscriber under test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The JSON log of this test binary. Global, because a thread-local subscriber can miss events
/// whose call sites other tests' threads register at the same moment.
fn json_log() -> &'static Captured {
    static LOG: OnceLock<Captured> = OnceLock::new();
    LOG.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_writer(captured.clone())
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("first subscriber");
        captured
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_message_ends_in_one_json_log_line_with_its_outcome() {
    let captured = json_log();
    let sink = Sink::start("127.0.0.1:0").await;
    let data = tempfile::tempdir().unwrap();
    let gw = Gateway::start(config(data.path(), sink.addr))
        .await
        .unwrap();
    let rcpt = format!("log-{:08x}@{DOMAIN}", rand_suffix());
    send(gw.local_addr(), &[&rcpt], PLAIN).await;
    let got = sink.wait_for(1).await;
    assert!(body_text(&got[0].data).contains("hello"));
    wait_until(data.path(), "delivered", |c| c.delivered == 1).await;
    gw.stop().await;
    sink.task.abort();

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let events: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| l.contains(&rcpt))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let mine = |e: &&serde_json::Value| {
        e["fields"]["recipients"]
            .as_str()
            .is_some_and(|r| r.contains(&rcpt))
    };
    let accepted: Vec<&serde_json::Value> = events
        .iter()
        .filter(mine)
        .filter(|e| e["fields"]["message"] == "message accepted and spooled")
        .collect();
    assert_eq!(accepted.len(), 1, "{text}");
    let queue_id = accepted[0]["fields"]["queue_id"].as_str().unwrap();
    let outcomes: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["fields"]["queue_id"] == queue_id && e["fields"].get("status").is_some())
        .collect();
    assert_eq!(outcomes.len(), 1, "{text}");
    let f = &outcomes[0]["fields"];
    assert_eq!(f["message"], "message delivered");
    assert_eq!(f["status"], "delivered");
    assert_eq!(f["verdict"], "sanitized");
    assert_eq!(f["from"], "sender@internet.example");
    assert!(f["recipients"].as_str().unwrap().contains(&rcpt), "{f}");
    assert!(f["actions"].is_string(), "{f}");
    assert!(f["latency_ms"].as_u64().is_some(), "{f}");
    assert!(
        f["quarantine_id"].as_str().is_some_and(|q| !q.is_empty()),
        "{f}"
    );
    assert_eq!(outcomes[0]["level"], "INFO");
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
}
