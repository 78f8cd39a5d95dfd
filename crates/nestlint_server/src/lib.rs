//! `nestlint lsp`: the language server. The same engine, configuration, suppressions and fixes
//! as the command line, over the Language Server Protocol on standard input and output.
//!
//! Each workspace folder is a [`Session`]: walked and configured once, then linted again after
//! edits (debounced) with the open documents' texts laid over the files on disk. The cache makes a
//! re-lint re-read only what changed, and every run includes the project pass, so fixing a module
//! in one file clears a finding in another. Files created, deleted or renamed, and configuration
//! changes, rebuild the folder's session.

mod actions;
mod text;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::RecvTimeoutError;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::Notification as _;
use lsp_types::{self as lsp, Uri};
use nestlint_diagnostics::{Diagnostic, Severity};
use nestlint_engine::files::FileStamp;
use nestlint_engine::session::Session;
use nestlint_engine::{LintReport, Linter, RunError, RunOptions};
use serde_json::Value;

pub use actions::minimal_edit;
pub use text::{Encoding, LineIndex};

/// How long the server waits after an edit before linting: typing does not lint every key.
const DEBOUNCE: Duration = Duration::from_millis(60);

/// The code action kind for "fix all" on save.
pub const FIX_ALL_KIND: &str = "source.fixAll.nestlint";

/// What the server needs from the binary that hosts it.
pub struct Host {
    pub linter: Linter,
    /// Each rule's documentation page address.
    pub rule_url: fn(&str) -> String,
    /// Each rule's documentation, in Markdown, for hovers.
    pub rule_docs: fn(&Linter, &str) -> Option<String>,
    /// Worker threads for linting (0: all cores).
    pub threads: usize,
    /// Keep a cache (`.nestlint_cache/` in each workspace folder, as the command line does when
    /// run there).
    pub cache: bool,
}

/// Runs the server on standard input and output until the client says `exit`.
pub fn run_stdio(host: Host) -> Result<(), String> {
    let (connection, io_threads) = Connection::stdio();
    serve(connection, host)?;
    io_threads.join().map_err(|e| e.to_string())
}

/// Runs the server on `connection` (standard input and output, or memory in tests).
pub fn serve(connection: Connection, host: Host) -> Result<(), String> {
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let params: lsp::InitializeParams = match serde_json::from_value(params) {
        Ok(params) => params,
        Err(err) => {
            let message = format!("nestlint: the initialize request is malformed: {err}");
            let response = Response::new_err(id, ErrorCode::InvalidParams as i32, message.clone());
            let _ = connection.sender.send(response.into());
            return Err(message);
        }
    };
    let encoding = negotiate_encoding(&params);
    let pull = params
        .capabilities
        .text_document
        .as_ref()
        .is_some_and(|t| t.diagnostic.is_some());
    let progress = params
        .capabilities
        .window
        .as_ref()
        .and_then(|w| w.work_done_progress)
        .unwrap_or(false);
    let watch = params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.did_change_watched_files.as_ref())
        .is_some_and(|w| w.dynamic_registration == Some(true));
    let result = lsp::InitializeResult {
        capabilities: capabilities(encoding),
        server_info: Some(lsp::ServerInfo {
            name: "nestlint".to_owned(),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        }),
    };
    let result = serde_json::to_value(result).map_err(|e| e.to_string())?;
    connection
        .initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    let mut server = Server {
        connection: &connection,
        host,
        encoding,
        pull,
        progress,
        folders: Vec::new(),
        documents: HashMap::new(),
        dirty: false,
        pushed: HashSet::new(),
        logged: HashSet::new(),
        next_request: 0,
        watch_request: None,
        watching: false,
    };
    for root in workspace_roots(&params) {
        server.add_folder(root);
    }
    if watch {
        server.register_watchers();
    }
    server.main_loop()
}

fn negotiate_encoding(params: &lsp::InitializeParams) -> Encoding {
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    if offered.is_some_and(|kinds| kinds.contains(&lsp::PositionEncodingKind::UTF8)) {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    }
}

fn capabilities(encoding: Encoding) -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => lsp::PositionEncodingKind::UTF8,
            Encoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::FULL),
                save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![
                    lsp::CodeActionKind::QUICKFIX,
                    lsp::CodeActionKind::new(FIX_ALL_KIND),
                ]),
                ..Default::default()
            },
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        diagnostic_provider: Some(lsp::DiagnosticServerCapabilities::Options(
            lsp::DiagnosticOptions {
                identifier: Some("nestlint".to_owned()),
                inter_file_dependencies: true,
                workspace_diagnostics: true,
                work_done_progress_options: Default::default(),
            },
        )),
        workspace: Some(lsp::WorkspaceServerCapabilities {
            workspace_folders: Some(lsp::WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(lsp::OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        ..Default::default()
    }
}

#[allow(deprecated)] // `root_uri` and `root_path`: clients that send no workspace folders.
fn workspace_roots(params: &lsp::InitializeParams) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|folder| path_of(&folder.uri))
        .collect();
    if roots.is_empty() {
        roots.extend(params.root_uri.as_ref().and_then(path_of));
    }
    if roots.is_empty() {
        roots.extend(params.root_path.as_ref().map(PathBuf::from));
    }
    roots
}

/// A `file:` URI's path.
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    url::Url::parse(uri.as_str()).ok()?.to_file_path().ok()
}

/// A path's `file:` URI.
pub fn uri_of(path: &Path) -> Option<Uri> {
    let url = url::Url::from_file_path(path).ok()?;
    Uri::from_str(url.as_str()).ok()
}

struct Folder {
    root: PathBuf,
    session: Option<Session>,
    report: Option<LintReport>,
    /// The session must be built again (files created or deleted, configuration changed).
    stale: bool,
    /// Why the folder cannot be linted (a configuration error), shown once per cause.
    error: Option<String>,
    /// The configuration file that holds the error, with a diagnostic on it, and how it was
    /// then (a change to it is worth another try, watched files or not).
    error_file: Option<(PathBuf, Option<FileStamp>)>,
    /// Open files the last walk left out.
    not_walked: HashSet<PathBuf>,
}

struct Document {
    uri: Uri,
    version: i32,
    text: Arc<str>,
}

struct Server<'a> {
    connection: &'a Connection,
    host: Host,
    encoding: Encoding,
    /// The client pulls diagnostics: none are pushed.
    pull: bool,
    /// The client shows work-done progress (`$/progress`).
    progress: bool,
    folders: Vec<Folder>,
    documents: HashMap<PathBuf, Document>,
    /// Something changed since the last lint.
    dirty: bool,
    /// Documents diagnostics were pushed for (cleared when closed or at shutdown).
    pushed: HashSet<PathBuf>,
    /// Problems already written to the client's log.
    logged: HashSet<String>,
    next_request: u64,
    /// The request registering the file watchers, until the client answers it.
    watch_request: Option<RequestId>,
    /// The client reports changes to files on disk: sessions may trust that what it did not
    /// report is unchanged.
    watching: bool,
}

impl Server<'_> {
    fn main_loop(&mut self) -> Result<(), String> {
        self.lint_now();
        let mut shut_down = false;
        loop {
            let message = if self.dirty && !shut_down {
                match self.connection.receiver.recv_timeout(DEBOUNCE) {
                    Ok(message) => message,
                    Err(RecvTimeoutError::Timeout) => {
                        self.lint_now();
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => return Ok(()),
                }
            } else {
                match self.connection.receiver.recv() {
                    Ok(message) => message,
                    Err(_) => return Ok(()),
                }
            };
            match message {
                Message::Request(request) => {
                    if request.method == <lsp::request::Shutdown as lsp::request::Request>::METHOD {
                        // As the protocol says: answer, then wait for `exit`, answering any
                        // other request with an error (whatever the client sends in between).
                        self.shutdown();
                        self.send(Response::new_ok(request.id, ()).into());
                        shut_down = true;
                        continue;
                    }
                    if shut_down {
                        self.send(
                            Response::new_err(
                                request.id,
                                ErrorCode::InvalidRequest as i32,
                                "nestlint: the server is shutting down".to_owned(),
                            )
                            .into(),
                        );
                        continue;
                    }
                    let id = request.id.clone();
                    let response = match self.request(request) {
                        Ok(value) => Response::new_ok(id, value),
                        Err((code, message)) => {
                            self.log(lsp::MessageType::ERROR, &message);
                            Response::new_err(id, code as i32, message)
                        }
                    };
                    self.send(response.into());
                }
                Message::Notification(notification) => {
                    if notification.method == lsp::notification::Exit::METHOD {
                        return if shut_down {
                            Ok(())
                        } else {
                            Err("exit before shutdown".to_owned())
                        };
                    }
                    if shut_down {
                        continue;
                    }
                    let method = notification.method.clone();
                    if let Err(why) = self.notification(notification) {
                        self.log(
                            lsp::MessageType::ERROR,
                            &format!("nestlint: {method}: {why}"),
                        );
                    }
                }
                Message::Response(response) => self.response(response),
            }
        }
    }

    /// Clears what was published and writes each folder's cache.
    fn shutdown(&mut self) {
        self.clear_pushed();
        let sessions: Vec<Session> = self
            .folders
            .iter_mut()
            .filter_map(|folder| folder.session.take())
            .collect();
        for why in sessions.into_iter().filter_map(Session::save) {
            self.log(lsp::MessageType::WARNING, &format!("nestlint: {why}"));
        }
        self.dirty = false;
    }

    fn send(&self, message: Message) {
        let _ = self.connection.sender.send(message);
    }

    fn notify<N: lsp::notification::Notification>(&self, params: N::Params) {
        self.send(Notification::new(N::METHOD.to_owned(), params).into());
    }

    fn server_request<R: lsp::request::Request>(&mut self, params: R::Params) -> RequestId {
        self.next_request += 1;
        let id = RequestId::from(format!("nestlint-{}", self.next_request));
        self.send(Request::new(id.clone(), R::METHOD.to_owned(), params).into());
        id
    }

    /// The client's answer to a request of ours: the file watchers, once registered, are
    /// trusted to report every change on disk.
    fn response(&mut self, response: Response) {
        if self.watch_request.as_ref() == Some(&response.id) {
            self.watch_request = None;
            if response.response_result.is_ok() {
                self.watching = true;
                for session in self.folders.iter().filter_map(|f| f.session.as_ref()) {
                    session.trust_file_events();
                }
            }
        }
    }

    /// A line in the client's log (the output panel), and nothing else.
    fn log(&self, typ: lsp::MessageType, message: &str) {
        self.notify::<lsp::notification::LogMessage>(lsp::LogMessageParams {
            typ,
            message: message.to_owned(),
        });
    }

    fn register_watchers(&mut self) {
        // Source files (a change anywhere can change a finding elsewhere), and what configures
        // a run: nestlint's own files (and what they extend: any `.toml`), manifests, tsconfig.
        let watchers = [
            "**/*.{ts,tsx,mts,cts}",
            "**/*.toml",
            "**/package.json",
            "**/nest-cli.json",
            "**/tsconfig*.json",
            "**/{.gitignore,.ignore}",
        ]
        .iter()
        .map(|glob| lsp::FileSystemWatcher {
            glob_pattern: lsp::GlobPattern::String((*glob).to_owned()),
            kind: None,
        })
        .collect();
        let options = lsp::DidChangeWatchedFilesRegistrationOptions { watchers };
        let registration = lsp::Registration {
            id: "nestlint-watched-files".to_owned(),
            method: lsp::notification::DidChangeWatchedFiles::METHOD.to_owned(),
            register_options: serde_json::to_value(options).ok(),
        };
        let id = self.server_request::<lsp::request::RegisterCapability>(lsp::RegistrationParams {
            registrations: vec![registration],
        });
        self.watch_request = Some(id);
    }

    fn add_folder(&mut self, root: PathBuf) {
        if self.folders.iter().any(|f| f.root == root) {
            return;
        }
        self.folders.push(Folder {
            root,
            session: None,
            report: None,
            stale: true,
            error: None,
            error_file: None,
            not_walked: HashSet::new(),
        });
        // The longest root first: a file belongs to the innermost folder.
        self.folders
            .sort_by_key(|f| std::cmp::Reverse(f.root.as_os_str().len()));
        self.dirty = true;
    }

    fn folder_of(&self, path: &Path) -> Option<usize> {
        self.folders.iter().position(|f| path.starts_with(&f.root))
    }

    fn options(&self, root: &Path) -> RunOptions {
        RunOptions {
            threads: self.host.threads,
            // A folder may be a single file (opened outside every workspace folder).
            display_base: if root.is_file() {
                root.parent().unwrap_or(root).to_path_buf()
            } else {
                root.to_path_buf()
            },
            // An empty folder is not an error in an editor.
            error_on_unmatched: false,
            // A folder's cache lives in it; a lone file gets none (its directory may be any).
            cache_dir: (self.host.cache && root.is_dir())
                .then(|| root.join(nestlint_engine::cache::DEFAULT_DIR)),
            ..RunOptions::default()
        }
    }

    /// The open documents' texts, to lay over the files on disk; a document larger than the
    /// command line would read is left out (the file on disk is then skipped as too large).
    fn unsaved(&self) -> HashMap<PathBuf, Arc<str>> {
        self.documents
            .iter()
            .filter(|(_, doc)| doc.text.len() as u64 <= nestlint_engine::MAX_FILE_BYTES)
            .map(|(path, doc)| (path.clone(), doc.text.clone()))
            .collect()
    }

    /// Lints every folder (building the sessions that need it), then pushes diagnostics.
    fn lint_now(&mut self) {
        let started = std::time::Instant::now();
        self.dirty = false;
        let unsaved = self.unsaved();
        let mut refresh = false;
        for index in 0..self.folders.len() {
            // An open document the session does not know (created since): walk again.
            let folder = &self.folders[index];
            let unknown = folder.session.as_ref().is_some_and(|session| {
                self.documents.keys().any(|path| {
                    self.folder_of(path) == Some(index)
                        && !session.knows(path)
                        && !folder.not_walked.contains(path)
                        && path.is_file()
                })
            });
            let mut token = None;
            let reconfigured = match (&folder.session, &folder.error_file) {
                (Some(session), _) => session.configuration_changed(),
                (None, Some((file, then))) => FileStamp::of(file) != *then,
                (None, None) => false,
            };
            if self.folders[index].stale || unknown || reconfigured {
                token = self.begin_progress(index);
                self.build_session(index);
                refresh = true;
            }
            self.lint_folder(index, &unsaved, false);
            if let Some(token) = token {
                self.end_progress(token, index);
            }
        }
        if self.pull && refresh {
            self.server_request::<lsp::request::WorkspaceDiagnosticRefresh>(());
        }
        nestlint_engine::phase("the server's lint", started);
        let started = std::time::Instant::now();
        self.publish();
        nestlint_engine::phase("publishing", started);
    }

    /// Lints folder `index` with the open documents' texts, keeping the report.
    /// With `exactly`, every file is looked at and every fix built
    /// ([`nestlint_engine::Linter::lint_session_exactly`]).
    fn lint_folder(&mut self, index: usize, unsaved: &HashMap<PathBuf, Arc<str>>, exactly: bool) {
        let Some(session) = &self.folders[index].session else {
            return;
        };
        // Open files the walk leaves out (ignored, excluded, in `node_modules`): known
        // as such, so that they do not make every lint walk again.
        let not_walked: HashSet<PathBuf> = self
            .documents
            .keys()
            .filter(|path| self.folder_of(path) == Some(index) && !session.knows(path))
            .cloned()
            .collect();
        let linted = guarded(|| {
            if exactly {
                self.host.linter.lint_session_exactly(session, unsaved)
            } else {
                self.host.linter.lint_session(session, unsaved)
            }
        });
        let report = match linted {
            Ok(report) => report,
            Err(why) => {
                // A bug in nestlint, not in the user's code: said, and the server
                // goes on with the last findings.
                self.log(
                    lsp::MessageType::ERROR,
                    &format!(
                        "nestlint: linting {} failed: {why}",
                        self.folders[index].root.display()
                    ),
                );
                return;
            }
        };
        // Why an open document could not be linted (too large, binary, unreadable)
        // goes to the log, once.
        let problems: Vec<String> = report
            .problems
            .iter()
            .filter(|p| self.documents.contains_key(&p.path))
            .map(|p| format!("nestlint: {}: {}", p.path.display(), p.reason))
            .collect();
        for problem in problems {
            if self.logged.insert(problem.clone()) {
                self.log(lsp::MessageType::WARNING, &problem);
            }
        }
        self.folders[index].report = Some(report);
        self.folders[index].not_walked = not_walked;
    }

    /// Starts a progress report for indexing folder `index`, where the client shows them.
    fn begin_progress(&mut self, index: usize) -> Option<lsp::ProgressToken> {
        if !self.progress {
            return None;
        }
        self.next_request += 1;
        let token = lsp::ProgressToken::String(format!("nestlint-index-{}", self.next_request));
        self.server_request::<lsp::request::WorkDoneProgressCreate>(
            lsp::WorkDoneProgressCreateParams {
                token: token.clone(),
            },
        );
        let folder = self.folders[index]
            .root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.notify::<lsp::notification::Progress>(lsp::ProgressParams {
            token: token.clone(),
            value: lsp::ProgressParamsValue::WorkDone(lsp::WorkDoneProgress::Begin(
                lsp::WorkDoneProgressBegin {
                    title: format!("nestlint: indexing {folder}"),
                    cancellable: Some(false),
                    message: Some("walking, reading and linting the project".to_owned()),
                    percentage: None,
                },
            )),
        });
        Some(token)
    }

    fn end_progress(&mut self, token: lsp::ProgressToken, index: usize) {
        let message = match &self.folders[index].report {
            Some(report) => format!(
                "{} files linted, {} read as context",
                report.files_linted, report.context_files
            ),
            None => "the folder cannot be linted (see the log)".to_owned(),
        };
        self.notify::<lsp::notification::Progress>(lsp::ProgressParams {
            token,
            value: lsp::ProgressParamsValue::WorkDone(lsp::WorkDoneProgress::End(
                lsp::WorkDoneProgressEnd {
                    message: Some(message),
                },
            )),
        });
    }

    fn build_session(&mut self, index: usize) {
        let root = self.folders[index].root.clone();
        let options = self.options(&root);
        let folder = &mut self.folders[index];
        folder.stale = false;
        if let Some(why) = folder.session.take().and_then(Session::save) {
            self.log(lsp::MessageType::WARNING, &format!("nestlint: {why}"));
        }
        let folder = &mut self.folders[index];
        let watching = self.watching;
        match self.host.linter.session(&root, &options) {
            Ok(session) => {
                if watching {
                    session.trust_file_events();
                }
                folder.session = Some(session);
                folder.error = None;
                // Mended: the file's diagnostic goes with the next push.
                folder.error_file = None;
            }
            Err(err) => {
                folder.session = None;
                folder.report = None;
                let message = match &err {
                    RunError::Config(config) => format!(
                        "nestlint: {}: {}{}",
                        config.path.display(),
                        config.message,
                        config
                            .help
                            .as_ref()
                            .map(|h| format!(" ({h})"))
                            .unwrap_or_default()
                    ),
                    other => format!("nestlint: {}: {other}", root.display()),
                };
                if folder.error.as_deref() != Some(message.as_str()) {
                    folder.error = Some(message.clone());
                    self.notify::<lsp::notification::ShowMessage>(lsp::ShowMessageParams {
                        typ: lsp::MessageType::ERROR,
                        message: message.clone(),
                    });
                }
                self.log(lsp::MessageType::ERROR, &message);
                // The configuration file itself shows the error.
                if let RunError::Config(config) = &err {
                    self.folders[index].error_file =
                        Some((config.path.clone(), FileStamp::of(&config.path)));
                    self.push_config_error(config);
                }
            }
        }
    }

    fn push_config_error(&mut self, config: &nestlint_engine::ConfigError) {
        let Some(uri) = uri_of(&config.path) else {
            return;
        };
        let range = match (&config.source, config.range) {
            (Some(source), Some(range)) => LineIndex::new(source).range(
                range.start as usize,
                range.end as usize,
                self.encoding,
            ),
            _ => lsp::Range::default(),
        };
        let diagnostic = lsp::Diagnostic {
            range,
            severity: Some(lsp::DiagnosticSeverity::ERROR),
            source: Some("nestlint".to_owned()),
            message: config.message.clone(),
            ..Default::default()
        };
        self.pushed.insert(config.path.clone());
        self.notify::<lsp::notification::PublishDiagnostics>(lsp::PublishDiagnosticsParams {
            uri,
            diagnostics: vec![diagnostic],
            version: None,
        });
    }

    /// Pushes every open document's diagnostics (unless the client pulls them), and clears
    /// what was pushed for files no longer open and configuration errors since mended.
    fn publish(&mut self) {
        let mut now: HashSet<PathBuf> = HashSet::new();
        if !self.pull {
            for (path, doc) in &self.documents {
                let params = lsp::PublishDiagnosticsParams {
                    uri: doc.uri.clone(),
                    diagnostics: self.diagnostics_for(path),
                    version: Some(doc.version),
                };
                self.notify::<lsp::notification::PublishDiagnostics>(params);
                now.insert(path.clone());
            }
        }
        // A configuration error stays on its file until the configuration is mended.
        now.extend(
            self.folders
                .iter()
                .filter_map(|f| f.error_file.as_ref().map(|(file, _)| file.clone())),
        );
        let gone: Vec<PathBuf> = self.pushed.difference(&now).cloned().collect();
        for path in gone {
            self.publish_none(&path);
        }
        self.pushed = now;
    }

    /// Clears what was published for `path`.
    fn publish_none(&self, path: &Path) {
        if let Some(uri) = uri_of(path) {
            self.notify::<lsp::notification::PublishDiagnostics>(lsp::PublishDiagnosticsParams {
                uri,
                diagnostics: Vec::new(),
                version: None,
            });
        }
    }

    fn clear_pushed(&mut self) {
        for path in std::mem::take(&mut self.pushed) {
            self.publish_none(&path);
        }
    }

    /// The text of `path` as the last lint saw it: the open document's, or the report's.
    fn text_of(&self, path: &Path) -> Option<Arc<str>> {
        if let Some(doc) = self.documents.get(path) {
            return Some(doc.text.clone());
        }
        let folder = &self.folders[self.folder_of(path)?];
        folder
            .report
            .as_ref()?
            .sources
            .get(&path.to_path_buf())
            .map(|s| s.text.clone())
    }

    /// The findings in `path`, from its folder's last lint.
    fn findings(&self, path: &Path) -> Vec<&Diagnostic> {
        let Some(folder) = self.folder_of(path).map(|i| &self.folders[i]) else {
            return Vec::new();
        };
        let Some(report) = &folder.report else {
            return Vec::new();
        };
        report
            .diagnostics
            .iter()
            .filter(|d| d.path.as_path() == path)
            .collect()
    }

    fn diagnostics_for(&self, path: &Path) -> Vec<lsp::Diagnostic> {
        let Some(text) = self.text_of(path) else {
            return Vec::new();
        };
        let index = LineIndex::new(&text);
        self.findings(path)
            .into_iter()
            .map(|d| self.to_lsp(d, &index))
            .collect()
    }

    fn to_lsp(&self, d: &Diagnostic, index: &LineIndex<'_>) -> lsp::Diagnostic {
        let related: Vec<lsp::DiagnosticRelatedInformation> = d
            .labels
            .iter()
            .filter_map(|label| {
                let text = self.text_of(&label.path)?;
                let range = LineIndex::new(&text).range(
                    label.range.start as usize,
                    label.range.end as usize,
                    self.encoding,
                );
                Some(lsp::DiagnosticRelatedInformation {
                    location: lsp::Location {
                        uri: uri_of(&label.path)?,
                        range,
                    },
                    message: label.message.clone(),
                })
            })
            .collect();
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let tags = (d.rule == "unused-suppression").then(|| vec![lsp::DiagnosticTag::UNNECESSARY]);
        lsp::Diagnostic {
            range: index.range(d.range.start as usize, d.range.end as usize, self.encoding),
            severity: Some(match d.severity {
                Severity::Error => lsp::DiagnosticSeverity::ERROR,
                Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            }),
            code: Some(lsp::NumberOrString::String(d.rule.to_owned())),
            code_description: Uri::from_str(&(self.host.rule_url)(d.rule))
                .ok()
                .map(|href| lsp::CodeDescription { href }),
            source: Some("nestlint".to_owned()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            tags,
            data: None,
        }
    }

    fn notification(&mut self, notification: Notification) -> Result<(), String> {
        use lsp::notification::*;
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let params: lsp::DidOpenTextDocumentParams = params(notification)?;
                let doc = params.text_document;
                let path = path_of(&doc.uri).ok_or("not a file URI")?;
                if self.folder_of(&path).is_none() {
                    // A file outside every folder is linted as the command line lints a file
                    // named on it: with its package as context (never its whole directory,
                    // which may be a home directory).
                    self.add_folder(path.clone());
                }
                self.documents.insert(
                    path,
                    Document {
                        uri: doc.uri,
                        version: doc.version,
                        text: doc.text.into(),
                    },
                );
                self.dirty = true;
            }
            DidChangeTextDocument::METHOD => {
                let params: lsp::DidChangeTextDocumentParams = params(notification)?;
                let path = path_of(&params.text_document.uri).ok_or("not a file URI")?;
                // Full synchronisation: the last change is the whole text.
                if let (Some(doc), Some(change)) = (
                    self.documents.get_mut(&path),
                    params.content_changes.into_iter().last(),
                ) {
                    doc.text = change.text.into();
                    doc.version = params.text_document.version;
                    self.dirty = true;
                }
            }
            DidSaveTextDocument::METHOD => {
                let params: lsp::DidSaveTextDocumentParams = params(notification)?;
                let path = path_of(&params.text_document.uri).ok_or("not a file URI")?;
                // A file saved for the first time (new) is walked in, watched files or not.
                if let Some(index) = self.folder_of(&path) {
                    let folder = &mut self.folders[index];
                    if folder.not_walked.remove(&path) {
                        folder.stale = true;
                    }
                }
                self.dirty = true;
            }
            DidCloseTextDocument::METHOD => {
                let params: lsp::DidCloseTextDocumentParams = params(notification)?;
                let path = path_of(&params.text_document.uri).ok_or("not a file URI")?;
                self.documents.remove(&path);
                self.dirty = true;
            }
            DidChangeWatchedFiles::METHOD => {
                let params: lsp::DidChangeWatchedFilesParams = params(notification)?;
                for change in params.changes {
                    let Some(path) = path_of(&change.uri) else {
                        continue;
                    };
                    let Some(index) = self.folder_of(&path) else {
                        continue;
                    };
                    let structural =
                        change.typ != lsp::FileChangeType::CHANGED || !is_source(&path);
                    if structural {
                        self.folders[index].stale = true;
                    }
                    if let Some(session) = &self.folders[index].session {
                        session.files_changed();
                    }
                    self.dirty = true;
                }
            }
            DidChangeWorkspaceFolders::METHOD => {
                let params: lsp::DidChangeWorkspaceFoldersParams = params(notification)?;
                for removed in params.event.removed {
                    if let Some(root) = path_of(&removed.uri) {
                        self.folders.retain(|f| f.root != root);
                    }
                }
                for added in params.event.added {
                    if let Some(root) = path_of(&added.uri) {
                        self.add_folder(root);
                    }
                }
                self.dirty = true;
            }
            DidChangeConfiguration::METHOD => {
                for folder in &mut self.folders {
                    folder.stale = true;
                }
                self.dirty = true;
            }
            _ => {}
        }
        Ok(())
    }

    fn request(&mut self, request: Request) -> Result<Value, (ErrorCode, String)> {
        use lsp::request::*;
        let invalid = |err: String| (ErrorCode::InvalidParams, err);
        let to_value = |value: Result<Value, serde_json::Error>| {
            value.map_err(|e| (ErrorCode::InternalError, e.to_string()))
        };
        match request.method.as_str() {
            DocumentDiagnosticRequest::METHOD => {
                let params: lsp::DocumentDiagnosticParams =
                    params_of(request.params).map_err(invalid)?;
                self.settle();
                let path = path_of(&params.text_document.uri)
                    .ok_or_else(|| invalid("not a file URI".to_owned()))?;
                let report = lsp::DocumentDiagnosticReportResult::Report(
                    lsp::DocumentDiagnosticReport::Full(lsp::RelatedFullDocumentDiagnosticReport {
                        related_documents: None,
                        full_document_diagnostic_report: lsp::FullDocumentDiagnosticReport {
                            result_id: None,
                            items: self.diagnostics_for(&path),
                        },
                    }),
                );
                to_value(serde_json::to_value(report))
            }
            WorkspaceDiagnosticRequest::METHOD => {
                self.settle();
                let mut paths: BTreeMap<PathBuf, ()> = BTreeMap::new();
                for folder in &self.folders {
                    for d in folder.report.iter().flat_map(|r| &r.diagnostics) {
                        paths.insert(d.path.as_ref().clone(), ());
                    }
                }
                let items = paths
                    .into_keys()
                    .filter_map(|path| {
                        let uri = uri_of(&path)?;
                        let version = self.documents.get(&path).map(|d| i64::from(d.version));
                        Some(lsp::WorkspaceDocumentDiagnosticReport::Full(
                            lsp::WorkspaceFullDocumentDiagnosticReport {
                                uri,
                                version,
                                full_document_diagnostic_report:
                                    lsp::FullDocumentDiagnosticReport {
                                        result_id: None,
                                        items: self.diagnostics_for(&path),
                                    },
                            },
                        ))
                    })
                    .collect();
                let report =
                    lsp::WorkspaceDiagnosticReportResult::Report(lsp::WorkspaceDiagnosticReport {
                        items,
                    });
                to_value(serde_json::to_value(report))
            }
            CodeActionRequest::METHOD => {
                let params: lsp::CodeActionParams = params_of(request.params).map_err(invalid)?;
                self.settle();
                if let Some(path) = path_of(&params.text_document.uri) {
                    self.complete_fixes(&path);
                }
                let actions = self.code_actions(&params);
                to_value(serde_json::to_value(actions))
            }
            HoverRequest::METHOD => {
                let params: lsp::HoverParams = params_of(request.params).map_err(invalid)?;
                self.settle();
                to_value(serde_json::to_value(self.hover(&params)))
            }
            other => Err((
                ErrorCode::MethodNotFound,
                format!("nestlint: no handler for {other}"),
            )),
        }
    }

    /// Lints now if an edit is waiting, so that an answer never describes an older text.
    fn settle(&mut self) {
        if self.dirty {
            self.lint_now();
        }
    }

    /// Lints `path`'s folder again in full when its last lint left fixes out (an edited
    /// document was linted alone): code actions offer every fix.
    fn complete_fixes(&mut self, path: &Path) {
        let Some(index) = self.folder_of(path) else {
            return;
        };
        let pending = self.folders[index]
            .report
            .as_ref()
            .is_some_and(|report| report.fixes_pending);
        if pending {
            let unsaved = self.unsaved();
            self.lint_folder(index, &unsaved, true);
        }
    }
}

/// Runs `work`, turning a panic (a bug in nestlint) into an error: the server outlives it.
pub(crate) fn guarded<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_owned())
    })
}

fn is_source(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "ts" | "tsx" | "mts" | "cts"))
}

fn params<P: serde::de::DeserializeOwned>(notification: Notification) -> Result<P, String> {
    params_of(notification.params)
}

fn params_of<P: serde::de::DeserializeOwned>(value: Value) -> Result<P, String> {
    serde_json::from_value(value).map_err(|e| format!("malformed parameters: {e}"))
}
