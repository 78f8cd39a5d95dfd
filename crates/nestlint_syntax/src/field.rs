//! Named fields and node kinds resolved once per grammar. `Node::child_by_field_name` looks the
//! name up by string comparison on every call, and `Node::kind` measures and UTF-8-checks the C
//! string on every call: both showed up in profiles of fact extraction.

use std::sync::OnceLock;

use tree_sitter::Node;

use crate::language;

macro_rules! fields {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// A tree-sitter-typescript field that rules and facts read.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Field { $($variant),* }

        const FIELD_NAMES: &[&str] = &[$($name),*];
    };
}

fields! {
    Alias => "alias",
    Alternative => "alternative",
    Arguments => "arguments",
    Body => "body",
    Condition => "condition",
    Consequence => "consequence",
    Constructor => "constructor",
    Declaration => "declaration",
    Decorator => "decorator",
    Finalizer => "finalizer",
    Function => "function",
    Handler => "handler",
    Key => "key",
    Left => "left",
    Name => "name",
    Object => "object",
    Operator => "operator",
    Parameter => "parameter",
    Parameters => "parameters",
    Pattern => "pattern",
    Property => "property",
    Right => "right",
    ReturnType => "return_type",
    Source => "source",
    Type => "type",
    TypeArguments => "type_arguments",
    TypeParameters => "type_parameters",
    Value => "value",
}

/// One grammar's field ids (in `Field` order) and kind names (by kind id).
struct Grammar {
    fields: Vec<u16>,
    kinds: Vec<&'static str>,
}

struct Grammars {
    /// The two grammars number fields and kinds differently; TSX has more fields (JSX attributes,
    /// tags), which is how a node's grammar is told.
    tsx_field_count: usize,
    typescript: Grammar,
    tsx: Grammar,
}

impl Grammars {
    fn get() -> &'static Grammars {
        static GRAMMARS: OnceLock<Grammars> = OnceLock::new();
        GRAMMARS.get_or_init(|| {
            let grammar = |tsx: bool| {
                let language = language(tsx);
                Grammar {
                    fields: FIELD_NAMES
                        .iter()
                        .map(|name| {
                            // A name the grammar lacks is a typo in FIELD_NAMES, caught by a test.
                            language.field_id_for_name(name).map_or(0, |id| id.get())
                        })
                        .collect(),
                    kinds: (0..language.node_kind_count())
                        .map(|id| {
                            u16::try_from(id)
                                .ok()
                                .and_then(|id| language.node_kind_for_id(id))
                                .unwrap_or("")
                        })
                        .collect(),
                }
            };
            Grammars {
                tsx_field_count: language(true).field_count(),
                typescript: grammar(false),
                tsx: grammar(true),
            }
        })
    }

    fn of(&self, node: &Node<'_>) -> &Grammar {
        if node.language().field_count() == self.tsx_field_count {
            &self.tsx
        } else {
            &self.typescript
        }
    }
}

/// Fast lookups of fields and kinds, and decorator children.
pub trait NodeExt<'t> {
    /// The child in that field, like `child_by_field_name("name")`.
    fn field(&self, field: Field) -> Option<Node<'t>>;

    /// The node's kind, like `Node::kind` but a table lookup (the crate's clippy configuration
    /// disallows `Node::kind`).
    fn kind_name(&self) -> &'static str;

    /// The children in the `decorator` field (a class's, a property's or a parameter's).
    fn decorators(&self) -> Vec<Node<'t>>;

    /// The first unnamed child whose text is `token` (`static`, `?`, `type`, ...).
    fn token(&self, token: &str) -> Option<Node<'t>>;
}

impl<'t> NodeExt<'t> for Node<'t> {
    fn field(&self, field: Field) -> Option<Node<'t>> {
        match Grammars::get().of(self).fields[field as usize] {
            0 => None,
            id => self.child_by_field_id(id),
        }
    }

    fn kind_name(&self) -> &'static str {
        let kinds = &Grammars::get().of(self).kinds;
        match kinds.get(usize::from(self.kind_id())) {
            Some(name) => name,
            // `ERROR` and the other built-in symbols live outside the table.
            #[allow(clippy::disallowed_methods)]
            None => self.kind(),
        }
    }

    fn decorators(&self) -> Vec<Node<'t>> {
        // In every node that has the field, its children of kind `decorator` are exactly the
        // field's: reading kinds by index is cheaper than a cursor asking each child's field.
        crate::named_children(*self)
            .filter(|child| child.kind_name() == "decorator")
            .collect()
    }

    fn token(&self, token: &str) -> Option<Node<'t>> {
        crate::children(*self).find(|child| !child.is_named() && child.kind_name() == token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_exists_in_both_grammars() {
        let ids = Grammars::get();
        for (i, name) in FIELD_NAMES.iter().enumerate() {
            assert_ne!(
                ids.typescript.fields[i], 0,
                "`{name}` is not a TypeScript field"
            );
            assert_ne!(ids.tsx.fields[i], 0, "`{name}` is not a TSX field");
        }
        assert_ne!(
            language(false).field_count(),
            ids.tsx_field_count,
            "the grammars must be told apart by their field count"
        );
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn field_matches_child_by_field_name_in_both_grammars() {
        for tsx in [false, true] {
            let tree = crate::parse("const a = f(b).c;", tsx).expect("parses");
            let declarator = tree
                .root_node()
                .named_child(0)
                .and_then(|d| d.named_child(0))
                .expect("declarator");
            let value = declarator.field(Field::Value).expect("value");
            assert_eq!(
                value,
                declarator.child_by_field_name("value").expect("value")
            );
            assert_eq!(
                value.field(Field::Property).map(|p| p.kind_name()),
                Some("property_identifier")
            );
            assert!(declarator.field(Field::Arguments).is_none());
        }
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn kind_name_and_token_agree_with_the_tree_sitter_api() {
        let source = "import type { A } from 'a';\nclass C { static x?: A; @Get() m(@Body() b: A) {} }\nconst = ;";
        for tsx in [false, true] {
            let tree = crate::parse(source, tsx).expect("parses");
            let mut stack = vec![tree.root_node()];
            let mut saw_error = false;
            while let Some(node) = stack.pop() {
                let expected = node.kind();
                assert_eq!(node.kind_name(), expected);
                saw_error |= expected == "ERROR";
                let mut cursor = node.walk();
                stack.extend(node.children(&mut cursor));
            }
            assert!(saw_error, "the sample has a syntax error");
            let import = tree.root_node().named_child(0).expect("import");
            assert!(import.token("type").is_some());
            assert!(import.token("static").is_none());
        }
    }
}
