use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{is_function_scope, unwrap_expression, visit_bounded, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_callee, is_script_path};

pub struct NoAwaitInLoopQuery;

static META: RuleMeta = RuleMeta {
    id: "no-await-in-loop-query",
    category: Category::Performance,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "No database query awaited once per iteration of a loop (N+1 queries)",
    docs: r#"## What it does
Reports an `await` of a read from the database inside the body of a `for`, `for...of` or
`for...in` loop: a TypeORM repository (`this.usersRepository.findOneBy(...)`,
`this.userRepo.find(...)`), an entity manager or data source, a Mongoose model
(`this.userModel.findById(...)`) or a Prisma delegate (`this.prisma.user.findUnique(...)`).

Only reads are reported (`find*`, `count*`, `exist*`, `aggregate`, `query`): writes in a loop are
often ordered on purpose.

## Why is this bad?
Each iteration waits for a round trip to the database before the next starts: 100 items make 100
sequential queries where one query (`In(ids)`, `where: { id: { in: ids } }`, a join or an
`include`) would do. The request's latency grows with the data.

## Example
```ts,expect_diagnostic
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Order } from './order.entity';

@Injectable()
export class OrdersService {
  constructor(@InjectRepository(Order) private readonly ordersRepository: Repository<Order>) {}

  async findAll(ids: string[]): Promise<Order[]> {
    const orders: Order[] = [];
    for (const id of ids) {
      const order = await this.ordersRepository.findOneBy({ id });
      if (order) orders.push(order);
    }
    return orders;
  }
}
```

Use instead:
```ts
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { Order } from './order.entity';

@Injectable()
export class OrdersService {
  constructor(@InjectRepository(Order) private readonly ordersRepository: Repository<Order>) {}

  findAll(ids: string[]): Promise<Order[]> {
    return this.ordersRepository.findBy({ id: In(ids) });
  }
}
```

## When it stays silent
- `while` and `do` loops: their iterations usually follow what the previous query returned (a
  chain of parents, a retry until a name is free), which one query cannot do;
- loops in callbacks (`.map(async ...)` runs the queries concurrently), writes, queries on
  receivers not named like a repository, model, manager or Prisma client;
- scripts, seeds and migrations (run once, by hand); test files.

## References
- https://typeorm.io/find-options#advanced-options
- https://www.prisma.io/docs/orm/prisma-client/queries/query-optimization-performance#solving-n1-in-prisma
"#,
};

const READS: &[&str] = &[
    "find",
    "findOne",
    "findOneBy",
    "findBy",
    "findOneOrFail",
    "findOneByOrFail",
    "findAndCount",
    "findAndCountBy",
    "findById",
    "findUnique",
    "findUniqueOrThrow",
    "findFirst",
    "findFirstOrThrow",
    "findMany",
    "count",
    "countBy",
    "countDocuments",
    "exist",
    "exists",
    "existsBy",
    "aggregate",
    "query",
];

/// How many nodes of a loop's body are read.
const BODY_LIMIT: usize = 20_000;

impl Rule for NoAwaitInLoopQuery {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    // The loops, not the awaits: loops are few, and each body is read once (a nested loop is
    // read by its own dispatch), where finding the loop around each `await` climbs the tree.
    fn kinds(&self) -> &'static [&'static str] {
        &["for_statement", "for_in_statement"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let Some(body) = node.field(nestlint_engine::syntax::Field::Body) else {
            return;
        };
        let loop_kind = if node.kind_name() == "for_statement" {
            "for"
        } else {
            "for...of"
        };
        let mut awaits = Vec::new();
        visit_bounded(body, BODY_LIMIT, |inner| {
            let kind = inner.kind_name();
            if kind == "await_expression" {
                awaits.push(inner);
            }
            inner.id() == body.id()
                || !(is_function_scope(kind)
                    || matches!(
                        kind,
                        "for_statement" | "for_in_statement" | "while_statement" | "do_statement"
                    ))
        });
        if awaits.is_empty() || is_script_path(ctx) {
            return;
        }
        for awaited in awaits {
            let Some(call) = nestlint_engine::syntax::named_children(awaited)
                .next()
                .map(unwrap_expression)
            else {
                continue;
            };
            if call.kind_name() != "call_expression" {
                continue;
            }
            let Some(callee) = call_callee(call, ctx.source) else {
                continue;
            };
            let Some(receiver) = callee.object else {
                continue;
            };
            if !READS.contains(&callee.name) || !is_data_access(receiver) {
                continue;
            }
            ctx.report(
                range_of(awaited),
                format!(
                    "`{receiver}.{}` is awaited once per iteration of the `{loop_kind}` loop",
                    callee.name
                ),
            )
            .note("each iteration waits for its own round trip to the database: N items, N queries")
            .help("read all the rows in one query (`In(ids)`, `{ in: ids }`, a join or `include`) before the loop");
        }
    }
}

/// A receiver named like a repository, a model, an entity manager, a data source or Prisma.
fn is_data_access(receiver: &str) -> bool {
    let Some(path) = receiver.strip_prefix("this.") else {
        return false;
    };
    let mut parts = path.split('.');
    let Some(first) = parts.next() else {
        return false;
    };
    let lower = first.to_ascii_lowercase();
    let orm_object = lower.ends_with("repository")
        || lower.ends_with("repo")
        || lower.ends_with("model")
        || lower == "manager"
        || lower == "entitymanager"
        || lower == "datasource";
    match parts.next() {
        None => orm_object,
        // `this.prisma.user`: a delegate of the Prisma client.
        Some(_) if parts.next().is_none() => lower == "prisma" || lower == "prismaservice",
        Some(_) => false,
    }
}
