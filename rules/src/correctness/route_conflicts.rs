use nestlint_diagnostics::Severity;
use nestlint_engine::apps::routes_of;
use nestlint_engine::facts::{AppCallKind, ClassFact, MethodFact, Value};
use nestlint_engine::nest::resolve_string;
use nestlint_engine::{
    Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta,
    Scope,
};

pub struct RouteConflicts;

static META: RuleMeta = RuleMeta {
    id: "route-conflicts",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "No two handlers of a controller serve the same route, and no static route hides behind a parameter",
    docs: r#"## What it does
Within each controller, compares the routes of its handlers (method and path, the controller's
path joined with the handler's, constants read across files, API version included) in the order
they are declared, which is the order Nest registers them:
- two handlers serving the same route (the same method, or `@All`, and the same path, whatever
  its parameters are called): the later one is reported;
- on Express (Nest's default platform), a static route declared after a parameterised one that
  matches it, such as `@Get('me')` after `@Get(':id')`: the later one is reported.

## Why is this bad?
Express calls the first route that matches: the second handler of a duplicate is never called,
and `GET /users/me` reaches `findOne` with `id = 'me'`, where a `ParseIntPipe` answers 400 and a
lookup by `'me'` finds nothing. Fastify refuses to start with a duplicate route. Nothing else
reports either: the app boots (on Express) and the route silently does something else.

## Example
```ts,expect_diagnostic
import { Controller, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Controller('users')
export class UsersController {
  @Get(':id')
  findOne(@Param('id') id: string) {}

  @Get('me')
  me() {}
}

@Module({ controllers: [UsersController] })
export class AppModule {}

NestFactory.create(AppModule);
```

Use instead:
```ts
import { Controller, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Controller('users')
export class UsersController {
  @Get('me')
  me() {}

  @Get(':id')
  findOne(@Param('id') id: string) {}
}

@Module({ controllers: [UsersController] })
export class AppModule {}

NestFactory.create(AppModule);
```

## When it stays silent
- a handler whose path or version it cannot read (a template literal, a member of an object, a
  value computed at run time);
- a parameter constrained by a regular expression, optional (`:id?`), or a wildcard: whether it
  matches the static path depends on more than the path's shape;
- static routes after parameterised ones when an application runs on Fastify (its router prefers
  static routes whatever their order), or when the engine cannot see the platform (no
  `NestFactory.create` it can read, or an adapter held in a variable);
- routes after a handler that injects `@Next()` (it may hand the request on);
- routes of different controllers (the order Nest registers controllers in depends on the module
  graph), routes a base class declares, and test code.

## References
- https://docs.nestjs.com/controllers#route-parameters
- https://expressjs.com/en/guide/routing.html
"#,
};

/// A handler's route in a form that compares: its method, its version, and its path's segments.
struct Shaped<'c> {
    handler: &'c MethodFact,
    method: &'static str,
    version: Option<String>,
    segments: Vec<Segment>,
    path: String,
}

#[derive(Clone, PartialEq, Eq)]
enum Segment {
    Static(String),
    /// `:name`, matching any one segment.
    Param,
    /// A regular expression, an optional parameter, a wildcard, or several parts in one segment:
    /// what it matches is not only a shape.
    Other(String),
}

impl Rule for RouteConflicts {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let shadowing_applies = platform(index) == Platform::Express;
        for (file, indexed) in index.files() {
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            for class in &indexed.facts.classes {
                if !index.is_controller(file, class) {
                    continue;
                }
                check_controller(index, ctx, file, class, shadowing_applies);
            }
        }
    }
}

fn check_controller(
    index: &ProjectIndex,
    ctx: &mut ProjectContext<'_>,
    file: FileId,
    class: &ClassFact,
    shadowing_applies: bool,
) {
    let mut seen: Vec<Shaped<'_>> = Vec::new();
    for handler in index.route_handlers(file, class) {
        let Some(version) = handler_version(index, file, handler) else {
            continue;
        };
        let Some(routes) = routes_of(index, file, class, handler) else {
            continue;
        };
        let shaped: Vec<Shaped<'_>> = routes
            .into_iter()
            .map(|route| Shaped {
                handler,
                method: route.method,
                version: version.clone(),
                segments: segments(&route.path),
                path: route.path,
            })
            .collect();
        // The first conflict of the handler's routes, if any: one finding per handler.
        let conflict = shaped.iter().find_map(|route| {
            seen.iter().find_map(|earlier| {
                conflict(earlier, route, shadowing_applies)
                    .map(|shadowed| (earlier, route, shadowed))
            })
        });
        if let Some((earlier, route, shadowed)) = conflict {
            report(index, ctx, file, earlier, route, shadowed);
        }
        // A handler that can pass the request on (`@Next()`) hides nothing after it.
        let passes_on = handler
            .params
            .iter()
            .flat_map(|param| &param.decorators)
            .any(|d| index.is_nest_decorator(file, d, "Next"));
        if !passes_on {
            seen.extend(shaped);
        }
    }
}

/// How `route` conflicts with `earlier`, a route of a handler declared before it: `Some(false)`
/// for the same route, `Some(true)` for one `earlier` shadows (on Express), `None` for none.
fn conflict(earlier: &Shaped<'_>, route: &Shaped<'_>, shadowing_applies: bool) -> Option<bool> {
    if std::ptr::eq(earlier.handler, route.handler)
        || earlier.version != route.version
        || !(earlier.method == route.method || earlier.method == "ALL")
    {
        return None;
    }
    if same_shape(&earlier.segments, &route.segments) {
        Some(false)
    } else if shadowing_applies && shadows(&earlier.segments, &route.segments) {
        Some(true)
    } else {
        None
    }
}

fn report(
    index: &ProjectIndex,
    ctx: &mut ProjectContext<'_>,
    file: FileId,
    earlier: &Shaped<'_>,
    route: &Shaped<'_>,
    shadowed: bool,
) {
    let handler = route.handler;
    let earlier_route = format!("{} /{}", earlier.method, earlier.path);
    let route_text = format!("{} /{}", route.method, route.path);
    let (message, help) = if shadowed {
        (
            format!(
                "`{route_text}` (`{}`) is never reached: `{earlier_route}` (`{}`), declared before it, matches its path first",
                handler.name, earlier.handler.name
            ),
            format!(
                "declare `{}` before `{}`: Express matches routes in the order they are declared",
                handler.name, earlier.handler.name
            ),
        )
    } else {
        (
            format!(
                "`{route_text}` (`{}`) is also served by `{}`, declared before it: Express calls only the first, Fastify refuses to start",
                handler.name, earlier.handler.name
            ),
            "give one of the handlers another path or method, or remove the one never called"
                .to_owned(),
        )
    };
    ctx.report(index, file, handler.name_range, message)
        .label(
            index.file(file).path.clone(),
            earlier.handler.name_range,
            format!("`{earlier_route}` is declared here"),
        )
        .help(help);
}

/// The version a handler's routes are served under: its `@Version(...)`, else its controller's
/// (the same for every handler of the controller, written `None`). `None` (outer) when it has a
/// version the engine cannot read.
fn handler_version(
    index: &ProjectIndex,
    file: FileId,
    handler: &MethodFact,
) -> Option<Option<String>> {
    let Some(decorator) = handler
        .decorators
        .iter()
        .find(|d| index.is_nest_decorator(file, d, "Version"))
    else {
        return Some(None);
    };
    match decorator.args.first()? {
        Value::Array(items) => {
            let mut versions = items
                .iter()
                .map(|item| resolve_string(index, file, item).map(|s| s.to_string()))
                .collect::<Option<Vec<String>>>()?;
            versions.sort();
            Some(Some(versions.join(",")))
        }
        other => Some(Some(resolve_string(index, file, other)?.to_string())),
    }
}

fn segments(path: &str) -> Vec<Segment> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|segment| match segment.strip_prefix(':') {
            Some(name)
                if !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '$') =>
            {
                Segment::Param
            }
            _ if segment.contains([':', '*', '(', ')', '?', '+', '{', '}', '\\']) => {
                Segment::Other(segment.to_owned())
            }
            _ => Segment::Static(segment.to_owned()),
        })
        .collect()
}

/// The same route: segment by segment equal, parameters whatever their names.
fn same_shape(a: &[Segment], b: &[Segment]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|pair| match pair {
            (Segment::Static(x), Segment::Static(y)) => x == y,
            (Segment::Param, Segment::Param) => true,
            _ => false,
        })
}

/// `earlier` matches every request `later` would: as many segments, each equal or a parameter
/// of `earlier`, and `later` not the same shape.
fn shadows(earlier: &[Segment], later: &[Segment]) -> bool {
    earlier.len() == later.len()
        && earlier.iter().zip(later).all(|pair| match pair {
            (Segment::Static(x), Segment::Static(y)) => x == y,
            (Segment::Param, Segment::Static(_) | Segment::Param) => true,
            _ => false,
        })
}

#[derive(PartialEq, Eq)]
enum Platform {
    Express,
    /// Fastify somewhere, or a platform the engine cannot see.
    Other,
}

/// The platform every application of the project runs on, when the engine sees each
/// `NestFactory.create` and all of them use Express (the default, or an `ExpressAdapter`).
fn platform(index: &ProjectIndex) -> Platform {
    let mut creates = 0;
    for (_, indexed) in index.files() {
        for call in &indexed.facts.app_calls {
            if call.kind != AppCallKind::Bootstrap || call.method != "create" {
                continue;
            }
            creates += 1;
            let express = match call.args.get(1) {
                None => true,
                // `NestFactory.create(AppModule, { cors: true })`: options, no adapter.
                Some(Value::Object { .. }) => true,
                Some(Value::New { class, .. }) => class.name.contains("Express"),
                Some(_) => false,
            };
            if !express {
                return Platform::Other;
            }
        }
    }
    if creates == 0 {
        Platform::Other
    } else {
        Platform::Express
    }
}

#[cfg(test)]
mod tests {
    use super::{same_shape, segments, shadows};

    #[test]
    fn shapes_compare_by_segments_and_parameters() {
        let s = segments;
        assert!(same_shape(&s("users/:id"), &s("users/:userId")));
        assert!(!same_shape(&s("users/:id"), &s("users/me")));
        assert!(shadows(&s("users/:id"), &s("users/me")));
        assert!(shadows(&s(":a/:b"), &s("x/y")));
        assert!(!shadows(&s("users/:id"), &s("users/me/posts")));
        assert!(!shadows(&s("users/:id(\\d+)"), &s("users/me")));
        assert!(!shadows(&s("users/:id?"), &s("users/me")));
        assert!(!shadows(&s("users/*"), &s("users/me")));
        assert!(!shadows(&s("users/me"), &s("users/:id")));
    }
}
