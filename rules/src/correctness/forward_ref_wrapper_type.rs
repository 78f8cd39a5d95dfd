use nestlint_diagnostics::Severity;
use nestlint_engine::facts::TypeRef;
use nestlint_engine::syntax::nest::{ClassView, DecoratorView, MemberKind};
use nestlint_engine::syntax::{named_children, text, unwrap_expression, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, Scope, Symbol,
};

pub struct ForwardRefWrapperType;

static META: RuleMeta = RuleMeta {
    id: "forward-ref-wrapper-type",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "A `forwardRef` injection is typed through a wrapper type where the build evaluates decorator metadata eagerly",
    docs: r#"## What it does
Reports a constructor parameter or property injected with `@Inject(forwardRef(() => X))` and
typed `X` itself, where `X` injects the class back (so that their files import each other), in a
package whose build keeps class references in decorator metadata as they
are: one that builds with SWC and Nest's SWC defaults (`"builder": "swc"` in `nest-cli.json`, no
`.swcrc`), or a `"type": "module"` package whose `tsconfig.json` sets `emitDecoratorMetadata`.

## Why is this bad?
Two classes that inject each other import each other's files. With `emitDecoratorMetadata` the
parameter's type is written into `design:paramtypes` and read when the class is defined; when
the other file is loaded first, the other class is not initialised yet, and the application does
not start: `ReferenceError: Cannot access 'UsersService' before initialization`. Which file loads
first depends on the import order of the whole application, so it can break with any import. `tsc` emitting
CommonJS guards the reference; SWC and ES modules do not (checked by compiling two such classes
with `tsc` 5 and `@swc/core` 1 and running them). A type alias is erased from the metadata:
`type WrapperType<T> = T` (Nest's SWC recipe) keeps the type and drops the reference.

## Example
In a package that builds with SWC, `nest-cli.json`:
```json,file=nest-cli.json
{ "compilerOptions": { "builder": "swc" } }
```

`users.service.ts`, which injects `OrdersService` back:
```ts,file=users.service.ts
import { Inject, Injectable, forwardRef } from '@nestjs/common';
import { OrdersService, type WrapperType } from './orders.service';

@Injectable()
export class UsersService {
  constructor(
    @Inject(forwardRef(() => OrdersService))
    private readonly orders: WrapperType<OrdersService>,
  ) {}
}
```

`orders.service.ts`:

```ts,expect_diagnostic,file=orders.service.ts
import { Inject, Injectable, forwardRef } from '@nestjs/common';
import { UsersService } from './users.service';

export type WrapperType<T> = T;

@Injectable()
export class OrdersService {
  constructor(
    @Inject(forwardRef(() => UsersService))
    private readonly users: UsersService,
  ) {}
}
```

Use instead:
```ts
import { Inject, Injectable, forwardRef } from '@nestjs/common';
import { UsersService } from './users.service';

export type WrapperType<T> = T;

@Injectable()
export class OrdersService {
  constructor(
    @Inject(forwardRef(() => UsersService))
    private readonly users: WrapperType<UsersService>,
  ) {}
}
```

## When it stays silent
- packages built by `tsc` to CommonJS (Nest's default), including those whose `tsconfig.json`
  says `"module": "esnext"` without `"type": "module"` in `package.json` (the build's own
  `tsconfig.build.json` or `tsconfig.app.json` may say `commonjs`);
- SWC builds with a configuration of their own (a `.swcrc`, `swcrcPath`): an ES5 target, for
  one, has no uninitialised classes;
- a type other than the forward-referenced class itself (an interface, a wrapper, a union), and
  `forwardRef` or `Inject` that are not `@nestjs/common`'s;
- a forward reference to a class that does not inject this one back (nothing imports in a
  circle: `forwardRef` is a precaution there), or that the engine cannot find in the project.

## References
- https://docs.nestjs.com/recipes/swc#common-pitfalls
- https://docs.nestjs.com/fundamentals/circular-dependency#forward-reference
"#,
};

const NEST_COMMON: &str = "@nestjs/common";

/// An injection typed with its forward-referenced class, found by the file pass, by name: the
/// project pass reports it where the package's build makes it fail.
#[derive(serde::Serialize, serde::Deserialize)]
struct DirectType {
    class: String,
    /// The constructor parameter's or property's name.
    member: String,
    parameter: bool,
    target: String,
}

impl Rule for ForwardRefWrapperType {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["class_declaration", "abstract_class_declaration", "class"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if !ctx.imports.iter().any(|b| b.is(NEST_COMMON, "forwardRef")) {
            return;
        }
        let Some(class) = ClassView::new(node) else {
            return;
        };
        let Some(class_name) = class.name(ctx.source) else {
            return;
        };
        for member in class.members() {
            if member.kind == MemberKind::Property {
                if let Some(target) = direct_type(&member.decorators, member.type_node(), ctx) {
                    ctx.stash(DirectType {
                        class: class_name.to_owned(),
                        member: member.name(ctx.source).to_owned(),
                        parameter: false,
                        target,
                    });
                }
                continue;
            }
            if !member.is_constructor(ctx.source) {
                continue;
            }
            for param in member.params() {
                let parts = param.parts();
                if let Some(target) = direct_type(&parts.decorators, param.type_node(), ctx) {
                    ctx.stash(DirectType {
                        class: class_name.to_owned(),
                        member: param.name(ctx.source).to_owned(),
                        parameter: true,
                        target,
                    });
                }
            }
        }
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        for (file, found) in index.stashed::<DirectType>(META.id) {
            let indexed = index.file(file);
            if !indexed.is_target || !index.package(file).eager_class_metadata() {
                continue;
            }
            let Some(class) = indexed.facts.class(&found.class) else {
                continue;
            };
            // The two classes must inject each other: then their files import each other (the
            // metadata makes each type a value), and the cycle is real, not a precaution.
            let Some((target_file, target_class)) =
                index.class(&index.resolve(file, &found.target))
            else {
                continue;
            };
            let injects_back = target_class
                .constructor_params
                .iter()
                .filter_map(|p| p.ty.as_ref())
                .chain(target_class.properties.iter().filter_map(|p| p.ty.as_ref()))
                .any(|ty| names_class(index, target_file, ty, file, &found.class, 0));
            if !injects_back {
                continue;
            }
            let range = if found.parameter {
                class
                    .constructor_params
                    .iter()
                    .find(|p| p.name.as_str() == found.member)
                    .and_then(|p| p.type_range)
            } else {
                class
                    .properties
                    .iter()
                    .find(|p| p.name.as_str() == found.member)
                    .map(|p| p.name_range)
            };
            let Some(range) = range else {
                continue;
            };
            let target = &found.target;
            ctx.report(
                index,
                file,
                range,
                format!("`{}` is typed `{target}`, which injects `{}` back: this package's build reads `{target}` from the decorator metadata while their circular import may leave it uninitialised", found.member, found.class),
            )
            .note(format!("whenever `{target}`'s file is loaded first, `{}` is defined before `{target}` and the application stops at start-up: \"Cannot access '{target}' before initialization\"", found.class))
            .help(format!("type it through an alias, which the metadata erases: `type WrapperType<T> = T;` and `WrapperType<{target}>`"));
        }
    }
}

/// Whether a type written in `file` names (itself, or as a type argument: `WrapperType<C>`) the
/// class `class` declared in `class_file`.
fn names_class(
    index: &ProjectIndex,
    file: FileId,
    ty: &TypeRef,
    class_file: FileId,
    class: &str,
    depth: usize,
) -> bool {
    if depth > 8 {
        return false;
    }
    match ty {
        TypeRef::Named { name, args } => {
            matches!(index.resolve(file, name), Symbol::Declared { file: f, name: n } if f == class_file && n.as_str() == class)
                || args
                    .iter()
                    .any(|a| names_class(index, file, a, class_file, class, depth + 1))
        }
        TypeRef::Array(inner) => names_class(index, file, inner, class_file, class, depth + 1),
        TypeRef::Union(members) => members
            .iter()
            .any(|m| names_class(index, file, m, class_file, class, depth + 1)),
        _ => false,
    }
}

/// The class `X` when `decorators` hold `@Inject(forwardRef(() => X))` of `@nestjs/common` and
/// the annotation is `X` itself.
fn direct_type(
    decorators: &[Node<'_>],
    type_node: Option<Node<'_>>,
    ctx: &FileContext<'_, '_>,
) -> Option<String> {
    let annotation = type_node?;
    if annotation.kind_name() != "type_identifier" {
        return None;
    }
    let annotated = text(annotation, ctx.source);
    decorators.iter().find_map(|&decorator| {
        let view = DecoratorView::new(decorator);
        let callee = view.callee(ctx.source).filter(|c| c.object.is_none())?;
        if !ctx
            .imports
            .get(callee.name)
            .is_some_and(|b| b.is(NEST_COMMON, "Inject"))
        {
            return None;
        }
        let target = forward_ref_target(*view.arguments().first()?, ctx)?;
        (target == annotated).then_some(target)
    })
}

/// `X` in `forwardRef(() => X)` (or `forwardRef(() => { return X; })`).
fn forward_ref_target(argument: Node<'_>, ctx: &FileContext<'_, '_>) -> Option<String> {
    let call = unwrap_expression(argument);
    if call.kind_name() != "call_expression" {
        return None;
    }
    let function = call.field(Field::Function)?;
    if function.kind_name() != "identifier"
        || !ctx
            .imports
            .get(text(function, ctx.source))
            .is_some_and(|b| b.is(NEST_COMMON, "forwardRef"))
    {
        return None;
    }
    let arrow = named_children(call.field(Field::Arguments)?).next()?;
    if arrow.kind_name() != "arrow_function" {
        return None;
    }
    let body = unwrap_expression(arrow.field(Field::Body)?);
    let returned = match body.kind_name() {
        "identifier" => body,
        "statement_block" => {
            let statement = named_children(body).next()?;
            if statement.kind_name() != "return_statement" {
                return None;
            }
            unwrap_expression(named_children(statement).next()?)
        }
        _ => return None,
    };
    (returned.kind_name() == "identifier").then(|| text(returned, ctx.source).to_owned())
}
