//! Lambda bootstrap: JSON logs, configuration, shared clients, then the runtime loop.

use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .without_time()
        .with_target(false)
        .init();
    let config = writer::Config::from_env()
        .inspect_err(|err| tracing::error!(error = %err, "invalid configuration"))?;
    tracing::info!(?config, "configuration resolved");
    let deps = writer::Deps::new(config);
    run(service_fn(|event| writer::handle(&deps, event))).await
}
