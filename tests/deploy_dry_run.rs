//! Dry runs print every AWS command with its arguments and run none: snapshots of two regions with different
//! overrides, and of function-deploy and destroy. AWS_ENDPOINT_URL points at a closed port, so a command that did
//! run would fail the test.

mod deploy_support;

use std::process::{Command, Output};

use deploy_support::{describe, path_with_venv, workspace};

fn dry_run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stream2neptune"))
        .args(args)
        .arg("--dry-run")
        .current_dir(workspace())
        .env("PATH", path_with_venv())
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "none")
        .env("AWS_SECRET_ACCESS_KEY", "none")
        .output()
        .expect("run stream2neptune")
}

fn snapshot(name: &str, output: &Output, out_dir: &str) {
    assert!(output.status.success(), "{}", describe(output));
    let stdout = String::from_utf8_lossy(&output.stdout).replace(out_dir, "[OUT]");
    insta::with_settings!({filters => vec![(r"[0-9a-f]{64}", "[SHA256]")]}, {
        insta::assert_snapshot!(name, stdout);
    });
}

#[test]
fn deploy_dry_run_for_two_regions_with_different_overrides() {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let output = dry_run(&[
        "deploy",
        "--region",
        "eu-west-1",
        "--region",
        "ap-southeast-2",
        "--out",
        out_dir,
    ]);
    snapshot("deploy_two_regions", &output, out_dir);
    // The templates it would deploy were rendered.
    for region in ["eu-west-1", "ap-southeast-2"] {
        assert!(
            out.path().join(region).join("stack.yaml").is_file(),
            "{region}"
        );
    }
}

#[test]
fn function_deploy_dry_run() {
    let out = tempfile::tempdir().unwrap();
    let artifacts = out.path().join("artifacts");
    let output = dry_run(&[
        "function-deploy",
        "--region",
        "eu-west-1",
        "--artifacts",
        artifacts.to_str().unwrap(),
    ]);
    snapshot("function_deploy", &output, out.path().to_str().unwrap());
}

#[test]
fn destroy_dry_run_with_bucket() {
    let output = dry_run(&["destroy", "--region", "eu-west-1", "--delete-bucket"]);
    snapshot("destroy_delete_bucket", &output, "/nonexistent");
}
