//! Rules for conventions: order and naming a team agrees on. Off by default.

pub mod endpoint_naming_convention;
pub mod sort_module_metadata;
