//! The rows form of a batch of edge upserts (GREMLIN_BATCH_FORM=rows): the batch's vertices and edges as two list
//! literals, each unfolded into one `mergeV()`/`mergeE()`:
//!
//! ```text
//! g.inject([['m':[(T.id):v]],...]).unfold().mergeV(select('m')).option(Merge.onCreate,[(T.label):'person'])
//!  .fold().constant([['m':[(T.id):e,(T.label):'follows',(Direction.OUT):from,(Direction.IN):to],
//!                     'c':['creationDate':d,k:v...],'u':[k:v...]],...])
//!  .unfold().mergeE(select('m')).option(Merge.onCreate,select('c')).option(Merge.onMatch,select('u')).id().count()
//! ```
//!
//! Its merge maps are the shapes Neptune's "Native Gremlin step support" page lists as native for mergeV() and
//! mergeE() ("null, a constant Map, or select() of a Map"); fold() is the barrier that puts every vertex in place
//! before the first edge, and id().count() returns one number instead of the edges' properties (the upserts page,
//! "Making efficient upserts with Gremlin mergeV() and mergeE() steps", ends upserts with id() for that reason). The
//! same step-support page lists inject() among the steps never converted to native operations, unfold() and fold()
//! as converted only in the fold().coalesce(unfold(), ...) upsert pattern, constant() only inside sack().by(), and
//! converts no step that follows an unconverted one: on Neptune this traversal is documented to run outside the
//! native engine, which is why it is not the default there (whether Neptune runs it faster anyway is unmeasured;
//! `/gremlin/explain` shows what it converts).
//!
//! Vertices are deduplicated and sorted by id, so two batches that share vertices lock them in the same order;
//! edges are deduplicated by id (sorted likewise). An edge's `c` map is what its first upsert in the batch creates it
//! with (its values set on create, then every value set in the batch, the last one winning: a `follows` edge's
//! `creationDate` first, then its other properties by name), its `u` map every value set in the batch, the last one
//! winning: the graph stream order gives, whether the edge existed or not.
//!
//! The form holds only edge upserts whose endpoints take one label, whose changes set one value (or set it on
//! create), and whose ids each name one label and pair of ends; [`rows_query`] gives `None` for any other batch,
//! which the chained form writes.

use std::borrow::Borrow;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use stream2neptune_graph::{Change, EdgeUpsert, Operation, Value};

use super::operations::push_value;
use super::push_literal;

/// One `mergeE()` row: the batch's upserts of one edge id.
struct EdgeRow<'a> {
    edge: &'a EdgeUpsert,
    /// The first upsert's values set on create (a value set in the batch replaces one).
    on_create: BTreeMap<&'a str, &'a Value>,
    /// What a matched edge takes: every value set, the last one winning.
    update: BTreeMap<&'a str, &'a Value>,
}

/// The rows form of `operations`, or `None` when they are not all edge upserts it can hold (see the module docs).
pub fn rows_query<O: Borrow<Operation>>(operations: &[O]) -> Option<String> {
    let mut vertex_label: Option<&str> = None;
    let mut vertices: BTreeSet<&str> = BTreeSet::new();
    let mut rows: BTreeMap<&str, EdgeRow> = BTreeMap::new();
    for operation in operations {
        let Operation::UpsertEdge(edge) = operation.borrow() else {
            return None;
        };
        for label in [&edge.from_label, &edge.to_label] {
            if *vertex_label.get_or_insert(label) != label {
                return None;
            }
        }
        vertices.insert(&edge.from);
        vertices.insert(&edge.to);
        let (row, first) = match rows.entry(&edge.id) {
            Entry::Vacant(vacant) => (
                vacant.insert(EdgeRow {
                    edge,
                    on_create: BTreeMap::new(),
                    update: BTreeMap::new(),
                }),
                true,
            ),
            Entry::Occupied(occupied) => {
                let row = occupied.into_mut();
                let other = row.edge;
                if (&other.label, &other.from, &other.to) != (&edge.label, &edge.from, &edge.to) {
                    return None;
                }
                (row, false)
            }
        };
        for property in &edge.properties {
            match &property.change {
                Change::Set(value) if !matches!(value, Value::List(_)) => {
                    row.update.insert(&property.name, value);
                }
                // A later upsert finds the edge the first one created (or found).
                Change::SetOnCreate(value) => {
                    if first {
                        row.on_create.insert(&property.name, value);
                    }
                }
                Change::Set(_) | Change::Add(_) | Change::Remove => return None,
            }
        }
    }
    let vertex_label = vertex_label?;
    let mut q = String::with_capacity(256 + 40 * vertices.len() + 200 * rows.len());
    q.push_str("g.inject([");
    for (i, vertex) in vertices.iter().enumerate() {
        if i > 0 {
            q.push(',');
        }
        q.push_str("['m':[(T.id):");
        push_literal(&mut q, vertex);
        q.push_str("]]");
    }
    q.push_str("]).unfold().mergeV(select('m')).option(Merge.onCreate,[(T.label):");
    push_literal(&mut q, vertex_label);
    q.push_str("]).fold().constant([");
    for (i, (id, row)) in rows.iter().enumerate() {
        if i > 0 {
            q.push(',');
        }
        q.push_str("['m':[(T.id):");
        push_literal(&mut q, id);
        q.push_str(",(T.label):");
        push_literal(&mut q, &row.edge.label);
        q.push_str(",(Direction.OUT):");
        push_literal(&mut q, &row.edge.from);
        q.push_str(",(Direction.IN):");
        push_literal(&mut q, &row.edge.to);
        q.push_str("],'c':[");
        let created = row
            .on_create
            .iter()
            .filter(|(name, _)| !row.update.contains_key(*name));
        push_map(&mut q, created.chain(&row.update));
        q.push_str("],'u':[");
        push_map(&mut q, row.update.iter());
        q.push_str("]]");
    }
    q.push_str("]).unfold().mergeE(select('m')).option(Merge.onCreate,select('c')).option(Merge.onMatch,select('u')).id().count()");
    Some(q)
}

// `k:v,...`, or `:` for the empty Map literal (a matched edge keeps its properties).
fn push_map<'a>(q: &mut String, entries: impl Iterator<Item = (&'a &'a str, &'a &'a Value)>) {
    let mut entries = entries.peekable();
    if entries.peek().is_none() {
        q.push(':');
    }
    for (i, (name, value)) in entries.enumerate() {
        if i > 0 {
            q.push(',');
        }
        push_literal(q, name);
        q.push(':');
        push_value(q, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stream2neptune_graph::{PropertyChange, VertexUpsert};

    fn edge(id: &str, from: &str, to: &str, properties: Vec<PropertyChange>) -> Operation {
        Operation::UpsertEdge(EdgeUpsert {
            id: id.into(),
            label: "reads".into(),
            from: from.into(),
            to: to.into(),
            from_label: "device".into(),
            to_label: "device".into(),
            properties,
        })
    }

    #[test]
    fn a_created_edge_takes_its_first_upserts_values_set_on_create_and_every_value_set() {
        let n = |v| PropertyChange::set("n", Value::Integer(v));
        let first = |v| PropertyChange::set_on_create("first", Value::Integer(v));
        let q = rows_query(&[
            edge("e", "a", "b", vec![first(1), n(1)]),
            edge("e", "a", "b", vec![first(2), n(2)]),
        ])
        .unwrap();
        assert!(q.contains("'c':['first':1L,'n':2L],'u':['n':2L]]"), "{q}");
        // Values set on create come first, then the values set, by name.
        let q = rows_query(&[edge(
            "e",
            "a",
            "b",
            vec![first(1), PropertyChange::set("a", Value::Integer(0))],
        )])
        .unwrap();
        assert!(q.contains("'c':['first':1L,'a':0L],'u':['a':0L]]"), "{q}");
    }

    #[test]
    fn what_the_form_cannot_hold_is_left_to_the_chained_form() {
        let plain = || edge("e", "a", "b", vec![]);
        let vertex = Operation::UpsertVertex(VertexUpsert {
            id: "a".into(),
            label: "device".into(),
            properties: vec![],
        });
        let mut other_label = plain();
        if let Operation::UpsertEdge(e) = &mut other_label {
            e.to_label = "sensor".into();
        }
        let refused: [Vec<Operation>; 6] = [
            vec![],
            vec![plain(), vertex],
            vec![plain(), Operation::DeleteEdge { id: "e".into() }],
            vec![plain(), edge("e", "a", "c", vec![])],
            vec![other_label],
            vec![edge("e", "a", "b", vec![PropertyChange::remove("n")])],
        ];
        for operations in refused {
            assert_eq!(rows_query(&operations), None, "{operations:?}");
        }
        assert!(rows_query(&[plain(), edge("f", "b", "a", vec![])]).is_some());
    }
}
