use std::collections::BTreeSet;

use nestlint_diagnostics::{Fix, Severity, TextRange};
use nestlint_engine::edits::{parse_for_edit, value_import};
use nestlint_engine::facts::{
    AppCallKind, ClassFact, DecoratorFact, ParamFact, TypeDeclKind, TypeRef, Value,
};
use nestlint_engine::nest::{pipe_coverage, ClassKey, Coverage};
use nestlint_engine::{
    Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta,
    Scope,
};

use crate::decorators::{decorator_origin, DecoratorOrigin, EffectMemo};

pub struct RequestDtoValidation;

static META: RuleMeta = RuleMeta {
    id: "request-dto-validation",
    category: Category::Validation,
    default_severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    scope: Scope::Project,
    summary: "Request bodies, queries and params are DTO classes whose every property is validated",
    docs: r#"## What it does
Checks that request input reaching a route handler is validated at run time:
- a whole-object `@Body()`, `@Query()` or `@Param()` parameter typed `any`, `object`, `unknown`, an
  inline type literal, `Record<...>`, a type parameter, an interface or a type alias, or with no type:
  `ValidationPipe` validates only classes, so nothing is checked;
- a DTO class imported with `import type`: the class is erased, the parameter's run-time type becomes
  `Object`, and validation is silently skipped;
- a property of a DTO class without a class-validator decorator. DTO classes are found across files,
  through `extends`, `PartialType`/`PickType`/`OmitType`/`IntersectionType`, and nested
  `@ValidateNested()` properties; with `whitelist: true` such a property is silently stripped, without
  it it is accepted unchecked;
- per application, DTO parameters with no `ValidationPipe` anywhere (global `useGlobalPipes`, an
  `APP_PIPE` provider, `@UsePipes` on the handler or controller, or a pipe in the parameter decorator),
  reported once at the `NestFactory.create(...)` call.

## Why is this bad?
Unvalidated input is the root of most API vulnerabilities and data corruption: TypeScript types vanish
at run time, so a handler typed `CreateUserDto` receives whatever the client sent.

## Example
```ts,expect_diagnostic
@Post()
create(@Body() body: any) {}
```

Use instead:
```ts
export class CreateUserDto {
  @IsEmail() email: string;
  @IsString() @Length(2, 50) name: string;
}

@Post()
create(@Body() body: CreateUserDto) {}
```

## Fix
Unsafe: a DTO imported with `import type` becomes a value import (`import type { A, B }` becomes
`import { A, type B }` when only `A` is the DTO). Unsafe because validation then starts to reject
requests it used to let through.

The other findings have no automatic fix, and their help says so: a DTO's shape and validators, and
where an application registers its `ValidationPipe`, are decisions only you can make.

## When it stays silent
A type or decorator the engine cannot resolve (imported from an unresolved path, or from a package
other than class-validator, class-transformer and `@nestjs/*`) is never reported: a custom validator
may hide behind it.

## References
- https://docs.nestjs.com/techniques/validation
- https://docs.nestjs.com/techniques/validation#mapped-types
"#,
};

const INPUT_DECORATORS: &[&str] = &["Body", "Query", "Param"];
const MAPPED_TYPES: &[&str] = &["PartialType", "PickType", "OmitType", "IntersectionType"];
/// Packages whose property decorators certainly do not validate.
const NON_VALIDATING_PACKAGES: &[&str] = &["class-transformer", "typeorm", "mongoose"];

impl Rule for RequestDtoValidation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let enhancers = index.global_enhancers();
        let controller_modules = index.controller_modules();
        let mut effects = EffectMemo::new();
        let mut dtos: BTreeSet<ClassKey> = BTreeSet::new();
        // DTO parameters with no pipe of their own, by the file of their controller.
        let mut unpiped: Vec<(FileId, ClassKey, TextRange)> = Vec::new();

        for (file, indexed) in index.files() {
            for (class_index, class) in indexed.facts.classes.iter().enumerate() {
                if !index.is_controller(file, class) {
                    continue;
                }
                let class_pipes = uses_pipes(index, file, &class.decorators);
                for handler in index.route_handlers(file, class) {
                    let method_pipes =
                        max_coverage(class_pipes, uses_pipes(index, file, &handler.decorators));
                    for param in &handler.params {
                        let Some(decorator) = input_decorator(index, file, param) else {
                            continue;
                        };
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
                        collect_dto(index, dto, &mut dtos);
                        let param_pipes = decorator
                            .args
                            .iter()
                            .map(|arg| pipe_coverage(index, file, arg))
                            .fold(Coverage::Absent, max_coverage);
                        if max_coverage(method_pipes, param_pipes) == Coverage::Absent {
                            unpiped.push((
                                file,
                                ClassKey {
                                    file,
                                    index: class_index,
                                },
                                param.range,
                            ));
                        }
                    }
                }
            }
        }

        for &dto in &dtos {
            if index.file(dto.file).is_target {
                check_dto_properties(index, ctx, dto, &mut effects);
            }
        }

        // Once per application: DTO parameters that no ValidationPipe reaches.
        for (file, indexed) in index.files() {
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            for call in &indexed.facts.app_calls {
                if call.kind != AppCallKind::Bootstrap {
                    continue;
                }
                let scope = index.app_scope(file);
                if enhancers.coverage_for(index, file, &[]).validation_pipe != Coverage::Absent {
                    continue;
                }
                // This app's DTO parameters that no pipe reaches.
                let in_scope: Vec<&(FileId, ClassKey, TextRange)> = unpiped
                    .iter()
                    .filter(|(param_file, controller, _)| {
                        let modules = controller_modules
                            .get(controller)
                            .map_or(&[][..], Vec::as_slice);
                        let in_app = index.app_scope(*param_file) == scope
                            || modules.iter().any(|m| index.app_scope(m.file) == scope);
                        in_app
                            && enhancers
                                .coverage_for(index, *param_file, modules)
                                .validation_pipe
                                == Coverage::Absent
                    })
                    .collect();
                let Some(&&first) = in_scope.first() else {
                    continue;
                };
                let count = in_scope.len();
                let noun = if count == 1 {
                    "parameter is"
                } else {
                    "parameters are"
                };
                ctx.report(
                    index,
                    file,
                    call.range,
                    format!("no `ValidationPipe` is registered: {count} request DTO {noun} never validated"),
                )
                .help("register one globally: `app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }))`, or provide it as `APP_PIPE`")
                .note("class-validator decorators do nothing unless a ValidationPipe runs them")
                .label(index.file(first.0).path.clone(), first.2, "for example, this parameter");
            }
        }
    }
}

fn max_coverage(a: Coverage, b: Coverage) -> Coverage {
    match (a, b) {
        (Coverage::Present, _) | (_, Coverage::Present) => Coverage::Present,
        (Coverage::Unknown, _) | (_, Coverage::Unknown) => Coverage::Unknown,
        _ => Coverage::Absent,
    }
}

/// `@UsePipes(...)` among the decorators: whether one of its pipes validates.
fn uses_pipes(index: &ProjectIndex, file: FileId, decorators: &[DecoratorFact]) -> Coverage {
    decorators
        .iter()
        .filter(|d| index.is_nest_decorator(file, d, "UsePipes"))
        .flat_map(|d| d.args.iter())
        .map(|arg| pipe_coverage(index, file, arg))
        .fold(Coverage::Absent, max_coverage)
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
    let mut problem = |what: String| {
        if report {
            ctx.report(
                index,
                file,
                range,
                format!("`{decorator_name}` parameter `{}` is {what}, so nothing is validated", param.name),
            )
            .help("type the parameter with a DTO class whose properties carry class-validator decorators (no automatic fix: the DTO's shape is yours to write)")
            .note("ValidationPipe validates only classes: TypeScript types are erased at run time");
        }
    };
    match &param.ty {
        None => problem("untyped".to_owned()),
        Some(TypeRef::Keyword(keyword))
            if matches!(keyword.as_str(), "any" | "object" | "unknown") =>
        {
            problem(format!("typed `{keyword}`"))
        }
        Some(TypeRef::ObjectLiteral) => problem("typed with an inline object type".to_owned()),
        Some(TypeRef::Named { name, .. }) if name == "Record" => {
            problem("typed `Record<...>`".to_owned())
        }
        Some(TypeRef::Named { name, .. }) if class.type_params.iter().any(|p| p == name) => {
            problem(format!("typed with the type parameter `{name}`"))
        }
        Some(TypeRef::Named { name, .. }) => {
            let symbol = index.resolve(file, name);
            if let Some((_, declaration)) = index.type_decl(&symbol) {
                match declaration.kind {
                    TypeDeclKind::Interface => {
                        problem(format!("typed with the interface `{name}`"))
                    }
                    TypeDeclKind::TypeAlias => {
                        problem(format!("typed with the type alias `{name}`"))
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
                            let tree = parse_for_edit(&index.file(file).path, source)?;
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

/// Adds `dto`, its base classes, mapped-type sources and nested DTOs.
fn collect_dto(index: &ProjectIndex, dto: ClassKey, out: &mut BTreeSet<ClassKey>) {
    if !out.insert(dto) {
        return;
    }
    let class = index.class_at(dto);
    let mut sources: Vec<&str> = Vec::new();
    match &class.extends {
        Some(Value::Ident(base)) => sources.push(base),
        Some(Value::Call { callee, args })
            if callee.object.is_none() && MAPPED_TYPES.contains(&callee.name.as_str()) =>
        {
            for arg in args {
                if let Value::Ident(name) = arg {
                    sources.push(name);
                }
            }
        }
        _ => {}
    }
    for property in &class.properties {
        let nested = property
            .decorators
            .iter()
            .any(|d| index.is_export_of(dto.file, &d.callee, "class-validator", "ValidateNested"));
        if nested {
            match &property.ty {
                Some(TypeRef::Named { name, .. }) => sources.push(name),
                Some(TypeRef::Array(inner)) => {
                    if let Some(name) = inner.name() {
                        sources.push(name);
                    }
                }
                _ => {}
            }
        }
    }
    for name in sources {
        if let Some(key) = index.class_key(&index.resolve(dto.file, name)) {
            collect_dto(index, key, out);
        }
    }
}

/// Validator, not a validator, or cannot tell.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Validates {
    Yes,
    No,
    Unknown,
}

fn check_dto_properties(
    index: &ProjectIndex,
    ctx: &mut ProjectContext<'_>,
    dto: ClassKey,
    effects: &mut EffectMemo,
) {
    let class = index.class_at(dto);
    for property in class.properties.iter().filter(|p| !p.is_static) {
        let mut verdict = Validates::No;
        for decorator in &property.decorators {
            match decorator_validates(index, dto.file, decorator, effects) {
                Validates::Yes => {
                    verdict = Validates::Yes;
                    break;
                }
                Validates::Unknown => verdict = Validates::Unknown,
                Validates::No => {}
            }
        }
        if verdict == Validates::No {
            ctx.report(
                index,
                dto.file,
                property.name_range,
                format!(
                    "property `{}` of DTO `{}` has no class-validator decorator",
                    property.name, class.name
                ),
            )
            .help("add a validator such as `@IsString()`, `@IsOptional()` for optional input, or `@Allow()` if any value is acceptable")
            .note("with `whitelist: true` the property is silently stripped from requests; without it, any value is accepted unchecked");
        }
    }
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
