use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{text, unwrap_expression, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_arguments, call_callee, imported_callee, literal_string};

pub struct PasswordHashStrength;

static META: RuleMeta = RuleMeta {
    id: "password-hash-strength",
    category: Category::Security,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "Passwords are hashed with bcrypt's cost of at least 10, never with a plain digest",
    docs: r#"## What it does
Reports:
- `bcrypt`/`bcryptjs` `hash`, `hashSync`, `genSalt` or `genSaltSync` given a cost below 10 (a
  number written in place or a constant of the file);
- a password hashed with a plain digest: `createHash('md5' | 'sha1' | 'sha256' | ...)` from
  `crypto` whose `.update(...)` is given a value named like a password (`password`,
  `dto.newPassword`, `passwd`).

## Why is this bad?
A password hash must be slow so that a leaked table cannot be tried against billions of guesses
per second. bcrypt's cost doubles the work with each step: 10 is the floor OWASP gives, and
below it a GPU gets through common passwords in minutes. A plain digest has no cost and no salt:
leaked MD5 or SHA-1 password hashes are looked up in precomputed tables.

## Example
```ts,expect_diagnostic
import * as bcrypt from 'bcrypt';

export async function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, 8);
}
```

Use instead:
```ts
import * as bcrypt from 'bcrypt';

export async function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, 12);
}
```

## When it stays silent
- a cost read from configuration or computed; digests of values not named like passwords
  (checksums, cache keys, ETags); test files.

## References
- https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
- https://docs.nestjs.com/security/encryption-and-hashing
"#,
};

const MINIMUM_COST: u32 = 10;

impl Rule for PasswordHashStrength {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["call_expression"]
    }

    fn check_node<'t>(&self, call: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if !matches!(
            ctx.call_name(call),
            Some("hash" | "hashSync" | "genSalt" | "genSaltSync" | "update")
        ) {
            return;
        }
        let Some(callee) = call_callee(call, ctx.source) else {
            return;
        };
        match callee.name {
            "hash" | "hashSync" | "genSalt" | "genSaltSync" => check_cost(call, &callee, ctx),
            "update" if callee.object.is_some() => check_digest(call, ctx),
            _ => {}
        }
    }
}

fn check_cost(
    call: Node<'_>,
    callee: &nestlint_engine::syntax::nest::Callee<'_>,
    ctx: &mut FileContext<'_, '_>,
) {
    let Some((package, name)) = imported_callee(ctx, callee) else {
        return;
    };
    if !matches!(package, "bcrypt" | "bcryptjs") {
        return;
    }
    let arguments = call_arguments(call);
    let cost = if name.starts_with("genSalt") {
        arguments.first()
    } else {
        arguments.get(1)
    };
    let Some(&cost) = cost else {
        return;
    };
    let Some(rounds) = number_in(cost, ctx) else {
        return;
    };
    if rounds >= MINIMUM_COST {
        return;
    }
    ctx.report(
        range_of(cost),
        format!(
            "bcrypt's cost of {rounds} is below {MINIMUM_COST}: leaked hashes are cheap to crack"
        ),
    )
    .note("each step of the cost doubles the work of every guess")
    .help("use a cost of at least 10 (12 where logins can afford a quarter of a second)");
}

/// A small number written in place or bound to a top-level constant of the file.
fn number_in(node: Node<'_>, ctx: &FileContext<'_, '_>) -> Option<u32> {
    let node = unwrap_expression(node);
    let node = match node.kind_name() {
        "identifier" => ctx.top_level_const(text(node, ctx.source))?,
        _ => node,
    };
    if node.kind_name() != "number" {
        return None;
    }
    text(node, ctx.source).parse().ok()
}

/// `createHash('md5').update(password)`.
fn check_digest(call: Node<'_>, ctx: &mut FileContext<'_, '_>) {
    let Some(object) = call
        .field(Field::Function)
        .and_then(|f| f.field(Field::Object))
        .map(unwrap_expression)
    else {
        return;
    };
    if object.kind_name() != "call_expression" {
        return;
    }
    let Some(create) = call_callee(object, ctx.source) else {
        return;
    };
    if create.name != "createHash"
        || !matches!(
            imported_callee(ctx, &create),
            Some(("crypto" | "node:crypto", "createHash"))
        )
    {
        return;
    }
    let Some(algorithm) = call_arguments(object)
        .first()
        .and_then(|a| literal_string(*a, ctx.source))
    else {
        return;
    };
    let arguments = call_arguments(call);
    let Some(&input) = arguments.first() else {
        return;
    };
    if !names_a_password(input, ctx.source) {
        return;
    }
    ctx.report(
        range_of(object),
        format!("a password hashed with a plain `{algorithm}` digest: no salt, no cost"),
    )
    .note("plain digests of passwords are reversed with precomputed tables and fast guessing")
    .help("hash passwords with bcrypt (cost 10 or more), scrypt or argon2id");
}

/// An identifier or the last property of a member expression named like a password.
fn names_a_password(node: Node<'_>, source: &str) -> bool {
    let node = unwrap_expression(node);
    let name = match node.kind_name() {
        "identifier" => text(node, source),
        "member_expression" => node.field(Field::Property).map_or("", |p| text(p, source)),
        _ => return false,
    };
    let lower = name.to_ascii_lowercase();
    (lower.contains("password") || lower.contains("passwd") || lower == "pwd")
        && !lower.contains("hash")
        && !lower.contains("token")
}
