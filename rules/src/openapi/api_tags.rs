use std::collections::HashMap;

use nestlint_diagnostics::Severity;
use nestlint_engine::facts::ClassFact;
use nestlint_engine::syntax::Node;
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, Scope,
};

use super::{applies, documented_controllers, inherited, stash_document, Applies, Document};

pub struct ApiTags;

static META: RuleMeta = RuleMeta {
    id: "api-tags",
    category: Category::Openapi,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary:
        "In a project that tags its controllers for OpenAPI, every controller has `@ApiTags()`",
    docs: r#"## What it does
Reports a controller without `@ApiTags()` (on the class, a base class, or every route) served by
an application that builds an OpenAPI document (`SwaggerModule.createDocument` beside its
bootstrap), when most controllers of that application are tagged.

## Why is this bad?
Swagger UI and the clients generated from the document group operations by tag. An untagged
controller's routes land in a "default" group, away from the resource they belong to, and code
generators put them in a catch-all service.

## Example
```ts,expect_diagnostic
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiTags, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

@ApiTags('users')
@Controller('users')
export class UsersController {
  @Get()
  findAll() {
    return [];
  }
}

@ApiTags('teams')
@Controller('teams')
export class TeamsController {
  @Get()
  findAll() {
    return [];
  }
}

@Controller('orders')
export class OrdersController {
  @Get()
  findAll() {
    return [];
  }
}

@Module({ controllers: [UsersController, TeamsController, OrdersController] })
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
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiTags, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

@ApiTags('users')
@Controller('users')
export class UsersController {
  @Get()
  findAll() {
    return [];
  }
}

@ApiTags('teams')
@Controller('teams')
export class TeamsController {
  @Get()
  findAll() {
    return [];
  }
}

@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  @Get()
  findAll() {
    return [];
  }
}

@Module({ controllers: [UsersController, TeamsController, OrdersController] })
export class AppModule {}

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  SwaggerModule.setup('docs', app, SwaggerModule.createDocument(app, new DocumentBuilder().build()));
  await app.listen(3000);
}
bootstrap();
```

## When it stays silent
- packages that do not depend on `@nestjs/swagger`; applications that build no document (when
  the engine cannot tell which application serves a controller: application scopes, a package or
  a Nest monorepo project, with no file that builds one);
- applications where half the controllers or more are untagged: tags are a choice, and this rule
  keeps an application consistent with the one it made;
- controllers excluded from the document (`@ApiExcludeController()`, or every route
  `@ApiExcludeEndpoint()`), and controllers without routes;
- a decorator it cannot read (a package's, a factory whose body it cannot follow), or a base
  class it cannot resolve: either may tag the controller.

## References
- https://docs.nestjs.com/openapi/operations#tags
"#,
};

impl Rule for ApiTags {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["program"]
    }

    fn check_node<'t>(&self, _node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        stash_document(ctx);
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        // Untagged controllers, with what documents them.
        let mut untagged: Vec<(FileId, &ClassFact, Document)> = Vec::new();
        // Per documenting application (or scope): how many controllers are tagged.
        let mut tagged_count: HashMap<Document, usize> = HashMap::new();
        for (key, class, document) in documented_controllers(index, META.id) {
            match tagged(index, key.file, class) {
                Applies::Yes => *tagged_count.entry(document).or_default() += 1,
                Applies::No if index.file(key.file).is_target => {
                    untagged.push((key.file, class, document))
                }
                _ => {}
            }
        }
        let mut untagged_count: HashMap<Document, usize> = HashMap::new();
        for (_, _, app) in &untagged {
            *untagged_count.entry(app.clone()).or_default() += 1;
        }
        for (file, class, app) in untagged {
            // Tags are the project's choice: only where most controllers have them.
            if tagged_count.get(&app).copied().unwrap_or(0) <= untagged_count[&app] {
                continue;
            }
            ctx.report(
                index,
                file,
                class.name_range,
                format!(
                    "`{}` has no `@ApiTags()`: the OpenAPI document lists its operations under \"default\"",
                    class.name
                ),
            )
            .note("most controllers of this application are tagged")
            .help("add `@ApiTags('...')` from `@nestjs/swagger` to the class");
        }
    }
}

/// Whether a controller is tagged: `Yes` also for a controller excluded from the document or
/// with no routes (nothing to tag), `Unknown` where a decorator or base class cannot be read.
fn tagged(index: &ProjectIndex, file: FileId, class: &ClassFact) -> Applies {
    let on_class = applies(index, file, &class.decorators, &|name| name == "ApiTags");
    if on_class != Applies::No {
        return on_class;
    }
    let routes = index.route_handlers(file, class);
    if routes.is_empty() {
        return Applies::Yes;
    }
    // Every route tagged or excluded on its own.
    let each_route = routes.iter().fold(Applies::Yes, |all, route| {
        let route = applies(index, file, &route.decorators, &|name| {
            matches!(name, "ApiTags" | "ApiExcludeEndpoint")
        });
        match (all, route) {
            (Applies::No, _) | (_, Applies::No) => Applies::No,
            (Applies::Unknown, _) | (_, Applies::Unknown) => Applies::Unknown,
            _ => Applies::Yes,
        }
    });
    if each_route != Applies::No {
        return each_route;
    }
    inherited(index, file, &class.extends, &|name| name == "ApiTags", 0)
}
