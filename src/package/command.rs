//! The `package` subcommand: flags -> [`Request`] -> [`package`](super::package).

use std::io::Write;
use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser as _};

use stream2neptune_process::shutdown::Shutdown;

use super::{ALL_PARTS, Architecture, Part, Request};

/// Flags of `package`.
#[derive(Debug, clap::Args)]
pub struct PackageArgs {
    /// Output folder for the zips, the notebooks and manifest.json.
    #[arg(long, value_name = "OUT", default_value = "out/artifacts")]
    pub out: PathBuf,
    /// Architecture of the writer function (the driver is always x86_64, like its instance types).
    #[arg(
        long,
        value_parser = PossibleValuesParser::new(Architecture::ALL.iter().map(|arch| possible_value(*arch)))
            .try_map(|word| Architecture::parse(&word).ok_or("not an architecture")),
        default_value_t = Architecture::X86_64
    )]
    pub arch: Architecture,
    /// Package only this part (repeatable) [default: writer, driver and notebooks].
    #[arg(long, value_enum, value_name = "PART")]
    pub only: Vec<Part>,
    /// The workspace root: holds Cargo.toml, notebooks/ and .venv/ (where cargo-lambda is looked for first).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub workspace: PathBuf,
}

/// `--arch`'s value `arch` with its help line.
fn possible_value(arch: Architecture) -> PossibleValue {
    PossibleValue::new(arch.as_str()).help(match arch {
        Architecture::X86_64 => "Intel/AMD 64-bit",
        Architecture::Arm64 => "Graviton (AArch64)",
    })
}

impl PackageArgs {
    /// The resolved request.
    pub fn request(&self) -> Request {
        let mut parts = if self.only.is_empty() {
            ALL_PARTS.to_vec()
        } else {
            self.only.clone()
        };
        parts.sort();
        parts.dedup();
        Request {
            workspace: self.workspace.clone(),
            out: self.out.clone(),
            parts,
            writer_archs: vec![self.arch],
        }
    }
}

/// Packages until done or a signal; progress goes to `err`, and `out` gets the `--set` arguments that point
/// `render` at the artifacts.
pub fn run(
    args: &PackageArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    shutdown: &Shutdown,
) -> anyhow::Result<()> {
    let artifacts = super::package(&args.request(), err, shutdown)?;
    let sets: Vec<String> = artifacts
        .iter()
        .map(|a| format!("--set {}", a.set_arg()))
        .collect();
    writeln!(out, "{}", sets.join(" "))?;
    Ok(())
}
