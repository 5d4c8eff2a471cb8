//! `mamori gateway`: the 無害化 SMTP gateway, and `mamori gateway status`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use mamori_gateway::quarantine::Direction;
use mamori_gateway::{Gateway, GatewayConfig};

use crate::messages::msg;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct GatewayArgs {
    #[command(subcommand)]
    command: Option<GatewayCommand>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum GatewayCommand {
    /// スプールの件数を表示する (show the queue counts)
    Status(StatusArgs),
}

#[derive(Args)]
struct StatusArgs {
    /// Data folder holding the spool.
    #[arg(long = "data", default_value = "./mamori-data", env = "MAMORI_DATA")]
    data: PathBuf,
}

#[derive(Args)]
struct RunArgs {
    /// Address to accept SMTP on.
    #[arg(long, required = true, env = "MAMORI_GATEWAY_LISTEN")]
    listen: Option<SocketAddr>,
    /// Where sanitized mail goes: `HOST:PORT` or `smtp:HOST:PORT` (SMTP), `lmtp:HOST:PORT` (LMTP).
    #[arg(long, required = true, env = "MAMORI_GATEWAY_NEXT_HOP")]
    next_hop: Option<String>,
    /// STARTTLS to the next hop: `none`, `opportunistic` (when offered, certificate not checked)
    /// or `required` (verified against --next-hop-ca; never sent in clear).
    #[arg(long, default_value = "none", env = "MAMORI_GATEWAY_NEXT_HOP_TLS")]
    next_hop_tls: mamori_gateway::TlsMode,
    /// PEM CA certificates the next hop's certificate must chain to.
    #[arg(long)]
    next_hop_ca: Option<PathBuf>,
    /// Name the next hop's certificate must carry, when not the host of --next-hop.
    #[arg(long)]
    next_hop_tls_name: Option<String>,
    /// Address or CIDR block of a front MTA allowed to report the original client with
    /// XFORWARD (repeatable; e.g. 127.0.0.1 behind Postfix).
    #[arg(long = "xforward-host")]
    xforward_hosts: Vec<mamori_gateway::AddressRange>,
    /// Address or CIDR block of internal mail servers that may send to any domain (repeatable;
    /// the outbound direction, like Postfix's mynetworks). Others may send only to --accept-domain.
    #[arg(long = "relay-network")]
    relay_networks: Vec<mamori_gateway::AddressRange>,
    /// Recipient domain to accept mail for (repeatable); every other domain is refused.
    #[arg(long = "accept-domain", required = true, num_args = 1..)]
    accept_domains: Vec<String>,
    /// Data folder: the spool and the quarantine live here.
    #[arg(long = "data", default_value = "./mamori-data", env = "MAMORI_DATA")]
    data: PathBuf,
    /// TOML file with the sanitize policy and limits, as `mamori sanitize --config` takes it (the
    /// file itself or its `[sanitize]` table); without it, the safe defaults.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Largest message accepted, in bytes.
    #[arg(long)]
    max_size: Option<usize>,
    /// PEM certificate chain for STARTTLS.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for STARTTLS.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Name the gateway gives itself in SMTP.
    #[arg(long, default_value = "mamori-gateway")]
    hostname: String,
    /// Most recipients in one message.
    #[arg(long, default_value_t = 100)]
    max_recipients: usize,
    /// New mail is refused with 452 when the spool's disk has less free space than this (MiB).
    #[arg(long, default_value_t = 256)]
    min_free_mb: u64,
    /// How long to keep retrying before returning a message to its sender (hours).
    #[arg(long, default_value_t = 120)]
    queue_lifetime_hours: u64,
    /// Delay before the first retry when the next hop is down (seconds); doubled after each
    /// further failure.
    #[arg(long, default_value_t = 60)]
    retry_first_secs: u64,
    /// How long originals are kept in quarantine (days), for every verdict; the retention purge
    /// runs daily.
    #[arg(long, default_value_t = 30)]
    quarantine_days: u64,
    /// Days to keep the originals of sanitized messages (default: --quarantine-days).
    #[arg(long)]
    quarantine_days_sanitized: Option<u64>,
    /// Days to keep messages quarantined whole (default: --quarantine-days).
    #[arg(long)]
    quarantine_days_quarantined: Option<u64>,
    /// Days to keep outbound mail held for approval (default: --quarantine-days).
    #[arg(long)]
    quarantine_days_held: Option<u64>,
    /// 方向: `inbound` (Internet → LGWAN: sanitize) or `outbound` (LGWAN → Internet: check for
    /// 個人番号 and 機密性3 markings, hold what carries any for approval, pass the rest unchanged).
    #[arg(long, value_enum, default_value_t = DirectionArg::Inbound, env = "MAMORI_GATEWAY_DIRECTION")]
    direction: DirectionArg,
    /// Outbound: a marking that holds a message (repeatable; default 機密性3, which also finds
    /// 機密性３ and 機密性3A).
    #[arg(long = "hold-marking")]
    hold_markings: Vec<String>,
    /// Outbound: do not look for 個人番号.
    #[arg(long)]
    no_my_number_check: bool,
    /// Most simultaneous SMTP connections.
    #[arg(long, default_value_t = 500)]
    max_connections: usize,
    /// Most simultaneous SMTP connections from one client: an IPv4 address, or an IPv6 /64
    /// (IPv4-mapped IPv6 addresses count as their IPv4 address).
    #[arg(long, default_value_t = 20)]
    max_connections_per_address: usize,
    /// Longest SMTP connection (seconds), whatever the client does; a client still connected
    /// then gets 421 4.4.2.
    #[arg(long, default_value_t = 900)]
    session_timeout_secs: u64,
    /// Longest DATA phase (seconds), from 354 to the end of the message.
    #[arg(long, default_value_t = 600)]
    data_timeout_secs: u64,
    /// Least average rate (bytes per second) at which a message must arrive once
    /// --data-rate-grace-secs have passed since 354; slower clients get 421 4.4.2. 0 turns the
    /// minimum off.
    #[arg(long, default_value_t = 500)]
    min_data_rate: u64,
    /// Seconds after 354 before --min-data-rate applies.
    #[arg(long, default_value_t = 30)]
    data_rate_grace_secs: u64,
    /// Ask the next hop about each recipient of an --accept-domain at RCPT time
    /// (MAIL FROM:<>, RCPT TO, RSET, QUIT; results cached 7 days if taken, 3 hours if refused):
    /// a recipient it refuses permanently is refused with 550 5.1.1 instead of bounced later;
    /// while it cannot tell (unreachable, 4xx), 450 4.1.1. The next hop must check recipients
    /// at RCPT for this to help.
    #[arg(long)]
    verify_recipients: bool,
    /// Messages sanitized and delivered to the next hop at the same time.
    #[arg(long, default_value_t = 4)]
    delivery_concurrency: usize,
    /// Address to serve Prometheus `/metrics` on (plain HTTP; keep it on a management network).
    #[arg(long, env = "MAMORI_GATEWAY_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DirectionArg {
    Inbound,
    Outbound,
}

pub async fn run(args: GatewayArgs) -> anyhow::Result<ExitCode> {
    if let Some(GatewayCommand::Status(status)) = args.command {
        let counts = mamori_gateway::status(&status.data)
            .with_context(|| msg!("cli.gateway.spool_unreadable", path = status.data.display()))?;
        println!("queued    {}", counts.queued);
        println!("deferred  {}", counts.deferred);
        println!("delivered {}", counts.delivered);
        println!("failed    {}", counts.failed);
        println!("incoming  {}", counts.incoming);
        return Ok(ExitCode::SUCCESS);
    }
    let a = args.run;
    let (Some(listen), Some(next_hop)) = (a.listen, a.next_hop) else {
        anyhow::bail!(msg!("cli.gateway.listen_required"));
    };
    std::fs::create_dir_all(&a.data)
        .with_context(|| msg!("cli.file.creating", path = a.data.display()))?;
    let mut config = GatewayConfig::new(listen, next_hop, a.accept_domains, a.data);
    if let Some(path) = &a.config {
        config.policy = crate::sanitize_cmd::load_policy(path)?;
    }
    config.hostname = a.hostname;
    if let Some(max) = a.max_size {
        config.max_message_bytes = max;
    }
    config.tls_cert = a.tls_cert;
    config.tls_key = a.tls_key;
    config.next_hop_tls = a.next_hop_tls;
    config.next_hop_ca_file = a.next_hop_ca;
    config.next_hop_tls_name = a.next_hop_tls_name;
    config.xforward_hosts = a.xforward_hosts;
    config.relay_networks = a.relay_networks;
    config.max_recipients = a.max_recipients;
    config.min_free_bytes = a.min_free_mb.saturating_mul(1024 * 1024);
    config.retry.lifetime = Duration::from_secs(a.queue_lifetime_hours.saturating_mul(3600));
    config.retry.first_delay = Duration::from_secs(a.retry_first_secs.max(1));
    config.retention = retention(
        Some(a.quarantine_days),
        a.quarantine_days_sanitized,
        a.quarantine_days_quarantined,
        a.quarantine_days_held,
    );
    config.direction = match a.direction {
        DirectionArg::Inbound => Direction::Inbound,
        DirectionArg::Outbound => Direction::Outbound,
    };
    if !a.hold_markings.is_empty() {
        config.outbound.markings = a.hold_markings;
    }
    config.outbound.my_number = !a.no_my_number_check;
    config.metrics_listen = a.metrics_listen;
    config.max_connections = a.max_connections.max(1);
    config.max_connections_per_address = a.max_connections_per_address.max(1);
    config.delivery_concurrency = a.delivery_concurrency.max(1);
    config.session_timeout = Duration::from_secs(a.session_timeout_secs.max(1));
    config.data_timeout = Duration::from_secs(a.data_timeout_secs.max(1));
    config.min_data_rate = a.min_data_rate;
    config.verify_recipients = a.verify_recipients;
    config.data_rate_grace = Duration::from_secs(a.data_rate_grace_secs);
    let gateway = Gateway::start(config).await?;
    eprintln!(
        "{}",
        msg!("cli.gateway.listening", addr = gateway.local_addr())
    );
    if let Some(addr) = gateway.metrics_addr() {
        eprintln!("{}", msg!("cli.gateway.metrics", addr = addr));
    }
    stop_requested().await?;
    gateway.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// 保存期間 by verdict: each verdict's own days, else the common days, else 30.
pub fn retention(
    all: Option<u64>,
    sanitized: Option<u64>,
    quarantined: Option<u64>,
    held: Option<u64>,
) -> mamori_gateway::quarantine::Retention {
    let days = |d: Option<u64>| Duration::from_secs(d.or(all).unwrap_or(30).saturating_mul(86400));
    mamori_gateway::quarantine::Retention {
        sanitized: days(sanitized),
        quarantined: days(quarantined),
        held: days(held),
    }
}

/// Ctrl-C, or SIGTERM from a service manager: stop after the deliveries in progress.
async fn stop_requested() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await
}
