//! Dry runs print every AWS command with its arguments and run none, and build nothing: snapshots of two regions
//! with different overrides, of a plan (`deploy --plan`), of a deploy with `--data`, and of function-deploy and destroy; the artifact keys of
//! an existing manifest; the shipped stack.yaml on a machine without the arm64 Rust target. AWS_ENDPOINT_URL
//! points at a closed port, so a command that did run would fail the test.

mod common;
mod deploy_support;

use std::process::{Command, Output};

use deploy_support::{describe, path_with_venv, workspace};
use stream2neptune::package::{self, Architecture, Artifact, Builder, Manifest, Part};

fn dry_run(args: &[&str]) -> Output {
    dry_run_with(args, &[])
}

fn dry_run_with(args: &[&str], env: &[(&str, &std::path::Path)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stream2neptune"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
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
    let filters = vec![
        (r"[0-9a-f]{64}", "[SHA256]"),
        (
            r"stream2neptune-plan-[0-9]+",
            "stream2neptune-plan-[UNIX-SECONDS]",
        ),
    ];
    insta::with_settings!({filters => filters}, {
        insta::assert_snapshot!(name, stdout);
    });
}

#[test]
fn deploy_dry_run_deploys_a_repeated_region_once() {
    // GIVEN --region eu-west-1 twice, around another region
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let output = dry_run(&[
        "deploy",
        "--region",
        "eu-west-1",
        "--region",
        "ap-southeast-2",
        "--region",
        "eu-west-1",
        "--out",
        out_dir,
    ]);
    // THEN each region is deployed once, in the order first given
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let deploys: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains("cloudformation deploy"))
        .collect();
    assert_eq!(deploys.len(), 2, "{stdout}");
    assert!(deploys[0].contains("--region eu-west-1"), "{stdout}");
    assert!(deploys[1].contains("--region ap-southeast-2"), "{stdout}");
    let headings: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains("region eu-west-1: stack"))
        .collect();
    assert_eq!(headings.len(), 1, "{stdout}");
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
            out.path()
                .join(region)
                .join(stream2neptune::render::TEMPLATE_FILE)
                .is_file(),
            "{region}"
        );
    }
}

#[test]
fn deploy_plan_dry_run_shows_the_change_set_commands_and_no_deploy() {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let output = dry_run(&[
        "deploy",
        "--plan",
        "--region",
        "eu-west-1",
        "--out",
        out_dir,
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("cloudformation deploy"), "{stdout}");
    assert!(!stdout.contains("execute-change-set"), "{stdout}");
    snapshot("deploy_plan", &output, out_dir);
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
    // What the stack keeps is looked up by its tag, and with --delete-retained removed: the key only scheduled.
    let output = dry_run(&["destroy", "--region", "eu-west-1", "--delete-retained"]);
    snapshot("destroy_delete_retained", &output, "/nonexistent");
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

#[test]
fn a_dry_run_of_the_shipped_config_builds_nothing() {
    // GIVEN the shipped stack.yaml (us-east-1 runs an arm64 writer), an empty cargo target folder and no manifest
    let out = tempfile::tempdir().unwrap();
    let target = tempfile::tempdir().unwrap();
    // WHEN every region is dry-run
    let output = dry_run_with(
        &["deploy", "--out", out.path().to_str().unwrap()],
        &[("CARGO_TARGET_DIR", target.path())],
    );
    // THEN it succeeds, no build ran (the target folder is still empty), and each binary is marked as built at
    // deploy time; a missing arm64 target is named with the command a real run runs first
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("building "), "{stderr}");
    assert_eq!(
        std::fs::read_dir(target.path()).unwrap().count(),
        0,
        "something was built into the target folder"
    );
    for key in [
        "FunctionCodeKey=artifacts/stream2neptune-writer-built-at-deploy-time-x86_64.zip",
        "FunctionCodeKey=artifacts/stream2neptune-writer-built-at-deploy-time-arm64.zip",
        "DriverCodeKey=artifacts/stream2neptune-driver-built-at-deploy-time-x86_64.zip",
    ] {
        assert!(stdout.contains(key), "{key}\n{stdout}");
    }
    assert!(
        stdout.contains("# writer (arm64): built at deploy time with cargo-lambda"),
        "{stdout}"
    );
    let arm64_installed = Builder::find(&workspace())
        .unwrap()
        .check_target(Architecture::Arm64)
        .is_ok();
    assert_eq!(
        stdout.contains("a real run first runs `rustup target add aarch64-unknown-linux-gnu`"),
        !arm64_installed,
        "{stdout}"
    );
    for region in ["us-east-1", "eu-west-1", "ap-southeast-2", "eu-central-1"] {
        assert!(
            stdout.contains(&format!("aws cloudformation deploy --region {region} ")),
            "{region}"
        );
    }
}

#[test]
fn a_dry_run_takes_the_keys_of_a_manifest_built_from_the_current_sources() {
    // GIVEN a manifest whose writer was built from the current sources and settings, and whose driver was not
    let out = tempfile::tempdir().unwrap();
    let artifacts = out.path().join("artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let builder = Builder::find(&workspace()).expect("cargo-lambda (run `make tools`)");
    let entry = |part: Part, bytes: &[u8], inputs: String| {
        let sha256 = package::archive::sha256_hex(bytes);
        std::fs::write(artifacts.join(part.file_name(&sha256)), bytes).unwrap();
        Artifact {
            name: part.name().to_owned(),
            part,
            architecture: Some(Architecture::X86_64),
            size: bytes.len() as u64,
            file: part.file_name(&sha256),
            key: part.key(&sha256),
            parameter: part.parameter().to_string(),
            files: Vec::new(),
            inputs: Some(inputs),
            sha256,
        }
    };
    let writer_inputs = package::inputs::hash(
        &builder,
        Part::Writer.binary().unwrap(),
        Architecture::X86_64,
    )
    .unwrap();
    let writer = entry(Part::Writer, b"a writer zip", writer_inputs);
    let driver = entry(Part::Driver, b"an old driver zip", "0".repeat(64));
    let mut manifest = Manifest::default();
    manifest.insert(writer.clone());
    manifest.insert(driver.clone());
    manifest.write(&artifacts).unwrap();
    // WHEN a region is dry-run
    let output = dry_run(&[
        "deploy",
        "--region",
        "eu-west-1",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    // THEN the writer's key is the manifest's, and the driver is built at deploy time
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "# writer (x86_64): {} from {}",
            writer.key,
            artifacts.join("manifest.json").display()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("'FunctionCodeKey={}'", writer.key)),
        "{stdout}"
    );
    assert!(!stdout.contains(&driver.key), "{stdout}");
    assert!(
        stdout.contains(
            "'DriverCodeKey=artifacts/stream2neptune-driver-built-at-deploy-time-x86_64.zip'"
        ),
        "{stdout}"
    );
}

#[test]
fn a_dry_run_shows_the_zone_lookups_of_a_new_cluster_only() {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let deploy = |sets: &[&str]| {
        let mut args = vec!["deploy", "--region", "us-east-1", "--out", out_dir];
        for set in sets {
            args.extend(["--set", set]);
        }
        let output = dry_run(&args);
        assert!(output.status.success(), "{}", describe(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    // GIVEN AZ IDs in the config THEN the same lookups run, to check them
    let given = deploy(&[
        "AvailabilityZoneId1=use1-az4",
        "AvailabilityZoneId2=use1-az6",
    ]);
    assert!(
        given.contains("aws neptune describe-orderable-db-instance-options --region us-east-1")
            && given.contains("# a real run checks that the configured AvailabilityZoneId1 and AvailabilityZoneId2 offer these")
            && given.contains("'AvailabilityZoneId1=use1-az4' 'AvailabilityZoneId2=use1-az6'"),
        "{given}"
    );
    // GIVEN an existing cluster, whose subnets the user gives THEN no zone is looked up or passed
    let existing = deploy(common::EXISTING);
    for absent in [
        "availability zones",
        "describe-availability-zones",
        "AvailabilityZoneId",
    ] {
        assert!(!existing.contains(absent), "{absent}\n{existing}");
    }
}
