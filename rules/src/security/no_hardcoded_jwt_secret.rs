use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::facts::{range_of, Value};
use nestlint_engine::syntax::nest::{callee_of, ClassView};
use nestlint_engine::syntax::{
    named_children, string_value, text, unwrap_expression, Field, ImportedName, Node, NodeExt,
};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, Scope,
};

pub struct NoHardcodedJwtSecret;

static META: RuleMeta = RuleMeta {
    id: "no-hardcoded-jwt-secret",
    category: Category::Security,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "JWT signing secrets and private keys come from configuration, never from source code",
    docs: r#"## What it does
Reports a string literal, or a constant bound to one (in the same file or imported from another
project file, including a property of an exported object such as `jwtConstants.secret`), that reaches:
- `secret`, `secretOrPrivateKey` or `privateKey` of `JwtModule.register(...)`, or of the object a
  `JwtModule.registerAsync({ useFactory })` factory returns;
- the options of `JwtService.sign`, `signAsync`, `verify` or `verifyAsync`;
- the secret argument of `jsonwebtoken`'s `sign` or `verify`;
- `secretOrKey` of a Passport strategy's `super({...})`.

A literal fallback counts too: `process.env.JWT_SECRET ?? 'dev'`, `... || 'dev'`, a conditional with
a literal branch, or `config.get('JWT_SECRET', 'dev')`, also behind a name: a constant initialised
with such a fallback, a fallback to a constant (`?? DEFAULT_SECRET`, imported or not), or a field of
an exported config object (`environment.JWT_SECRET` where `JWT_SECRET: process.env.JWT_SECRET ||
'secretKey'`). A definition used as a secret in many places is reported once, at its first use,
with the number of other uses. Test code (`*.spec.ts`, `test/`, `e2e/`, `fixtures/`, ...) is not
checked.

## Why is this bad?
Anyone who can read the repository, a build artefact or a leaked image can forge tokens for any user.
A fallback is no better: when the variable is missing in production the application starts anyway,
signing tokens with a secret that is public.

## Example
```ts,expect_diagnostic
import { JwtModule } from '@nestjs/jwt';

JwtModule.register({ secret: 'super-secret', signOptions: { expiresIn: '1h' } });
```

Use instead:
```ts
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';

JwtModule.registerAsync({
  inject: [ConfigService],
  useFactory: (config: ConfigService) => ({ secret: config.getOrThrow('JWT_SECRET') }),
});
```

## References
- https://docs.nestjs.com/security/authentication#jwt-token
- https://cwe.mitre.org/data/definitions/798.html
"#,
};

/// An identifier imported from another file that reaches a secret, resolved in the project pass.
#[derive(serde::Serialize, serde::Deserialize)]
struct ImportedSecret {
    range: TextRange,
    local: String,
    member: Option<String>,
    /// It is the fallback of `process.env.X ?? IMPORTED`, not the secret itself.
    fallback: bool,
}

const SECRET_KEYS: &[&str] = &["secret", "secretOrPrivateKey", "privateKey"];

impl Rule for NoHardcodedJwtSecret {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["call_expression"]
    }

    fn check_node<'t>(&self, call: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if ctx.is_test {
            return;
        }
        // The names below, or `super(...)`: the first test, shared with the other rules.
        let named = matches!(
            ctx.call_name(call),
            Some("register" | "registerAsync" | "sign" | "signAsync" | "verify" | "verifyAsync")
        );
        if !named && call.child(0).is_none_or(|f| f.kind_name() != "super") {
            return;
        }
        let Some(function) = nestlint_engine::syntax::call_function(call) else {
            return;
        };
        // Read only for the few calls that match: most calls in a file are something else.
        let argument = |i: usize| {
            call.field(Field::Arguments)
                .and_then(|a| named_children(a).nth(i))
        };
        let source = ctx.source;
        if function.kind_name() == "super" {
            if extends_passport_strategy(call, ctx) {
                if let Some(options) = argument(0) {
                    check_options(options, &["secretOrKey"], ctx);
                }
            }
            return;
        }
        let Some(callee) = callee_of(function, source) else {
            return;
        };
        match (callee.object, callee.name) {
            (Some(object), "register") if is_import(ctx, object, "@nestjs/jwt", "JwtModule") => {
                if let Some(options) = argument(0) {
                    check_options(options, SECRET_KEYS, ctx);
                }
            }
            (Some(object), "registerAsync")
                if is_import(ctx, object, "@nestjs/jwt", "JwtModule") =>
            {
                if let Some(options) = argument(0).map(unwrap_expression) {
                    if let Some(factory) = pair_value(options, "useFactory", source) {
                        for returned in returned_objects(factory) {
                            check_options(returned, SECRET_KEYS, ctx);
                        }
                    }
                }
            }
            (Some(_), "sign" | "signAsync" | "verify" | "verifyAsync")
                if is_jwt_service(function, ctx) =>
            {
                if let Some(options) = argument(1) {
                    check_options(options, SECRET_KEYS, ctx);
                }
            }
            (object, "sign" | "verify") if is_jsonwebtoken(ctx, object, callee.name) => {
                if let Some(secret) = argument(1) {
                    check_value(secret, ctx);
                }
            }
            _ => {}
        }
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        // One finding per hard-coded definition, at its first use: a config object used in thirty
        // places has one thing to fix.
        let mut uses: Vec<SecretUse> = Vec::new();
        for (file, found) in index.stashed::<ImportedSecret>(META.id) {
            let Some((const_file, constant)) = index.constant(&index.resolve(file, &found.local))
            else {
                continue;
            };
            let value = match &found.member {
                Some(member) => constant.value.get(member),
                None => Some(&constant.value),
            };
            let literal = value.map_or(Literal::Neither, |v| literal_in(index, const_file, v, 0));
            if literal == Literal::Neither {
                continue;
            }
            let key = (const_file, constant.name.to_string(), found.member.clone());
            uses.push((file, found, key, literal));
        }
        for (position, (file, found, key, literal)) in uses.iter().enumerate() {
            if uses[..position].iter().any(|(_, _, k, _)| k == key) {
                continue;
            }
            let more = uses[position + 1..]
                .iter()
                .filter(|(_, _, k, _)| k == key)
                .count();
            let shown = match &found.member {
                Some(member) => format!("{}.{member}", found.local),
                None => found.local.clone(),
            };
            let (message, help, note) = match literal {
                Literal::Whole if found.fallback => (
                    fallback_constant_message(&shown),
                    FALLBACK_HELP,
                    FALLBACK_NOTE,
                ),
                Literal::Whole => (constant_message(&shown), CONSTANT_HELP, SOURCE_NOTE),
                _ => (falls_back_message(&shown), FALLBACK_HELP, FALLBACK_NOTE),
            };
            let note = if more == 0 {
                note.to_owned()
            } else {
                format!(
                    "{note}; the same value is used as a JWT secret in {more} more place{}, reported here once",
                    if more == 1 { "" } else { "s" }
                )
            };
            ctx.report(index, *file, found.range, message)
                .help(help)
                .note(note);
        }
    }
}

/// An imported secret's use: where, what was stashed, its definition (file, constant, member),
/// and what the definition holds.
type SecretUse = (
    FileId,
    ImportedSecret,
    (FileId, String, Option<String>),
    Literal,
);

/// What a constant holds, as far as secrets go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Literal {
    /// A string, or a constant bound to one.
    Whole,
    /// Something that falls back to a string (`process.env.X ?? 'dev'`).
    Fallback,
    Neither,
}

/// Whether `value` (written in `file`) is a hard-coded string or falls back to one, following
/// constants across files.
fn literal_in(index: &ProjectIndex, file: FileId, value: &Value, depth: usize) -> Literal {
    if depth > 8 {
        return Literal::Neither;
    }
    match value {
        Value::String(_) => Literal::Whole,
        Value::Ident(name) => match index.constant(&index.resolve(file, name)) {
            Some((const_file, constant)) if constant.name != *name || const_file != file => {
                literal_in(index, const_file, &constant.value, depth + 1)
            }
            _ => Literal::Neither,
        },
        Value::Fallback { value, fallback } => {
            let either = [value, fallback]
                .iter()
                .any(|v| literal_in(index, file, v, depth + 1) != Literal::Neither);
            if either {
                Literal::Fallback
            } else {
                Literal::Neither
            }
        }
        _ => Literal::Neither,
    }
}

fn falls_back_message(shown: &str) -> String {
    format!("JWT secret comes from `{shown}`, which falls back to a hard-coded string")
}

fn fallback_constant_message(shown: &str) -> String {
    format!("JWT secret falls back to `{shown}`, a hard-coded string constant")
}

const FALLBACK_HELP: &str =
    "fail at startup when the secret is not configured, e.g. `config.getOrThrow('JWT_SECRET')`";
const FALLBACK_NOTE: &str =
    "when the variable is missing the application starts anyway, signing tokens with a secret anyone can read";

/// What a diagnostic about a hard-coded constant says.
const CONSTANT_HELP: &str =
    "read the secret from configuration, e.g. `config.getOrThrow('JWT_SECRET')` in `registerAsync`";
const SOURCE_NOTE: &str = "anyone who can read the source can forge tokens for any user";

fn constant_message(shown: &str) -> String {
    format!("JWT secret comes from `{shown}`, a hard-coded string constant")
}

fn is_import(ctx: &FileContext<'_, '_>, local: &str, source: &str, name: &str) -> bool {
    ctx.imports.get(local).is_some_and(|b| b.is(source, name))
}

/// `jwt.sign(...)` with `jwt` imported from `jsonwebtoken`, or `sign(...)` imported by name.
fn is_jsonwebtoken(ctx: &FileContext<'_, '_>, object: Option<&str>, name: &str) -> bool {
    match object {
        Some(object) => ctx.imports.get(object).is_some_and(|b| {
            b.source == "jsonwebtoken"
                && matches!(b.imported, ImportedName::Namespace | ImportedName::Default)
        }),
        None => is_import(ctx, name, "jsonwebtoken", name),
    }
}

/// `this.jwt.sign(...)` where `jwt` is a constructor parameter or property typed `JwtService`.
fn is_jwt_service(function: Node<'_>, ctx: &FileContext<'_, '_>) -> bool {
    let source = ctx.source;
    let Some(receiver) = function.field(Field::Object).map(unwrap_expression) else {
        return false;
    };
    let property = match receiver.kind_name() {
        "member_expression" => {
            let is_this = receiver
                .field(Field::Object)
                .is_some_and(|o| o.kind_name() == "this");
            match receiver.field(Field::Property) {
                Some(p) if is_this => text(p, source),
                _ => return false,
            }
        }
        _ => return false,
    };
    let Some(class) = ClassView::enclosing(function) else {
        return false;
    };
    let type_is_jwt_service = |type_node: Option<Node<'_>>| {
        type_node.is_some_and(|t| {
            let name = text(t, source);
            is_import(ctx, name, "@nestjs/jwt", "JwtService")
        })
    };
    if let Some(constructor) = class.constructor(source) {
        for param in nestlint_engine::syntax::nest::method_params(constructor) {
            if param.name(source) == property && type_is_jwt_service(param.type_node()) {
                return true;
            }
        }
    }
    class.members().iter().any(|member| {
        member.kind == nestlint_engine::syntax::nest::MemberKind::Property
            && member.name(source) == property
            && type_is_jwt_service(member.type_node())
    })
}

fn extends_passport_strategy(call: Node<'_>, ctx: &FileContext<'_, '_>) -> bool {
    let Some(class) = ClassView::enclosing(call) else {
        return false;
    };
    let Some(base) = class.extends().map(unwrap_expression) else {
        return false;
    };
    if base.kind_name() != "call_expression" {
        return false;
    }
    base.field(Field::Function)
        .and_then(|f| callee_of(unwrap_expression(f), ctx.source))
        .is_some_and(|c| {
            c.object.is_none() && is_import(ctx, c.name, "@nestjs/passport", "PassportStrategy")
        })
}

fn pair_value<'t>(object: Node<'t>, key: &str, source: &str) -> Option<Node<'t>> {
    if object.kind_name() != "object" {
        return None;
    }
    named_children(object)
        .filter(|c| c.kind_name() == "pair")
        .find(|pair| {
            pair.field(Field::Key)
                .and_then(|k| nestlint_engine::facts::property_key(k, source))
                .is_some_and(|k| k == key)
        })
        .and_then(|pair| pair.field(Field::Value))
}

/// The object literals a factory function returns: its expression body, or its `return`s.
fn returned_objects(factory: Node<'_>) -> Vec<Node<'_>> {
    let factory = unwrap_expression(factory);
    let Some(body) = factory.field(Field::Body) else {
        return Vec::new();
    };
    if body.kind_name() != "statement_block" {
        return vec![unwrap_expression(body)];
    }
    let mut out = Vec::new();
    let mut stack = vec![body];
    while let Some(node) = stack.pop() {
        for child in named_children(node) {
            match child.kind_name() {
                "return_statement" => {
                    if let Some(value) = named_children(child).next() {
                        out.push(unwrap_expression(value));
                    }
                }
                // Nested functions return their own values.
                "arrow_function" | "function_expression" | "function_declaration" | "class" => {}
                _ => stack.push(child),
            }
        }
    }
    out
}

fn check_options(options: Node<'_>, keys: &[&str], ctx: &mut FileContext<'_, '_>) {
    let options = unwrap_expression(options);
    for key in keys {
        if let Some(value) = pair_value(options, key, ctx.source) {
            check_value(value, ctx);
        }
    }
}

/// Reports `value` if it is, or falls back to, a hard-coded string.
fn check_value(value: Node<'_>, ctx: &mut FileContext<'_, '_>) {
    let value = unwrap_expression(value);
    let source = ctx.source;
    if string_value(value, source).is_some() {
        ctx.report(
            range_of(value),
            "JWT secret is hard-coded as a string literal",
        )
        .help(CONSTANT_HELP)
        .note(SOURCE_NOTE);
        return;
    }
    match value.kind_name() {
        "binary_expression" => {
            let operator = value
                .field(Field::Operator)
                .map(|o| text(o, source))
                .unwrap_or("");
            if matches!(operator, "??" | "||") {
                if let Some(right) = value.field(Field::Right) {
                    report_fallback(right, ctx);
                }
            }
        }
        "ternary_expression" => {
            for branch in [Field::Consequence, Field::Alternative] {
                if let Some(branch) = value.field(branch) {
                    report_fallback(branch, ctx);
                }
            }
        }
        "call_expression" => {
            // `config.get('JWT_SECRET', 'dev')`: a default value is a hard-coded fallback.
            let is_get = value
                .field(Field::Function)
                .and_then(|f| callee_of(unwrap_expression(f), source))
                .is_some_and(|c| c.object.is_some() && c.name == "get");
            if is_get {
                let args: Vec<Node<'_>> = value
                    .field(Field::Arguments)
                    .map(|a| named_children(a).collect())
                    .unwrap_or_default();
                if args.len() == 2 {
                    report_fallback(args[1], ctx);
                }
            }
        }
        "identifier" | "member_expression" => check_reference(value, ctx),
        _ => {}
    }
}

fn report_fallback(node: Node<'_>, ctx: &mut FileContext<'_, '_>) {
    let node = unwrap_expression(node);
    if string_value(node, ctx.source).is_some() {
        ctx.report(
            range_of(node),
            "JWT secret falls back to a hard-coded string",
        )
        .help(FALLBACK_HELP)
        .note(FALLBACK_NOTE);
    } else if node.kind_name() == "identifier" {
        // `process.env.JWT_SECRET ?? DEFAULT_SECRET`: a constant of this file or another.
        let local = text(node, ctx.source);
        if ctx.imports.get(local).is_some() {
            ctx.stash(ImportedSecret {
                range: range_of(node),
                local: local.to_owned(),
                member: None,
                fallback: true,
            });
        } else if let Some(initializer) = ctx.top_level_const(local) {
            if string_value(initializer, ctx.source).is_some() {
                ctx.report(range_of(node), fallback_constant_message(local))
                    .help(FALLBACK_HELP)
                    .note(FALLBACK_NOTE);
            }
        }
    }
}

/// `SECRET` or `jwtConstants.secret`: a constant of this file, or one imported from another.
fn check_reference(node: Node<'_>, ctx: &mut FileContext<'_, '_>) {
    let source = ctx.source;
    let (local, member) = match node.kind_name() {
        "identifier" => (text(node, source), None),
        _ => {
            let object = node.field(Field::Object).map(unwrap_expression);
            let property = node.field(Field::Property);
            match (object, property) {
                (Some(object), Some(property)) if object.kind_name() == "identifier" => {
                    (text(object, source), Some(text(property, source)))
                }
                _ => return,
            }
        }
    };
    if ctx.imports.get(local).is_some() {
        ctx.stash(ImportedSecret {
            range: range_of(node),
            local: local.to_owned(),
            member: member.map(str::to_owned),
            fallback: false,
        });
        return;
    }
    let Some(initializer) = ctx.top_level_const(local) else {
        return;
    };
    let value = match member {
        None => Some(initializer),
        Some(member) => pair_value(initializer, member, source).map(unwrap_expression),
    };
    let Some(value) = value else { return };
    let shown = match member {
        Some(member) => format!("{local}.{member}"),
        None => local.to_owned(),
    };
    if string_value(value, source).is_some() {
        ctx.report(range_of(node), constant_message(&shown))
            .help(CONSTANT_HELP)
            .note(SOURCE_NOTE);
    } else if falls_back_to_literal(value, source) {
        // `const SECRET = process.env.JWT_SECRET ?? 'dev'`, used further down.
        let path = ctx.path.clone();
        ctx.report(range_of(node), falls_back_message(&shown))
            .help(FALLBACK_HELP)
            .note(FALLBACK_NOTE)
            .label(path, range_of(value), "the fallback is here");
    }
}

/// `a ?? 'x'`, `a || 'x'`, or a conditional with a literal branch.
fn falls_back_to_literal(value: Node<'_>, source: &str) -> bool {
    let literal = |node: Option<Node<'_>>| {
        node.map(unwrap_expression)
            .is_some_and(|n| string_value(n, source).is_some())
    };
    match value.kind_name() {
        "binary_expression" => {
            let operator = value.field(Field::Operator).map(|o| text(o, source));
            matches!(operator, Some("??" | "||")) && literal(value.field(Field::Right))
        }
        "ternary_expression" => {
            literal(value.field(Field::Consequence)) || literal(value.field(Field::Alternative))
        }
        _ => false,
    }
}
