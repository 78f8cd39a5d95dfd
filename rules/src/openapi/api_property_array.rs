use nestlint_diagnostics::{Fix, Severity, TextRange};
use nestlint_engine::syntax::nest::{ClassView, MemberKind};
use nestlint_engine::syntax::{named_children, text, unwrap_expression, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use super::property::{api_property, object_key};

pub struct ApiPropertyArray;

static META: RuleMeta = RuleMeta {
    id: "api-property-array",
    category: Category::Openapi,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::Sometimes,
    scope: Scope::File,
    summary: "`@ApiProperty({ type })` on an array property says it is an array",
    docs: r#"## What it does
Reports `@ApiProperty()` or `@ApiPropertyOptional()` whose options give a `type` that is not an
array (`type: TagDto`, `type: () => TagDto`, `type: 'string'`) without `isArray: true`, on a
property typed as an array (`TagDto[]`, `Array<TagDto>`, `readonly TagDto[]`, with `| null` or
`| undefined`); and `isArray: true` or `type: [X]` on a `string`, `number` or `boolean` property.

## Why is this bad?
`@nestjs/swagger` takes the shape from the options: `type: TagDto` documents one `TagDto`, and
writes `isArray: false`, which even the swagger CLI plugin does not override. Clients generated
from the document then expect an object where the API sends a list (or the reverse).

## Example
```ts,expect_diagnostic
import { ApiProperty } from '@nestjs/swagger';

export class TagDto {
  @ApiProperty()
  name: string;
}

export class PostDto {
  @ApiProperty({ type: TagDto })
  tags: TagDto[];
}
```

Use instead:
```ts
import { ApiProperty } from '@nestjs/swagger';

export class TagDto {
  @ApiProperty()
  name: string;
}

export class PostDto {
  @ApiProperty({ type: TagDto, isArray: true })
  tags: TagDto[];
}
```

## Fix
Adds `isArray: true` to the options (safe: only the document changes, to match the property).
The reverse case has no fix: which of the two is right is yours to say.

## When it stays silent
- a property with `@Transform(...)`: the request carries something else (`?sort=[...]` as JSON,
  `a,b`), and the document describes the request;
- options without `type`, with `type: Array` (or `Array<X>`), with `isArray` set (`isArray: true`
  is reported only on a `string`, `number` or `boolean`), or that it cannot read (a spread, a
  variable);
- `type: [X]` and `type: () => [X]` on arrays; a property type it cannot tell is an array or not
  (a type alias, a union with anything but `null` or `undefined`, no annotation);
- decorators that are not `@nestjs/swagger`'s.

## References
- https://docs.nestjs.com/openapi/types-and-parameters#arrays
"#,
};

impl Rule for ApiPropertyArray {
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
            // `@Transform(...)`: what the request carries (`?sort=[...]` as JSON, `a,b`) is not
            // what the property holds, and the document describes the request.
            if transformed(&member.decorators, ctx) {
                continue;
            }
            let Some(options) = found.options.filter(|_| !found.options_unreadable) else {
                continue;
            };
            if let Some(is_array) = object_key(options, "isArray", ctx.source) {
                // `isArray: true` on a string, number or boolean: the document shows a list.
                let scalar = member
                    .type_node()
                    .is_some_and(|t| matches!(shape_of(t, ctx.source), Shape::Scalar));
                if scalar && text(is_array, ctx.source) == "true" {
                    let name = member.name(ctx.source);
                    ctx.report(
                        TextRange::new(is_array.start_byte(), is_array.end_byte()),
                        format!(
                            "`{name}` is not an array, but `isArray: true` makes the OpenAPI document show a list"
                        ),
                    )
                    .help("drop `isArray: true`, or type the property as an array");
                }
                continue;
            }
            let Some(type_value) = object_key(options, "type", ctx.source) else {
                continue;
            };
            let Some(shape) = member.type_node().map(|t| shape_of(t, ctx.source)) else {
                continue;
            };
            // `type: Array` (and `Array<X>`, which is `Array` at run time) documents an array of
            // unknown items: not one value.
            let named = type_name(type_value, ctx.source);
            if named == "array" || named == "Array" || named.starts_with("Array<") {
                continue;
            }
            let documented_array = is_array_type_value(type_value);
            let name = member.name(ctx.source);
            let decorator =
                TextRange::new(found.decorator.start_byte(), found.decorator.end_byte());
            match shape {
                Shape::Array if !documented_array => {
                    let fix = crate::decorators::append_entry(options, ctx.source, "isArray: true")
                        .map(|edit| Fix::safe("add `isArray: true`", vec![edit]));
                    ctx.report(
                        decorator,
                        format!(
                            "`{name}` is an array, but the OpenAPI document shows one `{}`",
                            type_name(type_value, ctx.source)
                        ),
                    )
                    .note("a `type` that is not an array makes `@nestjs/swagger` write `isArray: false`")
                    .help("add `isArray: true`, or write the type as `[X]`")
                    .fix(fix);
                }
                Shape::Scalar if documented_array => {
                    ctx.report(
                        decorator,
                        format!("`{name}` is not an array, but the OpenAPI document shows a list"),
                    )
                    .help("write the type without `[...]`, or type the property as an array");
                }
                _ => {}
            }
        }
    }
}

fn transformed(decorators: &[Node<'_>], ctx: &FileContext<'_, '_>) -> bool {
    decorators.iter().any(|&decorator| {
        nestlint_engine::syntax::nest::DecoratorView::new(decorator)
            .callee(ctx.source)
            .and_then(|callee| ctx.imports.get(callee.object.unwrap_or(callee.name)))
            .is_some_and(|binding| {
                binding.is("class-transformer", "Transform")
                    || (binding.source.as_str() == "class-transformer"
                        && text(decorator, ctx.source).contains("Transform"))
            })
    })
}

enum Shape {
    Array,
    /// `string`, `number` or `boolean`.
    Scalar,
    Unknown,
}

/// What a property's type annotation says of its shape.
fn shape_of(node: Node<'_>, source: &str) -> Shape {
    match node.kind_name() {
        "array_type" => Shape::Array,
        "readonly_type" | "parenthesized_type" => named_children(node)
            .next()
            .map_or(Shape::Unknown, |inner| shape_of(inner, source)),
        "generic_type" => match node.field(Field::Name).map(|n| text(n, source)) {
            Some("Array" | "ReadonlyArray") => Shape::Array,
            _ => Shape::Unknown,
        },
        "predefined_type" => match text(node, source) {
            "string" | "number" | "boolean" => Shape::Scalar,
            _ => Shape::Unknown,
        },
        "union_type" => {
            let mut shape = None;
            for member in named_children(node) {
                if matches!(text(member, source), "null" | "undefined") {
                    continue;
                }
                if shape.is_some() {
                    return Shape::Unknown;
                }
                shape = Some(shape_of(member, source));
            }
            shape.unwrap_or(Shape::Unknown)
        }
        _ => Shape::Unknown,
    }
}

/// `[X]`, or a function returning `[X]`.
fn is_array_type_value(value: Node<'_>) -> bool {
    match value.kind_name() {
        "array" => true,
        "arrow_function" => value
            .field(Field::Body)
            .map(unwrap_expression)
            .is_some_and(|body| body.kind_name() == "array"),
        _ => false,
    }
}

/// The type a `type` option names, for the message.
fn type_name<'s>(value: Node<'_>, source: &'s str) -> &'s str {
    let value = if value.kind_name() == "arrow_function" {
        value
            .field(Field::Body)
            .map(unwrap_expression)
            .unwrap_or(value)
    } else {
        value
    };
    text(value, source).trim_matches(|c| c == '\'' || c == '"')
}
