use nestlint_diagnostics::{Edit, Fix, Severity, TextRange};
use nestlint_engine::syntax::nest::{ClassView, DecoratorView, MemberKind};
use nestlint_engine::syntax::{named_children, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, Scope,
};

use super::property::{api_property, object_key, optional_in_typescript, ApiPropertyUse};

pub struct ApiPropertyOptionality;

static META: RuleMeta = RuleMeta {
    id: "api-property-optionality",
    category: Category::Openapi,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::Sometimes,
    scope: Scope::Project,
    summary: "`@ApiProperty()` and `@ApiPropertyOptional()` agree with the property's optionality",
    docs: r#"## What it does
Reports:
- `@ApiProperty()` on an optional property (`name?: T`, `T | undefined`) whose options do not
  set `required`;
- `@ApiPropertyOptional()` on a property that class-validator requires: not optional in
  TypeScript, no initializer, validated by class-validator decorators none of which is
  `@IsOptional()` or `@ValidateIf()`.

## Why is this bad?
`@ApiProperty()` marks the property required in the OpenAPI document, and `@ApiPropertyOptional()`
optional. When that disagrees with the DTO, clients generated from the document either refuse
to build a valid request without the field, or send requests the API rejects.

## Example
```ts,expect_diagnostic
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString } from 'class-validator';

export class CreateUserDto {
  @ApiPropertyOptional()
  @IsString()
  email: string;

  @ApiProperty()
  nickname?: string;
}
```

Use instead:
```ts
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString } from 'class-validator';

export class CreateUserDto {
  @ApiProperty()
  @IsString()
  email: string;

  @ApiPropertyOptional()
  nickname?: string;
}
```

## Fix
Renames the decorator (`ApiProperty` ↔ `ApiPropertyOptional`), adding the other name to the
import from `@nestjs/swagger` (safe: only the document changes, to match the DTO). Not offered
when the file imports the decorators under other names or a namespace.

## When it stays silent
- `@ApiProperty()` on an optional property in a package whose `nest-cli.json` enables the
  swagger CLI plugin: the plugin marks it optional, and the decorator, which does not set
  `required`, keeps that;
- `@ApiProperty()` on an optional property that validation requires anyway (`password?: string`
  with `@MinLength(8)` and no `@IsOptional()`): the document tells the truth;
- options that set `required` (either way) or that it cannot read (a spread, a variable);
- a required-looking property with an initializer (`page: number = 1`), `@IsOptional()` or
  `@ValidateIf()`, or no class-validator decorator that rejects a missing value
  (`@ValidateNested()` and `@Allow()` accept one);
- decorators that are not `@nestjs/swagger`'s.

## References
- https://docs.nestjs.com/openapi/types-and-parameters
"#,
};

/// A disagreement found by the file pass; the project pass reports it, knowing the package.
#[derive(serde::Serialize, serde::Deserialize)]
struct Mismatch {
    /// The class and the property, by name: an edit that moves text must not change the stash
    /// (the project pass finds the decorator's range in the facts, which move with the text).
    class: String,
    property: String,
    /// Renaming the decorator's callee fixes the finding.
    renamable: bool,
    /// `@ApiPropertyOptional()` on a property validation requires (else `@ApiProperty()` on an
    /// optional one).
    required_by_validators: bool,
}

impl Rule for ApiPropertyOptionality {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["class_declaration", "abstract_class_declaration", "class"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let Some(class) = ClassView::new(node) else {
            return;
        };
        for member in class.members() {
            if member.kind != MemberKind::Property || member.is_static {
                continue;
            }
            let Some(found) = api_property(&member.decorators, ctx) else {
                continue;
            };
            let sets_required = found
                .options
                .is_some_and(|o| object_key(o, "required", ctx.source).is_some());
            if found.options_unreadable || sets_required {
                continue;
            }
            let optional =
                member.is_optional || optional_in_typescript(member.type_node(), ctx.source);
            let required_by_validators = if !found.optional && optional {
                // Validation requires it anyway: the document is right, the `?` is not.
                if validation_requires(&member, ctx) {
                    continue;
                }
                false
            } else if found.optional && !optional && validation_requires(&member, ctx) {
                true
            } else {
                continue;
            };
            let Some(class_name) = class.name(ctx.source) else {
                continue;
            };
            ctx.stash(Mismatch {
                class: class_name.to_owned(),
                property: member.name(ctx.source).to_owned(),
                renamable: renamable_callee(&found, ctx).is_some(),
                required_by_validators,
            });
        }
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        for (file, mismatch) in index.stashed::<Mismatch>(META.id) {
            let indexed = index.file(file);
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            let Some((range, callee)) = locate(index, ctx, file, &mismatch) else {
                continue;
            };
            let name = &mismatch.property;
            if mismatch.required_by_validators {
                let fix = rename(index, ctx, file, callee, "ApiProperty");
                ctx.report(
                    index,
                    file,
                    range,
                    format!("`{name}` is required by its validators, but `@ApiPropertyOptional()` marks it optional in the OpenAPI document"),
                )
                .note("a request without it fails validation")
                .help("use `@ApiProperty()`")
                .fix(fix);
            } else {
                // The CLI plugin marks `name?: T` optional, and an explicit `@ApiProperty()`
                // without `required` keeps that.
                if index.package(file).swagger_plugin {
                    continue;
                }
                let fix = rename(index, ctx, file, callee, "ApiPropertyOptional");
                ctx.report(
                    index,
                    file,
                    range,
                    format!("`{name}` is optional, but `@ApiProperty()` marks it required in the OpenAPI document"),
                )
                .help("use `@ApiPropertyOptional()` (or pass `required: false`)")
                .fix(fix);
            }
        }
    }
}

/// A property validation requires: no initializer, and a class-validator decorator that rejects
/// a missing value, with none that makes it optional.
fn validation_requires(
    member: &nestlint_engine::syntax::nest::Member<'_>,
    ctx: &FileContext<'_, '_>,
) -> bool {
    if member.node.field(Field::Value).is_some() {
        return false;
    }
    let mut validated = false;
    for &decorator in &member.decorators {
        let Some(callee) = DecoratorView::new(decorator).callee(ctx.source) else {
            continue;
        };
        let Some(binding) = ctx.imports.get(callee.object.unwrap_or(callee.name)) else {
            continue;
        };
        if binding.source.as_str() != "class-validator" {
            continue;
        }
        let is = |n: &str| binding.is("class-validator", n) || callee.name == n;
        if ["IsOptional", "ValidateIf"].iter().any(|n| is(n)) {
            return false;
        }
        // These pass a missing value (checked by running class-validator 0.14).
        if !["ValidateNested", "Allow", "ValidatePromise"]
            .iter()
            .any(|n| is(n))
        {
            validated = true;
        }
    }
    validated
}

/// The callee of a decorator written with its own name (`@ApiProperty()`, not an alias nor
/// `@swagger.ApiProperty()`): renaming it is the fix.
fn renamable_callee(found: &ApiPropertyUse<'_>, ctx: &FileContext<'_, '_>) -> Option<(u32, u32)> {
    let view = DecoratorView::new(found.decorator);
    let callee = view.callee(ctx.source)?;
    if callee.object.is_some() || callee.name != found.imported {
        return None;
    }
    let function = named_children(view.call()?).next()?;
    Some((function.start_byte() as u32, function.end_byte() as u32))
}

/// The decorator of a mismatch, found through the facts, and its callee's range when renaming
/// it is the fix.
fn locate(
    index: &ProjectIndex,
    ctx: &ProjectContext<'_>,
    file: FileId,
    mismatch: &Mismatch,
) -> Option<(TextRange, Option<(u32, u32)>)> {
    let class = index.file(file).facts.class(&mismatch.class)?;
    let property = class
        .properties
        .iter()
        .find(|p| p.name.as_str() == mismatch.property)?;
    let decorator = property.decorators.iter().find(|d| {
        ["ApiProperty", "ApiPropertyOptional"]
            .iter()
            .any(|name| index.is_export_of(file, &d.callee, "@nestjs/swagger", name))
    })?;
    let range = decorator.range;
    let callee = mismatch.renamable.then(|| {
        let start = range.start() + 1;
        let end = start + decorator.callee.name.len();
        let written = ctx.source(index, file).and_then(|s| s.get(start..end));
        (written == Some(decorator.callee.name.as_str())).then_some((start as u32, end as u32))
    });
    Some((range, callee.flatten()))
}

/// The callee renamed to `to`, with `to` imported from `@nestjs/swagger`.
fn rename(
    index: &ProjectIndex,
    ctx: &ProjectContext<'_>,
    file: FileId,
    callee: Option<(u32, u32)>,
    to: &str,
) -> Option<Fix> {
    let (start, end) = callee?;
    let site = ctx.import_site(index, file)?;
    let mut edits = vec![Edit::replacement(
        TextRange::new(start as usize, end as usize),
        to.to_owned(),
    )];
    edits.extend(site.ensure("@nestjs/swagger", to).ok()?);
    Some(Fix::safe(format!("use `@{to}()`"), edits))
}
