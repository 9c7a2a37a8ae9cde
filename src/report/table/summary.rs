//! The summary of many runs for people (`--repeat`, `--all`): outcome counts per recv
//! step, pass rates per expectation, and the catalog table at the end of `--all`.

use std::time::Duration;

use crate::record::aggregate::Summary;
use crate::report::ReportOptions;
use crate::report::shared::{call_text, styled};
use crate::report::words::{
    catalog_verdict, labelled, min_mean_max, runs_verdict, say, summary_head,
};
use crate::text::fmt_duration;

/// The summary of one scenario's runs, for people.
pub(super) fn render_table(summary: &Summary, options: &ReportOptions) -> String {
    let mut out = summary_head(
        &options.lang,
        (&summary.scenario, &summary.file),
        summary.runs,
        summary.first_seed,
        summary
            .first_seed
            .wrapping_add(summary.runs.saturating_sub(1)),
    );
    out.push_str("\n\n");
    if !summary.steps.is_empty() {
        let mut table = styled(options);
        table.set_header(
            ["actor", "line", "call", "chunks each recv() got: how often"]
                .map(|w| say(&options.lang, w)),
        );
        for step in &summary.steps {
            let total = step.total();
            let mut outcomes: Vec<String> = step
                .shown()
                .into_iter()
                .map(|(o, n)| format!("{o}: {n} ({})", percent(n, total)))
                .collect();
            if step.other > 0 {
                outcomes.push(format!(
                    "{}: {} ({})",
                    say(&options.lang, "other outcomes"),
                    step.other,
                    percent(step.other, total)
                ));
            }
            table.add_row(vec![
                step.actor.clone(),
                step.line.to_string(),
                call_text(&step.call),
                outcomes.join("\n"),
            ]);
        }
        out.push_str(&format!("{table}\n\n"));
    }
    if !summary.expectations.is_empty() {
        let mut table = styled(options);
        table.set_header(["", "line", "expected", "held"].map(|w| say(&options.lang, w)));
        for e in &summary.expectations {
            let mark = if e.passed == e.total { "✓" } else { "✗" };
            table.add_row(vec![
                mark.to_string(),
                e.line.to_string(),
                e.expected.clone(),
                format!("{}/{} ({})", e.passed, e.total, percent(e.passed, e.total)),
            ]);
        }
        out.push_str(&format!("{table}\n\n"));
    }
    if summary.runs > 0 {
        let times = [
            fmt_duration(summary.wall_min),
            fmt_duration(mean(summary.wall_total, summary.runs)),
            fmt_duration(summary.wall_max),
        ];
        let times = min_mean_max(&options.lang, times.each_ref().map(String::as_str));
        out.push_str(&labelled(&options.lang, "wall per run", &times));
        out.push('\n');
    }
    if !summary.failed_seeds.is_empty() {
        let seeds: Vec<String> = summary.failed_seeds.iter().map(u64::to_string).collect();
        out.push_str(&labelled(
            &options.lang,
            "failed runs' seeds (replay with --seed)",
            &seeds.join(", "),
        ));
        out.push('\n');
    }
    out.push_str(&runs_verdict(
        &options.lang,
        summary.runs - summary.passed_runs,
        summary.runs,
    ));
    out.push('\n');
    out
}

/// The table at the end of `run --all`: scenario · runs passed · expectations held · wall.
pub(super) fn render_catalog(summaries: &[Summary], options: &ReportOptions) -> String {
    let mut table = styled(options);
    table.set_header(
        ["", "scenario", "runs passed", "expectations held", "wall"].map(|w| say(&options.lang, w)),
    );
    for s in summaries {
        let (held, total) = s.held();
        table.add_row(vec![
            if s.passed() { "✓" } else { "✗" }.to_string(),
            s.scenario.clone(),
            format!("{}/{}", s.passed_runs, s.runs),
            format!("{held}/{total}"),
            fmt_duration(s.wall_total),
        ]);
    }
    let failed = summaries.iter().filter(|s| !s.passed()).count();
    let last = catalog_verdict(&options.lang, failed, summaries.len());
    format!("{table}\n{last}\n")
}

fn mean(total: Duration, runs: u64) -> Duration {
    if runs == 0 {
        Duration::ZERO
    } else {
        Duration::from_nanos(u64::try_from(total.as_nanos() / u128::from(runs)).unwrap_or(u64::MAX))
    }
}

fn percent(passed: u64, total: u64) -> String {
    if total == 0 {
        return "-".to_string();
    }
    format!("{:.1}%", passed as f64 * 100.0 / total as f64)
}

#[cfg(test)]
mod tests {
    use super::render_table;
    use crate::report::ReportOptions;
    use crate::report::fixtures::thousand_runs;

    #[test]
    fn the_table_counts_outcomes_and_names_failed_seeds() {
        let text = render_table(
            &thousand_runs(),
            &ReportOptions {
                lang: "en".into(),
                color: false,
                width: None,
                max_data: crate::report::DEFAULT_MAX_DATA,
                full: false,
            },
        );
        assert!(text.contains("10: 998 (99.8%)"), "{text}");
        assert!(text.contains("5: 2 (0.2%)"), "{text}");
        assert!(text.contains("998/1000 (99.8%)"), "{text}");
        assert!(
            text.contains("failed runs' seeds (replay with --seed): 117, 533"),
            "{text}"
        );
        assert!(text.ends_with("FAIL (2 of 1000 runs failed)\n"), "{text}");
    }
}
