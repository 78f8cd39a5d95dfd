use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_arguments, call_callee, is_global, literal_string};

pub struct NoDynamicRequire;

static META: RuleMeta = RuleMeta {
    id: "no-dynamic-require",
    category: Category::Security,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "`require()` and `import()` load a module named in the code, not a computed path",
    docs: r#"## What it does
Reports `require(x)` and `import(x)` whose specifier is computed (a variable, a template with
substitutions, a concatenation) rather than written, outside tests.

## Why is this bad?
A computed specifier loads whatever module the value names: a value that a request, a file or a
database row can influence becomes code that runs with the server's rights. Bundlers and
`nest build --webpack` cannot follow it either, so the module may be missing from the build and
fail only when the line runs.

## Example
```ts,expect_diagnostic
export function loadHandler(name: string) {
  return require(`./handlers/${name}`);
}
```

Use instead:
```ts
import * as csv from './handlers/csv';
import * as json from './handlers/json';

const handlers = { csv, json } as const;

export function loadHandler(name: keyof typeof handlers) {
  return handlers[name];
}
```

## When it stays silent
- specifiers written whole (`require('./x')`, a template without `${}`) or held by a constant of
  the file;
- a local `require` (imported or declared in the file), `require.resolve(...)`; test files.

Off by default: on the real apps of `docs/precision.md` the computed specifiers are plugin
loaders and translation bundles chosen on purpose, and front-end code that shares the package
of the server.

## References
- https://cwe.mitre.org/data/definitions/829.html
"#,
};

impl Rule for NoDynamicRequire {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["call_expression"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if !matches!(ctx.call_name(node), Some("require" | "import")) {
            return;
        }
        let dynamic_import = node
            .field(nestlint_engine::syntax::Field::Function)
            .is_some_and(|f| f.kind_name() == "import");
        if !dynamic_import {
            let Some(callee) = call_callee(node, ctx.source) else {
                return;
            };
            if callee.object.is_some() || callee.name != "require" || !is_global(ctx, "require") {
                return;
            }
        }
        let arguments = call_arguments(node);
        let Some(specifier) = arguments.first() else {
            return;
        };
        if literal_string(*specifier, ctx.source).is_some() {
            return;
        }
        // A constant of the file (`const defaultConfig = join(__dirname, 'defaults')`): the
        // program's own path.
        let specifier = nestlint_engine::syntax::unwrap_expression(*specifier);
        if specifier.kind_name() == "identifier"
            && ctx
                .top_level_const(nestlint_engine::syntax::text(specifier, ctx.source))
                .is_some()
        {
            return;
        }
        let what = if dynamic_import {
            "import()"
        } else {
            "require()"
        };
        ctx.report(
            range_of(node),
            format!("`{what}` of a computed specifier loads whatever module the value names"),
        )
        .note("a value someone else can influence becomes code, and bundlers cannot follow it")
        .help("import the modules by name and choose among them with a map");
    }
}
