use nestlint_diagnostics::{Edit, Fix, Severity, TextRange};
use nestlint_engine::edits::{append_to_list, node_at, relative_specifier, ImportSite};
use nestlint_engine::facts::{ClassFact, DecoratorFact, ParamFact, TypeRef, Value};
use nestlint_engine::nest::{ClassKey, Item, ModuleImport};
use nestlint_engine::syntax::{named_children, Field, ImportedName, NodeExt};
use nestlint_engine::workspace::normalize;
use nestlint_engine::{
    Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta,
    Scope, Symbol,
};
use nestlint_syntax::Name;

use crate::module_edits::{add_to_metadata, metadata_list, module_metadata, MetadataList};

pub struct ValidRepositoryInjection;

static META: RuleMeta = RuleMeta {
    id: "valid-repository-injection",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::Sometimes,
    scope: Scope::Project,
    summary: "TypeORM repositories and Mongoose models are injected with the right decorator and registered in the module",
    docs: r#"## What it does
Checks constructor injection of TypeORM repositories and Mongoose models in Nest providers:
- a `Repository<E>`, `MongoRepository<E>` or `TreeRepository<E>` parameter (from `typeorm`) without
  `@InjectRepository(E)`;
- `@InjectRepository(A)` on a `Repository<B>`;
- a `Model<T>` parameter (from `mongoose`) without `@InjectModel(...)`;
- across files: `@InjectRepository(E)` (or `@InjectModel(X.name)`) in a class whose providing module
  neither imports `TypeOrmModule.forFeature([E])` (or `MongooseModule.forFeature([{ name: X.name, ... }])`)
  nor imports a module that exports `TypeOrmModule` (or `MongooseModule`) after registering `E`.

A custom repository class that extends `Repository<E>` and is itself provided is a plain provider and
is not checked.

## Why is this bad?
Nest cannot resolve an undecorated `Repository<E>`: the type argument is erased at run time, so the
application fails at boot with "Nest can't resolve dependencies". A mismatched entity silently gives
the service the wrong table. An entity missing from `forFeature` fails at boot too, but only when the
module is loaded, which is often first seen in production.

## Example
```ts,expect_diagnostic
import { Injectable } from '@nestjs/common';
import { Entity, Repository } from 'typeorm';

@Entity()
export class Order {}

@Injectable()
export class OrdersService {
  constructor(private readonly orders: Repository<Order>) {}
}
```

Use instead:
```ts
import { Injectable, Module } from '@nestjs/common';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { Entity, Repository } from 'typeorm';

@Entity()
export class Order {}

@Injectable()
export class OrdersService {
  constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}
}

@Module({ imports: [TypeOrmModule.forFeature([Order])], providers: [OrdersService] })
export class OrdersModule {}
```

## Fix
- Safe: `@InjectRepository(E)` is added before an undecorated `Repository<E>` parameter (on a line of
  its own when the other parameters' decorators are), and `InjectRepository` is imported from
  `@nestjs/typeorm` when it is not.
- Unsafe: a mismatched `@InjectRepository(A)` on a `Repository<B>` is changed to `B` (the type is
  what the service's code was written against, but the decorator may be the right half).
- Unsafe: `@InjectModel(T.name)` is added before an undecorated `Model<T>` when `T` is a class (the
  model may be registered under another name).
- Unsafe: a missing entity is registered in the providing module: appended to its
  `TypeOrmModule.forFeature([...])`, or a `TypeOrmModule.forFeature([E])` is appended to `imports`,
  or an `imports` entry is added; the entity (with the specifier the service's file uses) and
  `TypeOrmModule` are imported into the module's file. This edits the module's file, which must be
  linted too, and the project may prefer to import a shared module that registers the entity.

There is no fix when the entity is imported with `import type` or is not a class, when a name the
fix needs is already bound to something else, when `imports` is not an array literal, or when a data
source or connection is named.

## When it stays silent
The cross-file check runs only when the engine sees every module that provides the class and every
entry of their `imports`: a spread, a variable, a dynamic module of the project or a data-source
name it cannot compare makes it stay silent. A `Repository<T>` whose entity is a type parameter of
the class (a generic base service, whose subclasses inject their own repository) or a generic type
(`Repository<Partial<User>>`) names no entity and is not checked. Test code is not checked.

## References
- https://docs.nestjs.com/techniques/database#repository-pattern
- https://docs.nestjs.com/techniques/mongodb#model-injection
"#,
};

const TYPEORM_REPOSITORIES: &[&str] = &["Repository", "MongoRepository", "TreeRepository"];

impl Rule for ValidRepositoryInjection {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let provider_modules = index.provider_modules();
        for (file, indexed) in index.files() {
            if !indexed.is_target {
                continue;
            }
            for (class_index, class) in indexed.facts.classes.iter().enumerate() {
                if !is_nest_managed(index, file, class) {
                    continue;
                }
                let key = ClassKey {
                    file,
                    index: class_index,
                };
                let modules = provider_modules.get(&key).map_or(&[][..], Vec::as_slice);
                for param in &class.constructor_params {
                    check_param(index, ctx, file, class, param, modules);
                }
            }
        }
    }
}

/// A class Nest instantiates: decorated by any `@nestjs/*` class decorator.
fn is_nest_managed(index: &ProjectIndex, file: FileId, class: &ClassFact) -> bool {
    class.decorators.iter().any(|d| {
        index
            .resolve_callee(file, &d.callee)
            .external_source()
            .is_some_and(|s| s.starts_with("@nestjs/"))
    })
}

fn find_decorator<'a>(
    index: &ProjectIndex,
    file: FileId,
    param: &'a ParamFact,
    source: &str,
    name: &str,
) -> Option<&'a DecoratorFact> {
    param
        .decorators
        .iter()
        .find(|d| index.is_export_of(file, &d.callee, source, name))
}

fn check_param(
    index: &ProjectIndex,
    ctx: &mut ProjectContext<'_>,
    file: FileId,
    class: &ClassFact,
    param: &ParamFact,
    modules: &[ClassKey],
) {
    let type_name = match &param.ty {
        Some(TypeRef::Named { name, args }) => Some((name.as_str(), args.as_slice())),
        _ => None,
    };
    let inject_repository =
        find_decorator(index, file, param, "@nestjs/typeorm", "InjectRepository");
    let inject_model = find_decorator(index, file, param, "@nestjs/mongoose", "InjectModel");
    let type_range = param.type_range.unwrap_or(param.range);

    if let Some((name, args)) = type_name {
        let symbol = index.resolve(file, name);
        let repository = TYPEORM_REPOSITORIES
            .iter()
            .find(|r| symbol.is_external("typeorm", r));
        // The entity must be a plain name: `Repository<T>` in a generic base service binds it
        // in each subclass, and `Repository<Partial<User>>` names no entity to inject.
        let entity = match args.first() {
            Some(TypeRef::Named { name, args }) if args.is_empty() => Some(name.as_str()),
            _ => None,
        }
        .filter(|entity| !class.type_params.iter().any(|p| p == entity));
        if let (Some(repository), Some(entity)) = (repository, entity) {
            match inject_repository {
                None if param.decorators.is_empty() => {
                    let fix = add_decorator(
                        index,
                        ctx,
                        (file, class),
                        param,
                        ("@nestjs/typeorm", "InjectRepository"),
                        entity,
                    )
                    .filter(|_| is_value(index, file, entity))
                    .map(|edits| Fix::safe(format!("add `@InjectRepository({entity})`"), edits));
                    ctx.report(
                        index,
                        file,
                        type_range,
                        format!(
                            "`{}` is a `{repository}<{entity}>` injected without `@InjectRepository({entity})`",
                            param.name
                        ),
                    )
                    .help(format!("add `@InjectRepository({entity})` before the parameter"))
                    .note("the type argument is erased at run time, so Nest cannot tell which repository to inject and fails at boot")
                    .fix(fix);
                }
                Some(decorator) => {
                    if let Some(Value::Ident(injected)) = decorator.args.first() {
                        if injected != entity
                            && index.resolve(file, injected) != index.resolve(file, entity)
                        {
                            let fix = replace_first_argument(index, ctx, file, decorator, entity)
                                .filter(|_| is_value(index, file, entity))
                                .map(|edits| {
                                    Fix::unsafe_edits(
                                        format!("inject the repository of `{entity}`, the entity the type names"),
                                        edits,
                                    )
                                });
                            ctx.report(
                                index,
                                file,
                                decorator.range,
                                format!(
                                    "`@InjectRepository({injected})` is applied to a `{repository}<{entity}>`"
                                ),
                            )
                            .help(format!("inject `@InjectRepository({entity})`, or change the parameter type to `{repository}<{injected}>`"))
                            .note("the service would query the wrong entity's table while its types say otherwise")
                            .fix(fix);
                        }
                    }
                }
                None => {}
            }
        }
        if symbol.is_external("mongoose", "Model")
            && inject_model.is_none()
            && param.decorators.is_empty()
        {
            let model = args.first().and_then(TypeRef::name).unwrap_or("T");
            // `X.name` needs `X` to be a class; the registered name may differ, so it is unsafe.
            let is_class = index.class(&index.resolve(file, model)).is_some();
            let fix = add_decorator(
                index,
                ctx,
                (file, class),
                param,
                ("@nestjs/mongoose", "InjectModel"),
                &format!("{model}.name"),
            )
            .filter(|_| is_class && is_value(index, file, model))
            .map(|edits| {
                Fix::unsafe_edits(
                    format!("add `@InjectModel({model}.name)` (the model must be registered under that name)"),
                    edits,
                )
            });
            ctx.report(
                index,
                file,
                type_range,
                format!("`{}` is a mongoose `Model<{model}>` injected without `@InjectModel(...)`", param.name),
            )
            .help(format!("add `@InjectModel({model}.name)` before the parameter"))
            .note("Nest cannot resolve a `Model<T>` by its type: the type argument is erased at run time")
            .fix(fix);
        }
    }

    // Cross-file: the providing modules must register the entity.
    let registration = if let Some(decorator) = inject_repository {
        decorator.args.first().and_then(|arg| match arg {
            Value::Ident(entity) => Some(Registration::TypeOrm {
                entity: index.resolve(file, entity),
                entity_name: entity.clone(),
                data_source: decorator.args.get(1).cloned(),
                range: decorator.range,
            }),
            _ => None,
        })
    } else if let Some(decorator) = inject_model {
        decorator
            .args
            .first()
            .and_then(model_name)
            .map(|name| Registration::Mongoose {
                name,
                connection: decorator.args.get(1).cloned(),
                range: decorator.range,
            })
    } else {
        None
    };
    let Some(registration) = registration else {
        return;
    };
    for &module in modules {
        if module_registers(index, module, &registration, 0) == Found::No {
            let module_class = index.class_at(module);
            let (what, helper) = match &registration {
                Registration::TypeOrm { entity_name, .. } => (
                    format!("entity `{entity_name}`"),
                    format!("add `TypeOrmModule.forFeature([{entity_name}])` to the `imports` of `{}`", module_class.name),
                ),
                Registration::Mongoose { name, .. } => (
                    format!("model `{name}`"),
                    format!("add `MongooseModule.forFeature([{{ name: {name}.name, schema: ... }}])` to the `imports` of `{}`", module_class.name),
                ),
            };
            let fix = match &registration {
                Registration::TypeOrm {
                    entity,
                    entity_name,
                    data_source: None,
                    ..
                } => register_entity(index, ctx, file, module, entity, entity_name),
                _ => None,
            };
            ctx.report(
                index,
                file,
                registration.range(),
                format!(
                    "{what} is not registered in `{}`, which provides `{}`",
                    module_class.name, class.name
                ),
            )
            .fix(fix)
            .help(helper)
            .note("Nest fails at boot with \"Nest can't resolve dependencies\" when the module is loaded")
            .label(index.file(module.file).path.clone(), module_class.name_range, "the providing module");
        }
    }
}

/// Whether `name` is usable as a value in `file`: not a type-only import, not an interface or
/// type alias.
fn is_value(index: &ProjectIndex, file: FileId, name: &str) -> bool {
    !index.is_type_only_import(file, name) && index.type_decl(&index.resolve(file, name)).is_none()
}

/// Edits putting `@decorator(argument)` before `param`, importing the decorator if need be.
/// When the other parameters' decorators stand on lines of their own, so does this one.
fn add_decorator(
    index: &ProjectIndex,
    ctx: &ProjectContext<'_>,
    (file, class): (FileId, &ClassFact),
    param: &ParamFact,
    (module, decorator): (&str, &str),
    argument: &str,
) -> Option<Vec<Edit>> {
    let source = ctx.source(index, file)?;
    let import = ctx
        .import_site(index, file)?
        .ensure(module, decorator)
        .ok()?;
    let own_line = class
        .constructor_params
        .iter()
        .flat_map(|p| &p.decorators)
        .any(|d| {
            source.get(d.range.end()..).is_some_and(|rest| {
                rest.trim_start_matches([' ', '\t'])
                    .starts_with(['\n', '\r'])
            })
        });
    let start = param.range.start();
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let indent = &source[line_start..start];
    let separator = if own_line && indent.trim().is_empty() {
        format!("\n{indent}")
    } else {
        " ".to_owned()
    };
    let mut edits = vec![Edit::insertion(
        start,
        format!("@{decorator}({argument}){separator}"),
    )];
    edits.extend(import);
    Some(edits)
}

/// An edit replacing the first argument of `decorator` with `argument`.
fn replace_first_argument(
    index: &ProjectIndex,
    ctx: &ProjectContext<'_>,
    file: FileId,
    decorator: &DecoratorFact,
    argument: &str,
) -> Option<Vec<Edit>> {
    let tree = ctx.tree_for_edit(index, file)?;
    let node = node_at(tree.root_node(), decorator.range)?;
    let call = named_children(node).find(|n| n.kind_name() == "call_expression")?;
    let first = named_children(call.field(Field::Arguments)?).next()?;
    Some(vec![Edit::replacement(
        TextRange::new(first.start_byte(), first.end_byte()),
        argument,
    )])
}

/// A fix registering `entity` in `module`'s `TypeOrmModule.forFeature([...])`: appended to the
/// existing call, else a new call appended to `imports`, else a new `imports` entry; the entity
/// (and `TypeOrmModule`) imported into the module's file. Unsafe: the project may rather import a
/// shared module that registers it, and the fix edits another file than the one reported.
fn register_entity(
    index: &ProjectIndex,
    ctx: &ProjectContext<'_>,
    service_file: FileId,
    module: ClassKey,
    entity: &Symbol,
    entity_name: &str,
) -> Option<Fix> {
    let module_file = module.file;
    let path = index.file(module_file).path.clone();
    let source = ctx.source(index, module_file)?;
    let tree = ctx.tree_for_edit(index, module_file)?;
    let root = tree.root_node();
    let module_class = index.class_at(module);
    let metadata = module_metadata(index, module, root)?;
    let mut edits = Vec::new();
    let site = ctx.import_site(index, module_file)?;
    let local = entity_in_module(
        index,
        service_file,
        module_file,
        entity,
        entity_name,
        &site,
        &mut edits,
    )?;
    match metadata_list(metadata, source, "imports")? {
        MetadataList::Array(list) => {
            let for_feature = named_children(list).find_map(|item| {
                let value = Value::from_node(item, source);
                let Value::Call { callee, args } = &value else {
                    return None;
                };
                let object = callee.object.as_ref()?;
                let is_for_feature = callee.name == "forFeature"
                    && index
                        .resolve(module_file, object)
                        .is_external("@nestjs/typeorm", "TypeOrmModule")
                    && args.len() == 1;
                is_for_feature.then_some(item)
            });
            match for_feature {
                Some(item) => {
                    let entities = named_children(item.field(Field::Arguments)?).next()?;
                    if entities.kind_name() != "array" {
                        return None;
                    }
                    edits.push(append_to_list(source, entities, &local));
                }
                None => {
                    let typeorm_module = typeorm_module_name(&site, &mut edits)?;
                    edits.push(append_to_list(
                        source,
                        list,
                        &format!("{typeorm_module}.forFeature([{local}])"),
                    ));
                }
            }
        }
        list @ MetadataList::Absent => {
            let typeorm_module = typeorm_module_name(&site, &mut edits)?;
            let entry = format!("{typeorm_module}.forFeature([{local}])");
            edits.push(add_to_metadata(source, metadata, list, "imports", &entry));
        }
    }
    Some(
        Fix::unsafe_edits(
            format!(
                "register `{local}` in `{}`'s `TypeOrmModule.forFeature`",
                module_class.name
            ),
            edits,
        )
        .in_file(path),
    )
}

/// The name `TypeOrmModule` has in the module's file, importing it when it is not there.
fn typeorm_module_name(site: &ImportSite, edits: &mut Vec<Edit>) -> Option<String> {
    let import = site.ensure("@nestjs/typeorm", "TypeOrmModule").ok()?;
    edits.extend(import);
    Some("TypeOrmModule".to_owned())
}

/// The name the entity has in the module's file; when it has none, an import edit is added, with
/// the specifier the service's file uses (re-based when relative).
#[allow(clippy::too_many_arguments)]
fn entity_in_module(
    index: &ProjectIndex,
    service_file: FileId,
    module_file: FileId,
    entity: &Symbol,
    entity_name: &str,
    site: &ImportSite,
    edits: &mut Vec<Edit>,
) -> Option<String> {
    let declared_name = entity.name()?.to_owned();
    if index.resolve(module_file, &declared_name) == *entity {
        return Some(declared_name);
    }
    // The specifier: how the service's file imports the entity, or the service's file itself.
    let module_path = index.file(module_file).path.clone();
    let module_dir = module_path.parent()?;
    let specifier = match index.file(service_file).import(entity_name) {
        Some(binding) => {
            if binding.imported != ImportedName::Named(declared_name.as_str().into()) {
                return None;
            }
            if binding.source.starts_with('.') {
                let service_dir = index.file(service_file).path.parent()?.to_path_buf();
                let target = normalize(&service_dir.join(binding.source.as_str()));
                relative_specifier(module_dir, &target)?
            } else {
                binding.source.to_string()
            }
        }
        None => {
            let Symbol::Declared { file, .. } = entity else {
                return None;
            };
            if *file == module_file {
                return Some(declared_name);
            }
            relative_specifier(module_dir, &index.file(*file).path)?
        }
    };
    edits.extend(site.ensure(&specifier, &declared_name).ok()?);
    Some(declared_name)
}

enum Registration {
    TypeOrm {
        entity: Symbol,
        entity_name: Name,
        data_source: Option<Value>,
        range: nestlint_diagnostics::TextRange,
    },
    Mongoose {
        name: Name,
        connection: Option<Value>,
        range: nestlint_diagnostics::TextRange,
    },
}

impl Registration {
    fn range(&self) -> nestlint_diagnostics::TextRange {
        match self {
            Registration::TypeOrm { range, .. } | Registration::Mongoose { range, .. } => *range,
        }
    }
}

/// `Cat.name` → `Cat`; `'Cat'` → `Cat`.
fn model_name(value: &Value) -> Option<Name> {
    match value {
        Value::Member { object, property } if property == "name" => Some(object.clone()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Found {
    Yes,
    No,
    Unknown,
}

/// Whether `module` registers the entity for its providers: through its own `forFeature`, or
/// through an imported module that re-exports `TypeOrmModule`/`MongooseModule` and registers it.
fn module_registers(
    index: &ProjectIndex,
    module: ClassKey,
    registration: &Registration,
    depth: usize,
) -> Found {
    if depth > 6 {
        return Found::Unknown;
    }
    let metadata = index.module_metadata(module).flatten();
    let mut result = Found::No;
    for item in index.metadata_items(module, metadata, "imports") {
        let Item::Value(file, value) = item else {
            result = merge(result, Found::Unknown);
            continue;
        };
        let found = match index.module_import(file, value) {
            ModuleImport::External {
                source,
                name,
                method,
                file,
                args,
            } => {
                match (
                    registration,
                    source.as_str(),
                    name.as_str(),
                    method.as_deref(),
                ) {
                    (
                        Registration::TypeOrm {
                            entity,
                            entity_name,
                            data_source,
                            ..
                        },
                        "@nestjs/typeorm",
                        "TypeOrmModule",
                        Some("forFeature"),
                    ) => {
                        if args.get(1) != data_source.as_ref() {
                            Found::No
                        } else {
                            list_contains(index, file, args.first(), |file, v| match v {
                                Value::Ident(name) => {
                                    name == entity_name || index.resolve(file, name) == *entity
                                }
                                _ => false,
                            })
                        }
                    }
                    (
                        Registration::Mongoose {
                            name: model,
                            connection,
                            ..
                        },
                        "@nestjs/mongoose",
                        "MongooseModule",
                        Some("forFeature" | "forFeatureAsync"),
                    ) => {
                        if args.get(1) != connection.as_ref() {
                            Found::No
                        } else {
                            list_contains(index, file, args.first(), |_, v| {
                                v.get("name")
                                    .and_then(model_name)
                                    .is_some_and(|n| n == *model)
                            })
                        }
                    }
                    _ => Found::No,
                }
            }
            ModuleImport::Project {
                module: imported,
                dynamic: false,
            } => match exports_orm_module(index, imported, registration) {
                Found::Yes => module_registers(index, imported, registration, depth + 1),
                Found::Unknown => {
                    match module_registers(index, imported, registration, depth + 1) {
                        Found::No => Found::No,
                        _ => Found::Unknown,
                    }
                }
                Found::No => Found::No,
            },
            // A project dynamic module (`X.forRoot()`) may return anything.
            ModuleImport::Project { dynamic: true, .. } => Found::Unknown,
            ModuleImport::Unknown => Found::Unknown,
        };
        result = merge(result, found);
        if result == Found::Yes {
            break;
        }
    }
    result
}

fn merge(a: Found, b: Found) -> Found {
    match (a, b) {
        (Found::Yes, _) | (_, Found::Yes) => Found::Yes,
        (Found::Unknown, _) | (_, Found::Unknown) => Found::Unknown,
        _ => Found::No,
    }
}

fn list_contains(
    index: &ProjectIndex,
    file: FileId,
    list: Option<&Value>,
    matches: impl Fn(FileId, &Value) -> bool,
) -> Found {
    let Some(list) = list else {
        return Found::No;
    };
    let mut result = Found::No;
    for item in index.flatten(file, list) {
        match item {
            Item::Value(item_file, value) if matches(item_file, value) => return Found::Yes,
            Item::Value(..) => {}
            // In one branch of a conditional: there or not.
            Item::Alternative(item_file, value) if matches(item_file, value) => {
                result = Found::Unknown
            }
            Item::Alternative(..) => {}
            Item::Unknown => result = Found::Unknown,
        }
    }
    result
}

/// Whether `module` lists `TypeOrmModule` (or `MongooseModule`) in its `exports`.
fn exports_orm_module(
    index: &ProjectIndex,
    module: ClassKey,
    registration: &Registration,
) -> Found {
    let (source, name) = match registration {
        Registration::TypeOrm { .. } => ("@nestjs/typeorm", "TypeOrmModule"),
        Registration::Mongoose { .. } => ("@nestjs/mongoose", "MongooseModule"),
    };
    let metadata = index.module_metadata(module).flatten();
    let mut result = Found::No;
    for item in index.metadata_items(module, metadata, "exports") {
        let exported = match item {
            Item::Value(file, Value::Ident(exported)) => {
                index.resolve(file, exported).is_external(source, name)
            }
            Item::Value(file, Value::Call { callee, .. }) => callee
                .object
                .as_ref()
                .is_some_and(|object| index.resolve(file, object).is_external(source, name)),
            Item::Value(..) => false,
            Item::Alternative(..) | Item::Unknown => {
                result = Found::Unknown;
                false
            }
        };
        if exported {
            return Found::Yes;
        }
    }
    result
}
