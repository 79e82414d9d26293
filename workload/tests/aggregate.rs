//! `drive --aggregate` against a real kinesis-mock and a real kinesalite (two independent Kinesis implementations): the driver's KPL aggregates, read back from
//! the stream and taken apart by AWS Labs' aws-kinesis-agg deaggregator (Python, from .venv),
//! give exactly the file's edges, each with its from id as partition key, each key on one shard,
//! in file order per key; after a reshard the driver lists the shards again.

mod support;

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use stream2neptune_testkit::Kinesalite;
use stream2neptune_workload::aggregate::{AggregatingSink, ShardMap};
use stream2neptune_workload::dataset::{DatasetArgs, DatasetConfig, generate};
use stream2neptune_workload::driver::{DriveOutcome, DriverConfig, Pacing, drive};
use stream2neptune_workload::edges::{Edge, EdgeReader};
use stream2neptune_workload::schedule::Backoff;
use stream2neptune_workload::sink::{EntryOutcome, PutEntry, RecordSink};
use support::{KinesisMock, RawRecord, client, read_raw, wait_active, workspace_root};

/// Writes a data set and returns its edge file and edges.
fn edge_file(dir: &Path, people: u32, follows: u64) -> (PathBuf, Vec<Edge>) {
    let args = DatasetArgs {
        people,
        follows,
        seed: 11,
        out: dir.to_owned(),
        zipf_exponent: 1.0,
        start: "2018-01-01".into(),
        end: "2019-12-31".into(),
        gzip_level: 1,
    };
    let summary = generate(&DatasetConfig::from_args(&args).unwrap()).unwrap();
    let edges = EdgeReader::open(&summary.follows_gz)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (summary.follows_gz, edges)
}

/// A user record as aws-kinesis-agg's deaggregator gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct UserRecord {
    shard: String,
    partition_key: String,
    aggregated: bool,
    body: String,
}

/// `stored` taken apart by tools/kpl/deaggregate.py (aws-kinesis-agg), in order.
fn reference_deaggregate(stored: &[RawRecord]) -> Vec<UserRecord> {
    let script = workspace_root().join("tools/kpl/deaggregate.py");
    let python = workspace_root().join(".venv/bin/python");
    assert!(
        python.is_file(),
        "{} missing: run `make tools`",
        python.display()
    );
    let input: Vec<Value> = stored
        .iter()
        .map(|r| {
            json!({
                "shard": r.shard,
                "partitionKey": r.partition_key,
                "sequenceNumber": r.sequence_number,
                "data": base64::engine::general_purpose::STANDARD.encode(&r.data),
            })
        })
        .collect();
    let mut child = Command::new(python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::Array(input).to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}: {}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    // The deaggregator logs a record it cannot read to stderr and passes it on as it is.
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let users: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    users
        .iter()
        .map(|u| UserRecord {
            shard: u["shard"].as_str().unwrap().to_owned(),
            partition_key: u["partitionKey"].as_str().unwrap().to_owned(),
            aggregated: u["aggregated"].as_bool().unwrap(),
            body: u["data"].as_str().unwrap().to_owned(),
        })
        .collect()
}

/// Asserts `users` are exactly `edges`, each under its from id, each key on one shard, in file
/// order per key.
fn assert_exactly_the_edges(users: &[UserRecord], edges: &[Edge]) {
    let mut shard_of: HashMap<&str, &str> = HashMap::new();
    let mut actual: HashMap<&str, Vec<&str>> = HashMap::new();
    for u in users {
        let edge = Edge::from_record_body(&u.body).expect("a from,to,creationDate body");
        assert_eq!(u.partition_key, edge.from, "partition key of {}", u.body);
        let shard = shard_of.entry(&u.partition_key).or_insert(&u.shard);
        assert_eq!(*shard, u.shard, "key {} on two shards", u.partition_key);
        actual.entry(&u.partition_key).or_default().push(&u.body);
    }
    let bodies: Vec<String> = edges.iter().map(Edge::record_body).collect();
    let mut expected: HashMap<&str, Vec<&str>> = HashMap::new();
    for (e, body) in edges.iter().zip(&bodies) {
        expected.entry(&e.from).or_default().push(body);
    }
    assert_eq!(
        users.len(),
        edges.len(),
        "user records vs edges in the file"
    );
    for (key, bodies) in &expected {
        assert_eq!(actual.get(key), Some(bodies), "records of key {key}");
    }
}

/// Creates `name` with `shards` shards on a server that starts with none (kinesalite) and waits until it is ACTIVE.
async fn create_stream(client: &aws_sdk_kinesis::Client, name: &str, shards: u32) {
    client
        .create_stream()
        .stream_name(name)
        .shard_count(i32::try_from(shards).unwrap())
        .send()
        .await
        .unwrap();
    wait_active(client, name, Duration::from_secs(30)).await;
}

#[tokio::test]
async fn aggregated_edges_arrive_exactly_once_each_key_on_one_shard_in_order() {
    let mock = KinesisMock::start(&[("follows", 4)]);
    aggregated_edges_arrive_exactly_once(&mock.url()).await;
}

#[tokio::test]
async fn on_kinesalite_too_aggregated_edges_arrive_exactly_once_each_key_on_one_shard_in_order() {
    let lite = Kinesalite::start();
    create_stream(&client(&lite.url()), "follows", 4).await;
    aggregated_edges_arrive_exactly_once(&lite.url()).await;
}

/// The driver's aggregates of a data set, put into the 4-shard stream `follows` at `endpoint`.
async fn aggregated_edges_arrive_exactly_once(endpoint: &str) {
    // GIVEN 6,000 edges of 1,500 people and a 4-shard stream
    let dir = tempfile::tempdir().unwrap();
    let (file, edges) = edge_file(dir.path(), 1_500, 6_000);
    let sink = Arc::new(AggregatingSink::new(client(endpoint), "follows"));
    let config = DriverConfig {
        edge_file: file.clone(),
        resume_file: file.with_extension("resume.json"),
        pacing: Pacing::Unpaced,
        concurrency: 2,
        max_queued: 6_000,
        retry_deadline: Duration::from_secs(60),
        backoff: Backoff {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(200),
        },
        show_progress: false,
        checkpoint_every: Some(Duration::from_millis(100)),
    };

    // WHEN the driver runs to the end with aggregation
    let summary = drive(Arc::clone(&sink), &config, std::future::pending())
        .await
        .unwrap();

    // THEN the stream holds aggregates, far fewer records than edges, on every shard
    assert_eq!(summary.outcome, DriveOutcome::Complete);
    assert_eq!(summary.accepted, 6_000);
    let stored = read_raw(&client(endpoint), "follows").await;
    assert!(stored.iter().all(|r| kpl::is_aggregated(&r.data)));
    assert_eq!(stored.len() as u64, sink.aggregates_accepted());
    assert!(
        stored.len() * 10 < edges.len(),
        "{} records for {} edges",
        stored.len(),
        edges.len()
    );
    let shards: std::collections::HashSet<_> = stored.iter().map(|r| &r.shard).collect();
    assert_eq!(shards.len(), 4);
    assert_eq!(sink.shard_map_listings(), 1);

    // AND the reference deaggregator reads them as exactly the file's edges
    let users = reference_deaggregate(&stored);
    assert!(users.iter().all(|u| u.aggregated));
    assert_exactly_the_edges(&users, &edges);
}

fn entries(keys: std::ops::Range<usize>, round: usize) -> Vec<PutEntry> {
    keys.map(|i| PutEntry {
        partition_key: format!("{i}"),
        data: format!("{i},{round},2019-01-01").into_bytes(),
    })
    .collect()
}

#[tokio::test]
async fn after_a_reshard_the_shard_map_is_listed_again() {
    let mock = KinesisMock::start(&[("follows", 1)]);
    after_a_reshard_the_shard_map_is_listed_again_on(&mock.url()).await;
}

#[tokio::test]
async fn on_kinesalite_too_after_a_reshard_the_shard_map_is_listed_again() {
    let lite = Kinesalite::start();
    create_stream(&client(&lite.url()), "follows", 1).await;
    after_a_reshard_the_shard_map_is_listed_again_on(&lite.url()).await;
}

/// SplitShard of the one-shard stream `follows` at `endpoint` between two puts of the sink.
async fn after_a_reshard_the_shard_map_is_listed_again_on(endpoint: &str) {
    // GIVEN a one-shard stream the sink has put to once
    let client = client(endpoint);
    let sink = AggregatingSink::new(client.clone(), "follows");
    let accepted = |outcomes: Vec<EntryOutcome>| {
        assert!(
            outcomes.iter().all(|o| *o == EntryOutcome::Accepted),
            "{outcomes:?}"
        );
    };
    accepted(sink.put_records(entries(0..200, 0)).await.unwrap());
    assert_eq!(sink.shard_map_listings(), 1);

    // WHEN the shard is split in two
    client
        .split_shard()
        .stream_name("follows")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key((1u128 << 127).to_string())
        .send()
        .await
        .unwrap();
    wait_active(&client, "follows", Duration::from_secs(30)).await;

    // THEN the next put lands on the children, not the predicted parent: the map is listed
    //   again, and the put after it is packed for the two children
    accepted(sink.put_records(entries(0..200, 1)).await.unwrap());
    assert_eq!(sink.shard_map_listings(), 1);
    accepted(sink.put_records(entries(0..200, 2)).await.unwrap());
    assert_eq!(sink.shard_map_listings(), 2);
    accepted(sink.put_records(entries(0..200, 3)).await.unwrap());
    assert_eq!(sink.shard_map_listings(), 2);
    let map = ShardMap::list(&client, "follows").await.unwrap();
    assert_eq!(map.shards().len(), 2);

    // AND from the listing on, each key's records are on the child its hash key belongs to
    let stored = read_raw(&client, "follows").await;
    let users = reference_deaggregate(&stored);
    assert_eq!(users.len(), 800);
    for u in users
        .iter()
        .filter(|u| !u.body.contains(",0,") && !u.body.contains(",1,"))
    {
        let owner = map.shard_of(kpl::hash_key(&u.partition_key)).unwrap();
        assert_eq!(owner.shard_id, u.shard, "key {}", u.partition_key);
    }
}
