//! `mamori sanitize`: run the 無害化 engine on one message.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct SanitizeArgs {}

pub fn run(_args: SanitizeArgs) -> ExitCode {
    eprintln!("mamori sanitize: not available yet");
    ExitCode::from(2)
}
