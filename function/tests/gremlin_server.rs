//! The handler against TinkerPop's Gremlin Server (TinkerTransactionGraph, HTTP and WebSocket) on a free port,
//! one server shared by the tests that only write and read it (each on an empty graph) and one for each test that
//! stops it or needs the grammar channelizer: writes land exactly once in both upsert styles and both batch
//! forms, a redelivery changes nothing, hostile ids stay literal ids, records Groovy cannot compile
//! are rejected once while the good records around them are written, a stopped server gives a
//! correct checkpoint, the last property write wins, lanes keep per-key order, and every text the
//! writer builds parses with `gremlin-lang`, the grammar Neptune uses (Groovy-only text does not), and graph
//! operations written in batches, twice, leave the graph of the model (read back typed), a difference naming the
//! element, and so do graph-operation records through the handler. Counts use Gremlin.

mod common;

use std::collections::{HashMap, HashSet};

use common::*;
use stream2neptune_writer::gremlin::{GremlinStyle, batch_query, push_literal};
use stream2neptune_writer::record::{Edge, PropertyValue, parse_date};
use stream2neptune_writer_environment::{GremlinBatchForm, GremlinUpsertStyle};

/// The Gremlin Server of the tests that neither stop it nor need another channelizer, one at a time on an empty
/// graph.
static SERVER: Shared<GremlinServer> = Shared::new(GremlinServer::start);

/// The write modes: (GREMLIN_UPSERT_STYLE, CONDITIONAL_CREATE, GREMLIN_BATCH_FORM); the rows form applies only to
/// merge with conditional create.
const MODES: &[(&str, &str, &str)] = &[
    ("merge", "true", "chained"),
    ("merge", "true", "rows"),
    ("coalesce", "true", "chained"),
    ("merge", "false", "chained"),
    ("coalesce", "false", "chained"),
];

/// The forms that change the text of an upsert: (GREMLIN_UPSERT_STYLE, GREMLIN_BATCH_FORM).
const UPSERT_FORMS: &[(&str, &str)] = &[
    ("merge", "chained"),
    ("merge", "rows"),
    ("coalesce", "chained"),
];

/// Edge ids, each with its out-vertex id, in-vertex id and property map, read with Gremlin.
async fn edge_table(server: &GremlinServer) -> HashMap<String, serde_json::Value> {
    server
        .query("g.E().project('id','out','in','p').by(T.id).by(__.outV().id()).by(__.inV().id()).by(__.valueMap())")
        .await
        .into_iter()
        .map(|row| (row["id"].as_str().unwrap().to_string(), row))
        .collect()
}

async fn vertex_ids(server: &GremlinServer) -> HashSet<String> {
    server
        .query("g.V().id()")
        .await
        .into_iter()
        .map(|id| id.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn ten_thousand_edges_land_exactly_once_and_a_redelivery_changes_nothing() {
    // GIVEN Gremlin Server WHEN 10,000 edges are written in 4 lanes and delivered again THEN each is there once
    // and the graph is unchanged (the coalesce style and CONDITIONAL_CREATE=false are in the next test)
    let turn = shared_turn(&SERVER).await;
    let server = &*turn;
    scenarios::ten_thousand_edges_land_once_and_a_redelivery_changes_nothing(server).await;

    // AND each edge has its derived id and its date
    assert_eq!(
        server
            .count("g.E().hasLabel('follows').has('creationDate','2016-05-21').count()")
            .await,
        10_000
    );
    assert_eq!(
        server
            .count("g.E('p0-2016-05-21-p1').outV().hasId('p0').count()")
            .await,
        1
    );

    // AND the write contenders of `make write-bench` (HTTP text, WebSocket bytecode and text) leave the writer's graph
    scenarios::every_write_contender_leaves_the_writers_graph(server, None).await;
}

#[tokio::test]
async fn conditional_create_on_is_idempotent_and_off_adds_new_edges_in_every_mode() {
    let turn = shared_turn(&SERVER).await;
    let server = &*turn;
    for (style, conditional, form) in MODES {
        // GIVEN an empty graph and 300 records
        server.clear().await;
        let (deps, _) = store_deps(
            server,
            &[
                ("GREMLIN_UPSERT_STYLE", style),
                ("CONDITIONAL_CREATE", conditional),
                ("GREMLIN_BATCH_FORM", form),
                ("BATCH_WRITE_SIZE", "50"),
            ],
        );
        let records = csv_records(0..300);

        // WHEN the event is delivered twice
        let mut tables = Vec::new();
        for _ in 0..2 {
            let response =
                stream2neptune_writer::handle(&deps, invocation(&records, ENGINE_INVOCATION_TIME))
                    .await
                    .unwrap();
            assert_eq!(failures(&response), Vec::<String>::new());
            tables.push(edge_table(server).await);
        }

        // THEN vertices are upserted in every mode; edges are once with CONDITIONAL_CREATE=true
        // (the second delivery leaves every edge as it was) and twice (random ids, the sample's
        // non-idempotent mode) with false
        let mode = format!("{style} conditional={conditional} {form}");
        if *conditional == "true" {
            assert_eq!(tables[0], tables[1], "{mode}");
        }
        assert_eq!(server.vertices().await, 301, "{mode}");
        let expected = if *conditional == "true" { 300 } else { 600 };
        assert_eq!(server.edges().await, expected, "{mode}");
        assert_eq!(
            server
                .count("g.V('p7').outE('follows').inV().hasId('p8').count()")
                .await,
            expected / 300,
            "{mode}"
        );

        // AND in each idempotent mode, follows records of every kind leave the model's graph of one edge upsert
        // per record (Integer and Long alike: the reader reads both as integers)
        if *conditional == "true" {
            operations::the_follows_graph_is_the_model_of_one_edge_upsert_per_record(
                server,
                &[
                    ("GREMLIN_UPSERT_STYLE", style),
                    ("GREMLIN_BATCH_FORM", form),
                ],
            )
            .await;
        }
    }
}

/// Ids crafted to end a Gremlin string literal, add steps or be evaluated by Groovy.
const HOSTILE: &[&str] = &[
    "it's",
    "x')).drop().V('y",
    "x\")).drop().V(\"y",
    "a\\b",
    "\\'",
    "line\nbreak\r\ttab",
    "${System.exit(0)}",
    "\"+g.V().drop()+\"",
    "a // comment",
    "/* open",
    "ünïcødé 🚀 名前",
    "nul\u{0}bell\u{7}",
    "sep\u{2028}",
    "\\u0027",
    "canary",
];

#[tokio::test]
async fn hostile_ids_leave_the_canary_untouched_and_are_stored_as_literal_ids() {
    let turn = shared_turn(&SERVER).await;
    let server = &*turn;
    for (style, form) in UPSERT_FORMS {
        // GIVEN a graph holding a canary vertex with a property and an edge
        server.clear().await;
        server
            .query("g.addV('canary').property(T.id,'canary-v').property('secret','keep').as('c').addV('canary').property(T.id,'canary-w').addE('guards').from('c').property(T.id,'canary-e')")
            .await;
        let (deps, _) = store_deps(
            server,
            &[
                ("GREMLIN_UPSERT_STYLE", style),
                ("GREMLIN_BATCH_FORM", form),
                ("BATCH_WRITE_SIZE", "4"),
            ],
        );

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
        assert_eq!(failures(&response), Vec::<String>::new(), "{style} {form}");
        assert_eq!(
            server.query("g.V('canary-v').values('secret')").await,
            vec![serde_json::json!("keep")],
            "{style} {form}"
        );
        assert_eq!(
            server.count("g.V('canary-v').outE('guards').hasId('canary-e').inV().hasId('canary-w').count()").await,
            1
        );
        let mut expected: HashSet<String> = HOSTILE
            .iter()
            .flat_map(|id| [id.to_string(), format!("{id}!")])
            .collect();
        expected.extend(["canary-v".to_string(), "canary-w".to_string()]);
        assert_eq!(vertex_ids(server).await, expected, "{style} {form}");
        let edges = edge_table(server).await;
        assert_eq!(edges.len(), HOSTILE.len() + 1);
        for id in HOSTILE {
            let edge = hostile_edge(id);
            let row = &edges[&edge.id()];
            assert_eq!(row["out"], *id, "{style} {form}");
            assert_eq!(row["in"], format!("{id}!"));
            assert_eq!(row["p"]["note"], *id, "literal round trip of {id:?}");
        }
    }

    // AND records whose text Groovy cannot compile (Gremlin Server answers a bare HTTP 500, as it does for
    // any failure; Neptune's and local mode's gremlin-lang take them) are rejected once, and the good records
    // around them on the same shard are written: an edge id over 65,535 UTF-16 units (each `-` of a vertex id
    // is `%2D` in it) and a string over 65,535 bytes in the JVM's modified UTF-8 (6 per emoji)
    server.clear().await;
    scenarios::records_the_store_refuses_are_rejected_once_and_the_good_ones_around_them_written(
        server,
        &[
            (
                serde_json::json!({"from": "-".repeat(22_000), "to": "b", "created": "2016-05-21"}),
                "String too long",
            ),
            (
                serde_json::json!({"from": "a", "to": "b", "created": "2016-05-21", "note": "🚀".repeat(11_000)}),
                "UTF8 string too large",
            ),
        ],
    )
    .await;
}

fn hostile_edge(id: &str) -> Edge {
    Edge {
        from: id.to_string(),
        to: format!("{id}!"),
        created: parse_date("2016-05-21").unwrap(),
        properties: vec![("note".into(), PropertyValue::Text(id.to_string()))],
    }
}

#[tokio::test]
async fn every_write_text_parses_with_gremlin_lang_and_groovy_only_text_does_not() {
    let turn = shared_turn(&SERVER).await;
    let server = &*turn;
    // GIVEN a batch with hostile ids and a property of every type
    let mut edges: Vec<Edge> = HOSTILE.iter().map(|id| hostile_edge(id)).collect();
    edges[0].properties.extend([
        ("n".into(), PropertyValue::Integer(7)),
        ("big".into(), PropertyValue::Integer(1 << 40)),
        ("w".into(), PropertyValue::Float(0.5)),
        ("ok".into(), PropertyValue::Bool(false)),
    ]);
    let operations: Vec<_> = edges.iter().cloned().map(Edge::into_operation).collect();
    for (style, conditional, form) in MODES {
        server.clear().await;
        let style = GremlinStyle {
            upsert: if *style == "merge" {
                GremlinUpsertStyle::Merge
            } else {
                GremlinUpsertStyle::Coalesce
            },
            conditional_create: *conditional == "true",
            form: if *form == "rows" {
                GremlinBatchForm::Rows
            } else {
                GremlinBatchForm::Chained
            },
        };
        let mut n = 0;
        let text = batch_query(&operations, style, || {
            n += 1;
            format!("random-{n}")
        });

        // WHEN the writer's text is evaluated by the grammar alone (as Neptune does)
        let result = server.try_submit(&text, Some("gremlin-lang")).await;

        // THEN it is accepted and wrote the edges with their typed properties
        assert!(result.is_ok(), "{style:?}: {result:?}\n{text}");
        assert_eq!(server.edges().await, HOSTILE.len() as u64, "{style:?}");
        let mut first = String::new();
        push_literal(&mut first, &edges[0].from);
        let types = server
            .query(&format!(
                "g.V({first}).outE('follows').project('n','big','w','ok').by('n').by('big').by('w').by('ok')"
            ))
            .await;
        assert_eq!(
            types,
            vec![serde_json::json!({"n": 7, "big": 1_u64 << 40, "w": 0.5, "ok": false})]
        );
    }

    // A closure and a Groovy variable: Groovy runs them, the grammar refuses them.
    for groovy_only in [
        "g.V().map{it.get()}",
        "x = 'a'; g.V(x)",
        "g.V().has('n', 1 + 1)",
    ] {
        assert!(
            server.try_submit(groovy_only, None).await.is_ok(),
            "Groovy accepts {groovy_only}"
        );
        let refused = server.try_submit(groovy_only, Some("gremlin-lang")).await;
        assert!(refused.is_err(), "gremlin-lang accepted {groovy_only}");
    }
}

#[tokio::test]
async fn server_stopped_mid_invocation_gives_the_first_unwritten_record_and_the_retry_completes() {
    let mut server = GremlinServer::start();
    scenarios::a_store_stopped_mid_invocation_gives_the_first_unwritten_record_and_the_retry_completes(
        &mut server,
    )
    .await;
}

#[tokio::test]
async fn the_last_property_write_wins_within_and_across_events_and_lanes_keep_per_key_order() {
    let turn = shared_turn(&SERVER).await;
    for (style, form) in UPSERT_FORMS {
        scenarios::the_last_property_write_wins_within_and_across_events_and_lanes_keep_per_key_order(
            &*turn,
            &[("GREMLIN_UPSERT_STYLE", style), ("GREMLIN_BATCH_FORM", form)],
        )
        .await;
    }
}

/// The graph-operation batches of the mixed test, as documents: every operation, every value type, multi-valued
/// adds and removes, an upsert, delete and upsert of one id inside a batch and across batches, hostile ids, labels,
/// property names and values, and batches longer than one traversal.
fn mixed_batches() -> Vec<Vec<stream2neptune_graph::Operation>> {
    use serde_json::json;
    let mut first = vec![
        json!({"op": "upsertVertex", "id": "d1", "label": "device", "properties": {
            "name": "x", "tags": ["a", "b", 3, 2.5, true, {"date": "2024-01-02"}],
            "seen": {"date": "2024-01-02"}, "at": {"dateTime": "2024-01-02T03:04:05.123456+01:00"},
            "visits": {"add": 3}, "w": -0.5, "tiny": 5e-324, "ok": false,
            "big": i64::MAX, "small": i64::MIN, "old": null}}),
        json!({"op": "upsertEdge", "label": "owns", "from": "c1", "to": "d1", "fromLabel": "customer",
            "toLabel": "device", "key": "2024", "properties": {"since": {"date": "2023-12-31"}, "w": 1.5, "n": 7}}),
        json!({"op": "upsertVertex", "id": "d1", "label": "ignored", "properties": {
            "visits": {"add": 4}, "tags": {"add": "c"}, "name": null}}),
        json!({"op": "upsertVertex", "id": "u1", "label": "user", "properties": {"a": 1}}),
        json!({"op": "deleteVertex", "id": "u1"}),
        json!({"op": "upsertVertex", "id": "u1", "label": "user", "properties": {"b": 2}}),
    ];
    for id in HOSTILE {
        first.push(json!({"op": "upsertVertex", "id": id, "label": format!("l{id}"),
            "properties": {*id: id, format!("{id}2"): [id, format!("{id}!")], format!("{id}3"): {"add": id}}}));
        first.push(json!({"op": "upsertEdge", "id": format!("e{id}"), "label": format!("e{id}"), "from": id,
            "to": "d1", "fromLabel": "ignored", "properties": {*id: id}}));
    }
    let second = vec![
        json!({"op": "deleteEdge", "from": "c1", "label": "owns", "to": "d1", "key": "2024"}),
        json!({"op": "deleteVertex", "id": "it's"}),
        json!({"op": "upsertVertex", "id": "u1", "label": "user", "properties": {
            "b": null, "c": [1, 2.5, "s", true, {"dateTime": "2024-01-02T00:00:00Z"}]}}),
        json!({"op": "upsertEdge", "id": "ex')).drop().V('y", "label": "ex')).drop().V('y",
            "from": "x')).drop().V('y", "to": "d1", "properties": {"x')).drop().V('y": null, "more": "m"}}),
        json!({"op": "deleteVertex", "id": "d1"}),
        json!({"op": "deleteEdge", "id": "ecanary"}),
        json!({"op": "deleteEdge", "id": "absent"}),
        json!({"op": "upsertVertex", "id": "c1", "label": "customer", "properties": {"tier": "gold", "tags": ["p", "q"]}}),
        json!({"op": "upsertEdge", "label": "rates", "from": "c1", "to": "z1", "key": "k", "properties": {"score": 1}}),
        json!({"op": "deleteVertex", "id": "absent"}),
    ];
    let mut third = vec![
        json!({"op": "upsertVertex", "id": "d1", "label": "device", "properties": {"name": "back"}}),
        json!({"op": "upsertEdge", "label": "owns", "from": "c1", "to": "d1", "key": "2024", "properties": {"n": 8}}),
        json!({"op": "upsertVertex", "id": "u1", "label": "user", "properties": {"c": {"add": "t"}}}),
        json!({"op": "upsertVertex", "id": "c1", "label": "customer", "properties": {"tier": "silver", "tags": ["q", "r"]}}),
        json!({"op": "upsertEdge", "label": "rates", "from": "c1", "to": "z1", "key": "k", "properties": {"score": 2.5}}),
        json!({"op": "deleteVertex", "id": "u1"}),
    ];
    for i in 0..14 {
        third.push(
            json!({"op": "upsertEdge", "label": "near", "from": format!("z{}", i % 3),
            "to": format!("z{}", i + 3), "properties": {"i": i}}),
        );
        third.push(
            json!({"op": "upsertVertex", "id": format!("z{}", i % 3), "label": "zone",
            "properties": {"seen": {"add": i}}}),
        );
    }
    [first, second, third]
        .into_iter()
        .map(|batch| {
            stream2neptune_graph::decode(&serde_json::Value::from(batch).to_string())
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

#[tokio::test]
async fn graph_operations_written_twice_in_batches_leave_the_models_graph_and_a_difference_names_the_element()
 {
    use stream2neptune_engines::read_gremlin::read_graph;
    use stream2neptune_graph::{Graph, Operation, Refusal, decode};
    use stream2neptune_writer::GraphStore;
    use stream2neptune_writer::gremlin::operations_query;

    // GIVEN Gremlin Server parsing every request with the grammar, as Neptune does, and the writer's store client
    let server = GremlinServer::start_with(
        stream2neptune_engines::gremlin_server::Channelizer::GrammarByDefault,
    );
    let (deps, _) = store_deps(&server, &[]);
    let batches = mixed_batches();
    assert!(
        batches[0]
            .iter()
            .any(|op| matches!(op, Operation::DeleteVertex { .. }))
    );

    // WHEN the batches are written in order, and then all again, each batch also applied to the model
    let mut model = Graph::default();
    let mut finals = Vec::new();
    for round in 0..2 {
        for (i, batch) in batches.iter().enumerate() {
            deps.store
                .submit(&operations_query(batch), ENGINE_INVOCATION_TIME)
                .await
                .unwrap_or_else(|e| panic!("round {round} batch {i}: {e}"));
            for op in batch {
                model.apply(op).unwrap();
            }
            // THEN after each batch the store holds the model's graph
            let read = read_graph(&server.url()).await.unwrap();
            let differences: Vec<String> = model
                .with_instant_dates()
                .differences(&read)
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(differences, Vec::<String>::new(), "round {round} batch {i}");
        }
        finals.push(read_graph(&server.url()).await.unwrap());
    }
    // AND writing everything twice left the graph of writing it once, a non-trivial one
    assert_eq!(finals[0], finals[1]);
    assert_eq!(
        (
            finals[0].vertices.len(),
            finals[0].edges.len(),
            model.property_count()
        ),
        (33, 16, 64)
    );
    assert_eq!(finals[0].vertices["z0"].properties["seen"].len(), 5);
    assert!(!finals[0].vertices.contains_key("u1") && !finals[0].vertices.contains_key("it's"));

    // AND an edge upsert naming a taken edge id with other ends is refused by the store as by the model: the whole
    // request is rolled back (the writer then narrows the batch to that record and rejects it)
    let moved = decode(
        r#"[{"op":"upsertVertex","id":"fresh","label":"l"},
            {"op":"upsertEdge","id":"c1-owns-d1-2024","label":"owns","from":"c1","to":"z1"}]"#,
    )
    .unwrap();
    let refusal = model.clone().apply(&moved[1]).unwrap_err();
    assert!(matches!(refusal, Refusal::EdgeIdTaken { .. }), "{refusal}");
    let refused = deps
        .store
        .submit(&operations_query(&moved), ENGINE_INVOCATION_TIME)
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("already exists: c1-owns-d1-2024"),
        "{refused}"
    );
    assert_eq!(read_graph(&server.url()).await.unwrap(), finals[1]);

    // AND a change behind the model's back is a difference naming the element and property
    server
        .query(
            "g.V('d1').property(single,'name','tampered').iterate();g.E('c1-owns-d1-2024').drop()",
        )
        .await;
    let differences: Vec<String> = model
        .with_instant_dates()
        .differences(&read_graph(&server.url()).await.unwrap())
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        differences,
        [
            "vertex \"d1\" property \"name\" is [String(\"tampered\")], expected [String(\"back\")]",
            "edge \"c1-owns-d1-2024\" (\"c1\" -owns-> \"d1\") is missing",
        ]
    );
    // AND graph operations as records through the handler, on several keys in lanes with follows records and a
    // malformed record among them, delivered twice, leave the model's graph; an edge upsert moving a taken edge id
    // (the store answers 500 "already exists") is narrowed down to its record and rejected as StoreRefused
    operations::graph_operation_records_through_the_handler_match_the_model(&server).await;
    // AND the same operations through the handler while the store refuses requests too long, refuses poison records
    // and is down for a while, redelivered from each checkpoint and then whole, leave the model's graph; only the
    // poison records are rejected
    operation_faults::graph_operation_records_under_faults_match_the_model(&server).await;

    // AND (a fact of the stand-in, not of Neptune) one transaction that creates an edge, drops an endpoint and creates
    // the edge again commits without it: TinkerTransactionGraph 3.7.5 loses the edge. The mixed demo's Gremlin test
    // writes one record a transaction for it (docs/local-mode.md, "Known stand-in differences"); when this fails,
    // TinkerPop has fixed it and that test and note can go.
    let edge = || {
        decode(r#"{"op":"upsertEdge","id":"tx-e","label":"placed","from":"tx-a","to":"tx-b","fromLabel":"customer","toLabel":"order"}"#)
            .unwrap()
            .remove(0)
    };
    let recreated = [
        edge(),
        Operation::DeleteVertex { id: "tx-a".into() },
        edge(),
    ];
    let mut expected = Graph::default();
    for op in &recreated {
        expected.apply(op).unwrap();
    }
    assert!(expected.edges.contains_key("tx-e"));
    deps.store
        .submit(&operations_query(&recreated), ENGINE_INVOCATION_TIME)
        .await
        .unwrap();
    let read = read_graph(&server.url()).await.unwrap();
    assert!(read.vertices.contains_key("tx-a") && read.vertices.contains_key("tx-b"));
    assert!(
        !read.edges.contains_key("tx-e"),
        "Gremlin Server kept the edge re-created after its endpoint was dropped in one transaction"
    );
    // AND a source graph's Neptune Streams change records (PG_JSON on one key, an unreadable change among them),
    // replayed twice through the handler, leave the source graph
    // (a page per commit, each written alone: Gremlin Server's TinkerGraph refuses, as a conflict on every try, one
    // request that drops a vertex and re-creates an edge of it with the same id, which the second delivery's
    // commits 19 to 21 would be together)
    changes::change_records_through_the_handler_match_the_source(&server, changes::Cut::Commits)
        .await;
    // AND an application's own JSON events through the stack's mappings, delivered twice, leave the model's graph
    mapped::mapped_events_through_the_handler_match_the_model(&server).await;
}
