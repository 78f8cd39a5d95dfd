use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{unwrap_expression, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{
    call_arguments, call_callee, gated_on_environment, imported_callee, is_true, literal_string,
    object_value,
};

pub struct CorsRestricted;

static META: RuleMeta = RuleMeta {
    id: "cors-restricted",
    category: Category::Security,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "CORS names the origins it trusts instead of allowing every one",
    docs: r#"## What it does
Reports CORS set up to allow every origin:
- `app.enableCors()` with no options (the `cors` package then answers `*`);
- `NestFactory.create(AppModule, { cors: true })`;
- `origin: '*'` or `origin: true` in the options of either;
- `@Header('Access-Control-Allow-Origin', '*')` on a handler.

`origin: true` with `credentials: true` is called out: every site a user visits can then make
requests with the user's cookies and read the answers.

## Why is this bad?
A browser enforces the same-origin policy only as far as the server's CORS answer lets it. An API
that answers every origin lets any page a user opens call it from the user's browser, and with
credentials it hands that page the user's session.

## Example
```ts,expect_diagnostic
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.enableCors({ origin: true, credentials: true });
  await app.listen(3000);
}
bootstrap();
```

Use instead:
```ts
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.enableCors({ origin: ['https://app.example.com'], credentials: true });
  await app.listen(3000);
}
bootstrap();
```

## When it stays silent
- set-ups in a branch for one kind of environment (`if (isDevelopment) { ... }`, a condition on
  `NODE_ENV`);
- options that are not written in place (a variable, a config value, a spread that may set
  `origin`), an `origin` read from configuration or decided by a function;
- files that import nothing from `@nestjs/`; test files.

## References
- https://docs.nestjs.com/security/cors
- https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS
"#,
};

impl Rule for CorsRestricted {
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
        if !matches!(
            ctx.call_name(call),
            Some("enableCors" | "create" | "Header")
        ) {
            return;
        }
        let Some(callee) = call_callee(call, ctx.source) else {
            return;
        };
        if !matches!(callee.name, "enableCors" | "create" | "Header")
            || gated_on_environment(call, ctx.source)
        {
            return;
        }
        match (callee.object.is_some(), callee.name) {
            (true, "enableCors") => {
                if !ctx.imports.iter().any(|b| b.source.starts_with("@nestjs/")) {
                    return;
                }
                match call_arguments(call).first() {
                    None => {
                        ctx.report(
                            range_of(call),
                            "`enableCors()` without options allows every origin (`*`)",
                        )
                        .note("any page a user opens can call the API from the user's browser")
                        .help("pass `{ origin: [...] }` with the origins of your front ends");
                    }
                    Some(&options) => check_options(options, ctx),
                }
            }
            (true, "create") => {
                if imported_callee(ctx, &callee) != Some(("@nestjs/core", "create"))
                    && !ctx
                        .imports
                        .get(callee.object.unwrap_or_default())
                        .is_some_and(|b| b.is("@nestjs/core", "NestFactory"))
                {
                    return;
                }
                let arguments = call_arguments(call);
                let Some(&options) = arguments.get(1) else {
                    return;
                };
                if options.kind_name() != "object" {
                    return;
                }
                let (Some(cors), _) = object_value(options, "cors", ctx.source) else {
                    return;
                };
                if is_true(cors) {
                    ctx.report(range_of(cors), "`cors: true` allows every origin (`*`)")
                        .note("any page a user opens can call the API from the user's browser")
                        .help("pass `cors: { origin: [...] }` with the origins of your front ends");
                } else {
                    check_options(cors, ctx);
                }
            }
            (false, "Header") => {
                if !ctx
                    .imports
                    .get("Header")
                    .is_some_and(|b| b.is("@nestjs/common", "Header"))
                {
                    return;
                }
                let arguments = call_arguments(call);
                let (Some(&name), Some(&value)) = (arguments.first(), arguments.get(1)) else {
                    return;
                };
                let is_allow_origin = literal_string(name, ctx.source)
                    .is_some_and(|n| n.eq_ignore_ascii_case("access-control-allow-origin"));
                if is_allow_origin && literal_string(value, ctx.source).as_deref() == Some("*") {
                    ctx.report(
                        range_of(call),
                        "`Access-Control-Allow-Origin: *` allows every origin",
                    )
                    .note("any page a user opens can call this route from the user's browser")
                    .help("name the trusted origins in `enableCors({ origin: [...] })`");
                }
            }
            _ => {}
        }
    }
}

/// `{ origin: '*' | true, credentials }` written in place.
fn check_options(options: Node<'_>, ctx: &mut FileContext<'_, '_>) {
    let options = unwrap_expression(options);
    if options.kind_name() != "object" {
        return;
    }
    let (origin, spread) = object_value(options, "origin", ctx.source);
    let Some(origin) = origin else {
        if !spread {
            ctx.report(
                range_of(options),
                "CORS options without `origin` allow every origin (`*`)",
            )
            .note("any page a user opens can call the API from the user's browser")
            .help("add `origin: [...]` with the origins of your front ends");
        }
        return;
    };
    let credentials = object_value(options, "credentials", ctx.source)
        .0
        .is_some_and(is_true);
    if is_true(origin) {
        if credentials {
            ctx.report(
                range_of(origin),
                "`origin: true` with `credentials: true` lets every site make requests with the user's cookies",
            )
            .note("the origin of each request is reflected back, so any page can read the user's data")
            .help("list the trusted origins: `origin: ['https://app.example.com']`");
        } else {
            ctx.report(range_of(origin), "`origin: true` allows every origin")
                .note("the origin of each request is reflected back")
                .help("list the trusted origins: `origin: ['https://app.example.com']`");
        }
    } else if literal_string(origin, ctx.source).as_deref() == Some("*") {
        ctx.report(range_of(origin), "`origin: '*'` allows every origin")
            .note("any page a user opens can call the API from the user's browser")
            .help("list the trusted origins: `origin: ['https://app.example.com']`");
    }
}
