//! What gets packaged and how each artifact is named: the naming rules live here, as methods, and nowhere else.

use serde::{Deserialize, Serialize};
/// A Lambda (and EC2) CPU architecture, spelt as Lambda's `Architectures` and the `FunctionArchitecture`
/// parameter spell it.
pub use stream2neptune_plan::Architecture;
use stream2neptune_plan::Name;

/// The Rust target triple cargo-lambda builds for `architecture` (glibc; cargo-lambda's zig linker picks the glibc
/// version).
pub fn rust_target(architecture: Architecture) -> &'static str {
    match architecture {
        Architecture::X86_64 => "x86_64-unknown-linux-gnu",
        Architecture::Arm64 => "aarch64-unknown-linux-gnu",
    }
}

/// The three things the stack fetches from the artifact bucket.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    /// The writer function: a zip holding one `bootstrap` (runtime provided.al2023).
    Writer,
    /// The workload driver for the EC2 instance: a zip holding the `stream2neptune` binary.
    Driver,
    /// The notebooks for the SageMaker instance: notebooks/*.ipynb and *.py, uploaded one by one under a prefix.
    Notebooks,
}

/// Every part, in packaging order.
pub const ALL_PARTS: [Part; 3] = [Part::Writer, Part::Driver, Part::Notebooks];

/// A binary part: the cargo package and binary built, and the file name it gets inside the zip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BinarySpec {
    /// The cargo package.
    pub package: &'static str,
    /// The binary target of that package.
    pub bin: &'static str,
    /// The file name inside the zip.
    pub entry: &'static str,
}

/// S3 folder every artifact key starts with (the catalog's default keys use it too).
pub const KEY_PREFIX: &str = "artifacts/";

impl Part {
    /// The artifact's name: file names and the manifest use it.
    pub fn name(self) -> &'static str {
        match self {
            Part::Writer => "stream2neptune-writer",
            Part::Driver => "stream2neptune-driver",
            Part::Notebooks => "stream2neptune-notebooks",
        }
    }

    /// The stack parameter that takes this artifact's key.
    pub fn parameter(self) -> Name {
        match self {
            Part::Writer => Name::FunctionCodeKey,
            Part::Driver => Name::DriverCodeKey,
            Part::Notebooks => Name::NotebooksKeyPrefix,
        }
    }

    /// How the binary parts are built and named inside their zip; `None` for the notebooks.
    pub fn binary(self) -> Option<BinarySpec> {
        match self {
            Part::Writer => Some(BinarySpec {
                package: "stream2neptune-writer",
                bin: "stream2neptune-writer",
                // Lambda's provided.al2023 runtime runs the file named `bootstrap`.
                entry: "bootstrap",
            }),
            Part::Driver => Some(BinarySpec {
                package: "stream2neptune",
                bin: "stream2neptune",
                // The driver instance's user data runs /opt/stream2neptune/stream2neptune.
                entry: "stream2neptune",
            }),
            Part::Notebooks => None,
        }
    }

    /// The zip's file name in the output folder, content-addressed.
    pub fn file_name(self, sha256: &str) -> String {
        format!("{}-{sha256}.zip", self.name())
    }

    /// The folder the notebooks are copied to in the output folder, content-addressed.
    pub fn files_dir(self, sha256: &str) -> String {
        format!("{}-{sha256}", self.name())
    }

    /// The S3 key (a key prefix ending in `/` for the notebooks) the stack parameter takes.
    pub fn key(self, sha256: &str) -> String {
        match self {
            Part::Notebooks => format!("{KEY_PREFIX}notebooks/{sha256}/"),
            _ => format!("{KEY_PREFIX}{}", self.file_name(sha256)),
        }
    }
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Writer => "writer",
            Part::Driver => "driver",
            Part::Notebooks => "notebooks",
        })
    }
}
