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
