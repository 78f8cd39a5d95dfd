use std::collections::HashSet;

use nestlint_diagnostics::Severity;
use nestlint_engine::nest::{ClassKey, NEST_COMMON};
use nestlint_engine::{
    Category, DiagnosticExt, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta, Scope,
};

pub struct NoManualInstantiation;

static META: RuleMeta = RuleMeta {
    id: "no-manual-instantiation",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "Providers are injected, not created with `new` in Nest-managed classes",
    docs: r#"## What it does
Reports `new X(...)` in the body of a Nest-managed class (one with a decorator: a provider,
controller, guard, resolver, ...) when `X` is a project class decorated with `@Injectable()` that
a module registers as a provider.

`new Logger(...)`, exceptions, DTOs and other classes no module provides are not reported.

## Why is this bad?
The instance bypasses dependency injection: its own dependencies are not injected (so they are
`undefined`, or the caller builds them by hand), it is not the singleton the rest of the
application shares (two caches, two connection pools), its lifecycle hooks never run, and tests
cannot replace it.

## Example
```ts,expect_diagnostic
import { Injectable, Module } from '@nestjs/common';

@Injectable()
export class UsersService {}

@Injectable()
export class OrdersService {
  private readonly users = new UsersService();
}

@Module({ providers: [UsersService, OrdersService] })
export class OrdersModule {}
```

Use instead:
```ts
import { Injectable, Module } from '@nestjs/common';

@Injectable()
export class UsersService {}

@Injectable()
export class OrdersService {
  constructor(private readonly users: UsersService) {}
}

@Module({ providers: [UsersService, OrdersService] })
export class OrdersModule {}
```

## References
- https://docs.nestjs.com/providers#dependency-injection
"#,
};

impl Rule for NoManualInstantiation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let provided: HashSet<ClassKey> = index.provider_modules().keys().copied().collect();
        for (file, indexed) in index.files() {
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            for class in &indexed.facts.classes {
                for (name, range) in &class.constructs {
                    let Some(key) = index.class_key(&index.resolve(file, name)) else {
                        continue;
                    };
                    let target = index.class_at(key);
                    let injectable = target.decorators.iter().any(|d| {
                        index.is_export_of(key.file, &d.callee, NEST_COMMON, "Injectable")
                    });
                    if !injectable || !provided.contains(&key) {
                        continue;
                    }
                    ctx.report(
                        index,
                        file,
                        *range,
                        format!(
                            "`{name}` is a provider: `{}` creates its own instance instead of having it injected",
                            class.name
                        ),
                    )
                    .help(format!("inject it: `constructor(private readonly {}: {name})`", camel(name)))
                    .note("an instance made with `new` gets none of its own dependencies, is not the shared singleton, and skips lifecycle hooks");
                }
            }
        }
    }
}

fn camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
