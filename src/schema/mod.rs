//! The schema stage: drizzle sqlite-core declarations → `model::Schema`.

mod diagnostic;
pub mod model;

pub use diagnostic::Diagnostic;
