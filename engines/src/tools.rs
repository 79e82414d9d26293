//! Where the project's tools are: the workspace root, `.venv/bin`, `java` and PATH.

use std::path::{Path, PathBuf};

use stream2neptune_process::tools::find_tool;

use crate::error::{EngineError, Result};

/// The workspace root (the folder holding `stack.yaml`, `.venv/` and `node_modules/`).
pub fn workspace_root() -> PathBuf {
    // engines/.. at build time; a moved binary falls back to the working directory.
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf);
    match built {
        Some(root) if root.join("stack.yaml").is_file() => root,
        _ => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    }
}

/// `<workspace>/.venv/bin/<name>`, else `<name>` on PATH; a clear error naming `make tools` otherwise.
pub fn venv_tool(name: &str) -> Result<PathBuf> {
    let workspace = workspace_root();
    find_tool(&workspace, name).ok_or_else(|| EngineError::ToolMissing {
        tool: name.to_owned(),
        looked_in: workspace.join(".venv/bin").join(name),
    })
}

/// `$JAVA_HOME/bin/java`, else `java` on PATH (the Java engines).
pub fn java() -> PathBuf {
    std::env::var_os("JAVA_HOME")
        .map(|home| PathBuf::from(home).join("bin/java"))
        .filter(|java| java.is_file())
        .unwrap_or_else(|| PathBuf::from("java"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_root_holds_the_stack_file() {
        assert!(workspace_root().join("stack.yaml").is_file());
        assert!(workspace_root().join("engines").is_dir());
    }

    #[test]
    fn a_tool_on_path_is_found_and_a_missing_one_is_named_with_what_to_do() {
        assert!(stream2neptune_process::tools::on_path("sh").is_some());
        let missing = venv_tool("no-such-tool-stream2neptune")
            .unwrap_err()
            .to_string();
        assert!(
            missing.starts_with("no-such-tool-stream2neptune not found at ")
                && missing.ends_with("or on PATH: run `make tools`"),
            "{missing}"
        );
    }
}
