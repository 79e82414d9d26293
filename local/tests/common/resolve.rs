//! A region's parameters from the generator, as the root binary passes them to local mode
//! (shared by the tests and the examples).

use std::path::Path;

use stream2neptune_local::Parameters;

/// `stream2neptune`'s resolution of `region` in `config` with `--set` overrides.
pub fn resolve(config: &Path, region: &str, sets: &[String]) -> anyhow::Result<Parameters> {
    let stack = stream2neptune::config::StackConfig::load(config)?;
    let sets = stream2neptune::config::parse_sets(sets)?;
    let resolved = stream2neptune::validate::resolve(&stack, region, &sets)?;
    Ok(resolved
        .params
        .iter()
        .map(|p| (p.param.name.to_owned(), p.value.to_string()))
        .collect())
}
