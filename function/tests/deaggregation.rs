//! KPL aggregated records through the handler into a real Oxigraph server: aggregates made by
//! AWS Labs' aws-kinesis-agg (the reference implementation, from .venv) and by the `kpl` crate,
//! alone and mixed with plain records, are written as exactly their user records, per-key order
//! holds across lanes, a corrupted aggregate is rejected whole, and a failure inside an aggregate
//! is reported at the aggregate's sequence number.

mod common;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::process::{Command, Stdio};

use base64::Engine;
use common::*;
use serde_json::{Value, json};
use stream2neptune_writer::rejects::RejectedRecord;
use stream2neptune_writer::sparql;

/// A JSON edge `from -> to` with the property `weight`.
fn edge_body(from: &str, to: &str, weight: usize) -> String {
    json!({"from": from, "to": to, "created": "2016-05-21", "weight": weight}).to_string()
}

/// Kinesis records made by aws-kinesis-agg from `specs` (see tools/kpl/aggregate.py), at
/// stream positions `first..`.
fn reference_records(specs: &Value, first: usize) -> Vec<TestRecord> {
    let script = workspace_root().join("tools/kpl/aggregate.py");
    let mut child = Command::new(tool("python"))
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run .venv/bin/python (make tools)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(specs.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}: {}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let made: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    made.iter()
        .enumerate()
        .map(|(i, r)| TestRecord {
            partition_key: r["partitionKey"].as_str().unwrap().to_owned(),
            sequence_number: sequence_number(first + i),
            data: base64::engine::general_purpose::STANDARD
                .decode(r["data"].as_str().unwrap())
                .unwrap(),
        })
        .collect()
}

/// Every (from, to) pair of `follows` edges in the store, as IRIs.
async fn follows(store: &Oxigraph) -> BTreeSet<(String, String)> {
    store
        .select(&format!(
            "SELECT ?a ?b WHERE {{ ?a <{}> ?b }}",
            sparql::FOLLOWS
        ))
        .await
        .into_iter()
        .map(|row| (row["a"].clone(), row["b"].clone()))
        .collect()
}

fn pair(from: &str, to: &str) -> (String, String) {
    (sparql::person_iri(from), sparql::person_iri(to))
}

#[tokio::test]
async fn reference_aggregates_alone_and_mixed_with_plain_records_are_written_as_their_user_records()
{
    // GIVEN 3,000 user records over 40 partition keys, put by aws-kinesis-agg into aggregates
    //   of 1 to 400 records with plain records between them; key "k0" also updates the edge
    //   k0 -> w five times (weights 1..=5) across aggregates and plain records
    let mut expected = BTreeSet::new();
    let mut specs = Vec::new();
    let mut next = 0usize;
    let mut weight = 0usize;
    let mut user = |next: &mut usize, weight: &mut usize| -> (String, String) {
        let i = *next;
        *next += 1;
        let from = format!("k{}", i % 40);
        if i.is_multiple_of(600) {
            *weight += 1;
            return (from.clone(), edge_body(&from, "w", *weight));
        }
        let to = format!("t{i}");
        expected.insert(pair(&from, &to));
        (from.clone(), edge_body(&from, &to, 0))
    };
    let mut size = 1;
    while next < 3_000 {
        let group: Vec<_> = (0..size.min(3_000 - next))
            .map(|_| user(&mut next, &mut weight))
            .collect();
        specs.push(json!({ "aggregate": group }));
        if next < 3_000 {
            let (key, data) = user(&mut next, &mut weight);
            specs.push(json!({ "plain": [key, data] }));
        }
        size = size * 3 % 401;
    }
    expected.insert(pair("k0", "w"));
    let aggregates_only: Vec<Value> = specs
        .iter()
        .filter(|s| s.get("aggregate").is_some())
        .cloned()
        .collect();
    let expected_aggregated: BTreeSet<_> = aggregates_only
        .iter()
        .flat_map(|s| s["aggregate"].as_array().unwrap().clone())
        .map(|u| {
            let body: Value = serde_json::from_str(u[1].as_str().unwrap()).unwrap();
            pair(body["from"].as_str().unwrap(), body["to"].as_str().unwrap())
        })
        .collect();

    for (specs, expected) in [
        (Value::Array(aggregates_only), expected_aggregated),
        (Value::Array(specs), expected),
    ] {
        let store = Oxigraph::start();
        let (deps, metrics) = store_deps(
            &store,
            &[("BATCH_WRITE_SIZE", "50"), ("WRITE_CONCURRENCY", "4")],
        );
        let records = reference_records(&specs, 0);
        let users: u64 = specs
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                s.get("aggregate")
                    .map_or(1, |a| a.as_array().unwrap().len()) as u64
            })
            .sum();
        assert!(
            records.iter().any(|r| kpl::is_aggregated(&r.data)),
            "the reference made aggregates"
        );

        // WHEN the event is handled
        let response =
            stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
                .await
                .unwrap();

        // THEN exactly the user records are in the store, the last weight of k0 -> w won, and
        //   the metrics count both kinds of records
        assert_eq!(failures(&response), Vec::<String>::new());
        assert_eq!(follows(&store).await, expected);
        assert_eq!(store.edges().await, expected.len() as u64);
        if expected.contains(&pair("k0", "w")) {
            assert_eq!(store.weights("k0", "w").await, vec![weight.to_string()]);
        }
        assert_eq!(metric(&metrics, "KinesisRecords"), records.len() as u64);
        assert_eq!(metric(&metrics, "UserRecords"), users);
        assert_eq!(metric(&metrics, "EdgesWritten"), users);
        assert_eq!(metric(&metrics, "RecordsRejected"), 0);
    }
}

/// An aggregate made by the `kpl` crate.
fn aggregate(users: &[(String, String)]) -> Vec<u8> {
    let mut aggregator = kpl::Aggregator::new();
    for (key, data) in users {
        aggregator.push(key, data.clone().into_bytes());
    }
    aggregator.finish()
}

fn test_record(i: usize, partition_key: &str, data: Vec<u8>) -> TestRecord {
    TestRecord {
        partition_key: partition_key.into(),
        sequence_number: sequence_number(i),
        data,
    }
}

#[tokio::test]
async fn a_corrupted_aggregate_is_rejected_whole_and_a_bad_user_record_alone() {
    // GIVEN a plain record, an aggregate with a malformed second user record, an aggregate with
    //   a wrong MD5 trailer, and a plain record
    let store = Oxigraph::start();
    let dir = tempfile::tempdir().unwrap();
    let rejects_file = dir.path().join("rejects.jsonl");
    let (deps, metrics) = store_deps(
        &store,
        &[("REJECTED_RECORDS_FILE", rejects_file.to_str().unwrap())],
    );
    let users = |range: std::ops::Range<usize>| -> Vec<(String, String)> {
        range
            .map(|i| (format!("u{i}"), format!("u{i},v{i},2016-05-21")))
            .collect()
    };
    let mut with_bad = users(0..3);
    with_bad[1].1 = "u1,v1".into();
    let mut corrupted = aggregate(&users(3..6));
    let last = corrupted.len() - 1;
    corrupted[last] ^= 0x55;
    let records = vec![
        test_record(0, "p", b"p,q,2016-05-21".to_vec()),
        test_record(1, "agg", aggregate(&with_bad)),
        test_record(2, "bad", corrupted.clone()),
        test_record(3, "r", b"r,s,2016-05-21".to_vec()),
    ];

    // WHEN the event is handled
    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
            .await
            .unwrap();

    // THEN everything readable is written, nothing is retried, and the two rejects say what
    //   and where: the bad user record with its own key and position, the corrupted aggregate
    //   whole with its sequence number
    assert_eq!(failures(&response), Vec::<String>::new());
    assert_eq!(
        follows(&store).await,
        [("p", "q"), ("u0", "v0"), ("u2", "v2"), ("r", "s")]
            .iter()
            .map(|(a, b)| pair(a, b))
            .collect()
    );
    let rejects: Vec<RejectedRecord> = std::fs::read_to_string(&rejects_file)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(rejects.len(), 2, "{rejects:?}");
    assert_eq!(
        (
            rejects[0].sequence_number.as_str(),
            rejects[0].sub_sequence_number,
            rejects[0].partition_key.as_str(),
            rejects[0].reason_code.as_str()
        ),
        (
            records[1].sequence_number.as_str(),
            Some(1),
            "u1",
            "WrongColumnCount"
        )
    );
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(&rejects[0].data)
            .unwrap(),
        b"u1,v1"
    );
    assert_eq!(
        (
            rejects[1].sequence_number.as_str(),
            rejects[1].sub_sequence_number,
            rejects[1].partition_key.as_str(),
            rejects[1].reason_code.as_str()
        ),
        (
            records[2].sequence_number.as_str(),
            None,
            "bad",
            "CorruptedAggregate"
        )
    );
    assert!(
        rejects[1].reason.contains("MD5 trailer"),
        "{}",
        rejects[1].reason
    );
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(&rejects[1].data)
            .unwrap(),
        corrupted
    );
    assert_eq!(metric(&metrics, "KinesisRecords"), 4);
    assert_eq!(metric(&metrics, "UserRecords"), 5);
    assert_eq!(metric(&metrics, "RecordsRejected"), 2);
}

#[tokio::test]
async fn a_failure_inside_an_aggregate_is_reported_at_the_aggregates_sequence_number() {
    // GIVEN three aggregates of 100 user records and a store that throttles every write holding
    //   the 150th user record (in the second aggregate: transient, never the record's fault) until
    //   it is fixed
    let store = Oxigraph::start();
    let (deps, _metrics) = store_deps(
        &store,
        &[
            ("BATCH_WRITE_SIZE", "10"),
            ("RETRY_MAX_ATTEMPTS", "2"),
            ("RETRY_BASE_DELAY_MS", "1"),
            ("RETRY_MAX_DELAY_MS", "5"),
        ],
    );
    let poisoned = sparql::person_iri("x150");
    let deps = faulty(
        deps,
        Box::new(move |query: &str| {
            query
                .contains(&poisoned)
                .then(|| store_error(500, "ThrottlingException"))
        }),
    );
    let records: Vec<TestRecord> = (0..3)
        .map(|a| {
            let users: Vec<(String, String)> = (a * 100..(a + 1) * 100)
                .map(|i| (format!("key{}", i % 7), format!("x{i},y{i},2016-05-21")))
                .collect();
            test_record(a, &format!("agg{a}"), aggregate(&users))
        })
        .collect();

    // WHEN the event is handled
    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
            .await
            .unwrap();

    // THEN the response names the second aggregate, and the first one is in the store
    assert_eq!(
        failures(&response),
        vec![records[1].sequence_number.clone()]
    );
    let present = follows(&store).await;
    for i in 0..100 {
        assert!(
            present.contains(&pair(&format!("x{i}"), &format!("y{i}"))),
            "x{i}"
        );
    }
    assert!(!present.contains(&pair("x150", "y150")));

    // WHEN the store is fixed and Lambda delivers again from the second aggregate
    *deps.store.fault.lock().unwrap() = Box::new(|_| None);
    let response =
        stream2neptune_writer::handle(&deps, invocation(&records[1..], ENGINE_INVOCATION_TIME))
            .await
            .unwrap();

    // THEN every user record is in the store exactly once
    assert_eq!(failures(&response), Vec::<String>::new());
    assert_eq!(store.edges().await, 300);
    assert_eq!(follows(&store).await.len(), 300);
}
