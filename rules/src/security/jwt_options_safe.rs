use std::collections::{BTreeMap, HashMap};

use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::apps::{classify_guard, routes_of, GuardKind, Served};
use nestlint_engine::facts::{range_of, Value};
use nestlint_engine::nest::Coverage;
use nestlint_engine::syntax::nest::method_params;
use nestlint_engine::syntax::{
    call_function, named_children, text, unwrap_expression, value_declared_before, Field, Node,
    NodeExt,
};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, Scope,
};

use crate::guard_scope::{calls_project_code, Bindings};
use nestlint_syntax::Name;

use crate::code::{
    call_arguments, call_callee, enclosing_method, is_true, literal_string, method_name,
    object_value, pair_key_among,
};

pub struct JwtOptionsSafe;

static META: RuleMeta = RuleMeta {
    id: "jwt-options-safe",
    category: Category::Security,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "JWT verification checks expiry and never accepts the `none` algorithm, and guards verify the tokens they decide on",
    docs: r#"## What it does
In a file that imports `passport-jwt`, `@nestjs/jwt` or `jsonwebtoken`, reports:
- `ignoreExpiration: true` in the options of a Passport JWT strategy (an object with
  `jwtFromRequest`);
- `algorithms` listing `'none'` in any options object;
- tokens that never expire: a `JwtModule.register(...)`/`registerAsync(...)` whose options set
  no `signOptions.expiresIn`, in a project where `this.jwtService.sign(...)`/`signAsync(...)` is
  called (on a constructor parameter typed `JwtService`) with neither an `expiresIn` option nor
  an `exp` in its payload (an object written in
  place or a `const` of the block). Each registration is reported;
- a guard that decides on a token it only decodes (`jwt.decode(token)`,
  `this.jwtService.decode(token)` in a class with `canActivate` that calls no `verify...`), where
  `@UseGuards(...)` binds it to a route that no other guard checks: no other guard of the route,
  its controller or a base class, no global guard and no authenticating middleware of an
  application serving it. The finding names the routes;
- a password signed into a token: a `password` key, or a value read from one
  (`pwd: user.password`), in the payload of `jwtService.sign(...)` or `jwt.sign(...)` (an object
  written in place or a `const` of the block).

## Why is this bad?
With `ignoreExpiration: true`, or without `expiresIn` when it is signed, a token is valid for ever: a token that leaked once (a log, a
browser history, a former employee) signs in until the secret is rotated. The `none` algorithm
means "not signed": anyone can write a token the server accepts. So does a guard that only
`decode()`s: decoding reads the claims without checking the signature.

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
- for `decode()`: guards that extend another class, call project code (a service they inject,
  a function of their file or one they import: it may verify for them), or are global (they
  may act on some routes only, after the routes' own guards verified); routes with a guard,
  middleware or application the rule cannot read; `decode()` outside guards (middleware that
  picks a tenant to cache, services reading claims of a token verified before);
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
        check_decoding_guards(index, ctx);
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if node.kind_name() == "call_expression" {
            check_sign(node, ctx);
            check_token_read(node, ctx);
            check_payload_password(node, ctx);
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

/// What the project pass needs of a file (one type: stashes are read back by type).
#[derive(serde::Serialize, serde::Deserialize)]
enum Stashed {
    Sign(SignsWithDefaults),
    /// A class's method reading a JWT: a `decode(...)` (where it is), or a verification (`None`).
    TokenRead {
        class: String,
        decode: Option<TextRange>,
    },
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
    ctx.stash(Stashed::Sign(SignsWithDefaults {
        method: method_name(method, ctx.source).to_owned(),
    }));
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
        .stashed::<Stashed>(META.id)
        .filter(|(file, _)| !index.file(*file).is_test)
        .filter_map(|(file, stashed)| match stashed {
            Stashed::Sign(sign) => Some((file, sign)),
            Stashed::TokenRead { .. } => None,
        })
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

/// Reports a password signed into a token: a `password` key (or a value read from one) in the
/// payload of `jwtService.sign(...)`/`jwt.sign(...)`, written in place or as a `const` before it.
fn check_payload_password(call: Node<'_>, ctx: &mut FileContext<'_, '_>) {
    if !matches!(ctx.call_name(call), Some("sign" | "signAsync")) {
        return;
    }
    if !called_on_jwt(call, ctx) {
        return;
    }
    let Some(&payload) = call_arguments(call).first() else {
        return;
    };
    let Some(payload) = payload_object(call, payload, ctx.source) else {
        return;
    };
    // `password`, `userPassword`, `passwordHash`, `pwd`; not `passwordChangedAt`, a claim that
    // retires tokens signed before a password change.
    let says_password = |node: Node<'_>| {
        let name: String = text(node, ctx.source)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        name.ends_with("password")
            || name.ends_with("passwordhash")
            || matches!(name.as_str(), "pwd" | "passwd" | "pass")
    };
    let carried = named_children(payload).find(|entry| match entry.kind_name() {
        "shorthand_property_identifier" => says_password(*entry),
        "pair" => {
            entry.field(Field::Key).is_some_and(says_password)
                || entry
                    .field(Field::Value)
                    .map(unwrap_expression)
                    .filter(|v| v.kind_name() == "member_expression")
                    .and_then(|v| v.field(Field::Property))
                    .is_some_and(says_password)
        }
        _ => false,
    });
    if let Some(entry) = carried {
        ctx.report(
            range_of(entry),
            "the token's payload carries a password: anyone holding the token can read it",
        )
        .note("a JWT is signed, not encrypted: its payload is base64 that any client, proxy or log can decode")
        .help("sign only what identifies the caller (`sub: user.id`) and the claims guards need");
    }
}

/// A call on a JWT library's object (`jwt.decode`, `this.jwtService.sign`, `jsonwebtoken.sign`)
/// in a file that imports `jsonwebtoken` or `@nestjs/jwt`.
fn called_on_jwt(call: Node<'_>, ctx: &FileContext<'_, '_>) -> bool {
    let Some(object) = call_callee(call, ctx.source).and_then(|c| c.object) else {
        return false;
    };
    let on_jwt = object.to_ascii_lowercase().contains("jwt")
        || ctx
            .imports
            .get(object)
            .is_some_and(|b| b.source == "jsonwebtoken");
    on_jwt
        && ctx
            .imports
            .iter()
            .any(|b| matches!(b.source.as_str(), "jsonwebtoken" | "@nestjs/jwt"))
}

/// Stashes a JWT read in a class's method: `decode(...)` on a JWT library's object
/// (`jwt.decode(token)`, `this.jwtService.decode(token)`), or any `verify...(...)` call.
fn check_token_read(call: Node<'_>, ctx: &mut FileContext<'_, '_>) {
    let Some(method) = ctx.call_name(call) else {
        return;
    };
    let decodes = method == "decode";
    if !decodes && !method.starts_with("verify") {
        return;
    }
    if decodes && !called_on_jwt(call, ctx) {
        return;
    }
    let Some(class) = enclosing_method(call).and_then(|(_, class)| class.name_node()) else {
        return;
    };
    ctx.stash(Stashed::TokenRead {
        class: text(class, ctx.source).to_owned(),
        decode: decodes.then(|| range_of(call)),
    });
}

/// Guards that decide on a token they only `decode()`: reported where they are the only check
/// of the caller on some route, as `@UseGuards(...)` binds them there.
fn check_decoding_guards(index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
    let mut reads: HashMap<(FileId, Name), (Vec<TextRange>, bool)> = HashMap::new();
    for (file, stashed) in index.stashed::<Stashed>(META.id) {
        if let Stashed::TokenRead { class, decode } = stashed {
            let entry = reads.entry((file, Name::from(class.as_str()))).or_default();
            match decode {
                Some(range) => entry.0.push(range),
                None => entry.1 = true,
            }
        }
    }
    // A guard of its own (nothing inherited), deciding in `canActivate`, that verifies nothing
    // and calls no project code that could verify for it.
    let deciding: HashMap<(FileId, Name), TextRange> = reads
        .into_iter()
        .filter(|((file, name), (decodes, verifies))| {
            !decodes.is_empty()
                && !verifies
                && !index.file(*file).is_test
                && index.file(*file).facts.class(name).is_some_and(|class| {
                    class.extends.is_none()
                        && class.methods.iter().any(|m| m.name == "canActivate")
                        && !calls_project_code(index, *file, class)
                })
        })
        .filter_map(|(key, (decodes, _))| {
            let first = decodes.into_iter().min_by_key(|r| r.start)?;
            Some((key, first))
        })
        .collect();
    if deciding.is_empty() {
        return;
    }
    let applications = index.applications();
    let controller_modules = index.controller_modules();
    let mut bindings = Bindings::new(index);
    let mut open: BTreeMap<(FileId, Name), Vec<String>> = BTreeMap::new();
    for (key, controller) in index.controllers() {
        if index.file(key.file).is_test {
            continue;
        }
        let handlers = index.route_handlers(key.file, controller);
        if handlers.is_empty() {
            continue;
        }
        let modules = controller_modules.get(&key).map_or(&[][..], Vec::as_slice);
        let Served::By(apps) = applications.serving(index, key.file, modules) else {
            continue;
        };
        let class_bound = bindings.class_guards(key.file, controller);
        for handler in handlers {
            let mut bound = class_bound.clone();
            bindings.decorator_guards(key.file, &handler.decorators, &mut bound);
            if bound.unknown {
                continue;
            }
            let mut decoding = None;
            let mut other_check = false;
            for (file, guard) in &bound.guards {
                match deciding_guard(index, *file, guard, &deciding) {
                    Some(found) => decoding = Some(found),
                    None => other_check |= classify_guard(index, *file, guard) != GuardKind::Other,
                }
            }
            let Some(decoding) = decoding else {
                continue;
            };
            let checked_by_app = apps.iter().any(|app| {
                app.implicit
                    || app.unknown_guard
                    || app.guards.iter().any(|(file, guard)| {
                        classify_guard(index, *file, guard) != GuardKind::Other
                    })
                    || match routes_of(index, key.file, controller, handler) {
                        Some(routes) => routes.iter().any(|route| {
                            app.middleware_protection(index, key, route) != Coverage::Absent
                        }),
                        None => !app.middleware.is_empty() || !app.global_middleware.is_empty(),
                    }
            });
            if other_check || checked_by_app {
                continue;
            }
            open.entry(decoding)
                .or_default()
                .push(format!("`{}.{}()`", controller.name, handler.name));
        }
    }
    for ((file, name), routes) in open {
        let Some(range) = deciding.get(&(file, name.clone())) else {
            continue;
        };
        if !index.file(file).is_target {
            continue;
        }
        let shown: Vec<&str> = routes.iter().take(3).map(String::as_str).collect();
        let more = match routes.len().saturating_sub(shown.len()) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        let count = match routes.len() {
            1 => "1 route".to_owned(),
            n => format!("{n} routes"),
        };
        ctx.report(
            index,
            file,
            *range,
            format!(
                "`{name}` decides on a token it only decodes, and no other guard verifies it on {count} ({}{more})",
                shown.join(", ")
            ),
        )
        .note("`decode()` does not check the signature: anyone can write a token with any claims, and this guard lets it through")
        .help("verify it instead (`await this.jwtService.verifyAsync(token)`, `jwt.verify(token, secret)`), or bind a guard that verifies the token (`AuthGuard('jwt')`) with it");
    }
}

/// The deciding guard `guard` is, written as its class (`TokenGuard`, `new TokenGuard()`).
fn deciding_guard(
    index: &ProjectIndex,
    file: FileId,
    guard: &Value,
    deciding: &HashMap<(FileId, Name), TextRange>,
) -> Option<(FileId, Name)> {
    let name = match guard {
        Value::Ident(name) => name,
        Value::New { class, .. } if class.object.is_none() => &class.name,
        _ => return None,
    };
    let (class_file, class) = index.class(&index.resolve(file, name))?;
    let key = (class_file, class.name.clone());
    deciding.contains_key(&key).then_some(key)
}
