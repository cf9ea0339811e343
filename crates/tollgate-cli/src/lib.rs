//! The library side of the `tollgate` command: the record a decision log
//! holds and `tollgate score` replays ([`replay::DecisionRecord`]), shared
//! with the services that write such logs so the two cannot drift, and
//! `score`'s loop itself ([`scoring::score`]), so a service's tests replay
//! their log exactly as the command does.
//!
//! The command itself is the `tollgate` binary of this package.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod decided;
pub mod importing;
mod records;
pub mod replay;
pub mod scoring;
