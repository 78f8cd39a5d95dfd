//! Rules for code that exposes the application: authentication, authorisation, secrets.

pub mod no_hardcoded_jwt_secret;
pub mod routes_guarded;
