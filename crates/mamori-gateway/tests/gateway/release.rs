//! 原本の提供: a released original goes to the next hop as it was received, with the release
//! header, to the requesting recipient only; a next hop that is down is a temporary failure.

use std::time::Duration;

use mamori_gateway::Gateway;
use mamori_gateway::NextHop;
use mamori_gateway::quarantine::QuarantineId;
use mamori_gateway::release::{ReleaseError, ReleaseMailer, ReleaseOrder};

use super::{Sink, body_text, config, dead_address, send};

const WITH_ATTACHMENT: &str = "From: sender@internet.example\r\n\
    To: kacho@city.example.lg.jp, kakari@city.example.lg.jp\r\n\
    Subject: invoice\r\nMessage-ID: <inv@internet.example>\r\nMIME-Version: 1.0\r\n\
    X-Mamori-Released: q-forged; approved-by=ciso\r\n\
    Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
    --b1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nsee attached\r\n\
    --b1\r\nContent-Type: application/x-msdownload; name=\"run.exe\"\r\n\
    Content-Disposition: attachment; filename=\"run.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
    TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAA==\r\n\
    --b1--\r\n";

fn hop(addr: std::net::SocketAddr) -> NextHop {
    NextHop::smtp(addr.to_string(), "gw.test", Duration::from_secs(10))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_original_reaches_only_the_requester_unsanitized_with_the_release_header() {
    let sink = Sink::start("127.0.0.1:0").await;
    let data = tempfile::tempdir().unwrap();
    let gw = Gateway::start(config(data.path(), sink.addr))
        .await
        .unwrap();
    send(
        gw.local_addr(),
        &["kacho@city.example.lg.jp", "kakari@city.example.lg.jp"],
        WITH_ATTACHMENT,
    )
    .await;
    let got = sink.wait_for(1).await;
    let body = body_text(&got[0].data);
    let qid = body
        .lines()
        .find_map(|l| l.trim().strip_prefix("隔離ID (quarantine id): "))
        .expect("the notice names the quarantine id")
        .to_owned();
    assert!(!String::from_utf8_lossy(&got[0].data).contains("TVqQ"));
    gw.stop().await;

    let mailer = ReleaseMailer::new(data.path().to_path_buf(), hop(sink.addr), None);
    // The notice names the part; the message it belongs to is what gets released.
    let part = QuarantineId::parse(&qid).unwrap();
    let entry = mailer.reader().unwrap().resolve(&part).unwrap();
    let order = ReleaseOrder {
        quarantine_id: QuarantineId::parse(&entry.id).unwrap(),
        request: 3,
        recipients: vec!["kakari@city.example.lg.jp".into()],
        requested_by: "kakari".into(),
        approved_by: "kanrisha".into(),
        outbound: false,
    };
    let delivered = mailer.deliver(&order).await.unwrap();
    assert_eq!(delivered.accepted, ["kakari@city.example.lg.jp"]);
    let got = sink.wait_for(2).await;
    let released = &got[1];
    assert_eq!(released.recipients, ["kakari@city.example.lg.jp"]);
    assert_eq!(released.from, "sender@internet.example");
    let text = String::from_utf8_lossy(&released.data).into_owned();
    let expected_header = format!(
        "X-Mamori-Released: {}; request=3; requested-by=kakari; approved-by=kanrisha\r\n",
        entry.id
    );
    assert!(text.starts_with(&expected_header), "{text}");
    assert!(text.contains("X-Original-Mamori-Released: q-forged"));
    // Everything after our header is the original as received, the attachment included.
    let original = WITH_ATTACHMENT.replace(
        "X-Mamori-Released: q-forged",
        "X-Original-Mamori-Released: q-forged",
    );
    assert_eq!(&text[expected_header.len()..], original);
    sink.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_failures_say_whether_to_try_again() {
    let sink = Sink::start("127.0.0.1:0").await;
    let data = tempfile::tempdir().unwrap();
    let gw = Gateway::start(config(data.path(), sink.addr))
        .await
        .unwrap();
    send(
        gw.local_addr(),
        &["kacho@city.example.lg.jp"],
        WITH_ATTACHMENT,
    )
    .await;
    sink.wait_for(1).await;
    gw.stop().await;
    let reader = mamori_gateway::quarantine::QuarantineReader::existing(data.path()).unwrap();
    let id = reader.entries().unwrap()[0].as_ref().unwrap().id.clone();
    let order = |rcpt: &str| ReleaseOrder {
        quarantine_id: QuarantineId::parse(&id).unwrap(),
        request: 1,
        recipients: vec![rcpt.into()],
        requested_by: "kacho".into(),
        approved_by: "kanrisha".into(),
        outbound: false,
    };
    let down = ReleaseMailer::new(data.path().to_path_buf(), hop(dead_address().await), None);
    let err = down
        .deliver(&order("kacho@city.example.lg.jp"))
        .await
        .unwrap_err();
    assert!(err.is_temporary(), "{err}");
    let up = ReleaseMailer::new(data.path().to_path_buf(), hop(sink.addr), None);
    let err = up
        .deliver(&order("tempfail@city.example.lg.jp"))
        .await
        .unwrap_err();
    assert!(err.is_temporary(), "{err}");
    let err = up
        .deliver(&order("nouser@city.example.lg.jp"))
        .await
        .unwrap_err();
    assert!(!err.is_temporary(), "{err}");
    let mut gone = order("kacho@city.example.lg.jp");
    gone.quarantine_id = QuarantineId::parse("q-purged").unwrap();
    let err = up.deliver(&gone).await.unwrap_err();
    assert!(
        matches!(err, ReleaseError::Quarantine(_)) && !err.is_temporary(),
        "{err}"
    );
    assert!(matches!(
        up.deliver(&ReleaseOrder {
            recipients: vec![],
            ..order("x@y.example")
        })
        .await,
        Err(ReleaseError::NoRecipient)
    ));
    assert_eq!(
        sink.received.lock().unwrap().len(),
        1,
        "nothing released got through"
    );
    // One recipient deferred beside an accepted one: not recorded as done, tried again.
    let mut two = order("kacho@city.example.lg.jp");
    two.recipients.push("tempfail@city.example.lg.jp".into());
    let err = up.deliver(&two).await.unwrap_err();
    assert!(err.is_temporary(), "{err}");
    sink.task.abort();
}
