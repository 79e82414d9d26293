//! The writer's environment table (function/environment/src/lib.rs) against the documentation: the
//! Environment table of docs/writer.md is generated from it. (The stack's and local mode's variables are built
//! from the table's `set` column; tests/render.rs and local/src/settings.rs check each against it.)
//!
//! `make doc-tables` rewrites that table (REGENERATE_DOCS=1 runs this test in write
//! mode).

use std::path::{Path, PathBuf};

use stream2neptune_writer_environment as environment;

const BEGIN: &str = "<!-- BEGIN writer-environment (generated from function/environment/src/lib.rs: `make doc-tables`) -->\n";
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
fn docs_environment_is_the_generated_table() {
    let path = repo_root().join("docs/writer.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let start = doc
        .find(BEGIN)
        .expect("docs/writer.md has the BEGIN writer-environment marker")
        + BEGIN.len();
    let stop = doc[start..]
        .find(END)
        .expect("docs/writer.md has the END writer-environment marker")
        + start;
    let generated = environment::markdown_table();
    if std::env::var_os("REGENERATE_DOCS").is_some() {
        let updated = format!("{}{generated}{}", &doc[..start], &doc[stop..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    // No diff dump: the table is long; the message says how to regenerate it.
    assert!(
        doc[start..stop] == generated,
        "docs/writer.md's writer Environment table is stale: run `make doc-tables` and review the diff"
    );
}
