//! Typed errors of the writer, and the retry rules: what a store failure means for the batch.

use std::time::Duration;

/// What to do after a failed write request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Transient: back off and send the same request again.
    Retry,
    /// The instance is no longer the writer (failover): drop pooled connections, reconnect, retry.
    Reconnect,
    /// The store refused the content of the request (malformed query, bad request): retrying the
    /// same text cannot succeed; narrow it down to the record(s) at fault and reject them, unless
    /// every record is refused on its own (then the environment is at fault, see the handler).
    RefuseRecords,
    /// Transient by its answer, but an engine gives the same answer for one record's content (Gremlin Server's
    /// bare HTTP 500 for a script Groovy cannot compile, Neptune's catch-all `InternalFailureException`, a
    /// `ConstraintViolationException` that persists): retried as [`Disposition::Retry`]; a write it still fails
    /// after the retries is narrowed down to its records as for [`Disposition::RefuseRecords`], and a record is
    /// rejected under the same proof (the store accepted a later record and still refuses it), so an outage
    /// answering it to everything rejects nothing.
    RetryThenRefuse,
    /// The request was too big for the store (memory, time or query limit): write the same
    /// records again in halves, down to one record (see [`StoreError::disposition_alone`]).
    Shrink,
    /// The environment is wrong (access denied, wrong endpoint): stop and report the records as not
    /// written, so Lambda keeps them until an operator fixes the configuration.
    Stop,
}

/// A failed request to the graph store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store answered with an HTTP error status; `code` is Neptune's `code` field when present.
    #[error("graph store answered HTTP {status}{}: {message}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    Status {
        /// HTTP status code.
        status: u16,
        /// Neptune's error code (exception name), e.g. `ConcurrentModificationException`.
        code: Option<String>,
        /// Neptune's `detailedMessage`, or the start of the body.
        message: String,
    },
    /// The request did not complete in time.
    #[error("graph store request timed out: {0}")]
    Timeout(String),
    /// The connection failed (refused, reset, DNS, TLS other than the certificate).
    #[error("cannot reach the graph store: {0}")]
    Connect(String),
    /// The server's TLS certificate was refused (unknown issuer, not valid for the host name, expired): trying
    /// again cannot help until the endpoint or what the writer trusts changes.
    #[error(
        "the TLS certificate of {url} is not trusted: {reason}; the writer trusts Mozilla's roots (which hold Amazon's, to which Neptune's and SQS's certificates chain) and the CA certificates of SSL_CERT_FILE / SSL_CERT_DIR: check that the URL's host is the endpoint's own name (not an alias or an address), or add the CA that issued this certificate to SSL_CERT_FILE"
    )]
    Certificate {
        /// The URL called.
        url: String,
        /// rustls's reason (`UnknownIssuer`, `NotValidForName...`, `Expired...`).
        reason: String,
    },
    /// The request could not be signed (bad credentials or region).
    #[error("cannot sign the request with SigV4: {0}")]
    Signing(String),
}

impl StoreError {
    /// Builds a [`StoreError::Status`] from an HTTP status and a response body, reading Neptune's
    /// `{"code": ..., "detailedMessage": ...}` error document, or the AWS JSON protocol's
    /// `{"__type": "com.amazonaws.sqs#ThrottlingException", "message": ...}` (SQS), when the body
    /// is one.
    pub fn from_response(status: u16, body: &str) -> Self {
        #[derive(serde::Deserialize)]
        struct ErrorDocument {
            code: Option<String>,
            #[serde(rename = "detailedMessage")]
            detailed_message: Option<String>,
            #[serde(rename = "__type")]
            aws_type: Option<String>,
            #[serde(alias = "Message")]
            message: Option<String>,
        }
        let parsed = serde_json::from_str::<ErrorDocument>(body).ok();
        // `__type` is `namespace#Name` (or a bare name in older services).
        let code = parsed.as_ref().and_then(|e| {
            e.code.clone().or_else(|| {
                e.aws_type
                    .as_deref()
                    .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned())
            })
        });
        let message = parsed
            .and_then(|e| e.detailed_message.or(e.message))
            .unwrap_or_else(|| body.chars().take(500).collect());
        StoreError::Status {
            status,
            code,
            message,
        }
    }

    /// The retry rule for this error (see [`Disposition`]).
    pub fn disposition(&self) -> Disposition {
        match self {
            StoreError::Timeout(_) | StoreError::Connect(_) => Disposition::Retry,
            StoreError::Signing(_) | StoreError::Certificate { .. } => Disposition::Stop,
            StoreError::Status { status, code, .. } => match code.as_deref() {
                Some("ReadOnlyViolationException") => Disposition::Reconnect,
                Some(
                    "ConcurrentModificationException"
                    | "TooManyRequestsException"
                    | "ThrottlingException"
                    | "FailureByQueryException"
                    | "CancelledByUserException"
                    | "ServerShutdownException"
                    | "ClientTimeoutException"
                    // SQS (the rejects queue) throttles with HTTP 400 and these `__type` names.
                    | "RequestThrottled"
                    | "OverLimit"
                    | "KmsThrottled"
                    | "ServiceUnavailable"
                    | "InternalError",
                ) => Disposition::Retry,
                // Neptune: "usually transient" (an edge's end vertex missing amid concurrent writes), a refusal of
                // the record when it persists; InternalFailureException is Neptune's catch-all.
                Some("ConstraintViolationException" | "InternalFailureException") => {
                    Disposition::RetryThenRefuse
                }
                Some(
                    "MemoryLimitExceededException"
                    | "TimeLimitExceededException"
                    | "QueryLimitExceededException"
                    | "QueryLimitException"
                    | "QueryTooLargeException",
                ) => Disposition::Shrink,
                Some(
                    "MalformedQueryException"
                    | "BadRequestException"
                    | "InvalidParameterException"
                    | "InvalidNumericDataException"
                    | "IllegalArgumentException"
                    | "InvalidArgumentException"
                    | "ParsingException",
                ) => Disposition::RefuseRecords,
                Some(
                    "AccessDeniedException"
                    | "MissingParameterException"
                    | "MethodNotAllowedException"
                    | "UnsupportedOperationException",
                ) => Disposition::Stop,
                _ => match status {
                    408 | 429 => Disposition::Retry,
                    // A bare 500 is an engine's answer to any failure: Gremlin Server's to a script it cannot
                    // compile (a string literal over 65,535 UTF-16 units or bytes), and TinkerTransactionGraph's
                    // to a conflict, which is never the record's fault. 502 to 504 are a proxy's or an outage's.
                    500 if !self.is_conflict() => Disposition::RetryThenRefuse,
                    500..=599 => Disposition::Retry,
                    400 | 413 => Disposition::RefuseRecords,
                    _ => Disposition::Stop,
                },
            },
        }
    }

    /// The retry rule when the request holds one record only: a size failure (see
    /// [`Disposition::Shrink`]) cannot shrink further, so a server-side limit (5xx: memory, time)
    /// is retried as transient and a request-size limit (4xx: the record itself is too large) is a
    /// refusal of that record.
    pub fn disposition_alone(&self) -> Disposition {
        match (self.disposition(), self) {
            (Disposition::Shrink, StoreError::Status { status, .. }) if *status < 500 => {
                Disposition::RefuseRecords
            }
            (Disposition::Shrink, _) => Disposition::Retry,
            (other, _) => other,
        }
    }

    /// True when this error, on a write of one record and after its retries, is the store refusing that record:
    /// the record is then rejected once the store has shown it works (see [`Disposition::RefuseRecords`] and
    /// [`Disposition::RetryThenRefuse`]).
    pub fn refuses_alone(&self) -> bool {
        matches!(
            self.disposition_alone(),
            Disposition::RefuseRecords | Disposition::RetryThenRefuse
        )
    }

    /// True when the store cancelled the transaction for a conflict with another one on the same element:
    /// Neptune's `ConcurrentModificationException`, or TinkerPop's TinkerTransactionGraph's bare HTTP 500
    /// "Conflict: element modified in another transaction" (Gremlin Server, local mode's store).
    pub fn is_conflict(&self) -> bool {
        match self {
            StoreError::Status {
                status,
                code,
                message,
            } => {
                code.as_deref() == Some("ConcurrentModificationException")
                    || (*status == 500 && message.contains("modified in another transaction"))
            }
            _ => false,
        }
    }

    /// True when the same request may succeed later (Retry, Reconnect or RetryThenRefuse).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.disposition(),
            Disposition::Retry | Disposition::Reconnect | Disposition::RetryThenRefuse
        )
    }
}

/// Classifies a reqwest transport error.
pub fn from_transport(err: &reqwest::Error, timeout: Duration) -> StoreError {
    if err.is_timeout() {
        StoreError::Timeout(format!("no answer within {} ms", timeout.as_millis()))
    } else if let Some(reason) = stream2neptune_aws::tls::refused_certificate(err) {
        StoreError::Certificate {
            url: err.url().map(|url| url.to_string()).unwrap_or_default(),
            reason,
        }
    } else {
        // The chain carries the useful part ("connection refused"), not the top-level text.
        StoreError::Connect(stream2neptune_aws::cause_chain(err))
    }
}

/// A failed hand-off to the rejected-records sink. The record is then not acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum RejectSinkError {
    /// Writing the JSON Lines file failed.
    #[error("cannot append to the rejected-records file {path}: {source}")]
    File {
        /// The file (REJECTED_RECORDS_FILE).
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// SQS SendMessage failed after retries.
    #[error("cannot send the rejected record to SQS queue {queue}: {message}")]
    Sqs {
        /// The queue URL (REJECTED_QUEUE_URL).
        queue: String,
        /// The last error.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn neptune(status: u16, code: &str) -> StoreError {
        StoreError::from_response(
            status,
            &format!(
                r#"{{"requestId":"r","code":"{code}","detailedMessage":"details of {code}"}}"#
            ),
        )
    }

    #[test]
    fn neptune_error_body_is_read() {
        let err = neptune(500, "ConcurrentModificationException");
        assert!(
            matches!(&err, StoreError::Status { code: Some(c), message, .. }
            if c == "ConcurrentModificationException" && message == "details of ConcurrentModificationException")
        );
        assert_eq!(
            err.to_string(),
            "graph store answered HTTP 500 ConcurrentModificationException: details of ConcurrentModificationException"
        );
    }

    #[test]
    fn retry_classification_table() {
        use Disposition::*;
        let table: &[(u16, &str, Disposition)] = &[
            (500, "ConcurrentModificationException", Retry),
            (400, "ReadOnlyViolationException", Reconnect),
            (429, "TooManyRequestsException", Retry),
            (500, "ThrottlingException", Retry),
            (400, "ConstraintViolationException", RetryThenRefuse),
            (500, "InternalFailureException", RetryThenRefuse),
            (500, "MemoryLimitExceededException", Shrink),
            (500, "TimeLimitExceededException", Shrink),
            (500, "QueryLimitExceededException", Shrink),
            (400, "QueryTooLargeException", Shrink),
            (408, "ClientTimeoutException", Retry),
            (400, "MalformedQueryException", RefuseRecords),
            (400, "BadRequestException", RefuseRecords),
            (400, "InvalidParameterException", RefuseRecords),
            (400, "IllegalArgumentException", RefuseRecords),
            (400, "ParsingException", RefuseRecords),
            (500, "CancelledByUserException", Retry),
            (500, "ServerShutdownException", Retry),
            (403, "AccessDeniedException", Stop),
            (405, "MethodNotAllowedException", Stop),
        ];
        for (status, code, expected) in table {
            assert_eq!(neptune(*status, code).disposition(), *expected, "{code}");
        }
    }

    #[test]
    fn size_failures_of_one_record_retry_or_refuse() {
        use Disposition::*;
        assert_eq!(
            neptune(500, "MemoryLimitExceededException").disposition_alone(),
            Retry
        );
        assert_eq!(
            neptune(500, "TimeLimitExceededException").disposition_alone(),
            Retry
        );
        assert_eq!(
            neptune(400, "QueryTooLargeException").disposition_alone(),
            RefuseRecords
        );
        assert_eq!(
            neptune(400, "MalformedQueryException").disposition_alone(),
            RefuseRecords
        );
    }

    #[test]
    fn a_record_is_refused_alone_for_its_content_never_for_an_outage_or_a_conflict() {
        let tinkergraph_conflict = StoreError::from_response(
            500,
            r#"{"message":"Conflict: element modified in another transaction"}"#,
        );
        let groovy = StoreError::from_response(
            500,
            r#"{"message":"startup failed:\nScript6.groovy: 1: String too long.","Exception-Class":"org.codehaus.groovy.control.MultipleCompilationErrorsException"}"#,
        );
        for (err, refused) in [
            (neptune(400, "MalformedQueryException"), true),
            (neptune(400, "InvalidParameterException"), true),
            (neptune(400, "QueryTooLargeException"), true),
            (neptune(500, "InternalFailureException"), true),
            (neptune(400, "ConstraintViolationException"), true),
            (groovy, true),
            (tinkergraph_conflict, false),
            (neptune(500, "ConcurrentModificationException"), false),
            (neptune(500, "ThrottlingException"), false),
            (neptune(500, "MemoryLimitExceededException"), false),
            (StoreError::from_response(503, "Service Unavailable"), false),
            (StoreError::Connect("refused".into()), false),
            (neptune(403, "AccessDeniedException"), false),
        ] {
            assert_eq!(err.refuses_alone(), refused, "{err}");
        }
    }

    #[test]
    fn conflicts_are_neptunes_and_tinkergraphs() {
        let tinkergraph = StoreError::from_response(
            500,
            r#"{"message":"Conflict: element modified in another transaction","Exception-Class":"org.apache.tinkerpop.gremlin.structure.util.TransactionException"}"#,
        );
        for (err, conflict) in [
            (neptune(500, "ConcurrentModificationException"), true),
            (tinkergraph, true),
            (neptune(500, "InternalFailureException"), false),
            (neptune(429, "TooManyRequestsException"), false),
            (
                StoreError::from_response(500, "Internal Server Error"),
                false,
            ),
            (StoreError::Timeout("x".into()), false),
        ] {
            assert_eq!(err.is_conflict(), conflict, "{err}");
            if conflict {
                assert_eq!(err.disposition(), Disposition::Retry, "{err}");
            }
        }
    }

    #[test]
    fn sqs_throttling_in_the_json_protocol_is_retried() {
        for name in [
            "ThrottlingException",
            "RequestThrottled",
            "OverLimit",
            "KmsThrottled",
        ] {
            let err = StoreError::from_response(
                400,
                &format!(r#"{{"__type":"com.amazonaws.sqs#{name}","message":"Rate exceeded"}}"#),
            );
            assert_eq!(err.disposition(), Disposition::Retry, "{name}");
            assert_eq!(
                err.to_string(),
                format!("graph store answered HTTP 400 {name}: Rate exceeded")
            );
        }
        let refused = StoreError::from_response(
            400,
            r#"{"__type":"com.amazonaws.sqs#InvalidParameterValue","message":"bad"}"#,
        );
        assert_eq!(refused.disposition(), Disposition::RefuseRecords);
    }

    #[test]
    fn status_without_neptune_code() {
        use Disposition::*;
        for (status, expected) in [
            (429, Retry),
            (500, RetryThenRefuse),
            (502, Retry),
            (503, Retry),
            (408, Retry),
            (400, RefuseRecords),
            (401, Stop),
            (403, Stop),
            (404, Stop),
        ] {
            let err = StoreError::from_response(status, "plain text from a proxy");
            assert_eq!(err.disposition(), expected, "{status}");
        }
    }

    #[test]
    fn transport_errors_retry() {
        assert!(StoreError::Timeout("x".into()).is_retryable());
        assert!(StoreError::Connect("refused".into()).is_retryable());
        assert!(!StoreError::Signing("no region".into()).is_retryable());
        assert!(neptune(400, "ReadOnlyViolationException").is_retryable());
        assert!(!neptune(400, "MalformedQueryException").is_retryable());
        assert!(!neptune(403, "AccessDeniedException").is_retryable());
    }
}
