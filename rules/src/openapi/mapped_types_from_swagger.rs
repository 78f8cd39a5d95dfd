use nestlint_diagnostics::{Edit, Fix, Severity, TextRange};
use nestlint_engine::facts::Value;
use nestlint_engine::{
    Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta,
    Scope,
};

pub struct MappedTypesFromSwagger;

static META: RuleMeta = RuleMeta {
    id: "mapped-types-from-swagger",
    category: Category::Openapi,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::Sometimes,
    scope: Scope::Project,
    summary: "In a project documented with `@nestjs/swagger`, DTOs extend its mapped types, not `@nestjs/mapped-types`'",
    docs: r#"## What it does
Reports a class that extends `PartialType(...)`, `PickType(...)`, `OmitType(...)` or
`IntersectionType(...)` imported from `@nestjs/mapped-types`, in a package that depends on
`@nestjs/swagger`. GraphQL types (`@InputType()`, `@ObjectType()`, `@ArgsType()`) are left alone:
theirs come from `@nestjs/graphql`.

## Why is this bad?
`@nestjs/mapped-types` copies the validation and transformation metadata, not the OpenAPI
metadata: the generated document shows the DTO without the properties it inherits. The helpers
of the same names exported by `@nestjs/swagger` copy all three.

## Example
```ts,expect_diagnostic
import { PartialType } from '@nestjs/mapped-types';
import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';

export class CreateCatDto {
  @ApiProperty()
  @IsString()
  name: string;
}

export class UpdateCatDto extends PartialType(CreateCatDto) {}
```

Use instead:
```ts
import { ApiProperty, PartialType } from '@nestjs/swagger';
import { IsString } from 'class-validator';

export class CreateCatDto {
  @ApiProperty()
  @IsString()
  name: string;
}

export class UpdateCatDto extends PartialType(CreateCatDto) {}
```

## Fix
The import's source becomes `@nestjs/swagger` (safe) when everything the statement imports is
one of the four helpers and the file imports from `@nestjs/mapped-types` once.

## When it stays silent
- a package whose `package.json` does not list `@nestjs/swagger` (a monorepo's root manifest does
  not count for its packages); files with no manifest above them, when no file imports from
  `@nestjs/swagger`;
- GraphQL types, test code, and a helper imported under another name it cannot follow.

## References
- https://docs.nestjs.com/openapi/mapped-types
"#,
};

const HELPERS: &[&str] = &["PartialType", "PickType", "OmitType", "IntersectionType"];
const MAPPED_TYPES: &str = "@nestjs/mapped-types";

impl Rule for MappedTypesFromSwagger {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        // Files with no manifest above them: the project's own imports say whether it uses swagger.
        let imports_swagger = index.files().any(|(_, indexed)| {
            indexed
                .facts
                .imports
                .iter()
                .any(|b| b.source.as_str() == "@nestjs/swagger")
        });
        for (file, indexed) in index.files() {
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            let facts = &indexed.facts;
            if !facts
                .imports
                .iter()
                .any(|b| b.source.as_str() == MAPPED_TYPES)
            {
                continue;
            }
            let package = index.package(file);
            let documented = if package.has_manifest {
                package.dependencies.contains("@nestjs/swagger")
            } else {
                imports_swagger
            };
            if !documented {
                continue;
            }
            for class in &facts.classes {
                let graphql = class
                    .decorators
                    .iter()
                    .any(|d| matches!(&*d.callee.name, "InputType" | "ObjectType" | "ArgsType"));
                if graphql {
                    continue;
                }
                let Some(Value::Call { callee, .. }) = &class.extends else {
                    continue;
                };
                if callee.object.is_some() {
                    continue;
                }
                let Some(binding) = facts.imports.iter().find(|b| b.local == callee.name) else {
                    continue;
                };
                let Some(helper) = HELPERS.iter().find(|h| binding.is(MAPPED_TYPES, h)) else {
                    continue;
                };
                let fix = source_edit(ctx, index, file)
                    .map(|edit| Fix::safe("import it from `@nestjs/swagger`", vec![edit]));
                ctx.report(
                    index,
                    file,
                    class.name_range,
                    format!(
                        "`{}` extends `{helper}(...)` from `@nestjs/mapped-types`: the OpenAPI document shows none of the properties it inherits",
                        class.name
                    ),
                )
                .note("`@nestjs/mapped-types` copies validation and transformation metadata, not `@nestjs/swagger`'s")
                .help(format!("import `{helper}` from `@nestjs/swagger`, which copies all three"))
                .fix(fix);
            }
        }
    }
}

/// The edit that makes the file's one import from `@nestjs/mapped-types` an import from
/// `@nestjs/swagger`, when all it imports is among [`HELPERS`] (both packages export them).
fn source_edit(ctx: &ProjectContext<'_>, index: &ProjectIndex, file: FileId) -> Option<Edit> {
    let facts = &index.file(file).facts;
    let all_helpers = facts
        .imports
        .iter()
        .filter(|b| b.source.as_str() == MAPPED_TYPES)
        .all(|b| HELPERS.iter().any(|h| b.is(MAPPED_TYPES, h)));
    if !all_helpers {
        return None;
    }
    let source = ctx.source(index, file)?;
    let (at, quote) = crate::decorators::quoted_once(source, MAPPED_TYPES)?;
    let end = at + MAPPED_TYPES.len() + 2;
    Some(Edit::replacement(
        TextRange::new(at, end),
        format!("{quote}@nestjs/swagger{quote}"),
    ))
}
