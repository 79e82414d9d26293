//! stream2neptune: renders the parameterized Kinesis-to-Neptune CloudFormation stack for any AWS region from
//! minijinja templates and one config file with per-region overrides.
//!
//! Flow: [`cli`] flags -> [`stream2neptune_plan::StackConfig`] layers -> [`stream2neptune_plan::resolve()`] ->
//! [`stream2neptune_plan::Plan`] -> [`render`] -> `out/<region>/template.yaml`, and on to [`deploy`]. The plan,
//! its catalog and tables are the `stream2neptune-plan` crate (plan/), which local mode reads too.

pub mod cli;
pub mod config_args;
pub mod deploy;
pub mod error;
pub mod package;
pub mod params;
pub mod render;

use std::process::ExitCode;

use clap::Parser as _;
use stream2neptune_process::shutdown::{Interrupted, Shutdown, Signal};
use stream2neptune_process::terminal;

pub use error::{Error, Result, error_text};

/// Parses the command line and runs the command. Exit codes: 0 success, 1 any error (printed by `main`),
/// 2 bad command-line usage (printed by clap), 128 + the signal's number when a long command stopped on a signal
/// (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP; see [`stream2neptune_process::shutdown`]).
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = cli::Cli::parse();
    stream2neptune_workload::logs::init();
    match run_command(cli.command) {
        Err(err) if stopped_by(&err).is_some() => {
            let signal = stopped_by(&err);
            terminal::note(format!("{err:#}"));
            Ok(ExitCode::from(signal.map_or(1, |s| s.exit_code())))
        }
        result => result.map(|()| ExitCode::SUCCESS),
    }
}

fn run_command(command: cli::Command) -> anyhow::Result<()> {
    // Neither stream is locked for the whole command: a progress bar's ticker thread, tracing and the command all
    // write to stderr, and all of them go through the terminal's one writer.
    let (mut out, mut err) = (std::io::stdout(), terminal::stderr());
    match command {
        cli::Command::Render(args) => render::command::run(&args, &mut out, &mut err)?,
        cli::Command::Params(args) => params::run(&args, &mut out, &mut err)?,
        cli::Command::Package(args) => {
            with_signals(|shutdown| package::command::run(&args, &mut out, &mut err, shutdown))?
        }
        cli::Command::Deploy(args) => {
            with_signals(|shutdown| deploy::command::run(&args, &mut out, &mut err, shutdown))?
        }
        cli::Command::FunctionDeploy(args) => with_signals(|shutdown| {
            deploy::function_deploy::run(&args, &mut out, &mut err, shutdown)
        })?,
        cli::Command::Destroy(args) => {
            with_signals(|shutdown| deploy::destroy::run(&args, &mut out, shutdown))?
        }
        cli::Command::Status(args) => {
            with_signals(|shutdown| deploy::status::run(&args, &mut out, shutdown))?
        }
        cli::Command::Logs(args) => {
            with_signals(|shutdown| deploy::logs::run(&args, &mut out, shutdown))?
        }
        cli::Command::Redrive(args) => {
            with_signals(|shutdown| deploy::redrive::run(&args, &mut out, shutdown))?
        }
        cli::Command::Dataset(args) => {
            until_signal(|shutdown| stream2neptune_workload::run_dataset(args, shutdown))?
        }
        cli::Command::Drive(args) => {
            until_signal(|shutdown| stream2neptune_workload::run_drive(args, shutdown))?
        }
        cli::Command::Load(args) => {
            until_signal(|shutdown| stream2neptune_workload::run_load(args, shutdown))?
        }
        cli::Command::Demo(args) => {
            until_signal(|shutdown| stream2neptune_local::run_demo(args, shutdown))?
        }
        cli::Command::Completions(args) => {
            std::io::Write::write_all(&mut out, &args.shell.completions())?
        }
        cli::Command::Local(command) => {
            until_signal(|shutdown| stream2neptune_local::run_local(command, shutdown))?
        }
    }
    Ok(())
}

/// Runs a command that talks to services on a tokio runtime, with the signal handlers installed before it
/// starts: a signal stops it in order rather than killing the process.
fn until_signal<F: Future<Output = anyhow::Result<()>>>(
    command: impl FnOnce(Shutdown) -> F,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let shutdown = Shutdown::install()?;
        command(shutdown).await
    })
}

/// Runs a command that waits on child processes (the AWS CLI) on this thread, with the signal handlers installed
/// before it starts: the command sees a signal through `shutdown` and stops its child.
fn with_signals(command: impl FnOnce(&Shutdown) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let shutdown = runtime.block_on(async { Shutdown::install() })?;
    // The children are forked by this (the main) thread, so their PR_SET_PDEATHSIG fires only when the process ends.
    command(&shutdown)
}

/// The signal that stopped a command, if one did.
fn stopped_by(err: &anyhow::Error) -> Option<Signal> {
    err.chain().find_map(|cause| {
        cause
            .downcast_ref::<Interrupted>()
            .map(|i| i.signal)
            .or_else(|| cause.downcast_ref::<deploy::Error>()?.stopped_by())
            .or_else(|| cause.downcast_ref::<package::Error>()?.stopped_by())
    })
}
