//! Why a query language cannot write an operation (a value type, a label or a change it cannot carry): the
//! writer rejects the operation's record with this reason instead of sending it, and writes the rest.

/// An operation a language refuses, naming the element, the field and what to do instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{language} cannot write {operation} of {element:?}: {field}: {reason}")]
pub struct Unwritable {
    /// The query language, as the README names it (`openCypher`, `SPARQL`, `Gremlin`).
    pub language: &'static str,
    /// The operation's name ([`crate::Operation::name`]).
    pub operation: &'static str,
    /// The element id.
    pub element: String,
    /// The field refused: `label`, or `property "name"`.
    pub field: String,
    /// Why, and what the producer can send instead.
    pub reason: String,
}
