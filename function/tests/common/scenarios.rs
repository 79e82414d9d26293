//! What every store must show of the writer, written once over [`TestStore`]: 10,000 edges land exactly once and
//! a redelivery changes nothing; a store stopped mid-invocation gives the first unwritten record as checkpoint and
//! the retry from there completes; records the store refuses for their content are rejected once while the good
//! records around them on the same shard are written; the last write of an edge property wins, within an event,
//! across events and across lanes; every write contender of `make write-bench` (tools/bench/) leaves the graph the
//! writer leaves.

use std::time::Duration;

use super::store::{TestStore, store_deps};
use super::{
    ENGINE_INVOCATION_TIME, TestRecord, csv_records, deliver_whole, failures, invocation, metric,
    rejects_in, sequence_number, weight_record,
};

/// 10,000 CSV records over 50 partition keys, written in 4 lanes, land once each (with their endpoints), and the
/// same event delivered again leaves the graph as it was.
pub async fn ten_thousand_edges_land_once_and_a_redelivery_changes_nothing<S: TestStore>(
    store: &S,
) {
    let (deps, metrics) = store_deps(
        store,
        &[
            ("BATCH_WRITE_SIZE", S::BULK_BATCH_WRITE_SIZE),
            ("WRITE_CONCURRENCY", "4"),
        ],
    );
    let records = csv_records(0..10_000);

    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
            .await
            .unwrap();
    assert_eq!(failures(&response), Vec::<String>::new());
    assert_eq!(store.edges().await, 10_000);
    assert_eq!(store.people().await, 10_001);
    let pairs = store.follows_pairs().await;
    assert_eq!(pairs.len(), 10_000);
    assert!(pairs.contains(&("p0".to_owned(), "p1".to_owned())));
    assert!(pairs.contains(&("p9999".to_owned(), "p10000".to_owned())));
    assert_eq!(metric(&metrics, "EdgesWritten"), 10_000);
    let graph = store.snapshot().await;

    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
            .await
            .unwrap();
    assert_eq!(failures(&response), Vec::<String>::new());
    assert_eq!(store.people().await, 10_001);
    assert_eq!(store.snapshot().await, graph);
}

/// 3,000 records in batches of 10, and the store stopped once 300 edges are in: the response names one record,
/// every record before it is in the store (after a restart), at most the batch in flight landed past it, and
/// Lambda's retry from that checkpoint writes everything once.
pub async fn a_store_stopped_mid_invocation_gives_the_first_unwritten_record_and_the_retry_completes<
    S: TestStore,
>(
    store: &mut S,
) {
    let (deps, metrics) = store_deps(
        store,
        &[
            ("BATCH_WRITE_SIZE", "10"),
            ("RETRY_MAX_ATTEMPTS", "3"),
            ("RETRY_BASE_DELAY_MS", "10"),
            ("RETRY_MAX_DELAY_MS", "50"),
        ],
    );
    let records = csv_records(0..3_000);
    let stopper = async {
        while store.edges().await < 300 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        store.stop();
    };
    let (response, ()) = tokio::join!(
        stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME)),
        stopper
    );
    let failed = failures(&response.unwrap());
    assert_eq!(failed.len(), 1, "{failed:?}");
    let checkpoint = records
        .iter()
        .position(|r| r.sequence_number == failed[0])
        .unwrap();
    assert!(
        (300..3_000).contains(&checkpoint),
        "checkpoint {checkpoint}"
    );
    assert!(metric(&metrics, "BatchesFailed") >= 1);

    store.restart();
    let present = store.follows_pairs().await;
    for i in 0..checkpoint {
        assert!(
            present.contains(&(format!("p{i}"), format!("p{}", i + 1))),
            "record {i} before the checkpoint is missing"
        );
    }
    assert!(
        present.len() <= checkpoint + 10,
        "{} edges, checkpoint {checkpoint}",
        present.len()
    );

    let response = stream2neptune_writer::handle(
        &deps,
        invocation(&records[checkpoint..], ENGINE_INVOCATION_TIME),
    )
    .await
    .unwrap();
    assert_eq!(failures(&response), Vec::<String>::new());
    assert_eq!(store.edges().await, 3_000);
    assert_eq!(store.people().await, 3_001);
}

/// Each of `refused` (a JSON record the store refuses, and a part of the store's answer) between good records on one
/// partition key (one lane, writes of 4), and a record refused at decode (a property named `~label`): one delivery
/// writes every good record, rejects each bad one once (`StoreRefused` naming the store's answer, `BadJson` for the
/// decoded one) and names no record in the response.
pub async fn records_the_store_refuses_are_rejected_once_and_the_good_ones_around_them_written<
    S: TestStore,
>(
    store: &S,
    refused: &[(serde_json::Value, &str)],
) {
    let dir = tempfile::tempdir().unwrap();
    let rejects_file = dir.path().join("rejects.jsonl");
    let (deps, metrics) = store_deps(
        store,
        &[
            ("BATCH_WRITE_SIZE", "4"),
            ("RETRY_MAX_ATTEMPTS", "2"),
            ("RETRY_BASE_DELAY_MS", "1"),
            ("RETRY_MAX_DELAY_MS", "5"),
            ("REJECTED_RECORDS_FILE", rejects_file.to_str().unwrap()),
        ],
    );
    let hidden_key =
        serde_json::json!({"from": "h", "to": "k", "created": "2016-05-21", "~label": "x"});
    let bad: Vec<(&serde_json::Value, Option<&str>)> = refused
        .iter()
        .map(|(record, answer)| (record, Some(*answer)))
        .chain([(&hidden_key, None)])
        .collect();
    // good, good, bad, good, good, bad, ..., good, good
    let mut records = Vec::new();
    let mut good = Vec::new();
    let mut expected = Vec::new();
    let mut push = |data: Vec<u8>| {
        records.push(TestRecord {
            partition_key: "one-shard".into(),
            sequence_number: sequence_number(records.len()),
            data,
        });
        sequence_number(records.len() - 1)
    };
    for i in 0..=bad.len() {
        for _ in 0..2 {
            let (from, to) = (format!("g{}", good.len()), format!("g{}", good.len() + 1));
            push(format!("{from},{to},2016-05-21").into_bytes());
            good.push((from, to));
        }
        if let Some((record, answer)) = bad.get(i) {
            expected.push((push(serde_json::to_vec(record).unwrap()), *answer));
        }
    }

    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
            .await
            .unwrap();

    assert_eq!(failures(&response), Vec::<String>::new());
    let rejects = rejects_in(&rejects_file);
    assert_eq!(
        rejects.len(),
        expected.len(),
        "{:?}",
        rejects.iter().map(|r| &r.reason).collect::<Vec<_>>()
    );
    for (reject, (sequence, answer)) in rejects.iter().zip(&expected) {
        assert_eq!(&reject.sequence_number, sequence);
        match answer {
            Some(answer) => {
                assert_eq!(reject.reason_code, "StoreRefused", "{}", reject.reason);
                assert!(
                    reject.reason.contains(answer),
                    "{} does not name the store's answer {answer:?}",
                    reject.reason
                );
            }
            None => assert!(
                reject.reason_code == "BadJson" && reject.reason.contains("`~label`"),
                "{}",
                reject.reason
            ),
        }
    }
    assert_eq!(metric(&metrics, "RecordsRejected"), expected.len() as u64);
    assert_eq!(metric(&metrics, "EnvironmentRefusals"), 0);
    let pairs = store.follows_pairs().await;
    for pair in &good {
        assert!(pairs.contains(pair), "{pair:?} was not written");
    }
    assert_eq!(store.edges().await, good.len() as u64);
}

/// 300 edges whose ids need the writer's escaping (`-` and `%` in the Gremlin/openCypher edge id, non-ASCII in the
/// SPARQL IRIs), half with a date and half with a date-time, written by the writer and then, on the emptied
/// store, by each write contender of the store's language (tools/bench/, 4 clients, batches of 50): the store then
/// holds exactly the writer's graph, the same ids and properties, so the contenders race the writer on the same
/// upserts. `bolt` is Neo4j's Bolt URL for the driver contender.
pub async fn every_write_contender_leaves_the_writers_graph<S: TestStore>(
    store: &S,
    bolt: Option<&str>,
) {
    let lines: Vec<String> = (0..300)
        .map(|i| {
            let date = if i % 2 == 0 {
                "2016-05-21"
            } else {
                "2016-05-21T10:11:12Z"
            };
            format!("a-{}%,ü{},{date}", i % 40, i)
        })
        .collect();
    let records: Vec<_> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| super::TestRecord {
            partition_key: line.split(',').next().unwrap().to_owned(),
            sequence_number: super::sequence_number(i),
            data: line.clone().into_bytes(),
        })
        .collect();
    store.clear().await;
    let (deps, _) = store_deps(store, &[("BATCH_WRITE_SIZE", "50")]);
    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
            .await
            .unwrap();
    assert_eq!(failures(&response), Vec::<String>::new());
    assert_eq!(store.edges().await, 300);
    let graph = store.snapshot().await;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("follows.csv");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let contenders: Vec<_> = stream2neptune_engines::contenders::of(S::QUERY_LANGUAGE).collect();
    assert!(!contenders.is_empty());
    for contender in contenders {
        store.clear().await;
        let run = contender
            .run(&store.url(), bolt, &file, 50, 4)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(run.edges, 300, "{}", contender.name);
        assert_eq!(store.snapshot().await, graph, "{}", contender.name);
    }
}

/// The last write of an edge's property wins, whatever the batch: three weights of one edge in one event, in writes
/// of 100, 2 and 1 records, delivered twice, leave the edge once with the third weight and a redelivery leaves the
/// graph as it was; the first weight redelivered alone wins again (the last write, not the largest value). With
/// WRITE_CONCURRENCY=4, 40 keys each updating their own edge to one hub 25 times, interleaved in the stream, in
/// writes of 3: each edge ends with its key's last weight (per-key order across lanes). `settings` go into every
/// writer's environment (a Gremlin upsert style and batch form, say).
pub async fn the_last_property_write_wins_within_and_across_events_and_lanes_keep_per_key_order<
    S: TestStore,
>(
    store: &S,
    settings: &[(&str, &str)],
) {
    for batch in ["100", "2", "1"] {
        store.clear().await;
        let (deps, _) = store_deps(store, &[settings, &[("BATCH_WRITE_SIZE", batch)]].concat());
        let records: Vec<_> = (1..=3).map(|w| weight_record(w, "a", "b", w)).collect();
        let mut first = None;
        for delivery in 1..=2 {
            deliver_whole(&deps, &records, &format!("{settings:?}")).await;
            assert_eq!(store.edges().await, 1, "{settings:?} batch {batch}");
            assert_eq!(
                store.weights("a", "b").await,
                ["3"],
                "{settings:?} batch {batch}"
            );
            let snapshot = store.snapshot().await;
            match &first {
                None => first = Some(snapshot),
                Some(first) => assert_eq!(
                    &snapshot, first,
                    "{settings:?} batch {batch}: delivery {delivery} changed the graph"
                ),
            }
        }
        deliver_whole(&deps, &records[..1], &format!("{settings:?}")).await;
        assert_eq!(
            store.weights("a", "b").await,
            ["1"],
            "{settings:?} batch {batch}"
        );
    }

    store.clear().await;
    let (deps, _) = store_deps(
        store,
        &[
            settings,
            &[("BATCH_WRITE_SIZE", "3"), ("WRITE_CONCURRENCY", "4")],
        ]
        .concat(),
    );
    let records: Vec<_> = (0..1_000)
        .map(|i| weight_record(i, &format!("k{}", i % 40), "hub", i / 40))
        .collect();
    deliver_whole(&deps, &records, &format!("{settings:?}")).await;
    assert_eq!(store.edges().await, 40, "{settings:?}");
    for key in 0..40 {
        assert_eq!(
            store.weights(&format!("k{key}"), "hub").await,
            ["24"],
            "{settings:?}: key k{key} ends with its last weight"
        );
    }
}
