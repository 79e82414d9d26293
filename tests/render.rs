//! Rendering through the real environment builder: output files, atomic per-region writing, determinism and
//! template errors. Uses the fixture templates in tests/fixtures so these tests do not churn with templates/.

mod common;

use std::fs;
use std::path::Path;

use stream2neptune::config_args::ConfigArgs;
use stream2neptune::render::command::RenderArgs;
use stream2neptune::render::{TEMPLATE_FILE, environment, render_region};
use stream2neptune_plan::{Name, resolve};
use stream2neptune_writer_environment::{Source, VARIABLES, Variable};

fn render_args(
    config: &Path,
    root: &Path,
    out: &Path,
    regions: &[&str],
    sets: &[&str],
) -> RenderArgs {
    RenderArgs {
        config: ConfigArgs {
            config: config.to_owned(),
            sets: sets.iter().map(|s| s.to_string()).collect(),
        },
        region: regions.iter().map(|s| s.to_string()).collect(),
        all_regions: false,
        out: out.to_owned(),
        templates_dir: Some(root.to_owned()),
    }
}

/// Runs `render`, returning (result text, stdout, stderr).
fn run_render(args: &RenderArgs) -> (Result<(), String>, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let result = stream2neptune::render::command::run(args, &mut out, &mut err)
        .map_err(|e| format!("{e:#}"));
    (
        result,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// Renders eu-west-1 from the shipped templates and stack.yaml with `sets` into `out`: (result, stderr).
fn render_shipped_eu_west_1(out: &Path, sets: &[&str]) -> (Result<(), String>, String) {
    let config = common::repo_root().join("stack.yaml");
    let (result, _, stderr) = run_render(&render_args(
        &config,
        &common::repo_root(),
        out,
        &["eu-west-1"],
        sets,
    ));
    (result, stderr)
}

/// Every file under `top`, as (path relative to `top`, bytes), sorted.
fn files_under(top: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![top.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(top).unwrap().display().to_string();
                files.push((name, fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_config_region_gets_a_stack_and_a_parameters_file() {
    let tmp = tempfile::tempdir().unwrap();
    let config = common::repo_root().join("stack.yaml");
    let mut args = render_args(&config, &common::fixture("minimal"), tmp.path(), &[], &[]);
    args.region.clear();
    let (result, stdout, _) = run_render(&args);
    result.unwrap();
    let loaded = stream2neptune_plan::config::StackConfig::load(&config).unwrap();
    for region in loaded.regions.keys() {
        let dir = tmp.path().join(region);
        let stack = fs::read_to_string(dir.join(TEMPLATE_FILE)).unwrap();
        assert!(
            stack.contains(&format!("stream2neptune fixture for {region} (aws)")),
            "{stack}"
        );
        assert!(stack.ends_with('\n'));
        let params: Vec<serde_json::Value> =
            serde_json::from_str(&fs::read_to_string(dir.join("parameters.json")).unwrap())
                .unwrap();
        let resolved = resolve(&loaded, region, &common::sets(&[])).unwrap();
        let expected: Vec<serde_json::Value> = resolved
            .in_scope()
            .map(|p| serde_json::json!({"ParameterKey": p.param.name, "ParameterValue": p.value.to_string()}))
            .collect();
        assert_eq!(params, expected, "{region}");
        assert!(stdout.contains(&format!("{region}: wrote ")), "{stdout}");
    }
}

#[test]
fn the_template_sees_mode_derived_and_the_dashboard_body() {
    let config =
        common::config("regions: {eu-central-1: {StreamMode: ON_DEMAND, QueryLanguage: sparql}}");
    let resolved = resolve(&config, "eu-central-1", &common::sets(&[])).unwrap();
    let rendered = render_region(&environment(&common::fixture("minimal")), &resolved).unwrap();
    assert!(
        rendered.stack.contains("StreamMode: ON_DEMAND\n"),
        "{}",
        rendered.stack
    );
    assert!(!rendered.stack.contains("ShardCount"), "{}", rendered.stack);
    assert!(
        rendered
            .stack
            .contains("QueryLanguage:\n    Value: \"sparql\""),
        "{}",
        rendered.stack
    );
    for expected in [
        "RecommendedShards:\n    Value: \"4\"",
        "KeyPair:\n    Value: \"False\"",
        "ExistingCluster:\n    Value: \"False\"",
        "Serverless:\n    Value: \"False\"",
        "WriterVcpus:\n    Value: \"2\"",
    ] {
        assert!(
            rendered.stack.contains(expected),
            "{expected} in {}",
            rendered.stack
        );
    }
    assert!(
        rendered
            .stack
            .contains("MaxConcurrentBatches:\n    Value: \"0\""),
        "{}",
        rendered.stack
    );
    assert!(
        rendered.stack.contains("        \"metrics\": [[\"stream2neptune\", \"EdgesWritten\", \"FunctionName\", \"${WriterFunction}\"]]"),
        "{}",
        rendered.stack
    );
}

#[test]
fn rendering_twice_is_byte_identical() {
    let config = common::repo_root().join("stack.yaml");
    let roots = [common::fixture("minimal"), common::repo_root()];
    for root in &roots {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for out in [a.path(), b.path()] {
            let mut args = render_args(&config, root, out, &[], &[]);
            args.region.clear();
            let (result, _, _) = run_render(&args);
            result.unwrap_or_else(|e| panic!("{}: {e}", root.display()));
        }
        let (first, second) = (files_under(a.path()), files_under(b.path()));
        assert!(!first.is_empty());
        assert_eq!(first.len(), second.len());
        for ((name_a, bytes_a), (name_b, bytes_b)) in first.iter().zip(&second) {
            assert_eq!(name_a, name_b);
            assert!(bytes_a == bytes_b, "{name_a} differs between two renders");
        }
    }
}

#[test]
fn a_failing_region_gets_no_files_and_the_others_are_written() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("stack.yaml");
    fs::write(
        &config,
        "regions:\n  us-east-1: {}\n  eu-west-1: {BatchWriteSize: 5000}\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let (result, _, stderr) = run_render(&render_args(
        &config,
        &common::fixture("minimal"),
        &out,
        &["us-east-1", "eu-west-1"],
        &[],
    ));
    assert_eq!(
        result.unwrap_err(),
        "1 of 2 regions failed (see the errors above); nothing was written for them"
    );
    assert!(
        stderr.starts_with(
            "error: region eu-west-1: BatchWriteSize = 5000 (from region) is above BatchReadSize"
        ),
        "{stderr}"
    );
    assert!(out.join("us-east-1").join(TEMPLATE_FILE).exists());
    assert!(!out.join("eu-west-1").exists());
}

#[test]
fn a_template_error_writes_nothing_and_names_the_location() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let config = common::repo_root().join("stack.yaml");
    let (result, _, _) = run_render(&render_args(
        &config,
        &common::fixture("err_undefined"),
        &out,
        &["us-east-1"],
        &[],
    ));
    let err = result.unwrap_err();
    assert!(
        err.starts_with(
            "region us-east-1: cannot render stack.yaml.j2: undefined value (in stack.yaml.j2:5)"
        ),
        "{err}"
    );
    assert!(
        err.contains("ShardCount: {{ params.ShardCountt }}"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn a_dashboard_that_is_not_json_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let config = common::repo_root().join("stack.yaml");
    let (result, _, _) = run_render(&render_args(
        &config,
        &common::fixture("err_dashboard_json"),
        &out,
        &["eu-west-1"],
        &[],
    ));
    assert_eq!(
        result.unwrap_err(),
        "region eu-west-1: dashboards/dashboard.json.j2 does not render to valid JSON: trailing comma at line 3 column 61"
    );
    assert!(!out.exists());
}

#[test]
fn missing_templates_name_the_templates_dir_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let config = common::repo_root().join("stack.yaml");
    let (result, _, _) = run_render(&render_args(
        &config,
        tmp.path(),
        &tmp.path().join("out"),
        &["eu-west-1"],
        &[],
    ));
    let err = result.unwrap_err();
    let looked_in = tmp.path().join("templates").join("stack.yaml.j2");
    assert!(
        err.starts_with(&format!("no template at {}: ", looked_in.display())),
        "{err}"
    );
    assert!(
        err.ends_with("pass --templates-dir with the folder that holds them"),
        "{err}"
    );
}

#[test]
fn shard_warnings_go_to_stderr_and_the_region_still_renders() {
    let tmp = tempfile::tempdir().unwrap();
    let config = common::repo_root().join("stack.yaml");
    let (result, _, stderr) = run_render(&render_args(
        &config,
        &common::fixture("minimal"),
        tmp.path(),
        &["eu-west-1"],
        &["ShardCount=12"],
    ));
    result.unwrap();
    assert_eq!(
        stderr,
        "warning: region eu-west-1: ShardCount = 12 (from --set) is above 4, 2 x the 2 vCPUs of db.r6g.large; the guidance is no more than 2 x the number of vCPUs on the Neptune writer, because every shard adds a concurrent writer\n"
    );
    assert!(
        fs::read_to_string(tmp.path().join("eu-west-1/parameters.json"))
            .unwrap()
            .contains("\"12\"")
    );
}

#[test]
fn rewriting_replaces_files_atomically_without_leftovers() {
    let tmp = tempfile::tempdir().unwrap();
    let config = common::repo_root().join("stack.yaml");
    for shards in ["ShardCount=1", "ShardCount=2"] {
        let (result, _, _) = run_render(&render_args(
            &config,
            &common::fixture("minimal"),
            tmp.path(),
            &["eu-west-1"],
            &[shards],
        ));
        result.unwrap();
    }
    let mut names: Vec<String> = fs::read_dir(tmp.path().join("eu-west-1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["parameters.json", "template.yaml"]);
    assert!(
        fs::read_to_string(tmp.path().join("eu-west-1/parameters.json"))
            .unwrap()
            .contains("\"ParameterValue\": \"2\"")
    );
}

#[test]
fn all_regions_renders_every_known_region_with_its_partition() {
    let tmp = tempfile::tempdir().unwrap();
    let config = common::repo_root().join("stack.yaml");
    let mut args = render_args(&config, &common::fixture("minimal"), tmp.path(), &[], &[]);
    args.all_regions = true;
    let (result, _, _) = run_render(&args);
    result.unwrap();
    for (region, partition) in stream2neptune_plan::regions::REGIONS {
        let stack = fs::read_to_string(tmp.path().join(region).join(TEMPLATE_FILE)).unwrap();
        assert!(
            stack.contains(&format!("fixture for {region} ({partition})")),
            "{region}"
        );
    }
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        stream2neptune_plan::regions::REGIONS.len()
    );
}

#[test]
fn the_rendered_mapping_keeps_records_until_written_and_warns_about_finite_retries() {
    // GIVEN the shipped templates and stack.yaml (eu-west-1 keeps records 72 h)
    let tmp = tempfile::tempdir().unwrap();
    let (result, stderr) = render_shipped_eu_west_1(tmp.path(), &[]);
    result.unwrap();
    assert_eq!(stderr, "");

    // THEN the mapping reads both settings from parameters whose values discard nothing
    let stack = fs::read_to_string(tmp.path().join("eu-west-1").join(TEMPLATE_FILE)).unwrap();
    let mapping = &stack[stack.find("  WriterEventSourceMapping:").unwrap()..];
    for line in [
        "MaximumRetryAttempts: !Ref MaximumRetryAttempts",
        "MaximumRecordAgeInSeconds: !Ref MaximumRecordAgeInSeconds",
        "BisectBatchOnFunctionError: !If [BisectOnError, true, false]",
        "- ReportBatchItemFailures",
    ] {
        assert!(mapping.contains(line), "{line} missing from the mapping");
    }
    let parameters: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(tmp.path().join("eu-west-1/parameters.json")).unwrap(),
    )
    .unwrap();
    let value = |name: Name| {
        parameters
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["ParameterKey"] == name.as_str())
            .map(|p| p["ParameterValue"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(value(Name::MaximumRetryAttempts), "-1");
    assert_eq!(
        value(Name::MaximumRecordAgeInSeconds),
        (72 * 3600 - 3600).to_string()
    );

    // WHEN a finite retry count is set THEN it renders, with a warning naming what is discarded
    let (result, stderr) = render_shipped_eu_west_1(tmp.path(), &["MaximumRetryAttempts=3"]);
    result.unwrap();
    assert!(
        stderr.starts_with(
            "warning: region eu-west-1: MaximumRetryAttempts = 3 (from --set) discards data from the stream"
        ) && stderr.contains("every record after it in the batch (up to BatchReadSize = 500)")
            && stderr.contains(
                "the whole batch's payload goes to the on-failure bucket (OnFailureBucket)"
            ),
        "{stderr}"
    );
    let (result, stderr) = render_shipped_eu_west_1(
        tmp.path(),
        &["MaximumRetryAttempts=3", "OnFailureDestination=sqs"],
    );
    result.unwrap();
    assert!(
        stderr.contains(
            "only their shard and sequence range go to the on-failure queue (OnFailureQueue)"
        ),
        "{stderr}"
    );

    // AND a FunctionTimeout leaving no time to write is refused, naming both
    let (result, _) = render_shipped_eu_west_1(tmp.path(), &["FunctionTimeout=10"]);
    let err = result.unwrap_err();
    assert!(
        err.contains("FunctionTimeout = 10 (from --set) leaves no time to write")
            && err.contains("DEADLINE_MARGIN_MS"),
        "{err}"
    );
}

#[test]
fn with_driver_aggregation_the_mapping_reads_aggregates_holding_about_batch_read_size_edges() {
    // GIVEN the shipped templates with DriverAggregation on and 4,000 edges per invocation
    let tmp = tempfile::tempdir().unwrap();
    let (result, stderr) = render_shipped_eu_west_1(
        tmp.path(),
        &["DriverAggregation=true", "BatchReadSize=4000"],
    );
    result.unwrap();
    assert_eq!(stderr, "");

    // THEN the mapping's BatchSize is 4 aggregates of up to 1,000 edges while DriverAggregation stays on
    let stack = fs::read_to_string(tmp.path().join("eu-west-1").join(TEMPLATE_FILE)).unwrap();
    let mapping = &stack[stack.find("  WriterEventSourceMapping:").unwrap()..];
    assert!(
        mapping.contains("BatchSize: !If [DriverAggregationOn, 4, !Ref BatchReadSize]"),
        "{mapping}"
    );
    // AND a deploy that changes BatchReadSize without rendering again is refused by a rule
    assert!(
        stack.contains(
            r#"!Or [!Equals [!Ref DriverAggregation, "false"], !Equals [!Ref BatchReadSize, "4000"]]"#
        ),
        "the RenderedBatchSize rule is missing"
    );
    // AND the driver gets the setting
    assert!(stack.contains("DRIVER_AGGREGATION=${DriverAggregation}"));
    let parameters = fs::read_to_string(tmp.path().join("eu-west-1/parameters.json")).unwrap();
    assert!(
        parameters
            .contains("\"ParameterKey\": \"DriverAggregation\",\n    \"ParameterValue\": \"true\""),
        "{parameters}"
    );
}

#[test]
fn the_dashboard_shows_every_metric_the_writer_emits() {
    // GIVEN the shipped templates rendered for one region
    let tmp = tempfile::tempdir().unwrap();
    render_shipped_eu_west_1(tmp.path(), &[]).0.unwrap();
    let stack = fs::read_to_string(tmp.path().join("eu-west-1").join(TEMPLATE_FILE)).unwrap();
    let dashboard = &stack[stack.find("  Dashboard:").unwrap()..];

    // THEN every EMF metric of the writer is on a widget, in the writer's namespace and dimension
    for name in stream2neptune_writer::metrics::metric_names() {
        assert!(
            dashboard.contains(&format!(
                r#"[ "${{MetricsNamespace}}", "{name}", "ClusterId", "${{ClusterId}}""#
            )),
            "the dashboard has no widget for the writer's metric {name}"
        );
    }
}

/// Renders eu-west-1 from the shipped templates with `sets` and parses the stack.
fn shipped_stack(sets: &[&str]) -> serde_norway::Value {
    let tmp = tempfile::tempdir().unwrap();
    render_shipped_eu_west_1(tmp.path(), sets).0.unwrap();
    let text = fs::read_to_string(tmp.path().join("eu-west-1").join(TEMPLATE_FILE)).unwrap();
    serde_norway::from_str(&text).unwrap()
}

/// Whether the stack's rule `name` holds when its parameters take their defaults, with `overrides` (name, value) in
/// their place: CloudFormation evaluates each assertion of a rule on deploy; this follows the functions the
/// templates use in rules (`!Equals`, `!Not`, `!And`, `!Or`, `!Ref`).
fn rule_holds(stack: &serde_norway::Value, name: &str, overrides: &[(&str, &str)]) -> bool {
    fn parameter(stack: &serde_norway::Value, name: &str, overrides: &[(&str, &str)]) -> String {
        if let Some((_, value)) = overrides.iter().find(|(n, _)| *n == name) {
            return (*value).to_owned();
        }
        match &stack["Parameters"][name]["Default"] {
            serde_norway::Value::String(text) => text.clone(),
            serde_norway::Value::Null => panic!("the rule names {name}, which is no parameter"),
            other => yaml(other),
        }
    }
    fn value(stack: &serde_norway::Value, v: &serde_norway::Value, o: &[(&str, &str)]) -> String {
        match v {
            serde_norway::Value::Tagged(t) if t.tag == "Ref" => {
                parameter(stack, t.value.as_str().unwrap(), o)
            }
            serde_norway::Value::String(text) => text.clone(),
            other => yaml(other),
        }
    }
    fn holds(stack: &serde_norway::Value, v: &serde_norway::Value, o: &[(&str, &str)]) -> bool {
        let serde_norway::Value::Tagged(t) = v else {
            panic!("a rule condition is a function: {v:?}");
        };
        let args = t.value.as_sequence().unwrap();
        match t.tag.to_string().trim_start_matches('!') {
            "Equals" => value(stack, &args[0], o) == value(stack, &args[1], o),
            "Not" => !holds(stack, &args[0], o),
            "And" => args.iter().all(|a| holds(stack, a, o)),
            "Or" => args.iter().any(|a| holds(stack, a, o)),
            other => panic!("a rule function this test does not evaluate: {other}"),
        }
    }
    stack["Rules"][name]["Assertions"]
        .as_sequence()
        .unwrap_or_else(|| panic!("the stack has no rule {name}"))
        .iter()
        .all(|assertion| holds(stack, &assertion["Assert"], overrides))
}

#[test]
fn every_rule_holds_for_the_rendered_defaults_and_record_format_is_tied_to_mappings() {
    let example = stream2neptune_plan::config::StackConfig::load(
        &common::repo_root().join("examples/mappings/stack.yaml"),
    )
    .unwrap();
    let mappings = resolve(&example, "eu-west-1", &common::sets(&[]))
        .unwrap()
        .get(Name::Mappings)
        .value
        .to_string();
    let with_mappings = format!("Mappings={mappings}");
    for sets in [
        vec![],
        vec!["RecordFormat=mapping", with_mappings.as_str()],
        vec![
            "DbInstanceType=db.serverless",
            "AvailabilityZoneId1=euw1-az1",
            "AvailabilityZoneId2=euw1-az3",
        ],
        vec!["OnFailureDestination=sqs", "DriverAggregation=true"],
    ] {
        // GIVEN the stack rendered with `sets`
        let stack = shipped_stack(&sets);
        // THEN CloudFormation would take a deploy with the template's own defaults: every rule holds
        for (name, _) in stack["Rules"].as_mapping().unwrap() {
            let name = name.as_str().unwrap();
            assert!(rule_holds(&stack, name, &[]), "{sets:?}: rule {name}");
        }
        // AND refuses a deploy that sets RecordFormat without Mappings, or Mappings without RecordFormat=mapping
        for overrides in [
            [("RecordFormat", "mapping"), ("Mappings", "")],
            [("RecordFormat", "auto"), ("Mappings", mappings.as_str())],
        ] {
            assert!(
                !rule_holds(&stack, "RecordFormatNeedsMappings", &overrides),
                "{sets:?}: {overrides:?}"
            );
        }
    }
}

/// Follows `!Tag value` wrappers down to the value.
fn untagged(value: &serde_norway::Value) -> &serde_norway::Value {
    match value {
        serde_norway::Value::Tagged(tagged) => untagged(&tagged.value),
        other => other,
    }
}

/// A value as one line of YAML text (`!Ref X`, `!GetAtt A.B`, ...).
fn yaml(value: &serde_norway::Value) -> String {
    serde_norway::to_string(value).unwrap().trim().to_owned()
}

/// The logical names of the resources of `kind`.
fn resources_of(stack: &serde_norway::Value, kind: &str) -> Vec<String> {
    stack["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .map(|(name, _)| name.as_str().unwrap().to_owned())
        .collect()
}

/// The dashboard body (the template string of its `!Sub [body, vars]`) as JSON.
fn dashboard(stack: &serde_norway::Value) -> serde_json::Value {
    let sub = untagged(&stack["Resources"]["Dashboard"]["Properties"]["DashboardBody"]);
    serde_json::from_str(untagged(&sub[0]).as_str().unwrap()).unwrap()
}

/// The writer function's environment in the stack is the stack column of the writer's environment table
/// (function/environment/src/lib.rs): the variables it sets, in the table's order, a stack parameter's value by
/// `!Ref`, the others from the stack itself (the new cluster's endpoint, or the existing one's parameter), so a
/// row added to the table reaches the stack.
#[test]
fn the_writers_environment_in_the_stack_is_the_tables_stack_column() {
    let expected: Vec<&str> = VARIABLES
        .iter()
        .filter(|v| v.set().stack != Source::Unset)
        .map(Variable::name)
        .collect();
    assert!(expected.len() >= 10, "{expected:?}");
    for sets in [&[][..], common::EXISTING] {
        let stack = shipped_stack(sets);
        let variables =
            stack["Resources"]["WriterFunction"]["Properties"]["Environment"]["Variables"]
                .as_mapping()
                .unwrap();
        let names: Vec<&str> = variables.keys().map(|k| k.as_str().unwrap()).collect();
        assert_eq!(names, expected, "{sets:?}");
        for variable in VARIABLES {
            let name = variable.name();
            match variable.set().stack {
                Source::Parameter(parameter) => {
                    assert_eq!(
                        yaml(&variables[name]),
                        format!("!Ref {parameter}"),
                        "{name}"
                    );
                }
                // A reference into the stack (!Ref, !GetAtt, !Select ...), not a literal.
                Source::Deployment => {
                    assert!(
                        yaml(&variables[name]).starts_with('!'),
                        "{name}: {:?}",
                        variables[name]
                    );
                }
                Source::Unset => {}
            }
        }
    }
}

/// Every alarm action, as `yaml` prints it.
const ALARM_TOPIC: &str = "!If\n- CreateAlarmTopic\n- !Ref AlarmTopic\n- !Ref AlarmTopicArn";

#[test]
fn the_on_failure_destination_is_a_private_encrypted_bucket_by_default_or_the_queue() {
    // GIVEN the shipped templates with the default destination (s3)
    let stack = shipped_stack(&[]);
    let resources = &stack["Resources"];
    let mapping = &resources["WriterEventSourceMapping"]["Properties"];

    // THEN the mapping sends failed batches, with their payload, to the stack's bucket, and counts its events
    assert_eq!(
        yaml(&mapping["DestinationConfig"]["OnFailure"]["Destination"]),
        "!GetAtt OnFailureBucket.Arn"
    );
    assert_eq!(yaml(&mapping["MetricsConfig"]), "Metrics:\n- EventCount");
    assert!(resources.get("OnFailureQueue").is_none());
    // AND the bucket is encrypted with the stack key, private, owner-enforced, TLS-only, kept and expiring
    let bucket = &resources["OnFailureBucket"];
    assert_eq!(bucket["DeletionPolicy"].as_str(), Some("Retain"));
    assert_eq!(resources["Key"]["DeletionPolicy"].as_str(), Some("Retain"));
    let properties = &bucket["Properties"];
    let encryption = &properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0];
    assert_eq!(
        encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"].as_str(),
        Some("aws:kms")
    );
    assert_eq!(
        yaml(&encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]),
        "!GetAtt Key.Arn"
    );
    for block in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(
            properties["PublicAccessBlockConfiguration"][block].as_bool(),
            Some(true),
            "{block}"
        );
    }
    assert_eq!(
        properties["OwnershipControls"]["Rules"][0]["ObjectOwnership"].as_str(),
        Some("BucketOwnerEnforced")
    );
    let rule = &properties["LifecycleConfiguration"]["Rules"][0];
    assert_eq!(
        yaml(&rule["ExpirationInDays"]),
        "!Ref OnFailureRetentionDays"
    );
    let policy =
        &resources["OnFailureBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0];
    assert_eq!(policy["Effect"].as_str(), Some("Deny"));
    assert_eq!(
        policy["Condition"]["Bool"]["aws:SecureTransport"].as_str(),
        Some("false")
    );
    assert!(stack["Outputs"].get("OnFailureBucketName").is_some());
    assert!(stack["Outputs"].get("OnFailureQueueUrl").is_none());
    assert_eq!(
        stack["Parameters"]["OnFailureRetentionDays"]["Default"].as_i64(),
        Some(90)
    );

    // GIVEN the SQS destination THEN only the queue exists, the mapping sends it the ranges, and a
    // retention for a bucket that does not exist is neither declared nor rendered
    let stack = shipped_stack(&["OnFailureDestination=sqs"]);
    let resources = &stack["Resources"];
    assert_eq!(
        yaml(
            &resources["WriterEventSourceMapping"]["Properties"]["DestinationConfig"]["OnFailure"]
                ["Destination"]
        ),
        "!GetAtt OnFailureQueue.Arn"
    );
    assert!(resources.get("OnFailureBucket").is_none());
    assert!(resources.get("OnFailureBucketPolicy").is_none());
    assert!(stack["Parameters"].get("OnFailureRetentionDays").is_none());
    assert!(stack["Outputs"].get("OnFailureQueueUrl").is_some());
    assert!(stack["Outputs"].get("OnFailureBucketName").is_none());
    // AND the deploy refuses a destination other than the one rendered
    let assertions = &stack["Rules"]["RenderedStructure"]["Assertions"];
    assert!(
        assertions
            .as_sequence()
            .unwrap()
            .iter()
            .any(|a| yaml(&a["Assert"]) == "!Equals\n- !Ref OnFailureDestination\n- sqs"),
        "{assertions:?}"
    );
}

#[test]
fn every_alarm_notifies_the_topic_and_the_alarms_cover_the_pipeline() {
    for (sets, destination_alarms, capacity) in [
        (vec![], vec!["OnFailureDeliveredAlarm"], false),
        (
            vec![
                "OnFailureDestination=sqs",
                "DbInstanceType=db.serverless",
                "AlarmEmail=ops@example.com",
            ],
            vec!["OnFailureDeliveredAlarm", "OnFailureQueueAlarm"],
            true,
        ),
    ] {
        // GIVEN the stack rendered with these settings
        let stack = shipped_stack(&sets);
        let resources = &stack["Resources"];
        let alarms = resources_of(&stack, "AWS::CloudWatch::Alarm");

        // THEN every alarm tells the topic when it fires and when it clears
        for alarm in &alarms {
            let properties = &resources[alarm.as_str()]["Properties"];
            for actions in ["AlarmActions", "OKActions"] {
                assert_eq!(
                    properties[actions]
                        .as_sequence()
                        .unwrap_or_else(|| panic!("{alarm} has no {actions}"))
                        .iter()
                        .map(yaml)
                        .collect::<Vec<_>>(),
                    [ALARM_TOPIC],
                    "{alarm} {actions}"
                );
            }
        }
        // AND the alarms watch what the operations section names
        let watched: Vec<(String, String)> = alarms
            .iter()
            .filter_map(|alarm| {
                let properties = &resources[alarm.as_str()]["Properties"];
                properties["MetricName"]
                    .as_str()
                    .map(|metric| (yaml(&properties["Namespace"]), metric.to_owned()))
            })
            .collect();
        let has = |namespace: &str, metric: &str| {
            watched.iter().any(|(n, m)| n == namespace && m == metric)
        };
        for metric in ["IteratorAge", "Errors", "Throttles"] {
            assert!(has("AWS/Lambda", metric), "{sets:?}: {metric}");
        }
        for metric in [
            "OnFailureDestinationDeliveredEventCount",
            "DroppedEventCount",
        ] {
            assert!(has("AWS/Lambda", metric), "{sets:?}: {metric}");
        }
        assert!(has("AWS/Neptune", "CPUUtilization"));
        assert!(has("AWS/SQS", "ApproximateNumberOfMessagesVisible"));
        for alarm in destination_alarms {
            assert!(alarms.iter().any(|a| a == alarm), "{sets:?}: {alarm}");
        }
        assert_eq!(
            alarms.iter().any(|a| a == "OnFailureQueueAlarm"),
            sets.contains(&"OnFailureDestination=sqs")
        );
        assert_eq!(alarms.iter().any(|a| a == "NeptuneCapacityAlarm"), capacity);
        // AND the writer's own alarms read its EMF metrics as it emits them (namespace, ClusterId)
        let emitted: Vec<&str> = stream2neptune_writer::metrics::metric_names().collect();
        for (alarm, metric) in [
            ("WriterBatchesFailedAlarm", "BatchesFailed"),
            ("WriterRecordsRejectedAlarm", "RecordsRejected"),
        ] {
            let properties = &resources[alarm]["Properties"];
            assert!(emitted.contains(&metric), "the writer emits no {metric}");
            assert_eq!(properties["MetricName"].as_str(), Some(metric));
            assert_eq!(yaml(&properties["Namespace"]), "!Ref MetricsNamespace");
            assert_eq!(
                properties["Dimensions"][0]["Name"].as_str(),
                Some("ClusterId")
            );
        }
        // AND the stack's topic is encrypted, CloudWatch may use its key, and the address is subscribed
        assert_eq!(
            yaml(&resources["AlarmTopic"]["Properties"]["KmsMasterKeyId"]),
            "!Ref Key"
        );
        assert_eq!(
            resources["AlarmTopic"]["Condition"].as_str(),
            Some("CreateAlarmTopic")
        );
        let key_statements = resources["Key"]["Properties"]["KeyPolicy"]["Statement"]
            .as_sequence()
            .unwrap();
        assert!(key_statements.iter().any(|s| {
            s["Principal"]["Service"].as_str() == Some("cloudwatch.amazonaws.com")
                && yaml(&s["Action"]).contains("kms:GenerateDataKey")
                && yaml(&s["Action"]).contains("kms:Decrypt")
        }));
        let subscription = &resources["AlarmEmailSubscription"];
        assert_eq!(
            subscription["Condition"].as_str(),
            Some("SubscribeAlarmEmail")
        );
        assert_eq!(
            yaml(&subscription["Properties"]["Endpoint"]),
            "!Ref AlarmEmail"
        );
        assert_eq!(
            yaml(&stack["Outputs"]["AlarmTopicArn"]["Value"]),
            ALARM_TOPIC
        );

        // AND the dashboard's alarm widget lists every alarm, and each widget says what it shows
        let dashboard = dashboard(&stack);
        let widgets = dashboard["widgets"].as_array().unwrap();
        let listed: Vec<&str> = widgets
            .iter()
            .filter(|w| w["type"] == "alarm")
            .flat_map(|w| w["properties"]["alarms"].as_array().unwrap())
            .map(|a| a.as_str().unwrap())
            .collect();
        for alarm in &alarms {
            assert!(
                listed.contains(&format!("${{{alarm}.Arn}}").as_str()),
                "{alarm} is not on the dashboard"
            );
        }
        assert_eq!(listed.len(), alarms.len());
        for widget in widgets.iter().filter(|w| w["type"] != "text") {
            let title = widget["properties"]["title"].as_str().unwrap_or_default();
            assert!(title.len() > 10, "a widget without a title: {widget}");
        }
        // AND the event source mapping's metrics each have a line, by the mapping's UUID
        for metric in [
            "PolledEventCount",
            "FilteredOutEventCount",
            "InvokedEventCount",
            "FailedInvokeEventCount",
            "DroppedEventCount",
            "OnFailureDestinationDeliveredEventCount",
        ] {
            assert!(
                widgets
                    .iter()
                    .any(|w| w["properties"]["metrics"]
                        .as_array()
                        .is_some_and(|lines| lines.iter().any(|l| l[1] == metric
                            && l[2] == "EventSourceMappingUUID"
                            && l[3] == "${WriterEventSourceMapping}"))),
                "no widget shows {metric}"
            );
        }
    }
}

#[test]
fn with_an_alarm_topic_of_its_own_the_stack_creates_none() {
    // GIVEN a topic of the user's
    let topic = "arn:aws:sns:eu-west-1:123456789012:ops";
    let stack = shipped_stack(&[&format!("AlarmTopicArn={topic}")]);
    // THEN the topic resources are conditional on an empty AlarmTopicArn, whose default is now the topic,
    // and the deploy refuses an address beside it
    assert_eq!(
        stack["Parameters"]["AlarmTopicArn"]["Default"].as_str(),
        Some(topic)
    );
    assert_eq!(
        yaml(&stack["Conditions"]["CreateAlarmTopic"]),
        "!Equals\n- !Ref AlarmTopicArn\n- ''"
    );
    assert!(
        yaml(&stack["Rules"]["OneAlarmDestination"]["Assertions"][0]["Assert"])
            .contains("!Ref AlarmEmail")
    );
}

/// What the stack pins that AWS retires comes from the dated facts table, whose own test fails once a value is past
/// its end of life: the shipped templates name no platform or runtime of their own.
#[test]
fn the_notebook_platform_and_the_lambda_runtime_are_the_dated_tables() {
    use stream2neptune_plan::dated_facts::{LAMBDA_RUNTIME, NOTEBOOK_PLATFORM};
    let resolved = common::resolved("regions: {}", "eu-west-1", &[]);
    let rendered = render_region(&environment(&common::repo_root()), &resolved).unwrap();
    let stack: serde_norway::Value = serde_norway::from_str(&rendered.stack).unwrap();
    let resources = &stack["Resources"];
    assert_eq!(
        resources["Notebook"]["Properties"]["PlatformIdentifier"].as_str(),
        Some(NOTEBOOK_PLATFORM)
    );
    assert_eq!(
        resources["WriterFunction"]["Properties"]["Runtime"].as_str(),
        Some(LAMBDA_RUNTIME)
    );
}

#[test]
fn the_subnets_are_in_the_zones_given_by_az_id_and_each_neptune_instance_in_its_subnets_zone() {
    // GIVEN the shipped templates and no AZ IDs (a render without `deploy`, which picks them)
    let stack = shipped_stack(&[]);
    let resources = &stack["Resources"];
    // THEN both parameters default to empty, and then each subnet is in the region's first or second zone by name
    for name in ["AvailabilityZoneId1", "AvailabilityZoneId2"] {
        assert_eq!(stack["Parameters"][name]["Default"].as_str(), Some(""));
    }
    assert_eq!(
        yaml(&stack["Conditions"]["AvailabilityZonesGiven"]),
        "!Not\n- !Equals\n  - !Ref AvailabilityZoneId1\n  - ''"
    );
    for (subnet, index, zone) in [
        ("PrivateSubnet1", 0, 1),
        ("PrivateSubnet2", 1, 2),
        ("PublicSubnet", 0, 1),
    ] {
        let properties = &resources[subnet]["Properties"];
        assert_eq!(
            yaml(&properties["AvailabilityZoneId"]),
            format!(
                "!If\n- AvailabilityZonesGiven\n- !Ref AvailabilityZoneId{zone}\n- !Ref AWS::NoValue"
            ),
            "{subnet}"
        );
        assert_eq!(
            yaml(&properties["AvailabilityZone"]),
            format!(
                "!If\n- AvailabilityZonesGiven\n- !Ref AWS::NoValue\n- !Select\n  - {index}\n  - !GetAZs ''"
            ),
            "{subnet}"
        );
    }
    // AND the writer and the replica are each in their own subnet's zone, never one of a name list of their own
    for (instance, subnet) in [
        ("NeptuneWriterInstance", "PrivateSubnet1"),
        ("NeptuneReplicaInstance", "PrivateSubnet2"),
    ] {
        assert_eq!(
            yaml(&resources[instance]["Properties"]["AvailabilityZone"]),
            format!("!GetAtt {subnet}.AvailabilityZone"),
            "{instance}"
        );
    }
    // AND a stack given one AZ ID without the other, or the same twice, is refused by its rule
    let rule = yaml(&stack["Rules"]["AvailabilityZonePair"]["Assertions"][0]["Assert"]);
    assert!(
        rule.contains("- !Not\n    - !Equals\n      - !Ref AvailabilityZoneId1\n      - !Ref AvailabilityZoneId2"),
        "{rule}"
    );

    // GIVEN two AZ IDs (as `deploy` sets them)
    let tmp = tempfile::tempdir().unwrap();
    render_shipped_eu_west_1(
        tmp.path(),
        &[
            "AvailabilityZoneId1=euw1-az2",
            "AvailabilityZoneId2=euw1-az3",
        ],
    )
    .0
    .unwrap();
    let text = fs::read_to_string(tmp.path().join("eu-west-1").join(TEMPLATE_FILE)).unwrap();
    let stack: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    // THEN they are the parameters' defaults (the template deploys by itself to those zones) and the parameters file's
    assert_eq!(
        stack["Parameters"]["AvailabilityZoneId1"]["Default"].as_str(),
        Some("euw1-az2")
    );
    assert_eq!(
        stack["Parameters"]["AvailabilityZoneId2"]["Default"].as_str(),
        Some("euw1-az3")
    );
    let parameters: serde_json::Value = serde_json::from_slice(
        &fs::read(
            tmp.path()
                .join("eu-west-1")
                .join(stream2neptune::render::PARAMETERS_FILE),
        )
        .unwrap(),
    )
    .unwrap();
    for (key, value) in [
        ("AvailabilityZoneId1", "euw1-az2"),
        ("AvailabilityZoneId2", "euw1-az3"),
    ] {
        assert!(
            parameters
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["ParameterKey"] == key && p["ParameterValue"] == value),
            "{key}: {parameters}"
        );
    }
}

#[test]
fn with_an_existing_cluster_the_stack_declares_no_zones_and_uses_the_subnets_given() {
    // GIVEN an existing cluster, whose subnets the user gives
    let stack = shipped_stack(common::EXISTING);
    // THEN the stack has no AZ parameter, condition, rule or subnet of its own
    for name in ["AvailabilityZoneId1", "AvailabilityZoneId2"] {
        assert!(stack["Parameters"].get(name).is_none(), "{name}");
    }
    assert!(stack["Conditions"].get("AvailabilityZonesGiven").is_none());
    assert!(stack["Rules"].get("AvailabilityZonePair").is_none());
    assert!(resources_of(&stack, "AWS::EC2::Subnet").is_empty());
    // AND the notebook and the driver are in the first subnet given, the function in all of them
    let resources = &stack["Resources"];
    assert_eq!(
        yaml(&resources["Notebook"]["Properties"]["SubnetId"]),
        "!Select\n- 0\n- !Ref ExistingSubnetIds"
    );
    assert_eq!(
        yaml(&resources["WriterFunction"]["Properties"]["VpcConfig"]["SubnetIds"]),
        "!Ref ExistingSubnetIds"
    );
}
