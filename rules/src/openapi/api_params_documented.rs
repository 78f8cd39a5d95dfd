use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::syntax::nest::{ClassView, DecoratorView, MemberKind};
use nestlint_engine::syntax::{string_value, unwrap_expression, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use super::property::object_key;
use crate::decorators::imported_name;

pub struct ApiParamsDocumented;

static META: RuleMeta = RuleMeta {
    id: "api-params-documented",
    category: Category::Openapi,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "Every named route and query parameter has an `@ApiParam()` or `@ApiQuery()`",
    docs: r#"## What it does
Reports `@Param('id')` without an `@ApiParam({ name: 'id', ... })`, and `@Query('page')` without
an `@ApiQuery({ name: 'page', ... })`, on the handler or its controller, in files that use
`@nestjs/swagger`. Off by default: turn it on where every parameter of the OpenAPI document must
carry a description.

## Why is this bad?
`@nestjs/swagger` lists a named parameter from `@Param()` and `@Query()` on its own, with its
name and, where it can, its type, but with no description, example, format or enum: clients
see `id: string` and must guess whether it is a UUID, a slug or a number. `@ApiParam()` and
`@ApiQuery()` say it. The swagger CLI plugin does not add them (it documents DTO properties, not
these parameters), so the rule applies with the plugin too.

## Example
```ts,expect_diagnostic
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';

@Controller('orders')
export class OrdersController {
  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid', description: 'The order' })
  find(@Param('id') id: string, @Query('expand') expand?: string) {
    return { id, expand };
  }
}
```

Use instead:
```ts
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiParam, ApiQuery } from '@nestjs/swagger';

@Controller('orders')
export class OrdersController {
  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid', description: 'The order' })
  @ApiQuery({ name: 'expand', required: false, enum: ['lines', 'customer'] })
  find(@Param('id') id: string, @Query('expand') expand?: string) {
    return { id, expand };
  }
}
```

## When it stays silent
- whole-object parameters (`@Query() query: ListDto`): their DTO's `@ApiProperty()` documents
  them;
- a controller with a base class: the base's class-level `@ApiParam()`s are inherited;
- a handler or controller excluded from the document (`@ApiExcludeEndpoint()`,
  `@ApiExcludeController()`);
- an `@ApiParam()`/`@ApiQuery()` whose `name` is not a string literal, or a decorator of the
  project or another package named `Api...` (it may document the parameter): the rule cannot
  tell which names are documented;
- names that are not string literals (`@Param(ID_PARAM)`).

## References
- https://docs.nestjs.com/openapi/operations#parameters
- https://github.com/darraghoriordan/eslint-plugin-nestjs-typed/issues/117
"#,
};

const SWAGGER: &str = "@nestjs/swagger";
const COMMON: &str = "@nestjs/common";

/// The parameter decorators the rule checks, and the swagger decorator that documents each.
const PAIRS: &[(&str, &str)] = &[("Param", "ApiParam"), ("Query", "ApiQuery")];

/// The names a set of decorators documents: `(swagger decorator, name)`; `None` when one of
/// them cannot be read.
fn documented_names(
    decorators: &[Node<'_>],
    ctx: &FileContext<'_, '_>,
) -> Option<Vec<(String, String)>> {
    let mut names = Vec::new();
    for &decorator in decorators {
        let Some((source, name)) = imported_name(decorator, ctx) else {
            continue;
        };
        if source != SWAGGER {
            if name.starts_with("Api") && !source.starts_with("@nestjs/") {
                return None;
            }
            continue;
        }
        if !PAIRS.iter().any(|(_, api)| *api == name) {
            continue;
        }
        let argument = DecoratorView::new(decorator)
            .arguments()
            .first()
            .map(|&a| unwrap_expression(a))?;
        if argument.kind_name() != "object" {
            return None;
        }
        let value = object_key(argument, "name", ctx.source)?;
        names.push((name.to_owned(), string_value(value, ctx.source)?));
    }
    Some(names)
}

impl Rule for ApiParamsDocumented {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["class_declaration", "abstract_class_declaration", "class"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if !ctx.imports.iter().any(|b| b.source.as_str() == SWAGGER) {
            return;
        }
        let Some(class) = ClassView::new(node) else {
            return;
        };
        let class_decorators = ctx.class_decorators(&class);
        let named = |d: Node<'_>, source: &str, name: &str| {
            imported_name(d, ctx).is_some_and(|(s, n)| s == source && n == name)
        };
        if !class_decorators
            .iter()
            .any(|&d| named(d, COMMON, "Controller"))
            || class_decorators
                .iter()
                .any(|&d| named(d, SWAGGER, "ApiExcludeController"))
        {
            return;
        }
        // A base class's class-level `@ApiParam()`s are inherited, and lie in another file.
        if class.extends().is_some() {
            return;
        }
        let Some(class_names) = documented_names(&class_decorators, ctx) else {
            return;
        };
        let mut found = Vec::new();
        for member in class.members() {
            if member.kind != MemberKind::Method
                || member
                    .decorators
                    .iter()
                    .any(|&d| named(d, SWAGGER, "ApiExcludeEndpoint"))
            {
                continue;
            }
            let Some(own) = documented_names(&member.decorators, ctx) else {
                continue;
            };
            let handler = member.name(ctx.source);
            for param in member.params() {
                for decorator in param.parts().decorators {
                    let Some((source, name)) = imported_name(decorator, ctx) else {
                        continue;
                    };
                    let Some((_, api)) = PAIRS.iter().find(|(p, _)| source == COMMON && *p == name)
                    else {
                        continue;
                    };
                    let Some(key) = DecoratorView::new(decorator)
                        .arguments()
                        .first()
                        .and_then(|&a| string_value(unwrap_expression(a), ctx.source))
                    else {
                        continue;
                    };
                    let documented = own
                        .iter()
                        .chain(class_names.iter())
                        .any(|(a, n)| a == api && *n == key);
                    if !documented {
                        found.push((
                            TextRange::new(decorator.start_byte(), decorator.end_byte()),
                            format!(
                                "`@{name}('{key}')` of `{handler}` has no `@{api}({{ name: '{key}' }})`: the OpenAPI document gives it no description"
                            ),
                            format!("describe it: `@{api}({{ name: '{key}', description: '...' }})` from `@nestjs/swagger`"),
                        ));
                    }
                }
            }
        }
        for (range, message, help) in found {
            ctx.report(range, message).help(help);
        }
    }
}
