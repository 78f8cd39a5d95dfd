//! The nestlint engine: discovery, the per-file pass with fact extraction, the project index, and
//! the project pass. Rules live in the `nestlint_rules` crate and plug in through [`Rule`].

pub use nestlint_semantic::{
    apps, di, dto, facts, files, flows, index, nest, packages, tsconfig, workspace,
};

pub mod baseline;
pub mod cache;
pub mod config;
pub mod edits;
pub mod fix;
mod incremental;
pub mod rule;
mod run;
pub mod selfcheck;
pub mod session;
mod shifted;
mod sources;
pub mod suppress;

pub use config::{CliSelection, ConfigError, ConfigResolver, ConfigSource, FixSetting};
pub use files::MAX_FILE_BYTES;
pub use fix::{write_fixed, FixOptions, FixOutcome, FixedFile, MAX_FIX_ROUNDS};
pub use index::{FileId, ImportTarget, IndexedFile, ProjectIndex, Symbol};
pub use rule::{
    options_from, Category, DiagnosticExt, FileContext, FixAvailability, ProjectContext, Rule,
    RuleMeta, RuleOptions, Scope, TYPE_LEVEL_KINDS,
};
pub use run::{display_path, phase, FileProblem, LintReport, Linter, RunError, RunOptions};

pub use nestlint_diagnostics as diagnostics;
pub use nestlint_syntax as syntax;
