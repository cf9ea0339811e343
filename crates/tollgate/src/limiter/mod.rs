//! Keyed rate limiting: the GCRA arithmetic and how limiter keys are made.
//!
//! Limit rules are configured in the [policy](crate::policy) and run by the
//! [`Engine`](crate::Engine); this module holds the parts a store needs to
//! agree with the engine, and that benchmarks and tests call directly.

pub(crate) mod encode;
mod gcra;
pub(crate) mod key;
mod secret;

pub use gcra::{GcraMode, GcraOutcome, GcraParams, gcra};
pub use secret::{KeySecret, KeySecretError};
