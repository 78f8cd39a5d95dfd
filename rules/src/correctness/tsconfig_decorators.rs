use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::{
    Category, DiagnosticExt, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta, Scope,
};

use crate::tsconfig::{compiled_applications, file_name};

pub struct TsconfigDecorators;

static META: RuleMeta = RuleMeta {
    id: "tsconfig-decorators",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "The TypeScript configuration that compiles a Nest application enables `experimentalDecorators` and `emitDecoratorMetadata`",
    docs: r#"## What it does
Reports a TypeScript configuration that compiles a Nest application (the file calling
`NestFactory.create`, `createMicroservice` or `createApplicationContext`) and leaves
`experimentalDecorators` or `emitDecoratorMetadata` off, whether it says `false` or says nothing
(both default to off). The finding is in the configuration file: on the `false`, or on
`compilerOptions` when the option is missing from the file and everything it extends.

The configurations read are the ones that compile the bootstrap's folder: the nearest
`tsconfig.json` above it (what editors, `tsc` and ts-jest use; for a solution file with
`"files": []`, the configurations it references), and the build configurations on the way up
(`tsconfig.build.json`, which `nest build` uses when it exists, `tsconfig.app.json`, a Nest
monorepo's or an Nx application's, and whatever `nest-cli.json` names in
`compilerOptions.tsConfigPath`, for the project or for a monorepo project rooted there). Each is
read through its `extends` chain, relative paths and
packages installed in `node_modules`.

## Why is this bad?
Nest's dependency injection reads the types of constructor parameters from the
`design:paramtypes` metadata that TypeScript writes only with `emitDecoratorMetadata`. Without
it the application compiles and then fails at start-up: "Nest can't resolve dependencies of the
UsersService (?)" for every class injected by its type. class-transformer's `@Type()` inference
and Swagger's property types read the same metadata.

Without `experimentalDecorators`, TypeScript 5 compiles decorators as the TC39 standard ones,
which Nest's are not: parameter decorators (`@Body()`, `@Param()`, `@Inject()`) do not compile
("Decorators are not valid here"), and no metadata is written.

## Example
```json,file=tsconfig.json
{
  "compilerOptions": {
    "module": "commonjs",
    "target": "ES2021",
    "experimentalDecorators": true
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
    "module": "commonjs",
    "target": "ES2021",
    "experimentalDecorators": true,
    "emitDecoratorMetadata": true
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
- a configuration that extends a file it cannot read (a package that is not installed, a path
  that does not exist): the option may be set there;
- `emitDecoratorMetadata` in a package built with SWC (`"builder": "swc"` in `nest-cli.json`):
  Nest's SWC settings write decorator metadata whatever `tsconfig.json` says;
- configurations for tests, lint or Storybook only (`tsconfig.spec.json`, `tsconfig.e2e.json`,
  `tsconfig.eslint.json`), libraries that no application's bootstrap folder is compiled with, and
  applications whose bootstrap is not linted.

A finding in a configuration file takes no suppression comment: turn the rule off for the
package in `nestlint.toml` if its build really sets these options elsewhere.

## References
- https://docs.nestjs.com/fundamentals/custom-providers#di-fundamentals
- https://www.typescriptlang.org/tsconfig/#emitDecoratorMetadata
- https://www.typescriptlang.org/tsconfig/#experimentalDecorators
"#,
};

/// Each option, and what its absence breaks.
const OPTIONS: &[(&str, &str)] = &[
    (
        "experimentalDecorators",
        "TypeScript then compiles decorators as the TC39 standard ones, which Nest's are not: parameter decorators (`@Body()`, `@Inject()`) do not compile",
    ),
    (
        "emitDecoratorMetadata",
        "without `design:paramtypes` metadata Nest cannot tell what a constructor asks for, and fails at start-up with \"Nest can't resolve dependencies\"",
    ),
];

impl Rule for TsconfigDecorators {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let mut reported: HashSet<(Arc<PathBuf>, TextRange, &str)> = HashSet::new();
        for app in compiled_applications(index) {
            let configs = app.governing.compiling();
            for config in &configs {
                if config.unresolved_base {
                    continue;
                }
                for &(option, breaks) in OPTIONS {
                    // Nest's SWC builder writes decorator metadata whatever the configuration says.
                    if option == "emitDecoratorMetadata" && app.package.swc_builder {
                        continue;
                    }
                    let (path, range, message) = match config.option(option) {
                        Some(setting) if setting.value => continue,
                        Some(setting) => (
                            setting.file.clone(),
                            setting.range,
                            format!("`{option}: false` compiles this Nest application without the decorators it needs"),
                        ),
                        None => {
                            // A base that another compiling configuration reports covers it.
                            let base_reported = configs.iter().any(|other| {
                                other.path != config.path
                                    && config.extends(other)
                                    && !other.unresolved_base
                                    && other.option(option).is_none()
                            });
                            if base_reported {
                                continue;
                            }
                            (
                                config.path.clone(),
                                config.anchor,
                                format!(
                                    "`{}` compiles a Nest application without `{option}`",
                                    file_name(&config.path)
                                ),
                            )
                        }
                    };
                    if !reported.insert((path.clone(), range, option)) {
                        continue;
                    }
                    let bootstrap = index.file(app.file).path.clone();
                    ctx.report_in_config(path, range, message)
                        .note(breaks)
                        .help(format!("set `\"{option}\": true` in `compilerOptions`"))
                        .label(bootstrap, app.range, "the application it compiles");
                }
            }
        }
    }
}
