//! Applications and what protects their routes. Each `NestFactory.create(Root)` outside test code
//! is an application: the modules reachable from its root, the global guards and pipes it
//! registers (`app.useGlobal*` in its bootstrap file, `APP_GUARD`/`APP_PIPE` providers of its
//! modules), and its middleware (`app.use`, `consumer.apply(...).forRoutes(...)` in its modules).
//! A controller is served by the applications whose modules declare it. Guards and middleware are
//! classified: only those that authenticate or authorise protect a route, and one the engine cannot
//! classify leaves the answer unknown.

use std::collections::{BTreeSet, HashMap};

use nestlint_diagnostics::TextRange;

use crate::facts::{AppCallKind, ClassFact, MethodFact, MiddlewareFact, Value};
use crate::index::{FileId, ProjectIndex, Symbol};
use crate::nest::{ClassKey, Coverage, Item, NEST_COMMON, NEST_CORE, ROUTE_DECORATORS};

/// One `NestFactory.create(...)`, or, in a project where the engine sees none, one scope (a
/// package or Nest monorepo project) standing for the application its code belongs to.
#[derive(Debug)]
pub struct Application {
    /// The file calling `NestFactory.create` (for a scope: its first file).
    pub file: FileId,
    pub range: TextRange,
    /// The package and Nest project the application's bootstrap (or scope) lies in.
    pub scope: (usize, std::path::PathBuf),
    /// A scope standing for an application the engine cannot see.
    pub implicit: bool,
    /// It serves HTTP: `NestFactory.create` (rather than `createMicroservice`, or
    /// `createApplicationContext` for a worker), and `listen` is called on it (in its bootstrap
    /// file or a helper beside it): a script that only creates the app to read its schema
    /// serves nothing.
    pub http: bool,
    listens: bool,
    /// The root module given to `NestFactory.create`, when resolved.
    pub root: Option<ClassKey>,
    /// The modules reachable from its root module; `None` when the root cannot be resolved (a
    /// variable, a dynamic `import()`), so that any module may belong to it.
    pub modules: Option<BTreeSet<ClassKey>>,
    /// Every import of the module graph was resolved.
    pub complete: bool,
    /// Global guards: `app.useGlobalGuards(...)` arguments and `APP_GUARD` providers' classes.
    pub guards: Vec<(FileId, Value)>,
    /// A global guard may exist that the engine cannot read (an `APP_GUARD` with a factory, a
    /// provider list it cannot read, a module it cannot resolve).
    pub unknown_guard: bool,
    /// Global pipes: `app.useGlobalPipes(...)` arguments and `APP_PIPE` providers.
    pub pipes: Vec<(FileId, Value)>,
    pub unknown_pipe: bool,
    /// `app.use(...)` arguments: middleware in front of every route.
    pub global_middleware: Vec<(FileId, Value)>,
    /// `consumer.apply(...).forRoutes(...)` of its modules.
    pub middleware: Vec<(FileId, MiddlewareFact)>,
}

impl Application {
    /// Whether this application may serve `module`: it is in its graph, or the graph cannot be
    /// listed completely.
    pub fn may_contain(&self, module: ClassKey) -> bool {
        match &self.modules {
            Some(modules) => modules.contains(&module) || !self.complete,
            None => true,
        }
    }

    pub fn contains(&self, module: ClassKey) -> bool {
        self.modules.as_ref().is_some_and(|m| m.contains(&module))
    }
}

/// Every application of the project, and which serve each controller.
#[derive(Debug, Default)]
pub struct Applications {
    pub apps: Vec<Application>,
}

/// Which applications serve a controller.
#[derive(Debug)]
pub enum Served<'a> {
    /// These applications' module graphs declare it (or, where the project bootstraps nothing the
    /// engine can see, these scopes hold or import it).
    By(Vec<&'a Application>),
    /// Applications exist, but none is known to serve it (registered dynamically, or by code
    /// outside the project): nothing can be said.
    Unknown,
}

impl Applications {
    /// The packages that bootstrap an application, when every application of theirs has a
    /// module graph read whole (its root resolved, every import resolved): only there can a
    /// rule say that no application contains a class.
    pub fn packages_read_whole(&self, index: &ProjectIndex) -> std::collections::HashSet<usize> {
        let mut read = std::collections::HashSet::new();
        let mut unread = std::collections::HashSet::new();
        for app in self.apps.iter().filter(|app| !app.implicit) {
            let package = index.file(app.file).package;
            if app.modules.is_some() && app.complete {
                read.insert(package);
            } else {
                unread.insert(package);
            }
        }
        read.retain(|package| !unread.contains(package));
        read
    }

    pub fn compute(index: &ProjectIndex) -> Applications {
        let modules = index.modules();
        let metadata: HashMap<ClassKey, Option<&Value>> = modules.iter().copied().collect();
        let mut apps = Vec::new();
        for (file, indexed) in index.files() {
            if indexed.is_test {
                continue;
            }
            for call in &indexed.facts.app_calls {
                if call.kind != AppCallKind::Bootstrap {
                    continue;
                }
                let root = match call.args.first() {
                    Some(Value::Ident(name)) => index
                        .class_key(&index.resolve(file, name))
                        .filter(|key| metadata.contains_key(key)),
                    _ => None,
                };
                let (modules, complete) = match root {
                    Some(root) => {
                        let (closure, complete) = index.module_closure([root], &metadata);
                        (Some(closure), complete)
                    }
                    None => (None, false),
                };
                apps.push(Application {
                    root,
                    file,
                    range: call.range,
                    scope: scope_key(index, file),
                    implicit: false,
                    http: call.method == "create",
                    listens: false,
                    modules,
                    complete,
                    guards: Vec::new(),
                    unknown_guard: false,
                    pipes: Vec::new(),
                    unknown_pipe: false,
                    global_middleware: Vec::new(),
                    middleware: Vec::new(),
                });
            }
        }
        if apps.is_empty() {
            apps = implicit_applications(index, &modules, &metadata);
        }
        for app in &mut apps {
            collect_app_calls(index, app);
            collect_module_providers(index, app, &metadata);
            app.http &= app.listens;
        }
        Applications { apps }
    }

    /// The applications serving a controller written in `file` and declared by `declaring`.
    pub fn serving(
        &self,
        index: &ProjectIndex,
        file: FileId,
        declaring: &[ClassKey],
    ) -> Served<'_> {
        let scope = scope_key(index, file);
        let by: Vec<&Application> = self
            .apps
            .iter()
            .filter(|app| app.http)
            .filter(|app| {
                declaring.iter().any(|m| app.contains(*m)) || (app.implicit && app.scope == scope)
            })
            .collect();
        if by.is_empty() {
            Served::Unknown
        } else {
            Served::By(by)
        }
    }
}

fn scope_key(index: &ProjectIndex, file: FileId) -> (usize, std::path::PathBuf) {
    let (package, root) = index.app_scope(file);
    (package, root.to_path_buf())
}

/// Without a bootstrap in sight, each scope stands for an application: its modules and every
/// module they import.
fn implicit_applications(
    index: &ProjectIndex,
    modules: &[(ClassKey, Option<&Value>)],
    metadata: &HashMap<ClassKey, Option<&Value>>,
) -> Vec<Application> {
    // Each scope's first file, found by the scope's bytes (comparing paths component by
    // component for every file of a monorepo cost more than the rest of this model).
    let mut first_files: HashMap<(usize, &[u8]), FileId> = HashMap::new();
    for (file, indexed) in index.files() {
        if indexed.is_test {
            continue;
        }
        let (package, root) = index.app_scope(file);
        first_files
            .entry((package, root.as_os_str().as_encoded_bytes()))
            .or_insert(file);
    }
    let mut scopes: std::collections::BTreeMap<
        (usize, std::path::PathBuf),
        (FileId, Vec<ClassKey>),
    > = first_files
        .into_values()
        .map(|file| (scope_key(index, file), (file, Vec::new())))
        .collect();
    for (module, _) in modules {
        if let Some(entry) = scopes.get_mut(&scope_key(index, module.file)) {
            entry.1.push(*module);
        }
    }
    scopes
        .into_iter()
        .map(|(scope, (file, roots))| {
            let (closure, complete) = index.module_closure(roots, metadata);
            Application {
                root: None,
                file,
                range: TextRange::default(),
                scope,
                implicit: true,
                http: true,
                listens: true,
                modules: Some(closure),
                complete,
                guards: Vec::new(),
                unknown_guard: false,
                pipes: Vec::new(),
                unknown_pipe: false,
                global_middleware: Vec::new(),
                middleware: Vec::new(),
            }
        })
        .collect()
}

/// `app.useGlobal*`, `app.use` and `app.listen` calls: those of the bootstrap's own file, and
/// those of the files beside it that bootstrap nothing (a `setup(app)` helper next to `main.ts`).
fn collect_app_calls(index: &ProjectIndex, app: &mut Application) {
    for (file, indexed) in index.files() {
        if indexed.is_test {
            continue;
        }
        let calls = &indexed.facts.app_calls;
        if calls.is_empty() {
            continue;
        }
        let own = file == app.file && !app.implicit;
        // A helper bootstraps nothing itself and lies beside the bootstrap (`setup.ts` next to
        // `main.ts`); without a bootstrap, anywhere in the scope.
        let beside = if app.implicit {
            scope_key(index, file) == app.scope
        } else {
            index.file(file).path.parent() == index.file(app.file).path.parent()
        };
        let helper = !own && beside && !calls.iter().any(|c| c.kind == AppCallKind::Bootstrap);
        if !own && !helper {
            continue;
        }
        for call in calls {
            let into = match call.kind {
                AppCallKind::UseGlobalGuards => &mut app.guards,
                AppCallKind::UseGlobalPipes => &mut app.pipes,
                AppCallKind::ApplyMiddleware => &mut app.global_middleware,
                AppCallKind::Listen => {
                    app.listens = true;
                    continue;
                }
                AppCallKind::Bootstrap | AppCallKind::SetGlobalPrefix => continue,
            };
            into.extend(call.args.iter().map(|a| (file, a.clone())));
        }
    }
}

/// `APP_GUARD`/`APP_PIPE` providers and `configure` middleware of the application's modules.
fn collect_module_providers(
    index: &ProjectIndex,
    app: &mut Application,
    metadata: &HashMap<ClassKey, Option<&Value>>,
) {
    let Some(modules) = app.modules.clone() else {
        app.unknown_guard = true;
        app.unknown_pipe = true;
        return;
    };
    if !app.complete {
        app.unknown_guard = true;
        app.unknown_pipe = true;
    }
    for module in modules {
        let meta = metadata.get(&module).copied().flatten();
        for item in index.metadata_items(module, meta, "providers") {
            let Item::Value(file, value) = item else {
                app.unknown_guard = true;
                app.unknown_pipe = true;
                continue;
            };
            let Some(Value::Ident(token)) = value.get("provide") else {
                continue;
            };
            let token = index.resolve(file, token);
            let (into, unknown) = if token.is_external(NEST_CORE, "APP_GUARD") {
                (&mut app.guards, &mut app.unknown_guard)
            } else if token.is_external(NEST_CORE, "APP_PIPE") {
                (&mut app.pipes, &mut app.unknown_pipe)
            } else {
                continue;
            };
            match ["useClass", "useExisting", "useValue"]
                .iter()
                .find_map(|key| value.get(key))
            {
                Some(class @ (Value::Ident(_) | Value::New { .. })) => {
                    into.push((file, class.clone()))
                }
                _ => *unknown = true,
            }
        }
        let class = index.class_at(module);
        let file_facts = &index.file(module.file).facts;
        for chain in &file_facts.middleware {
            if class.range.start <= chain.range.start && chain.range.end <= class.range.end {
                app.middleware.push((module.file, chain.clone()));
            }
        }
    }
}

/// What a guard or middleware does for who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardKind {
    /// It authenticates or authorises: passport's `AuthGuard`, a guard that reads credentials,
    /// a user or a session.
    Authenticates,
    /// It does something else: rate limiting, CSRF, feature flags.
    Other,
    /// The engine cannot tell.
    Unknown,
}

/// Names that say authentication or authorisation.
fn auth_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "auth",
        "jwt",
        "session",
        "token",
        "apikey",
        "api_key",
        "passport",
        "login",
        "role",
        "permission",
        "polic",
        "scope",
        "acl",
        "access",
        "owner",
        "admin",
        "user",
        "tenant",
        "member",
        "account",
        "keycloak",
        "oidc",
        "oauth",
        "clerk",
        "firebase",
        "cognito",
        "bearer",
        "signature",
        "hmac",
        "secret",
        "credential",
        "protect",
        "secure",
        "ability",
        "casl",
    ]
    .iter()
    .any(|marker| lower.contains(marker))
}

/// Names of guards that certainly do not authenticate.
fn other_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["throttl", "ratelimit", "rate_limit", "csrf", "xsrf"]
        .iter()
        .any(|marker| lower.contains(marker))
}

/// Classifies a guard as written in `@UseGuards(...)`, `useGlobalGuards(...)` or an `APP_GUARD`
/// provider: a class, `new Class(...)`, or a mixin call such as `AuthGuard('jwt')`.
pub fn classify_guard(index: &ProjectIndex, file: FileId, value: &Value) -> GuardKind {
    match value {
        Value::Call { callee, .. } => match index.resolve_callee(file, callee) {
            Symbol::External { source, name } => external_guard(&source, &name),
            Symbol::Declared { name, .. } if auth_name(&name) => GuardKind::Authenticates,
            Symbol::Declared { name, .. } if other_name(&name) => GuardKind::Other,
            _ => GuardKind::Unknown,
        },
        Value::New { class, .. } if class.object.is_none() => {
            class_guard(index, file, &class.name, 0)
        }
        Value::Ident(name) => class_guard(index, file, name, 0),
        _ => GuardKind::Unknown,
    }
}

fn external_guard(source: &str, name: &str) -> GuardKind {
    if source == "@nestjs/passport" || auth_name(name) {
        GuardKind::Authenticates
    } else if source == "@nestjs/throttler" || other_name(name) {
        GuardKind::Other
    } else {
        GuardKind::Unknown
    }
}

fn class_guard(index: &ProjectIndex, file: FileId, name: &str, depth: usize) -> GuardKind {
    if depth > 8 {
        return GuardKind::Unknown;
    }
    let symbol = index.resolve(file, name);
    match &symbol {
        Symbol::External { source, name } => external_guard(source, name),
        Symbol::Declared { .. } => {
            let Some((class_file, class)) = index.class(&symbol) else {
                return GuardKind::Unknown;
            };
            // What it extends decides first: `extends AuthGuard('jwt')`, `extends ThrottlerGuard`
            // (a throttler keyed by user id still only throttles).
            let inherited = match &class.extends {
                Some(base @ Value::Call { .. }) => Some(classify_guard(index, class_file, base)),
                Some(Value::Ident(base)) => Some(class_guard(index, class_file, base, depth + 1)),
                Some(_) => Some(GuardKind::Unknown),
                None => None,
            };
            let reads_credentials = class.reads_credentials == Some(true);
            match inherited {
                Some(GuardKind::Authenticates) => GuardKind::Authenticates,
                Some(GuardKind::Other) => GuardKind::Other,
                _ if reads_credentials || auth_name(&class.name) => GuardKind::Authenticates,
                _ if other_name(&class.name) => GuardKind::Other,
                Some(GuardKind::Unknown) => GuardKind::Unknown,
                // A guard the engine read and found nothing about callers in: it does something
                // else (feature flags, maintenance mode, IP lists).
                None if class.reads_credentials == Some(false) => GuardKind::Other,
                None => GuardKind::Unknown,
            }
        }
        _ => GuardKind::Unknown,
    }
}

/// Classifies middleware as written in `app.use(...)` or `consumer.apply(...)`.
pub fn classify_middleware(index: &ProjectIndex, file: FileId, value: &Value) -> GuardKind {
    let name = match value {
        Value::Ident(name) => name.as_str(),
        Value::Call { callee, .. } | Value::New { class: callee, .. } => {
            callee.object.as_deref().unwrap_or(&callee.name)
        }
        Value::Member { object, .. } => object.as_str(),
        Value::Arrow { .. } => return GuardKind::Unknown,
        _ => return GuardKind::Unknown,
    };
    if auth_name(name) {
        return GuardKind::Authenticates;
    }
    if let Value::Ident(name) = value {
        if let Some((_, class)) = index.class(&index.resolve(file, name)) {
            if class.reads_credentials == Some(true) {
                return GuardKind::Authenticates;
            }
        }
    }
    GuardKind::Other
}

/// An HTTP route: its method (`GET`, ..., `ALL`) and its path without leading or trailing `/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: String,
}

/// The routes a handler serves (every controller path times every handler path); `None` when a
/// path is not a literal or a constant the engine can read.
pub fn routes_of(
    index: &ProjectIndex,
    file: FileId,
    class: &ClassFact,
    handler: &MethodFact,
) -> Option<Vec<Route>> {
    let controller = class
        .decorators
        .iter()
        .find(|d| index.is_nest_decorator(file, d, "Controller"))?;
    let prefixes = match controller.args.first() {
        None => vec![String::new()],
        Some(object @ Value::Object { .. }) => match object.get("path") {
            None => vec![String::new()],
            Some(path) => paths_of(index, file, path)?,
        },
        Some(path) => paths_of(index, file, path)?,
    };
    let mut routes = Vec::new();
    for decorator in &handler.decorators {
        let Some(method) = ROUTE_DECORATORS
            .iter()
            .find(|name| index.is_nest_decorator(file, decorator, name))
        else {
            continue;
        };
        let method = route_method(method);
        let suffixes = match decorator.args.first() {
            None => vec![String::new()],
            Some(path) => paths_of(index, file, path)?,
        };
        for prefix in &prefixes {
            for suffix in &suffixes {
                routes.push(Route {
                    method,
                    path: join_paths(prefix, suffix),
                });
            }
        }
    }
    Some(routes)
}

fn route_method(decorator: &str) -> &'static str {
    match decorator {
        "Get" | "Sse" => "GET",
        "Post" => "POST",
        "Put" => "PUT",
        "Patch" => "PATCH",
        "Delete" => "DELETE",
        "Options" => "OPTIONS",
        "Head" => "HEAD",
        "Search" => "SEARCH",
        _ => "ALL",
    }
}

fn paths_of(index: &ProjectIndex, file: FileId, value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|item| crate::nest::resolve_string(index, file, item).map(|s| s.to_string()))
            .collect(),
        other => Some(vec![
            crate::nest::resolve_string(index, file, other)?.to_string()
        ]),
    }
}

pub fn join_paths(prefix: &str, suffix: &str) -> String {
    let parts: Vec<&str> = prefix
        .split('/')
        .chain(suffix.split('/'))
        .filter(|p| !p.is_empty())
        .collect();
    parts.join("/")
}

impl Application {
    /// Whether middleware that authenticates stands in front of `route` of the controller `key`.
    pub fn middleware_protection(
        &self,
        index: &ProjectIndex,
        controller: ClassKey,
        route: &Route,
    ) -> Coverage {
        let mut out = Coverage::Absent;
        for (file, value) in &self.global_middleware {
            match classify_middleware(index, *file, value) {
                GuardKind::Authenticates => out = out.merge(Coverage::Unknown),
                GuardKind::Unknown => out = out.merge(Coverage::Unknown),
                GuardKind::Other => {}
            }
        }
        for (file, chain) in &self.middleware {
            let authenticates = chain
                .middleware
                .iter()
                .any(|m| classify_middleware(index, *file, m) != GuardKind::Other);
            if !authenticates {
                continue;
            }
            let selected = chain
                .for_routes
                .iter()
                .map(|r| route_selector(index, *file, r).covers(controller, route))
                .fold(Coverage::Absent, Coverage::merge);
            let excluded = chain
                .exclude
                .iter()
                .map(|r| route_selector(index, *file, r).covers(controller, route))
                .fold(Coverage::Absent, Coverage::merge);
            let covered = match (selected, excluded) {
                (Coverage::Absent, _) | (_, Coverage::Present) => Coverage::Absent,
                (Coverage::Present, Coverage::Absent) => Coverage::Present,
                _ => Coverage::Unknown,
            };
            // Middleware is not a guard the engine can verify: covered routes are unknown.
            if covered != Coverage::Absent {
                out = out.merge(Coverage::Unknown);
            }
        }
        out
    }
}

/// What a `forRoutes`/`exclude` argument selects.
enum RouteSelector {
    Pattern { path: String, method: &'static str },
    Controller(ClassKey),
    Unknown,
}

impl RouteSelector {
    fn covers(&self, controller: ClassKey, route: &Route) -> Coverage {
        match self {
            RouteSelector::Controller(key) => {
                if *key == controller {
                    Coverage::Present
                } else {
                    Coverage::Absent
                }
            }
            RouteSelector::Pattern { path, method } => {
                if *method != "ALL" && route.method != "ALL" && *method != route.method {
                    return Coverage::Absent;
                }
                path_matches(path, &route.path)
            }
            RouteSelector::Unknown => Coverage::Unknown,
        }
    }
}

fn route_selector(index: &ProjectIndex, file: FileId, value: &Value) -> RouteSelector {
    match value {
        Value::String(path) => RouteSelector::Pattern {
            path: path.to_string(),
            method: "ALL",
        },
        object @ Value::Object { open: false, .. } => {
            let Some(path) = object
                .get("path")
                .and_then(|p| crate::nest::resolve_string(index, file, p))
            else {
                return RouteSelector::Unknown;
            };
            let method = match object.get("method") {
                None => "ALL",
                Some(Value::Member { property, .. }) => request_method(property),
                Some(_) => return RouteSelector::Unknown,
            };
            RouteSelector::Pattern {
                path: path.to_string(),
                method,
            }
        }
        Value::Ident(name) => {
            let symbol = index.resolve(file, name);
            if let Some(key) = index.class_key(&symbol) {
                return RouteSelector::Controller(key);
            }
            match crate::nest::resolve_string(index, file, value) {
                Some(path) => RouteSelector::Pattern {
                    path: path.to_string(),
                    method: "ALL",
                },
                None => RouteSelector::Unknown,
            }
        }
        _ => RouteSelector::Unknown,
    }
}

fn request_method(name: &str) -> &'static str {
    match name {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "HEAD" => "HEAD",
        "SEARCH" => "SEARCH",
        _ => "ALL",
    }
}

/// Whether the path pattern of `forRoutes` (path-to-regexp: `cats`, `cats/*`, `*`, `(.*)`,
/// `users/:id`) selects the route path `route` (whose `:param` segments match any value).
/// Patterns with syntax this reader does not model are unknown.
pub fn path_matches(pattern: &str, route: &str) -> Coverage {
    let pattern: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let route: Vec<&str> = route.split('/').filter(|s| !s.is_empty()).collect();
    let mut i = 0;
    loop {
        let Some(segment) = pattern.get(i) else {
            return if i == route.len() {
                Coverage::Present
            } else {
                Coverage::Absent
            };
        };
        if is_rest_wildcard(segment) {
            return Coverage::Present;
        }
        if segment.contains(['?', '+', '(', ')', '{', '}', '*']) {
            return Coverage::Unknown;
        }
        let Some(actual) = route.get(i) else {
            return Coverage::Absent;
        };
        let param = segment.starts_with(':') || actual.starts_with(':');
        if !param && segment != actual {
            return Coverage::Absent;
        }
        i += 1;
    }
}

fn is_rest_wildcard(segment: &str) -> bool {
    matches!(segment, "*" | "(.*)" | "(.*)*" | "*path" | "*splat")
        || (segment.starts_with("{*") && segment.ends_with('}'))
        || (segment.starts_with('*')
            && segment[1..]
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_'))
}

/// A guard from `@nestjs/common`'s point of view: what `UseGuards` receives.
pub fn use_guards_args<'a>(
    index: &ProjectIndex,
    file: FileId,
    decorators: &'a [crate::facts::DecoratorFact],
) -> Vec<&'a Value> {
    decorators
        .iter()
        .filter(|d| index.is_export_of(file, &d.callee, NEST_COMMON, "UseGuards"))
        .flat_map(|d| d.args.iter())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_like_nest_middleware() {
        assert_eq!(path_matches("*", "users/:slug"), Coverage::Present);
        assert_eq!(path_matches("(.*)", ""), Coverage::Present);
        assert_eq!(path_matches("user", "user"), Coverage::Present);
        assert_eq!(path_matches("/user/", "user"), Coverage::Present);
        assert_eq!(path_matches("user", "users/:slug"), Coverage::Absent);
        assert_eq!(path_matches("users/*", "users/:slug"), Coverage::Present);
        assert_eq!(path_matches("users/:id", "users/:slug"), Coverage::Present);
        assert_eq!(path_matches("users/me", "users/:slug"), Coverage::Present);
        assert_eq!(path_matches("articles", "articles/feed"), Coverage::Absent);
        assert_eq!(path_matches("ab*cd", "abcd"), Coverage::Unknown);
        assert_eq!(path_matches("{*splat}", "a/b"), Coverage::Present);
    }

    #[test]
    fn routes_join_without_stray_slashes() {
        assert_eq!(join_paths("/users/", ":id"), "users/:id");
        assert_eq!(join_paths("", ""), "");
        assert_eq!(join_paths("api", "/"), "api");
    }
}
