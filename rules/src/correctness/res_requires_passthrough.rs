use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::syntax::nest::{ClassView, DecoratorView, MemberKind};
use nestlint_engine::syntax::{
    is_function_scope, named_children, text, unwrap_expression, Field, Node, NodeExt,
};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

pub struct ResRequiresPassthrough;

static META: RuleMeta = RuleMeta {
    id: "res-requires-passthrough",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary:
        "A handler that injects `@Res()` sends its response itself, or sets `passthrough: true`",
    docs: r#"## What it does
Reports a `return` of a value in a route handler that injects the platform's response with
`@Res()` (or `@Response()`) without `{ passthrough: true }`, when nothing in the handler sends a
response: `res` is only used to set cookies, headers or the status (`res.cookie(...)`,
`res.setHeader(...)`, `res.status(201)`, as statements of their own), or not at all.

## Why is this bad?
With `@Res()`, Nest leaves the response to the handler: what it returns is not sent. A handler
that sets a cookie or a header on `res` and returns the body, as the standard mode would send it,
never answers, and the request hangs until the client gives up. `@Res({ passthrough: true })`
lets the handler use `res` and still have Nest send what it returns.

## Example
```ts,expect_diagnostic
import { Controller, Post, Res } from '@nestjs/common';
import { Response } from 'express';

@Controller('auth')
export class AuthController {
  @Post('login')
  login(@Res() res: Response) {
    res.cookie('session', 'token', { httpOnly: true });
    return { ok: true };
  }
}
```

Use instead:
```ts
import { Controller, Post, Res } from '@nestjs/common';
import { Response } from 'express';

@Controller('auth')
export class AuthController {
  @Post('login')
  login(@Res({ passthrough: true }) res: Response) {
    res.cookie('session', 'token', { httpOnly: true });
    return { ok: true };
  }
}
```

## When it stays silent
- the handler calls anything else on `res` (anywhere in it: `res.json(...)`, `res.end()`, a
  plugin's `res.oidc.login()`), returns something built from `res`, or hands `res` to another
  function (which may send);
- `@Res(...)` with options it cannot read as `passthrough` being off;
- a `Res` decorator that is not `@nestjs/common`'s, a method without a route decorator, a
  destructured parameter, and `return` inside a nested function.

## References
- https://docs.nestjs.com/controllers#library-specific-approach
"#,
};

/// Route decorators of `@nestjs/common`.
const ROUTES: &[&str] = &[
    "Get", "Post", "Put", "Patch", "Delete", "Options", "Head", "All", "Search",
];

/// Methods of Express's and Fastify's responses that set something on it and send nothing. Any
/// other (`send`, `json`, `end`, `redirect`, a plugin's `res.oidc.login()`) may send it.
const SETS_ONLY: &[&str] = &[
    "cookie",
    "clearCookie",
    "header",
    "setHeader",
    "set",
    "status",
    "type",
    "contentType",
    "append",
    "vary",
    "location",
    "links",
    "removeHeader",
    "getHeader",
    "hasHeader",
    "get",
    "code",
    "headers",
];

impl Rule for ResRequiresPassthrough {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["class_declaration", "abstract_class_declaration", "class"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let Some(class) = ClassView::new(node) else {
            return;
        };
        for member in class.members() {
            if member.kind != MemberKind::Method || member.is_static {
                continue;
            }
            let from_common = |decorator: Node<'_>, names: &[&str]| {
                DecoratorView::new(decorator)
                    .callee(ctx.source)
                    .filter(|callee| callee.object.is_none())
                    .and_then(|callee| ctx.imports.get(callee.name))
                    .is_some_and(|binding| names.iter().any(|n| binding.is("@nestjs/common", n)))
            };
            if !member.decorators.iter().any(|&d| from_common(d, ROUTES)) {
                continue;
            }
            for param in member.params() {
                let parts = param.parts();
                let Some(res) = parts
                    .decorators
                    .iter()
                    .copied()
                    .find(|&d| from_common(d, &["Res", "Response"]))
                else {
                    continue;
                };
                if !DecoratorView::new(res).arguments().is_empty() {
                    // Options: `passthrough` set, or something the rule cannot read.
                    continue;
                }
                let Some(pattern) = param.pattern().filter(|p| p.kind_name() == "identifier")
                else {
                    continue;
                };
                let name = text(pattern, ctx.source);
                let spelled = DecoratorView::new(res)
                    .callee(ctx.source)
                    .map_or("Res", |callee| callee.name);
                let Some(body) = member.node.field(Field::Body) else {
                    continue;
                };
                let uses = uses_of(body, name, ctx.source);
                if uses.sends_or_escapes {
                    continue;
                }
                for returned in uses.returned_values {
                    ctx.report(
                        TextRange::new(returned.start_byte(), returned.end_byte()),
                        format!("this value is never sent: `@{spelled}() {name}` puts the handler in charge of the response, and nothing sends one"),
                    )
                    .note(format!("Nest does not send what a handler returns once it injects the response with `@{spelled}()`: the request hangs"))
                    .help(format!("write `@{spelled}({{ passthrough: true }}) {name}` to have Nest send it, or send it with `{name}.json(...)`"));
                }
            }
        }
    }
}

struct Uses<'t> {
    /// A response is sent through it, or it goes where the rule cannot follow.
    sends_or_escapes: bool,
    /// The values returned (outside nested functions) that do not mention it.
    returned_values: Vec<Node<'t>>,
}

/// How a method body uses the response parameter `name`, without entering nested functions
/// (their `return`s are theirs; a use of `name` in them still counts, conservatively).
fn uses_of<'t>(body: Node<'t>, name: &str, source: &str) -> Uses<'t> {
    let mut uses = Uses {
        sends_or_escapes: false,
        returned_values: Vec::new(),
    };
    // (node, inside a nested function)
    let mut stack: Vec<(Node<'t>, bool)> = vec![(body, false)];
    while let Some((node, nested)) = stack.pop() {
        let kind = node.kind_name();
        if kind == "identifier" && text(node, source) == name && !only_sets_something(node, source)
        {
            uses.sends_or_escapes = true;
        }
        // `{ res }` hands it on.
        if kind == "shorthand_property_identifier" && text(node, source) == name {
            uses.sends_or_escapes = true;
        }
        if kind == "return_statement" && !nested {
            if let Some(value) = named_children(node).next().map(unwrap_expression) {
                let empty = value.kind_name() == "undefined"
                    || (value.kind_name() == "identifier" && text(value, source) == "undefined")
                    || value.kind_name() == "unary_expression"
                        && text(value, source).starts_with("void");
                if !empty && !mentions(value, name, source) {
                    uses.returned_values.push(value);
                }
            }
        }
        let nested = nested || is_function_scope(kind) && node.id() != body.id();
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            stack.push((child, nested));
        }
    }
    uses
}

/// Whether `identifier` (the response) is used only to set something on it: `res.cookie(...)`,
/// `res.status(201)`, as statements of their own. `false` when a chain from it calls anything
/// else ([`SETS_ONLY`]: it may send) or the response is used any other way (an argument,
/// assigned, returned): then it may be sent.
fn only_sets_something(identifier: Node<'_>, source: &str) -> bool {
    let mut current = identifier;
    let mut in_chain = false;
    loop {
        let Some(parent) = current.parent() else {
            return in_chain;
        };
        match parent.kind_name() {
            "member_expression"
                if parent
                    .field(Field::Object)
                    .is_some_and(|o| o.id() == current.id()) =>
            {
                let property = parent
                    .field(Field::Property)
                    .map(|p| text(p, source))
                    .unwrap_or_default();
                if !SETS_ONLY.contains(&property) {
                    return false;
                }
                in_chain = true;
                current = parent;
            }
            "call_expression"
                if parent
                    .field(Field::Function)
                    .is_some_and(|f| f.id() == current.id()) =>
            {
                current = parent;
            }
            "parenthesized_expression" | "non_null_expression" | "await_expression" => {
                current = parent;
            }
            // A statement of its own; used as a value anywhere else, it may carry the response on
            // (assigned, passed, returned).
            "expression_statement" => return in_chain,
            _ => return false,
        }
    }
}

/// Whether `name` appears as an identifier anywhere in `node`.
fn mentions(node: Node<'_>, name: &str, source: &str) -> bool {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        if node.kind_name() == "identifier" && text(node, source) == name {
            return true;
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    false
}
