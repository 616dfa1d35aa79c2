//! The `powermap` binary: parse the command line and hand over.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = powermap::cli::Cli::parse();
    powermap::cli::run(cli)
}
