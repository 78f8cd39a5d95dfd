use nestlint_diagnostics::Severity;
use nestlint_engine::facts::Value;
use nestlint_engine::nest::{Item, NEST_COMMON};
use nestlint_engine::{
    Category, DiagnosticExt, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta, Scope,
};

pub struct ImportsAreModules;

static META: RuleMeta = RuleMeta {
    id: "imports-are-modules",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "A module's `imports` lists modules, not providers or undecorated classes",
    docs: r#"## What it does
Reports a project class in a module's `imports` that is not a module:
- a provider, controller or filter (`@Injectable()`, `@Controller()`, `@Catch()`): Nest refuses to
  boot ("Classes annotated with @Injectable(), @Catch(), and @Controller() decorators must not
  appear in the "imports" array of a module");
- a class without `@Module()` (a `UsersModule` whose decorator was forgotten, or deleted in a
  refactor): Nest imports an empty module, and what it was meant to provide is missing.

## Why is this bad?
The first fails at boot; the second fails later and further away, as "Nest can't resolve
dependencies" in whatever module needed its exports.

## Example
```ts,expect_diagnostic
import { Injectable, Module } from '@nestjs/common';

@Injectable()
export class UsersService {}

@Module({ imports: [UsersService] })
export class OrdersModule {}
```

Use instead:
```ts
import { Injectable, Module } from '@nestjs/common';

@Injectable()
export class UsersService {}

@Module({ providers: [UsersService], exports: [UsersService] })
export class UsersModule {}

@Module({ imports: [UsersModule] })
export class OrdersModule {}
```

## References
- https://docs.nestjs.com/modules
"#,
};

impl Rule for ImportsAreModules {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        for (module, metadata) in index.modules() {
            let indexed = index.file(module.file);
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            let owner = index.class_at(module);
            for item in index.metadata_items(module, metadata, "imports") {
                let Item::Value(file, value) = item else {
                    continue;
                };
                let value = match value {
                    Value::Call { callee, args }
                        if callee.object.is_none() && callee.name == "forwardRef" =>
                    {
                        match args.first() {
                            Some(Value::Arrow { body, .. }) => body.as_ref(),
                            _ => continue,
                        }
                    }
                    other => other,
                };
                let Value::Ident(name) = value else {
                    continue;
                };
                let Some(key) = index.class_key(&index.resolve(file, name)) else {
                    continue;
                };
                if index.module_metadata(key).is_some() {
                    continue;
                }
                let class = index.class_at(key);
                let injectable = class.decorators.iter().find(|d| {
                    ["Injectable", "Controller", "Catch"]
                        .iter()
                        .any(|n| index.is_export_of(key.file, &d.callee, NEST_COMMON, n))
                });
                let (message, help) = match injectable {
                    Some(decorator) => (
                        format!(
                            "`{name}` is a @{}() class in {}'s `imports`: Nest refuses to boot",
                            decorator.callee.name, owner.name
                        ),
                        "register it in `providers` (or `controllers`) instead, or import the module that exports it".to_owned(),
                    ),
                    None if class.decorators.is_empty() => (
                        format!(
                            "`{name}` in {}'s `imports` has no `@Module()` decorator: it imports nothing",
                            owner.name
                        ),
                        format!("decorate `{name}` with `@Module({{ ... }})`"),
                    ),
                    None => continue,
                };
                ctx.report(index, module.file, owner.name_range, message)
                    .help(help);
            }
        }
    }
}
