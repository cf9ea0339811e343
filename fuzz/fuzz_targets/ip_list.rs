//! Blocklist text: any bytes give a set or a line-numbered error, never a
//! panic; the strict and lenient parsers agree; lookups agree with a
//! linear scan; a set round-trips through JSON.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use tollgate::net::{IpNet, IpSet, normalize_ip};

/// The most specific network holding `ip`, by looking at every one.
fn oracle(set: &IpSet, ip: IpAddr) -> Option<IpNet> {
    let ip = normalize_ip(ip);
    set.iter()
        .filter(|n| n.contains(&ip))
        .max_by_key(|n| n.prefix_len())
        .copied()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lenient = IpSet::parse_list_lenient(&text);
    match IpSet::parse_list(&text) {
        Ok(set) => {
            assert_eq!(lenient.skipped, 0);
            assert_eq!(lenient.set, set);
        }
        Err(err) => {
            assert!(lenient.skipped >= 1);
            assert_eq!(lenient.first_error.as_ref(), Some(&err));
            assert!(err.line() >= 1 && err.line() <= text.lines().count());
            assert!(err.text().chars().count() <= 65);
        }
    }
    let set = lenient.set;

    // Every network's first and last addresses are in the set, under a
    // network at least as specific. (An IPv6 network wider than /96 may
    // end in the IPv4-mapped range, whose addresses are looked up as IPv4.)
    for net in &set {
        for ip in [net.network(), net.broadcast()]
            .into_iter()
            .filter(|&ip| normalize_ip(ip) == ip)
        {
            let found = set.lookup(ip).copied();
            assert!(found.is_some_and(|f| f.contains(&ip) && f.prefix_len() >= net.prefix_len()));
        }
    }

    // Addresses from the input bytes, against a linear scan.
    if set.len() <= 512 {
        for chunk in data.chunks(16) {
            let mut bytes = [0u8; 16];
            bytes[..chunk.len()].copy_from_slice(chunk);
            let v6 = IpAddr::V6(Ipv6Addr::from(bytes));
            let v4 = IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]));
            for ip in [v6, v4] {
                assert_eq!(set.lookup(ip).copied(), oracle(&set, ip), "{ip}");
                assert_eq!(set.contains(ip), set.lookup(ip).is_some());
            }
        }
    }

    let json = serde_json::to_string(&set).ok();
    let back: Option<IpSet> = json.and_then(|j| serde_json::from_str(&j).ok());
    assert_eq!(back.as_ref(), Some(&set));
});
