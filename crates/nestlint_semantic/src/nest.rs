//! NestJS semantics over the project index: which classes are modules, what a module provides and
//! imports, which methods are route handlers, what a pipe does (applications and their guards are
//! in `apps.rs`). Every answer distinguishes
//! "no" from "cannot see" so that rules stay silent on what the engine cannot resolve.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use crate::facts::{ClassFact, DecoratorFact, Value};
use crate::index::{FileId, ProjectIndex, Symbol};
use nestlint_syntax::Name;

pub const NEST_COMMON: &str = "@nestjs/common";
pub const NEST_CORE: &str = "@nestjs/core";

/// A class, identified by its file and its index in that file's facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClassKey {
    pub file: FileId,
    pub index: usize,
}

/// One element of a metadata array, with the file it is written in (spreads of constants from
/// other files are followed).
#[derive(Clone, Debug)]
pub enum Item<'a> {
    Value(FileId, &'a Value),
    /// An item of one branch of a conditional spread (`...(flag ? [A] : [])`): there only when
    /// that branch is taken. What may be registered counts it; what is certainly there does not.
    Alternative(FileId, &'a Value),
    /// A spread, variable or call result the engine cannot see into.
    Unknown,
}

/// What a module imports.
#[derive(Clone, Debug)]
pub enum ModuleImport<'a> {
    /// A project module, imported as a class or through a static method (`X.forRoot()`).
    Project {
        module: ClassKey,
        dynamic: bool,
    },
    /// A module from a package, e.g. `TypeOrmModule.forFeature([...])`: `name` is the class,
    /// `method` the static method called, `args` its arguments.
    External {
        source: Name,
        name: Name,
        method: Option<Name>,
        file: FileId,
        args: &'a [Value],
    },
    Unknown,
}

impl ProjectIndex {
    /// Whether decorator `d` written in `file` is `@nestjs/common`'s `name`.
    pub fn is_nest_decorator(&self, file: FileId, d: &DecoratorFact, name: &str) -> bool {
        self.is_export_of(file, &d.callee, NEST_COMMON, name)
    }

    pub fn class_at(&self, key: ClassKey) -> &ClassFact {
        &self.file(key.file).facts.classes[key.index]
    }

    pub fn class_key(&self, symbol: &Symbol) -> Option<ClassKey> {
        let Symbol::Declared { file, name } = symbol else {
            return None;
        };
        let index = self.file(*file).facts.class_position(name)?;
        Some(ClassKey { file: *file, index })
    }

    /// Every `@Module()` class with its metadata object (`None` when the argument is not an
    /// object literal the engine can read).
    pub fn modules(&self) -> Vec<(ClassKey, Option<&Value>)> {
        self.module_decorators()
            .iter()
            .map(|&(key, decorator)| (key, self.decorator_metadata(key, decorator)))
            .collect()
    }

    /// Every `@Module` class with the index of its `@Module` decorator, sorted by key (files are
    /// visited in id order), computed once per run.
    fn module_decorators(&self) -> &[(ClassKey, usize)] {
        self.modules.get_or_init(|| {
            let mut out = Vec::new();
            for (file, indexed) in self.files() {
                for (index, class) in indexed.facts.classes.iter().enumerate() {
                    if let Some(decorator) = class
                        .decorators
                        .iter()
                        .position(|d| self.is_nest_decorator(file, d, "Module"))
                    {
                        out.push((ClassKey { file, index }, decorator));
                    }
                }
            }
            out
        })
    }

    fn decorator_metadata(&self, key: ClassKey, decorator: usize) -> Option<&Value> {
        match self.class_at(key).decorators[decorator].args.first() {
            Some(object @ Value::Object { .. }) => Some(object),
            _ => None,
        }
    }

    /// Whether `key` is a module, and its metadata.
    pub fn module_metadata(&self, key: ClassKey) -> Option<Option<&Value>> {
        let modules = self.module_decorators();
        let position = modules.binary_search_by_key(&key, |&(k, _)| k).ok()?;
        Some(self.decorator_metadata(key, modules[position].1))
    }

    /// The elements of a metadata array, following identifiers and spreads bound to constant
    /// arrays (in this file or imported).
    pub fn flatten<'a>(&'a self, file: FileId, value: &'a Value) -> Vec<Item<'a>> {
        let mut out = Vec::new();
        self.flatten_into(file, value, &mut out, 0);
        out
    }

    fn flatten_into<'a>(
        &'a self,
        file: FileId,
        value: &'a Value,
        out: &mut Vec<Item<'a>>,
        depth: usize,
    ) {
        if depth > 8 {
            out.push(Item::Unknown);
            return;
        }
        match value {
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Spread(inner) => match inner.as_ref() {
                            Value::Fallback { value, fallback } => {
                                for branch in [value, fallback] {
                                    let mut alternatives = Vec::new();
                                    self.flatten_into(file, branch, &mut alternatives, depth + 1);
                                    out.extend(alternatives.into_iter().map(|item| match item {
                                        Item::Value(file, value) => Item::Alternative(file, value),
                                        other => other,
                                    }));
                                }
                            }
                            inner => self.flatten_into(file, inner, out, depth + 1),
                        },
                        other => out.push(Item::Value(file, other)),
                    }
                }
            }
            Value::Ident(name) => match self.constant(&self.resolve(file, name)) {
                Some((const_file, constant)) if matches!(constant.value, Value::Array(_)) => {
                    self.flatten_into(const_file, &constant.value, out, depth + 1)
                }
                _ => out.push(Item::Unknown),
            },
            _ => out.push(Item::Unknown),
        }
    }

    /// The items of metadata key `key` (`providers`, `imports`, ...). An absent key is empty; a
    /// metadata object that cannot be read, or that has a spread, yields one `Unknown`.
    pub fn metadata_items<'a>(
        &'a self,
        module: ClassKey,
        metadata: Option<&'a Value>,
        key: &str,
    ) -> Vec<Item<'a>> {
        let Some(metadata @ Value::Object { open, .. }) = metadata else {
            return vec![Item::Unknown];
        };
        let mut items = match metadata.get(key) {
            Some(value) => self.flatten(module.file, value),
            None => Vec::new(),
        };
        if *open {
            items.push(Item::Unknown);
        }
        items
    }

    /// Reads one `imports` item as every module it may be: a constant bound to a module is
    /// followed, and a conditional (`isDocumentDatabase ? MongoModule : SqlModule`) is either
    /// branch. A rule that needs what is certainly imported must treat these as alternatives.
    pub fn module_imports<'a>(&'a self, file: FileId, value: &'a Value) -> Vec<ModuleImport<'a>> {
        let mut out = Vec::new();
        let mut pending = vec![(file, value, 0usize)];
        while let Some((file, value, depth)) = pending.pop() {
            if depth > 4 || out.len() > 8 {
                out.push(ModuleImport::Unknown);
                break;
            }
            match value {
                Value::Fallback { value, fallback } => {
                    pending.push((file, fallback, depth + 1));
                    pending.push((file, value, depth + 1));
                }
                Value::Ident(name) => match self.constant(&self.resolve(file, name)) {
                    Some((const_file, constant))
                        if self.class_key(&self.resolve(file, name)).is_none() =>
                    {
                        pending.push((const_file, &constant.value, depth + 1));
                    }
                    _ => out.push(self.module_import(file, value)),
                },
                _ => out.push(self.module_import(file, value)),
            }
        }
        out
    }

    /// Reads one `imports` item.
    pub fn module_import<'a>(&'a self, file: FileId, value: &'a Value) -> ModuleImport<'a> {
        let (class_name, method, args) = match value {
            Value::Ident(name) => (name.as_str(), None, &[][..]),
            Value::Call { callee, args } => match (&callee.object, callee.name.as_str()) {
                (None, "forwardRef") => match args.first() {
                    Some(Value::Arrow { body, .. }) => return self.module_import(file, body),
                    _ => return ModuleImport::Unknown,
                },
                (Some(object), method) => (object.as_str(), Some(Name::from(method)), &args[..]),
                (None, _) => return ModuleImport::Unknown,
            },
            _ => return ModuleImport::Unknown,
        };
        match self.resolve(file, class_name) {
            Symbol::External { source, name } => ModuleImport::External {
                source,
                name,
                method,
                file,
                args,
            },
            symbol @ Symbol::Declared { .. } => match self.class_key(&symbol) {
                Some(module) => ModuleImport::Project {
                    module,
                    dynamic: method.is_some(),
                },
                None => ModuleImport::Unknown,
            },
            _ => ModuleImport::Unknown,
        }
    }

    /// The class a provider item registers: `X` or `{ provide: X, useClass: Y }` → the class
    /// behind `X`/`Y`. `None` for values, factories and tokens.
    pub fn provided_classes(&self, file: FileId, value: &Value) -> Vec<Symbol> {
        match value {
            Value::Ident(name) => vec![self.resolve(file, name)],
            Value::Object { .. } => {
                let mut out = Vec::new();
                for key in ["useClass", "useExisting"] {
                    if let Some(Value::Ident(name)) = value.get(key) {
                        out.push(self.resolve(file, name));
                    }
                }
                if let Some(Value::Ident(name)) = value.get("provide") {
                    out.push(self.resolve(file, name));
                }
                out
            }
            _ => Vec::new(),
        }
    }

    /// The application scope of a file: its Nest monorepo project, else its package.
    pub fn app_scope(&self, file: FileId) -> (usize, &Path) {
        let indexed = self.file(file);
        (indexed.package, indexed.app_root.as_path())
    }

    /// The modules reachable from `roots` through `imports`; `complete` is false when an import
    /// could not be resolved (a spread, a variable, an unresolved path).
    pub fn module_closure(
        &self,
        roots: impl IntoIterator<Item = ClassKey>,
        metadata: &HashMap<ClassKey, Option<&Value>>,
    ) -> (BTreeSet<ClassKey>, bool) {
        let mut seen = BTreeSet::new();
        let mut complete = true;
        let mut stack: Vec<ClassKey> = roots.into_iter().collect();
        while let Some(module) = stack.pop() {
            if !seen.insert(module) {
                continue;
            }
            let Some(meta) = metadata.get(&module) else {
                continue;
            };
            for item in self.metadata_items(module, *meta, "imports") {
                match item {
                    Item::Value(file, value) | Item::Alternative(file, value) => {
                        for import in self.module_imports(file, value) {
                            match import {
                                ModuleImport::Project { module, .. } => stack.push(module),
                                ModuleImport::External { .. } => {}
                                ModuleImport::Unknown => complete = false,
                            }
                        }
                    }
                    Item::Unknown => complete = false,
                }
            }
        }
        (seen, complete)
    }
}

/// What is known about one kind of global enhancer in a scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coverage {
    Present,
    Absent,
    /// Something the engine cannot see could register one.
    Unknown,
}

impl Coverage {
    pub fn merge(self, other: Coverage) -> Coverage {
        match (self, other) {
            (Coverage::Present, _) | (_, Coverage::Present) => Coverage::Present,
            (Coverage::Unknown, _) | (_, Coverage::Unknown) => Coverage::Unknown,
            _ => Coverage::Absent,
        }
    }
}

/// What a pipe does with the value it is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PipeKind {
    /// `ValidationPipe` or a subclass: class-validator on class-typed values, nothing for other
    /// types (interfaces, `any`, unions are erased to `Object`).
    ClassValidation,
    /// Another pipe (a zod or joi pipe, `ParseArrayPipe`, a project pipe): it validates or
    /// transforms the value its own way.
    Custom,
    /// `DefaultValuePipe`: it only fills in a missing value.
    Passthrough,
    /// The engine cannot tell.
    Unknown,
}

/// Classifies a pipe as written in `@Body(pipe)`, `@UsePipes(...)`, `useGlobalPipes(...)` or an
/// `APP_PIPE` provider: a class, `new Class(...)`, or a factory call.
pub fn pipe_kind(index: &ProjectIndex, file: FileId, value: &Value) -> PipeKind {
    match value {
        Value::New { class, .. } if class.object.is_none() => {
            class_pipe_kind(index, file, &class.name)
        }
        Value::Ident(name) => class_pipe_kind(index, file, name),
        Value::Call { callee, .. } => match index.resolve_callee(file, callee) {
            Symbol::External { .. } | Symbol::Declared { .. } => PipeKind::Custom,
            _ => PipeKind::Unknown,
        },
        _ => PipeKind::Unknown,
    }
}

fn class_pipe_kind(index: &ProjectIndex, file: FileId, name: &str) -> PipeKind {
    let mut symbol = index.resolve(file, name);
    for _ in 0..8 {
        match &symbol {
            Symbol::External { source, name } if source == NEST_COMMON => {
                return match name.as_str() {
                    "ValidationPipe" => PipeKind::ClassValidation,
                    "DefaultValuePipe" => PipeKind::Passthrough,
                    _ => PipeKind::Custom,
                };
            }
            Symbol::External { .. } => return PipeKind::Custom,
            Symbol::Declared { .. } => {
                let Some((class_file, class)) = index.class(&symbol) else {
                    return PipeKind::Unknown;
                };
                match &class.extends {
                    Some(Value::Ident(base)) => symbol = index.resolve(class_file, base),
                    // A project pipe of its own: it implements `transform` its own way.
                    None => return PipeKind::Custom,
                    Some(_) => return PipeKind::Unknown,
                }
            }
            _ => return PipeKind::Unknown,
        }
    }
    PipeKind::Unknown
}

/// The `@nestjs/common` decorators that make a method an HTTP route handler.
pub const ROUTE_DECORATORS: &[&str] = &[
    "Get", "Post", "Put", "Patch", "Delete", "Options", "Head", "All", "Search", "Sse",
];

impl ProjectIndex {
    /// Every controller class of the project (test files included), with its key.
    pub fn controllers(&self) -> impl Iterator<Item = (ClassKey, &ClassFact)> + '_ {
        self.files().flat_map(move |(file, indexed)| {
            indexed
                .facts
                .classes
                .iter()
                .enumerate()
                .filter(move |(_, class)| self.is_controller(file, class))
                .map(move |(index, class)| (ClassKey { file, index }, class))
        })
    }

    pub fn is_controller(&self, file: FileId, class: &ClassFact) -> bool {
        class
            .decorators
            .iter()
            .any(|d| self.is_nest_decorator(file, d, "Controller"))
    }

    /// The HTTP route handlers of a class (non-static methods with a route decorator).
    pub fn route_handlers<'a>(
        &self,
        file: FileId,
        class: &'a ClassFact,
    ) -> Vec<&'a crate::facts::MethodFact> {
        class
            .methods
            .iter()
            .filter(|m| !m.is_static)
            .filter(|m| {
                m.decorators.iter().any(|d| {
                    ROUTE_DECORATORS
                        .iter()
                        .any(|name| self.is_nest_decorator(file, d, name))
                })
            })
            .collect()
    }

    /// For each controller, the modules listing it in `controllers`.
    pub fn controller_modules(&self) -> &Registrations {
        self.controller_modules
            .get_or_init(|| self.registrations("controllers"))
    }

    /// For each class, the modules listing it in `providers` (directly or as `useClass`).
    pub fn provider_modules(&self) -> &Registrations {
        self.provider_modules
            .get_or_init(|| self.registrations("providers"))
    }

    fn registrations(&self, key: &str) -> Registrations {
        let mut out: Registrations = HashMap::new();
        for (module, metadata) in self.modules() {
            for item in self.metadata_items(module, metadata, key) {
                // Lists the engine cannot read register nothing it can name; a conditional one
                // may register what it names.
                let (Item::Value(file, value) | Item::Alternative(file, value)) = item else {
                    continue;
                };
                let symbols = if key == "providers" {
                    self.provided_classes(file, value)
                } else {
                    match value {
                        Value::Ident(name) => vec![self.resolve(file, name)],
                        _ => Vec::new(),
                    }
                };
                for symbol in symbols {
                    if let Some(class) = self.class_key(&symbol) {
                        out.entry(class).or_default().push(module);
                    }
                }
            }
        }
        out
    }
}

/// Classes and the modules that list them.
pub type Registrations = HashMap<ClassKey, Vec<ClassKey>>;

/// The string a value holds: a literal, or a constant bound to one (in this file or imported).
pub fn resolve_string(index: &ProjectIndex, file: FileId, value: &Value) -> Option<Name> {
    resolve_string_at(index, file, value, 0)
}

fn resolve_string_at(
    index: &ProjectIndex,
    file: FileId,
    value: &Value,
    depth: usize,
) -> Option<Name> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Ident(name) if depth < 8 => {
            let (const_file, constant) = index.constant(&index.resolve(file, name))?;
            match &constant.value {
                Value::String(s) => Some(s.clone()),
                Value::Ident(_) => resolve_string_at(index, const_file, &constant.value, depth + 1),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether a metadata key or decorator name marks a route public: `public`, `isPublic`,
/// `IS_PUBLIC_KEY`, `allowAnonymous`, `skipAuth`, `no-auth`, `unprotected`.
pub fn is_public_marker_name(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    [
        "public",
        "anonymous",
        "skipauth",
        "noauth",
        "unprotected",
        "withoutauth",
    ]
    .iter()
    .any(|marker| folded.contains(marker))
}
