//! Client IP resolution through trusted proxies: which address a request
//! comes from, given the socket peer and the forwarding headers.
//!
//! ```
//! use std::net::IpAddr;
//! use tollgate::net::{ClientIpSource, TrustedProxies};
//!
//! // The load balancers live in 10.0.0.0/8.
//! let trusted = TrustedProxies::parse(["10.0.0.0/8"])?;
//!
//! let peer: IpAddr = "10.0.0.2".parse()?;
//! let headers = [("X-Forwarded-For", &b"198.51.100.9, 203.0.113.7, 10.0.0.1"[..])];
//! let client = trusted.resolve(peer, headers);
//! // 10.0.0.1 is a trusted proxy; 203.0.113.7 is the first hop that is not.
//! assert_eq!(client.addr, "203.0.113.7".parse::<IpAddr>()?);
//! assert_eq!(client.source, ClientIpSource::XForwardedFor);
//! assert_eq!(client.anomaly, None);
//!
//! // From a peer that is not a trusted proxy, headers are ignored.
//! let spoofer: IpAddr = "198.51.100.66".parse()?;
//! let client = trusted.resolve(spoofer, [("x-forwarded-for", &b"1.2.3.4"[..])]);
//! assert_eq!((client.addr, client.source), (spoofer, ClientIpSource::Peer));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The algorithm
//!
//! 1. The peer is made canonical (an IPv4-mapped IPv6 address becomes
//!    IPv4, here and for every hop). If it is not a trusted proxy, it is the
//!    client and every header is ignored.
//! 2. Otherwise one header is chosen, the first present of: `Forwarded`,
//!    `X-Forwarded-For`, `X-Real-IP`, among those enabled. Repeated header
//!    lines are one list, in order. A header holding only empty elements is
//!    absent.
//! 3. The chain (`Forwarded` or `X-Forwarded-For`) is walked from the
//!    right. A hop that is a trusted proxy is skipped; the first that is
//!    not is the client. When every hop is trusted, the leftmost is.
//!    Empty list elements are ignored (RFC 9110, 5.6.1).
//! 4. The walk stops early at a hop it cannot use: an entry that is no
//!    address (malformed), `unknown` or an obfuscated identifier (`_x`), the
//!    65th hop, or the first byte beyond the rightmost 8 KiB of the header.
//!    Then the client is the **nearest usable hop to the right of the
//!    stop**: the last trusted proxy the walk passed, or the peer if it
//!    passed none. That is the last address a trusted party vouched for.
//!    The result carries a [`HeaderAnomaly`] saying which header and why.
//! 5. `X-Real-IP` (off by default) is one address set by the proxy; it is
//!    used when no chain header is present. A malformed value falls back to
//!    the peer.
//!
//! When both `Forwarded` and `X-Forwarded-For` are present, `Forwarded`
//! decides; if `X-Forwarded-For` names another client, the result says so
//! with [`HeaderAnomaly::Conflict`]. Enable only the headers your own
//! proxies set or overwrite: a header a proxy passes through untouched is
//! written by the client.

// The configuration (`trusted`), the resolution that reads the headers
// (`resolve`), and what it returns: the address and its source (`client`),
// the header it came from (`header`) and the problems met (`anomaly`).
mod anomaly;
mod client;
mod header;
mod resolve;
mod trusted;

pub use anomaly::HeaderAnomaly;
pub use client::{ClientIp, ClientIpSource};
pub use header::ForwardingHeader;
pub use trusted::TrustedProxies;

/// Bytes of a header read from its right end; a walk that needs more stops
/// with [`HeaderAnomaly::TooLong`].
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// Hops of a chain read from its right end; a walk that needs more stops
/// with [`HeaderAnomaly::TooManyHops`].
pub const MAX_HOPS: usize = 64;
