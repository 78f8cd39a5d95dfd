//! Edits that rules compose into fixes: adding an import, appending to a list, finding the node
//! a fact's range points at. They follow the file's own style (quotes, semicolons, one item per
//! line or not) so a fixed file reads as if written by hand.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use nestlint_diagnostics::{Edit, TextRange};
use nestlint_syntax::{
    is_tsx, named_children, parse, string_value, text, type_keyword, without_bom, Field,
    ImportedName, Imports, Node, NodeExt, Tree,
};

/// Parses a file's text for building a fix (a byte-order mark is blanked, offsets kept).
pub fn parse_for_edit(path: &Path, source: &str) -> Option<Tree> {
    parse(&without_bom(source), is_tsx(path))
}

/// The node spanning exactly `range` (the outermost, when several do).
pub fn node_at(root: Node<'_>, range: TextRange) -> Option<Node<'_>> {
    let mut node = root.descendant_for_byte_range(range.start(), range.end())?;
    while node.start_byte() == range.start() && node.end_byte() == range.end() {
        match node.parent() {
            Some(parent)
                if parent.start_byte() == range.start() && parent.end_byte() == range.end() =>
            {
                node = parent
            }
            _ => return Some(node),
        }
    }
    None
}

/// Why an import cannot be added.
#[derive(Debug, PartialEq, Eq)]
pub enum ImportConflict {
    /// The name is already bound to something else in the file.
    NameTaken,
}

/// An edit importing `name` from `module` as a value, or `None` when it already is. Extends an
/// existing `import { ... } from 'module'` when there is one, else adds a statement after the
/// last import.
pub fn ensure_import(
    root: Node<'_>,
    source: &str,
    module: &str,
    name: &str,
) -> Result<Option<Edit>, ImportConflict> {
    ImportSite::read(root, source).ensure(module, name)
}

/// What adding an import to a file needs to know of it, read once: a rule fixing a thousand
/// parameters of one file asks a thousand times, and reading the file each time was quadratic.
#[derive(Debug)]
pub struct ImportSite {
    imports: Imports,
    /// Names the file declares at top level (classes, functions, enums, variables).
    declared: HashSet<String>,
    /// Per module, how to add a name to its first `import { ... } from 'module'` that is not
    /// type-only.
    extendable: HashMap<String, ListAppend>,
    /// The quote of the first import's specifier.
    quote: char,
    /// Whether the last import ends with a semicolon (or there is none).
    semicolon: bool,
    /// Where the last import ends.
    last_import_end: Option<usize>,
    /// Where a first import goes: before the first statement, after a leading comment.
    first_statement: usize,
}

impl ImportSite {
    pub fn read(root: Node<'_>, source: &str) -> ImportSite {
        let mut declared = HashSet::new();
        let mut extendable = HashMap::new();
        let mut statements: Vec<Node<'_>> = Vec::new();
        let mut first_statement = None;
        for statement in named_children(root) {
            if first_statement.is_none() && statement.kind_name() != "comment" {
                first_statement = Some(statement.start_byte());
            }
            if statement.kind_name() == "import_statement" {
                statements.push(statement);
                let extendable_list = statement
                    .field(Field::Source)
                    .and_then(|from| string_value(from, source))
                    .filter(|_| type_keyword(statement).is_none())
                    .and_then(|module| {
                        let clause =
                            named_children(statement).find(|c| c.kind_name() == "import_clause")?;
                        let list =
                            named_children(clause).find(|c| c.kind_name() == "named_imports")?;
                        Some((module, list))
                    });
                if let Some((module, list)) = extendable_list {
                    extendable
                        .entry(module.to_string())
                        .or_insert_with(|| ListAppend::of(source, list));
                }
                continue;
            }
            declared.extend(declared_names(statement, source).map(str::to_owned));
        }
        let quote = statements
            .first()
            .and_then(|s| s.field(Field::Source))
            .and_then(|s| text(s, source).chars().next())
            .filter(|c| *c == '"' || *c == '\'')
            .unwrap_or('\'');
        let semicolon = statements
            .last()
            .is_none_or(|s| text(*s, source).trim_end().ends_with(';'));
        let first_statement = first_statement.unwrap_or(root.end_byte());
        ImportSite {
            imports: Imports::from_program(root, source),
            declared,
            extendable,
            quote,
            semicolon,
            last_import_end: statements.last().map(|s| s.end_byte()),
            // A byte-order mark stays first.
            first_statement: if first_statement == 0 && source.starts_with('\u{feff}') {
                3
            } else {
                first_statement
            },
        }
    }

    /// An edit importing `name` from `module` as a value, or `None` when it already is.
    pub fn ensure(&self, module: &str, name: &str) -> Result<Option<Edit>, ImportConflict> {
        if let Some(binding) = self.imports.get(name) {
            let same = binding.source == module
                && binding.imported == ImportedName::Named(name.into())
                && !binding.type_only;
            return if same {
                Ok(None)
            } else {
                Err(ImportConflict::NameTaken)
            };
        }
        if self.declared.contains(name) {
            return Err(ImportConflict::NameTaken);
        }
        if let Some(append) = self.extendable.get(module) {
            return Ok(Some(append.edit(name)));
        }
        let quote = self.quote;
        let statement = format!(
            "import {{ {name} }} from {quote}{module}{quote}{}",
            if self.semicolon { ";" } else { "" }
        );
        Ok(Some(match self.last_import_end {
            Some(end) => Edit::insertion(end, format!("\n{statement}")),
            None => Edit::insertion(self.first_statement, format!("{statement}\n\n")),
        }))
    }
}

/// The names a top-level statement declares (a class, function, enum, variables).
fn declared_names<'s>(statement: Node<'_>, source: &'s str) -> impl Iterator<Item = &'s str> {
    let declaration = if statement.kind_name() == "export_statement" {
        statement.field(Field::Declaration)
    } else {
        Some(statement)
    };
    let mut names = Vec::new();
    if let Some(declaration) = declaration {
        match declaration.kind_name() {
            "lexical_declaration" | "variable_declaration" => names.extend(
                named_children(declaration)
                    .filter_map(|d| d.field(Field::Name))
                    .map(|n| text(n, source)),
            ),
            _ => names.extend(declaration.field(Field::Name).map(|n| text(n, source))),
        }
    }
    names.into_iter()
}

/// Deletes a `type` token and the blanks after it.
fn delete_type_keyword(keyword: Node<'_>) -> Edit {
    let end = keyword
        .next_sibling()
        .map_or(keyword.end_byte(), |n| n.start_byte());
    Edit::deletion(TextRange::new(keyword.start_byte(), end))
}

/// Edits turning the type-only import of `local` into a value import, leaving the statement's
/// other names type-only (`import type { A, B }` becomes `import { A, type B }`). `None` when
/// `local` is not imported type-only.
pub fn value_import(root: Node<'_>, source: &str, local: &str) -> Option<Vec<Edit>> {
    for statement in named_children(root).filter(|n| n.kind_name() == "import_statement") {
        let Some(clause) = named_children(statement).find(|c| c.kind_name() == "import_clause")
        else {
            continue;
        };
        let default = named_children(clause).find(|c| c.kind_name() == "identifier");
        let specifiers: Vec<Node<'_>> = named_children(clause)
            .filter(|c| c.kind_name() == "named_imports")
            .flat_map(named_children)
            .filter(|s| s.kind_name() == "import_specifier")
            .collect();
        let local_of = |specifier: &Node<'_>| {
            specifier
                .field(Field::Alias)
                .or_else(|| specifier.field(Field::Name))
                .map(|n| text(n, source))
        };
        let found = specifiers.iter().find(|s| local_of(s) == Some(local));
        let is_default = default.is_some_and(|d| text(d, source) == local);
        if found.is_none() && !is_default {
            continue;
        }
        if let Some(keyword) = type_keyword(statement) {
            // One edit over the whole clause, so that two such fixes of one statement conflict:
            // a round applies one and the next sees the statement as it now is. Applied together,
            // each would mark the other's name type-only again.
            let (start, end) = (keyword.start_byte(), clause.end_byte());
            let mut cursor = keyword
                .next_sibling()
                .map_or(keyword.end_byte(), |n| n.start_byte());
            let mut clause_text = String::new();
            for other in specifiers.iter().filter(|s| local_of(s) != Some(local)) {
                clause_text.push_str(&source[cursor..other.start_byte()]);
                clause_text.push_str("type ");
                cursor = other.start_byte();
            }
            clause_text.push_str(&source[cursor..end]);
            return Some(vec![Edit::replacement(
                TextRange::new(start, end),
                clause_text,
            )]);
        }
        return found
            .and_then(|specifier| type_keyword(*specifier))
            .map(|keyword| vec![delete_type_keyword(keyword)]);
    }
    None
}

/// The blanks that start the line holding `offset`.
fn line_indent(source: &str, offset: usize) -> &str {
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &source[line_start..offset];
    &line[..line.len() - line.trim_start().len()]
}

/// An edit replacing the blanks inside an empty bracketed list with `item` (braces get spaces).
fn fill_empty_list(list: Node<'_>, item: &str) -> Edit {
    let open = list.start_byte() + 1;
    let close = list.end_byte().saturating_sub(1).max(open);
    let padded = if matches!(list.kind_name(), "named_imports" | "object") {
        format!(" {item} ")
    } else {
        item.to_owned()
    };
    Edit::replacement(TextRange::new(open, close), padded)
}

fn list_elements(list: Node<'_>) -> Vec<Node<'_>> {
    named_children(list)
        .filter(|n| n.kind_name() != "comment")
        .collect()
}

/// An edit putting `item` first in a bracketed, comma-separated list (an object's entries, say),
/// on a line of its own when the first element has one.
pub fn prepend_to_list(source: &str, list: Node<'_>, item: &str) -> Edit {
    let Some(first) = list_elements(list).into_iter().next() else {
        return fill_empty_list(list, item);
    };
    let separator = if source[list.start_byte()..first.start_byte()].contains('\n') {
        format!(",\n{}", line_indent(source, first.start_byte()))
    } else {
        ", ".to_owned()
    };
    Edit::insertion(first.start_byte(), format!("{item}{separator}"))
}

/// An edit appending `item` to a bracketed, comma-separated list (`[...]`, `{ ... }` of named
/// imports, `(...)`): after the last element, keeping a trailing comma and one-per-line layout.
pub fn append_to_list(source: &str, list: Node<'_>, item: &str) -> Edit {
    ListAppend::of(source, list).edit(item)
}

/// How to add an item at the end of a bracketed list, worked out once for any item: the text
/// to replace (empty for an insertion) and what goes around the item.
#[derive(Debug)]
pub struct ListAppend {
    range: TextRange,
    before: String,
    after: String,
}

impl ListAppend {
    pub fn of(source: &str, list: Node<'_>) -> ListAppend {
        let elements = list_elements(list);
        let Some(last) = elements.last() else {
            // An empty list: its blanks give way to the item (braces get spaces).
            let open = list.start_byte() + 1;
            let close = list.end_byte().saturating_sub(1).max(open);
            let pad = if matches!(list.kind_name(), "named_imports" | "object") {
                " "
            } else {
                ""
            };
            return ListAppend {
                range: TextRange::new(open, close),
                before: pad.to_owned(),
                after: pad.to_owned(),
            };
        };
        let end = last.end_byte();
        let after = &source[end..list.end_byte()];
        let trailing_comma = after.trim_start().starts_with(',');
        let multiline = source[list.start_byte()..list.end_byte()].contains('\n')
            && source[list.start_byte()..last.start_byte()].contains('\n');
        let (at, before, after) = if multiline {
            let indent = line_indent(source, last.start_byte());
            if trailing_comma {
                let comma = end + after.find(',').unwrap_or(0) + 1;
                (comma, format!("\n{indent}"), ",".to_owned())
            } else {
                (end, format!(",\n{indent}"), String::new())
            }
        } else {
            (end, ", ".to_owned(), String::new())
        };
        ListAppend {
            range: TextRange::new(at, at),
            before,
            after,
        }
    }

    pub fn edit(&self, item: &str) -> Edit {
        Edit::replacement(self.range, format!("{}{item}{}", self.before, self.after))
    }
}

/// The specifier that imports `target` from a file in `from_dir`: relative, `/`-separated,
/// without the `.ts` extension, `./` for the same directory.
pub fn relative_specifier(from_dir: &Path, target: &Path) -> Option<String> {
    let target = strip_ts_extension(target);
    let from: Vec<Component<'_>> = from_dir.components().collect();
    let to: Vec<Component<'_>> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return None;
    }
    let mut parts: Vec<String> = Vec::new();
    for _ in common..from.len() {
        parts.push("..".to_owned());
    }
    for part in &to[common..] {
        parts.push(part.as_os_str().to_str()?.to_owned());
    }
    let joined = parts.join("/");
    Some(if joined.starts_with("..") {
        joined
    } else {
        format!("./{joined}")
    })
}

fn strip_ts_extension(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    for extension in [".d.ts", ".tsx", ".ts"] {
        if let Some(stem) = name.strip_suffix(extension) {
            return path.with_file_name(stem);
        }
    }
    path.to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nestlint_diagnostics::apply_edits;

    fn with_import(source: &str, module: &str, name: &str) -> String {
        let tree = parse_for_edit(Path::new("a.ts"), source).unwrap();
        match ensure_import(tree.root_node(), source, module, name) {
            Ok(Some(edit)) => apply_edits(source, &[&edit]),
            Ok(None) => source.to_owned(),
            Err(_) => "conflict".to_owned(),
        }
    }

    #[test]
    fn extends_an_import_of_the_module() {
        assert_eq!(
            with_import("import { A } from 'm';\nx;\n", "m", "B"),
            "import { A, B } from 'm';\nx;\n"
        );
        assert_eq!(
            with_import("import {\n  A,\n  C,\n} from \"m\";\n", "m", "B"),
            "import {\n  A,\n  C,\n  B,\n} from \"m\";\n"
        );
        assert_eq!(
            with_import("import {\n  A\n} from 'm'\n", "m", "B"),
            "import {\n  A,\n  B\n} from 'm'\n"
        );
        assert_eq!(
            with_import("import { B } from 'm';\n", "m", "B"),
            "import { B } from 'm';\n"
        );
    }

    #[test]
    fn adds_a_statement_in_the_file_style() {
        assert_eq!(
            with_import("import { A } from \"x\"\nclass C {}\n", "m", "B"),
            "import { A } from \"x\"\nimport { B } from \"m\"\nclass C {}\n"
        );
        assert_eq!(
            with_import("import type { B } from 'm';\n", "m", "B"),
            "conflict"
        );
        assert_eq!(
            with_import("// header\nclass C {}\n", "m", "B"),
            "// header\nimport { B } from 'm';\n\nclass C {}\n"
        );
        assert_eq!(with_import("export class B {}\n", "m", "B"), "conflict");
    }

    #[test]
    fn type_only_imports_become_value_imports() {
        let fixed = |source: &str, local: &str| {
            let tree = parse_for_edit(Path::new("a.ts"), source).unwrap();
            let edits = value_import(tree.root_node(), source, local)?;
            Some(apply_edits(source, &edits.iter().collect::<Vec<_>>()))
        };
        assert_eq!(
            fixed("import type { A } from 'm';", "A").as_deref(),
            Some("import { A } from 'm';")
        );
        assert_eq!(
            fixed("import type { A, B as C } from 'm';", "A").as_deref(),
            Some("import { A, type B as C } from 'm';")
        );
        assert_eq!(
            fixed("import { type A, B } from 'm';", "A").as_deref(),
            Some("import { A, B } from 'm';")
        );
        assert_eq!(fixed("import { A } from 'm';", "A"), None);
    }

    #[test]
    fn specifiers_are_relative_and_extensionless() {
        let spec = |from: &str, to: &str| relative_specifier(Path::new(from), Path::new(to));
        assert_eq!(
            spec("/p/src/orders", "/p/src/orders/order.entity.ts").as_deref(),
            Some("./order.entity")
        );
        assert_eq!(
            spec("/p/src/orders", "/p/src/shared/user.entity.ts").as_deref(),
            Some("../shared/user.entity")
        );
    }
}
