//! Running what the stack runs on AWS, here: a script taken from the rendered template (a `!Base64 {Fn::Sub:
//! [template, vars]}` value) with every Fn::Sub value filled in, in a sandbox folder that stands for `/` (the
//! scripts' `S2N_ROOT`), with recording stubs on PATH for what only an instance has, and the real AWS CLI pointed
//! at moto.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_norway::Value;

/// Renders `region` of a one-region config with `--set` arguments, from the real templates/, as YAML.
pub fn rendered_stack(region: &str, sets: &[&str]) -> Value {
    let resolved = crate::common::resolved(&format!("regions: {{{region}: {{}}}}"), region, sets);
    let env = stream2neptune::render::environment(&crate::common::repo_root());
    let rendered =
        stream2neptune::render::render_region(&env, &resolved).expect("the stack renders");
    serde_norway::from_str(&rendered.stack).expect("the rendered stack is YAML")
}

/// Follows `!Tag value` wrappers down to the value.
fn untagged(value: &Value) -> &Value {
    match value {
        Value::Tagged(tagged) => untagged(&tagged.value),
        other => other,
    }
}

/// A script as CloudFormation holds it: the Fn::Sub template and its variable map.
pub struct SubScript {
    /// The template text, `${Name}` placeholders and `${!x}` escapes included.
    pub template: String,
    /// The map's literal string values (the others, `!GetAtt` and the like, are for the test to fill in).
    pub literals: BTreeMap<String, String>,
    /// Every name of the map.
    pub mapped: Vec<String>,
}

impl SubScript {
    /// Reads a `!Base64 {Fn::Sub: [template, {vars}]}` or a `!Sub [template, {vars}]` value.
    pub fn from(value: &Value) -> SubScript {
        let inner = untagged(value);
        let sub = untagged(inner.get("Fn::Sub").unwrap_or(inner));
        let template = untagged(&sub[0])
            .as_str()
            .unwrap_or_else(|| {
                panic!("expected !Base64 {{Fn::Sub: [template, vars]}} or !Sub [template, vars], got {value:?}")
            })
            .to_owned();
        let map = untagged(&sub[1])
            .as_mapping()
            .expect("Fn::Sub's second element is a map");
        let mut literals = BTreeMap::new();
        let mut mapped = Vec::new();
        for (name, value) in map {
            let name = name
                .as_str()
                .expect("variable names are strings")
                .to_owned();
            if let Some(text) = value.as_str() {
                literals.insert(name.clone(), text.to_owned());
            }
            mapped.push(name);
        }
        SubScript {
            template,
            literals,
            mapped,
        }
    }

    /// Every `${Name}` placeholder of the template, once each, in order of first use.
    pub fn placeholders(&self) -> Vec<String> {
        let placeholder = regex::Regex::new(r"\$\{([^!}][^}]*)\}").expect("regex");
        let mut names: Vec<String> = Vec::new();
        for found in placeholder.captures_iter(&self.template) {
            let name = found[1].to_owned();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    /// The script as the instance gets it: each placeholder replaced by its value (`values`, else the map's
    /// literal) and each `${!x}` escape turned into `${x}`, as Fn::Sub does. A placeholder without a value fails
    /// the test, so a new variable cannot go untested.
    pub fn fill(&self, values: &BTreeMap<&str, String>) -> String {
        let placeholder = regex::Regex::new(r"\$\{([^!}][^}]*)\}").expect("regex");
        let filled = placeholder.replace_all(&self.template, |found: &regex::Captures<'_>| {
            let name = &found[1];
            values
                .get(name)
                .cloned()
                .or_else(|| self.literals.get(name).cloned())
                .unwrap_or_else(|| panic!("no value for the Fn::Sub placeholder ${{{name}}}"))
        });
        filled.replace("${!", "${")
    }
}

/// A sandbox that stands for the instance's `/`: a temporary folder, a bin/ of recording stubs, and a log of
/// every stub call (`name args...` per line).
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    /// An empty sandbox with `stubs` (name, bash body) in its stub folder; each stub logs its call first.
    pub fn new(stubs: &[(&str, &str)]) -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let sandbox = Sandbox { dir };
        std::fs::create_dir_all(sandbox.stubs()).expect("stub folder");
        for (name, body) in stubs {
            let path = sandbox.stubs().join(name);
            let script = format!(
                "#!/bin/bash\necho \"{name} $*\" >> {log}\n{body}\n",
                log = sandbox.calls_file().display()
            );
            std::fs::write(&path, script).expect("write stub");
            make_executable(&path);
        }
        sandbox
    }

    /// The folder standing for `/` (the scripts' S2N_ROOT).
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// A path inside the sandbox's `/`, e.g. `path("etc/stream2neptune/driver.env")`.
    pub fn path(&self, inside: &str) -> PathBuf {
        self.root().join(inside)
    }

    /// The stub folder (first on PATH).
    pub fn stubs(&self) -> PathBuf {
        self.dir.path().join("stubs")
    }

    fn calls_file(&self) -> PathBuf {
        self.dir.path().join("stub-calls.log")
    }

    /// Every stub call so far.
    pub fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.calls_file())
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// PATH for a script: the stubs, then `extra`, then the workspace's .venv/bin and the machine's PATH.
    pub fn path_var(&self, extra: &[PathBuf]) -> std::ffi::OsString {
        let mut dirs = vec![self.stubs()];
        dirs.extend(extra.iter().cloned());
        dirs.extend(std::env::split_paths(
            &crate::deploy_support::path_with_venv(),
        ));
        std::env::join_paths(dirs).expect("PATH entries have no separator")
    }

    /// Runs `script` with bash as the instance would (S2N_ROOT set, HOME in the sandbox), AWS calls going to
    /// moto.
    pub fn run(&self, moto: &crate::deploy_support::Moto, region: &str, script: &str) -> Output {
        std::fs::create_dir_all(self.path("root")).expect("root's home");
        let file = self.dir.path().join("script.sh");
        std::fs::write(&file, script).expect("write script");
        let mut command = Command::new("bash");
        moto.env(&mut command, region)
            .arg(&file)
            .env("PATH", self.path_var(&[]))
            .env("S2N_ROOT", self.root())
            .env("HOME", self.path("root"))
            .current_dir(self.dir.path())
            .output()
            .expect("run bash")
    }
}

/// chmod 0755.
pub fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// The contents of a file a test expects, with its path in the failure.
pub fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}
