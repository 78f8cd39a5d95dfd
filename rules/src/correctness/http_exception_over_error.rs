use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::edits::node_at;
use nestlint_engine::nest::{NEST_COMMON, ROUTE_DECORATORS};
use nestlint_engine::syntax::nest::{ClassView, MemberKind};
use nestlint_engine::syntax::{
    is_function_scope, named_children, text, unwrap_expression, Field, Node, NodeExt,
};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, Scope,
};

use crate::decorators::is_imported;

pub struct HttpExceptionOverError;

static META: RuleMeta = RuleMeta {
    id: "http-exception-over-error",
    category: Category::Correctness,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "A route handler throws an `HttpException`, not a plain `Error` or a string",
    docs: r#"## What it does
Reports `throw new Error(...)` (the global `Error`, `TypeError`, `RangeError`) and `throw '...'`
written directly in the body of a route handler of a controller, in a project that registers no
global exception filter (`app.useGlobalFilters(...)` or an `APP_FILTER` provider).

## Why is this bad?
Nest's built-in exception filter answers anything that is not an `HttpException` with
`500 Internal Server Error` and a generic message: a "user not found" or an unsupported value
becomes a server error, alerting whoever watches 5xx rates, and the client never learns what it
did wrong. An error the handler throws in its own flow is almost always about the request.

## Example
```ts,expect_diagnostic
import { Controller, Get, Param } from '@nestjs/common';

@Controller('users')
export class UsersController {
  @Get(':id')
  findOne(@Param('id') id: string) {
    if (id === '0') {
      throw new Error('User not found');
    }
    return { id };
  }
}
```

Use instead:
```ts
import { Controller, Get, NotFoundException, Param } from '@nestjs/common';

@Controller('users')
export class UsersController {
  @Get(':id')
  findOne(@Param('id') id: string) {
    if (id === '0') {
      throw new NotFoundException('User not found');
    }
    return { id };
  }
}
```

## When it stays silent
- a project with a global exception filter (it may map errors to statuses), and a handler or
  controller with `@UseFilters(...)`;
- throws inside nested functions and callbacks (they may be caught), inside a `try` block, in a
  `catch` block (a failure rethrown: a 500 is right there), and of anything but the global error
  classes (a project's own error class may be mapped by a
  filter or extend `HttpException`);
- services and other classes: their errors may be caught and translated by the caller.

## References
- https://docs.nestjs.com/exception-filters#built-in-http-exceptions
"#,
};

/// A plain error thrown in a handler, stashed by the file pass by name and position (no byte
/// offsets: an edit that moves text must not change the stash).
#[derive(serde::Serialize, serde::Deserialize)]
enum Found {
    Throw {
        class: String,
        method: String,
        /// Its position among the handler's [`candidate_throws`].
        nth: u32,
        what: String,
    },
    /// The file registers a global filter, or may (`useGlobalFilters`, `APP_FILTER`).
    GlobalFilter,
}

const PLAIN_ERRORS: &[&str] = &["Error", "TypeError", "RangeError"];

impl Rule for HttpExceptionOverError {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[
            "program",
            "class_declaration",
            "abstract_class_declaration",
            "class",
        ]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if node.kind_name() == "program" {
            let source = ctx.source.as_bytes();
            if [&b"useGlobalFilters"[..], b"APP_FILTER"]
                .iter()
                .any(|needle| memchr::memmem::find(source, needle).is_some())
            {
                ctx.stash(Found::GlobalFilter);
            }
            return;
        }
        // Only files that can hold Nest's decorators.
        if !ctx
            .imports
            .iter()
            .any(|b| b.source.as_str() == "@nestjs/common")
        {
            return;
        }
        let Some(class) = ClassView::new(node) else {
            return;
        };
        let class_decorators = ctx.class_decorators(&class);
        if !class_decorators
            .iter()
            .any(|&d| is_imported(d, ctx, NEST_COMMON, &["Controller"]))
            || class_decorators
                .iter()
                .any(|&d| is_imported(d, ctx, NEST_COMMON, &["UseFilters"]))
        {
            return;
        }
        let class_name = class
            .name(ctx.source)
            .unwrap_or("the controller")
            .to_owned();
        for member in class.members() {
            if member.kind != MemberKind::Method || member.is_static {
                continue;
            }
            if !member
                .decorators
                .iter()
                .any(|&d| is_imported(d, ctx, NEST_COMMON, ROUTE_DECORATORS))
                || member
                    .decorators
                    .iter()
                    .any(|&d| is_imported(d, ctx, NEST_COMMON, &["UseFilters"]))
            {
                continue;
            }
            let Some(body) = member.node.field(Field::Body) else {
                continue;
            };
            let method = member.name(ctx.source).to_owned();
            for (nth, thrown) in candidate_throws(body).into_iter().enumerate() {
                if let Some(what) = plain_error(thrown, ctx) {
                    ctx.stash(Found::Throw {
                        class: class_name.clone(),
                        method: method.clone(),
                        nth: nth as u32,
                        what,
                    });
                }
            }
        }
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let found: Vec<_> = index.stashed::<Found>(META.id).collect();
        if found.iter().any(|(_, f)| matches!(f, Found::GlobalFilter)) {
            return;
        }
        for (file, found) in found {
            let Found::Throw {
                class,
                method,
                nth,
                what,
            } = found
            else {
                continue;
            };
            let indexed = index.file(file);
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            let Some(range) = locate(index, ctx, file, &class, &method, nth as usize) else {
                continue;
            };
            ctx.report(
                index,
                file,
                range,
                format!("`{class}.{method}` throws {what}: Nest answers it with 500 Internal Server Error"),
            )
            .note("the built-in exception filter turns anything that is not an `HttpException` into a 500 with a generic message")
            .help("throw the `HttpException` of the status you mean (`NotFoundException`, `BadRequestException`, ...) from `@nestjs/common`");
        }
    }
}

/// The `throw` statements of a handler body that throw a string or a `new` of a name, outside
/// nested functions and `try` statements (their `finally` blocks aside), in text order.
fn candidate_throws(body: Node<'_>) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut stack = vec![body];
    let mut visited = 0usize;
    while let Some(current) = stack.pop() {
        visited += 1;
        if visited > 100_000 {
            break;
        }
        match current.kind_name() {
            // Their throws may be caught where they are called.
            kind if is_function_scope(kind) && current != body => continue,
            // Caught in the `try` block; rethrown from the `catch` block, a failure of the server,
            // for which a 500 is the right answer.
            "try_statement" => {
                if let Some(finalizer) = current.field(Field::Finalizer) {
                    stack.push(finalizer);
                }
                continue;
            }
            "throw_statement" => {
                let thrown = named_children(current).next().map(unwrap_expression);
                if thrown.is_some_and(|t| {
                    matches!(
                        t.kind_name(),
                        "string" | "template_string" | "new_expression"
                    )
                }) {
                    out.push(current);
                }
                continue;
            }
            _ => {}
        }
        // Reversed, so that the stack pops them in text order.
        let children: Vec<Node<'_>> = named_children(current).collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

/// The range of the `nth` candidate throw of `class.method` in `file`, found again in its text.
fn locate(
    index: &ProjectIndex,
    ctx: &ProjectContext<'_>,
    file: FileId,
    class: &str,
    method: &str,
    nth: usize,
) -> Option<TextRange> {
    let fact = index
        .file(file)
        .facts
        .class(class)?
        .methods
        .iter()
        .find(|m| m.name.as_str() == method)?;
    let tree = ctx.tree_for_edit(index, file)?;
    let node = node_at(tree.root_node(), fact.range)?;
    let body = node.field(Field::Body)?;
    let thrown = *candidate_throws(body).get(nth)?;
    Some(TextRange::new(thrown.start_byte(), thrown.end_byte()))
}

/// `new Error(...)` of a global error class (not imported nor declared in the file), or a string.
fn plain_error(throw: Node<'_>, ctx: &FileContext<'_, '_>) -> Option<String> {
    let thrown = named_children(throw).next().map(unwrap_expression)?;
    match thrown.kind_name() {
        "string" | "template_string" => Some("a string".to_owned()),
        "new_expression" => {
            let constructor = thrown.field(Field::Constructor)?;
            let name = text(constructor, ctx.source);
            if !PLAIN_ERRORS.contains(&name) || ctx.imports.get(name).is_some() {
                return None;
            }
            // A class of the file named `Error` shadows the global one.
            let declared = named_children(ctx.root()).any(|statement| {
                let declaration = if statement.kind_name() == "export_statement" {
                    statement.field(Field::Declaration)
                } else {
                    Some(statement)
                };
                declaration
                    .and_then(|d| d.field(Field::Name))
                    .is_some_and(|n| text(n, ctx.source) == name)
            });
            (!declared).then(|| format!("a plain `{name}`"))
        }
        _ => None,
    }
}
