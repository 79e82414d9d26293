//! One event through the mappings: the first mapping whose `when` holds makes the event's operations.
//!
//! - A node pattern upserts its vertex; a relationship pattern upserts both vertices (keys and named properties)
//!   and the edge, whose id is [`derived_edge_id`] of the two vertex ids, the label and the edge's keys (joined by
//!   `:`, percent-encoded like vertex keys), so a re-sent event is the same edge.
//! - When every `delete` condition holds, the event deletes the vertex (and its edges) or the edge (the vertices
//!   stay); only the keys are read.
//! - Keys are non-empty strings or integers; they are stored as properties too, under their names.
//! - A property field that is absent changes nothing; `null` removes the property. Strings stay strings unless
//!   `types` makes the property a `date` or `dateTime`; whole numbers are exact 64-bit integers, other numbers
//!   doubles, booleans booleans; a list of those sets a vertex property's values (edges hold one value).
//!   A nested object is refused: select its fields with dotted paths.
//! - `*` (or a vertex or edge naming no property) takes every top-level field the pattern, `when` and `delete` do
//!   not use, except those excluded with `-`.

use serde_json::value::RawValue;

use crate::date::{DateKind, date_kind};
use crate::json::{Members, excerpt, is_integer_text, string};
use crate::mapping::compile::{Condition, Ids, Mapping, Mappings};
use crate::mapping::pattern::{Element, Field, Pattern};
use crate::operation::{
    Change, EdgeUpsert, Operation, PropertyChange, Value, VertexUpsert, derived_edge_id,
};

/// Why an event is not turned into operations.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventError {
    /// The record is not a JSON object.
    #[error(
        "the record is not a JSON object ({message}); with RecordFormat=mapping each record is one JSON event"
    )]
    NotAnObject {
        /// The parser's message, or what the record is.
        message: String,
    },
    /// A field is named twice in one object of the event.
    #[error("event field `{field}` is given twice; name each field once")]
    Repeated {
        /// The field's dotted path.
        field: String,
    },
    /// No mapping's `when` holds for the event.
    #[error(
        "no mapping applies to the event (tried {tried}); add a mapping whose `when` matches it, or send it to another stream"
    )]
    NoMatch {
        /// Each mapping with its conditions.
        tried: String,
    },
    /// A field the mapping reads has a value it cannot take.
    #[error("mapping `{mapping}`: event field `{field}` = {value} is not allowed; {allowed}")]
    Field {
        /// The mapping's name.
        mapping: String,
        /// The field's dotted path.
        field: String,
        /// The value as written (cut to 64 characters), or `(missing)`.
        value: String,
        /// What is allowed.
        allowed: String,
    },
}

/// One event's top-level members, looked into by path.
struct Event<'a> {
    members: Vec<(String, &'a RawValue)>,
}

impl<'a> Event<'a> {
    /// The value at `path`: `Ok(None)` when absent (or a field on the way is not an object), an error when a field
    /// on the way is named twice.
    fn get(&self, path: &[String]) -> Result<Option<&'a RawValue>, EventError> {
        let mut nested: Vec<(String, &'a RawValue)>;
        let mut members: &[(String, &'a RawValue)] = &self.members;
        for (depth, segment) in path.iter().enumerate() {
            let mut found = members.iter().filter(|(name, _)| name == segment);
            let Some((_, value)) = found.next() else {
                return Ok(None);
            };
            if found.next().is_some() {
                return Err(EventError::Repeated {
                    field: path[..=depth].join("."),
                });
            }
            if depth + 1 == path.len() {
                return Ok(Some(value));
            }
            match serde_json::from_str::<Members<'a>>(value.get()) {
                Ok(Members(inner)) => nested = inner,
                Err(_) => return Ok(None),
            }
            members = &nested;
        }
        Ok(None)
    }

    fn holds(&self, condition: &Condition) -> bool {
        matches!(self.get(&condition.path), Ok(Some(raw))
            if serde_json::from_str::<serde_json::Value>(raw.get()).is_ok_and(|v| v == condition.value))
    }
}

impl Mappings {
    /// The operations of one event (a record's body, already checked for size and UTF-8): the first mapping whose
    /// `when` holds applies.
    pub fn apply(&self, body: &str) -> Result<Vec<Operation>, EventError> {
        let members = match serde_json::from_str::<Members>(body) {
            Ok(members) => members,
            Err(e) => {
                let message = match serde_json::from_str::<&RawValue>(body) {
                    Ok(value) => format!("it is {}", excerpt(value.get())),
                    Err(_) => e.to_string(),
                };
                return Err(EventError::NotAnObject { message });
            }
        };
        if let Some(field) = members.repeated() {
            return Err(EventError::Repeated {
                field: field.to_owned(),
            });
        }
        let event = Event { members: members.0 };
        let Some(mapping) = self
            .0
            .iter()
            .find(|m| m.when.iter().all(|c| event.holds(c)))
        else {
            return Err(EventError::NoMatch {
                tried: self
                    .0
                    .iter()
                    .map(|m| {
                        let when: Vec<String> = m.when.iter().map(Condition::describe).collect();
                        format!("`{}` when {}", m.name, when.join(" and "))
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        mapping.apply(&event)
    }
}

impl Mapping {
    fn apply(&self, event: &Event) -> Result<Vec<Operation>, EventError> {
        let delete = !self.delete.is_empty() && self.delete.iter().all(|c| event.holds(c));
        match &self.pattern {
            Pattern::Node(node) => {
                let id = self.vertex_id(event, node)?;
                if delete {
                    return Ok(vec![Operation::DeleteVertex { id }]);
                }
                let used = self.used(&[node]);
                Ok(vec![Operation::UpsertVertex(VertexUpsert {
                    id,
                    label: node.label.clone(),
                    properties: self.properties(event, node, false, node.takes_all(), &used)?,
                })])
            }
            Pattern::Relationship { from, edge, to } => {
                let from_id = self.vertex_id(event, from)?;
                let to_id = self.vertex_id(event, to)?;
                let key = if edge.keys.is_empty() {
                    None
                } else {
                    let parts = self.key_parts(event, edge)?;
                    Some(
                        parts
                            .iter()
                            .map(|(text, _)| encode(text))
                            .collect::<Vec<_>>()
                            .join(":"),
                    )
                };
                let id = derived_edge_id(&from_id, &edge.label, &to_id, key.as_deref());
                if delete {
                    return Ok(vec![Operation::DeleteEdge { id }]);
                }
                let used = self.used(&[from, edge, to]);
                let vertex = |element: &Element, id: String| {
                    Ok::<_, EventError>(Operation::UpsertVertex(VertexUpsert {
                        id,
                        label: element.label.clone(),
                        properties: self.properties(event, element, false, false, &used)?,
                    }))
                };
                Ok(vec![
                    vertex(from, from_id.clone())?,
                    vertex(to, to_id.clone())?,
                    Operation::UpsertEdge(EdgeUpsert {
                        id,
                        label: edge.label.clone(),
                        from: from_id,
                        to: to_id,
                        from_label: from.label.clone(),
                        to_label: to.label.clone(),
                        properties: self.properties(event, edge, true, edge.takes_all(), &used)?,
                    }),
                ])
            }
        }
    }

    fn error(&self, field: &str, value: &str, allowed: impl Into<String>) -> EventError {
        EventError::Field {
            mapping: self.name.clone(),
            field: field.to_owned(),
            value: excerpt(value),
            allowed: allowed.into(),
        }
    }

    /// Each key's text (for the id) and value (for the property).
    fn key_parts(
        &self,
        event: &Event,
        element: &Element,
    ) -> Result<Vec<(String, Value)>, EventError> {
        element
            .keys
            .iter()
            .map(|key| {
                let allowed = || {
                    format!(
                        "a key of `{}` is a non-empty string or an integer",
                        element.label
                    )
                };
                let Some(raw) = event.get(&key.path)? else {
                    return Err(self.error(&key.dotted(), "(missing)", allowed()));
                };
                let text = raw.get();
                if let Some(s) = string(text).filter(|s| !s.is_empty()) {
                    return Ok((s.clone(), Value::String(s)));
                }
                if is_integer_text(text)
                    && let Ok(i) = text.parse::<i64>()
                {
                    return Ok((text.to_owned(), Value::Integer(i)));
                }
                Err(self.error(&key.dotted(), text, allowed()))
            })
            .collect()
    }

    fn vertex_id(&self, event: &Event, element: &Element) -> Result<String, EventError> {
        let parts = self.key_parts(event, element)?;
        let id = match self.ids {
            Ids::Raw => parts[0].0.clone(),
            Ids::Labelled => {
                let mut id = encode(&element.label);
                for (text, _) in &parts {
                    id.push(':');
                    id.push_str(&encode(text));
                }
                id
            }
        };
        if id.starts_with("neptune_reserved") {
            return Err(self.error(
                &element.keys[0].dotted(),
                &id,
                "an id that does not start with `neptune_reserved` (Neptune refuses those)",
            ));
        }
        Ok(id)
    }

    /// The top-level fields `*` does not take: those the pattern's elements read, and those of `when` and `delete`.
    fn used(&self, elements: &[&Element]) -> Vec<String> {
        let fields = elements
            .iter()
            .flat_map(|e| e.keys.iter().chain(&e.properties))
            .map(|f: &Field| f.path[0].clone());
        let conditions = self
            .when
            .iter()
            .chain(&self.delete)
            .map(|c| c.path[0].clone());
        fields.chain(conditions).collect()
    }

    fn properties(
        &self,
        event: &Event,
        element: &Element,
        edge: bool,
        all: bool,
        used: &[String],
    ) -> Result<Vec<PropertyChange>, EventError> {
        let mut changes: Vec<PropertyChange> = self
            .key_parts(event, element)?
            .into_iter()
            .zip(&element.keys)
            .map(|((_, value), key)| PropertyChange::set(&key.name, value))
            .collect();
        for field in &element.properties {
            if let Some(raw) = event.get(&field.path)? {
                let change = self.change(&field.dotted(), &field.name, raw.get(), edge)?;
                changes.push(PropertyChange {
                    name: field.name.clone(),
                    change,
                });
            }
        }
        if all {
            for (name, raw) in &event.members {
                if used.contains(name)
                    || element
                        .excluded
                        .iter()
                        .any(|(excluded, _)| excluded == name)
                    || changes.iter().any(|c| &c.name == name)
                    || name.is_empty()
                    || name.starts_with('~')
                {
                    continue;
                }
                let change = self.change(name, name, raw.get(), edge)?;
                changes.push(PropertyChange {
                    name: name.clone(),
                    change,
                });
            }
        }
        Ok(changes)
    }

    fn change(
        &self,
        field: &str,
        property: &str,
        text: &str,
        edge: bool,
    ) -> Result<Change, EventError> {
        let date = self
            .types
            .iter()
            .find(|(name, _)| name == property)
            .map(|(_, kind)| *kind);
        match text.as_bytes()[0] {
            b'n' => Ok(Change::Remove),
            b'[' if edge => Err(self.error(
                field,
                text,
                "a string, a number or a boolean: an edge property holds one value",
            )),
            b'[' => {
                let items: Vec<&RawValue> = serde_json::from_str(text).unwrap_or_default();
                if items.is_empty() {
                    return Err(self.error(
                        field,
                        text,
                        "a non-empty list (send null to remove the property)",
                    ));
                }
                items
                    .iter()
                    .map(|item| self.scalar(field, item.get(), date))
                    .collect::<Result<_, _>>()
                    .map(|values| Change::Set(Value::List(values)))
            }
            _ => self.scalar(field, text, date).map(Change::Set),
        }
    }

    fn scalar(&self, field: &str, text: &str, date: Option<DateKind>) -> Result<Value, EventError> {
        match text.as_bytes()[0] {
            b'"' => {
                let s = string(text).unwrap_or_default();
                match date {
                    None => Ok(Value::String(s)),
                    Some(DateKind::Date) if s.len() == 10 && date_kind(&s).is_some() => {
                        Ok(Value::Date(s))
                    }
                    Some(DateKind::DateTime) if s.len() > 10 && date_kind(&s).is_some() => {
                        Ok(Value::DateTime(s))
                    }
                    Some(DateKind::Date) => Err(self.error(
                        field,
                        text,
                        "a date \"YYYY-MM-DD\" (a real calendar day), as `types` says",
                    )),
                    Some(DateKind::DateTime) => Err(self.error(
                        field,
                        text,
                        "a date-time \"YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|±HH:MM]\", as `types` says",
                    )),
                }
            }
            _ if date.is_some() => Err(self.error(
                field,
                text,
                "a date or date-time string, as `types` says",
            )),
            b't' => Ok(Value::Boolean(true)),
            b'f' => Ok(Value::Boolean(false)),
            b'-' | b'0'..=b'9' if is_integer_text(text) => text.parse().map(Value::Integer).map_err(|_| {
                self.error(
                    field,
                    text,
                    "an integer from -9223372036854775808 to 9223372036854775807 (Neptune's Long); send a larger one as a string to keep it exact",
                )
            }),
            b'-' | b'0'..=b'9' => match text.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Value::Double(x)),
                _ => Err(self.error(field, text, "a finite number (a 64-bit double)")),
            },
            _ => Err(self.error(
                field,
                text,
                "a string, a number, a boolean, a list of those or null; select a nested object's fields with a dotted path (`address.city`) or exclude it with `-name`",
            )),
        }
    }
}

/// A part of a vertex id or edge key, with `%` and `:` percent-encoded.
fn encode(part: &str) -> String {
    if !part.contains(['%', ':']) {
        return part.to_owned();
    }
    part.replace('%', "%25").replace(':', "%3A")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mappings(json: &str) -> Mappings {
        Mappings::compile(json).unwrap()
    }

    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    #[test]
    fn a_node_pattern_upserts_its_vertex_with_typed_values() {
        let m = mappings(
            r#"[{"name":"users","pattern":"(:User{!id: userId, name, city: address.city, seen, tags, score, big, gone})","types":{"seen":"date"}}]"#,
        );
        let ops = m
            .apply(r#"{"userId": 42, "name": "Ann", "address": {"city": "Oslo", "zip": "0150"}, "seen": "2024-02-29",
                      "tags": ["a", 2], "score": 1.5, "big": 9223372036854775807, "gone": null, "other": 1}"#)
            .unwrap();
        assert_eq!(
            ops,
            [Operation::UpsertVertex(VertexUpsert {
                id: "User:42".into(),
                label: "User".into(),
                properties: vec![
                    PropertyChange::set("id", Value::Integer(42)),
                    PropertyChange::set("name", s("Ann")),
                    PropertyChange::set("city", s("Oslo")),
                    PropertyChange::set("seen", Value::Date("2024-02-29".into())),
                    PropertyChange::set("tags", Value::List(vec![s("a"), Value::Integer(2)])),
                    PropertyChange::set("score", Value::Double(1.5)),
                    PropertyChange::set("big", Value::Integer(i64::MAX)),
                    PropertyChange::remove("gone"),
                ],
            })]
        );
        // An absent field changes nothing.
        let Operation::UpsertVertex(v) = &m.apply(r#"{"userId": "7"}"#).unwrap()[0] else {
            panic!()
        };
        assert_eq!(v.properties, [PropertyChange::set("id", s("7"))]);
    }

    #[test]
    fn star_takes_the_fields_nothing_else_uses_and_when_selects_the_mapping() {
        let m = mappings(
            r#"[{"name":"devices","pattern":"(:Device{!serial, *, -secret})","when":{"kind":"device"}},
                {"name":"owners","pattern":"(:Owner{!id})","when":{"kind":"owner"},"delete":{"op":"gone"}}]"#,
        );
        let ops = m
            .apply(r#"{"kind":"device","serial":"s:1%","model":"x","secret":"p","ok":true}"#)
            .unwrap();
        assert_eq!(
            ops,
            [Operation::UpsertVertex(VertexUpsert {
                id: "Device:s%3A1%25".into(),
                label: "Device".into(),
                properties: vec![
                    PropertyChange::set("serial", s("s:1%")),
                    PropertyChange::set("model", s("x")),
                    PropertyChange::set("ok", Value::Boolean(true)),
                ],
            })]
        );
        // A pattern naming no property takes every other field too (the peer's rule), but not `when`'s or
        // `delete`'s fields.
        let Operation::UpsertVertex(v) = &m
            .apply(r#"{"kind":"owner","id":"o","op":"x","n":1}"#)
            .unwrap()[0]
        else {
            panic!()
        };
        assert_eq!(v.id, "Owner:o");
        assert_eq!(
            v.properties,
            [
                PropertyChange::set("id", s("o")),
                PropertyChange::set("n", Value::Integer(1))
            ]
        );
        assert_eq!(
            m.apply(r#"{"kind":"owner","id":"o","op":"gone"}"#).unwrap(),
            [Operation::DeleteVertex {
                id: "Owner:o".into()
            }]
        );
        assert_eq!(
            m.apply(r#"{"kind":"cat","id":"o"}"#)
                .unwrap_err()
                .to_string(),
            "no mapping applies to the event (tried `devices` when kind = \"device\", `owners` when kind = \"owner\"); add a mapping whose `when` matches it, or send it to another stream"
        );
    }

    #[test]
    fn a_relationship_pattern_upserts_both_vertices_and_the_edge_or_deletes_the_edge() {
        let m = mappings(
            r#"[{"name":"lives","pattern":"(:City{!name: city})<-[:LIVES_IN{!year, since}]-(:User{!id: uid, name})","types":{"since":"dateTime"},"delete":{"moved":true}}]"#,
        );
        let ops = m
            .apply(r#"{"uid":"u1","name":"Ann","city":"Oslo","year":2024,"since":"2024-01-02T03:04:05Z","x":1}"#)
            .unwrap();
        assert_eq!(
            ops,
            [
                Operation::UpsertVertex(VertexUpsert {
                    id: "User:u1".into(),
                    label: "User".into(),
                    properties: vec![
                        PropertyChange::set("id", s("u1")),
                        PropertyChange::set("name", s("Ann"))
                    ],
                }),
                Operation::UpsertVertex(VertexUpsert {
                    id: "City:Oslo".into(),
                    label: "City".into(),
                    properties: vec![PropertyChange::set("name", s("Oslo"))],
                }),
                Operation::UpsertEdge(EdgeUpsert {
                    id: derived_edge_id("User:u1", "LIVES_IN", "City:Oslo", Some("2024")),
                    label: "LIVES_IN".into(),
                    from: "User:u1".into(),
                    to: "City:Oslo".into(),
                    from_label: "User".into(),
                    to_label: "City".into(),
                    properties: vec![
                        PropertyChange::set("year", Value::Integer(2024)),
                        PropertyChange::set(
                            "since",
                            Value::DateTime("2024-01-02T03:04:05Z".into())
                        ),
                    ],
                }),
            ]
        );
        assert_eq!(
            m.apply(r#"{"uid":"u1","city":"Oslo","year":2024,"moved":true}"#)
                .unwrap(),
            [Operation::DeleteEdge {
                id: derived_edge_id("User:u1", "LIVES_IN", "City:Oslo", Some("2024"))
            }]
        );
        // Raw ids keep the key's value as the vertex id.
        let raw =
            mappings(r#"[{"name":"f","pattern":"(:P{!id: a})-[:F]->(:P{!id: b})","ids":"raw"}]"#);
        let ops = raw.apply(r#"{"a":"1","b":"2","w":0.5}"#).unwrap();
        let Operation::UpsertEdge(edge) = &ops[2] else {
            panic!("{ops:?}")
        };
        assert_eq!(
            (edge.from.as_str(), edge.to.as_str(), edge.id.as_str()),
            ("1", "2", "1-F-2")
        );
        assert_eq!(
            edge.properties,
            [PropertyChange::set("w", Value::Double(0.5))]
        );
    }

    /// Refused events and the exact message of each: the mapping, the field (dotted path), the value and what is
    /// allowed.
    const REFUSED: &[(&str, &str)] = &[
        (
            "[1]",
            "the record is not a JSON object (it is [1]); with RecordFormat=mapping each record is one JSON event",
        ),
        (
            "nope",
            "the record is not a JSON object (expected ident at line 1 column 2); with RecordFormat=mapping each record is one JSON event",
        ),
        (
            r#"{"id":1,"id":2}"#,
            "event field `id` is given twice; name each field once",
        ),
        (
            r#"{"name":"x"}"#,
            "mapping `m`: event field `id` = (missing) is not allowed; a key of `U` is a non-empty string or an integer",
        ),
        (
            r#"{"id":""}"#,
            "mapping `m`: event field `id` = \"\" is not allowed; a key of `U` is a non-empty string or an integer",
        ),
        (
            r#"{"id":1.5}"#,
            "mapping `m`: event field `id` = 1.5 is not allowed; a key of `U` is a non-empty string or an integer",
        ),
        (
            r#"{"id":1,"a":{"b":{"c":1}}}"#,
            "mapping `m`: event field `a.b` = {\"c\":1} is not allowed; a string, a number, a boolean, a list of those or null; select a nested object's fields with a dotted path (`address.city`) or exclude it with `-name`",
        ),
        (
            r#"{"id":1,"a":{"b":1,"b":2}}"#,
            "event field `a.b` is given twice; name each field once",
        ),
        (
            r#"{"id":1,"d":"2021-02-29"}"#,
            "mapping `m`: event field `d` = \"2021-02-29\" is not allowed; a date \"YYYY-MM-DD\" (a real calendar day), as `types` says",
        ),
        (
            r#"{"id":1,"d":20210228}"#,
            "mapping `m`: event field `d` = 20210228 is not allowed; a date or date-time string, as `types` says",
        ),
        (
            r#"{"id":1,"n":18446744073709551615}"#,
            "mapping `m`: event field `n` = 18446744073709551615 is not allowed; an integer from -9223372036854775808 to 9223372036854775807 (Neptune's Long); send a larger one as a string to keep it exact",
        ),
        (
            r#"{"id":1,"n":[]}"#,
            "mapping `m`: event field `n` = [] is not allowed; a non-empty list (send null to remove the property)",
        ),
        (
            r#"{"id":1,"n":[[1]]}"#,
            "mapping `m`: event field `n` = [1] is not allowed; a string, a number, a boolean, a list of those or null; select a nested object's fields with a dotted path (`address.city`) or exclude it with `-name`",
        ),
    ];

    #[test]
    fn bad_events_name_the_mapping_the_field_and_the_value() {
        let m =
            mappings(r#"[{"name":"m","pattern":"(:U{!id, b: a.b, d, n})","types":{"d":"date"}}]"#);
        for (event, message) in REFUSED {
            let err = m.apply(event).expect_err(event);
            assert_eq!(err.to_string(), *message, "{event}");
        }
        // A raw id is checked as Neptune checks ids (a labelled one starts with its label).
        let raw = mappings(r#"[{"name":"r","pattern":"(:U{!id})","ids":"raw"}]"#);
        assert_eq!(
            raw.apply(r#"{"id":"neptune_reserved_x"}"#)
                .unwrap_err()
                .to_string(),
            "mapping `r`: event field `id` = neptune_reserved_x is not allowed; an id that does not start with `neptune_reserved` (Neptune refuses those)"
        );
        // An edge property holds one value.
        let edges = mappings(r#"[{"name":"e","pattern":"(:A{!a})-[:R{w}]->(:B{!b})"}]"#);
        assert_eq!(
            edges
                .apply(r#"{"a":1,"b":2,"w":[1]}"#)
                .unwrap_err()
                .to_string(),
            "mapping `e`: event field `w` = [1] is not allowed; a string, a number or a boolean: an edge property holds one value"
        );
    }
}
