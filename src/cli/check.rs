//! `gssm check FILE [GROUP]` (being built).

use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Source file (.gssm).
    pub file: std::path::PathBuf,
    /// Group to check (default: the last group defined in the file).
    pub group: Option<String>,
}

pub fn run(_args: Args) -> ExitCode {
    ExitCode::FAILURE
}
