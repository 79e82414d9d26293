//! Typed errors of packaging. Each message says what to do next.

use std::path::PathBuf;

/// Errors of `stream2neptune package`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// cargo-lambda is neither in the workspace's .venv nor on PATH.
    #[error(
        "cargo-lambda not found at {} nor on PATH: run `make tools` (it installs cargo-lambda into .venv/bin) or `pip install cargo-lambda`",
        venv.display()
    )]
    CargoLambdaMissing {
        /// Where the workspace's copy was looked for.
        venv: PathBuf,
    },
    /// The Rust standard library of the target is not installed.
    #[error(
        "cannot build for {arch}: the Rust target {triple} is not installed (no {}); run `rustup target add {triple}`, or build for x86_64 (--arch x86_64, or FunctionArchitecture=x86_64 for the region)",
        sysroot_lib.display()
    )]
    TargetMissing {
        /// The Lambda architecture asked for.
        arch: &'static str,
        /// The Rust target triple.
        triple: &'static str,
        /// The folder that would hold the target's standard library.
        sysroot_lib: PathBuf,
    },
    /// `rustup target add` failed.
    #[error(
        "`{command}` failed ({status}); install the target by hand, or build for x86_64 (--arch x86_64, or FunctionArchitecture=x86_64 for the region)"
    )]
    TargetInstall {
        /// The command line.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
    },
    /// `rustc --print sysroot` failed.
    #[error("cannot run `rustc --print sysroot` to check the installed targets: {0}")]
    Sysroot(String),
    /// The cargo-lambda build failed.
    #[error("`{command}` failed ({status}); fix the build errors above and run it again")]
    Build {
        /// The command line.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
    },
    /// A signal (Ctrl-C, SIGTERM, SIGHUP) stopped a build or a `rustup target add`.
    #[error(
        "stopped by {signal} while running `{command}`: it was stopped and nothing was packaged from it; run the same command again"
    )]
    Stopped {
        /// The signal.
        signal: stream2neptune_process::shutdown::Signal,
        /// The command line that was running.
        command: String,
    },
    /// A command could not be started.
    #[error("cannot start `{command}`")]
    Spawn {
        /// The command line.
        command: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The build finished but the binary is not where cargo-lambda puts it.
    #[error("the build finished but {} does not exist; is `{bin}` a binary of the package?", path.display())]
    BinaryMissing {
        /// Where the bootstrap was expected.
        path: PathBuf,
        /// The binary name.
        bin: String,
    },
    /// The binary needs a newer glibc than the Lambda/EC2 runtime offers.
    #[error(
        "{} needs {found}, newer than GLIBC_{}.{} of provided.al2023 and Amazon Linux 2023: build it with cargo-lambda (its zig linker targets an older glibc), not plain cargo",
        path.display(), max.0, max.1
    )]
    GlibcTooNew {
        /// The binary.
        path: PathBuf,
        /// The newest version it needs, e.g. `GLIBC_2.39`.
        found: String,
        /// The newest version allowed.
        max: (u32, u32),
    },
    /// The binary is not an ELF file the checker can read.
    #[error("cannot read the ELF symbol versions of {}: {message}", path.display())]
    Elf {
        /// The binary.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// Writing a zip failed.
    #[error("cannot write the zip entry {entry} of {artifact}")]
    Zip {
        /// The artifact being written.
        artifact: String,
        /// The entry.
        entry: String,
        /// The zip error.
        source: zip::result::ZipError,
    },
    /// A file could not be read or written.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done: `read`, `write`, `create`, `list`.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The progress log could not be written.
    #[error("cannot write the progress log")]
    Log(#[source] std::io::Error),
    /// The manifest could not be parsed.
    #[error("{} is not a valid artifact manifest ({source}); delete it and run `stream2neptune package` again", path.display())]
    Manifest {
        /// The manifest path.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
}

impl Error {
    /// The signal that stopped a build, when one did.
    pub fn stopped_by(&self) -> Option<stream2neptune_process::shutdown::Signal> {
        match self {
            Error::Stopped { signal, .. } => Some(*signal),
            _ => None,
        }
    }

    /// An I/O error with the path it concerns.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}

/// Result alias of packaging.
pub type Result<T, E = Error> = std::result::Result<T, E>;
