//! Proof of work in [ALTCHA]'s format, so the unmodified ALTCHA widget
//! (npm `altcha`, MIT) solves tollgate's challenges.
//!
//! A challenge is stateless: the server keeps nothing until a solution
//! comes back. It is built as ALTCHA's `createChallenge` builds one:
//!
//! * `salt` = 24 hex digits of nonce, then `?expires=<unix seconds>&event=<event type>&`
//!   (ALTCHA's parameters after `?`, ended by `&` against splicing);
//! * `challenge` = hex SHA-256 of `salt` followed by the secret number in
//!   decimal, the number in `1..=maxnumber`;
//! * `signature` = hex HMAC-SHA-256 of `challenge` under the server secret.
//!
//! The client finds the number by brute force and sends back base64 of
//! `{"algorithm","challenge","number","salt","signature"}` (the widget's
//! payload; extra members such as `took` are ignored). [`PowConfig::verify`]
//! checks the algorithm, the signature (in constant time), the expiry and
//! the event type carried in the salt, and that SHA-256 of salt and number
//! is the challenge. The salt cannot be edited: the challenge is its hash,
//! and the challenge is signed. Single use is the engine's part: it claims
//! the solution in the store ([`Op::ClaimOnce`](crate::store::Op::ClaimOnce))
//! until it expires, so a replay is refused on every instance sharing the
//! store.
//!
//! ```
//! use std::time::Duration;
//! use tollgate::pow::{PowConfig, PowSecret, PowSolution};
//! use tollgate::{EventType, Timestamp};
//!
//! let config = PowConfig::new(PowSecret::new(*b"an example secret, 32 bytes long")?);
//! let at = Timestamp::from_unix_millis(1_700_000_000_000);
//! let challenge = config.issue(EventType::Login, at, 50, [7; 12]);
//! assert_eq!(challenge.salt, "070707070707070707070707?expires=1700000300&event=login&");
//!
//! // What the widget does: try numbers until the hash matches.
//! let number = (0..=challenge.maxnumber)
//!     .find(|n| tollgate::pow::hash_hex(&format!("{}{n}", challenge.salt)) == challenge.challenge)
//!     .unwrap_or_default();
//! let solution = PowSolution::from_challenge(&challenge, number);
//! assert!(config.verify(&solution, EventType::Login, at).is_ok());
//! assert!(config.verify(&solution, EventType::Signup, at).is_err());
//! assert!(config.verify(&solution, EventType::Login, at.saturating_add(Duration::from_secs(301))).is_err());
//! # Ok::<(), tollgate::pow::PowError>(())
//! ```
//!
//! [ALTCHA]: https://altcha.org/docs/

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::policy::Threshold;
use crate::{EventType, Timestamp};

type HmacSha256 = Hmac<Sha256>;

/// The only algorithm issued and accepted, as ALTCHA spells it.
pub const ALGORITHM: &str = "SHA-256";

/// Shortest secret accepted, in bytes: HMAC-SHA-256 keys shorter than the
/// hash add guessing risk for no gain.
pub const MIN_SECRET_LEN: usize = 16;

/// Highest `maxnumber` a configuration may ask for. The widget tries
/// numbers from 0 with one WebCrypto SHA-256 each, awaited one at a time:
/// some 5 to 20 µs per hash, so the expected work at this cap (half of it)
/// is about a second and the worst case a few (`docs/challenges.md` has the
/// measurements). ALTCHA's own default, 1,000,000, is for a widget solving
/// in the background of a form, not for a sign-in the user waits on.
pub const MAX_NUMBER_CAP: u64 = 250_000;

/// Default easiest `maxnumber` (a challenge at the challenge threshold):
/// a tenth of a second or so.
pub const DEFAULT_MIN_NUMBER: u64 = 10_000;

/// Default hardest `maxnumber` (a score at the deny threshold).
pub const DEFAULT_MAX_NUMBER: u64 = 100_000;

/// Default lifetime of a challenge.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);

/// Prefix of the HMAC input the secret number is drawn from. A signature's
/// input is 64 hex digits, so the two uses of the key never meet.
const NUMBER_DOMAIN: &[u8] = b"tollgate-pow-number\0";

/// Why a configuration or a payload was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PowError {
    /// Proof of work needs a server secret of at least [`MIN_SECRET_LEN`] bytes.
    #[error("proof-of-work secret is {len} bytes; at least {MIN_SECRET_LEN} are needed")]
    WeakSecret {
        /// Length given.
        len: usize,
    },
    /// The difficulty range is empty, zero, or above [`MAX_NUMBER_CAP`].
    #[error("proof-of-work difficulty {min}..={max} must satisfy 1 <= min <= max <= {MAX_NUMBER_CAP}")]
    Difficulty {
        /// Easiest `maxnumber` asked for.
        min: u64,
        /// Hardest `maxnumber` asked for.
        max: u64,
    },
    /// The payload is not base64 of the JSON ALTCHA sends.
    #[error("proof-of-work payload is not ALTCHA JSON")]
    Payload,
}

/// Why a solution was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum PowRefusal {
    /// An algorithm other than [`ALGORITHM`].
    #[error("unsupported algorithm")]
    Algorithm,
    /// The signature is not this server's for the challenge.
    #[error("bad signature")]
    Signature,
    /// The salt does not carry `expires` and `event` as issued.
    #[error("salt without expiry or event type")]
    Salt,
    /// The challenge expired.
    #[error("expired")]
    Expired,
    /// The challenge was issued for another event type.
    #[error("issued for another event type")]
    WrongEvent,
    /// SHA-256 of salt and number is not the challenge.
    #[error("number does not solve the challenge")]
    Unsolved,
    /// The solution was used already (the store's claim failed).
    #[error("solution used already")]
    Replayed,
}

/// The server secret challenges are signed with. Every instance that
/// shares a store must have the same one; keep it as secret as a session
/// key (whoever knows it can mint solved challenges).
#[derive(Clone, PartialEq, Eq)]
pub struct PowSecret(Box<[u8]>);

impl PowSecret {
    /// A secret from `bytes`, at least [`MIN_SECRET_LEN`] long.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<PowSecret, PowError> {
        let bytes = bytes.into();
        if bytes.len() < MIN_SECRET_LEN {
            return Err(PowError::WeakSecret { len: bytes.len() });
        }
        Ok(PowSecret(bytes.into_boxed_slice()))
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length; the error type exists for MACs
        // that do not.
        <HmacSha256 as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable_mac())
    }
}

#[cold]
fn unreachable_mac() -> HmacSha256 {
    // new_from_slice is infallible for HMAC; a fixed key keeps this path
    // panic-free should that ever change, and it signs nothing anyone
    // could verify with the configured secret.
    <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default())
}

impl fmt::Debug for PowSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PowSecret(..)")
    }
}

/// How the engine issues and checks proofs of work.
///
/// Difficulty scales with the score: a challenge at the event type's
/// challenge threshold gets `min` as `maxnumber`, one just below the deny
/// threshold `max`, linearly in between (see [`max_number`](Self::max_number)).
#[derive(Clone, Debug)]
pub struct PowConfig {
    secret: PowSecret,
    ttl: Duration,
    min_number: u64,
    max_number: u64,
}

impl PowConfig {
    /// Challenges signed with `secret`, valid [`DEFAULT_TTL`], with
    /// `maxnumber` from [`DEFAULT_MIN_NUMBER`] to [`DEFAULT_MAX_NUMBER`].
    pub fn new(secret: PowSecret) -> PowConfig {
        PowConfig {
            secret,
            ttl: DEFAULT_TTL,
            min_number: DEFAULT_MIN_NUMBER,
            max_number: DEFAULT_MAX_NUMBER,
        }
    }

    /// Challenges expire `ttl` after they are issued (at least a second:
    /// the salt carries whole seconds).
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> PowConfig {
        self.ttl = ttl.max(Duration::from_secs(1));
        self
    }

    /// `maxnumber` ranges from `min` (at the challenge threshold) to `max`
    /// (just below the deny threshold).
    pub fn with_difficulty(mut self, min: u64, max: u64) -> Result<PowConfig, PowError> {
        if min == 0 || min > max || max > MAX_NUMBER_CAP {
            return Err(PowError::Difficulty { min, max });
        }
        self.min_number = min;
        self.max_number = max;
        Ok(self)
    }

    /// How long a challenge stays valid.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The `maxnumber` for a challenge at `score` under `threshold`:
    /// `min + (max - min) · (score - challenge) / (deny - challenge)`,
    /// clamped to `min..=max`. A challenge a hard rule asked for below the
    /// challenge threshold gets `min`.
    pub fn max_number(&self, score: u8, threshold: Threshold) -> u64 {
        let span = u64::from(threshold.deny.saturating_sub(threshold.challenge));
        let above = u64::from(score.saturating_sub(threshold.challenge));
        if span == 0 {
            return self.max_number;
        }
        let extra = (self.max_number - self.min_number).saturating_mul(above.min(span)) / span;
        self.min_number + extra
    }

    /// A challenge for an event of `event_type` at `at`, with `maxnumber`
    /// (clamped to `1..=`[`MAX_NUMBER_CAP`]) and a `nonce` that must not
    /// repeat (the engine draws it fresh for every challenge).
    pub fn issue(&self, event_type: EventType, at: Timestamp, maxnumber: u64, nonce: [u8; 12]) -> PowChallenge {
        let maxnumber = maxnumber.clamp(1, MAX_NUMBER_CAP);
        let expires = at.saturating_add(self.ttl).as_unix_millis().div_ceil(1000);
        let salt = format!("{}?expires={expires}&event={}&", hex(&nonce), event_type.as_str());
        let mut mac = self.secret.mac();
        mac.update(NUMBER_DOMAIN);
        mac.update(salt.as_bytes());
        let draw = mac.finalize().into_bytes();
        let mut first = [0u8; 8];
        first.copy_from_slice(draw.get(..8).unwrap_or(&[0; 8]));
        let number = 1 + u64::from_le_bytes(first) % maxnumber;
        let challenge = hash_hex(&format!("{salt}{number}"));
        let signature = self.sign(&challenge);
        PowChallenge {
            algorithm: ALGORITHM,
            challenge,
            salt,
            signature,
            maxnumber,
        }
    }

    fn sign(&self, challenge: &str) -> String {
        let mut mac = self.secret.mac();
        mac.update(challenge.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// Checks a solution for an event of `event_type` at `at`: everything
    /// but single use, which needs the store (the returned claim).
    pub fn verify(&self, solution: &PowSolution, event_type: EventType, at: Timestamp) -> Result<PowClaim, PowRefusal> {
        if solution.algorithm != ALGORITHM {
            return Err(PowRefusal::Algorithm);
        }
        let signature = unhex::<32>(&solution.signature).ok_or(PowRefusal::Signature)?;
        let mut mac = self.secret.mac();
        mac.update(solution.challenge.as_bytes());
        mac.verify_slice(&signature).map_err(|_| PowRefusal::Signature)?;
        // Signed, so the challenge is ours: 64 lowercase hex digits.
        let (expires, event) = salt_params(&solution.salt).ok_or(PowRefusal::Salt)?;
        let expires_ms = expires.saturating_mul(1000);
        if at.as_unix_millis() >= expires_ms {
            return Err(PowRefusal::Expired);
        }
        if event != event_type.as_str() {
            return Err(PowRefusal::WrongEvent);
        }
        if hash_hex(&format!("{}{}", solution.salt, solution.number)) != solution.challenge {
            return Err(PowRefusal::Unsolved);
        }
        let digest = unhex::<32>(&solution.challenge).ok_or(PowRefusal::Unsolved)?;
        let mut id = [0u8; 8];
        id.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
        Ok(PowClaim {
            id: u64::from_le_bytes(id),
            expires: Timestamp::from_unix_millis(expires_ms),
        })
    }
}

/// `expires` and `event` from the parameters after the salt's `?`.
fn salt_params(salt: &str) -> Option<(u64, &str)> {
    let (_, query) = salt.split_once('?')?;
    let mut expires = None;
    let mut event = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("expires", v)) => expires = Some(v.parse::<u64>().ok()?),
            Some(("event", v)) => event = Some(v),
            _ => {}
        }
    }
    Some((expires?, event?))
}

/// A challenge as the widget expects it (serialised in ALTCHA's member
/// names: `algorithm`, `challenge`, `maxnumber`, `salt`, `signature`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct PowChallenge {
    /// Always [`ALGORITHM`].
    pub algorithm: &'static str,
    /// Hex SHA-256 of `salt` followed by the secret number.
    pub challenge: String,
    /// Nonce and parameters (`expires`, `event`).
    pub salt: String,
    /// Hex HMAC-SHA-256 of `challenge` under the server secret.
    pub signature: String,
    /// The secret number is in `1..=maxnumber`.
    pub maxnumber: u64,
}

/// A solution as the widget sends it (base64 of this JSON).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
#[non_exhaustive]
pub struct PowSolution {
    /// The challenge's algorithm.
    pub algorithm: String,
    /// The challenge.
    pub challenge: String,
    /// The number found.
    pub number: u64,
    /// The challenge's salt.
    pub salt: String,
    /// The challenge's signature.
    pub signature: String,
}

impl PowSolution {
    /// The solution of `challenge` with `number` (for tests and clients
    /// written in Rust).
    pub fn from_challenge(challenge: &PowChallenge, number: u64) -> PowSolution {
        PowSolution {
            algorithm: challenge.algorithm.to_owned(),
            challenge: challenge.challenge.clone(),
            number,
            salt: challenge.salt.clone(),
            signature: challenge.signature.clone(),
        }
    }

    /// Parses the JSON the widget sends (already base64-decoded). Members
    /// other than the five of a solution are ignored.
    #[cfg(feature = "serde")]
    pub fn from_json(json: &[u8]) -> Result<PowSolution, PowError> {
        serde_json::from_slice(json).map_err(|_| PowError::Payload)
    }
}

/// A solution that passed every check but single use: the engine claims
/// `id` in the store until the challenge expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PowClaim {
    /// 64 bits of the challenge, naming the claim.
    pub id: u64,
    /// When the challenge expires (whole seconds, as the salt says).
    pub expires: Timestamp,
}

/// Lowercase hex SHA-256 of `text`, as ALTCHA's `hashHex`.
pub fn hash_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0xf] {
            out.push(char::from(*DIGITS.get(usize::from(nibble)).unwrap_or(&b'0')));
        }
    }
    out
}

/// `N` bytes from exactly `2N` hex digits (either case), or `None`.
fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let value = |d: u8| char::from(d).to_digit(16).map(|v| v as u8);
        *byte = value(*pair.first()?)? << 4 | value(*pair.get(1)?)?;
    }
    Some(out)
}

/// A nonce that does not repeat: a per-process random value, a counter and
/// the time, hashed. Only uniqueness matters (the secret number comes from
/// the HMAC), so this needs no cryptographic randomness source.
pub(crate) fn fresh_nonce(at: Timestamp) -> [u8; 12] {
    static PROCESS: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let process = *PROCESS.get_or_init(|| {
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one(0x0070_6f77_u64)
    });
    let mut hasher = Sha256::new();
    hasher.update(process.to_le_bytes());
    hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    hasher.update(at.as_unix_nanos().to_le_bytes());
    let digest = hasher.finalize();
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(digest.get(..12).unwrap_or(&[0; 12]));
    nonce
}

#[cfg(test)]
mod tests;
