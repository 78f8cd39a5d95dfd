use nestlint_diagnostics::Severity;
use nestlint_engine::syntax::nest::callee_of;
use nestlint_engine::syntax::{named_children, text, unwrap_expression, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

pub struct NoAppTokenLookup;

static META: RuleMeta = RuleMeta {
    id: "no-app-token-lookup",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "`APP_GUARD`, `APP_PIPE`, `APP_FILTER` and `APP_INTERCEPTOR` are registered, never injected or looked up",
    docs: r#"## What it does
Reports `@Inject(APP_GUARD)` (or `APP_PIPE`, `APP_FILTER`, `APP_INTERCEPTOR`, imported from
`@nestjs/core`) and lookups of those tokens with `get(...)` or `resolve(...)` (`app.get(APP_GUARD)`,
`this.moduleRef.get(APP_PIPE)`).

## Why is this bad?
These tokens are multi-providers Nest consumes itself: each registration becomes a global enhancer,
and none can be retrieved. Injecting one fails at boot ("Nest can't resolve dependencies ...
APP_GUARD"), and a lookup throws at run time.

## Example
```ts,expect_diagnostic
import { CanActivate, Inject, Injectable } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';

@Injectable()
export class AuditService {
  constructor(@Inject(APP_GUARD) private readonly guard: CanActivate) {}
}
```

Use instead:
```ts
import { Injectable } from '@nestjs/common';
import { RolesGuard } from './roles.guard';

@Injectable()
export class AuditService {
  constructor(private readonly guard: RolesGuard) {}
}
```

## References
- https://docs.nestjs.com/guards#binding-guards
"#,
};

const APP_TOKENS: &[&str] = &["APP_GUARD", "APP_PIPE", "APP_FILTER", "APP_INTERCEPTOR"];

impl Rule for NoAppTokenLookup {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["call_expression"]
    }

    fn check_node<'t>(&self, call: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        match ctx.call_name(call) {
            Some("get" | "resolve") => {}
            Some(name) if ctx.imports.get(name).is_some() => {}
            _ => return,
        }
        let Some(function) = nestlint_engine::syntax::call_function(call) else {
            return;
        };
        let Some(callee) = callee_of(function, ctx.source) else {
            return;
        };
        let looked_up = match callee.object {
            None => ctx
                .imports
                .get(callee.name)
                .is_some_and(|b| b.is("@nestjs/common", "Inject")),
            Some(_) => matches!(callee.name, "get" | "resolve"),
        };
        if !looked_up {
            return;
        }
        let Some(argument) = call
            .field(Field::Arguments)
            .and_then(|a| named_children(a).next())
            .map(unwrap_expression)
        else {
            return;
        };
        if argument.kind_name() != "identifier" {
            return;
        }
        let local = text(argument, ctx.source);
        let Some(token) = ctx
            .imports
            .get(local)
            .filter(|b| b.source == "@nestjs/core")
            .and_then(|b| APP_TOKENS.iter().find(|t| b.is("@nestjs/core", t)))
        else {
            return;
        };
        let range = nestlint_engine::diagnostics::TextRange::new(
            argument.start_byte(),
            argument.end_byte(),
        );
        let message = if callee.object.is_none() {
            format!("`{token}` is injected: Nest registers it as a global enhancer and never gives it out")
        } else {
            format!("`{token}` is looked up: Nest registers it as a global enhancer and never gives it out")
        };
        ctx.report(range, message)
            .help("inject the guard, pipe, filter or interceptor class itself, provided under its own token")
            .note(format!("`{token}` is a multi-provider Nest consumes at boot; it cannot be resolved"));
    }
}
