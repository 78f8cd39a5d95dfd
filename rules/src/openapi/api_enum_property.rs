use nestlint_diagnostics::{Edit, Fix, Severity};
use nestlint_engine::edits::node_at;
use nestlint_engine::facts::{DecoratorFact, PropertyFact, TypeDeclKind, TypeRef, Value};
use nestlint_engine::syntax::nest::DecoratorView;
use nestlint_engine::syntax::{unwrap_expression, NodeExt};
use nestlint_engine::{
    options_from, Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, RuleOptions, Scope,
};

pub struct ApiEnumProperty;

/// `[rules] api-enum-property = { level = "...", require-enum-name = true }`
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ApiEnumPropertyOptions {
    /// Also report `enum` without `enumName` (nestjs-typed's `api-enum-property-best-practices`).
    #[serde(default)]
    require_enum_name: bool,
}

static META: RuleMeta = RuleMeta {
    id: "api-enum-property",
    category: Category::Openapi,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::Sometimes,
    scope: Scope::Project,
    summary: "An enum-typed property documents its enum, with an `enumName`",
    docs: r#"## What it does
Reports `@ApiProperty()` or `@ApiPropertyOptional()` on a property whose type (or element type)
is a TypeScript `enum` of the project, when the options do not give `enum` (and the swagger CLI
plugin is not enabled to add it): the document shows a plain string or number.

With the option `require-enum-name = true`, it also reports `enum` without `enumName`.

The enum is found through the project's declarations and imports, where nestjs-typed needs the
TypeScript type checker.

## Why is this bad?
Without `enum`, clients do not know which values are accepted, and code generators type the
property as any string. Without `enumName`, each property repeats the values inline, the document
has no schema for the enum, and generated clients create one enum type per property
(`CreateUserDtoRoleEnum`, `UpdateUserDtoRoleEnum`, ...): a choice of style, hence the option.

## Example
```ts,expect_diagnostic
import { ApiProperty } from '@nestjs/swagger';

export enum Role {
  Admin = 'admin',
  Member = 'member',
}

export class UserDto {
  @ApiProperty({ description: 'What the user may do' })
  role: Role;
}
```

Use instead:
```ts
import { ApiProperty } from '@nestjs/swagger';

export enum Role {
  Admin = 'admin',
  Member = 'member',
}

export class UserDto {
  @ApiProperty({ description: 'What the user may do', enum: Role, enumName: 'Role' })
  role: Role;
}
```

## Options
```toml
[rules]
api-enum-property = { level = "warn", require-enum-name = true }
```

## Fix
Adds `enumName: 'Role'` (and `enum: Role` when it is missing and the enum is imported as a
value) to the options (safe: only the document changes).

## When it stays silent
- options it cannot read (a spread, a variable);
- `enum` missing in a package whose `nest-cli.json` enables the swagger CLI plugin, which adds it;
- types it cannot resolve to an enum of the project (an enum of a package, a union of string
  literals, a type alias).

## References
- https://docs.nestjs.com/openapi/types-and-parameters#enums
- https://docs.nestjs.com/openapi/types-and-parameters#enums-schema
"#,
};

impl Rule for ApiEnumProperty {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn parse_options(&self, table: &toml::Table) -> Result<RuleOptions, String> {
        options_from::<ApiEnumPropertyOptions>(table)
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        for (file, indexed) in index.files() {
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            if !indexed
                .facts
                .imports
                .iter()
                .any(|b| b.source.as_str() == "@nestjs/swagger")
            {
                continue;
            }
            for class in &indexed.facts.classes {
                for property in &class.properties {
                    if !property.is_static {
                        check_property(index, ctx, file, property);
                    }
                }
            }
        }
    }
}

fn check_property(
    index: &ProjectIndex,
    ctx: &mut ProjectContext<'_>,
    file: FileId,
    property: &PropertyFact,
) {
    let Some(decorator) = property.decorators.iter().find(|d| {
        ["ApiProperty", "ApiPropertyOptional"]
            .iter()
            .any(|name| index.is_export_of(file, &d.callee, "@nestjs/swagger", name))
    }) else {
        return;
    };
    let options = match decorator.args.first() {
        None => None,
        Some(object @ Value::Object { open: false, .. }) => Some(object),
        Some(_) => return,
    };
    let Some((enum_name, is_array)) = property.ty.as_ref().and_then(|t| element_name(t, false))
    else {
        return;
    };
    let is_enum = index
        .type_decl(&index.resolve(file, enum_name))
        .is_some_and(|(_, decl)| decl.kind == TypeDeclKind::Enum);
    if !is_enum {
        return;
    }
    let has = |key: &str| options.and_then(|o| o.get(key)).is_some();
    if has("enumName") {
        return;
    }
    if !has("enum") {
        if index.package(file).swagger_plugin {
            return;
        }
        let value_import = !index.is_type_only_import(file, enum_name);
        // An array of enum values is documented as one only with `isArray: true`.
        let mut entries = format!("enum: {enum_name}, enumName: '{enum_name}'");
        if is_array && !has("isArray") {
            entries.push_str(", isArray: true");
        }
        let fix = value_import
            .then(|| add_options(index, ctx, file, decorator, &entries))
            .flatten();
        let holds = if is_array {
            format!("holds `{enum_name}` values")
        } else {
            format!("is a `{enum_name}`")
        };
        ctx.report(
            index,
            file,
            decorator.range,
            format!(
                "`{}` {holds}, but the OpenAPI document does not list its values",
                property.name
            ),
        )
        .help(format!("pass `{entries}`"))
        .fix(fix);
        return;
    }
    let require_enum_name = ctx
        .options::<ApiEnumPropertyOptions>(file)
        .is_some_and(|o| o.require_enum_name);
    if !require_enum_name {
        return;
    }
    let fix = add_options(
        index,
        ctx,
        file,
        decorator,
        &format!("enumName: '{enum_name}'"),
    );
    ctx.report(
        index,
        file,
        decorator.range,
        format!(
            "`{}` lists the values of `{enum_name}` inline: without `enumName`, the document has no `{enum_name}` schema",
            property.name
        ),
    )
    .note("generated clients then create one enum type per property that uses it")
    .help(format!("add `enumName: '{enum_name}'`"))
    .fix(fix);
}

/// The name of a property's type or element type (and whether it is an array's), with `null`
/// and `undefined` set aside.
fn element_name(ty: &TypeRef, in_array: bool) -> Option<(&str, bool)> {
    match ty {
        TypeRef::Named { name, args } if args.is_empty() && !name.contains('.') => {
            Some((name, in_array))
        }
        TypeRef::Named { name, args }
            if !in_array && matches!(name.as_str(), "Array" | "ReadonlyArray") =>
        {
            match args.as_slice() {
                [inner] => element_name(inner, true),
                _ => None,
            }
        }
        TypeRef::Array(inner) if !in_array => element_name(inner, true),
        TypeRef::Union(members) => {
            let mut rest = members.iter().filter(
                |m| !matches!(m, TypeRef::Keyword(k) if matches!(k.as_str(), "null" | "undefined")),
            );
            let only = rest.next()?;
            rest.next()
                .is_none()
                .then(|| element_name(only, in_array))
                .flatten()
        }
        _ => None,
    }
}

/// `entries` added to the decorator's options object, or passed as one when it has none.
fn add_options(
    index: &ProjectIndex,
    ctx: &ProjectContext<'_>,
    file: FileId,
    decorator: &DecoratorFact,
    entries: &str,
) -> Option<Fix> {
    let source = ctx.source(index, file)?;
    let tree = ctx.tree_for_edit(index, file)?;
    let node = node_at(tree.root_node(), decorator.range)?;
    let view = DecoratorView::new(node);
    let edit = match view.arguments().first().map(|a| unwrap_expression(*a)) {
        Some(object) if object.kind_name() == "object" => {
            if object.named_child_count() == 0 {
                Edit::replacement(
                    nestlint_diagnostics::TextRange::new(object.start_byte(), object.end_byte()),
                    format!("{{ {entries} }}"),
                )
            } else {
                crate::decorators::append_entry(object, source, entries)?
            }
        }
        Some(_) => return None,
        None => {
            let call = view.call()?;
            let arguments = call.field(nestlint_engine::syntax::Field::Arguments)?;
            let inside = source.get(arguments.start_byte()..arguments.end_byte())?;
            if inside != "()" {
                return None;
            }
            Edit::insertion(arguments.start_byte() + 1, format!("{{ {entries} }}"))
        }
    };
    Some(Fix::safe(format!("add `{entries}`"), vec![edit]))
}
