//! Fixture tests, one per file, discovered at run time (new fixtures need no rebuild):
//! - `fixtures/<rule-id>/valid*.ts`: linted alone, must yield no diagnostic of that rule;
//! - `fixtures/<rule-id>/invalid*.ts`: must yield at least one, snapshotted to `<file>.snap`;
//! - `fixtures/projects/<case>/`: a small Nest project linted like the CLI does, snapshotted to
//!   `<case>/expected.snap` (an empty snapshot asserts a clean project).
//!
//! Plus meta-tests that keep rules, fixtures and docs in step.

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use nestlint_diagnostics::render_plain;
use nestlint_engine::{Linter, RunOptions};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn linter() -> Linter {
    Linter::new(nestlint_rules::all_rules())
}

fn main() {
    let args = Arguments::from_args();
    let fixtures = repo_root().join("fixtures");
    let mut trials = Vec::new();
    for dir in sorted_entries(&fixtures, |p| p.is_dir()) {
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name == "projects" {
            for case in sorted_entries(&dir, |p| p.is_dir()) {
                let case_name = case
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                trials.push(Trial::test(format!("project::{case_name}"), move || {
                    project_case(&case)
                }));
            }
            continue;
        }
        let is_fixture = |p: &Path| p.extension().is_some_and(|e| e == "ts" || e == "tsx");
        for file in sorted_entries(&dir, is_fixture) {
            let rule = name.clone();
            let file_name = file
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            trials.push(Trial::test(format!("{rule}::{file_name}"), move || {
                rule_case(&rule, &file)
            }));
        }
    }
    trials.push(Trial::test(
        "meta::every_rule_has_valid_and_invalid_fixtures",
        every_rule_has_fixtures,
    ));
    trials.push(Trial::test(
        "meta::no_fixture_directory_names_an_unknown_rule",
        no_unknown_fixture_dirs,
    ));
    trials.push(Trial::test(
        "meta::rule_docs_have_the_required_sections",
        docs_have_sections,
    ));
    trials.push(Trial::test(
        "meta::messages_follow_the_convention",
        messages_follow_convention,
    ));
    libtest_mimic::run(&args, trials).exit();
}

/// The entries of `dir` that `keep` accepts, sorted (a missing directory has none).
fn sorted_entries(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| keep(p))
                .collect()
        })
        .unwrap_or_default();
    entries.sort();
    entries
}

fn rule_case(rule: &str, file: &Path) -> Result<(), Failed> {
    let dir = file.parent().ok_or("fixture has no directory")?;
    let report = linter().lint_files_as_project(&[file.to_path_buf()], dir);
    let mut diagnostics: Vec<_> = report
        .diagnostics
        .into_iter()
        .filter(|d| d.rule == rule)
        .collect();
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let file_name = file
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let rendered = render_plain(&diagnostics, &report.sources);
    if file_name.starts_with("valid") {
        if !diagnostics.is_empty() {
            return Err(format!(
                "expected no `{rule}` diagnostics in {file_name}, got:\n{rendered}"
            )
            .into());
        }
        return Ok(());
    }
    if diagnostics.is_empty() {
        return Err(format!("expected `{rule}` diagnostics in {file_name}, got none").into());
    }
    snapshot(dir, &file_name, &rendered)
}

fn project_case(case: &Path) -> Result<(), Failed> {
    let report = linter()
        .lint_paths(
            &[case.to_path_buf()],
            &RunOptions {
                threads: 2,
                display_base: case.to_path_buf(),
                ..RunOptions::default()
            },
        )
        .map_err(|e| e.to_string())?;
    let rendered = render_plain(&report.diagnostics, &report.sources);
    snapshot(case, "expected", &rendered)
}

fn snapshot(dir: &Path, name: &str, rendered: &str) -> Result<(), Failed> {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    // libtest-mimic reports a panicking trial (insta's mismatch) as a failure.
    settings.bind(|| insta::assert_snapshot!(name.to_owned(), rendered));
    Ok(())
}

fn rule_ids() -> Vec<&'static str> {
    linter().rules().iter().map(|r| r.meta().id).collect()
}

fn every_rule_has_fixtures() -> Result<(), Failed> {
    for id in rule_ids() {
        let dir = repo_root().join("fixtures").join(id);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .map_err(|e| format!("fixtures/{id}: {e}"))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        if !names.iter().any(|n| n == "valid.ts") {
            return Err(format!("fixtures/{id} has no valid.ts").into());
        }
        if !names
            .iter()
            .any(|n| n.starts_with("invalid") && n.ends_with(".ts"))
        {
            return Err(format!("fixtures/{id} has no invalid*.ts").into());
        }
    }
    Ok(())
}

fn no_unknown_fixture_dirs() -> Result<(), Failed> {
    let ids = rule_ids();
    for entry in std::fs::read_dir(repo_root().join("fixtures"))
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && name != "projects" && !ids.contains(&name.as_str()) {
            return Err(format!("fixtures/{name} names no registered rule").into());
        }
    }
    Ok(())
}

fn docs_have_sections() -> Result<(), Failed> {
    for rule in linter().rules() {
        let meta = rule.meta();
        for section in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "Use instead:",
        ] {
            if !meta.docs.contains(section) {
                return Err(format!("docs of {} lack `{section}`", meta.id).into());
            }
        }
        if !meta.docs.contains("```ts,expect_diagnostic") {
            return Err(
                format!("docs of {} have no `ts,expect_diagnostic` example", meta.id).into(),
            );
        }
    }
    Ok(())
}

/// Messages start lowercase (or with code) and end without a period, across all snapshots.
fn messages_follow_convention() -> Result<(), Failed> {
    let report = linter()
        .lint_paths(
            &[repo_root().join("examples/shop-api")],
            &RunOptions {
                threads: 2,
                display_base: repo_root(),
                ..RunOptions::default()
            },
        )
        .map_err(|e| e.to_string())?;
    if report.diagnostics.is_empty() {
        return Err("the example app should have findings".into());
    }
    for d in &report.diagnostics {
        let first = d.message.chars().next().unwrap_or(' ');
        let starts_ok = first.is_lowercase()
            || first == '`'
            || d.message.starts_with("JWT")
            || d.message.starts_with("DTO");
        if !starts_ok || d.message.ends_with('.') {
            return Err(format!("message breaks the convention: {:?}", d.message).into());
        }
    }
    Ok(())
}
