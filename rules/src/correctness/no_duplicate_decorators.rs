use nestlint_diagnostics::{Edit, Fix, Severity, TextRange};
use nestlint_engine::syntax::nest::{ClassView, DecoratorView, MemberKind};
use nestlint_engine::syntax::{text, ImportedName, Node};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

pub struct NoDuplicateDecorators;

static META: RuleMeta = RuleMeta {
    id: "no-duplicate-decorators",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::Sometimes,
    scope: Scope::File,
    summary: "A class, member or parameter does not carry the same Nest decorator twice",
    docs: r#"## What it does
Reports a decorator of `@nestjs/common` that appears twice on the same class, method, property or
parameter:
- one that sets a single value (`@Controller()`, `@Injectable()`, `@Module()`, `@Catch()`,
  `@Get()` and the other route decorators, `@HttpCode()`, `@Redirect()`, `@Render()`,
  `@Version()`), whatever its arguments;
- any other written twice identically (`@UseGuards(AuthGuard)` twice).

## Why is this bad?
A decorator that sets one value keeps only one of the two: decorators run from the bottom up, so
the upper one wins and the other is silently ignored (`@Get('a') @Get('b')` serves `a` only). An
identical repetition runs its guard, pipe or interceptor twice, or adds nothing.

## Example
```ts,expect_diagnostic
import { Controller, Get, Param } from '@nestjs/common';

@Controller('users')
export class UsersController {
  @Get(':id')
  @Get(':id')
  findOne(@Param('id') id: string) {
    return id;
  }
}
```

Use instead:
```ts
import { Controller, Get, Param } from '@nestjs/common';

@Controller('users')
export class UsersController {
  @Get(':id')
  findOne(@Param('id') id: string) {
    return id;
  }
}
```

## Fix
Removes an exact textual duplicate, with its line when it stands alone (safe: it changes
nothing). Two single-value decorators with different arguments have no fix: which one was meant
is yours to say.

## When it stays silent
- decorators of other packages (`@ApiResponse()` twice documents two statuses; class-validator
  stacks validators by design), and of the project;
- the same decorator with different arguments, unless it sets a single value.

## References
- https://www.typescriptlang.org/docs/handbook/decorators.html#decorator-composition
"#,
};

/// `@nestjs/common` decorators that set one value: a second one overrides or is overridden.
const SINGLE_VALUE: &[&str] = &[
    "Controller",
    "Injectable",
    "Module",
    "Global",
    "Catch",
    "Get",
    "Post",
    "Put",
    "Patch",
    "Delete",
    "Options",
    "Head",
    "All",
    "Search",
    "HttpCode",
    "Redirect",
    "Render",
    "Version",
];

impl Rule for NoDuplicateDecorators {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["class_declaration", "abstract_class_declaration", "class"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if !ctx
            .imports
            .iter()
            .any(|b| b.source.as_str() == "@nestjs/common")
        {
            return;
        }
        let Some(class) = ClassView::new(node) else {
            return;
        };
        check_list(&ctx.class_decorators(&class), ctx);
        for member in class.members() {
            check_list(&member.decorators, ctx);
            if member.kind == MemberKind::Method {
                for param in member.params() {
                    check_list(&param.parts().decorators, ctx);
                }
            }
        }
    }
}

/// Reports the duplicates among one target's decorators.
fn check_list(decorators: &[Node<'_>], ctx: &mut FileContext<'_, '_>) {
    if decorators.len() < 2 {
        return;
    }
    // The decorators of `@nestjs/common` among them, with the names it exports them under.
    let common: Vec<(Node<'_>, String)> = decorators
        .iter()
        .filter_map(|&decorator| {
            let callee = DecoratorView::new(decorator).callee(ctx.source)?;
            if callee.object.is_some() {
                return None;
            }
            let binding = ctx.imports.get(callee.name)?;
            match &binding.imported {
                ImportedName::Named(name) if binding.source.as_str() == "@nestjs/common" => {
                    Some((decorator, name.to_string()))
                }
                _ => None,
            }
        })
        .collect();
    for (i, (later, name)) in common.iter().enumerate() {
        let later = *later;
        let Some((earlier, _)) = common[..i].iter().find(|(_, n)| n == name) else {
            continue;
        };
        let identical = text(*earlier, ctx.source) == text(later, ctx.source);
        let single = SINGLE_VALUE.contains(&name.as_str());
        if !identical && !single {
            continue;
        }
        let fix = identical.then(|| removal(later, ctx.source));
        let message = if identical {
            format!("`@{name}` is written twice here, identically")
        } else {
            format!("`@{name}` twice: only the upper one takes effect, the other is ignored")
        };
        ctx.report(
            TextRange::new(later.start_byte(), later.end_byte()),
            message,
        )
        .help("keep one")
        .fix(fix.flatten());
    }
}

/// The decorator removed, with its line when nothing else is on it.
fn removal(decorator: Node<'_>, source: &str) -> Option<Fix> {
    let start = decorator.start_byte();
    let end = decorator.end_byte();
    let line_start = source.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    let before = source.get(line_start..start)?;
    let rest = source.get(end..)?;
    let line_end = rest.find('\n').map_or(source.len(), |i| end + i + 1);
    let after = source.get(end..line_end)?;
    let range = if before.trim().is_empty() && after.trim().is_empty() {
        TextRange::new(line_start, line_end)
    } else if after.trim().is_empty() {
        // Last on its line: the spaces before it go with it.
        let leading = before.len() - before.trim_end_matches([' ', '\t']).len();
        TextRange::new(start - leading, end)
    } else {
        let trailing = after.len() - after.trim_start_matches([' ', '\t']).len();
        TextRange::new(start, end + trailing)
    };
    Some(Fix::safe(
        "remove the duplicate",
        vec![Edit::replacement(range, String::new())],
    ))
}
