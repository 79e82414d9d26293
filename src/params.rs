//! The `params` command: each selected region's plan as a table of name, value and origin, or, with
//! `--markdown`, the config reference docs/configuration.md's table is generated from.
//!
//! Output goes to the writers passed in (stdout and stderr in the binary), so tests can drive the command.

use std::io::Write;

use clap::Args;
use stream2neptune_plan::catalog::{CATALOG, Kind, Scope};
use stream2neptune_plan::offerings::{self, Offering};
use stream2neptune_plan::{Plan, regions, resolve, sizing};

use crate::config_args::{ConfigArgs, print_warnings};

/// Flags of `params`.
#[derive(Debug, Args)]
pub struct ParamsArgs {
    /// The config file and --set overrides.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Print this region (any known AWS region, listed in the config or not).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Print the config reference (every key, its default and what it allows) as a Markdown table and exit; the
    /// table in docs/configuration.md is this output.
    #[arg(long, conflicts_with_all = ["region", "sets"])]
    pub markdown: bool,
}

/// Prints each selected region's parameters as a table of name, value and origin.
pub fn run(args: &ParamsArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<()> {
    if args.markdown {
        out.write_all(config_reference().as_bytes())?;
        return Ok(());
    }
    let (config, sets) = args.config.load()?;
    let selected = config.select_regions(args.region.as_slice())?;
    for (index, region) in selected.iter().enumerate() {
        let plan = resolve(&config, region, &sets)?;
        print_warnings(&plan, err)?;
        if index > 0 {
            writeln!(out)?;
        }
        out.write_all(params_table(&plan).as_bytes())?;
    }
    Ok(())
}

/// The `params` table of one region: name, value and origin of each declared parameter, then the derived
/// values and the parameters left out.
pub fn params_table(resolved: &Plan) -> String {
    let rows: Vec<[String; 3]> = resolved
        .in_scope()
        .map(|p| {
            let value = p.value.to_string();
            let value = if value.is_empty() {
                "\"\"".to_owned()
            } else {
                value
            };
            [p.param.name.to_string(), value, p.origin.to_string()]
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
        "derived: writer_vcpus={} recommended_shards={} max_concurrent_batches={} aggregated_batch_size={}\n",
        derived.writer_vcpus,
        derived.recommended_shards,
        derived.max_concurrent_batches,
        derived.aggregated_batch_size
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
        .map(|p| p.param.name.as_str())
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
