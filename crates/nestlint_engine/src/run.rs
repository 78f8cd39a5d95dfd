//! The two phases of a run. Phase 1 reads and parses each file on a rayon worker, runs the file
//! rules in one traversal dispatched by node kind, extracts facts, and drops the tree. Phase 2
//! builds the project index from the facts and runs the project rules.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nestlint_diagnostics::{sort_diagnostics, Diagnostic, SourceText, TextRange};
use nestlint_syntax::{parse, Imports, KindIds, Node, NodeExt};
use rayon::prelude::*;

use crate::cache::{self, Cache, FilePass, Identity, KeyParts, PendingFacts, Stat};
use crate::config::{
    CliSelection, ConfigError, ConfigResolver, ConfigSource, FileSettings, FixSetting,
};
use crate::facts::{call_facts, extract_top_level, ClassFact, Enclosing, FileFacts};
use crate::files::{FileStamp, ReadError, MAX_FILE_BYTES};
use crate::incremental::{RetainedFile, RunKept};
use crate::index::{IndexedFile, ProjectIndex};
use crate::rule::{FileContext, ProjectContext, Rule, TYPE_LEVEL_KINDS};
use crate::sources::Sources;
use crate::suppress::{self, Directive, SuppressionRule, INVALID_SUPPRESSION, UNUSED_SUPPRESSION};
use crate::workspace::{
    is_test_file, normalize, resolve_specifier, walk, walk_skipping, ModuleTarget, Package,
    PackageFinder, PathTable, WorkspaceFinder,
};
use nestlint_semantic::memo::Memo;
use nestlint_syntax::nest::ClassView;

/// The registered rules with their node-kind dispatch tables (one per grammar).
pub struct Linter {
    rules: Vec<Box<dyn Rule>>,
    /// The rules' ids, in registry order.
    pub(crate) rule_ids: Vec<&'static str>,
    /// Each rule's position, by id.
    pub(crate) rule_index: HashMap<&'static str, usize>,
    dispatch: [Vec<Vec<usize>>; 2],
    /// Per grammar, what fact a node kind yields (compared by id: most nodes yield none).
    fact_kinds: [Vec<FactKind>; 2],
    /// Per grammar, the kinds whose insides the traversal skips (see [`TYPE_LEVEL_KINDS`]); all
    /// false when a rule sees type-level code.
    skip_inside: [Vec<bool>; 2],
    /// Per rule: it judges only code that runs in Nest ([`Rule::nest_code_only`]).
    nest_code_only: Vec<bool>,
    /// The selection [`Linter::lint_files_as_project`] and [`Linter::fix_files_as_project`] apply
    /// (the CLI passes its own to the runs it starts).
    pub(crate) files_selection: CliSelection,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FactKind {
    None,
    Class,
    Call,
    New,
    Decorator,
    Comment,
    /// Not a fact of its own: the statement a class may be exported by.
    Export,
}

impl Linter {
    pub fn new(mut rules: Vec<Box<dyn Rule>>) -> Self {
        rules.push(Box::new(SuppressionRule(&UNUSED_SUPPRESSION)));
        rules.push(Box::new(SuppressionRule(&INVALID_SUPPRESSION)));
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
            table[usize::from(ids.id("new_expression", tsx))] = FactKind::New;
            table[usize::from(ids.id("decorator", tsx))] = FactKind::Decorator;
            table[usize::from(ids.id("comment", tsx))] = FactKind::Comment;
            table[usize::from(ids.id("export_statement", tsx))] = FactKind::Export;
            table
        });
        let sees_type_level = rules.iter().any(|rule| rule.sees_type_level());
        let skip_inside = [false, true].map(|tsx| {
            let mut table = vec![false; ids.count(tsx) + 1];
            if !sees_type_level {
                for kind in TYPE_LEVEL_KINDS {
                    table[usize::from(ids.id(kind, tsx))] = true;
                }
            }
            table
        });
        let nest_code_only = rules.iter().map(|rule| rule.nest_code_only()).collect();
        let rule_ids: Vec<&'static str> = rules.iter().map(|r| r.meta().id).collect();
        let rule_index = rule_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i))
            .collect();
        Self {
            rules,
            rule_ids,
            rule_index,
            dispatch,
            fact_kinds,
            skip_inside,
            nest_code_only,
            files_selection: CliSelection::default(),
        }
    }

    /// The same linter, with `selection` applied by [`Linter::lint_files_as_project`] and
    /// [`Linter::fix_files_as_project`] (e.g. `select = ["all"]` to turn on the rules that are
    /// off by default).
    pub fn selecting(mut self, selection: CliSelection) -> Self {
        self.files_selection = selection;
        self
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

#[derive(Clone, Default)]
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
    /// Symbolic links the walk did not follow (to lintable files or to directories).
    pub symlinks_not_followed: Vec<PathBuf>,
    /// Target files with code nested deeper (or longer) than facts are read: findings there may
    /// be incomplete (docs/limits.md).
    pub limited_files: Vec<PathBuf>,
    /// Files (targets and context) whose per-file pass came from the cache.
    pub cached_files: usize,
    /// Of those, files not even read: the cache vouched for them by their metadata.
    pub unread_files: usize,
    /// Why the cache could not be read or written, when it could not (the run went on).
    pub cache_problem: Option<String>,
    /// Some findings lack the fixes a full run would give them: an edited document was linted
    /// again alone, and fixes that edit it are built again only when asked for
    /// ([`Linter::lint_session_exactly`]).
    pub fixes_pending: bool,
    /// Only edited documents were linted again: the project pass's findings of the last full
    /// run, moved with the edits, stand (see [`Linter::lint_session`]).
    pub edited_alone: bool,
    /// The project pass did not run: its findings were recorded by an earlier run over the same
    /// files (the same texts, settings and packages), and are taken from the cache.
    pub project_recorded: bool,
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub threads: usize,
    /// Paths in output are shown relative to this directory.
    pub display_base: PathBuf,
    /// Read and parse only: no rules, no facts (the benchmark's baseline).
    pub parse_only: bool,
    pub config: ConfigSource,
    pub selection: CliSelection,
    /// Apply the configuration's `exclude` to files named on the command line too.
    pub force_exclude: bool,
    /// Lint this text as the file at this path (`--stdin-filename`); `paths` are then ignored.
    pub stdin: Option<(PathBuf, Arc<str>)>,
    /// A directory argument that holds no file to lint is an error (ESLint's default; off with
    /// `--no-error-on-unmatched-pattern`).
    pub error_on_unmatched: bool,
    /// Walks follow symbolic links (`--follow-symlinks`); by default they are reported, not
    /// followed.
    pub follow_symlinks: bool,
    /// The cache directory (`--cache-dir`); `None` runs without a cache (`--no-cache`).
    pub cache_dir: Option<PathBuf>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: 1,
            display_base: PathBuf::from("."),
            parse_only: false,
            config: ConfigSource::Discover,
            selection: CliSelection::default(),
            force_exclude: false,
            stdin: None,
            error_on_unmatched: true,
            follow_symlinks: false,
            cache_dir: None,
        }
    }
}

#[derive(Debug)]
pub enum RunError {
    PathNotFound(PathBuf),
    ThreadPool(String),
    Config(ConfigError),
    /// Directory arguments that hold no file to lint.
    NothingToLint(Vec<Unmatched>),
}

/// A directory argument with no file to lint in it.
#[derive(Debug)]
pub struct Unmatched {
    pub path: PathBuf,
    /// TypeScript files there that the configuration's `include`/`exclude` leave out.
    pub excluded: usize,
    /// Why the walk could not read the directory itself, when it could not.
    pub unreadable: Option<String>,
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::PathNotFound(path) => {
                write!(f, "{}: no such file or directory", path.display())
            }
            RunError::ThreadPool(err) => write!(f, "cannot start worker threads: {err}"),
            RunError::Config(err) => write!(f, "{}: {}", err.path.display(), err.message),
            RunError::NothingToLint(unmatched) => {
                for (i, dir) in unmatched.iter().enumerate() {
                    if i > 0 {
                        write!(f, "\nnestlint: error: ")?;
                    }
                    if let Some(reason) = &dir.unreadable {
                        write!(f, "{}: {reason}", dir.path.display())?;
                        continue;
                    }
                    write!(f, "{}: no TypeScript file to lint", dir.path.display())?;
                    match dir.excluded {
                        0 => {}
                        1 => write!(
                            f,
                            " (its one TypeScript file is excluded by the configuration)"
                        )?,
                        n => write!(
                            f,
                            " (its {n} TypeScript files are excluded by the configuration)"
                        )?,
                    }
                }
                write!(
                    f,
                    "\nnestlint: help: nestlint lints *.ts, *.tsx, *.mts and *.cts files (not *.d.ts) \
                     outside ignored, hidden, node_modules, dist, build and coverage directories; \
                     --no-error-on-unmatched-pattern lets a run lint nothing"
                )
            }
        }
    }
}

/// Why a file named on the command line is not linted.
fn not_lintable_reason(path: &Path) -> String {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if [".d.ts", ".d.mts", ".d.cts"]
        .iter()
        .any(|ext| name.ends_with(ext))
    {
        "skipped: a declaration file (*.d.ts) holds no code to lint".to_owned()
    } else {
        "skipped: not a TypeScript file (nestlint lints *.ts, *.tsx, *.mts and *.cts)".to_owned()
    }
}

/// File texts that replace what is on disk: standard input, or fixes not yet written.
pub(crate) type Overlay = HashMap<PathBuf, Arc<str>>;

/// What a run lints, resolved once: the fix loop lints the same inputs round after round.
pub(crate) struct Prepared {
    pub(crate) pool: Arc<rayon::ThreadPool>,
    pub(crate) inputs: Vec<FileInput>,
    packages: Vec<Package>,
    pub(crate) overlay: Overlay,
    /// The workspaces discovery loaded (walking a monorepo for its packages costs a walk).
    workspaces: WorkspaceFinder,
    /// The files that configure the run (configuration, manifests, tsconfig files, and where a
    /// configuration could appear), as they were: a long-lived session checks them.
    pub(crate) configured_by: Vec<(PathBuf, Option<FileStamp>)>,
    /// Files named on the command line that are not linted, and paths the walks could not read,
    /// and why (reported, not errors).
    skipped: Vec<FileProblem>,
    /// Symbolic links the walks did not follow.
    symlinks: Vec<PathBuf>,
}

#[derive(Clone)]
pub(crate) struct FileInput {
    pub(crate) path: Arc<PathBuf>,
    package: usize,
    pub(crate) is_target: bool,
    pub(crate) settings: Arc<FileSettings>,
    /// Test code, judged on the path below the package root.
    pub(crate) is_test: bool,
    /// The file's package is a Nest application or library (see [`serves_nest`]).
    pub(crate) in_nest_package: bool,
}

/// Reads the TypeScript configurations that compile the linted files of Nest packages (rules
/// about the compiler options an application is built with read them).
fn read_compiler_configs(
    inputs: &[FileInput],
    packages: &mut [Package],
    workspaces: &mut WorkspaceFinder,
) {
    let mut dirs: BTreeSet<(usize, &Path)> = BTreeSet::new();
    for input in inputs {
        if input.is_target && input.in_nest_package {
            if let Some(dir) = input.path.parent() {
                dirs.insert((input.package, dir));
            }
        }
    }
    for (package, dir) in dirs {
        packages[package].read_compiler_configs([dir], workspaces);
    }
}

/// Whether code of `package` runs in Nest: its manifest (or, for a manifest with no
/// dependencies, its workspace root's) depends on `@nestjs/core` or `@nestjs/common`. A file with no manifest above it is taken as Nest code: it was named on the
/// command line to be linted as such.
fn serves_nest(package: &Package) -> bool {
    const NEST: [&str; 2] = ["@nestjs/core", "@nestjs/common"];
    if !package.has_manifest || NEST.iter().any(|n| package.dependencies.contains(*n)) {
        return true;
    }
    // A manifest that declares no dependency at all (scripts only) lives on its workspace
    // root's, which pnpm and yarn hoist: a package that declares its own and not Nest's is not
    // Nest code (a front end beside the API).
    package.dependencies.is_empty()
        && package
            .workspace
            .as_ref()
            .is_some_and(|w| NEST.iter().any(|n| w.dependencies.contains(*n)))
}

pub(crate) struct FileOutcome {
    /// What the per-file pass produced (or the cache kept).
    pub(crate) pass: FilePass,
    text: Option<Arc<str>>,
    /// A target the cache vouched for by its metadata, not read: its text's hash.
    unread_text: Option<u128>,
    pub(crate) problem: Option<String>,
    /// It came from the cache.
    cached: bool,
    /// It came from the cache without being read.
    unread: bool,
    /// Broken code, parsed with the help of an earlier tree: not cached.
    reparsed_broken: bool,
    /// The cache's key for the text linted (its hash and the settings), when it is cached.
    key: Option<u128>,
}

impl FileOutcome {
    /// The outcome of a file the cache vouched for without its being read.
    fn unread(mut self, input: &FileInput, identity: Identity, pass: FilePass) -> FileOutcome {
        self.pass = pass;
        self.key = Some(identity.key);
        self.cached = true;
        self.unread = true;
        if input.is_target {
            self.unread_text = Some(identity.text);
        }
        self
    }
}

impl Prepared {
    /// Whether `path` is one of the run's inputs (linted or read as context).
    pub(crate) fn knows(&self, path: &Path) -> bool {
        let key = path_order_key(path);
        self.inputs
            .binary_search_by(|input| path_order_key(&input.path).cmp(&key))
            .is_ok()
    }
}

impl Linter {
    /// Lints the files and directories in `paths` (see the README for what is walked).
    pub fn lint_paths(
        &self,
        paths: &[PathBuf],
        options: &RunOptions,
    ) -> Result<LintReport, RunError> {
        let started = std::time::Instant::now();
        let prepared = self.prepare(paths, options)?;
        phase("discovery", started);
        Ok(self.run_prepared(&prepared, options, &prepared.overlay))
    }

    pub(crate) fn run_prepared(
        &self,
        prepared: &Prepared,
        options: &RunOptions,
        overlay: &Overlay,
    ) -> LintReport {
        // The parse-only baseline measures parsing: it never uses the cache.
        let started = std::time::Instant::now();
        let cache = options
            .cache_dir
            .as_deref()
            .filter(|_| !options.parse_only)
            .map(|dir| Cache::open(dir, &self.rule_ids));
        phase("cache open", started);
        let mut report = self.run_with_cache(prepared, options, overlay, cache.as_ref());
        if let Some(cache) = cache {
            let started = std::time::Instant::now();
            report.cache_problem = cache.finish();
            phase("cache save", started);
        }
        report
    }

    /// A run over `prepared` with `cache` (kept by the caller: a language server's session
    /// keeps one open across runs).
    pub(crate) fn run_with_cache(
        &self,
        prepared: &Prepared,
        options: &RunOptions,
        overlay: &Overlay,
        cache: Option<&Cache>,
    ) -> LintReport {
        self.run_retaining(prepared, options, overlay, cache, false)
            .0
    }

    /// [`Linter::run_with_cache`], and with `retain` what [`Linter::relint_edited`] needs to lint
    /// the overlay's files again alone.
    pub(crate) fn run_retaining(
        &self,
        prepared: &Prepared,
        options: &RunOptions,
        overlay: &Overlay,
        cache: Option<&Cache>,
        retain: bool,
    ) -> (LintReport, Option<RunKept>) {
        let (mut report, retained) = prepared.pool.install(|| {
            self.run(
                prepared,
                &options.display_base,
                options.parse_only,
                overlay,
                cache,
                retain,
            )
        });
        report.problems.extend(prepared.skipped.iter().cloned());
        report.problems.sort_by(|a, b| a.path.cmp(&b.path));
        report.symlinks_not_followed = prepared.symlinks.clone();
        (report, retained)
    }

    /// Resolves configuration, walks the paths and finds each file's package.
    pub(crate) fn prepare(
        &self,
        paths: &[PathBuf],
        options: &RunOptions,
    ) -> Result<Prepared, RunError> {
        let started = std::time::Instant::now();
        let pool = thread_pool(options.threads).map_err(RunError::ThreadPool)?;
        let mut resolver =
            ConfigResolver::new(&self.rules, options.config.clone(), &options.selection)
                .map_err(RunError::Config)?;
        // (file, the argument it came from, named explicitly)
        let mut targets: Vec<(PathBuf, PathBuf, bool)> = Vec::new();
        // Directories already walked, so a package root given as an argument is walked once.
        let mut walked: HashMap<PathBuf, Vec<PathBuf>> = HashMap::new();
        let mut symlinks = Vec::new();
        let mut overlay = Overlay::new();
        let mut skipped = Vec::new();
        // Directory arguments as the user typed them, for messages.
        let mut typed: HashMap<PathBuf, PathBuf> = HashMap::new();
        if let Some((path, text)) = &options.stdin {
            // Standard input stands for a file that need not exist on disk.
            let absolute = normalize(&std::path::absolute(path).unwrap_or_else(|_| path.clone()));
            let parent = absolute.parent().map(Path::to_path_buf).unwrap_or_default();
            overlay.insert(absolute.clone(), text.clone());
            targets.push((absolute, parent, true));
        }
        let paths = if options.stdin.is_some() {
            &[][..]
        } else {
            paths
        };
        for path in paths {
            let absolute = normalize(&std::path::absolute(path).unwrap_or_else(|_| path.clone()));
            let metadata = match crate::files::metadata(&absolute) {
                Ok(metadata) => metadata,
                Err(ReadError::Missing) => return Err(RunError::PathNotFound(path.clone())),
                Err(err) => {
                    skipped.push(FileProblem {
                        path: absolute,
                        reason: format!("skipped: {err}"),
                    });
                    continue;
                }
            };
            if metadata.is_dir() {
                // Read the configuration that governs the argument, even if no file is linted:
                // a broken config is an error, not a silent no-op.
                resolver
                    .settings_for(&absolute.join(crate::config::CONFIG_FILE_NAME))
                    .map_err(RunError::Config)?;
                typed
                    .entry(absolute.clone())
                    .or_insert_with(|| path.clone());
                let files = walked.entry(absolute.clone()).or_insert_with(|| {
                    let found = walk(&absolute, options.threads, options.follow_symlinks);
                    skipped.extend(
                        found
                            .problems
                            .into_iter()
                            .map(|(path, reason)| FileProblem { path, reason }),
                    );
                    symlinks.extend(found.symlinks);
                    found.files
                });
                for file in files.iter() {
                    targets.push((file.clone(), absolute.clone(), false));
                }
            } else if metadata.is_file() {
                if !crate::workspace::is_lintable(&absolute) {
                    // `--force-exclude` (a hook passing every staged file) skips it silently.
                    if !options.force_exclude {
                        skipped.push(FileProblem {
                            path: absolute,
                            reason: not_lintable_reason(path),
                        });
                    }
                    continue;
                }
                let parent = absolute.parent().map(Path::to_path_buf).unwrap_or_default();
                targets.push((absolute, parent, true));
            } else {
                skipped.push(FileProblem {
                    path: absolute,
                    reason: format!(
                        "skipped: {}",
                        ReadError::NotRegular(crate::files::kind_of(metadata.file_type()))
                    ),
                });
            }
        }
        targets.sort();
        targets.dedup_by(|a, b| a.0 == b.0);
        phase("discovery: the walk", started);
        let started = std::time::Instant::now();

        // Packages: each target's nearest manifest directory; loose files group by argument.
        let mut finder = PackageFinder::new();
        let mut workspaces = WorkspaceFinder::default();
        let mut packages: Vec<Package> = Vec::new();
        let mut package_ids: BTreeMap<(PathBuf, bool), usize> = BTreeMap::new();
        let mut last_package: Option<((PathBuf, bool), usize)> = None;
        // Keyed in path order by bytes (see `path_order_key`): comparing `Path`s walks components.
        let mut inputs: BTreeMap<Vec<u8>, FileInput> = BTreeMap::new();
        // Per directory argument: files linted, and files its configuration leaves out.
        let mut per_directory: BTreeMap<PathBuf, (usize, usize)> =
            walked.keys().map(|dir| (dir.clone(), (0, 0))).collect();
        for (file, argument, explicit) in &targets {
            let (settings, included) = resolver.settings_for(file).map_err(RunError::Config)?;
            // Config `include`/`exclude` decide what a walk lints; a file named on the command
            // line is linted anyway unless `--force-exclude`. Excluded files stay project context.
            let key = match finder.root_of(file) {
                Some(root) => (root, true),
                None => (argument.clone(), false),
            };
            // With `--force-exclude` a named file obeys everything a walk would: the config's
            // `exclude`, ignore files, and the directories nestlint always skips.
            let is_target = if *explicit && options.force_exclude {
                included && !crate::workspace::walk_would_skip(file, &key.0)
            } else {
                included || *explicit
            };
            if *explicit {
                // Also named as a file: it counts for a directory argument it lies in.
                for (dir, (linted, _)) in per_directory.iter_mut() {
                    if is_target && file.starts_with(dir) {
                        *linted += 1;
                    }
                }
            } else if let Some((linted, excluded)) = per_directory.get_mut(argument) {
                if is_target {
                    *linted += 1;
                } else {
                    *excluded += 1;
                }
            }
            // Files come in path order: most belong to the previous file's package (a map
            // keyed by paths compares them component by component).
            let package = match &last_package {
                Some(((root, manifest), id))
                    if *manifest == key.1 && root.as_os_str() == key.0.as_os_str() =>
                {
                    *id
                }
                _ => {
                    let id = *package_ids.entry(key.clone()).or_insert_with(|| {
                        packages.push(Package::load_in(&key.0, key.1, &mut workspaces));
                        packages.len() - 1
                    });
                    last_package = Some((key.clone(), id));
                    id
                }
            };
            inputs.insert(
                path_order_key(file),
                FileInput {
                    path: Arc::new(file.clone()),
                    package,
                    is_target,
                    settings,
                    is_test: false,
                    in_nest_package: true,
                },
            );
        }
        let unmatched: Vec<Unmatched> = per_directory
            .into_iter()
            .filter(|(_, (linted, _))| *linted == 0)
            .map(|(dir, (_, excluded))| Unmatched {
                unreadable: skipped
                    .iter()
                    .find(|problem| problem.path == dir)
                    .map(|problem| problem.reason.clone()),
                path: typed.get(&dir).cloned().unwrap_or(dir),
                excluded,
            })
            .collect();
        if options.error_on_unmatched && !unmatched.is_empty() {
            return Err(RunError::NothingToLint(unmatched));
        }
        phase("discovery: settings and packages", started);
        let started = std::time::Instant::now();
        // Context: the rest of every package that has a manifest.
        let manifest_packages: Vec<(PathBuf, usize)> = package_ids
            .iter()
            .filter(|((_, has_manifest), _)| *has_manifest)
            .map(|((root, _), &id)| (root.clone(), id))
            .collect();
        // Directories a walk already covered: every file under them is an input already.
        let covered: Vec<PathBuf> = walked.keys().cloned().collect();
        let is_covered = |dir: &Path| covered.iter().any(|walked| dir.starts_with(walked));
        for (root, package) in manifest_packages {
            let files = match walked.remove(&root) {
                Some(files) => files,
                None if is_covered(&root) => Vec::new(),
                None => walk(&root, options.threads, options.follow_symlinks).files,
            };
            for file in files {
                // A nested package's files belong to it, not to this one.
                if finder.root_of(&file).as_deref() != Some(root.as_path()) {
                    continue;
                }
                if inputs.contains_key(&path_order_key(&file)) {
                    continue;
                }
                let (settings, _) = resolver.settings_for(&file).map_err(RunError::Config)?;
                inputs.insert(
                    path_order_key(&file),
                    FileInput {
                        path: Arc::new(file),
                        package,
                        is_target: false,
                        settings,
                        is_test: false,
                        in_nest_package: true,
                    },
                );
            }
        }
        // Context: every package of the monorepos the targets belong to. Which application
        // serves a library's controller, which controller makes a library's class a request DTO:
        // the answer lies in packages that import the target's, which no import of its own leads
        // to. Read them, so that a file's findings are the same from any directory.
        let workspace_roots: BTreeSet<PathBuf> = packages
            .iter()
            .filter_map(|p| p.workspace.as_ref().map(|w| w.root.clone()))
            .collect();
        for root in workspace_roots {
            if is_covered(&root) {
                continue;
            }
            // What a walk already covered need not be walked again (its files are inputs).
            let inside: Vec<PathBuf> = covered
                .iter()
                .filter(|dir| dir.starts_with(&root))
                .cloned()
                .collect();
            let walk_started = std::time::Instant::now();
            let files =
                walk_skipping(&root, options.threads, options.follow_symlinks, &inside).files;
            phase("discovery: the monorepo walk", walk_started);
            for file in files {
                if inputs.contains_key(&path_order_key(&file)) {
                    continue;
                }
                let Some(package_root) = finder.root_of(&file) else {
                    continue;
                };
                let package = match &last_package {
                    Some(((root, true), id)) if root.as_os_str() == package_root.as_os_str() => *id,
                    _ => {
                        let id = *package_ids
                            .entry((package_root.clone(), true))
                            .or_insert_with(|| {
                                packages.push(Package::load_in(
                                    &package_root,
                                    true,
                                    &mut workspaces,
                                ));
                                packages.len() - 1
                            });
                        last_package = Some(((package_root.clone(), true), id));
                        id
                    }
                };
                let (settings, _) = resolver.settings_for(&file).map_err(RunError::Config)?;
                inputs.insert(
                    path_order_key(&file),
                    FileInput {
                        path: Arc::new(file),
                        package,
                        is_target: false,
                        settings,
                        is_test: false,
                        in_nest_package: true,
                    },
                );
            }
        }
        phase("discovery: the monorepo's other packages", started);
        let started = std::time::Instant::now();
        let mut inputs: Vec<FileInput> = inputs.into_values().collect();
        for input in &mut inputs {
            let package = &packages[input.package];
            input.is_test = is_test_file(
                input
                    .path
                    .strip_prefix(&package.root)
                    .unwrap_or(&input.path),
            );
            input.in_nest_package = serves_nest(package);
        }
        read_compiler_configs(&inputs, &mut packages, &mut workspaces);
        // Manifests and tsconfig files that exist but could not be read.
        let mut unreadable: BTreeMap<PathBuf, String> = BTreeMap::new();
        for package in &packages {
            let workspace = package.workspace.iter().flat_map(|w| w.unreadable.iter());
            for (path, reason) in package.unreadable.iter().chain(workspace) {
                unreadable
                    .entry(path.clone())
                    .or_insert_with(|| reason.clone());
            }
        }
        skipped.extend(
            unreadable
                .into_iter()
                .map(|(path, reason)| FileProblem { path, reason }),
        );
        let mut configured_by: Vec<PathBuf> =
            resolver.loaded_files().map(Path::to_path_buf).collect();
        for dir in typed.keys() {
            configured_by.push(dir.join(crate::config::CONFIG_FILE_NAME));
        }
        for package in &packages {
            for name in ["package.json", "nest-cli.json", "tsconfig.json"] {
                configured_by.push(package.root.join(name));
            }
            // Folders share their configurations: each set is listed once.
            let mut seen: std::collections::HashSet<*const nestlint_semantic::tsconfig::Governing> =
                std::collections::HashSet::new();
            for governing in package.compiler_configs.values() {
                if seen.insert(Arc::as_ptr(governing)) {
                    configured_by.extend(governing.files().map(|f| f.to_path_buf()));
                }
            }
        }
        configured_by.sort();
        configured_by.dedup();
        let configured_by = configured_by
            .into_iter()
            .map(|path| {
                let stamp = FileStamp::of(&path);
                (path, stamp)
            })
            .collect();
        phase("discovery: manifests read", started);
        Ok(Prepared {
            pool,
            inputs,
            packages,
            overlay,
            workspaces,
            configured_by,
            skipped,
            symlinks,
        })
    }

    /// Lints `files` as one project with no manifest and no context files (fixture tests).
    pub fn lint_files_as_project(&self, files: &[PathBuf], display_base: &Path) -> LintReport {
        let prepared = self.prepare_files_as_project(files, &self.files_selection);
        let options = RunOptions {
            display_base: display_base.to_path_buf(),
            ..RunOptions::default()
        };
        self.run_prepared(&prepared, &options, &prepared.overlay)
    }

    /// The inputs of [`Linter::lint_files_as_project`], with only the `selection`'s rules on.
    pub(crate) fn prepare_files_as_project(
        &self,
        files: &[PathBuf],
        selection: &CliSelection,
    ) -> Prepared {
        let files: Vec<PathBuf> = files
            .iter()
            .map(|f| normalize(&std::path::absolute(f).unwrap_or_else(|_| f.clone())))
            .collect();
        let root = files
            .first()
            .and_then(|f| f.parent())
            .map(Path::to_path_buf)
            .unwrap_or_default();
        // The files' folder is their package, with the manifest written beside them if any.
        let mut packages = vec![Package::load(&root, root.join("package.json").is_file())];
        let mut defaults = ConfigResolver::new(&self.rules, ConfigSource::None, selection)
            .expect("defaults need no file");
        let inputs = files
            .iter()
            .map(|f| FileInput {
                path: Arc::new(f.clone()),
                package: 0,
                is_target: true,
                settings: defaults.settings_for(f).expect("defaults need no file").0,
                is_test: is_test_file(f.strip_prefix(&root).unwrap_or(f)),
                in_nest_package: true,
            })
            .collect::<Vec<_>>();
        read_compiler_configs(&inputs, &mut packages, &mut WorkspaceFinder::default());
        Prepared {
            pool: thread_pool(1).unwrap_or_else(|_| {
                Arc::new(
                    rayon::ThreadPoolBuilder::new()
                        .build()
                        .expect("rayon's default pool"),
                )
            }),
            inputs,
            packages,
            overlay: Overlay::new(),
            workspaces: WorkspaceFinder::default(),
            configured_by: Vec::new(),
            skipped: Vec::new(),
            symlinks: Vec::new(),
        }
    }

    /// The run itself. With `retain`, also what [`Linter::relint_edited`] needs to lint the
    /// overlay's files again alone.
    fn run(
        &self,
        prepared: &Prepared,
        display_base: &Path,
        parse_only: bool,
        overlay: &Overlay,
        cache: Option<&Cache>,
        retain: bool,
    ) -> (LintReport, Option<RunKept>) {
        let display_base = normalize(
            &std::path::absolute(display_base).unwrap_or_else(|_| display_base.to_path_buf()),
        );
        let display_base = display_base.as_path();
        let mut inputs: Vec<FileInput> = prepared.inputs.clone();
        let mut packages = prepared.packages.clone();
        let started = std::time::Instant::now();
        let mut outcomes: Vec<FileOutcome> = inputs
            .par_iter()
            .map(|input| {
                self.lint_file(input, parse_only, overlay.get(input.path.as_path()), cache)
            })
            .collect();
        phase("file pass", started);
        let started = std::time::Instant::now();
        let workspaces = prepared.workspaces.clone();
        self.read_imported_files(
            (&mut inputs, &mut outcomes),
            (&mut packages, workspaces),
            parse_only,
            cache,
        );
        phase("context files", started);
        let started = std::time::Instant::now();
        let inputs = &inputs[..];

        let mut report = LintReport::default();
        let mut indexed = Vec::with_capacity(inputs.len());
        let mut texts = Sources::default();
        let mut directives: HashMap<Arc<PathBuf>, Vec<Directive>> = HashMap::new();
        let mut settings: Vec<Arc<FileSettings>> = Vec::with_capacity(inputs.len());
        // A project rule runs when some target file has it on.
        let mut enabled_anywhere = vec![false; self.rules.len()];
        let mut retained: HashMap<PathBuf, RetainedFile> = HashMap::new();
        let mut context: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
        // Each file's cache key, where it has one, and its facts still encoded.
        let mut keys: Vec<Option<u128>> = Vec::with_capacity(inputs.len());
        let mut pending: Vec<Option<PendingFacts>> = Vec::with_capacity(inputs.len());
        for (position, (input, mut outcome)) in inputs.iter().zip(outcomes).enumerate() {
            keys.push(outcome.key);
            pending.push(outcome.pass.pending.take());
            settings.push(input.settings.clone());
            if retain && !input.is_target {
                context.insert(input.path.as_ref().clone());
            }
            if retain && input.is_target {
                if let (Some(text), None) = (overlay.get(input.path.as_path()), &outcome.problem) {
                    retained.insert(
                        input.path.as_ref().clone(),
                        RetainedFile {
                            input: position,
                            text: text.clone(),
                            facts: outcome.pass.facts.clone(),
                            stash: outcome.pass.stash.clone(),
                            tree: None,
                            project: Vec::new(),
                        },
                    );
                }
            }
            report.cached_files += usize::from(outcome.cached);
            report.unread_files += usize::from(outcome.unread);
            if input.is_target {
                for (enabled, level) in enabled_anywhere.iter_mut().zip(&input.settings.levels) {
                    *enabled |= level.is_some();
                }
                if !outcome.pass.directives.is_empty() {
                    directives.insert(input.path.clone(), outcome.pass.directives);
                }
            }
            // A file that could not be read is reported, not counted as linted.
            let read = outcome.problem.is_none();
            if let Some(reason) = outcome.problem {
                if input.is_target {
                    report.problems.push(FileProblem {
                        path: input.path.as_ref().clone(),
                        reason,
                    });
                }
            }
            if input.is_target {
                report.files_linted += usize::from(read);
                if outcome.pass.parse_error {
                    report.parse_error_files.push(input.path.as_ref().clone());
                }
                if outcome.pass.limited {
                    report.limited_files.push(input.path.as_ref().clone());
                }
                if let Some(text) = outcome.text {
                    texts.insert_read(input.path.clone(), text);
                } else if let Some(hash) = outcome.unread_text {
                    texts.insert_unread(input.path.clone(), hash);
                }
            } else {
                report.context_files += 1;
            }
            report.diagnostics.extend(outcome.pass.diagnostics);
            let package = &packages[input.package];
            let app_root = package.app_root_of(&input.path).to_path_buf();
            indexed.push(IndexedFile {
                is_test: input.is_test,
                path: input.path.clone(),
                facts: outcome.pass.facts,
                package: input.package,
                app_root,
                is_target: input.is_target,
                import_targets: Vec::new(),
                reexport_targets: Vec::new(),
                imports_by_local: None,
                stash: outcome.pass.stash,
            });
        }
        let rules: &[Box<dyn Rule>] = if parse_only { &[] } else { &self.rules };
        phase("collecting facts", started);
        let started = std::time::Instant::now();
        // What the findings need of the index, kept apart: a run whose project is as the
        // cache's last one recorded takes that run's project findings, with no index at all.
        let files: Vec<(Arc<PathBuf>, bool, bool)> = indexed
            .iter()
            .map(|file| (file.path.clone(), file.is_target, file.is_test))
            .collect();
        let ids: HashMap<&[u8], usize, foldhash::fast::RandomState> = files
            .iter()
            .enumerate()
            .map(|(id, file)| (file.0.as_os_str().as_encoded_bytes(), id))
            .collect();
        let file_id = |path: &Path| ids.get(path.as_os_str().as_encoded_bytes()).copied();
        let config_owners = config_owners(&indexed, &packages);
        let project_state = match cache {
            Some(_) if !parse_only => project_state(&indexed, &keys, &packages, &enabled_anywhere),
            _ => None,
        };
        let recorded = cache
            .zip(project_state.as_ref())
            .and_then(|(cache, state)| {
                cache
                    .project_findings(state.key, &self.rule_ids)
                    .or_else(|| {
                        let findings = moved_only_since_recorded(
                            cache,
                            state,
                            &indexed,
                            &pending,
                            &self.rule_ids,
                        )
                        .inspect_err(|why| {
                            if timings_on() {
                                eprintln!("nestlint: timing: the project pass runs: {why}");
                            }
                        })
                        .ok()?;
                        // Recorded again for this project, so the next run need not compare.
                        cache.record_project_findings(state, findings.iter());
                        phase("project pass: facts only moved", started);
                        Some(findings)
                    })
            });
        let per_rule = match recorded {
            Some(findings) => {
                report.project_recorded = true;
                // Freeing thousands of files' facts takes a while: not on the way to the output.
                drop_in_background((indexed, packages));
                phase("project pass: as recorded", started);
                vec![findings]
            }
            None => {
                self.decode_pending(&mut indexed, pending, inputs, overlay);
                let (index, per_rule) = project_pass(
                    indexed,
                    packages,
                    rules,
                    &enabled_anywhere,
                    &settings,
                    &texts,
                    cache.and_then(Cache::import_memo),
                );
                drop_in_background(index);
                if let (Some(cache), Some(state)) = (cache, &project_state) {
                    cache.record_project_findings(state, per_rule.iter().flatten());
                }
                phase("project pass", started);
                per_rule
            }
        };
        let started = std::time::Instant::now();
        // Findings go only to the files the user asked about, at the level their config sets.
        let mut by_file: BTreeMap<crate::FileId, Vec<Diagnostic>> = BTreeMap::new();
        let file_pass = report.diagnostics.drain(..).map(|d| (d, false));
        let project = per_rule.into_iter().flatten().map(|d| (d, true));
        // Findings on a configuration file (a `tsconfig.json`), at the level the settings of the
        // first linted file it compiles set; no suppression comment applies to them.
        let mut in_configs: Vec<Diagnostic> = Vec::new();
        for (diagnostic, from_project) in file_pass.chain(project) {
            let Some(id) = file_id(&diagnostic.path) else {
                if let Some(&owner) = config_owners.get(diagnostic.path.as_ref()) {
                    in_configs.extend(at_configured_level(
                        diagnostic,
                        &settings[owner],
                        &self.rule_index,
                        |_| false,
                    ));
                }
                continue;
            };
            if !files[id].1 {
                continue;
            }
            let editable = |target: &PathBuf| texts.contains(target);
            let Some(diagnostic) =
                at_configured_level(diagnostic, &settings[id], &self.rule_index, editable)
            else {
                continue;
            };
            if from_project {
                if let Some(file) = retained.get_mut(diagnostic.path.as_ref()) {
                    file.project.push(diagnostic.clone());
                }
            }
            by_file.entry(id).or_default().push(diagnostic);
        }
        // Files with suppression comments and no finding still get their unused ones reported.
        for path in directives.keys() {
            if let Some(id) = file_id(path) {
                by_file.entry(id).or_default();
            }
        }
        for (id, diagnostics) in by_file {
            let path = files[id].0.clone();
            let text = texts.get(&path).map(|t| t.as_ref());
            report.diagnostics.extend(self.shown_in_file(
                &path,
                (text, directives.get(&path).map(Vec::as_slice)),
                diagnostics,
                (&settings[id], files[id].2),
            ));
        }
        report.diagnostics.extend(in_configs);
        phase("findings", started);
        sort_diagnostics(&mut report.diagnostics);
        report.diagnostics.dedup();
        // Line tables only for the files that have something to show (a finding, a label), or
        // a fix to take. A label may point into a context file, whose text was not kept: it is
        // read again (a few files at most).
        let shown: Vec<Arc<PathBuf>> = report
            .diagnostics
            .iter()
            .flat_map(|d| {
                std::iter::once(&d.path)
                    .chain(d.fix.as_ref().and_then(|f| f.file.as_ref()))
                    .chain(d.labels.iter().map(|l| &l.path))
            })
            .cloned()
            .collect();
        for path in shown {
            if report.sources.contains_key(&path) {
                continue;
            }
            // A target's text is the one linted (none if it changed since); a context file's
            // is read again.
            let text = if texts.contains(&path) {
                texts.get(&path).cloned()
            } else {
                read_source(&path).ok()
            };
            if let Some(text) = text {
                report.sources.insert(
                    path.clone(),
                    SourceText::new(display_path(&path, display_base), text),
                );
            }
        }
        report.problems.sort_by(|a, b| a.path.cmp(&b.path));
        let kept = retain.then_some(RunKept {
            files: retained,
            context,
        });
        (report, kept)
    }

    /// Decodes the facts the cache left encoded (`pending`, per file), for the project pass. A
    /// file whose facts do not decode (a damaged entry) is linted again from its text.
    fn decode_pending(
        &self,
        indexed: &mut [IndexedFile],
        pending: Vec<Option<PendingFacts>>,
        inputs: &[FileInput],
        overlay: &Overlay,
    ) {
        indexed
            .par_iter_mut()
            .zip(pending)
            .zip(inputs)
            .for_each(|((file, pending), input)| {
                let Some(pending) = pending else {
                    return;
                };
                let facts = match pending.decode() {
                    Some(facts) => Arc::new(facts),
                    None => {
                        let overlay = overlay.get(input.path.as_path());
                        self.lint_file(input, false, overlay, None).pass.facts
                    }
                };
                file.facts = facts;
            });
    }

    /// Reads, as context, the files that imports lead to outside what was walked: another package
    /// of the monorepo (by name or through a `tsconfig.json` path alias), a generated file an
    /// ignore file hides. Repeated until nothing new is imported, so a file's findings do not
    /// depend on which directory nestlint was started in.
    fn read_imported_files(
        &self,
        (inputs, outcomes): (&mut Vec<FileInput>, &mut Vec<FileOutcome>),
        (packages, mut workspaces): (&mut Vec<Package>, WorkspaceFinder),
        parse_only: bool,
        cache: Option<&Cache>,
    ) {
        let Some(settings) = inputs.first().map(|input| input.settings.clone()) else {
            return;
        };
        let mut known: PathTable<()> = PathTable::with_capacity(inputs.len());
        for input in inputs.iter() {
            known.insert(&input.path, ());
        }
        let mut package_ids: HashMap<PathBuf, usize> = packages
            .iter()
            .enumerate()
            .filter(|(_, p)| p.has_manifest)
            .map(|(id, p)| (p.root.clone(), id))
            .collect();
        let mut finder = PackageFinder::new();
        let mut checked = 0;
        let memo = cache.and_then(Cache::context_memo);
        while checked < outcomes.len() && known.len() < MAX_IMPORTED_CONTEXT {
            let bare = Memo::default();
            // The first round asks about the run's own inputs against the same known files
            // every time: a session keeps each file's answer while its facts are the same and
            // the answer needed no look at the disk.
            let first = checked == 0;
            let previous = match (first, memo) {
                (true, Some(memo)) => memo.take(outcomes.len()),
                _ => Vec::new(),
            };
            let found: Vec<(Vec<PathBuf>, bool)> = (checked..outcomes.len())
                .into_par_iter()
                .map(|i| match previous.get(i) {
                    Some(Some((facts, files))) if Arc::ptr_eq(facts, &outcomes[i].pass.facts) => {
                        (files.clone(), false)
                    }
                    _ => imported_outside(
                        &inputs[i],
                        &outcomes[i].pass.facts,
                        packages,
                        &known,
                        &bare,
                    ),
                })
                .collect();
            if let (true, Some(memo)) = (first, memo) {
                memo.keep(
                    found
                        .iter()
                        .zip(outcomes.iter())
                        .map(|((files, disk), outcome)| {
                            (!disk).then(|| (outcome.pass.facts.clone(), files.clone()))
                        })
                        .collect(),
                );
            }
            let missing: BTreeSet<PathBuf> =
                found.into_iter().flat_map(|(files, _)| files).collect();
            checked = outcomes.len();
            let mut added = Vec::new();
            for file in missing {
                if !known.insert(&file, ()) {
                    continue;
                }
                let Some(root) = finder.root_of(&file) else {
                    continue;
                };
                let package = *package_ids.entry(root.clone()).or_insert_with(|| {
                    packages.push(Package::load_in(&root, true, &mut workspaces));
                    packages.len() - 1
                });
                let is_test = is_test_file(file.strip_prefix(&root).unwrap_or(&file));
                added.push(FileInput {
                    path: Arc::new(file),
                    package,
                    is_target: false,
                    settings: settings.clone(),
                    is_test,
                    in_nest_package: serves_nest(&packages[package]),
                });
            }
            let linted: Vec<FileOutcome> = added
                .par_iter()
                .map(|input| self.lint_file(input, parse_only, None, cache))
                .collect();
            inputs.extend(added);
            outcomes.extend(linted);
        }
    }

    /// A file's results from the cache: kept decoded (a session's later runs), or decoded from
    /// its entry; `None` when there is none for `identity`, or it names a rule this binary does
    /// not have (then the file is linted).
    fn cached_pass(
        &self,
        cache: &Cache,
        input: &FileInput,
        identity: Identity,
    ) -> Option<FilePass> {
        if let Some((kept, pass)) = cache.recall(&input.path, identity.key) {
            if kept != identity {
                // The same text, new metadata: kept with it, so that the next run need not
                // read the file.
                cache.remember(&input.path, identity, &pass);
            }
            return Some(pass);
        }
        let (cached, facts, pending) = cache.get(&input.path, identity)?;
        let diagnostics = cached.diagnostics(&input.path, &self.rule_ids)?;
        let stash = cached.stash(&self.rule_ids)?;
        let pass = FilePass {
            facts: Arc::new(facts),
            diagnostics,
            stash,
            directives: cached.directives,
            parse_error: cached.parse_error,
            limited: cached.limited,
            pending,
        };
        cache.remember(&input.path, identity, &pass);
        Some(pass)
    }

    pub(crate) fn lint_file(
        &self,
        input: &FileInput,
        parse_only: bool,
        overlay: Option<&Arc<str>>,
        cache: Option<&Cache>,
    ) -> FileOutcome {
        self.lint_file_reparsing(input, parse_only, overlay, cache, None)
    }

    /// [`Linter::lint_file`], parsing the text with the help of `tree` (an earlier tree of the
    /// file, told of the edit) when there is one, and leaving the new tree there.
    pub(crate) fn lint_file_reparsing(
        &self,
        input: &FileInput,
        parse_only: bool,
        overlay: Option<&Arc<str>>,
        cache: Option<&Cache>,
        tree: Option<&mut Option<nestlint_syntax::Tree>>,
    ) -> FileOutcome {
        let mut outcome = FileOutcome {
            pass: FilePass::default(),
            text: None,
            unread_text: None,
            problem: None,
            cached: false,
            unread: false,
            reparsed_broken: false,
            key: None,
        };
        let cache = cache.filter(|_| !parse_only);
        let parts = KeyParts {
            settings: input.settings.file_pass_key,
            is_target: input.is_target,
            is_test: input.is_test,
            in_nest_package: input.in_nest_package,
        };
        // Files an editor says are unchanged: what the session keeps, without a look.
        let trusted = match (cache, overlay) {
            (Some(cache), None) => cache.recall_trusted(&input.path, &parts),
            _ => None,
        };
        if let Some((identity, pass)) = trusted {
            return outcome.unread(input, identity, pass);
        }
        // The metadata first: a file the cache vouches for by it is not read at all.
        let stat = match (cache, overlay) {
            (Some(_), None) => crate::files::metadata(&input.path)
                .ok()
                .and_then(|metadata| Stat::of(&metadata)),
            _ => None,
        };
        if let (Some(cache), Some(stat)) = (cache, stat) {
            // What a session keeps decoded, in one lookup; else the entry the metadata matches.
            let unread = cache.recall_unread(&input.path, stat, &parts).or_else(|| {
                let identity = cache.unread_identity(&input.path, stat, &parts)?;
                Some((identity, self.cached_pass(cache, input, identity)?))
            });
            if let Some((identity, pass)) = unread {
                return outcome.unread(input, identity, pass);
            }
        }
        let text = match overlay {
            // Already text: standard input (checked when read) or a fix applied to a file.
            Some(text) => text.clone(),
            None => match read_source(&input.path) {
                Ok(text) => text,
                Err(problem) => {
                    outcome.problem = Some(problem);
                    return outcome;
                }
            },
        };
        let Some(cache) = cache else {
            return self.lint_text(input, parse_only, text, outcome, tree);
        };
        let hash = cache::text_hash(&text);
        let identity = Identity {
            key: cache::key(hash, &parts),
            text: hash,
            stat,
        };
        if let Some(pass) = self.cached_pass(cache, input, identity) {
            outcome.pass = pass;
            outcome.key = Some(identity.key);
            outcome.cached = true;
            if input.is_target {
                outcome.text = Some(text);
            }
            return outcome;
        }
        let mut outcome = self.lint_text(input, parse_only, text, outcome, tree);
        if outcome.problem.is_none() && !outcome.reparsed_broken {
            cache.put(&input.path, identity, &outcome.pass);
            outcome.key = Some(identity.key);
        }
        outcome
    }

    /// The per-file pass over a file's text: parse, one traversal dispatching nodes to the file
    /// rules and to fact extraction, suppression comments.
    fn lint_text(
        &self,
        input: &FileInput,
        parse_only: bool,
        text: Arc<str>,
        mut outcome: FileOutcome,
        reparse: Option<&mut Option<nestlint_syntax::Tree>>,
    ) -> FileOutcome {
        let tsx = nestlint_syntax::is_tsx(&input.path);
        let parse_text = nestlint_syntax::without_bom(&text);
        let mut parsed = match reparse.as_ref().and_then(|slot| slot.as_ref()) {
            Some(old) => nestlint_syntax::parse_again(&parse_text, tsx, Some(old)),
            None => parse(&parse_text, tsx),
        };
        let reused = reparse.as_ref().is_some_and(|slot| slot.is_some());
        if reused && parsed.is_none() {
            parsed = parse(&parse_text, tsx);
        }
        // tree-sitter reuses no subtree that error recovery built, and tests/incremental.rs finds
        // the same findings as a parse from scratch; still, broken code parsed from an edited
        // tree is not cached, so a command-line run never depends on it.
        outcome.reparsed_broken =
            reused && parsed.as_ref().is_some_and(|t| t.root_node().has_error());
        let Some(tree) = parsed else {
            outcome.problem = Some("skipped: the parser gave up on this file".to_owned());
            return outcome;
        };
        if let Some(slot) = reparse {
            *slot = Some(tree.clone());
        }
        let root = tree.root_node();
        outcome.pass.parse_error = root.has_error();
        let mut facts = FileFacts::default();
        if parse_only {
            // What the files import is still read: it decides which other files are read.
            facts.imports = Imports::from_program(root, &parse_text).into_bindings();
            facts.reexports = reexport_sources(root, &parse_text);
            outcome.pass.facts = Arc::new(facts);
            return outcome;
        }
        let source: &str = &parse_text;
        crate::facts::take_limit_reached();
        let imports = Imports::from_program(root, source);
        extract_top_level(root, source, &mut facts);
        let is_test = input.is_test;
        let levels = &input.settings.levels;
        // Where code starts (imports aside): an `ignore-file` directive must come before it.
        let code_start = nestlint_syntax::named_children(root)
            .find(|n| n.kind_name() != "import_statement")
            .map_or(usize::MAX, |n| n.start_byte());
        let dispatch = &self.dispatch[usize::from(tsx)];
        let fact_kinds = &self.fact_kinds[usize::from(tsx)];
        let skip_inside = &self.skip_inside[usize::from(tsx)];
        // Suppression comments may sit anywhere, even inside a skipped type: where the file has
        // any, skipped subtrees are still searched for comments (and only for comments).
        let find_directives = input.is_target && source.contains("nestlint-");
        let directive_at = |node: Node<'_>, directives: &mut Vec<Directive>| {
            if let Some(directive) = read_directive(node, source, code_start) {
                directives.push(directive);
            }
        };
        let mut export_statement: Option<Node<'_>> = None;
        let scope = crate::rule::FileScope::new(root, source);
        let mut enclosing = Enclosing::default();
        nestlint_syntax::visit_named(root, |node| {
            let kind = usize::from(node.kind_id());
            let fact_kind = fact_kinds.get(kind).copied().unwrap_or(FactKind::None);
            if fact_kind == FactKind::Export {
                export_statement = Some(node);
            }
            if input.is_target {
                let memo = crate::rule::NodeMemo::default();
                for &rule_index in dispatch.get(kind).into_iter().flatten() {
                    if levels[rule_index].is_none()
                        || (self.nest_code_only[rule_index] && !input.in_nest_package)
                    {
                        continue;
                    }
                    let rule = &self.rules[rule_index];
                    let mut ctx = FileContext {
                        path: &input.path,
                        source,
                        imports: &imports,
                        is_test,
                        rule: rule.meta(),
                        options: input.settings.options[rule_index].as_ref(),
                        diagnostics: &mut outcome.pass.diagnostics,
                        stash: &mut outcome.pass.stash,
                        scope: &scope,
                        export_statement,
                        memo: &memo,
                    };
                    rule.check_node(node, &mut ctx);
                }
            }
            match fact_kind {
                FactKind::None | FactKind::Export => {}
                FactKind::Class => {
                    let fact = collect_class(node, export_statement, source, &mut facts);
                    enclosing.class(node, fact);
                }
                FactKind::Call => {
                    call_facts(node, source, &mut facts);
                    enclosing.call(node, source, &mut facts);
                }
                FactKind::New => enclosing.new_expression(node, source, &mut facts),
                FactKind::Decorator => enclosing.decorator(node),
                FactKind::Comment if find_directives => {
                    directive_at(node, &mut outcome.pass.directives);
                }
                FactKind::Comment => {}
            }
            if !skip_inside.get(kind).copied().unwrap_or(false) {
                return true;
            }
            if find_directives {
                nestlint_syntax::visit_named(node, |inner| {
                    let kind = usize::from(inner.kind_id());
                    if fact_kinds.get(kind) == Some(&FactKind::Comment) {
                        directive_at(inner, &mut outcome.pass.directives);
                    }
                    true
                });
            }
            false
        });
        facts.imports = imports.into_bindings();
        facts.assign_validating_calls();
        facts.finish();
        outcome.pass.facts = Arc::new(facts);
        outcome.pass.limited = crate::facts::take_limit_reached();
        if input.is_target {
            outcome.text = Some(text);
        }
        outcome
    }
}

/// With `NESTLINT_TIMINGS` set, prints how long a phase of the run took (to stderr): where the
/// time goes on a real app, without a profiler.
pub fn phase(name: &str, started: std::time::Instant) {
    if timings_on() {
        eprintln!(
            "nestlint: timing: {name}: {:.1} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
}

/// Whether `NESTLINT_TIMINGS` is set.
pub(crate) fn timings_on() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("NESTLINT_TIMINGS").is_some())
}

/// A key that sorts paths as `Path`'s own order does (component by component), compared as plain
/// bytes: separators become the lowest byte, so `a/b` still sorts before `a-b` and `ab/c` after
/// `a/c`. (Paths here are absolute and normalised; no name holds a NUL.)
fn path_order_key(path: &Path) -> Vec<u8> {
    let separator = if cfg!(windows) { b'\\' } else { b'/' };
    path.as_os_str()
        .as_encoded_bytes()
        .iter()
        .map(|&b| if b == separator { 0 } else { b })
        .collect()
}

/// Drops `value` on one long-lived thread of its own (made once per process), off the path to
/// the output: freeing thousands of files' facts takes a while. A thread per run would pile up
/// in a language server or a fuzzer, and a detached one is still running when a leak checker
/// looks. Where the thread cannot be made, the value is dropped here.
fn drop_in_background<T: Send + 'static>(value: T) {
    type Queue = std::sync::Mutex<std::sync::mpsc::Sender<Box<dyn Send>>>;
    static QUEUE: std::sync::OnceLock<Option<Queue>> = std::sync::OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<Box<dyn Send>>();
        std::thread::Builder::new()
            .name("nestlint-free".to_owned())
            .spawn(move || receiver.into_iter().for_each(drop))
            .ok()?;
        Some(std::sync::Mutex::new(sender))
    });
    let Some(queue) = queue else {
        return;
    };
    let sender = queue
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // A closed queue hands the value back, and it is dropped here.
    let _ = sender.send(Box::new(value));
}

/// The worker pool of `threads` threads, made once per process and shared by every run: a
/// language server or a fuzzer lints thousands of times, and each worker keeps its parsers.
fn thread_pool(threads: usize) -> Result<Arc<rayon::ThreadPool>, String> {
    static POOLS: std::sync::Mutex<Vec<(usize, Arc<rayon::ThreadPool>)>> =
        std::sync::Mutex::new(Vec::new());
    let mut pools = POOLS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, pool)) = pools.iter().find(|(n, _)| *n == threads) {
        return Ok(pool.clone());
    }
    let pool = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| e.to_string())?,
    );
    pools.push((threads, pool.clone()));
    Ok(pool)
}

/// How many files a run reads at most, targets and context together, before it stops following
/// imports out of the walked packages.
const MAX_IMPORTED_CONTEXT: usize = 100_000;

/// The files `facts`' imports and re-exports lead to that are not among `known`: only sources
/// on disk (not `node_modules`), found by the same resolution the index uses.
fn imported_outside(
    input: &FileInput,
    facts: &FileFacts,
    packages: &[Package],
    known: &PathTable<()>,
    bare: &Memo<(usize, String), (Option<PathBuf>, bool)>,
) -> (Vec<PathBuf>, bool) {
    let package = &packages[input.package];
    let in_memory = |p: &Path| known.contains(p);
    let on_disk = |p: &Path| {
        known.contains(p)
            || (crate::workspace::is_lintable(p)
                && !p.components().any(|c| c.as_os_str() == "node_modules")
                && p.is_file())
    };
    let mut sources: Vec<&str> = facts
        .imports
        .iter()
        .map(|b| b.source.as_str())
        .chain(facts.reexports.iter().map(|r| r.source.as_str()))
        .collect();
    sources.sort_unstable();
    sources.dedup();
    let mut out = Vec::new();
    // Whether an answer needed a look at the disk (then it is not kept between runs).
    let mut disk = false;
    for specifier in sources {
        // A bare specifier resolves the same from every file of the package: once per walk.
        let find = || outside_file(specifier, input, package, known, &in_memory, &on_disk);
        let (found, looked) = if specifier.starts_with('.') {
            find()
        } else {
            bare.get_or_compute((input.package, specifier.to_owned()), find)
        };
        disk |= looked;
        out.extend(found);
    }
    (out, disk)
}

/// The file outside what was read that `specifier` leads to, if any, and whether the disk was
/// looked at to find out.
fn outside_file(
    specifier: &str,
    input: &FileInput,
    package: &Package,
    known: &PathTable<()>,
    in_memory: &dyn Fn(&Path) -> bool,
    on_disk: &dyn Fn(&Path) -> bool,
) -> (Option<PathBuf>, bool) {
    if resolve_specifier(specifier, &input.path, package, in_memory) != ModuleTarget::Unresolved {
        return (None, false);
    }
    match resolve_specifier(specifier, &input.path, package, on_disk) {
        ModuleTarget::File(file) if !known.contains(&file) => (Some(file), true),
        _ => (None, true),
    }
}

/// The sources of `export ... from '...'` statements (the parse-only pass reads no other facts).
fn reexport_sources(root: Node<'_>, source: &str) -> Vec<crate::facts::ReExport> {
    nestlint_syntax::named_children(root)
        .filter(|statement| statement.kind_name() == "export_statement")
        .filter_map(|statement| {
            let from = statement.field(nestlint_syntax::Field::Source)?;
            Some(crate::facts::ReExport {
                source: nestlint_syntax::string_value(from, source)?.into(),
                names: None,
            })
        })
        .collect()
}

/// A file's text, or why it is not linted: unreadable, too large, binary, not UTF-8.
pub(crate) fn read_source(path: &Path) -> Result<Arc<str>, String> {
    match crate::files::read_limited(path, MAX_FILE_BYTES) {
        Ok(bytes) => source_from_bytes(bytes),
        Err(err @ ReadError::TooLarge { .. }) => Err(format!("skipped: {err}")),
        Err(err @ ReadError::NotRegular(_)) => Err(format!("skipped: {err}")),
        Err(err) => Err(format!("cannot read file: {err}")),
    }
}

/// Text nestlint can lint, or why not (binary, not UTF-8).
pub(crate) fn source_from_bytes(bytes: Vec<u8>) -> Result<Arc<str>, String> {
    if bytes.contains(&0) {
        return Err("skipped: binary file (contains NUL bytes)".to_owned());
    }
    String::from_utf8(bytes).map(Into::into).map_err(|err| {
        format!(
            "skipped: not valid UTF-8 (invalid byte at offset {})",
            err.utf8_error().valid_up_to()
        )
    })
}

fn read_directive(node: Node<'_>, source: &str, code_start: usize) -> Option<Directive> {
    let text = source.get(node.byte_range())?;
    if !text.contains("nestlint-") {
        return None;
    }
    let (start, end) = (node.start_byte(), node.end_byte());
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[end..].find('\n').map_or(source.len(), |i| end + i);
    let alone =
        source[line_start..start].trim().is_empty() && source[end..line_end].trim().is_empty();
    let removal = if alone {
        // The whole line, with its line break.
        let after = if line_end < source.len() {
            line_end + 1
        } else {
            line_end
        };
        TextRange::new(line_start, after)
    } else {
        // The comment and the blanks before it.
        let blanks = source[line_start..start].len() - source[line_start..start].trim_end().len();
        TextRange::new(start - blanks, end)
    };
    let mut directive = suppress::parse_directive(
        text,
        TextRange::new(start, end),
        removal,
        start > code_start,
    )?;
    directive.declaration = decorated_declaration_after(node);
    Some(directive)
}

/// When a comment sits above a decorated class or member, the span from the first decorator to
/// the declaration's name: findings there are "on the next line" as a reader sees it.
fn decorated_declaration_after(comment: Node<'_>) -> Option<TextRange> {
    use nestlint_syntax::Field;
    let mut next = comment.next_named_sibling()?;
    while next.kind_name() == "comment" {
        next = next.next_named_sibling()?;
    }
    let start = next.start_byte();
    // A member: decorators are siblings before the definition.
    if next.kind_name() == "decorator" {
        let mut member = next;
        while member.kind_name() == "decorator" || member.kind_name() == "comment" {
            member = member.next_named_sibling()?;
        }
        let name = member.field(Field::Name)?;
        return Some(TextRange::new(start, name.end_byte()));
    }
    let declaration = if next.kind_name() == "export_statement" {
        next.field(Field::Declaration)?
    } else {
        next
    };
    if next.decorators().is_empty() && declaration.decorators().is_empty() {
        return None;
    }
    let name = declaration.field(Field::Name)?;
    Some(TextRange::new(start, name.end_byte()))
}

/// Reads a class; `export_statement` is the one the traversal last entered, which wraps the class
/// when the class is its declaration (asking the class for its parent costs a descent from the
/// root: quadratic in nested classes).
/// Adds the fact of a class; gives its index when the class is decorated, for the `new X()`
/// expressions of its body (see `Enclosing`).
fn collect_class(
    node: Node<'_>,
    export_statement: Option<Node<'_>>,
    source: &str,
    facts: &mut FileFacts,
) -> Option<usize> {
    let export_statement = export_statement.filter(|statement| {
        nestlint_syntax::named_children(*statement).any(|c| c.id() == node.id())
    });
    let class =
        ClassView::new(node).and_then(|c| ClassFact::from_view(c, export_statement, source))?;
    let decorated = !class.decorators.is_empty();
    // Duplicates (nested and recovered classes share the namespace) go in `finish`.
    facts.classes.push(class);
    decorated.then(|| facts.classes.len() - 1)
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

/// `diagnostic` at the level its file's `settings` give its rule, or nothing where the rule is
/// off; its fix is kept where the settings allow it and it edits only files being linted.
pub(crate) fn at_configured_level(
    mut diagnostic: Diagnostic,
    settings: &FileSettings,
    rule_index: &HashMap<&str, usize>,
    editable: impl Fn(&PathBuf) -> bool,
) -> Option<Diagnostic> {
    let rule = rule_index.get(diagnostic.rule).copied();
    diagnostic.severity = rule.and_then(|r| settings.levels[r])?;
    if let Some(mut fix) = diagnostic.fix.take() {
        let setting = rule.and_then(|r| settings.fixes[r]);
        // A fix may edit only files the user asked to lint.
        let editable = fix.file.as_deref().is_none_or(editable);
        if let (Some(applicability), true) =
            (FixSetting::apply(setting, fix.applicability), editable)
        {
            fix.applicability = applicability;
            diagnostic.fix = Some(fix);
        }
    }
    Some(diagnostic)
}

impl Linter {
    /// What is shown of a file's `diagnostics`: what its suppression comments leave (and the
    /// comments that suppress nothing), and in test code only the rules that judge it.
    pub(crate) fn shown_in_file(
        &self,
        path: &Arc<PathBuf>,
        (text, directives): (Option<&str>, Option<&[Directive]>),
        diagnostics: Vec<Diagnostic>,
        (settings, is_test): (&FileSettings, bool),
    ) -> Vec<Diagnostic> {
        let mut kept = match (directives, text) {
            (Some(directives), Some(text)) => suppress::apply(
                path,
                text,
                directives,
                diagnostics,
                settings,
                &self.rule_ids,
            ),
            _ => diagnostics,
        };
        // Test code: only the rules that judge it (after suppressions saw every finding).
        if is_test {
            kept.retain(|d| {
                self.rule_index
                    .get(d.rule)
                    .is_some_and(|&r| self.rules[r].reports_in_tests())
            });
        }
        kept
    }
}

/// Each configuration file that compiles linted files, with the first of them (by position in
/// `indexed`): whose settings decide how findings on the configuration are shown.
fn config_owners(indexed: &[IndexedFile], packages: &[Package]) -> HashMap<PathBuf, usize> {
    let mut owners: HashMap<PathBuf, usize> = HashMap::new();
    let mut seen: std::collections::HashSet<(usize, &Path)> = std::collections::HashSet::new();
    for (id, file) in indexed.iter().enumerate() {
        if !file.is_target {
            continue;
        }
        let Some(dir) = file.path.parent() else {
            continue;
        };
        if !seen.insert((file.package, dir)) {
            continue;
        }
        let Some(governing) = packages[file.package].compiler_configs.get(dir) else {
            continue;
        };
        for config in governing.files() {
            owners.entry(config.to_path_buf()).or_insert(id);
        }
    }
    owners
}

/// What the project pass's findings are a function of: every file's cache key (its text and
/// the settings that run on it), where it lies (package, application, target or context, test
/// code), the packages (manifests, path aliases, workspaces) and which project rules run. `None`
/// when a file has no key (it was not cached).
fn project_state(
    indexed: &[IndexedFile],
    keys: &[Option<u128>],
    packages: &[Package],
    enabled_anywhere: &[bool],
) -> Option<cache::ProjectState> {
    let files: Vec<u128> = keys.iter().copied().collect::<Option<_>>()?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for file in indexed {
        let path = file.path.as_os_str().as_encoded_bytes();
        hasher.update(&(path.len() as u64).to_le_bytes());
        hasher.update(path);
        let app_root = file.app_root.as_os_str().as_encoded_bytes();
        hasher.update(&(app_root.len() as u64).to_le_bytes());
        hasher.update(app_root);
        hasher.update(&(file.package as u64).to_le_bytes());
        hasher.update(&[u8::from(file.is_target), u8::from(file.is_test)]);
    }
    let mut workspaces = HashMap::new();
    for package in packages {
        hasher.update(&package.fingerprint(&mut workspaces).to_le_bytes());
    }
    let enabled: Vec<u8> = enabled_anywhere.iter().map(|&on| u8::from(on)).collect();
    hasher.update(&enabled);
    let context = hasher.digest128();
    for key in &files {
        hasher.update(&key.to_le_bytes());
    }
    Some(cache::ProjectState {
        key: hasher.digest128(),
        context,
        files,
    })
}

/// Files changed since the project findings were recorded that many or fewer are compared
/// with what they were; more, and the project pass runs (comparing would cost as much).
const MOVED_FILES_AT_MOST: usize = 32;

/// The recorded project findings, when every file that changed since they were recorded only
/// moved its facts: the same facts and stash, at offsets in the same order (see
/// [`crate::shifted::moved_only`]), and no recorded finding in it (nor a label or a fix: those
/// would have to move, and a fix is built from the text). The project pass is a function of the
/// facts, their order, the stashes and the rest of `state`, so its findings are the same.
fn moved_only_since_recorded(
    cache: &Cache,
    state: &cache::ProjectState,
    indexed: &[IndexedFile],
    pending: &[Option<PendingFacts>],
    rule_ids: &[&'static str],
) -> Result<Vec<Diagnostic>, &'static str> {
    let (recorded, findings) = cache
        .recorded_project(rule_ids)
        .ok_or("no project findings are recorded")?;
    if recorded.context != state.context || recorded.files.len() != state.files.len() {
        return Err("files, packages or settings changed");
    }
    let changed: Vec<usize> = (0..state.files.len())
        .filter(|&i| recorded.files[i] != state.files[i])
        .collect();
    if changed.is_empty() {
        return Err("the recorded findings are for other settings");
    }
    if changed.len() > MOVED_FILES_AT_MOST {
        return Err("too many files changed");
    }
    for i in changed {
        let file = &indexed[i];
        let path = file.path.as_path();
        let touches = |d: &Diagnostic| {
            d.path.as_path() == path
                || d.labels.iter().any(|l| l.path.as_path() == path)
                || d.fix
                    .as_ref()
                    .and_then(|f| f.file.as_ref())
                    .is_some_and(|f| f.as_path() == path)
        };
        if findings.iter().any(touches) {
            return Err("a changed file has project findings");
        }
        let (old_facts, old_stash) = cache
            .loaded_facts(path, recorded.files[i])
            .ok_or("a changed file's earlier facts are not in the cache")?;
        let same_stash = old_stash.len() == file.stash.len()
            && old_stash
                .iter()
                .zip(&file.stash)
                .all(|((rule, bytes), (now, stash))| rule == now && bytes[..] == stash[..]);
        if !same_stash {
            return Err("a changed file's stash changed");
        }
        let decoded;
        let new_facts = match &pending[i] {
            Some(encoded) => {
                decoded = encoded.decode().ok_or("facts do not decode")?;
                &decoded
            }
            None => file.facts.as_ref(),
        };
        if !crate::shifted::moved_only(&old_facts, new_facts) {
            return Err("a changed file's facts changed");
        }
    }
    Ok(findings)
}

/// The project half of a run: the index over every file's facts, then each enabled rule's
/// `check_project`. A function of its own so that profiles show what the project pass costs.
#[inline(never)]
fn project_pass(
    indexed: Vec<IndexedFile>,
    packages: Vec<Package>,
    rules: &[Box<dyn Rule>],
    enabled_anywhere: &[bool],
    settings: &[Arc<FileSettings>],
    texts: &Sources,
    memo: Option<&nestlint_semantic::index::ImportMemo>,
) -> (ProjectIndex, Vec<Vec<Diagnostic>>) {
    let started = std::time::Instant::now();
    let index = ProjectIndex::new_with(indexed, packages, memo);
    phase("project pass: the index", started);
    // Project rules share the index's lazily computed tables (thread-safe) and run in parallel.
    let per_rule = rules
        .par_iter()
        .enumerate()
        .filter(|(i, _)| enabled_anywhere[*i])
        .map(|(rule_index, rule)| {
            let mut diagnostics = Vec::new();
            let mut ctx = ProjectContext {
                rule: rule.meta(),
                rule_index,
                settings,
                sources: texts,
                diagnostics: &mut diagnostics,
                edit_trees: Default::default(),
                import_sites: Default::default(),
            };
            let started = std::time::Instant::now();
            rule.check_project(&index, &mut ctx);
            // Rules share the index's lazy tables: the first to ask for one pays for it.
            if timings_on() {
                phase(&format!("project pass: {}", rule.meta().id), started);
            }
            diagnostics
        })
        .collect();
    (index, per_rule)
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_share_their_worker_pools() {
        // A pool per run left its threads (and their parsers) behind after each run: the fuzzer's
        // leak checker caught it (fuzz/regressions, 2026-12-01).
        let first = thread_pool(2).unwrap();
        let second = thread_pool(2).unwrap();
        assert!(Arc::ptr_eq(&first, &second));
        assert!(!Arc::ptr_eq(&first, &thread_pool(1).unwrap()));
    }

    use super::*;
    use crate::rule::{Category, FixAvailability, RuleMeta, Scope};
    use nestlint_diagnostics::Severity;

    /// Reports every node of its kinds, by kind name.
    struct KindsSeen {
        sees_type_level: bool,
    }

    static KINDS_SEEN: RuleMeta = RuleMeta {
        id: "kinds-seen",
        category: Category::Style,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        fix: FixAvailability::None,
        scope: Scope::File,
        summary: "test",
        docs: "",
    };

    impl Rule for KindsSeen {
        fn meta(&self) -> &'static RuleMeta {
            &KINDS_SEEN
        }

        fn kinds(&self) -> &'static [&'static str] {
            &["call_expression", "predefined_type", "string_fragment"]
        }

        fn sees_type_level(&self) -> bool {
            self.sees_type_level
        }

        fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
            ctx.report(
                TextRange::new(node.start_byte(), node.end_byte()),
                node.kind_name(),
            );
        }
    }

    fn messages(sees_type_level: bool, source: &str) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.ts");
        std::fs::write(&file, source).unwrap();
        let linter = Linter::new(vec![Box::new(KindsSeen { sees_type_level })]);
        let report = linter.lint_files_as_project(&[file], dir.path());
        report
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.rule, d.message))
            .collect()
    }

    const SOURCE: &str = "import { a } from 'b';\n\
        const x: string = f(a);\n\
        interface I {\n  k: number;\n}\n";

    #[test]
    fn facts_left_encoded_are_decoded_and_a_damaged_entry_is_linted_again() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.ts");
        std::fs::write(&file, "import { b } from './b';\nexport class A {}\n").unwrap();
        let linter = Linter::new(Vec::new());
        let prepared = linter.prepare_files_as_project(&[file], &CliSelection::default());
        let whole = linter
            .lint_file(&prepared.inputs[0], false, None, None)
            .pass
            .facts;
        assert_eq!(whole.classes.len(), 1);
        let encoded = postcard::to_allocvec(whole.as_ref()).unwrap();
        for (bytes, what) in [(encoded.clone(), "intact"), (vec![0xff; 12], "damaged")] {
            let mut partial = FileFacts::default();
            partial.imports = whole.imports.clone();
            let mut indexed = vec![IndexedFile {
                is_test: false,
                path: prepared.inputs[0].path.clone(),
                facts: Arc::new(partial),
                package: 0,
                app_root: PathBuf::new(),
                is_target: true,
                import_targets: Vec::new(),
                reexport_targets: Vec::new(),
                imports_by_local: None,
                stash: Vec::new(),
            }];
            let pending = vec![Some(PendingFacts::from_bytes(&bytes))];
            linter.decode_pending(&mut indexed, pending, &prepared.inputs, &Overlay::new());
            assert_eq!(indexed[0].facts.classes.len(), 1, "{what}");
            assert_eq!(indexed[0].facts.imports.len(), 1, "{what}");
        }
    }

    /// The facts of one file, as the file pass extracts them.
    fn facts_of(source: &str) -> Arc<FileFacts> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.ts");
        std::fs::write(&file, source).unwrap();
        let linter = Linter::new(Vec::new());
        let prepared = linter.prepare_files_as_project(&[file], &CliSelection::default());
        linter
            .lint_file(&prepared.inputs[0], false, None, None)
            .pass
            .facts
    }

    #[test]
    fn constructions_and_factory_calls_are_read_during_the_traversal() {
        let facts = facts_of(
            "@Injectable()\n\
             export class A extends mixin(new Base()) {\n\
               @UsePipes(new ValidationPipe()) m() { const b = new B(); return () => new C(); }\n\
               n() { class Inner { x = new D(); } return new this.e(); }\n\
               @Inject(new Token()) p = new E();\n\
             }\n\
             class Plain { q = new F(); }\n\
             export const Auth = () => applyDecorators(UseGuards(G), SetMetadata('k', [1]));\n\
             export function Roles(...roles: string[]) { return SetMetadata('roles', roles); }\n\
             const computed = () => factories[0]();\n\
             function after() {}\n",
        );
        let names = |class: &str| -> Vec<String> {
            let class = facts.classes.iter().find(|c| c.name == class).unwrap();
            class
                .constructs
                .iter()
                .map(|(n, _)| n.to_string())
                .collect()
        };
        // The body's own constructions, in order: not the heritage clause, decorators, nested
        // classes or computed constructors; an undecorated class keeps none.
        assert_eq!(names("A"), ["B", "C", "E"]);
        assert!(names("Plain").is_empty());
        let calls = |function: &str| -> (Vec<String>, bool) {
            let function = facts.functions.iter().find(|f| f.name == function).unwrap();
            let names = function
                .calls
                .iter()
                .map(|(c, _)| format!("{c:?}"))
                .collect();
            (names, function.opaque)
        };
        let (auth, opaque) = calls("Auth");
        assert_eq!(auth.len(), 3, "{auth:?}");
        assert!(auth[0].contains("applyDecorators") && auth[2].contains("SetMetadata"));
        assert!(!opaque);
        assert_eq!(calls("Roles").0.len(), 1);
        assert!(
            calls("computed").1,
            "a computed callee makes the function opaque"
        );
        assert_eq!(calls("after"), (Vec::new(), false));
    }

    #[test]
    fn a_function_with_more_calls_than_read_is_opaque() {
        let chain = "export const query = qb".to_owned() + &".where(x)".repeat(2_100) + ";\n";
        let facts = facts_of(&chain);
        let query = facts.functions.iter().find(|f| f.name == "query").unwrap();
        assert!(query.opaque);
        assert!(query.calls.is_empty());
    }

    #[test]
    fn the_traversal_skips_type_level_code_unless_a_rule_sees_it() {
        assert_eq!(messages(false, SOURCE), ["kinds-seen: call_expression"]);
        assert_eq!(
            messages(true, SOURCE),
            [
                "kinds-seen: string_fragment",
                "kinds-seen: predefined_type",
                "kinds-seen: call_expression",
                "kinds-seen: predefined_type",
            ]
        );
    }

    #[test]
    fn suppression_comments_inside_skipped_code_are_found_and_nothing_else_changes() {
        let source = SOURCE.replace(
            "  k: number;",
            "  // nestlint-ignore-next-line kinds-seen -- types\n  k: number;",
        );
        let found = messages(false, &source);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0], "kinds-seen: call_expression");
        assert!(found[1].starts_with("unused-suppression: "), "{found:?}");
        // A rule that sees types has the comment suppress its finding on the next line.
        assert_eq!(
            messages(true, &source),
            [
                "kinds-seen: string_fragment",
                "kinds-seen: predefined_type",
                "kinds-seen: call_expression",
            ]
        );
    }
}
