//! The properties a DTO class really has, as `ValidationPipe` sees them: its own, those it
//! inherits that it does not redeclare, and those mapped types give it (`PartialType`,
//! `PickType`/`OmitType` with their key lists, `IntersectionType`). Parts the engine cannot read
//! (a mixin, a key list computed at run time) contribute nothing, so that no property is reported
//! that the class may not have.

use std::collections::BTreeSet;

use crate::facts::{PropertyFact, Value};
use crate::index::{FileId, ProjectIndex, Symbol};
use crate::nest::{resolve_string, ClassKey};

/// One property of a DTO, with the class that declares it.
#[derive(Clone, Copy, Debug)]
pub struct DtoProperty<'a> {
    pub owner: ClassKey,
    pub property: &'a PropertyFact,
}

/// The packages whose mapped-type helpers are understood.
const MAPPED_TYPE_PACKAGES: &[&str] =
    &["@nestjs/swagger", "@nestjs/mapped-types", "@nestjs/graphql"];

const MAX_DEPTH: usize = 16;

/// The properties of the DTO class `key`, each once, the most derived declaration first.
pub fn dto_properties(index: &ProjectIndex, key: ClassKey) -> Vec<DtoProperty<'_>> {
    let mut visiting = BTreeSet::new();
    class_properties(index, key, &mut visiting, 0)
}

fn class_properties<'a>(
    index: &'a ProjectIndex,
    key: ClassKey,
    visiting: &mut BTreeSet<ClassKey>,
    depth: usize,
) -> Vec<DtoProperty<'a>> {
    if depth > MAX_DEPTH || !visiting.insert(key) {
        return Vec::new();
    }
    let class = index.class_at(key);
    let mut out: Vec<DtoProperty<'a>> = class
        .properties
        .iter()
        .filter(|p| !p.is_static && is_plain_name(&p.name))
        .map(|property| DtoProperty {
            owner: key,
            property,
        })
        .collect();
    if let Some(base) = &class.extends {
        for inherited in value_properties(index, key.file, base, visiting, depth + 1) {
            // A redeclared property replaces the inherited one, validators and all.
            if !out
                .iter()
                .any(|p| p.property.name == inherited.property.name)
            {
                out.push(inherited);
            }
        }
    }
    visiting.remove(&key);
    out
}

/// A property name a request can set: not computed (`[EntityRepositoryType]`) nor private
/// (`#cache`).
fn is_plain_name(name: &str) -> bool {
    !name.starts_with('[') && !name.starts_with('#')
}

/// The properties of what an `extends` clause (or a mapped type's argument) names.
fn value_properties<'a>(
    index: &'a ProjectIndex,
    file: FileId,
    value: &Value,
    visiting: &mut BTreeSet<ClassKey>,
    depth: usize,
) -> Vec<DtoProperty<'a>> {
    match value {
        Value::Ident(name) => match index.class_key(&index.resolve(file, name)) {
            Some(key) => class_properties(index, key, visiting, depth),
            None => Vec::new(),
        },
        Value::Call { callee, args } => {
            let Symbol::External { source, name } = index.resolve_callee(file, callee) else {
                return Vec::new();
            };
            if !MAPPED_TYPE_PACKAGES.contains(&source.as_str()) {
                return Vec::new();
            }
            let from = |i: usize, visiting: &mut BTreeSet<ClassKey>| match args.get(i) {
                Some(arg) => value_properties(index, file, arg, visiting, depth + 1),
                None => Vec::new(),
            };
            match name.as_str() {
                "PartialType" => from(0, visiting),
                "PickType" | "OmitType" => {
                    let Some(keys) = args.get(1).and_then(|k| key_list(index, file, k)) else {
                        return Vec::new();
                    };
                    let keep = name == "PickType";
                    from(0, visiting)
                        .into_iter()
                        .filter(|p| keys.iter().any(|k| *k == p.property.name) == keep)
                        .collect()
                }
                "IntersectionType" => {
                    let mut out: Vec<DtoProperty<'a>> = Vec::new();
                    for i in 0..args.len() {
                        for property in from(i, visiting) {
                            if !out
                                .iter()
                                .any(|p| p.property.name == property.property.name)
                            {
                                out.push(property);
                            }
                        }
                    }
                    out
                }
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// The keys of `PickType`/`OmitType`: an array of strings, or a constant bound to one.
fn key_list(index: &ProjectIndex, file: FileId, value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|item| resolve_string(index, file, item).map(|s| s.to_string()))
            .collect(),
        Value::Ident(name) => {
            let (const_file, constant) = index.constant(&index.resolve(file, name))?;
            match &constant.value {
                array @ Value::Array(_) => key_list(index, const_file, array),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The properties the class `key` inherits through its `extends` clause (a class of the project
/// or a mapped type of one), whether it redeclares them or not; `None` when it extends something
/// the engine cannot read (a class of a package, a mixin, a key list computed at run time), which
/// may declare any property.
pub fn inherited_properties(index: &ProjectIndex, key: ClassKey) -> Option<Vec<DtoProperty<'_>>> {
    let class = index.class_at(key);
    let Some(base) = &class.extends else {
        return Some(Vec::new());
    };
    if !readable(index, key.file, base, 0) {
        return None;
    }
    let mut visiting = BTreeSet::from([key]);
    Some(value_properties(index, key.file, base, &mut visiting, 1))
}

/// Whether every part of an `extends` value is a class of the project or a mapped type of one,
/// down the inheritance chain.
fn readable(index: &ProjectIndex, file: FileId, value: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match value {
        Value::Ident(name) => match index.class_key(&index.resolve(file, name)) {
            Some(key) => match &index.class_at(key).extends {
                Some(base) => readable(index, key.file, base, depth + 1),
                None => true,
            },
            None => false,
        },
        Value::Call { callee, args } => {
            let Symbol::External { source, name } = index.resolve_callee(file, callee) else {
                return false;
            };
            if !MAPPED_TYPE_PACKAGES.contains(&source.as_str()) {
                return false;
            }
            match name.as_str() {
                "PartialType" => args
                    .first()
                    .is_some_and(|a| readable(index, file, a, depth + 1)),
                "PickType" | "OmitType" => {
                    args.get(1)
                        .is_some_and(|k| key_list(index, file, k).is_some())
                        && args
                            .first()
                            .is_some_and(|a| readable(index, file, a, depth + 1))
                }
                "IntersectionType" => {
                    !args.is_empty() && args.iter().all(|a| readable(index, file, a, depth + 1))
                }
                _ => false,
            }
        }
        _ => false,
    }
}
