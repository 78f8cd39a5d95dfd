use std::collections::HashMap;

use nestlint_diagnostics::Severity;
use nestlint_engine::facts::Value;
use nestlint_engine::nest::Item;
use nestlint_engine::{
    Category, DiagnosticExt, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta, Scope,
    Symbol,
};

pub struct ModuleMetadataHygiene;

static META: RuleMeta = RuleMeta {
    id: "module-metadata-hygiene",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "A module exports only what it provides or imports, and lists nothing twice",
    docs: r#"## What it does
Reports, in `@Module()` metadata:
- an `exports` entry that is neither one of the module's providers nor a module it imports (a
  provider token that only an imported module provides counts as neither: export that module);
- a class, module or token listed twice in `imports`, `providers`, `controllers` or `exports`.

## Why is this bad?
Nest refuses to boot on the first: "Nest cannot export a provider/module that is not a part of the
currently processed module (AuthModule). Please verify whether the exported JwtStrategy is
available in this particular context." A duplicate is left over from a merge or a refactor: it
registers nothing more, and hides which list was meant.

## Example
```ts,expect_diagnostic
import { Injectable, Module } from '@nestjs/common';

@Injectable()
export class AuthService {}

@Injectable()
export class JwtStrategy {}

@Module({ providers: [AuthService, AuthService], exports: [JwtStrategy] })
export class AuthModule {}
```

Use instead:
```ts
import { Injectable, Module } from '@nestjs/common';

@Injectable()
export class AuthService {}

@Injectable()
export class JwtStrategy {}

@Module({ providers: [AuthService, JwtStrategy], exports: [JwtStrategy] })
export class AuthModule {}
```

## When it stays silent
Exports are not judged in a module whose providers or imports the engine cannot read completely,
nor in a module with static methods (a dynamic module's `providers` complete its metadata).

## References
- https://docs.nestjs.com/modules#module-re-exporting
- https://docs.nestjs.com/faq/common-errors
"#,
};

impl Rule for ModuleMetadataHygiene {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let injection = index.injection();
        for bad in &injection.bad_exports {
            let file = bad.module.file;
            if !index.file(file).is_target || index.file(file).is_test {
                continue;
            }
            let module = index.class_at(bad.module);
            let (what, help) = if bad.is_module {
                (
                    "module",
                    format!(
                        "import {} into {} as well, or stop exporting it",
                        bad.name, module.name
                    ),
                )
            } else {
                (
                    "provider",
                    format!(
                        "add {} to {}'s providers, or export the module that provides it",
                        bad.name, module.name
                    ),
                )
            };
            ctx.report(
                index,
                file,
                module.name_range,
                format!(
                    "Nest cannot export a provider/module that is not a part of the currently processed module ({}): the exported {what} {} is neither provided nor imported there",
                    module.name, bad.name
                ),
            )
            .help(help);
        }
        for (module, metadata) in index.modules() {
            let file = module.file;
            if !index.file(file).is_target || index.file(file).is_test {
                continue;
            }
            for key in ["imports", "providers", "controllers", "exports"] {
                let mut seen: HashMap<Symbol, usize> = HashMap::new();
                for item in index.metadata_items(module, metadata, key) {
                    let Item::Value(item_file, Value::Ident(name)) = item else {
                        continue;
                    };
                    let symbol = index.resolve(item_file, name);
                    if matches!(symbol, Symbol::Unknown | Symbol::Unresolved) {
                        continue;
                    }
                    *seen.entry(symbol).or_default() += 1;
                }
                let mut twice: Vec<(String, usize)> = seen
                    .into_iter()
                    .filter(|(_, count)| *count > 1)
                    .filter_map(|(symbol, count)| symbol.name().map(|n| (n.to_owned(), count)))
                    .collect();
                twice.sort();
                let class = index.class_at(module);
                for (name, count) in twice {
                    ctx.report(
                        index,
                        file,
                        class.name_range,
                        format!(
                            "`{name}` is listed {} in {}'s `{key}`",
                            if count == 2 {
                                "twice".to_owned()
                            } else {
                                format!("{count} times")
                            },
                            class.name
                        ),
                    )
                    .help("keep one entry");
                }
            }
        }
    }
}
