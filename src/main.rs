use std::process::ExitCode;

use clap::Parser as _;
use stickylab::app::{self, EXIT_INTERRUPTED, Outcome};
use stickylab::cli::Cli;

/// Parses the command line, runs the command, and maps its end to an exit status:
/// 0 every expectation held, 1 one failed or a step was blocked, 2 a usage or scenario
/// error (clap's own usage errors exit 2 as well), 130 Ctrl-C cut it short.
fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let args: Vec<String> = std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            if let Some(text) = app::usage_error_in_chinese(&error, &args) {
                eprintln!("{text}");
                return ExitCode::from(2);
            }
            error.exit()
        }
    };
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
