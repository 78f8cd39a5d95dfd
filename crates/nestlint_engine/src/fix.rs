//! Applying fixes: rounds of non-overlapping fixes over the files being linted, each round
//! re-linted and re-parsed, until nothing changes. Nothing is written here; [`write_fixed`] does
//! that, atomically, once the rounds are over.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nestlint_diagnostics::{apply_edits, Applicability, Edit, Fix};
use nestlint_syntax::{is_tsx, parse, syntax_error_count, without_bom};
use rayon::prelude::*;

use crate::run::{FileProblem, LintReport, Linter, Overlay, Prepared, RunError, RunOptions};

/// ESLint's limit: more rounds than this means two rules undo each other.
pub const MAX_FIX_ROUNDS: usize = 10;

#[derive(Clone, Debug, Default)]
pub struct FixOptions {
    /// Apply unsafe fixes too (`--unsafe-fixes`).
    pub unsafe_fixes: bool,
    /// Leave read-only files alone and report them (they cannot be written).
    pub skip_read_only: bool,
    /// Apply only this rule's fixes (the fixture harness checks one rule at a time).
    pub only_rule: Option<&'static str>,
    /// Apply only the fixes of findings in this file (an editor's "fix all" for one document).
    pub only_file: Option<PathBuf>,
}

impl FixOptions {
    fn threshold(&self) -> Applicability {
        if self.unsafe_fixes {
            Applicability::Unsafe
        } else {
            Applicability::Safe
        }
    }

    /// Whether `--fix` with these options applies `fix`.
    pub fn applies(&self, fix: &Fix) -> bool {
        fix.applicability >= self.threshold()
    }
}

/// A file whose text the fixes changed.
#[derive(Clone, Debug)]
pub struct FixedFile {
    pub path: PathBuf,
    /// The text as it was read, before any fix.
    pub original: Arc<str>,
    pub fixed: Arc<str>,
    /// How many fixes went into it.
    pub fixes: usize,
}

#[derive(Default)]
pub struct FixOutcome {
    /// The findings that remain in the fixed texts.
    pub report: LintReport,
    /// Changed files, by path.
    pub files: Vec<FixedFile>,
    /// Fixes applied, over all files and rounds.
    pub applied: usize,
    /// Fixes that were not applied, and why: a read-only file, a round that would have broken the
    /// syntax, rules that do not converge.
    pub problems: Vec<FileProblem>,
}

impl Linter {
    /// Lints `paths` and applies the fixes `fix` allows, in memory.
    pub fn fix_paths(
        &self,
        paths: &[PathBuf],
        options: &RunOptions,
        fix: FixOptions,
    ) -> Result<FixOutcome, RunError> {
        let prepared = self.prepare(paths, options)?;
        Ok(self.fix_rounds(&prepared, options, &fix))
    }

    fn fix_rounds(
        &self,
        prepared: &Prepared,
        options: &RunOptions,
        fix: &FixOptions,
    ) -> FixOutcome {
        self.fix_rounds_over(prepared, options, fix, prepared.overlay.clone())
    }

    /// [`Linter::fix_paths`] over files linted as one project with the default rules (the
    /// fixture harness).
    pub fn fix_files_as_project(&self, files: &[PathBuf], fix: &FixOptions) -> FixOutcome {
        let prepared = self.prepare_files_as_project(files, &self.files_selection);
        self.fix_rounds(&prepared, &RunOptions::default(), fix)
    }

    /// Fix rounds starting from `overlay` (texts in place of what is on disk).
    pub(crate) fn fix_rounds_over(
        &self,
        prepared: &Prepared,
        options: &RunOptions,
        fix: &FixOptions,
        mut overlay: Overlay,
    ) -> FixOutcome {
        let mut originals: BTreeMap<PathBuf, Arc<str>> = BTreeMap::new();
        let mut counts: HashMap<PathBuf, usize> = HashMap::new();
        // Files no fix may touch any more: read-only, or a round that broke their syntax.
        let mut frozen: HashSet<PathBuf> = HashSet::new();
        let mut outcome = FixOutcome::default();
        let mut report = self.run_prepared(prepared, options, &overlay);
        let mut rounds = 0;
        loop {
            let plan = plan_round(&report, fix, &frozen);
            if plan.is_empty() {
                break;
            }
            if rounds == MAX_FIX_ROUNDS {
                for (path, fixes) in plan {
                    let rules: BTreeSet<&str> = fixes.iter().map(|(rule, _)| *rule).collect();
                    outcome.problems.push(FileProblem {
                        path: path.as_ref().clone(),
                        reason: format!(
                            "fixes did not converge after {MAX_FIX_ROUNDS} rounds; rules still fixing: {}",
                            rules.into_iter().collect::<Vec<_>>().join(", ")
                        ),
                    });
                }
                break;
            }
            rounds += 1;
            let plan: Vec<_> = plan.into_iter().collect();
            // Files are independent within a round: apply and re-parse them in parallel.
            let results: Vec<(Arc<PathBuf>, RoundResult)> = prepared.pool.install(|| {
                plan.into_par_iter()
                    .map(|(path, fixes)| {
                        let result = fix_file(&report, &path, &fixes, fix, prepared);
                        (path, result)
                    })
                    .collect()
            });
            let mut changed = false;
            for (path, result) in results {
                let path = path.as_ref().clone();
                match result {
                    RoundResult::Unchanged => {}
                    RoundResult::ReadOnly(count) => {
                        frozen.insert(path.clone());
                        outcome.problems.push(FileProblem {
                            path,
                            reason: format!(
                                "not fixed: the file is read-only ({count} fix{} not applied)",
                                if count == 1 { "" } else { "es" }
                            ),
                        });
                    }
                    RoundResult::HasSyntaxErrors(count) => {
                        frozen.insert(path.clone());
                        outcome.problems.push(FileProblem {
                            path,
                            reason: format!(
                                "not fixed: the file has code the TypeScript grammar does not recognise, so {} could not be checked ({count} not applied)",
                                if count == 1 { "the fix" } else { "the fixes" }
                            ),
                        });
                    }
                    RoundResult::BreaksSyntax(rules) => {
                        frozen.insert(path.clone());
                        outcome.problems.push(FileProblem {
                            path,
                            reason: format!(
                                "fixes of {} would introduce a syntax error; they were not applied",
                                rules.into_iter().collect::<Vec<_>>().join(", ")
                            ),
                        });
                    }
                    RoundResult::Fixed {
                        before,
                        after,
                        applied,
                    } => {
                        originals.entry(path.clone()).or_insert(before);
                        *counts.entry(path.clone()).or_default() += applied;
                        outcome.applied += applied;
                        overlay.insert(path, after.into());
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
            report = self.run_prepared(prepared, options, &overlay);
        }
        for (path, original) in originals {
            let Some(fixed) = overlay.get(&path).cloned() else {
                continue;
            };
            if fixed == original {
                continue;
            }
            let fixes = counts.get(&path).copied().unwrap_or_default();
            outcome.files.push(FixedFile {
                path,
                original,
                fixed,
                fixes,
            });
        }
        outcome.report = report;
        outcome
    }
}

/// What one round did to one file.
enum RoundResult {
    Unchanged,
    /// The file cannot be written; this many fixes were not applied.
    ReadOnly(usize),
    /// The fixes would add a syntax error; these rules offered them.
    BreaksSyntax(BTreeSet<&'static str>),
    /// The file already has code the grammar does not recognise, so a fix cannot be checked;
    /// this many fixes were not applied.
    HasSyntaxErrors(usize),
    Fixed {
        before: Arc<str>,
        after: String,
        applied: usize,
    },
}

fn fix_file(
    report: &LintReport,
    path: &Arc<PathBuf>,
    fixes: &[(&'static str, &Fix)],
    fix: &FixOptions,
    prepared: &Prepared,
) -> RoundResult {
    let Some(text) = report.sources.get(path).map(|s| s.text.clone()) else {
        return RoundResult::Unchanged;
    };
    // Standard input is never written, so its permissions do not matter.
    if fix.skip_read_only && !prepared.overlay.contains_key(path.as_path()) && is_read_only(path) {
        return RoundResult::ReadOnly(fixes.len());
    }
    let (fixed, applied, rules) = apply_round(&text, fixes);
    if applied == 0 || *fixed == *text {
        return RoundResult::Unchanged;
    }
    match syntax_errors(path, &text) {
        Some(0) => {}
        // A fix could trade one error for another unseen: files with errors are not fixed.
        _ => return RoundResult::HasSyntaxErrors(applied),
    }
    if breaks_syntax(path, &text, &fixed) {
        return RoundResult::BreaksSyntax(rules);
    }
    RoundResult::Fixed {
        before: text,
        after: fixed,
        applied,
    }
}

/// Per target file: the fixes this round may apply, with their rules, in a stable order.
fn plan_round<'r>(
    report: &'r LintReport,
    fix: &FixOptions,
    frozen: &HashSet<PathBuf>,
) -> BTreeMap<Arc<PathBuf>, Vec<(&'static str, &'r Fix)>> {
    let mut plan: BTreeMap<Arc<PathBuf>, Vec<(&'static str, &'r Fix)>> = BTreeMap::new();
    for diagnostic in &report.diagnostics {
        let Some(candidate) = diagnostic.fix.as_ref().filter(|f| fix.applies(f)) else {
            continue;
        };
        if fix.only_rule.is_some_and(|rule| rule != diagnostic.rule) {
            continue;
        }
        if fix
            .only_file
            .as_ref()
            .is_some_and(|file| file != diagnostic.path.as_ref())
        {
            continue;
        }
        if candidate.edits.is_empty() {
            continue;
        }
        let target = candidate.target(&diagnostic.path);
        if frozen.contains(target.as_path()) || !report.sources.contains_key(target) {
            continue;
        }
        plan.entry(target.clone())
            .or_default()
            .push((diagnostic.rule, candidate));
    }
    for fixes in plan.values_mut() {
        fixes.sort_by(|(rule_a, a), (rule_b, b)| {
            let first = |fix: &Fix| fix.edits.first().map(|e| (e.range.start, e.range.end));
            (first(a), rule_a, &a.title).cmp(&(first(b), rule_b, &b.title))
        });
    }
    plan
}

/// Applies every fix whose edits conflict with no edit already taken; an edit identical to one
/// taken is shared (two fixes adding the same import). The rest wait for the next round.
fn apply_round(
    text: &str,
    fixes: &[(&'static str, &Fix)],
) -> (String, usize, BTreeSet<&'static str>) {
    let mut taken: Vec<&Edit> = Vec::new();
    let mut applied = 0;
    let mut rules = BTreeSet::new();
    for (rule, fix) in fixes {
        let in_bounds = fix.edits.iter().all(|e| {
            e.range.end() <= text.len()
                && text.is_char_boundary(e.range.start())
                && text.is_char_boundary(e.range.end())
        });
        let conflicts = fix
            .edits
            .iter()
            .any(|e| taken.iter().any(|t| *t != e && t.conflicts_with(e)));
        let overlaps_itself = fix.edits.windows(2).any(|w| w[0].conflicts_with(&w[1]));
        if !in_bounds || conflicts || overlaps_itself {
            continue;
        }
        for edit in &fix.edits {
            if !taken.contains(&edit) {
                taken.push(edit);
            }
        }
        applied += 1;
        rules.insert(*rule);
    }
    taken.sort_by_key(|e| (e.range.start, e.range.end));
    (apply_edits(text, &taken), applied, rules)
}

/// How many syntax errors the grammar finds in `text` (`None` when the parser gives up).
fn syntax_errors(path: &Path, text: &str) -> Option<usize> {
    parse(&without_bom(text), is_tsx(path)).map(|tree| syntax_error_count(&tree))
}

/// Whether `fixed` parses with more errors than `original`.
fn breaks_syntax(path: &Path, original: &str, fixed: &str) -> bool {
    match (syntax_errors(path, original), syntax_errors(path, fixed)) {
        (Some(before), Some(after)) => after > before,
        _ => true,
    }
}

fn is_read_only(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.permissions().readonly())
}

/// Writes each fixed file atomically: a temporary file beside it, with its permissions, renamed
/// over it. A file that changed on disk since it was read is left alone and reported.
pub fn write_fixed(files: &[FixedFile]) -> Vec<FileProblem> {
    files
        .par_iter()
        .filter_map(|file| {
            write_one(file).err().map(|reason| FileProblem {
                path: file.path.clone(),
                reason,
            })
        })
        .collect()
}

fn write_one(file: &FixedFile) -> Result<(), String> {
    // Write through a symbolic link, not over it.
    let target = std::fs::canonicalize(&file.path).map_err(|e| format!("not fixed: {e}"))?;
    let current = std::fs::read(&target).map_err(|e| format!("not fixed: {e}"))?;
    if current != file.original.as_bytes() {
        return Err("not fixed: the file changed on disk while it was being fixed".to_owned());
    }
    let metadata = std::fs::metadata(&target).map_err(|e| format!("not fixed: {e}"))?;
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut temporary = tempfile::Builder::new()
        .prefix(".nestlint-fix-")
        .tempfile_in(dir)
        .map_err(|e| format!("not fixed: cannot create a temporary file beside it: {e}"))?;
    temporary
        .write_all(file.fixed.as_bytes())
        .and_then(|()| temporary.as_file().sync_all())
        .map_err(|e| format!("not fixed: cannot write: {e}"))?;
    std::fs::set_permissions(temporary.path(), metadata.permissions())
        .map_err(|e| format!("not fixed: cannot keep the file's permissions: {e}"))?;
    temporary
        .persist(&target)
        .map_err(|e| format!("not fixed: cannot replace the file: {}", e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nestlint_diagnostics::TextRange;

    fn fix(edits: Vec<Edit>) -> Fix {
        Fix::safe("t", edits)
    }

    #[test]
    fn a_round_takes_non_conflicting_fixes_and_shares_identical_edits() {
        let text = "abcdef";
        let import = Edit::insertion(0, "I");
        let first = fix(vec![
            import.clone(),
            Edit::replacement(TextRange::new(1, 2), "B"),
        ]);
        let second = fix(vec![import, Edit::replacement(TextRange::new(4, 5), "E")]);
        let overlapping = fix(vec![Edit::replacement(TextRange::new(1, 3), "X")]);
        let fixes = [("r", &first), ("r", &second), ("s", &overlapping)];
        let (fixed, applied, rules) = apply_round(text, &fixes);
        assert_eq!(fixed, "IaBcdEf");
        assert_eq!(applied, 2);
        assert_eq!(rules.into_iter().collect::<Vec<_>>(), vec!["r"]);
    }

    #[test]
    fn a_fix_out_of_bounds_is_skipped() {
        let outside = fix(vec![Edit::insertion(99, "x")]);
        let (fixed, applied, _) = apply_round("abc", &[("r", &outside)]);
        assert_eq!((fixed.as_str(), applied), ("abc", 0));
    }

    use crate::rule::{Category, FileContext, FixAvailability, Rule, RuleMeta, Scope};
    use crate::DiagnosticExt;
    use nestlint_diagnostics::Severity;
    use nestlint_syntax::Node;

    /// A test rule whose fix, on the file's first statement, is built by `edit`.
    struct FixEverything {
        meta: &'static RuleMeta,
        edit: fn(&str, Node<'_>) -> Edit,
    }

    fn meta(id: &'static str) -> &'static RuleMeta {
        Box::leak(Box::new(RuleMeta {
            id,
            category: Category::Style,
            default_severity: Severity::Warning,
            enabled_by_default: true,
            fix: FixAvailability::Always,
            scope: Scope::File,
            summary: "test",
            docs: "",
        }))
    }

    impl Rule for FixEverything {
        fn meta(&self) -> &'static RuleMeta {
            self.meta
        }

        fn kinds(&self) -> &'static [&'static str] {
            &["program"]
        }

        fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
            let edit = (self.edit)(ctx.source, node);
            ctx.report(TextRange::new(0, 0), "test")
                .fix(Some(Fix::safe("test fix", vec![edit])));
        }
    }

    fn fix_with(edit: fn(&str, Node<'_>) -> Edit, text: &str) -> (FixOutcome, String) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.ts");
        std::fs::write(&file, text).unwrap();
        let linter = Linter::new(vec![Box::new(FixEverything {
            meta: meta("fix-everything"),
            edit,
        })]);
        let outcome =
            linter.fix_files_as_project(std::slice::from_ref(&file), &FixOptions::default());
        let on_disk = std::fs::read_to_string(&file).unwrap();
        (outcome, on_disk)
    }

    #[test]
    fn a_round_that_breaks_the_syntax_is_discarded() {
        let (outcome, on_disk) = fix_with(|_, _| Edit::insertion(0, "const = ;\n"), "let a = 1;\n");
        assert!(outcome.files.is_empty());
        assert_eq!(outcome.applied, 0);
        assert!(outcome.problems[0]
            .reason
            .contains("would introduce a syntax error"));
        assert_eq!(on_disk, "let a = 1;\n");
    }

    #[test]
    fn fixes_that_never_converge_stop_after_the_last_round() {
        let (outcome, on_disk) = fix_with(|_, _| Edit::insertion(0, "// again\n"), "let a = 1;\n");
        assert_eq!(outcome.applied, MAX_FIX_ROUNDS);
        assert!(outcome.problems[0]
            .reason
            .contains("did not converge after 10 rounds; rules still fixing: fix-everything"));
        assert_eq!(
            outcome.files[0].fixed.matches("// again").count(),
            MAX_FIX_ROUNDS
        );
        // Nothing is written until the caller asks.
        assert_eq!(on_disk, "let a = 1;\n");
    }

    #[test]
    fn write_fixed_keeps_permissions_and_refuses_a_file_changed_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ts");
        std::fs::write(&path, "old").unwrap();
        let file = FixedFile {
            path: path.clone(),
            original: "old".into(),
            fixed: "new".into(),
            fixes: 1,
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        assert!(write_fixed(std::slice::from_ref(&file)).is_empty());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
        // The file on disk is no longer the text the fixes were made for.
        let problems = write_fixed(&[file]);
        assert!(problems[0].reason.contains("changed on disk"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }

    #[test]
    fn a_new_error_breaks_syntax_and_a_file_with_errors_is_not_fixed() {
        let path = Path::new("a.ts");
        assert!(breaks_syntax(path, "const a = 1;", "const a = ;"));
        assert!(!breaks_syntax(path, "const a = 1;", "const b = 1;"));
        // A fix trading one error for another would keep the count: such files are left alone.
        let (outcome, text) = fix_with(|_, _| Edit::insertion(0, "// note\n"), "const a = ;\nx;\n");
        assert_eq!(text, "const a = ;\nx;\n");
        assert!(outcome.files.is_empty());
        assert!(outcome.problems[0]
            .reason
            .contains("does not recognise, so the fix could not be checked"));
    }
}
