//! Text -> [`Scenario`]: the lexer turns a file into tokens with spans, the parser turns
//! tokens into the checked model of `ast.rs`, and every problem becomes a [`Diagnostic`]
//! that points at a file, line and column.

pub mod ast;
pub mod diagnostic;
pub(crate) mod escape;
pub(crate) mod lexer;
pub(crate) mod limits;
pub(crate) mod parser;
#[cfg(test)]
mod props;
pub(crate) mod value;

pub use ast::Scenario;
pub use diagnostic::Diagnostic;

/// Parses and checks a scenario file.
///
/// `file` is the path shown in diagnostics and records; `name` the scenario's name (the
/// file stem); `overrides` the `--param NAME=VALUE` pairs of the command line. Nothing is
/// run: a file with any error gives back every diagnostic found, in file order.
pub fn parse(
    file: &str,
    name: &str,
    source: &str,
    overrides: &[(String, String)],
) -> Result<Scenario, Vec<Diagnostic>> {
    let scenario = parser::parse(file, name, source, overrides)?;
    let problems = limits::check(file, &scenario);
    if problems.is_empty() {
        Ok(scenario)
    } else {
        Err(problems)
    }
}
