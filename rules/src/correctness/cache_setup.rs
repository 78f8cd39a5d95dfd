use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::nest::{NEST_COMMON, ROUTE_DECORATORS};
use nestlint_engine::syntax::nest::{ClassView, DecoratorView, MemberKind};
use nestlint_engine::syntax::{text, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::is_nest_class;
use crate::decorators::{imported_name, is_imported};

pub struct CacheSetup;

static META: RuleMeta = RuleMeta {
    id: "cache-setup",
    category: Category::Correctness,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "Response caching is asked for only on `GET` handlers, where Nest applies it",
    docs: r#"## What it does
Reports `@CacheKey()`, `@CacheTTL()` and `@UseInterceptors(CacheInterceptor)` (from
`@nestjs/cache-manager`, or `@nestjs/common` before Nest 10) on a handler that answers another
method than `GET` (`@Post()`, `@Put()`, `@Patch()`, `@Delete()`).

## Why is this bad?
Nest's `CacheInterceptor` caches only `GET` requests: on any other method it does nothing, so
the decorator promises a cache that is never used (and a write cached would be a bug anyway).

## Example
```ts,expect_diagnostic
import { CacheInterceptor, CacheTTL } from '@nestjs/cache-manager';
import { Body, Controller, Post, UseInterceptors } from '@nestjs/common';

@Controller('search')
export class SearchController {
  @Post()
  @UseInterceptors(CacheInterceptor)
  @CacheTTL(60_000)
  search(@Body() query: { text: string }) {
    return [];
  }
}
```

Use instead:
```ts
import { CacheInterceptor, CacheTTL } from '@nestjs/cache-manager';
import { Controller, Get, Query, UseInterceptors } from '@nestjs/common';

@Controller('search')
export class SearchController {
  @Get()
  @UseInterceptors(CacheInterceptor)
  @CacheTTL(60_000)
  search(@Query('text') text: string) {
    return [];
  }
}
```

## When it stays silent
- `CACHE_MANAGER` injected where no `CacheModule` is imported: Nest fails at start-up, and
  `resolvable-dependencies` reports it in Nest's words;
- a `CacheInterceptor` of the project's own (one that extends Nest's may cache other methods);
- `GET` handlers, handlers with `@All()`; test files.

## References
- https://docs.nestjs.com/techniques/caching#auto-caching-responses
"#,
};

const CACHE_PACKAGES: &[&str] = &["@nestjs/cache-manager", NEST_COMMON];

impl Rule for CacheSetup {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["class_declaration", "abstract_class_declaration"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if !ctx.imports.iter().any(|b| {
            matches!(
                b.local.as_str(),
                "CacheInterceptor" | "CacheKey" | "CacheTTL"
            )
        }) {
            return;
        }
        let Some(class) = ClassView::new(node) else {
            return;
        };
        if !is_nest_class(ctx, &class, &["Controller"]) {
            return;
        }
        for member in class.members() {
            if member.kind != MemberKind::Method {
                continue;
            }
            let method = member.decorators.iter().find_map(|&d| {
                let (source, name) = imported_name(d, ctx)?;
                (source == NEST_COMMON && ROUTE_DECORATORS.contains(&name)).then(|| name.to_owned())
            });
            let Some(method) = method else {
                continue;
            };
            if matches!(method.as_str(), "Get" | "All") {
                continue;
            }
            for &decorator in &member.decorators {
                let asks_cache = CACHE_PACKAGES
                    .iter()
                    .any(|p| is_imported(decorator, ctx, p, &["CacheKey", "CacheTTL"]))
                    || (is_imported(decorator, ctx, NEST_COMMON, &["UseInterceptors"])
                        && DecoratorView::new(decorator).arguments().iter().any(|a| {
                            a.kind_name() == "identifier"
                                && ctx.imports.get(text(*a, ctx.source)).is_some_and(|b| {
                                    CACHE_PACKAGES.iter().any(|p| b.is(p, "CacheInterceptor"))
                                })
                        }));
                if !asks_cache {
                    continue;
                }
                let name = member.name(ctx.source);
                ctx.report(
                    range_of(decorator),
                    format!("`{name}` answers `@{method}()`: Nest's cache applies only to `GET` requests"),
                )
                .note("`CacheInterceptor` passes every other method through: nothing is cached")
                .help("cache a `GET` route, or cache inside the service (`cache.get`/`cache.set`)");
            }
        }
    }
}
