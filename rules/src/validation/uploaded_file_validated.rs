use nestlint_diagnostics::Severity;
use nestlint_engine::apps::{Application, Served};
use nestlint_engine::facts::{ClassFact, DecoratorFact, MethodFact, Value};
use nestlint_engine::nest::{pipe_kind, PipeKind};
use nestlint_engine::syntax::nest::ClassView;
use nestlint_engine::syntax::{text, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FileId, FixAvailability, ProjectContext, ProjectIndex,
    Rule, RuleMeta, Scope, Symbol,
};

pub struct UploadedFileValidated;

static META: RuleMeta = RuleMeta {
    id: "uploaded-file-validated",
    category: Category::Validation,
    default_severity: Severity::Warning,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "An uploaded file is checked by a pipe on `@UploadedFile()` or limited by multer's `limits.fileSize`",
    docs: r#"## What it does
Reports an `@UploadedFile()` or `@UploadedFiles()` parameter with no pipe, on a route whose file
comes from `@nestjs/platform-express`'s `FileInterceptor`, `FilesInterceptor`,
`FileFieldsInterceptor` or `AnyFilesInterceptor` without `limits.fileSize` in its options, in a
project that does not register `MulterModule` with a limit either.

## Why is this bad?
Multer accepts a file of any size and any type unless told otherwise: a client can send gigabytes
(held in memory with the default storage) or an executable where an image is expected. Nest's
`ParseFilePipe` (or `ParseFilePipeBuilder`) checks size and type per route; multer's
`limits.fileSize` stops an oversized upload while it is read.

## Example
```ts,expect_diagnostic
import { Controller, Post, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';

@Controller('avatars')
export class AvatarsController {
  @Post()
  @UseInterceptors(FileInterceptor('file'))
  upload(@UploadedFile() file: Express.Multer.File) {
    return file.originalname;
  }
}
```

Use instead:
```ts
import {
  Controller,
  FileTypeValidator,
  MaxFileSizeValidator,
  ParseFilePipe,
  Post,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';

@Controller('avatars')
export class AvatarsController {
  @Post()
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: 2_000_000 } }))
  upload(
    @UploadedFile(
      new ParseFilePipe({
        validators: [
          new MaxFileSizeValidator({ maxSize: 2_000_000 }),
          new FileTypeValidator({ fileType: 'image/png' }),
        ],
      }),
    )
    file: Express.Multer.File,
  ) {
    return file.originalname;
  }
}
```

## When it stays silent
- a controller no application it can see serves, or served by one with a global pipe it cannot
  see or classify, or named for files;
- a handler that reads a `.size` (it may check the file's);
- pipes of the method or the controller (`@UsePipes(...)`);
- any pipe on the parameter (`@UploadedFile(new ParseFilePipe(...))`, a pipe of the project);
- interceptor options it cannot read (a variable it cannot follow, a spread), or that set
  `limits.fileSize`; an interceptor that is not one of `@nestjs/platform-express`'s (it may limit
  uploads itself), or none it can see on the route;
- a project that imports `MulterModule` and registers it other than with options it can read and
  that lack `limits.fileSize` (`registerAsync`, a variable).

## References
- https://docs.nestjs.com/techniques/file-upload#file-validation
- https://github.com/expressjs/multer#limits
"#,
};

const PLATFORM_EXPRESS: &str = "@nestjs/platform-express";

/// The interceptors of `@nestjs/platform-express` that run multer, with the position of their
/// multer options.
const FILE_INTERCEPTORS: &[(&str, usize)] = &[
    ("FileInterceptor", 1),
    ("FilesInterceptor", 2),
    ("FileFieldsInterceptor", 1),
    ("AnyFilesInterceptor", 0),
];

/// What multer's options say of the size of a file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Limit {
    /// Read, and without `limits.fileSize`.
    None,
    /// `limits.fileSize` set, or options it cannot read.
    LimitedOrUnknown,
}

/// A method, by its class's and its own name (not an offset, which every edit above it would
/// change), whose body reads a `.size`: it may check the upload's.
#[derive(serde::Serialize, serde::Deserialize)]
struct ReadsSize {
    class: String,
    method: String,
}

impl Rule for UploadedFileValidated {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["method_definition"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        // Cheap checks first: a method's text spans the classes nested in it, and reading it
        // for each of them was quadratic.
        let imports_upload = ctx.imports.iter().any(|b| {
            b.is("@nestjs/common", "UploadedFile") || b.is("@nestjs/common", "UploadedFiles")
        });
        if !imports_upload {
            return;
        }
        let (Some(name), Some(body)) = (node.field(Field::Name), node.field(Field::Body)) else {
            return;
        };
        let takes_upload = node.field(Field::Parameters).is_some_and(|p| {
            memchr::memmem::find(text(p, ctx.source).as_bytes(), b"UploadedFile").is_some()
        });
        if !takes_upload {
            return;
        }
        if memchr::memmem::find(text(body, ctx.source).as_bytes(), b".size").is_some() {
            if let Some(class) = ClassView::enclosing(node).and_then(|c| c.name(ctx.source)) {
                ctx.stash(ReadsSize {
                    class: class.to_owned(),
                    method: text(name, ctx.source).to_owned(),
                });
            }
        }
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        if multer_module_limit(index) != Limit::None {
            return;
        }
        let reads_size: std::collections::HashSet<(FileId, String, String)> = index
            .stashed::<ReadsSize>(META.id)
            .map(|(file, ReadsSize { class, method })| (file, class, method))
            .collect();
        let applications = index.applications();
        let controller_modules = index.controller_modules();
        for (key, class) in index.controllers() {
            let file = key.file;
            let indexed = index.file(file);
            if !indexed.is_target || indexed.is_test {
                continue;
            }
            let modules = controller_modules.get(&key).map_or(&[][..], Vec::as_slice);
            // A global pipe may check files: one the engine cannot see or classify, or one
            // named for them. (`ValidationPipe` and schema pipes leave files alone.)
            let served = applications.serving(index, file, modules);
            let Served::By(apps) = served else {
                continue;
            };
            if apps
                .iter()
                .any(|app| global_pipes_may_check_files(index, app))
            {
                continue;
            }
            for handler in index.route_handlers(file, class) {
                if reads_size.contains(&(file, class.name.to_string(), handler.name.to_string())) {
                    continue;
                }
                check_handler(index, ctx, file, class, handler);
            }
        }
    }
}

fn check_handler(
    index: &ProjectIndex,
    ctx: &mut ProjectContext<'_>,
    file: FileId,
    class: &ClassFact,
    handler: &MethodFact,
) {
    let uploads: Vec<_> = handler
        .params
        .iter()
        .filter_map(|param| {
            let decorator = param.decorators.iter().find(|d| {
                index.is_nest_decorator(file, d, "UploadedFile")
                    || index.is_nest_decorator(file, d, "UploadedFiles")
            })?;
            Some((param, decorator))
        })
        .collect();
    if uploads.is_empty() {
        return;
    }
    // The file interceptors of the route, the method's and the controller's.
    let mut interceptors = 0;
    for decorator in handler.decorators.iter().chain(&class.decorators) {
        // Pipes of the method or the controller run on every parameter.
        if index.is_nest_decorator(file, decorator, "UsePipes") {
            return;
        }
        if !index.is_nest_decorator(file, decorator, "UseInterceptors") {
            continue;
        }
        for interceptor in &decorator.args {
            match interceptor_limit(index, file, interceptor) {
                Some(Limit::None) => interceptors += 1,
                Some(Limit::LimitedOrUnknown) => return,
                None => {
                    // Another interceptor: it may handle uploads its own way.
                    if !is_plain_interceptor(index, file, interceptor) {
                        return;
                    }
                }
            }
        }
    }
    if interceptors == 0 {
        return;
    }
    for (param, decorator) in uploads {
        if has_pipe(decorator) {
            continue;
        }
        ctx.report(
            index,
            file,
            param.range,
            format!(
                "`{}` is accepted at any size: multer's options set no `limits.fileSize`, and no pipe checks the file",
                param.name
            ),
        )
        .note("multer reads the whole upload before the handler runs (into memory, with the default storage)")
        .help("pass `new ParseFilePipe({ validators: [new MaxFileSizeValidator(...), new FileTypeValidator(...)] })` to the decorator, or set `limits: { fileSize }` in the interceptor's options");
    }
}

fn global_pipes_may_check_files(index: &ProjectIndex, app: &Application) -> bool {
    app.unknown_pipe
        || app.pipes.iter().any(|(file, pipe)| {
            let named_for_files = match pipe {
                Value::New { class, .. } => is_file_word(&class.name),
                Value::Ident(name) => is_file_word(name),
                _ => true,
            };
            named_for_files || pipe_kind(index, *file, pipe) == PipeKind::Unknown
        })
}

fn is_file_word(name: &str) -> bool {
    let lowered = name.to_ascii_lowercase();
    ["file", "upload", "multer", "multipart", "form"]
        .iter()
        .any(|word| lowered.contains(word))
}

/// A pipe among the decorator's arguments (a leading string names the field, not a pipe).
fn has_pipe(decorator: &DecoratorFact) -> bool {
    decorator
        .args
        .iter()
        .any(|arg| !matches!(arg, Value::String(_)))
}

/// What a file interceptor of `@nestjs/platform-express` says of sizes; `None` when the value
/// is not one.
fn interceptor_limit(index: &ProjectIndex, file: FileId, value: &Value) -> Option<Limit> {
    let Value::Call { callee, args } = value else {
        return None;
    };
    let Symbol::External { source, name } = index.resolve_callee(file, callee) else {
        return None;
    };
    if source.as_str() != PLATFORM_EXPRESS {
        return None;
    }
    let &(_, options_at) = FILE_INTERCEPTORS
        .iter()
        .find(|(n, _)| *n == name.as_str())?;
    Some(match args.get(options_at) {
        None => Limit::None,
        Some(options) => options_limit(index, file, options),
    })
}

/// An interceptor that surely does not receive files: a class or instance the rule can name
/// (logging, caching, serialisation), from any source other than a file-upload package.
fn is_plain_interceptor(index: &ProjectIndex, file: FileId, value: &Value) -> bool {
    let name = match value {
        Value::Ident(name) => name.as_str(),
        Value::New { class, .. } => class.name.as_str(),
        _ => return false,
    };
    if is_file_word(name) {
        return false;
    }
    match index.resolve(file, name) {
        Symbol::External { source, .. } => !source.contains("multer") && !source.contains("file"),
        Symbol::Declared { .. } => true,
        Symbol::Unresolved | Symbol::Unknown => false,
    }
}

/// What multer options (an object, or a constant bound to one) say of sizes.
fn options_limit(index: &ProjectIndex, file: FileId, options: &Value) -> Limit {
    match options {
        Value::Object { open: false, .. } => match options.get("limits") {
            None => Limit::None,
            Some(Value::Object {
                entries,
                open: false,
            }) if !entries.iter().any(|(key, _)| key == "fileSize") => Limit::None,
            Some(_) => Limit::LimitedOrUnknown,
        },
        Value::Ident(name) => match index.constant(&index.resolve(file, name)) {
            Some((constant_file, constant)) if !matches!(constant.value, Value::Ident(_)) => {
                options_limit(index, constant_file, &constant.value)
            }
            _ => Limit::LimitedOrUnknown,
        },
        _ => Limit::LimitedOrUnknown,
    }
}

/// What the project's `MulterModule` registrations say of sizes: `None` when it registers none,
/// or only with readable options without a limit.
fn multer_module_limit(index: &ProjectIndex) -> Limit {
    for (file, indexed) in index.files() {
        if indexed.is_test {
            continue;
        }
        let Some(binding) = indexed
            .facts
            .imports
            .iter()
            .find(|b| b.is(PLATFORM_EXPRESS, "MulterModule"))
        else {
            continue;
        };
        let mut found = false;
        for class in &indexed.facts.classes {
            for decorator in &class.decorators {
                if !index.is_nest_decorator(file, decorator, "Module") {
                    continue;
                }
                let imports = decorator.args.first().and_then(|m| m.get("imports"));
                let Some(Value::Array(imports)) = imports else {
                    continue;
                };
                for import in imports {
                    let Value::Call { callee, args } = import else {
                        continue;
                    };
                    if callee.object.as_deref() != Some(binding.local.as_str()) {
                        continue;
                    }
                    found = true;
                    let readable = callee.name.as_str() == "register"
                        && args
                            .first()
                            .is_none_or(|o| options_limit(index, file, o) == Limit::None);
                    if !readable {
                        return Limit::LimitedOrUnknown;
                    }
                }
            }
        }
        // Imported, but registered where the rule does not look (a constant array, a
        // dynamic module of the project).
        if !found {
            return Limit::LimitedOrUnknown;
        }
    }
    Limit::None
}
