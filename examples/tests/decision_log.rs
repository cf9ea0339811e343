#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! `--decision-log FILE` end to end, for both services in real processes:
//! challenged and refused requests (the layer's and the handlers') land in
//! the file as masked JSON lines, a `SIGHUP` reload and `--metrics` keep
//! working beside it, and `tollgate score`'s loop replays the lines: under
//! the policy that made them the decisions come out as logged, under an
//! edited policy they change as the edit says.
//!
//! Like `reload`, the test binary runs the services itself (`decision_log
//! --serve axum|actix FLAGS`), so it has its own `main`.

mod common;

use std::path::Path;
use std::time::Instant;

use common::process::{PATIENCE, Service, value};
use common::{login, post, send};
use serde_json::json;
use tollgate::Engine;
use tollgate::policy::Policy;
use tollgate_cli::replay::DecisionRecord;
use tollgate_cli::scoring::{Show, score};

fn main() {
    common::process::test_main(|runtime| {
        #[cfg(unix)]
        for framework in ["axum", "actix"] {
            runtime.block_on(logged_decisions_replay_as_logged(framework));
            println!("test decision_log::{framework}::logged_decisions_replay_as_logged ... ok");
        }
        #[cfg(not(unix))]
        {
            let _ = runtime;
            println!("decision_log: skipped (no SIGHUP on this platform)");
        }
    });
}

/// `examples/demo-policy.toml`: its `demo-blocked` zone denies 203.0.113.0/24.
fn demo_policy() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-policy.toml")).unwrap()
}

/// The demo policy and a zone whose requests are challenged.
fn policy_with_review_zone() -> String {
    format!(
        "{}\n[[zones]]\nname = \"review\"\ncidrs = [\"198.51.100.0/24\"]\naction = \"challenge\"\n",
        demo_policy()
    )
}

/// A request from `ip` behind the trusted proxy.
async fn from(addr: std::net::SocketAddr, ip: &str, path: &str, body: serde_json::Value) -> u16 {
    send(addr, "POST", path, &[("x-forwarded-for", ip)], &body.to_string())
        .await
        .status
}

/// The file's lines once there are `n` of them (the writer is a thread of
/// the service: a line appears shortly after its decision).
fn wait_for_lines(path: &Path, n: usize) -> Vec<String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.len() >= n {
            assert_eq!(lines.len(), n, "{text}");
            return lines;
        }
        assert!(Instant::now() < deadline, "{} of {n} lines:\n{text}", lines.len());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// `lines` replayed under `policy` by `tollgate score`'s loop.
fn replay(policy: &str, lines: &[String]) -> Vec<DecisionRecord> {
    let engine = Engine::new(Policy::from_toml(policy).unwrap()).unwrap();
    let input = lines.join("\n");
    let mut out = Vec::new();
    let summary = score(&engine, input.as_bytes(), &mut out, Show::All, |m| panic!("{m}")).unwrap();
    assert_eq!(summary.replayed, lines.len());
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| DecisionRecord::from_json(l).unwrap())
        .collect()
}

/// What a decision decided: the action, the score and what fired.
fn verdict(decision: &serde_json::Value) -> (String, u64, Vec<(String, String)>) {
    let reasons = decision["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_owned(),
                r["rule"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    (
        decision["action"].as_str().unwrap().to_owned(),
        decision["score"].as_u64().unwrap(),
        reasons,
    )
}

async fn logged_decisions_replay_as_logged(framework: &str) {
    let dir = tempfile::tempdir().unwrap();
    let policy_path = dir.path().join("policy.toml");
    let log_path = dir.path().join("decisions.jsonl");
    let first = policy_with_review_zone();
    std::fs::write(&policy_path, &first).unwrap();
    let service = Service::start(framework, &policy_path, &["--decision-log", log_path.to_str().unwrap()]);
    let addr = service.addr;
    let alice = json!({"username": "alice", "password": "correct-horse"});

    // Refused and challenged by the layer (zones), then an allow that is not logged.
    assert_eq!(from(addr, "203.0.113.7", "/login", alice.clone()).await, 403);
    assert_eq!(from(addr, "198.51.100.7", "/login", alice.clone()).await, 401);
    let email = json!({"username": "alice", "email": "alice@example.com"});
    assert_eq!(from(addr, "198.51.100.8", "/account/email", email).await, 401);
    assert_eq!(login(addr, "alice", "correct-horse").await.status, 200);
    // A handler's throttle: the fourth code to one number within the hour
    // (otp-send-phone, 3/h per number and network).
    let otp = json!({"username": "alice", "phone": "+447700900123", "channel": "sms"});
    for _ in 0..3 {
        assert_eq!(post(addr, "/otp/send", otp.clone()).await.status, 202);
    }
    assert_eq!(post(addr, "/otp/send", otp.clone()).await.status, 429);
    let before_reload = wait_for_lines(&log_path, 4);

    // SIGHUP: the review zone now denies; the log goes on under the new policy.
    let second = first.replace(
        "name = \"review\"\ncidrs = [\"198.51.100.0/24\"]\naction = \"challenge\"",
        "name = \"review\"\ncidrs = [\"198.51.100.0/24\"]\naction = \"deny\"",
    );
    assert_ne!(first, second);
    std::fs::write(&policy_path, &second).unwrap();
    service.signal("HUP");
    service.wait_for("policy reloaded", 0);
    assert_eq!(from(addr, "198.51.100.9", "/login", alice.clone()).await, 403);
    let lines = wait_for_lines(&log_path, 5);
    assert_eq!(lines[..4], before_reload[..]);

    // Masked: no username, address, number, password or code in the file.
    let text = lines.join("\n");
    for clear in [
        "alice",
        "203.0.113.7",
        "198.51.100.7",
        "198.51.100.8",
        "7700900123",
        "correct-horse",
        "123456",
    ] {
        assert!(!text.contains(clear), "{clear} in the decision log:\n{text}");
    }
    let records: Vec<DecisionRecord> = lines.iter().map(|l| DecisionRecord::from_json(l).unwrap()).collect();
    let actions: Vec<&str> = records.iter().map(|r| r.action().unwrap()).collect();
    assert_eq!(
        actions,
        ["deny", "challenge", "challenge", "throttle", "deny"],
        "{text}"
    );
    assert_eq!(records[0].event.ip, Some("203.0.113.0".parse().unwrap()));
    assert_eq!(records[3].phone.as_deref(), Some("+44********23"));
    assert_eq!(records[3].event.phone, None);
    let user = records[3].event.user.as_ref().unwrap().as_str();
    assert!(
        user.len() == 16 && user.bytes().all(|b| b.is_ascii_hexdigit()),
        "{user}"
    );

    // --metrics beside the log: decisions still counted, lines counted.
    let metrics = service.scrape().await;
    assert!(value(&metrics, r#"tollgate_decisions_total{event="login",action="allow"}"#) >= 1.0);
    assert_eq!(
        value(&metrics, r#"tollgate_decisions_total{event="login",action="deny"}"#),
        2.0
    );
    assert_eq!(value(&metrics, "tollgate_decision_log_lines_written_total"), 5.0);
    assert_eq!(value(&metrics, "tollgate_decision_log_lines_dropped_total"), 0.0);
    service.signal("TERM");

    // Each line replayed under the policy that made it: the zones decide
    // as they did. The throttle counted three sends the log does not hold
    // (allowed decisions are not logged): replayed alone, it is allowed.
    let replayed: Vec<DecisionRecord> = replay(&first, &lines[..4])
        .into_iter()
        .chain(replay(&second, &lines[4..]))
        .collect();
    for (i, r) in replayed.iter().enumerate() {
        let logged = verdict(r.logged.as_ref().unwrap());
        if i == 3 {
            assert_eq!(logged.0, "throttle");
            assert_eq!(
                r.action(),
                Some("allow"),
                "counters of allowed traffic are not in the log"
            );
        } else {
            assert_eq!(verdict(&r.decision), logged, "line {i} replays as logged");
            assert_eq!(r.event, records[i].event, "the event is printed as read");
        }
    }

    // An edited policy: the demo's, with the blocked network challenged
    // instead of denied, and no review zone.
    let edited = demo_policy().replace(
        "name = \"demo-blocked\"\ncidrs = [\"203.0.113.0/24\"]\naction = \"deny\"",
        "name = \"demo-blocked\"\ncidrs = [\"203.0.113.0/24\"]\naction = \"challenge\"",
    );
    assert_ne!(edited, demo_policy());
    let under_edit = replay(&edited, &lines);
    let pairs: Vec<(&str, &str)> = under_edit
        .iter()
        .map(|r| (r.logged_action().unwrap(), r.action().unwrap()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("deny", "challenge"),
            ("challenge", "allow"),
            ("challenge", "allow"),
            ("throttle", "allow"),
            ("deny", "allow"),
        ]
    );
}
