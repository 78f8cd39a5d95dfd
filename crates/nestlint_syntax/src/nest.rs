//! Views over the tree shapes NestJS code takes (verified in style.md §6): rules ask these
//! questions instead of walking nodes.

use tree_sitter::Node;

use crate::{named_children, object_text, text, unwrap_expression, Field, NodeExt};

/// A class declaration, abstract class declaration or class expression.
#[derive(Clone, Copy, Debug)]
pub struct ClassView<'t> {
    pub node: Node<'t>,
}

pub fn is_class_kind(kind: &str) -> bool {
    matches!(
        kind,
        "class_declaration" | "abstract_class_declaration" | "class"
    )
}

/// How many levels [`ClassView::enclosing`] climbs.
pub const ENCLOSING_LIMIT: usize = 64;

impl<'t> ClassView<'t> {
    pub fn new(node: Node<'t>) -> Option<Self> {
        is_class_kind(node.kind_name()).then_some(Self { node })
    }

    /// The class enclosing `node` within [`ENCLOSING_LIMIT`] levels, if any. Each step up costs
    /// tree-sitter a descent from the root, so the walk is bounded: code nested deeper inside a
    /// class is not looked at.
    pub fn enclosing(mut node: Node<'t>) -> Option<Self> {
        for _ in 0..ENCLOSING_LIMIT {
            let parent = node.parent()?;
            if let Some(class) = Self::new(parent) {
                return Some(class);
            }
            node = parent;
        }
        None
    }

    pub fn name_node(&self) -> Option<Node<'t>> {
        self.node.field(Field::Name)
    }

    pub fn name<'s>(&self, source: &'s str) -> Option<&'s str> {
        self.name_node().map(|n| text(n, source))
    }

    /// The `export_statement` wrapping the class, if it is exported.
    pub fn export_statement(&self) -> Option<Node<'t>> {
        self.node
            .parent()
            .filter(|parent| parent.kind_name() == "export_statement")
    }

    /// The class's decorators, whether written before `export` (they attach to the
    /// `export_statement`) or after it (they attach to the class), in source order.
    pub fn decorators(&self) -> Vec<Node<'t>> {
        self.decorators_with(self.export_statement())
    }

    /// [`ClassView::decorators`] when the caller has already found the `export_statement`
    /// (finding it asks for the parent, which tree-sitter finds by descending from the root).
    pub fn decorators_with(&self, export_statement: Option<Node<'t>>) -> Vec<Node<'t>> {
        let mut out = export_statement
            .map(|export| export.decorators())
            .unwrap_or_default();
        out.extend(self.node.decorators());
        out
    }

    /// The expression after `extends` (`Base`, `PartialType(CreateDto)`, `PassportStrategy(S)`).
    pub fn extends(&self) -> Option<Node<'t>> {
        let heritage = named_children(self.node).find(|c| c.kind_name() == "class_heritage")?;
        let clause = named_children(heritage).find(|c| c.kind_name() == "extends_clause")?;
        clause.field(Field::Value)
    }

    pub fn body(&self) -> Option<Node<'t>> {
        self.node.field(Field::Body)
    }

    /// Whether the class `implements` an interface named `interface` (as written).
    pub fn implements(&self, source: &str, interface: &str) -> bool {
        named_children(self.node)
            .filter(|c| c.kind_name() == "class_heritage")
            .flat_map(named_children)
            .filter(|c| c.kind_name() == "implements_clause")
            .flat_map(named_children)
            .any(|t| {
                let t = if t.kind_name() == "generic_type" {
                    t.field(Field::Name).unwrap_or(t)
                } else {
                    t
                };
                text(t, source) == interface
            })
    }

    /// The members with their decorators: a method's decorators are the `decorator` siblings that
    /// precede it in the class body (comments skipped); a property's are its own field.
    pub fn members(&self) -> Vec<Member<'t>> {
        let mut members = Vec::new();
        let Some(body) = self.body() else {
            return members;
        };
        let mut pending = Vec::new();
        for child in named_children(body) {
            match child.kind_name() {
                "decorator" => pending.push(child),
                "method_definition" | "method_signature" | "abstract_method_signature" => {
                    let parts = Parts::of(child);
                    members.push(Member {
                        node: child,
                        kind: MemberKind::Method,
                        decorators: std::mem::take(&mut pending),
                        is_static: parts.is_static,
                        is_optional: parts.is_optional,
                    });
                }
                "public_field_definition" => {
                    pending.clear();
                    let parts = Parts::of(child);
                    members.push(Member {
                        node: child,
                        kind: MemberKind::Property,
                        decorators: parts.decorators,
                        is_static: parts.is_static,
                        is_optional: parts.is_optional,
                    });
                }
                _ => pending.clear(),
            }
        }
        members
    }

    /// The `constructor` method, if the class declares one.
    pub fn constructor(&self, source: &str) -> Option<Node<'t>> {
        let body = self.body()?;
        named_children(body).find(|member| {
            member.kind_name() == "method_definition"
                && member
                    .field(Field::Name)
                    .is_some_and(|name| text(name, source) == "constructor")
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberKind {
    Method,
    Property,
}

/// A class member, read with its modifiers in one pass over its children.
#[derive(Clone, Debug)]
pub struct Member<'t> {
    pub node: Node<'t>,
    pub kind: MemberKind,
    pub decorators: Vec<Node<'t>>,
    pub is_static: bool,
    /// `name?` on a property or method.
    pub is_optional: bool,
}

impl<'t> Member<'t> {
    pub fn name_node(&self) -> Option<Node<'t>> {
        self.node.field(Field::Name)
    }

    pub fn name<'s>(&self, source: &'s str) -> &'s str {
        self.name_node().map_or("", |n| text(n, source))
    }

    pub fn is_constructor(&self, source: &str) -> bool {
        self.kind == MemberKind::Method && self.name(source) == "constructor"
    }

    /// The parameters of a method member.
    pub fn params(&self) -> Vec<ParamView<'t>> {
        method_params(self.node)
    }

    /// The type of a property member (the node inside its `type_annotation`).
    pub fn type_node(&self) -> Option<Node<'t>> {
        type_of(self.node)
    }
}

/// What a parameter or class member says around its name, read in one pass over its children
/// (each question asked alone would walk them again). Decorators are the member's own children:
/// a method's are its siblings, see [`ClassView::members`].
#[derive(Clone, Debug, Default)]
pub struct Parts<'t> {
    pub decorators: Vec<Node<'t>>,
    /// The type written in its annotation (a method's is its return type).
    pub type_node: Option<Node<'t>>,
    pub is_static: bool,
    /// `name?`
    pub is_optional: bool,
    pub is_readonly: bool,
    /// `public`, `private` or `protected`.
    pub has_accessibility: bool,
}

impl<'t> Parts<'t> {
    pub fn of(node: Node<'t>) -> Self {
        let mut parts = Parts::default();
        for child in crate::children(node) {
            match child.kind_name() {
                "decorator" => parts.decorators.push(child),
                "type_annotation" => parts.type_node = named_children(child).next(),
                "accessibility_modifier" => parts.has_accessibility = true,
                "static" if !child.is_named() => parts.is_static = true,
                "?" => parts.is_optional = true,
                "readonly" if !child.is_named() => parts.is_readonly = true,
                _ => {}
            }
        }
        parts
    }

    /// `private x: T`, `readonly x: T`: a constructor parameter property.
    pub fn is_parameter_property(&self) -> bool {
        self.has_accessibility || self.is_readonly
    }
}

fn type_of(node: Node<'_>) -> Option<Node<'_>> {
    let annotation = node.field(Field::Type)?;
    named_children(annotation).next()
}

/// The parameters of a method or function node.
pub fn method_params(method: Node<'_>) -> Vec<ParamView<'_>> {
    let Some(parameters) = method.field(Field::Parameters) else {
        return Vec::new();
    };
    named_children(parameters)
        .filter(|p| matches!(p.kind_name(), "required_parameter" | "optional_parameter"))
        .map(|node| ParamView { node })
        .collect()
}

/// A `required_parameter` or `optional_parameter`.
#[derive(Clone, Copy, Debug)]
pub struct ParamView<'t> {
    pub node: Node<'t>,
}

impl<'t> ParamView<'t> {
    /// Its decorators, type and modifiers, read in one pass.
    pub fn parts(&self) -> Parts<'t> {
        Parts::of(self.node)
    }

    pub fn pattern(&self) -> Option<Node<'t>> {
        self.node.field(Field::Pattern)
    }

    pub fn name<'s>(&self, source: &'s str) -> &'s str {
        self.pattern().map_or("", |n| text(n, source))
    }

    /// The type written in the annotation, if any.
    pub fn type_node(&self) -> Option<Node<'t>> {
        type_of(self.node)
    }

    pub fn is_optional(&self) -> bool {
        self.node.kind_name() == "optional_parameter"
    }
}

/// A decorator's callee: `Get` in `@Get()`, or `nest` + `Get` in `@nest.Get()`.
#[derive(Clone, Copy, Debug)]
pub struct Callee<'s> {
    pub object: Option<&'s str>,
    pub name: &'s str,
}

/// A `decorator` node.
#[derive(Clone, Copy, Debug)]
pub struct DecoratorView<'t> {
    pub node: Node<'t>,
    /// What follows `@`, without parentheses or casts: read once, asked about several times.
    expression: Option<Node<'t>>,
}

impl<'t> DecoratorView<'t> {
    pub fn new(node: Node<'t>) -> Self {
        Self {
            node,
            expression: named_children(node).next().map(unwrap_expression),
        }
    }

    /// The call, when the decorator is called (`@Get()`), else `None` (`@Optional`).
    pub fn call(&self) -> Option<Node<'t>> {
        self.expression
            .filter(|e| e.kind_name() == "call_expression")
    }

    pub fn callee<'s>(&self, source: &'s str) -> Option<Callee<'s>> {
        let expression = self.expression?;
        let target = match expression.kind_name() {
            "call_expression" => crate::call_function(expression)?,
            _ => expression,
        };
        callee_of(target, source)
    }

    /// The call's arguments (empty for an uncalled decorator).
    pub fn arguments(&self) -> Vec<Node<'t>> {
        self.call()
            .and_then(|call| call.field(Field::Arguments))
            .map(|args| named_children(args).collect())
            .unwrap_or_default()
    }
}

/// `identifier` → name; `a.b` → object `a` + name `b` (deeper chains keep only the last two parts).
pub fn callee_of<'s>(node: Node<'_>, source: &'s str) -> Option<Callee<'s>> {
    match node.kind_name() {
        "identifier" | "type_identifier" => Some(Callee {
            object: None,
            name: text(node, source),
        }),
        "member_expression" => {
            let object = unwrap_expression(node.field(Field::Object)?);
            let property = node.field(Field::Property)?;
            Some(Callee {
                object: Some(object_text(object, source)),
                name: text(property, source),
            })
        }
        _ => None,
    }
}
