//! `make demo` runs this until the root CLI has `stream2neptune demo`: the same [`DemoArgs`].

#[path = "../tests/common/resolve.rs"]
mod resolve;

use clap::Parser;
use stream2neptune_local::{DemoArgs, run_demo};

/// Runs the local demo.
#[derive(Debug, Parser)]
#[command(
    name = "demo",
    about = "Run the whole pipeline locally: kinesis-mock, Oxigraph and the writer"
)]
struct Cli {
    #[command(flatten)]
    demo: DemoArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Local mode's own warnings (on-failure batches, poll errors) on stderr; RUST_LOG overrides.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("stream2neptune_local=warn")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    match run_demo(Cli::parse().demo, resolve::resolve).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
