//! kill -9 in the middle of a burst: every message that got `250` after DATA is delivered after a
//! restart, at least once, and only in sanitized form.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::support::{ChildGuard, free_port, mamori, text, wait_for_port};

const CLIENTS: usize = 6;
const PER_CLIENT: usize = 10;
const IO_TIMEOUT: Duration = Duration::from_secs(30);
const DELIVERY_DEADLINE: Duration = Duration::from_secs(240);

/// The next hop: a minimal SMTP server that keeps every message it is given.
struct Sink {
    stop: Arc<AtomicBool>,
    messages: Arc<Mutex<Vec<Vec<u8>>>>,
    accept: Option<JoinHandle<()>>,
}

impl Sink {
    fn start(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("sink port is free");
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let messages = Arc::new(Mutex::new(Vec::new()));
        let (s, m) = (stop.clone(), messages.clone());
        let accept = std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (s, m) = (s.clone(), m.clone());
                        std::thread::spawn(move || {
                            let _ = sink_session(stream, &s, &m);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Self {
            stop,
            messages,
            accept: Some(accept),
        }
    }

    fn messages(&self) -> Vec<Vec<u8>> {
        self.messages.lock().unwrap().clone()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn sink_session(
    stream: TcpStream,
    stop: &AtomicBool,
    messages: &Mutex<Vec<Vec<u8>>>,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    out.write_all(b"220 sink ESMTP\r\n")?;
    let mut line = Vec::new();
    // Bounded: a session ends on QUIT, EOF, a read timeout, or when the test is over.
    for _ in 0..10_000 {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        line.clear();
        if lines.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let verb = String::from_utf8_lossy(&line).to_ascii_uppercase();
        if verb.starts_with("EHLO") {
            out.write_all(b"250-sink\r\n250 8BITMIME\r\n")?;
        } else if verb.starts_with("DATA") {
            out.write_all(b"354 go on\r\n")?;
            let mut message = Vec::new();
            loop {
                line.clear();
                if lines.read_until(b'\n', &mut line)? == 0 {
                    return Ok(());
                }
                if line == b".\r\n" {
                    break;
                }
                let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
                message.extend_from_slice(unstuffed);
            }
            messages.lock().unwrap().push(message);
            out.write_all(b"250 kept\r\n")?;
        } else if verb.starts_with("QUIT") {
            out.write_all(b"221 bye\r\n")?;
            break;
        } else {
            out.write_all(b"250 ok\r\n")?;
        }
    }
    Ok(())
}

fn message_id(client: usize, n: usize) -> String {
    format!("<crash-{client}-{n}@example.com>")
}

/// A message the engine has work to do on: HTML and an executable attachment.
fn message(id: &str) -> String {
    format!(
        "From: sender@example.com\r\nTo: kacho@example.lg.jp\r\nSubject: burst\r\nMessage-ID: {id}\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n\
         <p>Hello <a href=\"https://example.com/x\">link</a><script>alert(1)</script></p>\r\n\
         --b1\r\nContent-Type: application/octet-stream; name=\"run.exe\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAA\r\n--b1--\r\n"
    )
}

/// Reads one SMTP reply (possibly multi-line) and returns its code.
fn reply(lines: &mut BufReader<TcpStream>) -> std::io::Result<u16> {
    let mut line = String::new();
    for _ in 0..100 {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line.as_bytes().get(3) != Some(&b'-') {
            return line
                .get(..3)
                .and_then(|c| c.parse().ok())
                .ok_or_else(|| std::io::Error::other(format!("bad reply {line:?}")));
        }
    }
    Err(std::io::Error::other("endless reply"))
}

/// Sends one message in its own session; true only when the gateway answered 250 after DATA.
fn send(port: u16, id: &str) -> std::io::Result<bool> {
    let stream = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    let mut step = |command: &[u8], want: u16| -> std::io::Result<bool> {
        if !command.is_empty() {
            out.write_all(command)?;
        }
        Ok(reply(&mut lines)? == want)
    };
    let accepted = step(b"", 220)?
        && step(b"EHLO client.example.com\r\n", 250)?
        && step(b"MAIL FROM:<sender@example.com>\r\n", 250)?
        && step(b"RCPT TO:<kacho@example.lg.jp>\r\n", 250)?
        && step(b"DATA\r\n", 354)?
        && step(format!("{}.\r\n", message(id)).as_bytes(), 250)?;
    let _ = step(b"QUIT\r\n", 221);
    Ok(accepted)
}

fn start_gateway(port: u16, sink_port: u16, data: &Path) -> ChildGuard {
    let mut command = mamori();
    command
        .arg("gateway")
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--next-hop", &format!("127.0.0.1:{sink_port}")])
        .args(["--accept-domain", "example.lg.jp"])
        .arg("--data")
        .arg(data)
        .args(["--min-free-mb", "1", "--retry-first-secs", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let mut guard = ChildGuard::spawn("mamori gateway", command);
    wait_for_port(port, &mut guard);
    guard
}

/// `queued + deferred + incoming` according to `mamori gateway status`.
fn waiting(data: &Path) -> usize {
    let out = mamori()
        .args(["gateway", "status", "--data"])
        .arg(data)
        .output()
        .expect("mamori gateway status runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (name, n) = l.split_once(char::is_whitespace)?;
            let n: usize = n.trim().parse().ok()?;
            matches!(name, "queued" | "deferred" | "incoming").then_some(n)
        })
        .sum()
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    let head = message.split("\r\n\r\n").next()?;
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn gateway_kill_9_during_a_burst_loses_no_accepted_message() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let sink_port = free_port();
    // The next hop is down while the burst arrives: everything accepted waits in the spool.
    let gateway = start_gateway(port, sink_port, data.path());

    let acked = Arc::new(Mutex::new(HashSet::new()));
    let attempts = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (acked, attempts) = (acked.clone(), attempts.clone());
            std::thread::spawn(move || {
                for n in 0..PER_CLIENT {
                    let id = message_id(c, n);
                    attempts.fetch_add(1, Ordering::SeqCst);
                    if let Ok(true) = send(port, &id) {
                        acked.lock().unwrap().insert(id);
                    }
                    // Paced so that the kill reliably lands in the middle of the burst.
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        })
        .collect();

    // SIGKILL once about a third of the burst was accepted, while the clients keep sending.
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.lock().unwrap().len() < CLIENTS * PER_CLIENT / 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let at_kill = acked.lock().unwrap().len();
    assert!(at_kill > 0, "no message was accepted before the deadline");
    drop(gateway); // kill -KILL of the process group, then wait
    for client in clients {
        client.join().expect("client thread ends");
    }
    let acked = acked.lock().unwrap().clone();
    assert_eq!(attempts.load(Ordering::SeqCst), CLIENTS * PER_CLIENT);
    assert!(
        acked.len() < CLIENTS * PER_CLIENT,
        "the kill came after the whole burst ({} accepted)",
        acked.len()
    );

    let _gateway = start_gateway(port, sink_port, data.path());
    let sink = Sink::start(sink_port);
    let deadline = Instant::now() + DELIVERY_DEADLINE;
    let delivered: Vec<String> = loop {
        let delivered: Vec<String> = sink.messages().iter().map(|m| text(m)).collect();
        let ids: HashSet<&str> = delivered
            .iter()
            .filter_map(|m| header(m, "Message-ID"))
            .collect();
        if waiting(data.path()) == 0 && acked.iter().all(|id| ids.contains(id.as_str())) {
            break delivered;
        }
        assert!(
            Instant::now() < deadline,
            "after {DELIVERY_DEADLINE:?}: {} of {} accepted messages delivered, {} waiting",
            acked.iter().filter(|id| ids.contains(id.as_str())).count(),
            acked.len(),
            waiting(data.path())
        );
        std::thread::sleep(Duration::from_millis(200));
    };

    for m in &delivered {
        assert!(
            header(m, "X-Mamori-Sanitized").is_some(),
            "unsanitized: {m}"
        );
        let content_type = header(m, "Content-Type").unwrap_or_default();
        assert!(
            content_type.to_ascii_lowercase().starts_with("text/plain"),
            "{content_type}: {m}"
        );
        assert!(
            !m.contains("<script") && !m.contains("TVqQAAMAAAAEAAAA"),
            "{m}"
        );
        let id = header(m, "Message-ID").unwrap_or_default();
        assert!(
            id.starts_with("<crash-"),
            "a delivery that was never sent: {m}"
        );
    }
}
