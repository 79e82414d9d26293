//! insta snapshots of the rendered stack and parameters of every region in stack.yaml (and an existing-cluster
//! variant), rendered from the real templates/ and dashboards/, plus the errors of the `err_*` fixtures.
//! Accept changes with `make snapshots` after review.

mod common;

use stream2neptune::render::{environment, render_region};
use stream2neptune_plan::config::StackConfig;
use stream2neptune_plan::{Plan, resolve};

/// The resolved parameters as the snapshot's `info`: one "Name: value (origin)" line per declared parameter.
fn info(resolved: &Plan) -> Vec<String> {
    resolved
        .in_scope()
        .map(|p| {
            let value = p.value.to_string();
            let value = if value.is_empty() {
                "\"\"".to_owned()
            } else {
                value
            };
            format!("{}: {value} ({})", p.param.name, p.origin)
        })
        .collect()
}

fn snapshot(resolved: &Plan, name: &str) {
    let rendered = render_region(&environment(&common::repo_root()), resolved)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    insta::with_settings!({
        info => &info(resolved),
        description => format!("region {}", resolved.region),
        omit_expression => true,
    }, {
        insta::assert_snapshot!(format!("{name}__template.yaml"), rendered.stack);
        insta::assert_snapshot!(format!("{name}__parameters.json"), rendered.parameters_json);
    });
}

#[test]
fn every_region_of_stack_yaml() {
    let config = StackConfig::load(&common::repo_root().join("stack.yaml")).unwrap();
    let sets = common::sets(&[]);
    for region in config.regions.keys() {
        snapshot(&resolve(&config, region, &sets).unwrap(), region);
    }
}

#[test]
fn existing_cluster_mode() {
    let config = StackConfig::load(&common::repo_root().join("stack.yaml")).unwrap();
    let resolved = resolve(&config, "us-east-1", &common::sets(common::EXISTING)).unwrap();
    snapshot(&resolved, "us-east-1-existing-cluster");
}

#[test]
fn render_errors_of_the_err_fixtures() {
    let config = StackConfig::load(&common::repo_root().join("stack.yaml")).unwrap();
    let resolved = resolve(&config, "eu-west-1", &common::sets(&[])).unwrap();
    insta::glob!("fixtures/err_*/templates/stack.yaml.j2", |path| {
        let root = path.parent().and_then(|p| p.parent()).unwrap();
        let err =
            render_region(&environment(root), &resolved).expect_err("err_ fixtures fail to render");
        let chain = format!("{:#}", anyhow::Error::from(err));
        insta::assert_snapshot!(chain);
    });
}
