//! Packaging against the real build: cargo-lambda builds the writer and the driver once per run, with the cargo
//! profile STREAM2NEPTUNE_CARGO_PROFILE names (release by default; `make test` uses the quicker package-test),
//! and every test here reads that one result.

mod deploy_support;

use std::io::Read as _;

use deploy_support::{packaged, read, workspace};
use stream2neptune::package::{
    self, Architecture, Builder, Manifest, Part, Request, archive, glibc,
};

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
fn packaging_twice_gives_the_same_bytes_and_hash() {
    // GIVEN a first packaging run
    let first = artifact(Part::Writer);
    // WHEN the writer is packaged again into another folder (cargo finds the build fresh)
    let again = tempfile::tempdir().unwrap();
    let request = Request {
        workspace: workspace(),
        out: again.path().to_owned(),
        parts: vec![Part::Writer],
        writer_archs: vec![Architecture::X86_64],
    };
    let second = package::package(&request, &mut Vec::new()).expect("package again");
    // THEN the zip has the same SHA-256, the same key and the same bytes
    assert_eq!(second[0].sha256, first.sha256);
    assert_eq!(second[0].key, first.key);
    assert_eq!(
        read(&second[0].path(again.path())),
        read(&first.path(packaged().dir.path()))
    );
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
        assert_eq!(artifact.parameter, artifact.part.parameter());
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
    assert_eq!(notebooks.parameter, "NotebooksKeyPrefix");
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
    let artifacts = package::package(&request, &mut Vec::new()).expect("package notebooks");
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
    let changed = package::package(&request, &mut Vec::new()).unwrap();
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
    let artifacts = package::package(&request, &mut log).unwrap();
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
