use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{text, unwrap_expression, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{call_arguments, call_callee, is_global, literal_string};

pub struct NoEval;

static META: RuleMeta = RuleMeta {
    id: "no-eval",
    category: Category::Security,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "No `eval`, `new Function` or timers given a string of code",
    docs: r#"## What it does
Reports calls of the global `eval(...)`, `Function(...)` and `new Function(...)` given code that
is not written whole in the call (a variable, a template with substitutions, a concatenation), and
`setTimeout`/`setInterval` given a string (which the runtime compiles as code), in the packages of
a Nest application, outside tests.

## Why is this bad?
Whatever reaches the string runs with the server's rights: a value from a request, a database
row or a header becomes code (remote code execution). The code is also compiled at run time,
out of sight of the type checker and the linter.

## Example
```ts,expect_diagnostic
export function applyFormula(formula: string, price: number): number {
  return eval(formula.replace('price', String(price)));
}
```

Use instead:
```ts
const formulas: Record<string, (price: number) => number> = {
  discount: (price) => price * 0.9,
};

export function applyFormula(formula: string, price: number): number {
  return formulas[formula]?.(price) ?? price;
}
```

## When it stays silent
- code written whole as a literal (`new Function('return import("esm-only")')`, the usual way to
  keep an `import()` from being rewritten to `require()`): the program's own code, which nothing
  outside can change;
- packages that do not depend on `@nestjs/core` or `@nestjs/common` (a browser bundle, a script
  sandbox);
- a local `eval`, `Function` or timer (imported, or declared in the file);
- timers given a function; test files.

## References
- https://owasp.org/www-community/attacks/Direct_Dynamic_Code_Evaluation_Eval%20Injection
- https://cwe.mitre.org/data/definitions/95.html
"#,
};

impl Rule for NoEval {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["call_expression", "new_expression"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let candidate = if node.kind_name() == "new_expression" {
            node.child(1)
                .is_some_and(|c| text(c, ctx.source) == "Function")
        } else {
            matches!(
                ctx.call_name(node),
                Some("eval" | "Function" | "setTimeout" | "setInterval")
            )
        };
        if !candidate {
            return;
        }
        let (name, arguments) = if node.kind_name() == "new_expression" {
            let Some(constructor) = node.field(Field::Constructor).map(unwrap_expression) else {
                return;
            };
            if constructor.kind_name() != "identifier" {
                return;
            }
            (
                constructor.utf8_text(ctx.source.as_bytes()).unwrap_or(""),
                call_arguments(node),
            )
        } else {
            let Some(callee) = call_callee(node, ctx.source) else {
                return;
            };
            if callee.object.is_some() && callee.object != Some("globalThis") {
                return;
            }
            (callee.name, call_arguments(node))
        };
        // The code itself: `eval`'s first argument, a `Function`'s last (its body). Code written
        // whole is the program's own (the `import()` that CommonJS output would rewrite).
        let code = match name {
            "eval" => arguments.first(),
            _ => arguments.last(),
        };
        let written_whole = code.is_none_or(|c| literal_string(*c, ctx.source).is_some());
        let message = match name {
            "eval" if !written_whole => "`eval()` runs a string built at run time as code",
            "Function" if !written_whole => {
                "`Function()` compiles a string built at run time into code"
            }
            "setTimeout" | "setInterval"
                if arguments
                    .first()
                    .is_some_and(|a| matches!(a.kind_name(), "string" | "template_string")) =>
            {
                "a timer given a string compiles it as code"
            }
            _ => return,
        };
        if !is_global(ctx, name) {
            return;
        }
        ctx.report(range_of(node), message)
            .note("whatever reaches the string runs with the server's rights")
            .help("map names to functions, or parse data as data (`JSON.parse`)");
    }
}
