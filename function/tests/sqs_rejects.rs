//! Rejected records sent to SQS (REJECTED_QUEUE_URL) through moto's SQS server: SendMessage over
//! the JSON protocol, signed with SigV4, then read back with ReceiveMessage.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::*;
use stream2neptune_writer::rejects::RejectedRecord;

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

#[tokio::test]
async fn malformed_records_are_sent_to_the_rejects_queue() {
    // GIVEN a queue and a writer whose rejects go to it
    let moto = Moto::start();
    let store = Oxigraph::start();
    let queue = sqs(
        moto.port,
        "CreateQueue",
        serde_json::json!({"QueueName": "rejects"}),
    )
    .await;
    let queue_url = queue["QueueUrl"].as_str().unwrap().to_string();
    let store_url = store.url();
    let (deps, metrics) = deps(&[
        ("NEPTUNE_ENDPOINT", &store_url),
        ("QUERY_LANGUAGE", "sparql"),
        ("REJECTED_QUEUE_URL", &queue_url),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "token"),
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
