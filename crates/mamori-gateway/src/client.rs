//! A small SMTP and LMTP client for delivery to the next hop.
//!
//! Our own rather than `lettre`: delivery needs the exact envelope (null sender, several
//! recipients with per-recipient results, SMTPUTF8 only when the envelope needs it), a message that
//! is already formatted bytes, LMTP's one reply per recipient after DATA, and reply codes
//! classified into temporary and permanent for the retry logic. That is a few hundred lines over
//! the same strict line codec the server uses, whereas lettre brings its own builder, transport
//! and TLS stack we would not use.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::codec::{LineBuffer, MAX_LINE};

/// The protocol spoken to the next hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    #[default]
    Smtp,
    /// RFC 2033: `LHLO`, and one reply per accepted recipient after DATA.
    Lmtp,
}

/// STARTTLS towards the next hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Never: the next hop is reached over a trusted path (e.g. loopback).
    #[default]
    None,
    /// STARTTLS when the next hop offers it, without checking its certificate (protects against
    /// passive eavesdropping only); in clear otherwise, or when the handshake fails.
    Opportunistic,
    /// STARTTLS with a certificate that chains to the configured CA and names the next hop;
    /// otherwise the message waits (temporary failure), never sent in clear.
    Required,
}

impl std::str::FromStr for TlsMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(TlsMode::None),
            "opportunistic" => Ok(TlsMode::Opportunistic),
            "required" => Ok(TlsMode::Required),
            other => Err(format!(
                "unknown TLS mode {other:?} (none, opportunistic or required)"
            )),
        }
    }
}

/// Why the next hop's settings are unusable.
#[derive(Debug, thiserror::Error)]
pub enum NextHopError {
    #[error("next hop {0:?}: expected HOST:PORT, smtp:HOST:PORT or lmtp:HOST:PORT")]
    Address(String),
    #[error("next hop CA file {path}: {detail}")]
    CaFile { path: PathBuf, detail: String },
    #[error("next hop TLS: {0}")]
    Tls(String),
}

/// Splits `[smtp:|lmtp:]HOST:PORT` into the protocol and `HOST:PORT`.
pub fn parse_next_hop(spec: &str) -> Result<(Protocol, String), NextHopError> {
    let (protocol, address) = if let Some(rest) = spec.strip_prefix("lmtp:") {
        (Protocol::Lmtp, rest)
    } else if let Some(rest) = spec.strip_prefix("smtp:") {
        (Protocol::Smtp, rest)
    } else {
        (Protocol::Smtp, spec)
    };
    let bad = || NextHopError::Address(spec.to_string());
    let (host, port) = address.rsplit_once(':').ok_or_else(bad)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty()
        || host.contains(|c: char| c.is_whitespace() || c == '/')
        || port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err(bad());
    }
    Ok((protocol, address.to_string()))
}

/// TLS settings for the next hop, built once at start.
#[derive(Clone)]
pub struct NextHopTls {
    pub mode: TlsMode,
    connector: TlsConnector,
    /// Name the certificate must carry; the next hop's host when not given.
    server_name: Option<String>,
}

impl std::fmt::Debug for NextHopTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NextHopTls")
            .field("mode", &self.mode)
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl NextHopTls {
    /// `None` for [`TlsMode::None`]. `required` needs a CA file (PEM) to verify against;
    /// `opportunistic` does not verify, whatever is given.
    pub fn new(
        mode: TlsMode,
        ca_file: Option<&Path>,
        server_name: Option<String>,
    ) -> Result<Option<Self>, NextHopError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| NextHopError::Tls(e.to_string()))?;
        let config = match mode {
            TlsMode::None => return Ok(None),
            TlsMode::Opportunistic => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
                .with_no_client_auth(),
            TlsMode::Required => {
                let Some(path) = ca_file else {
                    return Err(NextHopError::Tls(
                        "TLS mode `required` needs a CA file to verify the next hop against".into(),
                    ));
                };
                builder
                    .with_root_certificates(load_roots(path)?)
                    .with_no_client_auth()
            }
        };
        if let Some(name) = &server_name {
            ServerName::try_from(name.as_str())
                .map_err(|e| NextHopError::Tls(format!("server name {name:?}: {e}")))?;
        }
        Ok(Some(Self {
            mode,
            connector: TlsConnector::from(Arc::new(config)),
            server_name,
        }))
    }
}

fn load_roots(path: &Path) -> Result<rustls::RootCertStore, NextHopError> {
    use rustls::pki_types::pem::PemObject;
    let err = |detail: String| NextHopError::CaFile {
        path: path.to_path_buf(),
        detail,
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| err(e.to_string()))? {
        roots
            .add(cert.map_err(|e| err(e.to_string()))?)
            .map_err(|e| err(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(err("no certificate found".into()));
    }
    Ok(roots)
}

/// Opportunistic TLS: any certificate is taken, but the handshake signatures are still checked,
/// so the session is encrypted to whoever holds the presented key.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct NextHop {
    /// `HOST:PORT`.
    pub address: String,
    /// Name sent in EHLO or LHLO.
    pub helo: String,
    /// Limit on connecting and on waiting for each reply.
    pub timeout: Duration,
    pub protocol: Protocol,
    /// STARTTLS settings; `None` for clear text.
    pub tls: Option<NextHopTls>,
    /// Connections kept open between deliveries; shared by the clones of this hop.
    pub cache: Arc<ConnectionCache>,
}

impl NextHop {
    /// Plain SMTP without TLS to `address`.
    pub fn smtp(address: impl Into<String>, helo: impl Into<String>, timeout: Duration) -> Self {
        Self {
            address: address.into(),
            helo: helo.into(),
            timeout,
            protocol: Protocol::Smtp,
            tls: None,
            cache: Arc::default(),
        }
    }

    fn tls_mode(&self) -> TlsMode {
        self.tls.as_ref().map_or(TlsMode::None, |t| t.mode)
    }

    /// The name the next hop's certificate must carry.
    fn server_name(&self) -> Result<ServerName<'static>, DeliveryError> {
        let configured = self.tls.as_ref().and_then(|t| t.server_name.clone());
        let name = configured.unwrap_or_else(|| {
            let host = self
                .address
                .rsplit_once(':')
                .map_or(self.address.as_str(), |(h, _)| h);
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_string()
        });
        ServerName::try_from(name.clone())
            .map_err(|e| DeliveryError::Temporary(format!("TLS server name {name:?}: {e}")))
    }
}

/// How long a connection may wait unused in the cache (Postfix's
/// `smtp_connection_cache_time_limit` is 2 s): long enough for a burst, shorter than any next
/// hop's idle timeout.
const CACHE_IDLE: Duration = Duration::from_secs(5);
/// Messages sent over one connection before it is closed (Postfix: `smtp_connection_reuse_count_limit`).
const CACHE_REUSE: u32 = 100;
/// Connections kept at most, about the number of deliveries in flight.
const CACHE_SIZE: usize = 32;

/// Connections to the next hop kept open after a delivery, so the next one skips the connection,
/// greeting, EHLO and STARTTLS (Postfix's connection cache). A cached connection is reset with
/// RSET before it carries a message; one that fails before the message content was sent is
/// dropped and the message goes over a new connection, so a connection the next hop closed
/// meanwhile costs nothing but the attempt.
#[derive(Default)]
pub struct ConnectionCache {
    idle: std::sync::Mutex<Vec<Cached>>,
}

impl std::fmt::Debug for ConnectionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionCache")
            .field("idle", &self.idle().len())
            .finish()
    }
}

struct Cached {
    conn: Connection,
    since: std::time::Instant,
    /// What the connection was opened for; a clone of a hop changed since gets its own.
    hop: (String, Protocol, TlsMode),
}

fn key(hop: &NextHop) -> (String, Protocol, TlsMode) {
    (hop.address.clone(), hop.protocol, hop.tls_mode())
}

impl ConnectionCache {
    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Cached>> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The most recently used connection to `hop` still within its idle time; older ones are
    /// closed.
    fn take(&self, hop: &NextHop) -> Option<Connection> {
        let key = key(hop);
        let mut expired = Vec::new();
        let found = {
            let mut idle = self.idle();
            let mut i = 0;
            while i < idle.len() {
                if idle[i].since.elapsed() >= CACHE_IDLE {
                    expired.push(idle.swap_remove(i).conn);
                } else {
                    i += 1;
                }
            }
            idle.iter()
                .rposition(|c| c.hop == key)
                .map(|i| idle.swap_remove(i).conn)
        };
        for conn in expired {
            tokio::spawn(conn.close());
        }
        found
    }

    /// Keeps a connection that is still good for another message, or closes it.
    async fn put(&self, hop: &NextHop, conn: Connection) {
        if conn.c.lost.is_some() {
            return;
        }
        if conn.uses >= CACHE_REUSE {
            conn.close().await;
            return;
        }
        let refused = {
            let mut idle = self.idle();
            if idle.len() < CACHE_SIZE {
                idle.push(Cached {
                    conn,
                    since: std::time::Instant::now(),
                    hop: key(hop),
                });
                None
            } else {
                Some(conn)
            }
        };
        if let Some(conn) = refused {
            conn.close().await;
        }
    }
}

/// One attempt that got past MAIL FROM: what became of each recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// Recipients the next hop took responsibility for.
    pub accepted: Vec<String>,
    /// Recipients refused temporarily, with the reply: only these are tried again.
    pub deferred: Vec<(String, String)>,
    /// Recipients the next hop refused permanently, with its reply: the sender gets a DSN.
    pub rejected: Vec<(String, String)>,
    /// The next hop's last reply to the end of data (empty when DATA was never reached).
    pub reply: String,
    /// Whether the session ran inside TLS.
    pub tls: bool,
}

/// A delivery that did not happen for any recipient.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DeliveryError {
    /// Try again later: connection failure, timeout, TLS failure, or a 4xx reply.
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// Do not try again: a 5xx reply to the whole message. Holds per-recipient replies when the
    /// next hop refused every recipient.
    #[error("permanent failure: {reply}")]
    Permanent {
        reply: String,
        rejected: Vec<(String, String)>,
    },
}

struct Reply {
    code: u16,
    text: String,
    lines: Vec<String>,
}

/// The connection: TCP, or TLS over TCP after STARTTLS.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

struct Client {
    stream: Box<dyn Stream>,
    lines: LineBuffer,
    timeout: Duration,
    /// Why the connection can no longer be used (a read or write failed, timed out, or the next
    /// hop answered garbage); once set, nothing more is sent.
    lost: Option<String>,
}

impl Client {
    async fn reply(&mut self) -> Result<Reply, DeliveryError> {
        if let Some(reason) = &self.lost {
            return Err(DeliveryError::Temporary(reason.clone()));
        }
        let result = self.read_reply().await;
        if let Err(DeliveryError::Temporary(reason)) = &result {
            self.lost = Some(reason.clone());
        }
        result
    }

    async fn read_reply(&mut self) -> Result<Reply, DeliveryError> {
        let mut lines = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            while let Some(line) = self.lines.next_line() {
                let line =
                    line.map_err(|e| DeliveryError::Temporary(format!("bad reply line: {e:?}")))?;
                let text = String::from_utf8_lossy(&line).into_owned();
                let code = text
                    .get(..3)
                    .and_then(|c| c.parse::<u16>().ok())
                    .filter(|c| (200..600).contains(c))
                    .ok_or_else(|| DeliveryError::Temporary(format!("bad reply: {text}")))?;
                let last = text.as_bytes().get(3) != Some(&b'-');
                lines.push(text.get(4..).unwrap_or("").to_string());
                if last {
                    return Ok(Reply { code, text, lines });
                }
            }
            let n = tokio::time::timeout(self.timeout, self.stream.read(&mut buf))
                .await
                .map_err(|_| DeliveryError::Temporary("timeout waiting for next hop".into()))?
                .map_err(temporary)?;
            if n == 0 {
                return Err(DeliveryError::Temporary(
                    "next hop closed the connection".into(),
                ));
            }
            self.lines.push(&buf[..n]);
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), DeliveryError> {
        if let Some(reason) = &self.lost {
            return Err(DeliveryError::Temporary(reason.clone()));
        }
        let result = tokio::time::timeout(self.timeout, async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        })
        .await
        .map_err(|_| DeliveryError::Temporary("timeout writing to next hop".into()))
        .and_then(|r| r.map_err(temporary));
        if let Err(DeliveryError::Temporary(reason)) = &result {
            self.lost = Some(reason.clone());
        }
        result
    }

    /// Writes a message's pieces, one after the other, as DATA content, [`DATA_CHUNK`] at a
    /// time.
    async fn send_data(&mut self, message: &[&[u8]]) -> Result<(), DeliveryError> {
        let mut stuffing = Stuffing::new();
        let mut out = Vec::with_capacity(DATA_CHUNK + 2);
        for piece in message {
            let mut rest = *piece;
            while !rest.is_empty() {
                stuffing.fill(&mut rest, &mut out, DATA_CHUNK);
                if out.len() >= DATA_CHUNK {
                    self.send(&out).await?;
                    out.clear();
                }
            }
        }
        stuffing.finish(&mut out);
        self.send(&out).await
    }

    async fn command(&mut self, line: &str) -> Result<Reply, DeliveryError> {
        self.send(format!("{line}\r\n").as_bytes()).await?;
        self.reply().await
    }

    async fn quit(&mut self) {
        if self.lost.is_none() {
            let _ = self.command("QUIT").await;
        }
    }

    /// EHLO (HELO if refused) or LHLO; returns the extension keywords in upper case.
    async fn hello(&mut self, hop: &NextHop) -> Result<Vec<String>, DeliveryError> {
        let verb = match hop.protocol {
            Protocol::Smtp => "EHLO",
            Protocol::Lmtp => "LHLO",
        };
        let r = self.command(&format!("{verb} {}", hop.helo)).await?;
        if r.code == 250 {
            return Ok(r
                .lines
                .iter()
                .skip(1)
                .map(|l| l.to_ascii_uppercase())
                .collect());
        }
        if hop.protocol == Protocol::Lmtp {
            return Err(failure(&r));
        }
        let helo = self.command(&format!("HELO {}", hop.helo)).await?;
        if helo.code != 250 {
            return Err(failure(&helo));
        }
        Ok(Vec::new())
    }
}

fn temporary(e: io::Error) -> DeliveryError {
    DeliveryError::Temporary(e.to_string())
}

fn failure(reply: &Reply) -> DeliveryError {
    if reply.code >= 500 {
        DeliveryError::Permanent {
            reply: reply.text.clone(),
            rejected: Vec::new(),
        }
    } else {
        DeliveryError::Temporary(reply.text.clone())
    }
}

/// Why a connection could not be opened.
enum Failed {
    Delivery(DeliveryError),
    /// The TLS handshake failed: with opportunistic TLS, try once more in clear.
    Handshake(String),
}

impl From<DeliveryError> for Failed {
    fn from(e: DeliveryError) -> Self {
        Failed::Delivery(e)
    }
}

/// A connection to the next hop that was greeted and said hello, inside TLS when it should be.
struct Connection {
    c: Client,
    extensions: Vec<String>,
    tls: bool,
    /// Messages whose content was sent over this connection.
    uses: u32,
    /// The content of the current transaction's message went out: from then on a failure may
    /// leave the message delivered, and it is never sent again at once.
    content_sent: bool,
}

impl Connection {
    /// Connects, falling back to clear text once when an opportunistic handshake fails.
    async fn open(hop: &NextHop) -> Result<Self, DeliveryError> {
        let tls = hop.tls_mode() != TlsMode::None;
        match Self::attempt(hop, tls).await {
            Ok(c) => Ok(c),
            Err(Failed::Delivery(e)) => Err(e),
            Err(Failed::Handshake(reason)) if hop.tls_mode() == TlsMode::Opportunistic => {
                tracing::warn!(next_hop = %hop.address, reason, "TLS handshake failed; delivering in clear");
                match Self::attempt(hop, false).await {
                    Ok(c) => Ok(c),
                    Err(Failed::Delivery(e)) => Err(e),
                    Err(Failed::Handshake(reason)) => Err(DeliveryError::Temporary(reason)),
                }
            }
            Err(Failed::Handshake(reason)) => Err(DeliveryError::Temporary(reason)),
        }
    }

    async fn attempt(hop: &NextHop, use_tls: bool) -> Result<Self, Failed> {
        let stream = tokio::time::timeout(hop.timeout, TcpStream::connect(&hop.address))
            .await
            .map_err(|_| DeliveryError::Temporary("timeout connecting to next hop".into()))?
            .map_err(temporary)?;
        let mut c = Client {
            stream: Box::new(stream),
            lines: LineBuffer::new(MAX_LINE),
            timeout: hop.timeout,
            lost: None,
        };
        match Self::greet(&mut c, hop, use_tls).await {
            Ok((extensions, tls)) => Ok(Self {
                c,
                extensions,
                tls,
                uses: 0,
                content_sent: false,
            }),
            Err(Failed::Delivery(e)) => {
                c.quit().await;
                Err(Failed::Delivery(e))
            }
            Err(handshake) => Err(handshake),
        }
    }

    /// Greeting, hello and STARTTLS; the extensions offered (inside TLS, when it started).
    async fn greet(
        c: &mut Client,
        hop: &NextHop,
        use_tls: bool,
    ) -> Result<(Vec<String>, bool), Failed> {
        let greeting = c.reply().await?;
        if greeting.code != 220 {
            return Err(failure(&greeting).into());
        }
        let mut extensions = c.hello(hop).await?;
        let mut tls = false;
        if let (true, Some(settings)) = (use_tls, &hop.tls) {
            let required = settings.mode == TlsMode::Required;
            if !has(&extensions, "STARTTLS") {
                if required {
                    return Err(DeliveryError::Temporary(
                        "next hop does not offer STARTTLS, which is required".into(),
                    )
                    .into());
                }
            } else {
                let r = c.command("STARTTLS").await?;
                if r.code != 220 {
                    if required {
                        return Err(DeliveryError::Temporary(format!(
                            "STARTTLS refused: {}",
                            r.text
                        ))
                        .into());
                    }
                } else {
                    // Bytes after the 220 were sent before TLS and must not be read as inside it.
                    if c.lines.pending() > 0 {
                        return Err(DeliveryError::Temporary(
                            "next hop sent data after its STARTTLS reply".into(),
                        )
                        .into());
                    }
                    let name = hop.server_name()?;
                    let plain = std::mem::replace(&mut c.stream, Box::new(tokio::io::duplex(1).0));
                    let handshake = settings.connector.connect(name, plain);
                    let stream = match tokio::time::timeout(hop.timeout, handshake).await {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            return Err(Failed::Handshake(format!("TLS handshake: {e}")));
                        }
                        Err(_) => return Err(Failed::Handshake("TLS handshake timed out".into())),
                    };
                    c.stream = Box::new(stream);
                    tls = true;
                    extensions = c.hello(hop).await?;
                }
            }
        }
        Ok((extensions, tls))
    }

    /// `MAIL FROM`, with BODY=8BITMIME when offered and SMTPUTF8 when the envelope needs it.
    async fn mail(&mut self, from: &str, smtputf8: bool) -> Result<(), DeliveryError> {
        if !sendable(from) {
            return Err(DeliveryError::Permanent {
                reply: "5.1.7 the sender address holds a control character; not sent".into(),
                rejected: Vec::new(),
            });
        }
        let mut mail = format!("MAIL FROM:<{from}>");
        if has(&self.extensions, "8BITMIME") {
            mail.push_str(" BODY=8BITMIME");
        }
        if smtputf8 {
            if !has(&self.extensions, "SMTPUTF8") {
                return Err(DeliveryError::Permanent {
                    reply: "next hop does not support SMTPUTF8".into(),
                    rejected: Vec::new(),
                });
            }
            mail.push_str(" SMTPUTF8");
        }
        let r = self.c.command(&mail).await?;
        if r.code != 250 {
            return Err(failure(&r));
        }
        Ok(())
    }

    /// One mail transaction: what became of each recipient.
    async fn transaction(
        &mut self,
        protocol: Protocol,
        from: &str,
        recipients: &[String],
        message: &[&[u8]],
        smtputf8: bool,
    ) -> Result<Delivered, DeliveryError> {
        self.content_sent = false;
        self.mail(from, smtputf8).await?;
        let c = &mut self.c;
        let mut accepted = Vec::new();
        let mut deferred = Vec::new();
        let mut rejected = Vec::new();
        for rcpt in recipients {
            if !sendable(rcpt) {
                let why = "5.1.3 the recipient address holds a control character; not sent";
                rejected.push((rcpt.clone(), why.to_string()));
                continue;
            }
            let r = c.command(&format!("RCPT TO:<{rcpt}>")).await?;
            match r.code {
                250 | 251 => accepted.push(rcpt.clone()),
                500.. => rejected.push((rcpt.clone(), r.text)),
                _ => deferred.push((rcpt.clone(), r.text)),
            }
        }
        let mut reply = String::new();
        if !accepted.is_empty() {
            let r = c.command("DATA").await?;
            if r.code != 354 {
                return Err(failure(&r));
            }
            self.content_sent = true;
            self.uses += 1;
            c.send_data(message).await?;
            match protocol {
                Protocol::Smtp => {
                    let r = c.reply().await?;
                    reply = r.text.clone();
                    match r.code {
                        200..300 => {}
                        500.. => {
                            rejected.extend(accepted.drain(..).map(|a| (a, r.text.clone())));
                        }
                        _ => deferred.extend(accepted.drain(..).map(|a| (a, r.text.clone()))),
                    }
                }
                Protocol::Lmtp => {
                    // One reply per accepted recipient, in RCPT order (RFC 2033 4.2). A recipient
                    // whose reply never came may or may not have the message: tried again.
                    let mut taken = Vec::new();
                    for rcpt in accepted.drain(..) {
                        match c.reply().await {
                            Ok(r) if (200..300).contains(&r.code) => {
                                reply = r.text;
                                taken.push(rcpt);
                            }
                            Ok(r) if r.code >= 500 => rejected.push((rcpt, r.text)),
                            Ok(r) => deferred.push((rcpt, r.text)),
                            Err(e) => deferred.push((rcpt, e.to_string())),
                        }
                    }
                    accepted = taken;
                }
            }
        }
        Delivered {
            accepted,
            deferred,
            rejected,
            reply,
            tls: self.tls,
        }
        .outcome()
    }

    /// Says goodbye and lets the connection go.
    async fn close(mut self) {
        self.c.quit().await;
    }

    /// Ends an unfinished transaction before the next one (RFC 5321 4.1.1.5).
    async fn reset(&mut self) {
        if self.c.lost.is_none()
            && let Ok(r) = self.c.command("RSET").await
            && r.code != 250
        {
            self.c.lost = Some(format!("RSET refused: {}", r.text));
        }
    }
}

/// Whether an address can go into an SMTP command: no control character, which no address
/// holds (RFC 5321 4.1.2) and which could end the command line early (a CR or LF would let the
/// rest of the address be read as a command of its own). Addresses from the SMTP session are
/// checked when received; this holds for those from anywhere else (the directory, the outbox).
fn sendable(address: &str) -> bool {
    !address.chars().any(char::is_control)
}

fn has(extensions: &[String], ext: &str) -> bool {
    extensions.iter().any(|e| e.split(' ').next() == Some(ext))
}

impl Delivered {
    /// What the recipients' fates add up to: nobody took it or will (a permanent failure), nobody
    /// took it yet (a temporary one), or some took it.
    fn outcome(self) -> Result<Delivered, DeliveryError> {
        if self.accepted.is_empty() && self.deferred.is_empty() {
            return Err(DeliveryError::Permanent {
                reply: self
                    .rejected
                    .first()
                    .map(|(_, r)| r.clone())
                    .unwrap_or_else(|| "every recipient was refused".into()),
                rejected: self.rejected,
            });
        }
        if self.accepted.is_empty() && self.rejected.is_empty() {
            let reasons: Vec<String> = self
                .deferred
                .iter()
                .map(|(r, why)| format!("{r}: {why}"))
                .collect();
            return Err(DeliveryError::Temporary(reasons.join("; ")));
        }
        Ok(self)
    }

    /// The outcome of several messages of one envelope, each for some of its recipients, as if
    /// they were one delivery.
    pub fn combine(
        results: impl IntoIterator<Item = (Vec<String>, Result<Delivered, DeliveryError>)>,
    ) -> Result<Delivered, DeliveryError> {
        let mut all = Delivered {
            accepted: Vec::new(),
            deferred: Vec::new(),
            rejected: Vec::new(),
            reply: String::new(),
            tls: true,
        };
        for (recipients, result) in results {
            match result {
                Ok(d) => {
                    all.accepted.extend(d.accepted);
                    all.deferred.extend(d.deferred);
                    all.rejected.extend(d.rejected);
                    if !d.reply.is_empty() {
                        all.reply = d.reply;
                    }
                    all.tls &= d.tls;
                }
                Err(DeliveryError::Temporary(why)) => {
                    all.tls = false;
                    all.deferred
                        .extend(recipients.into_iter().map(|r| (r, why.clone())));
                }
                Err(DeliveryError::Permanent { reply, rejected }) => {
                    all.tls = false;
                    if rejected.is_empty() {
                        all.rejected
                            .extend(recipients.into_iter().map(|r| (r, reply.clone())));
                    } else {
                        all.rejected.extend(rejected);
                    }
                }
            }
        }
        all.outcome()
    }
}

/// A connection for the next message: a cached one that answered RSET, or a new one; whether
/// it was cached.
async fn checkout(hop: &NextHop) -> Result<(Connection, bool), DeliveryError> {
    while let Some(mut conn) = hop.cache.take(hop) {
        conn.reset().await;
        if conn.c.lost.is_none() {
            return Ok((conn, true));
        }
    }
    Ok((Connection::open(hop).await?, false))
}

/// Whether a transaction that failed on a cached connection can go over a new one: the
/// connection broke before any of the message was sent, so nothing can have been delivered.
fn broke_before_content(conn: &Connection) -> bool {
    conn.c.lost.is_some() && !conn.content_sent
}

/// Delivers one message, given as pieces sent one after the other (a trace field, then the
/// body), and says what became of each recipient. A recipient is never both
/// accepted and deferred, so retrying only [`Delivered::deferred`] never duplicates a delivery.
/// The connection is taken from, and given back to, the hop's [`ConnectionCache`].
pub async fn deliver(
    hop: &NextHop,
    from: &str,
    recipients: &[String],
    message: &[&[u8]],
    smtputf8: bool,
) -> Result<Delivered, DeliveryError> {
    let (mut conn, cached) = checkout(hop).await?;
    let mut result = conn
        .transaction(hop.protocol, from, recipients, message, smtputf8)
        .await;
    if cached && result.is_err() && broke_before_content(&conn) {
        tracing::info!(next_hop = %hop.address, reason = ?conn.c.lost, "cached connection lost; delivering over a new one");
        conn = Connection::open(hop).await?;
        result = conn
            .transaction(hop.protocol, from, recipients, message, smtputf8)
            .await;
    }
    hop.cache.put(hop, conn).await;
    result
}

/// One message of an envelope: the recipients it is for and its bytes, in pieces sent one after
/// the other.
pub struct Addressed<'a> {
    pub recipients: &'a [String],
    pub message: &'a [&'a [u8]],
}

/// Delivers several messages from one sender over one connection, one transaction each (a
/// notice written for each recipient); the outcome of each, as [`deliver`] gives it. When the
/// connection is lost, the messages not yet sent are deferred with the reason.
pub async fn deliver_each(
    hop: &NextHop,
    from: &str,
    messages: &[Addressed<'_>],
    smtputf8: bool,
) -> Vec<Result<Delivered, DeliveryError>> {
    let (mut conn, mut cached) = match checkout(hop).await {
        Ok(c) => c,
        Err(e) => return messages.iter().map(|_| Err(e.clone())).collect(),
    };
    let mut results = Vec::with_capacity(messages.len());
    for (i, m) in messages.iter().enumerate() {
        if i > 0 {
            conn.reset().await;
        }
        if let Some(reason) = &conn.c.lost {
            results.push(Err(DeliveryError::Temporary(reason.clone())));
            continue;
        }
        let mut result = conn
            .transaction(hop.protocol, from, m.recipients, m.message, smtputf8)
            .await;
        if cached && result.is_err() && broke_before_content(&conn) {
            match Connection::open(hop).await {
                Ok(fresh) => {
                    conn = fresh;
                    result = conn
                        .transaction(hop.protocol, from, m.recipients, m.message, smtputf8)
                        .await;
                }
                Err(e) => result = Err(e),
            }
        }
        cached = false;
        results.push(result);
    }
    hop.cache.put(hop, conn).await;
    results
}

/// What the next hop said of a recipient when asked at RCPT time (recipient verification).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// RCPT was answered 2xx.
    Accepted,
    /// RCPT was answered 5xx (the reply), or the next hop could never take the address (a
    /// UTF-8 address and no SMTPUTF8).
    Refused(String),
    /// Nothing can be said: no connection, a 4xx, or a refusal that was not about the
    /// recipient (of the greeting, the hello, or the null sender).
    Unknown(String),
}

/// Asks the next hop whether it would take mail for `recipient`: `MAIL FROM:<>`, `RCPT TO`,
/// `RSET`, `QUIT`, over the connection a delivery would use (TLS settings included). No
/// message is sent.
pub async fn probe(hop: &NextHop, recipient: &str) -> Probe {
    let mut conn = match Connection::open(hop).await {
        Ok(conn) => conn,
        Err(e) => return Probe::Unknown(e.to_string()),
    };
    let smtputf8 = !recipient.is_ascii();
    let probe = if smtputf8 && !has(&conn.extensions, "SMTPUTF8") {
        Probe::Refused("next hop does not support SMTPUTF8".into())
    } else {
        match conn.mail("", smtputf8).await {
            Err(e) => Probe::Unknown(format!("MAIL FROM:<> not taken: {e}")),
            Ok(()) => match conn.c.command(&format!("RCPT TO:<{recipient}>")).await {
                Ok(r) if (200..300).contains(&r.code) => Probe::Accepted,
                Ok(r) if r.code >= 500 => Probe::Refused(r.text),
                Ok(r) => Probe::Unknown(r.text),
                Err(e) => Probe::Unknown(e.to_string()),
            },
        }
    };
    conn.reset().await;
    conn.c.quit().await;
    probe
}

/// How much DATA content is made before it is written: a message goes out in pieces of this
/// size, never copied whole.
const DATA_CHUNK: usize = 64 * 1024;

/// DATA content made as it is written (RFC 5321 4.5.2): every line ending made CRLF, CRs
/// dropped, a dot that begins a line doubled, then the end-of-data line. The message may come in
/// several pieces (a trace field, then the body); a line may run across them.
#[derive(Debug)]
struct Stuffing {
    /// Nothing but CRs since the last LF (or the start): a dot now begins a line.
    line_start: bool,
    /// The last byte read, if any.
    last: Option<u8>,
}

impl Stuffing {
    fn new() -> Self {
        Self {
            line_start: true,
            last: None,
        }
    }

    /// Stuffs bytes of `input` into `out` until `out` holds `cap` bytes or `input` is used up;
    /// `input` is left with what was not read.
    fn fill(&mut self, input: &mut &[u8], out: &mut Vec<u8>, cap: usize) {
        let mut read = 0;
        for &b in input.iter() {
            if out.len() >= cap {
                break;
            }
            read += 1;
            self.last = Some(b);
            match b {
                b'\r' => {}
                b'\n' => {
                    out.extend_from_slice(b"\r\n");
                    self.line_start = true;
                }
                _ => {
                    if self.line_start && b == b'.' {
                        out.push(b'.');
                    }
                    out.push(b);
                    self.line_start = false;
                }
            }
        }
        *input = &input[read..];
    }

    /// The end of the message: the last line's CRLF if it lacked one, then the end-of-data line.
    fn finish(self, out: &mut Vec<u8>) {
        if self.last.is_some_and(|b| b != b'\n') {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case("127.0.0.1:25", Some((Protocol::Smtp, "127.0.0.1:25")))]
    #[case("smtp:mx.lg.example:2525", Some((Protocol::Smtp, "mx.lg.example:2525")))]
    #[case("lmtp:127.0.0.1:24", Some((Protocol::Lmtp, "127.0.0.1:24")))]
    #[case("lmtp:[::1]:24", Some((Protocol::Lmtp, "[::1]:24")))]
    #[case("127.0.0.1", None)]
    #[case("lmtp:", None)]
    #[case(":25", None)]
    #[case("host:0", None)]
    #[case("host:99999", None)]
    #[case("host:25x", None)]
    #[case("lmtp:/var/run/lmtp:24", None)]
    #[case("ho st:25", None)]
    #[case("", None)]
    fn next_hop_addresses(#[case] spec: &str, #[case] expected: Option<(Protocol, &str)>) {
        let got = parse_next_hop(spec).ok();
        assert_eq!(got, expected.map(|(p, a)| (p, a.to_string())), "{spec}");
    }

    #[test]
    fn tls_modes_parse_and_required_needs_a_ca_file() {
        assert_eq!("required".parse(), Ok(TlsMode::Required));
        assert_eq!("opportunistic".parse(), Ok(TlsMode::Opportunistic));
        assert_eq!("none".parse(), Ok(TlsMode::None));
        assert!("yes".parse::<TlsMode>().is_err());
        assert!(
            NextHopTls::new(TlsMode::None, None, None)
                .unwrap()
                .is_none()
        );
        assert!(NextHopTls::new(TlsMode::Required, None, None).is_err());
        let missing = Path::new("/nonexistent/ca.pem");
        assert!(NextHopTls::new(TlsMode::Required, Some(missing), None).is_err());
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        assert!(matches!(
            NextHopTls::new(TlsMode::Required, Some(&empty), None),
            Err(NextHopError::CaFile { .. })
        ));
    }

    #[test]
    fn dot_stuffing_doubles_leading_dots_and_normalises_line_ends() {
        assert_eq!(
            dot_stuff(b"a\r\n.b\nc\rd\r\n"),
            b"a\r\n..b\r\ncd\r\n.\r\n".to_vec()
        );
        assert_eq!(
            dot_stuff(b"no final newline"),
            b"no final newline\r\n.\r\n".to_vec()
        );
        assert_eq!(dot_stuff(b""), b".\r\n".to_vec());
        // A CR in front of a line's dot is dropped, so the dot begins the line and is doubled:
        // left single, `\r.\n` would end the data early.
        assert_eq!(dot_stuff(b"a\n\r.\nb"), b"a\r\n..\r\nb\r\n.\r\n".to_vec());
        assert_eq!(dot_stuff(b"\r"), b"\r\n.\r\n".to_vec());
        assert_eq!(dot_stuff(b"\n"), b"\r\n.\r\n".to_vec());
    }

    /// The message as DATA content, made whole.
    fn dot_stuff(message: &[u8]) -> Vec<u8> {
        stuffed_in_pieces(&[message], usize::MAX)
    }

    /// DATA made from `pieces`, `cap` bytes at a time, as [`Client::send_data`] makes it.
    fn stuffed_in_pieces(pieces: &[&[u8]], cap: usize) -> Vec<u8> {
        let mut stuffing = Stuffing::new();
        let (mut sent, mut out) = (Vec::new(), Vec::new());
        for piece in pieces {
            let mut rest = *piece;
            while !rest.is_empty() {
                stuffing.fill(&mut rest, &mut out, cap);
                if out.len() >= cap {
                    assert!(
                        out.len() <= cap.saturating_add(1),
                        "a piece of {} bytes",
                        out.len()
                    );
                    sent.append(&mut out);
                }
            }
        }
        stuffing.finish(&mut out);
        sent.append(&mut out);
        sent
    }

    proptest::proptest! {
        #[test]
        fn data_made_in_pieces_ends_only_at_its_end_and_reads_back_as_the_message(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(b'\r'),
                    proptest::strategy::Just(b'\n'),
                    proptest::strategy::Just(b'.'),
                    proptest::prelude::any::<u8>(),
                ],
                0..300,
            ),
            cuts in proptest::collection::vec(0usize..300, 0..4),
            cap in 1usize..40,
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
            cuts.sort_unstable();
            let mut pieces: Vec<&[u8]> = Vec::new();
            let mut at = 0;
            for cut in cuts.into_iter().chain([bytes.len()]) {
                pieces.push(&bytes[at..cut]);
                at = cut;
            }
            let data = stuffed_in_pieces(&pieces, cap);
            proptest::prop_assert_eq!(&data, &dot_stuff(&bytes));

            // Lines end in CRLF only, and the only line that is a lone dot is the last.
            let body = data.strip_suffix(b".\r\n").expect("the end-of-data line");
            for (i, &b) in body.iter().enumerate() {
                match b {
                    b'\r' => proptest::prop_assert_eq!(body.get(i + 1), Some(&b'\n')),
                    b'\n' => proptest::prop_assert!(i > 0 && body[i - 1] == b'\r'),
                    _ => {}
                }
            }
            let lines: Vec<&[u8]> = match body.strip_suffix(b"\r\n") {
                Some(body) => body.split(|&b| b == b'\n').collect(),
                None => Vec::new(),
            };
            let mut read = Vec::new();
            for line in &lines {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.first() == Some(&b'.') {
                    proptest::prop_assert!(line.starts_with(b".."));
                }
                read.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
                read.push(b'\n');
            }
            // What the next hop reads back: the message with its CRs dropped and every line
            // ended, the last one too.
            let mut expected: Vec<u8> = bytes.iter().copied().filter(|&b| b != b'\r').collect();
            if !bytes.is_empty() && bytes.last() != Some(&b'\n') {
                expected.push(b'\n');
            }
            proptest::prop_assert_eq!(read, expected);
        }
    }
}
