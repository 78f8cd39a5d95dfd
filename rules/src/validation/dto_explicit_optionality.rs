use nestlint_diagnostics::Severity;
use nestlint_engine::dto::inherited_properties;
use nestlint_engine::nest::ClassKey;
use nestlint_engine::syntax::nest::{ClassView, DecoratorView, Member, MemberKind};
use nestlint_engine::syntax::ImportedName;
use nestlint_engine::syntax::{Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, ProjectContext, ProjectIndex, Rule,
    RuleMeta, Scope,
};

use crate::openapi::property::optional_in_typescript;

pub struct DtoExplicitOptionality;

static META: RuleMeta = RuleMeta {
    id: "dto-explicit-optionality",
    category: Category::Validation,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary:
        "A validated property's optionality in TypeScript matches what class-validator accepts",
    docs: r#"## What it does
In a class a request is validated against (the class of a route's `@Body()`, `@Query()` or
`@Param()`, or of a resolver's `@Args()`, the classes it inherits from and the classes of its
nested properties), reports:
- a property optional in TypeScript (`name?: T`, `T | undefined`) whose validators reject a
  missing value (`@IsString()`, `@IsDefined()`, `@MinLength(3)`, ...), without `@IsOptional()` or
  `@ValidateIf()`;
- a required property (no `?`, no initializer) whose only checks are `@ValidateNested()` or
  `@ValidatePromise()`, which accept a missing value, without `@IsDefined()`;
- `@IsDefined()` beside `@IsOptional()` on one property.

## Why is this bad?
The type and the validation describe two different contracts. An optional property that a
validator rejects when missing makes every request without it fail (`nickname must be a
string`), although the DTO says it may be left out. A required nested object that only
`@ValidateNested()` checks is not required at all: class-validator validates it only when it is
present, so a request without it reaches the handler, and `dto.address.city` throws.
`@IsOptional()` skips every check of a missing value, `@IsDefined()` included (class-validator
0.14, checked by running it), so the pair is an optional property that reads as a required one.

## Example
```ts,expect_diagnostic
import { Body, Controller, Post } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsOptional, IsString, ValidateNested } from 'class-validator';

export class AddressDto {
  @IsString()
  city: string;
}

export class CreateUserDto {
  @IsString()
  nickname?: string;

  @ValidateNested()
  @Type(() => AddressDto)
  address: AddressDto;
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
import { IsDefined, IsOptional, IsString, ValidateNested } from 'class-validator';

export class AddressDto {
  @IsString()
  city: string;
}

export class CreateUserDto {
  @IsOptional()
  @IsString()
  nickname?: string;

  @IsDefined()
  @ValidateNested()
  @Type(() => AddressDto)
  address: AddressDto;
}

@Controller('users')
export class UsersController {
  @Post()
  create(@Body() dto: CreateUserDto) {
    return dto;
  }
}
```

## When it stays silent
- classes no route or resolver takes as input: responses, entities, messages validated by code
  the rule does not follow;
- a required property with a GraphQL decorator (`@Field()`): GraphQL's schema rejects a missing
  non-nullable value before validation;
- `T | null` without `?`: a property that must be sent, possibly as `null`, is a contract of its
  own (nestjs-typed's issue #50), and validators decide what `null` does;
- a required property with `@IsOptional()` (the type is stricter than the validation, which the
  handler cannot tell apart from a property nobody sends), and `@IsOptional()` beside
  `@ValidateIf()`, whose conditions class-validator combines;
- the missing `@IsOptional()` in a project that sets `skipMissingProperties` or
  `skipUndefinedProperties` anywhere: then no validator sees a missing value;
- a property with an initializer, with `@Allow()` only, or with a decorator of the project or of
  a package that may validate (a composed decorator can apply `@IsOptional()`);
- a property the class redeclares from a base class or mapped type (class-validator merges the
  two declarations' validators), and every property of a class that extends one the engine
  cannot read.

## References
- https://github.com/typestack/class-validator#validation-decorators
- https://github.com/typestack/class-validator#skipping-missing-properties
"#,
};

const CLASS_VALIDATOR: &str = "class-validator";
const NEST_GRAPHQL: &str = "@nestjs/graphql";

/// The options under which class-validator skips the checks of a missing value.
const SKIP_MISSING: &[&str] = &["skipMissingProperties", "skipUndefinedProperties"];

/// Packages whose decorators validate nothing: their presence says nothing about a value.
const NOT_VALIDATING: &[&str] = &[
    "class-transformer",
    "@nestjs/swagger",
    "@nestjs/mongoose",
    "typeorm",
    "@mikro-orm/core",
];

/// class-validator decorators that accept a missing value without being a statement about it
/// (checked by running class-validator 0.14 on `undefined`).
const ACCEPT_MISSING: &[&str] = &["ValidateNested", "ValidatePromise"];

/// What one property's class-validator decorators say, found by the file pass.
#[derive(Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Problem {
    /// Optional in TypeScript; a validator rejects a missing value; no `@IsOptional()`.
    RejectsMissing,
    /// Required in TypeScript; only `@ValidateNested()`-like checks, which pass a missing value.
    AcceptsMissing,
    /// `@IsDefined()` and `@IsOptional()` together.
    DefinedAndOptional,
}

/// A file that mentions one of [`SKIP_MISSING`].
#[derive(serde::Serialize, serde::Deserialize)]
struct SkipsMissing;

/// A finding of the file pass, by name: an edit that moves text must not change the stash.
#[derive(serde::Serialize, serde::Deserialize)]
struct Finding {
    class: String,
    property: String,
    problem: Problem,
    /// The validator that rejects a missing value, for [`Problem::RejectsMissing`]; the nested
    /// check for [`Problem::AcceptsMissing`].
    validator: String,
}

impl Rule for DtoExplicitOptionality {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[
            "program",
            "class_declaration",
            "abstract_class_declaration",
            "class",
        ]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if node.kind_name() == "program" {
            let bytes = ctx.source.as_bytes();
            if SKIP_MISSING
                .iter()
                .any(|o| memchr::memmem::find(bytes, o.as_bytes()).is_some())
            {
                ctx.stash(SkipsMissing);
            }
            return;
        }
        if !ctx
            .imports
            .iter()
            .any(|b| b.source.as_str() == CLASS_VALIDATOR)
        {
            return;
        }
        let Some(class) = ClassView::new(node) else {
            return;
        };
        let Some(class_name) = class.name(ctx.source) else {
            return;
        };
        for member in class.members() {
            if member.kind != MemberKind::Property
                || member.is_static
                || member.decorators.is_empty()
            {
                continue;
            }
            let property = member.name(ctx.source);
            // A computed key (`[Channel.Email]`) or a private name is no property a request sets.
            if property.starts_with('[') || property.starts_with('#') {
                continue;
            }
            let Some((problem, validator)) = judge(&member, ctx) else {
                continue;
            };
            ctx.stash(Finding {
                class: class_name.to_owned(),
                property: property.to_owned(),
                problem,
                validator,
            });
        }
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let skips_missing = index.stashed::<SkipsMissing>(META.id).next().is_some();
        let mut findings = index.stashed::<Finding>(META.id).peekable();
        if findings.peek().is_none() {
            return;
        }
        let request_dtos = super::request_dto_classes(index);
        for (file, finding) in findings {
            let indexed = index.file(file);
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            if skips_missing && finding.problem == Problem::RejectsMissing {
                continue;
            }
            let Some(position) = indexed.facts.class_position(&finding.class) else {
                continue;
            };
            let key = ClassKey {
                file,
                index: position,
            };
            // A class no request reaches may never be validated (a response, an entity).
            if !request_dtos.contains(&key) {
                continue;
            }
            let class = index.class_at(key);
            let Some(property) = class
                .properties
                .iter()
                .find(|p| p.name.as_str() == finding.property)
            else {
                continue;
            };
            if finding.problem != Problem::DefinedAndOptional {
                // A redeclared property keeps some of the base's validators (class-validator
                // merges them by kind), and a base the engine cannot read may declare it.
                let Some(inherited) = inherited_properties(index, key) else {
                    continue;
                };
                if inherited.iter().any(|p| p.property.name == property.name) {
                    continue;
                }
            }
            let name = &finding.property;
            let validator = &finding.validator;
            match finding.problem {
                Problem::RejectsMissing => {
                    ctx.report(
                        index,
                        file,
                        property.name_range,
                        format!("`{name}` is optional, but `@{validator}()` rejects it when it is missing: validation fails without it"),
                    )
                    .note("class-validator runs every validator on a missing value unless `@IsOptional()` or `@ValidateIf()` says otherwise")
                    .help(format!("add `@IsOptional()` if `{name}` may be left out; if it is required, make its type say so"));
                }
                Problem::AcceptsMissing => {
                    ctx.report(
                        index,
                        file,
                        property.name_range,
                        format!("`{name}` is required, but `@{validator}()` checks it only when it is present: validation passes without it"),
                    )
                    .help(format!("add `@IsDefined()` if `{name}` is required, or mark it optional (`{name}?:` with `@IsOptional()`)"));
                }
                Problem::DefinedAndOptional => {
                    let Some(range) = property
                        .decorators
                        .iter()
                        .find(|d| index.is_export_of(file, &d.callee, CLASS_VALIDATOR, "IsDefined"))
                        .map(|d| d.range)
                    else {
                        continue;
                    };
                    ctx.report(
                        index,
                        file,
                        range,
                        format!("`@IsDefined()` has no effect beside `@IsOptional()`: `{name}` is optional"),
                    )
                    .note("`@IsOptional()` skips every check of a missing value, `@IsDefined()` included")
                    .help("keep one of the two: `@IsDefined()` for a required property, `@IsOptional()` for an optional one");
                }
            }
        }
    }
}

/// What the decorators of one property say about a missing value, when that contradicts its
/// type. `None` when they agree, or when a decorator the rule cannot read may decide.
fn judge(member: &Member<'_>, ctx: &FileContext<'_, '_>) -> Option<(Problem, String)> {
    let mut optional_check = false;
    let mut defined = false;
    let mut validate_if = false;
    let mut rejects_missing: Option<&str> = None;
    let mut accepts_missing: Option<&str> = None;
    let mut allow = false;
    let mut graphql = false;
    for &decorator in &member.decorators {
        let callee = DecoratorView::new(decorator).callee(ctx.source)?;
        // A decorator declared in the file, or imported from the project or a package that may
        // validate: it can apply `@IsOptional()` or `@IsDefined()` itself.
        let binding = ctx.imports.get(callee.object.unwrap_or(callee.name))?;
        let source = binding.source.as_str();
        if NOT_VALIDATING.contains(&source) {
            continue;
        }
        if source == NEST_GRAPHQL {
            graphql = true;
            continue;
        }
        if source != CLASS_VALIDATOR {
            return None;
        }
        let name = match (&binding.imported, callee.object) {
            (ImportedName::Namespace, Some(_)) => callee.name,
            (ImportedName::Named(imported), None) => imported.as_str(),
            _ => return None,
        };
        match name {
            "IsOptional" => optional_check = true,
            "ValidateIf" => validate_if = true,
            "IsDefined" => {
                defined = true;
                rejects_missing = rejects_missing.or(Some(name));
            }
            "Allow" => allow = true,
            // Decorator factories for custom validators: what they accept is unknown.
            "Validate" | "ValidateBy" => return None,
            name if ACCEPT_MISSING.contains(&name) => {
                accepts_missing = accepts_missing.or(Some(name));
            }
            // A value that passes `@IsEmpty()` or `@Equals(undefined)` may well be missing.
            "IsEmpty" | "Equals" | "IsIn" | "IsNotIn" | "NotEquals" => return None,
            name => rejects_missing = rejects_missing.or(Some(name)),
        }
    }
    if defined && optional_check {
        return Some((Problem::DefinedAndOptional, "IsDefined".to_owned()));
    }
    if optional_check || validate_if || member.node.field(Field::Value).is_some() {
        return None;
    }
    let optional = member.is_optional || optional_in_typescript(member.type_node(), ctx.source);
    if optional {
        return rejects_missing.map(|v| (Problem::RejectsMissing, v.to_owned()));
    }
    // GraphQL's schema rejects a missing argument or field itself, unless it is nullable.
    if rejects_missing.is_none() && !allow && !graphql {
        return accepts_missing.map(|v| (Problem::AcceptsMissing, v.to_owned()));
    }
    None
}
