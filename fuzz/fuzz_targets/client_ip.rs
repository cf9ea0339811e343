//! Client IP resolution: any peer, switches and header bytes give an
//! answer, never a panic; an untrusted peer is never overridden, and any
//! other answer is the peer or an address the headers spell.
//!
//! Input: one byte of switches (bits 0-2: read X-Real-IP, Forwarded,
//! X-Forwarded-For; bits 3-5: which peer), then header lines separated by
//! `\n`, each a byte choosing the name and the value's bytes.
#![no_main]

use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use tollgate::net::{ClientIpSource, TrustedProxies, normalize_ip};

const NAMES: [&str; 6] = [
    "X-Forwarded-For",
    "forwarded",
    "X-Real-IP",
    "x-forwarded-for",
    "FORWARDED",
    "Via",
];
const PEERS: [&str; 6] = [
    "10.0.0.2",
    "::ffff:10.0.0.2",
    "2001:db8:ff::2",
    "198.51.100.1",
    "2001:db8::1",
    "10.255.255.255",
];

/// Whether a substring of a value (also with backslash escapes removed, as
/// in a quoted `for=` value) spells `want`. Address text is hex digits,
/// `:` and `.` only, so only runs of those are tried; from the right, where
/// the resolver usually finds its hop, stopping at the first match.
fn spelled(values: &[&[u8]], want: IpAddr) -> bool {
    values.iter().rev().any(|value| {
        let mut unescaped = Vec::with_capacity(value.len());
        let mut bytes = value.iter();
        while let Some(&b) = bytes.next() {
            unescaped.push(if b == b'\\' {
                bytes.next().copied().unwrap_or(b)
            } else {
                b
            });
        }
        [*value, &unescaped[..]].into_iter().any(|v| spells(v, want))
    })
}

fn spells(v: &[u8], want: IpAddr) -> bool {
    v.split(|&b| !(b.is_ascii_hexdigit() || b == b':' || b == b'.'))
        .rev()
        .any(|run| {
            (0..run.len()).rev().any(|i| {
                (i + 1..=run.len().min(i + 64)).any(|j| {
                    std::str::from_utf8(&run[i..j])
                        .ok()
                        .and_then(|s| s.parse::<IpAddr>().ok())
                        .is_some_and(|ip| normalize_ip(ip) == want)
                })
            })
        })
}

fuzz_target!(|data: &[u8]| {
    let Some((&switches, rest)) = data.split_first() else {
        return;
    };
    let Ok(trusted) = TrustedProxies::parse(["10.0.0.0/8", "2001:db8:ff::/48"]) else {
        return;
    };
    let trusted = trusted
        .with_x_real_ip(switches & 1 != 0)
        .with_forwarded(switches & 2 != 0)
        .with_x_forwarded_for(switches & 4 != 0);
    let Ok(peer) = PEERS[usize::from(switches >> 3) % PEERS.len()].parse::<IpAddr>() else {
        return;
    };

    let headers: Vec<(&str, &[u8])> = rest
        .split(|&b| b == b'\n')
        .filter_map(|line| line.split_first())
        .map(|(&name, value)| (NAMES[usize::from(name) % NAMES.len()], value))
        .collect();
    let got = trusted.resolve(peer, headers.iter().copied());

    let peer = normalize_ip(peer);
    assert_eq!(got.addr, normalize_ip(got.addr));
    if !trusted.is_trusted(peer) {
        assert_eq!((got.addr, got.source, got.anomaly), (peer, ClientIpSource::Peer, None));
    } else if got.source == ClientIpSource::Peer {
        assert_eq!(got.addr, peer);
    } else if rest.len() <= 4096 {
        let values: Vec<&[u8]> = headers.iter().map(|&(_, v)| v).collect();
        assert!(spelled(&values, got.addr), "{} is not in the headers", got.addr);
    }
});
