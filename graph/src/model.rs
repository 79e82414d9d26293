//! An in-memory graph that applies [`Operation`]s with the semantics every language implements: the test oracle.
//! Tests apply a run's operations in per-key stream order, read the store's graph into a [`Graph`] too, and
//! compare them with [`Graph::differences`], which names each element and property that differs.

use std::collections::BTreeMap;
use std::fmt;

use crate::date::utc_instant;
use crate::operation::{Change, Element, Operation, Value, ValueChange};

/// A whole graph: vertices and edges by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Graph {
    /// Vertices by id.
    pub vertices: BTreeMap<String, Vertex>,
    /// Edges by id.
    pub edges: BTreeMap<String, Edge>,
}

/// A vertex: its label and its properties, each with its set of values (sorted by [`value_key`], no two equal).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vertex {
    /// The label.
    pub label: String,
    /// Property name to its values.
    pub properties: BTreeMap<String, Vec<Value>>,
}

/// An edge: label, endpoints and single-valued properties.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// The label.
    pub label: String,
    /// The id of the start vertex.
    pub from: String,
    /// The id of the end vertex.
    pub to: String,
    /// Property name to value.
    pub properties: BTreeMap<String, Value>,
}

/// Why the model, as every store, refuses an operation (the writer rejects such a record with this reason).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// An edge upsert names an existing edge id with another label or other endpoints.
    #[error(
        "edge id {id:?} is taken by a `{label}` edge from {from:?} to {to:?}; an upsert cannot move or relabel an edge"
    )]
    EdgeIdTaken {
        /// The edge id.
        id: String,
        /// The existing edge's label.
        label: String,
        /// The existing edge's start.
        from: String,
        /// The existing edge's end.
        to: String,
    },
    /// A property change no graph-operation document can hold ([`crate::document`] refuses it): an empty list, a
    /// list in a list, an added list, or on an edge a list or an `add` (an edge property holds one value).
    #[error("{element} {id:?}: property {name:?} cannot be {change}; {allowed}")]
    InvalidChange {
        /// `vertex` or `edge`.
        element: &'static str,
        /// The element's id.
        id: String,
        /// The property name.
        name: String,
        /// What the change was.
        change: &'static str,
        /// What is allowed instead.
        allowed: &'static str,
    },
}

/// Why a document refuses `change` on a vertex (`edge` false) or an edge: (what the change is, what is allowed).
fn refused_change(change: &Change, edge: bool) -> Option<(&'static str, &'static str)> {
    let nested = |values: &[Value]| values.iter().any(|v| matches!(v, Value::List(_)));
    match change {
        Change::Add(_) if edge => Some((
            "added to",
            "an edge property holds one value: set it (or null to remove it)",
        )),
        Change::Set(Value::List(_)) if edge => {
            Some(("a list", "an edge property holds one value: send one value"))
        }
        Change::Set(Value::List(values)) if values.is_empty() => Some((
            "an empty list",
            "send a non-empty list, or null to remove the property",
        )),
        Change::Set(Value::List(values)) if nested(values) => {
            Some(("a list holding a list", "a list holds plain values"))
        }
        Change::Add(Value::List(_)) => Some(("a list added", "add one plain value, or set a list")),
        Change::SetOnCreate(Value::List(_)) => Some((
            "a list set on create",
            "set one plain value on create, or set the list",
        )),
        _ => None,
    }
}

/// The first change of `properties` that no document can hold, as a [`Refusal::InvalidChange`].
fn check_changes(
    element: &'static str,
    id: &str,
    properties: &[crate::operation::PropertyChange],
) -> Result<(), Refusal> {
    for (index, property) in properties.iter().enumerate() {
        let changed_again = matches!(property.change, Change::SetOnCreate(_))
            && properties
                .iter()
                .enumerate()
                .any(|(other, p)| other != index && p.name == property.name);
        if changed_again {
            return Err(Refusal::InvalidChange {
                element,
                id: id.to_owned(),
                name: property.name.clone(),
                change: "set on create and changed again in one upsert",
                allowed: "give the property one change in an upsert",
            });
        }
        if let Some((change, allowed)) = refused_change(&property.change, element == "edge") {
            return Err(Refusal::InvalidChange {
                element,
                id: id.to_owned(),
                name: property.name.clone(),
                change,
                allowed,
            });
        }
    }
    Ok(())
}

/// One difference between two graphs, naming the element (and the property) that differs.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference(pub String);

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A total order key of a value, which also decides equality (a double equals itself bit for bit).
pub fn value_key(value: &Value) -> String {
    match value {
        Value::String(s) => format!("s:{s}"),
        Value::Integer(i) => format!("i:{i:020}"),
        Value::Double(d) => format!("d:{:016x}", d.to_bits()),
        Value::Boolean(b) => format!("b:{b}"),
        Value::Date(d) => format!("D:{d}"),
        Value::DateTime(d) => format!("T:{d}"),
        Value::List(values) => {
            let keys: Vec<String> = values.iter().map(value_key).collect();
            format!("l:[{}]", keys.join(","))
        }
    }
}

/// The set of `values` as a [`Vertex`] holds it: sorted by [`value_key`], no two equal.
pub fn set_of(values: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut by_key: BTreeMap<String, Value> = BTreeMap::new();
    for value in values {
        by_key.insert(value_key(&value), value);
    }
    by_key.into_values().collect()
}

impl Graph {
    /// Applies one operation, or refuses it and leaves the graph as it was.
    pub fn apply(&mut self, operation: &Operation) -> Result<(), Refusal> {
        match operation {
            Operation::UpsertVertex(upsert) => {
                check_changes("vertex", &upsert.id, &upsert.properties)?;
                let created = !self.vertices.contains_key(&upsert.id);
                let vertex = self
                    .vertices
                    .entry(upsert.id.clone())
                    .or_insert_with(|| Vertex {
                        label: upsert.label.clone(),
                        properties: BTreeMap::new(),
                    });
                for change in &upsert.properties {
                    match &change.change {
                        Change::SetOnCreate(value) => {
                            if created {
                                vertex
                                    .properties
                                    .insert(change.name.clone(), vec![value.clone()]);
                            }
                        }
                        Change::Set(Value::List(values)) => {
                            vertex
                                .properties
                                .insert(change.name.clone(), set_of(values.iter().cloned()));
                        }
                        Change::Set(value) => {
                            vertex
                                .properties
                                .insert(change.name.clone(), vec![value.clone()]);
                        }
                        Change::Add(value) => {
                            let values = vertex.properties.entry(change.name.clone()).or_default();
                            let added = values.drain(..).chain([value.clone()]);
                            *values = set_of(added.collect::<Vec<_>>());
                        }
                        Change::Remove => {
                            vertex.properties.remove(&change.name);
                        }
                    }
                }
            }
            Operation::UpsertEdge(upsert) => {
                if let Some(edge) = self.edges.get(&upsert.id)
                    && (edge.label != upsert.label
                        || edge.from != upsert.from
                        || edge.to != upsert.to)
                {
                    return Err(Refusal::EdgeIdTaken {
                        id: upsert.id.clone(),
                        label: edge.label.clone(),
                        from: edge.from.clone(),
                        to: edge.to.clone(),
                    });
                }
                check_changes("edge", &upsert.id, &upsert.properties)?;
                for (endpoint, label) in [
                    (&upsert.from, &upsert.from_label),
                    (&upsert.to, &upsert.to_label),
                ] {
                    self.vertices
                        .entry(endpoint.clone())
                        .or_insert_with(|| Vertex {
                            label: label.clone(),
                            properties: BTreeMap::new(),
                        });
                }
                let created = !self.edges.contains_key(&upsert.id);
                let edge = self.edges.entry(upsert.id.clone()).or_insert_with(|| Edge {
                    label: upsert.label.clone(),
                    from: upsert.from.clone(),
                    to: upsert.to.clone(),
                    properties: BTreeMap::new(),
                });
                for change in &upsert.properties {
                    match &change.change {
                        // `check_changes` refused an Add and a list above.
                        Change::Set(value) | Change::Add(value) => {
                            edge.properties.insert(change.name.clone(), value.clone());
                        }
                        Change::SetOnCreate(value) => {
                            if created {
                                edge.properties.insert(change.name.clone(), value.clone());
                            }
                        }
                        Change::Remove => {
                            edge.properties.remove(&change.name);
                        }
                    }
                }
            }
            Operation::DeleteVertex { id } => {
                if self.vertices.remove(id).is_some() {
                    self.edges
                        .retain(|_, edge| edge.from != *id && edge.to != *id);
                }
            }
            Operation::DeleteEdge { id } => {
                self.edges.remove(id);
            }
            Operation::ChangeValues {
                element: Element::Vertex,
                id,
                changes,
            } => {
                if let Some(vertex) = self.vertices.get_mut(id) {
                    for ValueChange { name, add, value } in changes {
                        let values = vertex.properties.entry(name.clone()).or_default();
                        if *add {
                            let added = values.drain(..).chain([value.clone()]);
                            *values = set_of(added.collect::<Vec<_>>());
                        } else {
                            let key = value_key(value);
                            values.retain(|v| value_key(v) != key);
                            if values.is_empty() {
                                vertex.properties.remove(name);
                            }
                        }
                    }
                }
            }
            Operation::ChangeValues {
                element: Element::Edge,
                id,
                changes,
            } => {
                if let Some(edge) = self.edges.get_mut(id) {
                    for ValueChange { name, add, value } in changes {
                        if *add {
                            edge.properties.insert(name.clone(), value.clone());
                        } else if edge.properties.get(name).map(value_key) == Some(value_key(value))
                        {
                            edge.properties.remove(name);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Every difference between `self` (what was expected) and `actual`, each naming the element and property.
    pub fn differences(&self, actual: &Graph) -> Vec<Difference> {
        let mut out = Vec::new();
        for (id, want) in &self.vertices {
            match actual.vertices.get(id) {
                None => out.push(Difference(format!("vertex {id:?} is missing"))),
                Some(got) => {
                    if got.label != want.label {
                        out.push(Difference(format!(
                            "vertex {id:?} has label {:?}, expected {:?}",
                            got.label, want.label
                        )));
                    }
                    compare_properties(&mut out, "vertex", id, &want.properties, &got.properties);
                }
            }
        }
        for id in actual
            .vertices
            .keys()
            .filter(|id| !self.vertices.contains_key(*id))
        {
            out.push(Difference(format!("vertex {id:?} is not expected")));
        }
        for (id, want) in &self.edges {
            match actual.edges.get(id) {
                None => out.push(Difference(format!(
                    "edge {id:?} ({:?} -{}-> {:?}) is missing",
                    want.from, want.label, want.to
                ))),
                Some(got) => {
                    if (&got.label, &got.from, &got.to) != (&want.label, &want.from, &want.to) {
                        out.push(Difference(format!(
                            "edge {id:?} is {:?} -{}-> {:?}, expected {:?} -{}-> {:?}",
                            got.from, got.label, got.to, want.from, want.label, want.to
                        )));
                    }
                    compare_properties(&mut out, "edge", id, &want.properties, &got.properties);
                }
            }
        }
        for id in actual
            .edges
            .keys()
            .filter(|id| !self.edges.contains_key(*id))
        {
            out.push(Difference(format!("edge {id:?} is not expected")));
        }
        out
    }

    /// The graph as a store that keeps dates as instants holds it (Gremlin's `Date`): every [`Value::Date`] and
    /// [`Value::DateTime`] becomes the [`Value::DateTime`] of its UTC instant with milliseconds
    /// ([`crate::date::utc_instant`]), so it compares equal to what such a store reads back.
    pub fn with_instant_dates(&self) -> Graph {
        fn instant(value: &Value) -> Value {
            match value {
                Value::Date(text) | Value::DateTime(text) => {
                    Value::DateTime(utc_instant(text).unwrap_or_else(|| text.clone()))
                }
                Value::List(values) => Value::List(values.iter().map(instant).collect()),
                other => other.clone(),
            }
        }
        let mut graph = self.clone();
        for vertex in graph.vertices.values_mut() {
            for values in vertex.properties.values_mut() {
                *values = set_of(values.iter().map(instant));
            }
        }
        for edge in graph.edges.values_mut() {
            for value in edge.properties.values_mut() {
                *value = instant(value);
            }
        }
        graph
    }

    /// The number of vertex and edge properties (a multi-valued property counts once).
    pub fn property_count(&self) -> usize {
        self.vertices
            .values()
            .map(|v| v.properties.len())
            .sum::<usize>()
            + self
                .edges
                .values()
                .map(|e| e.properties.len())
                .sum::<usize>()
    }
}

fn compare_properties<V: PartialEq + fmt::Debug>(
    out: &mut Vec<Difference>,
    kind: &str,
    id: &str,
    want: &BTreeMap<String, V>,
    got: &BTreeMap<String, V>,
) {
    for (name, value) in want {
        match got.get(name) {
            None => out.push(Difference(format!(
                "{kind} {id:?} lacks property {name:?} (expected {value:?})"
            ))),
            Some(found) if found != value => out.push(Difference(format!(
                "{kind} {id:?} property {name:?} is {found:?}, expected {value:?}"
            ))),
            Some(_) => {}
        }
    }
    for (name, value) in got.iter().filter(|(name, _)| !want.contains_key(*name)) {
        out.push(Difference(format!(
            "{kind} {id:?} has property {name:?} = {value:?}, not expected"
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{EdgeUpsert, PropertyChange, VertexUpsert};

    fn edge(id: &str, from: &str, to: &str) -> Operation {
        Operation::UpsertEdge(EdgeUpsert {
            id: id.into(),
            label: "knows".into(),
            from: from.into(),
            to: to.into(),
            from_label: "person".into(),
            to_label: "person".into(),
            properties: vec![PropertyChange::set("since", Value::Integer(2020))],
        })
    }

    #[test]
    fn upsert_delete_upsert_ends_as_the_last_says() {
        let mut graph = Graph::default();
        let upsert = |name: &str| {
            Operation::UpsertVertex(VertexUpsert {
                id: "v1".into(),
                label: "device".into(),
                properties: vec![PropertyChange::set("name", Value::String(name.into()))],
            })
        };
        graph.apply(&upsert("a")).unwrap();
        graph.apply(&edge("e1", "v1", "v2")).unwrap();
        graph
            .apply(&Operation::DeleteVertex { id: "v1".into() })
            .unwrap();
        assert!(
            graph.edges.is_empty(),
            "deleting a vertex deletes its edges"
        );
        graph.apply(&upsert("b")).unwrap();
        assert_eq!(
            graph.vertices["v1"].properties["name"],
            vec![Value::String("b".into())]
        );
        assert_eq!(graph.vertices["v2"].label, "person");
    }

    #[test]
    fn add_keeps_a_set_and_set_replaces_it() {
        let mut graph = Graph::default();
        let change = |change: Change| {
            Operation::UpsertVertex(VertexUpsert {
                id: "v".into(),
                label: "l".into(),
                properties: vec![PropertyChange {
                    name: "tag".into(),
                    change,
                }],
            })
        };
        graph
            .apply(&change(Change::Add(Value::String("x".into()))))
            .unwrap();
        graph
            .apply(&change(Change::Add(Value::String("y".into()))))
            .unwrap();
        graph
            .apply(&change(Change::Add(Value::String("x".into()))))
            .unwrap();
        assert_eq!(graph.vertices["v"].properties["tag"].len(), 2);
        graph
            .apply(&change(Change::Set(Value::Integer(1))))
            .unwrap();
        assert_eq!(
            graph.vertices["v"].properties["tag"],
            vec![Value::Integer(1)]
        );
        graph.apply(&change(Change::Remove)).unwrap();
        assert!(graph.vertices["v"].properties.is_empty());
    }

    #[test]
    fn a_value_set_on_create_is_written_by_the_upsert_that_creates_the_element_only() {
        let mut graph = Graph::default();
        let vertex = |properties| {
            Operation::UpsertVertex(VertexUpsert {
                id: "v".into(),
                label: "l".into(),
                properties,
            })
        };
        let first = |value| PropertyChange::set_on_create("first", Value::Integer(value));
        graph.apply(&vertex(vec![first(1)])).unwrap();
        graph.apply(&vertex(vec![first(2)])).unwrap();
        assert_eq!(graph.vertices["v"].properties["first"], [Value::Integer(1)]);
        let Operation::UpsertEdge(mut upsert) = edge("e", "v", "w") else {
            unreachable!()
        };
        upsert.properties = vec![first(3)];
        graph.apply(&Operation::UpsertEdge(upsert.clone())).unwrap();
        upsert.properties = vec![first(4), PropertyChange::set("n", Value::Integer(4))];
        graph.apply(&Operation::UpsertEdge(upsert.clone())).unwrap();
        let properties = &graph.edges["e"].properties;
        assert_eq!(
            (&properties["first"], &properties["n"]),
            (&Value::Integer(3), &Value::Integer(4))
        );
        upsert.properties = vec![first(5), PropertyChange::remove("first")];
        let refused = graph.apply(&Operation::UpsertEdge(upsert)).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("set on create and changed again"),
            "{refused}"
        );
    }

    #[test]
    fn the_model_refuses_what_no_document_holds_and_applies_what_one_does() {
        use crate::document::{decode, encode};
        let vertex = |change: Change| {
            Operation::UpsertVertex(VertexUpsert {
                id: "v".into(),
                label: "l".into(),
                properties: vec![PropertyChange {
                    name: "p".into(),
                    change,
                }],
            })
        };
        let on_edge = |change: Change| {
            let Operation::UpsertEdge(mut upsert) = edge("e", "a", "b") else {
                unreachable!()
            };
            upsert.properties = vec![PropertyChange {
                name: "p".into(),
                change,
            }];
            Operation::UpsertEdge(upsert)
        };
        let one = || Value::Integer(1);
        let list = |values: Vec<Value>| Value::List(values);
        // (operation, whether a document holds it): the model applies exactly what the decoder reads back.
        let table = [
            (vertex(Change::Set(list(vec![]))), false),
            (vertex(Change::Set(list(vec![list(vec![one()])]))), false),
            (vertex(Change::Add(list(vec![one()]))), false),
            (on_edge(Change::Add(one())), false),
            (on_edge(Change::Set(list(vec![one()]))), false),
            (vertex(Change::Set(list(vec![one()]))), true),
            (vertex(Change::Add(one())), true),
            (vertex(Change::Remove), true),
            (on_edge(Change::Set(one())), true),
            (on_edge(Change::Remove), true),
            (vertex(Change::SetOnCreate(list(vec![one()]))), false),
            (vertex(Change::SetOnCreate(one())), true),
            (on_edge(Change::SetOnCreate(one())), true),
        ];
        for (operation, held) in table {
            let text = encode(std::slice::from_ref(&operation)).unwrap();
            let decoded = decode(&text);
            assert_eq!(decoded.is_ok(), held, "{text}: {decoded:?}");
            let mut graph = Graph::default();
            let applied = graph.apply(&operation);
            assert_eq!(applied.is_ok(), held, "{text}: {applied:?}");
            if let Err(refused) = applied {
                assert_eq!(graph, Graph::default(), "{text}: a refusal changes nothing");
                assert!(refused.to_string().contains("property \"p\""), "{refused}");
            } else {
                assert_eq!(decoded.unwrap(), vec![operation]);
            }
        }
    }

    #[test]
    fn value_changes_add_and_remove_single_values_of_present_elements_only() {
        let mut graph = Graph::default();
        graph.apply(&edge("e1", "a", "b")).unwrap();
        let changes =
            |element, id: &str, changes: &[(&str, bool, Value)]| Operation::ChangeValues {
                element,
                id: id.into(),
                changes: changes
                    .iter()
                    .map(|(name, add, value)| ValueChange {
                        name: (*name).into(),
                        add: *add,
                        value: value.clone(),
                    })
                    .collect(),
            };
        let (x, y) = (Value::String("x".into()), Value::String("y".into()));
        graph
            .apply(&changes(
                Element::Vertex,
                "a",
                &[
                    ("t", true, x.clone()),
                    ("t", true, y.clone()),
                    ("t", true, x.clone()),
                ],
            ))
            .unwrap();
        assert_eq!(
            graph.vertices["a"].properties["t"],
            vec![x.clone(), y.clone()]
        );
        graph
            .apply(&changes(
                Element::Vertex,
                "a",
                &[("t", false, x.clone()), ("t", false, Value::Integer(1))],
            ))
            .unwrap();
        assert_eq!(graph.vertices["a"].properties["t"], vec![y.clone()]);
        graph
            .apply(&changes(Element::Vertex, "a", &[("t", false, y.clone())]))
            .unwrap();
        assert!(
            graph.vertices["a"].properties.is_empty(),
            "the last value takes the property"
        );
        // An edge property: a removal of another value keeps it, of its value removes it; adding replaces.
        graph
            .apply(&changes(
                Element::Edge,
                "e1",
                &[("since", false, Value::Integer(1))],
            ))
            .unwrap();
        assert_eq!(graph.edges["e1"].properties["since"], Value::Integer(2020));
        graph
            .apply(&changes(
                Element::Edge,
                "e1",
                &[
                    ("since", false, Value::Integer(2020)),
                    ("w", true, x.clone()),
                    ("w", true, y.clone()),
                ],
            ))
            .unwrap();
        assert_eq!(graph.edges["e1"].properties.len(), 1);
        assert_eq!(graph.edges["e1"].properties["w"], y);
        // Absent elements: nothing happens.
        let before = graph.clone();
        graph
            .apply(&changes(
                Element::Vertex,
                "absent",
                &[("t", true, x.clone())],
            ))
            .unwrap();
        graph
            .apply(&changes(Element::Edge, "absent", &[("t", true, x)]))
            .unwrap();
        assert_eq!(graph, before);
    }

    #[test]
    fn instant_dates_are_what_a_gremlin_store_reads_back() {
        let mut graph = Graph::default();
        graph
            .apply(&Operation::UpsertVertex(VertexUpsert {
                id: "v".into(),
                label: "l".into(),
                properties: vec![PropertyChange::set(
                    "d",
                    Value::List(vec![
                        Value::Date("2024-01-02".into()),
                        Value::DateTime("2024-01-02T01:00:00+01:00".into()),
                        Value::Integer(1),
                    ]),
                )],
            }))
            .unwrap();
        assert_eq!(
            graph.with_instant_dates().vertices["v"].properties["d"],
            vec![
                Value::DateTime("2024-01-02T00:00:00.000Z".into()),
                Value::Integer(1)
            ]
        );
    }

    #[test]
    fn an_edge_id_cannot_be_moved_and_differences_name_the_element() {
        let mut expected = Graph::default();
        expected.apply(&edge("e1", "a", "b")).unwrap();
        let refused = expected.apply(&edge("e1", "a", "c")).unwrap_err();
        assert!(refused.to_string().contains("\"e1\""), "{refused}");
        let mut actual = expected.clone();
        actual
            .edges
            .get_mut("e1")
            .unwrap()
            .properties
            .insert("since".into(), Value::Integer(1999));
        actual.vertices.remove("b");
        let differences: Vec<String> = expected
            .differences(&actual)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            differences,
            vec![
                "vertex \"b\" is missing".to_string(),
                "edge \"e1\" property \"since\" is Integer(1999), expected Integer(2020)"
                    .to_string(),
            ]
        );
    }
}
