use nestlint_diagnostics::{Edit, Fix, Severity, TextRange};
use nestlint_engine::apps::routes_of;
use nestlint_engine::facts::{AppCallKind, ClassFact, DecoratorFact, MethodFact};
use nestlint_engine::nest::resolve_string;
use nestlint_engine::{
    Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta,
    Scope,
};

pub struct ParamDecoratorMatchesRoute;

static META: RuleMeta = RuleMeta {
    id: "param-decorator-matches-route",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::Sometimes,
    scope: Scope::Project,
    summary: "`@Param('x')` names a parameter of the handler's route",
    docs: r#"## What it does
Reports `@Param('x')` on a route handler when no route of the handler (its controller's paths
joined with its own, `@Get(':id')`, `@Controller('users/:userId')`) has a `:x` parameter, and
`@Param(':x')` written with the colon. Paths are read from string literals and from constants,
in the same file or imported from another; every path of a handler or controller given as an
array is tried, and the parameter must be missing from all of them.

Unlike `@darraghor/eslint-plugin-nestjs-typed`'s `param-decorator-name-matches-route-param`, it
checks paths with `_`, `-`, `?` or regular-expression parts (`:user_id`, `:id(\\d+)`), and paths
held in constants.

## Why is this bad?
Nest hands the handler `request.params[x]`: a name the route does not declare is always
`undefined`. Nothing fails at boot; the handler misbehaves on every request (a lookup by
`undefined`, a `ParseIntPipe` that rejects every call).

## Example
```ts,expect_diagnostic
import { Controller, Get, Param } from '@nestjs/common';

@Controller('users')
export class UsersController {
  @Get(':userId')
  findOne(@Param('id') id: string) {}
}
```

Use instead:
```ts
import { Controller, Get, Param } from '@nestjs/common';

@Controller('users')
export class UsersController {
  @Get(':userId')
  findOne(@Param('userId') userId: string) {}
}
```

## Fix
`@Param(':id')` where the route has `:id` loses its colon (safe).

## When it stays silent
- a route path it cannot read (a template literal, a member of an object, a value computed at run
  time), or a route decorator it cannot resolve to `@nestjs/common`;
- a path with unnamed captures (`*`, a bare `(...)` group), whose values Nest numbers;
- a project that imports `RouterModule` (its paths may add parameters in front of a
  controller's), or sets a global prefix it cannot read or that has parameters;
- `@Param()` with no name, or a name it cannot read; test code.

## References
- https://docs.nestjs.com/controllers#route-parameters
"#,
};

impl Rule for ParamDecoratorMatchesRoute {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        if prefixes_may_add_parameters(index) {
            return;
        }
        for (file, indexed) in index.files() {
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            for class in &indexed.facts.classes {
                if !index.is_controller(file, class) {
                    continue;
                }
                for handler in index.route_handlers(file, class) {
                    check_handler(index, ctx, file, class, handler);
                }
            }
        }
    }
}

/// Checks the named `@Param`s of one route handler against its routes.
fn check_handler(
    index: &ProjectIndex,
    ctx: &mut ProjectContext<'_>,
    file: FileId,
    class: &ClassFact,
    handler: &MethodFact,
) {
    let named: Vec<(&DecoratorFact, String)> = handler
        .params
        .iter()
        .flat_map(|param| &param.decorators)
        .filter(|d| index.is_nest_decorator(file, d, "Param"))
        .filter_map(|d| {
            let name = resolve_string(index, file, d.args.first()?)?;
            Some((d, name.to_string()))
        })
        .collect();
    if named.is_empty() {
        return;
    }
    let Some(routes) = routes_of(index, file, class, handler).filter(|r| !r.is_empty()) else {
        return;
    };
    let Some(declared) = routes
        .iter()
        .map(|route| route_parameters(&route.path))
        .collect::<Option<Vec<Vec<String>>>>()
    else {
        return;
    };
    // In the order the paths name them, each once.
    let mut known: Vec<&str> = Vec::new();
    for name in declared.iter().flatten() {
        if !known.contains(&name.as_str()) {
            known.push(name);
        }
    }
    let shown_route = format!("{} /{}", routes[0].method, routes[0].path);
    for (decorator, name) in named {
        if let Some(bare) = name.strip_prefix(':') {
            let fix = known
                .contains(&bare)
                .then(|| colon_edit(ctx, index, file, decorator, &name))
                .flatten()
                .map(|edit| Fix::safe(format!("write `'{bare}'`"), vec![edit]));
            ctx.report(
                index,
                file,
                decorator.range,
                format!("`@Param('{name}')` is written with the route's colon: Nest passes `undefined`"),
            )
            .note(format!("the route `{shown_route}` names its parameter `{bare}`; the colon only marks it in the path"))
            .help(format!("write `@Param('{bare}')`"))
            .fix(fix);
            continue;
        }
        if known.contains(&name.as_str()) {
            continue;
        }
        let help = if known.is_empty() {
            format!("the route has no parameter: add `:{name}` to its path, or read the value elsewhere (`@Query`, `@Body`)")
        } else {
            let listed: Vec<String> = known.iter().map(|n| format!("`{n}`")).collect();
            format!("the route's parameters: {}", listed.join(", "))
        };
        ctx.report(
            index,
            file,
            decorator.range,
            format!(
                "`@Param('{name}')` names no parameter of `{}`'s route `{shown_route}`: it is always `undefined`",
                handler.name
            ),
        )
        .help(help);
    }
}

/// Whether something the rule cannot follow may put parameters in front of every controller's
/// path: `RouterModule` (its `path`s) or a global prefix that is not a plain readable string.
fn prefixes_may_add_parameters(index: &ProjectIndex) -> bool {
    index.files().any(|(file, indexed)| {
        indexed
            .facts
            .imports
            .iter()
            .any(|binding| binding.is("@nestjs/core", "RouterModule"))
            || indexed
                .facts
                .app_calls
                .iter()
                .filter(|call| call.kind == AppCallKind::SetGlobalPrefix)
                .any(|call| {
                    call.args
                        .first()
                        .and_then(|prefix| resolve_string(index, file, prefix))
                        .is_none_or(|prefix| {
                            route_parameters(&prefix).is_none_or(|p| !p.is_empty())
                        })
                })
    })
}

/// The named parameters of a route path (`users/:userId/posts/:id` → `userId`, `id`), as
/// Express's and Fastify's path syntaxes name them (`:name`, `:"quoted"`, `*name`). `None` when the
/// path has captures without a name (a bare `*` or `(...)`), which Nest numbers.
fn route_parameters(path: &str) -> Option<Vec<String>> {
    let is_name_char = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let mut names = Vec::new();
    let mut chars = path.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            ':' | '*' => {
                let rest = &path[at + 1..];
                let name: String = if let Some(quoted) = rest.strip_prefix('"') {
                    quoted.split('"').next().unwrap_or_default().to_owned()
                } else {
                    rest.chars().take_while(|&c| is_name_char(c)).collect()
                };
                if name.is_empty() {
                    if c == '*' {
                        return None;
                    }
                    continue;
                }
                names.push(name);
            }
            '(' => {
                // A group right after a name constrains it (`:id(\\d+)`); one alone captures.
                let after_name =
                    path[..at]
                        .rfind(|ch: char| !is_name_char(ch))
                        .is_some_and(|start| {
                            // `start` may begin a character of several bytes: compare chars.
                            path[start..].starts_with([':', '*']) && start + 1 < at
                        });
                if !after_name {
                    return None;
                }
                // Skip the group.
                let mut depth = 1;
                for (_, inner) in chars.by_ref() {
                    match inner {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Some(names)
}

/// The edit that removes the colon from `@Param(':id')`, found in the decorator's text: only when
/// the quoted name occurs there once.
fn colon_edit(
    ctx: &ProjectContext<'_>,
    index: &ProjectIndex,
    file: FileId,
    decorator: &DecoratorFact,
    name: &str,
) -> Option<Edit> {
    let source = ctx.source(index, file)?;
    let text = source.get(decorator.range.start as usize..decorator.range.end as usize)?;
    let (at, _) = crate::decorators::quoted_once(text, name)?;
    let colon = decorator.range.start as usize + at + 1;
    Some(Edit::deletion(TextRange::new(colon, colon + 1)))
}

#[cfg(test)]
mod tests {
    use super::route_parameters;

    fn names(path: &str) -> Option<Vec<String>> {
        route_parameters(path)
    }

    #[test]
    fn parameters_are_read_as_express_and_fastify_name_them() {
        let v = |list: &[&str]| Some(list.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(names("users/:userId/posts/:id"), v(&["userId", "id"]));
        assert_eq!(names("users/:user_id"), v(&["user_id"]));
        assert_eq!(names("files/:id(\\d+)"), v(&["id"]));
        assert_eq!(names("flights/:from-:to"), v(&["from", "to"]));
        assert_eq!(names("users{/:id}"), v(&["id"]));
        assert_eq!(names("users/:id?"), v(&["id"]));
        assert_eq!(names("files/*path"), v(&["path"]));
        assert_eq!(names("a/:\"quoted name\""), v(&["quoted name"]));
        assert_eq!(names("plain/path"), v(&[]));
        // Unnamed captures: Nest numbers them.
        assert_eq!(names("files/*"), None);
        assert_eq!(names("files/(.*)"), None);
    }

    #[test]
    fn a_group_after_a_character_of_several_bytes_is_read_without_a_panic() {
        // Found by the fuzzer: `U+FFFD` before `(` was sliced through its middle byte.
        assert_eq!(names("a\u{fffd}(x)"), None);
        assert_eq!(names(":é(x)"), Some(vec!["é".to_string()]));
    }
}
