//! Client IP resolution through trusted proxies: a table of cases, and
//! arbitrary header bytes.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::HashSet;
use std::net::IpAddr;

use proptest::prelude::*;
use tollgate::net::{ClientIpSource, ForwardingHeader, HeaderAnomaly, TrustedProxies, normalize_ip};

use ClientIpSource::{Forwarded as Fwd, Peer, XForwardedFor as Xff, XRealIp as Real};
use ForwardingHeader::{Forwarded as FwdH, XForwardedFor as XffH, XRealIp as RealH};

/// Proxies of the test deployment: an IPv4 and an IPv6 range.
/// Trusted proxies that set both chain headers (`Forwarded` is off by default).
fn trusted() -> TrustedProxies {
    TrustedProxies::parse(["10.0.0.0/8", "2001:db8:ff::/48"])
        .unwrap()
        .with_forwarded(true)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

struct Case {
    name: &'static str,
    config: TrustedProxies,
    peer: &'static str,
    headers: Vec<(&'static str, String)>,
    addr: &'static str,
    source: ClientIpSource,
    anomaly: Option<HeaderAnomaly>,
}

fn case(
    name: &'static str,
    peer: &'static str,
    headers: &[(&'static str, &str)],
    addr: &'static str,
    source: ClientIpSource,
    anomaly: Option<HeaderAnomaly>,
) -> Case {
    Case {
        name,
        config: trusted(),
        peer,
        headers: headers.iter().map(|&(n, v)| (n, v.to_owned())).collect(),
        addr,
        source,
        anomaly,
    }
}

fn with(config: TrustedProxies, c: Case) -> Case {
    Case { config, ..c }
}

fn owned(name: &'static str, value: String) -> Vec<(&'static str, String)> {
    vec![(name, value)]
}

fn cases() -> Vec<Case> {
    let xff = "X-Forwarded-For";
    let fwd = "Forwarded";
    let real = "X-Real-IP";
    let hops_100: Vec<String> = (0..100).map(|i| format!("10.0.1.{i}")).collect();
    vec![
        // Untrusted peers: headers are not read at all.
        case(
            "spoofed xff, untrusted peer",
            "198.51.100.1",
            &[(xff, "1.2.3.4")],
            "198.51.100.1",
            Peer,
            None,
        ),
        case(
            "spoofed forwarded, untrusted peer",
            "198.51.100.1",
            &[(fwd, "for=1.2.3.4")],
            "198.51.100.1",
            Peer,
            None,
        ),
        case(
            "garbage from untrusted peer is not an anomaly",
            "198.51.100.1",
            &[(xff, "%%%")],
            "198.51.100.1",
            Peer,
            None,
        ),
        case("trusted peer without headers", "10.0.0.1", &[], "10.0.0.1", Peer, None),
        case(
            "other headers are ignored",
            "10.0.0.1",
            &[("X-Client-IP", "1.2.3.4"), ("Host", "a")],
            "10.0.0.1",
            Peer,
            None,
        ),
        // Chains of trusted proxies.
        case(
            "one proxy",
            "10.0.0.1",
            &[(xff, "203.0.113.7")],
            "203.0.113.7",
            Xff,
            None,
        ),
        case(
            "two proxies",
            "10.0.0.2",
            &[(xff, "203.0.113.7, 10.0.0.1")],
            "203.0.113.7",
            Xff,
            None,
        ),
        case(
            "client-supplied prefix is skipped",
            "10.0.0.2",
            &[(xff, "6.6.6.6, 203.0.113.7, 10.0.0.1")],
            "203.0.113.7",
            Xff,
            None,
        ),
        case(
            "all hops trusted: leftmost",
            "10.0.0.3",
            &[(xff, "10.0.0.9, 10.0.0.1")],
            "10.0.0.9",
            Xff,
            None,
        ),
        case(
            "no spaces, tabs",
            "10.0.0.2",
            &[(xff, "6.6.6.6,203.0.113.7\t,\t10.0.0.1")],
            "203.0.113.7",
            Xff,
            None,
        ),
        case(
            "repeated xff lines are one list",
            "10.0.0.2",
            &[(xff, "6.6.6.6, 203.0.113.7"), (xff, "10.0.0.1")],
            "203.0.113.7",
            Xff,
            None,
        ),
        // Malformed values.
        case(
            "garbage rightmost: peer",
            "10.0.0.2",
            &[(xff, "203.0.113.7, garbage")],
            "10.0.0.2",
            Peer,
            Some(HeaderAnomaly::Malformed(XffH)),
        ),
        case(
            "garbage behind a proxy: that proxy",
            "10.0.0.2",
            &[(xff, "203.0.113.7, garbage, 10.0.0.1")],
            "10.0.0.1",
            Xff,
            Some(HeaderAnomaly::Malformed(XffH)),
        ),
        case(
            "garbage left of the client is not read",
            "10.0.0.2",
            &[(xff, "garbage, 203.0.113.7")],
            "203.0.113.7",
            Xff,
            None,
        ),
        case(
            "non-ascii characters",
            "10.0.0.2",
            &[(xff, "203.0.113.7, 10.0.0.1\u{fffd}")],
            "10.0.0.2",
            Peer,
            Some(HeaderAnomaly::Malformed(XffH)),
        ),
        case(
            "empty entries are skipped",
            "10.0.0.2",
            &[(xff, ",203.0.113.7, , ,10.0.0.1,")],
            "203.0.113.7",
            Xff,
            None,
        ),
        case("empty header: absent", "10.0.0.2", &[(xff, "")], "10.0.0.2", Peer, None),
        case(
            "blank list: absent",
            "10.0.0.2",
            &[(xff, " , ,")],
            "10.0.0.2",
            Peer,
            None,
        ),
        case(
            "unknown behind a proxy",
            "10.0.0.2",
            &[(xff, "203.0.113.7, unknown, 10.0.0.1")],
            "10.0.0.1",
            Xff,
            Some(HeaderAnomaly::Obfuscated(XffH)),
        ),
        case(
            "unknown rightmost",
            "10.0.0.2",
            &[(xff, "unknown")],
            "10.0.0.2",
            Peer,
            Some(HeaderAnomaly::Obfuscated(XffH)),
        ),
        case(
            "port out of range",
            "10.0.0.2",
            &[(xff, "203.0.113.7:65536")],
            "10.0.0.2",
            Peer,
            Some(HeaderAnomaly::Malformed(XffH)),
        ),
        Case {
            headers: owned(xff, format!("{}, 203.0.113.7", "9".repeat(9000))),
            ..case(
                "overlong client-supplied prefix is not read",
                "10.0.0.2",
                &[],
                "203.0.113.7",
                Xff,
                None,
            )
        },
        Case {
            headers: owned(xff, format!("203.0.113.7, 10.0.0.1, {}", "1".repeat(9000))),
            ..case(
                "overlong rightmost entry",
                "10.0.0.2",
                &[],
                "10.0.0.2",
                Peer,
                Some(HeaderAnomaly::TooLong(XffH)),
            )
        },
        Case {
            headers: owned(xff, format!("203.0.113.7,{}, 10.0.0.1", " ".repeat(9000))),
            ..case(
                "walk beyond 8 KiB",
                "10.0.0.2",
                &[],
                "10.0.0.1",
                Xff,
                Some(HeaderAnomaly::TooLong(XffH)),
            )
        },
        Case {
            headers: owned(xff, hops_100.join(", ")),
            ..case(
                "100 trusted hops: stop at the 64th",
                "10.0.0.2",
                &[],
                "10.0.1.36",
                Xff,
                Some(HeaderAnomaly::TooManyHops(XffH)),
            )
        },
        Case {
            headers: owned(xff, format!("{}, 203.0.113.7, 10.0.0.1", hops_100.join(", "))),
            ..case("100 hops left of the client", "10.0.0.2", &[], "203.0.113.7", Xff, None)
        },
        Case {
            headers: hops_100.iter().map(|h| (xff, h.clone())).collect(),
            ..case(
                "100 header lines",
                "10.0.0.2",
                &[],
                "10.0.1.36",
                Xff,
                Some(HeaderAnomaly::TooManyHops(XffH)),
            )
        },
        // IPv6 and IPv4-mapped addresses.
        case(
            "ipv6 chain",
            "2001:db8:ff::1",
            &[(xff, "2001:db8::7, 2001:db8:ff::2")],
            "2001:db8::7",
            Xff,
            None,
        ),
        case(
            "ipv6 with brackets and port",
            "2001:db8:ff::1",
            &[(xff, "[2001:db8::7]:443")],
            "2001:db8::7",
            Xff,
            None,
        ),
        case(
            "ipv4 with port",
            "10.0.0.1",
            &[(xff, "203.0.113.7:5678")],
            "203.0.113.7",
            Xff,
            None,
        ),
        case(
            "mixed families",
            "10.0.0.1",
            &[(xff, "2001:db8::7, [2001:db8:ff::9]:80")],
            "2001:db8::7",
            Xff,
            None,
        ),
        case(
            "mapped trusted peer",
            "::ffff:10.0.0.1",
            &[(xff, "::ffff:203.0.113.7")],
            "203.0.113.7",
            Xff,
            None,
        ),
        case(
            "mapped untrusted peer is ipv4",
            "::ffff:198.51.100.1",
            &[(xff, "1.2.3.4")],
            "198.51.100.1",
            Peer,
            None,
        ),
        case(
            "mapped trusted hop",
            "10.0.0.2",
            &[(xff, "203.0.113.7, ::ffff:10.0.0.1")],
            "203.0.113.7",
            Xff,
            None,
        ),
        case(
            "mapped hop in brackets",
            "10.0.0.2",
            &[(xff, "[::ffff:203.0.113.7]:80")],
            "203.0.113.7",
            Xff,
            None,
        ),
        case(
            "zone ids are malformed",
            "10.0.0.2",
            &[(xff, "fe80::1%eth0")],
            "10.0.0.2",
            Peer,
            Some(HeaderAnomaly::Malformed(XffH)),
        ),
        // Forwarded (RFC 7239).
        case(
            "forwarded quoted ipv6 and port",
            "10.0.0.1",
            &[(fwd, r#"for="[2001:db8:cafe::17]:4711""#)],
            "2001:db8:cafe::17",
            Fwd,
            None,
        ),
        case(
            "forwarded ipv4 and port",
            "10.0.0.1",
            &[(fwd, r#"for="192.0.2.60:8080";proto=https;by=10.0.0.1"#)],
            "192.0.2.60",
            Fwd,
            None,
        ),
        case(
            "forwarded unquoted",
            "10.0.0.1",
            &[(fwd, "for=192.0.2.60;proto=http;by=203.0.113.43")],
            "192.0.2.60",
            Fwd,
            None,
        ),
        case(
            "forwarded elements, right to left",
            "10.0.0.2",
            &[(fwd, "for=6.6.6.6, for=192.0.2.60, for=10.0.0.1;proto=https")],
            "192.0.2.60",
            Fwd,
            None,
        ),
        case(
            "forwarded on several lines",
            "10.0.0.2",
            &[(fwd, "for=6.6.6.6, for=192.0.2.60"), (fwd, r#"for="10.0.0.1""#)],
            "192.0.2.60",
            Fwd,
            None,
        ),
        case(
            "forwarded all trusted",
            "10.0.0.2",
            &[(fwd, "for=10.0.0.5, for=10.0.0.1")],
            "10.0.0.5",
            Fwd,
            None,
        ),
        case(
            "forwarded obfuscated behind a proxy",
            "10.0.0.2",
            &[(fwd, "for=192.0.2.60, for=_hidden, for=10.0.0.1")],
            "10.0.0.1",
            Fwd,
            Some(HeaderAnomaly::Obfuscated(FwdH)),
        ),
        case(
            "forwarded unknown rightmost",
            "10.0.0.2",
            &[(fwd, "for=192.0.2.60, for=unknown")],
            "10.0.0.2",
            Peer,
            Some(HeaderAnomaly::Obfuscated(FwdH)),
        ),
        case(
            "forwarded without for",
            "10.0.0.2",
            &[(fwd, "proto=https;by=10.0.0.2")],
            "10.0.0.2",
            Peer,
            Some(HeaderAnomaly::Obfuscated(FwdH)),
        ),
        case(
            "forwarded quoted comma",
            "10.0.0.2",
            &[(fwd, r#"for="192.0.2.60, 6.6.6.6""#)],
            "10.0.0.2",
            Peer,
            Some(HeaderAnomaly::Malformed(FwdH)),
        ),
        case(
            "forwarded duplicate for",
            "10.0.0.2",
            &[(fwd, "for=192.0.2.60;for=6.6.6.6")],
            "10.0.0.2",
            Peer,
            Some(HeaderAnomaly::Malformed(FwdH)),
        ),
        case(
            "forwarded bare address",
            "10.0.0.2",
            &[(fwd, "192.0.2.60")],
            "10.0.0.2",
            Peer,
            Some(HeaderAnomaly::Malformed(FwdH)),
        ),
        // Both chain headers: Forwarded decides.
        case(
            "forwarded preferred, agreeing",
            "10.0.0.2",
            &[(xff, "192.0.2.60, 10.0.0.1"), (fwd, "for=192.0.2.60, for=10.0.0.1")],
            "192.0.2.60",
            Fwd,
            None,
        ),
        case(
            "forwarded preferred, conflicting",
            "10.0.0.2",
            &[(xff, "192.0.2.61"), (fwd, "for=192.0.2.60")],
            "192.0.2.60",
            Fwd,
            Some(HeaderAnomaly::Conflict),
        ),
        case(
            "garbage in x-forwarded-for beside forwarded is its own anomaly, not a conflict",
            "10.0.0.2",
            &[(xff, "192.0.2.61, x"), (fwd, "for=192.0.2.60")],
            "192.0.2.60",
            Fwd,
            Some(HeaderAnomaly::Malformed(XffH)),
        ),
        case(
            "forwarded anomaly wins over conflict",
            "10.0.0.2",
            &[(xff, "192.0.2.61"), (fwd, "for=x")],
            "10.0.0.2",
            Peer,
            Some(HeaderAnomaly::Malformed(FwdH)),
        ),
        case(
            "blank forwarded: xff",
            "10.0.0.2",
            &[(fwd, " "), (xff, "192.0.2.61")],
            "192.0.2.61",
            Xff,
            None,
        ),
        with(
            trusted().with_forwarded(false),
            case(
                "forwarded disabled",
                "10.0.0.2",
                &[(xff, "192.0.2.61"), (fwd, "for=192.0.2.60")],
                "192.0.2.61",
                Xff,
                None,
            ),
        ),
        with(
            trusted().with_x_forwarded_for(false),
            case(
                "xff disabled",
                "10.0.0.2",
                &[(xff, "192.0.2.61")],
                "10.0.0.2",
                Peer,
                None,
            ),
        ),
        // Header names are case-insensitive.
        case(
            "upper-case xff",
            "10.0.0.1",
            &[("X-FORWARDED-FOR", "203.0.113.7")],
            "203.0.113.7",
            Xff,
            None,
        ),
        case(
            "mixed-case forwarded",
            "10.0.0.1",
            &[("fOrWaRdEd", "For=203.0.113.7")],
            "203.0.113.7",
            Fwd,
            None,
        ),
        case(
            "lower-case xff lines together",
            "10.0.0.2",
            &[("x-forwarded-for", "203.0.113.7"), ("X-Forwarded-For", "10.0.0.1")],
            "203.0.113.7",
            Xff,
            None,
        ),
        // X-Real-IP.
        case(
            "x-real-ip off by default",
            "10.0.0.1",
            &[(real, "203.0.113.7")],
            "10.0.0.1",
            Peer,
            None,
        ),
        with(
            trusted().with_x_real_ip(true),
            case(
                "x-real-ip on",
                "10.0.0.1",
                &[("x-real-ip", "203.0.113.7")],
                "203.0.113.7",
                Real,
                None,
            ),
        ),
        with(
            trusted().with_x_real_ip(true),
            case(
                "x-real-ip with port, mapped",
                "10.0.0.1",
                &[(real, "[::ffff:203.0.113.7]:80")],
                "203.0.113.7",
                Real,
                None,
            ),
        ),
        with(
            trusted().with_x_real_ip(true),
            case(
                "a chain header wins over x-real-ip",
                "10.0.0.1",
                &[(real, "203.0.113.8"), (xff, "203.0.113.7")],
                "203.0.113.7",
                Xff,
                None,
            ),
        ),
        with(
            trusted().with_x_real_ip(true),
            case(
                "x-real-ip garbage",
                "10.0.0.1",
                &[(real, "203.0.113.7, 10.0.0.2")],
                "10.0.0.1",
                Peer,
                Some(HeaderAnomaly::Malformed(RealH)),
            ),
        ),
        with(
            trusted().with_x_real_ip(true),
            case(
                "x-real-ip twice",
                "10.0.0.1",
                &[(real, "203.0.113.7"), (real, "203.0.113.8")],
                "10.0.0.1",
                Peer,
                Some(HeaderAnomaly::Malformed(RealH)),
            ),
        ),
        with(
            trusted().with_x_real_ip(true),
            case(
                "x-real-ip untrusted peer",
                "198.51.100.1",
                &[(real, "203.0.113.7")],
                "198.51.100.1",
                Peer,
                None,
            ),
        ),
        // Nothing trusted: always the peer.
        with(
            TrustedProxies::default(),
            case(
                "default trusts nobody",
                "10.0.0.1",
                &[(xff, "203.0.113.7")],
                "10.0.0.1",
                Peer,
                None,
            ),
        ),
    ]
}

#[test]
fn resolution_table() {
    let mut failures = Vec::new();
    for c in cases() {
        let headers = c.headers.iter().map(|(n, v)| (*n, v.as_bytes()));
        let got = c.config.resolve(ip(c.peer), headers);
        let want = (ip(c.addr), c.source, c.anomaly);
        if (got.addr, got.source, got.anomaly) != want {
            failures.push(format!(
                "{}: got {:?}, want {:?}",
                c.name,
                (got.addr, got.source, got.anomaly),
                want
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn raw_bytes_that_are_not_utf8() {
    let got = trusted().resolve(ip("10.0.0.2"), [("x-forwarded-for", &b"203.0.113.7, \xff\xfe"[..])]);
    assert_eq!(
        (got.addr, got.anomaly),
        (ip("10.0.0.2"), Some(HeaderAnomaly::Malformed(XffH)))
    );
}

#[test]
fn anomalies_name_their_header() {
    assert_eq!(HeaderAnomaly::Malformed(XffH).header(), XffH);
    assert_eq!(HeaderAnomaly::Conflict.header(), FwdH);
    assert_eq!(HeaderAnomaly::TooManyHops(FwdH).kind(), "too_many_hops");
    assert_eq!(
        HeaderAnomaly::TooLong(RealH).to_string(),
        "X-Real-IP: longer than 8192 bytes"
    );
}

#[test]
fn bad_proxy_entries_are_named() {
    let err = TrustedProxies::parse(["10.0.0.0/8", "10.0.0.0/40"]).unwrap_err();
    assert_eq!(err.text(), "10.0.0.0/40");
    assert_eq!(err.to_string(), "`10.0.0.0/40` is not an IP address or CIDR network");
}

#[test]
fn proxies_from_networks() {
    let t = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]).with_x_real_ip(true);
    assert!(t.is_trusted(ip("::ffff:10.1.1.1")));
    assert!(
        t.x_real_ip() && !t.forwarded() && t.x_forwarded_for(),
        "Forwarded is off by default"
    );
    assert_eq!(t.proxies().len(), 1);
}

/// Every address any substring of the headers spells, canonical, also with
/// backslash escapes removed (a quoted `for=` value may escape characters).
fn spelled(headers: &[(String, Vec<u8>)]) -> HashSet<IpAddr> {
    let mut found = HashSet::new();
    for (_, value) in headers {
        let mut unescaped = Vec::with_capacity(value.len());
        let mut bytes = value.iter();
        while let Some(&b) = bytes.next() {
            unescaped.push(if b == b'\\' {
                bytes.next().copied().unwrap_or(b)
            } else {
                b
            });
        }
        for v in [value, &unescaped] {
            for i in 0..v.len() {
                for j in i + 1..=v.len().min(i + 64) {
                    if let Some(ip) = std::str::from_utf8(&v[i..j])
                        .ok()
                        .and_then(|s| s.parse::<IpAddr>().ok())
                    {
                        found.insert(normalize_ip(ip));
                    }
                }
            }
        }
    }
    found
}

fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            "10.0.0.1",
            "10.9.9.9",
            "203.0.113.7",
            "198.51.100.1",
            "2001:db8::7",
            "2001:db8:ff::1",
            "[2001:db8::7]:80",
            "::ffff:10.0.0.1",
            "::ffff:203.0.113.9",
            "203.0.113.8:443",
            "unknown",
            "_hidden",
            "for=",
            "For=",
            "\"",
            "\\",
            ",",
            ", ",
            ";",
            "=",
            "[",
            "]",
            ":",
            " ",
            "proto=https",
            "by=10.0.0.1",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..8),
    ]
}

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(fragment(), 0..24).prop_map(|f| f.concat()),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

fn header() -> impl Strategy<Value = (String, Vec<u8>)> {
    let names = prop::sample::select(vec![
        "X-Forwarded-For",
        "x-forwarded-for",
        "Forwarded",
        "FORWARDED",
        "X-Real-IP",
        "Via",
    ]);
    (names.prop_map(str::to_owned), header_value())
}

fn peer() -> impl Strategy<Value = IpAddr> {
    prop::sample::select(vec![
        "10.0.0.2",
        "::ffff:10.0.0.2",
        "2001:db8:ff::2",
        "198.51.100.1",
        "2001:db8::1",
    ])
    .prop_map(ip)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary header bytes never panic; the answer is the peer or an
    /// address the headers spell; untrusted peers are never overridden.
    #[test]
    fn answer_is_the_peer_or_spelled_in_the_headers(
        peer in peer(),
        headers in prop::collection::vec(header(), 0..5),
        x_real_ip in any::<bool>(),
        forwarded in any::<bool>(),
    ) {
        let config = trusted().with_x_real_ip(x_real_ip).with_forwarded(forwarded);
        let got = config.resolve(peer, headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())));
        let peer = normalize_ip(peer);
        if !config.is_trusted(peer) {
            prop_assert_eq!((got.addr, got.source, got.anomaly), (peer, Peer, None));
        } else if got.source == Peer {
            prop_assert_eq!(got.addr, peer);
        } else {
            prop_assert!(spelled(&headers).contains(&got.addr), "{} not in {:?}", got.addr, headers);
        }
        prop_assert_eq!(got.addr, normalize_ip(got.addr));
    }
}
