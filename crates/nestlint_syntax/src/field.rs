//! Named fields resolved to ids once per grammar. `Node::child_by_field_name` looks the name up by
//! string comparison on every call, which showed up in profiles of fact extraction.

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
    Arguments => "arguments",
    Body => "body",
    Constructor => "constructor",
    Declaration => "declaration",
    Function => "function",
    Key => "key",
    Name => "name",
    Object => "object",
    Operator => "operator",
    Parameters => "parameters",
    Pattern => "pattern",
    Property => "property",
    Right => "right",
    Source => "source",
    Type => "type",
    TypeArguments => "type_arguments",
    TypeParameters => "type_parameters",
    Value => "value",
}

struct FieldIds {
    /// The two grammars number their fields differently; TSX has more (JSX attributes, tags).
    tsx_field_count: usize,
    typescript: Vec<u16>,
    tsx: Vec<u16>,
}

fn field_ids() -> &'static FieldIds {
    static IDS: OnceLock<FieldIds> = OnceLock::new();
    IDS.get_or_init(|| {
        let ids = |tsx: bool| {
            let language = language(tsx);
            FIELD_NAMES
                .iter()
                .map(|name| {
                    // A name the grammar lacks is a typo in FIELD_NAMES, caught by the test below.
                    language.field_id_for_name(name).map_or(0, |id| id.get())
                })
                .collect()
        };
        FieldIds {
            tsx_field_count: language(true).field_count(),
            typescript: ids(false),
            tsx: ids(true),
        }
    })
}

/// `node.field(Field::Name)`: the child in that field, like `child_by_field_name("name")`.
pub trait NodeExt<'t> {
    fn field(&self, field: Field) -> Option<Node<'t>>;
}

impl<'t> NodeExt<'t> for Node<'t> {
    fn field(&self, field: Field) -> Option<Node<'t>> {
        let ids = field_ids();
        let table = if self.language().field_count() == ids.tsx_field_count {
            &ids.tsx
        } else {
            &ids.typescript
        };
        match table[field as usize] {
            0 => None,
            id => self.child_by_field_id(id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_exists_in_both_grammars() {
        let ids = field_ids();
        for (i, name) in FIELD_NAMES.iter().enumerate() {
            assert_ne!(ids.typescript[i], 0, "`{name}` is not a TypeScript field");
            assert_ne!(ids.tsx[i], 0, "`{name}` is not a TSX field");
        }
        assert_ne!(
            language(false).field_count(),
            ids.tsx_field_count,
            "the grammars must be told apart by their field count"
        );
    }

    #[test]
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
                value.field(Field::Property).map(|p| p.kind()),
                Some("property_identifier")
            );
            assert!(declarator.field(Field::Arguments).is_none());
        }
    }
}
