use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::nest::{NEST_COMMON, ROUTE_DECORATORS};
use nestlint_engine::syntax::nest::{ClassView, MemberKind};
use nestlint_engine::syntax::{
    is_function_scope, named_children, text, unwrap_expression, visit_bounded, Field, Node, NodeExt,
};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_arguments, call_callee, is_nest_class, object_value};
use crate::decorators::is_imported;

pub struct NoOpenRedirect;

static META: RuleMeta = RuleMeta {
    id: "no-open-redirect",
    category: Category::Security,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "A redirect's target is not taken as is from the request",
    docs: r#"## What it does
Reports a route handler that redirects to a value of the request unchecked: a parameter
decorated `@Query()`, `@Param()`, `@Body()` or `@Headers()` (or a property of one), given as is
(or as the start of a template) to `redirect(...)` of the handler's `@Res()` response, or
returned as the `url` of a `@Redirect()` handler.

## Why is this bad?
`https://your.app/login?next=https://evil.example` sends the user, after a real sign-in on the
real site, to a page that looks like it and asks for the password again (phishing), or carries
an OAuth code to the attacker. The link looks trustworthy because it starts with your domain.

## Example
```ts,expect_diagnostic
import { Controller, Get, Query, Redirect } from '@nestjs/common';

@Controller('auth')
export class AuthController {
  @Get('done')
  @Redirect()
  done(@Query('next') next: string) {
    return { url: next };
  }
}
```

Use instead:
```ts
import { Controller, Get, Query, Redirect } from '@nestjs/common';

const AFTER_LOGIN = new Set(['/dashboard', '/settings']);

@Controller('auth')
export class AuthController {
  @Get('done')
  @Redirect()
  done(@Query('next') next: string) {
    return { url: AFTER_LOGIN.has(next) ? next : '/dashboard' };
  }
}
```

## When it stays silent
- a target behind a check in the handler (an `if` or a conditional that mentions the value), or
  with a fixed origin before it (`` `https://app.example.com/${path}` ``);
- values that do not come from the request's decorators; test files.

## References
- https://cheatsheetseries.owasp.org/cheatsheets/Unvalidated_Redirects_and_Forwards_Cheat_Sheet.html
- https://docs.nestjs.com/controllers#redirection
"#,
};

const REQUEST_DECORATORS: &[&str] = &["Query", "Param", "Body", "Headers"];

/// How many nodes of a handler's body are read.
const BODY_LIMIT: usize = 20_000;

impl Rule for NoOpenRedirect {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["class_declaration", "abstract_class_declaration"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let Some(class) = ClassView::new(node) else {
            return;
        };
        if !is_nest_class(ctx, &class, &["Controller"]) {
            return;
        }
        for member in class.members() {
            if member.kind != MemberKind::Method {
                continue;
            }
            let is_route = member
                .decorators
                .iter()
                .any(|&d| is_imported(d, ctx, NEST_COMMON, ROUTE_DECORATORS));
            if !is_route {
                continue;
            }
            let redirect_decorator = member
                .decorators
                .iter()
                .any(|&d| is_imported(d, ctx, NEST_COMMON, &["Redirect"]));
            let inputs: Vec<String> = member
                .params()
                .iter()
                .filter(|p| {
                    p.parts()
                        .decorators
                        .iter()
                        .any(|&d| is_imported(d, ctx, NEST_COMMON, REQUEST_DECORATORS))
                })
                .map(|p| p.name(ctx.source).to_owned())
                .filter(|name| !name.is_empty() && !name.starts_with('{'))
                .collect();
            // `res.redirect(...)` needs the response: a `@Res()`/`@Response()`/`@Next()`-style
            // parameter; without it and without `@Redirect()` there is nothing to read.
            let responses: Vec<String> = member
                .params()
                .iter()
                .filter(|p| {
                    p.parts()
                        .decorators
                        .iter()
                        .any(|&d| is_imported(d, ctx, NEST_COMMON, &["Res", "Response"]))
                })
                .map(|p| p.name(ctx.source).to_owned())
                .collect();
            if inputs.is_empty() || (!redirect_decorator && responses.is_empty()) {
                continue;
            }
            let Some(body) = member.node.field(Field::Body) else {
                continue;
            };
            let mut targets = Vec::new();
            let mut checked = Vec::new();
            visit_bounded(body, BODY_LIMIT, |inner| {
                match inner.kind_name() {
                    "call_expression" => {
                        let redirects = ctx.call_name(inner) == Some("redirect")
                            && call_callee(inner, ctx.source).is_some_and(|c| {
                                c.object.is_some_and(|o| responses.iter().any(|r| r == o))
                            });
                        if redirects {
                            // `res.redirect(url)` or `res.redirect(302, url)`.
                            if let Some(&target) = call_arguments(inner).last() {
                                targets.push(target);
                            }
                        }
                    }
                    "return_statement" if redirect_decorator => {
                        if let Some(object) = named_children(inner).next().map(unwrap_expression) {
                            if object.kind_name() == "object" {
                                if let (Some(url), _) = object_value(object, "url", ctx.source) {
                                    targets.push(url);
                                }
                            }
                        }
                    }
                    "if_statement" | "ternary_expression" | "switch_statement" => {
                        if let Some(condition) = inner
                            .field(Field::Condition)
                            .or_else(|| inner.field(Field::Value))
                        {
                            checked.push(text(condition, ctx.source));
                        }
                    }
                    _ => {}
                }
                inner.id() == body.id() || !is_function_scope(inner.kind_name())
            });
            for target in targets {
                let Some(input) = taken_from(target, &inputs, ctx.source) else {
                    continue;
                };
                if checked.iter().any(|c| mentions(c, input)) {
                    continue;
                }
                let shown = nestlint_engine::syntax::one_line(text(target, ctx.source));
                ctx.report(
                    range_of(target),
                    format!("the redirect's target `{shown}` is taken as is from the request (`{input}`)"),
                )
                .note("a link to this route can send users to any site, under your domain's name")
                .help("redirect only to paths or hosts you list (a set of allowed targets, or a relative path checked to start with a single `/`)");
            }
        }
    }
}

/// The request input a target is, or starts with: `next`, `query.next`, `` `${next}/x` ``.
fn taken_from<'a>(target: Node<'_>, inputs: &'a [String], source: &str) -> Option<&'a str> {
    let target = unwrap_expression(target);
    let root = match target.kind_name() {
        "template_string" => {
            // Only a template that starts with the value: a fixed origin before it pins the host.
            let first = named_children(target).next()?;
            let start = target.start_byte() + 1;
            if first.kind_name() != "template_substitution" || first.start_byte() != start {
                return None;
            }
            unwrap_expression(named_children(first).next()?)
        }
        _ => target,
    };
    let mut root = root;
    while root.kind_name() == "member_expression" {
        root = root.field(Field::Object)?;
    }
    if root.kind_name() != "identifier" {
        return None;
    }
    let name = text(root, source);
    inputs
        .iter()
        .find(|i| i.as_str() == name)
        .map(String::as_str)
}

fn mentions(code: &str, name: &str) -> bool {
    code.match_indices(name).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + name.len()..].chars().next();
        let boundary =
            |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '$'));
        boundary(before) && boundary(after)
    })
}
