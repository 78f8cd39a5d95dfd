//! The NestJS rules of nestlint: one file per rule, named after its kebab-case id, in a folder per
//! category.

mod code;
mod correctness;
mod decorators;
mod graph;
mod guard_scope;
mod module_edits;
mod openapi;
mod performance;
mod security;
mod style;
mod tsconfig;
mod validation;

use nestlint_engine::Rule;

/// Every rule, in id order.
pub fn all_rules() -> Vec<Box<dyn Rule>> {
    let mut rules: Vec<Box<dyn Rule>> = vec![
        Box::new(security::no_hardcoded_jwt_secret::NoHardcodedJwtSecret),
        Box::new(validation::request_dto_validation::RequestDtoValidation),
        Box::new(security::routes_guarded::RoutesGuarded),
        Box::new(correctness::valid_repository_injection::ValidRepositoryInjection),
        Box::new(correctness::resolvable_dependencies::ResolvableDependencies),
        Box::new(correctness::provider_missing_injectable::ProviderMissingInjectable),
        Box::new(correctness::no_type_only_di_import::NoTypeOnlyDiImport),
        Box::new(correctness::no_app_token_lookup::NoAppTokenLookup),
        Box::new(correctness::enhancer_instance_dependencies::EnhancerInstanceDependencies),
        Box::new(correctness::enhancer_contract::EnhancerContract),
        Box::new(correctness::forward_ref_wrapper_type::ForwardRefWrapperType),
        Box::new(correctness::http_exception_over_error::HttpExceptionOverError),
        Box::new(correctness::module_metadata_hygiene::ModuleMetadataHygiene),
        Box::new(correctness::injectable_must_be_provided::InjectableMustBeProvided),
        Box::new(correctness::factory_inject_arity::FactoryInjectArity),
        Box::new(correctness::no_circular_module_imports::NoCircularModuleImports),
        Box::new(correctness::no_circular_provider_injection::NoCircularProviderInjection),
        Box::new(correctness::no_manual_instantiation::NoManualInstantiation),
        Box::new(correctness::imports_are_modules::ImportsAreModules),
        Box::new(correctness::for_root_once::ForRootOnce),
        Box::new(correctness::param_decorator_matches_route::ParamDecoratorMatchesRoute),
        Box::new(correctness::route_conflicts::RouteConflicts),
        Box::new(correctness::res_requires_passthrough::ResRequiresPassthrough),
        Box::new(correctness::no_duplicate_decorators::NoDuplicateDecorators),
        Box::new(openapi::mapped_types_from_swagger::MappedTypesFromSwagger),
        Box::new(openapi::api_tags::ApiTags),
        Box::new(openapi::api_response::ApiResponse),
        Box::new(openapi::api_property_optionality::ApiPropertyOptionality),
        Box::new(openapi::api_property_array::ApiPropertyArray),
        Box::new(openapi::api_enum_property::ApiEnumProperty),
        Box::new(openapi::api_operation::ApiOperation),
        Box::new(openapi::api_params_documented::ApiParamsDocumented),
        Box::new(openapi::api_file_upload::ApiFileUpload),
        Box::new(openapi::api_extra_models::ApiExtraModels),
        Box::new(openapi::status_code_consistency::StatusCodeConsistency),
        Box::new(style::endpoint_naming_convention::EndpointNamingConvention),
        Box::new(style::sort_module_metadata::SortModuleMetadata),
        Box::new(validation::array_validators_each::ArrayValidatorsEach),
        Box::new(validation::dto_explicit_optionality::DtoExplicitOptionality),
        Box::new(validation::nested_dto_decorators::NestedDtoDecorators),
        Box::new(validation::param_transform_pipe::ParamTransformPipe),
        Box::new(validation::uploaded_file_validated::UploadedFileValidated),
        Box::new(validation::validation_pipe_config::ValidationPipeConfig),
        Box::new(security::no_eval::NoEval),
        Box::new(security::no_dynamic_require::NoDynamicRequire),
        Box::new(security::cors_restricted::CorsRestricted),
        Box::new(security::helmet_enabled::HelmetEnabled),
        Box::new(security::no_entity_in_response::NoEntityInResponse),
        Box::new(security::roles_metadata_enforced::RolesMetadataEnforced),
        Box::new(correctness::tsconfig_decorators::TsconfigDecorators),
        Box::new(correctness::tsconfig_strict::TsconfigStrict),
        Box::new(security::rate_limiting_configured::RateLimitingConfigured),
        Box::new(security::password_hash_strength::PasswordHashStrength),
        Box::new(security::jwt_options_safe::JwtOptionsSafe),
        Box::new(security::no_raw_sql_interpolation::NoRawSqlInterpolation),
        Box::new(security::no_error_details_in_response::NoErrorDetailsInResponse),
        Box::new(performance::no_sync_io::NoSyncIo),
        Box::new(performance::no_await_in_loop_query::NoAwaitInLoopQuery),
        Box::new(correctness::typeorm_no_synchronize::TypeormNoSynchronize),
        Box::new(correctness::config_validation_schema::ConfigValidationSchema),
        Box::new(correctness::no_swallowed_errors::NoSwallowedErrors),
        Box::new(correctness::no_floating_promises_in_services::NoFloatingPromisesInServices),
        Box::new(correctness::no_empty_handler::NoEmptyHandler),
        Box::new(correctness::testing_module_closed::TestingModuleClosed),
        Box::new(style::use_nest_logger::UseNestLogger),
        Box::new(style::no_process_env_outside_config::NoProcessEnvOutsideConfig),
        Box::new(style::lifecycle_hook_interface::LifecycleHookInterface),
        Box::new(style::no_async_without_await::NoAsyncWithoutAwait),
        Box::new(security::no_hardcoded_secrets::NoHardcodedSecrets),
        Box::new(security::no_open_redirect::NoOpenRedirect),
        Box::new(security::no_csrf_disabled::NoCsrfDisabled),
        Box::new(security::insecure_random::InsecureRandom),
        Box::new(correctness::cache_setup::CacheSetup),
        Box::new(correctness::queue_names_registered::QueueNamesRegistered),
        Box::new(correctness::entity_primary_key::EntityPrimaryKey),
        Box::new(correctness::prefer_register_async::PreferRegisterAsync),
        Box::new(performance::no_work_in_constructor::NoWorkInConstructor),
        Box::new(style::no_service_locator::NoServiceLocator),
        Box::new(style::no_data_access_in_controllers::NoDataAccessInControllers),
        Box::new(style::provider_style::ProviderStyle),
        Box::new(style::no_dead_nest_artifacts::NoDeadNestArtifacts),
        Box::new(style::entity_timestamps::EntityTimestamps),
        Box::new(style::entity_relation_on_delete::EntityRelationOnDelete),
    ];
    rules.sort_by_key(|rule| rule.meta().id);
    rules
}
