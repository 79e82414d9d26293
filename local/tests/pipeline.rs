//! Local mode end to end against real kinesis-mock and Oxigraph processes: the demo's summary
//! line and report, and the event source mapping's delivery guarantees under faults.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use common::*;
use stream2neptune_local::edge_store::EdgeStore as _;
use stream2neptune_local::esm::destination::{Condition, OnFailureDestination, OnFailureShape};
use stream2neptune_local::redrive::redrive;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_killed_mid_run_and_restarted_every_edge_is_present_once() {
    // GIVEN a 2-shard stream with 3,000 edges and a mapping writing them, retrying until the
    // records expire (MaximumRetryAttempts -1, Lambda's default: an outage longer than the retry
    // budget would otherwise send batches to the on-failure destination, as it does on AWS)
    let mut h = Harness::start(plan(&[
        "ShardCount=2",
        "BatchReadSize=100",
        "BatchWriteSize=25",
        "MaximumRetryAttempts=-1",
    ]))
    .await;
    let records = edges(3000, 300);
    let mut mapping = h.mapping(h.quick_retry_deps()).await;
    h.put(&records).await;

    // WHEN the store is killed once some edges are written, and restarted 2 s later
    let written = || h.metrics.written.load(std::sync::atomic::Ordering::Relaxed);
    for _ in 0..200 {
        if written() > 300 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        written() < 3000,
        "the store must die mid-run (written {})",
        written()
    );
    h.stack.store.kill().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    h.stack.store.restart().await.unwrap();
    drained(&mut mapping).await;
    mapping.stop().await.unwrap();

    // THEN retries carried on: every edge is present exactly once, nothing went to on-failure
    assert_eq!(h.stack.state.on_failure_paths().batches().unwrap(), 0);
    let expected: HashSet<_> = records.iter().map(|(_, body)| pair_of(body)).collect();
    let stored = h.pairs().await;
    assert_eq!(
        stored.len(),
        expected.len(),
        "missing: {:?}",
        expected.difference(&stored).take(5).collect::<Vec<_>>()
    );
    assert_eq!(stored, expected);
    let counts = h.stack.store_client().edge_counts().await.unwrap();
    assert_eq!((counts.follows, counts.duplicated()), (3000, 0));
    assert!(
        h.metrics.retries.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "the outage must have caused retries"
    );
    assert_eq!(h.stack.state.on_failure_paths().batches().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_percent_malformed_records_are_rejected_with_reasons_and_no_shard_stalls() {
    // GIVEN 2,000 records on 2 shards, 20 of them malformed in different ways
    let h = Harness::start(plan(&["ShardCount=2", "BatchReadSize=200"])).await;
    let mut records = edges(2000, 200);
    let bad: [&[u8]; 4] = [
        b"p1,only-two-columns",
        b"p1,q1,not-a-date",
        b",q2,2019-01-01",
        b"\xff\xfe,q3,2019-01-01",
    ];
    let mut bad_keys = HashSet::new();
    for i in 0..20 {
        let index = i * 100 + 37;
        records[index].1 = bad[i % bad.len()].to_vec();
        bad_keys.insert(index);
    }
    let mut mapping = h.mapping(h.deps(&[])).await;

    // WHEN they go through the stream
    h.put(&records).await;
    drained(&mut mapping).await;
    let ages = h.metrics.iterator_ages();
    mapping.stop().await.unwrap();

    // THEN the malformed ones are in the rejected file with reasons, the rest is written
    let rejected = h.rejected_lines();
    assert_eq!(rejected.len(), 20, "{rejected:?}");
    for r in &rejected {
        assert!(
            !r["reason"].as_str().unwrap().is_empty() && r["sequenceNumber"].as_str().is_some(),
            "{r}"
        );
        assert!(
            r["shardId"].as_str().unwrap().starts_with("shardId-"),
            "{r}"
        );
    }
    let codes: HashSet<&str> = rejected
        .iter()
        .map(|r| r["reasonCode"].as_str().unwrap())
        .collect();
    assert!(codes.len() >= 3, "different reasons expected: {codes:?}");
    let expected: HashSet<_> = records
        .iter()
        .enumerate()
        .filter(|(i, _)| !bad_keys.contains(i))
        .map(|(_, (_, body))| pair_of(body))
        .collect();
    assert_eq!(h.pairs().await, expected);
    // AND no shard stalls: every shard's iterator age is back to zero
    assert_eq!(ages.len(), 2, "{ages:?}");
    assert!(ages.values().all(|age| *age == 0), "iterator ages {ages:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivery_after_a_lost_checkpoint_leaves_the_same_graph() {
    // GIVEN 1,000 edges written once
    let h = Harness::start(plan(&["ShardCount=2", "BatchReadSize=100"])).await;
    h.put(&edges(1000, 50)).await;
    let mut mapping = h.mapping(h.deps(&[])).await;
    drained(&mut mapping).await;
    let status = mapping.status();
    mapping.stop().await.unwrap();
    let first = h.triples().await;
    assert!(
        status.values().all(|s| s.checkpoint.is_some()),
        "{status:?}"
    );

    // WHEN the checkpoints are lost (a crash before they were saved) and the mapping restarts
    std::fs::remove_dir_all(h.stack.state.checkpoints()).unwrap();
    let invocations_before = h
        .metrics
        .invocations
        .load(std::sync::atomic::Ordering::Relaxed);
    let mut mapping = h.mapping(h.deps(&[])).await;
    drained(&mut mapping).await;
    mapping.stop().await.unwrap();

    // THEN every record was delivered again and the graph is the same
    let written = h.metrics.written.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(written, 2000, "each edge written twice in all");
    assert!(
        h.metrics
            .invocations
            .load(std::sync::atomic::Ordering::Relaxed)
            > invocations_before
    );
    assert_eq!(h.triples().await, first);
}

/// Lambda's documented on-failure record (see tests/fixtures/README.md).
fn lambda_on_failure_example() -> serde_json::Value {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/lambda-on-failure-kinesis.json"),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Lambda's documented record for an S3 on-failure destination (see tests/fixtures/README.md).
fn lambda_on_failure_example_s3() -> serde_json::Value {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/lambda-on-failure-kinesis-s3.json"),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Same keys at every level and the same JSON types (null standing for a string).
fn assert_same_shape(lambda: &serde_json::Value, ours: &serde_json::Value, at: &str) {
    use serde_json::Value;
    match (lambda, ours) {
        (Value::Object(a), Value::Object(b)) => {
            let keys =
                |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<HashSet<_>>();
            assert_eq!(keys(a), keys(b), "keys of {at}: {ours}");
            for (key, value) in a {
                assert_same_shape(value, &b[key], &format!("{at}.{key}"));
            }
        }
        (Value::String(_), Value::Null) => {}
        (a, b) => assert_eq!(
            std::mem::discriminant(a),
            std::mem::discriminant(b),
            "type of {at}: {a} vs {b}"
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_finite_retries_a_key_that_always_fails_discards_the_rest_of_its_batch_as_lambda_does()
{
    a_key_that_always_fails_discards_the_rest_of_its_batch("sparql").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gremlin_with_finite_retries_a_key_that_always_fails_discards_the_rest_of_its_batch() {
    a_key_that_always_fails_discards_the_rest_of_its_batch("gremlin").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opencypher_with_finite_retries_a_key_that_always_fails_discards_the_rest_of_its_batch() {
    a_key_that_always_fails_discards_the_rest_of_its_batch("opencypher").await;
}

/// What every write of key `id` holds in the writer's request text, per language: SPARQL names the person's IRI,
/// Gremlin quotes the id as a literal, openCypher carries it in the form-encoded `parameters` JSON (`"from":"id"`).
fn write_of_key(language: &str, id: &str) -> String {
    match language {
        "sparql" => stream2neptune_writer::sparql::person_iri(id),
        "gremlin" => format!("'{id}'"),
        "opencypher" => format!("%22from%22%3A%22{id}%22"),
        other => panic!("no query language {other}"),
    }
}

/// With MaximumRetryAttempts 2 in `language`'s store, the batches holding a key the store always refuses go to the
/// on-failure destination whole, as Lambda sends them.
async fn a_key_that_always_fails_discards_the_rest_of_its_batch(language: &str) {
    // GIVEN one shard, MaximumRetryAttempts 2 (accepted with a warning), bisection on, and a
    // store denying every write of key `bad`
    let language_set = format!("QueryLanguage={language}");
    let h = Harness::start(plan(&[
        &language_set,
        "ShardCount=1",
        "BatchReadSize=100",
        "BatchWriteSize=10",
        "MaximumRetryAttempts=2",
        "BisectBatchOnFunctionError=true",
        "OnFailureDestination=sqs",
    ]))
    .await;
    let mut records = edges(400, 40);
    let bad_indexes = [13usize, 150, 151, 299];
    for &i in &bad_indexes {
        records[i] = ("bad".into(), format!("bad,r{i},2019-05-05").into_bytes());
    }
    let (deps, _) = FaultyStore::wrap(
        h.deps(&[("STOP_WAIT_MS", "0")]),
        Some(write_of_key(language, "bad")),
    );
    let mut mapping = h.mapping(deps).await;

    // WHEN the records go through
    h.put(&records).await;
    drained(&mut mapping).await;
    let status = mapping.status();
    mapping.stop().await.unwrap();

    // THEN each partial response naming a `bad` record was retried whole from it, never halved,
    // 1 + 2 times, and then that record and the rest of its batch went to the on-failure file
    // in Lambda's own shape
    let lambda = lambda_on_failure_example();
    let lines = read_jsonl(&h.stack.state.on_failure());
    assert!(
        !lines.is_empty() && lines.len() <= bad_indexes.len(),
        "{language}: {lines:#?}"
    );
    for line in &lines {
        assert_same_shape(&lambda, line, "");
    }
    let failures = OnFailureDestination::read_all(&h.stack.state.on_failure()).unwrap();
    for f in &failures {
        assert_eq!(
            f.request_context.condition,
            Condition::RetryAttemptsExhausted
        );
        assert_eq!(f.request_context.approximate_invoke_count, 3);
        assert_eq!(
            f.response_context.function_error, None,
            "a partial response"
        );
        assert_eq!(f.version, "1.0");
        assert_eq!(f.kinesis_batch_info.shard_id, "shardId-000000000000");
        assert!(
            f.request_context
                .function_arn
                .ends_with(":function:stream2neptune-local-writer"),
            "{}",
            f.request_context.function_arn
        );
    }
    // AND what was discarded is more than the bad records: good ones after them in their batch,
    // which only the on-failure file now names (what the MaximumRetryAttempts warning says)
    let discarded: usize = failures
        .iter()
        .map(|f| f.kinesis_batch_info.batch_size)
        .sum();
    let stored = h.pairs().await;
    assert!(
        discarded > bad_indexes.len(),
        "{language}: discarded {discarded}"
    );
    assert_eq!(
        stored.len() + discarded,
        records.len(),
        "{language}: every record written or discarded"
    );
    let store = h.stack.store_client();
    let good: HashSet<_> = records
        .iter()
        .filter(|(key, _)| key != "bad")
        .map(|(_, body)| {
            let (from, to) = split_edge(body);
            (store.person(from), store.person(to))
        })
        .collect();
    assert!(stored.is_subset(&good), "{language}");
    assert!(
        status
            .values()
            .all(|s| s.in_flight == 0 && s.checkpoint.is_some()),
        "{status:?}"
    );
    assert!(h.rejected_lines().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_batches_in_both_shapes_are_replayed_once_by_redrive_after_the_store_is_fixed() {
    // GIVEN one shard, MaximumRetryAttempts 1, a store denying every write of key `bad`, and the on-failure
    // destination in the sqs shape (ranges only) for the first 200 records, in the s3 shape (whole batches) after
    let mut h = Harness::start(plan(&[
        "ShardCount=1",
        "BatchReadSize=50",
        "BatchWriteSize=10",
        "MaximumRetryAttempts=1",
        "OnFailureDestination=sqs",
    ]))
    .await;
    assert_eq!(h.stack.plan.esm.on_failure, OnFailureShape::Sqs);
    let mut records = edges(400, 40);
    for i in [13usize, 120, 250, 333] {
        records[i] = ("bad".into(), format!("bad,r{i},2019-05-05").into_bytes());
    }
    for (part, shape) in [
        (0..200, OnFailureShape::Sqs),
        (200..400, OnFailureShape::S3),
    ] {
        h.stack.plan.esm.on_failure = shape;
        let (deps, _) = FaultyStore::wrap(
            h.deps(&[("STOP_WAIT_MS", "0")]),
            Some(stream2neptune_writer::sparql::person_iri("bad")),
        );
        let mut mapping = h.mapping(deps).await;
        h.put(&records[part]).await;
        drained(&mut mapping).await;
        mapping.stop().await.unwrap();
    }

    // THEN the batches holding a `bad` record went to the on-failure destination in Lambda's two shapes
    let paths = h.stack.state.on_failure_paths();
    let lines = read_jsonl(&paths.records);
    assert!(!lines.is_empty() && lines.len() <= 2, "{lines:#?}");
    for line in &lines {
        assert_same_shape(&lambda_on_failure_example(), line, "");
    }
    let objects = OnFailureDestination::read_objects(&paths.objects).unwrap();
    assert!(!objects.is_empty() && objects.len() <= 2, "{objects:#?}");
    let lambda_s3 = lambda_on_failure_example_s3();
    for (path, _) in &objects {
        let object: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        assert_same_shape(&lambda_s3, &object, "");
    }
    let discarded: usize = OnFailureDestination::read_all(&paths.records)
        .unwrap()
        .iter()
        .map(|f| f.kinesis_batch_info.batch_size)
        .chain(
            objects
                .iter()
                .map(|(_, o)| o.as_ref().unwrap().payload.records.len()),
        )
        .sum();
    assert!(
        discarded > 4,
        "good records after the bad ones too: {discarded}"
    );
    assert_eq!(h.pairs().await.len() + discarded, records.len());

    // WHEN the store is fixed and the failed batches are replayed
    let timeout = h.stack.plan.esm.function_timeout;
    let outcomes = redrive(&h.deps(&[]), &h.stack.client, &paths, timeout)
        .await
        .unwrap();

    // THEN every batch was written (ranges read back from the stream, payloads as stored) and its record removed
    assert!(outcomes.iter().all(|o| o.written.is_ok()), "{outcomes:#?}");
    let replayed: usize = outcomes.iter().map(|o| *o.written.as_ref().unwrap()).sum();
    assert_eq!(replayed, discarded, "{outcomes:#?}");
    for shape in ["sqs", "s3"] {
        assert!(outcomes.iter().any(|o| o.shape == shape), "{outcomes:#?}");
    }
    assert!(read_jsonl(&paths.records).is_empty());
    assert!(
        OnFailureDestination::read_objects(&paths.objects)
            .unwrap()
            .is_empty()
    );
    // AND nothing is lost and nothing doubled, counted by the store
    let expected: HashSet<_> = records.iter().map(|(_, body)| pair_of(body)).collect();
    assert_eq!(h.pairs().await, expected);
    let counts = h.stack.store_client().edge_counts().await.unwrap();
    assert_eq!((counts.follows, counts.duplicated()), (400, 0));

    // WHEN redrive runs again THEN it finds nothing and the graph is the same
    let again = redrive(&h.deps(&[]), &h.stack.client, &paths, timeout)
        .await
        .unwrap();
    assert!(again.is_empty(), "{again:#?}");
    let counts = h.stack.store_client().edge_counts().await.unwrap();
    assert_eq!((counts.follows, counts.duplicated()), (400, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redrive_of_a_range_the_stream_no_longer_holds_names_it_and_keeps_the_record() {
    // GIVEN an sqs-shaped failure record whose range is not on the stream (as after the retention)
    let h = Harness::start(plan(&["ShardCount=1"])).await;
    h.put(&edges(3, 3)).await;
    let paths = h.stack.state.on_failure_paths();
    let mut record = lambda_on_failure_example();
    let arn = h
        .stack
        .client
        .describe_stream_summary()
        .stream_name(&h.stack.plan.stream_name)
        .send()
        .await
        .unwrap()
        .stream_description_summary()
        .unwrap()
        .stream_arn()
        .to_owned();
    record["KinesisBatchInfo"]["streamArn"] = arn.into();
    record["KinesisBatchInfo"]["shardId"] = "shardId-000000000000".into();
    let line = format!("{record}\n");
    std::fs::write(&paths.records, &line).unwrap();

    // WHEN redrive runs
    let outcomes = redrive(
        &h.deps(&[]),
        &h.stack.client,
        &paths,
        Duration::from_secs(10),
    )
    .await
    .unwrap();

    // THEN it names the shard and the range, and keeps the record
    assert_eq!(outcomes.len(), 1, "{outcomes:#?}");
    let reason = outcomes[0].written.as_ref().unwrap_err();
    for part in [
        "shardId-000000000000",
        "49601189658422359378836298521827638475320189012309704722",
        "49601189658422359378836298522902373528957594348623495186",
    ] {
        assert!(reason.contains(part), "{reason}");
    }
    assert_eq!(std::fs::read_to_string(&paths.records).unwrap(), line);
    assert!(h.pairs().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_defaults_a_broken_policy_or_a_store_refusing_everything_loses_nothing() {
    // GIVEN the shipped defaults (MaximumRetryAttempts -1, record age just below the retention)
    // and a store that first denies access, then refuses every write as malformed
    let h = Harness::start(plan(&[
        "ShardCount=2",
        "BatchReadSize=100",
        "BatchWriteSize=20",
    ]))
    .await;
    assert_eq!(h.stack.plan.esm.maximum_retry_attempts, None);
    let records = edges(300, 30);
    let (deps, _) = FaultyStore::wrap(h.deps(&[("STOP_WAIT_MS", "200")]), None);
    let outage = std::sync::Arc::clone(&deps.store.outage);
    outage.store(ACCESS_DENIED, std::sync::atomic::Ordering::Relaxed);
    let mut mapping = h.mapping(deps).await;
    h.put(&records).await;

    // WHEN the outage lasts a while in each form
    tokio::time::sleep(Duration::from_secs(2)).await;
    outage.store(REFUSING_ALL, std::sync::atomic::Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(2)).await;

    // THEN nothing moved: no checkpoint, nothing rejected, nothing sent to on-failure
    let invocations = h
        .metrics
        .invocations
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(invocations >= 4, "{invocations} invocations");
    assert!(
        mapping.status().values().all(|s| s.checkpoint.is_none()),
        "{:?}",
        mapping.status()
    );
    assert!(h.rejected_lines().is_empty(), "{:?}", h.rejected_lines());
    assert_eq!(h.stack.state.on_failure_paths().batches().unwrap(), 0);

    // WHEN the environment is fixed
    outage.store(WORKING, std::sync::atomic::Ordering::Relaxed);
    drained(&mut mapping).await;
    mapping.stop().await.unwrap();

    // THEN every record is written once, none rejected, none discarded
    let expected: HashSet<_> = records.iter().map(|(_, body)| pair_of(body)).collect();
    let stored = h.pairs().await;
    assert_eq!(
        stored.len(),
        expected.len(),
        "missing: {:?}",
        expected.difference(&stored).take(5).collect::<Vec<_>>()
    );
    assert_eq!(stored, expected);
    assert!(h.rejected_lines().is_empty());
    assert_eq!(h.stack.state.on_failure_paths().batches().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_write_wins_per_key_with_parallelization_factor_above_one() {
    // GIVEN one shard read by 4 lanes, 2 write lanes per invocation, and 19 keys each updating
    // property `v` of one edge 40 times, interleaved (19 keys: no key follows a fixed lane by position)
    let h = Harness::start(plan(&[
        "ShardCount=1",
        "ParallelizationFactor=4",
        "BatchReadSize=30",
        "BatchWriteSize=5",
        "WriteConcurrency=2",
    ]))
    .await;
    let mut records = Vec::new();
    for v in 0..40 {
        for k in 0..19 {
            let body = format!(r#"{{"from":"k{k}","to":"target","created":"2019-01-01","v":{v}}}"#);
            records.push((format!("k{k}"), body.into_bytes()));
        }
    }
    let (deps, submitted) = FaultyStore::wrap(h.deps(&[]), None);
    let mut mapping = h.mapping(deps).await;

    // WHEN they go through the stream
    h.put(&records).await;
    drained(&mut mapping).await;
    mapping.stop().await.unwrap();

    // THEN the store holds exactly one value of `v` per edge: the last one sent for its key
    let rows = h
        .sparql()
        .select(
            &format!(
                "SELECT ?e ?v WHERE {{ ?e <{}property/v> ?v }}",
                stream2neptune_writer::sparql::BASE
            ),
            &["e", "v"],
        )
        .await
        .unwrap();
    let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        values
            .entry(row[0].clone())
            .or_default()
            .push(row[1].clone());
    }
    assert_eq!(values.len(), 19, "{values:?}");
    assert!(values.values().all(|v| v == &["39"]), "{values:?}");
    // AND no write of a key ever went back to an older value (each key's writes reached the
    // store in stream order), read from the INSERT DATA triples of the submitted updates
    let mut last: BTreeMap<String, i64> = BTreeMap::new();
    for query in submitted.lock().unwrap().iter() {
        for line in query
            .lines()
            .filter(|l| l.starts_with('<') && l.contains("/property/v> "))
        {
            let subject = line[1..line.find('>').unwrap()].to_owned();
            let value: i64 = line.split('"').nth(1).unwrap().parse().unwrap();
            let previous = last.insert(subject.clone(), value);
            assert!(
                previous.is_none_or(|p| p <= value),
                "{subject}: {value} written after {previous:?}"
            );
        }
    }
    assert_eq!(last.len(), 19, "{last:?}");
    assert!(last.values().all(|v| *v == 39), "{last:?}");
    assert!(
        h.metrics
            .invocations
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 20 * 40 / 30
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_older_than_the_maximum_age_go_to_on_failure_unwritten() {
    // GIVEN records put 2 s before the mapping starts, with a 1 s maximum record age
    let mut p = plan(&["ShardCount=1", "OnFailureDestination=sqs"]);
    p.esm.maximum_record_age = Some(Duration::from_secs(1));
    let h = Harness::start(p).await;
    h.put(&edges(50, 10)).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;

    // WHEN the mapping reads them
    let mut mapping = h.mapping(h.deps(&[])).await;
    drained(&mut mapping).await;
    mapping.stop().await.unwrap();

    // THEN they are discarded to the on-failure file and not written
    let failures = OnFailureDestination::read_all(&h.stack.state.on_failure()).unwrap();
    let discarded: usize = failures
        .iter()
        .map(|f| f.kinesis_batch_info.batch_size)
        .sum();
    assert_eq!(discarded, 50, "{failures:#?}");
    assert!(
        failures
            .iter()
            .all(|f| f.request_context.condition == Condition::RecordAgeExceeded)
    );
    let lambda = lambda_on_failure_example();
    for line in read_jsonl(&h.stack.state.on_failure()) {
        assert_same_shape(&lambda, &line, "");
    }
    assert!(h.pairs().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_stop_when_the_stack_is_dropped() {
    // GIVEN a running stack
    let h = Harness::start(plan(&["ShardCount=1"])).await;
    let ports = [h.stack.kinesis.port, h.stack.store.port];
    for port in ports {
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
            "port {port} should answer"
        );
    }
    // WHEN it is dropped (as on Ctrl-C or a panic)
    drop(h);
    // THEN both services stop listening
    let started = std::time::Instant::now();
    while ports
        .iter()
        .any(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_ok())
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "services still listening on {ports:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `person` vertices in a property-graph store, counted in its own language.
async fn persons(h: &Harness) -> u64 {
    use stream2neptune_local::store::StoreClient;
    match h.stack.store_client() {
        StoreClient::Gremlin(c) => c.submit("g.V().hasLabel('person').count()").await.unwrap()[0]
            .as_u64()
            .unwrap(),
        StoreClient::OpenCypher(c) => c
            .query_with(
                "MATCH (n:person) RETURN count(n) AS n",
                &serde_json::json!({}),
            )
            .await
            .unwrap()[0]["n"]
            .as_u64()
            .unwrap(),
        StoreClient::Sparql(_) => unreachable!("a property-graph store"),
    }
}

/// The local pipeline in `language` (one engine start per test): the people loaded, 2,000 edges with 1 %
/// malformed through 2 shards, counted by the store in its own language; then the checkpoints are lost and the
/// redelivery leaves the same graph; then the store goes away mid-run and comes back, and no edge is lost or
/// written twice.
async fn pipeline_writes_each_edge_once_through_redelivery_and_a_store_outage(language: &str) {
    // GIVEN the stack in `language` with the data set's 200 people loaded
    let language_set = format!("QueryLanguage={language}");
    let mut h = Harness::start(plan(&[
        &language_set,
        "ShardCount=2",
        "BatchReadSize=200",
        "BatchWriteSize=50",
    ]))
    .await;
    let store = h.stack.store_client();
    let dir = tempfile::tempdir().unwrap();
    let dataset = stream2neptune_workload::dataset::generate(
        &stream2neptune_workload::dataset::DatasetConfig::from_args(
            &stream2neptune_workload::dataset::DatasetArgs {
                people: 200,
                follows: 10,
                seed: 1,
                out: dir.path().to_owned(),
                zipf_exponent: 1.0,
                start: "2018-01-01".into(),
                end: "2018-12-31".into(),
                gzip_level: 1,
            },
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(store.load_people(&dataset).await.unwrap(), 200);
    assert_eq!(persons(&h).await, 200, "{language}: people loaded");

    // WHEN 2,000 edges from those people (and p0), 20 of them malformed, go through the stream
    let mut records = edges(2000, 200);
    let mut malformed = HashSet::new();
    for i in 0..20 {
        records[i * 100 + 37].1 = b"p1,only-two-columns".to_vec();
        malformed.insert(i * 100 + 37);
    }
    let mut mapping = h.mapping(h.deps(&[])).await;
    h.put(&records).await;
    drained(&mut mapping).await;
    mapping.stop().await.unwrap();

    // THEN the store, asked in its own language, holds each valid edge once and the malformed ones are rejected
    let expected: HashSet<(String, String)> = records
        .iter()
        .enumerate()
        .filter(|(i, _)| !malformed.contains(i))
        .map(|(_, (_, body))| {
            let (from, to) = split_edge(body);
            (store.person(from), store.person(to))
        })
        .collect();
    let stored = h.pairs().await;
    assert_eq!(
        stored.len(),
        1980,
        "{language}: missing {:?}",
        expected.difference(&stored).take(5).collect::<Vec<_>>()
    );
    assert_eq!(stored, expected, "{language}");
    let counts = store.edge_counts().await.unwrap();
    assert_eq!(
        (counts.follows, counts.duplicated()),
        (1980, 0),
        "{language}"
    );
    assert_eq!(h.rejected_lines().len(), 20, "{language}");
    // AND the writer's vertices merged with the loaded people: p0..p200 and the 1,980 targets, each once
    assert_eq!(persons(&h).await, 201 + 1980, "{language}");

    // WHEN the checkpoints are lost and the mapping reads every record again
    std::fs::remove_dir_all(h.stack.state.checkpoints()).unwrap();
    let mut mapping = h.mapping(h.deps(&[])).await;
    drained(&mut mapping).await;
    mapping.stop().await.unwrap();

    // THEN the graph is the same
    assert_eq!(
        h.metrics.written.load(std::sync::atomic::Ordering::Relaxed),
        2 * 1980,
        "{language}: every valid edge written twice in all"
    );
    assert_eq!(store.edge_counts().await.unwrap(), counts, "{language}");
    assert_eq!(h.pairs().await, expected, "{language}");
    assert_eq!(persons(&h).await, 201 + 1980, "{language}");

    // WHEN 3,000 more edges go through and the store is taken away once some of them are written, without losing
    // a committed write (as Neptune's failover does), and started again 2 s later
    let more = edges(5000, 200).split_off(2000);
    let written = || h.metrics.written.load(std::sync::atomic::Ordering::Relaxed);
    let retries = || h.metrics.retries.load(std::sync::atomic::Ordering::Relaxed);
    let (written_before, retries_before) = (written(), retries());
    let mut mapping = h.mapping(h.quick_retry_deps()).await;
    h.put(&more).await;
    for _ in 0..500 {
        if written() - written_before > 300 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let at_outage = written() - written_before;
    assert!(
        at_outage > 0 && at_outage < 3000,
        "{language}: the store must go away mid-run (written {at_outage})"
    );
    h.stack.store.interrupt().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    h.stack.store.restart().await.unwrap();
    drained(&mut mapping).await;
    mapping.stop().await.unwrap();

    // THEN the writes were retried through the outage: every edge is present once and nothing went to on-failure
    let mut all = expected.clone();
    all.extend(more.iter().map(|(_, body)| {
        let (from, to) = split_edge(body);
        (store.person(from), store.person(to))
    }));
    let stored = h.pairs().await;
    assert_eq!(
        stored.len(),
        all.len(),
        "{language}: missing {:?}",
        all.difference(&stored).take(5).collect::<Vec<_>>()
    );
    assert_eq!(stored, all, "{language}");
    let counts = store.edge_counts().await.unwrap();
    assert_eq!(
        (counts.follows, counts.duplicated()),
        (1980 + 3000, 0),
        "{language}"
    );
    assert!(
        retries() > retries_before,
        "{language}: the outage must have caused retries"
    );
    assert_eq!(h.stack.state.on_failure_paths().batches().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gremlin_pipeline_into_gremlin_server_writes_each_edge_once_through_redelivery_and_a_store_outage()
 {
    pipeline_writes_each_edge_once_through_redelivery_and_a_store_outage("gremlin").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opencypher_pipeline_into_neo4j_writes_each_edge_once_through_redelivery_and_a_store_outage()
 {
    pipeline_writes_each_edge_once_through_redelivery_and_a_store_outage("opencypher").await;
}
