//! `zones`: CIDR-set lookups and client IP resolution.
//!
//! * `zones/lookup_100k`: `IpSet::lookup` on a set of 100,000 random
//!   networks (90 % IPv4: half /32, a quarter /24–/31, a fifth /16–/23, the
//!   rest /12–/15; 10 % IPv6: /32–/128 inside 2000::/3), cycling through
//!   65,536 prepared addresses of which every other one is inside the set
//!   (a random address of a random network) and the rest outside it.
//! * `zones/contains_100k`: the same with `IpSet::contains`.
//! * `zones/client_ip_5_hops`: `TrustedProxies::resolve` on a request of
//!   ten headers whose `X-Forwarded-For` has five hops, the rightmost two
//!   trusted proxies, from a trusted peer: three hops are read and parsed.
//! * `zones/parse_list_100k`: `IpSet::parse_list` on the 100,000 networks
//!   written as a blocklist with comments, as on every list reload.
//!
//! Fixtures are built before measuring from a fixed seed, so every run
//! measures the same sets and addresses.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use criterion::{Criterion, criterion_group, criterion_main};
use tollgate::net::{ClientIpSource, IpNet, IpSet, Ipv4Net, Ipv6Net, TrustedProxies};
use tollgate_benches::Cycle;

/// Networks in the set.
const NETS: usize = 100_000;

/// Prepared lookup addresses (half hits, half misses).
const PROBES: usize = 65_536;

/// xorshift64*: a small deterministic generator for the fixtures.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn v6(&mut self) -> u128 {
        // Global unicast, 2000::/3.
        let bits = (u128::from(self.next()) << 64) | u128::from(self.next());
        (bits >> 3) | (1 << 125)
    }
}

fn random_net(rng: &mut Rng) -> IpNet {
    if rng.below(10) == 0 {
        let prefix = match rng.below(8) {
            0 => 32,
            1 => 48,
            2 => 56,
            3..6 => 64,
            _ => 128,
        };
        let net = Ipv6Net::new(Ipv6Addr::from(rng.v6()), prefix).unwrap_or_default();
        return IpNet::V6(net.trunc());
    }
    let prefix = match rng.below(20) {
        0..10 => 32,
        10..15 => 24 + rng.below(8) as u8,
        15..19 => 16 + rng.below(8) as u8,
        _ => 12 + rng.below(4) as u8,
    };
    let net = Ipv4Net::new(Ipv4Addr::from(rng.next() as u32), prefix).unwrap_or_default();
    IpNet::V4(net.trunc())
}

/// A random address inside `net`.
fn inside(rng: &mut Rng, net: IpNet) -> IpAddr {
    match net {
        IpNet::V4(n) => IpAddr::V4(Ipv4Addr::from(
            u32::from(n.network()) | (rng.next() as u32 & u32::from(n.hostmask())),
        )),
        IpNet::V6(n) => IpAddr::V6(Ipv6Addr::from(
            u128::from(n.network()) | (rng.v6() & u128::from(n.hostmask())),
        )),
    }
}

/// The set, its networks, and the addresses to look up: even positions
/// inside the set, odd ones outside.
fn fixtures() -> (IpSet, Vec<IpNet>, Vec<IpAddr>) {
    let mut rng = Rng(0x5eed_2024_0b5e_55ed);
    let nets: Vec<IpNet> = (0..NETS).map(|_| random_net(&mut rng)).collect();
    let set: IpSet = nets.iter().copied().collect();
    let mut probes = Vec::with_capacity(PROBES);
    while probes.len() < PROBES {
        let hit = probes.len() % 2 == 0;
        let Some(&net) = nets.get(rng.below(NETS as u64) as usize) else {
            continue;
        };
        let candidate = if hit {
            inside(&mut rng, net)
        } else if net.addr().is_ipv4() {
            IpAddr::V4(Ipv4Addr::from(rng.next() as u32))
        } else {
            IpAddr::V6(Ipv6Addr::from(rng.v6()))
        };
        if set.contains(candidate) == hit {
            probes.push(candidate);
        }
    }
    (set, nets, probes)
}

/// A blocklist file holding `nets`, Spamhaus-style comments included.
fn list_text(nets: &[IpNet]) -> String {
    let mut text = String::from("; tollgate bench list\n; generated\n\n");
    for (i, net) in nets.iter().enumerate() {
        text.push_str(&format!("{net} ; SBL{i}\n"));
    }
    text
}

/// A request as a host would pass it: ten headers, X-Forwarded-For with
/// five hops of which the rightmost two are trusted proxies.
const HEADERS: [(&str, &[u8]); 10] = [
    ("host", b"login.example.com"),
    (
        "user-agent",
        b"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    ),
    (
        "accept",
        b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ),
    ("accept-language", b"en-GB,en;q=0.5"),
    ("accept-encoding", b"gzip, deflate, br, zstd"),
    ("content-type", b"application/x-www-form-urlencoded"),
    ("content-length", b"64"),
    (
        "x-forwarded-for",
        b"198.51.100.23, 192.0.2.44, 203.0.113.7:51234, 10.1.2.3, 172.16.5.6",
    ),
    ("x-forwarded-proto", b"https"),
    ("cookie", b"session=0123456789abcdef0123456789abcdef"),
];

fn zones(c: &mut Criterion) {
    let (set, nets, probes) = fixtures();
    let mut group = c.benchmark_group("zones");

    let mut cycle = Cycle::new(probes.len());
    let mut hits = 0u64;
    let mut looked = 0u64;
    group.bench_function("lookup_100k", |b| {
        b.iter(|| {
            let ip = *probes.get(cycle.next_index())?;
            let found = set.lookup(black_box(ip));
            looked += 1;
            hits += u64::from(found.is_some());
            found.map(IpNet::prefix_len)
        });
    });
    assert!(
        looked > 0 && hits * 2 >= looked - 1 && hits * 2 <= looked + 1,
        "{hits} hits of {looked}"
    );

    let mut cycle = Cycle::new(probes.len());
    group.bench_function("contains_100k", |b| {
        b.iter(|| probes.get(cycle.next_index()).map(|&ip| set.contains(black_box(ip))));
    });

    let trusted = TrustedProxies::parse(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "2001:db8:ff::/48"])
        .unwrap_or_default();
    let peer = IpAddr::V4(Ipv4Addr::new(10, 7, 8, 9));
    let client = trusted.resolve(peer, HEADERS);
    assert_eq!(
        (client.addr, client.source, client.anomaly),
        (
            IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
            ClientIpSource::XForwardedFor,
            None
        )
    );
    group.bench_function("client_ip_5_hops", |b| {
        b.iter(|| trusted.resolve(black_box(peer), black_box(HEADERS)));
    });

    let text = list_text(&nets);
    assert_eq!(IpSet::parse_list(&text).map(|s| s.len()).ok(), Some(set.len()));
    group.sample_size(10);
    group.bench_function("parse_list_100k", |b| {
        b.iter(|| IpSet::parse_list(black_box(&text)).map(|s| s.len()));
    });
    group.finish();
}

criterion_group!(benches, zones);
criterion_main!(benches);
