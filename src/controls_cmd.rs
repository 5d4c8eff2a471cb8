//! `mamori controls import`: a catalogue of measures from a CISO Assistant library (YAML), as the
//! operator who holds the data folder; and mamori's own catalogue, installed at the first start.
//! The import is the web's own operation, so a file imported here and one sent to the API are
//! judged alike.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use mamori_core::controls::{BUILTIN_YAML, builtin};
use mamori_store::{Importer, Origin, Store};
use mamori_web::import_library;

use crate::messages::msg;
use crate::policy_cmd::refusal;
use crate::{DataArgs, open_store};

#[derive(Subcommand)]
pub enum ControlsCommand {
    /// Import a catalogue (CISO Assistant library YAML), or replace the one with the same urn.
    Import(ImportArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The library file (YAML).
    file: PathBuf,
}

pub async fn run(command: ControlsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ControlsCommand::Import(args) => {
            let bytes = std::fs::read(&args.file)
                .with_context(|| msg!("cli.file.reading", path = args.file.display()))?;
            let store = open_store(&args.data, false).await?;
            let result = import_library(
                store.as_ref(),
                Importer::Operator,
                &bytes,
                &Origin::system("controls import"),
            )
            .await;
            store.close().await;
            match result {
                Ok((summary, created)) => {
                    let key = if created {
                        "cli.controls.imported"
                    } else {
                        "cli.controls.replaced"
                    };
                    println!(
                        "{}",
                        crate::messages::fill(
                            key,
                            &[
                                ("name", summary.name.clone()),
                                ("urn", summary.urn.clone()),
                                ("measures", summary.measures.to_string()),
                                ("id", summary.id.to_string()),
                            ],
                        )
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => {
                    eprintln!("{}", refusal(&error));
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}

/// Installs mamori's own catalogue when the database has none of its urn, so that a new site
/// starts with the measures of a MIC-style 対策基準.
pub async fn install_builtin(store: &dyn Store) -> anyhow::Result<()> {
    let urn = builtin().info().urn.clone();
    if store.catalogue_by_urn(&urn).await?.is_none() {
        import_library(
            store,
            Importer::Operator,
            BUILTIN_YAML.as_bytes(),
            &Origin::system("controls builtin"),
        )
        .await
        .map_err(|e| anyhow::anyhow!(msg!("cli.controls.builtin_failed", code = e.code())))?;
    }
    Ok(())
}
