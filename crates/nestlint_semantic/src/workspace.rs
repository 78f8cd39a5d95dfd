//! Which files a run reads, which package each belongs to, and how import specifiers resolve to
//! files. Targets are the files the user asked about; context files are the rest of each target's
//! package, read for facts only, so a cross-file rule sees the same project whether nestlint runs
//! from a monorepo root, from inside one app, or on a single staged file.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use globset::{GlobBuilder, GlobSetBuilder};
use ignore::WalkBuilder;

/// Directories never linted, even without a `.gitignore`.
pub const SKIPPED_DIRS: &[&str] = &["node_modules", "dist", "build", "coverage"];

/// Whether `path` is a file nestlint lints: `.ts`, `.tsx`, `.mts`, `.cts`, but not `.d.ts`. The
/// name need not be UTF-8: only its extension is read.
pub fn is_lintable(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
        return false;
    };
    let typed = [".ts", ".tsx", ".mts", ".cts"]
        .iter()
        .any(|ext| name.ends_with(ext));
    let declaration = [".d.ts", ".d.mts", ".d.cts"]
        .iter()
        .any(|ext| name.ends_with(ext));
    typed && !declaration
}

/// Test code, fixtures and mocks: `*.spec.ts`, `*.test.ts`, `*.e2e-spec.ts`, `*.mock.ts`,
/// `*.fixture.ts`, `*.stub.ts`, and anything under a directory named `test`, `tests`,
/// `__tests__`, `e2e`, `fixtures`, `__fixtures__`, `mocks`, `__mocks__`, `testing`, `test-utils`,
/// `test-helpers` or `test-plugins`. Findings there are not reported (rules opt in with
/// `Rule::reports_in_tests`): a controller in an e2e fixture serves no real traffic, a secret in
/// a spec is a test key.
pub fn is_test_file(path: &Path) -> bool {
    // Runs for every file of every run: the path's bytes are split once, not walked as
    // components and searched ten times.
    let bytes = path.as_os_str().as_encoded_bytes();
    let mut parts = bytes.split(|&b| b == b'/' || (cfg!(windows) && b == b'\\'));
    let name = parts.next_back().unwrap_or_default();
    // `users.service.spec.ts`: a marker is a dot-separated segment of the name before the last.
    let mut segments = name.split(|&b| b == b'.');
    segments.next();
    segments.next_back();
    let stem_test = segments.any(|segment| TEST_MARKERS.contains(&segment));
    stem_test || parts.any(|part| TEST_DIRS.iter().any(|dir| dir.as_bytes() == part))
}

/// Name segments that make a file test code (`.spec.`, `.e2e-spec.`, ...).
const TEST_MARKERS: &[&[u8]] = &[
    b"spec",
    b"test",
    b"e2e-spec",
    b"e2e",
    b"mock",
    b"mocks",
    b"fixture",
    b"fixtures",
    b"stub",
    b"stubs",
];

const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "__tests__",
    "e2e",
    "fixtures",
    "__fixtures__",
    "mocks",
    "__mocks__",
    "testing",
    "test-utils",
    "test-helpers",
    "test-plugins",
];

/// What a walk found: the lintable files, what it could not read, and the symbolic links it did
/// not follow.
#[derive(Clone, Debug, Default)]
pub struct Walk {
    pub files: Vec<PathBuf>,
    /// Paths the walk could not read, and why: an unreadable directory, a path too long, a
    /// symbolic link loop, a directory whose ignore file is not a regular file.
    pub problems: Vec<(PathBuf, String)>,
    /// Symbolic links to lintable files or to directories, not followed.
    pub symlinks: Vec<PathBuf>,
}

/// The ignore files the walk reads in each directory.
const IGNORE_FILES: &[&str] = &[".gitignore", ".ignore"];

/// Walks `root` honouring `.gitignore`, `.ignore` and git excludes, skipping hidden directories and
/// [`SKIPPED_DIRS`]. Symbolic links are followed only with `follow_symlinks` (as ripgrep's `-L`);
/// otherwise they are listed in [`Walk::symlinks`].
pub fn walk(root: &Path, threads: usize, follow_symlinks: bool) -> Walk {
    walk_skipping(root, threads, follow_symlinks, &[])
}

/// [`walk`], leaving out the directories in `skip` (already walked).
pub fn walk_skipping(root: &Path, threads: usize, follow_symlinks: bool, skip: &[PathBuf]) -> Walk {
    let skip: Vec<PathBuf> = skip.to_vec();
    let problems = std::sync::Mutex::new(Vec::new());
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(true)
        .follow_links(follow_symlinks)
        .threads(threads);
    honour_ignore_files(&mut builder, root, &mut lock(&problems));
    let problems = std::sync::Arc::new(problems);
    let filter_problems = problems.clone();
    builder.filter_entry(move |entry| {
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        if !is_dir {
            return true;
        }
        if entry
            .file_name()
            .to_str()
            .is_some_and(|name| SKIPPED_DIRS.contains(&name))
        {
            return false;
        }
        if !skip.is_empty() && skip.iter().any(|dir| dir == entry.path()) {
            return false;
        }
        // The walker opens a directory's ignore files before reading it: one that is a FIFO
        // would block for ever. Such a directory is reported and skipped.
        match unreadable_ignore_file(entry.path()) {
            Some((file, why)) => {
                lock(&filter_problems).push((
                    entry.path().to_path_buf(),
                    format!(
                        "directory skipped: its {} is {why}",
                        file.strip_prefix(entry.path()).unwrap_or(&file).display()
                    ),
                ));
                false
            }
            None => true,
        }
    });
    let found = std::sync::Mutex::new(Vec::new());
    let symlinks = std::sync::Mutex::new(Vec::new());
    builder.build_parallel().run(|| {
        Box::new(|entry| {
            match entry {
                Ok(entry) => {
                    let file_type = entry.file_type();
                    if file_type.is_some_and(|t| t.is_file()) && is_lintable(entry.path()) {
                        lock(&found).push(entry.into_path());
                    } else if file_type.is_some_and(|t| t.is_symlink())
                        && std::fs::metadata(entry.path()).is_ok_and(|target| {
                            target.is_dir() || (target.is_file() && is_lintable(entry.path()))
                        })
                    {
                        lock(&symlinks).push(entry.into_path());
                    }
                }
                Err(err) => {
                    let (path, why) = walk_error(&err, root);
                    lock(&problems).push((path, why));
                }
            }
            ignore::WalkState::Continue
        })
    });
    let mut walk = Walk {
        files: found.into_inner().unwrap_or_default(),
        problems: std::mem::take(&mut *lock(&problems)),
        symlinks: symlinks.into_inner().unwrap_or_default(),
    };
    // Any fixed order will do (callers order files themselves): bytes compare faster than
    // `Path`s, which walk components.
    walk.files.sort_unstable_by(|a, b| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    walk.problems.sort();
    walk.problems.dedup();
    walk.symlinks.sort();
    walk
}

/// Locks a mutex, whatever a panicking thread left in it.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Turns on the ignore files the walk honours (`.gitignore`, `.ignore`, git's `info/exclude`
/// and global excludes, in `root` and above it), except those it must not open: the walker
/// reads them with a blocking open, so one that is a FIFO would hang the run. Those are
/// reported, and ignore files of that kind are not read.
fn honour_ignore_files(
    builder: &mut WalkBuilder,
    root: &Path,
    problems: &mut Vec<(PathBuf, String)>,
) {
    let mut local = true;
    for dir in root.ancestors() {
        if let Some((file, why)) = unreadable_ignore_file(dir) {
            problems.push((
                file,
                format!("not read: {why}, so ignore files are not honoured in this walk"),
            ));
            local = false;
        }
    }
    let global = global_git_files()
        .into_iter()
        .all(|file| match crate::files::metadata(&file) {
            Ok(metadata) if !metadata.is_file() => {
                problems.push((
                    file,
                    format!(
                        "not read: {}, so git's global excludes are not honoured",
                        crate::files::ReadError::NotRegular(crate::files::kind_of(
                            metadata.file_type()
                        ))
                    ),
                ));
                false
            }
            _ => true,
        });
    builder
        .git_ignore(local)
        .git_exclude(local)
        .ignore(local)
        .parents(local)
        .git_global(global)
        // Honour .gitignore even outside a git repository: users expect it, as with ruff.
        .require_git(false);
}

/// An ignore file of `dir` (or its git `info/exclude`) that exists but is not a regular file.
fn unreadable_ignore_file(dir: &Path) -> Option<(PathBuf, String)> {
    IGNORE_FILES
        .iter()
        .map(|name| dir.join(name))
        .chain(std::iter::once(dir.join(".git/info/exclude")))
        .find_map(|file| match crate::files::regular_file(&file) {
            Err(err @ crate::files::ReadError::NotRegular(_)) => Some((file, err.to_string())),
            Err(crate::files::ReadError::Loop) => Some((file, "a symbolic link loop".to_owned())),
            _ => None,
        })
}

/// The files git's global configuration and excludes may be read from.
fn global_git_files() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    let mut files = Vec::new();
    if let Some(home) = &home {
        files.push(home.join(".gitconfig"));
    }
    if let Some(config_home) = config_home {
        files.push(config_home.join("git/config"));
        files.push(config_home.join("git/ignore"));
    }
    files
}

/// The path a walk error is about, and why, in the words of the rest of nestlint.
fn walk_error(err: &ignore::Error, root: &Path) -> (PathBuf, String) {
    match err {
        ignore::Error::WithPath { path, err } => {
            let (_, why) = walk_error(err, root);
            (path.clone(), why)
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error(err, root)
        }
        ignore::Error::Loop { child, .. } => (
            child.clone(),
            "not followed: a symbolic link loop".to_owned(),
        ),
        ignore::Error::Io(io) => (
            root.to_path_buf(),
            format!(
                "cannot read: {}",
                crate::files::ReadError::from(std::io::Error::new(io.kind(), io.to_string()),)
            ),
        ),
        other => (root.to_path_buf(), other.to_string()),
    }
}

/// Whether a walk from `base` would leave out `file`: not a lintable file, below a hidden or
/// always-skipped directory under `base`, or ignored by a `.gitignore`/`.ignore` (of `file`'s
/// directory or any parent) or by the repository's `.git/info/exclude`. `--force-exclude` applies
/// this to files named on the command line, so a hook passing staged files skips them silently.
pub fn walk_would_skip(file: &Path, base: &Path) -> bool {
    if !is_lintable(file) {
        return true;
    }
    if let Ok(relative) = file.strip_prefix(base) {
        let mut dirs: Vec<&std::ffi::OsStr> = relative.iter().collect();
        dirs.pop();
        let skipped = dirs.iter().filter_map(|d| d.to_str()).any(|name| {
            (name.starts_with('.') && name != "." && name != "..") || SKIPPED_DIRS.contains(&name)
        });
        if skipped {
            return true;
        }
    }
    // The deepest ignore file with an opinion decides, as in the walk.
    let ancestors: Vec<&Path> = file.ancestors().skip(1).collect();
    for dir in &ancestors {
        let mut builder = ignore::gitignore::GitignoreBuilder::new(dir);
        let mut any = false;
        for name in [".gitignore", ".ignore"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                any |= builder.add(candidate).is_none();
            }
        }
        if dir.join(".git").is_dir() {
            let exclude = dir.join(".git/info/exclude");
            if exclude.is_file() {
                any |= builder.add(exclude).is_none();
            }
        }
        if !any {
            continue;
        }
        let Ok(matcher) = builder.build() else {
            continue;
        };
        match matcher.matched_path_or_any_parents(file, false) {
            ignore::Match::Ignore(_) => return true,
            ignore::Match::Whitelist(_) => return false,
            ignore::Match::None => {}
        }
    }
    false
}

/// Lexically normalises a path: removes `.` and resolves `..` without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Paths looked up by their bytes. `Path`'s own hash walks its components one by one, and
/// import resolution probes a dozen candidate paths for every import of every file: a table of
/// normalised paths keyed by bytes answers the same question for a fraction of the cost. A path
/// that is not in normal form (a `.` or `..` component, a doubled or trailing separator) is
/// normalised before the lookup.
#[derive(Clone, Debug)]
pub struct PathTable<V> {
    map: HashMap<Box<[u8]>, V, foldhash::fast::RandomState>,
}

impl<V> Default for PathTable<V> {
    fn default() -> Self {
        PathTable {
            map: HashMap::default(),
        }
    }
}

impl<V> PathTable<V> {
    pub fn with_capacity(capacity: usize) -> Self {
        PathTable {
            map: HashMap::with_capacity_and_hasher(capacity, Default::default()),
        }
    }

    /// Adds `path` (normalised); returns whether it was new.
    pub fn insert(&mut self, path: &Path, value: V) -> bool {
        let bytes = path.as_os_str().as_encoded_bytes();
        let key: Box<[u8]> = if is_normal_form(bytes) {
            bytes.into()
        } else {
            normalize(path).into_os_string().into_encoded_bytes().into()
        };
        self.map.insert(key, value).is_none()
    }

    pub fn get(&self, path: &Path) -> Option<&V> {
        let bytes = path.as_os_str().as_encoded_bytes();
        if is_normal_form(bytes) {
            self.map.get(bytes)
        } else {
            self.map.get(normalize(path).as_os_str().as_encoded_bytes())
        }
    }

    pub fn contains(&self, path: &Path) -> bool {
        self.get(path).is_some()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Whether `normalize` would leave these path bytes as they are. Only the bytes after each
/// separator need a look (a `.` or another separator there); most paths have neither.
fn is_normal_form(bytes: &[u8]) -> bool {
    let separator = if cfg!(windows) { b'\\' } else { b'/' };
    if bytes.starts_with(b".") || (bytes.len() > 1 && bytes.last() == Some(&separator)) {
        return false;
    }
    let suspicious = memchr::memchr_iter(separator, bytes)
        .any(|at| matches!(bytes.get(at + 1), Some(&b) if b == b'.' || b == separator));
    if !suspicious {
        return true;
    }
    bytes
        .split(|&b| b == separator)
        .enumerate()
        .all(|(i, segment)| segment != b"." && segment != b".." && (i == 0 || !segment.is_empty()))
}

/// A package: the nearest directory above a file holding `package.json` or `nest-cli.json`.
#[derive(Clone, Debug, Default)]
pub struct Package {
    pub root: PathBuf,
    /// Whether a manifest was found (else the package is the directory a loose file was given in).
    pub has_manifest: bool,
    /// Names from `dependencies`, `devDependencies` and `peerDependencies`.
    pub dependencies: HashSet<String>,
    /// The version range each of them is declared with (the first of the three lists wins).
    pub versions: std::collections::BTreeMap<String, String>,
    /// `nest-cli.json` enables the `@nestjs/swagger` CLI plugin (for the package or one of its
    /// projects), which generates OpenAPI metadata at build time.
    pub swagger_plugin: bool,
    /// `nest-cli.json` builds with SWC (`"builder": "swc"`, for the package or one of its
    /// projects).
    pub swc_builder: bool,
    /// The SWC build reads a configuration of its own (a `.swcrc` beside `nest-cli.json`, or a
    /// `swcrcPath`), which may change Nest's defaults (an ES5 target has no uninitialised
    /// classes).
    pub swc_config: bool,
    /// `package.json` says `"type": "module"`.
    pub esm_package: bool,
    /// `compilerOptions.module` and `emitDecoratorMetadata` from `tsconfig.json` (following
    /// `extends`), as written.
    pub ts_module: Option<String>,
    pub emit_decorator_metadata: Option<bool>,
    /// `compilerOptions.paths` from `tsconfig.json` (following `extends`), made absolute.
    pub paths: Vec<(String, Vec<PathBuf>)>,
    /// `compilerOptions.baseUrl`, made absolute.
    pub base_url: Option<PathBuf>,
    /// Roots of the projects a `nest-cli.json` declares (Nest monorepo apps and libraries).
    pub app_roots: Vec<PathBuf>,
    /// The monorepo the package belongs to (npm/yarn `workspaces`, `pnpm-workspace.yaml`, lerna),
    /// whose packages its imports reach by name.
    pub workspace: Option<Arc<Workspace>>,
    /// Manifests and tsconfig files that exist but could not be read, and why.
    pub unreadable: Vec<(PathBuf, String)>,
    /// The TypeScript configurations that compile each directory of the package's linted files
    /// (see [`Package::read_compiler_configs`]).
    pub compiler_configs: std::collections::BTreeMap<PathBuf, Arc<crate::tsconfig::Governing>>,
}

impl Package {
    /// A hash of everything the package holds, the same every run (sets and maps in sorted
    /// order): what a record of a run's results must match. A workspace shared by many packages
    /// is hashed once per `workspaces` memo.
    pub fn fingerprint(&self, workspaces: &mut HashMap<usize, u128>) -> u128 {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut bytes = |b: &[u8]| {
            hasher.update(&(b.len() as u64).to_le_bytes());
            hasher.update(b);
        };
        fn path(p: &Path) -> &[u8] {
            p.as_os_str().as_encoded_bytes()
        }
        bytes(path(&self.root));
        bytes(&[u8::from(self.has_manifest)]);
        let mut dependencies: Vec<&String> = self.dependencies.iter().collect();
        dependencies.sort();
        for dependency in dependencies {
            bytes(dependency.as_bytes());
        }
        bytes(b"versions");
        for (name, version) in &self.versions {
            bytes(name.as_bytes());
            bytes(version.as_bytes());
        }
        bytes(&[u8::from(self.swagger_plugin)]);
        bytes(&[
            u8::from(self.swc_builder),
            u8::from(self.swc_config),
            u8::from(self.esm_package),
            self.emit_decorator_metadata.map_or(2, u8::from),
        ]);
        bytes(self.ts_module.as_deref().unwrap_or("").as_bytes());
        bytes(b"paths");
        for (pattern, targets) in &self.paths {
            bytes(pattern.as_bytes());
            for target in targets {
                bytes(path(target));
            }
        }
        bytes(b"base");
        if let Some(base) = &self.base_url {
            bytes(path(base));
        }
        bytes(b"apps");
        for root in &self.app_roots {
            bytes(path(root));
        }
        bytes(b"workspace");
        if let Some(workspace) = &self.workspace {
            let id = Arc::as_ptr(workspace) as usize;
            let hash = *workspaces
                .entry(id)
                .or_insert_with(|| workspace.fingerprint());
            bytes(&hash.to_le_bytes());
        }
        bytes(b"unreadable");
        for (file, why) in &self.unreadable {
            bytes(path(file));
            bytes(why.as_bytes());
        }
        bytes(b"compiler");
        for (dir, governing) in &self.compiler_configs {
            bytes(path(dir));
            bytes(&governing.fingerprint().to_le_bytes());
        }
        hasher.digest128()
    }

    pub fn load(root: &Path, has_manifest: bool) -> Package {
        Package::load_in(root, has_manifest, &mut WorkspaceFinder::default())
    }

    /// [`Package::load`], with the workspaces found so far.
    pub fn load_in(root: &Path, has_manifest: bool, workspaces: &mut WorkspaceFinder) -> Package {
        let mut package = Package {
            root: root.to_path_buf(),
            has_manifest,
            workspace: workspaces.workspace_of(root),
            ..Package::default()
        };
        if let Some(manifest) = read_json(&root.join("package.json"), &mut package.unreadable) {
            package.esm_package = manifest.get("type").and_then(|t| t.as_str()) == Some("module");
            for key in ["dependencies", "devDependencies", "peerDependencies"] {
                if let Some(deps) = manifest.get(key).and_then(|d| d.as_object()) {
                    package.dependencies.extend(deps.keys().cloned());
                    for (name, version) in deps {
                        if let Some(version) = version.as_str() {
                            package
                                .versions
                                .entry(name.clone())
                                .or_insert_with(|| version.to_owned());
                        }
                    }
                }
            }
        }
        if let Some(nest_cli) = read_json(&root.join("nest-cli.json"), &mut package.unreadable) {
            package.swagger_plugin = enables_swagger_plugin(&nest_cli);
            package.swc_builder = builds_with_swc(&nest_cli);
            package.swc_config = swcrc_path(&nest_cli) || root.join(".swcrc").exists();
            if let Some(projects) = nest_cli.get("projects").and_then(|p| p.as_object()) {
                for project in projects.values() {
                    package.swagger_plugin |= enables_swagger_plugin(project);
                    package.swc_builder |= builds_with_swc(project);
                    package.swc_config |= swcrc_path(project);
                    if let Some(project_root) = project.get("root").and_then(|r| r.as_str()) {
                        let project_root = normalize(&root.join(project_root));
                        if project_root != normalize(root) {
                            package.app_roots.push(project_root);
                        }
                    }
                }
            }
        }
        if let Some(tsconfig) = nearest_tsconfig(root) {
            package.load_tsconfig(&tsconfig, 0, workspaces);
        }
        package
    }

    fn load_tsconfig(&mut self, path: &Path, depth: usize, workspaces: &mut WorkspaceFinder) {
        // Packages of a monorepo extend the same base file: it is read and parsed once.
        let Some(config) = workspaces.tsconfig(path, &mut self.unreadable) else {
            return;
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        // The extended files first (an array since TypeScript 5.0): this file's settings override
        // them. A package name (`@tsconfig/node20/tsconfig.json`) holds no paths of the project.
        if depth < 5 {
            let extends: Vec<&str> = match config.get("extends") {
                Some(serde_json::Value::String(one)) => vec![one.as_str()],
                Some(serde_json::Value::Array(many)) => {
                    many.iter().filter_map(|e| e.as_str()).collect()
                }
                _ => Vec::new(),
            };
            for extends in extends.into_iter().filter(|e| e.starts_with('.')) {
                let mut base = normalize(&dir.join(extends));
                if base.extension().is_none() {
                    base.set_extension("json");
                }
                self.load_tsconfig(&base, depth + 1, workspaces);
            }
        }
        let Some(options) = config.get("compilerOptions") else {
            return;
        };
        if let Some(module) = options.get("module").and_then(|m| m.as_str()) {
            self.ts_module = Some(module.to_ascii_lowercase());
        }
        if let Some(emit) = options
            .get("emitDecoratorMetadata")
            .and_then(|e| e.as_bool())
        {
            self.emit_decorator_metadata = Some(emit);
        }
        if let Some(base_url) = options.get("baseUrl").and_then(|b| b.as_str()) {
            self.base_url = Some(normalize(&dir.join(base_url)));
        }
        if let Some(paths) = options.get("paths").and_then(|p| p.as_object()) {
            let base = self.base_url.clone().unwrap_or_else(|| normalize(dir));
            // The same base file's aliases, against the same base, for every package.
            self.paths = workspaces
                .aliases
                .entry((path.to_path_buf(), base.clone()))
                .or_insert_with(|| {
                    paths
                        .iter()
                        .map(|(pattern, targets)| {
                            let targets = targets
                                .as_array()
                                .map(|targets| {
                                    targets
                                        .iter()
                                        .filter_map(|t| t.as_str())
                                        .map(|t| normalize(&base.join(t)))
                                        .collect()
                                })
                                .unwrap_or_default();
                            (pattern.clone(), targets)
                        })
                        .collect()
                })
                .clone();
        }
    }

    /// Whether the compiled code evaluates the classes named in decorator metadata
    /// (`design:paramtypes`, `design:type`) when a class is defined, so that a class imported
    /// through a circular import is read before it is initialised ("Cannot access 'X' before
    /// initialization"): SWC with Nest's defaults (any module format), and `tsc` emitting ES
    /// modules with `emitDecoratorMetadata`. `tsc` emitting CommonJS guards each reference.
    ///
    /// ES output is known only from a `"type": "module"` package (where CommonJS output could not
    /// run): the `module` of the `tsconfig.json` read is often not the build's (Nest builds with
    /// `tsconfig.build.json`, Nx with `tsconfig.app.json`, both free to say `commonjs`).
    pub fn eager_class_metadata(&self) -> bool {
        if self.swc_builder {
            return !self.swc_config;
        }
        self.esm_package
            && self.emit_decorator_metadata == Some(true)
            && !matches!(
                self.ts_module.as_deref(),
                Some("commonjs" | "umd" | "amd" | "system")
            )
    }

    /// Reads the TypeScript configurations that compile the files of each of `dirs` (directories
    /// of the package's linted files), looking no higher than the package's workspace root, or
    /// its own root outside a workspace.
    pub fn read_compiler_configs<'p>(
        &mut self,
        dirs: impl IntoIterator<Item = &'p Path>,
        workspaces: &mut WorkspaceFinder,
    ) {
        let ceiling = match &self.workspace {
            Some(workspace) if self.root.starts_with(&workspace.root) => workspace.root.clone(),
            _ => self.root.clone(),
        };
        for dir in dirs {
            if self.compiler_configs.contains_key(dir) || !dir.starts_with(&self.root) {
                continue;
            }
            let governing = workspaces.compiler.governing(dir, &ceiling);
            self.compiler_configs.insert(dir.to_path_buf(), governing);
        }
    }

    /// Whether the package, or the root of its workspace (whose dependencies are hoisted for
    /// every package), declares the dependency `name`.
    pub fn declares(&self, name: &str) -> bool {
        self.dependencies.contains(name)
            || self
                .workspace
                .as_ref()
                .is_some_and(|w| w.dependencies.contains(name))
    }

    /// Whether the bare specifier names a package this project depends on (or a Node built-in).
    pub fn is_dependency(&self, specifier: &str) -> bool {
        let name = package_name(specifier);
        self.dependencies.contains(name)
            || specifier.starts_with("node:")
            || NODE_BUILTINS.contains(&name)
            // Hoisted in monorepos, so often absent from an app's own manifest.
            || WELL_KNOWN_PACKAGES.contains(&name)
            || name.starts_with("@nestjs/")
            // Without a manifest nothing is known: every bare specifier counts as a package.
            || !self.has_manifest
    }

    /// The Nest monorepo project (app or library) holding `path`, else the package root.
    pub fn app_root_of(&self, path: &Path) -> &Path {
        // Compared as bytes (paths here are normalised): `Path::starts_with` walks components,
        // and this runs for every file of every run.
        let bytes = path.as_os_str().as_encoded_bytes();
        let under = |root: &PathBuf| {
            let root = root.as_os_str().as_encoded_bytes();
            bytes.starts_with(root)
                && (bytes.len() == root.len()
                    || root.ends_with(b"/")
                    || matches!(bytes[root.len()], b'/' | b'\\'))
        };
        self.app_roots
            .iter()
            .filter(|root| under(root))
            .max_by_key(|root| root.as_os_str().len())
            .map_or(self.root.as_path(), PathBuf::as_path)
    }
}

const NODE_BUILTINS: &[&str] = &[
    "assert",
    "buffer",
    "child_process",
    "crypto",
    "events",
    "fs",
    "http",
    "https",
    "net",
    "os",
    "path",
    "stream",
    "url",
    "util",
    "zlib",
    "querystring",
    "readline",
    "timers",
    "worker_threads",
];

const WELL_KNOWN_PACKAGES: &[&str] = &[
    "typeorm",
    "mongoose",
    "class-validator",
    "class-transformer",
    "jsonwebtoken",
    "passport",
    "passport-jwt",
    "passport-local",
    "rxjs",
    "reflect-metadata",
    "@prisma/client",
    "express",
    "fastify",
];

/// `@scope/name/sub` → `@scope/name`; `name/sub` → `name`.
pub fn package_name(specifier: &str) -> &str {
    let mut parts = specifier.splitn(3, '/');
    let first = parts.next().unwrap_or("");
    if first.starts_with('@') {
        match parts.next() {
            Some(second) => &specifier[..first.len() + 1 + second.len()],
            None => specifier,
        }
    } else {
        first
    }
}

/// A JSON (or JSONC) file that may be absent; one that exists but cannot be read (a FIFO, too
/// large, not UTF-8) is added to `unreadable`, to be reported, and treated as absent.
/// Whether a `nest-cli.json` (or one of its projects) lists `@nestjs/swagger` among its
/// `compilerOptions.plugins`, by name or as `{ "name": "@nestjs/swagger", "options": ... }`.
fn enables_swagger_plugin(config: &serde_json::Value) -> bool {
    let plugins = config
        .get("compilerOptions")
        .and_then(|c| c.get("plugins"))
        .and_then(|p| p.as_array());
    plugins.is_some_and(|plugins| {
        plugins.iter().any(|plugin| {
            let name = plugin
                .as_str()
                .or_else(|| plugin.get("name").and_then(|n| n.as_str()));
            name.is_some_and(|n| n == "@nestjs/swagger" || n.starts_with("@nestjs/swagger/"))
        })
    })
}

/// Whether a `nest-cli.json` (or one of its projects) builds with SWC: `compilerOptions.builder`
/// is `"swc"` or `{ "type": "swc" }`.
fn builds_with_swc(config: &serde_json::Value) -> bool {
    let builder = config.get("compilerOptions").and_then(|c| c.get("builder"));
    let kind = builder.and_then(|b| {
        b.as_str()
            .or_else(|| b.get("type").and_then(|t| t.as_str()))
    });
    kind == Some("swc")
}

/// Whether a `nest-cli.json` (or one of its projects) points SWC at a configuration file.
fn swcrc_path(config: &serde_json::Value) -> bool {
    config
        .get("compilerOptions")
        .and_then(|c| c.get("builder"))
        .and_then(|b| b.get("options"))
        .and_then(|o| o.get("swcrcPath"))
        .is_some()
}

fn read_json(path: &Path, unreadable: &mut Vec<(PathBuf, String)>) -> Option<serde_json::Value> {
    let text = read_optional(path, unreadable)?;
    // tsconfig files are JSONC (comments, trailing commas): JSON5 reads both.
    serde_json::from_str(&text)
        .ok()
        .or_else(|| json5::from_str(&text).ok())
}

/// A text file that may be absent (see [`read_json`]).
fn read_optional(path: &Path, unreadable: &mut Vec<(PathBuf, String)>) -> Option<String> {
    match crate::files::read_text_if_present(path, crate::files::MAX_FILE_BYTES) {
        Ok(text) => text,
        Err(err) => {
            unreadable.push((path.to_path_buf(), format!("not read: {err}")));
            None
        }
    }
}

/// Where an import specifier leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleTarget {
    /// A file of the workspace.
    File(PathBuf),
    /// A package the project depends on (or a Node built-in).
    External,
    /// A relative or aliased path that leads to no file nestlint read.
    Unresolved,
}

const RESOLVE_EXTENSIONS: &[&str] = &["ts", "tsx", "mts", "cts"];

/// Resolves `specifier` imported from `from` against the set of known files.
pub fn resolve_specifier(
    specifier: &str,
    from: &Path,
    package: &Package,
    known: &dyn Fn(&Path) -> bool,
) -> ModuleTarget {
    if specifier.starts_with('.') {
        let dir = from.parent().unwrap_or(Path::new("."));
        return match probe(&join_relative(dir, specifier), known) {
            Some(file) => ModuleTarget::File(file),
            None => ModuleTarget::Unresolved,
        };
    }
    for (pattern, targets) in &package.paths {
        let capture = match pattern.split_once('*') {
            Some((prefix, suffix)) => specifier
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(suffix)),
            None => (pattern == specifier).then_some(""),
        };
        let Some(capture) = capture else { continue };
        for target in targets {
            let candidate = PathBuf::from(target.to_string_lossy().replace('*', capture));
            if let Some(file) = probe(&candidate, known) {
                return ModuleTarget::File(file);
            }
        }
    }
    if let Some(base) = &package.base_url {
        if let Some(file) = probe(&base.join(specifier), known) {
            return ModuleTarget::File(file);
        }
    }
    // A package of the same monorepo is the project's own code: its sources, or nothing.
    if let Some(workspace) = &package.workspace {
        if let Some(target) = workspace.resolve(specifier, known) {
            return target;
        }
    }
    if package.is_dependency(specifier) {
        ModuleTarget::External
    } else {
        ModuleTarget::Unresolved
    }
}

/// `normalize(dir.join(specifier))` for a relative import, on bytes: `dir` is a file's directory,
/// already normal, and only the specifier's `.` and `..` segments need resolving (this runs for
/// every relative import of every file).
fn join_relative(dir: &Path, specifier: &str) -> PathBuf {
    let separator = std::path::MAIN_SEPARATOR as u8;
    let dir_bytes = dir.as_os_str().as_encoded_bytes();
    if !is_normal_form(dir_bytes) || cfg!(windows) {
        return normalize(&dir.join(specifier));
    }
    let mut out: Vec<u8> = Vec::with_capacity(dir_bytes.len() + specifier.len() + 1);
    out.extend_from_slice(dir_bytes);
    for segment in specifier.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                // Back one directory; at the top, keep `..` as `normalize` does.
                let last_is_parent = out == b".." || out.ends_with(&[separator, b'.', b'.']);
                match out.iter().rposition(|&b| b == separator) {
                    // Above the root, `normalize` keeps the `..`.
                    Some(_) if out == [separator] => out.extend_from_slice(b".."),
                    Some(at) if !last_is_parent => out.truncate(at.max(1)),
                    _ => {
                        if !out.is_empty() {
                            out.push(separator);
                        }
                        out.extend_from_slice(b"..");
                    }
                }
            }
            name => {
                if out.last() != Some(&separator) && !out.is_empty() {
                    out.push(separator);
                }
                out.extend_from_slice(name.as_bytes());
            }
        }
    }
    // The bytes are a directory's (valid) plus UTF-8 segments and separators.
    path_from_vec(out).unwrap_or_else(|| normalize(&dir.join(specifier)))
}

#[cfg(unix)]
fn path_from_vec(bytes: Vec<u8>) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

#[cfg(not(unix))]
fn path_from_vec(bytes: Vec<u8>) -> Option<PathBuf> {
    String::from_utf8(bytes).ok().map(PathBuf::from)
}

fn probe(base: &Path, known: &dyn Fn(&Path) -> bool) -> Option<PathBuf> {
    if known(base) {
        return Some(base.to_path_buf());
    }
    // ESM-style imports name the emitted `.js` file.
    let stripped: std::borrow::Cow<'_, Path> = match base.extension().and_then(|e| e.to_str()) {
        Some("js" | "mjs" | "cjs") => base.with_extension("").into(),
        _ => base.into(),
    };
    stripped.file_name()?;
    // Candidates are built in one buffer: this runs for every import of every file.
    let mut candidate = std::ffi::OsString::with_capacity(stripped.as_os_str().len() + 12);
    let suffixes = RESOLVE_EXTENSIONS
        .iter()
        .map(|ext| (".", *ext))
        .chain(RESOLVE_EXTENSIONS.iter().map(|ext| (INDEX_FILE, *ext)));
    for (before, ext) in suffixes {
        candidate.clear();
        candidate.push(stripped.as_os_str());
        candidate.push(before);
        candidate.push(ext);
        if known(Path::new(&candidate)) {
            return Some(PathBuf::from(candidate));
        }
    }
    None
}

/// What follows a directory to name its index module, up to the extension.
const INDEX_FILE: &str = if cfg!(windows) { "\\index." } else { "/index." };

/// The `tsconfig.json` that governs a package: the nearest at or above its root, as editors and
/// `tsc` find it; else the nearest `tsconfig.base.json` (Nx workspaces keep their path aliases
/// there, with a `tsconfig.json` only in each project).
pub fn nearest_tsconfig(root: &Path) -> Option<PathBuf> {
    for name in ["tsconfig.json", "tsconfig.base.json"] {
        if let Some(found) = root
            .ancestors()
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
        {
            return Some(found);
        }
    }
    None
}

/// A monorepo: its root and its packages by name, from npm/yarn `workspaces`,
/// `pnpm-workspace.yaml` or `lerna.json`.
#[derive(Debug, Default)]
pub struct Workspace {
    pub root: PathBuf,
    /// Package name to its directory and the entry points its manifest names.
    pub packages: HashMap<String, WorkspacePackage>,
    /// The dependencies the root `package.json` declares (all three lists): what its packages
    /// may use without declaring it, hoisted.
    pub dependencies: HashSet<String>,
    /// Manifests that exist but could not be read, and why.
    pub unreadable: Vec<(PathBuf, String)>,
}

#[derive(Debug, Default)]
pub struct WorkspacePackage {
    pub dir: PathBuf,
    /// `types`, `typings`, `main`, `module` and `exports["."]` of its `package.json`, in order.
    pub entries: Vec<String>,
}

/// How deep below a workspace root its package directories are looked for.
const WORKSPACE_DEPTH: usize = 5;

impl Workspace {
    /// A hash of the workspace, its packages in sorted order.
    fn fingerprint(&self) -> u128 {
        let mut packages: Vec<(&String, &WorkspacePackage)> = self.packages.iter().collect();
        packages.sort_by(|a, b| a.0.cmp(b.0));
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut bytes = |b: &[u8]| {
            hasher.update(&(b.len() as u64).to_le_bytes());
            hasher.update(b);
        };
        bytes(self.root.as_os_str().as_encoded_bytes());
        for (name, package) in packages {
            bytes(name.as_bytes());
            bytes(package.dir.as_os_str().as_encoded_bytes());
            for entry in &package.entries {
                bytes(entry.as_bytes());
            }
            bytes(b"\0");
        }
        bytes(b"dependencies");
        let mut dependencies: Vec<&String> = self.dependencies.iter().collect();
        dependencies.sort();
        for dependency in dependencies {
            bytes(dependency.as_bytes());
        }
        for (file, why) in &self.unreadable {
            bytes(file.as_os_str().as_encoded_bytes());
            bytes(why.as_bytes());
        }
        hasher.digest128()
    }

    /// The workspace whose root is `root`, if `root` declares one.
    fn load(root: &Path) -> Option<Workspace> {
        let mut unreadable = Vec::new();
        let patterns = workspace_patterns(root, &mut unreadable)?;
        let (mut include, mut exclude) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        for pattern in &patterns {
            let (set, pattern) = match pattern.strip_prefix('!') {
                Some(negated) => (&mut exclude, negated),
                None => (&mut include, pattern.as_str()),
            };
            let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
            if let Ok(glob) = GlobBuilder::new(pattern).literal_separator(true).build() {
                set.add(glob);
            }
        }
        let (include, exclude) = (include.build().ok()?, exclude.build().ok()?);
        let mut workspace = Workspace {
            root: root.to_path_buf(),
            packages: HashMap::new(),
            dependencies: HashSet::new(),
            unreadable,
        };
        if let Some(manifest) = read_json(&root.join("package.json"), &mut workspace.unreadable) {
            for key in ["dependencies", "devDependencies", "peerDependencies"] {
                if let Some(deps) = manifest.get(key).and_then(|d| d.as_object()) {
                    workspace.dependencies.extend(deps.keys().cloned());
                }
            }
        }
        // Only where a pattern can match: below its literal prefix (`packages/*` is looked for
        // in `packages`, not in the whole repository), as deep as the pattern can reach.
        let starts = walk_starts(&patterns);
        let Some((first, rest)) = starts.split_first() else {
            return Some(workspace);
        };
        let mut builder = WalkBuilder::new(root.join(first));
        for start in rest {
            builder.add(root.join(start));
        }
        let shallowest = starts
            .iter()
            .map(|start| start.components().count())
            .min()
            .unwrap_or(0);
        builder
            .max_depth(Some(WORKSPACE_DEPTH.saturating_sub(shallowest)))
            .hidden(true);
        honour_ignore_files(&mut builder, root, &mut workspace.unreadable);
        let walker = builder
            .filter_entry(|entry| {
                entry.file_type().is_some_and(|t| t.is_dir())
                    && !entry
                        .file_name()
                        .to_str()
                        .is_some_and(|name| SKIPPED_DIRS.contains(&name))
                    && unreadable_ignore_file(entry.path()).is_none()
            })
            .build();
        for entry in walker.flatten() {
            let dir = entry.path();
            let Ok(relative) = dir.strip_prefix(root) else {
                continue;
            };
            if relative.as_os_str().is_empty()
                || relative.components().count() > WORKSPACE_DEPTH
                || !include.is_match(relative)
                || exclude.is_match(relative)
            {
                continue;
            }
            let Some(manifest) = read_json(&dir.join("package.json"), &mut workspace.unreadable)
            else {
                continue;
            };
            let Some(name) = manifest.get("name").and_then(|n| n.as_str()) else {
                continue;
            };
            let mut entries: Vec<String> = ["types", "typings", "main", "module"]
                .iter()
                .filter_map(|key| manifest.get(*key).and_then(|v| v.as_str()))
                .map(str::to_owned)
                .collect();
            if let Some(root_export) = manifest.get("exports").map(|e| e.get(".").unwrap_or(e)) {
                collect_export_paths(root_export, &mut entries);
            }
            workspace
                .packages
                .entry(name.to_owned())
                .or_insert(WorkspacePackage {
                    dir: normalize(dir),
                    entries,
                });
        }
        Some(workspace)
    }

    /// Where a specifier naming one of the workspace's packages leads: its source file, or
    /// `Unresolved` when the package's sources cannot be found (never a package: it is the
    /// project's own code). `None` for specifiers of other packages.
    pub fn resolve(&self, specifier: &str, known: &dyn Fn(&Path) -> bool) -> Option<ModuleTarget> {
        let name = package_name(specifier);
        let package = self.packages.get(name)?;
        let subpath = specifier[name.len()..].trim_start_matches('/');
        let found = if subpath.is_empty() {
            package
                .entries
                .iter()
                .flat_map(|entry| source_candidates(&package.dir, entry))
                .chain(
                    ["src/index", "index", "src"]
                        .iter()
                        .map(|e| package.dir.join(e)),
                )
                .find_map(|candidate| probe(&candidate, known))
        } else {
            [
                package.dir.join(subpath),
                package.dir.join("src").join(subpath),
            ]
            .iter()
            .chain(source_candidates(&package.dir, subpath).iter())
            .find_map(|candidate| probe(candidate, known))
        };
        Some(found.map_or(ModuleTarget::Unresolved, ModuleTarget::File))
    }
}

/// Where a walk for the packages the `patterns` name must start (relative to the workspace
/// root): each include pattern's leading literal directories, without those inside another.
fn walk_starts(patterns: &[String]) -> Vec<PathBuf> {
    let mut starts: Vec<PathBuf> = patterns
        .iter()
        .filter(|pattern| !pattern.starts_with('!'))
        .map(|pattern| {
            let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
            let mut prefix = PathBuf::new();
            let parts: Vec<&str> = pattern.split('/').collect();
            // The last part is the package directory itself: the walk starts at its parent.
            for part in &parts[..parts.len().saturating_sub(1)] {
                if part.contains(['*', '?', '[', '{']) || *part == ".." {
                    break;
                }
                prefix.push(part);
            }
            prefix
        })
        .collect();
    starts.sort();
    starts.dedup();
    let all = starts.clone();
    starts.retain(|start| {
        !all.iter()
            .any(|other| other != start && start.starts_with(other))
    });
    starts
}

/// The sources an emitted entry point comes from: `./dist/index.d.ts` → `dist/index`,
/// `src/index` (the same path under `src/` instead of the output directory).
fn source_candidates(dir: &Path, entry: &str) -> Vec<PathBuf> {
    let entry = entry.trim_start_matches("./");
    let stem = [".d.ts", ".d.mts", ".d.cts", ".js", ".mjs", ".cjs", ".ts"]
        .iter()
        .find_map(|ext| entry.strip_suffix(ext))
        .unwrap_or(entry);
    let mut out = vec![dir.join(stem)];
    let mut parts: Vec<&str> = stem.split('/').collect();
    // `build/main/index` (a tsc output with sub-targets) or `dist/index`: the source is under src.
    while parts.len() > 1 && OUTPUT_DIRS.contains(&parts[0]) {
        parts.remove(0);
        out.push(dir.join("src").join(parts.join("/")));
    }
    out
}

/// Directories packages compile into.
const OUTPUT_DIRS: &[&str] = &[
    "dist", "build", "lib", "out", "main", "module", "esm", "cjs",
];

/// The file paths a package.json `exports` entry names, conditions in order.
fn collect_export_paths(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(path) => out.push(path.clone()),
        serde_json::Value::Object(conditions) => {
            for condition in ["types", "import", "require", "default", "node"] {
                if let Some(inner) = conditions.get(condition) {
                    collect_export_paths(inner, out);
                }
            }
        }
        _ => {}
    }
}

/// The package globs a directory's manifest declares as a workspace, if it is a workspace root.
fn workspace_patterns(root: &Path, unreadable: &mut Vec<(PathBuf, String)>) -> Option<Vec<String>> {
    if let Some(text) = read_optional(&root.join("pnpm-workspace.yaml"), unreadable) {
        return Some(pnpm_packages(&text));
    }
    let strings = |value: Option<&serde_json::Value>| -> Option<Vec<String>> {
        let list = value?.as_array()?;
        Some(
            list.iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect(),
        )
    };
    if let Some(manifest) = read_json(&root.join("package.json"), unreadable) {
        let workspaces = manifest.get("workspaces");
        if let Some(list) = strings(workspaces).or_else(|| strings(workspaces?.get("packages"))) {
            return Some(list);
        }
    }
    strings(read_json(&root.join("lerna.json"), unreadable)?.get("packages"))
}

/// The `packages:` list of a `pnpm-workspace.yaml` (a YAML list of strings; the rest of the file
/// is pnpm settings nestlint has no use for).
fn pnpm_packages(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_packages = false;
    for line in text.lines() {
        let content = line.split(" #").next().unwrap_or("").trim_end();
        if content.trim_start().starts_with('#') || content.trim().is_empty() {
            continue;
        }
        if !line.starts_with([' ', '\t', '-']) {
            in_packages = content.trim() == "packages:";
            continue;
        }
        if let (true, Some(item)) = (in_packages, content.trim_start().strip_prefix('-')) {
            out.push(
                item.trim()
                    .trim_matches(|c| c == '"' || c == '\'')
                    .to_owned(),
            );
        }
    }
    out
}

/// A `tsconfig.json`'s `paths`: each pattern and the directories it maps to.
type PathAliases = Vec<(String, Vec<PathBuf>)>;

/// Finds the workspace a package belongs to, loading each workspace once (a clone shares what
/// was loaded so far: discovery hands it on to the reading of context files).
#[derive(Clone, Default)]
pub struct WorkspaceFinder {
    by_root: HashMap<PathBuf, Option<Arc<Workspace>>>,
    /// `tsconfig.json` files as parsed, by path.
    tsconfigs: HashMap<PathBuf, Option<Arc<serde_json::Value>>>,
    /// A `tsconfig.json`'s `paths`, resolved against a base directory.
    aliases: HashMap<(PathBuf, PathBuf), PathAliases>,
    /// TypeScript configurations read with their settings' positions.
    compiler: crate::tsconfig::ConfigReader,
}

impl WorkspaceFinder {
    /// The `tsconfig.json` at `path`, parsed once per run (why it could not be read goes to
    /// `unreadable` the first time).
    fn tsconfig(
        &mut self,
        path: &Path,
        unreadable: &mut Vec<(PathBuf, String)>,
    ) -> Option<Arc<serde_json::Value>> {
        self.tsconfigs
            .entry(path.to_path_buf())
            .or_insert_with(|| read_json(path, unreadable).map(Arc::new))
            .clone()
    }

    /// The nearest workspace at or above `package_root` that lists it (or its directory).
    pub fn workspace_of(&mut self, package_root: &Path) -> Option<Arc<Workspace>> {
        for dir in package_root.ancestors() {
            let workspace = self
                .by_root
                .entry(dir.to_path_buf())
                .or_insert_with(|| Workspace::load(dir).map(Arc::new))
                .clone();
            if let Some(workspace) = workspace {
                return Some(workspace);
            }
        }
        None
    }
}

/// The nearest ancestor of `file` holding `package.json` or `nest-cli.json`, cached per directory.
pub struct PackageFinder {
    cache: HashMap<PathBuf, Option<PathBuf>>,
    /// The last directory asked about and its answer: files come in path order, so most share
    /// the previous one's directory (no hashing of the path).
    last: Option<(PathBuf, Option<PathBuf>)>,
}

impl PackageFinder {
    pub fn new() -> Self {
        Self {
            cache: HashMap::new(),
            last: None,
        }
    }

    pub fn root_of(&mut self, file: &Path) -> Option<PathBuf> {
        let parent = file.parent()?;
        if let Some((dir, found)) = &self.last {
            if dir.as_os_str() == parent.as_os_str() {
                return found.clone();
            }
        }
        let found = self.find(parent);
        self.last = Some((parent.to_path_buf(), found.clone()));
        found
    }

    fn find(&mut self, parent: &Path) -> Option<PathBuf> {
        let mut visited = Vec::new();
        let mut dir = Some(parent);
        let mut found = None;
        while let Some(current) = dir {
            if let Some(cached) = self.cache.get(current) {
                found = cached.clone();
                break;
            }
            visited.push(current.to_path_buf());
            if current.join("package.json").is_file() || current.join("nest-cli.json").is_file() {
                found = Some(current.to_path_buf());
                break;
            }
            dir = current.parent();
        }
        for dir in visited {
            self.cache.insert(dir, found.clone());
        }
        found
    }
}

impl Default for PackageFinder {
    fn default() -> Self {
        Self::new()
    }
}

/// All distinct package roots of `files`, in order.
pub fn package_roots(files: &[PathBuf], finder: &mut PackageFinder) -> BTreeSet<PathBuf> {
    files.iter().filter_map(|f| finder.root_of(f)).collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn workspace_walks_start_below_each_patterns_literal_prefix() {
        let patterns: Vec<String> = [
            "packages/*",
            "packages/plugins/*",
            "./apps/*/",
            "!packages/legacy",
            "tools/**",
            "libs/{a,b}/*",
        ]
        .iter()
        .map(|p| (*p).to_owned())
        .collect();
        let starts = super::walk_starts(&patterns);
        let starts: Vec<&str> = starts.iter().filter_map(|p| p.to_str()).collect();
        assert_eq!(starts, ["apps", "libs", "packages", "tools"]);
        let everything = super::walk_starts(&["*".to_owned()]);
        assert_eq!(everything, [std::path::PathBuf::new()]);
    }

    #[test]
    fn a_package_declares_what_its_workspace_root_declares() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let root = dir.path();
        std::fs::write(
            root.join("package.json"),
            r#"{ "workspaces": ["apps/*"], "devDependencies": { "helmet": "*" } }"#,
        )
        .expect("root manifest");
        std::fs::create_dir_all(root.join("apps/api")).expect("package folder");
        std::fs::write(
            root.join("apps/api/package.json"),
            r#"{ "name": "api", "dependencies": { "@nestjs/core": "*" } }"#,
        )
        .expect("package manifest");
        let package = super::Package::load(&root.join("apps/api"), true);
        assert!(package.declares("@nestjs/core"));
        assert!(
            package.declares("helmet"),
            "hoisted from the workspace root"
        );
        assert!(!package.dependencies.contains("helmet"));
        assert!(!package.declares("lusca"));
    }

    #[cfg(unix)]
    #[test]
    fn relative_joins_agree_with_normalize() {
        for dir in ["/repo/src/users", "/repo", "/a/b.c/d..e"] {
            for specifier in [
                "./users.service",
                "../common/util",
                "../../x",
                "./a/./b/../c",
                ".././.././y",
                "./deep/../../z.js",
                "..",
                ".",
            ] {
                assert_eq!(
                    join_relative(Path::new(dir), specifier),
                    normalize(&Path::new(dir).join(specifier)),
                    "{dir} + {specifier}"
                );
            }
        }
    }

    #[cfg(unix)]
    #[test]
    fn path_table_finds_paths_in_any_spelling_of_their_normal_form() {
        let mut table = PathTable::default();
        assert!(table.insert(Path::new("/repo/src/./app.module.ts"), 1));
        assert!(!table.insert(Path::new("/repo/src/app.module.ts"), 2));
        for spelling in [
            "/repo/src/app.module.ts",
            "/repo/src//app.module.ts",
            "/repo/lib/../src/app.module.ts",
            "/repo/./src/app.module.ts",
        ] {
            assert_eq!(table.get(Path::new(spelling)), Some(&2), "{spelling}");
        }
        assert_eq!(table.get(Path::new("/repo/src/app.module")), None);
        assert_eq!(table.get(Path::new("/repo/.hidden/app.module.ts")), None);
        assert!(is_normal_form(b"/repo/src/app.module.ts"));
        assert!(is_normal_form(b"/repo/.github/x.ts"));
        assert!(!is_normal_form(b"/repo/src/"));
        assert!(!is_normal_form(b"/repo/../src"));
        assert!(!is_normal_form(b"./src"));
    }

    use super::*;

    #[test]
    fn lintable_and_test_files() {
        assert!(is_lintable(Path::new("a/b.controller.ts")));
        assert!(is_lintable(Path::new("a/b.tsx")));
        assert!(is_lintable(Path::new("a/b.mts")));
        assert!(!is_lintable(Path::new("a/b.d.ts")));
        assert!(!is_lintable(Path::new("a/b.js")));
        assert!(is_test_file(Path::new("src/a.spec.ts")));
        assert!(is_test_file(Path::new("test/app.e2e-spec.ts")));
        assert!(is_test_file(Path::new("src/test/helpers.ts")));
        assert!(!is_test_file(Path::new("src/testing.module.ts")));
        assert!(is_test_file(Path::new("e2e/fixtures/stripe.plugin.ts")));
        assert!(is_test_file(Path::new("dev-server/test-plugins/rest.ts")));
        assert!(is_test_file(Path::new("src/users.mock.ts")));
        assert!(!is_test_file(Path::new(
            "src/contest/contest.controller.ts"
        )));
    }

    #[test]
    fn package_names() {
        assert_eq!(package_name("@nestjs/common"), "@nestjs/common");
        assert_eq!(package_name("@nestjs/common/decorators"), "@nestjs/common");
        assert_eq!(package_name("typeorm/find-options"), "typeorm");
        assert_eq!(package_name("rxjs"), "rxjs");
    }

    #[test]
    fn resolves_relative_alias_and_external_specifiers() {
        let known: HashSet<PathBuf> = [
            "/p/src/users/users.service.ts",
            "/p/src/users/index.ts",
            "/p/libs/common/src/index.ts",
            "/p/libs/common/src/auth/public.decorator.ts",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let is_known = |p: &Path| known.contains(p);
        let mut package = Package {
            root: PathBuf::from("/p"),
            has_manifest: true,
            ..Package::default()
        };
        package.dependencies.insert("@nestjs/common".into());
        package.paths = vec![
            (
                "@app/common".into(),
                vec![PathBuf::from("/p/libs/common/src")],
            ),
            (
                "@app/common/*".into(),
                vec![PathBuf::from("/p/libs/common/src/*")],
            ),
        ];
        let from = Path::new("/p/src/app.module.ts");
        let resolve = |s: &str| resolve_specifier(s, from, &package, &is_known);
        assert_eq!(
            resolve("./users/users.service"),
            ModuleTarget::File("/p/src/users/users.service.ts".into())
        );
        assert_eq!(
            resolve("./users/users.service.js"),
            ModuleTarget::File("/p/src/users/users.service.ts".into())
        );
        assert_eq!(
            resolve("./users"),
            ModuleTarget::File("/p/src/users/index.ts".into())
        );
        assert_eq!(
            resolve("@app/common"),
            ModuleTarget::File("/p/libs/common/src/index.ts".into())
        );
        assert_eq!(
            resolve("@app/common/auth/public.decorator"),
            ModuleTarget::File("/p/libs/common/src/auth/public.decorator.ts".into())
        );
        assert_eq!(resolve("@nestjs/common"), ModuleTarget::External);
        assert_eq!(resolve("./missing"), ModuleTarget::Unresolved);
        assert_eq!(resolve("@app/unknown"), ModuleTarget::Unresolved);
    }
}
