//! Graph operations: what one record asks of the graph, whatever form the record came in (the sample's `follows`
//! edge, a graph-operation document, a mapped event, a change record) and whatever language writes it.
//!
//! The writer decodes each record into [`Operation`]s and each query language turns a batch of them into one
//! request; the test oracle ([`model::Graph`]) applies the same operations to an in-memory graph.

pub mod change;
pub mod date;
pub mod document;
pub mod follows;
pub mod iri;
pub mod json;
pub mod mapping;
pub mod model;
pub mod operation;
pub mod unwritable;

pub use change::ChangeError;
pub use document::{DocumentError, NoDocumentForm, decode, encode};
pub use model::{Difference, Graph, Refusal};
pub use operation::{
    Change, EdgeUpsert, Element, Operation, PropertyChange, Value, ValueChange, VertexUpsert,
    derived_edge_id,
};
pub use unwritable::Unwritable;
