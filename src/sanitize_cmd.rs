//! `mamori sanitize`: run the 無害化 engine on one message.
//!
//! Exit status: 0 a sanitized message was written; 3 the message was quarantined whole and no
//! output was written; 2 usage, configuration or IO error.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use mamori_sanitize::{OnOddity, Outcome, Policy, Verdict, sanitize_with_budget};

use crate::messages::msg;

const EXIT_QUARANTINED: u8 = 3;
const EXIT_ERROR: u8 = 2;

#[derive(clap::Args)]
pub struct SanitizeArgs {
    /// 入力メッセージ (input message; standard input when absent)
    input: Option<PathBuf>,
    /// 無害化したメッセージの出力先 (output file; standard output when absent)
    #[arg(short = 'o', long = "output", value_name = "OUT.eml")]
    output: Option<PathBuf>,
    /// 原本を隔離IDの名前で保存するディレクトリ (directory to keep the original under its quarantine id)
    #[arg(long, value_name = "DIR")]
    quarantine: Option<PathBuf>,
    /// JSON レポートの出力先 (write the JSON report here)
    #[arg(long, value_name = "REPORT.json")]
    report: Option<PathBuf>,
    /// ポリシーと上限値の TOML ファイル (TOML file with policy and limits)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// 処理時間の上限（秒）。超えたら全体を隔離 (wall-clock limit in seconds; quarantine whole
    /// when exceeded; default: the policy's limits.time_limit_seconds, 30)
    #[arg(long = "time-limit", value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    time_limit: Option<u64>,
    /// 形式上の不備 (終端のない multipart、綴りの誤った Content-Transfer-Encoding など) を、二通りの
    /// 読み方が一致しても曖昧とみなす (treat formatting oddities such as a missing closing boundary
    /// or a misspelt Content-Transfer-Encoding as ambiguities even when both readings agree; the
    /// policy's `on_oddity = "strict"`)
    #[arg(long)]
    strict: bool,
}

pub fn run(args: SanitizeArgs) -> ExitCode {
    match execute(&args) {
        Ok(Verdict::Sanitized) => ExitCode::SUCCESS,
        Ok(Verdict::Quarantined) => ExitCode::from(EXIT_QUARANTINED),
        Err(e) => {
            eprintln!("mamori sanitize: {}: {e:#}", msg!("cli.error"));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Reads the policy from a TOML file: either the whole file, or its `[sanitize]` table when the
/// file is the full mamori configuration.
pub fn load_policy(path: &Path) -> anyhow::Result<Policy> {
    let text = fs::read_to_string(path)
        .with_context(|| msg!("cli.sanitize.config_unreadable", path = path.display()))?;
    let mut table: toml::Table = toml::from_str(&text)
        .with_context(|| msg!("cli.sanitize.config_invalid", path = path.display()))?;
    let value = match table.remove("sanitize") {
        Some(v) => v,
        None => toml::Value::Table(table),
    };
    let policy: Policy = value
        .try_into()
        .with_context(|| msg!("cli.sanitize.policy_invalid", path = path.display()))?;
    policy.validate()?;
    if !is_safe_file_stem(&policy.quarantine_id_prefix) && !policy.quarantine_id_prefix.is_empty() {
        bail!(msg!("cli.sanitize.prefix_invalid"));
    }
    Ok(policy)
}

fn is_safe_file_stem(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Writes through a temporary file in the same directory, so that a reader never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| msg!("cli.sanitize.output_not_file"))?;
    let tmp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    let result = (|| -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| msg!("cli.file.unwritable", path = path.display()))
}

fn execute(args: &SanitizeArgs) -> anyhow::Result<Verdict> {
    let mut policy = match &args.config {
        Some(path) => load_policy(path)?,
        None => Policy::default(),
    };
    if args.strict {
        policy.on_oddity = OnOddity::Strict;
    }
    let input = match &args.input {
        Some(path) => fs::read(path)
            .with_context(|| msg!("cli.sanitize.input_unreadable", path = path.display()))?,
        None => {
            // Read whole even past the size limit: a quarantined original must be kept entire.
            let mut buf = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut buf)
                .with_context(|| msg!("cli.sanitize.stdin_unreadable"))?;
            buf
        }
    };

    // The clock starts once the input is read: the limit is on the engine's work.
    let seconds = args.time_limit.unwrap_or(policy.limits.time_limit_seconds);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let Outcome { report, message } =
        sanitize_with_budget(&input, &policy, &|| Instant::now() >= deadline);

    // The original is stored before anything refers to its quarantine id.
    if let Some(dir) = &args.quarantine {
        if !is_safe_file_stem(&report.quarantine_id) {
            bail!(msg!("cli.sanitize.id_unsafe"));
        }
        fs::create_dir_all(dir)
            .with_context(|| msg!("cli.sanitize.quarantine_uncreatable", path = dir.display()))?;
        write_atomically(&dir.join(format!("{}.eml", report.quarantine_id)), &input)?;
    }
    if let Some(path) = &args.report {
        let mut json = serde_json::to_vec_pretty(&report)?;
        json.push(b'\n');
        write_atomically(path, &json)?;
    }
    match (report.verdict, message) {
        (Verdict::Sanitized, Some(message)) => {
            match &args.output {
                Some(path) => write_atomically(path, &message)?,
                None => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&message)
                        .and_then(|()| out.flush())
                        .with_context(|| msg!("cli.sanitize.stdout_unwritable"))?;
                }
            }
            Ok(Verdict::Sanitized)
        }
        _ => {
            eprintln!(
                "mamori sanitize: {}",
                msg!("cli.sanitize.quarantined", id = report.quarantine_id)
            );
            Ok(Verdict::Quarantined)
        }
    }
}
