use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::Node;
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_callee, enclosing_method, is_global, is_nest_class, is_script_path};

pub struct UseNestLogger;

static META: RuleMeta = RuleMeta {
    id: "use-nest-logger",
    category: Category::Style,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "Providers and controllers log through Nest's `Logger`, not `console`",
    docs: r#"## What it does
Reports `console.log`, `console.info`, `console.warn`, `console.error`, `console.debug` and
`console.trace` in the methods of controllers, providers, resolvers, gateways, filters and
processors. `main.ts`, scripts, seeds and migrations are left alone.

## Why is this bad?
`console` bypasses the logger the application configures: no context (which class logged), no
level filtering, no JSON format for the log pipeline, no redaction, and `app.useLogger()` cannot
route it. Errors printed with `console.error` never reach the error tracker.

## Example
```ts,expect_diagnostic
import { Injectable } from '@nestjs/common';

@Injectable()
export class PaymentsService {
  charge(amount: number) {
    console.log('charging', amount);
  }
}
```

Use instead:
```ts
import { Injectable, Logger } from '@nestjs/common';

@Injectable()
export class PaymentsService {
  private readonly logger = new Logger(PaymentsService.name);

  charge(amount: number) {
    this.logger.log(`charging ${amount}`);
  }
}
```

## When it stays silent
- code outside decorated classes, `main.ts`, scripts, seeds, migrations and test files;
- a local `console` (imported or declared in the file).

Off by default: turn it on where the team has agreed on Nest's logger.

## References
- https://docs.nestjs.com/techniques/logger
"#,
};

const METHODS: &[&str] = &["log", "info", "warn", "error", "debug", "trace"];

const NEST_CLASSES: &[&str] = &[
    "Controller",
    "Injectable",
    "Resolver",
    "WebSocketGateway",
    "Catch",
    "Processor",
];

impl Rule for UseNestLogger {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["call_expression"]
    }

    fn check_node<'t>(&self, call: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if !ctx.call_name(call).is_some_and(|n| METHODS.contains(&n)) {
            return;
        }
        let Some(callee) = call_callee(call, ctx.source) else {
            return;
        };
        if callee.object != Some("console") || !METHODS.contains(&callee.name) {
            return;
        }
        if !is_global(ctx, "console") || is_script_path(ctx) {
            return;
        }
        let Some((_, class)) = enclosing_method(call) else {
            return;
        };
        if !is_nest_class(ctx, &class, NEST_CLASSES) {
            return;
        }
        let level = match callee.name {
            "info" => "log",
            "trace" => "verbose",
            other => other,
        };
        ctx.report(
            range_of(call),
            format!("`console.{}` bypasses the application's logger", callee.name),
        )
        .note("no context, no level filtering, no format or destination `app.useLogger()` sets")
        .help(format!(
            "use a `Logger` (`private readonly logger = new Logger(ClassName.name)`) and `this.logger.{level}(...)`"
        ));
    }
}
