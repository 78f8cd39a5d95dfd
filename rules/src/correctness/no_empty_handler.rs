use nestlint_diagnostics::Severity;
use nestlint_engine::nest::{NEST_COMMON, ROUTE_DECORATORS};
use nestlint_engine::syntax::nest::{ClassView, DecoratorView};
use nestlint_engine::syntax::{Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_callee, is_nest_class};
use crate::decorators::{imported_name, is_imported};

pub struct NoEmptyHandler;

static META: RuleMeta = RuleMeta {
    id: "no-empty-handler",
    category: Category::Correctness,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "A route handler does something: an empty one answers 200 with no body",
    docs: r#"## What it does
Reports a route handler (`@Get()`, `@Post()`, ... in a `@Controller()`) whose body is empty (no
statement, no comment), unless the route's work is done by something else: a guard or
interceptor of the handler's own, a Passport guard on the controller
(`@UseGuards(AuthGuard('google'))` starting an OAuth flow), `@Redirect()`, `@Render()`, or a
`@Res()`/`@Next()` parameter.

## Why is this bad?
Nest answers an empty handler with `200` (`201` for `@Post()`) and no body: a client believes the
order was created or the password changed. Usually a stub that shipped.

## Example
```ts,expect_diagnostic
import { Body, Controller, Post } from '@nestjs/common';

@Controller('orders')
export class OrdersController {
  @Post(':id/cancel')
  cancel(@Body() reason: string) {}
}
```

Use instead:
```ts
import { Body, Controller, NotImplementedException, Post } from '@nestjs/common';

@Controller('orders')
export class OrdersController {
  @Post(':id/cancel')
  cancel(@Body() reason: string) {
    throw new NotImplementedException('cancelling orders is not supported yet');
  }
}
```

## When it stays silent
- a body with a comment, handlers with their own `@UseGuards`, `@UseInterceptors`, `@Redirect`
  or `@Render`, or a `@Res()`/`@Next()` parameter, controllers guarded by a Passport
  `AuthGuard(...)`; test files.

Off by default: an empty handler is often a stub whose work a guard, an interceptor or a
middleware does; on the real apps of `docs/precision.md` every empty handler was one.

## References
- https://docs.nestjs.com/controllers
"#,
};

/// Method decorators that do a route's work without the handler's body.
const DOING_DECORATORS: &[&str] = &["UseGuards", "UseInterceptors", "Redirect", "Render", "Sse"];

impl Rule for NoEmptyHandler {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["method_definition"]
    }

    fn check_node<'t>(&self, method: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let Some(body) = method.field(Field::Body) else {
            return;
        };
        if nestlint_engine::syntax::children(body).any(|c| c.is_named()) {
            return;
        }
        let Some(class) = method
            .parent()
            .and_then(|b| b.parent())
            .and_then(ClassView::new)
        else {
            return;
        };
        let Some(member) = class
            .members()
            .into_iter()
            .find(|m| m.node.id() == method.id())
        else {
            return;
        };
        let is_route = member
            .decorators
            .iter()
            .any(|&d| is_imported(d, ctx, NEST_COMMON, ROUTE_DECORATORS));
        if !is_route || !is_nest_class(ctx, &class, &["Controller"]) {
            return;
        }
        let has_doer = member.decorators.iter().any(|&d| {
            imported_name(d, ctx).is_some_and(|(_, name)| DOING_DECORATORS.contains(&name))
        });
        let handles_response = member.params().iter().any(|param| {
            param
                .parts()
                .decorators
                .iter()
                .any(|&d| is_imported(d, ctx, NEST_COMMON, &["Res", "Response", "Next"]))
        });
        // A Passport strategy's guard on the class (`@UseGuards(AuthGuard('google'))`) answers
        // the route itself: it redirects to the provider.
        let passport_guard = ctx.class_decorators(&class).iter().any(|&d| {
            is_imported(d, ctx, NEST_COMMON, &["UseGuards"])
                && DecoratorView::new(d).arguments().iter().any(|argument| {
                    argument.kind_name() == "call_expression"
                        && call_callee(*argument, ctx.source).is_some_and(|c| c.name == "AuthGuard")
                })
        });
        if has_doer || handles_response || passport_guard {
            return;
        }
        let name = member.name(ctx.source);
        let class_name = class.name(ctx.source).unwrap_or("the controller");
        let range = member
            .name_node()
            .map(nestlint_engine::facts::range_of)
            .unwrap_or_else(|| nestlint_engine::facts::range_of(method));
        ctx.report(
            range,
            format!("the route handler `{class_name}.{name}` is empty: Nest answers success with no body"),
        )
        .note("the client believes the request did what it asked")
        .help("implement it, throw `NotImplementedException`, or remove the route");
    }
}
