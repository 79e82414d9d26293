//! Markdown as GitHub renders it, as far as the documentation's links need: the relative links of a file and
//! the anchors its headings get, so a test can check that every link and anchor resolves.

use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The relative links of Markdown text with their line numbers (from 1): the targets of `[text](target)` and
/// `![alt](target)` outside fenced code blocks and code spans. Targets with a scheme (`https:`, `mailto:`) are
/// left out.
pub fn relative_links(text: &str) -> Vec<(usize, String)> {
    let mut links = Vec::new();
    for (number, line) in prose_lines(text) {
        let prose = without_code_spans(line);
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].trim();
            if !target.contains("://") && !target.starts_with("mailto:") {
                links.push((number, target.to_owned()));
            }
            rest = &after[end..];
        }
    }
    links
}

/// The anchors GitHub gives the headings of Markdown text (outside fenced code blocks), as its slugger makes
/// them: lower case, punctuation dropped, spaces as `-`, and `-1`, `-2`, ... after a repeated one.
pub fn heading_anchors(text: &str) -> HashSet<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut anchors = HashSet::new();
    for (_, line) in prose_lines(text) {
        let hashes = line.len() - line.trim_start_matches('#').len();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let slug = slug(line[hashes..].trim().trim_end_matches('#').trim());
        let repeats = seen.entry(slug.clone()).or_insert(0);
        anchors.insert(match *repeats {
            0 => slug,
            n => format!("{slug}-{n}"),
        });
        *repeats += 1;
    }
    anchors
}

/// Why `target`, a relative link in the Markdown file `from`, does not resolve, or None when it does: the file
/// it names (relative to `from`'s folder; none means `from` itself) must exist, and an `#anchor` must be the
/// anchor of one of that Markdown file's headings.
pub fn broken_link(from: &Path, target: &str) -> Option<String> {
    let (path, anchor) = match target.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (target, None),
    };
    let file = if path.is_empty() {
        from.to_path_buf()
    } else {
        from.parent().unwrap_or(Path::new(".")).join(path)
    };
    if !file.exists() {
        return Some(format!("{} does not exist", file.display()));
    }
    let anchor = anchor?;
    let Ok(text) = std::fs::read_to_string(&file) else {
        return Some(format!(
            "#{anchor} points into {}, which is not a text file",
            file.display()
        ));
    };
    if heading_anchors(&text).contains(anchor) {
        None
    } else {
        Some(format!(
            "{} has no heading whose anchor is #{anchor}",
            file.display()
        ))
    }
}

/// GitHub's anchor of a heading's text.
fn slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// The lines outside fenced code blocks (``` or ~~~, indented or not), with their numbers from 1.
fn prose_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut fence: Option<&str> = None;
    text.lines().enumerate().filter_map(move |(index, line)| {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (None, Some(m)) => {
                fence = Some(m);
                None
            }
            (Some(open), Some(m)) if open == m => {
                fence = None;
                None
            }
            (Some(_), _) => None,
            (None, None) => Some((index + 1, line)),
        }
    })
}

/// A line with its code spans (a run of backticks up to the next run of as many) taken out.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].len() - rest[start..].trim_start_matches('`').len();
        let after = &rest[start + ticks..];
        let delimiter = "`".repeat(ticks);
        match after.find(&delimiter) {
            Some(end) => rest = after[end + ticks..].trim_start_matches('`'),
            // An unmatched run is literal text.
            None => {
                out.push_str(&rest[start..]);
                return out;
            }
        }
    }
    out.push_str(rest);
    out
}
