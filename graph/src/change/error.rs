//! Why a change record is refused: each error names the change (its `eventId` as `commitNum/opNum`, or its
//! index in the Kinesis record when it has none), the field, the value as written and what is allowed.

/// A change record the writer cannot replay.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChangeError {
    /// The body is not the JSON of change records.
    #[error(
        "the change record is not readable: {message}; send one Neptune Streams change record, a JSON array of them or a whole stream API response"
    )]
    Unreadable {
        /// What is wrong.
        message: String,
    },
    /// A member a change needs is absent.
    #[error("change {change}: `{field}` is missing; {allowed}")]
    Missing {
        /// The change (`eventId 42/3`, or `record 2`).
        change: String,
        /// The missing member (`data.value.dataType`).
        field: &'static str,
        /// What the change needs.
        allowed: &'static str,
    },
    /// A member holds a value that is not allowed there.
    #[error("change {change}: `{field}` = {value} is not allowed; {allowed}")]
    Invalid {
        /// The change (`eventId 42/3`, or `record 2`).
        change: String,
        /// The member.
        field: &'static str,
        /// The value as written (cut to 64 characters).
        value: String,
        /// What is allowed instead.
        allowed: String,
    },
}
