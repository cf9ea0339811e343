//! The secret that store keys are hashed under.
//!
//! Store keys are SipHash-1-3 of an explicit byte encoding of the rule and
//! the values it keys on, under a 128-bit [`KeySecret`]. Two engines with the
//! same secret and policy compute the same keys on any machine and build,
//! which a shared store (Redis) needs; an attacker who does not know the
//! secret can neither aim collisions at other clients' counters nor read
//! identifiers back from the keys.
//!
//! ```
//! use tollgate::Engine;
//! use tollgate::keys::KeySecret;
//! use tollgate::policy::Policy;
//!
//! // In production, read it from your secret store; every instance that
//! // shares counters must use the same one.
//! let secret: KeySecret = "000102030405060708090a0b0c0d0e0f".parse()?;
//! let engine = Engine::builder(Policy::default()).key_secret(secret).build()?;
//! # drop(engine);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::str::FromStr;

/// A 128-bit secret for store keys. Its `Debug` output hides the value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeySecret([u8; 16]);

/// A key secret that is not 32 hexadecimal digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a key secret is 32 hexadecimal digits (16 bytes)")]
pub struct KeySecretError;

impl KeySecret {
    /// A secret from 16 bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> KeySecret {
        KeySecret(bytes)
    }

    /// A fresh secret from the operating system's randomness (the same
    /// source that seeds `std`'s `HashMap`): for a single instance whose
    /// counters need not survive a restart or be shared.
    pub fn random() -> KeySecret {
        let mut bytes = [0u8; 16];
        for (chunk, salt) in bytes.chunks_exact_mut(8).zip([0x5eed_u64, 0x7011]) {
            chunk.copy_from_slice(&RandomState::new().hash_one(salt).to_le_bytes());
        }
        KeySecret(bytes)
    }

    /// A secret that is a function of `seed` (splitmix64 expands it), for
    /// simulations and replays that must evict the same keys every run.
    /// Never in production: a seed is easy to guess.
    pub fn from_seed(seed: u64) -> KeySecret {
        let mut state = seed;
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let mut bytes = [0u8; 16];
        for chunk in bytes.chunks_exact_mut(8) {
            chunk.copy_from_slice(&next().to_le_bytes());
        }
        KeySecret(bytes)
    }

    /// The two SipHash keys.
    pub(crate) fn sip_keys(&self) -> [u8; 16] {
        self.0
    }
}

impl FromStr for KeySecret {
    type Err = KeySecretError;

    fn from_str(s: &str) -> Result<Self, KeySecretError> {
        let s = s.trim();
        if s.len() != 32 || !s.is_ascii() {
            return Err(KeySecretError);
        }
        let mut bytes = [0u8; 16];
        for (byte, pair) in bytes.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| KeySecretError)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| KeySecretError)?;
        }
        Ok(KeySecret(bytes))
    }
}

impl fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeySecret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_and_hides_itself() {
        let s: KeySecret = "000102030405060708090A0B0C0D0E0F".parse().unwrap();
        assert_eq!(s.sip_keys(), core::array::from_fn::<u8, 16, _>(|i| i as u8));
        assert_eq!(format!("{s:?}"), "KeySecret(..)");
        assert_eq!("00".parse::<KeySecret>(), Err(KeySecretError));
        assert_eq!(
            "zz0102030405060708090a0b0c0d0e0f".parse::<KeySecret>(),
            Err(KeySecretError)
        );
        assert_eq!(
            "é0102030405060708090a0b0c0d0e0".parse::<KeySecret>(),
            Err(KeySecretError)
        );
    }

    #[test]
    fn seeds_are_deterministic_and_random_is_not() {
        assert_eq!(KeySecret::from_seed(1), KeySecret::from_seed(1));
        assert_ne!(KeySecret::from_seed(1), KeySecret::from_seed(2));
        assert_ne!(KeySecret::random(), KeySecret::random());
    }
}
