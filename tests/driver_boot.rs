//! The EC2 driver's user data, taken from the rendered template with every Fn::Sub value filled in, run with bash
//! in a sandbox standing for `/` with the real AWS CLI against moto's S3 holding the driver zip (this workspace's
//! stream2neptune binary, stripped); then the wrapper it writes, the DriverCommand, run from the sandbox.
//! cfn-signal is a recording stub on PATH: what it records is what the instance would signal.

mod boot_support;
mod common;
mod deploy_support;

use std::collections::BTreeMap;
use std::process::Command;

use boot_support::{Sandbox, SubScript, rendered_stack, text};
use deploy_support::{Moto, describe};
use stream2neptune::package::archive::{self, Entry};

const REGION: &str = "eu-west-1";
const BUCKET: &str = "s2n-driver-boot";
const DRIVER_KEY: &str = "artifacts/driver/abc/stream2neptune-driver.zip";
const EDGE_URI: &str = "s3://s2n-driver-boot/data/follows.csv.gz";

/// The driver zip as packaging lays it out (the binary `stream2neptune` at the top), with the test build stripped
/// of its debug information to keep the upload small.
fn driver_zip(dir: &std::path::Path) -> std::path::PathBuf {
    let binary = env!("CARGO_BIN_EXE_stream2neptune");
    let stripped = dir.join("stream2neptune");
    let strip = Command::new("strip")
        .arg("-o")
        .arg(&stripped)
        .arg(binary)
        .status();
    if !strip.is_ok_and(|s| s.success()) {
        std::fs::copy(binary, &stripped).expect("copy the binary");
    }
    let zip = archive::zip(
        "stream2neptune-driver",
        &[Entry {
            name: "stream2neptune".into(),
            contents: std::fs::read(&stripped).expect("read the binary"),
            mode: archive::EXECUTABLE,
        }],
    )
    .expect("zip");
    let path = dir.join("driver.zip");
    std::fs::write(&path, zip).expect("write the zip");
    path
}

/// The user data with this test's values for every placeholder.
fn user_data() -> String {
    let stack = rendered_stack(REGION, &[]);
    let script = SubScript::from(
        &stack["Resources"]["DriverLaunchTemplate"]["Properties"]["LaunchTemplateData"]["UserData"],
    );
    let values: BTreeMap<&str, String> = [
        ("AWS::Region", REGION),
        ("AWS::StackName", "s2n-boot"),
        ("Stream", "s2n-edges"),
        ("DriverPeriod", "100"),
        ("DriverBatchSize", "50"),
        ("DriverAggregation", "true"),
        ("DriverCodeKey", DRIVER_KEY),
        ("Bucket", BUCKET),
        ("EdgeFile", EDGE_URI),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect();
    let mut expected: Vec<&str> = values.keys().copied().collect();
    let mut placeholders = script.placeholders();
    expected.sort_unstable();
    placeholders.sort_unstable();
    assert_eq!(
        placeholders, expected,
        "the user data's Fn::Sub placeholders changed: fill the new ones in here"
    );
    script.fill(&values)
}

fn cfn_signal_stub() -> Sandbox {
    // dnf must not run: cfn-signal is on PATH.
    Sandbox::new(&[
        ("cfn-signal", "exit 0"),
        ("dnf", "echo 'dnf must not run here' >&2; exit 1"),
    ])
}

fn signals(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("cfn-signal "))
        .collect()
}

/// Runs the wrapper as a Session Manager user's shell would find it (/usr/local/bin on PATH).
fn drive(sandbox: &Sandbox, moto: &Moto, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(sandbox.path("usr/local/bin/stream2neptune-drive"));
    moto.env(&mut command, REGION)
        .args(args)
        .env("PATH", sandbox.path_var(&[sandbox.path("usr/local/bin")]))
        .env_remove("STREAM_NAME")
        .env_remove("EDGE_FILE")
        .output()
        .expect("run stream2neptune-drive")
}

#[test]
fn the_driver_boots_without_the_edge_file_and_its_wrapper_fetches_it_once_uploaded() {
    // GIVEN moto's S3 holding the driver zip but no edge file yet
    let moto = Moto::start();
    let work = tempfile::tempdir().expect("temp dir");
    moto.aws(REGION, &["s3", "mb", &format!("s3://{BUCKET}")]);
    let zip = driver_zip(work.path());
    moto.aws(
        REGION,
        &[
            "s3",
            "cp",
            zip.to_str().unwrap(),
            &format!("s3://{BUCKET}/{DRIVER_KEY}"),
        ],
    );
    let sandbox = cfn_signal_stub();

    // WHEN the instance boots
    let boot = sandbox.run(&moto, REGION, &user_data());

    // THEN the boot succeeds, says the edge file is not there yet, and signals success to CloudFormation
    assert!(boot.status.success(), "user data\n{}", describe(&boot));
    let stderr = String::from_utf8_lossy(&boot.stderr);
    assert!(
        stderr.contains(&format!("no edge file at {EDGE_URI} yet")),
        "{stderr}"
    );
    assert_eq!(
        signals(&sandbox),
        [format!(
            "cfn-signal --region {REGION} --stack s2n-boot --resource DriverInstance --exit-code 0 --reason \
             driver user data exited with status 0: see /var/log/cloud-init-output.log"
        )]
    );
    // AND driver.env holds the stack's settings and the paths the wrapper uses
    let data = sandbox.path("var/lib/stream2neptune");
    assert_eq!(
        text(&sandbox.path("etc/stream2neptune/driver.env")),
        format!(
            "STREAM_NAME=s2n-edges\nAWS_REGION={REGION}\nDRIVER_PERIOD_MS=100\nDRIVER_BATCH_SIZE=50\n\
             DRIVER_AGGREGATION=true\nEDGE_FILE_S3={EDGE_URI}\nEDGE_FILE={edges}\nRESUME_FILE={resume}\n",
            edges = data.join("follows.csv.gz").display(),
            resume = data.join("follows.resume.json").display(),
        )
    );
    assert!(!data.join("follows.csv.gz").exists());

    // WHEN the DriverCommand runs before any data set is uploaded
    let early = drive(&sandbox, &moto, &[]);

    // THEN it fails saying what is missing and what to do
    assert!(!early.status.success(), "{}", describe(&early));
    let said = String::from_utf8_lossy(&early.stderr);
    for part in [
        &format!("the driver has nothing to send: no edge file at {EDGE_URI}") as &str,
        "stream2neptune dataset --out data",
        &format!("make stack REGION={REGION} DATA=data"),
    ] {
        assert!(said.contains(part), "{part:?} not in {said}");
    }
    assert!(!data.join("follows.csv.gz.part").exists());

    // WHEN a data set is generated and uploaded, and the wrapper runs again
    let dataset = work.path().join("data");
    let generated = Command::new(env!("CARGO_BIN_EXE_stream2neptune"))
        .args(["dataset", "--people", "50", "--follows", "200", "--out"])
        .arg(&dataset)
        .output()
        .expect("run stream2neptune dataset");
    assert!(generated.status.success(), "{}", describe(&generated));
    moto.aws(
        REGION,
        &[
            "s3",
            "cp",
            dataset.join("follows.csv.gz").to_str().unwrap(),
            EDGE_URI,
        ],
    );
    let help = drive(&sandbox, &moto, &["--help"]);

    // THEN it fetched the edge file and ran the driver the zip brought
    assert!(help.status.success(), "{}", describe(&help));
    assert_eq!(
        std::fs::read(data.join("follows.csv.gz")).unwrap(),
        std::fs::read(dataset.join("follows.csv.gz")).unwrap()
    );
    let usage = String::from_utf8_lossy(&help.stdout);
    assert!(
        usage.contains("--period-ms") && usage.contains("--batch-size"),
        "{usage}"
    );
    // AND the driver reads DriverAggregation from driver.env (its --aggregate flag's variable)
    let unwrapped = usage.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        unwrapped.contains("[env: DRIVER_AGGREGATION=true]"),
        "{usage}"
    );
}

#[test]
fn a_boot_that_fails_signals_its_failure() {
    // GIVEN moto's S3 holding a driver "zip" that is not a zip
    let moto = Moto::start();
    moto.aws(REGION, &["s3", "mb", &format!("s3://{BUCKET}")]);
    let work = tempfile::tempdir().expect("temp dir");
    let broken = work.path().join("driver.zip");
    std::fs::write(&broken, "not a zip").unwrap();
    moto.aws(
        REGION,
        &[
            "s3",
            "cp",
            broken.to_str().unwrap(),
            &format!("s3://{BUCKET}/{DRIVER_KEY}"),
        ],
    );
    let sandbox = cfn_signal_stub();

    // WHEN the instance boots
    let boot = sandbox.run(&moto, REGION, &user_data());

    // THEN the boot fails and signals its exit status, so CloudFormation fails the stack
    assert!(!boot.status.success(), "{}", describe(&boot));
    let sent = signals(&sandbox);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].contains("--resource DriverInstance --exit-code 1 "),
        "{sent:?}"
    );
    // AND the settings and the wrapper were written before the failure
    assert!(sandbox.path("etc/stream2neptune/driver.env").is_file());
    assert!(sandbox.path("usr/local/bin/stream2neptune-drive").is_file());
}

#[test]
fn the_notebook_and_the_driver_wait_for_the_routes_of_their_subnet() {
    // GIVEN the rendered stack of a new cluster
    let stack = rendered_stack(REGION, &[]);
    let resources = stack["Resources"].as_mapping().unwrap();
    let tag_value = |v: &serde_norway::Value| match v {
        serde_norway::Value::Tagged(t) => t.value.as_str().map(str::to_owned),
        other => other.as_str().map(str::to_owned),
    };
    for (name, subnet) in [
        (
            "Notebook",
            &stack["Resources"]["Notebook"]["Properties"]["SubnetId"],
        ),
        (
            "DriverInstance",
            &stack["Resources"]["DriverLaunchTemplate"]["Properties"]["LaunchTemplateData"]["NetworkInterfaces"]
                [0]["SubnetId"],
        ),
    ] {
        // WHEN its subnet's route table association, default route and S3 endpoint are looked up
        let subnet = tag_value(subnet).expect("SubnetId is a !Ref");
        let association = resources
            .iter()
            .find(|(_, r)| {
                r["Type"] == "AWS::EC2::SubnetRouteTableAssociation"
                    && tag_value(&r["Properties"]["SubnetId"]).as_deref() == Some(subnet.as_str())
            })
            .map(|(n, _)| n.as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no route table association for {subnet}"));
        let depends: Vec<&str> = stack["Resources"][name]["DependsOn"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{name} has no DependsOn list"))
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        // THEN the instance waits for each of them
        for needed in [
            association.as_str(),
            "PrivateDefaultRoute",
            "S3GatewayEndpoint",
        ] {
            assert!(
                depends.contains(&needed),
                "{name} DependsOn {depends:?} lacks {needed}"
            );
        }
    }
}
