//! The operations a writer applies, in stream order per key: upserts and deletes of vertices and edges, and
//! changes of single properties.
//!
//! Semantics (the same in every language, and what the test oracle applies):
//! - Upserting a vertex or an edge creates it when its id is absent, with the label given, and then applies its
//!   property changes; when present, it applies the changes only (a label is never changed by an upsert).
//! - An edge upsert whose endpoint vertex is absent creates that vertex with no properties and the label the
//!   upsert gives for it (`from_label`, `to_label`), as the sample's `follows` edge creates its people.
//! - Deleting a vertex deletes its edges; deleting an absent element is not an error (operations are idempotent).
//! - A vertex property holds one value or a set of values (Neptune's default vertex cardinality is set; it has no
//!   list cardinality). [`Change::Set`] replaces every value, [`Change::Add`] adds one, [`Change::Remove`] removes
//!   the property. Edge properties hold one value: `Add` is not allowed on edges. [`Change::SetOnCreate`] sets one
//!   value when the upsert creates the element and leaves an existing element's property as it is (Gremlin's
//!   `Merge.onCreate`, openCypher's `ON CREATE SET`): in Gremlin and SPARQL an upsert holding nothing else only
//!   reads a matched element, so a re-sent one takes no write lock; it is the only change of its property in its
//!   upsert.
//! - [`Operation::ChangeValues`] adds and removes single values of an existing element's properties, as Neptune
//!   Streams records them ([`crate::change`]); it changes nothing when the element is absent (a property needs its
//!   element, and the element's label, or an edge's ends, are not in the change).

use std::fmt;

/// One operation on the graph.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// Create the vertex if absent, then apply its property changes.
    UpsertVertex(VertexUpsert),
    /// Create the edge (and absent endpoints) if absent, then apply its property changes.
    UpsertEdge(EdgeUpsert),
    /// Delete the vertex and every edge that starts or ends at it.
    DeleteVertex {
        /// The vertex id.
        id: String,
    },
    /// Delete the edge.
    DeleteEdge {
        /// The edge id.
        id: String,
    },
    /// Add and remove single property values of an element, in order, when it exists (nothing when it does not).
    ChangeValues {
        /// A vertex's or an edge's properties.
        element: Element,
        /// The element id.
        id: String,
        /// The changes, in order.
        changes: Vec<ValueChange>,
    },
}

/// Which kind of element an operation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element {
    /// A vertex.
    Vertex,
    /// An edge.
    Edge,
}

/// A change of one value of one property, as Neptune Streams records it. On a vertex, adding puts the value in
/// the property's set of values and removing takes it out (the property goes with its last value); on an edge,
/// whose properties hold one value, adding replaces the value and removing removes the property when it holds
/// this value (and nothing otherwise).
#[derive(Debug, Clone, PartialEq)]
pub struct ValueChange {
    /// The property name.
    pub name: String,
    /// Added (`true`) or removed.
    pub add: bool,
    /// The value (never a list).
    pub value: Value,
}

impl ValueChange {
    /// A change adding `value` to property `name` (replacing it on an edge).
    pub fn added(name: impl Into<String>, value: Value) -> Self {
        ValueChange {
            name: name.into(),
            add: true,
            value,
        }
    }

    /// A change removing `value` from property `name`.
    pub fn removed(name: impl Into<String>, value: Value) -> Self {
        ValueChange {
            name: name.into(),
            add: false,
            value,
        }
    }
}

impl Operation {
    /// The id of the element the operation is about (the edge's id for edge operations).
    pub fn element_id(&self) -> &str {
        match self {
            Operation::UpsertVertex(v) => &v.id,
            Operation::UpsertEdge(e) => &e.id,
            Operation::DeleteVertex { id } | Operation::DeleteEdge { id } => id,
            Operation::ChangeValues { id, .. } => id,
        }
    }

    /// The operation's name as records and reject reasons spell it.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::UpsertVertex(_) => "upsertVertex",
            Operation::UpsertEdge(_) => "upsertEdge",
            Operation::DeleteVertex { .. } => "deleteVertex",
            Operation::DeleteEdge { .. } => "deleteEdge",
            Operation::ChangeValues { .. } => "changeValues",
        }
    }
}

/// An upsert of one vertex.
#[derive(Debug, Clone, PartialEq)]
pub struct VertexUpsert {
    /// The vertex id (Neptune's `~id`).
    pub id: String,
    /// The label given to the vertex when it is created.
    pub label: String,
    /// Changes applied in order, to a created or an existing vertex.
    pub properties: Vec<PropertyChange>,
}

/// An upsert of one edge.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeUpsert {
    /// The edge id: given by the record or [`derived_edge_id`], so a re-sent edge is the same edge.
    pub id: String,
    /// The edge label.
    pub label: String,
    /// The id of the vertex the edge starts at.
    pub from: String,
    /// The id of the vertex the edge ends at.
    pub to: String,
    /// The label of the start vertex when the upsert creates it (it was absent).
    pub from_label: String,
    /// The label of the end vertex when the upsert creates it.
    pub to_label: String,
    /// Changes applied in order; only [`Change::Set`], [`Change::SetOnCreate`] and [`Change::Remove`] (edge
    /// properties hold one value).
    pub properties: Vec<PropertyChange>,
}

/// A change of one property.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyChange {
    /// The property name (never starting with `~`, the stores' reserved names).
    pub name: String,
    /// What happens to it.
    pub change: Change,
}

impl PropertyChange {
    /// Sets `name` to `value` (every value replaced).
    pub fn set(name: &str, value: Value) -> Self {
        PropertyChange {
            name: name.into(),
            change: Change::Set(value),
        }
    }

    /// Sets `name` to `value` when the upsert creates the element (an existing element keeps its value).
    pub fn set_on_create(name: &str, value: Value) -> Self {
        PropertyChange {
            name: name.into(),
            change: Change::SetOnCreate(value),
        }
    }

    /// Removes `name`.
    pub fn remove(name: &str) -> Self {
        PropertyChange {
            name: name.into(),
            change: Change::Remove,
        }
    }
}

/// What happens to a property.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Replace every value with this one ([`Value::List`]: with these, a multi-valued vertex property).
    Set(Value),
    /// Add one value to a vertex property's set of values.
    Add(Value),
    /// Set this one value (never a list) when the upsert creates the element; nothing when it exists. The only
    /// change of its property in its upsert.
    SetOnCreate(Value),
    /// Remove the property (a JSON `null` in a record).
    Remove,
}

/// A property value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string.
    String(String),
    /// A 64-bit integer (Neptune's Long).
    Integer(i64),
    /// A 64-bit float (Neptune's Double); never NaN or infinite in a record.
    Double(f64),
    /// A boolean.
    Boolean(bool),
    /// A date, `YYYY-MM-DD` as written in the record.
    Date(String),
    /// A date-time, ISO-8601 as written in the record.
    DateTime(String),
    /// The values of a multi-valued vertex property (no nested lists).
    List(Vec<Value>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => write!(f, "{s:?}"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Double(d) => write!(f, "{d:?}"),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Date(d) => write!(f, "date {d}"),
            Value::DateTime(d) => write!(f, "datetime {d}"),
            Value::List(values) => {
                f.write_str("[")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// The id of an edge whose record gives none: `from-label-to`, or `from-label-to-key` with a key, each part with
/// `%` and `-` percent-encoded, so two different (from, label, to, key) never share an id and a re-sent edge keeps
/// its id.
pub fn derived_edge_id(from: &str, label: &str, to: &str, key: Option<&str>) -> String {
    let mut id = String::with_capacity(from.len() + label.len() + to.len() + 8);
    let parts = [Some(from), Some(label), Some(to), key];
    for (i, part) in parts.into_iter().flatten().enumerate() {
        if i > 0 {
            id.push('-');
        }
        push_id_part(&mut id, part);
    }
    id
}

/// Appends `part` to an id whose parts are joined by `-`: `%` and `-` percent-encoded, so the joins stay unambiguous.
pub(crate) fn push_id_part(id: &mut String, part: &str) {
    for c in part.chars() {
        match c {
            '%' => id.push_str("%25"),
            '-' => id.push_str("%2D"),
            c => id.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_differ_when_any_part_differs() {
        let a = derived_edge_id("a-b", "knows", "c", None);
        let b = derived_edge_id("a", "b-knows", "c", None);
        assert_ne!(a, b);
        assert_eq!(a, "a%2Db-knows-c");
        assert_ne!(
            derived_edge_id("a", "knows", "c", Some("1")),
            derived_edge_id("a", "knows", "c-1", None)
        );
        assert_eq!(
            derived_edge_id("a", "knows", "c", Some("2024")),
            "a-knows-c-2024"
        );
    }

    #[test]
    fn element_id_is_the_edge_id_for_edge_operations() {
        let op = Operation::UpsertEdge(EdgeUpsert {
            id: "e1".into(),
            label: "knows".into(),
            from: "a".into(),
            to: "b".into(),
            from_label: "person".into(),
            to_label: "person".into(),
            properties: vec![],
        });
        assert_eq!(op.element_id(), "e1");
        assert_eq!(op.name(), "upsertEdge");
    }
}
