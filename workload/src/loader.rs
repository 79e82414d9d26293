//! The `load` subcommand: loads the people into the graph before the edges stream in.
//!
//! On AWS it starts a Neptune bulk load (`POST /loader`) of an S3 prefix and polls
//! `GET /loader/{loadId}?details=true&errors=true` until the job ends, printing progress and
//! Neptune's error log; requests are SigV4-signed (service `neptune-db`) when IAM auth is on.
//! Locally it posts `people.nt` to a SPARQL store's graph store endpoint (`/store?default`,
//! as Oxigraph serves it) in chunks.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::ProvideCredentials;
use serde_json::{Value, json};
pub use stream2neptune_aws::{ExtraRoots, Signer};

use crate::error::LoadError;
use stream2neptune_process::shutdown::{Interrupted, Shutdown};

/// Neptune's default port, used when --endpoint is a bare host.
pub const NEPTUNE_PORT: u16 = 8182;
/// The SigV4 service name of Neptune's data plane.
pub const NEPTUNE_SIGNING_NAME: &str = "neptune-db";
/// Bulk-load formats Neptune accepts.
pub const LOAD_FORMATS: &[&str] = &[
    "csv",
    "opencypher",
    "ntriples",
    "nquads",
    "rdfxml",
    "turtle",
];
/// Bulk-load parallelism levels.
pub const PARALLELISM: &[&str] = &["LOW", "MEDIUM", "HIGH", "OVERSUBSCRIBE"];
/// Statuses of a load job that is still going.
pub const RUNNING_STATUSES: &[&str] = &["LOAD_NOT_STARTED", "LOAD_IN_QUEUE", "LOAD_IN_PROGRESS"];
/// The status of a load job that succeeded.
pub const COMPLETED_STATUS: &str = "LOAD_COMPLETED";
/// Largest request body sent to a local store.
pub const LOCAL_CHUNK_BYTES: usize = 8 * 1024 * 1024;

/// Flags of `stream2neptune load`: either a Neptune bulk load (--endpoint, --source,
/// --role-arn, --region) or a local load (--local, --people).
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// Neptune cluster endpoint: a bare host (https://<host>:8182) or a full URL.
    #[arg(long, env = "NEPTUNE_ENDPOINT")]
    pub endpoint: Option<String>,
    /// S3 location of the vertex files (s3://bucket/prefix), in the cluster's region.
    #[arg(long, env = "VERTEX_FILE_S3_LOCATION")]
    pub source: Option<String>,
    /// ARN of the IAM role Neptune assumes to read the S3 location.
    #[arg(long, env = "LOADER_ROLE_ARN")]
    pub role_arn: Option<String>,
    /// Region of the cluster and the S3 bucket.
    #[arg(long, env = "AWS_REGION")]
    pub region: Option<String>,
    /// Format of the files (csv, opencypher, ntriples, nquads, rdfxml, turtle).
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// Loader parallelism (LOW, MEDIUM, HIGH, OVERSUBSCRIBE).
    #[arg(long, default_value = "HIGH")]
    pub parallelism: String,
    /// Sign requests with SigV4 (the cluster has IAM database authentication on).
    #[arg(long, env = "IAM_AUTH")]
    pub iam_auth: bool,
    /// Seconds between two status polls.
    #[arg(long, default_value_t = 5)]
    pub poll_secs: u64,
    /// Local SPARQL store URL (e.g. http://127.0.0.1:7878) to load people.nt into; with it the
    /// Neptune flags are ignored.
    #[arg(long, requires = "people")]
    pub local: Option<String>,
    /// Data set directory (with vertices/people.nt) or the people.nt file, for --local.
    #[arg(long, requires = "local")]
    pub people: Option<PathBuf>,
}

/// A Neptune bulk-load request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkLoad {
    /// Base URL of the cluster, without a trailing slash.
    pub endpoint: String,
    /// S3 location.
    pub source: String,
    /// IAM role ARN for S3.
    pub role_arn: String,
    /// Region.
    pub region: String,
    /// File format.
    pub format: String,
    /// Parallelism.
    pub parallelism: String,
    /// Sign with SigV4.
    pub iam_auth: bool,
    /// Poll interval.
    pub poll: Duration,
}

/// What `load` does, resolved from the flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadPlan {
    /// A Neptune bulk load.
    Neptune(BulkLoad),
    /// A local load of an N-Triples file into a SPARQL store.
    Local {
        /// Store base URL, without a trailing slash.
        url: String,
        /// The N-Triples file.
        people_nt: PathBuf,
    },
}

/// `https://host:8182` for a bare host, the URL itself (without trailing slash) otherwise.
pub fn endpoint_url(endpoint: &str) -> String {
    if endpoint.contains("://") {
        endpoint.trim_end_matches('/').to_owned()
    } else {
        format!("https://{endpoint}:{NEPTUNE_PORT}")
    }
}

impl LoadPlan {
    /// Validates the flags.
    pub fn from_args(args: &LoadArgs) -> Result<Self, LoadError> {
        let invalid = |field, value: &str, allowed: &str| LoadError::InvalidParameter {
            field,
            value: value.to_owned(),
            allowed: allowed.to_owned(),
        };
        if let (Some(url), Some(people)) = (&args.local, &args.people) {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(invalid("--local", url, "an http:// or https:// URL"));
            }
            let people_nt = if people.is_dir() {
                people.join("vertices/people.nt")
            } else {
                people.clone()
            };
            return Ok(Self::Local {
                url: url.trim_end_matches('/').to_owned(),
                people_nt,
            });
        }
        let required = |flag, env, what, value: &Option<String>| {
            value
                .clone()
                .filter(|v| !v.trim().is_empty())
                .ok_or(LoadError::MissingSetting { flag, env, what })
        };
        let endpoint = required(
            "--endpoint",
            "NEPTUNE_ENDPOINT",
            "the cluster's endpoint, the stack's ClusterEndpoint output",
            &args.endpoint,
        )?;
        let source = required(
            "--source",
            "VERTEX_FILE_S3_LOCATION",
            "the S3 location of the vertex files, the stack's VertexFile output",
            &args.source,
        )?;
        if !source.starts_with("s3://") {
            return Err(invalid(
                "--source",
                &source,
                "an s3://bucket/prefix location",
            ));
        }
        let role_arn = required(
            "--role-arn",
            "LOADER_ROLE_ARN",
            "the IAM role Neptune reads S3 with, the stack's LoaderRoleArn output",
            &args.role_arn,
        )?;
        if !role_arn.starts_with("arn:") || !role_arn.contains(":role/") {
            return Err(invalid(
                "--role-arn",
                &role_arn,
                "an IAM role ARN arn:aws:iam::<account>:role/<name>",
            ));
        }
        let region = required(
            "--region",
            "AWS_REGION",
            "the region of the cluster and the bucket",
            &args.region,
        )?;
        if !LOAD_FORMATS.contains(&args.format.as_str()) {
            return Err(invalid("--format", &args.format, &LOAD_FORMATS.join(", ")));
        }
        let parallelism = args.parallelism.to_uppercase();
        if !PARALLELISM.contains(&parallelism.as_str()) {
            return Err(invalid(
                "--parallelism",
                &args.parallelism,
                &PARALLELISM.join(", "),
            ));
        }
        if args.poll_secs == 0 {
            return Err(invalid("--poll-secs", "0", "at least 1 second"));
        }
        Ok(Self::Neptune(BulkLoad {
            endpoint: endpoint_url(&endpoint),
            source,
            role_arn,
            region,
            format: args.format.clone(),
            parallelism,
            iam_auth: args.iam_auth,
            poll: Duration::from_secs(args.poll_secs),
        }))
    }
}

/// The state of a load job, from `GET /loader/{loadId}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadStatus {
    /// The overall status (`LOAD_IN_PROGRESS`, `LOAD_COMPLETED`, ...).
    pub status: String,
    /// Records processed so far.
    pub total_records: u64,
    /// Seconds spent so far.
    pub total_time_spent: u64,
    /// Duplicates skipped.
    pub duplicates: u64,
    /// Parsing errors.
    pub parsing_errors: u64,
    /// Datatype mismatch errors.
    pub datatype_errors: u64,
    /// Insert errors.
    pub insert_errors: u64,
    /// Error log lines (`code: message (file, record n)`).
    pub errors: Vec<String>,
}

impl LoadStatus {
    /// Whether the job has ended.
    pub fn is_terminal(&self) -> bool {
        !RUNNING_STATUSES.contains(&self.status.as_str())
    }

    fn parse(payload: &Value) -> Option<Self> {
        let overall = &payload["overallStatus"];
        let n = |v: &Value| v.as_u64().unwrap_or(0);
        let errors = payload["errors"]["errorLogs"]
            .as_array()
            .map(|logs| {
                logs.iter()
                    .map(|e| {
                        format!(
                            "{}: {} ({}, record {})",
                            e["errorCode"].as_str().unwrap_or("-"),
                            e["errorMessage"].as_str().unwrap_or("-"),
                            e["fileName"].as_str().unwrap_or("-"),
                            e["recordNum"]
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Self {
            status: overall["status"].as_str()?.to_owned(),
            total_records: n(&overall["totalRecords"]),
            total_time_spent: n(&overall["totalTimeSpent"]),
            duplicates: n(&overall["totalDuplicates"]),
            parsing_errors: n(&overall["parsingErrors"]),
            datatype_errors: n(&overall["datatypeMismatchErrors"]),
            insert_errors: n(&overall["insertErrors"]),
            errors,
        })
    }
}

/// A SigV4 signer for Neptune's data plane in `region`, with credentials from the default chain
/// (environment, profile, instance role).
pub async fn signer_from_environment(region: &str) -> Result<Signer, LoadError> {
    let config = stream2neptune_aws::kinesis::config_loader()
        .region(aws_config::Region::new(region.to_owned()))
        .load()
        .await;
    let provider = config
        .credentials_provider()
        .ok_or_else(|| LoadError::Signing("no credentials provider configured".into()))?;
    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|e| LoadError::Signing(e.to_string()))?;
    Ok(Signer::new(credentials, region, NEPTUNE_SIGNING_NAME))
}

/// A client of Neptune's bulk loader API.
#[derive(Debug, Clone)]
pub struct LoaderClient {
    http: reqwest::Client,
    endpoint: String,
    signer: Option<Signer>,
}

impl LoaderClient {
    /// A client for `endpoint` (a base URL), signing when `signer` is given, trusting Mozilla's roots and `roots`
    /// (SSL_CERT_FILE / SSL_CERT_DIR, [`ExtraRoots::from_env`]).
    pub fn new(
        endpoint: impl Into<String>,
        signer: Option<Signer>,
        roots: &ExtraRoots,
    ) -> Result<Self, LoadError> {
        let endpoint = endpoint.into();
        let http = roots
            .client_builder()
            .build()
            .map_err(|source| LoadError::Connect {
                url: endpoint.clone(),
                source,
            })?;
        Ok(Self {
            http,
            endpoint,
            signer,
        })
    }

    async fn call(
        &self,
        method: &'static str,
        path_and_query: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Value, LoadError> {
        let url = format!("{}{path_and_query}", self.endpoint);
        let content_type = [("content-type", "application/json")];
        let headers: &[(&str, &str)] = if body.is_some() { &content_type } else { &[] };
        let body = body.unwrap_or_default();
        let mut request = match method {
            "POST" => self.http.post(&url),
            _ => self.http.get(&url),
        };
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(signer) = &self.signer {
            for (name, value) in signer
                .sign(method, &url, headers, &body, SystemTime::now())
                .map_err(|e| LoadError::Signing(e.to_string()))?
            {
                request = request.header(name, value);
            }
        }
        if method == "POST" {
            request = request.body(body);
        }
        let response = request
            .send()
            .await
            .map_err(|source| connect_error(&url, source))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|source| connect_error(&url, source))?;
        let json: Option<Value> = serde_json::from_str(&text).ok();
        if !(200..300).contains(&status) {
            let field = |name: &str| {
                json.as_ref()
                    .and_then(|j| j[name].as_str())
                    .map(str::to_owned)
            };
            return Err(LoadError::Http {
                method,
                url,
                status,
                code: field("code").unwrap_or_else(|| "-".into()),
                message: field("detailedMessage").unwrap_or(text),
            });
        }
        json.ok_or_else(|| LoadError::Unexpected {
            url,
            reason: format!("not JSON: {text:.200}"),
        })
    }

    /// Starts a bulk load; returns its load id.
    pub async fn start(&self, load: &BulkLoad) -> Result<String, LoadError> {
        let body = json!({
            "source": load.source,
            "format": load.format,
            "iamRoleArn": load.role_arn,
            "region": load.region,
            "failOnError": "FALSE",
            "parallelism": load.parallelism,
            "updateSingleCardinalityProperties": "FALSE",
            "queueRequest": "TRUE",
        });
        let answer = self
            .call("POST", "/loader", Some(body.to_string().into_bytes()))
            .await?;
        answer["payload"]["loadId"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| LoadError::Unexpected {
                url: format!("{}/loader", self.endpoint),
                reason: format!("no payload.loadId in {answer}"),
            })
    }

    /// The status of a load job, with details and the first page of errors.
    pub async fn status(&self, load_id: &str) -> Result<LoadStatus, LoadError> {
        let path = format!(
            "/loader/{}?details=true&errors=true&errorsPerPage=50",
            percent_encoding::utf8_percent_encode(load_id, percent_encoding::NON_ALPHANUMERIC)
        );
        let answer = self.call("GET", &path, None).await?;
        LoadStatus::parse(&answer["payload"]).ok_or_else(|| LoadError::Unexpected {
            url: format!("{}{path}", self.endpoint),
            reason: format!("no payload.overallStatus.status in {answer}"),
        })
    }

    /// Starts a load and polls it every `load.poll` until it ends; `progress` sees every poll.
    /// Anything but `LOAD_COMPLETED` is an error carrying Neptune's error log.
    pub async fn load(
        &self,
        load: &BulkLoad,
        mut progress: impl FnMut(&str, &LoadStatus),
    ) -> Result<LoadStatus, LoadError> {
        let load_id = self.start(load).await?;
        loop {
            let status = self.status(&load_id).await?;
            progress(&load_id, &status);
            if status.is_terminal() {
                if status.status == COMPLETED_STATUS {
                    return Ok(status);
                }
                return Err(LoadError::Failed {
                    load_id,
                    records: status.total_records,
                    parsing: status.parsing_errors,
                    insert: status.insert_errors,
                    errors: status.errors.iter().map(|e| format!("\n  {e}")).collect(),
                    status: status.status,
                });
            }
            tokio::time::sleep(load.poll).await;
        }
    }
}

/// The error of a request to `url` that got no answer: a refused certificate says so, anything else is
/// [`LoadError::Connect`].
fn connect_error(url: &str, source: reqwest::Error) -> LoadError {
    match stream2neptune_aws::tls::refused_certificate(&source) {
        Some(reason) => LoadError::Certificate {
            url: url.to_owned(),
            reason,
        },
        None => LoadError::Connect {
            url: url.to_owned(),
            source,
        },
    }
}

/// Loads an N-Triples file into the default graph of a local store (`POST {url}/store?default`),
/// in chunks of whole lines of at most [`LOCAL_CHUNK_BYTES`]. Returns the triples sent.
pub async fn load_local(url: &str, people_nt: &Path) -> Result<u64, LoadError> {
    let text = std::fs::read_to_string(people_nt).map_err(|source| LoadError::Read {
        path: people_nt.to_owned(),
        source,
    })?;
    let http = reqwest::Client::new();
    let target = format!("{url}/store?default");
    let mut triples = 0;
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let cut = if rest.len() <= LOCAL_CHUNK_BYTES {
            rest.len()
        } else {
            rest[..LOCAL_CHUNK_BYTES]
                .rfind('\n')
                .map_or(rest.len(), |i| i + 1)
        };
        let (chunk, tail) = rest.split_at(cut);
        rest = tail;
        let response = http
            .post(&target)
            .header("content-type", "application/n-triples")
            .body(chunk.to_owned())
            .send()
            .await
            .map_err(|source| LoadError::Connect {
                url: target.clone(),
                source,
            })?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(LoadError::Http {
                method: "POST",
                url: target,
                status,
                code: "-".into(),
                message: response.text().await.unwrap_or_default(),
            });
        }
        triples += chunk.lines().filter(|l| !l.trim().is_empty()).count() as u64;
    }
    Ok(triples)
}

/// Runs `stream2neptune load`; a signal of `shutdown` stops it (a Neptune bulk load goes on in Neptune).
pub async fn run_load(args: LoadArgs, shutdown: Shutdown) -> anyhow::Result<()> {
    let mut out = std::io::stdout();
    match LoadPlan::from_args(&args)? {
        LoadPlan::Local { url, people_nt } => {
            let triples = shutdown
                .or_signal(load_local(&url, &people_nt))
                .await
                .map_err(|signal| Interrupted {
                    signal,
                    message: format!(
                        "the load of {} into {url} stopped part way; run it again (loading the same triples twice stores them once)",
                        people_nt.display()
                    ),
                })??;
            let _ = writeln!(
                out,
                "loaded {triples} triples from {} into {url}",
                people_nt.display()
            );
        }
        LoadPlan::Neptune(load) => {
            let signer = if load.iam_auth {
                Some(signer_from_environment(&load.region).await?)
            } else {
                None
            };
            let client = LoaderClient::new(&load.endpoint, signer, &ExtraRoots::from_env()?)?;
            let mut load_id = None;
            let polled = shutdown
                .or_signal(client.load(&load, |id, s| {
                    load_id.get_or_insert_with(|| id.to_owned());
                    let _ = writeln!(
                        out,
                        "load {id}: {} — {} records, {} duplicates, {} errors, {} s",
                        s.status,
                        s.total_records,
                        s.duplicates,
                        s.parsing_errors + s.datatype_errors + s.insert_errors,
                        s.total_time_spent
                    );
                    for e in &s.errors {
                        let _ = writeln!(out, "  {e}");
                    }
                }))
                .await;
            let status = match polled {
                Ok(status) => status?,
                Err(signal) => {
                    return Err(Interrupted {
                        signal,
                        message: match load_id {
                            Some(id) => format!(
                                "stopped watching; bulk load {id} goes on in Neptune (GET {}/loader/{id} shows it, DELETE cancels it)",
                                load.endpoint
                            ),
                            None => format!(
                                "stopped before Neptune answered; a bulk load of {} may have started (GET {}/loader lists them)",
                                load.source, load.endpoint
                            ),
                        },
                    }
                    .into());
                }
            };
            let _ = writeln!(
                out,
                "bulk load of {} completed: {} records in {} s",
                load.source, status.total_records, status.total_time_spent
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        load: LoadArgs,
    }

    fn plan(argv: &[&str]) -> Result<LoadPlan, LoadError> {
        let mut all = vec!["x"];
        all.extend_from_slice(argv);
        LoadPlan::from_args(&Cli::try_parse_from(all).unwrap().load)
    }

    const GOOD: &[&str] = &[
        "--endpoint",
        "db.cluster-x.us-east-1.neptune.amazonaws.com",
        "--source",
        "s3://b/vertices/",
        "--role-arn",
        "arn:aws:iam::123456789012:role/load",
        "--region",
        "us-east-1",
    ];

    #[test]
    fn a_bare_host_gets_https_and_port_8182() {
        let LoadPlan::Neptune(load) = plan(GOOD).unwrap() else {
            panic!("expected a Neptune load");
        };
        assert_eq!(
            load.endpoint,
            "https://db.cluster-x.us-east-1.neptune.amazonaws.com:8182"
        );
        assert_eq!(endpoint_url("http://127.0.0.1:9/"), "http://127.0.0.1:9");
    }

    #[test]
    fn bad_flags_name_the_flag_and_what_is_allowed() {
        let with = |flag: &str, value: &str| {
            let mut argv: Vec<&str> = GOOD.to_vec();
            let i = argv.iter().position(|a| *a == flag).unwrap();
            argv[i + 1] = value;
            plan(&argv.iter().map(|s| s.to_owned()).collect::<Vec<_>>())
                .unwrap_err()
                .to_string()
        };
        assert!(with("--source", "b/x").starts_with("invalid --source = b/x: an s3://"));
        assert!(
            with("--role-arn", "load").starts_with("invalid --role-arn = load: an IAM role ARN")
        );
        let err = plan(&[GOOD, &["--format", "json"]].concat())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("invalid --format = json: csv, opencypher"),
            "{err}"
        );
        let err = plan(&GOOD[..6]).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "a Neptune bulk load needs --region (or the AWS_REGION environment variable): "
            ),
            "{err}"
        );
    }

    #[test]
    fn local_mode_finds_people_nt_in_a_data_set_dir() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        assert_eq!(
            plan(&["--local", "http://127.0.0.1:7878/", "--people", d]).unwrap(),
            LoadPlan::Local {
                url: "http://127.0.0.1:7878".into(),
                people_nt: dir.path().join("vertices/people.nt"),
            }
        );
        let err = plan(&["--local", "127.0.0.1:7878", "--people", d])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("invalid --local"), "{err}");
    }
}
