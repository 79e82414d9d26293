//! The writer's start-up (the last step of `make write-bench`, not criterion): the time from spawning the
//! bench-profile binary, with IAM auth configured, to its first `GET /2018-06-01/runtime/invocation/next` on a local
//! listener standing in for Lambda's runtime API, over 10 starts. Prints
//! `start-up to first poll of the runtime API (bench-profile binary, 10 runs): median M ms, max X ms`.

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Starts the writer once and returns the milliseconds to its first poll of the runtime API.
fn startup_ms() -> f64 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_stream2neptune-writer"))
        .env("AWS_LAMBDA_RUNTIME_API", format!("http://127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env(
            "NEPTUNE_ENDPOINT",
            "db.cluster-x.us-east-1.neptune.amazonaws.com",
        )
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKID")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_SESSION_TOKEN", "token")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (mut stream, _) = listener.accept().unwrap();
    let mut buffer = [0u8; 256];
    let n = stream.read(&mut buffer).unwrap();
    let elapsed = started.elapsed();
    let head = String::from_utf8_lossy(&buffer[..n]);
    assert!(
        head.starts_with("GET /2018-06-01/runtime/invocation/next"),
        "{head}"
    );
    let _ = child.kill();
    let _ = child.wait();
    elapsed.as_secs_f64() * 1000.0
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a name filter we do not use.
    let mut startups: Vec<f64> = (0..10).map(|_| startup_ms()).collect();
    startups.sort_by(f64::total_cmp);
    println!(
        "start-up to first poll of the runtime API (bench-profile binary, 10 runs): median {:.1} ms, max {:.1} ms",
        startups[startups.len() / 2],
        startups[startups.len() - 1]
    );
}
