//! What the compiler-option rules share: the applications of a project and the TypeScript
//! configurations that compile each one.

use std::sync::Arc;

use nestlint_diagnostics::TextRange;
use nestlint_engine::tsconfig::Governing;
use nestlint_engine::workspace::Package;
use nestlint_engine::{FileId, ProjectIndex};

/// An application bootstrap the run lints, and the configurations of its directory.
pub struct CompiledApplication<'i> {
    pub file: FileId,
    /// The `NestFactory.create(...)` call.
    pub range: TextRange,
    pub package: &'i Package,
    pub governing: Arc<Governing>,
}

/// Every application the engine sees whose bootstrap is linted (not test code), with the
/// configurations that compile its bootstrap's directory.
pub fn compiled_applications(index: &ProjectIndex) -> Vec<CompiledApplication<'_>> {
    let mut out: Vec<(bool, CompiledApplication<'_>)> = Vec::new();
    for app in &index.applications().apps {
        if app.implicit {
            continue;
        }
        let bootstrap = index.file(app.file);
        if !bootstrap.is_target || bootstrap.is_test {
            continue;
        }
        let package = index.package(app.file);
        let Some(dir) = bootstrap.path.parent() else {
            continue;
        };
        let Some(governing) = package.compiler_configs.get(dir) else {
            continue;
        };
        out.push((
            !app.http,
            CompiledApplication {
                file: app.file,
                range: app.range,
                package,
                governing: governing.clone(),
            },
        ));
    }
    // HTTP servers first: a finding about a configuration several bootstraps share names the
    // server in its label, not a schema-generating script.
    out.sort_by_key(|(script, _)| *script);
    out.into_iter().map(|(_, app)| app).collect()
}

/// A configuration file's name as a finding says it (`tsconfig.build.json`).
pub fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
