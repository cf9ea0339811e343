//! The resolution itself: from a trusted peer, the enabled header that
//! decides is chosen and walked from the right, past the trusted proxies,
//! up to the client or to a hop it cannot use (the algorithm the module
//! docs of `client_ip` describe).

use std::net::IpAddr;

use smallvec::SmallVec;

use super::{ClientIp, ClientIpSource, ForwardingHeader, HeaderAnomaly, MAX_HEADER_BYTES, MAX_HOPS, TrustedProxies};
use crate::net::addr::normalize_ip;
use crate::net::hop::{Hop, forwarded_element, node, trim_ows};

impl TrustedProxies {
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
            {
                // A walk that stopped on garbage named no client to
                // disagree with: its own anomaly is what happened.
                client.anomaly = match other.anomaly {
                    Some(kind) => Some(kind.of(ForwardingHeader::XForwardedFor)),
                    None => (other.addr.unwrap_or(peer) != client.addr).then_some(HeaderAnomaly::Conflict),
                };
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
