use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::nest::method_params;
use nestlint_engine::syntax::{
    is_function_scope, named_children, text, unwrap_expression, Field, Node, NodeExt,
};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_arguments, call_callee, is_script_path};

pub struct NoRawSqlInterpolation;

static META: RuleMeta = RuleMeta {
    id: "no-raw-sql-interpolation",
    category: Category::Security,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "SQL is given values as parameters, never interpolated into its text",
    docs: r#"## What it does
Reports a value interpolated into the text of SQL, where a value goes (after `=`, `<`, `>`,
`LIKE`, `IN`, or inside quotes), in:
- `.query(...)` of a TypeORM repository, `DataSource`, `EntityManager` or query runner, when the
  text is SQL (`SELECT`, `INSERT`, `UPDATE`, `DELETE`, `WITH`);
- a query builder's `where`, `andWhere`, `orWhere`, `having`, `andHaving`, `orHaving` given no
  parameters;
- Prisma's `$queryRawUnsafe` and `$executeRawUnsafe`.

The value is a template substitution (`` `... = '${email}'` ``) or a concatenation
(`"... = '" + email + "'"`).

## Why is this bad?
A value written into SQL text is SQL: a quote in it ends the string and the rest runs as a query
(SQL injection), reading or deleting any row. Parameters are sent apart from the text and are
never parsed as SQL.

## Example
```ts,expect_diagnostic
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

@Injectable()
export class UsersService {
  constructor(private readonly dataSource: DataSource) {}

  findByEmail(email: string) {
    return this.dataSource.query(`SELECT * FROM users WHERE email = '${email}'`);
  }
}
```

Use instead:
```ts
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

@Injectable()
export class UsersService {
  constructor(private readonly dataSource: DataSource) {}

  findByEmail(email: string) {
    return this.dataSource.query('SELECT * FROM users WHERE email = $1', [email]);
  }
}
```

With Prisma, the tagged template `` prisma.$queryRaw`... ${email}` `` sends `email` as a
parameter and is safe.

## When it stays silent
- substitutions where a name goes (a table, a column, an alias: `FROM ${table}`,
  `= ${alias}.id`), constants (`UPPER_CASE` names, constants of the file, literals), numbers
  (parameters typed `number`, `Number(...)`, `parseInt(...)`), dates written by `toISOString()`,
  and another query's SQL (`${subQuery.getQuery()}`);
- migrations, seeds and scripts (their values come from the database they run on);
- builder conditions given parameters (`where('u.id = :id', { id })`); Prisma's tagged
  `$queryRaw`/`$executeRaw`; test files.

## References
- https://typeorm.io/select-query-builder#using-parameters-to-escape-data
- https://www.prisma.io/docs/orm/prisma-client/using-raw-sql/raw-queries#sql-injection-prevention
- https://cheatsheetseries.owasp.org/cheatsheets/SQL_Injection_Prevention_Cheat_Sheet.html
"#,
};

const BUILDER_CONDITIONS: &[&str] = &[
    "where",
    "andWhere",
    "orWhere",
    "having",
    "andHaving",
    "orHaving",
];

impl Rule for NoRawSqlInterpolation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["call_expression"]
    }

    fn check_node<'t>(&self, call: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let Some(name) = ctx.call_name(call) else {
            return;
        };
        if !matches!(name, "$queryRawUnsafe" | "$executeRawUnsafe" | "query")
            && !BUILDER_CONDITIONS.contains(&name)
        {
            return;
        }
        // The first argument, read before anything else: most calls named like these take a
        // plain string or an object.
        let Some(text_argument) = call
            .child(call.child_count().saturating_sub(1))
            .filter(|a| a.kind_name() == "arguments")
            .and_then(|a| a.named_child(0))
        else {
            return;
        };
        // Only text built from pieces can carry a value: a template with `${}` or a `+`.
        let built = unwrap_expression(text_argument);
        let is_built = match built.kind_name() {
            "template_string" => crate::code::has_substitution(built),
            "binary_expression" => true,
            _ => false,
        };
        if !is_built {
            return;
        }
        let arguments = call_arguments(call);
        let Some(callee) = call_callee(call, ctx.source) else {
            return;
        };
        if callee.object.is_none() {
            return;
        }
        let what = match callee.name {
            "$queryRawUnsafe" | "$executeRawUnsafe" => callee.name,
            "query" => "query",
            name if BUILDER_CONDITIONS.contains(&name) && arguments.len() == 1 => name,
            _ => return,
        };
        if is_script_path(ctx) {
            return;
        }
        let parts = sql_parts(unwrap_expression(text_argument), ctx.source);
        if parts.is_empty() {
            return;
        }
        if what == "query" && !reads_as_sql(&parts) {
            return;
        }
        for (index, part) in parts.iter().enumerate() {
            let Part::Value(value) = *part else {
                continue;
            };
            let before = match index.checked_sub(1).map(|i| &parts[i]) {
                Some(Part::Text(text)) => text.as_str(),
                _ => "",
            };
            let after = match parts.get(index + 1) {
                Some(Part::Text(text)) => text.as_str(),
                _ => "",
            };
            // `= ${alias}.id`: a name followed by its column.
            if after.starts_with('.') {
                continue;
            }
            if !in_value_position(before) || is_constant_like(value, call, ctx) {
                continue;
            }
            ctx.report(
                range_of(value),
                format!("`{}` is written into the SQL text of `{what}()`", one_line(value, ctx.source)),
            )
            .note("a quote in the value ends the string and the rest runs as SQL")
            .help(if what.starts_with('$') {
                "use the tagged template `prisma.$queryRaw`...`` (values become parameters) or pass the value as a parameter"
            } else if what == "query" {
                "write a placeholder (`$1`, `?`) and pass the value in the parameters array"
            } else {
                "write a named parameter (`:email`) and pass `{ email }` as the second argument"
            });
            return;
        }
    }
}

enum Part<'t> {
    Text(String),
    Value(Node<'t>),
}

/// The pieces of a template string or a `+` concatenation, in order; empty for anything else.
fn sql_parts<'t>(node: Node<'t>, source: &str) -> Vec<Part<'t>> {
    let mut parts = Vec::new();
    match node.kind_name() {
        "template_string" => {
            let mut last = node.start_byte() + 1;
            for child in named_children(node) {
                if child.kind_name() != "template_substitution" {
                    continue;
                }
                parts.push(Part::Text(
                    source
                        .get(last..child.start_byte())
                        .unwrap_or("")
                        .to_owned(),
                ));
                if let Some(expression) = named_children(child).next() {
                    parts.push(Part::Value(unwrap_expression(expression)));
                }
                last = child.end_byte();
            }
            parts.push(Part::Text(
                source
                    .get(last..node.end_byte().saturating_sub(1))
                    .unwrap_or("")
                    .to_owned(),
            ));
            if parts.len() == 1 {
                parts.clear();
            }
        }
        "binary_expression" => {
            let mut operands = Vec::new();
            flatten_plus(node, source, &mut operands, 0);
            if operands.is_empty() {
                return parts;
            }
            for operand in operands {
                match operand.kind_name() {
                    "string" => parts.push(Part::Text(
                        nestlint_engine::syntax::string_value(operand, source).unwrap_or_default(),
                    )),
                    _ => parts.push(Part::Value(operand)),
                }
            }
            if !parts.iter().any(|p| matches!(p, Part::Text(_))) {
                parts.clear();
            }
        }
        _ => {}
    }
    parts
}

fn flatten_plus<'t>(node: Node<'t>, source: &str, out: &mut Vec<Node<'t>>, depth: usize) {
    let node = unwrap_expression(node);
    let is_plus = node.kind_name() == "binary_expression"
        && node
            .field(Field::Operator)
            .is_some_and(|op| text(op, source) == "+");
    if !is_plus || depth > 64 {
        out.push(node);
        return;
    }
    if let (Some(left), Some(right)) = (node.field(Field::Left), node.field(Field::Right)) {
        flatten_plus(left, source, out, depth + 1);
        flatten_plus(right, source, out, depth + 1);
    }
}

/// Whether the text starts like a statement of SQL.
fn reads_as_sql(parts: &[Part<'_>]) -> bool {
    let Some(Part::Text(first)) = parts.first() else {
        return false;
    };
    let first = first.trim_start().to_ascii_uppercase();
    ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"]
        .iter()
        .any(|keyword| {
            first.starts_with(keyword)
                && first[keyword.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| c.is_whitespace())
        })
}

/// Whether what precedes a substitution puts it where SQL reads a value: after a comparison, in
/// a quoted string, after `LIKE` or `IN (`.
fn in_value_position(before: &str) -> bool {
    let trimmed = before.trim_end();
    if trimmed.ends_with(['=', '<', '>', '\'', '%']) {
        return true;
    }
    let upper = trimmed.to_ascii_uppercase();
    let upper = upper.trim_end_matches('(').trim_end();
    ["LIKE", "ILIKE", "IN"].iter().any(|keyword| {
        upper.ends_with(keyword)
            && upper[..upper.len() - keyword.len()].ends_with(char::is_whitespace)
    })
}

/// Values that are not data: literals, `UPPER_CASE` constants and constants of the file,
/// parameters typed `number` or `boolean`, conversions to numbers, escaping calls.
fn is_constant_like(value: Node<'_>, call: Node<'_>, ctx: &FileContext<'_, '_>) -> bool {
    match value.kind_name() {
        "string" | "number" | "true" | "false" | "null" => true,
        "identifier" => {
            let name = text(value, ctx.source);
            is_upper_case(name)
                || ctx.top_level_const(name).is_some()
                || local_value(call, name, ctx.source).is_some_and(|init| {
                    init.kind_name() == "call_expression"
                        && call_callee(init, ctx.source)
                            .is_some_and(|c| SAFE_CALLS.contains(&c.name))
                })
                || parameter_type(call, name, ctx.source)
                    .is_some_and(|t| matches!(t, "number" | "boolean"))
        }
        "member_expression" => value
            .field(Field::Property)
            .is_some_and(|p| is_upper_case(text(p, ctx.source))),
        "call_expression" => call_callee(value, ctx.source).is_some_and(|c| {
            let name = c.name.to_ascii_lowercase();
            SAFE_CALLS.contains(&c.name)
                || name.contains("escape")
                || name.contains("quote")
                || name.contains("literal")
                || name.contains("sanitize")
        }),
        _ => false,
    }
}

/// Calls whose result is a number, a date's ISO text or another query's SQL: nothing a caller
/// can put a quote in.
const SAFE_CALLS: &[&str] = &[
    "Number",
    "parseInt",
    "parseFloat",
    "toISOString",
    "toFixed",
    "getTime",
    "valueOf",
    "getQuery",
    "getSql",
];

/// The initializer of `const name = ...` in the functions around `node` (up to the first
/// function that declares it).
fn local_value<'t>(node: Node<'t>, name: &str, source: &str) -> Option<Node<'t>> {
    let mut current = node;
    for _ in 0..64 {
        current = current.parent()?;
        if !is_function_scope(current.kind_name()) {
            continue;
        }
        let body = current.field(Field::Body)?;
        for statement in named_children(body) {
            if statement.kind_name() != "lexical_declaration" {
                continue;
            }
            for declarator in named_children(statement) {
                let named = declarator
                    .field(Field::Name)
                    .is_some_and(|n| n.kind_name() == "identifier" && text(n, source) == name);
                if named {
                    return declarator.field(Field::Value).map(unwrap_expression);
                }
            }
        }
    }
    None
}

fn is_upper_case(name: &str) -> bool {
    name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The annotated type of the parameter `name` of the function around `node`.
fn parameter_type<'s>(node: Node<'_>, name: &str, source: &'s str) -> Option<&'s str> {
    let mut current = node;
    for _ in 0..64 {
        current = current.parent()?;
        if !is_function_scope(current.kind_name()) {
            continue;
        }
        if let Some(param) = method_params(current)
            .into_iter()
            .find(|p| p.name(source) == name)
        {
            return param.type_node().map(|t| text(t, source));
        }
    }
    None
}

fn one_line(node: Node<'_>, source: &str) -> String {
    nestlint_engine::syntax::one_line(text(node, source)).to_string()
}
