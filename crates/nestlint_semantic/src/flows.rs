//! Where a route handler's request parameters go, one call deep: whether the value reaches a
//! call that validates it (`schema.parse(body)`, `validate(dto)`, a command whose static
//! `create` runs class-validator, a service method that runs `ValidationPipe.transform`), or
//! code the engine cannot read. Either way a finding about the value being unvalidated would be
//! a guess, so the rules stay silent.

use crate::facts::{is_validating_call, CalleeName, ClassFact, MethodFact, TypeRef, Value};
use crate::index::{FileId, ProjectIndex, Symbol};
use crate::nest::ClassKey;

/// What the engine sees of a parameter's value after the handler receives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Reach {
    /// It reaches a validating call.
    Validated,
    /// It reaches code the engine cannot read (an import it cannot follow).
    Unseen,
    /// Everything it reaches was read, and none of it validates.
    Plain,
}

/// Packages whose functions validate what they are given.
const VALIDATION_PACKAGES: &[&str] = &[
    "zod",
    "joi",
    "@hapi/joi",
    "yup",
    "class-validator",
    "ajv",
    "superstruct",
    "valibot",
    "io-ts",
    "runtypes",
    "@sinclair/typebox",
    "typia",
    "arktype",
    "@effect/schema",
    "effect",
];

/// Where parameter `param` of `handler` (in `class`, written in `file`) goes.
pub fn parameter_reach(
    index: &ProjectIndex,
    file: FileId,
    class: &ClassFact,
    handler: &MethodFact,
    param: usize,
) -> Reach {
    let mut reach = Reach::Plain;
    for flow in handler.flows.iter().filter(|f| f.param == param) {
        if flow.validating {
            return Reach::Validated;
        }
        if flow.construct {
            continue;
        }
        match callee_reach(index, file, class, &flow.callee) {
            Reach::Validated => return Reach::Validated,
            Reach::Unseen => reach = Reach::Unseen,
            Reach::Plain => {}
        }
    }
    reach
}

fn callee_reach(
    index: &ProjectIndex,
    file: FileId,
    class: &ClassFact,
    callee: &CalleeName,
) -> Reach {
    match callee.object.as_deref() {
        // `validate(dto)`, `parseUser(body)`.
        None => match index.resolve(file, &callee.name) {
            Symbol::External { source, .. } => external_reach(&source),
            symbol @ Symbol::Declared { .. } => match index.function(&symbol) {
                Some((_, function)) => {
                    if function.calls.iter().any(|(c, _)| is_validating_call(c)) {
                        Reach::Validated
                    } else if function.opaque {
                        Reach::Unseen
                    } else {
                        Reach::Plain
                    }
                }
                None => Reach::Plain,
            },
            Symbol::Unresolved => Reach::Unseen,
            Symbol::Unknown => Reach::Plain,
        },
        // `this.users.create(dto)`: the method of the injected service.
        Some(object) if object.starts_with("this.") => {
            let field = &object["this.".len()..];
            if !field
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
            {
                return Reach::Plain;
            }
            match field_type(class, field) {
                Some(type_name) => {
                    let type_name = type_name.to_owned();
                    type_method_reach(index, file, &type_name, &callee.name, false)
                }
                None => Reach::Plain,
            }
        }
        // `UpdateProfileCommand.create(...)`: a static method of a class, or a schema object.
        Some(object)
            if object
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '$') =>
        {
            type_method_reach(index, file, object, &callee.name, true)
        }
        Some(_) => Reach::Plain,
    }
}

fn external_reach(source: &str) -> Reach {
    let package = crate::workspace::package_name(source);
    if VALIDATION_PACKAGES.contains(&package) {
        Reach::Validated
    } else {
        Reach::Plain
    }
}

/// The type a class gives one of its fields: a constructor parameter property or a property.
fn field_type<'a>(class: &'a ClassFact, field: &str) -> Option<&'a str> {
    let from_param = class
        .constructor_params
        .iter()
        .find(|p| p.is_parameter_property && p.name == field)
        .and_then(|p| p.ty.as_ref());
    let from_property = class
        .properties
        .iter()
        .find(|p| p.name == field)
        .and_then(|p| p.ty.as_ref());
    match from_param.or(from_property)? {
        TypeRef::Named { name, .. } => Some(name),
        _ => None,
    }
}

/// What calling `method` on the class `type_name` (resolved in `file`) does.
fn type_method_reach(
    index: &ProjectIndex,
    file: FileId,
    type_name: &str,
    method: &str,
    is_static: bool,
) -> Reach {
    let symbol = index.resolve(file, type_name);
    match &symbol {
        Symbol::External { source, .. } => external_reach(source),
        Symbol::Unresolved => Reach::Unseen,
        Symbol::Unknown => Reach::Plain,
        Symbol::Declared { .. } => match index.class_key(&symbol) {
            Some(key) => class_method_reach(index, key, method, is_static, 0),
            // A constant (a schema object) or a function: its calls are not modelled.
            None => Reach::Plain,
        },
    }
}

/// Whether `method` of the class `key` (or the base class it inherits it from) validates.
fn class_method_reach(
    index: &ProjectIndex,
    key: ClassKey,
    method: &str,
    is_static: bool,
    depth: usize,
) -> Reach {
    if depth > 8 {
        return Reach::Unseen;
    }
    let class = index.class_at(key);
    if let Some(found) = class
        .methods
        .iter()
        .find(|m| m.name == method && m.is_static == is_static)
    {
        return if found.validates {
            Reach::Validated
        } else {
            Reach::Plain
        };
    }
    match &class.extends {
        Some(Value::Ident(base)) => match index.resolve(key.file, base) {
            Symbol::External { source, .. } => external_reach(&source),
            Symbol::Unresolved => Reach::Unseen,
            Symbol::Unknown => Reach::Plain,
            symbol @ Symbol::Declared { .. } => match index.class_key(&symbol) {
                Some(base) => class_method_reach(index, base, method, is_static, depth + 1),
                None => Reach::Plain,
            },
        },
        // A mixin or a generic base the engine cannot read.
        Some(_) => Reach::Unseen,
        None => Reach::Plain,
    }
}
