//! Dependency injection as Nest's injector resolves it, for the whole project at once: what each
//! module's context can inject (its providers in every form, what the modules it imports export,
//! global modules, Nest's own providers, the package modules of `packages.rs`), and, for every
//! class a module instantiates, each constructor dependency that context cannot give: the error
//! Nest throws at boot ("Nest can't resolve dependencies of the OrdersService (?). Please make
//! sure that the argument UsersService at index [0] is available in the OrdersModule context").
//!
//! Unknown means silent. Whatever the model cannot read (a spread it cannot follow, a dynamic
//! module whose providers it cannot see, a package module it does not know, a token computed at
//! run time) may provide something: a dependency such a thing could provide is never reported.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use nestlint_syntax::Name;

use crate::facts::{DecoratorFact, ParamFact, TypeRef, Value};
use crate::index::{FileId, ProjectIndex, Symbol};
use crate::nest::{ClassKey, Item, ModuleImport, NEST_COMMON, NEST_CORE};
use crate::packages::{package_module, FromArgs, Global, NEST_CORE_PROVIDERS};

/// What a provider is registered under.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Token {
    /// A project class.
    Class(ClassKey),
    /// A value a package exports (`JwtService`, `CACHE_MANAGER`), by name.
    Package(Name),
    /// A string (`'ORDERS_QUEUE'`, or a constant bound to one).
    String(Name),
    /// A project constant used as a token (a `Symbol`, an `InjectionToken`).
    Constant(FileId, Name),
    /// The TypeORM repository of an entity (`@InjectRepository(User)`).
    Repository(Box<Token>),
    /// A Mongoose model by name, or a Sequelize model by class (`@InjectModel(...)`).
    Model(Box<Token>),
    /// A Bull queue by name (`@InjectQueue('mail')`).
    Queue(Name),
}

/// Tokens that something the model cannot read might provide.
#[derive(Clone, Debug, Default)]
pub struct Unseen {
    /// Anything at all (an import the engine cannot resolve, a provider list it cannot read).
    pub anything: bool,
    /// Tokens named in the arguments of a module the model does not know
    /// (`SomeModule.forRoot({ providers: [MyService] })`).
    pub tokens: HashSet<Token>,
    /// Packages whose unknown modules are imported: they may provide their own exports.
    pub packages: HashSet<Name>,
}

impl Unseen {
    fn covers(&self, token: &Token, source: Option<&str>) -> bool {
        self.anything
            || self.tokens.contains(token)
            || source.is_some_and(|s| self.packages.contains(s))
    }

    fn merge(&mut self, other: &Unseen) {
        self.anything |= other.anything;
        self.tokens.extend(other.tokens.iter().cloned());
        self.packages.extend(other.packages.iter().cloned());
    }
}

/// A provider a module registers.
#[derive(Clone, Debug)]
pub struct Provider {
    pub token: Token,
    /// The class Nest instantiates for it (`X`, `{ useClass: X }`).
    pub class: Option<ClassKey>,
    /// Tokens a factory or alias needs (`inject: [...]`, `useExisting`).
    pub needs: Vec<Token>,
    /// Where it is written.
    pub file: FileId,
}

/// What one module's context holds.
#[derive(Clone, Debug, Default)]
pub struct ModuleScope {
    pub providers: Vec<Provider>,
    /// Tokens its own providers register.
    pub provided: HashSet<Token>,
    /// Tokens the modules it imports export to it.
    pub imported: HashSet<Token>,
    /// What unread providers and imports might add.
    pub unseen: Unseen,
    /// The project modules it imports (statically or through a static method).
    pub imports: Vec<ClassKey>,
    /// What it exports to the modules that import it.
    pub exports: HashSet<Token>,
    pub exports_unseen: Unseen,
    /// `@Global()`, or a dynamic module returning `global: true`.
    pub global: bool,
    /// Tokens it makes global through package modules (`ConfigModule.forRoot({ isGlobal: true })`).
    pub makes_global: HashSet<Token>,
    pub makes_global_unseen: Unseen,
}

/// A constructor dependency a module's context cannot give.
#[derive(Clone, Debug)]
pub struct Unresolved {
    /// The class being instantiated.
    pub class: ClassKey,
    /// The module it is instantiated in.
    pub module: ClassKey,
    /// The parameter's position, and how Nest names each parameter (`?` for this one).
    pub index: usize,
    pub names: Vec<String>,
    pub token: Token,
    /// The class whose constructor declares the parameter (itself, or a base class).
    pub declared_in: ClassKey,
}

/// A token a factory (`inject: [...]`) or an alias (`useExisting`) needs that its module's
/// context cannot give.
#[derive(Clone, Debug)]
pub struct UnresolvedNeed {
    pub module: ClassKey,
    /// The provider's own token.
    pub provider: Token,
    pub index: usize,
    pub names: Vec<String>,
    pub token: Token,
}

/// An `exports` entry Nest refuses: neither a provider of the module nor a module it imports.
#[derive(Clone, Debug)]
pub struct BadExport {
    pub module: ClassKey,
    /// How the entry is named in Nest's message.
    pub name: String,
    /// The entry is a module (rather than a provider token).
    pub is_module: bool,
}

/// Dependency injection over the whole project.
#[derive(Debug, Default)]
pub struct Injection {
    pub scopes: HashMap<ClassKey, ModuleScope>,
    pub bad_exports: Vec<BadExport>,
    pub unresolved: Vec<Unresolved>,
    pub unresolved_needs: Vec<UnresolvedNeed>,
}

impl ProjectIndex {
    /// Dependency injection over the project (see [`crate::di`]), computed once per run.
    pub fn injection(&self) -> &Injection {
        self.injection.get_or_init(|| Injection::compute(self))
    }
}

/// The name Nest gives a token in its messages.
pub fn token_name(index: &ProjectIndex, token: &Token) -> String {
    match token {
        Token::Class(key) => index.class_at(*key).name.to_string(),
        Token::Package(name) | Token::Constant(_, name) => name.to_string(),
        Token::String(name) => name.to_string(),
        Token::Repository(entity) => format!("{}Repository", token_name(index, entity)),
        Token::Model(model) => format!("{}Model", token_name(index, model)),
        Token::Queue(name) => format!("BullQueue_{name}"),
    }
}

/// Rounds of export computation for modules in import cycles before giving up (each round adds
/// at least one token to some module's exports; cycles of real apps settle in two or three).
const MAX_EXPORT_ROUNDS: usize = 32;

impl Injection {
    fn compute(index: &ProjectIndex) -> Injection {
        let modules = index.modules();
        let mut scopes: HashMap<ClassKey, ModuleScope> = HashMap::new();
        // Own providers, imports and the package modules' contributions first.
        let mut module_imports: HashMap<ClassKey, Vec<ImportEdge>> = HashMap::new();
        for &(module, metadata) in &modules {
            let mut scope = ModuleScope {
                global: is_global_module(index, module),
                ..ModuleScope::default()
            };
            let mut edges = Vec::new();
            read_metadata(index, module, metadata, &mut scope, &mut edges);
            module_imports.insert(module, edges);
            scopes.insert(module, scope);
        }
        // Exports, in an order where a module comes after those it imports (iteratively: a
        // chain of modules may be thousands long).
        let order = post_order(&module_imports);
        // What each module's own metadata gives, before its imports are added (each round starts
        // from it).
        let base: HashMap<ClassKey, (Unseen, HashSet<Token>, Unseen)> = scopes
            .iter()
            .map(|(key, scope)| {
                (
                    *key,
                    (
                        scope.unseen.clone(),
                        scope.makes_global.clone(),
                        scope.makes_global_unseen.clone(),
                    ),
                )
            })
            .collect();
        // Modules that import each other (through `forwardRef`) need each other's exports: the
        // first round leaves an import still being computed unknown; later rounds use what the
        // previous one found, until nothing changes (exports only grow).
        let mut done: HashSet<ClassKey> = HashSet::new();
        let mut bad_exports = Vec::new();
        let mut in_cycle = false;
        let mut round = 0;
        loop {
            bad_exports.clear();
            let before: Vec<(HashSet<Token>, Unseen)> = order
                .iter()
                .map(|m| {
                    scopes
                        .get(m)
                        .map(|s| (s.exports.clone(), s.exports_unseen.clone()))
                        .unwrap_or_default()
                })
                .collect();
            for &module in &order {
                let edges = module_imports.get(&module).cloned().unwrap_or_default();
                let mut imported: HashSet<Token> = HashSet::new();
                let mut unseen = Unseen::default();
                let mut makes_global: HashSet<Token> = HashSet::new();
                let mut makes_global_unseen = Unseen::default();
                let mut imported_modules: HashMap<ClassKey, (HashSet<Token>, Unseen)> =
                    HashMap::new();
                for edge in &edges {
                    match edge {
                        ImportEdge::Project {
                            module: target,
                            extra,
                        } => {
                            let Some(target_scope) = scopes.get(target) else {
                                unseen.anything = true;
                                continue;
                            };
                            // An import still being computed (a cycle): what it exports is not known
                            // yet.
                            if !done.contains(target) && target != &module {
                                in_cycle = true;
                                unseen.anything = true;
                                continue;
                            }
                            let mut exports = target_scope.exports.clone();
                            let mut exports_unseen = target_scope.exports_unseen.clone();
                            let mut global = target_scope.global;
                            if let Some(extra) = extra {
                                exports.extend(extra.exports.iter().cloned());
                                exports_unseen.merge(&extra.unseen);
                                global |= extra.global;
                            }
                            // A global module's exports, its dynamic ones included, reach every
                            // module of the application.
                            if global {
                                makes_global.extend(exports.iter().cloned());
                                makes_global_unseen.merge(&exports_unseen);
                            }
                            imported.extend(exports.iter().cloned());
                            unseen.merge(&exports_unseen);
                            let entry = imported_modules.entry(*target).or_default();
                            entry.0.extend(exports);
                            entry.1.merge(&exports_unseen);
                        }
                        ImportEdge::Package {
                            tokens,
                            unseen: package_unseen,
                            ..
                        } => {
                            imported.extend(tokens.iter().cloned());
                            unseen.merge(package_unseen);
                        }
                        ImportEdge::Unknown => unseen.anything = true,
                    }
                }
                let Some(scope) = scopes.get_mut(&module) else {
                    continue;
                };
                if let Some((base_unseen, base_global, base_global_unseen)) = base.get(&module) {
                    scope.unseen = base_unseen.clone();
                    scope.makes_global = base_global.clone();
                    scope.makes_global_unseen = base_global_unseen.clone();
                }
                scope.imported = imported;
                scope.unseen.merge(&unseen);
                scope.makes_global.extend(makes_global);
                scope.makes_global_unseen.merge(&makes_global_unseen);
                scope.imports = edges
                    .iter()
                    .filter_map(|e| match e {
                        ImportEdge::Project { module, .. } => Some(*module),
                        _ => None,
                    })
                    .collect();
                // Exports: own tokens, re-exported modules (project or package), nothing else.
                let metadata = index.module_metadata(module).flatten();
                let mut exports = HashSet::new();
                let mut exports_unseen = Unseen::default();
                for item in index.metadata_items(module, metadata, "exports") {
                    let Item::Value(file, value) = item else {
                        exports_unseen.anything = true;
                        continue;
                    };
                    // A module with static methods may be used as a dynamic module, whose providers
                    // and imports complete its static metadata: its exports are not judged.
                    let dynamic = index.class_at(module).methods.iter().any(|m| m.is_static);
                    let imports_readable =
                        !dynamic && !edges.iter().any(|e| matches!(e, ImportEdge::Unknown));
                    match export_kind(index, file, value) {
                        Export::Module(target) => match imported_modules.get(&target) {
                            Some((tokens, unseen)) => {
                                exports.extend(tokens.iter().cloned());
                                exports_unseen.merge(unseen);
                            }
                            // Exporting a module it does not import: Nest refuses to boot.
                            None if imports_readable => bad_exports.push(BadExport {
                                module,
                                name: index.class_at(target).name.to_string(),
                                is_module: true,
                            }),
                            None => {}
                        },
                        Export::Modules(targets) => {
                            for target in targets {
                                if let Some((tokens, unseen)) = imported_modules.get(&target) {
                                    exports.extend(tokens.iter().cloned());
                                    exports_unseen.merge(unseen);
                                }
                            }
                        }
                        Export::PackageModule(source, name) => {
                            let imported = edges.iter().any(|e| {
                            matches!(e, ImportEdge::Package { source: s, name: n, .. } if *s == source && *n == name)
                        });
                            if !imported && imports_readable {
                                bad_exports.push(BadExport {
                                    module,
                                    name: name.to_string(),
                                    is_module: true,
                                });
                            }
                            for edge in &edges {
                                if let ImportEdge::Package {
                                    source: s,
                                    name: n,
                                    tokens,
                                    unseen,
                                } = edge
                                {
                                    if *s == source && *n == name {
                                        exports.extend(tokens.iter().cloned());
                                        exports_unseen.merge(unseen);
                                    }
                                }
                            }
                        }
                        Export::Token(token) => {
                            if !scope.provided.contains(&token)
                                && !scope.unseen.anything
                                && !dynamic
                            {
                                bad_exports.push(BadExport {
                                    module,
                                    name: token_name(index, &token),
                                    is_module: false,
                                });
                            }
                            exports.insert(token);
                        }
                        Export::Unknown => exports_unseen.anything = true,
                    }
                }
                scope.exports = exports;
                scope.exports_unseen = exports_unseen;
                done.insert(module);
            }
            if !in_cycle {
                break;
            }
            let changed = order.iter().zip(&before).any(|(m, (exports, unseen))| {
                scopes.get(m).is_some_and(|s| {
                    s.exports != *exports
                        || s.exports_unseen.anything != unseen.anything
                        || s.exports_unseen.tokens != unseen.tokens
                        || s.exports_unseen.packages != unseen.packages
                })
            });
            // Round 0 always changes what a cycle sees; a later round that changes nothing is the
            // fixed point.
            if round > 0 && !changed {
                break;
            }
            round += 1;
            if round > MAX_EXPORT_ROUNDS {
                // Not settled (it would need more rounds than any real graph): nothing is known.
                for scope in scopes.values_mut() {
                    scope.unseen.anything = true;
                    scope.exports_unseen.anything = true;
                }
                bad_exports.clear();
                break;
            }
        }
        let mut injection = Injection {
            scopes,
            bad_exports,
            unresolved: Vec::new(),
            unresolved_needs: Vec::new(),
        };
        let (unresolved, needs) = find_unresolved(index, &injection);
        injection.unresolved = unresolved;
        injection.unresolved_needs = needs;
        injection
    }
}

/// A module's import, as the resolution needs it.
#[derive(Clone, Debug)]
enum ImportEdge {
    /// A project module; `extra` is what its static method's dynamic module adds.
    Project {
        module: ClassKey,
        extra: Option<DynamicExtra>,
    },
    /// A package module: what it exports to the importer.
    Package {
        source: Name,
        name: Name,
        tokens: HashSet<Token>,
        unseen: Unseen,
    },
    Unknown,
}

/// What a project's dynamic module (`X.forRoot()`) adds to its static metadata.
#[derive(Clone, Debug, Default)]
struct DynamicExtra {
    exports: HashSet<Token>,
    unseen: Unseen,
    /// It returns `global: true`.
    global: bool,
}

fn is_global_module(index: &ProjectIndex, module: ClassKey) -> bool {
    index
        .class_at(module)
        .decorators
        .iter()
        .any(|d| index.is_nest_decorator(module.file, d, "Global"))
}

/// Reads a module's `providers` and `imports` into its scope and its import edges.
fn read_metadata(
    index: &ProjectIndex,
    module: ClassKey,
    metadata: Option<&Value>,
    scope: &mut ModuleScope,
    edges: &mut Vec<ImportEdge>,
) {
    for item in index.metadata_items(module, metadata, "providers") {
        match item {
            // A conditional provider may be there: available, for the rules that stay silent.
            Item::Value(file, value) | Item::Alternative(file, value) => {
                add_provider(index, file, value, scope, 0)
            }
            Item::Unknown => scope.unseen.anything = true,
        }
    }
    for item in index.metadata_items(module, metadata, "imports") {
        let (Item::Value(file, value) | Item::Alternative(file, value)) = item else {
            edges.push(ImportEdge::Unknown);
            continue;
        };
        // Alternatives (a conditional import) are all taken: what any of them exports may be
        // available, which only ever keeps the rules silent.
        for import in index.module_imports(file, value) {
            edges.push(import_edge(index, value, import, scope));
        }
    }
}

/// Adds one `providers` item: a class, a provider object, or a constant holding either (or an
/// array of them).
fn add_provider(
    index: &ProjectIndex,
    file: FileId,
    value: &Value,
    scope: &mut ModuleScope,
    depth: usize,
) {
    if depth > 8 {
        scope.unseen.anything = true;
        return;
    }
    match value {
        Value::Ident(name) => match index.resolve(file, name) {
            symbol @ Symbol::Declared { .. } => {
                if let Some(class) = index.class_key(&symbol) {
                    let token = Token::Class(class);
                    scope.provided.insert(token.clone());
                    scope.providers.push(Provider {
                        token,
                        class: Some(class),
                        needs: Vec::new(),
                        file,
                    });
                } else if let Some((const_file, constant)) = index.constant(&symbol) {
                    match &constant.value {
                        Value::Array(items) => {
                            for item in items {
                                match item {
                                    Value::Spread(inner) => {
                                        add_provider(index, const_file, inner, scope, depth + 1)
                                    }
                                    other => {
                                        add_provider(index, const_file, other, scope, depth + 1)
                                    }
                                }
                            }
                        }
                        other => add_provider(index, const_file, other, scope, depth + 1),
                    }
                } else {
                    scope.unseen.anything = true;
                }
            }
            Symbol::External { source, name } => {
                // A package class listed as a provider (`Logger`, `JwtService`).
                let token = Token::Package(name);
                let _ = source;
                scope.provided.insert(token.clone());
                scope.providers.push(Provider {
                    token,
                    class: None,
                    needs: Vec::new(),
                    file,
                });
            }
            _ => scope.unseen.anything = true,
        },
        Value::Object { open, .. } => {
            if *open {
                scope.unseen.anything = true;
            }
            let Some(token) = value.get("provide").and_then(|v| token_of(index, file, v)) else {
                scope.unseen.anything = true;
                return;
            };
            let class = value
                .get("useClass")
                .and_then(|v| v.as_ident())
                .and_then(|name| index.class_key(&index.resolve(file, name)));
            let mut needs = Vec::new();
            if let Some(existing) = value.get("useExisting") {
                match token_of(index, file, existing) {
                    Some(token) => needs.push(token),
                    None => scope.unseen.anything = true,
                }
            }
            if let Some(Value::Array(inject)) = value.get("inject") {
                for item in inject {
                    // `{ token, optional: true }` entries are optional.
                    if let Value::Object { .. } = item {
                        continue;
                    }
                    if let Some(token) = token_of(index, file, item) {
                        needs.push(token);
                    }
                }
            }
            scope.provided.insert(token.clone());
            scope.providers.push(Provider {
                token,
                class,
                needs,
                file,
            });
        }
        Value::Spread(inner) => add_provider(index, file, inner, scope, depth + 1),
        Value::Array(items) => {
            for item in items {
                add_provider(index, file, item, scope, depth + 1);
            }
        }
        _ => scope.unseen.anything = true,
    }
}

/// The token a value names: a class, a string, a project constant, a package export,
/// `forwardRef(() => X)`, `getRepositoryToken(E)`.
pub fn token_of(index: &ProjectIndex, file: FileId, value: &Value) -> Option<Token> {
    token_at(index, file, value, 0)
}

fn token_at(index: &ProjectIndex, file: FileId, value: &Value, depth: usize) -> Option<Token> {
    if depth > 8 {
        return None;
    }
    match value {
        Value::String(s) => Some(Token::String(s.clone())),
        Value::Ident(name) => match index.resolve(file, name) {
            symbol @ Symbol::Declared { .. } => {
                if let Some(class) = index.class_key(&symbol) {
                    return Some(Token::Class(class));
                }
                let (const_file, constant) = index.constant(&symbol)?;
                match &constant.value {
                    Value::String(s) => Some(Token::String(s.clone())),
                    Value::Ident(_) => token_at(index, const_file, &constant.value, depth + 1),
                    // `Symbol('x')`, `new InjectionToken(...)`, an object: the constant itself.
                    Value::Call { .. } | Value::New { .. } | Value::Object { .. } => {
                        Some(Token::Constant(const_file, constant.name.clone()))
                    }
                    _ => None,
                }
            }
            Symbol::External { name, .. } => Some(Token::Package(name)),
            _ => None,
        },
        Value::Member { object, property } if property == "name" => {
            // `Cat.name`: the class's name, as Mongoose models are registered.
            let class = index.class_key(&index.resolve(file, object))?;
            Some(Token::String(index.class_at(class).name.clone()))
        }
        Value::Call { callee, args } => {
            match (callee.object.as_deref(), callee.name.as_str()) {
                (None, "forwardRef") => match args.first() {
                    Some(Value::Arrow { body, .. }) => token_at(index, file, body, depth + 1),
                    _ => None,
                },
                (None, "getRepositoryToken") if args.len() == 1 => Some(Token::Repository(
                    Box::new(token_at(index, file, &args[0], depth + 1)?),
                )),
                (None, "getModelToken") if args.len() == 1 => Some(Token::Model(Box::new(
                    token_at(index, file, &args[0], depth + 1)?,
                ))),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Every token a value mentions, wherever in it (what an unknown module's arguments may
/// register).
fn mentioned_tokens(index: &ProjectIndex, file: FileId, value: &Value, out: &mut HashSet<Token>) {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        if let Some(token) = token_of(index, file, value) {
            out.insert(token);
        }
        match value {
            Value::Call { args, .. } | Value::New { args, .. } => stack.extend(args),
            Value::Object { entries, .. } => stack.extend(entries.iter().map(|(_, v)| v)),
            Value::Array(items) => stack.extend(items),
            Value::Spread(inner) | Value::Arrow { body: inner, .. } => stack.push(inner),
            Value::Fallback { value, fallback } => {
                stack.push(value);
                stack.push(fallback);
            }
            _ => {}
        }
    }
}

/// Reads one `imports` item.
fn import_edge(
    index: &ProjectIndex,
    value: &Value,
    import: ModuleImport<'_>,
    scope: &mut ModuleScope,
) -> ImportEdge {
    match import {
        ModuleImport::Project { module, dynamic } => {
            let extra = if dynamic {
                let extra = dynamic_module(index, value, module);
                // What the dynamic module's own `imports` may make global, and its exports when
                // they are global but cannot be read.
                scope.makes_global_unseen.merge(&dynamic_global_unseen(
                    index,
                    value,
                    module,
                    extra.is_some(),
                ));
                // Exports the model cannot read: the importer learns nothing certain.
                Some(extra.unwrap_or_else(|| DynamicExtra {
                    unseen: Unseen {
                        anything: true,
                        ..Unseen::default()
                    },
                    ..DynamicExtra::default()
                }))
            } else {
                None
            };
            ImportEdge::Project { module, extra }
        }
        ModuleImport::External {
            source,
            name,
            method,
            file,
            args,
        } => {
            let mut tokens = HashSet::new();
            let mut unseen = Unseen::default();
            let Some(known) = package_module(&source, &name) else {
                // A module nestlint does not know: its own package's exports and whatever its
                // arguments name may be provided, and made global.
                unseen.packages.insert(source.clone());
                for arg in args {
                    mentioned_tokens(index, file, arg, &mut unseen.tokens);
                }
                scope.makes_global_unseen.merge(&unseen);
                return ImportEdge::Package {
                    source,
                    name,
                    tokens,
                    unseen,
                };
            };
            for export in known.exports {
                tokens.insert(Token::Package(Name::from(*export)));
            }
            let from_args = if known.from_args.registers_through(method.as_deref()) {
                known.from_args
            } else {
                FromArgs::None
            };
            match from_args {
                FromArgs::None => {}
                FromArgs::Repositories | FromArgs::SequelizeModels => {
                    match args.first() {
                        Some(Value::Array(entities)) => {
                            for entity in entities {
                                match token_of(index, file, entity) {
                                    Some(token) if from_args == FromArgs::Repositories => {
                                        tokens.insert(Token::Repository(Box::new(token)));
                                    }
                                    Some(token) => {
                                        tokens.insert(Token::Model(Box::new(token)));
                                    }
                                    None => unseen.anything = true,
                                }
                            }
                        }
                        _ => unseen.anything = true,
                    }
                    // A named data source registers its repositories under another token.
                    if args.len() > 1 {
                        unseen.anything = true;
                    }
                }
                FromArgs::MongooseModels => match args.first() {
                    Some(Value::Array(models)) => {
                        for model in models {
                            match model.get("name").and_then(|n| token_of(index, file, n)) {
                                Some(token) => {
                                    tokens.insert(Token::Model(Box::new(token)));
                                }
                                None => unseen.anything = true,
                            }
                        }
                        if args.len() > 1 {
                            unseen.anything = true;
                        }
                    }
                    _ => unseen.anything = true,
                },
                FromArgs::Queues => {
                    for arg in args {
                        match arg
                            .get("name")
                            .and_then(|n| crate::nest::resolve_string(index, file, n))
                        {
                            Some(name) => {
                                tokens.insert(Token::Queue(name));
                            }
                            None => unseen.anything = true,
                        }
                    }
                }
                FromArgs::Clients => {
                    let clients = match args.first() {
                        Some(Value::Array(items)) => Some(items.as_slice()),
                        Some(object @ Value::Object { .. }) => match object.get("clients") {
                            Some(Value::Array(items)) => Some(items.as_slice()),
                            _ => None,
                        },
                        _ => None,
                    };
                    match clients {
                        Some(items) => {
                            for item in items {
                                match item.get("name").and_then(|n| token_of(index, file, n)) {
                                    Some(token) => {
                                        tokens.insert(token);
                                    }
                                    None => unseen.anything = true,
                                }
                            }
                        }
                        None => unseen.anything = true,
                    }
                }
            }
            let global = match known.global {
                Global::Never => false,
                Global::Always => true,
                Global::IfMethod(wanted) => method.as_deref() == Some(wanted),
                Global::IfOption(option) => match args.first() {
                    Some(object @ Value::Object { open, .. }) => match object.get(option) {
                        Some(Value::Bool(global)) => *global,
                        Some(_) => {
                            // Something computed: the model cannot tell.
                            scope
                                .makes_global_unseen
                                .tokens
                                .extend(tokens.iter().cloned());
                            false
                        }
                        None => {
                            if *open {
                                scope
                                    .makes_global_unseen
                                    .tokens
                                    .extend(tokens.iter().cloned());
                            }
                            false
                        }
                    },
                    Some(_) => {
                        scope
                            .makes_global_unseen
                            .tokens
                            .extend(tokens.iter().cloned());
                        false
                    }
                    None => false,
                },
            };
            if global {
                scope.makes_global.extend(tokens.iter().cloned());
                scope.makes_global_unseen.merge(&unseen);
            }
            if matches!(method.as_deref(), Some("forRoot" | "forRootAsync")) {
                for root in known.root_globals {
                    scope.makes_global.insert(Token::Package(Name::from(*root)));
                }
            }
            ImportEdge::Package {
                source,
                name,
                tokens,
                unseen,
            }
        }
        ModuleImport::Unknown => ImportEdge::Unknown,
    }
}

/// What a project's static module method returns: `{ module, providers, exports, imports,
/// global }`. `None` when the model cannot read it.
/// What the dynamic module a static method returns may make global beyond what the model read:
/// what its returned `imports` may make global (for a package module, its package's exports and
/// the tokens its arguments name; for anything else, anything), and anything when it returns a
/// `global` the model cannot read, or `global: true` with exports it could not read
/// (`exports_read` false). `@Global()` on the class is the static metadata's, read elsewhere.
fn dynamic_global_unseen(
    index: &ProjectIndex,
    value: &Value,
    module: ClassKey,
    exports_read: bool,
) -> Unseen {
    let anything = Unseen {
        anything: true,
        ..Unseen::default()
    };
    let Some(returns) = static_returns(index, value, module) else {
        return anything;
    };
    let mut unseen = Unseen::default();
    for returned in returns {
        let global_known = match returned.get("global") {
            None | Some(Value::Bool(false)) => true,
            Some(Value::Bool(true)) => exports_read,
            Some(_) => false,
        };
        if !matches!(returned, Value::Object { open: false, .. }) || !global_known {
            return anything;
        }
        let Some(imports) = returned.get("imports") else {
            continue;
        };
        for item in index.flatten(module.file, imports) {
            let (Item::Value(file, value) | Item::Alternative(file, value)) = item else {
                return anything;
            };
            for import in index.module_imports(file, value) {
                match import {
                    ModuleImport::External {
                        source, file, args, ..
                    } => {
                        unseen.packages.insert(source.clone());
                        for arg in args {
                            mentioned_tokens(index, file, arg, &mut unseen.tokens);
                        }
                    }
                    _ => return anything,
                }
            }
        }
    }
    unseen
}

/// What the static method a module import calls (`X.forRoot()`) returns, when it is read.
fn static_returns<'a>(
    index: &'a ProjectIndex,
    value: &Value,
    module: ClassKey,
) -> Option<&'a [Value]> {
    let Value::Call { callee, .. } = value else {
        return None;
    };
    index
        .class_at(module)
        .methods
        .iter()
        .find(|m| m.is_static && m.name == callee.name)?
        .returns
        .as_deref()
}

fn dynamic_module(index: &ProjectIndex, value: &Value, module: ClassKey) -> Option<DynamicExtra> {
    let returns = static_returns(index, value, module)?;
    let mut extra = DynamicExtra::default();
    for returned in returns {
        let Value::Object { open, .. } = returned else {
            return None;
        };
        if *open {
            return None;
        }
        // What it exports is read like static metadata (its returned `imports` reach the
        // importer only through `exports`); a `global` that is not `true` or `false`, or an
        // export the model cannot read, makes it unknown.
        match returned.get("global") {
            None | Some(Value::Bool(false)) => {}
            Some(Value::Bool(true)) => extra.global = true,
            Some(_) => return None,
        }
        // Its `providers` do not matter here: an importer gets what it exports, nothing else
        // (exporting what it does not provide is another error, in its own context).
        if let Some(exports) = returned.get("exports") {
            for item in index.flatten(module.file, exports) {
                match item {
                    // A conditional export may be there: what importers may get.
                    Item::Value(item_file, item) | Item::Alternative(item_file, item) => {
                        match token_of(index, item_file, item) {
                            // A re-exported module (a project module, or a package module its
                            // `imports` hold): what it exports is not read here.
                            Some(Token::Class(key)) if index.module_metadata(key).is_some() => {
                                return None
                            }
                            Some(Token::Package(name)) if name.ends_with("Module") => return None,
                            Some(token) => {
                                extra.exports.insert(token);
                            }
                            None => return None,
                        }
                    }
                    Item::Unknown => return None,
                }
            }
        }
    }
    Some(extra)
}

enum Export {
    Module(ClassKey),
    /// One of these modules (a conditional).
    Modules(Vec<ClassKey>),
    PackageModule(Name, Name),
    Token(Token),
    Unknown,
}

fn export_kind(index: &ProjectIndex, file: FileId, value: &Value) -> Export {
    if let Value::Ident(name) = value {
        match index.resolve(file, name) {
            symbol @ Symbol::Declared { .. } => {
                if let Some(key) = index.class_key(&symbol) {
                    if index.module_metadata(key).is_some() {
                        return Export::Module(key);
                    }
                    return Export::Token(Token::Class(key));
                }
                // A constant bound to a module, or to either of two (`cond ? A : B`).
                if let Some((const_file, constant)) = index.constant(&symbol) {
                    let imports = index.module_imports(const_file, &constant.value);
                    let modules: Vec<ClassKey> = imports
                        .iter()
                        .filter_map(|import| match import {
                            ModuleImport::Project {
                                module,
                                dynamic: false,
                            } => Some(*module),
                            _ => None,
                        })
                        .collect();
                    if !modules.is_empty() {
                        return Export::Modules(modules);
                    }
                    // A constant bound to a package's dynamic module
                    // (`const ACLModule = AccessControlModule.forRoles(...)`).
                    for import in &imports {
                        if let ModuleImport::External { source, name, .. } = import {
                            return Export::PackageModule(source.clone(), name.clone());
                        }
                    }
                    if matches!(constant.value, Value::Call { .. } | Value::Fallback { .. })
                        && constant.value.get("provide").is_none()
                    {
                        let symbol_like = matches!(&constant.value, Value::Call { callee, .. } if callee.object.is_none() && callee.name == "Symbol");
                        if !symbol_like {
                            return Export::Unknown;
                        }
                    }
                }
                // A provider object exported as it was provided (`exports: [cacheProvider]`):
                // Nest exports its `provide` token.
                if let Some((const_file, constant)) = index.constant(&symbol) {
                    if let Some(provide) = constant.value.get("provide") {
                        return match token_of(index, const_file, provide) {
                            Some(token) => Export::Token(token),
                            None => Export::Unknown,
                        };
                    }
                }
            }
            Symbol::External { source, name } if name.ends_with("Module") => {
                return Export::PackageModule(source, name);
            }
            _ => {}
        }
    }
    match token_of(index, file, value) {
        Some(token) => Export::Token(token),
        None => Export::Unknown,
    }
}

/// Modules in an order where each comes after the modules it imports (cycles broken where they
/// are met).
fn post_order(imports: &HashMap<ClassKey, Vec<ImportEdge>>) -> Vec<ClassKey> {
    let mut keys: Vec<ClassKey> = imports.keys().copied().collect();
    keys.sort();
    let mut order = Vec::with_capacity(keys.len());
    let mut state: HashMap<ClassKey, bool> = HashMap::new();
    for start in keys {
        if state.contains_key(&start) {
            continue;
        }
        let mut stack: Vec<(ClassKey, usize)> = vec![(start, 0)];
        state.insert(start, false);
        while let Some((module, next)) = stack.pop() {
            let targets: Vec<ClassKey> = imports
                .get(&module)
                .map(|edges| {
                    edges
                        .iter()
                        .filter_map(|e| match e {
                            ImportEdge::Project { module, .. } => Some(*module),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            if let Some(&target) = targets.get(next) {
                stack.push((module, next + 1));
                if !state.contains_key(&target) && imports.contains_key(&target) {
                    state.insert(target, false);
                    stack.push((target, 0));
                }
            } else {
                state.insert(module, true);
                order.push(module);
            }
        }
    }
    order
}

/// What is global in an application: tokens any of its modules can inject.
#[derive(Debug, Default)]
struct Globals {
    tokens: HashSet<Token>,
    unseen: Unseen,
}

fn app_globals(
    index: &ProjectIndex,
    injection: &Injection,
    modules: &[ClassKey],
    complete: bool,
) -> Globals {
    let mut globals = Globals::default();
    if !complete {
        globals.unseen.anything = true;
    }
    for name in NEST_CORE_PROVIDERS {
        globals.tokens.insert(Token::Package(Name::from(*name)));
    }
    for module in modules {
        let Some(scope) = injection.scopes.get(module) else {
            continue;
        };
        if scope.global {
            globals.tokens.extend(scope.exports.iter().cloned());
            globals.unseen.merge(&scope.exports_unseen);
        }
        globals.tokens.extend(scope.makes_global.iter().cloned());
        globals.unseen.merge(&scope.makes_global_unseen);
    }
    let _ = index;
    globals
}

/// Every constructor dependency, of every class a module instantiates, and every token its
/// factories and aliases need, that the module's context cannot give, in every application.
fn find_unresolved(
    index: &ProjectIndex,
    injection: &Injection,
) -> (Vec<Unresolved>, Vec<UnresolvedNeed>) {
    let applications = index.applications();
    let all: Vec<ClassKey> = {
        let mut keys: Vec<ClassKey> = injection.scopes.keys().copied().collect();
        keys.sort();
        keys
    };
    // Each application's modules; where none is known, every module at once.
    let mut groups: Vec<(Vec<ClassKey>, bool)> = Vec::new();
    for app in &applications.apps {
        match &app.modules {
            Some(modules) if !app.implicit => {
                groups.push((modules.iter().copied().collect(), app.complete))
            }
            _ => {}
        }
    }
    if groups.is_empty() {
        groups.push((all.clone(), true));
    }
    let mut found: BTreeMap<(ClassKey, ClassKey, usize), Unresolved> = BTreeMap::new();
    let mut needs_found: BTreeMap<(ClassKey, usize, usize), UnresolvedNeed> = BTreeMap::new();
    for (modules, complete) in &groups {
        let globals = app_globals(index, injection, modules, *complete);
        for module in modules {
            let Some(scope) = injection.scopes.get(module) else {
                continue;
            };
            if scope.unseen.anything || globals.unseen.anything {
                continue;
            }
            let available = |token: &Token, source: Option<&str>| {
                scope.provided.contains(token)
                    || scope.imported.contains(token)
                    || globals.tokens.contains(token)
                    || *token == Token::Class(*module)
                    || scope.unseen.covers(token, source)
                    || globals.unseen.covers(token, source)
            };
            for (position, provider) in scope.providers.iter().enumerate() {
                let names: Vec<String> = provider
                    .needs
                    .iter()
                    .map(|t| token_name(index, t))
                    .collect();
                for (needed, token) in provider.needs.iter().enumerate() {
                    if available(token, None) {
                        continue;
                    }
                    needs_found
                        .entry((*module, position, needed))
                        .or_insert(UnresolvedNeed {
                            module: *module,
                            provider: provider.token.clone(),
                            index: needed,
                            names: names.clone(),
                            token: token.clone(),
                        });
                }
            }
            for class in instantiated(index, *module, scope) {
                for dependency in dependencies(index, class) {
                    let Dependency::Token {
                        index: position,
                        token,
                        source,
                        declared_in,
                        names,
                        ..
                    } = dependency
                    else {
                        continue;
                    };
                    if available(&token, source.as_deref()) {
                        continue;
                    }
                    found
                        .entry((class, *module, position))
                        .or_insert(Unresolved {
                            class,
                            module: *module,
                            index: position,
                            names,
                            token,
                            declared_in,
                        });
                }
            }
        }
    }
    (
        found.into_values().collect(),
        needs_found.into_values().collect(),
    )
}

/// The project classes a module instantiates: its providers' classes, its controllers, and the
/// guards, interceptors, pipes and filters its controllers bind by class.
fn instantiated(index: &ProjectIndex, module: ClassKey, scope: &ModuleScope) -> Vec<ClassKey> {
    let mut out: BTreeSet<ClassKey> = scope.providers.iter().filter_map(|p| p.class).collect();
    let metadata = index.module_metadata(module).flatten();
    for item in index.metadata_items(module, metadata, "controllers") {
        let Item::Value(file, Value::Ident(name)) = item else {
            continue;
        };
        let Some(controller) = index.class_key(&index.resolve(file, name)) else {
            continue;
        };
        out.insert(controller);
        let class = index.class_at(controller);
        let decorators = class
            .decorators
            .iter()
            .chain(class.methods.iter().flat_map(|m| m.decorators.iter()));
        for decorator in decorators {
            if !["UseGuards", "UseInterceptors", "UsePipes", "UseFilters"]
                .iter()
                .any(|n| index.is_nest_decorator(controller.file, decorator, n))
            {
                continue;
            }
            for arg in &decorator.args {
                if let Value::Ident(name) = arg {
                    if let Some(enhancer) = index.class_key(&index.resolve(controller.file, name)) {
                        out.insert(enhancer);
                    }
                }
            }
        }
    }
    // Middleware its `configure` applies (`consumer.apply(AuthMiddleware)`): resolved in the
    // module's context.
    let class = index.class_at(module);
    for chain in &index.file(module.file).facts.middleware {
        if class.range.start <= chain.range.start && chain.range.end <= class.range.end {
            for value in &chain.middleware {
                if let Value::Ident(name) = value {
                    if let Some(middleware) = index.class_key(&index.resolve(module.file, name)) {
                        out.insert(middleware);
                    }
                }
            }
        }
    }
    out.into_iter().collect()
}

/// One constructor dependency.
enum Dependency {
    Token {
        index: usize,
        token: Token,
        /// The package the token's type is imported from, if any.
        source: Option<Name>,
        declared_in: ClassKey,
        names: Vec<String>,
        /// `@Inject(forwardRef(() => X))`.
        forward_ref: bool,
    },
    /// Optional, or a token the model cannot read.
    Skip,
}

/// A constructor dependency of a class, as Nest reads it (see [`injected`]).
#[derive(Clone, Debug)]
pub struct Injected {
    /// The parameter's position.
    pub index: usize,
    pub token: Token,
    /// `@Inject(forwardRef(() => X))`: Nest resolves it after the class exists.
    pub forward_ref: bool,
    /// The class whose constructor declares it (a base class, when inherited).
    pub declared_in: ClassKey,
}

/// The constructor dependencies Nest would resolve for `class`, in order; `@Optional()` ones and
/// those whose token the model cannot read are left out.
pub fn injected(index: &ProjectIndex, class: ClassKey) -> Vec<Injected> {
    dependencies(index, class)
        .into_iter()
        .filter_map(|dependency| match dependency {
            Dependency::Token {
                index,
                token,
                declared_in,
                forward_ref,
                ..
            } => Some(Injected {
                index,
                token,
                forward_ref,
                declared_in,
            }),
            Dependency::Skip => None,
        })
        .collect()
}

/// The constructor dependencies of a class, as Nest reads them: the `design:paramtypes` metadata
/// TypeScript emits for a class with a decorator (on the class or on a constructor parameter)
/// and a constructor of its own, looked up through the prototype chain. A class without it in its
/// chain gets no dependency at all (Nest calls `new X()`: another rule reports the missing
/// `@Injectable()`). None for a chain that leaves the project.
fn dependencies(index: &ProjectIndex, class: ClassKey) -> Vec<Dependency> {
    let mut current = class;
    for _ in 0..16 {
        let fact = index.class_at(current);
        let has_metadata = !fact.decorators.is_empty()
            || fact
                .constructor_params
                .iter()
                .any(|p| !p.decorators.is_empty());
        if has_metadata && fact.has_constructor {
            let names: Vec<String> = fact
                .constructor_params
                .iter()
                .map(|p| param_display(index, current.file, p))
                .collect();
            return fact
                .constructor_params
                .iter()
                .enumerate()
                .map(|(position, param)| dependency(index, current, position, param, &names))
                .collect();
        }
        match &fact.extends {
            None => return Vec::new(),
            Some(Value::Ident(base)) => match index.class_key(&index.resolve(current.file, base)) {
                Some(key) => current = key,
                None => return Vec::new(),
            },
            Some(_) => return Vec::new(),
        }
    }
    Vec::new()
}

/// How Nest names a parameter in "can't resolve dependencies of the X (A, ?, C)".
fn param_display(index: &ProjectIndex, file: FileId, param: &ParamFact) -> String {
    if let Some(inject) = param
        .decorators
        .iter()
        .find(|d| index.is_nest_decorator(file, d, "Inject"))
    {
        if let Some(arg) = inject.args.first() {
            if let Some(token) = token_of(index, file, arg) {
                return token_name(index, &token);
            }
        }
    }
    match &param.ty {
        Some(TypeRef::Named { name, .. }) => name.to_string(),
        _ => "Object".to_owned(),
    }
}

fn dependency(
    index: &ProjectIndex,
    class: ClassKey,
    position: usize,
    param: &ParamFact,
    names: &[String],
) -> Dependency {
    let file = class.file;
    let decorators = &param.decorators;
    let is = |d: &DecoratorFact, source: &str, name: &str| {
        index.is_export_of(file, &d.callee, source, name)
    };
    if decorators.iter().any(|d| is(d, NEST_COMMON, "Optional")) {
        return Dependency::Skip;
    }
    let token_dependency =
        |token: Token, source: Option<Name>, forward_ref: bool| Dependency::Token {
            index: position,
            token,
            source,
            declared_in: class,
            names: names.to_vec(),
            forward_ref,
        };
    if let Some(decorator) = decorators.first() {
        if decorators.len() > 1 {
            return Dependency::Skip;
        }
        if is(decorator, NEST_COMMON, "Inject") {
            return match decorator.args.first() {
                Some(arg) => match token_of(index, file, arg) {
                    Some(token) => {
                        let source = match arg {
                            Value::Ident(name) => {
                                index.resolve(file, name).external_source().map(Name::from)
                            }
                            _ => None,
                        };
                        token_dependency(token, source, arg.is_forward_ref())
                    }
                    None => Dependency::Skip,
                },
                // `@Inject()` with no token: by type, like no decorator.
                None => type_dependency(index, class, position, param, names),
            };
        }
        if is(decorator, "@nestjs/typeorm", "InjectRepository") {
            return match decorator.args.as_slice() {
                [entity] => match token_of(index, file, entity) {
                    Some(token) => {
                        token_dependency(Token::Repository(Box::new(token)), None, false)
                    }
                    None => Dependency::Skip,
                },
                _ => Dependency::Skip,
            };
        }
        if is(decorator, "@nestjs/mongoose", "InjectModel")
            || is(decorator, "@nestjs/sequelize", "InjectModel")
        {
            return match decorator.args.as_slice() {
                [model] => match token_of(index, file, model) {
                    Some(token) => token_dependency(Token::Model(Box::new(token)), None, false),
                    None => Dependency::Skip,
                },
                _ => Dependency::Skip,
            };
        }
        if is(decorator, "@nestjs/bull", "InjectQueue")
            || is(decorator, "@nestjs/bullmq", "InjectQueue")
        {
            return match decorator.args.as_slice() {
                [name] => match crate::nest::resolve_string(index, file, name) {
                    Some(name) => token_dependency(Token::Queue(name), None, false),
                    None => Dependency::Skip,
                },
                _ => Dependency::Skip,
            };
        }
        // Any other decorator (`@InjectDataSource()`, a package's own): its token is unknown.
        return Dependency::Skip;
    }
    type_dependency(index, class, position, param, names)
}

/// A dependency by the parameter's type: a project class, or a package class.
fn type_dependency(
    index: &ProjectIndex,
    class: ClassKey,
    position: usize,
    param: &ParamFact,
    names: &[String],
) -> Dependency {
    let file = class.file;
    let Some(TypeRef::Named { name, args }) = &param.ty else {
        return Dependency::Skip;
    };
    // Generic types (`Repository<User>`) are erased to their class: another rule reads them.
    if !args.is_empty() || name.contains('.') {
        return Dependency::Skip;
    }
    // A type-only import loses the metadata: another rule reports it.
    if index.is_type_only_import(file, name) {
        return Dependency::Skip;
    }
    match index.resolve(file, name) {
        symbol @ Symbol::Declared { .. } => match index.class_key(&symbol) {
            Some(key) => Dependency::Token {
                index: position,
                token: Token::Class(key),
                source: None,
                declared_in: class,
                names: names.to_vec(),
                forward_ref: false,
            },
            // An interface or type alias: no run-time token (Nest sees `Object`); unknown.
            None => Dependency::Skip,
        },
        Symbol::External { source, name } => {
            // Nest's own injectables, and classes a package module provides, by name.
            if source == NEST_CORE || source.starts_with("@nestjs/") || package_known(&source) {
                Dependency::Token {
                    index: position,
                    token: Token::Package(name),
                    source: Some(source),
                    declared_in: class,
                    names: names.to_vec(),
                    forward_ref: false,
                }
            } else {
                Dependency::Skip
            }
        }
        _ => Dependency::Skip,
    }
}

/// Whether a package's modules are in the table (its classes can be judged).
fn package_known(source: &str) -> bool {
    crate::packages::PACKAGE_MODULES
        .iter()
        .any(|m| m.source == source)
}
