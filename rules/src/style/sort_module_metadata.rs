use std::cmp::Ordering;

use nestlint_diagnostics::{Edit, Fix, Severity, TextRange};
use nestlint_engine::syntax::nest::{ClassView, DecoratorView};
use nestlint_engine::syntax::{
    children, named_children, text, unwrap_expression, Field, Node, NodeExt,
};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

pub struct SortModuleMetadata;

static META: RuleMeta = RuleMeta {
    id: "sort-module-metadata",
    category: Category::Style,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::Sometimes,
    scope: Scope::File,
    summary:
        "`@Module()` arrays (`imports`, `controllers`, `providers`, `exports`) are sorted by name",
    docs: r#"## What it does
Reports an `imports`, `controllers`, `providers` or `exports` array of `@Module()` whose entries
are not in ascending order of their names, compared without case: a class or token by its name,
`ConfigModule.forRoot(...)` by `ConfigModule`, `Namespace.Name` by its text. Entries with the
same name keep their order (`TypeOrmModule.forRoot()` stays before `TypeOrmModule.forFeature()`).

Off by default: order is a team's convention. Turn it on with `sort-module-metadata = "warn"` in
`[rules]`, or `--select sort-module-metadata`.

## Why is this bad?
A sorted list is scanned at a glance, shows a duplicate next to its twin, and turns concurrent
additions into separate lines that merge without conflict.

## Example
```ts,expect_diagnostic
import { Module } from '@nestjs/common';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { TokenService } from './token.service';

@Module({
  controllers: [AuthController],
  providers: [TokenService, AuthService],
})
export class AuthModule {}
```

Use instead:
```ts
import { Module } from '@nestjs/common';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { TokenService } from './token.service';

@Module({
  controllers: [AuthController],
  providers: [AuthService, TokenService],
})
export class AuthModule {}
```

## Fix
Sorts the whole array in one pass, each entry moved with its text, the separators and line breaks
left in place. Safe for `controllers`, `providers` and `exports` whose calls keep their relative
order. Unsafe for `imports` (Nest initialises sibling modules, and runs their lifecycle hooks, in
the order they are imported) and wherever calls would run in another order (`forRoot(...)`
arguments are evaluated as the array is built).

## When it stays silent
- arrays holding anything but names, `X.Y` and calls on them: provider objects
  (`{ provide, useFactory }`), spreads, `forwardRef(...)`, conditionals;
- arrays with comments between their entries (a comment belongs to a line the sort would move);
- factory `inject` arrays, whose order is the factory's parameters (nestjs-typed's #198), and every
  other array of the metadata;
- `Module` decorators that are not `@nestjs/common`'s.

## References
- https://docs.nestjs.com/modules
"#,
};

/// The keys of `@Module()` metadata whose arrays are sorted.
const SORTED_KEYS: &[&str] = &["imports", "controllers", "providers", "exports"];

impl Rule for SortModuleMetadata {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["class_declaration", "abstract_class_declaration", "class"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        // Only files that can hold Nest's decorators.
        if !ctx
            .imports
            .iter()
            .any(|b| b.source.as_str() == "@nestjs/common")
        {
            return;
        }
        let Some(class) = ClassView::new(node) else {
            return;
        };
        for decorator in ctx.class_decorators(&class) {
            let view = DecoratorView::new(decorator);
            let Some(callee) = view.callee(ctx.source) else {
                continue;
            };
            let is_module = match ctx.imports.get(callee.object.unwrap_or(callee.name)) {
                Some(binding) if callee.object.is_none() => binding.is("@nestjs/common", "Module"),
                Some(binding) => {
                    binding.source.as_str() == "@nestjs/common" && callee.name == "Module"
                }
                None => false,
            };
            if !is_module {
                continue;
            }
            let Some(metadata) = view
                .arguments()
                .first()
                .map(|a| unwrap_expression(*a))
                .filter(|a| a.kind_name() == "object")
            else {
                continue;
            };
            let module = class.name(ctx.source).unwrap_or("the module");
            for pair in named_children(metadata).filter(|n| n.kind_name() == "pair") {
                let Some(key) = pair.field(Field::Key).map(|k| text(k, ctx.source)) else {
                    continue;
                };
                let key = key.trim_matches(|c| c == '\'' || c == '"');
                if !SORTED_KEYS.contains(&key) {
                    continue;
                }
                let Some(array) = pair
                    .field(Field::Value)
                    .map(unwrap_expression)
                    .filter(|v| v.kind_name() == "array")
                else {
                    continue;
                };
                check_array(array, key, module, ctx);
            }
        }
    }
}

/// One entry of a sortable array.
struct Entry<'t> {
    node: Node<'t>,
    /// What it is sorted by.
    key: &'t str,
    is_call: bool,
}

fn check_array(array: Node<'_>, key: &str, module: &str, ctx: &mut FileContext<'_, '_>) {
    // A comment belongs to the line the sort would move.
    if children(array).any(|c| c.kind_name() == "comment") {
        return;
    }
    let mut entries: Vec<Entry<'_>> = Vec::new();
    for element in named_children(array) {
        // A comment, a spread, an object: not sortable.
        let Some(entry) = entry(element, ctx.source) else {
            return;
        };
        entries.push(entry);
    }
    if entries.len() < 2 {
        return;
    }
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| compare(entries[a].key, entries[b].key));
    let Some(first_moved) = order.iter().enumerate().position(|(at, &from)| at != from) else {
        return;
    };
    let misplaced = &entries[order[first_moved]];
    let before = &entries[first_moved];
    let calls_reordered = {
        let calls_before: Vec<usize> = (0..entries.len()).filter(|&i| entries[i].is_call).collect();
        let calls_after: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| entries[i].is_call)
            .collect();
        calls_before != calls_after
    };
    let edits: Vec<Edit> = order
        .iter()
        .enumerate()
        .filter(|(at, from)| at != *from)
        .map(|(at, &from)| {
            let target = entries[at].node;
            Edit::replacement(
                TextRange::new(target.start_byte(), target.end_byte()),
                text(entries[from].node, ctx.source).to_owned(),
            )
        })
        .collect();
    let title = format!("sort `{key}`");
    let fix = if key == "imports" || calls_reordered {
        Fix::unsafe_edits(title, edits)
    } else {
        Fix::safe(title, edits)
    };
    ctx.report(
        TextRange::new(misplaced.node.start_byte(), misplaced.node.end_byte()),
        format!(
            "`{key}` of `{module}` is not sorted: `{}` belongs before `{}`",
            misplaced.key, before.key
        ),
    )
    .help(format!("sort `{key}` by name"))
    .fix(Some(fix));
}

/// An array element the rule can sort, with its key.
fn entry<'t>(element: Node<'t>, source: &'t str) -> Option<Entry<'t>> {
    match element.kind_name() {
        "identifier" | "member_expression" => Some(Entry {
            node: element,
            key: name_key(element, source)?,
            is_call: false,
        }),
        "call_expression" => {
            // `X.forRoot(...)`, `X.Y.register(...)`: sorted by what the method is called on.
            let function = element.field(Field::Function)?;
            if function.kind_name() != "member_expression" {
                return None;
            }
            let object = function.field(Field::Object)?;
            Some(Entry {
                node: element,
                key: name_key(object, source)?,
                is_call: true,
            })
        }
        _ => None,
    }
}

/// The text of a name or a chain of names (`Foo`, `Foo.Bar`).
fn name_key<'t>(node: Node<'_>, source: &'t str) -> Option<&'t str> {
    match node.kind_name() {
        "identifier" => Some(text(node, source)),
        "member_expression" => {
            let object = node.field(Field::Object)?;
            let property = node.field(Field::Property)?;
            (property.kind_name() == "property_identifier" && name_key(object, source).is_some())
                .then(|| text(node, source))
        }
        _ => None,
    }
}

/// Case-insensitive order of ASCII names; equal keys compare equal (the sort is stable).
fn compare(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}
