use std::collections::BTreeMap;

use nestlint_diagnostics::Severity;
use nestlint_engine::nest::{ClassKey, Item, ModuleImport};
use nestlint_engine::{
    Category, DiagnosticExt, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta, Scope,
};

pub struct ForRootOnce;

static META: RuleMeta = RuleMeta {
    id: "for-root-once",
    category: Category::Correctness,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "A package module's `forRoot()` is called once per application, in its root",
    docs: r#"## What it does
Reports a package module's `forRoot()` or `forRootAsync()` (`TypeOrmModule`, `MongooseModule`,
`ConfigModule`, `BullModule`, `GraphQLModule`, ...) imported by more than one module of the same
application: every registration after the first is reported, in the module that makes it.
Feature registrations (`forFeature`, `register`, `registerQueue`) are what feature modules call.

## Why is this bad?
`forRoot` builds the package's root state: a second `TypeOrmModule.forRoot()` opens a second
connection pool under the same name (and fails with "Cannot create a new connection named
"default""), a second `ConfigModule.forRoot()` reads and validates the environment again, and a
feature module that registers the root itself cannot be imported by another application.

## Example
```ts,expect_diagnostic
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

@Module({ imports: [TypeOrmModule.forRoot({ type: 'postgres' })] })
export class OrdersModule {}

@Module({ imports: [TypeOrmModule.forRoot({ type: 'postgres' }), OrdersModule] })
export class AppModule {}
```

Use instead:
```ts
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

@Module({ imports: [TypeOrmModule.forFeature([])] })
export class OrdersModule {}

@Module({ imports: [TypeOrmModule.forRoot({ type: 'postgres' }), OrdersModule] })
export class AppModule {}
```

## When it stays silent
Registrations in different applications (a monorepo's apps) are independent. Two calls with
different arguments that name their connections (`name: 'analytics'`) are not the same root, and
neither are calls with a spread or a value the engine cannot read.

## References
- https://docs.nestjs.com/techniques/database#multiple-databases
- https://docs.nestjs.com/techniques/configuration#use-module-globally
"#,
};

impl Rule for ForRootOnce {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        // Per (package, module class, connection name): the modules calling its forRoot.
        let mut calls: BTreeMap<(String, String, Option<String>), Vec<ClassKey>> = BTreeMap::new();
        for (module, metadata) in index.modules() {
            for item in index.metadata_items(module, metadata, "imports") {
                let Item::Value(file, value) = item else {
                    continue;
                };
                let ModuleImport::External {
                    source,
                    name,
                    method,
                    args,
                    ..
                } = index.module_import(file, value)
                else {
                    continue;
                };
                if !matches!(method.as_deref(), Some("forRoot" | "forRootAsync")) {
                    continue;
                }
                // A named root (a second database) is a different root.
                let connection = match args.first() {
                    Some(options @ nestlint_engine::facts::Value::Object { open, .. }) => {
                        if *open {
                            continue;
                        }
                        match options.get("name") {
                            None => None,
                            Some(name) => {
                                match nestlint_engine::nest::resolve_string(index, file, name) {
                                    Some(name) => Some(name.to_string()),
                                    None => continue,
                                }
                            }
                        }
                    }
                    Some(_) => continue,
                    None => None,
                };
                calls
                    .entry((source.to_string(), name.to_string(), connection))
                    .or_default()
                    .push(module);
            }
        }
        let applications = index.applications();
        // Modules some module imports.
        let mut imported: std::collections::HashSet<ClassKey> = std::collections::HashSet::new();
        for (module, metadata) in index.modules() {
            for item in index.metadata_items(module, metadata, "imports") {
                if let Item::Value(file, value) = item {
                    if let ModuleImport::Project { module: target, .. } =
                        index.module_import(file, value)
                    {
                        imported.insert(target);
                    }
                }
            }
        }
        for ((_, name, _), modules) in calls {
            if modules.len() < 2 {
                continue;
            }
            // Group by application: only registrations in one application are duplicates.
            for app in &applications.apps {
                let Some(app_modules) = &app.modules else {
                    continue;
                };
                let mut in_app: Vec<ClassKey> = modules
                    .iter()
                    .copied()
                    .filter(|m| app_modules.contains(m))
                    .collect();
                in_app.sort();
                in_app.dedup();
                if in_app.len() < 2 {
                    continue;
                }
                // The root module's registration is the one to keep: the application's root, or
                // the one module no other imports; else the first.
                let unimported: Vec<ClassKey> = in_app
                    .iter()
                    .copied()
                    .filter(|m| !imported.contains(m))
                    .collect();
                let root = app
                    .root
                    .filter(|r| in_app.contains(r))
                    .or_else(|| (unimported.len() == 1).then(|| unimported[0]))
                    .unwrap_or(in_app[0]);
                let root_name = index.class_at(root).name.clone();
                for module in in_app.into_iter().filter(|m| *m != root) {
                    let indexed = index.file(module.file);
                    if !indexed.is_target || indexed.is_test {
                        continue;
                    }
                    let class = index.class_at(module);
                    ctx.report(
                        index,
                        module.file,
                        class.name_range,
                        format!(
                            "`{name}.forRoot` is called in {} as well as in {root_name}, in the same application",
                            class.name
                        ),
                    )
                    .help(format!(
                        "keep the root registration in {root_name}; feature modules use `{name}.forFeature(...)` or import what the root exports"
                    ));
                }
            }
        }
    }
}
