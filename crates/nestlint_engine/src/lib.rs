//! The nestlint engine: discovery, the per-file pass with fact extraction, the project index, and
//! the project pass. Rules live in the `nestlint_rules` crate and plug in through [`Rule`].

pub mod facts;
pub mod index;
pub mod nest;
pub mod rule;
mod run;
pub mod workspace;

pub use index::{FileId, IndexedFile, ProjectIndex, Symbol};
pub use rule::{
    Category, DiagnosticExt, FileContext, FixAvailability, ProjectContext, Rule, RuleMeta, Scope,
};
pub use run::{
    display_path, FileProblem, LintReport, Linter, RunError, RunOptions, MAX_FILE_BYTES,
};

pub use nestlint_diagnostics as diagnostics;
pub use nestlint_syntax as syntax;
