//! Decoding change records: every shape of body, ADD and REMOVE of each type, folding, errors naming the change.

use super::*;
use crate::model::Graph;
use crate::operation::{EdgeUpsert, Element, PropertyChange, Value, ValueChange, VertexUpsert};

/// A PG_JSON change record (`from`/`to` given for `e`).
fn pg(
    commit: u64,
    op: &str,
    id: &str,
    kind: &str,
    key: &str,
    value: &str,
    data_type: &str,
) -> String {
    let ends = if kind == "e" {
        r#","from":"a","to":"b""#
    } else {
        ""
    };
    format!(
        r#"{{"commitTimestamp":1767225600000,"eventId":{{"commitNum":{commit},"opNum":1}},"op":"{op}","data":{{"id":"{id}","type":"{kind}","key":"{key}","value":{{"value":{value},"dataType":"{data_type}"}}{ends}}}}}"#
    )
}

/// The operations of a PG_JSON body.
fn ops(body: &str) -> Result<Vec<Operation>, ChangeError> {
    decode(body).map(|replay| match replay {
        Replay::Operations(operations) => operations,
        Replay::Quads(quads) => panic!("{quads:?}"),
    })
}

fn array(records: &[String]) -> String {
    format!("[{}]", records.join(","))
}

#[test]
fn a_vertex_and_an_edge_fold_into_upserts_in_every_body_shape() {
    let records = [
        pg(42, "ADD", "p7", "vl", "label", r#""Person""#, "String"),
        pg(42, "ADD", "p7", "vp", "name", r#""Ana""#, "String"),
        pg(42, "ADD", "p7", "vp", "tag", r#""x""#, "String"),
        pg(42, "ADD", "p7", "vp", "tag", r#""y""#, "String"),
        pg(42, "ADD", "p7", "vp", "tag", r#""z""#, "String"),
        pg(42, "ADD", "k1", "e", "label", r#""KNOWS""#, "String"),
        pg(42, "ADD", "k1", "ep", "since", "2020", "Integer"),
    ];
    let expected = vec![
        Operation::UpsertVertex(VertexUpsert {
            id: "p7".into(),
            label: "Person".into(),
            properties: vec![
                PropertyChange::set("name", Value::String("Ana".into())),
                PropertyChange::set(
                    "tag",
                    Value::List(vec![
                        Value::String("x".into()),
                        Value::String("y".into()),
                        Value::String("z".into()),
                    ]),
                ),
            ],
        }),
        Operation::UpsertEdge(EdgeUpsert {
            id: "k1".into(),
            label: "KNOWS".into(),
            from: "a".into(),
            to: "b".into(),
            from_label: "vertex".into(),
            to_label: "vertex".into(),
            properties: vec![PropertyChange::set("since", Value::Integer(2020))],
        }),
    ];
    let page = format!(
        r#"{{"lastEventId":{{"commitNum":42,"opNum":6}},"lastTrxTimestamp":1767225600000,"format":"PG_JSON","records":{},"totalRecords":6}}"#,
        array(&records)
    );
    assert_eq!(ops(&array(&records)).unwrap(), expected);
    assert_eq!(ops(&page).unwrap(), expected);
    assert!(is_changes(&page) && is_changes(&array(&records)) && is_changes(&records[0]));
    assert!(!is_changes(r#"{"op":"upsertVertex","id":"a","label":"l"}"#));
    assert!(!is_changes(r#"[{"op":"deleteVertex","id":"a"}]"#));
    // One change alone: the vertex with its label.
    assert_eq!(
        ops(&records[0]).unwrap(),
        vec![Operation::UpsertVertex(VertexUpsert {
            id: "p7".into(),
            label: "Person".into(),
            properties: vec![],
        })]
    );
}

#[test]
fn changes_of_existing_elements_are_value_changes_and_removals_delete() {
    let records = [
        pg(43, "REMOVE", "p7", "vp", "name", r#""Ana""#, "String"),
        pg(43, "ADD", "p7", "vp", "name", r#""Eva""#, "String"),
        pg(43, "REMOVE", "k1", "ep", "since", r#""2020""#, "Long"),
        pg(43, "ADD", "k1", "ep", "w", "0.5", "Double"),
        pg(44, "REMOVE", "k2", "e", "label", r#""KNOWS""#, "String"),
        // A vertex drop: its properties' and its label's removals; the property removals are moot.
        pg(45, "REMOVE", "q", "vp", "name", r#""Q""#, "String"),
        pg(45, "REMOVE", "q", "vl", "label", r#""Person""#, "String"),
    ];
    assert_eq!(
        ops(&array(&records)).unwrap(),
        vec![
            Operation::ChangeValues {
                element: Element::Vertex,
                id: "p7".into(),
                changes: vec![
                    ValueChange::removed("name", Value::String("Ana".into())),
                    ValueChange::added("name", Value::String("Eva".into())),
                ],
            },
            Operation::ChangeValues {
                element: Element::Edge,
                id: "k1".into(),
                changes: vec![
                    ValueChange::removed("since", Value::Integer(2020)),
                    ValueChange::added("w", Value::Double(0.5))
                ],
            },
            Operation::DeleteEdge { id: "k2".into() },
            Operation::DeleteVertex { id: "q".into() },
        ]
    );
}

#[test]
fn a_replay_of_a_history_in_commit_order_ends_as_the_source_and_again_changes_nothing() {
    let history = array(&[
        pg(1, "ADD", "a", "vl", "label", r#""Person""#, "String"),
        pg(1, "ADD", "a", "vp", "age", "30", "Integer"),
        pg(2, "ADD", "b", "vl", "label", r#""Person""#, "String"),
        pg(3, "ADD", "k", "e", "label", r#""KNOWS""#, "String"),
        pg(3, "ADD", "k", "ep", "since", r#""2024-05-01""#, "Date"),
        pg(4, "REMOVE", "a", "vp", "age", "30", "Integer"),
        pg(4, "ADD", "a", "vp", "age", "31", "Integer"),
        pg(5, "REMOVE", "k", "ep", "since", r#""2024-05-01""#, "Date"),
        pg(6, "REMOVE", "k", "e", "label", r#""KNOWS""#, "String"),
        pg(6, "REMOVE", "b", "vl", "label", r#""Person""#, "String"),
    ]);
    let operations = ops(&history).unwrap();
    let mut graph = Graph::default();
    for _ in 0..2 {
        for op in &operations {
            graph.apply(op).unwrap();
        }
        assert_eq!(graph.vertices.len(), 1);
        assert_eq!(graph.vertices["a"].label, "Person");
        assert_eq!(
            graph.vertices["a"].properties["age"],
            vec![Value::Integer(31)]
        );
        assert!(graph.edges.is_empty());
    }
}

#[test]
fn a_second_label_of_a_vertex_in_one_record_is_refused_naming_the_change() {
    let err = ops(&array(&[
        pg(7, "ADD", "v", "vl", "label", r#""A""#, "String"),
        pg(7, "ADD", "v", "vl", "label", r#""A""#, "String"),
        pg(8, "ADD", "v", "vl", "label", r#""B""#, "String"),
    ]))
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("change eventId 8/1: `data.value.value` = \"B\""),
        "{err}"
    );
    assert!(err.contains("one label per vertex"), "{err}");
}

#[test]
fn errors_name_the_change_the_field_and_the_value() {
    for (body, names) in [
        (pg(9, "ADD", "v", "vp", "x", r#""a""#, "Character"), "change eventId 9/1: `data.value.dataType` = \"Character\" is not allowed; one of String, Boolean"),
        (pg(9, "ADD", "v", "vp", "x", r#""a""#, "Long"), "change eventId 9/1: `data.value.value` = \"a\" is not allowed; a Long value: a whole number"),
        (pg(9, "ADD", "v", "vq", "x", "1", "Long"), "`data.type` = \"vq\" is not allowed; vl, vp, e or ep"),
        (pg(9, "ADD", "v", "vl", "name", r#""L""#, "String"), "`data.key` = \"name\" is not allowed; `label` for vl and e"),
        (pg(9, "ADD", "v", "vl", "label", r#""a::b""#, "String"), "without `::`"),
        (pg(9, "ADD", "v", "vp", "~id", "1", "Long"), "`data.key` = \"~id\""),
        (pg(9, "UPSERT", "v", "vp", "x", "1", "Long"), "`op` = \"UPSERT\" is not allowed; ADD or REMOVE"),
        (r#"{"op":"ADD","data":{"id":"e","type":"e","key":"label","value":{"value":"L","dataType":"String"}}}"#.into(), "change record 0: `data.from` is missing"),
        (r#"[{"op":"ADD","data":{"id":"v","type":"vl","key":"label","value":{"value":"L","dataType":"String"}}},{"op":"ADD"}]"#.into(), "change record 1: `data` is missing"),
        (r#"{"records":[]}"#.into(), "it holds no change"),
    ] {
        let err = ops(&body).unwrap_err().to_string();
        assert!(err.contains(names), "{err}\ndoes not contain\n{names}");
    }
}

#[test]
fn nquads_changes_are_quads_in_order_and_one_format_per_record() {
    let stmt = |commit: u64, op: &str, stmt: &str| serde_json::json!({"eventId": {"commitNum": commit, "opNum": 1}, "op": op, "data": {"stmt": stmt}});
    let page = serde_json::json!({"format": "NQUADS", "records": [
        stmt(1, "ADD", "<urn:p> <urn:name> \"Ana\" <urn:g> .\n"),
        stmt(2, "REMOVE", "<urn:p> <urn:name> \"Ana\" <urn:g> .\n"),
    ]});
    let Replay::Quads(quads) = decode(&page.to_string()).unwrap() else {
        panic!("{page}");
    };
    assert_eq!(
        quads
            .iter()
            .map(|q| (q.add, q.quad.to_string()))
            .collect::<Vec<_>>(),
        [
            (true, "<urn:p> <urn:name> \"Ana\" <urn:g>".to_string()),
            (false, "<urn:p> <urn:name> \"Ana\" <urn:g>".to_string())
        ]
    );
    let mixed = format!(
        "[{},{}]",
        stmt(3, "ADD", "<urn:p> <urn:b> <urn:c> ."),
        pg(4, "ADD", "p", "vl", "label", r#""L""#, "String")
    );
    let err = decode(&mixed).unwrap_err().to_string();
    assert!(
        err.starts_with("change eventId 4/1: `data` = a PG_JSON change"),
        "{err}"
    );
}

/// The producers' schema, as the repository ships it, accepts what the decoder reads and refuses what it refuses
/// (of what a schema can judge).
#[test]
fn the_schema_agrees_with_the_decoder() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../schemas/change-records.schema.json")).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let changes = [
        pg(1, "ADD", "p", "vl", "label", r#""Person""#, "String"),
        pg(1, "ADD", "p", "vp", "age", "30", "Long"),
        pg(2, "ADD", "k", "e", "label", r#""KNOWS""#, "String"),
        pg(2, "REMOVE", "k", "ep", "w", r#""0.5""#, "Double"),
        pg(3, "ADD", "p", "vp", "at", "1714558272123", "Date"),
    ];
    let nquads = r#"{"op":"ADD","data":{"stmt":"<urn:a> <urn:b> \"c\" <urn:g> .\n"}}"#;
    let good = [
        changes[0].clone(),
        array(&changes),
        format!(
            r#"{{"format":"PG_JSON","lastEventId":{{"commitNum":3,"opNum":1}},"records":{}}}"#,
            array(&changes)
        ),
        nquads.to_string(),
        format!(r#"{{"format":"NQUADS","records":[{nquads}]}}"#),
    ];
    for body in &good {
        let value: serde_json::Value = serde_json::from_str(body).unwrap();
        assert!(validator.is_valid(&value), "schema refuses {body}");
        decode(body).unwrap_or_else(|e| panic!("decoder refuses {body}: {e}"));
    }
    let bad = [
        pg(9, "ADD", "v", "vp", "x", r#""a""#, "Character"),
        pg(9, "ADD", "v", "vq", "x", "1", "Long"),
        pg(9, "ADD", "v", "vl", "name", r#""L""#, "String"),
        pg(9, "ADD", "v", "vl", "label", r#""a::b""#, "String"),
        pg(9, "ADD", "v", "vp", "~id", "1", "Long"),
        pg(9, "UPSERT", "v", "vp", "x", "1", "Long"),
        r#"{"op":"ADD"}"#.to_string(),
        r#"{"records":[]}"#.to_string(),
        r#"[]"#.to_string(),
    ];
    for body in &bad {
        let value: serde_json::Value = serde_json::from_str(body).unwrap();
        assert!(!validator.is_valid(&value), "schema accepts {body}");
        assert!(decode(body).is_err(), "decoder accepts {body}");
    }
}
