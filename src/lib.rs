//! stream2neptune: renders the parameterized Kinesis-to-Neptune CloudFormation stack for any AWS region from
//! minijinja templates and one config file with per-region overrides.
//!
//! Flow: [`cli`] flags -> [`config::StackConfig`] layers -> [`validate::resolve`] -> [`validate::Resolved`] ->
//! [`render`] -> `out/<region>/`. Tables live in [`catalog`], [`sizing`] and [`regions`].

pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod deploy;
pub mod error;
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
    match &cli.command {
        cli::Command::Render(args) => commands::render(args, &mut out, &mut err)?,
        cli::Command::Params(args) => commands::params(args, &mut out, &mut err)?,
        cli::Command::Package(args) => package::command::run(args, &mut out, &mut err)?,
        cli::Command::Deploy(args) => deploy::deploy(args, &mut out, &mut err)?,
        cli::Command::FunctionDeploy(args) => deploy::function_deploy(args, &mut out, &mut err)?,
        cli::Command::Destroy(args) => deploy::destroy(args, &mut out)?,
    }
    Ok(ExitCode::SUCCESS)
}
