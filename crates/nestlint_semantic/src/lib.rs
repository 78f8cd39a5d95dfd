//! The NestJS model: what each file declares and imports (`facts`, read in the per-file pass),
//! the project index over them (`index`: files, symbols, import resolution), and the questions
//! rules ask of a project: its modules and what they provide (`nest`), its applications and what
//! protects their routes (`apps`), the properties a DTO really has (`dto`), where a request value
//! goes (`flows`). Also which files a run reads and how specifiers resolve (`workspace`), and
//! reading files that may not be what their names say (`files`).
//!
//! It knows nothing of rules, configuration, suppressions or fixes: the engine (`nestlint_engine`)
//! runs the passes and rules, and rules ask this crate.

pub mod apps;
pub mod di;
pub mod dto;
pub mod facts;
pub mod files;
pub mod flows;
pub mod index;
pub mod memo;
pub mod nest;
pub mod packages;
pub mod tsconfig;
pub mod workspace;

pub use index::{FileId, ImportTarget, IndexedFile, ProjectIndex, Stash, Symbol};
