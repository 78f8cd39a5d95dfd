use nestlint_diagnostics::{Edit, Fix, Severity};
use nestlint_engine::edits::ensure_import;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::nest::{ClassView, MemberKind};
use nestlint_engine::syntax::{named_children, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::is_nest_class;

pub struct LifecycleHookInterface;

static META: RuleMeta = RuleMeta {
    id: "lifecycle-hook-interface",
    category: Category::Style,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::Always,
    scope: Scope::File,
    summary: "A class with a lifecycle hook implements its interface (`implements OnModuleInit`)",
    docs: r#"## What it does
Reports a lifecycle hook (`onModuleInit`, `onApplicationBootstrap`, `onModuleDestroy`,
`beforeApplicationShutdown`, `onApplicationShutdown`) in a controller, provider or module whose
class does not implement the hook's interface. The fix adds the interface to the class's
`implements` clause and imports it from `@nestjs/common`.

## Why is this bad?
Nest calls the hook by its name, so a typo (`onModuleInt`) or a wrong signature is silently never
called. With the interface, the compiler checks the name and the signature, and readers see at
the class's first line that it runs code at start-up or shut-down.

## Example
```ts,expect_diagnostic
import { Injectable } from '@nestjs/common';

@Injectable()
export class CacheWarmer {
  async onModuleInit() {
    await this.warm();
  }

  private async warm() {}
}
```

Use instead:
```ts
import { Injectable, OnModuleInit } from '@nestjs/common';

@Injectable()
export class CacheWarmer implements OnModuleInit {
  async onModuleInit() {
    await this.warm();
  }

  private async warm() {}
}
```

## Fix
Safe: adds `implements OnModuleInit` (or `, OnModuleInit` to an existing `implements` clause) and
imports the interface from `@nestjs/common`. No fix when the name is already taken by another
import.

## When it stays silent
- classes Nest does not instantiate (no `@Injectable()`, `@Controller()`, `@Module()`, ...),
  a class that already implements the interface (or one of the same name); test files.

Off by default: a matter of style.

## References
- https://docs.nestjs.com/fundamentals/lifecycle-events
"#,
};

const HOOKS: &[(&str, &str)] = &[
    ("onModuleInit", "OnModuleInit"),
    ("onApplicationBootstrap", "OnApplicationBootstrap"),
    ("onModuleDestroy", "OnModuleDestroy"),
    ("beforeApplicationShutdown", "BeforeApplicationShutdown"),
    ("onApplicationShutdown", "OnApplicationShutdown"),
];

impl Rule for LifecycleHookInterface {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["class_declaration", "abstract_class_declaration"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let Some(class) = ClassView::new(node) else {
            return;
        };
        if !is_nest_class(
            ctx,
            &class,
            &[
                "Injectable",
                "Controller",
                "Module",
                "Resolver",
                "WebSocketGateway",
            ],
        ) {
            return;
        }
        for member in class.members() {
            if member.kind != MemberKind::Method || member.is_static {
                continue;
            }
            let name = member.name(ctx.source);
            let Some(&(_, interface)) = HOOKS.iter().find(|(hook, _)| *hook == name) else {
                continue;
            };
            if class.implements(ctx.source, interface) {
                continue;
            }
            let fix = implement(&class, interface, ctx);
            let class_name = class.name(ctx.source).unwrap_or("the class");
            let range = member
                .name_node()
                .map_or_else(|| range_of(member.node), range_of);
            ctx.report(
                range,
                format!("`{class_name}` has `{name}` but does not implement `{interface}`"),
            )
            .note("Nest calls the hook by name: without the interface a typo or a wrong signature goes unnoticed")
            .help(format!("add `implements {interface}` (from `@nestjs/common`)"))
            .fix(fix);
        }
    }
}

/// `implements X` added to the class (or `, X` to its clause), with the import.
fn implement(class: &ClassView<'_>, interface: &str, ctx: &FileContext<'_, '_>) -> Option<Fix> {
    let import = ensure_import(ctx.root(), ctx.source, "@nestjs/common", interface).ok()?;
    let heritage = named_children(class.node).find(|c| c.kind_name() == "class_heritage");
    let clause =
        heritage.and_then(|h| named_children(h).find(|c| c.kind_name() == "implements_clause"));
    let edit = match clause {
        Some(clause) => Edit::insertion(clause.end_byte(), format!(", {interface}")),
        None => {
            let body = class.body()?;
            let at = body.start_byte();
            let space_before = ctx
                .source
                .get(..at)
                .and_then(|s| s.chars().next_back())
                .is_some_and(char::is_whitespace);
            let text = if space_before {
                format!("implements {interface} ")
            } else {
                format!(" implements {interface} ")
            };
            Edit::insertion(at, text)
        }
    };
    let mut edits: Vec<Edit> = import.into_iter().collect();
    edits.push(edit);
    edits.sort_by_key(|e| e.range.start);
    Some(Fix::safe(format!("implement `{interface}`"), edits))
}
