//! The writer's settings, resolved from the environment in one place ([`Config::from_lookup`]).
//!
//! Only NEPTUNE_ENDPOINT is required. Every invalid value fails at init with the variable's name,
//! the value and what is allowed.

use std::path::PathBuf;
use std::time::Duration;

/// DEADLINE_MARGIN_MS default: time kept before the invocation deadline to answer Lambda.
pub const DEFAULT_DEADLINE_MARGIN_MS: u64 = 1_000;
/// REQUEST_TIMEOUT_MS default: the longest one write attempt may take.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 30_000;
/// STOP_WAIT_MS default: how long an invocation waits, after an error of the environment, before
/// answering (bounded by the deadline), so a broken policy or endpoint does not spin the shard.
pub const DEFAULT_STOP_WAIT_MS: u64 = 30_000;

/// Query language used for writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryLanguage {
    /// Gremlin over HTTP, `POST /gremlin` (default).
    Gremlin,
    /// SPARQL 1.1 Update, `POST /sparql` form field `update=`.
    Sparql,
    /// openCypher, `POST /openCypher` form fields `query=` and `parameters=`.
    OpenCypher,
}

/// How Gremlin upserts are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertStyle {
    /// `mergeV()` / `mergeE()` (TinkerPop 3.6, Neptune engine 1.2.1.0 and later; default).
    Merge,
    /// `fold().coalesce(unfold(), ...)`, for engines before 1.2.1.0.
    Coalesce,
}

/// Static AWS credentials of the execution environment (the Lambda role's session).
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    /// AWS_ACCESS_KEY_ID.
    pub access_key_id: String,
    /// AWS_SECRET_ACCESS_KEY.
    pub secret_access_key: String,
    /// AWS_SESSION_TOKEN (always set on Lambda).
    pub session_token: Option<String>,
}

impl AwsCredentials {
    /// A SigV4 signer with these credentials for `service` (`neptune-db`, `sqs`) in `region`.
    pub fn signer(&self, region: &str, service: &str) -> stream2neptune_aws::Signer {
        stream2neptune_aws::Signer::from_keys(
            &self.access_key_id,
            &self.secret_access_key,
            self.session_token.clone(),
            region,
            service,
        )
    }
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// The resolved configuration of the writer.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Base URL of the store, without a trailing slash (from NEPTUNE_ENDPOINT and NEPTUNE_PORT).
    pub endpoint: String,
    /// QUERY_LANGUAGE: `gremlin` (default), `sparql` or `opencypher`.
    pub query_language: QueryLanguage,
    /// CONDITIONAL_CREATE (default true): Gremlin and openCypher edge ids derived from (from,
    /// creationDate, to) and upserted; when false, a random edge id and a plain add (the sample's
    /// non-idempotent mode).
    pub conditional_create: bool,
    /// GREMLIN_UPSERT_STYLE: `merge` (default) or `coalesce`.
    pub upsert_style: UpsertStyle,
    /// IAM_AUTH (default true): sign store requests with SigV4, service `neptune-db`.
    pub iam_auth: bool,
    /// BATCH_WRITE_SIZE (default 100, 1..=10000): records per write request (one transaction).
    pub batch_write_size: usize,
    /// WRITE_CONCURRENCY (default 1, 1..=64): ordered lanes written at the same time.
    pub write_concurrency: usize,
    /// REJECTED_QUEUE_URL: SQS queue receiving malformed records.
    pub rejected_queue_url: Option<String>,
    /// REJECTED_RECORDS_FILE: JSON Lines file receiving malformed records (local mode).
    pub rejected_records_file: Option<PathBuf>,
    /// METRICS_NAMESPACE (default `stream2neptune`): CloudWatch namespace of the EMF metrics.
    pub metrics_namespace: String,
    /// CLUSTER_ID (default: the endpoint's host): value of the `ClusterId` metric dimension.
    pub cluster_id: String,
    /// AWS_REGION (or AWS_DEFAULT_REGION); required when signing.
    pub region: Option<String>,
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; required when signing.
    pub credentials: Option<AwsCredentials>,
    /// MAX_RECORD_BYTES (default 65536): larger records are rejected as oversize.
    pub max_record_bytes: usize,
    /// RETRY_MAX_ATTEMPTS (default 10, 1..=100): attempts per request, the first one included.
    pub retry_max_attempts: u32,
    /// RETRY_BASE_DELAY_MS (default 50): first back-off ceiling; doubles per attempt (full jitter).
    pub retry_base_delay: Duration,
    /// RETRY_MAX_DELAY_MS (default 5000): largest back-off ceiling.
    pub retry_max_delay: Duration,
    /// REQUEST_TIMEOUT_MS (default 30000): timeout of one store request (also bounded by the deadline).
    pub request_timeout: Duration,
    /// DEADLINE_MARGIN_MS (default 1000): time kept before the invocation deadline to answer Lambda.
    pub deadline_margin: Duration,
    /// STOP_WAIT_MS (default 30000, 0..=900000): wait before answering after an error of the
    /// environment (access denied, every record refused), bounded by the deadline.
    pub stop_wait: Duration,
}

/// An invalid or missing setting.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("{var} is not set: {hint}")]
    Missing {
        /// The variable.
        var: &'static str,
        /// What to set it to.
        hint: &'static str,
    },
    /// A variable has a value outside what is allowed.
    #[error("invalid {var}={value:?}: expected {allowed}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// The value found.
        value: String,
        /// What is allowed.
        allowed: String,
    },
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Resolves the configuration from any variable lookup (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let port = parse_range(&get, "NEPTUNE_PORT", 8182, 1, 65535)?;
        let raw_endpoint = get("NEPTUNE_ENDPOINT").ok_or(ConfigError::Missing {
            var: "NEPTUNE_ENDPOINT",
            hint: "set it to the cluster endpoint host (https://HOST:NEPTUNE_PORT is used) or a full URL such as http://127.0.0.1:7878",
        })?;
        let (endpoint, host) = resolve_endpoint(raw_endpoint.trim(), port as u16)?;

        let query_language = match get("QUERY_LANGUAGE")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("gremlin") => QueryLanguage::Gremlin,
            Some("sparql") => QueryLanguage::Sparql,
            Some("opencypher") => QueryLanguage::OpenCypher,
            Some(_) => {
                return Err(invalid(
                    "QUERY_LANGUAGE",
                    get("QUERY_LANGUAGE"),
                    "gremlin, sparql or opencypher",
                ));
            }
        };
        let upsert_style = match get("GREMLIN_UPSERT_STYLE")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("merge") => UpsertStyle::Merge,
            Some("coalesce") => UpsertStyle::Coalesce,
            Some(_) => {
                return Err(invalid(
                    "GREMLIN_UPSERT_STYLE",
                    get("GREMLIN_UPSERT_STYLE"),
                    "merge or coalesce",
                ));
            }
        };
        let conditional_create = parse_bool(&get, "CONDITIONAL_CREATE", true)?;
        let iam_auth = parse_bool(&get, "IAM_AUTH", true)?;
        let batch_write_size = parse_range(&get, "BATCH_WRITE_SIZE", 100, 1, 10_000)? as usize;
        let write_concurrency = parse_range(&get, "WRITE_CONCURRENCY", 1, 1, 64)? as usize;

        let rejected_queue_url = get("REJECTED_QUEUE_URL").map(|v| v.trim().to_owned());
        if let Some(url) = &rejected_queue_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(invalid(
                "REJECTED_QUEUE_URL",
                Some(url.clone()),
                "an SQS queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/rejects",
            ));
        }
        let rejected_records_file = get("REJECTED_RECORDS_FILE").map(PathBuf::from);
        if rejected_queue_url.is_some() && rejected_records_file.is_some() {
            return Err(invalid(
                "REJECTED_RECORDS_FILE",
                get("REJECTED_RECORDS_FILE"),
                "to be unset when REJECTED_QUEUE_URL is set (one rejected-records sink)",
            ));
        }

        let metrics_namespace = get("METRICS_NAMESPACE").unwrap_or_else(|| "stream2neptune".into());
        if metrics_namespace.len() > 255 {
            return Err(invalid(
                "METRICS_NAMESPACE",
                Some(metrics_namespace),
                "1 to 255 characters",
            ));
        }
        let cluster_id = get("CLUSTER_ID").unwrap_or(host);

        let region = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION"));
        let credentials = match (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) {
            (Some(access_key_id), Some(secret_access_key)) => Some(AwsCredentials {
                access_key_id,
                secret_access_key,
                session_token: get("AWS_SESSION_TOKEN"),
            }),
            _ => None,
        };
        if iam_auth || rejected_queue_url.is_some() {
            if region.is_none() {
                return Err(ConfigError::Missing {
                    var: "AWS_REGION",
                    hint: "requests are signed with SigV4 (IAM_AUTH or REJECTED_QUEUE_URL); set AWS_REGION, or IAM_AUTH=false for a local store",
                });
            }
            if credentials.is_none() {
                return Err(ConfigError::Missing {
                    var: "AWS_ACCESS_KEY_ID",
                    hint: "requests are signed with SigV4 (IAM_AUTH or REJECTED_QUEUE_URL) and need AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Lambda sets them); set IAM_AUTH=false for a local store",
                });
            }
        }

        let max_record_bytes =
            parse_range(&get, "MAX_RECORD_BYTES", 65_536, 64, 10_485_760)? as usize;
        let retry_max_attempts = parse_range(&get, "RETRY_MAX_ATTEMPTS", 10, 1, 100)? as u32;
        let retry_base_delay =
            Duration::from_millis(parse_range(&get, "RETRY_BASE_DELAY_MS", 50, 1, 60_000)?);
        let retry_max_delay =
            Duration::from_millis(parse_range(&get, "RETRY_MAX_DELAY_MS", 5_000, 1, 300_000)?);
        if retry_max_delay < retry_base_delay {
            return Err(invalid(
                "RETRY_MAX_DELAY_MS",
                get("RETRY_MAX_DELAY_MS"),
                &format!(
                    "at least RETRY_BASE_DELAY_MS ({} ms)",
                    retry_base_delay.as_millis()
                ),
            ));
        }
        let request_timeout = Duration::from_millis(parse_range(
            &get,
            "REQUEST_TIMEOUT_MS",
            DEFAULT_REQUEST_TIMEOUT_MS,
            100,
            900_000,
        )?);
        let deadline_margin = Duration::from_millis(parse_range(
            &get,
            "DEADLINE_MARGIN_MS",
            DEFAULT_DEADLINE_MARGIN_MS,
            0,
            60_000,
        )?);
        let stop_wait = Duration::from_millis(parse_range(
            &get,
            "STOP_WAIT_MS",
            DEFAULT_STOP_WAIT_MS,
            0,
            900_000,
        )?);

        Ok(Config {
            endpoint,
            query_language,
            conditional_create,
            upsert_style,
            iam_auth,
            batch_write_size,
            write_concurrency,
            rejected_queue_url,
            rejected_records_file,
            metrics_namespace,
            cluster_id,
            region,
            credentials,
            max_record_bytes,
            retry_max_attempts,
            retry_base_delay,
            retry_max_delay,
            request_timeout,
            deadline_margin,
            stop_wait,
        })
    }

    /// The URL write requests are posted to for the configured language.
    pub fn write_url(&self) -> String {
        match self.query_language {
            QueryLanguage::Gremlin => format!("{}/gremlin", self.endpoint),
            QueryLanguage::Sparql => format!("{}/sparql", self.endpoint),
            QueryLanguage::OpenCypher => format!("{}/openCypher", self.endpoint),
        }
    }
}

/// Bare host => `https://host:port`; a full http(s) URL is used as it is. Returns (base URL, host).
fn resolve_endpoint(raw: &str, port: u16) -> Result<(String, String), ConfigError> {
    const ALLOWED: &str = "a host name such as mycluster.cluster-abc.us-east-1.neptune.amazonaws.com, or a full URL such as http://127.0.0.1:7878";
    if raw.contains("://") {
        let url = url::Url::parse(raw).map_err(|e| {
            invalid(
                "NEPTUNE_ENDPOINT",
                Some(raw.into()),
                &format!("{ALLOWED} ({e})"),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https")
            || url.host_str().is_none()
            || url.query().is_some()
        {
            return Err(invalid("NEPTUNE_ENDPOINT", Some(raw.into()), ALLOWED));
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        Ok((raw.trim_end_matches('/').to_owned(), host))
    } else {
        let valid = raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !valid {
            return Err(invalid("NEPTUNE_ENDPOINT", Some(raw.into()), ALLOWED));
        }
        Ok((format!("https://{raw}:{port}"), raw.to_owned()))
    }
}

fn invalid(var: &'static str, value: Option<String>, allowed: &str) -> ConfigError {
    ConfigError::Invalid {
        var,
        value: value.unwrap_or_default(),
        allowed: allowed.to_owned(),
    }
}

fn parse_bool(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(var).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(_) => Err(invalid(var, get(var), "true or false")),
    }
}

fn parse_range(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    let Some(value) = get(var) else {
        return Ok(default);
    };
    match value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(invalid(
            var,
            Some(value),
            &format!("an integer from {min} to {max}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    const LOCAL: (&str, &str) = ("IAM_AUTH", "false");

    #[test]
    fn only_the_endpoint_is_required() {
        let c = config(&[
            (
                "NEPTUNE_ENDPOINT",
                "db.cluster-x.us-east-1.neptune.amazonaws.com",
            ),
            LOCAL,
        ])
        .unwrap();
        assert_eq!(
            c.endpoint,
            "https://db.cluster-x.us-east-1.neptune.amazonaws.com:8182"
        );
        assert_eq!(
            c.write_url(),
            "https://db.cluster-x.us-east-1.neptune.amazonaws.com:8182/gremlin"
        );
        assert_eq!(c.query_language, QueryLanguage::Gremlin);
        assert_eq!(c.upsert_style, UpsertStyle::Merge);
        assert!(c.conditional_create);
        assert_eq!((c.batch_write_size, c.write_concurrency), (100, 1));
        assert_eq!(c.metrics_namespace, "stream2neptune");
        assert_eq!(c.cluster_id, "db.cluster-x.us-east-1.neptune.amazonaws.com");
        assert_eq!(c.rejected_queue_url, None);
        assert_eq!(c.max_record_bytes, 65_536);
    }

    #[test]
    fn missing_endpoint_names_the_variable() {
        let err = config(&[LOCAL]).unwrap_err();
        assert!(
            err.to_string().starts_with("NEPTUNE_ENDPOINT is not set"),
            "{err}"
        );
    }

    #[test]
    fn full_url_is_used_as_is_and_port_applies_to_bare_hosts() {
        let c = config(&[
            ("NEPTUNE_ENDPOINT", "http://127.0.0.1:7878/"),
            ("QUERY_LANGUAGE", "SPARQL"),
            LOCAL,
        ])
        .unwrap();
        assert_eq!(c.write_url(), "http://127.0.0.1:7878/sparql");
        assert_eq!(c.cluster_id, "127.0.0.1");
        let c = config(&[
            ("NEPTUNE_ENDPOINT", "host"),
            ("NEPTUNE_PORT", "9000"),
            LOCAL,
        ])
        .unwrap();
        assert_eq!(c.endpoint, "https://host:9000");
    }

    #[test]
    fn opencypher_posts_to_its_endpoint() {
        for value in ["opencypher", "openCypher", "OPENCYPHER"] {
            let c = config(&[
                (
                    "NEPTUNE_ENDPOINT",
                    "db.cluster-x.eu-west-1.neptune.amazonaws.com",
                ),
                ("QUERY_LANGUAGE", value),
                LOCAL,
            ])
            .unwrap();
            assert_eq!(c.query_language, QueryLanguage::OpenCypher, "{value}");
            assert_eq!(
                c.write_url(),
                "https://db.cluster-x.eu-west-1.neptune.amazonaws.com:8182/openCypher"
            );
        }
    }

    #[test]
    fn every_invalid_value_names_variable_and_allowed_values() {
        let table: &[(&str, &str, &str)] = &[
            ("NEPTUNE_ENDPOINT", "ftp://x", "a host name"),
            ("NEPTUNE_ENDPOINT", "host/path", "a host name"),
            ("NEPTUNE_PORT", "0", "an integer from 1 to 65535"),
            ("QUERY_LANGUAGE", "cypher", "gremlin, sparql or opencypher"),
            ("GREMLIN_UPSERT_STYLE", "upsert", "merge or coalesce"),
            ("CONDITIONAL_CREATE", "yes", "true or false"),
            ("IAM_AUTH", "1", "true or false"),
            ("BATCH_WRITE_SIZE", "0", "an integer from 1 to 10000"),
            ("BATCH_WRITE_SIZE", "lots", "an integer from 1 to 10000"),
            ("WRITE_CONCURRENCY", "65", "an integer from 1 to 64"),
            ("REJECTED_QUEUE_URL", "my-queue", "an SQS queue URL"),
            ("MAX_RECORD_BYTES", "1", "an integer from 64"),
            ("RETRY_MAX_ATTEMPTS", "0", "an integer from 1 to 100"),
            ("RETRY_MAX_DELAY_MS", "10", "at least RETRY_BASE_DELAY_MS"),
            ("REQUEST_TIMEOUT_MS", "-5", "an integer from 100"),
            ("STOP_WAIT_MS", "900001", "an integer from 0 to 900000"),
        ];
        for (var, value, allowed) in table {
            let mut vars = vec![("NEPTUNE_ENDPOINT", "http://127.0.0.1:1"), LOCAL];
            vars.retain(|(k, _)| k != var);
            vars.push((var, value));
            let err = config(&vars).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains(var) && text.contains(value) && text.contains(allowed),
                "{var}={value}: {text}"
            );
        }
    }

    #[test]
    fn signing_needs_region_and_credentials() {
        let err = config(&[("NEPTUNE_ENDPOINT", "h")]).unwrap_err();
        assert!(
            err.to_string().starts_with("AWS_REGION is not set"),
            "{err}"
        );
        let err = config(&[("NEPTUNE_ENDPOINT", "h"), ("AWS_REGION", "eu-west-1")]).unwrap_err();
        assert!(
            err.to_string().starts_with("AWS_ACCESS_KEY_ID is not set"),
            "{err}"
        );
        let c = config(&[
            ("NEPTUNE_ENDPOINT", "h"),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "s3cr3t-value"),
            ("AWS_SESSION_TOKEN", "t0ken-value"),
        ])
        .unwrap();
        assert!(c.iam_auth);
        let printed = format!("{c:?}");
        assert!(
            !printed.contains("s3cr3t") && !printed.contains("t0ken"),
            "credentials must not be printed"
        );
    }

    #[test]
    fn only_one_reject_sink() {
        let err = config(&[
            ("NEPTUNE_ENDPOINT", "h"),
            LOCAL,
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            (
                "REJECTED_QUEUE_URL",
                "https://sqs.eu-west-1.amazonaws.com/1/q",
            ),
            ("REJECTED_RECORDS_FILE", "/tmp/r.jsonl"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("REJECTED_RECORDS_FILE"), "{err}");
    }
}
