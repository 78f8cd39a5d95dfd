//! Machine-facing output formats: JSON, SARIF 2.1.0, GitHub workflow annotations, JUnit XML,
//! GitLab code quality, Checkstyle XML, and per-rule statistics. Each takes the finished report;
//! paths are relative to the working directory with `/` separators, lines and columns are 1-based
//! and count Unicode code points.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use nestlint_diagnostics::{Applicability, Diagnostic, Severity, SourceText, TextRange};
use nestlint_engine::{FixAvailability, LintReport, Rule, RuleMeta};
use serde_json::{json, Value};

/// The version of the `--format json` schema (`docs/json-format.md`); bumped on breaking changes.
pub const JSON_FORMAT_VERSION: u32 = 1;

pub struct Output<'a> {
    pub report: &'a LintReport,
    pub rules: &'a [Box<dyn Rule>],
    /// Whether the run itself completed (no write or read failure that makes it unreliable).
    pub success: bool,
}

/// A position as every format reports it.
#[derive(Clone, Copy)]
struct Position {
    line: usize,
    column: usize,
    offset: usize,
}

struct Located {
    path: String,
    start: Position,
    end: Position,
}

fn locate(
    sources: &HashMap<Arc<PathBuf>, SourceText>,
    path: &Arc<PathBuf>,
    range: TextRange,
) -> Located {
    match sources.get(path) {
        Some(source) => {
            let at = |offset: usize| {
                let lc = source.index.line_column(&source.text, offset);
                Position {
                    line: lc.line,
                    column: lc.column,
                    offset,
                }
            };
            Located {
                path: shown_path(sources, path),
                start: at(range.start()),
                end: at(range.end()),
            }
        }
        None => {
            let origin = Position {
                line: 1,
                column: 1,
                offset: range.start(),
            };
            Located {
                path: shown_path(sources, path),
                start: origin,
                end: origin,
            }
        }
    }
}

/// The path as reported: relative to the working directory when nestlint read the file.
fn shown_path(sources: &HashMap<Arc<PathBuf>, SourceText>, path: &Arc<PathBuf>) -> String {
    match sources.get(path) {
        Some(source) => slashes(&source.display),
        None => slashes(&path.display().to_string()),
    }
}

fn slashes(path: &str) -> String {
    path.replace('\\', "/")
}

fn meta<'r>(rules: &'r [Box<dyn Rule>], id: &str) -> Option<&'r RuleMeta> {
    rules.iter().map(|r| r.meta()).find(|m| m.id == id)
}

fn applicability_name(applicability: Applicability) -> &'static str {
    match applicability {
        Applicability::Safe => "safe",
        Applicability::Unsafe => "unsafe",
        Applicability::DisplayOnly => "display-only",
    }
}

fn position_json(position: Position) -> Value {
    json!({ "line": position.line, "column": position.column, "offset": position.offset })
}

// ---- JSON ----

pub fn json(output: &Output<'_>) -> String {
    let report = output.report;
    let diagnostics: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let at = locate(&report.sources, &d.path, d.range);
            let labels: Vec<Value> = d
                .labels
                .iter()
                .map(|label| {
                    let at = locate(&report.sources, &label.path, label.range);
                    json!({
                        "path": at.path,
                        "start": position_json(at.start),
                        "end": position_json(at.end),
                        "message": label.message,
                    })
                })
                .collect();
            let fix = d.fix.as_ref().map(|fix| {
                let target = fix.target(&d.path);
                let edits: Vec<Value> = fix
                    .edits
                    .iter()
                    .map(|edit| {
                        let at = locate(&report.sources, target, edit.range);
                        json!({
                            "start": position_json(at.start),
                            "end": position_json(at.end),
                            "content": edit.replacement.as_ref(),
                        })
                    })
                    .collect();
                json!({
                    "title": fix.title,
                    "applicability": applicability_name(fix.applicability),
                    "path": shown_path(&report.sources, target),
                    "edits": edits,
                })
            });
            json!({
                "rule": d.rule,
                "category": meta(output.rules, d.rule).map(|m| m.category.as_str()),
                "severity": d.severity.as_str(),
                "message": d.message,
                "note": d.note,
                "help": d.help,
                "path": at.path,
                "start": position_json(at.start),
                "end": position_json(at.end),
                "labels": labels,
                "fix": fix,
            })
        })
        .collect();
    let errors = count(report, Severity::Error);
    let document = json!({
        "version": JSON_FORMAT_VERSION,
        "tool": { "name": "nestlint", "version": env!("CARGO_PKG_VERSION") },
        "summary": {
            "files": report.files_linted,
            "errors": errors,
            "warnings": report.diagnostics.len() - errors,
        },
        "diagnostics": diagnostics,
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

fn count(report: &LintReport, severity: Severity) -> usize {
    report
        .diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .count()
}

// ---- SARIF ----

/// The rule's documentation page in the repository (generated by `nestlint generate-docs`).
pub fn rule_url(id: &str) -> String {
    format!(
        "{}/blob/main/docs/rules/{id}.md",
        env!("CARGO_PKG_REPOSITORY")
    )
}

/// The first paragraph of the rule's "What it does" section, as plain text of at most 1024 chars.
fn full_description(meta: &RuleMeta) -> String {
    let body = meta
        .docs
        .split("## What it does")
        .nth(1)
        .unwrap_or(meta.docs)
        .trim_start();
    let paragraph = body.split("\n\n").next().unwrap_or(meta.summary);
    let text = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = if text.is_empty() {
        meta.summary.to_owned()
    } else {
        text
    };
    truncate(&text, 1024)
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max - 1).collect();
    format!("{cut}…")
}

/// `valid-repository-injection` → `ValidRepositoryInjection`: SARIF wants a `name` that reads as
/// a name and differs from the opaque `id`.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn sarif_region(at: &Located) -> Value {
    json!({
        "startLine": at.start.line,
        "startColumn": at.start.column,
        "endLine": at.end.line,
        "endColumn": at.end.column,
    })
}

pub fn sarif(output: &Output<'_>) -> String {
    let report = output.report;
    // One `rules[]` entry per reported rule, in id order; results point at them by index.
    let mut reported: Vec<&'static str> = report.diagnostics.iter().map(|d| d.rule).collect();
    reported.sort_unstable();
    reported.dedup();
    let rule_index: HashMap<&str, usize> = reported
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i))
        .collect();
    let rules: Vec<Value> = reported
        .iter()
        .map(|id| {
            let Some(meta) = meta(output.rules, id) else {
                return json!({ "id": id, "name": id });
            };
            // The `security` category's tag is what makes GitHub file a security alert.
            let tags = ["nestjs", meta.category.as_str()];
            json!({
                "id": meta.id,
                "name": pascal_case(meta.id),
                "shortDescription": { "text": truncate(meta.summary, 1024) },
                "fullDescription": { "text": full_description(meta) },
                "help": {
                    "text": format!("{} See {}", meta.summary, rule_url(meta.id)),
                    "markdown": meta.docs,
                },
                "helpUri": rule_url(meta.id),
                "defaultConfiguration": {
                    "enabled": meta.enabled_by_default,
                    "level": sarif_level(meta.default_severity),
                },
                "properties": {
                    "tags": tags,
                    "precision": "high",
                    "problem.severity": sarif_level(meta.default_severity),
                },
            })
        })
        .collect();
    let mut hashes: HashMap<&Arc<PathBuf>, Vec<String>> = HashMap::new();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let at = locate(&report.sources, &d.path, d.range);
            let fingerprint = report.sources.get(&d.path).and_then(|source| {
                let lines = hashes
                    .entry(&d.path)
                    .or_insert_with(|| line_hashes(&source.text));
                lines.get(at.start.line - 1).cloned()
            });
            let mut result = json!({
                "ruleId": d.rule,
                "ruleIndex": rule_index.get(d.rule).copied().unwrap_or_default(),
                "level": sarif_level(d.severity),
                "message": { "text": sarif_message(d) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": at.path, "uriBaseId": "%SRCROOT%" },
                        "region": sarif_region(&at),
                    }
                }],
            });
            if let Some(fingerprint) = fingerprint {
                result["partialFingerprints"] = json!({ "primaryLocationLineHash": fingerprint });
            }
            if !d.labels.is_empty() {
                let related: Vec<Value> = d
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(i, label)| {
                        let at = locate(&report.sources, &label.path, label.range);
                        json!({
                            "id": i,
                            "message": { "text": label.message },
                            "physicalLocation": {
                                "artifactLocation": { "uri": at.path, "uriBaseId": "%SRCROOT%" },
                                "region": sarif_region(&at),
                            }
                        })
                    })
                    .collect();
                result["relatedLocations"] = Value::Array(related);
            }
            if let Some(fix) = d
                .fix
                .as_ref()
                .filter(|f| f.applicability != Applicability::DisplayOnly)
            {
                let target = fix.target(&d.path);
                let replacements: Vec<Value> = fix
                    .edits
                    .iter()
                    .map(|edit| {
                        let at = locate(&report.sources, target, edit.range);
                        json!({
                            "deletedRegion": sarif_region(&at),
                            "insertedContent": { "text": edit.replacement.as_ref() },
                        })
                    })
                    .collect();
                let uri = shown_path(&report.sources, target);
                result["fixes"] = json!([{
                    "description": {
                        "text": format!("{} ({})", fix.title, applicability_name(fix.applicability))
                    },
                    "artifactChanges": [{
                        "artifactLocation": { "uri": uri, "uriBaseId": "%SRCROOT%" },
                        "replacements": replacements,
                    }],
                }]);
            }
            result
        })
        .collect();
    // Files that could not be linted (unreadable, binary, too large, not UTF-8).
    let cwd = std::env::current_dir().unwrap_or_default();
    let notifications: Vec<Value> = report
        .problems
        .iter()
        .map(|problem| {
            json!({
                "level": "warning",
                "message": { "text": format!("{}.", problem.reason) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": slashes(&nestlint_engine::display_path(&problem.path, &cwd)),
                            "uriBaseId": "%SRCROOT%",
                        }
                    }
                }],
            })
        })
        .collect();
    let working_directory = std::env::current_dir()
        .ok()
        .map(|dir| directory_uri(&dir))
        .unwrap_or_else(|| "file:///".to_owned());
    let document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "nestlint",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": rules,
                }
            },
            "originalUriBaseIds": { "%SRCROOT%": { "uri": working_directory } },
            "invocations": [{
                "executionSuccessful": output.success,
                "workingDirectory": { "uri": working_directory },
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

/// The message with its help, which GitHub shows as the alert's text (its first sentence is the
/// title). Ends with a period, as SARIF's own rules ask.
fn sarif_message(d: &Diagnostic) -> String {
    let mut text = d.message.clone();
    if let Some(help) = &d.help {
        text.push_str(". Help: ");
        text.push_str(help);
    }
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}

/// `file:///abs/dir/` with the path's bytes percent-encoded where a URI needs it.
fn directory_uri(dir: &std::path::Path) -> String {
    let mut path = slashes(&dir.display().to_string());
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    if !path.ends_with('/') {
        path.push('/');
    }
    let mut uri = String::from("file://");
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' | b':' => {
                uri.push(byte as char)
            }
            _ => {
                let _ = write!(uri, "%{byte:02X}");
            }
        }
    }
    uri
}

/// GitHub's `primaryLocationLineHash` for every line of `text` (index 0 is line 1), computed as
/// `github/codeql-action` does when it uploads SARIF: a rolling hash over the next 100 characters
/// that are not spaces or tabs, line endings normalised to `\n`, made unique per file with `:N`.
/// Emitting it ourselves keeps alerts stable for uploads that do not go through that action.
pub fn line_hashes(text: &str) -> Vec<String> {
    const WINDOW: usize = 100;
    const BASE: u64 = 37;
    const END_OF_FILE: u64 = 65535;
    const LF: u64 = b'\n' as u64;
    let first_mod = (0..WINDOW).fold(1u64, |acc, _| acc.wrapping_mul(BASE));
    let mut state = RollingHash {
        window: [0; WINDOW],
        line_at: [0; WINDOW],
        hash: 0,
        index: 0,
        first_mod,
        seen: HashMap::new(),
        hashes: Vec::new(),
    };
    let mut line = 0;
    let mut at_line_start = true;
    let mut after_cr = false;
    // The hash runs over UTF-16 code units, as JavaScript's `charCodeAt` sees the text.
    for unit in text.encode_utf16().map(u64::from).chain([END_OF_FILE]) {
        if unit == u64::from(b' ') || unit == u64::from(b'\t') || (after_cr && unit == LF) {
            after_cr = false;
            continue;
        }
        after_cr = unit == u64::from(b'\r');
        let unit = if after_cr { LF } else { unit };
        state.emit_pending();
        if at_line_start {
            line += 1;
            state.line_at[state.index] = line;
        }
        at_line_start = unit == LF;
        state.push(unit);
    }
    for _ in 0..WINDOW {
        state.emit_pending();
        state.push(0);
    }
    state.hashes
}

/// The state of [`line_hashes`]: a window of the last 100 characters and the hash over it.
struct RollingHash {
    window: [u64; 100],
    /// The line that starts at each window slot (0 for none).
    line_at: [usize; 100],
    hash: u64,
    index: usize,
    first_mod: u64,
    seen: HashMap<u64, usize>,
    hashes: Vec<String>,
}

impl RollingHash {
    /// When the window has come round to a slot where a line started, the hash now covers that
    /// line's 100 characters.
    fn emit_pending(&mut self) {
        let line = self.line_at[self.index];
        if line == 0 {
            return;
        }
        self.line_at[self.index] = 0;
        let n = self.seen.entry(self.hash).or_default();
        *n += 1;
        if self.hashes.len() < line {
            self.hashes.resize(line, String::new());
        }
        self.hashes[line - 1] = format!("{:x}:{n}", self.hash);
    }

    fn push(&mut self, unit: u64) {
        let leaving = self.window[self.index];
        self.window[self.index] = unit;
        self.hash = 37u64
            .wrapping_mul(self.hash)
            .wrapping_add(unit)
            .wrapping_sub(self.first_mod.wrapping_mul(leaving));
        self.index = (self.index + 1) % self.window.len();
    }
}

// ---- GitHub workflow annotations ----

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn github(output: &Output<'_>) -> String {
    let mut out = String::new();
    for d in &output.report.diagnostics {
        let at = locate(&output.report.sources, &d.path, d.range);
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let _ = writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&at.path),
            at.start.line,
            at.start.column,
            at.end.line,
            at.end.column,
            escape_property(&format!("nestlint ({})", d.rule)),
            escape_data(&message)
        );
    }
    out
}

// ---- XML formats ----

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

/// Diagnostics grouped by displayed path, in output order.
fn by_file<'r>(output: &Output<'r>) -> BTreeMap<String, Vec<(&'r Diagnostic, Located)>> {
    let mut files: BTreeMap<String, Vec<(&Diagnostic, Located)>> = BTreeMap::new();
    for d in &output.report.diagnostics {
        let at = locate(&output.report.sources, &d.path, d.range);
        files.entry(at.path.clone()).or_default().push((d, at));
    }
    files
}

pub fn junit(output: &Output<'_>) -> String {
    let files = by_file(output);
    let total = output.report.diagnostics.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"nestlint\" tests=\"{}\" failures=\"{total}\" errors=\"0\">",
        total.max(1)
    );
    if files.is_empty() {
        out.push_str("  <testsuite name=\"nestlint\" tests=\"1\" failures=\"0\" errors=\"0\">\n");
        out.push_str("    <testcase name=\"No problems found\" classname=\"nestlint\"/>\n");
        out.push_str("  </testsuite>\n");
    }
    for (path, diagnostics) in &files {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{n}\" failures=\"{n}\" errors=\"0\">",
            xml(path),
            n = diagnostics.len()
        );
        for (d, at) in diagnostics {
            let _ = writeln!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\">",
                xml(&format!(
                    "{} at {}:{}",
                    d.rule, at.start.line, at.start.column
                )),
                xml(path),
                xml(path),
                at.start.line
            );
            let mut body = format!(
                "{}:{}:{}: {} [{}] {}",
                path, at.start.line, at.start.column, d.severity, d.rule, d.message
            );
            if let Some(help) = &d.help {
                body.push_str("\nhelp: ");
                body.push_str(help);
            }
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                d.severity,
                xml(&d.message),
                xml(&body)
            );
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

pub fn checkstyle(output: &Output<'_>) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n");
    for (path, diagnostics) in by_file(output) {
        let _ = writeln!(out, "  <file name=\"{}\">", xml(&path));
        for (d, at) in diagnostics {
            let _ = writeln!(
                out,
                "    <error line=\"{}\" column=\"{}\" severity=\"{}\" message=\"{}\" source=\"nestlint.{}\"/>",
                at.start.line,
                at.start.column,
                d.severity,
                xml(&d.message),
                d.rule
            );
        }
        out.push_str("  </file>\n");
    }
    out.push_str("</checkstyle>\n");
    out
}

// ---- GitLab code quality ----

pub fn gitlab(output: &Output<'_>) -> String {
    let report = output.report;
    let mut hashes: HashMap<&Arc<PathBuf>, Vec<String>> = HashMap::new();
    let issues: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let at = locate(&report.sources, &d.path, d.range);
            // Stable when unrelated lines move: the rule, the path and the line's content hash.
            let line_hash = report
                .sources
                .get(&d.path)
                .and_then(|source| {
                    hashes
                        .entry(&d.path)
                        .or_insert_with(|| line_hashes(&source.text))
                        .get(at.start.line - 1)
                        .cloned()
                })
                .unwrap_or_default();
            let fingerprint = xxhash_rust::xxh3::xxh3_128(
                format!("{}\0{}\0{}", d.rule, at.path, line_hash).as_bytes(),
            );
            json!({
                "type": "issue",
                "check_name": d.rule,
                "description": d.message,
                "categories": [gitlab_category(meta(output.rules, d.rule))],
                "severity": match d.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                },
                "fingerprint": format!("{fingerprint:032x}"),
                "location": {
                    "path": at.path,
                    "lines": { "begin": at.start.line, "end": at.end.line },
                },
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&issues).unwrap_or_default();
    text.push('\n');
    text
}

/// Code Climate's category names, which GitLab shows.
fn gitlab_category(meta: Option<&RuleMeta>) -> &'static str {
    match meta.map(|m| m.category.as_str()) {
        Some("security") => "Security",
        Some("performance") => "Performance",
        Some("style") => "Style",
        _ => "Bug Risk",
    }
}

// ---- Statistics ----

pub struct RuleCount {
    pub rule: &'static str,
    pub count: usize,
    pub fixable: usize,
    pub severity: Severity,
}

/// Findings per rule, most frequent first, then by id.
pub fn statistics(report: &LintReport) -> Vec<RuleCount> {
    let mut counts: BTreeMap<&'static str, RuleCount> = BTreeMap::new();
    for d in &report.diagnostics {
        let entry = counts.entry(d.rule).or_insert(RuleCount {
            rule: d.rule,
            count: 0,
            fixable: 0,
            severity: d.severity,
        });
        entry.count += 1;
        entry.severity = entry.severity.max(d.severity);
        if d.fix
            .as_ref()
            .is_some_and(|f| f.applicability != Applicability::DisplayOnly)
        {
            entry.fixable += 1;
        }
    }
    let mut rows: Vec<RuleCount> = counts.into_values().collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule.cmp(b.rule)));
    rows
}

pub fn statistics_text(rows: &[RuleCount]) -> String {
    let width = rows.iter().map(|r| r.rule.len()).max().unwrap_or(0);
    let mut out = String::new();
    for row in rows {
        let fixable = if row.fixable > 0 {
            format!("  ({} fixable)", row.fixable)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{:>5}  {:<width$}  {}{fixable}",
            row.count, row.rule, row.severity
        );
    }
    out
}

pub fn statistics_json(rows: &[RuleCount]) -> String {
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| json!({ "rule": r.rule, "count": r.count, "fixable": r.fixable, "severity": r.severity.as_str() }))
        .collect();
    let mut text = serde_json::to_string_pretty(&rows).unwrap_or_default();
    text.push('\n');
    text
}

/// `nestlint rules --format json`.
pub fn rules_json(rules: &[Box<dyn Rule>]) -> String {
    let rows: Vec<Value> = rules
        .iter()
        .map(|rule| {
            let meta = rule.meta();
            json!({
                "id": meta.id,
                "category": meta.category.as_str(),
                "default": match (meta.enabled_by_default, meta.default_severity) {
                    (false, _) => "off",
                    (true, Severity::Error) => "error",
                    (true, Severity::Warning) => "warn",
                },
                "fix": fix_name(meta.fix),
                "summary": meta.summary,
                "url": rule_url(meta.id),
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&rows).unwrap_or_default();
    text.push('\n');
    text
}

pub fn fix_name(fix: FixAvailability) -> &'static str {
    match fix {
        FixAvailability::None => "none",
        FixAvailability::Sometimes => "sometimes",
        FixAvailability::Always => "always",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_hashes_ignore_blanks_and_line_endings_and_count_repeats() {
        let lf = line_hashes("a b\nx\na b\n");
        let crlf = line_hashes("a\tb\r\nx\r\na  b\r\n");
        assert_eq!(lf, crlf);
        assert_eq!(lf.len(), 4);
        // Lines 1 and 3 start the same 100-character window only if what follows matches: here
        // it does not, so their hashes differ; every hash carries its occurrence number.
        assert!(lf.iter().all(|h| h.contains(':')));
        assert_ne!(lf[0], lf[2]);
        // Inserting a line above shifts the line numbers but not the hashes of the lines.
        let shifted = line_hashes("new\na b\nx\na b\n");
        assert_eq!(shifted[1..], lf[..]);
    }

    #[test]
    fn line_hashes_match_the_codeql_action_reference() {
        // Expected values computed by github/codeql-action's `hash` (src/fingerprints.ts) on
        // the same text: CRLF and LF endings, a tab, an empty line, non-ASCII, repeated lines.
        let text = "import { A } from \"a\";\r\n\tconst x = 1;\n\nconst é = \"ü\";\nconst x = 1;\nconst x = 1;\n";
        assert_eq!(
            line_hashes(text),
            vec![
                "672ac4a95e1daefb:1",
                "f274d803dafb8f21:1",
                "9ef4bf7f79182f9b:1",
                "13f8766815e4efd:1",
                "a494ad7fc882ad5f:1",
                "ab6d6e2388194169:1",
                "c129715d7a2bc9a3:1",
            ]
        );
    }

    #[test]
    fn github_commands_escape_their_data_and_properties() {
        assert_eq!(escape_data("50% a\nb"), "50%25 a%0Ab");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn xml_escapes_markup_and_drops_control_characters() {
        assert_eq!(
            xml("<a href=\"x\">&'\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
    }
}
