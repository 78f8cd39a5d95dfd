//! A long-lived view of a workspace for the language server: what to lint is worked out once
//! (walks, configuration, packages), then linted again and again with the editor's unsaved texts
//! laid over the files on disk. The cache makes each run re-read only what changed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::cache::Cache;
use crate::fix::{FixOptions, FixOutcome};
use crate::incremental::Retained;
use crate::run::Prepared;
use crate::{LintReport, Linter, RunError, RunOptions};

/// A workspace folder, prepared for linting.
pub struct Session {
    prepared: Prepared,
    options: RunOptions,
    /// Opened once: every run takes unchanged files from it, and only what differs from it
    /// (the documents being edited) is parsed again. Written by [`Session::save`].
    cache: Option<Cache>,
    /// The caller reports every change to the files on disk ([`Session::files_changed`]): a run
    /// may then take the files as the last run found them, and lint only edited documents again.
    trusts_file_events: AtomicBool,
    /// A file changed on disk since the last full run.
    files_changed: AtomicBool,
    /// What the last full run left for the next to start from.
    retained: Mutex<Option<Retained>>,
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

    /// Promises that [`Session::files_changed`] is called for every change to the files on disk
    /// (an editor watching them). Runs may then trust that what was not reported is unchanged:
    /// an edit that changes no fact is linted in the edited document alone.
    pub fn trust_file_events(&self) {
        self.trusts_file_events.store(true, Ordering::Relaxed);
    }

    /// Files changed on disk: the next run looks at every file again.
    pub fn files_changed(&self) {
        self.files_changed.store(true, Ordering::Relaxed);
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
            trusts_file_events: AtomicBool::new(false),
            files_changed: AtomicBool::new(false),
            retained: Mutex::new(None),
        })
    }

    /// Lints the session's files, with `unsaved` texts in place of what is on disk. When the
    /// session trusts file events and only unsaved texts changed, in ways that change no fact,
    /// only they are linted again; some fixes may then be left out
    /// ([`LintReport::fixes_pending`]).
    pub fn lint_session(
        &self,
        session: &Session,
        unsaved: &HashMap<PathBuf, Arc<str>>,
    ) -> LintReport {
        if session.trusts_file_events.load(Ordering::Relaxed)
            && !session.files_changed.load(Ordering::Relaxed)
        {
            let mut retained = session
                .retained
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(last) = retained.as_mut() {
                let started = std::time::Instant::now();
                let relinted = self.relint_edited(
                    &session.prepared,
                    &session.options,
                    unsaved,
                    session.cache.as_ref(),
                    last,
                );
                match relinted {
                    Ok(report) => {
                        crate::run::phase("edited documents alone", started);
                        return report;
                    }
                    Err(why) if crate::run::timings_on() => {
                        eprintln!("nestlint: timing: the project pass runs: {why}");
                    }
                    Err(_) => {}
                }
                let trees = retained.take().map(|last| last.trees).unwrap_or_default();
                drop(retained);
                return self.lint_session_with_trees(session, unsaved, trees);
            }
        }
        self.lint_session_exactly(session, unsaved)
    }

    /// [`Linter::lint_session`], looking at every file and running the project pass: a report
    /// with every fix.
    pub fn lint_session_exactly(
        &self,
        session: &Session,
        unsaved: &HashMap<PathBuf, Arc<str>>,
    ) -> LintReport {
        self.lint_session_with_trees(session, unsaved, Vec::new())
    }

    /// [`Linter::lint_session_exactly`], the documents' `trees` kept for the next edits.
    fn lint_session_with_trees(
        &self,
        session: &Session,
        unsaved: &HashMap<PathBuf, Arc<str>>,
        trees: Vec<(PathBuf, Arc<str>, nestlint_syntax::Tree)>,
    ) -> LintReport {
        // Cleared first: a change reported while this run goes on is seen by the next.
        let started = std::time::Instant::now();
        let changed = session.files_changed.swap(false, Ordering::Relaxed);
        let retain = session.trusts_file_events.load(Ordering::Relaxed);
        if let Some(cache) = &session.cache {
            cache.trust_unchanged(retain && !changed);
        }
        let (report, files) = self.run_retaining(
            &session.prepared,
            &session.options,
            unsaved,
            session.cache.as_ref(),
            retain,
        );
        if let Some(cache) = &session.cache {
            cache.trust_unchanged(false);
        }
        let retained =
            files.map(|files| Retained::new(unsaved.clone(), files, report.clone(), trees));
        *session
            .retained
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = retained;
        crate::run::phase("the whole run", started);
        report
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
