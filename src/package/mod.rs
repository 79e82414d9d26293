//! `stream2neptune package`: builds the writer function (and the workload driver) for Lambda's and Amazon Linux
//! 2023's glibc with cargo-lambda, and writes each artifact as a deterministic zip named by its SHA-256, plus the
//! notebooks and a manifest giving the S3 key each stack parameter takes.
//!
//! Content addressing is what ties packaging to CloudFormation: a changed function is a changed
//! `FunctionCodeKey`, so CloudFormation updates the function; unchanged sources give the same bytes, the same key
//! and no change. The manifest also records what each binary was built from ([`inputs`]): a binary whose sources
//! and build settings did not change is reused, not rebuilt, and [`plan`] names the keys without building.

pub mod archive;
pub mod artifact;
pub mod build;
pub mod command;
pub mod error;
pub mod glibc;
pub mod inputs;
pub mod manifest;

use std::io::Write;
use std::path::{Path, PathBuf};

use stream2neptune_process::shutdown::Shutdown;

pub use artifact::{ALL_PARTS, Architecture, Part, rust_target};
pub use build::Builder;
pub use command::PackageArgs;
pub use error::{Error, Result};
pub use manifest::{Artifact, Manifest};

use archive::Entry;

/// The driver's architecture: the driver instance types (m5, m6i, c5) are all x86_64.
pub const DRIVER_ARCH: Architecture = Architecture::X86_64;

/// Folder of the notebooks, relative to the workspace root.
pub const NOTEBOOKS_DIR: &str = "notebooks";

/// What to package, resolved from the flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The workspace root: holds Cargo.toml, notebooks/ and .venv/.
    pub workspace: PathBuf,
    /// The output folder for the zips and manifest.json.
    pub out: PathBuf,
    /// The parts to package, each once.
    pub parts: Vec<Part>,
    /// The writer function's architectures (usually one).
    pub writer_archs: Vec<Architecture>,
}

impl Request {
    /// The builds this request needs, as (part, architecture).
    fn binaries(&self) -> Vec<(Part, Architecture)> {
        let mut builds = Vec::new();
        for part in &self.parts {
            match part {
                Part::Writer => {
                    builds.extend(self.writer_archs.iter().map(|arch| (Part::Writer, *arch)))
                }
                Part::Driver => builds.push((Part::Driver, DRIVER_ARCH)),
                Part::Notebooks => {}
            }
        }
        builds
    }

    /// Finds cargo-lambda and makes sure every target the request needs is installed (running `rustup target
    /// add` for a missing one), before any work: a missing tool fails fast with what to do. `None` when nothing
    /// needs building.
    pub fn check(&self, log: &mut dyn Write, shutdown: &Shutdown) -> Result<Option<Builder>> {
        let builds = self.binaries();
        if builds.is_empty() {
            return Ok(None);
        }
        let builder = Builder::find(&self.workspace)?;
        let mut archs: Vec<Architecture> = builds.iter().map(|(_, arch)| *arch).collect();
        archs.sort();
        archs.dedup();
        for arch in archs {
            builder.ensure_target(arch, log, shutdown)?;
        }
        Ok(Some(builder))
    }
}

/// One artifact of a [`plan`]: ready (reused from the manifest, or the notebooks, which need no build) or to be
/// built by [`package`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    /// Its key is known.
    Ready(Artifact),
    /// A binary whose sources changed or that was never packaged: its key is known only once it is built.
    Pending {
        /// The part.
        part: Part,
        /// The architecture it is built for.
        architecture: Architecture,
    },
}

impl Planned {
    /// The artifact; a pending one has [`PENDING_SHA256`] and its architecture for its hash, in its file name
    /// and key.
    pub fn artifact(&self) -> Artifact {
        match self {
            Planned::Ready(artifact) => artifact.clone(),
            Planned::Pending { part, architecture } => {
                let sha256 = format!("{PENDING_SHA256}-{architecture}");
                Artifact {
                    name: part.name().to_owned(),
                    part: *part,
                    architecture: Some(*architecture),
                    size: 0,
                    file: part.file_name(&sha256),
                    key: part.key(&sha256),
                    sha256,
                    parameter: part.parameter().to_string(),
                    files: Vec::new(),
                    inputs: None,
                }
            }
        }
    }
}

/// Stands for the content hash of an artifact a dry run does not build (a valid S3 key character string, so the
/// dry run renders the template with it).
pub const PENDING_SHA256: &str = "built-at-deploy-time";

/// What [`package`] would produce, without building: each binary whose manifest entry was built from the same
/// sources and settings (and whose zip is still there) is ready, the others are pending; the notebooks, which are
/// copied and zipped and never built, are packaged. Needs no cargo-lambda and no Rust target (without
/// cargo-lambda every binary is pending). Notes go to `log`.
pub fn plan(request: &Request, log: &mut dyn Write) -> Result<Vec<Planned>> {
    let manifest = Manifest::load(&request.out)?;
    let builder = match request.binaries() {
        builds if builds.is_empty() => None,
        _ => Builder::find(&request.workspace).ok(),
    };
    let mut planned = Vec::new();
    for (part, arch) in request.binaries() {
        let spec = part.binary().expect("binaries() lists binary parts only");
        let reused = match &builder {
            Some(builder) => reusable(
                &manifest,
                &request.out,
                part,
                arch,
                &inputs::hash(builder, spec, arch)?,
            ),
            None => None,
        };
        planned.push(match reused {
            Some(artifact) => Planned::Ready(artifact),
            None => Planned::Pending {
                part,
                architecture: arch,
            },
        });
    }
    if request.parts.contains(&Part::Notebooks) {
        std::fs::create_dir_all(&request.out).map_err(Error::io("create", &request.out))?;
        let notebooks = package_notebooks(request, log)?;
        let mut manifest = manifest;
        manifest.insert(notebooks.clone());
        manifest.write(&request.out)?;
        planned.push(Planned::Ready(notebooks));
    }
    Ok(planned)
}

/// The manifest's artifact of `part` for `arch` when it was built from `inputs` and its zip still holds the
/// bytes the manifest names.
fn reusable(
    manifest: &Manifest,
    out: &Path,
    part: Part,
    arch: Architecture,
    inputs: &str,
) -> Option<Artifact> {
    let artifact = manifest.get(part, Some(arch))?;
    if artifact.inputs.as_deref() != Some(inputs) {
        return None;
    }
    let bytes = std::fs::read(artifact.path(out)).ok()?;
    (archive::sha256_hex(&bytes) == artifact.sha256).then(|| artifact.clone())
}

/// Packages what `request` asks for into `request.out`, updates `manifest.json` there and returns the artifacts
/// in request order. A binary built from the same sources and settings as its manifest entry is reused, not
/// rebuilt. Progress goes to `log`; a signal stops the build running and packages nothing more.
pub fn package(
    request: &Request,
    log: &mut dyn Write,
    shutdown: &Shutdown,
) -> Result<Vec<Artifact>> {
    let builder = request.check(log, shutdown)?;
    std::fs::create_dir_all(&request.out).map_err(Error::io("create", &request.out))?;
    let mut manifest = Manifest::load(&request.out)?;
    let mut artifacts = Vec::new();
    for (part, arch) in request.binaries() {
        let builder = builder.as_ref().expect("checked: binaries need a builder");
        let spec = part.binary().expect("binaries() lists binary parts only");
        let inputs = inputs::hash(builder, spec, arch)?;
        if let Some(artifact) = reusable(&manifest, &request.out, part, arch, &inputs) {
            writeln!(
                log,
                "{part} ({arch}): sources and build settings unchanged since {}: reused, not rebuilt",
                artifact.file
            )
            .map_err(Error::Log)?;
            artifacts.push(artifact);
            continue;
        }
        let contents = {
            let _lock = builder.lock()?;
            let binary = builder.build(spec, arch, log, shutdown)?;
            glibc::check(&binary)?;
            std::fs::read(&binary).map_err(Error::io("read", &binary))?
        };
        let entries = [Entry {
            name: spec.entry.to_owned(),
            contents,
            mode: archive::EXECUTABLE,
        }];
        let mut artifact = write_zip(&request.out, part, Some(arch), &entries, Vec::new())?;
        artifact.inputs = Some(inputs);
        artifacts.push(artifact);
    }
    if request.parts.contains(&Part::Notebooks) {
        artifacts.push(package_notebooks(request, log)?);
    }
    for artifact in &artifacts {
        manifest.insert(artifact.clone());
    }
    let manifest_path = manifest.write(&request.out)?;
    for artifact in &artifacts {
        let arch = artifact
            .architecture
            .map(|a| format!(" ({a})"))
            .unwrap_or_default();
        writeln!(
            log,
            "{}{arch}: {} ({} bytes) -> {}",
            artifact.part,
            artifact.path(&request.out).display(),
            artifact.size,
            artifact.set_arg()
        )
        .map_err(Error::Log)?;
    }
    writeln!(log, "manifest: {}", manifest_path.display()).map_err(Error::Log)?;
    Ok(artifacts)
}

/// Zips notebooks/*.ipynb and the Python modules they import (notebooks/*.py; whatever exists, none is a warning,
/// not an error) and copies them to a content-addressed folder for upload.
fn package_notebooks(request: &Request, log: &mut dyn Write) -> Result<Artifact> {
    let dir = request.workspace.join(NOTEBOOKS_DIR);
    let mut entries = Vec::new();
    match std::fs::read_dir(&dir) {
        Ok(listing) => {
            for item in listing {
                let path = item.map_err(Error::io("list", &dir))?.path();
                let is_notebook = path
                    .extension()
                    .is_some_and(|ext| ext == "ipynb" || ext == "py");
                if is_notebook && path.is_file() {
                    let name = path
                        .file_name()
                        .expect("a listed file has a name")
                        .to_string_lossy()
                        .into_owned();
                    let contents = std::fs::read(&path).map_err(Error::io("read", &path))?;
                    entries.push(Entry {
                        name,
                        contents,
                        mode: archive::DATA,
                    });
                }
            }
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(Error::Io {
                action: "list",
                path: dir,
                source,
            });
        }
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    if entries.is_empty() {
        writeln!(
            log,
            "warning: no notebooks in {}; packaging an empty set",
            dir.display()
        )
        .map_err(Error::Log)?;
    }
    let files: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
    let artifact = write_zip(&request.out, Part::Notebooks, None, &entries, files)?;
    let copy_dir = request
        .out
        .join(Part::Notebooks.files_dir(&artifact.sha256));
    std::fs::create_dir_all(&copy_dir).map_err(Error::io("create", &copy_dir))?;
    for entry in &entries {
        write_atomically(&copy_dir.join(&entry.name), &entry.contents)?;
    }
    Ok(artifact)
}

/// Zips `entries`, writes the zip under its content-addressed name (unless identical bytes are already there)
/// and describes it.
fn write_zip(
    out: &Path,
    part: Part,
    architecture: Option<Architecture>,
    entries: &[Entry],
    files: Vec<String>,
) -> Result<Artifact> {
    let bytes = archive::zip(part.name(), entries)?;
    let sha256 = archive::sha256_hex(&bytes);
    let file = part.file_name(&sha256);
    let path = out.join(&file);
    let same = std::fs::read(&path).is_ok_and(|existing| existing == bytes);
    if !same {
        write_atomically(&path, &bytes)?;
    }
    Ok(Artifact {
        name: part.name().to_owned(),
        part,
        architecture,
        key: part.key(&sha256),
        parameter: part.parameter().to_string(),
        size: bytes.len() as u64,
        sha256,
        file,
        files,
        inputs: None,
    })
}

/// Writes a file through a temporary file in the same folder and a rename, readable by everyone (0644).
pub(crate) fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let write = || -> std::io::Result<()> {
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        file.write_all(contents)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            file.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))?;
        }
        file.persist(path).map_err(|err| err.error)?;
        Ok(())
    };
    write().map_err(Error::io("write", path))
}
