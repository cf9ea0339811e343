//! Geo lookups against MaxMind's own test databases and the answers MaxMind's
//! reader gives (`$TOLLGATE_TESTDATA/mmdb/expected_lookups.jsonl`), corrupt
//! databases that must fail cleanly, and small synthetic databases for the
//! layouts MaxMind's set does not cover.
#![cfg(feature = "geo")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tollgate::geo::{AnonymousFlags, DbKind, GeoDb, GeoError, GeoSet};
use tollgate::{Asn, Country, Location};

/// `$TOLLGATE_TESTDATA/mmdb`, or `None` (with a notice) when the variable is
/// unset. Set but missing is a failure.
fn mmdb_dir() -> Option<PathBuf> {
    let Some(root) = std::env::var_os("TOLLGATE_TESTDATA") else {
        eprintln!("skipping: TOLLGATE_TESTDATA unset");
        return None;
    };
    let dir = Path::new(&root).join("mmdb");
    assert!(
        dir.join("expected_lookups.jsonl").is_file(),
        "TOLLGATE_TESTDATA is set but {} has no expected_lookups.jsonl",
        dir.display()
    );
    Some(dir)
}

fn open(dir: &Path, name: &str) -> GeoDb {
    let bytes = std::fs::read(dir.join("test-data").join(name)).unwrap();
    GeoDb::from_bytes(bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn str_field(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

const FLAG_NAMES: [&str; 6] = [
    "is_anonymous",
    "is_anonymous_vpn",
    "is_hosting_provider",
    "is_public_proxy",
    "is_residential_proxy",
    "is_tor_exit_node",
];

#[test]
fn expected_lookups_match_maxminds_reader() {
    let Some(dir) = mmdb_dir() else { return };
    let lines = std::fs::read_to_string(dir.join("expected_lookups.jsonl")).unwrap();

    let supported = [
        ("GeoIP2-City-Test.mmdb", DbKind::City),
        ("GeoLite2-City-Test.mmdb", DbKind::City),
        ("GeoIP2-Country-Test.mmdb", DbKind::Country),
        ("GeoLite2-Country-Test.mmdb", DbKind::Country),
        ("GeoLite2-ASN-Test.mmdb", DbKind::Asn),
        ("GeoIP2-ISP-Test.mmdb", DbKind::Isp),
        ("GeoIP2-Anonymous-IP-Test.mmdb", DbKind::AnonymousIp),
        ("GeoIP-Anonymous-Plus-Test.mmdb", DbKind::AnonymousPlus),
        ("GeoIP-Residential-Proxy-Test.mmdb", DbKind::ResidentialProxy),
        ("GeoIP2-IP-Risk-Test.mmdb", DbKind::IpRisk),
    ];
    let mut dbs: HashMap<&str, GeoDb> = HashMap::new();
    for (name, kind) in supported {
        let db = open(&dir, name);
        assert_eq!(db.kind(), kind, "{name} detected as {:?}", db.kind());
        dbs.insert(name, db);
    }

    // Per db: (lines checked, of which misses).
    let mut checked: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    // How many lines had a non-empty expected value, per field.
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut skipped = 0;

    for line in lines.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let name = v["db"].as_str().unwrap();
        let Some(db) = dbs.get(name) else {
            skipped += 1;
            continue;
        };
        let ip: IpAddr = v["ip"].as_str().unwrap().parse().unwrap();
        let rec = &v["record"];
        let ctx = format!("{name} {ip}");

        let details = db.lookup_details(ip).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let info = db.lookup(ip).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(info, details.info, "{ctx}: hot path and details disagree");

        // The network around the address, misses included.
        assert_eq!(
            info.prefix_len.map(u64::from),
            v["prefix_len"].as_u64(),
            "{ctx}: prefix length"
        );

        // Country and city.
        let country = rec["country"]["iso_code"]
            .as_str()
            .map(|c| c.parse::<Country>().unwrap());
        assert_eq!(info.country, country, "{ctx}: country");
        let city = str_field(&rec["city"]["names"]["en"]);
        assert_eq!(details.city, city, "{ctx}: city");

        // Location.
        let loc = &rec["location"];
        match (loc["latitude"].as_f64(), loc["longitude"].as_f64()) {
            (Some(lat), Some(lon)) => {
                let got = info.location.unwrap_or_else(|| panic!("{ctx}: no location"));
                assert!(
                    (got.latitude() - lat).abs() < 1e-9,
                    "{ctx}: latitude {}",
                    got.latitude()
                );
                assert!(
                    (got.longitude() - lon).abs() < 1e-9,
                    "{ctx}: longitude {}",
                    got.longitude()
                );
                let radius = loc["accuracy_radius"].as_u64().unwrap_or(0);
                assert_eq!(u64::from(got.accuracy_km()), radius, "{ctx}: accuracy radius");
                *seen.entry("location").or_default() += 1;
            }
            _ => assert_eq!(info.location, None, "{ctx}: location"),
        }

        // ASN and organisation.
        let asn = rec["autonomous_system_number"]
            .as_u64()
            .map(|n| Asn(u32::try_from(n).unwrap()));
        assert_eq!(info.asn, asn, "{ctx}: asn");
        let org = str_field(&rec["autonomous_system_organization"]).or_else(|| str_field(&rec["organization"]));
        assert_eq!(details.org, org, "{ctx}: org");
        assert_eq!(details.isp, str_field(&rec["isp"]), "{ctx}: isp");

        // Anonymizer flags and details.
        let mut flags = AnonymousFlags::NONE;
        for name in FLAG_NAMES {
            flags.set(
                AnonymousFlags::from_name(name).unwrap(),
                rec[name].as_bool().unwrap_or(false),
            );
        }
        if db.kind() == DbKind::ResidentialProxy && !rec.is_null() {
            flags |= AnonymousFlags::RESIDENTIAL_PROXY;
        }
        assert_eq!(info.anonymous, flags, "{ctx}: flags");
        assert_eq!(
            details.anonymizer_confidence.map(u64::from),
            rec["anonymizer_confidence"].as_u64(),
            "{ctx}: anonymizer_confidence"
        );
        assert_eq!(
            details.provider_name,
            str_field(&rec["provider_name"]),
            "{ctx}: provider_name"
        );
        assert_eq!(
            details.network_last_seen,
            str_field(&rec["network_last_seen"]),
            "{ctx}: network_last_seen"
        );

        if rec.is_null() {
            assert!(
                info.is_empty() && details.city.is_none() && details.org.is_none(),
                "{ctx}: miss"
            );
        }
        for (field, present) in [
            ("country", country.is_some()),
            ("city", city.is_some()),
            ("asn", asn.is_some()),
            ("org", org.is_some()),
            ("flags", !flags.is_empty()),
            ("confidence", details.anonymizer_confidence.is_some()),
        ] {
            if present {
                *seen.entry(field).or_default() += 1;
            }
        }
        let entry = checked.entry(name.to_owned()).or_default();
        entry.0 += 1;
        entry.1 += usize::from(rec.is_null());
    }

    let total: usize = checked.values().map(|c| c.0).sum();
    eprintln!("checked {total} lookups, skipped {skipped} (unsupported dbs): {checked:?}; non-empty fields: {seen:?}");
    // 720 lines; only GeoIP2-Connection-Type's 55 are not ours.
    assert_eq!((total, skipped), (665, 55));
    for (name, _) in supported {
        let (n, misses) = checked[name];
        assert_eq!(misses, 5, "{name}: the 5 addresses that miss");
        assert!(n > misses, "{name}: no hit checked");
    }
    assert_eq!(checked["GeoIP2-City-Test.mmdb"].0, 85);
    assert_eq!(checked["GeoLite2-ASN-Test.mmdb"].0, 85);
    assert_eq!(checked["GeoIP2-Anonymous-IP-Test.mmdb"].0, 25);
    assert_eq!(checked["GeoIP-Residential-Proxy-Test.mmdb"].0, 48);
    assert_eq!(checked["GeoIP-Anonymous-Plus-Test.mmdb"].0, 58);
    for field in ["country", "city", "location", "asn", "org", "flags", "confidence"] {
        assert!(seen.get(field).copied().unwrap_or(0) > 0, "no line had a {field}");
    }
}

#[test]
fn a_set_merges_what_each_database_knows() {
    let Some(dir) = mmdb_dir() else { return };
    // Added out of order: the set consults City before Country before ASN.
    let set: GeoSet = [
        "GeoIP2-Anonymous-IP-Test.mmdb",
        "GeoLite2-ASN-Test.mmdb",
        "GeoIP2-Country-Test.mmdb",
        "GeoIP2-City-Test.mmdb",
        "GeoIP-Residential-Proxy-Test.mmdb",
    ]
    .into_iter()
    .map(|name| open(&dir, name))
    .collect();
    let kinds: Vec<DbKind> = set.databases().map(GeoDb::kind).collect();
    assert_eq!(
        kinds,
        [
            DbKind::City,
            DbKind::Country,
            DbKind::Asn,
            DbKind::AnonymousIp,
            DbKind::ResidentialProxy
        ]
    );

    // London in the City db, all six flags in Anonymous-IP.
    let ip: IpAddr = "81.2.69.160".parse().unwrap();
    let info = set.lookup(ip).unwrap();
    assert_eq!(info.country, Some("GB".parse().unwrap()));
    assert_eq!(info.location, Some(Location::new(51.5142, -0.0931, 100).unwrap()));
    assert_eq!(info.anonymous.names().count(), 6, "{:?}", info.anonymous);
    let details = set.lookup_details(ip).unwrap();
    assert_eq!(details.city.as_deref(), Some("London"));
    assert_eq!(details.info, info);

    // ASN from the ASN db.
    let info = set.lookup("1.128.0.0".parse().unwrap()).unwrap();
    assert_eq!(info.asn, Some(Asn(1221)));
    assert_eq!(
        set.lookup_details("1.128.0.0".parse().unwrap()).unwrap().org.as_deref(),
        Some("Telstra Pty Ltd")
    );

    // A residential proxy.
    let info = set.lookup("1.2.0.4".parse().unwrap()).unwrap();
    assert!(info.anonymous.is_residential_proxy());

    // Nothing anywhere.
    let info = set.lookup("10.0.0.1".parse().unwrap()).unwrap();
    assert!(info.is_empty());
    assert_eq!(info.prefix_len, Some(8));

    // The kind decides what is read: a City database read as Country gives
    // the country alone, on both paths.
    let bytes = std::fs::read(dir.join("test-data/GeoIP2-City-Test.mmdb")).unwrap();
    let as_country = GeoDb::with_kind(bytes, DbKind::Country).unwrap();
    let d = as_country.lookup_details(ip).unwrap();
    assert_eq!(d.info.country, Some("GB".parse().unwrap()));
    assert_eq!((d.info.location, d.city), (None, None));
    assert_eq!(as_country.lookup(ip).unwrap(), d.info);

    // An IPv6 database without an IPv4 subtree still answers in IPv4 bits.
    let bytes = std::fs::read(dir.join("test-data/MaxMind-DB-no-ipv4-search-tree.mmdb")).unwrap();
    let db = GeoDb::with_kind(bytes, DbKind::ResidentialProxy).unwrap();
    let info = db.lookup("1.1.1.1".parse().unwrap()).unwrap();
    assert!(info.prefix_len.is_some_and(|p| p <= 32), "{info:?}");

    // IPv4-mapped IPv6 is the IPv4 address.
    let mapped = set.lookup("::ffff:81.2.69.160".parse().unwrap()).unwrap();
    assert_eq!(mapped, set.lookup(ip).unwrap());
}

#[test]
fn enterprise_records_carry_the_asn_in_traits() {
    let Some(dir) = mmdb_dir() else { return };
    let db = open(&dir, "GeoIP2-Enterprise-Test.mmdb");
    assert_eq!(db.kind(), DbKind::Enterprise);
    // From source-data/GeoIP2-Enterprise-Test.json, ::89.160.20.112/124.
    let d = db.lookup_details("89.160.20.113".parse().unwrap()).unwrap();
    assert_eq!(d.info.country, Some("SE".parse().unwrap()));
    assert_eq!(d.city.as_deref(), Some("Linköping"));
    assert_eq!(d.info.location, Some(Location::new(58.4167, 15.6167, 76).unwrap()));
    assert_eq!(d.info.asn, Some(Asn(29518)));
    assert_eq!(d.org.as_deref(), Some("Bredband2 AB"));
    assert_eq!(d.isp.as_deref(), Some("Bredband2 AB"));
    assert_eq!(d.info.prefix_len, Some(28));
    assert_eq!(db.lookup("89.160.20.113".parse().unwrap()).unwrap(), d.info);
    // No autonomous_system_organization: the organisation stands in.
    let d = db.lookup_details("216.160.83.57".parse().unwrap()).unwrap();
    assert_eq!(
        (d.info.asn, d.org.as_deref()),
        (Some(Asn(209)), Some("Lariat Software"))
    );
}

/// Every `.mmdb` under `dir`, recursively, sorted.
fn mmdb_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "mmdb") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Addresses to try in a database: a fixed handful plus the first networks
/// the database claims to have (as far as its tree can be walked).
fn probe_addresses(bytes: &[u8]) -> Vec<IpAddr> {
    let mut ips: Vec<IpAddr> = [
        "1.1.1.1",
        "81.2.69.142",
        "::1",
        "2001:db8::1",
        "::ffff:1.1.1.1",
        "0.0.0.0",
        "::",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    if let Ok(reader) = maxminddb::Reader::from_source(bytes) {
        if let Ok(networks) = reader.networks(Default::default()) {
            for item in networks.take(64) {
                let Ok(found) = item else { break };
                if let Ok(net) = found.network() {
                    ips.push(net.network());
                    ips.push(net.broadcast());
                }
            }
        }
    }
    ips
}

/// What happened to one file: opened as which kinds, how many lookups
/// failed, whether it verified.
#[derive(Debug, Default)]
struct Outcome {
    open_error: Option<String>,
    lookup_errors: usize,
    lookups: usize,
    verify_error: Option<String>,
}

impl Outcome {
    fn any_error(&self) -> bool {
        self.open_error.is_some() || self.lookup_errors > 0 || self.verify_error.is_some()
    }
}

/// Opens `bytes` as every kind and looks up the probe addresses, hot path and
/// details; then verifies. Never panics, or the test fails.
fn exercise(bytes: &[u8]) -> Outcome {
    let mut out = Outcome::default();
    let ips = probe_addresses(bytes);
    // Detection must not panic either.
    let _ = GeoDb::from_bytes(bytes.to_vec());
    for kind in DbKind::ALL {
        let db = match GeoDb::with_kind(bytes.to_vec(), kind) {
            Ok(db) => db,
            Err(e) => {
                assert!(matches!(e, GeoError::Open(_)), "{e}");
                out.open_error = Some(e.to_string());
                return out;
            }
        };
        for &ip in &ips {
            out.lookups += 2;
            match db.lookup(ip) {
                Ok(info) => {
                    let bits = if ip.is_ipv4() { 32 } else { 128 };
                    assert!(info.prefix_len.is_none_or(|p| p <= bits), "{ip}: {info:?}");
                }
                Err(_) => out.lookup_errors += 1,
            }
            out.lookup_errors += usize::from(db.lookup_details(ip).is_err());
        }
        if let Err(e) = db.verify() {
            out.verify_error = Some(e.to_string());
        }
    }
    out
}

/// Where each corrupt database must fail. The `Verify` ones open and look
/// up without error in MaxMind's own Go reader too (they crashed older C
/// readers); only a full [`GeoDb::verify`] rejects them.
#[derive(Debug, PartialEq)]
enum FailsAt {
    Open,
    Lookup,
    Verify,
}

fn bad_data_expectation(name: &str) -> FailsAt {
    match name {
        "libmaxminddb-deep-array-nesting.mmdb"
        | "libmaxminddb-deep-nesting.mmdb"
        | "libmaxminddb-oversized-array.mmdb"
        | "libmaxminddb-oversized-map.mmdb"
        | "libmaxminddb-separator-record-max-left.mmdb"
        | "libmaxminddb-separator-record-min-left.mmdb"
        | "bad-unicode-in-map-key.mmdb" => FailsAt::Lookup,
        "libmaxminddb-corrupt-search-tree.mmdb"
        | "libmaxminddb-empty-array-last-in-metadata.mmdb"
        | "libmaxminddb-empty-map-last-in-metadata.mmdb"
        | "libmaxminddb-separator-record-min-right.mmdb" => FailsAt::Verify,
        // Every maxminddb-golang file, the marker-only and offset-overflow
        // files, and the valid uint64-max-epoch file, which maxminddb 0.32
        // refuses on purpose: its build_epoch does not fit a SystemTime.
        _ => FailsAt::Open,
    }
}

#[test]
fn corrupt_databases_fail_cleanly() {
    let Some(dir) = mmdb_dir() else { return };
    let files = mmdb_files(&dir.join("bad-data"));
    assert_eq!(files.len(), 21, "bad-data files");
    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let outcome = exercise(&std::fs::read(path).unwrap());
        eprintln!("{name}: {outcome:?}");
        let expected = bad_data_expectation(&name);
        match expected {
            FailsAt::Open => assert!(outcome.open_error.is_some(), "{name}: {outcome:?}"),
            FailsAt::Lookup => {
                assert!(
                    outcome.open_error.is_none() && outcome.lookup_errors > 0,
                    "{name}: {outcome:?}"
                );
                assert!(outcome.verify_error.is_some(), "{name}: {outcome:?}");
            }
            FailsAt::Verify => {
                assert!(
                    outcome.open_error.is_none() && outcome.lookup_errors == 0,
                    "{name}: {outcome:?}"
                );
                assert!(outcome.verify_error.is_some(), "{name}: {outcome:?}");
            }
        }
        if name == "libmaxminddb-uint64-max-epoch.mmdb" {
            assert!(
                outcome.open_error.as_deref().unwrap().contains("build_epoch"),
                "{outcome:?}"
            );
        }
        *tally.entry(format!("{expected:?}")).or_default() += 1;
    }
    eprintln!("bad-data: {tally:?}");
}

#[test]
fn format_test_databases_open_or_fail_cleanly() {
    let Some(dir) = mmdb_dir() else { return };
    let files = mmdb_files(&dir.join("test-data"));
    assert!(files.len() >= 30, "only {} test-data files", files.len());
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).unwrap();
        let outcome = exercise(&bytes);
        eprintln!("{name}: {outcome:?}");
        let broken = name.contains("broken") || name.contains("Broken") || name.contains("Invalid");
        if broken {
            assert!(outcome.any_error(), "{name}: a broken database gave no error");
        } else {
            assert!(outcome.open_error.is_none(), "{name}: {outcome:?}");
            assert!(outcome.verify_error.is_none(), "{name}: {outcome:?}");
        }
        // The format test dbs are not of a geo type: detection says so.
        if name.starts_with("MaxMind-DB-") && !broken {
            assert!(
                matches!(GeoDb::from_bytes(bytes), Err(GeoError::Unsupported { .. })),
                "{name}"
            );
        }
    }
}

/// A minimal MaxMind DB writer for synthetic databases: one search-tree
/// node, so the lower half of the address space (first bit 0) gets `left`
/// and the upper half `right`.
mod writer {
    pub(crate) enum V {
        S(&'static str),
        D(f64),
        U16(u16),
        U32(u32),
        U64(u64),
        B(bool),
        M(Vec<(&'static str, V)>),
        A(Vec<V>),
    }

    fn ctrl(out: &mut Vec<u8>, ty: u8, size: usize) {
        let (small, extra) = if size < 29 {
            (u8::try_from(size).unwrap(), None)
        } else {
            (29, Some(u8::try_from(size - 29).unwrap()))
        };
        if ty <= 7 {
            out.push((ty << 5) | small);
        } else {
            out.extend([small, ty - 7]);
        }
        out.extend(extra);
    }

    fn uint(out: &mut Vec<u8>, ty: u8, v: u64) {
        let bytes = v.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        ctrl(out, ty, 8 - skip);
        out.extend(&bytes[skip..]);
    }

    fn encode(out: &mut Vec<u8>, v: &V) {
        match v {
            V::S(s) => {
                ctrl(out, 2, s.len());
                out.extend(s.as_bytes());
            }
            V::D(d) => {
                ctrl(out, 3, 8);
                out.extend(d.to_be_bytes());
            }
            V::U16(n) => uint(out, 5, u64::from(*n)),
            V::U32(n) => uint(out, 6, u64::from(*n)),
            V::U64(n) => uint(out, 9, *n),
            V::B(b) => ctrl(out, 14, usize::from(*b)),
            V::A(items) => {
                ctrl(out, 11, items.len());
                for v in items {
                    encode(out, v);
                }
            }
            V::M(entries) => {
                ctrl(out, 7, entries.len());
                for (k, v) in entries {
                    encode(out, &V::S(k));
                    encode(out, v);
                }
            }
        }
    }

    pub(crate) fn db(database_type: &'static str, ip_version: u16, left: Option<V>, right: Option<V>) -> Vec<u8> {
        let node_count = 1u32;
        let mut data = Vec::new();
        let pointer = |rec: Option<V>, data: &mut Vec<u8>| match rec {
            None => node_count,
            Some(v) => {
                let at = u32::try_from(data.len()).unwrap() + node_count + 16;
                encode(data, &v);
                at
            }
        };
        let l = pointer(left, &mut data);
        let r = pointer(right, &mut data);
        let mut out = Vec::new();
        out.extend(&l.to_be_bytes()[1..]);
        out.extend(&r.to_be_bytes()[1..]);
        out.extend([0; 16]);
        out.extend(data);
        out.extend(b"\xab\xcd\xefMaxMind.com");
        let meta = V::M(vec![
            ("binary_format_major_version", V::U16(2)),
            ("binary_format_minor_version", V::U16(0)),
            ("build_epoch", V::U64(1_700_000_000)),
            ("database_type", V::S(database_type)),
            ("description", V::M(vec![("en", V::S("synthetic test database"))])),
            ("ip_version", V::U16(ip_version)),
            ("languages", V::A(vec![V::S("en")])),
            ("node_count", V::U32(node_count)),
            ("record_size", V::U16(24)),
        ]);
        encode(&mut out, &meta);
        out
    }
}

use writer::V;

fn low() -> IpAddr {
    "81.2.69.142".parse().unwrap()
}

fn high() -> IpAddr {
    "203.0.113.9".parse().unwrap()
}

#[test]
fn databases_and_sets_are_shared_across_threads() {
    fn check<T: Send + Sync + 'static>() {}
    check::<GeoDb>();
    check::<GeoSet>();
    check::<GeoError>();
}

#[test]
fn ip_location_db_flat_layout() {
    // ip-location-db writes `country_code`, `city` and string coordinates.
    let bytes = writer::db(
        "city ipv4",
        4,
        Some(V::M(vec![
            ("city", V::S("Paris")),
            ("country_code", V::S("FR")),
            ("latitude", V::S("48.8566")),
            ("longitude", V::S("2.3522")),
            ("state1", V::S("Ile-de-France")),
        ])),
        Some(V::M(vec![("country_code", V::S("DE")), ("latitude", V::S(""))])),
    );
    let db = GeoDb::from_bytes(bytes).unwrap();
    assert_eq!(db.kind(), DbKind::City);
    let details = db.lookup_details(low()).unwrap();
    assert_eq!(details.info.country, Some("FR".parse().unwrap()));
    assert_eq!(details.info.location, Some(Location::new(48.8566, 2.3522, 0).unwrap()));
    assert_eq!(details.city.as_deref(), Some("Paris"));
    assert_eq!(details.info.prefix_len, Some(1));
    assert_eq!(db.lookup(low()).unwrap(), details.info);
    // An empty coordinate is no location, not an error.
    let info = db.lookup(high()).unwrap();
    assert_eq!(info.country, Some("DE".parse().unwrap()));
    assert_eq!(info.location, None);

    let asn = writer::db(
        "asn ipv4",
        4,
        Some(V::M(vec![
            ("autonomous_system_number", V::U32(64500)),
            ("autonomous_system_organization", V::S("Example Net")),
        ])),
        None,
    );
    let db = GeoDb::from_bytes(asn).unwrap();
    let details = db.lookup_details(low()).unwrap();
    assert_eq!(details.info.asn, Some(Asn(64500)));
    assert_eq!(details.org.as_deref(), Some("Example Net"));
}

#[test]
fn odd_values_give_no_field_rather_than_a_wrong_one() {
    let bytes = writer::db(
        "GeoIP2-Enterprise",
        4,
        Some(V::M(vec![
            ("country", V::M(vec![("iso_code", V::S("GBR"))])),
            ("location", V::M(vec![("latitude", V::D(51.5))])),
        ])),
        Some(V::M(vec![
            ("country", V::M(vec![("iso_code", V::S("gb"))])),
            (
                "location",
                V::M(vec![("latitude", V::D(123.0)), ("longitude", V::D(0.0))]),
            ),
            ("traits", V::M(vec![("autonomous_system_number", V::U16(64500))])),
        ])),
    );
    let db = GeoDb::from_bytes(bytes.clone()).unwrap();
    // A three-letter code and a latitude without longitude.
    let info = db.lookup(low()).unwrap();
    assert_eq!((info.country, info.location), (None, None));
    // Lower-case code is normalised; a latitude out of range is no location;
    // an Enterprise-style traits ASN of a narrower width still reads.
    let info = db.lookup(high()).unwrap();
    assert_eq!(info.country, Some("GB".parse().unwrap()));
    assert_eq!(info.location, None);
    assert_eq!(info.asn, Some(Asn(64500)));
    assert_eq!(db.lookup_details(high()).unwrap().info, info);
    // Read as a Country database, only the country is.
    let country = GeoDb::with_kind(bytes.clone(), DbKind::Country).unwrap();
    let d = country.lookup_details(high()).unwrap();
    assert_eq!((d.info.country, d.info.asn), (info.country, None));
    assert_eq!(country.lookup(high()).unwrap(), d.info);
    // Read as a City database, `traits` is not looked at.
    let city = GeoDb::with_kind(bytes, DbKind::City).unwrap();
    assert_eq!(city.lookup(high()).unwrap().asn, None);
    assert_eq!(city.lookup_details(high()).unwrap().info.asn, None);
}

#[test]
fn key_order_does_not_change_the_answer() {
    // Unsorted keys: a country map without an ISO code, the location, then a
    // flat country_code. The hot path's early stop must not miss the code.
    let record = || {
        V::M(vec![
            ("country", V::M(vec![("geoname_id", V::U32(1))])),
            (
                "location",
                V::M(vec![
                    ("latitude", V::D(10.0)),
                    ("longitude", V::D(20.0)),
                    ("accuracy_radius", V::U16(5)),
                ]),
            ),
            ("country_code", V::S("NL")),
            ("postal", V::M(vec![("code", V::S("1011"))])),
        ])
    };
    let db = GeoDb::from_bytes(writer::db("GeoIP2-City", 4, Some(record()), Some(record()))).unwrap();
    let info = db.lookup(low()).unwrap();
    assert_eq!(info.country, Some("NL".parse().unwrap()));
    assert_eq!(info.location, Some(Location::new(10.0, 20.0, 5).unwrap()));
    assert_eq!(db.lookup_details(low()).unwrap().info, info);
}

#[test]
fn a_field_of_the_wrong_type_is_a_lookup_error() {
    let bytes = writer::db(
        "GeoLite2-Country",
        4,
        Some(V::M(vec![("country", V::S("GB"))])),
        Some(V::S("not a map")),
    );
    let db = GeoDb::from_bytes(bytes).unwrap();
    for ip in [low(), high()] {
        let err = db.lookup(ip).unwrap_err();
        assert!(
            matches!(
                err,
                GeoError::Lookup {
                    kind: DbKind::Country,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            !err.to_string().contains("81.2"),
            "the message must not echo the address: {err}"
        );
        assert!(db.lookup_details(ip).is_err());
    }
    // The set passes the error on; best effort keeps what the others know.
    let asn = writer::db(
        "GeoLite2-ASN",
        4,
        Some(V::M(vec![("autonomous_system_number", V::U32(64500))])),
        None,
    );
    let set = GeoSet::new().with(db).with(GeoDb::from_bytes(asn).unwrap());
    assert!(set.lookup(low()).is_err());
    let (info, err) = set.lookup_best_effort(low());
    assert_eq!(info.asn, Some(Asn(64500)));
    assert!(matches!(
        err,
        Some(GeoError::Lookup {
            kind: DbKind::Country,
            ..
        })
    ));
    let (info, err) = set.lookup_best_effort("2001:db8::1".parse().unwrap());
    assert!(info.is_empty() && err.is_none());
}

#[test]
fn address_families_and_misses() {
    let bytes = writer::db(
        "GeoLite2-ASN",
        4,
        Some(V::M(vec![("autonomous_system_number", V::U32(64500))])),
        None,
    );
    let db = GeoDb::from_bytes(bytes).unwrap();
    assert_eq!(db.ip_version(), 4);
    // IPv6 in an IPv4-only database: a miss with no prefix, not an error.
    let info = db.lookup("2001:db8::1".parse().unwrap()).unwrap();
    assert!(info.is_empty());
    assert_eq!(info.prefix_len, None);
    // IPv4-mapped IPv6 is looked up as IPv4.
    let mapped = db.lookup("::ffff:81.2.69.142".parse().unwrap()).unwrap();
    assert_eq!(mapped.asn, Some(Asn(64500)));
    assert_eq!(mapped, db.lookup(low()).unwrap());
    // The upper half has no data.
    let miss = db.lookup(high()).unwrap();
    assert!(miss.is_empty());
    assert_eq!(miss.prefix_len, Some(1));

    // An IPv6 database answers both families.
    let v6 = writer::db(
        "GeoLite2-ASN",
        6,
        Some(V::M(vec![("autonomous_system_number", V::U32(64501))])),
        Some(V::M(vec![("autonomous_system_number", V::U32(64502))])),
    );
    let db = GeoDb::from_bytes(v6).unwrap();
    assert_eq!(db.lookup(low()).unwrap().asn, Some(Asn(64501)));
    assert_eq!(db.lookup("8000::1".parse().unwrap()).unwrap().asn, Some(Asn(64502)));
}

#[test]
fn residential_proxy_hits_need_no_fields() {
    let bytes = writer::db(
        "GeoIP-Residential-Proxy",
        4,
        Some(V::M(vec![])),
        Some(V::M(vec![
            ("provider_name", V::S("example")),
            ("is_anonymous", V::B(true)),
        ])),
    );
    let db = GeoDb::from_bytes(bytes).unwrap();
    let info = db.lookup(low()).unwrap();
    assert_eq!(info.anonymous, AnonymousFlags::RESIDENTIAL_PROXY);
    // Other flags in a Residential-Proxy record are not read, on either path.
    let details = db.lookup_details(high()).unwrap();
    assert_eq!(details.info.anonymous, AnonymousFlags::RESIDENTIAL_PROXY);
    assert_eq!(db.lookup(high()).unwrap(), details.info);
    assert_eq!(details.provider_name.as_deref(), Some("example"));
}

#[test]
fn unsupported_types_are_refused_unless_a_kind_is_given() {
    let bytes = writer::db(
        "GeoIP2-Connection-Type",
        4,
        Some(V::M(vec![("connection_type", V::S("Cable/DSL"))])),
        None,
    );
    let err = GeoDb::from_bytes(bytes.clone()).unwrap_err();
    assert!(
        matches!(&err, GeoError::Unsupported { database_type } if database_type == "GeoIP2-Connection-Type"),
        "{err}"
    );
    let db = GeoDb::with_kind(bytes, DbKind::Asn).unwrap();
    assert_eq!(db.database_type(), "GeoIP2-Connection-Type");
    assert!(db.lookup(low()).unwrap().is_empty());
    assert!(db.verify().is_ok());

    for junk in [&b""[..], b"\xab\xcd\xefMaxMind.com", &[0u8; 1024]] {
        assert!(matches!(GeoDb::from_bytes(junk), Err(GeoError::Open(_))));
    }
}
