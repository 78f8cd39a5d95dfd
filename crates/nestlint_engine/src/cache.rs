//! The incremental cache: per file, what the per-file pass produced (facts, the file rules'
//! findings, stashes, suppression comments), keyed by the file's content and the settings that
//! pass depends on. A warm run takes the entries of unchanged files, parses only the others, and
//! runs the project pass on all of them.
//!
//! A file is unchanged when its text hashes to the entry's key. It is not even read when its
//! metadata (modification and change times, size, inode) is what the entry recorded, as ruff and
//! git do; metadata is recorded only for files last modified well before they were read, so an
//! edit in the same clock tick as a read is never missed ("racy git").
//!
//! One directory per cache directory and binary (`<dir>/<binary id>/`). Entries are spread
//! over [`SHARDS`] files by their path's hash, and the project findings have a file of their
//! own, so a run that changed a few files rewrites a few small files, not the whole cache. Each
//! file is replaced atomically (a temporary file renamed over it), so concurrent runs never leave
//! a torn file; files of different runs may sit side by side, which is safe because every entry
//! and the project findings carry the key that proves them. A file that does not decode, or was
//! written by another binary, is ignored and rewritten; nothing in it is trusted beyond what its
//! key proves. Another binary's directory unused for [`STALE_AFTER`] is removed.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use nestlint_diagnostics::{Applicability, Diagnostic, Edit, Fix, Label, Severity, TextRange};
use serde::{Deserialize, Serialize};

use crate::facts::FileFacts;
use crate::index::Stash;
use crate::suppress::Directive;

/// The cache directory's name where none is given (in the directory nestlint runs in).
pub const DEFAULT_DIR: &str = ".nestlint_cache";

/// What starts every cache file, and its format's version.
const MAGIC: &[u8; 8] = b"NLCACHE6";

/// How many files a cache's entries are spread over.
const SHARDS: usize = 16;

/// Another binary's cache directory not written for this long is removed (an upgrade leaves its
/// predecessor's behind; two versions in use side by side each keep writing theirs).
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// The cache of one run.
pub struct Cache {
    /// This binary's directory in the cache directory.
    home: PathBuf,
    dir: PathBuf,
    binary: String,
    /// The files as read, per shard, then the project findings' file: entries point into them,
    /// and are decoded only when used (in the parallel file pass, not all at once when the run
    /// starts).
    buffers: Vec<Arc<[u8]>>,
    /// What the cache held when the run started: per path, its identity and where its encoded
    /// results lie.
    loaded: ByPath<(Identity, Slot)>,
    /// What this run read or produced, by path: written back when the run ends.
    used: Mutex<ByPath<Entry>>,
    /// Per shard: something new was put there, or its file was unreadable; it must be written.
    dirty: [std::sync::atomic::AtomicBool; SHARDS],
    /// Why the cache file was not used, when it was there but unreadable.
    pub problem: Option<String>,
    /// A session's cache keeps each file's results decoded, by key: the next run (after an
    /// edit elsewhere) takes them as they are instead of decoding thousands of entries again.
    decoded: Option<std::sync::RwLock<ByPath<(Identity, FilePass)>>>,
    /// A session's imports as the index resolved them (see `ImportMemo`).
    imports: Option<crate::index::ImportMemo>,
    /// A session's files outside its walk, as each input's imports lead to them.
    context: Option<ContextMemo>,
    /// The last run's project findings, as the file held them: the project's key and where
    /// they lie in `buffer`.
    loaded_project: Option<(u128, std::ops::Range<usize>)>,
    /// The project findings this run recorded (see [`Cache::record_project_findings`]).
    project: Mutex<Option<(u128, Arc<[u8]>)>>,
    /// No file changed on disk since the last run (the editor says so): a session takes the
    /// results it keeps without a look at the files' metadata.
    trusting: std::sync::atomic::AtomicBool,
}

/// Per input of a session's runs (by position: a session's inputs do not change), the files
/// outside the walk its imports lead to, with the facts that answer is for; `None` where the
/// answer needed a look at the disk (it is asked again every run).
#[derive(Default)]
pub(crate) struct ContextMemo {
    by_input: Mutex<Vec<ContextAnswer>>,
}

/// An input's facts and the files outside the walk they lead to; `None`: not kept.
pub(crate) type ContextAnswer = Option<(Arc<FileFacts>, Vec<PathBuf>)>;

impl ContextMemo {
    /// What the last run kept, if it was for `inputs` inputs.
    pub(crate) fn take(&self, inputs: usize) -> Vec<ContextAnswer> {
        self.by_input
            .lock()
            .ok()
            .map(|mut kept| std::mem::take(&mut *kept))
            .filter(|kept| kept.len() == inputs)
            .unwrap_or_default()
    }

    pub(crate) fn keep(&self, answers: Vec<ContextAnswer>) {
        if let Ok(mut kept) = self.by_input.lock() {
            *kept = answers;
        }
    }
}

/// What the per-file pass produced for a file: what the cache stores, and what a session's
/// cache keeps decoded.
#[derive(Clone, Default)]
pub(crate) struct FilePass {
    pub facts: Arc<FileFacts>,
    pub diagnostics: Vec<Diagnostic>,
    pub stash: Vec<(&'static str, Stash)>,
    pub directives: Vec<Directive>,
    pub parse_error: bool,
    pub limited: bool,
    /// Facts still encoded (see [`PendingFacts`]); `facts` holds their imports meanwhile.
    pub pending: Option<PendingFacts>,
}

/// A table keyed by a path's bytes (hashing a `Path` walks its components).
type ByPath<V> = HashMap<Box<[u8]>, V, foldhash::fast::RandomState>;

fn path_key(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

/// The shard a path's entry lives in.
fn shard_of(path: &[u8]) -> usize {
    (xxhash_rust::xxh3::xxh3_64(path) % SHARDS as u64) as usize
}

/// Where a loaded entry's encoded results lie: a shard's buffer, and the range in it.
#[derive(Clone)]
struct Slot {
    shard: usize,
    range: std::ops::Range<usize>,
}

/// One file's entry: its identity and its encoded results (in a loaded file, or new).
enum Entry {
    Loaded(Identity, Slot),
    New(Identity, Arc<[u8]>),
}

/// Where an entry's encoded results are.
enum Stored {
    Loaded(Slot),
    New(Arc<[u8]>),
}

/// What says an entry belongs to a file as it is now.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Identity {
    /// The text's hash and the settings: see [`key`].
    pub key: u128,
    /// The text's hash alone, so that a file whose metadata matches need not be read.
    pub text: u128,
    /// The file's metadata when it was read, when it can vouch for the text (see [`Stat`]).
    pub stat: Option<Stat>,
}

impl Identity {
    /// Whether this entry is the file's as it is now, by its metadata alone (`stat`), for
    /// these settings.
    fn vouches_for(&self, stat: Stat, parts: &KeyParts) -> bool {
        self.stat == Some(stat) && self.key == key(self.text, parts)
    }
}

/// A file's metadata, as far as it says whether the file changed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Stat {
    modified_ns: u64,
    changed_ns: u64,
    size: u64,
    inode: u64,
}

/// Metadata newer than this when the file was read cannot vouch for its text: a write within
/// the file system's timestamp granularity of the read would leave it unchanged.
const RACY_WINDOW: std::time::Duration = std::time::Duration::from_secs(2);

impl Stat {
    /// The metadata of a regular file, when it can vouch for the text read after it.
    pub(crate) fn of(metadata: &std::fs::Metadata) -> Option<Stat> {
        if !metadata.is_file() {
            return None;
        }
        let modified = metadata.modified().ok()?;
        let age = std::time::SystemTime::now().duration_since(modified).ok()?;
        if age < RACY_WINDOW {
            return None;
        }
        let nanos = |time: std::time::SystemTime| {
            time.duration_since(std::time::UNIX_EPOCH)
                .ok()
                .and_then(|d| u64::try_from(d.as_nanos()).ok())
        };
        #[cfg(unix)]
        let (changed_ns, inode) = {
            use std::os::unix::fs::MetadataExt;
            let changed = u64::try_from(metadata.ctime())
                .ok()?
                .checked_mul(1_000_000_000)?
                .checked_add(u64::try_from(metadata.ctime_nsec()).ok()?)?;
            (changed, metadata.ino())
        };
        #[cfg(not(unix))]
        let (changed_ns, inode) = (0, 0);
        Some(Stat {
            modified_ns: nanos(modified)?,
            changed_ns,
            size: metadata.len(),
            inode,
        })
    }

    fn write(stat: Option<Stat>, out: &mut Vec<u8>) {
        let fields = stat.map_or([0; 4], |s| [s.modified_ns, s.changed_ns, s.size, s.inode]);
        out.push(u8::from(stat.is_some()));
        for field in fields {
            out.extend_from_slice(&field.to_le_bytes());
        }
    }
}

/// The per-file pass's results, as stored, but for the facts: they come last, after these, and
/// are decoded only when a run needs them (a run whose project findings are recorded needs only
/// each file's imports, which the facts start with).
#[derive(Deserialize)]
pub(crate) struct CachedOutcome {
    diagnostics: Vec<CachedDiagnostic>,
    stash: StoredStash,
    pub directives: Vec<Directive>,
    pub parse_error: bool,
    pub limited: bool,
}

/// The same, borrowing what the file pass produced, with the facts (encoded exactly as
/// [`CachedOutcome`] and then [`FileFacts`] decode: postcard writes a borrowed slice as it
/// writes a vector).
#[derive(Serialize)]
struct OutcomeOut<'a> {
    diagnostics: Vec<CachedDiagnostic>,
    stash: Vec<(&'static str, &'a [u8])>,
    directives: &'a [Directive],
    parse_error: bool,
    limited: bool,
    facts: &'a FileFacts,
}

/// A file's facts as the cache holds them, not yet decoded: `FilePass::facts` holds only their
/// imports and re-exports meanwhile.
#[derive(Clone)]
pub(crate) struct PendingFacts {
    bytes: Arc<[u8]>,
    range: std::ops::Range<usize>,
}

impl PendingFacts {
    #[cfg(test)]
    pub(crate) fn from_bytes(bytes: &[u8]) -> PendingFacts {
        PendingFacts {
            bytes: Arc::from(bytes),
            range: 0..bytes.len(),
        }
    }

    /// The facts, when they decode.
    pub(crate) fn decode(&self) -> Option<FileFacts> {
        postcard::from_bytes(self.bytes.get(self.range.clone())?).ok()
    }
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

/// A file's stash as stored: per rule id, its bytes.
pub(crate) type StoredStash = Vec<(String, Vec<u8>)>;

/// What the project pass's findings depend on: every file's key ([`key`]), and the rest
/// (`context`: where each file lies, the packages, which project rules run). `key` is both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProjectState {
    pub key: u128,
    pub context: u128,
    /// Per input, in order.
    pub files: Vec<u128>,
}

/// What a file's key is made of besides its text.
pub(crate) struct KeyParts {
    pub settings: u64,
    pub is_target: bool,
    pub is_test: bool,
    pub in_nest_package: bool,
}

/// The hash of a file's text.
pub(crate) fn text_hash(text: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(text.as_bytes())
}

/// A file's key: its text's hash, and what else the per-file pass depends on.
pub(crate) fn key(text_hash: u128, parts: &KeyParts) -> u128 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(&text_hash.to_le_bytes());
    hasher.update(&parts.settings.to_le_bytes());
    hasher.update(&[
        u8::from(parts.is_target),
        u8::from(parts.is_test),
        u8::from(parts.in_nest_package),
    ]);
    hasher.digest128()
}

impl Cache {
    /// Opens the cache in `dir` (nothing is created until [`Cache::save`]). `rules` are the ids
    /// of the binary's rules, part of what the binary is.
    pub fn open(dir: &Path, rules: &[&str]) -> Cache {
        let binary = binary_id(rules);
        let home = dir.join(&binary[..16]);
        let mut cache = Cache {
            home,
            dir: dir.to_path_buf(),
            binary,
            buffers: Vec::with_capacity(SHARDS + 1),
            loaded: ByPath::default(),
            used: Mutex::new(ByPath::default()),
            dirty: Default::default(),
            problem: None,
            decoded: None,
            loaded_project: None,
            project: Mutex::new(None),
            trusting: std::sync::atomic::AtomicBool::new(false),
            imports: None,
            context: None,
        };
        for shard in 0..=SHARDS {
            let file = cache.file_of(shard);
            let mut buffer: Arc<[u8]> = Arc::from(Vec::new());
            // A regular file only, read without blocking (a FIFO put there cannot hang the run).
            let problem = match crate::files::read_limited(&file, MAX_CACHE_BYTES) {
                Ok(bytes) => match read_entries(&bytes, &cache.binary) {
                    Ok((entries, project)) => {
                        let slot = |range| Slot { shard, range };
                        if shard == SHARDS {
                            cache.loaded_project = project;
                        } else {
                            cache.loaded.reserve(entries.len());
                            cache.loaded.extend(
                                entries
                                    .into_iter()
                                    .filter(|(path, _)| shard_of(path) == shard)
                                    .map(|(path, (identity, range))| {
                                        (path, (identity, slot(range)))
                                    }),
                            );
                        }
                        buffer = Arc::from(bytes);
                        None
                    }
                    Err(why) => Some(why),
                },
                Err(crate::files::ReadError::Missing) => None,
                Err(error) => Some(error.to_string()),
            };
            if let Some(why) = problem {
                cache.problem.get_or_insert(why);
                if let Some(dirty) = cache.dirty.get(shard) {
                    dirty.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
            cache.buffers.push(buffer);
        }
        cache
    }

    /// The file of a shard; `SHARDS` names the project findings' file.
    fn file_of(&self, shard: usize) -> PathBuf {
        if shard == SHARDS {
            self.home.join("project.bin")
        } else {
            self.home.join(format!("{shard:02}.bin"))
        }
    }

    fn mark_dirty(&self, path: &[u8]) {
        self.dirty[shard_of(path)].store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Keeps results between runs, decoded, with what the index and the context files made of
    /// them (a language server's session runs again and again).
    pub(crate) fn keep_between_runs(&mut self) {
        self.decoded = Some(std::sync::RwLock::new(ByPath::default()));
        self.imports = Some(crate::index::ImportMemo::default());
        self.context = Some(ContextMemo::default());
    }

    pub(crate) fn context_memo(&self) -> Option<&ContextMemo> {
        self.context.as_ref()
    }

    pub(crate) fn import_memo(&self) -> Option<&crate::index::ImportMemo> {
        self.imports.as_ref()
    }

    /// The results of `path` kept decoded under `key`, if any.
    pub(crate) fn recall(&self, path: &Path, key: u128) -> Option<(Identity, FilePass)> {
        let decoded = self.decoded.as_ref()?.read().ok()?;
        let (found, pass) = decoded.get(path_key(path))?;
        (found.key == key).then(|| (*found, pass.clone()))
    }

    /// The results of `path` kept decoded, and their identity, when its metadata is what they
    /// were recorded with and they are for these settings: one lookup, no read.
    pub(crate) fn recall_unread(
        &self,
        path: &Path,
        stat: Stat,
        parts: &KeyParts,
    ) -> Option<(Identity, FilePass)> {
        let decoded = self.decoded.as_ref()?.read().ok()?;
        let (found, pass) = decoded.get(path_key(path))?;
        found
            .vouches_for(stat, parts)
            .then(|| (*found, pass.clone()))
    }

    /// Whether the next runs may take files as the last run found them ([`Cache::recall_trusted`]).
    pub(crate) fn trust_unchanged(&self, trust: bool) {
        self.trusting
            .store(trust, std::sync::atomic::Ordering::Relaxed);
    }

    /// The results of `path` kept decoded, when the files are trusted to be unchanged and the
    /// results are those of the file on disk (read and vouched for by its metadata then, not an
    /// editor's unsaved text) for these settings: no look at the file at all.
    pub(crate) fn recall_trusted(
        &self,
        path: &Path,
        parts: &KeyParts,
    ) -> Option<(Identity, FilePass)> {
        if !self.trusting.load(std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        let decoded = self.decoded.as_ref()?.read().ok()?;
        let (found, pass) = decoded.get(path_key(path))?;
        (found.stat.is_some() && found.key == key(found.text, parts))
            .then(|| (*found, pass.clone()))
    }

    /// Keeps `pass` as the results of `path` with `identity`: only a session's cache keeps
    /// any (nothing is cloned otherwise).
    pub(crate) fn remember(&self, path: &Path, identity: Identity, pass: &FilePass) {
        if let Some(mut decoded) = self.decoded.as_ref().and_then(|d| d.write().ok()) {
            decoded.insert(path_key(path).into(), (identity, pass.clone()));
        }
    }

    /// The identity of `path`'s entry when its metadata is what the entry recorded and the
    /// entry is for these settings: the file need not be read.
    pub(crate) fn unread_identity(
        &self,
        path: &Path,
        stat: Stat,
        parts: &KeyParts,
    ) -> Option<Identity> {
        let (found, _) = self.latest(path)?;
        found.vouches_for(stat, parts).then_some(found)
    }

    /// The latest entry of `path`: what this cache put or took for it (a session lints again
    /// and again with one cache), else what the file held.
    fn latest(&self, path: &Path) -> Option<(Identity, Stored)> {
        let key = path_key(path);
        if let Some(entry) = self.used.lock().ok().and_then(|used| match used.get(key) {
            Some(Entry::Loaded(identity, slot)) => Some((*identity, Stored::Loaded(slot.clone()))),
            Some(Entry::New(identity, bytes)) => Some((*identity, Stored::New(bytes.clone()))),
            None => None,
        }) {
            return Some(entry);
        }
        let (identity, slot) = self.loaded.get(key)?;
        Some((*identity, Stored::Loaded(slot.clone())))
    }

    /// The entry of `path` when it is `identity`'s (and it decodes): its results, its facts (only
    /// their imports outside a session) and the facts still encoded. The entry is kept with
    /// `identity`'s metadata.
    pub(crate) fn get(
        &self,
        path: &Path,
        identity: Identity,
    ) -> Option<(CachedOutcome, FileFacts, Option<PendingFacts>)> {
        let (found, stored) = self.latest(path)?;
        if found.key != identity.key {
            return None;
        }
        let (whole, range): (Arc<[u8]>, std::ops::Range<usize>) = match &stored {
            Stored::Loaded(slot) => (self.buffers.get(slot.shard)?.clone(), slot.range.clone()),
            Stored::New(bytes) => (bytes.clone(), 0..bytes.len()),
        };
        let bytes = whole.get(range.clone())?;
        let (outcome, rest): (CachedOutcome, &[u8]) = postcard::take_from_bytes(bytes).ok()?;
        let facts = PendingFacts {
            range: range.end - rest.len()..range.end,
            bytes: whole.clone(),
        };
        // A session keeps results decoded: the facts now. A run, their imports only.
        let (facts, pending) = if self.decoded.is_some() {
            (facts.decode()?, None)
        } else {
            type Imports = (
                Vec<nestlint_syntax::ImportBinding>,
                Vec<crate::facts::ReExport>,
            );
            let ((imports, reexports), _): (Imports, _) = postcard::take_from_bytes(rest).ok()?;
            let mut partial = FileFacts::default();
            partial.imports = imports;
            partial.reexports = reexports;
            (partial, Some(facts))
        };
        if found.stat != identity.stat {
            // Touched, copied back or first seen settled: recorded, so the next run need not
            // read the file.
            self.mark_dirty(path_key(path));
        }
        if let Ok(mut used) = self.used.lock() {
            let entry = match stored {
                Stored::Loaded(slot) => Entry::Loaded(identity, slot),
                Stored::New(bytes) => Entry::New(identity, bytes),
            };
            used.insert(path_key(path).into(), entry);
        }
        Some((outcome, facts, pending))
    }

    /// Records what the file pass produced for `path` (and keeps it decoded in a session).
    pub(crate) fn put(&self, path: &Path, identity: Identity, results: &FilePass) {
        self.remember(path, identity, results);
        let out = OutcomeOut {
            diagnostics: results
                .diagnostics
                .iter()
                .map(CachedDiagnostic::from)
                .collect(),
            stash: results
                .stash
                .iter()
                .map(|(rule, bytes)| (*rule, &bytes[..]))
                .collect(),
            directives: &results.directives,
            parse_error: results.parse_error,
            limited: results.limited,
            facts: &results.facts,
        };
        let Ok(bytes) = postcard::to_allocvec(&out) else {
            return;
        };
        self.mark_dirty(path_key(path));
        if let Ok(mut used) = self.used.lock() {
            used.insert(path_key(path).into(), Entry::New(identity, bytes.into()));
        }
    }

    /// The project findings recorded for a project with this `key` (by this run, or the last
    /// one), with their rule ids mapped back to the binary's.
    pub(crate) fn project_findings(
        &self,
        key: u128,
        rule_ids: &[&'static str],
    ) -> Option<Vec<Diagnostic>> {
        // The key is read before anything is decoded: most runs that ask are not that project.
        let (found, bytes) = self.recorded_bytes()?;
        if found != key {
            return None;
        }
        Some(Self::decode_project(found, &bytes, rule_ids)?.1)
    }

    /// The project findings recorded last (by this run, or the last one), whatever their
    /// project, with the state of the project they are for.
    pub(crate) fn recorded_project(
        &self,
        rule_ids: &[&'static str],
    ) -> Option<(ProjectState, Vec<Diagnostic>)> {
        let (key, bytes) = self.recorded_bytes()?;
        Self::decode_project(key, &bytes, rule_ids)
    }

    /// The last recorded project findings' key and encoded record.
    fn recorded_bytes(&self) -> Option<(u128, Arc<[u8]>)> {
        let recorded = self.project.lock().ok()?.clone();
        match (recorded, &self.loaded_project) {
            (Some(found), _) => Some(found),
            (None, Some((found, range))) => {
                let project = self.buffers.get(SHARDS)?;
                Some((*found, Arc::from(project.get(range.clone())?)))
            }
            (None, None) => None,
        }
    }

    fn decode_project(
        key: u128,
        bytes: &[u8],
        rule_ids: &[&'static str],
    ) -> Option<(ProjectState, Vec<Diagnostic>)> {
        type Stored = (u128, Vec<u128>, Vec<(PathBuf, Vec<CachedDiagnostic>)>);
        let (context, files, stored): Stored = postcard::from_bytes(bytes).ok()?;
        let mut findings = Vec::new();
        for (path, diagnostics) in stored {
            let path = Arc::new(path);
            for diagnostic in &diagnostics {
                findings.push(diagnostic.restore(&path, rule_ids)?);
            }
        }
        Some((
            ProjectState {
                key,
                context,
                files,
            },
            findings,
        ))
    }

    /// The facts and stash of `path`'s entry as the cache file held it, when it is for `key`
    /// (a file changed since: what it was when the project findings were recorded).
    pub(crate) fn loaded_facts(&self, path: &Path, key: u128) -> Option<(FileFacts, StoredStash)> {
        let (identity, slot) = self.loaded.get(path_key(path))?;
        if identity.key != key {
            return None;
        }
        let bytes = self.buffers.get(slot.shard)?.get(slot.range.clone())?;
        let (outcome, rest): (CachedOutcome, &[u8]) = postcard::take_from_bytes(bytes).ok()?;
        Some((postcard::from_bytes(rest).ok()?, outcome.stash))
    }

    /// Records `findings`, the project pass's over the project in `state`, for the next run.
    pub(crate) fn record_project_findings<'a>(
        &self,
        state: &ProjectState,
        findings: impl Iterator<Item = &'a Diagnostic>,
    ) {
        let mut by_path: std::collections::BTreeMap<&Path, Vec<CachedDiagnostic>> =
            std::collections::BTreeMap::new();
        for diagnostic in findings {
            by_path
                .entry(diagnostic.path.as_path())
                .or_default()
                .push(CachedDiagnostic::from(diagnostic));
        }
        let stored: Vec<(&Path, Vec<CachedDiagnostic>)> = by_path.into_iter().collect();
        let Ok(bytes) = postcard::to_allocvec(&(state.context, &state.files, stored)) else {
            return;
        };
        if let Ok(mut project) = self.project.lock() {
            *project = Some((state.key, bytes.into()));
        }
    }

    /// Writes the cache; what went wrong, as a warning for the user, if anything did.
    pub fn finish(self) -> Option<String> {
        let unread = self.problem.clone();
        let saved = self.save().err();
        match (unread, saved) {
            (_, Some(why)) => Some(format!("the cache could not be written: {why}")),
            (Some(why), None) => Some(format!("the cache was not used ({why}); it was rewritten")),
            (None, None) => None,
        }
    }

    /// Writes what this run used or produced, with the entries of files it did not read that
    /// still exist (another run, on another directory, may want them). Only the shards where
    /// something changed are written. Errors are returned for the caller to report; a cache that
    /// cannot be written costs only speed.
    pub fn save(mut self) -> Result<(), String> {
        let dirty: Vec<bool> = self
            .dirty
            .iter()
            .map(|d| d.load(std::sync::atomic::Ordering::Relaxed))
            .collect();
        let recorded = std::mem::take(&mut self.project)
            .into_inner()
            .unwrap_or_default();
        let project_changed = match (&recorded, &self.loaded_project) {
            (Some((key, data)), Some((loaded, range))) => {
                key != loaded
                    || self.buffers.get(SHARDS).and_then(|b| b.get(range.clone()))
                        != Some(&data[..])
            }
            (Some(_), None) => true,
            (None, _) => false,
        };
        let to_write: Vec<usize> = (0..SHARDS).filter(|&s| dirty[s]).collect();
        if to_write.is_empty() && !project_changed {
            return Ok(());
        }
        let mut by_shard: Vec<Vec<(Box<[u8]>, Entry)>> = (0..SHARDS).map(|_| Vec::new()).collect();
        let used = std::mem::take(&mut self.used)
            .into_inner()
            .unwrap_or_default();
        // A shard that is written keeps the entries of files this run did not read if they still
        // exist. Another shard is left as it is, without a look at its files: an entry of a file
        // gone is never used, only carried until its shard is next written.
        for (path, (identity, slot)) in std::mem::take(&mut self.loaded) {
            if dirty[slot.shard]
                && !used.contains_key(&path)
                && path_from_bytes(&path).is_some_and(|path| path.is_file())
            {
                by_shard[slot.shard].push((path, Entry::Loaded(identity, slot)));
            }
        }
        for (path, entry) in used {
            let shard = shard_of(&path);
            if dirty[shard] {
                by_shard[shard].push((path, entry));
            }
        }
        std::fs::create_dir_all(&self.home).map_err(|e| e.to_string())?;
        let ignore = self.dir.join(".gitignore");
        if !ignore.exists() {
            // As ruff does: the directory ignores itself, wherever it is.
            let _ = std::fs::write(&ignore, "# Created by nestlint.\n*\n");
        }
        for shard in to_write {
            let mut entries = std::mem::take(&mut by_shard[shard]);
            // A stable file for the same entries; by bytes (comparing `Path`s walks components).
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut bytes = self.header(entries.len());
            for (path, entry) in &entries {
                let (identity, data): (Identity, &[u8]) = match entry {
                    Entry::Loaded(identity, slot) => (
                        *identity,
                        self.buffers
                            .get(slot.shard)
                            .and_then(|b| b.get(slot.range.clone()))
                            .unwrap_or_default(),
                    ),
                    Entry::New(identity, data) => (*identity, &data[..]),
                };
                put_chunk(&mut bytes, path);
                bytes.extend_from_slice(&identity.key.to_le_bytes());
                bytes.extend_from_slice(&identity.text.to_le_bytes());
                Stat::write(identity.stat, &mut bytes);
                put_chunk(&mut bytes, data);
            }
            // No project findings in a shard's file (key 0, empty).
            bytes.extend_from_slice(&0u128.to_le_bytes());
            put_chunk(&mut bytes, &[]);
            self.replace(&self.file_of(shard), &bytes)?;
        }
        if let (true, Some((key, data))) = (project_changed, &recorded) {
            let mut bytes = self.header(0);
            bytes.extend_from_slice(&key.to_le_bytes());
            put_chunk(&mut bytes, data);
            self.replace(&self.file_of(SHARDS), &bytes)?;
        }
        remove_stale(&self.dir, &self.home);
        Ok(())
    }

    /// A cache file's start: the magic, this binary's id, the number of entries.
    fn header(&self, entries: usize) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(64 * 1024);
        bytes.extend_from_slice(MAGIC);
        put_chunk(&mut bytes, self.binary.as_bytes());
        bytes.extend_from_slice(&(entries as u64).to_le_bytes());
        bytes
    }

    /// Replaces `file` with `bytes` atomically: a temporary file beside it, renamed over it.
    fn replace(&self, file: &Path, bytes: &[u8]) -> Result<(), String> {
        let mut temporary =
            tempfile::NamedTempFile::new_in(&self.home).map_err(|e| e.to_string())?;
        temporary.write_all(bytes).map_err(|e| e.to_string())?;
        // Readable by whoever can read the directory, as the files it caches are (a temporary
        // file starts private).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = temporary
                .as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644));
        }
        temporary.persist(file).map_err(|e| e.error.to_string())?;
        Ok(())
    }
}

/// Removes what other binaries left in the cache directory and have not written for
/// [`STALE_AFTER`]: their directories, and the single files of earlier cache formats (both named
/// by 16 hexadecimal digits, and holding only what nestlint writes: see [`written_by_nestlint`]).
/// Nothing else there is touched (`--cache-dir` may name a directory that holds more).
fn remove_stale(dir: &Path, home: &Path) {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    let now = std::time::SystemTime::now();
    for entry in listing.flatten() {
        let path = entry.path();
        if path == home {
            continue;
        }
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stem = name.strip_suffix(".bin").unwrap_or(&name);
        if stem.len() != 16 || !stem.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let Ok(metadata) = entry.metadata() else {
            continue;
        };
        let stale = metadata
            .modified()
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if !stale {
            continue;
        }
        if !written_by_nestlint(&path, &metadata) {
            continue;
        }
        let _ = if metadata.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
}

/// Whether `path` is a cache nestlint wrote: a `.bin` file that starts with the cache files'
/// magic (of any format version), or a directory of shard files (`00.bin`..., `project.bin`)
/// and the temporary files their writes leave when interrupted.
fn written_by_nestlint(path: &Path, metadata: &std::fs::Metadata) -> bool {
    let magic_family = &MAGIC[..7];
    if metadata.is_file() {
        let mut start = [0u8; 7];
        return path.extension().is_some_and(|e| e == "bin")
            && std::fs::File::open(path)
                .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut start))
                .is_ok()
            && start == magic_family;
    }
    if !metadata.is_dir() {
        return false;
    }
    let Ok(listing) = std::fs::read_dir(path) else {
        return false;
    };
    listing.flatten().all(|entry| {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let shard = name.strip_suffix(".bin").is_some_and(|stem| {
            stem == "project" || (stem.len() == 2 && stem.bytes().all(|b| b.is_ascii_digit()))
        });
        shard || name.starts_with(".tmp")
    })
}

/// A cache file larger than this is not read (it is rewritten).
const MAX_CACHE_BYTES: u64 = 1 << 30;

/// A length (`u64`, little-endian) then the bytes.
fn put_chunk(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Reads the file's frame: every entry's path, identity and where its data lies. Nothing is trusted:
/// a length past the end, a path that is not one, a count that does not match, and the file is
/// not used.
#[allow(clippy::type_complexity)]
fn read_entries(
    bytes: &[u8],
    binary: &str,
) -> Result<
    (
        ByPath<(Identity, std::ops::Range<usize>)>,
        Option<(u128, std::ops::Range<usize>)>,
    ),
    String,
> {
    let broken = || "unreadable: its frame is broken".to_owned();
    let mut at = MAGIC.len();
    if bytes.get(..at) != Some(MAGIC.as_slice()) {
        return Err("not a nestlint cache file".to_owned());
    }
    let mut take = |len: usize| -> Result<std::ops::Range<usize>, String> {
        let end = at.checked_add(len).filter(|&end| end <= bytes.len());
        let range = at..end.ok_or_else(broken)?;
        at = range.end;
        Ok(range)
    };
    let word = |take: &mut dyn FnMut(usize) -> Result<std::ops::Range<usize>, String>| {
        let range = take(8)?;
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&bytes[range]);
        Ok::<u64, String>(u64::from_le_bytes(raw))
    };
    let number = |take: &mut dyn FnMut(usize) -> Result<std::ops::Range<usize>, String>| {
        usize::try_from(word(take)?).map_err(|_| broken())
    };
    let id_len = number(&mut take)?;
    let id = take(id_len)?;
    if &bytes[id] != binary.as_bytes() {
        return Err("written by another nestlint build".to_owned());
    }
    let count = number(&mut take)?;
    let mut entries =
        ByPath::with_capacity_and_hasher(count.min(bytes.len() / 32), Default::default());
    for _ in 0..count {
        let path_len = number(&mut take)?;
        let path = take(path_len)?;
        // Written by `as_encoded_bytes` on this platform; checked as UTF-8 elsewhere.
        path_from_bytes(&bytes[path.clone()]).ok_or_else(broken)?;
        let path: Box<[u8]> = bytes[path].into();
        let hash = |take: &mut dyn FnMut(usize) -> Result<std::ops::Range<usize>, String>| {
            let mut raw = [0u8; 16];
            raw.copy_from_slice(&bytes[take(16)?]);
            Ok::<u128, String>(u128::from_le_bytes(raw))
        };
        let key = hash(&mut take)?;
        let text = hash(&mut take)?;
        let has_stat = bytes[take(1)?] == [1];
        let mut fields = [0u64; 4];
        for field in &mut fields {
            *field = word(&mut take)?;
        }
        let stat = has_stat.then_some(Stat {
            modified_ns: fields[0],
            changed_ns: fields[1],
            size: fields[2],
            inode: fields[3],
        });
        let data_len = number(&mut take)?;
        let data = take(data_len)?;
        entries.insert(path, (Identity { key, text, stat }, data));
    }
    let mut raw = [0u8; 16];
    raw.copy_from_slice(&bytes[take(16)?]);
    let project_key = u128::from_le_bytes(raw);
    let project_len = number(&mut take)?;
    let project = take(project_len)?;
    if at != bytes.len() {
        return Err(broken());
    }
    let project = (!project.is_empty()).then_some((project_key, project));
    Ok((entries, project))
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> Option<PathBuf> {
    std::str::from_utf8(bytes).ok().map(PathBuf::from)
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
    /// The findings, for `path`, with their rule ids mapped back to the binary's; `None` when
    /// one names a rule this binary does not have (then the entry is not used).
    pub(crate) fn diagnostics(
        &self,
        path: &Arc<PathBuf>,
        rule_ids: &[&'static str],
    ) -> Option<Vec<Diagnostic>> {
        self.diagnostics
            .iter()
            .map(|d| d.restore(path, rule_ids))
            .collect()
    }

    pub(crate) fn stash(&self, rule_ids: &[&'static str]) -> Option<Vec<(&'static str, Stash)>> {
        self.stash
            .iter()
            .map(|(rule, bytes)| {
                let rule = *rule_ids.iter().find(|id| **id == rule)?;
                Some((rule, Stash::from(bytes.as_slice())))
            })
            .collect()
    }
}

impl CachedDiagnostic {
    /// The finding in `path`, its rule id mapped back to the binary's; `None` when it names a
    /// rule this binary does not have.
    fn restore(&self, path: &Arc<PathBuf>, rule_ids: &[&'static str]) -> Option<Diagnostic> {
        let d = self;
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
