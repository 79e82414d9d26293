//! The EC2 driver's user data, taken from the rendered template with every Fn::Sub value filled in, run with bash
//! in a sandbox standing for `/` with the real AWS CLI against moto: its SSM holds the DriverSettings parameter as
//! CloudFormation writes it, its S3 the driver zip (this workspace's stream2neptune binary, stripped); then the
//! wrapper it writes, the DriverCommand, run from the sandbox (against kinesis-mock where edges are sent).
//! cfn-signal is a recording stub on PATH: what it records is what the instance would signal. Beside them, what a
//! redeploy may change of the driver without replacing its instance, read from the rendered template.

mod boot_support;
mod common;
mod deploy_support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use boot_support::{Sandbox, SubScript, rendered_stack, text};
use deploy_support::{Moto, describe};
use stream2neptune::package::archive::{self, Entry};
use stream2neptune_testkit::KinesisMock;

/// kinesis-mock's region.
const REGION: &str = "us-east-1";
const STACK: &str = "s2n-boot";
const BUCKET: &str = "s2n-driver-boot";
const DRIVER_KEY: &str = "artifacts/driver/abc/stream2neptune-driver.zip";
const EDGE_URI: &str = "s3://s2n-driver-boot/data/follows.csv.gz";
/// The DriverSettings parameter's name (its Ref).
const SETTINGS: &str = "/stream2neptune/s2n-boot/driver";
const RESUME_STATE: &str = "s3://s2n-driver-boot/driver-state/s2n-boot/follows.resume.json";

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

/// Checks that `names` are exactly the placeholders of `script`.
fn check_placeholders(script: &SubScript, names: &BTreeMap<&str, String>, what: &str) {
    let mut expected: Vec<&str> = names.keys().copied().collect();
    let mut placeholders = script.placeholders();
    expected.sort_unstable();
    placeholders.sort_unstable();
    assert_eq!(
        placeholders, expected,
        "the {what}'s Fn::Sub placeholders changed: fill the new ones in here"
    );
}

fn values(pairs: &[(&'static str, &str)]) -> BTreeMap<&'static str, String> {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

/// The user data with this test's values for every placeholder.
fn user_data() -> String {
    let stack = rendered_stack(REGION, &[]);
    let script = SubScript::from(
        &stack["Resources"]["DriverLaunchTemplate"]["Properties"]["LaunchTemplateData"]["UserData"],
    );
    let values = values(&[
        ("AWS::Region", REGION),
        ("AWS::StackName", STACK),
        ("DriverSettings", SETTINGS),
        ("Bucket", BUCKET),
    ]);
    check_placeholders(&script, &values, "user data");
    script.fill(&values)
}

/// The DriverSettings parameter's value as CloudFormation writes it for a stream, a batch size and a driver key.
fn settings(stream: &str, batch_size: &str, code_key: &str) -> String {
    let stack = rendered_stack(REGION, &[]);
    let value = SubScript::from(&stack["Resources"]["DriverSettings"]["Properties"]["Value"]);
    let values = values(&[
        ("Stream", stream),
        ("DriverPeriod", "100"),
        ("DriverBatchSize", batch_size),
        ("DriverAggregation", "true"),
        ("DriverCodeKey", code_key),
        ("Bucket", BUCKET),
        ("EdgeFile", EDGE_URI),
    ]);
    check_placeholders(&value, &values, "DriverSettings value");
    value.fill(&values)
}

/// Writes the DriverSettings parameter, as a create or an update of the stack does.
fn put_settings(moto: &Moto, value: &str) {
    moto.aws(
        REGION,
        &[
            "ssm",
            "put-parameter",
            "--name",
            SETTINGS,
            "--type",
            "String",
            "--overwrite",
            "--value",
            value,
        ],
    );
}

/// moto with the artifact bucket, the driver zip at `DRIVER_KEY` and the settings naming `stream`.
fn moto_with_driver(work: &std::path::Path, stream: &str) -> Moto {
    let moto = Moto::start();
    moto.aws(REGION, &["s3", "mb", &format!("s3://{BUCKET}")]);
    let zip = driver_zip(work);
    moto.aws(
        REGION,
        &[
            "s3",
            "cp",
            zip.to_str().unwrap(),
            &format!("s3://{BUCKET}/{DRIVER_KEY}"),
        ],
    );
    put_settings(&moto, &settings(stream, "50", DRIVER_KEY));
    moto
}

/// Generates a small data set into `work`/data and uploads its edge file to `EDGE_URI`.
fn upload_edges(moto: &Moto, work: &std::path::Path) -> std::path::PathBuf {
    let dataset = work.join("data");
    let generated = Command::new(env!("CARGO_BIN_EXE_stream2neptune"))
        .args(["dataset", "--people", "50", "--follows", "200", "--out"])
        .arg(&dataset)
        .output()
        .expect("run stream2neptune dataset");
    assert!(generated.status.success(), "{}", describe(&generated));
    let edges = dataset.join("follows.csv.gz");
    moto.aws(REGION, &["s3", "cp", edges.to_str().unwrap(), EDGE_URI]);
    edges
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
    // GIVEN moto holding the driver zip and the stack's driver settings, but no edge file yet
    let work = tempfile::tempdir().expect("temp dir");
    let moto = moto_with_driver(work.path(), "s2n-edges");
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
            "cfn-signal --region {REGION} --stack {STACK} --resource DriverInstance --exit-code 0 --reason \
             driver user data exited with status 0: see /var/log/cloud-init-output.log"
        )]
    );
    // AND instance.env holds what never changes for the instance, driver.env the stack's current settings
    let data = sandbox.path("var/lib/stream2neptune");
    let opt = sandbox.path("opt/stream2neptune");
    assert_eq!(
        text(&sandbox.path("etc/stream2neptune/instance.env")),
        format!(
            "AWS_REGION={REGION}\nSETTINGS_PARAMETER={SETTINGS}\nRESUME_STATE_S3={RESUME_STATE}\n\
             SETTINGS_FILE={settings}\nDRIVER_DIR={opt}\nUPDATE_COMMAND={update}\nEDGE_FILE={edges}\n\
             RESUME_FILE={resume}\n",
            settings = opt.join("driver.env").display(),
            opt = opt.display(),
            update = sandbox
                .path("usr/local/bin/stream2neptune-update")
                .display(),
            edges = data.join("follows.csv.gz").display(),
            resume = data.join("follows.resume.json").display(),
        )
    );
    assert_eq!(
        text(&opt.join("driver.env")),
        format!(
            "STREAM_NAME=s2n-edges\nDRIVER_PERIOD_MS=100\nDRIVER_BATCH_SIZE=50\nDRIVER_AGGREGATION=true\n\
             EDGE_FILE_S3={EDGE_URI}\nDRIVER_CODE_S3=s3://{BUCKET}/{DRIVER_KEY}\n"
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
    let edges = upload_edges(&moto, work.path());
    let help = drive(&sandbox, &moto, &["--help"]);

    // THEN it fetched the edge file and ran the driver the zip brought
    assert!(help.status.success(), "{}", describe(&help));
    assert_eq!(
        std::fs::read(data.join("follows.csv.gz")).unwrap(),
        std::fs::read(&edges).unwrap()
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
fn a_redeploy_reaches_the_next_run_and_the_resume_state_outlives_the_instance() {
    // GIVEN moto with the driver, an edge file, and settings naming a stream kinesis-mock does not have
    let work = tempfile::tempdir().expect("temp dir");
    let moto = moto_with_driver(work.path(), "s2n-gone");
    upload_edges(&moto, work.path());
    let kinesis = KinesisMock::start(&[("s2n-edges", 1)]);
    let endpoint = kinesis.url();
    let sends = ["--endpoint-url", endpoint.as_str(), "--no-progress"];
    // AND a booted instance
    let first = cfn_signal_stub();
    let boot = first.run(&moto, REGION, &user_data());
    assert!(boot.status.success(), "user data\n{}", describe(&boot));

    // WHEN the driver runs and stops on an error before the stream took anything
    let failed = drive(&first, &moto, &sends);

    // THEN its resume file is in S3 as well, under the stack's key
    assert!(!failed.status.success(), "{}", describe(&failed));
    let resume = first.path("var/lib/stream2neptune/follows.resume.json");
    let saved = work.path().join("saved.json");
    moto.aws(REGION, &["s3", "cp", RESUME_STATE, saved.to_str().unwrap()]);
    assert_eq!(text(&saved), text(&resume), "{}", describe(&failed));
    let unsent = serde_json::from_str::<serde_json::Value>(&text(&saved)).unwrap()["unsent"]
        .as_array()
        .map(Vec::len)
        .unwrap_or_default();
    assert!(unsent > 0, "{}", text(&saved));

    // WHEN the stack is redeployed with the right stream, another pace and a rebuilt driver (a new key): only the
    // settings parameter changes
    let rebuilt = "artifacts/driver/def/stream2neptune-driver.zip";
    moto.aws(
        REGION,
        &[
            "s3",
            "cp",
            &format!("s3://{BUCKET}/{DRIVER_KEY}"),
            &format!("s3://{BUCKET}/{rebuilt}"),
        ],
    );
    put_settings(&moto, &settings("s2n-edges", "77", rebuilt));
    let help = drive(&first, &moto, &["--help"]);

    // THEN the same instance's next run fetches the new driver and runs it with the new pace
    assert!(help.status.success(), "{}", describe(&help));
    let fetched = String::from_utf8_lossy(&help.stderr);
    assert!(
        fetched.contains(&format!(
            "stream2neptune-update: fetching the driver s3://{BUCKET}/{rebuilt}"
        )),
        "{fetched}"
    );
    assert_eq!(
        text(&first.path("opt/stream2neptune/driver.source")),
        format!("s3://{BUCKET}/{rebuilt}\n")
    );
    let usage = String::from_utf8_lossy(&help.stdout);
    let unwrapped = usage.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(unwrapped.contains("[env: DRIVER_BATCH_SIZE=77]"), "{usage}");

    // WHEN the instance is replaced: a new one, nothing on its disk, boots in its place and its driver runs
    std::fs::remove_dir_all(first.root()).expect("the first instance's disk goes");
    let second = first;
    let boot = second.run(&moto, REGION, &user_data());
    assert!(boot.status.success(), "user data\n{}", describe(&boot));
    let resumed = drive(&second, &moto, &sends);

    // THEN it takes over the saved state, sends every edge, and the state is gone locally and in S3
    assert!(resumed.status.success(), "{}", describe(&resumed));
    let said = String::from_utf8_lossy(&resumed.stderr);
    assert!(
        said.contains(&format!(
            "resuming from the state an earlier instance saved at {RESUME_STATE}"
        )),
        "{said}"
    );
    let summary = String::from_utf8_lossy(&resumed.stdout);
    assert!(
        summary.starts_with("200 edges accepted by s2n-edges")
            && summary.contains(&format!("; {unsent} resumed from the last run")),
        "{summary}"
    );
    assert!(
        !second
            .path("var/lib/stream2neptune/follows.resume.json")
            .exists()
    );
    let head = moto.aws_output(
        REGION,
        &[
            "s3api",
            "head-object",
            "--bucket",
            BUCKET,
            "--key",
            "driver-state/s2n-boot/follows.resume.json",
        ],
    );
    assert!(!head.status.success(), "the resume state is still in S3");
}

#[test]
fn a_boot_that_fails_signals_its_failure() {
    // GIVEN moto's S3 holding a driver "zip" that is not a zip
    let moto = Moto::start();
    moto.aws(REGION, &["s3", "mb", &format!("s3://{BUCKET}")]);
    put_settings(&moto, &settings("s2n-edges", "50", DRIVER_KEY));
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
    // AND the settings and the scripts were written before the failure
    assert!(sandbox.path("opt/stream2neptune/driver.env").is_file());
    assert!(sandbox.path("usr/local/bin/stream2neptune-drive").is_file());
    assert!(
        sandbox
            .path("usr/local/bin/stream2neptune-update")
            .is_file()
    );
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

/// The stack parameters a redeploy changes to give the driver new code, a new pace or another edge file.
const DRIVER_RUN_PARAMETERS: [&str; 5] = [
    "DriverCodeKey",
    "DriverPeriod",
    "DriverBatchSize",
    "DriverAggregation",
    "EdgeFileS3Location",
];

/// A name a template value refers to, with the attribute of a `Fn::GetAtt`.
type Reference = (String, Option<String>);

/// What a template value refers to: `Ref`s and `Fn::Sub` placeholders, `Fn::GetAtt`s with their attribute, and the
/// conditions of `Fn::If`s.
fn references(value: &serde_norway::Value, found: &mut Vec<Reference>) {
    use serde_norway::Value;
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            function_references(tag.trim_start_matches('!'), &tagged.value, found);
        }
        Value::Mapping(map) => {
            let mut entries = map.iter();
            match (entries.next(), entries.next()) {
                (Some((key, args)), None)
                    if key
                        .as_str()
                        .is_some_and(|k| k == "Ref" || k.starts_with("Fn::")) =>
                {
                    let key = key.as_str().unwrap();
                    function_references(key.trim_start_matches("Fn::"), args, found);
                }
                _ => map.values().for_each(|v| references(v, found)),
            }
        }
        Value::Sequence(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

/// What one intrinsic function (`Ref`, `GetAtt`, `Sub`, `If`, any other: its arguments) refers to.
fn function_references(function: &str, args: &serde_norway::Value, found: &mut Vec<Reference>) {
    match function {
        "Ref" => found.push((args.as_str().expect("Ref names a string").to_owned(), None)),
        "GetAtt" => {
            let (resource, attribute) = match args.as_str() {
                Some(dotted) => dotted.split_once('.').expect("Resource.Attribute"),
                None => (args[0].as_str().unwrap(), args[1].as_str().unwrap()),
            };
            found.push((resource.to_owned(), Some(attribute.to_owned())));
        }
        "Sub" => {
            let (template, locals) = match args.as_str() {
                Some(template) => (template, Vec::new()),
                None => {
                    let map = args[1].as_mapping().expect("Fn::Sub's variable map");
                    map.values().for_each(|v| references(v, found));
                    let locals = map.keys().map(|k| k.as_str().unwrap().to_owned()).collect();
                    (args[0].as_str().expect("Fn::Sub's template"), locals)
                }
            };
            let placeholder =
                regex::Regex::new(r"\$\{([^!}][^}.]*)(?:\.([^}]*))?\}").expect("regex");
            for c in placeholder.captures_iter(template) {
                if !locals.contains(&c[1].to_owned()) {
                    found.push((c[1].to_owned(), c.get(2).map(|a| a.as_str().to_owned())));
                }
            }
        }
        "If" => {
            found.push((args[0].as_str().expect("a condition name").to_owned(), None));
            references(&args[1], found);
            references(&args[2], found);
        }
        _ => references(args, found),
    }
}

/// Resource types whose `Ref` and attributes change only when the resource is replaced, with the properties whose
/// change replaces them (CloudFormation's resource reference, "Update requires: Replacement"); their other
/// properties update in place. A parameter's `Value` attribute is its value, so it is not listed here.
const REPLACED_ONLY_BY: &[(&str, &[&str])] = &[
    ("AWS::SSM::Parameter", &["Name"]),
    ("AWS::IAM::Role", &["RoleName", "Path"]),
    (
        "AWS::IAM::InstanceProfile",
        &["InstanceProfileName", "Path"],
    ),
];

/// The stack parameters whose values reach what CloudFormation compares of `resource` on an update: its
/// properties, through every resource and condition they refer to; of a resource of [`REPLACED_ONLY_BY`], only
/// the properties that replace it.
fn parameters_reaching(stack: &serde_norway::Value, resource: &str) -> BTreeSet<String> {
    let mut reached = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut todo = Vec::new();
    references(&stack["Resources"][resource]["Properties"], &mut todo);
    while let Some((name, attribute)) = todo.pop() {
        if !seen.insert((name.clone(), attribute.clone())) {
            continue;
        }
        if stack["Parameters"].get(&name).is_some() {
            reached.insert(name);
        } else if let Some(condition) = stack["Conditions"].get(&name) {
            references(condition, &mut todo);
        } else if let Some(other) = stack["Resources"].get(&name) {
            let properties = &other["Properties"];
            let replacing = REPLACED_ONLY_BY
                .iter()
                .find(|(kind, _)| other["Type"] == *kind)
                .filter(|_| attribute.as_deref() != Some("Value"));
            match replacing {
                Some((_, names)) => names
                    .iter()
                    .filter_map(|n| properties.get(*n))
                    .for_each(|v| references(v, &mut todo)),
                None => references(properties, &mut todo),
            }
        }
    }
    reached
}

#[test]
fn a_redeploy_of_the_drivers_code_pace_or_edge_file_changes_only_its_settings_parameter() {
    // moto's change sets say neither Replacement nor Scope, and moto has no Neptune to hold the real stack: this
    // reads, in the rendered template, what an update compares of the launch template and the instance.
    for (mode, sets) in [
        ("a new cluster", &[] as &[&str]),
        ("aggregation on", &["DriverAggregation=true"]),
    ] {
        // GIVEN the rendered stack
        let stack = rendered_stack(REGION, sets);
        // WHEN the parameters reaching each driver resource are followed
        let settings = parameters_reaching(&stack, "DriverSettings");
        // THEN the settings parameter carries every driver run parameter (so a redeploy updates it)
        for name in DRIVER_RUN_PARAMETERS {
            assert!(
                settings.contains(name),
                "{mode}: DriverSettings does not carry {name}: {settings:?}"
            );
        }
        // AND none of them reaches the launch template (whose new version would replace the instance) nor the
        // instance
        for resource in ["DriverLaunchTemplate", "DriverInstance"] {
            let reached = parameters_reaching(&stack, resource);
            let changing: Vec<&str> = DRIVER_RUN_PARAMETERS
                .into_iter()
                .filter(|name| reached.contains(*name))
                .collect();
            assert!(
                changing.is_empty(),
                "{mode}: {resource} changes with {changing:?}, so a redeploy of the driver's code or pace replaces the instance"
            );
        }
    }
}
