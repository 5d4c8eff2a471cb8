//! `mamori`: command-line wiring only. Every feature lives in a library crate.

mod config_file;
mod controls_cmd;
mod demo;
mod gateway_cmd;
mod messages;
mod monitor_cmd;
mod policy_cmd;
mod quarantine_cmd;
mod sanitize_cmd;
mod serve_directory;
mod serve_gateway;
mod serve_notices;
mod training_cmd;

/// mimalloc rather than the system's allocator: every request, message and row allocates many
/// small values on one thread and frees them on another (a row is built on SQLite's worker
/// thread and dropped on the runtime's), which glibc's per-thread arenas serve with locks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use mamori_core::Clock;
use mamori_core::audit::AuditKey;
use mamori_core::credentials::{
    NewPassword, TOKEN_DEFAULT_DAYS, TOKEN_MAX_DAYS, random_token, token_digest, token_expiry,
};
use mamori_core::role::{Role, Scope, ScopeKind, validate_scope};
use mamori_core::text::{Name, Username};
use mamori_store::{
    AccountStore, Anchor, AnchorBreak, AuditStore, Conflict, NewAccount, NewApiToken, Origin,
    PersonInput, SqlStore, Store, StoreError, SystemClock, read_anchor,
};

use crate::messages::msg;

#[derive(Parser)]
#[command(
    name = "mamori",
    version,
    about = "守り: 情報セキュリティポリシーの運用・無害化・監視"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Webアプリケーションを起動する (run the web application)
    Serve(ServeArgs),
    /// アカウントを管理する (manage accounts)
    #[command(subcommand)]
    User(UserCommand),
    /// APIトークンを管理する (manage API tokens)
    #[command(subcommand)]
    Token(TokenCommand),
    /// 監査証跡を検証する (verify the audit trail)
    #[command(subcommand)]
    Audit(AuditCommand),
    /// 稼働中にデータベースをバックアップする (back up the database while mamori runs)
    Backup(BackupArgs),
    /// メールを無害化する (sanitize one message)
    Sanitize(sanitize_cmd::SanitizeArgs),
    /// 無害化ゲートウェイを起動する (run the sanitizing SMTP gateway)
    Gateway(Box<gateway_cmd::GatewayArgs>),
    /// 隔離されたメールを管理する (list, show and purge quarantined originals)
    #[command(subcommand)]
    Quarantine(quarantine_cmd::QuarantineCommand),
    /// 情報セキュリティポリシーを取り込む (import a policy text)
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
    /// 対策項目集を取り込む (import a catalogue of measures)
    #[command(subcommand)]
    Controls(controls_cmd::ControlsCommand),
    /// 研修の受講記録を取り込む (import training completions)
    #[command(subcommand)]
    Training(training_cmd::TrainingCommand),
    /// 不正通信を監視する: センサーのログを区画と資産に照らす (read sensors' logs against the
    /// segments, assets and crossing matrix)
    #[command(subcommand)]
    Monitor(monitor_cmd::MonitorCommand),
}

/// Where mamori keeps its data.
#[derive(Args, Clone)]
struct DataArgs {
    /// Data folder: the SQLite database and the audit key.
    #[arg(long = "data", default_value = "./mamori-data", env = "MAMORI_DATA")]
    data: PathBuf,
    /// Database URL (`postgres://…`); the SQLite file in the data folder when absent.
    #[arg(long, env = "MAMORI_DATABASE_URL")]
    database: Option<String>,
    /// Refuse to start when the data folder or a file in it can be read by others (the
    /// default warns).
    #[arg(long, env = "MAMORI_STRICT_PERMISSIONS")]
    strict_permissions: bool,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "MAMORI_LISTEN")]
    listen: SocketAddr,
    /// Fill a fresh data folder with a demonstration organisation.
    #[arg(long)]
    demo: bool,
    /// Mark cookies Secure (set when mamori is served over TLS, e.g. behind a reverse proxy);
    /// the default when the listen address is not loopback.
    #[arg(
        long,
        env = "MAMORI_SECURE_COOKIES",
        conflicts_with = "insecure_cookies"
    )]
    secure_cookies: bool,
    /// Do not mark cookies Secure even on a non-loopback listen address (plain HTTP; a warning
    /// is printed).
    #[arg(long, env = "MAMORI_INSECURE_COOKIES")]
    insecure_cookies: bool,
    /// A session ends after this many minutes without a request (and at the latest 8 hours
    /// after login).
    #[arg(
        long,
        default_value_t = 30,
        env = "MAMORI_SESSION_IDLE_MINUTES",
        value_parser = clap::value_parser!(u64).range(1..=1440)
    )]
    session_idle_minutes: u64,
    /// Run the 無害化 gateway in this process too, configured by this TOML file (listen,
    /// next_hop, accept_domains, …), with its spool and quarantine in the data folder; the
    /// quarantine pages and the release of originals then work.
    #[arg(long, env = "MAMORI_GATEWAY_CONFIG")]
    gateway_config: Option<PathBuf>,
    /// Log people in through an LDAP directory or Active Directory, configured by this TOML
    /// file (url, user_dn or bind_dn and search_filter, [[group]] rows giving roles); local
    /// accounts still log in with their own password.
    #[arg(long, env = "MAMORI_DIRECTORY_CONFIG")]
    directory_config: Option<PathBuf>,
    /// Run the monitor in this process too, configured by this TOML file (files to follow,
    /// syslog listeners): alerts are recorded as they are found and its counters are on
    /// `/metrics`.
    #[arg(long, env = "MAMORI_MONITOR_CONFIG")]
    monitor_config: Option<PathBuf>,
    /// Mail notices (an incident report at once, the rest in a daily digest) through the site's
    /// relay, configured by this TOML file (relay, tls, from, base_url, digest_at, …).
    #[arg(long, env = "MAMORI_NOTICE_CONFIG")]
    notice_config: Option<PathBuf>,
    /// A reverse proxy (CIDR, repeatable) whose X-Forwarded-For names the client; the header is
    /// ignored from any other peer.
    #[arg(
        long = "trusted-proxy",
        value_name = "CIDR",
        env = "MAMORI_TRUSTED_PROXY",
        value_delimiter = ','
    )]
    trusted_proxy: Vec<ipnet::IpNet>,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account (and its person) from the command line.
    Create(UserCreateArgs),
}

#[derive(Args)]
struct UserCreateArgs {
    #[command(flatten)]
    data: DataArgs,
    #[arg(long)]
    username: String,
    /// Display name of the person; the username when absent.
    #[arg(long)]
    name: Option<String>,
    /// Role: ciso, security_director, security_officer, security_manager, system_administrator,
    /// csirt, auditor, staff, contractor.
    #[arg(long)]
    role: Option<String>,
    /// Scope of the role: global, organisation:ID, unit:ID or system:NAME.
    #[arg(long)]
    scope: Option<String>,
    /// Unit the person belongs to.
    #[arg(long)]
    unit: Option<i64>,
    /// Read the password from standard input. Without it a password is generated and printed
    /// once, and must be changed at the first login.
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for an account; it is printed once and stored hashed.
    Create(TokenCreateArgs),
    /// List the tokens not revoked (expired ones too), of one account or of all.
    List(TokenListArgs),
    /// Revoke a token by its id (see `token list`).
    Revoke(TokenRevokeArgs),
}

#[derive(Args)]
struct TokenCreateArgs {
    #[command(flatten)]
    data: DataArgs,
    #[arg(long)]
    username: String,
    /// A name to recognise the token by.
    #[arg(long, default_value = "cli")]
    name: String,
    /// Days until the token expires (at most 3650): every token ends.
    #[arg(
        long,
        value_name = "DAYS",
        default_value_t = TOKEN_DEFAULT_DAYS,
        value_parser = clap::value_parser!(u32).range(1..=i64::from(TOKEN_MAX_DAYS))
    )]
    expires: u32,
    /// The token may only read: any API request but GET is refused.
    #[arg(long)]
    read_only: bool,
}

#[derive(Args)]
struct TokenListArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Only this account's tokens.
    #[arg(long, value_name = "LOGIN")]
    user: Option<String>,
}

#[derive(Args)]
struct TokenRevokeArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The token's id.
    id: i64,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the whole hash chain; exit 0 when intact, 1 naming the first broken record.
    Verify(DataArgs),
}

#[derive(Args)]
struct BackupArgs {
    #[command(flatten)]
    data: DataArgs,
    /// File to write the copy to (must not exist).
    #[arg(long)]
    to: PathBuf,
}

fn main() -> ExitCode {
    // Everything mamori writes (the data folder, the database and its journals, backups, the
    // audit key and anchor, the spool and quarantine) is its owner's alone, whatever the umask.
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    if let Command::Sanitize(args) = cli.command {
        return sanitize_cmd::run(args);
    }
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr);
    // One JSON object per line (e.g. per gateway message) for log collectors.
    if std::env::var("MAMORI_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        logs.json().init();
    } else {
        logs.init();
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(error) => {
            eprintln!("{}: {error}", msg!("cli.error"));
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{}: {error:#}", msg!("cli.error"));
            ExitCode::from(2)
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve(args).await,
        Command::User(UserCommand::Create(args)) => user_create(args).await,
        Command::Token(TokenCommand::Create(args)) => token_create(args).await,
        Command::Token(TokenCommand::List(args)) => token_list(args).await,
        Command::Token(TokenCommand::Revoke(args)) => token_revoke(args).await,
        Command::Audit(AuditCommand::Verify(args)) => audit_verify(args).await,
        Command::Backup(args) => backup(args).await,
        Command::Gateway(args) => gateway_cmd::run(*args).await,
        Command::Quarantine(command) => quarantine_cmd::run(command).await,
        Command::Policy(command) => policy_cmd::run(command).await,
        Command::Controls(command) => controls_cmd::run(command).await,
        Command::Training(command) => training_cmd::run(command).await,
        Command::Monitor(command) => monitor_cmd::run(command).await,
        Command::Sanitize(_) => unreachable!("handled before the runtime starts"),
    }
}

/// Reads the audit key from the data folder, creating it on first use.
fn audit_key(data: &Path, create: bool) -> anyhow::Result<AuditKey> {
    let path = data.join("audit.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| msg!("cli.file.reading", path = path.display()))?;
        return AuditKey::from_hex(&text)
            .with_context(|| msg!("cli.audit_key.invalid", path = path.display()));
    }
    if !create {
        bail!(msg!("cli.audit_key.missing", path = path.display()));
    }
    let key = AuditKey::generate(&mut rand::rngs::OsRng);
    write_private(&path, &key.to_hex())?;
    Ok(key)
}

/// Writes a file only the owner can read.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| msg!("cli.file.creating", path = path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// The files of a data folder that hold secrets or records: only their owner may read them.
const PRIVATE_FILES: [&str; 5] = [
    "mamori.db",
    "mamori.db-wal",
    "mamori.db-shm",
    "audit.key",
    "audit.anchor",
];

/// Names the data folder and each private file in it that others may read or enter: a warning
/// each, or a refusal of them all with `--strict-permissions`.
fn check_permissions(args: &DataArgs) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut open = Vec::new();
        let paths = std::iter::once(args.data.clone())
            .chain(PRIVATE_FILES.iter().map(|name| args.data.join(name)));
        for path in paths {
            if let Ok(meta) = std::fs::metadata(&path) {
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    open.push(format!("{} (mode {mode:o})", path.display()));
                }
            }
        }
        if !open.is_empty() {
            let list = open.join(", ");
            if args.strict_permissions {
                bail!(msg!("cli.permissions.open", list = list));
            }
            for path in &open {
                tracing::warn!(
                    "others may read {path}: give the data folder mode 700 and its files mode 600"
                );
            }
        }
    }
    Ok(())
}

/// Creates the data folder, only its owner allowed in.
fn create_data_folder(path: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(path)
        .with_context(|| msg!("cli.file.creating", path = path.display()))
}

async fn open_store(args: &DataArgs, create: bool) -> anyhow::Result<Arc<SqlStore>> {
    let mut store = open_unanchored(args, create).await?;
    // Every commit of the chain is also written outside the database, so that rewinding the
    // database's trail is seen (`audit verify`).
    let path = args.data.join("audit.anchor");
    let anchor =
        Anchor::open(&path).with_context(|| msg!("cli.file.opening", path = path.display()))?;
    if store.anchor_to(anchor).await? {
        tracing::warn!(
            "{} was absent: the audit trail is anchored from its present head on",
            path.display()
        );
    }
    Ok(Arc::new(store))
}

/// Opens the store without writing to the anchor (to verify against it).
async fn open_unanchored(args: &DataArgs, create: bool) -> anyhow::Result<SqlStore> {
    if create {
        create_data_folder(&args.data)?;
    } else if !args.data.is_dir() {
        bail!(msg!("cli.data.missing", path = args.data.display()));
    }
    check_permissions(args)?;
    let key = audit_key(&args.data, create)?;
    let clock = Arc::new(SystemClock);
    let store = match &args.database {
        Some(url) => SqlStore::open(url, key, clock).await,
        None => SqlStore::open_sqlite(&args.data.join("mamori.db"), key, clock).await,
    }
    .with_context(|| msg!("cli.database.opening"))?;
    Ok(store)
}

/// Cookies are `Secure` when asked, and by default whenever mamori listens beyond loopback,
/// unless `--insecure-cookies` says otherwise.
fn secure_cookies(listen: SocketAddr, secure: bool, insecure: bool) -> bool {
    secure || (!insecure && !listen.ip().is_loopback())
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(&args.data, true).await?;
    controls_cmd::install_builtin(store.as_ref()).await?;
    if store.count_accounts().await? == 0 {
        let password = generated_password(demo::ADMIN);
        let admin = demo::first_administrator(store.as_ref(), &password).await?;
        println!("{}", msg!("cli.serve.admin_created"));
        println!("  {}: {admin}", msg!("cli.username"));
        println!("  {}: {password}", msg!("cli.password"));
        println!("  {}", msg!("cli.password.change_at_first_login"));
        if args.demo {
            let people = demo::fill(store.as_ref()).await?;
            println!("{}", msg!("cli.serve.demo_created", people = people));
            println!(
                "  {}: {}",
                msg!("cli.serve.demo_password"),
                demo::DEMO_PASSWORD
            );
        }
    } else if args.demo {
        println!("{}", msg!("cli.serve.demo_not_empty"));
    }
    let directory = match &args.directory_config {
        Some(path) => {
            let directory = serve_directory::read(path)?;
            serve_directory::check_units(&directory, store.as_ref())
                .await
                .with_context(|| msg!("cli.directory.invalid", path = path.display()))?;
            println!(
                "{}",
                msg!("cli.serve.directory", url = &directory.config().url)
            );
            Some(Arc::new(directory))
        }
        None => None,
    };
    let notices = match &args.notice_config {
        Some(path) => {
            let config = serve_notices::read(path)?;
            println!(
                "{}",
                msg!("cli.serve.notices", relay = &config.relay.address)
            );
            Some(Arc::new(config))
        }
        None => None,
    };
    let gateway = match &args.gateway_config {
        Some(path) => {
            let mut config = serve_gateway::GatewayFile::read(path)?.config(&args.data.data);
            let next_hop = config.next_hop()?;
            // The retention purge runs beside the release workflow, which knows the open
            // requests (and writes the purge to the audit trail).
            config.purge_daily = false;
            let retention = config.retention;
            let gateway = mamori_gateway::Gateway::start(config).await?;
            println!(
                "{}",
                msg!("cli.serve.gateway_address", addr = gateway.local_addr())
            );
            Some((gateway, (next_hop, retention)))
        }
        None => None,
    };
    let monitor = match &args.monitor_config {
        Some(path) => {
            let config = monitor_cmd::read_config(path)?;
            println!("{}", msg!("cli.serve.monitor", path = path.display()));
            Some(config)
        }
        None => None,
    };
    let monitor_metrics = monitor_cmd::MonitorMetrics::default();
    let secure_cookies = secure_cookies(args.listen, args.secure_cookies, args.insecure_cookies);
    if !secure_cookies && !args.listen.ip().is_loopback() {
        println!(
            "{}",
            msg!("cli.serve.insecure_cookies", listen = args.listen)
        );
    }
    let config = mamori_web::WebConfig {
        secure_cookies,
        session_idle: std::time::Duration::from_secs(args.session_idle_minutes * 60),
        trusted_proxies: args.trusted_proxy.clone(),
        evidence_dir: Some(args.data.data.join("evidence")),
        extra_metrics: {
            let gateway = gateway.as_ref().map(|(gateway, _)| gateway.metrics());
            let monitor = monitor.is_some().then(|| monitor_metrics.clone());
            (gateway.is_some() || monitor.is_some()).then(|| {
                mamori_web::MetricsSource(Arc::new(move || {
                    let mut text = gateway.as_ref().map(|g| g.render()).unwrap_or_default();
                    if let Some(monitor) = &monitor {
                        text.push_str(&monitor.render());
                    }
                    text
                }))
            })
        },
        ..Default::default()
    };
    let mut state = mamori_web::AppState::new(store.clone(), Arc::new(SystemClock), config);
    let (stop_releases, stopped) = tokio::sync::watch::channel(false);
    let directory_check = directory.map(|directory| {
        state = state.clone().with_directory(directory.clone());
        tokio::spawn(serve_directory::check_accounts(
            store.clone(),
            directory,
            stop_releases.subscribe(),
        ))
    });
    let monitor_task = monitor.map(|config| {
        tokio::spawn(monitor_cmd::monitor(
            store.clone(),
            config,
            monitor_metrics.clone(),
            stop_releases.subscribe(),
        ))
    });
    let releases = gateway.as_ref().map(|(_, (next_hop, retention))| {
        let service = Arc::new(mamori_release::QuarantineService::new(
            mamori_release::QuarantineConfig::new(args.data.data.clone(), next_hop.clone()),
        ));
        state = state.clone().with_quarantine(service.clone());
        let purge = tokio::spawn(mamori_release::retention_job(
            store.clone(),
            service.clone(),
            *retention,
            state.clock.clone(),
            stopped.clone(),
        ));
        let worker = tokio::spawn(mamori_release::release_worker(
            state.store.clone(),
            service,
            state.clock.clone(),
            stopped,
        ));
        (worker, purge)
    });
    tokio::spawn(policy_cmd::bring_into_force(state.store.clone()));
    // インシデント候補 from the quarantine of this data folder, whether the gateway runs here or
    // as its own process on the folder.
    let candidates = tokio::spawn(mamori_release::candidate_job(
        state.store.clone(),
        args.data.data.clone(),
        stop_releases.subscribe(),
    ));
    let mailer = notices.map(|config| {
        tokio::spawn(mamori_notice::mailer(
            state.store.clone(),
            config,
            state.clock.clone(),
            stop_releases.subscribe(),
        ))
    });
    let app = mamori_web::router(state);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| msg!("cli.serve.listen", addr = args.listen))?;
    println!(
        "{}",
        msg!(
            "cli.serve.address",
            addr = listener.local_addr()?,
            backend = store.backend().name()
        )
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    let _ = stop_releases.send(true);
    if let Some((worker, purge)) = releases {
        let _ = worker.await;
        let _ = purge.await;
    }
    for task in mailer.into_iter().chain(directory_check) {
        let _ = task.await;
    }
    if let Some(task) = monitor_task
        && let Ok(Err(error)) = task.await
    {
        tracing::error!(%error, "monitor");
    }
    let _ = candidates.await;
    if let Some((gateway, _)) = gateway {
        gateway.stop().await;
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// A random password for an account whose holder changes it at the first login: 20 characters
/// of a 256-bit token, made again in the unlikely case that the policy refuses it.
fn generated_password(username: &str) -> String {
    loop {
        let candidate = &random_token(&mut rand::rngs::OsRng)[..20];
        if NewPassword::parse(candidate, username).is_ok() {
            return candidate.to_owned();
        }
    }
}

/// The scope of `--role`: `--scope` when given; otherwise the person's `--unit` for roles held
/// per unit, and `global` for the rest.
fn parse_scope(role: Role, raw: Option<&str>, unit: Option<i64>) -> anyhow::Result<Scope> {
    let raw = match (raw, role.scope_kind(), unit) {
        (Some(raw), _, _) => raw.to_owned(),
        (None, ScopeKind::Unit, Some(unit)) => format!("unit:{unit}"),
        (None, _, _) => "global".to_owned(),
    };
    let (kind, id) = match raw.split_once(':') {
        Some((k, i)) => (k, Some(i)),
        None => (raw.as_str(), None),
    };
    let scope = Scope::from_parts(kind, id)
        .map_err(|_| anyhow::anyhow!(msg!("cli.scope.invalid", raw = format!("{raw:?}"))))?;
    validate_scope(role, &scope).map_err(|_| {
        let (key, needed) = match role.scope_kind() {
            ScopeKind::Global => ("cli.scope.needs", "--scope global"),
            ScopeKind::Organisation => ("cli.scope.needs", "--scope organisation:ID"),
            ScopeKind::Unit => ("cli.scope.needs_unit", "--scope unit:ID"),
            ScopeKind::System => ("cli.scope.needs", "--scope system:NAME"),
        };
        let args = [
            ("role", role.as_str().to_owned()),
            ("needed", needed.to_owned()),
            ("raw", format!("{raw:?}")),
        ];
        anyhow::anyhow!(messages::fill(key, &args))
    })?;
    Ok(scope)
}

/// A refused field, said in words rather than as a debug value.
fn refused(flag: &str, error: &mamori_core::text::FieldError) -> anyhow::Error {
    anyhow::anyhow!(messages::fill_each("cli.refused", |lang| vec![
        ("flag", flag.to_owned()),
        ("reason", lang.field_error(error)),
    ]))
}

async fn user_create(args: UserCreateArgs) -> anyhow::Result<ExitCode> {
    let username = Username::parse(&args.username).map_err(|e| refused("--username", &e))?;
    let name = Name::parse("name", args.name.as_deref().unwrap_or(&args.username))
        .map_err(|e| refused("--name", &e))?;
    let role = match &args.role {
        Some(raw) => {
            let role = Role::parse(raw).map_err(|_| {
                let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
                anyhow::anyhow!(msg!(
                    "cli.role.unknown",
                    raw = format!("{raw:?}"),
                    roles = names.join(", ")
                ))
            })?;
            Some((role, parse_scope(role, args.scope.as_deref(), args.unit)?))
        }
        None => None,
    };
    // A password typed in is its holder's; one made here is printed, so it must be changed.
    let (typed, generated) = if args.password_stdin {
        let mut typed = String::new();
        std::io::stdin().read_to_string(&mut typed)?;
        (typed.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (generated_password(username.as_str()), true)
    };
    let password = NewPassword::parse(&typed, username.as_str()).map_err(|e| {
        anyhow::anyhow!(messages::fill_each("cli.password.refused", |lang| vec![(
            "reason",
            lang.field_error(&e)
        )]))
    })?;
    let shown = generated.then_some(typed);
    let hash = tokio::task::spawn_blocking(move || password.hash(&mut rand::rngs::OsRng)).await?;
    let store = open_store(&args.data, true).await?;
    let person = PersonInput {
        name,
        unit_id: args.unit.map(mamori_core::UnitId),
        title: String::new(),
        email: None,
        phone: String::new(),
        external: matches!(role, Some((Role::Contractor, _))),
    };
    let account = NewAccount {
        username: username.clone(),
        person_id: mamori_core::PersonId(0),
        password_hash: hash,
        language: "ja".into(),
        must_change_password: generated,
    };
    let scope = role.as_ref().map(|(_, scope)| scope.to_parts());
    let user = store
        .provision_account(person, account, role, &Origin::system("user create"))
        .await
        .map_err(|e| match e {
            StoreError::Conflict(Conflict::PersonUnitMissing) => {
                anyhow::anyhow!(msg!("cli.unit.missing", unit = args.unit.unwrap_or(0)))
            }
            StoreError::Conflict(Conflict::RoleScopeMissing) => {
                let (kind, id) = scope.unwrap_or(("global", None));
                anyhow::anyhow!(msg!(
                    "cli.scope.missing",
                    kind = kind,
                    id = id.unwrap_or_default()
                ))
            }
            StoreError::Conflict(Conflict::AccountUsernameTaken) => {
                anyhow::anyhow!(msg!("cli.username.taken", username = username))
            }
            other => anyhow::anyhow!("{other}"),
        })?;
    println!(
        "{}",
        msg!("cli.user.created", username = username, id = user)
    );
    if let Some(password) = shown {
        // The terminal only: never a log line.
        println!("  {}: {password}", msg!("cli.password"));
        println!("  {}", msg!("cli.password.change_at_first_login"));
    }
    Ok(ExitCode::SUCCESS)
}

async fn token_create(args: TokenCreateArgs) -> anyhow::Result<ExitCode> {
    let name = Name::parse("name", &args.name).map_err(|e| refused("--name", &e))?;
    let store = open_store(&args.data, false).await?;
    let creds = store
        .credentials_by_name(&args.username)
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!(msg!("cli.no_user", user = format!("{:?}", args.username)))
        })?;
    let expires_at = token_expiry(SystemClock.now_ms(), args.expires)
        .with_context(|| msg!("cli.token.expires_range"))?;
    let token = format!("mamori_{}", random_token(&mut rand::rngs::OsRng));
    let id = store
        .create_api_token(
            NewApiToken {
                user_id: creds.user_id,
                name: name.clone(),
                token_digest: token_digest(&token),
                expires_at,
                read_only: args.read_only,
            },
            &Origin::system("token create"),
        )
        .await?;
    // The token alone on standard output, for a script to take; what it is, on the error stream.
    println!("{token}");
    let expires = mamori_core::time::format_jst(expires_at);
    let user = &creds.username;
    eprintln!(
        "{}",
        if args.read_only {
            msg!(
                "cli.token.created_read_only",
                id = id,
                name = name.as_str(),
                user = user,
                expires = expires
            )
        } else {
            msg!(
                "cli.token.created",
                id = id,
                name = name.as_str(),
                user = user,
                expires = expires
            )
        }
    );
    if creds.must_change_password {
        eprintln!("{}", msg!("cli.token.password_change_first", user = user));
    }
    Ok(ExitCode::SUCCESS)
}

async fn token_list(args: TokenListArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(&args.data, false).await?;
    let user = match &args.user {
        Some(login) => Some(
            store
                .credentials_by_name(login)
                .await?
                .ok_or_else(|| anyhow::anyhow!(msg!("cli.no_user", user = format!("{login:?}"))))?
                .user_id,
        ),
        None => None,
    };
    let tokens = store.list_api_tokens(user).await?;
    if tokens.is_empty() {
        println!("{}", msg!("cli.token.none"));
        return Ok(ExitCode::SUCCESS);
    }
    let now = SystemClock.now_ms();
    // Tab-separated for scripts, like `quarantine list`: the column names and the scope are
    // identifiers, not words.
    println!("ID\tUSER\tNAME\tCREATED\tEXPIRES\tLAST_USED\tSCOPE");
    for token in tokens {
        let state = if !token.is_live(now) {
            "expired"
        } else if token.read_only {
            "read-only"
        } else {
            "read-write"
        };
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{state}",
            token.id,
            token.username,
            token.name,
            mamori_core::time::format_jst(token.created_at),
            mamori_core::time::format_jst(token.expires_at),
            token
                .last_used_at
                .map_or_else(|| "-".to_owned(), mamori_core::time::format_jst),
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn token_revoke(args: TokenRevokeArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(&args.data, false).await?;
    match store
        .revoke_api_token(args.id, None, &Origin::system("token revoke"))
        .await
    {
        Ok(token) => {
            println!(
                "{}",
                msg!(
                    "cli.token.revoked",
                    id = token.id,
                    name = token.name,
                    user = token.username
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(StoreError::NotFound) => bail!(msg!("cli.token.not_found", id = args.id)),
        Err(other) => Err(other.into()),
    }
}

async fn audit_verify(args: DataArgs) -> anyhow::Result<ExitCode> {
    let key = audit_key(&args.data, false)?;
    let store = open_unanchored(&args, false).await?;
    let report = store.verify_audit(&key).await?;
    if let Err(broken) = report.result {
        // What broke is the chain's own report, after the message.
        println!("{}: {broken}", msg!("cli.audit.broken"));
        println!("{}", msg!("cli.audit.verified_before", n = report.checked));
        return Ok(ExitCode::from(1));
    }
    // The chain is whole; is it all that was ever written? The anchor saw every commit.
    let path = args.data.join("audit.anchor");
    let anchored =
        read_anchor(&path).with_context(|| msg!("cli.file.reading", path = path.display()))?;
    let result = match anchored {
        Ok(entries) => store.verify_anchor(&entries).await?,
        // A trail without records needs no anchor yet.
        Err(AnchorBreak::NoAnchor(_)) if report.checked == 0 => Ok(()),
        Err(broken) => Err(broken),
    };
    match result {
        Ok(()) => {
            println!("{}", msg!("cli.audit.intact", n = report.checked));
            Ok(ExitCode::SUCCESS)
        }
        Err(broken) => {
            println!(
                "{}: {broken} ({})",
                msg!("cli.audit.rewound"),
                path.display()
            );
            println!(
                "{}",
                msg!("cli.audit.verified_in_database", n = report.checked)
            );
            Ok(ExitCode::from(1))
        }
    }
}

async fn backup(args: BackupArgs) -> anyhow::Result<ExitCode> {
    if args.to.exists() {
        bail!(msg!("cli.file.exists", path = args.to.display()));
    }
    let store = open_store(&args.data, false).await?;
    // The copy is useless without the key that seals its audit trail, and a key file already
    // beside it must be this installation's, or the copy could never be verified.
    let key_copy = args.to.with_extension("audit.key");
    if key_copy.exists() {
        let ours = audit_key(&args.data.data, false)?.to_hex();
        let theirs = std::fs::read_to_string(&key_copy)
            .with_context(|| msg!("cli.file.reading", path = key_copy.display()))?;
        if AuditKey::from_hex(&theirs).map(|key| key.to_hex()) != Some(ours) {
            bail!(msg!("cli.backup.other_key", path = key_copy.display()));
        }
    }
    // The anchor first: the copy of the database then holds every commit the anchor's copy saw.
    let anchor_copy = args.to.with_extension("audit.anchor");
    let anchor = args.data.data.join("audit.anchor");
    if anchor.exists() {
        if anchor_copy.exists() {
            bail!(msg!("cli.file.exists", path = anchor_copy.display()));
        }
        std::fs::copy(&anchor, &anchor_copy)
            .with_context(|| msg!("cli.file.copying", path = anchor.display()))?;
    }
    store
        .backup(&args.to)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if !key_copy.exists() {
        std::fs::copy(args.data.data.join("audit.key"), &key_copy)?;
    }
    println!(
        "{}",
        msg!(
            "cli.backup.written",
            path = args.to.display(),
            key = key_copy.display(),
            anchor = anchor_copy.display()
        )
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use clap::error::ErrorKind;

    use super::{Cli, Command, ServeArgs, secure_cookies};

    /// `mamori serve ARGS` as clap reads it (with the environment of the test run, which sets
    /// none of mamori's variables).
    fn serve(args: &[&str]) -> Result<ServeArgs, clap::Error> {
        let cli = Cli::try_parse_from(["mamori", "serve"].iter().chain(args))?;
        let Command::Serve(serve) = cli.command else {
            panic!("not the serve command");
        };
        Ok(serve)
    }

    fn proxies(args: &[&str]) -> Vec<String> {
        serve(args)
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
            .trusted_proxy
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn trusted_proxies_repeat_and_split_at_commas() {
        assert!(proxies(&[]).is_empty());
        let both = ["10.0.0.0/8", "192.0.2.1/32"];
        assert_eq!(
            proxies(&[
                "--trusted-proxy",
                "10.0.0.0/8",
                "--trusted-proxy",
                "192.0.2.1/32"
            ]),
            both
        );
        // The form MAMORI_TRUSTED_PROXY takes: one value, the ranges separated by commas.
        assert_eq!(
            proxies(&["--trusted-proxy", "10.0.0.0/8,192.0.2.1/32"]),
            both
        );
        assert_eq!(
            proxies(&["--trusted-proxy=2001:db8::/32,10.0.0.0/8"]),
            ["2001:db8::/32", "10.0.0.0/8"]
        );
        for bad in ["10.0.0.0/8,proxy.example", "10.0.0.0/33", ""] {
            let error = serve(&["--trusted-proxy", bad]).err();
            assert!(
                error.is_some_and(|e| e.kind() == ErrorKind::ValueValidation),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn session_idle_minutes_default_to_30_within_a_day() {
        let idle = |args: &[&str]| serve(args).map(|a| a.session_idle_minutes);
        assert_eq!(idle(&[]).unwrap(), 30);
        assert_eq!(idle(&["--session-idle-minutes", "1"]).unwrap(), 1);
        assert_eq!(idle(&["--session-idle-minutes", "1440"]).unwrap(), 1440);
        for bad in ["0", "1441", "thirty"] {
            let error = idle(&["--session-idle-minutes", bad]).err();
            assert!(
                error.is_some_and(|e| e.kind() == ErrorKind::ValueValidation),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn secure_and_insecure_cookies_cannot_both_be_asked_for() {
        let error = serve(&["--secure-cookies", "--insecure-cookies"]).err();
        assert!(error.is_some_and(|e| e.kind() == ErrorKind::ArgumentConflict));
    }

    #[test]
    fn cookies_are_secure_by_default_beyond_loopback() {
        let local = "127.0.0.1:8080".parse().unwrap();
        let v6_local = "[::1]:8080".parse().unwrap();
        let open = "0.0.0.0:8080".parse().unwrap();
        assert!(!secure_cookies(local, false, false));
        assert!(!secure_cookies(v6_local, false, false));
        assert!(secure_cookies(local, true, false));
        assert!(secure_cookies(open, false, false));
        assert!(!secure_cookies(open, false, true));
    }
}
