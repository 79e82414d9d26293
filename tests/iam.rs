//! IAM: every request the writer, the notebooks, the driver and the Neptune bulk loader make, mapped to the IAM
//! actions it needs, against the policies of the rendered stacks. Each role must be granted exactly what its
//! requests need: every needed action, per query language for Neptune's query actions, and nothing else.
//!
//! The requests come from what the code sends, not from a list written next to the policy: the writer's own batch
//! builders (every language and upsert style, edges with and without properties), the rejects sink's SQS target,
//! the driver's Kinesis calls, every magic the notebooks run (each cell run as IPython runs it, in the stack's language), and the AWS CLI calls in the rendered lifecycle script
//! and user data. They are mapped with Neptune's data-plane rules ([`neptune_query_actions`]); what AWS services do
//! with a role on its behalf (the event source mapping and its on-failure destination, Lambda's VPC interfaces,
//! SageMaker's volume and logs) is the documented table [`service_needs`].

mod common;

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;
use serde_norway::Value;
use stream2neptune::render;
use stream2neptune_graph::Operation;
use stream2neptune_plan::OnFailureDestination;
use stream2neptune_plan::endpoints::{self, Part};
use stream2neptune_plan::{GremlinBatchForm, GremlinUpsertStyle};
use stream2neptune_writer::gremlin::{self, GremlinStyle};
use stream2neptune_writer::record::{Edge, PropertyValue, parse_date};
use stream2neptune_writer::{opencypher, sparql};

const READ: &str = "neptune-db:ReadDataViaQuery";
const WRITE: &str = "neptune-db:WriteDataViaQuery";
const DELETE: &str = "neptune-db:DeleteDataViaQuery";

/// The `neptune-db:QueryLanguage` condition value of each writer language.
const LANGUAGES: &[(&str, &str)] = &[
    ("gremlin", "Gremlin"),
    ("sparql", "Sparql"),
    ("opencypher", "OpenCypher"),
];

/// One action a role needs: the action, the query language it is needed for (Neptune query actions only), what
/// the granting statement's resource must name, and the request that needs it.
#[derive(Debug, Clone)]
struct Need {
    action: String,
    language: Option<&'static str>,
    resource: &'static str,
    why: String,
}

fn need(action: &str, language: Option<&'static str>, resource: &'static str, why: &str) -> Need {
    Need {
        action: action.to_owned(),
        language,
        resource,
        why: why.to_owned(),
    }
}

/// Neptune's rule (iam-data-access-policies.html): a query needs every action any of its steps may perform. Reads
/// need ReadDataViaQuery; adding (addV, addE, mergeV, mergeE, CREATE, MERGE, INSERT) reads and writes; a step that
/// may replace a value (Gremlin property(), mergeE's onMatch, openCypher SET, SPARQL DELETE) reads, writes and
/// deletes; removing (drop(), DELETE) reads and deletes.
fn neptune_query_actions(language: &str, query: &str) -> BTreeSet<&'static str> {
    let mut actions = BTreeSet::from([READ]);
    let has = |pattern: &str| Regex::new(pattern).expect("pattern").is_match(query);
    match language {
        "Gremlin" => {
            if has(r"\b(addV|addE|mergeV|mergeE|property)\(") {
                actions.insert(WRITE);
            }
            if has(r"\b(property|drop)\(|Merge\.onMatch") {
                actions.insert(DELETE);
            }
        }
        "Sparql" => {
            if has(r"(?i)\b(INSERT|LOAD|ADD|MOVE|COPY|CREATE)\b") {
                actions.insert(WRITE);
            }
            if has(r"(?i)\b(DELETE|CLEAR|DROP|MOVE|COPY)\b") {
                actions.insert(DELETE);
            }
        }
        "OpenCypher" => {
            if has(r"(?i)\b(CREATE|MERGE|SET)\b") {
                actions.insert(WRITE);
            }
            if has(r"(?i)\b(SET|REMOVE|DELETE)\b") {
                actions.insert(DELETE);
            }
        }
        other => panic!("unknown query language {other}"),
    }
    actions
}

/// Edges as the writer gets them: without and with extra properties, twice the same pair (an upsert that matches).
fn edges() -> Vec<Operation> {
    let edge = |from: &str, to: &str, properties: Vec<(String, PropertyValue)>| Edge {
        from: from.to_owned(),
        to: to.to_owned(),
        created: parse_date("2016-05-21").expect("date"),
        properties,
    };
    vec![
        edge("1", "2", vec![]),
        edge(
            "1",
            "3",
            vec![("weight".to_owned(), PropertyValue::Integer(3))],
        ),
        edge(
            "1",
            "3",
            vec![("weight".to_owned(), PropertyValue::Integer(4))],
        ),
    ]
    .into_iter()
    .map(Edge::into_operation)
    .collect()
}

/// Every request body the writer can send to Neptune in `language`, built by its own builders for each setting
/// that changes the text (ConditionalCreate, GremlinUpsertStyle, GremlinBatchForm).
fn writer_queries(language: &str) -> Vec<String> {
    let edges = edges();
    let random = || "r-1".to_owned();
    match language {
        "Gremlin" => {
            let mut queries = Vec::new();
            for upsert in [GremlinUpsertStyle::Merge, GremlinUpsertStyle::Coalesce] {
                for conditional_create in [true, false] {
                    for form in [GremlinBatchForm::Chained, GremlinBatchForm::Rows] {
                        let style = GremlinStyle {
                            upsert,
                            conditional_create,
                            form,
                        };
                        queries.push(gremlin::batch_query(&edges, style, random));
                    }
                }
            }
            queries
        }
        "Sparql" => vec![
            sparql::batch_update(&edges),
            sparql::batch_update(&edges[..1]),
        ],
        "OpenCypher" => [true, false]
            .into_iter()
            .map(|conditional_create| opencypher::batch_request(&edges, conditional_create, random))
            .collect(),
        other => panic!("unknown query language {other}"),
    }
}

/// The Neptune needs of the writer in `language`, from its builders.
fn writer_neptune_needs(language: &'static str) -> Vec<Need> {
    let mut needs = Vec::new();
    for query in writer_queries(language) {
        for action in neptune_query_actions(language, &query) {
            let start: String = query.chars().take(60).collect();
            needs.push(need(
                action,
                Some(language),
                "neptune-db:",
                &format!("writer batch {start}..."),
            ));
        }
    }
    needs
}

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(common::repo_root().join(path))
        .unwrap_or_else(|err| panic!("read {path}: {err}"))
}

/// The SQS operations the writer's rejects sink sends (its `x-amz-target`), as IAM actions.
fn writer_sqs_needs() -> Vec<Need> {
    let source = repo_file("function/src/rejects.rs");
    let targets: Vec<Need> = Regex::new(r#""x-amz-target",\s*"AmazonSQS\.(\w+)""#)
        .expect("pattern")
        .captures_iter(&source)
        .map(|c| {
            need(
                &format!("sqs:{}", &c[1]),
                None,
                "RejectedQueue",
                "the rejects sink (function/src/rejects.rs)",
            )
        })
        .collect();
    assert!(
        !targets.is_empty(),
        "the rejects sink sends no SQS request?"
    );
    targets
}

/// The Kinesis operations the driver's client calls (`client.<operation>()` in workload/src, by any path to the
/// client), as IAM actions.
fn driver_kinesis_needs() -> Vec<Need> {
    let mut needs = Vec::new();
    let dir = common::repo_root().join("workload/src");
    // `self.client.put_records()`, `client.list_shards()`, and a call split over lines.
    let call = Regex::new(r"\bclient\s*\.(\w+)\(\)").expect("pattern");
    for entry in std::fs::read_dir(&dir).expect("read workload/src") {
        let path = entry.expect("entry").path();
        let source = std::fs::read_to_string(&path).expect("read source");
        if !source.contains("aws_sdk_kinesis") {
            continue;
        }
        for captures in call.captures_iter(&source) {
            let operation: String = captures[1]
                .split('_')
                .map(|word| {
                    let mut chars = word.chars();
                    chars
                        .next()
                        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                        .unwrap_or_default()
                })
                .collect();
            needs.push(need(
                &format!("kinesis:{operation}"),
                None,
                "Stream.Arn",
                &format!("the driver's Kinesis client ({})", path.display()),
            ));
        }
    }
    assert!(!needs.is_empty(), "the driver makes no Kinesis call?");
    needs
}

/// The AWS CLI calls of a shell script carried by the stack, as IAM actions: `s3 cp` reads an object, or writes one
/// when its destination is an S3 URI (`s3://...` or a variable named `..._S3`).
fn script_needs(script: &str, what: &str) -> Vec<Need> {
    let mut needs = Vec::new();
    let call = Regex::new(r"\baws\s+(?:--\S+\s+\S+\s+)*(s3|s3api|\w+)\s+([a-z-]+)([^\n]*)")
        .expect("pattern");
    for captures in call.captures_iter(script) {
        let why = format!("{what}: aws {} {}", &captures[1], &captures[2]);
        match (&captures[1], &captures[2]) {
            ("s3", "cp") if s3_destination(&captures[3]) => {
                needs.push(need("s3:PutObject", None, "s3:::", &why))
            }
            ("s3", "cp") => needs.push(need("s3:GetObject", None, "s3:::", &why)),
            ("s3", "rm") => needs.push(need("s3:DeleteObject", None, "s3:::", &why)),
            ("s3", "sync") => {
                needs.push(need("s3:ListBucket", None, "s3:::", &why));
                needs.push(need("s3:GetObject", None, "s3:::", &why));
            }
            ("ssm", "get-parameter") => {
                needs.push(need("ssm:GetParameter", None, ":parameter", &why))
            }
            (service, operation) => {
                panic!(
                    "{what} calls `aws {service} {operation}`: map it to its IAM action in tests/iam.rs"
                )
            }
        }
    }
    // boto3 S3 client calls (or paginators) in an embedded Python script.
    let boto3 = Regex::new(r"\b(list_objects_v2|download_file|get_object|[a-z]+_objects?)\b")
        .expect("pattern");
    for captures in boto3.captures_iter(script) {
        let why = format!("{what}: boto3 {}", &captures[1]);
        match &captures[1] {
            "list_objects_v2" => needs.push(need("s3:ListBucket", None, "s3:::", &why)),
            "download_file" | "get_object" => needs.push(need("s3:GetObject", None, "s3:::", &why)),
            other => {
                panic!("{what} calls boto3 `{other}`: map it to its IAM action in tests/iam.rs")
            }
        }
    }
    // S3 answers a missing object with 404 only to a caller that may list the bucket (403 otherwise).
    if script.contains("\"(404)\"") {
        needs.push(need(
            "s3:ListBucket",
            None,
            "s3:::",
            &format!("{what}: tells a missing object (404) from a refusal"),
        ));
    }
    needs
}

/// Whether the arguments after `aws s3 cp` name an S3 URI as the destination (the second operand).
fn s3_destination(arguments: &str) -> bool {
    let mut operands = Vec::new();
    let mut words = arguments.split_whitespace();
    while let Some(word) = words.next() {
        match word {
            "--region" => {
                words.next();
            }
            flag if flag.starts_with("--") => {}
            operand => operands.push(operand.trim_matches(|c| c == '"' || c == '\'')),
        }
    }
    operands.get(1).is_some_and(|destination| {
        destination.starts_with("s3://")
            || (destination.starts_with('$') && destination.ends_with("_S3"))
    })
}

/// One magic a notebook runs: the notebook, `line` or `cell`, the magic's name, its line and its cell body.
struct Magic {
    notebook: String,
    kind: String,
    magic: String,
    line: String,
    cell: String,
}

/// Every magic the notebooks run in a stack writing `language` (the setting's spelling), whatever form the cell
/// takes (`%%magic` cells, `%magic` lines, `get_ipython().run_cell_magic(...)` with a magic chosen at run time): each
/// cell is run through IPython's input transformer with the magics recorded (tests/notebook_support/
/// notebook_requests.py).
fn notebook_magics(language: &str) -> Vec<Magic> {
    let root = common::repo_root();
    let mut paths: Vec<_> = std::fs::read_dir(root.join("notebooks"))
        .expect("read notebooks/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ipynb"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 3, "{paths:?}");
    let python = root.join(".venv-notebooks/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `make notebook-tools`",
        python.display()
    );
    let output = std::process::Command::new(python)
        .arg(root.join("tests/notebook_support/notebook_requests.py"))
        .arg(language)
        .args(&paths)
        .output()
        .expect("run notebook_requests.py");
    assert!(
        output.status.success(),
        "the notebooks' cells did not run:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .lines()
        .map(|line| {
            let call: serde_json::Value = serde_json::from_str(line).expect("a JSON call");
            let text = |key: &str| call[key].as_str().unwrap_or_default().to_owned();
            Magic {
                notebook: text("notebook"),
                kind: text("kind"),
                magic: text("magic"),
                line: text("line"),
                cell: text("cell"),
            }
        })
        .collect()
}

/// What graph-notebook sends for each magic the notebooks run in a stack writing `language`, as IAM actions.
fn notebook_needs(language: &str) -> Vec<Need> {
    let mut needs = Vec::new();
    for Magic {
        notebook,
        kind,
        magic,
        line,
        cell,
    } in notebook_magics(language)
    {
        let why = format!("{notebook}: {kind} magic {magic} {line}");
        let query_language = match magic.as_str() {
            "gremlin" => Some("Gremlin"),
            "sparql" => Some("Sparql"),
            "oc" | "opencypher" => Some("OpenCypher"),
            _ => None,
        };
        if let Some(query_language) = query_language {
            // A line magic's query is its line; a cell magic's, its body.
            let query = if kind == "cell" { &cell } else { &line };
            for action in neptune_query_actions(query_language, query) {
                needs.push(need(action, Some(query_language), "neptune-db:", &why));
            }
            continue;
        }
        match magic.as_str() {
            // graph-notebook starts the job (POST /loader) and polls it (GET /loader/{id}).
            "load" => {
                needs.push(need("neptune-db:StartLoaderJob", None, "neptune-db:", &why));
                needs.push(need(
                    "neptune-db:GetLoaderJobStatus",
                    None,
                    "neptune-db:",
                    &why,
                ));
            }
            "load_status" => {
                needs.push(need(
                    "neptune-db:GetLoaderJobStatus",
                    None,
                    "neptune-db:",
                    &why,
                ));
            }
            // Local settings: no request.
            "graph_notebook_config" | "load_ext" | "env" => {}
            other => panic!("{why}: map what %{other} sends to its IAM action in tests/iam.rs"),
        }
    }
    needs
}

/// What the event source mapping does with the writer's role to deliver a batch it gives up on (Lambda's
/// "Retain discarded batch records": sqs:SendMessage for a queue; s3:PutObject and s3:ListBucket for a bucket, and
/// the key for its SSE-KMS objects).
fn on_failure_needs(destination: OnFailureDestination) -> Vec<Need> {
    let why = "the mapping's on-failure destination";
    match destination {
        OnFailureDestination::S3 => vec![
            need("s3:PutObject", None, "OnFailureBucket.Arn}/*", why),
            need("s3:ListBucket", None, "OnFailureBucket.Arn", why),
            need(
                "kms:GenerateDataKey",
                None,
                "Key.Arn",
                "PutObject to the SSE-KMS on-failure bucket",
            ),
        ],
        OnFailureDestination::Sqs => vec![need("sqs:SendMessage", None, "OnFailureQueue", why)],
    }
}

/// What AWS services do with a role on its behalf: documented requirements, not requests of our code.
fn service_needs(role: &str) -> Vec<Need> {
    let n = |action: &str, resource: &'static str, why: &str| need(action, None, resource, why);
    let esm = "Lambda's Kinesis event source mapping (AWSLambdaKinesisExecutionRole)";
    let eni = "Lambda's VPC network interfaces (AWSLambdaVPCAccessExecutionRole; ENIManagementAccess lacks DescribeSubnets)";
    match role {
        "WriterRole" => vec![
            n("kinesis:DescribeStream", "Stream.Arn", esm),
            n("kinesis:DescribeStreamSummary", "Stream.Arn", esm),
            n("kinesis:GetRecords", "Stream.Arn", esm),
            n("kinesis:GetShardIterator", "Stream.Arn", esm),
            n("kinesis:ListShards", "Stream.Arn", esm),
            n(
                "kms:Decrypt",
                "Key.Arn",
                "GetRecords on the KMS-encrypted stream",
            ),
            n(
                "kms:GenerateDataKey",
                "Key.Arn",
                "SendMessage to the KMS-encrypted queues",
            ),
            n(
                "kms:Decrypt",
                "Key.Arn",
                "SendMessage to the KMS-encrypted queues",
            ),
            n(
                "logs:CreateLogStream",
                "WriterLogGroup",
                "the Lambda runtime's log",
            ),
            n(
                "logs:PutLogEvents",
                "WriterLogGroup",
                "the Lambda runtime's log",
            ),
            n("ec2:CreateNetworkInterface", "ec2:", eni),
            n("ec2:DeleteNetworkInterface", "ec2:", eni),
            n("ec2:AssignPrivateIpAddresses", "ec2:", eni),
            n("ec2:UnassignPrivateIpAddresses", "ec2:", eni),
            n("ec2:DescribeNetworkInterfaces", "*", eni),
            n("ec2:DescribeSubnets", "*", eni),
        ],
        "NotebookRole" => {
            let volume = "SageMaker encrypts the notebook volume with the stack key";
            let logs = "SageMaker writes the lifecycle log to /aws/sagemaker/NotebookInstances";
            vec![
                n("kms:CreateGrant", "Key.Arn", volume),
                n("kms:Decrypt", "Key.Arn", volume),
                n("kms:DescribeKey", "Key.Arn", volume),
                n("kms:GenerateDataKey", "Key.Arn", volume),
                n("logs:CreateLogGroup", "NotebookInstances", logs),
                n("logs:CreateLogStream", "NotebookInstances", logs),
                n("logs:DescribeLogStreams", "NotebookInstances", logs),
                n("logs:PutLogEvents", "NotebookInstances", logs),
            ]
        }
        "DriverRole" => vec![n(
            "kms:GenerateDataKey",
            "Key.Arn",
            "PutRecords to the KMS-encrypted stream",
        )],
        // The bulk loader lists the source prefix and reads its objects with the role the cluster assumes.
        "NeptuneLoaderRole" => vec![
            n(
                "s3:ListBucket",
                "s3:::",
                "the bulk loader lists its S3 source prefix",
            ),
            n(
                "s3:GetObject",
                "s3:::",
                "the bulk loader reads the vertex files",
            ),
        ],
        // VPC Flow Logs delivers the rejected-traffic log with the role (VPC Flow Logs' IAM role requirements).
        "FlowLogRole" => {
            let why = "VPC Flow Logs publishes to the flow log group";
            vec![
                n("logs:CreateLogStream", "FlowLogGroup", why),
                n("logs:DescribeLogStreams", "FlowLogGroup", why),
                n("logs:PutLogEvents", "FlowLogGroup", why),
            ]
        }
        other => panic!("no service table for {other}"),
    }
}

/// Managed policies a role may carry (their content is AWS's), with the reason.
const MANAGED: &[(&str, &str)] = &[(
    "DriverRole",
    "AmazonSSMManagedInstanceCore", // Session Manager access to the driver instead of SSH
)];

/// One action a rendered policy grants.
#[derive(Debug)]
struct Grant {
    action: String,
    /// `neptune-db:QueryLanguage` values of a StringEquals condition, `None` without one.
    languages: Option<BTreeSet<String>>,
    /// The statement's Resource, as YAML text.
    resource: String,
}

fn untagged(value: &Value) -> &Value {
    match value {
        Value::Tagged(tagged) => untagged(&tagged.value),
        other => other,
    }
}

fn string_list(value: &Value) -> Vec<String> {
    match untagged(value) {
        Value::Sequence(items) => items
            .iter()
            .map(|i| untagged(i).as_str().expect("string").to_owned())
            .collect(),
        other => vec![other.as_str().expect("string").to_owned()],
    }
}

/// Every role of the template with what its inline policies grant and its managed policy ARNs.
fn roles(template: &Value) -> BTreeMap<String, (Vec<Grant>, Vec<String>)> {
    let mut roles = BTreeMap::new();
    for (name, resource) in template["Resources"].as_mapping().expect("resources") {
        if resource["Type"].as_str() != Some("AWS::IAM::Role") {
            continue;
        }
        let properties = &resource["Properties"];
        let mut grants = Vec::new();
        for policy in properties["Policies"]
            .as_sequence()
            .cloned()
            .unwrap_or_default()
        {
            let policy = untagged(&policy);
            for statement in policy["PolicyDocument"]["Statement"]
                .as_sequence()
                .expect("statements")
            {
                assert_eq!(statement["Effect"].as_str(), Some("Allow"));
                let languages = statement["Condition"]["StringEquals"]["neptune-db:QueryLanguage"]
                    .as_str()
                    .map(|one| BTreeSet::from([one.to_owned()]))
                    .or_else(|| {
                        statement["Condition"]["StringEquals"]["neptune-db:QueryLanguage"]
                            .as_sequence()
                            .map(|_| {
                                string_list(&statement["Condition"]["StringEquals"]["neptune-db:QueryLanguage"])
                                    .into_iter()
                                    .collect()
                            })
                    });
                let resource = serde_norway::to_string(&statement["Resource"]).expect("yaml");
                for action in string_list(&statement["Action"]) {
                    grants.push(Grant {
                        action,
                        languages: languages.clone(),
                        resource: resource.clone(),
                    });
                }
            }
        }
        let managed = properties["ManagedPolicyArns"]
            .as_sequence()
            .map(|arns| {
                arns.iter()
                    .map(|arn| format!("{:?}", untagged(arn)))
                    .collect()
            })
            .unwrap_or_default();
        roles.insert(name.as_str().expect("name").to_owned(), (grants, managed));
    }
    roles
}

/// The notebook's lifecycle script and the driver's user data of a rendered stack.
fn scripts(template: &Value) -> (String, String) {
    let resources = &template["Resources"];
    let script = |value: &Value| -> String {
        let sub = &untagged(value)["Fn::Sub"];
        untagged(&untagged(sub)[0])
            .as_str()
            .expect("script")
            .to_owned()
    };
    (
        script(&resources["NotebookLifecycle"]["Properties"]["OnStart"][0]["Content"]),
        script(&resources["DriverLaunchTemplate"]["Properties"]["LaunchTemplateData"]["UserData"]),
    )
}

/// What each role of a stack rendered for `language` and `destination` needs.
fn needs(
    template: &Value,
    language: &'static str,
    destination: OnFailureDestination,
) -> BTreeMap<&'static str, Vec<Need>> {
    let resources = &template["Resources"];
    let (lifecycle, user_data) = scripts(template);
    let mut writer = writer_neptune_needs(language);
    writer.extend(writer_sqs_needs());
    writer.extend(service_needs("WriterRole"));
    writer.extend(on_failure_needs(destination));
    let setting = LANGUAGES
        .iter()
        .find(|(_, condition)| *condition == language)
        .map(|(setting, _)| *setting)
        .expect("a known language");
    let mut notebook = notebook_needs(setting);
    notebook.extend(script_needs(&lifecycle, "notebook lifecycle script"));
    notebook.extend(service_needs("NotebookRole"));
    let mut driver = driver_kinesis_needs();
    driver.extend(script_needs(&user_data, "driver user data"));
    driver.extend(service_needs("DriverRole"));
    let mut needs = BTreeMap::from([
        ("WriterRole", writer),
        ("NotebookRole", notebook),
        ("DriverRole", driver),
    ]);
    for role in ["NeptuneLoaderRole", "FlowLogRole"] {
        if resources.get(role).is_some() {
            needs.insert(role, service_needs(role));
        }
    }
    needs
}

/// Every need of `role` granted (on the named resource, for its language), and every grant needed.
fn check_role(stack: &str, role: &str, needs: &[Need], grants: &[Grant], managed: &[String]) {
    for need in needs {
        let granted = grants.iter().any(|grant| {
            grant.action == need.action
                && grant.resource.contains(need.resource)
                && match (need.language, &grant.languages) {
                    (Some(language), Some(languages)) => languages.contains(language),
                    (None, None) => true,
                    _ => false,
                }
        });
        assert!(
            granted,
            "{stack}: {role} is not granted {} {}on a resource naming {:?}, which {} needs; grants: {grants:#?}",
            need.action,
            need.language
                .map(|l| format!("for {l} "))
                .unwrap_or_default(),
            need.resource,
            need.why
        );
    }
    for grant in grants {
        let languages: Vec<Option<&str>> = match &grant.languages {
            Some(languages) => languages.iter().map(|l| Some(l.as_str())).collect(),
            None => vec![None],
        };
        for language in languages {
            let needed = needs.iter().any(|need| {
                need.action == grant.action
                    && need.language.is_none() == language.is_none()
                    && need.language.is_none_or(|l| Some(l) == language)
            });
            assert!(
                needed,
                "{stack}: {role} is granted {} {}, which no request needs",
                grant.action,
                language.map(|l| format!("for {l}")).unwrap_or_default()
            );
        }
        // Only actions that take no resource may be granted on every resource.
        if grant.resource.trim() == "'*'" || grant.resource.trim() == "\"*\"" {
            assert!(
                needs
                    .iter()
                    .any(|n| n.action == grant.action && n.resource == "*"),
                "{stack}: {role} is granted {} on every resource",
                grant.action
            );
        }
    }
    for arn in managed {
        assert!(
            MANAGED
                .iter()
                .any(|(r, name)| *r == role && arn.contains(name)),
            "{stack}: {role} carries the managed policy {arn}, whose actions no test can see"
        );
    }
}

fn render(region: &str, sets: &[&str]) -> Value {
    let resolved = common::resolved("regions: {}", region, sets);
    let env = render::environment(&common::repo_root());
    let rendered = render::render_region(&env, &resolved).expect("renders");
    serde_norway::from_str(&rendered.stack).expect("YAML")
}

#[test]
fn every_role_is_granted_what_its_requests_need_per_query_language_and_nothing_else() {
    let mut checked = 0;
    for (setting, language) in LANGUAGES {
        let query_language = format!("QueryLanguage={setting}");
        let mut existing = common::EXISTING.to_vec();
        existing.extend([query_language.as_str(), "OnFailureDestination=sqs"]);
        for (variant, sets, destination) in [
            (
                "new cluster, S3 destination",
                vec![query_language.as_str()],
                OnFailureDestination::S3,
            ),
            (
                "existing cluster, SQS destination",
                existing,
                OnFailureDestination::Sqs,
            ),
        ] {
            // GIVEN the stack rendered for this language and on-failure destination
            let stack = format!("{variant}, {setting}");
            let template = render("us-east-1", &sets);
            let roles = roles(&template);

            // WHEN each role's needs are mapped from the requests of its code, cells and scripts, and from what
            // the services do with it
            let needs = needs(&template, language, destination);

            // THEN each role is granted exactly those
            assert_eq!(
                roles.keys().map(String::as_str).collect::<BTreeSet<_>>(),
                needs.keys().copied().collect::<BTreeSet<_>>(),
                "{stack}: roles"
            );
            for (role, role_needs) in &needs {
                let (grants, managed) = &roles[*role];
                check_role(&stack, role, role_needs, grants, managed);
                checked += 1;
            }
        }
    }
    // Per language: writer, notebook, driver; a new cluster adds the loader and flow log roles.
    assert_eq!(checked, 3 * (5 + 3));
}

#[test]
fn the_writer_needs_delete_in_every_language_and_gremlin_without_properties_does_not() {
    // Edge properties are last-write-wins: each language replaces a value, which Neptune counts as a delete.
    for (_, language) in LANGUAGES {
        let actions: BTreeSet<&str> = writer_queries(language)
            .iter()
            .flat_map(|q| neptune_query_actions(language, q))
            .collect();
        assert_eq!(actions, BTreeSet::from([READ, WRITE, DELETE]), "{language}");
    }
    // The SPARQL builder deletes the old value of a property it writes (issue 10's 403s).
    let update = sparql::batch_update(&edges()[1..2]);
    assert!(update.contains("DELETE {"), "{update}");
    assert!(neptune_query_actions("Sparql", &update).contains(DELETE));
    // mergeE without properties only adds.
    let query = gremlin::batch_query(
        &edges()[..1],
        GremlinStyle {
            upsert: GremlinUpsertStyle::Merge,
            conditional_create: true,
            form: GremlinBatchForm::Chained,
        },
        || unreachable!(),
    );
    assert_eq!(
        neptune_query_actions("Gremlin", &query),
        BTreeSet::from([READ, WRITE])
    );
}

#[test]
fn the_mapping_rules_follow_neptunes_documented_examples() {
    // The Gremlin rows are the examples of Neptune's "Using query actions in Neptune data-access policy statements";
    // the openCypher and SPARQL rows apply the same rule (every action a clause may perform).
    let rows: &[(&str, &str, &[&str])] = &[
        ("Gremlin", "g.V().count()", &[READ]),
        ("Gremlin", "g.addV()", &[READ, WRITE]),
        (
            "Gremlin",
            "g.V('1').as('a').out('created').addE('createdBy').to('a')",
            &[READ, WRITE],
        ),
        ("Gremlin", "g.V().drop()", &[READ, DELETE]),
        (
            "Gremlin",
            "g.V('1').property(single, 'key1', 'value1')",
            &[READ, WRITE, DELETE],
        ),
        ("OpenCypher", "MATCH (n) RETURN n", &[READ]),
        ("OpenCypher", "CREATE (n:person)", &[READ, WRITE]),
        ("OpenCypher", "MATCH (n) DETACH DELETE n", &[READ, DELETE]),
        (
            "OpenCypher",
            "MATCH (n) SET n.name = 'x'",
            &[READ, WRITE, DELETE],
        ),
        ("Sparql", "SELECT * WHERE { ?s ?p ?o }", &[READ]),
        ("Sparql", "INSERT DATA { <a> <b> <c> }", &[READ, WRITE]),
        (
            "Sparql",
            "DELETE { ?s <p> ?o } WHERE { ?s <p> ?o }",
            &[READ, DELETE],
        ),
    ];
    for (language, query, expected) in rows {
        assert_eq!(
            neptune_query_actions(language, query),
            expected.iter().copied().collect::<BTreeSet<_>>(),
            "{language}: {query}"
        );
    }
}

#[test]
fn a_policy_missing_an_action_or_granting_an_extra_one_fails_the_check() {
    let template = render("us-east-1", &["QueryLanguage=sparql"]);
    let needs = needs(&template, "Sparql", OnFailureDestination::S3);
    let mut roles = roles(&template);
    let (grants, managed) = roles.get_mut("WriterRole").expect("writer role");
    // Without DeleteDataViaQuery (the policy of issue 10) the check fails ...
    let delete = grants
        .iter()
        .position(|g| g.action == DELETE)
        .expect("delete granted");
    let removed = grants.remove(delete);
    let missing = std::panic::catch_unwind(|| {
        check_role("test", "WriterRole", &needs["WriterRole"], grants, managed)
    });
    assert!(missing.is_err());
    // ... and so it does with an action no request needs, or one language too many.
    grants.push(removed);
    grants.push(Grant {
        action: "neptune-db:GetEngineStatus".to_owned(),
        languages: None,
        resource: "neptune-db:".to_owned(),
    });
    let extra = std::panic::catch_unwind(|| {
        check_role("test", "WriterRole", &needs["WriterRole"], grants, managed)
    });
    assert!(extra.is_err());
    grants.pop();
    let read = grants
        .iter_mut()
        .find(|g| g.action == READ)
        .expect("read granted");
    read.languages
        .as_mut()
        .expect("a language condition")
        .insert("Gremlin".to_owned());
    let broader = std::panic::catch_unwind(|| {
        check_role("test", "WriterRole", &needs["WriterRole"], grants, managed)
    });
    assert!(broader.is_err());
}

/// The services whose actions AmazonSSMManagedInstanceCore grants: what the SSM agent on the driver calls.
const SSM_AGENT_SERVICES: &[&str] = &["ssm", "ssmmessages", "ec2messages"];

/// The IAM service prefixes of the requests each part makes from inside the subnets, for a stack rendered for
/// `language`: its own code's, cells' and scripts' requests, not what AWS services do for it ([`service_needs`]),
/// except the bulk loader, which the cluster runs itself.
fn calls_from_the_subnets(
    template: &Value,
    setting: &str,
    language: &'static str,
) -> BTreeMap<Part, BTreeSet<String>> {
    let (lifecycle, user_data) = scripts(template);
    let prefixes = |needs: Vec<Need>| -> BTreeSet<String> {
        needs
            .iter()
            .map(|n| n.action.split(':').next().expect("prefix").to_owned())
            .collect()
    };
    let mut writer = writer_neptune_needs(language);
    writer.extend(writer_sqs_needs());
    let mut notebook = notebook_needs(setting);
    notebook.extend(script_needs(&lifecycle, "notebook lifecycle script"));
    let mut driver = driver_kinesis_needs();
    driver.extend(script_needs(&user_data, "driver user data"));
    let mut driver = prefixes(driver);
    if user_data.contains("cfn-signal ") {
        driver.insert("cloudformation".to_owned());
    }
    let (_, managed) = &roles(template)["DriverRole"];
    if managed
        .iter()
        .any(|arn| arn.contains("AmazonSSMManagedInstanceCore"))
    {
        driver.extend(SSM_AGENT_SERVICES.iter().map(|s| (*s).to_owned()));
    }
    BTreeMap::from([
        (Part::Writer, prefixes(writer)),
        (Part::Notebook, prefixes(notebook)),
        (Part::Driver, driver),
        (Part::Cluster, prefixes(service_needs("NeptuneLoaderRole"))),
    ])
}

#[test]
fn every_service_a_part_calls_from_the_subnets_is_in_the_endpoint_table_and_every_row_is_called() {
    for (setting, language) in LANGUAGES {
        // GIVEN an existing-cluster stack in this language (the mode whose subnets the user provides)
        let query_language = format!("QueryLanguage={setting}");
        let mut sets = common::EXISTING.to_vec();
        sets.push(&query_language);
        let template = render("us-east-1", &sets);

        // WHEN the services each part calls are taken from its requests
        let calls = calls_from_the_subnets(&template, setting, language);

        // THEN the endpoint table of docs/stack.md lists exactly those, per part
        for (part, services) in calls {
            let listed: BTreeSet<String> = endpoints::of(part)
                .filter_map(|e| e.iam_service)
                .map(str::to_owned)
                .collect();
            assert_eq!(
                listed,
                services,
                "{setting}: the {} calls {services:?} from the subnets; plan/src/endpoints.rs lists {listed:?}",
                part.as_str()
            );
        }
    }
}

#[test]
fn docs_endpoints_are_the_generated_table() {
    common::check_doc_section(
        "docs/stack.md",
        "<!-- BEGIN existing-cluster endpoints: generated by `make doc-tables` -->\n",
        "<!-- END existing-cluster endpoints -->",
        &endpoints::markdown_table(),
        "docs/stack.md's existing-cluster endpoint table is stale: run `make doc-tables` and review the diff",
    );
}

/// The property that gives each IAM resource type a name of its own: a template that sets one needs
/// CAPABILITY_NAMED_IAM instead of CAPABILITY_IAM (CloudFormation's "Acknowledging IAM resources").
const IAM_NAME_PROPERTIES: &[(&str, &str)] = &[
    ("AWS::IAM::Role", "RoleName"),
    ("AWS::IAM::InstanceProfile", "InstanceProfileName"),
    ("AWS::IAM::ManagedPolicy", "ManagedPolicyName"),
    ("AWS::IAM::Group", "GroupName"),
    ("AWS::IAM::User", "UserName"),
];

#[test]
fn the_deploy_asks_for_the_capability_the_stack_needs() {
    for sets in [vec![], common::EXISTING.to_vec()] {
        // GIVEN a rendered stack, new cluster or existing
        let template = render("us-east-1", &sets);
        let resources = template["Resources"].as_mapping().expect("Resources");

        // WHEN its IAM resources are read
        let iam: Vec<(&str, bool)> = resources
            .iter()
            .filter_map(|(name, resource)| {
                let kind = resource["Type"].as_str()?;
                kind.starts_with("AWS::IAM::").then(|| {
                    let named = IAM_NAME_PROPERTIES
                        .iter()
                        .any(|(k, p)| *k == kind && resource["Properties"].get(*p).is_some());
                    (name.as_str().expect("name"), named)
                })
            })
            .collect();

        // THEN it has some, none named, and the deploy asks for CAPABILITY_IAM
        assert!(!iam.is_empty(), "no IAM resource in {sets:?}");
        for (name, named) in &iam {
            assert!(
                !named,
                "{name} has a name of its own: the deploy would need CAPABILITY_NAMED_IAM"
            );
        }
        assert_eq!(
            stream2neptune::deploy::stack::CAPABILITIES,
            "CAPABILITY_IAM"
        );
    }
}
