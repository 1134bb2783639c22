//! Command-line interface: one module per subcommand.

mod bench;
mod check;
mod common;
mod compile;
mod data;
mod export;
mod inspect;
mod run;
mod source;
mod verify;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "gssm",
    version,
    about = "Compile finite groups to the weights of state-space models that track them"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Build a group and report its structure and the layers each target needs.
    Check(check::Args),
    /// Compile a group to the weights of an SSM that tracks it.
    Compile(compile::Args),
    /// Write a compiled model in a framework's own format (torch.nn.RNN).
    Export(export::Args),
    /// Write word-problem datasets (CSV or JSON lines) with exact labels.
    Data(data::Args),
    /// Show what a compiled weight file is: tokens, layers, tables, readout.
    Inspect(inspect::Args),
    /// Decode the running products of token sequences with a compiled model.
    Run(run::Args),
    /// Prove a compiled model correct, check it exhaustively, and measure its
    /// precision horizon per float type.
    Verify(verify::Args),
    /// Time the executors on a random token batch (tokens per second).
    #[command(hide = true)]
    Bench(bench::Args),
}

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Check(a) => check::run(a),
        Command::Compile(a) => compile::run(a),
        Command::Export(a) => export::run(a),
        Command::Data(a) => data::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Run(a) => run::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Bench(a) => bench::run(a),
    }
}
