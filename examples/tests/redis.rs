#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! The example services with `--redis`: instances that share one Redis
//! server, prefix and key secret share one budget. Two instances over
//! Redis throttle at the same total count as one instance; two instances
//! with their own in-process stores give an attacker a budget each. The
//! engines are built from the same flags the examples parse.
//!
//! The tests that need a server read `TOLLGATE_REDIS_URL` and skip
//! without it (printing a notice); each run uses fresh key prefixes.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Parser;
use common::{assert_problem, login, post, serve_actix_on, serve_axum_on};
use tollgate::Engine;
use tollgate_examples::demo::Args;
use tollgate_examples::store::redis_engine;
use tollgate_redis::RedisStore;

/// The secret every instance of one test shares.
const SECRET: &str = "8f1c2a7e9b3d4f6051a2c3e4d5f60718";

fn redis_url() -> Option<String> {
    match std::env::var("TOLLGATE_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            println!("skipping: TOLLGATE_REDIS_URL unset");
            None
        }
    }
}

/// A key prefix no other test, run or process uses.
fn fresh_prefix(test: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!(
        "tgexample:{test}:{}:{nanos}:{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// An instance's engine as `--policy examples/demo-policy.toml --redis URL
/// --redis-prefix PREFIX --key-secret SECRET` builds it. The timeout is
/// generous: the machine is busy, and a call that timed out would be
/// decided locally (`on_failure = "local"`), which the tests would notice.
async fn instance(url: &str, prefix: &str) -> Arc<Engine<RedisStore>> {
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-policy.toml");
    let args = Args::try_parse_from([
        "axum_login",
        "--policy",
        policy.to_str().unwrap(),
        "--redis",
        url,
        "--redis-prefix",
        prefix,
        "--key-secret",
        SECRET,
        "--redis-timeout-ms",
        "1000",
    ])
    .unwrap();
    let (engine, _users) = redis_engine(&args).await.unwrap().expect("--redis given");
    engine
}

/// Wrong passwords for bob, then his right one, sent in turn to each of
/// `instances`: the statuses.
async fn guess_then_login(instances: &[SocketAddr]) -> Vec<u16> {
    let mut statuses = Vec::new();
    for (i, addr) in instances.iter().cycle().take(7).enumerate() {
        let password = if i < 6 { "guess" } else { "battery-staple" };
        let reply = login(*addr, "bob", password).await;
        if reply.status == 429 {
            assert_problem(&reply, 429, "throttled");
            statuses.push(429);
            break;
        }
        statuses.push(reply.status);
    }
    statuses
}

#[tokio::test]
async fn two_instances_over_redis_throttle_at_the_count_of_one() {
    let Some(url) = redis_url() else { return };
    // One instance: three wrong passwords, then the 429.
    let alone = serve_axum_on(instance(&url, &fresh_prefix("alone")).await).await;
    let one = guess_then_login(&[alone]).await;
    assert_eq!(one, [401, 401, 401, 429]);

    // Two instances, their own engines, one Redis: alternating between
    // them, the 429 comes at the same total count.
    let prefix = fresh_prefix("pair");
    let (engine_a, engine_b) = (instance(&url, &prefix).await, instance(&url, &prefix).await);
    let a = serve_axum_on(Arc::clone(&engine_a)).await;
    let b = serve_axum_on(Arc::clone(&engine_b)).await;
    let two = guess_then_login(&[a, b]).await;
    assert_eq!(two, one, "A, B, A answer 401; B's turn is the fourth attempt");
    // A knows too, and another account is unaffected on either.
    assert_problem(&login(a, "bob", "battery-staple").await, 429, "throttled");
    assert_eq!(login(b, "alice", "correct-horse").await.status, 200);
    assert_eq!(login(a, "alice", "correct-horse").await.status, 200);
    // Every call reached Redis: nothing was decided on local counters.
    assert!(engine_a.store_healthy() && engine_b.store_healthy());
}

#[tokio::test]
async fn an_axum_and_an_actix_instance_share_limits_through_redis() {
    let Some(url) = redis_url() else { return };
    let prefix = fresh_prefix("mixed");
    let (engine_a, engine_b) = (instance(&url, &prefix).await, instance(&url, &prefix).await);
    let axum = serve_axum_on(Arc::clone(&engine_a)).await;
    let actix = serve_actix_on(Arc::clone(&engine_b));
    assert_eq!(guess_then_login(&[actix, axum]).await, [401, 401, 401, 429]);

    // Three codes per number and hour, whichever instance sends them.
    let mut statuses = Vec::new();
    for (addr, user) in [(axum, "alice"), (actix, "bob"), (axum, "carol"), (actix, "alice")] {
        let body = serde_json::json!({"username": user, "phone": "+447700900123", "channel": "sms"});
        statuses.push(post(addr, "/otp/send", body).await.status);
    }
    assert_eq!(statuses, [202, 202, 202, 429]);
    assert!(engine_a.store_healthy() && engine_b.store_healthy());
}

#[tokio::test]
async fn instances_with_different_key_secrets_do_not_share() {
    let Some(url) = redis_url() else { return };
    let prefix = fresh_prefix("secrets");
    let a = serve_axum_on(instance(&url, &prefix).await).await;
    // Same server and prefix, another secret: other keys.
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-policy.toml");
    let args = Args::try_parse_from([
        "axum_login",
        "--policy",
        policy.to_str().unwrap(),
        "--redis",
        &url,
        "--redis-prefix",
        &prefix,
        "--key-secret",
        "00000000000000000000000000000001",
        "--redis-timeout-ms",
        "1000",
    ])
    .unwrap();
    let (other, _) = redis_engine(&args).await.unwrap().unwrap();
    let b = serve_axum_on(other).await;
    assert_eq!(guess_then_login(&[a, b]).await, [401, 401, 401, 401, 401, 401, 429]);
}

#[tokio::test]
async fn two_instances_in_memory_give_a_budget_each() {
    // The problem `--redis` solves: each instance counts on its own, so
    // alternating between two doubles the attempts before the 429.
    let a = common::serve_axum(&[]).await;
    let b = common::serve_axum(&[]).await;
    assert_eq!(guess_then_login(&[a, b]).await, [401, 401, 401, 401, 401, 401, 429]);
}

#[tokio::test]
async fn redis_down_at_start_up_still_serves_on_local_counters() {
    // A port nobody listens on: the store connects lazily, so start-up
    // succeeds, and the demo policy's default `[store] on_failure = "local"`
    // decides on this instance's own counters meanwhile.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let engine = instance(&format!("redis://127.0.0.1:{port}/"), &fresh_prefix("down")).await;
    let addr = serve_axum_on(Arc::clone(&engine)).await;
    assert_eq!(guess_then_login(&[addr]).await, [401, 401, 401, 429]);
    assert!(!engine.store_healthy());
}
