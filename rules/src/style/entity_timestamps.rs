use nestlint_diagnostics::Severity;
use nestlint_engine::facts::ClassFact;
use nestlint_engine::{
    Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta,
    Scope,
};

use crate::code::entity_chain;

pub struct EntityTimestamps;

static META: RuleMeta = RuleMeta {
    id: "entity-timestamps",
    category: Category::Style,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "A TypeORM entity records when its rows were created and updated",
    docs: r#"## What it does
Reports a TypeORM `@Entity()` that neither it nor a base class it extends gives a
`@CreateDateColumn()` or an `@UpdateDateColumn()`, nor a column kept by hand under such a name
(`@Column() createdAt`, `updated`, `modifiedAt`, set in a `@BeforeInsert()` hook). Base classes
are followed across files (`extends BaseEntity`, `extends TimestampedEntity`).

## Why is this bad?
Without them, nobody can say when a row appeared or last changed: debugging a support case,
syncing to a warehouse, or expiring old data all need it, and adding the columns later leaves
the existing rows without a value. TypeORM fills both columns itself.

## Example
```ts,expect_diagnostic
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity()
export class Invoice {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column()
  total: number;
}
```

Use instead:
```ts
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity()
export class Invoice {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column()
  total: number;

  @CreateDateColumn()
  createdAt: Date;

  @UpdateDateColumn()
  updatedAt: Date;
}
```

## When it stays silent
- an entity whose base class it cannot read (a class from a package other than `typeorm`, a
  mixin call such as `extends Timestamped(Base)`): the columns may be declared there;
- `@ViewEntity()`s, and entities of test files.

It is off by default: join tables and append-only logs (which carry their own date) need no
update date.

## References
- https://typeorm.io/entities#special-columns
"#,
};

impl Rule for EntityTimestamps {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        for (file, indexed) in index.files() {
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            for class in &indexed.facts.classes {
                let entity = class
                    .decorators
                    .iter()
                    .any(|d| index.is_export_of(file, &d.callee, "typeorm", "Entity"));
                if !entity {
                    continue;
                }
                let Some(columns) = date_columns(index, file, class) else {
                    continue;
                };
                let missing: Vec<&str> = [
                    ("CreateDateColumn", columns.created),
                    ("UpdateDateColumn", columns.updated),
                ]
                .iter()
                .filter(|(_, found)| !found)
                .map(|(name, _)| *name)
                .collect();
                if missing.is_empty() {
                    continue;
                }
                let listed = missing
                    .iter()
                    .map(|m| format!("`@{m}()`"))
                    .collect::<Vec<_>>()
                    .join(" or ");
                ctx.report(
                    index,
                    file,
                    class.name_range,
                    format!("the entity `{}` has no {listed}", class.name),
                )
                .note("its rows do not say when they were created or last changed")
                .help(format!(
                    "add {}, or extend a base entity that declares them",
                    missing
                        .iter()
                        .map(|m| format!("`@{m}()`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ));
            }
        }
    }
}

#[derive(Default)]
struct DateColumns {
    created: bool,
    updated: bool,
}

/// The date columns of a class and its bases; `None` when a base cannot be read.
fn date_columns(index: &ProjectIndex, file: FileId, class: &ClassFact) -> Option<DateColumns> {
    let mut columns = DateColumns::default();
    for (file, class) in entity_chain(index, file, class)? {
        for property in &class.properties {
            // A column kept by hand (`@Column() createdAt: Date` set in a `@BeforeInsert()`)
            // records the date too.
            let name = property.name.to_ascii_lowercase();
            let kept_by_hand = |prefixes: &[&str]| {
                prefixes.iter().any(|p| name.starts_with(p))
                    && property.decorators.iter().any(|d| {
                        ["Column", "CreateDateColumn", "UpdateDateColumn"]
                            .iter()
                            .any(|c| index.is_export_of(file, &d.callee, "typeorm", c))
                    })
            };
            for decorator in &property.decorators {
                if index.is_export_of(file, &decorator.callee, "typeorm", "CreateDateColumn") {
                    columns.created = true;
                }
                if index.is_export_of(file, &decorator.callee, "typeorm", "UpdateDateColumn") {
                    columns.updated = true;
                }
            }
            columns.created |= kept_by_hand(&["created", "inserted"]);
            columns.updated |= kept_by_hand(&["updated", "modified", "changed"]);
        }
    }
    Some(columns)
}
