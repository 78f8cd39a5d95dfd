//! Which guards `@UseGuards(...)` binds to a route: on the route, its controller and the
//! controller's base classes, directly or through project decorator factories
//! (`applyDecorators(UseGuards(...))`). Shared by the rules that ask what runs before a handler.

use std::collections::HashMap;

use nestlint_engine::facts::{ClassFact, DecoratorFact, TypeRef, Value};
use nestlint_engine::nest::NEST_COMMON;
use nestlint_engine::{FileId, ProjectIndex, Symbol};
use nestlint_syntax::Name;

use crate::security::routes_guarded::looks_auth_related;

/// Guards bound to a route by decorators: `@UseGuards(...)` arguments, written in their files.
#[derive(Clone, Default)]
pub struct Bound {
    pub guards: Vec<(FileId, Value)>,
    /// A decorator may bind a guard the rule cannot see.
    pub unknown: bool,
}

/// How far factories and base classes are followed.
pub const MAX_DEPTH: usize = 16;

/// The guards decorators bind, with project factories' bindings memoised.
pub struct Bindings<'i> {
    index: &'i ProjectIndex,
    /// Guards bound by project decorator factories, by function.
    factories: HashMap<(FileId, Name), Bound>,
}

impl<'i> Bindings<'i> {
    pub fn new(index: &'i ProjectIndex) -> Self {
        Bindings {
            index,
            factories: HashMap::new(),
        }
    }

    /// The guards a controller binds for all its routes: its decorators and its base classes'.
    pub fn class_guards(&mut self, file: FileId, class: &ClassFact) -> Bound {
        let mut bound = Bound::default();
        self.decorator_guards(file, &class.decorators, &mut bound);
        let mut current = (file, class);
        for _ in 0..MAX_DEPTH {
            let Some(base) = &current.1.extends else {
                break;
            };
            let Value::Ident(base) = base else {
                bound.unknown = true;
                break;
            };
            match self.index.class(&self.index.resolve(current.0, base)) {
                Some(parent) => {
                    self.decorator_guards(parent.0, &parent.1.decorators, &mut bound);
                    current = parent;
                }
                None => {
                    bound.unknown = true;
                    break;
                }
            }
        }
        bound
    }

    /// Adds the guards `decorators` bind: `@UseGuards(...)`, directly or through a project
    /// factory (`applyDecorators(UseGuards(...))`).
    pub fn decorator_guards(
        &mut self,
        file: FileId,
        decorators: &[DecoratorFact],
        into: &mut Bound,
    ) {
        for decorator in decorators {
            let symbol = self.index.resolve_callee(file, &decorator.callee);
            self.callee_guards(file, &symbol, &decorator.args, into, 0);
        }
    }

    fn callee_guards(
        &mut self,
        file: FileId,
        symbol: &Symbol,
        args: &[Value],
        into: &mut Bound,
        depth: usize,
    ) {
        match symbol {
            Symbol::External { source, name } => {
                if symbol.is_external(NEST_COMMON, "UseGuards") {
                    into.guards
                        .extend(args.iter().map(|arg| (file, arg.clone())));
                } else if !source.starts_with("@nestjs/") && looks_auth_related(name) {
                    // A package's `@Auth()` may bind its own guards.
                    into.unknown = true;
                }
            }
            Symbol::Declared { .. } => {
                if let Some(bound) = self.factory_guards(symbol, depth) {
                    into.guards.extend(bound.guards);
                    into.unknown |= bound.unknown;
                }
            }
            Symbol::Unresolved | Symbol::Unknown => into.unknown = true,
        }
    }

    /// The guards a project function binds when called; `None` for what is not a function.
    fn factory_guards(&mut self, symbol: &Symbol, depth: usize) -> Option<Bound> {
        let (file, function) = self.index.function(symbol)?;
        let key = (file, function.name.clone());
        if let Some(bound) = self.factories.get(&key) {
            return Some(bound.clone());
        }
        if depth > MAX_DEPTH {
            return Some(Bound {
                guards: Vec::new(),
                unknown: true,
            });
        }
        // A factory calling itself adds nothing.
        self.factories.insert(key.clone(), Bound::default());
        let mut bound = Bound {
            guards: Vec::new(),
            unknown: function.opaque,
        };
        for (callee, args) in &function.calls {
            let symbol = self.index.resolve_callee(file, callee);
            match symbol {
                // Globals and parameters (`Reflect.defineMetadata`, `descriptor.value`).
                Symbol::Unknown => {}
                symbol => self.callee_guards(file, &symbol, args, &mut bound, depth + 1),
            }
        }
        self.factories.insert(key, bound.clone());
        Some(bound)
    }
}

/// A guard, or a base of guards: it or a class it extends has `canActivate`, or is named so.
pub fn guard_like(index: &ProjectIndex, file: FileId, class: &ClassFact) -> bool {
    let mut current = (file, class);
    for _ in 0..MAX_DEPTH {
        if current.1.name.ends_with("Guard")
            || current.1.methods.iter().any(|m| m.name == "canActivate")
        {
            return true;
        }
        let Some(Value::Ident(base)) = &current.1.extends else {
            return false;
        };
        match index.class(&index.resolve(current.0, base)) {
            Some(parent) => current = parent,
            None => return false,
        }
    }
    false
}

/// Whether a guard may call code of the project: it injects or constructs a project class,
/// or its file declares or imports a project function. What is imported from a file nestlint
/// did not read may be either.
pub fn calls_project_code(index: &ProjectIndex, file: FileId, class: &ClassFact) -> bool {
    let declared = |name: &str| {
        matches!(
            index.resolve(file, name),
            Symbol::Declared { .. } | Symbol::Unresolved
        )
    };
    let facts = &index.file(file).facts;
    class
        .constructor_params
        .iter()
        .any(|param| match &param.ty {
            Some(TypeRef::Named { name, .. }) => declared(name),
            _ => false,
        })
        || class.constructs.iter().any(|(name, _)| declared(name))
        || !facts.functions.is_empty()
        || facts.imports.iter().any(|import| {
            if import.type_only {
                return false;
            }
            let symbol = index.resolve(file, &import.local);
            symbol == Symbol::Unresolved || index.function(&symbol).is_some()
        })
}
