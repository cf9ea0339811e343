//! Compromised-password checks for tollgate, outside the sans-IO core.
//!
//! * [`Builder`] turns the Have I Been Pwned "Pwned Passwords" downloader
//!   output (`SHA1HEX:COUNT` lines, about a billion) into one compact file
//!   of sharded binary fuse filters, streaming, in bounded memory.
//! * [`PwnedFilter`] memory-maps (or reads) that file and answers lookups
//!   for a [`PasswordSha1`](tollgate::password::PasswordSha1), offline.
//! * [`range`] parses the HIBP range API's answer; with the `client`
//!   feature, `client::RangeClient` asks the API, sending only the 5-hex
//!   prefix (k-anonymity).
//!
//! ```
//! use tollgate::password::PasswordSha1;
//! use tollgate::{Event, EventKind, Timestamp};
//! use tollgate_pwned::{Builder, FingerprintBits, PwnedFilter};
//!
//! let corpus = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493\n";
//! let mut file = std::io::Cursor::new(Vec::new());
//! Builder::new(FingerprintBits::Eight).build(corpus.as_bytes(), &mut file)?;
//! let filter = PwnedFilter::from_bytes(file.into_inner())?;
//!
//! // Hash as soon as the password arrives; only the digest goes further.
//! let hash = PasswordSha1::of("password");
//! let login = Event::new(EventKind::Login, Timestamp::from_unix_millis(0))
//!     .with_compromised_password(filter.contains(&hash));
//! assert!(login.compromised_password);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! File format, measurements and operating notes: `docs/pwned.md`.

mod build;
#[cfg(feature = "client")]
pub mod client;
mod filter;
mod format;
mod fuse;
pub mod range;

pub use build::{BuildError, BuildStats, Builder};
pub use filter::{LoadError, PwnedFilter};
pub use format::FilterError;
pub use fuse::FingerprintBits;
