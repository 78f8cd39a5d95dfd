use std::collections::BTreeSet;

use nestlint_diagnostics::{Fix, Severity, TextRange};
use nestlint_engine::apps::{Application, Served};
use nestlint_engine::dto::{dto_properties, DtoProperty};
use nestlint_engine::edits::value_import;
use nestlint_engine::facts::{
    ClassFact, DecoratorFact, ParamFact, PropertyFact, TypeDeclKind, TypeRef, Value,
};
use nestlint_engine::flows::{parameter_reach, Reach};
use nestlint_engine::nest::{pipe_kind, ClassKey, Coverage, PipeKind};
use nestlint_engine::{
    Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta,
    Scope, Symbol,
};
use nestlint_syntax::Name;

use crate::decorators::{decorator_origin, DecoratorOrigin, EffectMemo};

pub struct RequestDtoValidation;

static META: RuleMeta = RuleMeta {
    id: "request-dto-validation",
    category: Category::Validation,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::Sometimes,
    scope: Scope::Project,
    summary: "Request bodies, queries and params are DTO classes whose every property is validated",
    docs: r#"## What it does
Checks that request input reaching a route handler is validated at run time:
- a whole-object `@Body()`, `@Query()` or `@Param()` parameter typed so that `ValidationPipe`
  validates nothing: `any`, `object`, `unknown`, an inline type literal, an interface or a type
  alias, a type parameter, no type at all, a union, a generic helper type (`Partial<Dto>`,
  `Record<...>`), or an array (`Dto[]`, `Array<Dto>`: ValidationPipe skips arrays);
- a DTO class imported with `import type`: the class is erased, the parameter's run-time type becomes
  `Object`, and validation is silently skipped;
- a property of a DTO class without a class-validator decorator. A DTO's properties are those
  `ValidationPipe` sees: its own, those it inherits and does not redeclare, and those of mapped
  types (`PartialType`, `PickType`/`OmitType` with their key lists, `IntersectionType`), and of DTOs
  nested with `@ValidateNested()`. A property found in a base class or an entity says which DTO and
  handler make it request input;
- per application, DTO parameters with no `ValidationPipe` anywhere (global `useGlobalPipes`, an
  `APP_PIPE` provider, `@UsePipes` on the handler or controller, or a pipe in the parameter
  decorator), reported once at the `NestFactory.create(...)` call of an application that listens.

## Why is this bad?
Unvalidated input is the root of most API vulnerabilities and data corruption: TypeScript types vanish
at run time, so a handler typed `CreateUserDto` receives whatever the client sent.

## Example
```ts,expect_diagnostic
import { Body, Controller, Post } from '@nestjs/common';

@Controller('users')
export class UsersController {
  @Post()
  create(@Body() body: any) {}
}
```

Use instead:
```ts
import { Body, Controller, Post } from '@nestjs/common';
import { IsEmail, IsString, Length } from 'class-validator';

export class CreateUserDto {
  @IsEmail() email: string;
  @IsString() @Length(2, 50) name: string;
}

@Controller('users')
export class UsersController {
  @Post()
  create(@Body() body: CreateUserDto) {}
}
```

## Fix
Unsafe: a DTO imported with `import type` becomes a value import (`import type { A, B }` becomes
`import { A, type B }` when only `A` is the DTO). Unsafe because validation then starts to reject
requests it used to let through.

The other findings have no automatic fix, and their help says so: a DTO's shape and validators, and
where an application registers its `ValidationPipe`, are decisions only you can make.

## When it stays silent
- A parameter another pipe handles: a pipe in its decorator (`@Body(new ZodValidationPipe(schema))`,
  `@Body(ParseArrayPipe)`, a project pipe), `@UsePipes(...)` on the handler or controller with a
  pipe other than `ValidationPipe`, or an application whose global pipes are all of that kind.
  `ValidationPipe` itself validates only classes: `@Query(new ValidationPipe()) q: SomeInterface`
  is still reported.
- A value the handler validates itself, or hands to code that does: `schema.parse(body)`,
  `validate(dto)`, a type guard (`isCreateInput(body)`), a guard clause before the value is used
  that throws or returns without it (`if (!query.code) throw new BadRequestException()`) and
  tests every field the handler reads (a check of `body.apiKey` says nothing of `body.text`), a
  command whose static `create` runs class-validator, a service method that runs
  `ValidationPipe.transform`; or code the engine cannot read (an import it cannot follow).
- Properties a request does not set: `@Exclude()`, generated columns, timestamps, versions and
  relations of an entity (`@PrimaryGeneratedColumn`, `@CreateDateColumn`, `@OneToMany`, ...),
  computed keys (`[EntityRepositoryType]`), and parts of a DTO the engine cannot read (a mixin, a
  key list computed at run time).
- A type or decorator the engine cannot resolve (imported from an unresolved path, or from a
  package other than class-validator, class-transformer and `@nestjs/*`): a custom validator may
  hide behind it.
- Test code (`*.spec.ts`, `test/`, `e2e/`, `fixtures/`, ...).

## References
- https://docs.nestjs.com/techniques/validation
- https://docs.nestjs.com/techniques/validation#mapped-types
- https://docs.nestjs.com/techniques/validation#parsing-and-validating-arrays
"#,
};

const INPUT_DECORATORS: &[&str] = &["Body", "Query", "Param"];
/// Packages whose property decorators certainly do not validate.
const NON_VALIDATING_PACKAGES: &[&str] = &["class-transformer", "typeorm", "mongoose"];
/// TypeScript's generic helper types: a parameter typed with one is erased to `Object`.
const UTILITY_TYPES: &[&str] = &[
    "Partial",
    "Required",
    "Readonly",
    "Pick",
    "Omit",
    "NonNullable",
    "Exclude",
    "Extract",
    "ReturnType",
    "Awaited",
    "InstanceType",
    "Parameters",
    "Record",
];
/// Decorators of properties a request does not set: the database manages them (generated keys,
/// timestamps, versions, relations) or class-transformer drops them (`@Exclude()`).
const NOT_FROM_REQUEST: &[(&str, &[&str])] = &[
    (
        "typeorm",
        &[
            "PrimaryGeneratedColumn",
            "CreateDateColumn",
            "UpdateDateColumn",
            "DeleteDateColumn",
            "VersionColumn",
            "VirtualColumn",
            "ObjectIdColumn",
            "Generated",
            "OneToMany",
            "ManyToOne",
            "OneToOne",
            "ManyToMany",
            "RelationId",
            "RelationCount",
            "TreeChildren",
            "TreeParent",
            "TreeLevelColumn",
            "ViewColumn",
        ],
    ),
    (
        "@mikro-orm/core",
        &[
            "PrimaryKey",
            "OneToMany",
            "ManyToOne",
            "OneToOne",
            "ManyToMany",
            "Formula",
        ],
    ),
    ("class-transformer", &["Exclude"]),
];

/// Where a request DTO comes from: the parameter that first makes it one.
#[derive(Clone)]
struct DtoUse {
    file: FileId,
    range: TextRange,
    /// `Controller.handler`, for the label.
    handler: String,
    /// `@Body()`, `@Query()` or `@Param()`.
    decorator: String,
    /// The DTO class the parameter is typed with.
    dto: ClassKey,
}

/// Which pipes run on a parameter before the handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pipes {
    None,
    /// `ValidationPipe` (class-validator on classes only).
    ClassValidation,
    /// A pipe that validates in its own way, or one the engine cannot classify.
    Custom,
}

impl Pipes {
    fn with(self, kind: PipeKind) -> Pipes {
        match (self, kind) {
            (Pipes::Custom, _) | (_, PipeKind::Custom | PipeKind::Unknown) => Pipes::Custom,
            (_, PipeKind::ClassValidation) => Pipes::ClassValidation,
            (current, PipeKind::Passthrough) => current,
        }
    }
}

impl Rule for RequestDtoValidation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let applications = index.applications();
        let controller_modules = index.controller_modules();
        let mut effects = EffectMemo::new();
        let mut dtos: Vec<DtoUse> = Vec::new();
        // Class-typed parameters no pipe of their own reaches: (controller, parameter).
        let mut unpiped: Vec<(ClassKey, FileId, TextRange)> = Vec::new();

        for (file, indexed) in index.files() {
            if indexed.is_test {
                continue;
            }
            for (class_index, class) in indexed.facts.classes.iter().enumerate() {
                if !index.is_controller(file, class) {
                    continue;
                }
                let key = ClassKey {
                    file,
                    index: class_index,
                };
                let modules = controller_modules.get(&key).map_or(&[][..], Vec::as_slice);
                // Applications whose global pipes are all custom validate their own way (a
                // global zod pipe): nothing here is class-validator's business.
                if let Served::By(apps) = applications.serving(index, file, modules) {
                    if apps.iter().all(|app| custom_global_pipes(index, app)) {
                        continue;
                    }
                }
                let class_pipes = use_pipes(index, file, &class.decorators, Pipes::None);
                for handler in index.route_handlers(file, class) {
                    let method_pipes = use_pipes(index, file, &handler.decorators, class_pipes);
                    for (param_index, param) in handler.params.iter().enumerate() {
                        let Some(decorator) = input_decorator(index, file, param) else {
                            continue;
                        };
                        let pipes = decorator
                            .args
                            .iter()
                            .map(|arg| pipe_kind(index, file, arg))
                            .fold(method_pipes, Pipes::with);
                        // The pipe on the parameter validates it (a zod or joi pipe, ParseArrayPipe).
                        if pipes == Pipes::Custom {
                            continue;
                        }
                        // The handler validates the value itself, or hands it to code that does
                        // (or that the engine cannot read).
                        if parameter_reach(index, file, class, handler, param_index) != Reach::Plain
                        {
                            continue;
                        }
                        let Some(dto) = check_param_type(
                            index,
                            ctx,
                            file,
                            class,
                            param,
                            decorator,
                            indexed.is_target,
                        ) else {
                            continue;
                        };
                        dtos.push(DtoUse {
                            file,
                            range: param.type_range.unwrap_or(param.range),
                            handler: format!("{}.{}", class.name, handler.name),
                            decorator: format!("@{}()", decorator.callee.name),
                            dto,
                        });
                        if pipes == Pipes::None {
                            unpiped.push((key, file, param.range));
                        }
                    }
                }
            }
        }

        check_dto_properties(index, ctx, &dtos, &mut effects);

        // Once per application: class-typed parameters that no ValidationPipe reaches.
        for app in &applications.apps {
            if app.implicit || !app.http {
                continue;
            }
            let indexed = index.file(app.file);
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            if global_validation(index, app) != Coverage::Absent {
                continue;
            }
            let in_app: Vec<&(ClassKey, FileId, TextRange)> = unpiped
                .iter()
                .filter(|(controller, _, _)| {
                    controller_modules
                        .get(controller)
                        .is_some_and(|modules| modules.iter().any(|m| app.contains(*m)))
                })
                .collect();
            let Some(&&(_, first_file, first_range)) = in_app.first() else {
                continue;
            };
            let count = in_app.len();
            let noun = if count == 1 {
                "parameter is"
            } else {
                "parameters are"
            };
            ctx.report(
                index,
                app.file,
                app.range,
                format!("no `ValidationPipe` is registered: {count} request DTO {noun} never validated"),
            )
            .help("register one globally: `app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }))`, or provide it as `APP_PIPE`")
            .note("class-validator decorators do nothing unless a ValidationPipe runs them")
            .label(index.file(first_file).path.clone(), first_range, "for example, this parameter");
        }
    }
}

/// Whether an application's global pipes include `ValidationPipe` (or may).
fn global_validation(index: &ProjectIndex, app: &Application) -> Coverage {
    let mut coverage = if app.unknown_pipe {
        Coverage::Unknown
    } else {
        Coverage::Absent
    };
    for (file, pipe) in &app.pipes {
        coverage = coverage.merge(match pipe_kind(index, *file, pipe) {
            PipeKind::ClassValidation => Coverage::Present,
            PipeKind::Passthrough => Coverage::Absent,
            PipeKind::Custom | PipeKind::Unknown => Coverage::Unknown,
        });
    }
    coverage
}

/// An application whose global pipes are all custom (no `ValidationPipe` among them).
fn custom_global_pipes(index: &ProjectIndex, app: &Application) -> bool {
    !app.pipes.is_empty()
        && app.pipes.iter().all(|(file, pipe)| {
            matches!(
                pipe_kind(index, *file, pipe),
                PipeKind::Custom | PipeKind::Unknown
            )
        })
}

/// The pipes `@UsePipes(...)` among `decorators` adds to `outer`.
fn use_pipes(
    index: &ProjectIndex,
    file: FileId,
    decorators: &[DecoratorFact],
    outer: Pipes,
) -> Pipes {
    decorators
        .iter()
        .filter(|d| index.is_nest_decorator(file, d, "UsePipes"))
        .flat_map(|d| d.args.iter())
        .map(|arg| pipe_kind(index, file, arg))
        .fold(outer, Pipes::with)
}

/// The `@Body()`/`@Query()`/`@Param()` decorator of a whole-object parameter (`@Body('name')`
/// extracts one field and is not a DTO).
fn input_decorator<'a>(
    index: &ProjectIndex,
    file: FileId,
    param: &'a ParamFact,
) -> Option<&'a DecoratorFact> {
    param.decorators.iter().find(|d| {
        INPUT_DECORATORS
            .iter()
            .any(|name| index.is_nest_decorator(file, d, name))
            && !matches!(
                d.args.first(),
                Some(Value::String(_)) | Some(Value::Member { .. })
            )
    })
}

/// Reports a parameter type that cannot be validated; returns the DTO class it names, if any.
fn check_param_type(
    index: &ProjectIndex,
    ctx: &mut ProjectContext<'_>,
    file: FileId,
    class: &ClassFact,
    param: &ParamFact,
    decorator: &DecoratorFact,
    report: bool,
) -> Option<ClassKey> {
    let decorator_name = format!("@{}()", decorator.callee.name);
    let range = param.type_range.unwrap_or(param.range);
    let mut problem = |what: String, note: &str| {
        if report {
            ctx.report(
                index,
                file,
                range,
                format!("`{decorator_name}` parameter `{}` is {what}, so nothing is validated", param.name),
            )
            .help("type the parameter with a DTO class whose properties carry class-validator decorators, or validate it with a pipe of its own (no automatic fix: the DTO's shape is yours to write)")
            .note(note);
        }
    };
    const ERASED: &str =
        "ValidationPipe validates only classes: TypeScript types are erased at run time";
    const ARRAYS: &str = "ValidationPipe skips arrays: their items are never validated (use `ParseArrayPipe` with `items`, or a DTO with an array property and `@ValidateNested({ each: true })`)";
    match &param.ty {
        None => problem("untyped".to_owned(), ERASED),
        Some(TypeRef::Keyword(keyword))
            if matches!(keyword.as_str(), "any" | "object" | "unknown") =>
        {
            problem(format!("typed `{keyword}`"), ERASED)
        }
        Some(TypeRef::ObjectLiteral) => problem("typed with an inline object type".to_owned(), ERASED),
        Some(TypeRef::Union(_)) => problem(
            "typed with a union type".to_owned(),
            "a union is erased to `Object` at run time, and ValidationPipe validates only classes",
        ),
        Some(TypeRef::Array(_)) => problem("an array".to_owned(), ARRAYS),
        Some(TypeRef::Named { name, .. }) if name == "Array" || name == "ReadonlyArray" => {
            problem("an array".to_owned(), ARRAYS)
        }
        Some(TypeRef::Named { name, .. })
            if UTILITY_TYPES.contains(&name.as_str())
                && matches!(index.resolve(file, name), Symbol::Unknown) =>
        {
            problem(
                format!("typed `{name}<...>`"),
                "a generic type is erased to `Object` at run time, and ValidationPipe validates only classes (use `PartialType`/`PickType` from `@nestjs/swagger` or `@nestjs/mapped-types` for a class)",
            )
        }
        Some(TypeRef::Named { name, .. }) if class.type_params.iter().any(|p| p == name) => {
            problem(format!("typed with the type parameter `{name}`"), ERASED)
        }
        Some(TypeRef::Named { name, .. }) => {
            let symbol = index.resolve(file, name);
            if let Some((_, declaration)) = index.type_decl(&symbol) {
                match declaration.kind {
                    TypeDeclKind::Interface => {
                        problem(format!("typed with the interface `{name}`"), ERASED)
                    }
                    TypeDeclKind::TypeAlias => {
                        problem(format!("typed with the type alias `{name}`"), ERASED)
                    }
                    TypeDeclKind::Enum => {}
                }
                return None;
            }
            let key = index.class_key(&symbol)?;
            let type_only = index.is_type_only_import(file, name);
            if type_only {
                if report {
                    let fix = ctx
                        .source(index, file)
                        .and_then(|source| {
                            let tree = ctx.tree_for_edit(index, file)?;
                            value_import(tree.root_node(), source, name)
                        })
                        .map(|edits| {
                            Fix::unsafe_edits(format!("import `{name}` as a value"), edits)
                        });
                    ctx.report(
                        index,
                        file,
                        range,
                        format!("DTO `{name}` is imported with `import type`, so `{decorator_name}` is not validated"),
                    )
                    .help(format!("import `{name}` as a value: `import {{ {name} }} from ...`"))
                    .note("a type-only import is erased: the parameter's run-time type becomes `Object` and ValidationPipe skips it")
                    .fix(fix);
                }
                return None;
            }
            return Some(key);
        }
        Some(_) => {}
    }
    None
}

/// Validator, not a validator, not set by requests, or cannot tell.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Validates {
    Yes,
    No,
    NotFromRequest,
    Unknown,
}

/// Reports the properties of the request DTOs (and of the DTOs nested in them with
/// `@ValidateNested()`) that no class-validator decorator covers, each once.
fn check_dto_properties(
    index: &ProjectIndex,
    ctx: &mut ProjectContext<'_>,
    uses: &[DtoUse],
    effects: &mut EffectMemo,
) {
    let mut seen_dtos: BTreeSet<ClassKey> = BTreeSet::new();
    let mut reported: BTreeSet<(ClassKey, Name)> = BTreeSet::new();
    let mut queue: std::collections::VecDeque<DtoUse> = uses.iter().cloned().collect();
    while let Some(dto_use) = queue.pop_front() {
        if !seen_dtos.insert(dto_use.dto) {
            continue;
        }
        let dto = index.class_at(dto_use.dto);
        for DtoProperty { owner, property } in dto_properties(index, dto_use.dto) {
            // Nested DTOs are validated too: their properties are checked in turn.
            if let Some(nested) = nested_dto(index, owner.file, property) {
                queue.push_back(DtoUse {
                    dto: nested,
                    ..dto_use.clone()
                });
            }
            let owner_file = index.file(owner.file);
            if !owner_file.is_target || owner_file.is_test {
                continue;
            }
            if !reported.insert((owner, property.name.clone())) {
                continue;
            }
            if property_validates(index, owner.file, property, effects) != Validates::No {
                continue;
            }
            let owner_class = index.class_at(owner);
            let message = if owner == dto_use.dto {
                format!(
                    "property `{}` of DTO `{}` has no class-validator decorator",
                    property.name, owner_class.name
                )
            } else {
                let kind = if is_entity(index, owner) {
                    "entity"
                } else {
                    "class"
                };
                format!(
                    "property `{}` of {kind} `{}`, part of request DTO `{}`, has no class-validator decorator",
                    property.name, owner_class.name, dto.name
                )
            };
            let diagnostic = ctx.report(index, owner.file, property.name_range, message);
            diagnostic
                .help("add a validator such as `@IsString()`, `@IsOptional()` for optional input, or `@Allow()` if any value is acceptable")
                .note("with `whitelist: true` the property is silently stripped from requests; without it, any value is accepted unchecked");
            if owner != dto_use.dto || owner.file != dto_use.file {
                diagnostic.label(
                    index.file(dto_use.file).path.clone(),
                    dto_use.range,
                    format!(
                        "`{}` types the `{}` of `{}` here",
                        dto.name, dto_use.decorator, dto_use.handler
                    ),
                );
            }
        }
    }
}

/// The DTO class a `@ValidateNested()` property holds, if it resolves to one.
fn nested_dto(index: &ProjectIndex, file: FileId, property: &PropertyFact) -> Option<ClassKey> {
    let nested = property
        .decorators
        .iter()
        .any(|d| index.is_export_of(file, &d.callee, "class-validator", "ValidateNested"));
    if !nested {
        return None;
    }
    let name = match &property.ty {
        Some(TypeRef::Named { name, args }) if name == "Array" => args.first()?.name()?,
        Some(TypeRef::Named { name, .. }) => name.as_str(),
        Some(TypeRef::Array(inner)) => inner.name()?,
        _ => return None,
    };
    index.class_key(&index.resolve(file, name))
}

/// A class decorated `@Entity()` (TypeORM, MikroORM) or `@Schema()` (Mongoose).
fn is_entity(index: &ProjectIndex, key: ClassKey) -> bool {
    index.class_at(key).decorators.iter().any(|d| {
        index.is_export_of(key.file, &d.callee, "typeorm", "Entity")
            || index.is_export_of(key.file, &d.callee, "@mikro-orm/core", "Entity")
            || index.is_export_of(key.file, &d.callee, "@nestjs/mongoose", "Schema")
    })
}

fn property_validates(
    index: &ProjectIndex,
    file: FileId,
    property: &PropertyFact,
    effects: &mut EffectMemo,
) -> Validates {
    let mut verdict = Validates::No;
    for decorator in &property.decorators {
        let not_from_request = NOT_FROM_REQUEST.iter().any(|(package, names)| {
            names
                .iter()
                .any(|name| index.is_export_of(file, &decorator.callee, package, name))
        });
        if not_from_request {
            return Validates::NotFromRequest;
        }
        match decorator_validates(index, file, decorator, effects) {
            Validates::Yes => return Validates::Yes,
            Validates::Unknown => verdict = Validates::Unknown,
            _ => {}
        }
    }
    verdict
}

fn decorator_validates(
    index: &ProjectIndex,
    file: FileId,
    decorator: &DecoratorFact,
    effects: &mut EffectMemo,
) -> Validates {
    match decorator_origin(index, file, decorator, effects) {
        DecoratorOrigin::Package { source, .. } => {
            if source.starts_with("class-validator")
                || source.starts_with("@nestjs/class-validator")
            {
                Validates::Yes
            } else if source.starts_with("@nestjs/")
                || NON_VALIDATING_PACKAGES.contains(&source.as_str())
                || source.starts_with("@mikro-orm/")
            {
                Validates::No
            } else {
                Validates::Unknown
            }
        }
        DecoratorOrigin::Project { effect, .. } if effect.validates => Validates::Yes,
        DecoratorOrigin::Project { effect, .. } if effect.opaque => Validates::Unknown,
        DecoratorOrigin::Project { .. } => Validates::No,
        DecoratorOrigin::Opaque => Validates::Unknown,
    }
}
