//! Where a command finds the programs it runs and the port a child server listens on: `make tools` installs the
//! project's tools into `<workspace>/.venv/bin`, which is looked in before PATH.

use std::path::{Path, PathBuf};

/// `<workspace>/.venv/bin/<name>` when it is a file, else the first `name` on PATH.
pub fn find_tool(workspace: &Path, name: &str) -> Option<PathBuf> {
    let venv = workspace.join(".venv/bin").join(name);
    if venv.is_file() {
        return Some(venv);
    }
    on_path(name)
}

/// The first `name` on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// A free TCP port on 127.0.0.1 for a child server: bound, read and released, so another process may take it
/// before the child does (the caller's start check sees that).
pub fn free_port() -> std::io::Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_venv_is_looked_in_before_path() {
        let workspace = std::env::temp_dir().join(format!("s2n-tools-{}", std::process::id()));
        std::fs::create_dir_all(workspace.join(".venv/bin")).unwrap();
        std::fs::write(workspace.join(".venv/bin/sh"), "").unwrap();
        assert_eq!(
            find_tool(&workspace, "sh"),
            Some(workspace.join(".venv/bin/sh"))
        );
        std::fs::remove_dir_all(&workspace).unwrap();
        assert_eq!(find_tool(&workspace, "sh"), on_path("sh"));
        assert!(on_path("sh").is_some());
        assert_eq!(find_tool(&workspace, "no-such-tool-stream2neptune"), None);
    }

    #[test]
    fn a_free_port_can_be_bound() {
        let port = free_port().unwrap();
        assert_ne!(port, 0);
        std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    }
}
