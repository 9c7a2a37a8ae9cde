//! TEMPORARY stub (replaced by the report branch).
use super::{Report, ReportOptions};
use crate::run::Record;
use crate::scenario::Scenario;

pub struct Table;

impl Report for Table {
    fn render(&self, _scenario: &Scenario, record: &Record, _options: &ReportOptions) -> String {
        format!("{record:#?}")
    }
}
