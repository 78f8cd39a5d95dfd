//! Fixture tests, one per file, discovered at run time (new fixtures need no rebuild):
//! - `fixtures/<rule-id>/valid*.ts`: linted alone, must yield no diagnostic of that rule;
//! - `fixtures/<rule-id>/invalid*.ts`: must yield at least one, snapshotted to `<file>.snap`;
//! - `fixtures/projects/<case>/`: a small Nest project linted like the CLI does, snapshotted to
//!   `<case>/expected.snap` (an empty snapshot asserts a clean project).
//!
//! - `docs::<rule-id>`: the rule's docs examples, executed (see [`docs_examples`]).
//!
//! Plus meta-tests that keep rules, fixtures and docs in step.

mod common;

use std::path::{Path, PathBuf};

use common::{copy_tree, repo_root};
use libtest_mimic::{Arguments, Failed, Trial};
use nestlint_diagnostics::{render_plain, Applicability, Diagnostic};
use nestlint_engine::workspace::normalize;
use nestlint_engine::{
    CliSelection, FixAvailability, FixOptions, FixOutcome, Linter, RuleMeta, RunOptions,
};

/// Every rule on, those off by default included: a fixture is about its rule.
fn linter() -> Linter {
    Linter::new(nestlint_rules::all_rules()).selecting(CliSelection {
        select: vec!["all".to_owned()],
        ..CliSelection::default()
    })
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
    for rule in linter().rules() {
        let meta = rule.meta();
        trials.push(Trial::test(format!("docs::{}", meta.id), move || {
            docs_examples(meta)
        }));
    }
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

/// The configuration files a fixture is linted with: `<stem>.tsconfig.json` beside
/// `<stem>.ts` is written as `tsconfig.json` beside a copy of the fixture, and so are the other
/// names of [`SIDECARS`].
fn sidecar_configs(file: &Path) -> Vec<(PathBuf, &'static str)> {
    let (Some(dir), Some(stem)) = (file.parent(), file.file_stem()) else {
        return Vec::new();
    };
    let stem = stem.to_string_lossy();
    SIDECARS
        .iter()
        .map(|&name| (dir.join(format!("{stem}.{name}")), name))
        .filter(|(sidecar, _)| sidecar.is_file())
        .collect()
}

const SIDECARS: [&str; 6] = [
    "tsconfig.json",
    "tsconfig.build.json",
    "tsconfig.app.json",
    "tsconfig.base.json",
    "tsconfig.spec.json",
    "nest-cli.json",
];

fn rule_case(rule: &str, file: &Path) -> Result<(), Failed> {
    let dir = file.parent().ok_or("fixture has no directory")?;
    let sidecars = sidecar_configs(file);
    let copy = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (file, dir) = if sidecars.is_empty() {
        (file.to_path_buf(), dir)
    } else {
        let copied = copy.path().join(file.file_name().unwrap_or_default());
        std::fs::copy(file, &copied).map_err(|e| e.to_string())?;
        for (sidecar, name) in &sidecars {
            std::fs::copy(sidecar, copy.path().join(name)).map_err(|e| e.to_string())?;
        }
        (copied, dir)
    };
    let file = file.as_path();
    let linted_in = file.parent().unwrap_or(dir);
    let report = linter().lint_files_as_project(&[file.to_path_buf()], linted_in);
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
    let linter = linter();
    let meta = linter
        .rules()
        .iter()
        .map(|r| r.meta())
        .find(|m| m.id == rule)
        .ok_or_else(|| format!("no rule `{rule}`"))?;
    check_fix_availability(meta, &diagnostics)?;
    snapshot(dir, &file_name, &rendered)?;
    if meta.fix != FixAvailability::None {
        let offered = diagnostics.iter().any(|d| d.fix.is_some());
        fix_case(&linter, meta.id, file, offered)?;
    }
    Ok(())
}

/// What a rule's `fix` declares holds for its diagnostics, and every fix is titled and edits.
fn check_fix_availability(meta: &RuleMeta, diagnostics: &[Diagnostic]) -> Result<(), Failed> {
    for d in diagnostics {
        match (&d.fix, meta.fix) {
            (Some(_), FixAvailability::None) => {
                return Err(format!(
                    "`{}` declares no fixes but offered one for: {}",
                    meta.id, d.message
                )
                .into())
            }
            (None, FixAvailability::Always) => {
                return Err(format!(
                    "`{}` declares a fix for every finding but has none for: {}",
                    meta.id, d.message
                )
                .into())
            }
            (Some(fix), _) if fix.title.trim().is_empty() || fix.edits.is_empty() => {
                return Err(format!("a fix without title or edits for: {}", d.message).into())
            }
            _ => {}
        }
    }
    Ok(())
}

/// The fix-safety harness: every fix the rule offers (unsafe ones too) is applied, round after
/// round; the result must add no syntax error, converge, offer nothing more on a second run, and
/// match the `<fixture>.fixed` snapshot.
fn fix_case(linter: &Linter, rule: &'static str, file: &Path, offered: bool) -> Result<(), Failed> {
    let options = FixOptions {
        unsafe_fixes: true,
        skip_read_only: false,
        only_rule: Some(rule),
        only_file: None,
    };
    let outcome = linter.fix_files_as_project(&[file.to_path_buf()], &options);
    if let Some(problem) = outcome.problems.first() {
        return Err(format!("fixing failed: {}", problem.reason).into());
    }
    if offered && outcome.applied == 0 {
        return Err("fixes were offered but none was applied".into());
    }
    left_unapplied(&outcome, Some(rule))?;
    let original = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let fixed = outcome
        .files
        .first()
        .map_or(original.clone(), |f| f.fixed.to_string());
    if syntax_errors(&fixed)? > syntax_errors(&original)? {
        return Err(format!("the fixed source has a new syntax error:\n{fixed}").into());
    }
    let file_name = file
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let again = scratch.path().join(&file_name);
    std::fs::write(&again, &fixed).map_err(|e| e.to_string())?;
    let second = linter.fix_files_as_project(&[again], &options);
    if second.applied > 0 {
        return Err(format!(
            "a second run still fixes {} problem(s): the fixes do not reach a fixed point",
            second.applied
        )
        .into());
    }
    let dir = file.parent().ok_or("fixture has no directory")?;
    snapshot(dir, &format!("{file_name}.fixed"), &fixed)
}

fn project_case(case: &Path) -> Result<(), Failed> {
    let report = linter()
        .lint_paths(&[case.to_path_buf()], &project_options(case))
        .map_err(|e| e.to_string())?;
    let rendered = render_plain(&report.diagnostics, &report.sources);
    snapshot(case, "expected", &rendered)?;
    project_fix_case(case)
}

/// The fix-safety harness over a project: every fix (unsafe ones too, cross-file ones included)
/// is applied; the changed files must parse with no new error, and a second run on a copy with
/// the fixes written must fix nothing more. The diffs are snapshotted to `expected.fixed.snap`.
fn project_fix_case(case: &Path) -> Result<(), Failed> {
    let options = FixOptions {
        unsafe_fixes: true,
        skip_read_only: false,
        only_rule: None,
        only_file: None,
    };
    let run = |root: &Path| {
        linter()
            .fix_paths(
                &[root.to_path_buf()],
                &project_options(root),
                options.clone(),
            )
            .map_err(|e| e.to_string())
    };
    let outcome = run(case)?;
    if let Some(problem) = outcome.problems.first() {
        return Err(format!(
            "fixing failed: {}: {}",
            problem.path.display(),
            problem.reason
        )
        .into());
    }
    left_unapplied(&outcome, None)?;
    let mut diffs = String::new();
    for file in &outcome.files {
        if syntax_errors(&file.fixed)? > syntax_errors(&file.original)? {
            return Err(format!("fixing {} adds a syntax error", file.path.display()).into());
        }
        let relative = file
            .path
            .strip_prefix(normalize(
                &std::path::absolute(case).map_err(|e| e.to_string())?,
            ))
            .unwrap_or(&file.path)
            .display()
            .to_string();
        let diff = similar::TextDiff::from_lines(file.original.as_ref(), file.fixed.as_ref());
        diffs.push_str(
            &diff
                .unified_diff()
                .context_radius(2)
                .header(&relative, &relative)
                .to_string(),
        );
    }
    // Idempotence: write the fixes into a copy and fix again.
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let copy = scratch.path().join("project");
    copy_tree(case, &copy);
    let absolute_case = normalize(&std::path::absolute(case).map_err(|e| e.to_string())?);
    for file in &outcome.files {
        let relative = file
            .path
            .strip_prefix(&absolute_case)
            .map_err(|e| e.to_string())?;
        std::fs::write(copy.join(relative), file.fixed.as_bytes()).map_err(|e| e.to_string())?;
    }
    let second = run(&copy)?;
    if second.applied > 0 {
        return Err(format!(
            "a second run still fixes {} problem(s) in {}",
            second.applied,
            second
                .files
                .iter()
                .map(|f| f.path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into());
    }
    snapshot(case, "expected.fixed", &diffs)
}

/// How a project fixture is linted: like the CLI, paths shown relative to the project.
fn project_options(root: &Path) -> RunOptions {
    RunOptions {
        threads: 2,
        display_base: root.to_path_buf(),
        ..RunOptions::default()
    }
}

fn syntax_errors(text: &str) -> Result<usize, Failed> {
    nestlint_syntax::parse(&nestlint_syntax::without_bom(text), false)
        .map(|tree| nestlint_syntax::syntax_error_count(&tree))
        .ok_or_else(|| "the parser gave up".into())
}

/// Fails when a finding in the fixed result still offers a fix: it can never be applied.
fn left_unapplied(outcome: &FixOutcome, rule: Option<&str>) -> Result<(), Failed> {
    let applicable = |d: &&Diagnostic| {
        rule.is_none_or(|rule| d.rule == rule)
            && d.fix
                .as_ref()
                .is_some_and(|f| f.applicability != Applicability::DisplayOnly)
    };
    match outcome.report.diagnostics.iter().find(applicable) {
        Some(d) => Err(format!(
            "a fix is offered but was never applied ({}): {}",
            d.fix.as_ref().map_or("", |f| f.title.as_str()),
            d.message
        )
        .into()),
        None => Ok(()),
    }
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
        if meta.fix != FixAvailability::None && !meta.docs.contains("## Fix") {
            return Err(format!("docs of fixable rule {} lack `## Fix`", meta.id).into());
        }
        if !meta.docs.contains("```ts,expect_diagnostic") {
            return Err(
                format!("docs of {} have no `ts,expect_diagnostic` example", meta.id).into(),
            );
        }
    }
    Ok(())
}

/// A rule's docs examples run, as biome's do: each `ts,expect_diagnostic` block, linted alone as a
/// project, yields the rule's finding; the `ts` block under "Use instead:" yields none of it.
fn docs_examples(meta: &RuleMeta) -> Result<(), Failed> {
    let (flagged, instead, files, instead_files) = docs_code_blocks(meta.docs);
    if flagged.is_empty() {
        return Err(format!("docs of {} have no `ts,expect_diagnostic` example", meta.id).into());
    }
    for (name, example) in &flagged {
        if example_findings(meta.id, (name, example), &files)? == 0 {
            return Err(format!(
                "the flagged example of {} yields no `{}` finding:\n{example}",
                meta.id, meta.id
            )
            .into());
        }
    }
    if let Some(example) = instead {
        // Written where the flagged example was, for what the other files import.
        let name = flagged.first().map_or("example.ts", |(n, _)| n.as_str());
        let count = example_findings(meta.id, (name, &example), &instead_files)?;
        if count > 0 {
            return Err(format!(
                "the \"Use instead\" example of {} yields {count} `{}` finding(s):\n{example}",
                meta.id, meta.id
            )
            .into());
        }
    }
    Ok(())
}

/// The `ts,expect_diagnostic` blocks of a rule's docs with their file names (`example.ts`, or
/// what `,file=` says), the first `ts` block after "Use instead:" (before the next section), if
/// the docs show one, and the other files every example is linted with (blocks whose info string
/// names one: ```` ```json,file=nest-cli.json ````).
/// Files written after "Use instead:" (`tsconfig.json` as it should be) replace the flagged
/// examples' same-named files for the "Use instead" example only.
type DocsBlocks = (
    Vec<(String, String)>,
    Option<String>,
    Vec<(String, String)>,
    Vec<(String, String)>,
);

fn docs_code_blocks(docs: &str) -> DocsBlocks {
    let mut flagged = Vec::new();
    let mut instead = None;
    let mut files = Vec::new();
    let mut instead_files: Vec<(String, String)> = Vec::new();
    let mut after_use_instead = false;
    let mut lines = docs.lines();
    while let Some(line) = lines.next() {
        if line.contains("Use instead:") {
            after_use_instead = true;
            continue;
        }
        if line.starts_with("## ") {
            after_use_instead = false;
            continue;
        }
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let body: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .collect();
        let body = body.join("\n") + "\n";
        let info = info.trim();
        let (kind, name) = match info.split_once(",file=") {
            Some((kind, name)) => (kind, Some(name)),
            None => (info, None),
        };
        match (kind, name) {
            ("ts,expect_diagnostic", name) => {
                flagged.push((name.unwrap_or("example.ts").to_owned(), body))
            }
            ("ts", None) if after_use_instead && instead.is_none() => instead = Some(body),
            (_, Some(name)) if after_use_instead => instead_files.push((name.to_owned(), body)),
            (_, Some(name)) => files.push((name.to_owned(), body)),
            _ => {}
        }
    }
    let mut for_instead: Vec<(String, String)> = files
        .iter()
        .filter(|(name, _)| !instead_files.iter().any(|(n, _)| n == name))
        .cloned()
        .collect();
    for_instead.extend(instead_files);
    (flagged, instead, files, for_instead)
}

/// How many findings of `rule` an example makes, written as `example_name` and linted as a project
/// with `files`.
fn example_findings(
    rule: &str,
    (example_name, example): (&str, &str),
    files: &[(String, String)],
) -> Result<usize, Failed> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).map_err(|e| e.to_string())?;
    }
    let file = dir.path().join(example_name);
    std::fs::write(&file, example).map_err(|e| e.to_string())?;
    // The other TypeScript files are part of the project (imports between them resolve).
    let mut linted = vec![file];
    linted.extend(
        files
            .iter()
            .filter(|(n, _)| n.ends_with(".ts"))
            .map(|(n, _)| dir.path().join(n)),
    );
    let report = linter().lint_files_as_project(&linted, dir.path());
    Ok(report.diagnostics.iter().filter(|d| d.rule == rule).count())
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
            || d.message.starts_with("DTO")
            // Nest's own words, as its boot error says them.
            || d.message.starts_with("Nest ");
        if !starts_ok || d.message.ends_with('.') {
            return Err(format!("message breaks the convention: {:?}", d.message).into());
        }
    }
    Ok(())
}
