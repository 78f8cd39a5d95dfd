use nestlint_diagnostics::Severity;
use nestlint_engine::di::{token_name, token_of};
use nestlint_engine::facts::{Params, Value};
use nestlint_engine::nest::Item;
use nestlint_engine::{
    Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta,
    Scope,
};

pub struct FactoryInjectArity;

static META: RuleMeta = RuleMeta {
    id: "factory-inject-arity",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "A `useFactory` takes as many parameters as its `inject` lists",
    docs: r#"## What it does
Reports a factory provider (`{ provide, useFactory, inject }`) in a module's `providers`, or the
options of a module's `forRootAsync()`/`registerAsync()` in its `imports`, whose `useFactory`
requires more parameters than `inject` lists (a missing `inject` lists none), or is given more
than it takes.

## Why is this bad?
Nest calls the factory with the instances `inject` names, in order, and nothing else: a parameter
without its entry is `undefined`, so `config.get(...)` throws at boot, or worse, a connection is
opened with `undefined` options. An extra entry is resolved for nothing, and usually means two
entries are in the wrong order.

## Example
```ts,expect_diagnostic
import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';

@Module({
  imports: [ConfigModule],
  providers: [
    {
      provide: 'DATABASE_URL',
      useFactory: (config: ConfigService, env: string) => config.get(env),
      inject: [ConfigService],
    },
  ],
})
export class DatabaseModule {}
```

Use instead:
```ts
import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';

@Module({
  imports: [ConfigModule],
  providers: [
    {
      provide: 'DATABASE_URL',
      useFactory: (config: ConfigService) => config.get('DATABASE_URL'),
      inject: [ConfigService],
    },
  ],
})
export class DatabaseModule {}
```

## When it stays silent
A factory the engine cannot read (a function declared elsewhere, an `inject` built at run time)
is not checked; optional parameters and parameters with defaults need no entry, and a rest
parameter takes any number.

## References
- https://docs.nestjs.com/fundamentals/custom-providers#factory-providers-usefactory
"#,
};

impl Rule for FactoryInjectArity {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        for (module, metadata) in index.modules() {
            let indexed = index.file(module.file);
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            let mut factories: Vec<(FileId, &Value, String)> = Vec::new();
            for item in index.metadata_items(module, metadata, "providers") {
                if let Item::Value(file, value) = item {
                    // `const DatabaseProvider = { provide, useFactory, inject }`.
                    let (file, value) = match value {
                        Value::Ident(local) => match index.constant(&index.resolve(file, local)) {
                            Some((const_file, constant)) => (const_file, &constant.value),
                            None => (file, value),
                        },
                        _ => (file, value),
                    };
                    let name = value
                        .get("provide")
                        .and_then(|p| token_of(index, file, p))
                        .map_or_else(
                            || "a provider".to_owned(),
                            |t| format!("the provider {}", token_name(index, &t)),
                        );
                    factories.push((file, value, name));
                }
            }
            for item in index.metadata_items(module, metadata, "imports") {
                if let Item::Value(file, Value::Call { callee, args }) = item {
                    if matches!(
                        callee.name.as_str(),
                        "forRootAsync" | "registerAsync" | "forFeatureAsync"
                    ) {
                        if let Some(options) = args.first() {
                            let owner = callee.object.as_deref().unwrap_or("a module");
                            factories.push((file, options, format!("{owner}.{}", callee.name)));
                        }
                    }
                }
            }
            let class = index.class_at(module);
            for (_, value, name) in factories {
                let Some(Value::Arrow { params, .. }) = value.get("useFactory") else {
                    continue;
                };
                let listed = match value.get("inject") {
                    None => Some(0),
                    Some(Value::Array(items))
                        if !items.iter().any(|i| matches!(i, Value::Spread(_))) =>
                    {
                        Some(items.len())
                    }
                    _ => None,
                };
                let Some(listed) = listed else {
                    continue;
                };
                let Some(problem) = mismatch(*params, listed) else {
                    continue;
                };
                ctx.report(
                    index,
                    module.file,
                    class.name_range,
                    format!("the `useFactory` of {name} in {} {problem}", class.name),
                )
                .help("list one `inject` entry per factory parameter, in the same order")
                .note("Nest calls the factory with exactly the instances `inject` names, in order");
            }
        }
    }
}

/// What is wrong with a factory taking `params` given `listed` instances.
fn mismatch(params: Params, listed: usize) -> Option<String> {
    let required = usize::from(params.required);
    let total = usize::from(params.total);
    if listed < required {
        let missing = required - listed;
        Some(format!(
            "takes {required} parameter{} but `inject` lists {listed}: {} `undefined`",
            if required == 1 { "" } else { "s" },
            if missing == 1 {
                "the last one is".to_owned()
            } else {
                format!("the last {missing} are")
            }
        ))
    } else if listed > total && !params.rest {
        Some(format!(
            "takes {total} parameter{} but `inject` lists {listed}",
            if total == 1 { "" } else { "s" }
        ))
    } else {
        None
    }
}
