//! Code actions (quick fixes, suppressions, fix-all) and hovers.

use std::collections::HashMap;
use std::path::Path;

use lsp_types::{self as lsp, Uri};
use nestlint_diagnostics::{Applicability, Diagnostic};
use nestlint_engine::FixOptions;

use crate::text::{Encoding, LineIndex};
use crate::{path_of, uri_of, Server, FIX_ALL_KIND};

impl Server<'_> {
    pub(crate) fn code_actions(
        &self,
        params: &lsp::CodeActionParams,
    ) -> Vec<lsp::CodeActionOrCommand> {
        let Some(path) = path_of(&params.text_document.uri) else {
            return Vec::new();
        };
        let wanted = |kind: &str| {
            params.context.only.as_ref().is_none_or(|only| {
                only.iter()
                    .any(|k| kind == k.as_str() || kind.starts_with(&format!("{}.", k.as_str())))
            })
        };
        let mut actions: Vec<lsp::CodeAction> = Vec::new();
        let Some(text) = self.text_of(&path) else {
            return Vec::new();
        };
        let index = LineIndex::new(&text);
        let start = index.offset(params.range.start, self.encoding);
        let end = index.offset(params.range.end, self.encoding);
        if wanted(lsp::CodeActionKind::QUICKFIX.as_str()) {
            for finding in self.findings(&path) {
                let (from, to) = (finding.range.start as usize, finding.range.end as usize);
                // The finding touches the range asked about (an empty range is a cursor).
                if to < start || from > end {
                    continue;
                }
                let diagnostic = self.to_lsp(finding, &index);
                if let Some(action) = self.fix_action(finding, &diagnostic) {
                    actions.push(action);
                }
                actions.extend(self.suppress_actions(
                    finding,
                    &diagnostic,
                    &index,
                    &params.text_document.uri,
                ));
            }
        }
        if wanted(FIX_ALL_KIND) {
            if let Some(action) = self.fix_all_action(&path) {
                actions.push(action);
            }
        }
        actions
            .into_iter()
            .map(lsp::CodeActionOrCommand::CodeAction)
            .collect()
    }

    pub(crate) fn fix_action(
        &self,
        finding: &Diagnostic,
        diagnostic: &lsp::Diagnostic,
    ) -> Option<lsp::CodeAction> {
        let fix = finding.fix.as_ref()?;
        if fix.applicability == Applicability::DisplayOnly || fix.edits.is_empty() {
            return None;
        }
        let target = fix.target(&finding.path);
        let text = self.text_of(target)?;
        let index = LineIndex::new(&text);
        let edits = fix
            .edits
            .iter()
            .map(|edit| lsp::TextEdit {
                range: index.range(
                    edit.range.start as usize,
                    edit.range.end as usize,
                    self.encoding,
                ),
                new_text: edit.replacement.to_string(),
            })
            .collect();
        let safe = fix.applicability == Applicability::Safe;
        let title = if safe {
            fix.title.clone()
        } else {
            format!("{} (unsafe: review it)", fix.title)
        };
        Some(lsp::CodeAction {
            title,
            kind: Some(lsp::CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diagnostic.clone()]),
            edit: Some(lsp::WorkspaceEdit {
                changes: Some(HashMap::from([(uri_of(target)?, edits)])),
                ..Default::default()
            }),
            is_preferred: Some(safe),
            ..Default::default()
        })
    }

    pub(crate) fn suppress_actions(
        &self,
        finding: &Diagnostic,
        diagnostic: &lsp::Diagnostic,
        index: &LineIndex<'_>,
        uri: &Uri,
    ) -> Vec<lsp::CodeAction> {
        if finding.rule == "unused-suppression" || finding.rule == "invalid-suppression" {
            return Vec::new();
        }
        let line = diagnostic.range.start.line as usize;
        let line_text = index.line_text(line);
        let indent: String = line_text
            .chars()
            .take_while(|c| c.is_whitespace())
            .collect();
        let insert = |at: lsp::Position, text: String| lsp::WorkspaceEdit {
            changes: Some(HashMap::from([(
                uri.clone(),
                vec![lsp::TextEdit {
                    range: lsp::Range::new(at, at),
                    new_text: text,
                }],
            )])),
            ..Default::default()
        };
        let reason = "TODO: say why";
        vec![
            lsp::CodeAction {
                title: format!("Suppress {} for this line", finding.rule),
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic.clone()]),
                edit: Some(insert(
                    lsp::Position::new(diagnostic.range.start.line, 0),
                    format!(
                        "{indent}// nestlint-ignore-next-line {} -- {reason}\n",
                        finding.rule
                    ),
                )),
                ..Default::default()
            },
            lsp::CodeAction {
                title: format!("Suppress {} for this file", finding.rule),
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic.clone()]),
                edit: Some(insert(
                    lsp::Position::new(0, 0),
                    format!("// nestlint-ignore-file {} -- {reason}\n", finding.rule),
                )),
                ..Default::default()
            },
        ]
    }

    /// Every safe fix for the document's findings, as `--fix` applies them (round after
    /// round), computed now: one edit per changed file.
    pub(crate) fn fix_all_action(&self, path: &Path) -> Option<lsp::CodeAction> {
        let folder = &self.folders[self.folder_of(path)?];
        let session = folder.session.as_ref()?;
        let unsaved = self.unsaved();
        let outcome = crate::guarded(|| {
            self.host
                .linter
                .fix_in_session(session, &unsaved, path, FixOptions::default())
        });
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(why) => {
                self.log(
                    lsp::MessageType::ERROR,
                    &format!("nestlint: fixing {} failed: {why}", path.display()),
                );
                return None;
            }
        };
        // `Uri` caches its parse in a cell, which clippy takes for a mutable key; the protocol's
        // type is a map keyed by it, and nothing here mutates a key.
        #[allow(clippy::mutable_key_type)]
        let mut changes: HashMap<Uri, Vec<lsp::TextEdit>> = HashMap::new();
        for file in &outcome.files {
            let Some(file_uri) = uri_of(&file.path) else {
                continue;
            };
            changes.insert(
                file_uri,
                vec![minimal_edit(&file.original, &file.fixed, self.encoding)],
            );
        }
        Some(lsp::CodeAction {
            title: "Fix all safely fixable nestlint findings".to_owned(),
            kind: Some(lsp::CodeActionKind::new(FIX_ALL_KIND)),
            edit: Some(lsp::WorkspaceEdit {
                changes: Some(changes),
                ..Default::default()
            }),
            ..Default::default()
        })
    }

    pub(crate) fn hover(&self, params: &lsp::HoverParams) -> Option<lsp::Hover> {
        let position = &params.text_document_position_params;
        let path = path_of(&position.text_document.uri)?;
        let text = self.text_of(&path)?;
        let index = LineIndex::new(&text);
        let offset = index.offset(position.position, self.encoding);
        // On a finding: its rule.
        let finding = self
            .findings(&path)
            .into_iter()
            .find(|d| (d.range.start as usize) <= offset && offset <= d.range.end as usize);
        let (rule, range) = match finding {
            Some(d) => (
                d.rule.to_owned(),
                index.range(d.range.start as usize, d.range.end as usize, self.encoding),
            ),
            // On a rule id in a suppression comment.
            None => {
                let line = position.position.line as usize;
                let line_text = index.line_text(line);
                let line_start = index.line_start(line);
                let comment = line_text.find("nestlint-")?;
                let column = offset.checked_sub(line_start)?;
                let (start, word) = word_at(line_text, column)?;
                if start < comment {
                    return None;
                }
                (
                    word.to_owned(),
                    index.range(
                        line_start + start,
                        line_start + start + word.len(),
                        self.encoding,
                    ),
                )
            }
        };
        let docs = (self.host.rule_docs)(&self.host.linter, &rule)?;
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: format!(
                    "{docs}\n\n[{rule} documentation]({})",
                    (self.host.rule_url)(&rule)
                ),
            }),
            range: Some(range),
        })
    }
}

/// The rule-id-shaped word (letters, digits, `-`) around `column`, and where it starts.
fn word_at(line: &str, column: usize) -> Option<(usize, &str)> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '-';
    if column > line.len() || !line.is_char_boundary(column) {
        return None;
    }
    let start = line[..column]
        .rfind(|c: char| !is_word(c))
        .map_or(0, |i| i + 1);
    let end = line[column..]
        .find(|c: char| !is_word(c))
        .map_or(line.len(), |i| column + i);
    (start < end).then(|| (start, &line[start..end]))
}

/// One edit that turns `before` into `after`: the differing middle (the rest keeps its place,
/// and the editor its cursor).
pub fn minimal_edit(before: &str, after: &str, encoding: Encoding) -> lsp::TextEdit {
    let mut prefix = before
        .bytes()
        .zip(after.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !before.is_char_boundary(prefix) || !after.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let mut suffix = before[prefix..]
        .bytes()
        .rev()
        .zip(after[prefix..].bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    while !before.is_char_boundary(before.len() - suffix)
        || !after.is_char_boundary(after.len() - suffix)
    {
        suffix -= 1;
    }
    let index = LineIndex::new(before);
    lsp::TextEdit {
        range: index.range(prefix, before.len() - suffix, encoding),
        new_text: after[prefix..after.len() - suffix].to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimal_edit_replaces_only_what_differs() {
        let edit = minimal_edit("a\nbcd\ne", "a\nbXd\ne", Encoding::Utf16);
        assert_eq!(
            edit.range,
            lsp::Range::new(lsp::Position::new(1, 1), lsp::Position::new(1, 2))
        );
        assert_eq!(edit.new_text, "X");
        let edit = minimal_edit("same", "same", Encoding::Utf16);
        assert_eq!(edit.new_text, "");
        // Never splits a character.
        let edit = minimal_edit("é", "è", Encoding::Utf8);
        assert_eq!(edit.new_text, "è");
    }

    #[test]
    fn rule_ids_are_found_in_suppression_comments() {
        let line = "// nestlint-ignore-next-line routes-guarded -- public";
        assert_eq!(word_at(line, 33), Some((29, "routes-guarded")));
        assert_eq!(word_at(line, 2), None);
    }
}
