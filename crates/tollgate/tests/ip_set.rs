//! `IpSet` against a linear-scan oracle, and the blocklist text format.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use tollgate::net::{IpNet, IpSet, Ipv4Net, Ipv6Net, ListError, list_entries, normalize_ip, normalize_net};

/// The most specific network holding `ip`, by looking at every one.
fn oracle(nets: &[IpNet], ip: IpAddr) -> Option<IpNet> {
    let ip = normalize_ip(ip);
    nets.iter()
        .map(|&n| normalize_net(n))
        .filter(|n| n.contains(&ip))
        .max_by_key(IpNet::prefix_len)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn set(nets: &[&str]) -> IpSet {
    nets.iter().map(|s| s.parse::<IpNet>().unwrap()).collect()
}

fn lookup(set: &IpSet, addr: &str) -> Option<String> {
    set.lookup(ip(addr)).map(ToString::to_string)
}

/// The addresses just around a network: its first and last, and their
/// neighbours outside.
fn edges(net: IpNet) -> Vec<IpAddr> {
    match net {
        IpNet::V4(n) => {
            let (first, last) = (u32::from(n.network()), u32::from(n.broadcast()));
            [Some(first), Some(last), first.checked_sub(1), last.checked_add(1)]
                .into_iter()
                .flatten()
                .map(|a| IpAddr::V4(Ipv4Addr::from(a)))
                .collect()
        }
        IpNet::V6(n) => {
            let (first, last) = (u128::from(n.network()), u128::from(n.broadcast()));
            [Some(first), Some(last), first.checked_sub(1), last.checked_add(1)]
                .into_iter()
                .flatten()
                .map(|a| IpAddr::V6(Ipv6Addr::from(a)))
                .collect()
        }
    }
}

fn v4_net() -> impl Strategy<Value = IpNet> {
    prop_oneof![
        // Anywhere.
        (any::<u32>(), 0u8..=32).prop_map(|(a, p)| IpNet::V4(Ipv4Net::new(Ipv4Addr::from(a), p).unwrap())),
        // Crowded into 10.0.0.0/16, so that networks nest and overlap.
        (any::<u16>(), 8u8..=32)
            .prop_map(|(a, p)| { IpNet::V4(Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 | u32::from(a)), p).unwrap()) }),
        // At the ends of the address space.
        (any::<u8>(), any::<bool>(), 24u8..=32).prop_map(|(a, high, p)| {
            let base = if high { u32::MAX - u32::from(a) } else { u32::from(a) };
            IpNet::V4(Ipv4Net::new(Ipv4Addr::from(base), p).unwrap())
        }),
    ]
}

fn v6_net() -> impl Strategy<Value = IpNet> {
    prop_oneof![
        (any::<u128>(), 0u8..=128).prop_map(|(a, p)| IpNet::V6(Ipv6Net::new(Ipv6Addr::from(a), p).unwrap())),
        // Crowded into 2001:db8::/112.
        (any::<u16>(), 96u8..=128).prop_map(|(a, p)| {
            let base = 0x2001_0db8_u128 << 96 | u128::from(a);
            IpNet::V6(Ipv6Net::new(Ipv6Addr::from(base), p).unwrap())
        }),
        // IPv4-mapped networks, which the set turns into IPv4 ones.
        (any::<u16>(), 112u8..=128).prop_map(|(a, p)| {
            let base = 0xffff_0a00_0000_u128 | u128::from(a);
            IpNet::V6(Ipv6Net::new(Ipv6Addr::from(base), p).unwrap())
        }),
        // At the top of the address space.
        (any::<u8>(), 120u8..=128)
            .prop_map(|(a, p)| { IpNet::V6(Ipv6Net::new(Ipv6Addr::from(u128::MAX - u128::from(a)), p).unwrap()) }),
    ]
}

fn probe() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
        any::<u16>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | u32::from(a)))),
        any::<u16>().prop_map(|a| IpAddr::V6(Ipv4Addr::from(0x0a00_0000 | u32::from(a)).to_ipv6_mapped())),
        any::<u128>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
        any::<u16>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(0x2001_0db8_u128 << 96 | u128::from(a)))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every lookup agrees with a linear scan: random addresses, and the
    /// first, last and neighbouring addresses of every network.
    #[test]
    fn lookups_match_a_linear_scan(
        nets in prop::collection::vec(prop_oneof![3 => v4_net(), 1 => v6_net()], 0..60),
        probes in prop::collection::vec(probe(), 0..40),
    ) {
        let set: IpSet = nets.iter().copied().collect();
        let mut all = probes;
        for &n in &nets {
            all.extend(edges(normalize_net(n)));
        }
        for ip in all {
            let expected = oracle(&nets, ip);
            prop_assert_eq!(set.lookup(ip).copied(), expected, "{}", ip);
            prop_assert_eq!(set.contains(ip), expected.is_some());
            // A mapped IPv4 address is the IPv4 address.
            if let IpAddr::V4(v4) = ip {
                prop_assert_eq!(set.lookup(IpAddr::V6(v4.to_ipv6_mapped())).copied(), expected);
            }
        }
    }

    /// The set holds each canonical network once, sorted.
    #[test]
    fn nets_are_canonical_sorted_and_distinct(nets in prop::collection::vec(prop_oneof![v4_net(), v6_net()], 0..60)) {
        let set: IpSet = nets.iter().copied().collect();
        let mut expected: Vec<IpNet> = nets.iter().map(|&n| normalize_net(n)).collect();
        expected.sort();
        expected.dedup();
        prop_assert_eq!(set.nets(), &expected[..]);
        prop_assert_eq!(set.len(), expected.len());
    }

    /// Any text: parsing never panics, the strict and lenient parsers agree,
    /// and line numbers point at the offending entry.
    #[test]
    fn list_parsers_agree(lines in prop::collection::vec(prop_oneof![
        Just(String::new()),
        Just("# comment".to_owned()),
        Just("; comment".to_owned()),
        Just("  192.0.2.1/24 ; SBL1".to_owned()),
        Just("2001:db8::/32 # x".to_owned()),
        Just("10.0.0.1".to_owned()),
        "[ -~]{0,20}",
        any::<String>(),
    ], 0..20)) {
        let text = lines.join("\n");
        let strict = IpSet::parse_list(&text);
        let lenient = IpSet::parse_list_lenient(&text);
        match &strict {
            Ok(set) => {
                prop_assert_eq!(lenient.skipped, 0);
                prop_assert_eq!(&lenient.set, set);
            }
            Err(err) => {
                prop_assert!(lenient.skipped >= 1);
                prop_assert_eq!(lenient.first_error.as_ref(), Some(err));
                prop_assert!(err.line() >= 1 && err.line() <= lines.len().max(1));
            }
        }
        let parsed = list_entries(&text).filter(Result::is_ok).count();
        prop_assert!(lenient.set.len() <= parsed);
    }
}

#[test]
fn nesting_and_overlap() {
    let s = set(&[
        "0.0.0.0/0",
        "10.0.0.0/8",
        "10.0.0.0/8",
        "10.0.0.0/24",
        "10.0.0.128/25",
        "10.0.0.200/32",
    ]);
    assert_eq!(s.len(), 5);
    assert_eq!(lookup(&s, "10.0.0.200").as_deref(), Some("10.0.0.200/32"));
    assert_eq!(lookup(&s, "10.0.0.201").as_deref(), Some("10.0.0.128/25"));
    assert_eq!(lookup(&s, "10.0.0.127").as_deref(), Some("10.0.0.0/24"));
    assert_eq!(lookup(&s, "10.0.1.0").as_deref(), Some("10.0.0.0/8"));
    assert_eq!(lookup(&s, "11.0.0.0").as_deref(), Some("0.0.0.0/0"));
    // IPv4 networks never match IPv6 addresses, and the reverse.
    assert_eq!(lookup(&s, "2001:db8::1"), None);
    let v6 = set(&["::/0", "::ffff:10.0.0.0/82"]);
    assert_eq!(lookup(&v6, "10.0.0.1"), None);
    // IPv4-mapped addresses are IPv4, even under a wide IPv6 network.
    assert_eq!(lookup(&v6, "::ffff:10.0.0.1"), None);
    assert_eq!(lookup(&v6, "::fffe:0:1").as_deref(), Some("::c000:0:0/82"));
}

#[test]
fn boundaries_of_networks() {
    let s = set(&["192.0.2.0/24", "2001:db8::/32"]);
    for (addr, inside) in [
        ("192.0.1.255", false),
        ("192.0.2.0", true),
        ("192.0.2.255", true),
        ("192.0.3.0", false),
        ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", false),
        ("2001:db8::", true),
        ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true),
        ("2001:db9::", false),
    ] {
        assert_eq!(s.contains(ip(addr)), inside, "{addr}");
    }
}

#[test]
fn ipv4_mapped_addresses_and_entries() {
    let s = set(&["192.0.2.0/24", "::ffff:198.51.100.0/120"]);
    assert!(s.contains(ip("::ffff:192.0.2.1")));
    assert!(s.contains(ip("198.51.100.7")));
    assert_eq!(lookup(&s, "::ffff:198.51.100.7").as_deref(), Some("198.51.100.0/24"));
    // IPv4-compatible (deprecated) addresses are IPv6.
    assert!(!s.contains(ip("::192.0.2.1")));
}

#[test]
fn single_addresses_are_host_networks() {
    let s: IpSet = [ip("192.0.2.7"), ip("2001:db8::1"), ip("::ffff:192.0.2.7")]
        .into_iter()
        .collect();
    assert_eq!(s.len(), 2);
    assert_eq!(lookup(&s, "192.0.2.7").as_deref(), Some("192.0.2.7/32"));
    assert_eq!(lookup(&s, "2001:db8::1").as_deref(), Some("2001:db8::1/128"));
    assert!(!s.contains(ip("192.0.2.8")));
}

#[test]
fn a_large_random_set_agrees_with_the_oracle() {
    // A deterministic generator: no dependency, reproducible.
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let nets: Vec<IpNet> = (0..20_000)
        .map(|_| {
            let r = next();
            let p = 8 + (r % 25) as u8;
            IpNet::V4(Ipv4Net::new(Ipv4Addr::from((r >> 32) as u32), p).unwrap())
        })
        .collect();
    let s: IpSet = nets.iter().copied().collect();
    for _ in 0..300 {
        let probe = IpAddr::V4(Ipv4Addr::from((next() >> 16) as u32));
        assert_eq!(s.lookup(probe).copied(), oracle(&nets, probe), "{probe}");
    }
}

#[test]
fn list_with_comments_blanks_and_host_bits() {
    let text = "\
; Spamhaus DROP List 2024/01/01 - (c) 2024 The Spamhaus Project
; Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT
1.10.16.0/20 ; SBL256894
1.19.0.0/16 ; SBL434604

# FireHOL
\t192.0.2.77/24\t# host bits set: 192.0.2.0/24
198.51.100.7#no space before the comment
2001:db8::/32;v6
   \r
";
    let s = IpSet::parse_list(text).unwrap();
    let nets: Vec<String> = s.iter().map(ToString::to_string).collect();
    assert_eq!(
        nets,
        [
            "1.10.16.0/20",
            "1.19.0.0/16",
            "192.0.2.0/24",
            "198.51.100.7/32",
            "2001:db8::/32"
        ]
    );
    assert!(s.contains(ip("192.0.2.1")));
}

#[test]
fn bad_lines_are_named_by_number() {
    let text = "10.0.0.0/8\n\n# x\n10.0.0.0 - 10.0.0.255 ; a range\n300.1.1.1\n";
    let err = IpSet::parse_list(text).unwrap_err();
    assert_eq!(err.line(), 4);
    assert_eq!(err.text(), "10.0.0.0 - 10.0.0.255");
    assert_eq!(
        err.to_string(),
        "line 4: `10.0.0.0 - 10.0.0.255` is not an IP address or CIDR network"
    );

    let lenient = IpSet::parse_list_lenient(text);
    assert_eq!(lenient.skipped, 2);
    assert_eq!(lenient.set.len(), 1);
    assert_eq!(lenient.first_error.as_ref().map(ListError::line), Some(4));

    let errors: Vec<usize> = list_entries(text).filter_map(Result::err).map(|e| e.line()).collect();
    assert_eq!(errors, [4, 5]);
}

#[test]
fn long_bad_lines_are_cut_in_the_error() {
    let text = format!("10.0.0.0/8\n{}\n", "x".repeat(500));
    let err = IpSet::parse_list(&text).unwrap_err();
    assert_eq!(err.line(), 2);
    assert_eq!(err.text().chars().count(), 65);
    assert!(err.text().ends_with('…'));
}

#[test]
fn several_entries_on_a_line_are_an_error() {
    let err = IpSet::parse_list("10.0.0.1 10.0.0.2\n").unwrap_err();
    assert_eq!(err.line(), 1);
}

#[test]
fn empty_and_comment_only_lists_are_empty_sets() {
    assert!(IpSet::parse_list("").unwrap().is_empty());
    assert!(IpSet::parse_list("# nothing\n;\n\n").unwrap().is_empty());
}

#[cfg(feature = "serde")]
#[test]
fn serde_round_trip_inside_a_struct() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Zones {
        deny: IpSet,
    }
    let zones: Zones = serde_json::from_str(r#"{"deny": ["192.0.2.0/24", "2001:db8::1"]}"#).unwrap();
    assert!(zones.deny.contains(ip("192.0.2.9")));
    let json = serde_json::to_string(&zones).unwrap();
    assert_eq!(json, r#"{"deny":["192.0.2.0/24","2001:db8::1"]}"#);
    let err = serde_json::from_str::<Zones>(r#"{"deny": ["192.0.2.0/24", "nope"]}"#).unwrap_err();
    assert!(
        err.to_string().contains("`nope` is not an IP address or CIDR network"),
        "{err}"
    );
}
