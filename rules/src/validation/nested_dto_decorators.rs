use nestlint_diagnostics::{Edit, Fix, Severity};
use nestlint_engine::dto::dto_properties;
use std::collections::HashSet;

use nestlint_engine::dto::DtoProperty;
use nestlint_engine::facts::{PropertyFact, TypeRef};
use nestlint_engine::nest::ClassKey;
use nestlint_engine::syntax::Node;
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, Scope, Symbol,
};

pub struct NestedDtoDecorators;

static META: RuleMeta = RuleMeta {
    id: "nested-dto-decorators",
    category: Category::Validation,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::Sometimes,
    scope: Scope::Project,
    summary: "A validated property typed with a DTO class has `@ValidateNested()` and `@Type(() => Dto)`; a validated `Date` has `@Type(() => Date)`",
    docs: r#"## What it does
Looks at the properties of request DTOs (the classes of `@Body()`, `@Query()` and `@Param()`
parameters of routes and `@Args()` parameters of GraphQL resolvers, their inherited and mapped
properties, and the classes nested in them) whose type, or element type for arrays, is a class of
the project or `Date`, and reports:
- `@ValidateNested()` without class-transformer's `@Type(() => Dto)`;
- a property validated otherwise (`@IsOptional()`, `@IsObject()`, `@IsDefined()`, ...) without
  `@ValidateNested()`;
- `@IsDate()` on a `Date` without `@Type(() => Date)`.

Nested classes count only when they check something themselves (a class-validator decorator
other than `@IsOptional()`, `@Allow()` and `@ValidateIf()`, own or inherited).

## Why is this bad?
`ValidationPipe` turns the request's plain object into the DTO with class-transformer, which
creates nested objects only where `@Type()` names their class. Without it the property stays a
plain object: class-validator 0.14 rejects it ("an unknown value was passed to the validate
function"), so every request that sends it fails, or, with `forbidUnknownValues: false`, lets it
through unchecked. A date arrives as a string and `@IsDate()` rejects it for the same reason.
Without `@ValidateNested()`, class-validator never looks inside the nested object: its rules do
not run and anything passes.

## Example
```ts,expect_diagnostic
import { Body, Controller, Post } from '@nestjs/common';
import { IsOptional, IsString, ValidateNested } from 'class-validator';

export class AddressDto {
  @IsString()
  city: string;
}

export class CreateUserDto {
  @ValidateNested()
  address: AddressDto;

  @IsOptional()
  billing?: AddressDto;
}

@Controller('users')
export class UsersController {
  @Post()
  create(@Body() dto: CreateUserDto) {
    return dto;
  }
}
```

Use instead:
```ts
import { Body, Controller, Post } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsOptional, IsString, ValidateNested } from 'class-validator';

export class AddressDto {
  @IsString()
  city: string;
}

export class CreateUserDto {
  @ValidateNested()
  @Type(() => AddressDto)
  address: AddressDto;

  @IsOptional()
  @ValidateNested()
  @Type(() => AddressDto)
  billing?: AddressDto;
}

@Controller('users')
export class UsersController {
  @Post()
  create(@Body() dto: CreateUserDto) {
    return dto;
  }
}
```

## Fix
Adds the missing decorators above the property, and their imports from `class-transformer` and
`class-validator`, unless the file already uses those names for something else. The fix is
unsafe: it changes what validation accepts.

## When it stays silent
- classes no route or resolver takes as input (responses, commands built in code), and arrays
  taken whole (`@Body() items: ItemDto[]`: `ValidationPipe` does not convert them);
- a project that turns implicit conversion on anywhere (`enableImplicitConversion`): then
  class-transformer creates nested objects and dates from the declared types;
- a property with `@Transform(...)` or a decorator of the project or of another package (it may
  convert or validate the value itself);
- types it cannot resolve to a class of the project (interfaces, enums, generics, classes of
  packages), unions with anything but `null` and `undefined`, and nested classes with no
  class-validator decorator of their own or inherited.

## References
- https://github.com/typestack/class-validator#validating-nested-objects
- https://docs.nestjs.com/techniques/validation#transform-payload-objects
"#,
};

const CLASS_VALIDATOR: &str = "class-validator";
const CLASS_TRANSFORMER: &str = "class-transformer";
/// The option that makes class-transformer create nested classes from declared types.
const IMPLICIT_CONVERSION: &str = "enableImplicitConversion";

/// A file that mentions [`IMPLICIT_CONVERSION`].
#[derive(serde::Serialize, serde::Deserialize)]
struct MentionsImplicitConversion;

impl Rule for NestedDtoDecorators {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["program"]
    }

    fn check_node<'t>(&self, _node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if memchr::memmem::find(ctx.source.as_bytes(), IMPLICIT_CONVERSION.as_bytes()).is_some() {
            ctx.stash(MentionsImplicitConversion);
        }
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        if index
            .stashed::<MentionsImplicitConversion>(META.id)
            .next()
            .is_some()
        {
            return;
        }
        // Request DTOs, then the classes their nested properties convert to.
        let mut queue: Vec<ClassKey> = super::request_inputs(index);
        let mut seen: HashSet<ClassKey> = queue.iter().copied().collect();
        let mut checked: HashSet<(ClassKey, &str)> = HashSet::new();
        while let Some(dto) = queue.pop() {
            for DtoProperty { owner, property } in dto_properties(index, dto) {
                if property.is_static || !checked.insert((owner, property.name.as_str())) {
                    continue;
                }
                let indexed = index.file(owner.file);
                let report = indexed.is_target && !indexed.is_test;
                if let Some(nested) = check_property(index, ctx, owner, property, report) {
                    if seen.insert(nested) {
                        queue.push(nested);
                    }
                }
            }
        }
    }
}

/// class-validator decorators that check nothing by themselves.
const NOT_CHECKS: &[&str] = &["IsOptional", "Allow", "ValidateIf"];

/// What a property's decorators are, as far as this rule cares.
#[derive(Default)]
struct Decorators {
    validate_nested: bool,
    type_given: bool,
    is_date: bool,
    /// Any class-validator decorator.
    validated: bool,
    /// `@Transform`, or a decorator of the project or another package.
    other: bool,
}

fn read_decorators(index: &ProjectIndex, file: FileId, property: &PropertyFact) -> Decorators {
    let mut out = Decorators::default();
    for decorator in &property.decorators {
        match index.resolve_callee(file, &decorator.callee) {
            Symbol::External { source, name } if source.as_str() == CLASS_VALIDATOR => {
                out.validated = true;
                match name.as_str() {
                    "ValidateNested" => out.validate_nested = true,
                    "IsDate" => out.is_date = true,
                    _ => {}
                }
            }
            Symbol::External { source, name } if source.as_str() == CLASS_TRANSFORMER => {
                match name.as_str() {
                    "Type" => out.type_given = true,
                    // `@Expose()`, `@Exclude()` convert nothing.
                    "Expose" | "Exclude" => {}
                    _ => out.other = true,
                }
            }
            // OpenAPI and GraphQL metadata convert nothing.
            Symbol::External { source, .. }
                if matches!(source.as_str(), "@nestjs/swagger" | "@nestjs/graphql") => {}
            _ => out.other = true,
        }
    }
    out
}

/// Checks one property of a request DTO, declared in `owner`; returns the class validation
/// goes on into, when it does.
fn check_property(
    index: &ProjectIndex,
    ctx: &mut ProjectContext<'_>,
    owner: ClassKey,
    property: &PropertyFact,
    report: bool,
) -> Option<ClassKey> {
    let file = owner.file;
    let decorators = read_decorators(index, file, property);
    if !decorators.validated || decorators.other {
        return None;
    }
    let Some((TypeRef::Named { name, args }, is_array)) =
        property.ty.as_ref().and_then(super::element_type)
    else {
        return None;
    };
    if !args.is_empty() || name.contains('.') {
        return None;
    }
    let symbol = index.resolve(file, name);
    if name.as_str() == "Date" && matches!(symbol, Symbol::Unknown) {
        if report && decorators.is_date && !decorators.type_given && !is_array {
            let fix = add_decorators(index, ctx, file, property, &[("Type", "Date")]);
            ctx.report(
                index,
                file,
                property.name_range,
                format!(
                    "`@IsDate()` rejects every `{}` a request sends: JSON carries a date as a string, and nothing turns it into a `Date`",
                    property.name
                ),
            )
            .help("add `@Type(() => Date)` from `class-transformer`")
            .fix(fix);
        }
        return None;
    }
    let nested = index.class_key(&symbol)?;
    let nested_name = index.class_at(nested).name.clone();
    // A nested class with nothing to check: nothing is lost, and `@Type` alone would not help
    // (class-validator rejects an instance with no metadata as it rejects a plain object).
    let nested_validates = dto_properties(index, nested).iter().any(|p| {
        p.property.decorators.iter().any(|d| {
            matches!(index.resolve_callee(p.owner.file, &d.callee),
                Symbol::External { source, name } if source.as_str() == CLASS_VALIDATOR
                    && !NOT_CHECKS.contains(&name.as_str()))
        })
    });
    if !nested_validates {
        return None;
    }
    if decorators.validate_nested {
        if decorators.type_given {
            return Some(nested);
        }
        if !report {
            return None;
        }
        let fix = add_decorators(index, ctx, file, property, &[("Type", &nested_name)]);
        ctx.report(
            index,
            file,
            property.name_range,
            format!(
                "`@ValidateNested()` cannot check `{}` as `{nested_name}`: without `@Type(() => {nested_name})` it stays a plain object",
                property.name
            ),
        )
        .note("class-validator rejects a plain object (\"an unknown value was passed to the validate function\"), so every request that sends it fails; with `forbidUnknownValues: false` it checks nothing inside it")
        .help(format!("add `@Type(() => {nested_name})` from `class-transformer`"))
        .fix(fix);
        return None;
    }
    if !report {
        return None;
    }
    let mut missing: Vec<(&str, &str)> = vec![(
        "ValidateNested",
        if is_array { "{ each: true }" } else { "" },
    )];
    if !decorators.type_given {
        missing.push(("Type", &nested_name));
    }
    let fix = add_decorators(index, ctx, file, property, &missing);
    let help = if decorators.type_given {
        "add `@ValidateNested()` from `class-validator`".to_owned()
    } else {
        format!("add `@ValidateNested()` from `class-validator` and `@Type(() => {nested_name})` from `class-transformer`")
    };
    ctx.report(
        index,
        file,
        property.name_range,
        format!(
            "the validators of `{nested_name}` never run on `{}`: it has no `@ValidateNested()`",
            property.name
        ),
    )
    .note(format!(
        "class-validator looks inside a nested object only where `@ValidateNested()` asks it to; `{}` is checked as a whole",
        property.name
    ))
    .help(help)
    .fix(fix);
    None
}

/// `@ValidateNested(...)` and `@Type(() => X)` added above a property, with their imports.
fn add_decorators(
    index: &ProjectIndex,
    ctx: &ProjectContext<'_>,
    file: FileId,
    property: &PropertyFact,
    decorators: &[(&str, &str)],
) -> Option<Fix> {
    let source = ctx.source(index, file)?;
    let site = ctx.import_site(index, file)?;
    let at = property.range.start();
    let indent = line_indent(source, at)?;
    let mut text = String::new();
    let mut edits = Vec::new();
    for (decorator, argument) in decorators {
        let (module, written) = match *decorator {
            "Type" => (CLASS_TRANSFORMER, format!("@Type(() => {argument})")),
            _ => (CLASS_VALIDATOR, format!("@{decorator}({argument})")),
        };
        edits.extend(site.ensure(module, decorator).ok()?);
        text.push_str(&written);
        text.push('\n');
        text.push_str(indent);
    }
    edits.push(Edit::insertion(at, text));
    let names: Vec<String> = decorators.iter().map(|(d, _)| format!("`@{d}`")).collect();
    Some(Fix::unsafe_edits(
        format!("add {}", names.join(" and ")),
        edits,
    ))
}

/// The whitespace before `offset` on its line, when only whitespace precedes it.
fn line_indent(source: &str, offset: usize) -> Option<&str> {
    let line_start = source.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let indent = source.get(line_start..offset)?;
    indent.chars().all(char::is_whitespace).then_some(indent)
}
