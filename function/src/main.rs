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
    let config = stream2neptune_writer::Config::from_env()
        .inspect_err(|err| tracing::error!(error = %err, "invalid configuration"))?;
    tracing::info!(?config, "configuration resolved");
    let deps = stream2neptune_writer::Deps::new(config);
    run(service_fn(|event| {
        stream2neptune_writer::handle(&deps, event)
    }))
    .await
}
