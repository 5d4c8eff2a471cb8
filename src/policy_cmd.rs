//! `mamori policy import`: a 例規-style text (UTF-8 or Shift_JIS) read into a policy document, as
//! the operator who holds the data folder. The import itself is the web's own operation, so a
//! file imported here and one uploaded on the page are judged alike.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use mamori_core::i18n::Lang;
use mamori_store::{Author, Origin, PolicyStore};
use mamori_web::{AppError, ImportDraft, import_text, imported_json};

use crate::messages::msg;
use crate::{DataArgs, open_store};

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Import a policy text: a new document, or the next draft of the document of the same
    /// organisation, tier and title.
    Import(ImportArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    data: DataArgs,
    /// basic (基本方針), standard (対策基準) or procedure (実施手順).
    #[arg(long)]
    tier: String,
    /// The document's title.
    #[arg(long)]
    title: String,
    /// The organisation's code; may be left out when there is only one organisation.
    #[arg(long)]
    org: Option<String>,
    /// Who approves its versions: ciso (the default), security_director or security_officer.
    #[arg(long, default_value = "")]
    approver_role: String,
    /// Print one JSON object: policy_id, version, sections, clauses, supplementary.
    #[arg(long)]
    json: bool,
    /// The text file (UTF-8 or Shift_JIS).
    file: PathBuf,
}

pub async fn run(command: PolicyCommand) -> anyhow::Result<ExitCode> {
    match command {
        PolicyCommand::Import(args) => import(args).await,
    }
}

async fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| msg!("cli.file.reading", path = args.file.display()))?;
    let store = open_store(&args.data, false).await?;
    let organisations = store.organisation_codes().await?;
    let org = match (&args.org, organisations.as_slice()) {
        (Some(code), _) => organisations
            .iter()
            .find(|(_, c)| c.eq_ignore_ascii_case(code.trim()))
            .map(|(id, _)| *id)
            .with_context(|| msg!("cli.org.unknown", code = code))?,
        (None, [(id, _)]) => *id,
        (None, []) => bail!(msg!("cli.org.none")),
        (None, _) => {
            let codes: Vec<&str> = organisations.iter().map(|(_, c)| c.as_str()).collect();
            bail!(msg!("cli.org.choose", codes = codes.join(", ")))
        }
    };
    let draft = ImportDraft {
        org_id: Some(org.0),
        tier: args.tier,
        title: args.title,
        approver_role: args.approver_role,
        bytes,
    };
    let imported = match import_text(
        store.as_ref(),
        Author::Operator,
        &draft,
        &Origin::system("policy import"),
    )
    .await
    {
        Ok(imported) => imported,
        Err(error) => {
            store.close().await;
            eprintln!("{}", refusal(&error));
            return Ok(ExitCode::from(1));
        }
    };
    store.close().await;
    let summary = imported_json(&imported);
    if args.json {
        println!("{summary}");
    } else {
        println!(
            "{}",
            msg!(
                "cli.policy.imported",
                org = imported.policy.org_name,
                title = imported.policy.title,
                policy = summary["policy_id"],
                version = summary["version"],
                sections = summary["sections"],
                clauses = summary["clauses"],
                supplementary = imported.text.supplementary.len(),
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Why an import was refused, in Japanese then English: the headline, then the line of the text
/// or every refused field.
pub fn refusal(error: &AppError) -> String {
    let say = |lang: Lang| {
        let mut text = lang.t(error.message_key()).to_owned();
        if let Some((_, sentence)) = error.text_problem(lang) {
            text = format!("{text} {sentence}");
        }
        if let AppError::Invalid(fields) = error {
            for field in fields {
                text = format!("{text} {}", lang.field_error(field));
            }
        }
        text
    };
    format!("{} ({})", say(Lang::Ja), say(Lang::En))
}

/// Brings approved versions into force on their 施行日: at start, then every minute, so that a
/// version approved for a later day is in force from the first minute of that day (JST).
pub async fn bring_into_force(store: std::sync::Arc<dyn mamori_store::Store>) {
    let origin = Origin::system("policy");
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        match store.bring_into_force(&origin).await {
            Ok(done) => {
                for (policy, version) in done {
                    tracing::info!(%policy, version, "policy version in force");
                }
            }
            Err(error) => tracing::error!(%error, "bringing policy versions into force failed"),
        }
    }
}
