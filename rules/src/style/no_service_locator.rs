use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::nest::ClassView;
use nestlint_engine::syntax::{text, Node};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_callee, enclosing_method};

pub struct NoServiceLocator;

static META: RuleMeta = RuleMeta {
    id: "no-service-locator",
    category: Category::Style,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "Providers get their dependencies by injection, not from `ModuleRef.get()`",
    docs: r#"## What it does
Reports `this.moduleRef.get(...)` and `this.moduleRef.resolve(...)` in a class whose constructor
takes a `ModuleRef` (from `@nestjs/core`).

## Why is this bad?
A dependency fetched at run time is invisible in the constructor: the module graph no longer
says what the class needs, a missing provider fails on the first call instead of at boot, and
tests must stub the `ModuleRef` rather than pass the dependency.

## Example
```ts,expect_diagnostic
import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { MailService } from './mail.service';

@Injectable()
export class UsersService {
  constructor(private readonly moduleRef: ModuleRef) {}

  welcome(to: string) {
    return this.moduleRef.get(MailService).send(to);
  }
}
```

Use instead:
```ts
import { Injectable } from '@nestjs/common';
import { MailService } from './mail.service';

@Injectable()
export class UsersService {
  constructor(private readonly mail: MailService) {}

  welcome(to: string) {
    return this.mail.send(to);
  }
}
```

## When it stays silent
- `ModuleRef` used to create request-scoped or transient instances (`create`,
  `resolve` with a context id), which injection cannot give; test files.

Off by default: plugin systems and request-scoped providers use `ModuleRef` on purpose.

## References
- https://docs.nestjs.com/fundamentals/module-ref
"#,
};

impl Rule for NoServiceLocator {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["call_expression"]
    }

    fn check_node<'t>(&self, call: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if !matches!(ctx.call_name(call), Some("get" | "resolve")) {
            return;
        }
        let Some(callee) = call_callee(call, ctx.source) else {
            return;
        };
        if !matches!(callee.name, "get" | "resolve") {
            return;
        }
        let Some(field) = callee.object.and_then(|o| o.strip_prefix("this.")) else {
            return;
        };
        if field.contains('.') {
            return;
        }
        // `resolve(token, contextId)`: a request-scoped instance, which injection cannot give.
        let arguments = crate::code::call_arguments(call);
        if callee.name == "resolve" && arguments.len() > 1 {
            return;
        }
        let Some((_, class)) = enclosing_method(call) else {
            return;
        };
        if !takes_module_ref(&class, field, ctx) {
            return;
        }
        let what = arguments.first().map_or("a provider".to_owned(), |a| {
            format!("`{}`", text(*a, ctx.source))
        });
        ctx.report(
            range_of(call),
            format!("{what} is looked up from `ModuleRef` instead of injected"),
        )
        .note("the constructor no longer says what the class needs, and a missing provider fails on first use")
        .help("inject it in the constructor (with `forwardRef()` if the two depend on each other)");
    }
}

/// Whether the class's constructor has the parameter property `field` typed `ModuleRef` from
/// `@nestjs/core`.
fn takes_module_ref(class: &ClassView<'_>, field: &str, ctx: &FileContext<'_, '_>) -> bool {
    let is_module_ref = ctx
        .imports
        .get("ModuleRef")
        .is_some_and(|b| b.is("@nestjs/core", "ModuleRef"));
    if !is_module_ref {
        return false;
    }
    class.members().iter().any(|member| {
        member.is_constructor(ctx.source)
            && member.params().iter().any(|param| {
                param.name(ctx.source) == field
                    && param
                        .type_node()
                        .is_some_and(|t| text(t, ctx.source) == "ModuleRef")
            })
    })
}
