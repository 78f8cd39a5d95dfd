//! Rules for request input that reaches a handler unvalidated.

pub mod array_validators_each;
pub mod nested_dto_decorators;
pub mod request_dto_validation;
pub mod uploaded_file_validated;
pub mod validation_pipe_config;
