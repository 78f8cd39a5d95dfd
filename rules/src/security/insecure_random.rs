use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{text, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_callee, is_global};

pub struct InsecureRandom;

static META: RuleMeta = RuleMeta {
    id: "insecure-random",
    category: Category::Security,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "Tokens, codes and secrets come from `crypto`, not from `Math.random()`",
    docs: r#"## What it does
Reports `Math.random()` in a function, method, variable or property named like a secret value: a
token, an OTP or verification code, a password, a secret, a salt, a nonce, an API key, a reset
or invite code, a session id.

## Why is this bad?
`Math.random()` is not a cryptographic generator: its output is predictable from a few earlier
values (V8's xorshift128+ state is recovered from a handful of outputs). A password-reset token
or a one-time code built from it can be guessed, and with it the account.

## Example
```ts,expect_diagnostic
export function generateOtp(): string {
  return Math.floor(100000 + Math.random() * 900000).toString();
}
```

Use instead:
```ts
import { randomInt } from 'crypto';

export function generateOtp(): string {
  return randomInt(100000, 1000000).toString();
}
```

## When it stays silent
- `Math.random()` in code not named for a secret (jitter, sampling, colours, shuffles, test data);
- a local `Math`; test files.

## References
- https://cwe.mitre.org/data/definitions/338.html
- https://nodejs.org/api/crypto.html#cryptorandomintmin-max-callback
"#,
};

/// Words that, in the name of the function or the variable the value goes to, say it is secret.
const SECRET_WORDS: &[&str] = &[
    "token",
    "otp",
    "password",
    "passwd",
    "secret",
    "salt",
    "nonce",
    "apikey",
    "api_key",
    "resetcode",
    "reset_code",
    "verificationcode",
    "verification_code",
    "verifycode",
    "invitecode",
    "invite_code",
    "sessionid",
    "session_id",
    "csrf",
];

/// How many levels up the name of the value is looked for.
const CLIMB_LIMIT: usize = 24;

impl Rule for InsecureRandom {
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
        if ctx.call_name(call) != Some("random") {
            return;
        }
        if call_callee(call, ctx.source).is_none_or(|c| c.object != Some("Math"))
            || !is_global(ctx, "Math")
        {
            return;
        }
        let Some(name) = secret_name(call, ctx.source) else {
            return;
        };
        ctx.report(
            range_of(call),
            format!("`Math.random()` makes `{name}`: its values can be predicted"),
        )
        .note("`Math.random()` is not a cryptographic generator; a few outputs reveal the next ones")
        .help("use `crypto.randomInt(...)`, `crypto.randomBytes(n).toString('hex')` or `crypto.randomUUID()`");
    }
}

/// The name of the variable, property, function or method the value is made for, when it names
/// a secret.
fn secret_name<'s>(call: Node<'_>, source: &'s str) -> Option<&'s str> {
    let mut current = call;
    for _ in 0..CLIMB_LIMIT {
        let parent = current.parent()?;
        let name = match parent.kind_name() {
            "variable_declarator" => parent.field(Field::Name),
            "pair" => parent.field(Field::Key),
            "public_field_definition" | "property_signature" => parent.field(Field::Name),
            "assignment_expression" => parent.field(Field::Left),
            "method_definition" | "function_declaration" => parent.field(Field::Name),
            _ => None,
        };
        if let Some(name) = name {
            let written = text(name, source);
            let last = written.rsplit('.').next().unwrap_or(written);
            let lower = last.to_ascii_lowercase();
            if SECRET_WORDS.iter().any(|w| lower.contains(w)) {
                return Some(last);
            }
            // The nearest name decides for a variable or a property; a function's name is
            // looked at only when nothing nearer was named.
            if matches!(
                parent.kind_name(),
                "variable_declarator"
                    | "pair"
                    | "public_field_definition"
                    | "assignment_expression"
            ) {
                return None;
            }
        }
        if matches!(
            parent.kind_name(),
            "method_definition" | "function_declaration" | "class_body" | "program"
        ) {
            return None;
        }
        current = parent;
    }
    None
}
