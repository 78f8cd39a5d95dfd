use std::collections::HashMap;

use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::edits::node_at;
use nestlint_engine::facts::{range_of, ClassFact, TypeRef};
use nestlint_engine::syntax::{
    call_function, named_children, text, unwrap_expression, Field, Node, NodeExt,
};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, Scope, Symbol,
};

use crate::code::{call_arguments, enclosing_method, is_nest_class, method_name};

pub struct NoFloatingPromisesInServices;

static META: RuleMeta = RuleMeta {
    id: "no-floating-promises-in-services",
    category: Category::Correctness,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "A provider awaits or returns the promises its calls make",
    docs: r#"## What it does
Reports a statement of an `@Injectable()` class's method that calls something returning a promise
and drops it: neither awaited, returned, chained with `.then()`/`.catch()`, nor marked with
`void`. The calls it knows return a promise:
- a method of the same class declared `async` or returning `Promise<...>`: `this.notify(id)`;
- such a method of a provider injected through the constructor, found in the project:
  `this.mailService.sendReceipt(id)`;
- the writes and reads of an injected TypeORM `Repository` (`save`, `insert`, `update`, `delete`,
  `find*`, ...) and `Queue.add()` of `@nestjs/bull(mq)`.

## Why is this bad?
The method returns before the work is done, so its caller, a transaction or a test carries on
as if it were; and a rejection of the dropped promise is handled by nobody: Node prints it as an
unhandled rejection and, since Node 15, ends the process.

## Example
```ts,expect_diagnostic
import { Injectable } from '@nestjs/common';

@Injectable()
export class MailService {
  async sendReceipt(orderId: string): Promise<void> {}
}

@Injectable()
export class OrdersService {
  constructor(private readonly mailService: MailService) {}

  complete(orderId: string) {
    this.mailService.sendReceipt(orderId);
  }
}
```

Use instead:
```ts
import { Injectable } from '@nestjs/common';

@Injectable()
export class MailService {
  async sendReceipt(orderId: string): Promise<void> {}
}

@Injectable()
export class OrdersService {
  constructor(private readonly mailService: MailService) {}

  async complete(orderId: string) {
    await this.mailService.sendReceipt(orderId);
  }
}
```

A call left to run on purpose says so: `void this.mailService.sendReceipt(orderId).catch(...)`.

## When it stays silent
- calls whose target the engine cannot find (a provider of a package, an injection token, a
  property that is not a constructor parameter), and methods not marked `async` or `Promise`;
- calls handed a callback (`store.get(id, (err, session) => ...)`: a callback-style API answers
  through it, errors included);
- calls in constructors (see `no-work-in-constructor`), in classes Nest does not instantiate as
  providers, and in test files.

## References
- https://nodejs.org/api/process.html#event-unhandledrejection
- https://typescript-eslint.io/rules/no-floating-promises/
"#,
};

/// TypeORM `Repository` methods that return a promise.
const REPOSITORY_METHODS: &[&str] = &[
    "save",
    "insert",
    "update",
    "upsert",
    "delete",
    "remove",
    "softDelete",
    "softRemove",
    "restore",
    "recover",
    "increment",
    "decrement",
    "clear",
    "query",
    "count",
    "countBy",
    "exist",
    "exists",
    "existsBy",
    "find",
    "findBy",
    "findOne",
    "findOneBy",
    "findOneOrFail",
    "findOneByOrFail",
    "findAndCount",
    "findAndCountBy",
];

/// `Queue` methods of bull and BullMQ that return a promise.
const QUEUE_METHODS: &[&str] = &["add", "addBulk"];

/// A call statement of a provider's method, stashed by names: the class, its method, and what
/// is called (`this.callee(...)`, or `this.dependency.callee(...)`).
#[derive(serde::Serialize, serde::Deserialize)]
struct Dropped {
    class: String,
    method: String,
    dependency: Option<String>,
    callee: String,
}

impl Rule for NoFloatingPromisesInServices {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["expression_statement"]
    }

    fn check_node<'t>(&self, statement: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        // Only files that declare providers: the climb below is for them.
        let declares_providers = ctx
            .imports
            .get("Injectable")
            .is_some_and(|b| b.source == "@nestjs/common");
        if !declares_providers {
            return;
        }
        let Some((dependency, callee)) = dropped_call(statement, ctx.source) else {
            return;
        };
        let Some((method, class)) = enclosing_method(statement) else {
            return;
        };
        let method = method_name(method, ctx.source);
        if method == "constructor" || !is_nest_class(ctx, &class, &["Injectable"]) {
            return;
        }
        let Some(class) = class.name(ctx.source) else {
            return;
        };
        ctx.stash(Dropped {
            class: class.to_owned(),
            method: method.to_owned(),
            dependency: dependency.map(str::to_owned),
            callee: callee.to_owned(),
        });
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        // The nth statement stashed for a class's method, counted per file.
        let mut seen: HashMap<(FileId, String, String), usize> = HashMap::new();
        for (file, dropped) in index.stashed::<Dropped>(META.id) {
            let nth = {
                let count = seen
                    .entry((file, dropped.class.clone(), dropped.method.clone()))
                    .or_insert(0);
                *count += 1;
                *count - 1
            };
            let indexed = index.file(file);
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            let Some(class) = indexed
                .facts
                .classes
                .iter()
                .find(|c| c.name == dropped.class.as_str())
            else {
                continue;
            };
            let Some(target) = promise_target(index, file, class, &dropped) else {
                continue;
            };
            let Some(range) = locate(index, ctx, file, &dropped, nth) else {
                continue;
            };
            let call = match &dropped.dependency {
                Some(dependency) => format!("this.{dependency}.{}()", dropped.callee),
                None => format!("this.{}()", dropped.callee),
            };
            ctx.report(
                index,
                file,
                range,
                format!("the promise `{call}` returns is neither awaited nor returned"),
            )
            .note(format!("{target} returns a promise: `{}.{}` goes on before it settles, and nobody handles its rejection", dropped.class, dropped.method))
            .help("`await` it or `return` it; a call left to run on purpose: `void ....catch(...)`");
        }
    }
}

/// `this.callee(...)` or `this.dependency.callee(...)` as a whole statement: the promise it may
/// return is dropped.
fn dropped_call<'s>(statement: Node<'_>, source: &'s str) -> Option<(Option<&'s str>, &'s str)> {
    let call = named_children(statement).next()?;
    if call.kind_name() != "call_expression" {
        return None;
    }
    // `await this.x.f<T>(...)` reads as a call of `await this.x.f`: it is awaited.
    if call
        .field(Field::Function)
        .is_some_and(|f| unwrap_expression(f).kind_name() == "await_expression")
    {
        return None;
    }
    // A callback passed in (`store.get(id, (err, session) => ...)`) is how a callback-style API
    // answers, errors included.
    if call_arguments(call)
        .iter()
        .any(|a| matches!(a.kind_name(), "arrow_function" | "function_expression"))
    {
        return None;
    }
    let function = call_function(call)?;
    if function.kind_name() != "member_expression" {
        return None;
    }
    let callee = text(function.field(Field::Property)?, source);
    let object = function.field(Field::Object)?;
    match object.kind_name() {
        "this" => Some((None, callee)),
        "member_expression" => {
            let inner = object.field(Field::Object)?;
            if inner.kind_name() != "this" {
                return None;
            }
            let dependency = object.field(Field::Property)?;
            (dependency.kind_name() == "property_identifier")
                .then(|| (Some(text(dependency, source)), callee))
        }
        _ => None,
    }
}

/// What the call reaches, when it is known to return a promise: the method of the same class,
/// the injected provider's method, or a repository's or queue's.
fn promise_target(
    index: &ProjectIndex,
    file: FileId,
    class: &ClassFact,
    dropped: &Dropped,
) -> Option<String> {
    let Some(dependency) = &dropped.dependency else {
        return class
            .methods
            .iter()
            .find(|m| m.name == dropped.callee.as_str())
            .filter(|m| m.returns_promise && !m.is_static)
            .map(|_| format!("`{}.{}`", class.name, dropped.callee));
    };
    let param = class
        .constructor_params
        .iter()
        .find(|p| p.is_parameter_property && p.name == dependency.as_str())?;
    let Some(TypeRef::Named { name, .. }) = &param.ty else {
        return None;
    };
    let symbol = index.resolve(file, name);
    if let Symbol::External { source, name } = &symbol {
        let methods = match (source.as_str(), name.as_str()) {
            ("typeorm", "Repository") => REPOSITORY_METHODS,
            ("bull" | "bullmq", "Queue") => QUEUE_METHODS,
            _ => return None,
        };
        return methods
            .contains(&dropped.callee.as_str())
            .then(|| format!("`{name}.{}`", dropped.callee));
    }
    let key = index.class_key(&symbol)?;
    let provider = index.class_at(key);
    provider
        .methods
        .iter()
        .find(|m| m.name == dropped.callee.as_str())
        .filter(|m| m.returns_promise && !m.is_static)
        .map(|_| format!("`{}.{}`", provider.name, dropped.callee))
}

/// The call of the `nth` dropped-call statement of `class.method` in `file`, found again in the
/// method its fact locates, in the order the traversal met them.
fn locate(
    index: &ProjectIndex,
    ctx: &ProjectContext<'_>,
    file: FileId,
    dropped: &Dropped,
    nth: usize,
) -> Option<TextRange> {
    let source = ctx.source(index, file)?;
    let method = index
        .file(file)
        .facts
        .class(&dropped.class)?
        .methods
        .iter()
        .find(|m| m.name == dropped.method.as_str())?;
    let tree = ctx.tree_for_edit(index, file)?;
    let method_body = node_at(tree.root_node(), method.range)?.field(Field::Body);
    // The method's statements in text order, classes nested in it aside.
    let mut stack = vec![method_body?];
    let mut found = 0;
    while let Some(node) = stack.pop() {
        match node.kind_name() {
            "class_declaration" | "abstract_class_declaration" | "class" => continue,
            "expression_statement" => {
                if let Some((dependency, callee)) = dropped_call(node, source) {
                    if found == nth {
                        let same =
                            dependency == dropped.dependency.as_deref() && callee == dropped.callee;
                        if !same {
                            return None;
                        }
                        return named_children(node).next().map(range_of);
                    }
                    found += 1;
                }
            }
            _ => {}
        }
        let children: Vec<Node<'_>> = named_children(node).collect();
        stack.extend(children.into_iter().rev());
    }
    None
}
