//! HTTP glue for [tollgate](tollgate): the responses its decisions turn into,
//! the same in every adapter.
//!
//! ```
//! use std::time::Duration;
//! use tollgate::{Action, Decision};
//! use tollgate_tower::response::{Rejection, ResponseConfig};
//!
//! let mut decision = Decision::allow();
//! decision.action = Action::Throttle { retry_after: Duration::from_millis(300) };
//! let rejection = Rejection::from_decision(&decision, &ResponseConfig::default()).unwrap();
//! assert_eq!(rejection.status, 429);
//! assert!(rejection.headers.iter().any(|(name, value)| *name == "retry-after" && value == "1"));
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod context;
pub mod response;
