//! The handler against a real Oxigraph server (SPARQL), started on a free port per test: writes
//! land exactly once, graph operations (written directly and as records through the handler) and mapped events
//! leave the model's graph, malformed records are captured, an
//! outage gives a correct partial-batch response, hostile ids cannot touch other data.

mod common;

use common::*;
use stream2neptune_writer::rejects::RejectedRecord;
use stream2neptune_writer::sparql;

#[tokio::test]
async fn ten_thousand_edges_land_exactly_once_and_a_redelivery_changes_nothing_and_graph_operations_match_the_model()
 {
    let store = Oxigraph::start();
    scenarios::ten_thousand_edges_land_once_and_a_redelivery_changes_nothing(&store).await;
    // AND the write contenders of `make write-bench` (INSERT DATA, Graph Store Protocol) leave the writer's graph
    scenarios::every_write_contender_leaves_the_writers_graph(&store, None).await;
    // AND graph operations of every kind and value type, each batch written twice and the stream again, leave the
    // model's graph
    operations::graph_operations_match_the_model(&store).await;
    // AND the same operations as records through the handler, on several keys in lanes with follows records and a
    // malformed one among them, delivered twice, leave the model's graph
    operations::graph_operation_records_through_the_handler_match_the_model(&store).await;
    // AND the same operations through the handler while the store refuses requests too long, refuses poison records
    // and is down for a while, redelivered from each checkpoint and then whole, leave the model's graph; only the
    // poison records are rejected
    operation_faults::graph_operation_records_under_faults_match_the_model(&store).await;
    // AND an application's own JSON events through the stack's mappings, delivered twice, leave the model's graph
    mapped::mapped_events_through_the_handler_match_the_model(&store).await;
    // AND a source graph's Neptune Streams change records (PG_JSON pages, arrays and single changes on one key, an
    // unreadable change among them) replayed twice through the handler leave the source graph
    changes::change_records_through_the_handler_match_the_source(&store, changes::Cut::Mixed).await;
    // AND NQUADS change records replayed twice leave the source's quads, hostile literals kept as literals
    changes::nquads_change_records_through_the_handler_leave_the_sources_quads(&store).await;
}

#[tokio::test]
async fn malformed_records_are_captured_and_the_rest_written() {
    // GIVEN records where every other kind of malformed body sits between good ones
    let store = Oxigraph::start();
    let dir = tempfile::tempdir().unwrap();
    let rejects_file = dir.path().join("rejects.jsonl");
    let (deps, metrics) = store_deps(
        &store,
        &[
            ("BATCH_WRITE_SIZE", "3"),
            ("REJECTED_RECORDS_FILE", rejects_file.to_str().unwrap()),
            ("MAX_RECORD_BYTES", "100"),
        ],
    );
    let bodies: Vec<Vec<u8>> = vec![
        b"a,b,2016-05-21".to_vec(),
        b"\xff\xfe,b,2016-05-21".to_vec(),
        b"c,d,2016-05-21T10:00:00Z".to_vec(),
        b"a,b".to_vec(),
        br#"{"from":"e","to":"f","created":"2016-05-21","weight":2}"#.to_vec(),
        b" ,b,2016-05-21".to_vec(),
        b"g,h,21/05/2016".to_vec(),
        vec![b'x'; 101],
        br#"{"from":"i","to":"j""#.to_vec(),
        b"k,l,2016-05-22".to_vec(),
    ];
    let records: Vec<TestRecord> = bodies
        .into_iter()
        .enumerate()
        .map(|(i, data)| TestRecord {
            partition_key: "k".into(),
            sequence_number: sequence_number(i),
            data,
        })
        .collect();

    // WHEN the event is handled
    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
            .await
            .unwrap();

    // THEN all records are acknowledged, the 4 good ones are written, the 6 bad ones are in the file
    assert_eq!(failures(&response), Vec::<String>::new());
    assert_eq!(store.edges().await, 4);
    let rejects: Vec<RejectedRecord> = std::fs::read_to_string(&rejects_file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(String, String)> = rejects
        .iter()
        .map(|r| (r.sequence_number.clone(), r.reason_code.clone()))
        .collect();
    let expected: Vec<(String, String)> = [
        (1, "NotUtf8"),
        (3, "WrongColumnCount"),
        (5, "EmptyId"),
        (6, "BadDate"),
        (7, "Oversize"),
        (8, "BadJson"),
    ]
    .iter()
    .map(|(i, code)| (sequence_number(*i), code.to_string()))
    .collect();
    assert_eq!(got, expected);
    assert!(
        rejects
            .iter()
            .all(|r| r.shard_id == "shardId-000000000003" && r.partition_key == "k")
    );
    assert_eq!(rejects[1].data, "YSxi"); // base64 of "a,b"
    assert_eq!(metric(&metrics, "RecordsRejected"), 6);
    assert_eq!(metric(&metrics, "EdgesWritten"), 4);
}

#[tokio::test]
async fn a_failing_rejects_sink_stops_acknowledgement_at_that_record() {
    // GIVEN a rejects file that cannot be written
    let store = Oxigraph::start();
    let dir = tempfile::tempdir().unwrap();
    let bad_path = dir.path().join("no-such-dir/rejects.jsonl");
    let (deps, _) = store_deps(
        &store,
        &[("REJECTED_RECORDS_FILE", bad_path.to_str().unwrap())],
    );
    let mut records = csv_records(0..5);
    records[2].data = b"broken".to_vec();

    // WHEN handled THEN the checkpoint is the malformed record; the good records are written
    // (those after it again on the redelivery, which changes nothing)
    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
            .await
            .unwrap();
    assert_eq!(failures(&response), vec![sequence_number(2)]);
    assert_eq!(store.edges().await, 4);
}

/// Number of edges in a SPARQL write (one `follows` triple each).
fn edges_in(query: &str) -> usize {
    query.matches(&format!("<{}>", sparql::FOLLOWS)).count()
}

#[tokio::test]
async fn a_store_refusing_every_record_is_an_environment_error_and_nothing_is_lost() {
    // GIVEN a store path that refuses every write as malformed (an engine without the idiom, a
    // proxy answering 400), or an outage answering 500 to every write (which an engine also
    // answers for one record's content), in batches of 4 and in batches of 1
    let store = Oxigraph::start();
    for ((status, code), batch) in [
        (400, "MalformedQueryException"),
        (500, "InternalFailureException"),
    ]
    .into_iter()
    .flat_map(|fault| [(fault, "4"), (fault, "1")])
    {
        store.clear().await;
        let dir = tempfile::tempdir().unwrap();
        let rejects_file = dir.path().join("rejects.jsonl");
        let (deps, metrics) = store_deps(
            &store,
            &[
                ("BATCH_WRITE_SIZE", batch),
                ("RETRY_MAX_ATTEMPTS", "3"),
                ("RETRY_BASE_DELAY_MS", "1"),
                ("RETRY_MAX_DELAY_MS", "5"),
                ("REJECTED_RECORDS_FILE", rejects_file.to_str().unwrap()),
                ("STOP_WAIT_MS", "0"),
            ],
        );
        let broken = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let flag = broken.clone();
        let deps = faulty(
            deps,
            Box::new(move |_| {
                flag.load(std::sync::atomic::Ordering::Relaxed)
                    .then(|| store_error(status, code))
            }),
        );
        let mut records = csv_records(0..10);
        records[6].data = b"malformed".to_vec();

        // WHEN the batch is delivered three times
        for _ in 0..3 {
            let response =
                stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
                    .await
                    .unwrap();
            // THEN the checkpoint stays at the first record and nothing is rejected
            assert_eq!(
                failures(&response),
                vec![sequence_number(0)],
                "{code} batch {batch}"
            );
        }
        assert!(rejects_in(&rejects_file).is_empty(), "{code} batch {batch}");
        assert_eq!(metric(&metrics, "RecordsRejected"), 0);
        assert!(
            metric(&metrics, "EnvironmentRefusals") >= 3,
            "{code} batch {batch}"
        );
        // AND an outage answering 500 is waited out once per delivery (2 retries of the first write), not
        // once per record: the records after it get one attempt each
        assert_eq!(
            metric(&metrics, "RetryCount"),
            if status == 500 { 3 * 2 } else { 0 },
            "{code} batch {batch}"
        );

        // WHEN the environment is fixed and the batch delivered again
        broken.store(false, std::sync::atomic::Ordering::Relaxed);
        let response =
            stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
                .await
                .unwrap();

        // THEN every good record is in the store and the malformed one is rejected once
        assert_eq!(failures(&response), Vec::<String>::new());
        assert_eq!(store.edges().await, 9, "{code} batch {batch}");
        let rejects = rejects_in(&rejects_file);
        assert_eq!(rejects.len(), 1, "{rejects:?}");
        assert_eq!(rejects[0].sequence_number, sequence_number(6));
    }
}

#[tokio::test]
async fn a_bad_record_among_good_ones_is_rejected_once_across_redeliveries() {
    // GIVEN 20 records in batches of 4: the store refuses record 5 (400), answers record 8 a 500
    // InternalFailureException and record 10 a ConstraintViolationException on every try (as
    // Neptune may for one record's content, while it takes the others), a batch holding record 12
    // fails with a transient error on the first two deliveries, and record 14 is malformed
    let store = Oxigraph::start();
    let dir = tempfile::tempdir().unwrap();
    let rejects_file = dir.path().join("rejects.jsonl");
    let (deps, metrics) = store_deps(
        &store,
        &[
            ("BATCH_WRITE_SIZE", "4"),
            ("RETRY_MAX_ATTEMPTS", "2"),
            ("RETRY_BASE_DELAY_MS", "1"),
            ("RETRY_MAX_DELAY_MS", "2"),
            ("REJECTED_RECORDS_FILE", rejects_file.to_str().unwrap()),
        ],
    );
    let poison = |id: &str| format!("<{}> <{}>", sparql::person_iri(id), sparql::FOLLOWS);
    let (malformed, failing, violating) = (poison("p5"), poison("p8"), poison("p10"));
    let flaky = sparql::person_iri("p12");
    let transient_left = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(4));
    let left = transient_left.clone();
    let deps = faulty(
        deps,
        Box::new(move |query| {
            for (poison, status, code) in [
                (&malformed, 400, "MalformedQueryException"),
                (&failing, 500, "InternalFailureException"),
                (&violating, 400, "ConstraintViolationException"),
            ] {
                if query.contains(poison.as_str()) {
                    return Some(store_error(status, code));
                }
            }
            let take = |n: usize| n.checked_sub(1);
            (query.contains(&format!("<{flaky}> <{}>", sparql::FOLLOWS))
                && left
                    .fetch_update(
                        std::sync::atomic::Ordering::Relaxed,
                        std::sync::atomic::Ordering::Relaxed,
                        take,
                    )
                    .is_ok())
            .then(|| store_error(500, "ThrottlingException"))
        }),
    );
    let mut records = csv_records(0..20);
    records[14].data = b"p14,,2016-05-21".to_vec();

    // WHEN Lambda delivers the batch, and again from each checkpoint it is given
    let mut from = 0;
    let mut deliveries = 0;
    loop {
        deliveries += 1;
        let response = stream2neptune_writer::handle(
            &deps,
            invocation(&records[from..], ENGINE_INVOCATION_TIME),
        )
        .await
        .unwrap();
        match failures(&response).first() {
            None => break,
            Some(seq) => {
                from = records
                    .iter()
                    .position(|r| &r.sequence_number == seq)
                    .unwrap()
            }
        }
        assert!(deliveries < 10);
    }

    // THEN it took three deliveries, the checkpoint never went before record 12, and each bad
    // record is in the rejects file exactly once
    assert_eq!((deliveries, from), (3, 12));
    // (each with the store's answer as its reason)
    let rejects: Vec<(String, String)> = rejects_in(&rejects_file)
        .into_iter()
        .map(|r| (r.sequence_number, r.reason))
        .collect();
    let refused = |answer: &str| {
        format!("the graph store refused the record: graph store answered HTTP {answer}")
    };
    assert_eq!(
        rejects,
        vec![
            (
                sequence_number(5),
                refused("400 MalformedQueryException: test fault MalformedQueryException")
            ),
            (
                sequence_number(8),
                refused("500 InternalFailureException: test fault InternalFailureException")
            ),
            (
                sequence_number(10),
                refused(
                    "400 ConstraintViolationException: test fault ConstraintViolationException"
                )
            ),
            (
                sequence_number(14),
                "field `to` is empty; a vertex id must be a non-empty string".to_owned()
            ),
        ]
    );
    assert_eq!(metric(&metrics, "RecordsRejected"), 4);
    assert_eq!(metric(&metrics, "EnvironmentRefusals"), 0);
    assert_eq!(store.edges().await, 16);
}

#[tokio::test]
async fn a_write_too_big_for_the_store_is_halved_until_it_fits() {
    // GIVEN a store that runs out of memory on writes of more than 3 edges
    let store = Oxigraph::start();
    let (deps, metrics) = store_deps(&store, &[("BATCH_WRITE_SIZE", "10")]);
    let sizes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = sizes.clone();
    let deps = faulty(
        deps,
        Box::new(move |query| {
            let n = edges_in(query);
            seen.lock().unwrap().push(n);
            (n > 3).then(|| store_error(500, "MemoryLimitExceededException"))
        }),
    );
    let records = csv_records(0..20);

    // WHEN the event is handled
    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
            .await
            .unwrap();

    // THEN 10 -> 5 -> 2, then the later writes at 2, the size that worked, until 8 were taken and
    // 3 (halfway to the 5 refused) is tried; never resent whole
    assert_eq!(failures(&response), Vec::<String>::new());
    assert_eq!(store.edges().await, 20);
    assert_eq!(
        *sizes.lock().unwrap(),
        vec![10, 5, 2, 2, 2, 2, 2, 2, 2, 2, 3, 1]
    );
    assert_eq!(metric(&metrics, "WritesShrunk"), 2);
    assert_eq!(metric(&metrics, "RetryCount"), 0);
}

#[tokio::test]
async fn store_stopped_mid_invocation_gives_partial_response_and_the_retry_completes() {
    let mut store = Oxigraph::start();
    scenarios::a_store_stopped_mid_invocation_gives_the_first_unwritten_record_and_the_retry_completes(
        &mut store,
    )
    .await;
}

/// Ids crafted to break out of IRIs or literals, including SPARQL codepoint escapes.
const HOSTILE: &[&str] = &[
    "x> } ; DROP ALL ; INSERT DATA { <y",
    "a> <http://stream2neptune.example/ontology/follows> <b",
    "\" } ; CLEAR DEFAULT ; #",
    "\\u0022 } ; DROP ALL ; #",
    "\\\\u003E } ; DROP ALL ; #",
    "\\U0000000A",
    "it's 'quoted'",
    "new\nline\r\ttab",
    "a/../../b?c#d",
    "ünïcødé 🚀 名前",
    "${jndi:ldap://x}",
    "//comment",
    "%3E%20",
];

#[tokio::test]
async fn hostile_ids_do_not_change_or_delete_other_data() {
    // GIVEN a store holding 100 ordinary edges
    let store = Oxigraph::start();
    let (deps, _) = store_deps(&store, &[("BATCH_WRITE_SIZE", "5")]);
    stream2neptune_writer::handle(
        &deps,
        invocation(&csv_records(0..100), ENGINE_INVOCATION_TIME),
    )
    .await
    .unwrap();
    let before = store.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }").await;

    // WHEN hostile ids arrive as JSON ids and as a JSON property value
    let records: Vec<TestRecord> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, id)| TestRecord {
            partition_key: "h".into(),
            sequence_number: sequence_number(i),
            data: serde_json::to_vec(&serde_json::json!({"from": id, "to": format!("{id}!"), "created": "2016-05-21", "note": id})).unwrap(),
        })
        .collect();
    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
            .await
            .unwrap();

    // THEN all are written, nothing else changed, and each id reads back exactly
    assert_eq!(failures(&response), Vec::<String>::new());
    let after = store.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }").await;
    for row in &before {
        assert!(after.contains(row), "lost {row:?}");
    }
    // Per edge: 2 person types (both ids are new), follows, 4 edge-resource triples, 1 property.
    assert_eq!(after.len(), before.len() + HOSTILE.len() * 8);
    for id in HOSTILE {
        let edge = stream2neptune_writer::record::Edge {
            from: id.to_string(),
            to: format!("{id}!"),
            created: stream2neptune_writer::record::parse_date("2016-05-21").unwrap(),
            properties: Vec::new(),
        };
        let rows = store
            .select(&format!(
                "SELECT ?note WHERE {{ <{}> <{}property/note> ?note . <{}> <{}> <{}> }}",
                sparql::edge_iri(&edge),
                sparql::BASE,
                sparql::person_iri(id),
                sparql::FOLLOWS,
                sparql::person_iri(&format!("{id}!")),
            ))
            .await;
        assert_eq!(rows.len(), 1, "{id:?}");
        assert_eq!(rows[0]["note"], *id, "literal round trip of {id:?}");
    }
}

#[tokio::test]
async fn the_last_property_write_wins_within_and_across_events_and_lanes_keep_per_key_order() {
    let store = Oxigraph::start();
    scenarios::the_last_property_write_wins_within_and_across_events_and_lanes_keep_per_key_order(
        &store,
        &[],
    )
    .await;
}
