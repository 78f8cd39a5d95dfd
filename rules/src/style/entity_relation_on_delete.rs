use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::nest::{ClassView, MemberKind};
use nestlint_engine::syntax::{named_children, unwrap_expression, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_arguments, object_value};
use crate::decorators::{imported_name, is_imported};

pub struct EntityRelationOnDelete;

static META: RuleMeta = RuleMeta {
    id: "entity-relation-on-delete",
    category: Category::Style,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary:
        "A TypeORM relation that owns a foreign key says what deleting its target does (`onDelete`)",
    docs: r#"## What it does
Reports, in a TypeORM `@Entity()`, a `@ManyToOne()` relation, or a `@OneToOne()` with
`@JoinColumn()` (the side that holds the foreign key), whose options do not set `onDelete`.

## Why is this bad?
The foreign key then gets the database's default, `NO ACTION`: deleting the row it points to
fails with a constraint violation, at run time, in whichever code path deletes first. Saying
`CASCADE`, `SET NULL` or `RESTRICT` makes the choice visible in the entity and in the
migration.

## Example
```ts,expect_diagnostic
import { Entity, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Customer } from './customer.entity';

@Entity()
export class Order {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @ManyToOne(() => Customer, (customer) => customer.orders)
  customer: Customer;
}
```

Use instead:
```ts
import { Entity, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Customer } from './customer.entity';

@Entity()
export class Order {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @ManyToOne(() => Customer, (customer) => customer.orders, { onDelete: 'CASCADE' })
  customer: Customer;
}
```

## When it stays silent
- options the rule cannot read: a variable, a spread in the options object;
- the inverse side of a relation (`@OneToMany()`, a `@OneToOne()` without `@JoinColumn()`),
  which holds no key; test files.

It is off by default: `NO ACTION` is sometimes the intended answer, and a team may decide it in
migrations rather than in entities.

## References
- https://typeorm.io/relations#relation-options
"#,
};

impl Rule for EntityRelationOnDelete {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["class_declaration"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let Some(class) = ClassView::new(node) else {
            return;
        };
        let entity = ctx
            .class_decorators(&class)
            .iter()
            .any(|&d| is_imported(d, ctx, "typeorm", &["Entity"]));
        if !entity {
            return;
        }
        for member in class.members() {
            if member.kind != MemberKind::Property {
                continue;
            }
            let join_column = member
                .decorators
                .iter()
                .any(|&d| is_imported(d, ctx, "typeorm", &["JoinColumn"]));
            for &decorator in &member.decorators {
                let Some((_, relation)) =
                    imported_name(decorator, ctx).filter(|(from, _)| *from == "typeorm")
                else {
                    continue;
                };
                let owns_key = relation == "ManyToOne" || (relation == "OneToOne" && join_column);
                if !owns_key {
                    continue;
                }
                let Some(call) =
                    named_children(decorator).find(|c| c.kind_name() == "call_expression")
                else {
                    continue;
                };
                if !sets_or_may_set_on_delete(call, ctx.source) {
                    let name = member.name_node().map(|n| range_of(n));
                    ctx.report(
                        name.unwrap_or_else(|| range_of(decorator)),
                        format!("`@{relation}()` does not say what deleting the related row does"),
                    )
                    .note("the foreign key gets `ON DELETE NO ACTION`: deleting that row fails while this one points to it")
                    .help("set `onDelete: 'CASCADE'`, `'SET NULL'` or `'RESTRICT'` in the relation's options");
                }
            }
        }
    }
}

/// The relation's options set `onDelete`, or cannot be read (a variable, a spread).
fn sets_or_may_set_on_delete(call: Node<'_>, source: &str) -> bool {
    for argument in call_arguments(call).into_iter().map(unwrap_expression) {
        match argument.kind_name() {
            // The target type and the inverse side.
            "arrow_function" | "function_expression" | "string" => continue,
            "object" => {
                let (value, open) = object_value(argument, "onDelete", source);
                if value.is_some() || open {
                    return true;
                }
            }
            _ => return true,
        }
    }
    false
}
