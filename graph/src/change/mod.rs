//! Change records in Neptune Streams' own serialization, replayed as graph operations: one graph's changes written
//! into another (a migration, a copy in another region or account) through the same stream and writer.
//!
//! A Kinesis record holds one change record, a JSON array of them, or a whole stream API response
//! (`{"lastEventId": ..., "format": "PG_JSON", "records": [...]}`), so a replayer can put one page of the stream per
//! record. A change record is an object with `op` ADD or REMOVE and `data` (graph-operation documents use `op`
//! values like `upsertVertex`, so the two cannot be confused); `eventId` (`commitNum`/`opNum`) names the change in
//! errors, else its index in the record.
//!
//! PG_JSON `data` (`id`, `type`, `key`, `value {value, dataType}`, `from`/`to` for edges) becomes, in order:
//! - `vl` ADD: an upsert of the vertex with that label ([`Operation::UpsertVertex`]); the `vp` ADDs of the same id
//!   right after it fold into that upsert, setting each property to the values they give it ([`crate::Change::Set`]
//!   of one value, or of a list for several: Neptune's default set cardinality), as the source's new vertex holds
//!   them. A vertex that exists keeps its label: the graph holds one label per vertex, so a second label
//!   (Neptune allows several) is refused when the same record gives the vertex two, and not carried when it comes
//!   in a later record.
//! - `e` ADD: an upsert of the edge (id, label, from, to); the `ep` ADDs right after it set its properties. An end
//!   vertex that is absent is created with the label `vertex` (Neptune's default); in commit order it never is,
//!   as Neptune streams a vertex's `vl` before any edge of it.
//! - `vp`/`ep` ADD and REMOVE of an element not created just before: [`Operation::ChangeValues`], adding or
//!   removing that one value (on a vertex one value of its set, on an edge its single value), which changes
//!   nothing when the element is absent. A property needs its element, and neither a vertex's label nor an
//!   edge's ends are in the change; in commit order the element is there (Neptune adds a property only to an
//!   element that exists), so a replay in commit order converges, and replaying it again changes nothing.
//! - `vl` REMOVE: the vertex is deleted ([`Operation::DeleteVertex`]). Neptune streams a vertex drop as REMOVEs
//!   of its properties, its edges and its label; the label's REMOVE is the last, so deleting there leaves what
//!   the source has. (Removing one label of a multi-label vertex cannot be carried: it deletes the vertex.)
//! - `e` REMOVE: the edge is deleted ([`Operation::DeleteEdge`]). A delete makes the element's changes just
//!   before it in the same record moot: they are dropped.
//! - `dataType`: the table in [`value::DATA_TYPES`] (String, Boolean, Byte/Short/Integer/Long as integers,
//!   Float/Double as doubles, Date as a date or date-time); any other is refused naming the change, the field and
//!   the value.
//!
//! NQUADS `data` (`stmt`, one N-Quads statement) becomes a quad added (ADD) or removed (REMOVE), in order
//! ([`Replay::Quads`]), each statement parsed by the Oxigraph project's N-Quads parser and written back in its
//! canonical form (so no statement can carry SPARQL into the update), blank nodes refused (one names a different
//! node in every update). Quads are written in SPARQL only.
//!
//! `schemas/change-records.schema.json` beside this crate's Cargo.toml describes the same records for producers.
//!
//! A record whose changes cannot all be read is refused whole ([`ChangeError`]); nothing of it is written.

pub mod error;
pub mod fold;
pub mod quad;
pub mod read;
pub mod stream;
pub mod value;

pub use error::ChangeError;

pub use quad::QuadChange;
pub use read::{is_change_op, is_changes};

use crate::operation::Operation;
use read::Data;

/// What the change records of one body replay.
#[derive(Debug, Clone, PartialEq)]
pub enum Replay {
    /// PG_JSON changes, as graph operations.
    Operations(Vec<Operation>),
    /// NQUADS changes, as quads added and removed (SPARQL only).
    Quads(Vec<QuadChange>),
}

/// What the change records of a body replay (see the module docs), in order. The changes of one body are of one
/// format.
pub fn decode(body: &str) -> Result<Replay, ChangeError> {
    let changes = read::changes(body)?;
    if !matches!(changes[0].data, Data::Quad(_)) {
        return fold::operations(changes).map(Replay::Operations);
    }
    changes
        .into_iter()
        .map(|change| match change.data {
            Data::Quad(stmt) => quad::quad(&change.at, &stmt, change.add),
            Data::Pg(_) => Err(ChangeError::Invalid {
                change: change.at,
                field: "data",
                value: "a PG_JSON change (id, type, key, value)".into(),
                allowed: "changes of one format in a record: NQUADS (stmt) here".into(),
            }),
        })
        .collect::<Result<_, _>>()
        .map(Replay::Quads)
}

#[cfg(test)]
mod tests;
