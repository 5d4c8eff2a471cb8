//! A disk that fails under the gateway, for real: its data folder on a small tmpfs filled to the
//! last byte, or a delivery log that cannot be opened. Mail the disk cannot hold gets a 4xx and
//! leaves nothing behind; mail that got 250 stays in the spool until its state can be written,
//! and a delivered message whose record cannot be written is not delivered a second time.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mamori_gateway::Gateway;
use tokio::io::{AsyncWriteExt, BufReader};

use super::{DOMAIN, PLAIN, Sink, body_text, config, dead_address, reply, say, send, wait_until};

/// A tmpfs of `bytes` mounted on a temporary folder for one test, unmounted when dropped. Mounting
/// needs root (as the Postfix tests do): without it the test fails when
/// `MAMORI_REQUIRE_REAL_TESTS=1` (as in CI) and is skipped, saying so, otherwise.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(test: &str, bytes: u64) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={bytes},mode=0700"))
            .arg("tmpfs")
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(Self { dir }),
            outcome => {
                let why = match outcome {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
                    Err(error) => error.to_string(),
                };
                if std::env::var("MAMORI_REQUIRE_REAL_TESTS").as_deref() == Ok("1") {
                    panic!(
                        "{test}: cannot mount a tmpfs ({why}), and MAMORI_REQUIRE_REAL_TESTS=1 \
                         requires the full-disk test"
                    );
                }
                eprintln!("skipped: {test}: cannot mount a tmpfs ({why})");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the file system to its last byte; the returned file gives the room back when removed.
    fn fill(&self) -> PathBuf {
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 64 * 1024];
        let mut size = block.len();
        while size > 0 {
            match file.write(&block[..size]) {
                Ok(0) | Err(_) => size /= 2,
                Ok(_) => {}
            }
        }
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// MAIL, RCPT and DATA of one message, up to the 354.
async fn envelope(s: &mut BufReader<tokio::net::TcpStream>) {
    let from = say(s, "MAIL FROM:<sender@internet.example>\r\n").await;
    assert!(from.starts_with("250"), "{from}");
    let rcpt = say(s, &format!("RCPT TO:<user@{DOMAIN}>\r\n")).await;
    assert!(rcpt.starts_with("250"), "{rcpt}");
    let data = say(s, "DATA\r\n").await;
    assert!(data.starts_with("354"), "{data}");
}

/// One of the gateway's counters, by its sample's name and labels.
fn counter(gw: &Gateway, sample: &str) -> u64 {
    let text = gw.metrics().render();
    let line = text
        .lines()
        .find(|l| l.strip_prefix(sample).is_some_and(|v| v.starts_with(' ')))
        .unwrap_or_else(|| panic!("no {sample} in {text}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

/// Messages the worker has run through the engine so far.
fn sanitized(gw: &Gateway) -> u64 {
    counter(
        gw,
        "mamori_gateway_messages_checked_total{verdict=\"sanitized\"}",
    )
}

/// Files in one of the spool's folders.
fn files_in(data: &Path, folder: &str) -> usize {
    std::fs::read_dir(data.join("spool").join(folder))
        .unwrap()
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_the_disk_cannot_hold_gets_a_4xx_and_leaves_nothing_behind() {
    let Some(disk) = Tmpfs::mount("full disk on receipt", 4 << 20) else {
        return;
    };
    let sink = Sink::start("127.0.0.1:0").await;
    let data = disk.path().join("data");
    let gw = Gateway::start(config(&data, sink.addr)).await.unwrap();

    let stream = tokio::net::TcpStream::connect(gw.local_addr())
        .await
        .unwrap();
    let mut s = BufReader::new(stream);
    assert!(reply(&mut s).await.starts_with("220"));
    assert!(
        say(&mut s, "EHLO client.example\r\n")
            .await
            .starts_with("250")
    );

    // Eight MiB through a four MiB disk: the spool's write fails on the way.
    envelope(&mut s).await;
    s.get_mut()
        .write_all(b"From: sender@internet.example\r\nSubject: big\r\n\r\n")
        .await
        .unwrap();
    let line = [b'x'; 998];
    let mut block = Vec::new();
    for _ in 0..1024 {
        block.extend_from_slice(&line);
        block.extend_from_slice(b"\r\n");
    }
    for _ in 0..8 {
        s.get_mut().write_all(&block).await.unwrap();
    }
    let refused = say(&mut s, ".\r\n").await;
    assert!(
        refused.starts_with("451") || refused.starts_with("452"),
        "{refused}"
    );
    assert_eq!(
        files_in(&data, "incoming"),
        0,
        "a refused message left its file"
    );

    // The room it took is back: the next message is taken and delivered.
    envelope(&mut s).await;
    s.get_mut().write_all(PLAIN.as_bytes()).await.unwrap();
    let taken = say(&mut s, ".\r\n").await;
    assert!(taken.starts_with("250"), "{taken}");
    assert!(say(&mut s, "QUIT\r\n").await.starts_with("221"));

    let got = sink.wait_for(1).await;
    assert!(body_text(&got[0].data).contains("hello"));
    wait_until(&data, "delivered", |c| {
        c.delivered == 1 && c.incoming + c.queued + c.deferred + c.failed == 0
    })
    .await;
    assert_eq!(sink.received.lock().unwrap().len(), 1);
    gw.stop().await;
    sink.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_accepted_before_the_disk_filled_waits_and_is_delivered_once() {
    let Some(disk) = Tmpfs::mount("full disk after 250", 8 << 20) else {
        return;
    };
    let hop = dead_address().await;
    let data = disk.path().join("data");
    let gw = Gateway::start(config(&data, hop)).await.unwrap();
    send(gw.local_addr(), &[&format!("user@{DOMAIN}")], PLAIN).await;
    wait_until(&data, "deferred", |c| c.deferred == 1).await;

    // The next hop is back, but the disk is full: the quarantine record cannot be written, so
    // the message is not delivered, and the worker backs off instead of trying again at once.
    let filler = disk.fill();
    let before = sanitized(&gw);
    let sink = Sink::start(&hop.to_string()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let counts = mamori_gateway::status(&data).unwrap();
    assert_eq!(counts.deferred + counts.queued, 1, "{counts:?}");
    // (An attempt that stored its record just before the disk filled may have gone out.)
    assert!(sink.received.lock().unwrap().len() <= 1);
    let tries = sanitized(&gw) - before;
    assert!(tries <= 2, "{tries} attempts in two seconds on a full disk");
    let refused = counter(&gw, "mamori_gateway_spool_failures_total");
    assert!((1..=10).contains(&refused), "{refused} refused writes");

    std::fs::remove_file(filler).unwrap();
    let got = sink.wait_for(1).await;
    assert!(body_text(&got[0].data).contains("hello"));
    wait_until(&data, "delivered", |c| {
        c.delivered == 1 && c.queued + c.deferred + c.failed == 0
    })
    .await;
    assert_eq!(sink.received.lock().unwrap().len(), 1, "delivered twice");
    gw.stop().await;
    sink.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_whose_record_cannot_be_written_is_recorded_later_not_sent_again() {
    let sink = Sink::start("127.0.0.1:0").await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    // Today's delivery log (and tomorrow's, should the day turn meanwhile) is a folder: every
    // append to it fails, as a failed write or fdatasync of the log would.
    let log = data.join("spool/delivered");
    std::fs::create_dir_all(&log).unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let days: Vec<PathBuf> = [now, now + 86_400_000]
        .iter()
        .map(|ms| {
            let day = mamori_core::time::jst_date(*ms).unwrap();
            log.join(format!("{}.jsonl", day.format("%Y-%m-%d")))
        })
        .collect();
    for day in &days {
        std::fs::create_dir(day).unwrap();
    }
    let gw = Gateway::start(config(data, sink.addr)).await.unwrap();
    send(gw.local_addr(), &[&format!("user@{DOMAIN}")], PLAIN).await;
    sink.wait_for(1).await;
    wait_for_spool_failures(&gw, 1).await;
    let waiting = files_in(data, "queue") + files_in(data, "deferred");
    assert_eq!(waiting, 1, "the message left the spool without its record");

    // New mail wakes the worker, which takes up everything in the queue: the first message is
    // recorded, not sent again.
    wakes_the_worker(&gw, &sink, 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received.lock().unwrap().len(), 2, "delivered again");

    for day in &days {
        std::fs::remove_dir(day).unwrap();
    }
    wait_until(data, "recorded", |c| {
        c.delivered == 2 && c.queued + c.deferred + c.failed == 0
    })
    .await;
    assert_eq!(sink.received.lock().unwrap().len(), 2, "delivered again");
    gw.stop().await;
    sink.task.abort();
}

/// Waits until the spool has refused the gateway `n` times.
async fn wait_for_spool_failures(gw: &Gateway, n: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while counter(gw, "mamori_gateway_spool_failures_total") < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the spool never refused"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Sends one more message, to a recipient of its own, and waits until the sink holds `n`.
async fn wakes_the_worker(gw: &Gateway, sink: &Sink, n: usize) {
    send(gw.local_addr(), &[&format!("other@{DOMAIN}")], PLAIN).await;
    let got = sink.wait_for(n).await;
    let other = format!("other@{DOMAIN}");
    assert_eq!(
        got.iter()
            .filter(|r| r.recipients == [other.clone()])
            .count(),
        1
    );
}

/// Puts a file where one of the spool's folders was, so that nothing can be written into it (as
/// on a failing disk); the returned guard puts the folder back.
struct Broken {
    folder: PathBuf,
    aside: PathBuf,
}

impl Broken {
    fn folder(data: &Path, name: &str) -> Self {
        let folder = data.join("spool").join(name);
        let aside = data.join("spool").join(format!("{name}.aside"));
        std::fs::rename(&folder, &aside).unwrap();
        std::fs::write(&folder, b"not a folder").unwrap();
        Self { folder, aside }
    }

    fn mend(self) {
        std::fs::remove_file(&self.folder).unwrap();
        std::fs::rename(&self.aside, &self.folder).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_delivery_whose_deferral_cannot_be_written_is_not_repeated() {
    let sink = Sink::start("127.0.0.1:0").await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let gw = Gateway::start(config(data, sink.addr)).await.unwrap();
    let broken = Broken::folder(data, "deferred");
    let (taken, later) = (format!("user@{DOMAIN}"), format!("tempfail@{DOMAIN}"));
    send(gw.local_addr(), &[&taken, &later], PLAIN).await;
    sink.wait_for(1).await;
    wait_for_spool_failures(&gw, 1).await;

    // It cannot be moved to deferred/, so it stays queued, and new mail wakes the worker: sent
    // again, it would reach `taken` twice.
    assert_eq!(files_in(data, "queue"), 1);
    wakes_the_worker(&gw, &sink, 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received.lock().unwrap().len(), 2, "delivered again");

    broken.mend();
    wait_until(data, "deferred", |c| c.deferred == 1 && c.queued == 0).await;
    let retry = std::fs::read_dir(data.join("spool/deferred"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "retry"))
        .unwrap();
    let retry: serde_json::Value = serde_json::from_slice(&std::fs::read(retry).unwrap()).unwrap();
    assert_eq!(retry["recipients"], serde_json::json!([later]));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got = sink.received.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "delivered again");
    assert_eq!(got[0].recipients, vec![taken]);
    gw.stop().await;
    sink.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dsn_the_spool_cannot_take_yet_is_sent_once_it_can() {
    let hop = dead_address().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let gw = Gateway::start(config(data, hop)).await.unwrap();
    send(gw.local_addr(), &[&format!("nouser@{DOMAIN}")], PLAIN).await;
    wait_until(data, "deferred", |c| c.deferred == 1).await;

    // The next hop is back and refuses the recipient for good, but no DSN can be spooled.
    let broken = Broken::folder(data, "incoming");
    let sink = Sink::start(&hop.to_string()).await;
    wait_for_spool_failures(&gw, 1).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        files_in(data, "deferred"),
        2,
        "the message and its retry file"
    );
    assert_eq!(files_in(data, "failed"), 0, "failed, its DSN never spooled");

    broken.mend();
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].from, "");
    assert_eq!(
        got[0].recipients,
        vec!["sender@internet.example".to_string()]
    );
    assert!(String::from_utf8_lossy(&got[0].data).contains("multipart/report"));
    wait_until(data, "failed", |c| {
        c.failed == 1 && c.deferred + c.queued == 0 && c.delivered == 1
    })
    .await;
    assert_eq!(sink.received.lock().unwrap().len(), 1, "a second DSN");
    gw.stop().await;
    sink.task.abort();
}
