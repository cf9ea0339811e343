#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! The `axum_login` example's router behind `axum::serve` on 127.0.0.1,
//! driven by a real HTTP client, with the demo policy
//! (`examples/demo-policy.toml`) the walk-through in
//! `docs/login-service.md` uses. The engine reads the real clock; the
//! policy's limits refill in minutes, so the sequences are deterministic.

mod common;

use std::net::SocketAddr;

use common::{assert_problem, login, post, send};
use tollgate_examples::demo::DEMO_OTP_CODE;

async fn serve_with(trust_proxies: &[&str]) -> SocketAddr {
    common::serve_axum(trust_proxies).await
}

async fn serve() -> SocketAddr {
    serve_with(&[]).await
}

#[tokio::test]
async fn healthz_is_200() {
    let addr = serve().await;
    let reply = send(addr, "GET", "/healthz", &[], "").await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json(), serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn login_ok_is_200_with_rate_limit_fields() {
    let addr = serve().await;
    let reply = login(addr, "alice", "correct-horse").await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json(), serde_json::json!({"status": "ok"}));
    assert!(reply.header("ratelimit-policy").is_some(), "{reply:?}");
    let bob = login(addr, "bob", "battery-staple").await;
    assert_eq!(bob.status, 200, "{bob:?}");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_are_the_same_401() {
    let addr = serve().await;
    let wrong = login(addr, "alice", "wrong").await;
    let unknown = login(addr, "nobody-here", "wrong").await;
    assert_eq!(wrong.status, 401, "{wrong:?}");
    assert_eq!(wrong.json(), serde_json::json!({"status": "invalid_credentials"}));
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    assert_eq!(wrong.header("content-type"), unknown.header("content-type"));
}

#[tokio::test]
async fn repeated_failures_throttle_with_retry_after_then_the_owner_is_still_throttled_from_here() {
    let addr = serve().await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(login(addr, "bob", "guess").await.status);
    }
    assert_eq!(statuses, [401, 401, 401]);
    // The fourth attempt never reaches the password check: even the right
    // password gets the 429 (tollgate evaluates first).
    let throttled = login(addr, "bob", "battery-staple").await;
    assert_problem(&throttled, 429, "throttled");
    let retry: u64 = throttled.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
    assert!(throttled.header("ratelimit").is_some(), "{throttled:?}");

    // An unknown user is throttled the same way: nothing tells them apart.
    for _ in 0..3 {
        assert_eq!(login(addr, "nobody-here", "guess").await.status, 401);
    }
    let unknown = login(addr, "nobody-here", "guess").await;
    assert_problem(&unknown, 429, "throttled");
    assert_eq!(unknown.body, throttled.body);

    // Another account from the same address is unaffected.
    assert_eq!(login(addr, "alice", "correct-horse").await.status, 200);
}

#[tokio::test]
async fn deny_zone_behind_a_trusted_proxy_is_403_problem_json() {
    let addr = serve_with(&["127.0.0.1/32"]).await;
    let xff = [("x-forwarded-for", "203.0.113.7")];
    let body = r#"{"username":"alice","password":"correct-horse"}"#;
    let denied = send(addr, "POST", "/login", &xff, body).await;
    assert_problem(&denied, 403, "denied");
    let email = send(
        addr,
        "POST",
        "/account/email",
        &xff,
        r#"{"username":"alice","email":"a@example.com"}"#,
    )
    .await;
    assert_problem(&email, 403, "denied");
    // Another forwarded client is fine.
    let ok = send(addr, "POST", "/login", &[("x-forwarded-for", "198.51.100.7")], body).await;
    assert_eq!(ok.status, 200, "{ok:?}");
}

#[tokio::test]
async fn spoofed_forwarded_for_and_fingerprints_from_an_untrusted_peer_are_ignored() {
    let addr = serve().await;
    let headers = [
        ("x-forwarded-for", "203.0.113.7"),
        ("x-ja4", "t13d1516h2_8daaf6152771_02713d6af862"),
    ];
    let body = r#"{"username":"alice","password":"correct-horse"}"#;
    let reply = send(addr, "POST", "/login", &headers, body).await;
    assert_eq!(
        reply.status, 200,
        "the deny zone is not reached by a spoofed header: {reply:?}"
    );
}

#[tokio::test]
async fn otp_send_to_one_number_throttles() {
    let addr = serve().await;
    let send_to = |user: &'static str, channel: &'static str| {
        post(
            addr,
            "/otp/send",
            serde_json::json!({"username": user, "phone": "+447700900123", "channel": channel}),
        )
    };
    let mut statuses = Vec::new();
    for (user, channel) in [("alice", "sms"), ("bob", "voice"), ("nobody-here", "sms")] {
        let reply = send_to(user, channel).await;
        if reply.status == 202 {
            assert_eq!(reply.json(), serde_json::json!({"status": "sent"}));
        }
        statuses.push(reply.status);
    }
    assert_eq!(statuses, [202, 202, 202], "unknown users get the same 202");
    let throttled = send_to("carol", "sms").await;
    assert_problem(&throttled, 429, "throttled");
    assert!(throttled.header("retry-after").is_some());

    // Another number is fine; a malformed one is a 400.
    let other = post(
        addr,
        "/otp/send",
        serde_json::json!({"username": "alice", "phone": "+447700900999", "channel": "sms"}),
    )
    .await;
    assert_eq!(other.status, 202, "{other:?}");
    let bad = post(
        addr,
        "/otp/send",
        serde_json::json!({"username": "alice", "phone": "07700 900999", "channel": "sms"}),
    )
    .await;
    assert_eq!(bad.status, 400, "{bad:?}");
    let bad_channel = post(
        addr,
        "/otp/send",
        serde_json::json!({"username": "alice", "phone": "+447700900999", "channel": "pigeon"}),
    )
    .await;
    assert_eq!(bad_channel.status, 400, "{bad_channel:?}");
}

#[tokio::test]
async fn otp_verify_accepts_the_sent_code_once_and_throttles_guessing() {
    let addr = serve().await;
    let verify = |user: &'static str, code: &'static str| {
        post(addr, "/otp/verify", serde_json::json!({"username": user, "code": code}))
    };
    assert_eq!(verify("alice", DEMO_OTP_CODE).await.status, 401, "nothing sent yet");
    let sent = post(
        addr,
        "/otp/send",
        serde_json::json!({"username": "alice", "phone": "+15555550100", "channel": "sms"}),
    )
    .await;
    assert_eq!(sent.status, 202, "{sent:?}");
    let wrong = verify("alice", "000000").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json(), serde_json::json!({"status": "invalid_code"}));
    let unknown = verify("nobody-here", "000000").await;
    assert_eq!((unknown.status, &unknown.body), (wrong.status, &wrong.body));
    let ok = verify("alice", DEMO_OTP_CODE).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(ok.json(), serde_json::json!({"status": "ok"}));
    assert_eq!(verify("alice", DEMO_OTP_CODE).await.status, 401, "used up");

    // Guessing bob's code: five failures, then the code is burnt: 403 until
    // a new one is sent.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(verify("bob", "111111").await.status);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 403]);
}

#[tokio::test]
async fn email_change_works_then_a_burst_of_changes_is_challenged() {
    let addr = serve().await;
    let change = |email: &'static str| {
        post(
            addr,
            "/account/email",
            serde_json::json!({"username": "carol", "email": email}),
        )
    };
    for email in ["c1@example.com", "c2@example.com", "c3@example.com"] {
        let reply = change(email).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.json(), serde_json::json!({"status": "ok"}));
    }
    let challenged = change("c4@example.com").await;
    assert_problem(&challenged, 401, "challenge");
    assert_eq!(challenged.header("cache-control"), Some("no-store"));
    assert!(challenged.json()["challenge"]["methods"].is_array());

    let bad = change("not-an-email").await;
    assert_eq!(bad.status, 400, "{bad:?}");
    assert_eq!(bad.json(), serde_json::json!({"status": "invalid_request"}));
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let addr = serve().await;
    let reply = send(addr, "POST", "/login", &[], "not json").await;
    assert_eq!(reply.status, 400, "{reply:?}");
    assert_eq!(reply.json(), serde_json::json!({"status": "invalid_request"}));
    let missing = send(addr, "POST", "/login", &[], r#"{"username":"alice"}"#).await;
    assert_eq!(missing.status, 400, "{missing:?}");
}

/// The login handler hands tollgate the password's SHA-1 and reports
/// unknown users as such: one password failing on many accounts (here
/// three, mostly accounts that do not exist) steps up every login with it,
/// the owner's too, and no other password.
#[tokio::test]
async fn a_sprayed_password_is_stepped_up_for_every_account() {
    let mut policy = tollgate::policy::Policy::default();
    policy.limits.clear();
    policy.stuffing.clear();
    policy.spraying.distinct_accounts = 3;
    let engine = std::sync::Arc::new(tollgate::Engine::new(policy).unwrap());
    let addr = common::serve_axum_on(std::sync::Arc::clone(&engine)).await;
    for user in ["bob", "nobody-1", "nobody-2"] {
        assert_eq!(login(addr, user, "Winter2026!").await.status, 401);
    }
    let sprayed = login(addr, "alice", "Winter2026!").await;
    assert_problem(&sprayed, 401, "challenge");
    assert_eq!(sprayed.json()["challenge"]["step_up"], "second_factor", "{sprayed:?}");
    assert_eq!(login(addr, "alice", "correct-horse").await.status, 200);
}
