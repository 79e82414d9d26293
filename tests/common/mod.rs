//! Helpers shared by the integration tests: configs from text, resolving, and the repository paths.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};

use stream2neptune_plan::config::{Layer, StackConfig, parse_sets};
use stream2neptune_plan::{Name, Plan, resolve};

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

/// Checks that README.md's text between the `begin` and `end` markers is `generated`, failing with `stale` (which
/// says how to regenerate it); with REGENERATE_README set (`make readme-tables`), writes `generated` there instead.
pub fn check_readme_section(begin: &str, end: &str, generated: &str, stale: &str) {
    let path = repo_root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("read README.md");
    let start = readme
        .find(begin)
        .unwrap_or_else(|| panic!("README.md has no marker {begin:?}"))
        + begin.len();
    let stop = readme[start..]
        .find(end)
        .unwrap_or_else(|| panic!("README.md has no marker {end:?} after {begin:?}"))
        + start;
    if std::env::var_os("REGENERATE_README").is_some() {
        let updated = format!("{}{generated}{}", &readme[..start], &readme[stop..]);
        std::fs::write(&path, updated).expect("write README.md");
        return;
    }
    // No diff dump: the tables are long; the message says how to regenerate them.
    assert!(readme[start..stop] == *generated, "{stale}");
}
