//! Rules for code that fails at boot or at run time: dependency injection and module wiring.

pub mod resolvable_dependencies;
pub mod valid_repository_injection;
