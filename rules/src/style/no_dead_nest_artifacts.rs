use std::collections::{HashMap, HashSet};

use nestlint_diagnostics::Severity;
use nestlint_engine::facts::{TypeRef, Value};
use nestlint_engine::nest::{ClassKey, Item};
use nestlint_engine::syntax::{call_function, text, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, Scope,
};

use crate::code::{call_arguments, literal_string};

pub struct NoDeadNestArtifacts;

static META: RuleMeta = RuleMeta {
    id: "no-dead-nest-artifacts",
    category: Category::Style,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "Modules are imported and providers are injected somewhere",
    docs: r#"## What it does
Reports, in a package that bootstraps an application:
- a `@Module()` that no file imports, that is no application's root module and that no
  `import()` or `require()` loads: no application contains it;
- a provider class registered in a module's `providers` that nothing injects: no other file
  imports it (test files aside) and no class of its own file takes it in its constructor.

## Why is this bad?
Nest instantiates every provider of every module it loads, so a provider nothing injects still
runs its constructor and holds its connections, and a module no application imports is code
that is compiled, reviewed and kept up to date for nothing. Both are usually what a refactoring
left behind.

## Example
```ts,expect_diagnostic
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Module({})
export class ReportsModule {}

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
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Module({})
export class ReportsModule {}

@Module({ imports: [ReportsModule] })
export class AppModule {}

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  await app.listen(3000);
}
bootstrap();
```

## When it stays silent
It reports only what nothing could be using, so it leaves alone:
- packages that bootstrap no application (libraries: their users are elsewhere), and
  applications whose module graph it cannot read whole;
- a module whose file an `import()` or `require()` names (lazy-loaded modules), or that
  another module of its own file imports;
- providers Nest calls by itself: classes with a lifecycle hook (`onModuleInit`,
  `onApplicationBootstrap`, ...), with decorated methods or properties (`@Cron()`,
  `@OnEvent()`, `@MessagePattern()`, `@Saga()`, ...), with a class decorator other than `@Injectable()` (`@Resolver()`,
  `@Processor()`, `@CommandHandler()`, ...), that extend a class (`PassportStrategy`, a
  `HealthIndicator`), or that are enhancers or middleware (`canActivate`, `intercept`,
  `transform`, `catch`, `use`);
- providers registered as objects (`{ provide, useClass }`), by modules that export them, by
  modules whose class has methods (`configure()`, `forRoot()`, which may use them), and
  providers declared in the module's own file.

It is off by default: a class may be reached in ways no file shows (`moduleRef.get()` with a
token built at run time, a framework that discovers providers by metadata).

## References
- https://docs.nestjs.com/modules
- https://docs.nestjs.com/providers
"#,
};

/// `import('...')` and `require('...')` specifiers written in a file, stashed for the project
/// pass.
#[derive(serde::Serialize, serde::Deserialize)]
struct Loaded(String);

/// A module with its metadata, as `ProjectIndex::modules` gives them.
type ModuleEntry<'i> = (ClassKey, Option<&'i Value>);

/// The files importing each project class.
type Importers = HashMap<ClassKey, Vec<FileId>>;

/// Methods Nest calls on a provider by itself.
const CALLED_BY_NEST: &[&str] = &[
    "onModuleInit",
    "onApplicationBootstrap",
    "onModuleDestroy",
    "beforeApplicationShutdown",
    "onApplicationShutdown",
    "canActivate",
    "intercept",
    "transform",
    "catch",
    "use",
    "resolve",
];

impl Rule for NoDeadNestArtifacts {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["call_expression"]
    }

    fn check_node<'t>(&self, call: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let Some(function) = call_function(call) else {
            return;
        };
        let loads = function.kind_name() == "import"
            || (function.kind_name() == "identifier" && text(function, ctx.source) == "require");
        if !loads {
            return;
        }
        if let Some(specifier) = call_arguments(call)
            .first()
            .and_then(|a| literal_string(*a, ctx.source))
        {
            ctx.stash(Loaded(specifier));
        }
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let applications = index.applications();
        let app_packages = applications.packages_read_whole(index);
        let mut roots: HashSet<ClassKey> = HashSet::new();
        let mut reachable: HashSet<ClassKey> = HashSet::new();
        for app in applications.apps.iter().filter(|app| !app.implicit) {
            roots.extend(app.root);
            reachable.extend(app.modules.iter().flatten().copied());
        }
        if app_packages.is_empty() {
            return;
        }
        let importers = importers(index);
        let loaded: Vec<(FileId, String)> = index
            .stashed::<Loaded>(META.id)
            .map(|(file, Loaded(specifier))| (file, specifier))
            .collect();
        let modules = index.modules();
        let judged = |file: FileId| {
            let indexed = index.file(file);
            indexed.is_target && !indexed.is_test && app_packages.contains(&indexed.package)
        };
        for &(module, _) in &modules {
            if !judged(module.file) || roots.contains(&module) || reachable.contains(&module) {
                continue;
            }
            let imported = importers
                .get(&module)
                .is_some_and(|files| files.iter().any(|&f| f != module.file));
            if imported
                || imported_in_own_file(index, module, &modules)
                || lazily_loaded(index, module.file, &loaded)
            {
                continue;
            }
            let class = index.class_at(module);
            ctx.report(
                index,
                module.file,
                class.name_range,
                format!(
                    "module `{}` is imported by no module and is no application's root",
                    class.name
                ),
            )
            .note("no application loads it: its providers and controllers never run")
            .help("import it where it is needed, or delete it");
        }
        self.unused_providers(index, ctx, (&modules, &importers), &judged);
    }
}

impl NoDeadNestArtifacts {
    fn unused_providers(
        &self,
        index: &ProjectIndex,
        ctx: &mut ProjectContext<'_>,
        (modules, importers): (&[ModuleEntry<'_>], &Importers),
        judged: &dyn Fn(FileId) -> bool,
    ) {
        // Providers that a module exports or names anywhere but as a plain `providers` item
        // (`inject`, `useExisting`, `useClass`), and files whose module may use them in code.
        let mut named_elsewhere: HashSet<ClassKey> = HashSet::new();
        let mut registered: Vec<(ClassKey, ClassKey)> = Vec::new();
        let mut opaque_module_files: HashSet<FileId> = HashSet::new();
        for &(module, metadata) in modules {
            if !index.class_at(module).methods.is_empty() {
                opaque_module_files.insert(module.file);
            }
            let Some(metadata) = metadata else {
                continue;
            };
            for (key, value) in object_entries(metadata) {
                for item in index.flatten(module.file, value) {
                    let Item::Value(file, value) = item else {
                        continue;
                    };
                    match (key, value) {
                        ("providers", Value::Ident(name)) => {
                            if let Some(provider) = index.class_key(&index.resolve(file, name)) {
                                registered.push((module, provider));
                            }
                        }
                        _ => named_in(index, file, value, &mut named_elsewhere),
                    }
                }
            }
        }
        let mut reported: HashSet<ClassKey> = HashSet::new();
        for (module, provider) in registered {
            if !judged(module.file)
                || !judged(provider.file)
                || provider.file == module.file
                || named_elsewhere.contains(&provider)
                || !reported.insert(provider)
            {
                continue;
            }
            let class = index.class_at(provider);
            if called_by_nest(index, provider) {
                continue;
            }
            let used_by_importer = importers.get(&provider).is_some_and(|files| {
                files.iter().any(|&f| {
                    f != provider.file
                        && !index.file(f).is_test
                        && (opaque_module_files.contains(&f) || !is_module_file(modules, f))
                })
            });
            if used_by_importer || injected_in_own_file(index, provider) {
                continue;
            }
            let module_name = &index.class_at(module).name;
            ctx.report(
                index,
                provider.file,
                class.name_range,
                format!(
                    "provider `{}` is registered in `{module_name}` but nothing injects it",
                    class.name
                ),
            )
            .note("Nest still creates it when the module loads; no class, module or controller asks for it")
            .help(format!(
                "inject it where it is needed, or remove it from `{module_name}`'s providers and delete it"
            ));
        }
    }
}

/// Every project class some file imports, with the files importing it (re-exports followed).
fn importers(index: &ProjectIndex) -> Importers {
    let mut out: Importers = HashMap::new();
    for (file, indexed) in index.files() {
        for binding in &indexed.facts.imports {
            if let Some(class) = index.class_key(&index.resolve(file, &binding.local)) {
                out.entry(class).or_default().push(file);
            }
        }
    }
    out
}

/// The `key: value` entries of an object value.
fn object_entries(value: &Value) -> Vec<(&str, &Value)> {
    match value {
        Value::Object { entries, .. } => entries.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        _ => Vec::new(),
    }
}

/// Collects the project classes `value` names (identifiers, and those inside objects, arrays,
/// calls and arrows).
fn named_in(index: &ProjectIndex, file: FileId, value: &Value, out: &mut HashSet<ClassKey>) {
    let mut pending = vec![(value, 0usize)];
    while let Some((value, depth)) = pending.pop() {
        if depth > 8 {
            continue;
        }
        match value {
            Value::Ident(name) => {
                if let Some(class) = index.class_key(&index.resolve(file, name)) {
                    out.insert(class);
                }
            }
            Value::Object { entries, .. } => {
                pending.extend(entries.iter().map(|(_, v)| (v, depth + 1)));
            }
            Value::Array(items) => pending.extend(items.iter().map(|v| (v, depth + 1))),
            Value::Call { args, .. } | Value::New { args, .. } => {
                pending.extend(args.iter().map(|v| (v, depth + 1)));
            }
            Value::Arrow { body, .. } => pending.push((body, depth + 1)),
            Value::Spread(inner) => pending.push((inner, depth + 1)),
            Value::Fallback { value, fallback } => {
                pending.push((value, depth + 1));
                pending.push((fallback, depth + 1));
            }
            _ => {}
        }
    }
}

fn is_module_file(modules: &[ModuleEntry<'_>], file: FileId) -> bool {
    modules.iter().any(|(module, _)| module.file == file)
}

/// Another module of the module's own file imports it.
fn imported_in_own_file(
    index: &ProjectIndex,
    module: ClassKey,
    modules: &[ModuleEntry<'_>],
) -> bool {
    modules
        .iter()
        .filter(|(other, _)| other.file == module.file && *other != module)
        .any(|&(other, metadata)| {
            let mut named = HashSet::new();
            if let Some(metadata) = metadata {
                named_in(index, other.file, metadata, &mut named);
            }
            named.contains(&module) || metadata.is_none()
        })
}

/// An `import()` or `require()` of the package names the module's file (by its name without
/// extension: `'./reports/reports.module'`).
fn lazily_loaded(index: &ProjectIndex, module_file: FileId, loaded: &[(FileId, String)]) -> bool {
    let path = &index.file(module_file).path;
    let Some(stem) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
        return false;
    };
    let package = index.file(module_file).package;
    loaded.iter().any(|(file, specifier)| {
        let last = specifier.rsplit('/').next().unwrap_or(specifier);
        let last = last
            .strip_suffix(".js")
            .or_else(|| last.strip_suffix(".ts"))
            .unwrap_or(last);
        index.file(*file).package == package && last == stem
    })
}

/// The class has a role Nest plays by itself: a lifecycle hook or an enhancer's method, a
/// decorated method or property, a class decorator other than `@Injectable()`, or a base class.
fn called_by_nest(index: &ProjectIndex, key: ClassKey) -> bool {
    let class = index.class_at(key);
    let only_injectable = class
        .decorators
        .iter()
        .all(|d| index.is_nest_decorator(key.file, d, "Injectable"));
    class.extends.is_some()
        || !only_injectable
        || class
            .methods
            .iter()
            .any(|m| !m.decorators.is_empty() || CALLED_BY_NEST.contains(&m.name.as_str()))
        // `@Saga() handler = (events$) => ...`: CQRS and others discover decorated properties.
        || class.properties.iter().any(|p| !p.decorators.is_empty())
}

/// A class of the provider's own file takes it in its constructor (by type or `@Inject(X)`).
fn injected_in_own_file(index: &ProjectIndex, provider: ClassKey) -> bool {
    let name = &index.class_at(provider).name;
    index
        .file(provider.file)
        .facts
        .classes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != provider.index)
        .any(|(_, class)| {
            class.constructor_params.iter().any(|param| {
                let typed =
                    matches!(&param.ty, Some(TypeRef::Named { name: ty, .. }) if ty == name);
                let injected = param.decorators.iter().any(|d| {
                    d.args
                        .iter()
                        .any(|a| matches!(a, Value::Ident(arg) if arg == name))
                });
                typed || injected
            }) || class.properties.iter().any(|p| {
                p.decorators.iter().any(|d| {
                    d.args
                        .iter()
                        .any(|a| matches!(a, Value::Ident(arg) if arg == name))
                })
            })
        })
}
