//! Sizes a run can afford. A scenario is text anyone can write; `recv 1000000M` or
//! `repeat 100000000 { ... }` must be refused with a message, not end the process when
//! the allocation fails.

use super::Diagnostic;
use super::ast::{Action, Item, RecvMode, Scenario, Step, Value};
use super::value;

/// The largest recv buffer, recv frame chunk, or value a step may use.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// How many steps a run may carry out, repeats counted (every step is an event kept in
/// memory until the run is reported).
pub const MAX_STEPS: u64 = 1_000_000;

/// Every step over a limit, and the whole file when its repeats add up to too many steps.
pub(crate) fn check(file: &str, scenario: &Scenario) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let total = walk(&scenario.body, &mut |step| {
        if let Some(message) = oversized(step) {
            problems.push(Diagnostic {
                file: file.to_string(),
                line: step.line,
                col: step.col,
                width: step.action.verb().chars().count() as u32,
                message,
                help: Some(format!(
                    "stickylab keeps buffers and values to {} MiB",
                    MAX_BYTES / (1024 * 1024)
                )),
            });
        }
    });
    if total > MAX_STEPS {
        let first = first_repeat_line(&scenario.body).unwrap_or(1);
        problems.push(Diagnostic {
            file: file.to_string(),
            line: first,
            col: 1,
            width: 6,
            message: format!(
                "the repeats add up to {total} steps; a run may carry out at most {MAX_STEPS}"
            ),
            help: Some("make the repeat counts smaller, or run the scenario with --repeat".into()),
        });
    }
    problems
}

/// Visits every step once and returns how many steps a run carries out.
fn walk(items: &[Item], visit: &mut impl FnMut(&Step)) -> u64 {
    items.iter().fold(0u64, |total, item| {
        let n = match item {
            Item::Step(step) => {
                visit(step);
                1
            }
            Item::Repeat(block) => walk(&block.body, visit).saturating_mul(block.count),
        };
        total.saturating_add(n)
    })
}

fn first_repeat_line(items: &[Item]) -> Option<u32> {
    items.iter().find_map(|item| match item {
        Item::Repeat(block) => Some(block.line),
        Item::Step(_) => None,
    })
}

fn oversized(step: &Step) -> Option<String> {
    let buffer = |n: usize, what: &str| {
        (n > MAX_BYTES).then(|| format!("a {what} of {n} bytes is too large"))
    };
    let value_len = |v: &Value| {
        let (_, max) = value::len_range(v);
        (max > MAX_BYTES).then(|| format!("this value can be {max} bytes long, which is too large"))
    };
    match &step.action {
        Action::Recv(RecvMode::Once(n) | RecvMode::Exactly(n)) => buffer(*n, "recv"),
        Action::RecvFrom(n) => buffer(*n, "recvfrom buffer"),
        Action::RecvFrame { chunk, .. } => buffer(*chunk, "recv frame chunk"),
        Action::Send(v) | Action::SendAll(v) => value_len(v),
        Action::SendTo { value, .. } | Action::SendFrame { value, .. } => value_len(value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse;

    fn messages(source: &str) -> Vec<String> {
        match parse("big.lab", "big", source, &[]) {
            Ok(_) => Vec::new(),
            Err(diagnostics) => diagnostics.into_iter().map(|d| d.render(source)).collect(),
        }
    }

    #[test]
    fn a_huge_recv_is_refused_with_its_line() {
        let out =
            messages("server: listen\nclient: connect\nserver: accept\nserver: recv 1000000M\n");
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(
            out[0].starts_with("big.lab:4:9: a recv of 1048576000000 bytes is too large"),
            "{}",
            out[0]
        );
    }

    #[test]
    fn a_huge_value_is_refused() {
        let out = messages("server: listen\nclient: connect\nclient: send bytes 100000000M\n");
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].contains("too large"), "{}", out[0]);
    }

    #[test]
    fn repeats_that_add_up_to_too_many_steps_are_refused() {
        let out = messages("repeat 1000 {\n  repeat 1001 {\n    a: mark x\n  }\n}\n");
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].contains("1001000 steps"), "{}", out[0]);
        assert!(messages("repeat 1000 {\n  a: mark x\n}\n").is_empty());
    }
}
