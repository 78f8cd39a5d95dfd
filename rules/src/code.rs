//! What the syntactic rules of groups F-L ask of the code around a node: where a callee comes
//! from, which method and class a call sits in, whether a name is the global one.

use nestlint_engine::syntax::nest::{callee_of, Callee, ClassView};
use nestlint_engine::syntax::{
    call_function, named_children, string_value, text, unwrap_expression, Field, ImportedName,
    Node, NodeExt,
};
use nestlint_engine::FileContext;

use crate::decorators::imported_name;

/// How many levels [`enclosing_method`] climbs: each step up costs tree-sitter a descent from
/// the root, and rules ask only for the rare candidate calls.
const CLIMB_LIMIT: usize = 64;

/// The callee of a `call_expression` (`f`, `a.f`), with parentheses and `await` unwrapped.
pub fn call_callee<'s>(call: Node<'_>, source: &'s str) -> Option<Callee<'s>> {
    callee_of(call_function(call)?, source)
}

/// The key of a `pair` as written (`a` of `a: 1`, `'a'` quotes included), read without a field
/// lookup.
pub fn pair_key<'s>(pair: Node<'_>, source: &'s str) -> Option<&'s str> {
    pair.child(0).map(|key| text(key, source))
}

/// The key of a `pair` when it is one of `keys`: the first test of the rules dispatched on every
/// `key: value` of a file.
pub fn pair_key_among<'s>(
    pair: Node<'_>,
    ctx: &FileContext<'s, '_>,
    keys: &[&str],
) -> Option<&'s str> {
    let key = pair_key(pair, ctx.source)?;
    keys.contains(&key).then_some(key)
}

/// The arguments of a call, comments left out; empty for a tagged template (`` f`...` ``).
pub fn call_arguments(call: Node<'_>) -> Vec<Node<'_>> {
    call.field(Field::Arguments)
        .filter(|arguments| arguments.kind_name() == "arguments")
        .map(|arguments| named_children(arguments).collect())
        .unwrap_or_default()
}

/// Where a callee comes from as `(package, exported name)`: a named import (`readFileSync`),
/// a member of a namespace or default import (`fs.readFileSync`, `bcrypt.hash`). `None` for
/// anything not imported.
pub fn imported_callee<'a>(
    ctx: &'a FileContext<'_, '_>,
    callee: &Callee<'a>,
) -> Option<(&'a str, &'a str)> {
    match callee.object {
        None => {
            let binding = ctx.imports.get(callee.name)?;
            match &binding.imported {
                ImportedName::Named(name) => Some((binding.source.as_str(), name.as_str())),
                _ => None,
            }
        }
        Some(object) => {
            let binding = ctx.imports.get(object)?;
            match binding.imported {
                ImportedName::Namespace | ImportedName::Default => {
                    Some((binding.source.as_str(), callee.name))
                }
                ImportedName::Named(_) => None,
            }
        }
    }
}

/// Whether `name` is the global of that name in this file: not imported, not declared at the
/// top level (a local `function eval()` or `const require = ...` is someone else's).
pub fn is_global(ctx: &FileContext<'_, '_>, name: &str) -> bool {
    ctx.imports.get(name).is_none()
        && ctx.top_level_const(name).is_none()
        && !declares_function(ctx.root(), name, ctx.source)
}

fn declares_function(root: Node<'_>, name: &str, source: &str) -> bool {
    named_children(root).any(|statement| {
        let statement = if statement.kind_name() == "export_statement" {
            match statement.field(Field::Declaration) {
                Some(declaration) => declaration,
                None => return false,
            }
        } else {
            statement
        };
        statement.kind_name() == "function_declaration"
            && statement
                .field(Field::Name)
                .is_some_and(|n| text(n, source) == name)
    })
}

/// The method a node sits in (through nested callbacks) and its class, within a bounded climb.
pub fn enclosing_method(node: Node<'_>) -> Option<(Node<'_>, ClassView<'_>)> {
    let mut current = node;
    for _ in 0..CLIMB_LIMIT {
        let parent = current.parent()?;
        match parent.kind_name() {
            "method_definition" => {
                let class = parent.parent().and_then(|body| body.parent())?;
                return Some((parent, ClassView::new(class)?));
            }
            // A class nested in a function: its methods are its own, and so is what is above.
            "class_declaration" | "class" | "abstract_class_declaration" => return None,
            _ => current = parent,
        }
    }
    None
}

/// The packages whose class decorators make a class one Nest instantiates and calls
/// (`@Injectable()`, `@Resolver()`, `@WebSocketGateway()`, a queue's `@Processor()`, ...).
const NEST_CLASS_PACKAGES: &[&str] = &[
    "@nestjs/common",
    "@nestjs/graphql",
    "@nestjs/websockets",
    "@nestjs/microservices",
    "@nestjs/bull",
    "@nestjs/bullmq",
];

/// Whether the class carries one of `names` from a package of [`NEST_CLASS_PACKAGES`]: a class
/// Nest instantiates and calls.
pub fn is_nest_class<'t>(ctx: &FileContext<'_, 't>, class: &ClassView<'t>, names: &[&str]) -> bool {
    ctx.class_decorators(class).iter().any(|&decorator| {
        imported_name(decorator, ctx).is_some_and(|(package, name)| {
            NEST_CLASS_PACKAGES.contains(&package) && names.contains(&name)
        })
    })
}

/// The name of a method definition.
pub fn method_name<'s>(method: Node<'_>, source: &'s str) -> &'s str {
    method.field(Field::Name).map_or("", |n| text(n, source))
}

/// The value of `key` in an `object` literal (`{ key: value }`, `{ 'key': value }`), the last one
/// written winning as at run time; `None` when absent. `spread` tells whether the object has a
/// spread (`...rest`), which may set the key too.
pub fn object_value<'t>(object: Node<'t>, key: &str, source: &str) -> (Option<Node<'t>>, bool) {
    let mut found = None;
    let mut spread = false;
    for member in named_children(object) {
        match member.kind_name() {
            "pair" => {
                let Some(name) = member.field(Field::Key) else {
                    continue;
                };
                let name = match name.kind_name() {
                    "property_identifier" => Some(text(name, source).to_owned()),
                    "string" => string_value(name, source),
                    _ => None,
                };
                if name.as_deref() == Some(key) {
                    found = member.field(Field::Value).map(unwrap_expression);
                }
            }
            "shorthand_property_identifier" if text(member, source) == key => {
                found = Some(member);
            }
            "spread_element" => spread = true,
            _ => {}
        }
    }
    (found, spread)
}

/// Whether a value is the literal `true`.
pub fn is_true(node: Node<'_>) -> bool {
    node.kind_name() == "true"
}

/// A string written whole (a string literal, a template without substitutions).
pub fn literal_string(node: Node<'_>, source: &str) -> Option<String> {
    match node.kind_name() {
        "string" => string_value(node, source),
        "template_string" if !has_substitution(node) => {
            let raw = text(node, source);
            raw.get(1..raw.len().saturating_sub(1)).map(str::to_owned)
        }
        _ => None,
    }
}

/// Whether a template string has a `${...}`.
pub fn has_substitution(template: Node<'_>) -> bool {
    named_children(template).any(|part| part.kind_name() == "template_substitution")
}

/// Whether a file is a test or a script run by hand, by its path (tests are already left out by
/// the engine; these are the other places where blocking or printing is what the code is for).
pub fn is_script_path(ctx: &FileContext<'_, '_>) -> bool {
    let path = ctx.path().to_string_lossy();
    let path = path.replace('\\', "/");
    path.split('/').any(|part| {
        matches!(
            part,
            "scripts" | "script" | "seeds" | "seed" | "seeders" | "migrations" | "cli" | "tools"
        )
    }) || path.ends_with("/main.ts")
        || path.ends_with(".seed.ts")
        || path.ends_with("/seed.module.ts")
        || path.ends_with("/seed.ts")
        || path.ends_with(".command.ts")
}

/// Whether `node` sits in a branch chosen by the kind of environment (an `if` or a conditional
/// whose condition names production, development, test or `NODE_ENV`): settings meant for one
/// environment only.
pub fn gated_on_environment(node: Node<'_>, source: &str) -> bool {
    let mut current = node;
    for _ in 0..CLIMB_LIMIT {
        let Some(parent) = current.parent() else {
            return false;
        };
        if matches!(parent.kind_name(), "if_statement" | "ternary_expression") {
            let condition = parent
                .field(Field::Condition)
                .map(|c| text(c, source).to_ascii_lowercase())
                .unwrap_or_default();
            let in_branch = parent
                .field(Field::Condition)
                .is_none_or(|c| c.id() != current.id());
            if in_branch
                && ["prod", "dev", "node_env", "test", "local", "staging"]
                    .iter()
                    .any(|word| condition.contains(word))
            {
                return true;
            }
        }
        if nestlint_engine::syntax::is_function_scope(parent.kind_name()) {
            return false;
        }
        current = parent;
    }
    false
}

/// How many base classes [`entity_chain`] follows.
const MAX_BASES: usize = 16;

/// A TypeORM entity or model class and its base classes, itself first: the classes whose
/// properties it has. `None` when a base cannot be read (a class from a package other than
/// `typeorm`, whose own `BaseEntity` declares no column; a mixin call; a chain too long).
pub fn entity_chain<'i>(
    index: &'i nestlint_engine::ProjectIndex,
    file: nestlint_engine::FileId,
    class: &'i nestlint_engine::facts::ClassFact,
) -> Option<
    Vec<(
        nestlint_engine::FileId,
        &'i nestlint_engine::facts::ClassFact,
    )>,
> {
    use nestlint_engine::facts::Value;
    use nestlint_engine::Symbol;
    let mut chain = vec![(file, class)];
    let (mut file, mut class) = (file, class);
    for _ in 0..MAX_BASES {
        match &class.extends {
            None => return Some(chain),
            Some(Value::Ident(name)) => match index.resolve(file, name) {
                Symbol::External { source, .. } if source.as_str() == "typeorm" => {
                    return Some(chain)
                }
                symbol => {
                    (file, class) = index.class(&symbol)?;
                    chain.push((file, class));
                }
            },
            Some(_) => return None,
        }
    }
    None
}
