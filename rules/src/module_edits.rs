//! Edits to a project module's `@Module({ ... })` metadata, shared by the rules whose fixes wire
//! modules: adding an entry to `imports`, `exports` or `providers`.

use nestlint_diagnostics::Edit;
use nestlint_engine::edits::{append_to_list, node_at, prepend_to_list};
use nestlint_engine::facts::property_key;
use nestlint_engine::nest::ClassKey;
use nestlint_engine::syntax::{named_children, Field, Node, NodeExt};
use nestlint_engine::ProjectIndex;

/// The object literal given to the module's `@Module(...)`, found in `root` (the tree of the
/// module's file); `None` when the decorator has no object literal (a variable, a call).
pub(crate) fn module_metadata<'t>(
    index: &ProjectIndex,
    module: ClassKey,
    root: Node<'t>,
) -> Option<Node<'t>> {
    let decorator = index
        .class_at(module)
        .decorators
        .iter()
        .find(|d| index.is_export_of(module.file, &d.callee, "@nestjs/common", "Module"))?;
    let call = named_children(node_at(root, decorator.range)?)
        .find(|n| n.kind_name() == "call_expression")?;
    let metadata = named_children(call.field(Field::Arguments)?).next()?;
    (metadata.kind_name() == "object").then_some(metadata)
}

/// A metadata entry (`imports`, `exports`, ...) as the fix sees it.
pub(crate) enum MetadataList<'t> {
    /// The object has no such key.
    Absent,
    /// The key's value is an array literal.
    Array(Node<'t>),
}

/// The entry `key` of `metadata`; `None` when its value is not an array literal (a variable, a
/// spread, a call): the fix cannot see where an item would go.
pub(crate) fn metadata_list<'t>(
    metadata: Node<'t>,
    source: &str,
    key: &str,
) -> Option<MetadataList<'t>> {
    let pair = named_children(metadata).find(|pair| {
        pair.kind_name() == "pair"
            && pair
                .field(Field::Key)
                .is_some_and(|k| property_key(k, source).as_deref() == Some(key))
    });
    // A shorthand `{ imports }` or a spread may also hold the key: unknown.
    let hidden = named_children(metadata).any(|entry| match entry.kind_name() {
        "shorthand_property_identifier" => source.get(entry.byte_range()) == Some(key),
        "spread_element" => true,
        _ => false,
    });
    if hidden {
        return None;
    }
    match pair.map(|pair| pair.field(Field::Value)) {
        None => Some(MetadataList::Absent),
        Some(Some(value)) if value.kind_name() == "array" => Some(MetadataList::Array(value)),
        Some(_) => None,
    }
}

/// Whether the array holds the plain identifier `name`.
pub(crate) fn list_names(list: Node<'_>, source: &str, name: &str) -> bool {
    named_children(list)
        .any(|item| item.kind_name() == "identifier" && source.get(item.byte_range()) == Some(name))
}

/// The edit adding `item` to the metadata entry `key`: appended to its array, or a new
/// `key: [item]` entry (first in the object for `imports`, last for the others, as Nest's docs
/// order them).
pub(crate) fn add_to_metadata(
    source: &str,
    metadata: Node<'_>,
    list: MetadataList<'_>,
    key: &str,
    item: &str,
) -> Edit {
    match list {
        MetadataList::Array(array) => append_to_list(source, array, item),
        MetadataList::Absent if key == "imports" => {
            prepend_to_list(source, metadata, &format!("{key}: [{item}]"))
        }
        MetadataList::Absent => append_to_list(source, metadata, &format!("{key}: [{item}]")),
    }
}
