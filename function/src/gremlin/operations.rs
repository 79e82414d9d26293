//! Gremlin for a batch of graph operations ([`stream2neptune_graph::Operation`]), in order, in one request.
//!
//! The form is the chained `mergeV()`/`mergeE()` with constant maps that Neptune's upserts page documents ("Making
//! efficient upserts with Gremlin mergeV() and mergeE() steps") and its "Native Gremlin step support" page lists as
//! native (match, onCreate and onMatch each a literal Map). Runs of upserts are chained into traversals of at most
//! [`EDGES_PER_TRAVERSAL`] operations; a run of deletes of one kind is one traversal `g.V(id,...).drop()` or
//! `g.E(id,...).drop()` (a `drop()` ends a chain: it emits nothing for later steps). The traversals are
//! `;`-separated in one request, all but the last ended by `iterate()`, which Neptune runs as one transaction, so a
//! batch is written whole or not at all and a batch written twice leaves the same graph.
//!
//! Per upsert, each property's changes are folded into their net effect (in order: a remove or a set clears the
//! earlier values, an add keeps them), then written as:
//! - vertex, replace with `v` (and more values `w`): onCreate `k:v`, onMatch `k:single(v)` (native since engine
//!   1.3.4.0), then `.property(set,k,w)` per further value;
//! - vertex, add `v` (and `w`): onCreate `k:v`, onMatch `k:set(v)`, then `.property(set,k,w)`;
//! - edge, set or add `v` (the last one): onCreate and onMatch `k:v` (edge properties hold one value);
//! - set on create `v`: onCreate `k:v` only, so a matched element is only read (no write lock on it);
//! - remove: `.sideEffect(__.properties(k).drop())` after the merge (nothing on a created element).
//!
//! An edge upsert first merges both endpoints (`mergeV([(T.id):from]).option(Merge.onCreate,[(T.label):fromLabel])`,
//! once per request until a delete or value-change traversal, as the request is one transaction), then `mergeE` on id, label and both ends: an edge whose id exists with another label or other
//! ends does not match, its creation fails on the taken id, and the store refuses the whole request (Gremlin Server:
//! HTTP 500, "Vertex with id already exists"), so the writer narrows the batch to that record and rejects it, as the
//! model refuses it ([`stream2neptune_graph::Refusal`]).
//!
//! Value changes of an existing element ([`Operation::ChangeValues`], from change records) are a traversal of their
//! own, `g.V(id)` or `g.E(id)` and a step per change (see [`push_value_changes`]), which changes nothing when the
//! element is absent.
//!
//! Values: strings through [`push_literal`]; integers as Longs (`7L`, Neptune's Long whatever the size); doubles
//! `0.5d`; dates and date-times as `datetime('YYYY-MM-DDTHH:MM:SS.mmmZ')`, the instant in UTC (Gremlin keeps a
//! `Date`, an instant with milliseconds: a date is its midnight UTC).

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt::Write;

use smallvec::{SmallVec, smallvec};
use stream2neptune_graph::date::utc_instant;
use stream2neptune_graph::{
    Change, Element as GraphElement, Operation, PropertyChange, Value, ValueChange,
};

use super::{EDGES_PER_TRAVERSAL, push_literal};

/// Builds the text writing `operations` in order in one request (one transaction); they may be borrowed from
/// several records.
pub fn operations_query<O: Borrow<Operation>>(operations: &[O]) -> String {
    let mut q = String::with_capacity(64 + 300 * operations.len());
    // Operations in the upsert traversal being written.
    let mut chained = 0;
    // The vertices merged since the request's last delete or value-change traversal: they exist from there on in
    // the request's one transaction, so a later upsert traversal does not merge them again.
    let mut merged: HashSet<&str> = HashSet::new();
    let mut i = 0;
    while i < operations.len() {
        let deletes = |kind: fn(&Operation) -> Option<&str>| {
            operations[i..]
                .iter()
                .take(EDGES_PER_TRAVERSAL)
                .map_while(|op| kind(op.borrow()))
                .collect::<Vec<&str>>()
        };
        let vertex_deletes = deletes(|op| match op {
            Operation::DeleteVertex { id } => Some(id),
            _ => None,
        });
        let edge_deletes = deletes(|op| match op {
            Operation::DeleteEdge { id } => Some(id),
            _ => None,
        });
        if !vertex_deletes.is_empty() || !edge_deletes.is_empty() {
            let (step, ids) = if vertex_deletes.is_empty() {
                ("g.E(", edge_deletes)
            } else {
                ("g.V(", vertex_deletes)
            };
            end_traversal(&mut q);
            q.push_str(step);
            for (n, id) in ids.iter().enumerate() {
                if n > 0 {
                    q.push(',');
                }
                push_literal(&mut q, id);
            }
            q.push_str(").drop()");
            chained = 0;
            merged.clear();
            i += ids.len();
            continue;
        }
        if let Operation::ChangeValues {
            element,
            id,
            changes,
        } = operations[i].borrow()
        {
            end_traversal(&mut q);
            push_value_changes(&mut q, *element, id, changes);
            chained = 0;
            merged.clear();
            i += 1;
            continue;
        }
        if chained == 0 {
            end_traversal(&mut q);
            q.push('g');
        }
        match operations[i].borrow() {
            Operation::UpsertVertex(vertex) => {
                merged.insert(&vertex.id);
                push_merge_v(&mut q, &vertex.id, &vertex.label, &vertex.properties);
            }
            Operation::UpsertEdge(edge) => {
                for (id, label) in [(&edge.from, &edge.from_label), (&edge.to, &edge.to_label)] {
                    if merged.insert(id) {
                        push_merge_v(&mut q, id, label, &[]);
                    }
                }
                q.push_str(".mergeE([(T.id):");
                push_literal(&mut q, &edge.id);
                q.push_str(",(T.label):");
                push_literal(&mut q, &edge.label);
                q.push_str(",(Direction.OUT):");
                push_literal(&mut q, &edge.from);
                q.push_str(",(Direction.IN):");
                push_literal(&mut q, &edge.to);
                q.push_str("])");
                push_changes(&mut q, &edge.properties, Element::Edge);
            }
            Operation::DeleteVertex { .. }
            | Operation::DeleteEdge { .. }
            | Operation::ChangeValues { .. } => {
                unreachable!("deletes and value changes are written above")
            }
        }
        chained += 1;
        if chained == EDGES_PER_TRAVERSAL {
            chained = 0;
        }
        i += 1;
    }
    q
}

// Ends the previous traversal, if any, so a new one can start.
fn end_traversal(q: &mut String) {
    if !q.is_empty() {
        q.push_str(".iterate();");
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Element {
    Vertex,
    Edge,
}

// `.mergeV([(T.id):id]).option(Merge.onCreate,[(T.label):label,...])...`
fn push_merge_v(q: &mut String, id: &str, label: &str, changes: &[PropertyChange]) {
    q.push_str(".mergeV([(T.id):");
    push_literal(q, id);
    q.push_str("]).option(Merge.onCreate,[(T.label):");
    push_literal(q, label);
    push_changes(q, changes, Element::Vertex);
}

/// What a property ends as after an upsert's changes to it.
struct Effect<'a> {
    name: &'a str,
    /// Whether the earlier values go (a set or a remove came).
    replace: bool,
    /// The values it gains, in order.
    values: SmallVec<[&'a Value; 1]>,
    /// Written only when the upsert creates the element ([`Change::SetOnCreate`], its property's one change).
    on_create: bool,
}

// An edge property holds one value: its last set or add wins (decoding refuses lists and adds on edges; a list
// here is written as a List literal, which the store refuses).
fn effects(changes: &[PropertyChange], element: Element) -> SmallVec<[Effect<'_>; 4]> {
    let mut out: SmallVec<[Effect; 4]> = SmallVec::with_capacity(changes.len());
    for change in changes {
        let index = match out.iter().position(|e| e.name == change.name) {
            Some(index) => index,
            None => {
                out.push(Effect {
                    name: &change.name,
                    replace: false,
                    values: SmallVec::new(),
                    on_create: false,
                });
                out.len() - 1
            }
        };
        let effect = &mut out[index];
        effect.on_create = false;
        match &change.change {
            Change::SetOnCreate(value) => {
                effect.replace = true;
                effect.values = smallvec![value];
                effect.on_create = true;
            }
            Change::Set(value) | Change::Add(value) if element == Element::Edge => {
                effect.replace = true;
                effect.values = smallvec![value];
            }
            Change::Set(Value::List(values)) => {
                effect.replace = true;
                effect.values = values.iter().collect();
            }
            Change::Set(value) => {
                effect.replace = true;
                effect.values = smallvec![value];
            }
            Change::Add(value) => effect.values.push(value),
            Change::Remove => {
                effect.replace = true;
                effect.values.clear();
            }
        }
    }
    out
}

// The property changes of an upsert after its merge map: a vertex's onCreate map is open (its label written), an
// edge's is opened here when it sets a value. Then the onMatch map, further values and removes.
fn push_changes(q: &mut String, changes: &[PropertyChange], element: Element) {
    let effects = effects(changes, element);
    let written = || effects.iter().filter(|e| !e.values.is_empty());
    let matched = || written().filter(|e| !e.on_create);
    let any_written = written().next().is_some();
    if element == Element::Edge && any_written {
        q.push_str(".option(Merge.onCreate,[");
    }
    for (n, effect) in written().enumerate() {
        if n > 0 || element == Element::Vertex {
            q.push(',');
        }
        push_literal(q, effect.name);
        q.push(':');
        push_value(q, effect.values[0]);
    }
    if element == Element::Vertex || any_written {
        q.push_str("])");
    }
    if matched().next().is_some() {
        q.push_str(".option(Merge.onMatch,[");
        for (n, effect) in matched().enumerate() {
            if n > 0 {
                q.push(',');
            }
            push_literal(q, effect.name);
            q.push(':');
            match (element, effect.replace) {
                (Element::Edge, _) => push_value(q, effect.values[0]),
                (Element::Vertex, true) => push_cardinality(q, "single(", effect.values[0]),
                (Element::Vertex, false) => push_cardinality(q, "set(", effect.values[0]),
            }
        }
        q.push_str("])");
    }
    for effect in matched() {
        for value in &effect.values[1..] {
            q.push_str(".property(set,");
            push_literal(q, effect.name);
            q.push(',');
            push_value(q, value);
            q.push(')');
        }
    }
    for effect in effects.iter().filter(|e| e.values.is_empty() && e.replace) {
        q.push_str(".sideEffect(__.properties(");
        push_literal(q, effect.name);
        q.push_str(").drop())");
    }
}

// `g.V(id)` (or `g.E(id)`) and each change in order: an added value `.property(set,k,v)` on a vertex,
// `.property(k,v)` on an edge; a removed one `.sideEffect(__.properties(k).hasValue(v).drop())`. An absent element
// gives the steps nothing to change.
fn push_value_changes(q: &mut String, element: GraphElement, id: &str, changes: &[ValueChange]) {
    q.push_str(match element {
        GraphElement::Vertex => "g.V(",
        GraphElement::Edge => "g.E(",
    });
    push_literal(q, id);
    q.push(')');
    for change in changes {
        if !change.add {
            q.push_str(".sideEffect(__.properties(");
            push_literal(q, &change.name);
            q.push_str(").hasValue(");
            push_value(q, &change.value);
            q.push_str(").drop())");
            continue;
        }
        q.push_str(match element {
            GraphElement::Vertex => ".property(set,",
            GraphElement::Edge => ".property(",
        });
        push_literal(q, &change.name);
        q.push(',');
        push_value(q, &change.value);
        q.push(')');
    }
}

fn push_cardinality(q: &mut String, function: &str, value: &Value) {
    q.push_str(function);
    push_value(q, value);
    q.push(')');
}

/// Appends one value as a typed Gremlin literal (a list's values are written one by one by the caller).
pub(super) fn push_value(q: &mut String, value: &Value) {
    match value {
        Value::String(s) => push_literal(q, s),
        Value::Integer(i) => {
            let _ = write!(q, "{i}L");
        }
        // Finite by construction (decoding refuses NaN and infinities).
        Value::Double(x) => {
            let _ = write!(q, "{x:?}d");
        }
        Value::Boolean(b) => {
            let _ = write!(q, "{b}");
        }
        Value::Date(text) | Value::DateTime(text) => {
            q.push_str("datetime(");
            // Validated when decoded; a text that is not a date would be refused by the store as it is.
            push_literal(q, &utc_instant(text).unwrap_or_else(|| text.clone()));
            q.push(')');
        }
        // A list inside a list (decoding refuses it): a List literal, which Neptune cannot store and refuses.
        Value::List(values) => {
            q.push('[');
            for (n, v) in values.iter().enumerate() {
                if n > 0 {
                    q.push(',');
                }
                push_value(q, v);
            }
            q.push(']');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gremlin::literal::tests::{HOSTILE, skeleton};
    use stream2neptune_graph::{EdgeUpsert, VertexUpsert};

    fn change(name: &str, change: Change) -> PropertyChange {
        PropertyChange {
            name: name.into(),
            change,
        }
    }

    fn vertex(id: &str, properties: Vec<PropertyChange>) -> Operation {
        Operation::UpsertVertex(VertexUpsert {
            id: id.into(),
            label: "device".into(),
            properties,
        })
    }

    fn edge(id: &str, from: &str, to: &str, properties: Vec<PropertyChange>) -> Operation {
        Operation::UpsertEdge(EdgeUpsert {
            id: id.into(),
            label: "owns".into(),
            from: from.into(),
            to: to.into(),
            from_label: "customer".into(),
            to_label: "device".into(),
            properties,
        })
    }

    #[test]
    fn value_changes_are_a_traversal_of_their_own_on_the_element() {
        let ops = [
            vertex("d1", vec![]),
            Operation::ChangeValues {
                element: GraphElement::Vertex,
                id: "d1".into(),
                changes: vec![
                    ValueChange::removed("n", Value::Integer(1)),
                    ValueChange::added("n", Value::Integer(2)),
                ],
            },
            Operation::ChangeValues {
                element: GraphElement::Edge,
                id: "e1".into(),
                changes: vec![
                    ValueChange::added("w", Value::Double(0.5)),
                    ValueChange::removed("at", Value::Date("2024-01-02".into())),
                ],
            },
            vertex("d2", vec![]),
        ];
        assert_eq!(
            operations_query(&ops),
            "g.mergeV([(T.id):'d1']).option(Merge.onCreate,[(T.label):'device'])\
             .iterate();g.V('d1').sideEffect(__.properties('n').hasValue(1L).drop()).property(set,'n',2L)\
             .iterate();g.E('e1').property('w',0.5d).sideEffect(__.properties('at').hasValue(datetime('2024-01-02T00:00:00.000Z')).drop())\
             .iterate();g.mergeV([(T.id):'d2']).option(Merge.onCreate,[(T.label):'device'])"
        );
    }

    #[test]
    fn every_kind_of_operation_and_value_exact_text() {
        let ops = [
            vertex(
                "d1",
                vec![
                    change("name", Change::Set(Value::String("x".into()))),
                    change(
                        "tags",
                        Change::Set(Value::List(vec![
                            Value::String("a".into()),
                            Value::Integer(2),
                        ])),
                    ),
                    change("visits", Change::Add(Value::Integer(3))),
                    change("old", Change::Remove),
                    change("w", Change::Set(Value::Double(-0.5))),
                    change("ok", Change::Set(Value::Boolean(true))),
                    change("seen", Change::Set(Value::Date("2024-01-02".into()))),
                    change(
                        "at",
                        Change::Set(Value::DateTime("2024-01-02T03:04:05.5+01:00".into())),
                    ),
                ],
            ),
            edge(
                "e1",
                "c1",
                "d1",
                vec![
                    change("since", Change::Set(Value::Integer(2020))),
                    change("gone", Change::Remove),
                ],
            ),
            Operation::DeleteEdge { id: "e0".into() },
            Operation::DeleteVertex { id: "d0".into() },
            Operation::DeleteVertex { id: "d9".into() },
            edge("e2", "c1", "d1", vec![change("gone", Change::Remove)]),
        ];
        assert_eq!(
            operations_query(&ops),
            "g.mergeV([(T.id):'d1']).option(Merge.onCreate,[(T.label):'device','name':'x','tags':'a','visits':3L,'w':-0.5d,'ok':true,\
             'seen':datetime('2024-01-02T00:00:00.000Z'),'at':datetime('2024-01-02T02:04:05.500Z')])\
             .option(Merge.onMatch,['name':single('x'),'tags':single('a'),'visits':set(3L),'w':single(-0.5d),'ok':single(true),\
             'seen':single(datetime('2024-01-02T00:00:00.000Z')),'at':single(datetime('2024-01-02T02:04:05.500Z'))])\
             .property(set,'tags',2L).sideEffect(__.properties('old').drop())\
             .mergeV([(T.id):'c1']).option(Merge.onCreate,[(T.label):'customer'])\
             .mergeE([(T.id):'e1',(T.label):'owns',(Direction.OUT):'c1',(Direction.IN):'d1'])\
             .option(Merge.onCreate,['since':2020L]).option(Merge.onMatch,['since':2020L]).sideEffect(__.properties('gone').drop())\
             .iterate();g.E('e0').drop().iterate();g.V('d0','d9').drop().iterate();\
             g.mergeV([(T.id):'c1']).option(Merge.onCreate,[(T.label):'customer'])\
             .mergeV([(T.id):'d1']).option(Merge.onCreate,[(T.label):'device'])\
             .mergeE([(T.id):'e2',(T.label):'owns',(Direction.OUT):'c1',(Direction.IN):'d1'])\
             .sideEffect(__.properties('gone').drop())"
        );
    }

    #[test]
    fn a_value_set_on_create_is_in_the_oncreate_map_only() {
        let on_create = |value| change("first", Change::SetOnCreate(Value::Integer(value)));
        assert_eq!(
            operations_query(&[
                vertex("d1", vec![on_create(1)]),
                edge("e1", "c1", "d1", vec![on_create(2)]),
                edge(
                    "e2",
                    "c1",
                    "d1",
                    vec![on_create(3), change("n", Change::Set(Value::Integer(4)))]
                ),
            ]),
            "g.mergeV([(T.id):'d1']).option(Merge.onCreate,[(T.label):'device','first':1L])\
             .mergeV([(T.id):'c1']).option(Merge.onCreate,[(T.label):'customer'])\
             .mergeE([(T.id):'e1',(T.label):'owns',(Direction.OUT):'c1',(Direction.IN):'d1'])\
             .option(Merge.onCreate,['first':2L])\
             .mergeE([(T.id):'e2',(T.label):'owns',(Direction.OUT):'c1',(Direction.IN):'d1'])\
             .option(Merge.onCreate,['first':3L,'n':4L]).option(Merge.onMatch,['n':4L])"
        );
    }

    #[test]
    fn a_property_changed_several_times_is_written_as_its_net_effect() {
        let q = operations_query(&[vertex(
            "v",
            vec![
                change("a", Change::Add(Value::Integer(1))),
                change("a", Change::Add(Value::Integer(2))),
                change("b", Change::Set(Value::Integer(1))),
                change("b", Change::Remove),
                change("c", Change::Remove),
                change("c", Change::Add(Value::Integer(5))),
            ],
        )]);
        assert_eq!(
            q,
            "g.mergeV([(T.id):'v']).option(Merge.onCreate,[(T.label):'device','a':1L,'c':5L])\
             .option(Merge.onMatch,['a':set(1L),'c':single(5L)]).property(set,'a',2L)\
             .sideEffect(__.properties('b').drop())"
        );
    }

    #[test]
    fn upserts_are_split_into_traversals_of_ten_and_endpoints_merged_once_per_request() {
        let ops: Vec<Operation> = (0..21)
            .map(|i| edge(&format!("e{i}"), "hub", &format!("d{i}"), vec![]))
            .collect();
        let q = operations_query(&ops);
        let traversals: Vec<&str> = q.split(".iterate();").collect();
        assert_eq!(traversals.len(), 3, "{q}");
        assert!(traversals[0].starts_with("g.mergeV([(T.id):'hub'])"), "{q}");
        assert_eq!(q.matches("(T.id):'hub']").count(), 1, "{q}");
        assert!(traversals[1].starts_with("g.mergeV([(T.id):'d10'])"), "{q}");
        assert_eq!(traversals[2].matches(".mergeE(").count(), 1);
        // Deletes of one kind are grouped by ten too.
        let deletes: Vec<Operation> = (0..12)
            .map(|i| Operation::DeleteVertex { id: i.to_string() })
            .collect();
        assert_eq!(
            operations_query(&deletes),
            "g.V('0','1','2','3','4','5','6','7','8','9').drop().iterate();g.V('10','11').drop()"
        );
        // A vertex deleted between two upserts is merged again after the delete.
        let q = operations_query(&[
            edge("e1", "a", "b", vec![]),
            Operation::DeleteVertex { id: "a".into() },
            edge("e2", "a", "c", vec![]),
        ]);
        assert_eq!(q.matches("mergeV([(T.id):'a'])").count(), 2, "{q}");
        // So is a vertex after a traversal of value changes.
        let q = operations_query(&[
            edge("e1", "a", "b", vec![]),
            Operation::ChangeValues {
                element: GraphElement::Vertex,
                id: "a".into(),
                changes: vec![],
            },
            edge("e2", "a", "c", vec![]),
        ]);
        assert_eq!(q.matches("mergeV([(T.id):'a'])").count(), 2, "{q}");
    }

    #[test]
    fn hostile_ids_labels_names_and_values_never_leave_their_literal() {
        let batch = |text: &str| {
            let all = |v: &str| {
                vec![
                    change(v, Change::Set(Value::String(v.into()))),
                    change(
                        &format!("{v}2"),
                        Change::Set(Value::List(vec![
                            Value::String(v.into()),
                            Value::String(format!("{v}!")),
                        ])),
                    ),
                    change(&format!("{v}3"), Change::Add(Value::String(v.into()))),
                    change(&format!("{v}4"), Change::Remove),
                ]
            };
            vec![
                Operation::UpsertVertex(VertexUpsert {
                    id: text.into(),
                    label: text.into(),
                    properties: all(text),
                }),
                Operation::UpsertEdge(EdgeUpsert {
                    id: text.into(),
                    label: text.into(),
                    from: text.into(),
                    to: format!("{text}!"),
                    from_label: text.into(),
                    to_label: text.into(),
                    properties: all(text),
                }),
                Operation::DeleteEdge { id: text.into() },
                Operation::DeleteVertex { id: text.into() },
            ]
        };
        let reference = skeleton(&operations_query(&batch("a")));
        for (raw, literal) in HOSTILE {
            let q = operations_query(&batch(raw));
            assert_eq!(skeleton(&q), reference, "{raw:?}");
            assert!(
                q.starts_with(&format!("g.mergeV([(T.id):{literal}])")),
                "{q}"
            );
        }
    }
}
