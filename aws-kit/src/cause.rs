//! An error and its sources as one line.

/// `err` and every error in its `source()` chain, joined by `: `, each text once: a source whose
/// text an earlier part already contains is left out (reqwest and the AWS SDK repeat their cause
/// in their own message).
pub fn cause_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(error) = current {
        let text = error.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        current = error.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{text}")]
    struct Layer {
        text: &'static str,
        #[source]
        source: Option<Box<Layer>>,
    }

    fn chain(texts: &[&'static str]) -> Layer {
        texts
            .iter()
            .rev()
            .fold(None, |source, text| {
                Some(Layer {
                    text,
                    source: source.map(Box::new),
                })
            })
            .unwrap()
    }

    #[test]
    fn every_source_is_joined_in_order() {
        let err = chain(&[
            "error sending request",
            "client error (Connect)",
            "Connection refused",
        ]);
        assert_eq!(
            cause_chain(&err),
            "error sending request: client error (Connect): Connection refused"
        );
    }

    #[test]
    fn a_cause_already_in_the_text_is_not_repeated() {
        let err = chain(&[
            "dispatch failure: io error: refused",
            "io error: refused",
            "refused",
        ]);
        assert_eq!(cause_chain(&err), "dispatch failure: io error: refused");
    }

    #[test]
    fn an_error_without_source_is_its_text() {
        let err = std::io::Error::other("disk full");
        assert_eq!(cause_chain(&err), "disk full");
    }
}
