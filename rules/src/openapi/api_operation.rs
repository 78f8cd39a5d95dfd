use nestlint_diagnostics::{Edit, Fix, Severity, TextRange};
use nestlint_engine::syntax::nest::{ClassView, DecoratorView, MemberKind};
use nestlint_engine::syntax::{named_children, text, unwrap_expression, Node, NodeExt};
use nestlint_engine::{
    options_from, Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta,
    RuleOptions, Scope,
};

use super::property::object_key;
use crate::decorators::is_imported;

pub struct ApiOperation;

/// `[rules] api-operation = { level = "...", require = true }`
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ApiOperationOptions {
    /// Every route has an `@ApiOperation()` (nestjs-typed's `api-method-should-specify-api-operation`).
    #[serde(default)]
    require: bool,
}

static META: RuleMeta = RuleMeta {
    id: "api-operation",
    category: Category::Openapi,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::Sometimes,
    scope: Scope::File,
    summary: "`@ApiOperation()` summaries and descriptions start with a capital letter",
    docs: r#"## What it does
Reports an `@ApiOperation()` whose `summary` or `description` (a string literal) starts with a
lowercase letter. With the option `require = true`, it also reports a route handler of a
controller that has no `@ApiOperation()`.

## Why is this bad?
Swagger UI lists operations by their summaries, next to each other: one in lowercase among
capitalised ones reads as a slip, and generated clients copy the text into their doc comments.

## Example
```ts,expect_diagnostic
import { Controller, Get } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';

@Controller('orders')
export class OrdersController {
  @Get()
  @ApiOperation({ summary: 'list all orders' })
  findAll() {
    return [];
  }
}
```

Use instead:
```ts
import { Controller, Get } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';

@Controller('orders')
export class OrdersController {
  @Get()
  @ApiOperation({ summary: 'List all orders' })
  findAll() {
    return [];
  }
}
```

## Fix
Capitalises the first letter (safe: only the document's text changes).

## Options
```toml
[rules]
api-operation = { level = "warn", require = true }
```

## When it stays silent
- texts that are not string literals, or that start with something other than a letter (a
  digit, a quote, `` ` ``), or with a lowercase identifier in backquotes;
- `require`: methods without a route decorator, classes that are not controllers, and routes
  excluded from the document (`@ApiExcludeEndpoint()`, `@ApiExcludeController()`).

## References
- https://docs.nestjs.com/openapi/operations
"#,
};

const SWAGGER: &str = "@nestjs/swagger";
const ROUTES: &[&str] = &[
    "Get", "Post", "Put", "Patch", "Delete", "Options", "Head", "All", "Search",
];

impl Rule for ApiOperation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["class_declaration", "abstract_class_declaration", "class"]
    }

    fn parse_options(&self, table: &toml::Table) -> Result<RuleOptions, String> {
        options_from::<ApiOperationOptions>(table)
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if !ctx.imports.iter().any(|b| b.source.as_str() == SWAGGER) {
            return;
        }
        let Some(class) = ClassView::new(node) else {
            return;
        };
        let require = ctx
            .options::<ApiOperationOptions>()
            .is_some_and(|o| o.require);
        let class_decorators = ctx.class_decorators(&class);
        let controller = class_decorators
            .iter()
            .any(|&d| is_imported(d, ctx, "@nestjs/common", &["Controller"]));
        let excluded_controller = class_decorators
            .iter()
            .any(|&d| is_imported(d, ctx, SWAGGER, &["ApiExcludeController"]));
        for member in class.members() {
            if member.kind != MemberKind::Method {
                continue;
            }
            let operation = member
                .decorators
                .iter()
                .copied()
                .find(|&d| is_imported(d, ctx, SWAGGER, &["ApiOperation"]));
            match operation {
                Some(operation) => check_texts(operation, ctx),
                None => {
                    let route = member
                        .decorators
                        .iter()
                        .any(|&d| is_imported(d, ctx, "@nestjs/common", ROUTES));
                    let excluded = member
                        .decorators
                        .iter()
                        .any(|&d| is_imported(d, ctx, SWAGGER, &["ApiExcludeEndpoint"]));
                    if require && controller && route && !excluded && !excluded_controller {
                        let Some(name) = member.name_node() else {
                            continue;
                        };
                        ctx.report(
                            TextRange::new(name.start_byte(), name.end_byte()),
                            format!(
                                "`{}` has no `@ApiOperation()`: the OpenAPI document gives it no summary",
                                text(name, ctx.source)
                            ),
                        )
                        .help("add `@ApiOperation({ summary: '...' })` from `@nestjs/swagger`");
                    }
                }
            }
        }
    }
}

/// Reports a `summary` or `description` that starts with a lowercase letter.
fn check_texts(operation: Node<'_>, ctx: &mut FileContext<'_, '_>) {
    let Some(options) = DecoratorView::new(operation)
        .arguments()
        .first()
        .map(|a| unwrap_expression(*a))
        .filter(|o| o.kind_name() == "object")
    else {
        return;
    };
    for key in ["summary", "description"] {
        let Some(value) = object_key(options, key, ctx.source) else {
            continue;
        };
        if value.kind_name() != "string" {
            continue;
        }
        let Some(fragment) = named_children(value).find(|n| n.kind_name() == "string_fragment")
        else {
            continue;
        };
        let written = text(fragment, ctx.source);
        let Some(first) = written.chars().next() else {
            continue;
        };
        if !first.is_lowercase() {
            continue;
        }
        let capital: String = first.to_uppercase().collect();
        let start = fragment.start_byte();
        let fix = Fix::safe(
            format!("capitalise the {key}"),
            vec![Edit::replacement(
                TextRange::new(start, start + first.len_utf8()),
                capital,
            )],
        );
        let shown: String = written.chars().take(40).collect();
        let shown = if shown.len() < written.len() {
            format!("{shown}...")
        } else {
            shown
        };
        ctx.report(
            TextRange::new(value.start_byte(), value.end_byte()),
            format!("the operation's {key} starts with a lowercase letter: \"{shown}\""),
        )
        .help("start it with a capital letter")
        .fix(Some(fix));
    }
}
