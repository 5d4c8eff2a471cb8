//! 無害化 gateway: the SMTP relay between the Internet-connected segment and the LGWAN-connected
//! segment. Mail comes in by SMTP, is spooled durably, turned into text by `mamori-sanitize`, and
//! delivered to the next hop; the original is kept in quarantine.
//!
//! Code map:
//! - [`reply`]: every SMTP reply code and text, in one table.
//! - [`address`]: envelope mailboxes parsed once (local part, domain, onward routes).
//! - [`codec`]: strict CRLF line splitting (SMTP smuggling defence), shared by server and client.
//! - [`session`]: the server session as a pure state machine.
//! - [`server`]: its async driver over any `AsyncRead + AsyncWrite`, STARTTLS, the listener.
//! - [`spool`]: the durable spool; `250` only after the message is fsync'd.
//! - [`worker`] and [`client`]: sanitize, quarantine, deliver, retry, DSN.
//! - [`quarantine`]: the originals with their retention metadata.
//! - [`release`]: delivery of an original whose release was approved (never sanitized again).
//! - [`metrics`]: Prometheus counters and the `--metrics-listen` endpoint.
//! - [`verify`]: recipient verification against the next hop at RCPT time, with its cache.
//! - [`outbound`]: the outbound check (個人番号, 機密性3 markings) for mail leaving the LGWAN side.

#![forbid(unsafe_code)]

pub mod address;
pub mod client;
pub mod codec;
mod delivered;
pub mod metrics;
pub mod outbound;
pub mod quarantine;
pub mod release;
pub mod reply;
pub mod server;
pub mod session;
pub mod spool;
mod stalled;
pub mod verify;
pub mod worker;

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use client::{NextHop, Protocol, TlsMode};
pub use session::{AddressRange, SessionConfig};
pub use spool::{Counts, Spool, SpoolError};
pub use worker::RetryPolicy;

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: io::Error },
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error("TLS certificate or key {path}: {detail}")]
    Tls { path: PathBuf, detail: String },
    #[error("sanitize policy: {0}")]
    Policy(#[from] mamori_sanitize::PolicyError),
    #[error("no --accept-domain given: the gateway would accept mail for nobody")]
    NoDomains,
    #[error(transparent)]
    NextHop(#[from] client::NextHopError),
}

/// Everything `mamori gateway` is configured with; every value but the addresses, domains and
/// data folder has a default.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub listen: SocketAddr,
    /// `HOST:PORT`, `smtp:HOST:PORT` or `lmtp:HOST:PORT`.
    pub next_hop: String,
    /// STARTTLS towards the next hop.
    pub next_hop_tls: TlsMode,
    /// PEM CA certificates the next hop's certificate must chain to (`required` TLS).
    pub next_hop_ca_file: Option<PathBuf>,
    /// Name the next hop's certificate must carry, when not its host.
    pub next_hop_tls_name: Option<String>,
    /// Front MTAs allowed to report the original client with XFORWARD (content-filter mode).
    pub xforward_hosts: Vec<AddressRange>,
    /// Clients allowed to send to any domain (the LGWAN side's mail servers, outbound direction).
    pub relay_networks: Vec<AddressRange>,
    pub accept_domains: Vec<String>,
    pub data_dir: PathBuf,
    pub hostname: String,
    pub max_message_bytes: usize,
    pub max_recipients: usize,
    pub max_errors: u32,
    pub max_connections: usize,
    /// Most simultaneous connections from one client: an IPv4 address, or an IPv6 /64.
    pub max_connections_per_address: usize,
    /// Longest wait for a client's next command or bytes (Postfix's `smtpd_timeout`).
    pub idle_timeout: Duration,
    /// Longest SMTP connection, from accept to close.
    pub session_timeout: Duration,
    /// Longest DATA phase, from 354 to the end of data.
    pub data_timeout: Duration,
    /// Average bytes per second a client must keep up during DATA once `data_rate_grace` has
    /// passed; 0 for no minimum.
    pub min_data_rate: u64,
    pub data_rate_grace: Duration,
    /// New mail is refused with 452 when the spool's file system has less free space than this.
    pub min_free_bytes: u64,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub retry: RetryPolicy,
    /// Messages sanitized and delivered at the same time.
    pub delivery_concurrency: usize,
    pub next_hop_timeout: Duration,
    /// How long originals are kept in quarantine, by verdict.
    pub retention: quarantine::Retention,
    /// Run the retention purge once a day (and shortly after start). `mamori serve` turns it
    /// off here and runs it beside the release workflow, which knows the open requests.
    pub purge_daily: bool,
    pub policy: mamori_sanitize::Policy,
    /// Inbound (Internet → LGWAN, the default): sanitize. Outbound (LGWAN → Internet): check
    /// for 個人番号 and 機密性3 markings, hold what carries any, pass the rest unchanged.
    pub direction: quarantine::Direction,
    pub outbound: outbound::OutboundPolicy,
    /// Where to serve Prometheus `/metrics`; none by default.
    pub metrics_listen: Option<SocketAddr>,
    /// Ask the next hop about each recipient of an accepted domain at RCPT time (off by
    /// default): refused there, refused here (550 5.1.1); unknown, 450 4.1.1.
    pub verify_recipients: bool,
    pub verify: verify::VerifyPolicy,
}

impl GatewayConfig {
    pub fn new(
        listen: SocketAddr,
        next_hop: String,
        accept_domains: Vec<String>,
        data_dir: PathBuf,
    ) -> Self {
        let timeouts = server::Timeouts::default();
        Self {
            listen,
            next_hop,
            next_hop_tls: TlsMode::None,
            next_hop_ca_file: None,
            next_hop_tls_name: None,
            xforward_hosts: Vec::new(),
            relay_networks: Vec::new(),
            accept_domains,
            data_dir,
            hostname: "mamori-gateway".into(),
            max_message_bytes: 32 * 1024 * 1024,
            max_recipients: 100,
            max_errors: 10,
            max_connections: 500,
            max_connections_per_address: 20,
            idle_timeout: timeouts.idle,
            session_timeout: timeouts.session,
            data_timeout: timeouts.data,
            min_data_rate: timeouts.min_data_rate,
            data_rate_grace: timeouts.data_rate_grace,
            min_free_bytes: 256 * 1024 * 1024,
            tls_cert: None,
            tls_key: None,
            retry: RetryPolicy::default(),
            delivery_concurrency: 4,
            next_hop_timeout: Duration::from_secs(60),
            retention: quarantine::Retention::default(),
            purge_daily: true,
            policy: mamori_sanitize::Policy::default(),
            direction: quarantine::Direction::Inbound,
            outbound: outbound::OutboundPolicy::default(),
            metrics_listen: None,
            verify_recipients: false,
            verify: verify::VerifyPolicy::default(),
        }
    }
}

impl GatewayConfig {
    /// The next hop as the worker delivers to it (protocol, STARTTLS, EHLO name, timeout); a
    /// release of an original (`mamori serve`) goes the same way.
    pub fn next_hop(&self) -> Result<NextHop, GatewayError> {
        let (protocol, address) = client::parse_next_hop(&self.next_hop)?;
        let tls = client::NextHopTls::new(
            self.next_hop_tls,
            self.next_hop_ca_file.as_deref(),
            self.next_hop_tls_name.clone(),
        )?;
        Ok(NextHop {
            address,
            protocol,
            tls,
            helo: self.hostname.clone(),
            timeout: self.next_hop_timeout,
            cache: Arc::default(),
        })
    }
}

/// Loads a PEM certificate chain and private key into a TLS acceptor (ring provider).
pub fn load_tls(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor, GatewayError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let tls_err = |path: &Path, detail: String| GatewayError::Tls {
        path: path.to_path_buf(),
        detail,
    };
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| tls_err(cert, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_err(cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(tls_err(cert, "no certificate found".into()));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| tls_err(key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| tls_err(cert, e.to_string()))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// A running gateway: listener and worker.
pub struct Gateway {
    local_addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    metrics: metrics::GatewayMetrics,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Gateway {
    /// Opens the spool, binds the listener and starts the worker, which first picks up whatever
    /// a previous run left in the spool.
    pub async fn start(config: GatewayConfig) -> Result<Self, GatewayError> {
        if config.accept_domains.is_empty() {
            return Err(GatewayError::NoDomains);
        }
        let next_hop = config.next_hop()?;
        config.policy.validate()?;
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(load_tls(cert, key)?),
            (None, None) => None,
            (Some(p), None) | (None, Some(p)) => {
                return Err(GatewayError::Tls {
                    path: p.clone(),
                    detail: "--tls-cert and --tls-key go together".into(),
                });
            }
        };
        let spool = Arc::new(
            Spool::open(&config.data_dir, config.min_free_bytes)?
                .keeping_delivered(config.retention.longest()),
        );
        let quarantine = quarantine::Quarantine::open(&config.data_dir)?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| GatewayError::Listen {
                    addr: config.listen,
                    source,
                })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| GatewayError::Listen {
                addr: config.listen,
                source,
            })?;
        let metrics_listener = match config.metrics_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| GatewayError::Listen { addr, source })?,
            ),
            None => None,
        };
        let metrics_addr = metrics_listener.as_ref().and_then(|l| l.local_addr().ok());
        let counters = Arc::new(metrics::Metrics::default());
        let gateway_metrics = metrics::GatewayMetrics {
            metrics: counters.clone(),
            spool: spool.clone(),
        };
        let wake = Arc::new(Notify::new());
        let session = Arc::new(SessionConfig {
            hostname: config.hostname.clone(),
            accept_domains: config
                .accept_domains
                .iter()
                .map(|d| d.trim_end_matches('.').to_lowercase())
                .collect(),
            max_message_bytes: config.max_message_bytes,
            max_recipients: config.max_recipients,
            max_errors: config.max_errors,
            tls_available: tls.is_some(),
            xforward_hosts: config.xforward_hosts.clone(),
            relay_networks: config.relay_networks.clone(),
            verify_recipients: config.verify_recipients,
        });
        let verifier = config.verify_recipients.then(|| {
            Arc::new(verify::RecipientVerifier::new(
                next_hop.clone(),
                config.verify.clone(),
            ))
        });
        let server = Arc::new(server::Server {
            session,
            spool: spool.clone(),
            tls,
            timeouts: server::Timeouts {
                idle: config.idle_timeout,
                session: config.session_timeout,
                data: config.data_timeout,
                min_data_rate: config.min_data_rate,
                data_rate_grace: config.data_rate_grace,
            },
            wake: wake.clone(),
            metrics: counters.clone(),
            verifier,
        });
        // The engine is CPU-bound: more threads than cores or than messages in flight add nothing.
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let engine = mamori_sanitize::EnginePool::new(
            Arc::new(config.policy.clone()),
            cores.min(config.delivery_concurrency),
        )?;
        let quarantine_for_upkeep = quarantine.clone();
        let worker = worker::Worker {
            engine: Arc::new(engine),
            concurrency: config.delivery_concurrency,
            spool,
            quarantine,
            next_hop,
            retry: config.retry.clone(),
            hostname: config.hostname.clone(),
            retention: config.retention,
            wake,
            direction: config.direction,
            outbound: Arc::new(config.outbound.clone()),
            metrics: counters,
            stalled: Default::default(),
        };
        let (shutdown, rx) = watch::channel(false);
        let mut tasks = vec![
            tokio::spawn(server.listen(
                listener,
                server::ConnectionLimits {
                    total: config.max_connections,
                    per_address: config.max_connections_per_address,
                },
                rx.clone(),
            )),
            tokio::spawn(worker.run(rx.clone())),
        ];
        tasks.push(tokio::spawn(quarantine_upkeep(
            quarantine_for_upkeep,
            config.purge_daily.then_some(config.retention),
            rx.clone(),
        )));
        if let Some(listener) = metrics_listener {
            tasks.push(tokio::spawn(metrics::serve(
                listener,
                gateway_metrics.clone(),
                rx,
            )));
        }
        tracing::info!(listen = %local_addr, next_hop = %config.next_hop,
            domains = ?config.accept_domains, direction = config.direction.as_str(),
            metrics = ?metrics_addr, "gateway started");
        Ok(Self {
            local_addr,
            metrics_addr,
            metrics: gateway_metrics,
            shutdown,
            tasks,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Where `/metrics` is served, when `metrics_listen` was set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The counters in Prometheus text format (for `mamori serve` to add to its `/metrics`).
    pub fn metrics(&self) -> metrics::GatewayMetrics {
        self.metrics.clone()
    }

    /// Stops accepting connections and stops the worker after its current message. Sessions in
    /// progress end when their client does; a message without 250 is the client's to resend.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// How often the retention purge runs.
pub const PURGE_EVERY: Duration = Duration::from_secs(24 * 3600);

/// At start, brings the quarantine's index in line with its folder (entries a crash left without
/// a row); then, when `retention` is given, purges what it no longer keeps once a day.
async fn quarantine_upkeep(
    quarantine: quarantine::Quarantine,
    retention: Option<quarantine::Retention>,
    mut shutdown: watch::Receiver<bool>,
) {
    let index = quarantine.index().clone();
    let reconciled = tokio::task::spawn_blocking({
        let index = index.clone();
        move || index.reconcile()
    })
    .await;
    match reconciled {
        Ok(Ok(done)) => tracing::info!(
            added = done.added,
            dropped = done.dropped,
            unreadable = done.unreadable.len(),
            "quarantine index reconciled with its folder"
        ),
        Ok(Err(error)) => tracing::error!(%error, "quarantine index not reconciled"),
        Err(error) => tracing::error!(%error, "quarantine index not reconciled"),
    }
    let Some(retention) = retention else { return };
    loop {
        let index = index.clone();
        let now = chrono::Utc::now().timestamp_millis();
        match tokio::task::spawn_blocking(move || {
            quarantine::purge_retained(&index, &retention, now)
        })
        .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::error!(%error, "quarantine retention purge"),
            Err(error) => tracing::error!(%error, "quarantine retention purge"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PURGE_EVERY) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Queue counts of the spool under `data` (for `mamori gateway status`).
pub fn status(data: &Path) -> Result<Counts, SpoolError> {
    Spool::existing(data)?.counts()
}
