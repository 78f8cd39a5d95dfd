use std::collections::HashSet;

use nestlint_diagnostics::Severity;
use nestlint_engine::facts::Value;
use nestlint_engine::syntax::{text, unwrap_expression, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, Scope, Symbol,
};

use crate::code::{call_arguments, call_callee, literal_string};

pub struct RolesMetadataEnforced;

static META: RuleMeta = RuleMeta {
    id: "roles-metadata-enforced",
    category: Category::Security,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "Authorization metadata (`@Roles()`, `@Permissions()`) is read by some guard",
    docs: r#"## What it does
Reports an authorization decorator of the project, written as
`export const Roles = (...roles) => SetMetadata(ROLES_KEY, roles)` or
`export const Roles = Reflector.createDecorator<Role[]>()`, whose name or key speaks of roles,
permissions, policies, scopes or abilities, when routes use it and no code of the project reads
its metadata: no `reflector.get(...)`, `getAllAndOverride(...)`, `getAllAndMerge(...)` or
`Reflect.getMetadata(...)` is given its key (or, for `createDecorator`, the decorator).

## Why is this bad?
`SetMetadata` only attaches data to the route; a guard has to read it and refuse the request.
When no guard does (the `RolesGuard` was never written, or reads another key), every route
marked `@Roles(Role.Admin)` is open to any user who gets past authentication, while the code
reads as if it were restricted.

## Example
```ts,expect_diagnostic
import { Controller, Delete, Param, SetMetadata } from '@nestjs/common';

export const ROLES_KEY = 'roles';
export const Roles = (...roles: string[]) => SetMetadata(ROLES_KEY, roles);

@Controller('invoices')
export class InvoicesController {
  @Roles('admin')
  @Delete(':id')
  remove(@Param('id') id: string) {}
}
```

Use instead:
```ts
import { CanActivate, Controller, Delete, ExecutionContext, Injectable, Param, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

export const ROLES_KEY = 'roles';
export const Roles = (...roles: string[]) => SetMetadata(ROLES_KEY, roles);

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<string[]>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    const user = context.switchToHttp().getRequest().user;
    return !roles || roles.some((role) => user?.roles?.includes(role));
  }
}

@Controller('invoices')
@UseGuards(RolesGuard)
export class InvoicesController {
  @Roles('admin')
  @Delete(':id')
  remove(@Param('id') id: string) {}
}
```

## When it stays silent
- a metadata read whose key the rule cannot read (`getAllAndOverride(this.key, ...)`,
  `this.reflector.get(key, ...)` with a parameter, `Reflect.getMetadata(keys.roles, ...)`): it
  may be the one;
- decorators written as functions, through `applyDecorators(...)` (which may bind their own
  guard), or imported from a package (`nest-access-control` reads its own);
- metadata whose name and key say nothing of authorization (`@FeatureFlag()`, `@Public()`: see
  `routes-guarded`), and decorators no route uses; test files.

Whether the guard that reads the metadata covers each route is not judged: that is the part of
`routes-guarded` that sees guards.

## References
- https://docs.nestjs.com/security/authorization#basic-rbac-implementation
- https://docs.nestjs.com/fundamentals/execution-context#reflection-and-metadata
"#,
};

/// Words that make metadata about authorization.
const AUTHORIZATION_WORDS: &[&str] = &["role", "permission", "polic", "scope", "abilit", "claim"];

/// Methods that read metadata by key: `Reflector`'s, and `Reflect.getMetadata`.
const READERS: &[&str] = &[
    "get",
    "getAll",
    "getAllAndOverride",
    "getAllAndMerge",
    "getMetadata",
    "getOwnMetadata",
];

/// What a metadata read names as its key, stashed for the project pass.
#[derive(serde::Serialize, serde::Deserialize)]
enum KeyRead {
    Ident(String),
    String(String),
    /// A key the rule cannot read (`this.key`), given to a read of metadata.
    Unknown,
}

/// Whether a word of `name` (`ROLES_KEY`, `requirePermissions`, `'scopes'`) starts with one of
/// [`AUTHORIZATION_WORDS`]: `AVAILABILITY` is not `ability`.
fn speaks_of_authorization(name: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        let boundary = !c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && previous_lower);
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        if c.is_ascii_alphanumeric() {
            current.push(c.to_ascii_lowercase());
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    words.push(current);
    words
        .iter()
        .any(|word| AUTHORIZATION_WORDS.iter().any(|w| word.starts_with(w)))
}

impl Rule for RolesMetadataEnforced {
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
        let Some(method) = ctx.call_name(call) else {
            return;
        };
        if !READERS.contains(&method) {
            return;
        }
        let Some(callee) = call_callee(call, ctx.source) else {
            return;
        };
        if callee.object.is_none() {
            return;
        }
        let Some(key) = call_arguments(call).first().map(|a| unwrap_expression(*a)) else {
            return;
        };
        let read = match key.kind_name() {
            "identifier" => KeyRead::Ident(text(key, ctx.source).to_owned()),
            _ => match literal_string(key, ctx.source) {
                Some(string) => KeyRead::String(string),
                None => KeyRead::Unknown,
            },
        };
        // `map.get(id)`, `config.get('PORT')`: only reads that may name authorization metadata
        // are kept. Any key is kept where the read is surely of metadata (`Reflector`'s own
        // methods, an object named `reflector` or `Reflect`): a parameter or a property there
        // may be the roles key, which the project pass cannot tell.
        let reads_metadata = matches!(method, "getAllAndOverride" | "getAllAndMerge")
            || callee
                .object
                .is_some_and(|o| o.to_ascii_lowercase().contains("reflect"));
        let kept = reads_metadata
            || match &read {
                KeyRead::Ident(name) | KeyRead::String(name) => speaks_of_authorization(name),
                KeyRead::Unknown => key
                    .field(Field::Property)
                    .is_some_and(|p| speaks_of_authorization(text(p, ctx.source))),
            };
        if kept {
            ctx.stash(read);
        }
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let mut read_symbols: HashSet<Symbol> = HashSet::new();
        let mut read_strings: HashSet<String> = HashSet::new();
        for (file, read) in index.stashed::<KeyRead>(META.id) {
            match read {
                KeyRead::Ident(name) => match index.resolve(file, &name) {
                    // A parameter or a local (`reflector.get(key, ...)` in a helper): any
                    // metadata may be read through it.
                    Symbol::Unknown => return,
                    symbol => {
                        read_symbols.insert(symbol);
                    }
                },
                KeyRead::String(string) => {
                    read_strings.insert(string);
                }
                // Some metadata is read by a key the rule cannot see: any of it may be.
                KeyRead::Unknown => return,
            }
        }
        for (file, indexed) in index.files() {
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            for constant in &indexed.facts.constants {
                let Some(key) = metadata_key(index, file, &constant.value) else {
                    continue;
                };
                let decorator = index.resolve(file, &constant.name);
                let (read, key_text) = match &key {
                    MetadataKey::Decorator => (
                        read_symbols.contains(&decorator),
                        format!("`{}`", constant.name),
                    ),
                    MetadataKey::Ident(name) => {
                        let symbol = index.resolve(file, name);
                        let string = const_string(index, &symbol);
                        let read = read_symbols.contains(&symbol)
                            || read_symbols.contains(&decorator)
                            || string.as_ref().is_some_and(|s| read_strings.contains(s));
                        (read, format!("`{name}`"))
                    }
                    MetadataKey::String(string) => (
                        read_strings.contains(string) || read_symbols.contains(&decorator),
                        format!("`'{string}'`"),
                    ),
                };
                let about_authorization = speaks_of_authorization(&constant.name)
                    || match &key {
                        MetadataKey::Ident(name) | MetadataKey::String(name) => {
                            speaks_of_authorization(name)
                        }
                        MetadataKey::Decorator => false,
                    };
                if read || !about_authorization {
                    continue;
                }
                let (controllers, handlers) = route_uses(index, &decorator);
                if controllers + handlers == 0 {
                    continue;
                }
                let count = |n: usize, what: &str| match n {
                    0 => None,
                    1 => Some(format!("1 {what}")),
                    n => Some(format!("{n} {what}s")),
                };
                let marked = [count(handlers, "route"), count(controllers, "controller")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" and ");
                let verb = if controllers + handlers == 1 {
                    "is"
                } else {
                    "are"
                };
                let routes = format!("the {marked} it marks {verb}");
                ctx.report(
                    index,
                    file,
                    constant.range,
                    format!(
                        "`@{}()` sets metadata ({key_text}) that no guard reads: {routes} not restricted by it",
                        constant.name
                    ),
                )
                .note("`SetMetadata` only attaches data to a route; any authenticated user passes until a guard reads it and refuses")
                .help("write a guard that reads it with `reflector.getAllAndOverride(...)` and bind it (`APP_GUARD`, or `@UseGuards()` where the decorator is used)");
            }
        }
    }
}

/// The key a metadata decorator constant sets.
enum MetadataKey {
    /// `Reflector.createDecorator()`: the decorator is its own key.
    Decorator,
    Ident(String),
    String(String),
}

/// `(...roles) => SetMetadata(KEY, roles)` or `Reflector.createDecorator<...>()`.
fn metadata_key(index: &ProjectIndex, file: FileId, value: &Value) -> Option<MetadataKey> {
    match value {
        Value::Arrow { body, .. } => match body.as_ref() {
            Value::Call { callee, args } => {
                let set_metadata = matches!(
                    index.resolve_callee(file, callee),
                    Symbol::External { ref source, ref name }
                        if source.as_str() == "@nestjs/common" && name.as_str() == "SetMetadata"
                );
                if !set_metadata {
                    return None;
                }
                match args.first()? {
                    Value::Ident(name) => Some(MetadataKey::Ident(name.to_string())),
                    Value::String(string) => Some(MetadataKey::String(string.to_string())),
                    _ => None,
                }
            }
            _ => None,
        },
        Value::Call { callee, .. } => {
            let object = callee.object.as_deref()?;
            let created = callee.name.as_str() == "createDecorator"
                && matches!(
                    index.resolve(file, object),
                    Symbol::External { ref source, ref name }
                        if source.as_str() == "@nestjs/core" && name.as_str() == "Reflector"
                );
            created.then_some(MetadataKey::Decorator)
        }
        _ => None,
    }
}

/// The string a constant is bound to.
fn const_string(index: &ProjectIndex, symbol: &Symbol) -> Option<String> {
    match &index.constant(symbol)?.1.value {
        Value::String(string) => Some(string.to_string()),
        _ => None,
    }
}

/// How many controllers and route handlers carry the decorator (test files aside).
fn route_uses(index: &ProjectIndex, decorator: &Symbol) -> (usize, usize) {
    let (mut controllers, mut handlers) = (0, 0);
    for (key, controller) in index.controllers() {
        if index.file(key.file).is_test {
            continue;
        }
        let marks = |decorators: &[nestlint_engine::facts::DecoratorFact]| {
            decorators
                .iter()
                .filter(|d| index.resolve_callee(key.file, &d.callee) == *decorator)
                .count()
        };
        controllers += marks(&controller.decorators);
        for handler in index.route_handlers(key.file, controller) {
            handlers += marks(&handler.decorators);
        }
    }
    (controllers, handlers)
}

#[cfg(test)]
mod tests {
    use super::speaks_of_authorization;

    #[test]
    fn authorization_words_start_a_word() {
        for name in [
            "ROLES_KEY",
            "requirePermissions",
            "scopes",
            "HAS_PERMISSION_KEY",
            "Policies",
        ] {
            assert!(speaks_of_authorization(name), "{name}");
        }
        for name in [
            "AVAILABILITY_SLOTS_BASE_URI",
            "controllers",
            "featureFlag",
            "isPublic",
        ] {
            assert!(!speaks_of_authorization(name), "{name}");
        }
    }
}
