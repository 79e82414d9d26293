//! The `render` command: flags -> config + selected regions -> one plan per region -> `OUT/<region>/`.
//!
//! Output goes to the writers passed in (stdout and stderr in the binary), so tests can drive the command.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use stream2neptune_plan::{regions, resolve};

use crate::config_args::{ConfigArgs, print_warnings};
use crate::error::{Error, error_text};

/// Flags of `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The config file and --set overrides.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Render this region (repeatable); any known AWS region, listed in the config or not.
    #[arg(long, value_name = "REGION", conflicts_with = "all_regions")]
    pub region: Vec<String>,
    /// Render every known AWS region; regions not listed in the config get the defaults.
    #[arg(long)]
    pub all_regions: bool,
    /// Output folder; each region is written to OUT/<region>/template.yaml and OUT/<region>/parameters.json.
    #[arg(long, value_name = "OUT", default_value = "out")]
    pub out: PathBuf,
    /// Folder holding templates/ and dashboards/ [default: the config file's folder].
    #[arg(long, value_name = "DIR")]
    pub templates_dir: Option<PathBuf>,
}

/// Renders every selected region; regions that fail get no files, the others are written.
pub fn run(args: &RenderArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<()> {
    let (config, sets) = args.config.load()?;
    let selected: Vec<String> = if args.all_regions {
        regions::names().map(str::to_owned).collect()
    } else {
        config.select_regions(&args.region)?
    };
    let root = args.config.templates_root(args.templates_dir.as_deref());
    super::check_root(&root)?;
    let env = super::environment(&root);

    let mut failures = Vec::new();
    for region in &selected {
        let written = match resolve(&config, region, &sets) {
            Ok(plan) => {
                print_warnings(&plan, err)?;
                super::render_region(&env, &plan)
                    .and_then(|rendered| super::write_region(&args.out, &rendered))
            }
            Err(error) => Err(error.into()),
        };
        match written {
            Ok(paths) => {
                let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                writeln!(out, "{region}: wrote {}", names.join(", "))?;
            }
            Err(error) => failures.push(error),
        }
    }
    match failures.len() {
        0 => Ok(()),
        // One failing region: its own error is the clearest message.
        1 if selected.len() == 1 => Err(failures.remove(0).into()),
        failed => {
            for failure in failures {
                writeln!(err, "error: {}", error_text(&anyhow::Error::from(failure)))?;
            }
            Err(Error::RegionsFailed {
                failed,
                total: selected.len(),
            }
            .into())
        }
    }
}
