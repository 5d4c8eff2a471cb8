//! The IO around the monitor: whole files (plain or gzip) and stdin for `scan`; followed files
//! and syslog listeners for `run`, with bounded queues between them and the monitor.

use std::future::Future;
use std::io::{self, BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use mamori_core::monitor::{Alert, Site, Tally};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::config::RunConfig;
use crate::monitor::{Counters, Monitor, Summary};
use crate::read::Format;
use crate::syslog::{Frame, TcpFramer};

/// A line longer than this is counted as unparseable, not held in memory.
pub const MAX_LINE: usize = 1024 * 1024;

/// Calls `f` with each line of `reader` (without its line end), or with `Err(head)` for a line
/// longer than `max` (its first bytes), which is read past without being held.
pub fn for_each_line(
    mut reader: impl BufRead,
    max: usize,
    mut f: impl FnMut(Result<&[u8], &[u8]>),
) -> io::Result<()> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            if too_long {
                f(Err(&line));
            } else if !line.is_empty() {
                f(Ok(&line));
            }
            return Ok(());
        }
        let (chunk, found) = match memchr::memchr(b'\n', buf) {
            Some(nl) => (&buf[..nl], Some(nl + 1)),
            None => (buf, None),
        };
        // Whole lines straight from the buffer, without copying.
        if line.is_empty() && !too_long && found.is_some() && chunk.len() <= max {
            f(Ok(chunk));
        } else {
            if !too_long {
                let room = max - line.len().min(max);
                line.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if chunk.len() > room {
                    too_long = true;
                }
            }
            if found.is_some() {
                if too_long {
                    f(Err(&line[..line.len().min(500)]));
                } else {
                    f(Ok(&line));
                }
                line.clear();
                too_long = false;
            }
        }
        let used = found.unwrap_or(buf.len());
        reader.consume(used);
    }
}

/// Opens a file or stdin (`-`), decompressing gzip (found by its magic bytes, not its name).
fn open(path: &Path) -> io::Result<Box<dyn BufRead>> {
    let raw: Box<dyn Read> = if path == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path)?)
    };
    let mut reader = BufReader::with_capacity(256 * 1024, raw);
    let magic = reader.fill_buf()?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::bufread::MultiGzDecoder::new(reader),
        )))
    } else {
        Ok(Box::new(reader))
    }
}

/// Reads whole files (plain or gzip) or stdin (`-`), feeding each line; each file is its own
/// stream (a Zeek header holds for its file only). Take the alerts afterwards; for inputs
/// that may raise more alerts than [`Limits::pending_alerts`](crate::Limits), use
/// [`scan_paths_with`].
pub fn scan_paths(monitor: &mut Monitor, format: Format, paths: &[PathBuf]) -> io::Result<()> {
    scan_paths_with(monitor, format, paths, &mut |_, _| {})
}

/// [`scan_paths`], handing over what was found whenever the pending alerts or tallies reach
/// their cap (what is left at the end is for the caller's own `take`).
pub fn scan_paths_with(
    monitor: &mut Monitor,
    format: Format,
    paths: &[PathBuf],
    on_full: &mut dyn FnMut(Vec<Alert>, Vec<Tally>),
) -> io::Result<()> {
    for (i, path) in paths.iter().enumerate() {
        let stream = i as u64 + 1;
        // The error names the file: a scan of many files must say which one failed.
        let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        let reader = open(path).map_err(named)?;
        for_each_line(reader, MAX_LINE, |line| {
            match line {
                Ok(line) => monitor.feed_stream(stream, format, line),
                Err(head) => monitor.feed_too_long(head),
            }
            if monitor.wants_take() {
                let (alerts, tallies) = monitor.take();
                on_full(alerts, tallies);
            }
        })
        .map_err(named)?;
        monitor.end_stream(stream);
    }
    Ok(())
}

/// What `run` hands over every flush interval.
#[derive(Debug, Clone)]
pub struct Batch {
    pub alerts: Vec<Alert>,
    pub tallies: Vec<Tally>,
    /// The monitor's counters at this flush, for `/metrics`.
    pub counters: Counters,
    pub summary: Summary,
}

/// Lines for the monitor, from one stream.
struct Chunk {
    stream: u64,
    format: Format,
    /// Whole lines, each ended by `\n`.
    data: Vec<u8>,
    /// Lines that were too long and were dropped.
    too_long: u32,
    /// The stream starts over (a rotated file, a closed connection).
    reset: bool,
}

/// Keeps reading until `stop` completes: the files of `config` followed across rotation
/// (rename and a new file, or copytruncate), syslog over UDP and TCP; every `config.flush`
/// the alerts and tallies found are sent to `sink`. When `sink` is full the monitor waits, its
/// queue fills, and the readers wait in turn (TCP senders are not read; UDP datagrams are
/// dropped and counted).
pub async fn run(
    config: RunConfig,
    monitor: Monitor,
    sink: mpsc::Sender<Batch>,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    run_with_sites(config, monitor, sink, None, stop).await
}

/// [`run`], with the site replaced whenever `sites` changes (the register or the matrix was
/// edited); windows survive the change.
pub async fn run_with_sites(
    config: RunConfig,
    mut monitor: Monitor,
    sink: mpsc::Sender<Batch>,
    mut sites: Option<watch::Receiver<Site>>,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    monitor.set_local_offset(config.local_offset_secs);
    let (tx, mut rx) = mpsc::channel::<Chunk>(config.queue);
    let dropped = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    for (i, (path, format)) in config.files.iter().enumerate() {
        tasks.spawn(follow(
            path.clone(),
            *format,
            i as u64 + 1,
            config.from_start,
            config.poll,
            config.max_line,
            tx.clone(),
        ));
    }
    if let Some(addr) = config.syslog_udp {
        let socket = tokio::net::UdpSocket::bind(addr).await?;
        tasks.spawn(udp(
            socket,
            config.syslog_format,
            config.max_line,
            tx.clone(),
            dropped.clone(),
        ));
    }
    if let Some(addr) = config.syslog_tcp {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        tasks.spawn(tcp(
            listener,
            config.syslog_format,
            config.max_line,
            config.max_connections,
            tx.clone(),
        ));
    }
    drop(tx);
    let mut tick = tokio::time::interval(config.flush);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    tokio::pin!(stop);
    let flush = |monitor: &mut Monitor| {
        let (alerts, tallies) = monitor.take();
        let mut counters = monitor.counters();
        counters.syslog_dropped = dropped.load(Ordering::Relaxed);
        Batch {
            alerts,
            tallies,
            counters,
            summary: monitor.summary().clone(),
        }
    };
    // A batch that `stop` interrupted on its way out; it is handed over at the end.
    let mut held: Option<Batch> = None;
    // Hands a batch over unless `stop` fires first; false when the loop should end.
    macro_rules! deliver {
        ($batch:expr) => {{
            let batch = $batch;
            tokio::select! {
                permit = sink.reserve() => match permit {
                    Ok(permit) => {
                        permit.send(batch);
                        true
                    }
                    Err(_) => false,
                },
                () = &mut stop => {
                    held = Some(batch);
                    false
                }
            }
        }};
    }
    loop {
        tokio::select! {
            () = &mut stop => break,
            chunk = rx.recv() => match chunk {
                Some(chunk) => {
                    feed_chunk(&mut monitor, &chunk);
                    if monitor.wants_take() && !deliver!(flush(&mut monitor)) {
                        break;
                    }
                }
                // Every reader ended (their files and sockets are gone): hand over and stop.
                None => break,
            },
            _ = tick.tick() => {
                if !deliver!(flush(&mut monitor)) {
                    break;
                }
            }
            changed = async {
                match sites.as_mut() {
                    Some(rx) => rx.changed().await.map(|()| rx.borrow_and_update().clone()),
                    None => std::future::pending().await,
                }
            } => match changed {
                Ok(site) => monitor.set_site(&site),
                Err(_) => sites = None,
            },
        }
    }
    tasks.abort_all();
    // What is still queued is read before the last hand-over.
    while let Ok(chunk) = rx.try_recv() {
        feed_chunk(&mut monitor, &chunk);
    }
    if let Some(batch) = held {
        let _ = sink.send(batch).await;
    }
    let _ = sink.send(flush(&mut monitor)).await;
    while let Some(done) = tasks.join_next().await {
        if let Ok(Err(e)) = done {
            tracing::warn!(error = %e, "a monitor input stopped");
        }
    }
    Ok(())
}

fn feed_chunk(monitor: &mut Monitor, chunk: &Chunk) {
    if chunk.reset {
        monitor.end_stream(chunk.stream);
    }
    for _ in 0..chunk.too_long {
        monitor.feed_too_long(b"");
    }
    for line in chunk.data.split(|b| *b == b'\n') {
        if !line.is_empty() {
            monitor.feed_stream(chunk.stream, chunk.format, line);
        }
    }
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// Follows one file: reads what is appended, and starts over on a new file at the same path
/// (rotation by rename) or when the file shrinks (copytruncate).
async fn follow(
    path: PathBuf,
    format: Format,
    stream: u64,
    from_start: bool,
    poll: Duration,
    max_line: usize,
    tx: mpsc::Sender<Chunk>,
) -> io::Result<()> {
    let mut file: Option<(tokio::fs::File, (u64, u64))> = None;
    let mut pos: u64 = 0;
    let mut first_open = true;
    let mut partial: Vec<u8> = Vec::new();
    let mut discarding = false;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        if file.is_none() {
            if let Ok(mut f) = tokio::fs::File::open(&path).await {
                let meta = f.metadata().await?;
                pos = if first_open && !from_start {
                    meta.len()
                } else {
                    0
                };
                f.seek(io::SeekFrom::Start(pos)).await?;
                file = Some((f, identity(&meta)));
                if !first_open && tx.send(reset(stream, format)).await.is_err() {
                    return Ok(());
                }
                partial.clear();
                discarding = false;
            }
            first_open = false;
        }
        let mut read_any = false;
        if let Some((f, _)) = file.as_mut() {
            loop {
                let n = f.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                read_any = true;
                pos += n as u64;
                let mut chunk = Chunk {
                    stream,
                    format,
                    data: Vec::with_capacity(n + partial.len()),
                    too_long: 0,
                    reset: false,
                };
                let mut rest = &buf[..n];
                while let Some(nl) = memchr::memchr(b'\n', rest) {
                    if discarding {
                        discarding = false;
                    } else {
                        chunk.data.extend_from_slice(&partial);
                        chunk.data.extend_from_slice(&rest[..=nl]);
                    }
                    partial.clear();
                    rest = &rest[nl + 1..];
                }
                if !discarding {
                    partial.extend_from_slice(rest);
                    if partial.len() > max_line {
                        partial.clear();
                        discarding = true;
                        chunk.too_long += 1;
                    }
                }
                if (!chunk.data.is_empty() || chunk.too_long > 0) && tx.send(chunk).await.is_err() {
                    return Ok(());
                }
            }
        }
        if !read_any {
            // At the end of the file: has it been replaced or truncated?
            if let Some((_, id)) = &file {
                match tokio::fs::metadata(&path).await {
                    Ok(meta) if identity(&meta) != *id => file = None,
                    Ok(meta) if meta.len() < pos => {
                        if let Some((f, _)) = file.as_mut() {
                            f.seek(io::SeekFrom::Start(0)).await?;
                        }
                        pos = 0;
                        partial.clear();
                        discarding = false;
                        if tx.send(reset(stream, format)).await.is_err() {
                            return Ok(());
                        }
                    }
                    _ => {}
                }
            }
            // Also when the file is not there (yet): a rotation in progress, or a log still
            // to be made.
            tokio::time::sleep(poll).await;
            if tx.is_closed() {
                return Ok(());
            }
        }
    }
}

fn reset(stream: u64, format: Format) -> Chunk {
    Chunk {
        stream,
        format,
        data: Vec::new(),
        too_long: 0,
        reset: true,
    }
}

/// Syslog over UDP: a datagram is a message. When the monitor's queue is full the datagram is
/// dropped and counted: UDP has no way to make the sender wait.
async fn udp(
    socket: tokio::net::UdpSocket,
    format: Format,
    max_line: usize,
    tx: mpsc::Sender<Chunk>,
    dropped: Arc<AtomicU64>,
) -> io::Result<()> {
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, _from) = socket.recv_from(&mut buf).await?;
        let msg = buf[..n].strip_suffix(b"\n").unwrap_or(&buf[..n]);
        let mut chunk = Chunk {
            stream: u64::MAX,
            format,
            data: Vec::new(),
            too_long: 0,
            reset: false,
        };
        if msg.len() > max_line {
            chunk.too_long = 1;
        } else {
            chunk.data.extend_from_slice(msg);
            chunk.data.push(b'\n');
        }
        match tx.try_send(chunk) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return Ok(()),
        }
    }
}

/// Syslog over TCP (RFC 6587 framing). A connection is read only as fast as the monitor takes
/// its messages: when the queue is full the sender's window fills and it waits.
async fn tcp(
    listener: tokio::net::TcpListener,
    format: Format,
    max_line: usize,
    max_connections: usize,
    tx: mpsc::Sender<Chunk>,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(max_connections));
    let mut connections = JoinSet::new();
    let mut next_stream: u64 = 1 << 32;
    loop {
        let permit = slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| io::Error::other("closed"))?;
        let (mut conn, _peer): (tokio::net::TcpStream, SocketAddr) = listener.accept().await?;
        next_stream += 1;
        let stream = next_stream;
        let tx = tx.clone();
        while connections.try_join_next().is_some() {}
        connections.spawn(async move {
            let _permit = permit;
            let mut framer = TcpFramer::default();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match conn.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let mut chunk = Chunk {
                    stream,
                    format,
                    data: Vec::new(),
                    too_long: 0,
                    reset: false,
                };
                for frame in framer.push(&buf[..n], max_line) {
                    match frame {
                        Frame::Message(m) => {
                            chunk.data.extend_from_slice(&m);
                            chunk.data.push(b'\n');
                        }
                        Frame::TooLong => chunk.too_long += 1,
                    }
                }
                if (!chunk.data.is_empty() || chunk.too_long > 0) && tx.send(chunk).await.is_err() {
                    return;
                }
            }
            let _ = tx.send(reset(stream, format)).await;
        });
    }
}
