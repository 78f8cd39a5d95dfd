use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::nest::{ClassView, MemberKind};
use nestlint_engine::syntax::{text, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::decorators::is_imported;

pub struct ProviderStyle;

static META: RuleMeta = RuleMeta {
    id: "provider-style",
    category: Category::Style,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "Providers are singletons injected through their constructor",
    docs: r#"## What it does
Reports two ways of declaring providers that a team may want to avoid:
- `Scope.REQUEST` (in `@Injectable({ scope })`, `@Controller({ scope })` or a provider object);
- `@Inject()` on a class property instead of a constructor parameter.

## Why is this bad?
A request-scoped provider is built again for every request, and so is everything that injects
it, all the way up to the controllers: a cost on each request, and `onModuleInit` never runs for
them. Property injection hides a dependency from the constructor, so a class can be built
without it (in a test, with `new`) and fail later.

## Example
```ts,expect_diagnostic
import { Injectable, Scope } from '@nestjs/common';

@Injectable({ scope: Scope.REQUEST })
export class TenantService {}
```

Use instead:
```ts
import { Injectable } from '@nestjs/common';

@Injectable()
export class TenantService {}
```

## When it stays silent
- `Scope.TRANSIENT` and `Scope.DEFAULT`; test files.

Off by default: request scope is the right tool for per-request state in some applications.

## References
- https://docs.nestjs.com/fundamentals/injection-scopes
- https://docs.nestjs.com/providers#property-based-injection
"#,
};

impl Rule for ProviderStyle {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["member_expression", "class_declaration"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if node.kind_name() == "member_expression" {
            let (Some(object), Some(property)) =
                (node.field(Field::Object), node.field(Field::Property))
            else {
                return;
            };
            if text(object, ctx.source) != "Scope" || text(property, ctx.source) != "REQUEST" {
                return;
            }
            if !ctx
                .imports
                .get("Scope")
                .is_some_and(|b| b.is("@nestjs/common", "Scope"))
            {
                return;
            }
            ctx.report(range_of(node), "a request-scoped provider is built again for every request")
                .note("so is everything that injects it, up to the controllers")
                .help("keep the provider a singleton and pass per-request data as arguments (or read it from `AsyncLocalStorage`)");
            return;
        }
        let Some(class) = ClassView::new(node) else {
            return;
        };
        for member in class.members() {
            if member.kind != MemberKind::Property {
                continue;
            }
            let Some(&inject) = member
                .decorators
                .iter()
                .find(|&&d| is_imported(d, ctx, "@nestjs/common", &["Inject"]))
            else {
                continue;
            };
            let name = member.name(ctx.source);
            ctx.report(
                range_of(inject),
                format!("`{name}` is injected into a property, not through the constructor"),
            )
            .note("the constructor no longer shows the dependency, and the class can be built without it")
            .help("take it as a constructor parameter");
        }
    }
}
