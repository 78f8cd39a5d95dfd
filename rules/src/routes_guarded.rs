use nestlint_diagnostics::Severity;
use nestlint_engine::facts::{ClassFact, DecoratorFact, Value};
use nestlint_engine::nest::{is_public_marker_name, ClassKey, Coverage, NEST_COMMON};
use nestlint_engine::{
    options_from, Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, RuleOptions, Scope,
};
use serde::Deserialize;

use crate::decorators::{decorator_origin, resolve_string, DecoratorOrigin, EffectMemo};

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
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "Every HTTP route handler is covered by a guard, or explicitly marked public",
    docs: r#"## What it does
Checks that every HTTP route handler (`@Get`, `@Post`, ... in a `@Controller`) is covered by a guard:
`@UseGuards(...)` on the method or its class (or a base class it extends), a project decorator that
composes `UseGuards` through `applyDecorators(...)`, or a global guard (an `APP_GUARD` provider in a
module the application imports, or `app.useGlobalGuards(...)`). A handler or controller marked public
by a project decorator built on `SetMetadata` (or `Reflector.createDecorator`) whose name or key says
public, anonymous, skip-auth or unprotected is exempt.

When none of a controller's handlers is guarded, one diagnostic is reported on the controller;
otherwise one per unguarded handler.

## Why is this bad?
A route without a guard is reachable by anyone. Nest applies no authentication by default, so an
endpoint added without `@UseGuards` ships open, and nothing fails until someone finds it.

## Example
```ts,expect_diagnostic
@Controller('invoices')
export class InvoicesController {
  @Delete(':id')
  remove(@Param('id') id: string) {}
}
```

Use instead:
```ts
@UseGuards(JwtAuthGuard)
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
When the engine cannot see whether a guard applies, it reports nothing: a module list with a spread
or a variable it cannot resolve, an import it cannot follow, a decorator from an unresolved path, or
a decorator from a package whose name suggests authentication (`Auth`, `Roles`, `Jwt`, ...).

## References
- https://docs.nestjs.com/guards
- https://docs.nestjs.com/security/authentication#enable-authentication-globally
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

impl Rule for RoutesGuarded {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn parse_options(&self, table: &toml::Table) -> Result<RuleOptions, String> {
        options_from::<RoutesGuardedOptions>(table)
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let enhancers = index.global_enhancers();
        let controller_modules = index.controller_modules();
        let mut effects = EffectMemo::new();
        for (file, indexed) in index.files() {
            if !indexed.is_target {
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
                // A global guard (or one the engine cannot rule out) covers every handler.
                if enhancers.coverage_for(index, file, modules).guard != Coverage::Absent {
                    continue;
                }
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
                let class_protection = class_protection(index, file, class, &mut effects)
                    .max(named_public(&class.decorators));
                let protections: Vec<Protection> = handlers
                    .iter()
                    .map(|h| {
                        class_protection
                            .max(protection(index, file, &h.decorators, &mut effects))
                            .max(named_public(&h.decorators))
                    })
                    .collect();
                let unguarded: Vec<usize> = (0..handlers.len())
                    .filter(|&i| protections[i] == Protection::Nothing)
                    .collect();
                if unguarded.is_empty() {
                    continue;
                }
                let none_guarded = protections
                    .iter()
                    .all(|p| matches!(p, Protection::Nothing | Protection::Public));
                if none_guarded {
                    let count = unguarded.len();
                    let noun = if count == 1 { "handler" } else { "handlers" };
                    ctx.report(
                        index,
                        file,
                        class.name_range,
                        format!(
                            "controller `{}` has no guard: its {count} route {noun} can be called without authentication",
                            class.name
                        ),
                    )
                    .help("add `@UseGuards(...)` to the controller, register a global `APP_GUARD`, or mark intentionally open routes with a public decorator")
                    .note("Nest applies no authentication by default: an unguarded route is reachable by anyone");
                } else {
                    for i in unguarded {
                        let handler = handlers[i];
                        ctx.report(
                            index,
                            file,
                            handler.name_range,
                            format!(
                                "route handler `{}.{}` has no guard, unlike other handlers of this controller",
                                class.name, handler.name
                            ),
                        )
                        .help("add `@UseGuards(...)` to the handler, or a public decorator if it is meant to be open");
                    }
                }
            }
        }
    }
}

/// The protection a class gives all its handlers: its decorators and those of its base classes.
fn class_protection(
    index: &ProjectIndex,
    file: FileId,
    class: &ClassFact,
    effects: &mut EffectMemo,
) -> Protection {
    let mut result = protection(index, file, &class.decorators, effects);
    let mut current = (file, class);
    for _ in 0..8 {
        let Some(Value::Ident(base)) = &current.1.extends else {
            break;
        };
        match index.class(&index.resolve(current.0, base)) {
            Some(parent) => {
                result = result.max(protection(index, parent.0, &parent.1.decorators, effects));
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
) -> Protection {
    decorators
        .iter()
        .map(|d| decorator_protection(index, file, d, effects))
        .max()
        .unwrap_or(Protection::Nothing)
}

fn decorator_protection(
    index: &ProjectIndex,
    file: FileId,
    decorator: &DecoratorFact,
    effects: &mut EffectMemo,
) -> Protection {
    match decorator_origin(index, file, decorator, effects) {
        DecoratorOrigin::Package { source, name } if source == NEST_COMMON => match name.as_str() {
            "UseGuards" if !decorator.args.is_empty() => Protection::Guarded,
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
            if is_public_marker_name(&name) {
                Protection::Public
            } else if source.starts_with("@nestjs/") || !looks_auth_related(&name) {
                Protection::Nothing
            } else {
                Protection::Unknown
            }
        }
        DecoratorOrigin::Project { effect, .. } if effect.guards => Protection::Guarded,
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
fn looks_auth_related(name: &str) -> bool {
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
