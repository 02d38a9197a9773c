//! The data family's step types that need a parser of their own (XML, JSON Schema, CSV).

pub(crate) mod parse_xml;
pub(crate) mod validate_schema;
