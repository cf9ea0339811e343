//! Keyed rate limiting: the GCRA arithmetic.
//!
//! Limit rules are configured in the [policy](crate::policy) and run by the
//! [`Engine`](crate::Engine); a store runs [`gcra`] on its buckets. How the
//! buckets' keys are made is in [`keys`](crate::keys).

mod gcra;

pub use gcra::{GcraMode, GcraOutcome, GcraParams, gcra};
