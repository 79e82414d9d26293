//! The handler with QUERY_LANGUAGE=opencypher against Neo4j behind Neptune's openCypher HTTP form
//! (the `NeptuneOpenCypher` adapter), one server shared by the tests that only write and read it (each on an empty
//! graph) and one for the test that stops it: writes land exactly once, a redelivery
//! changes nothing, CONDITIONAL_CREATE off adds new edges, hostile ids stay parameter values,
//! records Neo4j refuses for their content are rejected once while the good records around them are
//! written, a stopped server gives a correct checkpoint, the last property write wins and lanes keep
//! per-key order, and graph operations (written directly and as records through the handler) leave the model's
//! graph. Counts use Cypher. `~id` is an
//! ordinary property on Neo4j, unique among nodes through the adapter's `~vertex` label.

mod common;

use std::collections::HashSet;

use common::*;
use stream2neptune_testkit::CypherServer;
use stream2neptune_writer::GraphStore;

/// The Neo4j of the tests that do not stop it, one at a time on an empty graph; with Bolt for the contenders.
static SERVER: Shared<CypherServer> = Shared::new(CypherServer::start_with_bolt);

#[tokio::test]
async fn ten_thousand_edges_land_exactly_once_and_conditional_create_off_adds_new_edges() {
    // GIVEN Neo4j WHEN 10,000 edges are written in 4 lanes and delivered again THEN each is there once and the
    // graph is unchanged
    let turn = shared_turn(&SERVER).await;
    let server = &*turn;
    scenarios::ten_thousand_edges_land_once_and_a_redelivery_changes_nothing(server).await;
    assert_eq!(
        server
            .count("MATCH (:person {`~id`: 'p0'})-[r:follows {`~id`: 'p0-2016-05-21-p1'}]->(:person {`~id`: 'p1'}) RETURN count(r) AS n")
            .await,
        1
    );

    // AND follows records of every kind leave the model's graph of one edge upsert per record
    operations::the_follows_graph_is_the_model_of_one_edge_upsert_per_record(server, &[]).await;

    // GIVEN CONDITIONAL_CREATE=false WHEN 300 records are delivered twice THEN vertices are
    // merged and each delivery adds its edges (random ids, the sample's non-idempotent mode)
    server.clear().await;
    let (deps, _) = store_deps(
        server,
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

    // AND the write contenders of `make write-bench` (the Neo4j driver over Bolt, HTTP shapes) leave the writer's graph
    let bolt = server
        .bolt_port
        .map(|port| format!("bolt://127.0.0.1:{port}"));
    scenarios::every_write_contender_leaves_the_writers_graph(server, bolt.as_deref()).await;
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
    let turn = shared_turn(&SERVER).await;
    let server = &*turn;
    server
        .query("CREATE (:canary {`~id`: 'canary-v', secret: 'keep'})-[:guards {`~id`: 'canary-e'}]->(:canary {`~id`: 'canary-w'})")
        .await;
    let (deps, _) = store_deps(server, &[("BATCH_WRITE_SIZE", "4")]);

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

    // AND records Neo4j refuses for their content are rejected once, and the good records around them on the
    // same shard are written: an id longer than its index takes (about 8 KB; Neo4j throws a bare
    // IllegalArgumentException, which the adapter answers as Neptune's InvalidParameterException) and a property
    // name holding NUL
    server.clear().await;
    scenarios::records_the_store_refuses_are_rejected_once_and_the_good_ones_around_them_written(
        server,
        &[
            (
                serde_json::json!({"from": "x".repeat(9_000), "to": "b", "created": "2016-05-21"}),
                "HTTP 400 InvalidParameterException: Property value is too large to index",
            ),
            (
                serde_json::json!({"from": "a", "to": "b", "created": "2016-05-21", "a\u{0}b": 1}),
                "HTTP 400 BadRequestException: Neo.ClientError.Schema.TokenNameError",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn server_stopped_mid_invocation_gives_the_first_unwritten_record_and_the_retry_completes_and_graph_operations_match_the_model()
 {
    let mut server = CypherServer::start();
    scenarios::a_store_stopped_mid_invocation_gives_the_first_unwritten_record_and_the_retry_completes(
        &mut server,
    )
    .await;
    // AND graph operations of every kind and value type openCypher stores, each batch written twice and the stream
    // again, leave the model's graph
    operations::graph_operations_match_the_model(&server).await;

    // AND, as on Neptune, no two vertices share a `~id`, whatever their labels (the adapter's `~vertex` constraint)
    let (deps, _) = store_deps(&server, &[]);
    let second =
        stream2neptune_writer::form::opencypher_body("CREATE (:other {`~id`: 's1'})", "{}");
    let refused = deps
        .store
        .submit(&second, ENGINE_INVOCATION_TIME)
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .starts_with("graph store answered HTTP 400 ConstraintViolationException"),
        "{refused}"
    );
    // AND the same operations as records through the handler, on several keys in lanes with follows records, a
    // malformed record and one openCypher cannot store (a date) among them, delivered twice, leave the model's graph;
    // an edge upsert moving a taken edge id fails its write, as on Neptune and Gremlin Server, and is narrowed down
    // to its record and rejected as StoreRefused, the answer naming the id (`edgeIdTaken`)
    operations::graph_operation_records_through_the_handler_match_the_model(&server).await;
    // AND the same operations through the handler while the store refuses requests too long, refuses poison records
    // and is down for a while, redelivered from each checkpoint and then whole, leave the model's graph; only the
    // poison records are rejected
    operation_faults::graph_operation_records_under_faults_match_the_model(&server).await;
    // AND a source graph's Neptune Streams change records (PG_JSON pages, arrays and single changes on one key, an
    // unreadable change among them) replayed twice through the handler leave the source graph
    changes::change_records_through_the_handler_match_the_source(&server, changes::Cut::Mixed)
        .await;
    // AND an application's own JSON events through the stack's mappings, delivered twice, leave the model's graph
    mapped::mapped_events_through_the_handler_match_the_model(&server).await;
}

#[tokio::test]
async fn the_last_property_write_wins_within_and_across_events_and_lanes_keep_per_key_order() {
    let turn = shared_turn(&SERVER).await;
    scenarios::the_last_property_write_wins_within_and_across_events_and_lanes_keep_per_key_order(
        &*turn,
        &[],
    )
    .await;
}
