//! Types one text value according to its catalog kind: the problem it has names the parameter, the value, where it
//! came from and what is allowed. Resolution types every layered value with it, and the plan a late artifact key.

use regex::Regex;

use crate::catalog::{self, Kind, Name, Param};
use crate::dated_facts;
use crate::error::Problem;
use crate::origin::Origin;
use crate::sizing;
use crate::values::ParamValue;

/// Types one value according to its catalog kind; `region` decides which instance classes are offered.
pub fn parse(
    param: &'static Param,
    text: &str,
    origin: Origin,
    region: &str,
) -> std::result::Result<ParamValue, Problem> {
    let typed = parse_text(param, text, origin, region);
    match typed {
        // An empty value is named as such, whatever the kind would say about it.
        Err(_) if text.trim().is_empty() => Err(Problem::Empty {
            key: param.name,
            origin,
            allowed: param.kind.allowed(),
        }),
        Ok(_) if param.name == Name::MetricsNamespace && text.starts_with("AWS/") => {
            Err(Problem::ReservedNamespace {
                key: param.name,
                value: text.to_owned(),
                origin,
            })
        }
        typed => typed,
    }
}

fn parse_text(
    param: &'static Param,
    text: &str,
    origin: Origin,
    region: &str,
) -> std::result::Result<ParamValue, Problem> {
    let key = param.name;
    let value = text.to_owned();
    let out_of_range = || Problem::OutOfRange {
        key,
        value: value.clone(),
        origin,
        allowed: param.kind.allowed(),
    };
    let not_whole = || Problem::NotAWholeNumber {
        key,
        value: value.clone(),
        origin,
        allowed: param.kind.allowed(),
    };
    match param.kind {
        Kind::Bool => match text {
            "true" | "false" => Ok(ParamValue::Text(value)),
            _ => Err(Problem::BadBool { key, value, origin }),
        },
        Kind::Choice(choices) => {
            if choices.contains(&text) {
                Ok(ParamValue::Text(value))
            } else {
                Err(Problem::BadChoice {
                    key,
                    value,
                    origin,
                    allowed: param.kind.allowed(),
                })
            }
        }
        Kind::Offered(offering) => {
            let offered = offering.offered_in(region).join(", ");
            if offering.is_offered(region, text) {
                Ok(ParamValue::Text(value))
            } else if offering.is_known(text) {
                Err(Problem::NotOffered {
                    key,
                    value,
                    origin,
                    region: region.to_owned(),
                    offered,
                })
            } else {
                Err(Problem::UnknownInstanceType {
                    key,
                    value,
                    origin,
                    region: region.to_owned(),
                    valid: offered,
                })
            }
        }
        Kind::EngineVersion { min } => {
            let numbers = |v: &str| {
                matches(catalog::ENGINE_VERSION_PATTERN, v)
                    .then(|| dated_facts::engine_numbers(v))
                    .flatten()
            };
            let retired = dated_facts::retired(
                dated_facts::Product::NeptuneEngine,
                text,
                dated_facts::today(),
            );
            match (numbers(text), retired) {
                // The dated reason first: a retired version is named with its date and source.
                (Some(_), Some(fact)) => Err(Problem::EngineRetired {
                    key,
                    value,
                    origin,
                    range: fact.name,
                    end_of_life: fact.retired_from().expect("a retired fact has a date"),
                    stated_in: fact.source,
                    instead: catalog::DEFAULT_ENGINE_VERSION,
                }),
                (Some(version), None) if version >= numbers(min).expect("a valid minimum") => {
                    Ok(ParamValue::Text(value))
                }
                (Some(_), None) => Err(Problem::EngineTooOld {
                    key,
                    value,
                    origin,
                    min,
                }),
                (None, _) => Err(Problem::Malformed {
                    key,
                    value,
                    origin,
                    expected: param.kind.allowed(),
                }),
            }
        }
        Kind::Integer { min, max } => match text.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(ParamValue::Integer(n)),
            Ok(_) => Err(out_of_range()),
            Err(_) => Err(whole_number_or_range(text, out_of_range, not_whole)),
        },
        Kind::IntegerOrUnlimited { min, max } => match text.parse::<i64>() {
            Ok(n) if n == -1 || (min..=max).contains(&n) => Ok(ParamValue::Integer(n)),
            Ok(_) => Err(out_of_range()),
            Err(_) => Err(whole_number_or_range(text, out_of_range, not_whole)),
        },
        Kind::IntegerChoice(choices) => match text.parse::<i64>() {
            Ok(n) if choices.contains(&n) => Ok(ParamValue::Integer(n)),
            _ => Err(Problem::BadChoice {
                key,
                value,
                origin,
                allowed: param.kind.allowed(),
            }),
        },
        Kind::Capacity { min } => {
            let max = sizing::SERVERLESS_CAPACITY_RANGE.1;
            match text.parse::<f64>() {
                Ok(x) if (min..=max).contains(&x) && (x * 2.0).fract() == 0.0 => {
                    Ok(if x.fract() == 0.0 {
                        // Whole capacities render as integers ("16", not "16.0"); the range keeps the cast exact.
                        ParamValue::Integer(x as i64)
                    } else {
                        ParamValue::Number(x)
                    })
                }
                Ok(_) => Err(out_of_range()),
                Err(_) => Err(Problem::NotANumber {
                    key,
                    value,
                    origin,
                    allowed: param.kind.allowed(),
                }),
            }
        }
        Kind::Text { pattern, expected } => {
            if matches(pattern, text) {
                Ok(ParamValue::Text(value))
            } else {
                Err(Problem::Malformed {
                    key,
                    value,
                    origin,
                    expected: expected.to_owned(),
                })
            }
        }
        Kind::S3Uri {
            pattern,
            expected,
            key_suffix,
        } => {
            if matches(pattern, text) {
                Ok(ParamValue::Text(value))
            } else {
                Err(Problem::BadS3Uri {
                    key,
                    fault: s3_uri_fault(text, key_suffix),
                    value,
                    origin,
                    expected: expected.to_owned(),
                })
            }
        }
        Kind::Mappings if text.trim().is_empty() => Ok(ParamValue::Text(String::new())),
        Kind::Mappings => match stream2neptune_graph::mapping::Mappings::compile(text) {
            Ok(_) => Ok(ParamValue::Text(value)),
            Err(err) => Err(Problem::BadMappings {
                key,
                origin,
                message: err.to_string(),
            }),
        },
        Kind::SubnetIds => {
            let ids: Vec<&str> = text.split(',').map(str::trim).collect();
            if ids.len() >= catalog::MIN_EXISTING_SUBNETS
                && ids.iter().all(|id| matches(catalog::SUBNET_ID_PATTERN, id))
            {
                Ok(ParamValue::Text(ids.join(",")))
            } else {
                Err(Problem::Malformed {
                    key,
                    value,
                    origin,
                    expected: param.kind.allowed(),
                })
            }
        }
    }
}

/// Text that did not parse as an integer: out of range if it is written as one (digits too many for i64), else
/// not a whole number (1.5, 1e3, 1000.0, abc); both say what is allowed.
fn whole_number_or_range(
    text: &str,
    out_of_range: impl FnOnce() -> Problem,
    not_whole: impl FnOnce() -> Problem,
) -> Problem {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        out_of_range()
    } else {
        not_whole()
    }
}

/// Which part of an S3 URI is wrong: the scheme, the bucket name (S3's naming rules) or the key.
fn s3_uri_fault(text: &str, key_suffix: Option<&str>) -> String {
    let Some(rest) = text.strip_prefix("s3://") else {
        return match text.split_once("://") {
            Some((scheme, _)) => format!("the scheme is `{scheme}://`, it must be s3://"),
            None => "it does not start with s3://".to_owned(),
        };
    };
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    let bucket_chars =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if bucket.is_empty() {
        return "the bucket name is missing (s3://BUCKET/...)".to_owned();
    }
    if !(3..=63).contains(&bucket.len()) {
        return format!(
            "the bucket name `{bucket}` has {} characters, S3 allows 3 to 63",
            bucket.len()
        );
    }
    if !bucket.chars().all(bucket_chars) {
        return format!(
            "the bucket name `{bucket}` may hold only lowercase letters, digits, dots and hyphens"
        );
    }
    if !alnum(bucket.chars().next()) || !alnum(bucket.chars().last()) {
        return format!("the bucket name `{bucket}` must start and end with a letter or digit");
    }
    let key_chars = |c: char| c.is_ascii_alphanumeric() || "!_.*'()/-".contains(c);
    if let Some(bad) = key.chars().find(|c| !key_chars(*c)) {
        return format!(
            "the key `{key}` holds `{bad}`; keys may hold A-Z a-z 0-9 ! _ . * ' ( ) / -"
        );
    }
    match key_suffix {
        Some(suffix) if !key.ends_with(suffix) => {
            format!("the key `{key}` does not end in {suffix}")
        }
        _ => format!("the key `{key}` is not of the expected form"),
    }
}

fn matches(pattern: &str, text: &str) -> bool {
    Regex::new(pattern)
        .expect("catalog patterns compile (tested)")
        .is_match(text)
}
