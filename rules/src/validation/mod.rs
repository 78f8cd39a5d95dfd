//! Rules for request input that reaches a handler unvalidated.

pub mod array_validators_each;
pub mod dto_explicit_optionality;
pub mod nested_dto_decorators;
pub mod param_transform_pipe;
pub mod request_dto_validation;
pub mod uploaded_file_validated;
pub mod validation_pipe_config;

use std::collections::HashSet;

use nestlint_engine::dto::dto_properties;
use nestlint_engine::facts::TypeRef;
use nestlint_engine::nest::ClassKey;
use nestlint_engine::ProjectIndex;

const NEST_GRAPHQL: &str = "@nestjs/graphql";

/// The parameter decorators of routes whose values `ValidationPipe` converts.
const INPUTS: &[&str] = &["Body", "Query", "Param"];

/// The classes of `@Body()`, `@Query()` and `@Param()` parameters of routes and of `@Args()`
/// parameters of GraphQL resolvers, in the project's non-test files (arrays taken whole are left
/// out: `ValidationPipe` does not convert them).
pub(crate) fn request_inputs(index: &ProjectIndex) -> Vec<ClassKey> {
    let mut out: Vec<ClassKey> = Vec::new();
    for (file, indexed) in index.files() {
        if indexed.is_test {
            continue;
        }
        for class in &indexed.facts.classes {
            let resolver = class
                .decorators
                .iter()
                .any(|d| index.is_export_of(file, &d.callee, NEST_GRAPHQL, "Resolver"));
            let handlers = if resolver {
                class.methods.iter().filter(|m| !m.is_static).collect()
            } else if index.is_controller(file, class) {
                index.route_handlers(file, class)
            } else {
                continue;
            };
            for param in handlers.iter().flat_map(|h| &h.params) {
                let input = param.decorators.iter().any(|d| {
                    if resolver {
                        index.is_export_of(file, &d.callee, NEST_GRAPHQL, "Args")
                    } else {
                        INPUTS
                            .iter()
                            .any(|name| index.is_nest_decorator(file, d, name))
                    }
                });
                let Some(TypeRef::Named { name, args }) = &param.ty else {
                    continue;
                };
                if input && args.is_empty() {
                    out.extend(index.class_key(&index.resolve(file, name)));
                }
            }
        }
    }
    out
}

/// The classes whose properties validation of a request reaches: the request inputs, the
/// classes they inherit properties from (bases and mapped types' arguments), and the classes
/// their properties are declared as (each element of an array), transitively.
pub(crate) fn request_dto_classes(index: &ProjectIndex) -> HashSet<ClassKey> {
    let mut queue = request_inputs(index);
    let mut seen: HashSet<ClassKey> = queue.iter().copied().collect();
    while let Some(class) = queue.pop() {
        for property in dto_properties(index, class) {
            if seen.insert(property.owner) {
                queue.push(property.owner);
            }
            let Some((TypeRef::Named { name, args }, _)) =
                property.property.ty.as_ref().and_then(element_type)
            else {
                continue;
            };
            if !args.is_empty() || name.contains('.') {
                continue;
            }
            if let Some(nested) = index.class_key(&index.resolve(property.owner.file, name)) {
                if seen.insert(nested) {
                    queue.push(nested);
                }
            }
        }
    }
    seen
}

/// The type of a property's values: itself, or the element of an array (then `true`), with
/// `null` and `undefined` members of a union set aside. `None` for other unions.
pub(crate) fn element_type(ty: &TypeRef) -> Option<(&TypeRef, bool)> {
    match ty {
        TypeRef::Array(inner) => Some((inner, true)),
        TypeRef::Named { name, args } if matches!(name.as_str(), "Array" | "ReadonlyArray") => {
            match args.as_slice() {
                [inner] => Some((inner, true)),
                _ => None,
            }
        }
        TypeRef::Union(members) => {
            let mut rest = members.iter().filter(
                |m| !matches!(m, TypeRef::Keyword(k) if matches!(k.as_str(), "null" | "undefined")),
            );
            let only = rest.next()?;
            if rest.next().is_some() {
                return None;
            }
            element_type(only)
        }
        _ => Some((ty, false)),
    }
}
