//! Fingerprint signals through the engine: rules and attached lists, the
//! user-agent/handshake consistency check, and the per-user fingerprint
//! familiarity.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use tollgate::policy::{FingerprintList, Policy};
use tollgate::{Action, Asn, Country, Decision, Engine, Event, EventKind, Outcome, ReasonCode, Timestamp};

const T0: u64 = 1_700_000_000_000;
const HOUR: u64 = 3_600_000;
const CHROME_UA: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36";
const FIREFOX_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0";
const CHROME_JA4: &str = "t13d1516h2_8daaf6152771_02713d6af862";
const FIREFOX_JA4: &str = "t13d1715h2_5b57614c22b0_3d5424432f57";
const GO_JA4: &str = "t13d190900_9dc949149365_97f8aa674fd9";
const PYTHON_JA4: &str = "t13d181000_85036bcba153_d41ae481755e";

/// An engine with the default signals and no limits in the way.
fn engine(toml: &str) -> Engine {
    let mut p = Policy::from_toml(toml).unwrap();
    p.limits.clear();
    Engine::new(p).unwrap()
}

fn login(ms: u64, ja4: &str, ua: &str) -> Event {
    Event::new(EventKind::Login, Timestamp::from_unix_millis(T0 + ms))
        .with_ip("203.0.113.7".parse::<std::net::IpAddr>().unwrap())
        .with_ja4(ja4.parse().unwrap())
        .with_user_agent(ua)
}

fn reason(d: &Decision, code: ReasonCode) -> Option<&tollgate::Reason> {
    d.reasons.iter().find(|r| r.code == code)
}

#[test]
fn a_script_in_a_browser_user_agent_scores_and_a_browser_does_not() {
    let e = engine("");
    let bot = e.evaluate(&login(0, GO_JA4, CHROME_UA));
    let r = reason(&bot, ReasonCode::FingerprintUaMismatch).unwrap();
    assert_eq!((r.points, bot.score, bot.action), (30, 30, Action::Allow));
    assert_eq!(
        r.detail,
        "user agent claims chromium; its JA4 is not a known chromium one"
    );
    let chrome = e.evaluate(&login(0, CHROME_JA4, CHROME_UA));
    assert!(chrome.reasons.is_empty(), "{:?}", chrome.reasons);
    // Firefox's handshake under a Chrome user agent is as wrong as Go's.
    let swapped = e.evaluate(&login(0, FIREFOX_JA4, CHROME_UA));
    assert!(reason(&swapped, ReasonCode::FingerprintUaMismatch).is_some());
    // A client that says what it is is not contradicting itself.
    let honest = e.evaluate(&login(0, PYTHON_JA4, "python-requests/2.31.0"));
    assert!(honest.reasons.is_empty());
}

#[test]
fn the_mismatch_adds_up_with_other_signals_on_sensitive_events() {
    let e = engine("[[asns]]\nname = \"vpn\"\nasns = [64500]\naction = { score = 10 }\n");
    let send = |ja4: &str| {
        Event::new(
            EventKind::OtpSend {
                channel: tollgate::Channel::Sms,
            },
            Timestamp::EPOCH,
        )
        .with_ja4(ja4.parse().unwrap())
        .with_user_agent(CHROME_UA)
        .with_asn(Asn(64500))
    };
    let d = e.evaluate(&send(GO_JA4));
    assert_eq!(
        (d.score, d.action),
        (40, Action::Challenge),
        "otp_send challenges at 40"
    );
    let d = e.evaluate(&send(CHROME_JA4));
    assert_eq!((d.score, d.action), (10, Action::Allow));
}

#[test]
fn deny_and_score_rules_match_inline_values_and_attached_lists() {
    let e = engine(&format!(
        r#"
        [[fingerprints.rules]]
        name = "python"
        events = ["login"]
        ja4 = ["{PYTHON_JA4}"]
        action = {{ score = 20 }}

        [[fingerprints.rules]]
        name = "feed"
        lists = ["bot-feed"]
        action = "deny"
        "#
    ));
    let python = e.evaluate(&login(0, PYTHON_JA4, "python-requests/2.31.0"));
    let r = reason(&python, ReasonCode::FingerprintListed).unwrap();
    assert_eq!((r.rule.as_deref(), r.points), (Some("python"), 20));

    let go = login(0, GO_JA4, "Go-http-client/2.0");
    assert!(e.evaluate(&go).is_allow(), "a list not attached yet matches nothing");
    let feed = FingerprintList::parse("# feed\n\nja4:t13d190900_9dc949149365_97f8aa674fd9 # Go\n").unwrap();
    e.set_fingerprint_list("bot-feed", feed);
    let d = e.evaluate(&go);
    assert_eq!(d.action, Action::Deny);
    assert_eq!(
        reason(&d, ReasonCode::FingerprintListed).unwrap().rule.as_deref(),
        Some("feed")
    );
    // IP lists and fingerprint lists have separate names.
    e.remove_list("bot-feed");
    assert_eq!(e.evaluate(&go).action, Action::Deny);
    e.remove_fingerprint_list("bot-feed");
    assert!(e.evaluate(&go).is_allow());
}

#[test]
fn other_fingerprint_kinds_match_too() {
    let e = engine(
        r#"
        [[fingerprints.rules]]
        name = "kinds"
        ja3 = ["e7d705a3286e19ea42f587b344ee6865"]
        http2 = ["1:65535|0|0|m,p,a,s"]
        header_fp = ["h1:abc"]
        action = "challenge"
        "#,
    );
    let base = || Event::new(EventKind::Login, Timestamp::EPOCH);
    let events = [
        base().with_ja3("e7d705a3286e19ea42f587b344ee6865".parse().unwrap()),
        base().with_http2("1:65535|0|0|m,p,a,s".parse().unwrap()),
        base().with_header_fp("h1:abc".parse().unwrap()),
    ];
    for event in &events {
        assert_eq!(e.evaluate(event).action, Action::Challenge);
    }
    assert!(e.evaluate(&base().with_header_fp("h1:abd".parse().unwrap())).is_allow());
}

#[test]
fn a_trusted_client_skips_the_consistency_check_only() {
    let e = engine(&format!(
        r#"
        [[fingerprints.rules]]
        name = "partner-sdk"
        ja4 = ["{GO_JA4}"]
        action = "trust"

        [[asns]]
        name = "lab"
        asns = [64500]
        action = {{ score = 10 }}
        "#
    ));
    let d = e.evaluate(&login(0, GO_JA4, CHROME_UA).with_asn(Asn(64500)));
    assert!(reason(&d, ReasonCode::FingerprintUaMismatch).is_none());
    let trusted = reason(&d, ReasonCode::FingerprintListed).unwrap();
    assert_eq!((trusted.points, trusted.action), (0, None));
    assert_eq!(d.score, 10, "other signals still count");
}

#[test]
fn monitored_rules_report_without_enforcing() {
    let e = engine(&format!(
        r#"
        [[fingerprints.rules]]
        name = "trial"
        ja4 = ["{GO_JA4}"]
        action = "deny"
        monitor = true
        "#
    ));
    let d = e.evaluate(&login(0, GO_JA4, "Go-http-client/2.0"));
    assert_eq!(d.action, Action::Allow);
    assert_eq!(d.monitored.unwrap().action, Action::Deny);
}

#[test]
fn operators_extend_the_browser_table_in_the_policy_or_with_a_list() {
    let new_chrome = "t13d1517h2_8daaf6152771_eeeeeeeeeeee";
    let e = engine("");
    assert!(
        reason(
            &e.evaluate(&login(0, new_chrome, CHROME_UA)),
            ReasonCode::FingerprintUaMismatch
        )
        .is_some()
    );

    let e = engine(&format!(
        r#"
        [[fingerprints.browsers]]
        family = "chromium"
        ja4 = ["{new_chrome}"]
        "#
    ));
    assert!(e.evaluate(&login(0, new_chrome, CHROME_UA)).reasons.is_empty());
    assert!(
        reason(
            &e.evaluate(&login(0, new_chrome, FIREFOX_UA)),
            ReasonCode::FingerprintUaMismatch
        )
        .is_some(),
        "known for chromium only"
    );

    let e = engine("[fingerprints]\nbrowser_lists = [\"browsers-2026-11\"]\n");
    let list = FingerprintList::parse(&format!("chromium {new_chrome}\n")).unwrap();
    e.set_fingerprint_list("browsers-2026-11", list);
    assert!(e.evaluate(&login(0, new_chrome, CHROME_UA)).reasons.is_empty());

    // Without the built-in table and with nothing added, nothing is judged.
    let e = engine("[fingerprints]\nbuiltin_browsers = false\n");
    assert!(e.evaluate(&login(0, GO_JA4, CHROME_UA)).reasons.is_empty());
}

#[test]
fn an_http2_fingerprint_is_judged_once_the_table_knows_the_familys() {
    let e = engine(
        r#"
        [[fingerprints.browsers]]
        family = "chromium"
        http2 = ["1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p"]
        "#,
    );
    let chrome = login(0, CHROME_JA4, CHROME_UA);
    let good = chrome
        .clone()
        .with_http2("1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p".parse().unwrap());
    assert!(e.evaluate(&good).reasons.is_empty());
    let curl_h2 = chrome.with_http2("1:65535;3:100;4:10485760|1048510465|0|m,p,s,a".parse().unwrap());
    let d = e.evaluate(&curl_h2);
    let r = reason(&d, ReasonCode::FingerprintUaMismatch).unwrap();
    assert!(r.detail.contains("HTTP/2 fingerprint"), "{}", r.detail);
}

#[test]
fn a_new_fingerprint_for_a_user_scores_by_rarity() {
    let e = engine("");
    let at = |ms: u64, ja4: &str, ua: &str| {
        login(ms, ja4, ua)
            .with_user("alice")
            .with_device("laptop")
            .with_country("DE".parse::<Country>().unwrap())
            .with_asn(Asn(3320))
    };
    for i in 0..4 {
        e.record(&Outcome::succeeded(at(i * HOUR, CHROME_JA4, CHROME_UA)));
    }
    assert!(e.evaluate(&at(5 * HOUR, CHROME_JA4, CHROME_UA)).reasons.is_empty());
    let d = e.evaluate(&at(5 * HOUR, FIREFOX_JA4, FIREFOX_UA));
    let r = reason(&d, ReasonCode::NewFingerprint).unwrap();
    assert_eq!(r.points, 10);
    assert_eq!(d.reasons.len(), 1, "{:?}", d.reasons);
    assert!(
        r.detail
            .starts_with("fingerprint seen in 0 of this user's last 4 logins"),
        "{}",
        r.detail
    );

    // Learnt after one success: half the points, times the rarity of
    // Firefox in 1 of 100 logins: 10 × ½ × (1 − 1 % / 5 %) = 4.
    for n in 0..95 {
        e.record(&Outcome::succeeded(
            login(HOUR, CHROME_JA4, CHROME_UA).with_user(format!("u{n}")),
        ));
    }
    e.record(&Outcome::succeeded(at(6 * HOUR, FIREFOX_JA4, FIREFOX_UA)));
    let d = e.evaluate(&at(7 * HOUR, FIREFOX_JA4, FIREFOX_UA));
    assert_eq!(reason(&d, ReasonCode::NewFingerprint).unwrap().points, 4);

    // A failed login teaches nothing.
    e.record(&Outcome::failed(at(8 * HOUR, PYTHON_JA4, "x")));
    let d = e.evaluate(&at(9 * HOUR, PYTHON_JA4, "x"));
    assert_eq!(reason(&d, ReasonCode::NewFingerprint).unwrap().points, 10);
}

#[test]
fn the_fingerprint_feature_falls_back_to_ja3_then_http2() {
    let e = engine("");
    let base = |ms: u64| Event::new(EventKind::Login, Timestamp::from_unix_millis(T0 + ms)).with_user("bob");
    let ja3 = "e7d705a3286e19ea42f587b344ee6865";
    e.record(&Outcome::succeeded(base(0).with_ja3(ja3.parse().unwrap())));
    assert!(
        e.evaluate(&base(HOUR).with_ja3(ja3.parse().unwrap()))
            .reasons
            .is_empty()
    );
    let other = base(HOUR).with_ja3("00000000000000000000000000000000".parse().unwrap());
    assert!(reason(&e.evaluate(&other), ReasonCode::NewFingerprint).is_some());
    let h2 = base(HOUR).with_http2("1:65535|0|0|m,p,a,s".parse().unwrap());
    assert!(reason(&e.evaluate(&h2), ReasonCode::NewFingerprint).is_some());
    assert!(
        e.evaluate(&base(HOUR)).reasons.is_empty(),
        "no fingerprint, nothing to judge"
    );
}

#[test]
fn validation_names_the_field() {
    let field = |toml: &str| Policy::from_toml(toml).unwrap_err().field().map(str::to_owned);
    assert_eq!(
        field("[[fingerprints.rules]]\nname = \"x\"\naction = \"deny\"\n").as_deref(),
        Some("fingerprints.rules[0].ja4")
    );
    assert_eq!(
        field("[[fingerprints.rules]]\nname = \"x\"\nlists = [\"A\"]\naction = \"deny\"\n").as_deref(),
        Some("fingerprints.rules[0].lists")
    );
    assert_eq!(
        field("[[fingerprints.rules]]\nname = \"x\"\nlists = [\"a\"]\naction = { score = 0 }\n").as_deref(),
        Some("fingerprints.rules[0].action")
    );
    let twice = "[[fingerprints.rules]]\nname = \"x\"\nlists = [\"a\"]\naction = \"deny\"\n";
    assert_eq!(field(&twice.repeat(2)).as_deref(), Some("fingerprints.rules[1].name"));
    assert_eq!(
        field("[[fingerprints.browsers]]\nfamily = \"safari\"\n").as_deref(),
        Some("fingerprints.browsers[0].ja4")
    );
    assert_eq!(
        field("[fingerprints]\nbrowser_lists = [\"\"]\n").as_deref(),
        Some("fingerprints.browser_lists")
    );
    assert_eq!(
        field("[points]\nfingerprint_ua_mismatch = 101\n").as_deref(),
        Some("points.fingerprint_ua_mismatch")
    );
    // Typed values are checked by the parser.
    assert!(Policy::from_toml("[[fingerprints.browsers]]\nfamily = \"chrome\"\nja4 = []\n").is_err());
    assert!(Policy::from_toml("[[fingerprints.rules]]\nname = \"x\"\nja4 = [\"nope\"]\naction = \"deny\"\n").is_err());
    assert!(
        Policy::from_toml("[[fingerprints.rules]]\nname = \"x\"\nja4 = []\nlists = [\"a\"]\naction = \"allow\"\n")
            .is_err()
    );
}

#[test]
fn the_section_round_trips_through_toml() {
    let text = format!(
        r#"
        [fingerprints]
        builtin_browsers = false
        browser_lists = ["extra"]

        [[fingerprints.rules]]
        name = "python"
        ja4 = ["{PYTHON_JA4}"]
        action = {{ score = 20 }}

        [[fingerprints.browsers]]
        family = "firefox"
        ja4 = ["{FIREFOX_JA4}"]
        "#
    );
    let p = Policy::from_toml(&text).unwrap();
    assert_eq!(Policy::from_toml(&p.to_toml().unwrap()).unwrap(), p);
    let default = Policy::default();
    assert_eq!(Policy::from_toml(&default.to_toml().unwrap()).unwrap(), default);
}

#[test]
fn list_errors_carry_the_line() {
    let err =
        FingerprintList::parse("# head\nchromium t13d1516h2_8daaf6152771_02713d6af862\nsafari ja3:xyz\n").unwrap_err();
    assert_eq!(err.line(), 3);
    assert!(err.to_string().starts_with("line 3: "), "{err}");
}

#[test]
fn attached_lists_survive_a_policy_swap() {
    let e = engine("");
    e.set_fingerprint_list("bots", FingerprintList::parse(&format!("{GO_JA4}\n")).unwrap());
    let go = login(0, GO_JA4, "Go-http-client/2.0");
    assert!(e.evaluate(&go).is_allow());
    let policy =
        Policy::from_toml("[[fingerprints.rules]]\nname = \"b\"\nlists = [\"bots\"]\naction = \"deny\"\n").unwrap();
    e.set_policy(policy).unwrap();
    assert_eq!(e.evaluate(&go).action, Action::Deny);
}
