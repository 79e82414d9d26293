//! Mappings: a declarative pattern per stack that turns a producer's own JSON events (events it does not shape as
//! graph operations) into [`Operation`](crate::Operation)s, in the spirit of the Neo4j Connector for Kafka's pattern
//! strategy. docs/writer.md ("Mappings") is the user's guide; in short:
//!
//! ```json
//! [{"name": "users", "pattern": "(:User{!id: userId, name, city: address.city})",
//!   "when": {"type": "user"}, "delete": {"action": "deleted"}},
//!  {"name": "follows", "pattern": "(:User{!id: from})-[:FOLLOWS{since}]->(:User{!id: to})",
//!   "types": {"since": "date"}}]
//! ```
//!
//! - [`pattern`]: the pattern grammar, parsed into vertices, an edge, keys and properties.
//! - [`compile`]: a list of mappings as the stack gives it (JSON), checked and compiled once ([`Mappings::compile`]);
//!   errors name the mapping and the 1-based column in its pattern ([`MappingError`]).
//! - [`apply`]: one event through the first mapping whose `when` matches ([`Mappings::apply`]); errors name the
//!   mapping, the event field (a dotted path) and its value ([`EventError`]).

pub mod apply;
pub mod compile;
pub mod pattern;

pub use apply::EventError;
pub use compile::{Ids, Mapping, Mappings};

/// Why a list of mappings is refused; each names the mapping and where in it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MappingError {
    /// The list is not a JSON array of mapping objects with the members allowed.
    #[error("the mappings are not readable ({message}); {MAPPINGS_FORM}")]
    NotMappings {
        /// The parser's message.
        message: String,
    },
    /// A pattern is malformed at a column.
    #[error("mapping `{mapping}`: pattern column {column}: {problem}")]
    Pattern {
        /// The mapping's name.
        mapping: String,
        /// 1-based column in the pattern.
        column: usize,
        /// What is wrong and what is allowed.
        problem: String,
    },
    /// A member of a mapping has a value that is not allowed.
    #[error("mapping `{mapping}`: `{member}` = {value} is not allowed; {allowed}")]
    Invalid {
        /// The mapping's name (its index from 1 when the name is what is wrong).
        mapping: String,
        /// The member (`types.since`, `when.type`).
        member: String,
        /// The value as written (cut to 64 characters).
        value: String,
        /// What is allowed.
        allowed: String,
    },
}

/// What a list of mappings looks like, for messages.
pub const MAPPINGS_FORM: &str = "a list of mappings, each with `name` and `pattern` and optional `when`, `delete`, `ids` and `types` (docs/writer.md, Mappings)";
