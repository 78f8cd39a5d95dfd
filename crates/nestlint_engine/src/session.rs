//! A long-lived view of a workspace for the language server: what to lint is worked out once
//! (walks, configuration, packages), then linted again and again with the editor's unsaved texts
//! laid over the files on disk. The cache makes each run re-read only what changed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cache::Cache;
use crate::fix::{FixOptions, FixOutcome};
use crate::run::Prepared;
use crate::{LintReport, Linter, RunError, RunOptions};

/// A workspace folder, prepared for linting.
pub struct Session {
    prepared: Prepared,
    options: RunOptions,
    /// Opened once: every run takes unchanged files from it, and only what differs from it
    /// (the documents being edited) is parsed again. Written by [`Session::save`].
    cache: Option<Cache>,
}

impl Session {
    /// Writes the cache (what went wrong, if anything did).
    pub fn save(self) -> Option<String> {
        self.cache.and_then(Cache::finish)
    }

    /// Whether a file that configures the session changed since it was prepared (its
    /// `nestlint.toml` and what it extends, a `nestlint.toml` created where one would be read,
    /// a package's `package.json`, `nest-cli.json` or `tsconfig.json`): then it must be
    /// prepared again. A few `stat`s; works whether or not the editor reports file changes.
    pub fn configuration_changed(&self) -> bool {
        self.prepared
            .configured_by
            .iter()
            .any(|(path, stamp)| crate::files::FileStamp::of(path) != *stamp)
    }

    /// Whether `path` is a file this session lints or reads.
    pub fn knows(&self, path: &Path) -> bool {
        self.prepared.knows(path)
    }
}

impl Linter {
    /// Prepares `root` for repeated linting with `options` (its walk, configuration and
    /// packages). Created, deleted and renamed files, and configuration changes, need a new
    /// session; edits do not.
    pub fn session(&self, root: &Path, options: &RunOptions) -> Result<Session, RunError> {
        let prepared = self.prepare(&[root.to_path_buf()], options)?;
        let cache = options.cache_dir.as_deref().map(|dir| {
            let mut cache = Cache::open(dir, &self.rule_ids);
            cache.keep_between_runs();
            cache
        });
        Ok(Session {
            prepared,
            options: options.clone(),
            cache,
        })
    }

    /// Lints the session's files, with `unsaved` texts in place of what is on disk.
    pub fn lint_session(
        &self,
        session: &Session,
        unsaved: &HashMap<PathBuf, Arc<str>>,
    ) -> LintReport {
        self.run_with_cache(
            &session.prepared,
            &session.options,
            unsaved,
            session.cache.as_ref(),
        )
    }

    /// The fixes `fix` allows for the findings in `file`, applied in memory (as `--fix` does,
    /// round after round), with `unsaved` texts in place of what is on disk. A fix may change
    /// other files too (a module that must register a provider): all changed files are returned.
    pub fn fix_in_session(
        &self,
        session: &Session,
        unsaved: &HashMap<PathBuf, Arc<str>>,
        file: &Path,
        mut fix: FixOptions,
    ) -> FixOutcome {
        fix.only_file = Some(file.to_path_buf());
        self.fix_rounds_over(&session.prepared, &session.options, &fix, unsaved.clone())
    }
}
