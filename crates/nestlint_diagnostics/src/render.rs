//! Renderers. `render_pretty` is for people at a terminal (codespan-reporting), `render_concise` is
//! the stable one-line-per-diagnostic interface scripts rely on, and `render_plain` is the
//! renderer-independent text that fixture snapshots store.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use termcolor::Buffer;

use crate::line_index::clamp_to_char_boundary;
use crate::{Applicability, Diagnostic, LineIndex, Severity};

/// The text of a file as the renderers need it.
#[derive(Clone, Debug)]
pub struct SourceText {
    /// The path as shown to the user (relative to the working directory where possible).
    pub display: String,
    pub text: Arc<str>,
    pub index: Arc<LineIndex>,
}

impl SourceText {
    pub fn new(display: String, text: Arc<str>) -> Self {
        let index = Arc::new(LineIndex::new(&text));
        Self {
            display,
            text,
            index,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorMode {
    Always,
    Never,
}

/// `text` as an OSC 8 terminal hyperlink to `url` (only for terminals known to support it: others
/// may print the sequence).
pub fn hyperlink(url: &str, text: &str) -> String {
    format!("\x1b]8;;{url}\x1b\\{text}\x1b]8;;\x1b\\")
}

/// `<path>:<line>:<column>: <severity> [<rule-id>] <message>`, one line per diagnostic.
pub fn render_concise(
    diagnostics: &[Diagnostic],
    sources: &HashMap<Arc<PathBuf>, SourceText>,
) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let (display, position) = locate(diagnostic, sources);
        let _ = writeln!(
            out,
            "{}:{}:{}: {} [{}] {}",
            display,
            position.0,
            position.1,
            diagnostic.severity,
            diagnostic.rule,
            diagnostic.message
        );
    }
    out
}

fn locate(
    diagnostic: &Diagnostic,
    sources: &HashMap<Arc<PathBuf>, SourceText>,
) -> (String, (usize, usize)) {
    match sources.get(&diagnostic.path) {
        Some(source) => {
            let lc = source
                .index
                .line_column(&source.text, diagnostic.range.start());
            (printable_path(&source.display), (lc.line, lc.column))
        }
        None => (
            printable_path(&diagnostic.path.display().to_string()),
            (1, 1),
        ),
    }
}

/// A path as a line-oriented output shows it: control characters escaped (`\n`, `\t`,
/// `\u{1b}`), so that a file named with a newline cannot split a `path:line:col` line in two.
/// Machine formats (JSON, SARIF, XML) keep the path as it is, escaped by their own rules.
pub fn printable_path(path: &str) -> String {
    if !path.chars().any(char::is_control) {
        return path.to_owned();
    }
    path.chars()
        .map(|c| match c {
            '\n' => "\\n".to_owned(),
            '\r' => "\\r".to_owned(),
            '\t' => "\\t".to_owned(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Source excerpts with the span underlined, the rule id, message, note and help. With
/// `rule_url`, the rule id is a terminal hyperlink (OSC 8) to that address.
pub fn render_pretty(
    diagnostics: &[Diagnostic],
    sources: &HashMap<Arc<PathBuf>, SourceText>,
    color: ColorMode,
    rule_url: Option<&dyn Fn(&str) -> String>,
) -> String {
    let mut files = SimpleFiles::new();
    let mut file_ids: HashMap<PathBuf, usize> = HashMap::new();
    let mut file_id = |path: &Arc<PathBuf>| -> Option<usize> {
        if let Some(&id) = file_ids.get(path.as_path()) {
            return Some(id);
        }
        let source = sources.get(path)?;
        let id = files.add(printable_path(&source.display), source.text.clone());
        file_ids.insert(path.to_path_buf(), id);
        Some(id)
    };
    let prepared: Vec<cs::Diagnostic<usize>> = diagnostics
        .iter()
        .map(|diagnostic| {
            let severity = match diagnostic.severity {
                Severity::Error => cs::Severity::Error,
                Severity::Warning => cs::Severity::Warning,
            };
            let code = match rule_url {
                Some(url) => hyperlink(&url(diagnostic.rule), diagnostic.rule),
                None => diagnostic.rule.to_owned(),
            };
            let mut out = cs::Diagnostic::new(severity)
                .with_code(code)
                .with_message(&diagnostic.message);
            let mut labels = Vec::new();
            let mut notes = Vec::new();
            // A line too long to show (minified or generated code) is named, not printed.
            let too_long = |path: &Arc<PathBuf>, range: crate::TextRange| {
                let source = sources.get(path)?;
                let length = long_line(source, range)?;
                let lc = source.index.line_column(&source.text, range.start());
                Some(format!(
                    "at {}:{}:{} (a line of {length} bytes, longer than the {MAX_SHOWN_LINE} shown)",
                    printable_path(&source.display),
                    lc.line,
                    lc.column
                ))
            };
            if let Some(note) = too_long(&diagnostic.path, diagnostic.range) {
                notes.push(note);
            } else if let Some(id) = file_id(&diagnostic.path) {
                let text = &sources[&diagnostic.path].text;
                labels.push(cs::Label::primary(id, char_range(text, diagnostic.range)));
            }
            for label in &diagnostic.labels {
                if let Some(note) = too_long(&label.path, label.range) {
                    notes.push(format!("{note}: {}", label.message));
                } else if let Some(id) = file_id(&label.path) {
                    let text = &sources[&label.path].text;
                    labels.push(
                        cs::Label::secondary(id, char_range(text, label.range))
                            .with_message(&label.message),
                    );
                }
            }
            if let Some(note) = &diagnostic.note {
                notes.push(format!("note: {note}"));
            }
            if let Some(help) = &diagnostic.help {
                notes.push(format!("help: {help}"));
            }
            if let Some(fix) = &diagnostic.fix {
                notes.push(match fix.applicability {
                    Applicability::Safe => format!("fix: {} (`--fix`)", fix.title),
                    Applicability::Unsafe => {
                        format!("fix: {} (unsafe: `--fix --unsafe-fixes`)", fix.title)
                    }
                    Applicability::DisplayOnly => format!("suggestion: {}", fix.title),
                });
            }
            out = out.with_labels(labels).with_notes(notes);
            out
        })
        .collect();

    let mut buffer = match color {
        ColorMode::Always => Buffer::ansi(),
        ColorMode::Never => Buffer::no_color(),
    };
    let config = term::Config::default();
    for diagnostic in &prepared {
        if term::emit_to_write_style(&mut buffer, &config, &files, diagnostic).is_err() {
            // A range that no longer fits its file: fall back to the one-line form.
            let _ = writeln!(buffer, "{}", diagnostic.message);
        }
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

/// The longest source line an excerpt shows, in bytes: minified and generated code can put a
/// whole file on one line, and printing it for one finding helps no one.
pub const MAX_SHOWN_LINE: usize = 1_000;

/// The length of the longest line an excerpt of `range` shows (its first and last), when it is
/// over [`MAX_SHOWN_LINE`].
fn long_line(source: &SourceText, range: crate::TextRange) -> Option<usize> {
    let (first, last) = source.index.range_lines(range);
    let longest = [first, (first + 1).min(last), last]
        .into_iter()
        .map(|line| source.index.line_text(&source.text, line).len())
        .max()
        .unwrap_or(0);
    (longest > MAX_SHOWN_LINE).then_some(longest)
}

/// A byte range widened to character boundaries, as codespan-reporting requires.
fn char_range(text: &str, range: crate::TextRange) -> std::ops::Range<usize> {
    let start = clamp_to_char_boundary(text, range.start());
    let end = clamp_to_char_boundary(text, range.end()).max(start);
    start..end
}

/// The stable text used by snapshots: `path:line:col rule-id message`, a caret excerpt, then the
/// note, help, secondary labels and fix title. Independent of any third-party renderer.
pub fn render_plain(
    diagnostics: &[Diagnostic],
    sources: &HashMap<Arc<PathBuf>, SourceText>,
) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let (display, (line, column)) = locate(diagnostic, sources);
        let _ = writeln!(
            out,
            "{display}:{line}:{column} {} {} [{}]",
            diagnostic.rule, diagnostic.message, diagnostic.severity
        );
        if let Some(source) = sources.get(&diagnostic.path) {
            match long_line(source, diagnostic.range) {
                Some(length) => {
                    let _ = writeln!(out, "  (a line of {length} bytes, not shown)");
                }
                None => excerpt(&mut out, source, diagnostic.range),
            }
        }
        if let Some(note) = &diagnostic.note {
            let _ = writeln!(out, "  = note: {note}");
        }
        if let Some(help) = &diagnostic.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        for label in &diagnostic.labels {
            let place = match sources.get(&label.path) {
                Some(source) => {
                    let lc = source.index.line_column(&source.text, label.range.start());
                    format!("{}:{}:{}", source.display, lc.line, lc.column)
                }
                None => label.path.display().to_string(),
            };
            let _ = writeln!(out, "  = see {place}: {}", label.message);
        }
        if let Some(fix) = &diagnostic.fix {
            let _ = writeln!(out, "  = fix ({:?}): {}", fix.applicability, fix.title);
        }
        out.push('\n');
    }
    out
}

fn excerpt(out: &mut String, source: &SourceText, range: crate::TextRange) {
    let text = &source.text;
    let index = &source.index;
    let (first, last) = index.range_lines(range);
    // Show at most three lines of a long span: its first two and its last.
    let shown: Vec<usize> = if last - first <= 2 {
        (first..=last).collect()
    } else {
        vec![first, first + 1, last]
    };
    let width = (last + 1).to_string().len();
    let mut previous = None;
    for line in shown {
        if previous.is_some_and(|p: usize| line > p + 1) {
            let _ = writeln!(out, "{:width$} | ...", "");
        }
        previous = Some(line);
        let line_text = index.line_text(text, line);
        let _ = writeln!(out, "{:>width$} | {}", line + 1, line_text);
        let line_start = index.line_start(line);
        let line_end = line_start + line_text.len();
        let start = range.start().clamp(line_start, line_end);
        let end = range.end().clamp(line_start, line_end);
        let lead = clamp_to_char_boundary(text, start);
        let pad = text[line_start..lead].chars().count();
        let carets = text[lead..clamp_to_char_boundary(text, end)]
            .chars()
            .count()
            .max(1);
        let _ = writeln!(
            out,
            "{:width$} | {}{}",
            "",
            " ".repeat(pad),
            "^".repeat(carets)
        );
    }
}

/// An error in a file that is not linted (a configuration file): an excerpt at `range` when the
/// text is known, else `path: message`. Always ends with a newline.
pub fn render_file_error(
    display: &str,
    text: Option<&str>,
    range: Option<crate::TextRange>,
    message: &str,
    help: Option<&str>,
    color: ColorMode,
) -> String {
    let (Some(text), Some(range)) = (text, range) else {
        // No file to excerpt (a command-line mistake): codespan's header alone, same colours.
        let mut buffer = match color {
            ColorMode::Always => Buffer::ansi(),
            ColorMode::Never => Buffer::no_color(),
        };
        let mut red = termcolor::ColorSpec::new();
        red.set_fg(Some(termcolor::Color::Red)).set_bold(true);
        let _ = termcolor::WriteColor::set_color(&mut buffer, &red);
        let _ = write!(buffer, "error");
        let _ = termcolor::WriteColor::reset(&mut buffer);
        let _ = writeln!(buffer, ": {display}: {message}");
        if let Some(help) = help {
            let _ = writeln!(buffer, "  = help: {help}");
        }
        return String::from_utf8_lossy(buffer.as_slice()).into_owned();
    };
    let mut files = SimpleFiles::new();
    let id = files.add(display.to_owned(), text.to_owned());
    let mut diagnostic = cs::Diagnostic::error()
        .with_message(message)
        .with_labels(vec![cs::Label::primary(id, char_range(text, range))]);
    if let Some(help) = help {
        diagnostic = diagnostic.with_notes(vec![format!("help: {help}")]);
    }
    let mut buffer = match color {
        ColorMode::Always => Buffer::ansi(),
        ColorMode::Never => Buffer::no_color(),
    };
    if term::emit_to_write_style(&mut buffer, &term::Config::default(), &files, &diagnostic)
        .is_err()
    {
        let _ = writeln!(buffer, "error: {display}: {message}");
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}
