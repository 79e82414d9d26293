//! The openCypher write path against a recording HTTP server (no openCypher server is available
//! here): request shape (path, content type, the `query` and `parameters` form fields, SigV4) and
//! retries driven by Neptune's error bodies played back in order.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::playback::*;
use common::*;
use stream2neptune_writer::opencypher::CREATE_QUERY;
use stream2neptune_writer::record::parse_record;

const MINUTE: Duration = Duration::from_secs(60);

/// The decoded form fields of a recorded body: (query, parsed parameters).
fn fields(request: &Recorded) -> (String, serde_json::Value) {
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect();
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["query", "parameters"], "form fields");
    let parameters = serde_json::from_str(&fields[1].1).expect("parameters is a JSON document");
    (fields[0].1.clone(), parameters)
}

fn opencypher_deps(
    port: u16,
    extra: &[(&str, &str)],
) -> (
    stream2neptune_writer::Deps,
    Arc<Mutex<Vec<serde_json::Value>>>,
) {
    let url = format!("http://127.0.0.1:{port}");
    let mut vars = vec![
        ("NEPTUNE_ENDPOINT", url.as_str()),
        ("QUERY_LANGUAGE", "opencypher"),
        ("RETRY_BASE_DELAY_MS", "1"),
        ("RETRY_MAX_DELAY_MS", "5"),
    ];
    vars.extend_from_slice(extra);
    deps(&vars)
}

/// The query of a write of follows edges (CONDITIONAL_CREATE=true): the people created where absent, then the
/// edges merged (`$w.r0_1`).
const MERGE_QUERY: &str = "UNWIND $w.r0_0 AS v OPTIONAL MATCH (x {`~id`: v}) WITH v, x WHERE x IS NULL \
     CREATE (:`person` {`~id`: v}) WITH count(*) AS b \
     UNWIND $w.r0_1 AS r MATCH (a {`~id`: r.from}), (z {`~id`: r.to}) \
     MERGE (a)-[e:`follows` {`~id`: r.id}]->(z) ON CREATE SET e += r.c SET e += r.p";

/// The edge rows of a recorded write of follows edges.
fn edge_rows(request: &Recorded) -> serde_json::Value {
    let (query, parameters) = fields(request);
    assert_eq!(query, MERGE_QUERY);
    parameters["w"]["r0_1"].clone()
}

/// The edge rows of one write of `records` (each a distinct edge): each with its follows id, ends, creation date
/// set on create and no other property.
fn expected_rows(records: &[TestRecord]) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            let edge = parse_record(&r.data, 65_536).unwrap();
            serde_json::json!({
                "id": edge.id(),
                "from": edge.from,
                "to": edge.to,
                "p": {},
                "c": { "creationDate": edge.created.text },
            })
        })
        .collect();
    serde_json::Value::Array(rows)
}

#[tokio::test]
async fn request_shape_and_sigv4_signature() {
    // GIVEN openCypher with IAM auth and session credentials, as on Lambda
    let server = playback(vec![]).await;
    let (deps, metrics) = opencypher_deps(
        server.port,
        &[
            ("IAM_AUTH", "true"),
            ("AWS_REGION", "eu-west-3"),
            ("AWS_ACCESS_KEY_ID", "ASIATESTKEY"),
            ("AWS_SECRET_ACCESS_KEY", "test/secret+key"),
            ("AWS_SESSION_TOKEN", "session-token-value"),
        ],
    );
    let mut records = csv_records(0..3);
    records[2].data =
        br#"{"from":"it's \"x\"})-[:x]->() DETACH DELETE n //","to":"b","created":"2016-05-21","weight":0.5,"via":"app"}"#
            .to_vec();

    // WHEN a batch is written
    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();
    assert_eq!(failures(&response), Vec::<String>::new());
    assert_eq!(metric(&metrics, "EdgesWritten"), 3);

    // THEN one form-encoded POST /openCypher carries the constant query, and the people and edges as parameters
    let recorded = server.recorded.lock().unwrap().clone();
    assert_eq!(recorded.len(), 1);
    let request = &recorded[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/openCypher")
    );
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let (query, parameters) = fields(request);
    assert_eq!(query, MERGE_QUERY);
    let hostile = "it's \"x\"})-[:x]->() DETACH DELETE n //";
    assert_eq!(
        parameters["w"]["r0_0"],
        serde_json::json!(["p0", "p1", "p2", hostile, "b"])
    );
    let mut expected = expected_rows(&records[..2]);
    expected.as_array_mut().unwrap().push(serde_json::json!({
        "id": "it's \"x\"})%2D[:x]%2D>() DETACH DELETE n //-2016-05-21-b",
        "from": hostile,
        "to": "b",
        "p": { "via": "app", "weight": 0.5 },
        "c": { "creationDate": "2016-05-21" },
    }));
    assert_eq!(parameters["w"]["r0_1"], expected);

    // AND it is signed for neptune-db with the session token
    assert_eq!(
        request.header("x-amz-security-token"),
        Some("session-token-value")
    );
    let amz_date = request.header("x-amz-date").expect("x-amz-date");
    let authorization = request.header("authorization").expect("authorization");
    let prefix = format!(
        "AWS4-HMAC-SHA256 Credential=ASIATESTKEY/{}/eu-west-3/neptune-db/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=",
        &amz_date[..8]
    );
    assert!(authorization.starts_with(&prefix), "{authorization}");

    // AND the signature covers what arrived on the wire (path, body, host, content type)
    let time = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .unwrap()
        .and_utc();
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(time.timestamp() as u64);
    let credentials = deps.config.credentials.clone().unwrap();
    let expected = credentials
        .signer("eu-west-3", "neptune-db")
        .sign(
            "POST",
            &format!("http://127.0.0.1:{}{}", server.port, request.path),
            &[("content-type", request.header("content-type").unwrap())],
            &request.body,
            time,
        )
        .unwrap();
    let expected_auth = expected.iter().find(|(n, _)| n == "authorization").unwrap();
    assert_eq!(authorization, expected_auth.1);
}

#[tokio::test]
async fn concurrent_modification_is_retried_with_the_same_request() {
    // GIVEN a store answering two ConcurrentModificationExceptions before accepting
    let server = playback(vec![
        neptune_error(500, "ConcurrentModificationException"),
        neptune_error(500, "ConcurrentModificationException"),
    ])
    .await;
    let (deps, metrics) = opencypher_deps(server.port, &[]);
    let records = csv_records(0..4);

    // WHEN the batch is written
    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();

    // THEN it is sent 3 times, byte for byte the same, and everything is acknowledged
    assert_eq!(failures(&response), Vec::<String>::new());
    let recorded = server.recorded.lock().unwrap().clone();
    assert_eq!(recorded.len(), 3);
    assert!(recorded.iter().all(|r| r.body == recorded[0].body));
    assert_eq!(edge_rows(&recorded[0]), expected_rows(&records));
    assert_eq!(metric(&metrics, "RetryCount"), 2);
    assert_eq!(metric(&metrics, "EdgesWritten"), 4);
}

#[tokio::test]
async fn a_malformed_query_answer_is_not_retried_but_narrowed_to_the_record() {
    // GIVEN a store refusing the batch, then (one by one, and once more) only the first record
    let server = playback(vec![
        neptune_error(400, "MalformedQueryException"),
        neptune_error(400, "MalformedQueryException"),
        (200, OK_BODY.into()),
        neptune_error(400, "MalformedQueryException"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    let (deps, metrics) = opencypher_deps(
        server.port,
        &[("REJECTED_RECORDS_FILE", rejects.to_str().unwrap())],
    );
    let records = csv_records(0..2);

    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();

    // THEN the batch once, then each record alone, then record 0 again once record 1 was
    // accepted; record 0 is rejected, record 1 written
    assert_eq!(failures(&response), Vec::<String>::new());
    let recorded = server.recorded.lock().unwrap().clone();
    let rows: Vec<serde_json::Value> = recorded.iter().map(edge_rows).collect();
    assert_eq!(
        rows,
        vec![
            expected_rows(&records),
            expected_rows(&records[0..1]),
            expected_rows(&records[1..2]),
            expected_rows(&records[0..1]),
        ]
    );
    assert_eq!(metric(&metrics, "RecordsRejected"), 1);
    assert_eq!(metric(&metrics, "EdgesWritten"), 1);
}

#[tokio::test]
async fn unconditional_create_sends_create_with_random_ids() {
    let server = playback(vec![]).await;
    let (deps, _) = opencypher_deps(server.port, &[("CONDITIONAL_CREATE", "false")]);
    stream2neptune_writer::handle(&deps, invocation(&csv_records(0..2), MINUTE))
        .await
        .unwrap();

    let recorded = server.recorded.lock().unwrap().clone();
    assert_eq!(recorded.len(), 1);
    let (query, parameters) = fields(&recorded[0]);
    assert_eq!(query, CREATE_QUERY);
    let rows = parameters["edges"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for (i, row) in rows.iter().enumerate() {
        assert!(
            uuid::Uuid::parse_str(row["id"].as_str().unwrap()).is_ok(),
            "{row}"
        );
        assert_eq!(row["from"], format!("p{i}"));
        assert_eq!(row["to"], format!("p{}", i + 1));
    }
    assert_ne!(rows[0]["id"], rows[1]["id"]);
}

#[tokio::test]
async fn after_a_size_refusal_later_writes_go_at_the_size_that_worked_and_grow_back() {
    // GIVEN a store that runs out of memory on writes of more than `limit` edges (10 for now), and
    // the default BATCH_WRITE_SIZE of 100
    let limit = Arc::new(AtomicUsize::new(10));
    let takes = limit.clone();
    let server = playback_with(Arc::new(move |request: &Recorded| {
        if rows_in(request) > takes.load(Ordering::Relaxed) {
            neptune_error(500, "MemoryLimitExceededException")
        } else {
            (200, OK_BODY.into())
        }
    }))
    .await;
    let (deps, metrics) = opencypher_deps(server.port, &[]);
    let records = csv_records(0..1_000);

    // WHEN 1,000 edges are handled
    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();

    // THEN they are written once, in stream order, halved down once and then sent at the size that
    // worked, tried bigger now and then: about 100 requests, not the ~1,900 of halving every batch
    // of 100 down from 100 again
    assert_eq!(failures(&response), Vec::<String>::new());
    let recorded = std::mem::take(&mut *server.recorded.lock().unwrap());
    let sizes: Vec<usize> = recorded.iter().map(rows_in).collect();
    assert_eq!(sizes[..5], [100, 50, 25, 12, 6], "{sizes:?}");
    let refused = sizes.iter().filter(|&&n| n > 10).count();
    assert!(refused <= 8, "{refused} refused: {sizes:?}");
    assert!(sizes.len() <= 115, "{} requests: {sizes:?}", sizes.len());
    let written: Vec<serde_json::Value> = recorded
        .iter()
        .filter(|r| rows_in(r) <= 10)
        .flat_map(|r| edge_rows(r).as_array().unwrap().clone())
        .collect();
    assert_eq!(serde_json::Value::Array(written), expected_rows(&records));
    assert_eq!(metric(&metrics, "WritesShrunk"), refused as u64);
    assert_eq!(metric(&metrics, "EdgesWritten"), 1_000);
    // The size the writer goes on with: 10, or a size it tries next below the smallest refused.
    let kept = last_metric(&metrics, "WriteSize");
    assert!((6..=15).contains(&kept), "WriteSize {kept}");

    // AND once the store takes 100 again, the next invocation's writes grow back to 100, unrefused
    limit.store(100, Ordering::Relaxed);
    let records = csv_records(1_000..3_000);
    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();
    assert_eq!(failures(&response), Vec::<String>::new());
    let sizes: Vec<usize> = server
        .recorded
        .lock()
        .unwrap()
        .iter()
        .map(rows_in)
        .collect();
    assert_eq!(sizes[0], kept as usize, "{sizes:?}");
    let full = &sizes[..sizes.len() - 1];
    assert!(full.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
    assert!(sizes.contains(&100), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 2_000);
    assert_eq!(last_metric(&metrics, "WriteSize"), 100);
}

/// The edges a recorded request writes.
fn rows_in(request: &Recorded) -> usize {
    edge_rows(request).as_array().unwrap().len()
}

/// A metric of the last EMF document emitted.
fn last_metric(docs: &Mutex<Vec<serde_json::Value>>, name: &str) -> u64 {
    docs.lock().unwrap().last().unwrap()[name].as_u64().unwrap()
}
