//! The flags every command that reads the config shares (`--config`, `--set`), and the steps from them to the
//! regions' plans that those commands share: loading, region selection, the templates folder and the warnings.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use stream2neptune_plan::{Layer, Plan, StackConfig, parse_sets};

/// Flags shared by the commands that read the config.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The config file: a `defaults:` table and `regions: <region>: {overrides}`.
    #[arg(long, value_name = "PATH", default_value = "stack.yaml")]
    pub config: PathBuf,
    /// Set a parameter for every selected region, over the config file (repeatable), e.g. --set ShardCount=8.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

impl ConfigArgs {
    /// The config file, checked, and the `--set` layer.
    pub fn load(&self) -> stream2neptune_plan::Result<(StackConfig, Layer)> {
        let config = StackConfig::load(&self.config)?;
        let sets = parse_sets(&self.sets)?;
        Ok((config, sets))
    }

    /// The folder holding templates/ and dashboards/: `templates_dir` if given, else the config file's folder.
    pub fn templates_root(&self, templates_dir: Option<&Path>) -> PathBuf {
        if let Some(dir) = templates_dir {
            return dir.to_owned();
        }
        match self.config.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        }
    }
}

/// Prints a plan's warnings to `err`, one `warning: ` line each.
pub fn print_warnings(plan: &Plan, err: &mut dyn Write) -> std::io::Result<()> {
    for warning in &plan.warnings {
        writeln!(err, "warning: {warning}")?;
    }
    Ok(())
}
