use std::collections::HashSet;

use nestlint_diagnostics::Severity;
use nestlint_engine::di::token_of;
use nestlint_engine::facts::Value;
use nestlint_engine::nest::{ClassKey, Item};
use nestlint_engine::{
    Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta,
    Scope, Symbol,
};

pub struct InjectableMustBeProvided;

static META: RuleMeta = RuleMeta {
    id: "injectable-must-be-provided",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "Controllers, gateways, resolvers and processors are registered in a module",
    docs: r#"## What it does
Reports a class Nest only runs when a module registers it, that no module registers: a
`@Controller()` missing from every module's `controllers`, and a `@WebSocketGateway()`,
`@Resolver()` (GraphQL) or `@Processor()` (Bull) missing from every module's `providers`.
Registration is read by resolved import, not by name, in array literals, spreads and constant
arrays, `{ provide, useClass }` objects, and the `controllers` and `providers` a module's
`static forRoot()`/`register()` returns.

## Why is this bad?
Nothing fails: the routes of an unregistered controller simply do not exist (every request is a
404), a gateway never accepts a connection, a resolver's queries are missing from the schema, a
processor never takes a job. Usually the class was written and the module edit forgotten.

## Example
```ts,expect_diagnostic
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Controller('reports')
export class ReportsController {
  @Get() list() {}
}

@Module({})
export class AppModule {}

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  await app.listen(3000);
}
bootstrap();
```

Use instead:
```ts
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Controller('reports')
export class ReportsController {
  @Get() list() {}
}

@Module({ controllers: [ReportsController] })
export class AppModule {}

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  await app.listen(3000);
}
bootstrap();
```

## When it stays silent
Only packages that bootstrap an application whose module graph the engine reads completely are
judged: a library's controller is registered by the applications that use it. Nothing is reported when a module's `controllers` or `providers` (or
a dynamic module's) cannot be read completely, nor for a class another class extends (a base
controller).

## References
- https://docs.nestjs.com/controllers#getting-up-and-running
- https://docs.nestjs.com/modules
"#,
};

/// The decorators of classes Nest runs only when registered, with the list that registers them.
const RUN_WHEN_REGISTERED: &[(&str, &str, &str)] = &[
    ("@nestjs/common", "Controller", "controllers"),
    ("@nestjs/websockets", "WebSocketGateway", "providers"),
    ("@nestjs/graphql", "Resolver", "providers"),
    ("@nestjs/bull", "Processor", "providers"),
    ("@nestjs/bullmq", "Processor", "providers"),
];

impl Rule for InjectableMustBeProvided {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let Some(registered) = registered_classes(index) else {
            return;
        };
        // Packages that bootstrap an application; one whose module graph is not read
        // completely may register anything.
        let app_packages = index.applications().packages_read_whole(index);
        let extended = extended_classes(index);
        for (file, indexed) in index.files() {
            if !indexed.is_target || indexed.is_test || !app_packages.contains(&indexed.package) {
                continue;
            }
            for (class_index, class) in indexed.facts.classes.iter().enumerate() {
                let key = ClassKey {
                    file,
                    index: class_index,
                };
                let Some((_, decorator, list)) =
                    RUN_WHEN_REGISTERED.iter().find(|(source, name, _)| {
                        class
                            .decorators
                            .iter()
                            .any(|d| index.is_export_of(file, &d.callee, source, name))
                    })
                else {
                    continue;
                };
                if registered.contains(&key) || extended.contains(&key) {
                    continue;
                }
                let what = match *decorator {
                    "Controller" => "controller",
                    "WebSocketGateway" => "gateway",
                    "Resolver" => "resolver",
                    _ => "processor",
                };
                let consequence = match *decorator {
                    "Controller" => "its routes never exist",
                    "WebSocketGateway" => "it never accepts a connection",
                    "Resolver" => "its queries and mutations are not in the schema",
                    _ => "it never takes a job",
                };
                ctx.report(
                    index,
                    file,
                    class.name_range,
                    format!(
                        "{what} `{}` is registered in no module: {consequence}",
                        class.name
                    ),
                )
                .help(format!(
                    "add it to the `{list}` of the module it belongs to"
                ));
            }
        }
    }
}

/// Every class a module registers in `controllers` or `providers`, statically or through what
/// a static method returns; `None` when some list cannot be read completely.
fn registered_classes(index: &ProjectIndex) -> Option<HashSet<ClassKey>> {
    let mut out = HashSet::new();
    let add = |file: FileId, value: &Value, out: &mut HashSet<ClassKey>| -> bool {
        match value {
            Value::Ident(_) | Value::Object { .. } => {
                for symbol in index.provided_classes(file, value) {
                    if let Some(key) = index.class_key(&symbol) {
                        out.insert(key);
                    }
                }
                // A name the engine cannot place may be a class.
                !matches!(value, Value::Ident(name) if matches!(index.resolve(file, name), Symbol::Unresolved | Symbol::Unknown))
            }
            _ => false,
        }
    };
    for (module, metadata) in index.modules() {
        metadata?;
        for key in ["controllers", "providers"] {
            for item in index.metadata_items(module, metadata, key) {
                match item {
                    // A conditional registration may be there: counted.
                    Item::Value(file, value) | Item::Alternative(file, value) => {
                        if !add(file, value, &mut out) {
                            return None;
                        }
                    }
                    Item::Unknown => return None,
                }
            }
        }
        // A dynamic module's own lists.
        let class = index.class_at(module);
        for method in class.methods.iter().filter(|m| m.is_static) {
            let Some(returns) = &method.returns else {
                return None;
            };
            for returned in returns {
                for key in ["controllers", "providers"] {
                    let Some(list) = returned.get(key) else {
                        continue;
                    };
                    for item in index.flatten(module.file, list) {
                        match item {
                            Item::Value(file, value) | Item::Alternative(file, value) => {
                                if !add(file, value, &mut out) {
                                    return None;
                                }
                            }
                            Item::Unknown => return None,
                        }
                    }
                }
            }
        }
    }
    // Classes named in a package module's arguments (`SomeModule.forRoot({ controllers: [...] })`).
    for (module, metadata) in index.modules() {
        for item in index.metadata_items(module, metadata, "imports") {
            if let Item::Value(file, Value::Call { args, .. }) = item {
                let mut stack: Vec<&Value> = args.iter().collect();
                while let Some(value) = stack.pop() {
                    if let Some(nestlint_engine::di::Token::Class(key)) =
                        token_of(index, file, value)
                    {
                        out.insert(key);
                    }
                    match value {
                        Value::Object { entries, .. } => {
                            stack.extend(entries.iter().map(|(_, v)| v))
                        }
                        Value::Array(items) => stack.extend(items),
                        Value::Call { args, .. } => stack.extend(args),
                        _ => {}
                    }
                }
            }
        }
    }
    Some(out)
}

/// Classes some project class extends.
fn extended_classes(index: &ProjectIndex) -> HashSet<ClassKey> {
    let mut out = HashSet::new();
    for (file, indexed) in index.files() {
        for class in &indexed.facts.classes {
            if let Some(Value::Ident(base)) = &class.extends {
                if let Some(key) = index.class_key(&index.resolve(file, base)) {
                    out.insert(key);
                }
            }
        }
    }
    out
}
