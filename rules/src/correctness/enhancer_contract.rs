use std::collections::BTreeMap;
use std::sync::Arc;

use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::facts::{AppCallKind, ClassFact, Value};
use nestlint_engine::nest::{ClassKey, Item, NEST_CORE};
use nestlint_engine::{
    Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta,
    Scope, Symbol,
};

pub struct EnhancerContract;

static META: RuleMeta = RuleMeta {
    id: "enhancer-contract",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "A class bound as a guard, pipe, interceptor, filter or middleware has the method Nest calls",
    docs: r#"## What it does
Reports a class of the project that is bound as a guard, pipe, interceptor, exception filter or
middleware but has no method of the name Nest calls on it, neither declared nor inherited:

| bound as | by | method |
| --- | --- | --- |
| guard | `@UseGuards()`, `app.useGlobalGuards()`, an `APP_GUARD` provider | `canActivate` |
| pipe | `@UsePipes()`, a pipe given to `@Body()`/`@Query()`/`@Param()`/`@UploadedFile()`/`@UploadedFiles()`/`@RawBody()`, `app.useGlobalPipes()`, an `APP_PIPE` provider | `transform` |
| interceptor | `@UseInterceptors()`, an `APP_INTERCEPTOR` provider | `intercept` |
| filter | `@UseFilters()`, an `APP_FILTER` provider | `catch` |
| middleware | `consumer.apply()` in a module's `configure` | `use` |

## Why is this bad?
TypeScript does not check it: the decorators take any class, and `implements CanActivate` is
optional. Nest looks the method up when it creates the routes. Nest 11.2 refuses a guard, pipe or
interceptor without it (`InvalidEnhancerException`) and fails on such a filter, so the
application does not start; earlier versions skip it without a word, so the routes run
unguarded, the value reaches the handler unvalidated, or the exceptions the filter was meant to
handle get the default response. A middleware without `use` stops the application at startup
(`InvalidMiddlewareException`). A misspelt method (`canActive`), or a method moved to a base
class the enhancer does not extend, are the usual causes.

## Example
```ts,expect_diagnostic
import { Controller, ExecutionContext, Get, Injectable, UseGuards } from '@nestjs/common';

@Injectable()
export class AdminGuard {
  canActive(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest().user?.role === 'admin';
  }
}

@Controller('admin')
@UseGuards(AdminGuard)
export class AdminController {
  @Get()
  dashboard() {
    return {};
  }
}
```

Use instead:
```ts
import { CanActivate, Controller, ExecutionContext, Get, Injectable, UseGuards } from '@nestjs/common';

@Injectable()
export class AdminGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest().user?.role === 'admin';
  }
}

@Controller('admin')
@UseGuards(AdminGuard)
export class AdminController {
  @Get()
  dashboard() {
    return {};
  }
}
```

## When it stays silent
- the method is declared by the class or a base class of the project, as a method, a property
  (`canActivate = () => true`) or a static method (Nest accepts each);
- a base class the engine cannot read: a package's (`AuthGuard('jwt')`, `ThrottlerGuard`,
  `BaseExceptionFilter`), a mixin call, an unresolved import;
- a class with a member whose name is computed (`[key]()`), one that merges with an interface
  of the same name (mixins), or one with a class decorator from outside `@nestjs/`, which may
  return another class;
- values that are not classes of the project (instances of package classes, factory calls such
  as `FileInterceptor('file')`, functional middleware);
- a class bound only by name suffix, without one of the bindings above, and bindings in test files.

## References
- https://docs.nestjs.com/guards
- https://docs.nestjs.com/pipes#custom-pipes
- https://docs.nestjs.com/interceptors
- https://docs.nestjs.com/exception-filters#catch-everything
- https://docs.nestjs.com/middleware
"#,
};

/// What a class is bound as, and so the method Nest calls on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Guard,
    Pipe,
    Interceptor,
    Filter,
    Middleware,
}

impl Role {
    fn method(self) -> &'static str {
        match self {
            Role::Guard => "canActivate",
            Role::Pipe => "transform",
            Role::Interceptor => "intercept",
            Role::Filter => "catch",
            Role::Middleware => "use",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Role::Guard => "a guard",
            Role::Pipe => "a pipe",
            Role::Interceptor => "an interceptor",
            Role::Filter => "an exception filter",
            Role::Middleware => "a middleware",
        }
    }

    fn consequence(self) -> &'static str {
        match self {
            Role::Guard => "Nest refuses it at startup (older versions skip it: the routes run unguarded)",
            Role::Pipe => "Nest refuses it at startup (older versions skip it: the value reaches the handler as sent)",
            Role::Interceptor => "Nest refuses it at startup (older versions skip it)",
            Role::Filter => "Nest fails at startup (older versions skip it: the exceptions it should catch get the default response)",
            Role::Middleware => "Nest refuses it at startup (`InvalidMiddlewareException`)",
        }
    }

    fn interface(self) -> &'static str {
        match self {
            Role::Guard => "CanActivate",
            Role::Pipe => "PipeTransform",
            Role::Interceptor => "NestInterceptor",
            Role::Filter => "ExceptionFilter",
            Role::Middleware => "NestMiddleware",
        }
    }
}

/// `@nestjs/common`'s decorators that bind enhancers by class, and what they bind.
const BINDERS: &[(&str, Role)] = &[
    ("UseGuards", Role::Guard),
    ("UsePipes", Role::Pipe),
    ("UseInterceptors", Role::Interceptor),
    ("UseFilters", Role::Filter),
];

/// Parameter decorators of `@nestjs/common` whose arguments after the property name are pipes.
const PIPE_PARAMS: &[&str] = &[
    "Body",
    "Query",
    "Param",
    "UploadedFile",
    "UploadedFiles",
    "RawBody",
];

/// `@nestjs/core`'s tokens that register a global enhancer as a provider.
const APP_TOKENS: &[(&str, Role)] = &[
    ("APP_GUARD", Role::Guard),
    ("APP_PIPE", Role::Pipe),
    ("APP_INTERCEPTOR", Role::Interceptor),
    ("APP_FILTER", Role::Filter),
];

const MAX_BASES: usize = 8;

/// Where a class is bound: the file, the range to point at, and how (`@UseGuards`).
struct Binding {
    file: FileId,
    range: TextRange,
    how: String,
}

impl Rule for EnhancerContract {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let mut bound: BTreeMap<(ClassKey, Role), Vec<Binding>> = BTreeMap::new();
        let mut bind = |file: FileId, value: &Value, role: Role, range: TextRange, how: &str| {
            let name = match value {
                Value::Ident(name) => name,
                Value::New { class, .. } if class.object.is_none() => &class.name,
                _ => return,
            };
            if let Some(class) = index.class_key(&index.resolve(file, name)) {
                bound.entry((class, role)).or_default().push(Binding {
                    file,
                    range,
                    how: how.to_string(),
                });
            }
        };
        for (file, indexed) in index.files() {
            if indexed.is_test {
                continue;
            }
            let facts = &indexed.facts;
            for class in &facts.classes {
                let methods = class.methods.iter();
                let decorators = class
                    .decorators
                    .iter()
                    .chain(methods.clone().flat_map(|m| m.decorators.iter()));
                for decorator in decorators {
                    let Some(&(name, role)) = BINDERS
                        .iter()
                        .find(|(name, _)| index.is_nest_decorator(file, decorator, name))
                    else {
                        continue;
                    };
                    for arg in &decorator.args {
                        bind(file, arg, role, decorator.range, &format!("`@{name}()`"));
                    }
                }
                for param in methods.flat_map(|m| m.params.iter()) {
                    for decorator in &param.decorators {
                        let Some(name) = PIPE_PARAMS
                            .iter()
                            .find(|name| index.is_nest_decorator(file, decorator, name))
                        else {
                            continue;
                        };
                        for arg in &decorator.args {
                            bind(
                                file,
                                arg,
                                Role::Pipe,
                                decorator.range,
                                &format!("`@{name}()`"),
                            );
                        }
                    }
                }
            }
            for call in &facts.app_calls {
                let role = match call.kind {
                    AppCallKind::UseGlobalGuards => Role::Guard,
                    AppCallKind::UseGlobalPipes => Role::Pipe,
                    _ => continue,
                };
                for arg in &call.args {
                    bind(file, arg, role, call.range, &format!("`{}()`", call.method));
                }
            }
            for chain in &facts.middleware {
                for value in &chain.middleware {
                    bind(
                        file,
                        value,
                        Role::Middleware,
                        chain.range,
                        "`consumer.apply()`",
                    );
                }
            }
        }
        for (module, metadata) in index.modules() {
            if index.file(module.file).is_test {
                continue;
            }
            let module_class = index.class_at(module);
            for item in index.metadata_items(module, metadata, "providers") {
                let Item::Value(file, value) = item else {
                    continue;
                };
                let Some(Value::Ident(token)) = value.get("provide") else {
                    continue;
                };
                let token = index.resolve(file, token);
                let Some(&(name, role)) = APP_TOKENS
                    .iter()
                    .find(|(name, _)| token.is_external(NEST_CORE, name))
                else {
                    continue;
                };
                if let Some(class) = value.get("useClass") {
                    let how = format!("an `{name}` provider of `{}`", module_class.name);
                    bind(module.file, class, role, module_class.name_range, &how);
                }
            }
        }

        for ((key, role), mut bindings) in bound {
            bindings.sort_by_key(|b| (b.file, b.range.start()));
            let indexed = index.file(key.file);
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            if has_method(index, key, role.method()) != Some(false) {
                continue;
            }
            let class = index.class_at(key);
            let first = &bindings[0];
            let diagnostic = ctx.report(
                index,
                key.file,
                class.name_range,
                format!(
                    "`{}` is bound as {} by {} but has no `{}` method: {}",
                    class.name,
                    role.noun(),
                    first.how,
                    role.method(),
                    role.consequence()
                ),
            );
            for binding in bindings.iter().take(3) {
                let path: Arc<_> = index.file(binding.file).path.clone();
                diagnostic.label(
                    path,
                    binding.range,
                    format!("bound as {} here", role.noun()),
                );
            }
            diagnostic.help(format!(
                "declare `{}` (and `implements {}`, so that TypeScript checks it), or bind the class that has it",
                role.method(),
                role.interface()
            ));
        }
    }
}

/// Whether the class or one of its project bases has a member named `method`: `None` when the
/// engine cannot tell (a base it cannot read, a computed member name, a decorator that may
/// replace the class, an interface merged into it).
fn has_method(index: &ProjectIndex, key: ClassKey, method: &str) -> Option<bool> {
    let mut file = key.file;
    let mut class: &ClassFact = index.class_at(key);
    for _ in 0..MAX_BASES {
        if declares(class, method)? {
            return Some(true);
        }
        let symbol = Symbol::Declared {
            file,
            name: class.name.clone(),
        };
        if index.type_decl(&symbol).is_some() {
            return None;
        }
        let outside_nest =
            class
                .decorators
                .iter()
                .any(|d| match index.resolve_callee(file, &d.callee) {
                    Symbol::External { source, .. } => !source.starts_with("@nestjs/"),
                    _ => true,
                });
        if outside_nest {
            return None;
        }
        match &class.extends {
            None => return Some(false),
            Some(Value::Ident(base)) => {
                let symbol = index.resolve(file, base);
                (file, class) = index.class(&symbol)?;
            }
            Some(_) => return None,
        }
    }
    None
}

/// Whether the class body declares a member named `method` (method, property, accessor, static
/// or not); `None` when a member's name is computed.
fn declares(class: &ClassFact, method: &str) -> Option<bool> {
    let names = class
        .methods
        .iter()
        .map(|m| &m.name)
        .chain(class.properties.iter().map(|p| &p.name));
    let mut found = false;
    for name in names {
        if name.starts_with('[') {
            return None;
        }
        found |= name.trim_matches(|c| c == '\'' || c == '"') == method;
    }
    Some(found)
}
