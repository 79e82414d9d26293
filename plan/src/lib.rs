//! The plan of a stream2neptune stack, one region at a time: what every command (render, params, deploy,
//! function-deploy) and local mode read their settings from.
//!
//! Flow: [`config::StackConfig`] (stack.yaml) and `--set` layers -> [`resolve()`] -> [`Plan`], whose typed accessors
//! ([`Plan::shard_count`], [`Plan::query_language`], ...) are how code reads a value. Parameters are named by
//! [`Name`], so a misspelt name does not compile. Tables live in [`catalog`], [`sizing`], [`regions`],
//! [`offerings`] (generated from cfn-lint's region data), [`endpoints`] (what the parts call from the subnets) and
//! [`dated_facts`] (what AWS retires, with its dates and sources).

pub mod aggregation;
pub mod catalog;
pub mod config;
pub mod dated_facts;
pub mod endpoints;
pub mod error;
pub mod offerings;
pub mod origin;
pub mod parse;
pub mod plan;
pub mod regions;
pub mod resolve;
pub mod sizing;
pub mod values;
pub mod yaml_keys;

pub use catalog::Name;
pub use config::{Layer, StackConfig, parse_sets};
pub use error::{Error, Problem, Problems, Result};
pub use origin::Origin;
pub use plan::{Plan, ResolvedParam};
pub use resolve::resolve;
pub use values::{
    Architecture, GremlinBatchForm, GremlinUpsertStyle, OnFailureDestination, ParamValue,
    QueryLanguage, RecordFormat, StartingPosition, StreamMode,
};

/// Reads the config file at `config`, parses `sets` (`Key=Value`) and resolves `region`: the one way from a
/// command's flags to a region's plan.
pub fn load(config: &std::path::Path, region: &str, sets: &[String]) -> Result<Plan> {
    let stack = StackConfig::load(config)?;
    let sets = parse_sets(sets)?;
    resolve(&stack, region, &sets)
}
