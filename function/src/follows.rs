//! The sample's `follows` edge ([`Edge`], decoded by [`crate::record`]) as the graph operation it is: an upsert of
//! one `follows` edge between two `person` vertices under the follows edge id
//! ([`stream2neptune_graph::follows::edge_id`]), with the creation date (the record's text, as the sample stores
//! it) set when the edge is created (it is part of the id, so a matched edge holds it already and is only read)
//! and each extra property set, last record winning. A follows record is decoded into this operation, and every
//! language writes it ([`FollowsUpsert`] reads it back for the forms that write follows edges in a shape of their
//! own: SPARQL's follows vocabulary, which types the date, and the non-default Gremlin and openCypher forms).

use stream2neptune_graph::date::date_kind;
use stream2neptune_graph::follows::{self, CREATION_DATE, FOLLOWS, PERSON};
use stream2neptune_graph::{Change, EdgeUpsert, Operation, PropertyChange, Value};

use crate::record::{DateKind, Edge, PropertyValue};

impl Edge {
    /// The follows edge id of this edge.
    pub fn id(&self) -> String {
        follows::edge_id(&self.from, &self.created.text, &self.to)
    }

    /// The edge as one graph operation.
    pub fn into_operation(self) -> Operation {
        let id = self.id();
        let mut properties = Vec::with_capacity(1 + self.properties.len());
        properties.push(PropertyChange::set_on_create(
            CREATION_DATE,
            Value::String(self.created.text),
        ));
        properties.extend(
            self.properties
                .into_iter()
                .map(|(name, value)| PropertyChange {
                    name,
                    change: Change::Set(value.into()),
                }),
        );
        Operation::UpsertEdge(EdgeUpsert {
            id,
            label: FOLLOWS.into(),
            from: self.from,
            to: self.to,
            from_label: PERSON.into(),
            to_label: PERSON.into(),
            properties,
        })
    }
}

/// A follows edge upsert read back from the operation [`Edge::into_operation`] made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FollowsUpsert<'a> {
    /// The follows edge id.
    pub id: &'a str,
    /// The person the edge starts at.
    pub from: &'a str,
    /// The person it ends at.
    pub to: &'a str,
    /// The creation date as the record wrote it.
    pub created: &'a str,
    /// Whether it is a date or a date-time.
    pub created_kind: DateKind,
    /// The extra properties, each set, in record order (sorted by name).
    pub extras: &'a [PropertyChange],
}

impl<'a> FollowsUpsert<'a> {
    /// The follows edge upsert `operation` is, or `None` when it is not one of the shape [`Edge::into_operation`]
    /// makes (its id is not checked).
    pub fn of(operation: &'a Operation) -> Option<Self> {
        let Operation::UpsertEdge(edge) = operation else {
            return None;
        };
        if (
            edge.label.as_str(),
            edge.from_label.as_str(),
            edge.to_label.as_str(),
        ) != (FOLLOWS, PERSON, PERSON)
        {
            return None;
        }
        let (first, extras) = edge.properties.split_first()?;
        let created = match (&*first.name, &first.change) {
            (CREATION_DATE, Change::SetOnCreate(Value::String(text))) => text,
            _ => return None,
        };
        if !extras.iter().all(|p| matches!(p.change, Change::Set(_))) {
            return None;
        }
        Some(FollowsUpsert {
            id: &edge.id,
            from: &edge.from,
            to: &edge.to,
            created,
            created_kind: date_kind(created)?,
            extras,
        })
    }

    /// The follows edge upsert `operation`, of a write of follows records.
    ///
    /// # Panics
    ///
    /// When it is not one: such a write holds the operations of follows records only.
    pub fn of_record(operation: &'a Operation) -> Self {
        Self::of(operation).expect("a write of follows records holds their operations only")
    }

    /// The extra properties' names and values.
    pub fn extra_values(&self) -> impl Iterator<Item = (&'a str, &'a Value)> {
        self.extras.iter().filter_map(|p| match &p.change {
            Change::Set(value) => Some((p.name.as_str(), value)),
            _ => None,
        })
    }
}

/// An extra property's value as a graph value (the one type every builder writes).
impl From<PropertyValue> for Value {
    fn from(value: PropertyValue) -> Value {
        match value {
            PropertyValue::Text(text) => Value::String(text),
            PropertyValue::Integer(n) => Value::Integer(n),
            PropertyValue::Float(x) => Value::Double(x),
            PropertyValue::Bool(b) => Value::Boolean(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::parse_record;
    use stream2neptune_graph::Graph;

    #[test]
    fn the_upsert_reads_back_as_the_edge_and_nothing_else_does() {
        let edge = parse_record(
            br#"{"from":"a","to":"b","created":"2016-05-21 10:11","w":1,"n":"x"}"#,
            1024,
        )
        .unwrap();
        let id = edge.id();
        let operation = edge.into_operation();
        let read = FollowsUpsert::of(&operation).unwrap();
        assert_eq!(
            (read.id, read.from, read.to, read.created, read.created_kind),
            (
                id.as_str(),
                "a",
                "b",
                "2016-05-21 10:11",
                DateKind::DateTime
            )
        );
        let extras: Vec<(&str, &Value)> = read.extra_values().collect();
        assert_eq!(
            extras,
            [("n", &Value::String("x".into())), ("w", &Value::Integer(1))]
        );
        let mut other = operation.clone();
        let Operation::UpsertEdge(upsert) = &mut other else {
            unreachable!()
        };
        upsert.label = "knows".into();
        assert_eq!(FollowsUpsert::of(&other), None);
        let mut other = operation.clone();
        let Operation::UpsertEdge(upsert) = &mut other else {
            unreachable!()
        };
        upsert.properties[0].change = Change::Set(Value::String("2016-05-21".into()));
        assert_eq!(FollowsUpsert::of(&other), None);
        let vertex = Operation::DeleteVertex { id: "a".into() };
        assert_eq!(FollowsUpsert::of(&vertex), None);
    }

    #[test]
    fn a_follows_record_is_one_edge_upsert_and_a_resent_one_changes_only_its_extra_properties() {
        let first = parse_record(
            br#"{"from":"a-1","to":"b","created":"2016-05-21","w":1}"#,
            1024,
        )
        .unwrap();
        let again = parse_record(
            br#"{"from":"a-1","to":"b","created":"2016-05-21","w":2.5,"ok":true}"#,
            1024,
        )
        .unwrap();
        let mut graph = Graph::default();
        for edge in [first, again] {
            graph.apply(&edge.into_operation()).unwrap();
        }
        // The sample's names as literals: the engine tests' model uses this conversion too.
        assert_eq!(graph.vertices.len(), 2);
        assert!(graph.vertices.values().all(|v| v.label == "person"));
        let stored = &graph.edges["a%2D1-2016-05-21-b"];
        assert_eq!(
            (
                stored.label.as_str(),
                stored.from.as_str(),
                stored.to.as_str()
            ),
            ("follows", "a-1", "b")
        );
        assert_eq!(
            stored.properties.iter().collect::<Vec<_>>(),
            [
                (
                    &"creationDate".to_owned(),
                    &Value::String("2016-05-21".into())
                ),
                (&"ok".to_owned(), &Value::Boolean(true)),
                (&"w".to_owned(), &Value::Double(2.5)),
            ]
        );
    }
}
