use std::collections::HashMap;

use nestlint_diagnostics::Severity;
use nestlint_engine::apps::{routes_of, Route};
use nestlint_engine::facts::{ClassFact, DecoratorFact, Value};
use nestlint_engine::syntax::ImportedName;
use nestlint_engine::{
    Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta,
    Scope,
};

pub struct RateLimitingConfigured;

static META: RuleMeta = RuleMeta {
    id: "rate-limiting-configured",
    category: Category::Security,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "Sign-in routes are rate limited, and a `ThrottlerModule` has its guard bound",
    docs: r#"## What it does
Reports what leaves the routes that take credentials open to guessing:
- a sign-in route (`POST` to a path ending in `login`, `signin`, `forgot-password`,
  `reset-password`, `otp`, `2fa`, `mfa` or `magic-link`, or in `signup` or `register` below an
  `auth`, `users`, `accounts` or `email` segment) of an HTTP
  application whose package sets up no rate limiting at all: it neither depends on nor imports
  `@nestjs/throttler`, `express-rate-limit`, `rate-limiter-flexible`, `@fastify/rate-limit`,
  `express-slow-down` or `nestjs-rate-limiter`;
- a `ThrottlerModule` imported by a module of a project where no file imports `ThrottlerGuard`
  (to bind it as an `APP_GUARD`, in `@UseGuards()`, or to extend it): the module alone limits
  nothing;
- `@SkipThrottle()` on a sign-in route, or on its controller without the route opting back in
  (`@SkipThrottle({ default: false })`).

## Why is this bad?
A sign-in, sign-up or password-reset route that answers as fast as it is called lets anyone
try passwords, one-time codes or reset tokens by the million, or create accounts and send
e-mails in bulk. The NestJS security docs set up `@nestjs/throttler` with a global
`ThrottlerGuard` for this; `ThrottlerModule.forRoot()` without the guard only stores settings.

## Example
```json,file=package.json
{ "dependencies": { "@nestjs/common": "^11.0.0", "@nestjs/core": "^11.0.0" } }
```

```ts,expect_diagnostic
import { Body, Controller, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Controller('auth')
export class AuthController {
  @Post('login')
  login(@Body() credentials: { email: string; password: string }) {}
}

@Module({ controllers: [AuthController] })
export class AppModule {}

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  await app.listen(3000);
}
bootstrap();
```

```ts,expect_diagnostic
import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';

@Module({ imports: [ThrottlerModule.forRoot([{ ttl: 60_000, limit: 10 }])] })
export class AppModule {}
```

Use instead:
```ts
import { Body, Controller, Module, Post } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';

@Controller('auth')
export class AuthController {
  @Post('login')
  login(@Body() credentials: { email: string; password: string }) {}
}

@Module({
  imports: [ThrottlerModule.forRoot([{ ttl: 60_000, limit: 10 }])],
  controllers: [AuthController],
  providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
})
export class AppModule {}

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  await app.listen(3000);
}
bootstrap();
```

## When it stays silent
- a package that declares or imports one of the packages above, or whose workspace's root
  `package.json` or a workspace package it depends on declares one: the limit may be set where
  the engine cannot see it;
- a package without a `package.json`, a package with no HTTP application the engine sees (a
  `NestFactory.create` whose bootstrap calls `listen`); routes whose path is not a constant;
  GraphQL mutations (not HTTP routes of their own); test files;
- a rate limit set outside the application (a proxy, an API gateway): suppress the finding with
  that reason.

## References
- https://docs.nestjs.com/security/rate-limiting
- https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html#login-throttling
"#,
};

/// Packages that limit request rates.
const RATE_LIMIT_PACKAGES: &[&str] = &[
    "@nestjs/throttler",
    "express-rate-limit",
    "rate-limiter-flexible",
    "@fastify/rate-limit",
    "fastify-rate-limit",
    "express-slow-down",
    "nestjs-rate-limiter",
    "express-brute",
];

const THROTTLER: &str = "@nestjs/throttler";

/// What the last segment of a sign-in route's path contains: where credentials, codes or new
/// accounts are submitted.
const SIGN_IN_WORDS: &[&str] = &[
    "login",
    "signin",
    "sign-in",
    "sign_in",
    "forgot",
    "reset-password",
    "password-reset",
    "resetpassword",
    "otp",
    "2fa",
    "mfa",
    "magic-link",
];

impl Rule for RateLimitingConfigured {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        // Per package: whether it sets up a rate limit, and whether it serves HTTP.
        let mut limited: HashMap<usize, bool> = HashMap::new();
        for (_, file) in index.files() {
            if file.facts.imports.iter().any(|b| {
                RATE_LIMIT_PACKAGES.contains(&nestlint_engine::workspace::package_name(&b.source))
            }) {
                limited.insert(file.package, true);
            }
        }
        let mut serving: Vec<usize> = Vec::new();
        for app in &index.applications().apps {
            if !app.implicit && app.http && !index.file(app.file).is_test {
                serving.push(index.file(app.file).package);
            }
        }
        let binds_guard = index.files().any(|(_, file)| {
            file.facts.imports.iter().any(|b| {
                b.source.as_str() == THROTTLER
                    && matches!(&b.imported, ImportedName::Named(n) if n.contains("ThrottlerGuard"))
            })
        });

        for (file, indexed) in index.files() {
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            let package = &index.packages[indexed.package];
            let unlimited = package.has_manifest
                && serving.contains(&indexed.package)
                && !*limited
                    .entry(indexed.package)
                    .or_insert_with(|| index.declares_any(package, RATE_LIMIT_PACKAGES));
            for class in &indexed.facts.classes {
                if !binds_guard && is_throttler_module_user(index, file, class) {
                    ctx.report(
                        index,
                        file,
                        class.name_range,
                        format!("`{}` sets up `ThrottlerModule`, but no file binds `ThrottlerGuard`: no request is limited", class.name),
                    )
                    .note("`ThrottlerModule` only holds the limits; `ThrottlerGuard` enforces them")
                    .help("add `{ provide: APP_GUARD, useClass: ThrottlerGuard }` to the providers");
                }
                if !index.is_controller(file, class) {
                    continue;
                }
                let class_skips = class
                    .decorators
                    .iter()
                    .find(|d| skips_throttle(index, file, d) == Some(true));
                for handler in index.route_handlers(file, class) {
                    let Some(routes) = routes_of(index, file, class, handler) else {
                        continue;
                    };
                    let Some(route) = routes.iter().find(|r| signs_in(r)) else {
                        continue;
                    };
                    let own = handler
                        .decorators
                        .iter()
                        .find_map(|d| skips_throttle(index, file, d).map(|skips| (d, skips)));
                    let skipped_by = match own {
                        Some((decorator, true)) => Some(decorator),
                        Some((_, false)) => None,
                        None => class_skips,
                    };
                    if let Some(decorator) = skipped_by {
                        ctx.report(
                            index,
                            file,
                            decorator.range,
                            format!("`@SkipThrottle()` takes the rate limit off the sign-in route `{} /{}`", route.method, route.path),
                        )
                        .note("a sign-in route without a limit lets anyone try credentials or codes as fast as it answers")
                        .help("remove it, or give the route a stricter `@Throttle()` instead");
                    } else if unlimited {
                        ctx.report(
                            index,
                            file,
                            handler.name_range,
                            format!("the sign-in route `{} /{}` has no rate limit: the application sets up none", route.method, route.path),
                        )
                        .note("without a limit anyone can try credentials, codes or reset tokens as fast as the route answers")
                        .help("set up `@nestjs/throttler`: `ThrottlerModule.forRoot(...)` and `ThrottlerGuard` as an `APP_GUARD`");
                    }
                }
            }
        }
    }
}

/// A `POST` whose last path segment says it takes credentials, codes or new accounts.
fn signs_in(route: &Route) -> bool {
    if route.method != "POST" {
        return false;
    }
    let path = route.path.to_ascii_lowercase();
    let last = path.rsplit('/').next().unwrap_or("");
    if SIGN_IN_WORDS.iter().any(|word| last.contains(word)) {
        return true;
    }
    // Registering is signing up only for accounts (`/auth/register`, `/users/signup`), not
    // devices or webhooks (`/devices/register`).
    SIGN_UP_WORDS.iter().any(|word| last.contains(word))
        && path
            .split('/')
            .any(|segment| ACCOUNT_SEGMENTS.iter().any(|a| segment.starts_with(a)))
}

/// Where signing up is submitted, with an account segment in the path.
const SIGN_UP_WORDS: &[&str] = &["signup", "sign-up", "sign_up", "register"];

/// Path segments that say the route is about accounts.
const ACCOUNT_SEGMENTS: &[&str] = &["auth", "user", "account", "member", "customer", "email"];

/// `Some(true)` for `@SkipThrottle()` (or `@SkipThrottle(true)`, or an object with no `false`),
/// `Some(false)` for `@SkipThrottle({ default: false })`, which opts a route back in; `None`
/// for other decorators.
fn skips_throttle(index: &ProjectIndex, file: FileId, decorator: &DecoratorFact) -> Option<bool> {
    if !index.is_export_of(file, &decorator.callee, THROTTLER, "SkipThrottle") {
        return None;
    }
    Some(match decorator.args.first() {
        None | Some(Value::Bool(true)) => true,
        Some(Value::Bool(false)) => false,
        Some(Value::Object { entries, open }) => {
            !*open && entries.iter().all(|(_, v)| matches!(v, Value::Bool(true)))
        }
        // A value the engine cannot read: assume it skips nothing.
        Some(_) => false,
    })
}

/// A `@Module()` class whose metadata names `ThrottlerModule` (`ThrottlerModule.forRoot(...)`).
fn is_throttler_module_user(index: &ProjectIndex, file: FileId, class: &ClassFact) -> bool {
    let Some(module) = class
        .decorators
        .iter()
        .find(|d| index.is_nest_decorator(file, d, "Module"))
    else {
        return false;
    };
    let Some(Value::Array(imports)) = module.args.first().and_then(|m| m.get("imports")) else {
        return false;
    };
    imports.iter().any(|item| {
        let name = match item {
            Value::Ident(name) => name,
            Value::Call { callee, .. } => match &callee.object {
                Some(object) => object,
                None => return false,
            },
            _ => return false,
        };
        matches!(
            index.resolve(file, name),
            nestlint_engine::Symbol::External { ref source, ref name }
                if source.as_str() == THROTTLER && name.as_str() == "ThrottlerModule"
        )
    })
}
