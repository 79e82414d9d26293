//! stream2neptune: renders the parameterized Kinesis-to-Neptune CloudFormation stack for any AWS region from
//! minijinja templates and one config file with per-region overrides.
//!
//! Flow: [`cli`] flags -> [`config::StackConfig`] layers -> [`validate::resolve`] -> [`validate::Resolved`] ->
//! [`render`] -> `out/<region>/`. Tables live in [`catalog`], [`sizing`], [`regions`] and [`offerings`] (generated from cfn-lint).

pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod deploy;
pub mod error;
pub mod local;
pub mod offerings;
pub mod package;
pub mod regions;
pub mod render;
pub mod sizing;
pub mod validate;

use std::process::ExitCode;

use clap::Parser as _;

pub use error::{Error, Problem, Result};

/// Parses the command line and runs the command. Exit codes: 0 success, 1 any error (printed by `main`),
/// 2 bad command-line usage (printed by clap).
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = cli::Cli::parse();
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    match cli.command {
        cli::Command::Render(args) => commands::render(&args, &mut out, &mut err)?,
        cli::Command::Params(args) => commands::params(&args, &mut out, &mut err)?,
        cli::Command::Package(args) => package::command::run(&args, &mut out, &mut err)?,
        cli::Command::Deploy(args) => deploy::deploy(&args, &mut out, &mut err)?,
        cli::Command::FunctionDeploy(args) => deploy::function_deploy(&args, &mut out, &mut err)?,
        cli::Command::Destroy(args) => deploy::destroy(&args, &mut out)?,
        cli::Command::Dataset(args) => stream2neptune_workload::run_dataset(args)?,
        cli::Command::Drive(args) => {
            async_runtime()?.block_on(stream2neptune_workload::run_drive(args))?
        }
        cli::Command::Load(args) => {
            async_runtime()?.block_on(stream2neptune_workload::run_load(args))?
        }
        cli::Command::Demo(args) => {
            init_local_logging();
            async_runtime()?.block_on(stream2neptune_local::run_demo(args, local::resolve))?
        }
        cli::Command::Local(command) => {
            init_local_logging();
            async_runtime()?.block_on(stream2neptune_local::run_local(command, local::resolve))?
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The tokio runtime of the commands that talk to services (driver, loader, local mode).
fn async_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Local mode's own warnings (on-failure batches, poll errors) on stderr; RUST_LOG overrides.
fn init_local_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("stream2neptune_local=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
