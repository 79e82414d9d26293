//! Graph-operation records through the writer's handler while the store fails, written once for every language
//! ([`OperationStore`]) and compared with the model ([`Graph`]): the store refuses a request longer than the
//! longest single record (bisection), refuses the poison records on their own (they are rejected under the proof
//! rule, the rest of their key written in order), is down for the rest of the first delivery (an outage: nothing
//! rejected, Lambda retries from the checkpoint), and the whole stream is delivered again after full success.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use stream2neptune_graph::{Graph, Operation, PropertyChange, Value, VertexUpsert, encode};

use super::operations::{OperationStore, apply_record, assert_matches, key_records};
use super::store::store_deps;
use super::{
    ENGINE_INVOCATION_TIME, failures, faulty, invocation, metric, rejects_in, sequence_number,
    store_error, stream_records,
};

/// Partition keys of the stream, each with its own subgraph.
const KEYS: usize = 2;
/// The request (numbered from 1) from which the store is down until the first delivery ends.
const OUTAGE_FROM: usize = 6;

/// The poison record of key `k`: a vertex upsert the store refuses for its content (its value is the marker the
/// faulty store looks for), harmless to the model.
fn poison(k: usize) -> Vec<Operation> {
    vec![Operation::UpsertVertex(VertexUpsert {
        id: format!("x{k}/s1"),
        label: "sensor".into(),
        properties: vec![PropertyChange::set(
            "marker",
            Value::String(format!("poison{k}")),
        )],
    })]
}

/// The records, in stream order: the keys' records interleaved, a poison record in the middle of each key's.
fn stream<S: OperationStore>() -> Vec<(String, Vec<Operation>, bool)> {
    let per_key: Vec<Vec<(String, Vec<Operation>, bool)>> = (0..KEYS)
        .map(|k| {
            let prefix = format!("x{k}/");
            let mut records: Vec<(String, Vec<Operation>, bool)> = key_records::<S>(&prefix)
                .into_iter()
                .flatten()
                .map(|record| (prefix.clone(), record, false))
                .collect();
            // In the middle of each key's, so the keys' poison records meet in one write once size failures have
            // narrowed the writes: a write whose every record is refused alone must not stall the shard.
            records.insert(records.len() / 2, (prefix, poison(k), true));
            records
        })
        .collect();
    let longest = per_key.iter().map(Vec::len).max().unwrap_or(0);
    (0..longest)
        .flat_map(|i| per_key.iter().filter_map(move |records| records.get(i)))
        .cloned()
        .collect()
}

/// The stream through the handler (one lane, writes of up to 6 records, 2 attempts) against a store that answers
/// 500 MemoryLimitExceededException to a request longer than the longest record's alone, 500
/// InternalFailureException (Neptune's catch-all) to one holding a poison marker, and 500 InternalFailureException
/// to everything from its [`OUTAGE_FROM`]th request until the first delivery ends. Lambda redelivers from each
/// checkpoint until none is given, then the whole stream once more: after each full pass the store's graph is the
/// model of every record but the poison ones applied in stream order, 0 differences; each poison record is
/// rejected once per pass as StoreRefused and nothing else is rejected.
pub async fn graph_operation_records_under_faults_match_the_model<S: OperationStore>(store: &S) {
    store.clear().await;
    let dir = tempfile::tempdir().unwrap();
    let rejects_file = dir.path().join("rejects.jsonl");
    let (deps, metrics) = store_deps(
        store,
        &[
            ("WRITE_CONCURRENCY", "1"),
            ("BATCH_WRITE_SIZE", "6"),
            ("RETRY_MAX_ATTEMPTS", "2"),
            ("RETRY_BASE_DELAY_MS", "1"),
            ("RETRY_MAX_DELAY_MS", "5"),
            ("STOP_WAIT_MS", "0"),
            ("REJECTED_RECORDS_FILE", rejects_file.to_str().unwrap()),
        ],
    );
    let stream = stream::<S>();
    // The longest request of one record: every record fits alone, most writes of several do not.
    let longest = stream
        .iter()
        .map(|(_, operations, _)| S::build(operations).unwrap().len())
        .max()
        .unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let down = Arc::new(AtomicBool::new(false));
    let (count, outage) = (requests.clone(), down.clone());
    let deps = faulty(
        deps,
        Box::new(move |text| {
            if count.fetch_add(1, Ordering::Relaxed) + 1 == OUTAGE_FROM {
                outage.store(true, Ordering::Relaxed);
            }
            if outage.load(Ordering::Relaxed) {
                Some(store_error(500, "InternalFailureException"))
            } else if text.len() > longest {
                Some(store_error(500, "MemoryLimitExceededException"))
            } else if text.contains("poison") {
                Some(store_error(500, "InternalFailureException"))
            } else {
                None
            }
        }),
    );
    let records = stream_records(
        stream
            .iter()
            .map(|(key, operations, _)| (key.as_str(), encode(operations).unwrap())),
    );
    let poisoned: Vec<String> = stream
        .iter()
        .enumerate()
        .filter(|(_, (_, _, poison))| *poison)
        .map(|(i, _)| sequence_number(i))
        .collect();

    let mut model = Graph::default();
    let mut expected_rejects = Vec::new();
    let mut deliveries = 0;
    for pass in 0..2 {
        for (_, operations, poison) in &stream {
            if !poison {
                assert!(apply_record(&mut model, operations));
            }
        }
        expected_rejects.extend(poisoned.iter().cloned());
        // Lambda delivers the stream, then again from each checkpoint it is given.
        let mut from = 0;
        loop {
            deliveries += 1;
            assert!(deliveries < 20, "pass {pass}: no end of redeliveries");
            let response = stream2neptune_writer::handle(
                &deps,
                invocation(&records[from..], ENGINE_INVOCATION_TIME),
            )
            .await
            .unwrap();
            // The outage lasts until the first delivery ends.
            down.store(false, Ordering::Relaxed);
            match failures(&response).first() {
                None => break,
                Some(sequence) => {
                    from = records
                        .iter()
                        .position(|r| &r.sequence_number == sequence)
                        .unwrap();
                }
            }
        }
        let rejects = rejects_in(&rejects_file);
        let got: Vec<(&str, &str)> = rejects
            .iter()
            .map(|r| (r.sequence_number.as_str(), r.reason_code.as_str()))
            .collect();
        let want: Vec<(&str, &str)> = expected_rejects
            .iter()
            .map(|sequence| (sequence.as_str(), "StoreRefused"))
            .collect();
        assert_eq!(
            got,
            want,
            "pass {pass}: {:#?}",
            rejects.iter().map(|r| &r.reason).collect::<Vec<_>>()
        );
        assert_matches(
            &S::stored(&model),
            &store.read_graph().await,
            &format!("pass {pass}"),
        );
    }
    // The first pass took a redelivery after the outage; every fault was met.
    assert!(deliveries >= 3, "{deliveries} deliveries");
    assert!(metric(&metrics, "EnvironmentRefusals") >= 1);
    assert!(metric(&metrics, "WritesShrunk") >= 1);
    assert_eq!(
        metric(&metrics, "RecordsRejected"),
        2 * KEYS as u64,
        "the poison records, once per pass"
    );
    assert!(model.vertices.len() >= 4 * KEYS);
}
