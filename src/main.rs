use std::process::ExitCode;

use clap::Parser;
use stickylab::app::{self, EXIT_INTERRUPTED, Outcome};
use stickylab::cli::Cli;

/// Parses the command line, runs the command, and maps its end to an exit status:
/// 0 every expectation held, 1 one failed or a step was blocked, 2 a usage or scenario
/// error (clap's own usage errors exit 2 as well), 130 Ctrl-C cut it short.
fn main() -> ExitCode {
    let cli = Cli::parse();
    match app::run(cli) {
        Ok(Outcome::Pass) => ExitCode::SUCCESS,
        Ok(Outcome::Fail) => ExitCode::from(1),
        Ok(Outcome::Interrupted) => ExitCode::from(EXIT_INTERRUPTED),
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(2)
        }
    }
}
