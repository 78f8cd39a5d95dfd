use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::facts::{range_of, Value};
use nestlint_engine::syntax::{string_value, text, unwrap_expression, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, ProjectContext, ProjectIndex, Rule,
    RuleMeta, Scope,
};

use crate::code::{call_arguments, call_callee, object_value, pair_key};

pub struct NoHardcodedSecrets;

static META: RuleMeta = RuleMeta {
    id: "no-hardcoded-secrets",
    category: Category::Security,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary:
        "Passwords, session secrets and API keys come from configuration, not from source code",
    docs: r#"## What it does
Reports, outside tests:
- a literal `password` (written in place, or a constant of this file or of another bound to
  one: `password: DB_PASSWORD`, `password: db.password`) in connection options (an object that also names a `host`, `username`,
  `user`, `database`, `port` or `type`: TypeORM, Mongoose, Redis, mail transports);
- a literal `secret` (in place or through a constant, the same way) given to `express-session`'s `session({ ... })`, and a literal secret given
  to `cookie-parser`'s `cookieParser(...)`;
- a string shaped like a live credential: an AWS access key id (`AKIA...`), a Stripe secret key
  (`sk_live_...`), a GitHub token (`ghp_...`, `github_pat_...`), a Slack token (`xoxb-...`), a
  Google API key (`AIza...`), a SendGrid key (`SG....`), a private key (`-----BEGIN ... PRIVATE
  KEY-----`).

JWT secrets have a rule of their own, `no-hardcoded-jwt-secret`.

## Why is this bad?
A secret in the source is in every clone, fork, build artefact and image, for ever (the history
keeps it after it is deleted). Whoever reads any of them gets the database, the sessions or the
third-party account, and rotating it means a release.

## Example
```ts,expect_diagnostic
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      host: 'db.internal',
      username: 'app',
      password: 'S3cr3t!',
      database: 'app',
    }),
  ],
})
export class AppModule {}
```

Use instead:
```ts
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      host: process.env.DB_HOST,
      username: process.env.DB_USER,
      password: process.env.DB_PASSWORD,
      database: 'app',
    }),
  ],
})
export class AppModule {}
```

## When it stays silent
- values read from the environment or configuration, empty strings, and documented placeholders
  (`AKIAIOSFODNN7EXAMPLE`, values containing `example`, `changeme`, `xxx`, `your-`);
- test files.

## References
- https://cwe.mitre.org/data/definitions/798.html
- https://docs.nestjs.com/techniques/configuration
"#,
};

const CONNECTION_KEYS: &[&str] = &["host", "username", "user", "database", "port", "type"];

/// A secret taken from an imported constant (`password: DB_PASSWORD`, `db.password`): whether
/// the constant holds a literal is known in the project pass.
#[derive(serde::Serialize, serde::Deserialize)]
struct ImportedSecret {
    range: TextRange,
    local: String,
    member: Option<String>,
    /// What the secret is, for the message (`a password written in the connection options`).
    what: String,
}

const SOURCE_NOTE: &str = "it is in every clone, build and image of the code, and in its history";

/// Where a secret's value comes from, as far as the file can tell.
enum Written {
    /// A literal, in place or through a constant of the file (named for the message).
    Literal(String, Option<String>),
    /// A constant imported from another file.
    Imported {
        local: String,
        member: Option<String>,
    },
    Other,
}

impl Rule for NoHardcodedSecrets {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["pair", "call_expression", "string"]
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        for (file, found) in index.stashed::<ImportedSecret>(META.id) {
            let indexed = index.file(file);
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            let Some((_, constant)) = index.constant(&index.resolve(file, &found.local)) else {
                continue;
            };
            // Connection options kept in a constant have their password reported there.
            if found.member.is_some()
                && CONNECTION_KEYS
                    .iter()
                    .any(|k| constant.value.get(k).is_some())
            {
                continue;
            }
            let value = match &found.member {
                Some(member) => constant.value.get(member),
                None => Some(&constant.value),
            };
            let Some(Value::String(secret)) = value else {
                continue;
            };
            if secret.is_empty() || is_placeholder(secret) {
                continue;
            }
            let shown = match &found.member {
                Some(member) => format!("{}.{member}", found.local),
                None => found.local.clone(),
            };
            ctx.report(
                index,
                file,
                found.range,
                format!("{}, through the constant `{shown}`", found.what),
            )
            .note("it is in every clone, build and image of the code, and in its history")
            .help(
                "read it from the environment or a secret store (`ConfigService`, `process.env`)",
            );
        }
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        match node.kind_name() {
            "pair" => check_password(node, ctx),
            "call_expression" => check_session(node, ctx),
            _ => check_token(node, ctx),
        }
    }
}

fn check_password(pair: Node<'_>, ctx: &mut FileContext<'_, '_>) {
    if !matches!(
        pair_key(pair, ctx.source),
        Some("password" | "pass" | "passwd")
    ) {
        return;
    }
    let Some(value) = pair.field(Field::Value).map(unwrap_expression) else {
        return;
    };
    let written = written(value, ctx);
    if matches!(written, Written::Other) {
        return;
    }
    let Some(object) = pair.parent() else {
        return;
    };
    if !CONNECTION_KEYS
        .iter()
        .any(|k| object_value(object, k, ctx.source).0.is_some())
    {
        return;
    }
    report_written(
        written,
        value,
        ("a password written in the connection options", SOURCE_NOTE),
        "read it from the environment or a secret store (`ConfigService`, `process.env.DB_PASSWORD`)",
        ctx,
    );
}

fn check_session(call: Node<'_>, ctx: &mut FileContext<'_, '_>) {
    let Some(name) = ctx.call_name(call) else {
        return;
    };
    // The names the packages' documentation imports them by.
    if !matches!(name, "session" | "expressSession" | "cookieParser") {
        return;
    }
    if !ctx
        .imports
        .get(name)
        .is_some_and(|b| matches!(b.source.as_str(), "express-session" | "cookie-parser"))
    {
        return;
    }
    let Some(callee) = call_callee(call, ctx.source) else {
        return;
    };
    if callee.object.is_some() {
        return;
    }
    let Some(binding) = ctx.imports.get(callee.name) else {
        return;
    };
    let package = binding.source.as_str();
    let arguments = call_arguments(call);
    let Some(&first) = arguments.first() else {
        return;
    };
    let (value, what) = match package {
        "express-session" => {
            let options = unwrap_expression(first);
            if options.kind_name() != "object" {
                return;
            }
            let (Some(secret), _) = object_value(options, "secret", ctx.source) else {
                return;
            };
            (secret, "the session secret")
        }
        "cookie-parser" => (unwrap_expression(first), "the cookie-signing secret"),
        _ => return,
    };
    report_written(
        written(value, ctx),
        value,
        (
            &format!("{what} is written in the source"),
            "whoever reads the code can sign session and cookie values the server trusts",
        ),
        "read it from the environment or a secret store",
        ctx,
    );
}

fn check_token(string: Node<'_>, ctx: &mut FileContext<'_, '_>) {
    let raw = text(string, ctx.source);
    if raw.len() < 20 || raw.len() > 4096 {
        return;
    }
    let Some(value) = string_value(string, ctx.source) else {
        return;
    };
    let Some(kind) = token_kind(&value) else {
        return;
    };
    if is_placeholder(&value) {
        return;
    }
    ctx.report(range_of(string), format!("a string shaped like {kind}"))
        .note("a live credential in the source is in every clone, build and image, and in the history")
        .help("revoke it, and read the new one from the environment or a secret store");
}

/// What kind of credential a string looks like, by the prefixes and lengths their issuers use.
fn token_kind(value: &str) -> Option<&'static str> {
    let alnum = |s: &str, n: usize| s.len() >= n && s.bytes().all(|b| b.is_ascii_alphanumeric());
    let upper_digits = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    };
    if let Some(rest) = value.strip_prefix("AKIA") {
        if rest.len() == 16 && upper_digits(rest) {
            return Some("an AWS access key id");
        }
    }
    if let Some(rest) = value
        .strip_prefix("sk_live_")
        .or_else(|| value.strip_prefix("rk_live_"))
    {
        if alnum(rest, 20) {
            return Some("a Stripe live secret key");
        }
    }
    if let Some(rest) = value
        .strip_prefix("ghp_")
        .or_else(|| value.strip_prefix("gho_"))
    {
        if rest.len() == 36 && alnum(rest, 36) {
            return Some("a GitHub token");
        }
    }
    if value.starts_with("github_pat_") && value.len() >= 80 {
        return Some("a GitHub token");
    }
    if ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"]
        .iter()
        .any(|p| value.starts_with(p))
        && value.len() >= 30
        && !value.contains(' ')
    {
        return Some("a Slack token");
    }
    if let Some(rest) = value.strip_prefix("AIza") {
        if rest.len() == 35
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Some("a Google API key");
        }
    }
    if let Some(rest) = value.strip_prefix("SG.") {
        let parts: Vec<&str> = rest.split('.').collect();
        if parts.len() == 2 && parts[0].len() == 22 && parts[1].len() == 43 {
            return Some("a SendGrid API key");
        }
    }
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY-----") && value.len() > 100 {
        return Some("a private key");
    }
    None
}

/// Where `value` comes from: a literal in place, a constant of the file bound to one (or an
/// object constant's member: `db.password`), or an imported constant.
fn written(value: Node<'_>, ctx: &FileContext<'_, '_>) -> Written {
    let value = unwrap_expression(value);
    if let Some(secret) = literal(value, ctx.source) {
        return Written::Literal(secret, None);
    }
    let (local, member) = match value.kind_name() {
        "identifier" => (text(value, ctx.source), None),
        "member_expression" => {
            let object = value.field(Field::Object).map(unwrap_expression);
            let property = value.field(Field::Property);
            match (object, property) {
                (Some(object), Some(property)) if object.kind_name() == "identifier" => {
                    (text(object, ctx.source), Some(text(property, ctx.source)))
                }
                _ => return Written::Other,
            }
        }
        _ => return Written::Other,
    };
    if ctx.imports.get(local).is_some() {
        return Written::Imported {
            local: local.to_owned(),
            member: member.map(str::to_owned),
        };
    }
    let Some(initializer) = ctx.top_level_const(local).map(unwrap_expression) else {
        return Written::Other;
    };
    let bound = match member {
        None => Some(initializer),
        // An object that looks like connection options has its password reported where it is
        // written.
        Some(_)
            if CONNECTION_KEYS
                .iter()
                .any(|k| object_value(initializer, k, ctx.source).0.is_some()) =>
        {
            None
        }
        Some(member) if initializer.kind_name() == "object" => {
            match object_value(initializer, member, ctx.source) {
                (Some(bound), false) => Some(unwrap_expression(bound)),
                _ => None,
            }
        }
        Some(_) => None,
    };
    let shown = match member {
        Some(member) => format!("{local}.{member}"),
        None => local.to_owned(),
    };
    match bound.and_then(|b| literal(b, ctx.source)) {
        Some(secret) => Written::Literal(secret, Some(shown)),
        None => Written::Other,
    }
}

/// Reports a literal (in place or through a constant of the file), or stashes an imported
/// constant for the project pass.
fn report_written(
    written: Written,
    value: Node<'_>,
    (what, note): (&str, &str),
    help: &str,
    ctx: &mut FileContext<'_, '_>,
) {
    match written {
        Written::Literal(secret, constant) => {
            if is_placeholder(&secret) {
                return;
            }
            let message = match constant {
                Some(constant) => format!("{what}, through the constant `{constant}`"),
                None => what.to_owned(),
            };
            ctx.report(range_of(value), message)
                .note(note.to_owned())
                .help(help.to_owned());
        }
        Written::Imported { local, member } => ctx.stash(ImportedSecret {
            range: range_of(value),
            local,
            member,
            what: what.to_owned(),
        }),
        Written::Other => {}
    }
}

/// A string literal or a template without substitutions, not empty.
fn literal(value: Node<'_>, source: &str) -> Option<String> {
    crate::code::literal_string(value, source).filter(|s| !s.is_empty())
}

/// Documented examples and obvious placeholders.
fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    [
        "example",
        "changeme",
        "change-me",
        "change_me",
        "xxx",
        "your-",
        "your_",
        "<",
        "placeholder",
        "dummy",
        "fake",
        "test",
    ]
    .iter()
    .any(|word| lower.contains(word))
}
