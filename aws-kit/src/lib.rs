//! What several stream2neptune crates need from AWS, in one place: SigV4 signing over aws-sigv4
//! ([`Signer`]), exponential back-off with full jitter ([`Backoff`]), an error's cause chain as
//! one line ([`cause_chain`]), what the HTTPS clients trust ([`tls`]) and, with the `kinesis` feature, the Kinesis client ([`kinesis`]).
//!
//! Without features the crate does not depend on the AWS SDK, so the writer function can use it.

pub mod backoff;
pub mod cause;
#[cfg(feature = "kinesis")]
pub mod kinesis;
pub mod sigv4;
pub mod tls;

pub use backoff::Backoff;
pub use cause::cause_chain;
pub use sigv4::{Signer, SigningError};
pub use tls::{ExtraRoots, TrustError};
