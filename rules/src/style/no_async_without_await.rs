use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{children, is_function_scope, visit_bounded, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::method_name;

pub struct NoAsyncWithoutAwait;

static META: RuleMeta = RuleMeta {
    id: "no-async-without-await",
    category: Category::Style,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "An `async` method awaits something",
    docs: r#"## What it does
Reports an `async` method of a class whose body has no `await` (nested functions aside) and no
`for await`. Methods Nest or a library calls through an interface that may return a promise
(`canActivate`, `intercept`, `transform`, `catch`, `use`, `validate`, lifecycle hooks, `process`,
`handle*`) are left alone.

## Why is this bad?
`async` on a method that awaits nothing wraps its result in a promise for no reason: callers must
await it, a thrown error becomes a rejection, and readers look for the asynchronous work that is
not there. Often an `await` was forgotten and the promise inside is not waited for.

## Example
```ts,expect_diagnostic
import { Injectable } from '@nestjs/common';

@Injectable()
export class PricesService {
  async total(prices: number[]): Promise<number> {
    return prices.reduce((sum, price) => sum + price, 0);
  }
}
```

Use instead:
```ts
import { Injectable } from '@nestjs/common';

@Injectable()
export class PricesService {
  total(prices: number[]): number {
    return prices.reduce((sum, price) => sum + price, 0);
  }
}
```

## When it stays silent
- methods with an `await` or `for await`, abstract and empty methods, the entry points listed
  above; test files.

Off by default: a matter of style.

## References
- https://eslint.org/docs/latest/rules/require-await
"#,
};

const ENTRY_POINTS: &[&str] = &[
    "canActivate",
    "intercept",
    "transform",
    "catch",
    "use",
    "validate",
    "process",
    "onModuleInit",
    "onApplicationBootstrap",
    "onModuleDestroy",
    "beforeApplicationShutdown",
    "onApplicationShutdown",
    "createTypeOrmOptions",
    "createMongooseOptions",
    "createJwtOptions",
    "createCacheOptions",
    "createSharedConfiguration",
    "resolve",
];

/// How many nodes of a body are read looking for an `await`.
const BODY_LIMIT: usize = 50_000;

impl Rule for NoAsyncWithoutAwait {
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
        let Some(async_keyword) = children(method).find(|c| c.kind_name() == "async") else {
            return;
        };
        let name = method_name(method, ctx.source);
        if ENTRY_POINTS.contains(&name) || name.starts_with("handle") {
            return;
        }
        let Some(body) = method.field(Field::Body) else {
            return;
        };
        if !children(body).any(|c| c.is_named()) {
            return;
        }
        let mut awaits = false;
        let mut read = 0usize;
        visit_bounded(body, BODY_LIMIT, |node| {
            read += 1;
            let kind = node.kind_name();
            if kind == "await_expression"
                || (kind == "for_in_statement" && children(node).any(|c| c.kind_name() == "await"))
            {
                awaits = true;
            }
            !awaits && (node.id() == body.id() || !is_function_scope(kind))
        });
        if awaits || read >= BODY_LIMIT {
            return;
        }
        ctx.report(
            range_of(async_keyword),
            format!("`async` method `{name}` awaits nothing"),
        )
        .note("its result is wrapped in a promise for no reason, or an `await` was forgotten")
        .help("remove `async` (and return the value or the promise), or await what it starts");
    }
}
