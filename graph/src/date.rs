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
    let b = text.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    chrono::NaiveDate::from_ymd_opt(year as i32, month, day)?;
    if b.len() == 10 {
        return Some(DateKind::Date);
    }
    // Time part: [T| ]HH:MM[:SS[.fraction]][zone]
    let rest = &b[10..];
    if !(rest[0] == b'T' || rest[0] == b' ') || rest.len() < 6 || rest[3] != b':' {
        return None;
    }
    let hour = digits(&rest[1..3])?;
    let minute = digits(&rest[4..6])?;
    let mut i = 6;
    let mut second = 0;
    if rest.get(i) == Some(&b':') {
        second = rest.get(i + 1..i + 3).and_then(digits)?;
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
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let zone_ok = match &rest[i..] {
        [] | [b'Z'] => true,
        [sign, h1, h2, b':', m1, m2] | [sign, h1, h2, m1, m2] if *sign == b'+' || *sign == b'-' => {
            matches!((digits(&[*h1, *h2]), digits(&[*m1, *m2])), (Some(h), Some(m)) if h <= 23 && m <= 59)
        }
        _ => false,
    };
    zone_ok.then_some(DateKind::DateTime)
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
    let kind = date_kind(text)?;
    let instant = match kind {
        DateKind::Date => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()?
            .and_hms_opt(0, 0, 0)?
            .and_utc(),
        DateKind::DateTime => {
            let normal = text.replacen(' ', "T", 1);
            match chrono::DateTime::parse_from_str(&normal, "%Y-%m-%dT%H:%M%#z")
                .or_else(|_| chrono::DateTime::parse_from_str(&normal, "%Y-%m-%dT%H:%M:%S%.f%#z"))
            {
                Ok(dt) => dt.to_utc(),
                Err(_) => chrono::NaiveDateTime::parse_from_str(&normal, "%Y-%m-%dT%H:%M:%S%.f")
                    .or_else(|_| chrono::NaiveDateTime::parse_from_str(&normal, "%Y-%m-%dT%H:%M"))
                    .ok()?
                    .and_utc(),
            }
        }
    };
    Some(instant.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
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
