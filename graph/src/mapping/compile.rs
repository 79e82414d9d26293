//! A list of mappings as the stack gives it (a JSON array; stack.yaml writes it as YAML), checked and compiled once:
//! the writer at init, the plan when it resolves a region (so `render`, `deploy` and `demo` refuse a bad one).
//!
//! Each mapping: `name` (unique), `pattern` ([`super::pattern`]), optional `when` (event fields and the values
//! they must equal for the mapping to apply; none: every event), optional `delete` (event fields and values that
//! mean "delete the element": Kinesis has no tombstones), optional `ids` (`labelled`, the default, or `raw`) and
//! optional `types` (property names whose string values are dates: `date` or `dateTime`; other strings stay
//! strings).
//!
//! Vertex ids: with `ids: labelled` a vertex's id is its label and its key values joined by `:`
//! (`User:42`, `Order:eu:1001`), each part with `%` and `:` percent-encoded, so two labels with the same key value
//! are two vertices and no two (label, keys) share an id. With `ids: raw` the one key's value is the id as is
//! (every vertex then has exactly one key), for ids the rest of the graph already uses.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::date::DateKind;
use crate::json::excerpt;
use crate::mapping::MappingError;
use crate::mapping::pattern::{self, Pattern};

/// Compiled mappings, tried in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Mappings(pub Vec<Mapping>);

/// One compiled mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// Its name, for errors and rejects.
    pub name: String,
    /// What it makes of an event.
    pub pattern: Pattern,
    /// Conditions that all hold for the mapping to apply (none: it applies to every event).
    pub when: Vec<Condition>,
    /// Conditions that all hold when the event deletes the element (none: events never delete).
    pub delete: Vec<Condition>,
    /// How vertex ids are made from keys.
    pub ids: Ids,
    /// Properties whose string values are dates, by property name.
    pub types: Vec<(String, DateKind)>,
}

/// An event field equal to a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The field's dotted path, split.
    pub path: Vec<String>,
    /// The value it must equal (a string, number or boolean).
    pub value: serde_json::Value,
}

impl Condition {
    /// `path = value`, as messages show it.
    pub fn describe(&self) -> String {
        format!("{} = {}", self.path.join("."), self.value)
    }
}

/// How a vertex id is made from its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ids {
    /// `Label:key1[:key2...]`, each part percent-encoded (`%` and `:`).
    Labelled,
    /// The one key's value as is.
    Raw,
}

/// A mapping as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    name: String,
    pattern: String,
    #[serde(default)]
    when: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    delete: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    ids: Option<String>,
    #[serde(default)]
    types: BTreeMap<String, String>,
}

impl Mappings {
    /// Reads and compiles a JSON array of mappings; every problem names the mapping and where.
    pub fn compile(json: &str) -> Result<Mappings, MappingError> {
        let specs: Vec<Spec> =
            serde_json::from_str(json).map_err(|e| MappingError::NotMappings {
                message: e.to_string(),
            })?;
        if specs.is_empty() {
            return Err(MappingError::NotMappings {
                message: "the list is empty".into(),
            });
        }
        let mut mappings: Vec<Mapping> = Vec::with_capacity(specs.len());
        for (index, spec) in specs.into_iter().enumerate() {
            if spec.name.trim().is_empty() {
                return Err(MappingError::Invalid {
                    mapping: format!("#{}", index + 1),
                    member: "name".into(),
                    value: format!("{:?}", spec.name),
                    allowed: "a non-empty name, unique among the mappings".into(),
                });
            }
            if mappings.iter().any(|m| m.name == spec.name) {
                return Err(MappingError::Invalid {
                    mapping: spec.name.clone(),
                    member: "name".into(),
                    value: format!("{:?}", spec.name),
                    allowed: "a name no other mapping has".into(),
                });
            }
            mappings.push(compile_one(spec)?);
        }
        Ok(Mappings(mappings))
    }
}

fn compile_one(spec: Spec) -> Result<Mapping, MappingError> {
    let name = spec.name;
    let invalid = |member: String, value: &str, allowed: &str| MappingError::Invalid {
        mapping: name.clone(),
        member,
        value: excerpt(value),
        allowed: allowed.to_owned(),
    };
    let pattern = pattern::parse(&name, &spec.pattern)?;
    let ids = match spec.ids.as_deref() {
        None | Some("labelled") => Ids::Labelled,
        Some("raw") => Ids::Raw,
        Some(other) => {
            return Err(invalid(
                "ids".into(),
                &format!("{other:?}"),
                "labelled (a vertex id is `Label:key`, the default) or raw (the key's value as is)",
            ));
        }
    };
    let vertices = match &pattern {
        Pattern::Node(node) => vec![node],
        Pattern::Relationship { from, to, .. } => vec![from, to],
    };
    if ids == Ids::Raw
        && let Some(second) = vertices.iter().find_map(|v| v.keys.get(1))
    {
        return Err(MappingError::Pattern {
            mapping: name.clone(),
            column: second.column,
            problem: "with `ids: raw` a vertex has one key (its value is the id); remove this key or use `ids: labelled`".into(),
        });
    }
    let conditions = |member: &str, table: BTreeMap<String, serde_json::Value>| {
        table
            .into_iter()
            .map(|(path, value)| {
                let field = format!("{member}.{path}");
                let parts: Vec<String> = path.split('.').map(str::to_owned).collect();
                if parts.iter().any(String::is_empty) {
                    return Err(invalid(
                        field,
                        &value.to_string(),
                        "an event field's dotted path (`type`, `meta.action`) with no empty part",
                    ));
                }
                if !(value.is_string() || value.is_number() || value.is_boolean()) {
                    return Err(invalid(
                        field,
                        &value.to_string(),
                        "a string, a number or a boolean the event field must equal",
                    ));
                }
                Ok(Condition { path: parts, value })
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let when = conditions("when", spec.when)?;
    let delete = conditions("delete", spec.delete)?;
    let named: Vec<&str> = match &pattern {
        Pattern::Node(node) => node.properties.iter().map(|f| f.name.as_str()).collect(),
        Pattern::Relationship { from, edge, to } => [from, edge, to]
            .iter()
            .flat_map(|e| e.properties.iter().map(|f| f.name.as_str()))
            .collect(),
    };
    let takes_all = match &pattern {
        Pattern::Node(node) => node.takes_all(),
        Pattern::Relationship { edge, .. } => edge.takes_all(),
    };
    let mut types = Vec::with_capacity(spec.types.len());
    for (property, kind) in spec.types {
        let member = format!("types.{property}");
        let kind = match kind.as_str() {
            "date" => DateKind::Date,
            "dateTime" => DateKind::DateTime,
            _ => {
                return Err(invalid(
                    member,
                    &format!("{kind:?}"),
                    "date (YYYY-MM-DD) or dateTime (ISO-8601); other strings stay strings",
                ));
            }
        };
        if !takes_all && !named.contains(&property.as_str()) {
            return Err(invalid(
                member,
                &format!("{property:?}"),
                &format!(
                    "a property the pattern names ({}); keys are strings or integers, never dates",
                    named.join(", ")
                ),
            ));
        }
        types.push((property, kind));
    }
    Ok(Mapping {
        name,
        pattern,
        when,
        delete,
        ids,
        types,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_compiles_with_its_options() {
        let mappings = Mappings::compile(
            r#"[{"name":"users","pattern":"(:User{!id: userId, name})","when":{"type":"user","v":1},"delete":{"meta.action":"deleted"}},
                {"name":"follows","pattern":"(:User{!id: a})-[:FOLLOWS{since}]->(:User{!id: b})","ids":"raw","types":{"since":"date"}}]"#,
        )
        .unwrap();
        let [users, follows] = mappings.0.as_slice() else {
            panic!("{mappings:?}")
        };
        assert_eq!(
            (users.name.as_str(), follows.name.as_str()),
            ("users", "follows")
        );
        assert_eq!(users.ids, Ids::Labelled);
        assert_eq!(
            users
                .when
                .iter()
                .map(Condition::describe)
                .collect::<Vec<_>>(),
            ["type = \"user\"", "v = 1"]
        );
        assert_eq!(users.delete[0].path, ["meta", "action"]);
        assert_eq!(follows.ids, Ids::Raw);
        assert_eq!(follows.types, [("since".to_owned(), DateKind::Date)]);
    }

    /// Refused lists and the exact message of each.
    const REFUSED: &[(&str, &str)] = &[
        (
            "{}",
            "the mappings are not readable (invalid type: map, expected a sequence at line 1 column 0); a list of mappings, each with `name` and `pattern` and optional `when`, `delete`, `ids` and `types` (docs/writer.md, Mappings)",
        ),
        (
            "[]",
            "the mappings are not readable (the list is empty); a list of mappings, each with `name` and `pattern` and optional `when`, `delete`, `ids` and `types` (docs/writer.md, Mappings)",
        ),
        (
            r#"[{"name":"a","pattern":"(:A{!a})","colour":1}]"#,
            "the mappings are not readable (unknown field `colour`, expected one of `name`, `pattern`, `when`, `delete`, `ids`, `types` at line 1 column 42); a list of mappings, each with `name` and `pattern` and optional `when`, `delete`, `ids` and `types` (docs/writer.md, Mappings)",
        ),
        (
            r#"[{"name":" ","pattern":"(:A{!a})"}]"#,
            "mapping `#1`: `name` = \" \" is not allowed; a non-empty name, unique among the mappings",
        ),
        (
            r#"[{"name":"a","pattern":"(:A{!a})"},{"name":"a","pattern":"(:B{!b})"}]"#,
            "mapping `a`: `name` = \"a\" is not allowed; a name no other mapping has",
        ),
        (
            r#"[{"name":"a","pattern":"(:A{a})"}]"#,
            "mapping `a`: pattern column 7: vertex `A` has no key; mark the field(s) that make its id with `!` (`!id` or `!id: userId`)",
        ),
        (
            r#"[{"name":"a","pattern":"(:A{!x, !y})","ids":"raw"}]"#,
            "mapping `a`: pattern column 9: with `ids: raw` a vertex has one key (its value is the id); remove this key or use `ids: labelled`",
        ),
        (
            r#"[{"name":"a","pattern":"(:A{!a})","ids":"hashed"}]"#,
            "mapping `a`: `ids` = \"hashed\" is not allowed; labelled (a vertex id is `Label:key`, the default) or raw (the key's value as is)",
        ),
        (
            r#"[{"name":"a","pattern":"(:A{!a})","when":{"t":{"x":1}}}]"#,
            "mapping `a`: `when.t` = {\"x\":1} is not allowed; a string, a number or a boolean the event field must equal",
        ),
        (
            r#"[{"name":"a","pattern":"(:A{!a})","delete":{"m..op":"d"}}]"#,
            "mapping `a`: `delete.m..op` = \"d\" is not allowed; an event field's dotted path (`type`, `meta.action`) with no empty part",
        ),
        (
            r#"[{"name":"a","pattern":"(:A{!a, b})","types":{"b":"timestamp"}}]"#,
            "mapping `a`: `types.b` = \"timestamp\" is not allowed; date (YYYY-MM-DD) or dateTime (ISO-8601); other strings stay strings",
        ),
        (
            r#"[{"name":"a","pattern":"(:A{!a, b})","types":{"c":"date"}}]"#,
            "mapping `a`: `types.c` = \"c\" is not allowed; a property the pattern names (b); keys are strings or integers, never dates",
        ),
    ];

    #[test]
    fn bad_lists_name_the_mapping_the_member_and_what_is_allowed() {
        for (json, message) in REFUSED {
            let err = Mappings::compile(json).expect_err(json);
            assert_eq!(err.to_string(), *message, "{json}");
        }
    }
}
