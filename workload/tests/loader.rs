//! The bulk-load client against a local server that plays back Neptune's loader answers (the signed load over TLS,
//! through the test kit's proxy with a CA made for the run, as Neptune is reached), certificates the client does
//! not trust refused naming the URL, and the local load against a real Oxigraph server (started here on a free
//! loopback port).

mod support;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use stream2neptune_process::shutdown::Shutdown;
use stream2neptune_testkit::{TestCa, TlsProxy};
use stream2neptune_workload::dataset::{DatasetArgs, DatasetConfig, generate};
use stream2neptune_workload::error::LoadError;
use stream2neptune_workload::loader::{
    BulkLoad, ExtraRoots, LoadArgs, LoaderClient, Signer, load_local, run_load,
};
use support::{Oxigraph, free_port};

/// A request the replay server received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Answers each request with the next scripted (status, JSON) and records what it got.
struct Replay {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Replay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn replay(script: Vec<(u16, Value)>) -> Replay {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let seen2 = Arc::clone(&seen);
    let task = tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (seen, script) = (Arc::clone(&seen2), Arc::clone(&script));
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let (seen, script) = (Arc::clone(&seen), Arc::clone(&script));
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body.collect().await.unwrap().to_bytes();
                            seen.lock().unwrap().push(Seen {
                                method: parts.method.to_string(),
                                path: parts.uri.to_string(),
                                headers: parts
                                    .headers
                                    .iter()
                                    .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
                                    .collect(),
                                body: String::from_utf8(body.to_vec()).unwrap(),
                            });
                            let (status, answer) = script
                                .lock()
                                .unwrap()
                                .pop_front()
                                .unwrap_or((500, json!({"code": "ScriptExhausted"})));
                            Ok::<_, std::convert::Infallible>(
                                hyper::Response::builder()
                                    .status(status)
                                    .header("content-type", "application/json")
                                    .body(Full::new(Bytes::from(answer.to_string())))
                                    .unwrap(),
                            )
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Replay { url, seen, task }
}

fn started(load_id: &str) -> (u16, Value) {
    (
        200,
        json!({"status": "200 OK", "payload": {"loadId": load_id}}),
    )
}

fn status(status: &str, records: u64, errors: Value) -> (u16, Value) {
    (
        200,
        json!({"status": "200 OK", "payload": {
            "feedCount": [{status: 1}],
            "overallStatus": {
                "fullUri": "s3://bucket/vertices/", "runNumber": 1, "retryNumber": 0,
                "status": status, "totalTimeSpent": 4, "startTime": 1_700_000_000,
                "totalRecords": records, "totalDuplicates": 0, "parsingErrors": errors.as_array().map_or(0, Vec::len),
                "datatypeMismatchErrors": 0, "insertErrors": 0
            },
            "errors": {"startIndex": 1, "endIndex": 1, "loadId": "L1", "errorLogs": errors}
        }}),
    )
}

fn bulk_load(endpoint: &str) -> BulkLoad {
    BulkLoad {
        endpoint: endpoint.to_owned(),
        source: "s3://bucket/vertices/".into(),
        role_arn: "arn:aws:iam::123456789012:role/NeptuneLoadFromS3".into(),
        region: "us-east-1".into(),
        format: "csv".into(),
        parallelism: "HIGH".into(),
        iam_auth: true,
        poll: Duration::from_millis(10),
    }
}

/// The port of a replay server's `http://127.0.0.1:PORT`.
fn port_of(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().parse().unwrap()
}

/// The CA certificates of `ca` as SSL_CERT_FILE names them.
fn trusting(ca: &TestCa) -> ExtraRoots {
    let file = ca.pem_file().display().to_string();
    ExtraRoots::from_lookup(|name| (name == "SSL_CERT_FILE").then(|| file.clone())).unwrap()
}

#[tokio::test]
async fn a_load_is_started_polled_to_completion_and_signed_over_tls() {
    // GIVEN a Neptune that reports the load in progress, then completed, reached over TLS (a proxy whose certificate
    // a CA made for this run issued; the client trusts that CA through SSL_CERT_FILE, nothing else does)
    let server = replay(vec![
        started("L1"),
        status("LOAD_IN_PROGRESS", 40, json!([])),
        status("LOAD_COMPLETED", 100, json!([])),
    ])
    .await;
    let ca = TestCa::new("stream2neptune loader test CA");
    let tls = TlsProxy::start(&ca, port_of(&server.url));
    let endpoint = tls.url();
    assert!(endpoint.starts_with("https://"));
    let credentials = aws_credential_types::Credentials::new(
        "AKIDEXAMPLE",
        "secret",
        Some("session-token".into()),
        None,
        "test",
    );
    let client = LoaderClient::new(
        &endpoint,
        Some(Signer::new(credentials, "us-east-1", "neptune-db")),
        &trusting(&ca),
    )
    .unwrap();

    // WHEN a load runs
    let mut polls = Vec::new();
    let done = client
        .load(&bulk_load(&endpoint), |id, s| {
            polls.push((id.to_owned(), s.status.clone()))
        })
        .await
        .unwrap();

    // THEN it completed after two polls of that load id
    assert_eq!(done.status, "LOAD_COMPLETED");
    assert_eq!(done.total_records, 100);
    assert_eq!(
        polls,
        [
            ("L1".to_owned(), "LOAD_IN_PROGRESS".to_owned()),
            ("L1".to_owned(), "LOAD_COMPLETED".to_owned())
        ]
    );
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    // AND the start request carries the documented fields
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("POST", "/loader")
    );
    let body: Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(body["source"], "s3://bucket/vertices/");
    assert_eq!(body["format"], "csv");
    assert_eq!(
        body["iamRoleArn"],
        "arn:aws:iam::123456789012:role/NeptuneLoadFromS3"
    );
    assert_eq!(body["region"], "us-east-1");
    assert_eq!(seen[0].header("content-type"), Some("application/json"));
    assert_eq!(seen[1].method, "GET");
    assert_eq!(
        seen[1].path,
        "/loader/L1?details=true&errors=true&errorsPerPage=50"
    );
    // AND every request is SigV4-signed for neptune-db with the session token
    for s in &seen {
        let auth = s.header("authorization").expect("an authorization header");
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
            "{auth}"
        );
        assert!(
            auth.contains("/us-east-1/neptune-db/aws4_request"),
            "{auth}"
        );
        assert!(
            auth.contains("SignedHeaders=") && auth.contains("host") && auth.contains("x-amz-date"),
            "{auth}"
        );
        assert!(s.header("x-amz-date").is_some());
        assert_eq!(s.header("x-amz-security-token"), Some("session-token"));
    }
}

#[tokio::test]
async fn a_failed_load_reports_neptune_s_error_log() {
    // GIVEN a Neptune whose load fails with a parsing error
    let errors = json!([{
        "errorCode": "PARSING_ERROR",
        "errorMessage": "Expected '<', found: |",
        "fileName": "s3://bucket/vertices/people.csv",
        "recordNum": 3
    }]);
    let server = replay(vec![started("L2"), status("LOAD_FAILED", 2, errors)]).await;
    let client = LoaderClient::new(&server.url, None, &ExtraRoots::default()).unwrap();

    // WHEN the load runs
    let err = client
        .load(&bulk_load(&server.url), |_, _| {})
        .await
        .unwrap_err();

    // THEN the error names the status and each logged error
    assert!(matches!(err, LoadError::Failed { .. }), "{err}");
    let message = err.to_string();
    for part in [
        "load L2 ended with LOAD_FAILED",
        "1 parsing errors",
        "PARSING_ERROR: Expected '<', found: |",
        "people.csv, record 3",
    ] {
        assert!(message.contains(part), "{part:?} not in {message}");
    }
    // AND without IAM auth nothing is signed
    assert!(
        server
            .seen
            .lock()
            .unwrap()
            .iter()
            .all(|s| s.header("authorization").is_none())
    );
}

#[tokio::test]
async fn a_refused_start_names_neptune_s_code_and_message() {
    let server = replay(vec![(
        400,
        json!({"code": "BadRequestException", "requestId": "r1", "detailedMessage": "Failed to start new load for the source s3://bucket/vertices/. Max concurrent load limit breached."}),
    )])
    .await;
    let client = LoaderClient::new(&server.url, None, &ExtraRoots::default()).unwrap();
    let err = client
        .load(&bulk_load(&server.url), |_, _| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("HTTP 400: BadRequestException: Failed to start new load"),
        "{err}"
    );
}

#[tokio::test]
async fn a_certificate_the_loader_does_not_trust_is_refused_naming_the_url() {
    // GIVEN a proxy whose certificate another CA issued, and one whose certificate names localhost (nothing
    // listens behind either: a refused handshake never gets there)
    let theirs = TestCa::new("stream2neptune untrusted CA");
    let ours = TestCa::new("stream2neptune loader test CA");
    let other_ca = TlsProxy::start(&theirs, support::free_port());
    let our_ca = TlsProxy::start(&ours, support::free_port());
    let by_address = format!("https://127.0.0.1:{}", our_ca.port);

    for (endpoint, reason) in [
        (other_ca.url(), "UnknownIssuer".to_owned()),
        (
            by_address.clone(),
            "certificate not valid for name \"127.0.0.1\"; certificate is only valid for DnsName(\"localhost\")"
                .to_owned(),
        ),
    ] {
        // WHEN a load is started there by a client trusting our CA
        let client = LoaderClient::new(&endpoint, None, &trusting(&ours)).unwrap();
        let err = client
            .load(&bulk_load(&endpoint), |_, _| {})
            .await
            .unwrap_err();

        // THEN the certificate is refused, the error naming the URL, rustls's reason and what to do
        assert!(matches!(err, LoadError::Certificate { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "the TLS certificate of {endpoint}/loader is not trusted: {reason}; "
            )),
            "{text}"
        );
        assert!(text.contains("add the CA that issued this certificate to SSL_CERT_FILE"), "{text}");
    }
}

async fn count(url: &str, pattern: &str) -> u64 {
    let answer = support::sparql_select(
        url,
        &format!("SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"),
    )
    .await;
    answer["results"]["bindings"][0]["n"]["value"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn people_load_into_a_real_oxigraph_once() {
    // GIVEN a data set of 500 people and an empty Oxigraph
    let dir = tempfile::tempdir().unwrap();
    let args = DatasetArgs {
        people: 500,
        follows: 1_000,
        seed: 4,
        out: dir.path().to_owned(),
        zipf_exponent: 1.0,
        start: "2018-01-01".into(),
        end: "2019-12-31".into(),
        gzip_level: 1,
    };
    generate(&DatasetConfig::from_args(&args).unwrap()).unwrap();
    let store = Oxigraph::start();

    // WHEN the people are loaded through the subcommand, then again through the library
    run_load(
        LoadArgs {
            endpoint: None,
            source: None,
            role_arn: None,
            region: None,
            format: "csv".into(),
            parallelism: "HIGH".into(),
            iam_auth: false,
            poll_secs: 5,
            local: Some(store.url()),
            people: Some(dir.path().to_owned()),
        },
        Shutdown::never(),
    )
    .await
    .unwrap();
    let sent = load_local(&store.url(), &dir.path().join("vertices/people.nt"))
        .await
        .unwrap();

    // THEN the store holds each person once, typed and named
    assert_eq!(sent, 1_000);
    assert_eq!(count(&store.url(), "?s ?p ?o").await, 1_000);
    assert_eq!(
        count(
            &store.url(),
            "?p a <http://stream2neptune.example/ontology/Person> ; <http://stream2neptune.example/ontology/name> ?n"
        )
        .await,
        500
    );
    assert_eq!(
        count(
            &store.url(),
            "<http://stream2neptune.example/person/p500> a ?c"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_store_that_is_down_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let nt = dir.path().join("people.nt");
    std::fs::write(&nt, "<http://a> <http://b> \"c\" .\n").unwrap();
    let url = format!("http://127.0.0.1:{}", free_port());
    let err = load_local(&url, &nt).await.unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("cannot reach {url}/store?default")),
        "{err}"
    );
}
