//! Mapped events through the writer's handler (RECORD_FORMAT=mapping): an application's own JSON events, with
//! vertex and edge upserts, property removals, a vertex and an edge deleted by an event field, and events no mapping
//! takes, delivered twice, leave the graph of the operations written here by hand (the model), 0 differences.

use stream2neptune_graph::{
    EdgeUpsert, Graph, Operation, PropertyChange, Value, VertexUpsert, derived_edge_id,
};

use super::operations::{OperationStore, assert_matches};
use super::store::store_deps;
use super::{deliver_whole, rejects_in, sequence_number, stream_records};

/// A users mapping (deleted by `action: deleted`) and a follows mapping (an edge between two users, deleted by
/// `action: unfollow`), as stack.yaml's `Mappings` hands them to the writer; `since` a date where the language
/// stores dates, else a string.
fn mappings<S: OperationStore>() -> String {
    let types = if S::DATES {
        r#", "types": {"since": "date"}"#
    } else {
        ""
    };
    format!(
        r#"[
  {{"name": "users", "pattern": "(:User{{!id, name, age, city: address.city, tags}})",
   "when": {{"type": "user"}}, "delete": {{"action": "deleted"}}}},
  {{"name": "follows", "pattern": "(:User{{!id: from}})-[:FOLLOWS{{since, weight}}]->(:User{{!id: to}})",
   "when": {{"type": "follow"}}, "delete": {{"action": "unfollow"}}{types}}}
]"#
    )
}

/// `since` as the mappings of [`mappings`] store it.
fn since<S: OperationStore>(date: &str) -> Value {
    if S::DATES {
        Value::Date(date.into())
    } else {
        text(date)
    }
}

fn user(id: &str, properties: Vec<PropertyChange>) -> Operation {
    let mut all = vec![PropertyChange::set("id", Value::String(id.into()))];
    all.extend(properties);
    Operation::UpsertVertex(VertexUpsert {
        id: format!("User:{id}"),
        label: "User".into(),
        properties: all,
    })
}

fn follows_id(from: &str, to: &str) -> String {
    derived_edge_id(
        &format!("User:{from}"),
        "FOLLOWS",
        &format!("User:{to}"),
        None,
    )
}

fn follows(from: &str, to: &str, properties: Vec<PropertyChange>) -> Vec<Operation> {
    vec![
        user(from, vec![]),
        user(to, vec![]),
        Operation::UpsertEdge(EdgeUpsert {
            id: follows_id(from, to),
            label: "FOLLOWS".into(),
            from: format!("User:{from}"),
            to: format!("User:{to}"),
            from_label: "User".into(),
            to_label: "User".into(),
            properties,
        }),
    ]
}

fn text(value: &str) -> Value {
    Value::String(value.into())
}

/// The events in stream order, each with the operations it means (`None`: rejected as `MappingMismatch`).
fn events<S: OperationStore>() -> Vec<(String, Option<Vec<Operation>>)> {
    let tags = if S::MULTI_VALUED {
        (
            r#","tags":["x","y"]"#,
            vec![PropertyChange::set(
                "tags",
                Value::List(vec![text("x"), text("y")]),
            )],
        )
    } else {
        ("", vec![])
    };
    vec![
        (
            r#"{"type":"user","id":"ann","name":"Ann","age":41,"address":{"city":"Oslo","zip":"0150"},"extra":1}"#.into(),
            Some(vec![user(
                "ann",
                vec![
                    PropertyChange::set("name", text("Ann")),
                    PropertyChange::set("age", Value::Integer(41)),
                    PropertyChange::set("city", text("Oslo")),
                ],
            )]),
        ),
        (
            format!(r#"{{"type":"user","id":"bob","name":"Bob"{}}}"#, tags.0),
            Some(vec![user(
                "bob",
                [vec![PropertyChange::set("name", text("Bob"))], tags.1].concat(),
            )]),
        ),
        (
            r#"{"type":"follow","from":"ann","to":"bob","since":"2024-01-02","weight":0.5}"#.into(),
            Some(follows(
                "ann",
                "bob",
                vec![
                    PropertyChange::set("since", since::<S>("2024-01-02")),
                    PropertyChange::set("weight", Value::Double(0.5)),
                ],
            )),
        ),
        (
            r#"{"type":"user","id":"ann","age":42,"name":null}"#.into(),
            Some(vec![user(
                "ann",
                vec![
                    PropertyChange::set("age", Value::Integer(42)),
                    PropertyChange::remove("name"),
                ],
            )]),
        ),
        (r#"{"type":"cat","id":"tom"}"#.into(), None),
        (r#"{"type":"user","id":1.5}"#.into(), None),
        (
            r#"{"type":"follow","from":"bob","to":"ann","since":"2024-03-04"}"#.into(),
            Some(follows(
                "bob",
                "ann",
                vec![PropertyChange::set("since", since::<S>("2024-03-04"))],
            )),
        ),
        (
            r#"{"type":"user","id":"bob","action":"deleted"}"#.into(),
            Some(vec![Operation::DeleteVertex {
                id: "User:bob".into(),
            }]),
        ),
        (
            r#"{"type":"user","id":"bob","name":"Bob again"}"#.into(),
            Some(vec![user("bob", vec![PropertyChange::set("name", text("Bob again"))])]),
        ),
        (
            r#"{"type":"follow","from":"ann","to":"bob","weight":2}"#.into(),
            Some(follows(
                "ann",
                "bob",
                vec![PropertyChange::set("weight", Value::Integer(2))],
            )),
        ),
        (
            r#"{"type":"follow","from":"ann","to":"bob","action":"unfollow"}"#.into(),
            Some(vec![Operation::DeleteEdge {
                id: follows_id("ann", "bob"),
            }]),
        ),
        (
            r#"{"type":"follow","from":"bob","to":"ann","weight":1}"#.into(),
            Some(follows(
                "bob",
                "ann",
                vec![PropertyChange::set("weight", Value::Integer(1))],
            )),
        ),
    ]
}

/// The events of [`events`] through the handler with the stack's mappings, delivered twice: after each delivery
/// the store holds the model, and the events no mapping takes are rejected as `MappingMismatch` naming the
/// mapping or the mappings tried, once per delivery.
pub async fn mapped_events_through_the_handler_match_the_model<S: OperationStore>(store: &S) {
    store.clear().await;
    let dir = tempfile::tempdir().unwrap();
    let rejects_file = dir.path().join("rejects.jsonl");
    let (deps, _metrics) = store_deps(
        store,
        &[
            ("RECORD_FORMAT", "mapping"),
            ("MAPPINGS", &mappings::<S>()),
            ("BATCH_WRITE_SIZE", "4"),
            ("REJECTED_RECORDS_FILE", rejects_file.to_str().unwrap()),
        ],
    );
    let events = events::<S>();
    let records = stream_records(events.iter().map(|(body, _)| ("users", body.as_bytes())));
    let mut model = Graph::default();
    for (_, operations) in &events {
        for operation in operations.iter().flatten() {
            model.apply(operation).unwrap();
        }
    }
    for delivery in 1..=2 {
        deliver_whole(&deps, &records, &format!("delivery {delivery}")).await;
        assert_matches(
            &S::stored(&model),
            &store.read_graph().await,
            &format!("delivery {delivery}"),
        );
        let rejects = rejects_in(&rejects_file);
        let got: Vec<(&str, &str)> = rejects
            .iter()
            .map(|r| (r.sequence_number.as_str(), r.reason_code.as_str()))
            .collect();
        let want: Vec<(String, &str)> = (0..delivery)
            .flat_map(|_| {
                [
                    (sequence_number(4), "MappingMismatch"),
                    (sequence_number(5), "MappingMismatch"),
                ]
            })
            .collect();
        let want: Vec<(&str, &str)> = want.iter().map(|(s, c)| (s.as_str(), *c)).collect();
        assert_eq!(got, want, "delivery {delivery}");
        assert!(
            rejects[0]
                .reason
                .contains("tried `users` when type = \"user\""),
            "{}",
            rejects[0].reason
        );
        assert!(
            rejects[1]
                .reason
                .contains("mapping `users`: event field `id` = 1.5 is not allowed"),
            "{}",
            rejects[1].reason
        );
    }
    // Ann and Bob, and Bob's edge to Ann (Ann's to Bob went with the unfollow).
    assert_eq!((model.vertices.len(), model.edges.len()), (2, 1));
}
