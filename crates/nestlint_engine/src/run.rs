//! The two phases of a run. Phase 1 reads and parses each file on a rayon worker, runs the file
//! rules in one traversal dispatched by node kind, extracts facts, and drops the tree. Phase 2
//! builds the project index from the facts and runs the project rules.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nestlint_diagnostics::{sort_diagnostics, Diagnostic, SourceText};
use nestlint_syntax::{parse, Imports, KindIds, Node};
use rayon::prelude::*;

use crate::facts::{app_call, extract_top_level, ClassFact, FileFacts};
use crate::index::{IndexedFile, ProjectIndex};
use crate::rule::{FileContext, ProjectContext, Rule, Stash};
use crate::workspace::{is_test_file, normalize, walk, Package, PackageFinder};
use nestlint_syntax::nest::ClassView;

/// Files larger than this are reported and skipped: they are generated or bundled, not written.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// The registered rules with their node-kind dispatch tables (one per grammar).
pub struct Linter {
    rules: Vec<Box<dyn Rule>>,
    dispatch: [Vec<Vec<usize>>; 2],
    /// Per grammar, what fact a node kind yields (compared by id: most nodes yield none).
    fact_kinds: [Vec<FactKind>; 2],
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FactKind {
    None,
    Class,
    Call,
}

impl Linter {
    pub fn new(rules: Vec<Box<dyn Rule>>) -> Self {
        let ids = KindIds::get();
        let dispatch = [false, true].map(|tsx| {
            let mut table = vec![Vec::new(); ids.count(tsx) + 1];
            for (index, rule) in rules.iter().enumerate() {
                for kind in rule.kinds() {
                    table[usize::from(ids.id(kind, tsx))].push(index);
                }
            }
            table
        });
        let fact_kinds = [false, true].map(|tsx| {
            let mut table = vec![FactKind::None; ids.count(tsx) + 1];
            for kind in ["class_declaration", "abstract_class_declaration", "class"] {
                table[usize::from(ids.id(kind, tsx))] = FactKind::Class;
            }
            table[usize::from(ids.id("call_expression", tsx))] = FactKind::Call;
            table
        });
        Self {
            rules,
            dispatch,
            fact_kinds,
        }
    }

    pub fn rules(&self) -> &[Box<dyn Rule>] {
        &self.rules
    }
}

/// A file that could not be linted, and why.
#[derive(Clone, Debug)]
pub struct FileProblem {
    pub path: PathBuf,
    pub reason: String,
}

#[derive(Default)]
pub struct LintReport {
    /// Sorted by path, position, rule.
    pub diagnostics: Vec<Diagnostic>,
    /// The text of every file that has a diagnostic, for the renderers.
    pub sources: HashMap<Arc<PathBuf>, SourceText>,
    pub files_linted: usize,
    /// Files read only for project facts.
    pub context_files: usize,
    pub problems: Vec<FileProblem>,
    /// Target files whose tree has error nodes (valid TypeScript the grammar does not know, or
    /// broken code): never a lint finding.
    pub parse_error_files: Vec<PathBuf>,
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub threads: usize,
    /// Paths in output are shown relative to this directory.
    pub display_base: PathBuf,
    /// Read and parse only: no rules, no facts (the benchmark's baseline).
    pub parse_only: bool,
}

#[derive(Debug)]
pub enum RunError {
    PathNotFound(PathBuf),
    ThreadPool(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::PathNotFound(path) => {
                write!(f, "{}: no such file or directory", path.display())
            }
            RunError::ThreadPool(err) => write!(f, "cannot start worker threads: {err}"),
        }
    }
}

struct FileInput {
    path: Arc<PathBuf>,
    package: usize,
    is_target: bool,
    /// Test code, judged on the path below the package root.
    is_test: bool,
}

struct FileOutcome {
    facts: FileFacts,
    diagnostics: Vec<Diagnostic>,
    stash: Vec<(&'static str, Stash)>,
    text: Option<Arc<str>>,
    parse_error: bool,
    problem: Option<String>,
}

impl Linter {
    /// Lints the files and directories in `paths` (see the README for what is walked).
    pub fn lint_paths(
        &self,
        paths: &[PathBuf],
        options: &RunOptions,
    ) -> Result<LintReport, RunError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(options.threads)
            .build()
            .map_err(|e| RunError::ThreadPool(e.to_string()))?;
        let mut targets: Vec<(PathBuf, PathBuf)> = Vec::new(); // (file, the argument it came from)
        // Directories already walked, so a package root given as an argument is walked once.
        let mut walked: HashMap<PathBuf, Vec<PathBuf>> = HashMap::new();
        for path in paths {
            let absolute = normalize(&std::path::absolute(path).unwrap_or_else(|_| path.clone()));
            if absolute.is_dir() {
                let files = walked
                    .entry(absolute.clone())
                    .or_insert_with(|| walk(&absolute, options.threads));
                for file in files.iter() {
                    targets.push((file.clone(), absolute.clone()));
                }
            } else if absolute.is_file() {
                let parent = absolute.parent().map(Path::to_path_buf).unwrap_or_default();
                targets.push((absolute, parent));
            } else {
                return Err(RunError::PathNotFound(path.clone()));
            }
        }
        targets.sort();
        targets.dedup_by(|a, b| a.0 == b.0);

        // Packages: each target's nearest manifest directory; loose files group by argument.
        let mut finder = PackageFinder::new();
        let mut packages: Vec<Package> = Vec::new();
        let mut package_ids: BTreeMap<(PathBuf, bool), usize> = BTreeMap::new();
        let mut inputs: BTreeMap<PathBuf, FileInput> = BTreeMap::new();
        for (file, argument) in &targets {
            let key = match finder.root_of(file) {
                Some(root) => (root, true),
                None => (argument.clone(), false),
            };
            let package = *package_ids.entry(key.clone()).or_insert_with(|| {
                packages.push(Package::load(&key.0, key.1));
                packages.len() - 1
            });
            inputs.insert(
                file.clone(),
                FileInput {
                    path: Arc::new(file.clone()),
                    package,
                    is_target: true,
                    is_test: false,
                },
            );
        }
        // Context: the rest of every package that has a manifest.
        let manifest_packages: Vec<(PathBuf, usize)> = package_ids
            .iter()
            .filter(|((_, has_manifest), _)| *has_manifest)
            .map(|((root, _), &id)| (root.clone(), id))
            .collect();
        for (root, package) in manifest_packages {
            let files = match walked.remove(&root) {
                Some(files) => files,
                None => walk(&root, options.threads),
            };
            for file in files {
                // A nested package's files belong to it, not to this one.
                if finder.root_of(&file).as_deref() != Some(root.as_path()) {
                    continue;
                }
                inputs.entry(file.clone()).or_insert_with(|| FileInput {
                    path: Arc::new(file),
                    package,
                    is_target: false,
                    is_test: false,
                });
            }
        }
        let mut inputs: Vec<FileInput> = inputs.into_values().collect();
        for input in &mut inputs {
            let root = &packages[input.package].root;
            input.is_test = is_test_file(input.path.strip_prefix(root).unwrap_or(&input.path));
        }
        Ok(pool.install(|| self.run(inputs, packages, &options.display_base, options.parse_only)))
    }

    /// Lints `files` as one project with no manifest and no context files (fixture tests).
    pub fn lint_files_as_project(&self, files: &[PathBuf], display_base: &Path) -> LintReport {
        let files: Vec<PathBuf> = files
            .iter()
            .map(|f| normalize(&std::path::absolute(f).unwrap_or_else(|_| f.clone())))
            .collect();
        let root = files
            .first()
            .and_then(|f| f.parent())
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let packages = vec![Package::load(&root, false)];
        let inputs = files
            .iter()
            .map(|f| FileInput {
                path: Arc::new(f.clone()),
                package: 0,
                is_target: true,
                is_test: is_test_file(f.strip_prefix(&root).unwrap_or(f)),
            })
            .collect();
        self.run(inputs, packages, display_base, false)
    }

    fn run(
        &self,
        inputs: Vec<FileInput>,
        packages: Vec<Package>,
        display_base: &Path,
        parse_only: bool,
    ) -> LintReport {
        let display_base = normalize(
            &std::path::absolute(display_base).unwrap_or_else(|_| display_base.to_path_buf()),
        );
        let display_base = display_base.as_path();
        let outcomes: Vec<FileOutcome> = inputs
            .par_iter()
            .map(|input| self.lint_file(input, parse_only))
            .collect();

        let mut report = LintReport::default();
        let mut indexed = Vec::with_capacity(inputs.len());
        let mut texts: HashMap<Arc<PathBuf>, Arc<str>> = HashMap::new();
        for (input, outcome) in inputs.into_iter().zip(outcomes) {
            if let Some(reason) = outcome.problem {
                if input.is_target {
                    report.problems.push(FileProblem {
                        path: input.path.as_ref().clone(),
                        reason,
                    });
                }
            }
            if input.is_target {
                report.files_linted += 1;
                if outcome.parse_error {
                    report.parse_error_files.push(input.path.as_ref().clone());
                }
                if let Some(text) = outcome.text {
                    texts.insert(input.path.clone(), text);
                }
            } else {
                report.context_files += 1;
            }
            report.diagnostics.extend(outcome.diagnostics);
            let package = &packages[input.package];
            let app_root = package.app_root_of(&input.path).to_path_buf();
            indexed.push(IndexedFile {
                is_test: input.is_test,
                path: input.path,
                facts: outcome.facts,
                package: input.package,
                app_root,
                is_target: input.is_target,
                import_targets: Vec::new(),
                stash: outcome.stash,
            });
        }
        let index = ProjectIndex::new(indexed, packages);
        let rules: &[Box<dyn Rule>] = if parse_only { &[] } else { &self.rules };
        // Project rules share the index's lazily computed tables (thread-safe) and run in parallel.
        let per_rule: Vec<Vec<Diagnostic>> = rules
            .par_iter()
            .map(|rule| {
                let mut diagnostics = Vec::new();
                let mut ctx = ProjectContext {
                    rule: rule.meta(),
                    diagnostics: &mut diagnostics,
                };
                rule.check_project(&index, &mut ctx);
                diagnostics
            })
            .collect();
        // Findings go only to the files the user asked about.
        report
            .diagnostics
            .extend(per_rule.into_iter().flatten().filter(|d| {
                index
                    .file_id(&d.path)
                    .is_some_and(|id| index.file(id).is_target)
            }));
        std::thread::spawn(move || drop(index));
        sort_diagnostics(&mut report.diagnostics);
        report.diagnostics.dedup();
        // Line tables only for the files that have something to show.
        for diagnostic in &report.diagnostics {
            if report.sources.contains_key(&diagnostic.path) {
                continue;
            }
            if let Some(text) = texts.get(&diagnostic.path) {
                report.sources.insert(
                    diagnostic.path.clone(),
                    SourceText::new(display_path(&diagnostic.path, display_base), text.clone()),
                );
            }
        }
        report.problems.sort_by(|a, b| a.path.cmp(&b.path));
        report
    }

    fn lint_file(&self, input: &FileInput, parse_only: bool) -> FileOutcome {
        let mut outcome = FileOutcome {
            facts: FileFacts::default(),
            diagnostics: Vec::new(),
            stash: Vec::new(),
            text: None,
            parse_error: false,
            problem: None,
        };
        let bytes = match std::fs::read(input.path.as_path()) {
            Ok(bytes) => bytes,
            Err(err) => {
                outcome.problem = Some(format!("cannot read file: {err}"));
                return outcome;
            }
        };
        if bytes.len() > MAX_FILE_BYTES {
            outcome.problem = Some(format!(
                "skipped: {} bytes is larger than the {} MiB limit",
                bytes.len(),
                MAX_FILE_BYTES / (1024 * 1024)
            ));
            return outcome;
        }
        if bytes.contains(&0) {
            outcome.problem = Some("skipped: binary file (contains NUL bytes)".to_owned());
            return outcome;
        }
        let text: Arc<str> = match String::from_utf8(bytes) {
            Ok(text) => text.into(),
            Err(err) => {
                outcome.problem = Some(format!(
                    "skipped: not valid UTF-8 (invalid byte at offset {})",
                    err.utf8_error().valid_up_to()
                ));
                return outcome;
            }
        };
        let tsx = input.path.extension().is_some_and(|e| e == "tsx");
        // A byte-order mark is not TypeScript: parse a copy with it blanked, keeping offsets.
        let parse_text: std::borrow::Cow<'_, str> = match text.strip_prefix('\u{feff}') {
            Some(rest) => format!("   {rest}").into(),
            None => text.as_ref().into(),
        };
        let Some(tree) = parse(&parse_text, tsx) else {
            outcome.problem = Some("skipped: the parser gave up on this file".to_owned());
            return outcome;
        };
        let root = tree.root_node();
        outcome.parse_error = root.has_error();
        if parse_only {
            return outcome;
        }
        let source: &str = &parse_text;
        let imports = Imports::from_program(root, source);
        extract_top_level(root, source, &imports, &mut outcome.facts);
        let is_test = input.is_test;
        let dispatch = &self.dispatch[usize::from(tsx)];
        let fact_kinds = &self.fact_kinds[usize::from(tsx)];
        traverse(root, |node| {
            let kind = usize::from(node.kind_id());
            if input.is_target {
                for &rule_index in dispatch.get(kind).into_iter().flatten() {
                    let rule = &self.rules[rule_index];
                    let mut ctx = FileContext {
                        path: &input.path,
                        source,
                        imports: &imports,
                        is_test,
                        rule: rule.meta(),
                        diagnostics: &mut outcome.diagnostics,
                        stash: &mut outcome.stash,
                    };
                    rule.check_node(node, &mut ctx);
                }
            }
            match fact_kinds.get(kind).copied().unwrap_or(FactKind::None) {
                FactKind::None => {}
                FactKind::Class => collect_class(node, source, &mut outcome.facts),
                FactKind::Call => {
                    if let Some(call) = app_call(node, source) {
                        outcome.facts.app_calls.push(call);
                    }
                }
            }
        });
        if input.is_target {
            outcome.text = Some(text);
        }
        outcome
    }
}

/// Visits every node of the tree once, depth first.
fn traverse<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>)) {
    let mut cursor = root.walk();
    loop {
        visit(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

fn collect_class(node: Node<'_>, source: &str, facts: &mut FileFacts) {
    if let Some(class) = ClassView::new(node).and_then(|c| ClassFact::from_view(c, source)) {
        // Nested and recovered classes share the namespace; the first declaration wins.
        if facts.class(&class.name).is_none() {
            facts.classes.push(class);
        }
    }
}

/// `path` relative to `base` when it lies below it, else relative with `..`, else as is.
pub fn display_path(path: &Path, base: &Path) -> String {
    if let Ok(relative) = path.strip_prefix(base) {
        return relative.display().to_string();
    }
    let path_parts: Vec<_> = path.components().collect();
    let base_parts: Vec<_> = base.components().collect();
    let common = path_parts
        .iter()
        .zip(&base_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        return path.display().to_string();
    }
    let mut relative = PathBuf::new();
    for _ in common..base_parts.len() {
        relative.push("..");
    }
    for part in &path_parts[common..] {
        relative.push(part);
    }
    relative.display().to_string()
}
