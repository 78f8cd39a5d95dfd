//! The invariants every input must keep, checked on one text at a time: by the fuzz targets
//! (`fuzz/`), by the property test over mutated fixtures, and by the replay of every input the
//! fuzzer ever crashed on. A panic anywhere in the engine is a failure too (the callers catch or
//! report it).

use std::path::Path;
use std::sync::Arc;

use nestlint_diagnostics::{render_plain, render_pretty, ColorMode};
use nestlint_syntax::{is_tsx, parse, syntax_error_count, without_bom};

use crate::config::ConfigSource;
use crate::fix::FixOptions;
use crate::run::{Linter, RunOptions};

/// Lints `text` as the file `name` in `dir` (a project of one file, no configuration), renders
/// the findings, then fixes it with every fix, safe and unsafe. Checks that:
/// - every finding's range lies within the text, on character boundaries;
/// - the renderers accept every finding;
/// - the fixed text is UTF-8 that parses with no more syntax errors than the original, and a
///   file the grammar does not fully recognise is not fixed at all.
pub fn check_text(linter: &Linter, dir: &Path, name: &str, text: &str) -> Result<(), String> {
    let path = dir.join(name);
    let options = RunOptions {
        threads: 1,
        display_base: dir.to_path_buf(),
        config: ConfigSource::None,
        stdin: Some((path.clone(), Arc::from(text))),
        error_on_unmatched: false,
        ..RunOptions::default()
    };
    let report = linter
        .lint_paths(&[], &options)
        .map_err(|err| format!("the run failed: {err}"))?;
    for diagnostic in &report.diagnostics {
        let range = diagnostic.range;
        let source = report
            .sources
            .get(&diagnostic.path)
            .map(|s| s.text.clone())
            .unwrap_or_else(|| Arc::from(text));
        if range.end() > source.len()
            || !source.is_char_boundary(range.start())
            || !source.is_char_boundary(range.end())
        {
            return Err(format!(
                "{} reported at {:?}, outside the text or inside a character",
                diagnostic.rule, range
            ));
        }
    }
    let _ = render_plain(&report.diagnostics, &report.sources);
    let _ = render_pretty(&report.diagnostics, &report.sources, ColorMode::Never, None);

    let fix = FixOptions {
        unsafe_fixes: true,
        skip_read_only: false,
        only_rule: None,
        only_file: None,
    };
    let outcome = linter
        .fix_paths(&[], &options, fix)
        .map_err(|err| format!("the fix run failed: {err}"))?;
    let tsx = is_tsx(&path);
    let errors = |text: &str| parse(&without_bom(text), tsx).map(|tree| syntax_error_count(&tree));
    for file in &outcome.files {
        let (before, after) = (errors(&file.original), errors(&file.fixed));
        match (before, after) {
            (Some(0), Some(0)) => {}
            (Some(0), None) => {
                return Err(format!(
                    "the parser gives up on {} once fixed",
                    display(&file.path)
                ));
            }
            (Some(0), Some(after)) => {
                return Err(format!(
                    "a fix of {} added {after} syntax error(s):\n{}",
                    display(&file.path),
                    file.fixed
                ));
            }
            (Some(before), _) => {
                return Err(format!(
                    "{} was fixed although it has {before} syntax error(s)",
                    display(&file.path)
                ));
            }
            (None, _) => {
                return Err(format!(
                    "{} was fixed although the parser gave up on it",
                    display(&file.path)
                ));
            }
        }
    }
    Ok(())
}

fn display(path: &Path) -> String {
    path.display().to_string()
}
