//! Suppression comments, line or block:
//!
//! - `// nestlint-ignore-next-line <rule>[, <rule>] -- <reason>`: the line after the comment
//!   (also spelt `nestlint-disable-next-line`, as ESLint and oxlint users type it);
//! - `// nestlint-ignore <rule> -- <reason>`, trailing: the comment's own line (also spelt
//!   `nestlint-ignore-line` and `nestlint-disable-line`);
//! - `// nestlint-disable <rule>` ... `// nestlint-enable <rule>`: the lines between (or to the end);
//! - `// nestlint-ignore-file <rule> -- <reason>`, before any code: the whole file.
//!
//! A directive that suppresses nothing is reported by `unused-suppression`; one that names an
//! unknown rule, names none, or lacks a required reason is reported by `invalid-suppression`.

use std::sync::Arc;

use nestlint_diagnostics::{Diagnostic, Edit, Fix, LineIndex, Severity, TextRange};

use crate::config::{closest, did_you_mean, FileSettings};
use crate::rule::{Category, FixAvailability, Rule, RuleMeta, Scope};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DirectiveKind {
    NextLine,
    SameLine,
    Disable,
    Enable,
    File,
}

/// Every spelling of every directive: the canonical one first, then the ESLint-style aliases.
pub const SPELLINGS: [(&str, DirectiveKind); 8] = [
    ("nestlint-ignore-next-line", DirectiveKind::NextLine),
    ("nestlint-disable-next-line", DirectiveKind::NextLine),
    ("nestlint-ignore", DirectiveKind::SameLine),
    ("nestlint-ignore-line", DirectiveKind::SameLine),
    ("nestlint-disable-line", DirectiveKind::SameLine),
    ("nestlint-disable", DirectiveKind::Disable),
    ("nestlint-enable", DirectiveKind::Enable),
    ("nestlint-ignore-file", DirectiveKind::File),
];

/// How much a directive can suppress, narrowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    ThisLine,
    NextLine,
    Range,
    File,
}

impl DirectiveKind {
    fn reach(self) -> Reach {
        match self {
            DirectiveKind::SameLine => Reach::ThisLine,
            DirectiveKind::NextLine => Reach::NextLine,
            DirectiveKind::Disable | DirectiveKind::Enable => Reach::Range,
            DirectiveKind::File => Reach::File,
        }
    }
}

/// The reach a keyword's words ask for, and whether they name it: `file`, `next`, `line` (or a
/// near spelling of one); the narrowest for a qualifier it cannot read (`-foo`); `None` for a
/// bare verb (`nestlint-disabel`).
fn reach_named(keyword: &str) -> (Option<Reach>, bool) {
    let rest = words_of(keyword);
    let has = |parts: &[&str]| parts.iter().any(|part| rest.contains(part));
    if has(&["fil"]) {
        (Some(Reach::File), true)
    } else if has(&["nex", "nxt"]) {
        (Some(Reach::NextLine), true)
    } else if has(&["lin", "ln"]) {
        (Some(Reach::ThisLine), true)
    } else if rest.contains('-') {
        (Some(Reach::ThisLine), false)
    } else {
        (None, false)
    }
}

/// A "did you mean" for an unknown directive that never suppresses more than what was typed:
/// only spellings of the reach the typed words name are candidates (`-next-line` for
/// `-nextline`, `nestlint-ignore-file` for `-disable-file`). Following the hint must not hide
/// findings the comment's author did not mean to hide.
fn suggest_directive(typed: &str) -> Option<String> {
    let (asked, named) = reach_named(typed);
    // A bare verb names no reach: it may mean a range (`nestlint-disabel`), never the file.
    let limit = asked.unwrap_or(Reach::Range);
    let same: Vec<&str> = SPELLINGS
        .iter()
        .filter(|(spelling, kind)| reach_named(spelling).0 == asked && kind.reach() <= limit)
        .map(|(spelling, _)| words_of(spelling))
        .collect();
    // Compared without the shared `nestlint-`, which would make every spelling look alike.
    let typed_words = words_of(typed);
    closest(typed_words, same.iter().copied())
        .or_else(|| {
            // The reach is what matters: when the words name it, its nearest spelling will do.
            named.then(|| {
                same.iter().copied().max_by(|a, b| {
                    strsim::jaro_winkler(typed_words, a)
                        .total_cmp(&strsim::jaro_winkler(typed_words, b))
                })
            })?
        })
        .map(|found| format!("did you mean `nestlint-{found}`?"))
}

fn words_of(keyword: &str) -> &str {
    keyword.strip_prefix("nestlint-").unwrap_or(keyword)
}

/// One suppression comment, read in the file's pass.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Directive {
    /// `None` for a comment that starts with `nestlint-` but is no known directive.
    pub kind: Option<DirectiveKind>,
    pub keyword: String,
    pub rules: Vec<String>,
    pub reason: Option<String>,
    /// The whole comment.
    pub range: TextRange,
    /// What a removal fix deletes: the comment, and its line when nothing else is on it.
    pub removal: TextRange,
    /// Whether code precedes it in the file (an `ignore-file` must come first).
    pub after_code: bool,
    /// For a comment above a decorated class or member: from its first decorator to its name.
    /// `ignore-next-line` covers that whole span.
    pub declaration: Option<TextRange>,
}

/// Reads a comment; `None` when it is not a nestlint directive.
pub fn parse_directive(
    comment: &str,
    range: TextRange,
    removal: TextRange,
    after_code: bool,
) -> Option<Directive> {
    let body = if let Some(line) = comment.strip_prefix("//") {
        line
    } else {
        comment.strip_prefix("/*")?.strip_suffix("*/")?
    };
    let body = body
        .trim_start_matches(|c: char| c == '*' || c.is_whitespace())
        .trim_end();
    if !body.starts_with("nestlint-") {
        return None;
    }
    let (head, reason) = match body.split_once(" --") {
        Some((head, reason)) => (head, Some(reason.trim()).filter(|r| !r.is_empty())),
        None => (body, None),
    };
    let mut words = head.splitn(2, char::is_whitespace);
    let keyword = words.next().unwrap_or_default().to_owned();
    let kind = SPELLINGS
        .iter()
        .find(|(spelling, _)| *spelling == keyword)
        .map(|(_, kind)| *kind);
    let rules = words
        .next()
        .unwrap_or_default()
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    Some(Directive {
        kind,
        keyword,
        rules,
        reason: reason.map(str::to_owned),
        range,
        removal,
        after_code,
        declaration: None,
    })
}

pub static UNUSED_SUPPRESSION: RuleMeta = RuleMeta {
    id: "unused-suppression",
    category: Category::Suppressions,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::Sometimes,
    scope: Scope::File,
    summary: "A nestlint suppression comment that suppresses nothing",
    docs: r#"## What it does
Reports a `nestlint-ignore-next-line`, `nestlint-ignore`, `nestlint-disable` or
`nestlint-ignore-file` comment (or one of the rules it names, in any spelling such as
`nestlint-disable-next-line`) that suppresses no finding.

## Why is this bad?
A stale suppression hides the next real finding of that rule on that line, and tells readers
that there is a problem where there is none.

## Example
```ts,expect_diagnostic
import { Controller, Get, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';

@Controller('reports')
export class ReportsController {
  // nestlint-ignore-next-line routes-guarded -- reports are public
  @Get()
  @UseGuards(AuthGuard('jwt'))
  findAll() {}
}
```

## Use instead:
Remove the comment.

## Fix
Safe: `--fix` removes the comment (its whole line when nothing else is on it) when every rule it
names is unused. When only some are, the finding says which to remove and there is no fix.

## When it stays silent
A comment naming a rule that is turned off for the file is not reported: running with
`--select` does not turn every other suppression into a finding.
"#,
};

pub static INVALID_SUPPRESSION: RuleMeta = RuleMeta {
    id: "invalid-suppression",
    category: Category::Suppressions,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "A nestlint suppression comment that cannot be applied",
    docs: r#"## What it does
Reports a suppression comment that names an unknown rule, names no rule, is not a known
directive (`nestlint-ignore-nextline`), is an `nestlint-ignore-file` after code, or lacks a reason
(`-- why`) when `[suppressions] require-reason = true`. For an unknown directive the "did you
mean" only ever names a spelling that suppresses no more than the one typed: a line for a line,
never the rest of the file.

## Why is this bad?
A misspelt rule id suppresses nothing, so the finding it was meant for stays, or worse, a
reviewer believes it was looked at. Blanket suppressions would hide every future finding.

## Example
```ts,expect_diagnostic
import { Controller, Get } from '@nestjs/common';

@Controller('reports')
export class ReportsController {
  // nestlint-ignore-next-line routes-gaurded
  @Get()
  findAll() {}
}
```

## Use instead:
```ts
import { Controller, Get } from '@nestjs/common';

@Controller('reports')
export class ReportsController {
  // nestlint-ignore-next-line routes-guarded -- reports are public, by product decision
  @Get()
  findAll() {}
}
```
"#,
};

/// The built-in rules behind suppression diagnostics; registered by the linter itself.
pub struct SuppressionRule(pub &'static RuleMeta);

impl Rule for SuppressionRule {
    fn meta(&self) -> &'static RuleMeta {
        self.0
    }

    // A suppression comment in a test file is checked like any other.
    fn reports_in_tests(&self) -> bool {
        true
    }
}

/// Drops the diagnostics of `file` that its directives suppress, and adds the suppression
/// diagnostics. `diagnostics` are the file's findings, already at their configured levels.
pub fn apply(
    path: &Arc<std::path::PathBuf>,
    source: &str,
    directives: &[Directive],
    diagnostics: Vec<Diagnostic>,
    settings: &FileSettings,
    rule_ids: &[&'static str],
) -> Vec<Diagnostic> {
    if directives.is_empty() {
        return diagnostics;
    }
    let lines = LineIndex::new(source);
    let line_of = |offset: u32| lines.line_of(offset as usize);
    // The configured level of a rule for this file; `None` when off or unknown.
    let level_of = |id: &str| {
        rule_ids
            .iter()
            .position(|r| *r == id)
            .and_then(|i| settings.levels[i])
    };
    // used[d][r]: directive d's rule r suppressed something.
    let mut used: Vec<Vec<bool>> = directives
        .iter()
        .map(|d| vec![false; d.rules.len()])
        .collect();
    let valid =
        |d: &Directive| d.kind.is_some() && !(d.kind == Some(DirectiveKind::File) && d.after_code);
    let mut kept = Vec::with_capacity(diagnostics.len());
    for diagnostic in diagnostics {
        let line = line_of(diagnostic.range.start);
        let mut suppressed = false;
        for (di, directive) in directives.iter().enumerate() {
            if !valid(directive) {
                continue;
            }
            let Some(ri) = directive.rules.iter().position(|r| r == diagnostic.rule) else {
                continue;
            };
            let start = line_of(directive.range.start);
            let end = line_of(directive.range.end);
            let covers = match directive.kind {
                Some(DirectiveKind::NextLine) => {
                    let last = directive
                        .declaration
                        .map_or(end + 1, |d| line_of(d.end).max(end + 1));
                    line > end && line <= last
                }
                Some(DirectiveKind::SameLine) => line == start,
                Some(DirectiveKind::File) => true,
                Some(DirectiveKind::Disable) => {
                    let enabled_at = directives[di + 1..]
                        .iter()
                        .find(|e| {
                            e.kind == Some(DirectiveKind::Enable)
                                && e.rules.iter().any(|r| r == diagnostic.rule)
                        })
                        .map(|e| line_of(e.range.start));
                    line > start && enabled_at.is_none_or(|e| line < e)
                }
                _ => false,
            };
            if covers {
                used[di][ri] = true;
                suppressed = true;
            }
        }
        if !suppressed {
            kept.push(diagnostic);
        }
    }

    let level = |meta: &RuleMeta| level_of(meta.id);
    let report =
        |meta: &'static RuleMeta, severity: Severity, range: TextRange, message: String| {
            Diagnostic {
                rule: meta.id,
                severity,
                path: path.clone(),
                range,
                message,
                note: None,
                help: None,
                labels: Vec::new(),
                fix: None,
            }
        };
    let known = |id: &str| rule_ids.contains(&id);
    for (di, directive) in directives.iter().enumerate() {
        if let Some(severity) = level(&INVALID_SUPPRESSION) {
            let problem = match directive.kind {
                None => Some((
                    format!("`{}` is not a nestlint directive", directive.keyword),
                    suggest_directive(&directive.keyword),
                )),
                Some(_) if directive.rules.is_empty() => Some((
                    format!(
                        "`{}` names no rule: say which rules it suppresses",
                        directive.keyword
                    ),
                    Some(format!("`// {} <rule-id> -- <reason>`", directive.keyword)),
                )),
                Some(DirectiveKind::File) if directive.after_code => Some((
                    "`nestlint-ignore-file` must come before any code; it suppresses nothing here"
                        .to_owned(),
                    Some("move it to the top of the file".to_owned()),
                )),
                _ => None,
            };
            if let Some((message, help)) = problem {
                let mut d = report(&INVALID_SUPPRESSION, severity, directive.range, message);
                d.help = help;
                kept.push(d);
                continue;
            }
            for rule in directive.rules.iter().filter(|r| !known(r)) {
                let mut d = report(
                    &INVALID_SUPPRESSION,
                    severity,
                    directive.range,
                    format!("unknown rule `{rule}` in a suppression comment"),
                );
                d.help = did_you_mean(rule, rule_ids.iter().copied());
                kept.push(d);
            }
            if settings.require_reason
                && directive.reason.is_none()
                && directive.kind != Some(DirectiveKind::Enable)
            {
                let mut d = report(
                    &INVALID_SUPPRESSION,
                    severity,
                    directive.range,
                    "this suppression gives no reason, and `require-reason` is set".to_owned(),
                );
                d.help = Some(format!(
                    "append ` -- <why this is fine>`: `// {} {} -- ...`",
                    directive.keyword,
                    directive.rules.join(", ")
                ));
                kept.push(d);
            }
        }
        if !valid(directive) {
            continue;
        }
        if directive.kind == Some(DirectiveKind::Enable) {
            // An `enable` with no `disable` of the same rule before it ends nothing.
            let unmatched: Vec<&str> = directive
                .rules
                .iter()
                .filter(|rule| known(rule))
                .filter(|rule| {
                    !directives[..di].iter().any(|d| {
                        d.kind == Some(DirectiveKind::Disable) && d.rules.iter().any(|r| r == *rule)
                    })
                })
                .map(String::as_str)
                .collect();
            if let (false, Some(severity)) = (unmatched.is_empty(), level(&UNUSED_SUPPRESSION)) {
                let names = unmatched
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut d = report(
                    &UNUSED_SUPPRESSION,
                    severity,
                    directive.range,
                    format!("unused suppression: no `nestlint-disable` of {names} before this `nestlint-enable`"),
                );
                d.help =
                    Some("remove the comment, or add the `nestlint-disable` it closes".to_owned());
                kept.push(d);
            }
            continue;
        }
        let Some(severity) = level(&UNUSED_SUPPRESSION) else {
            continue;
        };
        let unused: Vec<&str> = directive
            .rules
            .iter()
            .zip(&used[di])
            .filter(|(rule, used)| !**used && level_of(rule).is_some())
            .map(|(rule, _)| rule.as_str())
            .collect();
        if unused.is_empty() {
            continue;
        }
        let whole = unused.len() == directive.rules.len();
        let names = unused
            .iter()
            .map(|r| format!("`{r}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let place = match directive.kind {
            Some(DirectiveKind::NextLine) => "on the next line",
            Some(DirectiveKind::SameLine) => "on this line",
            Some(DirectiveKind::Disable) => "in the disabled range",
            _ => "in this file",
        };
        let mut d = report(
            &UNUSED_SUPPRESSION,
            severity,
            directive.range,
            format!("unused suppression: no {names} finding {place}"),
        );
        if whole {
            d.help = Some("remove the comment".to_owned());
            d.fix = Some(Fix::safe(
                "remove the unused suppression",
                vec![Edit::deletion(directive.removal)],
            ));
        } else {
            d.help = Some(format!("remove {names} from the comment"));
        }
        kept.push(d);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Option<Directive> {
        let range = TextRange::new(0, text.len());
        parse_directive(text, range, range, false)
    }

    #[test]
    fn reads_every_form() {
        let d = parse("// nestlint-ignore-next-line routes-guarded, request-dto-validation -- why")
            .unwrap();
        assert_eq!(d.kind, Some(DirectiveKind::NextLine));
        assert_eq!(d.rules, vec!["routes-guarded", "request-dto-validation"]);
        assert_eq!(d.reason.as_deref(), Some("why"));
        let d = parse("/* nestlint-disable routes-guarded */").unwrap();
        assert_eq!(d.kind, Some(DirectiveKind::Disable));
        assert_eq!(d.reason, None);
        let d = parse("/**\n * nestlint-ignore-file a b -- generated\n */").unwrap();
        assert_eq!(d.kind, Some(DirectiveKind::File));
        assert_eq!(d.rules, vec!["a", "b"]);
        let d = parse("// nestlint-ignore-nextline x").unwrap();
        assert_eq!(d.kind, None);
        assert!(parse("// see nestlint-ignore docs").is_none());
        assert!(parse("// TODO").is_none());
    }

    #[test]
    fn eslint_spellings_are_the_line_forms() {
        let d = parse("// nestlint-disable-next-line routes-guarded -- why").unwrap();
        assert_eq!(d.kind, Some(DirectiveKind::NextLine));
        assert_eq!(d.keyword, "nestlint-disable-next-line");
        for same_line in ["nestlint-disable-line", "nestlint-ignore-line"] {
            let d = parse(&format!("// {same_line} routes-guarded")).unwrap();
            assert_eq!(d.kind, Some(DirectiveKind::SameLine), "{same_line}");
        }
    }

    #[test]
    fn suggestions_never_reach_further_than_what_was_typed() {
        for (typed, expected) in [
            (
                "nestlint-disable-nextline",
                Some("nestlint-disable-next-line"),
            ),
            (
                "nestlint-ignore-nextline",
                Some("nestlint-ignore-next-line"),
            ),
            ("nestlint-ignore-lines", Some("nestlint-ignore-line")),
            ("nestlint-disable-lin", Some("nestlint-disable-line")),
            ("nestlint-disabel", Some("nestlint-disable")),
            ("nestlint-disable-file", Some("nestlint-ignore-file")),
            ("nestlint-ignore-this-line", Some("nestlint-ignore-line")),
            ("nestlint-xyz", None),
        ] {
            let suggestion = suggest_directive(typed);
            assert_eq!(
                suggestion,
                expected.map(|e| format!("did you mean `{e}`?")),
                "{typed}"
            );
        }
        // Whatever is typed, a suggestion reaches no further than the reach the words name.
        let words = [
            "ignore", "disable", "enable", "next", "line", "file", "nxt", "lin",
        ];
        for a in words {
            for b in words {
                for c in ["", "-line", "-lines", "-file", "-next-lin"] {
                    let typed = format!("nestlint-{a}-{b}{c}");
                    if SPELLINGS.iter().any(|(s, _)| *s == typed) {
                        continue;
                    }
                    let Some(hint) = suggest_directive(&typed) else {
                        continue;
                    };
                    let (_, kind) = SPELLINGS
                        .iter()
                        .find(|(s, _)| hint.contains(&format!("`{s}`")))
                        .expect("a suggestion is a spelling");
                    match reach_named(&typed).0 {
                        Some(asked) => assert!(kind.reach() <= asked, "{typed} -> {hint}"),
                        None => assert!(
                            kind.reach() == Reach::Range || *kind == DirectiveKind::SameLine,
                            "{typed} -> {hint}"
                        ),
                    }
                }
            }
        }
    }
}
