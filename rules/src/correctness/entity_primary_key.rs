use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::nest::{ClassView, MemberKind};
use nestlint_engine::syntax::Node;
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::decorators::is_imported;

pub struct EntityPrimaryKey;

static META: RuleMeta = RuleMeta {
    id: "entity-primary-key",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "A TypeORM `@Entity()` has a primary column",
    docs: r#"## What it does
Reports a class decorated `@Entity()` (from `typeorm`) with no `@PrimaryGeneratedColumn()`,
`@PrimaryColumn()` or `@ObjectIdColumn()`, and no base class that could declare one.

## Why is this bad?
TypeORM refuses to build its metadata: the application fails at start-up with
`MissingPrimaryColumnError: Entity "X" does not have a primary column`.

## Example
```ts,expect_diagnostic
import { Column, Entity } from 'typeorm';

@Entity()
export class AuditLog {
  @Column()
  action: string;
}
```

Use instead:
```ts
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity()
export class AuditLog {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column()
  action: string;
}
```

## When it stays silent
- entities with a base class (which may declare the key), `@ViewEntity()`s; test files.

## References
- https://typeorm.io/entities#primary-columns
"#,
};

const PRIMARY: &[&str] = &["PrimaryGeneratedColumn", "PrimaryColumn", "ObjectIdColumn"];

impl Rule for EntityPrimaryKey {
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
        let decorators = ctx.class_decorators(&class);
        let Some(&entity) = decorators
            .iter()
            .find(|&&d| is_imported(d, ctx, "typeorm", &["Entity"]))
        else {
            return;
        };
        if class.extends().is_some() {
            return;
        }
        let has_key = class.members().iter().any(|member| {
            member.kind == MemberKind::Property
                && member
                    .decorators
                    .iter()
                    .any(|&d| is_imported(d, ctx, "typeorm", PRIMARY))
        });
        if has_key {
            return;
        }
        let name = class.name(ctx.source).unwrap_or("the entity");
        let range = class.name_node().map_or_else(|| range_of(entity), range_of);
        ctx.report(range, format!("the entity `{name}` has no primary column"))
            .note(format!(
                "TypeORM fails at start-up: `Entity \"{name}\" does not have a primary column`"
            ))
            .help("add `@PrimaryGeneratedColumn()` (or `@PrimaryColumn()`) to its key");
    }
}
