//! Owned facts extracted from one file in phase 1. No tree or node survives the file's pass: the
//! project pass sees only these.

use std::collections::HashSet;

use nestlint_diagnostics::TextRange;
use nestlint_syntax::nest::{callee_of, Callee, ClassView, DecoratorView, MemberKind, ParamView};
use nestlint_syntax::{
    call_function, named_children, object_text, one_line, string_value, text, unwrap_expression,
    value_declared_before, Field, ImportBinding, Name, Node, NodeExt,
};

/// How deep expression values are modelled; deeper parts become `Value::Unknown`.
const MAX_VALUE_DEPTH: usize = 8;

thread_local! {
    /// Whether the file being read hit one of the limits of how far facts are read (nesting
    /// depth, nodes visited): its findings may be incomplete, which the run reports.
    static LIMIT_REACHED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn limit_reached() {
    LIMIT_REACHED.with(|hit| hit.set(true));
}

/// Clears the mark of [`limit_reached`] for the file about to be read, returning the last one.
pub fn take_limit_reached() -> bool {
    LIMIT_REACHED.with(|hit| hit.replace(false))
}

/// How deep a type annotation is read (see [`TypeRef::build`]).
const MAX_TYPE_DEPTH: usize = 32;

/// A callee as written: `forFeature` on `TypeOrmModule`, or a plain `UseGuards`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CalleeName {
    pub object: Option<Name>,
    pub name: Name,
}

impl From<Callee<'_>> for CalleeName {
    fn from(callee: Callee<'_>) -> Self {
        CalleeName {
            object: callee.object.map(Name::from),
            name: Name::from(callee.name),
        }
    }
}

/// The callee in `field` of a call or `new` expression, as written.
/// The callee of a `call_expression` (see `call_function`).
fn call_callee_name(call: Node<'_>, source: &str) -> Option<CalleeName> {
    callee_of(call_function(call)?, source).map(CalleeName::from)
}

fn callee_in(node: Node<'_>, field: Field, source: &str) -> Option<CalleeName> {
    node.field(field)
        .and_then(|f| callee_of(unwrap_expression(f), source))
        .map(CalleeName::from)
}

/// A small, owned model of the expressions NestJS metadata is written in. Anything else is
/// `Unknown`: rules must treat it as "cannot see", never as empty.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    Ident(Name),
    /// `a.b` (deeper chains keep their last two parts in `object`/`property`, `object` being text).
    Member {
        object: Name,
        property: Name,
    },
    Call {
        callee: CalleeName,
        args: Vec<Value>,
    },
    New {
        class: CalleeName,
        args: Vec<Value>,
    },
    String(Name),
    Object {
        entries: Vec<(Name, Value)>,
        /// A spread or computed key: the object may hold more than `entries`.
        open: bool,
    },
    Array(Vec<Value>),
    Spread(Box<Value>),
    /// A function: `(a, b) => X` (the body when it is an expression, else `Unknown`), a function
    /// expression. `params` is what a caller must, and may, pass.
    Arrow {
        params: Params,
        body: Box<Value>,
    },
    /// `value ?? fallback`, `value || fallback`, or `test ? value : fallback`: a value that may be
    /// replaced by another.
    Fallback {
        value: Box<Value>,
        fallback: Box<Value>,
    },
    /// `true` or `false` (module options such as `isGlobal`, `global`).
    Bool(bool),
    Literal,
    Unknown,
}

/// A function's parameters: how many a caller must pass, how many it may, and whether a rest
/// parameter takes any number more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Params {
    pub required: u16,
    pub total: u16,
    pub rest: bool,
}

impl Params {
    fn of(function: Node<'_>) -> Params {
        let mut params = Params {
            required: 0,
            total: 0,
            rest: false,
        };
        // `x => ...`: one required parameter.
        if function.field(Field::Parameter).is_some() {
            params.required = 1;
            params.total = 1;
            return params;
        }
        let Some(list) = function.field(Field::Parameters) else {
            return params;
        };
        for param in named_children(list) {
            match param.kind_name() {
                "required_parameter" => {
                    let rest = param
                        .field(Field::Pattern)
                        .is_some_and(|p| p.kind_name() == "rest_pattern");
                    if rest {
                        params.rest = true;
                        continue;
                    }
                    params.total = params.total.saturating_add(1);
                    if param.field(Field::Value).is_none() {
                        params.required = params.total;
                    }
                }
                "optional_parameter" => params.total = params.total.saturating_add(1),
                _ => {}
            }
        }
        params
    }
}

impl Value {
    /// `forwardRef(() => X)`, the way Nest defers a reference to a class not defined yet.
    pub fn is_forward_ref(&self) -> bool {
        matches!(self, Value::Call { callee, .. } if callee.object.is_none() && callee.name == "forwardRef")
    }

    pub fn from_node(node: Node<'_>, source: &str) -> Value {
        Self::build(node, source, 0)
    }

    fn build(node: Node<'_>, source: &str, depth: usize) -> Value {
        // Deeper values (a nested route table) are past what any rule reads: unknown, not a
        // hostile input to report.
        if depth > MAX_VALUE_DEPTH {
            return Value::Unknown;
        }
        let node = unwrap_expression(node);
        match node.kind_name() {
            "identifier" | "shorthand_property_identifier" => {
                Value::Ident(Name::from(text(node, source)))
            }
            "member_expression" => match (node.field(Field::Object), node.field(Field::Property)) {
                (Some(object), Some(property)) => Value::Member {
                    object: Name::from(object_text(unwrap_expression(object), source)),
                    property: Name::from(text(property, source)),
                },
                _ => Value::Unknown,
            },
            "call_expression" => match call_callee_name(node, source) {
                Some(callee) => Value::Call {
                    callee,
                    args: Self::arguments(node, source, depth),
                },
                None => Value::Unknown,
            },
            "new_expression" => match callee_in(node, Field::Constructor, source) {
                Some(class) => Value::New {
                    class,
                    args: Self::arguments(node, source, depth),
                },
                None => Value::Unknown,
            },
            "string" | "template_string" => match string_value(node, source) {
                Some(s) => Value::String(s.into()),
                None => Value::Unknown,
            },
            "object" => {
                let mut entries = Vec::with_capacity(node.named_child_count());
                let mut open = false;
                for child in named_children(node) {
                    match child.kind_name() {
                        "pair" => {
                            let key = child.field(Field::Key);
                            let value = child.field(Field::Value);
                            match (key.and_then(|k| property_key(k, source)), value) {
                                (Some(key), Some(value)) => {
                                    entries.push((key, Self::build(value, source, depth + 1)))
                                }
                                _ => open = true,
                            }
                        }
                        "shorthand_property_identifier" => {
                            let name = Name::from(text(child, source));
                            entries.push((name.clone(), Value::Ident(name)));
                        }
                        "method_definition" => {
                            if let Some(name) = child.field(Field::Name) {
                                entries.push((Name::from(text(name, source)), Value::Unknown));
                            }
                        }
                        _ => open = true,
                    }
                }
                entries.shrink_to_fit();
                Value::Object { entries, open }
            }
            "array" => Value::Array(Self::build_all(node, source, depth)),
            "spread_element" => match named_children(node).next() {
                Some(inner) => Value::Spread(Box::new(Self::build(inner, source, depth + 1))),
                None => Value::Unknown,
            },
            "arrow_function" | "function_expression" | "function" => {
                let body = match node.field(Field::Body) {
                    Some(body) if body.kind_name() != "statement_block" => {
                        Self::build(body, source, depth + 1)
                    }
                    _ => Value::Unknown,
                };
                Value::Arrow {
                    params: Params::of(node),
                    body: Box::new(body),
                }
            }
            "binary_expression" => {
                let operator = node.field(Field::Operator).map(|o| text(o, source));
                match (operator, node.field(Field::Left), node.field(Field::Right)) {
                    (Some("??" | "||"), Some(left), Some(right)) => Value::Fallback {
                        value: Box::new(Self::build(left, source, depth + 1)),
                        fallback: Box::new(Self::build(right, source, depth + 1)),
                    },
                    _ => Value::Unknown,
                }
            }
            "ternary_expression" => {
                match (
                    node.field(Field::Consequence),
                    node.field(Field::Alternative),
                ) {
                    (Some(consequence), Some(alternative)) => Value::Fallback {
                        value: Box::new(Self::build(consequence, source, depth + 1)),
                        fallback: Box::new(Self::build(alternative, source, depth + 1)),
                    },
                    _ => Value::Unknown,
                }
            }
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "number" | "null" | "undefined" | "regex" => Value::Literal,
            _ => Value::Unknown,
        }
    }

    fn arguments(call: Node<'_>, source: &str, depth: usize) -> Vec<Value> {
        call.field(Field::Arguments)
            .filter(|args| args.kind_name() == "arguments")
            .map(|args| Self::build_all(args, source, depth))
            .unwrap_or_default()
    }

    /// The values of `node`'s named children, in a vector of exactly their number.
    fn build_all(node: Node<'_>, source: &str, depth: usize) -> Vec<Value> {
        let mut values = Vec::with_capacity(node.named_child_count());
        values.extend(named_children(node).map(|item| Self::build(item, source, depth + 1)));
        values.shrink_to_fit();
        values
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
pub fn property_key(key: Node<'_>, source: &str) -> Option<Name> {
    match key.kind_name() {
        "property_identifier" | "number" => Some(Name::from(text(key, source))),
        "string" => string_value(key, source).map(Name::from),
        _ => None,
    }
}

/// A type as written in an annotation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TypeRef {
    /// `Foo`, `Repository<User>`, `ns.Foo` (qualified names keep their text).
    Named {
        name: Name,
        args: Vec<TypeRef>,
    },
    /// `any`, `object`, `string`, ...
    Keyword(Name),
    /// An inline object type `{ a: string }`.
    ObjectLiteral,
    Array(Box<TypeRef>),
    /// `A | B` (members that are `null` or `undefined` included).
    Union(Vec<TypeRef>),
    Other,
}

impl TypeRef {
    pub fn from_node(node: Node<'_>, source: &str) -> TypeRef {
        Self::build(node, source, 0)
    }

    /// Types nested deeper than [`MAX_TYPE_DEPTH`] (`Array<Array<...>>` 2,500 deep) are `Other`:
    /// no rule looks that far, and the walk must not exhaust the stack.
    fn build(node: Node<'_>, source: &str, depth: usize) -> TypeRef {
        if depth > MAX_TYPE_DEPTH {
            limit_reached();
            return TypeRef::Other;
        }
        let depth = depth + 1;
        match node.kind_name() {
            "type_identifier" | "nested_type_identifier" | "identifier" => TypeRef::Named {
                name: Name::from(text(node, source)),
                args: Vec::new(),
            },
            "generic_type" => {
                let name = node
                    .field(Field::Name)
                    .map(|n| Name::from(text(n, source)))
                    .unwrap_or_default();
                let args = node
                    .field(Field::TypeArguments)
                    .map(|ta| {
                        named_children(ta)
                            .map(|a| TypeRef::build(a, source, depth))
                            .collect()
                    })
                    .unwrap_or_default();
                TypeRef::Named { name, args }
            }
            "predefined_type" => TypeRef::Keyword(Name::from(text(node, source))),
            "object_type" => TypeRef::ObjectLiteral,
            "array_type" => match named_children(node).next() {
                Some(inner) => TypeRef::Array(Box::new(TypeRef::build(inner, source, depth))),
                None => TypeRef::Other,
            },
            "union_type" => {
                let mut members = Vec::new();
                // `A | B | C` nests to the left: flatten it.
                let mut stack = vec![node];
                while let Some(current) = stack.pop() {
                    if current.kind_name() == "union_type" && members.len() < 32 {
                        stack.extend(named_children(current));
                    } else {
                        members.push(TypeRef::build(current, source, depth));
                    }
                }
                members.reverse();
                TypeRef::Union(members)
            }
            "literal_type" => TypeRef::Keyword(Name::from(text(node, source))),
            "parenthesized_type" => match named_children(node).next() {
                Some(inner) => TypeRef::build(inner, source, depth),
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

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
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
        Some(DecoratorFact {
            callee: view.callee(source)?.into(),
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

/// Facts are kept for every file until the run ends: vectors are sized exactly (`collect` would
/// reserve room for four).
fn decorator_facts(nodes: &[Node<'_>], source: &str) -> Vec<DecoratorFact> {
    let mut facts = Vec::with_capacity(nodes.len());
    facts.extend(
        nodes
            .iter()
            .filter_map(|&d| DecoratorFact::from_node(d, source)),
    );
    facts
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ParamFact {
    pub name: Name,
    pub range: TextRange,
    pub decorators: Vec<DecoratorFact>,
    pub ty: Option<TypeRef>,
    pub type_range: Option<TextRange>,
    pub is_parameter_property: bool,
}

impl ParamFact {
    fn from_view(param: ParamView<'_>, source: &str) -> ParamFact {
        let parts = param.parts();
        let type_node = parts.type_node;
        ParamFact {
            name: one_line(param.name(source)),
            range: range_of(param.node),
            decorators: decorator_facts(&parts.decorators, source),
            ty: type_node.map(|t| TypeRef::from_node(t, source)),
            type_range: type_node.map(range_of),
            is_parameter_property: parts.is_parameter_property(),
        }
    }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct MethodFact {
    pub name: Name,
    pub name_range: TextRange,
    /// The whole method, modifiers to body.
    pub range: TextRange,
    pub decorators: Vec<DecoratorFact>,
    pub params: Vec<ParamFact>,
    pub is_static: bool,
    /// Declared `async`, or with a `Promise<...>` return type: a call of it yields a promise.
    pub returns_promise: bool,
    /// The body calls something shaped like validation ([`is_validating_call`]); set after the
    /// file's traversal.
    pub validates: bool,
    /// For a method whose parameters carry decorators (a route handler): the calls each such
    /// parameter reaches as (part of) an argument.
    pub flows: Vec<ValueFlow>,
    /// For a static method: the values its `return` statements return (a dynamic module's
    /// `{ module, providers, exports }`), `None` when one of them is not read (a return of a
    /// variable, a value nested too deep) or the body has none.
    pub returns: Option<Vec<Value>>,
    /// For a decorated method (a route handler, a resolver): its declared return type and where
    /// it is written.
    pub return_type: Option<(TypeRef, TextRange)>,
}

/// The declared return type of a method (`: Promise<User>` gives `Promise<User>`).
fn declared_return_type(method: Node<'_>, source: &str) -> Option<(TypeRef, TextRange)> {
    let annotation = method.field(Field::ReturnType)?;
    let ty = named_children(annotation).next()?;
    Some((TypeRef::from_node(ty, source), range_of(ty)))
}

/// Whether a method is `async` or declares a `Promise<...>` return type.
fn returns_promise(method: Node<'_>, source: &str) -> bool {
    let mut cursor = method.walk();
    for child in method.children(&mut cursor) {
        match child.kind_name() {
            "async" => return true,
            "formal_parameters" => break,
            _ => {}
        }
    }
    method.field(Field::ReturnType).is_some_and(|annotation| {
        text(annotation, source)
            .trim_start_matches(':')
            .trim_start()
            .starts_with("Promise<")
    })
}

/// The values a method's own `return` statements return (not those of functions nested in it),
/// when every one is read.
fn returned_values(method: Node<'_>, source: &str) -> Option<Vec<Value>> {
    let body = method.field(Field::Body)?;
    let mut values = Vec::new();
    let mut readable = true;
    let mut stack = vec![body];
    let mut budget = 2_000usize;
    while let Some(node) = stack.pop() {
        if budget == 0 {
            return None;
        }
        budget -= 1;
        match node.kind_name() {
            "return_statement" => match named_children(node).next() {
                Some(expression) => {
                    let value = Value::from_node(expression, source);
                    readable &= !matches!(value, Value::Unknown);
                    values.push(value);
                }
                None => readable = false,
            },
            "function_declaration"
            | "function_expression"
            | "arrow_function"
            | "class"
            | "class_declaration"
            | "method_definition" => {}
            _ => stack.extend(named_children(node)),
        }
    }
    (readable && !values.is_empty()).then_some(values)
}

/// A type guard or assertion named for what it checks (`isCreateInput(x)`, `assertUser(x)`):
/// validation when the request value itself is what it is given.
pub fn is_guard_call(callee: &CalleeName) -> bool {
    let name = callee.name.as_str();
    callee.object.is_none()
        && ["is", "assert"].iter().any(|prefix| {
            name.strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
        })
        && ![
            "isNotEmpty",
            "isEmpty",
            "isDefined",
            "isNil",
            "isNull",
            "isUndefined",
        ]
        .contains(&name)
}

/// A decorated parameter passed to a call in its method's body.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ValueFlow {
    /// The parameter's position in the method's `params`.
    pub param: usize,
    /// The callee as written (`this.users.create`, `schema.parse`, `UpdateCommand.create`).
    pub callee: CalleeName,
    /// `new X(...)` rather than a call.
    pub construct: bool,
    /// The call is shaped like validation ([`is_validating_call`]).
    pub validating: bool,
}

/// Whether a call is shaped like validating its arguments: class-validator's `validate*`, a
/// schema's `parse`/`safeParse`/`validate` (zod, valibot, joi, yup, superstruct), or `transform`
/// on a pipe (`validationPipe.transform`).
/// Only ever used to stay silent, so a shape that sometimes is not validation costs a missed
/// finding, never a false one.
pub fn is_validating_call(callee: &CalleeName) -> bool {
    is_validating_callee(callee.object.as_deref(), callee.name.as_str())
}

/// [`is_validating_call`] on a callee as written, without building its name.
fn is_validating_callee(object: Option<&str>, name: &str) -> bool {
    match object {
        None => name.starts_with("validate"),
        Some(object) => {
            let not_a_schema = [
                "this",
                "JSON",
                "qs",
                "querystring",
                "url",
                "URL",
                "path",
                "Date",
                "Number",
                "YAML",
                "yaml",
                "cookie",
                "csv",
                "Papa",
            ];
            match name {
                "validate" | "validateSync" | "validateAsync" | "validateOrReject" | "check" => {
                    true
                }
                "parse" | "parseAsync" | "safeParse" | "safeParseAsync" | "assert" | "is" => {
                    !not_a_schema.contains(&object)
                }
                "transform" => {
                    let object = object.to_ascii_lowercase();
                    object.contains("validat") || object.contains("pipe")
                }
                _ => false,
            }
        }
    }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PropertyFact {
    pub name: Name,
    pub name_range: TextRange,
    pub range: TextRange,
    pub decorators: Vec<DecoratorFact>,
    pub ty: Option<TypeRef>,
    pub is_static: bool,
    pub optional: bool,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ClassFact {
    /// For a guard or middleware class (named `*Guard`/`*Middleware`, or implementing
    /// `CanActivate`/`NestMiddleware`): whether its body reads credentials, a user or a session
    /// (`authorization`, `request.user`, `session`, tokens, roles, permissions). `None` for other
    /// classes, whose bodies are not read.
    pub reads_credentials: Option<bool>,
    pub name: Name,
    pub name_range: TextRange,
    pub range: TextRange,
    pub exported: bool,
    pub decorators: Vec<DecoratorFact>,
    /// The `extends` expression: `Ident("Base")` or a call like `PartialType(CreateDto)`.
    pub extends: Option<Value>,
    /// Names of the class's type parameters (`class C<T>`).
    pub type_params: Vec<Name>,
    pub constructor_params: Vec<ParamFact>,
    /// The class declares a constructor (with parameters or without).
    pub has_constructor: bool,
    /// For a decorated class: the `new X(...)` expressions of its body with a plain identifier
    /// (not those of classes nested in it).
    pub constructs: Vec<(Name, TextRange)>,
    pub methods: Vec<MethodFact>,
    pub properties: Vec<PropertyFact>,
}

impl ClassFact {
    /// Reads a class; `export_statement` wraps it when it is exported (the caller knows it).
    pub fn from_view(
        class: ClassView<'_>,
        export_statement: Option<Node<'_>>,
        source: &str,
    ) -> Option<ClassFact> {
        let name_node = class.name_node()?;
        let mut fact = ClassFact {
            reads_credentials: None,
            name: Name::from(text(name_node, source)),
            name_range: range_of(name_node),
            range: range_of(export_statement.unwrap_or(class.node)),
            exported: export_statement.is_some(),
            decorators: decorator_facts(&class.decorators_with(export_statement), source),
            extends: class.extends().map(|e| Value::from_node(e, source)),
            type_params: type_parameter_names(class.node, source),
            constructor_params: Vec::new(),
            has_constructor: false,
            constructs: Vec::new(),
            methods: Vec::new(),
            properties: Vec::new(),
        };
        for member in class.members() {
            let decorators = decorator_facts(&member.decorators, source);
            let name_range = member.name_node().map(range_of).unwrap_or_default();
            match member.kind {
                MemberKind::Method if member.is_constructor(source) => {
                    fact.has_constructor = true;
                    fact.constructor_params = member
                        .params()
                        .into_iter()
                        .map(|p| ParamFact::from_view(p, source))
                        .collect();
                }
                MemberKind::Method => {
                    let params: Vec<ParamFact> = member
                        .params()
                        .into_iter()
                        .map(|p| ParamFact::from_view(p, source))
                        .collect();
                    // Route handlers: where their request parameters go.
                    let flows = if !decorators.is_empty()
                        && params.iter().any(|p| !p.decorators.is_empty())
                    {
                        value_flows(member.node, &member.params(), &params, source)
                    } else {
                        Vec::new()
                    };
                    fact.methods.push(MethodFact {
                        name: Name::from(member.name(source)),
                        name_range,
                        range: range_of(member.node),
                        decorators,
                        params,
                        is_static: member.is_static,
                        returns_promise: returns_promise(member.node, source),
                        validates: false,
                        flows,
                        returns: if member.is_static {
                            returned_values(member.node, source)
                        } else {
                            None
                        },
                        return_type: if member.decorators.is_empty() {
                            None
                        } else {
                            declared_return_type(member.node, source)
                        },
                    })
                }
                MemberKind::Property => fact.properties.push(PropertyFact {
                    name: Name::from(member.name(source)),
                    name_range,
                    range: range_of(member.node),
                    decorators,
                    ty: member.type_node().map(|t| TypeRef::from_node(t, source)),
                    is_static: member.is_static,
                    optional: member.is_optional,
                }),
            }
        }
        let guard_like = fact.name.ends_with("Guard")
            || fact.name.ends_with("Middleware")
            || class.implements(source, "CanActivate")
            || class.implements(source, "NestMiddleware");
        if guard_like {
            fact.reads_credentials = Some(
                class
                    .body()
                    .is_some_and(|body| reads_credentials(body, source)),
            );
        }
        Some(fact)
    }

    pub fn method(&self, name: &str) -> Option<&MethodFact> {
        self.methods.iter().find(|m| m.name == name)
    }
}

/// Words that, as an identifier or property in a guard's body, say it checks who is calling.
const CREDENTIAL_WORDS: &[&str] = &[
    "user",
    "authorization",
    "authenticate",
    "session",
    "token",
    "jwt",
    "bearer",
    "apikey",
    "api_key",
    "credential",
    "passport",
    "principal",
    "claims",
    "role",
    "permission",
    "verify",
    "signature",
    "cookie",
    "login",
    "account",
    "member",
    "owner",
    "tenant",
    "scope",
    "policy",
    "ability",
    "acl",
    "auth",
];

fn reads_credentials(body: Node<'_>, source: &str) -> bool {
    let mut found = false;
    nestlint_syntax::visit_bounded(body, 20_000, |node| {
        if found {
            return false;
        }
        if matches!(
            node.kind_name(),
            "identifier"
                | "property_identifier"
                | "shorthand_property_identifier"
                | "string_fragment"
        ) {
            let word = text(node, source).to_ascii_lowercase();
            found = CREDENTIAL_WORDS.iter().any(|w| word.contains(w));
        }
        true
    });
    found
}

/// The calls of a method's body that each decorated parameter reaches, as (part of) an argument,
/// directly or nested (`execute(Command.create({ a: body.a }))` reaches both calls).
fn value_flows(
    method: Node<'_>,
    views: &[ParamView<'_>],
    params: &[ParamFact],
    source: &str,
) -> Vec<ValueFlow> {
    // The names each decorated parameter binds (a destructuring pattern binds several, each a
    // field of the value).
    let mut names: Vec<(&str, usize)> = Vec::new();
    let mut whole_names: Vec<&str> = Vec::new();
    for (index, (view, fact)) in views.iter().zip(params).enumerate() {
        if fact.decorators.is_empty() {
            continue;
        }
        if let Some(pattern) = view.pattern() {
            if pattern.kind_name() == "identifier" {
                whole_names.push(text(pattern, source));
            }
            nestlint_syntax::visit_bounded(pattern, 200, |node| {
                if matches!(
                    node.kind_name(),
                    "identifier" | "shorthand_property_identifier_pattern"
                ) {
                    names.push((text(node, source), index));
                }
                true
            });
        }
    }
    let Some(body) = method.field(Field::Body) else {
        return Vec::new();
    };
    let mut flows: Vec<ValueFlow> = Vec::new();
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    // Guard clauses (which parameters each tests, and where it starts), where each parameter is
    // first handed to a call, and the fields of each parameter that guard conditions test and
    // that the rest of the body reads (`body.text`, or a destructured `text`; `None` for the
    // whole value).
    let mut guards: Vec<(usize, usize)> = Vec::new();
    let mut first_call: Vec<(usize, usize)> = Vec::new();
    let mut tested_fields: HashSet<(usize, Option<&str>)> = HashSet::new();
    let mut read_fields: Vec<(usize, Option<&str>)> = Vec::new();
    // A walk from the body down, each node with what its ancestors make it: inside a guard's
    // condition or branch, inside the arguments of which calls (a chain in `calls`, innermost
    // first), and its parent. Asking tree-sitter for parents instead costs a descent from the
    // root each time: cubic in nested code.
    #[derive(Clone, Copy, PartialEq)]
    enum Role {
        Body,
        Condition,
        Branch,
    }
    struct Visit<'t> {
        node: Node<'t>,
        parent: Option<Node<'t>>,
        role: Role,
        /// The innermost enclosing call, an index into `calls`.
        call: Option<usize>,
    }
    // Each call once: the node and the next enclosing call.
    let mut calls: Vec<(Node<'_>, Option<usize>)> = Vec::new();
    let mut stack = vec![Visit {
        node: body,
        parent: None,
        role: Role::Body,
        call: None,
    }];
    let mut budget = 20_000usize;
    while let Some(Visit {
        node,
        parent,
        role,
        call,
    }) = stack.pop()
    {
        if budget == 0 {
            limit_reached();
            break;
        }
        budget -= 1;
        let kind = node.kind_name();
        if kind == "identifier" {
            let name = text(node, source);
            if let Some(&(_, param)) = names.iter().find(|(bound, _)| *bound == name) {
                let field = if whole_names.contains(&name) {
                    parent
                        .filter(|parent| {
                            parent.kind_name() == "member_expression"
                                && parent.field(Field::Object).map(|o| o.id()) == Some(node.id())
                        })
                        .and_then(|member| member.field(Field::Property))
                        .map(|property| text(property, source))
                } else {
                    Some(name)
                };
                match role {
                    Role::Condition => {
                        tested_fields.insert((param, field));
                    }
                    Role::Body => read_fields.push((param, field)),
                    Role::Branch => {}
                }
                // Every call whose arguments hold this use, innermost first. A call already
                // seen for this parameter had its enclosing calls seen too.
                let mut current = call;
                while let Some(index) = current {
                    let (call_node, outer) = calls[index];
                    current = outer;
                    if !seen.insert((param, call_node.id())) {
                        break;
                    }
                    let (field, construct) = match call_node.kind_name() {
                        "new_expression" => (Field::Constructor, true),
                        _ => (Field::Function, false),
                    };
                    let Some(callee) = callee_in(call_node, field, source) else {
                        continue;
                    };
                    if !first_call.iter().any(|(p, _)| *p == param) {
                        first_call.push((param, call_node.start_byte()));
                    }
                    let validating =
                        !construct && (is_validating_call(&callee) || is_guard_call(&callee));
                    flows.push(ValueFlow {
                        param,
                        callee,
                        construct,
                        validating,
                    });
                }
            }
            continue;
        }
        // A guard clause checks the value by hand: `if (!query.code) throw new BadRequest...`.
        let mut guard_parts = None;
        if kind == "if_statement" {
            let guarded = guarded_params(node, &names, source);
            if !guarded.is_empty() {
                guard_parts = Some((
                    node.field(Field::Condition).map(|c| c.id()),
                    node.field(Field::Consequence).map(|c| c.id()),
                ));
            }
            for param in guarded {
                guards.push((param, node.start_byte()));
            }
        }
        // The arguments of a call or `new`: what lies inside is handed to it.
        let inner_call = if kind == "arguments" {
            match parent {
                Some(p) if matches!(p.kind_name(), "call_expression" | "new_expression") => {
                    calls.push((p, call));
                    Some(calls.len() - 1)
                }
                _ => call,
            }
        } else {
            call
        };
        let children: Vec<Node<'_>> = named_children(node).collect();
        for child in children.into_iter().rev() {
            let child_role = match guard_parts {
                Some((Some(condition), _)) if condition == child.id() => Role::Condition,
                Some((_, Some(consequence))) if consequence == child.id() => Role::Branch,
                _ => role,
            };
            stack.push(Visit {
                node: child,
                parent: Some(node),
                role: child_role,
                call: inner_call,
            });
        }
    }
    // Only a check made before the value is used validates it, and only when every field the
    // body reads is one a check tests: `if (body.apiKey !== KEY) return; post(body.text)` checks
    // who calls, not what `text` is. Where the whole value is handed on, the engine cannot see
    // which fields matter and stays silent.
    for (param, at) in guards {
        let before_use = first_call
            .iter()
            .find(|(p, _)| *p == param)
            .is_none_or(|(_, first)| at < *first);
        let fields_tested = read_fields
            .iter()
            .filter(|(p, _)| *p == param)
            .filter_map(|(_, field)| *field)
            .all(|field| tested_fields.contains(&(param, Some(field))));
        if before_use && fields_tested {
            flows.push(ValueFlow {
                param,
                callee: CalleeName {
                    object: None,
                    name: Name::from("if"),
                },
                construct: false,
                validating: true,
            });
        }
    }
    flows.shrink_to_fit();
    flows
}

/// The parameters an `if` tests in its condition when its consequence rejects the value: throws,
/// or returns without using it.
fn guarded_params(statement: Node<'_>, names: &[(&str, usize)], source: &str) -> Vec<usize> {
    let (Some(condition), Some(consequence)) = (
        statement.field(Field::Condition),
        statement.field(Field::Consequence),
    ) else {
        return Vec::new();
    };
    // The branch rejects the value: it throws, or returns without handing the value on
    // (`if (!body.id) return logger.warn(...)`; `if (body.x) return this.a(body)` is a branch).
    let (mut throws, mut returns, mut uses_value) = (false, false, false);
    nestlint_syntax::visit_bounded(consequence, 200, |node| {
        match node.kind_name() {
            "throw_statement" => throws = true,
            "return_statement" => returns = true,
            "identifier" => {
                uses_value |= names.iter().any(|(name, _)| *name == text(node, source));
            }
            _ => {}
        }
        !throws
    });
    let rejects = throws || (returns && !uses_value);
    if !rejects {
        return Vec::new();
    }
    let mut tested = Vec::new();
    nestlint_syntax::visit_bounded(condition, 200, |node| {
        if node.kind_name() == "identifier" {
            if let Some(&(_, param)) = names.iter().find(|(name, _)| *name == text(node, source)) {
                if !tested.contains(&param) {
                    tested.push(param);
                }
            }
        }
        true
    });
    tested
}

pub fn type_parameter_names(node: Node<'_>, source: &str) -> Vec<Name> {
    node.field(Field::TypeParameters)
        .map(|tp| {
            named_children(tp)
                .filter_map(|p| p.field(Field::Name))
                .map(|n| Name::from(text(n, source)))
                .collect()
        })
        .unwrap_or_default()
}

/// A top-level function, or a `const` bound to an arrow function, function expression or call:
/// the shapes custom decorators are written in (`export const Public = () => SetMetadata(...)`,
/// `export function Auth() { return applyDecorators(UseGuards(...)) }`).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct FunctionFact {
    pub name: Name,
    pub exported: bool,
    pub range: TextRange,
    /// Every call in the body, with its arguments.
    pub calls: Vec<(CalleeName, Vec<Value>)>,
    /// The body contains something the fact model cannot follow (a call on a computed callee).
    pub opaque: bool,
}

/// A top-level `const`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ConstFact {
    pub name: Name,
    pub exported: bool,
    pub range: TextRange,
    pub value: Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TypeDeclKind {
    Interface,
    TypeAlias,
    Enum,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TypeDeclFact {
    pub name: Name,
    pub exported: bool,
    pub kind: TypeDeclKind,
}

/// `export { a as b } from './x'` (`names: Some`) or `export * from './x'` (`names: None`).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ReExport {
    pub source: Name,
    /// `(exported, imported)` pairs.
    pub names: Option<Vec<(Name, Name)>>,
}

/// A call of interest outside classes: `NestFactory.create(AppModule)`, `app.useGlobalGuards(...)`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AppCall {
    pub kind: AppCallKind,
    /// The method called: `create`, `createMicroservice`, `useGlobalGuards`...
    pub method: Name,
    pub range: TextRange,
    pub args: Vec<Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AppCallKind {
    /// `NestFactory.create/createMicroservice/createApplicationContext`.
    Bootstrap,
    UseGlobalGuards,
    UseGlobalPipes,
    /// `app.use(...)`: middleware for every route, which may authenticate instead of a guard.
    ApplyMiddleware,
    /// `app.listen(...)`: the application serves HTTP (a script that only creates it does not).
    Listen,
    /// `app.setGlobalPrefix(...)`: a prefix in front of every route.
    SetGlobalPrefix,
}

/// `consumer.apply(A, B).exclude(...).forRoutes(...)` in a module's `configure`: middleware for the
/// routes `for_routes` selects, less those `exclude` names.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct MiddlewareFact {
    pub middleware: Vec<Value>,
    pub exclude: Vec<Value>,
    pub for_routes: Vec<Value>,
    pub range: TextRange,
}

/// Everything phase 2 knows about one file.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct FileFacts {
    pub imports: Vec<ImportBinding>,
    pub reexports: Vec<ReExport>,
    /// `export { local as exported }` without a source: `(exported, local)`.
    pub local_exports: Vec<(Name, Name)>,
    pub classes: Vec<ClassFact>,
    pub functions: Vec<FunctionFact>,
    pub constants: Vec<ConstFact>,
    pub type_decls: Vec<TypeDeclFact>,
    pub app_calls: Vec<AppCall>,
    pub middleware: Vec<MiddlewareFact>,
    /// Where calls shaped like validation start ([`is_validating_call`]), read while the file is
    /// traversed and given to the methods holding them once it is done.
    pub validating_calls: Vec<u32>,
    /// Declarations by name, built when the file's pass is done (see [`FileFacts::finish`]).
    names: NameIndex,
}

/// The positions of a file's classes, functions, constants and type declarations, each sorted
/// by name: a generated file may declare tens of thousands, and every lookup by name scanning
/// them all made the project pass quadratic.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
struct NameIndex {
    classes: Vec<u32>,
    functions: Vec<u32>,
    constants: Vec<u32>,
    type_decls: Vec<u32>,
    /// `local_exports` by exported name (a barrel may list thousands).
    local_exports: Vec<u32>,
}

/// Positions of `items` sorted by name; equal names keep source order, so a lookup finds the
/// first declaration.
fn sorted_by_name<T>(items: &[T], name: impl Fn(&T) -> &str) -> Vec<u32> {
    let mut order: Vec<u32> = (0..items.len() as u32).collect();
    order.sort_by(|&a, &b| name(&items[a as usize]).cmp(name(&items[b as usize])));
    order
}

/// The first of `items` named `wanted`, through its sorted positions when they are built.
fn find_by_name<'a, T>(
    items: &'a [T],
    order: &[u32],
    wanted: &str,
    name: impl Fn(&T) -> &str,
) -> Option<&'a T> {
    if order.len() != items.len() {
        return items.iter().find(|item| name(item) == wanted);
    }
    let at = order.partition_point(|&i| name(&items[i as usize]) < wanted);
    order
        .get(at)
        .map(|&i| &items[i as usize])
        .filter(|item| name(item) == wanted)
}

impl FileFacts {
    /// Ends the file's pass: nested and recovered classes share one namespace (the first
    /// declaration wins), lookups by name get their index, and vectors give back their room.
    pub fn finish(&mut self) {
        let mut seen = HashSet::with_capacity(self.classes.len());
        self.classes.retain(|class| seen.insert(class.name.clone()));
        self.shrink_to_fit();
        self.names = NameIndex {
            classes: sorted_by_name(&self.classes, |c| &c.name),
            functions: sorted_by_name(&self.functions, |f| &f.name),
            constants: sorted_by_name(&self.constants, |c| &c.name),
            type_decls: sorted_by_name(&self.type_decls, |t| &t.name),
            local_exports: sorted_by_name(&self.local_exports, |(exported, _)| exported),
        };
    }

    /// Gives back the room vectors reserved while growing: facts live until the run ends.
    pub fn shrink_to_fit(&mut self) {
        self.imports.shrink_to_fit();
        self.reexports.shrink_to_fit();
        self.local_exports.shrink_to_fit();
        self.classes.shrink_to_fit();
        self.functions.shrink_to_fit();
        self.constants.shrink_to_fit();
        self.type_decls.shrink_to_fit();
        self.app_calls.shrink_to_fit();
        self.middleware.shrink_to_fit();
    }

    /// Marks the methods that hold a validating call, then forgets the calls.
    pub fn assign_validating_calls(&mut self) {
        if self.validating_calls.is_empty() {
            return;
        }
        // In source order, one binary search per method.
        self.validating_calls.sort_unstable();
        let calls = &self.validating_calls;
        for method in self.classes.iter_mut().flat_map(|c| c.methods.iter_mut()) {
            let first = calls.partition_point(|&at| at < method.range.start);
            method.validates = calls.get(first).is_some_and(|&at| at < method.range.end);
        }
        self.validating_calls = Vec::new();
    }

    pub fn class(&self, name: &str) -> Option<&ClassFact> {
        self.class_position(name).map(|at| &self.classes[at])
    }

    /// Where the class `name` is in `classes`.
    pub fn class_position(&self, name: &str) -> Option<usize> {
        let classes = &self.classes;
        if self.names.classes.len() != classes.len() {
            return classes.iter().position(|c| c.name == name);
        }
        let order = &self.names.classes;
        let at = order.partition_point(|&i| classes[i as usize].name.as_str() < name);
        order
            .get(at)
            .map(|&i| i as usize)
            .filter(|&i| classes[i].name == name)
    }

    pub fn function(&self, name: &str) -> Option<&FunctionFact> {
        find_by_name(&self.functions, &self.names.functions, name, |f| &f.name)
    }

    pub fn constant(&self, name: &str) -> Option<&ConstFact> {
        find_by_name(&self.constants, &self.names.constants, name, |c| &c.name)
    }

    pub fn type_decl(&self, name: &str) -> Option<&TypeDeclFact> {
        find_by_name(&self.type_decls, &self.names.type_decls, name, |t| &t.name)
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
        if let Some((_, local)) = find_by_name(
            &self.local_exports,
            &self.names.local_exports,
            name,
            |(exported, _)| exported,
        ) {
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

/// Reads the top-level statements of a file: exports, functions, constants, types. The imports
/// are the table the rules use during the traversal, moved in after it.
pub fn extract_top_level(root: Node<'_>, source: &str, facts: &mut FileFacts) {
    for statement in named_children(root) {
        match statement.kind_name() {
            "export_statement" => {
                let reexport_source = statement
                    .field(Field::Source)
                    .and_then(|s| string_value(s, source));
                if let Some(declaration) = statement.field(Field::Declaration) {
                    declaration_facts(declaration, source, true, facts);
                    continue;
                }
                let clause = named_children(statement).find(|c| c.kind_name() == "export_clause");
                match (reexport_source, clause) {
                    (Some(from), None) => facts.reexports.push(ReExport {
                        source: from.into(),
                        names: None,
                    }),
                    (from, Some(clause)) => {
                        let pairs: Vec<(Name, Name)> = named_children(clause)
                            .filter(|s| s.kind_name() == "export_specifier")
                            .filter_map(|s| {
                                let name = Name::from(text(s.field(Field::Name)?, source));
                                let alias = s
                                    .field(Field::Alias)
                                    .map_or_else(|| name.clone(), |a| Name::from(text(a, source)));
                                Some((alias, name))
                            })
                            .collect();
                        match from {
                            Some(from) => facts.reexports.push(ReExport {
                                source: from.into(),
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
    match node.kind_name() {
        "function_declaration" | "generator_function_declaration" => {
            if let Some(name) = node.field(Field::Name) {
                facts
                    .functions
                    .push(function_fact(text(name, source), node, exported));
            }
        }
        "lexical_declaration" | "variable_declaration" => {
            for declarator in
                named_children(node).filter(|c| c.kind_name() == "variable_declarator")
            {
                let (Some(name), Some(value)) = (
                    declarator.field(Field::Name),
                    declarator.field(Field::Value),
                ) else {
                    continue;
                };
                if name.kind_name() != "identifier" {
                    continue;
                }
                let name = text(name, source);
                let value = unwrap_expression(value);
                if matches!(
                    value.kind_name(),
                    "arrow_function" | "function_expression" | "function" | "call_expression"
                ) {
                    facts.functions.push(function_fact(name, value, exported));
                }
                facts.constants.push(ConstFact {
                    name: Name::from(name),
                    exported,
                    range: range_of(declarator),
                    value: Value::from_node(value, source),
                });
            }
        }
        "interface_declaration" | "type_alias_declaration" | "enum_declaration" => {
            if let Some(name) = node.field(Field::Name) {
                facts.type_decls.push(TypeDeclFact {
                    name: Name::from(text(name, source)),
                    exported,
                    kind: match node.kind_name() {
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

/// A top-level function; its calls are added by [`Enclosing::call`] during the file's traversal.
fn function_fact(name: &str, node: Node<'_>, exported: bool) -> FunctionFact {
    FunctionFact {
        name: Name::from(name),
        exported,
        range: range_of(node),
        calls: Vec::new(),
        opaque: false,
    }
}

/// The calls read from one function: a decorator factory holds a few, and past this many the
/// function is opaque (a 10,000-call builder chain in a `const` keeps its facts small).
const FUNCTION_CALLS: usize = 2_000;

/// Where the file's traversal is, for the facts gathered on its way instead of by walks of their
/// own: the top-level function whose calls are read, and the classes whose `new X()` expressions
/// are. The traversal is in source order, so each is a position in a list or a stack of ranges.
#[derive(Default)]
pub struct Enclosing {
    /// The first of `FileFacts::functions` that does not end before the traversal's position.
    next_function: usize,
    /// The classes around the position, innermost last: the index of the fact that takes their
    /// constructions (decorated classes; `None` for the others, whose constructions are their
    /// own), where their body starts, where they end.
    classes: Vec<(Option<usize>, u32, u32)>,
    /// Where the outermost decorator around the position ends: `@UsePipes(new ValidationPipe())`
    /// binds an instance the way Nest documents.
    decorator_end: u32,
}

impl Enclosing {
    /// A `call_expression`: a call of the top-level function around it, if any.
    pub fn call(&mut self, node: Node<'_>, source: &str, facts: &mut FileFacts) {
        let at = node.start_byte() as u32;
        let functions = &mut facts.functions;
        while functions
            .get(self.next_function)
            .is_some_and(|f| f.range.end <= at)
        {
            self.next_function += 1;
        }
        let Some(function) = functions.get_mut(self.next_function) else {
            return;
        };
        if at < function.range.start || function.opaque {
            return;
        }
        if function.calls.len() == FUNCTION_CALLS {
            limit_reached();
            function.opaque = true;
            function.calls = Vec::new();
            return;
        }
        match call_callee_name(node, source) {
            Some(callee) => function
                .calls
                .push((callee, Value::arguments(node, source, 0))),
            None => function.opaque = true,
        }
    }

    /// A class, whose fact (if it was made and is decorated) is `facts.classes[fact]`.
    pub fn class(&mut self, node: Node<'_>, fact: Option<usize>) {
        let at = node.start_byte() as u32;
        self.close_classes(at);
        let body_start = node
            .field(Field::Body)
            .map_or(u32::MAX, |body| body.start_byte() as u32);
        self.classes
            .push((fact, body_start, node.end_byte() as u32));
    }

    /// A decorator: what it holds belongs to no class's constructions.
    pub fn decorator(&mut self, node: Node<'_>) {
        if node.start_byte() as u32 >= self.decorator_end {
            self.decorator_end = node.end_byte() as u32;
        }
    }

    /// A `new_expression`: a construction of the class around it, in its body.
    pub fn new_expression(&mut self, node: Node<'_>, source: &str, facts: &mut FileFacts) {
        let at = node.start_byte() as u32;
        if at < self.decorator_end {
            return;
        }
        self.close_classes(at);
        let Some(&(Some(fact), body_start, _)) = self.classes.last() else {
            return;
        };
        if at < body_start {
            return;
        }
        let Some(constructor) = node.field(Field::Constructor) else {
            return;
        };
        if constructor.kind_name() != "identifier" {
            return;
        }
        if let Some(class) = facts.classes.get_mut(fact) {
            class
                .constructs
                .push((Name::from(text(constructor, source)), range_of(node)));
        }
    }

    fn close_classes(&mut self, at: u32) {
        while self.classes.last().is_some_and(|&(_, _, end)| end <= at) {
            self.classes.pop();
        }
    }
}

/// Reads a `call_expression` into the facts it yields: an app-level call, a middleware chain, or
/// the start of a call shaped like validation.
pub fn call_facts(node: Node<'_>, source: &str, facts: &mut FileFacts) {
    let Some(function) = call_function(node) else {
        return;
    };
    if let Some(callee) = callee_of(function, source) {
        if is_validating_callee(callee.object, callee.name) {
            facts.validating_calls.push(node.start_byte() as u32);
        }
    }
    if function.kind_name() != "member_expression" {
        return;
    }
    let Some(property) = function.field(Field::Property).map(|p| text(p, source)) else {
        return;
    };
    if property == "forRoutes" {
        if let Some(chain) = middleware_chain(node, function, source) {
            facts.middleware.push(chain);
        }
    } else if let Some(call) = app_call(node, function, property, source) {
        facts.app_calls.push(call);
    }
}

/// `consumer.apply(...)[.exclude(...)].forRoutes(...)`, read from its `forRoutes` call.
fn middleware_chain(node: Node<'_>, function: Node<'_>, source: &str) -> Option<MiddlewareFact> {
    let mut exclude = Vec::new();
    let mut object = unwrap_expression(function.field(Field::Object)?);
    for _ in 0..4 {
        if object.kind_name() != "call_expression" {
            return None;
        }
        let inner = unwrap_expression(object.field(Field::Function)?);
        if inner.kind_name() != "member_expression" {
            return None;
        }
        match text(inner.field(Field::Property)?, source) {
            "exclude" => {
                exclude.extend(Value::arguments(object, source, 0));
                object = unwrap_expression(inner.field(Field::Object)?);
            }
            "apply" => {
                return Some(MiddlewareFact {
                    middleware: Value::arguments(object, source, 0),
                    exclude,
                    for_routes: Value::arguments(node, source, 0),
                    range: range_of(node),
                });
            }
            _ => return None,
        }
    }
    None
}

/// Reads an app-level call (`NestFactory.create`, `app.useGlobalGuards`, `app.use`...).
fn app_call(node: Node<'_>, function: Node<'_>, property: &str, source: &str) -> Option<AppCall> {
    let kind = match property {
        "useGlobalGuards" => AppCallKind::UseGlobalGuards,
        "useGlobalPipes" => AppCallKind::UseGlobalPipes,
        "setGlobalPrefix" => AppCallKind::SetGlobalPrefix,
        "listen" => {
            let object = unwrap_expression(function.field(Field::Object)?);
            if !text(object, source).to_ascii_lowercase().contains("app") {
                return None;
            }
            AppCallKind::Listen
        }
        "use" => {
            let object = unwrap_expression(function.field(Field::Object)?);
            if !text(object, source).to_ascii_lowercase().ends_with("app") {
                return None;
            }
            AppCallKind::ApplyMiddleware
        }
        "create" | "createMicroservice" | "createApplicationContext" => {
            let object = unwrap_expression(function.field(Field::Object)?);
            if text(object, source) != "NestFactory" {
                return None;
            }
            AppCallKind::Bootstrap
        }
        _ => return None,
    };
    let mut args = Value::arguments(node, source, 0);
    // `const globalPrefix = 'api'; app.setGlobalPrefix(globalPrefix);`, as Nest's starters write it.
    if kind == AppCallKind::SetGlobalPrefix {
        if let Some(Value::Ident(name)) = args.first() {
            if let Some(value) = local_const_string(node, name, source) {
                args[0] = value;
            }
        }
    }
    Some(AppCall {
        kind,
        method: Name::from(property),
        range: range_of(node),
        args,
    })
}

/// The string a `const` declared earlier in the same block as the statement of `call` binds
/// `name` to, when it is a plain string literal.
fn local_const_string(call: Node<'_>, name: &str, source: &str) -> Option<Value> {
    let statement = call
        .parent()
        .filter(|p| p.kind_name() == "expression_statement")?;
    let value = Value::from_node(
        value_declared_before(statement, name, source, true)?,
        source,
    );
    matches!(value, Value::String(_)).then_some(value)
}
