//! Rules for gaps in the OpenAPI document `@nestjs/swagger` generates.

pub mod mapped_types_from_swagger;
