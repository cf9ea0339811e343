//! `tollgate import`: the binary, without a store (a check) and into the
//! Redis store a deployment then reads (when `TOLLGATE_REDIS_URL` is set),
//! where its concurrent writes must leave what one login after another
//! in process does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::process::{Command, Output};

use tollgate::policy::Policy;
use tollgate::{Engine, Event, EventKind, ReasonCode, RiskSignal, Timestamp};

const SECRET: &str = "000102030405060708090a0b0c0d0e0f";
const T0: u64 = 1_700_006_400_000;
const DAY: u64 = 86_400_000;

/// A week of alice's logins on her laptop at home, a failure, and a line
/// that is no outcome.
fn log() -> String {
    let mut lines: Vec<String> = (0..7)
        .map(|d| {
            format!(
                r#"{{"kind":"login","at":{},"user":"alice","ip":"81.2.3.7","device":"laptop","outcome":"succeeded"}}"#,
                T0 + d * DAY
            )
        })
        .collect();
    lines.push(format!(
        r#"{{"kind":"login","at":{},"user":"alice","ip":"203.0.113.9","outcome":"failed"}}"#,
        T0 + 7 * DAY
    ));
    lines.join("\n") + "\n"
}

fn tollgate(args: &[&str], input: &str, secret: Option<&str>) -> Output {
    // Tests run in parallel: one file per call.
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("{}-{call}-import.jsonl", std::process::id());
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, input).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    command
        .arg("import")
        .args(args)
        .arg(&path)
        .env_remove("TOLLGATE_KEY_SECRET");
    if let Some(secret) = secret {
        command.env("TOLLGATE_KEY_SECRET", secret);
    }
    command.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn without_a_store_the_log_is_checked_and_nothing_written() {
    let out = tollgate(&[], &log(), None);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.starts_with("would import (no --redis: nothing written) 7 successful logins over 6.0 days"),
        "{said}"
    );
    assert!(said.contains("skipped 1 other outcomes"), "{said}");
    let bad = tollgate(&[], &(log() + "{\"kind\":\"login\",\"at\":1,\"user\":\"x\"}\n"), None);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("line 9: an event without an outcome"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn a_full_log_seeds_attack_modes_baselines() {
    // 600 login outcomes on one network in one country: one in 40 names no
    // account, four fail.
    let log: String = (0..600)
        .map(|i| {
            let outcome = match i % 40 {
                0 => "unknown_user",
                1..=4 => "failed",
                _ => "succeeded",
            };
            format!(
                r#"{{"kind":"login","at":{},"user":"m{i}","country":"DE","asn":3320,"outcome":"{outcome}"}}"#,
                T0 + i * 60_000
            ) + "\n"
        })
        .collect();
    let out = tollgate(&["--baselines"], &log, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("would import (no --redis: nothing written) 525 successful logins"),
        "{said}"
    );
    assert!(said.contains("attack mode's baselines: 3 scopes"), "{said}");
    assert!(said.contains("from 600 login outcomes"), "{said}");
    // Without the flag, only the logins.
    assert!(!stderr(&tollgate(&[], &log, None)).contains("baselines"));
}

#[test]
fn a_store_needs_the_deployments_secret() {
    let out = tollgate(&["--redis", "redis://127.0.0.1:1/"], &log(), None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("TOLLGATE_KEY_SECRET is not set"),
        "{}",
        stderr(&out)
    );
}

/// Nothing listens on port 1: the store connects on its first call, which
/// fails, and the import says which logins may be missing.
#[test]
fn a_failing_store_stops_the_import_and_says_from_which_line() {
    let failed_first = format!(
        r#"{{"kind":"login","at":{},"user":"alice","ip":"203.0.113.9","outcome":"failed"}}"#,
        T0 - DAY
    ) + "\n";
    let out = tollgate(
        &["--redis", "redis://127.0.0.1:1/", "--timeout-ms", "500"],
        &(failed_first + &log()),
        Some(SECRET),
    );
    assert_eq!(out.status.code(), Some(1));
    let said = stderr(&out);
    assert!(
        said.starts_with("error: stopped: the login on line 2: store unavailable: "),
        "{said}"
    );
    assert!(
        said.contains("the successful logins before line 2 are in, from line 2 on some may be missing"),
        "{said}"
    );
}

#[test]
fn an_imported_log_is_history_the_deployment_reads() {
    let Ok(url) = std::env::var("TOLLGATE_REDIS_URL") else {
        println!("skipping: TOLLGATE_REDIS_URL unset");
        return;
    };
    let prefix = format!("import-test-{}", std::process::id());
    let out = tollgate(&["--redis", &url, "--prefix", &prefix], &log(), Some(SECRET));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("imported 7 successful logins"),
        "{}",
        stderr(&out)
    );

    let (runtime, engine) = redis_engine(&url, &prefix);
    let login = |device: &str, ip: &str| {
        Event::new(EventKind::Login, Timestamp::from_unix_millis(T0 + 8 * DAY))
            .with_user("alice")
            .with_device(device)
            .with_ip(ip.parse().unwrap())
    };
    let home = runtime.block_on(engine.evaluate_async(&login("laptop", "81.2.3.7")));
    assert!(
        !home.reasons.iter().any(|r| r.code == ReasonCode::NewDevice),
        "{home:?}"
    );
    assert!(!home.signals.contains(RiskSignal::FirstSeenAccount));
    let other = runtime.block_on(engine.evaluate_async(&login("phone", "203.0.113.9")));
    assert!(
        other.reasons.iter().any(|r| r.code == ReasonCode::NewDevice),
        "{other:?}"
    );
}

/// 300 members' logins on their laptops at home over three days, oldest
/// first; on the last day six of them log in twice in a row on a new
/// phone from a new network instead. The day's strangers are 6 of 306
/// (1.96 %: the site is settled, at most 2 %) only if each second login
/// on a phone read the first one's writes; run side by side, both would
/// count (3.9 %).
fn members_log() -> String {
    let mut lines = Vec::new();
    for day in 0..3 {
        for n in 0..300u64 {
            let at = T0 + day * DAY + n * 60_000;
            let mut line = |at: u64, device: &str, ip: &str| {
                lines.push(format!(
                    r#"{{"kind":"login","at":{at},"user":"m{n}","ip":"{ip}","device":"{device}","outcome":"succeeded"}}"#
                ));
            };
            if day == 2 && n % 50 == 7 {
                let ip = format!("203.0.113.{}", 10 + n / 50);
                line(at, &format!("phone{n}"), &ip);
                line(at + 1_000, &format!("phone{n}"), &ip);
            } else {
                line(at, &format!("laptop{n}"), &format!("81.{}.{}.7", n / 250, n % 250));
            }
        }
    }
    lines.join("\n") + "\n"
}

/// The first live day: a stranger to m5, m7 on the phone of the day
/// before, m8 at home, an account the log never had.
fn first_day() -> Vec<Event> {
    let login = |minute: u64, user: &str, device: &str, ip: &str| {
        Event::new(
            EventKind::Login,
            Timestamp::from_unix_millis(T0 + 3 * DAY + minute * 60_000),
        )
        .with_user(user)
        .with_device(device)
        .with_ip(ip.parse().unwrap())
    };
    vec![
        login(1, "m5", "fresh", "203.0.113.9"),
        login(2, "m7", "phone7", "203.0.113.10"),
        login(3, "m8", "laptop8", "81.0.8.7"),
        login(4, "newcomer", "laptop", "81.2.3.7"),
    ]
}

#[test]
fn an_import_into_redis_teaches_what_one_login_after_another_does() {
    let Ok(url) = std::env::var("TOLLGATE_REDIS_URL") else {
        println!("skipping: TOLLGATE_REDIS_URL unset");
        return;
    };
    let log = members_log();
    let prefix = format!("import-members-{}", std::process::id());
    let out = tollgate(&["--redis", &url, "--prefix", &prefix], &log, Some(SECRET));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("imported 906 successful logins"),
        "{}",
        stderr(&out)
    );

    // The same log one login after another, in process.
    let sequential = Engine::new(Policy::default()).unwrap();
    let learn = |e: &Event| sequential.import_login(e).map_err(|e| e.to_string());
    let summary = tollgate_cli::importing::import(log.as_bytes(), learn, |_| {}, |_| {}).unwrap();
    assert_eq!(summary.imported, 906);

    let (runtime, redis) = redis_engine(&url, &prefix);

    let mut decisions = Vec::new();
    for event in first_day() {
        let expected = sequential.evaluate(&event);
        let got = runtime.block_on(redis.evaluate_async(&event));
        assert_eq!(got, expected, "{:?}", event.user);
        decisions.push(got);
    }
    // What the comparison is worth: the day after the log is settled, so
    // the stranger is stepped up; m7's phone is in the history.
    let stranger = decisions[0].reasons.iter().find(|r| r.code == ReasonCode::Stranger);
    assert!(
        stranger.is_some_and(|r| r.detail.contains("the site is settled: strangers were 1.96 %")),
        "{:?}",
        decisions[0]
    );
    let phone = decisions[1].reasons.iter().find(|r| r.code == ReasonCode::NewDevice);
    assert!(
        phone.is_some_and(|r| r.detail.contains("seen in 2 of this user's last 4 logins")),
        "{:?}",
        decisions[1]
    );
    assert!(decisions[3].signals.contains(RiskSignal::FirstSeenAccount));
}

/// An engine over the Redis store the import wrote to, as a service of the
/// deployment reads it, and the runtime to drive it.
fn redis_engine(url: &str, prefix: &str) -> (tokio::runtime::Runtime, Engine<tollgate_redis::RedisStore>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = tollgate_redis::RedisConfig::new(url)
        .prefix(prefix)
        .clock(tollgate_redis::Clock::Event)
        .timeout(std::time::Duration::from_secs(2));
    let store = runtime.block_on(tollgate_redis::RedisStore::connect(config)).unwrap();
    let engine = Engine::builder(Policy::default())
        .store(store)
        .key_secret(SECRET.parse().unwrap())
        .build()
        .unwrap();
    (runtime, engine)
}
