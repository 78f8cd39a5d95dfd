//! What the `@ApiProperty()` family says about a class property, read from the syntax tree.

use nestlint_engine::syntax::nest::DecoratorView;
use nestlint_engine::syntax::{named_children, text, unwrap_expression, Field, Node, NodeExt};
use nestlint_engine::FileContext;

/// An `@ApiProperty(...)` or `@ApiPropertyOptional(...)` of `@nestjs/swagger` on a property.
pub struct ApiPropertyUse<'t> {
    pub decorator: Node<'t>,
    /// `@ApiPropertyOptional()`.
    pub optional: bool,
    /// The name `@nestjs/swagger` exports it under.
    pub imported: &'static str,
    /// Its options object, when it is written in place.
    pub options: Option<Node<'t>>,
    /// Options it cannot read: a variable, a spread, a call.
    pub options_unreadable: bool,
}

/// The first swagger property decorator among `decorators`.
pub fn api_property<'t>(
    decorators: &[Node<'t>],
    ctx: &FileContext<'_, '_>,
) -> Option<ApiPropertyUse<'t>> {
    decorators.iter().find_map(|&decorator| {
        let view = DecoratorView::new(decorator);
        let callee = view.callee(ctx.source)?;
        let (binding, exported) = match callee.object {
            None => (ctx.imports.get(callee.name)?, None),
            Some(namespace) => (ctx.imports.get(namespace)?, Some(callee.name)),
        };
        let imported = ["ApiProperty", "ApiPropertyOptional", "ApiResponseProperty"]
            .into_iter()
            .find(|name| match exported {
                None => binding.is("@nestjs/swagger", name),
                Some(member) => binding.source.as_str() == "@nestjs/swagger" && member == *name,
            })?;
        if imported == "ApiResponseProperty" {
            return None;
        }
        let arguments = view.arguments();
        let (options, options_unreadable) = match arguments.first().map(|a| unwrap_expression(*a)) {
            None => (None, false),
            Some(object) if object.kind_name() == "object" => {
                let open = named_children(object)
                    .any(|entry| !matches!(entry.kind_name(), "pair" | "comment"));
                (Some(object), open)
            }
            Some(_) => (None, true),
        };
        Some(ApiPropertyUse {
            decorator,
            optional: imported == "ApiPropertyOptional",
            imported,
            options,
            options_unreadable,
        })
    })
}

/// The value of `key` in an object literal.
pub fn object_key<'t>(object: Node<'t>, key: &str, source: &str) -> Option<Node<'t>> {
    named_children(object).find_map(|entry| {
        if entry.kind_name() != "pair" {
            return None;
        }
        let written =
            text(entry.field(Field::Key)?, source).trim_matches(|c| c == '\'' || c == '"');
        (written == key).then(|| entry.field(Field::Value).map(unwrap_expression))?
    })
}

/// Whether a property's type admits `undefined` (`T | undefined`).
pub fn optional_in_typescript(type_node: Option<Node<'_>>, source: &str) -> bool {
    let Some(ty) = type_node else {
        return false;
    };
    ty.kind_name() == "union_type"
        && text(ty, source)
            .split('|')
            .any(|member| member.trim() == "undefined")
}
