#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! The layer and the Guard over a counter store that is down (a fake
//! `AsyncStore` that waits a turn, then fails): what each
//! `[store] on_failure` mode answers, in process through `oneshot`.

use std::sync::Arc;

use axum::body::Body;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use http::{Request, StatusCode};
use tollgate::policy::Policy;
use tollgate::store::{AsyncStore, Op, OpResult, StoreError};
use tollgate::{Engine, EventKind, Timestamp};
use tollgate_axum::{Guard, PeerAddr, Refusal};
use tower::ServiceExt;

/// A store whose every call fails after yielding once, as a timed-out
/// network call would.
#[derive(Debug)]
struct Down;

impl AsyncStore for Down {
    async fn execute(&self, _at: Timestamp, _ops: &[Op], _results: &mut [OpResult]) -> Result<(), StoreError> {
        tokio::task::yield_now().await;
        Err(StoreError::Unavailable("connection refused".into()))
    }
}

#[derive(serde::Deserialize)]
struct Login {
    username: String,
}

async fn login(guard: Guard<Down>, Json(body): Json<Login>) -> Result<impl IntoResponse, Refusal> {
    let admitted = guard
        .evaluate_async(EventKind::Login, |e| e.with_user(body.username.as_str()))
        .await?;
    guard.login_succeeded_async(&body.username).await;
    let codes: Vec<&str> = admitted.decision().reasons.iter().map(|r| r.code.as_str()).collect();
    Ok(codes.join(","))
}

fn app(store_section: &str) -> (Router, Arc<Engine<Down>>) {
    let policy = Policy::from_toml(&format!(
        r#"
        [[zones]]
        name = "blocked"
        cidrs = ["198.51.100.0/24"]
        action = "deny"

        [[limits]]
        name = "login-ip"
        events = ["login"]
        key = ["ip"]
        rate = "1/h"
        burst = 2

        [store]
        {store_section}
        "#
    ))
    .unwrap();
    let engine = Arc::new(Engine::builder(policy).store(Down).build().unwrap());
    let router = Router::new()
        .route("/login", post(login))
        .layer(tollgate_axum::layer(Arc::clone(&engine)).protect("/login", EventKind::Login));
    (router, engine)
}

async fn post_login(app: &Router, peer: &str) -> (StatusCode, http::HeaderMap, String) {
    let request = Request::post("/login")
        .header("content-type", "application/json")
        .extension(PeerAddr(peer.parse().unwrap()))
        .body(Body::from(r#"{"username":"alice"}"#))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 16).await.unwrap();
    (parts.status, parts.headers, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn fail_closed_answers_429_before_the_handler() {
    let (app, engine) = app("on_failure = \"fail_closed\"\nretry_secs = 5");
    let (status, headers, _) = post_login(&app, "203.0.113.5").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["retry-after"], "5");
    assert!(!engine.store_healthy());
}

#[tokio::test]
async fn fail_open_passes_the_request_through_with_the_reason() {
    let (app, engine) = app(r#"on_failure = "fail_open""#);
    for _ in 0..3 {
        let (status, _, body) = post_login(&app, "203.0.113.5").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "store.unavailable");
    }
    assert!(!engine.store_healthy());
}

#[tokio::test]
async fn fail_open_still_denies_a_blocked_zone() {
    let (app, _) = app(r#"on_failure = "fail_open""#);
    let (status, _, _) = post_login(&app, "198.51.100.7").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn local_enforces_the_limit_on_the_fallback() {
    let (app, _) = app(r#"on_failure = "local""#);
    // The handler's evaluation reuses the layer's result on the IP bucket:
    // one request spends one token.
    for _ in 0..2 {
        let (status, _, body) = post_login(&app, "203.0.113.5").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    }
    let (status, headers, _) = post_login(&app, "203.0.113.5").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.contains_key("retry-after"));
}
