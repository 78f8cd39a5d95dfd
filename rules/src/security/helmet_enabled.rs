use nestlint_diagnostics::Severity;
use nestlint_engine::facts::{range_of, Value};
use nestlint_engine::syntax::{
    children, named_children, text, unwrap_expression, Field, Node, NodeExt,
};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, Scope, Symbol,
};

use crate::code::{call_arguments, call_callee, pair_key};

pub struct HelmetEnabled;

static META: RuleMeta = RuleMeta {
    id: "helmet-enabled",
    category: Category::Security,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "An HTTP application sets security headers with helmet, and keeps its protections on",
    docs: r#"## What it does
Reports two things:
- an HTTP application (`NestFactory.create(...)` whose bootstrap calls `listen`) in a package that
  neither depends on nor imports a security-headers middleware (`helmet`, `@fastify/helmet`,
  `fastify-helmet`, `koa-helmet`, `lusca`): its responses carry none of the headers the NestJS
  security docs ask for;
- a protection switched off in helmet's options (`contentSecurityPolicy`, `hsts` /
  `strictTransportSecurity`, `frameguard` / `xFrameOptions`, `noSniff` /
  `xContentTypeOptions` set to `false`) in `helmet({...})` or
  `app.register(fastifyHelmet, {...})`, with no comment beside it saying why.

## Why is this bad?
Without `Strict-Transport-Security` a browser may talk to the API over plain HTTP; without
`X-Frame-Options` or a `frame-ancestors` policy its pages can be framed for click-jacking;
without `X-Content-Type-Options: nosniff` a browser may run an upload as script; and Express
announces itself in `X-Powered-By`. helmet sets these with one call. A protection switched off
for Swagger UI or a GraphQL playground is easy to forget when the reason goes away, so the rule
asks for the reason to be written down.

## Example
```json,file=package.json
{ "dependencies": { "@nestjs/common": "^11.0.0", "@nestjs/core": "^11.0.0" } }
```

```ts,expect_diagnostic
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  await app.listen(3000);
}
bootstrap();
```

```ts,expect_diagnostic
import { NestFactory } from '@nestjs/core';
import helmet from 'helmet';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.use(helmet({ contentSecurityPolicy: false }));
  await app.listen(3000);
}
bootstrap();
```

Use instead:
```ts
import { NestFactory } from '@nestjs/core';
import helmet from 'helmet';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  // Swagger UI's inline scripts: DocsMiddleware sets a policy for /docs.
  app.use(helmet({ contentSecurityPolicy: false }));
  await app.listen(3000);
}
bootstrap();
```

## When it stays silent
- a package that declares or imports one of the packages above, or whose workspace's root
  `package.json` or a workspace package it depends on declares one: helmet may be applied where
  the engine cannot see it (a helper in another folder or package, the Express instance given to
  `ExpressAdapter`, a sub-application mounted on the server, `consumer.apply(helmet())`), and the
  rule does not guess;
- an application that applies middleware other than a package's (`app.use(mid.handler)` for
  configured middleware, a function written in place or one of the project's, which may set the
  headers itself);
- a package without a `package.json`; an application whose bootstrap never calls `listen` (a
  script, a serverless handler, a microservice); test files;
- a protection switched off by a value computed at run time
  (`contentSecurityPolicy: isProduction ? undefined : false`).

The order of `app.use` calls is not judged: Nest registers its routes when the application
starts, after every `app.use` of the bootstrap, so helmet placed after `cookieParser()` still
covers every route.

## References
- https://docs.nestjs.com/security/helmet
- https://helmetjs.github.io/
"#,
};

/// Packages that set security headers.
const HEADER_PACKAGES: &[&str] = &[
    "helmet",
    "@fastify/helmet",
    "fastify-helmet",
    "koa-helmet",
    "lusca",
];

/// helmet options that switch a protection off when `false`, with the header each one sets.
const PROTECTIONS: &[(&str, &str)] = &[
    ("contentSecurityPolicy", "Content-Security-Policy"),
    ("hsts", "Strict-Transport-Security"),
    ("strictTransportSecurity", "Strict-Transport-Security"),
    ("frameguard", "X-Frame-Options"),
    ("xFrameOptions", "X-Frame-Options"),
    ("noSniff", "X-Content-Type-Options"),
    ("xContentTypeOptions", "X-Content-Type-Options"),
];

impl Rule for HelmetEnabled {
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
        let options = match ctx.call_name(call) {
            Some("register") => {
                let arguments = call_arguments(call);
                let plugin = arguments.first().map(|p| text(*p, ctx.source));
                if !plugin.and_then(|p| ctx.imports.get(p)).is_some_and(|b| {
                    matches!(b.source.as_str(), "@fastify/helmet" | "fastify-helmet")
                }) {
                    return;
                }
                arguments.get(1).copied()
            }
            Some("helmet") => {
                let imported = ctx
                    .imports
                    .get("helmet")
                    .is_some_and(|b| b.source == "helmet");
                let plain_call = call_callee(call, ctx.source).is_some_and(|c| c.object.is_none());
                if !(imported && plain_call) {
                    return;
                }
                call_arguments(call).first().copied()
            }
            _ => return,
        };
        let Some(options) = options.map(unwrap_expression) else {
            return;
        };
        if options.kind_name() != "object" {
            return;
        }
        let explained = explained(call, options, ctx.source);
        for pair in named_children(options) {
            let Some(key) = pair_key(pair, ctx.source) else {
                continue;
            };
            let Some(&(_, header)) = PROTECTIONS.iter().find(|(k, _)| *k == key) else {
                continue;
            };
            let switched_off = pair
                .field(Field::Value)
                .is_some_and(|v| unwrap_expression(v).kind_name() == "false");
            if switched_off && !explained {
                ctx.report(
                    range_of(pair),
                    format!("`{key}: false` switches off helmet's `{header}` header"),
                )
                .note("a protection switched off for a reason that has gone is easy to forget")
                .help(
                    "configure it instead of switching it off, or say why in a comment beside it",
                );
            }
        }
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let applications = index.applications();
        for app in &applications.apps {
            if app.implicit || !app.http {
                continue;
            }
            let bootstrap = index.file(app.file);
            if !bootstrap.is_target || bootstrap.is_test {
                continue;
            }
            let package = index.package(app.file);
            if !package.has_manifest || index.declares_any(package, HEADER_PACKAGES) {
                continue;
            }
            if app
                .global_middleware
                .iter()
                .any(|(file, value)| may_set_headers(index, *file, value))
            {
                continue;
            }
            let imports_headers = index.files().any(|(_, file)| {
                file.package == bootstrap.package
                    && file
                        .facts
                        .imports
                        .iter()
                        .any(|b| HEADER_PACKAGES.contains(&b.source.as_str()))
            });
            if imports_headers {
                continue;
            }
            let fastify = bootstrap.facts.app_calls.iter().any(|call| {
                call.range == app.range
                    && call.args.iter().any(|arg| {
                        matches!(arg, Value::New { class, .. } if class.name.as_str() == "FastifyAdapter")
                    })
            });
            let help = if fastify {
                "`npm i @fastify/helmet`, then `await app.register(helmet)` before `listen`"
            } else {
                "`npm i helmet`, then `app.use(helmet())` before `listen`"
            };
            ctx.report(
                index,
                app.file,
                app.range,
                "this application sets no security headers: no helmet is applied",
            )
            .note("responses go out without `Strict-Transport-Security`, `X-Frame-Options` or `X-Content-Type-Options`, and announce the framework in `X-Powered-By`")
            .help(help);
        }
    }
}

/// An `app.use(...)` argument that may set the headers itself: a function written in place, or a
/// value from elsewhere (configured middleware, `app.use(mid.route, mid.handler)` in a loop)
/// rather than a call of a package's middleware factory (`cookieParser()`) or a route string.
fn may_set_headers(index: &ProjectIndex, file: FileId, value: &Value) -> bool {
    match value {
        Value::String(_) | Value::Call { .. } | Value::New { .. } | Value::Literal => false,
        // Only a package's export is known not to touch the headers: the project's own
        // middleware may set them (`res.header(...)`).
        Value::Ident(name) => !matches!(index.resolve(file, name), Symbol::External { .. }),
        _ => true,
    }
}

/// A comment says why: inside the options, after the call on its line, or on the line before
/// the call.
fn explained(call: Node<'_>, options: Node<'_>, source: &str) -> bool {
    if children(options).any(|child| child.kind_name() == "comment") {
        return true;
    }
    let rest = source.get(call.end_byte()..).unwrap_or("");
    let same_line = rest.split('\n').next().unwrap_or("");
    if same_line.contains("//") || same_line.contains("/*") {
        return true;
    }
    let head = source.get(..call.start_byte()).unwrap_or("");
    let line_start = head.rfind('\n').unwrap_or(0);
    let previous = head
        .get(..line_start)
        .unwrap_or("")
        .rsplit('\n')
        .next()
        .unwrap_or("");
    let previous = previous.trim_start();
    previous.starts_with("//") || previous.starts_with("/*") || previous.starts_with('*')
}
