use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::nest::ClassView;
use nestlint_engine::syntax::{text, Node};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::is_nest_class;
use crate::decorators::imported_name;

pub struct NoDataAccessInControllers;

static META: RuleMeta = RuleMeta {
    id: "no-data-access-in-controllers",
    category: Category::Style,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "Controllers reach the database through services, not repositories or ORM clients",
    docs: r#"## What it does
Reports a controller's constructor parameter that is a data-access object: injected with
`@InjectRepository()`, `@InjectModel()`, `@InjectEntityManager()` or `@InjectDataSource()`, or
typed `Repository<...>`, `EntityManager`, `DataSource`, `PrismaService` or `PrismaClient`.

## Why is this bad?
Queries in a controller mix HTTP with persistence: the same query is written again by the next
controller that needs it, transactions and business rules end up in the HTTP layer, and the
controller cannot be tested without a database. A service keeps one place for each operation.

## Example
```ts,expect_diagnostic
import { Controller, Get } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { User } from './user.entity';

@Controller('users')
export class UsersController {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  @Get()
  findAll() {
    return this.users.find();
  }
}
```

Use instead:
```ts
import { Controller, Get } from '@nestjs/common';
import { UsersService } from './users.service';

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  findAll() {
    return this.users.findAll();
  }
}
```

## When it stays silent
- services, resolvers and every class that is not a controller; test files.

Off by default: a choice of architecture.

## References
- https://docs.nestjs.com/providers
"#,
};

const INJECTORS: &[&str] = &[
    "InjectRepository",
    "InjectModel",
    "InjectEntityManager",
    "InjectDataSource",
];

const DATA_TYPES: &[&str] = &[
    "Repository",
    "EntityManager",
    "DataSource",
    "PrismaService",
    "PrismaClient",
];

impl Rule for NoDataAccessInControllers {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["class_declaration"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let Some(class) = ClassView::new(node) else {
            return;
        };
        if !is_nest_class(ctx, &class, &["Controller"]) {
            return;
        }
        let Some(constructor) = class
            .members()
            .into_iter()
            .find(|m| m.is_constructor(ctx.source))
        else {
            return;
        };
        let class_name = class
            .name(ctx.source)
            .unwrap_or("the controller")
            .to_owned();
        for param in constructor.params() {
            let injected = param
                .parts()
                .decorators
                .iter()
                .any(|&d| imported_name(d, ctx).is_some_and(|(_, n)| INJECTORS.contains(&n)));
            let typed = param.type_node().is_some_and(|t| {
                let written = text(t, ctx.source);
                let base = written.split('<').next().unwrap_or(written).trim();
                DATA_TYPES.contains(&base)
            });
            if !injected && !typed {
                continue;
            }
            let name = param.name(ctx.source).to_owned();
            ctx.report(
                range_of(param.node),
                format!("`{class_name}` takes `{name}`, a data-access object, in its constructor"),
            )
            .note("queries in the HTTP layer are written again by the next controller, and tie its tests to a database")
            .help("move the queries to a service and inject that");
        }
    }
}
