//! Where the tools `make tools` installs live: `.venv/bin` (Python tools), `node_modules`
//! (kinesis-mock), `.java` (Gremlin Server, Neo4j), all under the workspace root.

use std::path::{Path, PathBuf};

/// The workspace root (testkit/..), where `make tools` installs the test tools.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ has a parent")
        .to_path_buf()
}

/// `<workspace>/.venv/bin/<name>`, else `<name>` on PATH, if either exists.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let local = workspace_root().join(".venv/bin").join(name);
    if local.is_file() {
        return Some(local);
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// [`find_tool`], or a panic that says what to do.
pub fn tool(name: &str) -> PathBuf {
    find_tool(name).unwrap_or_else(|| {
        panic!(
            "{name} not found in {}/.venv/bin or on PATH: run `make tools`",
            workspace_root().display()
        )
    })
}

/// `<workspace>/node_modules/<package>` (KINESIS_MOCK_DIR overrides it for kinesis-local).
pub fn node_module(package: &str) -> PathBuf {
    if package == "kinesis-local"
        && let Some(dir) = std::env::var_os("KINESIS_MOCK_DIR")
    {
        return PathBuf::from(dir);
    }
    workspace_root().join("node_modules").join(package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_root_holds_the_workspace_manifest() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(workspace_root().join("testkit").is_dir());
    }

    #[test]
    fn a_tool_on_path_is_found_and_a_missing_one_is_not() {
        assert!(find_tool("sh").is_some());
        assert!(find_tool("no-such-tool-stream2neptune").is_none());
    }
}
