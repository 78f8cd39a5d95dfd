//! Rules for code that exposes the application: authentication, authorisation, secrets.

pub mod cors_restricted;
pub mod helmet_enabled;
pub mod insecure_random;
pub mod jwt_options_safe;
pub mod no_csrf_disabled;
pub mod no_dynamic_require;
pub mod no_entity_in_response;
pub mod no_error_details_in_response;
pub mod no_eval;
pub mod no_hardcoded_jwt_secret;
pub mod no_hardcoded_secrets;
pub mod no_open_redirect;
pub mod no_raw_sql_interpolation;
pub mod password_hash_strength;
pub mod rate_limiting_configured;
pub mod roles_metadata_enforced;
pub mod routes_guarded;
