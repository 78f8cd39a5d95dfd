//! The TypeScript configurations that compile a project's code, read with the position of every
//! setting that matters to Nest, so that a finding can point at the line to change.
//!
//! For a directory of source files, the configurations that matter are found as `tsc`, editors
//! and the Nest CLI find them: the nearest `tsconfig.json` above it (editors, `tsc -p .`, jest's
//! ts-jest), the configurations it references when it is a solution file (`"files": []` with
//! `references`, as Nx writes them), and the build configurations met on the way up
//! (`tsconfig.build.json`, which `nest build` reads when it exists; `tsconfig.app.json`, a Nest
//! monorepo's or an Nx application's build; what `nest-cli.json` names in
//! `compilerOptions.tsConfigPath`, for its project or a monorepo project rooted at the folder). Each is read through its `extends` chain; a base
//! that cannot be read (a package not installed, a missing file) leaves every setting it could
//! hold unknown.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nestlint_diagnostics::TextRange;

use crate::workspace::normalize;

/// The `compilerOptions` read: the flags Nest needs and the ones `strict` stands for.
pub const TRACKED_OPTIONS: &[&str] = &[
    "experimentalDecorators",
    "emitDecoratorMetadata",
    "strict",
    "strictNullChecks",
    "noImplicitAny",
];

/// How deep an `extends` chain is followed (`tsc` has no limit; real chains are 2 or 3 long).
const MAX_EXTENDS_DEPTH: usize = 8;

/// A compiler option set to a boolean, and where.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Setting {
    pub value: bool,
    /// The configuration file that sets it (the file itself or a base it extends).
    pub file: Arc<PathBuf>,
    /// The `"name": value` property.
    pub range: TextRange,
}

/// One configuration file as written.
#[derive(Debug, Default)]
struct ConfigFile {
    extends: Vec<String>,
    references: Vec<String>,
    /// `"files": []` and no `include` (or an empty one): it compiles nothing itself.
    compiles_nothing: bool,
    /// The `"compilerOptions"` key, else the top-level object: where a missing option goes.
    anchor: TextRange,
    options: Vec<(&'static str, bool, TextRange)>,
}

/// A configuration with its `extends` chain applied.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CompilerConfig {
    pub path: Arc<PathBuf>,
    /// Where a finding about an option it does not set goes: its `"compilerOptions"` key.
    pub anchor: TextRange,
    /// The files it is made of, itself first, then what it extends, nearest first.
    pub chain: Vec<Arc<PathBuf>>,
    /// A file of the chain could not be read or found: options it does not set are unknown.
    pub unresolved_base: bool,
    /// A solution file (`"files": []`, usually with `references`): it compiles nothing itself.
    pub solution: bool,
    /// The configurations a solution file references, read as configurations of their own.
    pub references: Vec<Arc<CompilerConfig>>,
    /// The effective value of each tracked option that some file of the chain sets.
    pub options: BTreeMap<&'static str, Setting>,
}

impl CompilerConfig {
    /// Whether the configuration compiles tests, lint or documentation only (`tsconfig.spec.json`,
    /// `tsconfig.e2e.json`, `tsconfig.eslint.json`, `.storybook/tsconfig.json`): not the code an
    /// application runs.
    pub fn is_auxiliary(&self) -> bool {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let auxiliary_name = [
            "spec",
            "test",
            "e2e",
            "eslint",
            "lint",
            "storybook",
            "cypress",
        ]
        .iter()
        .any(|marker| name.contains(marker));
        let auxiliary_dir = self.path.components().any(|c| {
            let c = c.as_os_str().to_string_lossy();
            c == ".storybook" || c == "e2e" || c == "test"
        });
        auxiliary_name || auxiliary_dir
    }

    pub fn option(&self, name: &str) -> Option<&Setting> {
        self.options.get(name)
    }

    /// Whether this configuration extends `other` (directly or through its bases).
    pub fn extends(&self, other: &CompilerConfig) -> bool {
        self.chain.iter().skip(1).any(|file| *file == other.path)
    }

    fn fingerprint(&self, hasher: &mut xxhash_rust::xxh3::Xxh3) {
        let mut bytes = |b: &[u8]| {
            hasher.update(&(b.len() as u64).to_le_bytes());
            hasher.update(b);
        };
        for file in &self.chain {
            bytes(file.as_os_str().as_encoded_bytes());
        }
        bytes(&[u8::from(self.unresolved_base), u8::from(self.solution)]);
        bytes(&self.anchor.start.to_le_bytes());
        bytes(&self.anchor.end.to_le_bytes());
        for (name, setting) in &self.options {
            bytes(name.as_bytes());
            bytes(&[u8::from(setting.value)]);
            bytes(setting.file.as_os_str().as_encoded_bytes());
            bytes(&setting.range.start.to_le_bytes());
            bytes(&setting.range.end.to_le_bytes());
        }
        for reference in &self.references {
            reference.fingerprint(hasher);
        }
    }
}

/// The configurations that compile the files of one directory.
#[derive(Debug, Default, PartialEq, Eq, Hash)]
pub struct Governing {
    /// The nearest `tsconfig.json` at or above the directory (what editors and `tsc` use).
    pub nearest: Option<Arc<CompilerConfig>>,
    /// `tsconfig.build.json` and `tsconfig.app.json` files between the directory and the nearest
    /// `tsconfig.json` (included), nearest first: what `nest build` and Nx build with.
    pub builds: Vec<Arc<CompilerConfig>>,
}

impl Governing {
    /// The configurations that compile the directory's application code: the nearest one (or,
    /// for a solution file, the ones it references) and the build ones, without those for tests
    /// or lint only, each once.
    pub fn compiling(&self) -> Vec<&Arc<CompilerConfig>> {
        let mut out: Vec<&Arc<CompilerConfig>> = Vec::new();
        let nearest = self.nearest.iter().flat_map(|config| {
            if config.solution {
                config.references.iter().collect::<Vec<_>>()
            } else {
                vec![config]
            }
        });
        for config in nearest.chain(self.builds.iter()) {
            if !config.is_auxiliary() && !out.iter().any(|seen| seen.path == config.path) {
                out.push(config);
            }
        }
        out
    }

    /// The configurations developers type-check with: the nearest one, or what a solution file
    /// references (without tests' and lint's).
    pub fn type_checking(&self) -> Vec<&Arc<CompilerConfig>> {
        match &self.nearest {
            Some(config) if config.solution => config
                .references
                .iter()
                .filter(|r| !r.is_auxiliary())
                .collect(),
            Some(config) => vec![config],
            None => Vec::new(),
        }
    }

    /// Every configuration file read for the directory (bases and references included).
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.nearest
            .iter()
            .chain(self.builds.iter())
            .flat_map(|config| {
                config
                    .chain
                    .iter()
                    .chain(config.references.iter().flat_map(|r| r.chain.iter()))
            })
            .map(|file| file.as_path())
    }

    /// A hash of everything read, the same every run.
    pub fn fingerprint(&self) -> u128 {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(&[u8::from(self.nearest.is_some())]);
        for config in self.nearest.iter().chain(self.builds.iter()) {
            config.fingerprint(&mut hasher);
        }
        hasher.digest128()
    }
}

/// Reads configurations once per run: a monorepo's packages share their bases.
#[derive(Clone, Default)]
pub struct ConfigReader {
    files: HashMap<PathBuf, Option<Arc<ConfigFile>>>,
    configs: HashMap<PathBuf, Arc<CompilerConfig>>,
    /// By folder and the ceiling it was looked at under.
    governing: HashMap<(PathBuf, PathBuf), Arc<Governing>>,
    /// The `nest-cli.json` of each folder looked at, if it has one that reads.
    nest_cli: HashMap<PathBuf, Option<Arc<NestCli>>>,
}

/// What `nest-cli.json` says of the configurations `nest build` compiles with: the
/// `compilerOptions.tsConfigPath` of the project, and of each project of a monorepo
/// (`projects.<name>.root` with its own `compilerOptions.tsConfigPath`), relative to its folder.
#[derive(Debug, Default)]
struct NestCli {
    default: Option<String>,
    projects: Vec<(String, String)>,
}

impl std::fmt::Debug for ConfigReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigReader")
            .field("files", &self.files.len())
            .finish()
    }
}

impl ConfigReader {
    /// The configurations that compile the files of `dir`, looking no higher than `ceiling` (a
    /// workspace's or the package's root). Every folder on the way is remembered: a package's
    /// folders share their ancestors, and each is looked at once.
    pub fn governing(&mut self, dir: &Path, ceiling: &Path) -> Arc<Governing> {
        let key = (dir.to_path_buf(), ceiling.to_path_buf());
        if let Some(known) = self.governing.get(&key) {
            return known.clone();
        }
        let mut builds = Vec::new();
        let mut candidates: Vec<PathBuf> = ["tsconfig.build.json", "tsconfig.app.json"]
            .iter()
            .map(|name| dir.join(name))
            .collect();
        candidates.extend(self.nest_cli_builds(dir, ceiling));
        for candidate in candidates {
            if candidate.is_file()
                && !builds
                    .iter()
                    .any(|b: &Arc<CompilerConfig>| *b.path == candidate)
            {
                builds.push(self.config(&candidate, 0));
            }
        }
        let nearest = dir.join("tsconfig.json");
        let governing = if nearest.is_file() {
            Arc::new(Governing {
                nearest: Some(self.config(&nearest, 0)),
                builds,
            })
        } else {
            let above = match dir.parent() {
                Some(parent) if dir != ceiling && dir.starts_with(ceiling) => {
                    self.governing(parent, ceiling)
                }
                _ => Arc::new(Governing::default()),
            };
            if builds.is_empty() {
                above
            } else {
                builds.extend(above.builds.iter().cloned());
                Arc::new(Governing {
                    nearest: above.nearest.clone(),
                    builds,
                })
            }
        };
        self.governing.insert(key, governing.clone());
        governing
    }

    /// The configurations a `nest-cli.json` at or above `dir` (up to `ceiling`) names for the
    /// project rooted at `dir`: `nest build` compiles with them, whatever their names.
    fn nest_cli_builds(&mut self, dir: &Path, ceiling: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for folder in dir.ancestors() {
            if !folder.starts_with(ceiling) {
                break;
            }
            let cli = self
                .nest_cli
                .entry(folder.to_path_buf())
                .or_insert_with(|| {
                    let text = crate::files::read_text_if_present(
                        &folder.join("nest-cli.json"),
                        crate::files::MAX_FILE_BYTES,
                    )
                    .ok()
                    .flatten()?;
                    parse_nest_cli(&text).map(Arc::new)
                })
                .clone();
            if let Some(cli) = cli {
                if folder == dir {
                    out.extend(cli.default.iter().map(|path| normalize(&folder.join(path))));
                }
                for (root, path) in &cli.projects {
                    if normalize(&folder.join(root)) == dir {
                        out.push(normalize(&folder.join(path)));
                    }
                }
            }
            if folder == ceiling {
                break;
            }
        }
        out
    }

    /// The configuration at `path` with its chain applied.
    fn config(&mut self, path: &Path, depth: usize) -> Arc<CompilerConfig> {
        if let Some(known) = self.configs.get(path) {
            return known.clone();
        }
        let mut chain = Vec::new();
        let mut options = BTreeMap::new();
        let mut unresolved_base = false;
        self.apply(path, 0, &mut chain, &mut options, &mut unresolved_base);
        let file = self.file(path);
        let solution = file.as_ref().is_some_and(|f| f.compiles_nothing);
        let dir = path.parent().unwrap_or(Path::new("."));
        let references = match &file {
            Some(file) if solution && depth < 2 => file
                .references
                .iter()
                .map(|reference| {
                    let mut target = normalize(&dir.join(reference));
                    if target.is_dir() {
                        target.push("tsconfig.json");
                    }
                    target
                })
                .filter(|target| target.is_file())
                .map(|target| self.config(&target, depth + 1))
                .collect(),
            _ => Vec::new(),
        };
        let config = Arc::new(CompilerConfig {
            path: Arc::new(path.to_path_buf()),
            anchor: file.as_ref().map(|f| f.anchor).unwrap_or_default(),
            chain,
            unresolved_base: unresolved_base || file.is_none(),
            solution,
            references,
            options,
        });
        self.configs.insert(path.to_path_buf(), config.clone());
        config
    }

    /// Applies `path`'s bases, then `path` itself, to `options` (later files win, as in `tsc`).
    fn apply(
        &mut self,
        path: &Path,
        depth: usize,
        chain: &mut Vec<Arc<PathBuf>>,
        options: &mut BTreeMap<&'static str, Setting>,
        unresolved: &mut bool,
    ) {
        if depth > MAX_EXTENDS_DEPTH || chain.iter().any(|seen| seen.as_path() == path) {
            *unresolved = true;
            return;
        }
        let at = chain.len();
        let shared = Arc::new(path.to_path_buf());
        chain.push(shared.clone());
        let Some(file) = self.file(path) else {
            *unresolved = true;
            return;
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut bases = Vec::new();
        for extends in &file.extends {
            match resolve_extends(dir, extends) {
                Some(base) => bases.push(base),
                None => *unresolved = true,
            }
        }
        // Bases are applied in order (an array since TypeScript 5.0: later ones win), before
        // the file's own options; the chain lists the file before its bases.
        let mut base_chain = Vec::new();
        for base in bases {
            self.apply(&base, depth + 1, &mut base_chain, options, unresolved);
        }
        chain.splice(at + 1..at + 1, base_chain);
        for &(name, value, range) in &file.options {
            options.insert(
                name,
                Setting {
                    value,
                    file: shared.clone(),
                    range,
                },
            );
        }
    }

    fn file(&mut self, path: &Path) -> Option<Arc<ConfigFile>> {
        self.files
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                let text = crate::files::read_text_if_present(path, crate::files::MAX_FILE_BYTES)
                    .ok()
                    .flatten()?;
                parse_config(&text).map(Arc::new)
            })
            .clone()
    }
}

/// Where an `extends` leads: a path relative to the file, or a package's file found in a
/// `node_modules` above it (`@tsconfig/node20/tsconfig.json`, `@nestjs/cli/tsconfig`).
fn resolve_extends(dir: &Path, extends: &str) -> Option<PathBuf> {
    let candidates = |base: PathBuf| {
        let mut with_json = base.clone().into_os_string();
        with_json.push(".json");
        [
            base.clone(),
            PathBuf::from(with_json),
            base.join("tsconfig.json"),
        ]
    };
    if extends.starts_with('.') || Path::new(extends).is_absolute() {
        return candidates(normalize(&dir.join(extends)))
            .into_iter()
            .find(|c| c.is_file());
    }
    dir.ancestors().find_map(|ancestor| {
        let modules = ancestor.join("node_modules");
        if !modules.is_dir() {
            return None;
        }
        candidates(modules.join(extends))
            .into_iter()
            .find(|c| c.is_file())
    })
}

fn range(range: jsonc_parser::common::Range) -> TextRange {
    TextRange {
        start: u32::try_from(range.start).unwrap_or(u32::MAX),
        end: u32::try_from(range.end).unwrap_or(u32::MAX),
    }
}

/// A JSON file as `tsc` and the Nest CLI read it: comments and trailing commas allowed.
fn parse_jsonc(text: &str) -> Option<jsonc_parser::ast::Value<'_>> {
    jsonc_parser::parse_to_ast(
        text,
        &jsonc_parser::CollectOptions::default(),
        &jsonc_parser::ParseOptions::default(),
    )
    .ok()?
    .value
}

/// Reads the `tsConfigPath`s of a `nest-cli.json`.
fn parse_nest_cli(text: &str) -> Option<NestCli> {
    let root = parse_jsonc(text)?;
    let root = root.as_object()?;
    let ts_config_path = |object: &jsonc_parser::ast::Object<'_>| {
        object
            .get_object("compilerOptions")?
            .get_string("tsConfigPath")
            .map(|path| path.value.to_string())
    };
    let mut cli = NestCli {
        default: ts_config_path(root),
        projects: Vec::new(),
    };
    if let Some(projects) = root.get_object("projects") {
        for project in &projects.properties {
            let Some(project) = project.value.as_object() else {
                continue;
            };
            if let (Some(root), Some(path)) = (project.get_string("root"), ts_config_path(project))
            {
                cli.projects.push((root.value.to_string(), path));
            }
        }
    }
    Some(cli)
}

/// Reads a configuration file (JSONC: comments and trailing commas allowed, as `tsc` reads it).
fn parse_config(text: &str) -> Option<ConfigFile> {
    let root = parse_jsonc(text)?;
    let root = root.as_object()?;
    let mut file = ConfigFile {
        anchor: range(root.range),
        ..ConfigFile::default()
    };
    match root.get("extends").map(|p| &p.value) {
        Some(jsonc_parser::ast::Value::StringLit(one)) => file.extends.push(one.value.to_string()),
        Some(jsonc_parser::ast::Value::Array(many)) => file.extends.extend(
            many.elements
                .iter()
                .filter_map(|e| e.as_string_lit())
                .map(|s| s.value.to_string()),
        ),
        _ => {}
    }
    if let Some(references) = root.get_array("references") {
        file.references = references
            .elements
            .iter()
            .filter_map(|r| r.as_object()?.get_string("path"))
            .map(|p| p.value.to_string())
            .collect();
    }
    let empty = |key: &str| {
        root.get_array(key)
            .is_some_and(|list| list.elements.is_empty())
    };
    file.compiles_nothing = empty("files") && (root.get("include").is_none() || empty("include"));
    if let Some(property) = root.get("compilerOptions") {
        file.anchor = range(match &property.name {
            jsonc_parser::ast::ObjectPropName::String(name) => name.range,
            jsonc_parser::ast::ObjectPropName::Word(name) => name.range,
        });
        if let Some(options) = property.value.as_object() {
            for property in &options.properties {
                let name = property.name.as_str();
                let Some(&tracked) = TRACKED_OPTIONS.iter().find(|t| **t == name) else {
                    continue;
                };
                if let Some(value) = property.value.as_boolean_lit() {
                    file.options
                        .push((tracked, value.value, range(property.range)));
                }
            }
        }
    }
    Some(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn reads_options_through_extends_with_their_positions() {
        let dir = tempfile::tempdir().unwrap();
        let root = normalize(dir.path());
        write(
            &root,
            "tsconfig.base.json",
            "{ // é base\n \"compilerOptions\": { \"strict\": true, \"emitDecoratorMetadata\": true, } }",
        );
        let leaf = write(
            &root,
            "apps/api/tsconfig.json",
            r#"{ "extends": "../../tsconfig.base.json", "compilerOptions": { "strict": false } }"#,
        );
        write(&root, "apps/api/src/main.ts", "");
        let mut reader = ConfigReader::default();
        let governing = reader.governing(&root.join("apps/api/src"), &root);
        let nearest = governing.nearest.as_ref().unwrap();
        assert_eq!(nearest.path.as_path(), leaf);
        assert!(!nearest.unresolved_base);
        let strict = nearest.option("strict").unwrap();
        assert!(!strict.value);
        assert_eq!(strict.file.as_path(), leaf);
        let emit = nearest.option("emitDecoratorMetadata").unwrap();
        let base_text = std::fs::read_to_string(root.join("tsconfig.base.json")).unwrap();
        assert_eq!(
            &base_text[emit.range.start as usize..emit.range.end as usize],
            "\"emitDecoratorMetadata\": true"
        );
        assert!(nearest.option("experimentalDecorators").is_none());
        assert_eq!(nearest.chain.len(), 2);
    }

    #[test]
    fn a_base_that_cannot_be_found_is_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let root = normalize(dir.path());
        write(
            &root,
            "tsconfig.json",
            r#"{ "extends": "@company/tsconfig/nest.json" }"#,
        );
        let governing = ConfigReader::default().governing(&root, &root);
        assert!(governing.nearest.as_ref().unwrap().unresolved_base);
    }

    #[test]
    fn solution_files_stand_for_their_references_and_builds_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let root = normalize(dir.path());
        write(
            &root,
            "apps/api/tsconfig.json",
            r#"{ "files": [], "references": [{ "path": "./tsconfig.app.json" }, { "path": "./tsconfig.spec.json" }] }"#,
        );
        write(
            &root,
            "apps/api/tsconfig.app.json",
            r#"{ "compilerOptions": {} }"#,
        );
        write(
            &root,
            "apps/api/tsconfig.spec.json",
            r#"{ "compilerOptions": {} }"#,
        );
        let governing = ConfigReader::default().governing(&root.join("apps/api/src"), &root);
        let compiling: Vec<String> = governing
            .compiling()
            .iter()
            .map(|c| c.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(compiling, ["tsconfig.app.json"]);
        assert!(governing.nearest.as_ref().unwrap().solution);
    }

    #[test]
    fn nest_cli_names_the_build_configurations_whatever_their_names() {
        let dir = tempfile::tempdir().unwrap();
        let root = normalize(dir.path());
        write(
            &root,
            "nest-cli.json",
            r#"{
              // comments are allowed, as the Nest CLI reads it
              "compilerOptions": { "tsConfigPath": "tsconfig.prod.json" },
              "projects": {
                "api": { "root": "apps/api", "compilerOptions": { "tsConfigPath": "apps/api/tsconfig.release.json" } }
              }
            }"#,
        );
        write(&root, "tsconfig.json", r#"{ "compilerOptions": {} }"#);
        write(&root, "tsconfig.prod.json", r#"{ "compilerOptions": {} }"#);
        write(
            &root,
            "apps/api/tsconfig.release.json",
            r#"{ "extends": "../../tsconfig.json" }"#,
        );
        let mut reader = ConfigReader::default();
        let names = |governing: &Governing| -> Vec<String> {
            governing
                .compiling()
                .iter()
                .map(|c| {
                    c.path
                        .strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect()
        };
        let top = reader.governing(&root.join("src"), &root);
        assert_eq!(names(&top), ["tsconfig.json", "tsconfig.prod.json"]);
        let api = reader.governing(&root.join("apps/api/src"), &root);
        assert_eq!(
            names(&api),
            [
                "tsconfig.json",
                "apps/api/tsconfig.release.json",
                "tsconfig.prod.json"
            ]
        );
    }
}
