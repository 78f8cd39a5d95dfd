//! Rules for code that fails at boot or at run time: dependency injection and module wiring.

pub mod config_validation_schema;
pub mod enhancer_contract;
pub mod enhancer_instance_dependencies;
pub mod factory_inject_arity;
pub mod for_root_once;
pub mod forward_ref_wrapper_type;
pub mod http_exception_over_error;
pub mod imports_are_modules;
pub mod injectable_must_be_provided;
pub mod module_metadata_hygiene;
pub mod no_app_token_lookup;
pub mod no_circular_module_imports;
pub mod no_circular_provider_injection;
pub mod no_duplicate_decorators;
pub mod no_empty_handler;
pub mod no_manual_instantiation;
pub mod no_swallowed_errors;
pub mod no_type_only_di_import;
pub mod param_decorator_matches_route;
pub mod provider_missing_injectable;
pub mod res_requires_passthrough;
pub mod resolvable_dependencies;
pub mod route_conflicts;
pub mod testing_module_closed;
pub mod typeorm_no_synchronize;
pub mod valid_repository_injection;
