//! The date and date-time forms records may carry, validated once for every record form.
//!
//! A date is `YYYY-MM-DD`; a date-time is `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|±HH:MM|±HHMM]` (a real calendar
//! day, hours 00-23, minutes and seconds 00-59, a zone offset within ±23:59).

/// Whether a valid text is a date or a date-time (which picks its XSD datatype in SPARQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateKind {
    /// `YYYY-MM-DD` (`xsd:date`).
    Date,
    /// A date-time (`xsd:dateTime`); a space separator is normalised to `T` in typed literals.
    DateTime,
}

/// The kind of `text` if it is one of the accepted forms (see the module docs), else `None`.
pub fn date_kind(text: &str) -> Option<DateKind> {
    parts(text).map(|p| p.kind)
}

/// The fields of an accepted text.
struct Parts {
    kind: DateKind,
    date: chrono::NaiveDate,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
    /// East of UTC, in minutes.
    offset: i64,
}

fn parts(text: &str) -> Option<Parts> {
    let b = text.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let date = chrono::NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let mut parts = Parts {
        kind: DateKind::Date,
        date,
        hour: 0,
        minute: 0,
        second: 0,
        millis: 0,
        offset: 0,
    };
    if b.len() == 10 {
        return Some(parts);
    }
    // Time part: [T| ]HH:MM[:SS[.fraction]][zone]
    let rest = &b[10..];
    if !(rest[0] == b'T' || rest[0] == b' ') || rest.len() < 6 || rest[3] != b':' {
        return None;
    }
    parts.kind = DateKind::DateTime;
    parts.hour = digits(&rest[1..3])?;
    parts.minute = digits(&rest[4..6])?;
    let mut i = 6;
    if rest.get(i) == Some(&b':') {
        parts.second = rest.get(i + 1..i + 3).and_then(digits)?;
        i += 3;
        if rest.get(i) == Some(&b'.') {
            let start = i + 1;
            i = start;
            while rest.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return None;
            }
            // Milliseconds: the first three digits of the fraction, the rest cut.
            parts.millis = rest[start..i]
                .iter()
                .chain(b"00")
                .take(3)
                .fold(0, |acc, &c| acc * 10 + u32::from(c - b'0'));
        }
    }
    if parts.hour > 23 || parts.minute > 59 || parts.second > 59 {
        return None;
    }
    parts.offset = match &rest[i..] {
        [] | [b'Z'] => 0,
        [sign, h1, h2, b':', m1, m2] | [sign, h1, h2, m1, m2] if *sign == b'+' || *sign == b'-' => {
            let (h, m) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = i64::from(h * 60 + m);
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ => return None,
    };
    Some(parts)
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// The instant a date or date-time names, as `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC with milliseconds (a fraction cut
/// there): how a store that keeps dates as instants (Gremlin's `Date`) holds it. A date is its midnight UTC, a
/// date-time without a zone is read as UTC. `None` when `text` is not an accepted form.
pub fn utc_instant(text: &str) -> Option<String> {
    use chrono::{Datelike, Timelike};
    let p = parts(text)?;
    let local = p
        .date
        .and_hms_milli_opt(p.hour, p.minute, p.second, p.millis)?;
    let utc = local - chrono::TimeDelta::minutes(p.offset);
    let mut out = String::with_capacity(24);
    use std::fmt::Write;
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        utc.year(),
        utc.month(),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second(),
        utc.nanosecond() / 1_000_000
    );
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_and_refused_forms() {
        for (text, kind) in [
            ("2020-02-29", Some(DateKind::Date)),
            ("2021-02-29", None),
            ("2020-01-01T10:11", Some(DateKind::DateTime)),
            ("2020-01-01 10:11:12.123456Z", Some(DateKind::DateTime)),
            ("2020-01-01T10:11:12+05:30", Some(DateKind::DateTime)),
            ("2020-01-01T10:11:12-0800", Some(DateKind::DateTime)),
            ("2020-01-01T24:00", None),
            ("2020-01-01T10:11:12.", None),
            ("2020-01-01T10:11+24:00", None),
            ("2020-1-01", None),
        ] {
            assert_eq!(date_kind(text), kind, "{text}");
        }
    }

    #[test]
    fn instants_are_utc_with_milliseconds() {
        for (text, instant) in [
            ("2024-01-02", "2024-01-02T00:00:00.000Z"),
            ("2024-01-02T03:04", "2024-01-02T03:04:00.000Z"),
            ("2024-01-02 03:04:05Z", "2024-01-02T03:04:05.000Z"),
            (
                "2024-01-02T03:04:05.123456+01:00",
                "2024-01-02T02:04:05.123Z",
            ),
            ("2024-01-02T03:04:05-0130", "2024-01-02T04:34:05.000Z"),
            ("2024-01-02T03:04+01:00", "2024-01-02T02:04:00.000Z"),
        ] {
            assert_eq!(utc_instant(text).as_deref(), Some(instant), "{text}");
        }
        assert_eq!(utc_instant("2024-13-01"), None);
    }
}
