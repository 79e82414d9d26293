//! Typed errors of the workload library; the `run_*` edges turn them into `anyhow` reports.

use std::path::PathBuf;

/// Why a data set could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// A parameter is outside what the generator can produce.
    #[error("invalid {field} = {value}: {allowed}")]
    InvalidParameter {
        /// The flag or field name.
        field: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// Writing an output file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A signal stopped the generation before every file was complete.
    #[error("stopped before the data set was complete")]
    Stopped,
}

/// Why a mixed workload's operations file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MixedFileError {
    /// The file could not be opened or read.
    #[error(
        "cannot read operations file {path}: {source} (generate one with `stream2neptune dataset --workload mixed`)"
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line is not `{"partitionKey": ..., "data": <graph-operation document>}`.
    #[error(
        "{path} line {line}: {reason}; expected {{\"partitionKey\": KEY, \"data\": <graph-operation document>}}"
    )]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// Why an edge file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EdgeFileError {
    /// The file could not be opened or read.
    #[error("cannot read edge file {path}: {source} (generate one with `stream2neptune dataset`)")]
    Read {
        /// The edge file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A data line does not have the sample's layout.
    #[error(
        "{path} line {line}: {reason}; expected the sample's layout: a header line, then columns 3, 4 and 5 = from, to, creationDate"
    )]
    Malformed {
        /// The edge file.
        path: PathBuf,
        /// 1-based line number (the header is line 1).
        line: u64,
        /// What is wrong.
        reason: String,
    },
}

/// Why a resume file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    /// The file could not be read or written.
    #[error("resume file {path}: {source}")]
    Io {
        /// The resume file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a resume file this driver wrote.
    #[error("resume file {path} is not valid: {source}; delete it to start from the beginning")]
    Invalid {
        /// The resume file.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// The resume file belongs to another edge file.
    #[error(
        "resume file {path} was written for edge file {recorded}, not {given}; pass that edge file or another --resume-file"
    )]
    OtherEdgeFile {
        /// The resume file.
        path: PathBuf,
        /// The edge file recorded in the resume file.
        recorded: String,
        /// The edge file given now.
        given: String,
    },
}

/// Why the driver stopped before every edge was accepted by the stream.
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    /// A setting is out of range.
    #[error("invalid {field} = {value}: {allowed}")]
    InvalidParameter {
        /// The flag name.
        field: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// Reading the edge file failed.
    #[error(transparent)]
    EdgeFile(#[from] EdgeFileError),
    /// Reading the mixed workload's operations file failed.
    #[error(transparent)]
    OperationsFile(#[from] MixedFileError),
    /// Reading or writing the resume file failed.
    #[error(transparent)]
    Resume(#[from] ResumeError),
    /// A record could not be put within the retry deadline; the rest is in the resume file.
    #[error(
        "{unsent} edges not accepted by the stream within the retry deadline of {deadline_secs} s (last error: {last_error}); they are saved in {resume_file}: run the same command again to resume"
    )]
    DeadlineExceeded {
        /// Edges still unsent.
        unsent: usize,
        /// The deadline in seconds.
        deadline_secs: u64,
        /// The last error seen for the oldest record.
        last_error: String,
        /// Where the unsent edges are.
        resume_file: PathBuf,
    },
    /// A PutRecords call failed in a way that retrying cannot fix (bad stream name, access denied).
    #[error(
        "PutRecords failed and will not succeed on retry: {message}; the unsent edges are saved in {resume_file}"
    )]
    Fatal {
        /// The error.
        message: String,
        /// Where the unsent edges are.
        resume_file: PathBuf,
    },
}

/// Why a load failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A setting a Neptune bulk load needs is not given.
    #[error(
        "a Neptune bulk load needs {flag} (or the {env} environment variable): {what}; or load a local SPARQL store with --local URL --people DIR"
    )]
    MissingSetting {
        /// The flag.
        flag: &'static str,
        /// The environment variable that stands for it.
        env: &'static str,
        /// What it is and where to find it.
        what: &'static str,
    },
    /// The flags do not describe one load.
    #[error("invalid {field} = {value}: {allowed}")]
    InvalidParameter {
        /// The flag name.
        field: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// The endpoint could not be reached.
    #[error("cannot reach {url}: {source}; check the endpoint and that this machine can reach it")]
    Connect {
        /// The URL called.
        url: String,
        /// The client error.
        source: reqwest::Error,
    },
    /// The endpoint's TLS certificate was refused (unknown issuer, not valid for the host name, expired).
    #[error(
        "the TLS certificate of {url} is not trusted: {reason}; the loader trusts Mozilla's roots (which hold Amazon's, to which Neptune's certificates chain) and the CA certificates of SSL_CERT_FILE / SSL_CERT_DIR: check that --endpoint is the cluster endpoint's own name (not an alias or an address), or add the CA that issued this certificate to SSL_CERT_FILE"
    )]
    Certificate {
        /// The URL called.
        url: String,
        /// rustls's reason (`UnknownIssuer`, `certificate not valid for name ...`).
        reason: String,
    },
    /// SSL_CERT_FILE or SSL_CERT_DIR names nothing usable.
    #[error(transparent)]
    Trust(#[from] stream2neptune_aws::TrustError),
    /// The server answered with an error.
    #[error("{method} {url} answered HTTP {status}: {code}: {message}")]
    Http {
        /// The HTTP method.
        method: &'static str,
        /// The URL called.
        url: String,
        /// The HTTP status.
        status: u16,
        /// Neptune's error code (`code` field), or "-".
        code: String,
        /// Neptune's detailed message, or the body.
        message: String,
    },
    /// The answer is not what the loader API documents.
    #[error("unexpected answer from {url}: {reason}")]
    Unexpected {
        /// The URL called.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Signing the request failed.
    #[error(
        "cannot sign the request with SigV4: {0}; check the AWS credentials (env, profile or instance role)"
    )]
    Signing(String),
    /// The load job ended in a failure status.
    #[error(
        "load {load_id} ended with {status} ({records} records, {parsing} parsing errors, {insert} insert errors){errors}"
    )]
    Failed {
        /// The load id.
        load_id: String,
        /// The terminal status.
        status: String,
        /// Records processed.
        records: u64,
        /// Parsing errors.
        parsing: u64,
        /// Insert errors.
        insert: u64,
        /// The error log lines, each starting with a newline.
        errors: String,
    },
    /// Reading the people file failed.
    #[error("cannot read {path}: {source} (generate it with `stream2neptune dataset`)")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}
