//! The diagnostic model shared by every part of nestlint, and the renderers that turn it into text.
//!
//! Positions are byte offsets (`TextRange`); lines and columns are computed only when rendering
//! (`LineIndex`). This crate alone depends on codespan-reporting, so a renderer change never ripples
//! through the engine or the rules.

mod line_index;
mod render;

pub use line_index::{LineColumn, LineIndex};
pub use render::{
    render_concise, render_file_error, render_plain, render_pretty, ColorMode, SourceText,
};

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// A half-open byte range `[start, end)` into a file's text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    /// Shown to the user, never applied.
    DisplayOnly,
    /// May change behaviour; applied only on request.
    Unsafe,
    /// Preserves behaviour and comments.
    Safe,
}

/// One text replacement. An empty range inserts; an empty replacement deletes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub range: TextRange,
    pub replacement: Box<str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    /// Sorted by position, never overlapping.
    pub edits: Vec<Edit>,
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
