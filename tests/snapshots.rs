//! insta snapshots of the rendered stack and parameters of every region in stack.yaml (and an existing-cluster
//! variant and a variant with the mappings of examples/mappings/stack.yaml), rendered from the real templates/ and dashboards/, plus the errors of the `err_*` fixtures.
//! us-east-1's stack is snapshotted whole; every other stack as its line diff against it, so a change to
//! the template shows once and a region's own differences stay visible. Accept changes with `make snapshots`
//! after review.

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

/// The region whose whole stack is snapshotted (the existing-cluster variant is of it too).
const BASE_REGION: &str = "us-east-1";

/// The rendered stack of `resolved`, and its parameters file.
fn render(resolved: &Plan) -> (String, String) {
    let rendered = render_region(&environment(&common::repo_root()), resolved)
        .unwrap_or_else(|e| panic!("{}: {e}", resolved.region));
    (rendered.stack, rendered.parameters_json)
}

/// Snapshots the stack whole when `base` is None, else as its unified line diff against `base`; the
/// parameters always whole.
fn snapshot(resolved: &Plan, name: &str, base: Option<&str>) {
    let (stack, parameters) = render(resolved);
    insta::with_settings!({
        info => &info(resolved),
        description => format!("region {}", resolved.region),
        omit_expression => true,
    }, {
        match base {
            None => insta::assert_snapshot!(format!("{name}__template.yaml"), stack),
            Some(base) => {
                let diff = similar::TextDiff::from_lines(base, &stack)
                    .unified_diff()
                    .context_radius(2)
                    .header(&format!("{BASE_REGION}/template.yaml"), &format!("{name}/template.yaml"))
                    .to_string();
                insta::assert_snapshot!(format!("{name}__template.yaml.diff"), diff);
            }
        }
        insta::assert_snapshot!(format!("{name}__parameters.json"), parameters);
    });
}

/// The base region's stack.
fn base_stack(config: &StackConfig) -> String {
    render(&resolve(config, BASE_REGION, &common::sets(&[])).unwrap()).0
}

#[test]
fn every_region_of_stack_yaml() {
    let config = StackConfig::load(&common::repo_root().join("stack.yaml")).unwrap();
    assert!(
        config.regions.contains_key(BASE_REGION),
        "the whole-stack snapshot is of {BASE_REGION}, a region of stack.yaml"
    );
    let base = base_stack(&config);
    let sets = common::sets(&[]);
    for region in config.regions.keys() {
        let resolved = resolve(&config, region, &sets).unwrap();
        if region == BASE_REGION {
            snapshot(&resolved, region, None);
        } else {
            snapshot(&resolved, region, Some(&base));
        }
    }
}

#[test]
fn existing_cluster_mode() {
    let config = StackConfig::load(&common::repo_root().join("stack.yaml")).unwrap();
    let resolved = resolve(&config, BASE_REGION, &common::sets(common::EXISTING)).unwrap();
    snapshot(
        &resolved,
        "us-east-1-existing-cluster",
        Some(&base_stack(&config)),
    );
}

#[test]
fn mapping_record_format() {
    // The example stack's mappings, on the base region: the writer's environment takes them from the parameters.
    let example =
        StackConfig::load(&common::repo_root().join("examples/mappings/stack.yaml")).unwrap();
    let example = resolve(&example, "eu-west-1", &common::sets(&[])).unwrap();
    let mappings = format!(
        "Mappings={}",
        example.get(stream2neptune_plan::Name::Mappings).value
    );
    let config = StackConfig::load(&common::repo_root().join("stack.yaml")).unwrap();
    let resolved = resolve(
        &config,
        BASE_REGION,
        &common::sets(&["RecordFormat=mapping", &mappings]),
    )
    .unwrap();
    snapshot(&resolved, "us-east-1-mappings", Some(&base_stack(&config)));
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
