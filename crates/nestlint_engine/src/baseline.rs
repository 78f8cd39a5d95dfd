//! Baselines: today's findings recorded so that only new ones are reported.
//!
//! An entry is a fingerprint: the rule, the path (relative to the baseline file, `/`-separated),
//! a hash of the finding's source line with all whitespace removed, and the occurrence number
//! among the file's findings with that rule and hash. Moving code up or down keeps entries
//! matched; a new violation of the same rule in the same file has another line, so another hash.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use nestlint_diagnostics::{Diagnostic, LineIndex};
use serde::{Deserialize, Serialize};

use crate::run::LintReport;

pub const BASELINE_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct BaselineEntry {
    pub path: String,
    pub rule: String,
    pub hash: String,
    pub occurrence: u32,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub entries: Vec<BaselineEntry>,
}

/// What comparing a run with a baseline found.
#[derive(Debug, Default)]
pub struct BaselineOutcome {
    /// Findings the baseline covers (removed from the report).
    pub matched: usize,
    /// Entries no finding matches any more.
    pub stale: Vec<BaselineEntry>,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline, String> {
        // A baseline of a large project is big, but not unbounded.
        let text = crate::files::read_text(path, 16 * crate::files::MAX_FILE_BYTES)
            .map_err(|e| format!("{}: cannot read the baseline: {e}", path.display()))?;
        let baseline: Baseline = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a nestlint baseline: {e}", path.display()))?;
        if baseline.version != BASELINE_VERSION {
            return Err(format!(
                "{}: baseline version {} is not supported (expected {BASELINE_VERSION})",
                path.display(),
                baseline.version
            ));
        }
        Ok(baseline)
    }

    /// The fingerprints of every finding in `report`, paths relative to `baseline_path`'s folder.
    pub fn from_report(report: &LintReport, baseline_path: &Path) -> Baseline {
        let mut entries: Vec<BaselineEntry> = fingerprints(report, baseline_path)
            .into_iter()
            .map(|(_, entry)| entry)
            .collect();
        entries.sort();
        Baseline {
            version: BASELINE_VERSION,
            entries,
        }
    }

    /// Writes atomically (a temporary file beside it, then a rename).
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        text.push('\n');
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let temporary = dir.join(format!(
            ".{}.tmp-{}",
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("baseline"),
            std::process::id()
        ));
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&temporary);
                format!("{}: cannot write the baseline: {e}", path.display())
            })
    }

    /// Removes from `report` the findings this baseline covers; returns the count and the stale
    /// entries.
    pub fn apply(&self, report: &mut LintReport, baseline_path: &Path) -> BaselineOutcome {
        let known: HashSet<&BaselineEntry> = self.entries.iter().collect();
        let mut seen: HashSet<BaselineEntry> = HashSet::new();
        let mut drop = HashSet::new();
        for (index, entry) in fingerprints(report, baseline_path) {
            if known.contains(&entry) {
                drop.insert(index);
                seen.insert(entry);
            }
        }
        let matched = drop.len();
        let mut index = 0;
        report.diagnostics.retain(|_| {
            index += 1;
            !drop.contains(&(index - 1))
        });
        let stale = self
            .entries
            .iter()
            .filter(|e| !seen.contains(*e))
            .cloned()
            .collect();
        BaselineOutcome { matched, stale }
    }
}

/// `(index in report.diagnostics, fingerprint)` for every finding whose source is known.
fn fingerprints(report: &LintReport, baseline_path: &Path) -> Vec<(usize, BaselineEntry)> {
    let base = std::path::absolute(baseline_path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let mut occurrences: HashMap<(String, &str, String), u32> = HashMap::new();
    let mut lines: HashMap<&Path, LineIndex> = HashMap::new();
    let mut out = Vec::new();
    // Diagnostics are sorted by path and position, so occurrence numbers follow the file's order.
    for (index, diagnostic) in report.diagnostics.iter().enumerate() {
        let Some(source) = report.sources.get(&diagnostic.path) else {
            continue;
        };
        let line_index = lines
            .entry(diagnostic.path.as_path())
            .or_insert_with(|| LineIndex::new(&source.text));
        let hash = line_hash(&source.text, line_index, diagnostic);
        let path = relative_slash_path(&diagnostic.path, &base);
        let counter = occurrences
            .entry((path.clone(), diagnostic.rule, hash.clone()))
            .or_insert(0);
        let occurrence = *counter;
        *counter += 1;
        out.push((
            index,
            BaselineEntry {
                path,
                rule: diagnostic.rule.to_owned(),
                hash,
                occurrence,
            },
        ));
    }
    out
}

fn line_hash(text: &str, lines: &LineIndex, diagnostic: &Diagnostic) -> String {
    let line = lines.line_of(diagnostic.range.start());
    let normalised: String = lines
        .line_text(text, line)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    format!(
        "{:016x}",
        xxhash_rust::xxh3::xxh3_64(format!("{}\0{normalised}", diagnostic.rule).as_bytes())
    )
}

fn relative_slash_path(path: &Path, base: &Path) -> String {
    let relative: PathBuf = match path.strip_prefix(base) {
        Ok(relative) => relative.to_path_buf(),
        Err(_) => {
            let display = crate::display_path(path, base);
            PathBuf::from(display)
        }
    };
    relative
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}
