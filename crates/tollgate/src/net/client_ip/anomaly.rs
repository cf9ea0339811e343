//! The problems a forwarding header from a trusted peer can have, and
//! the fallback address each leaves.

use std::fmt;

use super::{ForwardingHeader, MAX_HEADER_BYTES, MAX_HOPS};

/// A problem met in a forwarding header from a trusted peer.
///
/// Except for [`Conflict`](HeaderAnomaly::Conflict), the walk along the
/// named header stopped there, and the client address is the nearest
/// usable hop to the right of the stop: the last trusted proxy passed, or
/// the socket peer if none was. An anomaly of `X-Forwarded-For` beside a
/// sound `Forwarded` is reported too, while `Forwarded` gives the address.
///
/// Headers from an untrusted peer are never read, so never reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderAnomaly {
    /// An entry is not an address (nor `unknown` or an obfuscated
    /// identifier), a `Forwarded` element is not well-formed, or
    /// `X-Real-IP` is repeated.
    Malformed(ForwardingHeader),
    /// An entry is `unknown` or an RFC 7239 obfuscated identifier (`_x`), or
    /// a `Forwarded` element has no `for=`: a proxy withheld the address.
    Obfuscated(ForwardingHeader),
    /// The walk needed more than the rightmost [`MAX_HEADER_BYTES`] of the
    /// header.
    TooLong(ForwardingHeader),
    /// The walk needed more than [`MAX_HOPS`] hops.
    TooManyHops(ForwardingHeader),
    /// `Forwarded` and `X-Forwarded-For` name different clients. The
    /// address is `Forwarded`'s; one of the two headers is probably not
    /// maintained by the proxies (and so written by the client). Only
    /// reported when neither walk met an anomaly of its own.
    Conflict,
}

impl HeaderAnomaly {
    /// The header at fault (`Forwarded` for a conflict).
    pub fn header(self) -> ForwardingHeader {
        match self {
            HeaderAnomaly::Malformed(h)
            | HeaderAnomaly::Obfuscated(h)
            | HeaderAnomaly::TooLong(h)
            | HeaderAnomaly::TooManyHops(h) => h,
            HeaderAnomaly::Conflict => ForwardingHeader::Forwarded,
        }
    }

    /// A stable short name of the kind of problem: `malformed`,
    /// `obfuscated`, `too_long`, `too_many_hops`, `conflict`.
    pub fn kind(self) -> &'static str {
        match self {
            HeaderAnomaly::Malformed(_) => "malformed",
            HeaderAnomaly::Obfuscated(_) => "obfuscated",
            HeaderAnomaly::TooLong(_) => "too_long",
            HeaderAnomaly::TooManyHops(_) => "too_many_hops",
            HeaderAnomaly::Conflict => "conflict",
        }
    }
}

impl fmt::Display for HeaderAnomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderAnomaly::Malformed(h) => write!(f, "{h}: malformed entry"),
            HeaderAnomaly::Obfuscated(h) => write!(f, "{h}: client address withheld (unknown or obfuscated)"),
            HeaderAnomaly::TooLong(h) => write!(f, "{h}: longer than {MAX_HEADER_BYTES} bytes"),
            HeaderAnomaly::TooManyHops(h) => write!(f, "{h}: more than {MAX_HOPS} hops"),
            HeaderAnomaly::Conflict => f.write_str("Forwarded and X-Forwarded-For name different clients"),
        }
    }
}
