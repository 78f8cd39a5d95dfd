//! Rules for conventions: order and naming a team agrees on. Off by default.

pub mod endpoint_naming_convention;
pub mod entity_relation_on_delete;
pub mod entity_timestamps;
pub mod lifecycle_hook_interface;
pub mod no_async_without_await;
pub mod no_data_access_in_controllers;
pub mod no_dead_nest_artifacts;
pub mod no_process_env_outside_config;
pub mod no_service_locator;
pub mod provider_style;
pub mod sort_module_metadata;
pub mod use_nest_logger;
