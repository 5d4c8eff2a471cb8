//! The async driver of [`Session`] over any `AsyncRead + AsyncWrite` stream, and the listener.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use crate::codec::{LineBuffer, LineError, MAX_LINE};
use crate::reply::Reply;
use crate::session::{Session, SessionConfig, Step, Transaction};
use crate::spool::{Envelope, IncomingMessage, Origin, Spool, SpoolError};
use crate::verify::{RecipientVerifier, Verdict};

/// Message content is written to the spool in pieces of about this size, so a connection holds
/// at most this much of a message in memory however large the message is.
const WRITE_CHUNK: usize = 256 * 1024;

/// Longest wait for the last words to a client being let go (the 421 of a time limit, the TLS
/// close): it may not be reading.
const FAREWELL: Duration = Duration::from_secs(10);

/// How long a client may hold a connection. The idle limit alone let a client keep a slot for
/// ever by sending a byte just before each wait ran out; the session and DATA limits and the
/// minimum rate bound what a slow client can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Longest wait for the client's next bytes, or for it to take our replies (Postfix's
    /// `smtpd_timeout`, 300 s).
    pub idle: Duration,
    /// Longest connection, from its start to its close, STARTTLS included.
    pub session: Duration,
    /// Longest DATA phase, from 354 to the end of data.
    pub data: Duration,
    /// Bytes per second a client must keep up on average from 354 on, once `data_rate_grace`
    /// has passed (Postfix's `smtpd_min_data_rate`, 500); 0 for no minimum.
    pub min_data_rate: u64,
    pub data_rate_grace: Duration,
}

impl Default for Timeouts {
    /// A 32 MiB message at 500 kbit/s takes about nine minutes: it fits the DATA limit, and the
    /// session limit leaves time around it for the commands and another message.
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(300),
            session: Duration::from_secs(15 * 60),
            data: Duration::from_secs(10 * 60),
            min_data_rate: 500,
            data_rate_grace: Duration::from_secs(30),
        }
    }
}

/// The DATA phase in progress: when it began and the bytes read since.
struct DataClock {
    started: Instant,
    read: u64,
}

/// `at + d`, or far in the future when that cannot be represented.
fn later(at: Instant, d: Duration) -> Instant {
    at.checked_add(d)
        .unwrap_or_else(|| at + Duration::from_secs(100 * 365 * 24 * 3600))
}

impl Timeouts {
    /// The first limit that will run out while waiting for the client, and the reply to give
    /// when it does.
    fn next_limit(
        &self,
        now: Instant,
        session_end: Instant,
        data: Option<&DataClock>,
    ) -> (Instant, Reply) {
        let mut first = (later(now, self.idle), Reply::IdleTimeout);
        let mut consider = |at: Instant, reply: Reply| {
            if at < first.0 {
                first = (at, reply);
            }
        };
        consider(session_end, Reply::SessionTimeout);
        if let Some(d) = data {
            consider(later(d.started, self.data), Reply::DataTimeout);
            // Each byte read buys 1/rate seconds: the client falls behind once the time since
            // 354 passes what it has bought (and the grace period).
            if let Some(ms) = d.read.saturating_mul(1000).checked_div(self.min_data_rate) {
                let earned = Duration::from_millis(ms);
                consider(
                    later(d.started, self.data_rate_grace.max(earned)),
                    Reply::DataTooSlow,
                );
            }
        }
        first
    }
}

/// Everything a connection needs; one per gateway, shared by all connections.
pub struct Server {
    pub session: Arc<SessionConfig>,
    pub spool: Arc<Spool>,
    pub tls: Option<TlsAcceptor>,
    pub timeouts: Timeouts,
    /// Woken when a message was spooled, so the worker picks it up at once.
    pub wake: Arc<Notify>,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Asks the next hop about recipients when [`SessionConfig::verify_recipients`] is set.
    pub verifier: Option<Arc<RecipientVerifier>>,
}

enum End {
    Closed,
    StartTls,
}

/// One side of a connection: the stream, the lines read so far and the replies not yet sent.
struct Conn<S> {
    io: S,
    lines: LineBuffer,
    out: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    fn new(io: S) -> Self {
        Self {
            io,
            lines: LineBuffer::new(MAX_LINE),
            out: Vec::new(),
        }
    }

    fn queue(&mut self, reply: &Reply) {
        self.out.extend_from_slice(&reply.render());
    }

    async fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.io.write_all(&self.out).await?;
            self.out.clear();
        }
        self.io.flush().await
    }

    /// Sends the queued replies, giving up at `deadline` on a client that does not read them.
    async fn flush_by(&mut self, deadline: Instant) -> io::Result<()> {
        tokio::time::timeout_at(deadline, self.flush())
            .await
            .unwrap_or_else(|_| {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client does not take its replies",
                ))
            })
    }

    /// Closes our side, without waiting long for a client that does not read.
    async fn close(&mut self) {
        let _ = tokio::time::timeout(FAREWELL, self.io.shutdown()).await;
    }
}

/// How a wait for the client ended.
enum Input {
    Read(io::Result<usize>),
    /// A time limit ran out; this is what to tell the client.
    Expired(Reply),
}

impl Server {
    /// Runs one SMTP connection to its end.
    pub async fn serve<S>(&self, stream: S, peer: &str) -> io::Result<()>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        self.serve_holding(stream, peer, Held::default()).await
    }

    /// Runs one connection admitted against the limits; what it holds is given back at QUIT,
    /// before the 221 is sent, so that a client that opens its next session as soon as it reads
    /// the 221 is not refused while this one is still closing.
    async fn serve_holding<S>(&self, stream: S, peer: &str, mut held: Held) -> io::Result<()>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let session_end = later(Instant::now(), self.timeouts.session);
        let mut session = Session::new(self.session.clone());
        if let Ok(addr) = peer.parse::<std::net::SocketAddr>() {
            if self.session.trusts_xforward(addr.ip()) {
                session.trust_xforward();
            }
            if self.session.permits_relay(addr.ip()) {
                session.permit_relay();
            }
        }
        let mut conn = Conn::new(stream);
        conn.queue(&session.greeting());
        match self
            .run(&mut conn, &mut session, peer, session_end, &mut held)
            .await?
        {
            End::Closed => {
                conn.close().await;
                Ok(())
            }
            End::StartTls => {
                // STARTTLS command injection (CVE-2011-0411 class): whatever the client sent after
                // STARTTLS in clear is dropped, never executed inside the TLS session.
                let dropped = conn.lines.clear();
                if dropped > 0 {
                    tracing::warn!(peer, dropped, "bytes pipelined after STARTTLS discarded");
                }
                let Some(acceptor) = &self.tls else {
                    return Ok(());
                };
                let handshake = acceptor.accept(conn.io);
                let by = later(Instant::now(), self.timeouts.idle).min(session_end);
                let tls = match tokio::time::timeout_at(by, handshake).await {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(error)) => {
                        tracing::info!(peer, %error, "TLS handshake failed");
                        return Ok(());
                    }
                    Err(_) => return Ok(()),
                };
                session.tls_started();
                let mut conn = Conn::new(tls);
                self.run(&mut conn, &mut session, peer, session_end, &mut held)
                    .await?;
                conn.close().await;
                Ok(())
            }
        }
    }

    async fn run<S>(
        &self,
        conn: &mut Conn<S>,
        session: &mut Session,
        peer: &str,
        session_end: Instant,
        held: &mut Held,
    ) -> io::Result<End>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let mut buf = vec![0u8; 16 * 1024];
        // The message being received; dropped (its file removed) if the connection ends first.
        let mut receiving: Option<Receiving> = None;
        let mut data: Option<DataClock> = None;
        loop {
            // Answer every complete line already received (a pipelined group), then flush once
            // before waiting for more input (RFC 2920).
            while let Some(line) = conn.lines.next_line() {
                let ending_data = session.in_data();
                let step = match line {
                    Ok(line) if session.in_data() => session.data_line(line),
                    Ok(line) => session.command(&line, || self.spool.has_room()),
                    Err(LineError::TooLong) => session.line_too_long(),
                    Err(kind) => {
                        tracing::warn!(
                            peer,
                            ?kind,
                            in_data = session.in_data(),
                            "bare CR or LF refused (SMTP smuggling defence)"
                        );
                        Step::Close(Reply::BareLineEnding)
                    }
                };
                let step = match step {
                    Step::VerifyRecipient(rcpt) => {
                        let verdict = self.verify(&rcpt, peer).await;
                        session.recipient_verified(rcpt, &verdict)
                    }
                    step => step,
                };
                if let Step::Reply(reply) | Step::Close(reply) = &step {
                    self.metrics.reply(reply);
                    if ending_data {
                        self.metrics.message(reply, 0);
                    }
                }
                match step {
                    Step::Continue | Step::VerifyRecipient(_) => {}
                    Step::Reply(reply) => conn.queue(&reply),
                    Step::StartData(transaction) => match self.begin(transaction, peer).await {
                        Ok(r) => {
                            receiving = Some(r);
                            data = Some(DataClock {
                                started: Instant::now(),
                                read: 0,
                            });
                            self.metrics.reply(&Reply::StartMailInput);
                            conn.queue(&Reply::StartMailInput);
                        }
                        Err(reply) => {
                            session.data_refused();
                            self.metrics.reply(&reply);
                            conn.queue(&reply);
                        }
                    },
                    Step::Content(line) => {
                        if let Some(r) = receiving.as_mut() {
                            r.push(&line);
                            if r.buf.len() >= WRITE_CHUNK {
                                r.write_out().await;
                            }
                        }
                    }
                    Step::EndData(end) => {
                        data = None;
                        let r = receiving.take();
                        let (reply, size) = match (end, r) {
                            (Ok(()), Some(r)) => self.commit(r, peer).await,
                            (Err(reply), r) => (reply, r.map_or(0, |r| r.size())),
                            (Ok(()), None) => (Reply::LocalError, 0),
                        };
                        self.metrics.reply(&reply);
                        self.metrics.message(&reply, size);
                        conn.queue(&reply);
                    }
                    Step::StartTls => {
                        conn.queue(&Reply::ReadyToStartTls);
                        conn.flush_by(self.write_deadline(session_end)).await?;
                        return Ok(End::StartTls);
                    }
                    Step::Close(reply) => {
                        if reply == Reply::Bye {
                            held.release();
                        }
                        conn.queue(&reply);
                        conn.flush_by(self.write_deadline(session_end)).await?;
                        return Ok(End::Closed);
                    }
                }
            }
            conn.flush_by(self.write_deadline(session_end)).await?;
            let (deadline, expiry) =
                self.timeouts
                    .next_limit(Instant::now(), session_end, data.as_ref());
            let input = tokio::select! {
                biased;
                () = tokio::time::sleep_until(deadline) => Input::Expired(expiry),
                read = conn.io.read(&mut buf) => Input::Read(read),
            };
            let n = match input {
                Input::Read(read) => read?,
                Input::Expired(reply) => {
                    tracing::info!(
                        peer,
                        ?reply,
                        in_data = data.is_some(),
                        read_in_data = data.as_ref().map(|d| d.read),
                        "time limit reached; closing the connection"
                    );
                    self.metrics.reply(&reply);
                    conn.queue(&reply);
                    let _ = conn.flush_by(later(Instant::now(), FAREWELL)).await;
                    return Ok(End::Closed);
                }
            };
            if n == 0 {
                return Ok(End::Closed);
            }
            if let Some(d) = data.as_mut() {
                d.read = d.read.saturating_add(n as u64);
            }
            conn.lines.push(&buf[..n]);
        }
    }

    /// What the next hop says of a recipient (no verifier: whatever it is, it is taken).
    async fn verify(&self, rcpt: &str, peer: &str) -> Verdict {
        let Some(verifier) = &self.verifier else {
            return Verdict::Deliverable;
        };
        let verdict = verifier.verify(rcpt).await;
        match &verdict {
            Verdict::Deliverable => {}
            Verdict::Undeliverable(reply) => {
                tracing::info!(peer, recipient = rcpt, reply = %reply, "recipient refused: the next hop does not take it");
            }
            Verdict::Unknown(why) => {
                tracing::info!(peer, recipient = rcpt, why = %why, "recipient deferred: not verified");
            }
        }
        verdict
    }

    /// How long writing our replies may take: a client that does not read them is let go.
    fn write_deadline(&self, session_end: Instant) -> Instant {
        later(Instant::now(), self.timeouts.idle).min(session_end)
    }

    /// Opens the spool file a message is streamed into; the refusal to send instead of 354 when
    /// it cannot be opened.
    async fn begin(&self, t: Transaction, peer: &str) -> Result<Receiving, Reply> {
        let envelope = Envelope {
            queue_id: new_queue_id(),
            from: t.from,
            recipients: t.recipients,
            helo: t.helo,
            peer: peer.to_string(),
            tls: t.tls,
            smtputf8: t.smtputf8,
            received_ms: 0,
            size: 0,
            origin: Origin::Inbound,
            client: t.client,
        };
        let spool = self.spool.clone();
        match tokio::task::spawn_blocking(move || spool.create(&envelope)).await {
            Ok(Ok(file)) => Ok(Receiving {
                file: Some(file),
                buf: Vec::new(),
                error: None,
            }),
            Ok(Err(error)) => {
                tracing::error!(peer, %error, "cannot start a spool file");
                Err(self.storage_failure())
            }
            Err(error) => {
                tracing::error!(peer, %error, "spool task failed");
                Err(Reply::LocalError)
            }
        }
    }

    /// 452 when the spool's disk is (nearly) full, 451 for any other storage failure.
    fn storage_failure(&self) -> Reply {
        if self.spool.has_room() {
            Reply::LocalError
        } else {
            Reply::InsufficientStorage
        }
    }

    /// Writes the rest of a finished message, fsyncs it and moves it into the queue; 250 only
    /// once that is done. Returns the reply and the message size.
    async fn commit(&self, mut r: Receiving, peer: &str) -> (Reply, usize) {
        r.write_out().await;
        let size = r.size();
        let file = match (r.file.take(), r.error.take()) {
            (Some(file), None) => file,
            (_, error) => {
                if let Some(error) = error {
                    tracing::error!(peer, %error, "cannot spool message");
                }
                return (self.storage_failure(), size);
            }
        };
        let committed = tokio::task::spawn_blocking(move || file.commit(now_ms())).await;
        let reply = match committed {
            Ok(Ok(envelope)) => {
                tracing::info!(
                    queue_id = %envelope.queue_id,
                    from = %envelope.from,
                    recipients = ?envelope.recipients,
                    size = envelope.size,
                    peer,
                    client_addr = envelope.client.as_ref().and_then(|c| c.addr.as_deref()),
                    client_name = envelope.client.as_ref().and_then(|c| c.name.as_deref()),
                    tls = envelope.tls,
                    "message accepted and spooled"
                );
                self.wake.notify_one();
                Reply::Queued(envelope.queue_id)
            }
            Ok(Err(error)) => {
                tracing::error!(peer, %error, "cannot spool message");
                self.storage_failure()
            }
            Err(error) => {
                tracing::error!(peer, %error, "spool task failed");
                Reply::LocalError
            }
        };
        (reply, size)
    }

    /// Accepts connections until `shutdown` turns true.
    pub async fn listen(
        self: Arc<Self>,
        listener: TcpListener,
        limits: ConnectionLimits,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let admission = Admission::new(limits);
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = shutdown.changed() => return,
            };
            let (stream, addr) = match accepted {
                Ok(a) => a,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let admitted = admission.admit(addr.ip());
            tokio::spawn(self.clone().connection(stream, addr, admitted));
        }
    }

    /// One accepted connection: refused with the limit's reply, or served to its end.
    async fn connection<S>(
        self: Arc<Self>,
        mut stream: S,
        addr: std::net::SocketAddr,
        admitted: Result<Held, Reply>,
    ) where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let held = match admitted {
            Ok(held) => held,
            Err(reply) => {
                self.metrics.connection_refused();
                tracing::info!(peer = %addr, ?reply, "connection refused by limit");
                let _ = stream.write_all(&reply.render()).await;
                return;
            }
        };
        self.metrics.connection();
        let peer = addr.to_string();
        if let Err(error) = self.serve_holding(stream, &peer, held).await {
            tracing::debug!(peer, %error, "connection ended with an error");
        }
    }
}

/// The connection limits of one listener.
struct Admission {
    slots: Arc<Semaphore>,
    per_address: Arc<Mutex<HashMap<IpAddr, usize>>>,
    limits: ConnectionLimits,
}

impl Admission {
    fn new(limits: ConnectionLimits) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limits.total)),
            per_address: Arc::default(),
            limits,
        }
    }

    /// Counts a new connection from `ip`, or says which limit refuses it.
    fn admit(&self, ip: IpAddr) -> Result<Held, Reply> {
        let slot = self
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| Reply::TooManyConnections)?;
        let address = AddressSlot::take(&self.per_address, ip, self.limits.per_address)
            .ok_or(Reply::TooManyConnectionsFromAddress)?;
        Ok(Held {
            slot: Some(slot),
            address: Some(address),
        })
    }
}

/// What a connection holds against the limits: given back at QUIT, or when it ends.
#[derive(Default)]
struct Held {
    slot: Option<OwnedSemaphorePermit>,
    address: Option<AddressSlot>,
}

impl Held {
    fn release(&mut self) {
        self.slot = None;
        self.address = None;
    }
}

/// A message being received: its spool file and the content not yet written to it.
struct Receiving {
    /// `None` once a write failed (the file is then already removed).
    file: Option<IncomingMessage>,
    buf: Vec<u8>,
    /// The first write failure; the message is then refused at its end.
    error: Option<SpoolError>,
}

impl Receiving {
    fn push(&mut self, line: &[u8]) {
        if self.file.is_some() {
            self.buf.extend_from_slice(line);
            self.buf.extend_from_slice(b"\r\n");
        }
    }

    /// Message bytes received so far.
    fn size(&self) -> usize {
        let written = self.file.as_ref().map_or(0, IncomingMessage::size);
        usize::try_from(written).unwrap_or(usize::MAX) + self.buf.len()
    }

    /// Writes the buffered content on a blocking thread.
    async fn write_out(&mut self) {
        let Some(mut file) = self.file.take() else {
            self.buf.clear();
            return;
        };
        if self.buf.is_empty() {
            self.file = Some(file);
            return;
        }
        let mut chunk = std::mem::take(&mut self.buf);
        let written = tokio::task::spawn_blocking(move || {
            let result = file.write(&chunk);
            chunk.clear();
            (file, chunk, result)
        })
        .await;
        match written {
            Ok((file, chunk, Ok(()))) => {
                self.file = Some(file);
                self.buf = chunk;
            }
            Ok((_, _, Err(error))) => self.error = Some(error),
            Err(error) => {
                self.error = Some(SpoolError::Io {
                    path: "incoming".into(),
                    source: io::Error::other(error),
                })
            }
        }
    }
}

/// Limits on simultaneous connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub total: usize,
    pub per_address: usize,
}

/// The client a connection is counted against: its IPv4 address (an IPv4-mapped IPv6 address
/// folded to it), or the /64 of its IPv6 address, as one IPv6 client usually holds a whole /64
/// and can pick a new address for every connection.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

/// One connection counted against its client (see [`client_key`]); released when dropped.
struct AddressSlot {
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl AddressSlot {
    fn take(counts: &Arc<Mutex<HashMap<IpAddr, usize>>>, ip: IpAddr, max: usize) -> Option<Self> {
        let ip = client_key(ip);
        let mut map = counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = map.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Self {
            counts: counts.clone(),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut map = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// A queue id: arrival time in hex then random digits, so names sort roughly by arrival.
pub fn new_queue_id() -> String {
    format!("{:011x}{:08x}", now_ms(), rand::random::<u32>())
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use tokio::io::{DuplexStream, ReadBuf};

    use super::*;

    /// The server's side of a connection whose close does not finish (a TLS close to a client
    /// that does not read, a loaded machine): the connection task lingers after its 221.
    struct LingeringClose(DuplexStream);

    impl AsyncRead for LingeringClose {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Pin::new(&mut self.0).poll_read(cx, buf)
        }
    }

    impl AsyncWrite for LingeringClose {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.0).poll_write(cx, buf)
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.0).poll_flush(cx)
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Pending
        }
    }

    fn server(data: &std::path::Path) -> Arc<Server> {
        Arc::new(Server {
            session: Arc::new(SessionConfig {
                hostname: "gw.test".into(),
                ..SessionConfig::default()
            }),
            spool: Arc::new(Spool::open(data, 0).unwrap()),
            tls: None,
            timeouts: Timeouts::default(),
            wake: Arc::new(Notify::new()),
            metrics: Arc::default(),
            verifier: None,
        })
    }

    /// A client running 20 sessions at a time, each opening the next as soon as it read the
    /// 221 of the last, was refused with 421 now and then under the default limit of 20 per
    /// address: a session still counted while it closed.
    #[tokio::test]
    async fn back_to_back_sessions_at_the_per_address_limit_are_never_refused() {
        let data = tempfile::tempdir().unwrap();
        let server = server(data.path());
        let admission = Admission::new(ConnectionLimits {
            total: 500,
            per_address: 20,
        });
        let addr: std::net::SocketAddr = "192.0.2.7:40000".parse().unwrap();
        let mut lingering = Vec::new();
        let mut refused = Vec::new();
        for round in 0..5 {
            let mut clients = Vec::new();
            for stream in 0..20 {
                let (client, server_side) = tokio::io::duplex(4096);
                let admitted = admission.admit(addr.ip());
                if let Err(reply) = &admitted {
                    refused.push(format!("round {round}, stream {stream}: {reply:?}"));
                }
                lingering.push(tokio::spawn(server.clone().connection(
                    LingeringClose(server_side),
                    addr,
                    admitted,
                )));
                clients.push(client);
            }
            for client in &mut clients {
                client.write_all(b"EHLO c.test\r\nQUIT\r\n").await.unwrap();
                let mut seen = Vec::new();
                let mut buf = [0u8; 1024];
                while !seen.windows(4).any(|w| w == b"221 ") && !seen.starts_with(b"421") {
                    let n = client.read(&mut buf).await.unwrap();
                    assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&seen));
                    seen.extend_from_slice(&buf[..n]);
                }
            }
        }
        for task in lingering {
            task.abort();
        }
        assert!(refused.is_empty(), "refused: {refused:?}");
    }

    /// An IPv6 client usually holds a whole /64 and could connect from a new address for each
    /// connection, so the per-address limit counted nothing; IPv4-mapped addresses are the IPv4
    /// client they carry.
    #[test]
    fn ipv6_clients_of_one_64_share_the_per_address_limit() {
        let counts = Arc::new(Mutex::new(HashMap::new()));
        let take = |ip: &str| AddressSlot::take(&counts, ip.parse().unwrap(), 1);
        let first = take("2001:db8:1:2::1");
        assert!(first.is_some());
        assert!(take("2001:db8:1:2:ffff:ffff:ffff:fffe").is_none());
        let other_64 = take("2001:db8:1:3::1");
        assert!(other_64.is_some());
        let v4 = take("::ffff:192.0.2.1");
        assert!(v4.is_some());
        assert!(take("192.0.2.1").is_none());
        assert!(take("192.0.2.2").is_some());
        drop(first);
        assert!(
            take("2001:db8:1:2::2").is_some(),
            "released with the connection"
        );
    }
}
