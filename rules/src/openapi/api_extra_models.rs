use std::collections::HashSet;

use super::FileFact;
use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::facts::{DecoratorFact, TypeRef, Value};
use nestlint_engine::syntax::{named_children, text, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, ProjectContext, ProjectIndex, Rule,
    RuleMeta, Scope,
};

pub struct ApiExtraModels;

static META: RuleMeta = RuleMeta {
    id: "api-extra-models",
    category: Category::Openapi,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "A model referenced with `getSchemaPath(X)` is registered in the OpenAPI document",
    docs: r#"## What it does
Reports `getSchemaPath(X)` (from `@nestjs/swagger`) when nothing in the project puts the class
`X` in the document: no `@ApiExtraModels(X)`, no `extraModels` option, and no swagger decorator,
property or route parameter that uses `X` as a type.

## Why is this bad?
`getSchemaPath(X)` only writes the reference `#/components/schemas/X`; the schema itself is
added when `X` is registered. Without it the reference dangles: Swagger UI shows a resolver
error and generated clients fail to build.

## Example
```ts,expect_diagnostic
import { ApiProperty, getSchemaPath } from '@nestjs/swagger';

export class Cat {
  @ApiProperty()
  meows: boolean;
}

export class Dog {
  @ApiProperty()
  barks: boolean;
}

export class PetOwnerDto {
  @ApiProperty({ oneOf: [{ $ref: getSchemaPath(Cat) }, { $ref: getSchemaPath(Dog) }] })
  pet: Cat | Dog;
}
```

Use instead:
```ts
import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';

export class Cat {
  @ApiProperty()
  meows: boolean;
}

export class Dog {
  @ApiProperty()
  barks: boolean;
}

@ApiExtraModels(Cat, Dog)
export class PetOwnerDto {
  @ApiProperty({ oneOf: [{ $ref: getSchemaPath(Cat) }, { $ref: getSchemaPath(Dog) }] })
  pet: Cat | Dog;
}
```

## When it stays silent
- a project that passes `extraModels` to `SwaggerModule.createDocument` anywhere (it may list
  `X`), or a name that appears in any swagger decorator's arguments, as the type of a property
  swagger describes (a union of classes is documented as `object` and does not count), or as a
  route parameter's type: the document may well hold it; names are compared, not symbols, so
  a class named like a registered one counts as registered;
- `getSchemaPath('X')` with a string, and an argument it cannot read.

## References
- https://docs.nestjs.com/openapi/types-and-parameters#extra-models
"#,
};

impl Rule for ApiExtraModels {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["program"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let source = ctx.source.as_bytes();
        if memchr::memmem::find(source, b"extraModels").is_some() {
            ctx.stash(FileFact::ExtraModelsOption);
        }
        if memchr::memmem::find(source, b"getSchemaPath").is_none() {
            return;
        }
        let Some(local) = ctx
            .imports
            .iter()
            .find(|b| b.is("@nestjs/swagger", "getSchemaPath"))
            .map(|b| b.local.to_string())
        else {
            return;
        };
        // Counted per name, not located by offset: a stash must not change when text moves.
        let mut seen: Vec<(String, u32)> = Vec::new();
        for (_, name) in schema_path_calls(node, ctx.source, &local) {
            let nth = match seen.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => {
                    *count += 1;
                    *count
                }
                None => {
                    seen.push((name.clone(), 0));
                    0
                }
            };
            ctx.stash(FileFact::SchemaPath { name, nth });
        }
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let mut paths = Vec::new();
        for (file, fact) in index.stashed::<FileFact>(META.id) {
            match fact {
                // `SwaggerModule.createDocument(app, config, { extraModels: [...] })` may list any.
                FileFact::ExtraModelsOption => return,
                FileFact::SchemaPath { name, nth } => paths.push((file, name, nth)),
                _ => {}
            }
        }
        if paths.is_empty() {
            return;
        }
        let registered = registered_names(index);
        for (file, name, nth) in paths {
            let indexed = index.file(file);
            if !indexed.is_target || indexed.is_test || registered.contains(name.as_str()) {
                continue;
            }
            // Only classes of the project: a package's model is registered by the package.
            if index.class(&index.resolve(file, &name)).is_none() {
                continue;
            }
            let Some(range) = call_range(index, ctx, file, &name, nth) else {
                continue;
            };
            ctx.report(
                index,
                file,
                range,
                format!(
                    "`getSchemaPath({name})` refers to a schema the document never gets: nothing registers `{name}`"
                ),
            )
            .note("`getSchemaPath` writes only the reference; the schema is added where the class is registered or used as a type")
            .help(format!(
                "add `@ApiExtraModels({name})` to the class or controller that uses it"
            ));
        }
    }
}

/// The `getSchemaPath(name)` calls under `root` (`local` is the name the file imports it under),
/// in text order.
fn schema_path_calls<'t>(root: Node<'t>, source: &str, local: &str) -> Vec<(Node<'t>, String)> {
    let mut calls = Vec::new();
    nestlint_engine::syntax::visit_bounded(root, 1_000_000, |node| {
        if node.kind_name() != "call_expression" {
            return true;
        }
        let is_schema_path = node
            .field(Field::Function)
            .is_some_and(|f| f.kind_name() == "identifier" && text(f, source) == local);
        if is_schema_path {
            let arguments = node.field(Field::Arguments);
            let mut args = arguments
                .into_iter()
                .flat_map(named_children)
                .filter(|n| n.kind_name() != "comment");
            if let (Some(model), None) = (args.next(), args.next()) {
                if model.kind_name() == "identifier" {
                    calls.push((node, text(model, source).to_owned()));
                }
            }
        }
        true
    });
    calls
}

/// Where the `nth` call `getSchemaPath(name)` of `file` is, read again from its text.
fn call_range(
    index: &ProjectIndex,
    ctx: &ProjectContext<'_>,
    file: nestlint_engine::FileId,
    name: &str,
    nth: u32,
) -> Option<TextRange> {
    let local = index
        .file(file)
        .facts
        .imports
        .iter()
        .find(|b| b.is("@nestjs/swagger", "getSchemaPath"))?
        .local
        .to_string();
    let source = ctx.source(index, file)?;
    let tree = ctx.tree_for_edit(index, file)?;
    let (call, _) = schema_path_calls(tree.root_node(), source, &local)
        .into_iter()
        .filter(|(_, n)| n == name)
        .nth(nth as usize)?;
    Some(TextRange::new(call.start_byte(), call.end_byte()))
}

/// Every name that may put a class in the document: identifiers in the arguments of swagger
/// decorators (other than inside `getSchemaPath(...)`), property types and route parameter
/// types, anywhere in the project.
fn registered_names(index: &ProjectIndex) -> HashSet<&str> {
    let mut names = HashSet::new();
    for (file, indexed) in index.files() {
        let swagger = |d: &DecoratorFact| {
            index
                .resolve_callee(file, &d.callee)
                .external_source()
                .is_some_and(|s| s == "@nestjs/swagger")
        };
        for class in &indexed.facts.classes {
            let decorators = class
                .decorators
                .iter()
                .chain(class.methods.iter().flat_map(|m| &m.decorators))
                .chain(class.properties.iter().flat_map(|p| &p.decorators));
            for decorator in decorators.filter(|d| swagger(d)) {
                for arg in &decorator.args {
                    value_names(arg, &mut names);
                }
            }
            // A property's type is documented as a schema when swagger describes the property
            // (its decorator, or the CLI plugin); a union is documented as `object`.
            let plugin = index.package(file).swagger_plugin;
            for property in &class.properties {
                if plugin || property.decorators.iter().any(&swagger) {
                    if let Some(ty) = &property.ty {
                        type_names(ty, &mut names);
                    }
                }
            }
            for param in class.methods.iter().flat_map(|m| &m.params) {
                if let Some(ty) = &param.ty {
                    type_names(ty, &mut names);
                }
            }
        }
    }
    names
}

fn value_names<'a>(value: &'a Value, names: &mut HashSet<&'a str>) {
    match value {
        Value::Ident(name) => {
            names.insert(name);
        }
        Value::Call { callee, args } => {
            if callee.name.as_str() == "getSchemaPath" {
                return;
            }
            for arg in args {
                value_names(arg, names);
            }
        }
        Value::New { args, .. } => args.iter().for_each(|a| value_names(a, names)),
        Value::Object { entries, .. } => entries.iter().for_each(|(_, v)| value_names(v, names)),
        Value::Array(items) => items.iter().for_each(|v| value_names(v, names)),
        Value::Spread(inner) => value_names(inner, names),
        Value::Arrow { body, .. } => value_names(body, names),
        Value::Fallback { value, fallback } => {
            value_names(value, names);
            value_names(fallback, names);
        }
        _ => {}
    }
}

fn type_names<'a>(ty: &'a TypeRef, names: &mut HashSet<&'a str>) {
    match ty {
        TypeRef::Named { name, args } => {
            names.insert(name);
            args.iter().for_each(|a| type_names(a, names));
        }
        TypeRef::Array(inner) => type_names(inner, names),
        // `Dto | null` is still `Dto`; a union of classes is documented as `object`.
        TypeRef::Union(members) => {
            let mut rest = members.iter().filter(
                |m| !matches!(m, TypeRef::Keyword(k) if matches!(k.as_str(), "null" | "undefined")),
            );
            if let (Some(only), None) = (rest.next(), rest.next()) {
                type_names(only, names);
            }
        }
        _ => {}
    }
}
