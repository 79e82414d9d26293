//! The handler with QUERY_LANGUAGE=opencypher against Neo4j behind Neptune's openCypher HTTP form
//! (the `NeptuneOpenCypher` adapter), one server per test: writes land exactly once, a redelivery
//! changes nothing, CONDITIONAL_CREATE off adds new edges, hostile ids stay parameter values, a
//! stopped server gives a correct checkpoint, the last property write wins and lanes keep per-key
//! order. Counts use Cypher. `~id` is an ordinary (uniquely constrained) property on Neo4j.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::neo4j::CypherServer;
use common::*;

fn cypher_deps(
    server: &CypherServer,
    vars: &[(&str, &str)],
) -> (
    stream2neptune_writer::Deps,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    let url = server.url();
    let mut all = vec![
        ("NEPTUNE_ENDPOINT", url.as_str()),
        ("QUERY_LANGUAGE", "opencypher"),
    ];
    all.extend_from_slice(vars);
    deps(&all)
}

/// (edge ~id, from ~id, to ~id, properties) of every follows relationship, sorted.
async fn edge_table(server: &CypherServer) -> Vec<serde_json::Value> {
    server
        .query("MATCH (a)-[r:follows]->(b) RETURN r.`~id` AS id, a.`~id` AS out, b.`~id` AS in, properties(r) AS p ORDER BY id")
        .await
}

async fn clear(server: &CypherServer) {
    server.query("MATCH (n) DETACH DELETE n").await;
}

#[tokio::test]
async fn ten_thousand_edges_land_exactly_once_and_conditional_create_off_adds_new_edges() {
    // GIVEN Neo4j and 10,000 CSV records over 50 partition keys, written in 4 lanes
    let server = CypherServer::start();
    let (deps, metrics) = cypher_deps(
        &server,
        &[("BATCH_WRITE_SIZE", "250"), ("WRITE_CONCURRENCY", "4")],
    );
    let records = csv_records(0..10_000);

    // WHEN the event is handled THEN every edge is there once
    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
            .await
            .unwrap();
    assert_eq!(failures(&response), Vec::<String>::new());
    assert_eq!(server.edges().await, 10_000);
    assert_eq!(server.vertices().await, 10_001);
    assert_eq!(
        server
            .count("MATCH (:person {`~id`: 'p0'})-[r:follows {`~id`: 'p0-2016-05-21-p1'}]->(:person {`~id`: 'p1'}) RETURN count(r) AS n")
            .await,
        1
    );
    assert_eq!(metric(&metrics, "EdgesWritten"), 10_000);
    let graph = edge_table(&server).await;

    // WHEN the same event is delivered again THEN the graph is the same
    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
            .await
            .unwrap();
    assert_eq!(failures(&response), Vec::<String>::new());
    assert_eq!(server.vertices().await, 10_001);
    assert_eq!(edge_table(&server).await, graph);

    // GIVEN CONDITIONAL_CREATE=false WHEN 300 records are delivered twice THEN vertices are
    // merged and each delivery adds its edges (random ids, the sample's non-idempotent mode)
    clear(&server).await;
    let (deps, _) = cypher_deps(
        &server,
        &[("CONDITIONAL_CREATE", "false"), ("BATCH_WRITE_SIZE", "50")],
    );
    for _ in 0..2 {
        let response = stream2neptune_writer::handle(
            &deps,
            invocation(&csv_records(0..300), ENGINE_INVOCATION_TIME),
        )
        .await
        .unwrap();
        assert_eq!(failures(&response), Vec::<String>::new());
    }
    assert_eq!(server.vertices().await, 301);
    assert_eq!(server.edges().await, 600);
}

/// Ids crafted to break out of Cypher strings, backquoted names or JSON.
const HOSTILE: &[&str] = &[
    "it's",
    "x'}) DETACH DELETE n //",
    "`~id`",
    "x\"}) MATCH (n) DETACH DELETE n //",
    "a\\b",
    "line\nbreak\r\ttab",
    "$edges",
    "{\"json\": true}",
    "ünïcødé 🚀 名前",
    "nul\u{0}bell\u{7}",
    "canary",
];

#[tokio::test]
async fn hostile_ids_leave_the_canary_untouched_and_are_stored_as_literal_ids() {
    // GIVEN a graph holding a canary node with a property and a relationship
    let server = CypherServer::start();
    server
        .query("CREATE (:canary {`~id`: 'canary-v', secret: 'keep'})-[:guards {`~id`: 'canary-e'}]->(:canary {`~id`: 'canary-w'})")
        .await;
    let (deps, _) = cypher_deps(&server, &[("BATCH_WRITE_SIZE", "4")]);

    // WHEN hostile ids arrive as JSON ids and as a property value
    let records: Vec<TestRecord> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, id)| TestRecord {
            partition_key: "h".into(),
            sequence_number: sequence_number(i),
            data: serde_json::to_vec(&serde_json::json!(
                {"from": id, "to": format!("{id}!"), "created": "2016-05-21", "note": id}
            ))
            .unwrap(),
        })
        .collect();
    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
            .await
            .unwrap();

    // THEN all are written, the canary is as it was, and the ids are exactly the raw ids
    assert_eq!(failures(&response), Vec::<String>::new());
    assert_eq!(
        server
            .count("MATCH (:canary {`~id`: 'canary-v', secret: 'keep'})-[:guards {`~id`: 'canary-e'}]->(:canary {`~id`: 'canary-w'}) RETURN count(*) AS n")
            .await,
        1
    );
    let ids: HashSet<String> = server
        .query("MATCH (n:person) RETURN n.`~id` AS id")
        .await
        .into_iter()
        .map(|row| row["id"].as_str().unwrap().to_string())
        .collect();
    let expected: HashSet<String> = HOSTILE
        .iter()
        .flat_map(|id| [id.to_string(), format!("{id}!")])
        .collect();
    assert_eq!(ids, expected);
    for id in HOSTILE {
        let rows = server
            .query_with(
                "MATCH (:person {`~id`: $from})-[r:follows]->(:person {`~id`: $to}) RETURN r.note AS note",
                serde_json::json!({"from": id, "to": format!("{id}!")}),
            )
            .await;
        assert_eq!(rows, vec![serde_json::json!({"note": id})], "{id:?}");
    }
}

#[tokio::test]
async fn server_stopped_mid_invocation_gives_the_first_unwritten_record_and_the_retry_completes() {
    // GIVEN 3,000 records in batches of 10 and a server that is stopped while they are written
    let mut server = CypherServer::start();
    let (deps, metrics) = cypher_deps(
        &server,
        &[
            ("BATCH_WRITE_SIZE", "10"),
            ("RETRY_MAX_ATTEMPTS", "3"),
            ("RETRY_BASE_DELAY_MS", "10"),
            ("RETRY_MAX_DELAY_MS", "50"),
        ],
    );
    let records = csv_records(0..3_000);
    let stopper = async {
        while server.edges().await < 300 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.stop();
    };
    let (response, ()) = tokio::join!(
        stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME)),
        stopper
    );
    let response = response.unwrap();

    // THEN the response names one record, and everything before it is in the graph
    let failed = failures(&response);
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
    server.restart();
    let present: HashSet<String> = edge_table(&server)
        .await
        .into_iter()
        .map(|row| row["id"].as_str().unwrap().to_string())
        .collect();
    for i in 0..checkpoint {
        assert!(
            present.contains(&format!("p{i}-2016-05-21-p{}", i + 1)),
            "record {i} before the checkpoint is missing"
        );
    }
    assert!(
        present.len() <= checkpoint + 10,
        "{} edges, checkpoint {checkpoint}",
        present.len()
    );

    // WHEN Lambda retries from the checkpoint THEN everything is written once
    let response = stream2neptune_writer::handle(
        &deps,
        invocation(&records[checkpoint..], ENGINE_INVOCATION_TIME),
    )
    .await
    .unwrap();
    assert_eq!(failures(&response), Vec::<String>::new());
    assert_eq!(server.edges().await, 3_000);
    assert_eq!(server.vertices().await, 3_001);
}

async fn weights(server: &CypherServer, from: &str, to: &str) -> Vec<serde_json::Value> {
    server
        .query_with(
            "MATCH (:person {`~id`: $from})-[r:follows]->(:person {`~id`: $to}) RETURN r.weight AS w",
            serde_json::json!({"from": from, "to": to}),
        )
        .await
        .into_iter()
        .map(|row| row["w"].clone())
        .collect()
}

#[tokio::test]
async fn the_last_property_write_wins_within_and_across_events_and_lanes_keep_per_key_order() {
    let server = CypherServer::start();
    for batch in ["100", "2", "1"] {
        clear(&server).await;
        let (deps, _) = cypher_deps(&server, &[("BATCH_WRITE_SIZE", batch)]);
        let records: Vec<_> = (1..=3).map(|w| weight_record(w, "a", "b", w)).collect();
        for _ in 0..2 {
            let response =
                stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
                    .await
                    .unwrap();
            assert_eq!(failures(&response), Vec::<String>::new());
            assert_eq!(server.edges().await, 1);
            assert_eq!(weights(&server, "a", "b").await, vec![3], "batch {batch}");
        }
        // Across events: an older value redelivered wins again (last write, not largest)
        let response =
            stream2neptune_writer::handle(&deps, invocation(&records[..1], ENGINE_INVOCATION_TIME))
                .await
                .unwrap();
        assert_eq!(failures(&response), Vec::<String>::new());
        assert_eq!(weights(&server, "a", "b").await, vec![1], "batch {batch}");
    }

    // WRITE_CONCURRENCY=4: 40 keys each updating its own edge to one hub 25 times, interleaved
    // in the stream, in batches of 3: each edge ends with its key's last weight.
    clear(&server).await;
    let (deps, _) = cypher_deps(
        &server,
        &[("BATCH_WRITE_SIZE", "3"), ("WRITE_CONCURRENCY", "4")],
    );
    let records: Vec<_> = (0..1_000)
        .map(|i| weight_record(i, &format!("k{}", i % 40), "hub", i / 40))
        .collect();
    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
            .await
            .unwrap();
    assert_eq!(failures(&response), Vec::<String>::new());
    assert_eq!(server.edges().await, 40);
    assert_eq!(
        server
            .query("MATCH ()-[r:follows]->() RETURN DISTINCT r.weight AS w")
            .await,
        vec![serde_json::json!({"w": 24})]
    );
}
