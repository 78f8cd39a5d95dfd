use tree_sitter::Node;

use crate::{children, named_children, string_value, text, Field, Name, NodeExt};

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ImportedName {
    Named(Name),
    Default,
    /// `import * as x` and `import x = require(...)`.
    Namespace,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportBinding {
    pub local: Name,
    pub imported: ImportedName,
    pub source: Name,
    /// `import type { X }` or `import { type X }`: erased at run time.
    pub type_only: bool,
}

impl ImportBinding {
    /// True when this binding is the export `name` of the package `source` (or any package whose
    /// name starts with `source_prefix`, e.g. `class-validator`).
    pub fn is(&self, source: &str, name: &str) -> bool {
        self.source == source && matches!(&self.imported, ImportedName::Named(n) if n == name)
    }
}

/// The import bindings of a file, read from its top-level statements.
#[derive(Clone, Debug, Default)]
pub struct Imports {
    bindings: Vec<ImportBinding>,
}

impl Imports {
    pub fn from_program(root: Node<'_>, source: &str) -> Self {
        let mut bindings = Vec::new();
        for statement in named_children(root) {
            if statement.kind_name() == "import_statement" {
                read_import(statement, source, &mut bindings);
            }
        }
        Self { bindings }
    }

    pub fn get(&self, local: &str) -> Option<&ImportBinding> {
        self.bindings.iter().find(|b| b.local == local)
    }

    pub fn iter(&self) -> impl Iterator<Item = &ImportBinding> {
        self.bindings.iter()
    }

    pub fn into_bindings(self) -> Vec<ImportBinding> {
        self.bindings
    }

    /// Where `callee` (as written: `Controller`, or `nest.Controller` through a namespace import)
    /// comes from: `(source, exported name)`. `None` for names not imported.
    pub fn resolve_callee<'a>(
        &'a self,
        object: Option<&'a str>,
        name: &'a str,
    ) -> Option<(&'a str, &'a str)> {
        match object {
            None => {
                let binding = self.get(name)?;
                match &binding.imported {
                    ImportedName::Named(imported) => Some((&binding.source, imported)),
                    ImportedName::Default => Some((&binding.source, "default")),
                    ImportedName::Namespace => None,
                }
            }
            Some(object) => {
                let binding = self.get(object)?;
                (binding.imported == ImportedName::Namespace).then_some((&binding.source, name))
            }
        }
    }
}

/// The anonymous `type` token of `import type ...` or of `import { type X }`.
pub fn type_keyword(node: Node<'_>) -> Option<Node<'_>> {
    node.token("type")
}

fn read_import(statement: Node<'_>, source: &str, out: &mut Vec<ImportBinding>) {
    // One pass over the statement's children: `import`, `type`?, the clause, `from`, the source.
    let mut type_only = false;
    let mut from: Option<Name> = None;
    let mut clause = None;
    for child in children(statement) {
        match child.kind_name() {
            "type" if !child.is_named() => type_only = true,
            "string" => from = string_value(child, source).map(Name::from),
            "import_clause" | "import_require_clause" => clause = Some(child),
            _ => {}
        }
    }
    let Some(clause) = clause else { return };
    if clause.kind_name() == "import_require_clause" {
        let required = clause
            .field(Field::Source)
            .and_then(|s| string_value(s, source));
        let id = named_children(clause).find(|n| n.kind_name() == "identifier");
        if let (Some(required), Some(id)) = (required, id) {
            out.push(ImportBinding {
                local: Name::from(text(id, source)),
                imported: ImportedName::Namespace,
                source: required.into(),
                type_only,
            });
        }
        return;
    }
    let Some(from) = from else { return };
    for part in named_children(clause) {
        match part.kind_name() {
            "identifier" => out.push(ImportBinding {
                local: Name::from(text(part, source)),
                imported: ImportedName::Default,
                source: from.clone(),
                type_only,
            }),
            "namespace_import" => {
                if let Some(id) = named_children(part).find(|n| n.kind_name() == "identifier") {
                    out.push(ImportBinding {
                        local: Name::from(text(id, source)),
                        imported: ImportedName::Namespace,
                        source: from.clone(),
                        type_only,
                    });
                }
            }
            "named_imports" => {
                for spec in named_children(part) {
                    if spec.kind_name() == "import_specifier" {
                        read_specifier(spec, source, &from, type_only, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// `A`, `A as B`, `type A`, `'a-b' as B`: the name, then the alias if any, with an optional
/// `type` token first.
fn read_specifier(
    spec: Node<'_>,
    source: &str,
    from: &Name,
    statement_type_only: bool,
    out: &mut Vec<ImportBinding>,
) {
    let mut type_only = statement_type_only;
    let mut name = None;
    let mut alias = None;
    for child in children(spec) {
        if !child.is_named() {
            type_only |= child.kind_name() == "type";
        } else if child.kind_name() != "comment" {
            if name.is_none() {
                name = Some(child);
            } else {
                alias = Some(child);
            }
        }
    }
    let Some(name) = name else { return };
    let imported = match name.kind_name() {
        "string" => Name::from(string_value(name, source).unwrap_or_default()),
        _ => Name::from(text(name, source)),
    };
    out.push(ImportBinding {
        local: Name::from(text(alias.unwrap_or(name), source)),
        imported: ImportedName::Named(imported),
        source: from.clone(),
        type_only,
    });
}
