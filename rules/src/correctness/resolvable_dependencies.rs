use nestlint_diagnostics::{Fix, Severity};
use nestlint_engine::di::{token_name, Token, Unresolved};
use nestlint_engine::edits::relative_specifier;
use nestlint_engine::nest::ClassKey;
use nestlint_engine::packages::PACKAGE_MODULES;
use nestlint_engine::{
    Category, DiagnosticExt, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta, Scope,
    Symbol,
};

use crate::module_edits::{
    add_to_metadata, list_names, metadata_list, module_metadata, MetadataList,
};

pub struct ResolvableDependencies;

static META: RuleMeta = RuleMeta {
    id: "resolvable-dependencies",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::Sometimes,
    scope: Scope::Project,
    summary:
        "Every constructor dependency can be resolved in the module that instantiates the class",
    docs: r#"## What it does
Runs Nest's dependency resolution before anything boots. For each module of an application (the
modules reachable from the root module given to `NestFactory.create`, or every module when no
bootstrap is found), it computes what the module's context can inject, as Nest's injector does:
- its own providers, in every form: a class, `{ provide, useClass | useValue | useFactory |
  useExisting }`, string, symbol and `InjectionToken` tokens, constants and arrays holding
  providers, spreads of arrays it can read;
- what the modules it imports export (a module that exports an imported module re-exports what
  that module exports), including a project module's `static forRoot()`/`register()` whose
  returned `providers` and `exports` it can read;
- the exports of `@Global()` modules of the application, and what package modules make global
  (`ConfigModule.forRoot({ isGlobal: true })`);
- what Nest itself provides (`Reflector`, `ModuleRef`, `HttpAdapterHost`, `LazyModuleLoader`,
  `REQUEST`, `INQUIRER`, ...), and what the package modules it knows export (`JwtModule` gives
  `JwtService`, `HttpModule` gives `HttpService`, `CacheModule` gives `CACHE_MANAGER`,
  `CqrsModule` gives the buses, `TerminusModule` the health indicators, `ClientsModule` its clients
  by name, `BullModule.registerQueue` its queues, ...).

Then, for every class the module instantiates (its providers, its controllers, and the guards,
interceptors, pipes and filters its controllers bind by class), each constructor parameter (by its
type, or by its `@Inject(token)`; `@Optional()` ones excepted; an inherited constructor counts)
must be available in that context. One that is not is reported with Nest's own words.

Repositories and models (`@InjectRepository`, `@InjectModel`) are checked by
`valid-repository-injection`, and parameters imported with `import type` by
`no-type-only-di-import`.

## Why is this bad?
Nest refuses to boot: "Nest can't resolve dependencies of the OrdersService (?, MailService).
Please make sure that the argument UsersService at index [0] is available in the OrdersModule
context." A developer meets these one at a time, by starting the application; a module that is
loaded lazily, or only in one of several applications, meets it in production.

## Example
```ts,expect_diagnostic
import { Injectable, Module } from '@nestjs/common';

@Injectable()
export class UsersService {}

@Module({ providers: [UsersService] })
export class UsersModule {}

@Injectable()
export class OrdersService {
  constructor(private readonly users: UsersService) {}
}

@Module({ imports: [UsersModule], providers: [OrdersService] })
export class OrdersModule {}
```

Use instead:
```ts
import { Injectable, Module } from '@nestjs/common';

@Injectable()
export class UsersService {}

@Module({ providers: [UsersService], exports: [UsersService] })
export class UsersModule {}

@Injectable()
export class OrdersService {
  constructor(private readonly users: UsersService) {}
}

@Module({ imports: [UsersModule], providers: [OrdersService] })
export class OrdersModule {}
```

## When it stays silent
Unknown means silent: nothing is reported in a module whose providers or imports the engine cannot
read completely (a spread or variable it cannot follow, an import it cannot resolve, a dynamic
module whose `static` method it cannot read), nor in an application whose module graph it cannot
read completely (a global module may hide there). A module from a package nestlint does not know
may provide that package's own classes and anything named in its arguments: those are not
reported. Parameters typed with an interface, a generic type or a type from another package, and
custom parameter decorators, have tokens the engine cannot know: they are not checked.

## Fix
Unsafe (`--unsafe-fixes`), offered when the remedy is one edit in one file and the class is the
token:
- the class is a provider of a module the reporting module imports: it is added to that module's
  `exports`;
- the class is exported by exactly one project module, which the reporting module does not
  import: that module is added to the reporting module's `imports` (and imported into its file),
  unless it imports the reporting module itself (a cycle Nest needs `forwardRef` for), has
  `static` methods (it may need `forRoot()`), or lives in another app or library of the
  monorepo.

Unsafe because the wiring is a design choice: the project may rather move the class to a shared
module.

## References
- https://docs.nestjs.com/faq/common-errors#cannot-resolve-dependency-error
- https://docs.nestjs.com/modules#shared-modules
- https://docs.nestjs.com/fundamentals/custom-providers
"#,
};

impl Rule for ResolvableDependencies {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let injection = index.injection();
        for unresolved in &injection.unresolved {
            // Repositories and models belong to valid-repository-injection.
            if matches!(unresolved.token, Token::Repository(_) | Token::Model(_)) {
                continue;
            }
            let file = unresolved.class.file;
            if !index.file(file).is_target || index.file(file).is_test {
                continue;
            }
            report(index, ctx, unresolved);
        }
        for need in &injection.unresolved_needs {
            if matches!(need.token, Token::Repository(_) | Token::Model(_)) {
                continue;
            }
            let file = need.module.file;
            if !index.file(file).is_target || index.file(file).is_test {
                continue;
            }
            let module = index.class_at(need.module);
            let token = token_name(index, &need.token);
            let shown: Vec<&str> = need
                .names
                .iter()
                .enumerate()
                .map(|(i, name)| if i == need.index { "?" } else { name.as_str() })
                .collect();
            let probe = Unresolved {
                class: need.module,
                module: need.module,
                index: need.index,
                names: need.names.clone(),
                token: need.token.clone(),
                declared_in: need.module,
            };
            let help = remedy(index, &probe, &token);
            ctx.report(
                index,
                file,
                module.name_range,
                format!(
                    "Nest can't resolve dependencies of the {} ({}): the argument {token} at index [{}] is not available in the {} context",
                    token_name(index, &need.provider),
                    shown.join(", "),
                    need.index,
                    module.name
                ),
            )
            .help(help)
            .note(format!(
                "the provider {} of {} needs it (`inject` or `useExisting`)",
                token_name(index, &need.provider),
                module.name
            ));
        }
    }
}

fn report(index: &ProjectIndex, ctx: &mut ProjectContext<'_>, unresolved: &Unresolved) {
    let class = index.class_at(unresolved.class);
    let module = index.class_at(unresolved.module);
    let declaring = index.class_at(unresolved.declared_in);
    let param = &declaring.constructor_params[unresolved.index];
    let token = token_name(index, &unresolved.token);
    let shown: Vec<&str> = unresolved
        .names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            if i == unresolved.index {
                "?"
            } else {
                name.as_str()
            }
        })
        .collect();
    let message = format!(
        "Nest can't resolve dependencies of the {} ({}): the argument {token} at index [{}] is not available in the {} context",
        class.name,
        shown.join(", "),
        unresolved.index,
        module.name
    );
    let help = remedy(index, unresolved, &token);
    let inherited = unresolved.declared_in != unresolved.class;
    let (at_file, at_range) = if inherited {
        (unresolved.class.file, class.name_range)
    } else {
        (
            unresolved.class.file,
            param.type_range.unwrap_or(param.range),
        )
    };
    let module_path = index.file(unresolved.module.file).path.clone();
    let fix = wiring_fix(index, ctx, unresolved);
    let diagnostic = ctx
        .report(index, at_file, at_range, message)
        .fix(fix)
        .help(help)
        .label(
            module_path,
            module.name_range,
            format!(
                "{}'s context: its providers, and what the modules it imports export",
                module.name
            ),
        );
    if inherited {
        let path = index.file(unresolved.declared_in.file).path.clone();
        diagnostic.label(
            path,
            param.range,
            format!("inherited from {}'s constructor", declaring.name),
        );
    }
    if let Token::Class(key) = &unresolved.token {
        let declared = index.class_at(*key);
        let path = index.file(key.file).path.clone();
        diagnostic.label(
            path,
            declared.name_range,
            format!("{} is declared here", declared.name),
        );
    }
}

/// The fix, in words: which module to export from, which to import, or that nothing provides it.
fn remedy(index: &ProjectIndex, unresolved: &Unresolved, token: &str) -> String {
    let injection = index.injection();
    let module = unresolved.module;
    let module_name = &index.class_at(module).name;
    let scope = injection.scopes.get(&module);
    let mut providers: Vec<ClassKey> = injection
        .scopes
        .iter()
        .filter(|(_, s)| s.provided.contains(&unresolved.token))
        .map(|(key, _)| *key)
        .collect();
    providers.sort();
    let imports = |target: &ClassKey| scope.is_some_and(|s| s.imports.contains(target));
    if let Some(provider) = providers.first() {
        let provider_name = &index.class_at(*provider).name;
        let exports = injection
            .scopes
            .get(provider)
            .is_some_and(|s| s.exports.contains(&unresolved.token));
        return match (imports(provider), exports) {
            (true, _) => {
                format!("export {token} from {provider_name}, which {module_name} imports")
            }
            (false, true) if imports_reach(index, *provider, module, false) => format!(
                "import {provider_name} into {module_name} with `forwardRef(() => {provider_name})`: {provider_name} imports {module_name}, and Nest needs forwardRef on both sides of a cycle"
            ),
            (false, true) => format!("import {provider_name} into {module_name}"),
            (false, false) => format!(
                "export {token} from {provider_name} and import {provider_name} into {module_name}"
            ),
        };
    }
    if let Token::Package(name) = &unresolved.token {
        if let Some(package) = PACKAGE_MODULES
            .iter()
            .find(|m| m.exports.contains(&name.as_str()))
        {
            return format!(
                "import {} (from `{}`) into {module_name}, or into a global module",
                package.module, package.source
            );
        }
        if name == "Logger" {
            return format!(
                "add Logger to {module_name}'s providers, or create it in the class: `new Logger({}.name)`",
                index.class_at(unresolved.class).name
            );
        }
    }
    if let Token::Queue(name) = &unresolved.token {
        return format!(
            "register the queue in {module_name}: `BullModule.registerQueue({{ name: '{name}' }})`"
        );
    }
    format!("no module provides {token}: add it to {module_name}'s providers, or to a module {module_name} imports that exports it")
}

/// The fix for the one-file remedies of [`remedy`]: export the class from the module that
/// provides it and is imported, or import the one module that exports it.
fn wiring_fix(
    index: &ProjectIndex,
    ctx: &ProjectContext<'_>,
    unresolved: &Unresolved,
) -> Option<Fix> {
    let Token::Class(class) = &unresolved.token else {
        return None;
    };
    let injection = index.injection();
    let module = unresolved.module;
    let scope = injection.scopes.get(&module)?;
    let class_name = index.class_at(*class).name.as_str();
    let declared = |file, name: &str| -> bool {
        matches!(index.resolve(file, name), Symbol::Declared { file: f, name: n } if f == class.file && n == name)
    };
    let mut providing: Vec<ClassKey> = injection
        .scopes
        .iter()
        .filter(|(_, s)| s.provided.contains(&unresolved.token))
        .map(|(key, _)| *key)
        .collect();
    providing.sort();
    // Several modules provide it: which one to use is the user's choice.
    if providing.len() > 1 {
        return None;
    }
    if let Some(&provider) = providing.first().filter(|p| scope.imports.contains(p)) {
        // Export it: the class must be a plain entry of the provider's `providers`.
        let source = ctx.source(index, provider.file)?;
        let tree = ctx.tree_for_edit(index, provider.file)?;
        let metadata = module_metadata(index, provider, tree.root_node())?;
        let MetadataList::Array(providers) = metadata_list(metadata, source, "providers")? else {
            return None;
        };
        if !list_names(providers, source, class_name) || !declared(provider.file, class_name) {
            return None;
        }
        let exports = metadata_list(metadata, source, "exports")?;
        let edit = add_to_metadata(source, metadata, exports, "exports", class_name);
        return Some(
            Fix::unsafe_edits(
                format!(
                    "export `{class_name}` from `{}`",
                    index.class_at(provider).name
                ),
                vec![edit],
            )
            .in_file(index.file(provider.file).path.clone()),
        );
    }
    // Import the one module that exports it.
    let mut exporting = injection
        .scopes
        .iter()
        .filter(|(key, s)| **key != module && s.exports.contains(&unresolved.token))
        .map(|(key, _)| *key);
    let exporter = exporting.next()?;
    if exporting.next().is_some() || imports_reach(index, exporter, module, true) {
        return None;
    }
    let exporter_class = index.class_at(exporter);
    let exporter_name = exporter_class.name.as_str();
    if exporter_class.methods.iter().any(|m| m.is_static)
        || index.file(exporter.file).app_root != index.file(module.file).app_root
        || !matches!(index.resolve_export(exporter.file, exporter_name, 0),
            Symbol::Declared { file, .. } if file == exporter.file)
    {
        return None;
    }
    let source = ctx.source(index, module.file)?;
    let tree = ctx.tree_for_edit(index, module.file)?;
    let metadata = module_metadata(index, module, tree.root_node())?;
    let imports = metadata_list(metadata, source, "imports")?;
    let mut edits = Vec::new();
    let bound = matches!(index.resolve(module.file, exporter_name),
        Symbol::Declared { file, .. } if file == exporter.file);
    if !bound {
        let site = ctx.import_site(index, module.file)?;
        let module_dir = index.file(module.file).path.parent()?;
        let specifier = relative_specifier(module_dir, &index.file(exporter.file).path)?;
        edits.extend(site.ensure(&specifier, exporter_name).ok()?);
    }
    edits.push(add_to_metadata(
        source,
        metadata,
        imports,
        "imports",
        exporter_name,
    ));
    Some(
        Fix::unsafe_edits(
            format!(
                "import `{exporter_name}` into `{}`",
                index.class_at(module).name
            ),
            edits,
        )
        .in_file(index.file(module.file).path.clone()),
    )
}

/// Whether `from` imports `to`, directly or through the modules it imports; an import the
/// engine cannot read counts as reaching when `unread_reaches`.
fn imports_reach(index: &ProjectIndex, from: ClassKey, to: ClassKey, unread_reaches: bool) -> bool {
    let scopes = &index.injection().scopes;
    let mut seen = vec![from];
    let mut stack = vec![from];
    while let Some(key) = stack.pop() {
        let Some(scope) = scopes.get(&key) else {
            continue;
        };
        // An import the engine cannot read may lead anywhere.
        if unread_reaches && scope.unseen.anything {
            return true;
        }
        for next in &scope.imports {
            if *next == to {
                return true;
            }
            if !seen.contains(next) {
                seen.push(*next);
                stack.push(*next);
            }
        }
    }
    false
}
