//! Typed parameter values: [`ParamValue`], what every value is once typed, and the enums of the parameters whose
//! text is one of a fixed list (the catalog's allowed values are their spellings; the resolved plan hands them
//! out typed, [`crate::Plan`]).

use std::fmt;

use serde::Serialize;

/// A typed parameter value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A string (also booleans, which CloudFormation takes as "true"/"false").
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A number with a fractional part (serverless capacity in half steps).
    Number(f64),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Text(text) => f.write_str(text),
            ParamValue::Integer(n) => write!(f, "{n}"),
            ParamValue::Number(x) => write!(f, "{x}"),
        }
    }
}

impl ParamValue {
    /// The whole number, if the value is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ParamValue::Integer(n) => Some(*n),
            _ => None,
        }
    }

    /// The number, if the value is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ParamValue::Integer(n) => Some(*n as f64),
            ParamValue::Number(x) => Some(*x),
            ParamValue::Text(_) => None,
        }
    }

    /// The text, if the value is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ParamValue::Text(text) => Some(text),
            _ => None,
        }
    }
}

/// Declares an enum of choices with its spellings, so the catalog's list and the type cannot disagree.
macro_rules! choices {
    ($(#[$doc:meta])* $type:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $type {
            $($(#[$vdoc])* $variant),+
        }

        impl $type {
            /// Every value, in the catalog's order.
            pub const ALL: &'static [$type] = &[$($type::$variant),+];
            /// Every value as the stack spells it, in the catalog's order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The value as the stack spells it.
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

        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

choices! {
    /// `StreamMode`: the Kinesis capacity mode.
    StreamMode {
        /// A fixed `ShardCount`.
        Provisioned = "PROVISIONED",
        /// Kinesis scales the shards.
        OnDemand = "ON_DEMAND",
    }
}

choices! {
    /// `QueryLanguage`: the language the writer writes in.
    QueryLanguage {
        /// Apache TinkerPop Gremlin.
        Gremlin = "gremlin",
        /// SPARQL 1.1 Update.
        Sparql = "sparql",
        /// openCypher.
        OpenCypher = "opencypher",
    }
}

choices! {
    /// `GremlinUpsertStyle`: the Gremlin upsert idiom.
    GremlinUpsertStyle {
        /// mergeV()/mergeE() (engine 1.2.1.0 or later).
        Merge = "merge",
        /// fold().coalesce().
        Coalesce = "coalesce",
    }
}

choices! {
    /// `GremlinBatchForm`: the layout of a mergeV/mergeE batch with ConditionalCreate.
    GremlinBatchForm {
        /// One mergeV()/mergeE() step per vertex and edge (Neptune's documented native form).
        Chained = "chained",
        /// The batch's rows in one inject() unfolded into one mergeV() and one mergeE().
        Rows = "rows",
    }
}

choices! {
    /// `StartingPosition`: where a new event source mapping starts reading a shard.
    StartingPosition {
        /// The oldest record kept.
        TrimHorizon = "TRIM_HORIZON",
        /// Only records put after the mapping starts.
        Latest = "LATEST",
    }
}

choices! {
    /// `FunctionArchitecture`: the writer function's instruction set.
    Architecture {
        /// x86-64.
        X86_64 = "x86_64",
        /// 64-bit ARM (Graviton).
        Arm64 = "arm64",
    }
}

choices! {
    /// `OnFailureDestination`: where the event source mapping sends a batch it gives up on.
    OnFailureDestination {
        /// An S3 bucket of the stack: the whole batch's payload, replayable after the stream drops it.
        S3 = "s3",
        /// An SQS queue of the stack: only the batch's shard and sequence range.
        Sqs = "sqs",
    }
}
