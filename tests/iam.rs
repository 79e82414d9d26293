//! IAM: every request the writer, the notebooks, the driver and the Neptune bulk loader make, mapped to the IAM
//! actions it needs, against the policies of the rendered stacks. Each role must be granted exactly what its
//! requests need: every needed action, per query language for Neptune's query actions, and nothing else.
//!
//! The requests come from what the code sends, not from a list written next to the policy: the writer's own batch
//! builders (every language and upsert style, edges with and without properties), the rejects sink's SQS target,
//! the driver's Kinesis calls, every cell of the notebooks, and the AWS CLI calls in the rendered lifecycle script
//! and user data. They are mapped with Neptune's data-plane rules ([`neptune_query_actions`]); what AWS services do
//! with a role on its behalf (the event source mapping and its on-failure destination, Lambda's VPC interfaces,
//! SageMaker's volume and logs) is the documented table [`service_needs`].

mod common;

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;
use serde_norway::Value;
use stream2neptune::render;
use stream2neptune_plan::OnFailureDestination;
use stream2neptune_writer::config::UpsertStyle;
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
fn edges() -> Vec<Edge> {
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
}

/// Every request body the writer can send to Neptune in `language`, built by its own builders for each setting
/// that changes the text (ConditionalCreate, GremlinUpsertStyle).
fn writer_queries(language: &str) -> Vec<String> {
    let edges = edges();
    let random = || "r-1".to_owned();
    match language {
        "Gremlin" => [UpsertStyle::Merge, UpsertStyle::Coalesce]
            .into_iter()
            .flat_map(|upsert| {
                let edges = &edges;
                [true, false].into_iter().map(move |conditional_create| {
                    gremlin::batch_query(
                        edges,
                        GremlinStyle {
                            upsert,
                            conditional_create,
                        },
                        random,
                    )
                })
            })
            .collect(),
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

/// The source of each code cell of a notebook.
fn notebook_cells(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("read notebook");
    let notebook: serde_json::Value = serde_json::from_str(&text).expect("notebook JSON");
    notebook["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .filter(|cell| cell["cell_type"] == "code")
        .map(|cell| match &cell["source"] {
            serde_json::Value::Array(lines) => lines
                .iter()
                .map(|l| l.as_str().unwrap_or_default())
                .collect(),
            other => other.as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// What graph-notebook sends for each cell of the notebooks, as IAM actions.
fn notebook_needs() -> Vec<Need> {
    let mut needs = Vec::new();
    let dir = common::repo_root().join("notebooks");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("read notebooks/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ipynb"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 3, "{paths:?}");
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for cell in notebook_cells(&path) {
            let first = cell.lines().next().unwrap_or_default().trim();
            let body: String = cell.lines().skip(1).collect::<Vec<_>>().join("\n");
            let why = format!("{name}: {first}");
            let language = match first.split_whitespace().next().unwrap_or_default() {
                "%%gremlin" => Some("Gremlin"),
                "%%sparql" => Some("Sparql"),
                "%%oc" | "%%opencypher" => Some("OpenCypher"),
                _ => None,
            };
            if let Some(language) = language {
                for action in neptune_query_actions(language, &body) {
                    needs.push(need(action, Some(language), "neptune-db:", &why));
                }
                continue;
            }
            for line in cell.lines().map(str::trim).filter(|l| l.starts_with('%')) {
                let magic = line.split_whitespace().next().unwrap_or_default();
                let why = format!("{name}: {magic}");
                match magic {
                    // graph-notebook starts the job (POST /loader) and polls it (GET /loader/{id}).
                    "%load" => {
                        needs.push(need("neptune-db:StartLoaderJob", None, "neptune-db:", &why));
                        needs.push(need(
                            "neptune-db:GetLoaderJobStatus",
                            None,
                            "neptune-db:",
                            &why,
                        ));
                    }
                    "%load_status" => needs.push(need(
                        "neptune-db:GetLoaderJobStatus",
                        None,
                        "neptune-db:",
                        &why,
                    )),
                    // Local settings: no request.
                    "%graph_notebook_config" | "%%graph_notebook_config" | "%load_ext" | "%env" => {
                    }
                    other => panic!(
                        "{name} uses {other}: map what it sends to its IAM action in tests/iam.rs"
                    ),
                }
            }
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

/// What each role of a stack rendered for `language` and `destination` needs.
fn needs(
    template: &Value,
    language: &'static str,
    destination: OnFailureDestination,
) -> BTreeMap<&'static str, Vec<Need>> {
    let resources = &template["Resources"];
    let script = |value: &Value| -> String {
        let sub = &untagged(value)["Fn::Sub"];
        untagged(&untagged(sub)[0])
            .as_str()
            .expect("script")
            .to_owned()
    };
    let lifecycle = script(&resources["NotebookLifecycle"]["Properties"]["OnStart"][0]["Content"]);
    let user_data =
        script(&resources["DriverLaunchTemplate"]["Properties"]["LaunchTemplateData"]["UserData"]);
    let mut writer = writer_neptune_needs(language);
    writer.extend(writer_sqs_needs());
    writer.extend(service_needs("WriterRole"));
    writer.extend(on_failure_needs(destination));
    let mut notebook = notebook_needs();
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
            upsert: UpsertStyle::Merge,
            conditional_create: true,
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
