use nestlint_diagnostics::Severity;
use nestlint_engine::facts::{ClassFact, DecoratorFact, ParamFact, TypeRef, Value};
use nestlint_engine::nest::{ClassKey, Item, ModuleImport};
use nestlint_engine::{
    Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta,
    Scope, Symbol,
};
use nestlint_syntax::Name;

pub struct ValidRepositoryInjection;

static META: RuleMeta = RuleMeta {
    id: "valid-repository-injection",
    category: Category::Correctness,
    default_severity: Severity::Error,
    fix: FixAvailability::None,
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
@Injectable()
export class OrdersService {
  constructor(private readonly orders: Repository<Order>) {}
}
```

Use instead:
```ts
@Injectable()
export class OrdersService {
  constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}
}
// orders.module.ts
@Module({ imports: [TypeOrmModule.forFeature([Order])], providers: [OrdersService] })
export class OrdersModule {}
```

## When it stays silent
The cross-file check runs only when the engine sees every module that provides the class and every
entry of their `imports`: a spread, a variable, a dynamic module of the project or a data-source
name it cannot compare makes it stay silent.

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
        if let (Some(repository), Some(Some(entity))) =
            (repository, args.first().map(TypeRef::name))
        {
            match inject_repository {
                None if param.decorators.is_empty() => {
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
                    .note("the type argument is erased at run time, so Nest cannot tell which repository to inject and fails at boot");
                }
                Some(decorator) => {
                    if let Some(Value::Ident(injected)) = decorator.args.first() {
                        if injected != entity
                            && index.resolve(file, injected) != index.resolve(file, entity)
                        {
                            ctx.report(
                                index,
                                file,
                                decorator.range,
                                format!(
                                    "`@InjectRepository({injected})` is applied to a `{repository}<{entity}>`"
                                ),
                            )
                            .help(format!("inject `@InjectRepository({entity})`, or change the parameter type to `{repository}<{injected}>`"))
                            .note("the service would query the wrong entity's table while its types say otherwise");
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
            ctx.report(
                index,
                file,
                type_range,
                format!("`{}` is a mongoose `Model<{model}>` injected without `@InjectModel(...)`", param.name),
            )
            .help(format!("add `@InjectModel({model}.name)` before the parameter"))
            .note("Nest cannot resolve a `Model<T>` by its type: the type argument is erased at run time");
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
            ctx.report(
                index,
                file,
                registration.range(),
                format!(
                    "{what} is not registered in `{}`, which provides `{}`",
                    module_class.name, class.name
                ),
            )
            .help(helper)
            .note("Nest fails at boot with \"Nest can't resolve dependencies\" when the module is loaded")
            .label(index.file(module.file).path.clone(), module_class.name_range, "the providing module");
        }
    }
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
            Item::Unknown => {
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
