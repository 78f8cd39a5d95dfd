//! Any bytes, as a TypeScript file (or TSX, by the first byte): lint, render and fix must keep
//! the invariants of `nestlint_engine::selfcheck`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use nestlint_engine::selfcheck::check_text;
use nestlint_engine::Linter;

struct Harness {
    linter: Linter,
    dir: tempfile::TempDir,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| Harness {
        linter: Linter::new(nestlint_rules::all_rules()),
        dir: tempfile::tempdir().expect("a temporary directory"),
    })
}

fuzz_target!(|data: &[u8]| {
    let (name, body) = match data.split_first() {
        Some((b'x', rest)) => ("input.tsx", rest),
        _ => ("input.ts", data),
    };
    let text = String::from_utf8_lossy(body);
    let harness = harness();
    if let Err(why) = check_text(&harness.linter, harness.dir.path(), name, &text) {
        panic!("{why}");
    }
});
