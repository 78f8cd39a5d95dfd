use std::collections::{BTreeMap, BTreeSet};

use crate::graph::strongly_connected;
use nestlint_diagnostics::Severity;
use nestlint_engine::nest::{ClassKey, Item, ModuleImport};
use nestlint_engine::{
    Category, DiagnosticExt, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta, Scope,
};

pub struct NoCircularModuleImports;

static META: RuleMeta = RuleMeta {
    id: "no-circular-module-imports",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "Modules that import each other do it through `forwardRef()`",
    docs: r#"## What it does
Finds cycles of plain imports in the `@Module()` imports graph (`A` imports `B`, which imports
`A`, directly or through other modules, none of them through `forwardRef(() => ...)`) and reports
each import of the cycle, naming the whole cycle.

## Why is this bad?
When the modules' files import each other, one of them is still `undefined` when the other's
`@Module()` decorator runs: Nest fails at boot with "Nest cannot create the UsersModule instance.
The module at index [0] of the UsersModule "imports" array is undefined", or a `ReferenceError`
when they share a file. Nest resolves a cycle only when both sides use `forwardRef()`. A cycle
is also a design smell: two modules that need each other are one module, or share a third.

## Example
```ts,expect_diagnostic
import { Module } from '@nestjs/common';

@Module({ imports: [OrdersModule] })
export class UsersModule {}

@Module({ imports: [UsersModule] })
export class OrdersModule {}
```

Use instead:
```ts
import { forwardRef, Module } from '@nestjs/common';

@Module({ imports: [forwardRef(() => OrdersModule)] })
export class UsersModule {}

@Module({ imports: [forwardRef(() => UsersModule)] })
export class OrdersModule {}
```

## When it stays silent
A cycle with a `forwardRef()` on one of its imports is not reported: whether Nest resolves it
depends on the order the files load in, which the engine does not model.

## References
- https://docs.nestjs.com/fundamentals/circular-dependency#module-forward-reference
"#,
};

impl Rule for NoCircularModuleImports {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        // Edges: module -> imported project module, and whether the import is a forwardRef.
        let mut edges: BTreeMap<ClassKey, Vec<(ClassKey, bool)>> = BTreeMap::new();
        for (module, metadata) in index.modules() {
            let list = edges.entry(module).or_default();
            for item in index.metadata_items(module, metadata, "imports") {
                let Item::Value(file, value) = item else {
                    continue;
                };
                let forward = value.is_forward_ref();
                if let ModuleImport::Project { module: target, .. } =
                    index.module_import(file, value)
                {
                    list.push((target, forward));
                }
            }
        }
        // Only plain imports: a cycle with a `forwardRef()` somewhere is resolved by Nest when
        // the files load in the right order, which the engine does not model; a cycle of plain
        // imports always leaves one module `undefined`.
        let plain: BTreeMap<ClassKey, Vec<(ClassKey, bool)>> = edges
            .iter()
            .map(|(module, targets)| {
                (
                    *module,
                    targets
                        .iter()
                        .copied()
                        .filter(|(_, forward)| !forward)
                        .collect(),
                )
            })
            .collect();
        for component in strongly_connected(&plain) {
            let members: BTreeSet<ClassKey> = component.iter().copied().collect();
            let self_loop = component.len() == 1
                && plain
                    .get(&component[0])
                    .is_some_and(|targets| targets.iter().any(|(t, _)| *t == component[0]));
            if component.len() < 2 && !self_loop {
                continue;
            }
            let cycle: Vec<String> = component
                .iter()
                .map(|key| index.class_at(*key).name.to_string())
                .collect();
            for module in &component {
                let indexed = index.file(module.file);
                if !indexed.is_target || indexed.is_test {
                    continue;
                }
                let class = index.class_at(*module);
                let mut reported = BTreeSet::new();
                for (target, forward) in plain.get(module).into_iter().flatten() {
                    if *forward || !members.contains(target) || !reported.insert(*target) {
                        continue;
                    }
                    let target_name = &index.class_at(*target).name;
                    ctx.report(
                        index,
                        module.file,
                        class.name_range,
                        format!(
                            "`{}` imports `{target_name}` without `forwardRef()`, in the import cycle {}",
                            class.name,
                            cycle.join(" ↔ ")
                        ),
                    )
                    .help(format!(
                        "wrap the import in `forwardRef(() => {target_name})`, on both sides of the cycle; or move what both need into a module of its own"
                    ))
                    .note("Nest reads a module's imports when its decorator runs: in a cycle, one of the modules is still `undefined` then");
                }
            }
        }
    }
}
