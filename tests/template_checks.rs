//! cfn-lint and checkov over the real rendered stacks: every region in stack.yaml plus a matrix of structural
//! options (existing cluster, on-demand stream, each query language, serverless, arm64, key pair, other
//! partitions, each on-failure destination, the stack's alarm topic with and without an e-mail or a topic of the
//! user's), all rendered by the built binary; `bash -n` over the shell scripts the stacks carry (driver user
//! data, notebook lifecycle); and no wildcard action in any policy. Separate from the snapshot tests because it
//! runs the Python tools `make tools` installs into .venv and takes tens of seconds (one cfn-lint and one checkov
//! run in all).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use stream2neptune_testkit::tool;

/// The region the option matrix renders for: not in stack.yaml, so every value is a built-in default.
const MATRIX_REGION: &str = "us-west-2";

/// Everything an existing-cluster render requires, with well-formed made-up identifiers.
const EXISTING_CLUSTER: &[&str] = &[
    "UseExistingCluster=true",
    "ExistingClusterEndpoint=graph.cluster-c1a2b3c4d5e6.us-west-2.neptune.amazonaws.com",
    "ExistingClusterReaderEndpoint=graph.cluster-ro-c1a2b3c4d5e6.us-west-2.neptune.amazonaws.com",
    "ExistingClusterResourceId=cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "ExistingVpcId=vpc-0123456789abcdef0",
    "ExistingSubnetIds=subnet-0123456789abcdef0,subnet-0123456789abcdef1",
    "ExistingSecurityGroupId=sg-0123456789abcdef0",
];

/// The checkov checks a template may skip; each skip must carry its justification as the comment.
/// CKV_AWS_116: a DLQ is for asynchronous invocations, the function is invoked by its event source mapping
/// (which has an on-failure destination). CKV_AWS_115: reserved concurrency is the ReservedConcurrency parameter,
/// off by default.
/// CKV_AWS_361: checkov 3.3 raises a TypeError on a parameter reference for BackupRetentionPeriod. CKV_AWS_101: the
/// Neptune audit log is optional (NeptuneAuditLog, off by default). CKV_AWS_18: server access logs of the on-failure
/// bucket would need a second bucket; its one writer is the event source mapping.
const ALLOWED_SKIPS: &[&str] = &[
    "CKV_AWS_18",
    "CKV_AWS_101",
    "CKV_AWS_115",
    "CKV_AWS_116",
    "CKV_AWS_361",
];

/// One render of the option matrix: a name for its output folder, its region and its `--set` arguments.
struct Case {
    name: &'static str,
    region: &'static str,
    sets: Vec<&'static str>,
}

fn matrix() -> Vec<Case> {
    let case = |name, region, sets: &[&'static str]| Case {
        name,
        region,
        sets: sets.to_vec(),
    };
    let with_existing = |extra: &[&'static str]| [EXISTING_CLUSTER, extra].concat();
    vec![
        case("defaults", MATRIX_REGION, &[]),
        case("existing-cluster", MATRIX_REGION, &with_existing(&[])),
        case(
            "existing-on-demand-key-pair-sparql",
            MATRIX_REGION,
            &with_existing(&[
                "StreamMode=ON_DEMAND",
                "EC2KeyPairName=driver-key",
                "QueryLanguage=sparql",
                "OnFailureDestination=sqs",
                "AlarmTopicArn=arn:aws:sns:us-west-2:123456789012:ops-alerts",
            ]),
        ),
        case(
            "on-demand",
            MATRIX_REGION,
            &["StreamMode=ON_DEMAND", "OnFailureRetentionDays=3650"],
        ),
        case("sparql", MATRIX_REGION, &["QueryLanguage=sparql"]),
        case("opencypher", MATRIX_REGION, &["QueryLanguage=opencypher"]),
        case(
            "serverless",
            MATRIX_REGION,
            &[
                "DbInstanceType=db.serverless",
                "DbServerlessMaxCapacity=32",
                "AlarmEmail=ops@example.com",
            ],
        ),
        case("arm64", MATRIX_REGION, &["FunctionArchitecture=arm64"]),
        case("key-pair", MATRIX_REGION, &["EC2KeyPairName=driver-key"]),
        case(
            "oldest-engine-audit-log-reserved-own-buckets",
            MATRIX_REGION,
            &[
                "NeptuneEngineVersion=1.3.4.0",
                "NeptuneAuditLog=true",
                "ReservedConcurrency=8",
                "DbInstanceType=db.r5.xlarge",
                "ArtifactBucket=my-artifacts",
                "VertexFileS3Location=s3://my-data/people/vertices/",
                "EdgeFileS3Location=s3://my-data/people/follows.csv.gz",
                "IamAuth=false",
                "BisectBatchOnFunctionError=false",
                "LogRetentionDays=365",
                "DriverAggregation=true",
                "BatchReadSize=2500",
                "OnFailureDestination=sqs",
            ],
        ),
        case(
            "china",
            "cn-north-1",
            &["AlarmTopicArn=arn:aws-cn:sns:cn-north-1:123456789012:ops-alerts"],
        ),
        case("govcloud", "us-gov-west-1", &[]),
        // Regions whose classes differ most from the large ones (cfn-lint checks each class against the region).
        case("few-classes", "il-central-1", &[]),
        case("no-r5", "ap-southeast-5", &["NeptuneAuditLog=true"]),
    ]
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|err| panic!("cannot run {command:?}: {err}"))
}

/// Runs `stream2neptune render` from the repository root (so it reads stack.yaml) into `out`.
fn render(out: &Path, args: &[&str]) {
    let output = run(Command::new(env!("CARGO_BIN_EXE_stream2neptune"))
        .current_dir(repo_root())
        .arg("render")
        .arg("--out")
        .arg(out)
        .args(args));
    assert!(
        output.status.success(),
        "render {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every rendered `template.yaml` one level below each folder under `dir`, sorted.
fn stacks_under(dir: &Path) -> Vec<PathBuf> {
    let mut stacks = Vec::new();
    for case in std::fs::read_dir(dir).expect("read render folder") {
        for region in std::fs::read_dir(case.expect("entry").path()).expect("read case folder") {
            let stack = region
                .expect("entry")
                .path()
                .join(stream2neptune::render::TEMPLATE_FILE);
            if stack.is_file() {
                stacks.push(stack);
            }
        }
    }
    stacks.sort();
    stacks
}

/// The regions listed under `regions:` in stack.yaml.
fn config_regions() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo_root().join("stack.yaml")).expect("read stack.yaml");
    let config: serde_norway::Value = serde_norway::from_str(&text).expect("stack.yaml is YAML");
    config["regions"]
        .as_mapping()
        .expect("stack.yaml has a regions: table")
        .keys()
        .map(|key| key.as_str().expect("region names are strings").to_owned())
        .collect()
}

/// Renders the config's regions and the option matrix under `out`; returns every rendered stack.
fn render_all(out: &Path) -> Vec<PathBuf> {
    render(&out.join("config"), &[]);
    for case in matrix() {
        let mut args = vec!["--region", case.region];
        for set in &case.sets {
            args.extend(["--set", set]);
        }
        render(&out.join(case.name), &args);
    }
    stacks_under(out)
}

/// cfn-lint's error and warning findings (`path:line:col:endline:endcol:RULE:message`) over all `stacks` at
/// once; informational (I) findings are not counted. Each template names its own region in its
/// `Metadata: cfn-lint: config: regions`, so resource availability is checked per region.
fn cfn_lint_findings(stacks: &[PathBuf]) -> Vec<String> {
    let output = run(Command::new(tool("cfn-lint"))
        .args(["--format", "parseable"])
        .args(stacks));
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Exit code bits: 2 errors, 4 warnings, 8 informational; anything else means cfn-lint itself failed.
    let code = output.status.code().expect("cfn-lint exited");
    assert_eq!(
        code & !(2 | 4 | 8),
        0,
        "cfn-lint failed (exit {code}):\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .filter(|line| {
            let rule = line.split(':').nth(5).unwrap_or("");
            !rule.starts_with('I')
        })
        .map(str::to_owned)
        .collect()
}

/// What checkov (framework cloudformation, no network) reports for every template under `dir`.
struct CheckovReport {
    /// `CHECK resource file` of each failed check.
    failed: Vec<String>,
    /// `(check id, resource, file, justification)` of each skipped check.
    skipped: Vec<(String, String, String, String)>,
    /// Templates checkov scanned (relative paths as it prints them).
    scanned_files: BTreeSet<String>,
    parsing_errors: Vec<String>,
}

fn checkov(dir: &Path) -> CheckovReport {
    let output = run(Command::new(tool("checkov"))
        .arg("-d")
        .arg(dir)
        .args([
            "--framework",
            "cloudformation",
            "--compact",
            "--skip-download",
        ])
        .args(["--output", "json"]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|err| {
        panic!(
            "checkov did not print a JSON report ({err}):\n{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let results = &report["results"];
    let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
    let checks = |kind: &str| results[kind].as_array().cloned().unwrap_or_default();
    let failed = checks("failed_checks")
        .iter()
        .map(|c| {
            format!(
                "{} {} {}:{} {}",
                text(&c["check_id"]),
                text(&c["resource"]),
                text(&c["file_path"]),
                c["file_line_range"][0],
                text(&c["check_name"])
            )
        })
        .collect();
    let skipped = checks("skipped_checks")
        .iter()
        .map(|c| {
            (
                text(&c["check_id"]),
                text(&c["resource"]),
                text(&c["file_path"]),
                text(&c["check_result"]["suppress_comment"]),
            )
        })
        .collect();
    let scanned_files = ["passed_checks", "failed_checks", "skipped_checks"]
        .iter()
        .flat_map(|kind| checks(kind))
        .map(|c| text(&c["file_path"]))
        .collect();
    let parsing_errors = checks("parsing_errors").iter().map(text).collect();
    CheckovReport {
        failed,
        skipped,
        scanned_files,
        parsing_errors,
    }
}

#[test]
fn every_rendered_stack_passes_cfn_lint_and_checkov() {
    // GIVEN every region of stack.yaml and the option matrix, rendered by the real binary
    let out = tempfile::tempdir().expect("temp dir");
    let stacks = render_all(out.path());
    let regions = config_regions();
    assert!(regions.len() >= 2, "stack.yaml lists {regions:?}");
    for region in &regions {
        let stack = out
            .path()
            .join("config")
            .join(region)
            .join(stream2neptune::render::TEMPLATE_FILE);
        assert!(stack.is_file(), "{region} from stack.yaml was not rendered");
    }
    assert_eq!(stacks.len(), regions.len() + matrix().len());

    // WHEN cfn-lint and checkov check them (side by side: each is single-threaded)
    let (lint, report) = std::thread::scope(|scope| {
        let lint = scope.spawn(|| cfn_lint_findings(&stacks));
        let report = checkov(out.path());
        (lint.join().expect("cfn-lint thread"), report)
    });

    // THEN neither finds anything, and every skip is an allowed one with its reason next to the resource
    assert!(
        lint.is_empty(),
        "cfn-lint errors/warnings:\n{}",
        lint.join("\n")
    );
    assert!(
        report.parsing_errors.is_empty(),
        "checkov could not parse: {:?}",
        report.parsing_errors
    );
    assert!(
        report.failed.is_empty(),
        "checkov failed checks:\n{}",
        report.failed.join("\n")
    );
    assert_eq!(
        report.scanned_files.len(),
        stacks.len(),
        "checkov scanned {:?}",
        report.scanned_files
    );
    for (check, resource, file, comment) in &report.skipped {
        assert!(
            ALLOWED_SKIPS.contains(&check.as_str()),
            "{file}: {resource} skips {check}, which is not an allowed skip"
        );
        assert!(
            comment.len() >= 40,
            "{file}: {resource} skips {check} without a justification: {comment:?}"
        );
    }
}

#[test]
fn the_checks_report_a_broken_template() {
    // GIVEN a template with an unknown property and an unencrypted queue
    let dir = tempfile::tempdir().expect("temp dir");
    let stack = dir
        .path()
        .join("broken")
        .join(stream2neptune::render::TEMPLATE_FILE);
    std::fs::create_dir_all(stack.parent().expect("parent")).expect("mkdir");
    std::fs::write(
        &stack,
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Queue:\n    Type: AWS::SQS::Queue\n    \
         Properties:\n      NotAProperty: true\n",
    )
    .expect("write template");

    // WHEN the same harness checks it
    let lint = cfn_lint_findings(std::slice::from_ref(&stack));
    let report = checkov(dir.path());

    // THEN both tools report it, so a clean result above means clean templates (and so does bash)
    assert!(bash_syntax_error("if true; then\n  echo unterminated\n").is_some());
    assert!(
        lint.iter().any(|line| line.contains(":E3002:")),
        "cfn-lint missed the unknown property: {lint:?}"
    );
    assert!(
        report.failed.iter().any(|f| f.starts_with("CKV_AWS_27 ")),
        "checkov missed the unencrypted queue: {:?}",
        report.failed
    );
}

/// Follows `!Tag value` wrappers down to the value.
fn untagged(value: &serde_norway::Value) -> &serde_norway::Value {
    match value {
        serde_norway::Value::Tagged(tagged) => untagged(&tagged.value),
        other => other,
    }
}

/// The template string of a `!Base64 {Fn::Sub: [template, {vars}]}` value.
fn sub_template(value: &serde_norway::Value) -> String {
    let sub = &untagged(value)["Fn::Sub"];
    untagged(&untagged(sub)[0])
        .as_str()
        .unwrap_or_else(|| panic!("expected !Base64 {{Fn::Sub: [template, vars]}}, got {value:?}"))
        .to_owned()
}

/// The script as the instance sees it, give or take values: `${Var}` placeholders become a word and the `${!x}`
/// escape becomes `${x}`, as Fn::Sub does.
fn substituted(template: &str) -> String {
    let placeholder = regex::Regex::new(r"\$\{[^!}][^}]*\}").expect("regex");
    placeholder
        .replace_all(template, "value")
        .replace("${!", "${")
}

/// The script and every quoted here-document inside it (`<<'NAME'` ... `NAME`) that is a script itself.
fn scripts_within(script: &str) -> Vec<String> {
    let mut scripts = vec![script.to_owned()];
    let mut lines = script.lines();
    while let Some(line) = lines.next() {
        let Some((_, rest)) = line.split_once("<<'") else {
            continue;
        };
        let name = rest.trim_end_matches('\'');
        let body: Vec<&str> = lines.by_ref().take_while(|l| *l != name).collect();
        // ENV documents are KEY=value files, not scripts.
        if name != "ENV" {
            scripts.push(body.join("\n"));
        }
    }
    scripts
}

fn bash_syntax_error(script: &str) -> Option<String> {
    use std::io::Write as _;
    let mut child = Command::new("bash")
        .arg("-n")
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run bash");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write script");
    let output = child.wait_with_output().expect("bash -n");
    (!output.status.success()).then(|| String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn scripts_in_every_rendered_stack_are_valid_bash() {
    // GIVEN every rendered stack
    let out = tempfile::tempdir().expect("temp dir");
    let stacks = render_all(out.path());
    let mut checked = 0;
    for stack in &stacks {
        let text = std::fs::read_to_string(stack).expect("read stack");
        let template: serde_norway::Value = serde_norway::from_str(&text).expect("stack is YAML");
        let resources = &template["Resources"];
        let carried = [
            (
                "driver user data",
                &resources["DriverLaunchTemplate"]["Properties"]["LaunchTemplateData"]["UserData"],
            ),
            (
                "notebook lifecycle",
                &resources["NotebookLifecycle"]["Properties"]["OnStart"][0]["Content"],
            ),
        ];
        for (what, value) in carried {
            // WHEN bash parses the script and the scripts it writes
            for script in scripts_within(&substituted(&sub_template(value))) {
                // THEN there is no syntax error
                if let Some(error) = bash_syntax_error(&script) {
                    panic!("{}: {what}: {error}\n{script}", stack.display());
                }
                checked += 1;
            }
        }
    }
    // The driver's update and wrapper scripts and the notebook's setup script are found, not silently skipped.
    assert_eq!(checked, stacks.len() * 5);
}

/// Every `Action` value (string or list of strings) anywhere under `value`, with its path, except in `Deny`
/// statements, which allow nothing (the on-failure bucket's TLS-only statement denies `s3:*`).
fn actions(value: &serde_norway::Value, path: &str, found: &mut Vec<(String, String)>) {
    match untagged(value) {
        serde_norway::Value::Mapping(map)
            if map.get("Effect").and_then(|e| untagged(e).as_str()) == Some("Deny") => {}
        serde_norway::Value::Mapping(map) => {
            for (key, child) in map {
                let key = key.as_str().unwrap_or("?");
                let child_path = format!("{path}/{key}");
                if key == "Action" || key == "NotAction" {
                    let listed = match untagged(child) {
                        serde_norway::Value::Sequence(items) => items.iter().collect(),
                        other => vec![other],
                    };
                    for action in listed {
                        let action = untagged(action).as_str().unwrap_or("<not a string>");
                        found.push((format!("{child_path} ({key})"), action.to_owned()));
                    }
                } else {
                    actions(child, &child_path, found);
                }
            }
        }
        serde_norway::Value::Sequence(items) => {
            for (index, child) in items.iter().enumerate() {
                actions(child, &format!("{path}[{index}]"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn no_policy_in_any_rendered_stack_has_a_wildcard_action() {
    // GIVEN every rendered stack
    let out = tempfile::tempdir().expect("temp dir");
    for stack in render_all(out.path()) {
        let text = std::fs::read_to_string(&stack).expect("read stack");
        let template: serde_norway::Value = serde_norway::from_str(&text).expect("stack is YAML");

        // WHEN every IAM and key policy action is collected
        let mut found = Vec::new();
        actions(&template["Resources"], "Resources", &mut found);

        // THEN each names one action of one service: no `*`, no `service:*`, no NotAction
        assert!(found.len() > 20, "{}: only {found:?}", stack.display());
        // (a Deny is not collected: it allows nothing)
        assert!(
            !found.iter().any(|(_, action)| action == "s3:*"),
            "{}: a Deny's actions were collected",
            stack.display()
        );
        for (path, action) in &found {
            assert!(
                !path.ends_with("(NotAction)") && !action.contains('*') && action.contains(':'),
                "{}: {path} allows {action:?}",
                stack.display()
            );
        }
    }
}
