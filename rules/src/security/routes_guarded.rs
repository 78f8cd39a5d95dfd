use std::collections::HashSet;

use nestlint_diagnostics::Severity;
use nestlint_engine::apps::{classify_guard, routes_of, Application, GuardKind, Route, Served};
use nestlint_engine::facts::{ClassFact, DecoratorFact, MethodFact, Value};
use nestlint_engine::nest::{is_public_marker_name, ClassKey, Coverage, NEST_COMMON};
use nestlint_engine::{
    options_from, Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, RuleOptions, Scope,
};
use serde::Deserialize;

use crate::decorators::{decorator_origin, resolve_string, strongest, DecoratorOrigin, EffectMemo};

pub struct RoutesGuarded;

/// `[rules] routes-guarded = { level = "...", public-decorators = ["HealthCheck"] }`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RoutesGuardedOptions {
    /// Decorator names (as written on the class or handler) that mark routes intentionally open,
    /// besides the public markers the rule recognises by itself.
    #[serde(default)]
    public_decorators: Vec<String>,
}

static META: RuleMeta = RuleMeta {
    id: "routes-guarded",
    category: Category::Security,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "Every HTTP route handler is covered by a guard, or explicitly marked public",
    docs: r#"## What it does
Checks that every HTTP route handler (`@Get`, `@Post`, ..., `@Sse` in a `@Controller`) is covered by
a guard that authenticates or authorises the caller, in every application that serves it:
- `@UseGuards(...)` on the method or its class (or a base class it extends), or a project decorator
  that composes `UseGuards` through `applyDecorators(...)`;
- a global guard of the application: `app.useGlobalGuards(...)` beside its `NestFactory.create`, or
  an `APP_GUARD` provider in a module the application imports;
- middleware that authenticates (`consumer.apply(AuthMiddleware).forRoutes(...)`) in front of the
  handler's route, as `forRoutes` and `exclude` select it, or `app.use(...)`.

Guards are classified: passport's `AuthGuard(...)`, a guard extending it, and a project guard whose
body reads credentials, a user, a session, roles or permissions authenticate; `ThrottlerGuard`, a
CSRF guard or a guard that reads none of those (a maintenance switch) do not, and the finding says
which guards apply but do not authenticate.

Routes public by their nature are not reported: the application's root `GET /` and the starters'
`GET /hello`, health and liveness probes (`@HealthCheck()`, `GET /health`, `/ping`, `/ready`,
...), sign-in flows (`login`, `signup`, `register`, `refresh`,
`forgot-password`, e-mail confirmation, OAuth callbacks, the step that starts a callback flow, and
`/auth/verify`, `/auth/otp` or `/auth/2fa`, which complete a sign-in with a code, and
`onboarding`, the first run of a self-hosted application, before any account exists), creating an account where the other routes need one, webhooks,
and handlers handed a credential of their own (a `@Headers('stripe-signature')`, a secret header, a
token in the path or query). A handler or controller marked public by a project decorator built on
`SetMetadata` (or `Reflector.createDecorator`) whose name or key says public, anonymous, skip-auth or
unprotected is exempt, and so are the decorators named in `public-decorators`.

Where an application authenticates route by route (some of its routes are guarded, others not),
the open ones were chosen, and a read that does not ask who calls is taken as public by design:
a `GET` with no `@Req()`, `@Session()`, `@Headers()` or caller decorator (`@User()`,
`@CurrentUser()`, `@Tenant()`, ...; one that verifies a token itself, for optional
authentication, does not count), outside `admin`, `internal`, `private`, `me` and `debug` paths.
Writes are always reported. In an application that authenticates nothing, every route is.

When none of a controller's handlers is protected, one diagnostic is reported on the controller;
otherwise one per unprotected handler.

## Why is this bad?
A route without a guard is reachable by anyone. Nest applies no authentication by default, so an
endpoint added without `@UseGuards` ships open, and nothing fails until someone finds it.

## Example
```ts,expect_diagnostic
import { Controller, Delete, Param } from '@nestjs/common';

@Controller('invoices')
export class InvoicesController {
  @Delete(':id')
  remove(@Param('id') id: string) {}
}
```

Use instead:
```ts
import { Controller, Delete, Param, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';

@UseGuards(AuthGuard('jwt'))
@Controller('invoices')
export class InvoicesController {
  @Delete(':id')
  remove(@Param('id') id: string) {}
}
```
or register a global guard (`{ provide: APP_GUARD, useClass: JwtAuthGuard }`) and mark the open
routes with a `@Public()` decorator that the guard reads.

## Options
```toml
[rules]
routes-guarded = { level = "error", public-decorators = ["HealthCheck", "Webhook"] }
```
`public-decorators`: decorator names that mark a controller or handler intentionally open, for
project or package decorators whose name does not say "public".

## When it stays silent
When the engine cannot see whether a guard applies, it reports nothing:
- a controller no application the engine can see serves (registered by a dynamic module, a plugin
  loaded at run time, or an application outside the project);
- an application whose root module, module list or `APP_GUARD` provider it cannot read;
- a guard or middleware it cannot classify, a route path it cannot read where middleware applies;
- a decorator from an unresolved path, or from a package whose name suggests authentication
  (`Auth`, `Roles`, `Jwt`, ...);
- test code (`*.spec.ts`, `test/`, `e2e/`, `fixtures/`, ...).

## References
- https://docs.nestjs.com/guards
- https://docs.nestjs.com/security/authentication#enable-authentication-globally
- https://docs.nestjs.com/middleware#applying-middleware
"#,
};

/// What a set of decorators does for authentication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Protection {
    Nothing,
    Unknown,
    Public,
    Guarded,
}

/// What decided a handler's protection, for the message.
#[derive(Default)]
struct Why {
    /// Guards that apply but do not authenticate (`ThrottlerGuard`).
    other_guards: Vec<String>,
}

impl Rule for RoutesGuarded {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn parse_options(&self, table: &toml::Table) -> Result<RuleOptions, String> {
        options_from::<RoutesGuardedOptions>(table)
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let applications = index.applications();
        let controller_modules = index.controller_modules();
        let mut effects = EffectMemo::new();
        let app_id = |app: &Application| {
            applications
                .apps
                .iter()
                .position(|a| std::ptr::eq(a, app))
                .unwrap_or(usize::MAX)
        };
        // First every served controller's protection, then what each application protects.
        let mut controllers: Vec<ControllerProtection<'_>> = Vec::new();
        for (file, indexed) in index.files() {
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            for (class_index, class) in indexed.facts.classes.iter().enumerate() {
                if !index.is_controller(file, class) {
                    continue;
                }
                let handlers = index.route_handlers(file, class);
                if handlers.is_empty() {
                    continue;
                }
                let key = ClassKey {
                    file,
                    index: class_index,
                };
                let modules = controller_modules.get(&key).map_or(&[][..], Vec::as_slice);
                // Only the applications serving the controller say which global guards apply;
                // a controller no visible application serves is left alone.
                let Served::By(apps) = applications.serving(index, file, modules) else {
                    continue;
                };
                let public_names: Vec<String> = ctx
                    .options::<RoutesGuardedOptions>(file)
                    .map(|o| o.public_decorators.clone())
                    .unwrap_or_default();
                let named_public = |decorators: &[DecoratorFact]| {
                    if decorators
                        .iter()
                        .any(|d| public_names.iter().any(|n| *n == d.callee.name))
                    {
                        Protection::Public
                    } else {
                        Protection::Nothing
                    }
                };
                let mut why = Why::default();
                let class_protection = class_protection(index, file, class, &mut effects, &mut why)
                    .max(named_public(&class.decorators));
                let protections: Vec<Protection> = handlers
                    .iter()
                    .map(|handler| {
                        let own = class_protection
                            .max(protection(
                                index,
                                file,
                                &handler.decorators,
                                &mut effects,
                                &mut why,
                            ))
                            .max(named_public(&handler.decorators))
                            .max(public_by_nature(index, file, class, handler));
                        if own >= Protection::Public {
                            return own;
                        }
                        // The least protection any serving application gives.
                        apps.iter()
                            .map(|app| {
                                own.max(app_protection(index, app, key, class, handler, &mut why))
                            })
                            .min()
                            .unwrap_or(own)
                    })
                    .collect();
                controllers.push(ControllerProtection {
                    file,
                    class,
                    handlers,
                    protections,
                    apps: apps.iter().map(|app| app_id(app)).collect(),
                    why,
                });
            }
        }
        // Applications that protect some route: where authentication is chosen route by route.
        let protecting_apps: HashSet<usize> = controllers
            .iter()
            .filter(|c| c.protections.iter().any(|p| p.is_protected()))
            .flat_map(|c| c.apps.iter().copied())
            .collect();
        for controller in controllers {
            report_controller(index, ctx, &mut effects, &protecting_apps, controller);
        }
    }
}

/// A controller served by some application, with what protects each of its route handlers.
struct ControllerProtection<'a> {
    file: FileId,
    class: &'a ClassFact,
    handlers: Vec<&'a MethodFact>,
    protections: Vec<Protection>,
    /// The serving applications, by position in the project's application list.
    apps: Vec<usize>,
    why: Why,
}

impl Protection {
    /// Guarded, or guarded by something the engine cannot classify.
    fn is_protected(self) -> bool {
        matches!(self, Protection::Guarded | Protection::Unknown)
    }
}

fn report_controller(
    index: &ProjectIndex,
    ctx: &mut ProjectContext<'_>,
    effects: &mut EffectMemo,
    protecting_apps: &HashSet<usize>,
    controller: ControllerProtection<'_>,
) {
    let ControllerProtection {
        file,
        class,
        handlers,
        protections,
        apps,
        why,
    } = controller;
    let others_protected = protections.iter().any(|p| p.is_protected());
    // Where every serving application protects some routes, the open ones were chosen.
    let selective = apps.iter().all(|app| protecting_apps.contains(app));
    let protections: Vec<Protection> = protections
        .iter()
        .zip(&handlers)
        .map(|(&p, handler)| {
            if p != Protection::Nothing {
                return p;
            }
            // Creating an account where other routes need one is signing up.
            if others_protected && signs_up(index, file, class, handler) {
                return Protection::Public;
            }
            if selective && public_read(index, file, class, handler, effects) {
                return Protection::Public;
            }
            p
        })
        .collect();
    let unguarded: Vec<usize> = (0..handlers.len())
        .filter(|&i| protections[i] == Protection::Nothing)
        .collect();
    if unguarded.is_empty() {
        return;
    }
    let note = if why.other_guards.is_empty() {
        "Nest applies no authentication by default: an unguarded route is reachable by anyone"
            .to_owned()
    } else {
        let mut names = why.other_guards.clone();
        names.sort();
        names.dedup();
        format!(
            "{} guard{} here, but {} not authenticate or authorise callers",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if names.len() == 1 {
                " applies"
            } else {
                "s apply"
            },
            if names.len() == 1 {
                "it does"
            } else {
                "they do"
            },
        )
    };
    let none_guarded = protections
        .iter()
        .all(|p| matches!(p, Protection::Nothing | Protection::Public));
    // Guards that apply but do not authenticate: say which kind is missing.
    let guard = if why.other_guards.is_empty() {
        "guard"
    } else {
        "guard that authenticates"
    };
    if none_guarded {
        let count = unguarded.len();
        let noun = if count == 1 { "handler" } else { "handlers" };
        ctx.report(
            index,
            file,
            class.name_range,
            format!(
                "controller `{}` has no {guard}: its {count} route {noun} can be called without authentication",
                class.name
            ),
        )
        .help("add `@UseGuards(...)` to the controller, register a global `APP_GUARD`, or mark intentionally open routes with a public decorator")
        .note(note);
    } else {
        for i in unguarded {
            let handler = handlers[i];
            ctx.report(
                index,
                file,
                handler.name_range,
                format!(
                    "route handler `{}.{}` has no {guard}, unlike other handlers of this controller",
                    class.name, handler.name
                ),
            )
            .help("add `@UseGuards(...)` to the handler, or a public decorator if it is meant to be open")
            .note(note.clone());
        }
    }
}

/// A read that does not ask who calls: `GET /articles`, `GET /tags`, in an application that
/// authenticates other routes. Where authentication is chosen route by route, such a route was
/// left open on purpose (the RealWorld API's public reads); a read of the caller's own data
/// (`@Req()`, `@CurrentUser()`), an admin or internal path, or any write still needs a guard.
/// A parameter decorator that verifies the token itself (optional authentication) counts as
/// not asking.
fn public_read(
    index: &ProjectIndex,
    file: FileId,
    class: &ClassFact,
    handler: &MethodFact,
    effects: &mut EffectMemo,
) -> bool {
    let Some(routes) = routes_of(index, file, class, handler) else {
        return false;
    };
    let reads = !routes.is_empty()
        && routes.iter().all(|r| {
            matches!(r.method, "GET" | "HEAD")
                && !r.path.split('/').any(|segment| {
                    let segment = segment.to_ascii_lowercase();
                    PRIVATE_SEGMENTS.contains(&segment.as_str())
                })
        });
    reads
        && handler.params.iter().all(|param| {
            param
                .decorators
                .iter()
                .all(|d| !asks_for_caller(index, file, d, effects))
        })
}

/// Path segments of routes meant for some callers only.
const PRIVATE_SEGMENTS: &[&str] = &["admin", "internal", "private", "me", "my", "mine", "debug"];

/// Whether a parameter decorator hands the handler its caller: the request or session itself,
/// or a decorator named for the caller (`@User()`, `@CurrentUser()`, `@AuthUser()`, `@Tenant()`)
/// unless it verifies the token itself.
fn asks_for_caller(
    index: &ProjectIndex,
    file: FileId,
    decorator: &DecoratorFact,
    effects: &mut EffectMemo,
) -> bool {
    if ["Req", "Request", "Session", "Headers"]
        .iter()
        .any(|name| index.is_nest_decorator(file, decorator, name))
    {
        return true;
    }
    if ["Param", "Query", "Body", "Ip", "HostParam"]
        .iter()
        .any(|name| index.is_nest_decorator(file, decorator, name))
    {
        return false;
    }
    if let DecoratorOrigin::Project { effect, .. } =
        decorator_origin(index, file, decorator, effects)
    {
        if effect.verifies_token {
            return false;
        }
    }
    let name = decorator.callee.name.to_ascii_lowercase();
    CALLER_WORDS.iter().any(|word| name.contains(word))
}

/// Words of parameter decorators that hand a handler its caller.
const CALLER_WORDS: &[&str] = &[
    "user",
    "account",
    "member",
    "session",
    "auth",
    "principal",
    "identity",
    "tenant",
    "org",
    "owner",
    "claims",
    "jwt",
    "token",
    "customer",
    "actor",
    "profile",
];

/// What an application gives a handler: its global guards, and middleware that authenticates in
/// front of the handler's routes.
fn app_protection(
    index: &ProjectIndex,
    app: &Application,
    controller: ClassKey,
    class: &ClassFact,
    handler: &MethodFact,
    why: &mut Why,
) -> Protection {
    let mut result = if app.unknown_guard {
        Protection::Unknown
    } else {
        Protection::Nothing
    };
    for (file, guard) in &app.guards {
        match classify_guard(index, *file, guard) {
            GuardKind::Authenticates => return Protection::Guarded,
            GuardKind::Unknown => result = Protection::Unknown,
            GuardKind::Other => why.other_guards.push(guard_name(guard)),
        }
    }
    let middleware = match routes_of(index, controller.file, class, handler) {
        Some(routes) => routes
            .iter()
            .map(|route| app.middleware_protection(index, controller, route))
            .fold(Coverage::Absent, Coverage::merge),
        // Paths the engine cannot read: any middleware that authenticates may cover them.
        None if !app.middleware.is_empty() || !app.global_middleware.is_empty() => {
            Coverage::Unknown
        }
        None => Coverage::Absent,
    };
    if middleware != Coverage::Absent {
        result = result.max(Protection::Unknown);
    }
    result
}

/// The name a guard is written with, for messages.
fn guard_name(value: &Value) -> String {
    match value {
        Value::Ident(name) => name.to_string(),
        Value::New { class, .. } => class.name.to_string(),
        Value::Call { callee, .. } => format!("{}(...)", callee.name),
        _ => "a guard".to_owned(),
    }
}

/// Routes that are public by their nature: the application's root `GET /` (the landing or
/// "hello" route of the Nest scaffold), a health or liveness probe, a terminus `@HealthCheck()`,
/// and webhooks, which third parties call and which authenticate by signature if at all.
fn public_by_nature(
    index: &ProjectIndex,
    file: FileId,
    class: &ClassFact,
    handler: &MethodFact,
) -> Protection {
    // Request input: any parameter decorator but the response objects.
    let takes_input = handler.params.iter().any(|p| {
        p.decorators.iter().any(|d| {
            !["Res", "Response", "Next"]
                .iter()
                .any(|name| index.is_nest_decorator(file, d, name))
        })
    });
    // A handler handed a credential of its own (a signature or secret header, a token in the
    // path or query) authenticates the caller itself: a webhook, a callback, a signed link.
    let signed = handler.params.iter().any(|p| {
        p.decorators.iter().any(|d| {
            ["Headers", "Param", "Query"]
                .iter()
                .any(|name| index.is_nest_decorator(file, d, name))
                && d.args.first().is_some_and(|a| {
                    resolve_string(index, file, a).is_some_and(|key| {
                        let key = key.to_ascii_lowercase();
                        CREDENTIAL_KEYS.iter().any(|w| key.contains(w))
                    })
                })
        })
    });
    let name = handler.name.to_ascii_lowercase();
    if signed || name.contains("webhook") || AUTH_FLOW.iter().any(|w| name.contains(w)) {
        return Protection::Public;
    }
    let Some(routes) = routes_of(index, file, class, handler) else {
        return Protection::Nothing;
    };
    let all = |test: &dyn Fn(&Route) -> bool| !routes.is_empty() && routes.iter().all(test);
    let segment_says = |r: &Route, words: &[&str]| {
        r.path.split('/').any(|s| {
            let s = s.to_ascii_lowercase();
            words.iter().any(|w| s.contains(w))
        })
    };
    if all(&|r| segment_says(r, &["webhook"]) || segment_says(r, AUTH_FLOW)) {
        return Protection::Public;
    }
    // The second step of signing in under an `auth` prefix: `POST /auth/verify` with the code a
    // magic link or a one-time password carried.
    let signs_in_step = |r: &Route| {
        let mut segments = r.path.split('/').map(str::to_ascii_lowercase);
        segments.any(|s| s == "auth" || s == "authentication")
            && r.path
                .rsplit('/')
                .next()
                .is_some_and(|last| AUTH_STEPS.contains(&last.to_ascii_lowercase().as_str()))
    };
    if all(&signs_in_step) {
        return Protection::Public;
    }
    let read_only = |r: &Route| matches!(r.method, "GET" | "HEAD");
    if !takes_input && all(&|r| read_only(r) && r.path.is_empty()) {
        return Protection::Public;
    }
    // The scaffold's greeting (`GET /hello/:name` of the starters).
    if all(&|r| read_only(r) && r.path.split('/').next() == Some("hello")) {
        return Protection::Public;
    }
    // The first step of a flow whose next step is public by nature: `GET /auth/google` before
    // `GET /auth/google/callback`, a marketplace sign-up before its callback.
    let flow_steps: Vec<Route> = index
        .route_handlers(file, class)
        .into_iter()
        .filter(|other| !std::ptr::eq(*other, handler))
        .filter_map(|other| routes_of(index, file, class, other))
        .flatten()
        .filter(|r| segment_says(r, &["webhook"]) || segment_says(r, AUTH_FLOW))
        .collect();
    let starts_flow = |r: &Route| {
        flow_steps.iter().any(|step| {
            step.path.len() > r.path.len()
                && step.path.starts_with(&r.path)
                && step.path[r.path.len()..].starts_with('/')
        })
    };
    if all(&starts_flow) {
        return Protection::Public;
    }
    let probe = |r: &Route| {
        let last = r.path.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
        read_only(r) && PROBE_PATHS.contains(&last.as_str())
    };
    if !takes_input && all(&probe) {
        return Protection::Public;
    }
    Protection::Nothing
}

/// `POST /users` (or accounts, members, customers): creating an account.
fn signs_up(index: &ProjectIndex, file: FileId, class: &ClassFact, handler: &MethodFact) -> bool {
    routes_of(index, file, class, handler).is_some_and(|routes| {
        !routes.is_empty()
            && routes.iter().all(|r| {
                r.method == "POST"
                    && matches!(
                        r.path.rsplit('/').next(),
                        Some("users" | "accounts" | "members" | "customers")
                    )
            })
    })
}

/// Names of request values that carry a credential.
const CREDENTIAL_KEYS: &[&str] = &[
    "signature",
    "secret",
    "token",
    "apikey",
    "api-key",
    "api_key",
    "hmac",
    "authorization",
];

/// Words of the routes a caller uses before being authenticated: logging in, signing up,
/// refreshing a token, resetting a password, an OAuth callback.
const AUTH_FLOW: &[&str] = &[
    "login",
    "signin",
    "sign-in",
    "sign_in",
    "signup",
    "sign-up",
    "sign_up",
    "register",
    "refresh",
    "forgot",
    "reset-password",
    "resetpassword",
    "password-reset",
    "verify-email",
    "verifyemail",
    "confirm-email",
    "confirmemail",
    "confirmnewemail",
    "confirm-new-email",
    "callback",
    "oauth",
    "sso",
    "magic-link",
    // The first run of a self-hosted application, before any account exists to sign in with.
    "onboarding",
];

/// The last path segments of the steps that complete a sign-in, under an `auth` prefix.
const AUTH_STEPS: &[&str] = &["verify", "otp", "2fa", "mfa", "confirm"];

/// The last path segments of health and liveness probes.
const PROBE_PATHS: &[&str] = &[
    "health",
    "healthz",
    "healthcheck",
    "health-check",
    "ping",
    "liveness",
    "readiness",
    "livez",
    "readyz",
    "alive",
    "ready",
    "live",
    "version",
];

/// The protection a class gives all its handlers: its decorators and those of its base classes.
fn class_protection(
    index: &ProjectIndex,
    file: FileId,
    class: &ClassFact,
    effects: &mut EffectMemo,
    why: &mut Why,
) -> Protection {
    let mut result = protection(index, file, &class.decorators, effects, why);
    let mut current = (file, class);
    for _ in 0..8 {
        let Some(Value::Ident(base)) = &current.1.extends else {
            break;
        };
        match index.class(&index.resolve(current.0, base)) {
            Some(parent) => {
                result = result.max(protection(
                    index,
                    parent.0,
                    &parent.1.decorators,
                    effects,
                    why,
                ));
                current = parent;
            }
            None => break,
        }
    }
    result
}

fn protection(
    index: &ProjectIndex,
    file: FileId,
    decorators: &[DecoratorFact],
    effects: &mut EffectMemo,
    why: &mut Why,
) -> Protection {
    decorators
        .iter()
        .map(|d| decorator_protection(index, file, d, effects, why))
        .max()
        .unwrap_or(Protection::Nothing)
}

fn guards_protection(kind: GuardKind) -> Protection {
    match kind {
        GuardKind::Authenticates => Protection::Guarded,
        GuardKind::Unknown => Protection::Unknown,
        GuardKind::Other => Protection::Nothing,
    }
}

fn decorator_protection(
    index: &ProjectIndex,
    file: FileId,
    decorator: &DecoratorFact,
    effects: &mut EffectMemo,
    why: &mut Why,
) -> Protection {
    match decorator_origin(index, file, decorator, effects) {
        DecoratorOrigin::Package { source, name } if source == NEST_COMMON => match name.as_str() {
            "UseGuards" => {
                let mut kind = None;
                for guard in &decorator.args {
                    let guard_kind = classify_guard(index, file, guard);
                    if guard_kind == GuardKind::Other {
                        why.other_guards.push(guard_name(guard));
                    }
                    kind = Some(strongest(kind, guard_kind));
                }
                kind.map_or(Protection::Nothing, guards_protection)
            }
            "SetMetadata" => match decorator
                .args
                .first()
                .and_then(|k| resolve_string(index, file, k))
            {
                Some(key) if is_public_marker_name(&key) => Protection::Public,
                _ => Protection::Nothing,
            },
            _ => Protection::Nothing,
        },
        DecoratorOrigin::Package { source, name } => {
            if is_public_marker_name(&name)
                || (source == "@nestjs/terminus" && name == "HealthCheck")
            {
                Protection::Public
            } else if source.starts_with("@nestjs/") || !looks_auth_related(&name) {
                Protection::Nothing
            } else {
                Protection::Unknown
            }
        }
        DecoratorOrigin::Project { effect, .. } if effect.guards => {
            guards_protection(effect.guard_kind.unwrap_or(GuardKind::Other))
        }
        DecoratorOrigin::Project { effect, .. } if effect.opaque => Protection::Unknown,
        DecoratorOrigin::Project { name, effect }
            if effect.sets_metadata && (is_public_marker_name(&name) || effect.public_key) =>
        {
            Protection::Public
        }
        DecoratorOrigin::Project { .. } => Protection::Nothing,
        DecoratorOrigin::Opaque => Protection::Unknown,
    }
}

/// A package decorator that may well apply authentication (`@Auth()`, `@Roles()`, `@Jwt()`...).
pub(crate) fn looks_auth_related(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "auth",
        "guard",
        "protect",
        "role",
        "permission",
        "polic",
        "scope",
        "jwt",
        "session",
        "secure",
        "login",
        "user",
    ]
    .iter()
    .any(|marker| lower.contains(marker))
}
