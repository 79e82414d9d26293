//! Test harness shared by the driver tests and the workload bench: a kinesis-mock server, a
//! fault-injecting proxy in front of it, a Kinesis client and a reader of everything stored.
#![allow(dead_code)]

use std::net::SocketAddr;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::types::ShardIteratorType;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

#[allow(unused_imports)] // each test binary uses a different part of the kit
pub use stream2neptune_testkit::{KinesisMock, Oxigraph, free_port, workspace_root};

/// Starts kinesis-mock with `streams` (name, shard count) and waits until every one is ACTIVE.
pub async fn kinesis_mock(streams: &[(&str, u32)]) -> KinesisMock {
    let mock = KinesisMock::start(streams);
    let client = client(&mock.url());
    for (name, _) in streams {
        wait_active(&client, name, Duration::from_secs(60)).await;
    }
    mock
}

/// Waits until `stream` is ACTIVE (a server still starting answers with errors, which count as not yet).
pub async fn wait_active(client: &aws_sdk_kinesis::Client, stream: &str, patience: Duration) {
    let deadline = Instant::now() + patience;
    loop {
        let summary = client
            .describe_stream_summary()
            .stream_name(stream)
            .send()
            .await;
        if let Ok(s) = summary
            && s.stream_description_summary()
                .is_some_and(|d| d.stream_status() == &aws_sdk_kinesis::types::StreamStatus::Active)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{stream} was not ACTIVE within {patience:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A Kinesis client for a local endpoint in us-east-1, with no SDK retries (the driver's own
/// retries are under test).
pub fn client(endpoint: &str) -> aws_sdk_kinesis::Client {
    stream2neptune_aws::kinesis::local_client(endpoint, "us-east-1")
}

/// One stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The shard it is in.
    pub shard: String,
    /// Its partition key.
    pub partition_key: String,
    /// Its body.
    pub body: String,
}

/// One stored Kinesis record as it is on the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// The shard it is in.
    pub shard: String,
    /// Its partition key.
    pub partition_key: String,
    /// Its sequence number.
    pub sequence_number: String,
    /// Its data blob.
    pub data: Vec<u8>,
}

/// Every record of `stream` as stored, shard by shard, each shard in sequence order.
pub async fn read_raw(client: &aws_sdk_kinesis::Client, stream: &str) -> Vec<RawRecord> {
    let shards = client
        .list_shards()
        .stream_name(stream)
        .send()
        .await
        .unwrap();
    let mut stored = Vec::new();
    for shard in shards.shards() {
        let mut iterator = client
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard.shard_id())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator()
            .map(str::to_owned);
        while let Some(it) = iterator {
            let out = client
                .get_records()
                .shard_iterator(it)
                .limit(10_000)
                .send()
                .await
                .unwrap();
            for r in out.records() {
                stored.push(RawRecord {
                    shard: shard.shard_id().to_owned(),
                    partition_key: r.partition_key().unwrap_or_default().to_owned(),
                    sequence_number: r.sequence_number().to_owned(),
                    data: r.data().as_ref().to_vec(),
                });
            }
            if out.records().is_empty() {
                break;
            }
            iterator = out.next_shard_iterator().map(str::to_owned);
        }
    }
    stored
}

/// Every record of `stream` with a text body, shard by shard, each shard in sequence order.
pub async fn read_all(client: &aws_sdk_kinesis::Client, stream: &str) -> Vec<Stored> {
    read_raw(client, stream)
        .await
        .into_iter()
        .map(|r| Stored {
            shard: r.shard,
            partition_key: r.partition_key,
            body: String::from_utf8(r.data).unwrap(),
        })
        .collect()
}

/// What the fault proxy does to PutRecords.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    /// Share of PutRecords calls answered with HTTP 400 ProvisionedThroughputExceededException.
    pub call_share: f64,
    /// Share of entries of the other calls answered as throttled instead of forwarded.
    pub entry_share: f64,
}

/// What the fault proxy has done so far.
#[derive(Debug, Default)]
pub struct FaultCounts {
    /// PutRecords calls failed whole.
    pub calls_failed: AtomicU64,
    /// Entries failed.
    pub entries_failed: AtomicU64,
    /// Entries forwarded to kinesis-mock.
    pub entries_forwarded: AtomicU64,
}

/// An HTTP/1 proxy in front of kinesis-mock that throttles a share of PutRecords calls and
/// entries like a shard over its 1,000 records/s; stopped on drop.
pub struct FaultProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// What it has done.
    pub counts: Arc<FaultCounts>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Starts the proxy forwarding to `upstream` (an http:// URL).
    pub async fn start(upstream: String, faults: Faults, seed: u64) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let counts = Arc::new(FaultCounts::default());
        let state = Arc::new(ProxyState {
            upstream,
            faults,
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
            http: reqwest::Client::new(),
            counts: Arc::clone(&counts),
        });
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, std::convert::Infallible>(state.handle(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, counts, task }
    }

    /// Its endpoint URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct ProxyState {
    upstream: String,
    faults: Faults,
    rng: Mutex<ChaCha8Rng>,
    http: reqwest::Client,
    counts: Arc<FaultCounts>,
}

const JSON_1_1: &str = "application/x-amz-json-1.1";

fn throttled_entry() -> Value {
    json!({
        "ErrorCode": "ProvisionedThroughputExceededException",
        "ErrorMessage": "Rate exceeded for shard shardId-000000000000 in stream test under account 000000000000."
    })
}

fn reply(status: u16, body: Vec<u8>, content_type: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}

impl ProxyState {
    fn draw(&self, share: f64) -> bool {
        share > 0.0 && self.rng.lock().unwrap().random::<f64>() < share
    }

    async fn handle(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let target = parts
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if target.ends_with(".PutRecords") {
            return self.put_records(&parts, body).await;
        }
        self.forward(&parts, body.to_vec()).await
    }

    async fn put_records(
        &self,
        parts: &http::request::Parts,
        body: Bytes,
    ) -> Response<Full<Bytes>> {
        if self.draw(self.faults.call_share) {
            self.counts.calls_failed.fetch_add(1, Ordering::Relaxed);
            let error = json!({
                "__type": "ProvisionedThroughputExceededException",
                "message": "Rate exceeded for shard shardId-000000000000 in stream test under account 000000000000."
            });
            return reply(400, error.to_string().into_bytes(), JSON_1_1);
        }
        let mut request: Value = serde_json::from_slice(&body).expect("PutRecords body is JSON");
        let records = request["Records"].as_array().cloned().unwrap_or_default();
        let failed: Vec<bool> = records
            .iter()
            .map(|_| self.draw(self.faults.entry_share))
            .collect();
        let kept: Vec<Value> = records
            .iter()
            .zip(&failed)
            .filter(|(_, f)| !**f)
            .map(|(r, _)| r.clone())
            .collect();
        let failures = failed.iter().filter(|f| **f).count() as u64;
        self.counts
            .entries_failed
            .fetch_add(failures, Ordering::Relaxed);
        self.counts
            .entries_forwarded
            .fetch_add(kept.len() as u64, Ordering::Relaxed);
        let mut upstream_results = if kept.is_empty() {
            Vec::new()
        } else {
            request["Records"] = Value::Array(kept);
            let response = self
                .forward(parts, serde_json::to_vec(&request).unwrap())
                .await;
            if response.status() != 200 {
                return response;
            }
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let answer: Value = serde_json::from_slice(&bytes).unwrap();
            answer["Records"].as_array().cloned().unwrap_or_default()
        }
        .into_iter();
        let mut failed_count = 0;
        let spliced: Vec<Value> = failed
            .iter()
            .map(|f| {
                let r = if *f {
                    throttled_entry()
                } else {
                    upstream_results
                        .next()
                        .expect("one upstream result per kept entry")
                };
                if r.get("ErrorCode").is_some_and(|c| !c.is_null()) {
                    failed_count += 1;
                }
                r
            })
            .collect();
        let answer = json!({"FailedRecordCount": failed_count, "Records": spliced});
        reply(200, answer.to_string().into_bytes(), JSON_1_1)
    }

    async fn forward(&self, parts: &http::request::Parts, body: Vec<u8>) -> Response<Full<Bytes>> {
        let url = format!(
            "{}{}",
            self.upstream,
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/")
        );
        let mut request = self.http.request(parts.method.clone(), url).body(body);
        for (name, value) in &parts.headers {
            if name != "host" && name != "content-length" {
                request = request.header(name, value);
            }
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let content_type = response
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(JSON_1_1)
                    .to_owned();
                let bytes = response.bytes().await.unwrap_or_default();
                reply(status, bytes.to_vec(), &content_type)
            }
            Err(e) => reply(502, e.to_string().into_bytes(), "text/plain"),
        }
    }
}

/// Runs a SPARQL SELECT on a store and returns the JSON results; panics on an HTTP error.
pub async fn sparql_select(url: &str, query: &str) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{url}/query"))
        .header("content-type", "application/sparql-query")
        .header("accept", "application/sparql-results+json")
        .body(query.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(
        status.is_success(),
        "query failed with {status}: {text}\n{query}"
    );
    serde_json::from_str(&text).unwrap()
}
