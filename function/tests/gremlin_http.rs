//! The Gremlin write path against a recording HTTP server: request shape (path, headers, body,
//! SigV4) and retries driven by Neptune's own error bodies played back in order.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use common::playback::*;
use common::*;
use stream2neptune_writer::gremlin::{GremlinStyle, batch_query};
use stream2neptune_writer::record::parse_record;
use stream2neptune_writer_environment::{GremlinBatchForm, GremlinUpsertStyle};

/// The `gremlin` member of a recorded JSON body.
trait GremlinBody {
    fn gremlin(&self) -> String;
}

impl GremlinBody for Recorded {
    fn gremlin(&self) -> String {
        let json: serde_json::Value = serde_json::from_slice(&self.body).expect("JSON body");
        json["gremlin"]
            .as_str()
            .expect("a `gremlin` string member")
            .to_string()
    }
}

/// The Gremlin text of every request `server` received so far, in arrival order.
fn gremlin_bodies(server: &Playback) -> Vec<String> {
    server
        .recorded
        .lock()
        .unwrap()
        .iter()
        .map(Recorded::gremlin)
        .collect()
}

fn gremlin_deps(
    port: u16,
    extra: &[(&str, &str)],
) -> (
    stream2neptune_writer::Deps,
    Arc<Mutex<Vec<serde_json::Value>>>,
) {
    let url = format!("http://127.0.0.1:{port}");
    let mut vars = vec![
        ("NEPTUNE_ENDPOINT", url.as_str()),
        ("RETRY_BASE_DELAY_MS", "1"),
        ("RETRY_MAX_DELAY_MS", "5"),
        ("STOP_WAIT_MS", "0"),
    ];
    vars.extend_from_slice(extra);
    deps(&vars)
}

/// The default request text for `records` (GREMLIN_BATCH_FORM unset: chained).
fn expected_query(records: &[TestRecord]) -> String {
    expected_query_in(GremlinBatchForm::Chained, records)
}

fn expected_query_in(form: GremlinBatchForm, records: &[TestRecord]) -> String {
    let operations: Vec<_> = records
        .iter()
        .map(|r| parse_record(&r.data, 65_536).unwrap().into_operation())
        .collect();
    batch_query(
        &operations,
        GremlinStyle {
            upsert: GremlinUpsertStyle::Merge,
            conditional_create: true,
            form,
        },
        || unreachable!(),
    )
}

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn request_shape_and_sigv4_signature() {
    // GIVEN IAM auth with session credentials, as on Lambda
    let server = playback(vec![]).await;
    let (deps, _) = gremlin_deps(
        server.port,
        &[
            ("IAM_AUTH", "true"),
            ("AWS_REGION", "eu-west-3"),
            ("AWS_ACCESS_KEY_ID", "ASIATESTKEY"),
            ("AWS_SECRET_ACCESS_KEY", "test/secret+key"),
            ("AWS_SESSION_TOKEN", "session-token-value"),
        ],
    );
    let records = csv_records(0..3);

    // WHEN a batch is written
    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();
    assert_eq!(failures(&response), Vec::<String>::new());

    // THEN one POST /gremlin carries the exact traversal as JSON, signed for neptune-db
    let recorded = server.recorded.lock().unwrap().clone();
    assert_eq!(recorded.len(), 1);
    let request = &recorded[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/gremlin")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.header("host"),
        Some(format!("127.0.0.1:{}", server.port).as_str())
    );
    assert_eq!(request.gremlin(), expected_query(&records));
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
    let signature = &authorization[prefix.len()..];
    assert!(
        signature.len() == 64 && signature.chars().all(|c| c.is_ascii_hexdigit()),
        "{signature}"
    );

    // AND the signature covers what arrived on the wire (body, host, content type)
    let time = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .unwrap()
        .and_utc();
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(time.timestamp() as u64);
    let credentials = deps.config.credentials.clone().unwrap();
    let expected = credentials
        .signer("eu-west-3", "neptune-db")
        .sign(
            "POST",
            &format!("http://127.0.0.1:{}/gremlin", server.port),
            &[("content-type", request.header("content-type").unwrap())],
            &request.body,
            time,
        )
        .unwrap();
    let expected_auth = expected.iter().find(|(n, _)| n == "authorization").unwrap();
    assert_eq!(authorization, expected_auth.1);

    // AND with GREMLIN_BATCH_FORM=rows the same batch is one request in the rows form
    let rows_server = playback(vec![]).await;
    let (deps, _) = gremlin_deps(rows_server.port, &[("GREMLIN_BATCH_FORM", "rows")]);
    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();
    assert_eq!(failures(&response), Vec::<String>::new());
    let bodies: Vec<String> = gremlin_bodies(&rows_server);
    assert_eq!(
        bodies,
        vec![expected_query_in(GremlinBatchForm::Rows, &records)]
    );
    assert!(bodies[0].starts_with("g.inject(["), "{}", bodies[0]);
}

#[tokio::test]
async fn neptune_errors_are_retried_and_read_only_reconnects() {
    // GIVEN a store answering CME, 429, a bare 500 and a read-only violation before accepting
    let server = playback(vec![
        neptune_error(500, "ConcurrentModificationException"),
        neptune_error(429, "TooManyRequestsException"),
        (500, "Internal Server Error".into()),
        neptune_error(400, "ReadOnlyViolationException"),
    ])
    .await;
    let (deps, metrics) = gremlin_deps(server.port, &[]);
    let records = csv_records(0..4);

    // WHEN the batch is written
    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();

    // THEN it is sent 5 times, the same text each time, and everything is acknowledged
    assert_eq!(failures(&response), Vec::<String>::new());
    let recorded = server.recorded.lock().unwrap().clone();
    assert_eq!(recorded.len(), 5);
    assert!(
        recorded
            .iter()
            .all(|r| r.gremlin() == expected_query(&records))
    );
    assert_eq!(metric(&metrics, "RetryCount"), 4);
    assert_eq!(metric(&metrics, "EdgesWritten"), 4);
    // Connections are reused across ordinary retries, and replaced after the read-only violation.
    let connections: Vec<usize> = recorded.iter().map(|r| r.connection).collect();
    assert_eq!(connections[..4], [connections[0]; 4], "{connections:?}");
    assert_ne!(
        connections[4], connections[3],
        "no reconnect after ReadOnlyViolationException: {connections:?}"
    );
}

#[tokio::test]
async fn access_denied_is_not_retried_and_the_answer_waits() {
    // GIVEN a store denying access (a policy change takes up to 10 minutes to apply)
    let server = playback(vec![neptune_error(403, "AccessDeniedException")]).await;
    let (deps, metrics) = gremlin_deps(server.port, &[("STOP_WAIT_MS", "400")]);
    let records = csv_records(0..4);
    let started = Instant::now();

    // WHEN a batch is handled
    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();

    // THEN one request, nothing acknowledged, and the answer comes after STOP_WAIT_MS, so
    // Lambda's redelivery does not spin the shard
    assert_eq!(failures(&response), vec![sequence_number(0)]);
    assert_eq!(server.recorded.lock().unwrap().len(), 1);
    assert_eq!(metric(&metrics, "BatchesFailed"), 1);
    assert_eq!(metric(&metrics, "EdgesWritten"), 0);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_wait_after_a_stop_error_ends_before_the_deadline() {
    let server = playback(vec![neptune_error(403, "AccessDeniedException")]).await;
    let (deps, _) = gremlin_deps(
        server.port,
        &[("STOP_WAIT_MS", "60000"), ("DEADLINE_MARGIN_MS", "300")],
    );
    let started = Instant::now();

    let response = stream2neptune_writer::handle(
        &deps,
        invocation(&csv_records(0..2), Duration::from_millis(1_500)),
    )
    .await
    .unwrap();

    assert_eq!(failures(&response), vec![sequence_number(0)]);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1_000) && took < Duration::from_millis(1_400),
        "answered after {took:?}"
    );
}

#[tokio::test]
async fn every_record_refused_on_its_own_is_an_environment_error_not_a_rejection() {
    // GIVEN a store refusing everything as malformed (mergeE on an engine before 1.2.1.0)
    let script = (0..20)
        .map(|_| neptune_error(400, "MalformedQueryException"))
        .collect();
    let server = playback(script).await;
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    let (deps, metrics) = gremlin_deps(
        server.port,
        &[("REJECTED_RECORDS_FILE", rejects.to_str().unwrap())],
    );
    let records = csv_records(0..4);

    // WHEN the batch is handled
    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();

    // THEN the batch, then each record alone, was tried; nothing is rejected, the checkpoint
    // stays at the first record, and the metric says why
    let bodies: Vec<String> = gremlin_bodies(&server);
    let mut expected = vec![expected_query(&records)];
    expected.extend(
        records
            .iter()
            .map(|r| expected_query(std::slice::from_ref(r))),
    );
    assert_eq!(bodies, expected);
    assert_eq!(failures(&response), vec![sequence_number(0)]);
    assert!(!rejects.exists(), "nothing may be rejected");
    assert_eq!(metric(&metrics, "RecordsRejected"), 0);
    assert_eq!(metric(&metrics, "EnvironmentRefusals"), 4);
    assert_eq!(metric(&metrics, "BatchesFailed"), 1);
}

#[tokio::test]
async fn a_write_too_big_is_halved_down_to_one_record_and_later_writes_keep_the_size() {
    // GIVEN a store answering each size failure once: 8 records, then 4, then 1
    let server = playback(vec![
        neptune_error(500, "MemoryLimitExceededException"),
        neptune_error(500, "TimeLimitExceededException"),
        (200, OK_BODY.into()),
        neptune_error(500, "QueryLimitExceededException"),
        (200, OK_BODY.into()),
        neptune_error(500, "MemoryLimitExceededException"),
    ])
    .await;
    let (deps, metrics) = gremlin_deps(server.port, &[]);
    let records = csv_records(0..8);

    // WHEN the batch is handled
    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();

    // THEN 8 -> 4, 4 -> 2, the next 2 -> 1, and a lone record that still fails is retried as
    // transient; the records after it go one by one (the size that worked); all is written in
    // stream order before the answer
    assert_eq!(failures(&response), Vec::<String>::new());
    let bodies: Vec<String> = gremlin_bodies(&server);
    let q = |range: std::ops::Range<usize>| expected_query(&records[range]);
    assert_eq!(
        bodies,
        vec![
            q(0..8),
            q(0..4),
            q(0..2),
            q(2..4),
            q(2..3),
            q(3..4),
            q(3..4),
            q(4..5),
            q(5..6),
            q(6..7),
            q(7..8)
        ]
    );
    assert_eq!(metric(&metrics, "WritesShrunk"), 3);
    assert_eq!(metric(&metrics, "RetryCount"), 1);
    assert_eq!(metric(&metrics, "EdgesWritten"), 8);
}

#[tokio::test]
async fn a_refused_batch_is_narrowed_to_the_record_at_fault() {
    // GIVEN a store refusing the batch, then (one by one) only the second record, twice
    let server = playback(vec![
        neptune_error(400, "MalformedQueryException"),
        (200, OK_BODY.into()),
        neptune_error(400, "MalformedQueryException"),
        (200, OK_BODY.into()),
        neptune_error(400, "MalformedQueryException"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    let (deps, metrics) = gremlin_deps(
        server.port,
        &[("REJECTED_RECORDS_FILE", rejects.to_str().unwrap())],
    );
    let records = csv_records(0..3);

    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();

    // THEN the batch, then each record alone, then record 1 again once the store has accepted a
    // later record; refused again, it is rejected with the store's reason
    assert_eq!(failures(&response), Vec::<String>::new());
    let recorded = server.recorded.lock().unwrap().clone();
    let bodies: Vec<String> = recorded.iter().map(Recorded::gremlin).collect();
    assert_eq!(
        bodies,
        vec![
            expected_query(&records),
            expected_query(&records[0..1]),
            expected_query(&records[1..2]),
            expected_query(&records[2..3]),
            expected_query(&records[1..2])
        ]
    );
    let reject: stream2neptune_writer::rejects::RejectedRecord =
        serde_json::from_str(std::fs::read_to_string(&rejects).unwrap().trim()).unwrap();
    assert_eq!(
        (reject.sequence_number.as_str(), reject.reason_code.as_str()),
        (sequence_number(1).as_str(), "StoreRefused")
    );
    assert!(
        reject.reason.contains("MalformedQueryException"),
        "{}",
        reject.reason
    );
    assert_eq!(metric(&metrics, "EdgesWritten"), 2);
    assert_eq!(metric(&metrics, "RecordsRejected"), 1);
}

#[tokio::test]
async fn a_record_refused_while_the_environment_is_being_fixed_is_written_not_rejected() {
    // GIVEN a store that refuses the batch and its first record, then works again
    let server = playback(vec![
        neptune_error(400, "MalformedQueryException"),
        neptune_error(400, "MalformedQueryException"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    let (deps, metrics) = gremlin_deps(
        server.port,
        &[("REJECTED_RECORDS_FILE", rejects.to_str().unwrap())],
    );
    let records = csv_records(0..3);

    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();

    // THEN record 0 is tried again after the others were accepted, and written
    assert_eq!(failures(&response), Vec::<String>::new());
    assert!(!rejects.exists());
    assert_eq!(server.recorded.lock().unwrap().len(), 5);
    assert_eq!(metric(&metrics, "EdgesWritten"), 3);
    assert_eq!(metric(&metrics, "RecordsRejected"), 0);
}

#[tokio::test]
async fn refusals_that_begin_mid_batch_are_an_environment_error_from_the_first() {
    // GIVEN a store that accepts record 0 alone, then refuses everything
    let server = playback(vec![
        neptune_error(400, "MalformedQueryException"),
        (200, OK_BODY.into()),
        neptune_error(400, "MalformedQueryException"),
        neptune_error(400, "MalformedQueryException"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    let (deps, metrics) = gremlin_deps(
        server.port,
        &[("REJECTED_RECORDS_FILE", rejects.to_str().unwrap())],
    );
    let records = csv_records(0..3);

    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();

    // THEN nothing accepted after the refusals proves records 1 and 2 bad: the checkpoint is 1
    assert_eq!(failures(&response), vec![sequence_number(1)]);
    assert!(!rejects.exists());
    assert_eq!(metric(&metrics, "EnvironmentRefusals"), 2);
    assert_eq!(metric(&metrics, "RecordsRejected"), 0);
}

#[tokio::test]
async fn a_write_that_keeps_conflicting_is_written_in_halves() {
    // GIVEN a store answering three ConcurrentModificationExceptions to the first write, then accepting
    let server = playback(vec![
        neptune_error(500, "ConcurrentModificationException"),
        neptune_error(500, "ConcurrentModificationException"),
        neptune_error(500, "ConcurrentModificationException"),
    ])
    .await;
    let (deps, metrics) = gremlin_deps(server.port, &[]);
    let records = csv_records(0..4);

    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();

    // THEN after its third conflict the write is not sent whole again: its first half goes on its
    // own, then the rest; everything is written, in stream order, and nothing else shrinks
    assert_eq!(failures(&response), Vec::<String>::new());
    let bodies: Vec<String> = gremlin_bodies(&server);
    let q = |range: std::ops::Range<usize>| expected_query(&records[range]);
    assert_eq!(bodies, vec![q(0..4), q(0..4), q(0..4), q(0..2), q(2..4)]);
    assert_eq!(metric(&metrics, "RetryCount"), 2);
    assert_eq!(metric(&metrics, "EdgesWritten"), 4);
    assert_eq!(metric(&metrics, "WritesShrunk"), 0);
    assert_eq!(metric(&metrics, "WriteSize"), 100);
}

#[tokio::test]
async fn exhausted_retries_checkpoint_at_the_failing_batch() {
    let server = playback(vec![
        (200, OK_BODY.into()),
        neptune_error(500, "ThrottlingException"),
        neptune_error(500, "ThrottlingException"),
        neptune_error(500, "ThrottlingException"),
    ])
    .await;
    let (deps, metrics) = gremlin_deps(
        server.port,
        &[("BATCH_WRITE_SIZE", "2"), ("RETRY_MAX_ATTEMPTS", "3")],
    );
    let records = csv_records(0..6);

    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();

    assert_eq!(failures(&response), vec![sequence_number(2)]);
    assert_eq!(
        server.recorded.lock().unwrap().len(),
        4,
        "one good batch, then 3 attempts, then stop"
    );
    assert_eq!(metric(&metrics, "EdgesWritten"), 2);
    assert_eq!(metric(&metrics, "BatchesFailed"), 1);
}

#[tokio::test]
async fn retries_stop_at_the_invocation_deadline() {
    let script = (0..10_000)
        .map(|_| neptune_error(500, "ThrottlingException"))
        .collect();
    let server = playback(script).await;
    let (deps, _) = gremlin_deps(
        server.port,
        &[
            ("RETRY_MAX_ATTEMPTS", "100"),
            ("RETRY_BASE_DELAY_MS", "20"),
            ("RETRY_MAX_DELAY_MS", "200"),
            ("DEADLINE_MARGIN_MS", "200"),
        ],
    );
    let records = csv_records(0..3);
    let started = Instant::now();

    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, Duration::from_millis(1_500)))
            .await
            .unwrap();

    assert_eq!(failures(&response), vec![sequence_number(0)]);
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "answered after the deadline: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn concurrent_lanes_keep_each_partition_key_in_order() {
    // GIVEN two keys in different lanes, one record per batch
    let (a, b) = (
        "key-a",
        (0..)
            .map(|i| format!("key-{i}"))
            .find(|k| {
                stream2neptune_writer::batching::lane_of(k, 2)
                    != stream2neptune_writer::batching::lane_of("key-a", 2)
            })
            .unwrap(),
    );
    let server = playback(vec![]).await;
    let (deps, _) = gremlin_deps(
        server.port,
        &[("WRITE_CONCURRENCY", "2"), ("BATCH_WRITE_SIZE", "1")],
    );
    let mut records = csv_records(0..40);
    for (i, r) in records.iter_mut().enumerate() {
        r.partition_key = if i % 2 == 0 { a.to_string() } else { b.clone() };
    }

    let response = stream2neptune_writer::handle(&deps, invocation(&records, MINUTE))
        .await
        .unwrap();

    // THEN all 40 are written once, and per key in stream order
    assert_eq!(failures(&response), Vec::<String>::new());
    let recorded = server.recorded.lock().unwrap().clone();
    assert_eq!(recorded.len(), 40);
    let order: Vec<usize> = recorded
        .iter()
        .map(|r| {
            records
                .iter()
                .position(|rec| expected_query(std::slice::from_ref(rec)) == r.gremlin())
                .unwrap()
        })
        .collect();
    for parity in [0, 1] {
        let lane: Vec<usize> = order.iter().copied().filter(|i| i % 2 == parity).collect();
        assert_eq!(lane.len(), 20);
        assert!(
            lane.windows(2).all(|w| w[0] < w[1]),
            "key order broken: {lane:?}"
        );
    }
}

#[tokio::test]
async fn coalesce_style_and_unconditional_create_reach_the_wire() {
    let server = playback(vec![]).await;
    let (deps, _) = gremlin_deps(server.port, &[("GREMLIN_UPSERT_STYLE", "coalesce")]);
    stream2neptune_writer::handle(&deps, invocation(&csv_records(0..1), MINUTE))
        .await
        .unwrap();
    let (deps, _) = gremlin_deps(server.port, &[("CONDITIONAL_CREATE", "false")]);
    stream2neptune_writer::handle(&deps, invocation(&csv_records(0..1), MINUTE))
        .await
        .unwrap();

    let bodies: Vec<String> = gremlin_bodies(&server);
    assert_eq!(bodies.len(), 2);
    assert!(
        bodies[0].starts_with(
            "g.V('p0').fold().coalesce(__.unfold(),__.addV('person').property(T.id,'p0'))"
        ) && bodies[0]
            .contains(".V('p0').outE('follows').hasId('p0-2016-05-21-p1').fold().coalesce("),
        "{}",
        bodies[0]
    );
    // A random UUID edge id and a plain addE (the sample's non-idempotent mode).
    let random_id = bodies[1]
        .split(".property(T.id,'")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap();
    assert!(uuid::Uuid::parse_str(random_id).is_ok(), "{}", bodies[1]);
    assert!(
        bodies[1].contains(".V('p0').addE('follows').to(__.V('p1'))"),
        "{}",
        bodies[1]
    );
}
