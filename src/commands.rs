//! The `render` and `params` commands: flags -> config + regions -> resolved plans -> output.
//!
//! Output goes to the writers passed in (stdout and stderr in the binary), so tests can drive the commands.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::catalog::{CATALOG, Kind, Scope};
use crate::cli::{ConfigArgs, ParamsArgs, RenderArgs};
use crate::config::{Layer, StackConfig, parse_sets};
use crate::error::Error;
use crate::offerings::{self, Offering};
use crate::validate::{Resolved, resolve};
use crate::{regions, render, sizing};

/// Renders every selected region; regions that fail get no files, the others are written.
pub fn render(args: &RenderArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<()> {
    let (config, sets) = load(&args.config)?;
    let selected: Vec<String> = if args.all_regions {
        regions::names().map(str::to_owned).collect()
    } else {
        select(&config, &args.region)?
    };
    let root = args
        .templates_dir
        .clone()
        .unwrap_or_else(|| config_dir(&args.config.config));
    render::check_root(&root)?;
    let env = render::environment(&root);

    let mut failures = Vec::new();
    for region in &selected {
        let written = match resolve(&config, region, &sets) {
            Ok(resolved) => {
                warn(&resolved, err)?;
                render::render_region(&env, &resolved)
                    .and_then(|rendered| render::write_region(&args.out, &rendered))
            }
            Err(error) => Err(error),
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
                writeln!(
                    err,
                    "error: {}",
                    crate::error_text(&anyhow::Error::from(failure))
                )?;
            }
            Err(Error::RegionsFailed {
                failed,
                total: selected.len(),
            }
            .into())
        }
    }
}

/// Prints each selected region's parameters as a table of name, value and origin.
pub fn params(args: &ParamsArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<()> {
    if args.markdown {
        out.write_all(config_reference().as_bytes())?;
        return Ok(());
    }
    let (config, sets) = load(&args.config)?;
    let selected = select(&config, args.region.as_slice())?;
    for (index, region) in selected.iter().enumerate() {
        let resolved = resolve(&config, region, &sets)?;
        warn(&resolved, err)?;
        if index > 0 {
            writeln!(out)?;
        }
        out.write_all(params_table(&resolved).as_bytes())?;
    }
    Ok(())
}

fn load(args: &ConfigArgs) -> anyhow::Result<(StackConfig, Layer)> {
    let config = StackConfig::load(&args.config)?;
    let sets = parse_sets(&args.sets)?;
    Ok((config, sets))
}

/// The regions asked for, or every region in the config.
fn select(config: &StackConfig, asked: &[String]) -> anyhow::Result<Vec<String>> {
    if !asked.is_empty() {
        let mut unique: Vec<String> = Vec::new();
        for region in asked {
            if !unique.contains(region) {
                unique.push(region.clone());
            }
        }
        return Ok(unique);
    }
    anyhow::ensure!(
        !config.regions.is_empty(),
        "{} lists no regions under `regions:`; add one or pass --region REGION",
        config.path.display()
    );
    Ok(config.regions.keys().cloned().collect())
}

fn config_dir(config: &Path) -> PathBuf {
    match config.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

fn warn(resolved: &Resolved, err: &mut dyn Write) -> std::io::Result<()> {
    for warning in &resolved.warnings {
        writeln!(err, "warning: {warning}")?;
    }
    Ok(())
}

/// The `params` table of one region: name, value and origin of each declared parameter, then the derived
/// values and the parameters left out.
pub fn params_table(resolved: &Resolved) -> String {
    let rows: Vec<[String; 3]> = resolved
        .in_scope()
        .map(|p| {
            let value = p.value.to_string();
            let value = if value.is_empty() {
                "\"\"".to_owned()
            } else {
                value
            };
            [p.param.name.to_owned(), value, p.origin.to_string()]
        })
        .collect();
    let header = ["NAME".to_owned(), "VALUE".to_owned(), "ORIGIN".to_owned()];
    let width = |column: usize| {
        std::iter::once(&header)
            .chain(&rows)
            .map(|row| row[column].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (name_width, value_width) = (width(0), width(1));
    let mut text = format!(
        "region {} (partition {})\n",
        resolved.region, resolved.partition
    );
    for row in std::iter::once(&header).chain(&rows) {
        text.push_str(&format!(
            "{:name_width$}  {:value_width$}  {}\n",
            row[0], row[1], row[2]
        ));
    }
    let derived = &resolved.derived;
    text.push_str(&format!(
        "derived: writer_vcpus={} recommended_shards={} max_concurrent_batches={}\n",
        derived.writer_vcpus, derived.recommended_shards, derived.max_concurrent_batches
    ));
    let render_time: Vec<String> = resolved
        .params
        .iter()
        .filter(|p| p.param.scope == Scope::RenderTime)
        .map(|p| format!("{}={} ({})", p.param.name, p.value, p.origin))
        .collect();
    if !render_time.is_empty() {
        text.push_str(&format!(
            "render-time settings (not stack parameters): {}\n",
            render_time.join(", ")
        ));
    }
    let left_out: Vec<&str> = resolved
        .params
        .iter()
        .filter(|p| !p.in_scope && p.param.scope != Scope::RenderTime)
        .map(|p| p.param.name)
        .collect();
    if !left_out.is_empty() {
        text.push_str(&format!(
            "not declared (out of scope): {}\n",
            left_out.join(", ")
        ));
    }
    text
}

/// Names grouped by family, in the data's order: `db.r5.{large, xlarge}, db.serverless`.
fn by_family(names: &[String]) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for name in names {
        let (family, size) = name.rsplit_once('.').unwrap_or((name, ""));
        match groups.last_mut() {
            Some((last, sizes)) if *last == family => sizes.push(size),
            _ => groups.push((family, vec![size])),
        }
    }
    groups
        .iter()
        .map(|(family, sizes)| match sizes.as_slice() {
            [one] => format!("{family}.{one}"),
            many => format!("{family}.{{{}}}", many.join(", ")),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The region table of the config reference: per region, the defaults picked from what it offers and everything
/// it offers, from the generated region data.
fn region_table() -> String {
    let mut text = format!(
        "\nRegions: what each offers, from cfn-lint's region data ({}); the defaults are the first each offers of \
         the preference orders above.\n\n\
         | Region | Partition | DbInstanceType default | EC2ClientInstanceType default | NotebookInstanceType default | Neptune classes offered | EC2 driver types offered | Notebook types offered |\n\
         |---|---|---|---|---|---|---|---|\n",
        offerings::data().source
    );
    let offerings = [
        Offering::NeptuneClass,
        Offering::DriverInstance,
        Offering::NotebookInstance,
    ];
    for (region, partition) in regions::REGIONS {
        let defaults: Vec<String> = offerings
            .iter()
            .map(|o| format!("`{}`", o.default_for(region).unwrap_or("none")))
            .collect();
        let offered: Vec<String> = offerings
            .iter()
            .map(|o| by_family(o.offered_in(region)))
            .collect();
        text.push_str(&format!(
            "| {region} | {partition} | {} | {} |\n",
            defaults.join(" | "),
            offered.join(" | ")
        ));
    }
    text
}

/// The config reference: a Markdown table of every catalog key with its default, what it allows, when it is
/// declared and what it means.
pub fn config_reference() -> String {
    let mut text = String::from(
        "| Key | Default | Allowed | Declared when | Meaning |\n|---|---|---|---|---|\n",
    );
    for param in CATALOG {
        let required = if param.required { " (required)" } else { "" };
        let allowed = match param.kind {
            // The lists are the region table below.
            Kind::Offered(offering) => format!(
                "a {} the region offers (region table below)",
                offering.describe()
            ),
            kind => kind.allowed().replace('|', "\\|"),
        };
        text.push_str(&format!(
            "| `{}` | {} | {} | {}{} | {} |\n",
            param.name,
            param.default_text(),
            allowed,
            param.scope.describe(),
            required,
            param.description
        ));
    }
    text.push_str(&format!(
        "\nWriter sizing: the ShardCount default is {per} x the writer's vCPUs (at most {max}).\n\n\
         | DbInstanceType | vCPUs | ShardCount default |\n|---|---|---|\n",
        per = sizing::SHARDS_PER_VCPU,
        max = sizing::KINESIS_MAX_SHARDS
    ));
    for (name, vcpus) in sizing::DB_INSTANCE_VCPUS {
        text.push_str(&format!(
            "| `{name}` | {vcpus} | {} |\n",
            sizing::recommended_shards(*vcpus)
        ));
    }
    text.push_str(&format!(
        "| `{}` | ceil(DbServerlessMaxCapacity / {}), at least 1 (assumption: 1 NCU ~ 2 GiB ~ 0.25 vCPU, by analogy with the r families' 8 GiB per vCPU) | {} x that (16 NCUs: {}) |\n\
         | existing cluster | {} (assumed: the smallest writer) | {} |\n",
        sizing::SERVERLESS,
        sizing::SERVERLESS_NCUS_PER_VCPU,
        sizing::SHARDS_PER_VCPU,
        sizing::recommended_shards(sizing::serverless_vcpus(16.0)),
        sizing::EXISTING_CLUSTER_ASSUMED_VCPUS,
        sizing::recommended_shards(sizing::EXISTING_CLUSTER_ASSUMED_VCPUS),
    ));
    text.push_str(&region_table());
    text
}
