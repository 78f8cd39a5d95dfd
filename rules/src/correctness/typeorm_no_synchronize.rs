use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{unwrap_expression, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{gated_on_environment, is_true, object_value, pair_key_among};

pub struct TypeormNoSynchronize;

static META: RuleMeta = RuleMeta {
    id: "typeorm-no-synchronize",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "TypeORM options do not set `synchronize: true` or `dropSchema: true` unconditionally",
    docs: r#"## What it does
In a file that imports `typeorm` or `@nestjs/typeorm`, reports `synchronize: true` and
`dropSchema: true` written as such in TypeORM connection options (an object with `type`,
`entities`, `autoLoadEntities`, `database`, `url` or `host`).

## Why is this bad?
`synchronize` makes TypeORM alter the schema to match the entities at every start: a renamed
property drops its column, and the data in it, in whatever database the application connects
to. `dropSchema` drops every table at start. Both are for throw-away databases; in production the
schema changes through migrations that can be reviewed and rolled back.

## Example
```ts,expect_diagnostic
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: process.env.DATABASE_URL,
      autoLoadEntities: true,
      synchronize: true,
    }),
  ],
})
export class AppModule {}
```

Use instead:
```ts
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: process.env.DATABASE_URL,
      autoLoadEntities: true,
      synchronize: process.env.NODE_ENV === 'development',
      migrationsRun: true,
    }),
  ],
})
export class AppModule {}
```

## When it stays silent
- values decided at run time (`synchronize: process.env.DB_SYNC === 'true'`), options in a
  branch for one kind of environment (`if (isDevelopment)`, a condition on `NODE_ENV`), options in
  test files and in files named for development or tests (`*.dev.ts`, `*.local.ts`, `*.test.ts`).

## References
- https://docs.nestjs.com/techniques/database
- https://typeorm.io/data-source-options#common-data-source-options
"#,
};

const CONNECTION_KEYS: &[&str] = &[
    "type",
    "entities",
    "autoLoadEntities",
    "database",
    "url",
    "host",
];

impl Rule for TypeormNoSynchronize {
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
        let Some(key) = pair_key_among(pair, ctx, &["synchronize", "dropSchema"]) else {
            return;
        };
        if !pair
            .field(Field::Value)
            .map(unwrap_expression)
            .is_some_and(is_true)
        {
            return;
        }
        if !ctx
            .imports
            .iter()
            .any(|b| matches!(b.source.as_str(), "typeorm" | "@nestjs/typeorm"))
        {
            return;
        }
        let Some(object) = pair.parent() else {
            return;
        };
        if !CONNECTION_KEYS
            .iter()
            .any(|k| object_value(object, k, ctx.source).0.is_some())
        {
            return;
        }
        if is_development_file(ctx) || gated_on_environment(pair, ctx.source) {
            return;
        }
        let message = if key == "synchronize" {
            "`synchronize: true` alters the schema to match the entities at every start"
        } else {
            "`dropSchema: true` drops every table at every start"
        };
        ctx.report(range_of(pair), message)
            .note("in whatever database the application connects to, production included: columns and their data go")
            .help("change the schema with migrations (`migrationsRun: true`), or enable it only where the database is throw-away (`synchronize: process.env.NODE_ENV === 'development'`)");
    }
}

fn is_development_file(ctx: &FileContext<'_, '_>) -> bool {
    let name = ctx
        .path()
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.split('.').any(|part| {
        matches!(
            part,
            "dev" | "development" | "local" | "test" | "testing" | "e2e"
        )
    })
}
