use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::syntax::{named_children, text, unwrap_expression, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, ProjectContext, ProjectIndex, Rule,
    RuleMeta, Scope,
};

pub struct ValidationPipeConfig;

static META: RuleMeta = RuleMeta {
    id: "validation-pipe-config",
    category: Category::Validation,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "`ValidationPipe` options strip unknown properties and reject unknown objects",
    docs: r#"## What it does
Reads the options of each `new ValidationPipe(...)` (from `@nestjs/common`) and reports:
- `forbidUnknownValues: false`, wherever the pipe is built;
- a global pipe (`app.useGlobalPipes(...)` or an `APP_PIPE` provider) without `whitelist: true`;
- in a package that depends on class-validator below 0.14, a pipe whose options do not set
  `forbidUnknownValues: true`.

## Why is this bad?
- With `forbidUnknownValues: false`, class-validator passes an object it has no rules for: a
  nested DTO left a plain object (no `@Type`), a class without decorators. Its contents are never
  checked.
- Without `whitelist: true`, properties no DTO declares reach every handler, and from there the
  database (`repository.save(body)`): a client can set `role` or `isAdmin` on itself.
- class-validator before 0.14 defaults `forbidUnknownValues` to `false` (CVE-2019-18413: an
  unknown object bypasses validation).

## Example
```ts,expect_diagnostic
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.useGlobalPipes(new ValidationPipe({ transform: true, forbidUnknownValues: false }));
  await app.listen(3000);
}
bootstrap();
```

Use instead:
```ts
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.useGlobalPipes(new ValidationPipe({ transform: true, whitelist: true }));
  await app.listen(3000);
}
bootstrap();
```

## When it stays silent
- options it cannot read: a variable other than a `const` of the same file bound to an object,
  a spread (which may set what is missing), a value that is not `true` or `false`;
- `whitelist` on pipes used on one route or controller (a global pipe runs before them);
- the class-validator version when the manifest's range is not a plain version (`^0.13.2`,
  `~0.12.0`, `0.13.1`): `>=`, `*`, tags and workspace links are not judged.

`forbidNonWhitelisted: true` (reject rather than strip) is a choice this rule leaves to you.

## References
- https://docs.nestjs.com/techniques/validation#stripping-properties
- https://github.com/typestack/class-validator#passing-options
- https://nvd.nist.gov/vuln/detail/CVE-2019-18413
"#,
};

/// An option the rule reads: absent, a literal, or something it cannot read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Flag {
    Absent,
    Set(bool),
    Unknown,
}

/// One `new ValidationPipe(...)`, as the file pass read it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Construction {
    /// Which `new ValidationPipe(...)` of the file it is, in text order. Not its offsets: an
    /// edit that moves text must not change the stash (the project pass finds it again).
    nth: u32,
    /// Registered for the whole application.
    global: bool,
    /// The options may hold keys the rule did not see (a spread, an unread variable).
    open: bool,
    whitelist: Flag,
    forbid_unknown_values: Flag,
}

impl Rule for ValidationPipeConfig {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["new_expression"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let Some(constructor) = node.field(Field::Constructor) else {
            return;
        };
        if constructor.kind_name() != "identifier" {
            return;
        }
        let is_validation_pipe = ctx
            .imports
            .get(text(constructor, ctx.source))
            .is_some_and(|b| b.is("@nestjs/common", "ValidationPipe"));
        if !is_validation_pipe {
            return;
        }
        // Every construction is stashed, in text order: the ones before this are its ordinal.
        let nth = ctx.stashed_so_far() as u32;
        let mut construction = Construction {
            nth,
            global: is_global(node, ctx),
            open: false,
            whitelist: Flag::Absent,
            forbid_unknown_values: Flag::Absent,
        };
        let arguments: Vec<Node<'_>> = node
            .field(Field::Arguments)
            .map(|a| {
                named_children(a)
                    .filter(|n| n.kind_name() != "comment")
                    .collect()
            })
            .unwrap_or_default();
        if let Some(&first) = arguments.first() {
            let mut options = unwrap_expression(first);
            if options.kind_name() == "identifier" {
                match ctx.top_level_const(text(options, ctx.source)) {
                    Some(value) => options = value,
                    None => construction.open = true,
                }
            }
            if options.kind_name() == "object" {
                read_options(options, ctx.source, &mut construction);
            } else {
                construction.open = true;
            }
        }
        ctx.stash(construction);
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        for (file, construction) in index.stashed::<Construction>(META.id) {
            let indexed = index.file(file);
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            let Some((range, forbid_at)) = locate(index, ctx, file, construction.nth) else {
                continue;
            };
            if construction.forbid_unknown_values == Flag::Set(false) {
                let at = forbid_at.unwrap_or(range);
                ctx.report(index, file, at, "`forbidUnknownValues: false` lets objects class-validator has no rules for through unchecked")
                    .note("a nested DTO left a plain object (no `@Type`) or a class without decorators passes, and nothing inside it is validated")
                    .help("remove it (class-validator 0.14 defaults it to `true`) and give nested objects `@Type(() => Dto)`");
                continue;
            }
            let old_class_validator = index
                .package(file)
                .versions
                .get("class-validator")
                .is_some_and(|range| below_0_14(range));
            if old_class_validator
                && !construction.open
                && construction.forbid_unknown_values == Flag::Absent
            {
                ctx.report(index, file, range, "class-validator below 0.14 lets unknown objects through: this `ValidationPipe` does not set `forbidUnknownValues: true`")
                    .note("before 0.14, `forbidUnknownValues` defaults to `false` (CVE-2019-18413)")
                    .help("pass `forbidUnknownValues: true`, or upgrade class-validator to 0.14 or later");
                continue;
            }
            let strips = match construction.whitelist {
                Flag::Set(value) => value,
                Flag::Unknown => true,
                Flag::Absent => construction.open,
            };
            if construction.global && !strips {
                ctx.report(index, file, range, "the global `ValidationPipe` does not set `whitelist: true`: properties no DTO declares reach every handler")
                    .note("a client can send fields the DTO does not list (`role`, `isAdmin`), and code that saves the body stores them")
                    .help("pass `whitelist: true` (and `forbidNonWhitelisted: true` to reject such requests instead)");
            }
        }
    }
}

/// Whether `node` is `new <local>(...)`.
fn is_construction_of(node: Node<'_>, local: &str, source: &str) -> bool {
    node.kind_name() == "new_expression"
        && node
            .field(Field::Constructor)
            .is_some_and(|c| c.kind_name() == "identifier" && text(c, source) == local)
}

/// The `nth` `new ValidationPipe(...)` of `file`, read again from its text, with the
/// `forbidUnknownValues` entry written in place in its options, if any.
fn locate(
    index: &ProjectIndex,
    ctx: &ProjectContext<'_>,
    file: nestlint_engine::FileId,
    nth: u32,
) -> Option<(TextRange, Option<TextRange>)> {
    let local = index
        .file(file)
        .facts
        .imports
        .iter()
        .find(|b| b.is("@nestjs/common", "ValidationPipe"))?
        .local
        .to_string();
    let source = ctx.source(index, file)?;
    let tree = ctx.tree_for_edit(index, file)?;
    let mut found = Vec::new();
    nestlint_engine::syntax::visit_bounded(tree.root_node(), 1_000_000, |node| {
        if is_construction_of(node, &local, source) {
            found.push(node);
        }
        true
    });
    let node = *found.get(nth as usize)?;
    let range = TextRange::new(node.start_byte(), node.end_byte());
    let forbid = node
        .field(Field::Arguments)
        .and_then(|a| named_children(a).next())
        .map(unwrap_expression)
        .filter(|o| o.kind_name() == "object")
        .and_then(|object| {
            named_children(object).find(|entry| {
                entry.kind_name() == "pair"
                    && entry.field(Field::Key).is_some_and(|k| {
                        text(k, source).trim_matches(|c| c == '\'' || c == '"')
                            == "forbidUnknownValues"
                    })
            })
        })
        .map(|pair| TextRange::new(pair.start_byte(), pair.end_byte()));
    Some((range, forbid))
}

/// Reads `whitelist` and `forbidUnknownValues` from an options object.
fn read_options(options: Node<'_>, source: &str, construction: &mut Construction) {
    for entry in named_children(options) {
        match entry.kind_name() {
            "pair" => {
                let Some(key) = entry.field(Field::Key) else {
                    continue;
                };
                let key = text(key, source).trim_matches(|c| c == '\'' || c == '"');
                let value = entry.field(Field::Value).map(unwrap_expression);
                let flag = match value.map(|v| text(v, source)) {
                    Some("true") => Flag::Set(true),
                    Some("false") => Flag::Set(false),
                    _ => Flag::Unknown,
                };
                match key {
                    "whitelist" => construction.whitelist = flag,
                    "forbidUnknownValues" => construction.forbid_unknown_values = flag,
                    _ => {}
                }
            }
            "shorthand_property_identifier" => match text(entry, source) {
                "whitelist" => construction.whitelist = Flag::Unknown,
                "forbidUnknownValues" => construction.forbid_unknown_values = Flag::Unknown,
                _ => {}
            },
            "comment" => {}
            _ => construction.open = true,
        }
    }
}

/// Whether the pipe is registered for the whole application: an argument of
/// `*.useGlobalPipes(...)`, or the value of an `APP_PIPE` provider (`useValue`, or returned by
/// `useFactory`).
fn is_global(node: Node<'_>, ctx: &FileContext<'_, '_>) -> bool {
    let mut current = node;
    for _ in 0..8 {
        let Some(parent) = current.parent() else {
            return false;
        };
        match parent.kind_name() {
            "call_expression" => {
                let global_pipes = parent
                    .field(Field::Function)
                    .filter(|f| f.kind_name() == "member_expression")
                    .and_then(|f| f.field(Field::Property))
                    .is_some_and(|p| text(p, ctx.source) == "useGlobalPipes");
                if global_pipes {
                    return true;
                }
            }
            "object" => {
                return named_children(parent).any(|entry| {
                    entry.kind_name() == "pair"
                        && entry
                            .field(Field::Key)
                            .is_some_and(|k| text(k, ctx.source) == "provide")
                        && entry.field(Field::Value).is_some_and(|v| {
                            ctx.imports
                                .get(text(v, ctx.source))
                                .is_some_and(|b| b.is("@nestjs/core", "APP_PIPE"))
                        })
                });
            }
            "class_body" | "program" => return false,
            _ => {}
        }
        current = parent;
    }
    false
}

/// Whether every version a manifest's range allows is below 0.14: a plain `0.x.y`, `^0.x.y`,
/// `~0.x.y` or `=0.x.y` with `x` below 14. Anything else is not judged.
fn below_0_14(range: &str) -> bool {
    let version = range
        .trim()
        .trim_start_matches(['^', '~', '=', 'v'])
        .trim_start();
    let mut parts = version.split('.');
    let (Some(major), Some(minor)) = (parts.next(), parts.next()) else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let patch_ok = parts.next().is_none_or(|p| {
        p.split(['-', '+'])
            .next()
            .is_some_and(|p| digits(p) || p == "x" || p == "*")
    });
    digits(major)
        && digits(minor)
        && patch_ok
        && major == "0"
        && minor.parse::<u32>().is_ok_and(|m| m < 14)
}

#[cfg(test)]
mod tests {
    use super::below_0_14;

    #[test]
    fn plain_ranges_below_0_14() {
        for old in [
            "0.13.2", "^0.13.2", "~0.12.0", "=0.11.1", "0.13", "0.13.x", "^0.9.1",
        ] {
            assert!(below_0_14(old), "{old}");
        }
        for other in [
            "0.14.0",
            "^0.14.1",
            "0.15.1",
            "1.0.0",
            ">=0.12.0",
            "*",
            "latest",
            "workspace:*",
            "^0.13.0 || ^0.14.0",
            "",
            "0",
            "file:../cv",
        ] {
            assert!(!below_0_14(other), "{other}");
        }
    }
}
