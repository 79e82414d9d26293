//! Where the tools `make tools` installs live: `.venv/bin` (Python tools), `node_modules`
//! (kinesis-mock), `.java` (Gremlin Server, Neo4j), all under the workspace root, as the engines crate finds them.

use std::path::PathBuf;

pub use stream2neptune_engines::tools::workspace_root;

/// `<workspace>/.venv/bin/<name>`, else `<name>` on PATH, or a panic that says what to do.
pub fn tool(name: &str) -> PathBuf {
    stream2neptune_engines::tools::venv_tool(name).unwrap_or_else(|e| panic!("{e}"))
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
    fn a_tool_on_path_is_found() {
        assert!(tool("sh").is_file());
    }

    #[test]
    #[should_panic(expected = "no-such-tool-stream2neptune not found at ")]
    fn a_missing_tool_is_a_panic_naming_it() {
        tool("no-such-tool-stream2neptune");
    }
}
