//! What project-written decorator factories do, shared by the rules: whether a factory composes
//! `UseGuards`, sets public metadata, or applies class-validator decorators; and where the string
//! literal a decorator or an import is written with lies, for fixes that edit it.

use std::collections::HashMap;

use nestlint_engine::apps::{classify_guard, GuardKind};
use nestlint_engine::facts::{DecoratorFact, FunctionFact};
use nestlint_engine::nest::{is_public_marker_name, NEST_COMMON, NEST_CORE};
use nestlint_engine::{FileId, ProjectIndex, Symbol};
use nestlint_syntax::Name;

/// The guard kind that decides for a set of guards: one that authenticates protects; one the
/// engine cannot classify leaves it unknown; only then do the others count.
pub fn strongest(current: Option<GuardKind>, next: GuardKind) -> GuardKind {
    match (current, next) {
        (Some(GuardKind::Authenticates), _) | (_, GuardKind::Authenticates) => {
            GuardKind::Authenticates
        }
        (Some(GuardKind::Unknown), _) | (_, GuardKind::Unknown) => GuardKind::Unknown,
        _ => GuardKind::Other,
    }
}

/// How many layers of project factories calling each other are followed.
const MAX_FACTORY_DEPTH: usize = 16;

/// Memoised effects of project decorator factories, keyed by their file and name.
pub type EffectMemo = HashMap<(FileId, Name), FunctionEffect>;

/// Where a decorator comes from, as far as the engine can see.
pub enum DecoratorOrigin {
    /// Exported by a package.
    Package { source: Name, name: Name },
    /// A project decorator factory, with what it does.
    Project { name: Name, effect: FunctionEffect },
    /// An unresolved import, a global, or a project value that is not a function.
    Opaque,
}

/// Resolves `decorator`, written in `file`, to its origin.
pub fn decorator_origin(
    index: &ProjectIndex,
    file: FileId,
    decorator: &DecoratorFact,
    memo: &mut EffectMemo,
) -> DecoratorOrigin {
    let symbol = index.resolve_callee(file, &decorator.callee);
    match symbol {
        Symbol::External { source, name } => DecoratorOrigin::Package { source, name },
        Symbol::Declared { .. } => match index.function(&symbol) {
            Some((function_file, function)) => DecoratorOrigin::Project {
                name: function.name.clone(),
                effect: FunctionEffect::of(index, function_file, function, memo),
            },
            None => DecoratorOrigin::Opaque,
        },
        Symbol::Unresolved | Symbol::Unknown => DecoratorOrigin::Opaque,
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct FunctionEffect {
    /// Calls `UseGuards(...)` (directly or through another project factory).
    pub guards: bool,
    /// What the guards it applies do, when it applies any: the strongest of them.
    pub guard_kind: Option<GuardKind>,
    /// Calls `SetMetadata(...)` or `Reflector.createDecorator()`.
    pub sets_metadata: bool,
    /// One of those calls uses a key that marks a route public.
    pub public_key: bool,
    /// Applies a class-validator decorator or registers a custom validator.
    pub validates: bool,
    /// Verifies or decodes a token itself (`jwt.verify(...)`, `this.jwtService.verifyAsync(...)`):
    /// a parameter decorator that authenticates the caller when a token is sent.
    pub verifies_token: bool,
    /// Calls something the engine cannot follow (an unresolved import, a computed callee).
    pub opaque: bool,
}

impl FunctionEffect {
    pub fn of(
        index: &ProjectIndex,
        file: FileId,
        function: &FunctionFact,
        memo: &mut EffectMemo,
    ) -> FunctionEffect {
        Self::at_depth(index, file, function, memo, 0)
    }

    /// Factories calling factories deeper than [`MAX_FACTORY_DEPTH`] are opaque: no real
    /// decorator is built through that many layers, and the walk must not exhaust the stack.
    fn at_depth(
        index: &ProjectIndex,
        file: FileId,
        function: &FunctionFact,
        memo: &mut EffectMemo,
        depth: usize,
    ) -> FunctionEffect {
        let key = (file, function.name.clone());
        if let Some(effect) = memo.get(&key) {
            return *effect;
        }
        if depth > MAX_FACTORY_DEPTH {
            return FunctionEffect {
                opaque: true,
                ..FunctionEffect::default()
            };
        }
        // Guards against recursion: a factory that calls itself adds nothing.
        memo.insert(key.clone(), FunctionEffect::default());
        let mut effect = FunctionEffect {
            opaque: function.opaque,
            ..FunctionEffect::default()
        };
        for (callee, args) in &function.calls {
            effect.verifies_token |= verifies_token(callee);
            let symbol = index.resolve_callee(file, callee);
            match &symbol {
                Symbol::External { source, name } => {
                    if source == NEST_COMMON && name == "UseGuards" {
                        effect.guards = true;
                        for arg in args {
                            let kind = classify_guard(index, file, arg);
                            effect.guard_kind = Some(strongest(effect.guard_kind, kind));
                        }
                    } else if source == NEST_COMMON && name == "SetMetadata" {
                        effect.sets_metadata = true;
                        if args
                            .first()
                            .and_then(|k| resolve_string(index, file, k))
                            .is_some_and(|k| is_public_marker_name(&k))
                        {
                            effect.public_key = true;
                        }
                    } else if source.starts_with("class-validator") {
                        effect.validates = true;
                    } else if matches!(source.as_str(), "jsonwebtoken" | "jose")
                        && matches!(
                            name.as_str(),
                            "verify" | "decode" | "jwtVerify" | "decodeJwt"
                        )
                    {
                        effect.verifies_token = true;
                    }
                }
                Symbol::Declared { .. } => {
                    if let Some((inner_file, inner)) = index.function(&symbol) {
                        let inner =
                            FunctionEffect::at_depth(index, inner_file, inner, memo, depth + 1);
                        effect.guards |= inner.guards;
                        if let Some(kind) = inner.guard_kind {
                            effect.guard_kind = Some(strongest(effect.guard_kind, kind));
                        }
                        effect.sets_metadata |= inner.sets_metadata;
                        effect.public_key |= inner.public_key;
                        effect.validates |= inner.validates;
                        effect.verifies_token |= inner.verifies_token;
                        effect.opaque |= inner.opaque;
                    }
                }
                Symbol::Unresolved => effect.opaque = true,
                // Globals and parameters (`Reflect`, `target`): nothing to follow.
                Symbol::Unknown => {
                    if callee.object.as_deref() == Some("Reflector")
                        && callee.name == "createDecorator"
                    {
                        effect.sets_metadata = true;
                    }
                }
            }
            // `Reflector.createDecorator()` with `Reflector` imported from @nestjs/core.
            if let Some(object) = &callee.object {
                if callee.name == "createDecorator"
                    && index
                        .resolve(file, object)
                        .is_external(NEST_CORE, "Reflector")
                {
                    effect.sets_metadata = true;
                }
            }
        }
        memo.insert(key, effect);
        effect
    }
}

pub use nestlint_engine::nest::resolve_string;

/// A call that verifies or decodes a token: `verify`/`decode` on something named for JWTs or
/// tokens (`jwt.verify`, `this.jwtService.verifyAsync`, `tokenService.decode`).
fn verifies_token(callee: &nestlint_engine::facts::CalleeName) -> bool {
    let name = callee.name.to_ascii_lowercase();
    let object = callee.object.as_deref().unwrap_or("").to_ascii_lowercase();
    (name.starts_with("verify") || name.starts_with("decode"))
        && (object.contains("jwt") || object.contains("token"))
        || name == "verifytoken"
        || name == "verifyjwt"
}

/// Where the one string literal holding exactly `value` (quoted `'`, `"` or `` ` ``) starts in
/// `text`, with its quote; `None` when there is none or more than one (an edit would be a guess).
pub fn quoted_once(text: &str, value: &str) -> Option<(usize, char)> {
    let mut found = None;
    for quote in ['\'', '"', '`'] {
        let literal = format!("{quote}{value}{quote}");
        for (at, _) in text.match_indices(&literal) {
            if found.is_some() {
                return None;
            }
            found = Some((at, quote));
        }
    }
    found
}

/// `entry` (`isArray: true`) appended to a non-empty object literal, in its style: after a
/// trailing comma on a line of its own when the object spans lines, else `, entry`.
pub fn append_entry(
    object: nestlint_engine::syntax::Node<'_>,
    source: &str,
    entry: &str,
) -> Option<nestlint_diagnostics::Edit> {
    use nestlint_engine::syntax::{named_children, NodeExt};
    let last = named_children(object)
        .filter(|n| n.kind_name() != "comment")
        .last()?;
    let between = source.get(last.end_byte()..object.end_byte())?;
    let line_start = source
        .get(..last.start_byte())?
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let indent = source.get(line_start..last.start_byte())?;
    let own_lines = between.contains('\n') && indent.chars().all(char::is_whitespace);
    let edit = match (between.find(','), own_lines) {
        (Some(comma), true) => nestlint_diagnostics::Edit::insertion(
            last.end_byte() + comma + 1,
            format!("\n{indent}{entry},"),
        ),
        (None, true) => {
            nestlint_diagnostics::Edit::insertion(last.end_byte(), format!(",\n{indent}{entry}"))
        }
        (Some(comma), false) => {
            nestlint_diagnostics::Edit::insertion(last.end_byte() + comma + 1, format!(" {entry},"))
        }
        (None, false) => {
            nestlint_diagnostics::Edit::insertion(last.end_byte(), format!(", {entry}"))
        }
    };
    Some(edit)
}

/// Whether a decorator node is one of `names` exported by the package `source`, written with the
/// name it is imported under (`@UseGuards()`, not `@common.UseGuards()`).
pub fn is_imported(
    decorator: nestlint_syntax::Node<'_>,
    ctx: &nestlint_engine::FileContext<'_, '_>,
    source: &str,
    names: &[&str],
) -> bool {
    imported_name(decorator, ctx)
        .is_some_and(|(from, name)| from == source && names.contains(&name))
}

/// The package a decorator's callee is imported from and the name it has there (`Controller`
/// from `@nestjs/common`, through an alias too); `None` for a member callee (`ns.X`), a default
/// or namespace import, or a local name.
pub fn imported_name<'c>(
    decorator: nestlint_syntax::Node<'_>,
    ctx: &'c nestlint_engine::FileContext<'_, '_>,
) -> Option<(&'c str, &'c str)> {
    let callee = nestlint_engine::syntax::nest::DecoratorView::new(decorator).callee(ctx.source)?;
    if callee.object.is_some() {
        return None;
    }
    let binding = ctx.imports.get(callee.name)?;
    match &binding.imported {
        nestlint_engine::syntax::ImportedName::Named(name) => {
            Some((binding.source.as_str(), name.as_str()))
        }
        _ => None,
    }
}
