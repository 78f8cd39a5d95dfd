//! The project index built in phase 2 from every file's facts: resolves a name written in one file
//! to its declaration in another (through imports, re-exports and barrels), and answers NestJS
//! questions (see `nest.rs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nestlint_syntax::{ImportBinding, ImportedName, Name};
use rayon::prelude::*;

use crate::facts::{CalleeName, ClassFact, ConstFact, FileFacts, FunctionFact, TypeDeclFact};

/// What a rule's file half hands to its project half, encoded (so that it can be cached with the
/// file's facts).
pub type Stash = Arc<[u8]>;
use crate::memo::Memo;
use crate::workspace::{resolve_specifier, ModuleTarget, Package, PathTable};

pub type FileId = usize;

/// foldhash rather than SipHash: these maps are looked up for every import of every file.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

pub struct IndexedFile {
    pub path: Arc<PathBuf>,
    pub facts: Arc<FileFacts>,
    pub package: usize,
    /// The Nest monorepo app or library holding the file, else its package root.
    pub app_root: PathBuf,
    /// Asked about by the user (diagnostics are reported only for targets).
    pub is_target: bool,
    pub is_test: bool,
    /// Where each of `facts.imports` leads, in the same order.
    pub import_targets: Vec<ImportTarget>,
    /// Where each of `facts.reexports` leads, in the same order: barrels are walked for every
    /// name looked up through them, so their specifiers are resolved once.
    pub reexport_targets: Vec<ImportTarget>,
    /// `facts.imports` positions by local name, for files with many imports (an `AppModule`
    /// importing every feature module): scanning them for every name would be quadratic.
    pub imports_by_local: Option<FastMap<Name, usize>>,
    pub stash: Vec<(&'static str, Stash)>,
}

/// Files with more imports than this get a lookup table.
const SCANNED_IMPORTS: usize = 32;

impl IndexedFile {
    /// The position in `facts.imports` of the (first) binding of `local`.
    pub fn import_position(&self, local: &str) -> Option<usize> {
        match &self.imports_by_local {
            Some(table) => table.get(local).copied(),
            None => self.facts.imports.iter().position(|b| b.local == local),
        }
    }

    /// The (first) import binding of `local`.
    pub fn import(&self, local: &str) -> Option<&ImportBinding> {
        self.import_position(local).map(|i| &self.facts.imports[i])
    }
}

/// Where an import leads, resolved once when the index is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportTarget {
    File(FileId),
    /// A package.
    External,
    /// A path that leads to no file nestlint read.
    Unresolved,
}

/// What a name written in a file refers to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// Declared at top level of a workspace file.
    Declared { file: FileId, name: Name },
    /// Exported by a package: `source` is the import specifier.
    External { source: Name, name: Name },
    /// Imported from a path that leads to no file nestlint read: nothing can be said about it.
    Unresolved,
    /// Neither declared nor imported (a global, a parameter, a typo).
    Unknown,
}

impl Symbol {
    /// Whether the symbol is `name` exported by package `source`, imported from the package or
    /// from one of its subpaths (`@nestjs/common/decorators` re-exports what the root does).
    pub fn is_external(&self, source: &str, name: &str) -> bool {
        matches!(self, Symbol::External { source: s, name: n }
            if n == name
                && s.strip_prefix(source)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
    }

    /// Whether the symbol comes from a package whose specifier starts with `prefix`.
    pub fn external_source(&self) -> Option<&str> {
        match self {
            Symbol::External { source, .. } => Some(source),
            _ => None,
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            Symbol::Declared { name, .. } | Symbol::External { name, .. } => Some(name),
            _ => None,
        }
    }
}

pub struct ProjectIndex {
    files: Vec<IndexedFile>,
    by_path: PathTable<FileId>,
    pub packages: Vec<Package>,
    /// `@Module()` classes with the index of their `@Module` decorator, computed on first use.
    pub modules: std::sync::OnceLock<Vec<(crate::nest::ClassKey, usize)>>,
    pub controller_modules: std::sync::OnceLock<crate::nest::Registrations>,
    pub provider_modules: std::sync::OnceLock<crate::nest::Registrations>,
    pub applications: std::sync::OnceLock<crate::apps::Applications>,
    pub injection: std::sync::OnceLock<crate::di::Injection>,
    /// What a name imported from a barrel (a file with `export * from`) resolves to, by barrel
    /// and name: a lookup walks every star re-export of the barrel, and rules ask the same few
    /// names thousands of times.
    barrel_exports: Memo<(FileId, Name), Symbol>,
}

const MAX_REEXPORT_DEPTH: usize = 16;

/// A file's import positions by local name, for files with many imports.
fn imports_by_local(facts: &FileFacts) -> Option<FastMap<Name, usize>> {
    if facts.imports.len() <= SCANNED_IMPORTS {
        return None;
    }
    let mut table = FastMap::with_capacity_and_hasher(facts.imports.len(), Default::default());
    for (position, binding) in facts.imports.iter().enumerate() {
        table.entry(binding.local.clone()).or_insert(position);
    }
    Some(table)
}

/// What the index resolved for each file's imports, kept between the runs of a long-lived
/// session (a language server): a file whose facts are the very same (`Arc::ptr_eq`), in a run
/// over the very same files, resolves to the same targets.
#[derive(Default)]
pub struct ImportMemo {
    state: std::sync::Mutex<MemoState>,
}

#[derive(Default)]
struct MemoState {
    /// The hash of the run's paths, in order (file ids are positions in that list).
    files: u128,
    /// By file id.
    by_file: Vec<ResolvedImports>,
}

#[derive(Clone)]
struct ResolvedImports {
    facts: Arc<FileFacts>,
    imports: Vec<ImportTarget>,
    reexports: Vec<ImportTarget>,
}

impl ProjectIndex {
    pub fn new(files: Vec<IndexedFile>, packages: Vec<Package>) -> Self {
        Self::new_with(files, packages, None)
    }

    /// [`ProjectIndex::new`], taking from `memo` what an earlier run over the same files
    /// resolved, and leaving this run's answers in it.
    pub fn new_with(
        mut files: Vec<IndexedFile>,
        packages: Vec<Package>,
        memo: Option<&ImportMemo>,
    ) -> Self {
        let fingerprint = memo.map(|_| {
            let mut hasher = xxhash_rust::xxh3::Xxh3::new();
            for file in &files {
                hasher.update(file.path.as_os_str().as_encoded_bytes());
                hasher.update(b"\0");
            }
            hasher.digest128()
        });
        let previous: Vec<ResolvedImports> = match (memo, fingerprint) {
            (Some(memo), Some(fingerprint)) => memo
                .state
                .lock()
                .ok()
                .filter(|state| state.files == fingerprint)
                .map(|mut state| std::mem::take(&mut state.by_file))
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let mut by_path: PathTable<FileId> = PathTable::with_capacity(files.len());
        for (id, file) in files.iter().enumerate() {
            by_path.insert(&file.path, id);
        }
        // A bare specifier (`@app/core`, a package) resolves the same from every file of a
        // package: thousands of files import the same few, each probing a dozen paths per alias.
        let bare: Memo<(usize, Name), ModuleTarget> = Memo::default();
        let resolve = |specifier: &Name, from: &Path, package_id: usize| -> ModuleTarget {
            let package = &packages[package_id];
            let known = |p: &Path| by_path.contains(p);
            if specifier.starts_with('.') {
                return resolve_specifier(specifier, from, package, &known);
            }
            bare.get_or_compute((package_id, specifier.clone()), || {
                resolve_specifier(specifier, from, package, &known)
            })
        };
        files.par_iter_mut().enumerate().for_each(|(id, file)| {
            if let Some(known) = previous
                .get(id)
                .filter(|known| Arc::ptr_eq(&known.facts, &file.facts))
            {
                file.import_targets = known.imports.clone();
                file.reexport_targets = known.reexports.clone();
                file.imports_by_local = imports_by_local(&file.facts);
                return;
            }
            let mut targets: Vec<ImportTarget> = Vec::with_capacity(file.facts.imports.len());
            for (i, import) in file.facts.imports.iter().enumerate() {
                // The bindings of one import statement are adjacent and share its source.
                let target = match i.checked_sub(1).map(|prev| &file.facts.imports[prev]) {
                    Some(prev) if prev.source == import.source => targets[i - 1],
                    _ => import_target(resolve(&import.source, &file.path, file.package), &by_path),
                };
                targets.push(target);
            }
            file.import_targets = targets;
            file.reexport_targets = file
                .facts
                .reexports
                .iter()
                .map(|reexport| {
                    import_target(
                        resolve(&reexport.source, &file.path, file.package),
                        &by_path,
                    )
                })
                .collect();
            file.imports_by_local = imports_by_local(&file.facts);
        });
        if let (Some(memo), Some(fingerprint)) = (memo, fingerprint) {
            if let Ok(mut state) = memo.state.lock() {
                state.files = fingerprint;
                state.by_file = files
                    .iter()
                    .map(|file| ResolvedImports {
                        facts: file.facts.clone(),
                        imports: file.import_targets.clone(),
                        reexports: file.reexport_targets.clone(),
                    })
                    .collect();
            }
        }
        Self {
            files,
            by_path,
            packages,
            modules: std::sync::OnceLock::new(),
            controller_modules: std::sync::OnceLock::new(),
            provider_modules: std::sync::OnceLock::new(),
            applications: std::sync::OnceLock::new(),
            injection: std::sync::OnceLock::new(),
            barrel_exports: Memo::default(),
        }
    }

    /// Every application of the project (see [`crate::apps`]), computed once per run.
    pub fn applications(&self) -> &crate::apps::Applications {
        self.applications
            .get_or_init(|| crate::apps::Applications::compute(self))
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &IndexedFile)> {
        self.files.iter().enumerate()
    }

    pub fn file(&self, id: FileId) -> &IndexedFile {
        &self.files[id]
    }

    pub fn file_id(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    pub fn package(&self, file: FileId) -> &Package {
        &self.packages[self.files[file].package]
    }

    /// Whether `package`, the root `package.json` of its workspace, or a package of its workspace
    /// it depends on (whose helpers it may call) declares one of the dependencies `names`.
    pub fn declares_any(&self, package: &Package, names: &[&str]) -> bool {
        let declares = |p: &Package| names.iter().any(|name| p.declares(name));
        if declares(package) {
            return true;
        }
        let Some(workspace) = &package.workspace else {
            return false;
        };
        package
            .dependencies
            .iter()
            .filter_map(|name| workspace.packages.get(name))
            .any(|member| {
                self.packages
                    .iter()
                    .any(|p| p.root == member.dir && declares(p))
            })
    }

    /// The values a rule's file half stashed, with the file they came from (a value that no
    /// longer decodes as `T`, or decodes from only part of its bytes, is skipped: a rule that
    /// stashes two types should stash one enum of them, but a unit struct must never match
    /// another type's bytes).
    pub fn stashed<'a, T: serde::de::DeserializeOwned + 'a>(
        &'a self,
        rule: &'static str,
    ) -> impl Iterator<Item = (FileId, T)> + 'a {
        self.files.iter().enumerate().flat_map(move |(id, file)| {
            file.stash
                .iter()
                .filter(move |(r, _)| *r == rule)
                .filter_map(
                    move |(_, bytes)| match postcard::take_from_bytes::<T>(bytes) {
                        Ok((value, [])) => Some((id, value)),
                        _ => None,
                    },
                )
        })
    }

    /// What `name`, written in `file`, refers to.
    pub fn resolve(&self, file: FileId, name: &str) -> Symbol {
        let facts = &self.files[file].facts;
        if facts.declares(name) {
            return Symbol::Declared {
                file,
                name: Name::from(name),
            };
        }
        let Some(position) = self.files[file].import_position(name) else {
            return Symbol::Unknown;
        };
        let binding = &facts.imports[position];
        let imported = match &binding.imported {
            ImportedName::Named(imported) => imported.as_str(),
            ImportedName::Default => "default",
            // A namespace used as a value: only its members can be resolved.
            ImportedName::Namespace => return Symbol::Unknown,
        };
        self.through_import(file, position, imported, 0)
    }

    /// What `object.name` (a namespace member, as in `@nest.Get()`) or plain `name` refers to.
    pub fn resolve_callee(&self, file: FileId, callee: &CalleeName) -> Symbol {
        let Some(object) = &callee.object else {
            return self.resolve(file, &callee.name);
        };
        let facts = &self.files[file].facts;
        let Some(position) = self.files[file].import_position(object) else {
            return Symbol::Unknown;
        };
        if facts.imports[position].imported != ImportedName::Namespace {
            return Symbol::Unknown;
        }
        self.through_import(file, position, &callee.name, 0)
    }

    fn through_import(&self, file: FileId, position: usize, name: &str, depth: usize) -> Symbol {
        let binding = &self.files[file].facts.imports[position];
        match self.files[file].import_targets[position] {
            // From an import (depth 0) the answer depends only on the barrel and the name.
            ImportTarget::File(target)
                if depth == 0 && !self.files[target].facts.reexports.is_empty() =>
            {
                self.barrel_exports
                    .get_or_compute((target, Name::from(name)), || {
                        self.resolve_export(target, name, depth + 1)
                    })
            }
            ImportTarget::File(target) => self.resolve_export(target, name, depth + 1),
            ImportTarget::External => Symbol::External {
                source: binding.source.clone(),
                name: Name::from(name),
            },
            ImportTarget::Unresolved => Symbol::Unresolved,
        }
    }

    /// The declaration behind export `name` of `file`, following re-exports.
    pub fn resolve_export(&self, file: FileId, name: &str, depth: usize) -> Symbol {
        if depth > MAX_REEXPORT_DEPTH {
            return Symbol::Unresolved;
        }
        let facts = &self.files[file].facts;
        if let Some(local) = facts.exported_local(name) {
            if facts.declares(local) {
                return Symbol::Declared {
                    file,
                    name: Name::from(local),
                };
            }
            // `import { X } from './x'; export { X };`
            if let Some(position) = self.files[file].import_position(local) {
                if let ImportedName::Named(imported) = &facts.imports[position].imported {
                    let imported = imported.clone();
                    return self.through_import(file, position, &imported, depth);
                }
            }
            return Symbol::Unresolved;
        }
        let targets = &self.files[file].reexport_targets;
        for (position, reexport) in facts.reexports.iter().enumerate() {
            let target = targets
                .get(position)
                .copied()
                .unwrap_or(ImportTarget::Unresolved);
            match &reexport.names {
                Some(pairs) => {
                    if let Some((_, imported)) = pairs.iter().find(|(exported, _)| exported == name)
                    {
                        return match target {
                            ImportTarget::File(id) => self.resolve_export(id, imported, depth + 1),
                            ImportTarget::External => Symbol::External {
                                source: reexport.source.clone(),
                                name: imported.clone(),
                            },
                            ImportTarget::Unresolved => Symbol::Unresolved,
                        };
                    }
                }
                // A star re-export from a package or an unresolved path hides nothing we
                // could read.
                None => {
                    if let ImportTarget::File(id) = target {
                        match self.resolve_export(id, name, depth + 1) {
                            Symbol::Unresolved | Symbol::Unknown => {}
                            found => return found,
                        }
                    }
                }
            }
        }
        Symbol::Unresolved
    }

    /// Whether `name` is imported into `file` with `import type` (or `import { type X }`): it
    /// exists only for the type checker, not at run time.
    pub fn is_type_only_import(&self, file: FileId, name: &str) -> bool {
        self.files[file]
            .import(name)
            .is_some_and(|binding| binding.type_only)
    }

    /// The fact a top-level declaration `symbol` names, found in its file by `find`.
    fn declared<'s, T>(
        &'s self,
        symbol: &Symbol,
        find: impl Fn(&'s FileFacts, &str) -> Option<&'s T>,
    ) -> Option<(FileId, &'s T)> {
        match symbol {
            Symbol::Declared { file, name } => {
                find(&self.files[*file].facts, name).map(|t| (*file, t))
            }
            _ => None,
        }
    }

    pub fn class(&self, symbol: &Symbol) -> Option<(FileId, &ClassFact)> {
        self.declared(symbol, FileFacts::class)
    }

    pub fn function(&self, symbol: &Symbol) -> Option<(FileId, &FunctionFact)> {
        self.declared(symbol, FileFacts::function)
    }

    pub fn constant(&self, symbol: &Symbol) -> Option<(FileId, &ConstFact)> {
        self.declared(symbol, FileFacts::constant)
    }

    pub fn type_decl(&self, symbol: &Symbol) -> Option<(FileId, &TypeDeclFact)> {
        self.declared(symbol, FileFacts::type_decl)
    }

    /// Whether `callee` in `file` is export `name` of package `source` (`@nestjs/common`'s
    /// `Controller`, under any local alias or namespace).
    pub fn is_export_of(
        &self,
        file: FileId,
        callee: &CalleeName,
        source: &str,
        name: &str,
    ) -> bool {
        // Fast path: most decorators are imported by their own name.
        if callee.object.is_none() && callee.name != name {
            let Some(binding) = self.files[file].import(&callee.name) else {
                return false;
            };
            if !matches!(&binding.imported, ImportedName::Named(n) if n == name) {
                return false;
            }
        }
        self.resolve_callee(file, callee).is_external(source, name)
    }
}

fn import_target(target: ModuleTarget, by_path: &PathTable<FileId>) -> ImportTarget {
    match target {
        ModuleTarget::File(path) => by_path
            .get(&path)
            .map_or(ImportTarget::Unresolved, |&id| ImportTarget::File(id)),
        ModuleTarget::External => ImportTarget::External,
        ModuleTarget::Unresolved => ImportTarget::Unresolved,
    }
}
