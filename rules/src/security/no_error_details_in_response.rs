use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{text, unwrap_expression, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_callee, pair_key_among};

pub struct NoErrorDetailsInResponse;

static META: RuleMeta = RuleMeta {
    id: "no-error-details-in-response",
    category: Category::Security,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "Responses do not carry an error's stack trace",
    docs: r#"## What it does
Reports an error's stack (`stack: exception.stack`, `stack: err.stack`) put in an object sent to
the client: given to `.json(...)` or `.send(...)` of a response, or to an `HttpException`'s
constructor.

## Why is this bad?
A stack trace tells an attacker the framework, the libraries and their versions, the file layout
and the code path a request took: a map for the next request. Clients cannot act on it; it
belongs in the server's logs.

## Example
```ts,expect_diagnostic
import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { Response } from 'express';

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: Error, host: ArgumentsHost) {
    const response = host.switchToHttp().getResponse<Response>();
    response.status(500).json({ message: exception.message, stack: exception.stack });
  }
}
```

Use instead:
```ts
import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { Response } from 'express';

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: Error, host: ArgumentsHost) {
    this.logger.error(exception.message, exception.stack);
    const response = host.switchToHttp().getResponse<Response>();
    response.status(500).json({ message: 'Internal server error' });
  }
}
```

## When it stays silent
- a stack given only in development (`stack: isDev ? err.stack : undefined`: the value is not the
  stack itself), stacks sent to loggers; test files.

## References
- https://cwe.mitre.org/data/definitions/209.html
- https://docs.nestjs.com/exception-filters
"#,
};

impl Rule for NoErrorDetailsInResponse {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["pair"]
    }

    fn check_node<'t>(&self, pair: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if pair_key_among(pair, ctx, &["stack", "stackTrace", "trace"]).is_none() {
            return;
        }
        let Some(value) = pair.field(Field::Value).map(unwrap_expression) else {
            return;
        };
        let is_stack = value.kind_name() == "member_expression"
            && value
                .field(Field::Property)
                .is_some_and(|p| text(p, ctx.source) == "stack");
        if !is_stack {
            return;
        }
        // pair -> object -> arguments -> call
        let Some(call) = pair
            .parent()
            .and_then(|object| object.parent())
            .filter(|arguments| arguments.kind_name() == "arguments")
            .and_then(|arguments| arguments.parent())
        else {
            return;
        };
        let sent = match call.kind_name() {
            "call_expression" => call_callee(call, ctx.source)
                .is_some_and(|c| c.object.is_some() && matches!(c.name, "json" | "send")),
            "new_expression" => call
                .field(Field::Constructor)
                .is_some_and(|c| text(c, ctx.source).ends_with("Exception")),
            _ => false,
        };
        if !sent {
            return;
        }
        ctx.report(
            range_of(pair),
            "an error's stack trace is sent to the client",
        )
        .note("it maps the server's libraries, files and code paths for whoever reads the response")
        .help("log the stack on the server and send a message and an error id instead");
    }
}
