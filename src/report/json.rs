//! TEMPORARY stub (replaced by the report branch).
use super::{Report, ReportOptions};
use crate::run::Record;
use crate::scenario::Scenario;

pub struct Json;

impl Report for Json {
    fn render(&self, _scenario: &Scenario, record: &Record, _options: &ReportOptions) -> String {
        format!("{record:#?}")
    }
}
