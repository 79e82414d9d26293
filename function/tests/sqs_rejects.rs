//! Rejected records sent to SQS (REJECTED_QUEUE_URL) through moto's SQS server: SendMessage over
//! the JSON protocol, signed with SigV4, then read back with ReceiveMessage. The first test reaches both the store
//! and the queue over TLS (the test kit's proxy, with a CA made for the run and trusted through SSL_CERT_FILE), as
//! Neptune and SQS are reached; the last ones show a certificate the writer does not trust refused with an error
//! naming the endpoint.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::*;
use stream2neptune_testkit::{TestCa, TlsProxy};
use stream2neptune_writer::GraphStore as _;
use stream2neptune_writer::error::{Disposition, StoreError};
use stream2neptune_writer::rejects::RejectedRecord;
use stream2neptune_writer::retry::Deadline;

async fn sqs(port: u16, action: &str, body: serde_json::Value) -> serde_json::Value {
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/"))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("AmazonSQS.{action}"))
        // moto reads the region from the credential scope
        .header("authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{action}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

/// `queue_url` (moto's, on its plain port) as reached through `proxy`.
fn through(proxy: &TlsProxy, queue_url: &str) -> String {
    let path = queue_url
        .splitn(4, '/')
        .nth(3)
        .expect("a queue URL with a path");
    format!("{}/{path}", proxy.url())
}

#[tokio::test]
async fn malformed_records_are_sent_to_the_rejects_queue_over_tls() {
    // GIVEN a queue and a writer whose rejects go to it, the store and the queue each behind a TLS proxy whose
    // certificate a CA made for this run issued, and that CA in SSL_CERT_FILE (the writer's own setting, read at
    // init: nothing else in the process trusts it)
    let moto = Moto::start();
    let store = Oxigraph::start();
    let queue = sqs(
        moto.port,
        "CreateQueue",
        serde_json::json!({"QueueName": "rejects"}),
    )
    .await;
    let ca = TestCa::new("stream2neptune writer test CA");
    let store_tls = TlsProxy::start(&ca, store.port);
    let queue_tls = TlsProxy::start(&ca, moto.port);
    let queue_url = queue["QueueUrl"].as_str().unwrap().to_string();
    let queue_url_tls = through(&queue_tls, &queue_url);
    let store_url = store_tls.url();
    let ca_file = ca.pem_file().display().to_string();
    assert!(store_url.starts_with("https://") && queue_url_tls.starts_with("https://"));
    let (deps, metrics) = deps(&[
        ("NEPTUNE_ENDPOINT", &store_url),
        ("QUERY_LANGUAGE", "sparql"),
        ("REJECTED_QUEUE_URL", &queue_url_tls),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "token"),
        ("SSL_CERT_FILE", &ca_file),
    ]);
    let mut records = csv_records(0..3);
    records[1].data = b"a,b,not-a-date".to_vec();

    // WHEN handled
    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, Duration::from_secs(60)))
            .await
            .unwrap();

    // THEN all is acknowledged, two edges are written and the queue holds the reject
    assert_eq!(failures(&response), Vec::<String>::new());
    assert_eq!(store.edges().await, 2);
    assert_eq!(metric(&metrics, "RecordsRejected"), 1);
    let received = sqs(
        moto.port,
        "ReceiveMessage",
        serde_json::json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 10}),
    )
    .await;
    let messages = received["Messages"].as_array().expect("a message");
    assert_eq!(messages.len(), 1);
    let reject: RejectedRecord =
        serde_json::from_str(messages[0]["Body"].as_str().unwrap()).unwrap();
    assert_eq!(reject.sequence_number, sequence_number(1));
    assert_eq!(reject.reason_code, "BadDate");
    assert_eq!(reject.shard_id, "shardId-000000000003");
}

#[tokio::test]
async fn a_record_too_large_for_one_message_reaches_the_queue_whole_in_parts() {
    // GIVEN a queue and a 700 KB record (moto 5.2 accepts bodies up to 1 MiB, so the 256 KiB
    // bound is checked on each body received)
    let moto = Moto::start();
    let store = Oxigraph::start();
    let queue = sqs(
        moto.port,
        "CreateQueue",
        serde_json::json!({"QueueName": "rejects-large"}),
    )
    .await;
    let queue_url = queue["QueueUrl"].as_str().unwrap().to_string();
    let store_url = store.url();
    let (deps, _) = deps(&[
        ("NEPTUNE_ENDPOINT", &store_url),
        ("QUERY_LANGUAGE", "sparql"),
        ("REJECTED_QUEUE_URL", &queue_url),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ]);
    let mut records = csv_records(0..2);
    let big: Vec<u8> = (0..700_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    records[1].data = big.clone();

    // WHEN handled
    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, Duration::from_secs(60)))
            .await
            .unwrap();

    // THEN the record is acknowledged, and the queue's messages put together give it back whole
    assert_eq!(failures(&response), Vec::<String>::new());
    let mut parts: Vec<RejectedRecord> = Vec::new();
    for _ in 0..10 {
        let received = sqs(
            moto.port,
            "ReceiveMessage",
            serde_json::json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 10}),
        )
        .await;
        let Some(messages) = received["Messages"].as_array() else {
            break;
        };
        for m in messages {
            let body = m["Body"].as_str().unwrap();
            assert!(body.len() <= stream2neptune_writer::rejects::SQS_MAX_MESSAGE_BYTES);
            parts.push(serde_json::from_str(body).unwrap());
        }
    }
    parts.sort_by_key(|p| p.data_part);
    assert!(parts.len() >= 4, "{} parts", parts.len());
    let engine = base64::engine::general_purpose::STANDARD;
    let mut whole = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        assert_eq!((part.data_part, part.data_parts), (i, parts.len()));
        assert_eq!(part.sequence_number, sequence_number(1));
        assert_eq!(part.reason_code, "Oversize");
        assert_eq!(part.data_offset, whole.len());
        whole.extend(engine.decode(&part.data).unwrap());
    }
    assert_eq!(whole, big);
}

#[tokio::test]
async fn sqs_throttling_in_the_json_protocol_is_retried() {
    // GIVEN an SQS endpoint that throttles twice (HTTP 400, `__type`, no `code`) before accepting
    let queue = common::playback::playback(vec![
        (
            400,
            r#"{"__type":"com.amazonaws.sqs#ThrottlingException","message":"Rate exceeded"}"#
                .into(),
        ),
        (
            400,
            r#"{"__type":"com.amazonaws.sqs#RequestThrottled","message":"Request is throttled."}"#
                .into(),
        ),
        (
            200,
            r#"{"MessageId":"5fea7756-0ea4-451a-a703-a558b933e274","MD5OfMessageBody":"x"}"#.into(),
        ),
    ])
    .await;
    let store = common::playback::playback(vec![]).await;
    let queue_url = format!("http://127.0.0.1:{}/123456789012/rejects", queue.port);
    let store_url = format!("http://127.0.0.1:{}", store.port);
    let (deps, metrics) = deps(&[
        ("NEPTUNE_ENDPOINT", &store_url),
        ("REJECTED_QUEUE_URL", &queue_url),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("RETRY_BASE_DELAY_MS", "1"),
        ("RETRY_MAX_DELAY_MS", "5"),
    ]);
    let mut records = csv_records(0..3);
    records[2].data = b"not,a,2016-13-45".to_vec();

    // WHEN handled
    let response =
        stream2neptune_writer::handle(&deps, invocation(&records, Duration::from_secs(60)))
            .await
            .unwrap();

    // THEN the reject was sent three times, the same message, and everything is acknowledged
    assert_eq!(failures(&response), Vec::<String>::new());
    let sent = queue.recorded.lock().unwrap().clone();
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(
        |r| r.body == sent[0].body && r.header("x-amz-target") == Some("AmazonSQS.SendMessage")
    ));
    let body: serde_json::Value = serde_json::from_slice(&sent[0].body).unwrap();
    let reject: RejectedRecord =
        serde_json::from_str(body["MessageBody"].as_str().unwrap()).unwrap();
    assert_eq!(reject.sequence_number, sequence_number(2));
    assert_eq!(metric(&metrics, "RecordsRejected"), 1);
}

/// Deps writing SPARQL to `endpoint` (nothing listens behind it: a refused handshake never gets there) with
/// rejects to `queue_url`, trusting the CA certificates in `ca_file`.
fn deps_trusting(
    endpoint: &str,
    queue_url: &str,
    ca_file: &std::path::Path,
) -> stream2neptune_writer::Deps {
    deps(&[
        ("NEPTUNE_ENDPOINT", endpoint),
        ("QUERY_LANGUAGE", "sparql"),
        ("REJECTED_QUEUE_URL", queue_url),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("RETRY_MAX_ATTEMPTS", "3"),
        ("STOP_WAIT_MS", "0"),
        ("SSL_CERT_FILE", &ca_file.display().to_string()),
    ])
    .0
}

const INSERT: &str = "INSERT DATA { <urn:a> <urn:b> <urn:c> }";

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused_naming_the_endpoint_and_stops_the_batch() {
    // GIVEN a store and a queue behind TLS proxies whose CA the writer does not trust (it trusts another one)
    let theirs = TestCa::new("stream2neptune untrusted CA");
    let ours = TestCa::new("stream2neptune trusted CA");
    let closed = free_port();
    let store_tls = TlsProxy::start(&theirs, closed);
    let queue_tls = TlsProxy::start(&theirs, closed);
    let store_url = store_tls.url();
    let queue_url = format!("{}/123456789012/rejects", queue_tls.url());
    let deps = deps_trusting(&store_url, &queue_url, ours.pem_file());

    // WHEN a write is submitted
    let err = deps
        .store
        .submit(INSERT, Duration::from_secs(30))
        .await
        .unwrap_err();

    // THEN it is refused as a certificate error naming the URL and rustls's reason, which stops the batch
    // instead of being retried until the deadline
    assert!(matches!(err, StoreError::Certificate { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "the TLS certificate of {store_url}/sparql is not trusted: UnknownIssuer; "
        )),
        "{text}"
    );
    assert!(text.contains("SSL_CERT_FILE"), "{text}");
    assert_eq!(err.disposition(), Disposition::Stop);

    // AND the rejects queue's certificate is refused the same way, the error naming the queue and its URL
    let records = csv_records(0..1);
    let event = kinesis_event(&records);
    let reject = RejectedRecord::new(
        &event.records[0],
        &stream2neptune_writer::record::RejectReason::Oversize { size: 2, limit: 1 },
    );
    let err = deps
        .rejects
        .send(&reject, Deadline::after(Duration::from_secs(60)))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "cannot send the rejected record to SQS queue {queue_url}: the TLS certificate of {}/ is not trusted: UnknownIssuer; ",
            queue_tls.url()
        )),
        "{err}"
    );

    // AND a whole invocation stops at once and reports its records as not written
    let response = stream2neptune_writer::handle(
        &deps,
        invocation(&csv_records(0..2), Duration::from_secs(60)),
    )
    .await
    .unwrap();
    assert_eq!(failures(&response), vec![sequence_number(0)]);
}

#[tokio::test]
async fn a_certificate_for_another_host_name_is_refused_naming_the_endpoint() {
    // GIVEN a proxy whose certificate (from the CA the writer trusts) names localhost, reached as 127.0.0.1
    let ca = TestCa::new("stream2neptune writer test CA");
    let proxy = TlsProxy::start(&ca, free_port());
    let by_address = format!("https://127.0.0.1:{}", proxy.port);
    let deps = deps_trusting(&by_address, &format!("{by_address}/q"), ca.pem_file());

    // WHEN a write is submitted THEN the certificate is refused for its name, with the URL in the error
    let err = deps
        .store
        .submit(INSERT, Duration::from_secs(30))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "the TLS certificate of {by_address}/sparql is not trusted: certificate not valid for name \"127.0.0.1\"; certificate is only valid for DnsName(\"localhost\"); "
        )),
        "{text}"
    );
}
