//! Dry runs print every AWS command with its arguments and run none: snapshots of two regions with different
//! overrides, of a deploy with `--data`, and of function-deploy and destroy. AWS_ENDPOINT_URL points at a closed port, so a command that did
//! run would fail the test.

mod deploy_support;

use std::process::{Command, Output};

use deploy_support::{describe, one_packaging_run, path_with_venv, workspace};

fn dry_run(args: &[&str]) -> Output {
    let _packaging = one_packaging_run();
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

/// A tiny data set folder as `stream2neptune dataset --out DIR` lays it out.
fn write_data_set(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("vertices")).unwrap();
    std::fs::write(dir.join("follows.csv.gz"), b"edges").unwrap();
    std::fs::write(dir.join("vertices").join("people.csv"), b"vertices").unwrap();
}

#[test]
fn deploy_dry_run_with_data_uploads_it_to_the_default_keys() {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let data = out.path().join("data");
    write_data_set(&data);
    let output = dry_run(&[
        "deploy",
        "--region",
        "eu-west-1",
        "--out",
        out_dir,
        "--data",
        data.to_str().unwrap(),
    ]);
    snapshot("deploy_with_data", &output, out_dir);
}

#[test]
fn deploy_dry_run_with_data_elsewhere_uploads_none() {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let data = out.path().join("data");
    write_data_set(&data);
    let output = dry_run(&[
        "deploy",
        "--region",
        "eu-west-1",
        "--out",
        out_dir,
        "--data",
        data.to_str().unwrap(),
        "--set",
        "EdgeFileS3Location=s3://elsewhere/data/follows.csv.gz",
        "--set",
        "VertexFileS3Location=s3://elsewhere/vertices/",
    ]);
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "EdgeFileS3Location is s3://elsewhere/data/follows.csv.gz; the data is expected there, nothing uploaded",
        "VertexFileS3Location is s3://elsewhere/vertices/; the data is expected there, nothing uploaded",
    ] {
        assert!(stdout.contains(expected), "{expected}\n{stdout}");
    }
    // Nothing of the data set is probed for or copied.
    assert!(!stdout.contains("--key data/"), "{stdout}");
    assert!(!stdout.contains(data.to_str().unwrap()), "{stdout}");
}

#[test]
fn deploy_with_data_missing_follows_is_a_clear_error_before_any_aws_work() {
    let out = tempfile::tempdir().unwrap();
    let empty = out.path().join("no-data");
    std::fs::create_dir_all(&empty).unwrap();
    let output = dry_run(&[
        "deploy",
        "--region",
        "eu-west-1",
        "--out",
        out.path().to_str().unwrap(),
        "--data",
        empty.to_str().unwrap(),
    ]);
    assert!(!output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("follows.csv.gz does not exist")
            && stderr.contains("run `stream2neptune dataset --out"),
        "{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("aws "),
        "{}",
        describe(&output)
    );
}
