use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{text, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{enclosing_method, is_global, is_nest_class};

pub struct NoProcessEnvOutsideConfig;

static META: RuleMeta = RuleMeta {
    id: "no-process-env-outside-config",
    category: Category::Style,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary:
        "Providers and controllers read configuration through `ConfigService`, not `process.env`",
    docs: r#"## What it does
Reports `process.env` read in a method (constructor included) of a controller, provider,
resolver or gateway, in files that are not configuration (`*.config.ts`, `config/`,
`configuration.ts`, `env.ts`).

## Why is this bad?
A variable read in place escapes the configuration's validation and defaults, is read before
`ConfigModule` has loaded `.env` when the class is built early, and cannot be replaced in a test
without touching the process. `ConfigService` (or a typed `registerAs` namespace) gives one
validated place for every variable.

## Example
```ts,expect_diagnostic
import { Injectable } from '@nestjs/common';

@Injectable()
export class MailService {
  private sender() {
    return process.env.MAIL_FROM;
  }
}
```

Use instead:
```ts
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

@Injectable()
export class MailService {
  constructor(private readonly config: ConfigService) {}

  private sender() {
    return this.config.getOrThrow<string>('MAIL_FROM');
  }
}
```

## When it stays silent
- configuration files, code outside decorated classes, test files.

Off by default: a choice of architecture.

## References
- https://docs.nestjs.com/techniques/configuration
"#,
};

impl Rule for NoProcessEnvOutsideConfig {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["member_expression"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let (Some(object), Some(property)) =
            (node.field(Field::Object), node.field(Field::Property))
        else {
            return;
        };
        if object.kind_name() != "identifier"
            || text(object, ctx.source) != "process"
            || text(property, ctx.source) != "env"
        {
            return;
        }
        if is_config_file(ctx) || !is_global(ctx, "process") {
            return;
        }
        let Some((_, class)) = enclosing_method(node) else {
            return;
        };
        if !is_nest_class(
            ctx,
            &class,
            &["Controller", "Injectable", "Resolver", "WebSocketGateway"],
        ) {
            return;
        }
        ctx.report(
            range_of(node),
            "`process.env` read outside the configuration",
        )
        .note("the value escapes validation and defaults, and tests cannot replace it")
        .help("inject `ConfigService` and read it with `getOrThrow`, or a `registerAs` namespace");
    }
}

fn is_config_file(ctx: &FileContext<'_, '_>) -> bool {
    let path = ctx
        .path()
        .to_string_lossy()
        .replace('\\', "/")
        .to_ascii_lowercase();
    let name = path.rsplit('/').next().unwrap_or("");
    path.split('/')
        .any(|part| part == "config" || part == "configs" || part == "configuration")
        || name.contains("config")
        || name.starts_with("env.")
        || name.contains(".env.")
}
