//! Parsing with tree-sitter-typescript, and the NestJS view layer that answers the questions rules
//! ask (which decorators a class or method carries, what a constructor injects, what an import
//! brings in) so that no rule walks raw node shapes.

mod field;
mod imports;
pub mod nest;
mod parse;

pub use field::{Field, NodeExt};
pub use imports::{type_keyword, ImportBinding, ImportedName, Imports};
pub use parse::{
    edit_between, is_tsx, language, parse, parse_again, syntax_error_count, without_bom, KindId,
    KindIds,
};
pub use tree_sitter::{InputEdit, Node, Tree, TreeCursor};

/// An owned identifier or short string kept in facts. Most names fit inline (up to 24 bytes), so
/// facts cost no allocation per name: that is most of the memory of a run's project pass.
pub type Name = compact_str::CompactString;

/// The source text of `node`.
pub fn text<'a>(node: Node<'_>, source: &'a str) -> &'a str {
    source.get(node.byte_range()).unwrap_or("")
}

/// The longest expression text facts keep as the object of a call or member access
/// (`this.users`, `process.env`); a longer one (the head of a 10,000-call builder chain) is
/// [`LONG_EXPRESSION`], so that keeping one per call stays linear in the file's size.
pub const MAX_OBJECT_TEXT: usize = 256;

/// What facts keep instead of an object expression longer than [`MAX_OBJECT_TEXT`]: text no
/// identifier or member chain can equal.
pub const LONG_EXPRESSION: &str = "(…)";

/// The text of an object expression, or [`LONG_EXPRESSION`] when it is too long to keep.
pub fn object_text<'a>(node: Node<'_>, source: &'a str) -> &'a str {
    if node.byte_range().len() > MAX_OBJECT_TEXT {
        LONG_EXPRESSION
    } else {
        text(node, source)
    }
}

/// Source text as a message quotes it: on one line (every run of blanks, newlines and tabs
/// becomes one space) and at most [`QUOTE_LIMIT`] characters, so that a multi-line destructuring
/// pattern does not break a one-line format.
pub fn one_line(code: &str) -> Name {
    let mut out = Name::default();
    for (i, word) in code.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.chars().count() > QUOTE_LIMIT {
        let cut: String = out.chars().take(QUOTE_LIMIT - 1).collect();
        out = Name::from(cut.trim_end());
        out.push('…');
    }
    out
}

/// How many characters of source a message quotes at most.
pub const QUOTE_LIMIT: usize = 60;

/// The value of a string literal node (`'x'`, `"x"`, or a backtick string without substitutions),
/// with the common escapes undone; `None` for anything else.
pub fn string_value(node: Node<'_>, source: &str) -> Option<String> {
    match node.kind_name() {
        "string" => {
            let raw = text(node, source);
            let inner = raw.get(1..raw.len().saturating_sub(1))?;
            Some(unescape(inner))
        }
        "template_string" => {
            let mut cursor = node.walk();
            if node
                .named_children(&mut cursor)
                .any(|c| c.kind_name() == "template_substitution")
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

/// Whether a node of this kind opens a scope of its own for `return` and `throw`: a function,
/// method or class nested in the body being read.
pub fn is_function_scope(kind: &str) -> bool {
    matches!(
        kind,
        "arrow_function"
            | "function_expression"
            | "function"
            | "function_declaration"
            | "generator_function"
            | "generator_function_declaration"
            | "method_definition"
            | "class"
            | "class_declaration"
    )
}

/// The value bound to `name` by the last declaration (`const name = ...`, or with `const_only`
/// false also `let`/`var`) among the statements of `statement`'s block written before it, with
/// parentheses and casts stripped: `const payload = {...}; jwt.sign(payload)`. `None` when that
/// declaration has no value, or there is none.
pub fn value_declared_before<'t>(
    statement: Node<'t>,
    name: &str,
    source: &str,
    const_only: bool,
) -> Option<Node<'t>> {
    let block = statement.parent()?;
    let mut found = None;
    for sibling in named_children(block) {
        if sibling.id() == statement.id() {
            break;
        }
        let declaration = sibling.kind_name() == "lexical_declaration"
            || (!const_only && sibling.kind_name() == "variable_declaration");
        if !declaration || (const_only && !text(sibling, source).starts_with("const")) {
            continue;
        }
        for declarator in named_children(sibling).filter(|c| c.kind_name() == "variable_declarator")
        {
            if declarator.field(Field::Name).map(|n| text(n, source)) == Some(name) {
                found = declarator.field(Field::Value).map(unwrap_expression);
            }
        }
    }
    found
}

/// Strips parentheses, `as`/`satisfies` casts and non-null assertions around an expression.
pub fn unwrap_expression(mut node: Node<'_>) -> Node<'_> {
    loop {
        match node.kind_name() {
            "parenthesized_expression" | "non_null_expression" => match node.named_child(0) {
                Some(inner) => node = inner,
                None => return node,
            },
            "as_expression" | "satisfies_expression" | "type_assertion" => {
                // `x as T`: the expression is the first named child; `<T>x`: the last.
                let inner = if node.kind_name() == "type_assertion" {
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

/// The function a `call_expression` calls, parentheses and type assertions unwrapped.
/// tree-sitter-typescript reads `await f<T>(x)` as a call of `await f` with type arguments
/// (`await NestFactory.create<NestExpressApplication>(AppModule)`), and `!f<T>(x)` (also
/// `typeof`, `void`, `-`) as a call of `!f`: the operators are looked through.
pub fn call_function(call: Node<'_>) -> Option<Node<'_>> {
    let mut function = unwrap_expression(call.field(Field::Function)?);
    for _ in 0..MISREAD_OPERATORS {
        if !matches!(
            function.kind_name(),
            "await_expression" | "unary_expression"
        ) {
            break;
        }
        function = unwrap_expression(function.named_child(0)?);
    }
    Some(function)
}

/// How many prefix operators (`await`, `!`, `!!`) are looked through on a call's function.
const MISREAD_OPERATORS: usize = 4;

/// Nodes with at most this many children are read by index: `Node::child(i)` scans from the
/// first child, which for a few children costs less than a cursor's steps.
const INDEXED_CHILDREN: usize = 16;

/// The children of `node` in order: all of them, tokens included, or only the named ones.
fn child_nodes(node: Node<'_>, named_only: bool) -> impl Iterator<Item = Node<'_>> {
    let count = if named_only {
        node.named_child_count()
    } else {
        node.child_count()
    };
    let mut cursor = (node.child_count() > INDEXED_CHILDREN).then(|| node.walk());
    let mut next = 0;
    std::iter::from_fn(move || {
        if next >= count {
            return None;
        }
        next += 1;
        let Some(cursor) = cursor.as_mut() else {
            return if named_only {
                node.named_child(next - 1)
            } else {
                node.child(next - 1)
            };
        };
        let mut moved = if next == 1 {
            cursor.goto_first_child()
        } else {
            cursor.goto_next_sibling()
        };
        while moved && named_only && !cursor.node().is_named() {
            moved = cursor.goto_next_sibling();
        }
        moved.then(|| cursor.node())
    })
}

/// Where the name a call is made by lies (`f` of `f()`, `g` of `a.b.g()`, `import` of
/// `import(x)`), read without field lookups: the first test of rules that look for a few names
/// among every call of a file.
pub fn call_name_range(call: Node<'_>) -> Option<std::ops::Range<usize>> {
    let mut function = call.child(0)?;
    for _ in 0..MISREAD_OPERATORS {
        if !matches!(
            function.kind_name(),
            "await_expression" | "unary_expression"
        ) {
            break;
        }
        // `await f<T>(x)`, `!f<T>(x)`, as tree-sitter-typescript reads them (see `call_function`).
        function = function.child(function.child_count().checked_sub(1)?)?;
    }
    match function.kind_name() {
        "identifier" | "import" => Some(function.byte_range()),
        "member_expression" => {
            let last = function.child(function.child_count().checked_sub(1)?)?;
            (last.kind_name() == "property_identifier").then(|| last.byte_range())
        }
        _ => None,
    }
}

/// All children of `node`, tokens included, in order.
pub fn children(node: Node<'_>) -> impl Iterator<Item = Node<'_>> {
    child_nodes(node, false)
}

/// The named children of `node`, skipping comments.
pub fn named_children(node: Node<'_>) -> impl Iterator<Item = Node<'_>> {
    child_nodes(node, true).filter(|child| child.kind_name() != "comment")
}

/// Visits the named nodes of the tree once each, depth first in source order (comments included);
/// `visit` returns whether to go on into the node's children.
pub fn visit_named<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>) -> bool) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if !visit(node) {
            continue;
        }
        let first = stack.len();
        stack.extend(child_nodes(node, true));
        stack[first..].reverse();
    }
}

/// [`visit_named`] that stops after `budget` nodes: for scans of bodies of unbounded size whose
/// answer is only a refinement (a method's calls, a guard's words).
pub fn visit_bounded<'t>(root: Node<'t>, budget: usize, mut visit: impl FnMut(Node<'t>) -> bool) {
    let mut left = budget;
    visit_named(root, |node| {
        if left == 0 {
            return false;
        }
        left -= 1;
        visit(node)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_code_is_one_line_and_bounded() {
        assert_eq!(one_line("{\n\ta,\n\tb\n  }"), "{ a, b }");
        assert_eq!(one_line("body"), "body");
        let long = one_line(&format!("{{ {} }}", vec!["field"; 30].join(",\n  ")));
        assert_eq!(long.chars().count(), QUOTE_LIMIT);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn prefix_operators_misread_onto_generic_calls_are_looked_through() {
        // tree-sitter-typescript reads `!a.get<T>(k)` as a call of `!a.get`; tsc, as `!(a.get(k))`.
        let source = "async function f() {\n  !this.reflector.get<string[]>(KEY, h);\n  await repo.find<User>(q);\n  !!typeof a.b<T>(c);\n  (x as any).run(1);\n}\n";
        let tree = crate::parse(source, false).expect("parses");
        let mut names = Vec::new();
        crate::visit_bounded(tree.root_node(), 10_000, |node| {
            if node.kind_name() == "call_expression" {
                let function = call_function(node).map(|f| text(f, source));
                let name = call_name_range(node).and_then(|r| source.get(r));
                names.push((function, name));
            }
            true
        });
        assert_eq!(
            names,
            [
                (Some("this.reflector.get"), Some("get")),
                (Some("repo.find"), Some("find")),
                (Some("a.b"), Some("b")),
                (Some("(x as any).run"), Some("run")),
            ]
        );
    }

    #[test]
    fn the_last_declaration_before_a_statement_gives_the_value() {
        let source = "function f() {\n  const key = 'a';\n  let key2 = { b: 1 };\n  const key = ('c' as string);\n  use(key, key2);\n  const late = 1;\n}\n";
        let tree = crate::parse(source, false).expect("parses");
        let mut statement = None;
        crate::visit_bounded(tree.root_node(), 10_000, |node| {
            if node.kind_name() == "expression_statement" {
                statement = Some(node);
            }
            true
        });
        let statement = statement.expect("the call statement");
        let value = |name, const_only| {
            value_declared_before(statement, name, source, const_only).map(|v| text(v, source))
        };
        assert_eq!(value("key", true), Some("'c'"));
        assert_eq!(value("key2", true), None);
        assert_eq!(value("key2", false), Some("{ b: 1 }"));
        assert_eq!(value("late", false), None);
    }

    /// Every named node in source order, by the plain cursor walk tree-sitter documents.
    fn named_nodes_by_cursor(root: Node<'_>) -> Vec<Node<'_>> {
        let mut out = Vec::new();
        let mut cursor = root.walk();
        loop {
            if cursor.node().is_named() {
                out.push(cursor.node());
            }
            if cursor.goto_first_child() {
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return out;
                }
            }
        }
    }

    #[test]
    fn visit_named_and_children_match_the_cursor_on_narrow_and_wide_nodes() {
        // Wide nodes (more children than are read by index): the program, the array and the
        // object; narrow ones elsewhere; comments inside expressions and between members.
        let wide: Vec<String> = (0..40).map(|i| format!("a{i} /* c{i} */")).collect();
        let source = format!(
            "import {{ A }} from 'a';\n// top\nconst xs = [{list}];\nconst o = {{ {pairs} }};\n\
             @C() class K {{ /* m */ @G() m(/* p */ @B() b: A) {{ return f(/* q */ 1); }} }}\n{stmts}",
            list = wide.join(", "),
            pairs = (0..30).map(|i| format!("k{i}: {i}")).collect::<Vec<_>>().join(", "),
            stmts = (0..30).map(|i| format!("g{i}();\n")).collect::<String>(),
        );
        for tsx in [false, true] {
            let tree = parse(&source, tsx).expect("parses");
            let expected = named_nodes_by_cursor(tree.root_node());
            let mut visited = Vec::new();
            visit_named(tree.root_node(), |node| {
                visited.push(node);
                true
            });
            assert_eq!(visited, expected);
            assert!(
                visited
                    .iter()
                    .filter(|n| n.kind_name() == "comment")
                    .count()
                    >= 5
            );
            for node in &expected {
                let mut cursor = node.walk();
                let by_tree_sitter: Vec<Node<'_>> = node
                    .named_children(&mut cursor)
                    .filter(|c| c.kind_name() != "comment")
                    .collect();
                assert_eq!(named_children(*node).collect::<Vec<_>>(), by_tree_sitter);
                let all: Vec<Node<'_>> = node.children(&mut cursor).collect();
                assert_eq!(children(*node).collect::<Vec<_>>(), all);
            }
        }
    }
}
