use std::collections::{HashMap, HashSet};

use nestlint_diagnostics::Severity;
use nestlint_engine::facts::{ClassFact, MethodFact};
use nestlint_engine::syntax::nest::{ClassView, Member, MemberKind};
use nestlint_engine::syntax::{named_children, text, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, Scope,
};

use super::{
    applies, documented_controllers, inherited, is_response_decorator, stash_document, Applies,
    Document, FileFact,
};

pub struct ApiResponse;

static META: RuleMeta = RuleMeta {
    id: "api-response",
    category: Category::Openapi,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "In a project that documents responses for OpenAPI, every route documents one",
    docs: r#"## What it does
Reports a route handler that returns a body and has no `@ApiResponse()`-family decorator
(`@ApiOkResponse()`, `@ApiCreatedResponse()`, `@ApiNotFoundResponse()`, ...) on itself, its
controller or a base controller, when the application serving it builds an OpenAPI document
(`SwaggerModule.createDocument` beside its bootstrap) and most of its routes document a response,
and the package does not enable the swagger CLI plugin.

## Why is this bad?
Without a documented response, the OpenAPI document says nothing of what the route returns: the
clients generated from it type the result as `unknown` or `void`, and readers of Swagger UI must
guess.

## Example
```ts,expect_diagnostic
import { Controller, Get, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ApiCreatedResponse,
  ApiOkResponse,
  DocumentBuilder,
  SwaggerModule,
} from '@nestjs/swagger';

export class OrderDto {
  id: string;
}

@Controller('orders')
export class OrdersController {
  @Get()
  @ApiOkResponse({ type: [OrderDto] })
  findAll() {
    return [];
  }

  @Post()
  @ApiCreatedResponse({ type: OrderDto })
  create() {
    return { id: '1' };
  }

  @Get(':id')
  findOne(@Param('id') id: string) {
    return { id };
  }
}

@Module({ controllers: [OrdersController] })
export class AppModule {}

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  SwaggerModule.setup('docs', app, SwaggerModule.createDocument(app, new DocumentBuilder().build()));
  await app.listen(3000);
}
bootstrap();
```

Use instead:
```ts
import { Controller, Get, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ApiCreatedResponse,
  ApiOkResponse,
  DocumentBuilder,
  SwaggerModule,
} from '@nestjs/swagger';

export class OrderDto {
  id: string;
}

@Controller('orders')
export class OrdersController {
  @Get()
  @ApiOkResponse({ type: [OrderDto] })
  findAll() {
    return [];
  }

  @Post()
  @ApiCreatedResponse({ type: OrderDto })
  create() {
    return { id: '1' };
  }

  @Get(':id')
  @ApiOkResponse({ type: OrderDto })
  findOne(@Param('id') id: string) {
    return { id };
  }
}

@Module({ controllers: [OrdersController] })
export class AppModule {}

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  SwaggerModule.setup('docs', app, SwaggerModule.createDocument(app, new DocumentBuilder().build()));
  await app.listen(3000);
}
bootstrap();
```

## When it stays silent
- routes that send no body: a `void` return type (`Promise<void>`, `Observable<void>`), or
  `@HttpCode(204)` (the document gives their status from `@HttpCode`, and there is no schema);
- packages that do not depend on `@nestjs/swagger`, or whose `nest-cli.json` enables the
  `@nestjs/swagger` plugin (it documents responses from the handlers' return types);
- applications that build no document (when the engine cannot tell which application serves a
  controller: application scopes with no file that builds one), and applications where half the
  routes or more document no response (a choice this rule does not make for them);
- routes and controllers excluded from the document (`@ApiExcludeEndpoint()`,
  `@ApiExcludeController()`);
- a decorator it cannot read (a package's, a factory whose body it cannot follow) or a base class
  it cannot resolve: either may document the response. A class-level response counts for every
  route, and so do the project's own composed decorators (`applyDecorators(ApiOkResponse(...))`).

## References
- https://docs.nestjs.com/openapi/operations#responses
"#,
};

/// A handler that sends no body: its return type is `void` (or a promise or observable of it),
/// or it answers `204 No Content`. Swagger documents its status from `@HttpCode`, and there is
/// no schema to give.
fn returns_nothing(method: &Member<'_>, source: &str) -> bool {
    let void_type = method
        .node
        .field(Field::ReturnType)
        .and_then(|t| named_children(t).next())
        .is_some_and(|t| {
            let written: String = text(t, source).split_whitespace().collect();
            matches!(
                written.as_str(),
                "void" | "Promise<void>" | "Observable<void>" | "undefined" | "Promise<undefined>"
            )
        });
    void_type
        || method.decorators.iter().any(|&decorator| {
            let written = text(decorator, source);
            written.contains("HttpCode")
                && (written.contains("NO_CONTENT") || written.contains("204"))
        })
}

impl Rule for ApiResponse {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[
            "program",
            "class_declaration",
            "abstract_class_declaration",
            "class",
        ]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if node.kind_name() == "program" {
            stash_document(ctx);
            return;
        }
        // From the class down, not from the method up: a node's parent and siblings cost a walk
        // from the root, which made deeply nested classes quadratic.
        let Some(class) = ClassView::new(node) else {
            return;
        };
        let Some(class_name) = class.name(ctx.source) else {
            return;
        };
        for member in class.members() {
            if member.kind == MemberKind::Method && returns_nothing(&member, ctx.source) {
                ctx.stash(FileFact::ReturnsNothing {
                    class: class_name.to_owned(),
                    method: member.name(ctx.source).to_owned(),
                });
            }
        }
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let no_body: HashSet<(FileId, String, String)> = index
            .stashed::<FileFact>(META.id)
            .filter_map(|(file, fact)| match fact {
                FileFact::ReturnsNothing { class, method } => Some((file, class, method)),
                _ => None,
            })
            .collect();
        // Routes documenting no response, with what documents them.
        let mut undocumented: Vec<(FileId, &ClassFact, &MethodFact, Document)> = Vec::new();
        // Per documenting application (or scope): how many routes document one.
        let mut documented_count: HashMap<Document, usize> = HashMap::new();
        for (key, class, document) in documented_controllers(index, META.id) {
            let file = key.file;
            // The CLI plugin documents responses from the handlers' return types.
            if index.package(file).swagger_plugin {
                continue;
            }
            let on_class = applies(index, file, &class.decorators, &is_response_decorator).or(
                inherited(index, file, &class.extends, &is_response_decorator, 0),
            );
            if on_class == Applies::Yes {
                *documented_count.entry(document.clone()).or_default() +=
                    index.route_handlers(file, class).len();
            }
            if on_class != Applies::No {
                continue;
            }
            for route in index.route_handlers(file, class) {
                let excluded = applies(index, file, &route.decorators, &|name| {
                    name == "ApiExcludeEndpoint"
                });
                if excluded != Applies::No
                    || no_body.contains(&(file, class.name.to_string(), route.name.to_string()))
                {
                    continue;
                }
                match applies(index, file, &route.decorators, &is_response_decorator) {
                    Applies::Yes => *documented_count.entry(document.clone()).or_default() += 1,
                    Applies::No if index.file(file).is_target => {
                        undocumented.push((file, class, route, document.clone()))
                    }
                    _ => {}
                }
            }
        }
        let mut undocumented_count: HashMap<Document, usize> = HashMap::new();
        for (_, _, _, app) in &undocumented {
            *undocumented_count.entry(app.clone()).or_default() += 1;
        }
        for (file, class, route, app) in undocumented {
            // Documented responses are the project's choice: only where most routes have them.
            if documented_count.get(&app).copied().unwrap_or(0) <= undocumented_count[&app] {
                continue;
            }
            ctx.report(
                index,
                file,
                route.name_range,
                format!(
                    "`{}.{}` documents no response: the OpenAPI document does not say what it returns",
                    class.name, route.name
                ),
            )
            .note("most routes of this application document theirs")
            .help("add `@ApiOkResponse({ type: ... })` (or the `@Api*Response()` of its status) from `@nestjs/swagger`");
        }
    }
}
