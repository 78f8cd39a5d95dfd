use nestlint_diagnostics::{Fix, Severity};
use nestlint_engine::edits::value_import;
use nestlint_engine::facts::TypeRef;
use nestlint_engine::{
    Category, DiagnosticExt, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta, Scope,
};

pub struct NoTypeOnlyDiImport;

static META: RuleMeta = RuleMeta {
    id: "no-type-only-di-import",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::Always,
    scope: Scope::Project,
    summary: "Classes injected by type are imported as values",
    docs: r#"## What it does
Reports a constructor parameter of a decorated class (a provider, controller, guard, ...) whose
type is a class imported with `import type` (or an inline `type` specifier), and that has no
`@Inject(token)` of its own.

## Why is this bad?
A type-only import is erased: TypeScript emits `Object` as the parameter's type, and Nest fails at
boot with "Nest can't resolve dependencies of the OrdersService (?). Please make sure that the
argument Object at index [0] is available". Editors and lint rules that prefer type-only imports
(`@typescript-eslint/consistent-type-imports`) introduce it silently.

## Example
```ts,expect_diagnostic
import { Injectable } from '@nestjs/common';
import type { JwtService } from '@nestjs/jwt';

@Injectable()
export class TokensService {
  constructor(private readonly jwt: JwtService) {}
}
```

Use instead:
```ts
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';

@Injectable()
export class TokensService {
  constructor(private readonly jwt: JwtService) {}
}
```

## Fix
Safe: the import becomes a value import (`import type { A }` → `import { A }`, or the inline
`type` of that specifier is removed).

## When it stays silent
A type-only import of an interface or type alias is not reported: it has no run-time value to
import (inject it with `@Inject(token)`). From a package, only the classes nestlint knows
(`Logger`, `JwtService`, `ConfigService`, the buses of `@nestjs/cqrs`, ...) are reported. Nor is a parameter with `@Inject(...)`, whose token does
not depend on the type.

## References
- https://docs.nestjs.com/faq/common-errors#cannot-resolve-dependency-error
- https://www.typescriptlang.org/docs/handbook/decorators.html#metadata
"#,
};

impl Rule for NoTypeOnlyDiImport {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        for (file, indexed) in index.files() {
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            for class in &indexed.facts.classes {
                let decorated = !class.decorators.is_empty()
                    || class
                        .constructor_params
                        .iter()
                        .any(|p| !p.decorators.is_empty());
                if !decorated {
                    continue;
                }
                for param in &class.constructor_params {
                    let Some(TypeRef::Named { name, args }) = &param.ty else {
                        continue;
                    };
                    if !args.is_empty()
                        || param
                            .decorators
                            .iter()
                            .any(|d| index.is_nest_decorator(file, d, "Inject"))
                        || !index.is_type_only_import(file, name)
                    {
                        continue;
                    }
                    // Only a class has a value to import.
                    let is_class = match index.resolve(file, name) {
                        symbol @ nestlint_engine::Symbol::Declared { .. } => {
                            index.class(&symbol).is_some()
                        }
                        nestlint_engine::Symbol::External { name, .. } => {
                            is_known_package_class(&name)
                        }
                        _ => false,
                    };
                    if !is_class {
                        continue;
                    }
                    let fix = ctx.source(index, file).and_then(|source| {
                        let tree = ctx.tree_for_edit(index, file)?;
                        value_import(tree.root_node(), source, name)
                            .map(|edits| Fix::safe(format!("import `{name}` as a value"), edits))
                    });
                    ctx.report(
                        index,
                        file,
                        param.type_range.unwrap_or(param.range),
                        format!(
                            "`{name}` is injected by type but imported with `import type`: Nest sees `Object`"
                        ),
                    )
                    .help(format!("import `{name}` as a value"))
                    .note("a type-only import is erased, so the parameter's type metadata is `Object` and Nest cannot resolve it")
                    .fix(fix);
                }
            }
        }
    }
}

/// Classes of packages nestlint knows: Nest's own injectables, and what package modules export.
fn is_known_package_class(name: &str) -> bool {
    name == "Logger"
        || nestlint_engine::packages::NEST_CORE_PROVIDERS
            .iter()
            .any(|n| *n == name && n.chars().any(|c| c.is_lowercase()))
        || nestlint_engine::packages::PACKAGE_MODULES
            .iter()
            .flat_map(|m| m.exports.iter())
            .any(|n| *n == name && n.chars().any(|c| c.is_lowercase()))
}
