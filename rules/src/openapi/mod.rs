//! Rules for gaps in the OpenAPI document `@nestjs/swagger` generates, and what they share:
//! whether a file's package is documented with swagger, and whether decorators (the project's
//! own composed ones included) apply a given swagger decorator.

pub mod api_enum_property;
pub mod api_extra_models;
pub mod api_file_upload;
pub mod api_operation;
pub mod api_params_documented;
pub mod api_property_array;
pub mod api_property_optionality;
pub mod api_response;
pub mod api_tags;
pub mod mapped_types_from_swagger;
pub(crate) mod property;
pub mod status_code_consistency;

use std::collections::HashSet;
use std::path::PathBuf;

use nestlint_engine::apps::Served;
use nestlint_engine::facts::{ClassFact, DecoratorFact, Value};
use nestlint_engine::nest::ClassKey;
use nestlint_engine::{FileContext, FileId, ProjectIndex, Symbol};

const SWAGGER: &str = "@nestjs/swagger";

/// Which packages are documented with `@nestjs/swagger`.
pub struct Swagger {
    /// Files with no manifest above them: whether any file of the project imports swagger.
    imported_anywhere: bool,
}

impl Swagger {
    pub fn new(index: &ProjectIndex) -> Swagger {
        let imported_anywhere = index.files().any(|(_, indexed)| {
            indexed
                .facts
                .imports
                .iter()
                .any(|b| b.source.as_str() == SWAGGER)
        });
        Swagger { imported_anywhere }
    }

    /// Whether the package of `file` depends on `@nestjs/swagger` (for a file with no manifest
    /// above it: whether the project imports it anywhere).
    pub fn documents(&self, index: &ProjectIndex, file: FileId) -> bool {
        let package = index.package(file);
        if package.has_manifest {
            package.dependencies.contains(SWAGGER)
        } else {
            self.imported_anywhere
        }
    }
}

/// A file that builds an OpenAPI document from the application (`SwaggerModule.createDocument`),
/// stashed by the file pass of the rules that judge documents. `SwaggerModule.setup` alone may
/// serve a document written some other way (teable serves one generated from zod schemas), in
/// which Nest's decorators play no part.
/// What the file halves of the OpenAPI rules hand their project halves: one type, so that each
/// value decodes as what it was.
#[derive(serde::Serialize, serde::Deserialize)]
pub enum FileFact {
    BuildsDocument,
    /// A handler, by its class's and its own name, that sends no body (`api-response`). Names,
    /// not offsets: an edit that moves text must leave a file's stash as it was, or every edit
    /// would run the project pass again.
    ReturnsNothing {
        class: String,
        method: String,
    },
    /// The `nth` call `getSchemaPath(name)` of the file, counting those with that name
    /// (`api-extra-models`).
    SchemaPath {
        name: String,
        nth: u32,
    },
    /// The file passes `extraModels` somewhere (`api-extra-models`).
    ExtraModelsOption,
    /// A handler of a controller with a base class whose documented success responses leave
    /// out the status it answers with (`status-code-consistency`): reported unless a base class
    /// documents a success response of its own. The `nth` decorator named `decorator` on
    /// `class.method` is where the finding goes.
    StatusMismatch {
        class: String,
        method: String,
        decorator: String,
        nth: u32,
        message: String,
        help: String,
    },
}

/// The file half of those rules: stashes [`FileFact::BuildsDocument`].
pub fn stash_document(ctx: &mut FileContext<'_, '_>) {
    let source = ctx.source.as_bytes();
    if memchr::memmem::find(source, b"SwaggerModule.createDocument").is_some() {
        ctx.stash(FileFact::BuildsDocument);
    }
}

/// What documents a controller: the application serving it, or, when the engine cannot tell
/// which application does, its application scope (package, and project root in a monorepo).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Document {
    App(FileId),
    Scope(usize, PathBuf),
}

/// The applications and scopes that build an OpenAPI document: a file beside an application's
/// bootstrap (or the bootstrap itself) calls `SwaggerModule.createDocument`. Controllers that only other
/// applications serve (a microservice of the same repository) are never documented.
pub struct DocumentingApps {
    bootstraps: Vec<Option<FileId>>,
    scopes: HashSet<(usize, PathBuf)>,
}

impl DocumentingApps {
    pub fn new(index: &ProjectIndex, rule: &'static str) -> DocumentingApps {
        let mut builders: HashSet<PathBuf> = HashSet::new();
        let mut scopes = HashSet::new();
        let builder_files = index
            .stashed::<FileFact>(rule)
            .filter(|(_, fact)| matches!(fact, FileFact::BuildsDocument));
        for (file, _) in builder_files {
            if let Some(dir) = index.file(file).path.parent() {
                builders.insert(dir.to_path_buf());
            }
            let (package, root) = index.app_scope(file);
            scopes.insert((package, root.to_path_buf()));
        }
        let bootstraps = index
            .applications()
            .apps
            .iter()
            .map(|app| {
                let dir = index.file(app.file).path.parent()?;
                (!app.implicit && builders.contains(dir)).then_some(app.file)
            })
            .collect();
        DocumentingApps { bootstraps, scopes }
    }

    /// What documents the controller `class` of `file`: the first documenting application that
    /// serves it; when no application the engine sees serves it, its scope, if a file of the
    /// scope builds a document.
    pub fn serving(&self, index: &ProjectIndex, file: FileId, class: ClassKey) -> Option<Document> {
        let modules = index.controller_modules();
        let declaring = modules.get(&class).map_or(&[][..], Vec::as_slice);
        let all = &index.applications().apps;
        match index.applications().serving(index, file, declaring) {
            Served::By(apps) if apps.iter().any(|app| !app.implicit) => {
                apps.iter().find_map(|app| {
                    let position = all.iter().position(|a| std::ptr::eq(a, *app))?;
                    self.bootstraps
                        .get(position)
                        .copied()
                        .flatten()
                        .map(Document::App)
                })
            }
            _ => {
                let (package, root) = index.app_scope(file);
                let scope = (package, root.to_path_buf());
                if self.scopes.contains(&scope) {
                    Some(Document::Scope(scope.0, scope.1))
                } else {
                    None
                }
            }
        }
    }
}

/// The controllers whose routes an OpenAPI document built from the application describes, with
/// what documents them: outside test code, in packages documented with swagger, served by an
/// application that builds a document, and not `@ApiExcludeController()`.
pub fn documented_controllers<'a>(
    index: &'a ProjectIndex,
    rule: &'static str,
) -> Vec<(ClassKey, &'a ClassFact, Document)> {
    let swagger = Swagger::new(index);
    let documenting = DocumentingApps::new(index, rule);
    index
        .controllers()
        .filter(|(key, _)| !index.file(key.file).is_test && swagger.documents(index, key.file))
        .filter(|(key, class)| {
            applies(index, key.file, &class.decorators, &|n| {
                n == "ApiExcludeController"
            }) == Applies::No
        })
        .filter_map(|(key, class)| {
            let document = documenting.serving(index, key.file, key)?;
            Some((key, class, document))
        })
        .collect()
}

/// What a set of decorators says about a swagger decorator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    Yes,
    No,
    /// A decorator the engine cannot read may apply it.
    Unknown,
}

impl Applies {
    pub fn or(self, other: Applies) -> Applies {
        match (self, other) {
            (Applies::Yes, _) | (_, Applies::Yes) => Applies::Yes,
            (Applies::Unknown, _) | (_, Applies::Unknown) => Applies::Unknown,
            _ => Applies::No,
        }
    }
}

/// Packages whose decorators never apply swagger metadata.
fn never_documents(source: &str) -> bool {
    (source.starts_with("@nestjs/") && source != SWAGGER)
        || matches!(
            source,
            "class-validator" | "class-transformer" | "typeorm" | "@prisma/client" | "mongoose"
        )
}

/// How many layers of project decorator factories are followed.
const MAX_DEPTH: usize = 8;

/// Whether `decorators`, written in `file`, apply a swagger decorator whose name `wanted`
/// accepts: directly, or through a project factory (`applyDecorators(ApiTags('x'), ...)`).
pub fn applies(
    index: &ProjectIndex,
    file: FileId,
    decorators: &[DecoratorFact],
    wanted: &dyn Fn(&str) -> bool,
) -> Applies {
    let mut seen = HashSet::new();
    decorators.iter().fold(Applies::No, |found, decorator| {
        found.or(symbol_applies(
            index,
            index.resolve_callee(file, &decorator.callee),
            wanted,
            &mut seen,
            0,
        ))
    })
}

fn symbol_applies(
    index: &ProjectIndex,
    symbol: Symbol,
    wanted: &dyn Fn(&str) -> bool,
    seen: &mut HashSet<(FileId, String)>,
    depth: usize,
) -> Applies {
    match &symbol {
        Symbol::External { source, name } if source.as_str() == SWAGGER => {
            if wanted(name) {
                Applies::Yes
            } else {
                Applies::No
            }
        }
        Symbol::External { source, .. } if never_documents(source) => Applies::No,
        Symbol::Declared { .. } => {
            let Some((function_file, function)) = index.function(&symbol) else {
                return Applies::Unknown;
            };
            if depth > MAX_DEPTH || !seen.insert((function_file, function.name.to_string())) {
                return Applies::No;
            }
            let mut found = if function.opaque {
                Applies::Unknown
            } else {
                Applies::No
            };
            for (callee, _) in &function.calls {
                let callee = index.resolve_callee(function_file, callee);
                // Calls to project helpers that are not decorators (loggers, formatters) are
                // followed too: they apply nothing, or are read as what they are.
                found = found.or(symbol_applies(index, callee, wanted, seen, depth + 1));
                if found == Applies::Yes {
                    break;
                }
            }
            found
        }
        // Inside a factory, an unknown callee is a global (`console.log`, `Reflect.*`): swagger's
        // decorators are imported.
        Symbol::Unknown if depth > 0 => Applies::No,
        _ => Applies::Unknown,
    }
}

/// Whether the base classes of a class (its `extends`, written in `file`) apply a swagger
/// decorator `wanted` accepts: class decorators' metadata is inherited.
pub fn inherited(
    index: &ProjectIndex,
    file: FileId,
    extends: &Option<Value>,
    wanted: &dyn Fn(&str) -> bool,
    depth: usize,
) -> Applies {
    match extends {
        None => Applies::No,
        Some(Value::Ident(base)) if depth < MAX_DEPTH => {
            match index.class(&index.resolve(file, base)) {
                Some((base_file, base)) => applies(index, base_file, &base.decorators, wanted).or(
                    inherited(index, base_file, &base.extends, wanted, depth + 1),
                ),
                None => Applies::Unknown,
            }
        }
        Some(_) => Applies::Unknown,
    }
}

/// Whether the swagger decorator `name` documents a response (`ApiResponse`, `ApiOkResponse`,
/// `ApiNotFoundResponse`, ...).
pub fn is_response_decorator(name: &str) -> bool {
    name.starts_with("Api") && name.ends_with("Response")
}
