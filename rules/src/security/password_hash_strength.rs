use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{text, unwrap_expression, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_arguments, call_callee, imported_callee, literal_string, object_value};

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
- `argon2.hash(password, options)` choosing `argon2i` or `argon2d`, or a `memoryCost` and
  `timeCost` below every argon2id configuration OWASP lists (19 MiB with 2 passes, 12 MiB
  with 3, 9 MiB with 4, 7 MiB with 5, 46 MiB with 1); a missing one counts as node-argon2's
  default (64 MiB, 3 passes);
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
    if package == "argon2" && name == "hash" {
        check_argon2(call, ctx);
        return;
    }
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

/// The (memory in KiB, passes) pairs OWASP lists for argon2id, each as strong as the others.
const ARGON2_MINIMUMS: &[(u32, u32)] = &[
    (47_104, 1),
    (19_456, 2),
    (12_288, 3),
    (9_216, 4),
    (7_168, 5),
];

/// node-argon2's defaults: argon2id, 64 MiB, 3 passes.
const ARGON2_DEFAULTS: (u32, u32) = (65_536, 3);

/// `argon2.hash(password, { type, memoryCost, timeCost })` with argon2i or argon2d, or a memory
/// and pass count below every configuration OWASP lists.
fn check_argon2(call: Node<'_>, ctx: &mut FileContext<'_, '_>) {
    let arguments = call_arguments(call);
    let Some(options) = arguments.get(1).map(|o| unwrap_expression(*o)) else {
        return;
    };
    if options.kind_name() != "object" {
        return;
    }
    let (kind, spread) = object_value(options, "type", ctx.source);
    if spread {
        return;
    }
    if let Some(kind) = kind.map(unwrap_expression) {
        let variant = match kind.kind_name() {
            "member_expression" => kind.field(Field::Property).map(|p| text(p, ctx.source)),
            "identifier" => Some(text(kind, ctx.source)),
            "number" => match text(kind, ctx.source) {
                "0" => Some("argon2d"),
                "1" => Some("argon2i"),
                _ => None,
            },
            _ => None,
        };
        if let Some(variant @ ("argon2i" | "argon2d")) = variant {
            ctx.report(
                range_of(kind),
                format!("argon2 hashing with `{variant}`: OWASP asks for argon2id"),
            )
            .note("argon2d leaks through side channels and argon2i resists GPU cracking less; argon2id combines both defences")
            .help("remove `type` (node-argon2 defaults to argon2id) or set `type: argon2.argon2id`");
        }
    }
    let memory = object_value(options, "memoryCost", ctx.source).0;
    let passes = object_value(options, "timeCost", ctx.source).0;
    if memory.is_none() && passes.is_none() {
        return;
    }
    let read = |node: Option<Node<'_>>, default: u32| match node {
        None => Some(default),
        Some(node) => number_in(node, ctx),
    };
    let (Some(memory_kib), Some(pass_count)) = (
        read(memory, ARGON2_DEFAULTS.0),
        read(passes, ARGON2_DEFAULTS.1),
    ) else {
        return;
    };
    let strong_enough = ARGON2_MINIMUMS
        .iter()
        .any(|&(m, t)| memory_kib >= m && pass_count >= t);
    if strong_enough {
        return;
    }
    let Some(at) = memory.or(passes) else {
        return;
    };
    ctx.report(
        range_of(at),
        format!("argon2 with {memory_kib} KiB and {pass_count} pass(es) is below every configuration OWASP lists"),
    )
    .note("OWASP's weakest: 19 MiB with 2 passes, or 7 MiB with 5, or 46 MiB with 1")
    .help("use node-argon2's defaults (64 MiB, 3 passes) or `memoryCost: 19456, timeCost: 2` and up");
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
