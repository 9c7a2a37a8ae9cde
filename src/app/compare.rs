//! `stickylab compare A B`: both sides parsed before anything runs, then run in turn
//! (A's run k, B's run k, ...; run k of each side with seed+k), so that a machine that
//! grows busy meanwhile slows both alike. Each side's runs fold into a summary and a pool
//! of timer samples; `report::compare` pairs and prints them.

use std::sync::Arc;

use super::{Error, Outcome, ParseWith, interrupt, interrupted_line, load, progress_bar, terminal};
use crate::cli::{CompareArgs, CompareFormat};
use crate::record::aggregate::{Fold, Summary};
use crate::record::timers::TimerPool;
use crate::report::Tee;
use crate::report::compare::{self, Comparison, Side};
use crate::run::{RunOptions, Runner};
use crate::scenario::Scenario;

/// The parameters of one side: `--param`, then that side's own, which win.
fn side_params(both: &[(String, String)], own: &[(String, String)]) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = Vec::new();
    for (name, value) in both.iter().chain(own) {
        params.retain(|(n, _)| n != name);
        params.push((name.clone(), value.clone()));
    }
    params
}

/// One side while it runs.
struct Running {
    scenario: Arc<Scenario>,
    params: Vec<(String, String)>,
    fold: Fold,
    timers: TimerPool,
}

impl Running {
    fn into_side(self, lang: &str) -> Side {
        let mut label = self.scenario.name.clone();
        for (name, value) in &self.params {
            label.push_str(&format!(" {name}={value}"));
        }
        Side {
            label,
            title: self.scenario.title.get(lang).unwrap_or("").to_string(),
            params: self.params,
            summary: self.fold.into_summary(),
            timers: self.timers.stats(),
        }
    }
}

pub(super) fn compare(args: &CompareArgs) -> Result<Outcome, Error> {
    let options = terminal::report_options(args.lang.as_deref());
    let lang = options.lang.clone();
    let seed = args.seed.unwrap_or_else(|| rand::random::<u32>().into());
    let b_arg = args.b.as_deref().unwrap_or(&args.a);
    let mut sides = Vec::new();
    // Both sides are parsed before anything runs: a file with an error runs nothing.
    for (arg, own) in [(args.a.as_str(), &args.params_a), (b_arg, &args.params_b)] {
        let params = side_params(&args.params, own);
        let with = ParseWith {
            params: &params,
            run_limit: args.run_limit,
            lang: &lang,
        };
        let scenario = Arc::new(load(arg, &with)?);
        let fold = Fold::new(Summary::new(&scenario.name, &scenario.file, seed));
        sides.push(Running {
            scenario,
            params,
            fold,
            timers: TimerPool::default(),
        });
    }
    let net = super::net::for_tagged(sides.iter().map(|s| s.scenario.as_ref()), &lang)?;
    let cancel = interrupt::on_ctrl_c();
    let mut runner = Runner::new();
    let planned = args.repeat.saturating_mul(2);
    let progress = progress_bar(planned, "compare", &lang);
    'runs: for k in 0..args.repeat {
        for side in &mut sides {
            if interrupt::pressed(&cancel) {
                break 'runs;
            }
            let run = RunOptions {
                seed: seed.wrapping_add(k),
                timeout: args.timeout,
                run_limit: args.run_limit,
                cancel: Some(Arc::clone(&cancel)),
                gate: None,
                net: net
                    .clone()
                    .filter(|_| crate::netns::needs_veth(&side.scenario)),
                ..RunOptions::default()
            };
            let mut both = Tee(&mut side.fold, &mut side.timers);
            runner.run_into(&side.scenario, &run, &mut both);
            progress.inc(1);
        }
    }
    progress.finish_and_clear();
    let mut sides = sides.into_iter().map(|s| s.into_side(&lang));
    let (Some(a), Some(b)) = (sides.next(), sides.next()) else {
        return Err(Error("compare has two sides".to_string()));
    };
    let comparison = Comparison::new(a, b, args.repeat);
    let mut out = std::io::stdout().lock();
    let _ = match args.format {
        CompareFormat::Table => {
            use std::io::Write as _;
            out.write_all(compare::render_table(&comparison, &options).as_bytes())
        }
        CompareFormat::Json => compare::write_json(&comparison, &mut out),
    };
    if interrupt::pressed(&cancel) {
        let finished = comparison.a.summary.runs + comparison.b.summary.runs;
        eprintln!("{}", interrupted_line(&lang, finished, planned));
        return Ok(Outcome::Interrupted);
    }
    Ok(Outcome::of(
        comparison.a.summary.passed() && comparison.b.summary.passed(),
    ))
}

#[cfg(test)]
mod tests {
    use super::side_params;

    #[test]
    fn a_sides_own_parameters_win_over_the_shared_ones() {
        let p = |n: &str, v: &str| (n.to_string(), v.to_string());
        assert_eq!(
            side_params(&[p("rounds", "5"), p("size", "3")], &[p("rounds", "10")]),
            vec![p("size", "3"), p("rounds", "10")]
        );
    }
}
