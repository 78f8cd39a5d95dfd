//! Rules for request input that reaches a handler unvalidated.

pub mod request_dto_validation;
