#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! Live policy reload in a real process with a real `SIGHUP`, for both
//! services: an edited policy takes effect without resetting counters or
//! metrics, and a broken one is rejected with its field named while the
//! running policy stays.
//!
//! The services run as child processes of this test binary (`reload
//! --serve axum|actix FLAGS`), through the same `run` the example binaries
//! call, so the test does not depend on example binaries being built and
//! current. Its own `main` (no libtest harness) picks the role.

mod common;

use std::net::SocketAddr;
use std::path::Path;

use common::process::{Service, value};
use common::{login, send};
use tollgate_examples::ops::policy_version;

fn main() {
    common::process::test_main(|runtime| {
        #[cfg(unix)]
        {
            for framework in ["axum", "actix"] {
                runtime.block_on(sighup_reloads_without_resetting(framework));
                println!("test reload::{framework}::sighup_reloads_without_resetting ... ok");
            }
            runtime.block_on(watch_reloads_on_file_change());
            println!("test reload::axum::watch_reloads_on_file_change ... ok");
        }
        #[cfg(not(unix))]
        {
            let _ = runtime;
            println!("reload: skipped (no SIGHUP on this platform)");
        }
    });
}

const ALLOWED_LOGINS: &str = r#"tollgate_decisions_total{event="login",action="allow"}"#;

/// A login from `ip` behind the trusted proxy.
async fn login_from(addr: SocketAddr, ip: &str) -> u16 {
    let body = r#"{"username": "alice", "password": "correct-horse"}"#;
    send(addr, "POST", "/login", &[("x-forwarded-for", ip)], body)
        .await
        .status
}

async fn sighup_reloads_without_resetting(framework: &str) {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    let demo = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-policy.toml")).unwrap();
    std::fs::write(&policy, &demo).unwrap();
    let first = policy_version(demo.as_bytes());
    let service = Service::start(framework, &policy, &[]);
    service.wait_for(&format!("policy version {first} live"), 0);
    let addr = service.addr;

    // Two of bob's three failures (login-failures-user-ip: burst 3).
    for _ in 0..2 {
        assert_eq!(login(addr, "bob", "guess").await.status, 401);
    }
    assert_eq!(login_from(addr, "198.51.100.7").await, 200);
    let before = service.scrape().await;
    let allowed = value(&before, ALLOWED_LOGINS);
    assert!(allowed >= 3.0, "{before}");
    assert_eq!(
        value(&before, &format!(r#"tollgate_policy_info{{version="{first}"}}"#)),
        1.0
    );

    // The edited policy: one more zone.
    let edited =
        format!("{demo}\n[[zones]]\nname = \"reload-added\"\ncidrs = [\"198.51.100.0/24\"]\naction = \"deny\"\n");
    std::fs::write(&policy, &edited).unwrap();
    let second = policy_version(edited.as_bytes());
    service.signal("HUP");
    let line = service.wait_for("policy reloaded", 0);
    assert!(line.contains(&format!("version {second} live")), "{line}");
    assert!(line.contains(&format!("previous_version={first}")), "{line}");
    assert_eq!(login_from(addr, "198.51.100.7").await, 403, "the new zone is in force");
    // bob's third failure, then the throttle: his two earlier failures were kept.
    assert_eq!(login(addr, "bob", "guess").await.status, 401);
    assert_eq!(login(addr, "bob", "battery-staple").await.status, 429);
    let after = service.scrape().await;
    assert!(
        value(&after, ALLOWED_LOGINS) > allowed,
        "metrics kept counting:\n{after}"
    );
    assert!(value(&after, r#"tollgate_decisions_total{event="login",action="deny"}"#) >= 1.0);
    assert!(
        value(
            &after,
            r#"tollgate_reasons_total{code="zone.match",rule="reload-added",mode="enforce"}"#
        ) >= 1.0
    );
    assert_eq!(
        value(&after, &format!(r#"tollgate_policy_info{{version="{second}"}}"#)),
        1.0
    );
    assert!(!after.contains(&first), "only the live version is reported");
    assert_eq!(value(&after, r#"tollgate_policy_reloads_total{result="applied"}"#), 1.0);

    // A policy that does not validate: rejected, field named, the edited one stays.
    std::fs::write(&policy, edited.replacen("burst = 60", "burst = 0", 1)).unwrap();
    service.signal("HUP");
    let line = service.wait_for("policy reload rejected", 0);
    assert!(line.contains("limits[0].burst"), "{line}");
    assert!(line.contains(&format!("version {second} stays live")), "{line}");
    // And one that does not parse.
    std::fs::write(&policy, "[[zones]\n").unwrap();
    service.signal("HUP");
    let line = service.wait_for("policy reload rejected", 1);
    assert!(line.contains("TOML"), "{line}");
    assert_eq!(login_from(addr, "198.51.100.7").await, 403, "the running policy stays");
    let rejected = service.scrape().await;
    assert_eq!(
        value(&rejected, &format!(r#"tollgate_policy_info{{version="{second}"}}"#)),
        1.0
    );
    assert_eq!(
        value(&rejected, r#"tollgate_policy_reloads_total{result="rejected"}"#),
        2.0
    );
    service.signal("TERM");
}

/// With `--watch-policy`, writing the file is enough; a broken write is
/// rejected once, not at every look.
async fn watch_reloads_on_file_change() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    let demo = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-policy.toml")).unwrap();
    std::fs::write(&policy, &demo).unwrap();
    let service = Service::start("axum", &policy, &["--watch-policy"]);
    assert_eq!(login_from(service.addr, "198.51.100.7").await, 200);
    std::fs::write(&policy, demo.replacen("burst = 60", "burst = 0", 1)).unwrap();
    let line = service.wait_for("policy reload rejected", 0);
    assert!(
        line.contains("trigger=\"file change\"") && line.contains("limits[0].burst"),
        "{line}"
    );
    let edited = format!("{demo}\n[[zones]]\nname = \"watched\"\ncidrs = [\"198.51.100.0/24\"]\naction = \"deny\"\n");
    std::fs::write(&policy, &edited).unwrap();
    let line = service.wait_for("policy reloaded", 0);
    assert!(line.contains(&policy_version(edited.as_bytes())), "{line}");
    assert_eq!(login_from(service.addr, "198.51.100.7").await, 403);
    let log = service.log.lock().unwrap().clone();
    assert_eq!(log.matches("policy reload rejected").count(), 1, "{log}");
}
