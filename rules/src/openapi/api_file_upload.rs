use nestlint_diagnostics::Severity;
use nestlint_engine::facts::Value;
use nestlint_engine::syntax::Node;
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, ProjectContext, ProjectIndex, Rule,
    RuleMeta, Scope, Symbol,
};

use super::{applies, documented_controllers, stash_document, Applies};

pub struct ApiFileUpload;

static META: RuleMeta = RuleMeta {
    id: "api-file-upload",
    category: Category::Openapi,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "An upload route documents its multipart body: `@ApiConsumes('multipart/form-data')` and `@ApiBody()`",
    docs: r#"## What it does
Reports a route that takes a file (`@UploadedFile()` or `@UploadedFiles()` under one of
`@nestjs/platform-express`'s file interceptors) without `@ApiConsumes('multipart/form-data')` or
without `@ApiBody(...)`, on itself or its controller, when the application serving it builds an
OpenAPI document.

## Why is this bad?
Without them the document describes the route as taking JSON, and without the file field:
Swagger UI offers no file picker, and generated clients cannot upload at all.

## Example
```ts,expect_diagnostic
import { Controller, Module, Post, UploadedFile, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FileInterceptor } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

@Controller('avatars')
export class AvatarsController {
  @Post()
  @UseInterceptors(FileInterceptor('file'))
  upload(@UploadedFile() file: Express.Multer.File) {
    return file.size;
  }
}

@Module({ controllers: [AvatarsController] })
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
import { Controller, Module, Post, UploadedFile, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

@Controller('avatars')
export class AvatarsController {
  @Post()
  @UseInterceptors(FileInterceptor('file'))
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } },
  })
  upload(@UploadedFile() file: Express.Multer.File) {
    return file.size;
  }
}

@Module({ controllers: [AvatarsController] })
export class AppModule {}

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  SwaggerModule.setup('docs', app, SwaggerModule.createDocument(app, new DocumentBuilder().build()));
  await app.listen(3000);
}
bootstrap();
```

## When it stays silent
- applications that build no document (see `api-tags`), packages that do not depend on
  `@nestjs/swagger`, and routes or controllers excluded from the document;
- a decorator it cannot read (a package's, a factory whose body it cannot follow): it may
  document the upload; the project's own composed decorators are read;
- routes whose interceptor is not one of `@nestjs/platform-express`'s.

## References
- https://docs.nestjs.com/openapi/operations#file-upload
"#,
};

const INTERCEPTORS: &[&str] = &[
    "FileInterceptor",
    "FilesInterceptor",
    "FileFieldsInterceptor",
    "AnyFilesInterceptor",
];

impl Rule for ApiFileUpload {
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
        for (key, class, _) in documented_controllers(index, META.id) {
            let file = key.file;
            if !index.file(file).is_target {
                continue;
            }
            let excluded = |decorators: &[_], name: &'static str| {
                applies(index, file, decorators, &|n| n == name) != Applies::No
            };
            for route in index.route_handlers(file, class) {
                let takes_file = route.params.iter().any(|p| {
                    p.decorators.iter().any(|d| {
                        index.is_nest_decorator(file, d, "UploadedFile")
                            || index.is_nest_decorator(file, d, "UploadedFiles")
                    })
                });
                if !takes_file || excluded(&route.decorators, "ApiExcludeEndpoint") {
                    continue;
                }
                let multer = route.decorators.iter().chain(&class.decorators).any(|d| {
                    index.is_nest_decorator(file, d, "UseInterceptors")
                        && d.args.iter().any(|arg| match arg {
                            Value::Call { callee, .. } => matches!(
                                index.resolve_callee(file, callee),
                                Symbol::External { source, name }
                                    if source.as_str() == "@nestjs/platform-express"
                                        && INTERCEPTORS.contains(&name.as_str())
                            ),
                            _ => false,
                        })
                });
                if !multer {
                    continue;
                }
                let documents = |name: &'static str| {
                    applies(index, file, &route.decorators, &|n| n == name).or(applies(
                        index,
                        file,
                        &class.decorators,
                        &|n| n == name,
                    ))
                };
                let consumes = documents("ApiConsumes");
                let body = documents("ApiBody");
                if consumes == Applies::Unknown || body == Applies::Unknown {
                    continue;
                }
                let missing = match (consumes, body) {
                    (Applies::No, Applies::No) => {
                        "`@ApiConsumes('multipart/form-data')` and `@ApiBody(...)`"
                    }
                    (Applies::No, _) => "`@ApiConsumes('multipart/form-data')`",
                    (_, Applies::No) => "`@ApiBody(...)`",
                    _ => continue,
                };
                ctx.report(
                    index,
                    file,
                    route.name_range,
                    format!(
                        "`{}.{}` takes a file, but the OpenAPI document does not say so: it has no {missing}",
                        class.name, route.name
                    ),
                )
                .note("without them the document describes a JSON body without the file field")
                .help("add `@ApiConsumes('multipart/form-data')` and `@ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } } })`");
            }
        }
    }
}
