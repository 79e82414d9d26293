//! Typed parameter values: [`ParamValue`], what every value is once typed, and the enums of the parameters whose
//! text is one of a fixed list (the catalog's allowed values are their spellings; the resolved plan hands them
//! out typed, [`crate::Plan`]). Those the writer reads too (QueryLanguage, GremlinUpsertStyle, GremlinBatchForm,
//! RecordFormat) are declared beside the writer's environment table and re-exported here.

use std::fmt;

use serde::Serialize;
use stream2neptune_writer_environment::choices;
pub use stream2neptune_writer_environment::{
    GremlinBatchForm, GremlinUpsertStyle, QueryLanguage, RecordFormat,
};

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
