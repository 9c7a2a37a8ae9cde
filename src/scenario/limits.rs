//! What a run can afford. A scenario is text anyone can write (or generate); every
//! number in it that multiplies work or memory has a limit here, and exceeding one is a
//! `check` error that names the limit and points at the line, never a run that spins,
//! overflows its stack or ends the process when an allocation fails.
//!
//! The parser enforces the limits it can see on one line (counts, depth, actors); this
//! file holds the numbers and the checks that need the whole file (steps, buffer sizes,
//! the run's duration).

use std::time::Duration;

use super::Diagnostic;
use super::ast::{Action, Item, RecvMode, Scenario, Step, Value};
use super::diagnostic::{Collector, Said};
use super::value;

/// The largest file `parse` reads: a hand-written scenario is a few KiB. Parsing holds
/// every token at once (about 70 bytes of memory per byte of a file of short strings),
/// so 2 MiB keeps the worst file under 200 MB.
pub const MAX_SOURCE_BYTES: usize = 2 * 1024 * 1024;
/// The largest recv buffer, recv frame chunk, `max-frame`, or value a step may use.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// How many steps a run may carry out, repeats counted (every step is an event kept in
/// memory until the run is reported).
pub const MAX_STEPS: u64 = 1_000_000;
/// The largest count of a `repeat N {` block (an empty block still loops).
pub const MAX_REPEAT: u64 = 1_000_000;
/// How deep `repeat` blocks may nest. The runner walks blocks recursively, one stack
/// frame per level, so this bounds its stack depth.
pub const MAX_DEPTH: usize = 32;
/// How many parts one value stands for: each string, `hex`, `bytes` or `random` counts
/// once per repetition (`"ab" * 1000 + bytes 5` is 1001). Making or matching a value
/// visits every part, so this bounds the work even of a value of no bytes
/// (`"" * 1000000000`).
pub const MAX_VALUE_PARTS: u64 = 1_000_000;
/// How many alternatives (`A | B | ...`) an expectation may list.
pub const MAX_ALTERNATIVES: usize = 16;
/// How many actors a scenario may have: each is a thread of its own.
pub const MAX_ACTORS: usize = 64;
/// How long a whole run may last unless `--run-limit` says otherwise: enough for a 1 GiB
/// transfer on a slow machine, far less than a forgotten `repeat` of sleeps. The runner
/// stops a run there; a file whose sleeps alone take longer is refused before it runs,
/// by [`check_run_limit`].
pub const DEFAULT_RUN_LIMIT: Duration = Duration::from_secs(10 * 60);

/// Every step over a limit, and the whole file when its repeats add up to too many steps.
pub(crate) fn check(file: &str, scenario: &Scenario) -> Vec<Diagnostic> {
    let mut problems = Collector::new(file);
    let total = walk(&scenario.body, &mut |step| {
        if let Some(message) = oversized(step) {
            problems.push(
                (step.line, step.col, verb_width(step)),
                message,
                Some(Said::both(
                    format!(
                        "stickylab keeps buffers and values to {} MiB",
                        MAX_BYTES / (1024 * 1024)
                    ),
                    format!(
                        "stickylab 的缓冲区和值最多 {} MiB",
                        MAX_BYTES / (1024 * 1024)
                    ),
                )),
            );
        }
    });
    if total > MAX_STEPS {
        let first = first_repeat_line(&scenario.body).unwrap_or(1);
        problems.push(
            (first, 1, 6),
            Said::both(
                format!(
                    "the repeats add up to {total} steps; a run may carry out at most {MAX_STEPS}"
                ),
                format!("repeat 加起来共 {total} 个步骤；一次运行最多执行 {MAX_STEPS} 个"),
            ),
            Some(Said::both(
                "make the repeat counts smaller, or run the scenario with --repeat",
                "把 repeat 的次数改小，或者用 --repeat 多次运行这个场景",
            )),
        );
    }
    problems.into_vec()
}

fn verb_width(step: &Step) -> u32 {
    u32::try_from(step.action.verb().chars().count()).unwrap_or(1)
}

/// Refuses a scenario whose sleeps alone outlast `limit`: actors run side by side, so
/// the run lasts at least as long as the sleepiest actor's sleeps, repeats multiplied
/// (`repeat 1000000 { client: sleep 4s }` is 46 days). Points at that actor's first
/// sleep. Other waits end with the peer or the deadline, so only sleeps are certain.
pub fn check_run_limit(file: &str, scenario: &Scenario, limit: Duration) -> Option<Diagnostic> {
    scenario.actors.iter().find_map(|actor| {
        let mut total = Duration::ZERO;
        let mut first = None;
        sleeps(&scenario.body, actor, 1, &mut total, &mut first);
        let (step, times) = first?;
        (total > limit).then(|| {
            let (runs, runs_zh) = if times > 1 {
                (
                    format!(" (this sleep runs {times} times)"),
                    format!("（这个 sleep 执行 {times} 次）"),
                )
            } else {
                (String::new(), String::new())
            };
            let (total, limit) = (
                humantime::format_duration(total),
                humantime::format_duration(limit),
            );
            Diagnostic {
                file: file.to_string(),
                line: step.line,
                col: step.col,
                width: verb_width(step),
                message: Said::both(
                    format!("`{actor}` sleeps {total} in all{runs}; a run may last at most {limit}"),
                    format!("`{actor}` 一共 sleep {total}{runs_zh}；一次运行最多持续 {limit}"),
                ),
                help: Some(Said::both(
                    "the run limit bounds a whole run: make the sleeps or the repeat counts smaller, or give a longer `--run-limit`",
                    "运行时限限制整次运行：把 sleep 或 repeat 的次数改小，或者给一个更长的 `--run-limit`",
                )),
            }
        })
    })
}

/// Adds `actor`'s sleeps in `items`, each `times` times (saturating), and remembers the
/// first sleep with how often it runs. Recursion is bounded by [`MAX_DEPTH`].
fn sleeps<'s>(
    items: &'s [Item],
    actor: &str,
    times: u64,
    total: &mut Duration,
    first: &mut Option<(&'s Step, u64)>,
) {
    for item in items {
        match item {
            Item::Step(step) => {
                if let Action::Sleep(d) = &step.action
                    && step.actor == actor
                {
                    let n = u32::try_from(times).unwrap_or(u32::MAX);
                    *total = total.saturating_add(d.saturating_mul(n));
                    first.get_or_insert((step, times));
                }
            }
            Item::Repeat(block) => sleeps(
                &block.body,
                actor,
                times.saturating_mul(block.count),
                total,
                first,
            ),
        }
    }
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

fn oversized(step: &Step) -> Option<Said> {
    let buffer = |n: usize, (what, what_zh): (&str, &str)| {
        (n > MAX_BYTES).then(|| {
            Said::both(
                format!("a {what} of {n} bytes is too large"),
                format!("{what_zh}有 {n} 字节，太大了"),
            )
        })
    };
    let value_len = |v: &Value| {
        let (_, max) = value::len_range(v);
        let part = value::largest_part(v);
        if max > MAX_BYTES {
            Some(Said::both(
                format!("this value can be {max} bytes long, which is too large"),
                format!("这个值最长可达 {max} 字节，太大了"),
            ))
        } else if part > MAX_BYTES {
            Some(Said::both(
                format!("a part of this value is {part} bytes long, which is too large"),
                format!("这个值的一部分长 {part} 字节，太大了"),
            ))
        } else {
            None
        }
    };
    match &step.action {
        Action::Recv(RecvMode::Once(n) | RecvMode::Exactly(n)) => {
            buffer(*n, ("recv", "recv 的缓冲区"))
        }
        Action::RecvFrom(n) => buffer(*n, ("recvfrom buffer", "recvfrom 的缓冲区")),
        Action::RecvFrame { chunk, .. } => {
            buffer(*chunk, ("recv frame chunk", "recv frame 的 chunk"))
        }
        Action::Send(v) | Action::SendAll(v) => value_len(v),
        Action::SendTo { value, .. } | Action::SendFrame { value, .. } => value_len(value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::check_run_limit;
    use crate::scenario::{parse, parser};

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

    /// The limits speak Chinese too, message and hint.
    #[test]
    fn a_limit_in_chinese() {
        let source = "server: listen\nclient: connect\nserver: accept\nserver: recv 1000000M\n";
        let Err(diagnostics) = parse("big.lab", "big", source, &[]) else {
            panic!("a recv of 1000000M parsed");
        };
        assert_eq!(
            diagnostics[0].render_in(source, "zh"),
            "big.lab:4:9: recv 的缓冲区有 1048576000000 字节，太大了\n\
             4 | server: recv 1000000M\n  \
               |         ^^^^\n\
             提示：stickylab 的缓冲区和值最多 64 MiB"
        );
        let source = "repeat 1000 {\n  repeat 1001 {\n    a: mark x\n  }\n}\n";
        let Err(diagnostics) = parse("big.lab", "big", source, &[]) else {
            panic!("1001000 steps parsed");
        };
        let text = diagnostics[0].render_in(source, "zh");
        assert!(text.contains("repeat 加起来共 1001000 个步骤"), "{text}");
        assert!(text.contains("提示：把 repeat 的次数改小"), "{text}");
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

    fn run_limit(source: &str, limit: Duration) -> Option<String> {
        let scenario = parser::parse("t.lab", "t", source, &[]).ok()?;
        check_run_limit("t.lab", &scenario, limit).map(|d| d.render(source))
    }

    #[test]
    fn sleeps_over_the_run_limit_point_at_the_first_sleep() {
        let src = "a: mark x
repeat 1000000 {
  client: sleep 4s
}
";
        let out = run_limit(src, super::DEFAULT_RUN_LIMIT).unwrap_or_default();
        assert!(
            out.starts_with(
                "t.lab:3:11: `client` sleeps 1month 15days 20h 33m 4s in all \
                 (this sleep runs 1000000 times); a run may last at most 10m"
            ),
            "{out}"
        );
        // Actors sleep side by side: two of 6 minutes each take 6 minutes.
        let src = "a: sleep 6m
b: sleep 6m
";
        assert_eq!(run_limit(src, super::DEFAULT_RUN_LIMIT), None);
        assert!(
            run_limit(
                "a: sleep 6m
a: sleep 6m
",
                super::DEFAULT_RUN_LIMIT
            )
            .is_some()
        );
        // Saturating, not overflowing.
        let src = "repeat 1000000 {
 repeat 1000000 {
  a: sleep 100000000000000s
 }
}
";
        assert!(run_limit(src, Duration::MAX).is_none());
        assert!(run_limit(src, Duration::from_secs(1)).is_some());
    }
}
