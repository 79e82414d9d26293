//! `application/x-www-form-urlencoded` fields of a request body (openCypher's `query=` and `parameters=`, SPARQL's
//! `update=`), encoded byte for byte as `url::form_urlencoded` encodes them (a test holds the two equal): letters,
//! digits and `*-._` as they are, a space as `+`, every other byte as `%XX`. Written here rather than through
//! that crate because its encoder pushes each escaped byte as a string of its own: an openCypher write's JSON is
//! mostly escaped punctuation, and that encoding took a fifth of the CPU of decoding and building a write of
//! follows records (perf, BENCHMARKS.md "CPU per record").

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `value`, form-encoded, to `out`.
pub fn push_encoded(out: &mut String, value: &str) {
    let mut bytes = std::mem::take(out).into_bytes();
    bytes.reserve(value.len() + value.len() / 2);
    for &byte in value.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'*' | b'-' | b'.' | b'_') {
            bytes.push(byte);
        } else if byte == b' ' {
            bytes.push(b'+');
        } else {
            bytes.extend_from_slice(&[
                b'%',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
        }
    }
    *out = String::from_utf8(bytes).expect("form encoding writes ASCII only");
}

/// An openCypher request's body (`POST /openCypher`): `query=<query>&parameters=<parameters>`.
pub fn opencypher_body(query: &str, parameters: &str) -> String {
    body(&[("query", query), ("parameters", parameters)])
}

/// The body of the fields `name=value`, in order, joined by `&`.
pub fn body(fields: &[(&str, &str)]) -> String {
    // Most bytes of a JSON or a SPARQL text are escaped to three.
    let mut out =
        String::with_capacity(fields.iter().map(|(n, v)| n.len() + 2 * v.len() + 2).sum());
    for (index, (name, value)) in fields.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        push_encoded(&mut out, name);
        out.push('=');
        push_encoded(&mut out, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_is_encoded_as_url_encodes_it() {
        let every_char: String = (0..=0x7f_u8)
            .map(char::from)
            .chain(['é', 'ü', '名', '🚀', '\u{2028}', '\u{feff}'])
            .collect();
        for value in [
            every_char.as_str(),
            "",
            "plain",
            "a b+c&d=e%f",
            r#"{"w":{"r0_0":["1","2"]}}"#,
            "UNWIND $w.r0_0 AS v MATCH (x {`~id`: v})",
        ] {
            let expected = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("query", value)
                .append_pair("parameters", value)
                .finish();
            assert_eq!(
                body(&[("query", value), ("parameters", value)]),
                expected,
                "{value:?}"
            );
        }
    }
}
