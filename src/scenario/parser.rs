//! TODO
use super::{Diagnostic, Scenario};

pub(crate) fn parse(
    file: &str,
    name: &str,
    source: &str,
    overrides: &[(String, String)],
) -> Result<Scenario, Vec<Diagnostic>> {
    todo!("{file} {name} {source} {overrides:?}")
}
