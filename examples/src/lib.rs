//! Shared code of tollgate's example login services (`examples/*.rs`): the
//! demo users and one-time codes, the command-line flags, building the engine,
//! and the axum and actix-web apps. The HTTP contract is `docs/login-service.md`.

#![forbid(unsafe_code)]

pub mod actix_login;
pub mod axum_login;
pub mod decision_log;
pub mod demo;
pub mod ops;
pub mod page;
pub mod store;

// The README's examples (the library, axum and actix-web) are doctests of
// this package, which depends on every adapter they use.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

// The operations chapter's examples (metrics, policy reload) are doctests
// of this package too: it has tokio's signals and tollgate-metrics.
#[cfg(doctest)]
#[doc = include_str!("../../docs/operations.md")]
struct OperationsDoctests;

// The decision log's chapter: its example builds the example services' log.
#[cfg(doctest)]
#[doc = include_str!("../../docs/decision-log.md")]
struct DecisionLogDoctests;
