use nestlint_diagnostics::Severity;
use nestlint_engine::facts::{ClassFact, PropertyFact, TypeRef, Value};
use nestlint_engine::{
    Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta,
    Scope,
};

use crate::code::entity_chain;

pub struct NoEntityInResponse;

static META: RuleMeta = RuleMeta {
    id: "no-entity-in-response",
    category: Category::Security,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "A route does not answer with an entity whose password, token or secret column goes out with it",
    docs: r#"## What it does
Reports a route handler whose declared return type is a TypeORM `@Entity()` or a Mongoose
`@Schema()` class (also inside `Promise<...>`, `Observable<...>` and arrays) that has, itself or
through its base classes, a column holding a credential (a name with `password`, `secret` or
`apiKey`, ending in `token` or `tokenHash`, or a bare `hash` or `salt`; not `fileHash`) which is
neither hidden from serialization (class-transformer's `@Exclude()`) nor left out of queries
(`select: false`).

## Why is this bad?
Nest serializes what a handler returns as it is: every column the query loaded goes into the
response, the password hash and the refresh token included. A response DTO, or `@Exclude()`
with `ClassSerializerInterceptor`, says what leaves the server.

## Example
```ts,expect_diagnostic
import { Controller, Get, Param } from '@nestjs/common';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity()
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column()
  email: string;

  @Column()
  passwordHash: string;
}

@Controller('users')
export class UsersController {
  @Get(':id')
  async findOne(@Param('id') id: string): Promise<User> {
    return new User();
  }
}
```

Use instead:
```ts
import { Controller, Get, Param } from '@nestjs/common';
import { Exclude } from 'class-transformer';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity()
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column()
  email: string;

  @Exclude()
  @Column()
  passwordHash: string;
}

@Controller('users')
export class UsersController {
  @Get(':id')
  async findOne(@Param('id') id: string): Promise<User> {
    return new User();
  }
}
```

## When it stays silent
- a column with `@Exclude()`: whether `ClassSerializerInterceptor` applies to the route is not
  checked (an interceptor bound in a way the engine cannot see would apply it);
- a column with `select: false` (TypeORM) or `select: false` in `@Prop()` (Mongoose), which
  queries do not load unless asked;
- an entity with a `toJSON()` method (it decides what is serialized), a base class the rule
  cannot read, handlers with no declared return type, `@Res()` handlers; test files.

## References
- https://docs.nestjs.com/techniques/serialization
- https://owasp.org/API-Security/editions/2023/en/0xa3-broken-object-property-level-authorization/
"#,
};

impl Rule for NoEntityInResponse {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        for (key, controller) in index.controllers() {
            let file = key.file;
            let indexed = index.file(file);
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            for handler in index.route_handlers(file, controller) {
                let Some((returned, range)) = &handler.return_type else {
                    continue;
                };
                let manual = handler.params.iter().any(|p| {
                    p.decorators.iter().any(|d| {
                        index.is_nest_decorator(file, d, "Res")
                            || index.is_nest_decorator(file, d, "Response")
                    })
                });
                if manual {
                    continue;
                }
                let Some(name) = returned_class(returned) else {
                    continue;
                };
                let symbol = index.resolve(file, name);
                let Some((entity_file, entity)) = index.class(&symbol) else {
                    continue;
                };
                if !is_persisted_model(index, entity_file, entity) {
                    continue;
                }
                let Some(leaked) = leaked_column(index, entity_file, entity) else {
                    continue;
                };
                ctx.report(
                    index,
                    file,
                    *range,
                    format!(
                        "`{}` answers with the `{}` entity, whose `{leaked}` goes out in the response",
                        handler.name, entity.name
                    ),
                )
                .note("Nest serializes the returned object as it is: every loaded column is sent")
                .help(format!(
                    "return a response DTO, or mark `{leaked}` with `@Exclude()` and serialize with `ClassSerializerInterceptor`"
                ));
            }
        }
    }
}

/// The class a return type names: `User`, `Promise<User>`, `Observable<User[]>`, `User | null`.
fn returned_class(ty: &TypeRef) -> Option<&str> {
    match ty {
        TypeRef::Named { name, args } => match name.as_str() {
            "Promise" | "Observable" | "Array" | "ReadonlyArray" => {
                args.first().and_then(returned_class)
            }
            _ if args.is_empty() => Some(name.as_str()),
            _ => None,
        },
        TypeRef::Array(inner) => returned_class(inner),
        TypeRef::Union(members) => {
            let named: Vec<&str> = members.iter().filter_map(returned_class).collect();
            match named.as_slice() {
                [one] => Some(one),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A TypeORM entity or a Mongoose schema class.
fn is_persisted_model(index: &ProjectIndex, file: FileId, class: &ClassFact) -> bool {
    class.decorators.iter().any(|d| {
        index.is_export_of(file, &d.callee, "typeorm", "Entity")
            || index.is_export_of(file, &d.callee, "@nestjs/mongoose", "Schema")
    })
}

/// The first column of the class or its bases that holds a credential and is serialized; `None`
/// when there is none, or when the class or a base decides its serialization itself (`toJSON`)
/// or cannot be read.
fn leaked_column<'i>(
    index: &'i ProjectIndex,
    file: FileId,
    class: &'i ClassFact,
) -> Option<&'i str> {
    let chain = entity_chain(index, file, class)?;
    if chain
        .iter()
        .any(|(_, class)| class.methods.iter().any(|m| m.name == "toJSON"))
    {
        return None;
    }
    chain.into_iter().find_map(|(file, class)| {
        class
            .properties
            .iter()
            .find(|p| holds_credential(&p.name) && serialized_column(index, file, p))
            .map(|p| p.name.as_str())
    })
}

/// A property name that holds a credential: `password`, `passwordHash`, `refreshToken`,
/// `tokenHash`, `apiKey`, `secret`, and the bare `hash` and `salt` of a user. A digest of other
/// data (`fileHash`, `contentHash`) is not one.
fn holds_credential(name: &str) -> bool {
    let lower = name.to_ascii_lowercase().replace('_', "");
    ["password", "secret", "apikey"]
        .iter()
        .any(|word| lower.contains(word))
        || lower.ends_with("token")
        || lower.ends_with("tokenhash")
        || matches!(lower.as_str(), "hash" | "salt")
}

/// A column (TypeORM `@Column()`, Mongoose `@Prop()`) that queries load and serialization keeps:
/// no `select: false`, no `@Exclude()`.
fn serialized_column(index: &ProjectIndex, file: FileId, property: &PropertyFact) -> bool {
    let mut column = false;
    for decorator in &property.decorators {
        if index.is_export_of(file, &decorator.callee, "class-transformer", "Exclude") {
            return false;
        }
        let is_column = index.is_export_of(file, &decorator.callee, "typeorm", "Column")
            || index.is_export_of(file, &decorator.callee, "@nestjs/mongoose", "Prop");
        if is_column {
            let not_selected = decorator
                .args
                .iter()
                .any(|a| matches!(a.get("select"), Some(Value::Bool(false))));
            // Options the engine cannot read may say `select: false`.
            let unreadable = decorator.args.iter().any(|a| {
                matches!(
                    a,
                    Value::Object { open: true, .. } | Value::Ident(_) | Value::Unknown
                )
            });
            if not_selected || unreadable {
                return false;
            }
            column = true;
        }
    }
    column
}
