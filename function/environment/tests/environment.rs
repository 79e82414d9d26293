//! The writer's environment table (function/environment/src/lib.rs) against the README: its
//! Environment table is generated from it. (The stack's and local mode's variables are built from
//! the table's `set` column; tests/render.rs and local/src/settings.rs check each against it.)
//!
//! `make readme-tables` rewrites the README's table (REGENERATE_README=1 runs this test in write
//! mode).

use std::path::{Path, PathBuf};

use stream2neptune_writer_environment as environment;

const BEGIN: &str = "<!-- BEGIN writer-environment (generated from function/environment/src/lib.rs: `make readme-tables`) -->\n";
const END: &str = "<!-- END writer-environment -->";

fn repo_root() -> PathBuf {
    // function/environment/ -> the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

#[test]
fn readme_environment_is_the_generated_table() {
    let path = repo_root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find(BEGIN)
        .expect("README has the BEGIN writer-environment marker")
        + BEGIN.len();
    let stop = readme[start..]
        .find(END)
        .expect("README has the END writer-environment marker")
        + start;
    let generated = environment::markdown_table();
    if std::env::var_os("REGENERATE_README").is_some() {
        let updated = format!("{}{generated}{}", &readme[..start], &readme[stop..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    // No diff dump: the table is long; the message says how to regenerate it.
    assert!(
        readme[start..stop] == generated,
        "README.md's writer Environment table is stale: run `make readme-tables` and review the diff"
    );
}
