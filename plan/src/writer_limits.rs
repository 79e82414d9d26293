//! The writer's timing defaults that resolution checks `FunctionTimeout` against: the writer keeps
//! `DEADLINE_MARGIN_MS` before the invocation deadline to answer Lambda, and one write attempt may take
//! `REQUEST_TIMEOUT_MS`.
//!
//! The writer crate (function/, `stream2neptune_writer::config`) owns these defaults; its library pulls in tokio, reqwest and the
//! Lambda runtime, too much for the plan to depend on. These are their values, and local mode's tests (the one
//! crate that depends on both) fail when the two disagree.

/// The writer's `DEADLINE_MARGIN_MS` default, in milliseconds.
pub const DEADLINE_MARGIN_MS: u64 = 1_000;

/// The writer's `REQUEST_TIMEOUT_MS` default, in milliseconds.
pub const REQUEST_TIMEOUT_MS: u64 = 30_000;
