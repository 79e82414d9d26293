//! Graph operations against a real store, written once for every language ([`OperationStore`]): a deterministic
//! mixed sequence of operations (every kind, every value type the language stores, multi-valued adds where it has
//! them, removals, an upsert-delete-upsert of one id inside one batch and across batches, ids, labels and property
//! names that need escaping) written in batches through the language's builder and the writer's store client
//! ([`stream2neptune_writer::HttpStore`]); after each batch, written once and then again, the store's graph read
//! back equals the model's ([`Graph`]) with no difference, and so after the whole stream is delivered again.

use stream2neptune_graph::{
    Change, EdgeUpsert, Graph, Operation, PropertyChange, Unwritable, Value, VertexUpsert,
    derived_edge_id,
};
use stream2neptune_writer::{GraphStore, HttpStore};

use super::neo4j::CypherServer;
use super::store::{TestStore, store_deps};
use super::{ENGINE_INVOCATION_TIME, Oxigraph};

/// A store whose language writes graph operations, and reads its whole graph back.
pub trait OperationStore: TestStore {
    /// Whether the language stores a multi-valued vertex property (a list of several values, an `add`).
    const MULTI_VALUED: bool;
    /// Whether it stores a date (besides date-times).
    const DATES: bool;
    /// The write text of a batch, as the store client submits it.
    fn build(operations: &[Operation]) -> Result<String, Unwritable>;
    /// The store's whole graph.
    async fn read_graph(&self) -> Graph;
}

impl OperationStore for CypherServer {
    const MULTI_VALUED: bool = false;
    const DATES: bool = false;
    fn build(operations: &[Operation]) -> Result<String, Unwritable> {
        stream2neptune_writer::opencypher_operations::batch_request(operations)
    }
    async fn read_graph(&self) -> Graph {
        stream2neptune_local::read_opencypher::read_graph(&self.url())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

impl OperationStore for Oxigraph {
    const MULTI_VALUED: bool = true;
    const DATES: bool = true;
    fn build(operations: &[Operation]) -> Result<String, Unwritable> {
        stream2neptune_writer::sparql_operations::batch_update(operations)
    }
    async fn read_graph(&self) -> Graph {
        stream2neptune_local::read_sparql::read_graph(&self.url())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

fn set(name: &str, value: Value) -> PropertyChange {
    PropertyChange {
        name: name.into(),
        change: Change::Set(value),
    }
}

fn change(name: &str, change: Change) -> PropertyChange {
    PropertyChange {
        name: name.into(),
        change,
    }
}

fn vertex(id: &str, label: &str, properties: Vec<PropertyChange>) -> Operation {
    Operation::UpsertVertex(VertexUpsert {
        id: id.into(),
        label: label.into(),
        properties,
    })
}

fn edge(
    id: &str,
    label: &str,
    (from, from_label): (&str, &str),
    (to, to_label): (&str, &str),
    properties: Vec<PropertyChange>,
) -> Operation {
    Operation::UpsertEdge(EdgeUpsert {
        id: id.into(),
        label: label.into(),
        from: from.into(),
        to: to.into(),
        from_label: from_label.into(),
        to_label: to_label.into(),
        properties,
    })
}

/// Ids, labels and names crafted to break out of query text, IRIs or JSON.
const HOSTILE_ID: &str = "x'}) DETACH DELETE n // `~id` <a> } ; DROP ALL ü 🚀";
const HOSTILE_LABEL: &str = "odd label`) MATCH (n";
const HOSTILE_NAME: &str = "we ight`} ; \"q\" ü";

/// The stream, in batches: what `S`'s language can store of every kind of operation and value.
pub fn batches<S: OperationStore>() -> Vec<Vec<Operation>> {
    let v1 = "v/1 ü-%";
    let tags =
        |values: &[&str]| Value::List(values.iter().map(|v| Value::String((*v).into())).collect());
    let mut v1_properties = vec![
        set("name", Value::String("first \"one\"\n".into())),
        set("count", Value::Integer(-(1 << 40))),
        set("ratio", Value::Double(0.1)),
        set("big", Value::Double(1.5e300)),
        set("on", Value::Boolean(true)),
        set("seen", Value::DateTime("2024-05-01T10:11:12Z".into())),
        set(HOSTILE_NAME, Value::Integer(7)),
        // A list of one value is that value in every language.
        set("tags", tags(&["a"])),
    ];
    if S::DATES {
        v1_properties.push(set("born", Value::Date("2024-05-01".into())));
    }
    if S::MULTI_VALUED {
        v1_properties.push(set("colours", tags(&["red", "green", "red"])));
        v1_properties.push(change("colours", Change::Add(Value::String("blue".into()))));
    }
    let knows = derived_edge_id(v1, "knows", HOSTILE_ID, Some("2024"));
    let mut batch1 = vec![
        vertex(v1, "device", v1_properties),
        vertex(HOSTILE_ID, HOSTILE_LABEL, vec![set("n", Value::Integer(1))]),
        edge(
            "e1",
            "reads",
            (v1, "device"),
            ("s1", "sensor"),
            vec![
                set("w", Value::Double(0.5)),
                set("since", Value::DateTime("2024-05-02T00:00:01Z".into())),
                set("ok", Value::Boolean(false)),
            ],
        ),
        edge(
            &knows,
            HOSTILE_LABEL,
            (v1, "person"),
            (HOSTILE_ID, "person"),
            vec![set(HOSTILE_NAME, Value::String(HOSTILE_ID.into()))],
        ),
        // The same vertex again in the batch: a new value, a removal.
        vertex(
            v1,
            "ignored: a vertex keeps its label",
            vec![
                set("name", Value::String("second".into())),
                change("count", Change::Remove),
                change("absent", Change::Remove),
            ],
        ),
        // Upsert, delete (with its edges, out and in) and upsert of one id in one batch.
        vertex(
            "v2",
            "device",
            vec![set("name", Value::String("gone".into()))],
        ),
        edge("e2", "reads", ("v2", "device"), (v1, "device"), vec![]),
        edge("e4", "reads", ("s1", "sensor"), ("v2", "device"), vec![]),
        Operation::DeleteVertex { id: "v2".into() },
        vertex("v2", "sensor", vec![set("level", Value::Integer(3))]),
    ];
    if S::MULTI_VALUED {
        batch1.push(vertex(
            v1,
            "device",
            vec![
                change("colours", Change::Add(Value::Integer(3))),
                change("colours", Change::Add(Value::String("red".into()))),
            ],
        ));
    }
    let batch2 = vec![
        // Delete and re-create an edge under the same id, other properties.
        Operation::DeleteEdge { id: "e1".into() },
        edge(
            "e1",
            "reads",
            (v1, "device"),
            ("s1", "sensor"),
            vec![set("w", Value::Double(-2.25))],
        ),
        // Deleting what is absent changes nothing.
        Operation::DeleteVertex { id: "never".into() },
        Operation::DeleteEdge { id: "never".into() },
        edge(
            &knows,
            HOSTILE_LABEL,
            (v1, "person"),
            (HOSTILE_ID, "person"),
            vec![
                change(HOSTILE_NAME, Change::Remove),
                set("n", Value::Integer(2)),
            ],
        ),
        edge(
            "e5",
            "reads",
            ("s1", "sensor"),
            (v1, "device"),
            vec![set("w", Value::Double(1.0))],
        ),
        vertex(
            "s1",
            "sensor",
            vec![
                set("tags", tags(&["x"])),
                set("name", Value::String("s".into())),
            ],
        ),
    ];
    // Across batches: v1 deleted (with e1, e5 and the knows edge, out and in), then upserted anew.
    let batch3 = vec![Operation::DeleteVertex { id: v1.into() }];
    let batch4 = vec![
        vertex(
            v1,
            "sensor",
            vec![set("name", Value::String("third".into()))],
        ),
        edge("e3", "reads", ("s1", "sensor"), (v1, "sensor"), vec![]),
    ];
    vec![batch1, batch2, batch3, batch4]
}

/// Writes `batch` in one request through the writer's store client.
async fn write<S: OperationStore>(store: &HttpStore, batch: &[Operation]) {
    let text = S::build(batch).unwrap_or_else(|e| panic!("{e}"));
    store
        .submit(&text, ENGINE_INVOCATION_TIME)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

fn assert_matches(model: &Graph, store: &Graph, when: &str) {
    let differences = model.differences(store);
    assert!(
        differences.is_empty(),
        "{when}: {} differences:\n{}",
        differences.len(),
        differences
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Writes [`batches`] to `store` through the writer's store client, each batch twice, then the whole stream again,
/// and compares the store's graph with the model's after each write.
pub async fn graph_operations_match_the_model<S: OperationStore>(store: &S) {
    store.clear().await;
    let (deps, _) = store_deps(store, &[]);
    let mut model = Graph::default();
    let batches = batches::<S>();
    for (i, batch) in batches.iter().enumerate() {
        for operation in batch {
            model.apply(operation).unwrap();
        }
        write::<S>(&deps.store, batch).await;
        assert_matches(&model, &store.read_graph().await, &format!("batch {i}"));
        write::<S>(&deps.store, batch).await;
        assert_matches(
            &model,
            &store.read_graph().await,
            &format!("batch {i} written again"),
        );
    }
    assert!(model.vertices.len() >= 4 && !model.edges.is_empty());
    for batch in &batches {
        for operation in batch {
            model.apply(operation).unwrap();
        }
        write::<S>(&deps.store, batch).await;
    }
    assert_matches(
        &model,
        &store.read_graph().await,
        "the stream delivered again",
    );
}
