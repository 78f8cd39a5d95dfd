//! The NestJS rules of nestlint: one file per rule, named after its kebab-case id.

mod decorators;
mod no_hardcoded_jwt_secret;
mod request_dto_validation;
mod routes_guarded;
mod valid_repository_injection;

use nestlint_engine::Rule;

/// Every rule, in id order.
pub fn all_rules() -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(no_hardcoded_jwt_secret::NoHardcodedJwtSecret),
        Box::new(request_dto_validation::RequestDtoValidation),
        Box::new(routes_guarded::RoutesGuarded),
        Box::new(valid_repository_injection::ValidRepositoryInjection),
    ]
}
