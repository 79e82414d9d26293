//! One test per kind of bad input, asserting the whole message: key, value, origin, region and what is allowed.

mod common;

use std::path::Path;

use common::resolve_error;
use stream2neptune_plan::config::{StackConfig, parse_sets};

fn config_error(text: &str) -> String {
    StackConfig::parse(Path::new("stack.yaml"), text)
        .expect_err("config must be rejected")
        .to_string()
}

#[test]
fn unknown_key_in_a_region_suggests_the_nearest_name() {
    assert_eq!(
        config_error("regions: {eu-west-1: {ShardCont: 4}}"),
        "stack.yaml: unknown key `ShardCont` in regions.eu-west-1 (did you mean `ShardCount`?); the keys are the parameter names in the config reference, docs/configuration.md"
    );
}

#[test]
fn unknown_key_in_defaults_matches_case_insensitively() {
    assert_eq!(
        config_error("defaults: {batchreadsize: 10}"),
        "stack.yaml: unknown key `batchreadsize` in defaults (did you mean `BatchReadSize`?); the keys are the parameter names in the config reference, docs/configuration.md"
    );
}

#[test]
fn unknown_key_far_from_any_name_has_no_suggestion() {
    assert_eq!(
        config_error("defaults: {Colour: blue}"),
        "stack.yaml: unknown key `Colour` in defaults; the keys are the parameter names in the config reference, docs/configuration.md"
    );
}

#[test]
fn unknown_set_key_and_bad_set_syntax() {
    let err = parse_sets(&["BatchWritSize=10".to_owned(), "ShardCount".to_owned()]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "command line: 2 problems:\n  - unknown key `BatchWritSize` in --set (did you mean `BatchWriteSize`?); the keys are the parameter names in the config reference, docs/configuration.md\n  - --set `ShardCount` is not Key=Value (for example --set ShardCount=8)"
    );
}

#[test]
fn unknown_top_level_key_is_rejected() {
    let err = config_error("defaults: {}\nregion: {us-east-1: {}}");
    assert!(
        err.starts_with("config file stack.yaml is not valid: unknown field `region`, expected `defaults` or `regions`"),
        "{err}"
    );
    assert!(
        err.ends_with("; it must hold `defaults:` and `regions:` mappings"),
        "{err}"
    );
}

#[test]
fn unknown_region_in_the_config_and_on_the_command_line() {
    let err = config_error("regions: {us-east-7: {}}");
    assert!(
        err.starts_with("stack.yaml: unknown region `us-east-7` in regions (did you mean `us-east-1`?); known regions: af-south-1, "),
        "{err}"
    );
    let err = resolve_error("regions: {}", "eu-westt-1", &[]);
    assert!(
        err.starts_with("region eu-westt-1: unknown region `eu-westt-1` in --region (did you mean `eu-west-1`?); known regions: "),
        "{err}"
    );
    assert!(err.contains("us-gov-west-1"), "{err}");
}

#[test]
fn mapping_value_is_rejected() {
    assert_eq!(
        config_error("defaults: {ShardCount: {min: 1}}"),
        "stack.yaml: ShardCount in defaults must be a string, number or boolean, not a mapping"
    );
}

#[test]
fn unknown_instance_type_lists_what_the_region_offers() {
    let err = resolve_error(
        "regions: {eu-west-1: {DbInstanceType: db.r9z.large}}",
        "eu-west-1",
        &[],
    );
    assert!(
        err.starts_with("region eu-west-1: DbInstanceType = `db.r9z.large` (from region) is not a known instance type; eu-west-1 offers: db.r5.large, db.r5.xlarge, "),
        "{err}"
    );
    assert!(err.contains("db.t3.medium, db.t4g.medium, "), "{err}");
    assert!(err.ends_with(", db.serverless"), "{err}");
    let err = resolve_error(
        "regions: {eu-west-1: {}}",
        "eu-west-1",
        &["NotebookInstanceType=ml.p3.2xlarge"],
    );
    assert!(
        err.starts_with("region eu-west-1: NotebookInstanceType = `ml.p3.2xlarge` (from --set) is not a known instance type; eu-west-1 offers: ml.m5.xlarge, ml.m5.2xlarge, "),
        "{err}"
    );
    assert!(
        err.ends_with("ml.t3.medium, ml.t3.large, ml.t3.xlarge, ml.t3.2xlarge"),
        "{err}"
    );
}

#[test]
fn shard_count_out_of_range_names_the_kinesis_maximum() {
    assert_eq!(
        resolve_error("regions: {us-east-1: {ShardCount: 501}}", "us-east-1", &[]),
        "region us-east-1: ShardCount = `501` (from region) is out of range: allowed is a whole number from 1 to 500"
    );
    assert_eq!(
        resolve_error("defaults: {ShardCount: 0}", "us-east-1", &[]),
        "region us-east-1: ShardCount = `0` (from config defaults) is out of range: allowed is a whole number from 1 to 500"
    );
}

#[test]
fn non_numbers_and_fractions_are_not_whole_numbers() {
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &["FunctionMemorySize=lots"]),
        "region us-east-1: FunctionMemorySize = `lots` (from --set) is not a whole number: allowed is a whole number from 128 to 10240"
    );
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &["DriverPeriod=1.5"]),
        "region us-east-1: DriverPeriod = `1.5` (from --set) is not a whole number: allowed is a whole number from 1 to 1000"
    );
    assert_eq!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &["MaximumRecordAgeInSeconds=a day"]
        ),
        "region us-east-1: MaximumRecordAgeInSeconds = `a day` (from --set) is not a whole number: allowed is -1 (no limit) or a whole number from 60 to 604800"
    );
    // A number written as a float or with an exponent is not whole, in stack.yaml or in --set.
    for (config, shown) in [("1e3", "1000.0"), ("1000.0", "1000.0")] {
        assert_eq!(
            resolve_error(
                &format!("defaults: {{ShardCount: {config}}}"),
                "us-east-1",
                &[]
            ),
            format!(
                "region us-east-1: ShardCount = `{shown}` (from config defaults) is not a whole number: allowed is a whole number from 1 to 500"
            )
        );
    }
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &["ShardCount=1e3"]),
        "region us-east-1: ShardCount = `1e3` (from --set) is not a whole number: allowed is a whole number from 1 to 500"
    );
    // A whole number too big for any range is out of range, not "not whole".
    assert_eq!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &["ShardCount=99999999999999999999"]
        ),
        "region us-east-1: ShardCount = `99999999999999999999` (from --set) is out of range: allowed is a whole number from 1 to 500"
    );
    assert_eq!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &[
                "DbInstanceType=db.serverless",
                "DbServerlessMaxCapacity=lots"
            ]
        ),
        "region us-east-1: DbServerlessMaxCapacity = `lots` (from --set) is not a number: allowed is a number from 2.5 to 128 in steps of 0.5"
    );
}

#[test]
fn an_empty_value_says_it_is_empty() {
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &["ShardCount="]),
        "region us-east-1: ShardCount (from --set) is empty: allowed is a whole number from 1 to 500"
    );
    assert_eq!(
        resolve_error("regions: {us-east-1: {StreamMode: }}", "us-east-1", &[]),
        "region us-east-1: StreamMode (from region) is empty: allowed is one of PROVISIONED, ON_DEMAND"
    );
    assert_eq!(
        resolve_error("defaults: {IamAuth: ''}", "us-east-1", &[]),
        "region us-east-1: IamAuth (from config defaults) is empty: allowed is true or false"
    );
}

#[test]
fn a_duplicate_key_names_both_lines() {
    assert_eq!(
        config_error(
            "defaults:\n  ShardCount: 4\n  BatchReadSize: 100\n  ShardCount: 8\nregions: {}\n"
        ),
        "config file stack.yaml: `ShardCount` is written twice in the same mapping, at lines 2 and 4; keep one of them"
    );
    assert_eq!(
        config_error("regions:\n  eu-west-1:\n    ShardCount: 4\n  eu-west-1: {}\n"),
        "config file stack.yaml: `eu-west-1` is written twice in the same mapping, at lines 2 and 4; keep one of them"
    );
    assert_eq!(
        config_error("defaults: {ShardCount: 1, ShardCount: 2}\n"),
        "config file stack.yaml: `ShardCount` is written twice in the same mapping, on line 1; keep one of them"
    );
    // Every YAML spelling of a key is the key: escaped, explicit, and in a flow mapping over several lines.
    assert_eq!(
        config_error("defaults:\n  ShardCount: 4\n  \"Shard\\x43ount\": 8\nregions: {}\n"),
        "config file stack.yaml: `ShardCount` is written twice in the same mapping, at lines 2 and 3; keep one of them"
    );
    assert_eq!(
        config_error("defaults:\n  ? ShardCount\n  : 4\n  ShardCount: 8\nregions: {}\n"),
        "config file stack.yaml: `ShardCount` is written twice in the same mapping, at lines 2 and 4; keep one of them"
    );
    assert_eq!(
        config_error("defaults: {\n  ShardCount: 4,\n  ShardCount: 8\n}\nregions: {}\n"),
        "config file stack.yaml: `ShardCount` is written twice in the same mapping, at lines 2 and 3; keep one of them"
    );
    // The same key in two regions is no duplicate.
    common::config("regions:\n  eu-west-1:\n    ShardCount: 4\n  us-east-1:\n    ShardCount: 8\n");
}

#[test]
fn a_metrics_namespace_in_the_aws_space_is_refused() {
    assert_eq!(
        resolve_error(
            "defaults: {MetricsNamespace: AWS/Kinesis}",
            "eu-west-1",
            &[]
        ),
        "region eu-west-1: MetricsNamespace = `AWS/Kinesis` (from config defaults) starts with AWS/, which CloudWatch keeps for AWS services: choose another namespace, e.g. stream2neptune"
    );
    common::resolved("regions: {}", "eu-west-1", &["MetricsNamespace=team/AWS/x"]);
}

#[test]
fn an_invalid_s3_uri_says_which_part_is_wrong() {
    let fault = |value: &str| {
        let err = resolve_error(
            "regions: {}",
            "us-east-1",
            &[&format!("VertexFileS3Location={value}")],
        );
        let start = err
            .find("is not a valid S3 URI: ")
            .expect("an S3 URI error")
            + 23;
        let end = err.find("; expected ").expect("what is expected");
        err[start..end].to_owned()
    };
    assert_eq!(
        fault("https://b/x/"),
        "the scheme is `https://`, it must be s3://"
    );
    assert_eq!(fault("my-bucket/x/"), "it does not start with s3://");
    assert_eq!(
        fault("s3:///x/"),
        "the bucket name is missing (s3://BUCKET/...)"
    );
    assert_eq!(
        fault("s3://ab/x/"),
        "the bucket name `ab` has 2 characters, S3 allows 3 to 63"
    );
    assert_eq!(
        fault("s3://My_Bucket/x/"),
        "the bucket name `My_Bucket` may hold only lowercase letters, digits, dots and hyphens"
    );
    assert_eq!(
        fault("s3://-bucket/x/"),
        "the bucket name `-bucket` must start and end with a letter or digit"
    );
    assert_eq!(
        fault("s3://my-bucket/a b/"),
        "the key `a b/` holds ` `; keys may hold A-Z a-z 0-9 ! _ . * ' ( ) / -"
    );
}

#[test]
fn several_unknown_regions_list_the_known_regions_once() {
    let err = config_error("regions: {us-east-7: {}, eu-west-9: {}}");
    assert_eq!(err.matches("known regions:").count(), 1, "{err}");
    assert_eq!(err.matches("us-gov-west-1").count(), 1, "{err}");
    assert!(
        err.starts_with("stack.yaml: 2 problems:\n  - unknown region `eu-west-9` in regions (did you mean `eu-west-1`?)\n  - unknown region `us-east-7` in regions (did you mean `us-east-1`?)\nknown regions: af-south-1, "),
        "{err}"
    );
}

#[test]
fn a_cause_already_in_the_message_is_not_repeated() {
    #[derive(Debug, thiserror::Error)]
    #[error("cannot read x: {source}")]
    struct Quoting {
        source: std::io::Error,
    }
    let err = anyhow::Error::from(Quoting {
        source: std::io::Error::other("disk on fire"),
    })
    .context("loading the config");
    assert_eq!(
        stream2neptune::error_text(&err),
        "loading the config: cannot read x: disk on fire"
    );
}

#[test]
fn record_age_accepts_minus_one_or_sixty_and_up() {
    assert_eq!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &["MaximumRecordAgeInSeconds=30"]
        ),
        "region us-east-1: MaximumRecordAgeInSeconds = `30` (from --set) is out of range: allowed is -1 (no limit) or a whole number from 60 to 604800"
    );
    common::resolved(
        "regions: {}",
        "us-east-1",
        &["MaximumRecordAgeInSeconds=-1"],
    );
}

#[test]
fn function_timeout_must_leave_the_writer_time_for_one_write_attempt() {
    assert_eq!(
        resolve_error(
            "regions: {us-east-1: {FunctionTimeout: 31}}",
            "us-east-1",
            &[]
        ),
        "region us-east-1: FunctionTimeout = 31 (from region) leaves no time to write: the writer keeps its deadline margin of 1000 ms (DEADLINE_MARGIN_MS) to answer Lambda, and one write attempt may take 30000 ms (REQUEST_TIMEOUT_MS); set FunctionTimeout to at least 32 seconds"
    );
    assert!(
        resolve_error("regions: {}", "us-east-1", &["FunctionTimeout=1"])
            .contains("FunctionTimeout = 1 (from --set) leaves no time to write")
    );
    common::resolved("regions: {}", "us-east-1", &["FunctionTimeout=32"]);
}

#[test]
fn serverless_capacity_must_be_a_half_step() {
    assert_eq!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &[
                "DbInstanceType=db.serverless",
                "DbServerlessMaxCapacity=10.25"
            ]
        ),
        "region us-east-1: DbServerlessMaxCapacity = `10.25` (from --set) is out of range: allowed is a number from 2.5 to 128 in steps of 0.5"
    );
}

#[test]
fn serverless_max_capacity_has_neptunes_floor() {
    assert_eq!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &["DbInstanceType=db.serverless", "DbServerlessMaxCapacity=2"]
        ),
        "region us-east-1: DbServerlessMaxCapacity = `2` (from --set) is out of range: allowed is a number from 2.5 to 128 in steps of 0.5"
    );
}

#[test]
fn batch_write_size_above_batch_read_size() {
    assert_eq!(
        resolve_error(
            "defaults: {BatchReadSize: 200}\nregions: {eu-west-1: {BatchWriteSize: 300}}",
            "eu-west-1",
            &[]
        ),
        "region eu-west-1: BatchWriteSize = 300 (from region) is above BatchReadSize = 200 (from config defaults): a write batch is cut from one read batch, so BatchWriteSize must be at most BatchReadSize"
    );
}

#[test]
fn serverless_min_above_max() {
    assert_eq!(
        resolve_error(
            "regions: {us-east-1: {DbInstanceType: db.serverless, DbServerlessMinCapacity: 8}}",
            "us-east-1",
            &["DbServerlessMaxCapacity=4"]
        ),
        "region us-east-1: DbServerlessMinCapacity = 8 (from region) is above DbServerlessMaxCapacity = 4 (from --set): the minimum must be at most the maximum"
    );
}

#[test]
fn the_subnets_az_ids_are_both_given_and_different_or_neither() {
    let pair = "set both, to two different AZ IDs (the writer and the replica each get one), or neither (`deploy` then picks two that offer the stack's instance classes)";
    assert_eq!(
        resolve_error(
            "regions: {eu-west-1: {AvailabilityZoneId1: euw1-az3}}",
            "eu-west-1",
            &[]
        ),
        format!(
            "region eu-west-1: AvailabilityZoneId1 = `euw1-az3` (from region) and AvailabilityZoneId2 = `` (from built-in default): {pair}"
        )
    );
    assert_eq!(
        resolve_error(
            "regions: {}",
            "eu-west-1",
            &[
                "AvailabilityZoneId1=euw1-az2",
                "AvailabilityZoneId2=euw1-az2"
            ]
        ),
        format!(
            "region eu-west-1: AvailabilityZoneId1 = `euw1-az2` (from --set) and AvailabilityZoneId2 = `euw1-az2` (from --set): {pair}"
        )
    );
    // A name is not an ID: it maps to a different zone in each account.
    let named = resolve_error(
        "regions: {}",
        "eu-west-1",
        &[
            "AvailabilityZoneId1=eu-west-1a",
            "AvailabilityZoneId2=euw1-az2",
        ],
    );
    assert!(
        named.contains("AvailabilityZoneId1 = `eu-west-1a` (from --set)")
            && named.contains("an AZ ID such as use1-az4"),
        "{named}"
    );
}

#[test]
fn edge_file_must_be_an_s3_uri_ending_in_follows_csv_gz() {
    assert_eq!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &["EdgeFileS3Location=s3://my-bucket/data/edges.csv"]
        ),
        "region us-east-1: EdgeFileS3Location = `s3://my-bucket/data/edges.csv` (from --set) is not a valid S3 URI: the key `data/edges.csv` does not end in follows.csv.gz; expected empty (= s3://<ArtifactBucket>/data/follows.csv.gz) or s3://bucket/key ending in follows.csv.gz"
    );
    assert_eq!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &["VertexFileS3Location=https://my-bucket/vertices/"]
        ),
        "region us-east-1: VertexFileS3Location = `https://my-bucket/vertices/` (from --set) is not a valid S3 URI: the scheme is `https://`, it must be s3://; expected empty (= s3://<ArtifactBucket>/data/vertices/) or s3://bucket/prefix"
    );
    common::resolved(
        "regions: {}",
        "us-east-1",
        &["EdgeFileS3Location=s3://my-bucket/data/follows.csv.gz"],
    );
    common::resolved(
        "regions: {}",
        "us-east-1",
        &["VertexFileS3Location=s3://my-bucket/data/vertices/"],
    );
}

#[test]
fn missing_existing_cluster_settings_are_each_named() {
    let err = resolve_error(
        "regions: {}",
        "eu-west-1",
        &[
            "UseExistingCluster=true",
            "ExistingClusterEndpoint=db.example.com",
        ],
    );
    assert_eq!(
        err,
        "region eu-west-1: 5 problems:\n  \
         - ExistingClusterReaderEndpoint is required when UseExistingCluster is true: set it to a host name such as my-cluster.cluster-ro-abc123.us-east-1.neptune.amazonaws.com\n  \
         - ExistingClusterResourceId is required when UseExistingCluster is true: set it to a cluster resource id such as cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ\n  \
         - ExistingVpcId is required when UseExistingCluster is true: set it to a VPC id such as vpc-0123456789abcdef0\n  \
         - ExistingSubnetIds is required when UseExistingCluster is true: set it to a comma-separated list of at least 2 subnet ids (subnet-0123abcd...)\n  \
         - ExistingSecurityGroupId is required when UseExistingCluster is true: set it to a security group id such as sg-0123456789abcdef0"
    );
}

#[test]
fn malformed_existing_cluster_settings() {
    let mut args = common::EXISTING.to_vec();
    args.push("ExistingSubnetIds=subnet-0123456789abcdef0");
    args.push("ExistingClusterResourceId=cluster-abc");
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &args),
        "region us-east-1: 2 problems:\n  \
         - ExistingClusterResourceId = `cluster-abc` (from --set) is malformed: expected a cluster resource id such as cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ\n  \
         - ExistingSubnetIds = `subnet-0123456789abcdef0` (from --set) is malformed: expected a comma-separated list of at least 2 subnet ids (subnet-0123abcd...)"
    );
}

#[test]
fn bad_bool() {
    assert_eq!(
        resolve_error(
            "regions: {us-east-1: {ConditionalCreate: yes please}}",
            "us-east-1",
            &[]
        ),
        "region us-east-1: ConditionalCreate = `yes please` (from region) is not a boolean: allowed is true or false"
    );
}

#[test]
fn bad_enum() {
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &["StreamMode=on-demand"]),
        "region us-east-1: StreamMode = `on-demand` (from --set) is not allowed: allowed is one of PROVISIONED, ON_DEMAND"
    );
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &["LogRetentionDays=31"]),
        "region us-east-1: LogRetentionDays = `31` (from --set) is not allowed: allowed is one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"
    );
}

#[test]
fn malformed_text_values() {
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &["ArtifactBucket=My_Bucket"]),
        "region us-east-1: ArtifactBucket = `My_Bucket` (from --set) is malformed: expected empty (= stream2neptune-artifacts-<account>-<region>) or an S3 bucket name: 3 to 63 characters from a-z 0-9 . -"
    );
    assert_eq!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &["NotebooksKeyPrefix=notebooks"]
        ),
        "region us-east-1: NotebooksKeyPrefix = `notebooks` (from --set) is malformed: expected an S3 key prefix ending in / without a leading /"
    );
}

#[test]
fn every_problem_of_a_region_is_reported_at_once() {
    let err = resolve_error(
        "regions: {us-east-1: {ShardCount: 900, IamAuth: maybe}}",
        "us-east-1",
        &["BatchWriteSize=5000"],
    );
    assert_eq!(
        err,
        "region us-east-1: 3 problems:\n  \
         - ShardCount = `900` (from region) is out of range: allowed is a whole number from 1 to 500\n  \
         - IamAuth = `maybe` (from region) is not a boolean: allowed is true or false\n  \
         - BatchWriteSize = 5000 (from --set) is above BatchReadSize = 1000 (from built-in default): a write batch is cut from one read batch, so BatchWriteSize must be at most BatchReadSize"
    );
}

/// Runs the binary in the repository root without AWS or Neptune settings from the environment.
fn run(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_stream2neptune"))
        .args(args)
        .current_dir(common::repo_root())
        .env_remove("NEPTUNE_ENDPOINT")
        .env_remove("VERTEX_FILE_S3_LOCATION")
        .env_remove("LOADER_ROLE_ARN")
        .env_remove("AWS_REGION")
        .env("AWS_ACCESS_KEY_ID", "none")
        .env("AWS_SECRET_ACCESS_KEY", "none")
        .output()
        .expect("run stream2neptune")
}

fn stderr_of(output: &std::process::Output) -> String {
    assert!(!output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_missing_templates_folder_names_the_path_looked_in() {
    let out = tempfile::tempdir().unwrap();
    let stderr = stderr_of(&run(&[
        "render",
        "--region",
        "eu-west-1",
        "--templates-dir",
        "/nonexistent/s2n",
        "--out",
        out.path().to_str().unwrap(),
    ]));
    assert_eq!(
        stderr,
        "error: no template at /nonexistent/s2n/templates/stack.yaml.j2: the templates are read from /nonexistent/s2n/templates/ and /nonexistent/s2n/dashboards/ (the config file's folder unless --templates-dir DIR is given); pass --templates-dir with the folder that holds them\n"
    );
}

#[test]
fn demo_with_no_edges_names_the_edges_flag() {
    let stderr = stderr_of(&run(&["demo", "--edges", "0"]));
    assert!(
        stderr.starts_with("error: invalid value '0' for '--edges <EDGES>': 0 is not in 1.."),
        "{stderr}"
    );
}

#[test]
fn demo_ops_belong_to_the_mixed_workload_and_count_one_at_least() {
    let stderr = stderr_of(&run(&["demo", "--workload", "mixed", "--ops", "0"]));
    assert!(
        stderr.starts_with("error: invalid value '0' for '--ops <OPS>': 0 is not in 1.."),
        "{stderr}"
    );
    // --ops without --workload mixed: refused before any service starts, saying what to write instead
    let stderr = stderr_of(&run(&["demo", "--ops", "300"]));
    assert_eq!(
        stderr,
        "error: --ops 300 counts the graph operations of the mixed workload: add --workload mixed (make demo WORKLOAD=mixed OPS=300), or give the follows workload its size with --edges\n"
    );
}

#[test]
fn render_and_demo_refuse_a_bad_mapping_before_anything_starts() {
    let bad = r#"Mappings=[{"name":"users","pattern":"(:User{!id}"}]"#;
    let message = "error: region eu-west-1: Mappings (from --set) is refused: mapping `users`: pattern column 12: found the end of the pattern, expected `)` closing the vertex\n";
    let out = tempfile::tempdir().unwrap();
    let render = [
        "render",
        "--config",
        "examples/mappings/stack.yaml",
        "--templates-dir",
        ".",
        "--set",
        bad,
        "--out",
        out.path().to_str().unwrap(),
    ];
    assert_eq!(stderr_of(&run(&render)), message);
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    let demo = [
        "demo",
        "--config",
        "examples/mappings/stack.yaml",
        "--region",
        "eu-west-1",
        "--set",
        bad,
    ];
    assert_eq!(stderr_of(&run(&demo)), message);
}

#[test]
fn tags_are_checked_before_any_build_or_upload() {
    let out = tempfile::tempdir().unwrap();
    let long_key = "k".repeat(129);
    let long_value = format!("v={}", "x".repeat(257));
    let long_key_tag = format!("{long_key}=1");
    let output = run(&[
        "deploy",
        "--dry-run",
        "--region",
        "eu-west-1",
        "--out",
        out.path().to_str().unwrap(),
        "--tag",
        "team",
        "--tag",
        "aws:owner=me",
        "--tag",
        "env=a",
        "--tag",
        "env=b",
        "--tag",
        &long_key_tag,
        "--tag",
        &long_value,
        "--tag",
        "=x",
    ]);
    let stderr = stderr_of(&output);
    assert_eq!(
        stderr,
        format!(
            "error: --tag: 6 problems:\n  - `team` is not KEY=VALUE (for example --tag team=graph)\n  - the key `aws:owner` starts with aws:, which AWS keeps for its own tags\n  - the key `env` is given twice; give each key once\n  - the key of `{long_key_tag}` has 129 characters; CloudFormation allows at most 128\n  - the value of `v` has 257 characters; CloudFormation allows at most 256\n  - `=x` has an empty key\n"
        )
    );
    assert!(output.stdout.is_empty(), "AWS commands were printed");
    assert!(!out.path().join("artifacts").exists(), "packaging ran");
    // More than 50 tags with the project tag
    let many: Vec<String> = (0..50).map(|i| format!("k{i}=v")).collect();
    let mut args = vec!["deploy", "--dry-run", "--region", "eu-west-1"];
    for tag in &many {
        args.extend(["--tag", tag.as_str()]);
    }
    assert_eq!(
        stderr_of(&run(&args)),
        "error: --tag: 51 tags with project=stream2neptune; CloudFormation allows at most 50 on a stack\n"
    );
}

#[test]
fn load_without_an_endpoint_names_what_to_set() {
    assert_eq!(
        stderr_of(&run(&["load"])),
        "error: a Neptune bulk load needs --endpoint (or the NEPTUNE_ENDPOINT environment variable): the cluster's endpoint, the stack's ClusterEndpoint output; or load a local SPARQL store with --local URL --people DIR\n"
    );
}

#[test]
fn drive_against_an_unreachable_endpoint_says_so_at_once() {
    // GIVEN a small data set and a loopback port nobody listens on
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let made = run(&[
        "dataset",
        "--people",
        "100",
        "--follows",
        "300",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert!(made.status.success(), "{made:?}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // WHEN the edges are driven there (the listener above is closed: the connection is refused)
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stream2neptune"))
        .args([
            "drive",
            "--stream",
            "s2n",
            "--region",
            "eu-west-1",
            "--no-progress",
        ])
        .arg("--edges")
        .arg(data.join("follows.csv.gz"))
        .arg("--endpoint-url")
        .arg(format!("http://127.0.0.1:{port}"))
        .env("AWS_ACCESS_KEY_ID", "none")
        .env("AWS_SECRET_ACCESS_KEY", "none")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // THEN it stops on its own, well before the 300 s retry deadline, saying the endpoint cannot be reached
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("drive kept retrying an unreachable endpoint for 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let stderr = stderr_of(&child.wait_with_output().unwrap());
    assert!(
        stderr.contains("cannot reach the Kinesis endpoint (")
            && stderr.contains("Connection refused")
            && stderr.contains("a refused connection is not a throttle"),
        "{stderr}"
    );
    assert!(!stderr.contains("throttled"), "{stderr}");
}

#[test]
fn alarm_settings_name_the_field_and_value_when_wrong() {
    // An e-mail address without a domain, and a topic ARN of another service
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &["AlarmEmail=ops-team"]),
        "region us-east-1: AlarmEmail = `ops-team` (from --set) is malformed: expected empty (no e-mail) or an e-mail address such as ops@example.com"
    );
    assert_eq!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &["AlarmTopicArn=arn:aws:sqs:us-east-1:123456789012:alerts"]
        ),
        "region us-east-1: AlarmTopicArn = `arn:aws:sqs:us-east-1:123456789012:alerts` (from --set) is malformed: expected empty (the stack creates its own topic) or the ARN of a standard SNS topic in the stack's region, such as arn:aws:sns:us-east-1:123456789012:alerts"
    );
    // A FIFO topic (alarms cannot publish to one)
    assert!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &["AlarmTopicArn=arn:aws:sns:us-east-1:123456789012:alerts.fifo"]
        )
        .contains("AlarmTopicArn = `arn:aws:sns:us-east-1:123456789012:alerts.fifo` (from --set) is malformed")
    );
    // A topic of another region, and an address beside a topic
    assert_eq!(
        resolve_error(
            "regions: {}",
            "eu-west-1",
            &["AlarmTopicArn=arn:aws:sns:us-east-1:123456789012:alerts"]
        ),
        "region eu-west-1: AlarmTopicArn = `arn:aws:sns:us-east-1:123456789012:alerts` (from --set) is not a topic of eu-west-1: CloudWatch alarms publish only to an SNS topic in their own region; give a topic ARN of the form arn:aws:sns:eu-west-1:<account>:<name>, or leave AlarmTopicArn empty for the stack's own topic"
    );
    assert_eq!(
        resolve_error(
            "defaults: {AlarmEmail: ops@example.com}",
            "us-east-1",
            &["AlarmTopicArn=arn:aws:sns:us-east-1:123456789012:alerts"]
        ),
        "region us-east-1: AlarmEmail = `ops@example.com` (from config defaults) is set together with AlarmTopicArn = `arn:aws:sns:us-east-1:123456789012:alerts` (from --set): the stack subscribes an e-mail address to its own topic only; subscribe the address to your topic yourself and leave AlarmEmail empty, or leave AlarmTopicArn empty"
    );
    // Each alone, in its region and partition, is accepted
    let plan = common::resolved("regions: {}", "us-east-1", &["AlarmEmail=ops@example.com"]);
    assert_eq!(plan.alarm_email(), Some("ops@example.com"));
    assert_eq!(plan.alarm_topic_arn(), None);
    let plan = common::resolved(
        "regions: {}",
        "cn-north-1",
        &["AlarmTopicArn=arn:aws-cn:sns:cn-north-1:123456789012:alerts"],
    );
    assert_eq!(
        plan.alarm_topic_arn(),
        Some("arn:aws-cn:sns:cn-north-1:123456789012:alerts")
    );
}

#[test]
fn on_failure_settings_name_the_field_and_value_when_wrong() {
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &["OnFailureDestination=sns"]),
        "region us-east-1: OnFailureDestination = `sns` (from --set) is not allowed: allowed is one of s3, sqs"
    );
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &["OnFailureRetentionDays=0"]),
        "region us-east-1: OnFailureRetentionDays = `0` (from --set) is out of range: allowed is a whole number from 1 to 3650"
    );
}

#[test]
fn a_config_starting_with_a_byte_order_mark_is_read() {
    let config = common::config("\u{feff}defaults:\n  ShardCount: 4\nregions:\n  eu-west-1: {}\n");
    assert_eq!(config.regions.len(), 1);
}

#[test]
fn a_config_path_that_is_no_file_or_too_large_is_refused_before_reading_it_all() {
    let error = |path: &Path| StackConfig::load(path).expect_err("refused").to_string();
    assert_eq!(
        error(Path::new("/dev/zero")),
        "config file /dev/zero is not a regular file; pass --config PATH with a stack.yaml file"
    );
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        error(dir.path()),
        format!(
            "config file {} is not a regular file; pass --config PATH with a stack.yaml file",
            dir.path().display()
        )
    );
    let large = dir.path().join("stack.yaml");
    let comment = format!("# {}\n", "x".repeat(1022));
    std::fs::write(&large, comment.repeat(1025)).unwrap();
    assert_eq!(
        error(&large),
        format!(
            "config file {} is larger than 1048576 bytes, too large for a stack.yaml; pass --config PATH with the right file",
            large.display()
        )
    );
}

#[test]
fn a_bad_mapping_is_refused_naming_the_mapping_and_the_column_of_its_pattern() {
    assert_eq!(
        resolve_error(
            "defaults:\n  RecordFormat: mapping\n  Mappings:\n    - name: users\n      pattern: \"(:User{!id: userId name})\"\n",
            "eu-west-1",
            &[]
        ),
        "region eu-west-1: Mappings (from config defaults) is refused: mapping `users`: pattern column 20: found `n`, expected `,` and another selector, or `}`"
    );
    assert_eq!(
        resolve_error(
            "defaults: {RecordFormat: mapping}",
            "eu-west-1",
            &[r#"Mappings=[{"name":"u","pattern":"(:U{!id})","ids":"hashed"}]"#]
        ),
        "region eu-west-1: Mappings (from --set) is refused: mapping `u`: `ids` = \"hashed\" is not allowed; labelled (a vertex id is `Label:key`, the default) or raw (the key's value as is)"
    );
}

#[test]
fn record_format_and_mappings_go_together() {
    assert_eq!(
        resolve_error(
            "regions: {eu-west-1: {RecordFormat: mapping}}",
            "eu-west-1",
            &[]
        ),
        "region eu-west-1: RecordFormat = mapping (from region) needs Mappings, the patterns that turn events into vertices and edges (docs/writer.md, Mappings); add them under `Mappings:` or set RecordFormat to auto"
    );
    assert_eq!(
        resolve_error(
            "defaults:\n  Mappings:\n    - {name: u, pattern: \"(:U{!id})\"}\n",
            "eu-west-1",
            &[]
        ),
        "region eu-west-1: Mappings (from config defaults) are set but RecordFormat is auto (from built-in default), so the writer would not use them; set RecordFormat to mapping, or remove Mappings"
    );
}

#[test]
fn mappings_beyond_lambdas_environment_limit_are_refused() {
    let properties: Vec<String> = (0..400).map(|i| format!("property{i}")).collect();
    let config = format!(
        "defaults:\n  RecordFormat: mapping\n  Mappings:\n    - name: wide\n      pattern: \"(:Wide{{!id, {}}})\"\n",
        properties.join(", ")
    );
    let message = resolve_error(&config, "eu-west-1", &[]);
    assert!(
        message.starts_with("region eu-west-1: the writer's environment would take about ")
            && message.contains("above Lambda's limit of 4096 bytes for all its variables together; Mappings take 5132 of them")
            && message.ends_with("shorten the patterns (fewer or shorter names, `*` instead of a long list) or split the events over two stacks"),
        "{message}"
    );
}
