//! Client fingerprints computed from raw protocol bytes and request headers.
//!
//! * [`Http2Preface`] reads the Akamai HTTP/2 fingerprint from the first
//!   frames a client sends.
//! * [`header_fingerprint`] computes tollgate's own `hf1` fingerprint of a
//!   request's header names.
//!
//! Both are sans-IO and never panic: malformed input is a typed error or,
//! for headers, simply part of the fingerprint.
//!
//! ```
//! use tollgate::fingerprint::{Http2Preface, header_fingerprint};
//!
//! let mut reader = Http2Preface::new();
//! assert!(reader.feed(b"GET / HTTP/1.1\r\n").is_err());
//! let fp = header_fingerprint([("host", &b"example.com"[..])]);
//! assert!(fp.as_str().starts_with("hf1."));
//! ```

mod headers;
mod http2;

pub use headers::header_fingerprint;
pub use http2::{HpackError, Http2FingerprintError, Http2Preface, MAX_PREFACE_BYTES, MAX_PREFACE_FRAMES};
