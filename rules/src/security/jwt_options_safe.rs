use nestlint_diagnostics::Severity;
use nestlint_engine::facts::{range_of, Value};
use nestlint_engine::syntax::nest::method_params;
use nestlint_engine::syntax::{
    call_function, named_children, text, unwrap_expression, value_declared_before, Field, Node,
    NodeExt,
};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, Scope,
};

use crate::code::{
    call_arguments, enclosing_method, is_true, literal_string, method_name, object_value,
    pair_key_among,
};

pub struct JwtOptionsSafe;

static META: RuleMeta = RuleMeta {
    id: "jwt-options-safe",
    category: Category::Security,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "JWT verification checks expiry and never accepts the `none` algorithm",
    docs: r#"## What it does
In a file that imports `passport-jwt`, `@nestjs/jwt` or `jsonwebtoken`, reports:
- `ignoreExpiration: true` in the options of a Passport JWT strategy (an object with
  `jwtFromRequest`);
- `algorithms` listing `'none'` in any options object;
- tokens that never expire: a `JwtModule.register(...)`/`registerAsync(...)` whose options set
  no `signOptions.expiresIn`, in a project where `this.jwtService.sign(...)`/`signAsync(...)` is
  called (on a constructor parameter typed `JwtService`) with neither an `expiresIn` option nor
  an `exp` in its payload (an object written in
  place or a `const` of the block). Each registration is reported.

## Why is this bad?
With `ignoreExpiration: true`, or without `expiresIn` when it is signed, a token is valid for ever: a token that leaked once (a log, a
browser history, a former employee) signs in until the secret is rotated. The `none` algorithm
means "not signed": anyone can write a token the server accepts.

## Example
```ts,expect_diagnostic
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor() {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      ignoreExpiration: true,
      secretOrKey: process.env.JWT_SECRET,
    });
  }
}
```

Use instead:
```ts
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor() {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      ignoreExpiration: false,
      secretOrKey: process.env.JWT_SECRET,
    });
  }
}
```

## When it stays silent
- `ignoreExpiration` in other objects (a refresh endpoint reading an expired access token with
  `jwtService.verify(token, { ignoreExpiration: true })` on purpose); values not written in
  place; test files;
- for expiry: a project where some `JwtModule` registration cannot be read (options from a
  function, a registration outside module metadata) or sets `expiresIn`, and `sign()` calls
  whose payload is built elsewhere (it may carry `exp`).

## References
- https://github.com/mikenicholson/passport-jwt#configure-strategy
- https://cheatsheetseries.owasp.org/cheatsheets/JSON_Web_Token_for_Java_Cheat_Sheet.html
"#,
};

const JWT_PACKAGES: &[&str] = &["passport-jwt", "@nestjs/jwt", "jsonwebtoken"];

impl Rule for JwtOptionsSafe {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["pair", "call_expression"]
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        check_expiry(index, ctx);
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if node.kind_name() == "call_expression" {
            check_sign(node, ctx);
            return;
        }
        let pair = node;
        let Some(key) = pair_key_among(pair, ctx, &["ignoreExpiration", "algorithms"]) else {
            return;
        };
        if !ctx
            .imports
            .iter()
            .any(|b| JWT_PACKAGES.contains(&b.source.as_str()))
        {
            return;
        }
        let Some(value) = pair.field(Field::Value).map(unwrap_expression) else {
            return;
        };
        if key == "ignoreExpiration" {
            if !is_true(value) {
                return;
            }
            let Some(object) = pair.parent() else {
                return;
            };
            if object_value(object, "jwtFromRequest", ctx.source)
                .0
                .is_none()
            {
                return;
            }
            ctx.report(
                range_of(pair),
                "`ignoreExpiration: true`: the strategy accepts expired tokens",
            )
            .note("a token that leaked once signs in until the secret is rotated")
            .help("remove it (expiry is checked by default)");
            return;
        }
        if value.kind_name() != "array" {
            return;
        }
        let none = named_children(value).find(|item| {
            literal_string(*item, ctx.source).is_some_and(|s| s.eq_ignore_ascii_case("none"))
        });
        if let Some(none) = none {
            ctx.report(
                range_of(none),
                "the `none` algorithm accepts tokens that are not signed",
            )
            .note("anyone can write a token with `\"alg\": \"none\"` and any claims")
            .help("list only the algorithm the tokens are signed with (`['HS256']`, `['RS256']`)");
        }
    }
}

/// A `jwtService.sign(...)` whose token expires only if the module's `signOptions` say so: no
/// `expiresIn` among its options, no `exp` in a payload the engine can read. Stashed with the
/// method it is in, for the message.
#[derive(serde::Serialize, serde::Deserialize)]
struct SignsWithDefaults {
    method: String,
}

fn check_sign(call: Node<'_>, ctx: &mut FileContext<'_, '_>) {
    if !matches!(ctx.call_name(call), Some("sign" | "signAsync")) {
        return;
    }
    // `this.jwtService.sign(...)`, the property a constructor parameter typed `JwtService`.
    let Some(function) = call_function(call) else {
        return;
    };
    let Some(service) = function.field(Field::Object).map(unwrap_expression) else {
        return;
    };
    let on_this = service.kind_name() == "member_expression"
        && service
            .field(Field::Object)
            .is_some_and(|o| o.kind_name() == "this");
    if !on_this {
        return;
    }
    let Some(property) = service.field(Field::Property).map(|p| text(p, ctx.source)) else {
        return;
    };
    let Some((method, class)) = enclosing_method(call) else {
        return;
    };
    let injected = class.constructor(ctx.source).is_some_and(|constructor| {
        method_params(constructor).iter().any(|param| {
            param.parts().is_parameter_property()
                && param.name(ctx.source) == property
                && param.type_node().is_some_and(|ty| {
                    ctx.imports
                        .get(text(ty, ctx.source))
                        .is_some_and(|b| b.is("@nestjs/jwt", "JwtService"))
                })
        })
    });
    if !injected {
        return;
    }
    let arguments = call_arguments(call);
    if let Some(&options) = arguments.get(1) {
        let options = unwrap_expression(options);
        if options.kind_name() != "object" {
            return;
        }
        let (expires, spread) = object_value(options, "expiresIn", ctx.source);
        if expires.is_some() || spread {
            return;
        }
    }
    let Some(&payload) = arguments.first() else {
        return;
    };
    let Some(payload) = payload_object(call, payload, ctx.source) else {
        return;
    };
    let (exp, spread) = object_value(payload, "exp", ctx.source);
    if exp.is_some() || spread {
        return;
    }
    ctx.stash(SignsWithDefaults {
        method: method_name(method, ctx.source).to_owned(),
    });
}

/// The payload as an object literal: written in place, or a `const` of the block around the
/// call bound to one before it.
fn payload_object<'t>(call: Node<'t>, payload: Node<'t>, source: &str) -> Option<Node<'t>> {
    let payload = unwrap_expression(payload);
    match payload.kind_name() {
        "object" => Some(payload),
        "identifier" => {
            let name = text(payload, source);
            // The statement holding the call, in its block.
            let mut statement = call;
            for _ in 0..8 {
                let parent = statement.parent()?;
                if parent.kind_name() == "statement_block" {
                    break;
                }
                statement = parent;
            }
            value_declared_before(statement, name, source, false)
                .filter(|v| v.kind_name() == "object")
        }
        _ => None,
    }
}

/// What a `JwtModule.register(...)`/`registerAsync(...)` says of the tokens' expiry by default.
#[derive(PartialEq)]
enum DefaultExpiry {
    Set,
    Missing,
    Unknown,
}

fn default_expiry(method: &str, arguments: &[Value]) -> DefaultExpiry {
    let options = match method {
        "register" => arguments.first(),
        "registerAsync" => match arguments.first().and_then(|o| o.get("useFactory")) {
            Some(Value::Arrow { body, .. }) => Some(body.as_ref()),
            _ => None,
        },
        _ => None,
    };
    let Some(Value::Object { open, .. }) = options else {
        return DefaultExpiry::Unknown;
    };
    match options.and_then(|o| o.get("signOptions")) {
        Some(sign @ Value::Object { open, .. }) => {
            if sign.get("expiresIn").is_some() {
                DefaultExpiry::Set
            } else if *open {
                DefaultExpiry::Unknown
            } else {
                DefaultExpiry::Missing
            }
        }
        Some(_) => DefaultExpiry::Unknown,
        None if *open => DefaultExpiry::Unknown,
        None => DefaultExpiry::Missing,
    }
}

/// Tokens signed with the defaults of a `JwtModule` that sets no expiry: each registration is
/// reported, when every registration of the project is read and none sets one.
fn check_expiry(index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
    let signs: Vec<(FileId, SignsWithDefaults)> = index
        .stashed::<SignsWithDefaults>(META.id)
        .filter(|(file, _)| !index.file(*file).is_test)
        .collect();
    let Some((sign_file, sign)) = signs.first() else {
        return;
    };
    let mut registrations = Vec::new();
    let mut files_registering = std::collections::HashSet::new();
    for (key, metadata) in index.modules() {
        let Some(Value::Array(imports)) = metadata.and_then(|m| m.get("imports")) else {
            continue;
        };
        for item in imports {
            let Value::Call { callee, args } = item else {
                continue;
            };
            let Some(object) = &callee.object else {
                continue;
            };
            if !matches!(callee.name.as_str(), "register" | "registerAsync")
                || !index
                    .resolve(key.file, object)
                    .is_external("@nestjs/jwt", "JwtModule")
            {
                continue;
            }
            files_registering.insert(key.file);
            registrations.push((key, default_expiry(&callee.name, args)));
        }
    }
    // A registration the engine cannot read (built outside the metadata, options from a
    // function) may set the expiry.
    let unread = index.files().any(|(file, indexed)| {
        !indexed.is_test
            && !files_registering.contains(&file)
            && indexed
                .facts
                .imports
                .iter()
                .any(|b| b.is("@nestjs/jwt", "JwtModule"))
    });
    if registrations.is_empty()
        || unread
        || registrations
            .iter()
            .any(|(_, expiry)| *expiry != DefaultExpiry::Missing)
    {
        return;
    }
    let signer = index.file(*sign_file).path.file_name().map_or_else(
        || String::from("a file"),
        |name| name.to_string_lossy().into_owned(),
    );
    let place = if sign.method.is_empty() {
        format!("`{signer}`")
    } else {
        format!("`{signer}` (`{}`)", sign.method)
    };
    for (key, _) in registrations {
        let indexed = index.file(key.file);
        if !indexed.is_target || indexed.is_test {
            continue;
        }
        let class = index.class_at(key);
        ctx.report(
            index,
            key.file,
            class.name_range,
            format!("`{}` registers `JwtModule` without `signOptions.expiresIn`, and {place} signs tokens with its defaults: they never expire", class.name),
        )
        .note("a token without `exp` signs in for ever: a leaked one stays valid until the secret is rotated")
        .help("add `signOptions: { expiresIn: '15m' }` (or pass `expiresIn` to each `sign()`)");
    }
}
