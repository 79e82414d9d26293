//! openCypher request for one write batch: a constant parameterised query and a JSON parameter
//! document, sent as Neptune's form-encoded `query=...&parameters=...` body (`POST /openCypher`).
//!
//! No value ever enters the query text: every id, date and property travels in `parameters`
//! (JSON-escaped by serde_json), so no record can change the query. The graph is the one the
//! Gremlin path writes: `person` vertices and `follows` edges keyed by Neptune custom ids (`~id`,
//! engine 1.2.0.2 and later, accepted in MERGE, CREATE and MATCH), with the same derived edge id
//! ([`crate::record::Edge::id`]), so either language can read what the other wrote.
//!
//! - CONDITIONAL_CREATE=true: vertices and edge are upserted with MERGE on `~id`; the properties
//!   are set on the created or matched edge, so the last write of an edge's properties wins (as
//!   Gremlin's `Merge.onCreate` plus `Merge.onMatch`) and writing a batch twice leaves the same
//!   graph (`creationDate` is part of the id, so setting it again changes nothing).
//! - CONDITIONAL_CREATE=false: vertices are still merged (no edge is lost to a missing vertex),
//!   and the edge is a plain CREATE with a random id (the sample's non-idempotent mode).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::record::{Edge, PropertyValue};

/// The upsert written with CONDITIONAL_CREATE=true (the default).
pub const MERGE_QUERY: &str = "UNWIND $edges AS e \
MERGE (f:person {`~id`: e.from}) \
MERGE (t:person {`~id`: e.to}) \
MERGE (f)-[r:follows {`~id`: e.id}]->(t) \
SET r += e.properties";

/// The plain add written with CONDITIONAL_CREATE=false.
pub const CREATE_QUERY: &str = "UNWIND $edges AS e \
MERGE (f:person {`~id`: e.from}) \
MERGE (t:person {`~id`: e.to}) \
CREATE (f)-[r:follows {`~id`: e.id}]->(t) \
SET r += e.properties";

/// The query text for the CONDITIONAL_CREATE setting.
pub fn query(conditional_create: bool) -> &'static str {
    if conditional_create {
        MERGE_QUERY
    } else {
        CREATE_QUERY
    }
}

#[derive(Serialize)]
struct Parameters<'a> {
    edges: Vec<EdgeRow<'a>>,
}

/// One row of `$edges`.
#[derive(Serialize)]
struct EdgeRow<'a> {
    id: String,
    from: &'a str,
    to: &'a str,
    properties: EdgeProperties<'a>,
}

// `creationDate` first, then the extra properties in record order (sorted by name), whatever
// the map type serde_json is built with.
struct EdgeProperties<'a>(&'a Edge);

impl Serialize for EdgeProperties<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let edge = self.0;
        let mut map = serializer.serialize_map(Some(1 + edge.properties.len()))?;
        map.serialize_entry("creationDate", &edge.created.text)?;
        for (key, value) in &edge.properties {
            match value {
                PropertyValue::Text(s) => map.serialize_entry(key, s)?,
                PropertyValue::Integer(i) => map.serialize_entry(key, i)?,
                // Finite by construction (the parser rejects NaN and infinities).
                PropertyValue::Float(x) => map.serialize_entry(key, x)?,
                PropertyValue::Bool(b) => map.serialize_entry(key, b)?,
            }
        }
        map.end()
    }
}

/// The `parameters` JSON for `edges`: `{"edges":[{"id":..,"from":..,"to":..,"properties":
/// {"creationDate":..,<extra properties>}}]}`. `random_id` supplies the edge id when
/// `conditional_create` is false.
pub fn batch_parameters<'a>(
    edges: impl IntoIterator<Item = &'a Edge>,
    conditional_create: bool,
    mut random_id: impl FnMut() -> String,
) -> String {
    let edges = edges
        .into_iter()
        .map(|edge| EdgeRow {
            id: if conditional_create {
                edge.id()
            } else {
                random_id()
            },
            from: &edge.from,
            to: &edge.to,
            properties: EdgeProperties(edge),
        })
        .collect();
    // Serialising strings, numbers and booleans into a String cannot fail.
    serde_json::to_string(&Parameters { edges }).unwrap_or_default()
}

/// The form-encoded request body: `query=<query>&parameters=<parameters>`.
pub fn form_body(query: &str, parameters: &str) -> String {
    // JSON punctuation (`"{}:,`) is percent-encoded to 3 bytes: about twice the JSON length.
    url::form_urlencoded::Serializer::new(String::with_capacity(
        query.len() * 3 / 2 + parameters.len() * 2 + 24,
    ))
    .append_pair("query", query)
    .append_pair("parameters", parameters)
    .finish()
}

/// The complete form body writing `edges` in one request (one transaction).
pub fn batch_request<'a>(
    edges: impl IntoIterator<Item = &'a Edge>,
    conditional_create: bool,
    random_id: impl FnMut() -> String,
) -> String {
    form_body(
        query(conditional_create),
        &batch_parameters(edges, conditional_create, random_id),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::test_edge;
    use serde_json::Value;

    fn edge(from: &str, to: &str) -> Edge {
        test_edge(from, to, "2016-05-21")
    }

    fn no_random() -> String {
        unreachable!("conditional create never draws a random id")
    }

    /// Decodes a form body into (query, parameters).
    fn decode(body: &str) -> (String, String) {
        let fields: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(fields.len(), 2, "{body}");
        assert_eq!(
            (fields[0].0.as_str(), fields[1].0.as_str()),
            ("query", "parameters")
        );
        (fields[0].1.clone(), fields[1].1.clone())
    }

    #[test]
    fn exact_query_texts() {
        assert_eq!(
            query(true),
            "UNWIND $edges AS e MERGE (f:person {`~id`: e.from}) MERGE (t:person {`~id`: e.to}) \
             MERGE (f)-[r:follows {`~id`: e.id}]->(t) SET r += e.properties"
        );
        assert_eq!(
            query(false),
            "UNWIND $edges AS e MERGE (f:person {`~id`: e.from}) MERGE (t:person {`~id`: e.to}) \
             CREATE (f)-[r:follows {`~id`: e.id}]->(t) SET r += e.properties"
        );
        // The same graph as the Gremlin path.
        for q in [MERGE_QUERY, CREATE_QUERY] {
            assert!(q.contains(&format!("(f:{} ", stream2neptune_graph::follows::PERSON)));
            assert!(q.contains(&format!("[r:{} ", stream2neptune_graph::follows::FOLLOWS)));
        }
    }

    #[test]
    fn exact_parameters_for_two_edges() {
        let mut e = edge("1", "3");
        e.properties = vec![
            ("big".into(), PropertyValue::Integer(1 << 40)),
            ("n".into(), PropertyValue::Integer(7)),
            ("ok".into(), PropertyValue::Bool(false)),
            ("via".into(), PropertyValue::Text("it's".into())),
            ("w".into(), PropertyValue::Float(0.5)),
        ];
        let parameters = batch_parameters(&[edge("1", "2"), e], true, no_random);
        assert_eq!(
            parameters,
            r#"{"edges":[{"id":"1-2016-05-21-2","from":"1","to":"2","properties":{"creationDate":"2016-05-21"}},{"id":"1-2016-05-21-3","from":"1","to":"3","properties":{"creationDate":"2016-05-21","big":1099511627776,"n":7,"ok":false,"via":"it's","w":0.5}}]}"#
        );
    }

    #[test]
    fn the_edge_id_is_the_gremlin_one() {
        let e = edge("a-b", "50%");
        let parameters: Value =
            serde_json::from_str(&batch_parameters([&e], true, no_random)).unwrap();
        assert_eq!(parameters["edges"][0]["id"], e.id());
        assert_eq!(parameters["edges"][0]["id"], "a%2Db-2016-05-21-50%25");
    }

    #[test]
    fn unconditional_create_uses_the_random_id() {
        let body = batch_request(&[edge("1", "2")], false, || "r-1".to_string());
        let (q, parameters) = decode(&body);
        assert_eq!(q, CREATE_QUERY);
        assert_eq!(
            parameters,
            r#"{"edges":[{"id":"r-1","from":"1","to":"2","properties":{"creationDate":"2016-05-21"}}]}"#
        );
    }

    #[test]
    fn exact_form_body() {
        let body = batch_request(&[edge("1", "2")], true, no_random);
        assert_eq!(
            body,
            "query=UNWIND+%24edges+AS+e+MERGE+%28f%3Aperson+%7B%60%7Eid%60%3A+e.from%7D%29+\
             MERGE+%28t%3Aperson+%7B%60%7Eid%60%3A+e.to%7D%29+\
             MERGE+%28f%29-%5Br%3Afollows+%7B%60%7Eid%60%3A+e.id%7D%5D-%3E%28t%29+\
             SET+r+%2B%3D+e.properties\
             &parameters=%7B%22edges%22%3A%5B%7B%22id%22%3A%221-2016-05-21-2%22%2C%22from%22%3A%221%22%2C\
             %22to%22%3A%222%22%2C%22properties%22%3A%7B%22creationDate%22%3A%222016-05-21%22%7D%7D%5D%7D"
        );
        assert_eq!(
            decode(&body),
            (
                MERGE_QUERY.to_string(),
                batch_parameters(&[edge("1", "2")], true, no_random)
            )
        );
    }

    /// The hostile ids of the Gremlin table, and the JSON string each must become.
    const HOSTILE: &[(&str, &str)] = &[
        ("it's", r#""it's""#),
        ("a\\b", r#""a\\b""#),
        ("\\'", r#""\\'""#),
        ("line\nbreak\r\t", r#""line\nbreak\r\t""#),
        ("x')).drop().V('y", r#""x')).drop().V('y""#),
        ("a // comment", r#""a // comment""#),
        ("${System.exit(0)}", r#""${System.exit(0)}""#),
        ("\"double\"", r#""\"double\"""#),
        ("ünïcødé 🚀 名前", r#""ünïcødé 🚀 名前""#),
        ("nul\u{0}bell\u{7}", r#""nul\u0000bell\u0007""#),
        ("sep\u{2028}", "\"sep\u{2028}\""),
        ("\\u0027", r#""\\u0027""#),
        ("x}) DETACH DELETE (f", r#""x}) DETACH DELETE (f""#),
        ("`~id`: 'y'", r#""`~id`: 'y'""#),
        (
            "$edges&query=MATCH (n) DETACH DELETE n",
            r#""$edges&query=MATCH (n) DETACH DELETE n""#,
        ),
    ];

    #[test]
    fn hostile_ids_travel_only_in_parameters() {
        for (raw, json) in HOSTILE {
            let e = edge(raw, &format!("{raw}!"));
            let body = batch_request([&e], true, no_random);
            let (q, parameters) = decode(&body);
            // The query text is the same constant for every id.
            assert_eq!(q, MERGE_QUERY, "{raw:?}");
            assert!(
                parameters.starts_with(r#"{"edges":[{"id":"#),
                "{parameters}"
            );
            assert!(
                parameters.contains(&format!(r#""from":{json},"#)),
                "{raw:?}: {parameters}"
            );
            // And the parameters give back exactly the raw ids.
            let value: Value = serde_json::from_str(&parameters).unwrap();
            let row = &value["edges"][0];
            assert_eq!(row["from"], *raw);
            assert_eq!(row["to"], format!("{raw}!"));
            assert_eq!(row["id"], e.id());
            assert_eq!(row.as_object().unwrap().len(), 4, "{raw:?}");
        }
    }

    #[test]
    fn hostile_property_names_and_values_stay_in_parameters() {
        let mut e = edge("a", "b");
        e.properties = HOSTILE
            .iter()
            .map(|(raw, _)| (raw.to_string(), PropertyValue::Text(raw.to_string())))
            .collect();
        let (q, parameters) = decode(&batch_request([&e], true, no_random));
        assert_eq!(q, MERGE_QUERY);
        let value: Value = serde_json::from_str(&parameters).unwrap();
        let properties = value["edges"][0]["properties"].as_object().unwrap();
        assert_eq!(properties.len(), HOSTILE.len() + 1);
        for (raw, _) in HOSTILE {
            assert_eq!(properties[*raw], *raw);
        }
    }
}
