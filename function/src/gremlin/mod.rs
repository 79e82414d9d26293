//! Gremlin query text for one write batch, with every value escaped into single-quoted literals
//! ([`literal`]): the sample's `follows` edges in the forms of [`follows`], graph operations in [`operations`]
//! (chained) and [`rows`] (GREMLIN_BATCH_FORM=rows, for batches of edge upserts).

pub mod follows;
pub mod literal;
pub mod operations;
pub mod rows;

pub use follows::{GremlinStyle, batch_query};
pub use literal::push_literal;
pub use operations::operations_query;

/// Edges per traversal in the chained form: a batch is written as several `;`-separated traversals of this many
/// edges, in one request. Neptune runs the traversals of one request in one transaction, all but the last ended by
/// `iterate()` ("Using the Gremlin API"; Gremlin standards compliance in Amazon Neptune), so the batch stays one
/// atomic, idempotent write; each traversal is the chained mergeV()/mergeE() form that Neptune's upserts page
/// documents. The cost of a traversal on Gremlin Server grows faster than its length: with batches of 100 one
/// chain per batch wrote 911 edges/s, traversals of 10 edges 1,922 (examples/gremlin_forms.rs; BENCHMARKS.md,
/// "Gremlin batch form"), and traversals of 1 edge no faster than of 10.
pub const EDGES_PER_TRAVERSAL: usize = 10;
