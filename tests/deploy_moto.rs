//! Deploy, function-deploy and destroy against moto (a local AWS stand-in) with the real AWS CLI, on two stacks
//! that run side by side, each in the order a user takes the steps: the plan (`deploy --plan`), bucket creation,
//! uploads (the data set's too), the change-set deploy and the function code update on one; a deploy with mappings
//! (a JSON list through the AWS CLI's parameter overrides into the writer's environment), `status`, `logs` and
//! `destroy` on the other; beside them a failed deploy's events and `redrive`. moto has no Neptune, so these tests use a
//! small stand-in template (tests/deploy_fixtures/moto) with the real parameters; the real template's validity
//! rests on cfn-lint and checkov (tests/template_checks.rs).

mod deploy_support;

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use deploy_support::{Moto, describe, fixture, packaged, read, workspace};
use sha2::{Digest as _, Sha256};
use stream2neptune::package::{Architecture, Manifest, Part, archive};
use stream2neptune_plan::Name;

const REGION: &str = "eu-west-1";
/// moto's account id.
const BUCKET: &str = "stream2neptune-artifacts-123456789012-eu-west-1";
const STACK: &str = "s2n-test";

/// An output folder whose `artifacts/` holds a copy of this binary's one packaging run: a deploy into it finds
/// every artifact built from the current sources and reuses it (packaging itself is tested in
/// package_artifacts.rs), so no test waits for cargo-lambda.
fn prepared_out() -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    copy_tree(packaged().dir.path(), &out.path().join("artifacts"));
    out
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn deploy_args(out: &Path) -> Vec<String> {
    let config = fixture("moto").join("stack.yaml");
    [
        "deploy",
        "--region",
        REGION,
        "--stack-name",
        STACK,
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--workspace",
        workspace().to_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec()
}

fn run(moto: &Moto, args: &[String]) -> String {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = moto.stream2neptune(REGION, &args);
    assert!(
        output.status.success(),
        "stream2neptune {}\n{}",
        args.join(" "),
        describe(&output)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `status` against moto, whose CloudWatch fails every call (see docs/testing.md, "Deploying"): the AWS CLI tries once, not five
/// times with back-off.
fn status(moto: &Moto, extra: &[&str]) -> String {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_stream2neptune"));
    moto.env(&mut command, REGION)
        .env("AWS_MAX_ATTEMPTS", "1")
        .args(stack_args("status", extra))
        .current_dir(workspace());
    let output = command.output().unwrap();
    assert!(output.status.success(), "status\n{}", describe(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("not JSON ({err}): {text}"))
}

fn stack_parameters(moto: &Moto) -> BTreeMap<String, String> {
    let stack = json(&moto.aws(
        REGION,
        &[
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            STACK,
            "--query",
            "Stacks[0]",
            "--output",
            "json",
        ],
    ));
    stack["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["ParameterKey"].as_str().unwrap().to_owned(),
                p["ParameterValue"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn lambda_code_sha256(moto: &Moto) -> String {
    let function = moto.aws(
        REGION,
        &[
            "cloudformation",
            "describe-stack-resource",
            "--stack-name",
            STACK,
            "--logical-resource-id",
            "WriterFunction",
            "--query",
            "StackResourceDetail.PhysicalResourceId",
            "--output",
            "text",
        ],
    );
    let config = json(&moto.aws(
        REGION,
        &[
            "lambda",
            "get-function",
            "--function-name",
            function.trim(),
            "--output",
            "json",
        ],
    ));
    config["Configuration"]["CodeSha256"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Where the Neptune stand-in offers a class (any other: every zone of its region). In eu-west-1 the default class
/// is not offered in eu-west-1a, so the region's first two zones by name (the template's fallback) would fail the
/// writer; moto's zone ids there: eu-west-1a euw1-az3, eu-west-1b euw1-az1, eu-west-1c euw1-az2. In il-central-1
/// db.r5.large is offered in one zone only.
fn neptune_zones() -> serde_json::Value {
    serde_json::json!({
        "eu-west-1": {"db.r6g.large": ["eu-west-1b", "eu-west-1c"]},
        "il-central-1": {"db.r5.large": ["il-central-1b"]},
    })
}

/// Lambda's CodeSha256: base64 of the zip's SHA-256.
fn code_sha256(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

#[test]
fn deploy_shows_the_stack_events_while_it_runs_and_explains_a_failed_resource() {
    // GIVEN moto taking 3 s to execute a change set, and a template whose function code bucket does not exist
    let moto = Moto::start_slow(std::time::Duration::from_secs(3));
    let out = prepared_out();
    let mut args = deploy_args(out.path());
    let failing = fixture("moto-failing");
    args.extend(
        [
            "--templates-dir",
            failing.to_str().unwrap(),
            "--events-every",
            "1",
        ]
        .map(str::to_owned),
    );
    // WHEN the region is deployed
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = moto.stream2neptune(REGION, &args);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // THEN the stack's first event was printed while the AWS CLI was still executing the change set (before it
    // said it waits for the stack), labelled with the region and the elapsed time (minutes:seconds; a loaded machine
    // takes 10 s and more to get there)
    let event = regex::Regex::new(
        r"(?m)^\[eu-west-1 \+\d\d:\d\d\] s2n-test \(AWS::CloudFormation::Stack\) CREATE_IN_PROGRESS: User Initiated$",
    )
    .unwrap();
    let event_at = event
        .find(&stdout)
        .unwrap_or_else(|| panic!("{}", describe(&output)))
        .start();
    let waiting_at = stdout
        .find("] Waiting for stack create/update to complete")
        .unwrap_or_else(|| panic!("{}", describe(&output)));
    assert!(event_at < waiting_at, "{}", describe(&output));
    // AND the deploy failed naming the failed resource, its reason and what to do next
    assert!(!output.status.success(), "{}", describe(&output));
    assert!(
        stdout.contains("] WriterFunction (AWS::Lambda::Function) CREATE_FAILED: "),
        "{stdout}"
    );
    assert!(
        stderr.contains(
            "error: stack s2n-test in eu-west-1: the deploy failed (stack status ROLLBACK_COMPLETE); the resources that failed, first cause first:\n  - WriterFunction (AWS::Lambda::Function) CREATE_FAILED: "
        ) && stderr.contains("S3 Error Code: NoSuchBucket"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "next: a stack whose first create failed cannot be updated: delete it with `make destroy REGION=eu-west-1 STACK_NAME=s2n-test`, fix the cause above, then deploy again with `make stack REGION=eu-west-1 STACK_NAME=s2n-test`"
        ),
        "{stderr}"
    );
}

#[test]
fn no_credentials_is_a_clear_error_before_any_work() {
    let moto = Moto::start();
    let out = tempfile::tempdir().unwrap();
    let args = deploy_args(out.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_stream2neptune"));
    moto.env(&mut command, REGION)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(&args);
    let output = command.output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no usable AWS credentials"),
        "{}",
        describe(&output)
    );
    assert!(stderr.contains("aws configure"), "{stderr}");
    assert!(
        !out.path().join("artifacts").exists(),
        "packaging ran before the credential check"
    );
}

#[test]
fn unknown_region_is_a_clear_error() {
    let moto = Moto::start();
    let output = moto.stream2neptune(REGION, &["destroy", "--region", "eu-west-9"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown region `eu-west-9`"), "{stderr}");
}

/// Lines of `stdout` that begin with `prefix`, without it.
fn lines_after<'t>(stdout: &'t str, prefix: &str) -> Vec<&'t str> {
    stdout
        .lines()
        .filter_map(|line| line.strip_prefix(prefix))
        .collect()
}

fn stack_exists(moto: &Moto) -> bool {
    moto.aws_output(
        REGION,
        &["cloudformation", "describe-stacks", "--stack-name", STACK],
    )
    .status
    .success()
}

fn physical_id(moto: &Moto, logical: &str) -> String {
    moto.aws(
        REGION,
        &[
            "cloudformation",
            "describe-stack-resource",
            "--stack-name",
            STACK,
            "--logical-resource-id",
            logical,
            "--query",
            "StackResourceDetail.PhysicalResourceId",
            "--output",
            "text",
        ],
    )
    .trim()
    .to_owned()
}

/// The arguments of `command` on the test stack in REGION, then `extra`.
fn stack_args(command: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        command,
        "--region",
        REGION,
        "--stack-name",
        STACK,
        "--workspace",
        workspace().to_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

#[test]
fn one_stack_from_plan_through_deploys_with_data_to_function_deploy() {
    // One stack in one moto serves every step, in the order a user takes them: each deploy costs tens of seconds
    // of moto's CloudFormation and the AWS CLI's start-up, so the steps share it rather than each deploying anew.
    // GIVEN moto and no stack, in a region whose first zone by name does not offer the Neptune class
    let moto = Moto::start_with_neptune_zones(&neptune_zones());
    let out = prepared_out();
    let mut plan = deploy_args(out.path());
    plan.push("--plan".to_owned());
    // WHEN the plan runs on the fresh region
    let created = run(&moto, &plan);
    // THEN it is a CREATE listing every resource as added, and no stack is left behind
    let mut added = lines_after(&created, "  add     ");
    added.sort();
    assert_eq!(
        added,
        [
            "Key (AWS::KMS::Key)",
            "OnFailureBucket (AWS::S3::Bucket)",
            "RejectedQueue (AWS::SQS::Queue)",
            "Stream (AWS::Kinesis::Stream)",
            "WriterEventSourceMapping (AWS::Lambda::EventSourceMapping)",
            "WriterFunction (AWS::Lambda::Function)",
            "WriterLogGroup (AWS::Logs::LogGroup)",
            "WriterRole (AWS::IAM::Role)",
        ],
        "{created}"
    );
    assert!(
        created.contains(&format!("plan {REGION}: would create stack {STACK}:"))
            && created.contains("8 to add, 0 to modify (0 replaced, 0 maybe replaced), 0 to remove; nothing was executed"),
        "{created}"
    );
    assert!(created.contains("--change-set-type CREATE"), "{created}");
    assert!(!stack_exists(&moto), "a stack is left behind\n{created}");

    // WHEN the region is deployed without a data set
    let args = deploy_args(out.path());
    let output = moto.stream2neptune(REGION, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    // THEN it says plainly that the driver has nothing to send, and what to do
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "warning: region {REGION}: no edge file at s3://{BUCKET}/data/follows.csv.gz, so the EC2 driver has \
             nothing to send"
        )) && stderr.contains(&format!("make stack REGION={REGION} DATA=data")),
        "{stderr}"
    );
    // THEN the bucket is private, encrypted and versioned
    let block = json(&moto.aws(
        REGION,
        &[
            "s3api",
            "get-public-access-block",
            "--bucket",
            BUCKET,
            "--output",
            "json",
        ],
    ));
    for setting in [
        "BlockPublicAcls",
        "IgnorePublicAcls",
        "BlockPublicPolicy",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(
            block["PublicAccessBlockConfiguration"][setting], true,
            "{setting}: {block}"
        );
    }
    let encryption = moto.aws(
        REGION,
        &[
            "s3api",
            "get-bucket-encryption",
            "--bucket",
            BUCKET,
            "--output",
            "json",
        ],
    );
    assert!(encryption.contains("AES256"), "{encryption}");
    let versioning = moto.aws(
        REGION,
        &[
            "s3api",
            "get-bucket-versioning",
            "--bucket",
            BUCKET,
            "--output",
            "json",
        ],
    );
    assert!(versioning.contains("Enabled"), "{versioning}");
    // AND every artifact is under its content-addressed key with the same bytes
    let artifacts = out.path().join("artifacts");
    let manifest = Manifest::load(&artifacts).unwrap();
    let writer = manifest
        .get(Part::Writer, Some(Architecture::X86_64))
        .expect("writer packaged");
    let driver = manifest
        .get(Part::Driver, Some(Architecture::X86_64))
        .expect("driver packaged");
    for artifact in [writer, driver] {
        let download = out.path().join("download.zip");
        moto.aws(
            REGION,
            &[
                "s3",
                "cp",
                &format!("s3://{BUCKET}/{}", artifact.key),
                download.to_str().unwrap(),
            ],
        );
        assert_eq!(
            read(&download),
            read(&artifact.path(&artifacts)),
            "{}",
            artifact.key
        );
    }
    // AND the notebooks are under their content-addressed prefix, every file of the artifact
    let notebooks = manifest
        .get(Part::Notebooks, None)
        .expect("notebooks packaged");
    let listed = json(&moto.aws(
        REGION,
        &[
            "s3api",
            "list-objects-v2",
            "--bucket",
            BUCKET,
            "--prefix",
            &notebooks.key,
            "--output",
            "json",
        ],
    ));
    let mut keys: Vec<&str> = listed["Contents"]
        .as_array()
        .expect("objects under the notebooks prefix")
        .iter()
        .map(|object| object["Key"].as_str().unwrap())
        .collect();
    keys.sort();
    let mut expected: Vec<String> = notebooks
        .files
        .iter()
        .map(|file| format!("{}{file}", notebooks.key))
        .collect();
    expected.sort();
    assert!(!expected.is_empty());
    assert_eq!(keys, expected);
    // AND its subnets are in the first two zones, by name, that offer the Neptune class and the driver's type, by
    // AZ ID: not eu-west-1a, where the writer could not start
    assert!(
        stdout.contains("+ aws neptune describe-orderable-db-instance-options --region eu-west-1 --engine neptune")
            && stdout.contains(
                "# chosen: AvailabilityZoneId1=euw1-az1 (eu-west-1b) and AvailabilityZoneId2=euw1-az2 (eu-west-1c)"
            ),
        "{stdout}"
    );
    let parameters = stack_parameters(&moto);
    assert_eq!(parameters[Name::AvailabilityZoneId1.as_str()], "euw1-az1");
    assert_eq!(parameters[Name::AvailabilityZoneId2.as_str()], "euw1-az2");
    // AND the stack runs the packaged writer, with the region's overrides
    assert_eq!(parameters[Name::FunctionCodeKey.as_str()], writer.key);
    assert_eq!(parameters[Name::DriverCodeKey.as_str()], driver.key);
    assert_eq!(parameters[Name::BatchReadSize.as_str()], "500");
    assert_eq!(parameters[Name::BatchWriteSize.as_str()], "50");
    assert_eq!(
        lambda_code_sha256(&moto),
        code_sha256(&read(&writer.path(&artifacts)))
    );
    // moto keeps no outputs on a stack created through a change set, so only the query itself is checked here.
    assert!(
        stdout.contains("+ aws cloudformation describe-stacks"),
        "{stdout}"
    );
    assert!(stdout.contains("+ aws cloudformation deploy"), "{stdout}");
    // AND the AWS CLI's output and the stack's events were printed with the region and the elapsed time
    let labelled = regex::Regex::new(r"(?m)^\[eu-west-1 \+\d\d:\d\d\] ").unwrap();
    assert!(
        labelled.is_match(&stdout)
            && stdout.contains("] Successfully created/updated stack - s2n-test"),
        "{stdout}"
    );
    assert!(
        stdout.contains("] s2n-test (AWS::CloudFormation::Stack) CREATE_COMPLETE"),
        "{stdout}"
    );

    // GIVEN a data set folder as `stream2neptune dataset --out DIR` writes it
    let data = out.path().join("data");
    std::fs::create_dir_all(data.join("vertices")).unwrap();
    std::fs::write(data.join("follows.csv.gz"), b"edge file").unwrap();
    std::fs::write(data.join("vertices").join("people.csv"), b"vertex file").unwrap();
    let mut args = deploy_args(out.path());
    args.extend(["--data".to_owned(), data.to_str().unwrap().to_owned()]);
    // WHEN the region is deployed again, now with --data
    let with_data = run(&moto, &args);
    // THEN the bucket is left alone and no artifact is uploaded twice
    assert!(!with_data.contains("create-bucket"), "{with_data}");
    // AND the stack keeps its zones without looking them up again
    assert!(
        with_data.contains(&format!(
            "# stack {STACK} exists: its subnets stay in euw1-az1 and euw1-az2"
        )) && !with_data.contains("describe-availability-zones"),
        "{with_data}"
    );
    assert!(
        with_data.contains(&format!("s3://{BUCKET}/{} is already uploaded", writer.key)),
        "{with_data}"
    );
    assert!(
        !with_data
            .lines()
            .any(|line| line.starts_with("+ aws s3 cp") && line.contains("/artifacts/")),
        "{with_data}"
    );
    // THEN the edge file and each vertex file are at the keys the stack reads by default, with the same bytes
    let download = out.path().join("download");
    for (key, file) in [
        ("data/follows.csv.gz", data.join("follows.csv.gz")),
        (
            "data/vertices/people.csv",
            data.join("vertices").join("people.csv"),
        ),
    ] {
        moto.aws(
            REGION,
            &[
                "s3",
                "cp",
                &format!("s3://{BUCKET}/{key}"),
                download.to_str().unwrap(),
            ],
        );
        assert_eq!(read(&download), read(&file), "{key}");
    }

    // WHEN it is deployed again with the same data THEN nothing of it is uploaded twice
    let again = run(&moto, &args);
    for key in ["data/follows.csv.gz", "data/vertices/people.csv"] {
        assert!(
            again.contains(&format!("s3://{BUCKET}/{key} is already uploaded")),
            "{key}\n{again}"
        );
    }
    assert!(!again.contains("+ aws s3 cp"), "{again}");
    assert!(!again.contains("upload: "), "{again}");

    // WHEN the edge file changes THEN it alone is uploaded again
    std::fs::write(data.join("follows.csv.gz"), b"a larger edge file").unwrap();
    let changed = run(&moto, &args);
    assert_eq!(changed.matches("+ aws s3 cp").count(), 1, "{changed}");
    moto.aws(
        REGION,
        &[
            "s3",
            "cp",
            &format!("s3://{BUCKET}/data/follows.csv.gz"),
            download.to_str().unwrap(),
        ],
    );
    assert_eq!(read(&download), b"a larger edge file");

    // WHEN the stack is planned with one parameter changed
    let before = stack_parameters(&moto);
    let mut changed = plan.clone();
    changed.extend(["--set".to_owned(), "BatchWriteSize=60".to_owned()]);
    let updated = run(&moto, &changed);
    // THEN it is an UPDATE listing the resource that reads the parameter as modified, and nothing is executed
    assert!(updated.contains("--change-set-type UPDATE"), "{updated}");
    let modified = lines_after(&updated, "  modify  ");
    assert_eq!(
        modified,
        ["WriterFunction (AWS::Lambda::Function)"],
        "{updated}"
    );
    assert!(lines_after(&updated, "  add     ").is_empty(), "{updated}");
    assert_eq!(stack_parameters(&moto), before);
    assert_eq!(before[Name::BatchWriteSize.as_str()], "50");
    // AND a plan with nothing changed says "no changes"
    let same = run(&moto, &plan);
    assert!(
        same.contains(&format!("plan {REGION}: stack {STACK}: no changes")),
        "{same}"
    );
    let change_sets = moto.aws(
        REGION,
        &[
            "cloudformation",
            "list-change-sets",
            "--stack-name",
            STACK,
            "--output",
            "json",
        ],
    );
    assert!(
        !change_sets.contains("stream2neptune-plan-"),
        "{change_sets}"
    );

    // GIVEN the function runs an older build
    let old = archive::zip(
        "old writer",
        &[archive::Entry {
            name: "bootstrap".to_owned(),
            contents: b"yesterday's build".to_vec(),
            mode: archive::EXECUTABLE,
        }],
    )
    .unwrap();
    let old_file = out.path().join("old.zip");
    std::fs::write(&old_file, &old).unwrap();
    let old_key = "artifacts/stream2neptune-writer-old.zip";
    moto.aws(
        REGION,
        &[
            "s3",
            "cp",
            old_file.to_str().unwrap(),
            &format!("s3://{BUCKET}/{old_key}"),
        ],
    );
    let mut previous: Vec<String> = stack_parameters(&moto)
        .keys()
        .filter(|k| *k != Name::FunctionCodeKey.as_str())
        .map(|k| format!("ParameterKey={k},UsePreviousValue=true"))
        .collect();
    previous.push(format!(
        "ParameterKey=FunctionCodeKey,ParameterValue={old_key}"
    ));
    let mut update = vec![
        "cloudformation",
        "update-stack",
        "--stack-name",
        STACK,
        "--use-previous-template",
        "--capabilities",
        "CAPABILITY_IAM",
        "--parameters",
    ];
    update.extend(previous.iter().map(String::as_str));
    moto.aws(REGION, &update);
    assert_eq!(lambda_code_sha256(&moto), code_sha256(&old));
    let before = stack_parameters(&moto);

    // WHEN the function is redeployed
    let config = fixture("moto").join("stack.yaml");
    let artifacts = out.path().join("artifacts");
    let args: Vec<String> = [
        "function-deploy",
        "--region",
        REGION,
        "--stack-name",
        STACK,
        "--config",
        config.to_str().unwrap(),
        "--artifacts",
        artifacts.to_str().unwrap(),
        "--workspace",
        workspace().to_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec();
    let stdout = run(&moto, &args);

    // THEN only FunctionCodeKey changed, to the packaged writer, and the function runs it
    let writer = Manifest::load(&artifacts)
        .unwrap()
        .get(Part::Writer, Some(Architecture::X86_64))
        .unwrap()
        .clone();
    let after = stack_parameters(&moto);
    assert_eq!(after[Name::FunctionCodeKey.as_str()], writer.key);
    for (key, value) in &before {
        if key != Name::FunctionCodeKey.as_str() {
            assert_eq!(&after[key], value, "{key} changed");
        }
    }
    assert_eq!(
        lambda_code_sha256(&moto),
        code_sha256(&read(&writer.path(&artifacts)))
    );
    assert!(stdout.contains("--use-previous-template"), "{stdout}");

    // WHEN it is redeployed with nothing changed THEN nothing is updated
    let again = run(&moto, &args);
    assert!(again.contains("the function code is unchanged"), "{again}");
    assert!(!again.contains("update-stack"), "{again}");
}

#[test]
fn status_and_logs_show_a_deployed_stack_and_destroy_keeps_the_bucket_unless_asked() {
    // A stack of its own, so this runs beside the test above (each is one long chain of AWS CLI calls).
    // GIVEN moto and no stack
    let moto = Moto::start_with_neptune_zones(&neptune_zones());
    let out = prepared_out();
    // WHEN a region is deployed whose Neptune class (db.r5.large, il-central-1's default) is offered in one zone
    // only, with a driver type moto's EC2 data offers in two of its three zones
    let mut args = deploy_args(out.path());
    args[2] = "il-central-1".to_owned();
    args.extend(["--set", "EC2ClientInstanceType=c7i.large"].map(str::to_owned));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = moto.stream2neptune("il-central-1", &args);
    // THEN it stops before any upload, naming the region, each class and the zones (by AZ ID) offering it
    assert!(!output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "region il-central-1: no two Availability Zones offer every instance class the stack places in its subnets (DbInstanceType db.r5.large (the Neptune writer and read replica, needed in both zones): ilc1-az2 (il-central-1b); EC2ClientInstanceType c7i.large (the EC2 driver, needed in the first zone): ilc1-az1 (il-central-1a), ilc1-az3 (il-central-1c))"
        ),
        "{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("create-bucket"),
        "{}",
        describe(&output)
    );
    // WHEN the zones are configured THEN they are checked against what each subnet holds
    let mut configured = args.clone();
    configured.extend([
        "--set",
        "AvailabilityZoneId1=ilc1-az2",
        "--set",
        "AvailabilityZoneId2=ilc1-az3",
    ]);
    let output = moto.stream2neptune("il-central-1", &configured);
    assert!(!output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "region il-central-1: AvailabilityZoneId1/AvailabilityZoneId2 as configured will not do: ilc1-az2 does not offer EC2ClientInstanceType c7i.large; ilc1-az3 does not offer DbInstanceType db.r5.large (where each class is offered: "
        ),
        "{stderr}"
    );
    // WHEN status is asked of a stack that does not exist THEN it says so, naming the region and what to run
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_stream2neptune"));
    moto.env(&mut command, REGION)
        .args(stack_args("status", &[]));
    let missing = command.output().unwrap();
    assert!(!missing.status.success(), "{}", describe(&missing));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains(&format!(
            "stack {STACK} does not exist in {REGION}: deploy it first with `make stack REGION={REGION}`"
        )),
        "{stderr}"
    );

    // GIVEN the region deployed with the example's mappings: a JSON list in a parameter, through the AWS CLI's
    // --parameter-overrides
    let example = stream2neptune_plan::config::StackConfig::load(
        &workspace().join("examples/mappings/stack.yaml"),
    )
    .unwrap();
    let mappings = stream2neptune_plan::resolve(&example, REGION, &Default::default())
        .unwrap()
        .get(Name::Mappings)
        .value
        .to_string();
    assert!(
        mappings.starts_with('[') && mappings.contains('"'),
        "{mappings}"
    );
    let mut mapped = deploy_args(out.path());
    mapped.extend(
        [
            "--set",
            "RecordFormat=mapping",
            "--set",
            &format!("Mappings={mappings}"),
        ]
        .map(str::to_owned),
    );
    run(&moto, &mapped);
    // THEN the writer's environment holds the mappings as they were resolved, byte for byte
    let function = physical_id(&moto, "WriterFunction");
    let environment = json(&moto.aws(
        REGION,
        &[
            "lambda",
            "get-function-configuration",
            "--function-name",
            &function,
            "--query",
            "Environment.Variables",
            "--output",
            "json",
        ],
    ));
    assert_eq!(environment["RECORD_FORMAT"], "mapping", "{environment}");
    assert_eq!(environment["MAPPINGS"], mappings.as_str(), "{environment}");
    // GIVEN two rejected records on the queue and one failed batch in the on-failure bucket (the default s3)
    let rejected = physical_id(&moto, "RejectedQueue");
    let on_failure = physical_id(&moto, "OnFailureBucket");
    moto.aws(
        REGION,
        &[
            "s3api",
            "put-object",
            "--bucket",
            &on_failure,
            "--key",
            "aws/lambda/0f8e4a2c-uuid/shardId-000000000000/2026/12/01/2026-12-01T17.52.00-batch",
        ],
    );
    for (queue, body) in [(&rejected, "r1"), (&rejected, "r2")] {
        moto.aws(
            REGION,
            // The AWS CLI v1 ignores AWS_ENDPOINT_URL for SQS.
            &[
                "sqs",
                "send-message",
                "--endpoint-url",
                &moto.endpoint,
                "--queue-url",
                queue,
                "--message-body",
                body,
            ],
        );
    }
    // WHEN status is asked in text
    let text = status(&moto, &[]);
    // THEN the stack, the mapping, both queue depths and what moto cannot show are on one screen
    assert!(
        text.starts_with(&format!("stack {STACK} in {REGION}: CREATE_COMPLETE\n")),
        "{text}"
    );
    let mapping = physical_id(&moto, "WriterEventSourceMapping");
    assert!(
        text.contains(&format!("event source mapping {mapping}: Enabled")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "rejected records queue: 2 messages waiting, 0 in flight ({rejected})"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "on-failure bucket: 1 failed batch object (s3://{on_failure})"
        )),
        "{text}"
    );
    // moto 5.2 cannot answer CloudWatch in the JSON protocol the AWS CLI speaks: the part says it cannot read
    // it, and the rest is shown.
    assert!(
        text.contains("iterator age: not shown (see notes)")
            && text.contains(
                "  - cannot read the iterator age: `aws cloudwatch get-metric-statistics"
            ),
        "{text}"
    );
    assert!(
        text.contains("the stack has no NeptuneCluster resource and no existing cluster"),
        "{text}"
    );
    // WHEN status is asked in JSON THEN the same, in the documented shape
    let status = json(&status(&moto, &["--output", "json"]));
    assert_eq!(status["region"], REGION);
    assert_eq!(status["stack"]["name"], STACK);
    assert_eq!(status["stack"]["status"], "CREATE_COMPLETE");
    assert_eq!(status["mapping"]["uuid"], mapping.as_str());
    assert_eq!(status["mapping"]["state"], "Enabled");
    assert_eq!(status["rejected_queue"]["url"], rejected.as_str());
    assert_eq!(status["rejected_queue"]["messages"], 2);
    assert_eq!(status["on_failure"]["kind"], "s3");
    assert_eq!(status["on_failure"]["bucket"], on_failure.as_str());
    assert_eq!(status["on_failure"]["objects"], 1);
    assert_eq!(status["on_failure"]["more"], false);
    assert!(status["iterator_age"].is_null(), "{status}");
    assert!(status["neptune"].is_null(), "{status}");
    assert!(
        status["notes"].as_array().is_some_and(|n| !n.is_empty()),
        "{status}"
    );

    // GIVEN the writer's log group holds a JSON line of the writer and a line of Lambda's
    let group = physical_id(&moto, "WriterLogGroup");
    moto.aws(
        REGION,
        &[
            "logs",
            "create-log-stream",
            "--log-group-name",
            &group,
            "--log-stream-name",
            "2026/12/01/[$LATEST]abc",
        ],
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let events = serde_json::json!([
        {"timestamp": now - 60_000, "message": "START RequestId: 8f5c Version: $LATEST"},
        {"timestamp": now - 59_000, "message": r#"{"level":"INFO","fields":{"message":"invocation done","records":3,"rejected":0}}"#},
    ]);
    moto.aws(
        REGION,
        &[
            "logs",
            "put-log-events",
            "--log-group-name",
            &group,
            "--log-stream-name",
            "2026/12/01/[$LATEST]abc",
            "--log-events",
            &events.to_string(),
        ],
    );
    // WHEN the log is read THEN each line comes with its time, the writer's JSON readably
    let log = run(&moto, &stack_args("logs", &["--since", "5m"]));
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[0].ends_with("Z START RequestId: 8f5c Version: $LATEST"),
        "{log}"
    );
    assert!(
        lines[1].ends_with("Z INFO  invocation done records=3 rejected=0"),
        "{log}"
    );
    // AND --since reaches back only as far as asked
    let recent = run(&moto, &stack_args("logs", &["--since", "30s"]));
    assert_eq!(recent, "", "{recent}");

    // WHEN it is destroyed
    let key = physical_id(&moto, "Key");
    let stdout = run(&moto, &stack_args("destroy", &[]));
    // THEN the stack is gone and the bucket stays
    let stacks = moto.aws(
        REGION,
        &[
            "cloudformation",
            "list-stacks",
            "--stack-status-filter",
            "CREATE_COMPLETE",
            "UPDATE_COMPLETE",
            "--output",
            "json",
        ],
    );
    assert!(!stacks.contains(STACK), "{stacks}");
    assert!(
        moto.aws_output(REGION, &["s3api", "head-bucket", "--bucket", BUCKET])
            .status
            .success()
    );
    assert!(stdout.contains("is kept"), "{stdout}");
    // AND what the stack keeps by design is listed with its monthly cost and the command that removes it
    let left = lines_after(&stdout, "  ");
    let expected = vec![
        format!("KMS key {key} (DeletionPolicy Retain): $1.00/month ($1 per key and month)"),
        format!(
            "  remove: aws kms schedule-key-deletion --region {REGION} --key-id {key} --pending-window-in-days 30"
        ),
        format!(
            "bucket {on_failure} (the on-failure bucket, DeletionPolicy Retain): 1 object version, 0.000 GB: \
                 $0.00/month ($0.023 per GB and month)"
        ),
        format!(
            "  remove: stream2neptune destroy --region {REGION} --stack-name {STACK} --delete-retained (empties \
                 every version, then deletes the bucket)"
        ),
        format!(
            "in all $1.00/month; remove everything above: make destroy REGION={REGION} STACK_NAME={STACK} \
                 DELETE_RETAINED=1"
        ),
    ];
    assert_eq!(left, expected, "{stdout}");
    // WHEN destroy runs again, the stack gone (as after a failed first create), asked to delete the bucket and
    // what the stack kept
    let stdout = run(
        &moto,
        &stack_args("destroy", &["--delete-bucket", "--delete-retained"]),
    );
    // THEN the versioned artifact bucket and the on-failure bucket are emptied and deleted
    for bucket in [BUCKET, on_failure.as_str()] {
        assert!(
            !moto
                .aws_output(REGION, &["s3api", "head-bucket", "--bucket", bucket])
                .status
                .success(),
            "{bucket}: {stdout}"
        );
    }
    // AND the key is scheduled for deletion, not deleted
    let state = moto.aws(
        REGION,
        &[
            "kms",
            "describe-key",
            "--key-id",
            &key,
            "--query",
            "KeyMetadata.KeyState",
            "--output",
            "text",
        ],
    );
    assert_eq!(state.trim(), "PendingDeletion", "{stdout}");
    assert!(
        stdout.contains(&format!(
            "# key {key} is deleted in 30 days; until then `aws kms cancel-key-deletion --region {REGION} --key-id {key}` keeps it"
        )),
        "{stdout}"
    );
}

/// A stand-in stack for `redrive`: the outputs it reads (the stream, both on-failure destinations, the function's
/// name; moto's Lambda without Docker answers an invoke of any name).
const REDRIVE_TEMPLATE: &str = r#"
Resources:
  Stream:
    Type: AWS::Kinesis::Stream
    Properties:
      ShardCount: 1
  OnFailureQueue:
    Type: AWS::SQS::Queue
  OnFailureBucket:
    Type: AWS::S3::Bucket
Outputs:
  FunctionName:
    Value: s2n-redrive-writer
  StreamName:
    Value: !Ref Stream
  OnFailureQueueUrl:
    Value: !Ref OnFailureQueue
  OnFailureBucketName:
    Value: !Ref OnFailureBucket
"#;

/// The AWS CLI v1 sends every `aws sqs` call of a region in its built-in table (awscli/customizations/
/// overridesslcommonname.py) to that region's real endpoint unless --endpoint-url is given (it ignores
/// AWS_ENDPOINT_URL): the redrive test uses a region outside that table, so the CLI reaches moto.
const REDRIVE_REGION: &str = "eu-central-2";

#[test]
fn redrive_replays_s3_payloads_and_sqs_ranges_and_deletes_only_what_was_written() {
    // GIVEN moto with Lambda invoked without Docker, a stack with both destinations, three records on its stream,
    // an SQS message naming their range, one naming a range the stream does not hold, and an S3 object with a payload
    let moto = Moto::start();
    moto.moto_api(
        "/moto-api/config",
        &serde_json::json!({"lambda": {"use_docker": false}}),
    );
    let stack = "s2n-redrive";
    moto.aws(
        REDRIVE_REGION,
        &[
            "cloudformation",
            "create-stack",
            "--stack-name",
            stack,
            "--template-body",
            REDRIVE_TEMPLATE,
        ],
    );
    let outputs: BTreeMap<String, String> = json(&moto.aws(
        REDRIVE_REGION,
        &[
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            stack,
            "--query",
            "Stacks[0].Outputs",
            "--output",
            "json",
        ],
    ))
    .as_array()
    .unwrap()
    .iter()
    .map(|o| {
        (
            o["OutputKey"].as_str().unwrap().to_owned(),
            o["OutputValue"].as_str().unwrap().to_owned(),
        )
    })
    .collect();
    let (stream, queue, bucket) = (
        &outputs["StreamName"],
        &outputs["OnFailureQueueUrl"],
        &outputs["OnFailureBucketName"],
    );
    let dir = tempfile::tempdir().unwrap();
    let mut sequence_numbers = Vec::new();
    for i in 0..3 {
        let data = dir.path().join(format!("record-{i}"));
        std::fs::write(&data, format!("p{i},q{i},2019-01-01")).unwrap();
        let put = json(&moto.aws(
            REDRIVE_REGION,
            &[
                "kinesis",
                "put-record",
                "--stream-name",
                stream,
                "--partition-key",
                &format!("p{i}"),
                "--data",
                &format!("fileb://{}", data.display()),
                "--output",
                "json",
            ],
        ));
        sequence_numbers.push(put["SequenceNumber"].as_str().unwrap().to_owned());
    }
    let stream_arn = json(&moto.aws(
        REDRIVE_REGION,
        &[
            "kinesis",
            "describe-stream-summary",
            "--stream-name",
            stream,
            "--output",
            "json",
        ],
    ))["StreamDescriptionSummary"]["StreamARN"]
        .as_str()
        .unwrap()
        .to_owned();
    let record = |start: &str, end: &str, size: usize| {
        let mut r: serde_json::Value = serde_json::from_str(
            &String::from_utf8(read(
                &workspace().join("local/tests/fixtures/lambda-on-failure-kinesis.json"),
            ))
            .unwrap(),
        )
        .unwrap();
        let info = &mut r["KinesisBatchInfo"];
        info["shardId"] = "shardId-000000000000".into();
        info["startSequenceNumber"] = start.into();
        info["endSequenceNumber"] = end.into();
        info["batchSize"] = size.into();
        info["streamArn"] = stream_arn.clone().into();
        r
    };
    let range = record(&sequence_numbers[0], &sequence_numbers[2], 3);
    let gone = record(
        "49601189658422359378836298521827638475320189012309704722",
        "49601189658422359378836298522902373528957594348623495186",
        500,
    );
    for body in [&range, &gone] {
        moto.aws(
            REDRIVE_REGION,
            &[
                "sqs",
                "send-message",
                "--queue-url",
                queue,
                "--message-body",
                &body.to_string(),
            ],
        );
    }
    let mut object = record("4960", "4961", 2);
    let records: Vec<serde_json::Value> = (0..2).map(|i| serde_json::json!({
        "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "k", "sequenceNumber": format!("496{i}"),
                    "data": base64::engine::general_purpose::STANDARD.encode(format!("s{i},t{i},2019-01-01")),
                    "approximateArrivalTimestamp": 1573691884.835},
        "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": format!("shardId-000000000000:496{i}"),
        "eventName": "aws:kinesis:record", "invokeIdentityArn": "arn:aws:iam::123456789012:role/r",
        "awsRegion": REDRIVE_REGION, "eventSourceARN": stream_arn})).collect();
    let event = serde_json::json!({"Records": records});
    object["payload"] = event.to_string().into();
    let object_file = dir.path().join("object.json");
    std::fs::write(&object_file, object.to_string()).unwrap();
    let key = "aws/lambda/2d4c1c35-8a02-4c36-b5b4-0a6b3e3c1f00/shardId-000000000000/2026/12/01/2026-12-01T18.00.00-7f1e0b8e-2a4e-4c55-9f0e-6c1d2b3a4f50";
    moto.aws(
        REDRIVE_REGION,
        &[
            "s3api",
            "put-object",
            "--bucket",
            bucket,
            "--key",
            key,
            "--body",
            object_file.to_str().unwrap(),
        ],
    );
    let messages = || {
        json(&moto.aws(
            REDRIVE_REGION,
            &[
                "sqs",
                "get-queue-attributes",
                "--queue-url",
                queue,
                "--attribute-names",
                "All",
                "--output",
                "json",
            ],
        ))["Attributes"]["ApproximateNumberOfMessages"]
            .as_str()
            .unwrap()
            .parse::<u32>()
            .unwrap()
    };
    let objects = || {
        json(&moto.aws(
            REDRIVE_REGION,
            &[
                "s3api",
                "list-objects-v2",
                "--bucket",
                bucket,
                "--output",
                "json",
            ],
        ))["Contents"]
            .as_array()
            .map_or(0, Vec::len)
    };
    let redrive = |extra: &[&str]| {
        let mut args = vec!["redrive", "--region", REDRIVE_REGION, "--stack-name", stack];
        args.extend_from_slice(extra);
        let output = moto.stream2neptune(REDRIVE_REGION, &args);
        (output.status.success(), describe(&output))
    };
    let answers = |results: &[&str]| {
        moto.moto_api(
            "/moto-api/static/lambda-simple/response",
            &serde_json::json!({"results": results, "region": REDRIVE_REGION}),
        );
    };
    let (s1, s3) = (&sequence_numbers[0], &sequence_numbers[2]);

    // WHEN a dry run looks
    let (ok, text) = redrive(&["--dry-run"]);
    // THEN it lists both batches and names the range the stream no longer holds, and changes nothing
    assert!(!ok, "a batch that cannot be replayed fails the run: {text}");
    assert!(
        text.contains(&format!(
            "would replay shardId-000000000000 sequence {s1}..{s3} (3 records, from message"
        )),
        "{text}"
    );
    assert!(text.contains(&format!("would replay shardId-000000000000 sequence 4960..4961 (2 records, from s3://{bucket}/{key})")), "{text}");
    assert!(text.contains("no longer holds shard shardId-000000000000 sequence 49601189658422359378836298521827638475320189012309704722..49601189658422359378836298522902373528957594348623495186"), "{text}");
    assert!(
        text.contains("2 batches would be replayed (5 records), 1 kept"),
        "{text}"
    );
    assert!(
        !text.contains("lambda invoke") && !text.contains("delete-"),
        "{text}"
    );
    assert_eq!((messages(), objects()), (2, 1));

    // WHEN the writer answers the first invocation (the S3 batch) with a failed item and the second with none
    answers(&[
        r#"{"batchItemFailures": [{"itemIdentifier": "4960"}]}"#,
        r#"{"batchItemFailures": []}"#,
    ]);
    let (ok, text) = redrive(&[]);
    // THEN only the written batch's message is deleted, and the run says what it kept and why
    assert!(!ok, "{text}");
    assert!(
        text.contains("the writer reported failed items [\"4960\"]; its failure record is kept"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "replayed shardId-000000000000 sequence {s1}..{s3} (3 records"
        )),
        "{text}"
    );
    assert!(
        text.contains("1 batches replayed (3 records), 2 kept"),
        "{text}"
    );
    assert_eq!((messages(), objects()), (1, 1));

    // WHEN redrive runs again with the writer fixed
    answers(&[r#"{"batchItemFailures": []}"#]);
    let (ok, text) = redrive(&[]);
    // THEN the S3 batch is replayed and deleted; the range past retention stays in the queue; nothing is replayed twice
    assert!(!ok, "{text}");
    assert!(
        text.contains("1 batches replayed (2 records), 1 kept"),
        "{text}"
    );
    assert_eq!(text.matches("lambda invoke").count(), 1, "{text}");
    assert_eq!((messages(), objects()), (1, 0));
}
