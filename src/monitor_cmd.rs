//! `mamori monitor scan FILE…`: the sensors' logs (Suricata EVE, Zeek `conn.log`, netfilter
//! `LOG`, FortiGate, Palo Alto, Squid; plain or gzip; `-` for standard input) read against the
//! site's segments, assets and crossing matrix from the data folder (or `--database`): one JSON
//! object per alert on standard output, the summary on standard error, and with `--store` the
//! alerts recorded too. Exit 0 when everything was read, 2 on an error.
//!
//! `mamori monitor run --config FILE`: keeps reading (files followed across rotation, syslog
//! over UDP and TCP) and records alerts in the store as they are found; the same runs under
//! `serve --monitor-config FILE`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use mamori_monitor::{Batch, Format, Monitor, RunConfig, alert_record, scan_paths_with};
use mamori_store::{MonitorStore, Store};

use crate::messages::msg;
use crate::{DataArgs, open_store};

#[derive(Subcommand)]
pub enum MonitorCommand {
    /// ログを読み、区画・資産・通信経路の許可表に照らして警告を出す (read sensors' logs against the
    /// segments, assets and crossing matrix; one JSON alert per line)
    Scan(ScanArgs),
    /// 監視を続ける: ファイルを追い、syslog を受け、警告を記録する (keep reading files and syslog,
    /// recording alerts)
    Run(RunArgs),
}

#[derive(Args)]
pub struct ScanArgs {
    #[command(flatten)]
    data: DataArgs,
    /// auto, suricata, zeek, netfilter, fortigate, paloalto or squid.
    #[arg(long, default_value = "auto")]
    format: String,
    /// Record the alerts (and the day's tallies) in the database too.
    #[arg(long)]
    store: bool,
    /// Log files (plain or gzip); `-` reads standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The monitor's TOML file: files to follow, syslog listeners, flush interval.
    #[arg(long, env = "MAMORI_MONITOR_CONFIG")]
    config: PathBuf,
}

pub async fn run(command: MonitorCommand) -> anyhow::Result<ExitCode> {
    match command {
        MonitorCommand::Scan(args) => scan(args).await,
        MonitorCommand::Run(args) => keep_running(args).await,
    }
}

async fn scan(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let format: Format = args
        .format
        .parse()
        .map_err(|_| anyhow::anyhow!(msg!("cli.monitor.format", format = &args.format)))?;
    let store = open_store(&args.data, false).await?;
    let site = store.monitor_site().await?;
    let mut monitor = Monitor::new(&site);
    let files = args.files.clone();
    // Reading and matching are CPU work on one core, off the async runtime's threads; what is
    // found is handed over whenever the monitor's pending alerts reach their cap, so a log with
    // more alerts than that is written out (and stored) in parts rather than held whole.
    let (found, mut batches) = tokio::sync::mpsc::channel::<(Vec<_>, Vec<_>)>(2);
    let reader = tokio::task::spawn_blocking(move || {
        let read = scan_paths_with(&mut monitor, format, &files, &mut |alerts, tallies| {
            let _ = found.blocking_send((alerts, tallies));
        });
        let _ = found.blocking_send(monitor.take());
        (monitor.summary().clone(), read)
    });
    let mut stored = Ok(());
    while let Some((alerts, tallies)) = batches.recv().await {
        {
            let mut out = std::io::stdout().lock();
            for alert in &alerts {
                serde_json::to_writer(&mut out, &alert_record(alert, &site))?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
        }
        if args.store && stored.is_ok() {
            stored = store.record_monitor(&alerts, &tallies).await.map(|_| ());
        }
    }
    let (summary, read) = reader.await?;
    store.close().await;
    eprintln!("{}", serde_json::to_string(&summary)?);
    stored.context(msg!("cli.monitor.storing"))?;
    match read {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(error) => {
            eprintln!("{}", msg!("cli.monitor.reading", error = error));
            Ok(ExitCode::from(2))
        }
    }
}

/// How often the site (segments, assets, matrix, settings) is read again while running.
const SITE_REFRESH: std::time::Duration = std::time::Duration::from_secs(60);

/// The monitor's latest counters, rendered for `/metrics`.
#[derive(Clone, Default)]
pub struct MonitorMetrics(Arc<std::sync::Mutex<String>>);

impl MonitorMetrics {
    pub fn render(&self) -> String {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Reads the monitor's file, naming what is wrong.
pub fn read_config(path: &Path) -> anyhow::Result<RunConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| msg!("cli.file.reading", path = path.display()))?;
    RunConfig::from_toml(&text).with_context(|| msg!("cli.monitor.config", path = path.display()))
}

/// Runs the monitor until `stop` turns true: readers and rules in `mamori-monitor`, every batch
/// recorded in the store. A batch the store refuses is tried again (the readers wait meanwhile:
/// nothing found is dropped for a database hiccup).
pub async fn monitor(
    store: Arc<dyn Store>,
    config: RunConfig,
    metrics: MonitorMetrics,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let site = store.monitor_site().await?;
    let (sites_tx, sites) = tokio::sync::watch::channel(site.clone());
    let (sink, mut batches) = tokio::sync::mpsc::channel::<Batch>(4);
    let mut stopped = stop.clone();
    let reader = tokio::spawn(mamori_monitor::input::run_with_sites(
        config,
        Monitor::new(&site),
        sink,
        Some(sites),
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        },
    ));
    let refresher = {
        let store = store.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let mut current = site;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(SITE_REFRESH) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                match store.monitor_site().await {
                    Ok(site) if site != current => {
                        current = site.clone();
                        let _ = sites_tx.send(site);
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "monitor: the site could not be read"),
                }
            }
        })
    };
    while let Some(batch) = batches.recv().await {
        if let Ok(mut text) = metrics.0.lock() {
            *text = batch.counters.prometheus();
        }
        let mut delay = std::time::Duration::from_secs(1);
        loop {
            match store.record_monitor(&batch.alerts, &batch.tallies).await {
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(%error, alerts = batch.alerts.len(), "monitor: alerts not recorded yet");
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = stop.wait_for(|s| *s) => {}
                    }
                    if *stop.borrow() {
                        // Stopping: one more try, then the batch is reported lost in the log.
                        if let Err(error) =
                            store.record_monitor(&batch.alerts, &batch.tallies).await
                        {
                            tracing::error!(%error, alerts = batch.alerts.len(), "monitor: alerts lost at shutdown");
                        }
                        break;
                    }
                    delay = (delay * 2).min(std::time::Duration::from_secs(60));
                }
            }
        }
    }
    refresher.abort();
    reader.await??;
    Ok(())
}

async fn keep_running(args: RunArgs) -> anyhow::Result<ExitCode> {
    let config = read_config(&args.config)?;
    let store: Arc<dyn Store> = open_store(&args.data, false).await?;
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let metrics = MonitorMetrics::default();
    let task = tokio::spawn(monitor(store.clone(), config, metrics, stop));
    let _ = tokio::signal::ctrl_c().await;
    let _ = stop_tx.send(true);
    task.await??;
    Ok(ExitCode::SUCCESS)
}
