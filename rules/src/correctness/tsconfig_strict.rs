use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::{
    Category, DiagnosticExt, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta, Scope,
};

use crate::tsconfig::{compiled_applications, file_name};

pub struct TsconfigStrict;

static META: RuleMeta = RuleMeta {
    id: "tsconfig-strict",
    category: Category::Correctness,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "A Nest application is type-checked with `strict` (at least `strictNullChecks` and `noImplicitAny`)",
    docs: r#"## What it does
Reports the TypeScript configuration a Nest application is type-checked with (the nearest
`tsconfig.json` above the file calling `NestFactory.create`, or for a solution file the
configurations it references) when `strictNullChecks` or `noImplicitAny` is off: `strict` is not
enabled and they are not enabled one by one, or they are switched off after `strict`. The
finding is on the `false` that switches one off, else on `"strict": false`, else on
`compilerOptions`. `strictPropertyInitialization: false` is accepted: DTO and entity classes
declare properties that class-transformer and the ORM assign.

`nest new` writes `"strictNullChecks": false` and `"noImplicitAny": false`; this rule asks for
what the NestJS engineering standards ask for, strict mode.

## Why is this bad?
Without `strictNullChecks`, `findOne()` returning `User | null` type-checks as `User`, and the
`null` surfaces as "Cannot read properties of null" in production instead of a compile error.
Without `noImplicitAny`, an untyped parameter is `any` and every check downstream of it is off.
These two catch most of the bugs that strict mode exists for.

## Example
```json,file=tsconfig.json
{
  "compilerOptions": {
    "experimentalDecorators": true,
    "emitDecoratorMetadata": true,
    "strictNullChecks": false,
    "noImplicitAny": false
  }
}
```

```ts,expect_diagnostic
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  await app.listen(3000);
}
bootstrap();
```

Use instead:
```json,file=tsconfig.json
{
  "compilerOptions": {
    "experimentalDecorators": true,
    "emitDecoratorMetadata": true,
    "strict": true,
    "strictPropertyInitialization": false
  }
}
```

```ts
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  await app.listen(3000);
}
bootstrap();
```

## When it stays silent
- a configuration that extends a file it cannot read (a package that is not installed, such as
  `@tsconfig/strictest`): `strict` may be set there;
- configurations for tests or lint only, and libraries that no application's bootstrap folder is
  compiled with; applications whose bootstrap is not linted.

A finding in a configuration file takes no suppression comment: turn the rule off in
`nestlint.toml` while a project migrates to strict mode.

## References
- https://www.typescriptlang.org/tsconfig/#strict
- https://docs.nestjs.com/cli/overview
"#,
};

/// The checks this rule asks for; `strict` turns on both.
const CHECKS: &[&str] = &["strictNullChecks", "noImplicitAny"];

impl Rule for TsconfigStrict {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let mut reported: HashSet<(Arc<PathBuf>, TextRange)> = HashSet::new();
        for app in compiled_applications(index) {
            for config in app.governing.type_checking() {
                if config.unresolved_base {
                    continue;
                }
                let strict = config.option("strict");
                let strict_on = strict.is_some_and(|s| s.value);
                let off: Vec<&str> = CHECKS
                    .iter()
                    .copied()
                    .filter(|check| !config.option(check).map_or(strict_on, |s| s.value))
                    .collect();
                if off.is_empty() {
                    continue;
                }
                let switched_off = off
                    .iter()
                    .filter_map(|check| config.option(check))
                    .find(|s| !s.value);
                let (path, range) = match (switched_off, strict) {
                    (Some(setting), _) => (setting.file.clone(), setting.range),
                    (None, Some(setting)) if !setting.value => {
                        (setting.file.clone(), setting.range)
                    }
                    _ => (config.path.clone(), config.anchor),
                };
                if !reported.insert((path.clone(), range)) {
                    continue;
                }
                let listed = off
                    .iter()
                    .map(|check| format!("`{check}`"))
                    .collect::<Vec<_>>()
                    .join(" and ");
                let verb = if off.len() == 1 { "is" } else { "are" };
                let message = if strict_on {
                    format!(
                        "`{}` switches {listed} off although `strict` is on",
                        file_name(&config.path)
                    )
                } else {
                    format!(
                        "`{}` type-checks this Nest application without `strict`: {listed} {verb} off",
                        file_name(&config.path)
                    )
                };
                let bootstrap = index.file(app.file).path.clone();
                ctx.report_in_config(path, range, message)
                    .note("without them `null` passes for a value and untyped parameters are `any`, unchecked")
                    .help("set `\"strict\": true` (keep `\"strictPropertyInitialization\": false` for DTOs and entities if needed), and remove the `false` overrides")
                    .label(bootstrap, app.range, "the application it type-checks");
            }
        }
    }
}
