//! The real bootstrap binary (built by `cargo test`) serving cargo-lambda's Lambda runtime API
//! emulator (`cargo lambda watch --only-lambda-apis`), invoked with `cargo lambda invoke` and the
//! Kinesis fixtures. A separate test binary: it starts three processes and runs in parallel with
//! the others. The emulator does not build the function here, so the shared target dir is never
//! locked or rebuilt with other flags by the test.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn invoke(port: u16, fixture_name: &str) -> serde_json::Value {
    let output = Command::new(tool("cargo-lambda"))
        .args([
            "lambda",
            "invoke",
            "--invoke-address",
            "127.0.0.1",
            "--invoke-port",
            &port.to_string(),
        ])
        .args(["--output-format", "json", "--data-file"])
        .arg(fixture(fixture_name))
        .output()
        .expect("cannot run cargo lambda invoke");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "invoke failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("invoke answered {stdout:?}: {e}"))
}

#[test]
fn bootstrap_answers_partial_batch_responses_under_cargo_lambda() {
    // GIVEN a store, the runtime API emulator and the bootstrap polling it; the rejects file
    // cannot be written, so a malformed record cannot be acknowledged
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = Oxigraph::start();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _emulator = Killed(
        Command::new(tool("cargo-lambda"))
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "--invoke-address",
                "127.0.0.1",
            ])
            .args([
                "--invoke-port",
                &port.to_string(),
                "--manifest-path",
                concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start cargo lambda watch"),
    );
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "cargo lambda watch did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut bootstrap = Killed(
        Command::new(env!("CARGO_BIN_EXE_stream2neptune-writer"))
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{port}/.rt"),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("NEPTUNE_ENDPOINT", store.url())
            .env("QUERY_LANGUAGE", "sparql")
            .env("IAM_AUTH", "false")
            .env("RUST_LOG", "info,writer=debug")
            .env("CLUSTER_ID", "local-test")
            .env(
                "REJECTED_RECORDS_FILE",
                dir.path().join("missing-dir/rejects.jsonl"),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start the bootstrap"),
    );
    let stdout_lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let lines = stdout_lines.clone();
    let stdout = bootstrap.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            lines.lock().unwrap().push(line);
        }
    });

    // WHEN the fixture with a malformed second record is invoked
    let response = invoke(port, "example-kinesis-event-with-malformed.json");

    // THEN Lambda is told to retry from the malformed record (the rejects sink failed); the good
    // records are written, the one after it again on the redelivery (idempotent)
    assert_eq!(
        response,
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "49590000000000000000000000000000000000000000000000000002"}]}),
        "{:#?}",
        stdout_lines.lock().unwrap()
    );
    assert_eq!(runtime.block_on(store.edges()), 2);

    // WHEN a clean batch is invoked THEN everything is acknowledged and written
    let response = invoke(port, "example-kinesis-event.json");
    assert_eq!(response, serde_json::json!({"batchItemFailures": []}));
    assert_eq!(runtime.block_on(store.edges()), 4);

    // AND each invocation printed one EMF document for the cluster
    let emf: Vec<serde_json::Value> = stdout_lines
        .lock()
        .unwrap()
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|d| d.get("_aws").is_some())
        .collect();
    assert_eq!(emf.len(), 2, "{:?}", stdout_lines.lock().unwrap());
    assert_eq!(
        (
            emf[0]["ClusterId"].as_str(),
            emf[0]["EdgesWritten"].as_u64()
        ),
        (Some("local-test"), Some(2))
    );
    assert_eq!(emf[1]["EdgesWritten"].as_u64(), Some(2));
}

#[test]
fn fixtures_deserialize_as_kinesis_events() {
    for name in [
        "example-kinesis-event.json",
        "example-kinesis-event-with-malformed.json",
    ] {
        let text = std::fs::read_to_string(fixture(name)).unwrap();
        let event: aws_lambda_events::kinesis::KinesisEvent = serde_json::from_str(&text).unwrap();
        assert!(!event.records.is_empty(), "{name}");
        assert!(
            event
                .records
                .iter()
                .all(|r| !r.kinesis.sequence_number.is_empty())
        );
    }
}
