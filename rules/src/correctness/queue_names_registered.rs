use std::collections::BTreeSet;

use nestlint_diagnostics::Severity;
use nestlint_engine::facts::{FileFacts, Value};
use nestlint_engine::syntax::{unwrap_expression, ImportedName, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, ProjectContext, ProjectIndex, Rule,
    RuleMeta, Scope,
};

use crate::code::{call_arguments, call_callee, literal_string, object_value};

pub struct QueueNamesRegistered;

static META: RuleMeta = RuleMeta {
    id: "queue-names-registered",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "`@InjectQueue('x')` names a queue some `BullModule.registerQueue()` registers",
    docs: r#"## What it does
Reports `@InjectQueue('name')` (from `@nestjs/bull` or `@nestjs/bullmq`) whose name no
`BullModule.registerQueue(...)`/`registerQueueAsync(...)` of the project registers. Names are
read as written or from a constant of the file.

## Why is this bad?
The queue's provider exists only for registered names: Nest fails at start-up with
`Nest can't resolve dependencies of the X (?). Please make sure that the argument
"BullQueue_name" ... is available`. A typo between the producer and the registration (`email`
and `emails`) is the usual cause.

## Example
```ts,expect_diagnostic
import { BullModule, InjectQueue } from '@nestjs/bullmq';
import { Injectable, Module } from '@nestjs/common';
import { Queue } from 'bullmq';

@Injectable()
export class MailService {
  constructor(@InjectQueue('emails') private readonly queue: Queue) {}
}

@Module({
  imports: [BullModule.registerQueue({ name: 'email' })],
  providers: [MailService],
})
export class MailModule {}
```

Use instead:
```ts
import { BullModule, InjectQueue } from '@nestjs/bullmq';
import { Injectable, Module } from '@nestjs/common';
import { Queue } from 'bullmq';

@Injectable()
export class MailService {
  constructor(@InjectQueue('email') private readonly queue: Queue) {}
}

@Module({
  imports: [BullModule.registerQueue({ name: 'email' })],
  providers: [MailService],
})
export class MailModule {}
```

Also reports a `@Processor()` class of `@nestjs/bullmq` that does not extend `WorkerHost` (through
its base classes): Nest refuses it at start-up.

## When it stays silent
- a project where some registration cannot be read (a name from an import or from configuration,
  options built elsewhere), or where no registration is seen at all (queues registered by a
  package);
- names injected from an import; test files.

## References
- https://docs.nestjs.com/techniques/queues
"#,
};

const BULL: &[&str] = &["@nestjs/bull", "@nestjs/bullmq"];

/// What a file registers: the names, or `None` when one registration cannot be read.
#[derive(serde::Serialize, serde::Deserialize)]
struct Registered(Option<Vec<String>>);

impl Rule for QueueNamesRegistered {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["call_expression"]
    }

    fn check_node<'t>(&self, call: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if !matches!(
            ctx.call_name(call),
            Some("registerQueue" | "registerQueueAsync")
        ) {
            return;
        }
        let Some(callee) = call_callee(call, ctx.source) else {
            return;
        };
        let Some(object) = callee.object else {
            return;
        };
        if !ctx
            .imports
            .get(object)
            .is_some_and(|b| BULL.iter().any(|p| b.is(p, "BullModule")))
        {
            return;
        }
        let mut names = Vec::new();
        let mut readable = true;
        for argument in call_arguments(call) {
            let options = unwrap_expression(argument);
            if options.kind_name() != "object" {
                readable = false;
                continue;
            }
            let (name, spread) = object_value(options, "name", ctx.source);
            match name.and_then(|n| written_name(n, ctx)) {
                Some(name) if !spread => names.push(name),
                _ => readable = false,
            }
        }
        ctx.stash(Registered(readable.then_some(names)));
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        check_worker_hosts(index, ctx);
        let mut registered = BTreeSet::new();
        for (_, Registered(names)) in index.stashed::<Registered>(META.id) {
            match names {
                Some(names) => registered.extend(names),
                None => return,
            }
        }
        if registered.is_empty() {
            return;
        }
        for (file, indexed) in index.files() {
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            let facts = &indexed.facts;
            for class in &facts.classes {
                for param in &class.constructor_params {
                    for decorator in &param.decorators {
                        if !is_inject_queue(
                            facts,
                            decorator.callee.object.as_deref(),
                            &decorator.callee.name,
                        ) {
                            continue;
                        }
                        let Some(name) = decorator.args.first().and_then(|v| value_name(facts, v))
                        else {
                            continue;
                        };
                        if registered.contains(&name) {
                            continue;
                        }
                        let known: Vec<&str> = registered.iter().map(String::as_str).collect();
                        ctx.report(
                            index,
                            file,
                            decorator.range,
                            format!("no `BullModule.registerQueue()` of the project registers the queue `{name}`"),
                        )
                        .note(format!("Nest fails at start-up: `BullQueue_{name}` cannot be resolved"))
                        .help(format!("register it, or inject one of the queues registered: `{}`", known.join("`, `")));
                    }
                }
            }
        }
    }
}

/// A queue name written in place or bound to a constant of the file.
fn written_name(node: Node<'_>, ctx: &FileContext<'_, '_>) -> Option<String> {
    let node = unwrap_expression(node);
    if node.kind_name() == "identifier" {
        let value = ctx.top_level_const(nestlint_engine::syntax::text(node, ctx.source))?;
        return literal_string(value, ctx.source);
    }
    literal_string(node, ctx.source)
}

fn is_inject_queue(facts: &FileFacts, object: Option<&str>, name: &str) -> bool {
    if object.is_some() {
        return false;
    }
    facts.imports.iter().any(|b| {
        b.local == name
            && BULL.contains(&b.source.as_str())
            && b.imported == ImportedName::Named("InjectQueue".into())
    })
}

/// A name given as a string, or as a constant of the file bound to one.
fn value_name(facts: &FileFacts, value: &Value) -> Option<String> {
    match value {
        Value::String(name) => Some(name.to_string()),
        Value::Ident(ident) => facts
            .constants
            .iter()
            .find(|c| c.name == *ident)
            .and_then(|c| match &c.value {
                Value::String(name) => Some(name.to_string()),
                _ => None,
            }),
        _ => None,
    }
}

/// BullMQ processors that do not extend `WorkerHost`: `@nestjs/bullmq` refuses them at start-up
/// (`InvalidProcessorClassError`).
fn check_worker_hosts(index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
    for (file, indexed) in index.files() {
        if !indexed.is_target || indexed.is_test {
            continue;
        }
        for class in &indexed.facts.classes {
            let is_processor = class
                .decorators
                .iter()
                .any(|d| index.is_export_of(file, &d.callee, "@nestjs/bullmq", "Processor"));
            if !is_processor || extends_worker_host(index, file, class) != Some(false) {
                continue;
            }
            ctx.report(
                index,
                file,
                class.name_range,
                format!("`{}` is a BullMQ `@Processor()` that does not extend `WorkerHost`", class.name),
            )
            .note(format!("`@nestjs/bullmq` refuses it at start-up: Processor class (\"{}\") should inherit from the abstract \"WorkerHost\" class", class.name))
            .help("`extends WorkerHost` (from `@nestjs/bullmq`) and implement `process(job)`");
        }
    }
}

/// Whether the class's chain of base classes reaches `WorkerHost`; `None` when a base class
/// cannot be followed (a package's, a mixin).
fn extends_worker_host(
    index: &ProjectIndex,
    file: nestlint_engine::FileId,
    class: &nestlint_engine::facts::ClassFact,
) -> Option<bool> {
    let (mut file, mut class) = (file, class);
    for _ in 0..8 {
        let Some(base) = &class.extends else {
            return Some(false);
        };
        let Value::Ident(name) = base else {
            return None;
        };
        let symbol = index.resolve(file, name);
        if symbol.is_external("@nestjs/bullmq", "WorkerHost") {
            return Some(true);
        }
        let key = index.class_key(&symbol)?;
        file = key.file;
        class = index.class_at(key);
    }
    None
}
