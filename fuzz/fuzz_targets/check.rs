//! What `stickylab check` does with a file, on arbitrary bytes: lex, parse, check the
//! limits, and render every diagnostic against the source. Any input must come back as a
//! scenario or as diagnostics; a panic, a hang or a huge allocation is a bug.
//!
//! The bytes are read as lossy UTF-8: `check` refuses a file that is not UTF-8 before it
//! parses anything, so only text reaches the parser.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    if let Err(diagnostics) = stickylab::scenario::parse("fuzz.lab", "fuzz", &source, &[]) {
        for diagnostic in diagnostics {
            let _ = diagnostic.render(&source);
        }
    }
});
