//! `tollgate ip`: geo details from MaxMind's test databases, and zone matches.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn tollgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .output()
        .unwrap()
}

/// `$TOLLGATE_TESTDATA/mmdb/test-data`, or `None` (with a notice) when the
/// variable is unset. Set but missing data is a failure.
fn mmdb_dir() -> Option<PathBuf> {
    let Some(root) = std::env::var_os("TOLLGATE_TESTDATA") else {
        eprintln!("skipping: TOLLGATE_TESTDATA unset");
        return None;
    };
    let dir = PathBuf::from(root).join("mmdb/test-data");
    assert!(
        dir.is_dir(),
        "TOLLGATE_TESTDATA is set but {} is missing",
        dir.display()
    );
    Some(dir)
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn city_country_and_flags_from_maxmind_test_data() {
    let Some(dir) = mmdb_dir() else { return };
    let city = dir.join("GeoIP2-City-Test.mmdb");
    let v = json(&tollgate(&["ip", "81.2.69.142", "--mmdb", city.to_str().unwrap()]));
    assert_eq!(v["country"], "GB");
    assert_eq!(v["city"], "London");
    assert_eq!(v["location"]["accuracy_km"], 10);
    assert_eq!(v["is_tor_exit_node"], false);

    let asn = dir.join("GeoLite2-ASN-Test.mmdb");
    let anon = dir.join("GeoIP2-Anonymous-IP-Test.mmdb");
    let v = json(&tollgate(&["ip", "1.128.0.0", "--mmdb", asn.to_str().unwrap()]));
    assert_eq!(v["asn"], 1221);
    assert_eq!(v["org"], "Telstra Pty Ltd");
    let v = json(&tollgate(&["ip", "81.2.69.1", "--mmdb", anon.to_str().unwrap()]));
    for flag in [
        "is_anonymous",
        "is_anonymous_vpn",
        "is_hosting_provider",
        "is_public_proxy",
        "is_residential_proxy",
        "is_tor_exit_node",
    ] {
        assert_eq!(v[flag], true, "{flag}");
    }
}

#[test]
fn zone_matches_from_policy_and_lists() {
    let dir = std::env::temp_dir().join(format!("tollgate-ip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        "[[zones]]\nname = \"office\"\ncidrs = [\"10.0.0.0/8\"]\naction = \"allow\"\n\n\
         [[zones]]\nname = \"drop\"\nlists = [\"spamhaus\"]\naction = \"deny\"\n",
    )
    .unwrap();
    let list = dir.join("drop.txt");
    std::fs::write(&list, "; Spamhaus DROP\n192.0.2.0/24 ; SBL1\n").unwrap();
    let run = |ip: &str| {
        json(&tollgate(&[
            "ip",
            ip,
            "--policy",
            policy.to_str().unwrap(),
            "--list",
            &format!("spamhaus={}", list.display()),
        ]))
    };
    assert_eq!(run("192.0.2.77")["zones"][0]["name"], "drop");
    assert_eq!(run("::ffff:10.1.2.3")["zones"][0]["action"], "allow");
    assert_eq!(run("198.51.100.1")["zones"], Value::Array(vec![]));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    for args in [
        &["ip", "not-an-ip"][..],
        &["ip", "1.2.3.4", "--mmdb", "/nonexistent.mmdb"],
        &["ip", "1.2.3.4", "--list", "no-equals-sign"],
        &["ip", "1.2.3.4", "--mmdb", "/etc/hostname"],
    ] {
        let out = tollgate(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "), "{args:?}");
    }
}
