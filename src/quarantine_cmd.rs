//! `mamori quarantine list|show|purge`: the gateway's kept originals, read from its data folder.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use mamori_gateway::quarantine::{Entry, QuarantineId, QuarantineReader};

#[derive(Subcommand)]
pub enum QuarantineCommand {
    /// 隔離されたメールの一覧 (list quarantined originals)
    List(ListArgs),
    /// 隔離されたメールの詳細と無害化レポート (show one entry's metadata and report)
    Show(ShowArgs),
    /// 保存期間を過ぎたもの、または指定したものを削除する (purge expired entries, or one by id)
    Purge(PurgeArgs),
}

#[derive(Args)]
struct DataDir {
    /// The gateway's data folder (the quarantine is `DATA/quarantine`).
    #[arg(long = "data", default_value = "./mamori-data", env = "MAMORI_DATA")]
    data: PathBuf,
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    data: DataDir,
    /// One JSON array instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    data: DataDir,
    /// Quarantine id (隔離ID), as in the notice block of the sanitized message.
    id: String,
    /// Write the original's raw bytes to the file given with `-o` (never to the terminal).
    #[arg(long, requires = "output")]
    raw: bool,
    /// File for `--raw`; it must not exist yet.
    #[arg(short = 'o', long = "output", requires = "raw")]
    output: Option<PathBuf>,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["expired", "id"])))]
pub struct PurgeArgs {
    #[command(flatten)]
    data: DataDir,
    /// Remove every entry whose retention has ended.
    #[arg(long)]
    expired: bool,
    /// Remove this one entry.
    id: Option<String>,
}

fn jst(ms: i64) -> String {
    let offset = chrono::FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset");
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || format!("(invalid time {ms})"),
        |t| {
            t.with_timezone(&offset)
                .format("%Y-%m-%d %H:%M:%S JST")
                .to_string()
        },
    )
}

fn parse_id(raw: &str) -> anyhow::Result<QuarantineId> {
    QuarantineId::parse(raw).map_err(|e| anyhow::anyhow!("invalid quarantine id: {e}"))
}

fn summary(e: &Entry) -> serde_json::Value {
    let first = e.first();
    serde_json::json!({
        "id": e.id,
        "received": jst(first.received_ms),
        "received_ms": first.received_ms,
        "from": first.from,
        "recipients": e.recipients(),
        "verdict": e.verdict(),
        "reasons": e.reasons(),
        "size": e.original_size,
        "expires": jst(e.retain_until_ms()),
        "retain_until_ms": e.retain_until_ms(),
    })
}

pub fn run(command: QuarantineCommand) -> anyhow::Result<ExitCode> {
    match command {
        QuarantineCommand::List(args) => list(&args),
        QuarantineCommand::Show(args) => show(&args),
        QuarantineCommand::Purge(args) => purge(&args),
    }
}

fn open(data: &DataDir) -> anyhow::Result<QuarantineReader> {
    Ok(QuarantineReader::existing(&data.data)?)
}

fn list(args: &ListArgs) -> anyhow::Result<ExitCode> {
    let reader = open(&args.data)?;
    let mut good = Vec::new();
    let mut damaged = 0;
    for entry in reader.entries()? {
        match entry {
            Ok(e) => good.push(e),
            Err(error) => {
                damaged += 1;
                eprintln!("warning: {error}");
            }
        }
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let all: Vec<_> = good.iter().map(summary).collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
    } else {
        writeln!(
            out,
            "ID\tRECEIVED\tFROM\tRECIPIENTS\tVERDICT\tREASONS\tSIZE\tEXPIRES"
        )?;
        for e in &good {
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                e.id,
                jst(e.first().received_ms),
                printable(&e.first().from),
                printable(&e.recipients().join(",")),
                e.verdict(),
                printable(&e.reasons().join(",")),
                e.original_size
                    .map_or_else(|| "-".into(), |s| s.to_string()),
                jst(e.retain_until_ms()),
            )?;
        }
    }
    Ok(if damaged == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Envelope values came from the Internet: control characters are shown escaped, never sent to
/// the terminal as they are.
fn printable(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_unicode().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

fn show(args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let id = parse_id(&args.id)?;
    let reader = open(&args.data)?;
    let entry = reader.get(&id)?;
    if let Some(path) = &args.output {
        let bytes = reader.original(&entry)?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!(
            "original of {id} written to {} ({} bytes)",
            path.display(),
            bytes.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let shown = serde_json::json!({
        "summary": summary(&entry),
        "deliveries": entry.records,
    });
    // JSON escapes every control character, so nothing the sender wrote reaches the terminal raw.
    println!("{}", serde_json::to_string_pretty(&shown)?);
    Ok(ExitCode::SUCCESS)
}

fn purge(args: &PurgeArgs) -> anyhow::Result<ExitCode> {
    let id = args.id.as_deref().map(parse_id).transpose()?;
    let reader = open(&args.data)?;
    if let Some(id) = id {
        let e = reader.purge(&id)?;
        println!(
            "removed {} (received {}, expires {})",
            e.id,
            jst(e.first().received_ms),
            jst(e.retain_until_ms())
        );
        return Ok(ExitCode::SUCCESS);
    }
    let now = chrono::Utc::now().timestamp_millis();
    let (removed, skipped) = reader.purge_expired(now)?;
    for e in &removed {
        println!(
            "removed {} (received {}, expired {})",
            e.id,
            jst(e.first().received_ms),
            jst(e.retain_until_ms())
        );
    }
    println!("{} removed", removed.len());
    for error in &skipped {
        eprintln!("warning: left in place: {error}");
    }
    Ok(if skipped.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
