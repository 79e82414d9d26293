//! Graph operations against a real store, written once for every language ([`OperationStore`]): a deterministic
//! mixed sequence of operations (every kind, every value type the language stores, multi-valued adds where it has
//! them, removals, an upsert-delete-upsert of one id inside one batch and across batches, ids, labels and property
//! names that need escaping) written in batches through the language's builder and the writer's store client
//! ([`stream2neptune_writer::HttpStore`]); after each batch, written once and then again, the store's graph read
//! back equals the model's ([`Graph`]) with no difference, and so after the whole stream is delivered again.
//!
//! The same operations as records through the writer's handler
//! ([`graph_operation_records_through_the_handler_match_the_model`]): several partition keys, each with its own
//! subgraph, in lanes, with bad records, records the store refuses and `follows` records among them.

use stream2neptune_graph::{
    Change, EdgeUpsert, Graph, Operation, PropertyChange, Unwritable, Value, VertexUpsert,
    derived_edge_id, encode,
};
use stream2neptune_writer::{GraphStore, HttpStore};

use super::store::{TestStore, store_deps};
use super::{
    ENGINE_INVOCATION_TIME, GremlinServer, Oxigraph, deliver_whole, metric, rejects_in,
    sequence_number, stream_records,
};
use stream2neptune_testkit::CypherServer;

/// A store whose language writes graph operations, and reads its whole graph back.
pub trait OperationStore: TestStore {
    /// Whether the language stores a multi-valued vertex property (a list of several values, an `add`).
    const MULTI_VALUED: bool;
    /// Whether it stores a date (besides date-times).
    const DATES: bool;
    /// A graph-operation record the language cannot store (the writer rejects it as `Unwritable`), if any, and
    /// what its reject reason names.
    const UNWRITABLE: Option<(&'static str, &'static str)>;
    /// What the store makes of an edge upsert naming a taken edge id with other ends, which the model refuses.
    const MOVED_EDGE: MovedEdge;
    /// The write text of a batch, as the store client submits it.
    fn build(operations: &[Operation]) -> Result<String, Unwritable>;
    /// The store's whole graph.
    async fn read_graph(&self) -> Graph;
    /// The graph the store holds when the model is `model` (the same unless the store changes values' form).
    fn stored(model: &Graph) -> Graph {
        model.clone()
    }
}

/// What a store makes of an edge upsert naming an edge id another edge holds.
pub enum MovedEdge {
    /// The request fails, with an answer naming this: the record is rejected as `StoreRefused`.
    Refused(&'static str),
    /// The upsert changes nothing (SPARQL Update cannot fail on a condition): the record is not rejected.
    Ignored,
}

impl OperationStore for GremlinServer {
    const MULTI_VALUED: bool = true;
    const DATES: bool = true;
    const UNWRITABLE: Option<(&'static str, &'static str)> = None;
    const MOVED_EDGE: MovedEdge = MovedEdge::Refused("already exists");
    fn build(operations: &[Operation]) -> Result<String, Unwritable> {
        Ok(stream2neptune_writer::gremlin::operations_query(operations))
    }
    async fn read_graph(&self) -> Graph {
        stream2neptune_engines::read_gremlin::read_graph(&self.url())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }
    /// Gremlin keeps a date as an instant.
    fn stored(model: &Graph) -> Graph {
        model.with_instant_dates()
    }
}

impl OperationStore for CypherServer {
    const MULTI_VALUED: bool = false;
    const DATES: bool = false;
    const UNWRITABLE: Option<(&'static str, &'static str)> = Some((
        r#"[{"op":"upsertVertex","id":"u","label":"l"},{"op":"upsertVertex","id":"u","label":"l","properties":{"born":{"date":"2024-05-01"}}}]"#,
        "operation 1: openCypher cannot write upsertVertex of \"u\": property \"born\": Neptune's openCypher has no date type",
    ));
    const MOVED_EDGE: MovedEdge = MovedEdge::Refused("edgeIdTaken");
    fn build(operations: &[Operation]) -> Result<String, Unwritable> {
        stream2neptune_writer::opencypher_operations::batch_request(
            operations,
            stream2neptune_writer::opencypher_operations::EdgeIds::Given,
        )
    }
    async fn read_graph(&self) -> Graph {
        stream2neptune_engines::read_opencypher::read_graph(&self.url())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

impl OperationStore for Oxigraph {
    const MULTI_VALUED: bool = true;
    const DATES: bool = true;
    const UNWRITABLE: Option<(&'static str, &'static str)> = None;
    const MOVED_EDGE: MovedEdge = MovedEdge::Ignored;
    fn build(operations: &[Operation]) -> Result<String, Unwritable> {
        stream2neptune_writer::sparql_operations::batch_update(operations)
    }
    async fn read_graph(&self) -> Graph {
        stream2neptune_engines::read_sparql::read_graph(&self.url())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
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
        PropertyChange::set("name", Value::String("first \"one\"\n".into())),
        PropertyChange::set("count", Value::Integer(-(1 << 40))),
        PropertyChange::set("ratio", Value::Double(0.1)),
        PropertyChange::set("big", Value::Double(1.5e300)),
        PropertyChange::set("on", Value::Boolean(true)),
        PropertyChange::set("seen", Value::DateTime("2024-05-01T10:11:12Z".into())),
        PropertyChange::set(HOSTILE_NAME, Value::Integer(7)),
        // A list of one value is that value in every language.
        PropertyChange::set("tags", tags(&["a"])),
        PropertyChange::set_on_create("made", Value::String("by its first upsert".into())),
    ];
    if S::DATES {
        v1_properties.push(PropertyChange::set(
            "born",
            Value::Date("2024-05-01".into()),
        ));
    }
    if S::MULTI_VALUED {
        v1_properties.push(PropertyChange::set(
            "colours",
            tags(&["red", "green", "red"]),
        ));
        v1_properties.push(change("colours", Change::Add(Value::String("blue".into()))));
    }
    let knows = derived_edge_id(v1, "knows", HOSTILE_ID, Some("2024"));
    let mut batch1 = vec![
        vertex(v1, "device", v1_properties),
        vertex(
            HOSTILE_ID,
            HOSTILE_LABEL,
            vec![PropertyChange::set("n", Value::Integer(1))],
        ),
        edge(
            "e1",
            "reads",
            (v1, "device"),
            ("s1", "sensor"),
            vec![
                PropertyChange::set("w", Value::Double(0.5)),
                PropertyChange::set("since", Value::DateTime("2024-05-02T00:00:01Z".into())),
                PropertyChange::set("ok", Value::Boolean(false)),
                PropertyChange::set_on_create("linked", Value::Integer(1)),
            ],
        ),
        edge(
            &knows,
            HOSTILE_LABEL,
            (v1, "person"),
            (HOSTILE_ID, "person"),
            vec![PropertyChange::set(
                HOSTILE_NAME,
                Value::String(HOSTILE_ID.into()),
            )],
        ),
        // The same vertex again in the batch: a new value, a removal.
        vertex(
            v1,
            "ignored: a vertex keeps its label",
            vec![
                PropertyChange::set("name", Value::String("second".into())),
                change("count", Change::Remove),
                change("absent", Change::Remove),
                // It exists: kept as the first upsert set it.
                PropertyChange::set_on_create("made", Value::String("ignored".into())),
            ],
        ),
        // Upsert, delete (with its edges, out and in) and upsert of one id in one batch.
        vertex(
            "v2",
            "device",
            vec![PropertyChange::set("name", Value::String("gone".into()))],
        ),
        edge("e2", "reads", ("v2", "device"), (v1, "device"), vec![]),
        edge("e4", "reads", ("s1", "sensor"), ("v2", "device"), vec![]),
        Operation::DeleteVertex { id: "v2".into() },
        vertex(
            "v2",
            "sensor",
            vec![
                PropertyChange::set("level", Value::Integer(3)),
                PropertyChange::set_on_create("made", Value::Boolean(true)),
            ],
        ),
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
            vec![
                PropertyChange::set("w", Value::Double(-2.25)),
                PropertyChange::set_on_create("linked", Value::Integer(2)),
            ],
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
                PropertyChange::set("n", Value::Integer(2)),
                PropertyChange::set_on_create("linked", Value::Integer(9)),
            ],
        ),
        edge(
            "e5",
            "reads",
            ("s1", "sensor"),
            (v1, "device"),
            vec![PropertyChange::set("w", Value::Double(1.0))],
        ),
        vertex(
            "s1",
            "sensor",
            vec![
                PropertyChange::set("tags", tags(&["x"])),
                PropertyChange::set("name", Value::String("s".into())),
                // Created by an edge naming it in batch 1.
                PropertyChange::set_on_create("made", Value::Double(0.5)),
            ],
        ),
    ];
    // Across batches: v1 deleted (with e1, e5 and the knows edge, out and in), then upserted anew.
    let batch3 = vec![Operation::DeleteVertex { id: v1.into() }];
    let batch4 = vec![
        vertex(
            v1,
            "sensor",
            vec![PropertyChange::set("name", Value::String("third".into()))],
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

pub fn assert_matches(model: &Graph, store: &Graph, when: &str) {
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

/// `operation` with every vertex and edge id under `prefix`: the subgraph of one partition key.
fn under(prefix: &str, operation: &Operation) -> Operation {
    let id = |id: &str| format!("{prefix}{id}");
    match operation {
        Operation::UpsertVertex(v) => Operation::UpsertVertex(VertexUpsert {
            id: id(&v.id),
            ..v.clone()
        }),
        Operation::UpsertEdge(e) => Operation::UpsertEdge(EdgeUpsert {
            id: id(&e.id),
            from: id(&e.from),
            to: id(&e.to),
            ..e.clone()
        }),
        Operation::DeleteVertex { id: v } => Operation::DeleteVertex { id: id(v) },
        Operation::DeleteEdge { id: e } => Operation::DeleteEdge { id: id(e) },
        Operation::ChangeValues {
            element,
            id: e,
            changes,
        } => Operation::ChangeValues {
            element: *element,
            id: id(e),
            changes: changes.clone(),
        },
    }
}

/// `operation` as operations a document can hold, which names a property once per operation: an upsert changing one
/// property twice is that upsert up to the second change, then the same upsert with the rest (the same effect).
fn one_change_per_property(operation: Operation) -> Vec<Operation> {
    let Operation::UpsertVertex(vertex) = operation else {
        return vec![operation];
    };
    let mut parts: Vec<Vec<PropertyChange>> = vec![Vec::new()];
    for change in vertex.properties.iter().cloned() {
        let last = parts.last_mut().unwrap();
        if last.iter().any(|c| c.name == change.name) {
            parts.push(vec![change]);
        } else {
            last.push(change);
        }
    }
    parts
        .into_iter()
        .map(|properties| {
            Operation::UpsertVertex(VertexUpsert {
                properties,
                ..vertex.clone()
            })
        })
        .collect()
}

/// [`batches`] as the records of one partition key, batch by batch: each operation under `prefix`, the operations
/// cut into records of one operation and arrays of three and two, in turn.
pub fn key_records<S: OperationStore>(prefix: &str) -> Vec<Vec<Vec<Operation>>> {
    batches::<S>()
        .iter()
        .map(|batch| {
            let operations: Vec<Operation> = batch
                .iter()
                .flat_map(|op| one_change_per_property(under(prefix, op)))
                .collect();
            let mut records = Vec::new();
            let mut rest = operations.as_slice();
            for size in [1, 3, 2].into_iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (record, tail) = rest.split_at(size.min(rest.len()));
                records.push(record.to_vec());
                rest = tail;
            }
            records
        })
        .collect()
}

/// What the handler should make of a record.
enum Expected {
    /// Its operations are written (unless the model refuses them: then it is rejected as `StoreRefused`).
    Operations(Vec<Operation>),
    /// A `follows` edge (from, to), written.
    Follows(String, String),
    /// Rejected at decode time: (code, body, what the reason names).
    Rejected(&'static str, &'static str, &'static str),
}

/// Applies a record's operations to `model` as one transaction: all, or none when the model refuses one.
pub fn apply_record(model: &mut Graph, operations: &[Operation]) -> bool {
    let mut after = model.clone();
    if operations.iter().all(|op| after.apply(op).is_ok()) {
        *model = after;
        true
    } else {
        false
    }
}

/// The partition keys of [`handler_stream`].
const KEYS_OF_HANDLER_STREAM: usize = 3;

/// [`batches`] as records on `KEYS` partition keys (each key's operations under its own prefix, cut into records of
/// one operation and arrays of two and three, the keys' records interleaved), with a `follows` record every fifth
/// record, a malformed document, a record the language cannot store and an edge upsert moving a taken edge id (and
/// setting a property of it) after each key's first batch.
fn handler_stream<S: OperationStore>() -> Vec<(String, Expected)> {
    const KEYS: usize = KEYS_OF_HANDLER_STREAM;
    let per_key: Vec<Vec<(String, Expected)>> = (0..KEYS)
        .map(|k| {
            let prefix = format!("k{k}/");
            let mut records = Vec::new();
            for (b, batch) in key_records::<S>(&prefix).into_iter().enumerate() {
                records.extend(
                    batch
                        .into_iter()
                        .map(|record| (prefix.clone(), Expected::Operations(record))),
                );
                if b == 0 {
                    let moved = edge(
                        &format!("{prefix}e1"),
                        "reads",
                        (&format!("{prefix}elsewhere"), "device"),
                        (&format!("{prefix}s1"), "sensor"),
                        vec![PropertyChange::set("w", Value::Double(9.0))],
                    );
                    records.push((prefix.clone(), Expected::Operations(vec![moved])));
                }
            }
            records
        })
        .collect();
    let mut stream = Vec::new();
    let mut iters: Vec<_> = per_key.into_iter().map(Vec::into_iter).collect();
    let mut follows = 0;
    loop {
        let before = stream.len();
        for records in &mut iters {
            stream.extend(records.next());
        }
        if stream.len() == before {
            break;
        }
        if stream.len() % 5 < KEYS {
            let (from, to) = (format!("f{follows}"), format!("f{}", follows + 1));
            stream.push((from.clone(), Expected::Follows(from, to)));
            follows += 1;
        }
    }
    stream.insert(
        4,
        (
            "bad".into(),
            Expected::Rejected(
                "BadOperation",
                r#"{"op":"upsertVertex","label":"device"}"#,
                "operation 0 (upsertVertex): member `id` is missing",
            ),
        ),
    );
    if let Some((body, names)) = S::UNWRITABLE {
        stream.insert(
            9,
            ("bad".into(), Expected::Rejected("Unwritable", body, names)),
        );
    }
    stream
}

/// The record bodies of [`handler_stream`].
fn body(expected: &Expected) -> Vec<u8> {
    match expected {
        Expected::Operations(operations) => encode(operations).unwrap().into_bytes(),
        Expected::Follows(from, to) => format!("{from},{to},2016-05-21").into_bytes(),
        Expected::Rejected(_, body, _) => body.as_bytes().to_vec(),
    }
}

/// The graph-operation records of [`handler_stream`] through the writer's handler (WRITE_CONCURRENCY 4, writes of
/// 3 records), delivered twice: after each delivery the store holds the model of the records applied in stream
/// order (the keys' subgraphs are apart, so that is per-key order), 0 differences; the malformed record, the one the
/// language cannot store and each one the store refuses are rejected with their reasons, once per delivery; the
/// `follows` records among them are written.
pub async fn graph_operation_records_through_the_handler_match_the_model<S: OperationStore>(
    store: &S,
) {
    store.clear().await;
    let dir = tempfile::tempdir().unwrap();
    let rejects_file = dir.path().join("rejects.jsonl");
    let (deps, metrics) = store_deps(
        store,
        &[
            ("WRITE_CONCURRENCY", "4"),
            ("BATCH_WRITE_SIZE", "3"),
            ("RETRY_MAX_ATTEMPTS", "2"),
            ("RETRY_BASE_DELAY_MS", "1"),
            ("RETRY_MAX_DELAY_MS", "5"),
            ("REJECTED_RECORDS_FILE", rejects_file.to_str().unwrap()),
        ],
    );
    let stream = handler_stream::<S>();
    let records = stream_records(
        stream
            .iter()
            .map(|(key, expected)| (key.as_str(), body(expected))),
    );

    let mut model = Graph::default();
    let mut expected_rejects = Vec::new();
    let (mut operations_written, mut edges_written) = (0, 0);
    for delivery in 0..2 {
        for (i, (_, expected)) in stream.iter().enumerate() {
            match expected {
                Expected::Operations(operations) => {
                    let applied = apply_record(&mut model, operations);
                    match S::MOVED_EDGE {
                        MovedEdge::Refused(answer) if !applied => {
                            expected_rejects.push((sequence_number(i), "StoreRefused", answer));
                        }
                        // Applied, or accepted by a store on which the moved edge changes nothing: written.
                        _ => operations_written += operations.len() as u64,
                    }
                }
                Expected::Rejected(code, _, names) => {
                    expected_rejects.push((sequence_number(i), *code, *names));
                }
                Expected::Follows(..) => edges_written += 1,
            }
        }
        deliver_whole(&deps, &records, &format!("delivery {delivery}")).await;

        let rejects = rejects_in(&rejects_file);
        let got: Vec<(&str, &str)> = rejects
            .iter()
            .map(|r| (r.sequence_number.as_str(), r.reason_code.as_str()))
            .collect();
        let want: Vec<(&str, &str)> = expected_rejects
            .iter()
            .map(|(sequence, code, _)| (sequence.as_str(), *code))
            .collect();
        assert_eq!(
            got,
            want,
            "delivery {delivery}: {:#?}",
            rejects.iter().map(|r| &r.reason).collect::<Vec<_>>()
        );
        for (reject, (_, _, names)) in rejects.iter().zip(&expected_rejects) {
            assert!(
                reject.reason.contains(names),
                "{} does not name {names:?}",
                reject.reason
            );
        }

        let mut read = store.read_graph().await;
        let follows: Vec<(String, String)> = stream
            .iter()
            .filter_map(|(_, expected)| match expected {
                Expected::Follows(from, to) => Some((from.clone(), to.clone())),
                _ => None,
            })
            .collect();
        let pairs = store.follows_pairs().await;
        for pair in &follows {
            assert!(pairs.contains(pair), "follows {pair:?} was not written");
        }
        // The follows scheme's people and edges are no part of the operations' graph.
        read.vertices.retain(|id, _| !id.starts_with('f'));
        read.edges.retain(|_, edge| !edge.from.starts_with('f'));
        assert_matches(&S::stored(&model), &read, &format!("delivery {delivery}"));
    }
    // Each key's subgraph at the end of the stream: 4 vertices and 1 edge.
    assert_eq!((model.vertices.len(), model.edges.len()), (12, 3));
    assert_eq!(
        metric(&metrics, "RecordsRejected"),
        expected_rejects.len() as u64
    );
    assert_eq!(metric(&metrics, "EnvironmentRefusals"), 0);
    // Each record written counts: its operations in OperationsWritten, a follows record in EdgesWritten.
    assert_eq!(metric(&metrics, "OperationsWritten"), operations_written);
    assert_eq!(metric(&metrics, "EdgesWritten"), edges_written);
    let refused = expected_rejects
        .iter()
        .filter(|r| r.1 == "StoreRefused")
        .count();
    let moved = match S::MOVED_EDGE {
        MovedEdge::Refused(_) => 2 * KEYS_OF_HANDLER_STREAM,
        MovedEdge::Ignored => 0,
    };
    assert_eq!(refused, moved);
}

/// The graph `follows` records leave is the model's graph of each record's graph operation
/// (`Edge::into_operation`: one edge upsert of `follows` from a `person` to a `person` under the follows edge id,
/// creationDate set on create as the record's text and each extra property set), in stream order, whichever form
/// `settings` make the store's language write them in (docs/design/follows-as-operations.md). Written through the
/// handler with `settings`, in several requests, twice.
pub async fn the_follows_graph_is_the_model_of_one_edge_upsert_per_record<S: OperationStore>(
    store: &S,
    settings: &[(&str, &str)],
) {
    let bodies: Vec<String> = (0..40)
        .map(|i| {
            let from = ["p-1", "it's", "p%2", "ü-ö", "p4"][i % 5];
            let to = format!("q{}", i % 7);
            match i % 4 {
                0 => format!("{from},{to},2016-05-21"),
                1 => format!("{from},{to},2016-05-21T10:11:12Z"),
                // A re-sent edge with new values: the last record's values stay.
                2 => serde_json::json!({"from": from, "to": to, "created": "2016-05-22", "weight": i,
                    "big": 5_000_000_000_i64 + i as i64, "score": i as f64 / 4.0, "seen": i % 3 == 0,
                    "note": format!("n'{i}")})
                .to_string(),
                _ => serde_json::json!({"from": from, "to": to, "created": "2016-05-22", "weight": -(i as i64)})
                    .to_string(),
            }
        })
        .collect();
    let records = stream_records(bodies.iter().map(|body| ("k", body.as_bytes().to_vec())));
    let mut model = Graph::default();
    for body in &bodies {
        let edge = stream2neptune_writer::record::parse_record(body.as_bytes(), 65_536)
            .unwrap_or_else(|e| panic!("{body}: {e}"));
        model
            .apply(&edge.into_operation())
            .unwrap_or_else(|e| panic!("{body}: {e}"));
    }
    store.clear().await;
    let mut vars = vec![("BATCH_WRITE_SIZE", "7")];
    vars.extend_from_slice(settings);
    let (deps, _) = store_deps(store, &vars);
    for delivery in ["first", "again"] {
        deliver_whole(&deps, &records, delivery).await;
        assert_matches(
            &S::stored(&model),
            &store.read_graph().await,
            &format!("follows records with {settings:?}, {delivery}"),
        );
    }
}
