//! Owned facts extracted from one file in phase 1. No tree or node survives the file's pass: the
//! project pass sees only these.

use nestlint_diagnostics::TextRange;
use nestlint_syntax::nest::{callee_of, ClassView, DecoratorView, MemberKind, ParamView};
use nestlint_syntax::{named_children, string_value, text, unwrap_expression, ImportBinding, Node};

/// How deep expression values are modelled; deeper parts become `Value::Unknown`.
const MAX_VALUE_DEPTH: usize = 8;

/// A callee as written: `forFeature` on `TypeOrmModule`, or a plain `UseGuards`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalleeName {
    pub object: Option<String>,
    pub name: String,
}

/// A small, owned model of the expressions NestJS metadata is written in. Anything else is
/// `Unknown`: rules must treat it as "cannot see", never as empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Ident(String),
    /// `a.b` (deeper chains keep their last two parts in `object`/`property`, `object` being text).
    Member {
        object: String,
        property: String,
    },
    Call {
        callee: CalleeName,
        args: Vec<Value>,
    },
    New {
        class: CalleeName,
        args: Vec<Value>,
    },
    String(String),
    Object {
        entries: Vec<(String, Value)>,
        /// A spread or computed key: the object may hold more than `entries`.
        open: bool,
    },
    Array(Vec<Value>),
    Spread(Box<Value>),
    /// `() => X`: the body when it is an expression.
    Arrow(Box<Value>),
    Literal,
    Unknown,
}

impl Value {
    pub fn from_node(node: Node<'_>, source: &str) -> Value {
        Self::build(node, source, 0)
    }

    fn build(node: Node<'_>, source: &str, depth: usize) -> Value {
        if depth > MAX_VALUE_DEPTH {
            return Value::Unknown;
        }
        let node = unwrap_expression(node);
        match node.kind() {
            "identifier" | "shorthand_property_identifier" => {
                Value::Ident(text(node, source).to_owned())
            }
            "member_expression" => {
                match (
                    node.child_by_field_name("object"),
                    node.child_by_field_name("property"),
                ) {
                    (Some(object), Some(property)) => Value::Member {
                        object: text(unwrap_expression(object), source).to_owned(),
                        property: text(property, source).to_owned(),
                    },
                    _ => Value::Unknown,
                }
            }
            "call_expression" => {
                let callee = node
                    .child_by_field_name("function")
                    .and_then(|f| callee_of(unwrap_expression(f), source));
                match callee {
                    Some(callee) => Value::Call {
                        callee: CalleeName {
                            object: callee.object.map(str::to_owned),
                            name: callee.name.to_owned(),
                        },
                        args: Self::arguments(node, source, depth),
                    },
                    None => Value::Unknown,
                }
            }
            "new_expression" => {
                let class = node
                    .child_by_field_name("constructor")
                    .and_then(|c| callee_of(unwrap_expression(c), source));
                match class {
                    Some(class) => Value::New {
                        class: CalleeName {
                            object: class.object.map(str::to_owned),
                            name: class.name.to_owned(),
                        },
                        args: Self::arguments(node, source, depth),
                    },
                    None => Value::Unknown,
                }
            }
            "string" | "template_string" => match string_value(node, source) {
                Some(s) => Value::String(s),
                None => Value::Unknown,
            },
            "object" => {
                let mut entries = Vec::new();
                let mut open = false;
                for child in named_children(node) {
                    match child.kind() {
                        "pair" => {
                            let key = child.child_by_field_name("key");
                            let value = child.child_by_field_name("value");
                            match (key.and_then(|k| property_key(k, source)), value) {
                                (Some(key), Some(value)) => {
                                    entries.push((key, Self::build(value, source, depth + 1)))
                                }
                                _ => open = true,
                            }
                        }
                        "shorthand_property_identifier" => {
                            let name = text(child, source).to_owned();
                            entries.push((name.clone(), Value::Ident(name)));
                        }
                        "method_definition" => {
                            if let Some(name) = child.child_by_field_name("name") {
                                entries.push((text(name, source).to_owned(), Value::Unknown));
                            }
                        }
                        _ => open = true,
                    }
                }
                Value::Object { entries, open }
            }
            "array" => Value::Array(
                named_children(node)
                    .map(|item| Self::build(item, source, depth + 1))
                    .collect(),
            ),
            "spread_element" => match named_children(node).next() {
                Some(inner) => Value::Spread(Box::new(Self::build(inner, source, depth + 1))),
                None => Value::Unknown,
            },
            "arrow_function" => match node.child_by_field_name("body") {
                Some(body) if body.kind() != "statement_block" => {
                    Value::Arrow(Box::new(Self::build(body, source, depth + 1)))
                }
                _ => Value::Unknown,
            },
            "number" | "true" | "false" | "null" | "undefined" | "regex" => Value::Literal,
            _ => Value::Unknown,
        }
    }

    fn arguments(call: Node<'_>, source: &str, depth: usize) -> Vec<Value> {
        call.child_by_field_name("arguments")
            .filter(|args| args.kind() == "arguments")
            .map(|args| {
                named_children(args)
                    .map(|a| Self::build(a, source, depth + 1))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The entry `key` of an object value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object { entries, .. } => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_ident(&self) -> Option<&str> {
        match self {
            Value::Ident(name) => Some(name),
            _ => None,
        }
    }
}

/// The key of a `pair`: an identifier, a string, or a number; computed keys are unknown.
pub fn property_key(key: Node<'_>, source: &str) -> Option<String> {
    match key.kind() {
        "property_identifier" | "number" => Some(text(key, source).to_owned()),
        "string" => string_value(key, source),
        _ => None,
    }
}

/// A type as written in an annotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeRef {
    /// `Foo`, `Repository<User>`, `ns.Foo` (qualified names keep their text).
    Named {
        name: String,
        args: Vec<TypeRef>,
    },
    /// `any`, `object`, `string`, ...
    Keyword(String),
    /// An inline object type `{ a: string }`.
    ObjectLiteral,
    Array(Box<TypeRef>),
    Other,
}

impl TypeRef {
    pub fn from_node(node: Node<'_>, source: &str) -> TypeRef {
        match node.kind() {
            "type_identifier" | "nested_type_identifier" | "identifier" => TypeRef::Named {
                name: text(node, source).to_owned(),
                args: Vec::new(),
            },
            "generic_type" => {
                let name = node
                    .child_by_field_name("name")
                    .map(|n| text(n, source).to_owned())
                    .unwrap_or_default();
                let args = node
                    .child_by_field_name("type_arguments")
                    .map(|ta| {
                        named_children(ta)
                            .map(|a| TypeRef::from_node(a, source))
                            .collect()
                    })
                    .unwrap_or_default();
                TypeRef::Named { name, args }
            }
            "predefined_type" => TypeRef::Keyword(text(node, source).to_owned()),
            "object_type" => TypeRef::ObjectLiteral,
            "array_type" => match named_children(node).next() {
                Some(inner) => TypeRef::Array(Box::new(TypeRef::from_node(inner, source))),
                None => TypeRef::Other,
            },
            "parenthesized_type" => match named_children(node).next() {
                Some(inner) => TypeRef::from_node(inner, source),
                None => TypeRef::Other,
            },
            _ => TypeRef::Other,
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            TypeRef::Named { name, .. } => Some(name),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct DecoratorFact {
    pub callee: CalleeName,
    /// Whether it is called: `@Get()` rather than `@Optional`.
    pub called: bool,
    pub args: Vec<Value>,
    pub range: TextRange,
}

impl DecoratorFact {
    pub fn from_node(node: Node<'_>, source: &str) -> Option<DecoratorFact> {
        let view = DecoratorView::new(node);
        let callee = view.callee(source)?;
        Some(DecoratorFact {
            callee: CalleeName {
                object: callee.object.map(str::to_owned),
                name: callee.name.to_owned(),
            },
            called: view.call().is_some(),
            args: view
                .arguments()
                .into_iter()
                .map(|a| Value::from_node(a, source))
                .collect(),
            range: range_of(node),
        })
    }
}

#[derive(Clone, Debug)]
pub struct ParamFact {
    pub name: String,
    pub range: TextRange,
    pub decorators: Vec<DecoratorFact>,
    pub ty: Option<TypeRef>,
    pub type_range: Option<TextRange>,
    pub is_parameter_property: bool,
}

impl ParamFact {
    fn from_view(param: ParamView<'_>, source: &str) -> ParamFact {
        let type_node = param.type_node();
        ParamFact {
            name: param.name(source).to_owned(),
            range: range_of(param.node),
            decorators: param
                .decorators()
                .into_iter()
                .filter_map(|d| DecoratorFact::from_node(d, source))
                .collect(),
            ty: type_node.map(|t| TypeRef::from_node(t, source)),
            type_range: type_node.map(range_of),
            is_parameter_property: param.is_parameter_property(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct MethodFact {
    pub name: String,
    pub name_range: TextRange,
    pub decorators: Vec<DecoratorFact>,
    pub params: Vec<ParamFact>,
    pub is_static: bool,
}

#[derive(Clone, Debug)]
pub struct PropertyFact {
    pub name: String,
    pub name_range: TextRange,
    pub range: TextRange,
    pub decorators: Vec<DecoratorFact>,
    pub ty: Option<TypeRef>,
    pub is_static: bool,
    pub optional: bool,
}

#[derive(Clone, Debug)]
pub struct ClassFact {
    pub name: String,
    pub name_range: TextRange,
    pub range: TextRange,
    pub exported: bool,
    pub decorators: Vec<DecoratorFact>,
    /// The `extends` expression: `Ident("Base")` or a call like `PartialType(CreateDto)`.
    pub extends: Option<Value>,
    /// Names of the class's type parameters (`class C<T>`).
    pub type_params: Vec<String>,
    pub constructor_params: Vec<ParamFact>,
    pub methods: Vec<MethodFact>,
    pub properties: Vec<PropertyFact>,
}

impl ClassFact {
    pub fn from_view(class: ClassView<'_>, source: &str) -> Option<ClassFact> {
        let name_node = class.name_node()?;
        let mut fact = ClassFact {
            name: text(name_node, source).to_owned(),
            name_range: range_of(name_node),
            range: range_of(class.export_statement().unwrap_or(class.node)),
            exported: class.is_exported(),
            decorators: class
                .decorators()
                .into_iter()
                .filter_map(|d| DecoratorFact::from_node(d, source))
                .collect(),
            extends: class.extends().map(|e| Value::from_node(e, source)),
            type_params: type_parameter_names(class.node, source),
            constructor_params: Vec::new(),
            methods: Vec::new(),
            properties: Vec::new(),
        };
        for member in class.members() {
            let decorators: Vec<DecoratorFact> = member
                .decorators
                .iter()
                .filter_map(|&d| DecoratorFact::from_node(d, source))
                .collect();
            let name_range = member.name_node().map(range_of).unwrap_or_default();
            match member.kind {
                MemberKind::Method if member.is_constructor(source) => {
                    fact.constructor_params = member
                        .params()
                        .into_iter()
                        .map(|p| ParamFact::from_view(p, source))
                        .collect();
                }
                MemberKind::Method => fact.methods.push(MethodFact {
                    name: member.name(source).to_owned(),
                    name_range,
                    decorators,
                    params: member
                        .params()
                        .into_iter()
                        .map(|p| ParamFact::from_view(p, source))
                        .collect(),
                    is_static: member.is_static(),
                }),
                MemberKind::Property => fact.properties.push(PropertyFact {
                    name: member.name(source).to_owned(),
                    name_range,
                    range: range_of(member.node),
                    decorators,
                    ty: member.type_node().map(|t| TypeRef::from_node(t, source)),
                    is_static: member.is_static(),
                    optional: member.is_optional(),
                }),
            }
        }
        Some(fact)
    }

    pub fn method(&self, name: &str) -> Option<&MethodFact> {
        self.methods.iter().find(|m| m.name == name)
    }
}

pub fn type_parameter_names(node: Node<'_>, source: &str) -> Vec<String> {
    node.child_by_field_name("type_parameters")
        .map(|tp| {
            named_children(tp)
                .filter_map(|p| p.child_by_field_name("name"))
                .map(|n| text(n, source).to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A top-level function, or a `const` bound to an arrow function, function expression or call:
/// the shapes custom decorators are written in (`export const Public = () => SetMetadata(...)`,
/// `export function Auth() { return applyDecorators(UseGuards(...)) }`).
#[derive(Clone, Debug)]
pub struct FunctionFact {
    pub name: String,
    pub exported: bool,
    pub range: TextRange,
    /// Every call in the body, with its arguments.
    pub calls: Vec<(CalleeName, Vec<Value>)>,
    /// The body contains something the fact model cannot follow (a call on a computed callee).
    pub opaque: bool,
}

/// A top-level `const`.
#[derive(Clone, Debug)]
pub struct ConstFact {
    pub name: String,
    pub exported: bool,
    pub range: TextRange,
    pub value: Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeDeclKind {
    Interface,
    TypeAlias,
    Enum,
}

#[derive(Clone, Debug)]
pub struct TypeDeclFact {
    pub name: String,
    pub exported: bool,
    pub kind: TypeDeclKind,
}

/// `export { a as b } from './x'` (`names: Some`) or `export * from './x'` (`names: None`).
#[derive(Clone, Debug)]
pub struct ReExport {
    pub source: String,
    /// `(exported, imported)` pairs.
    pub names: Option<Vec<(String, String)>>,
}

/// A call of interest outside classes: `NestFactory.create(AppModule)`, `app.useGlobalGuards(...)`.
#[derive(Clone, Debug)]
pub struct AppCall {
    pub kind: AppCallKind,
    pub range: TextRange,
    pub args: Vec<Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppCallKind {
    /// `NestFactory.create/createMicroservice/createApplicationContext`.
    Bootstrap,
    UseGlobalGuards,
    UseGlobalPipes,
    /// `consumer.apply(...)` in a module's `configure`, or `app.use(...)`: middleware that may
    /// authenticate instead of a guard.
    ApplyMiddleware,
}

/// Everything phase 2 knows about one file.
#[derive(Clone, Debug, Default)]
pub struct FileFacts {
    pub imports: Vec<ImportBinding>,
    pub reexports: Vec<ReExport>,
    /// `export { local as exported }` without a source: `(exported, local)`.
    pub local_exports: Vec<(String, String)>,
    pub classes: Vec<ClassFact>,
    pub functions: Vec<FunctionFact>,
    pub constants: Vec<ConstFact>,
    pub type_decls: Vec<TypeDeclFact>,
    pub app_calls: Vec<AppCall>,
}

impl FileFacts {
    pub fn import(&self, local: &str) -> Option<&ImportBinding> {
        self.imports.iter().find(|b| b.local == local)
    }

    pub fn class(&self, name: &str) -> Option<&ClassFact> {
        self.classes.iter().find(|c| c.name == name)
    }

    pub fn function(&self, name: &str) -> Option<&FunctionFact> {
        self.functions.iter().find(|f| f.name == name)
    }

    pub fn constant(&self, name: &str) -> Option<&ConstFact> {
        self.constants.iter().find(|c| c.name == name)
    }

    pub fn type_decl(&self, name: &str) -> Option<&TypeDeclFact> {
        self.type_decls.iter().find(|t| t.name == name)
    }

    /// Whether the file declares `name` at top level (class, function, const, or type).
    pub fn declares(&self, name: &str) -> bool {
        self.class(name).is_some()
            || self.function(name).is_some()
            || self.constant(name).is_some()
            || self.type_decl(name).is_some()
    }

    /// Whether `name` is exported, directly or through `export { }`; returns the local name.
    pub fn exported_local<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        if let Some((_, local)) = self.local_exports.iter().find(|(e, _)| e == name) {
            return Some(local);
        }
        let exported = self.class(name).is_some_and(|c| c.exported)
            || self.function(name).is_some_and(|f| f.exported)
            || self.constant(name).is_some_and(|c| c.exported)
            || self.type_decl(name).is_some_and(|t| t.exported);
        exported.then_some(name)
    }
}

pub fn range_of(node: Node<'_>) -> TextRange {
    TextRange::new(node.start_byte(), node.end_byte())
}

/// Reads the top-level statements of a file: exports, functions, constants, types; the imports
/// come from the table the rules already use.
pub(crate) fn extract_top_level(
    root: Node<'_>,
    source: &str,
    imports: &nestlint_syntax::Imports,
    facts: &mut FileFacts,
) {
    facts.imports = imports.iter().cloned().collect();
    for statement in named_children(root) {
        match statement.kind() {
            "export_statement" => {
                let reexport_source = statement
                    .child_by_field_name("source")
                    .and_then(|s| string_value(s, source));
                if let Some(declaration) = statement.child_by_field_name("declaration") {
                    declaration_facts(declaration, source, true, facts);
                    continue;
                }
                let clause = named_children(statement).find(|c| c.kind() == "export_clause");
                match (reexport_source, clause) {
                    (Some(from), None) => facts.reexports.push(ReExport {
                        source: from,
                        names: None,
                    }),
                    (from, Some(clause)) => {
                        let pairs: Vec<(String, String)> = named_children(clause)
                            .filter(|s| s.kind() == "export_specifier")
                            .filter_map(|s| {
                                let name = text(s.child_by_field_name("name")?, source).to_owned();
                                let alias = s
                                    .child_by_field_name("alias")
                                    .map_or_else(|| name.clone(), |a| text(a, source).to_owned());
                                Some((alias, name))
                            })
                            .collect();
                        match from {
                            Some(from) => facts.reexports.push(ReExport {
                                source: from,
                                names: Some(pairs),
                            }),
                            None => facts.local_exports.extend(pairs),
                        }
                    }
                    (None, None) => {}
                }
            }
            _ => declaration_facts(statement, source, false, facts),
        }
    }
}

fn declaration_facts(node: Node<'_>, source: &str, exported: bool, facts: &mut FileFacts) {
    match node.kind() {
        "function_declaration" | "generator_function_declaration" => {
            if let Some(name) = node.child_by_field_name("name") {
                facts
                    .functions
                    .push(function_fact(text(name, source), node, source, exported));
            }
        }
        "lexical_declaration" | "variable_declaration" => {
            for declarator in named_children(node).filter(|c| c.kind() == "variable_declarator") {
                let (Some(name), Some(value)) = (
                    declarator.child_by_field_name("name"),
                    declarator.child_by_field_name("value"),
                ) else {
                    continue;
                };
                if name.kind() != "identifier" {
                    continue;
                }
                let name = text(name, source);
                let value = unwrap_expression(value);
                if matches!(
                    value.kind(),
                    "arrow_function" | "function_expression" | "function" | "call_expression"
                ) {
                    facts
                        .functions
                        .push(function_fact(name, value, source, exported));
                }
                facts.constants.push(ConstFact {
                    name: name.to_owned(),
                    exported,
                    range: range_of(declarator),
                    value: Value::from_node(value, source),
                });
            }
        }
        "interface_declaration" | "type_alias_declaration" | "enum_declaration" => {
            if let Some(name) = node.child_by_field_name("name") {
                facts.type_decls.push(TypeDeclFact {
                    name: text(name, source).to_owned(),
                    exported,
                    kind: match node.kind() {
                        "interface_declaration" => TypeDeclKind::Interface,
                        "type_alias_declaration" => TypeDeclKind::TypeAlias,
                        _ => TypeDeclKind::Enum,
                    },
                });
            }
        }
        // Classes are extracted during the main traversal, where nested and recovered classes are
        // seen too; only the `export` flag is decided here, by the class view.
        _ => {}
    }
}

fn function_fact(name: &str, node: Node<'_>, source: &str, exported: bool) -> FunctionFact {
    let mut calls = Vec::new();
    let mut opaque = false;
    let mut cursor = node.walk();
    // Decorator factories are small; a bounded walk of the body keeps huge functions cheap.
    let mut visited = 0usize;
    'walk: loop {
        let current = cursor.node();
        visited += 1;
        if current.kind() == "call_expression" {
            let callee = current
                .child_by_field_name("function")
                .map(unwrap_expression)
                .and_then(|f| callee_of(f, source));
            match callee {
                Some(callee) => calls.push((
                    CalleeName {
                        object: callee.object.map(str::to_owned),
                        name: callee.name.to_owned(),
                    },
                    Value::arguments(current, source, 0),
                )),
                None => opaque = true,
            }
        }
        if visited > 20_000 {
            opaque = true;
            break;
        }
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == node {
                break 'walk;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    FunctionFact {
        name: name.to_owned(),
        exported,
        range: range_of(node),
        calls,
        opaque,
    }
}

/// Reads a `call_expression` for app-level calls; returns `None` for any other call.
pub(crate) fn app_call(node: Node<'_>, source: &str) -> Option<AppCall> {
    let function = unwrap_expression(node.child_by_field_name("function")?);
    if function.kind() != "member_expression" {
        return None;
    }
    let property = text(function.child_by_field_name("property")?, source);
    let kind = match property {
        "useGlobalGuards" => AppCallKind::UseGlobalGuards,
        "useGlobalPipes" => AppCallKind::UseGlobalPipes,
        "apply" | "use" => {
            let object = unwrap_expression(function.child_by_field_name("object")?);
            let receiver = text(object, source);
            let expected = if property == "apply" {
                "consumer"
            } else {
                "app"
            };
            if !receiver.to_ascii_lowercase().ends_with(expected) {
                return None;
            }
            AppCallKind::ApplyMiddleware
        }
        "create" | "createMicroservice" | "createApplicationContext" => {
            let object = unwrap_expression(function.child_by_field_name("object")?);
            if text(object, source) != "NestFactory" {
                return None;
            }
            AppCallKind::Bootstrap
        }
        _ => return None,
    };
    Some(AppCall {
        kind,
        range: range_of(node),
        args: Value::arguments(node, source, 0),
    })
}
