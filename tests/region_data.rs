//! plan/src/data/region-offerings.json against the installed cfn-lint: the file must be exactly what cfn-lint's bundled
//! region data says today, so a cfn-lint upgrade that changes what a region offers fails here until
//! `make region-data` regenerates the file (REGENERATE_REGION_DATA=1 runs this test in write mode).
//!
//! Taken from cfn-lint's `data/schemas`: `extensions/aws_neptune_dbinstance/dbinstanceclass_enum.json` (Neptune
//! classes per region, rule E3635), `extensions/aws_ec2_instance/instancetype_enum.json` (EC2 types per region, rule
//! E3628) and the `AWS::SageMaker::NotebookInstance` resource schema each region's provider file names (its
//! InstanceType enum; cfn-lint has one list for every region that has the resource type, and a region without its
//! own provider file gets us-east-1's).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use stream2neptune_plan::offerings::{self, Offering};
use stream2neptune_plan::{regions, sizing};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The installed cfn-lint's `data/schemas` folder and its version, asked of the project's Python.
fn cfn_lint_schemas() -> (PathBuf, String) {
    let python = repo_root().join(".venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run `make tools`",
        python.display()
    );
    let output = Command::new(&python)
        .args([
            "-c",
            "import os, cfnlint.data.schemas, cfnlint.version; \
             print(os.path.dirname(cfnlint.data.schemas.__file__)); print(cfnlint.version.__version__)",
        ])
        .output()
        .expect("run the venv's python");
    assert!(
        output.status.success(),
        "cannot import cfnlint: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let mut lines = stdout.lines();
    let dir = PathBuf::from(lines.next().expect("schemas folder"));
    let version = lines.next().expect("cfn-lint version").to_owned();
    (dir, version)
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn strings(value: &serde_json::Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected a list, got {value}"))
        .iter()
        .map(|v| v.as_str().expect("string").to_owned())
        .collect()
}

/// `family.size` belongs to one of `families` (exact family match).
fn in_families(name: &str, families: &[&str]) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(family, _)| families.contains(&family))
}

/// Sort key: family, then size (medium, large, xlarge, 2xlarge, ...); `db.serverless` last.
fn size_order(name: &str) -> (bool, String, u32) {
    let (family, size) = name.rsplit_once('.').unwrap_or((name, ""));
    let rank = match size {
        "medium" => 0,
        "large" => 1,
        "xlarge" => 2,
        other => {
            2 + other
                .strip_suffix("xlarge")
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(1000)
        }
    };
    (name == sizing::SERVERLESS, family.to_owned(), rank)
}

/// The region data as the installed cfn-lint has it, in the committed file's layout.
fn generate() -> String {
    let (schemas, version) = cfn_lint_schemas();
    let neptune =
        read_json(&schemas.join("extensions/aws_neptune_dbinstance/dbinstanceclass_enum.json"));
    let ec2 = read_json(&schemas.join("extensions/aws_ec2_instance/instancetype_enum.json"));
    let mut regions: BTreeMap<String, [BTreeSet<String>; 3]> = BTreeMap::new();
    // Every region cfn-lint has Neptune classes for; the others cannot host the stack.
    for (region, entry) in neptune.as_object().expect("object") {
        let Some(classes) = entry.get("enum") else {
            continue; // the file's "description"
        };
        let neptune: BTreeSet<String> = strings(classes)
            .into_iter()
            .filter(|class| {
                !sizing::RETIRED_DB_FAMILIES
                    .iter()
                    .any(|family| class.starts_with(&format!("{family}.")))
            })
            .collect();
        let driver_families: Vec<String> = sizing::DRIVER_FAMILIES
            .iter()
            .map(|f| (*f).to_owned())
            .collect();
        let driver_families: Vec<&str> = driver_families.iter().map(String::as_str).collect();
        let ec2: BTreeSet<String> = ec2
            .get(region)
            .map(|entry| strings(&entry["enum"]))
            .unwrap_or_default()
            .into_iter()
            .filter(|t| in_families(t, &driver_families) && !t.contains(".metal"))
            .collect();
        // A region without its own provider file gets us-east-1's, as cfn-lint's schema manager does.
        let own = schemas.join(format!("providers/{region}.json"));
        let provider = read_json(&if own.is_file() {
            own
        } else {
            schemas.join("providers/us-east-1.json")
        });
        let notebook: BTreeSet<String> = match provider["AWS::SageMaker::NotebookInstance"].as_str()
        {
            Some(hash) => {
                let schema = read_json(&schemas.join(format!("resources/{hash}.json")));
                strings(&schema["properties"]["InstanceType"]["enum"])
                    .into_iter()
                    .filter(|t| in_families(t, sizing::NOTEBOOK_FAMILIES))
                    .collect()
            }
            None => BTreeSet::new(),
        };
        regions.insert(region.clone(), [neptune, ec2, notebook]);
    }
    let list = |items: &BTreeSet<String>| {
        let mut items: Vec<&String> = items.iter().collect();
        items.sort_by_key(|name| size_order(name));
        let quoted: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
        format!("[{}]", quoted.join(", "))
    };
    let mut out = format!(
        "{{\n  \"source\": \"cfn-lint {version}: data/schemas/extensions/aws_neptune_dbinstance/dbinstanceclass_enum.json, \
         data/schemas/extensions/aws_ec2_instance/instancetype_enum.json, the AWS::SageMaker::NotebookInstance schema of data/schemas/providers/<region>.json (else us-east-1.json)\",\n  \"regions\": {{\n"
    );
    let last = regions.len() - 1;
    for (index, (region, [neptune, ec2, notebook])) in regions.iter().enumerate() {
        out.push_str(&format!(
            "    \"{region}\": {{\n      \"neptune\": {},\n      \"ec2\": {},\n      \"notebook\": {}\n    }}{}\n",
            list(neptune),
            list(ec2),
            list(notebook),
            if index == last { "" } else { "," }
        ));
    }
    out.push_str("  }\n}\n");
    out
}

#[test]
fn region_data_is_what_the_installed_cfn_lint_says() {
    // GIVEN the installed cfn-lint's region data
    let generated = generate();
    let path = repo_root().join("plan/src/data/region-offerings.json");
    if std::env::var_os("REGENERATE_REGION_DATA").is_some() {
        std::fs::write(&path, &generated).expect("write the region data");
        eprintln!("wrote {}; review the diff", path.display());
        return;
    }

    // WHEN it is compared with the committed file
    let committed =
        std::fs::read_to_string(&path).expect("read plan/src/data/region-offerings.json");

    // THEN they are the same, and the binary carries the committed file
    assert!(
        committed == generated,
        "plan/src/data/region-offerings.json differs from what the installed cfn-lint says; run `make region-data` \
         and review the diff"
    );
    assert!(
        offerings::DATA == committed,
        "rebuild: the binary embeds an older file"
    );
    assert!(offerings::data().regions.len() >= 30);
}

#[test]
fn every_region_the_generator_renders_for_offers_each_instance_kind_and_no_other_region_does() {
    // GIVEN the regions of the data with a Neptune class, an EC2 driver type and a notebook type
    let hosting: BTreeSet<&str> = offerings::data()
        .regions
        .iter()
        .filter(|(_, o)| !o.neptune.is_empty() && !o.ec2.is_empty() && !o.notebook.is_empty())
        .map(|(region, _)| region.as_str())
        .collect();

    // THEN they are exactly the generator's regions
    let known: BTreeSet<&str> = regions::names().collect();
    assert_eq!(hosting, known);
}

#[test]
fn every_region_has_a_default_of_each_kind_from_the_preference_order() {
    for region in regions::names() {
        for offering in [
            Offering::NeptuneClass,
            Offering::DriverInstance,
            Offering::NotebookInstance,
        ] {
            let default = offering
                .default_for(region)
                .unwrap_or_else(|| panic!("{region}: no {}", offering.describe()));
            assert!(
                offering.preference().contains(&default),
                "{region}: the {} default {default} is not from the preference order",
                offering.describe()
            );
            assert!(offering.is_offered(region, default));
        }
    }
}

#[test]
fn the_vcpu_table_has_exactly_the_classes_some_region_offers() {
    // GIVEN every fixed-size class of the region data
    let offered: BTreeSet<&str> = offerings::data()
        .regions
        .values()
        .flat_map(|o| o.neptune.iter().map(String::as_str))
        .filter(|class| *class != sizing::SERVERLESS)
        .collect();

    // THEN the vCPU table has one row for each, and no row for anything else
    let table: BTreeSet<&str> = sizing::DB_INSTANCE_VCPUS.iter().map(|(c, _)| *c).collect();
    assert_eq!(table, offered);
    assert_eq!(
        table.len(),
        sizing::DB_INSTANCE_VCPUS.len(),
        "duplicate rows"
    );
}

#[test]
fn regions_named_in_the_issue_offer_what_cfn_lint_says() {
    let neptune = |region| Offering::NeptuneClass.offered_in(region);
    // ap-southeast-5 has neither db.r5.large nor m5.large; its defaults come from what it has.
    assert!(!Offering::NeptuneClass.is_offered("ap-southeast-5", "db.r5.large"));
    assert!(!Offering::DriverInstance.is_offered("ap-southeast-5", "m5.large"));
    assert_eq!(
        Offering::NeptuneClass.default_for("ap-southeast-5"),
        Some("db.r6g.large")
    );
    assert_eq!(
        Offering::DriverInstance.default_for("ap-southeast-5"),
        Some("m6i.large")
    );
    // il-central-1 offers 10 classes, serverless among them; r5.large is its default.
    assert_eq!(neptune("il-central-1").len(), 10);
    assert_eq!(
        Offering::NeptuneClass.default_for("il-central-1"),
        Some("db.r5.large")
    );
    // No region offers the retired db.r4.
    assert!(
        offerings::data()
            .regions
            .values()
            .all(|o| o.neptune.iter().all(|c| !c.starts_with("db.r4.")))
    );
}
