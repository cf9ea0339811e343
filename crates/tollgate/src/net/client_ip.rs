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

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use smallvec::SmallVec;

use super::IpSet;
use super::addr::{InvalidNet, normalize_ip, parse_net};
use super::hop::{Hop, forwarded_element, node, trim_ows};

/// Bytes of a header read from its right end; a walk that needs more stops
/// with [`HeaderAnomaly::TooLong`].
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// Hops of a chain read from its right end; a walk that needs more stops
/// with [`HeaderAnomaly::TooManyHops`].
pub const MAX_HOPS: usize = 64;

/// Which proxies to believe, and which of their headers to read.
///
/// By default no proxy is trusted (every request is attributed to its
/// socket peer); `X-Forwarded-For` and `Forwarded` are read from trusted
/// peers, `X-Real-IP` is not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedProxies {
    proxies: IpSet,
    x_forwarded_for: bool,
    forwarded: bool,
    x_real_ip: bool,
}

impl Default for TrustedProxies {
    fn default() -> Self {
        TrustedProxies::from(IpSet::new())
    }
}

impl From<IpSet> for TrustedProxies {
    fn from(proxies: IpSet) -> Self {
        TrustedProxies {
            proxies,
            x_forwarded_for: true,
            // Off: nginx and most load balancers maintain X-Forwarded-For and
            // pass a client's Forwarded through untouched, which would let
            // the client choose its address.
            forwarded: false,
            x_real_ip: false,
        }
    }
}

impl TrustedProxies {
    /// Trusts these networks, with the default headers.
    pub fn new(proxies: impl IntoIterator<Item = IpNet>) -> Self {
        TrustedProxies::from(proxies.into_iter().collect::<IpSet>())
    }

    /// Trusts the networks or addresses written in `entries` (`10.0.0.0/8`,
    /// `192.0.2.7`, `2001:db8::/48`; see [`parse_net`]), with the default
    /// headers. The error quotes the first entry that does not parse.
    pub fn parse<I, S>(entries: I) -> Result<Self, InvalidNet>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let nets = entries
            .into_iter()
            .map(|e| parse_net(e.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies::new(nets))
    }

    /// Reads (`true`, the default) or ignores `X-Forwarded-For`.
    #[must_use]
    pub fn with_x_forwarded_for(mut self, read: bool) -> Self {
        self.x_forwarded_for = read;
        self
    }

    /// Reads (`true`) or ignores (the default) RFC 7239 `Forwarded`. Enable
    /// it only when every trusted proxy sets or overwrites it.
    #[must_use]
    pub fn with_forwarded(mut self, read: bool) -> Self {
        self.forwarded = read;
        self
    }

    /// Reads (`true`) or ignores (the default) `X-Real-IP`.
    #[must_use]
    pub fn with_x_real_ip(mut self, read: bool) -> Self {
        self.x_real_ip = read;
        self
    }

    /// The trusted proxy networks.
    pub fn proxies(&self) -> &IpSet {
        &self.proxies
    }

    /// Is `ip` a trusted proxy? IPv4-mapped addresses count as IPv4.
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        self.proxies.contains(ip)
    }

    /// Is `X-Forwarded-For` read?
    pub fn x_forwarded_for(&self) -> bool {
        self.x_forwarded_for
    }

    /// Is `Forwarded` read?
    pub fn forwarded(&self) -> bool {
        self.forwarded
    }

    /// Is `X-Real-IP` read?
    pub fn x_real_ip(&self) -> bool {
        self.x_real_ip
    }

    /// Resolves the client address of a request from its socket `peer` and
    /// its `headers` as `(name, value)` pairs in the order received (names
    /// compared without regard to case; other headers are skipped). See the
    /// [module docs](crate::net::client_ip) for the algorithm.
    ///
    /// Never fails and never panics: garbage in a header yields the best
    /// address that can be justified, with an anomaly. Does not allocate
    /// unless a header is repeated on more than four lines.
    pub fn resolve<'h, I>(&self, peer: IpAddr, headers: I) -> ClientIp
    where
        I: IntoIterator<Item = (&'h str, &'h [u8])>,
    {
        let peer = normalize_ip(peer);
        let direct = ClientIp {
            addr: peer,
            source: ClientIpSource::Peer,
            anomaly: None,
        };
        if !self.proxies.contains(peer) {
            return direct;
        }

        let mut forwarded: Lines<'h> = SmallVec::new();
        let mut xff: Lines<'h> = SmallVec::new();
        let mut real: Lines<'h> = SmallVec::new();
        for (name, value) in headers {
            let list = match name.len() {
                9 if self.forwarded && name.eq_ignore_ascii_case("forwarded") => &mut forwarded,
                15 if self.x_forwarded_for && name.eq_ignore_ascii_case("x-forwarded-for") => &mut xff,
                9 if self.x_real_ip && name.eq_ignore_ascii_case("x-real-ip") => &mut real,
                _ => continue,
            };
            list.push(value);
        }

        let answer = |header: ForwardingHeader, walk: Walk| ClientIp {
            addr: walk.addr.unwrap_or(peer),
            source: if walk.addr.is_some() {
                header.into()
            } else {
                ClientIpSource::Peer
            },
            anomaly: walk.anomaly.map(|kind| kind.of(header)),
        };

        if let Some(walk) = self.walk(&forwarded, forwarded_element) {
            let mut client = answer(ForwardingHeader::Forwarded, walk);
            if client.anomaly.is_none()
                && let Some(other) = self.walk(&xff, xff_entry)
                && other.addr.unwrap_or(peer) != client.addr
            {
                client.anomaly = Some(HeaderAnomaly::Conflict);
            }
            return client;
        }
        if let Some(walk) = self.walk(&xff, xff_entry) {
            return answer(ForwardingHeader::XForwardedFor, walk);
        }
        if let Some(walk) = real_ip(&real) {
            return answer(ForwardingHeader::XRealIp, walk);
        }
        direct
    }

    /// Walks a chain from the right; `None` if it holds no element.
    fn walk(&self, lines: &[&[u8]], read: fn(&[u8]) -> Hop) -> Option<Walk> {
        // One byte more than the limit pays for the separator counted
        // before the leftmost element.
        let mut budget = MAX_HEADER_BYTES + 1;
        let mut hops = 0usize;
        let mut nearest = None;
        let mut seen = false;
        let stop = |nearest, kind| {
            Some(Walk {
                addr: nearest,
                anomaly: Some(kind),
            })
        };
        for line in lines.iter().rev() {
            for elem in line.rsplit(|&c| c == b',') {
                let Some(left) = budget.checked_sub(elem.len() + 1) else {
                    return stop(nearest, Anomaly::TooLong);
                };
                budget = left;
                let elem = trim_ows(elem);
                if elem.is_empty() {
                    continue;
                }
                seen = true;
                hops += 1;
                if hops > MAX_HOPS {
                    return stop(nearest, Anomaly::TooManyHops);
                }
                match read(elem) {
                    Hop::Addr(ip) if self.proxies.contains(ip) => nearest = Some(ip),
                    Hop::Addr(ip) => {
                        return Some(Walk {
                            addr: Some(ip),
                            anomaly: None,
                        });
                    }
                    Hop::Obfuscated => return stop(nearest, Anomaly::Obfuscated),
                    Hop::Malformed => return stop(nearest, Anomaly::Malformed),
                }
            }
        }
        // Every hop trusted: the leftmost is the client.
        seen.then_some(Walk {
            addr: nearest,
            anomaly: None,
        })
    }
}

/// Header lines of one name, in order.
type Lines<'h> = SmallVec<[&'h [u8]; 4]>;

/// Where a walk ended: the address it settled on (`None`: the peer) and
/// why it stopped early, if it did.
struct Walk {
    addr: Option<IpAddr>,
    anomaly: Option<Anomaly>,
}

fn xff_entry(entry: &[u8]) -> Hop {
    node(entry)
}

/// `X-Real-IP`: one address on one line; `None` if absent or blank.
fn real_ip(lines: &[&[u8]]) -> Option<Walk> {
    let fail = |kind| {
        Some(Walk {
            addr: None,
            anomaly: Some(kind),
        })
    };
    let value = match lines {
        [] => return None,
        [one] => trim_ows(one),
        _ => return fail(Anomaly::Malformed),
    };
    if value.is_empty() {
        return None;
    }
    if value.len() > MAX_HEADER_BYTES {
        return fail(Anomaly::TooLong);
    }
    match node(value) {
        Hop::Addr(ip) => Some(Walk {
            addr: Some(ip),
            anomaly: None,
        }),
        Hop::Obfuscated => fail(Anomaly::Obfuscated),
        Hop::Malformed => fail(Anomaly::Malformed),
    }
}

#[derive(Clone, Copy)]
enum Anomaly {
    Malformed,
    Obfuscated,
    TooLong,
    TooManyHops,
}

impl Anomaly {
    fn of(self, header: ForwardingHeader) -> HeaderAnomaly {
        match self {
            Anomaly::Malformed => HeaderAnomaly::Malformed(header),
            Anomaly::Obfuscated => HeaderAnomaly::Obfuscated(header),
            Anomaly::TooLong => HeaderAnomaly::TooLong(header),
            Anomaly::TooManyHops => HeaderAnomaly::TooManyHops(header),
        }
    }
}

/// The resolved client address of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClientIp {
    /// The client address, canonical (IPv4-mapped IPv6 as IPv4).
    pub addr: IpAddr,
    /// Where the address came from.
    pub source: ClientIpSource,
    /// Set when a header could not be used in full: `addr` is then the
    /// fallback described on [`HeaderAnomaly`].
    pub anomaly: Option<HeaderAnomaly>,
}

/// Where a [`ClientIp`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientIpSource {
    /// The socket peer: it is not a trusted proxy, no enabled header was
    /// present, or a header failed before naming any hop.
    Peer,
    /// A hop of the RFC 7239 `Forwarded` header.
    Forwarded,
    /// A hop of `X-Forwarded-For`.
    XForwardedFor,
    /// The `X-Real-IP` header.
    XRealIp,
}

impl From<ForwardingHeader> for ClientIpSource {
    fn from(header: ForwardingHeader) -> Self {
        match header {
            ForwardingHeader::Forwarded => ClientIpSource::Forwarded,
            ForwardingHeader::XForwardedFor => ClientIpSource::XForwardedFor,
            ForwardingHeader::XRealIp => ClientIpSource::XRealIp,
        }
    }
}

/// A header that carries the client address through proxies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ForwardingHeader {
    /// RFC 7239 `Forwarded`.
    Forwarded,
    /// `X-Forwarded-For`.
    XForwardedFor,
    /// `X-Real-IP`.
    XRealIp,
}

impl ForwardingHeader {
    /// The header's name as usually written: `Forwarded`,
    /// `X-Forwarded-For`, `X-Real-IP`.
    pub fn name(self) -> &'static str {
        match self {
            ForwardingHeader::Forwarded => "Forwarded",
            ForwardingHeader::XForwardedFor => "X-Forwarded-For",
            ForwardingHeader::XRealIp => "X-Real-IP",
        }
    }
}

impl fmt::Display for ForwardingHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A problem met in a forwarding header from a trusted peer.
///
/// Except for [`Conflict`](HeaderAnomaly::Conflict), the walk along the
/// named header stopped there, and the client address is the nearest
/// usable hop to the right of the stop: the last trusted proxy passed, or
/// the socket peer if none was.
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
    /// reported when `Forwarded` itself had no anomaly.
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
