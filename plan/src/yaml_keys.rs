//! Finds a key written twice in one YAML mapping. serde's typed maps keep the last of two equal keys without a
//! word, while YAML says keys are unique: a doubled key in stack.yaml is a mistake to report with both lines.
//!
//! A line scan of block mappings (indentation, `- ` items) and of flow mappings (`{A: 1, B: {C: 2}}`), enough for
//! a config file of scalars and nested tables; quoted keys and comments are understood, anchors and multi-line
//! flow mappings are not looked into.

use std::collections::HashMap;

/// A key found twice in the same mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The key.
    pub key: String,
    /// Line of the first occurrence, 1-based.
    pub first: usize,
    /// Line of the second occurrence, 1-based.
    pub second: usize,
}

/// The first duplicate key of `text`, if any.
pub fn first_duplicate(text: &str) -> Option<Duplicate> {
    // Open block mappings, innermost last: (indentation, key -> line).
    let mut open: Vec<(usize, HashMap<String, usize>)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_number = index + 1;
        let line = without_comment(raw);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with("---") || trimmed.starts_with("...") {
            continue;
        }
        let mut indent = line.len() - trimmed.len();
        let mut body = trimmed;
        let mut item = false;
        while let Some(rest) = body.strip_prefix("- ") {
            let rest_trimmed = rest.trim_start();
            indent += body.len() - rest_trimmed.len();
            body = rest_trimmed;
            item = true;
        }
        if let Some(key) = flow_duplicate(body) {
            return Some(Duplicate {
                key,
                first: line_number,
                second: line_number,
            });
        }
        let Some(key) = block_key(body) else {
            continue;
        };
        while let Some((top, _)) = open.last() {
            if *top > indent || (item && *top == indent) {
                open.pop();
            } else {
                break;
            }
        }
        match open.last_mut() {
            Some((top, keys)) if *top == indent => {
                if let Some(first) = keys.get(&key) {
                    return Some(Duplicate {
                        key,
                        first: *first,
                        second: line_number,
                    });
                }
                keys.insert(key, line_number);
            }
            _ => open.push((indent, HashMap::from([(key, line_number)]))),
        }
    }
    None
}

/// The line without a trailing `# comment` (a `#` outside quotes that starts the line or follows a space).
fn without_comment(line: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (at, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if previous.is_whitespace() => return &line[..at],
            _ => {}
        }
        previous = c;
    }
    line
}

/// The key of a block mapping entry `key: value` or `key:`.
fn block_key(body: &str) -> Option<String> {
    if body.starts_with(['{', '[', '|', '>', '&', '*', '!']) {
        return None;
    }
    let (key, rest) = if let Some(quote @ ('"' | '\'')) = body.chars().next() {
        let end = body[1..].find(quote)? + 1;
        (&body[1..end], body[end + 1..].trim_start())
    } else {
        let colon = body
            .find(": ")
            .or_else(|| body.ends_with(':').then(|| body.len() - 1))?;
        (body[..colon].trim_end(), &body[colon..])
    };
    (rest.starts_with(':') && !key.is_empty()).then(|| key.to_owned())
}

/// A key written twice in one flow mapping of the line.
fn flow_duplicate(body: &str) -> Option<String> {
    // One entry per open `{` (keys seen, the key being read, whether a key is expected) or `[` (None).
    let mut levels: Vec<Option<(Vec<String>, String, bool)>> = Vec::new();
    let mut quote = None;
    for c in body.chars() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if let Some(Some((_, token, true))) = levels.last_mut() {
                token.push(c);
            }
            continue;
        }
        match c {
            '"' | '\'' if !levels.is_empty() => quote = Some(c),
            '{' => levels.push(Some((Vec::new(), String::new(), true))),
            '[' => levels.push(None),
            '}' | ']' => {
                levels.pop();
            }
            ',' => {
                if let Some(Some((_, token, expecting))) = levels.last_mut() {
                    token.clear();
                    *expecting = true;
                }
            }
            ':' => {
                if let Some(Some((seen, token, expecting @ true))) = levels.last_mut() {
                    let key = token.trim().to_owned();
                    if seen.contains(&key) {
                        return Some(key);
                    }
                    seen.push(key);
                    token.clear();
                    *expecting = false;
                }
            }
            c => {
                if let Some(Some((_, token, true))) = levels.last_mut() {
                    token.push(c);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dup(text: &str) -> Option<(String, usize, usize)> {
        first_duplicate(text).map(|d| (d.key, d.first, d.second))
    }

    #[test]
    fn block_mappings() {
        assert_eq!(
            dup("defaults:\n  ShardCount: 4\n  BatchReadSize: 10\n  ShardCount: 8\n"),
            Some(("ShardCount".into(), 2, 4))
        );
        assert_eq!(
            dup("regions:\n  eu-west-1: {}\n  us-east-1:\n    A: 1\n  eu-west-1:\n    A: 2\n"),
            Some(("eu-west-1".into(), 2, 5))
        );
        // The same key in two different mappings is fine.
        assert_eq!(
            dup(
                "defaults:\n  A: 1 # A: 2\nregions:\n  eu-west-1:\n    A: 2\n  us-east-1:\n    A: 3\n"
            ),
            None
        );
        assert_eq!(dup("\"A\": 1\n'A': 2\n"), Some(("A".into(), 1, 2)));
        assert_eq!(dup("a: 'x: y'\nb: \"#: z\"\n"), None);
    }

    #[test]
    fn sequences_start_new_mappings() {
        assert_eq!(dup("l:\n  - a: 1\n    b: 2\n  - a: 3\n"), None);
        assert_eq!(dup("l:\n  - a: 1\n    a: 2\n"), Some(("a".into(), 2, 3)));
    }

    #[test]
    fn flow_mappings() {
        assert_eq!(
            dup("defaults: {ShardCount: 1, ShardCount: 2}\n"),
            Some(("ShardCount".into(), 1, 1))
        );
        assert_eq!(
            dup("regions: {eu-west-1: {A: 1}, us-east-1: {A: [1, 2], B: 'x,y:'}}\n"),
            None
        );
    }
}
