//! The incremental cache: per file, what the per-file pass produced (facts, the file rules'
//! findings, stashes, suppression comments), keyed by the file's content and the settings that
//! pass depends on. A warm run reads and hashes every file, takes the entries of unchanged ones,
//! parses only the others, and runs the project pass on all of them.
//!
//! One file per cache directory and binary (`<dir>/<binary id>.bin`), replaced atomically (a
//! temporary file renamed over it), so concurrent runs never leave a torn file: the last one to
//! finish wins. A file that does not decode, or was written by another binary, is ignored and
//! rewritten; nothing in it is trusted beyond what its key proves.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use nestlint_diagnostics::{Applicability, Diagnostic, Edit, Fix, Label, Severity, TextRange};
use serde::{Deserialize, Serialize};

use crate::facts::FileFacts;
use crate::index::Stash;
use crate::suppress::Directive;

/// What starts every cache file, and its format's version.
const MAGIC: &[u8; 8] = b"NLCACHE1";

/// The cache of one run.
pub struct Cache {
    file: PathBuf,
    dir: PathBuf,
    binary: String,
    /// What the cache file held when the run started.
    loaded: HashMap<PathBuf, Entry>,
    /// What this run read or produced, by path: written back when the run ends.
    used: Mutex<HashMap<PathBuf, Entry>>,
    /// Something new was put: the file must be written.
    dirty: std::sync::atomic::AtomicBool,
    /// Why the cache file was not used, when it was there but unreadable.
    pub problem: Option<String>,
}

#[derive(Clone)]
struct Entry {
    key: u128,
    outcome: Arc<CachedOutcome>,
}

/// The cache file, as read.
#[derive(Deserialize)]
struct CacheFile {
    binary: String,
    entries: Vec<(PathBuf, u128, CachedOutcome)>,
}

/// The cache file, as written (borrowing what the run holds).
#[derive(Serialize)]
struct CacheFileOut<'a> {
    binary: &'a str,
    entries: Vec<(&'a PathBuf, u128, &'a CachedOutcome)>,
}

/// The per-file pass's results, as stored.
#[derive(Serialize, Deserialize)]
pub(crate) struct CachedOutcome {
    pub facts: FileFacts,
    diagnostics: Vec<CachedDiagnostic>,
    stash: Vec<(String, Vec<u8>)>,
    pub directives: Vec<Directive>,
    pub parse_error: bool,
    pub limited: bool,
}

#[derive(Serialize, Deserialize)]
struct CachedDiagnostic {
    rule: String,
    severity: Severity,
    range: TextRange,
    message: String,
    note: Option<String>,
    help: Option<String>,
    labels: Vec<(PathBuf, TextRange, String)>,
    fix: Option<CachedFix>,
}

#[derive(Serialize, Deserialize)]
struct CachedFix {
    title: String,
    applicability: Applicability,
    edits: Vec<Edit>,
    file: Option<PathBuf>,
}

/// What a file's key is made of besides its text.
pub(crate) struct KeyParts {
    pub settings: u64,
    pub is_target: bool,
    pub is_test: bool,
}

/// A file's key: its text, and what else the per-file pass depends on.
pub(crate) fn key(text: &str, parts: &KeyParts) -> u128 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(text.as_bytes());
    hasher.update(&parts.settings.to_le_bytes());
    hasher.update(&[u8::from(parts.is_target), u8::from(parts.is_test)]);
    hasher.digest128()
}

impl Cache {
    /// Opens the cache in `dir` (nothing is created until [`Cache::save`]). `rules` are the ids
    /// of the binary's rules, part of what the binary is.
    pub fn open(dir: &Path, rules: &[&str]) -> Cache {
        let binary = binary_id(rules);
        let file = dir.join(format!("{}.bin", &binary[..16]));
        let mut cache = Cache {
            file,
            dir: dir.to_path_buf(),
            binary,
            loaded: HashMap::new(),
            used: Mutex::new(HashMap::new()),
            dirty: std::sync::atomic::AtomicBool::new(false),
            problem: None,
        };
        match std::fs::read(&cache.file) {
            Ok(bytes) => match decode(&bytes, &cache.binary) {
                Ok(entries) => cache.loaded = entries,
                Err(why) => cache.problem = Some(why),
            },
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => cache.problem = Some(error.to_string()),
        }
        cache
    }

    /// The cached results of `path` when its key matches.
    pub(crate) fn get(&self, path: &Path, key: u128) -> Option<Arc<CachedOutcome>> {
        let entry = self.loaded.get(path).filter(|e| e.key == key)?;
        if let Ok(mut used) = self.used.lock() {
            used.insert(path.to_path_buf(), entry.clone());
        }
        Some(entry.outcome.clone())
    }

    pub(crate) fn put(&self, path: &Path, key: u128, outcome: CachedOutcome) {
        self.dirty.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut used) = self.used.lock() {
            used.insert(
                path.to_path_buf(),
                Entry {
                    key,
                    outcome: Arc::new(outcome),
                },
            );
        }
    }

    /// Writes what this run used or produced, with the entries of files it did not read that
    /// still exist (another run, on another directory, may want them). Errors are returned for
    /// the caller to report; a cache that cannot be written costs only speed.
    pub fn save(self) -> Result<(), String> {
        let mut entries: HashMap<PathBuf, Entry> = self.used.into_inner().unwrap_or_default();
        // Nothing new and nothing gone: the file on disk already says it all.
        let mut changed = self.dirty.into_inner() || self.problem.is_some();
        for (path, entry) in self.loaded {
            if entries.contains_key(&path) {
                continue;
            }
            if path.is_file() {
                entries.insert(path, entry);
            } else {
                changed = true;
            }
        }
        if !changed {
            return Ok(());
        }
        let mut entries: Vec<(&PathBuf, u128, &CachedOutcome)> = entries
            .iter()
            .map(|(path, entry)| (path, entry.key, entry.outcome.as_ref()))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let file = CacheFileOut {
            binary: &self.binary,
            entries,
        };
        let mut bytes = MAGIC.to_vec();
        bytes.extend(postcard::to_allocvec(&file).map_err(|e| e.to_string())?);
        std::fs::create_dir_all(&self.dir).map_err(|e| e.to_string())?;
        let ignore = self.dir.join(".gitignore");
        if !ignore.exists() {
            // As ruff does: the directory ignores itself, wherever it is.
            let _ = std::fs::write(&ignore, "# Created by nestlint.\n*\n");
        }
        let mut temporary =
            tempfile::NamedTempFile::new_in(&self.dir).map_err(|e| e.to_string())?;
        temporary.write_all(&bytes).map_err(|e| e.to_string())?;
        temporary
            .persist(&self.file)
            .map_err(|e| e.error.to_string())?;
        Ok(())
    }
}

fn decode(bytes: &[u8], binary: &str) -> Result<HashMap<PathBuf, Entry>, String> {
    let body = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or("not a nestlint cache file")?;
    let file: CacheFile = postcard::from_bytes(body).map_err(|e| format!("unreadable: {e}"))?;
    if file.binary != binary {
        return Err("written by another nestlint build".to_owned());
    }
    Ok(file
        .entries
        .into_iter()
        .map(|(path, key, outcome)| {
            (
                path,
                Entry {
                    key,
                    outcome: Arc::new(outcome),
                },
            )
        })
        .collect())
}

/// What identifies this build: its version, its rules, and the executable itself (its size and
/// modification time), so that a rebuilt binary never trusts its predecessor's results.
fn binary_id(rules: &[&str]) -> String {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    for rule in rules {
        hasher.update(rule.as_bytes());
        hasher.update(b"\0");
    }
    if let Some(metadata) = std::env::current_exe()
        .ok()
        .and_then(|exe| std::fs::metadata(exe).ok())
    {
        hasher.update(&metadata.len().to_le_bytes());
        if let Some(since) = metadata
            .modified()
            .ok()
            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        {
            hasher.update(&since.as_nanos().to_le_bytes());
        }
    }
    format!("{:032x}", hasher.digest128())
}

impl CachedOutcome {
    pub(crate) fn new(
        facts: FileFacts,
        diagnostics: &[Diagnostic],
        stash: &[(&'static str, Stash)],
        directives: Vec<Directive>,
        parse_error: bool,
        limited: bool,
    ) -> CachedOutcome {
        CachedOutcome {
            facts,
            diagnostics: diagnostics.iter().map(CachedDiagnostic::from).collect(),
            stash: stash
                .iter()
                .map(|(rule, bytes)| ((*rule).to_owned(), bytes.to_vec()))
                .collect(),
            directives,
            parse_error,
            limited,
        }
    }

    /// The findings, for `path`, with their rule ids mapped back to the binary's; `None` when
    /// one names a rule this binary does not have (then the entry is not used).
    pub(crate) fn diagnostics(
        &self,
        path: &Arc<PathBuf>,
        rule_ids: &[&'static str],
    ) -> Option<Vec<Diagnostic>> {
        self.diagnostics
            .iter()
            .map(|d| {
                let rule = *rule_ids.iter().find(|id| **id == d.rule)?;
                let arc = |p: &PathBuf| {
                    if p == path.as_ref() {
                        path.clone()
                    } else {
                        Arc::new(p.clone())
                    }
                };
                Some(Diagnostic {
                    rule,
                    severity: d.severity,
                    path: path.clone(),
                    range: d.range,
                    message: d.message.clone(),
                    note: d.note.clone(),
                    help: d.help.clone(),
                    labels: d
                        .labels
                        .iter()
                        .map(|(p, range, message)| Label {
                            path: arc(p),
                            range: *range,
                            message: message.clone(),
                        })
                        .collect(),
                    fix: d.fix.as_ref().map(|f| Fix {
                        title: f.title.clone(),
                        applicability: f.applicability,
                        edits: f.edits.clone(),
                        file: f.file.as_ref().map(arc),
                    }),
                })
            })
            .collect()
    }

    pub(crate) fn stash(&self, rule_ids: &[&'static str]) -> Option<Vec<(&'static str, Stash)>> {
        self.stash
            .iter()
            .map(|(rule, bytes)| {
                let rule = *rule_ids.iter().find(|id| **id == rule)?;
                Some((rule, bytes.clone().into_boxed_slice()))
            })
            .collect()
    }
}

impl From<&Diagnostic> for CachedDiagnostic {
    fn from(d: &Diagnostic) -> CachedDiagnostic {
        CachedDiagnostic {
            rule: d.rule.to_owned(),
            severity: d.severity,
            range: d.range,
            message: d.message.clone(),
            note: d.note.clone(),
            help: d.help.clone(),
            labels: d
                .labels
                .iter()
                .map(|l| (l.path.as_ref().clone(), l.range, l.message.clone()))
                .collect(),
            fix: d.fix.as_ref().map(|f| CachedFix {
                title: f.title.clone(),
                applicability: f.applicability,
                edits: f.edits.clone(),
                file: f.file.as_ref().map(|p| p.as_ref().clone()),
            }),
        }
    }
}
