use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::facts::{DecoratorFact, Value};
use nestlint_engine::syntax::nest::{ClassView, DecoratorView, Member, MemberKind};
use nestlint_engine::syntax::{
    is_function_scope, named_children, text, unwrap_expression, Field, Node, NodeExt,
};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, Scope, Symbol,
};

use super::property::object_key;
use super::{applies, is_response_decorator, Applies, FileFact};
use crate::decorators::imported_name;

pub struct StatusCodeConsistency;

static META: RuleMeta = RuleMeta {
    id: "status-code-consistency",
    category: Category::Openapi,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "A route's documented success status is the one it answers with",
    docs: r#"## What it does
Compares the status a route answers with on success, as Nest sets it, with the success
responses its `@nestjs/swagger` decorators document:

- the status Nest sends is `201` for `@Post()`, `200` for the other methods, or what
  `@HttpCode()` says;
- the documented ones are the handler's `@ApiOkResponse()`, `@ApiCreatedResponse()`,
  `@ApiNoContentResponse()`, ..., and `@ApiResponse({ status })` below 400, and the
  controller's.

It reports a handler that documents success responses, none of them with the status it sends.
It also reports a handler with `@HttpCode(204)` that returns a value: a `204 No Content`
response has no body, so the value never reaches the client.

## Why is this bad?
Clients generated from the OpenAPI document expect the documented status: a `@Post()` documented
with `@ApiOkResponse()` answers `201`, which a strict client treats as undocumented, and the
documented body schema belongs to a status that never comes. Either the documentation or the
`@HttpCode()` is wrong.

## Example
```ts,expect_diagnostic
import { Body, Controller, Post } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';

export class CreateUserDto {
  name: string;
}

export class UserDto {
  id: string;
  name: string;
}

@Controller('users')
export class UsersController {
  @Post()
  @ApiOkResponse({ type: UserDto })
  create(@Body() dto: CreateUserDto): UserDto {
    return { id: '1', name: dto.name };
  }
}
```

Use instead:
```ts
import { Body, Controller, Post } from '@nestjs/common';
import { ApiCreatedResponse } from '@nestjs/swagger';

export class CreateUserDto {
  name: string;
}

export class UserDto {
  id: string;
  name: string;
}

@Controller('users')
export class UsersController {
  @Post()
  @ApiCreatedResponse({ type: UserDto })
  create(@Body() dto: CreateUserDto): UserDto {
    return { id: '1', name: dto.name };
  }
}
```

## When it stays silent
- the handler documents no success response of its own (no claim to compare), or documents a
  `default` response, a range such as `'2XX'`, or a status it cannot read;
- a base class of the controller documents a success response, or one whose status it cannot
  read, or may (a base of a package, a mixin, a decorator of the project it cannot follow):
  class-level responses are inherited;
- the status is not fixed by the decorators: `@Res()`, `@Response()` or `@Next()` injected (the
  handler may set it), `@Redirect()`, `@HttpCode()` with a value other than a number or an
  `HttpStatus` member, `@Sse()`, or route decorators that disagree;
- a decorator outside `@nestjs/` whose name speaks of documentation (`Api...`, `...Response`,
  `...Doc...`, `...Swagger...`): it may document more responses;
- for `204`, a returned `undefined`, `void` expression, or a call whose value the rule cannot see
  (`return this.service.remove(id)` may well resolve to nothing).

## References
- https://docs.nestjs.com/controllers#status-code
- https://docs.nestjs.com/openapi/operations#responses
"#,
};

const SWAGGER: &str = "@nestjs/swagger";
const COMMON: &str = "@nestjs/common";

/// Route decorators and the status Nest answers with when no `@HttpCode()` says otherwise.
const ROUTES: &[(&str, u16)] = &[
    ("Get", 200),
    ("Post", 201),
    ("Put", 200),
    ("Patch", 200),
    ("Delete", 200),
    ("Options", 200),
    ("Head", 200),
    ("All", 200),
    ("Search", 200),
];

/// `HttpStatus` members of `@nestjs/common` below 400, with the stem of swagger's decorator for
/// each (`ApiOkResponse` documents `OK`).
const STATUSES: &[(&str, &str, u16)] = &[
    ("CONTINUE", "Continue", 100),
    ("SWITCHING_PROTOCOLS", "SwitchingProtocols", 101),
    ("PROCESSING", "Processing", 102),
    ("EARLYHINTS", "Earlyhints", 103),
    ("OK", "Ok", 200),
    ("CREATED", "Created", 201),
    ("ACCEPTED", "Accepted", 202),
    (
        "NON_AUTHORITATIVE_INFORMATION",
        "NonAuthoritativeInformation",
        203,
    ),
    ("NO_CONTENT", "NoContent", 204),
    ("RESET_CONTENT", "ResetContent", 205),
    ("PARTIAL_CONTENT", "PartialContent", 206),
    ("MULTI_STATUS", "", 207),
    ("ALREADY_REPORTED", "", 208),
    ("CONTENT_DIFFERENT", "", 210),
    ("AMBIGUOUS", "Ambiguous", 300),
    ("MOVED_PERMANENTLY", "MovedPermanently", 301),
    ("FOUND", "Found", 302),
    ("SEE_OTHER", "SeeOther", 303),
    ("NOT_MODIFIED", "NotModified", 304),
    ("TEMPORARY_REDIRECT", "TemporaryRedirect", 307),
    ("PERMANENT_REDIRECT", "PermanentRedirect", 308),
];

/// The success and redirect responses a set of decorators documents.
struct Documented<'t> {
    /// `(status, the decorator's name, the decorator)`.
    statuses: Vec<(u16, String, Node<'t>)>,
    /// A `default` response, a range, a status that could not be read, or a decorator that may
    /// document more: any status may be documented.
    open: bool,
}

impl Rule for StatusCodeConsistency {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["class_declaration", "abstract_class_declaration", "class"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if !ctx.imports.iter().any(|b| b.source.as_str() == SWAGGER) {
            return;
        }
        let Some(class) = ClassView::new(node) else {
            return;
        };
        let class_decorators = ctx.class_decorators(&class);
        if !class_decorators
            .iter()
            .any(|&d| imported_as(d, ctx, COMMON) == Some("Controller"))
        {
            return;
        }
        let class_documented = documented(&class_decorators, ctx);
        if class_documented.open {
            return;
        }
        // With a base class, its class-level responses count too: the project pass reads them.
        let deferred = class
            .extends()
            .is_some()
            .then(|| class.name(ctx.source).unwrap_or_default().to_owned());
        for member in class.members() {
            if member.kind == MemberKind::Method {
                check_handler(&member, &class_documented, deferred.as_deref(), ctx);
            }
        }
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        for (file, fact) in index.stashed::<FileFact>(META.id) {
            let FileFact::StatusMismatch {
                class,
                method,
                decorator,
                nth,
                message,
                help,
            } = fact
            else {
                continue;
            };
            if !index.file(file).is_target {
                continue;
            }
            let Some((_, class_fact)) = index.class(&Symbol::Declared {
                file,
                name: class.as_str().into(),
            }) else {
                continue;
            };
            if bases_may_document_success(index, file, &class_fact.extends, 0) {
                continue;
            }
            let range = class_fact
                .methods
                .iter()
                .filter(|m| m.name == method)
                .flat_map(|m| m.decorators.iter())
                .filter(|d| d.callee.object.is_none() && d.callee.name == decorator)
                .nth(nth as usize)
                .map(|d| d.range);
            if let Some(range) = range {
                ctx.report(index, file, range, message).help(help);
            }
        }
    }
}

/// How many base classes are followed.
const MAX_BASES: usize = 8;

/// Whether the base classes of a controller (its `extends`, written in `file`) document a success
/// response at class level, or may: a response decorator whose status is a success or cannot be
/// read, a decorator of the project that applies one or that the engine cannot follow, a base
/// it cannot read. Only what is certainly an error response (`@ApiUnauthorizedResponse()`,
/// `@ApiResponse({ status: HttpStatus.FORBIDDEN })`) and other decorators are passed over.
fn bases_may_document_success(
    index: &ProjectIndex,
    file: FileId,
    extends: &Option<Value>,
    depth: usize,
) -> bool {
    let base = match extends {
        None => return false,
        Some(Value::Ident(base)) if depth < MAX_BASES => base,
        Some(_) => return true,
    };
    let Some((base_file, base)) = index.class(&index.resolve(file, base)) else {
        return true;
    };
    base.decorators
        .iter()
        .any(|d| may_document_success(index, base_file, d))
        || bases_may_document_success(index, base_file, &base.extends, depth + 1)
}

fn may_document_success(index: &ProjectIndex, file: FileId, decorator: &DecoratorFact) -> bool {
    if let Symbol::External { source, name } = index.resolve_callee(file, &decorator.callee) {
        if source.as_str() == SWAGGER && name.as_str() == "ApiResponse" {
            // `status: HttpStatus.FORBIDDEN`: an error. A number is not kept in the facts.
            let status = decorator.args.first().and_then(|a| a.get("status"));
            return !matches!(status, Some(Value::Member { object, property })
                if object.as_str() == "HttpStatus"
                    && !STATUSES.iter().any(|(name, _, _)| *name == property.as_str()));
        }
    }
    applies(index, file, std::slice::from_ref(decorator), &|name| {
        is_response_decorator(name) && !is_error_response(name)
    }) != Applies::No
}

/// `ApiNotFoundResponse` and the other decorators of an error status.
fn is_error_response(name: &str) -> bool {
    name.strip_prefix("Api")
        .and_then(|rest| rest.strip_suffix("Response"))
        .is_some_and(|stem| {
            !matches!(stem, "" | "Default") && !STATUSES.iter().any(|(_, s, _)| *s == stem)
        })
}

/// Checks one handler; `deferred` names its class when the class has a base, whose responses
/// the project pass reads before reporting.
fn check_handler(
    member: &Member<'_>,
    class_documented: &Documented<'_>,
    deferred: Option<&str>,
    ctx: &mut FileContext<'_, '_>,
) {
    let Some(status) = sent_status(member, ctx) else {
        return;
    };
    let Some(name) = member.name_node() else {
        return;
    };
    let handler = text(name, ctx.source);
    if status.code == 204 {
        if let Some(value) = body_returned(member) {
            ctx.report(
                TextRange::new(value.start_byte(), value.end_byte()),
                format!(
                    "`{handler}` answers 204 No Content ({}), so the value it returns is never sent",
                    status.because
                ),
            )
            .help("return nothing, or answer 200 with the body (drop the `@HttpCode()`)");
        }
    }
    let own = documented(&member.decorators, ctx);
    if own.open || own.statuses.is_empty() {
        return;
    }
    let documents = |d: &Documented<'_>| d.statuses.iter().any(|(s, _, _)| *s == status.code);
    if documents(&own) || documents(class_documented) {
        return;
    }
    // The decorator that documents the first success response.
    let first = own.statuses[0].2;
    let listed = own
        .statuses
        .iter()
        .map(|(s, name, _)| format!("{s} (`@{name}`)"))
        .collect::<Vec<_>>()
        .join(", ");
    let help = match STATUSES.iter().find(|(_, stem, code)| *code == status.code && !stem.is_empty()) {
        Some((_, stem, _)) => format!(
            "document {} with `@Api{stem}Response()`, or answer what is documented with `@HttpCode()`",
            status.code
        ),
        None => format!(
            "document {} with `@ApiResponse({{ status: {} }})`, or answer what is documented with `@HttpCode()`",
            status.code, status.code
        ),
    };
    let message = format!(
        "`{handler}` answers {} ({}), but {} {listed}",
        status.code,
        status.because,
        if own.statuses.len() == 1 {
            "the only success response documented is"
        } else {
            "the success responses documented are"
        }
    );
    match deferred {
        None => {
            ctx.report(
                TextRange::new(first.start_byte(), first.end_byte()),
                message,
            )
            .help(help);
        }
        Some(class) => {
            let Some(callee) = DecoratorView::new(first).callee(ctx.source) else {
                return;
            };
            // Which of the handler's decorators with that name, for the project pass to find.
            let nth = member
                .decorators
                .iter()
                .take_while(|&&d| d != first)
                .filter(|&&d| {
                    DecoratorView::new(d)
                        .callee(ctx.source)
                        .is_some_and(|c| c.object.is_none() && c.name == callee.name)
                })
                .count();
            ctx.stash(FileFact::StatusMismatch {
                class: class.to_owned(),
                method: handler.to_owned(),
                decorator: callee.name.to_owned(),
                nth: nth as u32,
                message,
                help,
            });
        }
    }
}

struct Sent {
    code: u16,
    /// Why: "`@Post()` without `@HttpCode()`", "`@HttpCode(204)`".
    because: String,
}

/// The status Nest answers the handler with on success, when its decorators fix it.
fn sent_status(member: &Member<'_>, ctx: &FileContext<'_, '_>) -> Option<Sent> {
    let mut route: Option<(&str, u16)> = None;
    let mut http_code = None;
    for &decorator in &member.decorators {
        match imported_as(decorator, ctx, COMMON) {
            Some("Redirect" | "Sse") => return None,
            Some("HttpCode") => http_code = Some(decorator),
            Some(name) => {
                if let Some(&(route_name, code)) = ROUTES.iter().find(|(n, _)| *n == name) {
                    match route {
                        Some((_, existing)) if existing != code => return None,
                        _ => route = Some((route_name, code)),
                    }
                }
            }
            None => {}
        }
    }
    let (route_name, default) = route?;
    // A handler that takes the response (or `next`) may set the status itself.
    for param in member.params() {
        let parts = param.parts();
        if parts.decorators.iter().any(|&d| {
            matches!(
                imported_as(d, ctx, COMMON),
                Some("Res" | "Response" | "Next")
            )
        }) {
            return None;
        }
    }
    match http_code {
        None => Some(Sent {
            code: default,
            because: format!("`@{route_name}()` without `@HttpCode()`"),
        }),
        Some(decorator) => {
            let argument = *DecoratorView::new(decorator).arguments().first()?;
            let code = status_value(unwrap_expression(argument), ctx)?;
            Some(Sent {
                code,
                because: format!("`{}`", text(decorator, ctx.source)),
            })
        }
    }
}

/// A status written as a number or an `HttpStatus` member.
fn status_value(node: Node<'_>, ctx: &FileContext<'_, '_>) -> Option<u16> {
    match node.kind_name() {
        "number" => text(node, ctx.source).parse().ok(),
        "member_expression" => {
            let object = node.field(Field::Object)?;
            let property = node.field(Field::Property)?;
            let enum_name = text(object, ctx.source);
            let is_http_status = ctx
                .imports
                .get(enum_name)
                .is_some_and(|b| b.is(COMMON, "HttpStatus"));
            if !is_http_status {
                return None;
            }
            let member = text(property, ctx.source);
            // The members not listed are the errors, 400 and above: which one does not matter.
            Some(
                STATUSES
                    .iter()
                    .find(|(name, _, _)| *name == member)
                    .map_or(400, |(_, _, code)| *code),
            )
        }
        _ => None,
    }
}

/// What the decorators document below 400.
fn documented<'t>(decorators: &[Node<'t>], ctx: &FileContext<'_, '_>) -> Documented<'t> {
    let mut out = Documented {
        statuses: Vec::new(),
        open: false,
    };
    for &decorator in decorators {
        let Some(callee) = DecoratorView::new(decorator).callee(ctx.source) else {
            continue;
        };
        let Some(binding) = ctx.imports.get(callee.name) else {
            continue;
        };
        if binding.source.as_str() != SWAGGER {
            // A decorator of the project or another package that may document responses.
            let lower = callee.name.to_ascii_lowercase();
            let documenting = callee.name.starts_with("Api")
                || ["response", "doc", "swagger", "openapi"]
                    .iter()
                    .any(|word| lower.contains(word));
            if documenting && !binding.source.starts_with("@nestjs/") {
                out.open = true;
            }
            continue;
        }
        let Some(name) = imported_as(decorator, ctx, SWAGGER) else {
            continue;
        };
        if name == "ApiDefaultResponse" {
            out.open = true;
            continue;
        }
        if name == "ApiResponse" {
            let status = DecoratorView::new(decorator)
                .arguments()
                .first()
                .map(|&a| unwrap_expression(a))
                .filter(|a| a.kind_name() == "object")
                .and_then(|object| object_key(object, "status", ctx.source));
            match status.map(|s| status_value(s, ctx)) {
                Some(Some(code)) if code < 400 => {
                    out.statuses.push((code, name.to_owned(), decorator))
                }
                // An error status: not a success response.
                Some(Some(_)) => {}
                _ => out.open = true,
            }
            continue;
        }
        let Some(stem) = name
            .strip_prefix("Api")
            .and_then(|rest| rest.strip_suffix("Response"))
        else {
            continue;
        };
        if let Some((_, _, code)) = STATUSES
            .iter()
            .find(|(_, s, _)| *s == stem && !s.is_empty())
        {
            out.statuses.push((*code, name.to_owned(), decorator));
        }
    }
    out
}

/// The name a decorator's callee has in the package `source` (`Controller` from
/// `@nestjs/common`).
fn imported_as<'c>(
    decorator: Node<'_>,
    ctx: &'c FileContext<'_, '_>,
    source: &str,
) -> Option<&'c str> {
    imported_name(decorator, ctx).and_then(|(from, name)| (from == source).then_some(name))
}

/// A value a handler returns that is certainly a body: an object, array, string, number or
/// template literal, outside nested functions.
fn body_returned<'t>(member: &Member<'t>) -> Option<Node<'t>> {
    let body = member.node.field(Field::Body)?;
    let mut stack = vec![body];
    let mut budget = 20_000usize;
    while let Some(node) = stack.pop() {
        budget = budget.checked_sub(1)?;
        let kind = node.kind_name();
        if kind == "return_statement" {
            if let Some(value) = named_children(node).next().map(unwrap_expression) {
                if matches!(
                    value.kind_name(),
                    "object" | "array" | "string" | "number" | "template_string"
                ) {
                    return Some(value);
                }
            }
            continue;
        }
        if is_function_scope(kind) && node.id() != body.id() {
            continue;
        }
        stack.extend(named_children(node));
    }
    None
}
