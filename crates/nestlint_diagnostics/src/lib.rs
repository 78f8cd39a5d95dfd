//! The diagnostic model shared by every part of nestlint, and the renderers that turn it into text.
//!
//! Positions are byte offsets (`TextRange`); lines and columns are computed only when rendering
//! (`LineIndex`). This crate alone depends on codespan-reporting, so a renderer change never ripples
//! through the engine or the rules.

mod line_index;
mod render;

pub use line_index::{LineColumn, LineIndex};
pub use render::{
    hyperlink, printable_path, render_concise, render_file_error, render_plain, render_pretty,
    ColorMode, SourceText,
};

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// A half-open byte range `[start, end)` into a file's text.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> Self {
        // Files larger than 4 GiB are rejected before parsing, so offsets always fit.
        Self {
            start: start as u32,
            end: end.max(start) as u32,
        }
    }

    pub fn start(self) -> usize {
        self.start as usize
    }

    pub fn end(self) -> usize {
        self.end as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far a fix may be trusted; ordered from least to most trustworthy.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Applicability {
    /// Shown to the user, never applied.
    DisplayOnly,
    /// May change behaviour; applied only on request.
    Unsafe,
    /// Preserves behaviour and comments.
    Safe,
}

/// One text replacement. An empty range inserts; an empty replacement deletes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Edit {
    pub range: TextRange,
    pub replacement: Box<str>,
}

impl Edit {
    pub fn insertion(at: usize, text: impl Into<Box<str>>) -> Self {
        Edit {
            range: TextRange::new(at, at),
            replacement: text.into(),
        }
    }

    pub fn deletion(range: TextRange) -> Self {
        Edit {
            range,
            replacement: "".into(),
        }
    }

    pub fn replacement(range: TextRange, text: impl Into<Box<str>>) -> Self {
        Edit {
            range,
            replacement: text.into(),
        }
    }

    /// Whether two edits cannot be applied in one pass. Touching counts: two insertions at the
    /// same offset, or an insertion at the edge of a replacement, have no one obvious order.
    pub fn conflicts_with(&self, other: &Edit) -> bool {
        self.range.start <= other.range.end && other.range.start <= self.range.end
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    /// Sorted by position, never overlapping.
    pub edits: Vec<Edit>,
    /// The file the edits apply to when it is not the diagnostic's own: a project rule reporting
    /// on a service may fix the module that provides it.
    pub file: Option<Arc<PathBuf>>,
}

impl Fix {
    /// A fix that preserves behaviour and comments.
    pub fn safe(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self::new(title, Applicability::Safe, edits)
    }

    /// A fix that may change behaviour: applied only with `--unsafe-fixes`.
    pub fn unsafe_edits(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self::new(title, Applicability::Unsafe, edits)
    }

    pub fn new(title: impl Into<String>, applicability: Applicability, edits: Vec<Edit>) -> Self {
        let mut sorted = edits;
        sorted.sort_by_key(|e| (e.range.start, e.range.end));
        // Insertions at one offset (two new import lines) become one edit, in the order given.
        let mut edits: Vec<Edit> = Vec::with_capacity(sorted.len());
        for edit in sorted {
            match edits.last_mut() {
                Some(last) if last.range.is_empty() && last.range == edit.range => {
                    last.replacement = format!("{}{}", last.replacement, edit.replacement).into();
                }
                _ => edits.push(edit),
            }
        }
        Fix {
            title: title.into(),
            applicability,
            edits,
            file: None,
        }
    }

    /// The file the edits apply to, given the path of the diagnostic that carries the fix.
    pub fn target<'a>(&'a self, diagnostic_path: &'a Arc<PathBuf>) -> &'a Arc<PathBuf> {
        self.file.as_ref().unwrap_or(diagnostic_path)
    }

    /// The edits apply to `file`, not to the diagnostic's file.
    pub fn in_file(mut self, file: Arc<PathBuf>) -> Self {
        self.file = Some(file);
        self
    }
}

/// Applies non-overlapping `edits` (sorted by position) to `text`. Inserted line breaks follow
/// the file's own: `\n` in a replacement becomes `\r\n` in a file whose first line ends so.
pub fn apply_edits(text: &str, edits: &[&Edit]) -> String {
    let ending = LineEnding::of(text);
    // A fix never removes the byte-order mark (a comment removed from the first line, say).
    let keep = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut out = String::with_capacity(text.len() + 64);
    let mut last = 0;
    for edit in edits {
        let start = edit.range.start().min(text.len()).max(last).max(keep);
        let end = edit.range.end().min(text.len()).max(start);
        out.push_str(&text[last..start]);
        ending.push_converted(&mut out, &edit.replacement);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// How a file ends its lines: inserted text follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineEnding {
    Lf,
    CrLf,
    /// A lone carriage return (classic Mac OS).
    Cr,
}

impl LineEnding {
    /// The ending of the file's first line (`\n` for a file of one line).
    pub fn of(text: &str) -> LineEnding {
        match text.find(['\n', '\r']) {
            Some(i) if text.as_bytes()[i] == b'\r' => {
                if text.as_bytes().get(i + 1) == Some(&b'\n') {
                    LineEnding::CrLf
                } else {
                    LineEnding::Cr
                }
            }
            _ => LineEnding::Lf,
        }
    }

    /// Appends `replacement`, its `\n` line breaks written in this ending.
    fn push_converted(self, out: &mut String, replacement: &str) {
        match self {
            LineEnding::Lf => out.push_str(replacement),
            LineEnding::CrLf | LineEnding::Cr => {
                let mut previous = '\0';
                for c in replacement.chars() {
                    if c == '\n' && previous != '\r' {
                        out.push('\r');
                        if self == LineEnding::CrLf {
                            out.push('\n');
                        }
                    } else {
                        out.push(c);
                    }
                    previous = c;
                }
            }
        }
    }
}

/// A secondary location, possibly in another file (project rules point at the module, say).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub path: Arc<PathBuf>,
    pub range: TextRange,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The kebab-case rule id.
    pub rule: &'static str,
    pub severity: Severity,
    pub path: Arc<PathBuf>,
    pub range: TextRange,
    /// What is wrong: one sentence, lowercase start, no trailing period.
    pub message: String,
    /// Why it matters.
    pub note: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
    pub labels: Vec<Label>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// The deterministic output order: path, then position, then rule, then message.
    pub fn sort_key(&self) -> (&PathBuf, u32, u32, &'static str, &str) {
        (
            &self.path,
            self.range.start,
            self.range.end,
            self.rule,
            &self.message,
        )
    }
}

/// Sorts diagnostics into the one order every output uses.
pub fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_edits_in_order_and_keeps_crlf() {
        let text = "a\r\nb\r\n";
        let insert = Edit::insertion(3, "x\n");
        let replace = Edit::replacement(TextRange::new(3, 4), "B");
        assert_eq!(apply_edits(text, &[&insert, &replace]), "a\r\nx\r\nB\r\n");
        let lf = "a\nb\n";
        assert_eq!(apply_edits(lf, &[&Edit::insertion(2, "x\n")]), "a\nx\nb\n");
        assert_eq!(
            apply_edits(lf, &[&Edit::deletion(TextRange::new(0, 2))]),
            "b\n"
        );
    }

    #[test]
    fn insertions_at_one_offset_merge_in_order() {
        let fix = Fix::safe(
            "t",
            vec![
                Edit::insertion(5, "b"),
                Edit::deletion(TextRange::new(0, 1)),
                Edit::insertion(5, "c"),
            ],
        );
        assert_eq!(
            fix.edits,
            vec![
                Edit::deletion(TextRange::new(0, 1)),
                Edit::insertion(5, "bc")
            ]
        );
    }

    #[test]
    fn touching_edits_conflict() {
        let a = Edit::insertion(3, "x");
        assert!(a.conflicts_with(&Edit::insertion(3, "y")));
        assert!(a.conflicts_with(&Edit::deletion(TextRange::new(1, 3))));
        assert!(!a.conflicts_with(&Edit::deletion(TextRange::new(4, 6))));
    }
}
