//! Shared test harness: the servers of the test kit (Oxigraph, moto, Gremlin Server) and Neo4j on
//! free ports, killed on drop, behind one trait counting with each store's own queries ([`store`]), the
//! scenarios every store runs ([`scenarios`]), and Kinesis event building.
#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod changes;
pub mod mapped;
pub mod operation_faults;
pub mod operations;
pub mod playback;
pub mod scenarios;
pub mod store;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use aws_lambda_events::kinesis::KinesisEvent;
use base64::Engine;
use lambda_runtime::{Context, LambdaEvent};
use stream2neptune_writer::{Config, Deps, MetricsOutput};

#[allow(unused_imports)]
pub use store::{TestStore, shared_turn, store_deps};
/// The launchers, ports and tools come from the workspace's test kit.
#[allow(unused_imports)] // each test binary uses a different part of the kit
pub use stream2neptune_testkit::{
    GremlinServer, Moto, Oxigraph, Shared, free_port, tool, workspace_root,
};

/// One record of a test event.
pub struct TestRecord {
    pub partition_key: String,
    pub sequence_number: String,
    pub data: Vec<u8>,
}

/// Records in stream order from (partition key, data) pairs, sequence numbers from [`sequence_number`]`(0)`.
pub fn stream_records<K: Into<String>, D: Into<Vec<u8>>>(
    records: impl IntoIterator<Item = (K, D)>,
) -> Vec<TestRecord> {
    records
        .into_iter()
        .enumerate()
        .map(|(i, (key, data))| TestRecord {
            partition_key: key.into(),
            sequence_number: sequence_number(i),
            data: data.into(),
        })
        .collect()
}

/// `n` CSV edges `p{i} -> p{i+1}` dated 2016-05-21, partition key = from (as the sample's driver),
/// sequence numbers increasing in stream order.
pub fn csv_records(range: std::ops::Range<usize>) -> Vec<TestRecord> {
    range
        .map(|i| TestRecord {
            partition_key: format!("p{}", i % 50),
            sequence_number: sequence_number(i),
            data: format!("p{},p{},2016-05-21", i, i + 1).into_bytes(),
        })
        .collect()
}

/// A JSON record at stream position `i` (partition key `key`) for the edge `key -> to` on
/// 2016-05-21 with the property `weight`.
pub fn weight_record(i: usize, key: &str, to: &str, weight: usize) -> TestRecord {
    TestRecord {
        partition_key: key.into(),
        sequence_number: sequence_number(i),
        data: serde_json::to_vec(&serde_json::json!(
            {"from": key, "to": to, "created": "2016-05-21", "weight": weight}
        ))
        .unwrap(),
    }
}

/// A 56-digit sequence number, increasing with `i`.
pub fn sequence_number(i: usize) -> String {
    format!("4956816737333333333333333333333333333333{:016}", i)
}

/// A Kinesis event as Lambda delivers it (built through the JSON form, like the runtime does).
pub fn kinesis_event(records: &[TestRecord]) -> KinesisEvent {
    let records: Vec<_> = records
        .iter()
        .map(|r| {
            serde_json::json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": r.partition_key,
                    "sequenceNumber": r.sequence_number,
                    "data": base64::engine::general_purpose::STANDARD.encode(&r.data),
                    "approximateArrivalTimestamp": 1_700_000_000.5
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("shardId-000000000003:{}", r.sequence_number),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/writer",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/follows"
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({ "Records": records })).unwrap()
}

/// The invocation time given to writes against a real engine: Lambda's longest timeout (15 min).
/// These tests are about what is written, not about the deadline (retry.rs and the recording
/// server tests cover that); on a loaded 2-core CI machine, where Gremlin Server compiles each
/// script with Groovy, a 60 s deadline cut the writes short and the test failed at random.
pub const ENGINE_INVOCATION_TIME: Duration = Duration::from_secs(900);

/// The event with a Lambda context whose deadline is `timeout` from now.
pub fn invocation(records: &[TestRecord], timeout: Duration) -> LambdaEvent<KinesisEvent> {
    let mut context = Context::default();
    context.deadline = (std::time::SystemTime::now() + timeout)
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    LambdaEvent::new(kinesis_event(records), context)
}

/// Deps from variables (IAM_AUTH=false unless given), metrics kept in memory.
pub fn deps(
    vars: &[(&str, &str)],
) -> (
    Deps,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    let mut map: HashMap<String, String> = [("IAM_AUTH", "false")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    map.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    // The writer's warnings and errors go to the test's captured output: a failing test shows why
    // its writes failed (RUST_LOG overrides the level).
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .try_init();
    let config = Config::from_lookup(|name| map.get(name).cloned()).expect("valid test config");
    let mut deps = Deps::new(config);
    let docs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    deps.metrics = MetricsOutput::Memory(docs.clone());
    (deps, docs)
}

/// Sum of a metric over the EMF documents emitted so far.
pub fn metric(docs: &std::sync::Mutex<Vec<serde_json::Value>>, name: &str) -> u64 {
    docs.lock()
        .unwrap()
        .iter()
        .map(|d| d[name].as_u64().unwrap())
        .sum()
}

/// `records` in one event through the handler, which must write them all (no record reported failed); `what` names
/// the delivery in a failure's message.
pub async fn deliver_whole(deps: &Deps, records: &[TestRecord], what: &str) {
    let response = stream2neptune_writer::handle(deps, invocation(records, ENGINE_INVOCATION_TIME))
        .await
        .unwrap();
    assert_eq!(failures(&response), Vec::<String>::new(), "{what}");
}

/// The sequence numbers named in a response.
pub fn failures(response: &aws_lambda_events::streams::KinesisEventResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| {
            f.item_identifier
                .clone()
                .expect("itemIdentifier must never be null")
        })
        .collect()
}

/// Decides, from a write's text, whether a [`Faulty`] store fails it (and with what) instead of
/// passing it on.
pub type Fault =
    Box<dyn Fn(&str) -> Option<stream2neptune_writer::error::StoreError> + Send + Sync>;

/// A store that fails the writes `fault` picks and passes every other one to a real store.
pub struct Faulty<S> {
    pub inner: S,
    pub fault: std::sync::Mutex<Fault>,
}

impl<S: stream2neptune_writer::GraphStore> stream2neptune_writer::GraphStore for Faulty<S> {
    fn submit(
        &self,
        query: &str,
        timeout: Duration,
    ) -> impl std::future::Future<Output = Result<(), stream2neptune_writer::error::StoreError>> + Send
    {
        let failure = (self.fault.lock().unwrap())(query);
        let inner = self.inner.submit(query, timeout);
        async move {
            match failure {
                Some(err) => Err(err),
                None => inner.await,
            }
        }
    }

    fn reconnect(&self) {
        self.inner.reconnect();
    }
}

/// `deps` with its store wrapped in a [`Faulty`] store.
pub fn faulty<S>(deps: Deps<S>, fault: Fault) -> Deps<Faulty<S>> {
    let Deps {
        config,
        store,
        rejects,
        metrics,
        write_size,
    } = deps;
    Deps {
        config,
        store: Faulty {
            inner: store,
            fault: std::sync::Mutex::new(fault),
        },
        rejects,
        metrics,
        write_size,
    }
}

/// A Neptune error as the store would answer it.
pub fn store_error(status: u16, code: &str) -> stream2neptune_writer::error::StoreError {
    stream2neptune_writer::error::StoreError::Status {
        status,
        code: Some(code.into()),
        message: format!("test fault {code}"),
    }
}

/// The rejects written to a JSON Lines file so far.
pub fn rejects_in(path: &Path) -> Vec<stream2neptune_writer::rejects::RejectedRecord> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
