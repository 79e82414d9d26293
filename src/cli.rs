//! The command line: the subcommands, each with its flags beside the code that runs it (`render::command`,
//! `params`, `package::command`, `deploy::command`, `deploy::function_deploy`, `deploy::destroy`,
//! `deploy::status`, `deploy::logs`, the workload and local mode). Nothing here reads files.

use clap::{Args, Parser, Subcommand};

/// stream2neptune: render the Kinesis-to-Neptune stack for any AWS region.
#[derive(Debug, Parser)]
#[command(
    name = "stream2neptune",
    version,
    about,
    propagate_version = true,
    // One layout for every command: each flag's help under it, however long the flag.
    next_line_help = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the CloudFormation template and parameters file of each region into OUT/<region>/.
    ///
    /// Without --region and --all-regions, every region listed under `regions:` in the config is rendered.
    /// Values are taken, highest precedence first, from --set, the region's table, `defaults:`, and the built-in
    /// defaults. A region with any error gets no files; the others are still written and the exit code is 1.
    Render(crate::render::command::RenderArgs),
    /// Print each region's resolved parameters and where every value came from.
    ///
    /// Without --region, every region listed under `regions:` in the config is printed.
    Params(crate::params::ParamsArgs),
    /// Build the writer (and the driver) with cargo-lambda and write content-addressed zips, the notebooks and
    /// manifest.json into OUT; prints the `--set` arguments that point `render` at them.
    Package(crate::package::PackageArgs),
    /// Render, package, upload and deploy the stack of each region with `aws cloudformation deploy`, then print
    /// its outputs; a new cluster's subnets go in two Availability Zones that offer its instance classes (a
    /// deployed stack keeps its own). --plan previews instead: a change set per region, its changes printed, then
    /// deleted. --dry-run prints every AWS command and runs none.
    Deploy(crate::deploy::command::DeployArgs),
    /// Rebuild the writer and update the running stack's FunctionCodeKey alone (previous template and values).
    FunctionDeploy(crate::deploy::function_deploy::FunctionDeployArgs),
    /// Delete a region's stack and wait; the artifact bucket stays unless --delete-bucket.
    Destroy(crate::deploy::destroy::DestroyArgs),
    /// Show a deployed region on one screen: the stack's status and outputs, the event source mapping's state
    /// and last processing result, the writer's iterator age, both queue depths and the Neptune cluster.
    ///
    /// Everything is read from the stack (its outputs and resources). --output json prints one object:
    /// {region, stack: {name, status, outputs: [{key, value}]}, mapping: {uuid, state, state_transition_reason,
    /// last_processing_result}, iterator_age: {function, minutes, points: [{time, maximum_ms}]}, rejected_queue:
    /// {url, messages, in_flight}, on_failure: {kind: "sqs", url, messages, in_flight} or {kind: "s3", bucket,
    /// objects, more}, neptune: {cluster, status, engine_version, members: [{instance, writer}]}, notes: [..]};
    /// a part that cannot be read is null and a note says why.
    Status(crate::deploy::status::StatusArgs),
    /// Print the writer's log since --since (default 10m), its JSON lines as `time LEVEL message key=value`;
    /// --follow keeps printing new lines until Ctrl-C.
    Logs(crate::deploy::logs::LogsArgs),
    /// Replay the failed batches of a region's on-failure destination through the writer function.
    ///
    /// S3 objects carry the batch; SQS messages name a sequence range, read back from the stream while it is
    /// retained. Each failure record is deleted only once its batch is written; a second redrive is harmless.
    /// --dry-run reads and lists what would be replayed and changes nothing.
    Redrive(crate::deploy::redrive::RedriveArgs),
    /// Write a synthetic data set: a social graph (people as Neptune bulk-load CSV and N-Triples, and
    /// follows.csv.gz), or with --workload mixed graph operations on customers, devices and orders
    /// (operations.jsonl.gz).
    Dataset(stream2neptune_workload::DatasetCommand),
    /// Put the edges of a follows.csv.gz on a Kinesis stream at a set pace, resending throttled records until
    /// they are accepted; what is still unsent at the end is saved to a resume file.
    Drive(stream2neptune_workload::DriveArgs),
    /// Bulk-load the people into Neptune (POST /loader, polled to the end) or into a local SPARQL store.
    Load(stream2neptune_workload::LoadArgs),
    /// Run the whole pipeline on this machine (a local Kinesis, kinesalite unless --stream-server says otherwise;
    /// the store of the region's QueryLanguage; the writer in process) and print one summary line counted from the
    /// store.
    Demo(stream2neptune_local::DemoArgs),
    /// Start, stop, inspect or query the local pipeline's services by hand.
    #[command(subcommand)]
    Local(stream2neptune_local::LocalCommand),
    /// Print the shell completion script for bash, zsh or fish.
    ///
    /// bash: `stream2neptune completions bash > ~/.local/share/bash-completion/completions/stream2neptune`;
    /// zsh: `stream2neptune completions zsh > ~/.zfunc/_stream2neptune` (with ~/.zfunc in fpath);
    /// fish: `stream2neptune completions fish > ~/.config/fish/completions/stream2neptune.fish`.
    Completions(CompletionsArgs),
}

/// Flags of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

/// The shells `completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    /// GNU bash.
    Bash,
    /// Z shell.
    Zsh,
    /// fish.
    Fish,
}

impl Shell {
    /// The completion script of the whole command line (built in memory: clap_complete panics on a failed
    /// write, such as a closed pipe).
    pub fn completions(self) -> Vec<u8> {
        let shell = match self {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
        };
        let mut command = <Cli as clap::CommandFactory>::command();
        let name = command.get_name().to_owned();
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut command, name, &mut script);
        script
    }
}
