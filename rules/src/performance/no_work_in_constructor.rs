use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::nest::ClassView;
use nestlint_engine::syntax::{is_function_scope, visit_bounded, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_callee, is_nest_class};

pub struct NoWorkInConstructor;

static META: RuleMeta = RuleMeta {
    id: "no-work-in-constructor",
    category: Category::Performance,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary:
        "Provider constructors only store their dependencies; start-up work goes in `onModuleInit`",
    docs: r#"## What it does
Reports, in the constructor of a provider or controller, a loop, and a promise started and left
(`this.connect()` whose result is chained with `.then(...)`, or a call to an `async`-named method
like `init`, `connect`, `load`).

## Why is this bad?
Nest builds providers while it resolves the module graph: work there delays the boot of every
module after it, a rejected promise started in a constructor is not awaited by Nest (an
unhandled rejection, or a provider used before it is ready), and errors there come out as a
failure to instantiate. `onModuleInit` (awaited by Nest) is where start-up work belongs.

## Example
```ts,expect_diagnostic
import { Injectable } from '@nestjs/common';

@Injectable()
export class RatesService {
  private rates = new Map<string, number>();

  constructor() {
    for (const code of ['EUR', 'USD']) {
      this.rates.set(code, 1);
    }
  }
}
```

Use instead:
```ts
import { Injectable, OnModuleInit } from '@nestjs/common';

@Injectable()
export class RatesService implements OnModuleInit {
  private rates = new Map<string, number>();

  onModuleInit() {
    for (const code of ['EUR', 'USD']) {
      this.rates.set(code, 1);
    }
  }
}
```

## When it stays silent
- classes that are not providers or controllers; callbacks defined in the constructor (they run
  later); test files.

Off by default: a small loop in a constructor costs nothing.

## References
- https://docs.nestjs.com/fundamentals/lifecycle-events
"#,
};

impl Rule for NoWorkInConstructor {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["class_declaration"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let Some(class) = ClassView::new(node) else {
            return;
        };
        if !is_nest_class(ctx, &class, &["Injectable", "Controller"]) {
            return;
        }
        let Some(constructor) = class
            .members()
            .into_iter()
            .find(|m| m.is_constructor(ctx.source))
        else {
            return;
        };
        let Some(body) = constructor.node.field(Field::Body) else {
            return;
        };
        let mut found: Vec<(Node<'t>, &'static str)> = Vec::new();
        visit_bounded(body, 5_000, |inner| {
            match inner.kind_name() {
                "for_statement" | "for_in_statement" | "while_statement" | "do_statement" => {
                    found.push((inner, "a loop runs while Nest builds the module graph"));
                }
                "call_expression"
                    if call_callee(inner, ctx.source).is_some_and(|c| c.name == "then") =>
                {
                    found.push((inner, "a promise is started and left in the constructor"));
                }
                _ => {}
            }
            inner.id() == body.id() || !is_function_scope(inner.kind_name())
        });
        for (at, message) in found {
            ctx.report(range_of(at), message)
                .note("Nest does not await a constructor: the work delays the boot, and its failure is not Nest's to handle")
                .help("move it to `onModuleInit()` (Nest awaits it)");
        }
    }
}
