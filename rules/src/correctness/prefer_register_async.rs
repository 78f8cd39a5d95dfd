use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{text, unwrap_expression, visit_bounded, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_arguments, call_callee};

pub struct PreferRegisterAsync;

static META: RuleMeta = RuleMeta {
    id: "prefer-register-async",
    category: Category::Correctness,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "Modules configured from the environment use `forRootAsync`/`registerAsync` with `ConfigService`",
    docs: r#"## What it does
Reports `forRoot(...)`/`register(...)` of `JwtModule`, `TypeOrmModule`, `MongooseModule`,
`BullModule`, `CacheModule`, `ThrottlerModule`, `HttpModule`, `ClientsModule`, `RedisModule` and
`MailerModule` whose options, written in place, read `process.env`.

## Why is this bad?
The options are read when the file that holds the decorator is imported, before
`ConfigModule.forRoot()` has loaded `.env` if that file is imported first: the value is
`undefined` in one entry point and set in another. `forRootAsync({ inject: [ConfigService],
useFactory })` reads it when the module is built, from validated configuration.

## Example
```ts,expect_diagnostic
import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';

@Module({
  imports: [JwtModule.register({ secret: process.env.JWT_SECRET })],
})
export class AuthModule {}
```

Use instead:
```ts
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';

@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({ secret: config.getOrThrow('JWT_SECRET') }),
    }),
  ],
})
export class AuthModule {}
```

## When it stays silent
- options that are not written in place, options that read no environment variable; test
  files.

Off by default: an application that loads `.env` before anything else (`import 'dotenv/config'`
in `main.ts`) reads the same values either way.

## References
- https://docs.nestjs.com/techniques/configuration#async-configuration
"#,
};

const MODULES: &[&str] = &[
    "JwtModule",
    "TypeOrmModule",
    "MongooseModule",
    "BullModule",
    "CacheModule",
    "ThrottlerModule",
    "HttpModule",
    "ClientsModule",
    "RedisModule",
    "MailerModule",
];

impl Rule for PreferRegisterAsync {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["call_expression"]
    }

    fn check_node<'t>(&self, call: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if !matches!(ctx.call_name(call), Some("forRoot" | "register")) {
            return;
        }
        let Some(callee) = call_callee(call, ctx.source) else {
            return;
        };
        if !matches!(callee.name, "forRoot" | "register") {
            return;
        }
        let Some(module) = callee.object.filter(|o| MODULES.contains(o)) else {
            return;
        };
        if ctx.imports.get(module).is_none() {
            return;
        }
        let arguments = call_arguments(call);
        let Some(options) = arguments.first().map(|a| unwrap_expression(*a)) else {
            return;
        };
        if !matches!(options.kind_name(), "object" | "array") {
            return;
        }
        let mut reads_env = false;
        visit_bounded(options, 2_000, |node| {
            if node.kind_name() == "member_expression"
                && node
                    .field(Field::Object)
                    .is_some_and(|o| text(o, ctx.source) == "process")
                && node
                    .field(Field::Property)
                    .is_some_and(|p| text(p, ctx.source) == "env")
            {
                reads_env = true;
            }
            !reads_env
        });
        if !reads_env {
            return;
        }
        let name = callee.name;
        ctx.report(
            range_of(call),
            format!("`{module}.{name}()` reads `process.env` when its file is imported"),
        )
        .note("before `ConfigModule` has loaded `.env` if this file is imported first: the value may be `undefined`")
        .help(format!(
            "use `{module}.{name}Async({{ inject: [ConfigService], useFactory: (config) => ({{ ... }}) }})`"
        ));
    }
}
