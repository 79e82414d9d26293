//! The generator/templates contract, checked on the real templates/: every rendered stack declares exactly the
//! in-scope parameters, in catalog order, each with the resolved value as its Default.

mod common;

use serde_norway::Value;
use stream2neptune::render::{environment, render_region};
use stream2neptune_plan::config::StackConfig;
use stream2neptune_plan::resolve;

/// (name, Default) of the rendered template's `Parameters:` section, in order.
fn declared(stack: &str) -> Vec<(String, String)> {
    let doc: Value = serde_norway::from_str(stack).expect("stack.yaml is YAML");
    let params = doc
        .get("Parameters")
        .and_then(Value::as_mapping)
        .expect("a Parameters mapping");
    params
        .iter()
        .map(|(name, spec)| {
            let default = match spec.get("Default") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                other => panic!("{name:?} Default is {other:?}"),
            };
            (name.as_str().unwrap().to_owned(), default)
        })
        .collect()
}

#[test]
fn rendered_parameters_are_exactly_the_in_scope_catalog_entries() {
    let config = StackConfig::load(&common::repo_root().join("stack.yaml")).unwrap();
    let env = environment(&common::repo_root());
    let variants: Vec<(&str, Vec<&str>)> = vec![
        ("us-east-1", vec![]),
        ("eu-west-1", vec![]),
        ("ap-southeast-2", vec![]),
        ("eu-central-1", vec![]),
        ("us-east-1", common::EXISTING.to_vec()),
        (
            "eu-west-1",
            vec!["EC2KeyPairName=ops", "QueryLanguage=sparql"],
        ),
        ("cn-north-1", vec![]),
        ("us-gov-west-1", vec!["StreamMode=ON_DEMAND"]),
    ];
    for (region, sets) in variants {
        let resolved = resolve(&config, region, &common::sets(&sets)).unwrap();
        let rendered =
            render_region(&env, &resolved).unwrap_or_else(|e| panic!("{region} {sets:?}: {e}"));
        let expected: Vec<(String, String)> = resolved
            .in_scope()
            .map(|p| (p.param.name.to_string(), p.value.to_string()))
            .collect();
        assert_eq!(declared(&rendered.stack), expected, "{region} {sets:?}");
    }
}
