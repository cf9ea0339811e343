//! Store keys: derived from keyed hashes (SipHash-1-3 under the engine's
//! [`KeySecret`]) of a rule and the values it keys on, so raw IPs, user ids
//! and phone numbers never become map keys, and an attacker cannot choose
//! colliding keys. Each value is hashed once per event (`event.rs`).
//!
//! ```
//! use tollgate::keys::KeySecret;
//!
//! let secret: KeySecret = "000102030405060708090a0b0c0d0e0f".parse()?;
//! assert_eq!(format!("{secret:?}"), "KeySecret(..)");
//! # Ok::<(), tollgate::keys::KeySecretError>(())
//! ```

pub(crate) mod encode;
mod event;
mod hasher;
mod secret;

pub(crate) use event::EventKeys;
pub(crate) use hasher::{KeyHasher, network};
pub use secret::{KeySecret, KeySecretError};

/// An opaque counter key: a keyed hash of a rule and the values it keys on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoreKey(pub u64);
