//! Neptune Streams change records replayed through the writer's handler: a source graph goes through the
//! operations scenario's stream ([`super::operations::batches`], every kind of operation and value the language
//! stores, ids and names that need escaping), one commit per operation; its PG_JSON stream
//! ([`stream2neptune_graph::change::stream::between`]) is put on one partition key (strict commit order) as
//! Kinesis records ([`Cut`]: pages, arrays and single changes, a commit straddling records as pages do; or a page
//! per commit), with a change the writer cannot read among them. Delivered twice, the store holds the
//! source graph, 0 differences, and the unreadable record is rejected naming its eventId, once per delivery.

use serde_json::{Value as Json, json};
use stream2neptune_graph::Graph;
use stream2neptune_graph::change::stream::between;
use stream2neptune_graph::change::{Replay, decode};

use super::operations::{OperationStore, assert_matches, batches};
use super::store::store_deps;
use super::{deliver_whole, metric, rejects_in, sequence_number, stream_records};

/// The source graph after the whole stream, and the stream's change records in commit order.
fn source_stream<S: OperationStore>() -> (Graph, Vec<Json>) {
    let mut source = Graph::default();
    let mut stream = Vec::new();
    for (commit, operation) in batches::<S>().iter().flatten().enumerate() {
        let before = source.clone();
        source.apply(operation).unwrap_or_else(|e| panic!("{e}"));
        stream.extend(between(&before, &source, commit as u64 + 1));
    }
    (source, stream)
}

/// How the replayer cuts the stream into Kinesis records, and how many records the writer writes at once.
#[derive(Clone, Copy)]
pub enum Cut {
    /// Stream API pages of 7 changes, arrays of 3 and single changes in turn (a commit may straddle records),
    /// written 3 records a request.
    Mixed,
    /// One page per commit, written one record a request: each commit in its own transaction, as in the source.
    Commits,
}

/// A stream API response holding `part`.
fn page(part: &[Json]) -> String {
    let last = &part[part.len() - 1];
    json!({
        "lastEventId": last["eventId"],
        "lastTrxTimestamp": last["commitTimestamp"],
        "format": "PG_JSON",
        "records": part,
        "totalRecords": part.len(),
    })
    .to_string()
}

/// The change records as Kinesis record bodies cut as `cut` says, with an unreadable change (an unknown
/// `dataType`) as the fourth record. Returns the bodies and that record's index.
fn bodies(stream: &[Json], cut: Cut) -> (Vec<String>, usize) {
    let mut bodies = Vec::new();
    match cut {
        Cut::Mixed => {
            let mut rest = stream;
            for shape in [0, 1, 2].into_iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let size = [7, 3, 1][shape].min(rest.len());
                let (part, tail) = rest.split_at(size);
                rest = tail;
                bodies.push(match shape {
                    0 => page(part),
                    1 => Json::from(part.to_vec()).to_string(),
                    _ => part[0].to_string(),
                });
            }
        }
        Cut::Commits => {
            for commit in
                stream.chunk_by(|a, b| a["eventId"]["commitNum"] == b["eventId"]["commitNum"])
            {
                bodies.push(page(commit));
            }
        }
    }
    let bad = json!({"eventId": {"commitNum": 999, "opNum": 1}, "op": "ADD",
        "data": {"id": "x", "type": "vp", "key": "k", "value": {"value": "a", "dataType": "Character"}}});
    bodies.insert(3, bad.to_string());
    (bodies, 3)
}

/// The source graph's change stream cut as `cut` says through the handler, delivered twice, leaves the source
/// graph in the store; the unreadable change is rejected as `BadChangeRecord` naming it.
pub async fn change_records_through_the_handler_match_the_source<S: OperationStore>(
    store: &S,
    cut: Cut,
) {
    store.clear().await;
    let dir = tempfile::tempdir().unwrap();
    let rejects_file = dir.path().join("rejects.jsonl");
    let (deps, metrics) = store_deps(
        store,
        &[
            ("WRITE_CONCURRENCY", "4"),
            (
                "BATCH_WRITE_SIZE",
                match cut {
                    Cut::Mixed => "3",
                    Cut::Commits => "1",
                },
            ),
            ("REJECTED_RECORDS_FILE", rejects_file.to_str().unwrap()),
        ],
    );
    let (source, stream) = source_stream::<S>();
    assert!(stream.len() > 50, "a stream of {} changes", stream.len());
    let (bodies, bad) = bodies(&stream, cut);
    let records = stream_records(bodies.iter().map(|body| ("replica", body.as_bytes())));
    for delivery in 1..=2 {
        deliver_whole(&deps, &records, &format!("delivery {delivery}")).await;
        assert_matches(
            &S::stored(&source),
            &store.read_graph().await,
            &format!("delivery {delivery}"),
        );
        let rejects = rejects_in(&rejects_file);
        assert_eq!(rejects.len(), delivery, "{rejects:#?}");
        let reject = rejects.last().unwrap();
        assert_eq!(
            (reject.sequence_number.as_str(), reject.reason_code.as_str()),
            (sequence_number(bad).as_str(), "BadChangeRecord")
        );
        assert!(
            reject
                .reason
                .contains("change eventId 999/1: `data.value.dataType` = \"Character\""),
            "{}",
            reject.reason
        );
    }
    assert!(source.vertices.len() >= 4 && !source.edges.is_empty());
    assert_eq!(metric(&metrics, "RecordsRejected"), 2);
}

/// One quad as the store's SELECT reads it back: graph (empty for the default graph), subject, predicate,
/// object's value, datatype and language.
type QuadRow = [String; 6];

fn row(quad: &oxrdf::Quad) -> QuadRow {
    let (value, datatype, language) = match &quad.object {
        oxrdf::Term::Literal(l) => (
            l.value().to_owned(),
            l.datatype().as_str().to_owned(),
            l.language().unwrap_or_default().to_owned(),
        ),
        other => (
            other.to_string().trim_matches(['<', '>']).to_owned(),
            String::new(),
            String::new(),
        ),
    };
    let graph = match &quad.graph_name {
        oxrdf::GraphName::NamedNode(g) => g.as_str().to_owned(),
        _ => String::new(),
    };
    let subject = quad.subject.to_string().trim_matches(['<', '>']).to_owned();
    [
        graph,
        subject,
        quad.predicate.as_str().to_owned(),
        value,
        datatype,
        language,
    ]
}

/// Every quad the store holds, named graphs and the default graph.
async fn quads(store: &super::Oxigraph) -> std::collections::BTreeSet<QuadRow> {
    let rows = store
        .select(
            "SELECT ?g ?s ?p ?o (DATATYPE(?o) AS ?dt) (LANG(?o) AS ?l) \
             WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } }",
        )
        .await;
    let get = |row: &std::collections::HashMap<String, String>, k: &str| {
        row.get(k).cloned().unwrap_or_default()
    };
    rows.iter()
        .map(|r| {
            [
                get(r, "g"),
                get(r, "s"),
                get(r, "p"),
                get(r, "o"),
                get(r, "dt"),
                get(r, "l"),
            ]
        })
        .collect()
}

/// NQUADS change records (a source RDF graph's stream: statements added and removed, in named graphs and the
/// default graph, typed, language-tagged and hostile literals) through the handler on one key, as a stream API
/// page, an array and single changes, delivered twice: the store holds the quads the changes leave, and a
/// statement with a blank node is rejected as `BadChangeRecord` naming its eventId.
pub async fn nquads_change_records_through_the_handler_leave_the_sources_quads(
    store: &super::Oxigraph,
) {
    use super::TestStore;
    store.clear().await;
    let dir = tempfile::tempdir().unwrap();
    let rejects_file = dir.path().join("rejects.jsonl");
    let (deps, _) = store_deps(
        store,
        &[
            ("BATCH_WRITE_SIZE", "2"),
            ("REJECTED_RECORDS_FILE", rejects_file.to_str().unwrap()),
        ],
    );
    let g = "<http://aws.amazon.com/neptune/vocab/v01/DefaultNamedGraph>";
    let statements = [
        ("ADD", format!("<urn:p7> <urn:name> \"Ana\" {g} .\n")),
        ("ADD", "<urn:p7> <urn:age> \"30\"^^<http://www.w3.org/2001/XMLSchema#integer> <urn:g1> .\n".to_string()),
        ("ADD", "<urn:p7> <urn:knows> <urn:p9> <urn:g1> .\n".to_string()),
        ("ADD", "<urn:p7> <urn:motto> \"x\\\" } ; DROP ALL ; INSERT DATA { <urn:a> <urn:b> <urn:c> } #\"@en <urn:g1> .\n".to_string()),
        ("ADD", "<urn:p9> <urn:seen> \"2024-05-01T10:11:12Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n".to_string()),
        ("REMOVE", "<urn:p7> <urn:age> \"30\"^^<http://www.w3.org/2001/XMLSchema#integer> <urn:g1> .\n".to_string()),
        ("ADD", "<urn:p7> <urn:age> \"31\"^^<http://www.w3.org/2001/XMLSchema#integer> <urn:g1> .\n".to_string()),
        ("REMOVE", "<urn:p7> <urn:knows> <urn:p9> <urn:g1> .\n".to_string()),
        ("ADD", "<urn:p7> <urn:knows> <urn:p9> <urn:g1> .\n".to_string()),
        ("REMOVE", format!("<urn:p7> <urn:name> \"Ana\" {g} .\n")),
        ("REMOVE", "<urn:absent> <urn:name> \"x\" <urn:g1> .\n".to_string()),
    ];
    let changes: Vec<Json> = statements
        .iter()
        .enumerate()
        .map(|(i, (op, stmt))| json!({"eventId": {"commitNum": i + 1, "opNum": 1}, "op": op, "data": {"stmt": stmt}}))
        .collect();
    let mut expected = std::collections::BTreeSet::new();
    let Ok(Replay::Quads(quads_changed)) = decode(&Json::from(changes.clone()).to_string()) else {
        panic!("NQUADS changes are quads");
    };
    for change in &quads_changed {
        if change.add {
            expected.insert(row(&change.quad));
        } else {
            expected.remove(&row(&change.quad));
        }
    }
    let bad = json!({"eventId": {"commitNum": 99, "opNum": 1}, "op": "ADD", "data": {"stmt": "_:b <urn:p> <urn:o> <urn:g1> .\n"}});
    let bodies = [
        json!({"format": "NQUADS", "lastEventId": changes[3]["eventId"], "records": &changes[..4]})
            .to_string(),
        bad.to_string(),
        Json::from(changes[4..7].to_vec()).to_string(),
        changes[7].to_string(),
        Json::from(changes[8..].to_vec()).to_string(),
    ];
    let records = stream_records(bodies.iter().map(|body| ("replica", body.as_bytes())));
    for delivery in 1..=2 {
        deliver_whole(&deps, &records, &format!("delivery {delivery}")).await;
        assert_eq!(quads(store).await, expected, "delivery {delivery}");
        let rejects = rejects_in(&rejects_file);
        assert_eq!(rejects.len(), delivery);
        assert_eq!(
            (
                rejects[delivery - 1].sequence_number.as_str(),
                rejects[delivery - 1].reason_code.as_str()
            ),
            (sequence_number(1).as_str(), "BadChangeRecord")
        );
        assert!(
            rejects[delivery - 1]
                .reason
                .contains("change eventId 99/1: `data.stmt`")
        );
    }
    assert_eq!(expected.len(), 4, "{expected:#?}");
}
