use nestlint_diagnostics::{Edit, Fix, Severity, TextRange};
use nestlint_engine::apps::{Application, Served};
use nestlint_engine::facts::{ParamFact, TypeRef, Value};
use nestlint_engine::nest::{ClassKey, NEST_COMMON};
use nestlint_engine::{
    Category, DiagnosticExt, FileId, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta,
    Scope, Symbol,
};

pub struct ParamTransformPipe;

static META: RuleMeta = RuleMeta {
    id: "param-transform-pipe",
    category: Category::Validation,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::Sometimes,
    scope: Scope::Project,
    summary: "A route or query parameter typed `number` or `boolean` is converted by a pipe",
    docs: r#"## What it does
Reports `@Param('id') id: number` and `@Query('active') active: boolean` (one named value, typed
`number` or `boolean`) that nothing converts: no pipe on the parameter, no `@UsePipes()` on the
handler or controller, and no global `ValidationPipe` with `transform: true` in the applications
that serve the controller.

## Why is this bad?
Route and query values arrive as strings. The type annotation converts nothing: `id` is `'42'`,
so `id === 42` is false, `id + 1` is `'421'`, and `active` is the string `'false'`, which is
truthy. Nest converts them only through a pipe: `ParseIntPipe`, `ParseFloatPipe`,
`ParseBoolPipe`, or a `ValidationPipe` with `transform: true`, which converts primitive
parameters to their declared type.

## Example
```ts,expect_diagnostic
import { Controller, Get, Param } from '@nestjs/common';

@Controller('orders')
export class OrdersController {
  @Get(':id')
  find(@Param('id') id: number) {
    return { id, next: id + 1 };
  }
}
```

Use instead:
```ts
import { Controller, Get, Param, ParseIntPipe } from '@nestjs/common';

@Controller('orders')
export class OrdersController {
  @Get(':id')
  find(@Param('id', ParseIntPipe) id: number) {
    return { id, next: id + 1 };
  }
}
```

## Fix
Adds `ParseIntPipe` (for `number`) or `ParseBoolPipe` (for `boolean`) to the decorator and
imports it; for an optional parameter (`page?: number`), `new ParseIntPipe({ optional: true })`,
which lets a missing value through. Unsafe: a value that is not an integer (`1.5`, `abc`) or not
`true`/`false` is then answered with `400 Bad Request` instead of reaching the handler; use
`ParseFloatPipe` or `DefaultValuePipe` where that matters.

## When it stays silent
- any pipe on the parameter, or `@UsePipes()` on the handler or its controller;
- an application serving the controller with a global pipe other than `ValidationPipe`, a
  `ValidationPipe` with `transform: true` or options the engine cannot read, or global pipes it
  cannot list; a controller no visible application serves;
- the handler converts the value itself (`Number(id)`, `parseInt(id)`, `+id`, `id === 'true'`);
- whole-object parameters (`@Query() query: ListDto`: `request-dto-validation` and the DTO's
  `@Type()` answer those), other types, custom parameter decorators.

## References
- https://docs.nestjs.com/pipes#binding-pipes
- https://docs.nestjs.com/techniques/validation#transform-payload-objects
"#,
};

/// The `@nestjs/common` decorators that read one named request value.
const VALUE_DECORATORS: &[&str] = &["Param", "Query"];

/// How an application's global pipes treat a primitive parameter.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Conversion {
    /// No global pipe converts it.
    None,
    /// A global pipe may convert it (`transform: true`, a custom pipe, options unread).
    Maybe,
}

impl Rule for ParamTransformPipe {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let applications = index.applications();
        let controller_modules = index.controller_modules();
        for (file, indexed) in index.files() {
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            for (class_index, class) in indexed.facts.classes.iter().enumerate() {
                if !index.is_controller(file, class)
                    || has_use_pipes(index, file, &class.decorators)
                {
                    continue;
                }
                let key = ClassKey {
                    file,
                    index: class_index,
                };
                let modules = controller_modules.get(&key).map_or(&[][..], Vec::as_slice);
                let Served::By(apps) = applications.serving(index, file, modules) else {
                    continue;
                };
                if apps
                    .iter()
                    .any(|app| global_conversion(index, app) == Conversion::Maybe)
                {
                    continue;
                }
                for handler in index.route_handlers(file, class) {
                    if has_use_pipes(index, file, &handler.decorators) {
                        continue;
                    }
                    let Some(source) = ctx.source(index, file) else {
                        continue;
                    };
                    let body = source
                        .get(handler.range.start()..handler.range.end())
                        .unwrap_or("");
                    let found: Vec<(&ParamFact, &str, Primitive)> = handler
                        .params
                        .iter()
                        .filter_map(|param| {
                            let (decorator, primitive) = unconverted(index, file, param)?;
                            (!converted_by_hand(body, &param.name))
                                .then_some((param, decorator, primitive))
                        })
                        .collect();
                    for (param, decorator, primitive) in found {
                        report(index, ctx, file, param, decorator, primitive);
                    }
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Primitive {
    Number,
    Boolean,
}

impl Primitive {
    fn keyword(self) -> &'static str {
        match self {
            Primitive::Number => "number",
            Primitive::Boolean => "boolean",
        }
    }

    fn pipe(self) -> &'static str {
        match self {
            Primitive::Number => "ParseIntPipe",
            Primitive::Boolean => "ParseBoolPipe",
        }
    }
}

/// The decorator (`Param`, `Query`) of a parameter that reads one named value, typed `number` or
/// `boolean`, with no pipe of its own.
fn unconverted(
    index: &ProjectIndex,
    file: FileId,
    param: &ParamFact,
) -> Option<(&'static str, Primitive)> {
    let mut found = None;
    for decorator in &param.decorators {
        let Some(name) = VALUE_DECORATORS
            .iter()
            .find(|name| index.is_nest_decorator(file, decorator, name))
        else {
            continue;
        };
        // One named value, and nothing else: a pipe argument converts it.
        if decorator.args.len() != 1 || !matches!(decorator.args.first(), Some(Value::String(_))) {
            return None;
        }
        found = Some(*name);
    }
    let decorator = found?;
    let primitive = primitive(param.ty.as_ref()?)?;
    Some((decorator, primitive))
}

/// `number`, `boolean`, or either with `undefined`/`null`.
fn primitive(ty: &TypeRef) -> Option<Primitive> {
    match super::element_type(ty)? {
        (TypeRef::Keyword(keyword), false) => match keyword.as_str() {
            "number" => Some(Primitive::Number),
            "boolean" => Some(Primitive::Boolean),
            _ => None,
        },
        _ => None,
    }
}

fn has_use_pipes(
    index: &ProjectIndex,
    file: FileId,
    decorators: &[nestlint_engine::facts::DecoratorFact],
) -> bool {
    decorators
        .iter()
        .any(|d| index.is_nest_decorator(file, d, "UsePipes"))
}

/// Whether the application's global pipes may convert a primitive parameter.
fn global_conversion(index: &ProjectIndex, app: &Application) -> Conversion {
    if app.unknown_pipe {
        return Conversion::Maybe;
    }
    for (file, pipe) in &app.pipes {
        let (class, options) = match pipe {
            Value::Ident(name) => (name, None),
            Value::New { class, args } if class.object.is_none() => (&class.name, args.first()),
            _ => return Conversion::Maybe,
        };
        if !index
            .resolve(*file, class)
            .is_external(NEST_COMMON, "ValidationPipe")
        {
            return Conversion::Maybe;
        }
        match options {
            None => {}
            Some(Value::Object { entries, open }) => {
                match entries.iter().find(|(k, _)| k == "transform") {
                    Some((_, Value::Bool(false))) => {}
                    Some(_) => return Conversion::Maybe,
                    None if *open => return Conversion::Maybe,
                    None => {}
                }
            }
            Some(_) => return Conversion::Maybe,
        }
    }
    Conversion::None
}

/// Whether the handler's text converts `name` itself: `Number(name)`, `parseInt(name`,
/// `parseFloat(name`, `Boolean(name)`, `+name`, or compares it with a string.
fn converted_by_hand(body: &str, name: &str) -> bool {
    if name.is_empty() {
        return true;
    }
    let calls = [
        "Number(",
        "parseInt(",
        "parseFloat(",
        "Boolean(",
        "JSON.parse(",
    ];
    if calls
        .iter()
        .any(|call| body.contains(&format!("{call}{name}")))
    {
        return true;
    }
    let bytes = body.as_bytes();
    let mut start = 0;
    while let Some(offset) = body[start..].find(name) {
        let at = start + offset;
        let end = at + name.len();
        start = end;
        let before = body[..at].trim_end();
        let after = body[end..].trim_start();
        let identifier_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
        if at > 0 && identifier_byte(bytes[at - 1]) {
            continue;
        }
        if end < bytes.len() && identifier_byte(bytes[end]) {
            continue;
        }
        // `+name` (not `a + name`, not `++name`).
        if before.ends_with('+') && !before.ends_with("++") {
            let ahead = before[..before.len() - 1].trim_end();
            if ahead.is_empty()
                || ahead.ends_with(['(', '=', ',', '[', ':', '?', '{'])
                || ahead.ends_with("return")
            {
                return true;
            }
        }
        // `name === 'true'`, `name == "1"`.
        for op in ["===", "!==", "==", "!="] {
            if let Some(rest) = after.strip_prefix(op) {
                if rest.trim_start().starts_with(['\'', '"', '`']) {
                    return true;
                }
            }
        }
    }
    false
}

fn report(
    index: &ProjectIndex,
    ctx: &mut ProjectContext<'_>,
    file: FileId,
    param: &ParamFact,
    decorator: &str,
    primitive: Primitive,
) {
    let Some(fact) = param
        .decorators
        .iter()
        .find(|d| index.is_nest_decorator(file, d, decorator))
    else {
        return;
    };
    let key = match fact.args.first() {
        Some(Value::String(key)) => key.as_str(),
        _ => return,
    };
    let optional = optional(ctx.source(index, file), param);
    let fix = pipe_fix(index, ctx, file, fact.range, primitive, optional);
    let range = param.type_range.unwrap_or(param.range);
    ctx.report(
        index,
        file,
        range,
        format!(
            "`@{decorator}('{key}') {}: {}` is a string at run time: no pipe converts it",
            param.name,
            primitive.keyword()
        ),
    )
    .note("the type annotation converts nothing; without a pipe (or a global `ValidationPipe` with `transform: true`) the value stays the string that was sent")
    .help(format!(
        "convert it with a pipe: `@{decorator}('{key}', {})`",
        pipe_argument(primitive, optional)
    ))
    .fix(fix);
}

/// The pipe as the decorator's argument: an optional value may be missing, which the plain pipe
/// answers with 400.
fn pipe_argument(primitive: Primitive, optional: bool) -> String {
    if optional {
        format!("new {}({{ optional: true }})", primitive.pipe())
    } else {
        primitive.pipe().to_owned()
    }
}

/// `x?: number`, or a type that admits `undefined`.
fn optional(source: Option<&str>, param: &ParamFact) -> bool {
    let undefined = matches!(&param.ty, Some(TypeRef::Union(members))
        if members.iter().any(|m| matches!(m, TypeRef::Keyword(k) if k == "undefined")));
    let head = match (source, param.type_range) {
        (Some(source), Some(ty)) => source.get(param.range.start()..ty.start()).unwrap_or(""),
        _ => "",
    };
    undefined || head.contains('?')
}

/// Adds the pipe as the decorator's last argument and imports it.
fn pipe_fix(
    index: &ProjectIndex,
    ctx: &ProjectContext<'_>,
    file: FileId,
    decorator: TextRange,
    primitive: Primitive,
    optional: bool,
) -> Option<Fix> {
    let source = ctx.source(index, file)?;
    let written = source.get(decorator.start()..decorator.end())?;
    let close = written.trim_end().strip_suffix(')')?.len();
    let site = ctx.import_site(index, file)?;
    let pipe = primitive.pipe();
    // A name already bound to something else in the file: leave the fix to the user.
    if !matches!(index.resolve(file, pipe), Symbol::Unknown)
        && !index.resolve(file, pipe).is_external(NEST_COMMON, pipe)
    {
        return None;
    }
    let import = site.ensure(NEST_COMMON, pipe).ok()?;
    let mut edits = vec![Edit::insertion(
        decorator.start() + close,
        format!(", {}", pipe_argument(primitive, optional)),
    )];
    edits.extend(import);
    Some(Fix::unsafe_edits(
        format!("convert it with `{pipe}`"),
        edits,
    ))
}
