//! Stack tags from `--tag KEY=VALUE`, checked against CloudFormation's rules before any build or upload: at most
//! 50 tags on a stack, keys of 1 to 128 characters not starting with `aws:`, values of at most 256 characters,
//! each key once. `project=stream2neptune` is always the first tag.

use super::error::{Error, Result};

/// The tag every deployed stack (and so each of its resources) carries.
pub const PROJECT_TAG: (&str, &str) = ("project", "stream2neptune");
/// CloudFormation's limit of tags on one stack.
pub const MAX_TAGS: usize = 50;
/// Longest tag key, in characters.
pub const MAX_KEY_CHARS: usize = 128;
/// Longest tag value, in characters.
pub const MAX_VALUE_CHARS: usize = 256;

/// The stack's tags as `Key=Value`, the project tag first, or every problem with the arguments at once.
pub fn parse(args: &[String]) -> Result<Vec<String>> {
    let mut keys: Vec<&str> = vec![PROJECT_TAG.0];
    let mut tags = vec![format!("{}={}", PROJECT_TAG.0, PROJECT_TAG.1)];
    let mut problems = Vec::new();
    for arg in args {
        let Some((key, value)) = arg.split_once('=') else {
            problems.push(format!(
                "`{arg}` is not KEY=VALUE (for example --tag team=graph)"
            ));
            continue;
        };
        let key_chars = key.chars().count();
        if key_chars == 0 {
            problems.push(format!("`{arg}` has an empty key"));
        } else if key_chars > MAX_KEY_CHARS {
            problems.push(format!(
                "the key of `{arg}` has {key_chars} characters; CloudFormation allows at most {MAX_KEY_CHARS}"
            ));
        } else if key.to_lowercase().starts_with("aws:") {
            problems.push(format!(
                "the key `{key}` starts with aws:, which AWS keeps for its own tags"
            ));
        } else if key == PROJECT_TAG.0 {
            problems.push(format!(
                "the key `{key}` is set by stream2neptune itself ({}={}); choose another key",
                PROJECT_TAG.0, PROJECT_TAG.1
            ));
        } else if keys.contains(&key) {
            problems.push(format!(
                "the key `{key}` is given twice; give each key once"
            ));
        }
        let value_chars = value.chars().count();
        if value_chars > MAX_VALUE_CHARS {
            problems.push(format!(
                "the value of `{key}` has {value_chars} characters; CloudFormation allows at most {MAX_VALUE_CHARS}"
            ));
        }
        keys.push(key);
        tags.push(arg.clone());
    }
    if tags.len() > MAX_TAGS {
        problems.push(format!(
            "{} tags with {}={}; CloudFormation allows at most {MAX_TAGS} on a stack",
            tags.len(),
            PROJECT_TAG.0,
            PROJECT_TAG.1
        ));
    }
    if problems.is_empty() {
        Ok(tags)
    } else {
        Err(Error::BadTags(problems))
    }
}
