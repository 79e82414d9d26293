//! Rendering: the one minijinja [`Environment`] builder, the template context of the generator contract, and the
//! atomic writing of `out/<region>/template.yaml` and `out/<region>/parameters.json`; the `render` command is in
//! [`command`].

pub mod command;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use minijinja::{AutoEscape, Environment, UndefinedBehavior, context, path_loader};
use regex::Regex;
use serde::Serialize;

use stream2neptune_plan::catalog::{CfnType, Param};
use stream2neptune_plan::dated_facts;
use stream2neptune_plan::{ParamValue, Plan};
use stream2neptune_writer_environment::{self as writer_environment, Source};

use crate::error::{Error, Result};

/// The entry template, looked up in `templates/`.
pub const STACK_TEMPLATE: &str = "stack.yaml.j2";
/// The dashboard body template, looked up in `dashboards/`.
pub const DASHBOARD_TEMPLATE: &str = "dashboard.json.j2";
/// Name of the rendered template in each region's folder (not `stack.yaml`, the config file's name).
pub const TEMPLATE_FILE: &str = "template.yaml";
/// Name of the rendered parameters file in each region's folder.
pub const PARAMETERS_FILE: &str = "parameters.json";

/// Builds the one template environment: strict undefined, no auto-escape, trim and lstrip blocks, trailing
/// newline kept, templates loaded from `<root>/templates/` and then `<root>/dashboards/`.
pub fn environment(root: &Path) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // YAML and JSON output: values are placed with `tojson` where quoting matters, never HTML-escaped.
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    let templates = path_loader(root.join("templates"));
    let dashboards = path_loader(root.join("dashboards"));
    env.set_loader(move |name| match templates(name)? {
        Some(source) => Ok(Some(source)),
        None => dashboards(name),
    });
    env
}

/// Checks that `root` holds the templates the renderer reads (templates/stack.yaml.j2 and
/// dashboards/dashboard.json.j2), naming the path looked in when one is missing.
pub fn check_root(root: &Path) -> Result<()> {
    for file in [
        root.join("templates").join(STACK_TEMPLATE),
        root.join("dashboards").join(DASHBOARD_TEMPLATE),
    ] {
        if !file.is_file() {
            return Err(Error::TemplatesMissing {
                root: root.to_owned(),
                missing: file,
            });
        }
    }
    Ok(())
}

/// One entry of the context's `parameters` list, as the contract describes it.
#[derive(Debug, Serialize)]
struct ParameterView {
    name: &'static str,
    #[serde(rename = "type")]
    cfn_type: &'static str,
    default: String,
    description: &'static str,
    allowed_values: Option<Vec<String>>,
    min_value: Option<ParamValue>,
    max_value: Option<ParamValue>,
    allowed_pattern: Option<&'static str>,
    constraint_description: Option<String>,
}

impl ParameterView {
    fn new(param: &'static Param, value: &ParamValue, region: &str) -> Self {
        let takes_constraints = matches!(param.cfn_type, CfnType::String | CfnType::Number);
        let allowed_values = param.kind.cfn_allowed_values(region);
        let constraint_description = takes_constraints.then(|| {
            if allowed_values.is_some() {
                format!("{} must be one of the allowed values", param.name)
            } else {
                param.constraint_description()
            }
        });
        let (min_value, max_value) = match param.kind.cfn_range() {
            Some((min, max)) => (Some(number(min)), Some(number(max))),
            None => (None, None),
        };
        ParameterView {
            name: param.name.as_str(),
            cfn_type: param.cfn_type.as_str(),
            default: value.to_string(),
            description: param.description,
            allowed_values,
            min_value,
            max_value,
            allowed_pattern: param
                .kind
                .pattern()
                .filter(|_| param.cfn_type.takes_pattern()),
            constraint_description,
        }
    }
}

fn number(x: f64) -> ParamValue {
    if x.fract() == 0.0 {
        ParamValue::Integer(x as i64)
    } else {
        ParamValue::Number(x)
    }
}

/// One variable the stack sets on the writer function: its name, and the stack parameter whose value it takes
/// (`None`: the template gives the stack's own value, such as the cluster's endpoint).
#[derive(Debug, Serialize)]
struct WriterVariable {
    name: &'static str,
    parameter: Option<&'static str>,
}

/// The variables the writer's environment table says the stack sets, in the table's order.
fn writer_environment() -> Vec<WriterVariable> {
    writer_environment::VARIABLES
        .iter()
        .filter_map(|variable| {
            let parameter = match variable.set().stack {
                Source::Unset => return None,
                Source::Parameter(parameter) => Some(parameter),
                Source::Deployment => None,
            };
            Some(WriterVariable {
                name: variable.name(),
                parameter,
            })
        })
        .collect()
}

/// The context both templates get: `region`, `partition`, `params`, `parameters`, `mode`, `derived`, `pinned`:
/// what the stack pins that AWS retires, from the dated facts table (`notebook_platform`, `lambda_runtime`), and
/// `writer_environment`: the variables the stack sets on the writer (function/environment/src/lib.rs).
pub fn context(resolved: &Plan) -> minijinja::Value {
    let params: std::collections::BTreeMap<&str, &ParamValue> = resolved
        .in_scope()
        .map(|p| (p.param.name.as_str(), &p.value))
        .collect();
    let parameters: Vec<ParameterView> = resolved
        .in_scope()
        .map(|p| ParameterView::new(p.param, &p.value, &resolved.region))
        .collect();
    context! {
        region => resolved.region,
        partition => resolved.partition,
        params => params,
        parameters => parameters,
        mode => resolved.mode,
        derived => resolved.derived,
        pinned => context! {
            notebook_platform => dated_facts::NOTEBOOK_PLATFORM,
            lambda_runtime => dated_facts::LAMBDA_RUNTIME,
        },
        writer_environment => writer_environment(),
    }
}

/// The files rendered for one region, not yet written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedRegion {
    /// The region.
    pub region: String,
    /// `template.yaml`: the CloudFormation template.
    pub stack: String,
    /// `parameters.json`: `[{"ParameterKey": .., "ParameterValue": ..}]` in catalog order.
    pub parameters_json: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ParameterEntry<'a> {
    parameter_key: &'a str,
    parameter_value: String,
}

/// Renders the dashboard, checks it is JSON, then renders the stack with `dashboard_body` and checks it is YAML.
pub fn render_region(env: &Environment<'_>, resolved: &Plan) -> Result<RenderedRegion> {
    let ctx = context(resolved);
    let dashboard_body = render_template(env, DASHBOARD_TEMPLATE, &ctx, &resolved.region)?;
    check_dashboard_json(&dashboard_body).map_err(|source| Error::DashboardJson {
        region: resolved.region.clone(),
        source,
    })?;
    let stack_ctx = context! { dashboard_body => dashboard_body, ..ctx };
    let stack = render_template(env, STACK_TEMPLATE, &stack_ctx, &resolved.region)?;
    serde_norway::from_str::<serde_norway::Value>(&stack).map_err(|err| Error::Template {
        region: resolved.region.clone(),
        template: STACK_TEMPLATE.to_owned(),
        detail: format!("the output is not valid YAML: {err}"),
    })?;
    let entries: Vec<ParameterEntry<'_>> = resolved
        .in_scope()
        .map(|p| ParameterEntry {
            parameter_key: p.param.name.as_str(),
            parameter_value: p.value.to_string(),
        })
        .collect();
    let mut parameters_json =
        serde_json::to_string_pretty(&entries).expect("string pairs always serialize");
    parameters_json.push('\n');
    Ok(RenderedRegion {
        region: resolved.region.clone(),
        stack,
        parameters_json,
    })
}

fn render_template(
    env: &Environment<'_>,
    name: &str,
    ctx: &minijinja::Value,
    region: &str,
) -> Result<String> {
    env.get_template(name)
        .and_then(|template| template.render(ctx))
        .map_err(|err| {
            let mut detail = format!("{err:#}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                detail.push_str(&format!("\ncaused by: {cause:#}"));
                source = cause.source();
            }
            if err.kind() == minijinja::ErrorKind::TemplateNotFound {
                detail.push_str(
                    "\n(templates are read from <root>/templates/ and <root>/dashboards/; pass --templates-dir to choose the root)",
                );
            }
            Error::Template {
                region: region.to_owned(),
                template: name.to_owned(),
                detail,
            }
        })
}

/// Checks the dashboard body is JSON once each `${...}` Fn::Sub placeholder is replaced by a value.
fn check_dashboard_json(body: &str) -> std::result::Result<(), serde_json::Error> {
    let placeholders = Regex::new(r"\$\{[^}]*\}").expect("constant pattern");
    serde_json::from_str::<serde_json::Value>(&placeholders.replace_all(body, "0")).map(drop)
}

/// Writes a region's files to `<out>/<region>/` as a pair: each is written in full to a temporary file in the same
/// folder first, and only when both are written are they renamed into place, so a failed write (a full disk, a
/// read-only folder) leaves the previous pair untouched rather than a new template beside old parameters.
pub fn write_region(out: &Path, rendered: &RenderedRegion) -> Result<Vec<PathBuf>> {
    let dir = out.join(&rendered.region);
    std::fs::create_dir_all(&dir).map_err(|source| Error::Write {
        path: dir.clone(),
        source,
    })?;
    let written = [
        (TEMPLATE_FILE, &rendered.stack),
        (PARAMETERS_FILE, &rendered.parameters_json),
    ]
    .into_iter()
    .map(|(name, contents)| {
        let path = dir.join(name);
        match written_beside(&path, contents) {
            Ok(file) => Ok((path, file)),
            Err(source) => Err(Error::Write { path, source }),
        }
    })
    .collect::<Result<Vec<_>>>()?;
    // A rename onto a folder fails; find that before the first rename rather than between the two.
    if let Some((path, _)) = written.iter().find(|(path, _)| path.is_dir()) {
        return Err(Error::Write {
            path: path.clone(),
            source: std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                "a folder is in the way of the file; move it",
            ),
        });
    }
    written
        .into_iter()
        .map(|(path, file)| match file.persist(&path) {
            Ok(_) => Ok(path),
            Err(err) => Err(Error::Write {
                path,
                source: err.error,
            }),
        })
        .collect()
}

/// `contents` in a synced temporary file in `path`'s folder, ready to be renamed to `path`.
fn written_beside(path: &Path, contents: &str) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = path.parent().expect("output files live in a region folder");
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(contents.as_bytes())?;
    // Temporary files are created 0600; rendered output is ordinary, readable output.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    file.as_file().sync_all()?;
    Ok(file)
}
