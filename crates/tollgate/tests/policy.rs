//! Policies: round trips, defaults, and errors that name the field.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use tollgate::EventType;
use tollgate::policy::{Counts, Dimension, OnExceed, Policy, PolicyError};

#[test]
fn default_round_trips_through_toml_and_json() {
    let default = Policy::default();
    let toml = default.to_toml().unwrap();
    assert_eq!(Policy::from_toml(&toml).unwrap(), default);
    let json = serde_json::to_string_pretty(&default).unwrap();
    assert_eq!(Policy::from_json(&json).unwrap(), default);
}

#[test]
fn omitted_sections_keep_defaults_and_limits_replace_whole() {
    let p = Policy::from_toml("monitor = true").unwrap();
    assert!(p.monitor);
    assert_eq!(p.limits, Policy::default().limits);
    let p = Policy::from_toml(
        r#"
        [[limits]]
        name = "otp-prefix"
        events = ["otp_send"]
        channels = ["sms"]
        key = ["phone_prefix", "header:X-App"]
        rate = "10/15min"
        burst = 10
        counts = "attempts"
        on_exceed = { score = 30 }
        monitor = true
        "#,
    )
    .unwrap();
    assert_eq!(p.limits.len(), 1);
    let rule = &p.limits[0];
    assert_eq!(rule.events, [EventType::OtpSend]);
    assert_eq!(rule.key[1], "header:x-app".parse::<Dimension>().unwrap());
    assert_eq!(rule.on_exceed, OnExceed::Score(30));
    assert_eq!(rule.counts, Counts::Attempts);
    assert_eq!(rule.cost, 1);
    assert_eq!(p.thresholds, Policy::default().thresholds);
}

fn field_of(toml: &str) -> String {
    match Policy::from_toml(toml) {
        Err(PolicyError::Invalid { field, .. }) => field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

const RULE: &str = r#"
[[limits]]
name = "a"
events = ["login"]
key = ["ip"]
rate = "1/min"
burst = 5
"#;

#[test]
fn validation_errors_name_the_offending_field() {
    let cases = [
        ("keys.ipv4_prefix", "[keys]\nipv4_prefix = 33".to_owned()),
        ("keys.ipv6_prefix", "[keys]\nipv6_prefix = 0".to_owned()),
        ("keys.ipv6_host_prefix", "[keys]\nipv6_host_prefix = 129".to_owned()),
        ("keys.phone_prefix_drop", "[keys]\nphone_prefix_drop = 11".to_owned()),
        (
            "thresholds.otp_send",
            "[thresholds.otp_send]\nchallenge = 0\ndeny = 50".to_owned(),
        ),
        (
            "thresholds.login",
            "[thresholds.login]\nchallenge = 95\ndeny = 90".to_owned(),
        ),
        (
            "points.compromised_password",
            "[points]\ncompromised_password = 101".to_owned(),
        ),
        ("limits[0].name", RULE.replace("name = \"a\"", "name = \"Bad Name\"")),
        ("limits[1].name", format!("{RULE}{RULE}")),
        ("limits[0].events", RULE.replace("[\"login\"]", "[]")),
        (
            "limits[0].events",
            RULE.replace("[\"login\"]", "[\"login\", \"login\"]"),
        ),
        ("limits[0].key", RULE.replace("[\"ip\"]", "[]")),
        ("limits[0].key", RULE.replace("[\"ip\"]", "[\"ip\", \"ip\"]")),
        ("limits[0].burst", RULE.replace("burst = 5", "burst = 0")),
        ("limits[0].cost", format!("{RULE}cost = 6")),
        ("limits[0].channels", format!("{RULE}channels = [\"sms\"]")),
        ("limits[0].reset_on_success", format!("{RULE}reset_on_success = true")),
        ("limits[0].on_exceed", format!("{RULE}on_exceed = {{ score = 0 }}")),
        (
            "zones[0].cidrs",
            "[[zones]]\nname = \"z\"\naction = \"deny\"".to_owned(),
        ),
        (
            "zones[0].lists",
            "[[zones]]\nname = \"z\"\nlists = [\"Bad List\"]\naction = \"deny\"".to_owned(),
        ),
        (
            "zones[1].name",
            "[[zones]]\nname = \"z\"\ncidrs = [\"10.0.0.0/8\"]\naction = \"deny\"\n".repeat(2),
        ),
        (
            "countries[0].countries",
            "[[countries]]\nname = \"c\"\ncountries = []\naction = \"deny\"".to_owned(),
        ),
        (
            "countries[0].action",
            "[[countries]]\nname = \"c\"\ncountries = [\"KP\"]\naction = \"allow\"".to_owned(),
        ),
        (
            "asns[0].asns",
            "[[asns]]\nname = \"a\"\nasns = []\naction = \"deny\"".to_owned(),
        ),
        (
            "points.anonymous.is_tor_exit_node",
            "[points.anonymous]\nis_tor_exit_node = 101".to_owned(),
        ),
        (
            "familiarity.history_size",
            "[familiarity]\nhistory_size = 33".to_owned(),
        ),
        ("travel.max_speed_kmh", "[travel]\nmax_speed_kmh = 0".to_owned()),
    ];
    for (field, toml) in cases {
        assert_eq!(field_of(&toml), field, "{toml}");
    }
}

#[test]
fn parse_errors_point_at_the_text() {
    let cases = [
        ("unknown field `limit`", "[[limit]]\nname = \"a\""),
        ("invalid rate \"30/mn\"", &RULE.replace("1/min", "30/mn")),
        ("unknown dimension", &RULE.replace("[\"ip\"]", "[\"ipv4\"]")),
        (
            "unknown variant `sign_up`",
            &RULE.replace("[\"login\"]", "[\"sign_up\"]"),
        ),
        ("invalid type", "monitor = \"yes\""),
        (
            "is not an IP address or CIDR network",
            "[[zones]]\nname = \"z\"\ncidrs = [\"10.0.0.0/33\"]\naction = \"deny\"",
        ),
        (
            "invalid country",
            "[[countries]]\nname = \"c\"\ncountries = [\"KPX\"]\naction = \"deny\"",
        ),
    ];
    for (needle, toml) in cases {
        let msg = Policy::from_toml(toml).unwrap_err().to_string();
        assert!(msg.contains(needle), "{needle:?} not in {msg}");
    }
    let msg = Policy::from_json("{\"monitor\": tru}").unwrap_err().to_string();
    assert!(msg.contains("line 1"), "{msg}");
}
