//! Typed errors of the generator: a plan that could not be made ([`stream2neptune_plan::Error`]), template
//! rendering failures and output failures.

use std::path::PathBuf;

/// Errors of the generator library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The config could not be read or a region's plan is invalid.
    #[error(transparent)]
    Plan(#[from] stream2neptune_plan::Error),
    /// The templates folder (or one of its templates) is not where it was looked for.
    #[error(
        "no template at {}: the templates are read from {}/templates/ and {}/dashboards/ (the config file's folder unless --templates-dir DIR is given); pass --templates-dir with the folder that holds them",
        missing.display(),
        root.display(),
        root.display()
    )]
    TemplatesMissing {
        /// The folder looked in.
        root: PathBuf,
        /// The template file that is missing.
        missing: PathBuf,
    },
    /// A template failed to render.
    #[error("region {region}: cannot render {template}: {detail}")]
    Template {
        /// The region being rendered.
        region: String,
        /// The template name.
        template: String,
        /// minijinja's message with the template location and, when known, the source excerpt.
        detail: String,
    },
    /// The rendered dashboard body is not JSON.
    #[error("region {region}: dashboards/dashboard.json.j2 does not render to valid JSON")]
    DashboardJson {
        /// The region being rendered.
        region: String,
        /// The JSON parse error, with line and column.
        source: serde_json::Error,
    },
    /// An output file could not be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Some regions failed; the others were written.
    #[error(
        "{failed} of {total} regions failed (see the errors above); nothing was written for them"
    )]
    RegionsFailed {
        /// How many regions failed.
        failed: usize,
        /// How many regions were attempted.
        total: usize,
    },
}

/// Result alias of the generator library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and its causes on one line, `: `-separated, each cause once: a cause whose text the message already
/// holds (a message that quotes its source) is not printed again.
pub fn error_text(err: &anyhow::Error) -> String {
    stream2neptune_aws::cause_chain(err.as_ref())
}
