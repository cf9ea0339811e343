//! `tollgate score` records an outcome line with the decision it made on
//! the event, as an adapter does, so controls that learn from decisions
//! work in a replay.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use tollgate::Engine;
use tollgate::policy::Policy;
use tollgate_cli::scoring::{Show, score};

const HOUR: u64 = 3_600_000;
const T0: u64 = 1_700_000_000_000;

fn line(kind: &str, at: u64, ip: &str, country: &str, outcome: Option<&str>) -> String {
    let outcome = outcome.map(|o| format!(r#","outcome":"{o}""#)).unwrap_or_default();
    format!(
        r#"{{"kind":{kind},"at":{at},"user":"alice","ip":"{ip}","country":"{country}","asn":3320,"device":"laptop"{outcome}}}"#
    )
}

/// The decisions `score` wrote, one JSON value per event line.
fn run(lines: &[String]) -> Vec<serde_json::Value> {
    let engine = Engine::new(Policy::default()).unwrap();
    let input = lines.join("\n");
    let mut out = Vec::new();
    let summary = score(&engine, input.as_bytes(), &mut out, Show::All, |m| panic!("{m:?}")).unwrap();
    assert_eq!(summary.malformed, 0);
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn codes(decision: &serde_json::Value) -> Vec<String> {
    decision["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_change_after_a_risky_replayed_login_is_stepped_up() {
    let login = r#""login""#;
    let mut lines = Vec::new();
    for i in 0..3 {
        lines.push(line(login, T0 + i * HOUR, "203.0.113.7", "DE", None));
        lines.push(line(
            login,
            T0 + i * HOUR + 1_000,
            "203.0.113.7",
            "DE",
            Some("succeeded"),
        ));
    }
    // From abroad: a new country, which makes the login risky. Its outcome
    // line comes a second later and carries no decision.
    lines.push(line(login, T0 + 3 * HOUR, "198.51.100.7", "BR", None));
    lines.push(line(
        login,
        T0 + 3 * HOUR + 1_000,
        "198.51.100.7",
        "BR",
        Some("succeeded"),
    ));
    lines.push(line(
        r#""credential_change","what":"email""#,
        T0 + 3 * HOUR + 60_000,
        "198.51.100.7",
        "BR",
        None,
    ));
    let decisions = run(&lines);
    let abroad = &decisions[3];
    assert!(
        codes(abroad).contains(&"familiarity.new_country".to_owned()),
        "{abroad}"
    );
    let change = &decisions[4];
    assert!(
        codes(change).contains(&"change.after_risky_login".to_owned()),
        "{change}"
    );
    assert_eq!(change["action"], "challenge", "{change}");
}
