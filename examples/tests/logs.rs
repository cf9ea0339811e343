#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! What the example services write to their logs, captured: usernames only
//! as tollgate's keyed hash (the one its observations carry), phone numbers
//! and emails masked, never a password or a code.
//!
//! One test in its own binary: it installs the process-wide subscriber,
//! which the actix worker threads log through too.

mod common;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use common::{login, post};
use tollgate::{Engine, UserId};
use tollgate_examples::demo::DEMO_OTP_CODE;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Everything a service logs about alice and bob: logins right and wrong,
/// an unknown user, a code sent and verified, an email change, a throttle.
async fn exercise(addr: SocketAddr) {
    assert_eq!(login(addr, "alice", "correct-horse").await.status, 200);
    assert_eq!(login(addr, "mallory", "guess").await.status, 401);
    let send = |user: &'static str| {
        post(
            addr,
            "/otp/send",
            serde_json::json!({"username": user, "phone": "+447700900123", "channel": "sms"}),
        )
    };
    assert_eq!(send("alice").await.status, 202);
    let verify = |code: &'static str| {
        post(
            addr,
            "/otp/verify",
            serde_json::json!({"username": "alice", "code": code}),
        )
    };
    assert_eq!(verify("000000").await.status, 401);
    assert_eq!(verify(DEMO_OTP_CODE).await.status, 200);
    let email = post(
        addr,
        "/account/email",
        serde_json::json!({"username": "alice", "email": "alice.smith@example.com"}),
    )
    .await;
    assert_eq!(email.status, 200);
    for _ in 0..3 {
        assert_eq!(login(addr, "bob", "guess").await.status, 401);
    }
    assert_eq!(login(addr, "bob", "battery-staple").await.status, 429);
}

#[tokio::test]
async fn logs_name_users_by_keyed_hash_and_show_no_secret() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .without_time()
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let axum_engine: Arc<Engine> = common::demo_engine(&[]);
    let actix_engine: Arc<Engine> = common::demo_engine(&[]);
    exercise(common::serve_axum_on(axum_engine.clone()).await).await;
    exercise(common::serve_actix_on(actix_engine.clone())).await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let alice = UserId::from("alice");
    for engine in [&axum_engine, &actix_engine] {
        // The code sent and the email change, each under alice's hash.
        let by_hash = format!("user={}", engine.user_hash(&alice));
        assert_eq!(logs.matches(&by_hash).count(), 2, "{by_hash} in {logs}");
    }
    assert_eq!(logs.matches("phone=+44********23").count(), 2, "{logs}");
    assert_eq!(logs.matches("email=a***@example.com").count(), 2, "{logs}");
    assert!(logs.contains("tollgate refused"), "the throttle is logged: {logs}");
    for clear in [
        "alice",
        "bob",
        "mallory",
        "7700900123",
        DEMO_OTP_CODE,
        "000000",
        "correct-horse",
        "battery-staple",
        "guess",
    ] {
        assert!(!logs.contains(clear), "{clear:?} in the logs:\n{logs}");
    }
}
