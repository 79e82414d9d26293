//! The binary as users run it: --help texts and one error (insta-cmd), the documentation's generated table and
//! that every relative link and anchor of the documentation resolves.

mod common;

use std::path::PathBuf;
use std::process::Command;

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};

fn bin() -> Command {
    let mut cmd = Command::new(get_cargo_bin("stream2neptune"));
    cmd.current_dir(common::repo_root());
    cmd
}

#[test]
fn help() {
    assert_cmd_snapshot!(bin().arg("--help"));
}

#[test]
fn render_help() {
    assert_cmd_snapshot!(bin().args(["render", "--help"]));
}

#[test]
fn params_help() {
    assert_cmd_snapshot!(bin().args(["params", "--help"]));
}

/// Every other command's --help, one snapshot each: one layout, every default shown once.
#[test]
fn every_command_help() {
    for command in [
        &["package"][..],
        &["deploy"],
        &["function-deploy"],
        &["destroy"],
        &["status"],
        &["logs"],
        &["redrive"],
        &["dataset"],
        &["drive"],
        &["load"],
        &["demo"],
        &["local", "up"],
        &["local", "down"],
        &["local", "status"],
        &["local", "query"],
        &["local", "redrive"],
        &["completions"],
    ] {
        let name = format!("help_{}", command.join("_"));
        // The driver's and loader's flags read AWS_REGION and the like: the snapshot must not show this
        // machine's values.
        let mut cmd = bin();
        for var in [
            "AWS_REGION",
            "STREAM_NAME",
            "EDGE_FILE",
            "DRIVER_PERIOD_MS",
            "DRIVER_BATCH_SIZE",
            "DRIVER_RATE",
            "DRIVER_AGGREGATION",
            "RESUME_FILE",
            "NEPTUNE_ENDPOINT",
            "VERTEX_FILE_S3_LOCATION",
            "LOADER_ROLE_ARN",
            "IAM_AUTH",
        ] {
            cmd.env_remove(var);
        }
        insta::allow_duplicates! {
            insta::with_settings!({snapshot_suffix => name.clone(), prepend_module_to_snapshot => true}, {
                assert_cmd_snapshot!(cmd.args(command).arg("--help"));
            });
        }
    }
}

#[test]
fn version_names_the_release() {
    let output = bin().arg("--version").output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("stream2neptune {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn bash_completes_the_subcommands_and_their_flags() {
    // GIVEN the bash completion script, loaded into a real bash and called as `complete -F` calls it
    let script = bin().args(["completions", "bash"]).output().unwrap();
    assert!(script.status.success());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stream2neptune.bash");
    std::fs::write(&file, &script.stdout).unwrap();
    let complete = |words: &str| {
        let count = words.split(' ').count() - 1;
        let output = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {}; COMP_WORDS=({words}); COMP_CWORD={count}; _stream2neptune stream2neptune \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                file.display()
            ))
            .output()
            .expect("bash runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    // WHEN a subcommand and a flag are half typed THEN bash offers them
    assert!(
        complete("stream2neptune dep")
            .lines()
            .any(|l| l == "deploy")
    );
    let flags = complete("stream2neptune deploy --dr");
    assert!(flags.lines().any(|l| l == "--dry-run"), "{flags}");
    let flags = complete("stream2neptune deploy --pl");
    assert!(flags.lines().any(|l| l == "--plan"), "{flags}");
    let flags = complete("stream2neptune logs --fo");
    assert!(flags.lines().any(|l| l == "--follow"), "{flags}");
    let values = complete("stream2neptune status --output ");
    assert_eq!(
        values.lines().collect::<Vec<_>>(),
        ["text", "json"],
        "{values}"
    );
    // AND zsh and fish get their own scripts naming the same commands
    for (shell, marker) in [
        ("zsh", "#compdef stream2neptune"),
        ("fish", "complete -c stream2neptune"),
    ] {
        let output = bin().args(["completions", shell]).output().unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.contains(marker) && text.contains("function-deploy"),
            "{shell}"
        );
    }
}

#[test]
fn function_deploy_refuses_set() {
    let output = bin()
        .args([
            "function-deploy",
            "--region",
            "eu-west-1",
            "--dry-run",
            "--set",
            "ShardCount=2",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: function-deploy changes FunctionCodeKey alone and keeps every other parameter's value, so it takes no --set (ShardCount=2); to change parameters, deploy the stack: `make stack REGION=eu-west-1 SET=\"ShardCount=2\"` (stream2neptune deploy --set ...)\n"
    );
}

#[test]
fn bad_config_error() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("stack.yaml");
    std::fs::write(
        &config,
        "defaults:\n  BatchReadSize: 100\nregions:\n  eu-west-1:\n    ShardCnt: 2\n  us-east-7:\n    DbInstanceType: db.r5.large\n",
    )
    .unwrap();
    // Run inside the temporary folder with relative paths; the filter catches any absolute path that leaks.
    let tmp_path = regex::escape(&tmp.path().display().to_string());
    insta::with_settings!({filters => vec![(tmp_path.as_str(), "[TMP]")]}, {
        assert_cmd_snapshot!(bin().current_dir(tmp.path()).args(["render", "--config", "stack.yaml", "--out", "out"]));
    });
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn invalid_region_value_exits_non_zero_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let status = bin()
        .args([
            "render",
            "--region",
            "eu-west-1",
            "--set",
            "BatchWriteSize=2000",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1));
    let stderr = String::from_utf8(status.stderr).unwrap();
    assert_eq!(
        stderr,
        "error: region eu-west-1: BatchWriteSize = 2000 (from --set) is above BatchReadSize = 500 (from region): a write batch is cut from one read batch, so BatchWriteSize must be at most BatchReadSize\n"
    );
    assert!(!out.exists());
}

#[test]
fn a_region_whose_files_cannot_both_be_written_keeps_its_previous_pair() {
    let tmp = tempfile::tempdir().unwrap();
    let render = |set: &str| {
        bin()
            .args([
                "render",
                "--region",
                "eu-west-1",
                "--set",
                set,
                "--templates-dir",
            ])
            .arg(common::fixture("minimal"))
            .arg("--out")
            .arg(tmp.path())
            .output()
            .unwrap()
    };
    assert!(render("ShardCount=2").status.success());
    let region = tmp.path().join("eu-west-1");
    let template = std::fs::read_to_string(region.join("template.yaml")).unwrap();
    // parameters.json cannot be replaced: a folder stands where it goes.
    std::fs::remove_file(region.join("parameters.json")).unwrap();
    std::fs::create_dir(region.join("parameters.json")).unwrap();
    std::fs::write(region.join("parameters.json").join("x"), "").unwrap();
    let output = render("ShardCount=3");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("parameters.json") && stderr.contains("a folder is in the way"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(region.join("template.yaml")).unwrap(),
        template
    );
    let leftovers: Vec<_> = std::fs::read_dir(&region)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "temporary files are removed: {leftovers:?}"
    );
}

#[test]
fn params_prints_values_with_their_origin() {
    let output = bin()
        .args([
            "params",
            "--region",
            "eu-west-1",
            "--set",
            "DriverPeriod=20",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let line = |name: &str| -> Vec<String> {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} in {stdout}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(line("ShardCount"), ["ShardCount", "4", "region"]);
    assert_eq!(line("DriverPeriod"), ["DriverPeriod", "20", "--set"]);
    assert_eq!(line("BatchReadSize"), ["BatchReadSize", "500", "region"]);
    assert_eq!(
        line("LogRetentionDays"),
        ["LogRetentionDays", "30", "config", "defaults"]
    );
    assert_eq!(
        line("FunctionTimeout"),
        ["FunctionTimeout", "120", "built-in", "default"]
    );
}

#[test]
fn docs_config_reference_is_the_generated_table() {
    let output = bin().args(["params", "--markdown"]).output().unwrap();
    assert!(output.status.success());
    common::check_doc_section(
        "docs/configuration.md",
        "<!-- BEGIN config-reference (generated by `stream2neptune params --markdown`) -->\n",
        "<!-- END config-reference -->",
        &String::from_utf8(output.stdout).unwrap(),
        "docs/configuration.md's config reference is stale: run `make doc-tables` and review the diff",
    );
}

#[test]
fn a_config_without_regions_asks_for_one() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("stack.yaml"), "defaults: {ShardCount: 2}\n").unwrap();
    let output = bin()
        .current_dir(tmp.path())
        .args(["params"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "error: stack.yaml lists no regions under `regions:`; add one or pass --region REGION\n"
    );
}

#[test]
fn a_region_asked_twice_is_rendered_once() {
    let tmp = tempfile::tempdir().unwrap();
    let output = bin()
        .args([
            "render",
            "--region",
            "eu-west-1",
            "--region",
            "eu-west-1",
            "--templates-dir",
        ])
        .arg(common::fixture("minimal"))
        .arg("--out")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
}

/// A long flag of a command: (command, `--flag`, value name, help text, clap's default).
type Flag = (String, String, String, String, String);

/// Every long flag of every command with its value name (`-` for a flag without a value), help text and the
/// default clap shows.
fn flags() -> Vec<Flag> {
    fn walk(cmd: &clap::Command, path: &str, out: &mut Vec<Flag>) {
        for arg in cmd.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            let value = if arg.get_action().takes_values() {
                arg.get_value_names()
                    .map(|names| {
                        names
                            .iter()
                            .map(|n| n.to_string())
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_else(|| arg.get_id().as_str().to_uppercase())
            } else {
                "-".to_owned()
            };
            let help = arg
                .get_long_help()
                .or(arg.get_help())
                .map(|h| h.to_string())
                .unwrap_or_default();
            let default = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            out.push((path.to_owned(), format!("--{long}"), value, help, default));
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }
    let mut out = Vec::new();
    walk(
        &<stream2neptune::cli::Cli as clap::CommandFactory>::command(),
        "stream2neptune",
        &mut out,
    );
    out
}

#[test]
fn a_flag_has_one_value_name_everywhere_and_its_default_is_shown_once() {
    let mut value_names: std::collections::BTreeMap<String, Vec<(String, String)>> =
        Default::default();
    for (command, flag, value, help, _) in flags() {
        // clap prints `[default: ...]` itself; a `(default: ...)` in the text would say it twice.
        assert!(
            !help.contains("(default:"),
            "{command} {flag}: write a computed default as [default: ...], not (default: ...): {help}"
        );
        assert!(!help.is_empty(), "{command} {flag} has no help text");
        value_names.entry(flag).or_default().push((value, command));
    }
    for (flag, uses) in value_names {
        let mut names: Vec<&str> = uses.iter().map(|(value, _)| value.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 1, "{flag} has several value names: {uses:?}");
    }
}

/// Defaults a help text states in words are the ones the code has: the local Kinesis a command starts unless told,
/// the plan keys a computed `[default: ...]` is made of, the store of each QueryLanguage, and the Makefile's
/// EDGES and OPS, which are the demo's.
#[test]
fn help_texts_state_the_defaults_the_code_and_the_plan_have() {
    let kinesis = stream2neptune_local::services::StreamServerKind::default().to_string();
    let computed = regex::Regex::new(r"\[default: ([^\]]*)\]").unwrap();
    let key = regex::Regex::new(r"\b[A-Z][a-z]+[A-Z]\w*\b").unwrap();
    let mut stream_servers = 0;
    let mut demo_edges = String::new();
    for (command, flag, _, help, default) in flags() {
        if flag == "--stream-server" {
            stream_servers += 1;
            assert_eq!(default, kinesis, "{command} {flag}");
        }
        if (command.as_str(), flag.as_str()) == ("stream2neptune demo", "--edges") {
            demo_edges = default.clone();
        }
        for stated in computed.captures_iter(&help) {
            assert!(
                default.is_empty(),
                "{command} {flag}: a default in the text and clap's: {help}"
            );
            for name in key.find_iter(&stated[1]) {
                assert!(
                    stream2neptune_plan::catalog::find(name.as_str()).is_some(),
                    "{command} {flag}: the default names {}, which is no key of the plan: {help}",
                    name.as_str()
                );
            }
        }
        if help.contains("QueryLanguage=") {
            for language in stream2neptune_plan::QueryLanguage::NAMES {
                let store = stream2neptune_local::store_server::engine_name(
                    stream2neptune_plan::QueryLanguage::parse(language).unwrap(),
                )
                .replace('-', " ");
                assert!(
                    help.to_lowercase()
                        .contains(&format!("{language}: {store}")),
                    "{command} {flag} does not say that {language} runs on {store}: {help}"
                );
            }
        }
    }
    assert_eq!(
        stream_servers, 2,
        "demo and local up choose a stream server"
    );

    let cli = <stream2neptune::cli::Cli as clap::CommandFactory>::command();
    let about = cli
        .find_subcommand("demo")
        .and_then(|demo| demo.get_about())
        .unwrap()
        .to_string();
    assert!(
        about.contains(&format!("{kinesis} unless --stream-server")),
        "{about}"
    );

    let makefile = std::fs::read_to_string(common::repo_root().join("Makefile")).unwrap();
    let edges = makefile
        .lines()
        .find_map(|line| line.strip_prefix("EDGES ?= "))
        .expect("the Makefile sets EDGES");
    assert_eq!(
        edges.trim(),
        demo_edges,
        "make demo's EDGES and demo --edges"
    );
    let ops = makefile
        .lines()
        .find_map(|line| line.strip_prefix("OPS ?= "))
        .expect("the Makefile sets OPS");
    assert_eq!(
        ops.trim(),
        stream2neptune_local::demo_mixed::DEFAULT_OPERATIONS.to_string(),
        "make demo's OPS and demo --ops"
    );
}

#[test]
fn demo_prints_the_language_it_would_run_and_runs_nothing() {
    // The store `make demo` installs: the region's QueryLanguage (stack.yaml's eu-central-1 sets opencypher, the
    // default region keeps the catalog's gremlin), or the one --set names.
    for (args, language) in [
        (&[][..], "gremlin"),
        (&["--region", "eu-central-1"], "opencypher"),
        (
            &["--region", "eu-central-1", "--set", "QueryLanguage=sparql"],
            "sparql",
        ),
    ] {
        let output = bin()
            .arg("demo")
            .args(args)
            .arg("--print-language")
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        assert_eq!(
            String::from_utf8(output.stdout).unwrap(),
            format!("{language}\n"),
            "{args:?}"
        );
    }
}

/// README.md, BENCHMARKS.md, templates/README.md and docs/*.md: the documentation whose relative links must
/// resolve.
fn documentation() -> Vec<PathBuf> {
    let root = common::repo_root();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("read docs/")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    ["README.md", "BENCHMARKS.md", "templates/README.md"]
        .map(|file| root.join(file))
        .into_iter()
        .chain(docs)
        .collect()
}

#[test]
fn every_relative_link_and_anchor_of_the_documentation_resolves() {
    let root = common::repo_root();
    let mut broken = Vec::new();
    for file in documentation() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, target) in common::markdown::relative_links(&text) {
            if let Some(why) = common::markdown::broken_link(&file, &target) {
                let shown = file.strip_prefix(&root).unwrap().display();
                broken.push(format!("{shown}:{line}: ({target}): {why}"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn links_and_anchors_are_read_as_github_renders_them() {
    let text = "# Layout\n## After `make stack`\n### Workload: data set, driver, load\n## Tests\n## Tests\n\
                ```sh\n# not a heading, [nor](a-link.md)\n```\n\
                See [one](docs/a.md#b), `[code](not-a-link.md)`, [web](https://example.com) and ![two](c.png).\n";
    let anchors = common::markdown::heading_anchors(text);
    let mut anchors: Vec<&str> = anchors.iter().map(String::as_str).collect();
    anchors.sort();
    assert_eq!(
        anchors,
        [
            "after-make-stack",
            "layout",
            "tests",
            "tests-1",
            "workload-data-set-driver-load"
        ]
    );
    assert_eq!(
        common::markdown::relative_links(text),
        [(9, "docs/a.md#b".to_owned()), (9, "c.png".to_owned())]
    );

    // A link resolves when its file exists and its anchor is one of that file's headings.
    let tmp = tempfile::tempdir().unwrap();
    let from = tmp.path().join("README.md");
    std::fs::write(&from, "# Quick start\n").unwrap();
    std::fs::create_dir(tmp.path().join("docs")).unwrap();
    std::fs::write(
        tmp.path().join("docs/local-mode.md"),
        "# Local mode\n## Terminal, Ctrl-C and exit codes\n",
    )
    .unwrap();
    let broken = |target: &str| common::markdown::broken_link(&from, target);
    assert_eq!(broken("#quick-start"), None);
    assert_eq!(broken("docs/local-mode.md"), None);
    assert_eq!(
        broken("docs/local-mode.md#terminal-ctrl-c-and-exit-codes"),
        None
    );
    assert!(
        broken("#quick")
            .unwrap()
            .contains("no heading whose anchor is #quick")
    );
    assert!(broken("docs/local.md").unwrap().contains("does not exist"));
    assert!(
        broken("docs/local-mode.md#local")
            .unwrap()
            .contains("#local")
    );
}

/// `dataset --workload mixed` writes its records with their keys, reads back to what it says the graph will hold,
/// and refuses a flag outside what it can make, naming it.
#[test]
fn dataset_mixed_writes_keyed_graph_operations() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mixed");
    let made = bin()
        .args([
            "dataset",
            "--workload",
            "mixed",
            "--records",
            "400",
            "--customers",
            "20",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let stdout = String::from_utf8_lossy(&made.stdout);
    let records =
        stream2neptune_workload::mixed::read_records(&out.join("operations.jsonl.gz")).unwrap();
    assert_eq!(records.len(), 400);
    let graph = stream2neptune_workload::mixed::expected_graph(&records);
    let said = format!(
        "they leave {} vertices, {} edges, {} properties",
        graph.vertices.len(),
        graph.edges.len(),
        graph.property_count()
    );
    assert!(stdout.contains(&said), "{stdout}");
    assert!(records.iter().all(|r| r.partition_key.starts_with('c')));

    let refused = bin()
        .args(["dataset", "--workload", "mixed", "--records", "0"])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("--records = 0: at least 1 record"),
        "{stderr}"
    );
}
