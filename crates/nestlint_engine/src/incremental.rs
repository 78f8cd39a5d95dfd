//! Linting an edited document again without the project pass, when the edit cannot change what
//! the project pass concludes (an "early cutoff").
//!
//! The project pass is a function of every file's facts. An edit inside a method body, a
//! comment or a string leaves the file's facts as they were, only moved: the project pass would
//! conclude what it concluded before, at moved positions. So when the edited file's facts equal
//! its old facts moved by the edit ([`crate::shifted`]), its file pass is run again, the last
//! project findings are moved, and the suppression comments applied again. Anything else (new
//! facts, another file changed on disk, a different set of open documents) runs everything.
//!
//! Fixes of project findings are built from the text they edit, so the moved findings lose the
//! fixes that edit the edited file; [`LintReport::fixes_pending`] says so, and a full run
//! brings them back when they are asked for.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use nestlint_diagnostics::{sort_diagnostics, Diagnostic, SourceText};

use crate::cache::Cache;
use crate::facts::FileFacts;
use crate::index::Stash;
use crate::run::{at_configured_level, Overlay, Prepared};
use crate::shifted::{equal_when_shifted, OffsetMap};
use crate::workspace::normalize;
use crate::{display_path, LintReport, Linter, RunOptions};

/// What a full run keeps of its files for [`Linter::relint_edited`].
pub(crate) struct RunKept {
    /// Per unsaved target file, what linting it again alone needs.
    pub(crate) files: HashMap<PathBuf, RetainedFile>,
    /// The files read as context (not linted), whose unsaved texts matter as much.
    pub(crate) context: HashSet<PathBuf>,
}

/// What a full run leaves for the next run to start from.
pub(crate) struct Retained {
    /// The unsaved texts the run linted.
    pub(crate) overlay: Overlay,
    /// Per unsaved target file, what linting it again alone needs.
    pub(crate) files: HashMap<PathBuf, RetainedFile>,
    /// The files the run read as context.
    pub(crate) context: HashSet<PathBuf>,
    pub(crate) report: LintReport,
    /// Trees of edited documents parsed by a re-lint that then needed the project pass, with
    /// their texts: the next full run's documents start from them.
    pub(crate) trees: Vec<(PathBuf, Arc<str>, nestlint_syntax::Tree)>,
}

impl Retained {
    /// What a full run over `overlay` left, with the trees an abandoned re-lint parsed.
    pub(crate) fn new(
        overlay: Overlay,
        kept: RunKept,
        report: LintReport,
        trees: Vec<(PathBuf, Arc<str>, nestlint_syntax::Tree)>,
    ) -> Retained {
        let RunKept { mut files, context } = kept;
        for (path, text, tree) in trees {
            if let Some(file) = files.get_mut(&path).filter(|file| file.text == text) {
                file.tree = Some(tree);
            }
        }
        Retained {
            overlay,
            files,
            context,
            report,
            trees: Vec::new(),
        }
    }
}

/// An unsaved file as the last run saw it.
pub(crate) struct RetainedFile {
    /// Its position in the run's inputs.
    pub(crate) input: usize,
    pub(crate) text: Arc<str>,
    pub(crate) facts: Arc<FileFacts>,
    pub(crate) stash: Vec<(&'static str, Stash)>,
    /// Its tree, once it was linted alone: the next edit parses only what it changed.
    pub(crate) tree: Option<nestlint_syntax::Tree>,
    /// The project pass's findings in it, at their configured levels, before its suppression
    /// comments were applied.
    pub(crate) project: Vec<Diagnostic>,
}

impl Linter {
    /// The report a full run would give for `unsaved`, when only unsaved texts changed since the
    /// run `retained` comes from and no change reaches the project pass; else why a full run is
    /// needed. Files on disk are taken to be as they were (the caller knows: the editor reports
    /// changes).
    pub(crate) fn relint_edited(
        &self,
        prepared: &Prepared,
        options: &RunOptions,
        unsaved: &Overlay,
        cache: Option<&Cache>,
        retained: &mut Retained,
    ) -> Result<LintReport, &'static str> {
        if unsaved.len() != retained.overlay.len()
            || unsaved
                .keys()
                .any(|path| !retained.overlay.contains_key(path))
        {
            return Err("other documents are open");
        }
        let edited: Vec<(&PathBuf, &Arc<str>)> = unsaved
            .iter()
            .filter(|(path, text)| retained.overlay.get(*path) != Some(*text))
            .collect();
        let display_base = normalize(
            &std::path::absolute(&options.display_base)
                .unwrap_or_else(|_| options.display_base.clone()),
        );
        let mut report = retained.report.clone();
        report.edited_alone = true;
        let mut relinted: Vec<(PathBuf, RetainedFile)> = Vec::with_capacity(edited.len());
        for (path, text) in edited {
            let Some(old) = retained.files.get(path) else {
                // A document this folder neither lints nor reads (another workspace folder's)
                // changes nothing here; one it reads as context changes its project.
                if retained.context.contains(path) || prepared.knows(path) {
                    return Err("an edited document is read as context");
                }
                continue;
            };
            let input = &prepared.inputs[old.input];
            let edit = nestlint_syntax::edit_between(&old.text, text);
            let mut tree = old.tree.clone();
            if let Some(tree) = &mut tree {
                tree.edit(&edit);
            }
            let outcome = prepared.pool.install(|| {
                self.lint_file_reparsing(input, false, Some(text), cache, Some(&mut tree))
            });
            if outcome.problem.is_some() {
                return Err("an edited document cannot be linted");
            }
            let map = OffsetMap::from(&edit);
            let pass = outcome.pass;
            if pass.stash != old.stash
                || !equal_when_shifted(old.facts.as_ref(), pass.facts.as_ref(), &map)
            {
                // The full run that follows starts from this tree: the next edit is parsed
                // incrementally all the same.
                if let Some(tree) = tree {
                    retained.trees.push((path.clone(), text.clone(), tree));
                }
                return Err("the edit changed facts");
            }
            // The other files' findings that point into the edited one move with it; their fixes
            // that edit it are built again when asked for.
            for diagnostic in &mut report.diagnostics {
                if diagnostic.path.as_path() == path.as_path() {
                    continue;
                }
                moved_into(diagnostic, path, &map, &mut report.fixes_pending)
                    .ok_or("a finding elsewhere points into the edit")?;
            }
            report
                .diagnostics
                .retain(|d| d.path.as_path() != path.as_path());
            let mut project = old.project.clone();
            for diagnostic in &mut project {
                diagnostic.range = map
                    .range(diagnostic.range)
                    .ok_or("a finding lies in the edit")?;
                moved_into(diagnostic, path, &map, &mut report.fixes_pending)
                    .ok_or("a finding points into the edit")?;
            }
            let editable = |target: &PathBuf| target == path || unsaved.contains_key(target);
            let mut findings: Vec<Diagnostic> = pass
                .diagnostics
                .into_iter()
                .filter_map(|d| at_configured_level(d, &input.settings, &self.rule_index, editable))
                .collect();
            findings.extend(project.iter().cloned());
            let shared = input.path.clone();
            report.diagnostics.extend(self.shown_in_file(
                &shared,
                (Some(text), Some(&pass.directives)),
                findings,
                (&input.settings, input.is_test),
            ));
            note_file(&mut report.parse_error_files, path, pass.parse_error);
            note_file(&mut report.limited_files, path, pass.limited);
            if report.sources.contains_key(&shared)
                || report.diagnostics.iter().any(|d| d.path == shared)
            {
                report.sources.insert(
                    shared.clone(),
                    SourceText::new(display_path(path, &display_base), text.clone()),
                );
            }
            relinted.push((
                path.clone(),
                RetainedFile {
                    input: old.input,
                    text: text.clone(),
                    facts: pass.facts,
                    stash: pass.stash,
                    tree,
                    project,
                },
            ));
        }
        sort_diagnostics(&mut report.diagnostics);
        report.diagnostics.dedup();
        retained.files.extend(relinted);
        retained.overlay = unsaved.clone();
        retained.report = report.clone();
        Ok(report)
    }
}

/// Moves what of `diagnostic` lies in `path` (its labels there) by `map`, and drops its fix when
/// the fix edits `path`. `None` when a label cannot be moved.
fn moved_into(
    diagnostic: &mut Diagnostic,
    path: &PathBuf,
    map: &OffsetMap,
    fixes_pending: &mut bool,
) -> Option<()> {
    for label in &mut diagnostic.labels {
        if label.path.as_ref() == path {
            label.range = map.range(label.range)?;
        }
    }
    let edits_path = diagnostic
        .fix
        .as_ref()
        .is_some_and(|fix| fix.target(&diagnostic.path).as_ref() == path);
    if edits_path {
        diagnostic.fix = None;
        *fixes_pending = true;
    }
    Some(())
}

/// Keeps `path` in `files` (sorted) exactly when `present`.
fn note_file(files: &mut Vec<PathBuf>, path: &PathBuf, present: bool) {
    let at = files.iter().position(|p| p == path);
    match (at, present) {
        (Some(at), false) => {
            files.remove(at);
        }
        (None, true) => {
            files.push(path.clone());
            files.sort();
        }
        _ => {}
    }
}
