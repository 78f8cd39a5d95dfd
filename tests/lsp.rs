//! `nestlint lsp`, driven over standard input and output as an editor drives it: the real binary,
//! JSON-RPC framed by hand (`Content-Length` headers), on a copy of the example app.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(30);

/// The protocol's `FileChangeType`.
#[derive(Clone, Copy)]
enum FileChange {
    Created = 1,
    Changed = 2,
    Deleted = 3,
}

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// Notifications seen while waiting for something else.
    seen: Vec<Value>,
    /// What the server wrote to its standard error (also passed on to the test's).
    stderr: Arc<Mutex<String>>,
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

impl Client {
    fn start(root: &Path, capabilities: Value) -> Client {
        Client::start_in(&[root], capabilities)
    }

    fn start_in(roots: &[&Path], capabilities: Value) -> Client {
        Client::start_with(roots, capabilities, &[])
    }

    /// Starts the server with `env` set.
    fn start_with(roots: &[&Path], capabilities: Value, env: &[(&str, &str)]) -> Client {
        let root = roots[0];
        let mut child = Command::new(env!("CARGO_BIN_EXE_nestlint"))
            .arg("lsp")
            .current_dir(root)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nestlint lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut errors = BufReader::new(child.stderr.take().unwrap());
        let written = stderr.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            while errors.read_line(&mut line).unwrap_or(0) > 0 {
                eprint!("{line}");
                written.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let (sender, messages) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(value) = line.strip_prefix("Content-Length: ") {
                        length = value.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let message: Value = serde_json::from_slice(&body).expect("JSON from the server");
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            messages,
            next_id: 0,
            seen: Vec::new(),
            stderr,
        };
        let result = client.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(root),
                "workspaceFolders": roots
                    .iter()
                    .map(|root| json!({"uri": uri(root), "name": "app"}))
                    .collect::<Vec<_>>(),
                "capabilities": capabilities,
            }),
        );
        assert_eq!(result["serverInfo"]["name"], "nestlint", "{result}");
        client.notify("initialized", json!({}));
        client
    }

    fn write(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.write(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its response (`result` or `error`), answering the server's
    /// own requests meanwhile.
    fn request_raw(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.write(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.next_message();
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message;
            }
            self.handle(message);
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        assert!(response.get("error").is_none(), "{method}: {response}");
        response["result"].clone()
    }

    fn next_message(&mut self) -> Value {
        match self.messages.recv_timeout(TIMEOUT) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => panic!("no message from the server in {TIMEOUT:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// A request from the server is answered; a notification is kept.
    fn handle(&mut self, message: Value) {
        if let (Some(id), Some(_)) = (message.get("id"), message.get("method")) {
            let id = id.clone();
            self.write(&json!({"jsonrpc": "2.0", "id": id, "result": null}));
        } else {
            self.seen.push(message);
        }
    }

    /// The next `publishDiagnostics` for `path` (pushed mode).
    fn diagnostics(&mut self, path: &Path) -> Vec<Value> {
        let wanted = uri(path);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(at) = self.seen.iter().position(|m| {
                m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == wanted
            }) {
                let message = self.seen.remove(at);
                return message["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
            assert!(Instant::now() < deadline, "no diagnostics for {wanted}");
            let message = self.next_message();
            self.handle(message);
        }
    }

    fn open(&mut self, path: &Path) {
        let text = std::fs::read_to_string(path).unwrap();
        self.open_text(path, &text);
    }

    /// Opens `path` with `text` in the editor (which need not be what is on disk).
    fn open_text(&mut self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(path), "languageId": "typescript", "version": 1, "text": text}}),
        );
    }

    fn change(&mut self, path: &Path, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(path), "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    /// `workspace/didChangeWatchedFiles` for one file, as an editor's watcher sends it.
    fn watched(&mut self, path: &Path, change: FileChange) {
        self.notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [{"uri": uri(path), "type": change as u8}]}),
        );
    }

    /// How many lines of the server's standard error contain `needle` so far.
    fn stderr_lines(&self, needle: &str) -> usize {
        self.stderr
            .lock()
            .unwrap()
            .lines()
            .filter(|line| line.contains(needle))
            .count()
    }

    fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status}");
                return;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    let mut codes: Vec<String> = diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_owned())
        .collect();
    codes.sort();
    codes
}

fn example_copy() -> (tempfile::TempDir, PathBuf) {
    let scratch = tempfile::tempdir().unwrap();
    let app = scratch.path().join("app");
    common::copy_tree(&common::repo_root().join("examples/shop-api"), &app);
    let app = app.canonicalize().unwrap();
    (scratch, app)
}

/// Applies LSP text edits (UTF-16 positions; the example app is ASCII) to `text`.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |position: &Value| {
        let line = position["line"].as_u64().unwrap() as usize;
        let character = position["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + character
    };
    let mut edits: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    edits.sort_by_key(|edit| std::cmp::Reverse(edit.0));
    let mut out = text.to_owned();
    for (start, end, new_text) in edits {
        out.replace_range(start..end, &new_text);
    }
    out
}

#[test]
fn pushed_diagnostics_follow_edits_fixes_suppressions_and_other_files() {
    let (_scratch, app) = example_copy();
    let mut client = Client::start(&app, json!({}));
    let service = app.join("src/orders/orders.service.ts");
    client.open(&service);
    let diagnostics = client.diagnostics(&service);
    assert_eq!(
        codes(&diagnostics),
        ["valid-repository-injection"],
        "{diagnostics:?}"
    );
    let finding = &diagnostics[0];
    assert_eq!(finding["source"], "nestlint");
    assert_eq!(finding["severity"], 1);
    assert_eq!(
        finding["range"]["start"],
        json!({"line": 8, "character": 39})
    );
    assert!(finding["codeDescription"]["href"]
        .as_str()
        .unwrap()
        .ends_with("docs/rules/valid-repository-injection.md"));

    // Quick fixes at the finding: the rule's fix, and the two suppressions.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&service)}, "range": finding["range"], "context": {"diagnostics": [finding]}}),
    );
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.iter().any(|t| t.contains("InjectRepository")),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Suppress valid-repository-injection for this line"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Suppress valid-repository-injection for this file"),
        "{titles:?}"
    );
    let fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().contains("InjectRepository"))
        .unwrap();
    assert_eq!(fix["isPreferred"], true, "{fix}");
    let edits = fix["edit"]["changes"][uri(&service)].as_array().unwrap();
    let text = std::fs::read_to_string(&service).unwrap();
    let fixed = apply(&text, edits);
    assert!(fixed.contains("@InjectRepository(Order)"), "{fixed}");

    // The edit, as the editor sends it: the finding goes.
    client.change(&service, 2, &fixed);
    assert_eq!(codes(&client.diagnostics(&service)), Vec::<String>::new());

    // Back to the original, then the line suppression: gone again, and no unused suppression.
    client.change(&service, 3, &text);
    assert_eq!(
        codes(&client.diagnostics(&service)),
        ["valid-repository-injection"]
    );
    let suppress = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().ends_with("for this line"))
        .unwrap();
    let suppressed = apply(
        &text,
        suppress["edit"]["changes"][uri(&service)]
            .as_array()
            .unwrap(),
    );
    client.change(&service, 4, &suppressed);
    assert_eq!(
        codes(&client.diagnostics(&service)),
        Vec::<String>::new(),
        "{suppressed}"
    );

    // Hover on the rule id in the suppression comment: the rule's documentation.
    let comment_line = suppressed.lines().nth(8).unwrap();
    let column = comment_line.find("valid-repository-injection").unwrap() + 3;
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&service)}, "position": {"line": 8, "character": column}}),
    );
    let value = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(
        value.starts_with("# valid-repository-injection"),
        "{comment_line}: {hover}"
    );

    // Hover on the finding: the rule's documentation.
    client.change(&service, 5, &text);
    client.diagnostics(&service);
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&service)}, "position": {"line": 8, "character": 45}}),
    );
    let value = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(value.starts_with("# valid-repository-injection"), "{hover}");

    // Cross-file: the controller's finding depends on users.module.ts. Fixing the module on
    // disk (not open) clears the controller's finding once the editor says the file changed.
    let controller = app.join("src/users/users.controller.ts");
    client.open(&controller);
    let diagnostics = client.diagnostics(&controller);
    let before = codes(&diagnostics);
    assert!(
        before.contains(&"resolvable-dependencies".to_owned()),
        "{before:?}"
    );
    // The module whose context lacks the dependency is the finding's related location.
    let resolution = diagnostics
        .iter()
        .find(|d| d["code"] == "resolvable-dependencies")
        .unwrap();
    let related = &resolution["relatedInformation"][0];
    assert_eq!(
        related["location"]["uri"],
        uri(&app.join("src/users/users.module.ts")),
        "{resolution}"
    );
    assert!(
        related["message"]
            .as_str()
            .unwrap()
            .contains("UsersModule's context"),
        "{resolution}"
    );
    let module = app.join("src/users/users.module.ts");
    let module_text = std::fs::read_to_string(&module).unwrap();
    let mended = common::users_module_with_jwt(&module_text);
    std::fs::write(&module, &mended).unwrap();
    client.watched(&module, FileChange::Changed);
    let after = codes(&client.diagnostics(&controller));
    assert!(
        !after.contains(&"resolvable-dependencies".to_owned()),
        "{after:?}"
    );

    // A malformed request is answered with an error; the server goes on.
    let response = client.request_raw("textDocument/hover", json!({"nonsense": true}));
    assert_eq!(response["error"]["code"], -32602, "{response}");
    let response = client.request_raw("nestlint/unknown", json!({}));
    assert_eq!(response["error"]["code"], -32601, "{response}");
    client.change(&service, 6, "export const broken = (;\n\u{0}");
    client.diagnostics(&service);

    client.shutdown();
}

#[test]
fn pulled_diagnostics_fix_all_and_a_configuration_error() {
    let (_scratch, app) = example_copy();
    let capabilities = json!({
        "textDocument": {"diagnostic": {"dynamicRegistration": false}},
        "general": {"positionEncodings": ["utf-8", "utf-16"]},
    });
    let mut client = Client::start(&app, capabilities);
    let service = app.join("src/orders/orders.service.ts");
    client.open(&service);
    let report = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri(&service)}}),
    );
    assert_eq!(report["kind"], "full", "{report}");
    assert_eq!(
        codes(report["items"].as_array().unwrap()),
        ["valid-repository-injection"]
    );
    let workspace = client.request("workspace/diagnostic", json!({"previousResultIds": []}));
    let files = workspace["items"].as_array().unwrap().len();
    assert!(files >= 6, "{workspace}");

    // Fix all (safe fixes only): the repository injection is fixed.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&service)}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "context": {"diagnostics": [], "only": ["source.fixAll.nestlint"]}}),
    );
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0]["kind"], "source.fixAll.nestlint");
    let edits = actions[0]["edit"]["changes"][uri(&service)]
        .as_array()
        .unwrap();
    let fixed = apply(&std::fs::read_to_string(&service).unwrap(), edits);
    assert!(fixed.contains("@InjectRepository(Order)"), "{fixed}");

    // A broken configuration: a message, a diagnostic on the file, and the server goes on;
    // mended, the findings come back.
    let config = app.join("nestlint.toml");
    std::fs::write(&config, "[rules]\nno-such-rule = \"error\"\n").unwrap();
    client.watched(&config, FileChange::Created);
    let report = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri(&service)}}),
    );
    assert_eq!(report["items"], json!([]), "{report}");
    assert!(
        client
            .seen
            .iter()
            .any(|m| m["method"] == "window/showMessage"
                && m["params"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("no-such-rule")),
        "{:?}",
        client.seen
    );
    let on_config = client.diagnostics(&config);
    assert_eq!(on_config.len(), 1, "{on_config:?}");
    std::fs::write(&config, "[rules]\nroutes-guarded = \"off\"\n").unwrap();
    client.watched(&config, FileChange::Changed);
    let report = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri(&service)}}),
    );
    assert_eq!(
        codes(report["items"].as_array().unwrap()),
        ["valid-repository-injection"]
    );
    // The mended file's diagnostic is taken back (the client pulls, but that one was pushed).
    assert_eq!(client.diagnostics(&config), Vec::<Value>::new());
    client.shutdown();
}

#[test]
fn progress_several_folders_and_files_that_go_away() {
    let (_first_scratch, first) = example_copy();
    let (_second_scratch, second) = example_copy();
    let capabilities = json!({"window": {"workDoneProgress": true}});
    let mut client = Client::start_in(&[&first, &second], capabilities);
    let first_service = first.join("src/orders/orders.service.ts");
    let second_service = second.join("src/orders/orders.service.ts");
    client.open(&first_service);
    client.open(&second_service);
    assert_eq!(
        codes(&client.diagnostics(&first_service)),
        ["valid-repository-injection"]
    );
    assert_eq!(
        codes(&client.diagnostics(&second_service)),
        ["valid-repository-injection"]
    );

    // Indexing each folder was reported as progress, begun and ended.
    let progress: Vec<&str> = client
        .seen
        .iter()
        .filter(|m| m["method"] == "$/progress")
        .map(|m| m["params"]["value"]["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        progress.iter().filter(|k| **k == "begin").count(),
        2,
        "{progress:?}"
    );
    assert_eq!(
        progress.iter().filter(|k| **k == "end").count(),
        2,
        "{progress:?}"
    );

    // A file deleted while open, a binary file, a file of 5 MB: reported or skipped, never
    // the end of the server.
    std::fs::remove_file(&second_service).unwrap();
    client.watched(&second_service, FileChange::Deleted);
    client.diagnostics(&second_service);
    let binary = first.join("src/blob.ts");
    std::fs::write(&binary, b"\0\x01\x02export const x = 1;\0").unwrap();
    client.watched(&binary, FileChange::Created);
    client.open_text(&binary, "\u{0}\u{1}export const x = 1;");
    client.diagnostics(&binary);
    let huge = first.join("src/huge.ts");
    let text = "export const value = 1;\n".repeat(220_000);
    std::fs::write(&huge, &text).unwrap();
    client.open_text(&huge, &text);
    client.diagnostics(&huge);
    assert!(
        client
            .seen
            .iter()
            .any(|m| m["method"] == "window/logMessage"
                && m["params"]["message"]
                    .as_str()
                    .is_some_and(|text| text.contains("huge.ts") && text.contains("skipped"))),
        "{:?}",
        client.seen
    );
    // A file outside every workspace folder: linted on its own (its directory is not walked).
    let loose = first.parent().unwrap().join("loose.ts");
    std::fs::write(
        &loose,
        "import { JwtModule } from '@nestjs/jwt';\n\nexport const jwt = JwtModule.register({ secret: 'hunter2-hunter2' });\n",
    )
    .unwrap();
    client.open(&loose);
    assert_eq!(
        codes(&client.diagnostics(&loose)),
        ["no-hardcoded-jwt-secret"]
    );

    // A new file, opened before it exists and then saved, without watched-file events: linted
    // once saved.
    let fresh = first.join("src/fresh.ts");
    let fresh_text = "import { JwtModule } from '@nestjs/jwt';\n\nexport const jwt = JwtModule.register({ secret: 'hunter2-hunter2' });\n";
    client.open_text(&fresh, fresh_text);
    assert_eq!(codes(&client.diagnostics(&fresh)), Vec::<String>::new());
    std::fs::write(&fresh, fresh_text).unwrap();
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri(&fresh)}}),
    );
    assert_eq!(
        codes(&client.diagnostics(&fresh)),
        ["no-hardcoded-jwt-secret"]
    );

    // Still answering, with the first folder's findings intact.
    client.change(
        &first_service,
        2,
        &std::fs::read_to_string(&first_service).unwrap(),
    );
    assert_eq!(
        codes(&client.diagnostics(&first_service)),
        ["valid-repository-injection"]
    );
    client.shutdown();
}

#[test]
fn a_monorepo_app_has_the_same_findings_opened_from_its_root_or_its_own_folder() {
    let scratch = tempfile::tempdir().unwrap();
    let repo = scratch.path().join("monorepo");
    common::copy_tree(
        &common::repo_root().join("fixtures/projects/monorepo"),
        &repo,
    );
    let repo = repo.canonicalize().unwrap();
    let module = repo.join("apps/admin/src/app.module.ts");
    for folder in [repo.clone(), repo.join("apps/admin")] {
        let mut client = Client::start(&folder, json!({}));
        client.open(&module);
        assert_eq!(
            codes(&client.diagnostics(&module)),
            ["routes-guarded"],
            "opened from {}",
            folder.display()
        );
        client.shutdown();
    }
}

#[test]
fn configuration_changes_are_seen_without_watched_file_events() {
    let (_scratch, app) = example_copy();
    // No capabilities: the client reports no file changes (Neovim 0.7 does not).
    let mut client = Client::start(&app, json!({}));
    let service = app.join("src/orders/orders.service.ts");
    let text = std::fs::read_to_string(&service).unwrap();
    client.open(&service);
    assert_eq!(
        codes(&client.diagnostics(&service)),
        ["valid-repository-injection"]
    );

    // A new nestlint.toml turns the rule off: seen at the next lint (any edit).
    let config = app.join("nestlint.toml");
    std::fs::write(&config, "[rules]\nvalid-repository-injection = \"off\"\n").unwrap();
    client.change(&service, 2, &text);
    assert_eq!(codes(&client.diagnostics(&service)), Vec::<String>::new());

    // Broken: said, and no findings; mended: the findings come back.
    std::fs::write(&config, "[rules]\nno-such-rule = \"error\"\n").unwrap();
    client.change(&service, 3, &text);
    assert_eq!(codes(&client.diagnostics(&service)), Vec::<String>::new());
    assert!(
        client
            .seen
            .iter()
            .any(|m| m["method"] == "window/showMessage"),
        "{:?}",
        client.seen
    );
    std::fs::write(&config, "[rules]\nvalid-repository-injection = \"warn\"\n").unwrap();
    client.change(&service, 4, &text);
    let diagnostics = client.diagnostics(&service);
    assert_eq!(codes(&diagnostics), ["valid-repository-injection"]);
    assert_eq!(diagnostics[0]["severity"], 2, "{diagnostics:?}");
    client.shutdown();
}

#[test]
fn with_watched_files_an_edit_that_changes_no_fact_is_linted_alone() {
    let (_scratch, app) = example_copy();
    let capabilities =
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}});
    // The server says on its standard error how each lint went.
    let mut client = Client::start_with(&[&app], capabilities, &[("NESTLINT_TIMINGS", "1")]);
    let service = app.join("src/orders/orders.service.ts");
    let text = std::fs::read_to_string(&service).unwrap();
    client.open(&service);
    let diagnostics = client.diagnostics(&service);
    assert_eq!(codes(&diagnostics), ["valid-repository-injection"]);
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({"line": 8, "character": 39})
    );

    // A comment above everything moves every fact: the file alone is linted again, and the
    // project rule's finding moves with it.
    let noted = format!("// Orders are never deleted, only cancelled.\n{text}");
    client.change(&service, 2, &noted);
    let diagnostics = client.diagnostics(&service);
    assert_eq!(codes(&diagnostics), ["valid-repository-injection"]);
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({"line": 9, "character": 39})
    );
    let deadline = Instant::now() + TIMEOUT;
    while client.stderr_lines("edited documents alone") == 0 {
        assert!(Instant::now() < deadline, "the edit was not linted alone");
        std::thread::sleep(Duration::from_millis(20));
    }

    // Its fix was left out of that lint (it edits the edited file); asked for, it comes, and
    // fits the text as it is now.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&service)}, "range": diagnostics[0]["range"], "context": {"diagnostics": [diagnostics[0]]}}),
    );
    let fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().contains("InjectRepository"))
        .unwrap_or_else(|| panic!("no fix offered: {actions}"));
    let fixed = apply(
        &noted,
        fix["edit"]["changes"][uri(&service)].as_array().unwrap(),
    );
    assert!(fixed.starts_with("// Orders are never deleted"), "{fixed}");
    assert!(fixed.contains("@InjectRepository(Order)"), "{fixed}");

    // The fix changes facts: the whole project is linted, and the finding goes.
    client.change(&service, 3, &fixed);
    assert_eq!(codes(&client.diagnostics(&service)), Vec::<String>::new());

    // A file changed on disk, as the watcher reports it: every file is looked at again.
    let controller = app.join("src/users/users.controller.ts");
    client.open(&controller);
    assert!(codes(&client.diagnostics(&controller)).contains(&"resolvable-dependencies".to_owned()));
    let module = app.join("src/users/users.module.ts");
    let mended = common::users_module_with_jwt(&std::fs::read_to_string(&module).unwrap());
    std::fs::write(&module, &mended).unwrap();
    client.watched(&module, FileChange::Changed);
    assert!(
        !codes(&client.diagnostics(&controller)).contains(&"resolvable-dependencies".to_owned())
    );
    client.shutdown();
}
