use std::collections::{HashMap, HashSet};

use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::apps::{Application, Served};
use nestlint_engine::facts::{ClassFact, DecoratorFact, FunctionFact, MethodFact, TypeRef, Value};
use nestlint_engine::nest::{NEST_COMMON, NEST_CORE};
use nestlint_engine::syntax::{text, unwrap_expression, Field, ImportedName, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, Scope, Symbol,
};
use nestlint_syntax::Name;

use crate::code::{call_arguments, call_callee, enclosing_method, literal_string};
use crate::guard_scope::{calls_project_code, guard_like, Bindings, Bound, MAX_DEPTH};

pub struct RolesMetadataEnforced;

static META: RuleMeta = RuleMeta {
    id: "roles-metadata-enforced",
    category: Category::Security,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "Authorization metadata (`@Roles()`, `@Permissions()`) is read by a guard that runs on the routes it marks",
    docs: r#"## What it does
Reports authorization metadata that restricts nothing. The metadata is set by a decorator of the
project whose name or key speaks of roles, permissions, policies, scopes or abilities, written as
`export const Roles = (...roles) => SetMetadata(ROLES_KEY, roles)`, as a function returning
`SetMetadata(...)` (alone or in `applyDecorators(...)` with other Nest decorators), or as
`export const Roles = Reflector.createDecorator<Role[]>()`. Two things are reported:
- the decorator, when routes use it and no code of the project reads its metadata: no
  `reflector.get(...)`, `getAllAndOverride(...)`, `getAllAndMerge(...)` or
  `Reflect.getMetadata(...)` is given its key (or, for `createDecorator`, the decorator);
- each use of it on a route (or on a controller, when none of its routes is covered) that no
  guard reading the metadata runs on. A guard runs on a route when it is in `@UseGuards(...)` of
  the route, its controller or a base class, bound by a project decorator that composes
  `UseGuards`, or global in an application serving the route (`APP_GUARD`,
  `app.useGlobalGuards(...)`; a route served by several applications is reported only when none
  of them runs one). A guard that extends, injects, constructs or calls the reading guard counts
  as reading.

## Why is this bad?
`SetMetadata` only attaches data to the route; a guard has to read it and refuse the request.
When no guard does (the `RolesGuard` was never written, reads another key, or is bound on some
controllers and forgotten on this one), every route marked `@Roles(Role.Admin)` is open to any
user who gets past authentication, while the code reads as if it were restricted. Real Nest
serving the project fixtures `authz-*` answers such routes with 200 to a caller without the role;
that is one of nestlint's tests.

## Example
```ts,expect_diagnostic
import { Controller, Delete, Param, SetMetadata } from '@nestjs/common';

export const ROLES_KEY = 'roles';
export const Roles = (...roles: string[]) => SetMetadata(ROLES_KEY, roles);

@Controller('invoices')
export class InvoicesController {
  @Roles('admin')
  @Delete(':id')
  remove(@Param('id') id: string) {}
}
```

```ts,expect_diagnostic
import { CanActivate, Controller, Delete, ExecutionContext, Injectable, Module, Param, SetMetadata, UseGuards } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';

export const ROLES_KEY = 'roles';
export const Roles = (...roles: string[]) => SetMetadata(ROLES_KEY, roles);

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<string[]>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    const user = context.switchToHttp().getRequest().user;
    return !roles || roles.some((role) => user?.roles?.includes(role));
  }
}

@Controller('invoices')
@UseGuards(AuthGuard('jwt')) // authenticates, but `RolesGuard` is not bound here
export class InvoicesController {
  @Roles('admin')
  @Delete(':id')
  remove(@Param('id') id: string) {}
}

@Module({ controllers: [InvoicesController], providers: [RolesGuard] })
export class AppModule {}

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  await app.listen(3000);
}
bootstrap();
```

Use instead:
```ts
import { CanActivate, Controller, Delete, ExecutionContext, Injectable, Param, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

export const ROLES_KEY = 'roles';
export const Roles = (...roles: string[]) => SetMetadata(ROLES_KEY, roles);

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<string[]>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    const user = context.switchToHttp().getRequest().user;
    return !roles || roles.some((role) => user?.roles?.includes(role));
  }
}

@Controller('invoices')
@UseGuards(RolesGuard)
export class InvoicesController {
  @Roles('admin')
  @Delete(':id')
  remove(@Param('id') id: string) {}
}
```

## When it stays silent
- a metadata read whose key the rule cannot read (`getAllAndOverride(this.key, ...)`,
  `this.reflector.get(key, ...)` with a parameter, `Reflect.getMetadata(keys.roles, ...)`): it
  may be the one;
- decorators that call project code or packages other than Nest's (they may enforce what they set
  some other way), pass their arguments to a guard (`UseGuards(RoleGuard(roles))`), or are
  imported from a package (`nest-access-control` reads its own);
- metadata whose name and key say nothing of authorization (`@FeatureFlag()`, `@Public()`: see
  `routes-guarded`), and decorators no route uses; test files.

Per route, it also stays silent when:
- a guard bound there cannot be read (a guard built by a project function, a spread, a guard from
  a package other than `@nestjs/passport` and `@nestjs/throttler`, a decorator from another
  package that may bind one), or may reach the reading guard through `ModuleRef` or a file that
  imports it;
- some metadata is read outside a class (a helper), in an interceptor or service, or with a key
  the rule cannot see outside a guard: then a guard that calls project code (a service it
  injects, a function it imports) may read any key;
- the application serving the controller is not in sight (no `NestFactory.create` found, a
  module list it cannot read, an `APP_GUARD` with a factory).

## References
- https://docs.nestjs.com/security/authorization#basic-rbac-implementation
- https://docs.nestjs.com/fundamentals/execution-context#reflection-and-metadata
"#,
};

/// Words that make metadata about authorization.
const AUTHORIZATION_WORDS: &[&str] = &["role", "permission", "polic", "scope", "abilit", "claim"];

/// Methods that read metadata by key: `Reflector`'s, and `Reflect.getMetadata`.
const READERS: &[&str] = &[
    "get",
    "getAll",
    "getAllAndOverride",
    "getAllAndMerge",
    "getMetadata",
    "getOwnMetadata",
];

/// What the project pass needs of a file.
#[derive(serde::Serialize, serde::Deserialize)]
enum Stashed {
    /// A read of metadata, and the class whose method makes it (`RolesGuard`); `None` outside a
    /// class's method.
    Read { key: KeyRead, class: Option<String> },
    /// A class's method calling a static method of a guard (`RolesGuard.check(...)`): it may run
    /// what that guard reads.
    GuardCall { class: String, guard: String },
}

/// What a metadata read names as its key.
#[derive(serde::Serialize, serde::Deserialize)]
enum KeyRead {
    Ident(String),
    String(String),
    /// A key the rule cannot read (`this.key`), given to a read of metadata.
    Unknown,
}

/// Whether a word of `name` (`ROLES_KEY`, `requirePermissions`, `'scopes'`) starts with one of
/// [`AUTHORIZATION_WORDS`]: `AVAILABILITY` is not `ability`.
fn speaks_of_authorization(name: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        let boundary = !c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && previous_lower);
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        if c.is_ascii_alphanumeric() {
            current.push(c.to_ascii_lowercase());
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    words.push(current);
    words
        .iter()
        .any(|word| AUTHORIZATION_WORDS.iter().any(|w| word.starts_with(w)))
}

impl Rule for RolesMetadataEnforced {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["call_expression"]
    }

    fn check_node<'t>(&self, call: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let Some(method) = ctx.call_name(call) else {
            return;
        };
        // The name lies in the source: what precedes it says cheaply whether it is called on
        // something named `...Guard`.
        let name_start = (method.as_ptr() as usize).wrapping_sub(ctx.source.as_ptr() as usize);
        if ctx
            .source
            .get(..name_start)
            .is_some_and(|before| before.ends_with("Guard."))
        {
            let guard = call_callee(call, ctx.source).and_then(|c| c.object);
            let class = enclosing_method(call).and_then(|(_, class)| class.name_node());
            if let (Some(guard), Some(class)) = (guard, class) {
                ctx.stash(Stashed::GuardCall {
                    class: text(class, ctx.source).to_owned(),
                    guard: guard.to_owned(),
                });
            }
        }
        if !READERS.contains(&method) {
            return;
        }
        let Some(callee) = call_callee(call, ctx.source) else {
            return;
        };
        if callee.object.is_none() {
            return;
        }
        let Some(key) = call_arguments(call).first().map(|a| unwrap_expression(*a)) else {
            return;
        };
        let read = match key.kind_name() {
            "identifier" => KeyRead::Ident(text(key, ctx.source).to_owned()),
            _ => match literal_string(key, ctx.source) {
                Some(string) => KeyRead::String(string),
                None => KeyRead::Unknown,
            },
        };
        // `map.get(id)`, `config.get('PORT')`: only reads that may name authorization metadata
        // are kept. Any key is kept where the read is surely of metadata (`Reflector`'s own
        // methods, an object named `reflector` or `Reflect`): a parameter or a property there
        // may be the roles key, which the project pass cannot tell.
        let reads_metadata = matches!(method, "getAllAndOverride" | "getAllAndMerge")
            || callee
                .object
                .is_some_and(|o| o.to_ascii_lowercase().contains("reflect"));
        let kept = reads_metadata
            || match &read {
                KeyRead::Ident(name) | KeyRead::String(name) => speaks_of_authorization(name),
                KeyRead::Unknown => key
                    .field(Field::Property)
                    .is_some_and(|p| speaks_of_authorization(text(p, ctx.source))),
            };
        if kept {
            let class = enclosing_method(call)
                .and_then(|(_, class)| class.name_node())
                .map(|name| text(name, ctx.source).to_owned());
            ctx.stash(Stashed::Read { key: read, class });
        }
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        // Who reads each key: by the constant (or `createDecorator` decorator) it is read with,
        // and by string.
        let mut by_symbol: HashMap<Symbol, Vec<Reader>> = HashMap::new();
        let mut by_string: HashMap<String, Vec<Reader>> = HashMap::new();
        // Reads whose key the rule cannot see (`Reflect.getMetadata(key, target)` with a
        // parameter, `this.key`): any metadata may be read through them.
        let mut generic: Vec<Reader> = Vec::new();
        // Guards whose static methods a class calls, by the calling class.
        let mut guard_calls: HashMap<(FileId, Name), Vec<Symbol>> = HashMap::new();
        for (file, stashed) in index.stashed::<Stashed>(META.id) {
            let (key, class) = match stashed {
                Stashed::Read { key, class } => (key, class),
                Stashed::GuardCall { class, guard } => {
                    guard_calls
                        .entry((file, Name::from(class.as_str())))
                        .or_default()
                        .push(index.resolve(file, &guard));
                    continue;
                }
            };
            let reader = class
                .as_deref()
                .and_then(|name| index.class(&index.resolve(file, name)))
                .map(|(class_file, class)| (class_file, class.name.clone()));
            match key {
                KeyRead::Ident(name) => match index.resolve(file, &name) {
                    // A parameter or a local (`reflector.get(key, ...)` in a helper): any
                    // metadata may be read through it.
                    Symbol::Unknown => generic.push(reader),
                    symbol => by_symbol.entry(symbol).or_default().push(reader),
                },
                KeyRead::String(string) => by_string.entry(string).or_default().push(reader),
                KeyRead::Unknown => generic.push(reader),
            }
        }
        // A generic read in a guard reads every key there; one elsewhere (a helper copying
        // metadata, or one a guard may call through a service) leaves open which routes it
        // restricts.
        let (generic_guards, loose): (Vec<Reader>, Vec<Reader>) =
            generic.into_iter().partition(|reader| {
                reader.as_ref().is_some_and(|(file, name)| {
                    index
                        .file(*file)
                        .facts
                        .class(name)
                        .is_some_and(|class| guard_like(index, *file, class))
                })
            });
        let any_generic = !generic_guards.is_empty() || !loose.is_empty();
        let mut scope = GuardScope::new(index, !loose.is_empty(), guard_calls);
        for (file, indexed) in index.files() {
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            for function in &indexed.facts.functions {
                let Some(key) = metadata_key(index, file, function) else {
                    continue;
                };
                // Where it is declared: the `const` of an arrow, else the function.
                let range = indexed
                    .facts
                    .constants
                    .iter()
                    .find(|c| c.name == function.name)
                    .map_or(function.range, |c| c.range);
                let decorator = index.resolve(file, &function.name);
                let mut readers: Vec<Reader> = Vec::new();
                let mut add = |found: Option<&Vec<Reader>>| {
                    readers.extend(found.into_iter().flatten().cloned());
                };
                add(by_symbol.get(&decorator));
                let key_text = match &key {
                    MetadataKey::Decorator => format!("`{}`", function.name),
                    MetadataKey::Ident(name) => {
                        let symbol = index.resolve(file, name);
                        add(by_symbol.get(&symbol));
                        if let Some(string) = const_string(index, &symbol) {
                            add(by_string.get(&string));
                        }
                        format!("`{name}`")
                    }
                    MetadataKey::String(string) => {
                        add(by_string.get(string));
                        format!("`'{string}'`")
                    }
                };
                let about_authorization = speaks_of_authorization(&function.name)
                    || match &key {
                        MetadataKey::Ident(name) | MetadataKey::String(name) => {
                            speaks_of_authorization(name)
                        }
                        MetadataKey::Decorator => false,
                    };
                if !about_authorization {
                    continue;
                }
                if readers.is_empty() {
                    // Some read of an unseen key may be this one.
                    if any_generic {
                        continue;
                    }
                    report_unread(
                        index,
                        ctx,
                        file,
                        (&function.name, range),
                        &key_text,
                        &decorator,
                    );
                    continue;
                }
                readers.extend(generic_guards.iter().cloned());
                if let Some(readers) = scope.guards_reading(&readers) {
                    report_unbound(index, ctx, &mut scope, &function.name, &decorator, &readers);
                }
            }
        }
    }
}

/// A class whose method reads metadata, or `None` for a read outside a class's method.
type Reader = Option<(FileId, Name)>;

/// Reports a decorator whose metadata no code reads.
fn report_unread(
    index: &ProjectIndex,
    ctx: &mut ProjectContext<'_>,
    file: FileId,
    (name, range): (&str, TextRange),
    key_text: &str,
    decorator: &Symbol,
) {
    let (controllers, handlers) = route_uses(index, decorator);
    if controllers + handlers == 0 {
        return;
    }
    let count = |n: usize, what: &str| match n {
        0 => None,
        1 => Some(format!("1 {what}")),
        n => Some(format!("{n} {what}s")),
    };
    let marked = [count(handlers, "route"), count(controllers, "controller")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" and ");
    let verb = if controllers + handlers == 1 {
        "is"
    } else {
        "are"
    };
    let routes = format!("the {marked} it marks {verb}");
    ctx.report(
        index,
        file,
        range,
        format!(
            "`@{name}()` sets metadata ({key_text}) that no guard reads: {routes} not restricted by it"
        ),
    )
    .note("`SetMetadata` only attaches data to a route; any authenticated user passes until a guard reads it and refuses")
    .help("write a guard that reads it with `reflector.getAllAndOverride(...)` and bind it (`APP_GUARD`, or `@UseGuards()` where the decorator is used)");
}

/// Reports the routes a decorator marks where none of the guards reading its metadata runs: not
/// bound by `@UseGuards()` on the route, its controller or a base class, nor globally by an
/// application serving it.
fn report_unbound(
    index: &ProjectIndex,
    ctx: &mut ProjectContext<'_>,
    scope: &mut GuardScope<'_>,
    name: &str,
    decorator: &Symbol,
    readers: &HashSet<(FileId, Name)>,
) {
    let applications = index.applications();
    let controller_modules = index.controller_modules();
    let mut names: Vec<&str> = readers.iter().map(|(_, name)| name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let names = names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let note = format!(
        "{names} reads it, but is not in `@UseGuards()` of the route or its controller, nor a global guard (`APP_GUARD`, `useGlobalGuards()`) of the application serving it; a caller the other guards let through is not checked against it"
    );
    let help = "bind the guard that reads it: `@UseGuards(...)` on the controller or the route, or an `APP_GUARD` provider";
    for (key, controller) in index.controllers() {
        let indexed = index.file(key.file);
        if !indexed.is_target || indexed.is_test {
            continue;
        }
        let marks = |d: &&DecoratorFact| index.resolve_callee(key.file, &d.callee) == *decorator;
        let handlers = index.route_handlers(key.file, controller);
        let on_class: Vec<&DecoratorFact> = controller.decorators.iter().filter(marks).collect();
        let on_handlers: Vec<(&MethodFact, &DecoratorFact)> = handlers
            .iter()
            .flat_map(|h| h.decorators.iter().filter(marks).map(move |d| (*h, d)))
            .collect();
        if handlers.is_empty() || (on_class.is_empty() && on_handlers.is_empty()) {
            continue;
        }
        let modules = controller_modules.get(&key).map_or(&[][..], Vec::as_slice);
        // Only the applications serving the controller say which global guards apply.
        let Served::By(apps) = applications.serving(index, key.file, modules) else {
            continue;
        };
        let class_guards = scope.class_guards(key.file, controller);
        let cover = |scope: &mut GuardScope<'_>, handler: &MethodFact| {
            let mut bound = class_guards.clone();
            scope.decorator_guards(key.file, &handler.decorators, &mut bound);
            let route = scope.cover(&bound, readers);
            // Restricted where any serving application runs a reading guard: only a route that
            // no application checks is reported.
            apps.iter()
                .map(|app| route.max(scope.app_cover(app, readers)))
                .max()
                .unwrap_or(Cover::Unknown)
        };
        if !on_class.is_empty() && handlers.iter().all(|h| cover(scope, h) == Cover::No) {
            for decorator in &on_class {
                ctx.report(
                    index,
                    key.file,
                    decorator.range,
                    format!(
                        "`@{name}()` on `{}` is not enforced: no guard bound to its routes reads its metadata",
                        controller.name
                    ),
                )
                .note(note.clone())
                .help(help);
            }
        }
        for (handler, decorator) in on_handlers {
            if cover(scope, handler) != Cover::No {
                continue;
            }
            ctx.report(
                index,
                key.file,
                decorator.range,
                format!(
                    "`@{name}()` on `{}()` is not enforced: no guard bound to the route reads its metadata",
                    handler.name
                ),
            )
            .note(note.clone())
            .help(help);
        }
    }
}

/// Whether a route runs a guard that reads some metadata. Ordered: the strongest answer wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Cover {
    No,
    /// A guard the rule cannot read, or one that may call a reading guard.
    Unknown,
    Yes,
}

/// Which guards run for a route, and whether they read some metadata.
struct GuardScope<'i> {
    index: &'i ProjectIndex,
    bindings: Bindings<'i>,
    /// Some metadata is read outside a guard with a key the rule cannot see: a guard that may
    /// call project code (a service it injects, a function it imports) may read any key.
    loose_reads: bool,
    /// Guards whose static methods a class calls, by the calling class.
    guard_calls: HashMap<(FileId, Name), Vec<Symbol>>,
}

impl<'i> GuardScope<'i> {
    fn new(
        index: &'i ProjectIndex,
        loose_reads: bool,
        guard_calls: HashMap<(FileId, Name), Vec<Symbol>>,
    ) -> Self {
        GuardScope {
            index,
            bindings: Bindings::new(index),
            loose_reads,
            guard_calls,
        }
    }

    /// The reading classes, when every read is a guard's that only binding can bring into a
    /// route; `None` when some read is made elsewhere (an interceptor, a service, a function) or
    /// a class other than a guard injects or constructs a reading guard, since the rule cannot
    /// tell which routes those reach.
    fn guards_reading(&self, readers: &[Reader]) -> Option<HashSet<(FileId, Name)>> {
        let index = self.index;
        let mut guards = HashSet::new();
        for reader in readers {
            let (file, name) = reader.as_ref()?;
            let class = index.file(*file).facts.class(name)?;
            if !guard_like(index, *file, class) {
                return None;
            }
            guards.insert((*file, name.clone()));
        }
        for (file, indexed) in index.files() {
            if indexed.is_test {
                continue;
            }
            for class in &indexed.facts.classes {
                if !guard_like(index, file, class) && self.uses_reader(file, class, &guards) {
                    return None;
                }
            }
        }
        Some(guards)
    }

    /// Whether `class` injects or constructs one of `readers`.
    fn uses_reader(
        &self,
        file: FileId,
        class: &ClassFact,
        readers: &HashSet<(FileId, Name)>,
    ) -> bool {
        let is_reader = |name: &str| {
            self.index
                .class(&self.index.resolve(file, name))
                .is_some_and(|(f, c)| readers.contains(&(f, c.name.clone())))
        };
        let calls_reader = self
            .guard_calls
            .get(&(file, class.name.clone()))
            .is_some_and(|guards| {
                guards.iter().any(|guard| {
                    self.index
                        .class(guard)
                        .is_some_and(|(f, c)| readers.contains(&(f, c.name.clone())))
                })
            });
        calls_reader
            || class
                .constructor_params
                .iter()
                .any(|param| match &param.ty {
                    Some(TypeRef::Named { name, .. }) => is_reader(name),
                    _ => false,
                })
            || class.constructs.iter().any(|(name, _)| is_reader(name))
    }

    fn class_guards(&mut self, file: FileId, class: &ClassFact) -> Bound {
        self.bindings.class_guards(file, class)
    }

    fn decorator_guards(&mut self, file: FileId, decorators: &[DecoratorFact], into: &mut Bound) {
        self.bindings.decorator_guards(file, decorators, into);
    }

    /// Whether one of `bound` is, extends, injects or constructs a reading guard.
    fn cover(&self, bound: &Bound, readers: &HashSet<(FileId, Name)>) -> Cover {
        let start = if bound.unknown {
            Cover::Unknown
        } else {
            Cover::No
        };
        bound
            .guards
            .iter()
            .map(|(file, guard)| self.guard_cover(*file, guard, readers))
            .fold(start, Cover::max)
    }

    /// What an application's global guards give every route it serves.
    fn app_cover(&self, app: &Application, readers: &HashSet<(FileId, Name)>) -> Cover {
        // Without its bootstrap in sight, `useGlobalGuards(...)` may bind anything.
        if app.implicit || app.unknown_guard {
            return Cover::Unknown;
        }
        app.guards
            .iter()
            .map(|(file, guard)| self.guard_cover(*file, guard, readers))
            .fold(Cover::No, Cover::max)
    }

    fn guard_cover(&self, file: FileId, guard: &Value, readers: &HashSet<(FileId, Name)>) -> Cover {
        match guard {
            Value::Ident(name) => self.class_cover(file, name, readers, 0),
            Value::New { class, .. } if class.object.is_none() => {
                self.class_cover(file, &class.name, readers, 0)
            }
            Value::Call { callee, .. } => mixin_cover(&self.index.resolve_callee(file, callee)),
            _ => Cover::Unknown,
        }
    }

    fn class_cover(
        &self,
        file: FileId,
        name: &str,
        readers: &HashSet<(FileId, Name)>,
        depth: usize,
    ) -> Cover {
        let index = self.index;
        let symbol = index.resolve(file, name);
        if depth > MAX_DEPTH {
            return Cover::Unknown;
        }
        if let Symbol::External { source, .. } = &symbol {
            return package_guard_cover(source);
        }
        let Some((class_file, class)) = index.class(&symbol) else {
            return Cover::Unknown;
        };
        if readers.contains(&(class_file, class.name.clone()))
            || self.uses_reader(class_file, class, readers)
        {
            return Cover::Yes;
        }
        // A guard that may reach a reading guard another way: through `ModuleRef`, or a file
        // that imports one (`RolesGuard.check(...)`).
        let mut cover = if self.may_reach(class_file, class, readers) {
            Cover::Unknown
        } else {
            Cover::No
        };
        match &class.extends {
            None => {}
            Some(Value::Ident(base)) => {
                cover = cover.max(self.class_cover(class_file, base, readers, depth + 1));
            }
            Some(Value::Call { callee, .. }) => {
                cover = cover.max(mixin_cover(&index.resolve_callee(class_file, callee)));
            }
            Some(_) => cover = Cover::Unknown.max(cover),
        }
        cover
    }

    fn may_reach(
        &self,
        file: FileId,
        class: &ClassFact,
        readers: &HashSet<(FileId, Name)>,
    ) -> bool {
        let index = self.index;
        let by_module_ref = class
            .constructor_params
            .iter()
            .any(|param| match &param.ty {
                Some(TypeRef::Named { name, .. }) => index
                    .resolve(file, name)
                    .is_external(NEST_CORE, "ModuleRef"),
                _ => false,
            });
        let facts = &index.file(file).facts;
        if self.loose_reads && calls_project_code(index, file, class) {
            return true;
        }
        // Beside a reading guard named otherwise, a guard may reach it in ways not stashed.
        by_module_ref
            || readers
                .iter()
                .any(|(reader_file, name)| *reader_file == file && !name.ends_with("Guard"))
            || facts.imports.iter().any(|import| match &import.imported {
                ImportedName::Namespace => import.source.starts_with('.'),
                _ => {
                    !import.type_only
                        && index
                            .class(&index.resolve(file, &import.local))
                            .is_some_and(|(f, c)| readers.contains(&(f, c.name.clone())))
                }
            })
    }
}

/// A guard a package exports: passport's and the throttler's read no project metadata.
fn package_guard_cover(source: &str) -> Cover {
    if matches!(source, "@nestjs/passport" | "@nestjs/throttler") {
        Cover::No
    } else {
        Cover::Unknown
    }
}

/// A guard built by a call: `AuthGuard('jwt')` reads no project metadata; a project mixin may.
fn mixin_cover(callee: &Symbol) -> Cover {
    match callee {
        Symbol::External { source, .. } => package_guard_cover(source),
        _ => Cover::Unknown,
    }
}

/// The key a metadata decorator constant sets.
enum MetadataKey {
    /// `Reflector.createDecorator()`: the decorator is its own key.
    Decorator,
    Ident(String),
    String(String),
}

/// The key a project decorator factory sets: `(...roles) => SetMetadata(KEY, roles)`,
/// `function Roles(...) { return SetMetadata(KEY, ...) }`, the same composed with other Nest
/// decorators (`applyDecorators(SetMetadata(KEY, roles), UseGuards(RolesGuard))`), or
/// `Reflector.createDecorator<...>()`. `None` where it calls anything else of the project or of a
/// package other than Nest's, or passes its arguments to a guard (`UseGuards(RoleGuard(roles))`):
/// what it sets may then be enforced some other way.
fn metadata_key(
    index: &ProjectIndex,
    file: FileId,
    function: &FunctionFact,
) -> Option<MetadataKey> {
    if function.opaque {
        return None;
    }
    let mut key = None;
    for (callee, args) in &function.calls {
        let symbol = index.resolve_callee(file, callee);
        if symbol.is_external(NEST_COMMON, "SetMetadata") {
            if key.is_some() {
                return None;
            }
            key = Some(match args.first()? {
                Value::Ident(name) => MetadataKey::Ident(name.to_string()),
                Value::String(string) => MetadataKey::String(string.to_string()),
                _ => return None,
            });
        } else if callee.name == "createDecorator"
            && callee.object.as_deref().is_some_and(|object| {
                index
                    .resolve(file, object)
                    .is_external(NEST_CORE, "Reflector")
            })
        {
            if key.is_some() {
                return None;
            }
            key = Some(MetadataKey::Decorator);
        } else if symbol.is_external(NEST_COMMON, "UseGuards") {
            if !args.iter().all(|arg| matches!(arg, Value::Ident(_))) {
                return None;
            }
        } else {
            match &symbol {
                Symbol::External { source, .. } if source.starts_with("@nestjs/") => {}
                // Parameters and globals (`roles.map(...)`): nothing that enforces.
                Symbol::Unknown => {}
                _ => return None,
            }
        }
    }
    key
}

/// The string a constant is bound to.
fn const_string(index: &ProjectIndex, symbol: &Symbol) -> Option<String> {
    match &index.constant(symbol)?.1.value {
        Value::String(string) => Some(string.to_string()),
        _ => None,
    }
}

/// How many controllers and route handlers carry the decorator (test files aside).
fn route_uses(index: &ProjectIndex, decorator: &Symbol) -> (usize, usize) {
    let (mut controllers, mut handlers) = (0, 0);
    for (key, controller) in index.controllers() {
        if index.file(key.file).is_test {
            continue;
        }
        let marks = |decorators: &[nestlint_engine::facts::DecoratorFact]| {
            decorators
                .iter()
                .filter(|d| index.resolve_callee(key.file, &d.callee) == *decorator)
                .count()
        };
        controllers += marks(&controller.decorators);
        for handler in index.route_handlers(key.file, controller) {
            handlers += marks(&handler.decorators);
        }
    }
    (controllers, handlers)
}

#[cfg(test)]
mod tests {
    use super::speaks_of_authorization;

    #[test]
    fn authorization_words_start_a_word() {
        for name in [
            "ROLES_KEY",
            "requirePermissions",
            "scopes",
            "HAS_PERMISSION_KEY",
            "Policies",
        ] {
            assert!(speaks_of_authorization(name), "{name}");
        }
        for name in [
            "AVAILABILITY_SLOTS_BASE_URI",
            "controllers",
            "featureFlag",
            "isPublic",
        ] {
            assert!(!speaks_of_authorization(name), "{name}");
        }
    }
}
