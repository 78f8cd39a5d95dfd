use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::facts::{AppCallKind, DecoratorFact, ParamFact, Value};
use nestlint_engine::nest::NEST_CORE;
use nestlint_engine::{
    Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta,
    Scope, Symbol,
};

pub struct EnhancerInstanceDependencies;

static META: RuleMeta = RuleMeta {
    id: "enhancer-instance-dependencies",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "A guard, pipe, interceptor or filter created with `new` gets the dependencies its constructor declares",
    docs: r#"## What it does
Reports `new X(...)` passed to `@UseGuards()`, `@UsePipes()`, `@UseInterceptors()`,
`@UseFilters()`, `app.useGlobalGuards()` or `app.useGlobalPipes()`, where `X` is a class of the
project whose constructor declares more dependencies than the call passes.

It also reports `new X()` in `@UseFilters()` where `X` extends `BaseExceptionFilter` from
`@nestjs/core` and its `catch` is the base's (or calls `super.catch`): Nest gives that base the
HTTP adapter only when it creates the filter, so `super.catch(...)` throws a `TypeError` and every
exception the filter handles is answered with 500 (Nest's docs: such filters "should not be
instantiated with `new`").

## Why is this bad?
Nest injects a guard, pipe, interceptor or filter only when it creates it: given the class
(`@UseGuards(RolesGuard)`), or registered as `APP_GUARD`. An instance made with `new` gets exactly
the arguments written, and every dependency left out is `undefined`: the first request that
reaches `this.reflector.get(...)` fails with a `TypeError`, answered with a 500.

## Example
```ts,expect_diagnostic
import { CanActivate, Controller, ExecutionContext, Get, Injectable, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    return !!this.reflector.get<string[]>('roles', context.getHandler());
  }
}

@Controller('admin')
@UseGuards(new RolesGuard())
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
import { Reflector } from '@nestjs/core';

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    return !!this.reflector.get<string[]>('roles', context.getHandler());
  }
}

@Controller('admin')
@UseGuards(RolesGuard)
export class AdminController {
  @Get()
  dashboard() {
    return {};
  }
}
```

## When it stays silent
- a `BaseExceptionFilter` subclass given the adapter (`new AllExceptionsFilter(adapter)`), one
  whose own `catch` never calls `super.catch`, or one with a constructor of its own (then the
  constructor's parameters decide, as for any class);
- every dependency passed (`new RolesGuard(new Reflector())` works, though outside DI);
- optional parameters (`?`, a default, `@Optional()`), and spread arguments;
- classes of packages (`new ValidationPipe({ ... })`, `new ParseIntPipe()`), and a class without
  a constructor whose base the engine cannot read (`AuthGuard('jwt')`, a mixin).

## References
- https://docs.nestjs.com/guards#binding-guards
- https://docs.nestjs.com/pipes#global-scoped-pipes
"#,
};

/// `@nestjs/common`'s decorators that bind enhancers.
const BINDERS: &[&str] = &["UseGuards", "UsePipes", "UseInterceptors", "UseFilters"];

const MAX_BASES: usize = 8;

impl Rule for EnhancerInstanceDependencies {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        for (file, indexed) in index.files() {
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            let facts = &indexed.facts;
            let decorators = facts.classes.iter().flat_map(|class| {
                class
                    .decorators
                    .iter()
                    .chain(class.methods.iter().flat_map(|m| m.decorators.iter()))
            });
            let mut sites: Vec<(TextRange, &str, &[Value])> = decorators
                .filter_map(|d: &DecoratorFact| {
                    let binder = BINDERS
                        .iter()
                        .find(|name| index.is_nest_decorator(file, d, name))?;
                    Some((d.range, *binder, d.args.as_slice()))
                })
                .collect();
            for call in &facts.app_calls {
                if matches!(
                    call.kind,
                    AppCallKind::UseGlobalGuards | AppCallKind::UseGlobalPipes
                ) {
                    sites.push((call.range, call.method.as_str(), call.args.as_slice()));
                }
            }
            for (range, binder, args) in sites {
                for arg in args {
                    let Value::New { class, args } = arg else {
                        continue;
                    };
                    if args.iter().any(|a| matches!(a, Value::Spread(_))) {
                        continue;
                    }
                    if binder == "UseFilters"
                        && args.is_empty()
                        && base_filter_without_adapter(index, ctx, file, class)
                    {
                        ctx.report(
                            index,
                            file,
                            range,
                            format!(
                                "`new {}()` in `@UseFilters` extends `BaseExceptionFilter` but gets no HTTP adapter: `super.catch(...)` throws a `TypeError`, and every exception it handles is answered with 500",
                                class.name
                            ),
                        )
                        .note("Nest gives `BaseExceptionFilter` the adapter only when it creates the filter; an instance made with `new` has none")
                        .help("pass the class instead of an instance: `@UseFilters(AllExceptionsFilter)`");
                        continue;
                    }
                    let Some(missing) = missing_dependencies(index, ctx, file, class, args.len())
                    else {
                        continue;
                    };
                    let names = missing
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let help = if binder.starts_with("use") {
                        "register it as a provider (`APP_GUARD`, `APP_PIPE`) so that Nest creates and injects it, or pass what its constructor takes"
                    } else {
                        "pass the class instead of an instance, so that Nest creates and injects it"
                    };
                    ctx.report(
                        index,
                        file,
                        range,
                        format!(
                            "`new {}(...)` in `{binder}` leaves {names} undefined: an instance made with `new` gets no injection",
                            class.name
                        ),
                    )
                    .help(help);
                }
            }
        }
    }
}

/// Whether `callee` is a class of the project that extends `@nestjs/core`'s
/// `BaseExceptionFilter` (through project classes without constructors of their own) and whose
/// `catch` is the base's or calls `super.catch`: created with `new` and no arguments, it has no
/// adapter to answer with. `false` whenever the engine cannot tell.
fn base_filter_without_adapter(
    index: &ProjectIndex,
    ctx: &ProjectContext<'_>,
    file: FileId,
    callee: &nestlint_engine::facts::CalleeName,
) -> bool {
    if callee.object.is_some() {
        return false;
    }
    let mut symbol = index.resolve(file, &callee.name);
    let mut overrides_checked = false;
    for _ in 0..MAX_BASES {
        if symbol.is_external(NEST_CORE, "BaseExceptionFilter") {
            return true;
        }
        let Some((class_file, class)) = index.class(&symbol) else {
            return false;
        };
        if class.has_constructor {
            return false;
        }
        // The nearest `catch` decides whether the base's runs.
        if let Some(catch) = class.method("catch").filter(|_| !overrides_checked) {
            overrides_checked = true;
            let Some(source) = ctx.source(index, class_file) else {
                return false;
            };
            let body = source
                .get(catch.range.start()..catch.range.end())
                .unwrap_or("");
            if !body.contains("super.catch") {
                return false;
            }
        }
        let Some(Value::Ident(base)) = class.extends.as_ref() else {
            return false;
        };
        symbol = index.resolve(class_file, base);
    }
    false
}

/// The names of the constructor parameters of the class `callee` (a class of the project) that
/// `passed` arguments leave out and that are not optional; `None` when there are none or the
/// constructor cannot be read.
fn missing_dependencies(
    index: &ProjectIndex,
    ctx: &ProjectContext<'_>,
    file: FileId,
    callee: &nestlint_engine::facts::CalleeName,
    passed: usize,
) -> Option<Vec<String>> {
    if callee.object.is_some() {
        return None;
    }
    let (mut class_file, mut class) = index.class(&index.resolve(file, &callee.name))?;
    // No constructor: the nearest base's is called.
    let mut depth = 0;
    while !class.has_constructor {
        depth += 1;
        if depth > MAX_BASES {
            return None;
        }
        let Value::Ident(base) = class.extends.as_ref()? else {
            return None;
        };
        let symbol = index.resolve(class_file, base);
        if !matches!(symbol, Symbol::Declared { .. }) {
            return None;
        }
        (class_file, class) = index.class(&symbol)?;
    }
    let source = ctx.source(index, class_file)?;
    let missing: Vec<String> = class
        .constructor_params
        .iter()
        .skip(passed)
        .filter(|p| !optional(index, class_file, p, source))
        .map(|p| p.name.to_string())
        .collect();
    (!missing.is_empty()).then_some(missing)
}

/// A parameter a caller may leave out: `x?: T`, `x = value`, `...rest`, or `@Optional()`.
fn optional(index: &ProjectIndex, file: FileId, param: &ParamFact, source: &str) -> bool {
    if param
        .decorators
        .iter()
        .any(|d| index.is_nest_decorator(file, d, "Optional"))
    {
        return true;
    }
    let Some(text) = source.get(param.range.start()..param.range.end()) else {
        return true;
    };
    // What precedes the type annotation and what follows it (a default), or the whole
    // parameter without one: `=>` inside a function type is no default.
    let (head, tail) = match param.type_range {
        Some(ty) if ty.start() > param.range.start() && ty.end() <= param.range.end() => (
            source.get(param.range.start()..ty.start()).unwrap_or(text),
            source.get(ty.end()..param.range.end()).unwrap_or(""),
        ),
        _ => (text, text),
    };
    head.contains('?') || head.contains("...") || tail.contains('=')
}
