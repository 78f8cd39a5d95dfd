use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{
    call_callee, enclosing_method, imported_callee, is_nest_class, is_script_path, method_name,
};

pub struct NoSyncIo;

static META: RuleMeta = RuleMeta {
    id: "no-sync-io",
    category: Category::Performance,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "Providers and controllers do not block the event loop with synchronous I/O",
    docs: r#"## What it does
Reports a synchronous call of `fs` (`readFileSync`, `writeFileSync`, `existsSync`, ...),
`child_process` (`execSync`, `spawnSync`, `execFileSync`), `crypto` (`pbkdf2Sync`,
`scryptSync`) or `zlib` (`gzipSync`, ...) in a method of a controller, provider, resolver,
gateway or processor: code that runs while the application serves requests.

## Why is this bad?
Node.js serves every request on one thread. While a synchronous call waits for the disk, a
process or a key derivation, no other request progresses: one slow file read adds its latency to
every request in flight.

## Example
```ts,expect_diagnostic
import { Injectable } from '@nestjs/common';
import { readFileSync } from 'fs';

@Injectable()
export class TemplatesService {
  render(name: string): string {
    return readFileSync(`templates/${name}.html`, 'utf8');
  }
}
```

Use instead:
```ts
import { Injectable } from '@nestjs/common';
import { readFile } from 'fs/promises';

@Injectable()
export class TemplatesService {
  render(name: string): Promise<string> {
    return readFile(`templates/${name}.html`, 'utf8');
  }
}
```

## When it stays silent
- constructors, static methods and the lifecycle hooks that run at start-up and shut-down
  (`onModuleInit`, `onApplicationBootstrap`, `onModuleDestroy`, `beforeApplicationShutdown`,
  `onApplicationShutdown`): blocking there delays the start, not the requests; so do methods
  the class calls only from those (`onModuleInit() { this.loadFiles(); }`);
- functions and classes Nest does not call while serving (`main.ts`, scripts, helpers outside
  decorated classes); test files.

Off by default: a public method may be called only at start-up by code this rule does not see
(a plugin registering translations): on the real apps of `docs/precision.md`, 23 of 24 findings
were in the request path, one below the bar for a rule on by default.

## References
- https://nodejs.org/en/learn/asynchronous-work/dont-block-the-event-loop
"#,
};

const SYNC_PACKAGES: &[&str] = &[
    "fs",
    "node:fs",
    "fs-extra",
    "graceful-fs",
    "child_process",
    "node:child_process",
    "crypto",
    "node:crypto",
    "zlib",
    "node:zlib",
];

const START_AND_STOP: &[&str] = &[
    "constructor",
    "onModuleInit",
    "onApplicationBootstrap",
    "onModuleDestroy",
    "beforeApplicationShutdown",
    "onApplicationShutdown",
];

const SERVING_CLASSES: &[&str] = &[
    "Controller",
    "Injectable",
    "Resolver",
    "WebSocketGateway",
    "Processor",
    "Catch",
];

impl Rule for NoSyncIo {
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
        if !ctx.call_name(call).is_some_and(|n| n.ends_with("Sync")) {
            return;
        }
        let Some(callee) = call_callee(call, ctx.source) else {
            return;
        };
        if !callee.name.ends_with("Sync") {
            return;
        }
        let Some((package, name)) = imported_callee(ctx, &callee) else {
            return;
        };
        let (package, name) = (package.to_owned(), name.to_owned());
        let (package, name) = (package.as_str(), name.as_str());
        if !SYNC_PACKAGES.contains(&package) || !is_blocking(package, name) {
            return;
        }
        let Some((method, class)) = enclosing_method(call) else {
            return;
        };
        let method_name = method_name(method, ctx.source);
        let is_static =
            nestlint_engine::syntax::children(method).any(|c| c.kind_name() == "static");
        if START_AND_STOP.contains(&method_name) || is_static || is_script_path(ctx) {
            return;
        }
        if !is_nest_class(ctx, &class, SERVING_CLASSES) {
            return;
        }
        if called_only_at_start_or_stop(&class, method_name, ctx.source) {
            return;
        }
        let class_name = class.name(ctx.source).unwrap_or("the class");
        ctx.report(
            range_of(call),
            format!("`{name}` blocks the event loop in `{class_name}.{method_name}`"),
        )
        .note("no other request progresses until the call returns")
        .help(format!(
            "use the asynchronous form ({})",
            asynchronous_form(package, name)
        ));
    }
}

/// `randomBytes` has no `Sync`; `crypto`'s `*Sync` that block are the key derivations.
fn is_blocking(package: &str, name: &str) -> bool {
    if package.ends_with("crypto") {
        return matches!(name, "pbkdf2Sync" | "scryptSync");
    }
    true
}

fn asynchronous_form(package: &str, name: &str) -> String {
    let stem = name.trim_end_matches("Sync");
    if package.ends_with("fs") || package == "fs-extra" || package == "graceful-fs" {
        format!("`{stem}` from `fs/promises`")
    } else if package.ends_with("child_process") {
        format!("`{stem}` with `util.promisify`, or `spawn`")
    } else {
        format!("`{stem}` with a callback or `util.promisify`")
    }
}

/// Whether the class calls `method` (`this.method(`) only from its constructor and start-up and
/// shut-down hooks, and it is private (no one else calls it). A public method no code of the
/// class calls is called from outside, while serving as far as anyone here knows.
fn called_only_at_start_or_stop(
    class: &nestlint_engine::syntax::nest::ClassView<'_>,
    method: &str,
    source: &str,
) -> bool {
    let needle = format!("this.{method}(");
    let mut at_start_or_stop = false;
    for member in class.members() {
        if member.kind != nestlint_engine::syntax::nest::MemberKind::Method {
            continue;
        }
        let text = nestlint_engine::syntax::text(member.node, source);
        if !text.contains(&needle) {
            continue;
        }
        if START_AND_STOP.contains(&member.name(source)) {
            at_start_or_stop = true;
        } else {
            return false;
        }
    }
    at_start_or_stop
}
