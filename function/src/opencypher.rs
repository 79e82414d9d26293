//! openCypher request for one write of `follows` edges, sent as Neptune's form-encoded
//! `query=...&parameters=...` body (`POST /openCypher`, [`form::opencypher_body`]).
//!
//! No value ever enters the query text: every id, date and property travels in `parameters`
//! (JSON-escaped by serde_json), so no record can change the query. The graph is the one the
//! Gremlin path writes: `person` vertices and `follows` edges keyed by Neptune custom ids (`~id`,
//! engine 1.2.0.2 and later, accepted in MERGE, CREATE and MATCH), with the same edge id
//! ([`crate::record::Edge::id`]), so either language can read what the other wrote.
//!
//! - CONDITIONAL_CREATE=true: each edge is the graph operation it is ([`Edge::into_operation`]),
//!   written by the operations builder ([`opencypher_operations`]) with [`EdgeIds::FromEnds`] (the follows
//!   id is built from the edge's ends): the people created where absent, the edge merged between
//!   them by its id with `creationDate` set when it is created and the extra properties set, so the
//!   last write of an edge's properties wins and writing a batch twice leaves the same graph.
//! - CONDITIONAL_CREATE=false: vertices are still merged (no edge is lost to a missing vertex),
//!   and the edge is a plain CREATE with a random id ([`CREATE_QUERY`], the sample's
//!   non-idempotent mode).

use std::borrow::Borrow;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use stream2neptune_graph::Operation;

use crate::follows::FollowsUpsert;
use crate::form;
use crate::opencypher_operations::{self, EdgeIds, JsonValue};
#[cfg(doc)]
use crate::record::Edge;

/// The plain add written with CONDITIONAL_CREATE=false.
pub const CREATE_QUERY: &str = "UNWIND $edges AS e \
MERGE (f:person {`~id`: e.from}) \
MERGE (t:person {`~id`: e.to}) \
CREATE (f)-[r:follows {`~id`: e.id}]->(t) \
SET r += e.properties";

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
struct EdgeProperties<'a>(FollowsUpsert<'a>);

impl Serialize for EdgeProperties<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let edge = &self.0;
        let mut map = serializer.serialize_map(Some(1 + edge.extras.len()))?;
        map.serialize_entry("creationDate", edge.created)?;
        for (key, value) in edge.extra_values() {
            map.serialize_entry(key, &JsonValue(value))?;
        }
        map.end()
    }
}

/// The `parameters` JSON of [`CREATE_QUERY`] for `operations`, follows edge upserts: `{"edges":[{"id":..,
/// "from":..,"to":..,"properties":{"creationDate":..,<extra properties>}}]}`, each id drawn from `random_id`.
fn create_parameters<O: Borrow<Operation>>(
    operations: &[O],
    mut random_id: impl FnMut() -> String,
) -> String {
    let edges = operations
        .iter()
        .map(|operation| {
            let edge = FollowsUpsert::of_record(operation.borrow());
            EdgeRow {
                id: random_id(),
                from: edge.from,
                to: edge.to,
                properties: EdgeProperties(edge),
            }
        })
        .collect();
    // Serialising strings, numbers and booleans into a String cannot fail.
    serde_json::to_string(&Parameters { edges }).unwrap_or_default()
}

/// The complete form body writing `operations`, the graph operations of follows records, in one request (one
/// transaction). `random_id` supplies each edge id when `conditional_create` is false.
///
/// # Panics
///
/// With `conditional_create` false, on an operation that is not a follows edge upsert.
pub fn batch_request<O: Borrow<Operation>>(
    operations: &[O],
    conditional_create: bool,
    random_id: impl FnMut() -> String,
) -> String {
    if !conditional_create {
        return form::opencypher_body(CREATE_QUERY, &create_parameters(operations, random_id));
    }
    opencypher_operations::batch_request(operations, EdgeIds::FromEnds).expect(
        "a follows edge holds text, numbers and booleans under names not starting with `~` (the record \
         parser's rules), which openCypher stores",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Edge, PropertyValue, test_edge, test_operations};
    use serde_json::Value;

    /// The query of every write of follows edges with CONDITIONAL_CREATE=true: the batch's people
    /// created where absent, then its edges merged.
    const MERGE_QUERY: &str = "UNWIND $w.r0_0 AS v OPTIONAL MATCH (x {`~id`: v}) WITH v, x WHERE x IS NULL \
         CREATE (:`person` {`~id`: v}) WITH count(*) AS b \
         UNWIND $w.r0_1 AS r MATCH (a {`~id`: r.from}), (z {`~id`: r.to}) \
         MERGE (a)-[e:`follows` {`~id`: r.id}]->(z) ON CREATE SET e += r.c SET e += r.p";

    fn edge(from: &str, to: &str) -> Edge {
        test_edge(from, to, "2016-05-21")
    }

    /// The form body writing the records of `edges`.
    fn request(
        edges: &[Edge],
        conditional_create: bool,
        random_id: impl FnMut() -> String,
    ) -> String {
        batch_request(&test_operations(edges), conditional_create, random_id)
    }

    fn no_random() -> String {
        unreachable!("conditional create never draws a random id")
    }

    /// Decodes a form body into (query, parameters).
    fn decode(body: &str) -> (String, Value) {
        let fields: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(fields.len(), 2, "{body}");
        assert_eq!(
            (fields[0].0.as_str(), fields[1].0.as_str()),
            ("query", "parameters")
        );
        let parameters = serde_json::from_str(&fields[1].1).unwrap();
        (fields[0].1.clone(), parameters)
    }

    #[test]
    fn exact_create_query_text() {
        assert_eq!(
            CREATE_QUERY,
            "UNWIND $edges AS e MERGE (f:person {`~id`: e.from}) MERGE (t:person {`~id`: e.to}) \
             CREATE (f)-[r:follows {`~id`: e.id}]->(t) SET r += e.properties"
        );
        // The same labels as the Gremlin path.
        use stream2neptune_graph::follows::{FOLLOWS, PERSON};
        assert!(CREATE_QUERY.contains(&format!("(f:{PERSON} ")));
        assert!(CREATE_QUERY.contains(&format!("[r:{FOLLOWS} ")));
        assert!(MERGE_QUERY.contains(&format!("(:`{PERSON}` ")));
        assert!(MERGE_QUERY.contains(&format!("[e:`{FOLLOWS}` ")));
    }

    #[test]
    fn exact_upsert_of_three_edges_one_sent_twice() {
        let mut e = edge("1", "3");
        e.properties = vec![
            ("big".into(), PropertyValue::Integer(1 << 40)),
            ("n".into(), PropertyValue::Integer(7)),
            ("ok".into(), PropertyValue::Bool(false)),
            ("via".into(), PropertyValue::Text("it's".into())),
            ("w".into(), PropertyValue::Float(0.5)),
        ];
        let body = request(&[edge("1", "2"), e, edge("1", "2")], true, no_random);
        let (query, parameters) = decode(&body);
        assert_eq!(query, MERGE_QUERY);
        // Each person once; the edge sent twice is one row (the last values win); the creation
        // date is set only when the edge is created (its id holds it already).
        assert_eq!(
            parameters,
            serde_json::json!({"w": {
                "r0_0": ["1", "2", "3"],
                "r0_1": [
                    {"id": "1-2016-05-21-2", "from": "1", "to": "2", "p": {}, "c": {"creationDate": "2016-05-21"}},
                    {"id": "1-2016-05-21-3", "from": "1", "to": "3",
                     "p": {"big": 1099511627776_i64, "n": 7, "ok": false, "via": "it's", "w": 0.5},
                     "c": {"creationDate": "2016-05-21"}},
                ],
            }})
        );
    }

    #[test]
    fn the_benchmarks_writer_form_contender_sends_this_query() {
        let contender = include_str!("../../tools/bench/cypher_rows.py");
        assert!(
            contender.contains(&format!("\nWRITER_FORM = {MERGE_QUERY:?}\n")),
            "tools/bench/cypher_rows.py's WRITER_FORM is not the writer's query: {MERGE_QUERY}"
        );
    }

    #[test]
    fn the_edge_id_is_the_gremlin_one() {
        let e = edge("a-b", "50%");
        let (_, parameters) = decode(&request(std::slice::from_ref(&e), true, no_random));
        assert_eq!(parameters["w"]["r0_1"][0]["id"], e.id());
        assert_eq!(parameters["w"]["r0_1"][0]["id"], "a%2Db-2016-05-21-50%25");
    }

    #[test]
    fn unconditional_create_uses_the_random_id() {
        let body = request(&[edge("1", "2")], false, || "r-1".to_string());
        let (q, parameters) = decode(&body);
        assert_eq!(q, CREATE_QUERY);
        assert_eq!(
            parameters,
            serde_json::json!({"edges": [{"id": "r-1", "from": "1", "to": "2", "properties": {"creationDate": "2016-05-21"}}]})
        );
    }

    #[test]
    fn exact_form_body() {
        assert_eq!(
            form::opencypher_body("UNWIND $edges AS e", r#"{"edges":[{"id":"1-2"}]}"#),
            "query=UNWIND+%24edges+AS+e\
             &parameters=%7B%22edges%22%3A%5B%7B%22id%22%3A%221-2%22%7D%5D%7D"
        );
    }

    /// The hostile ids of the Gremlin table.
    const HOSTILE: &[&str] = &[
        "it's",
        "a\\b",
        "\\'",
        "line\nbreak\r\t",
        "x')).drop().V('y",
        "a // comment",
        "${System.exit(0)}",
        "\"double\"",
        "ünïcødé 🚀 名前",
        "nul\u{0}bell\u{7}",
        "sep\u{2028}",
        "\\u0027",
        "x}) DETACH DELETE (f",
        "`~id`: 'y'",
        "$edges&query=MATCH (n) DETACH DELETE n",
        "r0_1&parameters={}",
    ];

    #[test]
    fn hostile_ids_travel_only_in_parameters() {
        for raw in HOSTILE {
            let e = edge(raw, &format!("{raw}!"));
            for conditional_create in [true, false] {
                let body = request(std::slice::from_ref(&e), conditional_create, || "r".into());
                let (q, parameters) = decode(&body);
                // The query text is the same constant for every id.
                let rows = if conditional_create {
                    assert_eq!(q, MERGE_QUERY, "{raw:?}");
                    assert_eq!(
                        parameters["w"]["r0_0"],
                        serde_json::json!([raw, format!("{raw}!")])
                    );
                    &parameters["w"]["r0_1"]
                } else {
                    assert_eq!(q, CREATE_QUERY, "{raw:?}");
                    &parameters["edges"]
                };
                // And the parameters give back exactly the raw ids.
                let row = &rows[0];
                assert_eq!(row["from"], *raw);
                assert_eq!(row["to"], format!("{raw}!"));
                if conditional_create {
                    assert_eq!(row["id"], e.id());
                }
            }
        }
    }

    #[test]
    fn hostile_property_names_and_values_stay_in_parameters() {
        let mut e = edge("a", "b");
        e.properties = HOSTILE
            .iter()
            .map(|raw| (raw.to_string(), PropertyValue::Text(raw.to_string())))
            .collect();
        let (q, parameters) = decode(&request(std::slice::from_ref(&e), true, no_random));
        assert_eq!(q, MERGE_QUERY);
        let properties = parameters["w"]["r0_1"][0]["p"].as_object().unwrap();
        assert_eq!(properties.len(), HOSTILE.len());
        for raw in HOSTILE {
            assert_eq!(properties[*raw], *raw);
        }
    }
}
