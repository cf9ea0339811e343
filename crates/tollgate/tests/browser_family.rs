//! The browser-family check on real handshakes: current Chromium and
//! Firefox ESR captured on a development machine (`tests/data/browsers/`,
//! whose README says how), non-browser TLS stacks captured the same way,
//! and FoxIO's test vectors (under `$TOLLGATE_TESTDATA`).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use tollgate::fingerprint::{ClientHello, Transport};
use tollgate::policy::{FingerprintList, Policy, StructureCheck, fits_shape, parse_shapes};
use tollgate::useragent::BrowserFamily;
use tollgate::{Engine, Event, EventKind, ReasonCode, Timestamp, TlsShape};

const CHROME_UA: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const FIREFOX_UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0";
const SAFARI_UA: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15";

/// (file, JA4 and JA4_r from the `ja4plus` package, GREASE sent)
const CAPTURES: &[(&str, &str, &str, bool)] = &[
    (
        "chromium-156-headless",
        "t13d1517h2_8daaf6152771_cb7bf5808d99",
        "t13d1517h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,ca34,fe0d,ff01_0904,0905,0906,0403,0804,0401,0503,0805,0501,0806,0601",
        true,
    ),
    (
        "chromium-156-headless-first",
        "t13d1517h2_8daaf6152771_cb7bf5808d99",
        "t13d1517h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,ca34,fe0d,ff01_0904,0905,0906,0403,0804,0401,0503,0805,0501,0806,0601",
        true,
    ),
    (
        "firefox-esr-153-headless",
        "t13d1617h2_86a278354501_3cbfd9057e0d",
        "t13d1617h2_002f,0035,009c,009d,1301,1302,1303,c00a,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0017,001b,001c,0022,0023,002b,002d,0033,fe0d,ff01_0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201",
        false,
    ),
    (
        "curl-7.88.1",
        "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6",
        "t13d3112h2_002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,009e,009f,00ff,1301,1302,1303,c009,c00a,c013,c014,c023,c024,c027,c028,c02b,c02c,c02f,c030,cca8,cca9,ccaa_000a,000b,000d,0015,0016,0017,002b,002d,0031,0033_0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,0301,0302,0402,0502,0602",
        false,
    ),
    (
        "python-3.11-urllib",
        "t13d181100_85036bcba153_d41ae481755e",
        "t13d181100_0067,006b,009e,009f,00ff,1301,1302,1303,c023,c024,c027,c028,c02b,c02c,c02f,c030,cca8,cca9_000a,000b,000d,0015,0016,0017,0023,002b,002d,0033_0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,0301,0302,0402,0502,0602",
        false,
    ),
    (
        "java-17-httpclient",
        "t13d3713h2_db35923f8641_7c76daad20ec",
        "t13d3713h2_002f,0032,0033,0035,0038,0039,003c,003d,0040,0067,006a,006b,009c,009d,009e,009f,00a2,00a3,00ff,1301,1302,1303,c009,c00a,c013,c014,c023,c024,c027,c028,c02b,c02c,c02f,c030,cca8,cca9,ccaa_0005,000a,000b,000d,0011,0017,0023,002b,002d,0032,0033_0403,0503,0603,0807,0808,0804,0805,0806,0809,080a,080b,0401,0501,0601,0402,0303,0301,0302,0203,0201,0202",
        false,
    ),
];

fn capture(name: &str) -> ClientHello {
    let path = format!("{}/tests/data/browsers/{name}.bin", env!("CARGO_MANIFEST_DIR"));
    ClientHello::parse(&std::fs::read(path).unwrap()).unwrap()
}

fn shape(name: &str) -> TlsShape {
    capture(name).shape(Transport::Tcp)
}

#[test]
fn captures_give_the_independent_ja4_and_raw_form() {
    for (name, ja4, ja4_r, grease) in CAPTURES {
        let hello = capture(name);
        assert_eq!(hello.ja4(Transport::Tcp).as_str(), *ja4, "{name}");
        assert_eq!(hello.ja4_r(Transport::Tcp), *ja4_r, "{name}");
        let shape = hello.shape(Transport::Tcp);
        assert_eq!(shape.grease(), *grease, "{name}");
        let text = if *grease {
            format!("{ja4_r}+grease")
        } else {
            ja4_r.to_string()
        };
        assert_eq!(shape.to_string(), text, "{name}");
        assert_eq!(text.parse::<TlsShape>().unwrap(), shape, "{name}");
        assert_eq!(
            shape.ja4().as_str(),
            *ja4,
            "{name}: the shape hashes to the hello's JA4"
        );
    }
}

#[test]
fn the_current_browsers_are_not_in_the_table() {
    let table = FingerprintList::parse(tollgate::policy::BUILTIN_BROWSER_FINGERPRINTS).unwrap();
    for (name, ja4, ..) in CAPTURES {
        let fp = ja4.parse().unwrap();
        assert!(
            BrowserFamily::ALL.iter().all(|f| !table.family(*f).contains(&fp)),
            "{name} is in the table: the test would prove nothing"
        );
    }
}

fn login(ua: &str, shape: Option<TlsShape>, ja4: &str) -> Event {
    let mut e = Event::new(EventKind::Login, Timestamp::from_unix_millis(1_700_000_000_000))
        .with_ip("203.0.113.7".parse::<std::net::IpAddr>().unwrap())
        .with_ja4(ja4.parse().unwrap())
        .with_user_agent(ua);
    e.tls_shape = shape;
    e
}

fn mismatch(engine: &Engine, event: &Event) -> bool {
    let d = engine.evaluate(event);
    d.reasons.iter().any(|r| r.code == ReasonCode::FingerprintUaMismatch)
}

fn engine(toml: &str) -> Engine {
    let mut p = Policy::from_toml(toml).unwrap();
    p.limits.clear();
    Engine::new(p).unwrap()
}

#[test]
fn current_browsers_match_their_family_and_nothing_else_does() {
    let e = engine("");
    let uas = [
        (BrowserFamily::Chromium, CHROME_UA),
        (BrowserFamily::Firefox, FIREFOX_UA),
        (BrowserFamily::Safari, SAFARI_UA),
    ];
    for (name, ja4, ..) in CAPTURES {
        let own = match *name {
            n if n.starts_with("chromium") => Some(BrowserFamily::Chromium),
            n if n.starts_with("firefox") => Some(BrowserFamily::Firefox),
            _ => None,
        };
        for (family, ua) in uas {
            let event = login(ua, Some(shape(name)), ja4);
            assert_eq!(
                mismatch(&e, &event),
                own != Some(family),
                "{name} under a {family} user agent"
            );
        }
    }
    // Without its shape the event has only the exact JA4, which no table holds yet.
    let bare = login(CHROME_UA, None, CAPTURES[0].1);
    assert!(mismatch(&e, &bare));
    // The structural check can be turned off: only exact values count then.
    let exact = engine("[fingerprints.structure]\nenabled = false\n");
    assert!(mismatch(
        &exact,
        &login(CHROME_UA, Some(shape(CAPTURES[0].0)), CAPTURES[0].1)
    ));
}

#[test]
fn a_policy_adds_a_seed_shape() {
    // A site whose users run the Java client under a browser user agent
    // (an in-house tool) can say so.
    let (name, ja4, ja4_r, _) = CAPTURES[5];
    let e = engine(&format!(
        "[[fingerprints.browsers]]\nfamily = \"firefox\"\nshapes = [\"{ja4_r}\"]\n"
    ));
    assert!(!mismatch(&e, &login(FIREFOX_UA, Some(shape(name)), ja4)));
    assert!(mismatch(&e, &login(CHROME_UA, Some(shape(name)), ja4)));
}

/// Judges every FoxIO ClientHello against the built-in seeds.
#[test]
fn foxio_vectors_fit_the_family_their_table_row_names() {
    let Ok(dir) = std::env::var("TOLLGATE_TESTDATA") else {
        println!("skipping: TOLLGATE_TESTDATA unset");
        return;
    };
    let text = std::fs::read_to_string(format!("{dir}/ja4/clienthellos.jsonl")).unwrap();
    let table = FingerprintList::parse(tollgate::policy::BUILTIN_BROWSER_FINGERPRINTS).unwrap();
    let seeds = parse_shapes(tollgate::policy::BUILTIN_BROWSER_SHAPES).unwrap();
    let tolerance = StructureCheck::default();
    let (mut in_table, mut fitted_outside) = (0, Vec::new());
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let hex = v["client_hello_hex"].as_str().unwrap();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let transport = if v["transport"] == "quic" {
            Transport::Quic
        } else {
            Transport::Tcp
        };
        let hello = ClientHello::parse(&bytes).unwrap();
        let shape = hello.shape(transport);
        let fits: Vec<BrowserFamily> = BrowserFamily::ALL
            .into_iter()
            .filter(|f| seeds.iter().any(|(sf, s)| sf == f && fits_shape(s, &shape, &tolerance)))
            .collect();
        let ja4 = v["ja4"].as_str().unwrap().parse().unwrap();
        let listed: Vec<BrowserFamily> = BrowserFamily::ALL
            .into_iter()
            .filter(|f| table.family(*f).contains(&ja4))
            .collect();
        if !listed.is_empty() {
            in_table += 1;
            assert_eq!(fits, listed, "{} frame {}: {shape}", v["pcap"], v["frame"]);
        } else if !fits.is_empty() {
            fitted_outside.push((
                v["pcap"].as_str().unwrap().to_owned(),
                v["ja4"].as_str().unwrap().to_owned(),
                fits,
            ));
        }
    }
    assert_eq!(in_table, 170);
    // Outside the table, what fits is Chromium that the exact table misses
    // (resumed sessions with pre_shared_key, hellos without padding, QUIC
    // to other hosts): Chromium's cipher suites, nothing else.
    for (pcap, ja4, fits) in &fitted_outside {
        assert_eq!(fits, &[BrowserFamily::Chromium], "{pcap} {ja4}");
        assert!(ja4.contains("_8daaf6152771_") || ja4.starts_with("q13"), "{pcap} {ja4}");
    }
    println!(
        "{} FoxIO hellos outside the table fit Chromium: {fitted_outside:?}",
        fitted_outside.len()
    );
}

mod learning {
    use super::*;
    use tollgate::{Asn, Outcome};

    /// A release the seeds do not cover, arriving as a bare JA4 (a proxy
    /// that forwards the JA4 only): learning is what can absorb it.
    const RELEASE_JA4: &str = "t13d1518h2_8daaf6152771_0123456789ab";
    const OTHER_JA4: &str = "t13d1519h2_8daaf6152771_ba9876543210";
    const DAY: u64 = 86_400_000;
    /// A UTC midnight: evidence windows are aligned to multiples of their length.
    const BASE: u64 = 19_675 * DAY;

    fn at(ms: u64, user: &str, asn: u32, ja4: &str) -> Event {
        Event::new(EventKind::Login, Timestamp::from_unix_millis(BASE + ms))
            .with_ip("198.51.100.7".parse::<std::net::IpAddr>().unwrap())
            .with_asn(Asn(asn))
            .with_user(user)
            .with_ja4(ja4.parse().unwrap())
            .with_user_agent(CHROME_UA)
    }

    fn flagged(e: &Engine, ms: u64, ja4: &str) -> bool {
        mismatch(e, &at(ms, "someone-new", 64_999, ja4))
    }

    /// `n` accounts sign in successfully, spread round-robin over `networks` ASNs.
    fn sign_ins(e: &Engine, ms: u64, range: std::ops::Range<u32>, networks: u32, ja4: &str) {
        for i in range {
            e.record(&Outcome::succeeded(at(
                ms,
                &format!("user{i}"),
                64_500 + i % networks,
                ja4,
            )));
        }
    }

    #[test]
    fn enough_accounts_from_enough_networks_teach_a_value() {
        let e = engine("");
        assert!(flagged(&e, 0, RELEASE_JA4));
        sign_ins(&e, 0, 0..9, 5, RELEASE_JA4);
        assert!(flagged(&e, 1, RELEASE_JA4), "9 accounts are under the default 10");
        sign_ins(&e, 2, 9..10, 5, RELEASE_JA4);
        assert!(!flagged(&e, 3, RELEASE_JA4));
        // Learned for the family the user agents claimed, not for another.
        let firefox = at(3, "x", 64_999, RELEASE_JA4).with_user_agent(FIREFOX_UA);
        assert!(mismatch(&e, &firefox));
    }

    #[test]
    fn an_imported_login_log_teaches_a_value() {
        let e = engine("");
        for i in 0..10 {
            e.import_login(&at(0, &format!("user{i}"), 64_500 + i % 5, RELEASE_JA4))
                .unwrap();
        }
        assert!(!flagged(&e, 1, RELEASE_JA4));
    }

    #[test]
    fn a_handshake_without_alpn_is_never_learned() {
        // A script's hello (no ALPN) behind a browser user agent, signed in
        // with stolen passwords from many networks: still a script.
        let script = "t13d151600_8daaf6152771_02713d6af862";
        let e = engine("");
        assert!(flagged(&e, 0, script));
        sign_ins(&e, 0, 0..60, 10, script);
        assert!(flagged(&e, 1, script));
    }

    #[test]
    fn one_network_or_failures_teach_nothing() {
        let e = engine("");
        sign_ins(&e, 0, 0..60, 1, RELEASE_JA4);
        assert!(flagged(&e, 1, RELEASE_JA4), "60 accounts on one network");
        sign_ins(&e, 0, 0..4, 4, RELEASE_JA4);
        assert!(flagged(&e, 1, RELEASE_JA4), "5 networks are needed, 4 seen");
        let e = engine("");
        for i in 0..40 {
            e.record(&Outcome::failed(at(
                0,
                &format!("user{i}"),
                64_500 + i % 10,
                RELEASE_JA4,
            )));
        }
        assert!(flagged(&e, 1, RELEASE_JA4), "failed logins");
    }

    #[test]
    fn evidence_ages_out() {
        let e = engine("[fingerprints.learn]\nwindow_hours = 24\n");
        sign_ins(&e, 0, 0..10, 5, RELEASE_JA4);
        assert!(!flagged(&e, DAY / 2, RELEASE_JA4));
        // Still known in the next window (the sets count two), forgotten after.
        assert!(!flagged(&e, DAY + DAY / 2, RELEASE_JA4));
        assert!(flagged(&e, 2 * DAY + DAY / 2, RELEASE_JA4));
        // Fresh evidence keeps a value known.
        sign_ins(&e, 3 * DAY, 0..10, 5, RELEASE_JA4);
        sign_ins(&e, 4 * DAY, 10..20, 5, RELEASE_JA4);
        assert!(!flagged(&e, 5 * DAY + DAY / 2, RELEASE_JA4));
    }

    #[test]
    fn candidates_are_capped_per_family() {
        let e = engine("[fingerprints.learn]\nmax_entries = 1\n");
        sign_ins(&e, 0, 0..10, 5, RELEASE_JA4);
        assert!(!flagged(&e, 1, RELEASE_JA4));
        sign_ins(&e, 2, 10..11, 1, OTHER_JA4);
        assert!(flagged(&e, 3, RELEASE_JA4), "evicted by a newer candidate");
    }

    #[test]
    fn an_http2_mismatch_is_not_excused_and_settings_are_validated() {
        let e = engine(
            "[[fingerprints.browsers]]\nfamily = \"chromium\"\nhttp2 = [\"1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p\"]\n",
        );
        sign_ins(&e, 0, 0..10, 5, RELEASE_JA4);
        let odd_h2 = at(1, "x", 64_999, RELEASE_JA4).with_http2("1:65535|0|0|m,p,a,s".parse().unwrap());
        assert!(mismatch(&e, &odd_h2));
        for bad in [
            "accounts = 0",
            "accounts = 65",
            "networks = 11",
            "window_hours = 0",
            "max_entries = 33",
        ] {
            let err = Policy::from_toml(&format!("[fingerprints.learn]\n{bad}\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("fingerprints.learn."), "{bad}: {err}");
        }
    }
}
