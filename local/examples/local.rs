//! `stream2neptune local ...` until the root CLI wires [`LocalCommand`] in:
//! `cargo run -p stream2neptune-local --example local -- up|down|status|query`.

#[path = "../tests/common/resolve.rs"]
mod resolve;

use clap::Parser;
use stream2neptune_local::{LocalCommand, run_local};

/// Local services by hand.
#[derive(Debug, Parser)]
#[command(
    name = "local",
    about = "kinesis-mock, Oxigraph and the local event source mapping by hand"
)]
struct Cli {
    #[command(subcommand)]
    command: LocalCommand,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("stream2neptune_local=warn")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    match run_local(Cli::parse().command, resolve::resolve).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
