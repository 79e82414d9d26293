//! The writer's settings, resolved from the environment in one place ([`Config::from_lookup`])
//! through the table of variables in [`stream2neptune_writer_environment`] (names, defaults,
//! ranges; function/environment/).
//!
//! Only NEPTUNE_ENDPOINT is required. Every invalid value fails at init with the variable's name,
//! the value and what is allowed.

use std::path::PathBuf;
use std::time::Duration;

use stream2neptune_aws::{ExtraRoots, TrustError};
use stream2neptune_graph::mapping::Mappings;
use stream2neptune_writer_environment::{
    self as env, GremlinBatchForm, GremlinUpsertStyle, QueryLanguage, RecordFormat, Variable,
};

/// METRICS_NAMESPACE default.
pub const DEFAULT_METRICS_NAMESPACE: &str = "stream2neptune";

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
    pub upsert_style: GremlinUpsertStyle,
    /// GREMLIN_BATCH_FORM: `chained` (default) or `rows`; applies to `merge` with CONDITIONAL_CREATE.
    pub batch_form: GremlinBatchForm,
    /// The compiled MAPPINGS when RECORD_FORMAT is `mapping` (each record is then an application's JSON event);
    /// `None` with `auto` (the default: records are read by their shape).
    pub mappings: Option<Mappings>,
    /// IAM_AUTH (default true): sign store requests with SigV4, service `neptune-db`.
    pub iam_auth: bool,
    /// BATCH_WRITE_SIZE (default 100, 1..=10000): records per write request (one transaction), at
    /// most: fewer after the store refused a write for its size ([`crate::batching::WriteSize`]).
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
    /// RETRY_CONFLICT_DELAY_MS (default 5): first pause ceiling after a transaction conflict; doubles per
    /// conflict of the same write.
    pub retry_conflict_delay: Duration,
    /// REQUEST_TIMEOUT_MS (default 30000): timeout of one store request (also bounded by the deadline).
    pub request_timeout: Duration,
    /// DEADLINE_MARGIN_MS (default 1000): time kept before the invocation deadline to answer Lambda.
    pub deadline_margin: Duration,
    /// STOP_WAIT_MS (default 30000, 0..=900000): wait before answering after an error of the
    /// environment (access denied, every record refused), bounded by the deadline.
    pub stop_wait: Duration,
    /// SSL_CERT_FILE / SSL_CERT_DIR: CA certificates the store and rejects clients trust besides Mozilla's roots.
    pub extra_roots: ExtraRoots,
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
    /// A variable the writer does not read (see [`stream2neptune_writer_environment::VARIABLES`]).
    #[error("{var} is not a variable of the writer: the variables are {known}")]
    Unknown {
        /// The variable.
        var: String,
        /// The names the writer reads.
        known: String,
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
    /// MAPPINGS does not compile; the message names the mapping and the column of its pattern or the member.
    #[error("MAPPINGS is refused: {message}")]
    Mappings {
        /// The compiler's message.
        message: String,
    },
    /// SSL_CERT_FILE or SSL_CERT_DIR names nothing usable.
    #[error(transparent)]
    Trust(#[from] TrustError),
}

impl From<env::Invalid> for ConfigError {
    fn from(invalid: env::Invalid) -> Self {
        ConfigError::Invalid {
            var: invalid.var,
            value: invalid.value,
            allowed: invalid.allowed,
        }
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Resolves the configuration from exactly these variables (local mode sets the writer's
    /// environment this way): a name the writer does not read is an error, so a misspelt
    /// variable cannot be ignored in silence.
    pub fn from_pairs<V: AsRef<str>>(pairs: &[(&str, V)]) -> Result<Self, ConfigError> {
        if let Some((name, _)) = pairs.iter().find(|(name, _)| env::variable(name).is_none()) {
            return Err(ConfigError::Unknown {
                var: (*name).to_owned(),
                known: env::VARIABLES
                    .iter()
                    .map(Variable::name)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Self::from_lookup(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.as_ref().to_owned())
        })
    }

    /// Resolves the configuration from any variable lookup (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let get: env::Lookup<'_> = &get;

        let port = env::NEPTUNE_PORT.parse(get)?;
        let raw_endpoint = env::NEPTUNE_ENDPOINT.get(get).ok_or(ConfigError::Missing {
            var: env::NEPTUNE_ENDPOINT.name,
            hint: "set it to the cluster endpoint host (https://HOST:NEPTUNE_PORT is used) or a full URL such as http://127.0.0.1:7878",
        })?;
        let (endpoint, host) = resolve_endpoint(&raw_endpoint, port as u16)?;

        let query_language = env::QUERY_LANGUAGE.parse_as(get)?;
        let upsert_style = env::GREMLIN_UPSERT_STYLE.parse_as(get)?;
        let batch_form = env::GREMLIN_BATCH_FORM.parse_as(get)?;
        let conditional_create = env::CONDITIONAL_CREATE.parse(get)?;
        let mappings = mappings(get)?;
        let iam_auth = env::IAM_AUTH.parse(get)?;
        let batch_write_size = env::BATCH_WRITE_SIZE.parse(get)? as usize;
        let write_concurrency = env::WRITE_CONCURRENCY.parse(get)? as usize;

        let rejected_queue_url = env::REJECTED_QUEUE_URL.get(get);
        if let Some(url) = &rejected_queue_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(invalid(
                env::REJECTED_QUEUE_URL.name,
                Some(url.clone()),
                "an SQS queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/rejects",
            ));
        }
        let rejected_records_file = get(env::REJECTED_RECORDS_FILE.name).map(PathBuf::from);
        if rejected_queue_url.is_some() && rejected_records_file.is_some() {
            return Err(invalid(
                env::REJECTED_RECORDS_FILE.name,
                get(env::REJECTED_RECORDS_FILE.name),
                "to be unset when REJECTED_QUEUE_URL is set (one rejected-records sink)",
            ));
        }

        let metrics_namespace = env::METRICS_NAMESPACE
            .get(get)
            .unwrap_or_else(|| DEFAULT_METRICS_NAMESPACE.into());
        if metrics_namespace.len() > 255 {
            return Err(invalid(
                env::METRICS_NAMESPACE.name,
                Some(metrics_namespace),
                "1 to 255 characters",
            ));
        }
        let cluster_id = env::CLUSTER_ID.get(get).unwrap_or(host);

        let region = env::AWS_REGION
            .get(get)
            .or_else(|| env::AWS_DEFAULT_REGION.get(get));
        let credentials = match (
            get(env::AWS_ACCESS_KEY_ID.name),
            get(env::AWS_SECRET_ACCESS_KEY.name),
        ) {
            (Some(access_key_id), Some(secret_access_key)) => Some(AwsCredentials {
                access_key_id,
                secret_access_key,
                session_token: get(env::AWS_SESSION_TOKEN.name),
            }),
            _ => None,
        };
        if iam_auth || rejected_queue_url.is_some() {
            if region.is_none() {
                return Err(ConfigError::Missing {
                    var: env::AWS_REGION.name,
                    hint: "requests are signed with SigV4 (IAM_AUTH or REJECTED_QUEUE_URL); set AWS_REGION, or IAM_AUTH=false for a local store",
                });
            }
            if credentials.is_none() {
                return Err(ConfigError::Missing {
                    var: env::AWS_ACCESS_KEY_ID.name,
                    hint: "requests are signed with SigV4 (IAM_AUTH or REJECTED_QUEUE_URL) and need AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Lambda sets them); set IAM_AUTH=false for a local store",
                });
            }
        }

        let max_record_bytes = env::MAX_RECORD_BYTES.parse(get)? as usize;
        let retry_max_attempts = env::RETRY_MAX_ATTEMPTS.parse(get)? as u32;
        let retry_base_delay = Duration::from_millis(env::RETRY_BASE_DELAY_MS.parse(get)?);
        let retry_max_delay = Duration::from_millis(env::RETRY_MAX_DELAY_MS.parse(get)?);
        if retry_max_delay < retry_base_delay {
            return Err(invalid(
                env::RETRY_MAX_DELAY_MS.name,
                get(env::RETRY_MAX_DELAY_MS.name),
                &format!(
                    "at least RETRY_BASE_DELAY_MS ({} ms)",
                    retry_base_delay.as_millis()
                ),
            ));
        }
        let retry_conflict_delay = Duration::from_millis(env::RETRY_CONFLICT_DELAY_MS.parse(get)?);
        let request_timeout = Duration::from_millis(env::REQUEST_TIMEOUT_MS.parse(get)?);
        let deadline_margin = Duration::from_millis(env::DEADLINE_MARGIN_MS.parse(get)?);
        let stop_wait = Duration::from_millis(env::STOP_WAIT_MS.parse(get)?);
        let extra_roots = ExtraRoots::from_lookup(get)?;

        Ok(Config {
            endpoint,
            query_language,
            conditional_create,
            upsert_style,
            batch_form,
            mappings,
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
            retry_conflict_delay,
            request_timeout,
            deadline_margin,
            stop_wait,
            extra_roots,
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

/// RECORD_FORMAT and MAPPINGS: the mappings compiled once, with `mapping`; none with `auto`.
fn mappings(get: env::Lookup<'_>) -> Result<Option<Mappings>, ConfigError> {
    let format = env::RECORD_FORMAT.parse_as(get)?;
    let text = env::MAPPINGS.get(get);
    match (format, text) {
        (RecordFormat::Auto, None) => Ok(None),
        (RecordFormat::Auto, Some(text)) => Err(invalid(
            env::MAPPINGS.name,
            Some(text),
            "to be unset with RECORD_FORMAT=auto, or RECORD_FORMAT=mapping to write events through it",
        )),
        (RecordFormat::Mapping, None) => Err(ConfigError::Missing {
            var: env::MAPPINGS.name,
            hint: "RECORD_FORMAT=mapping writes events through MAPPINGS: set it to a JSON array of mappings (docs/writer.md, Mappings)",
        }),
        (RecordFormat::Mapping, Some(text)) => {
            Mappings::compile(&text)
                .map(Some)
                .map_err(|err| ConfigError::Mappings {
                    message: err.to_string(),
                })
        }
    }
}

/// Bare host => `https://host:port`; a full http(s) URL is used as it is. Returns (base URL, host).
fn resolve_endpoint(raw: &str, port: u16) -> Result<(String, String), ConfigError> {
    const VAR: &str = env::NEPTUNE_ENDPOINT.name;
    const ALLOWED: &str = "a host name such as mycluster.cluster-abc.us-east-1.neptune.amazonaws.com, or a full URL such as http://127.0.0.1:7878";
    if raw.contains("://") {
        let url = url::Url::parse(raw)
            .map_err(|e| invalid(VAR, Some(raw.into()), &format!("{ALLOWED} ({e})")))?;
        if !matches!(url.scheme(), "http" | "https")
            || url.host_str().is_none()
            || url.query().is_some()
        {
            return Err(invalid(VAR, Some(raw.into()), ALLOWED));
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        Ok((raw.trim_end_matches('/').to_owned(), host))
    } else {
        let valid = raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !valid {
            return Err(invalid(VAR, Some(raw.into()), ALLOWED));
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
        assert_eq!(c.upsert_style, GremlinUpsertStyle::Merge);
        assert_eq!(c.batch_form, GremlinBatchForm::Chained);
        assert!(c.conditional_create);
        assert_eq!((c.batch_write_size, c.write_concurrency), (100, 1));
        assert_eq!(c.metrics_namespace, "stream2neptune");
        assert_eq!(c.cluster_id, "db.cluster-x.us-east-1.neptune.amazonaws.com");
        assert_eq!(c.rejected_queue_url, None);
        assert_eq!(c.max_record_bytes, 65_536);
        assert_eq!(c.retry_conflict_delay, Duration::from_millis(5));
    }

    #[test]
    fn mappings_are_compiled_at_init_with_record_format_mapping() {
        let endpoint = ("NEPTUNE_ENDPOINT", "http://127.0.0.1:1");
        let c = config(&[
            endpoint,
            LOCAL,
            ("RECORD_FORMAT", "Mapping"),
            ("MAPPINGS", r#"[{"name":"u","pattern":"(:U{!id})"}]"#),
        ])
        .unwrap();
        assert_eq!(c.mappings.unwrap().0[0].name, "u");
        assert_eq!(config(&[endpoint, LOCAL]).unwrap().mappings, None);
        let refused = |vars: &[(&str, &str)]| {
            let mut all = vec![endpoint, LOCAL];
            all.extend_from_slice(vars);
            config(&all).unwrap_err().to_string()
        };
        assert_eq!(
            refused(&[
                ("RECORD_FORMAT", "mapping"),
                ("MAPPINGS", "[{\"name\":\"u\",\"pattern\":\"(:U{id})\"}]")
            ]),
            "MAPPINGS is refused: mapping `u`: pattern column 8: vertex `U` has no key; mark the field(s) that make its id with `!` (`!id` or `!id: userId`)"
        );
        assert_eq!(
            refused(&[("RECORD_FORMAT", "mapping")]),
            "MAPPINGS is not set: RECORD_FORMAT=mapping writes events through MAPPINGS: set it to a JSON array of mappings (docs/writer.md, Mappings)"
        );
        assert_eq!(
            refused(&[("MAPPINGS", "[]")]),
            "invalid MAPPINGS=\"[]\": expected to be unset with RECORD_FORMAT=auto, or RECORD_FORMAT=mapping to write events through it"
        );
        assert_eq!(
            refused(&[("RECORD_FORMAT", "cud")]),
            "invalid RECORD_FORMAT=\"cud\": expected auto or mapping"
        );
    }

    #[test]
    fn an_unreadable_ssl_cert_file_fails_at_init_naming_the_variable() {
        let err = config(&[
            ("NEPTUNE_ENDPOINT", "db.example"),
            LOCAL,
            ("SSL_CERT_FILE", "/nonexistent/ca.pem"),
        ])
        .unwrap_err();
        assert!(matches!(err, ConfigError::Trust(_)), "{err:?}");
        assert!(
            err.to_string().starts_with(
                "cannot read the CA certificates of SSL_CERT_FILE=/nonexistent/ca.pem: "
            ),
            "{err}"
        );
        let unset = config(&[("NEPTUNE_ENDPOINT", "db.example"), LOCAL]).unwrap();
        assert!(unset.extra_roots.is_empty());
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
    fn the_batch_form_is_read_in_any_case() {
        for (value, form) in [
            ("rows", GremlinBatchForm::Rows),
            (" ROWS ", GremlinBatchForm::Rows),
            ("Chained", GremlinBatchForm::Chained),
        ] {
            let c = config(&[
                ("NEPTUNE_ENDPOINT", "http://127.0.0.1:1"),
                LOCAL,
                ("GREMLIN_BATCH_FORM", value),
            ])
            .unwrap();
            assert_eq!(c.batch_form, form, "{value:?}");
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
            ("GREMLIN_BATCH_FORM", "inject", "chained or rows"),
            ("CONDITIONAL_CREATE", "yes", "true or false"),
            ("IAM_AUTH", "1", "true or false"),
            ("BATCH_WRITE_SIZE", "0", "an integer from 1 to 10000"),
            ("BATCH_WRITE_SIZE", "lots", "an integer from 1 to 10000"),
            ("WRITE_CONCURRENCY", "65", "an integer from 1 to 64"),
            ("REJECTED_QUEUE_URL", "my-queue", "an SQS queue URL"),
            ("MAX_RECORD_BYTES", "1", "an integer from 64"),
            ("RETRY_MAX_ATTEMPTS", "0", "an integer from 1 to 100"),
            ("RETRY_MAX_DELAY_MS", "10", "at least RETRY_BASE_DELAY_MS"),
            ("RETRY_CONFLICT_DELAY_MS", "0", "an integer from 1 to 60000"),
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
    fn from_pairs_refuses_a_variable_the_writer_does_not_read() {
        let err = Config::from_pairs(&[
            ("NEPTUNE_ENDPOINT", "http://127.0.0.1:1"),
            ("IAM_AUTH", "false"),
            ("BATCH_SIZE", "10"),
        ])
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("BATCH_SIZE is not a variable of the writer")
                && text.contains("BATCH_WRITE_SIZE"),
            "{text}"
        );
        let c = Config::from_pairs(&[
            ("NEPTUNE_ENDPOINT", "http://127.0.0.1:1"),
            ("IAM_AUTH", "false"),
            ("BATCH_WRITE_SIZE", "10"),
        ])
        .unwrap();
        assert_eq!(c.batch_write_size, 10);
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
