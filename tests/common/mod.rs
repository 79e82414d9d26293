//! Helpers shared by the integration tests: configs from text, resolving, and the repository paths.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};

use stream2neptune_plan::config::{Layer, StackConfig, parse_sets};
use stream2neptune_plan::{Name, Plan, resolve};

pub mod markdown;

/// The repository root (the root crate's manifest folder).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A test fixture folder holding templates/ and dashboards/.
pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(name)
}

/// Parses config text as if read from `stack.yaml`.
pub fn config(text: &str) -> StackConfig {
    StackConfig::parse(Path::new("stack.yaml"), text).expect("test config is valid")
}

/// `--set` arguments as a layer.
pub fn sets(args: &[&str]) -> Layer {
    parse_sets(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>()).expect("valid --set")
}

/// Resolves `region` of config text with `--set` arguments, panicking on errors.
pub fn resolved(text: &str, region: &str, set_args: &[&str]) -> Plan {
    resolve(&config(text), region, &sets(set_args)).expect("region resolves")
}

/// The error message of resolving `region`, panicking if it resolves.
pub fn resolve_error(text: &str, region: &str, set_args: &[&str]) -> String {
    resolve(&config(text), region, &sets(set_args))
        .expect_err("region must not resolve")
        .to_string()
}

/// A parameter's value and origin, as text.
pub fn value(resolved: &Plan, name: Name) -> (String, String) {
    let param = resolved.get(name);
    (param.value.to_string(), param.origin.to_string())
}

/// Settings that make an existing-cluster region valid.
pub const EXISTING: &[&str] = &[
    "UseExistingCluster=true",
    "ExistingClusterEndpoint=graph.cluster-abc123.us-east-1.neptune.amazonaws.com",
    "ExistingClusterReaderEndpoint=graph.cluster-ro-abc123.us-east-1.neptune.amazonaws.com",
    "ExistingClusterResourceId=cluster-ABCDEFGHIJKL0123",
    "ExistingVpcId=vpc-0123456789abcdef0",
    "ExistingSubnetIds=subnet-0123456789abcdef0,subnet-0fedcba9876543210",
    "ExistingSecurityGroupId=sg-0123456789abcdef0",
];

/// Checks that the text of the documentation file `doc` (a path from the repository root) between the `begin` and
/// `end` markers is `generated`, failing with `stale` (which says how to regenerate it); with REGENERATE_DOCS set
/// (`make doc-tables`), writes `generated` there instead.
pub fn check_doc_section(doc: &str, begin: &str, end: &str, generated: &str, stale: &str) {
    let path = repo_root().join(doc);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {doc}: {e}"));
    let start = text
        .find(begin)
        .unwrap_or_else(|| panic!("{doc} has no marker {begin:?}"))
        + begin.len();
    let stop = text[start..]
        .find(end)
        .unwrap_or_else(|| panic!("{doc} has no marker {end:?} after {begin:?}"))
        + start;
    if std::env::var_os("REGENERATE_DOCS").is_some() {
        let updated = format!("{}{generated}{}", &text[..start], &text[stop..]);
        std::fs::write(&path, updated).unwrap_or_else(|e| panic!("write {doc}: {e}"));
        return;
    }
    // No diff dump: the tables are long; the message says how to regenerate them.
    assert!(text[start..stop] == *generated, "{stale}");
}
