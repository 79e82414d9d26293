//! The driver against a real kinesis-mock (started here on a free loopback port), directly and
//! through a fault-injecting proxy that throttles entries and whole calls: every edge lands
//! exactly once, under its partition key, in file order per key; interrupted and failed runs
//! resume from their resume file.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use stream2neptune_workload::dataset::{DatasetArgs, DatasetConfig, generate};
use stream2neptune_workload::driver::{DriveOutcome, DriverConfig, Pacing, drive};
use stream2neptune_workload::edges::{Edge, EdgeReader};
use stream2neptune_workload::error::DriveError;
use stream2neptune_workload::records::StreamRecord;
use stream2neptune_workload::resume::ResumeState;
use stream2neptune_workload::schedule::Backoff;
use stream2neptune_workload::sink::KinesisSink;
use support::{FaultProxy, Faults, Stored, client, kinesis_mock, read_all};

/// Writes a data set and returns its edge file and edges.
fn edge_file(dir: &Path, people: u32, follows: u64) -> (PathBuf, Vec<Edge>) {
    let args = DatasetArgs {
        people,
        follows,
        seed: 9,
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

fn config(edges: &Path, pacing: Pacing) -> DriverConfig {
    DriverConfig {
        edge_file: edges.to_owned(),
        resume_file: edges.with_extension("resume.json"),
        pacing,
        concurrency: 4,
        max_queued: 2_000,
        retry_deadline: Duration::from_secs(60),
        backoff: Backoff {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(200),
        },
        show_progress: false,
        // Frequent checkpoints, so every test also runs them alongside the calls.
        checkpoint_every: Some(Duration::from_millis(50)),
    }
}

fn never() -> std::future::Pending<()> {
    std::future::pending()
}

/// Asserts the stream holds each edge exactly once, keyed by its from id, in file order per key.
fn assert_exactly_once_in_order(stored: &[Stored], edges: &[Edge]) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for s in stored {
        let edge = Edge::from_record_body(&s.body).expect("a from,to,creationDate body");
        assert_eq!(s.partition_key, edge.from, "partition key of {}", s.body);
        *seen.entry(&s.body).or_default() += 1;
    }
    let bodies: Vec<String> = edges.iter().map(Edge::record_body).collect();
    for body in &bodies {
        assert_eq!(
            seen.get(body.as_str()).copied().unwrap_or(0),
            1,
            "edge {body}"
        );
    }
    assert_eq!(
        stored.len(),
        edges.len(),
        "records stored vs edges in the file"
    );
    // Per key: the stored order (one key lives in one shard) is the file order.
    let mut expected: HashMap<&str, Vec<&str>> = HashMap::new();
    for (e, body) in edges.iter().zip(&bodies) {
        expected.entry(&e.from).or_default().push(body);
    }
    let mut actual: HashMap<&str, Vec<&str>> = HashMap::new();
    for s in stored {
        actual.entry(&s.partition_key).or_default().push(&s.body);
    }
    for (key, bodies) in &expected {
        assert_eq!(actual.get(key), Some(bodies), "order of key {key}");
    }
}

#[tokio::test]
async fn every_edge_arrives_once_under_its_key_in_order() {
    // GIVEN 3,000 edges and a 4-shard stream
    let dir = tempfile::tempdir().unwrap();
    let (file, edges) = edge_file(dir.path(), 300, 3_000);
    let mock = kinesis_mock(&[("follows", 4)]).await;
    let sink = Arc::new(KinesisSink::new(client(&mock.url()), "follows"));
    let config = config(
        &file,
        Pacing::Every {
            period: Duration::from_millis(10),
            edges: 400.0,
        },
    );

    // WHEN the driver runs to the end
    let summary = drive(sink, &config, never()).await.unwrap();

    // THEN each edge is stored once, keyed by its from id, in order per key
    assert_eq!(summary.outcome, DriveOutcome::Complete);
    assert_eq!(summary.accepted, 3_000);
    assert_eq!(summary.retries, 0);
    assert_exactly_once_in_order(&read_all(&client(&mock.url()), "follows").await, &edges);
    assert!(!config.resume_file.exists());
}

#[tokio::test]
async fn throttled_entries_and_calls_are_resent_until_accepted() {
    // GIVEN a proxy throttling 30 % of the entries and 20 % of the calls
    let dir = tempfile::tempdir().unwrap();
    let (file, edges) = edge_file(dir.path(), 300, 3_000);
    let mock = kinesis_mock(&[("follows", 2)]).await;
    let faults = Faults {
        call_share: 0.2,
        entry_share: 0.3,
    };
    let proxy = FaultProxy::start(mock.url(), faults, 1).await;
    let sink = Arc::new(KinesisSink::new(client(&proxy.url()), "follows"));

    // WHEN the driver sends unpaced
    let summary = drive(sink, &config(&file, Pacing::Unpaced), never())
        .await
        .unwrap();

    // THEN faults happened and were absorbed: nothing lost, nothing doubled, order per key kept
    let entries_failed = proxy.counts.entries_failed.load(Ordering::Relaxed);
    let calls_failed = proxy.counts.calls_failed.load(Ordering::Relaxed);
    assert!(entries_failed > 500, "{entries_failed} entries throttled");
    assert!(calls_failed > 2, "{calls_failed} calls throttled");
    assert_eq!(summary.failed_calls, calls_failed);
    assert!(summary.throttled >= entries_failed, "{summary:?}");
    assert!(summary.retries >= entries_failed, "{summary:?}");
    assert_eq!(summary.accepted, 3_000);
    assert_exactly_once_in_order(&read_all(&client(&mock.url()), "follows").await, &edges);
}

#[tokio::test]
async fn an_interrupted_run_resumes_with_each_remaining_edge_once() {
    // GIVEN a paced run (2,500 edges/s) through a throttling proxy, stopped after 400 ms
    let dir = tempfile::tempdir().unwrap();
    let (file, edges) = edge_file(dir.path(), 300, 3_000);
    let mock = kinesis_mock(&[("follows", 2)]).await;
    let faults = Faults {
        call_share: 0.1,
        entry_share: 0.3,
    };
    let proxy = FaultProxy::start(mock.url(), faults, 2).await;
    let mut first_config = config(
        &file,
        Pacing::Every {
            period: Duration::from_millis(20),
            edges: 50.0,
        },
    );
    first_config.backoff.base = Duration::from_millis(100);
    let sink = Arc::new(KinesisSink::new(client(&proxy.url()), "follows"));
    let first = drive(
        sink,
        &first_config,
        tokio::time::sleep(Duration::from_millis(400)),
    )
    .await
    .unwrap();

    // THEN it stops early and saves what is left
    let DriveOutcome::Interrupted {
        unsent,
        resume_file,
    } = &first.outcome
    else {
        panic!("expected an interrupted run: {first:?}");
    };
    let state = ResumeState::load(resume_file).unwrap().unwrap();
    assert_eq!(state.unsent.len(), *unsent);
    assert!(state.edges_read < 3_000, "{}", state.edges_read);
    assert_eq!(first.accepted + *unsent as u64, state.edges_read);

    // WHEN the same command runs again, straight to the stream
    let sink = Arc::new(KinesisSink::new(client(&mock.url()), "follows"));
    let second = drive(sink, &config(&file, Pacing::Unpaced), never())
        .await
        .unwrap();

    // THEN the rest is sent, and the stream holds every edge once, in order per key
    assert_eq!(second.outcome, DriveOutcome::Complete);
    assert_eq!(second.resumed, *unsent as u64);
    assert_eq!(first.accepted + second.accepted, 3_000);
    assert!(!resume_file.exists());
    assert_exactly_once_in_order(&read_all(&client(&mock.url()), "follows").await, &edges);
}

#[tokio::test]
async fn edges_failing_past_the_deadline_are_saved_and_resumed() {
    // GIVEN a stream that throttles every call
    let dir = tempfile::tempdir().unwrap();
    let (file, edges) = edge_file(dir.path(), 100, 500);
    let mock = kinesis_mock(&[("follows", 1)]).await;
    let proxy = FaultProxy::start(
        mock.url(),
        Faults {
            call_share: 1.0,
            entry_share: 0.0,
        },
        3,
    )
    .await;
    let mut blocked = config(&file, Pacing::Unpaced);
    blocked.retry_deadline = Duration::from_millis(500);
    let sink = Arc::new(KinesisSink::new(client(&proxy.url()), "follows"));

    // WHEN the driver runs past the retry deadline
    let err = drive(sink, &blocked, never()).await.unwrap_err();

    // THEN it fails naming the deadline and the resume file, which holds every edge read
    assert!(matches!(err, DriveError::DeadlineExceeded { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("ProvisionedThroughputExceeded"),
        "{message}"
    );
    assert!(message.contains("resume"), "{message}");
    let state = ResumeState::load(&blocked.resume_file).unwrap().unwrap();
    assert_eq!(state.unsent.len() as u64, state.edges_read);
    let read: Vec<StreamRecord> = edges[..state.unsent.len()]
        .iter()
        .cloned()
        .map(StreamRecord::Edge)
        .collect();
    assert_eq!(state.unsent, read);

    // AND a later run against a healthy stream sends all of it once
    let sink = Arc::new(KinesisSink::new(client(&mock.url()), "follows"));
    let done = drive(sink, &config(&file, Pacing::Unpaced), never())
        .await
        .unwrap();
    assert_eq!(done.accepted, 500);
    assert_exactly_once_in_order(&read_all(&client(&mock.url()), "follows").await, &edges);
}

#[tokio::test]
async fn a_missing_stream_is_fatal_and_names_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = edge_file(dir.path(), 50, 100);
    let mock = kinesis_mock(&[("follows", 1)]).await;
    let sink = Arc::new(KinesisSink::new(client(&mock.url()), "no-such-stream"));
    let config = config(&file, Pacing::Unpaced);
    let err = drive(sink, &config, never()).await.unwrap_err();
    assert!(matches!(err, DriveError::Fatal { .. }), "{err}");
    assert!(err.to_string().contains("ResourceNotFound"), "{err}");
    let state = ResumeState::load(&config.resume_file).unwrap().unwrap();
    assert_eq!(state.unsent.len() as u64, state.edges_read);
}

/// Stores every record in memory.
#[derive(Default)]
struct MemorySink(std::sync::Mutex<Vec<String>>);

impl stream2neptune_workload::sink::RecordSink for MemorySink {
    async fn put_records(
        &self,
        entries: Vec<stream2neptune_workload::sink::PutEntry>,
    ) -> Result<
        Vec<stream2neptune_workload::sink::EntryOutcome>,
        stream2neptune_workload::sink::CallError,
    > {
        let mut stored = self.0.lock().unwrap();
        stored.extend(
            entries
                .iter()
                .map(|e| String::from_utf8(e.data.clone()).unwrap()),
        );
        Ok(vec![
            stream2neptune_workload::sink::EntryOutcome::Accepted;
            entries.len()
        ])
    }
}

#[tokio::test]
async fn a_malformed_line_stops_the_driver_after_saving_what_was_read() {
    // GIVEN an edge file whose 101st data line is short
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("follows.csv");
    let mut text = String::from("~id,~label,~from,~to,creationDate:Date\n");
    for i in 0..100 {
        text.push_str(&format!("e{i},follows,p{i},p{},2019-01-01\n", i + 1));
    }
    text.push_str("e100,follows,p100\ne101,follows,p1,p2,2019-01-02\n");
    std::fs::write(&file, text).unwrap();
    let sink = Arc::new(MemorySink::default());

    // WHEN the driver runs
    let config = config(&file, Pacing::Unpaced);
    let err = drive(Arc::clone(&sink), &config, never())
        .await
        .unwrap_err();

    // THEN it names the line, and what it read is either stored or in the resume file
    assert!(err.to_string().contains("line 102"), "{err}");
    let state = ResumeState::load(&config.resume_file).unwrap().unwrap();
    assert_eq!(state.edges_read, 100);
    assert_eq!(sink.0.lock().unwrap().len() + state.unsent.len(), 100);
}

/// Stores the first call's records, then never answers again (a driver killed mid-call).
#[derive(Default)]
struct StallingSink {
    stored: std::sync::Mutex<Vec<String>>,
    calls: std::sync::atomic::AtomicU64,
}

impl stream2neptune_workload::sink::RecordSink for StallingSink {
    async fn put_records(
        &self,
        entries: Vec<stream2neptune_workload::sink::PutEntry>,
    ) -> Result<
        Vec<stream2neptune_workload::sink::EntryOutcome>,
        stream2neptune_workload::sink::CallError,
    > {
        if self.calls.fetch_add(1, Ordering::SeqCst) > 0 {
            std::future::pending::<()>().await;
        }
        let mut stored = self.stored.lock().unwrap();
        stored.extend(
            entries
                .iter()
                .map(|e| String::from_utf8(e.data.clone()).unwrap()),
        );
        Ok(vec![
            stream2neptune_workload::sink::EntryOutcome::Accepted;
            entries.len()
        ])
    }
}

#[tokio::test]
async fn a_killed_driver_resumes_from_its_last_checkpoint_without_loss() {
    // GIVEN a driver whose calls stop answering after the first, killed after 500 ms
    let dir = tempfile::tempdir().unwrap();
    let (file, edges) = edge_file(dir.path(), 300, 3_000);
    let config = config(&file, Pacing::Unpaced);
    let stalled = Arc::new(StallingSink::default());
    let killed = tokio::time::timeout(
        Duration::from_millis(500),
        drive(Arc::clone(&stalled), &config, never()),
    )
    .await;
    assert!(killed.is_err(), "the driver should still be waiting");

    // THEN the last checkpoint counts the calls in flight as unsent
    let state = ResumeState::load(&config.resume_file)
        .unwrap()
        .expect("a checkpoint");
    let first: Vec<String> = stalled.stored.lock().unwrap().clone();
    // One record per key per call: the first call holds one edge of each person among the edges queued
    // (max_queued, unpaced: the first 2,000), whoever the seed leaves out.
    let queued_keys: std::collections::HashSet<&str> =
        edges[..2_000].iter().map(|e| e.from.as_str()).collect();
    assert!(queued_keys.len() > 250, "{}", queued_keys.len());
    assert_eq!(first.len(), queued_keys.len());
    assert_eq!(first.len() + state.unsent.len(), state.edges_read as usize);

    // WHEN the driver runs again
    let sink = Arc::new(MemorySink::default());
    let done = drive(Arc::clone(&sink), &config, never()).await.unwrap();

    // THEN every edge was stored once over the two runs
    assert_eq!(done.resumed as usize, state.unsent.len());
    let mut all: Vec<String> = first;
    all.extend(sink.0.lock().unwrap().iter().cloned());
    let mut expected: Vec<String> = edges.iter().map(Edge::record_body).collect();
    all.sort();
    expected.sort();
    assert_eq!(all, expected);
}

#[tokio::test]
async fn edges_are_admitted_at_the_set_pace() {
    // GIVEN 300 edges, 50 every 50 ms (first batch at once)
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = edge_file(dir.path(), 300, 300);
    let pace = Pacing::Every {
        period: Duration::from_millis(50),
        edges: 50.0,
    };
    let sink = Arc::new(MemorySink::default());

    // WHEN the driver runs
    let summary = drive(Arc::clone(&sink), &config(&file, pace), never())
        .await
        .unwrap();

    // THEN it took at least the five periods after the first batch
    assert_eq!(summary.accepted, 300);
    assert!(
        summary.elapsed >= Duration::from_millis(245),
        "{:?}",
        summary.elapsed
    );
    assert!(
        summary.calls >= 6,
        "{} calls for 6 admissions",
        summary.calls
    );
}
