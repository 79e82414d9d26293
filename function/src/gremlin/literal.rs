//! Gremlin string literals that no value can leave.
//!
//! Neptune parses Gremlin with the TinkerPop grammar (no Groovy, no bindings), so values must be
//! literals in the text. A string literal is single-quoted; `\` and `'` are backslash-escaped and
//! control characters are written as escapes, so no id can end the literal or add steps.

use std::fmt::Write;

/// Appends `s` as a single-quoted Gremlin string literal.
pub fn push_literal(q: &mut String, s: &str) {
    q.push('\'');
    // Fast path: plain printable ASCII needs no escape.
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'\'' && b != b'\\')
    {
        q.push_str(s);
        q.push('\'');
        return;
    }
    for c in s.chars() {
        match c {
            '\'' => q.push_str("\\'"),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\r' => q.push_str("\\r"),
            '\t' => q.push_str("\\t"),
            '\u{8}' => q.push_str("\\b"),
            '\u{c}' => q.push_str("\\f"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(q, "\\u{:04x}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('\'');
}

#[cfg(test)]
pub(crate) mod tests {
    /// Hostile ids and the exact literal each must become.
    pub(crate) const HOSTILE: &[(&str, &str)] = &[
        ("it's", r"'it\'s'"),
        ("a\\b", r"'a\\b'"),
        ("\\'", r"'\\\''"),
        ("line\nbreak\r\t", r"'line\nbreak\r\t'"),
        ("x')).drop().V('y", r"'x\')).drop().V(\'y'"),
        ("a // comment", "'a // comment'"),
        ("${System.exit(0)}", "'${System.exit(0)}'"),
        ("\"double\"", "'\"double\"'"),
        ("ünïcødé 🚀 名前", "'ünïcødé 🚀 名前'"),
        ("nul\u{0}bell\u{7}", r"'nul\u0000bell\u0007'"),
        ("sep\u{2028}", r"'sep\u2028'"),
        ("\\u0027", r"'\\u0027'"),
    ];

    // Walk the query like the grammar's lexer: outside literals only the fixed step text may
    // appear, so stripping literal contents must give the same skeleton for any id.
    pub(crate) fn skeleton(q: &str) -> String {
        let mut out = String::new();
        let mut chars = q.chars();
        let mut inside = false;
        while let Some(c) = chars.next() {
            match (inside, c) {
                (false, '\'') => {
                    inside = true;
                    out.push_str("'…'");
                }
                (false, c) => out.push(c),
                (true, '\\') => {
                    chars.next();
                }
                (true, '\'') => inside = false,
                (true, _) => {}
            }
        }
        out
    }
}
