//! Parsing with tree-sitter-typescript, and the NestJS view layer that answers the questions rules
//! ask (which decorators a class or method carries, what a constructor injects, what an import
//! brings in) so that no rule walks raw node shapes.

mod field;
mod imports;
pub mod nest;
mod parse;

pub use field::{Field, NodeExt};
pub use imports::{type_keyword, ImportBinding, ImportedName, Imports};
pub use parse::{is_tsx, language, parse, syntax_error_count, without_bom, KindId, KindIds};
pub use tree_sitter::{Node, Tree, TreeCursor};

/// An owned identifier or short string kept in facts. Most names fit inline (up to 24 bytes), so
/// facts cost no allocation per name: that is most of the memory of a run's project pass.
pub type Name = compact_str::CompactString;

/// The source text of `node`.
pub fn text<'a>(node: Node<'_>, source: &'a str) -> &'a str {
    source.get(node.byte_range()).unwrap_or("")
}

/// The value of a string literal node (`'x'`, `"x"`, or a backtick string without substitutions),
/// with the common escapes undone; `None` for anything else.
pub fn string_value(node: Node<'_>, source: &str) -> Option<String> {
    match node.kind() {
        "string" => {
            let raw = text(node, source);
            let inner = raw.get(1..raw.len().saturating_sub(1))?;
            Some(unescape(inner))
        }
        "template_string" => {
            let mut cursor = node.walk();
            if node
                .named_children(&mut cursor)
                .any(|c| c.kind() == "template_substitution")
            {
                return None;
            }
            let raw = text(node, source);
            let inner = raw.get(1..raw.len().saturating_sub(1))?;
            Some(unescape(inner))
        }
        _ => None,
    }
}

fn unescape(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Strips parentheses, `as`/`satisfies` casts and non-null assertions around an expression.
pub fn unwrap_expression(mut node: Node<'_>) -> Node<'_> {
    loop {
        match node.kind() {
            "parenthesized_expression" | "non_null_expression" => match node.named_child(0) {
                Some(inner) => node = inner,
                None => return node,
            },
            "as_expression" | "satisfies_expression" | "type_assertion" => {
                // `x as T`: the expression is the first named child; `<T>x`: the last.
                let inner = if node.kind() == "type_assertion" {
                    node.named_child(node.named_child_count().saturating_sub(1))
                } else {
                    node.named_child(0)
                };
                match inner {
                    Some(inner) => node = inner,
                    None => return node,
                }
            }
            _ => return node,
        }
    }
}

/// The named children of `node`, skipping comments. Walks with a cursor: indexing children one
/// by one restarts from the first child each time.
pub fn named_children(node: Node<'_>) -> impl Iterator<Item = Node<'_>> {
    let mut cursor = node.walk();
    let mut started = false;
    let mut done = false;
    std::iter::from_fn(move || {
        while !done {
            let moved = if started {
                cursor.goto_next_sibling()
            } else {
                started = true;
                cursor.goto_first_child()
            };
            if !moved {
                done = true;
                break;
            }
            let child = cursor.node();
            if child.is_named() && child.kind() != "comment" {
                return Some(child);
            }
        }
        None
    })
}
