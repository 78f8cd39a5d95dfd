use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{unwrap_expression, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_arguments, call_callee, enclosing_method, is_nest_class};

pub struct NoSwallowedErrors;

static META: RuleMeta = RuleMeta {
    id: "no-swallowed-errors",
    category: Category::Correctness,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "Errors are handled, logged or rethrown, not silently dropped",
    docs: r#"## What it does
Reports, in the methods of controllers, providers, resolvers, gateways, filters and processors,
a `catch` block with nothing in it (no statement, no comment), and a promise's
`.catch(() => {})` whose callback does nothing (an empty body, `undefined` or `null`).

## Why is this bad?
The error disappears: no log, no metric, no response status tells anyone that the write failed
or the mail was not sent. The code after it goes on as if it had worked, and the failure
surfaces later as missing data nobody can trace.

## Example
```ts,expect_diagnostic
import { Injectable } from '@nestjs/common';

@Injectable()
export class MailService {
  constructor(private readonly transport: { send(to: string): Promise<void> }) {}

  async welcome(to: string) {
    try {
      await this.transport.send(to);
    } catch {}
  }
}
```

Use instead:
```ts
import { Injectable, Logger } from '@nestjs/common';

@Injectable()
export class MailService {
  private readonly logger = new Logger(MailService.name);

  constructor(private readonly transport: { send(to: string): Promise<void> }) {}

  async welcome(to: string) {
    try {
      await this.transport.send(to);
    } catch (error) {
      this.logger.warn(`welcome mail to ${to} failed: ${error}`);
    }
  }
}
```

## When it stays silent
- a block or callback with a comment saying why the error does not matter
  (`catch { /* the file may already be gone */ }`);
- code outside decorated classes (`main.ts`, helpers, front-end code sharing the package); test
  files.

## References
- https://eslint.org/docs/latest/rules/no-empty
- https://docs.nestjs.com/techniques/logger
"#,
};

impl Rule for NoSwallowedErrors {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["catch_clause", "call_expression"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if node.kind_name() == "catch_clause" {
            let Some(body) = node.field(Field::Body) else {
                return;
            };
            if is_empty_block(body) && in_nest_class(node, ctx) {
                ctx.report(range_of(node), "an empty `catch` drops the error without a trace")
                    .note("nothing logs it and the code after it goes on as if it had worked")
                    .help("log it, rethrow it as an `HttpException` or a domain error, or say in a comment why it does not matter");
            }
            return;
        }
        if ctx.call_name(node) != Some("catch") {
            return;
        }
        let Some(callee) = call_callee(node, ctx.source) else {
            return;
        };
        if callee.name != "catch" || callee.object.is_none() {
            return;
        }
        let arguments = call_arguments(node);
        let [callback] = arguments.as_slice() else {
            return;
        };
        let callback = unwrap_expression(*callback);
        if !matches!(
            callback.kind_name(),
            "arrow_function" | "function_expression" | "function"
        ) {
            return;
        }
        let Some(body) = callback.field(Field::Body) else {
            return;
        };
        let does_nothing = match body.kind_name() {
            "statement_block" => is_empty_block(body),
            "undefined" | "null" => true,
            "identifier" => body.utf8_text(ctx.source.as_bytes()) == Ok("undefined"),
            _ => false,
        };
        if does_nothing && in_nest_class(node, ctx) {
            // From `catch` on: the receiver may span many lines.
            let start = node
                .field(Field::Function)
                .and_then(|f| f.field(Field::Property))
                .map_or(node.start_byte(), |p| p.start_byte());
            ctx.report(
                nestlint_diagnostics::TextRange::new(start, node.end_byte()),
                "`.catch()` with a callback that does nothing drops the error without a trace",
            )
            .note("nothing logs the rejection and the caller never learns of it")
            .help("log it in the callback, or say in a comment why it does not matter");
        }
    }
}

/// A block with no statement and no comment.
fn is_empty_block(block: Node<'_>) -> bool {
    !nestlint_engine::syntax::children(block).any(|c| c.is_named())
}

/// Whether the node is in a method of a class Nest instantiates: the code that serves.
fn in_nest_class<'t>(node: Node<'t>, ctx: &FileContext<'_, 't>) -> bool {
    enclosing_method(node).is_some_and(|(_, class)| {
        is_nest_class(
            ctx,
            &class,
            &[
                "Injectable",
                "Controller",
                "Resolver",
                "WebSocketGateway",
                "Catch",
                "Processor",
            ],
        )
    })
}
