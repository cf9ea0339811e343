#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! Wrong codes must not lock an account's owner out of verification
//! (issue 13, item 1), in both example services: an attacker who knows
//! alice's username types wrong codes for her from addresses it rotates
//! (each behind the trusted proxy, from a different network); alice then
//! asks for a new code from home and types it right, and gets in; and when
//! the attacker burns the code alice is waiting for, she still types it
//! from home.
//!
//! The servers run the demo policy (`examples/demo-policy.toml`) and trust
//! 127.0.0.1 as their proxy, so `x-forwarded-for` is the client address.

mod common;

use std::net::SocketAddr;

use common::{Reply, send};
use tollgate_examples::demo::DEMO_OTP_CODE;

const ALICE_HOME: &str = "192.0.2.10";
const ALICE_PHONE: &str = "+447700900123";
/// More wrong codes than the per-code attempts (5) and the per-account
/// failure limit (5) allow.
const ATTACKER_GUESSES: u8 = 12;

async fn post_from(addr: SocketAddr, client: &str, path: &str, body: serde_json::Value) -> Reply {
    send(addr, "POST", path, &[("x-forwarded-for", client)], &body.to_string()).await
}

/// The scenario against a server; `label` names the framework in failures.
async fn owner_verifies_after_an_attacker_burns_codes(addr: SocketAddr, label: &str) {
    // Alice has signed in from home before: her network is one the account knows.
    let login = post_from(
        addr,
        ALICE_HOME,
        "/login",
        serde_json::json!({"username": "alice", "password": "correct-horse"}),
    )
    .await;
    assert_eq!(login.status, 200, "{label}: {login:?}");

    // The attacker guesses with no code pending: the report.
    let attacker = burn_codes(addr, 0).await;
    assert_refused_in_the_end(&attacker, label);
    // Alice, from home: a new code, typed right.
    send_code_from_home(addr, label).await;
    verify_from_home(addr, label, &attacker).await;

    // Again, now burning the code alice is waiting for (the guesses name
    // her number, as the service knows it): she still types it from home.
    send_code_from_home(addr, label).await;
    let attacker = burn_codes(addr, 100).await;
    assert_refused_in_the_end(&attacker, label);
    verify_from_home(addr, label, &attacker).await;
}

/// [`ATTACKER_GUESSES`] wrong codes for alice, each from a new network
/// (198.18.0.0/15: benchmarking addresses, in no deny zone), starting at
/// `198.18.{first}.7`; the statuses.
async fn burn_codes(addr: SocketAddr, first: u8) -> Vec<u16> {
    let mut statuses = Vec::new();
    for i in first..first + ATTACKER_GUESSES {
        let client = format!("198.18.{i}.7");
        let reply = post_from(
            addr,
            &client,
            "/otp/verify",
            serde_json::json!({"username": "alice", "code": "000000"}),
        )
        .await;
        statuses.push(reply.status);
    }
    statuses
}

/// The guessing is stopped: wrong codes, then refusals (or step-ups).
fn assert_refused_in_the_end(statuses: &[u16], label: &str) {
    assert!(
        statuses.iter().all(|s| [401, 403, 429].contains(s)),
        "{label}: {statuses:?}"
    );
    assert!(
        statuses.iter().rev().take(3).all(|s| *s == 403 || *s == 429),
        "{label}: the attacker is refused in the end: {statuses:?}"
    );
}

async fn send_code_from_home(addr: SocketAddr, label: &str) {
    let sent = post_from(
        addr,
        ALICE_HOME,
        "/otp/send",
        serde_json::json!({"username": "alice", "phone": ALICE_PHONE, "channel": "sms"}),
    )
    .await;
    assert_eq!(sent.status, 202, "{label}: {sent:?}");
}

async fn verify_from_home(addr: SocketAddr, label: &str, attacker: &[u16]) {
    let verified = post_from(
        addr,
        ALICE_HOME,
        "/otp/verify",
        serde_json::json!({"username": "alice", "code": DEMO_OTP_CODE}),
    )
    .await;
    assert_eq!(
        verified.status, 200,
        "{label}: the owner verifies her code after the attack (attacker saw {attacker:?}): {verified:?}"
    );
}

#[tokio::test]
async fn axum_owner_verifies_a_fresh_code_after_an_attacker_burns_codes() {
    let addr = common::serve_axum(&["127.0.0.1/32"]).await;
    owner_verifies_after_an_attacker_burns_codes(addr, "axum").await;
}

#[tokio::test]
async fn actix_owner_verifies_a_fresh_code_after_an_attacker_burns_codes() {
    let addr = common::serve_actix(&["127.0.0.1/32"]);
    owner_verifies_after_an_attacker_burns_codes(addr, "actix").await;
}
