//! The clap argument structs the root binary flattens into its subcommands: consistent
//! definitions, help text, and the environment variables the EC2 env file sets.

use clap::{CommandFactory, Parser, Subcommand};
use stream2neptune_workload::{DatasetCommand, DriveArgs, LoadArgs};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Dataset(DatasetCommand),
    Drive(DriveArgs),
    Load(LoadArgs),
}

fn help(name: &str) -> String {
    Cli::command()
        .find_subcommand_mut(name)
        .unwrap()
        .render_long_help()
        .to_string()
}

#[test]
fn argument_definitions_are_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn drive_reads_the_ec2_env_file_variables() {
    let text = help("drive");
    for var in [
        "STREAM_NAME",
        "EDGE_FILE",
        "DRIVER_PERIOD_MS",
        "DRIVER_BATCH_SIZE",
        "AWS_REGION",
        "RESUME_FILE",
    ] {
        assert!(
            text.contains(&format!("[env: {var}")),
            "--help lacks {var}:\n{text}"
        );
    }
}

#[test]
fn every_flag_is_documented() {
    for name in ["dataset", "drive", "load"] {
        let mut cli = Cli::command();
        let sub = cli.find_subcommand_mut(name).unwrap();
        for arg in sub.get_arguments() {
            if arg.get_id() != "help" {
                assert!(
                    arg.get_help().is_some(),
                    "{name} --{} has no help",
                    arg.get_id()
                );
            }
        }
    }
}

#[test]
fn local_load_needs_both_flags() {
    let err = Cli::try_parse_from(["x", "load", "--local", "http://127.0.0.1:7878"])
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("--people"), "{err}");
}
