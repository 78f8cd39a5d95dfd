//! The language server's early cutoff, checked against full runs: an edited document linted
//! alone (its facts unchanged, only moved) must give exactly the findings a full run gives for
//! the same texts, whatever the edit.
//!
//! Two sessions over the same project: one trusts file events and may lint edited documents
//! alone ([`Linter::lint_session`]), the other always runs everything
//! ([`Linter::lint_session_exactly`]). Every file of the example app and of the project
//! fixtures is edited step by step (a statement typed into a method body, brackets closing
//! themselves as editors close them, and seeded one-character edits, each undone the next step),
//! and after every step the two reports must agree: findings, positions, labels, messages; the
//! fixes the first keeps must be the second's.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::repo_root;
use libtest_mimic::{Arguments, Failed, Trial};
use nestlint_engine::diagnostics::Diagnostic;
use nestlint_engine::session::Session;
use nestlint_engine::{LintReport, Linter, RunOptions};

/// A finding without its fix, for comparing.
fn shown(d: &Diagnostic) -> String {
    let labels: Vec<String> = d
        .labels
        .iter()
        .map(|l| format!("{}:{:?} {}", l.path.display(), l.range, l.message))
        .collect();
    format!(
        "{}:{:?} {} {:?} {} | {:?} | {:?} | {labels:?}",
        d.path.display(),
        d.range,
        d.rule,
        d.severity,
        d.message,
        d.note,
        d.help
    )
}

fn compare(step: &str, alone: &LintReport, full: &LintReport) -> Result<(), String> {
    let a: Vec<String> = alone.diagnostics.iter().map(shown).collect();
    let b: Vec<String> = full.diagnostics.iter().map(shown).collect();
    if a != b {
        return Err(format!(
            "{step}: the findings differ\nlinted alone:\n  {}\nfull run:\n  {}",
            a.join("\n  "),
            b.join("\n  ")
        ));
    }
    for (kept, all) in alone.diagnostics.iter().zip(&full.diagnostics) {
        if kept.fix.is_some() && kept.fix != all.fix {
            return Err(format!("{step}: a kept fix differs: {}", shown(kept)));
        }
        if kept.fix.is_none() && all.fix.is_some() && !alone.fixes_pending {
            return Err(format!("{step}: a fix went missing: {}", shown(kept)));
        }
    }
    if alone.parse_error_files != full.parse_error_files
        || alone.limited_files != full.limited_files
    {
        return Err(format!("{step}: the files with parse errors differ"));
    }
    Ok(())
}

/// A seeded generator (xorshift), the same every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The texts a file goes through: a statement typed into a method body, character by character
/// (brackets closing themselves), then one-character edits of the original, each followed by
/// the original again.
fn edits(text: &str, seed: u64) -> Vec<String> {
    let mut texts = Vec::new();
    // After the first statement inside a block, if there is one.
    let at = text
        .match_indices(";\n")
        .map(|(i, _)| i + 2)
        .find(|&i| text[..i].matches('{').count() > text[..i].matches('}').count() + 1);
    if let Some(at) = at {
        let statement = "    const probe = this.items.filter((item) => item.id !== 'x');\n";
        let mut pending: Vec<char> = Vec::new();
        for (count, c) in statement.char_indices() {
            match c {
                '(' => pending.push(')'),
                '{' => pending.push('}'),
                '\'' if pending.last() == Some(&'\'') => {
                    pending.pop();
                }
                '\'' => pending.push('\''),
                c if pending.last() == Some(&c) => {
                    pending.pop();
                }
                _ => {}
            }
            let typed = &statement[..count + c.len_utf8()];
            let closers: String = pending.iter().rev().collect();
            texts.push(format!("{}{typed}{closers}{}", &text[..at], &text[at..]));
        }
    }
    let pieces = [
        " ",
        "x",
        "(",
        ")",
        "{",
        "}",
        ";",
        "\n",
        "'",
        "@",
        ".",
        ",",
        "// note\n",
        "/*",
        "<",
    ];
    let mut rng = Rng(seed | 1);
    for _ in 0..24 {
        let mut at = rng.below(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let edited = if rng.below(3) == 0 && at < text.len() {
            let mut end = at + 1;
            while !text.is_char_boundary(end) {
                end += 1;
            }
            format!("{}{}", &text[..at], &text[end..])
        } else {
            let piece = pieces[rng.below(pieces.len())];
            format!("{}{piece}{}", &text[..at], &text[at..])
        };
        texts.push(edited);
        texts.push(text.to_owned());
    }
    texts
}

/// Two sessions over `root`: one that trusts file events (and may lint edited documents
/// alone), one that always runs everything.
fn two_sessions(linter: &Linter, root: &Path) -> Result<(Session, Session), String> {
    let options = RunOptions {
        display_base: root.to_path_buf(),
        error_on_unmatched: false,
        ..RunOptions::default()
    };
    let trusting = linter.session(root, &options).map_err(|e| format!("{e}"))?;
    trusting.trust_file_events();
    let exact = linter.session(root, &options).map_err(|e| format!("{e}"))?;
    Ok((trusting, exact))
}

/// Edits `file` (in `root`'s project) through [`edits`], comparing the two sessions at each
/// step; returns how many steps were linted alone.
fn edit_and_compare(root: &Path, file: &Path, seed: u64) -> Result<usize, String> {
    let linter = Linter::new(nestlint_rules::all_rules());
    let (trusting, exact) = two_sessions(&linter, root)?;
    let original = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let mut unsaved: HashMap<PathBuf, Arc<str>> = HashMap::new();
    unsaved.insert(file.to_path_buf(), Arc::from(original.as_str()));
    let opened = linter.lint_session(&trusting, &unsaved);
    compare(
        "opened",
        &opened,
        &linter.lint_session_exactly(&exact, &unsaved),
    )?;
    let mut alone = 0;
    for (step, text) in edits(&original, seed).into_iter().enumerate() {
        unsaved.insert(file.to_path_buf(), Arc::from(text.as_str()));
        let fast = linter.lint_session(&trusting, &unsaved);
        let full = linter.lint_session_exactly(&exact, &unsaved);
        alone += usize::from(fast.edited_alone);
        compare(&format!("step {step}"), &fast, &full)
            .map_err(|why| format!("{why}\n--- the text:\n{text}"))?;
    }
    Ok(alone)
}

fn main() {
    let args = Arguments::from_args();
    // Resolved, as an editor's paths are: unsaved texts are matched to files by path.
    let root = repo_root().canonicalize().unwrap_or_else(|_| repo_root());
    let mut projects = vec![root.join("examples/shop-api")];
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(root.join("fixtures/projects"))
        .map(|e| {
            e.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    fixtures.sort();
    projects.extend(fixtures);
    let mut trials = Vec::new();
    for project in projects {
        let name = project
            .strip_prefix(&root)
            .unwrap_or(&project)
            .display()
            .to_string();
        trials.push(Trial::test(format!("linted_alone::{name}"), move || {
            let mut files = Vec::new();
            let typescript = |path: &Path| path.extension().is_some_and(|e| e == "ts");
            common::files_below(&project, &typescript, &mut files);
            let (mut alone, mut steps) = (0, 0);
            for (seed, file) in files.iter().enumerate() {
                alone += edit_and_compare(&project, file, seed as u64 + 7)
                    .map_err(|why| Failed::from(format!("{}: {why}", file.display())))?;
                steps += edits(&std::fs::read_to_string(file)?, 0).len();
            }
            // The comparison means something only where edits were linted alone. (Most of a
            // fixture's text is facts: declarations, decorators, imports. Half the steps undo a
            // step, and undoing a change of facts is one too.)
            if alone * 10 < steps {
                return Err(format!(
                    "only {alone} of {steps} edits were linted alone: the early cutoff stopped working"
                )
                .into());
            }
            Ok(())
        }));
    }
    let shop = root.join("examples/shop-api");
    let elsewhere = root.join("fixtures/projects/di-clean/src/orders.ts");
    trials.push(Trial::test(
        "linted_alone::a_document_of_another_folder",
        move || another_folders_document(&shop, &elsewhere).map_err(Failed::from),
    ));
    libtest_mimic::run(&args, trials).exit();
}

/// Edits of a document another workspace folder holds change nothing in this folder's session:
/// its lints stay on the early cutoff and agree with full runs.
fn another_folders_document(root: &Path, elsewhere: &Path) -> Result<(), String> {
    let linter = Linter::new(nestlint_rules::all_rules());
    let (trusting, exact) = two_sessions(&linter, root)?;
    let own = root.join("src/orders/orders.service.ts");
    let original = std::fs::read_to_string(elsewhere).map_err(|e| e.to_string())?;
    let mut unsaved: HashMap<PathBuf, Arc<str>> = HashMap::new();
    unsaved.insert(
        own.clone(),
        Arc::from(std::fs::read_to_string(&own).map_err(|e| e.to_string())?),
    );
    unsaved.insert(elsewhere.to_path_buf(), Arc::from(original.as_str()));
    linter.lint_session(&trusting, &unsaved);
    for (step, text) in edits(&original, 3).into_iter().take(12).enumerate() {
        unsaved.insert(elsewhere.to_path_buf(), Arc::from(text.as_str()));
        let fast = linter.lint_session(&trusting, &unsaved);
        let full = linter.lint_session_exactly(&exact, &unsaved);
        if !fast.edited_alone {
            return Err(format!(
                "step {step}: another folder's edit ran the project pass"
            ));
        }
        compare(&format!("step {step}"), &fast, &full)?;
    }
    Ok(())
}
