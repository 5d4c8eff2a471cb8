//! `mamori training import`: the completions of another system's export (CSV in UTF-8 with or
//! without BOM, or Shift_JIS) recorded as the operator who holds the data folder. The import
//! is the web's own operation, so a file imported here and one uploaded on the page are judged
//! alike: all or nothing, every bad row named.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use mamori_core::i18n::Lang;
use mamori_store::{CompletionImporter, Origin};
use mamori_web::import_completions;

use crate::messages::msg;
use crate::policy_cmd::refusal;
use crate::{DataArgs, open_store};

#[derive(Subcommand)]
pub enum TrainingCommand {
    /// Import completions: a CSV whose header names `email` or `login`, `course` and
    /// `completed_on`.
    Import(ImportArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Print one JSON object: completed, unchanged.
    #[arg(long)]
    json: bool,
    /// The CSV file (UTF-8 or Shift_JIS).
    file: PathBuf,
}

pub async fn run(command: TrainingCommand) -> anyhow::Result<ExitCode> {
    match command {
        TrainingCommand::Import(args) => import(args).await,
    }
}

async fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| msg!("cli.file.reading", path = args.file.display()))?;
    let store = open_store(&args.data, false).await?;
    let today = mamori_core::time::jst_date(mamori_core::Clock::now_ms(&mamori_store::SystemClock))
        .unwrap_or_default();
    let outcome = import_completions(
        store.as_ref(),
        CompletionImporter::Operator,
        &bytes,
        today,
        &Origin::system("training import"),
    )
    .await;
    store.close().await;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("{}", refusal(&error));
            let (ja, en) = (error.sheet_lines(Lang::Ja), error.sheet_lines(Lang::En));
            for (ja, en) in ja.iter().zip(&en) {
                eprintln!("{ja} ({en})");
            }
            return Ok(ExitCode::from(1));
        }
    };
    if args.json {
        println!(
            "{}",
            serde_json::json!({"completed": outcome.completed, "unchanged": outcome.unchanged})
        );
    } else {
        println!(
            "{}",
            msg!(
                "cli.training.imported",
                completed = outcome.completed,
                unchanged = outcome.unchanged
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}
