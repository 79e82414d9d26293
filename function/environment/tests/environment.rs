//! The writer's environment table (function/environment/src/lib.rs) against what uses it: the
//! Environment table of docs/writer.md is generated from it, and every variable the CloudFormation template
//! sets on the function is one the writer reads. (Local mode's variables go through the writer's
//! `Config::from_pairs`, which refuses names the writer does not read.)
//!
//! `make doc-tables` rewrites that table (REGENERATE_DOCS=1 runs this test in write
//! mode).

use std::path::{Path, PathBuf};

use stream2neptune_writer_environment::{self as environment, Variable};

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

/// The `Variables:` block of the writer function in the template: (name, value) per line.
fn template_variables() -> Vec<(String, String)> {
    let text =
        std::fs::read_to_string(repo_root().join("templates/partials/writer.yaml.j2")).unwrap();
    let mut lines = text.lines();
    let header = lines
        .by_ref()
        .find(|l| l.trim() == "Variables:")
        .expect("templates/partials/writer.yaml.j2 has an Environment Variables block");
    let indent = header.len() - header.trim_start().len();
    lines
        .take_while(|l| l.len() - l.trim_start().len() > indent && !l.trim().is_empty())
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim_start().starts_with("{%"))
        .map(|l| {
            let (name, value) = l.trim().split_once(':').expect("NAME: value");
            (name.to_owned(), value.trim().to_owned())
        })
        .collect()
}

#[test]
fn every_variable_the_template_sets_is_in_the_table() {
    let vars = template_variables();
    assert!(vars.len() >= 10, "{vars:?}");
    for (name, value) in &vars {
        assert!(
            environment::variable(name).is_some(),
            "templates/partials/writer.yaml.j2 sets {name}: {value}, which the writer does not read (function/environment/src/lib.rs)"
        );
    }
    // The one required variable is always set.
    assert!(
        vars.iter()
            .any(|(n, _)| n == environment::NEPTUNE_ENDPOINT.name)
    );
}

#[test]
fn the_template_leaves_the_lambda_set_variables_to_lambda() {
    for (name, _) in template_variables() {
        let lambda_sets = matches!(
            environment::variable(&name),
            Some(Variable::Text(t)) if t.default == "set by Lambda"
        );
        assert!(
            !lambda_sets,
            "the template must not set {name}: Lambda does"
        );
    }
}
