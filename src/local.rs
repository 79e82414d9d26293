//! The generator's side of local mode: local mode reads a region's settings through this resolver, so that
//! `stream2neptune demo` and `local up` run with exactly the values `render` would put in the stack.

use std::path::Path;

use stream2neptune_local::Parameters;

use crate::{config, validate};

/// Resolves `region` in the config file at `config_path` with `--set` overrides into parameter name -> value.
pub fn resolve(config_path: &Path, region: &str, sets: &[String]) -> anyhow::Result<Parameters> {
    let stack = config::StackConfig::load(config_path)?;
    let sets = config::parse_sets(sets)?;
    let resolved = validate::resolve(&stack, region, &sets)?;
    Ok(resolved
        .params
        .iter()
        .map(|p| (p.param.name.to_owned(), p.value.to_string()))
        .collect())
}
