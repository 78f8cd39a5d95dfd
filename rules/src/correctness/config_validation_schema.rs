use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{unwrap_expression, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_arguments, call_callee, object_value};

pub struct ConfigValidationSchema;

static META: RuleMeta = RuleMeta {
    id: "config-validation-schema",
    category: Category::Correctness,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "`ConfigModule.forRoot()` validates the environment at start-up",
    docs: r#"## What it does
Reports `ConfigModule.forRoot(...)` (from `@nestjs/config`) whose options are written in place
and have neither `validationSchema` (Joi) nor `validate` (a function, e.g. class-validator or
zod), nor `load` factories (which may validate what they read).

## Why is this bad?
Without validation a missing or misspelt variable is `undefined` until the code that reads it
runs: the application starts, passes its health check, and fails on the first request that needs
the database URL or the API key, or works with a default nobody meant for production. Validated,
it refuses to start and says which variable is wrong.

## Example
```ts,expect_diagnostic
import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';

@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true })],
})
export class AppModule {}
```

Use instead:
```ts
import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import * as Joi from 'joi';

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      validationSchema: Joi.object({
        DATABASE_URL: Joi.string().uri().required(),
        PORT: Joi.number().default(3000),
      }),
    }),
  ],
})
export class AppModule {}
```

## When it stays silent
- options that are not written in place (a variable, a spread that may add the schema), options
  with `load`; test files.

Off by default: an application may validate its environment elsewhere (a configuration service
built on `envalid` or zod), which this rule cannot see. On the real apps of `docs/precision.md`,
ghostfolio does exactly that.

## References
- https://docs.nestjs.com/techniques/configuration#schema-validation
- https://docs.nestjs.com/techniques/configuration#custom-validate-function
"#,
};

impl Rule for ConfigValidationSchema {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["call_expression"]
    }

    fn check_node<'t>(&self, call: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if ctx.call_name(call) != Some("forRoot") {
            return;
        }
        let Some(callee) = call_callee(call, ctx.source) else {
            return;
        };
        if callee.name != "forRoot" {
            return;
        }
        let Some(object) = callee.object else {
            return;
        };
        if !ctx
            .imports
            .get(object)
            .is_some_and(|b| b.is("@nestjs/config", "ConfigModule"))
        {
            return;
        }
        let arguments = call_arguments(call);
        if let Some(&options) = arguments.first() {
            let options = unwrap_expression(options);
            if options.kind_name() != "object" {
                return;
            }
            let (schema, spread) = object_value(options, "validationSchema", ctx.source);
            let (validate, _) = object_value(options, "validate", ctx.source);
            // `load` factories may validate what they read (`registerAs` with class-validator).
            let (load, _) = object_value(options, "load", ctx.source);
            if spread || schema.is_some() || validate.is_some() || load.is_some() {
                return;
            }
        }
        ctx.report(
            range_of(call),
            "`ConfigModule.forRoot()` has no `validationSchema` or `validate`: the environment is not checked at start-up",
        )
        .note("a missing or misspelt variable is `undefined` until the code that reads it runs")
        .help("add `validationSchema: Joi.object({...})` or a `validate(config)` function that throws on bad values");
    }
}
