//! Embeds every `scenarios/*.lab` file into the binary, so `stickylab run hello-world`
//! works from any directory.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            println!("cargo:rerun-if-changed={}", path.display());
            if path.extension().is_some_and(|e| e == "lab")
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            {
                names.push((stem.to_string(), path.display().to_string()));
            }
        }
    }
    names.sort();
    let mut out = String::from("/// (name, source) of every built-in scenario, by name.\n");
    out.push_str("pub(crate) const EMBEDDED: &[(&str, &str)] = &[\n");
    for (name, path) in &names {
        let _ = writeln!(out, "    ({name:?}, include_str!({path:?})),");
    }
    out.push_str("];\n");
    let target =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("catalog.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
