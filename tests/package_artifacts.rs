//! Packaging against the real build: cargo-lambda builds the writer and the driver once per run, with the cargo
//! profile STREAM2NEPTUNE_CARGO_PROFILE names (release by default; `make test` uses the quicker package-test),
//! and every test here reads that one result.

mod deploy_support;

use std::io::Read as _;
use stream2neptune_process::shutdown::Shutdown;

use deploy_support::{packaged, read, workspace};
use stream2neptune::package::{
    self, Architecture, Builder, Manifest, Part, Request, archive, glibc,
};
use stream2neptune_plan::Name;

fn zip_entries(bytes: &[u8]) -> Vec<(String, Option<u32>, zip::DateTime, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a valid zip");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("entry");
            let mut contents = Vec::new();
            file.read_to_end(&mut contents).expect("entry bytes");
            (
                file.name().to_owned(),
                file.unix_mode(),
                file.last_modified().expect("a timestamp"),
                contents,
            )
        })
        .collect()
}

fn artifact(part: Part) -> &'static package::Artifact {
    packaged()
        .artifacts
        .iter()
        .find(|a| a.part == part)
        .unwrap_or_else(|| panic!("no {part} artifact in {:?}", packaged().artifacts))
}

#[test]
fn writer_zip_holds_one_executable_bootstrap_with_a_fixed_timestamp() {
    // GIVEN the packaged writer
    let writer = artifact(Part::Writer);
    // WHEN its zip is opened
    let entries = zip_entries(&read(&writer.path(packaged().dir.path())));
    // THEN it holds exactly one `bootstrap`, 0755, stamped 1980-01-01 00:00:00, an ELF executable
    assert_eq!(
        entries.len(),
        1,
        "{:?}",
        entries.iter().map(|e| &e.0).collect::<Vec<_>>()
    );
    let (name, mode, time, contents) = &entries[0];
    assert_eq!(name, "bootstrap");
    assert_eq!(mode.map(|m| m & 0o777), Some(0o755));
    assert_eq!(*time, zip::DateTime::default());
    assert_eq!(&contents[..4], b"\x7fELF");
}

#[test]
fn driver_zip_holds_the_stream2neptune_binary() {
    let driver = artifact(Part::Driver);
    let entries = zip_entries(&read(&driver.path(packaged().dir.path())));
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0, "stream2neptune");
    assert_eq!(entries[0].1.map(|m| m & 0o777), Some(0o755));
    assert_eq!(driver.architecture, Some(Architecture::X86_64));
}

#[test]
fn packaging_again_twice_at_once_gives_the_same_bytes_and_hash() {
    // GIVEN a first packaging run
    let first = artifact(Part::Writer);
    // WHEN the writer is packaged again into two other folders at the same time (cargo finds the build fresh, and
    // each run moves the built binary out of the one target folder: the builder's lock keeps them apart)
    let folders = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let runs: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = folders
            .iter()
            .map(|folder| {
                scope.spawn(|| {
                    let request = Request {
                        workspace: workspace(),
                        out: folder.path().to_owned(),
                        parts: vec![Part::Writer],
                        writer_archs: vec![Architecture::X86_64],
                    };
                    let mut log = Vec::new();
                    package::package(&request, &mut log, &Shutdown::never()).unwrap_or_else(|err| {
                        panic!("package again: {err}\n{}", String::from_utf8_lossy(&log))
                    })
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // THEN each zip has the same SHA-256, the same key and the same bytes
    for (folder, second) in folders.iter().zip(&runs) {
        assert_eq!(second[0].sha256, first.sha256);
        assert_eq!(second[0].key, first.key);
        assert_eq!(
            read(&second[0].path(folder.path())),
            read(&first.path(packaged().dir.path()))
        );
    }
}

#[test]
fn binaries_need_no_glibc_newer_than_2_34() {
    for part in [Part::Writer, Part::Driver] {
        // GIVEN the binary inside the packaged zip
        let zip = read(&artifact(part).path(packaged().dir.path()));
        let binary = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(binary.path(), &zip_entries(&zip)[0].3).unwrap();
        // WHEN its ELF version needs are read
        let versions = glibc::required_versions(binary.path()).expect("readable ELF");
        // THEN it needs glibc symbols, none newer than provided.al2023's 2.34
        assert!(
            !versions.is_empty(),
            "{part}: no GLIBC_ version needs found; is it dynamically linked?"
        );
        let newest = versions.iter().max().unwrap();
        assert!(
            (newest.0, newest.1) <= glibc::MAX_GLIBC,
            "{part} needs GLIBC_{}.{}",
            newest.0,
            newest.1
        );
        glibc::check(binary.path()).expect("the check agrees");
    }
}

#[test]
fn manifest_gives_name_architecture_sha256_size_and_key_of_each_artifact() {
    let dir = packaged().dir.path();
    let manifest = Manifest::load(dir).expect("manifest.json");
    assert_eq!(manifest.artifacts.len(), 3, "{manifest:?}");
    for artifact in &manifest.artifacts {
        let bytes = read(&artifact.path(dir));
        assert_eq!(
            artifact.sha256,
            archive::sha256_hex(&bytes),
            "{}",
            artifact.name
        );
        assert_eq!(artifact.size, bytes.len() as u64, "{}", artifact.name);
        assert_eq!(artifact.name, artifact.part.name());
        assert_eq!(artifact.parameter, artifact.part.parameter().as_str());
    }
    let writer = manifest
        .get(Part::Writer, Some(Architecture::X86_64))
        .expect("writer");
    assert_eq!(
        writer.key,
        format!("artifacts/stream2neptune-writer-{}.zip", writer.sha256)
    );
    assert_eq!(writer.set_arg(), format!("FunctionCodeKey={}", writer.key));
    let driver = manifest
        .get(Part::Driver, Some(Architecture::X86_64))
        .expect("driver");
    assert_eq!(
        driver.key,
        format!("artifacts/stream2neptune-driver-{}.zip", driver.sha256)
    );
    let notebooks = manifest.get(Part::Notebooks, None).expect("notebooks");
    assert_eq!(
        notebooks.key,
        format!("artifacts/notebooks/{}/", notebooks.sha256)
    );
    assert_eq!(notebooks.parameter, Name::NotebooksKeyPrefix.as_str());
    // The JSON spells the architecture as Lambda does.
    let json: serde_json::Value =
        serde_json::from_slice(&read(&dir.join("manifest.json"))).unwrap();
    assert!(
        json["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["architecture"] == "x86_64")
    );
}

#[test]
fn notebooks_are_zipped_copied_and_content_addressed() {
    // GIVEN a workspace with two notebooks and a stray file
    let workspace = tempfile::tempdir().unwrap();
    let notebooks = workspace.path().join("notebooks");
    std::fs::create_dir(&notebooks).unwrap();
    std::fs::write(notebooks.join("b-queries.ipynb"), br#"{"cells": []}"#).unwrap();
    std::fs::write(notebooks.join("a-load.ipynb"), br#"{"cells": [1]}"#).unwrap();
    std::fs::write(notebooks.join("README.txt"), b"not a notebook").unwrap();
    let out = tempfile::tempdir().unwrap();
    let request = Request {
        workspace: workspace.path().to_owned(),
        out: out.path().to_owned(),
        parts: vec![Part::Notebooks],
        writer_archs: vec![],
    };
    // WHEN only the notebooks are packaged (no build needed)
    let artifacts =
        package::package(&request, &mut Vec::new(), &Shutdown::never()).expect("package notebooks");
    // THEN the zip and the upload folder hold exactly the notebooks, sorted
    let notebooks_artifact = &artifacts[0];
    assert_eq!(
        notebooks_artifact.files,
        ["a-load.ipynb", "b-queries.ipynb"]
    );
    let names: Vec<String> = zip_entries(&read(&notebooks_artifact.path(out.path())))
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(names, ["a-load.ipynb", "b-queries.ipynb"]);
    let copy = out
        .path()
        .join(Part::Notebooks.files_dir(&notebooks_artifact.sha256));
    assert_eq!(read(&copy.join("a-load.ipynb")), br#"{"cells": [1]}"#);
    // AND a changed notebook changes the key
    std::fs::write(notebooks.join("a-load.ipynb"), br#"{"cells": [2]}"#).unwrap();
    let changed = package::package(&request, &mut Vec::new(), &Shutdown::never()).unwrap();
    assert_ne!(changed[0].key, notebooks_artifact.key);
}

#[test]
fn missing_notebooks_folder_packages_an_empty_set_with_a_warning() {
    let workspace = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let request = Request {
        workspace: workspace.path().to_owned(),
        out: out.path().to_owned(),
        parts: vec![Part::Notebooks],
        writer_archs: vec![],
    };
    let mut log = Vec::new();
    let artifacts = package::package(&request, &mut log, &Shutdown::never()).unwrap();
    assert!(artifacts[0].files.is_empty());
    assert!(String::from_utf8_lossy(&log).contains("warning: no notebooks"));
}

#[test]
fn zip_bytes_do_not_depend_on_entry_order() {
    let entry = |name: &str, body: &[u8]| archive::Entry {
        name: name.to_owned(),
        contents: body.to_vec(),
        mode: archive::DATA,
    };
    let one = archive::zip("t", &[entry("a", b"1"), entry("b", b"2")]).unwrap();
    let two = archive::zip("t", &[entry("b", b"2"), entry("a", b"1")]).unwrap();
    assert_eq!(one, two);
    assert_eq!(archive::sha256_hex(&one), archive::sha256_hex(&two));
}

#[test]
fn arm64_needs_its_rust_target_installed() {
    // GIVEN this machine's toolchain
    let builder = Builder::find(&workspace()).expect("cargo-lambda (run `make tools`)");
    let arm64_std = builder.check_target(Architecture::Arm64);
    // THEN arm64 either builds (target installed) or fails with what to run
    match arm64_std {
        Ok(()) => {}
        Err(err) => {
            let message = err.to_string();
            assert!(
                message.contains("rustup target add aarch64-unknown-linux-gnu"),
                "{message}"
            );
            assert!(message.contains("--arch x86_64"), "{message}");
        }
    }
    builder
        .check_target(Architecture::X86_64)
        .expect("the host target is installed");
}

#[test]
fn glibc_version_names_parse() {
    assert_eq!(glibc::parse_glibc("GLIBC_2.34"), Some((2, 34, 0)));
    assert_eq!(glibc::parse_glibc("GLIBC_2.3.4"), Some((2, 3, 4)));
    assert_eq!(glibc::parse_glibc("GLIBC_PRIVATE"), None);
    assert_eq!(glibc::parse_glibc("GCC_3.0"), None);
    assert_eq!(glibc::parse_glibc("GLIBC_2.3.4.5"), None);
}

#[test]
fn packaging_again_with_unchanged_sources_reuses_the_binaries_without_building() {
    // GIVEN a folder packaged once (its manifest records what each binary was built from)
    let dir = packaged().dir.path();
    let manifest = Manifest::load(dir).unwrap();
    let writer = manifest
        .get(Part::Writer, Some(Architecture::X86_64))
        .unwrap();
    assert!(writer.inputs.is_some(), "{writer:?}");
    // WHEN it is packaged again with nothing changed
    let request = Request {
        workspace: workspace(),
        out: dir.to_owned(),
        parts: package::ALL_PARTS.to_vec(),
        writer_archs: vec![Architecture::X86_64],
    };
    let mut log = Vec::new();
    let again = package::package(&request, &mut log, &Shutdown::never()).expect("package again");
    let log = String::from_utf8_lossy(&log);
    // THEN no build ran, each binary is reused, and the keys are the same
    assert!(!log.contains("building "), "{log}");
    for part in ["writer", "driver"] {
        assert!(
            log.contains(&format!(
                "{part} (x86_64): sources and build settings unchanged since"
            )),
            "{part}\n{log}"
        );
    }
    let keys = |artifacts: &[package::Artifact]| {
        artifacts.iter().map(|a| a.key.clone()).collect::<Vec<_>>()
    };
    assert_eq!(keys(&again), keys(&packaged().artifacts));
}

/// A crate folder as the inputs hash reads it: Cargo.toml, src/ and a tests/ folder that is not an input.
fn small_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, body) in [
        ("Cargo.toml", "[workspace]\nmembers = [\"function\"]\n"),
        ("Cargo.lock", "# lock\n"),
        ("function/Cargo.toml", "[package]\nname = \"f\"\n"),
        ("function/src/main.rs", "fn main() {}\n"),
        ("function/tests/t.rs", "// a test\n"),
    ] {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, body).unwrap();
    }
    dir
}

#[test]
fn the_inputs_hash_follows_sources_and_settings_but_not_tests() {
    let dir = small_workspace();
    let builder = |profile: &str| Builder {
        cargo_lambda: dir.path().join("no-cargo-lambda"),
        workspace: dir.path().to_owned(),
        target_dir: dir.path().join("target"),
        profile: profile.to_owned(),
    };
    let spec = Part::Writer.binary().unwrap();
    let hash = |profile: &str, arch| package::inputs::hash(&builder(profile), spec, arch).unwrap();
    let first = hash("release", Architecture::X86_64);
    assert_eq!(hash("release", Architecture::X86_64), first, "stable");
    assert_ne!(hash("release", Architecture::Arm64), first, "target");
    assert_ne!(hash("package-test", Architecture::X86_64), first, "profile");
    std::fs::write(dir.path().join("function/tests/t.rs"), "// changed\n").unwrap();
    assert_eq!(
        hash("release", Architecture::X86_64),
        first,
        "tests are no input"
    );
    std::fs::write(dir.path().join("function/src/main.rs"), "fn main() { }\n").unwrap();
    assert_ne!(
        hash("release", Architecture::X86_64),
        first,
        "a source file"
    );
    let changed = hash("release", Architecture::X86_64);
    std::fs::write(dir.path().join("Cargo.lock"), "# other lock\n").unwrap();
    assert_ne!(hash("release", Architecture::X86_64), changed, "Cargo.lock");
}

#[test]
fn a_missing_rust_target_is_installed_with_rustup_before_the_build() {
    // GIVEN a toolchain without the arm64 standard library (stand-in rustc and rustup that record their calls),
    // and a stand-in cargo-lambda that fails the build it is asked for
    let dir = small_workspace();
    let bin = dir.path().join("bin");
    let venv = dir.path().join(".venv/bin");
    let sysroot = dir.path().join("sysroot");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&venv).unwrap();
    let calls = dir.path().join("calls.log");
    let script = |path: std::path::PathBuf, body: String| {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    let (calls_log, root) = (calls.display(), sysroot.display());
    script(
        bin.join("rustc"),
        format!("echo \"rustc $*\" >> {calls_log}; echo {root}"),
    );
    script(
        bin.join("rustup"),
        format!("echo \"rustup $*\" >> {calls_log}; mkdir -p {root}/lib/rustlib/$3/lib"),
    );
    script(
        venv.join("cargo-lambda"),
        format!("echo \"cargo-lambda $*\" >> {calls_log}; exit 3"),
    );
    let path = std::env::join_paths(
        std::iter::once(bin.clone())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    // WHEN the arm64 writer is packaged
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_stream2neptune"))
        .args([
            "package",
            "--only",
            "writer",
            "--arch",
            "arm64",
            "--workspace",
        ])
        .arg(dir.path())
        .arg("--out")
        .arg(dir.path().join("out"))
        .env("PATH", path)
        .output()
        .unwrap();
    // THEN rustup installed the target, and only then the build started (and failed, as the stand-in does)
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "the Rust target aarch64-unknown-linux-gnu for arm64 is not installed; installing it: "
        ) && stderr.contains("rustup target add aarch64-unknown-linux-gnu"),
        "{stderr}"
    );
    let calls = std::fs::read_to_string(&calls).unwrap();
    let install = calls
        .find("rustup target add aarch64-unknown-linux-gnu")
        .unwrap_or_else(|| panic!("{calls}"));
    let build = calls
        .find("cargo-lambda lambda build")
        .unwrap_or_else(|| panic!("{calls}"));
    assert!(install < build, "{calls}");
    assert!(
        stderr.contains("failed (exit status: 3); fix the build errors above"),
        "{stderr}"
    );
}
