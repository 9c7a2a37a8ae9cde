//! The fuzzer's corpus, replayed on stable Rust: every file of `fuzz/corpus/check/` goes
//! through the scenario parser the way the `check` fuzz target feeds it (lossy UTF-8,
//! every diagnostic rendered) and must come back as a scenario or as diagnostics, not
//! as a panic. The corpus holds the inputs that reached new code while fuzzing, so this
//! keeps those corners covered by `cargo test` without libFuzzer or nightly flags.

use std::fs;
use std::path::Path;

const CORPUS: &str = "fuzz/corpus/check";

#[test]
fn every_corpus_input_parses_or_is_refused_without_a_panic() {
    let mut entries: Vec<_> = fs::read_dir(CORPUS)
        .unwrap_or_else(|e| panic!("cannot read {CORPUS}: {e}"))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    assert!(
        entries.len() >= 50,
        "only {} files in {CORPUS}: is the corpus there?",
        entries.len()
    );
    let (mut parsed, mut refused) = (0, 0);
    for path in &entries {
        let bytes = fs::read(path).expect("a readable corpus file");
        let source = String::from_utf8_lossy(&bytes);
        let name = Path::new(path).display().to_string();
        let outcome = std::panic::catch_unwind(|| {
            match stickylab::scenario::parse(&name, "fuzz", &source, &[]) {
                Ok(_) => true,
                Err(diagnostics) => {
                    for diagnostic in &diagnostics {
                        let _ = diagnostic.render(&source);
                    }
                    false
                }
            }
        });
        match outcome {
            Ok(true) => parsed += 1,
            Ok(false) => refused += 1,
            Err(_) => panic!("the parser panicked on {name}"),
        }
    }
    // The seeds include the built-in scenarios and the malformed examples: both kinds
    // of answer must occur, or the replay is not exercising what it claims to.
    assert!(
        parsed > 0 && refused > 0,
        "{parsed} parsed, {refused} refused"
    );
}
