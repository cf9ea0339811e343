//! `geo`: lookups in MaxMind's test databases through `tollgate::geo`.
//!
//! * `geo/bare_lookup`: the search-tree walk alone, no record decoded — the
//!   City database read as a Residential-Proxy database, whose hot path only
//!   asks whether the address has a record. The floor under the others.
//! * `geo/lookup_city`: `GeoDb::lookup` on `GeoIP2-City-Test.mmdb` (country
//!   and location decoded, the rest of the record skipped).
//! * `geo/lookup_asn`: `GeoDb::lookup` on `GeoLite2-ASN-Test.mmdb`.
//! * `geo/lookup_all`: `GeoSet::lookup` on City + ASN + Anonymous-IP, the
//!   set a deployment would run on every event.
//! * `geo/lookup_details_city`: `GeoDb::lookup_details` on the City
//!   database: the owned, slow path for display and logs.
//! * `geo/verify_city`: `GeoDb::verify` on the City database, reported as
//!   throughput to scale to a real file.
//!
//! Each lookup benchmark cycles through a fixed list of addresses, IPv4 and
//! IPv6, about two thirds hits and one third misses. The databases come
//! from `$TOLLGATE_TESTDATA/mmdb/test-data`; without the variable the
//! benchmarks print a notice and exit successfully.

use std::hint::black_box;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput};
use tollgate::geo::{DbKind, GeoDb, GeoSet};
use tollgate_benches::Cycle;

/// City hits (IPv4 and IPv6, from the City test data) and misses.
const CITY_ADDRS: [&str; 16] = [
    "81.2.69.142",
    "2.125.160.216",
    "214.0.1.0",
    "89.160.20.112",
    "216.160.83.56",
    "175.16.199.0",
    "67.43.156.0",
    "81.2.69.160",
    "2001:218::",
    "2a02:d280::",
    "2a02:e480::",
    "10.0.0.1",
    "192.0.2.1",
    "203.0.113.9",
    "::1",
    "2001:db8::1",
];

/// ASN hits and misses.
const ASN_ADDRS: [&str; 12] = [
    "1.0.0.0",
    "12.87.63.255",
    "12.96.0.0",
    "31.127.255.255",
    "38.73.128.0",
    "38.105.0.128",
    "38.108.80.32",
    "50.255.255.255",
    "1.128.0.0",
    "10.0.0.1",
    "192.0.2.1",
    "2001:db8::1",
];

/// Anonymous-IP hits, for the set.
const ANON_ADDRS: [&str; 6] = [
    "1.2.0.0",
    "1.124.213.1",
    "71.160.223.0",
    "186.30.236.0",
    "65.0.0.0",
    "6.1.0.0",
];

fn addrs(list: &[&str]) -> Vec<IpAddr> {
    list.iter().filter_map(|s| s.parse().ok()).collect()
}

fn read(dir: &Path, name: &str) -> Result<Vec<u8>, String> {
    let path = dir.join(name);
    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
}

fn open(dir: &Path, name: &str) -> Result<GeoDb, String> {
    GeoDb::from_bytes(read(dir, name)?).map_err(|e| format!("{name}: {e}"))
}

type Group<'a> = criterion::BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// Benchmarks `f` over `ips`, one address per iteration, cycling.
fn cycle<T>(g: &mut Group<'_>, id: &str, ips: &[IpAddr], f: impl Fn(IpAddr) -> T) {
    let mut at = Cycle::new(ips.len());
    g.bench_function(id, |b| {
        b.iter(|| ips.get(at.next_index()).map(|&ip| black_box(f(black_box(ip)))))
    });
}

/// The databases and address lists, checked: every lookup must succeed, or
/// the numbers would measure an error path.
struct Fixtures {
    city: GeoDb,
    bare: GeoDb,
    asn: GeoDb,
    set: GeoSet,
    city_ips: Vec<IpAddr>,
    asn_ips: Vec<IpAddr>,
    all_ips: Vec<IpAddr>,
}

fn fixtures(dir: &Path) -> Result<Fixtures, String> {
    let f = Fixtures {
        city: open(dir, "GeoIP2-City-Test.mmdb")?,
        bare: GeoDb::with_kind(read(dir, "GeoIP2-City-Test.mmdb")?, DbKind::ResidentialProxy)
            .map_err(|e| e.to_string())?,
        asn: open(dir, "GeoLite2-ASN-Test.mmdb")?,
        set: GeoSet::new()
            .with(open(dir, "GeoIP2-City-Test.mmdb")?)
            .with(open(dir, "GeoLite2-ASN-Test.mmdb")?)
            .with(open(dir, "GeoIP2-Anonymous-IP-Test.mmdb")?),
        city_ips: addrs(&CITY_ADDRS),
        asn_ips: addrs(&ASN_ADDRS),
        all_ips: [&CITY_ADDRS[..], &ASN_ADDRS[..9], &ANON_ADDRS[..]]
            .iter()
            .flat_map(|list| addrs(list))
            .collect(),
    };
    for &ip in &f.all_ips {
        for db in [&f.city, &f.bare, &f.asn] {
            db.lookup(ip).map_err(|e| format!("{ip}: {e}"))?;
        }
        f.set.lookup(ip).map_err(|e| format!("{ip}: {e}"))?;
        f.city.lookup_details(ip).map_err(|e| format!("{ip}: {e}"))?;
    }
    Ok(f)
}

fn bench(c: &mut Criterion, f: &Fixtures) {
    let mut g = c.benchmark_group("geo");
    cycle(&mut g, "bare_lookup", &f.city_ips, |ip| f.bare.lookup(ip).is_ok());
    cycle(&mut g, "lookup_city", &f.city_ips, |ip| f.city.lookup(ip).ok());
    cycle(&mut g, "lookup_asn", &f.asn_ips, |ip| f.asn.lookup(ip).ok());
    cycle(&mut g, "lookup_all", &f.all_ips, |ip| f.set.lookup(ip).ok());
    cycle(&mut g, "lookup_details_city", &f.city_ips, |ip| {
        f.city.lookup_details(ip).ok()
    });
    g.throughput(Throughput::Bytes(f.city.byte_len() as u64));
    g.bench_function("verify_city", |b| b.iter(|| black_box(f.city.verify().is_ok())));
    g.finish();
}

fn testdata() -> Option<PathBuf> {
    std::env::var_os("TOLLGATE_TESTDATA").map(|root| Path::new(&root).join("mmdb").join("test-data"))
}

fn main() {
    let Some(dir) = testdata() else {
        println!("geo benchmarks skipped: TOLLGATE_TESTDATA unset (point it at the test data folder)");
        return;
    };
    let f = match fixtures(&dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("geo benchmarks: {e}");
            std::process::exit(1);
        }
    };
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &f);
    c.final_summary();
}
