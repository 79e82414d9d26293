//! Values spelt as one of a few fixed words: the [`choices!`](crate::choices) macro that declares such a type with
//! its spellings, and the four the writer reads (its QUERY_LANGUAGE, GREMLIN_UPSERT_STYLE, GREMLIN_BATCH_FORM and
//! RECORD_FORMAT, which the stack's parameters of the same names pass on). The plan declares its other word-valued parameters
//! with the same macro, so each type and its spellings are written once.

/// A type whose every value is spelt as one fixed word (declared with [`choices!`](crate::choices)).
pub trait Words: Copy + 'static {
    /// Every value, in the declared order.
    const ALL: &'static [Self];

    /// The value's word.
    fn word(self) -> &'static str;
}

/// Declares an enum of choices with its spellings, so a list of allowed words and the type cannot disagree: the
/// enum with `ALL`, `NAMES`, `as_str` and `parse`, [`Words`], `Display`, and serde's `Serialize` and `Deserialize`
/// as the word.
#[macro_export]
macro_rules! choices {
    ($(#[$doc:meta])* $type:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $type {
            $($(#[$vdoc])* $variant),+
        }

        impl $type {
            /// Every value, in the declared order.
            pub const ALL: &'static [$type] = &[$($type::$variant),+];
            /// Every value as it is spelt, in the declared order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The value as it is spelt.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($type::$variant => $text),+
                }
            }

            /// The value spelt `text`, if it is one.
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == text)
            }
        }

        impl $crate::Words for $type {
            const ALL: &'static [$type] = $type::ALL;

            fn word(self) -> &'static str {
                self.as_str()
            }
        }

        impl $crate::__serde::Serialize for $type {
            fn serialize<S: $crate::__serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $type {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <String as $crate::__serde::Deserialize>::deserialize(deserializer)?;
                Self::parse(&text).ok_or_else(|| {
                    <D::Error as $crate::__serde::de::Error>::unknown_variant(&text, Self::NAMES)
                })
            }
        }

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

crate::choices! {
    /// The language the writer writes in: QUERY_LANGUAGE, and the stack's `QueryLanguage`.
    QueryLanguage {
        /// Apache TinkerPop Gremlin over HTTP, `POST /gremlin` (default).
        Gremlin = "gremlin",
        /// SPARQL 1.1 Update, `POST /sparql` form field `update=`.
        Sparql = "sparql",
        /// openCypher, `POST /openCypher` form fields `query=` and `parameters=`.
        OpenCypher = "opencypher",
    }
}

crate::choices! {
    /// How Gremlin upserts are written: GREMLIN_UPSERT_STYLE, and the stack's `GremlinUpsertStyle`.
    GremlinUpsertStyle {
        /// `mergeV()` / `mergeE()` (TinkerPop 3.6, Neptune engine 1.2.1.0 and later; default).
        Merge = "merge",
        /// `fold().coalesce(unfold(), ...)`, for engines before 1.2.1.0.
        Coalesce = "coalesce",
    }
}

crate::choices! {
    /// How a mergeV/mergeE batch with derived edge ids is laid out in its one request: GREMLIN_BATCH_FORM, and the
    /// stack's `GremlinBatchForm`.
    GremlinBatchForm {
        /// One `mergeV()` per vertex and one `mergeE()` per edge, chained (default; Neptune's documented native
        /// form).
        Chained = "chained",
        /// The batch's vertex and edge rows in one `inject()`, unfolded into one `mergeV()` and one `mergeE()`.
        Rows = "rows",
    }
}

crate::choices! {
    /// How the writer reads a record: RECORD_FORMAT, and the stack's `RecordFormat`.
    RecordFormat {
        /// By its shape: a graph-operation document (a JSON array, or an object with `op`), else the sample's
        /// `follows` edge (CSV or JSON) (default).
        Auto = "auto",
        /// Each record is an application's own JSON event, turned into graph operations by the first of MAPPINGS
        /// whose `when` holds.
        Mapping = "mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_is_spelt_once_and_parses_back() {
        for (value, word) in QueryLanguage::ALL.iter().zip(QueryLanguage::NAMES) {
            assert_eq!(value.as_str(), *word);
            assert_eq!(QueryLanguage::parse(word), Some(*value));
            assert_eq!(value.to_string(), *word);
        }
        assert_eq!(QueryLanguage::parse("Gremlin"), None, "spellings are exact");
    }

    #[test]
    fn serde_reads_and_writes_the_word_and_names_the_allowed_ones() {
        let json = serde_json::to_string(&GremlinBatchForm::Rows).unwrap();
        assert_eq!(json, "\"rows\"");
        let back: GremlinBatchForm = serde_json::from_str(&json).unwrap();
        assert_eq!(back, GremlinBatchForm::Rows);
        let err = serde_json::from_str::<GremlinUpsertStyle>("\"upsert\"").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("unknown variant `upsert`, expected `merge` or `coalesce`"),
            "{err}"
        );
    }
}
