//! The real rendered stack in moto's CloudFormation server, created the way `deploy` creates it (`aws cloudformation
//! deploy` with the template in the artifact bucket): the existing-cluster variant (with the SQS on-failure
//! destination and an alarm e-mail) exactly as rendered, and the full stack (the default S3 destination) with its
//! `AWS::Neptune::*` resources replaced by literal attributes, because moto has no Neptune. Both must reach
//! CREATE_COMPLETE with every output resolved, and what moto built is read back: the on-failure bucket's encryption
//! and the alarm topic's key.
//!
//! Where moto falls short, [`MOTO_GAPS`] names the gap and what the test does about it; the template itself is
//! never changed to suit moto.

mod common;
mod deploy_support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::Path;

use deploy_support::{Moto, describe};
use regex::Regex;
use serde_norway::Value;

const REGION: &str = "us-east-1";
/// moto's account id.
const BUCKET: &str = "stream2neptune-artifacts-123456789012-us-east-1";

/// What moto's CloudFormation cannot do with this stack, and how the test works around it.
const MOTO_GAPS: &[&str] = &[
    "moto's CloudFormation implements no AWS::Neptune::* type, no AWS::CloudWatch::Alarm, no \
     AWS::EC2::SecurityGroupEgress, no AWS::S3::BucketPolicy and no AWS::SNS::Subscription (checked against moto's own \
     type table by the test): those resources are taken out and every reference to them becomes a literal attribute \
     (the cluster's endpoint, reader endpoint, port, id and resource id; an alarm's ARN); so the on-failure bucket's \
     TLS-only policy and the alarm topic's e-mail subscription are checked as rendered only (tests/render.rs), and \
     here the bucket's own settings and the topic itself",
    "moto's YAML loader keeps a short-form tag over a mapping (`!Base64` over `Fn::Sub: [...]`, the lifecycle script \
     and the user data) as raw YAML nodes and fails with a 500 (AttributeError: 'list' object has no attribute \
     'encode'): moto is given the same template as JSON, every short-form tag written in its long form",
    "moto creates an AWS::EC2::Instance only from an ImageId of its own (KeyError 'ImageId' with a LaunchTemplate) \
     and resolves no {{resolve:ssm:...}} reference: the driver instance is given the AMI id moto's SSM holds under \
     the launch template's parameter name",
    "moto's ExecuteChangeSet of a CREATE change set (the path of `aws cloudformation deploy`) never builds the stack's \
     outputs, so describe-stacks shows none: the stack is created with CreateStack from the template in the artifact \
     bucket (the deploy command's change-set path is tested in tests/deploy_moto.rs)",
    "moto's CloudFormation builds an AWS::S3::Bucket from its BucketEncryption and Tags only: the on-failure bucket's \
     public access block, ownership, versioning and lifecycle rule are not applied (moto answers \
     NoSuchPublicAccessBlockConfiguration), so the test reads back its encryption and those are checked as rendered \
     (tests/render.rs) and by checkov",
];

/// Literal attributes standing in for the Neptune cluster in the full stack.
const CLUSTER_ID: &str = "s2n-moto-graph";
const CLUSTER_ENDPOINT: &str =
    "s2n-moto-graph.cluster-c1a2b3c4d5e6.us-east-1.neptune.amazonaws.com";
const READER_ENDPOINT: &str =
    "s2n-moto-graph.cluster-ro-c1a2b3c4d5e6.us-east-1.neptune.amazonaws.com";
const CLUSTER_RESOURCE_ID: &str = "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn render(sets: &[&str]) -> String {
    let resolved = common::resolved("regions: {}", REGION, sets);
    let env = stream2neptune::render::environment(&common::repo_root());
    stream2neptune::render::render_region(&env, &resolved)
        .expect("renders")
        .stack
}

/// The resource types of the template moto's CloudFormation cannot create, asked of moto itself.
fn types_moto_lacks(template: &Value) -> BTreeSet<String> {
    let types: BTreeSet<String> = template["Resources"]
        .as_mapping()
        .expect("resources")
        .values()
        .map(|r| r["Type"].as_str().expect("type").to_owned())
        .collect();
    let script = "import sys\nfrom moto.cloudformation.parsing import resource_class_from_type\n\
                  print('\\n'.join(t for t in sys.argv[1:] if not resource_class_from_type(t)))";
    let output = std::process::Command::new(stream2neptune_testkit::tool("python"))
        .arg("-c")
        .arg(script)
        .args(&types)
        .output()
        .expect("run the venv's python");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The literal standing for `Ref name` (`attribute` None) or `GetAtt name.attribute` of a resource moto lacks.
fn literal(name: &str, kind: &str, attribute: Option<&str>) -> String {
    match (kind, name, attribute) {
        (_, "NeptuneCluster", None) => CLUSTER_ID.to_owned(),
        (_, "NeptuneCluster", Some("Endpoint")) => CLUSTER_ENDPOINT.to_owned(),
        (_, "NeptuneCluster", Some("ReadEndpoint")) => READER_ENDPOINT.to_owned(),
        (_, "NeptuneCluster", Some("Port")) => "8182".to_owned(),
        (_, "NeptuneCluster", Some("ClusterResourceId")) => CLUSTER_RESOURCE_ID.to_owned(),
        ("AWS::CloudWatch::Alarm", alarm, Some("Arn")) => {
            format!("arn:aws:cloudwatch:{REGION}:123456789012:alarm:{alarm}")
        }
        ("AWS::CloudWatch::Alarm", alarm, None) => alarm.to_owned(),
        (kind, name, attribute) => panic!(
            "the template uses {name}{} ({kind}), which moto cannot create: give it a literal in tests/stack_moto.rs",
            attribute.map(|a| format!(".{a}")).unwrap_or_default()
        ),
    }
}

/// Replaces every `!Ref`/`!GetAtt` of a removed resource, and `${Name}`/`${Name.Attribute}` inside `!Sub`
/// strings, by its literal.
fn replace_references(value: &mut Value, removed: &BTreeMap<String, String>) {
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let target = tagged.value.as_str().map(str::to_owned);
            let split = target.as_deref().and_then(|t| t.split_once('.'));
            match (tag.as_str(), &target, split) {
                ("!Ref", Some(name), _) if removed.contains_key(name) => {
                    *value = Value::String(literal(name, &removed[name], None));
                }
                ("!GetAtt", _, Some((name, attribute))) if removed.contains_key(name) => {
                    *value = Value::String(literal(name, &removed[name], Some(attribute)));
                }
                _ => replace_references(&mut tagged.value, removed),
            }
        }
        Value::String(text) if text.contains("${") => {
            let placeholder =
                Regex::new(r"\$\{([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}").expect("regex");
            *text = placeholder
                .replace_all(text, |c: &regex::Captures<'_>| match removed.get(&c[1]) {
                    Some(kind) => literal(&c[1], kind, c.get(2).map(|m| m.as_str())),
                    None => c[0].to_owned(),
                })
                .into_owned();
        }
        Value::Sequence(items) => {
            for item in items {
                replace_references(item, removed);
            }
        }
        Value::Mapping(map) => {
            for (_, child) in map.iter_mut() {
                replace_references(child, removed);
            }
        }
        _ => {}
    }
}

/// The stack without the resources moto cannot create (moto gap 1), which must be exactly `expected`: every
/// reference to them becomes a literal attribute and every DependsOn on them goes.
fn without_types_moto_lacks(template: &str, expected: &[&str]) -> String {
    let mut stack: Value = serde_norway::from_str(template).expect("YAML");
    let lacking = types_moto_lacks(&stack);
    let listed: BTreeSet<String> = expected.iter().map(|t| (*t).to_owned()).collect();
    assert_eq!(
        lacking, listed,
        "moto's CloudFormation gaps changed: update MOTO_GAPS and this list"
    );
    let resources = stack["Resources"].as_mapping_mut().expect("resources");
    let removed: BTreeMap<String, String> = resources
        .iter()
        .map(|(name, r)| {
            (
                name.as_str().expect("name").to_owned(),
                r["Type"].as_str().expect("type").to_owned(),
            )
        })
        .filter(|(_, kind)| lacking.contains(kind))
        .collect();
    for name in removed.keys() {
        resources.remove(name.as_str());
    }
    for (_, resource) in resources.iter_mut() {
        let Some(map) = resource.as_mapping_mut() else {
            continue;
        };
        let depends: Option<Vec<String>> = map.get("DependsOn").map(|d| match d {
            Value::String(one) => vec![one.clone()],
            Value::Sequence(many) => many
                .iter()
                .map(|v| v.as_str().expect("name").to_owned())
                .collect(),
            other => panic!("DependsOn {other:?}"),
        });
        if let Some(depends) = depends {
            let kept: Vec<Value> = depends
                .into_iter()
                .filter(|d| !removed.contains_key(d))
                .map(Value::String)
                .collect();
            if kept.is_empty() {
                map.remove("DependsOn");
            } else {
                map.insert("DependsOn".into(), Value::Sequence(kept));
            }
        }
    }
    replace_references(&mut stack, &removed);
    let text = serde_norway::to_string(&stack).expect("serialize");
    for name in removed.keys() {
        assert!(
            !Regex::new(&format!(r"(\$\{{|!Ref |!GetAtt |- ){name}\b"))
                .expect("regex")
                .is_match(&text),
            "{name} is still referenced"
        );
    }
    text
}

/// Gives the driver instance the image of its launch template (moto gap 3), resolved in moto's SSM.
fn with_driver_image(moto: &Moto, template: &str) -> String {
    let mut stack: Value = serde_norway::from_str(template).expect("YAML");
    let image =
        stack["Resources"]["DriverLaunchTemplate"]["Properties"]["LaunchTemplateData"]["ImageId"]
            .as_str()
            .expect("an ImageId")
            .to_owned();
    let parameter = image
        .strip_prefix("{{resolve:ssm:")
        .and_then(|rest| rest.strip_suffix("}}"))
        .unwrap_or_else(|| panic!("the driver image is {image}, not an SSM reference"));
    let ami = moto.aws(
        REGION,
        &[
            "ssm",
            "get-parameter",
            "--name",
            parameter,
            "--query",
            "Parameter.Value",
            "--output",
            "text",
        ],
    );
    let instance = stack["Resources"]["DriverInstance"]["Properties"]
        .as_mapping_mut()
        .expect("properties");
    instance.insert("ImageId".into(), Value::String(ami.trim().to_owned()));
    serde_norway::to_string(&stack).expect("serialize")
}

/// The template as CloudFormation JSON (moto gap 2): `!Ref X` becomes `{"Ref": X}`, `!GetAtt A.B` becomes
/// `{"Fn::GetAtt": [A, B]}` and every other `!Tag v` becomes `{"Fn::Tag": v}`.
fn to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(n) => serde_json::to_value(n).expect("number"),
        Value::String(s) => J::String(s.clone()),
        Value::Sequence(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Mapping(map) => J::Object(
            map.iter()
                .map(|(k, v)| (k.as_str().expect("string key").to_owned(), to_json(v)))
                .collect(),
        ),
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let inner = to_json(&tagged.value);
            match (name, inner) {
                ("Ref", inner) => serde_json::json!({ "Ref": inner }),
                ("GetAtt", J::String(path)) => {
                    let (resource, attribute) = path.split_once('.').expect("Resource.Attribute");
                    serde_json::json!({ "Fn::GetAtt": [resource, attribute] })
                }
                (name, inner) => serde_json::json!({ format!("Fn::{name}"): inner }),
            }
        }
    }
}

/// A zip holding a `bootstrap`, uploaded where the template's function code key points.
fn upload_function_zip(moto: &Moto, dir: &Path, key: &str) {
    let path = dir.join("writer.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).expect("create zip"));
    zip.start_file("bootstrap", zip::write::SimpleFileOptions::default())
        .expect("zip entry");
    zip.write_all(b"#!/bin/sh\n").expect("zip write");
    zip.finish().expect("zip finish");
    moto.aws(
        REGION,
        &[
            "s3",
            "cp",
            path.to_str().unwrap(),
            &format!("s3://{BUCKET}/{key}"),
        ],
    );
}

fn default_of(template: &Value, parameter: &str) -> String {
    template["Parameters"][parameter]["Default"]
        .as_str()
        .expect("a string default")
        .to_owned()
}

/// Creates the stack as `deploy` does and returns its description once CloudFormation is done with it.
fn create(moto: &Moto, dir: &Path, name: &str, template: &str) -> serde_json::Value {
    let parsed: Value = serde_norway::from_str(template).expect("YAML");
    upload_function_zip(moto, dir, &default_of(&parsed, "FunctionCodeKey"));
    let path = dir.join(format!("{name}.json"));
    let json = serde_json::to_string_pretty(&to_json(&parsed)).expect("JSON");
    std::fs::write(&path, &json).expect("write template");
    let key = format!("cloudformation/{name}.json");
    moto.aws(
        REGION,
        &[
            "s3",
            "cp",
            path.to_str().unwrap(),
            &format!("s3://{BUCKET}/{key}"),
        ],
    );
    let output = moto.aws_output(
        REGION,
        &[
            "cloudformation",
            "create-stack",
            "--stack-name",
            name,
            "--template-url",
            &format!("{}/{BUCKET}/{key}", moto.endpoint),
            "--capabilities",
            "CAPABILITY_IAM",
        ],
    );
    assert!(
        output.status.success(),
        "{name}: create-stack\n{}",
        describe(&output)
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let status = moto.aws(
            REGION,
            &[
                "cloudformation",
                "describe-stacks",
                "--stack-name",
                name,
                "--query",
                "Stacks[0].StackStatus",
                "--output",
                "text",
            ],
        );
        if !status.trim().ends_with("_IN_PROGRESS") || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let stack = moto.aws(
        REGION,
        &[
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            name,
            "--query",
            "Stacks[0]",
            "--output",
            "json",
        ],
    );
    let stack: serde_json::Value = serde_json::from_str(&stack).expect("JSON");
    assert!(
        output.status.success(),
        "{name}: deploy failed\n{}\nstack: {stack:#}\nevents: {}",
        describe(&output),
        moto.aws(
            REGION,
            &[
                "cloudformation",
                "describe-stack-events",
                "--stack-name",
                name,
                "--output",
                "json"
            ]
        )
    );
    stack
}

/// CREATE_COMPLETE, and every output of the template has a value with nothing left to substitute.
fn assert_complete_with_resolved_outputs(name: &str, template: &str, stack: &serde_json::Value) {
    assert_eq!(stack["StackStatus"], "CREATE_COMPLETE", "{name}: {stack:#}");
    let declared: Vec<String> = serde_norway::from_str::<Value>(template).expect("YAML")["Outputs"]
        .as_mapping()
        .expect("outputs")
        .keys()
        .map(|k| k.as_str().expect("name").to_owned())
        .collect();
    let outputs = stack["Outputs"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: no outputs: {stack:#}"));
    for key in &declared {
        let value = outputs
            .iter()
            .find(|o| o["OutputKey"] == key.as_str())
            .and_then(|o| o["OutputValue"].as_str())
            .unwrap_or_else(|| panic!("{name}: output {key} is missing: {outputs:#?}"));
        assert!(
            !value.is_empty() && !value.contains("${") && !value.contains("None"),
            "{name}: output {key} = {value:?} is not resolved"
        );
    }
    assert!(declared.len() >= 10, "{declared:?}");
}

#[test]
fn the_rendered_stacks_reach_create_complete_in_motos_cloudformation_with_every_output_resolved() {
    // GIVEN moto with the artifact bucket (as `deploy` creates it) and the two variants of the stack
    let moto = Moto::start();
    moto.aws(REGION, &["s3", "mb", &format!("s3://{BUCKET}")]);
    let dir = tempfile::tempdir().expect("temp dir");
    let existing_sets = [
        common::EXISTING,
        &["OnFailureDestination=sqs", "AlarmEmail=ops@example.com"],
    ]
    .concat();
    let existing = without_types_moto_lacks(
        &render(&existing_sets),
        &["AWS::CloudWatch::Alarm", "AWS::SNS::Subscription"],
    );
    let full = without_types_moto_lacks(
        &render(&["NeptuneAuditLog=true"]),
        &[
            "AWS::CloudWatch::Alarm",
            "AWS::EC2::SecurityGroupEgress",
            "AWS::Neptune::DBCluster",
            "AWS::Neptune::DBClusterParameterGroup",
            "AWS::Neptune::DBInstance",
            "AWS::Neptune::DBSubnetGroup",
            "AWS::S3::BucketPolicy",
            "AWS::SNS::Subscription",
        ],
    );
    eprintln!("moto gaps worked around: {MOTO_GAPS:#?}");

    let (existing, full) = (
        with_driver_image(&moto, &existing),
        with_driver_image(&moto, &full),
    );
    for (name, template) in [("s2n-existing", &existing), ("s2n-full", &full)] {
        // WHEN each is created as `deploy` does
        let stack = create(&moto, dir.path(), name, template);

        // THEN it is complete and every output resolves
        assert_complete_with_resolved_outputs(name, template, &stack);
    }

    // AND the full stack's outputs carry the stand-in cluster's attributes
    let output = |stack: &str, key: &str| -> String {
        let stack: serde_json::Value = serde_json::from_str(&moto.aws(
            REGION,
            &[
                "cloudformation",
                "describe-stacks",
                "--stack-name",
                stack,
                "--output",
                "json",
            ],
        ))
        .expect("JSON");
        stack["Stacks"][0]["Outputs"]
            .as_array()
            .expect("outputs")
            .iter()
            .find(|o| o["OutputKey"] == key)
            .unwrap_or_else(|| panic!("{stack}: no output {key}"))["OutputValue"]
            .as_str()
            .expect("a value")
            .to_owned()
    };
    assert_eq!(output("s2n-full", "ClusterEndpoint"), CLUSTER_ENDPOINT);

    // AND the full stack's on-failure bucket is encrypted with the stack key (moto gap 5: the rest is not built)
    let bucket = output("s2n-full", "OnFailureBucketName");
    let s3api = |call: &str| -> serde_json::Value {
        serde_json::from_str(&moto.aws(
            REGION,
            &["s3api", call, "--bucket", &bucket, "--output", "json"],
        ))
        .expect("JSON")
    };
    let encryption = &s3api("get-bucket-encryption")["ServerSideEncryptionConfiguration"]["Rules"]
        [0]["ApplyServerSideEncryptionByDefault"];
    assert_eq!(encryption["SSEAlgorithm"], "aws:kms", "{encryption}");
    assert!(
        encryption["KMSMasterKeyID"]
            .as_str()
            .is_some_and(|key| key.contains(":key/")),
        "{encryption}"
    );
    // AND the existing-cluster stack (SQS destination) has its queue, and its alarm topic the stack key (moto has
    // no AWS::SNS::Subscription: moto gap 1)
    assert!(output("s2n-existing", "OnFailureQueueUrl").contains("/"));
    let topic = output("s2n-existing", "AlarmTopicArn");
    let attributes: serde_json::Value = serde_json::from_str(&moto.aws(
        REGION,
        &[
            "sns",
            "get-topic-attributes",
            "--topic-arn",
            &topic,
            "--output",
            "json",
        ],
    ))
    .expect("JSON");
    assert!(
        attributes["Attributes"]["KmsMasterKeyId"]
            .as_str()
            .is_some_and(|key| !key.is_empty()),
        "{attributes}"
    );
}
