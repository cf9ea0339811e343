//! End-to-end tests of the `tollgate` binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const EXAMPLE: &str = r#"{"kind":"login","at":1700000000000,"ip":"203.0.113.7","user":"alice"}"#;

fn tollgate(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Commands that never read stdin may exit before it is written.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

fn decisions(o: &Output) -> Vec<serde_json::Value> {
    stdout(o).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn score_allows_the_readme_example() {
    let o = tollgate(&["score"], &format!("{EXAMPLE}\n"));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1);
    assert!(out.contains(r#""action":"allow""#), "{out}");
    let d = &decisions(&o)[0];
    assert_eq!(d["score"], 0);
    assert_eq!(d["rate_limit"]["policy"], "login-ip");
}

#[test]
fn score_reads_files_and_pretty_printed_events() {
    let pretty = "{\n  \"kind\": \"otp_send\",\n  \"channel\": \"sms\",\n  \"at\": 1700000000000,\n  \"phone\": \"+447700900123\"\n}\n";
    let path = temp_file("pretty.json", pretty);
    let o = tollgate(&["score", path.to_str().unwrap()], "");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(decisions(&o).len(), 1);
    assert_eq!(decisions(&o)[0]["action"], "allow");
}

#[test]
fn score_throttles_a_burst_from_one_ip() {
    // login-ip allows a burst of 60, then 30 a minute.
    let mut input = String::new();
    for i in 0..70 {
        input.push_str(&format!(
            "{{\"kind\":\"login\",\"at\":1700000000000,\"ip\":\"198.51.100.9\",\"user\":\"u{i}\"}}\n\n"
        ));
    }
    let o = tollgate(&["score", "-"], &input);
    assert!(o.status.success(), "{}", stderr(&o));
    let d = decisions(&o);
    assert_eq!(d.len(), 70);
    let throttled: Vec<_> = d.iter().filter(|d| d["action"] == "throttle").collect();
    assert_eq!(throttled.len(), 10);
    assert!(d[..60].iter().all(|d| d["action"] == "allow"));
    let t = throttled[0];
    assert!(t["retry_after_ms"].as_u64().unwrap() > 0);
    assert_eq!(t["reasons"][0]["code"], "limit.exceeded");
    assert_eq!(t["reasons"][0]["rule"], "login-ip");
}

#[test]
fn score_learns_from_outcomes_and_prints_nothing_for_them() {
    // login-failures-user-ip: 10 failures for one user from one IP block the next attempt.
    let login = r#"{"kind":"login","at":1700000000000,"ip":"198.51.100.20","user":"bob""#;
    let mut input = String::new();
    for _ in 0..10 {
        input.push_str(&format!("{login},\"outcome\":\"failed\"}}\n"));
    }
    input.push_str(&format!("{login}}}\n"));
    let o = tollgate(&["score"], &input);
    assert!(o.status.success(), "{}", stderr(&o));
    let d = decisions(&o);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["action"], "throttle");
    assert_eq!(d[0]["reasons"][0]["rule"], "login-failures-user-ip");
}

#[test]
fn a_malformed_line_is_reported_and_the_rest_still_scored() {
    let input = format!(
        "{EXAMPLE}\n{{\"kind\":\"login\",\"at\":\n{EXAMPLE}\n{{\"kind\":\"login\",\"at\":1,\"usr\":\"x\"}}\n{EXAMPLE}\n"
    );
    let o = tollgate(&["score"], &input);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(decisions(&o).len(), 3);
    let err = stderr(&o);
    assert!(err.contains("line 2"), "{err}");
    assert!(err.contains("line 4") && err.contains("unknown field `usr`"), "{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("error: ")).count(), 2, "{err}");
}

#[test]
fn a_missing_input_file_fails_with_exit_1() {
    let o = tollgate(&["score", "/nonexistent/events.jsonl"], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("error: cannot read /nonexistent/events.jsonl"));
}

#[test]
fn the_default_policy_round_trips() {
    let o = tollgate(&["policy", "default"], "");
    assert!(o.status.success());
    let toml_text = stdout(&o);
    assert!(toml_text.contains("[[limits]]"));
    let path = temp_file("default.toml", &toml_text);
    let path = path.to_str().unwrap();

    let check = tollgate(&["policy", "check", path], "");
    assert!(check.status.success(), "{}", stderr(&check));
    assert_eq!(stdout(&check), "ok: 17 limit rules\n");

    let default = tollgate(&["score"], &format!("{EXAMPLE}\n"));
    let loaded = tollgate(&["score", "--policy", path], &format!("{EXAMPLE}\n"));
    assert!(loaded.status.success(), "{}", stderr(&loaded));
    assert_eq!(stdout(&loaded), stdout(&default));

    // The same policy as JSON, picked by the file name.
    let value: toml::Value = toml::from_str(&toml_text).unwrap();
    let json = temp_file("default.json", &serde_json::to_string(&value).unwrap());
    let check = tollgate(&["policy", "check", json.to_str().unwrap()], "");
    assert_eq!(stdout(&check), "ok: 17 limit rules\n", "{}", stderr(&check));
}

#[test]
fn an_invalid_policy_names_the_offending_field() {
    let bad = "[[limits]]\nname = \"login-ip\"\nevents = [\"login\"]\nkey = [\"ip\"]\nrate = \"30/min\"\nburst = 0\n";
    let path = temp_file("bad.toml", bad);
    let path = path.to_str().unwrap();
    for args in [vec!["policy", "check", path], vec!["score", "--policy", path]] {
        let o = tollgate(&args, &format!("{EXAMPLE}\n"));
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stdout(&o).is_empty());
        let err = stderr(&o);
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains("limits[0].burst"), "{err}");
    }

    let typo = temp_file("typo.toml", "[thresholds.login]\nchallenge = 50\ndenny = 90\n");
    let o = tollgate(&["policy", "check", typo.to_str().unwrap()], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("denny"), "{}", stderr(&o));
}

/// The report with the events/s column (the only one that depends on the
/// machine) removed from the table rows.
const SCENARIOS: [&str; 16] = [
    "legitimate",
    "credential_stuffing",
    "stuffing_browser_fp",
    "otp_pumping",
    "voice_irsf",
    "account_takeover",
    "sms_cap_trip",
    "brute_force",
    "stuffing_pwned",
    "account_dos",
    "stuffing_impersonating",
    "password_spraying",
    "infostealer",
    "spread_pumping",
    "spread_pumping_verified",
    "otp_bot_rotating",
];

fn without_throughput(report: &str) -> String {
    let rows: Vec<&str> = SCENARIOS.iter().copied().chain(["total", "scenario"]).collect();
    report
        .lines()
        .map(|line| {
            let mut words: Vec<&str> = line.split_whitespace().collect();
            if words.first().is_some_and(|w| rows.contains(w)) && !line.starts_with(' ') {
                words.pop();
            }
            words.join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn simulate_reports_every_scenario_and_is_deterministic() {
    let args = ["simulate", "--seed", "1", "--events", "20000"];
    let first = tollgate(&args, "");
    assert!(first.status.success(), "{}", stderr(&first));
    let report = stdout(&first);
    for row in SCENARIOS.iter().chain(&["total"]) {
        let line = report
            .lines()
            .find(|l| l.starts_with(row))
            .unwrap_or_else(|| panic!("{report}"));
        assert!(line.split_whitespace().count() >= 9, "{line}");
    }
    let table = report.lines().skip_while(|l| !l.starts_with("scenario"));
    let rows: Vec<&str> = table.take_while(|l| !l.is_empty()).skip(1).collect();
    assert_eq!(rows.len(), SCENARIOS.len() + 1, "{report}");
    assert!(report.contains("attack success") && report.contains("legit friction"));
    assert!(report.contains("top reasons"));
    // One top-reasons line per scenario, and the takeover and traveller outcomes.
    for scenario in SCENARIOS {
        assert!(
            report.lines().any(|l| l.starts_with(&format!("  {scenario} "))),
            "{report}"
        );
    }
    assert!(report.contains("accounts taken over (login allowed)"), "{report}");
    assert!(report.contains("after a flight today:"), "{report}");
    assert!(
        report.contains("collateral:") && report.contains("bot voice codes placed"),
        "{report}"
    );
    assert!(report.contains("SMS codes asked for from abroad:"), "{report}");
    assert!(report.contains("after a risky login"), "{report}");
    assert!(report.contains("the owner's logins while it ran:"), "{report}");
    assert!(report.contains("logins in sessions with typos:"), "{report}");
    assert!(report.contains("attempts flagged compromised"), "{report}");
    assert!(report.contains("owners refused:"), "{report}");
    assert!(report.contains("warm-up: the members' 7 days before"), "{report}");
    assert!(report.contains("attempts named unknown users"), "{report}");
    assert!(report.contains("vulnerable accounts"), "{report}");
    assert!(report.contains("logins with a stolen password let in"), "{report}");
    assert!(report.contains("right after a bot sign-up"), "{report}");
    assert!(report.contains("a new residential exit there each time"), "{report}");

    let second = tollgate(&args, "");
    assert_eq!(without_throughput(&report), without_throughput(&stdout(&second)));

    let other = tollgate(&["simulate", "--seed", "2", "--events", "20000"], "");
    assert_ne!(without_throughput(&report), without_throughput(&stdout(&other)));
}

#[test]
fn simulate_applies_a_browser_release_and_says_so() {
    let base = ["simulate", "--seed", "1", "--events", "5000"];
    let plain = stdout(&tollgate(&base, ""));
    assert!(!plain.contains("browser release:"), "{plain}");
    let o = tollgate(&[&base[..], &["--browser-release", "12"]].concat(), "");
    assert!(o.status.success(), "{}", stderr(&o));
    let released = stdout(&o);
    assert!(
        released.contains("browser release: from 12:00 UTC") && released.contains("handshake structure and JA4"),
        "{released}"
    );
    let o = tollgate(&[&base[..], &["--browser-release", "12", "--ja4-only"]].concat(), "");
    assert!(stdout(&o).contains("events carry the JA4 only"), "{}", stdout(&o));
    // --ja4-only needs a release; hours stop at 23.
    assert_eq!(
        tollgate(&[&base[..], &["--ja4-only"]].concat(), "").status.code(),
        Some(2)
    );
    assert_eq!(
        tollgate(&[&base[..], &["--browser-release", "24"]].concat(), "")
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn simulate_history_days_make_a_younger_deployment() {
    let base = ["simulate", "--seed", "1", "--events", "3000"];
    let warm_up = |days: &str| {
        let o = tollgate(&[&base[..], &["--history-days", days]].concat(), "");
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
            .lines()
            .find(|l| l.starts_with("warm-up:"))
            .unwrap()
            .to_string()
    };
    assert!(warm_up("0").starts_with("warm-up: none; the engine meets the day with an empty store"));
    let one = warm_up("1");
    assert!(
        one.starts_with("warm-up: the members' 1 day before (") && one.contains("from 2024-03-03T00:00Z"),
        "{one}"
    );
    let events = |line: &str| -> u64 {
        let n = line.split('(').nth(1).unwrap().split(' ').next().unwrap();
        n.replace(',', "").parse().unwrap()
    };
    assert!(events(&warm_up("7")) > 5 * events(&one), "{one}");
    assert_eq!(
        tollgate(&[&base[..], &["--history-days", "8"]].concat(), "")
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn simulate_counts_add_up() {
    let o = tollgate(&["simulate", "--seed", "5", "--events", "5000"], "");
    assert!(o.status.success(), "{}", stderr(&o));
    let report = stdout(&o);
    let numbers = |row: &str| -> Vec<u64> {
        let line = report.lines().find(|l| l.starts_with(row)).unwrap();
        line.split_whitespace()
            .skip(1)
            .take(5)
            .map(|w| w.replace(',', "").parse().unwrap())
            .collect()
    };
    let mut sum = [0u64; 5];
    for row in SCENARIOS {
        let n = numbers(row);
        assert_eq!(n[0], n[1..].iter().sum::<u64>(), "{row}: {n:?}");
        for (s, v) in sum.iter_mut().zip(&n) {
            *s += v;
        }
    }
    assert_eq!(numbers("total"), sum);
}

#[test]
fn simulate_rejects_bad_arguments_and_policies() {
    let o = tollgate(&["simulate", "--events", "lots"], "");
    assert_eq!(o.status.code(), Some(2));
    let o = tollgate(&["simulate", "--policy", "/nonexistent.toml"], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("error: cannot read /nonexistent.toml"));
}

#[test]
fn score_replays_decision_log_lines_and_shows_what_changed() {
    let zone = "[[zones]]\nname = \"z\"\ncidrs = [\"198.51.100.0/24\"]\naction = \"deny\"\n";
    let deny = temp_file("replay-deny.toml", zone);
    let challenge = temp_file("replay-challenge.toml", &zone.replace("\"deny\"", "\"challenge\""));
    let denied = r#"{"event":{"kind":"login","at":1700000000000,"ip":"198.51.100.0","user":"5f0c6a1e2d3b4a59"},"decision":{"action":"deny","score":0,"reasons":[{"code":"zone.match","rule":"z","points":0,"action":"deny","detail":"in zone"}]}}"#;
    let otp = r#"{"event":{"kind":"otp_send","at":1700000000001,"channel":"sms","ip":"203.0.113.0"},"decision":{"action":"challenge","score":50,"reasons":[]},"phone":"+44********23","phone_country":"GB"}"#;
    let input = format!("{denied}\n{otp}\n");

    let same = tollgate(&["score", "--policy", deny.to_str().unwrap()], &input);
    assert!(same.status.success(), "{}", stderr(&same));
    let lines = decisions(&same);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["decision"]["action"], "deny");
    assert_eq!(lines[0]["logged"]["action"], "deny");
    assert_eq!(
        lines[0]["event"]["user"], "5f0c6a1e2d3b4a59",
        "the event is printed as read"
    );
    assert_eq!(
        lines[1]["decision"]["action"], "allow",
        "logged as challenged, allowed under this policy"
    );
    assert_eq!(lines[1]["phone"], "+44********23");
    assert!(
        stderr(&same).contains("replayed 2 decision-log lines: 1 with another action"),
        "{}",
        stderr(&same)
    );

    let edited = tollgate(&["score", "--changed", "--policy", challenge.to_str().unwrap()], &input);
    assert!(edited.status.success(), "{}", stderr(&edited));
    let lines = decisions(&edited);
    assert_eq!(lines.len(), 2, "both changed: {}", stdout(&edited));
    assert_eq!(lines[0]["decision"]["action"], "challenge");
    assert_eq!(lines[0]["logged"]["action"], "deny");

    let unchanged = tollgate(
        &["score", "--changed", "--policy", deny.to_str().unwrap()],
        &format!("{denied}\n"),
    );
    assert!(unchanged.status.success());
    assert_eq!(stdout(&unchanged), "", "--changed prints nothing when nothing changed");
}
