//! What a binary artifact is built from: a SHA-256 over the workspace sources that go into it and the build
//! settings. The manifest records it, so an artifact whose inputs did not change is reused instead of rebuilt,
//! and a dry run can name the key a deploy would use without building.
//!
//! The sources are, for the root crate and every crate folder beside it or beneath one (a folder holding a
//! Cargo.toml, such as function/ and function/environment/), the
//! Cargo.toml, build.rs and everything under src/, plus the root Cargo.lock, rust-toolchain files and
//! .cargo/config; tests, benches and examples do not go into a release binary and are left out. The settings are
//! the package, binary, target triple and cargo profile, the `rustc -vV` and `cargo-lambda --version` answers,
//! and RUSTFLAGS.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest as _, Sha256};

use super::artifact::{Architecture, BinarySpec, rust_target};
use super::build::Builder;
use super::error::{Error, Result};

/// Files of the workspace root that every build reads.
const ROOT_FILES: [&str; 5] = [
    "Cargo.lock",
    "rust-toolchain",
    "rust-toolchain.toml",
    ".cargo/config",
    ".cargo/config.toml",
];

/// Folders beside the crates that never hold a crate.
const SKIPPED_DIRS: [&str; 6] = ["target", "out", "node_modules", "tests", ".git", ".venv"];

/// The inputs hash of `spec` built for `arch` by `builder`: lowercase hex SHA-256.
pub fn hash(builder: &Builder, spec: BinarySpec, arch: Architecture) -> Result<String> {
    let mut hasher = Sha256::new();
    let mut field = |name: &str, value: &[u8]| {
        // Length-prefixed, so no two different inputs hash the same stream.
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((value.len() as u64).to_le_bytes());
        hasher.update(value);
    };
    field("package", spec.package.as_bytes());
    field("bin", spec.bin.as_bytes());
    field("target", rust_target(arch).as_bytes());
    field("profile", builder.profile.as_bytes());
    field(
        "rustc",
        &answer(Command::new("rustc").arg("-vV"), &builder.workspace),
    );
    field(
        "cargo-lambda",
        &answer(
            Command::new(&builder.cargo_lambda).args(["lambda", "--version"]),
            &builder.workspace,
        ),
    );
    for var in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS"] {
        let value = std::env::var_os(var).unwrap_or_default();
        field(var, value.as_encoded_bytes());
    }
    for file in source_files(&builder.workspace)? {
        let contents = std::fs::read(&file).map_err(Error::io("read", &file))?;
        let relative = file.strip_prefix(&builder.workspace).unwrap_or(&file);
        field(&relative.to_string_lossy(), &contents);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// What a tool prints about itself; a tool that cannot run gives an empty answer (the build then fails with the
/// reason, and a later working tool changes the hash).
fn answer(command: &mut Command, workspace: &Path) -> Vec<u8> {
    command
        .current_dir(workspace)
        .stdin(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| output.stdout)
        .unwrap_or_default()
}

/// Every source file, sorted.
pub fn source_files(workspace: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = ROOT_FILES
        .iter()
        .map(|name| workspace.join(name))
        .filter(|path| path.is_file())
        .collect();
    let mut crates = vec![workspace.to_owned()];
    crate_dirs(workspace, &mut crates)?;
    for dir in crates {
        for name in ["Cargo.toml", "build.rs"] {
            let file = dir.join(name);
            if file.is_file() {
                files.push(file);
            }
        }
        walk(&dir.join("src"), &mut files)?;
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// The crate folders in `dir` (those holding a Cargo.toml) and, beneath each, its own crate folders.
fn crate_dirs(dir: &Path, crates: &mut Vec<PathBuf>) -> Result<()> {
    let listing = std::fs::read_dir(dir).map_err(Error::io("list", dir))?;
    for entry in listing {
        let path = entry.map_err(Error::io("list", dir))?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let skipped = name.as_deref().is_some_and(|n| SKIPPED_DIRS.contains(&n));
        if !skipped && path.join("Cargo.toml").is_file() {
            crates.push(path.clone());
            crate_dirs(&path, crates)?;
        }
    }
    Ok(())
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let listing = match std::fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(Error::Io {
                action: "list",
                path: dir.to_owned(),
                source,
            });
        }
    };
    for entry in listing {
        let path = entry.map_err(Error::io("list", dir))?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else if path.is_file() {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sources_are_those_of_every_crate_beside_the_root_and_beneath_one() {
        let workspace = tempfile::tempdir().unwrap();
        let root = workspace.path();
        for file in [
            "Cargo.toml",
            "Cargo.lock",
            "src/main.rs",
            "tests/cli.rs",
            "writer/Cargo.toml",
            "writer/src/lib.rs",
            "writer/benches/b.rs",
            "writer/environment/Cargo.toml",
            "writer/environment/src/lib.rs",
            "writer/environment/tests/t.rs",
            "notes/readme.rs",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, file).unwrap();
        }
        let files: Vec<String> = source_files(root)
            .unwrap()
            .iter()
            .map(|f| f.strip_prefix(root).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            files,
            [
                "Cargo.lock",
                "Cargo.toml",
                "src/main.rs",
                "writer/Cargo.toml",
                "writer/environment/Cargo.toml",
                "writer/environment/src/lib.rs",
                "writer/src/lib.rs",
            ]
        );
    }
}
