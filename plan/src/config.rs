//! stack.yaml and `--set`: the named layers a parameter value can come from, and where each value came from.
//!
//! Precedence, lowest first: built-in default < `defaults:` < `regions.<region>:` < `--set`. Keys are checked
//! against the catalog when the file is read; values are normalized to text here and typed in
//! [`crate::resolve`].

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_norway::Value;

use crate::catalog::{self, CfnType, Kind, Name};
use crate::error::{Error, Problem, Problems, Result};
use crate::origin::Origin;
use crate::regions;

/// The largest config file read: stack.yaml is a few kilobytes; anything near this is not a config.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// One layer of values: parameter -> value as text, keys already checked against the catalog.
pub type Layer = BTreeMap<Name, String>;

/// stack.yaml as written on disk. Unknown top-level keys are rejected.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StackFile {
    /// Values for every region.
    #[serde(default)]
    defaults: Option<BTreeMap<String, Value>>,
    /// Per-region overrides; a region with no overrides may be written `eu-central-1: {}` or `eu-central-1:`.
    #[serde(default)]
    regions: Option<BTreeMap<String, Option<BTreeMap<String, Value>>>>,
}

/// The config file, checked and normalized: every key is a parameter name, every region a known region.
#[derive(Debug, Clone, PartialEq)]
pub struct StackConfig {
    /// The file it was read from.
    pub path: PathBuf,
    /// The `defaults:` layer.
    pub defaults: Layer,
    /// The `regions:` layers, sorted by region name.
    pub regions: BTreeMap<String, Layer>,
}

impl StackConfig {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<Self> {
        let read_error = |source| Error::ReadConfig {
            path: path.to_owned(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read_error)?;
        // A device or a pipe (`--config /dev/zero`) would be read until memory runs out.
        if !file.metadata().map_err(read_error)?.is_file() {
            return Err(Error::ConfigNotAFile {
                path: path.to_owned(),
            });
        }
        let mut bytes = Vec::new();
        file.take(MAX_CONFIG_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
        if bytes.len() as u64 > MAX_CONFIG_BYTES {
            return Err(Error::ConfigTooLarge {
                path: path.to_owned(),
                limit: MAX_CONFIG_BYTES,
            });
        }
        let text = String::from_utf8(bytes)
            .map_err(|err| read_error(std::io::Error::new(std::io::ErrorKind::InvalidData, err)))?;
        Self::parse(path, &text)
    }

    /// Checks config text; `path` only names the file in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        // YAML allows a byte order mark at the start of a stream; the typed parser would call it a document.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let parse_error = |message| Error::ParseConfig {
            path: path.to_owned(),
            message,
        };
        // Typed maps keep the last of two equal keys; YAML says a key is unique, and a doubled one is a mistake.
        let duplicate = crate::yaml_keys::first_duplicate(text);
        if let Ok(Some(duplicate)) = duplicate {
            return Err(Error::DuplicateKey {
                path: path.to_owned(),
                key: duplicate.key,
                first: duplicate.first,
                second: duplicate.second,
            });
        }
        let file: StackFile =
            serde_norway::from_str(text).map_err(|err| parse_error(err.to_string()))?;
        // Text the typed parser reads but whose keys could not be compared is not taken.
        if let Err(unreadable) = duplicate {
            return Err(parse_error(unreadable.0));
        }
        let mut problems = Vec::new();
        let defaults =
            normalize_layer(file.defaults.unwrap_or_default(), "defaults", &mut problems);
        let mut regions = BTreeMap::new();
        for (region, table) in file.regions.unwrap_or_default() {
            if regions::partition(&region).is_none() {
                problems.push(unknown_region(&region, "regions"));
            }
            let layer = format!("regions.{region}");
            let table = normalize_layer(table.unwrap_or_default(), &layer, &mut problems);
            regions.insert(region, table);
        }
        if !problems.is_empty() {
            return Err(Error::Invalid {
                context: path.display().to_string(),
                problems: Problems(problems),
            });
        }
        Ok(StackConfig {
            path: path.to_owned(),
            defaults,
            regions,
        })
    }

    /// The regions a command runs for: those asked for (`--region`, repeatable), each once in the order first
    /// given, or, when none is asked for, every region listed under `regions:`.
    pub fn select_regions(&self, asked: &[String]) -> Result<Vec<String>> {
        if !asked.is_empty() {
            let mut unique: Vec<String> = Vec::new();
            for region in asked {
                if !unique.contains(region) {
                    unique.push(region.clone());
                }
            }
            return Ok(unique);
        }
        if self.regions.is_empty() {
            return Err(Error::NoRegions {
                path: self.path.clone(),
            });
        }
        Ok(self.regions.keys().cloned().collect())
    }

    /// The layers that apply to `region`, lowest precedence first (the built-in layer is the catalog itself).
    pub fn layers_for<'a>(&'a self, region: &str) -> Vec<(Origin, &'a Layer)> {
        let mut layers = vec![(Origin::ConfigDefaults, &self.defaults)];
        if let Some(overrides) = self.regions.get(region) {
            layers.push((Origin::Region, overrides));
        }
        layers
    }
}

/// Parses `--set Key=Value` arguments into a layer; a later `--set` of the same key wins.
pub fn parse_sets(args: &[String]) -> Result<Layer> {
    let mut layer = Layer::new();
    let mut problems = Vec::new();
    for arg in args {
        let Some((key, value)) = arg.split_once('=') else {
            problems.push(Problem::BadSetSyntax { arg: arg.clone() });
            continue;
        };
        match catalog::find(key.trim()) {
            Some(param) => {
                layer.insert(param.name, value.to_owned());
            }
            None => problems.push(unknown_key(key.trim(), "--set")),
        }
    }
    if problems.is_empty() {
        Ok(layer)
    } else {
        Err(Error::Invalid {
            context: "command line".to_owned(),
            problems: Problems(problems),
        })
    }
}

/// A problem for an unknown region, suggesting the nearest known one.
pub fn unknown_region(region: &str, layer: &str) -> Problem {
    Problem::UnknownRegion {
        region: region.to_owned(),
        layer: layer.to_owned(),
        suggestion: nearest(region, regions::names()),
        known: regions::names().collect::<Vec<_>>().join(", "),
    }
}

fn unknown_key(key: &str, layer: &str) -> Problem {
    Problem::UnknownKey {
        key: key.to_owned(),
        layer: layer.to_owned(),
        suggestion: nearest(key, catalog::names()),
    }
}

/// The candidate closest to `input` (case-insensitive Jaro-Winkler), if it is close enough to be a likely typo.
fn nearest(input: &str, candidates: impl Iterator<Item = &'static str>) -> Option<&'static str> {
    const THRESHOLD: f64 = 0.8;
    let input = input.to_lowercase();
    candidates
        .map(|candidate| {
            (
                strsim::jaro_winkler(&input, &candidate.to_lowercase()),
                candidate,
            )
        })
        .filter(|(score, _)| *score >= THRESHOLD)
        // On a tie the earlier candidate wins, so suggestions follow table order.
        .fold(
            None,
            |best: Option<(f64, &'static str)>, (score, candidate)| match best {
                Some((best_score, _)) if best_score >= score => best,
                _ => Some((score, candidate)),
            },
        )
        .map(|(_, candidate)| candidate)
}

fn normalize_layer(
    table: BTreeMap<String, Value>,
    layer: &str,
    problems: &mut Vec<Problem>,
) -> Layer {
    let mut out = Layer::new();
    for (key, value) in table {
        let Some(param) = catalog::find(&key) else {
            problems.push(unknown_key(&key, layer));
            continue;
        };
        match scalar_text(&value, param.cfn_type, param.kind) {
            Ok(text) => {
                out.insert(param.name, text);
            }
            Err(found) => problems.push(Problem::NotAScalar {
                key,
                layer: layer.to_owned(),
                found,
            }),
        }
    }
    out
}

/// The text form of a YAML value: strings as written, numbers and booleans as YAML prints them, null as empty,
/// a list of strings as a comma-separated list for list-typed parameters (subnet ids), and the list of mappings
/// as the JSON the writer reads.
fn scalar_text(
    value: &Value,
    cfn_type: CfnType,
    kind: Kind,
) -> std::result::Result<String, &'static str> {
    match value {
        Value::Sequence(_) if kind == Kind::Mappings => {
            serde_json::to_string(value).map_err(|_| "a list that is not JSON data")
        }
        Value::Null => Ok(String::new()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::String(s) => Ok(s.clone()),
        Value::Sequence(items) if cfn_type == CfnType::SubnetIdList => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err("a list with non-string items"),
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(|items| items.join(",")),
        Value::Sequence(_) => Err("a list"),
        Value::Mapping(_) => Err("a mapping"),
        Value::Tagged(_) => Err("a tagged value"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> StackConfig {
        StackConfig::parse(Path::new("stack.yaml"), text).expect("a valid config")
    }

    #[test]
    fn a_region_asked_for_twice_is_selected_once_in_the_order_first_given() {
        let config = config("regions: {eu-west-1: {}}");
        let asked = ["us-east-1", "eu-west-1", "us-east-1"].map(String::from);
        assert_eq!(
            config.select_regions(&asked).unwrap(),
            ["us-east-1", "eu-west-1"]
        );
    }

    #[test]
    fn without_regions_asked_for_every_listed_region_is_selected() {
        let config = config("regions: {us-east-1: {}, eu-west-1: {}}");
        assert_eq!(
            config.select_regions(&[]).unwrap(),
            ["eu-west-1", "us-east-1"]
        );
        let err = self::config("defaults: {}")
            .select_regions(&[])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "stack.yaml lists no regions under `regions:`; add one or pass --region REGION"
        );
    }
}
