use nestlint_diagnostics::{Edit, Fix, Severity};
use nestlint_engine::nest::ClassKey;
use nestlint_engine::{
    Category, DiagnosticExt, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta, Scope,
};

pub struct ProviderMissingInjectable;

static META: RuleMeta = RuleMeta {
    id: "provider-missing-injectable",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::Always,
    scope: Scope::Project,
    summary: "A provider with constructor dependencies is decorated, so Nest can inject them",
    docs: r#"## What it does
Reports a class that a module lists in `providers` (or as a `useClass`) whose constructor has
parameters, when neither the class, nor any of its constructor parameters, nor a base class it
inherits a constructor from, carries a decorator.

## Why is this bad?
TypeScript emits the constructor's parameter types (`design:paramtypes`) only for a decorated
class. Without them Nest sees no dependency and calls `new ReportService()`: the application
boots, and every dependency is `undefined` until the first call fails
(nestjs/nest#8786, #13899).

## Example
```ts,expect_diagnostic
import { Injectable, Module } from '@nestjs/common';

@Injectable()
export class DbService {}

export class ReportService {
  constructor(private readonly db: DbService) {}
}

@Module({ providers: [DbService, ReportService] })
export class ReportModule {}
```

Use instead:
```ts
import { Injectable, Module } from '@nestjs/common';

@Injectable()
export class DbService {}

@Injectable()
export class ReportService {
  constructor(private readonly db: DbService) {}
}

@Module({ providers: [DbService, ReportService] })
export class ReportModule {}
```

## Fix
`@Injectable()` is added before the class whose constructor Nest runs (the provider's own, or the
base class it inherits one from), and `Injectable` is imported from `@nestjs/common` when it is
not. Safe in the provider's file; unsafe when the base class is in another file.

## When it stays silent
Classes declared in other packages, and classes whose base class comes from one (its metadata may
be there), are not reported.

## References
- https://docs.nestjs.com/providers#dependency-injection
- https://docs.nestjs.com/fundamentals/custom-providers#class-providers-useclass
"#,
};

impl Rule for ProviderMissingInjectable {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let injection = index.injection();
        let mut classes: Vec<ClassKey> = injection
            .scopes
            .values()
            .flat_map(|scope| scope.providers.iter().filter_map(|p| p.class))
            .collect();
        classes.sort();
        classes.dedup();
        for key in classes {
            let indexed = index.file(key.file);
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            let class = index.class_at(key);
            let Some(owner) = effective_constructor(index, key) else {
                continue;
            };
            let count = index.class_at(owner).constructor_params.len();
            if count == 0 || !undecorated_chain(index, key) {
                continue;
            }
            // The decorator goes where the constructor is: on a base class, the subclass's own
            // decorator would emit nothing.
            let target = index.class_at(owner);
            let fix = ctx.import_site(index, owner.file).and_then(|site| {
                let import = site.ensure("@nestjs/common", "Injectable").ok()?;
                let source = ctx.source(index, owner.file)?;
                // Before `export`, `export default` or `abstract`, where decorators go.
                let at = target.range.start();
                let indent = line_indent(source, at);
                let mut edits = vec![Edit::insertion(at, format!("@Injectable()\n{indent}"))];
                edits.extend(import);
                let title = format!("add `@Injectable()` to `{}`", target.name);
                // A base class in another file is shared: changing it is the user's call.
                Some(if owner.file == key.file {
                    Fix::safe(title, edits)
                } else {
                    Fix::unsafe_edits(title, edits).in_file(index.file(owner.file).path.clone())
                })
            });
            let help = if owner == key {
                "decorate it with `@Injectable()`".to_owned()
            } else {
                format!(
                    "it inherits the constructor of `{}`: decorate that class with `@Injectable()`",
                    target.name
                )
            };
            ctx.report(
                index,
                key.file,
                class.name_range,
                format!(
                    "provider `{}` has {count} constructor parameter{} but no decorator: Nest injects nothing into it",
                    class.name,
                    if count == 1 { "" } else { "s" }
                ),
            )
            .help(help)
            .note("TypeScript emits the parameter types Nest reads only for decorated classes; without them every dependency is `undefined`")
            .fix(fix);
        }
    }
}

/// The class whose constructor `new X()` runs: `X`'s own, else its nearest project base's.
fn effective_constructor(index: &ProjectIndex, key: ClassKey) -> Option<ClassKey> {
    let mut current = key;
    for _ in 0..16 {
        let class = index.class_at(current);
        if class.has_constructor {
            return Some(current);
        }
        match &class.extends {
            Some(nestlint_engine::facts::Value::Ident(base)) => {
                current = index.class_key(&index.resolve(current.file, base))?;
            }
            _ => return None,
        }
    }
    None
}

/// Whether neither the class nor the bases whose constructor it inherits carry a decorator, and
/// the chain stays in the project.
fn undecorated_chain(index: &ProjectIndex, key: ClassKey) -> bool {
    let mut current = key;
    for _ in 0..16 {
        let class = index.class_at(current);
        let decorated = !class.decorators.is_empty()
            || class
                .constructor_params
                .iter()
                .any(|p| !p.decorators.is_empty());
        if decorated {
            return false;
        }
        match &class.extends {
            None => return true,
            Some(nestlint_engine::facts::Value::Ident(base)) => {
                match index.class_key(&index.resolve(current.file, base)) {
                    Some(base) => current = base,
                    None => return false,
                }
            }
            Some(_) => return false,
        }
    }
    false
}

fn line_indent(source: &str, offset: usize) -> String {
    let start = source[..offset.min(source.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    source[start..offset]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect()
}
